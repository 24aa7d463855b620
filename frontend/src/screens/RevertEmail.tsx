/** The page the "secure your account" link opens (/accounts/email/revert#token=…), sent to the old
 * address after an email change: it puts that address back, sets a new password and logs everyone
 * out — for when someone else changed the address. */
import { useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { Link } from "react-router-dom";
import { api, unwrap } from "../api/client";
import { AuthCard } from "../accounts/AuthCard";
import { useLinkToken } from "../accounts/email/linkToken";
import { useAccountForm } from "../accounts/forms";
import { TextField } from "../accounts/TextField";
import { ME_KEY } from "../auth/auth";
import { ErrorBanner } from "../components/Errors";
import "../accounts/email/email.css";

const REQUIRED = { new_password: "Choose a new password." };

export function RevertEmail() {
  const token = useLinkToken();
  const client = useQueryClient();
  const [email, setEmail] = useState<string | null>(null);
  const { form, onSubmit, field, banner, request } = useAccountForm({
    required: REQUIRED,
    send: (values) =>
      unwrap(
        api.POST("/api/viewfinder/v1/accounts/email/revert", { body: { token, new_password: values.new_password } }),
      ),
    onSuccess: (response, clear) => {
      setEmail(response.email);
      clear();
      void client.invalidateQueries({ queryKey: ME_KEY });
    },
  });

  return (
    <AuthCard heading="Secure your account" footer={<Link to="/login">Log in</Link>}>
      {email ? (
        <div className="email-page">
          <h2>Your account is yours again</h2>
          <p role="status">
            Its email address is {email} again, its password is the one you just chose, and everyone using it was logged
            out. Log in to check its security activity.
          </p>
        </div>
      ) : !token ? (
        <div className="email-page">
          <p>Open this page with the link in the email about your address being changed.</p>
        </div>
      ) : (
        <form ref={form} className="auth-form" onSubmit={onSubmit} noValidate>
          <p className="auth-tagline">
            Someone changed your account's email address? Put your address back and choose a new password: everyone using
            your account is logged out.
          </p>
          <ErrorBanner error={banner} />
          <TextField
            look="float"
            {...field("new_password")}
            label="New password"
            type="password"
            autoComplete="new-password"
            hint="At least 8 characters and hard to guess: a few uncommon words work well."
          />
          <button type="submit" className="button button-block auth-submit" disabled={request.isPending}>
            Take my account back
          </button>
        </form>
      )}
    </AuthCard>
  );
}
