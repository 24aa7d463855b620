import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { useLocation } from "react-router-dom";
import { afterEach, describe, expect, it, vi } from "vitest";
import { collection, post } from "../discovery/fixtures";
import { answerFetch, renderApp } from "../test/render";
import { Collection } from "./Collection";

afterEach(() => vi.unstubAllGlobals());

function Where() {
  const location = useLocation();
  return <output data-testid="where">{location.pathname + location.search}</output>;
}

function answerCollection(extra: Parameters<typeof answerFetch>[0] = {}) {
  return answerFetch({
    "GET /api/viewfinder/v1/collections/c1": { body: collection("c1", "Travel", 1) },
    "GET /api/viewfinder/v1/collections/c1/posts": { body: { items: [post("p1")], next_cursor: null } },
    ...extra,
  });
}

function renderCollection() {
  return renderApp(
    <>
      <Collection />
      <Where />
    </>,
    // The optional parameter keeps the probe rendered after leaving for /saved.
    { path: "/saved/c1", route: "/saved/:collectionId?" },
  );
}

describe("Collection", () => {
  it("shows its name and posts, and renames it from the options menu", async () => {
    answerCollection({
      "PATCH /api/viewfinder/v1/collections/c1": async (request) => {
        const { name } = (await request.json()) as { name: string };
        return { body: collection("c1", name, 1) };
      },
    });
    renderCollection();
    expect(await screen.findByRole("heading", { level: 1, name: "Travel" })).toBeInTheDocument();
    expect(await screen.findByRole("link", { name: /Post by alice/ })).toHaveAttribute("href", "/p/p1");

    await userEvent.click(screen.getByRole("button", { name: "Collection options" }));
    await userEvent.click(screen.getByRole("menuitem", { name: "Rename" }));
    const dialog = screen.getByRole("dialog", { name: "Rename collection" });
    const name = within(dialog).getByRole("textbox", { name: "Name" });
    expect(name).toHaveValue("Travel");
    await userEvent.clear(name);
    await userEvent.type(name, "Trips");
    await userEvent.click(within(dialog).getByRole("button", { name: "Save" }));
    expect(await screen.findByRole("heading", { level: 1, name: "Trips" })).toBeInTheDocument();
    expect(screen.queryByRole("dialog")).not.toBeInTheDocument();
  });

  it("asks before deleting, then goes back to the collections", async () => {
    const seen = answerCollection({ "DELETE /api/viewfinder/v1/collections/c1": { status: 204 } });
    renderCollection();
    await userEvent.click(await screen.findByRole("button", { name: "Collection options" }));
    await userEvent.click(screen.getByRole("menuitem", { name: "Delete collection" }));
    const dialog = screen.getByRole("dialog", { name: "Delete collection?" });
    expect(dialog).toHaveTextContent("Its posts stay in your saved posts.");
    expect(seen.some((request) => request.method === "DELETE")).toBe(false);
    await userEvent.click(within(dialog).getByRole("button", { name: "Delete" }));
    await waitFor(() => expect(screen.getByTestId("where")).toHaveTextContent("/saved?tab=collections"));
  });

  it("shows the error when deleting fails", async () => {
    answerCollection({
      "DELETE /api/viewfinder/v1/collections/c1": {
        status: 503,
        body: { error: { code: "unavailable", message: "Try again soon.", fields: {} } },
      },
    });
    renderCollection();
    await userEvent.click(await screen.findByRole("button", { name: "Collection options" }));
    await userEvent.click(screen.getByRole("menuitem", { name: "Delete collection" }));
    await userEvent.click(screen.getByRole("button", { name: "Delete" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("Try again soon.");
  });

  it("says when the collection does not exist, as every missing page does", async () => {
    answerFetch({});
    renderCollection();
    expect(await screen.findByRole("heading", { level: 1, name: "Sorry, this page isn't available." })).toBeInTheDocument();
  });

  it("goes back to the collections from its back bar when opened afresh", async () => {
    answerCollection();
    renderCollection();
    await userEvent.click(await screen.findByRole("button", { name: "Back" }));
    expect(screen.getByTestId("where")).toHaveTextContent("/saved?tab=collections");
  });
});
