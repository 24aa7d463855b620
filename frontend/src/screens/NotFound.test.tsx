import { screen } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";
import { ME, SIGNED_OUT } from "../accounts/fixtures";
import { answerFetch, renderApp } from "../test/render";
import { Collection } from "./Collection";
import { NotFound } from "./NotFound";
import { PostDetail } from "./PostDetail";
import { Profile } from "./Profile";

afterEach(() => vi.unstubAllGlobals());

const API = "/api/viewfinder/v1";

/** The h1 and the links of a "not found" page, once shown. */
async function notFoundPage() {
  const heading = await screen.findByRole("heading", { level: 1, name: /isn't available/ });
  const page = heading.closest("section") as HTMLElement;
  const links = [...page.querySelectorAll("a")].map((link) => [link.textContent, link.getAttribute("href")]);
  return { heading: heading.textContent, text: page.querySelector("p")?.textContent, links };
}

describe("not found", () => {
  it("looks the same for an unknown address, account, post and collection", async () => {
    answerFetch({ [`GET ${API}/accounts/me`]: { body: ME } });
    const unknownRoute = renderApp(<NotFound />, { path: "/no/such/page" });
    const expected = await notFoundPage();
    expect(expected).toEqual({
      heading: "Sorry, this page isn't available.",
      text: "The link you followed may be broken, or the page may have been removed. Go back to Viewfinder.",
      links: [["Go back to Viewfinder.", "/"]],
    });
    unknownRoute.unmount();

    const missing = [
      renderApp.bind(null, <Profile />, { path: "/nobody", route: "/:username" }),
      renderApp.bind(null, <PostDetail />, { path: "/p/404", route: "/p/:postId" }),
      renderApp.bind(null, <Collection />, { path: "/saved/404", route: "/saved/:collectionId" }),
    ];
    for (const show of missing) {
      const view = show();
      expect(await notFoundPage()).toEqual(expected);
      view.unmount();
    }
  });

  it("sends someone signed out to Explore", async () => {
    answerFetch({ [`GET ${API}/accounts/me`]: SIGNED_OUT });
    renderApp(<NotFound />, { path: "/no/such/page" });
    expect(await screen.findByRole("link", { name: "Explore Viewfinder." })).toHaveAttribute("href", "/explore");
  });
});
