"""TEST DOUBLE for testing the Passwordless.dev stand-in itself -- NOT a reference for vauth.

A minimal ES256 authenticator plus WebAuthn client in pure Python. It exists so that
test_passwordless_standin.py can drive the stand-in through honest ceremonies and then break them
one field at a time. vauth is never tested against this file's idea of correctness; vauth is
tested against the stand-in, which verifies with py_webauthn.
"""
from __future__ import annotations

import base64
import hashlib
import json
import secrets
from dataclasses import dataclass

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from fido2 import cbor

UP, UV, AT = 0x01, 0x04, 0x40


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class SoftCredential:
    id: bytes
    key: ec.EllipticCurvePrivateKey
    user_handle: bytes
    sign_count: int = 0

    def cose_public_key(self) -> bytes:
        numbers = self.key.public_key().public_numbers()
        return cbor.encode({1: 2, 3: -7, -1: 1, -2: numbers.x.to_bytes(32, "big"),
                            -3: numbers.y.to_bytes(32, "big")})


def client_data(kind: str, challenge: str, origin: str) -> bytes:
    # Member order as browsers emit it: type, challenge, origin, crossOrigin.
    return json.dumps({"type": kind, "challenge": challenge, "origin": origin,
                       "crossOrigin": False}, separators=(",", ":")).encode()


class SoftAuthenticator:
    """`counter_step` is added to a credential's counter at every assertion (0 = no counter)."""

    def __init__(self, counter_step: int = 1, aaguid: bytes = bytes(16)):
        self.counter_step, self.aaguid = counter_step, aaguid

    def create(self, options: dict, origin: str, *, credential: SoftCredential | None = None,
               flags: int = UP | UV, rp_id: str | None = None, challenge: str | None = None,
               transports=("internal",), attestation_key=None, x5c=None) -> tuple[dict, SoftCredential]:
        """navigator.credentials.create(): returns (RegistrationResponseJSON, credential).
        The keyword arguments let a test lie about one thing at a time. `attestation_key` with
        `x5c` (list of DER certificates, leaf first) produces `packed` attestation, else `none`."""
        credential = credential or SoftCredential(
            secrets.token_bytes(32), ec.generate_private_key(ec.SECP256R1()),
            b64url_decode(options["user"]["id"]))
        cdj = client_data("webauthn.create", challenge or options["challenge"], origin)
        auth_data = (hashlib.sha256((rp_id or options["rp"]["id"]).encode()).digest()
                     + bytes([flags | AT]) + credential.sign_count.to_bytes(4, "big") + self.aaguid
                     + len(credential.id).to_bytes(2, "big") + credential.id + credential.cose_public_key())
        if attestation_key is not None:
            sig = attestation_key.sign(auth_data + hashlib.sha256(cdj).digest(), ec.ECDSA(hashes.SHA256()))
            att = {"fmt": "packed", "attStmt": {"alg": -7, "sig": sig, "x5c": list(x5c)}, "authData": auth_data}
        else:
            att = {"fmt": "none", "attStmt": {}, "authData": auth_data}
        return {"id": b64url(credential.id), "rawId": b64url(credential.id), "type": "public-key",
                "authenticatorAttachment": "platform", "clientExtensionResults": {"credProps": {"rk": True}},
                "response": {"clientDataJSON": b64url(cdj), "attestationObject": b64url(cbor.encode(att)),
                             "transports": list(transports)}}, credential

    def get(self, options: dict, origin: str, credential: SoftCredential, *, flags: int = UP | UV,
            rp_id: str | None = None, challenge: str | None = None, sign_count: int | None = None,
            user_handle: bytes | None = None, flip_signature_bit: bool = False) -> dict:
        """navigator.credentials.get() with `credential`: an AuthenticationResponseJSON dict."""
        if sign_count is None:
            credential.sign_count += self.counter_step
            sign_count = credential.sign_count
        cdj = client_data("webauthn.get", challenge or options["challenge"], origin)
        auth_data = (hashlib.sha256((rp_id or options["rpId"]).encode()).digest()
                     + bytes([flags]) + sign_count.to_bytes(4, "big"))
        signature = bytearray(credential.key.sign(auth_data + hashlib.sha256(cdj).digest(),
                                                  ec.ECDSA(hashes.SHA256())))
        if flip_signature_bit:
            signature[-1] ^= 0x01
        return {"id": b64url(credential.id), "rawId": b64url(credential.id), "type": "public-key",
                "clientExtensionResults": {},
                "response": {"clientDataJSON": b64url(cdj), "authenticatorData": b64url(auth_data),
                             "signature": b64url(bytes(signature)),
                             "userHandle": b64url(user_handle if user_handle is not None
                                                  else credential.user_handle)}}
