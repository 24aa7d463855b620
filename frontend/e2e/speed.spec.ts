/** What a phone downloads (issue 17): the app's script and styles arrive as the build's Brotli copies,
 * cached for good, and the browser runs them (the log-in form renders from the compressed bundle). */
import { expect, test } from "@playwright/test";
import { contextOptions, createPost, signUp, uniqueName } from "./support";

test("the app's script and styles arrive compressed and cached for good", async ({ page }) => {
  const assets: { url: string; encoding?: string; cache?: string; vary?: string }[] = [];
  page.on("response", (response) => {
    if (/\/assets\/index-[^/]+\.(js|css)$/.test(response.url())) {
      const headers = response.headers();
      assets.push({
        url: response.url(),
        encoding: headers["content-encoding"],
        cache: headers["cache-control"],
        vary: headers["vary"],
      });
    }
  });

  await page.goto("/login");
  await expect(page.getByRole("button", { name: "Log in", exact: true })).toBeVisible();

  expect(assets.map((asset) => asset.url.split(".").pop()).sort()).toEqual(["css", "js"]);
  for (const asset of assets) {
    expect(asset.encoding, asset.url).toBe("br");
    expect(asset.cache, asset.url).toBe("public, max-age=31536000, immutable");
    expect(asset.vary, asset.url).toBe("Accept-Encoding");
  }
});

// Issue 17 asks for 100 KB. Splitting the screens by route took the first visit from 138 KB to about 128 KB;
// the rest is React DOM, the router, React Query and the feed's own screens. This guard keeps what
// was won: lower it as the bundle shrinks, never raise it silently.
const FIRST_VISIT_SCRIPT_BUDGET = 130 * 1024;

test("a first visit downloads at most 130 KB of gzipped script", async ({ page, request }) => {
  const scripts = new Set<string>();
  page.on("response", (response) => {
    if (response.request().resourceType() === "script") scripts.add(response.url());
  });
  await page.goto("/explore");
  await page.waitForLoadState("networkidle");

  let gzipped = 0;
  for (const url of scripts) {
    const response = await request.get(url, { headers: { "Accept-Encoding": "gzip" } });
    // Files under 1 KB have no compressed copy: they count as sent.
    expect(response.headers()["content-encoding"] ?? "gzip", url).toBe("gzip");
    gzipped += Number(response.headers()["content-length"]);
  }
  expect(scripts.size).toBeGreaterThan(0);
  expect(gzipped, [...scripts].join(", ")).toBeLessThanOrEqual(FIRST_VISIT_SCRIPT_BUDGET);
});

test("the signed-in home page shows its first post without asking the API, its picture fetched once", async ({
  browser,
}, info) => {
  const context = await browser.newContext(contextOptions(info));
  const name = uniqueName("boot", info);
  await signUp(context, name);
  await createPost(context, ["landscape"], `first screen of ${name}`);
  const page = await context.newPage();
  const api: string[] = [];
  const pictures: string[] = [];
  page.on("request", (request) => {
    const url = new URL(request.url());
    if (url.pathname.startsWith("/api/")) api.push(url.pathname);
    if (url.pathname.startsWith("/media/") && request.resourceType() === "image") pictures.push(url.pathname);
  });

  await page.goto("/");
  const first = page.locator(".feed > article").first();
  await expect(first).toContainText(`first screen of ${name}`);
  await expect(first.locator("img").first()).toHaveJSProperty("complete", true);

  // Who is signed in and the first page came with the HTML (viewfinder/web/boot.py).
  expect(api.filter((path) => /\/accounts\/me$|\/feed$/.test(path))).toEqual([]);
  // The picture was preloaded with the HTML, and the preload and the <img> chose the same rendition:
  // one download, not two (the account's feed holds this one post).
  await expect(page.locator('link[rel="preload"][as="image"]')).toHaveCount(1);
  const shown = new URL(await first.locator("img").first().evaluate((img: HTMLImageElement) => img.currentSrc)).pathname;
  expect(pictures).toEqual([shown]);
  await context.close();
});
