/** What a phone downloads (issue 17): the app's script and styles arrive as the build's Brotli copies,
 * cached for good, and the browser runs them (the log-in form renders from the compressed bundle). */
import { expect, test } from "@playwright/test";

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
