/** Passkeys in a real browser: Chromium's virtual authenticator (DevTools protocol, WebAuthn domain) makes
 * a passkey in Settings, then logs in with it alone and as the second step after the password.
 *
 * WebAuthn refuses an IP address as the relying party, and the other scenarios' server answers on
 * 127.0.0.1, so this one starts a server of its own whose public URL is http://localhost:<port> (a
 * fresh data folder, the built app), for the desktop project only. */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { mkdirSync, rmSync } from "node:fs";
import path from "node:path";
import { expect, test } from "@playwright/test";
import { PASSWORD, uniqueName } from "./support";

const ROOT = path.resolve(import.meta.dirname, "../..");
const PORT = Number(process.env.E2E_PASSKEY_PORT ?? 8791);
const ORIGIN = `http://localhost:${PORT}`;

test.describe.configure({ mode: "serial" });

let server: ChildProcess | undefined;

test.beforeAll(async ({}, info) => {
  test.skip(info.project.name !== "desktop", "the scenario needs its own server; one browser size is enough");
  test.setTimeout(120_000);
  const data = path.join(ROOT, "frontend/test-results/e2e-passkeys-data");
  rmSync(data, { recursive: true, force: true });
  mkdirSync(data, { recursive: true });
  const env = {
    ...process.env,
    VIEWFINDER_ENV: "development",
    VIEWFINDER_DEBUG: "true",
    VIEWFINDER_DATA_DIR: data,
    VIEWFINDER_PUBLIC_URL: ORIGIN,
    VIEWFINDER_WEB_DIR: "frontend/dist",
    VIEWFINDER_ACCESS_LOG: "false",
    VIEWFINDER_SIGNUP_LIMIT_PER_IP: "10000",
  };
  execFileSync(".venv/bin/viewfinder", ["migrate"], { cwd: ROOT, env, stdio: "ignore" });
  server = spawn(".venv/bin/viewfinder", ["serve", "--host", "127.0.0.1", "--port", String(PORT)], {
    cwd: ROOT,
    env,
    detached: true, // its own process group: the web workers and the job consumer stop with it
    stdio: "ignore",
  });
  for (let tries = 0; tries < 240; tries += 1) {
    try {
      if ((await fetch(`http://127.0.0.1:${PORT}/readyz`)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  throw new Error(`the passkey scenario's server did not start on port ${PORT}`);
});

test.afterAll(() => {
  if (server?.pid) process.kill(-server.pid, "SIGTERM");
});

test("a passkey made in Settings logs in on its own and as the second step", async ({ page, context }, info) => {
  const cdp = await context.newCDPSession(page);
  await cdp.send("WebAuthn.enable");
  const { authenticatorId } = await cdp.send("WebAuthn.addVirtualAuthenticator", {
    options: {
      protocol: "ctap2",
      transport: "internal",
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
      automaticPresenceSimulation: true,
    },
  });
  const username = uniqueName("passkey", info);

  await page.goto(`${ORIGIN}/signup`);
  await page.getByLabel("Email").fill(`${username}@example.com`);
  await page.getByLabel("Username").fill(username);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Sign up" }).click();
  await expect(page).toHaveURL(`${ORIGIN}/`);

  // Settings → Passkeys: the virtual authenticator makes it; the first one comes with recovery codes.
  await page.goto(`${ORIGIN}/settings#passkeys`);
  await page.getByLabel("Passkey name").fill("Virtual key");
  await page.getByRole("button", { name: "Add a passkey" }).click();
  const codes = page.getByRole("list", { name: "Recovery codes" });
  await expect(codes).toBeVisible();
  await expect(codes.getByRole("listitem")).toHaveCount(10);
  await page.getByRole("button", { name: "I've saved them" }).click();
  await expect(page.getByRole("list", { name: "Your passkeys" }).getByText("Virtual key")).toBeVisible();
  const { credentials } = await cdp.send("WebAuthn.getCredentials", { authenticatorId });
  expect(credentials.map((c) => [c.rpId, c.isResidentCredential])).toEqual([["localhost", true]]);

  // Password-less: "Log in with a passkey".
  await context.clearCookies();
  await page.goto(`${ORIGIN}/login`);
  await page.getByRole("button", { name: "Log in with a passkey" }).click();
  await expect(page).toHaveURL(`${ORIGIN}/`);
  const me = await page.request.get(`${ORIGIN}/api/viewfinder/v1/accounts/me`);
  expect(((await me.json()) as { profile: { username: string } }).profile.username).toBe(username);

  // With the password, the passkey is the second step.
  await context.clearCookies();
  await page.goto(`${ORIGIN}/login`);
  await page.getByLabel("Username or email").fill(username);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Log in", exact: true }).click();
  await expect(page.getByRole("heading", { name: "Two-factor authentication", exact: true })).toBeVisible();
  await page.getByRole("button", { name: "Use a passkey" }).click();
  await expect(page).toHaveURL(`${ORIGIN}/`);
});
