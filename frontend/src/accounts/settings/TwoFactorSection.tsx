/** Two-factor authentication in Settings: set up an authenticator app (QR code, the secret as text, a
 * first code to confirm), see the recovery codes once (copy, download), get new ones, and turn the app
 * off with a code. Every change asks to confirm it's you when the session proved it too long ago. */
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useRef, useState } from "react";
import { ApiError, api, type Schemas, unwrap } from "../../api/client";
import { useMe } from "../../auth/auth";
import { ErrorBanner } from "../../components/Errors";
import { Spinner } from "../../components/Spinner";
import { bannerError, useFocusFirstInvalid } from "../forms";
import { TextField } from "../TextField";
import { looksLikeAppCode, TRUSTED_DEVICES_KEY, TWO_FACTOR_KEY, useTwoFactorStatus } from "../twoFactor";
import { useReauthentication } from "./ConfirmPassword";
import { RecoveryCodes } from "./RecoveryCodes";
import { SECURITY_EVENTS_KEY } from "./SecurityActivitySection";
import { Section } from "./Section";
import "../twoFactor.css";

type Enrolment = Schemas["TotpEnrolmentOut"];

/** The QR code as an image (an SVG in a data: URL, which the page's policy allows; no markup injected). */
function qrSource(svg: string): string {
  return `data:image/svg+xml;charset=utf-8,${encodeURIComponent(svg)}`;
}

function required(name: string, message: string): ApiError {
  return new ApiError(400, "validation_error", message, { [name]: message });
}

export function TwoFactorSection() {
  const client = useQueryClient();
  const { me } = useMe();
  const status = useTwoFactorStatus();
  const [enrolment, setEnrolment] = useState<Enrolment | null>(null);
  const [codes, setCodes] = useState<string[] | null>(null);
  const [turningOff, setTurningOff] = useState(false);
  const reauthentication = useReauthentication("change two-factor authentication");
  const refresh = () => {
    for (const queryKey of [TWO_FACTOR_KEY, SECURITY_EVENTS_KEY, TRUSTED_DEVICES_KEY]) void client.invalidateQueries({ queryKey });
  };

  const enrol = useMutation({
    mutationFn: () => unwrap(api.POST("/api/viewfinder/v1/accounts/two-factor/totp")),
    onSuccess: (result) => {
      setEnrolment(result);
      void client.invalidateQueries({ queryKey: TWO_FACTOR_KEY });
    },
    onError: (error) => reauthentication.ask(error, () => enrol.mutate()),
  });
  const regenerate = useMutation({
    mutationFn: () => unwrap(api.POST("/api/viewfinder/v1/accounts/two-factor/recovery-codes")),
    onSuccess: (result) => {
      setCodes(result.recovery_codes ?? null);
      refresh();
    },
    onError: (error) => reauthentication.ask(error, () => regenerate.mutate()),
  });
  const actionError = reauthentication.asking ? null : (enrol.error ?? regenerate.error);

  return (
    <Section
      id="two-factor"
      title="Two-factor authentication"
      hint="Ask for a code from an authenticator app, or a passkey, after your password when you log in, so a stolen password alone can't open your account."
    >
      {reauthentication.dialog}
      {codes && <RecoveryCodes codes={codes} username={me?.profile.username ?? "you"} onDone={() => setCodes(null)} />}
      {status.isPending ? (
        <Spinner label="Loading two-factor authentication" />
      ) : status.isError ? (
        <ErrorBanner error={status.error} onRetry={() => void status.refetch()} />
      ) : (
        <>
          <p className="two-factor-state">
            Authenticator app
            <span className={status.data.totp ? "two-factor-badge on" : "two-factor-badge"}>
              {status.data.totp ? "On" : "Off"}
            </span>
          </p>
          <ErrorBanner error={actionError} />
          {status.data.totp ? (
            turningOff ? (
              <TurnOff
                onDone={() => {
                  setTurningOff(false);
                  refresh();
                }}
                onCancel={() => setTurningOff(false)}
              />
            ) : (
              <div className="settings-actions">
                <button type="button" className="button button-secondary" onClick={() => setTurningOff(true)}>
                  Turn off
                </button>
              </div>
            )
          ) : enrolment ? (
            <ConfirmApp
              enrolment={enrolment}
              onConfirmed={(newCodes) => {
                setEnrolment(null);
                setCodes(newCodes);
                refresh();
              }}
              onCancel={() => setEnrolment(null)}
            />
          ) : (
            <div className="settings-actions">
              <button type="button" className="button" disabled={enrol.isPending} onClick={() => enrol.mutate()}>
                Set up an authenticator app
              </button>
            </div>
          )}
          {status.data.enabled && (
            <>
              <h3 className="two-factor-subheading">Recovery codes</h3>
              <p className="hint">
                {status.data.recovery_codes_left === 1
                  ? "1 recovery code left."
                  : `${status.data.recovery_codes_left} recovery codes left.`}{" "}
                Each logs you in once if you lose your phone and passkeys. New codes replace the old ones.
              </p>
              <div className="settings-actions">
                <button
                  type="button"
                  className="button button-secondary"
                  disabled={regenerate.isPending}
                  onClick={() => regenerate.mutate()}
                >
                  Get new recovery codes
                </button>
              </div>
            </>
          )}
        </>
      )}
    </Section>
  );
}

type ConfirmAppProps = { enrolment: Enrolment; onConfirmed: (codes: string[] | null) => void; onCancel: () => void };

/** Scan the QR code (or type the secret), then enter the first code the app shows. */
function ConfirmApp({ enrolment, onConfirmed, onCancel }: ConfirmAppProps) {
  const form = useRef<HTMLFormElement>(null);
  const [code, setCode] = useState("");
  const [empty, setEmpty] = useState<ApiError | null>(null);
  const reauthentication = useReauthentication("turn on two-factor authentication");
  const confirm = useMutation({
    mutationFn: (value: string) =>
      unwrap(api.POST("/api/viewfinder/v1/accounts/two-factor/totp/confirm", { body: { code: value } })),
    onSuccess: (result) => onConfirmed(result.recovery_codes ?? null),
    onError: (error, value) => reauthentication.ask(error, () => confirm.mutate(value)),
  });
  const error = empty ?? (reauthentication.asking ? null : confirm.error);
  useFocusFirstInvalid(form, error);

  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    if (!code.trim()) {
      setEmpty(required("code", "Enter the 6-digit code your app shows."));
      return;
    }
    setEmpty(null);
    confirm.mutate(code.trim());
  };

  return (
    <div className="totp-setup">
      {reauthentication.dialog}
      <p>Scan this QR code with an authenticator app (such as Aegis, Google Authenticator or 1Password).</p>
      <img className="totp-qr" src={qrSource(enrolment.qr_svg)} alt="QR code of your two-factor secret" />
      <p className="hint">
        Can't scan it? Enter this key in the app: <span className="totp-secret">{enrolment.secret}</span>
      </p>
      <form ref={form} className="settings-form" onSubmit={onSubmit} noValidate>
        <ErrorBanner error={bannerError(error, ["code"])} />
        <div className="settings-inline-form">
          <TextField
            name="code"
            label="Code from the app"
            inputMode="numeric"
            autoComplete="one-time-code"
            maxLength={9}
            value={code}
            onChange={setCode}
            error={error}
          />
          <button type="submit" className="button" disabled={confirm.isPending}>
            Turn on
          </button>
          <button type="button" className="button button-secondary" onClick={onCancel}>
            Cancel
          </button>
        </div>
      </form>
    </div>
  );
}

/** Turning the app off takes a current code of it, or a recovery code. */
function TurnOff({ onDone, onCancel }: { onDone: () => void; onCancel: () => void }) {
  const form = useRef<HTMLFormElement>(null);
  const [value, setValue] = useState("");
  const [empty, setEmpty] = useState<ApiError | null>(null);
  const reauthentication = useReauthentication("turn off two-factor authentication");
  const disable = useMutation({
    mutationFn: (typed: string) =>
      unwrap(
        api.POST("/api/viewfinder/v1/accounts/two-factor/totp/disable", {
          body: looksLikeAppCode(typed) ? { code: typed } : { recovery_code: typed },
        }),
      ),
    onSuccess: onDone,
    onError: (error, typed) => reauthentication.ask(error, () => disable.mutate(typed)),
  });
  const apiError = reauthentication.asking ? null : disable.error;
  // The API names the field it was given ("code" or "recovery_code"); this form has one box for both.
  const fieldMessage = apiError instanceof ApiError ? (apiError.field("code") ?? apiError.field("recovery_code")) : undefined;
  const error =
    empty ??
    (fieldMessage && apiError instanceof ApiError
      ? new ApiError(apiError.status, apiError.code, apiError.message, { disable_code: fieldMessage })
      : apiError);
  useFocusFirstInvalid(form, error);

  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    if (!value.trim()) {
      setEmpty(required("disable_code", "Enter a code from your app or a recovery code."));
      return;
    }
    setEmpty(null);
    disable.mutate(value.trim());
  };

  return (
    <form ref={form} className="settings-form" onSubmit={onSubmit} noValidate>
      {reauthentication.dialog}
      <p>Log-ins will no longer ask for a code from your app. Passkeys you added still count as a second step.</p>
      <ErrorBanner error={bannerError(error, ["disable_code"])} />
      <div className="settings-inline-form">
        <TextField
          name="disable_code"
          label="Code from your app, or a recovery code"
          autoComplete="one-time-code"
          maxLength={40}
          value={value}
          onChange={setValue}
          error={error}
        />
        <button type="submit" className="button button-danger" disabled={disable.isPending}>
          Turn off
        </button>
        <button type="button" className="button button-secondary" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}
