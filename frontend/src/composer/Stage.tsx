/** The big preview of the selected item, framed as it will be shared: the crop's aspect ratio
 * (a centred crop via object-fit) and the filter's CSS approximation. */
import type { CSSProperties } from "react";
import { MAX_ASPECT, type Size, targetAspect } from "./crop";
import { type Draft, takesEdits } from "./drafts";
import { filterCss } from "./filters";
import { LocalMedia } from "./LocalMedia";

/** Tallest a video preview gets (9:16), as on phones. */
const MIN_VIDEO_ASPECT = 9 / 16;

function aspectOf(draft: Draft): number {
  if (takesEdits(draft)) return targetAspect(draft.crop, draft.natural);
  const natural = draft.natural;
  if (!natural || natural.height <= 0) return 1;
  return Math.min(MAX_ASPECT, Math.max(MIN_VIDEO_ASPECT, natural.width / natural.height));
}

type Props = { draft: Draft; n: number; onMeasured: (key: string, size: Size | null) => void };

export function Stage({ draft, n, onMeasured }: Props) {
  const style = { "--ratio": aspectOf(draft) } as CSSProperties;
  return (
    <figure className="composer-stage">
      <div className="composer-frame" style={style}>
        <LocalMedia
          key={draft.key}
          draft={draft}
          alt={draft.altText.trim() || `Preview of item ${n}`}
          controls
          style={{ filter: takesEdits(draft) ? filterCss(draft.filter) : undefined }}
          onMeasured={onMeasured}
        />
      </div>
    </figure>
  );
}
