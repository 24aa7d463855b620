/** A profile (/:username): the header, then the grid of posts, or why there is none to see. */
import { useState } from "react";
import { Link, useParams } from "react-router-dom";
import { ApiError, type Profile as ProfileData } from "../api/client";
import { useMe } from "../auth/auth";
import { ErrorBanner, PageNotFound } from "../components/Errors";
import { LoadMore } from "../components/InfiniteList";
import { PostGrid } from "../components/PostGrid";
import { Spinner } from "../components/Spinner";
import { FollowButton } from "../profiles/FollowButton";
import { ProfileHeader } from "../profiles/ProfileHeader";
import { type Notice, ProfileMenu, useBlock } from "../profiles/ProfileMenu";
import { useFollowRequests, useProfile, useUserPosts } from "../profiles/queries";
import { PrivateNotice } from "../profiles/States";
import "../profiles/profiles.css";

export function Profile() {
  const { username = "" } = useParams();
  const profile = useProfile(username);
  // Who was blocked from this screen: their profile now answers 404, but they can still be unblocked here.
  const [blocked, setBlocked] = useState<string | null>(null);

  if (blocked === username) return <BlockedNow username={username} onUnblocked={() => setBlocked(null)} />;
  if (profile.isPending) return <Spinner label="Loading profile" />;
  if (profile.error) {
    // An unknown account, or one that blocked you (or you it): nothing tells which.
    if (profile.error instanceof ApiError && profile.error.status === 404) return <PageNotFound />;
    return (
      <section className="profile-screen">
        <h1 className="visually-hidden">{username}</h1>
        <ErrorBanner error={profile.error} onRetry={() => profile.refetch()} />
      </section>
    );
  }
  return <ProfileView profile={profile.data} onBlocked={() => setBlocked(username)} />;
}

function ProfileView({ profile, onBlocked }: { profile: ProfileData; onBlocked: () => void }) {
  const { me } = useMe();
  const [notice, setNotice] = useState<Notice | null>(null);
  const own = me?.profile.username === profile.username;
  const canSee = own || !profile.is_private || Boolean(profile.relationship?.following);

  const actions = own ? (
    <>
      <Link to="/accounts/edit" className="button button-secondary">
        Edit profile
      </Link>
      <Link to="/settings" className="button button-secondary">
        Settings
      </Link>
    </>
  ) : (
    <>
      <FollowButton username={profile.username} relationship={profile.relationship} isPrivate={profile.is_private} />
      {me && <ProfileMenu profile={profile} onBlocked={onBlocked} onNotice={setNotice} />}
    </>
  );

  return (
    <section className="profile-screen wide">
      <ProfileHeader profile={profile} connectionsOpen={canSee} actions={actions} />
      {notice && "text" in notice && (
        <p className="notice" role="status">
          {notice.text}
        </p>
      )}
      {notice && "error" in notice && <ErrorBanner error={notice.error} />}
      {own && profile.is_private && <RequestsLink />}
      {canSee ? <ProfilePosts username={profile.username} own={own} /> : <PrivateNotice />}
    </section>
  );
}

/** "Follow requests (N)" on your own private profile, while any wait. */
function RequestsLink() {
  const requests = useFollowRequests();
  if (requests.items.length === 0) return null;
  const count = `${requests.items.length}${requests.hasNextPage ? "+" : ""}`;
  return (
    <Link to="/requests" className="profile-requests-link">
      Follow requests ({count})
    </Link>
  );
}

function ProfilePosts({ username, own }: { username: string; own: boolean }) {
  const posts = useUserPosts(username);
  let body;
  if (posts.isPending) body = <Spinner label="Loading posts" />;
  else if (posts.error && posts.items.length === 0) {
    const error = posts.error;
    body =
      error instanceof ApiError && error.code === "private_account" ? (
        <PrivateNotice />
      ) : (
        <ErrorBanner error={error} onRetry={() => posts.refetch()} />
      );
  } else if (posts.items.length === 0) body = <EmptyPosts own={own} />;
  else
    body = (
      <>
        <PostGrid posts={posts.items} label={`Posts by ${username}`} surface="profile" />
        <LoadMore {...posts} />
      </>
    );
  return (
    <section className="profile-posts" aria-labelledby="profile-posts-title">
      <h2 id="profile-posts-title" className="profile-posts-title">
        <GridIcon /> Posts
      </h2>
      {body}
    </section>
  );
}

function EmptyPosts({ own }: { own: boolean }) {
  if (!own) {
    return (
      <div className="empty-state profile-empty">
        <p className="profile-empty-title">No posts yet</p>
      </div>
    );
  }
  return (
    <div className="empty-state profile-empty">
      <p className="profile-empty-title">Share photos</p>
      <p>When you share photos, they will appear on your profile.</p>
      <Link to="/create" className="link-button">
        Share your first photo
      </Link>
    </div>
  );
}

/** After blocking from this screen: the page is gone for you too, with a way to undo. */
function BlockedNow({ username, onUnblocked }: { username: string; onUnblocked: () => void }) {
  const unblock = useBlock(username);
  return (
    <PageNotFound>
      <div className="profile-blocked">
        <p role="status">You blocked {username}.</p>
        <ErrorBanner error={unblock.error} />
        <button
          type="button"
          className="button button-secondary"
          disabled={unblock.isPending}
          onClick={() => unblock.mutate(false, { onSuccess: onUnblocked })}
        >
          Unblock {username}
        </button>
      </div>
    </PageNotFound>
  );
}

function GridIcon() {
  return (
    <svg width="14" height="14" viewBox="0 0 24 24" fill="none" stroke="currentColor" strokeWidth="2" aria-hidden="true">
      <rect x="3" y="3" width="18" height="18" rx="1" />
      <path d="M9 3v18M15 3v18M3 9h18M3 15h18" />
    </svg>
  );
}
