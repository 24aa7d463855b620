/** Recovery codes, shown the one time the API hands them out: copy them, download them as a text file,
 * then say they are saved. Each code logs in once when the app and the passkeys are lost. */
import { useEffect, useRef, useState } from "react";
import "../twoFactor.css";

type Saved = "idle" | "copied" | "manual" | "downloaded";

export function recoveryCodesText(codes: string[], username: string): string {
  return [
    `Viewfinder recovery codes for ${username}`,
    "Each code works once, to log in when you can't use your authenticator app or passkey.",
    "Keep them somewhere safe, away from your phone.",
    "",
    ...codes,
    "",
  ].join("\n");
}

export function RecoveryCodes({ codes, username, onDone }: { codes: string[]; username: string; onDone: () => void }) {
  const [saved, setSaved] = useState<Saved>("idle");
  const list = useRef<HTMLOListElement>(null);
  const region = useRef<HTMLDivElement>(null);
  useEffect(() => region.current?.focus(), [codes]);
  const text = recoveryCodesText(codes, username);

  const onCopy = async () => {
    try {
      await navigator.clipboard.writeText(text);
      setSaved("copied");
    } catch {
      const selection = window.getSelection();
      if (list.current && selection) {
        const range = document.createRange();
        range.selectNodeContents(list.current);
        selection.removeAllRanges();
        selection.addRange(range);
      }
      setSaved("manual");
    }
  };

  const onDownload = () => {
    const url = URL.createObjectURL(new Blob([text], { type: "text/plain" }));
    const link = document.createElement("a");
    link.href = url;
    link.download = `viewfinder-recovery-codes-${username}.txt`;
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 0);
    setSaved("downloaded");
  };

  return (
    <div ref={region} className="recovery-codes" role="region" aria-labelledby="recovery-codes-title" tabIndex={-1}>
      <h3 id="recovery-codes-title">Your recovery codes</h3>
      <p className="new-token-warning">
        <strong>Save them now:</strong> they won't be shown again. Each one logs you in once if you lose your phone
        or passkeys.
      </p>
      <ol ref={list} className="recovery-codes-list" aria-label="Recovery codes">
        {codes.map((code) => (
          <li key={code}>{code}</li>
        ))}
      </ol>
      <div className="recovery-codes-actions">
        <button type="button" className="button button-secondary" onClick={() => void onCopy()}>
          Copy
        </button>
        <button type="button" className="button button-secondary" onClick={onDownload}>
          Download
        </button>
        <button type="button" className="button" onClick={onDone}>
          I've saved them
        </button>
        <span role="status">
          {saved === "copied" && "Copied to the clipboard."}
          {saved === "manual" && "The codes are selected: copy them with Ctrl+C or ⌘C."}
          {saved === "downloaded" && "Downloaded as a text file."}
        </span>
      </div>
    </div>
  );
}
