"""Independent verifiers for vauth's WebAuthn output: py_webauthn, python-fido2 and libfido2.

Each `*_registration` / `*_authentication` / `*_attestation*` function takes the JSON that `vauth create`
or `vauth get` printed (RegistrationResponseJSON / AuthenticationResponseJSON as a dict) plus what the
relying party expects, returns normally (with whatever the library returned) when the library accepts,
and raises `Rejected` when it refuses. Only the library's own rejection exceptions (or, for the command
line tools, a non-zero exit) become `Rejected`; anything else (a bug in these wrappers, a missing tool)
propagates as itself, so a test that expects a rejection cannot pass by accident.

Nothing here parses vauth output with vauth's code: the libraries decode the bytes themselves. The
wrappers add no checks of their own; where a library does not check something (python-fido2 and
libfido2 do not look at signature counters, libfido2 never sees the challenge), the docstring says so
and the tests check it separately.

Versions pinned for this project: webauthn (py_webauthn) 3.0.1, fido2 (python-fido2) 2.2.1, Debian
fido2-tools / libfido2 1.12.0.
"""
from __future__ import annotations

import base64
import hashlib
import json
import subprocess
import tempfile
from pathlib import Path
from typing import Any, Mapping

import cbor2
from cryptography.hazmat.primitives import serialization

# py_webauthn
from webauthn import verify_authentication_response, verify_registration_response
from webauthn.helpers.exceptions import InvalidAuthenticationResponse, InvalidRegistrationResponse
from webauthn.helpers.structs import AttestationFormat

# python-fido2
from fido2.attestation import (
    AttestationResult,
    AttestationType,
    AttestationVerifier,
    NoneAttestation,
    PackedAttestation,
)
from fido2.attestation.base import InvalidAttestation
from fido2.server import Fido2Server
from fido2.utils import websafe_encode
from fido2.webauthn import (
    AttestedCredentialData,
    AuthenticatorData,
    PublicKeyCredentialRpEntity,
    RegistrationResponse,
    UserVerificationRequirement,
)

__all__ = [
    "Rejected",
    "b64url_decode",
    "b64url_encode",
    "COSE_TYPE",
    "webauthn_registration",
    "webauthn_authentication",
    "fido2_registration",
    "fido2_authentication",
    "fido2_attestation",
    "fido2_attestation_chain",
    "RootCAVerifier",
    "libfido2_registration",
    "libfido2_authentication",
    "spki_to_pem",
]

#: COSE algorithm → the `type` argument of fido2-cred / fido2-assert.
COSE_TYPE = {-7: "es256", -8: "eddsa", -257: "rs256"}


class Rejected(Exception):
    """A verifier refused the input. `verifier` names it; the message is the library's own."""

    def __init__(self, verifier: str, message: str):
        super().__init__(f"{verifier}: {message}")
        self.verifier = verifier
        self.message = message


# --------------------------------------------------------------------------------------------------
# small helpers (encoding only; no WebAuthn parsing)

def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def b64url_encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def spki_to_pem(spki_der: bytes) -> bytes:
    """PEM of an SPKI DER public key, re-serialised by `cryptography` (so a malformed SPKI fails here)."""
    key = serialization.load_der_public_key(spki_der)
    return key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


def _as_dict(response: Mapping[str, Any] | str) -> dict:
    return json.loads(response) if isinstance(response, str) else dict(response)


# --------------------------------------------------------------------------------------------------
# py_webauthn 3.0.1

def webauthn_registration(response, *, challenge: bytes, rp_id: str, origin: str,
                          require_uv: bool = False, root_pem: bytes | None = None):
    """`webauthn.verify_registration_response` (py_webauthn 3.0.1). Returns its `VerifiedRegistration`.

    It checks: `id` == base64url(`rawId`); `type` == "public-key"; clientDataJSON parses, `type` is
    "webauthn.create", `challenge` equals `challenge`, `origin` equals `origin`; the attestation object
    parses (`parse_attestation_object`, cbor2-based); rpIdHash == SHA-256(`rp_id`); UP set; UV set if
    `require_uv`; attested credential data present (credential id, COSE public key, AAGUID); the COSE
    key decodes (`decode_credential_public_key`) with an alg among its supported ones; then per format:
    `none` → the statement must be empty; `packed` (`verify_packed`) → with x5c, the chain is validated
    by `validate_certificate_chain` (pyOpenSSL X509Store: signatures, validity dates, CA constraints)
    against `root_pem` and the statement signature over authData||SHA-256(clientDataJSON) is checked
    with the leaf certificate's key; without x5c (self attestation), statement `alg` must equal the
    COSE key's alg and the signature is checked with the credential key.

    Not checked by py_webauthn 3.0.1: the packed certificate requirements (OU "Authenticator
    Attestation", basicConstraints CA=false, AAGUID extension vs authData) and canonical CBOR.
    Without `root_pem` an x5c chain is NOT validated (py_webauthn skips the chain when it has no
    roots), so always pass the root for x5c.
    """
    roots = {AttestationFormat.PACKED: [root_pem]} if root_pem else None
    try:
        return verify_registration_response(
            credential=_as_dict(response),
            expected_challenge=challenge,
            expected_rp_id=rp_id,
            expected_origin=origin,
            require_user_verification=require_uv,
            pem_root_certs_bytes_by_fmt=roots,
        )
    except InvalidRegistrationResponse as error:
        raise Rejected("py_webauthn verify_registration_response", str(error)) from error


def webauthn_authentication(response, *, challenge: bytes, rp_id: str, origin: str,
                            public_key: bytes, sign_count: int, require_uv: bool = False):
    """`webauthn.verify_authentication_response` (py_webauthn 3.0.1). Returns `VerifiedAuthentication`.

    `public_key` is the COSE key from the registration (`VerifiedRegistration.credential_public_key`),
    `sign_count` the count stored after the previous ceremony. It checks: `id` == base64url(`rawId`);
    `type`; clientDataJSON `type` "webauthn.get", `challenge`, `origin`; authenticatorData parses;
    rpIdHash == SHA-256(`rp_id`); UP set; UV set if `require_uv`; the counter: if either the new or
    the stored count is non-zero, the new one must be strictly greater; the signature over
    authData||SHA-256(clientDataJSON) with the COSE key (`verify_signature`, alg from the key).
    It does not look at `userHandle` or match the credential id against the key.
    """
    try:
        return verify_authentication_response(
            credential=_as_dict(response),
            expected_challenge=challenge,
            expected_rp_id=rp_id,
            expected_origin=origin,
            credential_public_key=public_key,
            credential_current_sign_count=sign_count,
            require_user_verification=require_uv,
        )
    except InvalidAuthenticationResponse as error:
        raise Rejected("py_webauthn verify_authentication_response", str(error)) from error


# --------------------------------------------------------------------------------------------------
# python-fido2 2.2.1

def _fido2_server(rp_id: str, origin: str) -> Fido2Server:
    return Fido2Server(PublicKeyCredentialRpEntity(name="interop", id=rp_id),
                       verify_origin=lambda o: o == origin)


def _fido2_state(challenge: bytes, require_uv: bool) -> dict:
    return {"challenge": websafe_encode(challenge),
            "user_verification": UserVerificationRequirement.REQUIRED if require_uv else None}


def fido2_registration(response, *, challenge: bytes, rp_id: str, origin: str,
                       require_uv: bool = False) -> AuthenticatorData:
    """`Fido2Server.register_complete(state, response)` (python-fido2 2.2.1). Returns the parsed
    `AuthenticatorData` (its `credential_data` is the `AttestedCredentialData` for authentication).

    Parsing (`RegistrationResponse.from_dict`, `AttestationObject`, `AuthenticatorData`,
    `AttestedCredentialData`, `CoseKey.parse`) uses fido2's own minimal CBOR decoder (`fido2.cbor`):
    it refuses trailing bytes ("Extraneous data", authData "Wrong length"), indefinite lengths, tags
    and floats, but in 2.2.1 it does NOT check map key order or shortest-form integers, so it is not
    a canonical-CBOR check (the tests re-encode with cbor2 for that). Then: clientData `type` "webauthn.create";
    `origin` accepted by `verify_origin` (here: equals `origin`); challenge equals the state's;
    rpIdHash == SHA-256(`rp_id`); UP set; UV set when the state requires it. The server is built with
    the default attestation preference, so `register_complete` does NOT verify the attestation
    statement: use `fido2_attestation` / `fido2_attestation_chain` for that.
    """
    try:
        return _fido2_server(rp_id, origin).register_complete(
            _fido2_state(challenge, require_uv), _as_dict(response))
    except (ValueError, InvalidAttestation) as error:
        raise Rejected("python-fido2 Fido2Server.register_complete", str(error)) from error


def fido2_authentication(response, *, challenge: bytes, rp_id: str, origin: str,
                         credential: AttestedCredentialData, require_uv: bool = False) -> AuthenticatorData:
    """`Fido2Server.authenticate_complete(state, [credential], response)` (python-fido2 2.2.1).
    Returns the assertion's parsed `AuthenticatorData`.

    Checks: clientData `type` "webauthn.get", origin, challenge; rpIdHash == SHA-256(`rp_id`); UP;
    UV when required; `rawId` equals the registered credential's id ("Unknown credential ID."
    otherwise); the signature over authData||clientDataHash with the registered `CoseKey`.
    python-fido2 does NOT check the signature counter (authenticate_complete has no count input):
    the caller compares `returned.counter` itself.
    """
    try:
        _fido2_server(rp_id, origin).authenticate_complete(
            _fido2_state(challenge, require_uv), [credential], _as_dict(response))
    except (ValueError, InvalidAttestation) as error:
        raise Rejected("python-fido2 Fido2Server.authenticate_complete", str(error)) from error
    return AuthenticatorData(b64url_decode(_as_dict(response)["response"]["authenticatorData"]))


def _fido2_attestation_object(response):
    registration = RegistrationResponse.from_dict(_as_dict(response))
    return registration.response.attestation_object, registration.response.client_data.hash


def fido2_attestation(response) -> AttestationResult:
    """The attestation statement alone, with python-fido2's format verifier (2.2.1).

    `packed` → `PackedAttestation().verify(att_stmt, auth_data, client_data_hash)`: with x5c it
    checks the leaf certificate against the packed requirements (`_validate_packed_cert`: X.509 v3,
    basicConstraints present with CA=false, subject C, O, OU == "Authenticator Attestation", CN, and
    the id-fido-gen-ce-aaguid extension non-critical and equal to the authData AAGUID when present)
    and the signature with the leaf key → `AttestationType.BASIC`; without x5c, statement `alg` must
    equal the COSE key's algorithm and the signature is checked with the credential key →
    `AttestationType.SELF`. `none` → `NoneAttestation().verify`: the statement must be `{}` →
    `AttestationType.NONE`. No chain to a root is checked here (`fido2_attestation_chain` does).
    """
    attestation_object, client_data_hash = _fido2_attestation_object(response)
    verifier = {"packed": PackedAttestation, "none": NoneAttestation}.get(attestation_object.fmt)
    if verifier is None:
        raise Rejected("python-fido2 attestation", f"unexpected format {attestation_object.fmt!r}")
    try:
        return verifier().verify(attestation_object.att_stmt, attestation_object.auth_data, client_data_hash)
    except InvalidAttestation as error:
        raise Rejected(f"python-fido2 {verifier.__name__}.verify", f"{type(error).__name__}: {error}") from error


class RootCAVerifier(AttestationVerifier):
    """An `AttestationVerifier` that trusts exactly one root (DER) for basic (x5c) attestation and
    nothing for any other attestation type (self/none → `UntrustedAttestation` "No root found")."""

    def __init__(self, root_der: bytes):
        super().__init__()
        self.root_der = root_der

    def ca_lookup(self, attestation_result, auth_data):
        if attestation_result.attestation_type == AttestationType.BASIC:
            return self.root_der
        return None


def fido2_attestation_chain(response, root_der: bytes) -> None:
    """`RootCAVerifier(root_der).verify_attestation(attestation_object, client_data_hash)`
    (python-fido2 2.2.1 `AttestationVerifier`): runs the format verifier (`PackedAttestation.verify`,
    see `fido2_attestation`), then `ca_lookup` → `verify_x509_chain(x5c + [root])`, which checks that
    each certificate's signature verifies under the next one's public key (RSA PKCS#1 v1.5 or ECDSA).
    It checks signatures only: not validity dates, names or CA flags of the chain (py_webauthn's
    pyOpenSSL check covers those). Self and none attestation are refused here by design."""
    attestation_object, client_data_hash = _fido2_attestation_object(response)
    try:
        RootCAVerifier(root_der).verify_attestation(attestation_object, client_data_hash)
    except InvalidAttestation as error:
        raise Rejected("python-fido2 AttestationVerifier.verify_attestation",
                       f"{type(error).__name__}: {error}") from error


# --------------------------------------------------------------------------------------------------
# libfido2 1.12 command line tools

def _run_tool(args: list[str], stdin: str) -> subprocess.CompletedProcess:
    return subprocess.run(args, input=stdin, capture_output=True, text=True, timeout=30)


def _client_data_hash(response: dict, client_data_json: bytes | None) -> bytes:
    data = client_data_json if client_data_json is not None else b64url_decode(response["response"]["clientDataJSON"])
    return hashlib.sha256(data).digest()


def libfido2_registration(response, *, rp_id: str, require_uv: bool = False, hmac_secret: bool = False,
                          cred_protect: int | None = None,
                          client_data_json: bytes | None = None) -> tuple[bytes, bytes]:
    """`fido2-cred -V [-v] [-h] [-c N] TYPE` (libfido2 1.12). Returns (credential id, public key PEM)
    as fido2-cred prints them after a successful verification.

    stdin, one line each: SHA-256(clientDataJSON) (base64), `rp_id`, fmt, authData wrapped as a CBOR
    byte string (base64), credential id (base64), attStmt.sig (base64), and attStmt.x5c[0] (base64)
    when present. `client_data_json` replaces the response's clientDataJSON in the hash: libfido2 only
    ever sees the hash, so this is how an RP that expects a different challenge is modelled.

    libfido2 decodes authData (`cbor_decode_cred_authdata`: rpIdHash, flags, counter, attested
    credential data, COSE key of the given TYPE, extensions), then with x5c `fido_cred_verify`,
    without `fido_cred_verify_self`: rpIdHash == SHA-256(`rp_id`) (`fido_check_rp_id`); UP set and,
    with `-v`, UV set (`fido_check_flags`); the authData extensions exactly equal the requested ones
    (`check_extensions`: hmac-secret iff `-h`, credProtect == N iff `-c N`); fmt "packed"; signature
    over authData||clientDataHash with the x5c leaf's key (alg from attStmt) or, for self
    attestation, with the credential's COSE key. libfido2 does NOT validate the certificate (no chain,
    no dates: see fido2-cred(1) CAVEATS) and does not cross-check the credential id line with authData.

    `none` attestation carries no signature, so there is nothing for fido2-cred to verify (its input
    needs a signature line; given `none` it fails with "input error"). This function raises
    `ValueError` for `none` instead of calling the tool; callers skip this step for `none`.
    """
    response = _as_dict(response)
    attestation_object = cbor2.loads(b64url_decode(response["response"]["attestationObject"]))
    fmt = attestation_object["fmt"]
    if fmt == "none":
        raise ValueError("fido2-cred cannot verify 'none' attestation: it has no signature")
    statement = attestation_object["attStmt"]
    auth_data = attestation_object["authData"]
    lines = [
        _b64(_client_data_hash(response, client_data_json)),
        rp_id,
        fmt,
        _b64(cbor2.dumps(auth_data)),
        _b64(b64url_decode(response["rawId"])),
        _b64(statement["sig"]),
    ]
    if statement.get("x5c"):
        lines.append(_b64(statement["x5c"][0]))
    flags = (["-v"] if require_uv else []) + (["-h"] if hmac_secret else []) + \
        (["-c", str(cred_protect)] if cred_protect is not None else [])
    algorithm = response["response"]["publicKeyAlgorithm"]
    completed = _run_tool(["fido2-cred", "-V", *flags, COSE_TYPE[algorithm]], "\n".join(lines) + "\n")
    if completed.returncode != 0:
        raise Rejected(f"fido2-cred -V {' '.join(flags)}".rstrip(), completed.stderr.strip())
    out = completed.stdout.split("\n", 1)
    return base64.b64decode(out[0]), out[1].encode()


def libfido2_authentication(response, *, rp_id: str, public_key_pem: bytes, algorithm: int,
                            require_uv: bool = False, client_data_json: bytes | None = None) -> None:
    """`fido2-assert -V -p [-v] KEY.pem TYPE` (libfido2 1.12). Returns None when accepted.

    stdin: SHA-256(clientDataJSON) (base64), `rp_id`, authData wrapped as a CBOR byte string
    (base64), signature (base64). `public_key_pem` is the credential key (e.g. from the registration's
    SPKI `response.publicKey`), TYPE from `algorithm`. `fido_assert_verify` checks: rpIdHash ==
    SHA-256(`rp_id`); UP set (`-p`) and UV set with `-v` (`fido_check_flags`); no unrequested
    extensions in authData; the signature over authData||clientDataHash with the PEM key. It does
    not see the challenge (only the hash: see `client_data_json` in `libfido2_registration`), the
    credential id, the user handle or the counter.
    """
    response = _as_dict(response)
    auth_data = b64url_decode(response["response"]["authenticatorData"])
    lines = [
        _b64(_client_data_hash(response, client_data_json)),
        rp_id,
        _b64(cbor2.dumps(auth_data)),
        _b64(b64url_decode(response["response"]["signature"])),
    ]
    flags = ["-p"] + (["-v"] if require_uv else [])
    with tempfile.TemporaryDirectory() as directory:
        key_file = Path(directory) / "pubkey.pem"
        key_file.write_bytes(public_key_pem)
        completed = _run_tool(["fido2-assert", "-V", *flags, str(key_file), COSE_TYPE[algorithm]],
                              "\n".join(lines) + "\n")
    if completed.returncode != 0:
        raise Rejected(f"fido2-assert -V {' '.join(flags)}", completed.stderr.strip())
