/** The unread-notification count on the nav badge, kept live by the server's event stream.
 *
 * The count is fetched once, then each `unread` or `notification` event of
 * GET /notifications/stream (Server-Sent Events) sets it; a `notification` event also marks the
 * inbox (and, for a follow request, the requests list) stale so it refetches. EventSource
 * reconnects by itself and sends Last-Event-ID, so missed events are replayed. The tab's title
 * shows the count too: "(3) Viewfinder". */
import { type QueryClient, useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect } from "react";
import { API_BASE, api, unwrap } from "../api/client";

export const UNREAD_KEY = ["notifications", "unread"] as const;
export const NOTIFICATIONS_KEY = ["notifications"] as const;
export const STREAM_URL = `${API_BASE}/notifications/stream`;

type StreamEvent = { type?: string; unread?: unknown; kind?: unknown };

function parse(data: unknown): StreamEvent | null {
  if (typeof data !== "string") return null;
  try {
    const value: unknown = JSON.parse(data);
    return value && typeof value === "object" ? (value as StreamEvent) : null;
  } catch {
    return null;
  }
}

/** Applies one stream event to the cache. */
export function applyStreamEvent(client: QueryClient, name: string, data: unknown): void {
  const event = parse(data);
  if (!event) return;
  if (typeof event.unread === "number") client.setQueryData(UNREAD_KEY, event.unread);
  if (name === "notification") {
    void client.invalidateQueries({ queryKey: NOTIFICATIONS_KEY, exact: true });
    if (event.kind === "follow_request") void client.invalidateQueries({ queryKey: ["requests"] });
  }
}

const TITLE_PREFIX = /^\(\d+\+?\)\s*/;

/** "(N) " before whatever title the screen set, or no prefix at 0. */
function showCountInTitle(count: number): void {
  const base = document.title.replace(TITLE_PREFIX, "") || "Viewfinder";
  document.title = count > 0 ? `(${count > 99 ? "99+" : count}) ${base}` : base;
}

export function useUnreadCount(enabled: boolean): number {
  const client = useQueryClient();
  const query = useQuery({
    queryKey: UNREAD_KEY,
    queryFn: async () => (await unwrap(api.GET("/api/viewfinder/v1/notifications/unread-count"))).unread,
    enabled,
  });

  useEffect(() => {
    if (!enabled || typeof EventSource === "undefined") return;
    const source = new EventSource(STREAM_URL);
    const onEvent = (event: Event) => applyStreamEvent(client, event.type, (event as MessageEvent).data);
    source.addEventListener("unread", onEvent);
    source.addEventListener("notification", onEvent);
    return () => source.close();
  }, [enabled, client]);

  const count = enabled ? (query.data ?? 0) : 0;
  useEffect(() => showCountInTitle(count), [count]);
  return count;
}
