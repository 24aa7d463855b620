/** Log-in with a username or email and a password; a wrong pair shows the API's message above the form. */
import { Link, Navigate } from "react-router-dom";
import { api, unwrap } from "../api/client";
import { AuthCard } from "../accounts/AuthCard";
import { useAccountForm } from "../accounts/forms";
import { pathWithNext, useNextPath, useSignedIn } from "../accounts/signIn";
import { TextField } from "../accounts/TextField";
import { useMe } from "../auth/auth";
import { ErrorBanner } from "../components/Errors";

const REQUIRED = {
  login: "Enter your username or email.",
  password: "Enter your password.",
};

export function Login() {
  const { me } = useMe();
  const next = useNextPath();
  const signedIn = useSignedIn(next);
  const { form, onSubmit, field, banner, request } = useAccountForm({
    required: REQUIRED,
    send: (values) =>
      unwrap(api.POST("/api/viewfinder/v1/accounts/login", { body: { ...values, login: values.login.trim() } })),
    onSuccess: (response) => signedIn(response.me),
  });

  if (me) return <Navigate to={next} replace />;

  return (
    <AuthCard
      heading="Log in to Viewfinder"
      footer={
        <>
          Don't have an account? <Link to={pathWithNext("/signup", next)}>Sign up</Link>
        </>
      }
    >
      <form ref={form} className="auth-form" onSubmit={onSubmit} noValidate>
        <ErrorBanner error={banner} />
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
    </AuthCard>
  );
}
