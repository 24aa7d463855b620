import "@testing-library/jest-dom/vitest";
import { cleanup } from "@testing-library/react";
import { afterEach } from "vitest";
import { resetInteractionReporter } from "../interactions/reporter";

afterEach(() => {
  cleanup();
  // Interactions queued by one test must not be sent (5 s later) into the next one's fetch.
  resetInteractionReporter();
});
