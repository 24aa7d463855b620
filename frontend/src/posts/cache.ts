/** Keeping every cached copy of a post or comment consistent after a change: the post's own query,
 * the feeds, and any other list of posts (profiles, hashtags, saved), whatever its shape. */
import type { InfiniteData, QueryClient, QueryKey } from "@tanstack/react-query";
import type { Comment, Post } from "../api/client";
import type { PageOf } from "../components/InfiniteList";

/** The query keys whose data hold posts (one, an array, or cursor pages). */
const POST_LISTS = ["post", "feed", "user-posts", "explore", "hashtag", "saved", "collection"];
const COMMENT_LISTS = ["comments", "replies"];

export type Snapshot = Array<[QueryKey, unknown]>;

function isPost(value: unknown): value is Post {
  return typeof value === "object" && value !== null && "author" in value && "items" in value && "like_count" in value;
}

function isPages(value: unknown): value is InfiniteData<PageOf<unknown>> {
  return typeof value === "object" && value !== null && Array.isArray((value as { pages?: unknown }).pages);
}

/** Applies `change` to each element of a list, of cursor pages, or to a single value; `change` returns
 * the item itself (unchanged), a replacement, or null (remove it from a list). Unchanged data keeps its identity. */
function mapData(data: unknown, change: (item: unknown) => unknown): unknown {
  const mapList = (items: unknown[]) => {
    let changed = false;
    const next: unknown[] = [];
    for (const item of items) {
      const result = change(item);
      if (result !== item) changed = true;
      if (result !== null) next.push(result);
    }
    return changed ? next : items;
  };
  if (isPages(data)) {
    let changed = false;
    const pages = data.pages.map((page) => {
      if (!page || !Array.isArray(page.items)) return page;
      const items = mapList(page.items);
      if (items === page.items) return page;
      changed = true;
      return { ...page, items };
    });
    return changed ? { ...data, pages } : data;
  }
  if (Array.isArray(data)) return mapList(data);
  const result = change(data);
  return result === null ? data : result;
}

function byPrefix(prefixes: string[]) {
  return { predicate: (query: { queryKey: QueryKey }) => prefixes.includes(String(query.queryKey[0])) };
}

/** Every cached query that holds posts, for a later rollback. */
export function snapshotPosts(client: QueryClient): Snapshot {
  return client.getQueriesData(byPrefix([...POST_LISTS, ...COMMENT_LISTS]));
}

export function restore(client: QueryClient, snapshot: Snapshot) {
  for (const [key, data] of snapshot) client.setQueryData(key, data);
}

/** Replaces the post with `postId` by `update(post)` in every cached copy. */
export function updatePost(client: QueryClient, postId: string, update: (post: Post) => Post) {
  client.setQueriesData(byPrefix(POST_LISTS), (data: unknown) =>
    mapData(data, (item) => (isPost(item) && item.id === postId ? update(item) : item)),
  );
}

/** Removes from every cached list the posts for which `doomed(post)` holds (single-post queries are left alone). */
export function removePosts(client: QueryClient, doomed: (post: Post) => boolean) {
  client.setQueriesData(byPrefix(POST_LISTS.filter((prefix) => prefix !== "post")), (data: unknown) =>
    mapData(data, (item) => (isPost(item) && doomed(item) ? null : item)),
  );
}

function isComment(value: unknown): value is Comment {
  return typeof value === "object" && value !== null && "post_id" in value && "text" in value && "reply_count" in value;
}

/** Replaces a comment in the comment lists, the reply lists and the posts' comment previews. */
export function updateComment(client: QueryClient, commentId: string, update: (comment: Comment) => Comment) {
  const change = (item: unknown) => (isComment(item) && item.id === commentId ? update(item) : item);
  client.setQueriesData(byPrefix(COMMENT_LISTS), (data: unknown) => mapData(data, change));
  client.setQueriesData(byPrefix(POST_LISTS), (data: unknown) =>
    mapData(data, (item) => {
      if (!isPost(item) || !item.comment_previews.some((c) => c.id === commentId)) return item;
      return { ...item, comment_previews: item.comment_previews.map((c) => (c.id === commentId ? update(c) : c)) };
    }),
  );
}

/** Removes a comment (and, for a top-level one, its replies' list) from every cache. */
export function removeComment(client: QueryClient, commentId: string) {
  client.setQueriesData(byPrefix(COMMENT_LISTS), (data: unknown) =>
    mapData(data, (item) => (isComment(item) && item.id === commentId ? null : item)),
  );
  client.setQueriesData(byPrefix(POST_LISTS), (data: unknown) =>
    mapData(data, (item) => {
      if (!isPost(item) || !item.comment_previews.some((c) => c.id === commentId)) return item;
      return { ...item, comment_previews: item.comment_previews.filter((c) => c.id !== commentId) };
    }),
  );
  client.removeQueries({ queryKey: ["replies", commentId] });
}

/** Adds a comment to a cached comment list (["comments", postId] or ["replies", id]): at the start of
 * the first page (a new comment shows at once, above older ones) or the end of the last (a reply). */
export function insertComment(client: QueryClient, key: QueryKey, comment: Comment, where: "start" | "end") {
  client.setQueryData<InfiniteData<PageOf<Comment>>>(key, (data) => {
    if (!data || data.pages.length === 0) return data;
    const pages = [...data.pages];
    const index = where === "start" ? 0 : pages.length - 1;
    const page = pages[index] as PageOf<Comment>;
    pages[index] = { ...page, items: where === "start" ? [comment, ...page.items] : [...page.items, comment] };
    return { ...data, pages };
  });
}
