import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";
import { featured } from "../community/testData";
import { answerFetch, renderApp } from "../test/render";
import { Featured } from "./Featured";
import { API, staffMe } from "./testData";

afterEach(() => vi.unstubAllGlobals());

const writes = (seen: Request[]) => seen.filter((request) => request.method !== "GET");

describe("featured accounts", () => {
  it("features an account by username with a note, and it shows in the list", async () => {
    const items = [featured("ola")];
    const seen = answerFetch({
      [`GET ${API}/accounts/me`]: { body: staffMe("community_manager") },
      [`GET ${API}/staff/featured`]: () => ({ body: { items: [...items] } }),
      [`PUT ${API}/staff/featured/kim`]: async (request) => {
        const body = (await request.clone().json()) as { note: string };
        const made = featured("kim", { note: body.note });
        items.unshift(made);
        return { body: made };
      },
    });
    renderApp(<Featured />, { path: "/staff/featured" });
    const list = await screen.findByRole("list", { name: "Featured accounts" });
    expect(await within(list).findByText("Great photos by ola")).toBeInTheDocument();
    const form = screen.getByRole("form", { name: "Feature an account" });
    const user = userEvent.setup();
    await user.type(within(form).getByLabelText("Username"), "@kim");
    await user.type(within(form).getByLabelText(/^Note/), "Street photography from Lagos");
    await user.click(within(form).getByRole("button", { name: "Feature account" }));
    await waitFor(() => expect(writes(seen)).toHaveLength(1));
    expect(await writes(seen)[0]?.json()).toEqual({ note: "Street photography from Lagos" });
    expect(await screen.findByRole("status")).toHaveTextContent("@kim is featured.");
    const row = await within(list).findByRole("listitem", { name: "@kim" });
    expect(within(row).getByText("Street photography from Lagos")).toBeInTheDocument();
  });

  it("says next to the username why an account cannot be featured", async () => {
    answerFetch({
      [`GET ${API}/accounts/me`]: { body: staffMe("admin") },
      [`GET ${API}/staff/featured`]: { body: { items: [] } },
      [`PUT ${API}/staff/featured/spammer`]: {
        status: 409,
        body: { error: { code: "not_featurable", message: "This account is limited and cannot be featured.", fields: {} } },
      },
    });
    renderApp(<Featured />, { path: "/staff/featured" });
    const form = await screen.findByRole("form", { name: "Feature an account" });
    const user = userEvent.setup();
    await user.type(within(form).getByLabelText("Username"), "spammer");
    await user.click(within(form).getByRole("button", { name: "Feature account" }));
    const username = within(form).getByLabelText("Username");
    await waitFor(() => expect(username).toHaveAttribute("aria-invalid", "true"));
    expect(username).toHaveAccessibleDescription("This account is limited and cannot be featured.");
    expect(within(form).getAllByRole("alert")).toHaveLength(1);
  });

  it("edits a note and removes an account only after confirming", async () => {
    const item = featured("ola", { featurable: false });
    const seen = answerFetch({
      [`GET ${API}/accounts/me`]: { body: staffMe("community_manager") },
      [`GET ${API}/staff/featured`]: { body: { items: [item] } },
      [`PUT ${API}/staff/featured/ola`]: { body: { ...item, note: "Film and light" } },
      [`DELETE ${API}/staff/featured/ola`]: { status: 204 },
    });
    renderApp(<Featured />, { path: "/staff/featured" });
    const user = userEvent.setup();
    expect(await screen.findByText(/^Not shown on Explore:/)).toBeInTheDocument();
    await user.click(await screen.findByRole("button", { name: "Edit note for @ola" }));
    const note = screen.getByLabelText("Note for @ola", { selector: "input" });
    expect(note).toHaveFocus();
    await user.clear(note);
    await user.type(note, "Film and light{Enter}");
    await waitFor(() => expect(writes(seen)).toHaveLength(1));
    expect(await writes(seen)[0]?.json()).toEqual({ note: "Film and light" });
    await waitFor(() => expect(screen.getByRole("button", { name: "Edit note for @ola" })).toHaveFocus());

    await user.click(screen.getByRole("button", { name: "Remove @ola" }));
    const confirm = await screen.findByRole("dialog", { name: "Stop featuring?" });
    expect(writes(seen)).toHaveLength(1);
    await user.click(within(confirm).getByRole("button", { name: "Remove from featured" }));
    await waitFor(() => expect(writes(seen)).toHaveLength(2));
    expect(writes(seen)[1]?.method).toBe("DELETE");
  });
});
