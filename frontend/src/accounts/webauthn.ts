/** Passkeys in the browser: the API sends WebAuthn options as JSON (binary fields base64url) and wants
 * the browser's answer as JSON back (PublicKeyCredential.toJSON()). These convert both ways by hand,
 * so they work in browsers without parseCreationOptionsFromJSON / toJSON. */

type Json = Record<string, unknown>;

export function base64urlToBytes(text: string): Uint8Array<ArrayBuffer> {
  const base64 = text.replaceAll("-", "+").replaceAll("_", "/");
  const padded = base64 + "=".repeat((4 - (base64.length % 4)) % 4);
  const binary = atob(padded);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i += 1) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

export function bytesToBase64url(buffer: ArrayBuffer | ArrayBufferView): string {
  const bytes = buffer instanceof ArrayBuffer ? new Uint8Array(buffer) : new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

/** Whether this browser can use passkeys at all. */
export function passkeysSupported(): boolean {
  return typeof window !== "undefined" && typeof window.PublicKeyCredential === "function" && Boolean(navigator.credentials);
}

type Descriptor = { id: string; type: string; transports?: string[] };

function descriptors(list: unknown): PublicKeyCredentialDescriptor[] {
  return ((list as Descriptor[] | undefined) ?? []).map((item) => ({
    id: base64urlToBytes(item.id),
    type: "public-key",
    ...(item.transports ? { transports: item.transports as AuthenticatorTransport[] } : {}),
  }));
}

/** PublicKeyCredentialCreationOptions from the API's JSON. */
export function creationOptions(json: Json): PublicKeyCredentialCreationOptions {
  const user = json.user as { id: string; name: string; displayName: string };
  return {
    ...(json as unknown as PublicKeyCredentialCreationOptions),
    challenge: base64urlToBytes(json.challenge as string),
    user: { ...user, id: base64urlToBytes(user.id) },
    excludeCredentials: descriptors(json.excludeCredentials),
  };
}

/** PublicKeyCredentialRequestOptions from the API's JSON. */
export function requestOptions(json: Json): PublicKeyCredentialRequestOptions {
  return {
    ...(json as unknown as PublicKeyCredentialRequestOptions),
    challenge: base64urlToBytes(json.challenge as string),
    allowCredentials: descriptors(json.allowCredentials),
  };
}

/** The browser's answer as the JSON the API reads. */
export function credentialToJson(credential: PublicKeyCredential): Json {
  const response = credential.response;
  const common = {
    id: credential.id,
    rawId: bytesToBase64url(credential.rawId),
    type: credential.type,
    clientExtensionResults: credential.getClientExtensionResults?.() ?? {},
    authenticatorAttachment: credential.authenticatorAttachment ?? undefined,
  };
  if ("attestationObject" in response) {
    const attestation = response as AuthenticatorAttestationResponse;
    return {
      ...common,
      response: {
        clientDataJSON: bytesToBase64url(attestation.clientDataJSON),
        attestationObject: bytesToBase64url(attestation.attestationObject),
        transports: attestation.getTransports?.() ?? [],
      },
    };
  }
  const assertion = response as AuthenticatorAssertionResponse;
  return {
    ...common,
    response: {
      clientDataJSON: bytesToBase64url(assertion.clientDataJSON),
      authenticatorData: bytesToBase64url(assertion.authenticatorData),
      signature: bytesToBase64url(assertion.signature),
      userHandle: assertion.userHandle ? bytesToBase64url(assertion.userHandle) : null,
    },
  };
}

/** Thrown when the person closed the browser's passkey prompt or it timed out. */
export class PasskeyCancelled extends Error {
  constructor() {
    super("No passkey was used. Try again when you're ready.");
    this.name = "PasskeyCancelled";
  }
}

function cancelled(error: unknown): never {
  if (error instanceof DOMException && (error.name === "NotAllowedError" || error.name === "AbortError")) {
    throw new PasskeyCancelled();
  }
  if (error instanceof DOMException && error.name === "InvalidStateError") {
    throw new Error("This device already has a passkey for your account.");
  }
  throw error;
}

/** navigator.credentials.create() with the API's registration options; the answer as JSON. */
export async function createPasskey(options: Json): Promise<Json> {
  let credential: Credential | null;
  try {
    credential = await navigator.credentials.create({ publicKey: creationOptions(options) });
  } catch (error) {
    cancelled(error);
  }
  if (!credential) throw new PasskeyCancelled();
  return credentialToJson(credential as PublicKeyCredential);
}

/** navigator.credentials.get() with the API's request options; the answer as JSON. */
export async function getPasskey(options: Json): Promise<Json> {
  let credential: Credential | null;
  try {
    credential = await navigator.credentials.get({ publicKey: requestOptions(options) });
  } catch (error) {
    cancelled(error);
  }
  if (!credential) throw new PasskeyCancelled();
  return credentialToJson(credential as PublicKeyCredential);
}
