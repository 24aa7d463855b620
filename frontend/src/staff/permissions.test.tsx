import { cleanup, screen, waitFor, within } from "@testing-library/react";
import { Route, Routes } from "react-router-dom";
import { afterEach, describe, expect, it, vi } from "vitest";
import { Layout } from "../components/Layout";
import { answerFetch, renderApp } from "../test/render";
import { Announcements } from "./Announcements";
import { Audit } from "./Audit";
import { Featured } from "./Featured";
import { Queue } from "./Queue";
import { Recommendations } from "./Recommendations";
import { Roles } from "./Roles";
import { Rules } from "./Rules";
import { API, staffMe } from "./testData";

afterEach(() => vi.unstubAllGlobals());

const EMPTY = { items: [], next_cursor: null };

function renderAt(path: string, role: string) {
  const seen = answerFetch({
    [`GET ${API}/accounts/me`]: { body: staffMe(role) },
    [`GET ${API}/notifications/unread-count`]: { body: { unread: 0 } },
    [`GET ${API}/staff/cases`]: { body: EMPTY },
    [`GET ${API}/staff/rules`]: { body: { items: [] } },
    [`GET ${API}/staff/roles`]: { body: [] },
    [`GET ${API}/staff/audit`]: { body: EMPTY },
    [`GET ${API}/staff/announcements`]: { body: EMPTY },
    [`GET ${API}/staff/featured`]: { body: { items: [] } },
    [`GET ${API}/staff/recommendations`]: { body: { days: 7, serving: null, ranker_weights: null, versions: [] } },
  });
  renderApp(
    <Routes>
      <Route element={<Layout />}>
        <Route path="/" element={<p>Home feed</p>} />
        <Route path="/staff" element={<Queue />} />
        <Route path="/staff/rules" element={<Rules />} />
        <Route path="/staff/roles" element={<Roles />} />
        <Route path="/staff/audit" element={<Audit />} />
        <Route path="/staff/announcements" element={<Announcements />} />
        <Route path="/staff/featured" element={<Featured />} />
        <Route path="/staff/recommendations" element={<Recommendations />} />
      </Route>
    </Routes>,
    { path },
  );
  return seen;
}

async function mainNav() {
  await waitFor(() => expect(screen.getAllByRole("link", { name: /Settings/ }).length).toBeGreaterThan(0));
  return screen.getByRole("navigation", { name: "Main" });
}

describe("what each role sees", () => {
  it("a member without a role sees no Staff entry", async () => {
    renderAt("/", "none");
    expect(within(await mainNav()).queryByRole("link", { name: "Staff" })).not.toBeInTheDocument();
    expect(screen.queryByRole("link", { name: "Staff" })).not.toBeInTheDocument();
  });

  it("an analyst's Staff entry opens the recommendations read-out, and the queue is not theirs", async () => {
    renderAt("/", "analyst");
    expect(within(await mainNav()).getByRole("link", { name: "Staff" })).toHaveAttribute("href", "/staff/recommendations");
    cleanup();
    const seen = renderAt("/staff", "analyst");
    expect(await screen.findByRole("heading", { name: "No access" })).toBeInTheDocument();
    const staffNav = await screen.findByRole("navigation", { name: "Staff" });
    expect(within(staffNav).getAllByRole("link").map((link) => link.textContent)).toEqual(["Recommendations"]);
    expect(seen.some((request) => request.url.includes("/staff/cases"))).toBe(false);
  });

  it("a moderator gets the queue but no Rules, Roles or Audit log", async () => {
    renderAt("/staff", "moderator");
    expect(within(await mainNav()).getByRole("link", { name: "Staff" })).toHaveAttribute("href", "/staff");
    const staffNav = await screen.findByRole("navigation", { name: "Staff" });
    expect(within(staffNav).getAllByRole("link").map((link) => link.textContent)).toEqual(["Queue"]);
    expect(await screen.findByText("The queue is empty.")).toBeInTheDocument();
  });

  it("a moderator is not offered Announcements or Featured, and is told no at their address", async () => {
    const seen = renderAt("/staff/announcements", "moderator");
    const staffNav = await screen.findByRole("navigation", { name: "Staff" });
    expect(within(staffNav).queryByRole("link", { name: "Announcements" })).not.toBeInTheDocument();
    expect(within(staffNav).queryByRole("link", { name: "Featured" })).not.toBeInTheDocument();
    expect(await screen.findByRole("heading", { name: "No access" })).toBeInTheDocument();
    expect(screen.queryByRole("form", { name: "New announcement" })).not.toBeInTheDocument();
    expect(seen.some((request) => request.url.includes("/staff/announcements"))).toBe(false);
  });

  it("a community manager's Staff entry opens Announcements; Featured is beside it and nothing else", async () => {
    renderAt("/", "community_manager");
    expect(within(await mainNav()).getByRole("link", { name: "Staff" })).toHaveAttribute("href", "/staff/announcements");
    cleanup();
    const seen = renderAt("/staff/featured", "community_manager");
    const staffNav = await screen.findByRole("navigation", { name: "Staff" });
    expect(within(staffNav).getAllByRole("link").map((link) => link.textContent)).toEqual(["Announcements", "Featured"]);
    expect(await screen.findByRole("form", { name: "Feature an account" })).toBeInTheDocument();
    expect(seen.some((request) => request.url.includes("/staff/featured"))).toBe(true);
    expect(seen.some((request) => request.url.includes("/staff/cases"))).toBe(false);
  });

  it("a community manager who opens the queue's address is told no, and no cases are fetched", async () => {
    const seen = renderAt("/staff", "community_manager");
    expect(await screen.findByRole("heading", { name: "No access" })).toBeInTheDocument();
    expect(seen.some((request) => request.url.includes("/staff/cases"))).toBe(false);
  });

  it("a moderator who opens the rules' address is told no, and no rules are fetched", async () => {
    const seen = renderAt("/staff/rules", "moderator");
    expect(await screen.findByRole("heading", { name: "No access" })).toBeInTheDocument();
    expect(screen.queryByRole("form", { name: "New rule" })).not.toBeInTheDocument();
    expect(seen.some((request) => request.url.includes("/staff/rules"))).toBe(false);
  });

  it("an admin gets every staff screen", async () => {
    renderAt("/staff/roles", "admin");
    const staffNav = await screen.findByRole("navigation", { name: "Staff" });
    expect(within(staffNav).getAllByRole("link").map((link) => link.textContent)).toEqual(["Queue", "Rules", "Detection", "Roles", "Audit log", "Recommendations", "Announcements", "Featured"]);
    expect(await screen.findByRole("form", { name: "Assign a role" })).toBeInTheDocument();
  });
});
