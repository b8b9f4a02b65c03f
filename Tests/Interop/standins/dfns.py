"""Stand-in for the Dfns authentication API, for vauth's tests only.

The real service cannot run here. This server speaks the wire contract vauth implements
(docs/services/dfns.md, "the contract"; read from the public dfns-sdk-ts) and verifies every
body with libraries independent of vauth, so a vauth bug cannot hide behind a matching bug here:

  * Key and RecoveryKey credentials: the clientData (type, challenge, origin), the fingerprint
    signature against the PEM public key, with pyca/cryptography (OpenSSL underneath);
  * Fido2 credentials: attestation and assertions with py_webauthn, packed attestation statements
    again with python-fido2;
  * RecoveryKey: `encryptedPrivateKey` is opened with this module's own implementation of the
    SDK's algorithm (PBKDF2-HMAC-SHA256 100 000 / AES-256-GCM with a 16-byte IV / PKCS#8) when the
    test hands over the recovery code (`check_recovery_code`), and must give the registered key;
  * user recovery: the `key.get` clientData's challenge must decode to JSON equal to
    `newCredentials`, signed by the registered recovery key;
  * Password: the password is kept as a salted PBKDF2 hash and compared in constant time;
  * Totp: the challenge's otpUrl carries a fresh secret; codes are checked with pyotp at the
    stand-in's own clock (`clock_offset`), one step either side, each step usable once; pyotp's
    answers are held to RFC 6238 Appendix B by the tests (test_dfns_factors.py);
  * PasswordProtectedKey: verified as a Key credential, its `encryptedPrivateKey` kept and handed
    out in login challenges (`allowCredentials.passwordProtectedKey`); a test can open it with the
    password (`check_password_protected_key`), the SDK's algorithm in Python.

Logins and actions take a first factor and, when the user registered a second factor, require
one (`supportedCredentialKinds[].requiresSecondFactor`).

The functions below the encodings (`verify_*`, `decrypt_recovery_key`, `encrypt_recovery_key`)
are usable on their own, which the offline tests do. State lives in memory; nothing here is fit
for production. Deliberately stricter than the real service: binary fields must be canonical
unpadded base64url, and a challenge is single-use.
"""
from __future__ import annotations

import argparse
import base64
import hashlib
import hmac as hmac_module
import json
import re
import secrets
import signal
import sys
import threading
import time
import traceback
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from urllib.parse import urlsplit

import cbor2
import pyotp
from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.pbkdf2 import PBKDF2HMAC
from fido2.attestation import PackedAttestation
from fido2.webauthn import AuthenticatorData
from webauthn import verify_authentication_response, verify_registration_response
from webauthn.helpers.structs import AttestationFormat

from .serving import ServerHandle, serve_in_background

TEST_APP_ID = "ap-vauth-test"
TEST_ORIGIN = "https://app.example.com"
TEST_RP_ID = "example.com"
TEST_ORG_ID = "or-vauth-test"
TEST_SERVICE_TOKEN = "svc-token-for-tests"  # a service account token: may create delegated registrations
RECOVERY_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
RECOVERY_GROUPS = (6, 5, 5, 5, 5, 6)
PBKDF2_ITERATIONS = 100_000
MAX_BODY = 1 << 20


class DfnsApiError(Exception):
    """An error answer: `{"error": {"name", "message", "httpStatus"}}`, the shape the Dfns API uses."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status, self.message = status, message

    def body(self) -> dict:
        return {"error": {"name": "DfnsError", "message": self.message, "httpStatus": self.status}}


class VerificationError(ValueError):
    """A body that does not verify; the server answers 401 with this message."""


# ---------------------------------------------------------------- encodings

def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64url_decode(value, what: str) -> bytes:
    if not isinstance(value, str) or not re.fullmatch(r"[A-Za-z0-9_-]*", value) or len(value) % 4 == 1:
        raise VerificationError(f"{what} must be unpadded base64url")
    data = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    if b64url(data) != value:
        raise VerificationError(f"{what} is not canonical base64url")
    return data


def compact_json(value) -> bytes:
    """JSON.stringify's bytes for the ASCII documents involved here."""
    return json.dumps(value, separators=(",", ":")).encode()


# ---------------------------------------------------------------- independent verifiers

def verify_client_data(encoded: str, expected_type: str, expected_challenge: str, expected_origin: str | None) -> bytes:
    """The Key clientData: the seed's shape, the browser signer's (no crossOrigin) and the recovery
    worker's (type and challenge only) are all accepted (contract, "Key credential")."""
    raw = b64url_decode(encoded, "clientData")
    try:
        data = json.loads(raw)
    except ValueError:
        raise VerificationError("clientData is not JSON") from None
    if not isinstance(data, dict):
        raise VerificationError("clientData is not a JSON object")
    if data.get("type") != expected_type:
        raise VerificationError(f"clientData.type is {data.get('type')!r}, expected {expected_type!r}")
    if data.get("challenge") != expected_challenge:
        raise VerificationError("clientData.challenge is not the challenge issued")
    if "origin" in data and expected_origin is not None and data["origin"] != expected_origin:
        raise VerificationError(f"clientData.origin is {data['origin']!r}, expected {expected_origin!r}")
    if data.get("crossOrigin", False) is not False:
        raise VerificationError("clientData.crossOrigin must be false")
    return raw


def verify_signature(public_key, signature: bytes, message: bytes):
    """ES256 (DER), Ed25519 or RS256 (PKCS#1 v1.5) with pyca/cryptography."""
    try:
        if isinstance(public_key, ec.EllipticCurvePublicKey):
            public_key.verify(signature, message, ec.ECDSA(hashes.SHA256()))
        elif isinstance(public_key, ed25519.Ed25519PublicKey):
            public_key.verify(signature, message)
        elif isinstance(public_key, rsa.RSAPublicKey):
            public_key.verify(signature, message, padding.PKCS1v15(), hashes.SHA256())
        else:
            raise VerificationError(f"unsupported key type {type(public_key).__name__}")
    except InvalidSignature:
        raise VerificationError("signature does not verify") from None


def verify_key_credential(info: dict, challenge: str, origin: str | None) -> tuple[str, object]:
    """A Key or RecoveryKey `credentialInfo`: clientData, then the fingerprint
    `{"clientDataHash": hex SHA-256(clientData), "publicKey": PEM}` signed with the key itself.
    Returns (PEM, public key)."""
    if not isinstance(info, dict):
        raise VerificationError("credentialInfo must be an object")
    b64url_decode(info.get("credId"), "credId")
    raw_client_data = verify_client_data(info.get("clientData"), "key.create", challenge, origin)
    try:
        attestation = json.loads(b64url_decode(info.get("attestationData"), "attestationData"))
        pem, signature_hex = attestation["publicKey"], attestation["signature"]
        signature = bytes.fromhex(signature_hex)
    except (ValueError, KeyError, TypeError):
        raise VerificationError("attestationData is not {publicKey: PEM, signature: hex}") from None
    if attestation.get("algorithm", "SHA256") != "SHA256":
        raise VerificationError("attestationData.algorithm must be SHA256")
    try:
        public_key = serialization.load_pem_public_key(pem.encode())
    except ValueError:
        raise VerificationError("attestationData.publicKey is not a PEM public key") from None
    if isinstance(public_key, ec.EllipticCurvePublicKey) and public_key.curve.name != "secp256r1":
        raise VerificationError("only P-256 EC keys are accepted")
    fingerprint = compact_json({"clientDataHash": hashlib.sha256(raw_client_data).hexdigest(), "publicKey": pem})
    verify_signature(public_key, signature, fingerprint)
    return pem, public_key


def verify_fido2_credential(info: dict, challenge: str, origin: str, rp_id: str, trusted_root_pems=None):
    """A Fido2 `credentialInfo` with py_webauthn: the WebAuthn challenge is the UTF-8 of the Dfns one."""
    cred_id = b64url_decode(info.get("credId"), "credId")
    b64url_decode(info.get("clientData"), "clientData")
    b64url_decode(info.get("attestationData"), "attestationData")
    roots = {AttestationFormat.PACKED: trusted_root_pems} if trusted_root_pems else None
    try:
        verified = verify_registration_response(
            credential={"id": info["credId"], "rawId": info["credId"], "type": "public-key",
                        "response": {"clientDataJSON": info["clientData"], "attestationObject": info["attestationData"]}},
            expected_challenge=challenge.encode(), expected_origin=origin, expected_rp_id=rp_id,
            pem_root_certs_bytes_by_fmt=roots)
    except Exception as exc:
        raise VerificationError(f"Fido2 attestation: {exc}") from None
    attestation = cbor2.loads(b64url_decode(info["attestationData"], "attestationData"))
    if attestation.get("fmt") == "packed":
        # A second verifier for the attestation statement: python-fido2 also enforces the packed
        # certificate requirements of WebAuthn §8.2.1 that py_webauthn skips.
        client_data_hash = hashlib.sha256(b64url_decode(info["clientData"], "clientData")).digest()
        try:
            PackedAttestation().verify(attestation["attStmt"], AuthenticatorData(attestation["authData"]), client_data_hash)
        except Exception as exc:
            raise VerificationError(f"Fido2 attestation (python-fido2): {exc}") from None
    if verified.credential_id != cred_id:
        raise VerificationError("credId is not the credential id in the attestation")
    return verified


def verify_key_assertion(assertion: dict, public_key, challenge: str, origin: str | None):
    raw = verify_client_data(assertion.get("clientData"), "key.get", challenge, origin)
    verify_signature(public_key, b64url_decode(assertion.get("signature"), "signature"), raw)


def verify_fido2_assertion(assertion: dict, public_key_cose: bytes, sign_count: int, challenge: str, origin: str,
                           rp_id: str, require_uv: bool):
    response = {"clientDataJSON": assertion.get("clientData"), "authenticatorData": assertion.get("authenticatorData"),
                "signature": assertion.get("signature")}
    if assertion.get("userHandle") is not None:
        response["userHandle"] = assertion["userHandle"]
    try:
        return verify_authentication_response(
            credential={"id": assertion.get("credId"), "rawId": assertion.get("credId"), "type": "public-key",
                        "response": response},
            expected_challenge=challenge.encode(), expected_rp_id=rp_id, expected_origin=origin,
            credential_public_key=public_key_cose, credential_current_sign_count=sign_count,
            require_user_verification=require_uv)
    except Exception as exc:
        raise VerificationError(f"Fido2 assertion: {exc}") from None


def verify_recovery_signature(body: dict, recovery_public_key, origin: str | None) -> dict:
    """`/auth/recover/user`: the key.get clientData's challenge is base64url of the JSON of
    newCredentials (which must equal the body's), signed by the registered recovery key."""
    recovery = body.get("recovery")
    if not isinstance(recovery, dict) or recovery.get("kind") != "RecoveryKey":
        raise VerificationError("recovery.kind must be RecoveryKey")
    assertion = recovery.get("credentialAssertion") or {}
    try:
        client_data = json.loads(b64url_decode(assertion.get("clientData"), "recovery clientData"))
        signed = json.loads(b64url_decode(client_data["challenge"], "recovery clientData.challenge"))
    except (ValueError, KeyError, TypeError):
        raise VerificationError("recovery clientData.challenge is not base64url of JSON") from None
    if signed != body.get("newCredentials"):
        raise VerificationError("the recovery signature is over other credentials than newCredentials")
    verify_key_assertion(assertion, recovery_public_key, client_data["challenge"], origin)
    return signed


# ---------------------------------------------------------------- the SDK's recovery-key algorithm

def recovery_key_encryption_key(code: str, username: str) -> bytes:
    salt = hashlib.sha256(username.strip().lower().encode()).digest()
    return PBKDF2HMAC(algorithm=hashes.SHA256(), length=32, salt=salt, iterations=PBKDF2_ITERATIONS).derive(code.encode())


def decrypt_recovery_key(encrypted: str, code: str, username: str):
    """Opens `encryptedPrivateKey` (base64 of {"key": base64(ct||tag), "iv": base64(16 bytes)});
    returns the private key. Raises VerificationError when it does not open."""
    try:
        document = json.loads(base64.b64decode(encrypted, validate=True))
        sealed, iv = base64.b64decode(document["key"], validate=True), base64.b64decode(document["iv"], validate=True)
    except (ValueError, KeyError, TypeError):
        raise VerificationError("encryptedPrivateKey is not base64 of {key, iv}") from None
    if len(iv) != 16:
        raise VerificationError("encryptedPrivateKey.iv must be 16 bytes")
    try:
        pkcs8 = AESGCM(recovery_key_encryption_key(code, username)).decrypt(iv, sealed, None)
    except InvalidTag:
        raise VerificationError("encryptedPrivateKey does not open with this code and username") from None
    return serialization.load_der_private_key(pkcs8, password=None)


def encrypt_recovery_key(private_key, code: str, username: str) -> str:
    pkcs8 = private_key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                                      serialization.NoEncryption())
    iv = secrets.token_bytes(16)
    sealed = AESGCM(recovery_key_encryption_key(code, username)).encrypt(iv, pkcs8, None)
    document = {"key": base64.b64encode(sealed).decode(), "iv": base64.b64encode(iv).decode()}
    return base64.b64encode(compact_json(document)).decode()


def generate_recovery_code() -> str:
    groups = ["".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(n)) for n in RECOVERY_GROUPS]
    return "-".join(["D1", *groups])


def public_pem(key) -> str:
    return key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()


# ---------------------------------------------------------------- the service

@dataclass
class Credential:
    id: str
    kind: str  # Key, Fido2, RecoveryKey, Password, Totp, PasswordProtectedKey
    pem: str | None = None
    public_key: object = None
    cose_public_key: bytes | None = None
    sign_count: int = 0
    encrypted_private_key: str | None = None
    active: bool = True
    factor: str = "first"  # first, second, recovery
    password_hash: bytes | None = None
    password_salt: bytes | None = None
    totp: object = None  # a pyotp.TOTP
    totp_last_step: int = -1  # the last time step a code was accepted for (each is usable once)


TOTP_HASHES = {"SHA1": hashlib.sha1, "SHA256": hashlib.sha256, "SHA512": hashlib.sha512}


def totp_generator(secret_base32: str, algorithm: str = "SHA1", digits: int = 6, period: int = 30) -> pyotp.TOTP:
    return pyotp.TOTP(secret_base32, digits=digits, digest=TOTP_HASHES[algorithm], interval=period)


def totp_step_accepted(generator: pyotp.TOTP, code, now: float, last_step: int) -> int:
    """The time step `code` is valid for at `now` (one step either side), newer than `last_step`;
    raises VerificationError otherwise."""
    if not isinstance(code, str) or not code.isdigit() or len(code) != generator.digits:
        raise VerificationError(f"otpCode must be {generator.digits} digits")
    step = int(now // generator.interval)
    for candidate in (step, step - 1, step + 1):
        if hmac_module.compare_digest(generator.at(candidate * generator.interval), code):
            if candidate <= last_step:
                raise VerificationError("TOTP code already used")
            return candidate
    raise VerificationError("TOTP code is wrong or expired")


def password_hash(password: str, salt: bytes) -> bytes:
    return hashlib.pbkdf2_hmac("sha256", password.encode(), salt, 10_000)


@dataclass
class User:
    id: str
    username: str
    registered: bool = False
    credentials: dict = field(default_factory=dict)

    def active(self, kind: str | None = None) -> list:
        return [c for c in self.credentials.values() if c.active and (kind is None or c.kind == kind)]


class DfnsStandIn:
    def __init__(self, app_id=TEST_APP_ID, origin=TEST_ORIGIN, rp_id=TEST_RP_ID, service_token=TEST_SERVICE_TOKEN,
                 trusted_root_pems=None, first_factor_kinds=("Fido2", "Key"), second_factor_kinds=(),
                 totp_parameters=None):
        self.app_id, self.origin, self.rp_id, self.service_token = app_id, origin, rp_id, service_token
        self.trusted_root_pems = trusted_root_pems
        self.first_factor_kinds = list(first_factor_kinds)
        self.second_factor_kinds = list(second_factor_kinds)
        # The otpUrl's algorithm, digits and period (RFC 6238 allows SHA1, SHA256, SHA512).
        self.totp_parameters = {"algorithm": "SHA1", "digits": 6, "period": 30, **(totp_parameters or {})}
        self.clock_offset = 0.0  # seconds added to the stand-in's clock (tests move it)
        self.lock = threading.Lock()
        self.users: dict[str, User] = {}  # by username
        self.sessions: dict[str, dict] = {}  # temporaryAuthenticationToken -> registration / recovery session
        self.challenges: dict[str, dict] = {}  # challengeIdentifier -> action / login challenge
        self.user_tokens: dict[str, str] = {}  # bearer token -> username
        self.requests: list[dict] = []  # (path, headers, body) of every request, for the tests
        # path -> "drop": the endpoint does its work (verifies, stores, counts) and then closes the
        # connection without an answer, as when the answer is lost on the way back.
        self.faults: dict[str, str] = {}

    def routes(self) -> dict:
        return {
            "/auth/registration/delegated": self.registration_delegated,
            "/auth/registration": self.registration,
            "/auth/login/init": self.login_init,
            "/auth/login": self.login,
            "/auth/action/init": self.action_init,
            "/auth/action": self.action,
            "/auth/recover/user/init": self.recover_init,
            "/auth/recover/user": self.recover,
        }

    # -- helpers

    def new_user(self, username: str) -> User:
        user = User(id="us-" + secrets.token_hex(8), username=username)
        self.users[username.strip().lower()] = user
        return user

    def user(self, username: str) -> User | None:
        return self.users.get((username or "").strip().lower())

    def bearer_user(self, bearer: str | None) -> User:
        username = self.user_tokens.get(bearer or "")
        if username is None:
            raise DfnsApiError(401, "Unauthorized: missing or unknown bearer token")
        return self.users[username]

    def now(self) -> float:
        return time.time() + self.clock_offset

    def issue_token(self, user: User) -> str:
        token = "tok-" + secrets.token_urlsafe(24)
        self.user_tokens[token] = user.username.strip().lower()
        return token

    def registration_challenge(self, user: User, purpose: str, **extra) -> dict:
        temporary = "tmp-" + secrets.token_urlsafe(24)
        challenge = b64url(secrets.token_bytes(32))
        session = {"purpose": purpose, "user": user, "challenge": challenge, **extra}
        self.sessions[temporary] = session
        document = {
            "user": {"id": user.id, "displayName": user.username, "name": user.username},
            "temporaryAuthenticationToken": temporary, "challenge": challenge,
            "rp": {"id": self.rp_id, "name": "vauth test app"},
            "supportedCredentialKinds": {"firstFactor": list(self.first_factor_kinds), "secondFactor": list(self.second_factor_kinds)},
            "authenticatorSelection": {"residentKey": "required", "requireResidentKey": True, "userVerification": "required"},
            "attestation": "direct",
            "pubKeyCredParams": [{"type": "public-key", "alg": -7}, {"type": "public-key", "alg": -257}],
            "excludeCredentials": [{"type": "public-key", "id": c.id, "transports": []} for c in user.active("Fido2")],
        }
        if "Totp" in self.first_factor_kinds + self.second_factor_kinds:
            secret = pyotp.random_base32()
            parameters = self.totp_parameters
            session["totp"] = totp_generator(secret, parameters["algorithm"], parameters["digits"], parameters["period"])
            label = "vauth%20test%20app:" + user.username.replace("@", "%40")
            document["otpUrl"] = (f"otpauth://totp/{label}?secret={secret}&issuer=vauth%20test%20app&algorithm={parameters['algorithm']}"
                                  f"&digits={parameters['digits']}&period={parameters['period']}")
        return document

    def take_session(self, bearer: str | None, purpose: str) -> dict:
        session = self.sessions.pop(bearer or "", None)
        if session is None or session["purpose"] != purpose:
            raise DfnsApiError(401, "Unauthorized: unknown or used temporaryAuthenticationToken")
        return session

    def check_new_credentials(self, body: dict, user: User, challenge: str, session: dict | None = None) -> list:
        """Verifies a registration body / newCredentials; returns the Credentials to add."""
        if not isinstance(body, dict):
            raise VerificationError("credentials must be an object")
        first = body.get("firstFactorCredential")
        if not isinstance(first, dict):
            raise VerificationError("firstFactorCredential is missing")
        added = [self.check_credential(first, "first", challenge, session)]
        second = body.get("secondFactorCredential")
        if second is not None:
            if not isinstance(second, dict):
                raise VerificationError("secondFactorCredential must be an object")
            added.append(self.check_credential(second, "second", challenge, session))
        recovery = body.get("recoveryCredential")
        if recovery is not None:
            if not isinstance(recovery, dict) or recovery.get("credentialKind") != "RecoveryKey":
                raise VerificationError("recoveryCredential.credentialKind must be RecoveryKey")
            info = recovery.get("credentialInfo") or {}
            pem, key = verify_key_credential(info, challenge, self.origin)
            if not isinstance(key, ec.EllipticCurvePublicKey):
                raise VerificationError("a recovery key must be P-256")
            encrypted = recovery.get("encryptedPrivateKey")
            if not isinstance(encrypted, str) or not encrypted:
                raise VerificationError("recoveryCredential.encryptedPrivateKey is missing")
            added.append(Credential(id=info["credId"], kind="RecoveryKey", pem=pem, public_key=key,
                                    encrypted_private_key=encrypted, factor="recovery"))
        for credential in added:
            if any(c.id == credential.id for u in self.users.values() for c in u.credentials.values()):
                raise VerificationError(f"credential {credential.id} is already registered")
        return added

    def check_credential(self, member: dict, factor: str, challenge: str, session: dict | None) -> Credential:
        """One {credentialKind, credentialInfo, …} of a registration, as the `factor` it is for."""
        kind = member.get("credentialKind")
        allowed = self.first_factor_kinds if factor == "first" else self.second_factor_kinds
        # The SDK's types: Password is a first factor only, Totp a second factor only.
        if kind not in allowed or (kind == "Password" and factor != "first") or (kind == "Totp" and factor != "second"):
            raise VerificationError(f"credentialKind {kind!r} is not a supported {factor} factor")
        info = member.get("credentialInfo")
        if not isinstance(info, dict):
            raise VerificationError(f"the {factor} factor's credentialInfo must be an object")
        if kind in ("Key", "PasswordProtectedKey"):
            pem, key = verify_key_credential(info, challenge, self.origin)
            credential = Credential(id=info["credId"], kind=kind, pem=pem, public_key=key, factor=factor)
            if kind == "PasswordProtectedKey":
                encrypted = member.get("encryptedPrivateKey")
                try:
                    document = json.loads(base64.b64decode(encrypted, validate=True))
                    assert len(base64.b64decode(document["iv"], validate=True)) == 16 and document["key"]
                except Exception:
                    raise VerificationError("encryptedPrivateKey is not base64 of {key, iv (16 bytes)}") from None
                credential.encrypted_private_key = encrypted
            return credential
        if kind == "Fido2":
            verified = verify_fido2_credential(info, challenge, self.origin, self.rp_id, self.trusted_root_pems)
            return Credential(id=info["credId"], kind="Fido2", cose_public_key=verified.credential_public_key,
                              sign_count=verified.sign_count, factor=factor)
        if kind == "Password":
            password = info.get("password")
            if not isinstance(password, str) or not password:
                raise VerificationError("credentialInfo.password must be a non-empty string")
            salt = secrets.token_bytes(16)
            return Credential(id="pw-" + secrets.token_hex(8), kind="Password", factor=factor, password_salt=salt,
                              password_hash=password_hash(password, salt))
        if kind == "Totp":
            generator = (session or {}).get("totp")
            if generator is None:
                raise VerificationError("this challenge enrolled no TOTP secret")
            step = totp_step_accepted(generator, info.get("otpCode"), self.now(), -1)
            return Credential(id="totp-" + secrets.token_hex(8), kind="Totp", factor=factor, totp=generator, totp_last_step=step)
        raise VerificationError(f"credentialKind {kind!r} is not a kind this stand-in knows")

    def check_password_protected_key(self, username: str, password: str) -> bool:
        """What a test asks: the stored encryptedPrivateKey of the user's PasswordProtectedKey opens
        with the password (the SDK's algorithm, in Python) and holds the registered key."""
        user = self.user(username)
        for credential in (user.active("PasswordProtectedKey") if user else []):
            try:
                key = decrypt_recovery_key(credential.encrypted_private_key, password, username)
            except VerificationError:
                continue
            if public_pem(key.public_key()) == public_pem(credential.public_key):
                return True
        return False

    def check_recovery_code(self, username: str, code: str) -> bool:
        """What a test asks after reading the code vauth showed: the stored encryptedPrivateKey opens
        with it (the SDK's algorithm, in Python) and holds the registered recovery key."""
        user = self.user(username)
        if user is None:
            return False
        for credential in user.active("RecoveryKey"):
            try:
                key = decrypt_recovery_key(credential.encrypted_private_key, code, username)
            except VerificationError:
                continue
            if public_pem(key.public_key()) == public_pem(credential.public_key):
                return True
        return False

    def verify_factors(self, body: dict, record: dict):
        """The first factor, and the second one when the user registered a second factor."""
        user: User = record["user"]
        self.verify_factor(body.get("firstFactor"), "first", record)
        second = body.get("secondFactor")
        if second is None:
            if any(c.factor == "second" for c in user.active()):
                raise VerificationError("this user has a second factor: secondFactor is required")
            return
        self.verify_factor(second, "second", record)

    def verify_factor(self, factor, position: str, record: dict):
        user: User = record["user"]
        if not isinstance(factor, dict):
            raise VerificationError(f"{position}Factor must be an object")
        kind = factor.get("kind")
        if kind == "Password":
            if position != "first":
                raise VerificationError("a Password is a first factor only")
            stored = [c for c in user.active("Password") if c.factor == position]
            password = factor.get("password")
            if not stored or not isinstance(password, str) or not hmac_module.compare_digest(
                    password_hash(password, stored[0].password_salt), stored[0].password_hash):
                raise VerificationError("wrong password")
            return
        if kind == "Totp":
            stored = [c for c in user.active("Totp") if c.factor == position]
            if position != "second" or not stored:
                raise VerificationError("this user has no Totp second factor")
            stored[0].totp_last_step = totp_step_accepted(stored[0].totp, factor.get("otpCode"), self.now(), stored[0].totp_last_step)
            return
        assertion = factor.get("credentialAssertion") or {}
        cred_id = assertion.get("credId")
        if cred_id not in record["allowed"]:
            raise VerificationError("credId is not one of the allowed credentials")
        credential = user.credentials[cred_id]
        if kind != credential.kind:
            raise VerificationError(f"{position}Factor.kind {kind!r} is not the credential's kind {credential.kind}")
        if credential.factor != position:
            raise VerificationError(f"credential {cred_id} is a {credential.factor} factor, not a {position} one")
        if credential.kind in ("Key", "PasswordProtectedKey"):
            verify_key_assertion(assertion, credential.public_key, record["challenge"], self.origin)
        else:
            verified = verify_fido2_assertion(assertion, credential.cose_public_key, credential.sign_count,
                                              record["challenge"], self.origin, self.rp_id, require_uv=True)
            credential.sign_count = verified.new_sign_count

    def action_challenge(self, user: User, purpose: str) -> dict:
        identifier = "ch-" + secrets.token_hex(10)
        challenge = b64url(secrets.token_bytes(32))
        active = user.active()
        allowed = {c.id for c in active if c.kind in ("Key", "Fido2", "PasswordProtectedKey")}
        self.challenges[identifier] = {"purpose": purpose, "user": user, "challenge": challenge, "allowed": allowed}
        has_second = any(c.factor == "second" for c in active)
        kinds = []
        for factor in ("first", "second"):
            for kind in dict.fromkeys(c.kind for c in active if c.factor == factor):
                kinds.append({"kind": kind, "factor": factor, "requiresSecondFactor": has_second and factor == "first"})
        return {
            "supportedCredentialKinds": kinds,
            "challenge": challenge, "challengeIdentifier": identifier,
            "rp": {"id": self.rp_id, "name": "vauth test app"},
            "allowCredentials": {
                "key": [{"type": "public-key", "id": c.id} for c in user.active("Key")],
                "webauthn": [{"type": "public-key", "id": c.id} for c in user.active("Fido2")],
                "passwordProtectedKey": [{"type": "public-key", "id": c.id, "encryptedPrivateKey": c.encrypted_private_key}
                                         for c in user.active("PasswordProtectedKey")],
            },
            "userVerification": "required",
        }

    def take_challenge(self, body: dict, purpose: str) -> dict:
        record = self.challenges.pop((body or {}).get("challengeIdentifier") or "", None)
        if record is None or record["purpose"] != purpose:
            raise DfnsApiError(401, "Unauthorized: unknown or used challengeIdentifier")
        return record

    # -- endpoints

    def registration_delegated(self, body, bearer):
        if bearer != self.service_token:
            raise DfnsApiError(401, "Unauthorized: delegated registration needs a service account token")
        email = (body or {}).get("email")
        if not isinstance(email, str) or "@" not in email:
            raise DfnsApiError(400, "email must be an email address")
        user = self.user(email)
        if user is not None and user.registered:
            raise DfnsApiError(409, f"user {email} is already registered")
        return self.registration_challenge(user or self.new_user(email), "registration")

    def registration(self, body, bearer):
        session = self.take_session(bearer, "registration")
        user: User = session["user"]
        try:
            added = self.check_new_credentials(body, user, session["challenge"], session)
        except VerificationError as exc:
            raise DfnsApiError(401, f"registration refused: {exc}") from None
        for credential in added:
            user.credentials[credential.id] = credential
        user.registered = True
        answer = {"credential": {"uuid": "cr-" + secrets.token_hex(8), "kind": added[0].kind, "name": ""},
                  "user": {"id": user.id, "username": user.username, "orgId": TEST_ORG_ID},
                  "authentication": {"token": self.issue_token(user)}}
        if any(c.factor == "second" for c in added):
            answer["secondFactorCredential"] = {"uuid": "cr-" + secrets.token_hex(8), "kind": added[1].kind}
        if any(c.factor == "recovery" for c in added):
            answer["recoveryCredential"] = {"uuid": "cr-" + secrets.token_hex(8), "kind": "RecoveryKey"}
        return answer

    def login_init(self, body, bearer):
        user = self.user((body or {}).get("username"))
        if user is None or not user.registered:
            raise DfnsApiError(401, "Unauthorized: unknown user")
        return self.action_challenge(user, "login")

    def login(self, body, bearer):
        record = self.take_challenge(body, "login")
        try:
            self.verify_factors(body, record)
        except VerificationError as exc:
            raise DfnsApiError(401, f"login refused: {exc}") from None
        return {"token": self.issue_token(record["user"])}

    def action_init(self, body, bearer):
        user = self.bearer_user(bearer)
        for name in ("userActionPayload", "userActionHttpMethod", "userActionHttpPath", "userActionServerKind"):
            if not isinstance((body or {}).get(name), str):
                raise DfnsApiError(400, f"{name} must be a string")
        record = self.action_challenge(user, "action")
        self.challenges[record["challengeIdentifier"]]["action"] = dict(body)
        return record

    def action(self, body, bearer):
        user = self.bearer_user(bearer)
        record = self.take_challenge(body, "action")
        if record["user"] is not user:
            raise DfnsApiError(401, "Unauthorized: the challenge belongs to another user")
        try:
            self.verify_factors(body, record)
        except VerificationError as exc:
            raise DfnsApiError(401, f"action refused: {exc}") from None
        return {"userAction": "ua-" + secrets.token_urlsafe(16)}

    def recover_init(self, body, bearer):
        body = body or {}
        user = self.user(body.get("username"))
        if user is None or not user.registered:
            raise DfnsApiError(401, "Unauthorized: unknown user")
        credential = user.credentials.get(body.get("credentialId"))
        if credential is None or not credential.active or credential.kind != "RecoveryKey":
            raise DfnsApiError(400, "credentialId is not an active recovery credential of this user")
        document = self.registration_challenge(user, "recovery", recovery_id=credential.id)
        document["allowedRecoveryCredentials"] = [{"id": credential.id, "encryptedRecoveryKey": credential.encrypted_private_key}]
        return document

    def recover(self, body, bearer):
        session = self.take_session(bearer, "recovery")
        user: User = session["user"]
        try:
            assertion = ((body or {}).get("recovery") or {}).get("credentialAssertion") or {}
            if assertion.get("credId") != session["recovery_id"]:
                raise VerificationError("recovery.credentialAssertion.credId is not the recovery credential")
            verify_recovery_signature(body, user.credentials[session["recovery_id"]].public_key, self.origin)
            added = self.check_new_credentials(body.get("newCredentials"), user, session["challenge"], session)
        except VerificationError as exc:
            raise DfnsApiError(401, f"recovery refused: {exc}") from None
        for credential in user.credentials.values():
            credential.active = False  # recovery replaces every old credential
        for credential in added:
            user.credentials[credential.id] = credential
        return {"user": {"id": user.id, "username": user.username, "orgId": TEST_ORG_ID},
                "credentials": [{"credentialId": c.id, "kind": c.kind} for c in added]}


# ---------------------------------------------------------------- HTTP layer

class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version, sys_version = "dfns-standin", ""

    def version_string(self):
        return self.server_version

    def log_message(self, fmt, *args):
        if self.server.log_requests:
            sys.stderr.write("dfns-standin: " + (fmt % args) + "\n")

    def _send(self, status: int, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self):
        app: DfnsStandIn = self.server.app
        path = urlsplit(self.path).path
        try:
            length = self.headers.get("Content-Length") or "0"
            if not length.isdigit() or int(length) > MAX_BODY:
                self.close_connection = True
                raise DfnsApiError(400, "a Content-Length framed body is required")
            raw = self.rfile.read(int(length))
            handler = app.routes().get(path)
            if handler is None:
                raise DfnsApiError(404, f"no endpoint at {path}")
            if self.headers.get("X-DFNS-APPID") != app.app_id:
                raise DfnsApiError(401, "Unauthorized: missing or wrong X-DFNS-APPID")
            try:
                body = json.loads(raw) if raw else None
            except ValueError:
                raise DfnsApiError(400, "the body is not JSON") from None
            authorization = self.headers.get("Authorization") or ""
            bearer = authorization[7:] if authorization.startswith("Bearer ") else None
            with app.lock:
                app.requests.append({"path": path, "authorization": bearer, "body": body})
                answer = handler(body, bearer)
            if app.faults.get(path) == "drop":
                self.close_connection = True
                return
            self._send(200, answer)
        except DfnsApiError as err:
            self._send(err.status, err.body())
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
        except Exception:  # a stand-in bug, not a client mistake
            traceback.print_exc(file=sys.stderr)
            self.close_connection = True
            self._send(500, DfnsApiError(500, "the stand-in failed; see its stderr").body())


def start_server(host: str = "127.0.0.1", port: int = 0, *, log_requests: bool = False, **options) -> ServerHandle:
    """Start the stand-in on a daemon thread; it accepts connections once this returns."""
    return serve_in_background(host, port, _Handler, DfnsStandIn(**options), log_requests=log_requests,
                               name="dfns-standin")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="Dfns authentication API stand-in (tests only).")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--origin", default=TEST_ORIGIN)
    parser.add_argument("--rp-id", default=TEST_RP_ID)
    parser.add_argument("--first-factor-kinds", default="Fido2,Key", help="comma-separated, e.g. Key,Password,PasswordProtectedKey")
    parser.add_argument("--second-factor-kinds", default="", help="comma-separated, e.g. Totp,Key")
    parser.add_argument("--log-requests", action="store_true")
    args = parser.parse_args(argv)
    signal.pthread_sigmask(signal.SIG_SETMASK, [])
    kinds = lambda text: tuple(k for k in text.split(",") if k)  # noqa: E731
    handle = start_server(args.host, args.port, log_requests=args.log_requests, origin=args.origin, rp_id=args.rp_id,
                          first_factor_kinds=kinds(args.first_factor_kinds), second_factor_kinds=kinds(args.second_factor_kinds))
    print(f"LISTENING {handle.url} app-id {TEST_APP_ID} service-token {TEST_SERVICE_TOKEN}", flush=True)
    try:
        handle.thread.join()
    except KeyboardInterrupt:
        handle.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
