/** Shared steps of the end-to-end scenarios: accounts, posts made through the API, axe checks. */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import AxeBuilder from "@axe-core/playwright";
import { type APIRequestContext, type BrowserContext, type Page, type TestInfo, expect } from "@playwright/test";

export const fixturesDir = path.resolve(import.meta.dirname, "../test-results/fixtures");
const ROOT = path.resolve(import.meta.dirname, "../..");
export const PASSWORD = "correct horse battery staple 42";
const API = "/api/viewfinder/v1";

/** A username no other test or project uses: prefix + p/d (phone/desktop) + random digits. */
export function uniqueName(prefix: string, info: TestInfo): string {
  const random = Math.floor(Math.random() * 1e8).toString(36);
  return `${prefix}_${info.project.name.slice(0, 1)}${random}`.slice(0, 30);
}

export function fixture(name: "landscape" | "portrait" | "square" | "broken"): string {
  return path.join(fixturesDir, `${name}.jpg`);
}

/** Signs up through the sign-up screen and waits for the home feed. */
export async function signUpInUi(page: Page, username: string): Promise<void> {
  await page.goto("/signup");
  await page.getByLabel("Email").fill(`${username}@example.com`);
  await page.getByLabel("Username").fill(username);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Sign up" }).click();
  await expect(page).toHaveURL(/\/$/);
}

/** Signs up through the API; the browser context shares the session cookie. */
export async function signUp(context: BrowserContext, username: string): Promise<void> {
  const response = await context.request.post(`${API}/accounts/signup`, {
    data: { email: `${username}@example.com`, username, password: PASSWORD },
  });
  expect(response.status(), await response.text()).toBe(201);
}

async function csrf(context: BrowserContext): Promise<string> {
  const cookie = (await context.cookies()).find((c) => c.name === "vf_csrf");
  if (!cookie) throw new Error("no vf_csrf cookie: sign up or log in first");
  return cookie.value;
}

/** Writes to the API as the context's signed-in account. */
export async function apiWrite(
  context: BrowserContext,
  method: "post" | "patch" | "delete" | "put",
  url: string,
  data?: unknown,
): Promise<unknown> {
  const request: APIRequestContext = context.request;
  const response = await request[method](`${API}${url}`, {
    headers: { "X-CSRF-Token": await csrf(context) },
    data: data as object | undefined,
  });
  expect(response.ok(), `${method} ${url}: ${await response.text()}`).toBeTruthy();
  return response.status() === 204 ? null : response.json();
}

/** Uploads photos and publishes a post through the API (waits for processing); returns its id. */
export async function createPost(
  context: BrowserContext,
  photos: Array<"landscape" | "portrait" | "square">,
  caption: string,
): Promise<string> {
  const ids: string[] = [];
  for (const photo of photos) {
    const response = await context.request.post(`${API}/media`, {
      headers: { "X-CSRF-Token": await csrf(context) },
      multipart: {
        file: { name: `${photo}.jpg`, mimeType: "image/jpeg", buffer: readFileSync(fixture(photo)) },
        filter: "normal",
      },
    });
    expect(response.status(), await response.text()).toBe(202);
    ids.push(((await response.json()) as { id: string }).id);
  }
  for (const id of ids) {
    await expect
      .poll(async () => ((await (await context.request.get(`${API}/media/${id}`)).json()) as { state: string }).state, {
        timeout: 30_000,
      })
      .toBe("ready");
  }
  const post = (await apiWrite(context, "post", "/posts", {
    items: ids.map((id, index) => ({ media_id: id, alt_text: `Test photo ${index + 1}` })),
    caption,
  })) as { id: string };
  return post.id;
}

/** Serious and critical axe violations on the page as it is now (WCAG 2.1 A and AA rules). */
export async function seriousViolations(page: Page): Promise<string[]> {
  const results = await new AxeBuilder({ page }).withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]).analyze();
  return results.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => n.target.join(" ")).slice(0, 3).join(" | ")}`);
}

/** The options of this project's pages (size, touch, base URL), for a second person's context. */
export function contextOptions(info: TestInfo) {
  const { baseURL, viewport, isMobile, hasTouch, deviceScaleFactor, colorScheme } = info.project.use;
  return { baseURL, viewport, isMobile, hasTouch, deviceScaleFactor, colorScheme };
}

/** Starts collecting, for every page of the context, what the browser refused under the Content
 * Security Policy (or the Permissions-Policy): `securitypolicyviolation` events and the console errors
 * the browser prints about them. Returns the list it fills; a test expects it to stay empty. */
export async function watchPolicyViolations(context: BrowserContext): Promise<string[]> {
  const found: string[] = [];
  await context.addInitScript(() => {
    document.addEventListener("securitypolicyviolation", (event) => {
      console.error(
        `CSP violation: ${event.effectiveDirective} refused ${event.blockedURI || "inline"} ` +
          `(${event.sourceFile}:${event.lineNumber})`,
      );
    });
  });
  context.on("console", (message) => {
    const text = message.text();
    const where = message.location().url;
    // Playwright's trace recorder (not the app, which fetches no blob:) reads the composer's blob: previews
    // for its snapshots from a script with no URL; the policy refuses it, rightly. Only that is ignored.
    const tracer = /Connecting to 'blob:|CSP violation: connect-src refused blob\S* \(:0\)/.test(text) && !where;
    if (!tracer && /Content Security Policy|CSP violation|Permissions-Policy|Refused to (load|execute|apply|connect)/i.test(text)) {
      found.push(`${where}: ${text}`);
    }
  });
  return found;
}

/** A staff account made at the command line, as an operator does (`viewfinder createuser --role`). */
export function createStaff(username: string, role: "moderator" | "admin" | "community_manager"): void {
  execFileSync(
    path.join(ROOT, ".venv/bin/viewfinder"),
    ["createuser", username, "--email", `${username}@example.com`, "--role", role, "--password-stdin"],
    {
      cwd: ROOT,
      input: `${PASSWORD}\n`,
      env: { ...process.env, VIEWFINDER_ENV: "development", VIEWFINDER_DATA_DIR: "frontend/test-results/e2e-data" },
    },
  );
}

/** Logs the context in through the API (the browser context shares the session cookie). */
export async function logIn(context: BrowserContext, username: string): Promise<void> {
  const response = await context.request.post(`${API}/accounts/login`, { data: { login: username, password: PASSWORD } });
  expect(response.status(), await response.text()).toBe(200);
}

/** A case as the staff queue lists it. */
export type QueueCase = { id: string; target: string; target_id: string; account: { id: string } };

/** The id of the first open case `match` accepts, waiting for it to reach the queue (other scenarios
 * may run beside this one: match on what only this one made). */
export async function findCase(context: BrowserContext, match: (item: QueueCase) => boolean): Promise<string> {
  let found = "";
  await expect
    .poll(async () => {
      const page = (await (await context.request.get(`${API}/staff/cases?limit=100`)).json()) as { items: QueueCase[] };
      found = page.items.find(match)?.id ?? "";
      return found;
    })
    .not.toBe("");
  return found;
}

/** A staff member reverses an appeal from the staff screens: the queue's Appeals chip, the appeal's
 * case (whose panel must show each of `shows`: the appeal's text, the action's reason), "Reverse". */
export async function reverseAppealInUi(
  staff: Page,
  appealCase: string,
  appellant: string,
  shows: string[],
  reason: string,
): Promise<void> {
  await staff.goto("/staff");
  await staff.getByRole("button", { name: "Appeals" }).click();
  const row = staff.locator(`a[data-case-id="${appealCase}"]`);
  await expect(row).toContainText(`Appeal by @${appellant}`);
  await row.click();
  const panel = staff.getByRole("region", { name: "Appeal" });
  for (const text of shows) await expect(panel).toContainText(text);
  await panel.getByLabel("Reverse: undo the action").check();
  await panel.getByLabel("Reason").fill(reason);
  await panel.getByRole("button", { name: "Decide appeal" }).click();
  await expect(panel.getByRole("button", { name: "Decide appeal" })).toHaveCount(0);
  await expect(panel).toContainText("reversed");
}
