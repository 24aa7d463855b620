/** Test doubles for the composer: a scriptable XMLHttpRequest and object URLs (jsdom has neither). */
import { vi } from "vitest";

export class FakeXHR {
  static sent: FakeXHR[] = [];
  upload: { onprogress: ((event: ProgressEvent) => void) | null } = { onprogress: null };
  onload: (() => void) | null = null;
  onerror: (() => void) | null = null;
  ontimeout: (() => void) | null = null;
  onabort: (() => void) | null = null;
  status = 0;
  response: unknown = null;
  responseType = "";
  withCredentials = false;
  method = "";
  url = "";
  headers: Record<string, string> = {};
  body: FormData | null = null;
  aborted = false;

  open(method: string, url: string) {
    this.method = method;
    this.url = url;
  }
  setRequestHeader(name: string, value: string) {
    this.headers[name] = value;
  }
  send(body: FormData) {
    this.body = body;
    FakeXHR.sent.push(this);
  }
  abort() {
    this.aborted = true;
    this.onabort?.();
  }
  progress(loaded: number, total: number) {
    this.upload.onprogress?.({ lengthComputable: true, loaded, total } as ProgressEvent);
  }
  respond(status: number, body: unknown) {
    this.status = status;
    this.response = body;
    this.onload?.();
  }
  fail() {
    this.onerror?.();
  }
  field(name: string): FormDataEntryValue | null {
    return this.body?.get(name) ?? null;
  }
}

/** Installs FakeXHR and object URLs for one test (undo with vi.unstubAllGlobals()). */
export function stubBrowser() {
  FakeXHR.sent = [];
  vi.stubGlobal("XMLHttpRequest", FakeXHR);
  let next = 0;
  URL.createObjectURL = vi.fn(() => `blob:test/${(next += 1)}`);
  URL.revokeObjectURL = vi.fn();
}

export function photo(name: string): File {
  return new File(["photo bytes"], name, { type: "image/jpeg" });
}

/** A media item as the API answers it. */
export function mediaItem(id: string, state = "ready", failure: { code: string; message: string } | null = null) {
  return {
    id,
    kind: "photo",
    state,
    filter: "normal",
    width: 1080,
    height: 1080,
    blurhash: null,
    dominant_color: null,
    renditions: [],
    failure,
  };
}
