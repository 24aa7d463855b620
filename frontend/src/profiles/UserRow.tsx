/** One account in a list of people: avatar and names (a link to the profile), then its actions. */
import type { ReactNode } from "react";
import { Link } from "react-router-dom";
import type { UserSummary } from "../api/client";
import { Avatar } from "../components/Avatar";
import "./profiles.css";

type UserRowProps = {
  user: UserSummary;
  /** Shown under the username instead of the display name (and announced), e.g. "Now follows you". */
  note?: string;
  children?: ReactNode;
};

export function UserRow({ user, note, children }: UserRowProps) {
  return (
    <li className="user-row profile-user-row">
      <Link to={`/${user.username}`} className="user-row-link">
        <Avatar user={user} size={44} />
        <span className="user-row-names">
          <span className="username">{user.username}</span>
          {note ? (
            <span className="display-name" role="status">
              {note}
            </span>
          ) : (
            user.display_name && <span className="display-name">{user.display_name}</span>
          )}
        </span>
      </Link>
      {children && <div className="user-row-actions">{children}</div>}
    </li>
  );
}
