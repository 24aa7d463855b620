/** One post as Instagram shows it: header, media carousel, actions, likes, caption and comments.
 * In the feed ("feed") the comments are a preview with a link to the post; on the post's page
 * ("detail") they are the whole thread, with replies, beside the media on wide screens. A post the
 * recommender chose says so in its header, with why; once the viewer says "Not interested" (its
 * menu) a short note takes its place. */
import { useEffect, useId, useRef, useState } from "react";
import { Link, useNavigate } from "react-router-dom";
import type { Post } from "../api/client";
import { useMe } from "../auth/auth";
import { Avatar } from "../components/Avatar";
import { ErrorBanner } from "../components/Errors";
import { Icon } from "../components/Icon";
import type { Surface } from "../interactions/reporter";
import { useImpression } from "../interactions/useImpression";
import { SensitiveCover } from "../moderation/SensitiveCover";
import { Carousel } from "./Carousel";
import { CommentForm } from "./CommentForm";
import { CommentList } from "./CommentList";
import { HeldComments } from "./HeldComments";
import type { ReplyTarget } from "./commentMutations";
import { BookmarkIcon, CommentIcon, HeartIcon } from "./icons";
import { LikesDialog } from "./LikesDialog";
import { useLikePost, useRequireLogin, useSavePost } from "./mutations";
import { useNotInterested } from "./notInterested";
import { PostMenu } from "./PostMenu";
import { RichText } from "./RichText";
import { canShare, useSharePost } from "./share";
import { TimeAgo } from "./time";
import { Toast, useToast } from "./Toast";
import "./posts.css";

/** Collapsed (in the feed), a caption shows up to its first line break or about this many characters. */
const COLLAPSED_CAPTION = 125;
const SUGGESTED = "Suggested for you";

/** "Suggested for you", then the recommender's reason unless it says no more than that. */
function SuggestedLine({ reason }: { reason: string }) {
  const why = reason.trim();
  const more = why !== "" && why.toLowerCase() !== SUGGESTED.toLowerCase();
  return (
    <span className="post-suggested">
      {SUGGESTED}
      {more && (
        <>
          {" "}
          <span aria-hidden="true">·</span> <span className="post-suggested-reason">{why}</span>
        </>
      )}
    </span>
  );
}

function PostHeader({ post, detail, surface }: { post: Post; detail: boolean; surface?: Surface }) {
  const { author } = post;
  return (
    <header className="post-header">
      <Link to={`/${author.username}`} tabIndex={-1} aria-hidden="true">
        <Avatar user={author} size={32} />
      </Link>
      <div className="post-header-names">
        <span>
          <Link to={`/${author.username}`} className="username">
            {author.username}
          </Link>
          {!detail && (
            <>
              <span className="post-header-dot" aria-hidden="true">
                •
              </span>
              <Link to={`/p/${post.id}`} className="post-time">
                <TimeAgo iso={post.created_at} />
              </Link>
            </>
          )}
        </span>
        {post.recommended && <SuggestedLine reason={post.recommended.reason} />}
        {post.location_name && <span className="post-location">{post.location_name}</span>}
      </div>
      <PostMenu post={post} detail={detail} surface={surface} />
    </header>
  );
}

function likesLine(count: number): string {
  return `${count.toLocaleString()} ${count === 1 ? "like" : "likes"}`;
}

/** What a collapsed caption shows: its text up to the first line break, or its first words up to
 * COLLAPSED_CAPTION characters (cut at a space, so no #tag or @mention is split); null when all of it
 * fits. "… more" follows it on the same line. */
function collapsedCaption(caption: string): string | null {
  const text = caption.trim();
  const lineBreak = text.search(/[\r\n]/);
  let end = lineBreak === -1 ? text.length : lineBreak;
  if (end > COLLAPSED_CAPTION) {
    const space = text.lastIndexOf(" ", COLLAPSED_CAPTION);
    end = space > COLLAPSED_CAPTION / 2 ? space : COLLAPSED_CAPTION;
    // Not between the two halves of an emoji.
    if (/[\uD800-\uDBFF]/.test(text.charAt(end - 1))) end -= 1;
  }
  return end < text.length ? text.slice(0, end).trimEnd() : null;
}

function Caption({ post, clamp }: { post: Post; clamp: boolean }) {
  const [expanded, setExpanded] = useState(false);
  if (!post.caption) return null;
  const collapsed = clamp && !expanded ? collapsedCaption(post.caption) : null;
  return (
    <div className="caption">
      <p className="caption-text">
        <Link to={`/${post.author.username}`} className="username">
          {post.author.username}
        </Link>{" "}
        {collapsed === null ? (
          <RichText text={post.caption} />
        ) : (
          <>
            <RichText text={collapsed} />…{" "}
            <button type="button" className="meta-button caption-more" onClick={() => setExpanded(true)}>
              more
            </button>
          </>
        )}
      </p>
    </div>
  );
}

type ActionsProps = { post: Post; like: ReturnType<typeof useLikePost>; onComment: () => void; surface?: Surface };

function Actions({ post, like, onComment, surface }: ActionsProps) {
  const save = useSavePost(post.id);
  const share = useSharePost(post, surface);
  const waitingId = useId();
  const requireLogin = useRequireLogin();
  const [showLikes, setShowLikes] = useState(false);
  const liked = post.liked_by_viewer;
  const saved = post.saved_by_viewer;
  return (
    <div className="post-actions-block">
      <div className="post-actions">
        <button
          type="button"
          className={`icon-button like-button${liked ? " is-liked" : ""}${like.isPaused ? " is-waiting" : ""}`}
          aria-label={liked ? "Unlike" : "Like"}
          aria-pressed={liked}
          aria-describedby={like.isPaused || save.isPaused ? waitingId : undefined}
          onClick={() => requireLogin() && like.mutate(!liked)}
        >
          <HeartIcon filled={liked} />
        </button>
        {post.comments_enabled && (
          <button type="button" className="icon-button" aria-label="Comment" onClick={onComment}>
            <CommentIcon />
          </button>
        )}
        {canShare() && (
          <button type="button" className="icon-button" aria-label="Share post" onClick={share}>
            <Icon name="share" />
          </button>
        )}
        <button
          type="button"
          className={`icon-button save-button${save.isPaused ? " is-waiting" : ""}`}
          aria-label={saved ? "Remove from saved" : "Save"}
          aria-pressed={saved}
          onClick={() => requireLogin() && save.mutate(!saved)}
        >
          <BookmarkIcon filled={saved} />
        </button>
      </div>
      {(like.isPaused || save.isPaused) && (
        <p id={waitingId} className="action-waiting" role="status">
          Waiting for a connection to send this.
        </p>
      )}
      <ErrorBanner error={like.error ?? save.error} />
      {post.like_count !== null &&
        (post.like_count > 0 ? (
          <button type="button" className="like-count" onClick={() => setShowLikes(true)}>
            {likesLine(post.like_count)}
          </button>
        ) : (
          <p className="like-count-empty">Be the first to like this</p>
        ))}
      {showLikes && <LikesDialog postId={post.id} onClose={() => setShowLikes(false)} />}
    </div>
  );
}

function FeedComments({ post }: { post: Post }) {
  const shown = post.comment_previews.length;
  const more = post.comment_count > shown;
  return (
    <>
      {more && (
        <Link to={`/p/${post.id}`} className="view-comments">
          {post.comment_count === 1 ? "View 1 comment" : `View all ${post.comment_count.toLocaleString()} comments`}
        </Link>
      )}
      {shown > 0 && (
        <ul className="list-plain comment-previews">
          {post.comment_previews.map((comment) => (
            <li key={comment.id}>
              <Link to={`/${comment.author.username}`} className="username">
                {comment.author.username}
              </Link>{" "}
              <RichText text={comment.text} />
            </li>
          ))}
        </ul>
      )}
    </>
  );
}

type PostCardProps = {
  post: Post;
  layout?: "feed" | "detail";
  /** The first post of a feed: its photo loads at once. */
  eager?: boolean;
  /** Where it is shown and its place there, for the impressions reported (none without a surface). */
  surface?: Surface;
  position?: number;
};

/** Stands where a post was put aside with "Not interested"; `announce`: it just was (not on an
 * earlier visit to the list), so confirm it and keep the keyboard here (the menu is gone). */
function NotInterestedNote({ post, announce }: { post: Post; announce: boolean }) {
  const note = useRef<HTMLDivElement>(null);
  const [toast, showToast] = useToast();
  const author = post.author.username;
  useEffect(() => {
    if (!announce) return;
    note.current?.focus();
    showToast(`We'll suggest fewer posts from @${author}.`);
  }, [announce, author, showToast]);
  return (
    <div ref={note} className="post-not-interested" tabIndex={-1}>
      <p className="post-not-interested-title">Post hidden</p>
      <p>Thanks, you'll see fewer posts like this.</p>
      <Toast message={toast} />
    </div>
  );
}

export function PostCard(props: PostCardProps) {
  const notInterested = useNotInterested(props.post.id);
  // Put aside while this card was on screen (not before it mounted): only then is it news.
  const [shownFirst] = useState(!notInterested);
  if (notInterested) return <NotInterestedNote post={props.post} announce={shownFirst} />;
  return <PostCardContent {...props} />;
}

function PostCardContent({ post, layout = "feed", eager = false, surface, position }: PostCardProps) {
  const { me } = useMe();
  const like = useLikePost(post.id);
  const requireLogin = useRequireLogin();
  const navigate = useNavigate();
  const detail = layout === "detail";
  const commentInput = useRef<HTMLInputElement>(null);
  const [replyTo, setReplyTo] = useState<ReplyTarget | null>(null);
  const [openThreads, setOpenThreads] = useState<ReadonlySet<string>>(new Set());
  const [burst, setBurst] = useState(0);
  const card = useRef<HTMLElement>(null);
  useImpression(card, { postId: post.id, surface, position, model: post.recommended?.model });

  const toggleThread = (id: string, open?: boolean) =>
    setOpenThreads((current) => {
      const next = new Set(current);
      if (open ?? !next.has(id)) next.add(id);
      else next.delete(id);
      return next;
    });

  const likeByDoubleTap = () => {
    if (!me) return;
    setBurst((n) => n + 1);
    if (!post.liked_by_viewer) like.mutate(true);
  };

  const canComment = Boolean(me) && post.comments_enabled;
  const onComment = () => {
    if (!requireLogin()) return;
    if (commentInput.current) commentInput.current.focus();
    else if (!detail) navigate(`/p/${post.id}`);
  };

  return (
    <article
      ref={card}
      tabIndex={-1}
      className={detail ? "post-card post-detail" : "post-card"}
      aria-label={`Post by ${post.author.username}`}
    >
      <PostHeader post={post} detail={detail} surface={detail ? "post" : surface} />
      <div className="post-media">
        <SensitiveCover sensitive={post.sensitive}>
          <Carousel items={post.items} eager={eager} onDoubleTap={likeByDoubleTap} />
        </SensitiveCover>
        {burst > 0 && (
          <span key={burst} className="like-burst" aria-hidden="true">
            <HeartIcon filled size={96} />
          </span>
        )}
      </div>
      <div className="post-side">
        {detail && (
          <div className="post-thread">
            <Caption post={post} clamp={false} />
            <HeldComments post={post} />
            <CommentList post={post} onReply={setReplyTo} openThreads={openThreads} onToggleThread={toggleThread} />
          </div>
        )}
        <div className="post-footer">
          <Actions post={post} like={like} onComment={onComment} surface={detail ? "post" : surface} />
          {!detail && <Caption post={post} clamp />}
          {!detail && <FeedComments post={post} />}
          {detail && <TimeAgo iso={post.created_at} className="post-date" />}
          {canComment && (
            <CommentForm
              postId={post.id}
              replyTo={detail ? replyTo : null}
              inputRef={commentInput}
              onReplyDone={(target) => {
                setReplyTo(null);
                if (target) toggleThread(target.threadId, true);
              }}
            />
          )}
          {me === null && (
            <p className="hint post-login">
              <Link to={`/login?next=${encodeURIComponent(`/p/${post.id}`)}`}>Log in</Link> to like or comment.
            </p>
          )}
          {me && detail && !post.comments_enabled && <p className="hint">Comments are turned off for this post.</p>}
        </div>
      </div>
    </article>
  );
}
