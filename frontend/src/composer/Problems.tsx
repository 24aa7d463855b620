/** Items that failed: why, and what to do — remove a refused one (its tile's ✕, or a button here
 * where the tiles are not shown), retry one that stopped because the connection dropped. */
import type { Draft } from "./drafts";
import { LocalMedia } from "./LocalMedia";

type Props = {
  drafts: Draft[];
  onRetry: (key: string) => void;
  /** Given where the items' own tiles are not on screen. */
  onRemove?: (key: string) => void;
};

export function Problems({ drafts, onRetry, onRemove }: Props) {
  const problems = drafts.flatMap((draft, index) => {
    const { phase } = draft;
    return phase.kind === "failed" || phase.kind === "interrupted" ? [{ draft, phase, n: index + 1 }] : [];
  });
  if (problems.length === 0) return null;
  return (
    <ul className="list-plain composer-problems">
      {problems.map(({ draft, phase, n }) => (
        <li key={draft.key} className="composer-problem">
          <LocalMedia draft={draft} className="composer-problem-thumb" />
          <div className="composer-problem-text" role="alert">
            <strong>Item {n}</strong>
            <span>{phase.message}</span>
            {phase.kind === "failed" && <span className="hint">Remove it to share the rest.</span>}
          </div>
          {phase.kind === "failed" && onRemove && (
            <button
              type="button"
              className="button button-secondary"
              aria-label={`Remove item ${n}`}
              onClick={() => onRemove(draft.key)}
            >
              Remove
            </button>
          )}
          {phase.kind === "interrupted" && (
            <button
              type="button"
              className="button button-secondary"
              aria-label={`Retry item ${n}`}
              onClick={() => onRetry(draft.key)}
            >
              Retry
            </button>
          )}
        </li>
      ))}
    </ul>
  );
}
