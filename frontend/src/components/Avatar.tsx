import type { UserSummary } from "../api/client";

type Who = Pick<UserSummary, "username" | "avatar_url">;

/** A 32-bit FNV-1a hash of the text: small, fast and stable across sessions and browsers. */
function hash(text: string): number {
  let value = 0x811c9dc5;
  for (let index = 0; index < text.length; index++) {
    value ^= text.charCodeAt(index);
    value = Math.imul(value, 0x01000193);
  }
  return value >>> 0;
}

/** Oranges, yellows, greens and cyans look brighter at the same HSL lightness: darker there keeps the white
 * letter legible. */
function lightness(hue: number, base: number): number {
  return hue >= 25 && hue <= 200 ? base - 12 : base;
}

/** The default picture's background for an account: a diagonal gradient between two hues that the username
 * picks, so accounts without a photo still look different from one another and the same everywhere. */
export function avatarBackground(username: string): string {
  const value = hash(username.toLowerCase());
  const from = value % 360;
  const to = (from + 25 + ((value >>> 9) % 30)) % 360;
  return `linear-gradient(135deg, hsl(${from}, 72%, ${lightness(from, 48)}%), hsl(${to}, 68%, ${lightness(to, 38)}%))`;
}

/** A round profile photo, or the first letter of the username on a gradient of its own. */
export function Avatar({ user, size = 32 }: { user: Who; size?: number }) {
  const style = { width: size, height: size, fontSize: Math.round(size * 0.45) };
  if (user.avatar_url) {
    return <img className="avatar" src={user.avatar_url} alt="" width={size} height={size} style={style} />;
  }
  return (
    <span
      className="avatar avatar-letter"
      style={{ ...style, backgroundImage: avatarBackground(user.username) }}
      aria-hidden="true"
    >
      {user.username.slice(0, 1).toUpperCase()}
    </span>
  );
}
