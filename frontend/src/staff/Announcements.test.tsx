import { fireEvent, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";
import { announcement } from "../community/testData";
import { answerFetch, renderApp } from "../test/render";
import { Announcements } from "./Announcements";
import { API, staffMe } from "./testData";

afterEach(() => vi.unstubAllGlobals());

const writes = (seen: Request[]) => seen.filter((request) => request.method !== "GET");

describe("announcements", () => {
  it("creates a published announcement with a window, and it shows in the list", async () => {
    const items = [announcement("1", { text: "Old draft", published: false })];
    const seen = answerFetch({
      [`GET ${API}/accounts/me`]: { body: staffMe("community_manager") },
      [`GET ${API}/staff/announcements`]: () => ({ body: { items: [...items], next_cursor: null } }),
      [`POST ${API}/staff/announcements`]: async (request) => {
        const body = (await request.clone().json()) as { text: string; ends_at: string | null; published: boolean };
        const created = announcement("2", { text: body.text, ends_at: body.ends_at, published: body.published });
        items.unshift(created);
        return { status: 201, body: created };
      },
    });
    renderApp(<Announcements />, { path: "/staff/announcements" });
    const list = await screen.findByRole("list", { name: "Announcements" });
    expect(await within(list).findByText("Old draft")).toBeInTheDocument();
    expect(within(list).getByText("Draft")).toBeInTheDocument();

    const form = screen.getByRole("form", { name: "New announcement" });
    const user = userEvent.setup();
    await user.type(within(form).getByLabelText("Text"), "Photo walk on Saturday: https://walk.example/info");
    fireEvent.change(within(form).getByLabelText("Ends (optional)"), { target: { value: "2030-01-02T18:30" } });
    await user.click(within(form).getByLabelText(/Publish now/));
    await user.click(within(form).getByRole("button", { name: "Publish announcement" }));

    await waitFor(() => expect(writes(seen)).toHaveLength(1));
    expect(await writes(seen)[0]?.json()).toEqual({
      text: "Photo walk on Saturday: https://walk.example/info",
      starts_at: null,
      ends_at: new Date("2030-01-02T18:30").toISOString(),
      published: true,
    });
    expect(await screen.findByRole("status")).toHaveTextContent("Announcement published.");
    const row = await within(list).findByRole("listitem", { name: /Photo walk on Saturday/ });
    expect(within(row).getByText("Active")).toBeInTheDocument();
    expect(within(row).getByText(/^Until /)).toBeInTheDocument();
    expect(within(row).getByRole("link", { name: "https://walk.example/info" })).toHaveAttribute("href", "https://walk.example/info");
    expect(within(form).getByLabelText("Text")).toHaveValue("");
  });

  it("shows the API's error next to its field", async () => {
    answerFetch({
      [`GET ${API}/accounts/me`]: { body: staffMe("admin") },
      [`GET ${API}/staff/announcements`]: { body: { items: [], next_cursor: null } },
      [`POST ${API}/staff/announcements`]: {
        status: 400,
        body: { error: { code: "validation_error", message: "Check the fields.", fields: { ends_at: "The end must be after the start." } } },
      },
    });
    renderApp(<Announcements />, { path: "/staff/announcements" });
    const form = await screen.findByRole("form", { name: "New announcement" });
    const user = userEvent.setup();
    await user.type(within(form).getByLabelText("Text"), "Maintenance tonight");
    fireEvent.change(within(form).getByLabelText("Starts (optional)"), { target: { value: "2030-01-02T18:30" } });
    fireEvent.change(within(form).getByLabelText("Ends (optional)"), { target: { value: "2030-01-01T18:30" } });
    await user.click(within(form).getByRole("button", { name: "Save draft" }));
    const ends = within(form).getByLabelText("Ends (optional)");
    await waitFor(() => expect(ends).toHaveAttribute("aria-invalid", "true"));
    expect(ends).toHaveAccessibleDescription("The end must be after the start.");
    expect(within(form).getByRole("alert")).toHaveTextContent("The end must be after the start.");
    expect(within(form).getByLabelText("Text")).toHaveValue("Maintenance tonight");
  });

  it("publishes, unpublishes, edits only what changed, and deletes only after confirming", async () => {
    const draft = announcement("5", { text: "Contest opens", published: false, ends_at: "2030-03-01T12:00:00Z" });
    const live = announcement("4", { text: "Welcome, everyone" });
    const seen = answerFetch({
      [`GET ${API}/accounts/me`]: { body: staffMe("community_manager") },
      [`GET ${API}/staff/announcements`]: { body: { items: [draft, live], next_cursor: null } },
      [`PATCH ${API}/staff/announcements/5`]: { body: { ...draft, published: true } },
      [`PATCH ${API}/staff/announcements/4`]: { body: live },
      [`DELETE ${API}/staff/announcements/4`]: { status: 204 },
    });
    renderApp(<Announcements />, { path: "/staff/announcements" });
    const user = userEvent.setup();
    await user.click(await screen.findByRole("button", { name: "Publish: Contest opens" }));
    await waitFor(() => expect(writes(seen)).toHaveLength(1));
    expect(await writes(seen)[0]?.json()).toEqual({ published: true });

    await user.click(screen.getByRole("button", { name: "Unpublish: Welcome, everyone" }));
    await waitFor(() => expect(writes(seen)).toHaveLength(2));
    expect(await writes(seen)[1]?.json()).toEqual({ published: false });

    await user.click(screen.getByRole("button", { name: "Edit: Welcome, everyone" }));
    const edit = screen.getByRole("form", { name: "Edit announcement" });
    const text = within(edit).getByLabelText("Text");
    expect(text).toHaveFocus();
    await user.clear(text);
    await user.type(text, "Welcome, all");
    await user.click(within(edit).getByRole("button", { name: "Save" }));
    await waitFor(() => expect(writes(seen)).toHaveLength(3));
    expect(await writes(seen)[2]?.json()).toEqual({ text: "Welcome, all" });
    await waitFor(() => expect(screen.queryByRole("form", { name: "Edit announcement" })).not.toBeInTheDocument());

    await user.click(screen.getByRole("button", { name: "Delete: Welcome, everyone" }));
    const confirm = await screen.findByRole("dialog", { name: "Delete announcement?" });
    expect(writes(seen)).toHaveLength(3);
    await user.click(within(confirm).getByRole("button", { name: "Delete announcement" }));
    await waitFor(() => expect(writes(seen)).toHaveLength(4));
    expect(writes(seen)[3]?.method).toBe("DELETE");
    expect(new URL(writes(seen)[3]?.url ?? "").pathname).toBe(`${API}/staff/announcements/4`);
  });

  it("n moves to the new announcement's text", async () => {
    answerFetch({
      [`GET ${API}/accounts/me`]: { body: staffMe("community_manager") },
      [`GET ${API}/staff/announcements`]: { body: { items: [], next_cursor: null } },
    });
    renderApp(<Announcements />, { path: "/staff/announcements" });
    expect(await screen.findByText("No announcements yet.")).toBeInTheDocument();
    await userEvent.setup().keyboard("n");
    expect(screen.getByLabelText("Text")).toHaveFocus();
    expect(screen.getByLabelText("Text")).toHaveValue("");
  });
});
