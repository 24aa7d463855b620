/** A post opened from a tile the recommender chose (Explore) carries that choice to its page in the
 * router's state: the post's own endpoint knows nothing of why it was suggested. */
import type { Post } from "../api/client";

export type FromSuggestion = { recommended: NonNullable<Post["recommended"]> };

function isFromSuggestion(state: unknown): state is FromSuggestion {
  if (typeof state !== "object" || state === null) return false;
  return typeof (state as Partial<FromSuggestion>).recommended?.reason === "string";
}

/** The post as the recommender showed it, when it was opened from its suggestion. */
export function asSuggested(post: Post, state: unknown): Post {
  if (post.recommended || !isFromSuggestion(state)) return post;
  return { ...post, recommended: state.recommended };
}
