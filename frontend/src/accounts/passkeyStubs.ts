/** For tests: a browser with passkeys (window.PublicKeyCredential and navigator.credentials), whose
 * authenticator answers with fixed bytes. The server's real checks are in tests/accounts/test_passkeys.py
 * (a software authenticator) and the end-to-end scenario (Chromium's virtual authenticator). */
import { vi } from "vitest";

const bytes = (...values: number[]) => new Uint8Array(values).buffer;

export function fakeAssertion(): unknown {
  return {
    id: "AQID",
    rawId: bytes(1, 2, 3),
    type: "public-key",
    authenticatorAttachment: "platform",
    getClientExtensionResults: () => ({}),
    response: {
      clientDataJSON: bytes(123, 125),
      authenticatorData: bytes(9, 9),
      signature: bytes(255, 254),
      userHandle: bytes(7),
    },
  };
}

export function fakeAttestation(): unknown {
  return {
    id: "BAUG",
    rawId: bytes(4, 5, 6),
    type: "public-key",
    authenticatorAttachment: "platform",
    getClientExtensionResults: () => ({}),
    response: {
      clientDataJSON: bytes(123, 125),
      attestationObject: bytes(161, 0),
      getTransports: () => ["internal"],
    },
  };
}

/** Give the test's browser passkeys; returns the mocks of navigator.credentials.get and .create. */
export function withPasskeys(answers: { get?: () => Promise<unknown>; create?: () => Promise<unknown> } = {}) {
  vi.stubGlobal("PublicKeyCredential", function PublicKeyCredential() {});
  const get = vi.fn((_options: CredentialRequestOptions) => (answers.get ?? (async () => fakeAssertion()))());
  const create = vi.fn((_options: CredentialCreationOptions) => (answers.create ?? (async () => fakeAttestation()))());
  Object.defineProperty(navigator, "credentials", { value: { get, create }, configurable: true });
  return { get, create };
}

export function withoutPasskeys() {
  Reflect.deleteProperty(navigator, "credentials");
}

export const REQUEST_OPTIONS = {
  challenge: "AAEC",
  rpId: "localhost",
  timeout: 300000,
  allowCredentials: [{ id: "AQID", type: "public-key", transports: ["internal"] }],
  userVerification: "preferred",
};

export const CREATION_OPTIONS = {
  rp: { id: "localhost", name: "Viewfinder" },
  user: { id: "BwcH", name: "ada", displayName: "Ada L." },
  challenge: "AAEC",
  pubKeyCredParams: [{ type: "public-key", alg: -7 }],
  timeout: 300000,
  excludeCredentials: [],
  authenticatorSelection: { residentKey: "required", requireResidentKey: true, userVerification: "preferred" },
  attestation: "none",
};
