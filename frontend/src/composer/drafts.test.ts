import { describe, expect, it } from "vitest";
import { type Draft, EMPTY, MAX_ITEMS, NO_EDITS, composerReducer, kindOf } from "./drafts";
import { createLimiter } from "./upload";

function draft(key: string): Draft {
  return {
    key,
    file: new File([""], `${key}.jpg`, { type: "image/jpeg" }),
    kind: "photo",
    url: `blob:${key}`,
    ...NO_EDITS,
    altText: "",
    phase: { kind: "idle" },
  };
}

const keys = (state: { drafts: Draft[] }) => state.drafts.map((item) => item.key);

describe("composerReducer", () => {
  const three = composerReducer(EMPTY, { type: "add", drafts: [draft("a"), draft("b"), draft("c")] });

  it("adds items up to the API's limit and selects the first", () => {
    expect(keys(three)).toEqual(["a", "b", "c"]);
    expect(three.selected).toBe("a");
    const many = composerReducer(three, { type: "add", drafts: Array.from({ length: 30 }, (_, i) => draft(`x${i}`)) });
    expect(many.drafts).toHaveLength(MAX_ITEMS);
  });

  it("moves an item to a place, clamped to the list", () => {
    expect(keys(composerReducer(three, { type: "move", key: "a", to: 2 }))).toEqual(["b", "c", "a"]);
    expect(keys(composerReducer(three, { type: "move", key: "c", to: 0 }))).toEqual(["c", "a", "b"]);
    expect(keys(composerReducer(three, { type: "move", key: "b", to: 9 }))).toEqual(["a", "c", "b"]);
    expect(composerReducer(three, { type: "move", key: "a", to: -1 })).toBe(three);
  });

  it("selects the neighbour of a removed selected item", () => {
    const state = composerReducer(three, { type: "select", key: "c" });
    expect(composerReducer(state, { type: "remove", key: "c" }).selected).toBe("b");
    expect(composerReducer(three, { type: "remove", key: "a" }).selected).toBe("b");
    expect(composerReducer(three, { type: "remove", key: "b" }).selected).toBe("a");
  });
});

describe("editing an item", () => {
  it("keeps its rotation and adjustments with its crop and filter when it moves", () => {
    const three = composerReducer(EMPTY, { type: "add", drafts: [draft("a"), draft("b"), draft("c")] });
    const edited = composerReducer(three, {
      type: "edit",
      key: "b",
      changes: { rotation: 90, view: { zoom: 2, x: 0.3, y: 0.5 }, adjustments: { ...NO_EDITS.adjustments, fade: 20 } },
    });
    const moved = composerReducer(edited, { type: "move", key: "b", to: 0 });
    expect(moved.drafts[0]).toMatchObject({
      key: "b",
      crop: "original",
      rotation: 90,
      view: { zoom: 2, x: 0.3, y: 0.5 },
      adjustments: { fade: 20, brightness: 0 },
    });
    expect(moved.drafts[1]).toMatchObject({ key: "a", rotation: 0, view: NO_EDITS.view });
  });
});

describe("kindOf", () => {
  it("tells photos and videos by type, or by extension when the browser gives none", () => {
    expect(kindOf(new File([""], "a.mov", { type: "video/quicktime" }))).toBe("video");
    expect(kindOf(new File([""], "a.heic"))).toBe("photo");
    expect(kindOf(new File([""], "a.pdf", { type: "application/pdf" }))).toBeNull();
  });
});

describe("createLimiter", () => {
  it("runs at most `limit` tasks at once, in order", async () => {
    const run = createLimiter(2);
    let active = 0;
    let peak = 0;
    const order: number[] = [];
    const task = (n: number) => async () => {
      active += 1;
      peak = Math.max(peak, active);
      await new Promise((resolve) => setTimeout(resolve, 5));
      order.push(n);
      active -= 1;
      return n;
    };
    const results = await Promise.all([1, 2, 3, 4, 5].map((n) => run(task(n))));
    expect(results).toEqual([1, 2, 3, 4, 5]);
    expect(peak).toBe(2);
    expect(order.slice(0, 2).sort()).toEqual([1, 2]);
  });
});
