import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";
import { answerFetch, renderApp } from "../test/render";
import { AnnouncementStrip } from "./AnnouncementStrip";
import { linkPieces } from "./LinkedText";
import { announcement } from "./testData";

const API = "/api/viewfinder/v1";

afterEach(() => vi.unstubAllGlobals());

describe("the announcement strip", () => {
  it("shows the unread announcements as text, with only http(s) addresses as links", async () => {
    answerFetch({
      [`GET ${API}/announcements`]: {
        body: {
          items: [
            announcement("3", { text: 'Read <b>this</b> <img src=x onerror="alert(1)"> at https://help.example/rules. Not javascript:alert(1)' }),
            announcement("2", { text: "Already dismissed", read: true }),
          ],
        },
      },
    });
    const { container } = renderApp(<AnnouncementStrip />);
    const strip = await screen.findByRole("region", { name: "Announcements" });
    expect(within(strip).getAllByRole("listitem")).toHaveLength(1);
    expect(within(strip).queryByText("Already dismissed")).not.toBeInTheDocument();
    expect(strip).toHaveTextContent('Read <b>this</b> <img src=x onerror="alert(1)"> at https://help.example/rules. Not javascript:alert(1)');
    expect(container.querySelector("b, img")).toBeNull();
    const links = within(strip).getAllByRole("link");
    expect(links).toHaveLength(1);
    expect(links[0]).toHaveAttribute("href", "https://help.example/rules");
    expect(links[0]).toHaveAttribute("rel", "noopener noreferrer nofollow");
  });

  it("dismissing one tells the API and hides it", async () => {
    const seen = answerFetch({
      [`GET ${API}/announcements`]: { body: { items: [announcement("3", { text: "Photo walk Saturday" }), announcement("2", { text: "New filters" })] } },
      [`POST ${API}/announcements/3/read`]: { status: 204 },
      [`POST ${API}/announcements/2/read`]: { status: 204 },
    });
    const onLast = vi.fn();
    renderApp(<AnnouncementStrip onLastDismissed={onLast} />);
    const user = userEvent.setup();
    await user.click(await screen.findByRole("button", { name: "Dismiss announcement: Photo walk Saturday" }));
    expect(screen.queryByText("Photo walk Saturday")).not.toBeInTheDocument();
    await waitFor(() => expect(seen.filter((request) => request.method === "POST")).toHaveLength(1));
    expect(new URL(seen.find((request) => request.method === "POST")?.url ?? "").pathname).toBe(`${API}/announcements/3/read`);
    await waitFor(() => expect(screen.getByRole("button", { name: "Dismiss announcement: New filters" })).toHaveFocus());

    await user.keyboard("{Enter}");
    await waitFor(() => expect(screen.queryByRole("region", { name: "Announcements" })).not.toBeInTheDocument());
    await waitFor(() => expect(onLast).toHaveBeenCalled());
  });

  it("puts a dismissed announcement back when the API refuses", async () => {
    answerFetch({
      [`GET ${API}/announcements`]: { body: { items: [announcement("3", { text: "Photo walk Saturday" })] } },
      [`POST ${API}/announcements/3/read`]: { status: 500, body: { error: { code: "internal", message: "Try again later.", fields: {} } } },
    });
    renderApp(<AnnouncementStrip />);
    await userEvent.click(await screen.findByRole("button", { name: "Dismiss announcement: Photo walk Saturday" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("Try again later.");
    expect(screen.getByText("Photo walk Saturday")).toBeInTheDocument();
  });

  it("shows nothing when there is nothing to announce or the list fails", async () => {
    answerFetch({});
    const { container } = renderApp(<AnnouncementStrip />);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(container).toBeEmptyDOMElement();
  });
});

describe("linkPieces", () => {
  it("links http and https addresses, not other schemes, and leaves trailing punctuation out", () => {
    expect(linkPieces("See http://a.example/x, (https://b.example/y). ftp://c.example data:text/html,hi")).toEqual([
      "See ",
      { href: "http://a.example/x" },
      ", (",
      { href: "https://b.example/y" },
      "). ftp://c.example data:text/html,hi",
    ]);
  });
});
