/** Moderation end to end (issue 14): a report filed by a member is resolved by a moderator in the staff
 * screens and the reporter hears the outcome; the author appeals, a different staff member (an admin)
 * reverses the removal, and the post is back. Staff accounts are made as an operator makes them, with
 * `viewfinder createuser --role` against the run's data folder. */
import path from "node:path";
import { type BrowserContext, type Page, expect, test } from "@playwright/test";
import {
  apiWrite,
  contextOptions,
  createPost,
  createStaff,
  findCase,
  logIn,
  reverseAppealInUi,
  seriousViolations,
  signUp,
  uniqueName,
  watchPolicyViolations,
} from "./support";

const shots = path.resolve(import.meta.dirname, "../screenshots");
const API = "/api/viewfinder/v1";

/** The open case about a post (another scenario may run beside this one). */
function caseOf(context: BrowserContext, postId: string): Promise<string> {
  return findCase(context, (item) => item.target === "post" && item.target_id === postId);
}

/** The open appeal of an account: only this scenario's account (other scenarios appeal too, at once). */
async function appealOf(context: BrowserContext, appellant: BrowserContext): Promise<string> {
  const me = (await (await appellant.request.get(`${API}/accounts/me`)).json()) as { profile: { id: string } };
  return findCase(context, (item) => item.target === "appeal" && item.account.id === me.profile.id);
}

/** Reports a post through its menu, as a member does. */
async function reportInUi(page: Page, postId: string): Promise<void> {
  await page.goto(`/p/${postId}`);
  await page.getByRole("button", { name: "More options" }).click();
  await page.getByRole("menuitem", { name: "Report" }).click();
  const dialog = page.getByRole("dialog", { name: "Report" });
  await dialog.getByRole("radio", { name: "It's spam" }).check();
  await dialog.getByLabel("Details").fill("The same link under every post");
  await dialog.getByRole("button", { name: "Submit report" }).click();
  await expect(dialog.getByText("Thanks for letting us know")).toBeVisible();
  await dialog.getByRole("button", { name: "Done" }).click();
}

test("a report is resolved by a moderator and the reporter hears the outcome", async ({ browser }, info) => {
  const options = contextOptions(info);
  const [authorContext, reporterContext, moderatorContext] = await Promise.all([
    browser.newContext(options),
    browser.newContext(options),
    browser.newContext(options),
  ]);
  const authorName = uniqueName("spam", info);
  const reporterName = uniqueName("rep", info);
  const moderatorName = uniqueName("mod", info);
  await signUp(authorContext, authorName);
  await signUp(reporterContext, reporterName);
  createStaff(moderatorName, "moderator");
  await logIn(moderatorContext, moderatorName);
  const postId = await createPost(authorContext, ["square"], "Cheap followers at spam.example");

  const reporter = await reporterContext.newPage();
  await reportInUi(reporter, postId);

  // The moderator finds the case from the Staff entry, opens it and removes the post by keyboard.
  const moderator = await moderatorContext.newPage();
  await moderator.goto("/");
  await moderator.getByRole("link", { name: "Staff" }).filter({ visible: true }).first().click();
  await expect(moderator.getByRole("heading", { name: "Queue" })).toBeVisible();
  const caseId = await caseOf(moderatorContext, postId);
  const row = moderator.locator(`a[data-case-id="${caseId}"]`);
  await expect(row).toContainText(`Post by @${authorName}`);
  await expect(row).toContainText("Spam · 1 reporter");
  expect(await seriousViolations(moderator), "the queue's accessibility").toEqual([]);
  await row.click();
  await expect(moderator).toHaveURL(new RegExp(`/staff/cases/${caseId}$`));
  await expect(moderator.getByText("Cheap followers at spam.example")).toBeVisible();
  await expect(moderator.getByText("The same link under every post")).toBeVisible();
  expect(await seriousViolations(moderator), "the case's accessibility").toEqual([]);
  await moderator.keyboard.press("c"); // claim
  await expect(moderator.getByText("Claimed by you")).toBeVisible();
  await moderator.keyboard.press("r");
  const form = moderator.getByRole("dialog", { name: "Remove" });
  await form.getByLabel("Reason").fill("Spam links");
  await form.getByLabel("Policy").fill("Spam § 2");
  await form.getByRole("button", { name: "Remove…" }).click();
  const confirm = moderator.getByRole("dialog", { name: "Remove?" });
  await expect(confirm).toContainText("will disappear everywhere");
  await confirm.getByRole("button", { name: "Yes, remove" }).click();
  await expect(moderator.getByRole("status").filter({ hasText: "Content removed." })).toBeVisible();
  await expect(moderator.getByText("actioned", { exact: true })).toBeVisible();

  // The reporter hears the outcome, and the post is gone for them.
  await reporter.goto("/notifications");
  await expect(reporter.getByText("Thank you for your report: we reviewed it and took action.")).toBeVisible();
  await expect(reporter.getByText(authorName)).toHaveCount(0);
  await reporter.goto(`/p/${postId}`);
  await expect(reporter.getByRole("heading", { name: "Sorry, this page isn't available." })).toBeVisible();

  await Promise.all([authorContext.close(), reporterContext.close(), moderatorContext.close()]);
});

test("the author appeals, an admin reverses the removal, and the post is back", async ({ browser }, info) => {
  const options = contextOptions(info);
  const [authorContext, reporterContext, moderatorContext, adminContext] = await Promise.all([
    browser.newContext(options),
    browser.newContext(options),
    browser.newContext(options),
    browser.newContext(options),
  ]);
  const authorName = uniqueName("joke", info);
  const reporterName = uniqueName("rep", info);
  const moderatorName = uniqueName("mod", info);
  const adminName = uniqueName("adm", info);
  await signUp(authorContext, authorName);
  await signUp(reporterContext, reporterName);
  createStaff(moderatorName, "moderator");
  createStaff(adminName, "admin");
  await logIn(moderatorContext, moderatorName);
  await logIn(adminContext, adminName);
  const postId = await createPost(authorContext, ["portrait"], "An inside joke between friends");

  // Reported, and removed by the moderator (through the API: the first scenario covers the screens).
  await apiWrite(reporterContext, "post", "/reports", { target: "post", target_id: postId, reason: "harassment", details: "" });
  const caseId = await caseOf(moderatorContext, postId);
  await apiWrite(moderatorContext, "post", `/staff/cases/${caseId}/actions`, {
    action: "remove_content",
    reason: "Looks like harassment",
    policy: "Harassment § 1",
    strike: true,
  });

  // The author is told, finds the action on their account status page and appeals it.
  const author = await authorContext.newPage();
  await author.goto("/notifications");
  const line = author.getByRole("listitem").filter({ hasText: "Your post was removed" });
  await expect(line).toContainText("Looks like harassment");
  await line.getByRole("link", { name: "Details" }).click();
  await expect(author).toHaveURL(/\/accounts\/status$/);
  const strike = author.getByRole("listitem").filter({ hasText: "Content removed" });
  await expect(strike).toContainText("Policy: Harassment § 1");
  expect(await seriousViolations(author), "the account status page's accessibility").toEqual([]);
  await strike.getByRole("button", { name: "Appeal" }).click();
  await author.getByLabel("Why should this be reversed?").fill("It is an inside joke; my friend asked me to post it.");
  await author.getByRole("button", { name: "Send appeal" }).click();
  await expect(author.getByText("Your appeal is waiting for a moderator.")).toBeVisible();

  // The moderator who acted may not decide it; the admin takes it from the Appeals chip and reverses.
  const appealCase = await appealOf(adminContext, authorContext);
  const excluded = await moderatorContext.request.post(`${API}/staff/cases/${appealCase}/claim`, {
    headers: { "X-CSRF-Token": (await moderatorContext.cookies()).find((c) => c.name === "vf_csrf")?.value ?? "" },
  });
  expect(excluded.status()).toBe(409);

  const admin = await adminContext.newPage();
  await reverseAppealInUi(
    admin,
    appealCase,
    authorName,
    ["It is an inside joke", "Looks like harassment"],
    "Context shows a joke between friends",
  );

  // The post is visible again, to the reporter too, and the author hears the decision.
  const reporter = await reporterContext.newPage();
  await reporter.goto(`/p/${postId}`);
  await expect(reporter.getByText("An inside joke between friends").first()).toBeVisible();
  await author.goto("/notifications");
  await expect(author.getByText("Your appeal was accepted: the action was reversed.")).toBeVisible();
  await author.goto("/accounts/status");
  await expect(author.getByText("Your appeal was accepted: the action was reversed.")).toBeVisible();

  await Promise.all([authorContext.close(), reporterContext.close(), moderatorContext.close(), adminContext.close()]);
});

test("a case a keyword rule opened says which rule flagged it, and its score", async ({ browser }, info) => {
  const options = contextOptions(info);
  const [memberContext, moderatorContext] = await Promise.all([browser.newContext(options), browser.newContext(options)]);
  const memberName = uniqueName("flg", info);
  const adminName = uniqueName("adm", info);
  await signUp(memberContext, memberName);
  createStaff(adminName, "admin");
  await logIn(moderatorContext, adminName);
  const pattern = `miracle pills ${memberName}`;
  await apiWrite(moderatorContext, "post", "/staff/rules", { kind: "keyword", pattern, action: "flag" });
  const postId = await createPost(memberContext, ["square"], `Try the ${pattern} today`);

  const caseId = await caseOf(moderatorContext, postId);
  const moderator = await moderatorContext.newPage();
  await moderator.goto(`/staff/cases/${caseId}`);
  const flags = moderator.getByRole("region", { name: "Flagged automatically" });
  await expect(flags).toContainText(`keyword rule “${pattern}” (flag)`);
  await expect(flags).toContainText("score 0.50");
  expect(await seriousViolations(moderator), "the flagged case's accessibility").toEqual([]);

  await Promise.all([memberContext.close(), moderatorContext.close()]);
});

for (const scheme of ["light", "dark"] as const) {
  test(`every staff screen is accessible and captured (${scheme})`, async ({ browser }, info) => {
    const folder = scheme === "light" ? info.project.name : `${info.project.name}-dark`;
    const options = { ...contextOptions(info), colorScheme: scheme };
    const [memberContext, adminContext] = await Promise.all([browser.newContext(options), browser.newContext(options)]);
    const violations = await watchPolicyViolations(adminContext);
    const memberName = uniqueName("shot", info);
    const adminName = uniqueName("adm", info);
    await signUp(memberContext, memberName);
    createStaff(adminName, "admin");
    await logIn(adminContext, adminName);
    const postId = await createPost(memberContext, ["landscape"], "A post for the staff screens");
    await apiWrite(adminContext, "post", "/reports", { target: "post", target_id: postId, reason: "spam", details: "Looks automated" });
    const caseId = await caseOf(adminContext, postId);
    await apiWrite(adminContext, "post", "/staff/rules", { kind: "keyword", pattern: `shots ${memberName}`, action: "flag" });

    const admin = await adminContext.newPage();
    const screens: Array<[string, string]> = [
      ["staff-queue", "/staff"],
      ["staff-case", `/staff/cases/${caseId}`],
      ["staff-account", `/staff/accounts/${memberName}`],
      ["staff-rules", "/staff/rules"],
      ["staff-detection", "/staff/detection"],
      ["staff-roles", "/staff/roles"],
      ["staff-audit", "/staff/audit"],
    ];
    for (const [name, url] of screens) {
      await admin.goto(url);
      await expect(admin.locator("h1").first()).toBeVisible();
      await admin.waitForLoadState("networkidle");
      await admin.screenshot({ path: path.join(shots, folder, `${name}.png`) });
      expect(await seriousViolations(admin), `${name}: serious accessibility violations`).toEqual([]);
    }
    expect(violations, "Content Security Policy violations").toEqual([]);

    // The member's side: a removed post on the account status page, and a sensitive post's warning.
    await apiWrite(adminContext, "post", `/staff/cases/${caseId}/actions`, { action: "mark_sensitive", reason: "Graphic" });
    const member = await memberContext.newPage();
    await member.goto(`/p/${postId}`);
    await expect(member.getByText("Sensitive content")).toBeVisible();
    await member.waitForLoadState("networkidle");
    await member.screenshot({ path: path.join(shots, folder, "sensitive-post.png") });
    expect(await seriousViolations(member), "sensitive post: serious accessibility violations").toEqual([]);
    await member.getByRole("button", { name: "See post" }).click();
    await expect(member.getByText("Sensitive content")).toHaveCount(0);
    await member.goto("/accounts/status");
    await expect(member.getByText("Marked sensitive")).toBeVisible();
    await member.screenshot({ path: path.join(shots, folder, "account-status.png") });
    expect(await seriousViolations(member), "account status: serious accessibility violations").toEqual([]);

    await Promise.all([memberContext.close(), adminContext.close()]);
  });
}
