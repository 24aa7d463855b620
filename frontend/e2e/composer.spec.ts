/** The composer as a phone app does it (issue 17), at both sizes: framing by zoom and drag, a quarter
 * turn and an adjustment reach the server's renditions; Back with a draft asks before discarding;
 * the shared post opens at its top. */
import { type Page, type TestInfo, expect, test } from "@playwright/test";
import { contextOptions, fixture, signUp, uniqueName } from "./support";

const API = "/api/viewfinder/v1";

/** On a phone the composer is full-screen steps; wider screens show every control at once. */
async function next(page: Page, info: TestInfo) {
  if (info.project.name === "phone") await page.getByRole("button", { name: "Next", exact: true }).click();
}

test("a photo zoomed, dragged, turned and brightened is shared as the preview showed it", async ({ browser }, info) => {
  const context = await browser.newContext(contextOptions(info));
  const name = uniqueName("framer", info);
  await signUp(context, name);
  const page = await context.newPage();
  await page.goto("/create");
  await page.getByLabel("Add photos and videos").setInputFiles([fixture("landscape")]);
  await next(page, info);

  const frame = page.getByRole("group", { name: "Crop of item 1" });
  await expect(frame).toBeVisible();
  await page.getByText("1:1", { exact: true }).click();
  const box = (await frame.boundingBox())!;
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  await page.mouse.wheel(0, -400); // zoom in
  await page.mouse.down();
  await page.mouse.move(box.x + box.width / 2 + 40, box.y + box.height / 2, { steps: 5 });
  await page.mouse.up();
  await page.getByRole("button", { name: "Rotate" }).click();
  await page.getByRole("tab", { name: "Adjust" }).click();
  await page.getByLabel("Brightness", { exact: true }).fill("30");
  await next(page, info);
  await page.getByLabel("Caption").fill(`framed by ${name}`);

  await page.getByRole("button", { name: "Share" }).click();
  await expect(page).toHaveURL(/\/p\/\d+$/);
  // The new post opens at its top, its author's header in view.
  await expect(page.getByRole("article").getByRole("link", { name }).first()).toBeInViewport();
  expect(await page.evaluate(() => window.scrollY)).toBe(0);

  // The server baked the framing in.
  const postId = page.url().split("/").pop()!;
  const post = (await (await context.request.get(`${API}/posts/${postId}`)).json()) as {
    items: { media: { id: string } }[];
  };
  const media = (await (await context.request.get(`${API}/media/${post.items[0]!.media.id}`)).json()) as {
    rotation: number;
    adjustments: Record<string, number>;
    width: number;
    height: number;
  };
  expect(media.rotation).toBe(90);
  expect(media.adjustments).toEqual({ brightness: 30 });
  expect(media.width).toBe(media.height); // 1:1
  // The turned photo is 800 px wide: a square of all of it would be 800 px; zoomed in, less of it.
  expect(media.width).toBeLessThan(800);
  await context.close();
});

test("Back with a draft asks before discarding it; staying keeps the draft", async ({ browser }, info) => {
  const context = await browser.newContext(contextOptions(info));
  await signUp(context, uniqueName("leaver", info));
  const page = await context.newPage();
  await page.goto("/explore");
  await page.goto("/create");
  await page.getByLabel("Add photos and videos").setInputFiles([fixture("square")]);
  await next(page, info);
  if (info.project.name === "phone") {
    // On a phone, Back first goes back a step.
    await page.goBack();
    await expect(page.getByRole("button", { name: "Next", exact: true })).toBeVisible();
  }

  await page.goBack();
  const question = page.getByRole("dialog", { name: "Discard post?" });
  await expect(question).toBeVisible();
  await question.getByRole("button", { name: "Cancel" }).click();
  await expect(page).toHaveURL(/\/create$/);
  await expect(page.locator(".composer img").first()).toBeVisible(); // the photo is still there

  await page.goBack();
  await page.getByRole("dialog", { name: "Discard post?" }).getByRole("button", { name: "Discard" }).click();
  await expect(page).toHaveURL(/\/explore$/);
  await context.close();
});
