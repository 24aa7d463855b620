/** The moderation queue (/staff): open cases, highest priority first, reports and appeals together
 * (a chip narrows it). j/k move the selection, Enter (or o) opens the selected case. */
import { useEffect, useMemo, useRef, useState } from "react";
import { Link, useNavigate } from "react-router-dom";
import { ErrorBanner } from "../components/Errors";
import { LoadMore, useCursorPages } from "../components/InfiniteList";
import { Spinner } from "../components/Spinner";
import { TimeAgo } from "../posts/time";
import { fetchQueue, QUEUE_KEY } from "./api";
import type { CaseOut } from "./types";
import { reasonsLine, TARGET_LABELS } from "./format";
import { useHotkeys } from "./hotkeys";
import { StaffScreen } from "./StaffScreen";

type Filter = "all" | "reports" | "appeals";
const FILTERS: { value: Filter; label: string }[] = [
  { value: "all", label: "All" },
  { value: "reports", label: "Reports" },
  { value: "appeals", label: "Appeals" },
];

function shown(filter: Filter, item: CaseOut): boolean {
  if (filter === "appeals") return item.target === "appeal";
  if (filter === "reports") return item.target !== "appeal";
  return true;
}

function CaseRow({ item, selected }: { item: CaseOut; selected: boolean }) {
  const reasons = reasonsLine(item.reasons);
  return (
    <li className={selected ? "queue-row is-selected" : "queue-row"} aria-current={selected ? "true" : undefined}>
      <Link to={`/staff/cases/${item.id}`} className="queue-link" data-case-id={item.id}>
        <span className="queue-priority" title="Priority">
          <span className="visually-hidden">Priority </span>
          {item.priority}
        </span>
        <span className="queue-main">
          <span className="queue-what">
            {TARGET_LABELS[item.target] ?? item.target} by @{item.account.username ?? "deleted"}
          </span>
          <span className="queue-meta">
            {reasons || (item.target === "appeal" ? "Appeal of an action" : "Automated flag")}
            {item.reporters_count > 0 && (
              <> · {item.reporters_count} {item.reporters_count === 1 ? "reporter" : "reporters"}</>
            )}
            {item.automated_score !== null && <> · score {item.automated_score.toFixed(2)}</>}
          </span>
        </span>
        <span className="queue-side">
          {item.claimed_by ? (
            <span className="queue-claimed">Claimed by @{item.claimed_by.username ?? "deleted"}</span>
          ) : (
            <span className="queue-unclaimed">Unclaimed</span>
          )}
          <TimeAgo iso={item.created_at} className="queue-age" />
        </span>
      </Link>
    </li>
  );
}

function QueueBody() {
  const query = useCursorPages<CaseOut>(QUEUE_KEY, fetchQueue);
  const [filter, setFilter] = useState<Filter>("all");
  const [selected, setSelected] = useState(0);
  const navigate = useNavigate();
  const list = useRef<HTMLOListElement>(null);
  const items = useMemo(() => query.items.filter((item) => shown(filter, item)), [query.items, filter]);
  const current = items[Math.min(selected, items.length - 1)];

  const focusRow = (index: number) => {
    const links = list.current?.querySelectorAll<HTMLAnchorElement>(".queue-link");
    links?.[index]?.focus();
  };
  const move = (step: number) => {
    if (items.length === 0) return;
    const next = Math.max(0, Math.min(items.length - 1, selected + step));
    if (step > 0 && next >= items.length - 2 && query.hasNextPage && !query.isFetchingNextPage) query.fetchNextPage();
    setSelected(next);
    focusRow(next);
  };
  useHotkeys({
    j: () => move(1),
    k: () => move(-1),
    ArrowDown: () => move(1),
    ArrowUp: () => move(-1),
    o: () => {
      if (current) navigate(`/staff/cases/${current.id}`);
    },
    Enter: (event) => {
      // A focused link or button does its own thing; elsewhere Enter opens the selected case.
      if (event.target instanceof HTMLAnchorElement || event.target instanceof HTMLButtonElement) return false;
      if (current) navigate(`/staff/cases/${current.id}`);
    },
  });
  useEffect(() => setSelected(0), [filter]);

  return (
    <>
      <div className="chips" role="group" aria-label="Show">
        {FILTERS.map((option) => (
          <button
            key={option.value}
            type="button"
            className="chip"
            aria-pressed={filter === option.value}
            onClick={() => setFilter(option.value)}
          >
            {option.label}
          </button>
        ))}
      </div>
      <p className="hint staff-keys">
        <kbd>j</kbd>/<kbd>k</kbd> move · <kbd>Enter</kbd> open
      </p>
      {query.isPending && <Spinner label="Loading the queue" />}
      {query.isError && !query.data && <ErrorBanner error={query.error} onRetry={() => query.refetch()} />}
      {query.isSuccess && items.length === 0 && !query.hasNextPage && (
        <div className="empty-state">
          <h2>Nothing to review</h2>
          <p>{filter === "appeals" ? "No open appeals." : "The queue is empty."}</p>
        </div>
      )}
      <ol className="list-plain queue" ref={list} aria-label="Open cases">
        {items.map((item, index) => (
          <CaseRow key={item.id} item={item} selected={item === current && index === Math.min(selected, items.length - 1)} />
        ))}
      </ol>
      {query.items.length > 0 && <LoadMore {...query} error={query.isFetchNextPageError ? query.error : null} />}
    </>
  );
}

export function Queue() {
  return (
    <StaffScreen permission="reports.handle" title="Queue">
      <QueueBody />
    </StaffScreen>
  );
}
