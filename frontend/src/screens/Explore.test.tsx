import { screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { useLocation } from "react-router-dom";
import { afterEach, describe, expect, it, vi } from "vitest";
import { featured } from "../community/testData";
import { post } from "../discovery/fixtures";
import { answerFetch, renderApp } from "../test/render";
import { Explore } from "./Explore";

afterEach(() => vi.unstubAllGlobals());

function Where() {
  const location = useLocation();
  return <output data-testid="where">{location.pathname + location.search}</output>;
}

describe("Explore", () => {
  it("shows the featured accounts above the grid", async () => {
    answerFetch({
      "GET /api/viewfinder/v1/explore": { body: { items: [post("p1")], next_cursor: null } },
      "GET /api/viewfinder/v1/discover/featured": { body: { items: [featured("kim")] } },
    });
    renderApp(<Explore />, { path: "/explore" });
    const row = await screen.findByRole("region", { name: "Featured" });
    expect(within(row).getByText("Great photos by kim")).toBeInTheDocument();
    const grid = await screen.findByRole("list", { name: "Explore posts" });
    expect(row.compareDocumentPosition(grid) & Node.DOCUMENT_POSITION_FOLLOWING).toBeTruthy();
  });

  it("shows a grid of posts and loads the next page", async () => {
    answerFetch({
      "GET /api/viewfinder/v1/explore": (request) => {
        const cursor = new URL(request.url).searchParams.get("cursor");
        return cursor
          ? { body: { items: [post("p3")], next_cursor: null } }
          : { body: { items: [post("p1"), post("p2")], next_cursor: "next" } };
      },
    });
    renderApp(<Explore />, { path: "/explore" });
    expect(screen.getByRole("heading", { level: 1, name: "Explore" })).toBeInTheDocument();
    const grid = await screen.findByRole("list", { name: "Explore posts" });
    expect(within(grid).getAllByRole("link")).toHaveLength(2);
    expect(within(grid).getAllByRole("link")[0]).toHaveAccessibleName("Post by alice: Photo p1");

    await userEvent.click(screen.getByRole("button", { name: "Load more" }));
    expect(await within(grid).findByRole("link", { name: /Photo p3/ })).toBeInTheDocument();
    expect(screen.queryByRole("button", { name: "Load more" })).not.toBeInTheDocument();
  });

  it("continues to Search with what is typed in its search field", async () => {
    answerFetch({ "GET /api/viewfinder/v1/explore": { body: { items: [], next_cursor: null } } });
    renderApp(
      <>
        <Explore />
        <Where />
      </>,
      { path: "/explore" },
    );
    expect(await screen.findByRole("heading", { name: "Nothing to explore yet" })).toBeInTheDocument();
    await userEvent.type(screen.getByRole("searchbox", { name: "Search" }), "a");
    expect(screen.getByTestId("where")).toHaveTextContent("/search?q=a");
  });
});
