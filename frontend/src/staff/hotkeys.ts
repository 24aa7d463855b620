/** Single-key shortcuts for the staff screens (moderators handle hundreds of cases a day): a key
 * does nothing while the person types in a field, holds a modifier, or has a dialog open. */
import { useEffect, useRef } from "react";

/** Key → what it does; a handler that returns false leaves the key to the browser. */
export type Hotkeys = Record<string, (event: KeyboardEvent) => boolean | void>;

function typing(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  return target.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(target.tagName);
}

export function useHotkeys(keys: Hotkeys, enabled = true): void {
  const current = useRef(keys);
  current.current = keys;
  useEffect(() => {
    if (!enabled) return;
    const onKey = (event: KeyboardEvent) => {
      if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) return;
      if (typing(event.target) || document.querySelector("dialog[open]")) return;
      const handler = current.current[event.key];
      if (!handler) return;
      if (handler(event) !== false) event.preventDefault();
    };
    document.addEventListener("keydown", onKey);
    return () => document.removeEventListener("keydown", onKey);
  }, [enabled]);
}
