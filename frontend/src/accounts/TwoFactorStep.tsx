/** The log-in's second step, after a right password on an account with two-factor authentication: a code
 * from the authenticator app (the browser may fill it: autocomplete="one-time-code"), a recovery code, or
 * a passkey; and "Trust this device for 30 days". A dead challenge (5 minutes, 5 wrong codes) sends the
 * person back to the password; an account scheduled for deletion may cancel it without a new code. */
import { useMutation } from "@tanstack/react-query";
import { type FormEvent, useRef, useState } from "react";
import { ApiError, api, unwrap } from "../api/client";
import { ErrorBanner } from "../components/Errors";
import { formatDay } from "./format";
import { bannerError, useFocusFirstInvalid } from "./forms";
import { TextField } from "./TextField";
import type { LoginResponse, SecondStep } from "./twoFactor";
import { getPasskey, passkeysSupported } from "./webauthn";
import "./twoFactor.css";

type Mode = "totp" | "recovery_code" | "passkey";
type Proof = { code: string } | { recovery_code: string } | { passkey: Record<string, unknown> } | { cancel_deletion: true };

type TwoFactorStepProps = {
  step: SecondStep;
  onLoggedIn: (response: LoginResponse) => void;
  /** Back to the password (a new challenge is needed). */
  onRestart: () => void;
};

export function TwoFactorStep({ step, onLoggedIn, onRestart }: TwoFactorStepProps) {
  const form = useRef<HTMLFormElement>(null);
  const hasApp = step.methods.includes("totp");
  const hasPasskey = step.methods.includes("passkey") && Boolean(step.passkey_options) && passkeysSupported();
  const hasRecovery = step.methods.includes("recovery_code");
  const [mode, setMode] = useState<Mode>(hasApp ? "totp" : hasPasskey ? "passkey" : "recovery_code");
  const [value, setValue] = useState("");
  const [trust, setTrust] = useState(false);
  const [empty, setEmpty] = useState<ApiError | null>(null);
  const finish = useMutation({
    mutationFn: (proof: Proof) =>
      unwrap(
        api.POST("/api/viewfinder/v1/accounts/login/two-factor", {
          body: { challenge: step.challenge, trust_device: trust, ...proof },
        }),
      ),
    onSuccess: onLoggedIn,
  });
  const passkey = useMutation({
    mutationFn: () => getPasskey(step.passkey_options ?? {}),
    onSuccess: (credential) => finish.mutate({ passkey: credential }),
  });
  const error = empty ?? finish.error ?? passkey.error;
  useFocusFirstInvalid(form, error);
  const expired = error instanceof ApiError && error.code === "login_expired";
  const scheduled = error instanceof ApiError && error.code === "deletion_scheduled" ? error : null;
  const field = mode === "totp" ? "code" : "recovery_code";

  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    const typed = value.trim();
    if (!typed) {
      const message = mode === "totp" ? "Enter the 6-digit code from your app." : "Enter one of your recovery codes.";
      setEmpty(new ApiError(400, "validation_error", message, { [field]: message }));
      return;
    }
    setEmpty(null);
    finish.mutate(mode === "totp" ? { code: typed } : { recovery_code: typed });
  };

  const switchTo = (next: Mode) => {
    setMode(next);
    setValue("");
    setEmpty(null);
    finish.reset();
  };

  if (expired) {
    return (
      <div className="two-factor-step">
        <ErrorBanner error={error} />
        <button type="button" className="button button-block auth-submit" onClick={onRestart}>
          Log in again
        </button>
      </div>
    );
  }

  if (scheduled) {
    const when = scheduled.field("delete_after");
    return (
      <div className="two-factor-step deletion-scheduled" role="alert">
        <p>
          Your account is scheduled to be deleted{when ? ` on ${formatDay(when)}` : ""}. Cancel the deletion to log in
          and keep everything, or leave it scheduled.
        </p>
        <button
          type="button"
          className="button button-block"
          disabled={finish.isPending}
          onClick={() => finish.mutate({ cancel_deletion: true })}
        >
          Cancel deletion and log in
        </button>
        <button type="button" className="button button-secondary button-block" onClick={onRestart}>
          Keep it scheduled
        </button>
      </div>
    );
  }

  const showsForm = mode !== "passkey";
  return (
    <div className="two-factor-step">
      <h2 className="two-factor-title">Two-factor authentication</h2>
      {showsForm ? (
        <form ref={form} className="auth-form" onSubmit={onSubmit} noValidate>
          <p className="two-factor-hint">
            {mode === "totp"
              ? "Enter the 6-digit code from your authenticator app."
              : "Enter one of the recovery codes you saved when you turned on two-factor authentication. Each works once."}
          </p>
          <ErrorBanner error={bannerError(error, [field])} />
          {mode === "totp" ? (
            <TextField
              key="code"
              look="float"
              name="code"
              label="6-digit code"
              inputMode="numeric"
              autoComplete="one-time-code"
              pattern="[0-9 ]*"
              maxLength={9}
              autoFocus
              value={value}
              onChange={setValue}
              error={error}
            />
          ) : (
            <TextField
              key="recovery_code"
              look="float"
              name="recovery_code"
              label="Recovery code"
              autoComplete="off"
              autoCapitalize="none"
              spellCheck={false}
              maxLength={40}
              autoFocus
              value={value}
              onChange={setValue}
              error={error}
            />
          )}
          <TrustDevice trust={trust} onChange={setTrust} />
          <button type="submit" className="button button-block auth-submit" disabled={finish.isPending}>
            Verify
          </button>
        </form>
      ) : (
        <>
          <p className="two-factor-hint">Use your passkey to finish logging in.</p>
          <ErrorBanner error={bannerError(error, [])} />
          <TrustDevice trust={trust} onChange={setTrust} />
        </>
      )}
      <div className="two-factor-options">
        {hasPasskey && (
          <button
            type="button"
            className={showsForm ? "button button-secondary button-block" : "button button-block auth-submit"}
            disabled={passkey.isPending || finish.isPending}
            onClick={() => {
              setEmpty(null);
              finish.reset();
              passkey.mutate();
            }}
          >
            Use a passkey
          </button>
        )}
        {hasApp && mode !== "totp" && (
          <button type="button" className="link-button" onClick={() => switchTo("totp")}>
            Use a code from your app
          </button>
        )}
        {hasRecovery && mode !== "recovery_code" && (
          <button type="button" className="link-button" onClick={() => switchTo("recovery_code")}>
            Use a recovery code
          </button>
        )}
        {!hasApp && !hasPasskey && step.methods.includes("passkey") && (
          <p className="two-factor-hint">This browser can't use passkeys: use a recovery code, or another browser.</p>
        )}
        <button type="button" className="link-button" onClick={onRestart}>
          Back
        </button>
      </div>
    </div>
  );
}

function TrustDevice({ trust, onChange }: { trust: boolean; onChange: (trust: boolean) => void }) {
  return (
    <label className="trust-device">
      <input type="checkbox" checked={trust} onChange={(event) => onChange(event.target.checked)} />
      <span>
        Trust this device for 30 days
        <span className="trust-device-hint">Don't ask for a code here again. Only on a device that's yours.</span>
      </span>
    </label>
  );
}
