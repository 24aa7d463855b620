import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";
import { notification } from "../discovery/fixtures";
import { NotificationItem } from "../notifications/NotificationItem";
import { PostCard } from "../posts/PostCard";
import { post } from "../posts/testData";
import { API, strikeOut } from "../staff/testData";
import { answerFetch, renderApp } from "../test/render";
import { AccountStatus } from "./AccountStatus";

afterEach(() => vi.unstubAllGlobals());

describe("a sensitive post", () => {
  it("stays blurred behind a warning until the viewer chooses to see it", async () => {
    answerFetch({ [`GET ${API}/accounts/me`]: { status: 401, body: { error: { code: "not_authenticated", message: "Log in.", fields: {} } } } });
    renderApp(<PostCard post={post({ sensitive: true })} />);
    expect(screen.getByText("Sensitive content")).toBeInTheDocument();
    expect(screen.queryByRole("img", { name: "A red door" })).not.toBeInTheDocument();
    await userEvent.click(screen.getByRole("button", { name: "See post" }));
    expect(screen.getByRole("img", { name: "A red door" })).toBeInTheDocument();
    expect(screen.queryByText("Sensitive content")).not.toBeInTheDocument();
  });

  it("is not covered when it is not sensitive", () => {
    answerFetch({});
    renderApp(<PostCard post={post()} />);
    expect(screen.getByRole("img", { name: "A red door" })).toBeInTheDocument();
    expect(screen.queryByText("Sensitive content")).not.toBeInTheDocument();
  });
});

describe("moderation notifications", () => {
  function line(kind: string, text: string) {
    renderApp(
      <ul>
        <NotificationItem item={notification({ kind, text, actors: [], actor_count: 0, post: null })} highlighted={false} />
      </ul>,
    );
    return screen.getByRole("listitem");
  }

  it("tells a reporter the outcome in the server's words, naming no one", () => {
    const item = line("report_resolved", "Thank you for your report: we reviewed it and took action.");
    expect(item).toHaveTextContent("Thank you for your report: we reviewed it and took action.");
    expect(item).not.toHaveTextContent("Someone");
    expect(within(item).queryByRole("link")).not.toBeInTheDocument();
  });

  it("tells the account what was done and links to its status", () => {
    const item = line("moderation_action", "Your post was removed (a strike): Spam links [Spam § 2]");
    expect(item).toHaveTextContent("Your post was removed (a strike): Spam links [Spam § 2]");
    expect(within(item).getByRole("link", { name: "Details" })).toHaveAttribute("href", "/accounts/status");
  });

  it("has words of its own when the server sends none", () => {
    expect(line("appeal_decided", "")).toHaveTextContent("Your appeal was decided.");
  });
});

describe("account status", () => {
  it("lists the actions against the viewer and sends an appeal once", async () => {
    const seen = answerFetch({
      [`GET ${API}/accounts/me/strikes`]: {
        body: {
          items: [
            strikeOut(),
            strikeOut({ id: "a0", kind: "suspend", target: "user", until: "2026-12-08T10:00:00Z", appealable: false, appeal: { id: "ap0", status: "upheld", created_at: "2026-12-01T10:00:00Z" } }),
          ],
          next_cursor: null,
        },
      },
      [`POST ${API}/accounts/me/strikes/a1/appeal`]: { status: 201, body: { id: "ap1", text: "A joke", status: "open", created_at: "2026-12-05T10:00:00Z" } },
    });
    renderApp(<AccountStatus />);
    const items = await screen.findAllByRole("listitem");
    expect(items[0]).toHaveTextContent("Content removed · your post");
    expect(items[0]).toHaveTextContent("Spam links");
    expect(items[0]).toHaveTextContent("Policy: Spam § 2");
    expect(items[1]).toHaveTextContent("Account suspended");
    expect(items[1]).toHaveTextContent("Your appeal was reviewed: the decision stands.");
    expect(within(items[1] as HTMLElement).queryByRole("button", { name: "Appeal" })).not.toBeInTheDocument();

    const user = userEvent.setup();
    await user.click(within(items[0] as HTMLElement).getByRole("button", { name: "Appeal" }));
    await user.type(screen.getByLabelText("Why should this be reversed?"), "It was a joke between friends");
    await user.click(screen.getByRole("button", { name: "Send appeal" }));
    await waitFor(() => expect(seen.some((request) => request.method === "POST")).toBe(true));
    const sent = seen.find((request) => request.method === "POST");
    expect(await sent?.json()).toEqual({ text: "It was a joke between friends" });
  });
});
