/** A just-created token's secret, shown this one time, with a Copy button. */
import { useEffect, useRef, useState } from "react";
import type { Schemas } from "../../api/client";

type Copy = "idle" | "copied" | "manual";

export function NewTokenNotice({ created, onDone }: { created: Schemas["NewTokenOut"]; onDone: () => void }) {
  const [copy, setCopy] = useState<Copy>("idle");
  const secret = useRef<HTMLElement>(null);
  const notice = useRef<HTMLDivElement>(null);
  useEffect(() => notice.current?.focus(), [created]);

  const onCopy = async () => {
    try {
      await navigator.clipboard.writeText(created.secret);
      setCopy("copied");
    } catch {
      // No clipboard (an insecure origin, or permission refused): select the text for a manual copy.
      const element = secret.current;
      const selection = window.getSelection();
      if (element && selection) {
        const range = document.createRange();
        range.selectNodeContents(element);
        selection.removeAllRanges();
        selection.addRange(range);
      }
      setCopy("manual");
    }
  };

  return (
    <div ref={notice} className="new-token" role="region" aria-labelledby="new-token-title" tabIndex={-1}>
      <h3 id="new-token-title">Token “{created.token.name}” created</h3>
      <p className="new-token-warning">
        <strong>Copy it now:</strong> this secret won't be shown again.
      </p>
      <code ref={secret} className="new-token-secret" data-testid="new-token-secret">
        {created.secret}
      </code>
      <div className="new-token-actions">
        <button type="button" className="button" onClick={() => void onCopy()}>
          Copy
        </button>
        <button type="button" className="button button-secondary" onClick={onDone}>
          Done
        </button>
        <span className="new-token-status" role="status">
          {copy === "copied" && "Copied to the clipboard."}
          {copy === "manual" && "The token is selected: copy it with Ctrl+C or ⌘C."}
        </span>
      </div>
    </div>
  );
}
