/** The account's security log, newest first: log-ins (new devices marked), failed log-ins, log-outs,
 * password changes, API tokens and password confirmations, each with where it came from. */
import { api, type Schemas, unwrap } from "../../api/client";
import { ErrorBanner } from "../../components/Errors";
import { LoadMore, useCursorPages } from "../../components/InfiniteList";
import { Spinner } from "../../components/Spinner";
import { describeUserAgent, timeAgo } from "../format";
import { Section } from "./Section";

type SecurityEvent = Schemas["SecurityEventOut"];

export const SECURITY_EVENTS_KEY = ["security-events"] as const;

function text(value: unknown): string {
  return typeof value === "string" ? value : "";
}

function plural(count: unknown, one: string, many: string): string {
  const number = typeof count === "number" ? count : 0;
  return `${number} ${number === 1 ? one : many}`;
}

/** What happened, in a sentence. */
export function describeEvent(event: SecurityEvent): string {
  const detail = event.detail;
  switch (event.kind) {
    case "account_created":
      return "Account created";
    case "login_succeeded":
      return "Logged in";
    case "login_failed":
      return "Failed log-in (wrong password)";
    case "logged_out":
      return "Logged out";
    case "session_ended": {
      const where = text(detail.user_agent) ? ` on ${describeUserAgent(text(detail.user_agent))}` : "";
      return `Logged out a session${where}`;
    }
    case "password_changed":
      return `Password changed (${plural(detail.sessions_ended, "other session", "other sessions")} logged out, ${plural(detail.tokens_revoked, "API token", "API tokens")} revoked)`;
    case "token_created":
      return `API token "${text(detail.name)}" created`;
    case "token_revoked":
      return `API token "${text(detail.name)}" revoked`;
    case "reauthenticated":
      return "Password confirmed";
    case "reauthentication_failed":
      return "Wrong password when asked to confirm it";
    default:
      return event.kind.replaceAll("_", " ");
  }
}

function EventRow({ event }: { event: SecurityEvent }) {
  const failed = event.kind === "login_failed" || event.kind === "reauthentication_failed";
  return (
    <li className="settings-row">
      <div className="settings-row-main">
        <p className={failed ? "settings-row-title security-failed" : "settings-row-title"}>
          {describeEvent(event)}
          {event.detail.new_device === true && <span className="new-device">New device</span>}
        </p>
        <p className="settings-row-meta">
          <time dateTime={event.created_at} title={new Date(event.created_at).toLocaleString()}>
            {timeAgo(event.created_at)}
          </time>
          {event.user_agent && <> · {describeUserAgent(event.user_agent)}</>} · {event.ip_address || "Unknown address"}
        </p>
      </div>
    </li>
  );
}

export function SecurityActivitySection() {
  const events = useCursorPages<SecurityEvent>(SECURITY_EVENTS_KEY, (cursor) =>
    unwrap(api.GET("/api/viewfinder/v1/accounts/security-events", { params: { query: { cursor } } })),
  );

  return (
    <Section
      id="security"
      title="Security activity"
      hint="Log-ins, password changes and API tokens on your account over the last year. Don't recognise something? Change your password."
    >
      {events.isPending ? (
        <Spinner label="Loading security activity" />
      ) : events.isError && events.items.length === 0 ? (
        <ErrorBanner error={events.error} onRetry={() => void events.refetch()} />
      ) : events.items.length === 0 ? (
        <p className="settings-empty">Nothing yet.</p>
      ) : (
        <>
          <ul className="settings-list" aria-label="Security activity">
            {events.items.map((event) => (
              <EventRow key={event.id} event={event} />
            ))}
          </ul>
          <LoadMore {...events} />
        </>
      )}
    </Section>
  );
}
