import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { act, render, screen } from "@testing-library/react";
import { type ReactElement, useRef } from "react";
import { MemoryRouter } from "react-router-dom";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { Me } from "../api/client";
import { ME_KEY } from "../auth/auth";
import { me } from "../posts/testData";
import { flushInteractions, type InteractionEvent, resetInteractionReporter, type SendBatch, type Surface } from "./reporter";
import { fakeIntersectionObserver, restoreVisibility, setVisibility, showElement, watchedCount } from "./testing";
import { useImpression } from "./useImpression";

function Tile({ postId, surface = "explore", position = 0 }: { postId: string; surface?: Surface; position?: number }) {
  const ref = useRef<HTMLDivElement>(null);
  useImpression(ref, { postId, surface, position });
  return <div ref={ref} data-testid={`tile-${postId}`} />;
}

/** Renders `ui` for `viewer` (null: signed out), known at once so no request is made. */
function renderFor(ui: ReactElement, viewer: Me | null = me()) {
  const client = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  client.setQueryData(ME_KEY, viewer);
  return render(
    <QueryClientProvider client={client}>
      <MemoryRouter>{ui}</MemoryRouter>
    </QueryClientProvider>,
  );
}

let send: ReturnType<typeof vi.fn<SendBatch>>;

/** Everything sent so far, after sending what waits. */
function sent(): InteractionEvent[] {
  flushInteractions();
  return send.mock.calls.flatMap(([events]) => events);
}

function show(postId: string, ratio: number) {
  act(() => showElement(screen.getByTestId(`tile-${postId}`), ratio));
}

function wait(ms: number) {
  act(() => {
    vi.advanceTimersByTime(ms);
  });
}

beforeEach(() => {
  vi.useFakeTimers();
  send = vi.fn<SendBatch>(async () => undefined);
  resetInteractionReporter(send);
  fakeIntersectionObserver();
});

afterEach(() => {
  vi.useRealTimers();
  vi.unstubAllGlobals();
  restoreVisibility();
});

describe("useImpression", () => {
  it("reports an impression once at least half the post was visible for a second", () => {
    renderFor(<Tile postId="7" surface="hashtag" position={3} />);
    show("7", 0.6);
    wait(999);
    expect(sent()).toEqual([]);
    wait(1);
    expect(sent()).toEqual([
      { kind: "impression", post_id: "7", surface: "hashtag", position: 3, dwell_ms: null, model: null },
    ]);
  });

  it("needs half of it, for a whole second at a time", () => {
    renderFor(<Tile postId="7" />);
    show("7", 0.4);
    wait(5000);
    show("7", 0.5);
    wait(900);
    show("7", 0.2);
    show("7", 0.9);
    wait(900);
    expect(sent().filter((event) => event.kind === "impression")).toEqual([]);
  });

  it("reports the time on screen as dwell when it leaves, if it was a second or more", () => {
    renderFor(<Tile postId="7" position={1} />);
    show("7", 1);
    wait(2500);
    show("7", 0);
    expect(sent()).toEqual([
      expect.objectContaining({ kind: "impression" }),
      { kind: "dwell", post_id: "7", surface: "explore", position: 1, dwell_ms: 2500, model: null },
    ]);
    show("7", 1);
    wait(400);
    show("7", 0);
    expect(sent().filter((event) => event.kind === "dwell")).toHaveLength(1);
  });

  it("counts a post scrolled past twice as one impression", () => {
    renderFor(<Tile postId="7" />);
    show("7", 1);
    wait(1200);
    show("7", 0);
    show("7", 1);
    wait(1500);
    show("7", 0);
    expect(sent().map((event) => `${event.kind} ${event.dwell_ms ?? ""}`)).toEqual([
      "impression ",
      "dwell 1200",
      "dwell 1500",
    ]);
  });

  it("reports the dwell when the post goes away while on screen", () => {
    const view = renderFor(<Tile postId="7" />);
    show("7", 1);
    wait(1500);
    view.unmount();
    expect(sent().map((event) => event.kind)).toEqual(["impression", "dwell"]);
    expect(watchedCount()).toBe(0);
  });

  it("stops the clock while the page is hidden, and sends what it has with keepalive", () => {
    renderFor(<Tile postId="7" />);
    show("7", 1);
    wait(1200);
    act(() => setVisibility("hidden"));
    expect(send).toHaveBeenCalledTimes(1);
    expect(send.mock.calls[0]?.[1]).toEqual({ keepalive: true });
    expect(send.mock.calls[0]?.[0].map((event) => `${event.kind} ${event.dwell_ms ?? ""}`)).toEqual([
      "impression ",
      "dwell 1200",
    ]);
    wait(60_000);
    act(() => setVisibility("visible"));
    wait(1000);
    show("7", 0);
    expect(sent().map((event) => event.dwell_ms).filter(Boolean)).toEqual([1200, 1000]);
  });

  it("reports nothing for a visitor who isn't signed in", () => {
    renderFor(<Tile postId="7" />, null);
    expect(watchedCount()).toBe(0);
    wait(10_000);
    expect(sent()).toEqual([]);
  });

  it("does nothing where IntersectionObserver is missing", () => {
    vi.unstubAllGlobals();
    vi.stubGlobal("IntersectionObserver", undefined);
    const view = renderFor(<Tile postId="7" />);
    wait(10_000);
    view.unmount();
    expect(sent()).toEqual([]);
  });
});
