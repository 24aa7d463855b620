import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { Route, Routes } from "react-router-dom";
import { afterEach, describe, expect, it, vi } from "vitest";
import { answerFetch, renderApp } from "../test/render";
import { comment, post, user } from "../posts/testData";
import { Case, listedLine } from "./Case";
import { actionOut, API, caseDetail, caseOut, staffMe } from "./testData";

afterEach(() => vi.unstubAllGlobals());

function renderCase(id = "1") {
  return renderApp(
    <Routes>
      <Route path="/staff" element={<p>The queue</p>} />
      <Route path="/staff/cases/:caseId" element={<Case />} />
    </Routes>,
    { path: `/staff/cases/${id}` },
  );
}

const OPEN = caseOut("1");
const DONE = { action: actionOut(), case: { ...OPEN, status: "actioned" } };

function posts(seen: Request[]) {
  return seen.filter((request) => request.method === "POST");
}

describe("a case", () => {
  it("shows the post in context, its reports and the actions the role allows", async () => {
    answerFetch({
      [`GET ${API}/accounts/me`]: { body: staffMe("moderator") },
      [`GET ${API}/staff/cases/1`]: { body: caseDetail(OPEN) },
    });
    renderCase();
    const content = await screen.findByRole("region", { name: "Reported content" });
    expect(within(content).getByText("Buy followers now")).toBeInTheDocument();
    expect(within(content).getByRole("img", { name: "A red door" })).toBeInTheDocument();
    expect(screen.getByText("Same link everywhere")).toBeInTheDocument();
    const actions = screen.getByRole("group", { name: "Actions" });
    const names = within(actions).getAllByRole("button").map((button) => button.textContent);
    expect(names).toEqual(["Dismiss d", "Remove r", "Mark sensitive s", "Restrict t", "Limit l", "Suspend u", "Ban b", "Delete x"]);
  });

  it("dismisses with a single key and no confirmation", async () => {
    const seen = answerFetch({
      [`GET ${API}/accounts/me`]: { body: staffMe("moderator") },
      [`GET ${API}/staff/cases/1`]: { body: caseDetail(OPEN) },
      [`POST ${API}/staff/cases/1/actions`]: { status: 201, body: { ...DONE, action: actionOut({ kind: "dismiss" }) } },
    });
    renderCase();
    await screen.findByRole("group", { name: "Actions" });
    const keys = userEvent.setup();
    await keys.keyboard("d");
    const dialog = await screen.findByRole("dialog", { name: "Dismiss" });
    await keys.type(within(dialog).getByLabelText("Reason (optional)"), "Not spam");
    await keys.click(within(dialog).getByRole("button", { name: "Dismiss" }));
    expect(await screen.findByRole("status")).toHaveTextContent("Dismissed.");
    expect(await posts(seen)[0]?.json()).toEqual({ action: "dismiss", reason: "Not spam", policy: "", strike: false });
  });

  it("asks to confirm a removal before sending it", async () => {
    const seen = answerFetch({
      [`GET ${API}/accounts/me`]: { body: staffMe("moderator") },
      [`GET ${API}/staff/cases/1`]: { body: caseDetail(OPEN) },
      [`POST ${API}/staff/cases/1/actions`]: { status: 201, body: DONE },
    });
    renderCase();
    await screen.findByRole("group", { name: "Actions" });
    const keys = userEvent.setup();
    await keys.keyboard("r");
    const form = await screen.findByRole("dialog", { name: "Remove" });
    await keys.type(within(form).getByLabelText("Reason"), "Spam links");
    await keys.type(within(form).getByLabelText("Policy"), "Spam § 2");
    await keys.click(within(form).getByLabelText("Count a strike against the account"));
    await keys.click(within(form).getByRole("button", { name: "Remove…" }));

    const confirm = await screen.findByRole("dialog", { name: "Remove?" });
    expect(confirm).toHaveTextContent("The post by @ola will disappear everywhere.");
    expect(posts(seen)).toHaveLength(0);
    await keys.click(within(confirm).getByRole("button", { name: "Yes, remove" }));
    expect(await screen.findByRole("status")).toHaveTextContent("Content removed.");
    expect(await posts(seen)[0]?.json()).toEqual({
      action: "remove_content",
      reason: "Spam links",
      policy: "Spam § 2",
      strike: true,
    });
  });

  it("asks to confirm a suspension, with its duration, and sends nothing when cancelled", async () => {
    const seen = answerFetch({
      [`GET ${API}/accounts/me`]: { body: staffMe("moderator") },
      [`GET ${API}/staff/cases/1`]: { body: caseDetail(OPEN) },
    });
    renderCase();
    await screen.findByRole("group", { name: "Actions" });
    const keys = userEvent.setup();
    await keys.keyboard("u");
    const form = await screen.findByRole("dialog", { name: "Suspend" });
    expect(form).toHaveTextContent("This applies to the author, @ola.");
    await keys.type(within(form).getByLabelText("Reason"), "Repeated spam");
    await keys.clear(within(form).getByLabelText("Duration (hours)"));
    await keys.type(within(form).getByLabelText("Duration (hours)"), "72");
    await keys.click(within(form).getByRole("button", { name: "Suspend…" }));
    const confirm = await screen.findByRole("dialog", { name: "Suspend?" });
    expect(confirm).toHaveTextContent("unable to log in for 72 hours");
    await keys.click(within(confirm).getByRole("button", { name: "Close" }));
    await waitFor(() => expect(screen.queryByRole("dialog")).not.toBeInTheDocument());
    expect(posts(seen)).toHaveLength(0);
  });

  it("ignores the keys while a note is typed, and saves the note", async () => {
    const seen = answerFetch({
      [`GET ${API}/accounts/me`]: { body: staffMe("moderator") },
      [`GET ${API}/staff/cases/1`]: { body: caseDetail(OPEN) },
      [`POST ${API}/staff/cases/1/notes`]: {
        status: 201,
        body: { id: "n1", author: { id: "u-mia", username: "mia" }, text: "dr", created_at: OPEN.created_at },
      },
    });
    renderCase();
    await screen.findByRole("group", { name: "Actions" });
    const keys = userEvent.setup();
    await keys.keyboard("n");
    const note = screen.getByLabelText("Note for other staff");
    expect(note).toHaveFocus();
    await keys.keyboard("dr");
    expect(screen.queryByRole("dialog")).not.toBeInTheDocument();
    await keys.click(screen.getByRole("button", { name: "Add note" }));
    await waitFor(() => expect(posts(seen)).toHaveLength(1));
    expect(await posts(seen)[0]?.json()).toEqual({ text: "dr" });
  });

  it("claims with c", async () => {
    const seen = answerFetch({
      [`GET ${API}/accounts/me`]: { body: staffMe("moderator") },
      [`GET ${API}/staff/cases/1`]: { body: caseDetail(OPEN) },
      [`GET ${API}/staff/cases/2`]: { body: caseDetail(caseOut("2", { claimed_by: { id: "u-kim", username: "kim" } })) },
      [`POST ${API}/staff/cases/1/claim`]: { body: { ...OPEN, claimed_by: { id: "u-mia", username: "mia" } } },
    });
    renderCase();
    await screen.findByRole("group", { name: "Actions" });
    await userEvent.setup().keyboard("c");
    await waitFor(() => expect(posts(seen).map((request) => new URL(request.url).pathname)).toEqual([`${API}/staff/cases/1/claim`]));
  });

  it("offers no actions on a case another moderator holds", async () => {
    answerFetch({
      [`GET ${API}/accounts/me`]: { body: staffMe("moderator") },
      [`GET ${API}/staff/cases/2`]: { body: caseDetail(caseOut("2", { claimed_by: { id: "u-kim", username: "kim" } })) },
    });
    renderCase("2");
    expect(await screen.findByText("Another moderator holds this case.")).toBeInTheDocument();
    expect(screen.getByText(/Claimed by/)).toHaveTextContent("Claimed by @kim");
    expect(screen.queryByRole("group", { name: "Actions" })).not.toBeInTheDocument();
    expect(screen.queryByRole("button", { name: /Claim/ })).not.toBeInTheDocument();
  });

  it("offers only dismissal when the target is gone", async () => {
    answerFetch({
      [`GET ${API}/accounts/me`]: { body: staffMe("moderator") },
      [`GET ${API}/staff/cases/3`]: { body: caseDetail(caseOut("3"), { target: { deleted: true, post: null, comment: null, account: null } }) },
    });
    renderCase("3");
    const actions = await screen.findByRole("group", { name: "Actions" });
    expect(within(actions).getAllByRole("button").map((button) => button.textContent)).toEqual(["Dismiss d"]);
    expect(screen.getByText("This post has been deleted.")).toBeInTheDocument();
  });

  it("decides an appeal", async () => {
    const appealCase = caseOut("4", { target: "appeal", reasons: {}, reporters_count: 0 });
    const seen = answerFetch({
      [`GET ${API}/accounts/me`]: { body: staffMe("admin") },
      [`GET ${API}/staff/cases/4`]: {
        body: caseDetail(appealCase, {
          reports: [],
          appeal: { id: "ap1", text: "It was a joke between friends", status: "open", created_at: appealCase.created_at, decided_at: null, action: actionOut() },
        }),
      },
      [`POST ${API}/staff/cases/4/appeal`]: {
        body: { appeal: { id: "ap1", text: "", status: "reversed", created_at: appealCase.created_at, decided_at: appealCase.created_at, action: null }, case: { ...appealCase, status: "actioned" } },
      },
    });
    renderCase("4");
    const panel = await screen.findByRole("region", { name: "Appeal" });
    expect(panel).toHaveTextContent("It was a joke between friends");
    expect(panel).toHaveTextContent("Content removed");
    expect(screen.queryByRole("group", { name: "Actions" })).not.toBeInTheDocument();
    await userEvent.click(within(panel).getByLabelText("Reverse: undo the action"));
    await userEvent.type(within(panel).getByLabelText("Reason"), "Context shows a joke");
    await userEvent.click(within(panel).getByRole("button", { name: "Decide appeal" }));
    await waitFor(() => expect(posts(seen)).toHaveLength(1));
    expect(await posts(seen)[0]?.json()).toEqual({ decision: "reverse", reason: "Context shows a joke" });
  });
});

describe("a case a rule flagged", () => {
  const FLAGGED = caseOut("5", { reasons: {}, reporters_count: 0, automated_score: 0.8 });

  it("names each rule that flagged it and its score", async () => {
    answerFetch({
      [`GET ${API}/accounts/me`]: { body: staffMe("moderator") },
      [`GET ${API}/staff/cases/5`]: {
        body: caseDetail(FLAGGED, {
          reports: [],
          flags: [
            { reason: "keyword rule “cheap pills” (hold)", score: 0.8, created_at: FLAGGED.created_at },
            { reason: "link rule “spam.example” (flag)", score: 0.5, created_at: FLAGGED.created_at },
          ],
        }),
      },
    });
    renderCase("5");
    const flags = await screen.findByRole("region", { name: "Flagged automatically" });
    const items = within(flags).getAllByRole("listitem");
    expect(items).toHaveLength(2);
    expect(items[0]).toHaveTextContent("keyword rule “cheap pills” (hold) · score 0.80");
    expect(items[1]).toHaveTextContent("link rule “spam.example” (flag) · score 0.50");
    expect(screen.queryByText("Reports")).not.toBeInTheDocument();
  });

  it("shows the case's score alone when no flag is recorded", async () => {
    answerFetch({
      [`GET ${API}/accounts/me`]: { body: staffMe("moderator") },
      [`GET ${API}/staff/cases/5`]: { body: caseDetail(FLAGGED, { reports: [] }) },
    });
    renderCase("5");
    const flags = await screen.findByRole("region", { name: "Flagged automatically" });
    expect(flags).toHaveTextContent("By a rule · score 0.80");
  });

  it("says nothing of rules for a case only people reported", async () => {
    answerFetch({
      [`GET ${API}/accounts/me`]: { body: staffMe("moderator") },
      [`GET ${API}/staff/cases/1`]: { body: caseDetail(OPEN) },
    });
    renderCase();
    await screen.findByRole("region", { name: "Reported content" });
    expect(screen.queryByRole("region", { name: "Flagged automatically" })).not.toBeInTheDocument();
  });
});

describe("a removed post's media", () => {
  const ACTIONED = caseOut("6", { status: "actioned" });
  const REMOVED_POST = post({ id: "p6", author: user("ola", "u-ola"), caption: "Buy followers now", moderation: "removed" });
  const REMOVED = caseDetail(ACTIONED, {
    target: { deleted: false, post: REMOVED_POST, comment: null, account: null },
    actions: [actionOut({ target_id: "p6" })],
  });
  const LISTED = { added: 35, already_listed: 0, below_quality: 0, hashes: Array.from({ length: 35 }, (_, index) => index.toString(16).padStart(64, "0")) };

  it.each(["moderator", "admin"])("is offered to a %s once the post is removed, and listed with one click", async (role) => {
    const seen = answerFetch({
      [`GET ${API}/accounts/me`]: { body: staffMe(role) },
      [`GET ${API}/staff/cases/6`]: { body: REMOVED },
      [`POST ${API}/staff/posts/p6/known-bad-hashes`]: { status: 201, body: LISTED },
    });
    renderCase("6");
    const section = await screen.findByRole("region", { name: "Known-bad media" });
    expect(section).toHaveTextContent("Uploads of the same photos or videos will be refused.");
    expect(within(screen.getByRole("region", { name: "Reported content" })).getByText("removed")).toBeInTheDocument();
    await userEvent.click(within(section).getByRole("button", { name: "Add its media to the known-bad list" }));
    expect(await within(section).findByRole("status")).toHaveTextContent("Listed 35 hashes (0 already listed).");
    expect(posts(seen).map((request) => new URL(request.url).pathname)).toEqual([`${API}/staff/posts/p6/known-bad-hashes`]);
    expect(within(section).getByRole("button", { name: "Add its media to the known-bad list" })).toBeEnabled();
  });

  it("says which hashes are below the minimum quality and so never matched", async () => {
    answerFetch({
      [`GET ${API}/accounts/me`]: { body: staffMe("moderator") },
      [`GET ${API}/staff/cases/6`]: { body: REMOVED },
      [`POST ${API}/staff/posts/p6/known-bad-hashes`]: { status: 201, body: { ...LISTED, added: 1, already_listed: 34, below_quality: 1 } },
    });
    renderCase("6");
    const section = await screen.findByRole("region", { name: "Known-bad media" });
    await userEvent.click(within(section).getByRole("button", { name: "Add its media to the known-bad list" }));
    expect(await within(section).findByRole("status")).toHaveTextContent(
      "Listed 1 hash (34 already listed). 1 of them below the minimum quality: kept, but never matched.",
    );
  });

  it("is disabled while the request is on its way", async () => {
    let answer: (value: { status: number; body: unknown }) => void = () => undefined;
    answerFetch({
      [`GET ${API}/accounts/me`]: { body: staffMe("moderator") },
      [`GET ${API}/staff/cases/6`]: { body: REMOVED },
      [`POST ${API}/staff/posts/p6/known-bad-hashes`]: () => new Promise((resolve) => (answer = resolve)),
    });
    renderCase("6");
    const section = await screen.findByRole("region", { name: "Known-bad media" });
    await userEvent.click(within(section).getByRole("button", { name: "Add its media to the known-bad list" }));
    expect(await within(section).findByRole("button", { name: "Adding…" })).toBeDisabled();
    answer({ status: 201, body: LISTED });
    expect(await within(section).findByRole("status")).toHaveTextContent("Listed 35 hashes");
  });

  it("shows the server's message when the post is not removed (409)", async () => {
    answerFetch({
      [`GET ${API}/accounts/me`]: { body: staffMe("moderator") },
      [`GET ${API}/staff/cases/6`]: { body: REMOVED },
      [`POST ${API}/staff/posts/p6/known-bad-hashes`]: {
        status: 409,
        body: { error: { code: "not_removed", message: "Only a removed post's media can be listed; remove it first.", fields: {} } },
      },
    });
    renderCase("6");
    const section = await screen.findByRole("region", { name: "Known-bad media" });
    await userEvent.click(within(section).getByRole("button", { name: "Add its media to the known-bad list" }));
    expect(await within(section).findByRole("alert")).toHaveTextContent("Only a removed post's media can be listed; remove it first.");
    expect(within(section).queryByRole("status")).not.toBeInTheDocument();
  });

  it("is not offered for a post still up, only a hint", async () => {
    answerFetch({
      [`GET ${API}/accounts/me`]: { body: staffMe("moderator") },
      [`GET ${API}/staff/cases/1`]: { body: caseDetail(OPEN) },
    });
    renderCase();
    expect(await screen.findByText("Remove the post first to list its media as known-bad.")).toBeInTheDocument();
    expect(screen.queryByRole("region", { name: "Known-bad media" })).not.toBeInTheDocument();
    expect(screen.queryByRole("button", { name: /known-bad list/ })).not.toBeInTheDocument();
  });

  it("appears once the post is removed from the case", async () => {
    let removed = false;
    answerFetch({
      [`GET ${API}/accounts/me`]: { body: staffMe("moderator") },
      [`GET ${API}/staff/cases/1`]: () => ({ body: removed ? caseDetail({ ...OPEN, status: "actioned" }, { target: { ...REMOVED.target, post: { ...REMOVED_POST, id: "p1" } } }) : caseDetail(OPEN) }),
      [`POST ${API}/staff/cases/1/actions`]: () => {
        removed = true;
        return { status: 201, body: DONE };
      },
    });
    renderCase();
    await screen.findByText("Remove the post first to list its media as known-bad.");
    const keys = userEvent.setup();
    await keys.keyboard("r");
    const form = await screen.findByRole("dialog", { name: "Remove" });
    await keys.type(within(form).getByLabelText("Reason"), "Spam links");
    await keys.click(within(form).getByRole("button", { name: "Remove…" }));
    await keys.click(within(await screen.findByRole("dialog", { name: "Remove?" })).getByRole("button", { name: "Yes, remove" }));
    const section = await screen.findByRole("region", { name: "Known-bad media" });
    expect(within(section).getByRole("button", { name: "Add its media to the known-bad list" })).toBeEnabled();
  });

  it("is not offered on a comment's case, nor on a deleted post", async () => {
    const commentCase = caseOut("7", { target: "comment" });
    answerFetch({
      [`GET ${API}/accounts/me`]: { body: staffMe("moderator") },
      [`GET ${API}/staff/cases/7`]: {
        body: caseDetail(commentCase, {
          target: { deleted: false, post: REMOVED_POST, comment: comment({ author: user("ola", "u-ola"), text: "Cheap pills" }), account: null },
        }),
      },
      [`GET ${API}/staff/cases/3`]: { body: caseDetail(caseOut("3"), { target: { deleted: true, post: null, comment: null, account: null } }) },
    });
    const first = renderCase("7");
    await screen.findByRole("region", { name: "Reported content" });
    expect(screen.queryByRole("region", { name: "Known-bad media" })).not.toBeInTheDocument();
    expect(screen.queryByText(/Remove the post first/)).not.toBeInTheDocument();
    first.unmount();
    renderCase("3");
    await screen.findByText("This post has been deleted.");
    expect(screen.queryByRole("region", { name: "Known-bad media" })).not.toBeInTheDocument();
  });

  it("words each result", () => {
    expect(listedLine(LISTED)).toBe("Listed 35 hashes (0 already listed).");
    expect(listedLine({ added: 0, already_listed: 35, below_quality: 0, hashes: LISTED.hashes })).toBe("Listed 0 hashes (35 already listed).");
    expect(listedLine({ added: 0, already_listed: 0, below_quality: 0, hashes: [] })).toBe("Its media gave no hashes to list.");
  });
});
