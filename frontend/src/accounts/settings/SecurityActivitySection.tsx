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
      return detail.method === "passkey"
        ? "Confirmed with a passkey"
        : detail.method === "totp"
          ? "Confirmed with a code from the app"
          : "Password confirmed";
    case "reauthentication_failed":
      return "Wrong password when asked to confirm it";
    case "two_factor_enabled":
      return detail.method === "passkey"
        ? "Two-factor authentication turned on (passkey)"
        : "Two-factor authentication turned on (authenticator app)";
    case "two_factor_disabled":
      if (detail.by === "operator") return "Two-factor authentication turned off by the site's administrator";
      return detail.method === "passkey"
        ? "Two-factor authentication turned off (last passkey removed)"
        : "Authenticator app turned off";
    case "two_factor_failed":
      if (detail.reason === "sign_count") return "Passkey refused: it may have been copied";
      return detail.method === "passkey"
        ? "Passkey refused"
        : detail.method === "recovery_code"
          ? "Wrong recovery code"
          : "Wrong two-factor code";
    case "recovery_codes_regenerated":
      return "New recovery codes made (the old ones no longer work)";
    case "recovery_code_used": {
      const left = typeof detail.remaining === "number" ? detail.remaining : 0;
      return `Recovery code used (${plural(left, "code", "codes")} left)`;
    }
    case "passkey_added":
      return `Passkey "${text(detail.name)}" added`;
    case "passkey_removed":
      return `Passkey "${text(detail.name)}" removed`;
    case "trusted_device_added":
      return `Trusted device added${text(detail.user_agent) ? `: ${describeUserAgent(text(detail.user_agent))}` : ""}`;
    case "trusted_device_removed":
      return detail.device_id === "all"
        ? "Every trusted device removed"
        : `Trusted device removed${text(detail.user_agent) ? `: ${describeUserAgent(text(detail.user_agent))}` : ""}`;
    case "email_verified":
      return `Email address ${text(detail.email)} confirmed`;
    case "email_change_requested":
      return `Asked to change the email address to ${text(detail.new_email)} (a link was sent there)`;
    case "email_changed":
      return `Email address changed from ${text(detail.old_email)} to ${text(detail.new_email)}`;
    case "email_change_reverted":
      return `Email change undone: the address is ${text(detail.email)} again, the password was replaced and ${plural(detail.sessions_ended, "session", "sessions")} logged out`;
    case "password_reset_requested":
      return "Password reset link sent by email";
    case "password_reset":
      return `Password reset with an emailed link (${plural(detail.sessions_ended, "session", "sessions")} logged out, ${plural(detail.tokens_revoked, "API token", "API tokens")} revoked)`;
    default:
      return event.kind.replaceAll("_", " ");
  }
}

function EventRow({ event }: { event: SecurityEvent }) {
  const failed = ["login_failed", "reauthentication_failed", "two_factor_failed"].includes(event.kind);
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
