/** A first visit (issue 17): `/` is a landing page with the ways in and recent public posts; sign-up asks a name and lets you check the password typed; a shared post
 * or profile link carries its preview in the HTML a chat app or crawler reads; robots.txt keeps
 * crawlers to public pages and names the sitemap of public accounts. */
import { expect, test } from "@playwright/test";
import { PASSWORD, apiWrite, contextOptions, createPost, seriousViolations, uniqueName } from "./support";

test("sign-up asks a name and shows the password on request", async ({ page }, info) => {
  const username = uniqueName("newcomer", info);
  await page.goto("/signup");
  await page.getByLabel("Email").fill(`${username}@example.com`);
  await page.getByLabel("Full name").fill("New Comer");
  await page.getByLabel("Username").fill(username);
  const password = page.getByLabel("Password");
  await password.fill(PASSWORD);
  await page.getByRole("button", { name: "Show" }).click();
  await expect(password).toHaveAttribute("type", "text");
  await page.screenshot({ path: info.outputPath("signup-password-shown.png") });
  expect(await seriousViolations(page)).toEqual([]);
  await page.getByRole("button", { name: "Hide" }).click();
  await expect(password).toHaveAttribute("type", "password");
  await page.getByRole("button", { name: "Sign up" }).click();
  await expect(page).toHaveURL(/\/$/);

  await page.goto(`/${username}`);
  await expect(page.getByText("New Comer").first()).toBeVisible();
});

test("a shared post's and profile's links carry their preview; robots.txt names the sitemap", async ({
  context,
  request,
}, info) => {
  const username = uniqueName("sharer", info);
  const signup = await context.request.post("/api/viewfinder/v1/accounts/signup", {
    data: { email: `${username}@example.com`, username, password: PASSWORD, display_name: "Sharer" },
  });
  expect(signup.status(), await signup.text()).toBe(201);
  const postId = await createPost(context, ["landscape"], "Sunset over the harbour");

  // What a link-preview fetcher gets: no cookies, no JavaScript.
  const html = await (await request.get(`/p/${postId}`)).text();
  expect(html).toContain("<title>Sharer on Viewfinder: “Sunset over the harbour”</title>");
  expect(html).toContain('<meta property="og:description" content="Sunset over the harbour">');
  const image = html.match(/<meta property="og:image" content="([^"]+)">/)?.[1];
  expect(image).toBeTruthy();
  const photo = await request.get(image!.replace(/&amp;/g, "&"));
  expect(photo.status()).toBe(200);
  expect(photo.headers()["content-type"]).toBe("image/jpeg");
  const profile = await (await request.get(`/${username}`)).text();
  expect(profile).toContain(`<title>Sharer (@${username}) • Viewfinder</title>`);

  const robots = await (await request.get("/robots.txt")).text();
  expect(robots).toContain("Disallow: /api/");
  const sitemap = robots.match(/^Sitemap: (.+)$/m)?.[1];
  expect(sitemap).toBeTruthy();
  const index = await (await request.get(new URL(sitemap!).pathname)).text();
  const first = index.match(/<loc>([^<]+)<\/loc>/)?.[1];
  const listed = await (await request.get(new URL(first!).pathname)).text();
  expect(listed).toContain(`/${username}</loc>`);
});

test("a signed-out visitor can join from any public page and come back to it", async ({ browser, context }, info) => {
  const username = uniqueName("host", info);
  const signup = await context.request.post("/api/viewfinder/v1/accounts/signup", {
    data: { email: `${username}@example.com`, username, password: PASSWORD },
  });
  expect(signup.status(), await signup.text()).toBe(201);
  const postId = await createPost(context, ["square"], "Only for my followers");
  await apiWrite(context, "patch", "/accounts/me", { is_private: true });

  const visitor = await browser.newContext(contextOptions(info));
  const page = await visitor.newPage();
  await page.goto(`/${username}`);
  const bar = page.getByRole("complementary", { name: "Join Viewfinder" });
  await expect(bar).toBeVisible();
  await page.screenshot({ path: info.outputPath("visitor-profile.png") });

  await page.goto(`/p/${postId}`);
  await expect(page.getByRole("heading", { name: "Log in to see this post" })).toBeVisible();
  expect(await seriousViolations(page)).toEqual([]);
  await page.getByRole("main").getByRole("link", { name: "Sign up" }).click();
  await expect(page).toHaveURL(new RegExp(`/signup\\?next=%2Fp%2F${postId}$`));
  await visitor.close();
});

test("a visitor at / gets the landing page, and the feed once signed in", async ({ page }, info) => {
  await page.goto("/");
  await expect(page.getByRole("heading", { level: 1, name: "Viewfinder" })).toBeVisible();
  const grid = page.getByRole("list", { name: "Recent public posts" });
  await expect(grid.getByRole("link").first()).toBeVisible();
  expect(await grid.getByRole("link").count()).toBeLessThanOrEqual(9);
  await expect(page.getByRole("complementary", { name: "Join Viewfinder" })).toHaveCount(0);
  expect(await seriousViolations(page)).toEqual([]);
  await page.screenshot({ path: info.outputPath("landing.png") });

  const username = uniqueName("lander", info);
  await page.getByRole("main").getByRole("link", { name: "Create an account" }).click();
  await page.getByLabel("Email").fill(`${username}@example.com`);
  await page.getByLabel("Username").fill(username);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Sign up" }).click();
  await expect(page).toHaveURL(/\/$/);
  await expect(page.getByRole("tab", { name: "Following" })).toBeVisible();
  await expect(page.getByRole("link", { name: "Create an account" })).toHaveCount(0);
});

test("the app is installable, and its worker keeps the offline page for when a page cannot load", async ({ browser }, info) => {
  const context = await browser.newContext(contextOptions(info));
  const page = await context.newPage();
  await page.goto("/explore");
  await expect(page.locator('link[rel="manifest"]')).toHaveAttribute("href", "/manifest.webmanifest");
  const manifest = await (await context.request.get("/manifest.webmanifest")).json();
  expect(manifest.display).toBe("standalone");
  // The service worker takes charge of the open page (clients.claim) once it is active.
  await expect.poll(() => page.evaluate(() => navigator.serviceWorker.controller !== null), { timeout: 15_000 }).toBe(true);

  // What it answers a page with when the network fails (Playwright's offline mode does not reach a
  // service worker's own fetches, microsoft/playwright#2311, so the cache is read directly).
  const kept = await page.evaluate(async () => (await (await caches.match("/offline.html"))?.text()) ?? "");
  expect(kept).toContain("You're offline");
  await page.goto("/offline.html");
  await expect(page.getByRole("heading", { name: "You're offline" })).toBeVisible();
  expect(await seriousViolations(page)).toEqual([]);
  await page.screenshot({ path: info.outputPath("offline.png") });
  await page.getByRole("link", { name: "Try again" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Viewfinder" })).toBeVisible();
  await context.close();
});
