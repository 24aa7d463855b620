/** Keyword and link rules (/staff/rules): what they match and do (block, hold for review, flag),
 * a form to add one, and per rule: its action, on/off, and delete (confirmed). */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useId, useState } from "react";
import { ApiError } from "../api/client";
import { ConfirmDialog } from "../components/Dialog";
import { ErrorBanner, FieldError } from "../components/Errors";
import { Spinner } from "../components/Spinner";
import { createRule, deleteRule, fetchRules, RULES_KEY, updateRule } from "./api";
import type { RuleAction, RuleKind, RuleOut } from "./types";
import { StaffScreen } from "./StaffScreen";

const ACTIONS: { value: RuleAction; label: string }[] = [
  { value: "block", label: "Block" },
  { value: "hold", label: "Hold for review" },
  { value: "flag", label: "Flag" },
];

function NewRule() {
  const client = useQueryClient();
  const id = useId();
  const [kind, setKind] = useState<RuleKind>("keyword");
  const [pattern, setPattern] = useState("");
  const [action, setAction] = useState<RuleAction>("hold");
  const create = useMutation({
    mutationFn: () => createRule({ kind, pattern: pattern.trim(), action }),
    onSuccess: async () => {
      setPattern("");
      await client.invalidateQueries({ queryKey: RULES_KEY });
    },
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (pattern.trim()) create.mutate();
  };
  const fieldFailed = create.error instanceof ApiError && Object.keys(create.error.fields).length > 0;
  return (
    <form onSubmit={submit} className="card staff-form staff-rule-form" aria-label="New rule">
      <div className="field">
        <label htmlFor={`${id}-kind`}>Kind</label>
        <select id={`${id}-kind`} value={kind} onChange={(event) => setKind(event.target.value as RuleKind)}>
          <option value="keyword">Keyword</option>
          <option value="link">Link (domain)</option>
        </select>
      </div>
      <div className="field">
        <label htmlFor={`${id}-pattern`}>{kind === "link" ? "Domain" : "Keyword or phrase"}</label>
        <input id={`${id}-pattern`} maxLength={200} required value={pattern} onChange={(event) => setPattern(event.target.value)} />
        <FieldError error={create.error} name="pattern" />
      </div>
      <div className="field">
        <label htmlFor={`${id}-action`}>Then</label>
        <select id={`${id}-action`} value={action} onChange={(event) => setAction(event.target.value as RuleAction)}>
          {ACTIONS.map((option) => (
            <option key={option.value} value={option.value}>
              {option.label}
            </option>
          ))}
        </select>
      </div>
      <ErrorBanner error={fieldFailed ? null : create.error} />
      <button type="submit" className="button" disabled={!pattern.trim() || create.isPending}>
        Add rule
      </button>
    </form>
  );
}

function RuleRow({ rule }: { rule: RuleOut }) {
  const client = useQueryClient();
  const [confirming, setConfirming] = useState(false);
  const refresh = () => client.invalidateQueries({ queryKey: RULES_KEY });
  const update = useMutation({
    mutationFn: (body: { action?: RuleAction; enabled?: boolean }) => updateRule(rule.id, body),
    onSuccess: refresh,
  });
  const remove = useMutation({ mutationFn: () => deleteRule(rule.id), onSuccess: refresh });
  return (
    <li className={rule.enabled ? "staff-rule" : "staff-rule is-off"}>
      <span className="staff-rule-what">
        <span className="pill">{rule.kind}</span> <code>{rule.pattern}</code>
      </span>
      <label className="visually-hidden" htmlFor={`rule-${rule.id}-action`}>
        Action of {rule.pattern}
      </label>
      <select
        id={`rule-${rule.id}-action`}
        className="input staff-rule-action"
        value={rule.action}
        onChange={(event) => update.mutate({ action: event.target.value as RuleAction })}
      >
        {ACTIONS.map((option) => (
          <option key={option.value} value={option.value}>
            {option.label}
          </option>
        ))}
      </select>
      <label className="check">
        <input type="checkbox" checked={rule.enabled} onChange={(event) => update.mutate({ enabled: event.target.checked })} />
        <span>
          Enabled<span className="visually-hidden">: {rule.pattern}</span>
        </span>
      </label>
      <button type="button" className="button button-secondary" onClick={() => setConfirming(true)}>
        Delete <span className="visually-hidden">{rule.pattern}</span>
      </button>
      <ErrorBanner error={update.error} />
      {confirming && (
        <ConfirmDialog
          title="Delete rule?"
          confirmLabel="Delete rule"
          pending={remove.isPending}
          error={remove.error}
          onConfirm={() => remove.mutate()}
          onClose={() => setConfirming(false)}
        >
          The {rule.kind} rule “{rule.pattern}” will stop applying to new posts, comments and bios.
        </ConfirmDialog>
      )}
    </li>
  );
}

function RuleList() {
  const query = useQuery({ queryKey: RULES_KEY, queryFn: fetchRules });
  return (
    <>
      {query.isPending && <Spinner label="Loading rules" />}
      <ErrorBanner error={query.error} onRetry={() => query.refetch()} />
      {query.data && query.data.items.length === 0 && <p className="hint">No rules yet.</p>}
      <ul className="list-plain staff-rules" aria-label="Rules">
        {query.data?.items.map((rule) => <RuleRow key={rule.id} rule={rule} />)}
      </ul>
    </>
  );
}

export function Rules() {
  return (
    <StaffScreen permission="rules.manage" title="Rules">
      <NewRule />
      <RuleList />
    </StaffScreen>
  );
}
