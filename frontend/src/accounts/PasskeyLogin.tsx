/** "Log in with a passkey": a password-less log-in with any passkey of this site the browser or a
 * security key holds (the API asks the authenticator to verify the person: a PIN or a biometric).
 * Hidden where the browser has no passkeys. A banned or suspended account is pointed to the password
 * log-in, whose refusal opens the standing screen (a passkey cannot get a standing token). */
import { useMutation } from "@tanstack/react-query";
import { ApiError, api, unwrap } from "../api/client";
import { ErrorBanner } from "../components/Errors";
import type { LoginResponse } from "./twoFactor";
import { getPasskey, passkeysSupported } from "./webauthn";
import "./twoFactor.css";

export function PasskeyLogin({ onLoggedIn }: { onLoggedIn: (response: LoginResponse) => void }) {
  const login = useMutation({
    mutationFn: async () => {
      const begun = await unwrap(api.POST("/api/viewfinder/v1/accounts/passkeys/login/options"));
      const credential = await getPasskey(begun.options);
      return unwrap(
        api.POST("/api/viewfinder/v1/accounts/passkeys/login", { body: { ceremony: begun.ceremony, credential } }),
      );
    },
    onSuccess: onLoggedIn,
  });
  if (!passkeysSupported()) return null;
  return (
    <div className="passkey-login">
      <p className="auth-or">or</p>
      <ErrorBanner error={login.error} />
      {login.error instanceof ApiError && ["account_banned", "account_suspended"].includes(login.error.code) && (
        <p className="hint">Log in with your password above to see why, and to appeal.</p>
      )}
      <button
        type="button"
        className="button button-secondary button-block"
        disabled={login.isPending}
        onClick={() => login.mutate()}
      >
        Log in with a passkey
      </button>
    </div>
  );
}
