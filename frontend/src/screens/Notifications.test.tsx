import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";
import { notification, user } from "../discovery/fixtures";
import { UNREAD_KEY } from "../notifications/unread";
import { me, relationship } from "../profiles/testData";
import { answerFetch, renderApp } from "../test/render";
import { Notifications } from "./Notifications";

afterEach(() => vi.unstubAllGlobals());

const EMPTY_PAGE = { items: [], next_cursor: null };

/** The answers an inbox of these lines needs (all read, so nothing is marked), plus `extra`. */
function inboxOf(items: unknown[], extra: Parameters<typeof answerFetch>[0] = {}) {
  return answerFetch({
    "GET /api/viewfinder/v1/notifications": { body: { items, next_cursor: null } },
    "GET /api/viewfinder/v1/notifications/unread-count": { body: { unread: 0 } },
    "GET /api/viewfinder/v1/accounts/follow-requests": { body: EMPTY_PAGE },
    "GET /api/viewfinder/v1/accounts/me": { body: me() },
    ...extra,
  });
}

describe("Notifications", () => {
  it("shows grouped lines, then marks everything read and keeps the new ones highlighted", async () => {
    const seen = answerFetch({
      "GET /api/viewfinder/v1/notifications": {
        body: {
          items: [
            notification({
              id: "n1",
              actors: [user("alice"), user("bob"), user("carol")],
              actor_count: 4,
            }),
            notification({ id: "n2", kind: "comment", text: "Lovely light!", actors: [user("dave")], read: true }),
            notification({ id: "n3", kind: "follow", post: null, actors: [user("erin"), user("frank")], actor_count: 2, read: true }),
          ],
          next_cursor: null,
        },
      },
      "GET /api/viewfinder/v1/notifications/unread-count": { body: { unread: 1 } },
      "POST /api/viewfinder/v1/notifications/read": { body: { unread: 0 } },
      "GET /api/viewfinder/v1/accounts/follow-requests": { body: EMPTY_PAGE },
    });
    const { client } = renderApp(<Notifications />);

    expect(screen.getByRole("heading", { level: 1, name: "Notifications" })).toBeInTheDocument();
    const items = await screen.findAllByRole("listitem");
    expect(items[0]).toHaveTextContent(/alice and 3 others liked your post\./);
    expect(items[1]).toHaveTextContent(/dave commented: Lovely light!/);
    expect(items[2]).toHaveTextContent(/erin and frank started following you\./);
    expect(within(items[0] as HTMLElement).getByRole("link", { name: "alice" })).toHaveAttribute("href", "/alice");
    expect(within(items[0] as HTMLElement).getByRole("link", { name: "View post" })).toHaveAttribute("href", "/p/p1");
    expect(screen.getByRole("heading", { name: "Today" })).toBeInTheDocument();

    await waitFor(() => expect(client.getQueryData(UNREAD_KEY)).toBe(0));
    const marks = seen.filter((request) => request.method === "POST");
    expect(marks).toHaveLength(1);
    expect(marks[0]?.url).toMatch(/\/notifications\/read$/);
    expect(items[0]).toHaveClass("is-unread");
    expect(items[1]).not.toHaveClass("is-unread");
  });

  it("links waiting follow requests to the requests screen", async () => {
    answerFetch({
      "GET /api/viewfinder/v1/notifications": {
        body: { items: [notification({ kind: "follow_request", post: null, read: true, actors: [user("gina")] })], next_cursor: null },
      },
      "GET /api/viewfinder/v1/notifications/unread-count": { body: { unread: 0 } },
      "GET /api/viewfinder/v1/accounts/follow-requests": { body: { items: [user("gina"), user("hal")], next_cursor: null } },
    });
    renderApp(<Notifications />);
    const summary = await screen.findByRole("link", { name: /Follow requests/ });
    expect(summary).toHaveAttribute("href", "/requests");
    expect(summary).toHaveTextContent("gina and others");
    expect(await screen.findByText(/requested to follow you/)).toBeInTheDocument();
    expect(screen.getByRole("link", { name: "Review" })).toHaveAttribute("href", "/requests");
  });

  it("says so when there is no activity yet", async () => {
    answerFetch({
      "GET /api/viewfinder/v1/notifications": { body: EMPTY_PAGE },
      "GET /api/viewfinder/v1/notifications/unread-count": { body: { unread: 0 } },
      "GET /api/viewfinder/v1/accounts/follow-requests": { body: EMPTY_PAGE },
    });
    renderApp(<Notifications />);
    expect(await screen.findByRole("heading", { name: "Activity on your posts" })).toBeInTheDocument();
  });
  it("tells a mention in a caption from a mention in a comment", async () => {
    inboxOf([
      notification({ id: "n1", kind: "mention", comment_id: null, text: "Golden hour with @bob", actors: [user("alice")], read: true }),
      notification({ id: "n2", kind: "mention", comment_id: null, text: "", actors: [user("carol")], read: true }),
      notification({ id: "n3", kind: "mention", comment_id: "c1", text: "look @bob", actors: [user("dave")], read: true }),
    ]);
    renderApp(<Notifications />);

    const items = await screen.findAllByRole("listitem");
    expect(items[0]).toHaveTextContent(/alice mentioned you in a post: Golden hour with @bob/);
    expect(items[1]).toHaveTextContent(/carol mentioned you in a post\./);
    expect(items[2]).toHaveTextContent(/dave mentioned you in a comment: look @bob/);
    expect(items[0]).not.toHaveTextContent(/comment/);
    expect(items[1]).not.toHaveTextContent(/comment/);
  });

  it("offers to follow back a new follower, and shows what the follow became", async () => {
    const seen = inboxOf(
      [
        notification({ id: "n1", kind: "follow", post: null, read: true, actors: [user("erin", { relationship: relationship({ followed_by: true }) })] }),
        notification({
          id: "n2",
          kind: "follow",
          post: null,
          read: true,
          actors: [user("gina", { is_private: true, relationship: relationship({ followed_by: true }) })],
        }),
        notification({ id: "n3", kind: "follow", post: null, read: true, actors: [user("hal", { relationship: relationship({ followed_by: true, following: true }) })] }),
        notification({
          id: "n4",
          kind: "follow",
          post: null,
          read: true,
          actors: [user("ivy", { relationship: relationship({ followed_by: true }) }), user("jo", { relationship: relationship({ followed_by: true }) })],
          actor_count: 2,
        }),
      ],
      {
        "POST /api/viewfinder/v1/users/erin/follow": { body: { state: "following" } },
        "POST /api/viewfinder/v1/users/gina/follow": { body: { state: "requested" } },
      },
    );
    renderApp(<Notifications />);

    const items = (await screen.findAllByRole("listitem")) as HTMLElement[];
    const [erin, gina, hal, grouped] = items as [HTMLElement, HTMLElement, HTMLElement, HTMLElement];
    expect(erin).toHaveTextContent(/erin started following you\./);
    // Already followed: no "Follow back", the button says so; a grouped line has no button.
    expect(within(hal).getByRole("button", { name: "Following" })).toBeInTheDocument();
    expect(within(hal).queryByRole("button", { name: "Follow back" })).not.toBeInTheDocument();
    expect(within(grouped).queryByRole("button")).not.toBeInTheDocument();

    await userEvent.click(within(erin).getByRole("button", { name: "Follow back" }));
    expect(await within(erin).findByRole("button", { name: "Following" })).toBeInTheDocument();
    await userEvent.click(within(gina).getByRole("button", { name: "Follow back" }));
    expect(await within(gina).findByRole("button", { name: "Requested" })).toBeInTheDocument();

    const follows = seen.filter((request) => request.method === "POST" && request.url.endsWith("/follow"));
    expect(follows.map((request) => new URL(request.url).pathname)).toEqual([
      "/api/viewfinder/v1/users/erin/follow",
      "/api/viewfinder/v1/users/gina/follow",
    ]);
  });
});
