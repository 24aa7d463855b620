/** Changing the password; the API ends every other session and revokes every API token when it succeeds. */
import { useQueryClient } from "@tanstack/react-query";
import { api, unwrap } from "../../api/client";
import { ErrorBanner } from "../../components/Errors";
import { useAccountForm } from "../forms";
import { TextField } from "../TextField";
import { SECURITY_EVENTS_KEY } from "./SecurityActivitySection";
import { SESSIONS_KEY } from "./SessionsSection";
import { Section } from "./Section";
import { TOKENS_KEY } from "./TokensSection";

const REQUIRED = { current_password: "Enter your current password.", new_password: "Choose a new password." };

export function PasswordSection() {
  const client = useQueryClient();
  const { form, onSubmit, field, banner, request: change } = useAccountForm({
    required: REQUIRED,
    send: (body) => unwrap(api.POST("/api/viewfinder/v1/accounts/password", { body })),
    onSuccess: (_response, clear) => {
      clear();
      for (const queryKey of [SESSIONS_KEY, TOKENS_KEY, SECURITY_EVENTS_KEY]) void client.invalidateQueries({ queryKey });
    },
  });

  return (
    <Section
      id="password"
      title="Change password"
      hint="Changing it logs you out everywhere else and revokes your API tokens."
    >
      <form ref={form} className="settings-form" onSubmit={onSubmit} noValidate>
        <ErrorBanner error={banner} />
        {change.isSuccess && (
          <p className="notice" role="status">
            Your password has been changed. Other sessions were logged out and API tokens revoked.
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
          hint="At least 8 characters and hard to guess: a few uncommon words work well."
        />
        <button type="submit" className="button" disabled={change.isPending}>
          Change password
        </button>
      </form>
    </Section>
  );
}
