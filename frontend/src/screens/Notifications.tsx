/** The activity inbox: grouped lines ("alice and 3 others liked your post."), newest activity first,
 * split into Today / This week / This month / Earlier. Seeing the screen marks everything read
 * (the badge drops to 0) while the lines that were new stay highlighted; lines arriving over the
 * event stream appear live and are marked read in turn. */
import { type InfiniteData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useMemo, useState } from "react";
import { api, type Notification, unwrap } from "../api/client";
import { ErrorBanner } from "../components/Errors";
import { EmptyState } from "../discovery/EmptyState";
import { LoadMore, type PageOf, useCursorPages } from "../components/InfiniteList";
import { Spinner } from "../components/Spinner";
import { FollowRequestsSummary } from "../notifications/FollowRequestsSummary";
import { NotificationItem } from "../notifications/NotificationItem";
import { type Section, sectionOf } from "../notifications/time";
import { NOTIFICATIONS_KEY, UNREAD_KEY } from "../notifications/unread";
import { usePageVisible } from "../notifications/usePageVisible";
import { Icon } from "../components/Icon";
import "../notifications/notifications.css";

function fetchPage(cursor: string | undefined) {
  return unwrap(api.GET("/api/viewfinder/v1/notifications", { params: { query: { cursor } } }));
}

function fetchUnread() {
  return unwrap(api.GET("/api/viewfinder/v1/notifications/unread-count")).then((body) => body.unread);
}

type Group = { section: Section; items: Notification[] };

function bySection(items: Notification[]): Group[] {
  const groups: Group[] = [];
  for (const item of items) {
    const section = sectionOf(item.updated_at);
    const last = groups[groups.length - 1];
    if (last && last.section === section) last.items.push(item);
    else groups.push({ section, items: [item] });
  }
  return groups;
}

/** Marks every line read once the inbox is on screen and has something unread; returns the ids
 * that were unread when seen (they stay highlighted). */
function useMarkSeen(items: Notification[], loaded: boolean): { fresh: ReadonlySet<string>; error: unknown } {
  const client = useQueryClient();
  const visible = usePageVisible();
  const unread = useQuery({ queryKey: UNREAD_KEY, queryFn: fetchUnread });
  const [fresh, setFresh] = useState<ReadonlySet<string>>(() => new Set());
  const unreadIds = items.filter((item) => !item.read).map((item) => item.id).join(" ");

  const markRead = useMutation({
    mutationFn: () => unwrap(api.POST("/api/viewfinder/v1/notifications/read", { body: {} })),
    onSuccess: (body) => {
      client.setQueryData(UNREAD_KEY, body.unread);
      client.setQueryData<InfiniteData<PageOf<Notification>>>(NOTIFICATIONS_KEY, (data) =>
        data && {
          ...data,
          pages: data.pages.map((page) => ({ ...page, items: page.items.map((item) => ({ ...item, read: true })) })),
        },
      );
    },
  });

  useEffect(() => {
    if (unreadIds) setFresh((seen) => new Set([...seen, ...unreadIds.split(" ")]));
  }, [unreadIds]);

  const hasUnread = unreadIds !== "" || (unread.data ?? 0) > 0;
  const { mutate, isPending, isError } = markRead;
  useEffect(() => {
    // After a failure it waits for the next visit rather than retrying in a loop.
    if (loaded && visible && hasUnread && !isPending && !isError) mutate();
  }, [loaded, visible, hasUnread, isPending, isError, mutate]);

  return { fresh, error: markRead.error };
}

export function Notifications() {
  const query = useCursorPages<Notification>(NOTIFICATIONS_KEY, fetchPage);
  const { items } = query;
  const { fresh, error } = useMarkSeen(items, query.isSuccess && !query.isFetching);
  const groups = useMemo(() => bySection(items), [items]);

  return (
    <div className="notifications">
      <h1>Notifications</h1>
      <FollowRequestsSummary />
      {query.isPending && <Spinner label="Loading notifications" />}
      {query.isError && !query.data && <ErrorBanner error={query.error} onRetry={() => query.refetch()} />}
      <ErrorBanner error={error} />
      {query.isSuccess && items.length === 0 && (
        <EmptyState icon={<Icon name="heart" size={36} strokeWidth={1.6} />} title="Activity on your posts">
          When someone likes or comments on your posts or follows you, you'll see it here.
        </EmptyState>
      )}
      {groups.map((group, index) => (
        <section key={`${index}-${group.section}`} className="notification-section">
          <h2>{group.section}</h2>
          <ul className="list-plain">
            {group.items.map((item) => (
              <NotificationItem key={item.id} item={item} highlighted={fresh.has(item.id) || !item.read} />
            ))}
          </ul>
        </section>
      ))}
      {items.length > 0 && <LoadMore {...query} error={query.isFetchNextPageError ? query.error : null} />}
    </div>
  );
}
