/** Until the account's address is confirmed, a banner on every screen says where the link went and
 * offers to send it again (or to fix the address in Settings). Dismissed, it stays away until the
 * next visit. */
import { useState } from "react";
import { Link, useLocation } from "react-router-dom";
import { useMe } from "../../auth/auth";
import { ErrorBanner } from "../../components/Errors";
import { VERIFY_EMAIL_PATH } from "./paths";
import { useResendVerification } from "./resend";
import "./email.css";

export function VerifyEmailBanner() {
  const { me } = useMe();
  const { pathname } = useLocation();
  const [dismissed, setDismissed] = useState(false);
  const resend = useResendVerification();
  if (!me || me.email_verified || dismissed || pathname === VERIFY_EMAIL_PATH) return null;
  return (
    <div className="email-banner" role="status" aria-label="Confirm your email address">
      <p>
        Confirm your email address: open the link we sent to <strong>{me.email}</strong>.{" "}
        {resend.isSuccess ? "We sent it again." : null}
      </p>
      {!resend.isSuccess && (
        <button type="button" className="link-button" onClick={() => resend.mutate()} disabled={resend.isPending}>
          Send it again
        </button>
      )}
      <Link to="/settings#email">Change address</Link>
      <button type="button" className="link-button" onClick={() => setDismissed(true)}>
        Dismiss
      </button>
      <ErrorBanner error={resend.error} />
    </div>
  );
}
