import { act, configure, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { Link, useLocation } from "react-router-dom";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { answerFetch, renderApp } from "../test/render";
import { Composer } from "./Composer";
import { FakeXHR, mediaItem, photo, stubBrowser } from "./testing";

const API = "/api/viewfinder/v1";
// Uploads settle through several promise hops; leave room on a busy machine.
configure({ asyncUtilTimeout: 4000 });

function Where() {
  return <p data-testid="where">{useLocation().pathname}</p>;
}

function post(id: string) {
  return { id, items: [], caption: "", author: { username: "me" } };
}

async function setup(files: File[], routes: Parameters<typeof answerFetch>[0] = {}) {
  const seen = answerFetch({
    "GET /api/viewfinder/v1/accounts/me": { status: 401, body: { error: { code: "unauthorized", message: "No." } } },
    "POST /api/viewfinder/v1/posts": { status: 201, body: post("77") },
    ...routes,
  });
  const user = userEvent.setup();
  renderApp(
    <>
      <Composer />
      <Where />
    </>,
    { path: "/create" },
  );
  await user.upload(screen.getByLabelText("Add photos and videos"), files);
  return { user, seen };
}

async function uploads(count: number): Promise<FakeXHR[]> {
  await waitFor(() => expect(FakeXHR.sent).toHaveLength(count));
  return FakeXHR.sent;
}

function share() {
  return screen.getByRole("button", { name: "Share" });
}

beforeEach(stubBrowser);
afterEach(() => vi.unstubAllGlobals());

describe("Composer", () => {
  it("starts with a drop zone and its file input", () => {
    answerFetch({});
    renderApp(<Composer />, { path: "/create" });
    expect(screen.getByRole("heading", { level: 1, name: "New post" })).toBeInTheDocument();
    expect(screen.getByText("Drag photos and videos here")).toBeInTheDocument();
    expect(screen.getByLabelText("Add photos and videos")).toHaveAttribute("accept", "image/*,video/*");
    expect(share()).toBeDisabled();
  });

  it("moves and removes items with the keyboard-usable buttons", async () => {
    const { user } = await setup([photo("a.jpg"), photo("b.jpg"), photo("c.jpg")]);
    await user.type(screen.getByLabelText("Alt text for item 1"), "first");
    await user.type(screen.getByLabelText("Alt text for item 3"), "third");

    await user.click(screen.getByRole("button", { name: "Move item 1 later" }));
    expect(screen.getByLabelText("Alt text for item 1")).toHaveValue("");
    expect(screen.getByLabelText("Alt text for item 2")).toHaveValue("first");
    // Focus stays on the moved item's button, which now speaks of its new place.
    expect(screen.getByRole("button", { name: "Move item 2 later" })).toHaveFocus();

    await user.click(screen.getByRole("button", { name: "Move item 3 earlier" }));
    expect(screen.getByLabelText("Alt text for item 2")).toHaveValue("third");
    expect(screen.getByLabelText("Alt text for item 3")).toHaveValue("first");

    await user.click(screen.getByRole("button", { name: "Move item 1 earlier" }));
    expect(screen.getByLabelText("Alt text for item 1")).toHaveValue("");

    await user.click(screen.getByRole("button", { name: "Remove item 2" }));
    expect(screen.queryByLabelText("Alt text for item 3")).not.toBeInTheDocument();
    expect(screen.getByLabelText("Alt text for item 2")).toHaveValue("first");
    expect(URL.revokeObjectURL).toHaveBeenCalledWith("blob:test/3");
  });

  it("edits the selected photo's crop and filter", async () => {
    const { user } = await setup([photo("a.jpg"), photo("b.jpg")]);
    expect(screen.getByRole("group", { name: "Crop" })).toBeInTheDocument();
    expect(screen.getByRole("radio", { name: "Original" })).toBeChecked();
    await user.click(screen.getByRole("radio", { name: "Clarendon" }));
    expect(screen.getByRole("radio", { name: "Clarendon" })).toBeChecked();

    await user.click(screen.getByRole("button", { name: "Edit item 2" }));
    expect(screen.getByRole("button", { name: "Edit item 2" })).toHaveAttribute("aria-pressed", "true");
    expect(screen.getByRole("radio", { name: "Normal" })).toBeChecked();
    await user.click(screen.getByRole("radio", { name: "Moon" }));
    await user.click(share());
    const [first, second] = await uploads(2);
    expect(first!.field("filter")).toBe("clarendon");
    expect(second!.field("filter")).toBe("moon");
    expect(first!.field("crop")).toBeNull();
  });

  it("uploads with progress, three at a time, then creates the post in order and opens it", async () => {
    const files = ["a.jpg", "b.jpg", "c.jpg", "d.jpg"].map(photo);
    const { user, seen } = await setup(files);
    await user.type(screen.getByLabelText("Alt text for item 1"), "A red door");
    await user.type(screen.getByLabelText("Caption"), "Doors");
    await user.click(share());

    const sent = await uploads(3);
    expect(sent[0]!.url).toBe(`${API}/media`);
    expect(sent[0]!.withCredentials).toBe(true);
    expect((sent[0]!.field("file") as File).name).toBe("a.jpg");
    act(() => sent[0]!.progress(40, 100));
    expect(screen.getByRole("progressbar", { name: "Uploading item 1" })).toHaveValue(40);
    expect(share()).toBeDisabled();

    act(() => sent[1]!.respond(202, mediaItem("11")));
    await uploads(4);
    act(() => sent[0]!.respond(202, mediaItem("10")));
    act(() => sent[2]!.respond(202, mediaItem("12")));
    act(() => sent[3]!.respond(202, mediaItem("13")));

    await waitFor(() => expect(screen.getByTestId("where")).toHaveTextContent("/p/77"));
    const create = seen.find((request) => request.method === "POST" && request.url.endsWith("/posts"));
    expect(await create!.json()).toMatchObject({
      caption: "Doors",
      items: [
        { media_id: "10", alt_text: "A red door" },
        { media_id: "11", alt_text: "" },
        { media_id: "12", alt_text: "" },
        { media_id: "13", alt_text: "" },
      ],
    });
  });

  it("shows an upload the API refused on its item and blocks sharing until it is removed", async () => {
    const { user, seen } = await setup([photo("a.jpg"), photo("notes.jpg")]);
    await user.click(share());
    const [ok, refused] = await uploads(2);
    act(() => ok!.respond(202, mediaItem("10")));
    act(() =>
      refused!.respond(415, {
        error: { code: "unsupported_media_type", message: "This file is not a supported photo.", fields: {} },
      }),
    );

    expect(await screen.findByText("This file is not a supported photo.")).toBeInTheDocument();
    expect(screen.getByText("Item 2")).toBeInTheDocument();
    expect(share()).toBeDisabled();
    expect(screen.getByText("Remove failed items to share.")).toBeInTheDocument();
    expect(seen.some((request) => request.url.endsWith("/posts"))).toBe(false);

    await user.click(screen.getByRole("button", { name: "Remove item 2" }));
    expect(screen.queryByText("This file is not a supported photo.")).not.toBeInTheDocument();
    await user.click(share());
    await waitFor(() => expect(screen.getByTestId("where")).toHaveTextContent("/p/77"));
    expect(FakeXHR.sent).toHaveLength(2);
  });

  it("shows a processing failure with the API's reason", async () => {
    const { user } = await setup([photo("a.jpg")], {
      "GET /api/viewfinder/v1/media/10": {
        body: mediaItem("10", "failed", { code: "corrupt_media", message: "The photo could not be read." }),
      },
    });
    await user.click(share());
    const [upload] = await uploads(1);
    act(() => upload!.respond(202, mediaItem("10", "uploaded")));
    expect(await screen.findByText("Processing…", { selector: ".composer-tile-status" })).toBeInTheDocument();
    expect(await screen.findByText("The photo could not be read.")).toBeInTheDocument();
    expect(share()).toBeDisabled();
  });

  it("deletes a removed item's upload on the server, so no orphan file stays", async () => {
    const { user, seen } = await setup([photo("a.jpg")], {
      "GET /api/viewfinder/v1/media/10": {
        body: mediaItem("10", "failed", { code: "corrupt_media", message: "The photo could not be read." }),
      },
      "DELETE /api/viewfinder/v1/media/10": { status: 204 },
    });
    await user.click(share());
    const [upload] = await uploads(1);
    act(() => upload!.respond(202, mediaItem("10", "uploaded")));
    await screen.findByText("The photo could not be read.");
    await user.click(screen.getByRole("button", { name: "Remove item 1" }));
    await waitFor(() =>
      expect(seen.some((r) => r.method === "DELETE" && r.url.endsWith("/api/viewfinder/v1/media/10"))).toBe(true),
    );
  });

  it("offers to retry an upload cut off by going offline, keeping everything else", async () => {
    const { user, seen } = await setup([photo("a.jpg"), photo("b.jpg")]);
    await user.type(screen.getByLabelText("Caption"), "Kept");
    await user.click(share());
    const [first, second] = await uploads(2);
    act(() => first!.respond(202, mediaItem("10")));
    act(() => second!.fail());

    expect(await screen.findByText("Upload failed — you're offline")).toBeInTheDocument();
    await user.click(screen.getByRole("button", { name: "Retry item 2" }));
    const again = (await uploads(3))[2]!;
    expect((again.field("file") as File).name).toBe("b.jpg");
    act(() => again.respond(202, mediaItem("11")));

    await waitFor(() => expect(screen.getByTestId("where")).toHaveTextContent("/p/77"));
    const create = seen.find((request) => request.url.endsWith("/posts"));
    expect(await create!.json()).toMatchObject({ caption: "Kept", items: [{ media_id: "10" }, { media_id: "11" }] });
  });

  it("stops uploads when the browser goes offline", async () => {
    const { user } = await setup([photo("a.jpg")]);
    await user.click(share());
    const [upload] = await uploads(1);
    act(() => {
      window.dispatchEvent(new Event("offline"));
    });
    expect(upload!.aborted).toBe(true);
    expect(await screen.findByRole("button", { name: "Retry item 1" })).toBeInTheDocument();
    // React Query follows the same events: tell it the connection is back for the next tests.
    act(() => {
      window.dispatchEvent(new Event("online"));
    });
  });

  it("shows the API's caption error beside the caption, and keeps the uploaded items", async () => {
    let attempts = 0;
    const { user } = await setup([photo("a.jpg")], {
      "POST /api/viewfinder/v1/posts": () => {
        attempts += 1;
        return attempts === 1
          ? {
              status: 400,
              body: {
                error: {
                  code: "validation_error",
                  message: "The request is not valid.",
                  fields: { caption: "Mention at most 20 accounts." },
                },
              },
            }
          : { status: 201, body: post("78") };
      },
    });
    await user.click(share());
    const [upload] = await uploads(1);
    act(() => upload!.respond(202, mediaItem("10")));
    const error = await screen.findByText("Mention at most 20 accounts.");
    expect(screen.getByLabelText("Caption")).toHaveAccessibleDescription(expect.stringContaining(error.textContent!));
    expect(screen.queryByText("The request is not valid.")).not.toBeInTheDocument();

    await user.click(share());
    await waitFor(() => expect(screen.getByTestId("where")).toHaveTextContent("/p/78"));
    expect(FakeXHR.sent).toHaveLength(1);
  });

  it("shows an alt text's error beside that item's alt text", async () => {
    const { user } = await setup([photo("a.jpg"), photo("b.jpg")], {
      "POST /api/viewfinder/v1/posts": {
        status: 400,
        body: { error: { code: "validation_error", message: "Not valid.", fields: { "items[1].alt_text": "Too long." } } },
      },
    });
    await user.click(share());
    const [first, second] = await uploads(2);
    act(() => first!.respond(202, mediaItem("10")));
    act(() => second!.respond(202, mediaItem("11")));
    await screen.findByText("Too long.");
    expect(screen.getByLabelText("Alt text for item 2")).toHaveAccessibleDescription("Too long.");
    expect(screen.getByLabelText("Alt text for item 2")).toHaveAttribute("aria-invalid", "true");
    expect(screen.queryByText("Not valid.")).not.toBeInTheDocument();
  });

  it("refuses a caption over the limit before uploading anything", async () => {
    const { user } = await setup([photo("a.jpg")]);
    const caption = screen.getByLabelText("Caption");
    await user.click(caption);
    await user.paste("x".repeat(2201));
    expect(screen.getByText("2,201/2,200")).toBeInTheDocument();
    await user.click(share());
    expect(await screen.findByText("A caption can be at most 2,200 characters.")).toBeInTheDocument();
    expect(FakeXHR.sent).toHaveLength(0);
  });

  it("leaves out files that are not photos or videos", async () => {
    answerFetch({});
    const user = userEvent.setup({ applyAccept: false });
    renderApp(<Composer />, { path: "/create" });
    await user.upload(screen.getByLabelText("Add photos and videos"), [
      photo("a.jpg"),
      new File(["%PDF"], "doc.pdf", { type: "application/pdf" }),
    ]);
    expect(screen.getByText("One file is not a photo or video.")).toBeInTheDocument();
    const items = within(screen.getByRole("list", { name: "Items in this post" }));
    expect(items.getAllByRole("button", { name: /^Edit item/ })).toHaveLength(1);
  });
});

describe("leaving the composer", () => {
  function renderWithLink() {
    answerFetch({});
    const user = userEvent.setup();
    renderApp(
      <>
        <Composer />
        <Link to="/explore">Elsewhere</Link>
        <Where />
      </>,
      { path: "/create" },
    );
    return user;
  }

  it("asks 'Discard post?' when something is in it, and stays on Cancel", async () => {
    const user = renderWithLink();
    await user.upload(screen.getByLabelText("Add photos and videos"), [photo("a.jpg")]);
    await user.click(screen.getByRole("link", { name: "Elsewhere" }));
    const question = await screen.findByRole("dialog", { name: "Discard post?" });
    await user.click(within(question).getByRole("button", { name: "Cancel" }));
    expect(screen.getByTestId("where")).toHaveTextContent("/create");
    expect(screen.getByLabelText("Alt text for item 1")).toBeInTheDocument();

    await user.click(screen.getByRole("link", { name: "Elsewhere" }));
    await user.click(within(await screen.findByRole("dialog", { name: "Discard post?" })).getByRole("button", { name: "Discard" }));
    await waitFor(() => expect(screen.getByTestId("where")).toHaveTextContent("/explore"));
  });

  it("lets an empty composer go without a question", async () => {
    const user = renderWithLink();
    await user.click(screen.getByRole("link", { name: "Elsewhere" }));
    await waitFor(() => expect(screen.getByTestId("where")).toHaveTextContent("/explore"));
    expect(screen.queryByRole("dialog")).not.toBeInTheDocument();
  });
});
