import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { Route, Routes } from "react-router-dom";
import { afterEach, describe, expect, it, vi } from "vitest";
import { answerFetch, renderApp } from "../test/render";
import { Case } from "./Case";
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
