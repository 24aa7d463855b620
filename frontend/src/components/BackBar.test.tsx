import { readFileSync } from "node:fs";
import path from "node:path";
import { render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { MemoryRouter, Route, Routes, useLocation } from "react-router-dom";
import { describe, expect, it } from "vitest";
import { BackBar } from "./BackBar";

function Where() {
  const location = useLocation();
  return <output data-testid="where">{location.pathname + location.search}</output>;
}

/** A sub-page with its bar at the last of `entries` (only it when opened afresh, as from another site). */
function renderAt(entries: string[]) {
  render(
    <MemoryRouter initialEntries={entries} initialIndex={entries.length - 1}>
      <Routes>
        <Route path="/settings" element={<BackBar title="Settings" fallback="/alice" />} />
        <Route path="*" element={null} />
      </Routes>
      <Where />
    </MemoryRouter>,
  );
}

describe("BackBar", () => {
  it("shows the page's title and goes back to the previous screen of the app", async () => {
    renderAt(["/explore", "/p/1", "/settings"]);
    expect(screen.getByText("Settings")).toHaveClass("back-bar-title");
    await userEvent.click(screen.getByRole("button", { name: "Back" }));
    expect(screen.getByTestId("where")).toHaveTextContent("/p/1");
  });

  it("goes to the page's parent when the visit began on it", async () => {
    renderAt(["/settings"]);
    await userEvent.click(screen.getByRole("button", { name: "Back" }));
    expect(screen.getByTestId("where")).toHaveTextContent("/alice");
  });

  it("shows only on phones, where the app has its top bar instead of the side navigation", () => {
    // jsdom applies no stylesheet: read the rules. styles.css hides the top bar from 768px up.
    const read = (file: string) => readFileSync(path.join(import.meta.dirname, file), "utf8");
    expect(read("../styles.css")).toMatch(/@media \(min-width: 768px\) \{\s*\.top-bar,/);
    const css = read("components.css");
    expect(css).toMatch(/(^|\n)\.back-bar \{\s*display: none;\s*\}/);
    expect(css).toMatch(/@media \(max-width: 767px\) \{\s*\.back-bar \{[^}]*display: flex;/);
  });
});
