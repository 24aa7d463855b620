/** The standing API (a banned or suspended account's own view: why, its strikes, its appeals), as the
 * standing screen uses it. Its credential is a short-lived token got with the account's password: it
 * lives in memory only (never localStorage, never a cookie) and is sent as `Authorization: Bearer`
 * to the two standing routes alone, which get no cookies (`credentials: "omit"`): the token is their
 * only credential (a session is not accepted there anyway). Asking for the token does send them, for
 * the "trust this device" cookie that spares a trusted browser the two-factor code, as at log-in. */
import { API_BASE, ApiError, OFFLINE, type Schemas, toApiError } from "../api/client";
import type { AppealOut } from "../staff/types";

/** What POST /accounts/standing/token answers: the token and when it stops working (30 minutes). */
export type StandingToken = Schemas["StandingTokenOut"];

/** GET /accounts/standing: why the account cannot log in (banned, or suspended until when) and
 * every action against it. */
export type Standing = Schemas["StandingOut"];

/** A username (or e-mail) and password, and a two-factor code for an account that has it on. */
export type StandingCredentials = Schemas["StandingTokenCreate"];

/** Refusals that mean the token no longer works (expired, or the sanction ended). */
export const TOKEN_GONE = "invalid_standing_token";

async function call<T>(path: string, init: RequestInit, credentials: RequestCredentials = "omit"): Promise<T> {
  let response: Response;
  try {
    response = await globalThis.fetch(`${API_BASE}${path}`, {
      ...init,
      credentials,
      headers: { Accept: "application/json", ...(init.body ? { "Content-Type": "application/json" } : {}), ...init.headers },
    });
  } catch {
    throw OFFLINE;
  }
  const body: unknown = await response.json().catch(() => undefined);
  if (!response.ok) throw toApiError(response.status, body);
  return body as T;
}

function bearer(token: string): HeadersInit {
  return { Authorization: `Bearer ${token}` };
}

/** A standing token for the account's own credentials (401 two_factor_required asks for `code`). */
export function requestStandingToken(credentials: StandingCredentials): Promise<StandingToken> {
  const body: StandingCredentials = { username: credentials.username, password: credentials.password };
  if (credentials.code) body.code = credentials.code;
  return call("/accounts/standing/token", { method: "POST", body: JSON.stringify(body) }, "same-origin");
}

export function fetchStanding(token: string): Promise<Standing> {
  return call("/accounts/standing", { method: "GET", headers: bearer(token) });
}

export function appealFromStanding(token: string, actionId: string, text: string): Promise<AppealOut> {
  return call(`/accounts/standing/strikes/${encodeURIComponent(actionId)}/appeal`, {
    method: "POST",
    headers: bearer(token),
    body: JSON.stringify({ text }),
  });
}

/** Whether an error says the standing token no longer works. */
export function tokenGone(error: unknown): boolean {
  return error instanceof ApiError && error.status === 401 && error.code === TOKEN_GONE;
}
