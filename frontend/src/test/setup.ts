import "@testing-library/jest-dom/vitest";
import { cleanup } from "@testing-library/react";
import { afterEach } from "vitest";
import { resetInteractionReporter } from "../interactions/reporter";

// jsdom does not scroll (and says so on every call); pages scroll to their top when opened.
window.scrollTo = () => undefined;

afterEach(() => {
  cleanup();
  // Interactions queued by one test must not be sent (5 s later) into the next one's fetch.
  resetInteractionReporter();
});
