/** The unread-notification count shown on the nav badge. (Made live by the notifications work.) */
import { useQuery } from "@tanstack/react-query";
import { api, unwrap } from "../api/client";

export const UNREAD_KEY = ["notifications", "unread"] as const;

export function useUnreadCount(enabled: boolean): number {
  const query = useQuery({
    queryKey: UNREAD_KEY,
    queryFn: async () => (await unwrap(api.GET("/api/viewfinder/v1/notifications/unread-count"))).unread,
    enabled,
  });
  return query.data ?? 0;
}
