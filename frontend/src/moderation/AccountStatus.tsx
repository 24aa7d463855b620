/** "Account status" (/accounts/status): every action moderators took against the viewer (what, why,
 * which policy, until when, whether reversed), and an appeal form for each one that can still be
 * appealed (once per action). */
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useId, useState } from "react";
import { ErrorBanner, FieldError } from "../components/Errors";
import { LoadMore, useCursorPages } from "../components/InfiniteList";
import { Spinner } from "../components/Spinner";
import { TimeAgo } from "../posts/time";
import { appealStrike, fetchStrikes, STRIKES_KEY } from "../staff/api";
import type { StrikeOut } from "../staff/types";
import { ACTION_DONE, dateTime, TARGET_LABELS } from "../staff/format";
import "../staff/staff.css";
import "./moderation.css";

const APPEAL_STATUS: Record<string, string> = {
  open: "Your appeal is waiting for a moderator.",
  upheld: "Your appeal was reviewed: the decision stands.",
  reversed: "Your appeal was accepted: the action was reversed.",
};

/** Sends an appeal against one action; `sent` runs once the API accepted it. */
export type AppealSender = { send: (strikeId: string, text: string) => Promise<unknown>; sent: () => unknown };

function AppealForm({ strike, appeal: sender }: { strike: StrikeOut; appeal: AppealSender }) {
  const id = useId();
  const [open, setOpen] = useState(false);
  const [text, setText] = useState("");
  const appeal = useMutation({
    mutationFn: () => sender.send(strike.id, text.trim()),
    onSuccess: () => sender.sent(),
  });
  if (!open) {
    return (
      <button type="button" className="button button-secondary" onClick={() => setOpen(true)}>
        Appeal
      </button>
    );
  }
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (text.trim()) appeal.mutate();
  };
  return (
    <form onSubmit={submit} className="staff-form" aria-label="Appeal">
      <div className="field">
        <label htmlFor={id}>Why should this be reversed?</label>
        <textarea id={id} rows={3} maxLength={2000} required value={text} onChange={(event) => setText(event.target.value)} autoFocus />
        <FieldError error={appeal.error} name="text" />
      </div>
      <p className="hint">You can appeal each action once. A different moderator will review it.</p>
      <ErrorBanner error={appeal.error} />
      <button type="submit" className="button" disabled={!text.trim() || appeal.isPending}>
        {appeal.isPending ? "Sending…" : "Send appeal"}
      </button>
    </form>
  );
}

/** One action against the account: what, why, which policy, until when, the appeal's state, and the
 * appeal form while it can still be appealed (once per action). */
export function StrikeItem({ strike, appeal }: { strike: StrikeOut; appeal: AppealSender }) {
  const what = TARGET_LABELS[strike.target]?.toLowerCase() ?? strike.target;
  return (
    <li className="card strike">
      <p>
        <strong>{ACTION_DONE[strike.kind] ?? strike.kind}</strong>
        {strike.target !== "user" && <> · your {what}</>}
        {strike.strike && <span className="pill pill-danger">strike</span>}
        {strike.reversed_at && <span className="pill">reversed</span>} · <TimeAgo iso={strike.created_at} />
      </p>
      {strike.reason && <p className="staff-quote">{strike.reason}</p>}
      {strike.policy && <p className="hint">Policy: {strike.policy}</p>}
      {strike.until && <p className="hint">Until {dateTime(strike.until)}</p>}
      {strike.appeal && <p className="hint">{APPEAL_STATUS[strike.appeal.status] ?? `Appeal: ${strike.appeal.status}`}</p>}
      {strike.appealable && !strike.appeal && !strike.reversed_at && <AppealForm strike={strike} appeal={appeal} />}
    </li>
  );
}

export function AccountStatus() {
  const client = useQueryClient();
  const query = useCursorPages<StrikeOut>(STRIKES_KEY, fetchStrikes);
  const appeal: AppealSender = { send: appealStrike, sent: () => client.invalidateQueries({ queryKey: STRIKES_KEY }) };
  return (
    <div className="account-status">
      <h1>Account status</h1>
      <p className="hint">Actions moderators took on your account or content, and why.</p>
      {query.isPending && <Spinner label="Loading" />}
      {query.isError && !query.data && <ErrorBanner error={query.error} onRetry={() => query.refetch()} />}
      {query.isSuccess && query.items.length === 0 && (
        <div className="empty-state">
          <h2>No actions</h2>
          <p>Your account is in good standing.</p>
        </div>
      )}
      <ul className="list-plain strikes">
        {query.items.map((strike) => (
          <StrikeItem key={strike.id} strike={strike} appeal={appeal} />
        ))}
      </ul>
      {query.items.length > 0 && <LoadMore {...query} error={query.isFetchNextPageError ? query.error : null} />}
    </div>
  );
}
