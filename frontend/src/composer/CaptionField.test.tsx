import { act, configure, screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { useState } from "react";
import { afterEach, describe, expect, it, vi } from "vitest";
import { answerFetch, renderApp } from "../test/render";
import { CaptionField } from "./CaptionField";

configure({ asyncUtilTimeout: 4000 });

function Caption({ initial = "" }: { initial?: string }) {
  const [value, setValue] = useState(initial);
  return <CaptionField value={value} onChange={setValue} limit={2200} count={value.length} error={null} />;
}

function account(id: string, username: string, display_name: string) {
  return { id, username, display_name, avatar_url: null, is_private: false, relationship: null };
}

function answerSearch() {
  return answerFetch({
    "GET /api/viewfinder/v1/search/hashtags": (request) => {
      const q = new URL(request.url).searchParams.get("q");
      return {
        body: q?.startsWith("ta")
          ? [
              { name: "tahoe", post_count: 12 },
              { name: "tacos", post_count: 1 },
            ]
          : [],
      };
    },
    "GET /api/viewfinder/v1/search/accounts": {
      body: [
        account("1", "alice", "Alice Liddell"),
        account("2", "alfred", "Alfred"),
      ],
    },
  });
}

afterEach(() => vi.unstubAllGlobals());

describe("CaptionField", () => {
  it("is a labelled combobox with a live character count", async () => {
    answerSearch();
    const user = userEvent.setup();
    renderApp(<Caption />);
    const box = screen.getByRole("combobox", { name: "Caption" });
    expect(box).toHaveAttribute("aria-expanded", "false");
    await user.type(box, "Hello");
    expect(screen.getByText("5/2,200")).toBeInTheDocument();
  });

  it("suggests hashtags and inserts the chosen one with Enter after arrowing to it", async () => {
    const seen = answerSearch();
    const user = userEvent.setup();
    renderApp(<Caption />);
    const box = screen.getByRole("combobox", { name: "Caption" });
    await user.type(box, "Sunset #ta");

    const options = await screen.findAllByRole("option");
    expect(options).toHaveLength(2);
    expect(options[0]).toHaveAccessibleName("#tahoe 12 posts");
    expect(options[1]).toHaveAccessibleName("#tacos 1 post");
    expect(box).toHaveAttribute("aria-expanded", "true");
    expect(box).toHaveAttribute("aria-activedescendant", options[0]!.id);
    expect(options[0]).toHaveAttribute("aria-selected", "true");
    // Typing pauses before asking: one request for "ta", none for "t".
    const asked = seen.filter((request) => request.url.includes("/search/hashtags"));
    expect(asked.map((request) => new URL(request.url).searchParams.get("q"))).toEqual(["ta"]);

    await user.keyboard("{ArrowDown}");
    expect(box).toHaveAttribute("aria-activedescendant", options[1]!.id);
    await user.keyboard("{ArrowDown}");
    expect(box).toHaveAttribute("aria-activedescendant", options[0]!.id);
    await user.keyboard("{ArrowUp}");
    expect(box).toHaveAttribute("aria-activedescendant", options[1]!.id);
    await user.keyboard("{Enter}");

    expect(box).toHaveValue("Sunset #tacos ");
    expect(box).toHaveAttribute("aria-expanded", "false");
    expect(box).not.toHaveAttribute("aria-activedescendant");
    expect((box as HTMLTextAreaElement).selectionStart).toBe(14);
  });

  it("inserts a mention with Tab, and on click", async () => {
    answerSearch();
    const user = userEvent.setup();
    renderApp(<Caption />);
    const box = screen.getByRole("combobox", { name: "Caption" });
    await user.type(box, "with @al");
    await screen.findByRole("option", { name: /alice/ });
    await user.keyboard("{Tab}");
    expect(box).toHaveValue("with @alice ");
    expect(box).toHaveFocus();

    await user.type(box, "and @al");
    await user.click(await screen.findByRole("option", { name: /alfred/ }));
    expect(box).toHaveValue("with @alice and @alfred ");
    expect(box).toHaveFocus();
  });

  it("never offers the last answer's tags for a mention, nor tags that no longer fit", async () => {
    answerSearch();
    const user = userEvent.setup();
    renderApp(<Caption />);
    const box = screen.getByRole("combobox", { name: "Caption" });
    await user.type(box, "#ta");
    expect(await screen.findAllByRole("option")).toHaveLength(2);
    await user.type(box, "h");
    // At once, before the next answer: only what still fits "tah".
    const fitting = screen.getAllByRole("option").map((option) => option.textContent);
    expect(fitting).toEqual([expect.stringContaining("tahoe")]);

    await user.type(box, " @a");
    expect(screen.queryByRole("option", { name: /tahoe/ })).not.toBeInTheDocument();
    expect(await screen.findByRole("option", { name: /alice/ })).toBeInTheDocument();
  });

  it("closes the suggestions with Escape and leaves Enter to the text", async () => {
    answerSearch();
    const user = userEvent.setup();
    renderApp(<Caption />);
    const box = screen.getByRole("combobox", { name: "Caption" });
    await user.type(box, "#ta");
    await screen.findByRole("listbox");
    await user.keyboard("{Escape}");
    expect(box).toHaveAttribute("aria-expanded", "false");
    expect(screen.queryByRole("listbox")).not.toBeInTheDocument();
    await user.keyboard("{Enter}");
    expect(box).toHaveValue("#ta\n");
  });

  it("suggests nothing for plain words", async () => {
    const seen = answerSearch();
    const user = userEvent.setup();
    renderApp(<Caption />);
    await user.type(screen.getByRole("combobox", { name: "Caption" }), "no tags here");
    await act(() => new Promise((resolve) => setTimeout(resolve, 250)));
    await waitFor(() => expect(seen).toHaveLength(0));
  });
});
