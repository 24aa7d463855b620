import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { Route, Routes } from "react-router-dom";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { SIGNED_OUT } from "../accounts/fixtures";
import { REQUEST_OPTIONS, withPasskeys, withoutPasskeys } from "../accounts/passkeyStubs";
import { Login } from "../screens/Login";
import { strikeOut } from "../staff/testData";
import { answerFetch, renderApp } from "../test/render";

const API = "/api/viewfinder/v1";
const TOKEN = { token: "standing-secret", expires_at: "2026-12-05T22:00:00Z" };

const BANNED = {
  status: 403,
  body: { error: { code: "account_banned", message: "This account has been banned from this instance.", fields: {} } },
};
const SUSPENDED = {
  status: 403,
  body: {
    error: {
      code: "account_suspended",
      message: "This account is suspended until 08 December 2026, 10:00 UTC.",
      fields: { suspended_until: "2026-12-08T10:00:00+00:00" },
    },
  },
};

function standing(extra: Record<string, unknown> = {}) {
  return {
    username: "ola",
    state: "banned",
    suspended_until: null,
    strikes: [
      strikeOut({ id: "a9", kind: "ban", target: "user", target_id: "u-ola", reason: "Spam across many posts", policy: "Spam § 1" }),
      strikeOut({ id: "a1", appealable: false, appeal: { id: "ap0", status: "upheld", created_at: "2026-12-01T10:00:00Z" } }),
    ],
    ...extra,
  };
}

function renderLogin() {
  return renderApp(
    <Routes>
      <Route path="/login" element={<Login />} />
      <Route path="/" element={<p>Home feed</p>} />
    </Routes>,
    { path: "/login" },
  );
}

async function logIn(password = "secret words") {
  const user = userEvent.setup();
  await user.type(screen.getByLabelText("Username or email"), "ola ");
  await user.type(screen.getByLabelText("Password"), password);
  await user.click(screen.getByRole("button", { name: "Log in" }));
  return user;
}

function requestsTo(seen: Request[], path: string, method = "GET") {
  return seen.filter((request) => request.method === method && new URL(request.url).pathname === `${API}${path}`);
}

beforeEach(() => localStorage.clear());
afterEach(() => vi.unstubAllGlobals());

describe("a banned account at the log-in", () => {
  it("is shown why, its strikes, and appeals once with a standing token kept out of storage", async () => {
    let appealed = false;
    const seen = answerFetch({
      [`GET ${API}/accounts/me`]: SIGNED_OUT,
      [`POST ${API}/accounts/login`]: BANNED,
      [`POST ${API}/accounts/standing/token`]: { status: 201, body: TOKEN },
      [`GET ${API}/accounts/standing`]: () => ({
        body: appealed
          ? standing({
              strikes: [
                strikeOut({ id: "a9", kind: "ban", target: "user", reason: "Spam across many posts", appeal: { id: "ap9", status: "open", created_at: "2026-12-05T21:00:00Z" } }),
              ],
            })
          : standing(),
      }),
      [`POST ${API}/accounts/standing/strikes/a9/appeal`]: () => {
        appealed = true;
        return { status: 201, body: { id: "ap9", text: "Not spam", status: "open", created_at: "2026-12-05T21:00:00Z", decided_at: null, action: null } };
      },
    });
    renderLogin();
    const user = await logIn();

    expect(await screen.findByRole("heading", { name: "Your account has been banned" })).toBeInTheDocument();
    const list = await screen.findByRole("list", { name: "Actions against your account" });
    const items = within(list).getAllByRole("listitem");
    expect(items[0]).toHaveTextContent("Account banned");
    expect(items[0]).toHaveTextContent("Spam across many posts");
    expect(items[0]).toHaveTextContent("Policy: Spam § 1");
    expect(items[1]).toHaveTextContent("Your appeal was reviewed: the decision stands.");
    expect(within(items[1] as HTMLElement).queryByRole("button", { name: "Appeal" })).not.toBeInTheDocument();

    // The token came from the credentials just typed, and goes only to the standing routes, as a bearer token, without cookies.
    const [tokenRequest] = requestsTo(seen, "/accounts/standing/token", "POST");
    expect(await tokenRequest?.json()).toEqual({ username: "ola", password: "secret words" });
    const [read] = requestsTo(seen, "/accounts/standing");
    expect(read?.headers.get("Authorization")).toBe("Bearer standing-secret");
    expect(read?.credentials).toBe("omit");

    await user.click(within(items[0] as HTMLElement).getByRole("button", { name: "Appeal" }));
    await user.type(screen.getByLabelText("Why should this be reversed?"), "I posted my own shop once");
    await user.click(screen.getByRole("button", { name: "Send appeal" }));
    expect(await screen.findByText("Your appeal is waiting for a moderator.")).toBeInTheDocument();
    const [sent] = requestsTo(seen, "/accounts/standing/strikes/a9/appeal", "POST");
    expect(sent?.headers.get("Authorization")).toBe("Bearer standing-secret");
    expect(await sent?.json()).toEqual({ text: "I posted my own shop once" });
    expect(screen.queryByRole("button", { name: "Appeal" })).not.toBeInTheDocument();

    // Memory only: nothing of the token or the password is stored.
    const stored = JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage }) + document.cookie;
    expect(stored).not.toContain("standing-secret");
    expect(stored).not.toContain("secret words");
  });

  it("goes back to the log-in form", async () => {
    answerFetch({
      [`GET ${API}/accounts/me`]: SIGNED_OUT,
      [`POST ${API}/accounts/login`]: BANNED,
      [`POST ${API}/accounts/standing/token`]: { status: 201, body: TOKEN },
      [`GET ${API}/accounts/standing`]: { body: standing() },
    });
    renderLogin();
    const user = await logIn();
    await screen.findByRole("list", { name: "Actions against your account" });
    await user.click(screen.getByRole("button", { name: "Back to log in" }));
    expect(screen.getByRole("button", { name: "Log in" })).toBeInTheDocument();
    expect(screen.queryByText("Your account has been banned")).not.toBeInTheDocument();
  });
});

describe("a suspended account at the log-in", () => {
  it("says until when, even before its standing loads", async () => {
    answerFetch({
      [`GET ${API}/accounts/me`]: SIGNED_OUT,
      [`POST ${API}/accounts/login`]: SUSPENDED,
      [`POST ${API}/accounts/standing/token`]: { status: 201, body: TOKEN },
      [`GET ${API}/accounts/standing`]: {
        body: standing({ state: "suspended", suspended_until: "2026-12-08T10:00:00Z", strikes: [strikeOut({ kind: "suspend", target: "user" })] }),
      },
    });
    renderLogin();
    await logIn();
    expect(await screen.findByRole("heading", { name: "Your account is suspended" })).toBeInTheDocument();
    expect(screen.getByText(/You can't log in to this account until/)).toHaveTextContent("2026");
    expect(await screen.findByText("Account suspended")).toBeInTheDocument();
  });

  it("asks for the two-factor code when the account has one", async () => {
    const bodies: unknown[] = [];
    answerFetch({
      [`GET ${API}/accounts/me`]: SIGNED_OUT,
      [`POST ${API}/accounts/login`]: SUSPENDED,
      [`POST ${API}/accounts/standing/token`]: async (request) => {
        const body = (await request.json()) as { code?: string };
        bodies.push(body);
        if (!body.code) {
          return { status: 401, body: { error: { code: "two_factor_required", message: "Enter your code.", fields: { code: "required" } } } };
        }
        if (body.code !== "123456") {
          return { status: 400, body: { error: { code: "wrong_code", message: "That code is wrong.", fields: { code: "That code is wrong." } } } };
        }
        return { status: 201, body: TOKEN };
      },
      [`GET ${API}/accounts/standing`]: { body: standing({ state: "suspended", suspended_until: "2026-12-08T10:00:00Z" }) },
    });
    renderLogin();
    const user = await logIn();
    const code = await screen.findByLabelText("Code");
    await user.type(code, "000000{Enter}");
    expect(await screen.findByRole("alert")).toHaveTextContent("That code is wrong.");
    expect(code).toHaveAttribute("aria-invalid", "true");
    await user.clear(code);
    await user.type(code, "123456{Enter}");
    await screen.findByRole("list", { name: "Actions against your account" });
    expect(bodies).toHaveLength(3);
    expect(bodies[2]).toEqual({ username: "ola", password: "secret words", code: "123456" });
  });
});

describe("the standing token", () => {
  it("asks for the password again once the token stops working", async () => {
    let reads = 0;
    const seen = answerFetch({
      [`GET ${API}/accounts/me`]: SIGNED_OUT,
      [`POST ${API}/accounts/login`]: BANNED,
      [`POST ${API}/accounts/standing/token`]: { status: 201, body: TOKEN },
      [`GET ${API}/accounts/standing`]: () => {
        reads += 1;
        return reads === 1
          ? { status: 401, body: { error: { code: "invalid_standing_token", message: "Log in again.", fields: {} } } }
          : { body: standing() };
      },
    });
    renderLogin();
    const user = await logIn();
    const password = await screen.findByLabelText("Password");
    expect(screen.getByText(/Enter your password again to go on/)).toBeInTheDocument();
    await user.type(password, "typed again{Enter}");
    await screen.findByRole("list", { name: "Actions against your account" });
    const tries = requestsTo(seen, "/accounts/standing/token", "POST");
    expect(tries).toHaveLength(2);
    expect(await tries[1]?.json()).toEqual({ username: "ola", password: "typed again" });
  });

  it("says the account can log in when the sanction has ended", async () => {
    answerFetch({
      [`GET ${API}/accounts/me`]: SIGNED_OUT,
      [`POST ${API}/accounts/login`]: SUSPENDED,
      [`POST ${API}/accounts/standing/token`]: {
        status: 409,
        body: { error: { code: "account_in_good_standing", message: "This account can log in.", fields: {} } },
      },
    });
    renderLogin();
    await logIn();
    expect(await screen.findByRole("status")).toHaveTextContent("you can log in now");
    expect(screen.queryByRole("alert")).not.toBeInTheDocument();
  });

  it("offers a retry when asking for it fails otherwise", async () => {
    let tries = 0;
    answerFetch({
      [`GET ${API}/accounts/me`]: SIGNED_OUT,
      [`POST ${API}/accounts/login`]: BANNED,
      [`POST ${API}/accounts/standing/token`]: () => {
        tries += 1;
        return tries === 1
          ? { status: 429, body: { error: { code: "rate_limited", message: "Too many attempts. Wait a minute.", fields: {} } } }
          : { status: 201, body: TOKEN };
      },
      [`GET ${API}/accounts/standing`]: { body: standing() },
    });
    renderLogin();
    const user = await logIn();
    expect(await screen.findByRole("alert")).toHaveTextContent("Too many attempts. Wait a minute.");
    await user.click(screen.getByRole("button", { name: "Try again" }));
    await screen.findByRole("list", { name: "Actions against your account" });
  });
});

describe("a passkey log-in of a banned account", () => {
  afterEach(() => withoutPasskeys());

  it("points to the password log-in, where the standing screen opens", async () => {
    withPasskeys();
    answerFetch({
      [`GET ${API}/accounts/me`]: SIGNED_OUT,
      [`POST ${API}/accounts/passkeys/login/options`]: { body: { ceremony: "c", options: REQUEST_OPTIONS } },
      [`POST ${API}/accounts/passkeys/login`]: BANNED,
    });
    renderLogin();
    await userEvent.click(screen.getByRole("button", { name: "Log in with a passkey" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("This account has been banned from this instance.");
    expect(screen.getByText("Log in with your password above to see why, and to appeal.")).toBeInTheDocument();
  });
});

describe("any other refusal", () => {
  it("stays on the log-in form", async () => {
    const seen = answerFetch({
      [`GET ${API}/accounts/me`]: SIGNED_OUT,
      [`POST ${API}/accounts/login`]: {
        status: 401,
        body: { error: { code: "invalid_credentials", message: "The username or password is wrong.", fields: {} } },
      },
    });
    renderLogin();
    await logIn();
    expect(await screen.findByRole("alert")).toHaveTextContent("The username or password is wrong.");
    await waitFor(() => expect(requestsTo(seen, "/accounts/standing/token", "POST")).toHaveLength(0));
  });
});
