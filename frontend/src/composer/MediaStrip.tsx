/** The items of the post as a row of tiles: pick one to edit, move it with the arrow buttons or by
 * dragging, remove it; each tile shows its upload progress, processing or failure. */
import { useState } from "react";
import { Icon } from "../components/Icon";
import { AddMedia } from "./AddMedia";
import type { Size } from "./crop";
import { type Draft, MAX_ITEMS, type Phase } from "./drafts";
import { LocalMedia } from "./LocalMedia";
import { thumbnailStyle } from "./look";

const ITEM_TYPE = "application/x-viewfinder-item";

type Props = {
  drafts: Draft[];
  selected: string | null;
  onSelect: (key: string) => void;
  onMove: (key: string, to: number) => void;
  onRemove: (key: string) => void;
  /** Absent while the post is being shared. */
  onFiles?: (files: File[]) => void;
  onMeasured: (key: string, size: Size | null) => void;
};

export function MediaStrip({ drafts, selected, onSelect, onMove, onRemove, onFiles, onMeasured }: Props) {
  const [dragged, setDragged] = useState<string | null>(null);
  const [over, setOver] = useState<number | null>(null);
  return (
    <ol className="composer-strip" aria-label="Items in this post">
      {drafts.map((draft, index) => {
        const n = index + 1;
        const first = index === 0;
        const last = index === drafts.length - 1;
        const classes = ["composer-tile"];
        if (draft.key === selected) classes.push("is-selected");
        if (draft.key === dragged) classes.push("is-dragged");
        if (over === index && dragged !== draft.key) classes.push("is-drop-target");
        if (draft.phase.kind === "failed" || draft.phase.kind === "interrupted") classes.push("has-problem");
        return (
          <li
            key={draft.key}
            className={classes.join(" ")}
            draggable
            onDragStart={(event) => {
              event.dataTransfer.setData(ITEM_TYPE, draft.key);
              event.dataTransfer.effectAllowed = "move";
              setDragged(draft.key);
            }}
            onDragOver={(event) => {
              if (!event.dataTransfer.types.includes(ITEM_TYPE)) return;
              event.preventDefault();
              event.dataTransfer.dropEffect = "move";
              setOver(index);
            }}
            onDragLeave={() => setOver((current) => (current === index ? null : current))}
            onDrop={(event) => {
              const key = event.dataTransfer.getData(ITEM_TYPE);
              if (!key) return;
              event.preventDefault();
              event.stopPropagation();
              onMove(key, index);
              setOver(null);
            }}
            onDragEnd={() => {
              setDragged(null);
              setOver(null);
            }}
          >
            <div className="composer-tile-media">
              <button
                type="button"
                className="composer-tile-thumb"
                aria-label={`Edit item ${n}`}
                aria-pressed={draft.key === selected}
                onClick={() => onSelect(draft.key)}
              >
                <LocalMedia draft={draft} style={thumbnailStyle(draft)} onMeasured={onMeasured} />
                {draft.kind === "video" && (
                  <span className="composer-tile-kind" aria-hidden="true">
                    <Icon name="play" size={14} filled />
                  </span>
                )}
              </button>
              <TileStatus phase={draft.phase} n={n} />
            </div>
            <div className="composer-tile-actions">
              <button
                type="button"
                className="composer-tile-action"
                aria-label={`Move item ${n} earlier`}
                aria-disabled={first}
                onClick={() => !first && onMove(draft.key, index - 1)}
              >
                <Icon name="chevronLeft" size={16} />
              </button>
              <button
                type="button"
                className="composer-tile-action"
                aria-label={`Remove item ${n}`}
                onClick={() => onRemove(draft.key)}
              >
                <Icon name="close" size={14} />
              </button>
              <button
                type="button"
                className="composer-tile-action"
                aria-label={`Move item ${n} later`}
                aria-disabled={last}
                onClick={() => !last && onMove(draft.key, index + 1)}
              >
                <Icon name="chevronRight" size={16} />
              </button>
            </div>
          </li>
        );
      })}
      {onFiles && drafts.length < MAX_ITEMS && (
        <li className="composer-tile composer-tile-add">
          <AddMedia variant="tile" onFiles={onFiles} />
        </li>
      )}
    </ol>
  );
}

/** What is happening to an item's upload, drawn over its thumbnail. */
function TileStatus({ phase, n }: { phase: Phase; n: number }) {
  switch (phase.kind) {
    case "idle":
      return null;
    case "queued":
      return <span className="composer-tile-status">Waiting…</span>;
    case "uploading":
      return (
        <span className="composer-tile-status composer-tile-uploading">
          <progress aria-label={`Uploading item ${n}`} max={100} value={Math.round(phase.progress * 100)} />
        </span>
      );
    case "processing":
      return (
        <span className="composer-tile-status">
          <span className="composer-dot" aria-hidden="true" />
          Processing…
        </span>
      );
    case "ready":
      return (
        <span className="composer-tile-badge is-ready">
          <Icon name="check" size={14} strokeWidth={3} />
          <span className="visually-hidden">Item {n} is ready</span>
        </span>
      );
    case "failed":
    case "interrupted":
      return (
        <span className="composer-tile-badge is-problem">
          <span aria-hidden="true">!</span>
          <span className="visually-hidden">Item {n} has a problem</span>
        </span>
      );
  }
}
