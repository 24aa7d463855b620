/** The edits of one photo before it is uploaded: its crop ("Original", "1:1", "4:5", "1.91:1")
 * and its filter, each a radio group; the filters show as thumbnails of the photo itself. */
import { CROP_CHOICES, CROP_LABELS, type CropChoice } from "./crop";
import { type Draft, editable, takesEdits } from "./drafts";
import { FILTERS, type FilterName } from "./filters";

type Props = {
  draft: Draft;
  n: number;
  onCrop: (crop: CropChoice) => void;
  onFilter: (filter: FilterName) => void;
};

export function EditPanel({ draft, n, onCrop, onFilter }: Props) {
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
        </p>
        <p className="hint composer-note">The crop and filter are set once the upload has started.</p>
      </section>
    );
  }
  return (
    <section className="composer-section" aria-label={`Edit item ${n}`}>
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
                onChange={() => onCrop(choice)}
              />
              <span className={`composer-crop-icon crop-${choice.replace(/[:.]/g, "-")}`} aria-hidden="true" />
              {CROP_LABELS[choice]}
            </label>
          ))}
        </div>
      </fieldset>
      <fieldset className="composer-filters">
        <legend className="composer-legend">Filter</legend>
        <div className="composer-filter-list">
          {FILTERS.map((filter) => (
            <label key={filter.name} className="composer-filter">
              <input
                type="radio"
                name={`filter-${draft.key}`}
                value={filter.name}
                className="composer-cover-input"
                checked={draft.filter === filter.name}
                onChange={() => onFilter(filter.name)}
              />
              <span className="composer-filter-face">
                {!draft.unreadable && (
                  <img src={draft.url} alt="" loading="lazy" decoding="async" style={{ filter: filter.css }} />
                )}
              </span>
              <span className="composer-filter-name">{filter.label}</span>
            </label>
          ))}
        </div>
      </fieldset>
    </section>
  );
}

function noEditsReason(draft: Draft): string {
  if (draft.kind === "video") return "Videos are shared as they are, without a crop or filter.";
  if (draft.unreadable) return "This browser can't preview this file, so it is shared as it is.";
  return "GIFs are shared as they are, without a crop or filter.";
}
