/** The phone's own share sheet for a post (issue 17, finish), where the browser has one
 * (navigator.share: phones, some desktops); elsewhere the post's menu has "Copy link". */
import type { Post } from "../api/client";
import type { Surface } from "../interactions/reporter";
import { useReportInteraction } from "../interactions/useImpression";

/** Whether this browser can open a share sheet. */
export function canShare(): boolean {
  return typeof navigator !== "undefined" && typeof navigator.share === "function";
}

/** Opens the share sheet for `post`; a completed share is reported like a copied link. */
export function useSharePost(post: Post, surface?: Surface): () => Promise<void> {
  const report = useReportInteraction();
  return async () => {
    const caption = post.caption.split("\n")[0]?.slice(0, 100) ?? "";
    try {
      await navigator.share({
        title: `Post by @${post.author.username}`,
        text: caption || undefined,
        url: `${window.location.origin}/p/${post.id}`,
      });
    } catch {
      return; // closed without sharing (AbortError), or the browser refused: nothing happened
    }
    report({ kind: "share", post_id: post.id, surface: surface ?? null, position: null, model: post.recommended?.model ?? null });
  };
}
