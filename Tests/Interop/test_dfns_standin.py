"""The Dfns stand-in's verifiers on bodies made in Python (pyca/cryptography), without vauth: they
must accept what the contract allows and refuse what it does not, or the vauth tests built on them
prove nothing."""
from __future__ import annotations

import base64
import hashlib
import json

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa

from standins.dfns import (TEST_ORIGIN, VerificationError, b64url, compact_json, decrypt_recovery_key,
                           encrypt_recovery_key, generate_recovery_code, public_pem, verify_key_assertion,
                           verify_key_credential, verify_recovery_signature)

CHALLENGE = "Y2hhbGxlbmdlLWZyb20tdGhlLXN0YW5kLWlu"


def sign(key, message: bytes) -> bytes:
    if isinstance(key, ec.EllipticCurvePrivateKey):
        return key.sign(message, ec.ECDSA(hashes.SHA256()))
    if isinstance(key, rsa.RSAPrivateKey):
        return key.sign(message, padding.PKCS1v15(), hashes.SHA256())
    return key.sign(message)


def key_credential(key, client_data: dict, extra: dict | None = None) -> dict:
    raw = compact_json(client_data)
    pem = public_pem(key.public_key())
    fingerprint = compact_json({"clientDataHash": hashlib.sha256(raw).hexdigest(), "publicKey": pem})
    attestation = {"publicKey": pem, "signature": sign(key, fingerprint).hex(), **(extra or {})}
    return {"credId": b64url(b"cred-id"), "clientData": b64url(raw), "attestationData": b64url(compact_json(attestation))}


@pytest.mark.parametrize("client_data", [
    {"type": "key.create", "challenge": CHALLENGE, "origin": TEST_ORIGIN, "crossOrigin": False},  # the seed
    {"type": "key.create", "challenge": CHALLENGE, "origin": TEST_ORIGIN},  # the SDK's browser signer
    {"type": "key.create", "challenge": CHALLENGE},  # the SDK's recovery-key worker
])
@pytest.mark.parametrize("make_key", [lambda: ec.generate_private_key(ec.SECP256R1()), ed25519.Ed25519PrivateKey.generate,
                                      lambda: rsa.generate_private_key(public_exponent=65537, key_size=2048)],
                         ids=["es256", "eddsa", "rs256"])
def test_accepts_the_three_client_data_shapes_and_three_algorithms(client_data, make_key):
    key = make_key()
    pem, _ = verify_key_credential(key_credential(key, client_data, {"algorithm": "SHA256"}), CHALLENGE, TEST_ORIGIN)
    assert pem == public_pem(key.public_key())


@pytest.mark.parametrize("change, message", [
    ({"type": "key.get"}, "clientData.type"),
    ({"challenge": "other"}, "clientData.challenge"),
    ({"origin": "https://evil.example"}, "clientData.origin"),
    ({"crossOrigin": True}, "crossOrigin"),
])
def test_refuses_wrong_client_data(change, message):
    key = ec.generate_private_key(ec.SECP256R1())
    client_data = {"type": "key.create", "challenge": CHALLENGE, "origin": TEST_ORIGIN, "crossOrigin": False, **change}
    with pytest.raises(VerificationError, match=message):
        verify_key_credential(key_credential(key, client_data), CHALLENGE, TEST_ORIGIN)


def test_refuses_a_swapped_public_key():
    key, other = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    info = key_credential(key, {"type": "key.create", "challenge": CHALLENGE})
    attestation = json.loads(base64.urlsafe_b64decode(info["attestationData"] + "=="))
    attestation["publicKey"] = public_pem(other.public_key())
    info["attestationData"] = b64url(compact_json(attestation))
    with pytest.raises(VerificationError, match="signature does not verify"):
        verify_key_credential(info, CHALLENGE, TEST_ORIGIN)


def test_recovery_key_encryption_round_trip_and_wrong_inputs():
    key, code = ec.generate_private_key(ec.SECP256R1()), generate_recovery_code()
    encrypted = encrypt_recovery_key(key, code, "Alice@Example.com ")
    assert public_pem(decrypt_recovery_key(encrypted, code, "alice@example.com").public_key()) == public_pem(key.public_key())
    for wrong_code, username in [(generate_recovery_code(), "alice@example.com"), (code, "bob@example.com")]:
        with pytest.raises(VerificationError, match="does not open"):
            decrypt_recovery_key(encrypted, wrong_code, username)


def test_recovery_signature_must_cover_new_credentials():
    key = ec.generate_private_key(ec.SECP256R1())
    new = {"firstFactorCredential": {"credentialKind": "Key", "credentialInfo": {"credId": "AAAA"}}}
    client_data = compact_json({"type": "key.get", "challenge": b64url(compact_json(new)), "origin": TEST_ORIGIN,
                                "crossOrigin": False})
    body = {"recovery": {"kind": "RecoveryKey", "credentialAssertion": {
        "credId": "AAAA", "clientData": b64url(client_data), "signature": b64url(sign(key, client_data))}},
        "newCredentials": new}
    assert verify_recovery_signature(body, key.public_key(), TEST_ORIGIN) == new
    with pytest.raises(VerificationError, match="other credentials"):
        verify_recovery_signature({**body, "newCredentials": {"firstFactorCredential": {}}}, key.public_key(), TEST_ORIGIN)
    with pytest.raises(VerificationError, match="signature does not verify"):
        verify_key_assertion(body["recovery"]["credentialAssertion"], ec.generate_private_key(ec.SECP256R1()).public_key(),
                             b64url(compact_json(new)), TEST_ORIGIN)
