/** Explore's "Featured" row (GET /discover/featured): the accounts the community team features, each
 * with its note and the same follow button as every list of people. Shown to visitors too (their
 * button leads to log in); hidden when there are none or the row fails to load (the grid matters more).
 * A row on phones (scrolls sideways), a grid of cards on wider screens. */
import { useQuery } from "@tanstack/react-query";
import { Link } from "react-router-dom";
import { useMe } from "../auth/auth";
import { Avatar } from "../components/Avatar";
import { FollowButton } from "../profiles/FollowButton";
import { FEATURED_KEY, fetchFeatured } from "./api";
import "./community.css";

export function FeaturedRow() {
  const { me } = useMe();
  const query = useQuery({ queryKey: FEATURED_KEY, queryFn: fetchFeatured, staleTime: 60_000 });
  const items = query.data?.items ?? [];
  if (items.length === 0) return null;
  return (
    <section className="featured" aria-labelledby="featured-title">
      <h2 id="featured-title" className="featured-title">
        Featured
      </h2>
      <ul className="list-plain featured-list">
        {items.map(({ account, note }) => (
          <li key={account.id} className="featured-card">
            <Link to={`/${account.username}`} className="featured-link">
              <Avatar user={account} size={56} />
              <span className="featured-username">{account.username}</span>
              {account.display_name && <span className="featured-name">{account.display_name}</span>}
            </Link>
            {note && <p className="featured-note">{note}</p>}
            {me?.profile.username !== account.username && (
              <FollowButton username={account.username} relationship={account.relationship} isPrivate={account.is_private} size="small" />
            )}
          </li>
        ))}
      </ul>
    </section>
  );
}
