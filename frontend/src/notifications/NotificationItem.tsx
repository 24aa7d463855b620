/** One line of the activity inbox: who (grouped: "alice and 3 others"), what, when, and the post it
 * is about as a small square linking to it (or, for one new follower, a "Follow back" button). */
import type { ReactNode } from "react";
import { Link } from "react-router-dom";
import type { Notification, UserSummary } from "../api/client";
import { Avatar } from "../components/Avatar";
import { Icon } from "../components/Icon";
import "../moderation/moderation.css";
import { FollowButton } from "../profiles/FollowButton";
import { RelativeTime } from "./RelativeTime";

const ACTIONS: Record<string, string> = {
  like: "liked your post.",
  comment: "commented:",
  reply: "replied to your comment:",
  mention: "mentioned you in a comment:",
  comment_like: "liked your comment.",
  follow: "started following you.",
  follow_request: "requested to follow you.",
  follow_accepted: "accepted your follow request.",
};

/** The action after the names, e.g. "liked your post." (unknown kinds get a neutral phrase). A
 * mention line that names no comment is a mention in the post's caption, quoted when the server
 * sent a snippet of it. */
export function actionOf(item: Pick<Notification, "kind" | "comment_id" | "text">): string {
  if (item.kind === "mention" && !item.comment_id) {
    return item.text ? "mentioned you in a post:" : "mentioned you in a post.";
  }
  return ACTIONS[item.kind] ?? "interacted with you.";
}

function Name({ user }: { user: Pick<UserSummary, "username"> }) {
  return (
    <Link to={`/${user.username}`} className="notification-name">
      {user.username}
    </Link>
  );
}

/** "alice", "alice and bob", or "alice and 3 others" (actor_count counts everyone in the line). */
export function Actors({ actors, count }: { actors: UserSummary[]; count: number }) {
  const [first, second] = actors;
  if (!first) return <>Someone</>;
  const total = Math.max(count, actors.length);
  if (total === 1) return <Name user={first} />;
  if (total === 2 && second) {
    return (
      <>
        <Name user={first} /> and <Name user={second} />
      </>
    );
  }
  const others = total - 1;
  return (
    <>
      <Name user={first} /> and {others} {others === 1 ? "other" : "others"}
    </>
  );
}

function Avatars({ actors }: { actors: UserSummary[] }) {
  const [first, second] = actors;
  if (!first) return <span className="notification-avatars" />;
  if (!second) {
    return (
      <span className="notification-avatars">
        <Avatar user={first} size={44} />
      </span>
    );
  }
  return (
    <span className="notification-avatars notification-avatars-pair" aria-hidden="true">
      <Avatar user={second} size={32} />
      <Avatar user={first} size={32} />
    </span>
  );
}

function Trailing({ item }: { item: Notification }) {
  if (item.post) {
    return (
      <Link to={`/p/${item.post.id}`} className="notification-thumb" aria-label="View post">
        {item.post.thumbnail_url ? <img src={item.post.thumbnail_url} alt="" width={44} height={44} /> : null}
      </Link>
    );
  }
  const [follower] = item.actors;
  if (item.kind === "follow" && follower?.relationship && item.actors.length === 1 && item.actor_count <= 1) {
    // "Follow back" (or "Follow" once they have left, "Requested" for a private account, "Following").
    return (
      <span className="notification-action">
        <FollowButton
          username={follower.username}
          relationship={follower.relationship}
          isPrivate={follower.is_private}
          size="small"
        />
      </span>
    );
  }
  if (item.kind === "follow_request") {
    return (
      <Link to="/requests" className="button button-secondary notification-action">
        Review
      </Link>
    );
  }
  return null;
}

/** What moderation tells people: the account acted against, a reporter, an appellant. The server
 * writes the whole sentence in `text` (what and why; the outcome; the decision) and names no one
 * (not the moderator, not the other account); these are the words when it sends none. */
const FALLBACKS: Record<string, string> = {
  moderation_action: "A moderator took action on your account or content.",
  report_resolved: "Thank you for your report: we reviewed it.",
  appeal_decided: "Your appeal was decided.",
};

export const MODERATION_KINDS = new Set(Object.keys(FALLBACKS));

/** The sentence of a moderation line (exported for tests). */
export function moderationLine(kind: string, text: string): string {
  return text.trim() || FALLBACKS[kind] || "";
}

function ModerationItem({ item, highlighted }: ItemProps) {
  const status = item.kind !== "report_resolved";
  return (
    <li className={highlighted ? "notification notification-moderation is-unread" : "notification notification-moderation"}>
      <span className="notification-avatars notification-system" aria-hidden="true">
        <Icon name="flag" size={22} />
      </span>
      <p className="notification-text">
        {moderationLine(item.kind, item.text)}{" "}
        <RelativeTime iso={item.updated_at} className="notification-time" />
        {highlighted && <span className="visually-hidden"> (new)</span>}
      </p>
      {status && (
        <Link to="/accounts/status" className="button button-secondary notification-action">
          Details
        </Link>
      )}
    </li>
  );
}

type ItemProps = { item: Notification; highlighted: boolean };

export function NotificationItem({ item, highlighted }: ItemProps) {
  if (MODERATION_KINDS.has(item.kind)) return <ModerationItem item={item} highlighted={highlighted} />;
  const quote: ReactNode = item.text ? <span className="notification-quote"> {item.text}</span> : null;
  return (
    <li className={highlighted ? "notification is-unread" : "notification"}>
      <Avatars actors={item.actors} />
      <p className="notification-text">
        <Actors actors={item.actors} count={item.actor_count} /> {actionOf(item)}
        {quote}
        {" "}
        <RelativeTime iso={item.updated_at} className="notification-time" />
        {highlighted && <span className="visually-hidden"> (new)</span>}
      </p>
      <Trailing item={item} />
    </li>
  );
}
