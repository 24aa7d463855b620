/** One moderation action on a case: its fields (reason, policy, strike, duration), then, for a
 * destructive action (remove, suspend, ban, delete), a second step that says what will happen and
 * asks to confirm. Nothing is sent before that. */
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useId, useState } from "react";
import { ApiError } from "../api/client";
import { Dialog } from "../components/Dialog";
import { ErrorBanner, FieldError, fieldErrorId } from "../components/Errors";
import { takeAction } from "./api";
import type { ActionCreate, ActionKind, CaseOut } from "./types";
import { ACTION_LABELS, TARGET_LABELS } from "./format";

export const DESTRUCTIVE: ReadonlySet<ActionKind> = new Set(["remove_content", "suspend", "ban", "delete"]);
const ACCOUNT_KINDS: ReadonlySet<ActionKind> = new Set(["restrict", "limit", "suspend", "ban"]);

/** What confirming does, in a sentence. */
function consequence(kind: ActionKind, item: CaseOut, hours: number): string {
  const who = `@${item.account.username ?? "deleted"}`;
  const what = (TARGET_LABELS[item.target] ?? item.target).toLowerCase();
  switch (kind) {
    case "remove_content":
      return `The ${what} by ${who} will disappear everywhere. An appeal can bring it back.`;
    case "suspend":
      return `${who} will be logged out everywhere and unable to log in for ${hours} ${hours === 1 ? "hour" : "hours"}; everything they made is hidden until then.`;
    case "ban":
      return `${who} will be logged out everywhere and unable to log in; everything they made is hidden until the ban is reversed.`;
    case "delete":
      return item.target === "user"
        ? `The account ${who} and everything it made will be deleted. This cannot be undone.`
        : `The ${what} by ${who} will be deleted. This cannot be undone.`;
    default:
      return "";
  }
}

type Props = { kind: ActionKind; item: CaseOut; onClose: () => void; onDone: () => void };

export function ActionDialog({ kind, item, onClose, onDone }: Props) {
  const ids = useId();
  const client = useQueryClient();
  const [reason, setReason] = useState("");
  const [policy, setPolicy] = useState("");
  const [strike, setStrike] = useState(false);
  const [hours, setHours] = useState(24);
  const [confirming, setConfirming] = useState(false);
  const dismiss = kind === "dismiss";
  const label = ACTION_LABELS[kind];
  const onAccount = ACCOUNT_KINDS.has(kind) && item.target !== "user";

  const action = useMutation({
    mutationFn: (body: ActionCreate) => takeAction(item.id, body),
    onSuccess: async () => {
      await client.invalidateQueries({ queryKey: ["staff"] });
      onDone();
    },
    onError: (error) => {
      // A field's problem is fixed on the form, not on the confirmation.
      if (error instanceof ApiError && Object.keys(error.fields).length > 0) setConfirming(false);
    },
  });

  const body = (): ActionCreate => ({
    action: kind,
    reason: reason.trim(),
    policy: dismiss ? "" : policy.trim(),
    strike: dismiss ? false : strike,
    ...(kind === "suspend" ? { duration_hours: hours } : {}),
  });

  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (DESTRUCTIVE.has(kind) && !confirming) setConfirming(true);
    else action.mutate(body());
  };

  if (confirming) {
    return (
      <Dialog title={`${label}?`} onClose={onClose}>
        <p className="confirm-text">{consequence(kind, item, hours)}</p>
        <p className="hint">Reason: {reason.trim()}</p>
        <ErrorBanner error={action.error} />
        <div className="confirm-actions">
          <button
            type="button"
            className="button button-danger"
            disabled={action.isPending}
            onClick={() => action.mutate(body())}
            autoFocus
          >
            {action.isPending ? "Working…" : `Yes, ${label.toLowerCase()}`}
          </button>
          <button type="button" className="button button-secondary" onClick={() => setConfirming(false)}>
            Back
          </button>
        </div>
      </Dialog>
    );
  }

  const fieldFailed = action.error instanceof ApiError && Object.keys(action.error.fields).length > 0;
  return (
    <Dialog title={label} onClose={onClose}>
      <form onSubmit={submit} className="staff-form">
        {onAccount && <p className="hint">This applies to the author, @{item.account.username ?? "deleted"}.</p>}
        <div className="field">
          <label htmlFor={`${ids}-reason`}>{dismiss ? "Reason (optional)" : "Reason"}</label>
          <textarea
            id={`${ids}-reason`}
            rows={3}
            maxLength={2000}
            required={!dismiss}
            value={reason}
            onChange={(event) => setReason(event.target.value)}
            aria-describedby={fieldErrorId("reason")}
            autoFocus
          />
          <FieldError error={action.error} name="reason" />
        </div>
        {!dismiss && (
          <div className="field">
            <label htmlFor={`${ids}-policy`}>Policy</label>
            <input
              id={`${ids}-policy`}
              maxLength={100}
              value={policy}
              placeholder="e.g. Community guidelines § 3"
              onChange={(event) => setPolicy(event.target.value)}
            />
            <FieldError error={action.error} name="policy" />
          </div>
        )}
        {kind === "suspend" && (
          <div className="field">
            <label htmlFor={`${ids}-hours`}>Duration (hours)</label>
            <input
              id={`${ids}-hours`}
              type="number"
              min={1}
              max={8760}
              required
              value={hours}
              onChange={(event) => setHours(Number(event.target.value))}
            />
            <FieldError error={action.error} name="duration_hours" />
          </div>
        )}
        {!dismiss && (
          <label className="check">
            <input type="checkbox" checked={strike} onChange={(event) => setStrike(event.target.checked)} />
            <span>Count a strike against the account</span>
          </label>
        )}
        <ErrorBanner error={fieldFailed ? null : action.error} />
        <button
          type="submit"
          className={DESTRUCTIVE.has(kind) ? "button button-danger button-block" : "button button-block"}
          disabled={action.isPending || (!dismiss && !reason.trim())}
        >
          {action.isPending ? "Working…" : DESTRUCTIVE.has(kind) ? `${label}…` : label}
        </button>
      </form>
    </Dialog>
  );
}
