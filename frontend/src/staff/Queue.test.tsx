import { screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { Route, Routes } from "react-router-dom";
import { afterEach, describe, expect, it, vi } from "vitest";
import { answerFetch, renderApp } from "../test/render";
import { Queue } from "./Queue";
import { API, caseOut, staffMe } from "./testData";

afterEach(() => vi.unstubAllGlobals());

function renderQueue() {
  return renderApp(
    <Routes>
      <Route path="/staff" element={<Queue />} />
      <Route path="/staff/cases/:caseId" element={<p>Opened a case</p>} />
    </Routes>,
    { path: "/staff" },
  );
}

const QUEUE = {
  items: [
    caseOut("1", { reasons: { hate: 1, spam: 2 }, reporters_count: 3 }),
    caseOut("2", { target: "comment", claimed_by: { id: "u-kim", username: "kim" } }),
    caseOut("3", { target: "appeal", reasons: {}, reporters_count: 0 }),
  ],
  next_cursor: null,
};

describe("the moderation queue", () => {
  it("lists cases with priority, reasons, reporters and who holds them; j/k move and Enter opens", async () => {
    answerFetch({ [`GET ${API}/accounts/me`]: { body: staffMe("moderator") }, [`GET ${API}/staff/cases`]: { body: QUEUE } });
    renderQueue();
    const rows = await screen.findAllByRole("link", { name: /by @ola/ });
    expect(rows).toHaveLength(3);
    expect(rows[0]).toHaveTextContent("Priority 99");
    expect(rows[0]).toHaveTextContent("Hate, Spam ×2 · 3 reporters");
    expect(rows[0]).toHaveTextContent("Unclaimed");
    expect(rows[1]).toHaveTextContent("Comment by @ola");
    expect(rows[1]).toHaveTextContent("Claimed by @kim");

    const current = () => screen.getAllByRole("listitem").findIndex((row) => row.getAttribute("aria-current") === "true");
    expect(current()).toBe(0);
    const keys = userEvent.setup();
    await keys.keyboard("j");
    expect(current()).toBe(1);
    expect(rows[1]).toHaveFocus();
    await keys.keyboard("jj");
    expect(current()).toBe(2); // stops at the last case
    await keys.keyboard("k");
    expect(current()).toBe(1);
    await keys.keyboard("{Enter}");
    expect(await screen.findByText("Opened a case")).toBeInTheDocument();
  });

  it("narrows to appeals with a chip", async () => {
    answerFetch({ [`GET ${API}/accounts/me`]: { body: staffMe("admin") }, [`GET ${API}/staff/cases`]: { body: QUEUE } });
    renderQueue();
    await screen.findAllByRole("link", { name: /by @ola/ });
    await userEvent.click(screen.getByRole("button", { name: "Appeals" }));
    const rows = screen.getAllByRole("link", { name: /by @ola/ });
    expect(rows).toHaveLength(1);
    expect(rows[0]).toHaveTextContent("Appeal by @ola");
    expect(screen.getByRole("button", { name: "Appeals" })).toHaveAttribute("aria-pressed", "true");

    // Enter on a focused chip presses the chip; it does not open a case.
    screen.getByRole("button", { name: "Reports" }).focus();
    await userEvent.keyboard("{Enter}");
    expect(screen.getByRole("button", { name: "Reports" })).toHaveAttribute("aria-pressed", "true");
    expect(screen.getAllByRole("link", { name: /by @ola/ })).toHaveLength(2);
    expect(screen.queryByText("Opened a case")).not.toBeInTheDocument();
  });

  it("is not shown to an analyst, and asks the API for nothing", async () => {
    const seen = answerFetch({ [`GET ${API}/accounts/me`]: { body: staffMe("analyst") }, [`GET ${API}/staff/cases`]: { body: QUEUE } });
    renderQueue();
    expect(await screen.findByRole("heading", { name: "No access" })).toBeInTheDocument();
    expect(screen.queryByRole("link", { name: /by @ola/ })).not.toBeInTheDocument();
    await waitFor(() => expect(seen.some((request) => request.url.includes("/accounts/me"))).toBe(true));
    expect(seen.some((request) => request.url.includes("/staff/cases"))).toBe(false);
  });
});
