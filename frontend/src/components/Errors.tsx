/** How failures show: next to their field, above their form or action, or in place of a screen. */
import { Component, type ErrorInfo, type ReactNode } from "react";
import { Link } from "react-router-dom";
import { ApiError, messageOf } from "../api/client";
import { useMe } from "../auth/auth";
import "./components.css";

/** The API's message for one field, tied to its input by id (use aria-describedby={fieldErrorId(name)}). */
export function FieldError({ error, name, id }: { error: unknown; name: string; id?: string }) {
  const message = error instanceof ApiError ? error.field(name) : undefined;
  if (!message) return null;
  return (
    <p className="field-error" id={id ?? fieldErrorId(name)} role="alert">
      {message}
    </p>
  );
}

export function fieldErrorId(name: string): string {
  return `error-${name}`;
}

/** The error of a form or action as a whole (fields' own messages show beside them). */
export function ErrorBanner({ error, onRetry }: { error: unknown; onRetry?: () => void }) {
  if (!error) return null;
  return (
    <div className="error-banner" role="alert">
      <span>{messageOf(error)}</span>
      {onRetry && (
        <button type="button" className="link-button" onClick={onRetry}>
          Try again
        </button>
      )}
    </div>
  );
}

/** Every "not found" in the app, alike: an unknown address, account, post or collection (or one kept
 * from the viewer, as a blocked account is: nothing tells which). The way on is home, or Explore for
 * someone signed out. `children` add to it (after blocking from a profile: a way to undo). */
export function PageNotFound({ children }: { children?: ReactNode }) {
  const { me } = useMe();
  return (
    <section className="empty-state page-not-found">
      <h1>Sorry, this page isn't available.</h1>
      <p>
        The link you followed may be broken, or the page may have been removed.{" "}
        {me === null ? <Link to="/explore">Explore Viewfinder.</Link> : <Link to="/">Go back to Viewfinder.</Link>}
      </p>
      {children}
    </section>
  );
}

type BoundaryState = { error: Error | null };

/** Catches a screen's render errors so the app never turns into a blank page. */
export class ErrorBoundary extends Component<{ children: ReactNode }, BoundaryState> {
  state: BoundaryState = { error: null };

  static getDerivedStateFromError(error: Error): BoundaryState {
    return { error };
  }

  componentDidCatch(error: Error, info: ErrorInfo) {
    console.error("Screen failed", error, info.componentStack);
  }

  render() {
    if (this.state.error) {
      return (
        <div className="screen-error" role="alert">
          <h1>Something went wrong</h1>
          <p>{messageOf(this.state.error)}</p>
          <button type="button" className="button" onClick={() => this.setState({ error: null })}>
            Try again
          </button>
        </div>
      );
    }
    return this.props.children;
  }
}
