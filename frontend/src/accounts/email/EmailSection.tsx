/** The account's email address in Settings: whether it is confirmed (with "send the link again"), and
 * changing it. A change is a sensitive action (the password is asked for again when the session last
 * proved it too long ago) and happens only when the link sent to the new address is opened. */
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useRef, useState } from "react";
import { ApiError, api, type Schemas, unwrap } from "../../api/client";
import { useMe } from "../../auth/auth";
import { ErrorBanner } from "../../components/Errors";
import { bannerError, useFocusFirstInvalid } from "../forms";
import { useReauthentication } from "../settings/ConfirmPassword";
import { SECURITY_EVENTS_KEY } from "../settings/SecurityActivitySection";
import { Section } from "../settings/Section";
import { TextField } from "../TextField";
import { useResendVerification } from "./resend";
import "./email.css";

type Pending = Schemas["EmailChangeOut"];

export function EmailSection() {
  const { me } = useMe();
  const client = useQueryClient();
  const form = useRef<HTMLFormElement>(null);
  const [email, setEmail] = useState("");
  const [pending, setPending] = useState<Pending | null>(null);
  const [empty, setEmpty] = useState<ApiError | null>(null);
  const resend = useResendVerification();
  const reauthentication = useReauthentication("change your email address");
  const change = useMutation({
    mutationFn: (address: string) => unwrap(api.POST("/api/viewfinder/v1/accounts/email", { body: { email: address } })),
    onSuccess: (result) => {
      setPending(result);
      setEmail("");
      void client.invalidateQueries({ queryKey: SECURITY_EVENTS_KEY });
    },
    onError: (error, address) => {
      reauthentication.ask(error, () => change.mutate(address));
    },
  });
  // While the dialog asks for the password, it explains the refusal itself.
  const changeError = empty ?? (reauthentication.asking ? null : change.error);
  useFocusFirstInvalid(form, changeError);

  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    setPending(null);
    if (!email.trim()) {
      const message = "Enter the new address.";
      setEmpty(new ApiError(400, "validation_error", message, { email: message }));
      return;
    }
    setEmpty(null);
    change.mutate(email.trim());
  };

  return (
    <Section id="email" title="Email address" hint="Password reset links and security alerts go to this address.">
      {me && (
        <div className="email-address">
          <span>{me.email}</span>
          {me.email_verified ? (
            <span className="email-status">Confirmed</span>
          ) : (
            <>
              <span className="email-status email-status-pending">Not confirmed</span>
              {resend.isSuccess ? (
                <span className="hint">We sent the link again.</span>
              ) : (
                <button
                  type="button"
                  className="link-button"
                  onClick={() => resend.mutate()}
                  disabled={resend.isPending}
                >
                  Send the confirmation link again
                </button>
              )}
            </>
          )}
        </div>
      )}
      <ErrorBanner error={resend.error} />
      {reauthentication.dialog}
      {pending && (
        <p className="email-notice" role="status">
          We sent a link to {pending.pending_email}. Your address changes when you open it (within{" "}
          {pending.expires_in_hours} hours).
        </p>
      )}
      <form ref={form} onSubmit={onSubmit} noValidate>
        <ErrorBanner error={bannerError(changeError, ["email"])} />
        <div className="settings-inline-form">
          <TextField
            name="email"
            label="New email address"
            type="email"
            autoComplete="email"
            autoCapitalize="none"
            spellCheck={false}
            maxLength={254}
            value={email}
            onChange={setEmail}
            error={changeError}
          />
          <button type="submit" className="button" disabled={change.isPending}>
            Change email
          </button>
        </div>
      </form>
    </Section>
  );
}
