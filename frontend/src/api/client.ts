/** The API client: typed from the OpenAPI document (src/api/schema.d.ts is generated, never edited).
 *
 * Cookie-authenticated writes echo the session's CSRF token (the readable `vf_csrf` cookie) in
 * X-CSRF-Token; every failure becomes an ApiError carrying the API's {code, message, fields}. */
import createClient, { type Middleware } from "openapi-fetch";
import type { components, paths } from "./schema";

export type Schemas = components["schemas"];
export type Me = Schemas["Me"];
export type Profile = Schemas["Profile"];
export type UserSummary = Schemas["UserSummary"];
export type Relationship = Schemas["RelationshipOut"];
export type Post = Schemas["PostOut"];
export type PostItem = Schemas["PostItemOut"];
export type MediaItem = Schemas["MediaItemOut"];
export type Rendition = Schemas["RenditionOut"];
export type Comment = Schemas["CommentOut"];
export type Notification = Schemas["NotificationOut"];
export type Collection = Schemas["CollectionOut"];
export type Hashtag = Schemas["HashtagOut"];

export const API_BASE = "/api/viewfinder/v1";

/** A failed request, in the API's one error shape. `fields` maps a field name to its message. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly fields: Record<string, string>;

  constructor(status: number, code: string, message: string, fields: Record<string, string> = {}) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
    this.fields = fields;
  }

  /** The message of one field, if the API named it. */
  field(name: string): string | undefined {
    return this.fields[name];
  }
}

export const OFFLINE = new ApiError(0, "network_error", "You seem to be offline. Check your connection and try again.");

export function csrfToken(): string | undefined {
  const match = document.cookie.match(/(?:^|;\s*)vf_csrf=([^;]+)/);
  return match?.[1] ? decodeURIComponent(match[1]) : undefined;
}

const UNSAFE = new Set(["POST", "PUT", "PATCH", "DELETE"]);

const csrf: Middleware = {
  onRequest({ request }) {
    const token = csrfToken();
    if (token && UNSAFE.has(request.method)) request.headers.set("X-CSRF-Token", token);
    return request;
  },
};

/** Paths are the API's own, e.g. api.GET("/api/viewfinder/v1/accounts/me"). */
export const api = createClient<paths>({
  baseUrl: globalThis.location?.origin ?? "",
  credentials: "same-origin",
  // Looked up at each call, so tests can answer requests (see src/test/render.tsx).
  fetch: (request) => globalThis.fetch(request),
});
api.use(csrf);

type ErrorBody = { error?: { code?: string; message?: string; fields?: Record<string, string> } };

/** The ApiError for a response body (whatever it holds) and status. */
export function toApiError(status: number, body: unknown): ApiError {
  const error = (body as ErrorBody | undefined)?.error;
  if (error?.code && error.message) return new ApiError(status, error.code, error.message, error.fields ?? {});
  return new ApiError(status, "http_error", `The server answered ${status}. Try again in a moment.`);
}

/** The data of an openapi-fetch call, or a thrown ApiError (also when the network fails).
 *
 * Usage: `const me = await unwrap(api.GET("/api/viewfinder/v1/accounts/me"));` */
export async function unwrap<T>(
  call: Promise<{ data?: T; error?: unknown; response: Response }>,
): Promise<T> {
  let result: { data?: T; error?: unknown; response: Response };
  try {
    result = await call;
  } catch (exc) {
    if (exc instanceof ApiError) throw exc;
    throw OFFLINE;
  }
  if (!result.response.ok) throw toApiError(result.response.status, result.error);
  return result.data as T;
}

/** A readable message for anything thrown. */
export function messageOf(error: unknown): string {
  if (error instanceof ApiError) return error.message;
  if (error instanceof Error) return error.message;
  return "Something went wrong.";
}
