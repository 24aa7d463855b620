/** Rows of search results and suggestions: an account (avatar, username, name) or a hashtag
 * ("#sunset", "1,204 posts"), each one link. */
import type { ReactNode } from "react";
import { Link } from "react-router-dom";
import type { Hashtag, UserSummary } from "../api/client";
import { Avatar } from "../components/Avatar";
import "./discovery.css";

const numbers = new Intl.NumberFormat("en");

export function postCount(count: number): string {
  return `${numbers.format(count)} ${count === 1 ? "post" : "posts"}`;
}

/** An account as a link to its profile; `note` replaces the display name line when given. */
export function AccountRow({ user, note }: { user: UserSummary; note?: ReactNode }) {
  const second = note ?? user.display_name;
  return (
    <li>
      <Link to={`/${user.username}`} className="result-row">
        <Avatar user={user} size={44} />
        <span className="user-row-names">
          <span className="username">{user.username}</span>{" "}
          {second && <span className="display-name">{second}</span>}
        </span>
      </Link>
    </li>
  );
}

export function HashtagRow({ hashtag }: { hashtag: Hashtag }) {
  return (
    <li>
      <Link to={`/tags/${encodeURIComponent(hashtag.name)}`} className="result-row">
        <span className="result-tag-icon" aria-hidden="true">
          #
        </span>
        <span className="user-row-names">
          <span className="username">#{hashtag.name}</span>{" "}
          <span className="display-name">{postCount(hashtag.post_count)}</span>
        </span>
      </Link>
    </li>
  );
}
