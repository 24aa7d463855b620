/** Adding, liking and deleting comments, each shown at once in every cached list and rolled back on failure. */
import { type InfiniteData, useMutation, useQueryClient } from "@tanstack/react-query";
import { api, type Comment, type Me, unwrap } from "../api/client";
import { useMe } from "../auth/auth";
import type { PageOf } from "../components/InfiniteList";
import { insertComment, removeComment, restore, snapshotPosts, updateComment, updatePost } from "./cache";

export const PENDING_PREFIX = "pending-";

export function isPending(comment: Comment): boolean {
  return comment.id.startsWith(PENDING_PREFIX);
}

/** What a reply answers: the comment replied to and the top-level thread it joins. */
export type ReplyTarget = { commentId: string; threadId: string; username: string };

type NewComment = { text: string; replyTo: ReplyTarget | null };

let pendingCount = 0;

function draft(me: Me, postId: string, { text, replyTo }: NewComment): Comment {
  pendingCount += 1;
  const { profile } = me;
  return {
    id: `${PENDING_PREFIX}${pendingCount}`,
    post_id: postId,
    parent_id: replyTo?.threadId ?? null,
    author: {
      id: profile.id,
      username: profile.username,
      display_name: profile.display_name,
      avatar_url: profile.avatar_url,
      is_private: profile.is_private,
      relationship: null,
    },
    text,
    like_count: 0,
    reply_count: 0,
    liked_by_viewer: false,
    created_at: new Date().toISOString(),
    held: false,
  };
}

/** Posts a comment (or a reply); it shows at once in the post's comments (or the thread's replies)
 * and the feed card's previews, and the post's comment count goes up. */
export function useAddComment(postId: string) {
  const client = useQueryClient();
  const { me } = useMe();
  return useMutation({
    mutationFn: ({ text, replyTo }: NewComment) =>
      unwrap(
        api.POST("/api/viewfinder/v1/posts/{post_id}/comments", {
          params: { path: { post_id: postId } },
          body: { text, reply_to: replyTo?.commentId ?? null },
        }),
      ),
    onMutate: async (comment: NewComment) => {
      const snapshot = snapshotPosts(client);
      if (!me) return { snapshot, pending: null };
      const pending = draft(me, postId, comment);
      const thread = comment.replyTo?.threadId;
      if (thread) {
        insertComment(client, ["replies", thread], pending, "end");
        updateComment(client, thread, (parent) => ({ ...parent, reply_count: parent.reply_count + 1 }));
      } else {
        // Oldest first: at the end once every page is here, else at the top where it can be seen.
        const loaded = client.getQueryData<InfiniteData<PageOf<Comment>>>(["comments", postId]);
        const complete = !loaded?.pages.at(-1)?.next_cursor;
        insertComment(client, ["comments", postId], pending, complete ? "end" : "start");
      }
      updatePost(client, postId, (post) => ({
        ...post,
        comment_count: post.comment_count + 1,
        comment_previews: thread ? post.comment_previews : [...post.comment_previews, pending],
      }));
      return { snapshot, pending };
    },
    onError: (_error, _comment, context) => {
      if (context) restore(client, context.snapshot);
    },
    onSuccess: (saved, comment, context) => {
      if (context?.pending) updateComment(client, context.pending.id, () => saved);
      // A held comment (its author is restricted, or a rule holds it) is not counted until approved.
      if (saved.held) {
        const thread = comment.replyTo?.threadId;
        if (thread) updateComment(client, thread, (parent) => ({ ...parent, reply_count: Math.max(0, parent.reply_count - 1) }));
        updatePost(client, postId, (post) => ({ ...post, comment_count: Math.max(0, post.comment_count - 1) }));
      }
    },
  });
}

export function useLikeComment(comment: Comment) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (like: boolean) => {
      const path = { params: { path: { comment_id: comment.id } } };
      const url = "/api/viewfinder/v1/comments/{comment_id}/like" as const;
      return unwrap(like ? api.POST(url, path) : api.DELETE(url, path));
    },
    onMutate: (like: boolean) => {
      const snapshot = snapshotPosts(client);
      updateComment(client, comment.id, (c) =>
        c.liked_by_viewer === like
          ? c
          : { ...c, liked_by_viewer: like, like_count: Math.max(0, c.like_count + (like ? 1 : -1)) },
      );
      return { snapshot };
    },
    onError: (_error, _like, context) => {
      if (context) restore(client, context.snapshot);
    },
    onSuccess: (state) => {
      updateComment(client, comment.id, (c) =>
        c.liked_by_viewer === state.liked ? { ...c, like_count: state.like_count } : c,
      );
    },
  });
}

/** Deletes a comment (a top-level one takes its replies along); once the API agrees, it leaves every
 * list and the post's count drops by as many (not optimistic: a failure shows beside the comment). */
export function useDeleteComment(comment: Comment) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: () =>
      unwrap(api.DELETE("/api/viewfinder/v1/comments/{comment_id}", { params: { path: { comment_id: comment.id } } })),
    onSuccess: () => {
      const removed = 1 + (comment.parent_id ? 0 : comment.reply_count);
      removeComment(client, comment.id);
      if (comment.parent_id) {
        updateComment(client, comment.parent_id, (parent) => ({
          ...parent,
          reply_count: Math.max(0, parent.reply_count - 1),
        }));
      }
      updatePost(client, comment.post_id, (post) => ({
        ...post,
        comment_count: Math.max(0, post.comment_count - removed),
      }));
    },
  });
}
