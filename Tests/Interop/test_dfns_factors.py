"""Dfns Password, Totp and PasswordProtectedKey credentials, as first and second factors, at
registration (delegated, online and offline) and login (issue 27), against the Dfns stand-in,
which verifies every body itself: passwords against its own salted hash, TOTP codes with pyotp at
its own clock (pyotp held to RFC 6238 Appendix B below), PasswordProtectedKey credentials as Key
credentials with pyca/cryptography and their encryptedPrivateKey with the SDK's algorithm in
Python. The password reaches vauth through VAUTH_DFNS_PASSWORD or --password-file only; the
session's secrets watch (conftest.py) checks that it never appears in any output or argument.

A TOTP code is accepted once per time step (RFC 6238 §5.2), and registration spends the current
step, so a login right after it must wait for the next step: those tests use a 4-second period
and wait for the step to turn (at most 4 s each; there is no other way to get a fresh code).
"""
from __future__ import annotations

import base64
import hashlib
import json
import time
import urllib.error
import urllib.request

import pytest

from standins import dfns as dfns_standin
from standins.dfns import (TEST_APP_ID, TEST_ORIGIN, TEST_SERVICE_TOKEN, VerificationError, totp_generator,
                           totp_step_accepted, verify_key_credential)
from vauthcli import VauthCLI

USERNAME = "alice@example.com"
PASSWORD = "correct horse battery staple 42"  # long enough for the secrets watch
WRONG_PASSWORD = "incorrect horse battery staple 43"


def assert_fails(result, status: int, *fragments):
    assert result.code == status, (result.code, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("vauth: error:"), result.stderr
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines[0])
    assert result.stdout == ""
    return lines[0]


@pytest.fixture
def start():
    handles = []

    def start_server(**options):
        handle = dfns_standin.start_server(**options)
        handles.append(handle)
        return handle
    yield start_server
    for handle in handles:
        handle.stop()


def online(server, *flags):
    return ["--origin", TEST_ORIGIN, "--api-url", server.url, "--app-id", TEST_APP_ID, *flags]


def register(vauth, server, *flags, password=PASSWORD, **run):
    env = vauth.env(VAUTH_DFNS_TOKEN=TEST_SERVICE_TOKEN, VAUTH_DFNS_PASSWORD=password)
    return vauth.run("dfns", "register", *online(server, "--username", USERNAME, *flags), env=env, **run)


def login(vauth, server, *flags, password=None, **run):
    return vauth.run("dfns", "sign", *online(server, "--login", "--username", USERNAME, *flags),
                     env=vauth.env(VAUTH_DFNS_PASSWORD=password), **run)


def wait_for_next_totp_step(period: int, after: float):
    """Sleeps until the TOTP step after the one of `after` has begun (at most `period` seconds)."""
    deadline = (int(after) // period + 1) * period + 0.05
    while time.time() < deadline:
        time.sleep(min(0.2, max(0.0, deadline - time.time())))


def post(server, path, body, bearer=None):
    headers = {"Content-Type": "application/json", "X-DFNS-APPID": TEST_APP_ID}
    if bearer:
        headers["Authorization"] = "Bearer " + bearer
    request = urllib.request.Request(server.url + path, data=json.dumps(body).encode(), headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


# ---------------------------------------------------------------- RFC 6238: the stand-in's check

APPENDIX_B = [  # RFC 6238 Appendix B: T, SHA1, SHA256, SHA512 (8 digits, period 30)
    (59, "94287082", "46119246", "90693936"),
    (1111111109, "07081804", "68084774", "25091201"),
    (1111111111, "14050471", "67062674", "99943326"),
    (1234567890, "89005924", "91819424", "93441116"),
    (2000000000, "69279037", "90698825", "38618901"),
    (20000000000, "65353130", "77737706", "47863826"),
]


@pytest.mark.parametrize("vector", APPENDIX_B, ids=[str(v[0]) for v in APPENDIX_B])
def test_the_stand_ins_totp_check_meets_rfc6238_appendix_b(vector):
    t, *codes = vector
    for algorithm, length, code in zip(("SHA1", "SHA256", "SHA512"), (20, 32, 64), codes):
        seed = b"1234567890" * 7
        generator = totp_generator(base64.b32encode(seed[:length]).decode(), algorithm, digits=8, period=30)
        assert generator.at(t) == code, (t, algorithm)
        # The stand-in's acceptance rule: this step and its neighbours, each at most once.
        assert totp_step_accepted(generator, code, t, -1) == t // 30
        assert totp_step_accepted(generator, code, t + 30, -1) == t // 30
        with pytest.raises(VerificationError, match="wrong or expired"):
            totp_step_accepted(generator, code, t + 90, -1)
        with pytest.raises(VerificationError, match="already used"):
            totp_step_accepted(generator, code, t, t // 30)


# ---------------------------------------------------------------- Password

def test_password_first_factor_registers_and_logs_in(vauth, start, tmp_path):
    server = start(first_factor_kinds=("Key", "Password"))
    answer = register(vauth, server, "--kind", "password").ok().json
    assert answer["credential"]["kind"] == "Password"
    sent = next(r for r in server.app.requests if r["path"] == "/auth/registration")["body"]
    assert sent["firstFactorCredential"] == {"credentialKind": "Password", "credentialInfo": {"password": PASSWORD}}
    # The password is not kept unless asked: nothing in the keystore names it.
    assert vauth.keystore_bytes() is None or all(r["kind"] != "password" for r in vauth.run("list").ok().json)
    (tmp_path / "password").write_text(PASSWORD + "\n")
    token = vauth.run("dfns", "sign", *online(server, "--login", "--username", USERNAME, "--password-file", tmp_path / "password"))
    assert token.ok().json["token"].startswith("tok-")
    login_body = next(r for r in reversed(server.app.requests) if r["path"] == "/auth/login")["body"]
    assert login_body["firstFactor"] == {"kind": "Password", "password": PASSWORD}


def test_wrong_password_is_refused_and_the_keystore_stays(vauth, start):
    server = start(first_factor_kinds=("Key", "Password"))
    register(vauth, server, "--kind", "password", "--keep-password").ok()
    before = vauth.state()
    assert_fails(login(vauth, server, "--first-factor", "password", password=WRONG_PASSWORD), 1, "login refused: wrong password")
    assert vauth.state() == before


def test_kept_password_signs_in_without_being_given_again(vauth, start):
    server = start(first_factor_kinds=("Key", "Password"))
    register(vauth, server, "--kind", "password", "--keep-password").ok()
    rows = vauth.run("list", "--compact").ok().json
    assert [(r["kind"], r["algorithm"], r["userName"], r["rpId"]) for r in rows] == [("password", None, USERNAME, TEST_ORIGIN)]
    assert login(vauth, server).ok().json["token"]
    exported = json.loads(vauth.run("export").ok().stdout)["credentials"]
    assert [(c["kind"], c["password"]) for c in exported] == [("password", PASSWORD)]
    assert "privateKey" not in exported[0] and "algorithm" not in exported[0]


def test_a_password_body_is_never_printed(vauth, start):
    server = start(first_factor_kinds=("Key", "Password"))
    challenge = server.app.registration_challenge(server.app.new_user("bob@example.com"), "registration")
    result = vauth.run("dfns", "register", "--origin", TEST_ORIGIN, "--kind", "password", input=json.dumps(challenge),
                       env=vauth.env(VAUTH_DFNS_PASSWORD=PASSWORD))
    assert_fails(result, 2, "carries the password itself, which vauth never prints", "--api-url")
    assert vauth.keystore_bytes() is None


@pytest.mark.parametrize("flags, message", [
    (["--kind", "password"], "a Password credential needs the password: --password-file FILE or $VAUTH_DFNS_PASSWORD"),
    (["--kind", "password-protected-key"], "a PasswordProtectedKey credential needs the password"),
    (["--keep-password"], "--keep-password needs the password"),
    (["--kind", "totp"], "a Totp is a second factor only"),
    (["--second-factor", "password"], "a Password is a first factor only"),
])
def test_missing_password_or_misplaced_kind_fails_before_any_call(vauth, start, flags, message):
    server = start(first_factor_kinds=("Key", "Password", "PasswordProtectedKey"))
    assert_fails(register(vauth, server, *flags, password=None), 2, message)
    assert server.app.requests == [] and vauth.keystore_bytes() is None


def test_there_is_no_password_argument(vauth):
    result = vauth.run("dfns", "register", "--origin", TEST_ORIGIN, "--password", PASSWORD, input="{}")
    assert result.code == 2 and "--password" in result.stderr and PASSWORD not in result.stderr


# ---------------------------------------------------------------- Totp

@pytest.mark.parametrize("parameters", [
    {"algorithm": "SHA1", "digits": 6, "period": 30},
    {"algorithm": "SHA256", "digits": 8, "period": 60},
    {"algorithm": "SHA512", "digits": 7, "period": 15},
], ids=["sha1-6-30", "sha256-8-60", "sha512-7-15"])
def test_totp_second_factor_is_enrolled_as_the_otp_url_says(vauth, start, parameters):
    server = start(second_factor_kinds=("Totp",), totp_parameters=parameters)
    answer = register(vauth, server, "--second-factor", "totp").ok().json
    assert answer["secondFactorCredential"]["kind"] == "Totp"
    [stored] = server.app.user(USERNAME).active("Totp")
    # The stand-in verified the registration's code with pyotp at its clock; vauth's current code agrees.
    shown = vauth.run("dfns", "totp", "--origin", TEST_ORIGIN, "--compact").ok().json
    assert set(shown) == {"otpCode", "secondsLeft", "period", "userName"}
    assert shown["period"] == parameters["period"] and shown["userName"] == USERNAME
    assert len(shown["otpCode"]) == parameters["digits"] and shown["otpCode"].isdigit()
    assert stored.totp.verify(shown["otpCode"], valid_window=1)
    rows = sorted((r["kind"], r["algorithm"]) for r in vauth.run("list", "--compact").ok().json)
    assert rows == [("key", "es256"), ("totp", None)]
    exported = next(c for c in json.loads(vauth.run("export").ok().stdout)["credentials"] if c["kind"] == "totp")
    assert exported["otpauth"].startswith("otpauth://totp/")
    assert f"algorithm={parameters['algorithm']}&digits={parameters['digits']}&period={parameters['period']}" in exported["otpauth"]
    assert base64.b32decode(exported["otpauth"].split("secret=")[1].split("&")[0]) == base64.b32decode(stored.totp.secret)


def test_login_with_key_and_totp_and_the_code_is_single_use(vauth, start):
    server = start(second_factor_kinds=("Totp",), totp_parameters={"period": 4})
    registered_at = time.time()
    register(vauth, server, "--second-factor", "totp").ok()
    wait_for_next_totp_step(4, registered_at)
    challenge = server.app.action_challenge(server.app.user(USERNAME), "login")
    assert {"kind": "Key", "factor": "first", "requiresSecondFactor": True} in challenge["supportedCredentialKinds"]
    assert login(vauth, server).ok().json["token"]
    body = next(r for r in reversed(server.app.requests) if r["path"] == "/auth/login")["body"]
    assert body["firstFactor"]["kind"] == "Key" and body["secondFactor"]["kind"] == "Totp"
    # The same code again, within its step: refused, as RFC 6238 §5.2 asks.
    before = vauth.state()
    again = login(vauth, server)
    if again.code == 0:  # the step turned between the two logins: try once more, at once
        again = login(vauth, server)
    assert_fails(again, 1, "login refused: TOTP code already used")
    assert vauth.state() == before


def test_expired_totp_code_is_refused(vauth, start):
    server = start(second_factor_kinds=("Totp",), totp_parameters={"period": 30})
    register(vauth, server, "--second-factor", "totp").ok()
    server.app.clock_offset = 3 * 30  # the service's clock is three steps ahead: vauth's code has expired there
    before = vauth.state()
    assert_fails(login(vauth, server), 1, "login refused: TOTP code is wrong or expired")
    assert vauth.state() == before


def test_login_without_the_required_second_factor_is_refused_locally(vauth, start, tmp_path):
    server = start(second_factor_kinds=("Totp",))
    register(vauth, server, "--second-factor", "totp").ok()
    exported = vauth.run("export").ok().stdout
    (tmp_path / "other").mkdir()
    other = VauthCLI(tmp_path / "other")
    keys_only = {**json.loads(exported)}
    keys_only["credentials"] = [c for c in keys_only["credentials"] if c["kind"] != "totp"]
    other.run("import", input=json.dumps(keys_only)).ok()
    before = other.state()
    assert_fails(login(other, server), 1, "the challenge requires a second factor after Key", "no TOTP secret")
    assert other.state() == before


def test_totp_is_refused_when_the_challenge_does_not_offer_it(vauth, start):
    server = start()  # secondFactor: []
    assert_fails(register(vauth, server, "--second-factor", "totp"), 1,
                 "supportedCredentialKinds.secondFactor (none) does not include Totp")
    assert vauth.keystore_bytes() is None


def test_the_service_refuses_a_kind_it_does_not_support(vauth, start):
    """A challenge that offers Totp, sent to a service that does not take it: the stand-in refuses
    the body itself, and nothing reaches the keystore."""
    server = start(second_factor_kinds=("Totp",))
    challenge = server.app.registration_challenge(server.app.new_user("carol@example.com"), "registration")
    server.app.second_factor_kinds = []
    result = vauth.run("dfns", "register", *online(server, "--challenge", "-", "--second-factor", "totp"), input=json.dumps(challenge))
    assert_fails(result, 1, "registration refused: credentialKind 'Totp' is not a supported second factor")
    assert vauth.keystore_bytes() is None


def test_totp_without_an_otp_url(vauth, start):
    server = start(second_factor_kinds=("Totp",))
    challenge = server.app.registration_challenge(server.app.new_user("dave@example.com"), "registration")
    del challenge["otpUrl"]
    result = vauth.run("dfns", "register", "--origin", TEST_ORIGIN, "--second-factor", "totp", input=json.dumps(challenge))
    assert_fails(result, 2, "challenge.otpUrl is missing")
    challenge["otpUrl"] = "otpauth://hotp/x?secret=JBSWY3DPEHPK3PXP&counter=3"
    result = vauth.run("dfns", "register", "--origin", TEST_ORIGIN, "--second-factor", "totp", input=json.dumps(challenge))
    assert_fails(result, 2, "challenge.otpUrl: the otpauth URI is of type hotp, not totp")
    assert vauth.keystore_bytes() is None


def test_totp_command_errors(vauth, start):
    assert_fails(vauth.run("dfns", "totp", "--origin", TEST_ORIGIN), 1, "there is no keystore")
    server = start()
    register(vauth, server).ok()
    assert_fails(vauth.run("dfns", "totp", "--origin", TEST_ORIGIN), 1, "this keystore holds no TOTP secret for https://app.example.com")


# ---------------------------------------------------------------- PasswordProtectedKey

def test_password_protected_key_registers_and_logs_in_here_and_on_a_fresh_machine(vauth, start, tmp_path):
    server = start(first_factor_kinds=("Key", "PasswordProtectedKey"))
    answer = register(vauth, server, "--kind", "password-protected-key").ok().json
    assert answer["credential"]["kind"] == "PasswordProtectedKey"
    sent = next(r for r in server.app.requests if r["path"] == "/auth/registration")["body"]["firstFactorCredential"]
    assert sent["credentialKind"] == "PasswordProtectedKey" and set(sent) == {"credentialKind", "credentialInfo", "encryptedPrivateKey"}
    assert PASSWORD not in json.dumps(sent)
    # The blob opens with the password and the username (the SDK's algorithm, in Python), to the registered key.
    assert server.app.check_password_protected_key(USERNAME, PASSWORD)
    assert not server.app.check_password_protected_key(USERNAME, WRONG_PASSWORD)
    assert [r["kind"] for r in vauth.run("list", "--compact").ok().json] == ["passwordProtectedKey"]
    # Here the key is in the keystore: no password needed.
    assert login(vauth, server).ok().json["token"]
    # A fresh machine: the login challenge hands out the blob; the password opens it, in memory only.
    (tmp_path / "fresh").mkdir()
    fresh = VauthCLI(tmp_path / "fresh")  # no keystore at all
    before = fresh.state()
    (tmp_path / "password").write_text(PASSWORD)
    result = fresh.run("dfns", "sign", *online(server, "--login", "--username", USERNAME, "--password-file", tmp_path / "password"))
    assert result.ok().json["token"]
    body = next(r for r in reversed(server.app.requests) if r["path"] == "/auth/login")["body"]
    assert body["firstFactor"]["kind"] == "PasswordProtectedKey" and body["firstFactor"]["credentialAssertion"]["credId"] == sent["credentialInfo"]["credId"]
    assert fresh.state() == before == {"keystore": None, ".counters": None}
    # The wrong password does not open it: refused before anything is sent.
    logins = sum(r["path"] == "/auth/login" for r in server.app.requests)
    assert_fails(login(fresh, server, password=WRONG_PASSWORD), 2, "the password and username \"alice@example.com\" do not decrypt the password-protected key")
    assert sum(r["path"] == "/auth/login" for r in server.app.requests) == logins
    assert fresh.state() == before


def test_password_protected_key_as_a_second_factor(vauth, start):
    server = start(first_factor_kinds=("Key",), second_factor_kinds=("PasswordProtectedKey",))
    answer = register(vauth, server, "--second-factor", "password-protected-key").ok().json
    assert answer["secondFactorCredential"]["kind"] == "PasswordProtectedKey"
    assert sorted(r["kind"] for r in vauth.run("list", "--compact").ok().json) == ["key", "passwordProtectedKey"]
    assert login(vauth, server).ok().json["token"]
    body = next(r for r in reversed(server.app.requests) if r["path"] == "/auth/login")["body"]
    assert (body["firstFactor"]["kind"], body["secondFactor"]["kind"]) == ("Key", "PasswordProtectedKey")


# ---------------------------------------------------------------- delegated registration, offline and online; actions

def test_delegated_challenge_offline_then_sent_by_the_backend(vauth, start):
    """A backend gets the delegated challenge with its service token, vauth makes the body offline,
    the backend sends it with the temporary token: the stand-in verifies it all."""
    server = start(first_factor_kinds=("Key", "PasswordProtectedKey"), second_factor_kinds=("Totp",))
    status, challenge = post(server, "/auth/registration/delegated", {"email": USERNAME, "kind": "EndUser"}, TEST_SERVICE_TOKEN)
    assert status == 200 and "otpUrl" in challenge
    result = vauth.run("dfns", "register", "--origin", TEST_ORIGIN, "--kind", "password-protected-key", "--second-factor", "totp",
                       input=json.dumps(challenge), env=vauth.env(VAUTH_DFNS_PASSWORD=PASSWORD)).ok()
    body = result.json
    assert PASSWORD not in result.stdout
    verify_key_credential(body["firstFactorCredential"]["credentialInfo"], challenge["challenge"], TEST_ORIGIN)
    assert body["secondFactorCredential"]["credentialKind"] == "Totp"
    status, answer = post(server, "/auth/registration", body, challenge["temporaryAuthenticationToken"])
    assert status == 200 and answer["secondFactorCredential"]["kind"] == "Totp", answer
    assert sorted(r["kind"] for r in vauth.run("list", "--compact").ok().json) == ["passwordProtectedKey", "totp"]


def test_offline_login_with_a_second_factor_prints_a_body_the_service_takes(vauth, start):
    server = start(second_factor_kinds=("Totp",), totp_parameters={"period": 4})
    registered_at = time.time()
    token = register(vauth, server, "--second-factor", "totp").ok().json["authentication"]["token"]
    wait_for_next_totp_step(4, registered_at)
    status, challenge = post(server, "/auth/action/init", {"userActionPayload": "{}", "userActionHttpMethod": "POST",
                                                           "userActionHttpPath": "/wallets", "userActionServerKind": "Api"}, token)
    assert status == 200
    body = vauth.run("dfns", "sign", "--origin", TEST_ORIGIN, input=json.dumps(challenge)).ok().json
    assert body["secondFactor"]["kind"] == "Totp"
    status, answer = post(server, "/auth/action", body, token)
    assert status == 200 and answer["userAction"].startswith("ua-"), answer
    # The same body again: the challenge was spent.
    status, answer = post(server, "/auth/action", body, token)
    assert status == 401 and "unknown or used challengeIdentifier" in answer["error"]["message"]


def test_replayed_login_challenge_is_refused_and_changes_nothing(vauth, start):
    server = start(first_factor_kinds=("Fido2", "Key"))
    register(vauth, server, "--kind", "fido2").ok()
    challenge = server.app.action_challenge(server.app.user(USERNAME), "login")
    assert vauth.run("dfns", "sign", *online(server, "--login", "--challenge", "-"), input=json.dumps(challenge)).ok().json["token"]
    counters = [r["signCount"] for r in vauth.run("list", "--compact").ok().json]
    result = vauth.run("dfns", "sign", *online(server, "--login", "--challenge", "-"), input=json.dumps(challenge))
    assert_fails(result, 1, "unknown or used challengeIdentifier")
    # The assertion was sent, so its counter stays spent (issue 18 item 9); nothing else changed.
    assert [r["signCount"] for r in vauth.run("list", "--compact").ok().json] == [c + 1 for c in counters]


def test_recovery_with_a_new_password_protected_key_and_totp(vauth, start, tmp_path):
    server = start(first_factor_kinds=("Key", "PasswordProtectedKey"), second_factor_kinds=("Totp",))
    first = register(vauth, server, "--recovery").ok()
    code = first.stderr.split("shown only now (it and the username recover the account): ")[1].split()[0]
    recovery_id = server.app.user(USERNAME).active("RecoveryKey")[0].id
    (tmp_path / "new").mkdir()
    fresh = VauthCLI(tmp_path / "new")
    recovered = fresh.run("dfns", "recover", *online(server, "--username", USERNAME, "--credential-id", recovery_id,
                                                      "--kind", "password-protected-key", "--second-factor", "totp"),
                          env=fresh.env(VAUTH_DFNS_RECOVERY_CODE=code, VAUTH_DFNS_PASSWORD=PASSWORD)).ok()
    assert sorted(c["kind"] for c in recovered.json["credentials"]) == ["PasswordProtectedKey", "Totp"]
    assert server.app.check_password_protected_key(USERNAME, PASSWORD)
    assert sorted(r["kind"] for r in fresh.run("list", "--compact").ok().json) == ["passwordProtectedKey", "totp"]


def test_export_and_import_keep_the_new_kinds(vauth, start, tmp_path):
    server = start(first_factor_kinds=("Key", "Password", "PasswordProtectedKey"), second_factor_kinds=("Totp",))
    register(vauth, server, "--kind", "password-protected-key", "--second-factor", "totp", "--keep-password").ok()
    exported = vauth.run("export").ok().stdout
    (tmp_path / "copy").mkdir()
    copy = VauthCLI(tmp_path / "copy")
    copy.run("import", input=exported).ok()
    assert sorted(r["kind"] for r in copy.run("list", "--compact").ok().json) == ["password", "passwordProtectedKey", "totp"]
    code_here = vauth.run("dfns", "totp", "--origin", TEST_ORIGIN, "--compact").ok().json["otpCode"]
    code_there = copy.run("dfns", "totp", "--origin", TEST_ORIGIN, "--compact").ok().json["otpCode"]
    assert code_here == code_there or time.time() % 30 < 1  # the same secret (unless the step just turned)
    # Malformed secrets are refused by name, the keystore unchanged.
    document = json.loads(exported)
    totp = next(c for c in document["credentials"] if c["kind"] == "totp")
    before = copy.state()
    for change, message in [({"otpauth": "otpauth://totp/x?secret=1"}, "otpauth: the otpauth secret is not base32"),
                            ({"privateKey": "AAAA"}, "privateKey does not belong to a totp credential"),
                            ({"password": ""}, "password does not belong to a totp credential")]:
        bad = {**document, "credentials": [{**totp, **change, "credentialId": base64.urlsafe_b64encode(hashlib.sha256(
            message.encode()).digest()).rstrip(b"=").decode()}]}
        result = copy.run("import", input=json.dumps(bad))
        assert_fails(result, 2, message)
    assert copy.state() == before


def test_the_readme_example_runs(vauth, start, tmp_path):
    """The README's "Passwords, TOTP and password-protected keys" block, against the stand-in
    (its TOTP period shortened, so the login's code is a fresh one within seconds)."""
    import re
    import shlex
    import subprocess
    from vauthcli import REPO
    server = start(first_factor_kinds=("Key", "PasswordProtectedKey"), second_factor_kinds=("Totp",), totp_parameters={"period": 4})
    readme = (REPO / "README.md").read_text()
    block = readme.split("### Passwords, TOTP and password-protected keys")[1].split("```sh\n")[1].split("```")[0]
    commands = [line.split("  #")[0].strip() for line in block.replace("\\\n", " ").splitlines() if line.startswith("vauth ")]
    assert [c.split()[2] for c in commands] == ["register", "totp", "sign"]
    (tmp_path / "password.txt").write_text(PASSWORD + "\n")
    env = vauth.env(VAUTH_DFNS_TOKEN=TEST_SERVICE_TOKEN)
    outputs = []
    for index, command in enumerate(commands):
        if index == 2:
            wait_for_next_totp_step(4, registered_at)
        args = shlex.split(command.replace('"$API"', server.url).replace('"$APP"', TEST_APP_ID))
        done = subprocess.run([vauth.binary, *args[1:]], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, (command, done.stderr)
        assert PASSWORD not in done.stdout + done.stderr
        outputs.append(json.loads(done.stdout))
        if index == 0:
            registered_at = time.time()
    assert outputs[0]["credential"]["kind"] == "PasswordProtectedKey"
    assert re.fullmatch(r"\d{6}", outputs[1]["otpCode"])
    assert outputs[2]["token"].startswith("tok-")
