import { screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";
import { answerFetch, renderApp } from "../test/render";
import { ReportDialog } from "./ReportDialog";

afterEach(() => vi.unstubAllGlobals());

describe("ReportDialog", () => {
  it("sends the chosen reason and details, then thanks", async () => {
    const seen = answerFetch({ "POST /api/viewfinder/v1/reports": { status: 201, body: { id: "r1" } } });
    renderApp(<ReportDialog target="post" targetId="7" label="@alice's post" onClose={() => undefined} />);
    expect(screen.getByRole("dialog", { name: "Report" })).toBeInTheDocument();
    const submit = screen.getByRole("button", { name: "Submit report" });
    expect(submit).toBeDisabled();
    expect(screen.getByRole("group", { name: "Why are you reporting this?" })).toBeInTheDocument();
    await userEvent.click(screen.getByRole("radio", { name: "It's spam" }));
    await userEvent.type(screen.getByLabelText("Details"), "Same link everywhere");
    await userEvent.click(submit);
    expect(await screen.findByText("Thanks for letting us know")).toBeInTheDocument();
    expect(await seen[0]?.json()).toEqual({ target: "post", target_id: "7", reason: "spam", details: "Same link everywhere" });
  });

  it("shows the API's error", async () => {
    answerFetch({
      "POST /api/viewfinder/v1/reports": {
        status: 409,
        body: { error: { code: "already_reported", message: "You already reported this.", fields: {} } },
      },
    });
    renderApp(<ReportDialog target="user" targetId="9" label="@bob" onClose={() => undefined} />);
    await userEvent.click(screen.getByRole("radio", { name: "Something else" }));
    await userEvent.click(screen.getByRole("button", { name: "Submit report" }));
    expect(await screen.findByText("You already reported this.")).toBeInTheDocument();
  });
});
