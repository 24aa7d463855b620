/** Cursor pages (the API's {items, next_cursor}) as one growing list, loaded as the end scrolls into view. */
import { type InfiniteData, infiniteQueryOptions, type QueryKey, useInfiniteQuery } from "@tanstack/react-query";
import { useEffect, useRef } from "react";
import { ErrorBanner } from "./Errors";
import { Spinner } from "./Spinner";

export type PageOf<T> = { items: T[]; next_cursor?: string | null };

type FetchPage<T> = (cursor: string | undefined) => Promise<PageOf<T>>;

/** The infinite query of a cursor-paged endpoint, for useCursorPages and for a prefetch of its first page
 * (QueryClient.prefetchInfiniteQuery) that the list then finds in the cache. */
export function cursorPagesOptions<T>(key: QueryKey, fetchPage: FetchPage<T>) {
  return infiniteQueryOptions<PageOf<T>, Error, InfiniteData<PageOf<T>>, QueryKey, string | undefined>({
    queryKey: key,
    queryFn: ({ pageParam }) => fetchPage(pageParam),
    initialPageParam: undefined,
    getNextPageParam: (last) => last.next_cursor ?? undefined,
  });
}

/** A useInfiniteQuery over a cursor-paged endpoint; `items` is every page's items in order. */
export function useCursorPages<T>(key: QueryKey, fetchPage: FetchPage<T>, enabled = true) {
  const query = useInfiniteQuery({ ...cursorPagesOptions(key, fetchPage), enabled });
  const items = query.data?.pages.flatMap((page) => page.items) ?? [];
  return { ...query, items };
}

type MoreProps = {
  hasNextPage: boolean;
  isFetchingNextPage: boolean;
  fetchNextPage: () => unknown;
  error: unknown;
};

/** Put after a list: fetches the next page when it comes near the viewport; also a button (keyboard). */
export function LoadMore({ hasNextPage, isFetchingNextPage, fetchNextPage, error }: MoreProps) {
  const sentinel = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const element = sentinel.current;
    if (!element || !hasNextPage || typeof IntersectionObserver === "undefined") return;
    const observer = new IntersectionObserver(
      (entries) => {
        if (entries.some((entry) => entry.isIntersecting) && !isFetchingNextPage) fetchNextPage();
      },
      { rootMargin: "800px 0px" },
    );
    observer.observe(element);
    return () => observer.disconnect();
  }, [hasNextPage, isFetchingNextPage, fetchNextPage]);
  if (error) return <ErrorBanner error={error} onRetry={() => fetchNextPage()} />;
  if (!hasNextPage) return null;
  return (
    <div ref={sentinel} className="load-more">
      {isFetchingNextPage ? (
        <Spinner label="Loading more" />
      ) : (
        <button type="button" className="button button-secondary" onClick={() => fetchNextPage()}>
          Load more
        </button>
      )}
    </div>
  );
}
