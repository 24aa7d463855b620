/** What the home page's HTML already carries (viewfinder/web/boot.py): who is signed in and the
 * first page of their feed, read into the query cache before the first render, so the first screen
 * asks the server for nothing and its first picture is already on its way (issue 17, speed). */
import type { QueryClient } from "@tanstack/react-query";
import type { Me, Post } from "./api/client";
import { ME_KEY } from "./auth/auth";

type Boot = {
  me: Me | null;
  feed?: { mode: string; page: { items: Post[]; next_cursor: string | null } };
};

export const BOOT_ELEMENT_ID = "vf-boot";

/** Seeds `client` from the page's data block, once: the block is removed after reading, so nothing
 * stale is read again. A page without one (every page but the home page) changes nothing. */
export function seedFromBoot(client: QueryClient, doc: Document = document): void {
  const element = doc.getElementById(BOOT_ELEMENT_ID);
  if (!element) return;
  element.remove();
  let boot: Boot;
  try {
    boot = JSON.parse(element.textContent ?? "") as Boot;
  } catch {
    return; // the app asks for what it needs, as without a block
  }
  if (boot.me === undefined) return;
  client.setQueryData(ME_KEY, boot.me);
  if (boot.me && boot.feed) {
    client.setQueryData(["feed", boot.feed.mode], { pages: [boot.feed.page], pageParams: [undefined] });
  }
}
