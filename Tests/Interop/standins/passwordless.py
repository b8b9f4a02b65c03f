"""Stand-in for the Passwordless.dev API, for vauth's end-to-end tests only.

The real service is .NET (bitwarden/passwordless-server over fido2-net-lib) and cannot run here.
This server speaks the same wire contract (docs/services/passwordless.md, "the contract")
and verifies every ceremony with py_webauthn, a WebAuthn library independent of vauth, so a vauth
bug cannot be hidden by a matching bug on the server side.

Deliberate differences from the real service (each is stricter, none is looser):
  * register tokens are single-use and a session is consumed by a successful /complete (the real
    tokens are stateless MACed blobs);
  * /complete must carry the same RPID and Origin as /begin (the real server trusts /complete's);
  * binary fields must be unpadded, canonical base64url (WebAuthn's Base64URLString);
  * CBOR must be CTAP2-canonical by default (the real reader is .NET's Strict mode; the contract
    says "strict CBOR"); canonical_cbor=False / --lax-cbor only requires well-formed, strict CBOR.
State lives in memory. Nothing here is fit for production.
"""
from __future__ import annotations

import argparse
import base64
import hashlib
import hmac
import io
import json
import re
import secrets
import signal
import sys
import threading
import time
import traceback
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import cbor2
from fido2 import cbor as ctap2_cbor
from fido2.attestation import PackedAttestation
from fido2.webauthn import AuthenticatorData
from webauthn import verify_authentication_response, verify_registration_response
from webauthn.helpers.cose import COSEAlgorithmIdentifier
from webauthn.helpers.structs import AttestationFormat

from .serving import ServerHandle, serve_in_background

TEST_API_KEY = "test:public:2e728aa5986f4ba8b073a5b28a939795"  # contract, "Headers"
TEST_API_SECRET = "test:secret:a679563b331846c79c20b114a4f56d02"
# Contract, Registration step 2: the order fido2-net-lib emits.
PUB_KEY_CRED_ALGS = [-8, -7, -257, -37, -35, -258, -38, -36, -259, -39]
# py_webauthn 3.0.1 has no ES384 (-35): such a key is refused rather than half-verified.
_VERIFIABLE_ALGS = [a for a in PUB_KEY_CRED_ALGS if a in {m.value for m in COSEAlgorithmIdentifier}]
TRANSPORTS = {"usb", "nfc", "ble", "smart-card", "hybrid", "internal"}  # contract, Registration 3
UV_VALUES = {"required", "preferred", "discouraged"}
ATTESTATION_VALUES = {"none", "indirect", "direct", "enterprise"}
ATTACHMENTS = {"platform", "cross-platform", "any"}
REGISTER_TOKEN_TTL = 120  # seconds; contract: expiresAt default +120 s
VERIFY_TOKEN_TTL = 120  # real Fido2Service: ExpiresAt = now + 120 s
CEREMONY_TIMEOUT_MS = 60000  # contract: timeout 60000; a session lives as long
MAX_BODY = 1 << 20
MAX_CREDENTIAL_ID = 1023  # WebAuthn L3 7.1: longer credential ids must be rejected
ERROR_DOCS = "https://docs.passwordless.dev/guide/errors.html#"


class ApiError(Exception):
    """Becomes an application/problem+json answer (contract, "Errors")."""

    def __init__(self, status: int, code: str, title: str, headers: dict | None = None, **extra):
        super().__init__(title)
        self.status, self.code, self.title, self.extra = status, code, title, extra
        self.headers = headers or {}

    def body(self) -> dict:
        return {"type": ERROR_DOCS + self.code, "title": self.title, "status": self.status,
                "errorCode": self.code, **self.extra}


def _invalid(field: str, message: str) -> ApiError:
    # ASP.NET's ValidationProblem shape, plus the errorCode that vauth's error line shows.
    return ApiError(400, "validation_error", "One or more validation errors occurred.",
                    errors={field: [message]})


# ---------------------------------------------------------------- encodings

def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64url_decode(value, field: str) -> bytes:
    """Strict base64url (URL alphabet, no '=' padding) whose text is the canonical encoding of
    its bytes (no stray trailing bits), so two different strings never name the same credential."""
    if not isinstance(value, str) or not re.fullmatch(r"[A-Za-z0-9_-]*", value) or len(value) % 4 == 1:
        raise _invalid(field, "must be unpadded base64url")
    data = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    if b64url(data) != value:
        raise _invalid(field, "is not canonical base64url")
    return data


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class CborError(ValueError):
    pass


def cbor_item(buf: bytes, pos: int, canonical: bool):
    """Decode one CBOR item at buf[pos:], return (value, end). Always refused: malformed or
    truncated items, indefinite lengths, duplicate map keys, invalid UTF-8 (as .NET's Strict
    reader in fido2-net-lib refuses them). With `canonical`, the item must also be byte-for-byte
    what python-fido2's CTAP2-canonical encoder (CTAP 2.1 section 8) emits for the same value:
    shortest-form integers and lengths, sorted map keys, no floats, tags or null."""
    fp = io.BytesIO(buf[pos:])
    try:  # read_size=1: no read-ahead, so fp.tell() is exactly the end of the item
        value = cbor2.CBORDecoder(fp, read_size=1, max_depth=16, allow_indefinite=False,
                                  allow_duplicate_keys=False).decode()
    except Exception as exc:
        raise CborError(str(exc) or type(exc).__name__) from None
    end = pos + fp.tell()
    if canonical:
        try:
            reencoded = ctap2_cbor.encode(value)
        except Exception:
            raise CborError("a value CTAP2 does not allow (float, tag, null or too large)") from None
        if reencoded != buf[pos:end]:
            raise CborError("not CTAP2 canonical (non-shortest form or unsorted map keys)")
    return value, end


def parse_auth_data(data: bytes, canonical: bool) -> bytes | None:
    """Walk authenticatorData (WebAuthn 6.1) so that nothing malformed or trailing slips through
    (py_webauthn re-encodes what it parsed). Returns the attested credential id, if any."""
    if len(data) < 37:
        raise CborError("authenticatorData shorter than 37 bytes")
    flags, pos, cred_id = data[32], 37, None
    if flags & 0x40:  # AT: attested credential data
        length = int.from_bytes(data[pos + 16:pos + 18], "big")
        cred_id = data[pos + 18:pos + 18 + length]
        if len(data) < pos + 18 or len(cred_id) != length:
            raise CborError("attested credential data truncated")
        key, pos = cbor_item(data, pos + 18 + length, canonical)
        if not isinstance(key, dict):
            raise CborError("credential public key is not a COSE map")
    if flags & 0x80:  # ED: extensions
        ext, pos = cbor_item(data, pos, canonical)
        if not isinstance(ext, dict):
            raise CborError("extensions are not a map")
    if pos != len(data):
        raise CborError("trailing bytes in authenticatorData")
    return cred_id


# ---------------------------------------------------------------- request fields

def parse_body(raw: bytes) -> dict:
    def lower_keys(pairs):
        # The real server binds property names case-insensitively at every level (contract,
        # Registration 3). Lowering them here makes every lookup below case-insensitive; two
        # names differing only by case are ambiguous, so refuse them rather than pick one.
        result = {}
        for key, value in pairs:
            if key.lower() in result:
                raise ApiError(400, "invalid_json", f"Duplicate property '{key}' (names are case-insensitive).")
            result[key.lower()] = value
        return result

    def no_constants(name):
        raise ValueError(f"{name} is not JSON")
    try:
        body = json.loads(raw.decode("utf-8"), object_pairs_hook=lower_keys, parse_constant=no_constants)
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise ApiError(400, "invalid_json", "The request body is not valid JSON.", detail=str(exc)) from None
    if not isinstance(body, dict):
        raise ApiError(400, "invalid_json", "The request body must be a JSON object.")
    return body


def _obj(parent: dict, name: str) -> dict:
    if not isinstance(parent.get(name.lower()), dict):
        raise _invalid(name, "must be a JSON object")
    return parent[name.lower()]


def _str(parent: dict, name: str, required: bool = True, max_len: int | None = None):
    value = parent.get(name.lower())
    if value is None or value == "":
        if required:
            raise _invalid(name, "is required")
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)  # as the real server's AutoNumberToStringConverter does
    if not isinstance(value, str):
        raise _invalid(name, "must be a string")
    if max_len is not None and len(value) > max_len:
        raise _invalid(name, f"cannot be longer than {max_len} characters")
    return value


def _choice(parent: dict, name: str, allowed: set, default: str) -> str:
    value = (_str(parent, name, required=False) or default).lower()
    if value not in allowed:
        raise _invalid(name, f"must be one of {sorted(allowed)}")
    return value


def _aliases(parent: dict) -> list:
    value = parent.get("aliases") or []
    if not isinstance(value, list) or len(value) > 10:  # real AliasPayload: MaxLength(10)
        raise _invalid("aliases", "must be a list of at most 10 aliases")
    if not all(isinstance(a, str) and 0 < len(a) <= 250 for a in value):
        raise _invalid("aliases", "each alias must be a non-empty string of at most 250 characters")
    return list(dict.fromkeys(value))


def _seconds(parent: dict, default=None) -> float:
    value = parent.get("seconds", default)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value < 1e9:
        raise _invalid("seconds", "must be a non-negative number")
    return float(value)


def _verifier_message(exc: Exception) -> str:
    # py_webauthn often says "See __cause__ for more info"; put the causes in the answer instead.
    parts, current = [], exc
    while current is not None and len(parts) < 4:
        text = str(current)
        if text and not any(text in part for part in parts):
            parts.append(text)
        current = current.__cause__ or current.__context__
    return ": ".join(parts) or type(exc).__name__


@dataclass
class Credential:
    id: bytes
    public_key: bytes  # COSE_Key, as py_webauthn returns it
    user_id: str
    sign_count: int
    fmt: str
    aaguid: str
    rpid: str
    origin: str
    created_at: float
    device: str
    country: str
    nickname: str | None
    transports: list
    flags: dict  # backupState, isBackupEligible, isDiscoverable

    def __post_init__(self):
        self.last_used_at = self.created_at

    @property
    def user_handle(self) -> bytes:
        return self.user_id.encode("utf-8")  # contract: user.id = UTF-8 of userId

    def descriptor(self) -> dict:
        return {"type": "public-key", "id": b64url(self.id)}

    def listing(self) -> dict:
        # Member names of the real StoredCredential. Its byte[] members other than the descriptor
        # id go through System.Text.Json's default converter, i.e. standard padded base64.
        std = lambda b: base64.b64encode(b).decode()  # noqa: E731
        return {"descriptor": self.descriptor(), "publicKey": std(self.public_key),
                "userHandle": std(self.user_handle), "signatureCounter": self.sign_count,
                "attestationFmt": self.fmt, "createdAt": _iso(self.created_at), "aaGuid": self.aaguid,
                "lastUsedAt": _iso(self.last_used_at), "rpid": self.rpid, "origin": self.origin,
                "country": self.country, "device": self.device, "nickname": self.nickname,
                "userId": self.user_id, **self.flags}


# ---------------------------------------------------------------- the service

class PasswordlessStandIn:
    """All state and endpoint logic; the HTTP layer below only frames requests and answers.
    Handlers take (body, ctx) and return (status, payload); the caller holds self.lock."""

    def __init__(self, api_key: str = TEST_API_KEY, api_secret: str = TEST_API_SECRET,
                 trusted_root_pems: list | None = None, test_controls: bool = True,
                 canonical_cbor: bool = True):
        self.api_key, self.api_secret = api_key, api_secret
        self.trusted_root_pems = [p if isinstance(p, bytes) else p.encode() for p in trusted_root_pems or []]
        self.test_controls, self.canonical_cbor = test_controls, canonical_cbor
        self.lock = threading.RLock()
        self.reset()

    def reset(self):
        with self.lock:
            self.clock_offset = 0.0
            self.fault = {"mode": None, "seconds": 0.0}
            self.register_tokens: dict[str, dict] = {}
            self.sessions: dict[str, dict] = {}
            self.verify_tokens: dict[str, dict] = {}
            self.credentials: dict[bytes, Credential] = {}
            self.aliases: dict[str, str] = {}  # alias -> userId

    def now(self) -> float:
        return time.time() + self.clock_offset  # the controllable clock (/__test/advance)

    def routes(self) -> dict:
        """path -> (methods, key header required or None, handler)."""
        table = {
            "/register/token": (("POST",), "ApiSecret", self.register_token),
            "/register/begin": (("POST",), "ApiKey", self.register_begin),
            "/register/complete": (("POST",), "ApiKey", self.register_complete),
            "/signin/begin": (("POST",), "ApiKey", self.signin_begin),
            "/signin/complete": (("POST",), "ApiKey", self.signin_complete),
            "/signin/verify": (("POST",), "ApiSecret", self.signin_verify),
            "/credentials/list": (("GET", "POST"), "ApiSecret", self.credentials_list),
            "/alias": (("POST",), "ApiSecret", self.set_alias),
        }
        if self.test_controls:
            table.update({
                "/__test/advance": (("POST",), None, self.test_advance),
                "/__test/state": (("GET",), None, self.test_state),
                "/__test/reset": (("POST",), None, lambda body, ctx: (self.reset(), (204, None))[1]),
                "/__test/fault": (("POST",), None, self.test_fault),
            })
        return table

    def check_key(self, header: str, value: str | None):
        expected = self.api_key if header == "ApiKey" else self.api_secret
        if value is None or not hmac.compare_digest(value.encode(), expected.encode()):
            code = "invalid_api_key" if header == "ApiKey" else "invalid_api_secret"
            raise ApiError(401, code, f"A valid '{header}' header is required.", {"WWW-Authenticate": header})

    # -- tokens and sessions ------------------------------------------------------------------

    def _take(self, store: dict, body: dict, field: str, prefix: str) -> dict:
        value = body.get(field)
        if not isinstance(value, str) or not value:
            raise ApiError(400, "missing_token", f"This operation requires a token that starts with '{prefix}'.")
        if not value.lower().startswith(prefix):  # real TokenService: OrdinalIgnoreCase prefix
            raise ApiError(400, "invalid_token", f"The token used for this endpoint should start with '{prefix}'.")
        entry = store.get(value)
        if entry is None:
            raise ApiError(400, "invalid_token", "The token you sent was not correct.")
        if entry.get("used"):
            raise ApiError(400, "invalid_token", "The token has already been used.")
        if entry["expires_at"] < self.now():  # real Token.Validate: ExpiresAt < now -> 403
            raise ApiError(403, "expired_token", f"The token expired {self.now() - entry['expires_at']:.0f} s ago.")
        return entry

    def _session(self, body: dict, kind: str) -> tuple[str, dict]:
        entry = self._take(self.sessions, body, "session", "session_")
        if entry["kind"] != kind:
            raise ApiError(400, "invalid_token", f"This session was not issued by /{kind}/begin.")
        rpid, origin = _str(body, "RPID"), _str(body, "Origin")
        # Stricter than the real server, which trusts whatever /complete says: begin and complete
        # must describe the same relying party (brief; contract "What the server checks").
        code = "fido2_invalid_registration" if kind == "register" else "fido2_invalid_signin"
        if rpid != entry["rpid"]:
            raise ApiError(400, code, f"RPID '{rpid}' differs from '{entry['rpid']}' given at begin.")
        if origin != entry["origin"]:
            raise ApiError(400, code, f"Origin '{origin}' differs from '{entry['origin']}' given at begin.")
        return body["session"], entry

    def _new_session(self, kind: str, rpid: str, origin: str, **data) -> tuple[str, bytes]:
        session, challenge = "session_" + secrets.token_urlsafe(32), secrets.token_bytes(16)
        self.sessions[session] = {"kind": kind, "rpid": rpid, "origin": origin, "challenge": challenge,
                                  "expires_at": self.now() + CEREMONY_TIMEOUT_MS / 1000, **data}
        return session, challenge

    def _verify_token(self, kind: str, cred: Credential, session: dict) -> dict:
        token, now = "verify_" + secrets.token_urlsafe(32), self.now()
        self.verify_tokens[token] = {
            "expires_at": now + VERIFY_TOKEN_TTL, "success": True, "userId": cred.user_id,
            "timestamp": _iso(now), "rpId": session["rpid"], "origin": session["origin"],
            "device": cred.device, "country": cred.country, "nickname": cred.nickname or "",
            "credentialId": b64url(cred.id), "expiresAt": _iso(now + VERIFY_TOKEN_TTL),
            "tokenId": str(uuid.uuid4()), "type": kind}
        return {"token": token}

    def _check_aliases_free(self, user_id: str, aliases: list):
        if any(self.aliases.get(alias, user_id) != user_id for alias in aliases):
            raise ApiError(409, "alias_conflict", "Alias is already in use by another userid")

    # -- backend (ApiSecret) endpoints --------------------------------------------------------

    def register_token(self, body, ctx):
        user_id, expires_at = _str(body, "userId"), self.now() + REGISTER_TOKEN_TTL
        if body.get("expiresat") is not None:
            try:
                parsed = datetime.fromisoformat(_str(body, "expiresAt"))
            except ValueError:
                raise _invalid("expiresAt", "must be an ISO 8601 date-time") from None
            expires_at = (parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)).timestamp()
        discoverable = body.get("discoverable", True)
        if not isinstance(discoverable, bool):
            raise _invalid("discoverable", "must be a boolean")
        attachment = _choice(body, "authenticatorType", ATTACHMENTS, "any")
        aliases = _aliases(body)
        self._check_aliases_free(user_id, aliases)  # as the real CreateRegisterTokenAsync does
        token = "register_" + secrets.token_urlsafe(32)
        self.register_tokens[token] = {
            "user_id": user_id, "username": _str(body, "username"),
            "display_name": _str(body, "displayName", required=False),
            "attestation": _choice(body, "attestation", ATTESTATION_VALUES, "none"),
            "attachment": None if attachment == "any" else attachment,  # real: "any" -> null
            "discoverable": discoverable, "uv": _choice(body, "userVerification", UV_VALUES, "preferred"),
            "aliases": aliases, "expires_at": expires_at}
        return 200, {"token": token}

    def signin_verify(self, body, ctx):
        # Verify tokens stay valid until they expire, as in the real service (its tokens are
        # stateless); a backend that wants single use keys on the returned tokenId.
        entry = self._take(self.verify_tokens, body, "token", "verify_")
        return 200, {k: v for k, v in entry.items() if k != "expires_at"}

    def credentials_list(self, body, ctx):
        user_id = _str(body if body is not None else ctx["query"], "userId")
        # The real endpoint answers ListResponse<StoredCredential>, i.e. {"values": [...]}.
        return 200, {"values": [c.listing() for c in self.credentials.values() if c.user_id == user_id]}

    def set_alias(self, body, ctx):
        user_id, aliases = _str(body, "userId"), _aliases(body)
        self._check_aliases_free(user_id, aliases)
        # The payload replaces the user's aliases.
        self.aliases = {a: owner for a, owner in self.aliases.items() if owner != user_id}
        self.aliases.update({alias: user_id for alias in aliases})
        return 204, None

    # -- client (ApiKey) endpoints ------------------------------------------------------------

    def register_begin(self, body, ctx):
        token = self._take(self.register_tokens, body, "token", "register_")
        rpid, origin = _str(body, "RPID"), _str(body, "Origin")
        token["used"] = True  # single use (brief); the real register token is replayable
        selection = {"residentKey": "required" if token["discoverable"] else "discouraged",
                     "requireResidentKey": token["discoverable"], "userVerification": token["uv"]}
        if token["attachment"]:
            selection = {"authenticatorAttachment": token["attachment"], **selection}
        session, challenge = self._new_session("register", rpid, origin, token=token)
        return 200, {"session": session, "data": {
            "rp": {"id": rpid, "name": rpid},
            "user": {"name": token["username"], "id": b64url(token["user_id"].encode("utf-8")),
                     "displayName": token["display_name"] or token["username"]},
            "challenge": b64url(challenge),
            "pubKeyCredParams": [{"type": "public-key", "alg": alg} for alg in PUB_KEY_CRED_ALGS],
            "timeout": CEREMONY_TIMEOUT_MS, "attestation": token["attestation"],
            "authenticatorSelection": selection,
            "excludeCredentials": [c.descriptor() for c in self.credentials.values()
                                   if c.user_id == token["user_id"]],
            "extensions": {"credProps": True}}}

    def register_complete(self, body, ctx):
        session_id, session = self._session(body, "register")
        token = session["token"]
        nickname = _str(body, "nickname", required=False, max_len=64)  # RegistrationCompleteDTO
        cred = _obj(body, "response")
        resp = _obj(cred, "response")
        transports = resp.get("transports") or []
        if not isinstance(transports, list) or not all(isinstance(t, str) and t in TRANSPORTS for t in transports):
            raise _invalid("response.response.transports", f"members must be among {sorted(TRANSPORTS)}")
        fields = {"id": _str(cred, "id"), "rawId": _str(cred, "rawId"),
                  "clientDataJSON": _str(resp, "clientDataJSON"),
                  "attestationObject": _str(resp, "attestationObject")}
        raw = {name: b64url_decode(value, name) for name, value in fields.items()}
        fail = lambda msg: ApiError(400, "fido2_invalid_registration", msg)  # noqa: E731
        try:
            att, end = cbor_item(raw["attestationObject"], 0, self.canonical_cbor)
            if end != len(raw["attestationObject"]):
                raise CborError("trailing bytes after the CBOR item")
            if not (isinstance(att, dict) and isinstance(att.get("fmt"), str)
                    and isinstance(att.get("attStmt"), dict) and isinstance(att.get("authData"), bytes)):
                raise CborError("it needs fmt (text), attStmt (map) and authData (bytes)")
            attested_id = parse_auth_data(att["authData"], self.canonical_cbor)
        except CborError as exc:
            raise fail(f"Malformed attestationObject: {exc}") from None
        if attested_id is None:
            raise fail("Attested credential data flag (AT) not set")
        # Contract: "rawId equals the credential id in authData" (py_webauthn does not check it).
        if not raw["rawId"] == raw["id"] == attested_id:
            raise fail("id, rawId and the credential id in authenticatorData must all be equal")
        if len(attested_id) > MAX_CREDENTIAL_ID:
            raise fail("Credential id is longer than 1023 bytes")
        roots = {AttestationFormat.PACKED: self.trusted_root_pems} if self.trusted_root_pems else None
        try:
            verified = verify_registration_response(
                credential={"id": fields["id"], "rawId": fields["rawId"], "type": cred.get("type"),
                            "response": {"clientDataJSON": fields["clientDataJSON"],
                                         "attestationObject": fields["attestationObject"]}},
                expected_challenge=session["challenge"], expected_rp_id=session["rpid"],
                expected_origin=session["origin"], require_user_verification=token["uv"] == "required",
                supported_pub_key_algs=_VERIFIABLE_ALGS, pem_root_certs_bytes_by_fmt=roots)
            if att["fmt"] == "packed" and "x5c" in att["attStmt"]:
                # py_webauthn skips the packed certificate requirements of WebAuthn 8.2.1 (v3,
                # OU "Authenticator Attestation", CA=false, AAGUID extension); fido2-net-lib
                # enforces them, so python-fido2 checks them too.
                PackedAttestation().verify(att["attStmt"], AuthenticatorData(att["authData"]),
                                           hashlib.sha256(raw["clientDataJSON"]).digest())
        except Exception as exc:  # any verifier complaint is the client's fault: 400, never 500
            raise fail(_verifier_message(exc)) from None
        if verified.credential_id in self.credentials:  # contract: "not already registered"
            raise fail("The credential is already registered.")
        self._check_aliases_free(token["user_id"], token["aliases"])
        extensions = cred.get("clientextensionresults") or cred.get("extensions")
        props = extensions.get("credprops") if isinstance(extensions, dict) else None
        rk = props.get("rk") if isinstance(props, dict) else None
        stored = Credential(
            id=verified.credential_id, public_key=verified.credential_public_key, user_id=token["user_id"],
            sign_count=verified.sign_count, fmt=att["fmt"], aaguid=verified.aaguid, rpid=session["rpid"],
            origin=session["origin"], created_at=self.now(), device=ctx["device"], country=ctx["country"],
            nickname=nickname, transports=transports,
            flags={"backupState": verified.credential_backed_up,
                   "isBackupEligible": verified.credential_device_type == "multi_device",
                   "isDiscoverable": rk if isinstance(rk, bool) else None})
        self.credentials[stored.id] = stored
        self.aliases.update({alias: token["user_id"] for alias in token["aliases"]})
        del self.sessions[session_id]
        return 200, self._verify_token("passkey_register", stored, session)

    def signin_begin(self, body, ctx):
        rpid, origin = _str(body, "RPID"), _str(body, "Origin")
        user_id, alias = _str(body, "userId", required=False), _str(body, "alias", required=False)
        if user_id is None and alias is not None:
            user_id = self.aliases.get(alias, "")  # unknown alias: 200, empty allowCredentials
        allowed = [c for c in self.credentials.values() if user_id is not None and c.user_id == user_id]
        uv = _choice(body, "userVerification", UV_VALUES, "preferred")
        session, challenge = self._new_session("signin", rpid, origin, uv=uv, allowed=[c.id for c in allowed])
        return 200, {"session": session, "data": {
            "challenge": b64url(challenge), "timeout": CEREMONY_TIMEOUT_MS, "rpId": rpid,
            "allowCredentials": [c.descriptor() for c in allowed], "userVerification": uv}}

    def signin_complete(self, body, ctx):
        session_id, session = self._session(body, "signin")
        cred = _obj(body, "response")
        resp = _obj(cred, "response")
        fields = {"id": _str(cred, "id"), "rawId": _str(cred, "rawId"),
                  "clientDataJSON": _str(resp, "clientDataJSON"),
                  "authenticatorData": _str(resp, "authenticatorData"), "signature": _str(resp, "signature")}
        raw = {name: b64url_decode(value, name) for name, value in fields.items()}
        stored = self.credentials.get(raw["id"])
        if stored is None:  # real SignInCompleteAsync -> UnknownCredentialException
            raise ApiError(400, "unknown_credential", "We don't recognize the passkey you sent us.",
                           credentialId=fields["id"])
        fail = lambda msg: ApiError(400, "fido2_invalid_signin", msg)  # noqa: E731
        if session["allowed"] and raw["id"] not in session["allowed"]:
            raise fail("The credential was not in allowCredentials.")
        user_handle = resp.get("userhandle")  # optional; if present it must name the owner
        if user_handle is not None and b64url_decode(user_handle, "userHandle") != stored.user_handle:
            raise fail("User is not owner of the public key identified by the credential id.")
        if raw["rawId"] != raw["id"]:
            raise fail("id and rawId must be equal")
        try:
            if parse_auth_data(raw["authenticatorData"], self.canonical_cbor) is not None:
                raise CborError("an assertion carries no attested credential data")
            # Signature (DER for ECDSA), challenge, origin, rpIdHash, UP, UV when required, and
            # "a non-zero counter must increase" (a zero counter may stay zero).
            verified = verify_authentication_response(
                credential={"id": fields["id"], "rawId": fields["rawId"], "type": cred.get("type"),
                            "response": {k: fields[k] for k in ("clientDataJSON", "authenticatorData", "signature")}},
                expected_challenge=session["challenge"], expected_rp_id=session["rpid"],
                expected_origin=session["origin"], credential_public_key=stored.public_key,
                credential_current_sign_count=stored.sign_count,
                require_user_verification=session["uv"] == "required")
        except Exception as exc:  # as in register_complete
            raise fail(_verifier_message(exc)) from None
        stored.sign_count, stored.last_used_at = verified.new_sign_count, self.now()
        stored.device, stored.country = ctx["device"], ctx["country"]
        del self.sessions[session_id]
        return 200, self._verify_token("passkey_signin", stored, session)

    # -- test controls (only with test_controls=True) -----------------------------------------

    def test_advance(self, body, ctx):
        self.clock_offset += _seconds(body)
        return 200, {"now": _iso(self.now()), "offsetSeconds": self.clock_offset}

    def test_fault(self, body, ctx):
        if body.get("mode") not in (None, "html", "500", "slow"):
            raise _invalid("mode", "must be null, html, 500 or slow")
        if body.get("path") is not None and not isinstance(body.get("path"), str):
            raise _invalid("path", "must be null or an endpoint path")
        # path: only that endpoint misbehaves (e.g. a sign-in whose /signin/complete is slow).
        self.fault = {"mode": body.get("mode"), "seconds": _seconds(body, 5), "path": body.get("path")}
        return 200, self.fault

    def test_state(self, body, ctx):
        users = {uid: {"aliases": [], "credentials": []}
                 for uid in {*self.aliases.values(), *(c.user_id for c in self.credentials.values())}}
        for alias, owner in self.aliases.items():
            users[owner]["aliases"].append(alias)
        for c in self.credentials.values():
            users[c.user_id]["credentials"].append({"id": b64url(c.id), "signCount": c.sign_count, "rpid": c.rpid,
                                                    "nickname": c.nickname, "transports": c.transports, **c.flags})
        return 200, {"now": _iso(self.now()), "offsetSeconds": self.clock_offset, "fault": self.fault,
                     "users": users, "registerTokens": len(self.register_tokens),
                     "sessions": len(self.sessions), "verifyTokens": len(self.verify_tokens)}


# ---------------------------------------------------------------- HTTP layer

class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version, sys_version = "passwordless-standin", ""

    def version_string(self):
        return self.server_version

    def log_message(self, fmt, *args):
        if self.server.log_requests:
            sys.stderr.write("standin: " + (fmt % args) + "\n")

    def _send(self, status: int, body, content_type="application/json", headers=None):
        data = b"" if body is None else body if isinstance(body, bytes) else json.dumps(body).encode()
        self.send_response(status)
        if body is not None:
            self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Access-Control-Allow-Origin", "*")  # the real API allows any origin
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def _read_body(self) -> bytes:
        length = self.headers.get("Content-Length") or "0"
        if self.headers.get("Transfer-Encoding") or not length.isdigit() or int(length) > MAX_BODY:
            self.close_connection = True
            raise ApiError(400, "invalid_request", f"Send a Content-Length framed body of at most {MAX_BODY} bytes.")
        return self.rfile.read(int(length))

    def _fault(self, fault: dict, path: str) -> bool:
        """Apply a /__test/fault mode (to every endpoint, or to its `path` only); True when it
        already answered. "slow" sleeps and then handles the request as usual."""
        if fault.get("path") not in (None, path):
            return False
        if fault["mode"] == "slow":
            time.sleep(fault["seconds"])
        elif fault["mode"] == "html":  # e.g. a captive portal or a proxy's error page
            self._send(200, b"<!doctype html><html><body>Gateway says hi</body></html>", "text/html; charset=utf-8")
        elif fault["mode"] == "500":  # what the real FriendlyExceptionsMiddleware sends
            self._send(500, {"type": "https://tools.ietf.org/html/rfc9110#section-15.6.1",
                             "title": "The api has encountered an error", "status": 500}, "application/problem+json")
        return fault["mode"] in ("html", "500")

    def _handle(self):
        app: PasswordlessStandIn = self.server.app
        url = urlsplit(self.path)
        try:
            raw = self._read_body()  # always drained, so a keep-alive connection stays in step
            if self.command == "OPTIONS":  # CORS preflight, like the real AllowAnyHeader/AnyMethod
                return self._send(204, None, headers={"Access-Control-Allow-Headers": "*",
                                                      "Access-Control-Allow-Methods": "GET, POST"})
            if not url.path.startswith("/__test/") and self._fault(dict(app.fault), url.path):
                return
            if url.path not in app.routes():
                raise ApiError(404, "not_found", f"No endpoint at {url.path}.")
            methods, key_header, handler = app.routes()[url.path]
            if self.command not in methods:
                raise ApiError(405, "method_not_allowed", f"{url.path} accepts {', '.join(methods)}.",
                               {"Allow": ", ".join(methods)})
            if key_header:  # authentication comes before body binding, as in ASP.NET
                app.check_key(key_header, self.headers.get(key_header))
            body = None
            if self.command == "POST" and (raw or not url.path.startswith("/__test/")):
                ctype = (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()
                if ctype != "application/json" and not ctype.endswith("+json"):
                    raise ApiError(415, "unsupported_media_type", "Content-Type must be application/json.")
                body = parse_body(raw)
            elif self.command == "POST":
                body = {}  # test controls may be POSTed without a body
            ctx = {"device": (self.headers.get("User-Agent") or "")[:200],
                   "country": self.headers.get("CF-IPCountry") or "",
                   "query": {k.lower(): v[-1] for k, v in parse_qs(url.query).items()}}
            with app.lock:
                status, payload = handler(body, ctx)
            self._send(status, payload)
        except ApiError as err:
            self._send(err.status, err.body(), "application/problem+json", err.headers)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the client gave up (e.g. during a "slow" fault)
        except Exception:  # a stand-in bug, not a client mistake: say so; the trace goes to stderr
            traceback.print_exc(file=sys.stderr)
            self.close_connection = True
            err = ApiError(500, "standin_internal_error", "The stand-in failed; see its stderr.")
            self._send(500, err.body(), "application/problem+json")

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = _handle


def start_server(host: str = "127.0.0.1", port: int = 0, *, api_key: str = TEST_API_KEY,
                 api_secret: str = TEST_API_SECRET, trusted_root_pems: list | None = None,
                 test_controls: bool = True, canonical_cbor: bool = True,
                 log_requests: bool = False) -> ServerHandle:
    """Start the stand-in on a daemon thread; it accepts connections once this returns."""
    app = PasswordlessStandIn(api_key, api_secret, trusted_root_pems, test_controls, canonical_cbor)
    return serve_in_background(host, port, _Handler, app, log_requests=log_requests, name="passwordless-standin")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="Passwordless.dev API stand-in (tests only).")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--api-key", default=TEST_API_KEY)
    parser.add_argument("--api-secret", default=TEST_API_SECRET)
    parser.add_argument("--trusted-root-pem", action="append", default=[], metavar="FILE",
                        help="root certificate (PEM) that packed x5c chains must reach; repeatable")
    parser.add_argument("--no-test-controls", action="store_true", help="disable the /__test/* endpoints")
    parser.add_argument("--lax-cbor", action="store_true", help="accept strict but non-canonical CBOR")
    parser.add_argument("--log-requests", action="store_true", help="log each request to stderr")
    args = parser.parse_args(argv)
    # A parent may start us with signals blocked (Swift's concurrency threads do); unblock them so
    # SIGTERM stops the server instead of leaving it running.
    signal.pthread_sigmask(signal.SIG_SETMASK, [])
    handle = start_server(args.host, args.port, api_key=args.api_key, api_secret=args.api_secret,
                          trusted_root_pems=[Path(p).read_bytes() for p in args.trusted_root_pem],
                          test_controls=not args.no_test_controls, canonical_cbor=not args.lax_cbor,
                          log_requests=args.log_requests)
    print(f"LISTENING {handle.url}", flush=True)
    try:
        handle.thread.join()
    except KeyboardInterrupt:
        handle.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
