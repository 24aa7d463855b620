/** A banned account's standing end to end (issue 14: "the affected user … can appeal once per action"):
 * a moderator bans an account; its owner tries to log in, is shown why and the strike, and appeals
 * from the log-in screen (a standing token, no session); a different staff member (an admin) reverses
 * the ban from the staff screens; the owner logs in. Staff accounts are made with
 * `viewfinder createuser --role`, as an operator makes them. */
import path from "node:path";
import { type Page, expect, test } from "@playwright/test";
import {
  PASSWORD,
  apiWrite,
  contextOptions,
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

async function logInInUi(page: Page, username: string): Promise<void> {
  await page.goto("/login");
  await page.getByLabel("Username or email").fill(username);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Log in", exact: true }).click();
}

test("a banned account sees why, appeals, an admin reverses the ban, and it logs in", async ({ browser }, info) => {
  const options = contextOptions(info);
  const [memberContext, reporterContext, moderatorContext, adminContext] = await Promise.all([
    browser.newContext(options),
    browser.newContext(options),
    browser.newContext(options),
    browser.newContext(options),
  ]);
  const violations = await watchPolicyViolations(memberContext);
  const memberName = uniqueName("ban", info);
  const reporterName = uniqueName("rep", info);
  const moderatorName = uniqueName("mod", info);
  const adminName = uniqueName("adm", info);
  await signUp(memberContext, memberName);
  await signUp(reporterContext, reporterName);
  createStaff(moderatorName, "moderator");
  createStaff(adminName, "admin");
  await logIn(moderatorContext, moderatorName);
  await logIn(adminContext, adminName);
  const memberId = ((await (await memberContext.request.get(`${API}/accounts/me`)).json()) as { profile: { id: string } }).profile.id;

  // Reported, and banned by the moderator (through the API: the moderation scenarios cover those screens).
  await apiWrite(reporterContext, "post", "/reports", { target: "user", target_id: memberId, reason: "spam", details: "" });
  const caseId = await findCase(moderatorContext, (item) => item.target === "user" && item.target_id === memberId);
  await apiWrite(moderatorContext, "post", `/staff/cases/${caseId}/actions`, {
    action: "ban",
    reason: "Spam across many posts",
    policy: "Spam § 1",
    strike: true,
  });

  // The member's log-in is refused; the screen says why, lists the strike and takes an appeal.
  await memberContext.clearCookies();
  const member = await memberContext.newPage();
  await logInInUi(member, memberName);
  await expect(member.getByRole("heading", { name: "Your account has been banned" })).toBeVisible();
  const strikes = member.getByRole("list", { name: "Actions against your account" });
  const strike = strikes.getByRole("listitem").filter({ hasText: "Account banned" });
  await expect(strike).toContainText("Spam across many posts");
  await expect(strike).toContainText("Policy: Spam § 1");
  await member.waitForLoadState("networkidle");
  await member.screenshot({ path: path.join(shots, info.project.name, "account-standing.png") });
  expect(await seriousViolations(member), "the standing screen's accessibility").toEqual([]);
  await strike.getByRole("button", { name: "Appeal" }).click();
  await member.getByLabel("Why should this be reversed?").fill("Those were links to my own shop; I will stop.");
  await member.getByRole("button", { name: "Send appeal" }).click();
  await expect(strike).toContainText("Your appeal is waiting for a moderator.");
  await expect(strike.getByRole("button", { name: "Appeal" })).toHaveCount(0);
  // Memory only: the standing token is nowhere in the browser's storage.
  const stored = await member.evaluate(() => JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage }));
  expect(stored).not.toMatch(/standing|token/i);
  expect(violations, "Content Security Policy violations").toEqual([]);

  // A different staff member (the admin) finds the appeal under the Appeals chip and reverses the ban.
  const appealCase = await findCase(adminContext, (item) => item.target === "appeal" && item.account.id === memberId);
  const admin = await adminContext.newPage();
  await reverseAppealInUi(
    admin,
    appealCase,
    memberName,
    ["links to my own shop", "Spam across many posts"],
    "First offence, and the account owner explained",
  );

  // The member goes back to the log-in form and logs in.
  await member.getByRole("button", { name: "Back to log in" }).click();
  await logInInUi(member, memberName);
  await expect(member).toHaveURL(/\/$/);
  await expect(member.getByRole("heading", { name: "Your account has been banned" })).toHaveCount(0);
  const me = await member.request.get(`${API}/accounts/me`);
  expect(me.status()).toBe(200);

  await Promise.all([memberContext.close(), reporterContext.close(), moderatorContext.close(), adminContext.close()]);
});
