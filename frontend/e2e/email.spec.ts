/** Email end to end: the server of the run is `viewfinder serve` in development, which starts its own
 * SMTP server and files every message under its data folder (var/mail/new/); these scenarios read the
 * links there, as a person would in their inbox. */
import { readFileSync, readdirSync } from "node:fs";
import path from "node:path";
import { type Page, expect, test } from "@playwright/test";
import { PASSWORD, seriousViolations, signUpInUi, uniqueName } from "./support";

const MAILDIR = path.resolve(import.meta.dirname, "../test-results/e2e-data/mail/new");
const NEW_PASSWORD = "a brand new passphrase for the e2e run";

/** The text of a message file, quoted-printable soft breaks and escapes undone (good enough for links). */
function decoded(raw: string): string {
  return raw.replace(/=\r?\n/g, "").replace(/=([0-9A-F]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}

function messagesTo(address: string): string[] {
  let names: string[] = [];
  try {
    names = readdirSync(MAILDIR);
  } catch {
    return [];
  }
  return names
    .map((name) => decoded(readFileSync(path.join(MAILDIR, name), "utf8")))
    .filter((text) => new RegExp(`^To: ${address.replace(/[.+]/g, "\\$&")}$`, "mi").test(text));
}

/** The link to `page` in the newest email to `address` whose subject has `subject` (waits for the job). */
async function linkIn(address: string, subject: string, page: string): Promise<string> {
  let link = "";
  await expect
    .poll(
      () => {
        const found = messagesTo(address).filter((text) => text.includes(subject));
        const match = found.at(-1)?.match(new RegExp(`https?://[^\\s"<>]*${page}#token=[A-Za-z0-9_-]+`));
        link = match?.[0] ?? "";
        return link;
      },
      { timeout: 30_000, message: `an email to ${address} about "${subject}"` },
    )
    .not.toBe("");
  return new URL(link).pathname + new URL(link).hash;
}

async function logIn(page: Page, login: string, password: string) {
  await page.goto("/login");
  await page.getByLabel("Username or email").fill(login);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Log in", exact: true }).click();
}

test("sign-up logs in at once, and the emailed link confirms the address", async ({ page }, info) => {
  const name = uniqueName("mailer", info);
  await signUpInUi(page, name);
  const banner = page.getByRole("status", { name: "Confirm your email address" });
  await expect(banner).toContainText(`${name}@example.com`);
  expect(await seriousViolations(page)).toEqual([]);

  await page.goto(await linkIn(`${name}@example.com`, "Confirm your email address", "/accounts/verify-email"));

  await expect(page.getByRole("heading", { name: "Email address confirmed" })).toBeVisible();
  await expect(page).toHaveURL(/\/accounts\/verify-email$/); // the token left the address bar
  await page.goto("/");
  await expect(page.getByRole("link", { name: "Home" }).first()).toBeVisible();
  await expect(banner).toHaveCount(0);
});

test("a forgotten password is reset with the emailed link, and every session ends", async ({ browser, page }, info) => {
  const name = uniqueName("forgetful", info);
  await signUpInUi(page, name);
  const elsewhere = await browser.newContext({ baseURL: info.project.use.baseURL });
  const other = await elsewhere.newPage();

  await other.goto("/login");
  await other.getByRole("link", { name: "Forgot password?" }).click();
  await expect(other).toHaveURL(/\/accounts\/password\/forgot$/);
  await other.getByLabel("Username or email").fill(name);
  await other.getByRole("button", { name: "Send reset link" }).click();
  await expect(other.getByRole("status")).toContainText(`If an account matches ${name}`);
  expect(await seriousViolations(other)).toEqual([]);

  await other.goto(await linkIn(`${name}@example.com`, "Reset your Viewfinder password", "/accounts/password/reset"));
  await other.getByLabel("New password", { exact: true }).fill(NEW_PASSWORD);
  await other.getByRole("button", { name: "Set new password" }).click();
  await expect(other.getByRole("heading", { name: "Password changed" })).toBeVisible();

  // The first browser's session ended with the reset; the old password no longer works, the new one does.
  await page.goto("/settings");
  await expect(page).toHaveURL(/\/login/);
  await logIn(other, name, PASSWORD);
  await expect(other.getByRole("alert")).toContainText("wrong");
  await logIn(other, name, NEW_PASSWORD);
  await expect(other).toHaveURL(/\/$/);
  await elsewhere.close();
});

test("the address changes only when the new one opens its link", async ({ page }, info) => {
  const name = uniqueName("mover", info);
  const moved = `${name}.new@example.com`;
  await signUpInUi(page, name);

  await page.goto("/settings#email");
  const section = page.getByRole("region", { name: "Email address" });
  await section.getByLabel("New email address").fill(moved);
  await section.getByRole("button", { name: "Change email" }).click();
  await expect(section.getByRole("status")).toContainText(`We sent a link to ${moved}`);
  await expect(section).toContainText(`${name}@example.com`);

  await page.goto(await linkIn(moved, "Confirm your new email address", "/accounts/verify-email"));
  await expect(page.getByRole("heading", { name: "Email address changed" })).toBeVisible();
  await page.goto("/settings#email");
  await expect(page.getByRole("region", { name: "Email address" })).toContainText(moved);
  await expect(page.getByRole("region", { name: "Email address" })).toContainText("Confirmed");
});
