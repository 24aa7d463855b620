import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { Route, Routes } from "react-router-dom";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { Schemas } from "../api/client";
import { PasskeysSection } from "./settings/PasskeysSection";
import { recoveryCodesText } from "./settings/RecoveryCodes";
import { describeEvent } from "./settings/SecurityActivitySection";
import { TokensSection } from "./settings/TokensSection";
import { TrustedDevicesSection } from "./settings/TrustedDevicesSection";
import { TwoFactorSection } from "./settings/TwoFactorSection";
import { answerFetch, renderApp } from "../test/render";
import { ME } from "./fixtures";
import { CREATION_OPTIONS, REQUEST_OPTIONS, withoutPasskeys, withPasskeys } from "./passkeyStubs";

afterEach(() => {
  vi.unstubAllGlobals();
  withoutPasskeys();
});

const API = "/api/viewfinder/v1";
const OFF = { enabled: false, totp: false, totp_pending: false, passkeys: 0, recovery_codes_left: 0, methods: [] };
const ON = { enabled: true, totp: true, totp_pending: false, passkeys: 0, recovery_codes_left: 10, methods: ["totp", "recovery_code"] };
const CODES = ["aaaaa-bbbbb", "ccccc-ddddd", "eeeee-fffff", "ggggg-hhhhh", "jjjjj-kkkkk"];
const SVG = '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10"/></svg>';
const REAUTH = {
  status: 403,
  body: { error: { code: "reauthentication_required", message: "Confirm it's you.", fields: {} } },
};
const PASSKEY = { id: "5", name: "Laptop", created_at: "2025-03-01T10:00:00Z", last_used_at: null, backed_up: true };

function renderSection(section: React.ReactElement) {
  return renderApp(
    <Routes>
      <Route path="/settings" element={section} />
    </Routes>,
    { path: "/settings" },
  );
}

function event(kind: string, detail: Record<string, unknown> = {}): Schemas["SecurityEventOut"] {
  return { id: "1", kind, detail, created_at: "2025-03-01T10:00:00Z", ip_address: "", user_agent: "" };
}

describe("Two-factor authentication in Settings", () => {
  it("sets up an app: QR code and key, a first code, then the recovery codes once", async () => {
    let status: Record<string, unknown> = OFF;
    const seen = answerFetch({
      [`GET ${API}/accounts/me`]: { body: ME },
      [`GET ${API}/accounts/two-factor`]: () => ({ body: status }),
      [`POST ${API}/accounts/two-factor/totp`]: {
        status: 201,
        body: { secret: "JBSWY3DPEHPK3PXP", uri: "otpauth://totp/x", qr_svg: SVG },
      },
      [`POST ${API}/accounts/two-factor/totp/confirm`]: () => {
        status = ON;
        return { body: { recovery_codes: CODES } };
      },
    });
    renderSection(<TwoFactorSection />);
    const user = userEvent.setup();

    await user.click(await screen.findByRole("button", { name: "Set up an authenticator app" }));

    const qr = await screen.findByRole("img", { name: "QR code of your two-factor secret" });
    expect(qr.getAttribute("src")).toBe(`data:image/svg+xml;charset=utf-8,${encodeURIComponent(SVG)}`);
    expect(screen.getByText("JBSWY3DPEHPK3PXP")).toBeInTheDocument();
    await user.click(screen.getByRole("button", { name: "Turn on" }));
    expect(await screen.findByText("Enter the 6-digit code your app shows.")).toBeInTheDocument();
    const code = screen.getByLabelText("Code from the app");
    expect(code).toHaveAttribute("autocomplete", "one-time-code");
    await user.type(code, "123456");
    await user.click(screen.getByRole("button", { name: "Turn on" }));

    const codes = await screen.findByRole("list", { name: "Recovery codes" });
    expect(within(codes).getAllByRole("listitem").map((item) => item.textContent)).toEqual(CODES);
    expect(await screen.findByText("On")).toBeInTheDocument();
    const confirm = seen.find((r) => r.url.endsWith("/totp/confirm"));
    expect(await confirm?.json()).toEqual({ code: "123456" });

    const writeText = vi.fn(async () => undefined);
    Object.defineProperty(navigator, "clipboard", { value: { writeText }, configurable: true });
    await user.click(screen.getByRole("button", { name: "Copy" }));
    expect(writeText).toHaveBeenCalledWith(recoveryCodesText(CODES, "ada"));
    expect(await screen.findByText("Copied to the clipboard.")).toBeInTheDocument();

    await user.click(screen.getByRole("button", { name: "I've saved them" }));
    expect(screen.queryByRole("list", { name: "Recovery codes" })).not.toBeInTheDocument();
    expect(screen.getByText(/10 recovery codes left/)).toBeInTheDocument();
  });

  it("downloads the recovery codes as a text file", async () => {
    answerFetch({
      [`GET ${API}/accounts/me`]: { body: ME },
      [`GET ${API}/accounts/two-factor`]: { body: ON },
      [`POST ${API}/accounts/two-factor/recovery-codes`]: { body: { recovery_codes: CODES } },
    });
    const createObjectURL = vi.fn((_blob: Blob) => "blob:codes");
    vi.stubGlobal("URL", Object.assign(URL, { createObjectURL, revokeObjectURL: vi.fn() }));
    const click = vi.spyOn(HTMLAnchorElement.prototype, "click").mockImplementation(() => undefined);
    renderSection(<TwoFactorSection />);
    const user = userEvent.setup();

    await user.click(await screen.findByRole("button", { name: "Get new recovery codes" }));
    await user.click(await screen.findByRole("button", { name: "Download" }));

    expect(click).toHaveBeenCalled();
    const blob = createObjectURL.mock.calls[0]?.[0] as Blob;
    expect(await blob.text()).toContain("aaaaa-bbbbb\nccccc-ddddd");
    expect(await screen.findByText("Downloaded as a text file.")).toBeInTheDocument();
    click.mockRestore();
  });

  it("asks to confirm it's you before setting up, then goes on", async () => {
    let confirmed = false;
    const seen = answerFetch({
      [`GET ${API}/accounts/me`]: { body: ME },
      [`GET ${API}/accounts/two-factor`]: { body: OFF },
      [`POST ${API}/accounts/two-factor/totp`]: () =>
        confirmed ? { status: 201, body: { secret: "JBSWY3DPEHPK3PXP", uri: "otpauth://totp/x", qr_svg: SVG } } : REAUTH,
      [`POST ${API}/accounts/reauthenticate`]: () => {
        confirmed = true;
        return { body: { reauthenticated_until: "2030-01-01T00:00:00Z" } };
      },
    });
    renderSection(<TwoFactorSection />);
    const user = userEvent.setup();

    await user.click(await screen.findByRole("button", { name: "Set up an authenticator app" }));
    const dialog = await screen.findByRole("dialog", { name: "Confirm it's you" });
    await user.type(within(dialog).getByLabelText("Password"), "secret words");
    await user.click(within(dialog).getByRole("button", { name: "Confirm" }));

    expect(await screen.findByRole("img", { name: "QR code of your two-factor secret" })).toBeInTheDocument();
    expect(seen.filter((r) => r.url.endsWith("/two-factor/totp"))).toHaveLength(2);
  });

  it("turns the app off with a code or a recovery code", async () => {
    let status: Record<string, unknown> = ON;
    const seen = answerFetch({
      [`GET ${API}/accounts/me`]: { body: ME },
      [`GET ${API}/accounts/two-factor`]: () => ({ body: status }),
      [`POST ${API}/accounts/two-factor/totp/disable`]: async (request) => {
        const body = (await request.clone().json()) as Record<string, string>;
        if (body.code) {
          return {
            status: 400,
            body: { error: { code: "wrong_code", message: "That code is wrong.", fields: { code: "That code is wrong." } } },
          };
        }
        status = OFF;
        return { body: OFF };
      },
    });
    renderSection(<TwoFactorSection />);
    const user = userEvent.setup();

    await user.click(await screen.findByRole("button", { name: "Turn off" }));
    const box = screen.getByLabelText("Code from your app, or a recovery code");
    await user.type(box, "123 456");
    await user.click(screen.getAllByRole("button", { name: "Turn off" })[0] as HTMLElement);
    expect(await screen.findByText("That code is wrong.")).toBeInTheDocument();
    expect(box).toHaveAttribute("aria-invalid", "true");

    await user.clear(box);
    await user.type(box, "abcde-fghjk");
    await user.click(screen.getAllByRole("button", { name: "Turn off" })[0] as HTMLElement);

    expect(await screen.findByRole("button", { name: "Set up an authenticator app" })).toBeInTheDocument();
    const bodies = await Promise.all(seen.filter((r) => r.url.endsWith("/disable")).map((r) => r.json()));
    expect(bodies).toEqual([{ code: "123 456" }, { recovery_code: "abcde-fghjk" }]);
  });
});

describe("Passkeys in Settings", () => {
  it("adds a passkey the browser makes, and shows the recovery codes of a first one", async () => {
    const { create } = withPasskeys();
    const seen = answerFetch({
      [`GET ${API}/accounts/me`]: { body: ME },
      [`GET ${API}/accounts/passkeys`]: { body: [] },
      [`POST ${API}/accounts/passkeys/registration/options`]: { body: { ceremony: "c1", options: CREATION_OPTIONS } },
      [`POST ${API}/accounts/passkeys`]: { status: 201, body: { passkey: PASSKEY, recovery_codes: CODES } },
    });
    renderSection(<PasskeysSection />);
    const user = userEvent.setup();
    expect(await screen.findByText("You have no passkeys.")).toBeInTheDocument();

    await user.type(screen.getByLabelText("Passkey name"), "Laptop");
    await user.click(screen.getByRole("button", { name: "Add a passkey" }));

    expect(await screen.findByRole("list", { name: "Recovery codes" })).toBeInTheDocument();
    const options = create.mock.calls[0]?.[0] as { publicKey: PublicKeyCredentialCreationOptions };
    expect(new Uint8Array(options.publicKey.user.id as ArrayBuffer)).toEqual(new Uint8Array([7, 7, 7]));
    const added = seen.find((r) => r.method === "POST" && r.url.endsWith("/accounts/passkeys"));
    expect(await added?.json()).toEqual({
      ceremony: "c1",
      name: "Laptop",
      credential: {
        id: "BAUG",
        rawId: "BAUG",
        type: "public-key",
        clientExtensionResults: {},
        authenticatorAttachment: "platform",
        response: { clientDataJSON: "e30", attestationObject: "oQA", transports: ["internal"] },
      },
    });
  });

  it("renames and removes passkeys", async () => {
    withPasskeys();
    let passkeys = [PASSKEY];
    const seen = answerFetch({
      [`GET ${API}/accounts/me`]: { body: ME },
      [`GET ${API}/accounts/passkeys`]: () => ({ body: passkeys }),
      [`PATCH ${API}/accounts/passkeys/5`]: () => {
        passkeys = [{ ...PASSKEY, name: "YubiKey" }];
        return { body: passkeys[0] };
      },
      [`DELETE ${API}/accounts/passkeys/5`]: () => {
        passkeys = [];
        return { status: 204 };
      },
    });
    renderSection(<PasskeysSection />);
    const user = userEvent.setup();
    expect(await screen.findByText(/Synced/)).toBeInTheDocument();

    await user.click(screen.getByRole("button", { name: "Rename passkey Laptop" }));
    const name = screen.getByLabelText("New name for Laptop");
    await user.clear(name);
    await user.type(name, "YubiKey");
    await user.click(screen.getByRole("button", { name: "Save" }));
    expect(await screen.findByText("YubiKey")).toBeInTheDocument();

    await user.click(screen.getByRole("button", { name: "Remove passkey YubiKey" }));
    expect(await screen.findByText("You have no passkeys.")).toBeInTheDocument();
    const rename = seen.find((r) => r.method === "PATCH");
    expect(await rename?.json()).toEqual({ name: "YubiKey" });
  });

  it("says when the browser can't make passkeys", async () => {
    answerFetch({ [`GET ${API}/accounts/passkeys`]: { body: [] } });
    renderSection(<PasskeysSection />);
    expect(await screen.findByText(/This browser can't make passkeys/)).toBeInTheDocument();
    expect(screen.queryByRole("button", { name: "Add a passkey" })).not.toBeInTheDocument();
  });
});

describe("Trusted devices in Settings", () => {
  const CHROME = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0 Safari/537.36";
  const device = (id: string, current: boolean) => ({
    id,
    user_agent: CHROME,
    ip_address: "203.0.113.9",
    created_at: "2025-03-01T10:00:00Z",
    last_used_at: null,
    expires_at: "2025-03-31T10:00:00Z",
    current,
  });

  it("lists them, marks this one, and removes one or all", async () => {
    const seen = answerFetch({
      [`GET ${API}/accounts/trusted-devices`]: { body: [device("1", true), device("2", false)] },
      [`DELETE ${API}/accounts/trusted-devices/2`]: { status: 204 },
      [`DELETE ${API}/accounts/trusted-devices`]: { status: 204 },
    });
    renderSection(<TrustedDevicesSection />);
    const user = userEvent.setup();
    const list = await screen.findByRole("list", { name: "Your trusted devices" });
    expect(within(list).getAllByRole("listitem")).toHaveLength(2);
    expect(within(list).getByText("This device")).toBeInTheDocument();

    await user.click(within(list).getAllByRole("button", { name: /Remove trusted device/ })[1] as HTMLElement);
    await waitFor(() => expect(within(list).getAllByRole("listitem")).toHaveLength(1));
    await user.click(screen.getByRole("button", { name: "Remove all" }));

    expect(await screen.findByText("No trusted devices.")).toBeInTheDocument();
    expect(seen.filter((r) => r.method === "DELETE").map((r) => new URL(r.url).pathname)).toEqual([
      `${API}/accounts/trusted-devices/2`,
      `${API}/accounts/trusted-devices`,
    ]);
  });
});

describe("Confirming it's you with a passkey", () => {
  it("offers the passkey in the dialog and retries the action", async () => {
    const { get } = withPasskeys();
    let confirmed = false;
    const seen = answerFetch({
      [`GET ${API}/accounts/tokens`]: { body: [] },
      [`GET ${API}/accounts/two-factor`]: { body: { ...OFF, enabled: true, passkeys: 1, methods: ["passkey"] } },
      [`POST ${API}/accounts/tokens`]: () =>
        confirmed
          ? {
              status: 201,
              body: {
                token: { id: "8", name: "cron", prefix: "vf_x", created_at: "2025-03-01T10:00:00Z", last_used_at: null },
                secret: "vf_secret",
              },
            }
          : REAUTH,
      [`POST ${API}/accounts/passkeys/reauthenticate/options`]: { body: { ceremony: "c2", options: REQUEST_OPTIONS } },
      [`POST ${API}/accounts/reauthenticate`]: () => {
        confirmed = true;
        return { body: { reauthenticated_until: "2030-01-01T00:00:00Z" } };
      },
    });
    renderSection(<TokensSection />);
    const user = userEvent.setup();

    await user.type(await screen.findByLabelText("Token name"), "cron");
    await user.click(screen.getByRole("button", { name: "Create token" }));
    const dialog = await screen.findByRole("dialog", { name: "Confirm it's you" });
    await user.click(await within(dialog).findByRole("button", { name: "Use a passkey instead" }));

    expect(await screen.findByTestId("new-token-secret")).toHaveTextContent("vf_secret");
    expect(get).toHaveBeenCalledTimes(1);
    const reauthenticate = seen.find((r) => r.url.endsWith("/accounts/reauthenticate"));
    const body = (await reauthenticate?.json()) as { passkey: { ceremony: string; credential: { id: string } } };
    expect(body.passkey.ceremony).toBe("c2");
    expect(body.passkey.credential.id).toBe("AQID");
  });
});

describe("Security activity", () => {
  it("says what each two-factor event means", () => {
    expect(describeEvent(event("two_factor_enabled", { method: "totp" }))).toBe(
      "Two-factor authentication turned on (authenticator app)",
    );
    expect(describeEvent(event("two_factor_disabled", { method: "all", by: "operator" }))).toBe(
      "Two-factor authentication turned off by the site's administrator",
    );
    expect(describeEvent(event("two_factor_failed", { method: "passkey", reason: "sign_count" }))).toBe(
      "Passkey refused: it may have been copied",
    );
    expect(describeEvent(event("recovery_code_used", { remaining: 1 }))).toBe("Recovery code used (1 code left)");
    expect(describeEvent(event("passkey_added", { name: "Laptop" }))).toBe('Passkey "Laptop" added');
    expect(describeEvent(event("trusted_device_removed", { device_id: "all" }))).toBe("Every trusted device removed");
    expect(describeEvent(event("reauthenticated", { method: "passkey" }))).toBe("Confirmed with a passkey");
  });
});
