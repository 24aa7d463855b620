/** "Forgot password?": a username or email address, and a reset link goes to the account's address.
 * The answer is the same whether or not an account matches, so the page says "if". */
import { useRef, useState } from "react";
import { Link } from "react-router-dom";
import { api, unwrap } from "../api/client";
import { AuthCard } from "../accounts/AuthCard";
import { useAccountForm } from "../accounts/forms";
import { TextField } from "../accounts/TextField";
import { ErrorBanner } from "../components/Errors";
import "../accounts/email/email.css";

const REQUIRED = { login: "Enter your username or email." };

export function ForgotPassword() {
  const [asked, setAsked] = useState<string | null>(null);
  const sending = useRef("");
  const { form, onSubmit, field, banner, request } = useAccountForm({
    required: REQUIRED,
    send: (values) => {
      sending.current = values.login.trim();
      return unwrap(api.POST("/api/viewfinder/v1/accounts/password/reset", { body: { login: sending.current } }));
    },
    onSuccess: (_response, clear) => {
      setAsked(sending.current);
      clear();
    },
  });

  return (
    <AuthCard
      heading="Reset your password"
      tagline="Enter your username or email address and we'll send you a link to choose a new password."
      footer={
        <>
          Remembered it? <Link to="/login">Log in</Link>
        </>
      }
    >
      <form ref={form} className="auth-form" onSubmit={onSubmit} noValidate>
        <ErrorBanner error={banner} />
        {asked && (
          <p className="email-notice" role="status">
            If an account matches {asked}, we sent a link to its email address. It works for an hour. Nothing
            there? Look in your spam folder, or try again in a few minutes.
          </p>
        )}
        <TextField
          look="float"
          {...field("login")}
          label="Username or email"
          autoComplete="username"
          autoCapitalize="none"
          spellCheck={false}
        />
        <button type="submit" className="button button-block auth-submit" disabled={request.isPending}>
          Send reset link
        </button>
      </form>
    </AuthCard>
  );
}
