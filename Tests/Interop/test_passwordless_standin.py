"""Proves the Passwordless.dev stand-in is faithful: honest ceremonies pass, and every kind of
response the real service rejects (contract: docs/services/passwordless.md) is rejected
with the problem+json shape and errorCode vauth will show."""
import datetime
import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections import namedtuple

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from cryptography.x509.oid import NameOID
from fido2 import cbor

from softauthn import UP, UV, SoftAuthenticator, b64url, b64url_decode
from standins.passwordless import TEST_API_KEY, TEST_API_SECRET, start_server

RP, ORIGIN = "example.com", "https://example.com"
Result = namedtuple("Result", "status ctype body headers")


class Api:
    def __init__(self, url):
        self.url = url

    def call(self, path, body=None, *, key="public", method="POST", headers=None, raw=None):
        hdrs = {"public": {"ApiKey": TEST_API_KEY}, "secret": {"ApiSecret": TEST_API_SECRET}}.get(key, {})
        data = raw if raw is not None else None if body is None else json.dumps(body).encode()
        if data is not None:
            hdrs["Content-Type"] = "application/json"
        hdrs.update(headers or {})
        request = urllib.request.Request(self.url + path, data=data, method=method, headers=hdrs)
        try:
            response = urllib.request.urlopen(request, timeout=10)
        except urllib.error.HTTPError as err:
            response = err
        with response:
            payload, ctype = response.read(), response.headers.get("Content-Type", "")
            return Result(response.status, ctype,
                          json.loads(payload) if "json" in ctype and payload else payload, response.headers)


@pytest.fixture
def api(passwordless_server):
    return Api(passwordless_server.url)


@pytest.fixture
def authn():
    return SoftAuthenticator()


def assert_problem(result, status, code):
    assert result.status == status, result.body
    assert result.ctype.startswith("application/problem+json")
    assert result.body["status"] == status and result.body["errorCode"] == code
    assert result.body["title"] and result.body["type"].endswith("#" + code)


def new_token(api, user_id="user-1", **props):
    result = api.call("/register/token", {"userId": user_id, "username": f"{user_id}@example.com", **props},
                      key="secret")
    assert result.status == 200, result.body
    assert result.body["token"].startswith("register_")
    return result.body["token"]


def begin_register(api, token, rpid=RP, origin=ORIGIN):
    result = api.call("/register/begin", {"token": token, "RPID": rpid, "Origin": origin})
    assert result.status == 200, result.body
    return result.body


def complete_register(api, session, response, rpid=RP, origin=ORIGIN, **extra):
    return api.call("/register/complete", {"session": session, "response": response, "RPID": rpid,
                                           "Origin": origin, **extra})


def register(api, authn, user_id="user-1", **token_props):
    begun = begin_register(api, new_token(api, user_id, **token_props))
    response, credential = authn.create(begun["data"], ORIGIN)
    result = complete_register(api, begun["session"], response)
    assert result.status == 200, result.body
    return credential, result.body["token"]


def begin_signin(api, **props):
    result = api.call("/signin/begin", {"RPID": RP, "Origin": ORIGIN, **props})
    assert result.status == 200, result.body
    return result.body


def complete_signin(api, session, response, rpid=RP, origin=ORIGIN):
    return api.call("/signin/complete", {"session": session, "response": response, "RPID": rpid, "Origin": origin})


def signin(api, authn, credential, begin_props=None, **get_kwargs):
    begun = begin_signin(api, **(begin_props or {}))
    return complete_signin(api, begun["session"], authn.get(begun["data"], ORIGIN, credential, **get_kwargs))


def verify(api, token):
    return api.call("/signin/verify", {"token": token}, key="secret")


# ------------------------------------------------------------------ happy paths

def test_registration_options_follow_the_contract(api):
    begun = begin_register(api, new_token(api, "42", displayName="Alice", userVerification="required",
                                          authenticatorType="cross-platform", attestation="direct"))
    data = begun["data"]
    assert begun["session"].startswith("session_")
    assert data["rp"] == {"id": RP, "name": RP}
    assert data["user"] == {"name": "42@example.com", "id": b64url(b"42"), "displayName": "Alice"}
    assert len(b64url_decode(data["challenge"])) == 16
    assert [p["alg"] for p in data["pubKeyCredParams"]] == [-8, -7, -257, -37, -35, -258, -38, -36, -259, -39]
    assert data["timeout"] == 60000 and data["attestation"] == "direct"
    assert data["authenticatorSelection"] == {"authenticatorAttachment": "cross-platform", "residentKey": "required",
                                              "requireResidentKey": True, "userVerification": "required"}
    assert data["excludeCredentials"] == [] and data["extensions"] == {"credProps": True}
    defaults = begin_register(api, new_token(api, discoverable=False))["data"]
    assert defaults["attestation"] == "none"
    assert defaults["authenticatorSelection"] == {"residentKey": "discouraged", "requireResidentKey": False,
                                                  "userVerification": "preferred"}


def test_register_then_verify_passkey_register(api, authn):
    credential, token = register(api, authn)
    result = verify(api, token)
    assert result.status == 200
    body = result.body
    assert set(body) == {"success", "userId", "timestamp", "rpId", "origin", "device", "country", "nickname",
                         "credentialId", "expiresAt", "tokenId", "type"}
    assert body["success"] is True and body["type"] == "passkey_register"
    assert (body["userId"], body["rpId"], body["origin"]) == ("user-1", RP, ORIGIN)
    assert body["credentialId"] == b64url(credential.id) and "=" not in body["credentialId"]
    listed = api.call("/credentials/list", {"userId": "user-1"}, key="secret").body["values"]
    assert len(listed) == 1 and listed[0]["descriptor"] == {"type": "public-key", "id": b64url(credential.id)}
    assert listed[0]["userId"] == "user-1" and listed[0]["signatureCounter"] == 0
    assert listed[0]["attestationFmt"] == "none" and listed[0]["rpid"] == RP
    # A second registration for the same user excludes the first credential.
    again = begin_register(api, new_token(api))["data"]
    assert again["excludeCredentials"] == [{"type": "public-key", "id": b64url(credential.id)}]


@pytest.mark.parametrize("how", ["alias", "userId", "discoverable"])
def test_signin_then_verify_passkey_signin(api, authn, how):
    credential, _ = register(api, authn, aliases=["alice@example.com"])
    props = {"alias": {"alias": "alice@example.com"}, "userId": {"userId": "user-1"}, "discoverable": {}}[how]
    begun = begin_signin(api, **props)
    expected = [] if how == "discoverable" else [{"type": "public-key", "id": b64url(credential.id)}]
    assert begun["data"]["allowCredentials"] == expected
    assert begun["data"]["rpId"] == RP and begun["data"]["userVerification"] == "preferred"
    result = complete_signin(api, begun["session"], authn.get(begun["data"], ORIGIN, credential))
    assert result.status == 200, result.body
    body = verify(api, result.body["token"]).body
    assert body["type"] == "passkey_signin" and body["userId"] == "user-1"
    assert body["credentialId"] == b64url(credential.id)


def _recase(value, names):
    if isinstance(value, dict):
        return {names.get(k, k): _recase(v, names) for k, v in value.items()}
    return value


def test_property_names_are_case_insensitive(api, authn):
    # The spellings vauth and passwordless-client-js actually send.
    names = {"session": "Session", "response": "Response", "id": "Id", "rawId": "RawId",
             "attestationObject": "AttestationObject", "clientDataJSON": "clientDataJson",
             "authenticatorData": "AuthenticatorData", "signature": "Signature", "userHandle": "UserHandle"}
    token = api.call("/register/token", {"UserId": "123", "USERNAME": "jsmith"}, key="secret").body["token"]
    begun = api.call("/register/begin", {"Token": token, "RPID": RP, "Origin": ORIGIN}).body
    response, credential = authn.create(begun["data"], ORIGIN)
    result = api.call("/register/complete", _recase({"session": begun["session"], "response": response,
                                                     "RPID": RP, "Origin": ORIGIN}, names))
    assert result.status == 200, result.body
    begun = api.call("/signin/begin", {"UserID": "123", "rpid": RP, "ORIGIN": ORIGIN}).body
    result = api.call("/signin/complete", _recase({"session": begun["session"], "RPID": RP, "Origin": ORIGIN,
                                                   "response": authn.get(begun["data"], ORIGIN, credential)}, names))
    assert result.status == 200, result.body
    assert api.call("/signin/verify", {"TOKEN": result.body["token"]}, key="secret").body["userId"] == "123"


def test_zero_counter_may_stay_zero(api):
    authn = SoftAuthenticator(counter_step=0)
    credential, _ = register(api, authn)
    for _ in range(2):
        assert signin(api, authn, credential).status == 200


def test_alias_endpoint_and_conflict(api, authn):
    credential, _ = register(api, authn)
    assert api.call("/alias", {"userId": "user-1", "aliases": ["a@example.com"]}, key="secret").status == 204
    assert signin(api, authn, credential, {"alias": "a@example.com"}).status == 200
    assert_problem(api.call("/alias", {"userId": "user-2", "aliases": ["a@example.com"]}, key="secret"),
                   409, "alias_conflict")
    assert begin_signin(api, alias="nobody@example.com")["data"]["allowCredentials"] == []


def test_nickname_is_stored_and_limited_to_64(api, authn):
    begun = begin_register(api, new_token(api))
    response, _ = authn.create(begun["data"], ORIGIN)
    assert_problem(complete_register(api, begun["session"], response, nickname="n" * 65), 400, "validation_error")
    result = complete_register(api, begun["session"], response, nickname="n" * 64)
    assert verify(api, result.body["token"]).body["nickname"] == "n" * 64


# ------------------------------------------------------------------ keys, tokens, sessions

@pytest.mark.parametrize("path,key,headers,code", [
    ("/register/begin", None, {}, "invalid_api_key"),
    ("/register/begin", None, {"ApiKey": "test:public:00000000000000000000000000000000"}, "invalid_api_key"),
    ("/signin/begin", None, {"ApiKey": TEST_API_SECRET}, "invalid_api_key"),
    ("/register/token", None, {}, "invalid_api_secret"),
    ("/register/token", None, {"ApiSecret": "test:secret:00000000000000000000000000000000"}, "invalid_api_secret"),
    ("/signin/verify", "public", {}, "invalid_api_secret"),
])
def test_wrong_or_missing_api_key(api, path, key, headers, code):
    result = api.call(path, {"token": "x"}, key=key, headers=headers)
    assert_problem(result, 401, code)
    assert result.headers["WWW-Authenticate"] in ("ApiKey", "ApiSecret")


def test_expired_register_token(api):
    token = new_token(api)
    api.call("/__test/advance", {"seconds": 121}, key=None)
    assert_problem(api.call("/register/begin", {"token": token, "RPID": RP, "Origin": ORIGIN}), 403, "expired_token")
    past = (datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(minutes=1)).isoformat()
    token = new_token(api, expiresAt=past)
    assert_problem(api.call("/register/begin", {"token": token, "RPID": RP, "Origin": ORIGIN}), 403, "expired_token")


def test_register_token_is_single_use(api):
    token = new_token(api)
    begin_register(api, token)
    assert_problem(api.call("/register/begin", {"token": token, "RPID": RP, "Origin": ORIGIN}), 400, "invalid_token")


def test_expired_and_unknown_verify_tokens(api, authn):
    _, token = register(api, authn)
    assert verify(api, token).status == 200  # stateless in the real service: usable until it expires
    assert verify(api, token).status == 200
    api.call("/__test/advance", {"seconds": 121}, key=None)
    assert_problem(verify(api, token), 403, "expired_token")
    assert_problem(verify(api, "verify_nope"), 400, "invalid_token")
    assert_problem(verify(api, "register_nope"), 400, "invalid_token")
    assert_problem(api.call("/signin/verify", {}, key="secret"), 400, "missing_token")


def test_expired_session(api, authn):
    begun = begin_register(api, new_token(api))
    response, _ = authn.create(begun["data"], ORIGIN)
    api.call("/__test/advance", {"seconds": 61}, key=None)
    assert_problem(complete_register(api, begun["session"], response), 403, "expired_token")


def test_session_is_consumed_by_success(api, authn):
    begun = begin_register(api, new_token(api))
    response, _ = authn.create(begun["data"], ORIGIN)
    assert complete_register(api, begun["session"], response).status == 200
    assert_problem(complete_register(api, begun["session"], response), 400, "invalid_token")


# ------------------------------------------------------------------ registration rejections

def _register_with(api, authn, token_props=None, complete=None, **create_kwargs):
    begun = begin_register(api, new_token(api, **(token_props or {})))
    response, _ = authn.create(begun["data"], ORIGIN, **create_kwargs)
    return complete_register(api, begun["session"], response, **(complete or {}))


@pytest.mark.parametrize("case", [
    dict(challenge=b64url(b"0" * 16)),                      # wrong challenge
    dict(rp_id="evil.example"),                             # rpIdHash of another domain
    dict(complete=dict(origin="https://evil.example")),     # Origin at complete differs from clientData/begin
    dict(complete=dict(rpid="evil.example")),               # RPID at complete differs from begin
    dict(flags=UV),                                         # user presence missing
    dict(flags=UP, token_props=dict(userVerification="required")),  # UV required, not done
])
def test_registration_rejections(api, authn, case):
    assert_problem(_register_with(api, authn, **case), 400, "fido2_invalid_registration")


def test_registration_origin_mismatch_in_client_data(api, authn):
    begun = begin_register(api, new_token(api))
    response, _ = authn.create(begun["data"], "https://evil.example")
    assert_problem(complete_register(api, begun["session"], response), 400, "fido2_invalid_registration")


def test_uv_not_needed_when_preferred(api, authn):
    assert _register_with(api, authn, flags=UP).status == 200


def test_duplicate_credential_registration(api, authn):
    credential, _ = register(api, authn)
    begun = begin_register(api, new_token(api, "user-2"))
    response, _ = authn.create(begun["data"], ORIGIN, credential=credential)
    assert_problem(complete_register(api, begun["session"], response), 400, "fido2_invalid_registration")


def test_bad_transports(api, authn):
    result = _register_with(api, authn, transports=["internal", "bluetooth"])
    assert_problem(result, 400, "validation_error")


def test_raw_id_must_match_id_and_auth_data(api, authn):
    begun = begin_register(api, new_token(api))
    response, _ = authn.create(begun["data"], ORIGIN)
    assert_problem(complete_register(api, begun["session"], {**response, "rawId": b64url(b"other")}),
                   400, "fido2_invalid_registration")
    other = b64url(b"x" * 32)  # consistent id/rawId that the authenticator data does not contain
    assert_problem(complete_register(api, begun["session"], {**response, "id": other, "rawId": other}),
                   400, "fido2_invalid_registration")
    assert_problem(complete_register(api, begun["session"], {**response, "rawId": response["rawId"] + "="}),
                   400, "validation_error")


def _non_canonical(response):
    att = cbor.decode(b64url_decode(response["response"]["attestationObject"]))
    # Same map, keys in the wrong order ("authData" before "fmt"): well-formed but not canonical.
    encoded = (b"\xa3" + cbor.encode("authData") + cbor.encode(att["authData"]) + cbor.encode("fmt")
               + cbor.encode(att["fmt"]) + cbor.encode("attStmt") + cbor.encode(att["attStmt"]))
    return {**response, "response": {**response["response"], "attestationObject": b64url(encoded)}}


def test_non_canonical_cbor_is_rejected_unless_lax(api, authn):
    begun = begin_register(api, new_token(api))
    response, _ = authn.create(begun["data"], ORIGIN)
    trailing = {**response, "response": {**response["response"], "attestationObject":
                                         b64url(b64url_decode(response["response"]["attestationObject"]) + b"\x00")}}
    assert_problem(complete_register(api, begun["session"], trailing), 400, "fido2_invalid_registration")
    assert_problem(complete_register(api, begun["session"], _non_canonical(response)),
                   400, "fido2_invalid_registration")
    with start_server(canonical_cbor=False) as lax:
        lax_api = Api(lax.url)
        begun = begin_register(lax_api, new_token(lax_api))
        response, _ = authn.create(begun["data"], ORIGIN)
        assert complete_register(lax_api, begun["session"], _non_canonical(response)).status == 200


def test_non_shortest_integer_in_cose_key_is_rejected(api, authn):
    begun = begin_register(api, new_token(api))
    response, credential = authn.create(begun["data"], ORIGIN)
    att = cbor.decode(b64url_decode(response["response"]["attestationObject"]))
    key = credential.cose_public_key()
    assert key.startswith(b"\xa5\x01\x02")  # {1: 2, ...}: re-encode kty 2 as 0x18 0x02
    auth_data = att["authData"].replace(key, b"\xa5\x01\x18\x02" + key[3:])
    bad = b64url(cbor.encode({**att, "authData": auth_data}))
    result = complete_register(api, begun["session"], {**response, "response": {**response["response"],
                                                                                 "attestationObject": bad}})
    assert_problem(result, 400, "fido2_invalid_registration")
    assert "canonical" in result.body["title"]


# ------------------------------------------------------------------ sign-in rejections

@pytest.mark.parametrize("case", [
    dict(challenge=b64url(b"0" * 16)),
    dict(rp_id="evil.example"),
    dict(flags=UV),
    dict(flip_signature_bit=True),
    dict(user_handle=b"someone-else"),
    dict(begin_props=dict(userVerification="required"), flags=UP),
])
def test_signin_rejections(api, authn, case):
    credential, _ = register(api, authn)
    assert_problem(signin(api, authn, credential, **case), 400, "fido2_invalid_signin")


def test_signin_origin_and_rpid_must_match(api, authn):
    credential, _ = register(api, authn)
    begun = begin_signin(api)
    assert_problem(complete_signin(api, begun["session"], authn.get(begun["data"], "https://evil.example", credential)),
                   400, "fido2_invalid_signin")
    response = authn.get(begun["data"], ORIGIN, credential)
    assert_problem(complete_signin(api, begun["session"], response, origin="https://evil.example"),
                   400, "fido2_invalid_signin")
    assert_problem(complete_signin(api, begun["session"], response, rpid="evil.example"), 400, "fido2_invalid_signin")


def test_counter_must_increase(api, authn):
    credential, _ = register(api, authn)
    assert signin(api, authn, credential, sign_count=5).status == 200
    assert_problem(signin(api, authn, credential, sign_count=5), 400, "fido2_invalid_signin")
    assert_problem(signin(api, authn, credential, sign_count=4), 400, "fido2_invalid_signin")
    assert signin(api, authn, credential, sign_count=6).status == 200


def test_unknown_credential(api, authn):
    register(api, authn)
    stranger = SoftAuthenticator()
    _, credential = stranger.create({"challenge": "AA", "rp": {"id": RP}, "user": {"id": "dQ"}}, ORIGIN)
    assert_problem(signin(api, stranger, credential), 400, "unknown_credential")


def test_credential_must_be_in_allow_credentials(api, authn):
    register(api, authn, "user-1")
    other, _ = register(api, authn, "user-2")
    assert_problem(signin(api, authn, other, {"userId": "user-1"}), 400, "fido2_invalid_signin")


def test_ecdsa_signature_must_be_der(api, authn):
    credential, _ = register(api, authn)
    begun = begin_signin(api)
    response = authn.get(begun["data"], ORIGIN, credential)
    r, s = decode_dss_signature(b64url_decode(response["response"]["signature"]))
    raw = {**response["response"], "signature": b64url(r.to_bytes(32, "big") + s.to_bytes(32, "big"))}
    assert_problem(complete_signin(api, begun["session"], {**response, "response": raw}), 400, "fido2_invalid_signin")


# ------------------------------------------------------------------ HTTP-level behaviour

def test_http_errors(api):
    assert_problem(api.call("/register/token", raw=b"{not json", key="secret"), 400, "invalid_json")
    assert_problem(api.call("/register/token", raw=b"[1]", key="secret"), 400, "invalid_json")
    assert_problem(api.call("/register/token", raw=b'{"userId":"a","USERID":"b"}', key="secret"), 400, "invalid_json")
    assert_problem(api.call("/register/token", raw=b"{}", key="secret", headers={"Content-Type": "text/plain"}),
                   415, "unsupported_media_type")
    assert_problem(api.call("/register/token", {"username": "x"}, key="secret"), 400, "validation_error")
    assert_problem(api.call("/nope", {}), 404, "not_found")
    result = api.call("/register/token", key="secret", method="GET")
    assert_problem(result, 405, "method_not_allowed")
    assert result.headers["Allow"] == "POST"


def test_fault_modes(api):
    api.call("/__test/fault", {"mode": "html"}, key=None)
    result = api.call("/register/token", {"userId": "u", "username": "u"}, key="secret")
    assert result.status == 200 and result.ctype.startswith("text/html")
    api.call("/__test/fault", {"mode": "500"}, key=None)
    result = api.call("/register/token", {"userId": "u", "username": "u"}, key="secret")
    assert result.status == 500 and "errorCode" not in result.body
    api.call("/__test/fault", {"mode": "slow", "seconds": 0.3}, key=None)
    started = time.monotonic()
    assert api.call("/register/token", {"userId": "u", "username": "u"}, key="secret").status == 200
    assert time.monotonic() - started >= 0.3
    api.call("/__test/fault", {"mode": None}, key=None)
    assert api.call("/__test/state", key=None, method="GET").body["registerTokens"] == 1  # faults answer before routing


def test_session_of_the_other_ceremony_is_refused(api, authn):
    credential, _ = register(api, authn)
    begun = begin_register(api, new_token(api))
    signin_begun = begin_signin(api)
    response = authn.get(signin_begun["data"], ORIGIN, credential)
    assert_problem(complete_signin(api, begun["session"], response), 400, "invalid_token")


def test_misc_backend_details(api, authn):
    credential, _ = register(api, authn)
    listed = api.call("/credentials/list?userId=user-1", key="secret", method="GET").body["values"]
    assert [c["descriptor"]["id"] for c in listed] == [b64url(credential.id)]
    assert_problem(api.call("/register/token", {"userId": "u", "username": "u", "expiresAt": "soon"},
                            key="secret"), 400, "validation_error")
    preflight = api.call("/register/begin", key=None, method="OPTIONS")
    assert preflight.status == 204 and preflight.headers["Access-Control-Allow-Origin"] == "*"
    assert api.call("/__test/reset", key=None).status == 204
    assert api.call("/__test/state", key=None, method="GET").body["users"] == {}


def test_test_controls_can_be_disabled():
    with start_server(test_controls=False) as server:
        assert_problem(Api(server.url).call("/__test/advance", {"seconds": 1}, key=None), 404, "not_found")


def test_runs_as_a_script():
    here = os.path.dirname(os.path.abspath(__file__))
    proc = subprocess.Popen([sys.executable, "-m", "standins.passwordless", "--port", "0"], cwd=here,
                            stdout=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline().strip()
        assert line.startswith("LISTENING http://127.0.0.1:")
        assert Api(line.split()[1]).call("/register/token", {"userId": "u", "username": "u"},
                                         key="secret").status == 200
    finally:
        proc.terminate()
        proc.wait(timeout=5)


# ------------------------------------------------------------------ packed attestation with x5c

def _cert(subject_key, issuer_key, subject, issuer, ca):
    now = datetime.datetime.now(datetime.timezone.utc)
    return (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer)
            .public_key(subject_key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1)).not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
            .sign(issuer_key, hashes.SHA256()))


def _name(cn, ou=None):
    attrs = [x509.NameAttribute(NameOID.COUNTRY_NAME, "SE"), x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Test")]
    attrs += [x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, ou)] if ou else []
    return x509.Name(attrs + [x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def test_packed_x5c_chains_to_trusted_root(authn):
    root_key, leaf_key, rogue_key = (ec.generate_private_key(ec.SECP256R1()) for _ in range(3))
    root = _cert(root_key, root_key, _name("Root"), _name("Root"), ca=True)
    leaf = _cert(leaf_key, root_key, _name("Leaf", "Authenticator Attestation"), root.subject, ca=False)
    no_ou = _cert(leaf_key, root_key, _name("Leaf"), root.subject, ca=False)
    rogue = _cert(rogue_key, rogue_key, _name("Leaf", "Authenticator Attestation"), _name("Rogue"), ca=False)
    der = lambda c: c.public_bytes(serialization.Encoding.DER)  # noqa: E731
    with start_server(trusted_root_pems=[root.public_bytes(serialization.Encoding.PEM)]) as server:
        api = Api(server.url)
        ok = _register_with(api, authn, token_props=dict(attestation="direct"), attestation_key=leaf_key,
                            x5c=[der(leaf)])
        assert ok.status == 200, ok.body
        assert api.call("/credentials/list", {"userId": "user-1"}, key="secret").body["values"][0][
            "attestationFmt"] == "packed"
        for key, cert in ((rogue_key, rogue), (leaf_key, no_ou)):
            result = _register_with(api, authn, attestation_key=key, x5c=[der(cert)])
            assert_problem(result, 400, "fido2_invalid_registration")
