/** /:username/followers and /:username/following: the people, each but yourself with a follow button
 * ("Follow", "Follow back" when they follow you, "Requested", "Following"), and on your own followers
 * a "Remove" that takes someone off the list without blocking them. */
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { Link, NavLink, useParams } from "react-router-dom";
import { api, ApiError, type UserSummary, unwrap } from "../api/client";
import { useMe } from "../auth/auth";
import { BackBar } from "../components/BackBar";
import { ConfirmDialog } from "../components/Dialog";
import { ErrorBanner } from "../components/Errors";
import { LoadMore } from "../components/InfiniteList";
import { Spinner } from "../components/Spinner";
import { FollowButton } from "../profiles/FollowButton";
import { adjustMyCount, type ConnectionKind, connectionsKey, removeUserRow, useConnections } from "../profiles/queries";
import { PrivateNotice, Unavailable } from "../profiles/States";
import { UserRow } from "../profiles/UserRow";
import "../profiles/profiles.css";

const TITLES: Record<ConnectionKind, string> = { followers: "Followers", following: "Following" };

export function FollowList({ kind }: { kind: ConnectionKind }) {
  const { username = "" } = useParams();
  const { me } = useMe();
  const list = useConnections(kind, username);
  const ownFollowers = kind === "followers" && me?.profile.username === username;
  // The API sends no relationship for the viewer's own row, nor to a signed-out visitor (whose
  // button leads to log in).
  const followable = (user: UserSummary) =>
    user.username !== me?.profile.username && (user.relationship !== null || me === null);

  if (list.error instanceof ApiError && list.error.status === 404) return <Unavailable />;

  let body;
  if (list.isPending) body = <Spinner label={`Loading ${kind}`} />;
  else if (list.error instanceof ApiError && list.error.code === "private_account") body = <PrivateNotice />;
  else if (list.error && list.items.length === 0) body = <ErrorBanner error={list.error} onRetry={() => list.refetch()} />;
  else if (list.items.length === 0) body = <EmptyList kind={kind} />;
  else
    body = (
      <>
        <ul className="list-plain people-list">
          {list.items.map((user) => (
            <UserRow key={user.id} user={user}>
              {followable(user) && (
                <FollowButton username={user.username} relationship={user.relationship} isPrivate={user.is_private} size="small" />
              )}
              {ownFollowers && <RemoveFollower user={user} />}
            </UserRow>
          ))}
        </ul>
        <LoadMore {...list} />
      </>
    );

  return (
    <section className="follow-list">
      <BackBar title={username} fallback={`/${username}`} />
      <p className="follow-list-owner back-bar-wide-only">
        <Link to={`/${username}`}>{username}</Link>
      </p>
      <h1 className="visually-hidden">{TITLES[kind]}</h1>
      <nav className="tabs follow-list-tabs" aria-label="Connections">
        <NavLink to={`/${username}/followers`}>Followers</NavLink>
        <NavLink to={`/${username}/following`}>Following</NavLink>
      </nav>
      {body}
    </section>
  );
}

function EmptyList({ kind }: { kind: ConnectionKind }) {
  return (
    <div className="empty-state">
      <p className="profile-empty-title">{kind === "followers" ? "No followers yet" : "Not following anyone yet"}</p>
      <p>
        {kind === "followers"
          ? "When people follow this account, they'll show here."
          : "When this account follows people, they'll show here."}
      </p>
    </div>
  );
}

/** "Remove" on your own followers list, confirmed first; they are not told. */
function RemoveFollower({ user }: { user: UserSummary }) {
  const client = useQueryClient();
  const { me } = useMe();
  const [confirming, setConfirming] = useState(false);
  const remove = useMutation({
    mutationFn: () =>
      unwrap(api.DELETE("/api/viewfinder/v1/accounts/followers/{username}", { params: { path: { username: user.username } } })),
    onSuccess: () => {
      setConfirming(false);
      if (me) removeUserRow(client, connectionsKey("followers", me.profile.username), user.username);
      adjustMyCount(client, "followers_count", -1);
    },
  });
  return (
    <>
      <button
        type="button"
        className="button button-secondary button-small"
        aria-label={`Remove ${user.username}`}
        aria-haspopup="dialog"
        onClick={() => setConfirming(true)}
      >
        Remove
      </button>
      {confirming && (
        <ConfirmDialog
          title="Remove follower?"
          confirmLabel="Remove"
          onConfirm={() => remove.mutate()}
          onClose={() => setConfirming(false)}
          pending={remove.isPending}
          error={remove.error}
        >
          Viewfinder won't tell {user.username} they were removed from your followers.
        </ConfirmDialog>
      )}
    </>
  );
}
