/** A picked file shown from its object URL: the photo, the video, or — when the browser cannot
 * show it (HEIC in most browsers, or not an image at all) — its file type on a plain tile. */
import type { CSSProperties } from "react";
import type { Size } from "./crop";
import type { Draft } from "./drafts";

type Props = {
  draft: Draft;
  /** Empty for a decorative thumbnail. */
  alt?: string;
  className?: string;
  style?: CSSProperties;
  /** A playable video (the big preview) rather than a still of it. */
  controls?: boolean;
  /** Called with the upright size once known, or null when the browser cannot show the file. */
  onMeasured?: (key: string, size: Size | null) => void;
};

export function LocalMedia({ draft, alt = "", className, style, controls = false, onMeasured }: Props) {
  if (draft.unreadable) {
    const type = draft.file.name.includes(".") ? draft.file.name.split(".").pop()!.toUpperCase() : "FILE";
    return (
      <span
        className={`composer-unreadable ${className ?? ""}`}
        role={alt ? "img" : undefined}
        aria-label={alt || undefined}
      >
        <span aria-hidden="true">{type}</span>
      </span>
    );
  }
  if (draft.kind === "video") {
    return (
      <video
        src={draft.url}
        className={className}
        muted
        playsInline
        preload="metadata"
        controls={controls}
        aria-label={controls ? alt : undefined}
        aria-hidden={controls ? undefined : true}
        onLoadedMetadata={(event) =>
          onMeasured?.(draft.key, { width: event.currentTarget.videoWidth, height: event.currentTarget.videoHeight })
        }
        onError={() => onMeasured?.(draft.key, null)}
      />
    );
  }
  return (
    <img
      src={draft.url}
      alt={alt}
      className={className}
      style={style}
      draggable={false}
      onLoad={(event) =>
        onMeasured?.(draft.key, { width: event.currentTarget.naturalWidth, height: event.currentTarget.naturalHeight })
      }
      onError={() => onMeasured?.(draft.key, null)}
    />
  );
}
