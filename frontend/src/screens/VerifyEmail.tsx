/** The page the link of a confirmation email opens (/accounts/verify-email#token=…): it sends the
 * token at once and says whether the address is now confirmed — at sign-up, or the new address of an
 * email change. It works signed out too (the link is the proof). */
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useEffect, useRef } from "react";
import { Link } from "react-router-dom";
import { ApiError, api, unwrap } from "../api/client";
import { AuthCard } from "../accounts/AuthCard";
import { useLinkToken } from "../accounts/email/linkToken";
import { useResendVerification } from "../accounts/email/resend";
import { ME_KEY, useMe } from "../auth/auth";
import { ErrorBanner } from "../components/Errors";
import { Spinner } from "../components/Spinner";
import "../accounts/email/email.css";

export function VerifyEmail() {
  const token = useLinkToken();
  const { me } = useMe();
  const client = useQueryClient();
  const confirm = useMutation({
    mutationFn: (value: string) => unwrap(api.POST("/api/viewfinder/v1/accounts/email/verify", { body: { token: value } })),
    onSuccess: () => void client.invalidateQueries({ queryKey: ME_KEY }),
  });
  const resend = useResendVerification();
  const sent = useRef(false);
  const { mutate } = confirm;
  useEffect(() => {
    if (token && !sent.current) {
      sent.current = true; // once, even when React runs effects twice in development
      mutate(token);
    }
  }, [token, mutate]);

  const footer = me ? <Link to="/">Go to your feed</Link> : <Link to="/login">Log in</Link>;
  const stale = confirm.error instanceof ApiError && confirm.error.code === "invalid_link";
  return (
    <AuthCard heading="Confirm your email address" footer={footer}>
      <div className="email-page">
        {!token ? (
          <p>Open this page with the link in the email we sent you.</p>
        ) : confirm.isSuccess ? (
          <>
            <h2>{confirm.data.changed ? "Email address changed" : "Email address confirmed"}</h2>
            <p role="status">
              {confirm.data.changed
                ? `Your account's email address is now ${confirm.data.email}.`
                : `${confirm.data.email} is confirmed. Thank you!`}
            </p>
          </>
        ) : confirm.isError ? (
          <>
            <ErrorBanner error={confirm.error} />
            {stale && me && !me.email_verified && (
              <>
                {resend.isSuccess ? (
                  <p role="status">We sent you a new link.</p>
                ) : (
                  <button type="button" className="button" onClick={() => resend.mutate()} disabled={resend.isPending}>
                    Send a new link
                  </button>
                )}
                <ErrorBanner error={resend.error} />
              </>
            )}
          </>
        ) : (
          <Spinner label="Confirming your email address" />
        )}
      </div>
    </AuthCard>
  );
}
