import { render } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { Link, MemoryRouter, Route, Routes, useNavigate } from "react-router-dom";
import { afterEach, describe, expect, it, vi } from "vitest";
import { useScrollToTopOnNewPage } from "./scrollTop";

afterEach(() => vi.unstubAllGlobals());

function Page({ name }: { name: string }) {
  useScrollToTopOnNewPage();
  const navigate = useNavigate();
  return (
    <>
      <Link to="/p/1">Open {name}</Link>
      <button type="button" onClick={() => navigate(-1)}>
        Back
      </button>
    </>
  );
}

describe("a new page", () => {
  it("opens at its top, and going back leaves the scroll to the browser", async () => {
    const scrollTo = vi.fn();
    vi.stubGlobal("scrollTo", scrollTo);
    const { getByRole } = render(
      <MemoryRouter initialEntries={["/"]}>
        <Routes>
          <Route path="/" element={<Page name="post" />} />
          <Route path="/p/:id" element={<Page name="again" />} />
        </Routes>
      </MemoryRouter>,
    );
    scrollTo.mockClear(); // the first page's own (POP: the initial entry) is not a new page
    await userEvent.click(getByRole("link", { name: "Open post" }));
    expect(scrollTo).toHaveBeenCalledWith({ top: 0, left: 0 });

    scrollTo.mockClear();
    await userEvent.click(getByRole("button", { name: "Back" }));
    expect(getByRole("link", { name: "Open post" })).toBeInTheDocument();
    expect(scrollTo).not.toHaveBeenCalled();
  });
});
