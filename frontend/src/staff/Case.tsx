/** One case (/staff/cases/:caseId): the target in context, its reports, staff notes, the account's
 * earlier cases and actions, claiming, and the actions the role allows, each on a single key
 * (d dismiss, r remove, s sensitive, t restrict, l limit, u suspend, b ban, x delete; c claims or
 * releases, n writes a note, q goes back to the queue). Appeal cases get the decision form; a removed
 * post's media can be added to the known-bad list with one click. */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, type RefObject, useId, useRef, useState } from "react";
import { Link, useNavigate, useParams } from "react-router-dom";
import { ApiError } from "../api/client";
import { useMe } from "../auth/auth";
import { Avatar } from "../components/Avatar";
import { ErrorBanner } from "../components/Errors";
import { PostGrid } from "../components/PostGrid";
import { Spinner } from "../components/Spinner";
import { Carousel } from "../posts/Carousel";
import { TimeAgo } from "../posts/time";
import {
  addNote,
  addPostHashes,
  caseKey,
  claimCase,
  decideAppeal,
  fetchCase,
  KNOWN_BAD_KEY,
  type PostHashesResult,
  releaseCase,
} from "./api";
import { ActionDialog, DESTRUCTIVE } from "./ActionDialog";
import type { ActionKind, ActionOut, CaseDetail, CaseFlag, CaseOut } from "./types";
import { ACTION_DONE, ACTION_LABELS, dateTime, REASON_LABELS, reasonsLine, TARGET_LABELS } from "./format";
import { useHotkeys } from "./hotkeys";
import { can, type Permission } from "./permissions";
import { StaffScreen } from "./StaffScreen";

const KEYS: Record<ActionKind, string> = {
  dismiss: "d",
  remove_content: "r",
  mark_sensitive: "s",
  restrict: "t",
  limit: "l",
  suspend: "u",
  ban: "b",
  delete: "x",
};

/** The permission an action needs on this case's target (as the server checks it). */
export function permissionFor(kind: ActionKind, target: string): Permission {
  if (kind === "dismiss") return "reports.handle";
  if (kind === "remove_content" || kind === "mark_sensitive") return "content.act";
  if (kind === "delete") return target === "user" ? "accounts.act" : "content.act";
  return "accounts.act";
}

/** The actions that make sense for a case (before permissions). */
function actionsFor(detail: CaseDetail): ActionKind[] {
  const target = detail.case.target;
  if (target === "appeal") return [];
  if (detail.target.deleted) return ["dismiss"];
  const kinds: ActionKind[] = ["dismiss"];
  if (target === "post" || target === "comment") kinds.push("remove_content");
  if (target === "post") kinds.push("mark_sensitive");
  kinds.push("restrict", "limit", "suspend", "ban", "delete");
  return kinds;
}

function AccountLink({ username }: { username: string | null }) {
  if (!username) return <span>a deleted account</span>;
  return <Link to={`/staff/accounts/${username}`}>@{username}</Link>;
}

function Target({ detail }: { detail: CaseDetail }) {
  const { target, case: item } = detail;
  if (item.target === "appeal") return null;
  if (target.deleted) {
    return <p className="notice staff-deleted">This {(TARGET_LABELS[item.target] ?? "item").toLowerCase()} has been deleted.</p>;
  }
  const post = target.post;
  return (
    <section className="card staff-target" aria-label="Reported content">
      {target.comment && (
        <div className="staff-comment">
          <h2 className="staff-section-title">Comment</h2>
          <p>
            <AccountLink username={target.comment.author.username} /> {target.comment.text}
          </p>
          <TimeAgo iso={target.comment.created_at} className="hint" />
        </div>
      )}
      {post && (
        <div className="staff-post">
          <h2 className="staff-section-title">{target.comment ? "On the post" : "Post"}</h2>
          <p className="staff-post-head">
            <Avatar user={post.author} size={28} /> <AccountLink username={post.author.username} /> ·{" "}
            <Link to={`/p/${post.id}`}>open post</Link> · <TimeAgo iso={post.created_at} />
            {post.moderation !== "visible" && <span className="pill pill-danger">{post.moderation}</span>}
          </p>
          {post.items.length > 0 && (
            <div className="staff-media">
              <Carousel items={post.items} />
            </div>
          )}
          {post.caption && <p className="staff-caption">{post.caption}</p>}
        </div>
      )}
      {item.target === "user" && target.account && (
        <div className="staff-account-card">
          <h2 className="staff-section-title">Account</h2>
          <p className="staff-post-head">
            <Avatar user={target.account.summary} size={40} /> <AccountLink username={target.account.summary.username} />
            {!target.account.is_active && <span className="pill pill-danger">inactive</span>}
          </p>
          {target.account.bio && <p>{target.account.bio}</p>}
          <p className="hint">
            {target.account.posts_count} posts · {target.account.followers_count} followers ·{" "}
            {target.account.following_count} following · joined {dateTime(target.account.created_at)}
          </p>
          {target.account.recent_posts.length > 0 && (
            <PostGrid posts={target.account.recent_posts} label="Recent posts" />
          )}
        </div>
      )}
    </section>
  );
}

/** "1 hash", "35 hashes". */
function hashCount(count: number): string {
  return `${count.toLocaleString()} ${count === 1 ? "hash" : "hashes"}`;
}

/** What listing a post's media did, e.g. "Listed 35 hashes (0 already listed)." (exported for tests). */
export function listedLine(result: PostHashesResult): string {
  if (result.hashes.length === 0) return "Its media gave no hashes to list.";
  let line = `Listed ${hashCount(result.added)} (${result.already_listed.toLocaleString()} already listed).`;
  if (result.below_quality > 0) {
    line += ` ${result.below_quality.toLocaleString()} of them below the minimum quality: kept, but never matched.`;
  }
  return line;
}

/** One click after a post's removal: add the PDQ hashes of its media (each photo, each video's
 * keyframes, with crop/turn variants) to the known-bad list, so later uploads of the same media are
 * refused. Needs content.act, the permission that removed it; the server lists only a removed post's
 * media (409 not_removed otherwise), so a post still up gets a hint instead of the button. Listing
 * twice is harmless: the hashes already there count as already listed. */
function KnownBadMedia({ detail }: { detail: CaseDetail }) {
  const { me } = useMe();
  const client = useQueryClient();
  const post = detail.target.post;
  const list = useMutation({
    mutationFn: () => addPostHashes(post?.id ?? ""),
    onSuccess: () => client.invalidateQueries({ queryKey: KNOWN_BAD_KEY }),
  });
  if (detail.case.target !== "post" || detail.target.deleted || !post || !can(me, "content.act")) return null;
  if (post.moderation !== "removed") {
    return <p className="hint staff-known-bad">Remove the post first to list its media as known-bad.</p>;
  }
  return (
    <section className="staff-section staff-known-bad" aria-label="Known-bad media">
      <button type="button" className="button button-secondary" onClick={() => list.mutate()} disabled={list.isPending}>
        {list.isPending ? "Adding…" : "Add its media to the known-bad list"}
      </button>
      <p className="hint">Uploads of the same photos or videos will be refused.</p>
      {list.data && (
        <p className="notice" role="status">
          {listedLine(list.data)}
        </p>
      )}
      <ErrorBanner error={list.error} />
    </section>
  );
}

/** "0.80" for an automated score (0..1). */
function score(value: number): string {
  return value.toFixed(2);
}

/** Why the instance's own rules sent the case here: each automated flag's rule and score, or, for a
 * case scored with no flag recorded, its score alone. */
export function AutomatedFlags({ detail }: { detail: CaseDetail }) {
  const flags: CaseFlag[] = detail.flags;
  const best = detail.case.automated_score;
  if (flags.length === 0 && best === null) return null;
  return (
    <section className="staff-section staff-flags" aria-label="Flagged automatically">
      <h2 className="staff-section-title">Flagged automatically</h2>
      {flags.length === 0 ? (
        <p>
          By a rule · score <strong>{score(best ?? 0)}</strong>
        </p>
      ) : (
        <ul className="list-plain staff-list">
          {flags.map((flag, index) => (
            <li key={`${flag.created_at}-${index}`}>
              <span>{flag.reason || "A rule"}</span> · score{" "}
              <strong>{score(flag.score)}</strong> · <TimeAgo iso={flag.created_at} />
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

export function ActionList({ actions, title = "Actions" }: { actions: ActionOut[]; title?: string }) {
  if (actions.length === 0) return null;
  return (
    <section className="staff-section">
      <h2 className="staff-section-title">{title}</h2>
      <ul className="list-plain staff-list">
        {actions.map((action) => (
          <li key={action.id}>
            <strong>{ACTION_DONE[action.kind] ?? action.kind}</strong>
            {action.strike && <span className="pill pill-danger">strike</span>}
            {action.reversed_at && <span className="pill">reversed</span>}{" "}
            by {action.actor ? <AccountLink username={action.actor.username} /> : "the operator"} ·{" "}
            <TimeAgo iso={action.created_at} />
            {action.reason && <p className="staff-quote">{action.reason}</p>}
            {action.policy && <p className="hint">Policy: {action.policy}</p>}
            {action.until && <p className="hint">Until {dateTime(action.until)}</p>}
          </li>
        ))}
      </ul>
    </section>
  );
}

export function CaseList({ cases, title }: { cases: CaseOut[]; title: string }) {
  if (cases.length === 0) return null;
  return (
    <section className="staff-section">
      <h2 className="staff-section-title">{title}</h2>
      <ul className="list-plain staff-list">
        {cases.map((item) => (
          <li key={item.id}>
            <Link to={`/staff/cases/${item.id}`}>
              {TARGET_LABELS[item.target] ?? item.target} case #{item.id}
            </Link>{" "}
            · {item.status} · {reasonsLine(item.reasons) || "no reports"} · <TimeAgo iso={item.created_at} />
          </li>
        ))}
      </ul>
    </section>
  );
}

function Notes({ detail, noteField }: { detail: CaseDetail; noteField: RefObject<HTMLTextAreaElement | null> }) {
  const client = useQueryClient();
  const [text, setText] = useState("");
  const id = useId();
  const note = useMutation({
    mutationFn: () => addNote(detail.case.id, text.trim()),
    onSuccess: async () => {
      setText("");
      await client.invalidateQueries({ queryKey: caseKey(detail.case.id) });
    },
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (text.trim()) note.mutate();
  };
  return (
    <section className="staff-section">
      <h2 className="staff-section-title">Notes</h2>
      {detail.notes.length === 0 && <p className="hint">No notes yet.</p>}
      <ul className="list-plain staff-list">
        {detail.notes.map((item) => (
          <li key={item.id}>
            <AccountLink username={item.author.username} /> · <TimeAgo iso={item.created_at} />
            <p className="staff-quote">{item.text}</p>
          </li>
        ))}
      </ul>
      <form onSubmit={submit} className="staff-form">
        <div className="field">
          <label htmlFor={id}>Note for other staff</label>
          <textarea
            id={id}
            ref={noteField}
            rows={2}
            maxLength={2000}
            value={text}
            onChange={(event) => setText(event.target.value)}
            onKeyDown={(event) => {
              if (event.key === "Escape") event.currentTarget.blur();
            }}
          />
        </div>
        <ErrorBanner error={note.error} />
        <button type="submit" className="button button-secondary" disabled={!text.trim() || note.isPending}>
          Add note
        </button>
      </form>
    </section>
  );
}

function AppealPanel({ detail }: { detail: CaseDetail }) {
  const { me } = useMe();
  const client = useQueryClient();
  const id = useId();
  const [decision, setDecision] = useState<"uphold" | "reverse" | null>(null);
  const [reason, setReason] = useState("");
  const appeal = detail.appeal;
  const decide = useMutation({
    mutationFn: () => decideAppeal(detail.case.id, { decision: decision ?? "uphold", reason: reason.trim() }),
    onSuccess: () => client.invalidateQueries({ queryKey: ["staff"] }),
  });
  if (!appeal) return <p className="hint">The appeal is not available.</p>;
  const action = appeal.action;
  const allowed = action ? can(me, permissionFor(action.kind, action.target)) : false;
  const open = detail.case.status === "open";
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (decision && reason.trim()) decide.mutate();
  };
  return (
    <section className="card staff-appeal" aria-label="Appeal">
      <h2 className="staff-section-title">Appeal</h2>
      <p className="staff-quote">{appeal.text}</p>
      <p className="hint">
        Filed <TimeAgo iso={appeal.created_at} /> · {appeal.status}
      </p>
      {action && <ActionList actions={[action]} title="The action appealed" />}
      {open && allowed && (
        <form onSubmit={submit} className="staff-form">
          <fieldset className="staff-choices">
            <legend>Decision</legend>
            <label className="check">
              <input type="radio" name={`${id}-decision`} checked={decision === "uphold"} onChange={() => setDecision("uphold")} />
              <span>Uphold: the action stands</span>
            </label>
            <label className="check">
              <input type="radio" name={`${id}-decision`} checked={decision === "reverse"} onChange={() => setDecision("reverse")} />
              <span>Reverse: undo the action</span>
            </label>
          </fieldset>
          <div className="field">
            <label htmlFor={`${id}-reason`}>Reason</label>
            <textarea id={`${id}-reason`} rows={3} maxLength={2000} value={reason} onChange={(event) => setReason(event.target.value)} />
          </div>
          <ErrorBanner error={decide.error} />
          <button type="submit" className="button" disabled={!decision || !reason.trim() || decide.isPending}>
            {decide.isPending ? "Deciding…" : "Decide appeal"}
          </button>
        </form>
      )}
      {open && !allowed && <p className="hint">Your staff role cannot decide this appeal.</p>}
    </section>
  );
}

function ClaimButton({ detail }: { detail: CaseDetail }) {
  const { me } = useMe();
  const client = useQueryClient();
  const item = detail.case;
  const mine = item.claimed_by?.id === me?.profile.id;
  const claim = useMutation({
    mutationFn: () => (mine ? releaseCase(item.id) : claimCase(item.id)),
    onSuccess: () => client.invalidateQueries({ queryKey: ["staff"] }),
  });
  const toggle = () => {
    if (!claim.isPending && item.status === "open" && (!item.claimed_by || mine)) claim.mutate();
  };
  useHotkeys({ c: toggle });
  if (item.status !== "open") return null;
  if (item.claimed_by && !mine) {
    return <p className="staff-claim">Claimed by <AccountLink username={item.claimed_by.username} /></p>;
  }
  return (
    <div className="staff-claim">
      {mine && <span>Claimed by you</span>}
      <button type="button" className="button button-secondary" onClick={toggle} disabled={claim.isPending}>
        {mine ? "Release" : "Claim"} <kbd>c</kbd>
      </button>
      <ErrorBanner error={claim.error} />
    </div>
  );
}

function CaseBody({ detail }: { detail: CaseDetail }) {
  const { me } = useMe();
  const navigate = useNavigate();
  const noteField = useRef<HTMLTextAreaElement>(null);
  const [acting, setActing] = useState<ActionKind | null>(null);
  const [done, setDone] = useState<ActionKind | null>(null);
  const item = detail.case;
  const open = item.status === "open";
  const claimedByOther = Boolean(item.claimed_by && item.claimed_by.id !== me?.profile.id);
  const kinds = open && !claimedByOther ? actionsFor(detail).filter((kind) => can(me, permissionFor(kind, item.target))) : [];

  const keys: Record<string, () => void> = {
    n: () => noteField.current?.focus(),
    q: () => navigate("/staff"),
  };
  for (const kind of kinds) keys[KEYS[kind]] = () => setActing(kind);
  useHotkeys(keys);

  return (
    <>
      <div className="staff-case-head">
        <p>
          <strong>{TARGET_LABELS[item.target] ?? item.target}</strong> by <AccountLink username={item.account.username} /> ·
          priority {item.priority} · <span className="pill">{item.status}</span>
        </p>
        {reasonsLine(item.reasons) && (
          <p className="hint">
            {reasonsLine(item.reasons)} · {item.reporters_count} {item.reporters_count === 1 ? "reporter" : "reporters"}
          </p>
        )}
        <ClaimButton detail={detail} />
      </div>
      {done && (
        <p className="notice" role="status">
          {ACTION_DONE[done]}. <Link to="/staff">Back to the queue</Link>
        </p>
      )}
      {kinds.length > 0 && (
        <div className="staff-actions" role="group" aria-label="Actions">
          {kinds.map((kind) => (
            <button
              key={kind}
              type="button"
              className={DESTRUCTIVE.has(kind) ? "button button-danger" : "button button-secondary"}
              aria-keyshortcuts={KEYS[kind]}
              onClick={() => setActing(kind)}
            >
              {ACTION_LABELS[kind]} <kbd>{KEYS[kind]}</kbd>
            </button>
          ))}
        </div>
      )}
      {open && claimedByOther && <p className="hint">Another moderator holds this case.</p>}
      {acting && (
        <ActionDialog
          kind={acting}
          item={item}
          onClose={() => setActing(null)}
          onDone={() => {
            setDone(acting);
            setActing(null);
          }}
        />
      )}
      <div className="staff-columns">
        <div>
          {item.target === "appeal" ? <AppealPanel detail={detail} /> : <Target detail={detail} />}
          <KnownBadMedia detail={detail} />
        </div>
        <div>
          <AutomatedFlags detail={detail} />
          {detail.reports.length > 0 && (
            <section className="staff-section">
              <h2 className="staff-section-title">Reports</h2>
              <ul className="list-plain staff-list">
                {detail.reports.map((report) => (
                  <li key={report.id}>
                    <strong>{REASON_LABELS[report.reason] ?? report.reason}</strong> from{" "}
                    <AccountLink username={report.reporter.username} /> · <TimeAgo iso={report.created_at} />
                    {report.details && <p className="staff-quote">{report.details}</p>}
                  </li>
                ))}
              </ul>
            </section>
          )}
          <ActionList actions={detail.actions ?? []} />
          <Notes detail={detail} noteField={noteField} />
          <CaseList cases={detail.earlier_cases} title="Earlier cases about this account" />
        </div>
      </div>
    </>
  );
}

function CaseScreen({ caseId }: { caseId: string }) {
  const query = useQuery({ queryKey: caseKey(caseId), queryFn: () => fetchCase(caseId) });
  const missing = query.error instanceof ApiError && query.error.status === 404;
  return (
    <>
      <p className="hint staff-keys">
        <Link to="/staff">← Queue</Link> · <kbd>q</kbd> queue · <kbd>n</kbd> note
      </p>
      {query.isPending && <Spinner label="Loading the case" />}
      {missing && <p className="empty-state">No such case.</p>}
      {query.isError && !missing && <ErrorBanner error={query.error} onRetry={() => query.refetch()} />}
      {query.data && <CaseBody detail={query.data} />}
    </>
  );
}

export function Case() {
  const { caseId = "" } = useParams();
  return (
    <StaffScreen permission="reports.handle" title={`Case #${caseId}`}>
      <CaseScreen key={caseId} caseId={caseId} />
    </StaffScreen>
  );
}
