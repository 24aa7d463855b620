/** What shows instead of a profile's content: a missing (or blocked) account, or a private one. */
import type { ReactNode } from "react";
import { Link } from "react-router-dom";
import "./profiles.css";

/** The answer for an unknown account, or one that blocked you (or you it): nothing leaks which. */
export function Unavailable({ children }: { children?: ReactNode }) {
  return (
    <section className="empty-state profile-unavailable">
      <h1>Sorry, this page isn't available.</h1>
      <p>
        The link you followed may be broken, or the page may have been removed.{" "}
        <Link to="/">Go back to Viewfinder.</Link>
      </p>
      {children}
    </section>
  );
}

/** In place of a private account's posts or connections, for anyone who does not follow it. */
export function PrivateNotice() {
  return (
    <section className="private-notice" aria-labelledby="private-notice-title">
      <span className="private-lock" aria-hidden="true">
        <LockIcon />
      </span>
      <h2 id="private-notice-title">This account is private</h2>
      <p>Follow this account to see their photos and videos.</p>
    </section>
  );
}

export function LockIcon({ size = 28 }: { size?: number }) {
  return (
    <svg width={size} height={size} viewBox="0 0 24 24" fill="none" stroke="currentColor" strokeWidth="1.6" aria-hidden="true">
      <rect x="4.5" y="10.5" width="15" height="10" rx="2" />
      <path d="M8 10.5V7.5a4 4 0 0 1 8 0v3" strokeLinecap="round" />
    </svg>
  );
}
