/** The post composer at /create: pick photos and videos (button or drag and drop), crop and filter
 * each, order them, write a caption and alt texts, then "Share" uploads everything and creates the
 * post once every item is processed. Phone: one column; desktop: preview left, settings right. */
import { type DragEvent, type RefObject, useEffect, useState } from "react";
import { useNavigate } from "react-router-dom";
import { ApiError } from "../api/client";
import { ConfirmDialog } from "../components/Dialog";
import { ErrorBanner } from "../components/Errors";
import { AddMedia } from "./AddMedia";
import { CaptionField } from "./CaptionField";
import type { Size } from "./crop";
import { type Draft, MAX_ITEMS } from "./drafts";
import { LocalMedia } from "./LocalMedia";
import { EditPanel } from "./EditPanel";
import { MediaStrip } from "./MediaStrip";
import { Problems } from "./Problems";
import { Stage } from "./Stage";
import { CAPTION_LIMIT, type ComposerModel, characterCount, useComposer } from "./useComposer";
import "./composer.css";

const LOCATION_LIMIT = 100;
const ALT_TEXT_LIMIT = 1000;

function hasFiles(event: DragEvent): boolean {
  return event.dataTransfer.types.includes("Files");
}

/** The API names an alt text's field "items.0.alt_text" (or "items[0].alt_text"). */
function altTextError(error: unknown, index: number): string | undefined {
  if (!(error instanceof ApiError)) return undefined;
  return error.field(`items.${index}.alt_text`) ?? error.field(`items[${index}].alt_text`);
}

const SHOWN_BESIDE = /^(caption|location_name|items[.[]\d+\]?\.alt_text)$/;

/** Errors shown beside their field are not repeated in the banner. */
function bannerError(error: unknown): unknown {
  if (!(error instanceof ApiError)) return error;
  const fields = Object.keys(error.fields);
  return fields.length > 0 && fields.every((name) => SHOWN_BESIDE.test(name)) ? null : error;
}

function statusOf(composer: ComposerModel): string {
  const { drafts } = composer.state;
  if (composer.blocked) return "Remove failed items to share.";
  if (!composer.shareRequested && !composer.busy) return "";
  const sending = drafts.filter((draft) => ["queued", "uploading"].includes(draft.phase.kind)).length;
  if (sending > 0) return `Uploading ${sending} of ${drafts.length}…`;
  if (drafts.some((draft) => draft.phase.kind === "processing")) return "Processing…";
  if (drafts.some((draft) => draft.phase.kind === "interrupted")) return "Retry stopped uploads to share.";
  return "Sharing…";
}

/** Leaving a composer with something in it asks "Discard post?" first (issue 17): a click on a link to
 * another screen of the app waits for the answer; closing or reloading the tab gets the browser's own
 * question. Opening the post just shared is no leaving. (React Router's useBlocker would also catch the
 * Back button, but needs its data router: ~16 KB more gzipped script on every first visit.) */
function useDiscardQuestion(hasDraft: boolean, posted: RefObject<boolean>) {
  const navigate = useNavigate();
  const [leavingFor, setLeavingFor] = useState<string | null>(null);
  useEffect(() => {
    if (!hasDraft) return;
    const ask = (event: BeforeUnloadEvent) => {
      if (!posted.current) event.preventDefault();
    };
    const onClick = (event: MouseEvent) => {
      if (posted.current || event.defaultPrevented || event.button !== 0) return;
      if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return; // a new tab or window
      const link = event.target instanceof Element ? event.target.closest<HTMLAnchorElement>("a[href]") : null;
      if (!link || link.target === "_blank" || link.hasAttribute("download")) return;
      const to = new URL(link.href, window.location.href);
      if (to.origin !== window.location.origin || to.pathname === window.location.pathname) return;
      event.preventDefault();
      event.stopPropagation(); // before the router's own click handler
      setLeavingFor(to.pathname + to.search + to.hash);
    };
    window.addEventListener("beforeunload", ask);
    document.addEventListener("click", onClick, true);
    return () => {
      window.removeEventListener("beforeunload", ask);
      document.removeEventListener("click", onClick, true);
    };
  }, [hasDraft, posted]);
  return {
    leavingFor,
    stay: () => setLeavingFor(null),
    leave: () => {
      setLeavingFor(null);
      if (leavingFor) navigate(leavingFor);
    },
  };
}

export function Composer() {
  const composer = useComposer();
  const { state, dispatch, settings, setSettings } = composer;
  const [dragActive, setDragActive] = useState(false);
  const index = state.drafts.findIndex((draft) => draft.key === state.selected);
  const selected: Draft | undefined = state.drafts[index];
  const onMeasured = (key: string, size: Size | null) => {
    const draft = state.drafts.find((item) => item.key === key);
    if (!draft) return;
    if (size === null || size.width <= 0 || size.height <= 0) {
      if (!draft.unreadable) dispatch({ type: "edit", key, changes: { unreadable: true } });
    } else if (draft.natural?.width !== size.width || draft.natural.height !== size.height) {
      dispatch({ type: "edit", key, changes: { natural: size } });
    }
  };
  const empty = state.drafts.length === 0;
  const status = statusOf(composer);
  const leaving = useDiscardQuestion(!empty, composer.posted);

  return (
    <div
      className={`composer wide${dragActive ? " is-dragging-files" : ""}`}
      onDragOver={(event) => {
        if (!hasFiles(event)) return;
        event.preventDefault();
        event.dataTransfer.dropEffect = "copy";
        setDragActive(true);
      }}
      onDragLeave={(event) => {
        if (!event.currentTarget.contains(event.relatedTarget as Node | null)) setDragActive(false);
      }}
      onDrop={(event) => {
        if (!hasFiles(event)) return;
        event.preventDefault();
        setDragActive(false);
        composer.addFiles(Array.from(event.dataTransfer.files));
      }}
    >
      {leaving.leavingFor && (
        <ConfirmDialog title="Discard post?" confirmLabel="Discard" onConfirm={leaving.leave} onClose={leaving.stay}>
          If you leave now, this post and your edits won't be saved.
        </ConfirmDialog>
      )}
      <header className="composer-header">
        <h1>New post</h1>
        <p className="composer-status" role="status">
          {status}
        </p>
        <button
          type="button"
          className="button composer-share"
          onClick={composer.share}
          disabled={empty || composer.blocked || composer.busy}
        >
          Share
        </button>
      </header>
      {composer.notice && (
        <p className="composer-notice" role="status">
          {composer.notice}
        </p>
      )}
      <ErrorBanner error={bannerError(composer.postError)} />
      <Problems drafts={state.drafts} onRetry={composer.retry} />

      {empty ? (
        <div className={`composer-dropzone${dragActive ? " is-active" : ""}`}>
          <svg className="composer-drop-icon" viewBox="0 0 64 48" aria-hidden="true">
            <rect x="4" y="8" width="40" height="32" rx="5" />
            <rect x="20" y="2" width="40" height="32" rx="5" />
            <circle cx="32" cy="13" r="4" />
            <path d="M22 32l11-11 8 8 5-5 12 12" />
          </svg>
          <p className="composer-drop-title">Drag photos and videos here</p>
          <AddMedia variant="button" onFiles={composer.addFiles} />
          <p className="hint">Up to {MAX_ITEMS} photos and videos in one post.</p>
        </div>
      ) : (
        <div className="composer-body">
          <div className="composer-media">
            {selected && <Stage draft={selected} n={index + 1} onMeasured={onMeasured} />}
            <MediaStrip
              drafts={state.drafts}
              selected={state.selected}
              onSelect={(key) => dispatch({ type: "select", key })}
              onMove={(key, to) => dispatch({ type: "move", key, to })}
              onRemove={composer.remove}
              onFiles={composer.busy ? undefined : composer.addFiles}
              onMeasured={onMeasured}
            />
          </div>
          <div className="composer-settings">
            {selected && (
              <EditPanel
                draft={selected}
                n={index + 1}
                onCrop={(crop) => dispatch({ type: "edit", key: selected.key, changes: { crop } })}
                onFilter={(filter) => dispatch({ type: "edit", key: selected.key, changes: { filter } })}
              />
            )}
            <section className="composer-section">
              <CaptionField
                value={settings.caption}
                onChange={(caption) => setSettings((current) => ({ ...current, caption }))}
                limit={CAPTION_LIMIT}
                count={characterCount(settings.caption)}
                error={composer.postError}
              />
              <LocationField composer={composer} />
            </section>
            <AltTexts composer={composer} />
            <Advanced composer={composer} />
          </div>
        </div>
      )}
    </div>
  );
}

function LocationField({ composer }: { composer: ComposerModel }) {
  const error = composer.postError instanceof ApiError ? composer.postError.field("location_name") : undefined;
  return (
    <div className="field">
      <label htmlFor="composer-location">Add location</label>
      <input
        id="composer-location"
        value={composer.settings.location}
        maxLength={LOCATION_LIMIT}
        autoComplete="off"
        aria-invalid={error ? true : undefined}
        aria-describedby={error ? "composer-location-error" : undefined}
        onChange={(event) => {
          const location = event.currentTarget.value;
          composer.setSettings((current) => ({ ...current, location }));
        }}
      />
      {error && (
        <p className="field-error" id="composer-location-error" role="alert">
          {error}
        </p>
      )}
    </div>
  );
}

/** One alt text per item, as Instagram's "Accessibility" settings: a thumbnail beside each. */
function AltTexts({ composer }: { composer: ComposerModel }) {
  return (
    <section className="composer-section" aria-labelledby="composer-alt-heading">
      <h2 id="composer-alt-heading" className="composer-legend">
        Accessibility
      </h2>
      <p className="hint">Alt text describes your photos for people who can't see them.</p>
      <ul className="list-plain composer-alt-list">
        {composer.state.drafts.map((draft, index) => {
          const n = index + 1;
          const inputId = `composer-alt-${draft.key}`;
          const error = altTextError(composer.postError, index);
          return (
            <li key={draft.key} className="composer-alt-row">
              <LocalMedia draft={draft} className="composer-alt-thumb" />
              <div className="field">
                <label htmlFor={inputId}>Alt text for item {n}</label>
                <input
                  id={inputId}
                  value={draft.altText}
                  maxLength={ALT_TEXT_LIMIT}
                  placeholder="Write alt text…"
                  aria-invalid={error ? true : undefined}
                  aria-describedby={error ? `${inputId}-error` : undefined}
                  onChange={(event) => {
                    const altText = event.currentTarget.value;
                    composer.dispatch({ type: "edit", key: draft.key, changes: { altText } });
                  }}
                />
                {error && (
                  <p className="field-error" id={`${inputId}-error`} role="alert">
                    {error}
                  </p>
                )}
              </div>
            </li>
          );
        })}
      </ul>
    </section>
  );
}

function Advanced({ composer }: { composer: ComposerModel }) {
  const { settings, setSettings } = composer;
  return (
    <details className="composer-section composer-advanced">
      <summary>Advanced settings</summary>
      <Switch
        id="composer-sensitive"
        label="Mark as sensitive"
        hint="Others see your photos and videos blurred behind a warning until they choose to look."
        checked={settings.sensitive}
        onChange={(sensitive) => setSettings((current) => ({ ...current, sensitive }))}
      />
      <Switch
        id="composer-hide-likes"
        label="Hide like count"
        hint="Only you will see how many people liked this post."
        checked={settings.hideLikeCount}
        onChange={(hideLikeCount) => setSettings((current) => ({ ...current, hideLikeCount }))}
      />
      <Switch
        id="composer-comments-off"
        label="Turn off commenting"
        hint="No one will be able to comment on this post."
        checked={settings.commentsOff}
        onChange={(commentsOff) => setSettings((current) => ({ ...current, commentsOff }))}
      />
    </details>
  );
}

type SwitchProps = { id: string; label: string; hint: string; checked: boolean; onChange: (checked: boolean) => void };

function Switch({ id, label, hint, checked, onChange }: SwitchProps) {
  return (
    <div className="composer-switch">
      <div>
        <label htmlFor={id}>{label}</label>
        <p id={`${id}-hint`} className="hint">
          {hint}
        </p>
      </div>
      <input
        id={id}
        type="checkbox"
        role="switch"
        checked={checked}
        aria-describedby={`${id}-hint`}
        onChange={(event) => onChange(event.currentTarget.checked)}
      />
    </div>
  );
}
