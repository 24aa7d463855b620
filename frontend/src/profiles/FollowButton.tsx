/** The follow control used wherever an account shows: "Follow", "Follow back", "Requested" (click to
 * withdraw) or "Following" (click, then confirm "Unfollow"). It changes at once and updates every cached
 * copy of the relationship and the counts; a failure puts it back and says why. */
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { Link, useLocation } from "react-router-dom";
import { api, messageOf, type Relationship, unwrap } from "../api/client";
import { useMe } from "../auth/auth";
import { ConfirmDialog } from "../components/Dialog";
import { applyFollowState, connectionsKey, type FollowState, followStateOf, parseFollowState } from "./queries";
import "./profiles.css";

type FollowButtonProps = {
  username: string;
  relationship: Relationship | null | undefined;
  isPrivate: boolean;
  /** "small" fits a row of a list of people. */
  size?: "regular" | "small";
};

const LABELS: Record<FollowState, string> = { following: "Following", requested: "Requested", none: "Follow" };

export function FollowButton({ username, relationship, isPrivate, size = "regular" }: FollowButtonProps) {
  const { me } = useMe();
  const location = useLocation();
  const client = useQueryClient();
  const fromProps = followStateOf(relationship);
  // What this button last set, until its props change: lists whose cache it does not update stay right.
  const [seen, setSeen] = useState(fromProps);
  const [override, setOverride] = useState<FollowState | null>(null);
  if (seen !== fromProps) {
    setSeen(fromProps);
    setOverride(null);
  }
  const state = override ?? fromProps;
  const [confirming, setConfirming] = useState(false);

  const change = useMutation({
    mutationFn: async ({ to }: { from: FollowState; to: FollowState }) => {
      const options = { params: { path: { username } } };
      const answer = await unwrap(
        to === "none"
          ? api.DELETE("/api/viewfinder/v1/users/{username}/follow", options)
          : api.POST("/api/viewfinder/v1/users/{username}/follow", options),
      );
      return parseFollowState(answer.state);
    },
    onMutate: ({ from, to }) => {
      applyFollowState(client, username, from, to);
    },
    onError: (_error, { from, to }) => {
      setOverride(null);
      applyFollowState(client, username, to, from);
    },
    onSuccess: (answered, { to }) => {
      setOverride(answered);
      applyFollowState(client, username, to, answered);
      // Lists that gained or lost a row refetch when next shown; the home feed too.
      void client.invalidateQueries({ queryKey: connectionsKey("followers", username), refetchType: "none" });
      if (me) void client.invalidateQueries({ queryKey: connectionsKey("following", me.profile.username), refetchType: "none" });
      void client.invalidateQueries({ queryKey: ["feed"] });
    },
  });

  const className = `button follow-button${state === "none" ? "" : " button-secondary"}${size === "small" ? " button-small" : ""}`;

  if (me === null) {
    const next = encodeURIComponent(location.pathname);
    return (
      <Link to={`/login?next=${next}`} className={className}>
        Follow
      </Link>
    );
  }

  const go = (to: FollowState) => {
    setOverride(to);
    change.mutate({ from: state, to });
  };
  const onClick = () => {
    if (state === "following") setConfirming(true);
    else if (state === "requested") go("none");
    else go(isPrivate ? "requested" : "following");
  };
  const label = state === "none" && relationship?.followed_by ? "Follow back" : LABELS[state];

  return (
    <>
      <button
        type="button"
        className={className}
        onClick={onClick}
        disabled={change.isPending}
        aria-haspopup={state === "following" ? "dialog" : undefined}
      >
        {label}
      </button>
      {change.isError && (
        <span className="follow-error" role="alert">
          {messageOf(change.error)}
        </span>
      )}
      {confirming && (
        <ConfirmDialog
          title={`Unfollow ${username}?`}
          confirmLabel="Unfollow"
          onConfirm={() => {
            setConfirming(false);
            go("none");
          }}
          onClose={() => setConfirming(false)}
        >
          {isPrivate
            ? `Their posts will leave your feed, and you'll need to request to follow ${username} again to see them.`
            : `Their posts will no longer show in your feed.`}
        </ConfirmDialog>
      )}
    </>
  );
}
