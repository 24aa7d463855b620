/** A post's own page (/p/:postId): media beside the thread on wide screens, stacked on phones. While
 * its media is still processing (just shared) it checks again every few seconds. Opened from an
 * Explore tile the recommender chose, it says so (with why, and "Not interested" in its menu) and
 * credits its open to the model that chose it. */
import { useQuery } from "@tanstack/react-query";
import { useEffect, useMemo, useRef } from "react";
import { Link, useLocation, useParams } from "react-router-dom";
import { ApiError, api, type Post, unwrap } from "../api/client";
import { pathWithNext } from "../accounts/signIn";
import { useMe } from "../auth/auth";
import { BackBar } from "../components/BackBar";
import { ErrorBanner, PageNotFound } from "../components/Errors";
import { Spinner } from "../components/Spinner";
import { reportInteraction } from "../interactions/reporter";
import { PostCard } from "../posts/PostCard";
import { asSuggested } from "../posts/suggested";
import "../posts/feed.css";

const PROCESSING_POLL_MS = 2000;

function unavailable(error: unknown): boolean {
  return error instanceof ApiError && [400, 403, 404, 410].includes(error.status);
}

function pageTitle(post: Post): string {
  const who = post.author.display_name || post.author.username;
  const caption = post.caption.trim().replace(/\s+/g, " ");
  const shown = caption.length > 60 ? `${caption.slice(0, 60)}…` : caption;
  return shown ? `${who} on Viewfinder: “${shown}”` : `Post by ${who} • Viewfinder`;
}

export function PostDetail() {
  const { postId = "" } = useParams();
  const query = useQuery({
    queryKey: ["post", postId],
    queryFn: () => unwrap(api.GET("/api/viewfinder/v1/posts/{post_id}", { params: { path: { post_id: postId } } })),
    refetchInterval: (current) => (current.state.data?.state === "processing" ? PROCESSING_POLL_MS : false),
    retry: (failures, error) => !unavailable(error) && failures < 2,
  });
  const { state } = useLocation();
  const post = useMemo(() => query.data && asSuggested(query.data, state), [query.data, state]);
  const viewer = useMe().me?.profile.id;
  // One `open` per post shown here, not one per refetch (a processing post is polled).
  const opened = useRef<string | null>(null);

  useEffect(() => {
    if (!post || !viewer || opened.current === post.id) return;
    opened.current = post.id;
    reportInteraction(
      { kind: "open", post_id: post.id, surface: "post", position: null, model: post.recommended?.model ?? null },
      viewer,
    );
  }, [post, viewer]);

  useEffect(() => {
    if (post) document.title = pageTitle(post);
    else if (query.isError) document.title = "Post unavailable • Viewfinder";
  }, [post, query.isError]);

  // Without history, back leads to the author's profile once the post is known.
  const back = <BackBar title="Post" fallback={post ? `/${post.author.username}` : "/"} />;
  if (query.isPending) {
    return (
      <>
        {back}
        <h1 className="visually-hidden">Post</h1>
        <Spinner label="Loading post" />
      </>
    );
  }
  if (!post) {
    if (unavailable(query.error) && !viewer) {
      // Signed out: the post may be one of a private account, shown to its followers only.
      return (
        <>
          {back}
          <div className="empty-state post-unavailable">
            <h1>Log in to see this post</h1>
            <p>It may be from a private account, shown only to the people it approved. Or the link may be broken.</p>
            <Link to={pathWithNext("/login", `/p/${postId}`)} className="button">
              Log in
            </Link>
            <Link to={pathWithNext("/signup", `/p/${postId}`)} className="button button-secondary">
              Sign up
            </Link>
          </div>
        </>
      );
    }
    if (unavailable(query.error)) {
      return (
        <>
          {back}
          <PageNotFound />
        </>
      );
    }
    return (
      <div className="post-page">
        {back}
        <h1 className="visually-hidden">Post</h1>
        <ErrorBanner error={query.error} onRetry={() => query.refetch()} />
      </div>
    );
  }
  return (
    <div className="wide post-page">
      {back}
      <h1 className="visually-hidden">Post by {post.author.username}</h1>
      <PostCard post={post} layout="detail" eager />
    </div>
  );
}
