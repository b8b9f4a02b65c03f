"""Tokens, API keys and recovery codes reach vauth from a file or the environment, not only from
the command line, where every local user can read them in /proc/PID/cmdline (issue 18, item 11).
The command-line forms keep working but warn, saying why and what to use instead; a file with a
trailing newline is fine, one with two lines or nothing in it is refused by name; `--help` says
all of this."""
from __future__ import annotations

import json
import re

import pytest

from standins import dfns as dfns_standin
from standins.dfns import TEST_APP_ID, TEST_ORIGIN, TEST_SERVICE_TOKEN, generate_recovery_code
from standins.passwordless import TEST_API_KEY
from test_dfns_cli import python_recovery_credential, registration_challenge
from test_passwordless_e2e import ALIAS, Backend


@pytest.fixture
def dfns_server():
    handle = dfns_standin.start_server()
    yield handle
    handle.stop()


def warnings(result) -> list[str]:
    return [line for line in result.stderr.splitlines() if line.startswith("vauth: warning:")]


def assert_one_error(result, status, fragment):
    assert result.code == status, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("vauth: error:") and fragment in lines[0], result.stderr
    return lines[0]


def passwordless(vauth, server, *args, env=None, **run):
    return vauth.run(*args, "--origin", "https://example.com", "--api-url", server.url, env=vauth.env(**(env or {})), **run)


# ---------------------------------------------------------------- Passwordless.dev

def test_register_token_and_api_key_from_files(passwordless_server, vauth, tmp_path):
    backend = Backend(passwordless_server.url)
    (tmp_path / "token").write_text(backend.register_token(aliases=[ALIAS]) + "\n")
    (tmp_path / "key").write_text(TEST_API_KEY + "\r\n")
    result = passwordless(vauth, passwordless_server, "register", "--token-file", tmp_path / "token",
                          "--api-key-file", tmp_path / "key").ok()
    assert result.stderr == ""
    assert backend.verify(result.json["token"])["type"] == "passkey_register"
    signed = passwordless(vauth, passwordless_server, "signin", "--alias", ALIAS, "--api-key-file", tmp_path / "key").ok()
    assert signed.stderr == "" and backend.verify(signed.json["token"])["type"] == "passkey_signin"


def test_register_token_on_the_command_line_works_with_a_warning(passwordless_server, vauth):
    backend = Backend(passwordless_server.url)
    token = backend.register_token(aliases=[ALIAS])
    result = passwordless(vauth, passwordless_server, "register", token, env={"VAUTH_PASSWORDLESS_API_KEY": TEST_API_KEY}).ok()
    [warning] = warnings(result)
    assert "register token on the command line (the TOKEN argument)" in warning
    assert "/proc/PID/cmdline" in warning and "--token-file FILE or $VAUTH_PASSWORDLESS_TOKEN" in warning
    assert token not in result.stderr
    assert backend.verify(result.json["token"])["success"] is True


def test_api_key_on_the_command_line_works_with_a_warning(passwordless_server, vauth):
    backend = Backend(passwordless_server.url)
    result = passwordless(vauth, passwordless_server, "register", "--api-key", TEST_API_KEY,
                          env={"VAUTH_PASSWORDLESS_TOKEN": backend.register_token()}).ok()
    [warning] = warnings(result)
    assert "Passwordless.dev API key on the command line (--api-key)" in warning
    assert "--api-key-file FILE or $VAUTH_PASSWORDLESS_API_KEY" in warning
    assert TEST_API_KEY not in result.stderr


@pytest.mark.parametrize("content, message", [
    ("", "the register token is empty"),
    ("\n", "the register token is empty"),
    ("register_one\nregister_two\n", "contains a line break or another control character"),
    ("register_\x1bx", "contains a line break or another control character"),
])
def test_register_token_file_that_is_not_one_token(passwordless_server, vauth, tmp_path, content, message):
    (tmp_path / "token").write_text(content)
    result = passwordless(vauth, passwordless_server, "register", "--token-file", tmp_path / "token",
                          env={"VAUTH_PASSWORDLESS_API_KEY": TEST_API_KEY})
    line = assert_one_error(result, 2, message)
    assert f"the register token file {tmp_path / 'token'}" in line
    assert vauth.keystore_bytes() is None


def test_token_argument_and_token_file_exclude_each_other(passwordless_server, vauth, tmp_path):
    (tmp_path / "token").write_text("register_x")
    result = passwordless(vauth, passwordless_server, "register", "register_y", "--token-file", tmp_path / "token",
                          env={"VAUTH_PASSWORDLESS_API_KEY": TEST_API_KEY})
    assert_one_error(result, 2, "give the register token as the TOKEN argument or with --token-file, not both")


def test_unreadable_token_file(passwordless_server, vauth, tmp_path):
    result = passwordless(vauth, passwordless_server, "register", "--token-file", tmp_path / "missing",
                          env={"VAUTH_PASSWORDLESS_API_KEY": TEST_API_KEY})
    assert_one_error(result, 2, f"cannot read register token file {tmp_path / 'missing'}: No such file or directory")


# ---------------------------------------------------------------- Dfns

def dfns_register(vauth, server, *flags, env=None):
    return vauth.run("dfns", "register", "--origin", TEST_ORIGIN, "--api-url", server.url, "--app-id", TEST_APP_ID,
                     "--username", "alice@example.com", *flags, env=vauth.env(**(env or {})))


def test_dfns_token_from_a_file_or_the_environment(dfns_server, vauth, tmp_path):
    (tmp_path / "token").write_text(TEST_SERVICE_TOKEN + "\n")
    result = dfns_register(vauth, dfns_server, "--token-file", tmp_path / "token").ok()
    assert result.stderr == "" and result.json["credential"]["kind"] == "Key"
    assert dfns_server.app.requests[0]["authorization"] == TEST_SERVICE_TOKEN
    other = dfns_register(vauth, dfns_server, env={"VAUTH_DFNS_TOKEN": TEST_SERVICE_TOKEN})
    assert_one_error(other, 1, "user alice@example.com is already registered")  # it got as far as the service


def test_dfns_token_on_the_command_line_works_with_a_warning(dfns_server, vauth):
    result = dfns_register(vauth, dfns_server, "--token", TEST_SERVICE_TOKEN).ok()
    [warning] = warnings(result)
    assert "Dfns bearer token on the command line (--token)" in warning
    assert "--token-file FILE or $VAUTH_DFNS_TOKEN" in warning and TEST_SERVICE_TOKEN not in warning


def test_dfns_token_twice_is_refused(dfns_server, vauth, tmp_path):
    (tmp_path / "token").write_text(TEST_SERVICE_TOKEN)
    result = dfns_register(vauth, dfns_server, "--token", TEST_SERVICE_TOKEN, "--token-file", tmp_path / "token")
    assert_one_error(result, 2, "give the Dfns bearer token as --token or with --token-file, not both")
    assert dfns_server.app.requests == []


def test_action_without_any_token_says_how_to_give_one(dfns_server, vauth):
    vauth.run("dfns", "register", "--origin", TEST_ORIGIN, input=json.dumps(registration_challenge())).ok()
    result = vauth.run("dfns", "sign", "--origin", TEST_ORIGIN, "--api-url", dfns_server.url, "--app-id", TEST_APP_ID,
                       "--action-path", "/wallets")
    assert_one_error(result, 2, "signing a user action needs a Dfns bearer token (--token-file FILE or $VAUTH_DFNS_TOKEN)")


def test_recovery_code_from_a_file_and_on_the_command_line(vauth, tmp_path):
    code = generate_recovery_code()
    _, allowed = python_recovery_credential(code)
    challenge = json.dumps(registration_challenge(recovery=[allowed]))
    (tmp_path / "code").write_text(code.lower() + "\n")
    result = vauth.run("dfns", "recover", "--origin", TEST_ORIGIN, "--code-file", tmp_path / "code", input=challenge).ok()
    assert result.stderr == "" and result.json["recovery"]["kind"] == "RecoveryKey"
    other = vauth.run("dfns", "recover", "--origin", TEST_ORIGIN, "--code", code, input=challenge)
    assert other.code == 0, other.stderr
    [warning] = warnings(other)
    assert "recovery code on the command line (--code)" in warning
    assert "--code-file FILE or $VAUTH_DFNS_RECOVERY_CODE" in warning and code not in other.stderr


# ---------------------------------------------------------------- --help says so

@pytest.mark.parametrize("command, wanted", [
    (["register"], ["--token-file", "VAUTH_PASSWORDLESS_TOKEN", "--api-key-file", "VAUTH_PASSWORDLESS_API_KEY",
                    "every local user can read", "--allow-insecure-http"]),
    (["signin"], ["--api-key-file", "VAUTH_PASSWORDLESS_API_KEY", "every local user can read"]),
    (["dfns", "register"], ["--token-file", "VAUTH_DFNS_TOKEN", "every local user can read", "--allow-insecure-http"]),
    (["dfns", "sign"], ["--token-file", "VAUTH_DFNS_TOKEN"]),
    (["dfns", "recover"], ["--code-file", "VAUTH_DFNS_RECOVERY_CODE", "--token-file"]),
])
def test_help_names_the_file_and_environment_forms(vauth, command, wanted):
    text = re.sub(r"\s+", " ", vauth.run(*command, "--help").ok().stdout)
    for fragment in wanted:
        assert fragment in text, (command, fragment)
