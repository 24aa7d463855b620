/** The account's signed-in browsers; any but this one can be logged out from here. */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, type Schemas, unwrap } from "../../api/client";
import { ErrorBanner } from "../../components/Errors";
import { Spinner } from "../../components/Spinner";
import { describeUserAgent, timeAgo } from "../format";
import { SECURITY_EVENTS_KEY } from "./SecurityActivitySection";
import { Section } from "./Section";

type Session = Schemas["SessionOut"];

export const SESSIONS_KEY = ["sessions"] as const;

function SessionRow({ session, onEnd, ending }: { session: Session; onEnd: () => void; ending: boolean }) {
  const agent = session.user_agent.trim() || "an unknown device";
  return (
    <li className="settings-row">
      <div className="settings-row-main">
        <p className="settings-row-title">
          {describeUserAgent(session.user_agent)}
          {session.current && <span className="this-device">This device</span>}
        </p>
        <p className="settings-row-meta">
          {session.ip_address || "Unknown address"} · Last active{" "}
          <time dateTime={session.last_seen_at}>{timeAgo(session.last_seen_at)}</time>
        </p>
      </div>
      {!session.current && (
        <button
          type="button"
          className="button button-secondary"
          aria-label={`End session on ${agent}`}
          title={session.user_agent}
          onClick={onEnd}
          disabled={ending}
        >
          Log out
        </button>
      )}
    </li>
  );
}

export function SessionsSection() {
  const client = useQueryClient();
  const sessions = useQuery({
    queryKey: SESSIONS_KEY,
    queryFn: () => unwrap(api.GET("/api/viewfinder/v1/accounts/sessions")),
  });
  const end = useMutation({
    mutationFn: (session: Session) =>
      unwrap(
        api.DELETE("/api/viewfinder/v1/accounts/sessions/{session_id}", { params: { path: { session_id: session.id } } }),
      ),
    onSuccess: (_, session) => {
      client.setQueryData<Session[]>(SESSIONS_KEY, (old) => old?.filter((other) => other.id !== session.id));
      void client.invalidateQueries({ queryKey: SECURITY_EVENTS_KEY });
    },
  });

  return (
    <Section id="sessions" title="Sessions" hint="Where you're logged in. Log out of any device you don't recognise.">
      <ErrorBanner error={end.error} />
      {sessions.isPending ? (
        <Spinner label="Loading sessions" />
      ) : sessions.isError ? (
        <ErrorBanner error={sessions.error} onRetry={() => void sessions.refetch()} />
      ) : sessions.data.length === 0 ? (
        <p className="settings-empty">No browser sessions (you are using an API token).</p>
      ) : (
        <ul className="settings-list" aria-label="Your sessions">
          {sessions.data.map((session) => (
            <SessionRow
              key={session.id}
              session={session}
              onEnd={() => end.mutate(session)}
              ending={end.isPending && end.variables?.id === session.id}
            />
          ))}
        </ul>
      )}
    </Section>
  );
}
