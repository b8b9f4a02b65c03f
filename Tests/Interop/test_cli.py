"""The `vauth` command line against its contract (/work/shared/contracts/cli.md).

Every ceremony vauth performs here is verified by py_webauthn (and signatures by `cryptography`),
never by vauth itself. Every failure is checked for the contract's exit status, a single
`vauth: error:` line on stderr, nothing on stdout and a keystore left byte for byte as it was.
"""
from __future__ import annotations

import base64
import hashlib
import json
import re
import secrets

import cbor2
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from webauthn import verify_authentication_response, verify_registration_response
from webauthn.helpers.structs import AttestationFormat

from vauthcli import VauthCLI

RP = "example.com"
ORIGIN = "https://example.com"
ES256, EDDSA, RS256 = -7, -8, -257
ALG_NAMES = {ES256: "es256", EDDSA: "eddsa", RS256: "rs256"}


# --------------------------------------------------------------------------------------------
# helpers

def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64url_decode(text: str) -> bytes:
    assert "=" not in text and "+" not in text and "/" not in text, f"not unpadded base64url: {text!r}"
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def std_b64_decode(text: str) -> bytes:
    assert len(text) % 4 == 0, f"not padded standard base64: {text!r}"
    return base64.b64decode(text, validate=True)


def creation_options(*, user: str = "alice", user_id: bytes | None = None, algs=(ES256,), resident: bool = True,
                     uv: str = "required", rp_id: str | None = RP, challenge: bytes | None = None, exclude=(),
                     attestation: str = "direct", cred_props: bool = True) -> dict:
    options = {
        "rp": {"name": "Example"},
        "user": {"id": b64url(user_id if user_id is not None else user.encode()), "name": user,
                 "displayName": user.title()},
        "challenge": b64url(challenge or secrets.token_bytes(32)),
        "pubKeyCredParams": [{"type": "public-key", "alg": alg} for alg in algs],
        "timeout": 60000,
        "excludeCredentials": [{"type": "public-key", "id": cid} for cid in exclude],
        "authenticatorSelection": {"residentKey": "required" if resident else "discouraged",
                                   "requireResidentKey": resident, "userVerification": uv},
        "attestation": attestation,
    }
    if rp_id is not None:
        options["rp"]["id"] = rp_id
    if cred_props:
        options["extensions"] = {"credProps": True}
    return options


def request_options(*, allow=(), uv: str = "required", rp_id: str | None = RP, challenge: bytes | None = None) -> dict:
    options = {
        "challenge": b64url(challenge or secrets.token_bytes(32)),
        "timeout": 60000,
        "allowCredentials": [{"type": "public-key", "id": cid} for cid in allow],
        "userVerification": uv,
    }
    if rp_id is not None:
        options["rpId"] = rp_id
    return options


def attestation_ca(vauth: VauthCLI) -> bytes:
    return vauth.run("attestation-ca").ok().stdout.encode()


def challenge_of(options: dict) -> bytes:
    return b64url_decode(options["challenge"])


class Registration:
    """A credential vauth made, as the RP (py_webauthn) verified it."""

    def __init__(self, options, response, verified, origin, rp_id):
        self.options, self.response, self.verified = options, response, verified
        self.origin, self.rp_id = origin, rp_id
        self.id = response["id"]
        self.public_key = verified.credential_public_key
        self.sign_count = verified.sign_count


def register(vauth: VauthCLI, *flags, origin: str = ORIGIN, rp_id: str = RP, require_uv: bool = True,
             **option_args) -> Registration:
    options = creation_options(rp_id=rp_id, **option_args)
    response = vauth.create(options, origin, *flags).ok().json
    verified = verify_registration_response(
        credential=response, expected_challenge=challenge_of(options), expected_rp_id=rp_id,
        expected_origin=origin, require_user_verification=require_uv,
        pem_root_certs_bytes_by_fmt={AttestationFormat.PACKED: [attestation_ca(vauth)]})
    assert b64url_decode(response["id"]) == verified.credential_id
    return Registration(options, response, verified, origin, rp_id)


def authenticate(vauth: VauthCLI, registration: Registration, *flags, discoverable: bool = False,
                 require_uv: bool = True, uv: str = "required", cli: VauthCLI | None = None):
    """Runs `vauth get` (on `cli`, default `vauth`) and verifies it with py_webauthn against the
    registration's public key and stored count; returns (response JSON, verified)."""
    options = request_options(allow=() if discoverable else (registration.id,), uv=uv, rp_id=registration.rp_id)
    response = (cli or vauth).get(options, registration.origin, *flags).ok().json
    verified = verify_authentication_response(
        credential=response, expected_challenge=challenge_of(options), expected_rp_id=registration.rp_id,
        expected_origin=registration.origin, credential_public_key=registration.public_key,
        credential_current_sign_count=registration.sign_count, require_user_verification=require_uv)
    registration.sign_count = verified.new_sign_count
    return response, verified


def auth_data_flags(response) -> int:
    return b64url_decode(response["response"]["authenticatorData"])[32]


def auth_data_counter(response) -> int:
    return int.from_bytes(b64url_decode(response["response"]["authenticatorData"])[33:37], "big")


def verify_with_spki(spki_der: bytes, alg: int, assertion: dict) -> None:
    """Checks an assertion signature with the SPKI public key from the registration response."""
    key = serialization.load_der_public_key(spki_der)
    auth_data = b64url_decode(assertion["response"]["authenticatorData"])
    client_data = b64url_decode(assertion["response"]["clientDataJSON"])
    signed = auth_data + hashlib.sha256(client_data).digest()
    signature = b64url_decode(assertion["response"]["signature"])
    if alg == ES256:
        assert isinstance(key, ec.EllipticCurvePublicKey) and key.curve.name == "secp256r1"
        key.verify(signature, signed, ec.ECDSA(hashes.SHA256()))
    elif alg == EDDSA:
        assert isinstance(key, ed25519.Ed25519PublicKey)
        key.verify(signature, signed)
    else:
        assert isinstance(key, rsa.RSAPublicKey)
        key.verify(signature, signed, padding.PKCS1v15(), hashes.SHA256())


def assert_failed(result, code: int, before: dict, vauth: VauthCLI, reason: str) -> None:
    """The contract for every failure: exit status, one `vauth: error:` line that names the
    actual reason (`reason`, a regular expression searched in the message after the prefix; a
    test that accepted any message would pass for the wrong reason), no stdout, and the keystore
    and its journal byte for byte as they were."""
    assert reason, "every failure test names the reason it expects"
    assert result.code == code, f"expected exit {code}, got {result.code}: stderr={result.stderr!r} stdout={result.stdout[:200]!r}"
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and result.stderr.endswith("\n"), f"stderr is not one line: {result.stderr!r}"
    assert lines[0].startswith("vauth: error: ") and len(lines[0]) > len("vauth: error: ") + 5, lines[0]
    message = lines[0][len("vauth: error: "):]
    assert re.search(reason, message), f"the error does not name the expected reason /{reason}/: {message!r}"
    assert result.stdout == "", f"stdout not empty: {result.stdout[:300]!r}"
    assert vauth.state() == before, "a failed command changed the keystore or its counter journal"


@pytest.fixture
def enrolled(vauth):
    """A keystore holding one discoverable ES256 credential with one assertion made (so the
    counter journal exists too)."""
    registration = register(vauth)
    authenticate(vauth, registration)
    return registration


def other_cli(tmp_path, name="other") -> VauthCLI:
    directory = tmp_path / name
    directory.mkdir()
    return VauthCLI(directory)


# --------------------------------------------------------------------------------------------
# ceremonies

@pytest.mark.parametrize("alg", [ES256, EDDSA, RS256], ids=["es256", "eddsa", "rs256"])
@pytest.mark.parametrize("discoverable", [True, False], ids=["discoverable", "allowlist"])
def test_register_and_authenticate(vauth, alg, discoverable):
    registration = register(vauth, algs=(alg,), resident=discoverable, user=f"user-{alg}")
    reg = registration.response
    assert registration.verified.user_verified is True
    assert reg["response"]["publicKeyAlgorithm"] == alg
    assert reg["clientExtensionResults"]["credProps"] == {"rk": discoverable}
    listed = vauth.run("list").ok().json
    assert [(c["credentialId"], c["algorithm"], c["discoverable"]) for c in listed] == \
        [(registration.id, ALG_NAMES[alg], discoverable)]

    for round_ in (1, 2):
        response, verified = authenticate(vauth, registration, discoverable=discoverable)
        assert response["id"] == response["rawId"] == registration.id
        assert verified.user_verified is True
        assert verified.new_sign_count == round_
        verify_with_spki(b64url_decode(reg["response"]["publicKey"]), alg, response)
        if discoverable:
            assert b64url_decode(response["response"]["userHandle"]) == f"user-{alg}".encode()


def test_discoverable_get_needs_a_discoverable_credential(vauth):
    register(vauth, resident=False)
    before = vauth.state()
    result = vauth.get(request_options(), ORIGIN)
    assert_failed(result, 1, before, vauth, r"^NotAllowedError: .*no discoverable credential for example\.com$")


def test_algorithm_follows_rp_preference_order(vauth):
    registration = register(vauth, algs=(EDDSA, ES256))
    assert registration.response["response"]["publicKeyAlgorithm"] == EDDSA
    registration = register(vauth, "--algorithm", "es256", user="bob", algs=(EDDSA, ES256))
    assert registration.response["response"]["publicKeyAlgorithm"] == ES256


def test_registration_output_members(vauth):
    registration = register(vauth, algs=(ES256,))
    reg = registration.response
    assert reg["type"] == "public-key"
    assert reg["id"] == reg["rawId"]
    assert reg["authenticatorAttachment"] in ("platform", "cross-platform")
    r = reg["response"]
    for member in ("attestationObject", "clientDataJSON", "authenticatorData", "publicKey"):
        assert isinstance(r[member], str) and b64url_decode(r[member])
    assert isinstance(r["transports"], list) and r["transports"]
    assert all(isinstance(t, str) for t in r["transports"])
    client_data = json.loads(b64url_decode(r["clientDataJSON"]))
    assert client_data["type"] == "webauthn.create"
    assert client_data["origin"] == ORIGIN and client_data["challenge"] == registration.options["challenge"]
    # authenticatorData is the one inside the attestation object
    att = cbor2.loads(b64url_decode(r["attestationObject"]))
    assert att["authData"] == b64url_decode(r["authenticatorData"])
    assert att["fmt"] == "packed" and "x5c" in att["attStmt"]
    # publicKey: SPKI DER for the same key py_webauthn extracted from the COSE key
    spki = serialization.load_der_public_key(b64url_decode(r["publicKey"]))
    cose = cbor2.loads(registration.public_key)
    assert spki.public_numbers().x.to_bytes(32, "big") == cose[-2]
    assert spki.public_numbers().y.to_bytes(32, "big") == cose[-3]
    # the assertion verifies with the SPKI key
    response, _ = authenticate(vauth, registration)
    verify_with_spki(b64url_decode(r["publicKey"]), ES256, response)
    assert response["type"] == "public-key"
    assert response["authenticatorAttachment"] in ("platform", "cross-platform")
    assert isinstance(response["clientExtensionResults"], dict)


def test_attestation_none_has_zero_aaguid(vauth):
    registration = register(vauth, attestation="none")
    att = cbor2.loads(b64url_decode(registration.response["response"]["attestationObject"]))
    assert att["fmt"] == "none" and att["attStmt"] == {}
    assert registration.verified.aaguid == "00000000-0000-0000-0000-000000000000"


def test_uv_required_sets_uv_flag(vauth):
    registration = register(vauth, uv="required")
    assert auth_data_flags(registration.response) & 0x05 == 0x05          # UP and UV
    response, verified = authenticate(vauth, registration, uv="required")
    assert auth_data_flags(response) & 0x05 == 0x05 and verified.user_verified


def test_uv_refused_on_create(vauth, enrolled):
    before = vauth.state()
    result = vauth.create(creation_options(user="bob", uv="required"), ORIGIN, "--no-uv")
    assert_failed(result, 1, before, vauth, r"^NotAllowedError: makeCredential: .*refused user verification")
    assert len(vauth.run("list").ok().json) == 1


def test_uv_refused_on_get(vauth, enrolled):
    before = vauth.state()
    result = vauth.get(request_options(allow=(enrolled.id,), uv="required"), ORIGIN, "--no-uv")
    assert_failed(result, 1, before, vauth, r"^NotAllowedError: getAssertion: .*refused user verification")


def test_counter_increment(vauth):
    registration = register(vauth, "--counter", "increment")
    assert registration.sign_count == 0
    for expected in (1, 2, 3):
        response, verified = authenticate(vauth, registration)
        assert auth_data_counter(response) == expected == verified.new_sign_count
    listed = vauth.run("list").ok().json
    assert listed[0]["signCount"] == 3


def test_counter_zero(vauth):
    registration = register(vauth, "--counter", "zero")
    assert registration.sign_count == 0
    for _ in range(3):
        response, verified = authenticate(vauth, registration)
        assert auth_data_counter(response) == 0 and verified.new_sign_count == 0
    assert vauth.run("list").ok().json[0]["signCount"] == 0


def test_counters_are_per_credential(vauth):
    first = register(vauth, user="alice")
    second = register(vauth, user="bob")
    for _ in range(3):
        authenticate(vauth, first)
    response, _ = authenticate(vauth, second)
    assert auth_data_counter(response) == 1


@pytest.mark.parametrize("position", [0, 64, 199])
def test_allow_credentials_longer_than_the_authenticator_takes(vauth, position):
    """Issue 18 item 2: 200 allowCredentials (getInfo's maxCredentialCountInList is 64) used to
    fail with CTAP2_ERR_LIMIT_EXCEEDED. The client probes batches silently, as Chromium does; the
    assertion py_webauthn checks is the real one (user present, verified), the counter moved by 2."""
    assert vauth.run("info").ok().json["maxCredentialCountInList"] == 64
    registration = register(vauth, resident=False)
    allow = [b64url(secrets.token_bytes(16)) for _ in range(200)]
    allow[position] = registration.id
    options = request_options(allow=allow)
    response = vauth.get(options, ORIGIN).ok().json
    verified = verify_authentication_response(
        credential=response, expected_challenge=challenge_of(options), expected_rp_id=RP, expected_origin=ORIGIN,
        credential_public_key=registration.public_key, credential_current_sign_count=registration.sign_count,
        require_user_verification=True)
    assert response["id"] == registration.id
    assert auth_data_flags(response) & 0x05 == 0x05
    assert verified.new_sign_count == registration.sign_count + 2
    # None of 200 listed: the same refusal as a short list.
    missing = vauth.get(request_options(allow=[b64url(secrets.token_bytes(16)) for _ in range(200)]), ORIGIN)
    assert missing.code == 1 and missing.stderr.startswith("vauth: error: NotAllowedError:"), missing.stderr
    assert "LIMIT_EXCEEDED" not in missing.stderr


def test_credential_flag_picks_among_discoverable(vauth):
    alice = register(vauth, user="alice")
    bob = register(vauth, user="bob")
    # newest by default
    response, _ = authenticate(vauth, bob, discoverable=True)
    assert response["id"] == bob.id and b64url_decode(response["response"]["userHandle"]) == b"bob"
    # --credential picks the other one
    response, _ = authenticate(vauth, alice, "--credential", alice.id, discoverable=True)
    assert response["id"] == alice.id and b64url_decode(response["response"]["userHandle"]) == b"alice"


def test_credential_flag_unknown_id_refused(vauth, enrolled):
    before = vauth.state()
    result = vauth.get(request_options(), ORIGIN, "--credential", b64url(b"\x01" * 16))
    assert_failed(result, 1, before, vauth, r"CTAP2_ERR_NO_CREDENTIALS: no usable discoverable credential with the chosen id")


def test_public_key_wrapper_accepted(vauth):
    options = creation_options()
    response = vauth.run("create", "--origin", ORIGIN, input=json.dumps({"publicKey": options})).ok().json
    verified = verify_registration_response(credential=response, expected_challenge=challenge_of(options),
                                            expected_rp_id=RP, expected_origin=ORIGIN, require_user_verification=True)
    registration = Registration(options, response, verified, ORIGIN, RP)
    request = request_options(allow=(registration.id,))
    assertion = vauth.run("get", "--origin", ORIGIN, input=json.dumps({"publicKey": request})).ok().json
    verify_authentication_response(credential=assertion, expected_challenge=challenge_of(request), expected_rp_id=RP,
                                   expected_origin=ORIGIN, credential_public_key=registration.public_key,
                                   credential_current_sign_count=0, require_user_verification=True)


def test_options_file_and_stdin_dash(vauth, tmp_path):
    options = creation_options()
    path = tmp_path / "create.json"
    path.write_text(json.dumps(options))
    response = vauth.run("create", "--origin", ORIGIN, "--options", path).ok().json
    verified = verify_registration_response(credential=response, expected_challenge=challenge_of(options),
                                            expected_rp_id=RP, expected_origin=ORIGIN)
    request = request_options(allow=(response["id"],))
    path = tmp_path / "get.json"
    path.write_text(json.dumps(request))
    for args, stdin in ((("--options", path), None), (("--options", "-"), json.dumps(request))):
        assertion = vauth.run("get", "--origin", ORIGIN, *args, input=stdin).ok().json
        verify_authentication_response(credential=assertion, expected_challenge=challenge_of(request),
                                       expected_rp_id=RP, expected_origin=ORIGIN,
                                       credential_public_key=verified.credential_public_key,
                                       credential_current_sign_count=0)


def test_compact_is_one_line(vauth):
    options = creation_options()
    pretty = vauth.create(options, ORIGIN).ok()
    assert pretty.stdout.count("\n") > 1
    compact = vauth.create(creation_options(user="bob"), ORIGIN, "--compact").ok()
    assert compact.stdout.count("\n") == 1 and compact.stdout.endswith("\n")
    assert json.loads(compact.stdout)["type"] == "public-key"
    assertion = vauth.get(request_options(allow=(compact.json["id"],)), ORIGIN, "--compact").ok()
    assert assertion.stdout.count("\n") == 1
    listed = vauth.run("list", "--compact").ok()
    assert listed.stdout.count("\n") == 1 and len(listed.json) == 2


def test_rp_id_defaults_to_origin_host(vauth):
    registration = register(vauth)
    options = creation_options(rp_id=None, user="bob")
    response = vauth.create(options, "https://login.example.com").ok().json
    verify_registration_response(credential=response, expected_challenge=challenge_of(options),
                                 expected_rp_id="login.example.com", expected_origin="https://login.example.com")
    listed = {c["credentialId"]: c["rpId"] for c in vauth.run("list").ok().json}
    assert listed == {registration.id: RP, response["id"]: "login.example.com"}


def test_registrable_suffix_rp_id_from_subdomain(vauth):
    registration = register(vauth, origin="https://login.example.com", rp_id=RP)
    authenticate(vauth, registration)


def test_localhost_http_origin_accepted(vauth):
    registration = register(vauth, origin="http://localhost:8080", rp_id="localhost")
    authenticate(vauth, registration)


# --------------------------------------------------------------------------------------------
# credential management

def test_list_shape_and_rp_filter(vauth):
    a = register(vauth, user="alice")
    b = register(vauth, user="bob", resident=False, algs=(EDDSA,))
    c = register(vauth, user="carol", origin="https://other.org", rp_id="other.org")
    listed = vauth.run("list").ok().json
    assert isinstance(listed, list) and len(listed) == 3
    keys = {"credentialId", "rpId", "userName", "userHandle", "algorithm", "signCount", "createdAt", "discoverable"}
    for entry in listed:
        assert keys <= set(entry), entry
        assert isinstance(entry["signCount"], int) and isinstance(entry["discoverable"], bool)
        assert isinstance(entry["createdAt"], str) and entry["createdAt"][:2] == "20"
        b64url_decode(entry["credentialId"]), b64url_decode(entry["userHandle"])
    by_id = {e["credentialId"]: e for e in listed}
    assert by_id[a.id]["rpId"] == RP and by_id[a.id]["userName"] == "alice"
    assert b64url_decode(by_id[a.id]["userHandle"]) == b"alice"
    assert by_id[a.id]["algorithm"] == "es256" and by_id[a.id]["discoverable"] is True
    assert by_id[b.id]["algorithm"] == "eddsa" and by_id[b.id]["discoverable"] is False
    assert by_id[c.id]["rpId"] == "other.org"

    only = vauth.run("list", "--rp-id", "other.org").ok().json
    assert [e["credentialId"] for e in only] == [c.id]
    assert {e["credentialId"] for e in vauth.run("list", "--rp-id", RP).ok().json} == {a.id, b.id}
    assert vauth.run("list", "--rp-id", "nothing.test").ok().json == []


def test_list_without_keystore(vauth):
    result = vauth.run("list")
    # no keystore yet: either an empty list or a "no keystore" refusal, never bad-input noise
    assert result.code in (0, 1), result.stderr
    if result.code == 0:
        assert result.json == []
    else:
        assert result.stderr.startswith("vauth: error:") and len(result.stderr.splitlines()) == 1
    assert vauth.keystore_bytes() is None


def test_delete(vauth):
    keep = register(vauth, user="alice")
    gone = register(vauth, user="bob")
    result = vauth.run("delete", gone.id).ok()
    assert gone.id in result.stdout
    assert [e["credentialId"] for e in vauth.run("list").ok().json] == [keep.id]
    before = vauth.state()
    assert_failed(vauth.get(request_options(allow=(gone.id,)), ORIGIN), 1, before, vauth,
                  r"CTAP2_ERR_NO_CREDENTIALS: no credential for example\.com matches")
    # the discoverable search no longer finds it either
    response, _ = authenticate(vauth, keep, discoverable=True)
    assert response["id"] == keep.id


def test_delete_unknown_id(vauth, enrolled):
    before = vauth.state()
    assert_failed(vauth.run("delete", b64url(b"\x07" * 16)), 1, before, vauth, r"^no credential BwcHBwcHBwcHBwcHBwcHBw in ")


def test_info(vauth, enrolled):
    info = vauth.run("info").ok().json
    assert "FIDO_2_0" in info["versions"]
    assert isinstance(info["aaguid"], str) and len(info["aaguid"]) == 36
    assert info["aaguid"] == enrolled.verified.aaguid
    assert info["options"]["uv"] is True
    algs = {a["alg"] for a in info["algorithms"]}
    assert {ES256, EDDSA, RS256} <= algs
    assert all(a["type"] == "public-key" for a in info["algorithms"])


def test_attestation_ca(vauth, enrolled):
    pem = attestation_ca(vauth)
    assert pem.startswith(b"-----BEGIN CERTIFICATE-----")
    cert = x509.load_pem_x509_certificate(pem)
    constraints = cert.extensions.get_extension_for_class(x509.BasicConstraints)
    assert constraints.value.ca is True
    # the x5c chain of the registration leads to it: its issuer signed the attestation cert
    att = cbor2.loads(b64url_decode(enrolled.response["response"]["attestationObject"]))
    leaf = x509.load_der_x509_certificate(att["attStmt"]["x5c"][-1])
    assert leaf.issuer == cert.subject
    leaf.verify_directly_issued_by(cert)


def test_packed_chain_rejected_by_foreign_ca(vauth, tmp_path):
    # A different keystore has a different root: py_webauthn must not accept our chain with it.
    other = other_cli(tmp_path)
    register(other)
    options = creation_options()
    response = vauth.create(options, ORIGIN).ok().json
    with pytest.raises(Exception):
        verify_registration_response(credential=response, expected_challenge=challenge_of(options), expected_rp_id=RP,
                                     expected_origin=ORIGIN,
                                     pem_root_certs_bytes_by_fmt={AttestationFormat.PACKED: [attestation_ca(other)]})


def test_policy_attestation_self_persists(vauth, enrolled):
    result = vauth.run("policy", "--attestation", "self").ok()
    assert result.json["attestation"] == "self"
    assert vauth.run("policy").ok().json["attestation"] == "self"
    registration = register(vauth, user="bob", attestation="direct")
    att = cbor2.loads(b64url_decode(registration.response["response"]["attestationObject"]))
    assert att["fmt"] == "packed" and "x5c" not in att["attStmt"]
    assert att["attStmt"]["alg"] == ES256


# --------------------------------------------------------------------------------------------
# export / import

def test_export_cdp_import_elsewhere_and_sign(vauth, tmp_path):
    registration = register(vauth, user="alice")
    authenticate(vauth, registration)
    authenticate(vauth, registration)
    result = vauth.run("export", "--format", "cdp").ok()
    assert "private" in result.stderr.lower()
    document = result.json
    assert set(document) == {"credentials"} and len(document["credentials"]) == 1
    cred = document["credentials"][0]
    assert {"credentialId", "isResidentCredential", "rpId", "privateKey", "userHandle", "signCount",
            "backupEligibility", "backupState", "userName", "userDisplayName"} <= set(cred)
    assert std_b64_decode(cred["credentialId"]) == b64url_decode(registration.id)
    assert std_b64_decode(cred["userHandle"]) == b"alice"
    assert cred["isResidentCredential"] is True and cred["rpId"] == RP
    assert cred["signCount"] == 2 and cred["userName"] == "alice" and cred["userDisplayName"] == "Alice"
    assert cred["backupEligibility"] is False and cred["backupState"] is False
    private = serialization.load_der_private_key(std_b64_decode(cred["privateKey"]), password=None)
    spki = private.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    assert spki == b64url_decode(registration.response["response"]["publicKey"])

    other = other_cli(tmp_path)
    imported = other.run("import", input=result.stdout).ok().json
    assert imported == {"imported": [registration.id]}
    listed = other.run("list").ok().json
    assert [(e["credentialId"], e["rpId"], e["userName"], e["signCount"]) for e in listed] == \
        [(registration.id, RP, "alice", 2)]
    response, verified = authenticate(vauth, registration, cli=other)
    assert verified.new_sign_count == 3
    verify_with_spki(spki, ES256, response)
    # discoverable on the other side too
    response, _ = authenticate(vauth, registration, cli=other, discoverable=True)
    assert response["id"] == registration.id


@pytest.mark.parametrize("alg", [EDDSA, RS256], ids=["eddsa", "rs256"])
def test_export_cdp_other_algorithms(vauth, tmp_path, alg):
    registration = register(vauth, algs=(alg,), resident=False)
    cred = vauth.run("export", registration.id, "--format", "cdp").ok().json["credentials"][0]
    assert cred["isResidentCredential"] is False
    serialization.load_der_private_key(std_b64_decode(cred["privateKey"]), password=None)
    other = other_cli(tmp_path)
    other.run("import", "-", input=json.dumps({"credentials": [cred]})).ok()
    authenticate(vauth, registration, cli=other)


def test_import_single_cdp_credential_object(vauth, tmp_path):
    registration = register(vauth)
    cred = vauth.run("export", registration.id, "--format", "cdp").ok().json["credentials"][0]
    other = other_cli(tmp_path)
    path = tmp_path / "one.json"
    path.write_text(json.dumps(cred))
    assert other.run("import", path).ok().json == {"imported": [registration.id]}
    authenticate(vauth, registration, cli=other)


def test_export_vauth_round_trip(vauth, tmp_path):
    a = register(vauth, user="alice")
    b = register(vauth, user="bob", resident=False, algs=(EDDSA,))
    authenticate(vauth, a)
    result = vauth.run("export").ok()
    assert "private" in result.stderr.lower()
    document = result.json
    assert len(document["credentials"]) == 2
    for cred in document["credentials"]:
        b64url_decode(cred["credentialId"])
    other = other_cli(tmp_path)
    assert sorted(other.run("import", input=result.stdout).ok().json["imported"]) == sorted([a.id, b.id])

    def summary(cli):
        return sorted((e["credentialId"], e["rpId"], e["userName"], e["userHandle"], e["algorithm"], e["signCount"],
                       e["discoverable"], e["createdAt"]) for e in cli.run("list").ok().json)
    assert summary(other) == summary(vauth)
    authenticate(vauth, a, cli=other)
    authenticate(vauth, b, cli=other)
    # only one credential exported when an id is given
    single = vauth.run("export", b.id).ok().json
    assert [c["credentialId"] for c in single["credentials"]] == [b.id]


@pytest.mark.parametrize("garbage, reason", [
    ("this is not json", r"^import file: malformed JSON at byte 0"),
    ("{}", r"^import file: not a vauth export, a CDP"),
    ('{"credentials": [{"credentialId": 5}]}', r"^import file: credentials\[0\]\.(privateKey is missing|credentialId)"),
    ("[1, 2]", r"^import file: not a vauth export, a CDP"),
    ('{"credentials": [{"credentialId": "AAAA", "rpId": "example.com", "privateKey": "bm90IGEga2V5", "signCount": 0}]}',
     r"^import file: credentials\[0\]\.privateKey: invalid key"),
], ids=["text", "empty-object", "bad-id", "array", "bad-private-key"])
def test_import_garbage(vauth, enrolled, garbage, reason):
    before = vauth.state()
    assert_failed(vauth.run("import", input=garbage), 2, before, vauth, reason)


def test_import_duplicate_id(vauth, enrolled):
    export = vauth.run("export", "--format", "cdp").ok().stdout
    before = vauth.state()
    result = vauth.run("import", input=export)
    assert_failed(result, 1, before, vauth, r"^credential \S+ is already in the keystore$")
    assert len(vauth.run("list").ok().json) == 1


def test_import_duplicate_within_batch_keeps_keystore(vauth, enrolled, tmp_path):
    other = other_cli(tmp_path)
    fresh = register(other, user="zed")
    batch = json.loads(other.run("export", "--format", "cdp").ok().stdout)
    batch["credentials"] += json.loads(vauth.run("export", "--format", "cdp").ok().stdout)["credentials"]
    before = vauth.state()
    result = vauth.run("import", input=json.dumps(batch))
    assert_failed(result, 1, before, vauth, r"^credential \S+ is already in the keystore$")
    assert fresh.id not in vauth.run("list").ok().stdout


# --------------------------------------------------------------------------------------------
# bad input: exit status, one error line, no stdout, keystore unchanged

def _malformed(vauth, enrolled):
    return vauth.run("create", "--origin", ORIGIN, input='{"rp": {"id": "example.com", ')


def _missing_challenge(vauth, enrolled):
    options = creation_options(user="bob")
    del options["challenge"]
    return vauth.create(options, ORIGIN)


def _challenge_not_base64url(vauth, enrolled):
    options = creation_options(user="bob")
    options["challenge"] = "not base64url!*"
    return vauth.create(options, ORIGIN)


def _get_challenge_not_base64url(vauth, enrolled):
    options = request_options(allow=(enrolled.id,))
    options["challenge"] = "%%%%"
    return vauth.get(options, ORIGIN)


def _user_id_65_bytes(vauth, enrolled):
    return vauth.create(creation_options(user="bob", user_id=b"u" * 65), ORIGIN)


def _user_id_empty(vauth, enrolled):
    return vauth.create(creation_options(user="bob", user_id=b""), ORIGIN)


def _rp_id_uppercase(vauth, enrolled):
    return vauth.create(creation_options(user="bob", rp_id="EXAMPLE.COM"), ORIGIN)


def _origin_with_path(vauth, enrolled):
    return vauth.create(creation_options(user="bob"), "https://example.com/login")


def _options_json_array(vauth, enrolled):
    return vauth.run("create", "--origin", ORIGIN, input="[]")


def _options_trailing_garbage(vauth, enrolled):
    return vauth.run("create", "--origin", ORIGIN, input=json.dumps(creation_options(user="bob")) + " }")


def _credential_flag_not_discoverable(vauth, enrolled):
    other = register(vauth, user="bob", resident=False)
    before = vauth.state()
    return vauth.get(request_options(), ORIGIN, "--credential", other.id), before


def _credential_flag_not_in_allow_list(vauth, enrolled):
    other = register(vauth, user="bob")
    before = vauth.state()
    return vauth.get(request_options(allow=(enrolled.id,)), ORIGIN, "--credential", other.id), before


def _credential_flag_other_rp(vauth, enrolled):
    return vauth.get(request_options(rp_id="other.org"), "https://other.org", "--credential", enrolled.id)


def _export_unknown_id(vauth, enrolled):
    return vauth.run("export", b64url(b"\x05" * 16))


def _key_file_wrong_length(vauth, enrolled):
    short = vauth.directory / "short.key"
    short.write_bytes(secrets.token_bytes(31))
    return vauth.run("list", env=vauth.env(VAUTH_KEY_FILE=str(short)))


def _key_file_missing(vauth, enrolled):
    return vauth.run("list", env=vauth.env(VAUTH_KEY_FILE=str(vauth.directory / "absent.key")))


def _keystore_is_a_directory(vauth, enrolled):
    return vauth.run("list", "--keystore", vauth.directory)


def _policy_bad_algorithm(vauth, enrolled):
    return vauth.run("policy", "--algorithm", "es999")


def _policy_bad_value(vauth, enrolled):
    return vauth.run("policy", "--counter", "sometimes")


def _import_no_credentials(vauth, enrolled):
    return vauth.run("import", input='{"credentials": []}')


def _rp_id_not_suffix(vauth, enrolled):
    return vauth.create(creation_options(user="bob", rp_id="evil.com"), ORIGIN)


def _get_rp_id_not_suffix(vauth, enrolled):
    return vauth.get(request_options(rp_id="evil.com"), ORIGIN)


def _rp_id_public_suffix(vauth, enrolled):
    return vauth.create(creation_options(user="bob", rp_id="co.uk"), "https://www.example.co.uk")


def _http_origin_not_localhost(vauth, enrolled):
    return vauth.create(creation_options(user="bob"), "http://example.com")


def _excluded_credential(vauth, enrolled):
    return vauth.create(creation_options(user="bob", exclude=(b64url(b"\x09" * 16), enrolled.id)), ORIGIN)


def _unknown_allow_credential(vauth, enrolled):
    return vauth.get(request_options(allow=(b64url(secrets.token_bytes(16)),)), ORIGIN)


def _rp_without_credentials(vauth, enrolled):
    return vauth.get(request_options(rp_id="other.org"), "https://other.org")


def _allow_for_other_rp(vauth, enrolled):
    return vauth.get(request_options(allow=(enrolled.id,), rp_id="other.org"), "https://other.org")


def _no_passphrase_no_tty(vauth, enrolled):
    env = vauth.env(VAUTH_KEY_FILE="", VAUTH_PASSPHRASE="")
    assert "VAUTH_KEY_FILE" not in env and "VAUTH_PASSPHRASE" not in env
    return vauth.run("create", "--origin", ORIGIN, input=json.dumps(creation_options(user="bob")),
                     env=env, new_session=True)


def _wrong_key_file(vauth, enrolled):
    wrong = vauth.directory / "wrong.key"
    wrong.write_bytes(secrets.token_bytes(32))
    return vauth.run("create", "--origin", ORIGIN, input=json.dumps(creation_options(user="bob")),
                     env=vauth.env(VAUTH_KEY_FILE=str(wrong)))


def _missing_options_file(vauth, enrolled):
    return vauth.run("create", "--origin", ORIGIN, "--options", vauth.directory / "no-such-file.json")


def _get_missing_options_file(vauth, enrolled):
    return vauth.run("get", "--origin", ORIGIN, "--options", vauth.directory / "no-such-file.json")


def _unknown_flag(vauth, enrolled):
    return vauth.run("create", "--origin", ORIGIN, "--no-such-flag", input=json.dumps(creation_options(user="bob")))


def _missing_origin(vauth, enrolled):
    return vauth.run("create", input=json.dumps(creation_options(user="bob")))


def _bad_origin(vauth, enrolled):
    return vauth.create(creation_options(user="bob"), "not an origin")


def _delete_bad_id(vauth, enrolled):
    return vauth.run("delete", "!!not-base64url!!")


BAD_INPUT = {
    "malformed-json": (_malformed, 2, r'^SyntaxError: malformed JSON at byte \d+'),
    "missing-challenge": (_missing_challenge, 2, '^SyntaxError: missing member challenge$'),
    "challenge-not-base64url": (_challenge_not_base64url, 2, '^SyntaxError: challenge is not base64url'),
    "get-challenge-not-base64url": (_get_challenge_not_base64url, 2, '^SyntaxError: challenge is not base64url'),
    "user-id-65-bytes": (_user_id_65_bytes, 2, r'^TypeError: user\.id must be 1 to 64 bytes, not 65$'),
    "user-id-empty": (_user_id_empty, 2, r'^TypeError: user\.id must be 1 to 64 bytes, not 0$'),
    "rp-id-uppercase": (_rp_id_uppercase, 2, r'^SecurityError: rpId "EXAMPLE\.COM" is not a valid domain'),
    "origin-with-path": (_origin_with_path, 2, '^SyntaxError: origin .* has a path'),
    "options-json-array": (_options_json_array, 2, '^SyntaxError: options must be a JSON object, not an array$'),
    "options-trailing-garbage": (_options_trailing_garbage, 2, r'^SyntaxError: malformed JSON at byte \d+: unexpected data after the JSON value$'),
    "credential-flag-not-discoverable": (_credential_flag_not_discoverable, 1, r'CTAP2_ERR_NO_CREDENTIALS: no usable discoverable credential with the chosen id for example\.com$'),
    "credential-flag-not-in-allow-list": (_credential_flag_not_in_allow_list, 1, '^NotAllowedError: the chosen credential is not in allowCredentials$'),
    "credential-flag-other-rp": (_credential_flag_other_rp, 1, r'CTAP2_ERR_NO_CREDENTIALS: no usable discoverable credential with the chosen id for other\.org$'),
    "export-unknown-id": (_export_unknown_id, 1, '^no credential BQUFBQUFBQUFBQUFBQUFBQ in '),
    "key-file-wrong-length": (_key_file_wrong_length, 2, r'short\.key: must hold exactly 32 raw bytes .*\(found 31 bytes\)$'),
    "key-file-missing": (_key_file_missing, 2, r'absent\.key: no such file$'),
    "keystore-is-a-directory": (_keystore_is_a_directory, 2, 'is a directory'),
    "policy-bad-algorithm": (_policy_bad_algorithm, 2, '^unknown algorithm es999'),
    "policy-bad-value": (_policy_bad_value, 2, "'sometimes' is invalid for '--counter"),
    "import-no-credentials": (_import_no_credentials, 2, '^import file holds no credentials$'),
    "rp-id-not-suffix": (_rp_id_not_suffix, 2, r'^SecurityError: rpId "evil\.com" is neither equal to nor a registrable domain suffix'),
    "get-rp-id-not-suffix": (_get_rp_id_not_suffix, 2, r'^SecurityError: rpId "evil\.com" is neither equal to nor a registrable domain suffix'),
    "rp-id-public-suffix": (_rp_id_public_suffix, 2, r'^SecurityError: rpId "co\.uk" is a public suffix'),
    "http-origin-not-localhost": (_http_origin_not_localhost, 2, r'^SecurityError: http origin http://example\.com is not a secure context'),
    "excluded-credential": (_excluded_credential, 1, '^InvalidStateError: makeCredential: CTAP2_ERR_CREDENTIAL_EXCLUDED'),
    "unknown-allow-credential": (_unknown_allow_credential, 1, r'CTAP2_ERR_NO_CREDENTIALS: no credential for example\.com matches$'),
    "rp-without-credentials": (_rp_without_credentials, 1, r'CTAP2_ERR_NO_CREDENTIALS: no discoverable credential for other\.org$'),
    "allow-credential-of-other-rp": (_allow_for_other_rp, 1, r'CTAP2_ERR_NO_CREDENTIALS: no credential for other\.org matches$'),
    "no-passphrase-no-tty": (_no_passphrase_no_tty, 2, '^no passphrase: .*there is no terminal to ask on'),
    "wrong-key-file": (_wrong_key_file, 2, '^wrong key file for keystore '),
    "missing-options-file": (_missing_options_file, 2, r'^cannot read options .*no-such-file\.json'),
    "get-missing-options-file": (_get_missing_options_file, 2, r'^cannot read options .*no-such-file\.json'),
    "unknown-flag": (_unknown_flag, 2, "Unknown option '--no-such-flag'"),
    "missing-origin": (_missing_origin, 2, "Missing expected argument '--origin"),
    "bad-origin": (_bad_origin, 2, r'^SyntaxError: origin "not an origin" is not of the form scheme://host\[:port\]$'),
    "delete-bad-id": (_delete_bad_id, 2, '^credential id !!not-base64url!! is not base64url$'),
}


# Cases whose message does not yet name the real reason on main; issue 9 (hardening) fixes them.
@pytest.mark.parametrize("case", list(BAD_INPUT))
def test_bad_input(vauth, enrolled, case, request):
    action, code, reason = BAD_INPUT[case]
    before = vauth.state()
    assert before["keystore"] is not None and before[".counters"] is not None
    result = action(vauth, enrolled)
    if isinstance(result, tuple):           # the case set up more credentials first
        result, before = result
    assert_failed(result, code, before, vauth, reason)
    # and the keystore still works
    authenticate(vauth, enrolled)


def test_wrong_passphrase(vauth):
    env = vauth.env(VAUTH_KEY_FILE="", VAUTH_PASSPHRASE="Rk-the-right-one-52", VAUTH_SCRYPT_LOG2N="12")
    vauth.run("create", "--origin", ORIGIN, input=json.dumps(creation_options()), env=env).ok()
    before = vauth.state()
    wrong = dict(env, VAUTH_PASSPHRASE="Xq-not-the-one-71")
    result = vauth.run("create", "--origin", ORIGIN, input=json.dumps(creation_options(user="bob")), env=wrong)
    assert_failed(result, 2, before, vauth, r"^wrong passphrase for keystore ")
    assert_failed(vauth.run("list", env=wrong), 2, before, vauth, r"^wrong passphrase for keystore ")
    assert len(vauth.run("list", env=env).ok().json) == 1


def test_key_file_on_passphrase_keystore_refused(vauth):
    env = vauth.env(VAUTH_KEY_FILE="", VAUTH_PASSPHRASE="Rk-the-right-one-52", VAUTH_SCRYPT_LOG2N="12")
    vauth.run("create", "--origin", ORIGIN, input=json.dumps(creation_options()), env=env).ok()
    before = vauth.state()
    assert_failed(vauth.run("list"), 2, before, vauth, r"is protected by a passphrase, not a key file$")


def test_localhost_http_origin_is_not_bad_input(vauth, enrolled):
    options = creation_options(user="bob", rp_id="localhost")
    response = vauth.create(options, "http://localhost:8080").ok().json
    verify_registration_response(credential=response, expected_challenge=challenge_of(options),
                                 expected_rp_id="localhost", expected_origin="http://localhost:8080")


def test_init_refuses_existing_keystore(vauth, enrolled):
    before = vauth.state()
    result = vauth.run("init")
    assert_failed(result, 2, before, vauth, r"^a keystore already exists at .*refusing to overwrite it$")


def test_init_creates_keystore(vauth):
    result = vauth.run("init", "--attestation", "none").ok().json
    assert result["policy"]["attestation"] == "none"
    assert vauth.keystore.exists()
    assert vauth.run("list").ok().json == []
    registration = register(vauth)
    att = cbor2.loads(b64url_decode(registration.response["response"]["attestationObject"]))
    assert att["fmt"] == "none"


def test_user_id_of_64_bytes_accepted(vauth):
    registration = register(vauth, user="max", user_id=b"u" * 64)
    response, _ = authenticate(vauth, registration, discoverable=True)
    assert b64url_decode(response["response"]["userHandle"]) == b"u" * 64


def test_exclude_list_only_counts_credentials_of_the_rp(vauth, enrolled):
    # enrolled belongs to example.com; listing it in other.org's excludeCredentials excludes nothing
    register(vauth, origin="https://other.org", rp_id="other.org", exclude=(enrolled.id,))


def test_no_supported_algorithm_fails_cleanly(vauth, enrolled):
    before = vauth.state()
    result = vauth.create(creation_options(user="bob", algs=(-36,)), ORIGIN)
    assert_failed(result, 1, before, vauth, r"^NotSupportedError: makeCredential: CTAP2_ERR_UNSUPPORTED_ALGORITHM: none of the RP's algorithms \[-36\]")


def test_uv_discouraged_with_no_uv(vauth):
    # A discoverable credential needs UV on an authenticator with built-in UV (CTAP 2.2 §6.1.2):
    # the client asks for it, the (simulated) user refuses, nothing is stored.
    refused = vauth.create(creation_options(uv="discouraged"), ORIGIN, "--no-uv")
    assert refused.code == 1 and refused.stderr.startswith("vauth: error: NotAllowedError")
    assert "CTAP2_ERR_OPERATION_DENIED" in refused.stderr and vauth.keystore_bytes() is None
    registration = register(vauth, "--no-uv", uv="discouraged", require_uv=False, resident=False)
    assert auth_data_flags(registration.response) & 0x04 == 0
    response, verified = authenticate(vauth, registration, "--no-uv", uv="discouraged", require_uv=False)
    assert auth_data_flags(response) & 0x04 == 0 and verified.user_verified is False


def test_top_origin_makes_cross_origin_client_data(vauth, enrolled):
    response, _ = authenticate(vauth, enrolled, "--top-origin", "https://top.example.net")
    client_data = json.loads(b64url_decode(response["response"]["clientDataJSON"]))
    assert client_data["crossOrigin"] is True and client_data["topOrigin"] == "https://top.example.net"
    assert client_data["origin"] == ORIGIN and client_data["type"] == "webauthn.get"


def test_backed_up_flags_survive_cdp_transfer(vauth, tmp_path):
    registration = register(vauth, "--backed-up")
    assert registration.verified.credential_backed_up is True
    assert registration.verified.credential_device_type == "multi_device"
    cred = vauth.run("export", "--format", "cdp").ok().json["credentials"][0]
    assert cred["backupEligibility"] is True and cred["backupState"] is True
    other = other_cli(tmp_path)
    other.run("import", input=json.dumps(cred)).ok()
    response, verified = authenticate(vauth, registration, cli=other)
    assert auth_data_flags(response) & 0x18 == 0x18
    assert verified.credential_backed_up is True


def test_import_minimal_cdp_credential(vauth, tmp_path):
    """A `WebAuthn.Credential` with only the members CDP requires (no userHandle for a
    non-resident credential, no userName, no backup flags), as older Chromium returns it."""
    key = ec.generate_private_key(ec.SECP256R1())
    der = key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    cid = secrets.token_bytes(16)
    minimal = {"credentialId": base64.b64encode(cid).decode(), "isResidentCredential": False, "rpId": RP,
               "privateKey": base64.b64encode(der).decode(), "signCount": 5}
    assert vauth.run("import", input=json.dumps(minimal)).ok().json == {"imported": [b64url(cid)]}
    request = request_options(allow=(b64url(cid),))
    assertion = vauth.get(request, ORIGIN).ok().json
    assert auth_data_counter(assertion) == 6
    assert "userHandle" not in assertion["response"] or not assertion["response"]["userHandle"]
    spki = key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    verify_with_spki(spki, ES256, assertion)
    # exporting it again gives back what was imported: no user handle is invented on the way
    exported = vauth.run("export", b64url(cid), "--format", "cdp").ok().json["credentials"][0]
    assert exported["credentialId"] == minimal["credentialId"] and exported["privateKey"] == minimal["privateKey"]
    assert exported.get("userHandle") in (None, ""), \
        f"CDP export invented userHandle {exported.get('userHandle')!r} for a credential imported without one"
    listed = vauth.run("list").ok().json[0]
    assert listed["userHandle"] in (None, ""), f"list shows invented userHandle {listed['userHandle']!r}"


def test_import_garbage_into_fresh_keystore_creates_nothing(vauth):
    result = vauth.run("import", input="not json at all")
    assert_failed(result, 2, {"keystore": None, ".counters": None}, vauth, r"^import file: malformed JSON at byte 0")
    assert not vauth.keystore.exists()


def test_policy_counter_zero_persists(vauth, enrolled):
    assert vauth.run("policy", "--counter", "zero").ok().json["signCounter"] == "zero"
    assert vauth.run("info").ok().json  # still readable
    registration = register(vauth, user="bob")
    for _ in range(2):
        response, _ = authenticate(vauth, registration)
        assert auth_data_counter(response) == 0
    # the older credential keeps its own mode
    response, _ = authenticate(vauth, enrolled)
    assert auth_data_counter(response) == 2


def test_init_with_aaguid(vauth):
    aaguid = "0b5e2c6a-93c4-4f8e-8a77-5b1f0c2d3e4f"
    assert vauth.run("init", "--aaguid", aaguid).ok().json["aaguid"] == aaguid
    assert vauth.run("info").ok().json["aaguid"] == aaguid
    registration = register(vauth)
    assert registration.verified.aaguid == aaguid


@pytest.mark.parametrize("prefix", [b"\xf8", b"\xfb\xef"], ids=["dash", "double-dash"])
def test_credential_ids_starting_with_dash(vauth, prefix):
    """One credential id in 64 starts with "-" in base64url (one in 4096 with "--"). The contract
    prints ids as the `id` of the ceremony output and takes them back on the command line as
    they are: `vauth export ID`, `vauth delete ID`, `vauth get --credential ID`."""
    key = ec.generate_private_key(ec.SECP256R1())
    der = key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    raw_id = prefix + secrets.token_bytes(16 - len(prefix))
    cid = b64url(raw_id)
    assert cid.startswith("--" if len(prefix) == 2 else "-")
    vauth.run("import", input=json.dumps({
        "credentialId": base64.b64encode(raw_id).decode(), "isResidentCredential": True, "rpId": RP,
        "privateKey": base64.b64encode(der).decode(), "signCount": 0,
        "userHandle": base64.b64encode(b"dash").decode(), "userName": "dash"})).ok()
    assert [e["credentialId"] for e in vauth.run("list").ok().json] == [cid]
    spki = key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)

    exported = vauth.run("export", cid)
    assert exported.code == 0, f"`vauth export {cid}`: {exported.stderr.strip()}"
    assertion = vauth.get(request_options(), ORIGIN, "--credential", cid)
    assert assertion.code == 0, f"`vauth get --credential {cid}`: {assertion.stderr.strip()}"
    verify_with_spki(spki, ES256, assertion.json)
    deleted = vauth.run("delete", cid)
    assert deleted.code == 0, f"`vauth delete {cid}`: {deleted.stderr.strip()}"
    assert vauth.run("list").ok().json == []


def test_ip_address_origins_are_refused(vauth):
    """WebAuthn L3 §5.1.3 step 7: the effective domain must be a valid domain; an IP address is not."""
    for origin in ("http://127.0.0.1:8000", "https://192.168.1.10"):
        options = {"rp": {"name": "x"}, "user": {"id": "dQ", "name": "u", "displayName": "u"},
                   "challenge": "AAAAAAAAAAAAAAAAAAAAAA", "pubKeyCredParams": [{"type": "public-key", "alg": -7}]}
        result = vauth.create(options, origin)
        assert result.code == 2 and "not a valid domain" in result.stderr
        assert vauth.keystore_bytes() is None


def test_info_and_policy_work_without_a_keystore(vauth):
    info = vauth.run("info").ok().json
    assert info["aaguid"] == "7a56c1a3-5f2e-4d0b-9b61-2f1c0e8d3a47" and info["keystore"]["exists"] is False
    assert vauth.run("policy").ok().json["attestation"] == "packed"
    assert vauth.keystore_bytes() is None


def test_triple_dash_credential_ids_reach_the_commands(vauth):
    """One id in 262,144 begins with "---", a token ArgumentParser rejects as a malformed option."""
    key = ec.generate_private_key(ec.SECP256R1())
    der = key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    raw_id = b"\xfb\xef\xbe" + secrets.token_bytes(13)
    cid = b64url(raw_id)
    assert cid.startswith("----")
    vauth.run("import", input=json.dumps({
        "credentialId": base64.b64encode(raw_id).decode(), "isResidentCredential": True, "rpId": RP,
        "privateKey": base64.b64encode(der).decode(), "userHandle": base64.b64encode(b"dash").decode()})).ok()
    assert vauth.run("export", cid, "--format", "cdp").ok().json["credentials"][0]["rpId"] == RP
    assert vauth.run("export", "--", cid).code == 0
    assert vauth.get(request_options(), ORIGIN, "--credential", cid).ok().json["id"] == cid
    vauth.run("delete", cid).ok()
    assert vauth.run("list").ok().json == []


# --------------------------------------------------------------------------------------------
# hosts through libidn2 (UTS #46) and libpsl, as a browser parses them (issue 14)

@pytest.mark.parametrize("origin", ["https://ｅｘａｍｐｌｅ.com", "https://example。com", "https://EXAMPLE.com:443/",
                                    "https://ｅｘａｍｐｌｅ。ｃｏｍ"],
                         ids=["fullwidth", "ideographic-full-stop", "uppercase-default-port", "both"])
def test_unicode_origin_is_the_host_a_browser_sees(vauth, origin):
    options = creation_options()
    response = vauth.create(options, origin).ok().json
    client_data = json.loads(b64url_decode(response["response"]["clientDataJSON"]))
    assert client_data["origin"] == ORIGIN
    verify_registration_response(credential=response, expected_challenge=challenge_of(options),
                                 expected_rp_id=RP, expected_origin=ORIGIN, require_user_verification=True)


def test_idn_origin_gets_its_xn_form(vauth):
    options = creation_options(rp_id=None)
    response = vauth.create(options, "https://Bücher.example").ok().json
    verify_registration_response(credential=response, expected_challenge=challenge_of(options),
                                 expected_rp_id="xn--bcher-kva.example", expected_origin="https://xn--bcher-kva.example",
                                 require_user_verification=True)


@pytest.mark.parametrize("origin, reason", [
    ("https://xn--zz.com", r'^SyntaxError: origin "https://xn--zz\.com": host xn--zz\.com is not a valid domain name \(string contains invalid punycode data\)$'),
    ("https://xn--a.example", r"not a valid domain name"),
    ("https://\u200d.example", r"not a valid domain name \(string contains a forbidden context-j character\)$"),
    ("https://\ufffd.com", r"not a valid domain name"),
    ("https://％４１.com", r"has a character that is not a letter, digit"),
    ("https://a\u3000b.com", r"contains whitespace"),
], ids=["invalid-punycode", "punycode-of-nothing", "zwj", "replacement-char", "fullwidth-percent", "ideographic-space"])
def test_invalid_hosts_are_refused(vauth, enrolled, origin, reason):
    before = vauth.state()
    assert_failed(vauth.create(creation_options(user="bob"), origin), 2, before, vauth, reason)


@pytest.mark.parametrize("origin, rp_id, allowed", [
    ("https://www.example.co.uk", "example.co.uk", True),
    ("https://www.example.co.uk", "co.uk", False),
    ("https://alice.github.io", "alice.github.io", True),
    ("https://docs.alice.github.io", "alice.github.io", True),
    ("https://docs.alice.github.io", "github.io", False),
    ("https://www.city.kawasaki.jp", "city.kawasaki.jp", True),   # exception rule !city.kawasaki.jp
    ("https://a.foo.kawasaki.jp", "foo.kawasaki.jp", False),      # wildcard rule *.kawasaki.jp
    ("https://shop.example.xn--55qx5d.cn", "example.xn--55qx5d.cn", True),
    ("https://shop.example.公司.cn", "xn--55qx5d.cn", False),
], ids=["co-uk-registrable", "co-uk", "github-io-self", "github-io-registrable", "github-io",
        "psl-exception", "psl-wildcard", "idn-suffix-registrable", "idn-public-suffix"])
def test_rp_id_public_suffix_rules(vauth, origin, rp_id, allowed):
    result = vauth.create(creation_options(rp_id=rp_id), origin)
    if allowed:
        assert result.code == 0, result.stderr
    else:
        assert_failed(result, 2, {"keystore": None, ".counters": None}, vauth,
                      rf'^SecurityError: rpId "{re.escape(rp_id)}" is a public suffix and cannot be claimed')
