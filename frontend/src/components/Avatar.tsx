import type { UserSummary } from "../api/client";

type Who = Pick<UserSummary, "username" | "avatar_url">;

/** A round profile photo, or the first letter of the username on a tinted disc. */
export function Avatar({ user, size = 32 }: { user: Who; size?: number }) {
  const style = { width: size, height: size, fontSize: Math.round(size * 0.45) };
  if (user.avatar_url) {
    return <img className="avatar" src={user.avatar_url} alt="" width={size} height={size} style={style} />;
  }
  return (
    <span className="avatar avatar-letter" style={style} aria-hidden="true">
      {user.username.slice(0, 1).toUpperCase()}
    </span>
  );
}
