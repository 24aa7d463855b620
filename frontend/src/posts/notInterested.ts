/** "Not interested" on a suggested post: the event goes to the recommender at once, and the post
 * gives way to a short note wherever its card is shown, for as long as the lists already loaded
 * still hold it (the next pages of For you and Explore leave it and its account out).
 *
 * The posts put aside live in the query cache rather than in a card's state, so a list shown again
 * (another tab, then back) still hides them, and a change of viewer forgets them with the rest. */
import { type QueryClient, useQuery, useQueryClient } from "@tanstack/react-query";
import type { Post } from "../api/client";
import { reportInteraction, type Surface } from "../interactions/reporter";

const NOT_INTERESTED_KEY = ["not-interested"] as const;

function putAside(client: QueryClient): readonly string[] {
  return client.getQueryData<readonly string[]>(NOT_INTERESTED_KEY) ?? [];
}

/** Whether the viewer said "Not interested" to the post in this session. */
export function useNotInterested(postId: string): boolean {
  const client = useQueryClient();
  const { data } = useQuery({
    queryKey: NOT_INTERESTED_KEY,
    // Nothing to fetch: a refetch (invalidating everything) must keep what is there.
    queryFn: () => putAside(client),
    initialData: () => putAside(client),
    staleTime: Infinity,
    gcTime: Infinity,
  });
  return data.includes(postId);
}

/** Reports `not_interested` for the suggested `post` (sent at once) and hides it from view. */
export function markNotInterested(
  client: QueryClient,
  post: Post,
  viewer: string | undefined,
  surface: Surface | undefined,
): void {
  reportInteraction(
    { kind: "not_interested", post_id: post.id, surface: surface ?? null, position: null, model: post.recommended?.model ?? null },
    viewer,
  );
  const ids = putAside(client);
  if (!ids.includes(post.id)) client.setQueryData(NOT_INTERESTED_KEY, [...ids, post.id]);
  // Lists loaded again start without the post and its account; until then the note stands in.
  client.invalidateQueries({ queryKey: ["feed", "for_you"], refetchType: "none" });
  client.invalidateQueries({ queryKey: ["explore"], refetchType: "none" });
}
