import { screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";
import { FollowRequests } from "../screens/FollowRequests";
import { answerFetch, renderApp } from "../test/render";
import { API, me, page, user } from "./testData";

afterEach(() => vi.unstubAllGlobals());

describe("FollowRequests", () => {
  it("confirms one request (then offers to follow back) and deletes another", async () => {
    const seen = answerFetch({
      [`GET ${API}/accounts/me`]: { body: me({ is_private: true }) },
      [`GET ${API}/accounts/follow-requests`]: { body: page([user("carol"), user("dave")]) },
      [`POST ${API}/accounts/follow-requests/carol/approve`]: { status: 204 },
      [`POST ${API}/accounts/follow-requests/dave/decline`]: { status: 204 },
    });
    renderApp(<FollowRequests />);
    expect(screen.getByRole("heading", { level: 1, name: "Follow requests" })).toBeInTheDocument();

    await userEvent.click(await screen.findByRole("button", { name: "Confirm carol" }));
    expect(await screen.findByRole("button", { name: "Follow back" })).toBeInTheDocument();

    await userEvent.click(screen.getByRole("button", { name: "Delete request from dave" }));
    await waitFor(() => expect(screen.queryByText("dave")).not.toBeInTheDocument());
    expect(seen.map((request) => `${request.method} ${new URL(request.url).pathname}`)).toEqual(
      expect.arrayContaining([
        `POST ${API}/accounts/follow-requests/carol/approve`,
        `POST ${API}/accounts/follow-requests/dave/decline`,
      ]),
    );
  });

  it("says when nobody is waiting", async () => {
    answerFetch({
      [`GET ${API}/accounts/me`]: { body: me() },
      [`GET ${API}/accounts/follow-requests`]: { body: page([]) },
    });
    renderApp(<FollowRequests />);
    expect(await screen.findByText("No follow requests")).toBeInTheDocument();
  });
});
