import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";
import { answerFetch, renderApp } from "../test/render";
import { Recommendations } from "./Recommendations";
import { API, staffMe } from "./testData";

afterEach(() => vi.unstubAllGlobals());

const row = (version: string, impressions: number, click: number) => ({
  version,
  impressions,
  viewers: 3,
  click_through: click,
  likes_per_impression: 0.05,
  saves_per_impression: 0.01,
  follows_per_impression: 0,
  not_interested_rate: 0.002,
});

describe("the recommendations read-out", () => {
  it("shows each version beside the popularity baseline, the one serving and its ranker's weights", async () => {
    const seen = answerFetch({
      [`GET ${API}/accounts/me`]: { body: staffMe("analyst") },
      [`GET ${API}/staff/recommendations`]: {
        body: {
          days: 7,
          serving: "r202612070741-d7cfe744",
          ranker_weights: { engagement: 1.4, age: -1.35 },
          versions: [row("popularity", 1200, 0.031), row("r202612070741-d7cfe744", 800, 0.052)],
        },
      },
    });
    renderApp(<Recommendations />, { path: "/staff/recommendations" });
    const table = await screen.findByRole("table", { name: "Results by version" });
    const baseline = within(table).getByRole("row", { name: /Popularity \(baseline\)/ });
    expect(within(baseline).getByText("3.1 %")).toBeInTheDocument();
    const serving = within(table).getByRole("row", { name: /r202612070741-d7cfe744 · serving/ });
    expect(within(serving).getByText("5.2 %")).toBeInTheDocument();
    expect(within(screen.getByRole("region", { name: "Ranking model" })).getByText("engagement: +1.40")).toBeInTheDocument();

    await userEvent.setup().selectOptions(screen.getByLabelText("Over the last"), "30");
    await waitFor(() => expect(seen.some((request) => new URL(request.url).searchParams.get("days") === "30")).toBe(true));
  });

  it("says so when nothing was trained or shown yet", async () => {
    answerFetch({
      [`GET ${API}/accounts/me`]: { body: staffMe("admin") },
      [`GET ${API}/staff/recommendations`]: { body: { days: 7, serving: null, ranker_weights: null, versions: [] } },
    });
    renderApp(<Recommendations />, { path: "/staff/recommendations" });
    expect(await screen.findByText(/No recommender trained yet/)).toBeInTheDocument();
    expect(screen.getByText(/Nothing was shown on Explore/)).toBeInTheDocument();
    expect(screen.queryByRole("table")).not.toBeInTheDocument();
  });
});
