/** Every main screen, at both sizes: no serious or critical axe violation, and a screenshot in
 * screenshots/<project>/<screen>.png (light) and screenshots/<project>-dark/ (dark) for people to look at. */
import path from "node:path";
import { type Page, expect, test } from "@playwright/test";
import { apiWrite, contextOptions, createPost, seriousViolations, signUp, uniqueName, watchPolicyViolations } from "./support";

const shots = path.resolve(import.meta.dirname, "../screenshots");

async function check(page: Page, project: string, name: string) {
  await expect(page.locator("h1").first()).toBeVisible();
  // Let lazy images and fonts settle so the screenshot shows what a person sees.
  await page.waitForLoadState("networkidle");
  await page.screenshot({ path: path.join(shots, project, `${name}.png`), fullPage: false });
  expect(await seriousViolations(page), `${name}: serious accessibility violations`).toEqual([]);
}

for (const scheme of ["light", "dark"] as const) {
  test(`every main screen is accessible and captured (${scheme})`, async ({ browser }, info) => {
    test.setTimeout(180_000);
    const folder = scheme === "light" ? info.project.name : `${info.project.name}-dark`;
    const context = await browser.newContext({ ...contextOptions(info), colorScheme: scheme });
    // Every screen runs under the app's Content Security Policy without the browser refusing anything.
    const violations = await watchPolicyViolations(context);
    const page = await context.newPage();

    await page.goto("/");
    await expect(page.getByRole("list", { name: "Recent public posts" })).toBeVisible();
    await check(page, folder, "landing");
    await page.goto("/login");
    await check(page, folder, "login");
    await page.goto("/signup");
    await check(page, folder, "signup");

    const me = uniqueName("axe", info);
    const friend = uniqueName("pal", info);
    const friendContext = await browser.newContext(contextOptions(info));
    await signUp(friendContext, friend);
    await apiWrite(friendContext, "patch", "/accounts/me", { is_private: true });
    await signUp(context, me);
    const postId = await createPost(context, ["landscape", "portrait"], "Screens everywhere #e2escreens");
    await apiWrite(friendContext, "post", `/users/${me}/follow`);
    await apiWrite(friendContext, "post", `/posts/${postId}/like`);
    await apiWrite(friendContext, "post", `/posts/${postId}/comments`, { text: "Nice one @" + me });
    await apiWrite(context, "post", `/posts/${postId}/save`);
    await apiWrite(context, "post", `/users/${friend}/follow`);

    const screens: Array<[string, string]> = [
      ["home", "/"],
      ["create", "/create"],
      ["post", `/p/${postId}`],
      ["profile", `/${me}`],
      ["followers", `/${me}/followers`],
      ["private-profile", `/${friend}`],
      ["edit-profile", "/accounts/edit"],
      ["explore", "/explore"],
      ["hashtag", "/tags/e2escreens"],
      ["search", `/search?q=${me.slice(0, 4)}`],
      ["notifications", "/notifications"],
      ["requests", "/requests"],
      ["saved", "/saved"],
      ["settings", "/settings"],
    ];
    for (const [name, url] of screens) {
      await page.goto(url);
      await check(page, folder, name);
    }
    expect(violations, "Content Security Policy violations").toEqual([]);
    await friendContext.close();
    await context.close();
  });
}

test("deep links load the app and unknown pages say so", async ({ page }) => {
  await page.goto("/no/such/page/here");
  await expect(page.getByText("Sorry, this page isn't available.")).toBeVisible();
  const api = await page.request.get("/api/viewfinder/v1/no-such-endpoint");
  expect(api.status()).toBe(404);
  expect(await api.json()).toMatchObject({ error: { code: "not_found" } });
});
