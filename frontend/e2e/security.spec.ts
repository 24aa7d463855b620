/** What the browser is told and what another site can make it do (docs/decisions/0029): the app's
 * pages carry a strict Content Security Policy, the API reference runs from the app's own files, no
 * source map is published, and an attacker's page cannot log a visitor into the attacker's account. */
import { expect, test } from "@playwright/test";
import { PASSWORD, signUp, uniqueName, watchPolicyViolations } from "./support";

test("the app's page carries the security headers", async ({ page }) => {
  const response = await page.goto("/login");
  const headers = response!.headers();
  expect(headers["content-security-policy"]).toContain("script-src 'self';");
  expect(headers["content-security-policy"]).not.toContain("unsafe-inline");
  expect(headers["content-security-policy"]).toContain("frame-ancestors 'none'");
  expect(headers["x-frame-options"]).toBe("DENY");
  expect(headers["x-content-type-options"]).toBe("nosniff");
  expect(headers["referrer-policy"]).toBe("strict-origin-when-cross-origin");
  expect(headers["cross-origin-opener-policy"]).toBe("same-origin");
  const me = await page.request.get("/api/viewfinder/v1/accounts/me");
  expect(me.headers()["cache-control"]).toBe("no-store");
});

test("the API reference runs from this instance's own files, under its policy", async ({ page, context, baseURL }) => {
  const violations = await watchPolicyViolations(context);
  const elsewhere: string[] = [];
  page.on("request", (request) => {
    if (!request.url().startsWith(`${baseURL}/`) && !request.url().startsWith("data:")) elsewhere.push(request.url());
  });
  const failed: string[] = [];
  page.on("response", (response) => {
    if (response.status() >= 400) failed.push(`${response.status()} ${response.url()}`);
  });

  await page.goto("/api/viewfinder/v1/docs");
  // The first read of the OpenAPI document builds it, and the bundle is 1.7 MB: give it time.
  await expect(page.getByRole("heading", { name: /^Viewfinder.*OAS 3/ })).toBeVisible({ timeout: 60_000 });
  await page.locator(".opblock-summary").first().click();
  await expect(page.locator(".opblock-body").first()).toBeVisible();
  await page.waitForLoadState("networkidle");

  expect(elsewhere, "requests to other origins").toEqual([]);
  expect(failed, "failed requests").toEqual([]);
  expect(violations, "Content Security Policy violations").toEqual([]);
});

test("no source map is published", async ({ page, request }) => {
  await page.goto("/login");
  const scripts = await page.locator("script[src]").evaluateAll((tags) => tags.map((tag) => (tag as HTMLScriptElement).src));
  expect(scripts.length).toBeGreaterThan(0);
  for (const src of scripts) {
    const script = await request.get(src);
    expect(script.status()).toBe(200);
    expect(await script.text()).not.toContain("sourceMappingURL");
    expect((await request.get(`${src}.map`)).status()).toBe(404);
  }
});

test("an attacker's page cannot log a visitor into the attacker's account", async ({ browser, page, context, baseURL }, info) => {
  // The attacker's account, and a page of theirs on another site with a form that auto-submits a
  // text/plain body that is JSON: {"login":"<attacker>","password":"...","x":"="}.
  const attacker = uniqueName("mallory", info);
  const attackerContext = await browser.newContext();
  await signUp(attackerContext, attacker);
  await attackerContext.close();
  const login = new URL("/api/viewfinder/v1/accounts/login", baseURL);
  const name = `{"login":"${attacker}","password":"${PASSWORD}","x":"`;
  const evil = `<!doctype html><title>Win a prize</title>
    <form id="f" method="post" enctype="text/plain" action="${login.href}">
      <input type="hidden" name='${name}' value='"}'>
    </form>
    <script>document.getElementById("f").submit()</script>`;
  await page.route("http://attacker.example/**", (route) => route.fulfill({ contentType: "text/html", body: evil }));

  const refused = page.waitForResponse((response) => response.url() === login.href);
  await page.goto("http://attacker.example/prize");
  const response = await refused;

  expect(response.status()).toBe(403);
  expect(await response.json()).toMatchObject({ error: { code: "cross_site_request" } });
  expect((await context.cookies()).map((cookie) => cookie.name)).not.toContain("vf_session");
  const me = await context.request.get("/api/viewfinder/v1/accounts/me");
  expect(me.status()).toBe(401);
});
