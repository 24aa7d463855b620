import { screen, waitFor } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";
import { ME, SIGNED_OUT } from "../accounts/fixtures";
import { answerFetch, renderApp } from "../test/render";
import { Layout } from "./Layout";

afterEach(() => vi.unstubAllGlobals());

describe("Layout", () => {
  it("offers a signed-out visitor to log in or sign up and come back to the page", async () => {
    answerFetch({ "GET /api/viewfinder/v1/accounts/me": SIGNED_OUT });
    renderApp(<Layout />, { path: "/tags/sunset?order=top" });

    const bar = await screen.findByRole("complementary", { name: "Join Viewfinder" });
    const links = bar.querySelectorAll("a");
    expect([...links].map((link) => [link.textContent, link.getAttribute("href")])).toEqual([
      ["Log in", "/login?next=%2Ftags%2Fsunset%3Forder%3Dtop"],
      ["Sign up", "/signup?next=%2Ftags%2Fsunset%3Forder%3Dtop"],
    ]);
  });

  it("shows no such bar on the landing page, whose whole point is joining", async () => {
    answerFetch({ "GET /api/viewfinder/v1/accounts/me": SIGNED_OUT });
    renderApp(<Layout />, { path: "/" });
    await waitFor(() => expect(screen.getByRole("navigation", { name: "Main" })).toHaveTextContent("Log in"));
    expect(screen.queryByRole("complementary", { name: "Join Viewfinder" })).not.toBeInTheDocument();
  });

  it("shows no such bar on the log-in screen, nor to someone signed in", async () => {
    answerFetch({ "GET /api/viewfinder/v1/accounts/me": SIGNED_OUT });
    renderApp(<Layout />, { path: "/login" });
    await waitFor(() => expect(screen.getByRole("navigation", { name: "Main" })).toHaveTextContent("Log in"));
    expect(screen.queryByRole("complementary", { name: "Join Viewfinder" })).not.toBeInTheDocument();

    vi.unstubAllGlobals();
    answerFetch({ "GET /api/viewfinder/v1/accounts/me": { body: ME } });
    renderApp(<Layout />, { path: "/explore" });
    expect(await screen.findByRole("navigation", { name: "Tabs" })).toBeInTheDocument();
    expect(screen.queryByRole("complementary", { name: "Join Viewfinder" })).not.toBeInTheDocument();
  });

  it("links the Viewfinder logo home and draws its icons as hidden SVG, named by their links", async () => {
    answerFetch({ "GET /api/viewfinder/v1/accounts/me": { body: ME } });
    renderApp(<Layout />, { path: "/explore" });
    const tabs = await screen.findByRole("navigation", { name: "Tabs" });

    const logos = screen.getAllByRole("link", { name: "Viewfinder" });
    expect(logos.length).toBeGreaterThan(0);
    for (const logo of logos) {
      expect(logo).toHaveAttribute("href", "/");
      expect(logo.querySelector("svg")).toHaveAttribute("aria-hidden", "true");
    }
    const search = screen.getByRole("navigation", { name: "Shortcuts" }).querySelector('a[href="/search"]');
    expect(search).toHaveAccessibleName("Search");
    expect(search?.querySelector("svg")).toHaveAttribute("aria-hidden", "true");
    expect(tabs.querySelectorAll("svg").length).toBeGreaterThanOrEqual(4);
    expect(screen.getByRole("banner")).not.toHaveTextContent(/[⌕♡♥✕☰⋯]/);
  });
});
