/** One-time notices about the account's own state, carried from the screen that changed it to the
 * next one (sessionStorage, so a reload does not show them twice): "your account is deactivated",
 * "it will be deleted on …" on the log-in screen, "welcome back" after a log-in reopened it. */
import { useEffect, useState } from "react";
import { useLocation } from "react-router-dom";
import { formatDay } from "./format";
import "./accountNotice.css";

const KEY = "vf_account_notice";

export type AccountNotice =
  | { kind: "deactivated" }
  | { kind: "deletion_scheduled"; deleteAfter: string }
  | { kind: "deleted" }
  | { kind: "reactivated" }
  | { kind: "deletion_cancelled" };

export function rememberAccountNotice(notice: AccountNotice): void {
  try {
    sessionStorage.setItem(KEY, JSON.stringify(notice));
  } catch {
    // Storage refused (private mode): the notice is a courtesy, the change itself is done.
  }
}

/** The remembered notice, once: reading it forgets it. */
export function takeAccountNotice(): AccountNotice | null {
  try {
    const saved = sessionStorage.getItem(KEY);
    sessionStorage.removeItem(KEY);
    return saved ? (JSON.parse(saved) as AccountNotice) : null;
  } catch {
    return null;
  }
}

export function noticeText(notice: AccountNotice): string {
  switch (notice.kind) {
    case "deactivated":
      return "Your account is deactivated: your profile, posts and comments are hidden. Log in again whenever you want it back.";
    case "deletion_scheduled":
      return `Your account will be deleted on ${formatDay(notice.deleteAfter)}. Until then, logging in lets you cancel the deletion.`;
    case "deleted":
      return "Your account and everything in it have been deleted. Thank you for being here.";
    case "reactivated":
      return "Welcome back! Your account is active again: your profile, posts and comments are visible as before.";
    case "deletion_cancelled":
      return "Welcome back! The deletion of your account is cancelled and everything is visible as before.";
  }
}

/** Shows the notice remembered for a screen of these kinds, if any, until dismissed: looked for each
 * time the location changes (a notice remembered for another screen is left for it). */
export function AccountNoticeBanner({ only }: { only: AccountNotice["kind"][] }) {
  const { key } = useLocation();
  const [notice, setNotice] = useState<AccountNotice | null>(null);
  const kinds = only.join(",");
  useEffect(() => {
    const taken = takeAccountNotice();
    if (!taken) return;
    if (kinds.split(",").includes(taken.kind)) setNotice(taken);
    else rememberAccountNotice(taken);
  }, [key, kinds]);
  if (!notice) return null;
  return (
    <div className="notice account-notice" role="status">
      <p>{noticeText(notice)}</p>
      <button type="button" className="button button-secondary" onClick={() => setNotice(null)}>
        Dismiss
      </button>
    </div>
  );
}
