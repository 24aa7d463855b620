import { waitFor } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { answerFetch } from "../test/render";
import { type Interaction, InteractionReporter, type SendBatch } from "./reporter";
import { restoreVisibility, setVisibility } from "./testing";

const URL_PATH = "/api/viewfinder/v1/interactions";

function impression(postId: string, surface: Interaction["surface"] = "explore", position = 0): Interaction {
  return { kind: "impression", post_id: postId, surface, position };
}

let reporter: InteractionReporter;
let send: ReturnType<typeof vi.fn<SendBatch>>;

beforeEach(() => {
  vi.useFakeTimers();
  send = vi.fn<SendBatch>(async () => undefined);
  reporter = new InteractionReporter(send);
});

afterEach(() => {
  reporter.dispose();
  vi.useRealTimers();
  vi.unstubAllGlobals();
  restoreVisibility();
  document.cookie = "vf_csrf=; expires=Thu, 01 Jan 1970 00:00:00 GMT";
});

describe("the interaction reporter", () => {
  it("sends one request as soon as 50 events wait", () => {
    for (let index = 0; index < 49; index++) reporter.report(impression(String(index + 1), "explore", index), "u1");
    expect(send).not.toHaveBeenCalled();
    reporter.report(impression("50", "explore", 49), "u1");
    expect(send).toHaveBeenCalledTimes(1);
    const [events, options] = send.mock.calls[0] ?? [];
    expect(events).toHaveLength(50);
    expect(events?.[49]).toEqual({
      kind: "impression",
      post_id: "50",
      surface: "explore",
      position: 49,
      dwell_ms: null,
      model: null,
    });
    expect(options).toEqual({ keepalive: false });
    vi.advanceTimersByTime(10_000);
    expect(send).toHaveBeenCalledTimes(1);
  });

  it("sends what waits 5 s after the first unsent event", () => {
    reporter.report(impression("1"), "u1");
    vi.advanceTimersByTime(3000);
    reporter.report({ kind: "open", post_id: "2", surface: "post", position: null }, "u1");
    vi.advanceTimersByTime(1999);
    expect(send).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(send).toHaveBeenCalledTimes(1);
    expect(send.mock.calls[0]?.[0].map((event) => event.post_id)).toEqual(["1", "2"]);
  });

  it("sends at once, with keepalive, when the page is hidden or left", () => {
    reporter.report(impression("1"), "u1");
    setVisibility("hidden");
    expect(send).toHaveBeenCalledWith([expect.objectContaining({ post_id: "1" })], { keepalive: true });

    reporter.report(impression("2"), "u1");
    window.dispatchEvent(new Event("pagehide"));
    expect(send).toHaveBeenCalledTimes(2);
    expect(send).toHaveBeenLastCalledWith([expect.objectContaining({ post_id: "2" })], { keepalive: true });
  });

  it("lets the page's listeners report before the hidden page's flush", () => {
    const seen: boolean[] = [];
    reporter.onPageVisibility((visible) => {
      seen.push(visible);
      if (!visible) reporter.report({ kind: "dwell", post_id: "7", surface: "explore", dwell_ms: 2500 }, "u1");
    });
    setVisibility("hidden");
    expect(send).toHaveBeenCalledWith([expect.objectContaining({ kind: "dwell", dwell_ms: 2500 })], { keepalive: true });
    setVisibility("visible");
    expect(seen).toEqual([false, true]);
  });

  it("counts an impression once per post and surface per page view", () => {
    reporter.report(impression("1", "explore", 0), "u1", "page-a");
    reporter.report(impression("1", "explore", 3), "u1", "page-a");
    reporter.report(impression("1", "hashtag", 0), "u1", "page-a");
    reporter.report({ kind: "dwell", post_id: "1", surface: "explore", dwell_ms: 1200 }, "u1", "page-a");
    reporter.report(impression("1", "explore", 0), "u1", "page-b");
    reporter.flush();
    expect(send.mock.calls[0]?.[0].map((event) => `${event.kind} ${event.surface}`)).toEqual([
      "impression explore",
      "impression hashtag",
      "dwell explore",
      "impression explore",
    ]);
  });

  it("sends a not_interested or hide at once, with what waits", () => {
    reporter.report(impression("1"), "u1");
    reporter.report({ kind: "not_interested", post_id: "2", surface: "for_you", position: null, model: "als-7" }, "u1");
    expect(send).toHaveBeenCalledTimes(1);
    expect(send.mock.calls[0]?.[0].map((event) => `${event.kind} ${event.post_id}`)).toEqual([
      "impression 1",
      "not_interested 2",
    ]);
    reporter.report({ kind: "hide", post_id: "3", surface: "explore" }, "u1");
    expect(send).toHaveBeenCalledTimes(2);
  });

  it("names the model that served the post, if any", () => {
    reporter.report({ ...impression("1"), model: "als-7" }, "u1");
    reporter.report(impression("2"), "u1");
    reporter.report({ ...impression("3"), model: "m".repeat(41) }, "u1");
    reporter.flush();
    expect(send.mock.calls[0]?.[0].map((event) => event.model)).toEqual(["als-7", null, null]);
  });

  it("keeps sending after a request fails, without retrying it", async () => {
    send.mockRejectedValueOnce(new TypeError("Failed to fetch"));
    for (let index = 0; index < 50; index++) reporter.report(impression(String(index + 1)), "u1");
    reporter.report(impression("51"), "u1");
    await Promise.resolve();
    vi.advanceTimersByTime(5000);
    expect(send).toHaveBeenCalledTimes(2);
    expect(send.mock.calls[1]?.[0].map((event) => event.post_id)).toEqual(["51"]);
    vi.advanceTimersByTime(60_000);
    expect(send).toHaveBeenCalledTimes(2);
  });

  it("keeps nothing for a visitor who isn't signed in", () => {
    reporter.report(impression("1"), null);
    reporter.report(impression("2"), undefined);
    vi.advanceTimersByTime(10_000);
    reporter.flush(true);
    setVisibility("hidden");
    expect(send).not.toHaveBeenCalled();
  });

  it("drops what a previous viewer left unsent", () => {
    reporter.report(impression("1"), "u1");
    reporter.report(impression("2"), "u2");
    vi.advanceTimersByTime(5000);
    expect(send).toHaveBeenCalledTimes(1);
    expect(send.mock.calls[0]?.[0].map((event) => event.post_id)).toEqual(["2"]);
  });

  it("leaves out events the API would refuse, so they can't sink a batch", () => {
    reporter.report(impression("not-an-id"), "u1");
    reporter.report({ kind: "dwell", post_id: "3", surface: "explore", dwell_ms: null }, "u1");
    reporter.report({ kind: "dwell", post_id: "4", surface: "explore", dwell_ms: 5_000_000.4 }, "u1");
    reporter.report(impression("5", "explore", 20_000), "u1");
    reporter.flush();
    expect(send.mock.calls[0]?.[0]).toEqual([
      expect.objectContaining({ post_id: "4", dwell_ms: 3_600_000 }),
      expect.objectContaining({ post_id: "5", position: null }),
    ]);
  });
});

describe("sending", () => {
  beforeEach(() => vi.useRealTimers());

  it("posts the batch with the CSRF header, keepalive when the page goes, and ignores failures", async () => {
    document.cookie = "vf_csrf=tok123";
    const seen = answerFetch({ [`POST ${URL_PATH}`]: { status: 202, body: { accepted: 1 } } });
    const real = new InteractionReporter();
    real.report(impression("9", "profile", 2), "u1");
    setVisibility("hidden");
    await waitFor(() => expect(seen).toHaveLength(1));
    const request = seen[0] as Request;
    expect(request.method).toBe("POST");
    expect(new URL(request.url).pathname).toBe(URL_PATH);
    expect(request.headers.get("X-CSRF-Token")).toBe("tok123");
    expect(request.keepalive).toBe(true);
    expect(await request.json()).toEqual({
      events: [{ kind: "impression", post_id: "9", surface: "profile", position: 2, dwell_ms: null, model: null }],
    });

    vi.stubGlobal("fetch", async () => {
      throw new TypeError("Failed to fetch");
    });
    const unhandled = vi.fn();
    process.on("unhandledRejection", unhandled);
    real.report(impression("10"), "u1");
    real.flush();
    await new Promise((resolve) => setTimeout(resolve, 20));
    process.off("unhandledRejection", unhandled);
    expect(unhandled).not.toHaveBeenCalled();
    real.dispose();
  });
});
