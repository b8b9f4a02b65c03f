r"""vauth against Passwordless.dev, end to end, the way a backend developer uses it: the backend
asks for a register token, vauth (in place of the browser and passwordless-client-js) registers or
signs in, the backend verifies the token vauth printed. The service is the repository's stand-in
(standins/passwordless.py), which verifies every ceremony with py_webauthn, never with vauth.

Test your own Passwordless.dev backend with vauth (bash; needs curl and jq):

```sh
set -euo pipefail
# Your application's API keys (admin console) and the origin your frontend runs on.
API=https://v4.passwordless.dev
SECRET='myapp:secret:00000000000000000000000000000000'
PUBLIC='myapp:public:00000000000000000000000000000000'
ORIGIN=https://example.com

# A throwaway keystore for vauth, unlocked by a random key file (no passphrase prompt).
umask 077
export VAUTH_KEYSTORE="$(mktemp -d)/keystore.vauth"
head -c 32 /dev/urandom > "$VAUTH_KEYSTORE.key"
export VAUTH_KEY_FILE="$VAUTH_KEYSTORE.key"
export VAUTH_PASSWORDLESS_URL="$API" VAUTH_PASSWORDLESS_API_KEY="$PUBLIC"

# 1. Backend: a register token for user-123, who will sign in as alice@example.com.
REGISTER=$(curl -sS --fail-with-body "$API/register/token" \
  -H "ApiSecret: $SECRET" -H 'Content-Type: application/json' \
  -d '{"userId": "user-123", "username": "alice@example.com", "aliases": ["alice@example.com"]}' \
  | jq -r .token)

# 2. Client: vauth registers a passkey with it and prints {"token": "verify_…", "credentialId": …}.
#    The token goes in the environment, not on the command line, where other local users could read it.
VERIFY=$(VAUTH_PASSWORDLESS_TOKEN="$REGISTER" vauth register --origin "$ORIGIN" --nickname "vauth test" --compact | jq -r .token)

# 3. Backend: verify the token, as your backend does after a browser registration.
curl -sS --fail-with-body "$API/signin/verify" \
  -H "ApiSecret: $SECRET" -H 'Content-Type: application/json' \
  -d "{\"token\": \"$VERIFY\"}" | jq -e '.success and .type == "passkey_register" and .userId == "user-123"'

# 4. Sign in by alias (or --user-id user-123, or neither for a discoverable passkey), then verify.
VERIFY=$(vauth signin --origin "$ORIGIN" --alias alice@example.com --compact | jq -r .token)
curl -sS --fail-with-body "$API/signin/verify" \
  -H "ApiSecret: $SECRET" -H 'Content-Type: application/json' \
  -d "{\"token\": \"$VERIFY\"}" | jq -e '.success and .type == "passkey_signin" and .userId == "user-123"'
```

Add `--rp-id example.com` when the origin is a subdomain (e.g. https://login.example.com), and
`--api-url`/`--api-key-file` instead of the environment variables if you prefer. vauth exits 1 when the
service refuses (its one-line error carries the service's title and errorCode) or cannot be
reached, 2 on bad local input (no key, the secret key, an RP ID that does not fit the origin).
`test_readme_recipe_runs` runs exactly this block against the stand-in.
"""
from __future__ import annotations

import base64
import collections
import json
import os
import re
import socket
import subprocess
import time
import urllib.error
import urllib.request

import pytest

from standins.passwordless import TEST_API_KEY, TEST_API_SECRET, start_server
from vauthcli import VauthCLI, vauth_binary

ORIGIN, RP = "https://example.com", "example.com"
USER, ALIAS = "user-42", "alice@example.com"
WRONG_KEY = "test:public:00000000000000000000000000000000"
CLIENT_ENDPOINTS = ("register_begin", "register_complete", "signin_begin", "signin_complete")


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


# ------------------------------------------------------------------ the backend side

class Backend:
    """What an RP's backend does with its secret key, plus the stand-in's test controls."""

    def __init__(self, url: str):
        self.url = url

    def call(self, path, body=None, *, secret=TEST_API_SECRET, method="POST"):
        headers = {"ApiSecret": secret} if secret else {}
        data = None
        if body is not None:
            data, headers["Content-Type"] = json.dumps(body).encode(), "application/json"
        request = urllib.request.Request(self.url + path, data=data, headers=headers, method=method)
        try:
            response = urllib.request.urlopen(request, timeout=10)
        except urllib.error.HTTPError as err:
            response = err
        with response:
            payload = response.read()
            return response.status, json.loads(payload) if payload else None

    def register_token(self, user_id=USER, username=ALIAS, **props) -> str:
        status, body = self.call("/register/token", {"userId": user_id, "username": username, **props})
        assert status == 200, body
        return body["token"]

    def verify(self, token: str) -> dict:
        status, body = self.call("/signin/verify", {"token": token})
        assert status == 200, body
        return body

    def credentials(self, user_id=USER) -> list:
        status, body = self.call("/credentials/list", {"userId": user_id})
        assert status == 200, body
        return body["values"]

    def state(self) -> dict:
        return self.call("/__test/state", method="GET", secret=None)[1]

    def advance(self, seconds: float):
        assert self.call("/__test/advance", {"seconds": seconds}, secret=None)[0] == 200

    def fault(self, mode, seconds: float = 5):
        assert self.call("/__test/fault", {"mode": mode, "seconds": seconds}, secret=None)[0] == 200


def count_calls(app) -> collections.Counter:
    """Count the client endpoints' calls that reach the stand-in's handlers (the route table looks
    the handlers up on the instance at every request, so wrapping them there sees every call)."""
    calls = collections.Counter()
    for name in CLIENT_ENDPOINTS:
        handler = getattr(app, name)

        def counted(body, ctx, _name=name, _handler=handler):
            calls[_name] += 1
            return _handler(body, ctx)
        setattr(app, name, counted)
    return calls


@pytest.fixture
def backend(passwordless_server):
    return Backend(passwordless_server.url)


@pytest.fixture
def calls(passwordless_server):
    return count_calls(passwordless_server.app)


# ------------------------------------------------------------------ the client side (vauth)

def client_env(vauth, key=TEST_API_KEY, token=None, **extra) -> dict:
    """The API key and the register token in the environment: on the command line they would be
    visible to other local users, and vauth warns there (test_secret_inputs)."""
    return vauth.env(VAUTH_PASSWORDLESS_API_KEY=key, VAUTH_PASSWORDLESS_TOKEN=token, **extra)


def register(vauth, server, token, *flags, origin=ORIGIN, key=TEST_API_KEY, **run):
    return vauth.run("register", "--origin", origin, "--api-url", server.url, *flags,
                     env=client_env(vauth, key, token), **run)


def signin(vauth, server, *flags, origin=ORIGIN, key=TEST_API_KEY, **run):
    return vauth.run("signin", "--origin", origin, "--api-url", server.url, *flags, env=client_env(vauth, key), **run)


def registered(vauth, server, backend, *flags, **token_props) -> dict:
    """Register USER (alias ALIAS) with vauth; the parsed `vauth register` output."""
    result = register(vauth, server, backend.register_token(aliases=[ALIAS], **token_props), *flags).ok()
    assert result.stderr == ""
    return result.json


def assert_fails(result, code: int, *fragments: str):
    """A clean failure: the exit code, nothing on stdout, one `vauth: error:` line on stderr that
    contains every fragment (e.g. the service's title and errorCode)."""
    assert result.code == code, f"exit {result.code}, stdout {result.stdout!r}, stderr {result.stderr!r}"
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("vauth: error: "), result.stderr
    for fragment in fragments:
        assert fragment in lines[0], f"{fragment!r} not in {lines[0]!r}"
    return lines[0]


def no_keystore(vauth) -> bool:
    return vauth.state() == {"keystore": None, ".counters": None}


def vauth_credentials(vauth) -> list:
    return vauth.run("list").ok().json


def another_vauth(tmp_path, name: str) -> VauthCLI:
    (tmp_path / name).mkdir()
    return VauthCLI(tmp_path / name)


def closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}"


# ------------------------------------------------------------------ happy paths

@pytest.mark.parametrize("discoverable", [True, False], ids=["discoverable", "non-discoverable"])
@pytest.mark.parametrize("attestation", ["none", "direct"])
def test_register_then_sign_in_and_verify(tmp_path, vauth, attestation, discoverable):
    roots = []
    if attestation == "direct":  # the backend trusts vauth's attestation root, as an RP would
        pem = tmp_path / "vauth-root.pem"
        pem.write_text(vauth.run("attestation-ca").ok().stdout)
        roots = [pem.read_bytes()]
    with start_server(trusted_root_pems=roots) as server:
        backend, calls = Backend(server.url), count_calls(server.app)
        token = backend.register_token(attestation=attestation, discoverable=discoverable, aliases=[ALIAS])
        result = register(vauth, server, token).ok()
        assert result.stderr == ""
        printed = result.json
        assert set(printed) == {"token", "credentialId"} and printed["token"].startswith("verify_")
        verified = backend.verify(printed["token"])
        assert verified["success"] is True and verified["type"] == "passkey_register"
        assert verified["userId"] == USER and verified["credentialId"] == printed["credentialId"]
        assert verified["rpId"] == RP and verified["origin"] == ORIGIN

        sign_ins = [["--alias", ALIAS], ["--user-id", USER]]
        for flags in sign_ins:
            result = signin(vauth, server, *flags).ok()
            assert set(result.json) == {"token"}
            verified = backend.verify(result.json["token"])
            assert verified["success"] is True and verified["type"] == "passkey_signin"
            assert verified["userId"] == USER and verified["credentialId"] == printed["credentialId"]
            assert verified["rpId"] == RP and verified["origin"] == ORIGIN

        before, completes = vauth.state(), calls["signin_complete"]
        result = signin(vauth, server)  # neither --alias nor --user-id: a discoverable credential
        if discoverable:
            verified = backend.verify(result.ok().json["token"])
            assert verified["success"] is True and verified["userId"] == USER
            assert verified["credentialId"] == printed["credentialId"]
            sign_ins.append([])
        else:  # the passkey is not discoverable: nothing to offer, nothing sent to /signin/complete
            assert_fails(result, 1)
            assert vauth.state() == before and calls["signin_complete"] == completes

        stored = backend.credentials()
        assert len(stored) == 1
        assert stored[0]["descriptor"]["id"] == printed["credentialId"]
        assert stored[0]["signatureCounter"] == len(sign_ins)
        assert stored[0]["isDiscoverable"] is discoverable
        assert stored[0]["rpid"] == RP and stored[0]["userId"] == USER
        if attestation == "direct":
            assert stored[0]["attestationFmt"] == "packed"
            assert stored[0]["aaGuid"] != "00000000-0000-0000-0000-000000000000"
        else:
            assert stored[0]["attestationFmt"] == "none"
            assert stored[0]["aaGuid"] == "00000000-0000-0000-0000-000000000000"

        [mine] = vauth_credentials(vauth)
        assert mine["credentialId"] == printed["credentialId"] and mine["rpId"] == RP
        assert mine["userHandle"] == b64url(USER.encode()) and mine["userName"] == ALIAS
        assert mine["signCount"] == len(sign_ins) and mine["discoverable"] is discoverable


def test_nickname_reaches_signin_verify(passwordless_server, backend, vauth):
    printed = registered(vauth, passwordless_server, backend, "--nickname", "Alice's vauth")
    assert backend.verify(printed["token"])["nickname"] == "Alice's vauth"
    assert backend.credentials()[0]["nickname"] == "Alice's vauth"
    token = signin(vauth, passwordless_server, "--alias", ALIAS).ok().json["token"]
    assert backend.verify(token)["nickname"] == "Alice's vauth"


def test_rp_id_of_a_subdomain_origin(passwordless_server, backend, vauth):
    origin = "https://login.example.com"
    token = backend.register_token(aliases=[ALIAS])
    printed = register(vauth, passwordless_server, token, "--rp-id", RP, origin=origin).ok().json
    verified = backend.verify(printed["token"])
    assert verified["success"] is True and verified["rpId"] == RP and verified["origin"] == origin
    assert vauth_credentials(vauth)[0]["rpId"] == RP
    # The passkey belongs to example.com: usable from the subdomain and from example.com itself.
    for flags, at in ((["--rp-id", RP], origin), ([], ORIGIN)):
        token = signin(vauth, passwordless_server, "--alias", ALIAS, *flags, origin=at).ok().json["token"]
        verified = backend.verify(token)
        assert verified["success"] is True and verified["rpId"] == RP and verified["origin"] == at
        assert verified["credentialId"] == printed["credentialId"]


def test_environment_variables_stand_for_the_flags(passwordless_server, backend, vauth):
    env = vauth.env(VAUTH_PASSWORDLESS_URL=passwordless_server.url, VAUTH_PASSWORDLESS_API_KEY=TEST_API_KEY)
    token = backend.register_token(aliases=[ALIAS])
    printed = vauth.run("register", "--origin", ORIGIN, env=dict(env, VAUTH_PASSWORDLESS_TOKEN=token)).ok().json
    assert backend.verify(printed["token"])["credentialId"] == printed["credentialId"]
    token = vauth.run("signin", "--origin", ORIGIN, "--alias", ALIAS, env=env).ok().json["token"]
    assert backend.verify(token)["userId"] == USER


def test_flags_win_over_the_environment(passwordless_server, backend, vauth, tmp_path):
    env = vauth.env(VAUTH_PASSWORDLESS_URL=closed_port_url(), VAUTH_PASSWORDLESS_API_KEY=WRONG_KEY,
                    VAUTH_PASSWORDLESS_TOKEN="register_" + "B" * 43)
    (tmp_path / "api-key").write_text(TEST_API_KEY + "\n")
    (tmp_path / "token").write_text(backend.register_token(aliases=[ALIAS]))
    flags = ["--api-url", passwordless_server.url, "--api-key-file", tmp_path / "api-key"]
    printed = vauth.run("register", "--token-file", tmp_path / "token", "--origin", ORIGIN, *flags, env=env).ok()
    assert printed.stderr == "" and backend.verify(printed.json["token"])["success"] is True
    # The command-line forms win too (with their warning).
    token = backend.register_token("user-43", "bob@example.com", aliases=["bob@example.com"])
    printed = vauth.run("register", token, "--origin", ORIGIN, "--api-url", passwordless_server.url, "--api-key", TEST_API_KEY,
                        env=env).ok()
    assert backend.verify(printed.json["token"])["userId"] == "user-43"
    token = vauth.run("signin", "--origin", ORIGIN, *flags, env=env).ok().json["token"]
    assert backend.verify(token)["success"] is True


def test_counters_agree_after_n_sign_ins(passwordless_server, backend, vauth):
    printed = registered(vauth, passwordless_server, backend)
    assert backend.credentials()[0]["signatureCounter"] == 0
    for n in range(1, 5):
        token = signin(vauth, passwordless_server, "--alias", ALIAS).ok().json["token"]
        assert backend.verify(token)["credentialId"] == printed["credentialId"]
        assert backend.credentials()[0]["signatureCounter"] == n
        assert vauth_credentials(vauth)[0]["signCount"] == n


def test_zero_counter_credential_signs_in_with_counter_zero(passwordless_server, backend, vauth):
    printed = registered(vauth, passwordless_server, backend, "--counter", "zero")
    for flags in (["--alias", ALIAS], ["--user-id", USER], []):
        token = signin(vauth, passwordless_server, *flags).ok().json["token"]
        assert backend.verify(token)["credentialId"] == printed["credentialId"]
    assert backend.credentials()[0]["signatureCounter"] == 0
    assert vauth_credentials(vauth)[0]["signCount"] == 0


def test_two_users_in_one_keystore_sign_in_as_themselves(passwordless_server, backend, vauth):
    alice = registered(vauth, passwordless_server, backend)
    bob_token = backend.register_token("user-43", "bob@example.com", aliases=["bob@example.com"])
    bob = register(vauth, passwordless_server, bob_token).ok().json
    assert alice["credentialId"] != bob["credentialId"]
    for alias, user, printed in ((ALIAS, USER, alice), ("bob@example.com", "user-43", bob)):
        verified = backend.verify(signin(vauth, passwordless_server, "--alias", alias).ok().json["token"])
        assert verified["userId"] == user and verified["credentialId"] == printed["credentialId"]


def test_api_url_with_a_trailing_slash(passwordless_server, backend, vauth):
    token = backend.register_token()
    result = vauth.run("register", "--origin", ORIGIN, "--api-url", passwordless_server.url + "/",
                       env=client_env(vauth, token=token))
    assert backend.verify(result.ok().json["token"])["success"] is True


def test_localhost_origin_over_http(passwordless_server, backend, vauth):
    origin = "http://localhost:8080"  # a frontend in development
    printed = register(vauth, passwordless_server, backend.register_token(aliases=[ALIAS]), origin=origin).ok().json
    verified = backend.verify(printed["token"])
    assert verified["rpId"] == "localhost" and verified["origin"] == origin
    verified = backend.verify(signin(vauth, passwordless_server, "--alias", ALIAS, origin=origin).ok().json["token"])
    assert verified["credentialId"] == printed["credentialId"] and verified["rpId"] == "localhost"


def test_non_ascii_user_id_and_alias(passwordless_server, backend, vauth):
    user, alias = "ユーザー-7", "jürgen@bücher.example"
    token = backend.register_token(user, alias, displayName="Jürgen Müller", aliases=[alias])
    printed = register(vauth, passwordless_server, token).ok().json
    assert backend.verify(printed["token"])["userId"] == user
    for flags in (["--alias", alias], ["--user-id", user], []):
        verified = backend.verify(signin(vauth, passwordless_server, *flags).ok().json["token"])
        assert verified["userId"] == user and verified["credentialId"] == printed["credentialId"]
    [mine] = vauth_credentials(vauth)
    assert mine["userHandle"] == b64url(user.encode()) and mine["userName"] == alias


def test_client_calls_carry_the_public_key_and_client_version(passwordless_server, backend, vauth):
    seen = []

    class Recording(passwordless_server.httpd.RequestHandlerClass):
        def _handle(self):
            seen.append((self.path, self.headers))
            return super()._handle()
        do_GET = do_POST = _handle
    passwordless_server.httpd.RequestHandlerClass = Recording
    registered(vauth, passwordless_server, backend)
    signin(vauth, passwordless_server, "--alias", ALIAS).ok()
    client = [(path, headers) for path, headers in seen if path not in ("/register/token",)]
    assert [path for path, _ in client] == ["/register/begin", "/register/complete", "/signin/begin",
                                            "/signin/complete"]
    for path, headers in client:
        assert headers["ApiKey"] == TEST_API_KEY, path
        assert headers.get("ApiSecret") is None, path
        assert headers["Content-Type"].split(";")[0] == "application/json", path
        assert re.fullmatch(r"vauth-\d+\.\d+\.\d+\S*", headers["Client-Version"]), headers["Client-Version"]


def test_readme_recipe_runs(passwordless_server, tmp_path):
    """The shell recipe of this module's docstring, against the stand-in."""
    script = re.search(r"```sh\n(.*?)```", __doc__, re.S).group(1)
    settings = {"API": passwordless_server.url, "SECRET": f"'{TEST_API_SECRET}'", "PUBLIC": f"'{TEST_API_KEY}'"}
    for name, value in settings.items():
        script, n = re.subn(rf"^{name}=.*$", f"{name}={value}", script, flags=re.M)
        assert n == 1
    bindir = tmp_path / "bin"
    bindir.mkdir()
    (bindir / "vauth").symlink_to(vauth_binary())
    env = {k: v for k, v in os.environ.items() if not k.startswith("VAUTH_")}
    env.update(PATH=f"{bindir}:{env.get('PATH', '/usr/bin:/bin')}", TMPDIR=str(tmp_path))
    done = subprocess.run(["bash", "-c", script], capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.split() == ["true", "true"]
    [stored] = Backend(passwordless_server.url).credentials("user-123")
    assert stored["signatureCounter"] == 1 and stored["nickname"] == "vauth test"


# ------------------------------------------------------------------ registration refused

def test_expired_register_token(passwordless_server, backend, calls, vauth):
    token = backend.register_token()
    backend.advance(121)
    assert_fails(register(vauth, passwordless_server, token), 1, "The token expired", "expired_token", "403")
    assert no_keystore(vauth)
    assert calls["register_complete"] == 0


def test_unknown_register_token(passwordless_server, calls, vauth):
    result = register(vauth, passwordless_server, "register_" + "A" * 43)
    assert_fails(result, 1, "The token you sent was not correct.", "invalid_token")
    assert no_keystore(vauth)
    assert calls["register_complete"] == 0


def test_reused_register_token(passwordless_server, backend, vauth):
    token = backend.register_token()
    register(vauth, passwordless_server, token).ok()
    before = vauth.state()
    result = register(vauth, passwordless_server, token)
    assert_fails(result, 1, "The token has already been used.", "invalid_token")
    assert vauth.state() == before
    assert len(vauth_credentials(vauth)) == 1 and len(backend.credentials()) == 1


def test_wrong_api_key(passwordless_server, backend, calls, vauth):
    token = backend.register_token()
    result = register(vauth, passwordless_server, token, key=WRONG_KEY)
    assert_fails(result, 1, "A valid 'ApiKey' header is required.", "invalid_api_key", "401")
    assert no_keystore(vauth)
    assert sum(calls.values()) == 0  # refused at authentication, before any handler


def test_secret_key_is_refused_locally(passwordless_server, backend, calls, vauth):
    token = backend.register_token()
    result = register(vauth, passwordless_server, token, key=TEST_API_SECRET)
    line = assert_fails(result, 2, "secret")
    assert TEST_API_SECRET not in line  # an error line must not echo the secret
    assert no_keystore(vauth)
    assert sum(calls.values()) == 0
    register(vauth, passwordless_server, token).ok()  # the token was never spent


def test_no_api_key(passwordless_server, backend, calls, vauth):
    token = backend.register_token()
    result = vauth.run("register", "--origin", ORIGIN, "--api-url", passwordless_server.url, env=client_env(vauth, None, token))
    assert_fails(result, 2, "API key")
    assert no_keystore(vauth) and sum(calls.values()) == 0


def test_service_down(vauth):
    url = closed_port_url()
    result = vauth.run("register", "--origin", ORIGIN, "--api-url", url, env=client_env(vauth, token="register_" + "A" * 43))
    assert_fails(result, 1, "cannot reach", "connection refused")
    assert no_keystore(vauth)


def test_answer_that_is_not_json(passwordless_server, backend, vauth):
    token = backend.register_token()
    backend.fault("html")
    assert_fails(register(vauth, passwordless_server, token), 1, "not JSON", "text/html")
    assert no_keystore(vauth)


def test_http_500(passwordless_server, backend, vauth):
    token = backend.register_token()
    backend.fault("500")
    assert_fails(register(vauth, passwordless_server, token), 1, "HTTP 500", "The api has encountered an error")
    assert no_keystore(vauth)


def test_slow_service_times_out(passwordless_server, backend, vauth):
    token = backend.register_token()
    backend.fault("slow", seconds=4)
    started = time.monotonic()
    result = register(vauth, passwordless_server, token, "--timeout", "1")
    elapsed = time.monotonic() - started
    assert_fails(result, 1, "timed out")
    assert elapsed < 3.5, f"--timeout 1 took {elapsed:.1f} s"
    assert no_keystore(vauth)


@pytest.mark.parametrize("origin,rp_id", [
    ("https://example.com", "example.org"),      # not a suffix of the origin's host
    ("https://example.com", "login.example.com"),  # a subdomain of the origin, not a suffix
    ("https://myapp.github.io", "github.io"),    # a public suffix
])
def test_rp_id_that_does_not_fit_the_origin(passwordless_server, backend, calls, vauth, origin, rp_id):
    token = backend.register_token()
    result = register(vauth, passwordless_server, token, "--rp-id", rp_id, origin=origin)
    assert_fails(result, 2, rp_id)
    assert no_keystore(vauth)
    assert sum(calls.values()) == 0 and backend.state()["sessions"] == 0
    register(vauth, passwordless_server, token).ok()  # the token was never spent


@pytest.mark.parametrize("args,fragment", [
    (["--token-file", "/dev/null", "--origin", ORIGIN], "the register token is empty"),
    (["--origin", ORIGIN], "no register token"),
    (["TOKEN", "--origin", "example.com"], "example.com"),
    (["TOKEN", "--origin", "http://example.com"], "http://example.com"),
    (["TOKEN", "--origin", ORIGIN, "--api-url", "ftp://example.com"], "--api-url"),
    (["TOKEN", "--origin", ORIGIN, "--timeout", "0"], "--timeout"),
], ids=["empty-token", "no-token", "origin-without-scheme", "insecure-origin", "api-url-not-http", "timeout-zero"])
def test_register_bad_local_input(passwordless_server, backend, calls, vauth, args, fragment):
    token = backend.register_token()
    env = client_env(vauth, token=token if "TOKEN" in args else None)
    args = [a for a in args if a != "TOKEN"]
    if "--api-url" not in args:
        args += ["--api-url", passwordless_server.url]
    result = vauth.run("register", *args, env=env)
    assert_fails(result, 2, fragment)
    assert no_keystore(vauth) and sum(calls.values()) == 0


def test_nickname_longer_than_64_characters(passwordless_server, backend, vauth):
    # `vauth register --help`: "A nickname for the credential (at most 64 characters)". Refused
    # locally (2) or by the service (1), the error line has to say that the nickname is wrong.
    result = register(vauth, passwordless_server, backend.register_token(), "--nickname", "n" * 65)
    assert result.code in (1, 2)
    assert_fails(result, result.code, "nickname")
    assert no_keystore(vauth) and backend.credentials() == []


def test_complete_answer_without_token_stores_nothing(passwordless_server, backend, calls, vauth):
    complete = passwordless_server.app.register_complete

    def tokenless(body, ctx):  # the service stores the credential but answers without a token
        status, _ = complete(body, ctx)
        return status, {}
    passwordless_server.app.register_complete = tokenless
    assert_fails(register(vauth, passwordless_server, backend.register_token()), 1, "token")
    assert no_keystore(vauth)


def test_refused_at_register_complete_stores_nothing(passwordless_server, backend, calls, tmp_path, vauth):
    # Two register tokens promise the same alias to two users; the first registration takes it,
    # so the stand-in refuses the second at /register/complete (after vauth made the credential).
    first = backend.register_token(aliases=[ALIAS])
    second = backend.register_token("user-43", "mallory@example.com", aliases=[ALIAS])
    third = backend.register_token("user-44", "eve@example.com", aliases=[ALIAS])
    register(vauth, passwordless_server, first).ok()
    before = vauth.state()
    assert_fails(register(vauth, passwordless_server, second), 1, "alias_conflict", "409")
    assert calls["register_complete"] == 2
    assert vauth.state() == before and len(vauth_credentials(vauth)) == 1
    # Into an empty keystore: no keystore at all afterwards.
    fresh = another_vauth(tmp_path, "fresh")
    assert_fails(register(fresh, passwordless_server, third), 1, "alias_conflict")
    assert calls["register_complete"] == 3
    assert no_keystore(fresh)
    assert [c["userId"] for c in backend.credentials(USER)] == [USER]
    assert backend.credentials("user-43") == [] and backend.credentials("user-44") == []


def test_untrusted_attestation_is_refused_and_stores_nothing(tmp_path, vauth):
    other = another_vauth(tmp_path, "other")  # the RP trusts another vauth's root, not this one's
    other_root = other.run("attestation-ca").ok().stdout
    assert other_root != vauth.run("attestation-ca").ok().stdout
    before = vauth.state()
    with start_server(trusted_root_pems=[other_root.encode()]) as server:
        backend = Backend(server.url)
        result = register(vauth, server, backend.register_token(attestation="direct"))
        assert_fails(result, 1, "fido2_invalid_registration")
        assert backend.credentials() == []
    assert vauth.state() == before and vauth_credentials(vauth) == []


# ------------------------------------------------------------------ sign-in refused

@pytest.mark.parametrize("target", [["--alias", ALIAS], ["--user-id", USER], []], ids=["alias", "user-id", "discoverable"])
def test_no_credential_for_the_rp_id(passwordless_server, backend, calls, vauth, target):
    registered(vauth, passwordless_server, backend)
    before = vauth.state()
    # The service offers example.com's credential; the browser (vauth) has none for example.org.
    result = signin(vauth, passwordless_server, *target, origin="https://example.org")
    assert_fails(result, 1, "example.org")
    assert calls["signin_begin"] == 1 and calls["signin_complete"] == 0
    assert vauth.state() == before
    assert backend.credentials()[0]["signatureCounter"] == 0


def test_unknown_alias_without_discoverable_credential(passwordless_server, backend, calls, vauth):
    registered(vauth, passwordless_server, backend, discoverable=False)
    before = vauth.state()
    assert_fails(signin(vauth, passwordless_server, "--alias", "nobody@example.com"), 1)
    assert calls["signin_complete"] == 0 and vauth.state() == before


def test_sign_in_without_a_keystore(passwordless_server, calls, vauth):
    assert_fails(signin(vauth, passwordless_server, "--alias", ALIAS), 1, "keystore")
    assert no_keystore(vauth)
    assert calls["signin_complete"] == 0


@pytest.mark.parametrize("what", ["credential deleted by the backend", "counter behind the server's"])
def test_refused_at_signin_complete_keeps_the_counter(passwordless_server, backend, calls, vauth, what):
    """The assertion reached the service before it said no, so its counter stays spent (issue 18
    item 9; README: a `get` whose response is lost keeps its counter increment). Only the
    journal's counter moves: the credential itself is as it was."""
    printed = registered(vauth, passwordless_server, backend)
    signin(vauth, passwordless_server, "--alias", ALIAS).ok()
    credential_id = base64.urlsafe_b64decode(printed["credentialId"] + "==")
    before = vauth.state()
    if what == "credential deleted by the backend":
        del passwordless_server.app.credentials[credential_id]
        expected = ("We don't recognize the passkey you sent us.", "unknown_credential")
    else:  # a cloned authenticator, as far as the service can tell
        passwordless_server.app.credentials[credential_id].sign_count = 100
        expected = ("fido2_invalid_signin",)
    result = signin(vauth, passwordless_server, "--user-id", USER)
    assert_fails(result, 1, *expected)
    assert calls["signin_complete"] == 2
    assert vauth.state()["keystore"] == before["keystore"] and vauth_credentials(vauth)[0]["signCount"] == 2


@pytest.mark.parametrize("fault", ["slow", "500"])
def test_signin_complete_that_fails_after_the_assertion_left_keeps_the_counter(passwordless_server, backend, calls, vauth, fault):
    """/signin/complete times out (the stand-in takes the assertion, verifies it, and answers too
    late) or answers 500: the next sign-in must not repeat the counter, which the service already
    saw, or it refuses it as a cloned authenticator's."""
    registered(vauth, passwordless_server, backend)
    signin(vauth, passwordless_server, "--alias", ALIAS).ok()
    backend.call("/__test/fault", {"mode": fault, "seconds": 3, "path": "/signin/complete"}, secret=None)
    failed = signin(vauth, passwordless_server, "--alias", ALIAS, "--timeout", "1")
    assert_fails(failed, 1, "timed out" if fault == "slow" else "HTTP 500")
    assert vauth_credentials(vauth)[0]["signCount"] == 2
    backend.fault(None)
    if fault == "slow":  # the stand-in finishes the late request: it has seen counter 2
        deadline = time.monotonic() + 10
        while backend.credentials()[0]["signatureCounter"] != 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert backend.credentials()[0]["signatureCounter"] == 2
    token = signin(vauth, passwordless_server, "--alias", ALIAS).ok().json["token"]
    assert backend.verify(token)["success"] is True
    assert backend.credentials()[0]["signatureCounter"] == 3 and vauth_credentials(vauth)[0]["signCount"] == 3


def test_sign_in_service_errors_change_nothing(passwordless_server, backend, calls, vauth):
    registered(vauth, passwordless_server, backend)
    before = vauth.state()
    assert_fails(signin(vauth, passwordless_server, "--alias", ALIAS, key=WRONG_KEY), 1,
                 "A valid 'ApiKey' header is required.", "invalid_api_key")
    backend.fault("500")
    assert_fails(signin(vauth, passwordless_server, "--alias", ALIAS), 1, "HTTP 500")
    backend.fault("html")
    assert_fails(signin(vauth, passwordless_server, "--alias", ALIAS), 1, "not JSON")
    backend.fault("slow", seconds=3)
    assert_fails(signin(vauth, passwordless_server, "--alias", ALIAS, "--timeout", "1"), 1, "timed out")
    backend.fault(None)
    down = vauth.run("signin", "--origin", ORIGIN, "--alias", ALIAS, "--api-url", closed_port_url(), env=client_env(vauth))
    assert_fails(down, 1, "cannot reach", "connection refused")
    assert calls["signin_complete"] == 0
    assert vauth.state() == before and vauth_credentials(vauth)[0]["signCount"] == 0


@pytest.mark.parametrize("flags,fragment", [
    (["--alias", ALIAS, "--api-key-file", "-"], "secret"),  # the secret key arrives on stdin
    (["--alias", ALIAS, "--rp-id", "example.org"], "example.org"),
    (["--alias", ALIAS, "--user-id", USER], "--alias"),
], ids=["secret-key", "rp-id-mismatch", "alias-and-user-id"])
def test_sign_in_bad_input(passwordless_server, backend, calls, vauth, flags, fragment):
    registered(vauth, passwordless_server, backend)
    before, begun = vauth.state(), calls["signin_begin"]
    assert_fails(signin(vauth, passwordless_server, *flags, input=TEST_API_SECRET + "\n"), 2, fragment)
    assert calls["signin_begin"] == begun and calls["signin_complete"] == 0
    assert vauth.state() == before


def test_sign_in_without_api_key(passwordless_server, backend, calls, vauth):
    registered(vauth, passwordless_server, backend)
    before = vauth.state()
    result = vauth.run("signin", "--origin", ORIGIN, "--alias", ALIAS, "--api-url", passwordless_server.url)
    assert_fails(result, 2, "API key")
    assert calls["signin_begin"] == 0 and vauth.state() == before
