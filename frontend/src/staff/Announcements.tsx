/** Announcements (/staff/announcements, permission announcements.manage): a form to write one (text,
 * an optional window, publish now or keep as a draft), and the list of every announcement, newest
 * first, drafts included, each with where it stands (draft, scheduled, active, ended), its window, and
 * edit, publish/unpublish and delete (confirmed). The API's field errors show beside their field.
 * `n` moves to the new announcement's text. */
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, type Ref, useId, useRef, useState } from "react";
import { ApiError } from "../api/client";
import {
  type Announcement,
  type AnnouncementCreate,
  type AnnouncementWrite,
  createAnnouncement,
  deleteAnnouncement,
  fetchStaffAnnouncements,
  STAFF_ANNOUNCEMENTS_KEY,
  updateAnnouncement,
} from "../community/api";
import { announcementState, fromLocalInput, STATE_LABELS, toLocalInput } from "../community/dates";
import { LinkedText } from "../community/LinkedText";
import { ConfirmDialog } from "../components/Dialog";
import { ErrorBanner, FieldError } from "../components/Errors";
import { LoadMore, useCursorPages } from "../components/InfiniteList";
import { Spinner } from "../components/Spinner";
import { dateTime } from "./format";
import { useHotkeys } from "./hotkeys";
import { StaffScreen } from "./StaffScreen";

const MAX_TEXT = 1000;
const FIELDS = ["text", "starts_at", "ends_at", "published"] as const;

type Draft = { text: string; starts: string; ends: string; published: boolean };

function draftOf(item: Announcement | null): Draft {
  return {
    text: item?.text ?? "",
    starts: toLocalInput(item?.starts_at),
    ends: toLocalInput(item?.ends_at),
    published: item?.published ?? false,
  };
}

/** A new announcement: everything in the form. */
function newBody(draft: Draft): AnnouncementCreate {
  return {
    text: draft.text.trim(),
    starts_at: fromLocalInput(draft.starts),
    ends_at: fromLocalInput(draft.ends),
    published: draft.published,
  };
}

/** An edit: only what changed (an unchanged end date that has passed would otherwise be refused). */
function changesOf(draft: Draft, item: Announcement): AnnouncementWrite {
  const before = draftOf(item);
  const changed: AnnouncementWrite = {};
  if (draft.text.trim() !== item.text) changed.text = draft.text.trim();
  if (draft.starts !== before.starts) changed.starts_at = fromLocalInput(draft.starts);
  if (draft.ends !== before.ends) changed.ends_at = fromLocalInput(draft.ends);
  return changed;
}

type DateFieldProps = {
  label: string;
  name: "starts_at" | "ends_at";
  value: string;
  onChange: (value: string) => void;
  formId: string;
  error: unknown;
  errorId: (name: string) => string;
  invalid: (name: string) => true | undefined;
  describedBy: (name: string) => string | undefined;
};

/** One end of the window: a datetime-local field (the viewer's time zone) with the API's error under it. */
function DateField({ label, name, value, onChange, formId, error, errorId, invalid, describedBy }: DateFieldProps) {
  const inputId = `${formId}-${name}`;
  return (
    <div className="field">
      <label htmlFor={inputId}>{label}</label>
      <input
        id={inputId}
        type="datetime-local"
        value={value}
        aria-invalid={invalid(name)}
        aria-describedby={describedBy(name)}
        onChange={(event) => onChange(event.target.value)}
      />
      <FieldError error={error} name={name} id={errorId(name)} />
    </div>
  );
}

type FormProps = {
  /** The announcement edited, or null for a new one. */
  item: Announcement | null;
  onDone?: () => void;
  textRef?: Ref<HTMLTextAreaElement>;
  /** Focus the text when the form opens (an edit). */
  autoFocus?: boolean;
};

function AnnouncementForm({ item, onDone, textRef, autoFocus = false }: FormProps) {
  const client = useQueryClient();
  const id = useId();
  const [draft, setDraft] = useState(() => draftOf(item));
  const [saved, setSaved] = useState<string | null>(null);
  const save = useMutation({
    mutationFn: (changes: AnnouncementWrite | null) =>
      item && changes ? updateAnnouncement(item.id, changes) : createAnnouncement(newBody(draft)),
    onSuccess: async (answer) => {
      if (!item) {
        setDraft(draftOf(null));
        setSaved(answer.published ? "Announcement published." : "Draft saved.");
      }
      await client.invalidateQueries({ queryKey: STAFF_ANNOUNCEMENTS_KEY });
      onDone?.();
    },
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    setSaved(null);
    if (!draft.text.trim()) return;
    const changes = item ? changesOf(draft, item) : null;
    if (changes && Object.keys(changes).length === 0) onDone?.();
    else save.mutate(changes);
  };
  const error = save.error;
  const fieldFailed = error instanceof ApiError && FIELDS.some((name) => error.field(name));
  const errorId = (name: string) => `${id}-${name}-error`;
  const invalid = (name: string) => (error instanceof ApiError && error.field(name) ? true : undefined);
  const describedBy = (name: string, hint?: string) =>
    [hint, error instanceof ApiError && error.field(name) ? errorId(name) : undefined].filter(Boolean).join(" ") || undefined;
  const label = item ? "Edit announcement" : "New announcement";
  const fieldProps = { formId: id, error, errorId, invalid, describedBy };
  return (
    <form onSubmit={submit} className={item ? "announcement-form" : "card staff-form announcement-form"} aria-label={label}>
      <div className="field">
        <label htmlFor={`${id}-text`}>Text</label>
        <textarea
          id={`${id}-text`}
          ref={textRef}
          autoFocus={autoFocus}
          rows={3}
          maxLength={MAX_TEXT}
          required
          value={draft.text}
          aria-invalid={invalid("text")}
          aria-describedby={describedBy("text", `${id}-count`)}
          onChange={(event) => setDraft({ ...draft, text: event.target.value })}
        />
        <span className="hint" id={`${id}-count`}>
          Plain text; web addresses become links. {draft.text.length}/{MAX_TEXT}
        </span>
        <FieldError error={error} name="text" id={errorId("text")} />
      </div>
      <div className="announcement-window">
        <DateField
          label="Starts (optional)"
          name="starts_at"
          value={draft.starts}
          onChange={(starts) => setDraft({ ...draft, starts })}
          {...fieldProps}
        />
        <DateField label="Ends (optional)" name="ends_at" value={draft.ends} onChange={(ends) => setDraft({ ...draft, ends })} {...fieldProps} />
      </div>
      {!item && (
        <label className="check">
          <input type="checkbox" checked={draft.published} onChange={(event) => setDraft({ ...draft, published: event.target.checked })} />
          <span>Publish now (otherwise it stays a draft)</span>
        </label>
      )}
      <ErrorBanner error={fieldFailed ? null : error} />
      {saved && (
        <p className="notice" role="status">
          {saved}
        </p>
      )}
      <div className="announcement-buttons">
        <button type="submit" className="button" disabled={!draft.text.trim() || save.isPending}>
          {item ? "Save" : draft.published ? "Publish announcement" : "Save draft"}
        </button>
        {item && (
          <button type="button" className="button button-secondary" onClick={onDone}>
            Cancel
          </button>
        )}
      </div>
    </form>
  );
}

/** "From 6 Dec 2026, 14:00 until 8 Dec 2026, 09:00", "Until …", "From … (no end)", "No time limit". */
function windowLine(item: Announcement): string {
  if (item.starts_at && item.ends_at) return `From ${dateTime(item.starts_at)} until ${dateTime(item.ends_at)}`;
  if (item.ends_at) return `Until ${dateTime(item.ends_at)}`;
  if (item.starts_at) return `From ${dateTime(item.starts_at)}, no end`;
  return "No time limit";
}

function AnnouncementRow({ item }: { item: Announcement }) {
  const client = useQueryClient();
  const [editing, setEditing] = useState(false);
  const [confirming, setConfirming] = useState(false);
  const editButton = useRef<HTMLButtonElement>(null);
  const refresh = () => client.invalidateQueries({ queryKey: STAFF_ANNOUNCEMENTS_KEY });
  const publish = useMutation({ mutationFn: (published: boolean) => updateAnnouncement(item.id, { published }), onSuccess: refresh });
  const remove = useMutation({
    mutationFn: () => deleteAnnouncement(item.id),
    onSuccess: async () => {
      setConfirming(false);
      await refresh();
    },
  });
  const state = announcementState(item);
  const short = item.text.length > 60 ? `${item.text.slice(0, 60)}…` : item.text;
  return (
    <li className={`announcement-row is-${state}`} aria-label={short}>
      {editing ? (
        <AnnouncementForm
          item={item}
          autoFocus
          onDone={() => {
            setEditing(false);
            requestAnimationFrame(() => editButton.current?.focus());
          }}
        />
      ) : (
        <>
          <p className="announcement-text">
            <LinkedText text={item.text} />
          </p>
          <p className="announcement-meta">
            <span className={state === "active" ? "pill pill-active" : "pill"}>{STATE_LABELS[state]}</span>
            <span className="hint">{windowLine(item)}</span>
            <span className="hint">Updated {dateTime(item.updated_at)}</span>
          </p>
          <div className="announcement-buttons">
            <button type="button" className="button button-secondary button-small" ref={editButton} onClick={() => setEditing(true)}>
              Edit<span className="visually-hidden">: {short}</span>
            </button>
            <button
              type="button"
              className="button button-secondary button-small"
              disabled={publish.isPending}
              onClick={() => publish.mutate(!item.published)}
            >
              {item.published ? "Unpublish" : "Publish"}
              <span className="visually-hidden">: {short}</span>
            </button>
            <button type="button" className="button button-secondary button-small" onClick={() => setConfirming(true)}>
              Delete<span className="visually-hidden">: {short}</span>
            </button>
          </div>
          <ErrorBanner error={publish.error} />
        </>
      )}
      {confirming && (
        <ConfirmDialog
          title="Delete announcement?"
          confirmLabel="Delete announcement"
          pending={remove.isPending}
          error={remove.error}
          onConfirm={() => remove.mutate()}
          onClose={() => setConfirming(false)}
        >
          “{short}” will be deleted and members will no longer see it. This cannot be undone.
        </ConfirmDialog>
      )}
    </li>
  );
}

function AnnouncementList() {
  const list = useCursorPages<Announcement>(STAFF_ANNOUNCEMENTS_KEY, fetchStaffAnnouncements);
  return (
    <section aria-labelledby="announcements-list-title" className="staff-section">
      <h2 id="announcements-list-title" className="staff-section-title">
        All announcements
      </h2>
      {list.isPending && <Spinner label="Loading announcements" />}
      {list.items.length === 0 && <ErrorBanner error={list.error} onRetry={() => list.refetch()} />}
      {list.isSuccess && list.items.length === 0 && <p className="hint">No announcements yet.</p>}
      <ul className="list-plain announcement-list" aria-label="Announcements">
        {list.items.map((item) => (
          <AnnouncementRow key={item.id} item={item} />
        ))}
      </ul>
      {list.items.length > 0 && <LoadMore {...list} />}
    </section>
  );
}

function AnnouncementsBody() {
  const text = useRef<HTMLTextAreaElement>(null);
  useHotkeys({ n: () => text.current?.focus() });
  return (
    <>
      <AnnouncementForm item={null} textRef={text} />
      <AnnouncementList />
    </>
  );
}

export function Announcements() {
  return (
    <StaffScreen
      permission="announcements.manage"
      title="Announcements"
      actions={
        <p className="hint staff-keys">
          <kbd>n</kbd> new announcement
        </p>
      }
    >
      <AnnouncementsBody />
    </StaffScreen>
  );
}
