import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";
import { answerFetch, renderApp } from "../test/render";
import { Audit } from "./Audit";
import { Roles } from "./Roles";
import { API, staffMe } from "./testData";

afterEach(() => vi.unstubAllGlobals());

describe("roles", () => {
  it("lists staff and gives an account a role", async () => {
    const seen = answerFetch({
      [`GET ${API}/accounts/me`]: { body: staffMe("owner") },
      [`GET ${API}/staff/roles`]: { body: [{ id: "1", username: "mia", role: "owner", permissions: ["roles.assign"] }] },
      [`PUT ${API}/staff/roles/kim`]: { body: { id: "2", username: "kim", role: "moderator", permissions: [] } },
    });
    renderApp(<Roles />);
    expect(await screen.findByRole("cell", { name: "@mia" })).toBeInTheDocument();
    const form = screen.getByRole("form", { name: "Assign a role" });
    const user = userEvent.setup();
    await user.type(within(form).getByLabelText("Username"), "@kim");
    await user.selectOptions(within(form).getByLabelText("Role"), "moderator");
    await user.type(within(form).getByLabelText("Reason (for the audit log)"), "new team member");
    await user.click(within(form).getByRole("button", { name: "Assign role" }));
    expect(await screen.findByRole("status")).toHaveTextContent("@kim is now Moderator.");
    const put = seen.find((request) => request.method === "PUT");
    expect(await put?.json()).toEqual({ role: "moderator", reason: "new team member" });
  });
});

describe("the audit log", () => {
  it("filters by actor and action", async () => {
    const seen = answerFetch({
      [`GET ${API}/accounts/me`]: { body: staffMe("admin") },
      [`GET ${API}/staff/audit`]: {
        body: {
          items: [
            {
              id: "9",
              actor_id: "1",
              actor_username: "mia",
              action: "action.ban",
              target_kind: "user",
              target_id: "5",
              before: { banned: false },
              after: { banned: true },
              reason: "Spam ring",
              created_at: "2026-12-05T10:00:00Z",
            },
          ],
          next_cursor: null,
        },
      },
    });
    renderApp(<Audit />, { path: "/staff/audit" });
    expect(await screen.findByText("action.ban")).toBeInTheDocument();
    expect(screen.getByText("banned: false → true")).toBeInTheDocument();
    const form = screen.getByRole("form", { name: "Filter the audit log" });
    const user = userEvent.setup();
    await user.type(within(form).getByLabelText("Actor"), "mia");
    await user.type(within(form).getByLabelText("Action"), "action.ban");
    await user.click(within(form).getByRole("button", { name: "Filter" }));
    await waitFor(() => {
      const last = new URL(seen[seen.length - 1]?.url ?? "http://x");
      expect([last.searchParams.get("actor"), last.searchParams.get("action")]).toEqual(["mia", "action.ban"]);
    });
  });
});
