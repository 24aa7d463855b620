/** Sign-up: email, full name (optional), username and password; the API's reasons show beside each
 * field. */
import { Link, Navigate } from "react-router-dom";
import { api, unwrap } from "../api/client";
import { AuthCard } from "../accounts/AuthCard";
import { useAccountForm } from "../accounts/forms";
import { pathWithNext, useNextPath, useSignedIn } from "../accounts/signIn";
import { TextField } from "../accounts/TextField";
import { useMe } from "../auth/auth";
import { ErrorBanner } from "../components/Errors";

const REQUIRED = {
  email: "Enter your email address.",
  username: "Choose a username.",
  password: "Choose a password.",
};

export function Signup() {
  const { me } = useMe();
  const next = useNextPath();
  const signedIn = useSignedIn(next);
  const { form, onSubmit, field, banner, request } = useAccountForm({
    required: REQUIRED,
    optional: ["display_name"],
    send: (values) =>
      unwrap(
        api.POST("/api/viewfinder/v1/accounts/signup", {
          body: {
            ...values,
            email: values.email.trim(),
            username: values.username.trim(),
            display_name: values.display_name.trim(),
          },
        }),
      ),
    onSuccess: (response) => signedIn(response.me),
  });

  if (me) return <Navigate to={next} replace />;

  return (
    <AuthCard
      heading="Sign up for Viewfinder"
      tagline="Sign up to see photos and videos from your friends."
      footer={
        <>
          Have an account? <Link to={pathWithNext("/login", next)}>Log in</Link>
        </>
      }
    >
      <form ref={form} className="auth-form" onSubmit={onSubmit} noValidate>
        <ErrorBanner error={banner} />
        <TextField
          look="float"
          {...field("email")}
          label="Email"
          type="email"
          autoComplete="email"
          autoCapitalize="none"
          spellCheck={false}
        />
        <TextField
          look="float"
          {...field("display_name")}
          label="Full name"
          autoComplete="name"
          maxLength={64}
        />
        <TextField
          look="float"
          {...field("username")}
          label="Username"
          autoComplete="username"
          autoCapitalize="none"
          spellCheck={false}
          maxLength={30}
        />
        <TextField
          look="float"
          {...field("password")}
          label="Password"
          type="password"
          autoComplete="new-password"
          hint="At least 8 characters. Avoid common passwords."
        />
        <button type="submit" className="button button-block auth-submit" disabled={request.isPending}>
          Sign up
        </button>
      </form>
    </AuthCard>
  );
}
