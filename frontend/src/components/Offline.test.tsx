import { onlineManager } from "@tanstack/react-query";
import { act, screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";
import { SIGNED_OUT } from "../accounts/fixtures";
import { me, post } from "../posts/testData";
import { Explore } from "../screens/Explore";
import { Home } from "../screens/Home";
import { answerFetch, renderApp } from "../test/render";
import { Layout } from "./Layout";

const API = "/api/viewfinder/v1";

afterEach(() => {
  act(() => onlineManager.setOnline(true));
  vi.unstubAllGlobals();
});

describe("offline", () => {
  it("says so in a banner, gone once back online", async () => {
    answerFetch({ [`GET ${API}/accounts/me`]: SIGNED_OUT });
    act(() => onlineManager.setOnline(false));
    renderApp(<Layout />, { path: "/explore" });
    expect(await screen.findByRole("status")).toHaveTextContent("You're offline.");
    act(() => onlineManager.setOnline(true));
    await waitFor(() => expect(screen.queryByText(/You're offline/)).not.toBeInTheDocument());
  });

  it("shows a list that cannot load as offline, not as a spinner forever, and loads it on reconnecting", async () => {
    answerFetch({
      [`GET ${API}/accounts/me`]: SIGNED_OUT,
      [`GET ${API}/explore`]: { body: { items: [], next_cursor: null } },
    });
    act(() => onlineManager.setOnline(false));
    renderApp(<Explore />, { path: "/explore" });
    expect(await screen.findByRole("heading", { name: "You're offline" })).toBeInTheDocument();
    expect(screen.queryByText("Loading posts")).not.toBeInTheDocument();
    act(() => onlineManager.setOnline(true));
    expect(await screen.findByRole("heading", { name: "Nothing to explore yet" })).toBeInTheDocument();
  });

  it("shows a like made offline as waiting, and sends it on reconnecting", async () => {
    const seen = answerFetch({
      [`GET ${API}/accounts/me`]: { body: me() },
      [`GET ${API}/feed`]: { body: { items: [post()], next_cursor: null } },
      [`POST ${API}/posts/1/like`]: { body: { liked: true, like_count: 13 } },
    });
    const { client } = renderApp(<Home />);
    await screen.findByRole("button", { name: "Like" });
    await waitFor(() => expect(client.getQueryData(["me"])).toBeTruthy()); // signed in before going offline
    act(() => onlineManager.setOnline(false));
    await userEvent.click(screen.getByRole("button", { name: "Like" }));
    const like = await screen.findByRole("button", { name: "Unlike" });
    await waitFor(() => expect(like).toHaveAccessibleDescription("Waiting for a connection to send this."));
    expect(seen.some((request) => request.method === "POST")).toBe(false);

    act(() => onlineManager.setOnline(true));
    await waitFor(() => expect(seen.some((request) => request.method === "POST")).toBe(true));
    await waitFor(() => expect(screen.queryByText("Waiting for a connection to send this.")).not.toBeInTheDocument());
    // (The feed is fetched again once the like is in, with what the server says.)
    expect(screen.getByRole("button", { name: /^(Unlike|Like)$/ })).not.toHaveAccessibleDescription();
  });
});
