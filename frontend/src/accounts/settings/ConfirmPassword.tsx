/** "Sudo mode" in the web app: when the API answers 403 `reauthentication_required` (a sensitive
 * action from a session that last proved the password over 10 minutes ago), ask for the password in
 * a dialog, send it to /accounts/reauthenticate, then run the action again. An account with
 * two-factor authentication may confirm with a code from its app or with a passkey instead. */
import { useMutation } from "@tanstack/react-query";
import { type FormEvent, type ReactNode, useRef, useState } from "react";
import { ApiError, api, unwrap } from "../../api/client";
import { Dialog } from "../../components/Dialog";
import { ErrorBanner } from "../../components/Errors";
import { bannerError, useFocusFirstInvalid } from "../forms";
import { TextField } from "../TextField";
import { useTwoFactorStatus } from "../twoFactor";
import { getPasskey, passkeysSupported } from "../webauthn";
import "../twoFactor.css";

/** Whether an error means "confirm it's you first". */
export function needsReauthentication(error: unknown): boolean {
  return error instanceof ApiError && error.code === "reauthentication_required";
}

type ConfirmPasswordDialogProps = {
  /** What the password is asked for, e.g. "create an API token". */
  purpose: string;
  onConfirmed: () => void;
  onClose: () => void;
};

/** The dialog itself: one password field, "Confirm" and "Cancel". */
export function ConfirmPasswordDialog({ purpose, onConfirmed, onClose }: ConfirmPasswordDialogProps) {
  const form = useRef<HTMLFormElement>(null);
  const [password, setPassword] = useState("");
  const [method, setMethod] = useState<"password" | "totp_code">("password");
  const [empty, setEmpty] = useState<ApiError | null>(null);
  const twoFactor = useTwoFactorStatus();
  const canUseApp = twoFactor.data?.totp === true;
  const canUsePasskey = (twoFactor.data?.passkeys ?? 0) > 0 && passkeysSupported();
  const confirm = useMutation({
    mutationFn: (value: string) =>
      unwrap(
        api.POST("/api/viewfinder/v1/accounts/reauthenticate", {
          body: method === "password" ? { password: value } : { totp_code: value },
        }),
      ),
    onSuccess: () => onConfirmed(),
  });
  const passkey = useMutation({
    mutationFn: async () => {
      const begun = await unwrap(api.POST("/api/viewfinder/v1/accounts/passkeys/reauthenticate/options"));
      const credential = await getPasskey(begun.options);
      return unwrap(
        api.POST("/api/viewfinder/v1/accounts/reauthenticate", {
          body: { passkey: { ceremony: begun.ceremony, credential } },
        }),
      );
    },
    onSuccess: () => onConfirmed(),
  });
  const error = empty ?? confirm.error ?? passkey.error;
  useFocusFirstInvalid(form, error);
  const asked = method === "password" ? "Enter your password." : "Enter the 6-digit code from your app.";

  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    if (!password.trim()) {
      setEmpty(new ApiError(400, "validation_error", asked, { [method]: asked }));
      return;
    }
    setEmpty(null);
    passkey.reset();
    confirm.mutate(method === "password" ? password : password.trim());
  };
  const switchMethod = () => {
    setMethod(method === "password" ? "totp_code" : "password");
    setPassword("");
    setEmpty(null);
    confirm.reset();
  };

  return (
    <Dialog title="Confirm it's you" onClose={onClose}>
      <form ref={form} className="settings-form" onSubmit={onSubmit} noValidate>
        <p className="confirm-text">
          {method === "password" ? "Enter your password" : "Enter a code from your authenticator app"} to {purpose}.
          You won't be asked again for 10 minutes.
        </p>
        <ErrorBanner error={bannerError(error, [method])} />
        {method === "password" ? (
          <TextField
            key="password"
            name="password"
            label="Password"
            type="password"
            autoComplete="current-password"
            // The dialog exists only to take this password, so focus starts in its field.
            autoFocus
            value={password}
            onChange={setPassword}
            error={error}
          />
        ) : (
          <TextField
            key="totp_code"
            name="totp_code"
            label="6-digit code"
            inputMode="numeric"
            autoComplete="one-time-code"
            maxLength={9}
            autoFocus
            value={password}
            onChange={setPassword}
            error={error}
          />
        )}
        <div className="confirm-actions">
          <button type="submit" className="button" disabled={confirm.isPending}>
            Confirm
          </button>
          <button type="button" className="button button-secondary" onClick={onClose}>
            Cancel
          </button>
        </div>
        {(canUseApp || canUsePasskey) && (
          <div className="confirm-alternatives">
            {canUsePasskey && (
              <button
                type="button"
                className="link-button"
                disabled={passkey.isPending}
                onClick={() => {
                  setEmpty(null);
                  confirm.reset();
                  passkey.mutate();
                }}
              >
                Use a passkey instead
              </button>
            )}
            {canUseApp && (
              <button type="button" className="link-button" onClick={switchMethod}>
                {method === "password" ? "Use a code from your app instead" : "Use your password instead"}
              </button>
            )}
          </div>
        )}
      </form>
    </Dialog>
  );
}

/** For a section whose actions may need re-authentication: `ask(error, again)` opens the dialog when
 * the error asks for it and calls `again` once the password is confirmed (returns whether it did);
 * render `dialog`; while `asking`, hide that error (the dialog explains it). */
export function useReauthentication(purpose: string): {
  ask: (error: unknown, again: () => void) => boolean;
  asking: boolean;
  dialog: ReactNode;
} {
  const [retry, setRetry] = useState<(() => void) | null>(null);
  const ask = (error: unknown, again: () => void) => {
    if (!needsReauthentication(error)) return false;
    setRetry(() => again);
    return true;
  };
  const dialog = retry ? (
    <ConfirmPasswordDialog
      purpose={purpose}
      onConfirmed={() => {
        setRetry(null);
        retry();
      }}
      onClose={() => setRetry(null)}
    />
  ) : null;
  return { ask, asking: retry !== null, dialog };
}
