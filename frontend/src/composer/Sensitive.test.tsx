/** The author's own sensitive mark: a switch in the composer, a checkbox when editing the post. */
import { act, configure, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { useLocation } from "react-router-dom";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { Post } from "../api/client";
import { me, post, EMPTY_PAGE } from "../posts/testData";
import { PostDetail } from "../screens/PostDetail";
import { answerFetch, renderApp } from "../test/render";
import { Composer } from "./Composer";
import { FakeXHR, mediaItem, photo, stubBrowser } from "./testing";

const API = "/api/viewfinder/v1";
configure({ asyncUtilTimeout: 4000 });

function Where() {
  return <p data-testid="where">{useLocation().pathname}</p>;
}

async function share(sensitive: boolean) {
  const seen = answerFetch({
    [`GET ${API}/accounts/me`]: { status: 401, body: { error: { code: "unauthorized", message: "No." } } },
    [`POST ${API}/posts`]: { status: 201, body: { id: "77", items: [], caption: "", author: { username: "me" } } },
  });
  const user = userEvent.setup();
  renderApp(
    <>
      <Composer />
      <Where />
    </>,
    { path: "/create" },
  );
  await user.upload(screen.getByLabelText("Add photos and videos"), [photo("a.jpg")]);
  const toggle = screen.getByRole("switch", { name: "Mark as sensitive" });
  expect(toggle).not.toBeChecked();
  if (sensitive) await user.click(toggle);
  await user.click(screen.getByRole("button", { name: "Share" }));
  await waitFor(() => expect(FakeXHR.sent).toHaveLength(1));
  act(() => FakeXHR.sent[0]!.respond(202, mediaItem("10")));
  await waitFor(() => expect(screen.getByTestId("where")).toHaveTextContent("/p/77"));
  const create = seen.find((request) => request.method === "POST" && request.url.endsWith("/posts"));
  return create!.json();
}

function showOwnPost(shown: Post, saved: Post) {
  const seen = answerFetch({
    [`GET ${API}/accounts/me`]: { body: me() },
    [`GET ${API}/posts/${shown.id}`]: { body: shown },
    [`GET ${API}/posts/${shown.id}/comments`]: { body: EMPTY_PAGE },
    [`PATCH ${API}/posts/${shown.id}`]: { body: saved },
  });
  renderApp(<PostDetail />, { path: `/p/${shown.id}`, route: "/p/:postId" });
  return seen;
}

async function openEdit() {
  await userEvent.click(await screen.findByRole("button", { name: "More options" }));
  await userEvent.click(screen.getByRole("menuitem", { name: "Edit caption" }));
  return screen.findByRole("dialog", { name: "Edit caption" });
}

async function patchBody(seen: Request[]) {
  await waitFor(() => expect(seen.some((r) => r.method === "PATCH")).toBe(true));
  return seen.find((r) => r.method === "PATCH")!.json();
}

describe("the composer's sensitive switch", () => {
  beforeEach(stubBrowser);
  afterEach(() => vi.unstubAllGlobals());

  it("marks the new post sensitive when turned on", async () => {
    expect(await share(true)).toMatchObject({ sensitive: true });
  });

  it("leaves it unmarked by default", async () => {
    expect(await share(false)).toMatchObject({ sensitive: false });
  });
});

describe("editing the sensitive mark", () => {
  afterEach(() => vi.unstubAllGlobals());

  it("marks the author's post sensitive, and the post is then covered", async () => {
    const mine = post({ author: me().profile, caption: "Old" });
    const seen = showOwnPost(mine, { ...mine, sensitive: true });
    const dialog = await openEdit();
    const box = within(dialog).getByRole("checkbox", { name: "Mark as sensitive" });
    expect(box).not.toBeChecked();
    await userEvent.click(box);
    await userEvent.click(within(dialog).getByRole("button", { name: "Save" }));
    expect(await patchBody(seen)).toEqual({ caption: "Old", sensitive: true });
    await waitFor(() => expect(screen.queryByRole("dialog")).not.toBeInTheDocument());
    expect(await screen.findByText("Sensitive content")).toBeInTheDocument();
    expect(screen.getByRole("button", { name: "See post" })).toBeInTheDocument();
  });

  it("sends no mark when only the caption changes", async () => {
    const mine = post({ author: me().profile, caption: "Old" });
    const seen = showOwnPost(mine, { ...mine, caption: "New" });
    const dialog = await openEdit();
    const field = within(dialog).getByLabelText("Caption");
    await userEvent.clear(field);
    await userEvent.type(field, "New");
    await userEvent.click(within(dialog).getByRole("button", { name: "Save" }));
    expect(await patchBody(seen)).toEqual({ caption: "New" });
  });

  it("says so when staff's or the detector's mark stays after the author unmarks", async () => {
    const marked = post({ author: me().profile, caption: "Old", sensitive: true });
    const seen = showOwnPost(marked, marked);
    const dialog = await openEdit();
    const box = within(dialog).getByRole("checkbox", { name: "Mark as sensitive" });
    expect(box).toBeChecked();
    await userEvent.click(box);
    await userEvent.click(within(dialog).getByRole("button", { name: "Save" }));
    expect(await patchBody(seen)).toEqual({ caption: "Old", sensitive: false });
    expect(await within(dialog).findByRole("status")).toHaveTextContent(/stays behind the warning/);
    expect(box).toBeChecked();
  });
});
