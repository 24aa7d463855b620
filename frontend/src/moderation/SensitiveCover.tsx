/** Media marked sensitive (by its author, a moderator or the automatic nudity check) stays behind a
 * blur and a warning until the person chooses to see it (a tap, or Enter/Space on the button). */
import { type ReactNode, useState } from "react";
import "./moderation.css";

export function SensitiveCover({ sensitive, children }: { sensitive: boolean; children: ReactNode }) {
  const [shown, setShown] = useState(false);
  if (!sensitive || shown) return <>{children}</>;
  return (
    <div className="sensitive">
      <div className="sensitive-media" aria-hidden="true" inert>
        {children}
      </div>
      <div className="sensitive-warning">
        <p className="sensitive-title">Sensitive content</p>
        <p>This photo or video may show content some people find upsetting.</p>
        <button type="button" className="button button-secondary" onClick={() => setShown(true)}>
          See post
        </button>
      </div>
    </div>
  );
}
