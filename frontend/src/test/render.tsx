/** Rendering a component as the app does (query client, router), and answering its API calls. */
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { render } from "@testing-library/react";
import type { ReactElement } from "react";
import { MemoryRouter, Route, Routes } from "react-router-dom";
import { vi } from "vitest";

/** Renders `ui` at `path` (matched against `route`, e.g. "/p/:postId") with a fresh query client. */
export function renderApp(ui: ReactElement, { path = "/", route = "*" }: { path?: string; route?: string } = {}) {
  const client = new QueryClient({ defaultOptions: { queries: { retry: false }, mutations: { retry: false } } });
  const result = render(
    <QueryClientProvider client={client}>
      <MemoryRouter initialEntries={[path]}>
        <Routes>
          <Route path={route} element={ui} />
        </Routes>
      </MemoryRouter>
    </QueryClientProvider>,
  );
  return { ...result, client };
}

type Answer = { status?: number; body?: unknown };
type Handler = (request: Request) => Answer | Promise<Answer>;

/** Replaces fetch for one test: `routes` maps "METHOD /path" (no query string) to an answer.
 * Unknown requests answer 404 in the API's error shape. Returns the list of requests seen. */
export function answerFetch(routes: Record<string, Answer | Handler>): Request[] {
  const seen: Request[] = [];
  vi.stubGlobal("fetch", async (input: RequestInfo | URL, init?: RequestInit) => {
    const request = input instanceof Request ? input : new Request(new URL(String(input), "http://localhost"), init);
    seen.push(request);
    const url = new URL(request.url);
    const route = routes[`${request.method} ${url.pathname}`];
    const answer = typeof route === "function" ? await route(request) : route;
    const status = answer?.status ?? (answer ? 200 : 404);
    const body = answer ? answer.body : { error: { code: "not_found", message: "Not found.", fields: {} } };
    return new Response(status === 204 ? null : JSON.stringify(body ?? null), {
      status,
      headers: { "Content-Type": "application/json" },
    });
  });
  return seen;
}
