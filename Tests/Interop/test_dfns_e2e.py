"""`vauth dfns register | sign | recover` online, against the Dfns stand-in, which verifies every
body with pyca/cryptography and py_webauthn: registration with a recovery key, login, a user
action, recovery on a machine that never saw the old credentials; and the service's refusals,
which leave the keystore byte for byte as it was."""
from __future__ import annotations

import json
import re

import pytest

from standins.dfns import TEST_APP_ID, TEST_ORIGIN, TEST_SERVICE_TOKEN, start_server
from vauthcli import VauthCLI

USERNAME = "alice@example.com"
CODE_PATTERN = re.compile(r"D1-[A-Z2-9]{6}(?:-[A-Z2-9]{5}){4}-[A-Z2-9]{6}")


@pytest.fixture
def server():
    handle = start_server()
    yield handle
    handle.stop()


def online(server, *flags):
    return ["--origin", TEST_ORIGIN, "--api-url", server.url, "--app-id", TEST_APP_ID, *flags]


def with_token(vauth, token):
    """The bearer token in the environment, where other local users cannot read it (on the command
    line vauth warns: test_secret_inputs)."""
    return vauth.env(VAUTH_DFNS_TOKEN=token)


def register(vauth, server, *flags):
    result = vauth.run("dfns", "register", *online(server, "--username", USERNAME, *flags),
                       env=with_token(vauth, TEST_SERVICE_TOKEN))
    return result.ok()


def assert_fails(result, status: int, message: str):
    assert result.code == status, (result.code, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("vauth: error:") and message in lines[0], result.stderr


@pytest.mark.parametrize("kind", ["key", "fido2"])
def test_register_login_and_sign_an_action(vauth, server, kind):
    result = register(vauth, server, "--kind", kind, "--recovery")
    answer = result.json
    assert answer["credential"]["kind"] == {"key": "Key", "fido2": "Fido2"}[kind]
    codes = CODE_PATTERN.findall(result.stderr)
    assert len(codes) == 1 and codes[0] not in result.stdout
    # The service opens the stored encryptedPrivateKey with the code (the SDK's algorithm, in Python).
    assert server.app.check_recovery_code(USERNAME, codes[0])
    assert not server.app.check_recovery_code(USERNAME, codes[0][:-1] + ("A" if codes[0][-1] != "A" else "B"))
    registration = next(r for r in server.app.requests if r["path"] == "/auth/registration")
    assert registration["authorization"].startswith("tmp-")  # the challenge's temporaryAuthenticationToken
    kinds = sorted(r["kind"] for r in vauth.run("list", "--compact").ok().json)
    assert kinds == sorted([{"key": "key", "fido2": "webauthn"}[kind], "recoveryKey"])

    token = vauth.run("dfns", "sign", *online(server, "--login", "--username", USERNAME)).ok().json["token"]
    action = vauth.run("dfns", "sign", *online(server, "--action-path", "/wallets",
                                               "--action-payload", json.dumps({"network": "EthereumSepolia"})),
                       env=with_token(vauth, token)).ok().json
    assert action["userAction"].startswith("ua-")
    init = next(r for r in server.app.requests if r["path"] == "/auth/action/init")
    assert init["body"]["userActionHttpPath"] == "/wallets" and init["authorization"] == token


def test_recover_on_a_new_machine_then_old_credentials_are_gone(vauth, server, tmp_path):
    first = register(vauth, server, "--recovery")
    code = CODE_PATTERN.findall(first.stderr)[0]
    recovery_id = server.app.user(USERNAME).active("RecoveryKey")[0].id
    (tmp_path / "new").mkdir()
    fresh = VauthCLI(tmp_path / "new")
    recovered = fresh.run("dfns", "recover", *online(server, "--username", USERNAME, "--credential-id", recovery_id,
                                                      "--kind", "fido2", "--recovery"),
                          env=fresh.env(VAUTH_DFNS_RECOVERY_CODE=code)).ok()
    assert sorted(c["kind"] for c in recovered.json["credentials"]) == ["Fido2", "RecoveryKey"]
    new_code = CODE_PATTERN.findall(recovered.stderr)[0]
    assert new_code != code and server.app.check_recovery_code(USERNAME, new_code)
    assert not server.app.check_recovery_code(USERNAME, code)  # the old recovery credential is retired
    # The new machine signs in; the old one's credential no longer counts.
    fresh.run("dfns", "sign", *online(server, "--login", "--username", USERNAME)).ok()
    before = vauth.state()
    assert_fails(vauth.run("dfns", "sign", *online(server, "--login", "--username", USERNAME)), 1,
                 "none of the credentials the challenge allows (0 key, 1 webauthn) is in this keystore")
    assert vauth.state() == before


def test_lost_login_answer_keeps_the_fido2_counter(vauth, server):
    """The service verified the assertion (and remembered its counter), then its answer was lost:
    the next login must count on, or a service that checks counters refuses it (issue 18 item 9)."""
    register(vauth, server, "--kind", "fido2")
    login = ["dfns", "sign", *online(server, "--login", "--username", USERNAME)]
    vauth.run(*login).ok()
    credential = server.app.user(USERNAME).active("Fido2")[0]
    assert credential.sign_count == 1
    server.app.faults["/auth/login"] = "drop"
    assert_fails(vauth.run(*login), 1, "/auth/login")
    assert credential.sign_count == 2
    assert [r["signCount"] for r in vauth.run("list", "--compact").ok().json if r["kind"] == "webauthn"] == [2]
    del server.app.faults["/auth/login"]
    assert vauth.run(*login).ok().json["token"]
    assert credential.sign_count == 3


def test_service_refusals_leave_the_keystore_unchanged(vauth, server):
    register(vauth, server)
    before = vauth.state()
    # The stand-in refuses a second registration of the same user.
    assert_fails(vauth.run("dfns", "register", *online(server, "--username", USERNAME), env=with_token(vauth, TEST_SERVICE_TOKEN)), 1,
                 "Dfns refused (HTTP 409): user alice@example.com is already registered")
    # A wrong application id.
    result = vauth.run("dfns", "register", "--origin", TEST_ORIGIN, "--api-url", server.url, "--app-id", "ap-wrong",
                       "--username", "bob@example.com", env=with_token(vauth, TEST_SERVICE_TOKEN))
    assert_fails(result, 1, "Dfns refused (HTTP 401): Unauthorized: missing or wrong X-DFNS-APPID")
    # A challenge whose temporary token was already used: the completion is refused after vauth
    # made the credential, which therefore must not reach the keystore.
    challenge = server.app.registration_challenge(server.app.new_user("carol@example.com"), "registration")
    server.app.sessions.pop(challenge["temporaryAuthenticationToken"])
    result = vauth.run("dfns", "register", *online(server, "--challenge", "-"), input=json.dumps(challenge))
    assert_fails(result, 1, "unknown or used temporaryAuthenticationToken")
    # The service verifies the body: a clientData origin it does not expect is refused.
    challenge = server.app.registration_challenge(server.app.new_user("dave@example.com"), "registration")
    result = vauth.run("dfns", "register", "--origin", "https://evil.example.com", "--api-url", server.url, "--app-id",
                       TEST_APP_ID, "--challenge", "-", input=json.dumps(challenge))
    assert_fails(result, 1, "registration refused: clientData.origin is 'https://evil.example.com'")
    # An action with a token the service does not know.
    assert_fails(vauth.run("dfns", "sign", *online(server, "--action-path", "/wallets"), env=with_token(vauth, "tok-unknown")), 1,
                 "Dfns refused (HTTP 401)")
    assert vauth.state() == before


def test_unreachable_service(vauth, server):
    register(vauth, server)
    before = vauth.state()
    result = vauth.run("dfns", "register", "--origin", TEST_ORIGIN, "--api-url", "http://127.0.0.1:9", "--app-id", TEST_APP_ID,
                       "--username", "bob@example.com", env=with_token(vauth, TEST_SERVICE_TOKEN))
    assert_fails(result, 1, "cannot reach Dfns at http://127.0.0.1:9/auth/registration/delegated")
    assert vauth.state() == before


@pytest.mark.parametrize("flags, message", [
    (["--api-url", "ftp://x", "--app-id", "a"], "--api-url is not an http(s) URL"),
    (["--api-url", "http://127.0.0.1:9"], "--api-url needs --app-id"),
    (["--app-id", "a"], "--app-id and --token need --api-url"),
    (["--api-url", "http://127.0.0.1:9", "--app-id", "a"], "online registration needs --challenge or --username"),
])
def test_service_flag_errors(vauth, flags, message):
    assert_fails(vauth.run("dfns", "register", "--origin", TEST_ORIGIN, *flags), 2, message)
    assert vauth.keystore_bytes() is None


@pytest.mark.parametrize("command, flags, message", [
    ("register", ["--username", "a@example.com"], "--username is for online registration"),
    ("sign", ["--login"], "are for online signing"),
    ("sign", ["--action-path", "/wallets"], "are for online signing"),
    ("recover", ["--credential-id", "AAAA", "--code", "D1-ABCDEF-GHJKL-MNPQR-STUVW-XYZ23-456789"], "are for online recovery"),
])
def test_online_only_flags_offline(vauth, command, flags, message):
    assert_fails(vauth.run("dfns", command, "--origin", TEST_ORIGIN, *flags, input="{}"), 2, message)
    assert vauth.keystore_bytes() is None
