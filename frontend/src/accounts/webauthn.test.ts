import { afterEach, describe, expect, it, vi } from "vitest";
import { CREATION_OPTIONS, REQUEST_OPTIONS, withoutPasskeys, withPasskeys } from "./passkeyStubs";
import {
  base64urlToBytes,
  bytesToBase64url,
  createPasskey,
  creationOptions,
  getPasskey,
  PasskeyCancelled,
  passkeysSupported,
  requestOptions,
} from "./webauthn";

afterEach(() => {
  vi.unstubAllGlobals();
  withoutPasskeys();
});

describe("WebAuthn JSON", () => {
  it("round-trips base64url without padding, whatever the bytes", () => {
    const every = new Uint8Array(256).map((_, i) => i);
    expect(base64urlToBytes(bytesToBase64url(every))).toEqual(every);
    expect(bytesToBase64url(new Uint8Array([251, 255]))).toBe("-_8");
    expect(base64urlToBytes("-_8")).toEqual(new Uint8Array([251, 255]));
  });

  it("turns the API's options into the browser's, binary fields as bytes", () => {
    const created = creationOptions({ ...CREATION_OPTIONS, excludeCredentials: [{ id: "AQID", type: "public-key" }] });
    expect(new Uint8Array(created.challenge as ArrayBuffer)).toEqual(new Uint8Array([0, 1, 2]));
    expect(created.user.name).toBe("ada");
    expect(created.rp).toEqual({ id: "localhost", name: "Viewfinder" });
    expect(new Uint8Array(created.excludeCredentials?.[0]?.id as ArrayBuffer)).toEqual(new Uint8Array([1, 2, 3]));

    const requested = requestOptions(REQUEST_OPTIONS);
    expect(requested.rpId).toBe("localhost");
    expect(requested.allowCredentials?.[0]?.transports).toEqual(["internal"]);
    expect(requested.userVerification).toBe("preferred");
  });

  it("knows whether the browser has passkeys", () => {
    expect(passkeysSupported()).toBe(false);
    withPasskeys();
    expect(passkeysSupported()).toBe(true);
  });

  it("tells a closed prompt from other failures", async () => {
    withPasskeys({
      get: () => Promise.reject(new DOMException("closed", "NotAllowedError")),
      create: () => Promise.reject(new DOMException("exists", "InvalidStateError")),
    });
    await expect(getPasskey(REQUEST_OPTIONS)).rejects.toBeInstanceOf(PasskeyCancelled);
    await expect(createPasskey(CREATION_OPTIONS)).rejects.toThrow("already has a passkey");
  });
});
