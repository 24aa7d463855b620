/** Why a banned or suspended account cannot log in, shown in place of the log-in form once the log-in
 * was refused (403 account_banned / account_suspended): the actions moderators took against it and
 * an appeal form for each one that can still be appealed (once per action).
 *
 * The account cannot have a session, so the screen asks for a standing token with the credentials
 * just typed (and a two-factor code when the account has one). The token is held in this component's
 * state only: it is never stored, and it is gone when the screen closes. When it expires (30 minutes)
 * or stops working, the screen asks for the password again; when the sanction has ended, it says the
 * account can log in. */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useEffect, useRef, useState } from "react";
import { ApiError } from "../api/client";
import { ErrorBanner } from "../components/Errors";
import { Spinner } from "../components/Spinner";
import { TextField } from "../accounts/TextField";
import { dateTime } from "../staff/format";
import { type AppealSender, StrikeItem } from "./AccountStatus";
import {
  appealFromStanding,
  fetchStanding,
  requestStandingToken,
  type StandingCredentials,
  tokenGone,
} from "./standingApi";
import "../staff/staff.css";
import "./moderation.css";

const STANDING_KEY = ["account-standing"] as const;

type StandingProps = {
  /** The log-in's refusal (403 account_banned or account_suspended). */
  refusal: ApiError;
  /** The username (or e-mail) and password the person just typed. */
  credentials: { username: string; password: string };
  /** Back to the log-in form. */
  onBack: () => void;
};

/** What the screen needs from the person before it can ask for a token. */
type Ask = "nothing" | "code" | "password" | "good-standing";

function Heading({ state, until }: { state: "banned" | "suspended"; until: string | null | undefined }) {
  return (
    <>
      <h1>{state === "banned" ? "Your account has been banned" : "Your account is suspended"}</h1>
      <p className="standing-lead">
        {state === "banned"
          ? "You can't log in to this account while the ban stands."
          : `You can't log in to this account until ${until ? dateTime(until) : "the suspension ends"}.`}{" "}
        Here is what moderators did and why. You can appeal each action once: a different moderator will review it.
      </p>
    </>
  );
}

type DetailsProps = { token: string; onGone: () => void; refused: "banned" | "suspended"; refusedUntil: string | undefined };

function Details({ token, onGone, refused, refusedUntil }: DetailsProps) {
  const client = useQueryClient();
  const query = useQuery({ queryKey: STANDING_KEY, queryFn: () => fetchStanding(token), gcTime: 0 });
  const gone = tokenGone(query.error);
  useEffect(() => {
    if (gone) onGone();
  }, [gone, onGone]);
  const appeal: AppealSender = {
    send: async (strikeId, text) => {
      try {
        return await appealFromStanding(token, strikeId, text);
      } catch (error) {
        if (tokenGone(error)) onGone();
        throw error;
      }
    },
    sent: () => client.invalidateQueries({ queryKey: STANDING_KEY }),
  };
  if (query.isPending || query.isError) {
    return (
      <>
        <Heading state={refused} until={refusedUntil} />
        {query.isPending && <Spinner label="Loading your account's standing" />}
        {query.isError && !gone && <ErrorBanner error={query.error} onRetry={() => query.refetch()} />}
      </>
    );
  }
  const standing = query.data;
  return (
    <>
      <Heading state={standing.state} until={standing.suspended_until} />
      {standing.strikes.length === 0 ? (
        <p className="hint">No actions are listed for this account.</p>
      ) : (
        <ul className="list-plain strikes" aria-label="Actions against your account">
          {standing.strikes.map((strike) => (
            <StrikeItem key={strike.id} strike={strike} appeal={appeal} />
          ))}
        </ul>
      )}
    </>
  );
}

export function AccountStanding({ refusal, credentials, onBack }: StandingProps) {
  const [token, setToken] = useState<string | null>(null);
  const [ask, setAsk] = useState<Ask>("nothing");
  const [expired, setExpired] = useState(false);
  const [code, setCode] = useState("");
  const [password, setPassword] = useState("");
  // The credentials of the next try: those typed at log-in until a token is had, then only what is typed here.
  const proof = useRef<StandingCredentials>({ ...credentials });
  const started = useRef(false);
  const get = useMutation({
    mutationFn: requestStandingToken,
    onSuccess: (answer) => {
      proof.current = { username: proof.current.username, password: "" };
      setToken(answer.token);
      setAsk("nothing");
      setCode("");
      setPassword("");
    },
    onError: (error) => {
      if (!(error instanceof ApiError)) return;
      if (error.code === "two_factor_required" || error.code === "wrong_code") setAsk("code");
      else if (error.code === "invalid_credentials") setAsk("password");
      else if (error.code === "account_in_good_standing") setAsk("good-standing");
    },
  });

  useEffect(() => {
    if (started.current) return;
    started.current = true;
    get.mutate(proof.current);
  }, [get]);

  const tokenEnded = () => {
    setToken(null);
    setExpired(true);
    setAsk("password");
  };

  const sendCode = (event: FormEvent) => {
    event.preventDefault();
    if (code.trim()) get.mutate({ ...proof.current, code: code.trim() });
  };
  const sendPassword = (event: FormEvent) => {
    event.preventDefault();
    if (!password) return;
    proof.current = { username: proof.current.username, password };
    get.mutate(proof.current);
  };

  const refusedState = refusal.code === "account_banned" ? "banned" : "suspended";
  // The refusals the forms above explain themselves; any other goes in the banner.
  const explained = ["two_factor_required", "wrong_code", "invalid_credentials", "account_in_good_standing"];
  const askError = get.error instanceof ApiError && explained.includes(get.error.code) ? null : get.error;
  const wrongCode = get.error instanceof ApiError && get.error.code === "wrong_code" ? get.error : null;

  return (
    <div className="account-status standing">
      {token ? (
        <Details token={token} onGone={tokenEnded} refused={refusedState} refusedUntil={refusal.field("suspended_until")} />
      ) : (
        <Heading state={refusedState} until={refusal.field("suspended_until")} />
      )}
      {!token && get.isPending && <Spinner label="Loading your account's standing" />}

      {ask === "good-standing" && (
        <p className="notice" role="status">
          Your account is no longer banned or suspended: you can log in now.
        </p>
      )}

      {ask === "code" && (
        <form className="staff-form standing-form" onSubmit={sendCode} aria-label="Two-factor code">
          <p>Your account uses two-factor authentication. Enter a code from your app, or a recovery code, to see why.</p>
          <TextField
            name="code"
            label="Code"
            value={code}
            onChange={setCode}
            error={wrongCode}
            autoComplete="one-time-code"
            autoCapitalize="none"
            spellCheck={false}
            autoFocus
          />
          <button type="submit" className="button" disabled={!code.trim() || get.isPending}>
            Continue
          </button>
        </form>
      )}

      {ask === "password" && (
        <form className="staff-form standing-form" onSubmit={sendPassword} aria-label="Confirm it's you">
          <p>
            {expired
              ? "This view closes after a while, for your safety. Enter your password again to go on."
              : "Enter your password to see your account's standing."}
          </p>
          {get.error instanceof ApiError && get.error.code === "invalid_credentials" && (
            <p className="field-error" role="alert">
              {get.error.message}
            </p>
          )}
          <TextField
            name="password"
            label="Password"
            type="password"
            value={password}
            onChange={setPassword}
            error={null}
            autoComplete="current-password"
            autoFocus
          />
          <button type="submit" className="button" disabled={!password || get.isPending}>
            Continue
          </button>
        </form>
      )}

      <ErrorBanner error={askError} onRetry={ask === "nothing" && !token ? () => get.mutate(proof.current) : undefined} />

      <p className="standing-back">
        <button type="button" className="button button-secondary" onClick={onBack}>
          Back to log in
        </button>
      </p>
    </div>
  );
}
