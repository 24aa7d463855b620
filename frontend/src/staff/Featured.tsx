/** Featured accounts (/staff/featured, permission announcements.manage): the accounts Explore shows in
 * its "Featured" row, newest first, each with its note; a form to feature an account by username with
 * a note (featuring one again changes its note), an inline note editor, and remove (confirmed). */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, type RefObject, useId, useRef, useState } from "react";
import { Link } from "react-router-dom";
import { ApiError } from "../api/client";
import { type Featured as FeaturedItem, featureAccount, fetchStaffFeatured, STAFF_FEATURED_KEY, unfeatureAccount } from "../community/api";
import { Avatar } from "../components/Avatar";
import { ConfirmDialog } from "../components/Dialog";
import { ErrorBanner, FieldError } from "../components/Errors";
import { Spinner } from "../components/Spinner";
import { dateTime } from "./format";
import { useHotkeys } from "./hotkeys";
import { StaffScreen } from "./StaffScreen";

const MAX_NOTE = 200;

/** The refusals that are about the username typed (unknown account, or one that cannot be featured). */
function usernameError(error: unknown): string | undefined {
  if (!(error instanceof ApiError)) return undefined;
  if (error.field("username")) return error.field("username");
  if (Object.keys(error.fields).length === 0 && (error.status === 404 || error.status === 409)) return error.message;
  return undefined;
}

function FeatureForm({ usernameRef }: { usernameRef: RefObject<HTMLInputElement | null> }) {
  const client = useQueryClient();
  const id = useId();
  const [username, setUsername] = useState("");
  const [note, setNote] = useState("");
  const [saved, setSaved] = useState<string | null>(null);
  const feature = useMutation({
    mutationFn: () => featureAccount(username.trim().replace(/^@/, ""), note.trim()),
    onSuccess: async (answer) => {
      setSaved(`@${answer.account.username} is featured.`);
      setUsername("");
      setNote("");
      await client.invalidateQueries({ queryKey: STAFF_FEATURED_KEY });
    },
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    setSaved(null);
    if (username.trim()) feature.mutate();
  };
  const error = feature.error;
  const aboutUsername = usernameError(error);
  const aboutNote = error instanceof ApiError ? error.field("note") : undefined;
  return (
    <form onSubmit={submit} className="card staff-form" aria-label="Feature an account">
      <div className="field">
        <label htmlFor={`${id}-username`}>Username</label>
        <input
          id={`${id}-username`}
          ref={usernameRef}
          required
          autoCapitalize="none"
          autoCorrect="off"
          spellCheck={false}
          value={username}
          aria-invalid={aboutUsername ? true : undefined}
          aria-describedby={aboutUsername ? `${id}-username-error` : undefined}
          onChange={(event) => setUsername(event.target.value)}
        />
        {aboutUsername && (
          <p className="field-error" id={`${id}-username-error`} role="alert">
            {aboutUsername}
          </p>
        )}
      </div>
      <div className="field">
        <label htmlFor={`${id}-note`}>Note (optional, shown on Explore)</label>
        <input
          id={`${id}-note`}
          maxLength={MAX_NOTE}
          value={note}
          aria-invalid={aboutNote ? true : undefined}
          aria-describedby={aboutNote ? `${id}-note-error` : undefined}
          onChange={(event) => setNote(event.target.value)}
        />
        <FieldError error={error} name="note" id={`${id}-note-error`} />
      </div>
      <ErrorBanner error={aboutUsername || aboutNote ? null : error} />
      {saved && (
        <p className="notice" role="status">
          {saved}
        </p>
      )}
      <button type="submit" className="button" disabled={!username.trim() || feature.isPending}>
        Feature account
      </button>
    </form>
  );
}

function FeaturedRow({ item }: { item: FeaturedItem }) {
  const client = useQueryClient();
  const id = useId();
  const { username } = item.account;
  const [editing, setEditing] = useState(false);
  const [note, setNote] = useState(item.note);
  const [confirming, setConfirming] = useState(false);
  const editButton = useRef<HTMLButtonElement>(null);
  const refresh = () => client.invalidateQueries({ queryKey: STAFF_FEATURED_KEY });
  const close = () => {
    setEditing(false);
    requestAnimationFrame(() => editButton.current?.focus());
  };
  const save = useMutation({
    mutationFn: () => featureAccount(username, note.trim()),
    onSuccess: async () => {
      await refresh();
      close();
    },
  });
  const remove = useMutation({
    mutationFn: () => unfeatureAccount(username),
    onSuccess: async () => {
      setConfirming(false);
      await refresh();
    },
  });
  return (
    <li className="featured-staff-row" aria-label={`@${username}`}>
      <Avatar user={item.account} size={40} />
      <div className="featured-staff-main">
        <p className="featured-staff-who">
          <Link to={`/${username}`}>@{username}</Link>
          {item.account.display_name && <span className="hint"> {item.account.display_name}</span>}
          <span className="hint"> · featured {dateTime(item.featured_at)}</span>
          {item.featurable === false && (
            <span className="pill pill-danger">Not shown on Explore: account limited, suspended, banned or deactivated</span>
          )}
        </p>
        {editing ? (
          <form
            className="staff-inline-form"
            aria-label={`Note for @${username}`}
            onSubmit={(event) => {
              event.preventDefault();
              save.mutate();
            }}
          >
            <label className="visually-hidden" htmlFor={`${id}-note`}>
              Note for @{username}
            </label>
            <input
              id={`${id}-note`}
              className="input"
              maxLength={MAX_NOTE}
              autoFocus
              value={note}
              onChange={(event) => setNote(event.target.value)}
              onKeyDown={(event) => {
                if (event.key === "Escape") {
                  event.preventDefault();
                  setNote(item.note);
                  close();
                }
              }}
            />
            <button type="submit" className="button button-small" disabled={save.isPending}>
              Save note
            </button>
            <button
              type="button"
              className="button button-secondary button-small"
              onClick={() => {
                setNote(item.note);
                close();
              }}
            >
              Cancel
            </button>
            <FieldError error={save.error} name="note" id={`${id}-note-error`} />
            <ErrorBanner error={save.error instanceof ApiError && save.error.field("note") ? null : save.error} />
          </form>
        ) : (
          <p className="featured-staff-note">{item.note || <span className="hint">No note</span>}</p>
        )}
      </div>
      {!editing && (
        <div className="announcement-buttons">
          <button
            type="button"
            className="button button-secondary button-small"
            ref={editButton}
            onClick={() => {
              setNote(item.note);
              setEditing(true);
            }}
          >
            Edit note <span className="visually-hidden">for @{username}</span>
          </button>
          <button type="button" className="button button-secondary button-small" onClick={() => setConfirming(true)}>
            Remove <span className="visually-hidden">@{username}</span>
          </button>
        </div>
      )}
      {confirming && (
        <ConfirmDialog
          title="Stop featuring?"
          confirmLabel="Remove from featured"
          pending={remove.isPending}
          error={remove.error}
          onConfirm={() => remove.mutate()}
          onClose={() => setConfirming(false)}
        >
          @{username} will no longer be shown in Explore's Featured row. Their account is not changed.
        </ConfirmDialog>
      )}
    </li>
  );
}

function FeaturedBody() {
  const username = useRef<HTMLInputElement>(null);
  useHotkeys({ n: () => username.current?.focus() });
  const query = useQuery({ queryKey: STAFF_FEATURED_KEY, queryFn: fetchStaffFeatured });
  return (
    <>
      <FeatureForm usernameRef={username} />
      <section aria-labelledby="featured-list-title" className="staff-section">
        <h2 id="featured-list-title" className="staff-section-title">
          Featured now
        </h2>
        {query.isPending && <Spinner label="Loading featured accounts" />}
        <ErrorBanner error={query.error} onRetry={() => query.refetch()} />
        {query.data?.items.length === 0 && <p className="hint">No featured accounts yet.</p>}
        <ul className="list-plain featured-staff-list" aria-label="Featured accounts">
          {query.data?.items.map((item) => (
            <FeaturedRow key={item.account.id} item={item} />
          ))}
        </ul>
      </section>
    </>
  );
}

export function Featured() {
  return (
    <StaffScreen
      permission="announcements.manage"
      title="Featured accounts"
      actions={
        <p className="hint staff-keys">
          <kbd>n</kbd> feature an account
        </p>
      }
    >
      <FeaturedBody />
    </StaffScreen>
  );
}
