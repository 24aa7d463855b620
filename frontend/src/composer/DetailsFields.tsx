/** The post's details: where it was taken, an alt text per item, and the advanced settings (sensitive,
 * like count, comments). The caption is CaptionField. */
import { ApiError } from "../api/client";
import { LocalMedia } from "./LocalMedia";
import { thumbnailStyle } from "./look";
import type { ComposerModel } from "./useComposer";

const LOCATION_LIMIT = 100;
const ALT_TEXT_LIMIT = 1000;

/** The API names an alt text's field "items.0.alt_text" (or "items[0].alt_text"). */
function altTextError(error: unknown, index: number): string | undefined {
  if (!(error instanceof ApiError)) return undefined;
  return error.field(`items.${index}.alt_text`) ?? error.field(`items[${index}].alt_text`);
}

export function LocationField({ composer }: { composer: ComposerModel }) {
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
export function AltTexts({ composer }: { composer: ComposerModel }) {
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
              <LocalMedia draft={draft} className="composer-alt-thumb" style={thumbnailStyle(draft)} />
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

export function Advanced({ composer }: { composer: ComposerModel }) {
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
