/** How an item's edits look on screen before the server bakes them in: the CSS filter of its named
 * filter and adjustments, and its quarter turns. */
import type { CSSProperties } from "react";
import { adjustPreview } from "./adjust";
import { type Draft, takesEdits } from "./drafts";
import { filterCss } from "./filters";

/** The CSS `filter` of a photo's named filter followed by its adjustments' (undefined for items
 * that take no edits). */
export function photoFilter(draft: Draft): string | undefined {
  if (!takesEdits(draft)) return undefined;
  const named = filterCss(draft.filter);
  const adjusted = adjustPreview(draft.adjustments).filter;
  if (!adjusted) return named;
  return named === "none" ? adjusted : `${named} ${adjusted}`;
}

/** A square thumbnail's style: filtered and turned (a square turned a quarter is the same square). */
export function thumbnailStyle(draft: Draft): CSSProperties | undefined {
  if (!takesEdits(draft)) return undefined;
  return { filter: photoFilter(draft), transform: draft.rotation ? `rotate(${draft.rotation}deg)` : undefined };
}
