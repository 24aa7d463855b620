/** A hashtag's page: "#sunset" with its post count, then its posts, most recent or top (most
 * engaging of the last 30 days), loaded as you scroll. An unused tag shows an empty state. */
import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { useParams } from "react-router-dom";
import { ApiError, api, type Post, unwrap } from "../api/client";
import { BackBar } from "../components/BackBar";
import { ErrorBanner } from "../components/Errors";
import { useCursorPages } from "../components/InfiniteList";
import { EmptyState } from "../discovery/EmptyState";
import { PostGridPages } from "../discovery/PostGridPages";
import { postCount } from "../discovery/ResultRows";
import { TabPanel, Tabs, type TabSpec } from "../discovery/Tabs";
import "../discovery/discovery.css";

type Order = "recent" | "top";

const TABS: TabSpec<Order>[] = [
  { id: "recent", label: "Recent" },
  { id: "top", label: "Top" },
];

function HashtagPosts({ tag, order }: { tag: string; order: Order }) {
  const query = useCursorPages<Post>(["hashtag", tag, "posts", order], (cursor) =>
    unwrap(api.GET("/api/viewfinder/v1/hashtags/{tag}/posts", { params: { path: { tag }, query: { order, cursor } } })),
  );
  return (
    <PostGridPages
      query={query}
      label={`Posts tagged #${tag}`}
      surface="hashtag"
      empty={<EmptyState icon="#" title="No posts yet" />}
    />
  );
}

export function Hashtag() {
  const tag = (useParams().tag ?? "").replace(/^#/, "").toLowerCase();
  const [order, setOrder] = useState<Order>("recent");
  const info = useQuery({
    queryKey: ["hashtag", tag],
    queryFn: () => unwrap(api.GET("/api/viewfinder/v1/hashtags/{tag}", { params: { path: { tag } } })),
  });
  const unknown = info.error instanceof ApiError && info.error.status === 404;

  return (
    <div className="hashtag wide">
      <BackBar title={`#${info.data?.name ?? tag}`} fallback="/explore" />
      <header className="hashtag-header">
        <span className="hashtag-badge" aria-hidden="true">
          #
        </span>
        <div>
          <h1>#{info.data?.name ?? tag}</h1>
          {info.data && <p className="hashtag-count">{postCount(info.data.post_count)}</p>}
        </div>
      </header>
      {unknown ? (
        <EmptyState icon="#" title="No posts yet">
          Nobody has used #{tag} yet. Be the first: add it to a caption.
        </EmptyState>
      ) : info.isError ? (
        <ErrorBanner error={info.error} onRetry={() => info.refetch()} />
      ) : (
        <>
          <Tabs label="Order of posts" idPrefix="hashtag" tabs={TABS} selected={order} onSelect={setOrder} />
          <TabPanel idPrefix="hashtag" id={order}>
            <HashtagPosts tag={tag} order={order} />
          </TabPanel>
        </>
      )}
    </div>
  );
}
