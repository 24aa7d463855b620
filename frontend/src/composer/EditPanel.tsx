/** The edits of one photo before it is uploaded: its crop ("Original", "1:1", "4:5", "1.91:1", a
 * radio group) and a quarter turn, then two tabs as in Instagram's app: "Filter" (thumbnails of the
 * photo itself) and "Adjust" (sliders). */
import { type KeyboardEvent, useId, useRef, useState } from "react";
import { isAdjusted } from "./adjust";
import { AdjustPanel } from "./AdjustPanel";
import { CROP_CHOICES, CROP_LABELS, rotateClockwise, rotateView } from "./crop";
import { type Draft, type Edits, editable, takesEdits } from "./drafts";
import { FILTERS } from "./filters";

type Props = {
  draft: Draft;
  n: number;
  onEdit: (changes: Partial<Edits>) => void;
};

const TABS = [
  { name: "filter", label: "Filter" },
  { name: "adjust", label: "Adjust" },
] as const;
type Tab = (typeof TABS)[number]["name"];

export function EditPanel({ draft, n, onEdit }: Props) {
  const [tab, setTab] = useState<Tab>("filter");
  const ids = useId();
  const tabButtons = useRef(new Map<Tab, HTMLButtonElement>());
  if (!takesEdits(draft)) {
    return (
      <section className="composer-section" aria-label={`Edit item ${n}`}>
        <p className="hint composer-note">{noEditsReason(draft)}</p>
      </section>
    );
  }
  if (!editable(draft)) {
    const filter = FILTERS.find((choice) => choice.name === draft.filter)?.label ?? "Normal";
    return (
      <section className="composer-section" aria-label={`Edit item ${n}`}>
        <p className="composer-summary">
          Crop <strong>{CROP_LABELS[draft.crop]}</strong> · Filter <strong>{filter}</strong>
          {draft.rotation !== 0 && (
            <>
              {" "}
              · Turned <strong>{draft.rotation}°</strong>
            </>
          )}
          {isAdjusted(draft.adjustments) && " · Adjusted"}
        </p>
        <p className="hint composer-note">The crop, filter and adjustments are set once the upload has started.</p>
      </section>
    );
  }
  const onTabKey = (event: KeyboardEvent<HTMLButtonElement>) => {
    const index = TABS.findIndex((choice) => choice.name === tab);
    const moves: Record<string, number> = {
      ArrowRight: (index + 1) % TABS.length,
      ArrowLeft: (index - 1 + TABS.length) % TABS.length,
      Home: 0,
      End: TABS.length - 1,
    };
    const next = TABS[moves[event.key] ?? -1];
    if (!next) return;
    event.preventDefault();
    setTab(next.name);
    tabButtons.current.get(next.name)?.focus();
  };
  return (
    <section className="composer-section composer-edit" aria-label={`Edit item ${n}`}>
      <div className="composer-framing">
        <fieldset className="composer-crops">
          <legend className="composer-legend">Crop</legend>
          <div className="composer-segments">
            {CROP_CHOICES.map((choice) => (
              <label key={choice} className="composer-segment">
                <input
                  type="radio"
                  name={`crop-${draft.key}`}
                  value={choice}
                  className="composer-cover-input"
                  checked={draft.crop === choice}
                  onChange={() => onEdit({ crop: choice })}
                />
                <span className={`composer-crop-icon crop-${choice.replace(/[:.]/g, "-")}`} aria-hidden="true" />
                {CROP_LABELS[choice]}
              </label>
            ))}
          </div>
        </fieldset>
        <button
          type="button"
          className="composer-segment composer-rotate"
          title="Turn 90° clockwise"
          onClick={() => onEdit({ rotation: rotateClockwise(draft.rotation), view: rotateView(draft.view) })}
        >
          <svg className="composer-rotate-icon" viewBox="0 0 24 24" aria-hidden="true">
            <path d="M20 11a8 8 0 1 1-2.3-5.7M20 3v5h-5" />
          </svg>
          Rotate
        </button>
      </div>
      <div className="composer-tabs" role="tablist" aria-label={`Look of item ${n}`}>
        {TABS.map((choice) => (
          <button
            key={choice.name}
            ref={(element) => {
              if (element) tabButtons.current.set(choice.name, element);
              else tabButtons.current.delete(choice.name);
            }}
            type="button"
            role="tab"
            id={`${ids}-${choice.name}-tab`}
            className="composer-tab"
            aria-selected={tab === choice.name}
            aria-controls={`${ids}-${choice.name}-panel`}
            tabIndex={tab === choice.name ? 0 : -1}
            onClick={() => setTab(choice.name)}
            onKeyDown={onTabKey}
          >
            {choice.label}
          </button>
        ))}
      </div>
      <div
        role="tabpanel"
        id={`${ids}-filter-panel`}
        aria-labelledby={`${ids}-filter-tab`}
        className="composer-tabpanel"
        hidden={tab !== "filter"}
      >
        <fieldset className="composer-filters">
          <legend className="visually-hidden">Filter</legend>
          <div className="composer-filter-list">
            {FILTERS.map((filter) => (
              <label key={filter.name} className="composer-filter">
                <input
                  type="radio"
                  name={`filter-${draft.key}`}
                  value={filter.name}
                  className="composer-cover-input"
                  checked={draft.filter === filter.name}
                  onChange={() => onEdit({ filter: filter.name })}
                />
                <span className="composer-filter-face">
                  {!draft.unreadable && (
                    <img
                      src={draft.url}
                      alt=""
                      loading="lazy"
                      decoding="async"
                      style={{
                        filter: filter.css,
                        transform: draft.rotation ? `rotate(${draft.rotation}deg)` : undefined,
                      }}
                    />
                  )}
                </span>
                <span className="composer-filter-name">{filter.label}</span>
              </label>
            ))}
          </div>
        </fieldset>
      </div>
      <div
        role="tabpanel"
        id={`${ids}-adjust-panel`}
        aria-labelledby={`${ids}-adjust-tab`}
        className="composer-tabpanel"
        hidden={tab !== "adjust"}
      >
        <AdjustPanel adjustments={draft.adjustments} onChange={(adjustments) => onEdit({ adjustments })} />
      </div>
    </section>
  );
}

function noEditsReason(draft: Draft): string {
  if (draft.kind === "video") return "Videos are shared as they are, without a crop or filter.";
  if (draft.unreadable) return "This browser can't preview this file, so it is shared as it is.";
  return "GIFs are shared as they are, without a crop or filter.";
}
