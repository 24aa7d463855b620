/** The composer on a phone: full-screen steps (select → crop & adjust → details → share) with a
 * header's Back and Next, and the browser's Back button going back a step, or asking before the
 * draft is lost. */
import { act, configure, fireEvent, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { useLocation } from "react-router-dom";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { answerFetch, renderApp } from "../test/render";
import { Composer } from "./Composer";
import { FakeXHR, mediaItem, photo, stubBrowser } from "./testing";

configure({ asyncUtilTimeout: 4000 });

function Where() {
  return <p data-testid="where">{useLocation().pathname}</p>;
}

function screenWidth(phone: boolean) {
  vi.stubGlobal("matchMedia", (media: string) => ({
    media,
    matches: phone,
    addEventListener: () => undefined,
    removeEventListener: () => undefined,
  }));
}

function video(name: string): File {
  return new File(["video bytes"], name, { type: "video/mp4" });
}

async function open(files: File[]) {
  answerFetch({
    "GET /api/viewfinder/v1/accounts/me": { status: 401, body: { error: { code: "unauthorized", message: "No." } } },
    "POST /api/viewfinder/v1/posts": {
      status: 201,
      body: { id: "77", items: [], caption: "", author: { username: "me" } },
    },
  });
  const user = userEvent.setup();
  renderApp(
    <>
      <Composer />
      <Where />
    </>,
    { path: "/create" },
  );
  if (files.length > 0) await user.upload(screen.getByLabelText("Add photos and videos"), files);
  return user;
}

const button = (name: string) => screen.getByRole("button", { name });
/** The step on screen: a region named after it. */
function expectStep(name: string) {
  expect(screen.getByRole("region", { name })).toBeInTheDocument();
}

/** The browser's Back button (jsdom moves its history and fires popstate a moment later). */
async function browserBack() {
  await act(async () => {
    const popped = new Promise((resolve) => window.addEventListener("popstate", resolve, { once: true }));
    window.history.back();
    await popped;
  });
}

beforeEach(() => {
  stubBrowser();
  screenWidth(true);
});
afterEach(() => vi.unstubAllGlobals());

describe("the composer on a phone", () => {
  it("starts at picking, with Close and a disabled Next", async () => {
    await open([]);
    expect(screen.getByRole("heading", { level: 1, name: "New post" })).toBeInTheDocument();
    expect(button("Close")).toBeInTheDocument();
    expect(button("Next")).toBeDisabled();
    expect(screen.queryByRole("button", { name: "Share" })).not.toBeInTheDocument();
  });

  it("goes through select, crop & adjust and details with Next, and back with Back", async () => {
    const user = await open([photo("a.jpg"), photo("b.jpg")]);
    expectStep("Select");
    expect(screen.getByRole("list", { name: "Items in this post" })).toBeInTheDocument();
    expect(screen.queryByRole("radio", { name: "1:1" })).not.toBeInTheDocument();
    expect(screen.queryByLabelText("Caption")).not.toBeInTheDocument();

    await user.click(button("Next"));
    expectStep("Crop & adjust");
    expect(screen.getByRole("heading", { name: "Crop & adjust" })).toHaveFocus();
    expect(screen.getByText("step 2 of 3", { exact: false })).toBeInTheDocument();
    expect(screen.getByRole("group", { name: "Crop" })).toBeInTheDocument();
    expect(screen.getByRole("tab", { name: "Adjust" })).toBeInTheDocument();
    expect(screen.queryByRole("list", { name: "Items in this post" })).not.toBeInTheDocument();
    expect(screen.queryByLabelText("Caption")).not.toBeInTheDocument();
    // The other item is a tap away.
    await user.click(button("Edit next item"));
    expect(screen.getByText("Item 2 of 2")).toBeInTheDocument();
    expect(button("Edit next item")).toBeDisabled();

    await user.click(button("Next"));
    expectStep("Details");
    expect(screen.getByLabelText("Caption")).toBeInTheDocument();
    expect(screen.getByLabelText("Alt text for item 2")).toBeInTheDocument();
    expect(screen.queryByRole("button", { name: "Next" })).not.toBeInTheDocument();
    expect(button("Share")).toBeEnabled();

    await user.click(button("Back"));
    expectStep("Crop & adjust");
    await user.click(button("Back"));
    expectStep("Select");
    expect(button("Close")).toBeInTheDocument();
  });

  it("keeps what was written and chosen across the steps, and shares it", async () => {
    const user = await open([photo("a.jpg")]);
    await user.click(button("Next"));
    await user.click(screen.getByRole("button", { name: "Rotate" }));
    await user.click(screen.getByRole("tab", { name: "Adjust" }));
    fireEvent.change(screen.getByRole("slider", { name: "Fade" }), { target: { value: "30" } });
    await user.click(button("Next"));
    await user.type(screen.getByLabelText("Caption"), "Turned");
    await user.click(button("Back"));
    await user.click(screen.getByRole("tab", { name: "Adjust" }));
    expect(screen.getByRole("slider", { name: "Fade" })).toHaveValue("30");
    await user.click(button("Next"));
    expect(screen.getByLabelText("Caption")).toHaveValue("Turned");

    await user.click(button("Share"));
    await waitFor(() => expect(FakeXHR.sent).toHaveLength(1));
    expect(FakeXHR.sent[0]!.field("rotate")).toBe("90");
    expect(FakeXHR.sent[0]!.field("adjust")).toBe("fade=30");
    act(() => FakeXHR.sent[0]!.respond(202, mediaItem("10")));
    await waitFor(() => expect(screen.getByTestId("where")).toHaveTextContent("/p/77"));
  });

  it("skips crop & adjust when nothing takes it", async () => {
    const user = await open([video("clip.mp4")]);
    await user.click(button("Next"));
    expectStep("Details");
  });

  it("offers to remove a refused item where its tile is not shown", async () => {
    const user = await open([photo("a.jpg"), photo("notes.jpg")]);
    await user.click(button("Next"));
    await user.click(button("Next"));
    await user.click(button("Share"));
    await waitFor(() => expect(FakeXHR.sent).toHaveLength(2));
    act(() =>
      FakeXHR.sent[1]!.respond(415, {
        error: { code: "unsupported_media_type", message: "This file is not a supported photo.", fields: {} },
      }),
    );
    await user.click(await screen.findByRole("button", { name: "Remove item 2" }));
    expect(screen.queryByText("This file is not a supported photo.")).not.toBeInTheDocument();
    expect(screen.queryByLabelText("Alt text for item 2")).not.toBeInTheDocument();
  });

  it("goes back a step with the browser's Back button, then asks before losing the draft", async () => {
    const user = await open([photo("a.jpg")]);
    await user.click(button("Next"));
    await user.click(button("Next"));
    await browserBack();
    expectStep("Crop & adjust");
    await browserBack();
    expectStep("Select");
    expect(screen.queryByRole("dialog")).not.toBeInTheDocument();

    await browserBack();
    const question = await screen.findByRole("dialog", { name: "Discard post?" });
    await user.click(within(question).getByRole("button", { name: "Cancel" }));
    expect(screen.queryByRole("dialog")).not.toBeInTheDocument();
    expect(screen.getByRole("button", { name: "Edit item 1" })).toBeInTheDocument();
    expect(screen.getByTestId("where")).toHaveTextContent("/create");

    // Still guarded after staying.
    await browserBack();
    expect(await screen.findByRole("dialog", { name: "Discard post?" })).toBeInTheDocument();
  });

  it("asks before Close throws the draft away", async () => {
    const user = await open([photo("a.jpg")]);
    await user.click(button("Close"));
    const question = await screen.findByRole("dialog", { name: "Discard post?" });
    await user.click(within(question).getByRole("button", { name: "Discard" }));
    await waitFor(() => expect(screen.getByTestId("where")).toHaveTextContent(/^\/$/));
  });

  it("closes an empty composer without asking", async () => {
    const user = await open([]);
    await user.click(button("Close"));
    await waitFor(() => expect(screen.getByTestId("where")).toHaveTextContent(/^\/$/));
    expect(screen.queryByRole("dialog")).not.toBeInTheDocument();
  });
});

describe("the composer on a wide screen", () => {
  beforeEach(() => screenWidth(false));

  it("shows everything at once, with no steps", async () => {
    await open([photo("a.jpg")]);
    expect(screen.queryByRole("button", { name: "Next" })).not.toBeInTheDocument();
    expect(screen.queryByRole("button", { name: "Back" })).not.toBeInTheDocument();
    expect(screen.getByRole("group", { name: "Crop" })).toBeInTheDocument();
    expect(screen.getByLabelText("Caption")).toBeInTheDocument();
    expect(button("Share")).toBeEnabled();
  });

  it("asks 'Discard post?' on the browser's Back button; Cancel keeps the draft", async () => {
    const user = await open([photo("a.jpg")]);
    await user.type(screen.getByLabelText("Caption"), "Kept");
    await browserBack();
    const question = await screen.findByRole("dialog", { name: "Discard post?" });
    await user.click(within(question).getByRole("button", { name: "Cancel" }));
    expect(screen.getByLabelText("Caption")).toHaveValue("Kept");
    expect(screen.getByLabelText("Alt text for item 1")).toBeInTheDocument();

    await browserBack();
    const again = await screen.findByRole("dialog", { name: "Discard post?" });
    await user.click(within(again).getByRole("button", { name: "Discard" }));
    // The test's router does not follow the browser's history: with nowhere else to go, home.
    await waitFor(() => expect(screen.getByTestId("where")).toHaveTextContent(/^\/$/));
  });

  it("lets the Back button go when nothing was picked", async () => {
    await open([]);
    await browserBack();
    expect(screen.queryByRole("dialog")).not.toBeInTheDocument();
  });
});
