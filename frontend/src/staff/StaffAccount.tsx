/** An account as staff see it (/staff/accounts/:username): its states (restricted, limited,
 * suspended, banned), the actions taken against it and its cases. */
import { useQuery } from "@tanstack/react-query";
import { type FormEvent, useState } from "react";
import { Link, useNavigate, useParams } from "react-router-dom";
import { ApiError } from "../api/client";
import { Avatar } from "../components/Avatar";
import { ErrorBanner } from "../components/Errors";
import { PostGrid } from "../components/PostGrid";
import { Spinner } from "../components/Spinner";
import { fetchStaffAccount } from "./api";
import { ActionList, CaseList } from "./Case";
import type { StaffAccountOut } from "./types";
import { dateTime } from "./format";
import { StaffScreen } from "./StaffScreen";

function States({ data }: { data: StaffAccountOut }) {
  const states: string[] = [];
  if (data.banned) states.push("Banned");
  if (data.suspended_until) states.push(`Suspended until ${dateTime(data.suspended_until)}`);
  if (data.restricted) states.push("Restricted");
  if (data.limited) states.push("Limited");
  if (states.length === 0) return <p className="hint">In good standing.</p>;
  return (
    <ul className="list-plain staff-states" aria-label="Account states">
      {states.map((state) => (
        <li key={state} className="pill pill-danger">
          {state}
        </li>
      ))}
    </ul>
  );
}

function AccountBody({ username }: { username: string }) {
  const navigate = useNavigate();
  const [other, setOther] = useState(username);
  const query = useQuery({ queryKey: ["staff", "account", username], queryFn: () => fetchStaffAccount(username) });
  const data = query.data;
  const account = data?.account;
  const go = (event: FormEvent) => {
    event.preventDefault();
    if (other.trim()) navigate(`/staff/accounts/${encodeURIComponent(other.trim())}`);
  };
  return (
    <>
      <form className="staff-inline-form" onSubmit={go} role="search">
        <label className="visually-hidden" htmlFor="staff-account-name">
          Look up an account
        </label>
        <input id="staff-account-name" className="input" value={other} onChange={(event) => setOther(event.target.value)} />
        <button type="submit" className="button button-secondary">
          Look up
        </button>
      </form>
      {query.isPending && <Spinner label="Loading the account" />}
      {query.error instanceof ApiError && query.error.status === 404 ? (
        <p className="empty-state">No account is called @{username}.</p>
      ) : (
        <ErrorBanner error={query.error} onRetry={() => query.refetch()} />
      )}
      {data && account && (
        <>
          <section className="card staff-account-card">
            <p className="staff-post-head">
              <Avatar user={account.summary} size={48} />
              <Link to={`/${account.summary.username}`}>{account.summary.display_name || account.summary.username}</Link>
              {account.role !== "none" && <span className="pill">{account.role}</span>}
              {!account.is_active && <span className="pill pill-danger">inactive</span>}
            </p>
            {account.bio && <p>{account.bio}</p>}
            <p className="hint">
              {account.posts_count} posts · {account.followers_count} followers · {account.following_count} following ·
              joined {dateTime(account.created_at)}
            </p>
            <States data={data} />
          </section>
          <ActionList actions={data.actions} title="Actions against this account" />
          <CaseList cases={data.cases} title="Cases" />
          {account.recent_posts.length > 0 && (
            <section className="staff-section">
              <h2 className="staff-section-title">Recent posts</h2>
              <PostGrid posts={account.recent_posts} label="Recent posts" />
            </section>
          )}
        </>
      )}
    </>
  );
}

export function StaffAccount() {
  const { username = "" } = useParams();
  return (
    <StaffScreen permission="reports.handle" title={`@${username}`}>
      <AccountBody key={username} username={username} />
    </StaffScreen>
  );
}
