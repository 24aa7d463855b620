/** Items that failed: why, and what to do — remove a refused one (its tile's ✕), retry one that
 * stopped because the connection dropped. */
import type { Draft } from "./drafts";
import { LocalMedia } from "./LocalMedia";

export function Problems({ drafts, onRetry }: { drafts: Draft[]; onRetry: (key: string) => void }) {
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
