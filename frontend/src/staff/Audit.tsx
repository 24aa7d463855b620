/** The audit log (/staff/audit), newest first, filtered by actor, action and target (the filter is
 * in the address, so a filtered view can be shared). */
import { type FormEvent, useId, useState } from "react";
import { useSearchParams } from "react-router-dom";
import { ErrorBanner } from "../components/Errors";
import { LoadMore, useCursorPages } from "../components/InfiniteList";
import { Spinner } from "../components/Spinner";
import { type AuditEntry, type AuditFilter, fetchAudit } from "./api";
import { dateTime } from "./format";
import { StaffScreen } from "./StaffScreen";

const FIELDS: { name: keyof AuditFilter; label: string; placeholder: string }[] = [
  { name: "actor", label: "Actor", placeholder: "username" },
  { name: "action", label: "Action", placeholder: "e.g. action.ban" },
  { name: "target_kind", label: "Target kind", placeholder: "e.g. post, user, case" },
  { name: "target_id", label: "Target id", placeholder: "id" },
];

function changes(entry: AuditEntry): string {
  const show = (value: unknown) => (value === undefined ? "—" : JSON.stringify(value));
  const before = entry.before ?? {};
  const after = entry.after ?? {};
  const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])];
  return keys.map((key) => `${key}: ${show(before[key])} → ${show(after[key])}`).join("; ");
}

function AuditBody() {
  const [params, setParams] = useSearchParams();
  const id = useId();
  const filter: AuditFilter = Object.fromEntries(FIELDS.map((field) => [field.name, params.get(field.name) ?? ""]));
  const [draft, setDraft] = useState<AuditFilter>(filter);
  const query = useCursorPages<AuditEntry>(["staff", "audit", filter], (cursor) => fetchAudit(filter, cursor));
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const next = new URLSearchParams();
    for (const field of FIELDS) {
      const value = draft[field.name]?.trim();
      if (value) next.set(field.name, value);
    }
    setParams(next);
  };
  return (
    <>
      <form onSubmit={submit} className="card staff-form staff-filter" aria-label="Filter the audit log">
        {FIELDS.map((field) => (
          <div className="field" key={field.name}>
            <label htmlFor={`${id}-${field.name}`}>{field.label}</label>
            <input
              id={`${id}-${field.name}`}
              maxLength={64}
              placeholder={field.placeholder}
              value={draft[field.name] ?? ""}
              onChange={(event) => setDraft({ ...draft, [field.name]: event.target.value })}
            />
          </div>
        ))}
        <button type="submit" className="button">
          Filter
        </button>
      </form>
      {query.isPending && <Spinner label="Loading the audit log" />}
      {query.isError && !query.data && <ErrorBanner error={query.error} onRetry={() => query.refetch()} />}
      {query.isSuccess && query.items.length === 0 && <p className="hint">Nothing matches.</p>}
      <ol className="list-plain staff-list staff-audit" aria-label="Audit entries">
        {query.items.map((entry) => (
          <li key={entry.id}>
            <strong>{entry.action}</strong> by {entry.actor_username ? `@${entry.actor_username}` : entry.actor_id ? `#${entry.actor_id}` : "the operator"} on{" "}
            {entry.target_kind}
            {entry.target_id ? ` #${entry.target_id}` : ""} · <time dateTime={entry.created_at}>{dateTime(entry.created_at)}</time>
            {entry.reason && <p className="staff-quote">{entry.reason}</p>}
            {(entry.before || entry.after) && <p className="hint staff-change">{changes(entry)}</p>}
          </li>
        ))}
      </ol>
      {query.items.length > 0 && <LoadMore {...query} error={query.isFetchNextPageError ? query.error : null} />}
    </>
  );
}

export function Audit() {
  return (
    <StaffScreen permission="audit.read" title="Audit log">
      <AuditBody />
    </StaffScreen>
  );
}
