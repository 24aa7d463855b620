/** A post's comments (oldest first, paged) with likes, replies ("View replies (N)") and deletion. */
import { useEffect, useRef } from "react";
import { Link } from "react-router-dom";
import { api, type Comment, type Post, unwrap } from "../api/client";
import { useMe } from "../auth/auth";
import { Avatar } from "../components/Avatar";
import { ErrorBanner } from "../components/Errors";
import { LoadMore, useCursorPages } from "../components/InfiniteList";
import { Spinner } from "../components/Spinner";
import { type ReplyTarget, isPending, useDeleteComment, useLikeComment } from "./commentMutations";
import { HeartIcon } from "./icons";
import { useRequireLogin } from "./mutations";
import { RichText } from "./RichText";
import { TimeAgo } from "./time";

/** The same comment can arrive twice (added here, then on a later page): keep the first. */
function unique(comments: Comment[]): Comment[] {
  const seen = new Set<string>();
  return comments.filter((comment) => !seen.has(comment.id) && Boolean(seen.add(comment.id)));
}

/** Why a comment is held (the API's `held_reason`), in plain words for its author, who alone sees it
 * held in the thread; an older comment with no reason keeps the general note. */
const HELD_NOTES: Record<string, string> = {
  spam: "Held for review: it looks like spam to our automatic filter. Only you can see it until a moderator approves it.",
  rules: "Held for review: it matches one of this community's rules. Only you can see it until a moderator approves it.",
  restricted:
    "Held for review: your account's comments are reviewed before they appear. Only you can see it until the post's author or a moderator approves it.",
};
const HELD_NOTE = "Held for review: only you can see this comment until it is approved.";

function heldNote(reason: string | null | undefined): string {
  return (reason && HELD_NOTES[reason]) || HELD_NOTE;
}

function plural(count: number, one: string, many: string): string {
  return `${count.toLocaleString()} ${count === 1 ? one : many}`;
}

type ThreadProps = {
  post: Post;
  onReply: (target: ReplyTarget) => void;
  openThreads: ReadonlySet<string>;
  onToggleThread: (commentId: string) => void;
};

function CommentItem({ comment, post, onReply, openThreads, onToggleThread }: ThreadProps & { comment: Comment }) {
  const { me } = useMe();
  const requireLogin = useRequireLogin();
  const like = useLikeComment(comment);
  const remove = useDeleteComment(comment);
  const pending = isPending(comment);
  const mine = me?.profile.id;
  const canDelete = Boolean(mine) && (comment.author.id === mine || post.author.id === mine);
  const open = openThreads.has(comment.id);
  const liked = comment.liked_by_viewer;
  const thread = comment.parent_id ?? comment.id;
  // Held (its author is restricted, a rule or the spam filter holds it): only its author sees it here
  // until it is approved, told why (HELD_NOTES).
  const held = comment.held;
  const item = useRef<HTMLLIElement>(null);
  useEffect(() => {
    if (pending) item.current?.scrollIntoView?.({ block: "nearest" });
  }, [pending]);

  return (
    <li ref={item} className={pending ? "comment is-pending" : held ? "comment is-held" : "comment"}>
      <Link to={`/${comment.author.username}`} tabIndex={-1} aria-hidden="true" className="comment-avatar">
        <Avatar user={comment.author} size={comment.parent_id ? 24 : 32} />
      </Link>
      <div className="comment-body">
        <p className="comment-text">
          <Link to={`/${comment.author.username}`} className="username">
            {comment.author.username}
          </Link>{" "}
          <RichText text={comment.text} />
        </p>
        {held && <p className="held-note">{heldNote(comment.held_reason)}</p>}
        <div className="comment-meta">
          {pending ? (
            <span>Posting…</span>
          ) : (
            <>
              <TimeAgo iso={comment.created_at} />
              {comment.like_count > 0 && <span>{plural(comment.like_count, "like", "likes")}</span>}
              {post.comments_enabled && (
                <button
                  type="button"
                  className="meta-button"
                  onClick={() => {
                    if (requireLogin()) onReply({ commentId: comment.id, threadId: thread, username: comment.author.username });
                  }}
                >
                  Reply
                </button>
              )}
              {canDelete && (
                <button type="button" className="meta-button" disabled={remove.isPending} onClick={() => remove.mutate()}>
                  {remove.isPending ? "Deleting…" : "Delete"}
                </button>
              )}
            </>
          )}
        </div>
        <ErrorBanner error={remove.error ?? like.error} />
        {!comment.parent_id && comment.reply_count > 0 && (
          <button
            type="button"
            className="meta-button view-replies"
            aria-expanded={open}
            onClick={() => onToggleThread(comment.id)}
          >
            {open ? "Hide replies" : `View replies (${comment.reply_count})`}
          </button>
        )}
        {!comment.parent_id && open && (
          <Replies commentId={comment.id} post={post} onReply={onReply} openThreads={openThreads} onToggleThread={onToggleThread} />
        )}
      </div>
      {!pending && (
        <button
          type="button"
          className={liked ? "icon-button comment-like is-liked" : "icon-button comment-like"}
          aria-label={liked ? "Unlike comment" : "Like comment"}
          aria-pressed={liked}
          onClick={() => {
            if (requireLogin()) like.mutate(!liked);
          }}
        >
          <HeartIcon filled={liked} size={14} />
        </button>
      )}
    </li>
  );
}

function Replies({ commentId, ...thread }: ThreadProps & { commentId: string }) {
  const replies = useCursorPages<Comment>(["replies", commentId], (cursor) =>
    unwrap(
      api.GET("/api/viewfinder/v1/comments/{comment_id}/replies", {
        params: { path: { comment_id: commentId }, query: { cursor } },
      }),
    ),
  );
  if (replies.isPending) return <Spinner label="Loading replies" />;
  return (
    <>
      <ul className="list-plain replies">
        {unique(replies.items).map((reply) => (
          <CommentItem key={reply.id} comment={reply} {...thread} />
        ))}
      </ul>
      <LoadMore {...replies} />
    </>
  );
}

/** The post's top-level comments; the caption goes above them (see PostCard). */
export function CommentList(props: ThreadProps) {
  const { post } = props;
  const comments = useCursorPages<Comment>(["comments", post.id], (cursor) =>
    unwrap(
      api.GET("/api/viewfinder/v1/posts/{post_id}/comments", {
        params: { path: { post_id: post.id }, query: { cursor } },
      }),
    ),
  );
  if (comments.isPending) return <Spinner label="Loading comments" />;
  if (comments.isError && comments.items.length === 0) {
    return <ErrorBanner error={comments.error} onRetry={() => comments.refetch()} />;
  }
  const items = unique(comments.items);
  return (
    <section aria-label="Comments" className="comments">
      {items.length === 0 && post.comments_enabled && <p className="comments-empty">No comments yet. Start the conversation.</p>}
      <ul className="list-plain comment-list">
        {items.map((comment) => (
          <CommentItem key={comment.id} comment={comment} {...props} />
        ))}
      </ul>
      <LoadMore {...comments} />
    </section>
  );
}
