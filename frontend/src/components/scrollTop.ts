/** A new page opens at its top (issue 17: a post opened from a scrolled feed, or the post just shared,
 * opened scrolled past its header, since a single-page app keeps the window's scroll). Going back
 * (POP) leaves the scroll to the browser, which puts the reader back where they were. */
import { useEffect } from "react";
import { useLocation, useNavigationType } from "react-router-dom";

export function useScrollToTopOnNewPage() {
  const { pathname } = useLocation();
  const type = useNavigationType();
  useEffect(() => {
    if (type !== "POP") window.scrollTo({ top: 0, left: 0 });
  }, [pathname, type]);
}
