/** The post composer at /create: pick photos and videos (button or drag and drop), crop, turn, filter
 * and adjust each, order them, write a caption and alt texts, then "Share" uploads everything and
 * creates the post once every item is processed. Phones go through full-screen steps as Instagram's
 * app does (steps.ts); wider screens show the preview on the left and everything else beside it. */
import { type DragEvent, useEffect, useRef, useState } from "react";
import { ApiError } from "../api/client";
import { ConfirmDialog } from "../components/Dialog";
import { ErrorBanner } from "../components/Errors";
import { Icon } from "../components/Icon";
import { AddMedia } from "./AddMedia";
import { CaptionField } from "./CaptionField";
import type { Size } from "./crop";
import { Advanced, AltTexts, LocationField } from "./DetailsFields";
import { type Draft, type Edits, MAX_ITEMS } from "./drafts";
import { EditPanel } from "./EditPanel";
import { useDiscardQuestion } from "./leaving";
import { MediaStrip } from "./MediaStrip";
import { Problems } from "./Problems";
import { Stage } from "./Stage";
import { STEP_LABELS, type Step, stepsFor, usePhoneLayout } from "./steps";
import { CAPTION_LIMIT, type ComposerModel, characterCount, useComposer } from "./useComposer";
import "./composer.css";

function hasFiles(event: DragEvent): boolean {
  return event.dataTransfer.types.includes("Files");
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

export function Composer() {
  const composer = useComposer();
  const { state, dispatch, settings, setSettings } = composer;
  const phone = usePhoneLayout();
  const [dragActive, setDragActive] = useState(false);
  const [chosenStep, setStep] = useState<Step>("select");
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
  const edit = (changes: Partial<Edits>) => {
    if (selected) dispatch({ type: "edit", key: selected.key, changes });
  };
  const empty = state.drafts.length === 0;
  const status = statusOf(composer);

  const steps = stepsFor(state.drafts);
  const step: Step = empty || !steps.includes(chosenStep) ? "select" : chosenStep;
  const stepIndex = steps.indexOf(step);
  const previousStep = phone ? steps[stepIndex - 1] : undefined;
  const nextStep = phone ? steps[stepIndex + 1] : undefined;
  const leaving = useDiscardQuestion({
    dirty: !empty,
    posted: composer.posted,
    onBack: () => {
      if (!previousStep) return false;
      setStep(previousStep);
      return true;
    },
  });

  // Emptied (the last item removed), the composer starts over at picking.
  useEffect(() => {
    if (empty) setStep("select");
  }, [empty]);

  // A new step is a new screen: its top shows, and screen readers hear its name.
  const stepHeading = useRef<HTMLHeadingElement>(null);
  const shownStep = useRef(step);
  useEffect(() => {
    if (shownStep.current === step) return;
    shownStep.current = step;
    if (!phone) return;
    window.scrollTo({ top: 0, left: 0 });
    stepHeading.current?.focus();
  }, [step, phone]);

  const stage = (framable: boolean) =>
    selected && (
      <Stage
        draft={selected}
        n={index + 1}
        onMeasured={onMeasured}
        onView={framable ? (view) => edit({ view }) : undefined}
      />
    );
  const strip = (
    <MediaStrip
      drafts={state.drafts}
      selected={state.selected}
      onSelect={(key) => dispatch({ type: "select", key })}
      onMove={(key, to) => dispatch({ type: "move", key, to })}
      onRemove={composer.remove}
      onFiles={composer.busy ? undefined : composer.addFiles}
      onMeasured={onMeasured}
    />
  );
  const editPanel = selected && <EditPanel draft={selected} n={index + 1} onEdit={edit} />;
  const details = (
    <>
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
    </>
  );
  const shareButton = (
    <button
      type="button"
      className="button composer-share"
      onClick={composer.share}
      disabled={empty || composer.blocked || composer.busy}
    >
      Share
    </button>
  );

  const classes = ["composer", "wide"];
  if (phone) classes.push("is-steps");
  if (dragActive) classes.push("is-dragging-files");
  return (
    <div
      className={classes.join(" ")}
      data-step={phone ? step : undefined}
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
      {leaving.question && (
        <ConfirmDialog title="Discard post?" confirmLabel="Discard" onConfirm={leaving.leave} onClose={leaving.stay}>
          If you leave now, this post and your edits won't be saved.
        </ConfirmDialog>
      )}
      <header className="composer-header">
        {phone &&
          (previousStep ? (
            <button
              type="button"
              className="icon-button composer-nav"
              aria-label="Back"
              onClick={() => setStep(previousStep)}
            >
              <Icon name="chevronLeft" />
            </button>
          ) : (
            <button type="button" className="icon-button composer-nav" aria-label="Close" onClick={leaving.close}>
              <Icon name="close" />
            </button>
          ))}
        <div className="composer-title">
          <h1>New post</h1>
          {phone && !empty && (
            <p className="composer-step-name">
              {STEP_LABELS[step]}
              <span className="visually-hidden">
                , step {stepIndex + 1} of {steps.length}
              </span>
            </p>
          )}
        </div>
        <p className="composer-status" role="status">
          {status}
        </p>
        {nextStep ? (
          <button type="button" className="button composer-share" onClick={() => setStep(nextStep)} disabled={empty}>
            Next
          </button>
        ) : (
          shareButton
        )}
      </header>
      {composer.notice && (
        <p className="composer-notice" role="status">
          {composer.notice}
        </p>
      )}
      <ErrorBanner error={bannerError(composer.postError)} />
      <Problems
        drafts={state.drafts}
        onRetry={composer.retry}
        // Phones show the items' tiles (and their ✕) only in the first step.
        onRemove={phone && step !== "select" ? composer.remove : undefined}
      />

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
      ) : phone ? (
        <section className={`composer-step composer-step-${step}`} aria-labelledby="composer-step-heading">
          <h2 id="composer-step-heading" ref={stepHeading} tabIndex={-1} className="visually-hidden">
            {STEP_LABELS[step]}
          </h2>
          {step === "select" && (
            <>
              {stage(false)}
              {strip}
            </>
          )}
          {step === "edit" && (
            <>
              <div className="composer-stage-dock">
                {stage(true)}
                {state.drafts.length > 1 && (
                  <ItemSwitcher
                    index={index}
                    count={state.drafts.length}
                    onSelect={(to) => {
                      const key = state.drafts[to]?.key;
                      if (key) dispatch({ type: "select", key });
                    }}
                  />
                )}
              </div>
              {editPanel}
            </>
          )}
          {step === "details" && details}
        </section>
      ) : (
        <div className="composer-body">
          <div className="composer-media">
            {stage(true)}
            {strip}
          </div>
          <div className="composer-settings">
            {editPanel}
            {details}
          </div>
        </div>
      )}
    </div>
  );
}

/** Which item the crop step edits, on phones (where the item tiles are in the first step). */
function ItemSwitcher({ index, count, onSelect }: { index: number; count: number; onSelect: (index: number) => void }) {
  return (
    <div className="composer-switcher">
      <button
        type="button"
        className="icon-button"
        aria-label="Edit previous item"
        disabled={index <= 0}
        onClick={() => onSelect(index - 1)}
      >
        <Icon name="chevronLeft" />
      </button>
      <span aria-live="polite">
        Item {index + 1} of {count}
      </span>
      <button
        type="button"
        className="icon-button"
        aria-label="Edit next item"
        disabled={index >= count - 1}
        onClick={() => onSelect(index + 1)}
      >
        <Icon name="chevronRight" />
      </button>
    </div>
  );
}
