/** Sending one file to POST /media with upload progress (XMLHttpRequest: fetch reports none),
 * waiting for its processing, and a small limiter so only a few uploads run at once. */
import { API_BASE, ApiError, api, csrfToken, type MediaItem, toApiError, unwrap } from "../api/client";
import type { Rotation } from "./crop";

export const OFFLINE_MESSAGE = "Upload failed — you're offline";
const POLL_INTERVAL_MS = 700;

/** A network failure (no answer at all): retrying later may work. */
export function offlineError(): ApiError {
  return new ApiError(0, "network_error", OFFLINE_MESSAGE);
}

/** A processing failure the API reported on the item (state "failed"). */
export class ProcessingFailed extends Error {}

type UploadOptions = {
  filter: string;
  /** "left,top,width,height" fractions of the photo after rotation. */
  crop?: string;
  /** Degrees clockwise, applied before the crop; 0 is not sent. */
  rotate?: Rotation;
  /** "name=value" pairs (adjust.ts adjustParam). */
  adjust?: string;
  signal: AbortSignal;
  onProgress: (fraction: number) => void;
};

/** Uploads a file; resolves with the new item, rejects with an ApiError (status 0 when offline)
 * or with the signal's reason when aborted. */
export function uploadFile(
  file: File,
  { filter, crop, rotate, adjust, signal, onProgress }: UploadOptions,
): Promise<MediaItem> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const xhr = new XMLHttpRequest();
    const form = new FormData();
    form.append("file", file, file.name);
    form.append("filter", filter);
    if (rotate) form.append("rotate", String(rotate));
    if (crop) form.append("crop", crop);
    if (adjust) form.append("adjust", adjust);
    xhr.open("POST", `${API_BASE}/media`);
    xhr.withCredentials = true;
    xhr.responseType = "json";
    const token = csrfToken();
    if (token) xhr.setRequestHeader("X-CSRF-Token", token);
    xhr.upload.onprogress = (event) => {
      if (event.lengthComputable && event.total > 0) onProgress(event.loaded / event.total);
    };
    xhr.onload = () => {
      if (xhr.status >= 200 && xhr.status < 300) resolve(xhr.response as MediaItem);
      else reject(toApiError(xhr.status, xhr.response));
    };
    xhr.onerror = () => reject(offlineError());
    xhr.ontimeout = () => reject(offlineError());
    xhr.onabort = () => reject(signal.reason);
    signal.addEventListener("abort", () => xhr.abort(), { once: true });
    xhr.send(form);
  });
}

/** An item as far as its processing goes: the upload's answer, or just an id to look up. */
export type ItemProgress = Pick<MediaItem, "id" | "state"> & Partial<Pick<MediaItem, "failure">>;

/** Polls the item until it is ready (resolves) or failed (rejects with ProcessingFailed). */
export async function waitUntilProcessed(item: ItemProgress, signal: AbortSignal): Promise<void> {
  let current = item;
  for (;;) {
    if (current.state === "ready") return;
    if (current.state === "failed") {
      throw new ProcessingFailed(current.failure?.message || "This item could not be processed.");
    }
    await sleep(POLL_INTERVAL_MS, signal);
    try {
      current = await unwrap(
        api.GET("/api/viewfinder/v1/media/{media_id}", { params: { path: { media_id: item.id } }, signal }),
      );
    } catch (error) {
      if (signal.aborted) throw signal.reason;
      if (error instanceof ApiError && error.status === 0) throw offlineError();
      throw error;
    }
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const timer = setTimeout(resolve, ms);
    signal.addEventListener("abort", () => (clearTimeout(timer), reject(signal.reason)), { once: true });
  });
}

/** Runs tasks with at most `limit` at once, the rest waiting in order. */
export function createLimiter(limit: number): <T>(task: () => Promise<T>) => Promise<T> {
  let active = 0;
  const waiting: (() => void)[] = [];
  return async (task) => {
    // A finishing task hands its slot straight to the next waiting one.
    if (active >= limit) await new Promise<void>((resolve) => waiting.push(resolve));
    else active += 1;
    try {
      return await task();
    } finally {
      const next = waiting.shift();
      if (next) next();
      else active -= 1;
    }
  };
}
