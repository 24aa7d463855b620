/** Log-in with a username or email and a password; a wrong pair shows the API's message above the form. */
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

const FIELDS = ["login", "password"] as const;
type Values = Record<(typeof FIELDS)[number], string>;

const REQUIRED: Values = {
  login: "Enter your username or email.",
  password: "Enter your password.",
};

export function Login() {
  const { me } = useMe();
  const next = useNextPath();
  const signedIn = useSignedIn(next);
  const form = useRef<HTMLFormElement>(null);
  const [values, setValues] = useState<Values>({ login: "", password: "" });
  const [missing, setMissing] = useState<ApiError | null>(null);
  const login = useMutation({
    mutationFn: (body: Values) => unwrap(api.POST("/api/viewfinder/v1/accounts/login", { body })),
    onSuccess: (response) => signedIn(response.me),
  });
  const error = missing ?? login.error;
  useFocusFirstInvalid(form, error);

  if (me) return <Navigate to={next} replace />;

  const set = (name: keyof Values) => (value: string) => setValues((old) => ({ ...old, [name]: value }));
  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    const empty = missingFields(values, REQUIRED);
    setMissing(empty);
    if (!empty) login.mutate({ ...values, login: values.login.trim() });
  };
  const signupPath = next === "/" ? "/signup" : `/signup?next=${encodeURIComponent(next)}`;

  return (
    <AuthCard
      heading="Log in to Viewfinder"
      footer={
        <>
          Don't have an account? <Link to={signupPath}>Sign up</Link>
        </>
      }
    >
      <form ref={form} className="auth-form" onSubmit={onSubmit} noValidate>
        <ErrorBanner error={bannerError(error, FIELDS)} />
        <TextField
          look="float"
          name="login"
          label="Username or email"
          autoComplete="username"
          autoCapitalize="none"
          spellCheck={false}
          value={values.login}
          onChange={set("login")}
          error={error}
        />
        <TextField
          look="float"
          name="password"
          label="Password"
          type="password"
          autoComplete="current-password"
          value={values.password}
          onChange={set("password")}
          error={error}
        />
        <button type="submit" className="button button-block auth-submit" disabled={login.isPending}>
          Log in
        </button>
      </form>
    </AuthCard>
  );
}
