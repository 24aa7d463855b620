/** A post's "More options": Report, Mute and Block for others' posts, and Not interested for a
 * suggested one; Edit caption and Delete for your own; Go to post and Copy link for all.
 * Destructive choices are confirmed in a dialog. */
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useRef, useState } from "react";
import { useNavigate } from "react-router-dom";
import { ApiError, api, type Post, unwrap } from "../api/client";
import { useMe } from "../auth/auth";
import { ConfirmDialog, Dialog } from "../components/Dialog";
import { ErrorBanner, FieldError } from "../components/Errors";
import { Menu, type MenuAction } from "../components/Menu";
import { ReportDialog } from "../components/ReportDialog";
import type { Surface } from "../interactions/reporter";
import { useReportInteraction } from "../interactions/useImpression";
import { removePosts, updatePost } from "./cache";
import { useRequireLogin } from "./mutations";
import { markNotInterested } from "./notInterested";
import { Toast, useToast } from "./Toast";

type Open = "report" | "block" | "delete" | "edit" | null;
type PostMenuProps = {
  post: Post;
  /** On the post's own page: no "Go to post"; leaving after block/delete. */
  detail?: boolean;
  /** Where the post is shown, for the `share` or `not_interested` reported. */
  surface?: Surface;
};

export function PostMenu({ post, detail = false, surface }: PostMenuProps) {
  const { me } = useMe();
  const navigate = useNavigate();
  const requireLogin = useRequireLogin();
  const [open, setOpen] = useState<Open>(null);
  const [toast, showToast] = useToast();
  const root = useRef<HTMLDivElement>(null);
  const client = useQueryClient();
  const report = useReportInteraction();
  const author = post.author.username;
  const mine = Boolean(me) && me?.profile.id === post.author.id;
  const model = post.recommended?.model ?? null;

  const close = () => {
    setOpen(null);
    root.current?.querySelector<HTMLElement>("button[aria-haspopup]")?.focus();
  };

  const mute = useMutation({
    mutationFn: () => unwrap(api.POST("/api/viewfinder/v1/users/{username}/mute", { params: { path: { username: author } } })),
    onSuccess: () => {
      client.invalidateQueries({ queryKey: ["feed"], refetchType: "none" });
      client.invalidateQueries({ queryKey: ["profile", author] });
      showToast(`Muted @${author}. You won't see their posts in your feed.`);
    },
    onError: (error) => showToast(error.message),
  });

  const copyLink = () => {
    const url = `${window.location.origin}/p/${post.id}`;
    const copied = navigator.clipboard?.writeText(url);
    if (!copied) return showToast(url);
    copied.then(
      () => {
        showToast("Link copied to clipboard.");
        report({ kind: "share", post_id: post.id, surface: surface ?? null, position: null, model });
      },
      () => showToast(url),
    );
  };

  const general: MenuAction[] = [
    ...(detail ? [] : [{ label: "Go to post", onSelect: () => navigate(`/p/${post.id}`) }]),
    { label: "Copy link", onSelect: copyLink },
  ];
  const actions: MenuAction[] = mine
    ? [
        { label: "Edit caption", onSelect: () => setOpen("edit") },
        { label: "Delete", onSelect: () => setOpen("delete"), danger: true },
        ...general,
      ]
    : [
        // Only the recommender's choices: a followed account's post is there because it is followed.
        ...(post.recommended
          ? [{ label: "Not interested", onSelect: () => requireLogin() && markNotInterested(client, post, me?.profile.id, surface) }]
          : []),
        { label: "Report", onSelect: () => requireLogin() && setOpen("report"), danger: true },
        { label: `Mute @${author}`, onSelect: () => requireLogin() && mute.mutate() },
        { label: `Block @${author}`, onSelect: () => requireLogin() && setOpen("block"), danger: true },
        ...general,
      ];

  return (
    <div ref={root} className="post-menu">
      <Menu label="More options" actions={actions} />
      <Toast message={toast} />
      {open === "report" && <ReportDialog target="post" targetId={post.id} label={`@${author}'s post`} onClose={close} />}
      {open === "block" && <BlockDialog post={post} detail={detail} onClose={close} />}
      {open === "delete" && <DeleteDialog post={post} detail={detail} onClose={close} />}
      {open === "edit" && <EditCaptionDialog post={post} onClose={close} />}
    </div>
  );
}

type DialogProps = { post: Post; detail?: boolean; onClose: () => void };

function BlockDialog({ post, detail, onClose }: DialogProps) {
  const client = useQueryClient();
  const navigate = useNavigate();
  const author = post.author.username;
  const block = useMutation({
    mutationFn: () => unwrap(api.POST("/api/viewfinder/v1/users/{username}/block", { params: { path: { username: author } } })),
    onSuccess: () => {
      removePosts(client, (other) => other.author.id === post.author.id);
      client.invalidateQueries({ queryKey: ["profile", author] });
      if (detail) navigate("/");
      else onClose();
    },
  });
  return (
    <ConfirmDialog
      title={`Block @${author}?`}
      confirmLabel="Block"
      onConfirm={() => block.mutate()}
      onClose={onClose}
      pending={block.isPending}
      error={block.error}
    >
      They won't be able to find your profile or posts, and you won't see theirs. They won't be told that you blocked
      them.
    </ConfirmDialog>
  );
}

function DeleteDialog({ post, detail, onClose }: DialogProps) {
  const client = useQueryClient();
  const navigate = useNavigate();
  const { me } = useMe();
  const remove = useMutation({
    mutationFn: () => unwrap(api.DELETE("/api/viewfinder/v1/posts/{post_id}", { params: { path: { post_id: post.id } } })),
    onSuccess: () => {
      const username = me?.profile.username ?? post.author.username;
      removePosts(client, (other) => other.id === post.id);
      client.invalidateQueries({ queryKey: ["profile", username] });
      client.invalidateQueries({ queryKey: ["user-posts", username] });
      if (detail) {
        navigate(`/${username}`);
        // After leaving, so the page doesn't fetch the post it no longer has.
        setTimeout(() => client.removeQueries({ queryKey: ["post", post.id] }), 0);
      } else {
        client.removeQueries({ queryKey: ["post", post.id] });
      }
    },
  });
  return (
    <ConfirmDialog
      title="Delete post?"
      confirmLabel="Delete"
      onConfirm={() => remove.mutate()}
      onClose={onClose}
      pending={remove.isPending}
      error={remove.error}
    >
      This post, its likes and its comments will be gone for good.
    </ConfirmDialog>
  );
}

function EditCaptionDialog({ post, onClose }: DialogProps) {
  const client = useQueryClient();
  const [caption, setCaption] = useState(post.caption);
  const [sensitive, setSensitive] = useState(post.sensitive);
  // Unmarking cannot take off a mark set by staff or the automatic check: the post stays covered.
  const [markedByOthers, setMarkedByOthers] = useState(false);
  const edit = useMutation({
    mutationFn: (changes: { caption: string; sensitive?: boolean }) =>
      unwrap(
        api.PATCH("/api/viewfinder/v1/posts/{post_id}", {
          params: { path: { post_id: post.id } },
          body: changes,
        }),
      ),
    onSuccess: (saved, changes) => {
      updatePost(client, post.id, (old) => ({ ...old, caption: saved.caption, sensitive: saved.sensitive }));
      client.invalidateQueries({ queryKey: ["hashtag"], refetchType: "none" });
      if (changes.sensitive === false && saved.sensitive) {
        setSensitive(true);
        setMarkedByOthers(true);
      } else {
        onClose();
      }
    },
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    edit.mutate(sensitive === post.sensitive ? { caption } : { caption, sensitive });
  };
  const fieldFailed = edit.error instanceof ApiError && Boolean(edit.error.field("caption"));
  return (
    <Dialog title="Edit caption" onClose={onClose}>
      <form onSubmit={submit}>
        <div className="field">
          <label htmlFor="edit-caption">Caption</label>
          <textarea
            id="edit-caption"
            rows={5}
            maxLength={2200}
            value={caption}
            onChange={(event) => setCaption(event.target.value)}
            aria-invalid={fieldFailed}
            aria-describedby="edit-caption-error"
          />
          <FieldError error={edit.error} name="caption" id="edit-caption-error" />
          <p className="hint">{caption.length.toLocaleString()} / 2,200</p>
        </div>
        <div className="field">
          <label>
            <input
              type="checkbox"
              checked={sensitive}
              onChange={(event) => setSensitive(event.currentTarget.checked)}
              aria-describedby="edit-sensitive-hint"
            />{" "}
            Mark as sensitive
          </label>
          <p id="edit-sensitive-hint" className="hint">
            Others see its photos and videos blurred behind a warning until they choose to look.
          </p>
          {markedByOthers && (
            <p role="status">
              Moderators or the automatic check marked this post sensitive, so it stays behind the warning.
            </p>
          )}
        </div>
        {!fieldFailed && <ErrorBanner error={edit.error} />}
        <div className="confirm-actions">
          <button type="submit" className="button" disabled={edit.isPending}>
            {edit.isPending ? "Saving…" : "Save"}
          </button>
          <button type="button" className="button button-secondary" onClick={onClose}>
            Cancel
          </button>
        </div>
      </form>
    </Dialog>
  );
}
