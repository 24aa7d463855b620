/** Framing a photo by hand (drag, pinch, wheel, keys, rotate) and adjusting it: what the upload
 * request's `crop`, `rotate` and `adjust` fields say. */
import { act, configure, fireEvent, screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { answerFetch, renderApp } from "../test/render";
import { Composer } from "./Composer";
import { FakeXHR, photo, stubBrowser } from "./testing";

configure({ asyncUtilTimeout: 4000 });

const FRAME_SIZE = 400;

/** The composer with one photo of this size, as the browser would have measured it. */
async function withPhoto(width: number, height: number) {
  answerFetch({
    "GET /api/viewfinder/v1/accounts/me": { status: 401, body: { error: { code: "unauthorized", message: "No." } } },
  });
  const user = userEvent.setup();
  renderApp(<Composer />, { path: "/create" });
  await user.upload(screen.getByLabelText("Add photos and videos"), [photo("a.jpg")]);
  const preview = screen.getByRole("img", { name: "Preview of item 1" });
  Object.defineProperties(preview, {
    naturalWidth: { value: width, configurable: true },
    naturalHeight: { value: height, configurable: true },
  });
  fireEvent.load(preview);
  return user;
}

/** The photo's frame, laid out as a FRAME_SIZE square at the page's top left (jsdom lays out nothing). */
function frame(): HTMLElement {
  const element = screen.getByRole("group", { name: "Crop of item 1" });
  vi.spyOn(element, "getBoundingClientRect").mockReturnValue({
    x: 0,
    y: 0,
    left: 0,
    top: 0,
    right: FRAME_SIZE,
    bottom: FRAME_SIZE,
    width: FRAME_SIZE,
    height: FRAME_SIZE,
    toJSON: () => ({}),
  });
  return element;
}

function drag(element: HTMLElement, from: [number, number], to: [number, number], pointerId = 1) {
  fireEvent.pointerDown(element, { pointerId, pointerType: "touch", clientX: from[0], clientY: from[1] });
  fireEvent.pointerMove(element, { pointerId, pointerType: "touch", clientX: to[0], clientY: to[1] });
  fireEvent.pointerUp(element, { pointerId, pointerType: "touch", clientX: to[0], clientY: to[1] });
}

/** Shares and returns the upload request's edit fields. */
async function sentFields(user: ReturnType<typeof userEvent.setup>) {
  await user.click(screen.getByRole("button", { name: "Share" }));
  await waitFor(() => expect(FakeXHR.sent).toHaveLength(1));
  const upload = FakeXHR.sent[0]!;
  return {
    filter: upload.field("filter"),
    crop: upload.field("crop"),
    rotate: upload.field("rotate"),
    adjust: upload.field("adjust"),
  };
}

beforeEach(stubBrowser);
afterEach(() => {
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
});

describe("framing a photo", () => {
  it("sends no crop, rotation or adjustments for an untouched photo", async () => {
    const user = await withPhoto(2000, 1000);
    expect(await sentFields(user)).toEqual({ filter: "normal", crop: null, rotate: null, adjust: null });
  });

  it("sends the centred crop of a chosen ratio", async () => {
    const user = await withPhoto(2000, 1000);
    await user.click(screen.getByRole("radio", { name: "1:1" }));
    expect((await sentFields(user)).crop).toBe("0.25,0,0.5,1");
  });

  it("moves the crop with a drag, stopping at the photo's edge", async () => {
    const user = await withPhoto(2000, 1000);
    await user.click(screen.getByRole("radio", { name: "1:1" }));
    // A quarter of the frame to the left: the frame moves an eighth of the photo to the right.
    drag(frame(), [200, 200], [100, 200]);
    drag(frame(), [200, 200], [200, 50]); // no room up or down
    expect((await sentFields(user)).crop).toBe("0.375,0,0.5,1");
  });

  it("never drags the photo off the frame", async () => {
    const user = await withPhoto(2000, 1000);
    await user.click(screen.getByRole("radio", { name: "1:1" }));
    drag(frame(), [300, 200], [-5000, 200]);
    expect((await sentFields(user)).crop).toBe("0.5,0,0.5,1");
  });

  it("zooms with the wheel or a trackpad pinch, about the pointer", async () => {
    const user = await withPhoto(1000, 1000);
    // A trackpad pinch: ctrlKey and a small delta; this one doubles the zoom about the centre.
    const zoomIn = new WheelEvent("wheel", {
      deltaY: -100 * Math.log(2),
      ctrlKey: true,
      clientX: 200,
      clientY: 200,
      bubbles: true,
      cancelable: true,
    });
    act(() => {
      frame().dispatchEvent(zoomIn);
    });
    expect(zoomIn.defaultPrevented).toBe(true); // the page does not scroll
    // A mouse wheel notch in at the top left corner zooms further, keeping that corner.
    fireEvent.wheel(frame(), { deltaY: -100, clientX: 0, clientY: 0 });
    const crop = (await sentFields(user)).crop as string;
    const [left, top, width, height] = crop.split(",").map(Number);
    expect(width).toBeLessThan(0.5);
    expect(width).toBe(height);
    expect(left).toBe(0.25);
    expect(top).toBe(0.25);
  });

  it("zooms with Safari's trackpad pinch (its gesture events)", async () => {
    const user = await withPhoto(1000, 1000);
    const pinch = (type: string, scale: number) => {
      const event = Object.assign(new Event(type, { cancelable: true }), { scale });
      act(() => {
        frame().dispatchEvent(event);
      });
      return event;
    };
    expect(pinch("gesturestart", 1).defaultPrevented).toBe(true);
    pinch("gesturechange", 1.5);
    expect(pinch("gesturechange", 2).defaultPrevented).toBe(true);
    expect((await sentFields(user)).crop).toBe("0.25,0.25,0.5,0.5");
  });

  it("zooms with two pointers spreading apart", async () => {
    const user = await withPhoto(1000, 1000);
    const element = frame();
    fireEvent.pointerDown(element, { pointerId: 1, pointerType: "touch", clientX: 150, clientY: 200 });
    fireEvent.pointerDown(element, { pointerId: 2, pointerType: "touch", clientX: 250, clientY: 200 });
    fireEvent.pointerMove(element, { pointerId: 2, pointerType: "touch", clientX: 350, clientY: 200 });
    fireEvent.pointerMove(element, { pointerId: 1, pointerType: "touch", clientX: 50, clientY: 200 });
    fireEvent.pointerUp(element, { pointerId: 1, pointerType: "touch" });
    fireEvent.pointerUp(element, { pointerId: 2, pointerType: "touch" });
    // The fingers went from 100 to 300 pixels apart about the centre: three times the zoom.
    expect((await sentFields(user)).crop).toBe("0.333333,0.333333,0.333333,0.333333");
  });

  it("frames with the keyboard too", async () => {
    const user = await withPhoto(1000, 1000);
    frame().focus();
    await user.keyboard("+");
    await user.keyboard("{ArrowRight}");
    // Zoomed 1.25×: a 0.8 box, moved 5% of the frame (0.04 of the photo) as the photo goes right.
    expect((await sentFields(user)).crop).toBe("0.06,0.1,0.8,0.8");
  });

  it("rotates a quarter clockwise per press, cropping the rotated photo", async () => {
    const user = await withPhoto(2000, 1000);
    await user.click(screen.getByRole("button", { name: "Rotate" }));
    await user.click(screen.getByRole("radio", { name: "4:5" }));
    // Turned, the photo is 1000×2000: a 4:5 frame takes its whole width.
    expect(await sentFields(user)).toMatchObject({ rotate: "90", crop: "0,0.1875,1,0.625" });
  });

  it("sends no rotation once turned all the way round", async () => {
    const user = await withPhoto(2000, 1000);
    for (let turn = 0; turn < 4; turn += 1) await user.click(screen.getByRole("button", { name: "Rotate" }));
    expect(await sentFields(user)).toMatchObject({ rotate: null, crop: null });
  });

  it("keeps the same spot in the frame when turning a zoomed photo", async () => {
    const user = await withPhoto(1000, 1000);
    frame().focus();
    for (let press = 0; press < 8; press += 1) await user.keyboard("+"); // as far as it goes: 4×
    for (let press = 0; press < 8; press += 1) await user.keyboard("{Shift>}{ArrowLeft}{/Shift}"); // to the right edge
    await user.click(screen.getByRole("button", { name: "Rotate" }));
    // The middle of the photo's right edge is the middle of its bottom edge once turned.
    expect(await sentFields(user)).toMatchObject({ rotate: "90", crop: "0.375,0.75,0.25,0.25" });
  });
});

describe("adjusting a photo", () => {
  async function openAdjust(user: ReturnType<typeof userEvent.setup>) {
    await user.click(screen.getByRole("tab", { name: "Adjust" }));
    expect(screen.getByRole("tab", { name: "Adjust" })).toHaveAttribute("aria-selected", "true");
  }

  it("offers Filter and Adjust as tabs, reachable with the arrow keys", async () => {
    const user = await withPhoto(1000, 1000);
    const filterTab = screen.getByRole("tab", { name: "Filter" });
    expect(filterTab).toHaveAttribute("aria-selected", "true");
    expect(screen.getByRole("radio", { name: "Clarendon" })).toBeInTheDocument();
    expect(screen.queryByRole("slider", { name: "Brightness" })).not.toBeInTheDocument();
    filterTab.focus();
    await user.keyboard("{ArrowRight}");
    expect(screen.getByRole("tab", { name: "Adjust" })).toHaveFocus();
    expect(screen.getByRole("tabpanel", { name: "Adjust" })).toBeInTheDocument();
    expect(screen.queryByRole("radio", { name: "Clarendon" })).not.toBeInTheDocument();
    for (const name of ["Brightness", "Contrast", "Saturation", "Warmth"]) {
      const slider = screen.getByRole("slider", { name });
      expect(slider).toHaveAttribute("min", "-100");
      expect(slider).toHaveAttribute("max", "100");
      expect(slider).toHaveValue("0");
    }
    expect(screen.getByRole("slider", { name: "Fade" })).toHaveAttribute("min", "0");
    expect(screen.getByRole("slider", { name: "Vignette" })).toHaveAttribute("max", "100");
  });

  it("sends the sliders' non-zero values with the filter, and shows them", async () => {
    const user = await withPhoto(1000, 1000);
    await user.click(screen.getByRole("radio", { name: "Clarendon" }));
    await openAdjust(user);
    fireEvent.change(screen.getByRole("slider", { name: "Brightness" }), { target: { value: "20" } });
    fireEvent.change(screen.getByRole("slider", { name: "Vignette" }), { target: { value: "35" } });
    fireEvent.change(screen.getByRole("slider", { name: "Warmth" }), { target: { value: "-10" } });
    expect(screen.getByText("+20")).toBeInTheDocument();
    expect(screen.getByText("−10")).toBeInTheDocument();
    expect(screen.getByRole("img", { name: "Preview of item 1" }).style.filter).toBe(
      "saturate(1.35) contrast(1.2) brightness(1.063)",
    );
    expect(await sentFields(user)).toMatchObject({
      filter: "clarendon",
      adjust: "brightness=20,warmth=-10,vignette=35",
    });
  });

  it("puts a slider back to 0 with its Reset button or a double-click, and then sends nothing", async () => {
    const user = await withPhoto(1000, 1000);
    await openAdjust(user);
    const contrast = screen.getByRole("slider", { name: "Contrast" });
    const fade = screen.getByRole("slider", { name: "Fade" });
    fireEvent.change(contrast, { target: { value: "-40" } });
    fireEvent.change(fade, { target: { value: "15" } });
    await user.click(screen.getByRole("button", { name: "Reset contrast" }));
    expect(contrast).toHaveValue("0");
    expect(contrast).toHaveFocus();
    expect(screen.queryByRole("button", { name: "Reset contrast" })).not.toBeInTheDocument();
    await user.dblClick(fade);
    expect(fade).toHaveValue("0");
    expect((await sentFields(user)).adjust).toBeNull();
  });

  it("keeps each photo's own adjustments and rotation", async () => {
    answerFetch({});
    const user = userEvent.setup();
    renderApp(<Composer />, { path: "/create" });
    await user.upload(screen.getByLabelText("Add photos and videos"), [photo("a.jpg"), photo("b.jpg")]);
    await user.click(screen.getByRole("tab", { name: "Adjust" }));
    fireEvent.change(screen.getByRole("slider", { name: "Saturation" }), { target: { value: "-100" } });
    await user.click(screen.getByRole("button", { name: "Rotate" }));
    await user.click(screen.getByRole("button", { name: "Edit item 2" }));
    expect(screen.getByRole("slider", { name: "Saturation" })).toHaveValue("0");
    await user.click(screen.getByRole("button", { name: "Edit item 1" }));
    expect(screen.getByRole("slider", { name: "Saturation" })).toHaveValue("-100");
    await user.click(screen.getByRole("button", { name: "Share" }));
    await waitFor(() => expect(FakeXHR.sent).toHaveLength(2));
    const [first, second] = FakeXHR.sent;
    expect([first!.field("adjust"), first!.field("rotate")]).toEqual(["saturation=-100", "90"]);
    expect([second!.field("adjust"), second!.field("rotate")]).toEqual([null, null]);
  });
});
