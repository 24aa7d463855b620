"""A passkey authenticator in software, for tests: real EC P-256 keys (`cryptography`), attestation
"none" registration responses and signed assertions, built byte by byte as the WebAuthn spec lays
them out, so the server checks real signatures with the `webauthn` package (no mocks)."""

from __future__ import annotations

import copy
import hashlib
import json
import os
from base64 import urlsafe_b64decode, urlsafe_b64encode
from dataclasses import dataclass
from typing import Any

import cbor2
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

ORIGIN = "https://testserver.local"
USER_PRESENT = 0x01
USER_VERIFIED = 0x04
ATTESTED_CREDENTIAL = 0x40


def b64url(data: bytes) -> str:
    return urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    return urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class Credential:
    """One passkey the authenticator holds: its key, account and signature counter."""

    id: bytes
    key: ec.EllipticCurvePrivateKey
    rp_id: str
    user_handle: bytes
    sign_count: int = 0


class SoftwareAuthenticator:
    """Makes and uses discoverable credentials, as a platform authenticator or a security key would.

    `counter_step` is how much the signature counter grows per use (0 for authenticators that keep
    no counter, as many synced passkeys do)."""

    def __init__(self, origin: str = ORIGIN, counter_step: int = 1) -> None:
        self.origin = origin
        self.counter_step = counter_step
        self.credentials: dict[bytes, Credential] = {}

    def clone(self) -> SoftwareAuthenticator:
        """A copy of every key and counter, as an attacker who extracted them would have."""
        twin = SoftwareAuthenticator(self.origin, self.counter_step)
        twin.credentials = {key: copy.copy(value) for key, value in self.credentials.items()}
        return twin

    @property
    def only_credential_id(self) -> str:
        (credential_id,) = self.credentials
        return b64url(credential_id)

    def create(
        self, options: dict[str, Any], *, user_verified: bool = True, origin: str | None = None
    ) -> dict[str, Any]:
        """navigator.credentials.create(): a new credential for `options` (PublicKeyCredential
        CreationOptions as JSON), answered as RegistrationResponseJSON with attestation "none"."""
        rp_id = options["rp"]["id"]
        excluded = {unb64url(item["id"]) for item in options.get("excludeCredentials", [])}
        if excluded & set(self.credentials):
            raise ValueError("InvalidStateError: this authenticator already has a credential here")
        key = ec.generate_private_key(ec.SECP256R1())
        credential = Credential(os.urandom(16), key, rp_id, unb64url(options["user"]["id"]))
        self.credentials[credential.id] = credential
        numbers = key.public_key().public_numbers()
        cose_key = cbor2.dumps(
            {1: 2, 3: -7, -1: 1, -2: numbers.x.to_bytes(32, "big"), -3: numbers.y.to_bytes(32, "big")}
        )
        flags = USER_PRESENT | ATTESTED_CREDENTIAL | (USER_VERIFIED if user_verified else 0)
        authenticator_data = (
            hashlib.sha256(rp_id.encode()).digest()
            + bytes([flags])
            + credential.sign_count.to_bytes(4, "big")
            + bytes(16)  # AAGUID: none
            + len(credential.id).to_bytes(2, "big")
            + credential.id
            + cose_key
        )
        client_data = self._client_data("webauthn.create", options["challenge"], origin)
        attestation = cbor2.dumps({"fmt": "none", "attStmt": {}, "authData": authenticator_data})
        return {
            "id": b64url(credential.id),
            "rawId": b64url(credential.id),
            "type": "public-key",
            "response": {
                "clientDataJSON": b64url(client_data),
                "attestationObject": b64url(attestation),
                "transports": ["internal", "hybrid"],
            },
            "clientExtensionResults": {},
            "authenticatorAttachment": "platform",
        }

    def get(
        self,
        options: dict[str, Any],
        *,
        user_verified: bool = True,
        origin: str | None = None,
        credential_id: str | None = None,
    ) -> dict[str, Any]:
        """navigator.credentials.get(): an assertion for `options` (PublicKeyCredentialRequest
        Options as JSON) with a credential it allows (any of this relying party's when it lists
        none), answered as AuthenticationResponseJSON."""
        rp_id = options["rpId"]
        allowed = [unb64url(item["id"]) for item in options.get("allowCredentials", [])]
        usable = [
            credential
            for credential in self.credentials.values()
            if credential.rp_id == rp_id and (not allowed or credential.id in allowed)
        ]
        if credential_id is not None:
            usable = [c for c in usable if c.id == unb64url(credential_id)]
        if not usable:
            raise LookupError("NotAllowedError: no credential of this authenticator is allowed")
        credential = usable[0]
        credential.sign_count += self.counter_step
        flags = USER_PRESENT | (USER_VERIFIED if user_verified else 0)
        authenticator_data = (
            hashlib.sha256(rp_id.encode()).digest()
            + bytes([flags])
            + credential.sign_count.to_bytes(4, "big")
        )
        client_data = self._client_data("webauthn.get", options["challenge"], origin)
        signature = credential.key.sign(
            authenticator_data + hashlib.sha256(client_data).digest(), ec.ECDSA(hashes.SHA256())
        )
        return {
            "id": b64url(credential.id),
            "rawId": b64url(credential.id),
            "type": "public-key",
            "response": {
                "clientDataJSON": b64url(client_data),
                "authenticatorData": b64url(authenticator_data),
                "signature": b64url(signature),
                "userHandle": b64url(credential.user_handle),
            },
            "clientExtensionResults": {},
            "authenticatorAttachment": "platform",
        }

    def _client_data(self, kind: str, challenge: str, origin: str | None) -> bytes:
        return json.dumps(
            {"type": kind, "challenge": challenge, "origin": origin or self.origin, "crossOrigin": False}
        ).encode()
