/** "Profile options" on someone else's profile: block (confirmed first), mute and report. */
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { api, type Profile, unwrap } from "../api/client";
import { ME_KEY } from "../auth/auth";
import { ConfirmDialog } from "../components/Dialog";
import { Menu, type MenuAction } from "../components/Menu";
import { ReportDialog } from "../components/ReportDialog";
import { profileKey } from "./queries";
import "./profiles.css";

/** A result to show under the profile's header. */
export type Notice = { text: string } | { error: unknown };

type ProfileMenuProps = {
  profile: Profile;
  onBlocked: () => void;
  onNotice: (notice: Notice) => void;
};

/** Block or unblock `username`; afterwards everything that may hold their posts or counts is refetched. */
export function useBlock(username: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (block: boolean) => {
      const options = { params: { path: { username } } };
      return unwrap(
        block
          ? api.POST("/api/viewfinder/v1/users/{username}/block", options)
          : api.DELETE("/api/viewfinder/v1/users/{username}/block", options),
      );
    },
    onSuccess: () => {
      for (const key of [ME_KEY, profileKey(username), ["user-posts", username], ["feed"], ["followers"], ["following"], ["explore"]]) {
        void client.invalidateQueries({ queryKey: key });
      }
    },
  });
}

export function ProfileMenu({ profile, onBlocked, onNotice }: ProfileMenuProps) {
  const client = useQueryClient();
  const { username } = profile;
  const [dialog, setDialog] = useState<"block" | "report" | null>(null);
  const block = useBlock(username);
  const muting = Boolean(profile.relationship?.muting);
  const blocking = Boolean(profile.relationship?.blocking);

  const mute = useMutation({
    mutationFn: (on: boolean) => {
      const options = { params: { path: { username } } };
      return unwrap(
        on
          ? api.POST("/api/viewfinder/v1/users/{username}/mute", options)
          : api.DELETE("/api/viewfinder/v1/users/{username}/mute", options),
      );
    },
    onSuccess: (_nothing, on) => {
      client.setQueryData<Profile>(profileKey(username), (current) =>
        current?.relationship ? { ...current, relationship: { ...current.relationship, muting: on } } : current,
      );
      void client.invalidateQueries({ queryKey: ["feed"] });
      onNotice({
        text: on
          ? `You muted ${username}. Their posts won't show in your feed; they won't be told.`
          : `You unmuted ${username}.`,
      });
    },
    onError: (error) => onNotice({ error }),
  });

  const actions: MenuAction[] = [
    blocking
      ? { label: "Unblock", onSelect: () => block.mutate(false, { onError: (error) => onNotice({ error }) }) }
      : { label: "Block", onSelect: () => setDialog("block"), danger: true },
    { label: muting ? "Unmute" : "Mute", onSelect: () => mute.mutate(!muting) },
    { label: "Report", onSelect: () => setDialog("report"), danger: true },
  ];

  return (
    <>
      <Menu label="Profile options" actions={actions} />
      {dialog === "report" && (
        <ReportDialog target="user" targetId={profile.id} label={`@${username}`} onClose={() => setDialog(null)} />
      )}
      {dialog === "block" && (
        <ConfirmDialog
          title={`Block ${username}?`}
          confirmLabel="Block"
          onConfirm={() =>
            block.mutate(true, {
              onSuccess: () => {
                setDialog(null);
                onBlocked();
              },
            })
          }
          onClose={() => setDialog(null)}
          pending={block.isPending}
          error={block.error}
        >
          They won't be able to find your profile or posts on Viewfinder, and you'll stop following each other.
          Viewfinder won't let them know you blocked them.
        </ConfirmDialog>
      )}
    </>
  );
}
