/** The top of a profile, laid out like Instagram's: on phones the avatar sits left of the counts with the
 * name and bio below and the buttons across; on wider screens a big avatar heads a column of username and
 * buttons, counts, then name, bio and website. */
import type { ReactNode } from "react";
import { Link } from "react-router-dom";
import type { Profile } from "../api/client";
import { Avatar } from "../components/Avatar";
import { Linkified } from "./Linkified";
import { LockIcon } from "./States";
import "./profiles.css";

const compact = new Intl.NumberFormat("en-US", { notation: "compact", maximumFractionDigits: 1 });
const full = new Intl.NumberFormat("en-US");

/** 1,234 up to 9,999; 12.3K and 4.5M beyond, as Instagram writes them. */
export function formatCount(count: number): string {
  return count < 10_000 ? full.format(count) : compact.format(count);
}

function Count({ count, one, many, to }: { count: number; one: string; many: string; to?: string }) {
  const body = (
    <>
      <strong className="profile-count-number">{formatCount(count)}</strong>{" "}
      <span className="profile-count-label">{count === 1 ? one : many}</span>
    </>
  );
  return <li>{to ? <Link to={to}>{body}</Link> : <span>{body}</span>}</li>;
}

/** The website without its scheme or a trailing slash, as it shows under a bio. */
export function displayUrl(url: string): string {
  return url.replace(/^https?:\/\//i, "").replace(/\/$/, "");
}

type ProfileHeaderProps = {
  profile: Profile;
  /** Whether the viewer may open the followers and following lists. */
  connectionsOpen: boolean;
  /** Follow and options, or edit and settings. */
  actions: ReactNode;
};

export function ProfileHeader({ profile, connectionsOpen, actions }: ProfileHeaderProps) {
  const base = `/${profile.username}`;
  return (
    <header className="profile-header">
      <div className="profile-avatar">
        <Avatar user={profile} size={150} />
      </div>
      <div className="profile-title">
        <h1>{profile.username}</h1>
        {profile.is_private && (
          <span className="profile-private-badge" title="Private account">
            <LockIcon size={18} />
            <span className="visually-hidden">Private account</span>
          </span>
        )}
      </div>
      <div className="profile-actions">{actions}</div>
      <ul className="profile-counts" aria-label="Counts">
        <Count count={profile.posts_count} one="post" many="posts" />
        <Count
          count={profile.followers_count}
          one="follower"
          many="followers"
          to={connectionsOpen ? `${base}/followers` : undefined}
        />
        <Count
          count={profile.following_count}
          one="following"
          many="following"
          to={connectionsOpen ? `${base}/following` : undefined}
        />
      </ul>
      <div className="profile-bio">
        {profile.display_name && <p className="profile-name">{profile.display_name}</p>}
        {profile.bio && (
          <p className="profile-bio-text">
            <Linkified text={profile.bio} />
          </p>
        )}
        {profile.website && (
          <a className="profile-website" href={profile.website} rel="noopener nofollow ugc" target="_blank">
            {displayUrl(profile.website)}
          </a>
        )}
      </div>
    </header>
  );
}
