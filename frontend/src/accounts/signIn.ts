/** Where sign-up and log-in lead: the `next` query parameter when it is a path of this app, else home. */
import { useQueryClient } from "@tanstack/react-query";
import { useNavigate, useSearchParams } from "react-router-dom";
import type { Me } from "../api/client";
import { ME_KEY, useSetMe } from "../auth/auth";

/** A same-site path only: "/p/1" yes; "//evil.example", "https://…" and "/\\evil" no. */
export function safeNext(next: string | null): string {
  if (!next || !next.startsWith("/") || next.startsWith("//") || next.startsWith("/\\")) return "/";
  return next;
}

export function useNextPath(): string {
  const [params] = useSearchParams();
  return safeNext(params.get("next"));
}

/** `path` (another sign-in screen) passing `next` on, or plain `path` when `next` is home. */
export function pathWithNext(path: string, next: string): string {
  return next === "/" ? path : `${path}?next=${encodeURIComponent(next)}`;
}

/** Adopts a freshly signed-in account: drops what was cached for the anonymous visitor, then goes on. */
export function useSignedIn(next: string): (me: Me) => void {
  const client = useQueryClient();
  const setMe = useSetMe();
  const navigate = useNavigate();
  return (me) => {
    client.removeQueries({ predicate: (query) => query.queryKey[0] !== ME_KEY[0] });
    setMe(me);
    navigate(next, { replace: true });
  };
}
