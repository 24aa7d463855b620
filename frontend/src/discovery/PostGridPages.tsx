/** A paged grid of posts (Explore, a hashtag, saved posts, a collection): the first-load spinner,
 * errors with a retry, an empty state, and more pages as the end scrolls into view. */
import type { ReactNode } from "react";
import type { Post } from "../api/client";
import { ErrorBanner } from "../components/Errors";
import { LoadMore, useCursorPages } from "../components/InfiniteList";
import { OfflineState } from "../components/Offline";
import { PostGrid } from "../components/PostGrid";
import { Spinner } from "../components/Spinner";
import type { Surface } from "../interactions/reporter";

type Props = {
  query: ReturnType<typeof useCursorPages<Post>>;
  /** Names the grid for screen readers, e.g. "Explore posts". */
  label: string;
  empty: ReactNode;
  /** Where the grid is, for the impressions reported. */
  surface?: Surface;
};

export function PostGridPages({ query, label, empty, surface }: Props) {
  if (query.isPending && query.fetchStatus === "paused") return <OfflineState />;
  if (query.isPending) return <Spinner label="Loading posts" />;
  if (query.isError && !query.data) return <ErrorBanner error={query.error} onRetry={() => query.refetch()} />;
  if (query.items.length === 0) return <>{empty}</>;
  return (
    <>
      <PostGrid posts={query.items} label={label} surface={surface} />
      <LoadMore {...query} error={query.isFetchNextPageError ? query.error : null} />
    </>
  );
}
