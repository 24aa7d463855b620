/** What only the web app can tell the recommender (impressions, opens, dwell, shares), sent in
 * batches to POST /interactions. Likes, comments, saves, follows and profile visits are recorded by
 * the server itself: never report them here.
 *
 * Events wait in a buffer that is sent when it holds 50, 5 s after the first unsent one, and when
 * the page is hidden or left (then with `keepalive`, so the request outlives the page); a
 * `not_interested` or `hide` goes at once, with what waits, so the next page of recommendations
 * already leaves the post out. Each event names the `model` that served its post (the post's
 * `recommended.model`; null for anything else). These are
 * analytics: a failed send is dropped, never retried or shown, and takes only its own events with
 * it. Only a signed-in viewer's events are kept, and a change of viewer drops what the previous one
 * left unsent (it would be sent under the new session). An impression counts once per post and
 * surface per page view. */
import { api, type Schemas } from "../api/client";

export type InteractionEvent = Schemas["InteractionIn"];
export type Surface = NonNullable<InteractionEvent["surface"]>;
/** An event as a caller reports it (`model` left out: none). */
export type Interaction = InteractionEvent;
/** Sends one batch; may reject (the reporter ignores it). */
export type SendBatch = (events: InteractionEvent[], options: { keepalive: boolean }) => Promise<unknown>;

const BATCH_SIZE = 50;
const FLUSH_AFTER_MS = 5000;
/** The API refuses larger requests. */
const MAX_PER_REQUEST = 200;
/** The API's limits: anything outside them would have the whole batch refused. */
const POST_ID = /^[0-9]{1,19}$/;
const MAX_POSITION = 10_000;
const MAX_DWELL_MS = 3_600_000;
const MAX_MODEL_LENGTH = 40;
/** The viewer asked to see fewer like it: the next page they load must already know. */
const SEND_AT_ONCE = new Set<InteractionEvent["kind"]>(["not_interested", "hide"]);

const sendToApi: SendBatch = (events, { keepalive }) =>
  // The api client adds the CSRF header (csrfToken()) to writes; keepalive lets the request finish
  // after the page is gone (sendBeacon could not send that header).
  api.POST("/api/viewfinder/v1/interactions", { body: { events }, keepalive });

function inRange(value: number | null | undefined, max: number): number | null {
  if (value == null || !Number.isFinite(value)) return null;
  const whole = Math.round(value);
  return whole >= 0 && whole <= max ? whole : null;
}

/** The event as the API takes it, or null for one it would refuse (which would sink its batch). */
function normalise(event: Interaction): InteractionEvent | null {
  if (!POST_ID.test(event.post_id)) return null;
  const dwell = event.kind === "dwell" ? inRange(Math.min(event.dwell_ms ?? -1, MAX_DWELL_MS), MAX_DWELL_MS) : null;
  if (event.kind === "dwell" && dwell === null) return null;
  return {
    kind: event.kind,
    post_id: event.post_id,
    surface: event.surface ?? null,
    position: inRange(event.position, MAX_POSITION),
    dwell_ms: dwell,
    // An unknown model is better than a refused batch.
    model: event.model && event.model.length <= MAX_MODEL_LENGTH ? event.model : null,
  };
}

/** The batching queue; the app uses one (below), tests make their own with a fake `send`. */
export class InteractionReporter {
  private buffer: InteractionEvent[] = [];
  private viewer: string | null = null;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private pageView: string | null = null;
  private readonly impressions = new Set<string>();
  private readonly visibilityListeners = new Set<(visible: boolean) => void>();
  private listening = false;

  constructor(private readonly send: SendBatch = sendToApi) {}

  /** Queues `event` for `viewer` (their account id; nothing is kept without one). `pageView`
   * identifies the page view an impression belongs to (the router's location key). */
  report(event: Interaction, viewer: string | null | undefined, pageView = ""): void {
    if (!viewer) return;
    const clean = normalise(event);
    if (!clean) return;
    if (viewer !== this.viewer) {
      this.drop();
      this.viewer = viewer;
    }
    if (clean.kind === "impression" && !this.firstImpression(clean, pageView)) return;
    this.listen();
    this.buffer.push(clean);
    if (this.buffer.length >= BATCH_SIZE || SEND_AT_ONCE.has(clean.kind)) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), FLUSH_AFTER_MS);
  }

  /** Sends whatever waits, at most MAX_PER_REQUEST a request; `keepalive` when the page is going. */
  flush(keepalive = false): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    while (this.buffer.length > 0) {
      const batch = this.buffer.splice(0, MAX_PER_REQUEST);
      try {
        this.send(batch, { keepalive }).catch(() => undefined);
      } catch {
        // Analytics: a request that cannot even start is dropped like one that fails.
      }
    }
  }

  /** Calls `listener(false)` when the page is hidden or left, before the buffer is sent (so what
   * it reports goes out with it), and `listener(true)` when it is shown again. */
  onPageVisibility(listener: (visible: boolean) => void): () => void {
    this.visibilityListeners.add(listener);
    this.listen();
    return () => this.visibilityListeners.delete(listener);
  }

  /** Drops what waits and stops listening to the page. */
  dispose(): void {
    this.drop();
    this.visibilityListeners.clear();
    if (this.listening) {
      document.removeEventListener("visibilitychange", this.onVisibilityChange);
      window.removeEventListener("pagehide", this.onPageHide);
      this.listening = false;
    }
  }

  private firstImpression(event: InteractionEvent, pageView: string): boolean {
    if (pageView !== this.pageView) {
      // Only the current page view's impressions matter: the set never outgrows one page.
      this.pageView = pageView;
      this.impressions.clear();
    }
    const key = `${event.surface ?? ""}:${event.post_id}`;
    if (this.impressions.has(key)) return false;
    this.impressions.add(key);
    return true;
  }

  private drop(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    this.buffer = [];
    this.impressions.clear();
    this.pageView = null;
  }

  private listen(): void {
    if (this.listening || typeof document === "undefined") return;
    this.listening = true;
    document.addEventListener("visibilitychange", this.onVisibilityChange);
    window.addEventListener("pagehide", this.onPageHide);
  }

  private readonly onVisibilityChange = () => {
    const visible = document.visibilityState !== "hidden";
    for (const listener of [...this.visibilityListeners]) listener(visible);
    if (!visible) this.flush(true);
  };

  private readonly onPageHide = () => {
    for (const listener of [...this.visibilityListeners]) listener(false);
    this.flush(true);
  };
}

let reporter = new InteractionReporter();

/** Queues an event for the signed-in `viewer` (see InteractionReporter.report). */
export function reportInteraction(event: Interaction, viewer: string | null | undefined, pageView?: string): void {
  reporter.report(event, viewer, pageView);
}

/** Sends what waits now. */
export function flushInteractions(keepalive = false): void {
  reporter.flush(keepalive);
}

/** See InteractionReporter.onPageVisibility. */
export function onPageVisibility(listener: (visible: boolean) => void): () => void {
  return reporter.onPageVisibility(listener);
}

/** Starts over with an empty queue (tests: after each one, or with a fake `send`). */
export function resetInteractionReporter(send?: SendBatch): void {
  reporter.dispose();
  reporter = new InteractionReporter(send);
}
