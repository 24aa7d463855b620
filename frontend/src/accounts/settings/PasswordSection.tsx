/** Changing the password; the API ends every other session when it succeeds. */
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useRef, useState } from "react";
import { ApiError, api, unwrap } from "../../api/client";
import { ErrorBanner } from "../../components/Errors";
import { bannerError, missingFields, useFocusFirstInvalid } from "../forms";
import { TextField } from "../TextField";
import { SESSIONS_KEY } from "./SessionsSection";
import { Section } from "./Section";

const FIELDS = ["current_password", "new_password"] as const;
type Values = Record<(typeof FIELDS)[number], string>;
const EMPTY: Values = { current_password: "", new_password: "" };
const REQUIRED: Values = { current_password: "Enter your current password.", new_password: "Choose a new password." };

export function PasswordSection() {
  const client = useQueryClient();
  const form = useRef<HTMLFormElement>(null);
  const [values, setValues] = useState<Values>(EMPTY);
  const [missing, setMissing] = useState<ApiError | null>(null);
  const change = useMutation({
    mutationFn: (body: Values) => unwrap(api.POST("/api/viewfinder/v1/accounts/password", { body })),
    onSuccess: () => {
      setValues(EMPTY);
      void client.invalidateQueries({ queryKey: SESSIONS_KEY });
    },
  });
  const error = missing ?? change.error;
  useFocusFirstInvalid(form, error);

  const set = (name: keyof Values) => (value: string) => setValues((old) => ({ ...old, [name]: value }));
  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    const empty = missingFields(values, REQUIRED);
    setMissing(empty);
    if (empty) change.reset();
    else change.mutate(values);
  };

  return (
    <Section id="password" title="Change password" hint="Changing it logs you out everywhere else.">
      <form ref={form} className="settings-form" onSubmit={onSubmit} noValidate>
        <ErrorBanner error={bannerError(error, FIELDS)} />
        {change.isSuccess && (
          <p className="notice" role="status">
            Your password has been changed. Other sessions were logged out.
          </p>
        )}
        <TextField
          name="current_password"
          label="Current password"
          type="password"
          autoComplete="current-password"
          value={values.current_password}
          onChange={set("current_password")}
          error={error}
        />
        <TextField
          name="new_password"
          label="New password"
          type="password"
          autoComplete="new-password"
          hint="At least 8 characters. Avoid common passwords."
          value={values.new_password}
          onChange={set("new_password")}
          error={error}
        />
        <button type="submit" className="button" disabled={change.isPending}>
          Change password
        </button>
      </form>
    </Section>
  );
}
