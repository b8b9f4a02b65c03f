"""Issue 18 item 1, the ceremony side: `rp.name`, `user.name` and `user.displayName` are stored cut
to 64 bytes of UTF-8 on a character boundary (CTAP 2.2 §6.1.2, WebAuthn L3 §6.4.1) wherever a
credential is made — `vauth create` (the JSON client every service and `attach` page goes
through), a makeCredential over CTAPHID from python-fido2 (`vauth serve`), credentialManagement's
updateUserInformation, and `vauth import` (which truncates with a warning rather than refusing:
the names are display strings and the credential is intact).

Before the fix a create with a 1 MiB display name exited 0 and left a keystore that `check`,
`list`, `export` and a discoverable `get` refused ("CBOR input longer than 1048576 bytes")."""
from __future__ import annotations

import base64
import hashlib
import json
import os
import secrets

from fido2.ctap2 import ClientPin, Ctap2, CredentialManagement
from fido2.webauthn import PublicKeyCredentialDescriptor, PublicKeyCredentialUserEntity

from ctaphid_udp import VauthServe
from vauthcli import VauthCLI

RP = "example.com"
ORIGIN = "https://example.com"
MiB = 1 << 20


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def creation_options(rp_name: str, user_name: str, display_name: str, user_id: bytes = b"user-1") -> dict:
    return {"rp": {"id": RP, "name": rp_name},
            "user": {"id": b64url(user_id), "name": user_name, "displayName": display_name},
            "challenge": b64url(secrets.token_bytes(32)),
            "pubKeyCredParams": [{"type": "public-key", "alg": -7}],
            "authenticatorSelection": {"residentKey": "required"}}


def exported(vauth: VauthCLI) -> list[dict]:
    return json.loads(vauth.run("export", "--compact").ok().stdout)["credentials"]


def test_create_with_megabyte_names_stores_64_bytes_and_the_keystore_stays_readable(vauth):
    rp_name = "Example " + "r" * MiB
    user_name = "alice@example.com" + "u" * MiB
    display_name = "Ålice " + "d" * MiB
    vauth.create(creation_options(rp_name, user_name, display_name), ORIGIN).ok()
    [record] = exported(vauth)
    assert record["rpName"] == rp_name.encode()[:64].decode()
    assert record["userName"] == user_name[:64]
    assert len(record["userDisplayName"].encode()) == 64 and display_name.startswith(record["userDisplayName"])
    # Every reader of the keystore works: check, list, a discoverable get.
    assert vauth.run("check").ok()
    assert [row["userName"] for row in vauth.run("list").ok().json] == [user_name[:64]]
    challenge = b64url(secrets.token_bytes(32))
    vauth.get({"challenge": challenge, "rpId": RP}, ORIGIN).ok()


def test_a_multibyte_name_is_cut_before_the_character_that_does_not_fit(vauth):
    # 62 ASCII bytes, then "é" as e + U+0301 (3 bytes, one character): the whole character goes.
    display_name = "a" * 62 + "e\u0301" + "z"
    user_name = "漢" * 30          # 90 bytes: 21 characters (63 bytes) fit
    vauth.create(creation_options("Example", user_name, display_name), ORIGIN).ok()
    [record] = exported(vauth)
    assert record["userDisplayName"] == "a" * 62
    assert record["userName"] == "漢" * 21
    assert record["rpName"] == "Example"


def test_names_of_exactly_64_bytes_are_kept(vauth):
    name = "n" * 62 + "é"              # 64 bytes
    vauth.create(creation_options(name, name, name), ORIGIN).ok()
    [record] = exported(vauth)
    assert record["rpName"] == record["userName"] == record["userDisplayName"] == name


def test_serve_truncates_names_from_python_fido2_and_on_update(vauth):
    """The authenticator itself truncates, so a CTAP client (python-fido2 over CTAPHID) that sends
    long names gets the same treatment; so does credentialManagement's updateUserInformation."""
    long_name = "bob" + "b" * 3000
    with VauthServe(vauth, "--uv-mode", "unsupported") as server:
        device = server.device()
        ClientPin(Ctap2(device)).set_pin("4821")
        ctap = Ctap2(device)
        client_pin = ClientPin(ctap)
        token = client_pin.get_pin_token("4821", ClientPin.PERMISSION.MAKE_CREDENTIAL, RP)
        client_data_hash = hashlib.sha256(b"client data").digest()
        made = ctap.make_credential(
            client_data_hash, {"id": RP, "name": "R" * 500}, {"id": b"user-1", "name": long_name, "displayName": "Ď" * 400},
            [{"type": "public-key", "alg": -7}], options={"rk": True},
            pin_uv_param=client_pin.protocol.authenticate(token, client_data_hash), pin_uv_protocol=client_pin.protocol.VERSION)
        credential_id = made.auth_data.credential_data.credential_id
        token = client_pin.get_pin_token("4821", ClientPin.PERMISSION.CREDENTIAL_MGMT)
        manager = CredentialManagement(ctap, client_pin.protocol, token)
        rp_hash = hashlib.sha256(RP.encode()).digest()
        [listed] = manager.enumerate_creds(rp_hash)
        user = listed[CredentialManagement.RESULT.USER]
        assert user["name"] == long_name[:64] and user["displayName"] == "Ď" * 32
        assert manager.enumerate_rps()[0][CredentialManagement.RESULT.RP]["name"] == "R" * 64
        manager.update_user_info(PublicKeyCredentialDescriptor(type="public-key", id=credential_id),
                                 PublicKeyCredentialUserEntity(id=b"user-1", name="x" * 2000, display_name="ok"))
        [listed] = manager.enumerate_creds(rp_hash)
        assert listed[CredentialManagement.RESULT.USER]["name"] == "x" * 64
        server.stop()
    assert vauth.run("check").ok()
    [record] = exported(vauth)
    assert record["userName"] == "x" * 64 and record["userDisplayName"] == "ok" and record["rpName"] == "R" * 64


def test_import_truncates_long_names_with_a_warning(vauth, tmp_path):
    vauth.create(creation_options("Example", "carol", "Carol"), ORIGIN).ok()
    document = json.loads(vauth.run("export", "--compact").ok().stdout)
    record = document["credentials"][0]
    record["userDisplayName"] = "Çarol " + "c" * 5000
    record["rpName"] = "Example " + "e" * 100
    (tmp_path / "other").mkdir()
    other = VauthCLI(tmp_path / "other")
    result = other.run("import", input=json.dumps(document)).ok()
    warnings = result.stderr.splitlines()
    assert warnings == [
        "vauth: warning: import file: credentials[0].rpName has 108 bytes; imported truncated to 64 (names are stored with at most 64)",
        "vauth: warning: import file: credentials[0].userDisplayName has 5007 bytes; imported truncated to 64 (names are stored with at most 64)",
    ], result.stderr
    [stored] = exported(other)
    assert stored["userDisplayName"] == ("Çarol " + "c" * 5000).encode()[:64].decode()
    assert stored["rpName"] == ("Example " + "e" * 100)[:64]
    assert stored["credentialId"] == record["credentialId"] and stored["privateKey"] == record["privateKey"]


def test_cdp_import_truncates_too(vauth, tmp_path):
    vauth.create(creation_options("Example", "dave", "Dave"), ORIGIN).ok()
    document = json.loads(vauth.run("export", "--format", "cdp", "--compact").ok().stdout)
    document["credentials"][0]["userName"] = "d" * (2 * MiB)
    (tmp_path / "other").mkdir()
    other = VauthCLI(tmp_path / "other")
    result = other.run("import", input=json.dumps(document)).ok()
    assert "credentials[0].userName has 2097152 bytes; imported truncated to 64" in result.stderr
    assert [row["userName"] for row in other.run("list").ok().json] == ["d" * 64]
    assert other.run("check").ok()
