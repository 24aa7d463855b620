/** Log-in with a username or email and a password; a wrong pair shows the API's message above the form.
 * Logging in reopens an account its owner deactivated; one scheduled for deletion asks first whether
 * to cancel the deletion (the API answers 409 `deletion_scheduled` to the right password). An account
 * that staff banned or suspended (403 `account_banned` / `account_suspended`) is shown why, its
 * strikes and its appeals instead (moderation/Standing.tsx). */
import { lazy, Suspense, useRef, useState } from "react";
import { Link, Navigate } from "react-router-dom";
import { ApiError, api, unwrap } from "../api/client";
import { AccountNoticeBanner, rememberAccountNotice } from "../accounts/accountNotice";
import { AuthCard } from "../accounts/AuthCard";
import { FORGOT_PASSWORD_PATH } from "../accounts/email/paths";
import { formatDay } from "../accounts/format";
import { useAccountForm } from "../accounts/forms";
import { PasskeyLogin } from "../accounts/PasskeyLogin";
import { pathWithNext, useNextPath, useSignedIn } from "../accounts/signIn";
import { TextField } from "../accounts/TextField";
import { type LoginResponse, needsSecondStep, type SecondStep } from "../accounts/twoFactor";
import { TwoFactorStep } from "../accounts/TwoFactorStep";
import { useMe } from "../auth/auth";
import { ErrorBanner } from "../components/Errors";
import { Spinner } from "../components/Spinner";

// Why a banned or suspended account cannot log in, and its appeals: loaded when a log-in is refused so.
const AccountStanding = lazy(() => import("../moderation/Standing").then((m) => ({ default: m.AccountStanding })));

/** The log-in refusals of an account that staff banned or suspended. */
const CLOSED = new Set(["account_banned", "account_suspended"]);

const REQUIRED = {
  login: "Enter your username or email.",
  password: "Enter your password.",
};

export function Login() {
  const { me } = useMe();
  const next = useNextPath();
  const signedIn = useSignedIn(next);
  const cancelDeletion = useRef(false);
  // A right password on an account with two-factor authentication: the second step (docs/decisions/0033).
  const [secondStep, setSecondStep] = useState<SecondStep | null>(null);
  const loggedIn = (response: LoginResponse) => {
    if (response.deletion_cancelled) rememberAccountNotice({ kind: "deletion_cancelled" });
    else if (response.reactivated) rememberAccountNotice({ kind: "reactivated" });
    signedIn(response.me);
  };
  const { form, onSubmit, field, banner, request } = useAccountForm({
    required: REQUIRED,
    send: (values) =>
      unwrap(
        api.POST("/api/viewfinder/v1/accounts/login", {
          body: { ...values, login: values.login.trim(), ...(cancelDeletion.current ? { cancel_deletion: true } : {}) },
        }),
      ),
    onSuccess: (response) => {
      if (needsSecondStep(response)) setSecondStep(response);
      else loggedIn(response);
    },
  });
  const scheduled = banner instanceof ApiError && banner.code === "deletion_scheduled" ? banner : null;

  if (me) return <Navigate to={next} replace />;

  // Banned or suspended: why, and the appeals, with the credentials just typed (kept in memory only).
  const closed = banner instanceof ApiError && CLOSED.has(banner.code) ? banner : null;
  if (closed && request.variables) {
    return (
      <Suspense fallback={<Spinner label="Loading" />}>
        <AccountStanding
          refusal={closed}
          credentials={{ username: request.variables.login.trim(), password: request.variables.password }}
          onBack={() => request.reset()}
        />
      </Suspense>
    );
  }

  const footer = (
    <>
      Don't have an account? <Link to={pathWithNext("/signup", next)}>Sign up</Link>
    </>
  );
  if (secondStep) {
    return (
      <AuthCard heading="Log in to Viewfinder: two-factor authentication" footer={footer}>
        <TwoFactorStep
          step={secondStep}
          onLoggedIn={loggedIn}
          onRestart={() => {
            setSecondStep(null);
            request.reset();
          }}
        />
      </AuthCard>
    );
  }

  return (
    <AuthCard
      heading="Log in to Viewfinder"
      footer={
        <>
          Don't have an account? <Link to={pathWithNext("/signup", next)}>Sign up</Link>
        </>
      }
    >
      <AccountNoticeBanner only={["deactivated", "deletion_scheduled"]} />
      <form
        ref={form}
        className="auth-form"
        onSubmit={(event) => {
          cancelDeletion.current = false;
          onSubmit(event);
        }}
        noValidate
      >
        {scheduled ? (
          <DeletionScheduled
            deleteAfter={scheduled.field("delete_after")}
            pending={request.isPending}
            onCancelDeletion={() => {
              cancelDeletion.current = true;
              request.mutate({ login: field("login").value, password: field("password").value });
            }}
            onKeep={() => request.reset()}
          />
        ) : (
          <ErrorBanner error={banner} />
        )}
        <TextField
          look="float"
          {...field("login")}
          label="Username or email"
          autoComplete="username"
          autoCapitalize="none"
          spellCheck={false}
        />
        <TextField
          look="float"
          {...field("password")}
          label="Password"
          type="password"
          autoComplete="current-password"
        />
        <button type="submit" className="button button-block auth-submit" disabled={request.isPending}>
          Log in
        </button>
      </form>
      <PasskeyLogin onLoggedIn={loggedIn} />
      <Link to={FORGOT_PASSWORD_PATH} className="forgot-link">
        Forgot password?
      </Link>
    </AuthCard>
  );
}

type DeletionScheduledProps = {
  /** When the account will be deleted (ISO time), as the API said. */
  deleteAfter: string | undefined;
  pending: boolean;
  onCancelDeletion: () => void;
  onKeep: () => void;
};

/** The right password for an account scheduled for deletion: cancel it and log in, or leave it be. */
function DeletionScheduled({ deleteAfter, pending, onCancelDeletion, onKeep }: DeletionScheduledProps) {
  return (
    <div className="deletion-scheduled" role="alert">
      <p>
        Your account is scheduled to be deleted{deleteAfter ? ` on ${formatDay(deleteAfter)}` : ""}. Cancel the
        deletion to log in and keep everything, or leave it scheduled.
      </p>
      <button type="button" className="button button-block" disabled={pending} onClick={onCancelDeletion}>
        Cancel deletion and log in
      </button>
      <button type="button" className="button button-secondary button-block" onClick={onKeep}>
        Keep it scheduled
      </button>
    </div>
  );
}
