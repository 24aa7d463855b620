/** What you saved: every saved post as a grid ("All posts"), or your named collections as covers
 * ("Collections"); "New collection" names a new one. Only you can see any of it. */
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { useSearchParams } from "react-router-dom";
import { api, type Collection, type Post, unwrap } from "../api/client";
import { ErrorBanner } from "../components/Errors";
import { Icon } from "../components/Icon";
import { LoadMore, useCursorPages } from "../components/InfiniteList";
import { Spinner } from "../components/Spinner";
import { EmptyState } from "../discovery/EmptyState";
import { PostGridPages } from "../discovery/PostGridPages";
import { TabPanel, Tabs, type TabSpec } from "../discovery/Tabs";
import { CollectionTile } from "../saved/CollectionTile";
import { COLLECTIONS_KEY, SAVED_KEY, collectionKey } from "../saved/keys";
import { NameDialog } from "../saved/NameDialog";
import "../saved/saved.css";

type Tab = "posts" | "collections";

const TABS: TabSpec<Tab>[] = [
  { id: "posts", label: "All posts" },
  { id: "collections", label: "Collections" },
];

function SavedPosts() {
  const query = useCursorPages<Post>(SAVED_KEY, (cursor) =>
    unwrap(api.GET("/api/viewfinder/v1/saved", { params: { query: { cursor } } })),
  );
  return (
    <PostGridPages
      query={query}
      label="Saved posts"
      surface="saved"
      empty={
        <EmptyState icon={<Icon name="bookmark" size={36} strokeWidth={1.6} />} title="Save">
          Save photos and videos that you want to see again. No one is notified, and only you can see what you've
          saved.
        </EmptyState>
      }
    />
  );
}

function Collections({ onNew }: { onNew: () => void }) {
  const query = useCursorPages<Collection>(COLLECTIONS_KEY, (cursor) =>
    unwrap(api.GET("/api/viewfinder/v1/collections", { params: { query: { cursor } } })),
  );
  if (query.isPending) return <Spinner label="Loading collections" />;
  if (query.isError && !query.data) return <ErrorBanner error={query.error} onRetry={() => query.refetch()} />;
  if (query.items.length === 0) {
    return (
      <EmptyState icon={<Icon name="bookmark" size={36} strokeWidth={1.6} />} title="No collections yet">
        Group saved posts by theme.{" "}
        <button type="button" className="link-button" onClick={onNew}>
          Create a collection
        </button>
      </EmptyState>
    );
  }
  return (
    <>
      <ul className="collection-grid" aria-label="Collections">
        {query.items.map((collection) => (
          <CollectionTile key={collection.id} collection={collection} />
        ))}
      </ul>
      <LoadMore {...query} error={query.isFetchNextPageError ? query.error : null} />
    </>
  );
}

export function Saved() {
  const client = useQueryClient();
  const [params, setParams] = useSearchParams();
  const tab: Tab = params.get("tab") === "collections" ? "collections" : "posts";
  const [creating, setCreating] = useState(false);
  const create = useMutation({
    mutationFn: (name: string) => unwrap(api.POST("/api/viewfinder/v1/collections", { body: { name } })),
    onSuccess: (collection) => {
      client.setQueryData(collectionKey(collection.id), collection);
      void client.invalidateQueries({ queryKey: COLLECTIONS_KEY });
      setCreating(false);
      setParams({ tab: "collections" }, { replace: true });
    },
  });
  const select = (next: Tab) => setParams(next === "posts" ? {} : { tab: next }, { replace: true });
  const openNew = () => {
    create.reset();
    setCreating(true);
  };

  return (
    <div className="saved wide">
      <header className="saved-header">
        <h1>Saved</h1>
        <button type="button" className="button button-secondary" onClick={openNew}>
          <span aria-hidden="true">+</span> New collection
        </button>
      </header>
      <p className="hint saved-privacy">Only you can see what you've saved.</p>
      <Tabs label="Saved" idPrefix="saved" tabs={TABS} selected={tab} onSelect={select} />
      <TabPanel idPrefix="saved" id={tab}>
        {tab === "posts" ? <SavedPosts /> : <Collections onNew={openNew} />}
      </TabPanel>
      {creating && (
        <NameDialog
          title="New collection"
          submitLabel="Create"
          pending={create.isPending}
          error={create.error}
          onSubmit={(name) => create.mutate(name)}
          onClose={() => setCreating(false)}
        />
      )}
    </div>
  );
}
