/** "N comments held for review" on a post's page, for whoever may review them: the post's author (the
 * comments of accounts moderators restricted) and staff who act on content (every held comment). The
 * line opens the list; "Approve" shows a comment to everyone (it is counted, and the people it
 * concerns are told). Nobody else fetches anything: the API answers them 403. */
import { type InfiniteData, useMutation, useQueryClient } from "@tanstack/react-query";
import { useEffect, useId, useRef, useState } from "react";
import { Link } from "react-router-dom";
import { api, type Comment, type Post, unwrap } from "../api/client";
import { useMe } from "../auth/auth";
import { Avatar } from "../components/Avatar";
import { ErrorBanner } from "../components/Errors";
import { Icon } from "../components/Icon";
import { LoadMore, type PageOf, useCursorPages } from "../components/InfiniteList";
import { can } from "../staff/permissions";
import { updatePost } from "./cache";
import { RichText } from "./RichText";
import { TimeAgo } from "./time";

/** The held comments' query key for a post. */
export const heldKey = (postId: string) => ["held-comments", postId] as const;

/** As many as the API gives in a page: the count shown is exact up to this many. */
const HELD_PAGE = 100;

function heldLine(count: number, more: boolean): string {
  if (count === 0) return "No comments held for review";
  const shown = `${count.toLocaleString()}${more ? "+" : ""}`;
  return `${shown} ${count === 1 && !more ? "comment" : "comments"} held for review`;
}

function HeldItem({ comment, post, onApproved }: { comment: Comment; post: Post; onApproved: (id: string) => void }) {
  const client = useQueryClient();
  const approve = useMutation({
    mutationFn: () =>
      unwrap(api.POST("/api/viewfinder/v1/comments/{comment_id}/approve", { params: { path: { comment_id: comment.id } } })),
    onSuccess: () => {
      onApproved(comment.id);
      updatePost(client, post.id, (current) => ({ ...current, comment_count: current.comment_count + 1 }));
      void client.invalidateQueries({ queryKey: comment.parent_id ? ["replies", comment.parent_id] : ["comments", post.id] });
      if (comment.parent_id) void client.invalidateQueries({ queryKey: ["comments", post.id] });
    },
  });
  const who = comment.author.username;
  return (
    <li className="held-comment">
      <Link to={`/${who}`} tabIndex={-1} aria-hidden="true" className="comment-avatar">
        <Avatar user={comment.author} size={28} />
      </Link>
      <div className="comment-body">
        <p className="comment-text">
          <Link to={`/${who}`} className="username">
            {who}
          </Link>{" "}
          <RichText text={comment.text} />
        </p>
        <div className="comment-meta">
          <TimeAgo iso={comment.created_at} />
          {comment.parent_id && <span>a reply</span>}
        </div>
        <ErrorBanner error={approve.error} />
      </div>
      <button
        type="button"
        className="button held-approve"
        aria-label={`Approve ${who}'s comment`}
        disabled={approve.isPending}
        onClick={() => approve.mutate()}
      >
        {approve.isPending ? "Approving…" : "Approve"}
      </button>
    </li>
  );
}

/** Shown above the post's comments to its reviewers only; nothing when no comment is held. */
export function HeldComments({ post }: { post: Post }) {
  const { me } = useMe();
  const reviewer = Boolean(me) && (me?.profile.id === post.author.id || can(me, "content.act"));
  const client = useQueryClient();
  const listId = useId();
  const toggle = useRef<HTMLButtonElement>(null);
  const list = useRef<HTMLUListElement>(null);
  const [open, setOpen] = useState(false);
  const [refocus, setRefocus] = useState<{ id: string; index: number } | null>(null);
  const held = useCursorPages<Comment>(
    heldKey(post.id),
    (cursor) =>
      unwrap(
        api.GET("/api/viewfinder/v1/posts/{post_id}/comments/held", {
          params: { path: { post_id: post.id }, query: { cursor, limit: HELD_PAGE } },
        }),
      ),
    reviewer,
  );
  // Keep the keyboard where it was once an approved comment has left the list: on the next comment's
  // button, else on the line above the list.
  useEffect(() => {
    if (!refocus || held.items.some((comment) => comment.id === refocus.id)) return;
    const buttons = list.current?.querySelectorAll<HTMLButtonElement>(".held-approve");
    const next = buttons?.[Math.min(refocus.index, buttons.length - 1)];
    (next ?? toggle.current)?.focus();
    setRefocus(null);
  }, [refocus, held.items]);
  // Once open, the line stays after the last approval (the keyboard focus returns to it).
  if (!reviewer || (held.items.length === 0 && !open)) return null;

  const approved = (id: string) => {
    setRefocus({ id, index: held.items.findIndex((comment) => comment.id === id) });
    client.setQueryData<InfiniteData<PageOf<Comment>>>(heldKey(post.id), (data) =>
      data ? { ...data, pages: data.pages.map((page) => ({ ...page, items: page.items.filter((c) => c.id !== id) })) } : data,
    );
  };

  return (
    <section className="held-comments" aria-label="Held comments">
      <button
        ref={toggle}
        type="button"
        className="held-toggle"
        aria-expanded={open}
        aria-controls={listId}
        onClick={() => setOpen((current) => !current)}
      >
        {heldLine(held.items.length, held.hasNextPage)}
        {" "}
        <Icon name={open ? "chevronUp" : "chevronDown"} size={16} />
      </button>
      <div id={listId} hidden={!open}>
        {open && (
          <>
            <p className="hint">
              {me?.profile.id === post.author.id
                ? "Only their authors see these until you approve them."
                : "Only their authors see these until staff or the post's author approve them."}
            </p>
            <ul ref={list} className="list-plain held-list">
              {held.items.map((comment) => (
                <HeldItem key={comment.id} comment={comment} post={post} onApproved={approved} />
              ))}
            </ul>
            <LoadMore {...held} error={held.isFetchNextPageError ? held.error : null} />
          </>
        )}
      </div>
    </section>
  );
}
