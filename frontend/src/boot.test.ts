import { QueryClient } from "@tanstack/react-query";
import { afterEach, describe, expect, it } from "vitest";
import { ME_KEY } from "./auth/auth";
import { BOOT_ELEMENT_ID, seedFromBoot } from "./boot";
import { me, post } from "./posts/testData";

function block(text: string) {
  const element = document.createElement("script");
  element.type = "application/json";
  element.id = BOOT_ELEMENT_ID;
  element.textContent = text;
  document.head.append(element);
}

afterEach(() => document.getElementById(BOOT_ELEMENT_ID)?.remove());

describe("seedFromBoot", () => {
  it("reads the viewer and the first feed page into the cache, once", () => {
    const first = post({ id: "7" });
    block(JSON.stringify({ me: me("ann"), feed: { mode: "following", page: { items: [first], next_cursor: "c2" } } }));
    const client = new QueryClient();
    seedFromBoot(client);
    expect(client.getQueryData<ReturnType<typeof me>>(ME_KEY)?.profile.username).toBe("ann");
    expect(client.getQueryData(["feed", "following"])).toEqual({
      pages: [{ items: [first], next_cursor: "c2" }],
      pageParams: [undefined],
    });
    // Read once: a second start finds nothing to read.
    expect(document.getElementById(BOOT_ELEMENT_ID)).toBeNull();
    const later = new QueryClient();
    seedFromBoot(later);
    expect(later.getQueryData(ME_KEY)).toBeUndefined();
  });

  it("knows a signed-out visitor without asking", () => {
    block(JSON.stringify({ me: null }));
    const client = new QueryClient();
    seedFromBoot(client);
    expect(client.getQueryState(ME_KEY)?.status).toBe("success");
    expect(client.getQueryData(ME_KEY)).toBeNull();
  });

  it("ignores a damaged block, leaving the app to ask", () => {
    block("{not json");
    const client = new QueryClient();
    seedFromBoot(client);
    expect(client.getQueryState(ME_KEY)).toBeUndefined();
  });
});
