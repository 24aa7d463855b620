/** The composer's steps on phones, full-screen one after another as in Instagram's app: pick the
 * items, crop and adjust them, write the details, share. Wider screens show everything at once. */
import { useSyncExternalStore } from "react";
import { type Draft, takesEdits } from "./drafts";

/** The phone layout's width, as styles.css's (top bar and tab bar below 768px). */
const PHONE = "(max-width: 767px)";

export type Step = "select" | "edit" | "details";

export const STEP_LABELS: Record<Step, string> = {
  select: "Select",
  edit: "Crop & adjust",
  details: "Details",
};

/** The steps for these items: "Crop & adjust" only when one of them takes edits (not for videos
 * and GIFs alone). */
export function stepsFor(drafts: Draft[]): Step[] {
  return drafts.some(takesEdits) ? ["select", "edit", "details"] : ["select", "details"];
}

function phoneQuery(): MediaQueryList | null {
  return typeof window.matchMedia === "function" ? window.matchMedia(PHONE) : null;
}

function subscribe(changed: () => void): () => void {
  const query = phoneQuery();
  query?.addEventListener("change", changed);
  return () => query?.removeEventListener("change", changed);
}

/** Whether the screen is phone-sized, followed as the window is resized. */
export function usePhoneLayout(): boolean {
  return useSyncExternalStore(subscribe, () => phoneQuery()?.matches ?? false);
}
