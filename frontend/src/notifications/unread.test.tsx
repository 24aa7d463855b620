import { act, screen, waitFor } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { answerFetch, renderApp } from "../test/render";
import { NOTIFICATIONS_KEY, STREAM_URL, useUnreadCount } from "./unread";

/** Just enough of EventSource: listeners by event name, and a way to emit. */
class FakeEventSource {
  static instances: FakeEventSource[] = [];
  readonly url: string;
  closed = false;
  private listeners = new Map<string, Set<(event: Event) => void>>();

  constructor(url: string) {
    this.url = url;
    FakeEventSource.instances.push(this);
  }

  addEventListener(type: string, listener: (event: Event) => void) {
    const set = this.listeners.get(type) ?? new Set();
    set.add(listener);
    this.listeners.set(type, set);
  }

  close() {
    this.closed = true;
  }

  emit(type: string, data: unknown) {
    const event = new MessageEvent(type, { data: JSON.stringify(data) });
    this.listeners.get(type)?.forEach((listener) => listener(event));
  }
}

function Badge({ enabled = true }: { enabled?: boolean }) {
  const count = useUnreadCount(enabled);
  return <p>Unread: {count}</p>;
}

function latest(): FakeEventSource {
  const source = FakeEventSource.instances.at(-1);
  if (!source) throw new Error("no EventSource was opened");
  return source;
}

beforeEach(() => {
  FakeEventSource.instances = [];
  vi.stubGlobal("EventSource", FakeEventSource);
  document.title = "Viewfinder";
});

afterEach(() => vi.unstubAllGlobals());

describe("useUnreadCount", () => {
  it("fetches the count, then follows the event stream", async () => {
    answerFetch({ "GET /api/viewfinder/v1/notifications/unread-count": { body: { unread: 2 } } });
    renderApp(<Badge />);
    expect(await screen.findByText("Unread: 2")).toBeInTheDocument();
    expect(document.title).toBe("(2) Viewfinder");
    expect(FakeEventSource.instances).toHaveLength(1);
    expect(latest().url).toBe(STREAM_URL);

    act(() => latest().emit("notification", { type: "notification", kind: "like", unread: 3 }));
    expect(await screen.findByText("Unread: 3")).toBeInTheDocument();
    expect(document.title).toBe("(3) Viewfinder");

    act(() => latest().emit("unread", { type: "unread", unread: 0 }));
    expect(await screen.findByText("Unread: 0")).toBeInTheDocument();
    expect(document.title).toBe("Viewfinder");
  });

  it("marks the inbox stale when a notification arrives", async () => {
    answerFetch({ "GET /api/viewfinder/v1/notifications/unread-count": { body: { unread: 0 } } });
    const { client } = renderApp(<Badge />);
    client.setQueryData(NOTIFICATIONS_KEY, { pages: [], pageParams: [] });
    await screen.findByText("Unread: 0");
    act(() => latest().emit("notification", { type: "notification", kind: "comment", unread: 1 }));
    await waitFor(() => expect(client.getQueryState(NOTIFICATIONS_KEY)?.isInvalidated).toBe(true));
  });

  it("opens no stream when signed out, and closes it on unmount", async () => {
    answerFetch({ "GET /api/viewfinder/v1/notifications/unread-count": { body: { unread: 1 } } });
    const first = renderApp(<Badge enabled={false} />);
    expect(screen.getByText("Unread: 0")).toBeInTheDocument();
    expect(FakeEventSource.instances).toHaveLength(0);
    first.unmount();

    const second = renderApp(<Badge />);
    await screen.findByText("Unread: 1");
    second.unmount();
    expect(latest().closed).toBe(true);
  });
});
