/** Likes and saves of a post, optimistic in every cached copy and rolled back on failure. */
import { type QueryClient, useMutation, useQueryClient } from "@tanstack/react-query";
import { useLocation, useNavigate } from "react-router-dom";
import { api, type Post, unwrap } from "../api/client";
import { useMe } from "../auth/auth";
import { restore, type Snapshot, snapshotPosts, updatePost } from "./cache";

const POST = "/api/viewfinder/v1/posts/{post_id}" as const;

/** A guard for actions that need an account: sends anyone signed out to log in (and back). */
export function useRequireLogin(): () => boolean {
  const { me } = useMe();
  const navigate = useNavigate();
  const location = useLocation();
  return () => {
    if (me) return true;
    navigate(`/login?next=${encodeURIComponent(location.pathname + location.search)}`);
    return false;
  };
}

function withLike(post: Post, liked: boolean): Post {
  if (post.liked_by_viewer === liked) return post;
  const count = post.like_count === null ? null : Math.max(0, post.like_count + (liked ? 1 : -1));
  return { ...post, liked_by_viewer: liked, like_count: count };
}

/** The optimistic half of a post's on/off toggle: `change` applied to every cached copy before the
 * request (after cancelling the post's own fetch), and everything put back if the request fails. */
function optimisticToggle(client: QueryClient, postId: string, change: (post: Post, on: boolean) => Post) {
  return {
    onMutate: async (on: boolean) => {
      await client.cancelQueries({ queryKey: ["post", postId] });
      const snapshot = snapshotPosts(client);
      updatePost(client, postId, (post) => change(post, on));
      return { snapshot };
    },
    onError: (_error: unknown, _on: boolean, context: { snapshot: Snapshot } | undefined) => {
      if (context) restore(client, context.snapshot);
    },
  };
}

/** `mutate(true)` likes, `mutate(false)` unlikes; the heart and count change at once. */
export function useLikePost(postId: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (like: boolean) => {
      const path = { params: { path: { post_id: postId } } };
      return unwrap(like ? api.POST(`${POST}/like`, path) : api.DELETE(`${POST}/like`, path));
    },
    ...optimisticToggle(client, postId, withLike),
    onSuccess: (state) => {
      // The server's count wins, unless another tap has changed the heart since.
      updatePost(client, postId, (post) =>
        post.liked_by_viewer === state.liked ? { ...post, like_count: state.like_count } : post,
      );
    },
  });
}

/** `mutate(true)` saves, `mutate(false)` removes from saved; optimistic like likes. */
export function useSavePost(postId: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (save: boolean) => {
      const path = { params: { path: { post_id: postId } } };
      return unwrap(save ? api.POST(`${POST}/save`, path) : api.DELETE(`${POST}/save`, path));
    },
    ...optimisticToggle(client, postId, (post, save) => ({ ...post, saved_by_viewer: save })),
    onSuccess: () => client.invalidateQueries({ queryKey: ["saved"], refetchType: "none" }),
  });
}
