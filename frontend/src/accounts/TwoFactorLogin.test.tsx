import { screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { Route, Routes } from "react-router-dom";
import { afterEach, describe, expect, it, vi } from "vitest";
import { Login } from "../screens/Login";
import { answerFetch, renderApp } from "../test/render";
import { ME, SIGNED_OUT } from "./fixtures";
import { REQUEST_OPTIONS, withoutPasskeys, withPasskeys } from "./passkeyStubs";

afterEach(() => {
  vi.unstubAllGlobals();
  withoutPasskeys();
});

const API = "/api/viewfinder/v1";
const STEP = {
  two_factor_required: true,
  challenge: "the-challenge",
  expires_at: "2030-01-01T00:05:00Z",
  methods: ["totp", "recovery_code"],
  passkey_options: null,
};
const LOGGED_IN = { me: ME, csrf_token: "t", reactivated: false, deletion_cancelled: false };

function renderLogin() {
  return renderApp(
    <Routes>
      <Route path="/login" element={<Login />} />
      <Route path="/" element={<p>Home feed</p>} />
    </Routes>,
    { path: "/login" },
  );
}

async function enterPassword(user: ReturnType<typeof userEvent.setup>) {
  await user.type(screen.getByLabelText("Username or email"), "ada");
  await user.type(screen.getByLabelText("Password"), "secret words");
  await user.click(screen.getByRole("button", { name: "Log in" }));
}

describe("Log-in's second step", () => {
  it("asks for the app's code after a right password, trusts the device if asked, then goes home", async () => {
    const seen = answerFetch({
      [`GET ${API}/accounts/me`]: SIGNED_OUT,
      [`POST ${API}/accounts/login`]: { body: STEP },
      [`POST ${API}/accounts/login/two-factor`]: { body: LOGGED_IN },
    });
    renderLogin();
    const user = userEvent.setup();
    await enterPassword(user);

    const code = await screen.findByLabelText("6-digit code");
    expect(screen.getByRole("heading", { name: "Two-factor authentication" })).toBeInTheDocument();
    expect(code).toHaveAttribute("autocomplete", "one-time-code");
    expect(code).toHaveAttribute("inputmode", "numeric");
    expect(code).toHaveFocus();
    expect(screen.queryByRole("button", { name: "Use a passkey" })).not.toBeInTheDocument();
    await user.type(code, "123 456");
    await user.click(screen.getByRole("checkbox", { name: /Trust this device for 30 days/ }));
    await user.click(screen.getByRole("button", { name: "Verify" }));

    expect(await screen.findByText("Home feed")).toBeInTheDocument();
    const finish = seen.find((r) => r.url.endsWith("/accounts/login/two-factor"));
    expect(await finish?.json()).toEqual({ challenge: "the-challenge", trust_device: true, code: "123 456" });
  });

  it("shows a wrong code beside the field and lets the person try again", async () => {
    answerFetch({
      [`GET ${API}/accounts/me`]: SIGNED_OUT,
      [`POST ${API}/accounts/login`]: { body: STEP },
      [`POST ${API}/accounts/login/two-factor`]: {
        status: 400,
        body: { error: { code: "wrong_code", message: "That code is wrong.", fields: { code: "That code is wrong." } } },
      },
    });
    renderLogin();
    const user = userEvent.setup();
    await enterPassword(user);
    await user.type(await screen.findByLabelText("6-digit code"), "000000");
    await user.click(screen.getByRole("button", { name: "Verify" }));

    expect(await screen.findByText("That code is wrong.")).toBeInTheDocument();
    expect(screen.getByLabelText("6-digit code")).toHaveAttribute("aria-invalid", "true");
    expect(screen.getByRole("button", { name: "Verify" })).toBeEnabled();
  });

  it("takes a recovery code instead", async () => {
    const seen = answerFetch({
      [`GET ${API}/accounts/me`]: SIGNED_OUT,
      [`POST ${API}/accounts/login`]: { body: STEP },
      [`POST ${API}/accounts/login/two-factor`]: { body: LOGGED_IN },
    });
    renderLogin();
    const user = userEvent.setup();
    await enterPassword(user);
    await user.click(await screen.findByRole("button", { name: "Use a recovery code" }));
    await user.click(screen.getByRole("button", { name: "Verify" }));
    expect(await screen.findByText("Enter one of your recovery codes.")).toBeInTheDocument();

    await user.type(screen.getByLabelText("Recovery code"), "abcde-fghjk");
    await user.click(screen.getByRole("button", { name: "Verify" }));

    expect(await screen.findByText("Home feed")).toBeInTheDocument();
    const finish = seen.find((r) => r.url.endsWith("/accounts/login/two-factor"));
    expect(await finish?.json()).toEqual({ challenge: "the-challenge", trust_device: false, recovery_code: "abcde-fghjk" });
  });

  it("sends the person back to the password when the challenge died", async () => {
    answerFetch({
      [`GET ${API}/accounts/me`]: SIGNED_OUT,
      [`POST ${API}/accounts/login`]: { body: STEP },
      [`POST ${API}/accounts/login/two-factor`]: {
        status: 401,
        body: { error: { code: "login_expired", message: "Too many wrong codes. Enter your password again.", fields: {} } },
      },
    });
    renderLogin();
    const user = userEvent.setup();
    await enterPassword(user);
    await user.type(await screen.findByLabelText("6-digit code"), "000000");
    await user.click(screen.getByRole("button", { name: "Verify" }));

    expect(await screen.findByRole("alert")).toHaveTextContent("Too many wrong codes.");
    await user.click(screen.getByRole("button", { name: "Log in again" }));
    expect(screen.getByLabelText("Password")).toBeInTheDocument();
  });

  it("uses a passkey for the second step", async () => {
    const { get } = withPasskeys();
    const seen = answerFetch({
      [`GET ${API}/accounts/me`]: SIGNED_OUT,
      [`POST ${API}/accounts/login`]: {
        body: { ...STEP, methods: ["passkey", "recovery_code"], passkey_options: REQUEST_OPTIONS },
      },
      [`POST ${API}/accounts/login/two-factor`]: { body: LOGGED_IN },
    });
    renderLogin();
    const user = userEvent.setup();
    await enterPassword(user);

    // A passkey-only account is offered the passkey first, with no code box.
    await user.click(await screen.findByRole("button", { name: "Use a passkey" }));
    expect(screen.queryByLabelText("6-digit code")).not.toBeInTheDocument();

    expect(await screen.findByText("Home feed")).toBeInTheDocument();
    const options = get.mock.calls[0]?.[0] as { publicKey: PublicKeyCredentialRequestOptions };
    expect(new Uint8Array(options.publicKey.challenge as ArrayBuffer)).toEqual(new Uint8Array([0, 1, 2]));
    const finish = seen.find((r) => r.url.endsWith("/accounts/login/two-factor"));
    expect(await finish?.json()).toEqual({
      challenge: "the-challenge",
      trust_device: false,
      passkey: {
        id: "AQID",
        rawId: "AQID",
        type: "public-key",
        clientExtensionResults: {},
        authenticatorAttachment: "platform",
        response: { clientDataJSON: "e30", authenticatorData: "CQk", signature: "__4", userHandle: "Bw" },
      },
    });
  });

  it("says so when the passkey prompt is closed", async () => {
    withPasskeys({ get: () => Promise.reject(new DOMException("closed", "NotAllowedError")) });
    answerFetch({
      [`GET ${API}/accounts/me`]: SIGNED_OUT,
      [`POST ${API}/accounts/login`]: { body: { ...STEP, methods: ["totp", "passkey"], passkey_options: REQUEST_OPTIONS } },
    });
    renderLogin();
    const user = userEvent.setup();
    await enterPassword(user);
    await user.click(await screen.findByRole("button", { name: "Use a passkey" }));

    expect(await screen.findByRole("alert")).toHaveTextContent("No passkey was used.");
    expect(screen.getByLabelText("6-digit code")).toBeInTheDocument();
  });

  it("cancels a scheduled deletion after the second step without a new code", async () => {
    const seen = answerFetch({
      [`GET ${API}/accounts/me`]: SIGNED_OUT,
      [`POST ${API}/accounts/login`]: { body: STEP },
      [`POST ${API}/accounts/login/two-factor`]: async (request) => {
        const body = (await request.clone().json()) as Record<string, unknown>;
        if (body.cancel_deletion) return { body: { ...LOGGED_IN, deletion_cancelled: true, reactivated: true } };
        return {
          status: 409,
          body: {
            error: {
              code: "deletion_scheduled",
              message: "This account is scheduled to be deleted.",
              fields: { delete_after: "2030-02-01T00:00:00Z" },
            },
          },
        };
      },
    });
    renderLogin();
    const user = userEvent.setup();
    await enterPassword(user);
    await user.type(await screen.findByLabelText("6-digit code"), "123456");
    await user.click(screen.getByRole("button", { name: "Verify" }));

    await user.click(await screen.findByRole("button", { name: "Cancel deletion and log in" }));

    expect(await screen.findByText("Home feed")).toBeInTheDocument();
    const last = seen.filter((r) => r.url.endsWith("/accounts/login/two-factor")).at(-1);
    expect(await last?.json()).toEqual({ challenge: "the-challenge", trust_device: false, cancel_deletion: true });
  });
});

describe("Log in with a passkey", () => {
  it("logs in without the password", async () => {
    withPasskeys();
    const seen = answerFetch({
      [`GET ${API}/accounts/me`]: SIGNED_OUT,
      [`POST ${API}/accounts/passkeys/login/options`]: {
        body: { ceremony: "the-ceremony", options: { ...REQUEST_OPTIONS, allowCredentials: [], userVerification: "required" } },
      },
      [`POST ${API}/accounts/passkeys/login`]: { body: LOGGED_IN },
    });
    renderLogin();
    const user = userEvent.setup();

    await user.click(screen.getByRole("button", { name: "Log in with a passkey" }));

    expect(await screen.findByText("Home feed")).toBeInTheDocument();
    const login = seen.find((r) => r.url.endsWith("/accounts/passkeys/login"));
    const body = (await login?.json()) as { ceremony: string; credential: { id: string } };
    expect(body.ceremony).toBe("the-ceremony");
    expect(body.credential.id).toBe("AQID");
  });

  it("is not offered where the browser has no passkeys", async () => {
    answerFetch({ [`GET ${API}/accounts/me`]: SIGNED_OUT });
    renderLogin();
    await waitFor(() => expect(screen.getByRole("button", { name: "Log in" })).toBeInTheDocument());
    expect(screen.queryByRole("button", { name: "Log in with a passkey" })).not.toBeInTheDocument();
  });
});
