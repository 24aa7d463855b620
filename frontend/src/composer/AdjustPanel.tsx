/** The "Adjust" tab: one labelled slider per adjustment with its value beside it. A double-click on
 * a slider, or its "Reset" button (there while it is not 0), puts it back to 0. */
import { useId, useRef } from "react";
import { ADJUSTMENTS, type AdjustmentName, type Adjustments, normalised } from "./adjust";

type Props = { adjustments: Adjustments; onChange: (adjustments: Adjustments) => void };

/** "+20", "−20" or "0", as photo apps show them. */
function signed(value: number, min: number): string {
  if (value > 0 && min < 0) return `+${value}`;
  if (value < 0) return `−${-value}`;
  return String(value);
}

export function AdjustPanel({ adjustments, onChange }: Props) {
  const ids = useId();
  const sliders = useRef(new Map<AdjustmentName, HTMLInputElement>());
  const set = (name: AdjustmentName, value: number) => onChange({ ...adjustments, [name]: value });
  return (
    <ul className="list-plain composer-adjustments">
      {ADJUSTMENTS.map((adjustment) => {
        const { name, label, min, max } = adjustment;
        const id = `${ids}-${name}`;
        const value = normalised(adjustment, adjustments[name]);
        return (
          <li key={name} className="composer-slider">
            <div className="composer-slider-head">
              <label htmlFor={id}>{label}</label>
              {/* The slider itself tells screen readers its value. */}
              <span className="composer-slider-value" aria-hidden="true">
                {signed(value, min)}
              </span>
              {value !== 0 && (
                <button
                  type="button"
                  className="link-button composer-slider-reset"
                  aria-label={`Reset ${label.toLowerCase()}`}
                  onClick={() => {
                    set(name, 0);
                    sliders.current.get(name)?.focus();
                  }}
                >
                  Reset
                </button>
              )}
            </div>
            <input
              ref={(element) => {
                if (element) sliders.current.set(name, element);
                else sliders.current.delete(name);
              }}
              id={id}
              type="range"
              min={min}
              max={max}
              step={1}
              value={value}
              className={`composer-range${min < 0 ? " is-centred" : ""}`}
              onChange={(event) => set(name, normalised(adjustment, Number(event.currentTarget.value)))}
              onDoubleClick={() => set(name, 0)}
            />
          </li>
        );
      })}
    </ul>
  );
}
