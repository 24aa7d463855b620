import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { Route, Routes } from "react-router-dom";
import { afterEach, describe, expect, it, vi } from "vitest";
import { Settings } from "../screens/Settings";
import { answerFetch, renderApp } from "../test/render";
import { ME } from "./fixtures";

afterEach(() => vi.unstubAllGlobals());

const API = "/api/viewfinder/v1";
const TOKEN = { id: "7", name: "Backup script", prefix: "vf_abc1234", created_at: "2025-03-01T10:00:00Z", last_used_at: null };
const CHROME = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0 Safari/537.36";
const IPHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Version/17.0 Mobile/15E148 Safari/604.1";
const session = (id: string, userAgent: string, current: boolean) => ({
  id,
  user_agent: userAgent,
  ip_address: "203.0.113.9",
  current,
  created_at: "2025-03-01T10:00:00Z",
  last_seen_at: new Date().toISOString(),
  expires_at: "2026-03-01T10:00:00Z",
});
const TROLL = { id: "9", username: "troll", display_name: "", avatar_url: null, is_private: false, relationship: null };

/** The API of a signed-in account with one token, two sessions and one blocked account. */
function answerSettings(extra: Parameters<typeof answerFetch>[0] = {}) {
  return answerFetch({
    [`GET ${API}/accounts/me`]: { body: ME },
    [`GET ${API}/accounts/tokens`]: { body: [TOKEN] },
    [`GET ${API}/accounts/sessions`]: { body: [session("1", CHROME, true), session("2", IPHONE, false)] },
    [`GET ${API}/accounts/blocked`]: { body: { items: [TROLL], next_cursor: null } },
    [`GET ${API}/accounts/muted`]: { body: { items: [], next_cursor: null } },
    [`GET ${API}/accounts/security-events`]: { body: { items: [], next_cursor: null } },
    [`GET ${API}/accounts/two-factor`]: {
      body: { enabled: false, totp: false, totp_pending: false, passkeys: 0, recovery_codes_left: 0, methods: [] },
    },
    [`GET ${API}/accounts/passkeys`]: { body: [] },
    [`GET ${API}/accounts/trusted-devices`]: { body: [] },
    [`GET ${API}/accounts/data-exports`]: { body: { items: [], reauthenticated_until: null, deletion_grace_days: 30 } },
    ...extra,
  });
}

function renderSettings() {
  return renderApp(
    <Routes>
      <Route path="/settings" element={<Settings />} />
      <Route path="/login" element={<p>Log-in page</p>} />
    </Routes>,
    { path: "/settings" },
  );
}

const section = (name: string) => screen.getByRole("region", { name });

describe("Settings", () => {
  it("has one heading and a section for each part", async () => {
    answerSettings();
    renderSettings();
    expect(screen.getByRole("heading", { level: 1, name: "Settings" })).toBeInTheDocument();
    const titles = screen.getAllByRole("heading", { level: 2 }).map((h) => h.textContent);
    expect(titles).toEqual([
      "Account",
      "Email address",
      "Change password",
      "Two-factor authentication",
      "Passkeys",
      "Trusted devices",
      "API tokens",
      "Sessions",
      "Security activity",
      "Blocked accounts",
      "Muted accounts",
      "Your data",
    ]);
    expect(await within(section("Account")).findByText("ada@example.com")).toBeInTheDocument();
    expect(screen.getByRole("link", { name: "Edit profile" })).toHaveAttribute("href", "/accounts/edit");
    expect(await screen.findByText("You haven't muted anyone.")).toBeInTheDocument();
  });

  it("lists tokens, shows a new token's secret once, and revokes a token", async () => {
    const seen = answerSettings({
      [`POST ${API}/accounts/tokens`]: {
        status: 201,
        body: { token: { ...TOKEN, id: "8", name: "Phone app", prefix: "vf_zzz9876" }, secret: "vf_zzz9876-the-whole-secret" },
      },
      [`DELETE ${API}/accounts/tokens/7`]: { status: 204 },
    });
    renderSettings();
    const tokens = section("API tokens");
    expect(await within(tokens).findByText("Backup script")).toBeInTheDocument();
    expect(within(tokens).getByText(/Never used/)).toBeInTheDocument();

    const user = userEvent.setup();
    await user.type(within(tokens).getByLabelText("Token name"), "Phone app");
    await user.click(within(tokens).getByRole("button", { name: "Create token" }));
    expect(await within(tokens).findByText("vf_zzz9876-the-whole-secret")).toBeInTheDocument();
    expect(within(tokens).getByText(/won't be shown again/)).toBeInTheDocument();
    expect(within(tokens).getByRole("button", { name: "Copy" })).toBeInTheDocument();
    expect(within(tokens).getByRole("button", { name: "Revoke token Phone app" })).toBeInTheDocument();
    expect(within(tokens).getByLabelText("Token name")).toHaveValue("");

    await user.click(within(tokens).getByRole("button", { name: "Revoke token Backup script" }));
    await waitFor(() => expect(within(tokens).queryByText("Backup script")).not.toBeInTheDocument());
    expect(seen.some((r) => r.method === "DELETE" && r.url.endsWith("/accounts/tokens/7"))).toBe(true);

    await user.click(within(tokens).getByRole("button", { name: "Done" }));
    expect(within(tokens).queryByText("vf_zzz9876-the-whole-secret")).not.toBeInTheDocument();
  });

  it("copies the new token's secret to the clipboard", async () => {
    answerSettings({
      [`POST ${API}/accounts/tokens`]: { status: 201, body: { token: { ...TOKEN, id: "8" }, secret: "vf_secret" } },
    });
    renderSettings();
    const user = userEvent.setup();
    await user.type(screen.getByLabelText("Token name"), "CI");
    await user.click(screen.getByRole("button", { name: "Create token" }));
    await user.click(await screen.findByRole("button", { name: "Copy" }));
    expect(await navigator.clipboard.readText()).toBe("vf_secret");
    expect(screen.getByText("Copied to the clipboard.")).toBeInTheDocument();
  });

  it("asks for the password when creating a token needs it, then creates the token", async () => {
    let tokenCalls = 0;
    const seen = answerSettings({
      [`POST ${API}/accounts/tokens`]: () =>
        ++tokenCalls === 1
          ? {
              status: 403,
              body: {
                error: {
                  code: "reauthentication_required",
                  message: "Confirm it's you: enter your password again to do this.",
                  fields: {},
                },
              },
            }
          : { status: 201, body: { token: { ...TOKEN, id: "8", name: "CI" }, secret: "vf_after-confirming" } },
      [`POST ${API}/accounts/reauthenticate`]: async (request) =>
        (await request.json()).password === "my password"
          ? { body: { reauthenticated_until: "2030-01-01T00:00:00Z" } }
          : {
              status: 400,
              body: {
                error: { code: "wrong_password", message: "The password is wrong.", fields: { password: "The password is wrong." } },
              },
            },
    });
    renderSettings();
    const user = userEvent.setup();
    await user.type(screen.getByLabelText("Token name"), "CI");
    await user.click(screen.getByRole("button", { name: "Create token" }));

    const dialog = await screen.findByRole("dialog", { name: "Confirm it's you" });
    const password = within(dialog).getByLabelText("Password");
    expect(password).toHaveAttribute("type", "password");
    expect(password).toHaveFocus();
    expect(within(dialog).getByText(/to create an API token/)).toBeInTheDocument();
    // The refusal is the dialog's to explain, not a banner's.
    expect(screen.queryByText(/enter your password again/)).not.toBeInTheDocument();

    await user.click(within(dialog).getByRole("button", { name: "Confirm" }));
    expect(await within(dialog).findByText("Enter your password.")).toBeInTheDocument();

    await user.type(password, "a wrong one");
    await user.click(within(dialog).getByRole("button", { name: "Confirm" }));
    expect(await within(dialog).findByText("The password is wrong.")).toBeInTheDocument();
    expect(password).toHaveAttribute("aria-invalid", "true");

    await user.clear(password);
    await user.type(password, "my password");
    await user.click(within(dialog).getByRole("button", { name: "Confirm" }));
    expect(await screen.findByText("vf_after-confirming")).toBeInTheDocument();
    expect(screen.queryByRole("dialog")).not.toBeInTheDocument();
    const tokenPosts = seen.filter((r) => r.method === "POST" && r.url.endsWith("/accounts/tokens"));
    expect(tokenPosts).toHaveLength(2);
  });

  it("says why nothing happened when the password dialog is cancelled", async () => {
    answerSettings({
      [`POST ${API}/accounts/tokens`]: {
        status: 403,
        body: {
          error: { code: "reauthentication_required", message: "Confirm it's you: enter your password again to do this.", fields: {} },
        },
      },
    });
    renderSettings();
    const user = userEvent.setup();
    await user.type(screen.getByLabelText("Token name"), "CI");
    await user.click(screen.getByRole("button", { name: "Create token" }));
    const dialog = await screen.findByRole("dialog", { name: "Confirm it's you" });
    await user.click(within(dialog).getByRole("button", { name: "Cancel" }));
    expect(screen.queryByRole("dialog")).not.toBeInTheDocument();
    expect(await screen.findByText(/enter your password again/)).toBeInTheDocument();
  });

  it("lists security activity with where it came from and marks new devices", async () => {
    const event = (id: string, kind: string, detail: Record<string, unknown> = {}) => ({
      id,
      kind,
      detail,
      created_at: new Date(Date.now() - 3 * 3600 * 1000).toISOString(),
      ip_address: "203.0.113.9",
      user_agent: IPHONE,
    });
    answerSettings({
      [`GET ${API}/accounts/security-events`]: {
        body: {
          items: [
            event("5", "login_succeeded", { new_device: true }),
            event("4", "login_failed"),
            event("3", "password_changed", { sessions_ended: 2, tokens_revoked: 1 }),
            event("2", "token_created", { name: "Backup script", token_id: "7" }),
            event("1", "login_succeeded", { new_device: false }),
          ],
          next_cursor: null,
        },
      },
    });
    renderSettings();
    const activity = section("Security activity");
    const rows = await within(activity).findAllByRole("listitem");
    expect(rows.map((row) => row.querySelector(".settings-row-title")?.textContent)).toEqual([
      "Logged inNew device",
      "Failed log-in (wrong password)",
      "Password changed (2 other sessions logged out, 1 API token revoked)",
      'API token "Backup script" created',
      "Logged in",
    ]);
    const [newest] = rows;
    expect(newest && within(newest).getByText("New device")).toBeInTheDocument();
    expect(newest?.querySelector(".settings-row-meta")?.textContent).toBe("3 hours ago · Safari on iPhone · 203.0.113.9");
  });

  it("shows the API's reason beside the password field, then a notice once changed", async () => {
    let calls = 0;
    answerSettings({
      [`POST ${API}/accounts/password`]: () =>
        ++calls === 1
          ? {
              status: 400,
              body: {
                error: {
                  code: "wrong_password",
                  message: "Some fields need attention.",
                  fields: { current_password: "The current password is wrong." },
                },
              },
            }
          : { status: 204 },
    });
    renderSettings();
    const user = userEvent.setup();
    const current = screen.getByLabelText("Current password");
    await user.type(current, "guess");
    await user.type(screen.getByLabelText("New password"), "a much better password");
    await user.click(screen.getByRole("button", { name: "Change password" }));
    expect(await screen.findByText("The current password is wrong.")).toBeInTheDocument();
    expect(current).toHaveAttribute("aria-invalid", "true");

    await user.clear(current);
    await user.type(current, "the real one");
    await user.click(screen.getByRole("button", { name: "Change password" }));
    expect(await screen.findByText(/Your password has been changed/)).toBeInTheDocument();
    expect(current).toHaveValue("");
    expect(current).not.toHaveAttribute("aria-invalid");
  });

  it("marks this device and logs out another session", async () => {
    const seen = answerSettings({ [`DELETE ${API}/accounts/sessions/2`]: { status: 204 } });
    renderSettings();
    const sessions = section("Sessions");
    expect(await within(sessions).findByText("This device")).toBeInTheDocument();
    expect(within(sessions).getByText("Chrome on Linux")).toBeInTheDocument();
    expect(within(sessions).getAllByRole("button")).toHaveLength(1);

    await userEvent.setup().click(within(sessions).getByRole("button", { name: `End session on ${IPHONE}` }));
    await waitFor(() => expect(within(sessions).queryByText("Safari on iPhone")).not.toBeInTheDocument());
    expect(seen.some((r) => r.method === "DELETE" && r.url.endsWith("/accounts/sessions/2"))).toBe(true);
  });

  it("unblocks an account", async () => {
    const seen = answerSettings({ [`DELETE ${API}/users/troll/block`]: { status: 204 } });
    renderSettings();
    const blocked = section("Blocked accounts");
    expect(await within(blocked).findByRole("link", { name: "troll" })).toHaveAttribute("href", "/troll");
    await userEvent.setup().click(within(blocked).getByRole("button", { name: "Unblock troll" }));
    expect(await within(blocked).findByText("You haven't blocked anyone.")).toBeInTheDocument();
    expect(seen.some((r) => r.method === "DELETE" && r.url.endsWith("/users/troll/block"))).toBe(true);
  });

  it("logs out and goes to the log-in page", async () => {
    const seen = answerSettings({ [`POST ${API}/accounts/logout`]: { status: 204 } });
    renderSettings();
    await userEvent.setup().click(screen.getByRole("button", { name: "Log out" }));
    expect(await screen.findByText("Log-in page")).toBeInTheDocument();
    expect(seen.some((r) => r.method === "POST" && r.url.endsWith("/accounts/logout"))).toBe(true);
  });
});
