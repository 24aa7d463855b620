import { render, screen } from "@testing-library/react";
import { MemoryRouter } from "react-router-dom";
import { describe, expect, it } from "vitest";
import { RichText } from "./RichText";
import { shortTime } from "./time";

describe("RichText", () => {
  it("links #tags and @mentions, leaving the rest as text", () => {
    const { container } = render(
      <MemoryRouter>
        <p>
          <RichText text="Sunset with @bob.smith. at #Beach, not mail@example.com or C#" />
        </p>
      </MemoryRouter>,
    );
    expect(screen.getByRole("link", { name: "#Beach" })).toHaveAttribute("href", "/tags/beach");
    expect(screen.getByRole("link", { name: "@bob.smith" })).toHaveAttribute("href", "/bob.smith");
    expect(screen.getAllByRole("link")).toHaveLength(2);
    expect(container.textContent).toBe("Sunset with @bob.smith. at #Beach, not mail@example.com or C#");
  });
});

describe("shortTime", () => {
  it("says how long ago, Instagram-style", () => {
    const now = Date.parse("2024-06-10T12:00:00Z");
    expect(shortTime("2024-06-10T11:59:30Z", now)).toBe("now");
    expect(shortTime("2024-06-10T11:15:00Z", now)).toBe("45m");
    expect(shortTime("2024-06-10T09:00:00Z", now)).toBe("3h");
    expect(shortTime("2024-06-08T12:00:00Z", now)).toBe("2d");
    expect(shortTime("2024-05-20T12:00:00Z", now)).toBe("3w");
  });
});
