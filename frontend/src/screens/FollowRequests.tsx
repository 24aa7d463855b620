/** /requests: people asking to follow your private account. "Confirm" lets them in (then offers to follow
 * back, as Instagram does); "Delete" turns them away without telling them. */
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { api, type UserSummary, unwrap } from "../api/client";
import { useMe } from "../auth/auth";
import { BackBar } from "../components/BackBar";
import { ErrorBanner } from "../components/Errors";
import { LoadMore } from "../components/InfiniteList";
import { Spinner } from "../components/Spinner";
import { FollowButton } from "../profiles/FollowButton";
import { adjustMyCount, connectionsKey, REQUESTS_KEY, removeUserRow, useFollowRequests } from "../profiles/queries";
import { UserRow } from "../profiles/UserRow";
import "../profiles/profiles.css";

export function FollowRequests() {
  const requests = useFollowRequests();
  let body;
  if (requests.isPending) body = <Spinner label="Loading follow requests" />;
  else if (requests.error && requests.items.length === 0)
    body = <ErrorBanner error={requests.error} onRetry={() => requests.refetch()} />;
  else if (requests.items.length === 0)
    body = (
      <div className="empty-state">
        <p className="profile-empty-title">No follow requests</p>
        <p>When people ask to follow your private account, you'll see their requests here.</p>
      </div>
    );
  else
    body = (
      <>
        <ul className="list-plain people-list">
          {requests.items.map((user) => (
            <RequestRow key={user.id} user={user} />
          ))}
        </ul>
        <LoadMore {...requests} />
      </>
    );
  return (
    <section className="follow-requests">
      <BackBar title="Follow requests" fallback="/notifications" />
      <h1>Follow requests</h1>
      {body}
    </section>
  );
}

function RequestRow({ user }: { user: UserSummary }) {
  const client = useQueryClient();
  const { me } = useMe();
  const [confirmed, setConfirmed] = useState(false);
  const path = { params: { path: { username: user.username } } };
  const answer = useMutation({
    mutationFn: (approve: boolean) =>
      unwrap(
        approve
          ? api.POST("/api/viewfinder/v1/accounts/follow-requests/{username}/approve", path)
          : api.POST("/api/viewfinder/v1/accounts/follow-requests/{username}/decline", path),
      ),
    onSuccess: (_nothing, approve) => {
      if (approve) {
        // The row stays (with "Follow back") until the list is next loaded.
        setConfirmed(true);
        adjustMyCount(client, "followers_count", 1);
        if (me) void client.invalidateQueries({ queryKey: connectionsKey("followers", me.profile.username) });
      } else {
        removeUserRow(client, REQUESTS_KEY, user.username);
      }
      // This list and the inbox's summary of it load afresh when next shown.
      void client.invalidateQueries({ queryKey: REQUESTS_KEY, refetchType: "none" });
    },
  });

  if (confirmed) {
    return (
      <UserRow user={user} note="Now follows you">
        <FollowButton
          username={user.username}
          relationship={user.relationship && { ...user.relationship, followed_by: true }}
          isPrivate={user.is_private}
          size="small"
        />
      </UserRow>
    );
  }
  return (
    <UserRow user={user}>
      <button
        type="button"
        className="button button-small"
        aria-label={`Confirm ${user.username}`}
        disabled={answer.isPending}
        onClick={() => answer.mutate(true)}
      >
        Confirm
      </button>
      <button
        type="button"
        className="button button-secondary button-small"
        aria-label={`Delete request from ${user.username}`}
        disabled={answer.isPending}
        onClick={() => answer.mutate(false)}
      >
        Delete
      </button>
      {answer.error && <ErrorBanner error={answer.error} />}
    </UserRow>
  );
}
