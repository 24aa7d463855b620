import { screen, within } from "@testing-library/react";
import { Route, Routes } from "react-router-dom";
import { afterEach, describe, expect, it, vi } from "vitest";
import { answerFetch, renderApp } from "../test/render";
import { StaffAccount } from "./StaffAccount";
import { actionOut, API, caseOut, staffMe } from "./testData";

afterEach(() => vi.unstubAllGlobals());

describe("an account as staff see it", () => {
  it("shows its states, the actions against it and its cases", async () => {
    answerFetch({
      [`GET ${API}/accounts/me`]: { body: staffMe("moderator") },
      [`GET ${API}/staff/accounts/ola`]: {
        body: {
          account: {
            summary: { id: "u-ola", username: "ola", display_name: "Ola", avatar_url: null, is_private: false, relationship: null },
            bio: "Followers for sale",
            is_active: false,
            role: "none",
            posts_count: 4,
            followers_count: 1,
            following_count: 900,
            created_at: "2026-12-01T10:00:00Z",
            recent_posts: [],
          },
          restricted: true,
          limited: false,
          suspended_until: null,
          banned: true,
          actions: [actionOut({ kind: "ban", target: "user", reason: "Spam ring" })],
          cases: [caseOut("5", { status: "actioned" })],
        },
      },
    });
    renderApp(
      <Routes>
        <Route path="/staff/accounts/:username" element={<StaffAccount />} />
      </Routes>,
      { path: "/staff/accounts/ola" },
    );
    const states = await screen.findByRole("list", { name: "Account states" });
    expect(within(states).getAllByRole("listitem").map((item) => item.textContent)).toEqual(["Banned", "Restricted"]);
    expect(screen.getByText("Followers for sale")).toBeInTheDocument();
    expect(screen.getByText("Account banned")).toBeInTheDocument();
    expect(screen.getByText("Spam ring")).toBeInTheDocument();
    expect(screen.getByRole("link", { name: "Post case #5" })).toHaveAttribute("href", "/staff/cases/5");
  });
});
