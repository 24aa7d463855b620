import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { Route, Routes } from "react-router-dom";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { Layout } from "../components/Layout";
import { Login } from "../screens/Login";
import { answerFetch, renderApp } from "../test/render";
import { rememberAccountNotice, takeAccountNotice } from "./accountNotice";
import { ME, SIGNED_OUT } from "./fixtures";
import { YourDataSection, downloads } from "./settings/YourDataSection";

const API = "/api/viewfinder/v1";
const LATER = "2099-01-01T00:00:00Z";
const READY = {
  id: "41",
  state: "ready",
  created_at: "2026-12-01T10:00:00Z",
  finished_at: "2026-12-01T10:01:00Z",
  expires_at: "2026-12-05T10:01:00Z",
  size_bytes: 5 * 1024 * 1024,
  download_path: `${API}/accounts/data-exports/41/download`,
};
const BUILDING = { ...READY, id: "42", state: "building", finished_at: null, expires_at: null, size_bytes: null, download_path: null };
const REAUTHENTICATE = {
  status: 403,
  body: { error: { code: "reauthentication_required", message: "Confirm it's you: enter your password again to do this.", fields: {} } },
};

const yourData = (items: unknown[], reauthenticatedUntil: string | null = LATER) => ({
  body: { items, reauthenticated_until: reauthenticatedUntil, deletion_grace_days: 30 },
});

beforeEach(() => sessionStorage.clear());
afterEach(() => {
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
});

function renderSection() {
  return renderApp(
    <Routes>
      <Route path="/settings" element={<YourDataSection />} />
      <Route path="/login" element={<p>Log-in page</p>} />
    </Routes>,
    { path: "/settings" },
  );
}

async function bodyOf(requests: Request[], method: string, path: string): Promise<unknown> {
  const request = requests.find((r) => r.method === method && new URL(r.url).pathname === `${API}${path}`);
  return request ? request.clone().json() : undefined;
}

describe("Your data", () => {
  it("requests a download, shows it being prepared, then downloads it once ready", async () => {
    let lists = 0;
    const start = vi.spyOn(downloads, "start").mockImplementation(() => undefined);
    vi.spyOn(downloads, "pollMs", "get").mockReturnValue(200);
    answerFetch({
      [`GET ${API}/accounts/data-exports`]: () => (++lists === 1 ? yourData([]) : lists === 2 ? yourData([BUILDING]) : yourData([READY])),
      [`POST ${API}/accounts/data-exports`]: { status: 202, body: { ...BUILDING, state: "requested" } },
    });
    renderSection();
    const user = userEvent.setup();
    await user.click(await screen.findByRole("button", { name: "Request a download" }));

    expect(await screen.findByText(/Being prepared/)).toBeInTheDocument();
    expect(screen.getByRole("button", { name: "Request a download" })).toBeDisabled();
    // It looks again every few seconds while one is being prepared.
    const download = await screen.findByRole("button", { name: /Download your data requested/ });
    expect(screen.getByText(/5\.0 MB/)).toBeInTheDocument();

    await user.click(download);
    expect(start).toHaveBeenCalledWith(`${API}/accounts/data-exports/41/download`);
  });

  it("asks for the password before a download once sudo mode has passed", async () => {
    const start = vi.spyOn(downloads, "start").mockImplementation(() => undefined);
    const seen = answerFetch({
      [`GET ${API}/accounts/data-exports`]: yourData([READY], null),
      [`POST ${API}/accounts/reauthenticate`]: { body: { reauthenticated_until: LATER } },
    });
    renderSection();
    const user = userEvent.setup();
    await user.click(await screen.findByRole("button", { name: /Download your data requested/ }));

    const dialog = await screen.findByRole("dialog", { name: "Confirm it's you" });
    expect(within(dialog).getByText(/to download your data/)).toBeInTheDocument();
    expect(start).not.toHaveBeenCalled();
    await user.type(within(dialog).getByLabelText("Password"), "my password");
    await user.click(within(dialog).getByRole("button", { name: "Confirm" }));

    await waitFor(() => expect(start).toHaveBeenCalledWith(READY.download_path));
    expect(await bodyOf(seen, "POST", "/accounts/reauthenticate")).toEqual({ password: "my password" });
  });

  it("says why a second download the same day is refused", async () => {
    answerFetch({
      [`GET ${API}/accounts/data-exports`]: yourData([READY]),
      [`POST ${API}/accounts/data-exports`]: {
        status: 429,
        body: { error: { code: "rate_limited", message: "You can download your data once a day. Try again in about 23 hours.", fields: {} } },
      },
    });
    renderSection();
    await userEvent.setup().click(await screen.findByRole("button", { name: "Request a download" }));

    expect(await screen.findByRole("alert")).toHaveTextContent("Try again in about 23 hours.");
  });

  it("deactivates after a confirmation (and the password when needed), then goes to log in", async () => {
    let calls = 0;
    const seen = answerFetch({
      [`GET ${API}/accounts/data-exports`]: yourData([]),
      [`POST ${API}/accounts/me/deactivate`]: () => (++calls === 1 ? REAUTHENTICATE : { status: 204 }),
      [`POST ${API}/accounts/reauthenticate`]: { body: { reauthenticated_until: LATER } },
    });
    renderSection();
    const user = userEvent.setup();
    await user.click(screen.getByRole("button", { name: "Deactivate account" }));
    const confirm = await screen.findByRole("dialog", { name: "Deactivate your account?" });
    expect(within(confirm).getByText(/log in again whenever you want it all back/)).toBeInTheDocument();
    await user.click(within(confirm).getByRole("button", { name: "Deactivate account" }));

    const password = await screen.findByRole("dialog", { name: "Confirm it's you" });
    await user.type(within(password).getByLabelText("Password"), "my password");
    await user.click(within(password).getByRole("button", { name: "Confirm" }));

    expect(await screen.findByText("Log-in page")).toBeInTheDocument();
    expect(seen.filter((r) => r.method === "POST" && r.url.endsWith("/accounts/me/deactivate"))).toHaveLength(2);
    expect(takeAccountNotice()).toEqual({ kind: "deactivated" });
  });

  it("schedules the deletion for the end of the grace period", async () => {
    const seen = answerFetch({
      [`GET ${API}/accounts/data-exports`]: yourData([]),
      [`POST ${API}/accounts/me/delete`]: { status: 202, body: { delete_after: "2027-01-03T12:00:00Z" } },
    });
    renderSection();
    const user = userEvent.setup();
    expect(await screen.findByText(/deleted for good after 30 days/)).toBeInTheDocument();
    await user.click(screen.getByRole("button", { name: "Delete account" }));
    const dialog = await screen.findByRole("dialog", { name: "Delete your account?" });
    await user.click(within(dialog).getByRole("button", { name: /^Delete on / }));

    expect(await screen.findByText("Log-in page")).toBeInTheDocument();
    expect(await bodyOf(seen, "POST", "/accounts/me/delete")).toEqual({ now: false });
    expect(takeAccountNotice()).toEqual({ kind: "deletion_scheduled", deleteAfter: "2027-01-03T12:00:00Z" });
  });

  it("deletes now only after a second, explicit confirmation", async () => {
    const seen = answerFetch({
      [`GET ${API}/accounts/data-exports`]: yourData([]),
      [`POST ${API}/accounts/me/delete`]: { status: 202, body: { delete_after: "2026-12-04T12:00:00Z" } },
    });
    renderSection();
    const user = userEvent.setup();
    await user.click(screen.getByRole("button", { name: "Delete account" }));
    await user.click(within(await screen.findByRole("dialog")).getByRole("button", { name: "Delete now instead…" }));

    const dialog = await screen.findByRole("dialog", { name: "Delete your account now?" });
    const deleteNow = within(dialog).getByRole("button", { name: "Delete now" });
    expect(deleteNow).toBeDisabled();
    await user.click(within(dialog).getByRole("checkbox", { name: /deleted now, for good/ }));
    await user.click(deleteNow);

    expect(await screen.findByText("Log-in page")).toBeInTheDocument();
    expect(await bodyOf(seen, "POST", "/accounts/me/delete")).toEqual({ now: true });
    expect(takeAccountNotice()).toEqual({ kind: "deleted" });
  });
});

function renderLogIn() {
  return renderApp(
    <Routes>
      <Route element={<Layout />}>
        <Route path="/login" element={<Login />} />
        <Route path="/" element={<p>Home feed</p>} />
      </Route>
    </Routes>,
    { path: "/login" },
  );
}

async function logIn() {
  const user = userEvent.setup();
  await user.type(screen.getByLabelText("Username or email"), "ada");
  await user.type(screen.getByLabelText("Password"), "secret words");
  await user.click(screen.getByRole("button", { name: "Log in" }));
  return user;
}

describe("Logging in to a closed account", () => {
  it("offers to cancel a scheduled deletion, and says so once it is cancelled", async () => {
    let signedIn = false;
    const seen = answerFetch({
      [`GET ${API}/accounts/me`]: () => (signedIn ? { body: ME } : SIGNED_OUT),
      [`POST ${API}/accounts/login`]: async (request) => {
        if (!(await request.clone().json()).cancel_deletion) {
          return {
            status: 409,
            body: {
              error: {
                code: "deletion_scheduled",
                message: "This account is scheduled to be deleted on 03 January 2027. Cancel the deletion to log in.",
                fields: { delete_after: "2027-01-03T12:00:00+00:00" },
              },
            },
          };
        }
        signedIn = true;
        return { body: { me: ME, csrf_token: "t", reactivated: true, deletion_cancelled: true } };
      },
    });
    renderLogIn();
    const user = await logIn();

    const offer = await screen.findByRole("alert");
    expect(offer).toHaveTextContent("Your account is scheduled to be deleted on Jan 3, 2027.");
    await user.click(within(offer).getByRole("button", { name: "Cancel deletion and log in" }));

    expect(await screen.findByText("Home feed")).toBeInTheDocument();
    expect(await screen.findByRole("status")).toHaveTextContent("The deletion of your account is cancelled");
    const logins = seen.filter((r) => r.method === "POST");
    expect(await logins[0]?.json()).toEqual({ login: "ada", password: "secret words" });
    expect(await logins[1]?.json()).toEqual({ login: "ada", password: "secret words", cancel_deletion: true });
  });

  it("can leave the deletion scheduled", async () => {
    answerFetch({
      [`GET ${API}/accounts/me`]: SIGNED_OUT,
      [`POST ${API}/accounts/login`]: {
        status: 409,
        body: { error: { code: "deletion_scheduled", message: "Scheduled.", fields: { delete_after: "2027-01-03T12:00:00Z" } } },
      },
    });
    renderLogIn();
    const user = await logIn();
    await user.click(within(await screen.findByRole("alert")).getByRole("button", { name: "Keep it scheduled" }));

    expect(screen.queryByRole("alert")).not.toBeInTheDocument();
    expect(screen.getByRole("button", { name: "Log in" })).toBeEnabled();
  });

  it("welcomes back an account that logging in reactivated", async () => {
    let signedIn = false;
    answerFetch({
      [`GET ${API}/accounts/me`]: () => (signedIn ? { body: ME } : SIGNED_OUT),
      [`POST ${API}/accounts/login`]: () => {
        signedIn = true;
        return { body: { me: ME, csrf_token: "t", reactivated: true, deletion_cancelled: false } };
      },
    });
    renderLogIn();
    await logIn();

    expect(await screen.findByText("Home feed")).toBeInTheDocument();
    expect(await screen.findByRole("status")).toHaveTextContent("Welcome back! Your account is active again");
  });

  it("tells someone who just deactivated their account how to come back", async () => {
    rememberAccountNotice({ kind: "deactivated" });
    answerFetch({ [`GET ${API}/accounts/me`]: SIGNED_OUT });
    renderLogIn();

    expect(await screen.findByRole("status")).toHaveTextContent("Log in again whenever you want it back.");
  });
});
