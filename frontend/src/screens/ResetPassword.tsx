/** The page a password reset link opens (/accounts/password/reset#token=…): choose a new password.
 * Every session of the account ends, so the person logs in again (two-factor authentication, if on,
 * still asks for its second step). */
import { useQueryClient } from "@tanstack/react-query";
import { Link } from "react-router-dom";
import { ApiError, api, unwrap } from "../api/client";
import { AuthCard } from "../accounts/AuthCard";
import { useLinkToken } from "../accounts/email/linkToken";
import { FORGOT_PASSWORD_PATH } from "../accounts/email/paths";
import { useAccountForm } from "../accounts/forms";
import { TextField } from "../accounts/TextField";
import { ME_KEY } from "../auth/auth";
import { ErrorBanner } from "../components/Errors";
import "../accounts/email/email.css";

const REQUIRED = { new_password: "Choose a new password." };

export function ResetPassword() {
  const token = useLinkToken();
  const client = useQueryClient();
  const { form, onSubmit, field, banner, request } = useAccountForm({
    required: REQUIRED,
    send: (values) =>
      unwrap(
        api.POST("/api/viewfinder/v1/accounts/password/reset/confirm", {
          body: { token, new_password: values.new_password },
        }),
      ),
    onSuccess: (_response, clear) => {
      clear();
      // Every session of the account ended, this browser's too if it was signed in to it.
      void client.invalidateQueries({ queryKey: ME_KEY });
    },
  });
  const stale = banner instanceof ApiError && banner.code === "invalid_link";

  return (
    <AuthCard
      heading="Choose a new password"
      footer={
        <>
          Remembered it? <Link to="/login">Log in</Link>
        </>
      }
    >
      {request.isSuccess ? (
        <div className="email-page">
          <h2>Password changed</h2>
          <p role="status">Your password is changed and every session was logged out. Log in with the new one.</p>
          <Link to="/login" className="button button-block">
            Log in
          </Link>
        </div>
      ) : !token ? (
        <div className="email-page">
          <p>Open this page with the link in the password reset email.</p>
          <Link to={FORGOT_PASSWORD_PATH}>Ask for a reset link</Link>
        </div>
      ) : (
        <form ref={form} className="auth-form" onSubmit={onSubmit} noValidate>
          <ErrorBanner error={banner} />
          {stale && (
            <p>
              <Link to={FORGOT_PASSWORD_PATH}>Ask for a new link</Link>
            </p>
          )}
          <TextField
            look="float"
            {...field("new_password")}
            label="New password"
            type="password"
            autoComplete="new-password"
            hint="At least 8 characters and hard to guess: a few uncommon words work well."
          />
          <button type="submit" className="button button-block auth-submit" disabled={request.isPending}>
            Set new password
          </button>
        </form>
      )}
    </AuthCard>
  );
}
