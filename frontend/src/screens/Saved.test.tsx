import { screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";
import { collection, post } from "../discovery/fixtures";
import { answerFetch, renderApp } from "../test/render";
import { Saved } from "./Saved";

afterEach(() => vi.unstubAllGlobals());

const EMPTY_PAGE = { items: [], next_cursor: null };

describe("Saved", () => {
  it("shows saved posts as a grid", async () => {
    answerFetch({ "GET /api/viewfinder/v1/saved": { body: { items: [post("p1"), post("p2")], next_cursor: null } } });
    renderApp(<Saved />, { path: "/saved" });
    expect(screen.getByRole("heading", { level: 1, name: "Saved" })).toBeInTheDocument();
    expect(screen.getByRole("tab", { name: "All posts" })).toHaveAttribute("aria-selected", "true");
    const grid = await screen.findByRole("list", { name: "Saved posts" });
    expect(within(grid).getAllByRole("link")).toHaveLength(2);
  });

  it("shows the API's field error for an empty name, then creates the collection", async () => {
    let collections = [collection("c1", "Travel", 4)];
    const posted: unknown[] = [];
    answerFetch({
      "GET /api/viewfinder/v1/saved": { body: EMPTY_PAGE },
      "GET /api/viewfinder/v1/collections": () => ({ body: { items: collections, next_cursor: null } }),
      "POST /api/viewfinder/v1/collections": async (request) => {
        const body = (await request.json()) as { name: string };
        posted.push(body);
        if (!body.name.trim()) {
          return {
            status: 400,
            body: { error: { code: "validation_error", message: "Check the form.", fields: { name: "Give the collection a name." } } },
          };
        }
        const created = collection("c2", body.name);
        collections = [created, ...collections];
        return { status: 201, body: created };
      },
    });
    renderApp(<Saved />, { path: "/saved" });

    await userEvent.click(screen.getByRole("button", { name: "New collection" }));
    const dialog = screen.getByRole("dialog", { name: "New collection" });
    await userEvent.click(within(dialog).getByRole("button", { name: "Create" }));
    const name = within(dialog).getByRole("textbox", { name: "Name" });
    expect(await within(dialog).findByText("Give the collection a name.")).toBeInTheDocument();
    expect(name).toHaveAttribute("aria-invalid", "true");
    expect(name).toHaveAccessibleDescription("Give the collection a name.");

    await userEvent.type(name, "Food");
    await userEvent.click(within(dialog).getByRole("button", { name: "Create" }));
    expect(posted).toEqual([{ name: "" }, { name: "Food" }]);
    expect(await screen.findByRole("link", { name: /Food/ })).toHaveAttribute("href", "/saved/c2");
    expect(screen.getByRole("link", { name: /Travel 4 posts/ })).toHaveAttribute("href", "/saved/c1");
    expect(screen.getByRole("tab", { name: "Collections" })).toHaveAttribute("aria-selected", "true");
    expect(screen.queryByRole("dialog")).not.toBeInTheDocument();
  });

  it("explains a taken name next to the field", async () => {
    answerFetch({
      "GET /api/viewfinder/v1/collections": { body: EMPTY_PAGE },
      "POST /api/viewfinder/v1/collections": {
        status: 409,
        body: { error: { code: "collection_exists", message: "You already have a collection by that name.", fields: { name: "taken" } } },
      },
    });
    renderApp(<Saved />, { path: "/saved?tab=collections" });
    expect(await screen.findByRole("heading", { name: "No collections yet" })).toBeInTheDocument();
    await userEvent.click(screen.getByRole("button", { name: "Create a collection" }));
    await userEvent.type(screen.getByRole("textbox", { name: "Name" }), "Travel{Enter}");
    expect(await screen.findByText("You already have a collection by that name.")).toBeInTheDocument();
  });
});
