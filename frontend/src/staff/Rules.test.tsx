import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";
import { answerFetch, renderApp } from "../test/render";
import { Rules } from "./Rules";
import { API, ruleOut, staffMe } from "./testData";

afterEach(() => vi.unstubAllGlobals());

describe("rules", () => {
  it("adds a rule, turns one off, and deletes one only after confirming", async () => {
    const rule = ruleOut("7");
    const seen = answerFetch({
      [`GET ${API}/accounts/me`]: { body: staffMe("admin") },
      [`GET ${API}/staff/rules`]: { body: { items: [rule] } },
      [`POST ${API}/staff/rules`]: { status: 201, body: ruleOut("8", { kind: "link", pattern: "spam.example", action: "block" }) },
      [`PATCH ${API}/staff/rules/7`]: { body: { ...rule, enabled: false } },
      [`DELETE ${API}/staff/rules/7`]: { status: 204 },
    });
    renderApp(<Rules />, { path: "/staff/rules" });
    const user = userEvent.setup();
    const form = await screen.findByRole("form", { name: "New rule" });
    await user.selectOptions(within(form).getByLabelText("Kind"), "link");
    await user.type(within(form).getByLabelText("Domain"), "spam.example");
    await user.selectOptions(within(form).getByLabelText("Then"), "block");
    await user.click(within(form).getByRole("button", { name: "Add rule" }));
    const writes = () => seen.filter((request) => request.method !== "GET");
    await waitFor(() => expect(writes()).toHaveLength(1));
    expect(await writes()[0]?.json()).toEqual({ kind: "link", pattern: "spam.example", action: "block" });

    const list = screen.getByRole("list", { name: "Rules" });
    await user.click(within(list).getByRole("checkbox", { name: "Enabled: cheap pills" }));
    await waitFor(() => expect(writes()).toHaveLength(2));
    expect(writes()[1]?.method).toBe("PATCH");
    expect(await writes()[1]?.json()).toEqual({ enabled: false });

    await user.click(within(list).getByRole("button", { name: "Delete cheap pills" }));
    const confirm = await screen.findByRole("dialog", { name: "Delete rule?" });
    expect(writes()).toHaveLength(2);
    await user.click(within(confirm).getByRole("button", { name: "Delete rule" }));
    await waitFor(() => expect(writes()).toHaveLength(3));
    expect(writes()[2]?.method).toBe("DELETE");
    expect(new URL(writes()[2]?.url ?? "").pathname).toBe(`${API}/staff/rules/7`);
  });
});
