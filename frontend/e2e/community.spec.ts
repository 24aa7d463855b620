/** Announcements and featured accounts end to end (issue 14, community manager): a community manager
 * publishes an announcement from the staff screens, a member sees it above the home feed and dismisses
 * it, and it stays dismissed after a reload; the manager features an account and a member finds it in
 * Explore's "Featured" row and follows it; a moderator has no Announcements screen. Staff accounts are
 * made as an operator makes them (`viewfinder createuser --role`). Other scenarios run beside these:
 * each one matches only what it made, and takes its announcement and featured account away at the end. */
import path from "node:path";
import { type Browser, type BrowserContext, type Page, type TestInfo, expect, test } from "@playwright/test";
import { contextOptions, createStaff, logIn, seriousViolations as violationsNow, signUp, uniqueName } from "./support";

const API = "/api/viewfinder/v1";
const shots = path.resolve(import.meta.dirname, "../screenshots");

/** A screenshot for people to look at: screenshots/<project>/<name>.png (ignored by git). */
async function capture(page: Page, info: TestInfo, name: string): Promise<void> {
  await page.screenshot({ path: path.join(shots, info.project.name, `${name}.png`) });
}

/** A datetime-local value (the browser's and this process's local time) `hours` from now. */
function localIn(hours: number): string {
  const date = new Date(Date.now() + hours * 3600_000);
  const pad = (value: number) => String(value).padStart(2, "0");
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

/** Serious axe violations of the page as it is, in the light and the dark colour scheme. */
async function seriousViolations(page: Page): Promise<string[]> {
  const found: string[] = [];
  for (const colorScheme of ["light", "dark"] as const) {
    await page.emulateMedia({ colorScheme });
    found.push(...(await violationsNow(page)).map((violation) => `${colorScheme}: ${violation}`));
  }
  await page.emulateMedia({ colorScheme: null });
  return found;
}

/** Opens the first staff screen from the Staff entry (side navigation, or the phone's top bar). */
async function openStaff(page: Page): Promise<void> {
  await page.goto("/");
  await page.getByRole("link", { name: "Staff" }).filter({ visible: true }).first().click();
}

/** A browser context logged in as a new community manager. */
async function managerContext(browser: Browser, info: TestInfo): Promise<BrowserContext> {
  const context = await browser.newContext(contextOptions(info));
  const name = uniqueName("cm", info);
  createStaff(name, "community_manager");
  await logIn(context, name);
  return context;
}

/** The id of this scenario's announcement (the staff list, newest first). */
async function announcementId(context: BrowserContext, text: string): Promise<string> {
  const page = (await (await context.request.get(`${API}/staff/announcements?limit=100`)).json()) as {
    items: Array<{ id: string; text: string }>;
  };
  const found = page.items.find((item) => item.text === text);
  if (!found) throw new Error(`no announcement "${text}"`);
  return found.id;
}

test("a community manager publishes an announcement; a member dismisses it and it stays dismissed", async ({ browser }, info) => {
  const manager = await managerContext(browser, info);
  const memberContext = await browser.newContext(contextOptions(info));
  await signUp(memberContext, uniqueName("mem", info));
  const text = `Photo walk on Saturday (${uniqueName("walk", info)}): details at https://walk.example/saturday`;

  // The Staff entry of a community manager opens Announcements; it has Featured beside it and nothing else.
  const staff = await manager.newPage();
  await openStaff(staff);
  await expect(staff).toHaveURL(/\/staff\/announcements$/);
  await expect(staff.getByRole("heading", { name: "Announcements", level: 1 })).toBeVisible();
  const staffNav = staff.getByRole("navigation", { name: "Staff" });
  await expect(staffNav.getByRole("link")).toHaveText(["Announcements", "Featured"]);

  const form = staff.getByRole("form", { name: "New announcement" });
  await staff.keyboard.press("n");
  await expect(form.getByLabel("Text")).toBeFocused();
  await staff.keyboard.type(text);
  await form.getByLabel("Ends (optional)").fill(localIn(48));
  await form.getByLabel(/Publish now/).check();
  await form.getByRole("button", { name: "Publish announcement" }).click();
  await expect(form.getByRole("status")).toHaveText("Announcement published.");
  const row = staff.getByRole("list", { name: "Announcements" }).getByRole("listitem").filter({ hasText: text });
  await expect(row).toContainText("Active");
  await expect(row).toContainText("Until");
  expect(await seriousViolations(staff), "the announcements screen's accessibility").toEqual([]);
  await capture(staff, info, "staff-announcements");

  // The member sees it above the feed, with its address as a link, and dismisses it.
  const member = await memberContext.newPage();
  await member.goto("/");
  const strip = member.getByRole("region", { name: "Announcements" });
  const item = strip.getByRole("listitem").filter({ hasText: text });
  await expect(item).toBeVisible();
  await expect(item.getByRole("link", { name: "https://walk.example/saturday" })).toHaveAttribute("href", "https://walk.example/saturday");
  expect(await seriousViolations(member), "the home feed's accessibility with an announcement").toEqual([]);
  await capture(member, info, "home-announcement");
  const dismissed = member.waitForResponse((response) => response.url().endsWith("/read") && response.request().method() === "POST");
  await item.getByRole("button", { name: /^Dismiss announcement/ }).click();
  expect((await dismissed).status()).toBe(204);
  await expect(member.getByText(text)).toHaveCount(0);

  await member.reload();
  await expect(member.getByRole("tab", { name: "Following" })).toBeVisible();
  await member.waitForLoadState("networkidle");
  await expect(member.getByText(text)).toHaveCount(0);

  // Unpublished, it leaves the members' list (checked through the API), then deleted with a confirmation.
  await row.getByRole("button", { name: /^Unpublish/ }).click();
  await expect(row).toContainText("Draft");
  const id = await announcementId(manager, text);
  const active = (await (await memberContext.request.get(`${API}/announcements`)).json()) as { items: Array<{ id: string }> };
  expect(active.items.map((each) => each.id)).not.toContain(id);
  await row.getByRole("button", { name: /^Delete/ }).click();
  await staff.getByRole("dialog", { name: "Delete announcement?" }).getByRole("button", { name: "Delete announcement" }).click();
  await expect(row).toHaveCount(0);

  await Promise.all([manager.close(), memberContext.close()]);
});

test("a community manager features an account and a member finds it on Explore", async ({ browser }, info) => {
  const manager = await managerContext(browser, info);
  const [featuredContext, memberContext] = await Promise.all([browser.newContext(contextOptions(info)), browser.newContext(contextOptions(info))]);
  const featuredName = uniqueName("feat", info);
  await signUp(featuredContext, featuredName);
  await signUp(memberContext, uniqueName("mem", info));
  const note = `Long exposures at night ${featuredName}`;

  const staff = await manager.newPage();
  await staff.goto("/staff/featured");
  await expect(staff.getByRole("heading", { name: "Featured accounts", level: 1 })).toBeVisible();
  const form = staff.getByRole("form", { name: "Feature an account" });
  // An unknown account is refused next to the username.
  await form.getByLabel("Username").fill(`${featuredName}x`);
  await form.getByRole("button", { name: "Feature account" }).click();
  await expect(form.getByLabel("Username")).toHaveAttribute("aria-invalid", "true");
  await form.getByLabel("Username").fill(`@${featuredName}`);
  await form.getByLabel(/^Note/).fill(note);
  await form.getByRole("button", { name: "Feature account" }).click();
  await expect(form.getByRole("status")).toHaveText(`@${featuredName} is featured.`);
  const row = staff.getByRole("listitem", { name: `@${featuredName}` });
  await expect(row).toContainText(note);
  expect(await seriousViolations(staff), "the featured accounts screen's accessibility").toEqual([]);
  await capture(staff, info, "staff-featured");

  // The member finds it in Explore's Featured row, with its note, and follows it from there.
  const member = await memberContext.newPage();
  await member.goto("/explore");
  const card = member.getByRole("region", { name: "Featured" }).getByRole("listitem").filter({ hasText: featuredName });
  await expect(card).toContainText(note);
  expect(await seriousViolations(member), "Explore's accessibility with the Featured row").toEqual([]);
  await capture(member, info, "explore-featured");
  await card.getByRole("button", { name: "Follow" }).click();
  await expect(card.getByRole("button", { name: "Following" })).toBeVisible();

  // The note is edited by keyboard, then the account is removed (confirmed) and leaves Explore.
  await row.getByRole("button", { name: `Edit note for @${featuredName}` }).click();
  const noteField = row.getByRole("textbox", { name: `Note for @${featuredName}` });
  await expect(noteField).toBeFocused();
  await noteField.fill(`${note}, edited`);
  await noteField.press("Enter");
  await expect(row).toContainText(`${note}, edited`);
  await row.getByRole("button", { name: `Remove @${featuredName}` }).click();
  await staff.getByRole("dialog", { name: "Stop featuring?" }).getByRole("button", { name: "Remove from featured" }).click();
  await expect(row).toHaveCount(0);
  await member.reload();
  await expect(member.getByRole("heading", { name: "Explore", level: 1 })).toBeAttached();
  await member.waitForLoadState("networkidle");
  await expect(member.getByText(note)).toHaveCount(0);

  await Promise.all([manager.close(), featuredContext.close(), memberContext.close()]);
});

test("a moderator has no Announcements or Featured screen", async ({ browser }, info) => {
  const context = await browser.newContext(contextOptions(info));
  const name = uniqueName("mod", info);
  createStaff(name, "moderator");
  await logIn(context, name);
  const page = await context.newPage();
  await openStaff(page);
  await expect(page.getByRole("heading", { name: "Queue" })).toBeVisible();
  const staffNav = page.getByRole("navigation", { name: "Staff" });
  await expect(staffNav.getByRole("link")).toHaveText(["Queue"]);
  await page.goto("/staff/announcements");
  await expect(page.getByRole("heading", { name: "No access" })).toBeVisible();
  await expect(page.getByRole("form", { name: "New announcement" })).toHaveCount(0);
  // The API says no too.
  const refused = await context.request.get(`${API}/staff/announcements`);
  expect(refused.status()).toBe(403);
  await page.goto("/staff/featured");
  await expect(page.getByRole("heading", { name: "No access" })).toBeVisible();
  await context.close();
});
