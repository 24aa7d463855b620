/** Leaving a composer with something in it asks "Discard post?" first (issue 17): a click on a link to
 * another screen of the app, the browser's Back button and the composer's own Close wait for the
 * answer; closing or reloading the tab gets the browser's own question. Opening the post just
 * shared is no leaving.
 *
 * Back is caught without React Router's data router (useBlocker would need it: ~16 KB more gzipped
 * script on every first visit): while the draft has content, one extra history entry for the same
 * URL (the "guard") sits on top of the composer's own. Back pops it — the page stays — and the
 * composer either goes back a step (phones) or asks; staying puts the guard back. Leaving first
 * takes the guard off again, so the history keeps no dead /create entry. */
import { useEffect, useRef, useState } from "react";
import { useLocation, useNavigate } from "react-router-dom";

const GUARD = "viewfinderComposerGuard";
/** How long a Back may take before "Discard" decides there was nowhere to go back to. */
const BACK_FALLBACK_MS = 600;

/** Whether the current history entry is a composer's guard (any composer's: one a reload left is
 * as dead as the current one's). */
export function isGuardEntry(): boolean {
  return isRecord(window.history.state) && GUARD in window.history.state;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null;
}

/** What "Discard post?" was asked for. */
type Question = { kind: "link"; to: string } | { kind: "back" } | { kind: "close" };

type Options = {
  /** The draft has something to lose. */
  dirty: boolean;
  /** Set once the post is created: leaving for it is no discarding. */
  posted: { readonly current: boolean };
  /** The Back button while dirty: true when the composer took it (a step back), false to ask. */
  onBack: () => boolean;
};

export function useDiscardQuestion({ dirty, posted, onBack }: Options) {
  const navigate = useNavigate();
  const location = useLocation();
  const [question, setQuestion] = useState<Question | null>(null);
  const [guardId] = useState(() => Math.random().toString(36).slice(2));
  // Read by the window's listeners, which are added once.
  const latest = useRef({ dirty, onBack, navigate, firstEntry: location.key === "default" });
  latest.current = { dirty, onBack, navigate, firstEntry: location.key === "default" };
  /** Whether our guard is the current entry, as far as this composer moved the history. */
  const atGuard = useRef(false);
  /** The entry under the guard (the composer's own), as its state reads: Back from the guard lands
   * there, where a jump to a #fragment, say, lands somewhere new. */
  const base = useRef<string | null>(null);
  /** Set while this composer moves the history itself to leave: where to go once it has. */
  const leaving = useRef<{ to: string | null } | null>(null);
  const fallback = useRef<number | undefined>(undefined);

  const ownGuard = () => isRecord(window.history.state) && window.history.state[GUARD] === guardId;
  const pushGuard = () => {
    if (ownGuard()) return;
    const state: unknown = window.history.state;
    base.current = JSON.stringify(state ?? null);
    window.history.pushState({ ...(isRecord(state) ? state : {}), [GUARD]: guardId }, "");
    atGuard.current = true;
  };

  // Idempotent (React's strict mode runs it twice); pushGuard reads only refs and the history.
  useEffect(() => {
    if (dirty && !posted.current && !leaving.current) pushGuard();
  }, [dirty, posted]);

  useEffect(() => {
    const onPop = () => {
      const now = latest.current;
      if (leaving.current) {
        // The router renders the page gone back to, unmounting the composer (and its fallback).
        const to = leaving.current.to;
        if (to !== null) {
          leaving.current = { to: null };
          now.navigate(to);
        }
        return;
      }
      const wasAtGuard = atGuard.current;
      atGuard.current = ownGuard();
      if (atGuard.current) {
        setQuestion(null); // Forward onto the guard while asking: as good as "Cancel".
        return;
      }
      const backFromGuard = wasAtGuard && JSON.stringify(window.history.state ?? null) === base.current;
      // Otherwise a second Back while asking (the person is going), or a move elsewhere.
      if (!backFromGuard || posted.current) return;
      if (!now.dirty) {
        // Emptied since the guard went in: step over it as if it were not there.
        window.history.back();
        return;
      }
      if (now.onBack()) pushGuard();
      else setQuestion({ kind: "back" });
    };
    // Added once: it reads everything through refs.
    window.addEventListener("popstate", onPop);
    return () => {
      window.removeEventListener("popstate", onPop);
      window.clearTimeout(fallback.current);
    };
  }, []);

  useEffect(() => {
    if (!dirty) return;
    const ask = (event: BeforeUnloadEvent) => {
      if (!posted.current && !leaving.current) event.preventDefault();
    };
    const onClick = (event: MouseEvent) => {
      if (posted.current || leaving.current || event.defaultPrevented || event.button !== 0) return;
      if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return; // a new tab or window
      const link = event.target instanceof Element ? event.target.closest<HTMLAnchorElement>("a[href]") : null;
      if (!link || link.target === "_blank" || link.hasAttribute("download")) return;
      const to = new URL(link.href, window.location.href);
      if (to.origin !== window.location.origin || to.pathname === window.location.pathname) return;
      event.preventDefault();
      event.stopPropagation(); // before the router's own click handler
      setQuestion({ kind: "link", to: to.pathname + to.search + to.hash });
    };
    window.addEventListener("beforeunload", ask);
    document.addEventListener("click", onClick, true);
    return () => {
      window.removeEventListener("beforeunload", ask);
      document.removeEventListener("click", onClick, true);
    };
  }, [dirty, posted]);

  /** Goes `steps` entries back, then (when the browser has nowhere to go) home. */
  const goBack = (steps: number) => {
    leaving.current = { to: null };
    fallback.current = window.setTimeout(() => latest.current.navigate("/", { replace: true }), BACK_FALLBACK_MS);
    window.history.go(-steps);
  };
  /** Opens `to`, first taking the guard off so the history keeps no dead entry. */
  const goTo = (to: string) => {
    if (ownGuard()) {
      leaving.current = { to };
      window.history.back();
    } else {
      leaving.current = { to: null };
      navigate(to);
    }
  };
  /** Back past the composer: to the screen it was opened from, or home when it was the first. */
  const goBackPast = () => {
    const guard = ownGuard() ? 1 : 0;
    if (latest.current.firstEntry) goTo("/");
    else goBack(1 + guard);
  };

  return {
    question,
    stay: () => {
      if (question?.kind === "back") pushGuard();
      setQuestion(null);
    },
    leave: () => {
      const asked = question;
      setQuestion(null);
      if (!asked) return;
      if (asked.kind === "link") goTo(asked.to);
      else if (asked.kind === "back") goBack(1); // the guard is already off
      else goBackPast();
    },
    /** The composer's own Close: asks first when there is something to lose. */
    close: () => {
      if (dirty && !posted.current) setQuestion({ kind: "close" });
      else goBackPast();
    },
  };
}
