/** Automated detection (/staff/detection, permission rules.manage, as the keyword and link rules).
 *
 * Two parts. The thresholds the spam filter, the nudity detector and known-bad media matching decide
 * with: one number per value, what happens from that score, the instance's default beside it when
 * staff changed it; Save sends only what changed, "Reset to default" sends null for one value (both
 * PATCH /staff/detection/thresholds, which answers the whole set again). Ranges are checked here as
 * the API checks them, so a typo is named before anything is sent; the API's own field errors (a
 * flag threshold above the hold threshold, say) show under their input the same way.
 *
 * And the known-bad media list: how many hashes, how many are matched (those of at least the minimum
 * quality), the newest 100 with delete (confirmed), and an import of a ThreatExchange-style CSV (hash,
 * quality, label) from a file or pasted, all or nothing: the API names the line it refused. */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { type ChangeEvent, type FormEvent, useId, useRef, useState } from "react";
import { ApiError } from "../api/client";
import { ConfirmDialog } from "../components/Dialog";
import { ErrorBanner, FieldError } from "../components/Errors";
import { Spinner } from "../components/Spinner";
import {
  deleteKnownBadHash,
  fetchKnownBadHashes,
  fetchThresholds,
  importKnownBadHashes,
  KNOWN_BAD_KEY,
  THRESHOLDS_KEY,
  updateThresholds,
} from "./api";
import { dateTime } from "./format";
import { StaffScreen } from "./StaffScreen";
import type {
  DetectionThresholds,
  HashImportResult,
  KnownBadHash,
  KnownBadHashList,
  ThresholdChanges,
  ThresholdName,
  ThresholdValues,
} from "./types";

type Threshold = { name: ThresholdName; label: string; help: string; min: number; max: number; step: number };

/** The values in the order staff read them, grouped by detector, with what happens from each. The
 * ranges are the API's (viewfinder/settings.py); a spam threshold above 1 is never reached. */
const GROUPS: { title: string; fields: Threshold[] }[] = [
  {
    title: "Spam (captions, comments, names and bios)",
    fields: [
      {
        name: "spam_flag_threshold",
        label: "Spam: flag from",
        help: "From this score the text is published and a case opens in the queue.",
        min: 0,
        max: 1.01,
        step: 0.01,
      },
      {
        name: "spam_hold_threshold",
        label: "Spam: hold from",
        help: "From this score the text is held for review: only its author sees it, told why (a profile change is refused).",
        min: 0,
        max: 1.01,
        step: 0.01,
      },
      {
        name: "spam_refuse_threshold",
        label: "Spam: refuse from",
        help: "From this score the text is refused outright. Above 1 means never.",
        min: 0,
        max: 1.01,
        step: 0.01,
      },
    ],
  },
  {
    title: "Nudity (photos and video keyframes)",
    fields: [
      {
        name: "nsfw_sensitive_threshold",
        label: "Nudity: mark sensitive from",
        help: "From this score the post is shown behind a tap-to-view warning.",
        min: 0,
        max: 1,
        step: 0.01,
      },
      {
        name: "nsfw_hold_threshold",
        label: "Nudity: hold from",
        help: "From this score the post is held for review (its author alone sees it) and a case opens.",
        min: 0,
        max: 1,
        step: 0.01,
      },
    ],
  },
  {
    title: "Known-bad media (PDQ hashes)",
    fields: [
      {
        name: "pdq_max_distance",
        label: "Match distance",
        help: "An upload within this many bits (of 256) of a listed hash is refused; 0 matches exact copies only.",
        min: 0,
        max: 31,
        step: 1,
      },
      {
        name: "pdq_min_quality",
        label: "Minimum quality",
        help: "Listed hashes and uploads of a lower PDQ quality (flat, blank images) are never matched.",
        min: 0,
        max: 100,
        step: 1,
      },
    ],
  },
];
const THRESHOLDS = GROUPS.flatMap((group) => group.fields);

type Draft = Record<ThresholdName, string>;

function draftOf(values: ThresholdValues): Draft {
  return Object.fromEntries(THRESHOLDS.map(({ name }) => [name, String(values[name])])) as Draft;
}

/** Each changed value as a number, or an error per field that is not a number in its range. */
function changesOf(draft: Draft, values: ThresholdValues): { changes: ThresholdChanges; errors: Record<string, string> } {
  const changes: ThresholdChanges = {};
  const errors: Record<string, string> = {};
  for (const { name, min, max, step } of THRESHOLDS) {
    const text = draft[name].trim();
    const value = Number(text);
    if (!text || !Number.isFinite(value)) errors[name] = "Enter a number.";
    else if (value < min || value > max) errors[name] = `Enter a number from ${min} to ${max}.`;
    else if (step === 1 && !Number.isInteger(value)) errors[name] = "Enter a whole number.";
    else if (value !== values[name]) changes[name] = value;
  }
  return { changes, errors };
}

function ThresholdsForm({ thresholds }: { thresholds: DetectionThresholds }) {
  const client = useQueryClient();
  const id = useId();
  const { values, defaults } = thresholds;
  const [draft, setDraft] = useState(() => draftOf(values));
  const [checked, setChecked] = useState<ApiError | null>(null);
  const [saved, setSaved] = useState<string | null>(null);
  const save = useMutation({
    mutationFn: updateThresholds,
    onSuccess: (answer, changes) => {
      client.setQueryData(THRESHOLDS_KEY, answer);
      const names = Object.keys(changes) as ThresholdName[];
      // A save takes the whole answer; a reset only its own field, so other unsaved edits stay.
      const saveAll = names.some((name) => changes[name] !== null);
      setDraft((before) => {
        if (saveAll) return draftOf(answer.values);
        const next = { ...before };
        for (const name of names) next[name] = String(answer.values[name]);
        return next;
      });
      setSaved(saveAll ? "Thresholds saved. They apply from the next post, comment or upload." : "Reset to the default.");
    },
  });
  // Save is offered for any edit, a wrong one too: submitting names what is wrong.
  const pending = changesOf(draft, values);
  const changed = Object.keys(pending.changes).length + Object.keys(pending.errors).length > 0;
  const error = checked ?? save.error;
  const fieldFailed = error instanceof ApiError && THRESHOLDS.some(({ name }) => error.field(name));

  const submit = (event: FormEvent) => {
    event.preventDefault();
    setSaved(null);
    const found = changesOf(draft, values);
    if (Object.keys(found.errors).length > 0) {
      setChecked(new ApiError(422, "invalid_thresholds", "Check the values marked below.", found.errors));
      return;
    }
    setChecked(null);
    if (Object.keys(found.changes).length > 0) save.mutate(found.changes);
  };
  const reset = (name: ThresholdName) => {
    setSaved(null);
    setChecked(null);
    save.mutate({ [name]: null });
  };

  const errorId = (name: string) => `${id}-${name}-error`;
  const failed = (name: string) => error instanceof ApiError && Boolean(error.field(name));
  return (
    <form onSubmit={submit} noValidate className="card staff-form" aria-label="Detection thresholds">
      {GROUPS.map((group) => (
        <fieldset key={group.title} className="detection-group">
          <legend>{group.title}</legend>
          {group.fields.map(({ name, label, help, min, max, step }) => {
            const inputId = `${id}-${name}`;
            const custom = values[name] !== defaults[name];
            return (
              <div key={name} className="field">
                <label htmlFor={inputId}>{label}</label>
                <div className="detection-value">
                  <input
                    id={inputId}
                    type="number"
                    inputMode="decimal"
                    min={min}
                    max={max}
                    step={step}
                    value={draft[name]}
                    aria-invalid={failed(name) || undefined}
                    aria-describedby={[`${inputId}-help`, failed(name) ? errorId(name) : ""].filter(Boolean).join(" ")}
                    onChange={(event) => setDraft({ ...draft, [name]: event.target.value })}
                  />
                  {custom && (
                    <>
                      <span className="hint">Default: {defaults[name]}</span>
                      <button
                        type="button"
                        className="link-button"
                        aria-label={`Reset to default: ${label}`}
                        disabled={save.isPending}
                        onClick={() => reset(name)}
                      >
                        Reset to default
                      </button>
                    </>
                  )}
                </div>
                <span className="hint" id={`${inputId}-help`}>
                  {help}
                </span>
                <FieldError error={error} name={name} id={errorId(name)} />
              </div>
            );
          })}
        </fieldset>
      ))}
      <ErrorBanner error={fieldFailed ? null : error} />
      {saved && (
        <p className="notice" role="status">
          {saved}
        </p>
      )}
      <p className="hint">
        {thresholds.changed_at ? `Last changed ${dateTime(thresholds.changed_at)}.` : "All values are the instance's settings."}
      </p>
      <button type="submit" className="button" disabled={!changed || save.isPending}>
        Save
      </button>
    </form>
  );
}

function Thresholds() {
  const query = useQuery({ queryKey: THRESHOLDS_KEY, queryFn: fetchThresholds });
  return (
    <section className="detection-section" aria-labelledby="detection-thresholds">
      <h2 id="detection-thresholds">Thresholds</h2>
      <p className="hint">Scores run from 0 to 1 (likely not, to almost surely). A change applies at once, in every process.</p>
      {query.isPending && <Spinner label="Loading thresholds" />}
      <ErrorBanner error={query.error} onRetry={() => query.refetch()} />
      {query.data && <ThresholdsForm thresholds={query.data} />}
    </section>
  );
}

/** The request body limit of the import (the API's): larger lists go through the command line. */
const MAX_IMPORT_BYTES = 2_000_000;

function resultLine(result: HashImportResult): string {
  const parts = [`Added ${result.added.toLocaleString()}`];
  if (result.below_quality > 0) {
    parts[0] += ` (${result.below_quality.toLocaleString()} below the minimum quality: kept, never matched)`;
  }
  parts.push(`${result.already_listed.toLocaleString()} already listed`);
  return `${parts.join("; ")}.`;
}

function ImportForm() {
  const client = useQueryClient();
  const id = useId();
  const file = useRef<HTMLInputElement>(null);
  const [source, setSource] = useState("");
  const [csv, setCsv] = useState("");
  const [tooLarge, setTooLarge] = useState(false);
  const [result, setResult] = useState<HashImportResult | null>(null);
  const run = useMutation({
    mutationFn: () => importKnownBadHashes({ source: source.trim(), csv }),
    onSuccess: async (answer) => {
      setResult(answer);
      setCsv("");
      if (file.current) file.current.value = "";
      await client.invalidateQueries({ queryKey: KNOWN_BAD_KEY });
    },
  });
  const pick = async (event: ChangeEvent<HTMLInputElement>) => {
    const chosen = event.target.files?.[0];
    if (!chosen) return;
    setResult(null);
    setTooLarge(chosen.size > MAX_IMPORT_BYTES);
    if (chosen.size > MAX_IMPORT_BYTES) return;
    setCsv(await chosen.text());
    if (!source.trim()) setSource(chosen.name.replace(/\.csv$/i, ""));
  };
  const submit = (event: FormEvent) => {
    event.preventDefault();
    setResult(null);
    if (source.trim() && csv.trim()) run.mutate();
  };
  const failed = (name: string) => (run.error instanceof ApiError && run.error.field(name) ? true : undefined);
  return (
    <form onSubmit={submit} className="card staff-form" aria-label="Import a hash list">
      <div className="field">
        <label htmlFor={`${id}-source`}>List name</label>
        <input
          id={`${id}-source`}
          maxLength={200}
          required
          value={source}
          aria-invalid={failed("source")}
          aria-describedby={`${id}-source-hint`}
          onChange={(event) => setSource(event.target.value)}
        />
        <span className="hint" id={`${id}-source-hint`}>
          Kept with each hash, e.g. “threatexchange-2026-12”.
        </span>
      </div>
      <div className="field">
        <label htmlFor={`${id}-file`}>CSV file</label>
        <input id={`${id}-file`} ref={file} type="file" accept=".csv,text/csv,text/plain" onChange={pick} />
        {tooLarge && (
          <p className="field-error" role="alert">
            This file is over 2 MB: import it on the server with <code>viewfinder ml import-hashes FILE</code>.
          </p>
        )}
      </div>
      <div className="field">
        <label htmlFor={`${id}-csv`}>Or paste the list</label>
        <textarea
          id={`${id}-csv`}
          rows={4}
          className="detection-csv"
          value={csv}
          aria-invalid={failed("file")}
          aria-describedby={`${id}-csv-hint`}
          onChange={(event) => setCsv(event.target.value)}
        />
        <span className="hint" id={`${id}-csv-hint`}>
          One hash a line: 64 hex digits, quality (0-100), label; a header line may come first. A wrong line refuses the
          whole list.
        </span>
      </div>
      <ErrorBanner error={run.error} />
      {result && (
        <p className="notice" role="status">
          {resultLine(result)}
        </p>
      )}
      <button type="submit" className="button" disabled={!source.trim() || !csv.trim() || run.isPending}>
        {run.isPending ? "Importing…" : "Import"}
      </button>
    </form>
  );
}

/** The first 16 hex digits of a hash: enough to tell rows apart; the whole hash is its title. */
function shortHash(hash: string): string {
  return hash.length > 16 ? `${hash.slice(0, 16)}…` : hash;
}

function HashRow({ item }: { item: KnownBadHash }) {
  const client = useQueryClient();
  const [confirming, setConfirming] = useState(false);
  const remove = useMutation({
    mutationFn: () => deleteKnownBadHash(item.id),
    onSuccess: async () => {
      setConfirming(false);
      client.setQueryData<KnownBadHashList>(KNOWN_BAD_KEY, (list) =>
        list && { ...list, total: list.total - 1, items: list.items.filter((row) => row.id !== item.id) },
      );
      await client.invalidateQueries({ queryKey: KNOWN_BAD_KEY });
    },
  });
  const short = shortHash(item.hash);
  return (
    <tr>
      <td>
        <code title={item.hash}>{short}</code>
      </td>
      <td>{item.label || "—"}</td>
      <td>{item.source}</td>
      <td>{item.quality}</td>
      <td>{dateTime(item.created_at)}</td>
      <td>
        <button type="button" className="button button-secondary" onClick={() => setConfirming(true)}>
          Delete <span className="visually-hidden">hash {short}</span>
        </button>
        {confirming && (
          <ConfirmDialog
            title="Delete hash?"
            confirmLabel="Delete hash"
            pending={remove.isPending}
            error={remove.error}
            onConfirm={() => remove.mutate()}
            onClose={() => setConfirming(false)}
          >
            Uploads matching {short} ({item.label || item.source}) will no longer be refused.
          </ConfirmDialog>
        )}
      </td>
    </tr>
  );
}

function KnownBadList() {
  const query = useQuery({ queryKey: KNOWN_BAD_KEY, queryFn: fetchKnownBadHashes });
  const list = query.data;
  return (
    <>
      {query.isPending && <Spinner label="Loading the list" />}
      <ErrorBanner error={query.error} onRetry={() => query.refetch()} />
      {list && (
        <p className="detection-counts">
          {list.total.toLocaleString()} {list.total === 1 ? "hash" : "hashes"} listed, {list.matchable.toLocaleString()}{" "}
          matched against uploads{list.matchable < list.total ? " (the rest are below the minimum quality)" : ""}.
          {list.total > list.items.length && ` The newest ${list.items.length} are shown.`}
        </p>
      )}
      {list && list.items.length === 0 && <p className="hint">No hashes listed yet.</p>}
      {list && list.items.length > 0 && (
        <div className="detection-table">
          <table className="staff-table" aria-label="Known-bad hashes">
            <thead>
              <tr>
                <th scope="col">Hash</th>
                <th scope="col">Label</th>
                <th scope="col">Source</th>
                <th scope="col">Quality</th>
                <th scope="col">Added</th>
                <th scope="col">
                  <span className="visually-hidden">Delete</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {list.items.map((item) => (
                <HashRow key={item.id} item={item} />
              ))}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}

function KnownBadMedia() {
  return (
    <section className="detection-section" aria-labelledby="detection-known-bad">
      <h2 id="detection-known-bad">Known-bad media</h2>
      <p className="hint">
        Uploads whose perceptual (PDQ) hash is close to one listed here are refused (see the match distance above).
      </p>
      <ImportForm />
      <KnownBadList />
    </section>
  );
}

export function Detection() {
  return (
    <StaffScreen permission="rules.manage" title="Detection">
      <Thresholds />
      <KnownBadMedia />
    </StaffScreen>
  );
}
