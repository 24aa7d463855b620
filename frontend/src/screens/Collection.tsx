/** One collection of saved posts: its name, size and grid; "Collection options" renames it or
 * deletes it (after asking; its posts stay saved). */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { Link, useNavigate, useParams } from "react-router-dom";
import { ApiError, api, type Post, unwrap } from "../api/client";
import { BackArrow, BackBar } from "../components/BackBar";
import { ConfirmDialog } from "../components/Dialog";
import { ErrorBanner, PageNotFound } from "../components/Errors";
import { useCursorPages } from "../components/InfiniteList";
import { Menu } from "../components/Menu";
import { Spinner } from "../components/Spinner";
import { EmptyState } from "../discovery/EmptyState";
import { PostGridPages } from "../discovery/PostGridPages";
import { postCount } from "../discovery/ResultRows";
import { COLLECTIONS_KEY, collectionKey, collectionPostsKey } from "../saved/keys";
import { NameDialog } from "../saved/NameDialog";
import { Icon } from "../components/Icon";
import "../saved/saved.css";

type Open = "rename" | "delete" | null;

const COLLECTIONS = "/saved?tab=collections";

function CollectionPosts({ id }: { id: string }) {
  const query = useCursorPages<Post>(collectionPostsKey(id), (cursor) =>
    unwrap(
      api.GET("/api/viewfinder/v1/collections/{collection_id}/posts", {
        params: { path: { collection_id: id }, query: { cursor } },
      }),
    ),
  );
  return (
    <PostGridPages
      query={query}
      label="Posts in this collection"
      surface="saved"
      empty={
        <EmptyState icon={<Icon name="bookmark" size={36} strokeWidth={1.6} />} title="Start saving">
          Save photos and videos to this collection from a post's save button.
        </EmptyState>
      }
    />
  );
}

export function Collection() {
  const id = useParams().collectionId ?? "";
  const client = useQueryClient();
  const navigate = useNavigate();
  const [open, setOpen] = useState<Open>(null);
  const detail = useQuery({
    queryKey: collectionKey(id),
    queryFn: () =>
      unwrap(api.GET("/api/viewfinder/v1/collections/{collection_id}", { params: { path: { collection_id: id } } })),
  });
  const rename = useMutation({
    mutationFn: (name: string) =>
      unwrap(
        api.PATCH("/api/viewfinder/v1/collections/{collection_id}", {
          params: { path: { collection_id: id } },
          body: { name },
        }),
      ),
    onSuccess: (renamed) => {
      client.setQueryData(collectionKey(id), renamed);
      void client.invalidateQueries({ queryKey: COLLECTIONS_KEY });
      setOpen(null);
    },
  });
  const remove = useMutation({
    mutationFn: () =>
      unwrap(api.DELETE("/api/viewfinder/v1/collections/{collection_id}", { params: { path: { collection_id: id } } })),
    onSuccess: () => {
      client.removeQueries({ queryKey: collectionKey(id) });
      void client.invalidateQueries({ queryKey: COLLECTIONS_KEY });
      navigate(COLLECTIONS, { replace: true });
    },
  });
  const show = (which: Open) => {
    rename.reset();
    remove.reset();
    setOpen(which);
  };

  if (detail.isPending) return <Spinner label="Loading collection" />;
  if (detail.isError) {
    const missing = detail.error instanceof ApiError && detail.error.status === 404;
    return (
      <div className="collection">
        <BackBar title="Collection" fallback={COLLECTIONS} />
        {missing ? (
          <PageNotFound />
        ) : (
          <>
            <h1>Collection</h1>
            <ErrorBanner error={detail.error} onRetry={() => detail.refetch()} />
          </>
        )}
      </div>
    );
  }

  const collection = detail.data;
  return (
    <div className="collection wide">
      <BackBar title={collection.name} fallback={COLLECTIONS} />
      <Link to={COLLECTIONS} className="collection-back back-bar-wide-only">
        <BackArrow size={18} /> Saved
      </Link>
      <header className="collection-header">
        <div>
          <h1>{collection.name}</h1>
          <p className="hint">{postCount(collection.post_count)}</p>
        </div>
        <Menu
          label="Collection options"
          actions={[
            { label: "Rename", onSelect: () => show("rename") },
            { label: "Delete collection", onSelect: () => show("delete"), danger: true },
          ]}
        />
      </header>
      <CollectionPosts id={id} />
      {open === "rename" && (
        <NameDialog
          title="Rename collection"
          submitLabel="Save"
          initial={collection.name}
          pending={rename.isPending}
          error={rename.error}
          onSubmit={(name) => rename.mutate(name)}
          onClose={() => setOpen(null)}
        />
      )}
      {open === "delete" && (
        <ConfirmDialog
          title="Delete collection?"
          confirmLabel="Delete"
          onConfirm={() => remove.mutate()}
          onClose={() => setOpen(null)}
          pending={remove.isPending}
          error={remove.error}
        >
          “{collection.name}” will be deleted. Its posts stay in your saved posts.
        </ConfirmDialog>
      )}
    </div>
  );
}
