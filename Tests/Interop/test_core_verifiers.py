"""vauth's credentials checked by three independent verifiers (see verifiers.py for the wrappers).

What each verifier checked (library versions installed in .venv / Debian):

+----------------------+-----------------------------------------------+-----------------------------------------------+
| verifier             | registration (`vauth create`)                 | assertion (`vauth get`)                       |
+======================+===============================================+===============================================+
| py_webauthn 3.0.1    | `verify_registration_response`: id == rawId,  | `verify_authentication_response`: id == rawId,|
|                      | type; clientDataJSON type/challenge/origin;   | type; clientDataJSON type/challenge/origin;   |
|                      | rpIdHash; UP; UV when required; attested      | rpIdHash; UP; UV when required; sign count    |
|                      | credential data + COSE key alg; `none`: empty | strictly greater than the stored one (unless  |
|                      | attStmt; `packed` (`verify_packed`): x5c chain| both 0); signature with the registered COSE   |
|                      | to the keystore's root (`validate_certificate_| key (`verify_signature`).                     |
|                      | chain`, pyOpenSSL X509Store: signatures,      |                                               |
|                      | dates, CA constraints) + signature by the     |                                               |
|                      | leaf; self: attStmt alg == key alg +          |                                               |
|                      | signature by the credential key.              |                                               |
+----------------------+-----------------------------------------------+-----------------------------------------------+
| python-fido2 2.2.1   | `Fido2Server.register_complete`: parses with  | `Fido2Server.authenticate_complete`: parses   |
|                      | `fido2.cbor` (no trailing bytes, exact        | (exact authData length); clientData type/     |
|                      | authData length; NOT a canonical-form check); | origin/challenge; rpIdHash; UP; UV when       |
|                      | clientData type/origin/challenge; rpIdHash;   | required; rawId is the registered credential; |
|                      | UP; UV when required (no attestation check).  | signature with its `CoseKey`. No counter check|
|                      | `PackedAttestation.verify`: packed cert       | (the test compares `AuthenticatorData.counter`|
|                      | requirements (`_validate_packed_cert`: v3,    | itself).                                      |
|                      | CA=false, C/O/OU="Authenticator Attestation"/ |                                               |
|                      | CN, AAGUID extension == authData AAGUID) +    |                                               |
|                      | signature by the leaf (BASIC), or alg match + |                                               |
|                      | signature by the credential key (SELF);       |                                               |
|                      | `NoneAttestation.verify`: attStmt == {}.      |                                               |
|                      | `AttestationVerifier.verify_attestation`,     |                                               |
|                      | `ca_lookup` → the root DER: `verify_x509_chain|                                               |
|                      | (x5c + [root])` (signatures only).            |                                               |
+----------------------+-----------------------------------------------+-----------------------------------------------+
| libfido2 1.12        | `fido2-cred -V [-v] [-h] [-c N] TYPE`:        | `fido2-assert -V -p [-v] key.pem TYPE`        |
| (fido2-cred,         | authData decoded with the COSE key of TYPE;   | (`fido_assert_verify`): rpIdHash; UP; UV with |
|  fido2-assert)       | `fido_cred_verify` (x5c: signature by the     | -v; no unrequested extensions; signature with |
|                      | leaf, certificate NOT validated) or           | the PEM key made from the registration's SPKI |
|                      | `fido_cred_verify_self` (signature by the     | `response.publicKey`. Sees only the client    |
|                      | credential key): rpIdHash; UP; UV with -v;    | data hash (a wrong challenge = a hash of the  |
|                      | authData extensions exactly == flags          | RP's expected clientDataJSON), no counter.    |
|                      | (`check_extensions`: hmac-secret iff -h,      |                                               |
|                      | credProtect N iff -c N); fmt packed. Its      |                                               |
|                      | output (credential id, PEM key) is compared   |                                               |
|                      | with rawId and the SPKI. `none` has no        |                                               |
|                      | signature: that step alone is skipped.        |                                               |
+----------------------+-----------------------------------------------+-----------------------------------------------+

The tests themselves decode with cbor2 / cryptography (never vauth's code): fmt and attStmt members,
x5c presence, AAGUID zero exactly for `none`, flags UP/UV/AT/ED and BE/BS clear, canonical CBOR of the
attestation object, COSE key and extensions (re-encoded with `cbor2.dumps(canonical=True)`), the SPKI
`publicKey` equal to the COSE key, credProps.rk, userHandle exactly for discoverable credentials, and
counters rising across assertions.
"""
from __future__ import annotations

import hashlib
import io
import json
import secrets
from dataclasses import dataclass, field

import cbor2
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from fido2.attestation import AttestationType
from fido2.webauthn import AttestationObject

from vauthcli import VauthCLI
from verifiers import (
    COSE_TYPE,
    Rejected,
    b64url_decode,
    b64url_encode,
    fido2_attestation,
    fido2_attestation_chain,
    fido2_authentication,
    fido2_registration,
    libfido2_authentication,
    libfido2_registration,
    spki_to_pem,
    webauthn_authentication,
    webauthn_registration,
)

ALGORITHMS = {"es256": -7, "eddsa": -8, "rs256": -257}
COSE_KTY = {-7: 2, -8: 1, -257: 3}  # EC2, OKP, RSA
ATTESTATIONS = ("none", "self", "x5c")

UP, UV, BE, BS, AT, ED = 0x01, 0x04, 0x08, 0x10, 0x40, 0x80
ZERO_AAGUID = bytes(16)
OID_FIDO_AAGUID = x509.ObjectIdentifier("1.3.6.1.4.1.45724.1.1.4")


# --------------------------------------------------------------------------------------------------
# independent decoding (cbor2 + cryptography)

@dataclass
class AuthData:
    raw: bytes
    rp_id_hash: bytes
    flags: int
    counter: int
    aaguid: bytes | None = None
    credential_id: bytes | None = None
    cose_bytes: bytes | None = None
    cose: dict | None = None
    extensions_bytes: bytes | None = None
    extensions: dict | None = None


def parse_auth_data(raw: bytes) -> AuthData:
    """WebAuthn §6.1 layout, decoded with cbor2; every byte must be accounted for."""
    assert len(raw) >= 37, raw.hex()
    data = AuthData(raw, raw[:32], raw[32], int.from_bytes(raw[33:37], "big"))
    rest = raw[37:]
    if data.flags & AT:
        data.aaguid = rest[:16]
        length = int.from_bytes(rest[16:18], "big")
        data.credential_id = rest[18:18 + length]
        assert len(data.credential_id) == length
        rest = rest[18 + length:]
        stream = io.BytesIO(rest)
        data.cose = cbor2.CBORDecoder(stream).decode()
        data.cose_bytes, rest = rest[:stream.tell()], rest[stream.tell():]
    if data.flags & ED:
        stream = io.BytesIO(rest)
        data.extensions = cbor2.CBORDecoder(stream).decode()
        data.extensions_bytes, rest = rest[:stream.tell()], rest[stream.tell():]
    assert rest == b"", f"trailing bytes after authenticator data: {rest.hex()}"
    return data


def assert_canonical(encoded: bytes, what: str):
    assert cbor2.dumps(cbor2.loads(encoded), canonical=True) == encoded, f"{what} is not canonical CBOR"


def assert_spki_is_cose_key(spki: bytes, cose: dict, alg: int):
    """The SPKI `publicKey` (parsed by cryptography) is the same key as the COSE key in authData."""
    key = serialization.load_der_public_key(spki)
    assert cose[3] == alg and cose[1] == COSE_KTY[alg], cose
    if alg == -7:
        assert isinstance(key, ec.EllipticCurvePublicKey) and key.curve.name == "secp256r1"
        numbers = key.public_numbers()
        assert cose[-1] == 1  # P-256
        assert (cose[-2], cose[-3]) == (numbers.x.to_bytes(32, "big"), numbers.y.to_bytes(32, "big"))
    elif alg == -8:
        assert isinstance(key, ed25519.Ed25519PublicKey)
        assert cose[-1] == 6  # Ed25519
        assert cose[-2] == key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    else:
        assert isinstance(key, rsa.RSAPublicKey) and key.key_size >= 2048
        numbers = key.public_numbers()
        assert int.from_bytes(cose[-1], "big") == numbers.n and int.from_bytes(cose[-2], "big") == numbers.e


def same_public_key(pem_a: bytes, pem_b: bytes) -> bool:
    spki = lambda pem: serialization.load_pem_public_key(pem).public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return spki(pem_a) == spki(pem_b)


def flip_last_byte(data: bytes) -> bytes:
    return data[:-1] + bytes([data[-1] ^ 0x01])


def with_attestation_signature_flipped(response: dict) -> dict:
    tampered = json.loads(json.dumps(response))
    attestation_object = cbor2.loads(b64url_decode(response["response"]["attestationObject"]))
    attestation_object["attStmt"]["sig"] = flip_last_byte(attestation_object["attStmt"]["sig"])
    tampered["response"]["attestationObject"] = b64url_encode(cbor2.dumps(attestation_object, canonical=True))
    return tampered


def with_assertion_signature_flipped(response: dict) -> dict:
    tampered = json.loads(json.dumps(response))
    tampered["response"]["signature"] = b64url_encode(flip_last_byte(b64url_decode(response["response"]["signature"])))
    return tampered


def client_data_expecting(response: dict, challenge: bytes, other: bytes) -> bytes:
    """The clientDataJSON an RP that issued `other` would hash: libfido2 sees only the hash."""
    client_data = b64url_decode(response["response"]["clientDataJSON"])
    original = b64url_encode(challenge).encode()
    assert client_data.count(original) == 1
    return client_data.replace(original, b64url_encode(other).encode())


def pem_to_der(pem: bytes) -> bytes:
    return x509.load_pem_x509_certificate(pem).public_bytes(serialization.Encoding.DER)


# --------------------------------------------------------------------------------------------------
# keystores: one per algorithm for the whole module (RSA key generation is the slow part)

class Keystore:
    def __init__(self, directory):
        self.cli = VauthCLI(directory)
        self.root_pem = self.cli.run("attestation-ca").ok().stdout.encode()
        self.root_der = pem_to_der(self.root_pem)


@pytest.fixture(scope="module")
def keystores(tmp_path_factory):
    made = {}

    def get(name: str) -> Keystore:
        if name not in made:
            made[name] = Keystore(tmp_path_factory.mktemp(f"keystore-{name}"))
        return made[name]
    return get


@dataclass
class Ceremony:
    """One relying party, its expectations and the credential it registered."""
    store: Keystore
    alg: int
    attestation: str  # none | self | x5c
    uv: bool
    rk: bool
    rp_id: str
    extensions: dict = field(default_factory=dict)
    user_id: bytes = field(default_factory=lambda: secrets.token_bytes(16))
    challenge: bytes = field(default_factory=lambda: secrets.token_bytes(32))
    registration: dict | None = None

    @property
    def origin(self) -> str:
        return f"https://{self.rp_id}"

    def creation_options(self) -> dict:
        conveyance = "none" if self.attestation == "none" else "direct"
        return {
            "rp": {"id": self.rp_id, "name": "Interop RP"},
            "user": {"id": b64url_encode(self.user_id), "name": "alice@" + self.rp_id, "displayName": "Alice"},
            "challenge": b64url_encode(self.challenge),
            "pubKeyCredParams": [{"type": "public-key", "alg": self.alg}],
            "attestation": conveyance,
            "authenticatorSelection": {
                "residentKey": "required" if self.rk else "discouraged",
                "requireResidentKey": self.rk,
                "userVerification": "required" if self.uv else "discouraged",
            },
            "extensions": {"credProps": True, **self.extensions},
        }

    def create(self) -> dict:
        flags = ["--attestation", "self"] if self.attestation == "self" else []
        self.registration = self.store.cli.create(self.creation_options(), self.origin, *flags).ok().json
        return self.registration

    @property
    def credential_id(self) -> str:
        return self.registration["id"]

    @property
    def public_key_pem(self) -> bytes:
        return spki_to_pem(b64url_decode(self.registration["response"]["publicKey"]))

    def get(self, challenge: bytes) -> dict:
        allow = [] if self.rk else [{"type": "public-key", "id": self.credential_id}]
        options = {"challenge": b64url_encode(challenge), "rpId": self.rp_id, "allowCredentials": allow,
                   "userVerification": "required" if self.uv else "discouraged"}
        return self.store.cli.get(options, self.origin).ok().json


def verify_registration_everywhere(c: Ceremony):
    """All three verifiers on `c.registration`; returns (py_webauthn result, fido2 AuthenticatorData)."""
    response = c.registration
    fmt = cbor2.loads(b64url_decode(response["response"]["attestationObject"]))["fmt"]
    root = c.store.root_pem if c.attestation == "x5c" else None

    verified = webauthn_registration(response, challenge=c.challenge, rp_id=c.rp_id, origin=c.origin,
                                     require_uv=c.uv, root_pem=root)
    # An authenticator with built-in UV makes a discoverable credential only with UV (CTAP 2.2
    # §6.1.2, CTAP2_ERR_PUAT_REQUIRED otherwise), so the client verifies the user for one.
    assert verified.fmt == fmt and verified.user_verified == (c.uv or c.rk)
    assert verified.credential_id == b64url_decode(c.credential_id)

    fido_auth_data = fido2_registration(response, challenge=c.challenge, rp_id=c.rp_id, origin=c.origin,
                                        require_uv=c.uv)
    assert fido_auth_data.credential_data.credential_id == verified.credential_id
    expected_type = {"none": AttestationType.NONE, "self": AttestationType.SELF, "x5c": AttestationType.BASIC}
    assert fido2_attestation(response).attestation_type == expected_type[c.attestation]
    if c.attestation == "x5c":
        fido2_attestation_chain(response, c.store.root_der)

    if fmt != "none":  # fido2-cred cannot verify `none` (no signature): see libfido2_registration
        extensions = parse_auth_data(bytes(fido_auth_data)).extensions or {}
        credential_id, pem = libfido2_registration(
            response, rp_id=c.rp_id, require_uv=c.uv, hmac_secret=extensions.get("hmac-secret", False),
            cred_protect=extensions.get("credProtect"))
        assert credential_id == verified.credential_id
        assert same_public_key(pem, c.public_key_pem), "fido2-cred's key differs from response.publicKey"
    return verified, fido_auth_data


def verify_assertion_everywhere(c: Ceremony, assertion: dict, challenge: bytes, verified, fido_auth_data,
                                stored_count: int) -> int:
    """All three verifiers on one assertion; returns the new sign count."""
    result = webauthn_authentication(assertion, challenge=challenge, rp_id=c.rp_id, origin=c.origin,
                                     public_key=verified.credential_public_key, sign_count=stored_count,
                                     require_uv=c.uv)
    assert result.user_verified == c.uv and result.credential_id == verified.credential_id
    fido_assertion = fido2_authentication(assertion, challenge=challenge, rp_id=c.rp_id, origin=c.origin,
                                          credential=fido_auth_data.credential_data, require_uv=c.uv)
    assert fido_assertion.counter == result.new_sign_count > stored_count
    libfido2_authentication(assertion, rp_id=c.rp_id, public_key_pem=c.public_key_pem, algorithm=c.alg,
                            require_uv=c.uv)
    return result.new_sign_count


# --------------------------------------------------------------------------------------------------
# the matrix: 3 algorithms × 3 attestations × UV on/off × discoverable yes/no

MATRIX = [
    pytest.param(alg, attestation, uv, rk,
                 id=f"{alg}-{attestation}-{'uv' if uv else 'nouv'}-{'rk' if rk else 'nonrk'}")
    for alg in ALGORITHMS for attestation in ATTESTATIONS for uv in (True, False) for rk in (True, False)
]


@pytest.mark.parametrize("alg_name, attestation, uv, rk", MATRIX)
def test_matrix(keystores, alg_name, attestation, uv, rk):
    alg = ALGORITHMS[alg_name]
    c = Ceremony(keystores(alg_name), alg, attestation, uv, rk,
                 rp_id=f"{alg_name}-{attestation}-{int(uv)}{int(rk)}.example.com")
    response = c.create()

    # --- structure, as an independent decoder sees it
    assert response["type"] == "public-key" and response["id"] == response["rawId"]
    assert response["response"]["publicKeyAlgorithm"] == alg
    assert response["clientExtensionResults"]["credProps"]["rk"] is rk
    attestation_bytes = b64url_decode(response["response"]["attestationObject"])
    assert_canonical(attestation_bytes, "attestation object")
    AttestationObject(attestation_bytes)  # python-fido2's decoder: no trailing bytes, exact authData length
    attestation_object = cbor2.loads(attestation_bytes)
    assert set(attestation_object) == {"fmt", "attStmt", "authData"}
    statement = attestation_object["attStmt"]
    if attestation == "none":
        assert attestation_object["fmt"] == "none" and statement == {}
    elif attestation == "self":
        assert attestation_object["fmt"] == "packed" and set(statement) == {"alg", "sig"}
        assert statement["alg"] == alg
    else:
        assert attestation_object["fmt"] == "packed" and set(statement) == {"alg", "sig", "x5c"}
        assert len(statement["x5c"]) >= 1

    auth_data = parse_auth_data(attestation_object["authData"])
    assert b64url_decode(response["response"]["authenticatorData"]) == auth_data.raw
    assert auth_data.rp_id_hash == hashlib.sha256(c.rp_id.encode()).digest()
    assert auth_data.flags & UP and auth_data.flags & AT
    assert bool(auth_data.flags & UV) is (uv or rk)
    assert not auth_data.flags & (BE | BS), f"BE/BS set by default: flags {auth_data.flags:#04x}"
    assert not auth_data.flags & ED, f"extensions present though none were requested: {auth_data.extensions}"
    assert (auth_data.aaguid == ZERO_AAGUID) is (attestation == "none")
    assert auth_data.credential_id == b64url_decode(c.credential_id)
    assert_canonical(auth_data.cose_bytes, "COSE key")
    assert_spki_is_cose_key(b64url_decode(response["response"]["publicKey"]), auth_data.cose, alg)
    if attestation == "x5c":
        leaf = x509.load_der_x509_certificate(statement["x5c"][0])
        aaguid_extension = leaf.extensions.get_extension_for_oid(OID_FIDO_AAGUID).value.value
        assert cbor2.loads(b"\x50" + aaguid_extension[2:]) == auth_data.aaguid  # OCTET STRING(16)
        assert statement["x5c"][-1] != c.store.root_der

    # --- the three verifiers accept the registration
    verified, fido_auth_data = verify_registration_everywhere(c)
    assert verified.credential_public_key == auth_data.cose_bytes

    # --- two assertions, each accepted by all three with the stored count
    count = verified.sign_count
    for _ in range(2):
        challenge = secrets.token_bytes(32)
        assertion = c.get(challenge)
        assert assertion["id"] == assertion["rawId"] == c.credential_id
        assertion_data = parse_auth_data(b64url_decode(assertion["response"]["authenticatorData"]))
        assert assertion_data.rp_id_hash == auth_data.rp_id_hash
        assert assertion_data.flags & UP and bool(assertion_data.flags & UV) is uv
        assert not assertion_data.flags & (AT | ED | BE | BS), f"flags {assertion_data.flags:#04x}"
        user_handle = assertion["response"].get("userHandle")
        if rk:
            assert user_handle and b64url_decode(user_handle) == c.user_id
        else:
            assert not user_handle, f"userHandle {user_handle!r} for a non-discoverable credential"
        new_count = verify_assertion_everywhere(c, assertion, challenge, verified, fido_auth_data, count)
        assert new_count == assertion_data.counter > count
        count = new_count


def test_indirect_conveyance_gives_self_attestation(keystores):
    c = Ceremony(keystores("es256"), -7, "self", True, False, rp_id="indirect.example.com")
    options = c.creation_options()
    options["attestation"] = "indirect"
    c.registration = c.store.cli.create(options, c.origin).ok().json
    attestation_object = cbor2.loads(b64url_decode(c.registration["response"]["attestationObject"]))
    assert attestation_object["fmt"] == "packed" and set(attestation_object["attStmt"]) == {"alg", "sig"}
    verify_registration_everywhere(c)


# --------------------------------------------------------------------------------------------------
# authenticator extensions through fido2-cred's -h / -c flags

EXTENSION_CASES = [
    pytest.param("cp2", {"credentialProtectionPolicy": "userVerificationOptionalWithCredentialIDList"},
                 {"credProtect": 2}, id="credProtect-2"),
    pytest.param("cp3", {"credentialProtectionPolicy": "userVerificationRequired"}, {"credProtect": 3},
                 id="credProtect-3"),
    pytest.param("prf", {"prf": {}}, {"hmac-secret": True}, id="prf-hmac-secret"),
    pytest.param("prf-cp3", {"prf": {}, "credentialProtectionPolicy": "userVerificationRequired",
                             "enforceCredentialProtectionPolicy": True},
                 {"hmac-secret": True, "credProtect": 3}, id="prf-and-credProtect-3"),
]


def _flags(extensions: dict) -> dict:
    return {"hmac_secret": extensions.get("hmac-secret", False), "cred_protect": extensions.get("credProtect")}


@pytest.fixture(scope="module")
def extension_ceremonies(keystores):
    made = {}

    def get(name, requested, attestation):
        key = (name, attestation)
        if key not in made:
            c = Ceremony(keystores("es256"), -7, attestation, True, True, rp_id=f"ext-{name}-{attestation}.example.com",
                         extensions=requested)
            c.create()
            made[key] = c
        return made[key]
    return get


@pytest.mark.parametrize("attestation", ["self", "x5c"])
@pytest.mark.parametrize("name, requested, expected", EXTENSION_CASES)
def test_extensions_accepted_with_matching_flags(extension_ceremonies, name, requested, expected, attestation):
    c = extension_ceremonies(name, requested, attestation)
    auth_data = parse_auth_data(b64url_decode(c.registration["response"]["authenticatorData"]))
    assert auth_data.flags & ED and auth_data.extensions == expected
    assert_canonical(auth_data.extensions_bytes, "authData extensions")
    # exactly the matching flags: accepted (verify_registration_everywhere derives them from authData)
    libfido2_registration(c.registration, rp_id=c.rp_id, require_uv=True, **_flags(expected))
    verified, fido_auth_data = verify_registration_everywhere(c)
    challenge = secrets.token_bytes(32)
    verify_assertion_everywhere(c, c.get(challenge), challenge, verified, fido_auth_data, verified.sign_count)


def _mismatches(expected: dict):
    """Flag sets that differ from the authData extensions in exactly one way."""
    hmac, level = expected.get("hmac-secret", False), expected.get("credProtect")
    yield {"hmac_secret": not hmac, "cred_protect": level}
    yield {"hmac_secret": hmac, "cred_protect": None if level else 2}
    for other in (1, 2, 3):
        if level and other != level:
            yield {"hmac_secret": hmac, "cred_protect": other}


@pytest.mark.parametrize("name, requested, expected", EXTENSION_CASES)
def test_fido2_cred_rejects_mismatched_extension_flags(extension_ceremonies, name, requested, expected):
    c = extension_ceremonies(name, requested, "x5c")
    for flags in _mismatches(expected):
        with pytest.raises(Rejected, match="FIDO_ERR_INVALID_PARAM"):
            libfido2_registration(c.registration, rp_id=c.rp_id, require_uv=True, **flags)


def test_fido2_cred_rejects_extension_flags_for_plain_credential(keystores):
    c = Ceremony(keystores("es256"), -7, "x5c", False, False, rp_id="ext-plain.example.com")
    c.create()
    libfido2_registration(c.registration, rp_id=c.rp_id)  # control: no flags, accepted
    for flags in ({"hmac_secret": True}, {"cred_protect": 1}, {"cred_protect": 2}, {"require_uv": True}):
        with pytest.raises(Rejected, match="FIDO_ERR_INVALID_PARAM"):
            libfido2_registration(c.registration, rp_id=c.rp_id, **flags)


# --------------------------------------------------------------------------------------------------
# rejections: each verifier must refuse tampered or mismatched input

@dataclass
class Sample:
    """Per algorithm: an x5c and a self-attested credential (UV), a non-UV one, and assertions."""
    x5c: Ceremony
    self_: Ceremony
    no_uv: Ceremony
    verified: object
    fido_auth_data: object
    assertion: dict
    assertion_challenge: bytes
    no_uv_assertion: dict
    no_uv_challenge: bytes
    no_uv_verified: object
    no_uv_fido: object


@pytest.fixture(scope="module", params=list(ALGORITHMS))
def sample(request, keystores) -> Sample:
    name = request.param
    alg, store = ALGORITHMS[name], keystores(name)
    x5c = Ceremony(store, alg, "x5c", True, False, rp_id=f"reject-{name}.example.com")
    self_ = Ceremony(store, alg, "self", True, False, rp_id=f"reject-self-{name}.example.com")
    no_uv = Ceremony(store, alg, "self", False, False, rp_id=f"reject-nouv-{name}.example.com")
    for c in (x5c, self_, no_uv):
        c.create()
    verified, fido_auth_data = verify_registration_everywhere(x5c)  # controls: accepted untampered
    verify_registration_everywhere(self_)
    no_uv_verified, no_uv_fido = verify_registration_everywhere(no_uv)
    challenge = secrets.token_bytes(32)
    assertion = x5c.get(challenge)
    no_uv_challenge = secrets.token_bytes(32)
    no_uv_assertion = no_uv.get(no_uv_challenge)
    verify_assertion_everywhere(x5c, assertion, challenge, verified, fido_auth_data, verified.sign_count)
    verify_assertion_everywhere(no_uv, no_uv_assertion, no_uv_challenge, no_uv_verified, no_uv_fido,
                                no_uv_verified.sign_count)
    return Sample(x5c, self_, no_uv, verified, fido_auth_data, assertion, challenge,
                  no_uv_assertion, no_uv_challenge, no_uv_verified, no_uv_fido)


OTHER_RP = "other-rp.example.net"
OTHER_CHALLENGE = bytes(range(32))


@pytest.fixture(scope="module")
def foreign_root(tmp_path_factory, keystores) -> Keystore:
    other = Keystore(tmp_path_factory.mktemp("foreign-keystore"))
    assert other.root_der != keystores("es256").root_der
    return other


# registration: py_webauthn

@pytest.mark.parametrize("which", ["x5c", "self_"])
def test_py_webauthn_rejects_flipped_attestation_signature(sample, which):
    c = getattr(sample, which)
    with pytest.raises(Rejected, match="Could not verify attestation statement signature"):
        webauthn_registration(with_attestation_signature_flipped(c.registration), challenge=c.challenge,
                              rp_id=c.rp_id, origin=c.origin, require_uv=True, root_pem=c.store.root_pem)


def test_py_webauthn_rejects_registration_for_other_rp_id(sample):
    c = sample.x5c
    with pytest.raises(Rejected, match="Unexpected RP ID hash"):
        webauthn_registration(c.registration, challenge=c.challenge, rp_id=OTHER_RP, origin=c.origin,
                              root_pem=c.store.root_pem)


def test_py_webauthn_rejects_registration_with_wrong_challenge(sample):
    c = sample.x5c
    with pytest.raises(Rejected, match="challenge was not expected challenge"):
        webauthn_registration(c.registration, challenge=OTHER_CHALLENGE, rp_id=c.rp_id, origin=c.origin,
                              root_pem=c.store.root_pem)


def test_py_webauthn_rejects_registration_from_other_origin(sample):
    c = sample.x5c
    with pytest.raises(Rejected, match="Unexpected client data origin"):
        webauthn_registration(c.registration, challenge=c.challenge, rp_id=c.rp_id, origin="https://evil.example.com",
                              root_pem=c.store.root_pem)


def test_py_webauthn_rejects_x5c_under_foreign_root(sample, foreign_root):
    c = sample.x5c
    with pytest.raises(Rejected, match="Certificate chain could not be validated"):
        webauthn_registration(c.registration, challenge=c.challenge, rp_id=c.rp_id, origin=c.origin,
                              root_pem=foreign_root.root_pem)


def test_py_webauthn_rejects_registration_without_uv_when_required(sample):
    c = sample.no_uv
    with pytest.raises(Rejected, match="User verification is required"):
        webauthn_registration(c.registration, challenge=c.challenge, rp_id=c.rp_id, origin=c.origin, require_uv=True)


# registration: python-fido2

def test_python_fido2_rejects_flipped_self_attestation_signature(sample):
    with pytest.raises(Rejected, match="InvalidSignature"):
        fido2_attestation(with_attestation_signature_flipped(sample.self_.registration))


def test_python_fido2_rejects_flipped_x5c_attestation_signature(sample):
    tampered = with_attestation_signature_flipped(sample.x5c.registration)
    with pytest.raises(Rejected, match="InvalidSignature"):
        fido2_attestation(tampered)
    with pytest.raises(Rejected, match="InvalidSignature"):
        fido2_attestation_chain(tampered, sample.x5c.store.root_der)


def test_python_fido2_rejects_registration_for_other_rp_id(sample):
    c = sample.x5c
    with pytest.raises(Rejected, match="Wrong RP ID hash"):
        fido2_registration(c.registration, challenge=c.challenge, rp_id=OTHER_RP, origin=c.origin)


def test_python_fido2_rejects_registration_with_wrong_challenge(sample):
    c = sample.x5c
    with pytest.raises(Rejected, match="Wrong challenge"):
        fido2_registration(c.registration, challenge=OTHER_CHALLENGE, rp_id=c.rp_id, origin=c.origin)


def test_python_fido2_rejects_registration_from_other_origin(sample):
    c = sample.x5c
    with pytest.raises(Rejected, match="Invalid origin"):
        fido2_registration(c.registration, challenge=c.challenge, rp_id=c.rp_id, origin="https://evil.example.com")


def test_python_fido2_rejects_x5c_under_foreign_root(sample, foreign_root):
    with pytest.raises(Rejected, match="UntrustedAttestation"):
        fido2_attestation_chain(sample.x5c.registration, foreign_root.root_der)


def test_python_fido2_rejects_registration_without_uv_when_required(sample):
    c = sample.no_uv
    with pytest.raises(Rejected, match="User verification required"):
        fido2_registration(c.registration, challenge=c.challenge, rp_id=c.rp_id, origin=c.origin, require_uv=True)


# registration: fido2-cred

@pytest.mark.parametrize("which", ["x5c", "self_"])
def test_fido2_cred_rejects_flipped_attestation_signature(sample, which):
    c = getattr(sample, which)
    with pytest.raises(Rejected, match="FIDO_ERR_INVALID_SIG"):
        libfido2_registration(with_attestation_signature_flipped(c.registration), rp_id=c.rp_id, require_uv=True)


@pytest.mark.parametrize("which", ["x5c", "self_"])
def test_fido2_cred_rejects_registration_for_other_rp_id(sample, which):
    c = getattr(sample, which)
    with pytest.raises(Rejected, match="FIDO_ERR_INVALID_PARAM"):
        libfido2_registration(c.registration, rp_id=OTHER_RP, require_uv=True)


@pytest.mark.parametrize("which", ["x5c", "self_"])
def test_fido2_cred_rejects_registration_with_wrong_challenge(sample, which):
    c = getattr(sample, which)
    with pytest.raises(Rejected, match="FIDO_ERR_INVALID_SIG"):
        libfido2_registration(c.registration, rp_id=c.rp_id, require_uv=True,
                              client_data_json=client_data_expecting(c.registration, c.challenge, OTHER_CHALLENGE))


def test_fido2_cred_rejects_registration_without_uv_when_required(sample):
    c = sample.no_uv
    with pytest.raises(Rejected, match="FIDO_ERR_INVALID_PARAM"):
        libfido2_registration(c.registration, rp_id=c.rp_id, require_uv=True)


# assertion: py_webauthn

def _py_webauthn_assert(s: Sample, assertion=None, *, challenge=None, rp_id=None, origin=None, sign_count=None):
    c = s.x5c
    return webauthn_authentication(
        assertion or s.assertion, challenge=challenge or s.assertion_challenge, rp_id=rp_id or c.rp_id,
        origin=origin or c.origin, public_key=s.verified.credential_public_key,
        sign_count=s.verified.sign_count if sign_count is None else sign_count, require_uv=True)


def test_py_webauthn_rejects_flipped_assertion_signature(sample):
    with pytest.raises(Rejected, match="Could not verify authentication signature"):
        _py_webauthn_assert(sample, with_assertion_signature_flipped(sample.assertion))


def test_py_webauthn_rejects_assertion_for_other_rp_id(sample):
    with pytest.raises(Rejected, match="Unexpected RP ID hash"):
        _py_webauthn_assert(sample, rp_id=OTHER_RP)


def test_py_webauthn_rejects_assertion_with_wrong_challenge(sample):
    with pytest.raises(Rejected, match="challenge was not expected challenge"):
        _py_webauthn_assert(sample, challenge=OTHER_CHALLENGE)


def test_py_webauthn_rejects_assertion_from_other_origin(sample):
    with pytest.raises(Rejected, match="Unexpected client data origin"):
        _py_webauthn_assert(sample, origin="https://evil.example.com")


def test_py_webauthn_rejects_replayed_counter(sample):
    counter = parse_auth_data(b64url_decode(sample.assertion["response"]["authenticatorData"])).counter
    with pytest.raises(Rejected, match="was not greater than current count"):
        _py_webauthn_assert(sample, sign_count=counter)


def test_py_webauthn_rejects_assertion_without_uv_when_required(sample):
    c = sample.no_uv
    with pytest.raises(Rejected, match="User verification is required"):
        webauthn_authentication(sample.no_uv_assertion, challenge=sample.no_uv_challenge, rp_id=c.rp_id,
                                origin=c.origin, public_key=sample.no_uv_verified.credential_public_key,
                                sign_count=0, require_uv=True)


def test_py_webauthn_rejects_signature_under_another_credential_key(sample):
    """The x5c credential's assertion checked against the self-attested credential's key."""
    other_key = webauthn_registration(sample.self_.registration, challenge=sample.self_.challenge,
                                      rp_id=sample.self_.rp_id, origin=sample.self_.origin).credential_public_key
    c = sample.x5c
    with pytest.raises(Rejected, match="Could not verify authentication signature"):
        webauthn_authentication(sample.assertion, challenge=sample.assertion_challenge, rp_id=c.rp_id,
                                origin=c.origin, public_key=other_key, sign_count=0)


# assertion: python-fido2

def _fido2_assert(s: Sample, assertion=None, *, challenge=None, rp_id=None, origin=None):
    c = s.x5c
    return fido2_authentication(assertion or s.assertion, challenge=challenge or s.assertion_challenge,
                                rp_id=rp_id or c.rp_id, origin=origin or c.origin,
                                credential=s.fido_auth_data.credential_data, require_uv=True)


def test_python_fido2_rejects_flipped_assertion_signature(sample):
    with pytest.raises(Rejected, match="Invalid signature"):
        _fido2_assert(sample, with_assertion_signature_flipped(sample.assertion))


def test_python_fido2_rejects_assertion_for_other_rp_id(sample):
    with pytest.raises(Rejected, match="Wrong RP ID hash"):
        _fido2_assert(sample, rp_id=OTHER_RP)


def test_python_fido2_rejects_assertion_with_wrong_challenge(sample):
    with pytest.raises(Rejected, match="Wrong challenge"):
        _fido2_assert(sample, challenge=OTHER_CHALLENGE)


def test_python_fido2_rejects_assertion_from_other_origin(sample):
    with pytest.raises(Rejected, match="Invalid origin"):
        _fido2_assert(sample, origin="https://evil.example.com")


def test_python_fido2_rejects_assertion_without_uv_when_required(sample):
    c = sample.no_uv
    with pytest.raises(Rejected, match="user verified flag not set"):
        fido2_authentication(sample.no_uv_assertion, challenge=sample.no_uv_challenge, rp_id=c.rp_id,
                             origin=c.origin, credential=sample.no_uv_fido.credential_data, require_uv=True)


# assertion: fido2-assert

def _libfido2_assert(s: Sample, assertion=None, *, rp_id=None, client_data_json=None, pem=None, require_uv=True):
    c = s.x5c
    libfido2_authentication(assertion or s.assertion, rp_id=rp_id or c.rp_id, public_key_pem=pem or c.public_key_pem,
                            algorithm=c.alg, require_uv=require_uv, client_data_json=client_data_json)


def test_fido2_assert_rejects_flipped_assertion_signature(sample):
    with pytest.raises(Rejected, match="FIDO_ERR_INVALID_SIG"):
        _libfido2_assert(sample, with_assertion_signature_flipped(sample.assertion))


def test_fido2_assert_rejects_assertion_for_other_rp_id(sample):
    with pytest.raises(Rejected, match="FIDO_ERR_INVALID_PARAM"):
        _libfido2_assert(sample, rp_id=OTHER_RP)


def test_fido2_assert_rejects_assertion_with_wrong_challenge(sample):
    client_data = client_data_expecting(sample.assertion, sample.assertion_challenge, OTHER_CHALLENGE)
    with pytest.raises(Rejected, match="FIDO_ERR_INVALID_SIG"):
        _libfido2_assert(sample, client_data_json=client_data)


def test_fido2_assert_rejects_signature_under_another_credential_key(sample):
    with pytest.raises(Rejected, match="FIDO_ERR_INVALID_SIG"):
        _libfido2_assert(sample, pem=sample.self_.public_key_pem)


def test_fido2_assert_rejects_assertion_without_uv_when_required(sample):
    c = sample.no_uv
    with pytest.raises(Rejected, match="FIDO_ERR_INVALID_PARAM"):
        libfido2_authentication(sample.no_uv_assertion, rp_id=c.rp_id, public_key_pem=c.public_key_pem,
                                algorithm=c.alg, require_uv=True)
