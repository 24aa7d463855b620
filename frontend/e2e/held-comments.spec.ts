/** Held comments end to end (issue 14, Restrict: "its new comments are visible only to itself until
 * approved"): a moderator restricts an account; its comment on someone's post is seen by its author
 * only; the post's author finds "1 comment held for review" on the post's page and approves it from
 * the keyboard; then everyone sees it. */
import path from "node:path";
import { type BrowserContext, expect, test } from "@playwright/test";
import { apiWrite, contextOptions, createPost, createStaff, findCase, logIn, seriousViolations, signUp, uniqueName } from "./support";

const shots = path.resolve(import.meta.dirname, "../screenshots");
const API = "/api/viewfinder/v1";

async function idOf(context: BrowserContext): Promise<string> {
  return ((await (await context.request.get(`${API}/accounts/me`)).json()) as { profile: { id: string } }).profile.id;
}

test("a restricted account's comment waits for the post's author, who approves it", async ({ browser }, info) => {
  const options = contextOptions(info);
  const [authorContext, restrictedContext, reporterContext, moderatorContext] = await Promise.all([
    browser.newContext(options),
    browser.newContext(options),
    browser.newContext(options),
    browser.newContext(options),
  ]);
  const authorName = uniqueName("host", info);
  const restrictedName = uniqueName("rude", info);
  const reporterName = uniqueName("rep", info);
  const moderatorName = uniqueName("mod", info);
  await Promise.all([signUp(authorContext, authorName), signUp(restrictedContext, restrictedName), signUp(reporterContext, reporterName)]);
  createStaff(moderatorName, "moderator");
  await logIn(moderatorContext, moderatorName);
  const restrictedId = await idOf(restrictedContext);

  // The moderator restricts the reported account (through the API: the moderation scenarios cover the screens).
  await apiWrite(reporterContext, "post", "/reports", { target: "user", target_id: restrictedId, reason: "harassment", details: "" });
  const caseId = await findCase(moderatorContext, (item) => item.target === "user" && item.target_id === restrictedId);
  await apiWrite(moderatorContext, "post", `/staff/cases/${caseId}/actions`, { action: "restrict", reason: "Rude replies" });

  const postId = await createPost(authorContext, ["square"], "Sunset from the pier");

  // The restricted account comments; it sees its own comment, nobody else does yet.
  const restricted = await restrictedContext.newPage();
  await restricted.goto(`/p/${postId}`);
  await restricted.getByLabel("Add a comment…").fill("Nice try, amateur");
  await restricted.getByRole("button", { name: "Post", exact: true }).click();
  await expect(restricted.getByRole("region", { name: "Comments" }).getByText("Nice try, amateur")).toBeVisible();
  await restricted.reload();
  const own = restricted.getByRole("region", { name: "Comments" }).getByRole("listitem").filter({ hasText: "Nice try, amateur" });
  await expect(own).toContainText("Held for review: your account's comments are reviewed before they appear.");
  await expect(restricted.getByRole("region", { name: "Held comments" })).toHaveCount(0);

  const reporter = await reporterContext.newPage();
  await reporter.goto(`/p/${postId}`);
  await expect(reporter.getByText("No comments yet. Start the conversation.")).toBeVisible();
  await expect(reporter.getByText("Nice try, amateur")).toHaveCount(0);

  // The post's author reviews it from the keyboard and approves it.
  const author = await authorContext.newPage();
  await author.goto(`/p/${postId}`);
  const held = author.getByRole("region", { name: "Held comments" });
  const toggle = held.getByRole("button", { name: /held for review/ });
  await expect(toggle).toHaveText(/1 comment held for review/);
  await toggle.focus();
  await author.keyboard.press("Enter");
  await expect(toggle).toHaveAttribute("aria-expanded", "true");
  await expect(held).toContainText("Nice try, amateur");
  await author.waitForLoadState("networkidle");
  await held.scrollIntoViewIfNeeded();
  await author.screenshot({ path: path.join(shots, info.project.name, "held-comments.png") });
  expect(await seriousViolations(author), "held comments' accessibility").toEqual([]);
  const approve = held.getByRole("button", { name: `Approve ${restrictedName}'s comment` });
  await approve.focus();
  await author.keyboard.press("Enter");
  await expect(held.getByText("Nice try, amateur")).toHaveCount(0);
  await expect(toggle).toHaveText(/No comments held for review/);
  await expect(toggle).toBeFocused();
  const approved = author.getByRole("region", { name: "Comments" }).getByRole("listitem").filter({ hasText: "Nice try, amateur" });
  await expect(approved).toBeVisible();
  await expect(approved).not.toContainText("Held for review");

  // Now everyone sees it.
  await reporter.reload();
  await expect(reporter.getByRole("region", { name: "Comments" }).getByText("Nice try, amateur")).toBeVisible();

  await Promise.all([authorContext.close(), restrictedContext.close(), reporterContext.close(), moderatorContext.close()]);
});
