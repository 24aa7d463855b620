/** Changing the password; the API ends every other session when it succeeds. */
import { useQueryClient } from "@tanstack/react-query";
import { api, unwrap } from "../../api/client";
import { ErrorBanner } from "../../components/Errors";
import { useAccountForm } from "../forms";
import { TextField } from "../TextField";
import { SESSIONS_KEY } from "./SessionsSection";
import { Section } from "./Section";

const REQUIRED = { current_password: "Enter your current password.", new_password: "Choose a new password." };

export function PasswordSection() {
  const client = useQueryClient();
  const { form, onSubmit, field, banner, request: change } = useAccountForm({
    required: REQUIRED,
    send: (body) => unwrap(api.POST("/api/viewfinder/v1/accounts/password", { body })),
    onSuccess: (_response, clear) => {
      clear();
      void client.invalidateQueries({ queryKey: SESSIONS_KEY });
    },
  });

  return (
    <Section id="password" title="Change password" hint="Changing it logs you out everywhere else.">
      <form ref={form} className="settings-form" onSubmit={onSubmit} noValidate>
        <ErrorBanner error={banner} />
        {change.isSuccess && (
          <p className="notice" role="status">
            Your password has been changed. Other sessions were logged out.
          </p>
        )}
        <TextField
          {...field("current_password")}
          label="Current password"
          type="password"
          autoComplete="current-password"
        />
        <TextField
          {...field("new_password")}
          label="New password"
          type="password"
          autoComplete="new-password"
          hint="At least 8 characters. Avoid common passwords."
        />
        <button type="submit" className="button" disabled={change.isPending}>
          Change password
        </button>
      </form>
    </Section>
  );
}
