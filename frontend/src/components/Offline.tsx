/** Being offline, said plainly (issue 17, finish): a banner while the browser has no connection, and
 * a state for lists that cannot load until it comes back. TanStack Query pauses fetches and
 * mutations while offline and resumes them on reconnecting; without these, a list showed a spinner
 * forever and a like looked saved while it waited to be sent. */
import { onlineManager } from "@tanstack/react-query";
import { useSyncExternalStore } from "react";

/** Whether the browser says it has a connection (TanStack Query's view of it, which it acts on). */
export function useOnline(): boolean {
  return useSyncExternalStore(
    (changed) => onlineManager.subscribe(changed),
    () => onlineManager.isOnline(),
    () => true,
  );
}

export function OfflineBanner() {
  const online = useOnline();
  if (online) return null;
  return (
    <p className="offline-banner" role="status">
      You're offline. What you like, save or comment is sent when you're back online.
    </p>
  );
}

/** In place of a list's spinner when its first page waits for a connection. */
export function OfflineState() {
  return (
    <section className="empty-state">
      <h2>You're offline</h2>
      <p className="hint">This will load when you're back online.</p>
    </section>
  );
}
