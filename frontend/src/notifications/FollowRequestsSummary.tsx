/** The "Follow requests" row at the top of the inbox, shown while someone waits for approval. */
import { useQuery } from "@tanstack/react-query";
import { Link } from "react-router-dom";
import { api, unwrap } from "../api/client";
import { Avatar } from "../components/Avatar";
import { Icon } from "../components/Icon";

export const REQUESTS_SUMMARY_KEY = ["requests", "summary"] as const;

export function FollowRequestsSummary() {
  const query = useQuery({
    queryKey: REQUESTS_SUMMARY_KEY,
    queryFn: () => unwrap(api.GET("/api/viewfinder/v1/accounts/follow-requests", { params: { query: { limit: 2 } } })),
  });
  const page = query.data;
  const [first] = page?.items ?? [];
  if (!page || !first) return null;
  const more = page.next_cursor || page.items.length > 1;
  return (
    <Link to="/requests" className="requests-summary">
      <Avatar user={first} size={44} />
      <span className="requests-summary-text">
        <strong>Follow requests</strong>
        <span className="requests-summary-who">
          {first.username}
          {more ? " and others" : ""}
        </span>
      </span>
      <span className="requests-summary-chevron" aria-hidden="true">
        <Icon name="chevronRight" size={20} />
      </span>
    </Link>
  );
}
