/** The sign-in screens' frame: a centred card with the logo and the form, and a second card below
 * that points to the other screen ("Don't have an account? Sign up"). */
import type { ReactNode } from "react";
import { Logo } from "../components/Logo";
import "./accounts.css";

type AuthCardProps = {
  /** The screen's heading for assistive technology, e.g. "Log in to Viewfinder" (the logo shows). */
  heading: string;
  tagline?: string;
  children: ReactNode;
  footer: ReactNode;
};

export function AuthCard({ heading, tagline, children, footer }: AuthCardProps) {
  return (
    <div className="auth">
      <section className="auth-card" aria-labelledby="auth-heading">
        <h1 id="auth-heading" className="auth-logo">
          <span aria-hidden="true">
            <Logo />
          </span>
          <span className="visually-hidden">{heading}</span>
        </h1>
        {tagline && <p className="auth-tagline">{tagline}</p>}
        {children}
      </section>
      <p className="auth-card auth-switch">{footer}</p>
    </div>
  );
}
