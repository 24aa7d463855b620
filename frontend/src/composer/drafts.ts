/** The composer's state: the picked files in order, each with its edits and where its upload is.
 * Kept in one reducer so nothing is lost when an upload fails, is retried or an item moves. */
import { type Adjustments, NO_ADJUSTMENTS } from "./adjust";
import { type CropChoice, FULL_VIEW, type Rotation, type Size, type View } from "./crop";
import type { FilterName } from "./filters";

/** The API takes 1 to 20 media items per post (viewfinder/posts/services.py MAX_ITEMS). */
export const MAX_ITEMS = 20;

/** Where an item's upload is. "failed" (refused or failed processing) can only be removed;
 * "interrupted" (offline, or a server hiccup) can be retried, resuming the processing wait when
 * the upload itself had gone through. */
export type Phase =
  | { kind: "idle" }
  | { kind: "queued" }
  | { kind: "uploading"; progress: number }
  | { kind: "processing"; mediaId: string }
  | { kind: "ready"; mediaId: string }
  | { kind: "failed"; message: string; mediaId?: string }
  | { kind: "interrupted"; message: string; mediaId?: string };

export type Draft = {
  key: string;
  file: File;
  kind: "photo" | "video";
  /** An object URL of the file, revoked when the item goes. */
  url: string;
  /** The upright size, once the preview has loaded. */
  natural?: Size;
  /** The browser cannot show it (say, HEIC in Chrome, or not an image at all): the API decides. */
  unreadable?: boolean;
  /** The aspect ratio chosen; the frame's place on the photo is `view`. */
  crop: CropChoice;
  /** Quarter turns clockwise, applied before the crop. */
  rotation: Rotation;
  view: View;
  filter: FilterName;
  adjustments: Adjustments;
  altText: string;
  phase: Phase;
};

export type Edits = Pick<Draft, "crop" | "rotation" | "view" | "filter" | "adjustments">;

/** A photo as picked: whole, upright, unfiltered. */
export const NO_EDITS: Edits = {
  crop: "original",
  rotation: 0,
  view: FULL_VIEW,
  filter: "normal",
  adjustments: NO_ADJUSTMENTS,
};

/** The server's media item of a draft, once its upload went through. */
export function mediaIdOf(draft: Draft): string | undefined {
  return "mediaId" in draft.phase ? draft.phase.mediaId : undefined;
}

type Editable = keyof Edits | "altText" | "natural" | "unreadable";

export type ComposerState = { drafts: Draft[]; selected: string | null };

export type Action =
  | { type: "add"; drafts: Draft[] }
  | { type: "remove"; key: string }
  | { type: "move"; key: string; to: number }
  | { type: "select"; key: string }
  | { type: "edit"; key: string; changes: Partial<Pick<Draft, Editable>> }
  | { type: "phase"; key: string; phase: Phase };

export const EMPTY: ComposerState = { drafts: [], selected: null };

export function composerReducer(state: ComposerState, action: Action): ComposerState {
  switch (action.type) {
    case "add": {
      const drafts = [...state.drafts, ...action.drafts].slice(0, MAX_ITEMS);
      const added = drafts.find((draft) => action.drafts.includes(draft));
      return { drafts, selected: added?.key ?? state.selected };
    }
    case "remove": {
      const index = state.drafts.findIndex((draft) => draft.key === action.key);
      if (index < 0) return state;
      const drafts = state.drafts.filter((draft) => draft.key !== action.key);
      const selected =
        state.selected === action.key ? (drafts[Math.min(index, drafts.length - 1)]?.key ?? null) : state.selected;
      return { drafts, selected };
    }
    case "move": {
      const from = state.drafts.findIndex((draft) => draft.key === action.key);
      const to = Math.max(0, Math.min(state.drafts.length - 1, action.to));
      if (from < 0 || from === to) return state;
      const drafts = [...state.drafts];
      const [moved] = drafts.splice(from, 1);
      drafts.splice(to, 0, moved!);
      return { ...state, drafts };
    }
    case "select":
      return { ...state, selected: action.key };
    case "edit":
      return update(state, action.key, (draft) => ({ ...draft, ...action.changes }));
    case "phase":
      return update(state, action.key, (draft) => ({ ...draft, phase: action.phase }));
  }
}

function update(state: ComposerState, key: string, change: (draft: Draft) => Draft): ComposerState {
  if (!state.drafts.some((draft) => draft.key === key)) return state;
  return { ...state, drafts: state.drafts.map((draft) => (draft.key === key ? change(draft) : draft)) };
}

/** Whether a file looks like something the API takes (it decides by content in the end). */
export function kindOf(file: File): "photo" | "video" | null {
  if (file.type.startsWith("video/")) return "video";
  if (file.type.startsWith("image/")) return "photo";
  const extension = file.name.split(".").pop()?.toLowerCase() ?? "";
  if (["mp4", "mov", "webm", "m4v"].includes(extension)) return "video";
  if (["jpg", "jpeg", "png", "webp", "heic", "heif", "avif", "gif"].includes(extension)) return "photo";
  return null;
}

/** Crop, rotation, filter and adjustments are baked in at upload, so they can change only before
 * it starts. */
export function editable(draft: Draft): boolean {
  return draft.phase.kind === "idle" || (draft.phase.kind === "interrupted" && !draft.phase.mediaId);
}

/** Videos take no crop, rotation, filter or adjustment, nor GIFs (the API makes a video of an
 * animated one); a photo the browser cannot show goes as it is too, since its crop could not be
 * previewed. */
export function takesEdits(draft: Draft): boolean {
  return draft.kind === "photo" && !draft.unreadable && !isGif(draft.file);
}

function isGif(file: File): boolean {
  return file.type === "image/gif" || file.name.toLowerCase().endsWith(".gif");
}
