/** Home: the community's active announcements on top, then the "Following" and "For you" feeds with
 * infinite scroll ("For you": the ranked feed with suggested posts of accounts you don't follow in
 * between); a welcome with suggested accounts while the feed is empty. */
import type { QueryClient } from "@tanstack/react-query";
import { type KeyboardEvent, type RefObject, startTransition, useEffect, useRef, useState } from "react";
import { useSearchParams } from "react-router-dom";
import { api, type Post, unwrap } from "../api/client";
import { AnnouncementStrip } from "../community/AnnouncementStrip";
import { ErrorBanner } from "../components/Errors";
import { cursorPagesOptions, LoadMore, useCursorPages } from "../components/InfiniteList";
import type { Surface } from "../interactions/reporter";
import { FeedSkeleton } from "../posts/FeedSkeleton";
import { PostCard } from "../posts/PostCard";
import { SuggestionsColumn, Welcome } from "../posts/Welcome";
import { Icon } from "../components/Icon";
import { OfflineState } from "../components/Offline";
import "../posts/feed.css";

const EMPTY_FEED_POLL_MS = 4000;

type Mode = "following" | "for_you";
type Tab = { mode: Mode; label: string; param: string };
const FOLLOWING: Tab = { mode: "following", label: "Following", param: "following" };
const TABS: Tab[] = [FOLLOWING, { mode: "for_you", label: "For you", param: "for-you" }];
/** Where a feed's impressions say they were shown. */
const SURFACES: Record<Mode, Surface> = { following: "home_following", for_you: "for_you" };

/** The feed a `?feed=` search parameter selects (Following without one). */
function tabOf(param: string | null): Tab {
  return TABS.find((tab) => tab.param === param) ?? FOLLOWING;
}

/** Posts in the feed's first page: a phone shows one or two, and every post more is JSON to fetch and
 * cards to render before the first one can show (issue 17: a first page of 20 was 57 KB and most of
 * the blocking time). The pages after it are the API's default size. */
export const FIRST_PAGE = 8;

function fetchFeedPage(mode: Mode, cursor: string | undefined) {
  const limit = cursor ? undefined : FIRST_PAGE;
  return unwrap(api.GET("/api/viewfinder/v1/feed", { params: { query: { mode, cursor, limit } } }));
}

/** Asks for the first page of the feed `search` selects before anyone knows who is signed in, so
 * the feed and `/accounts/me` travel together instead of one after the other (issue 17: one round
 * trip fewer before the first post). Signed out, the feed answers 401 and the landing page shows. */
export function prefetchFeed(client: QueryClient, search: string) {
  const { mode } = tabOf(new URLSearchParams(search).get("feed"));
  void client.prefetchInfiniteQuery(cursorPagesOptions(["feed", mode], (cursor) => fetchFeedPage(mode, cursor)));
}

/** Whether a key pressed here is someone typing, or a shortcut the page (a dialog) handles itself. */
function typing(event: globalThis.KeyboardEvent): boolean {
  const target = event.target as HTMLElement | null;
  if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) return true;
  if (target?.closest("input, textarea, select, [contenteditable='true'], [role='dialog'], [role='menu']")) return true;
  return document.querySelector("[role='dialog'][aria-modal='true'], dialog[open]") !== null;
}

/** j and k move between the feed's posts, l likes (or unlikes) the one you are on: the post with the
 * keyboard focus, else the first one on screen (issue 17, finish). */
function useFeedShortcuts(feed: RefObject<HTMLDivElement | null>) {
  useEffect(() => {
    const onKey = (event: globalThis.KeyboardEvent) => {
      if (!["j", "k", "l"].includes(event.key) || typing(event) || !feed.current) return;
      const posts = [...feed.current.querySelectorAll<HTMLElement>(":scope > article")];
      if (posts.length === 0) return;
      const focused = posts.findIndex((post) => post.contains(document.activeElement));
      const onScreen = Math.max(0, posts.findIndex((post) => post.getBoundingClientRect().bottom > 80));
      const current = focused >= 0 ? focused : onScreen;
      event.preventDefault();
      if (event.key === "l") {
        posts[current]?.querySelector<HTMLButtonElement>(".like-button")?.click();
        return;
      }
      const step = event.key === "j" ? 1 : -1;
      // Nothing chosen yet: j starts at the post on screen, k at the one above it.
      const next = focused >= 0 ? current + step : step > 0 ? onScreen : onScreen - 1;
      const target = posts[Math.max(0, Math.min(posts.length - 1, next))];
      target?.focus({ preventScroll: true });
      target?.scrollIntoView?.({ block: "start" });
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [feed]);
}

/** Whether the screen is wide enough for a column beside the feed (the width the side navigation shows
 * its labels at, styles.css); followed as the window is resized. */
const WIDE = "(min-width: 1200px)";
function useWideScreen(): boolean {
  const query = typeof window.matchMedia === "function" ? window.matchMedia(WIDE) : null;
  const [wide, setWide] = useState(query?.matches ?? false);
  useEffect(() => {
    if (!query) return;
    const changed = () => setWide(query.matches);
    query.addEventListener("change", changed);
    return () => query.removeEventListener("change", changed);
  }, [query?.media]);
  return wide;
}

/** Posts the first render shows: a phone's first screen. The others follow in a transition, which
 * React renders in short slices, so eight cards rendered at once do not hold up the first paint
 * (issue 17: the first page now comes with the HTML, and was one long task with the app's start). */
const FIRST_RENDER = 2;

/** The first `FIRST_RENDER` posts until the screen has painted once, then all of them. */
function useRenderedFirst<T>(items: T[]): T[] {
  const [all, setAll] = useState(false);
  useEffect(() => startTransition(() => setAll(true)), []);
  return all ? items : items.slice(0, FIRST_RENDER);
}

function Feed({ mode }: { mode: Mode }) {
  const list = useRef<HTMLDivElement>(null);
  useFeedShortcuts(list);
  const feed = useCursorPages<Post>(["feed", mode], (cursor) => fetchFeedPage(mode, cursor));
  const posts = useRenderedFirst(feed.items);
  // A follow fills the timeline in the background: while the feed is empty, look again now and then.
  const empty = feed.isSuccess && feed.items.length === 0;
  const { refetch } = feed;
  useEffect(() => {
    if (!empty) return;
    const timer = setInterval(() => refetch(), EMPTY_FEED_POLL_MS);
    return () => clearInterval(timer);
  }, [empty, refetch]);
  if (feed.isPending && feed.fetchStatus === "paused") return <OfflineState />;
  if (feed.isPending) return <FeedSkeleton />;
  if (feed.isError && feed.items.length === 0) {
    return (
      <div className="feed-error">
        <p>We couldn't load your feed.</p>
        <ErrorBanner error={feed.error} onRetry={() => feed.refetch()} />
      </div>
    );
  }
  if (feed.items.length === 0) return <Welcome onShowFeed={() => feed.refetch()} />;
  return (
    <>
      <div className="feed" ref={list} aria-keyshortcuts="j k l">
        {posts.map((post, index) => (
          <PostCard key={post.id} post={post} eager={index === 0} surface={SURFACES[mode]} position={index} />
        ))}
      </div>
      <LoadMore {...feed} />
      {!feed.hasNextPage && !feed.isError && (
        <p className="feed-end">
          <Icon name="check" size="1em" /> You're all caught up
        </p>
      )}
    </>
  );
}

export function Home() {
  const [params, setParams] = useSearchParams();
  const current = tabOf(params.get("feed"));
  const wide = useWideScreen();
  const tabs = useRef<HTMLDivElement>(null);

  useEffect(() => {
    document.title = "Viewfinder";
  }, []);

  const select = (param: string) => setParams(param === "following" ? {} : { feed: param }, { replace: true });

  // Arrow keys move between the tabs (and select them), as the ARIA tabs pattern says.
  const onKeyDown = (event: KeyboardEvent) => {
    if (event.key !== "ArrowLeft" && event.key !== "ArrowRight") return;
    const index = TABS.indexOf(current);
    const next = TABS[(index + (event.key === "ArrowRight" ? 1 : TABS.length - 1)) % TABS.length] ?? FOLLOWING;
    select(next.param);
    tabs.current?.querySelector<HTMLElement>(`#feed-tab-${next.param}`)?.focus();
    event.preventDefault();
  };

  return (
    <div className={wide ? "home home-with-aside" : "home"}>
      <div className="home-main">
        <h1 className="visually-hidden">Home</h1>
        <AnnouncementStrip onLastDismissed={() => tabs.current?.querySelector<HTMLElement>('[aria-selected="true"]')?.focus()} />
        <div className="tabs home-tabs" role="tablist" aria-label="Feeds" ref={tabs} onKeyDown={onKeyDown}>
          {TABS.map((tab) => (
            <button
              key={tab.param}
              id={`feed-tab-${tab.param}`}
              type="button"
              role="tab"
              aria-selected={tab === current}
              aria-controls="feed-panel"
              tabIndex={tab === current ? 0 : -1}
              onClick={() => select(tab.param)}
            >
              {tab.label}
            </button>
          ))}
        </div>
        <div id="feed-panel" role="tabpanel" aria-labelledby={`feed-tab-${current.param}`}>
          <Feed key={current.mode} mode={current.mode} />
        </div>
      </div>
      {wide && <SuggestionsColumn />}
    </div>
  );
}
