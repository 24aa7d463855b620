/** Sign-up: email, username and password; the API's reasons show beside each field. */
import { useMutation } from "@tanstack/react-query";
import { type FormEvent, useRef, useState } from "react";
import { Link, Navigate } from "react-router-dom";
import { ApiError, api, unwrap } from "../api/client";
import { AuthCard } from "../accounts/AuthCard";
import { bannerError, missingFields, useFocusFirstInvalid } from "../accounts/forms";
import { useNextPath, useSignedIn } from "../accounts/signIn";
import { TextField } from "../accounts/TextField";
import { useMe } from "../auth/auth";
import { ErrorBanner } from "../components/Errors";

const FIELDS = ["email", "username", "password"] as const;
type Values = Record<(typeof FIELDS)[number], string>;

const REQUIRED: Values = {
  email: "Enter your email address.",
  username: "Choose a username.",
  password: "Choose a password.",
};

export function Signup() {
  const { me } = useMe();
  const next = useNextPath();
  const signedIn = useSignedIn(next);
  const form = useRef<HTMLFormElement>(null);
  const [values, setValues] = useState<Values>({ email: "", username: "", password: "" });
  const [missing, setMissing] = useState<ApiError | null>(null);
  const signup = useMutation({
    mutationFn: (body: Values) => unwrap(api.POST("/api/viewfinder/v1/accounts/signup", { body })),
    onSuccess: (response) => signedIn(response.me),
  });
  const error = missing ?? signup.error;
  useFocusFirstInvalid(form, error);

  if (me) return <Navigate to={next} replace />;

  const set = (name: keyof Values) => (value: string) => setValues((old) => ({ ...old, [name]: value }));
  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    const empty = missingFields(values, REQUIRED);
    setMissing(empty);
    if (!empty) signup.mutate({ ...values, email: values.email.trim(), username: values.username.trim() });
  };
  const loginPath = next === "/" ? "/login" : `/login?next=${encodeURIComponent(next)}`;

  return (
    <AuthCard
      heading="Sign up for Viewfinder"
      tagline="Sign up to see photos and videos from your friends."
      footer={
        <>
          Have an account? <Link to={loginPath}>Log in</Link>
        </>
      }
    >
      <form ref={form} className="auth-form" onSubmit={onSubmit} noValidate>
        <ErrorBanner error={bannerError(error, FIELDS)} />
        <TextField
          look="float"
          name="email"
          label="Email"
          type="email"
          autoComplete="email"
          autoCapitalize="none"
          spellCheck={false}
          value={values.email}
          onChange={set("email")}
          error={error}
        />
        <TextField
          look="float"
          name="username"
          label="Username"
          autoComplete="username"
          autoCapitalize="none"
          spellCheck={false}
          maxLength={30}
          value={values.username}
          onChange={set("username")}
          error={error}
        />
        <TextField
          look="float"
          name="password"
          label="Password"
          type="password"
          autoComplete="new-password"
          hint="At least 8 characters. Avoid common passwords."
          value={values.password}
          onChange={set("password")}
          error={error}
        />
        <button type="submit" className="button button-block auth-submit" disabled={signup.isPending}>
          Sign up
        </button>
      </form>
    </AuthCard>
  );
}
