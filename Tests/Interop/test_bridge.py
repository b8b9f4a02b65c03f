"""`vauth attach`: vauth answers a real Chromium page's own navigator.credentials through the
DevTools Protocol. Debian's chromium driven by Playwright (and Selenium in the README example);
the relying party verifies with py_webauthn (Tests/Interop/bridge/rp_server.py)."""
from __future__ import annotations

import base64
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

from vauthcli import REPO, VauthCLI

sys.path.insert(0, str(Path(__file__).parent / "bridge"))
from rp_server import start_rp  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
BASE64URL = re.compile(r"^[A-Za-z0-9_-]*$")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def b64decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@pytest.fixture(scope="module")
def rp():
    server, relying_party, port = start_rp()
    relying_party.port = port
    relying_party.url = f"http://localhost:{port}/"
    yield relying_party
    server.shutdown()


@pytest.fixture(scope="module")
def browser():
    """One headless Chromium for the module, with a DevTools port for vauth."""
    port = free_port()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=[f"--remote-debugging-port={port}"])
        browser.devtools_port = port
        yield browser
        browser.close()


class Attached:
    """A running `vauth attach` and the lines it logs."""

    def __init__(self, cli: VauthCLI, port: int, *flags: str):
        self.cli = cli
        self.lines: list[str] = []
        self.process = subprocess.Popen([cli.binary, "attach", "--cdp", f"http://127.0.0.1:{port}", *flags],
                                        env=cli.env(VAUTH_SCRYPT_LOG2N="10"), stderr=subprocess.PIPE, text=True)
        ready = self.process.stderr.readline()
        assert "vauth: attach: serving" in ready, ready + self.process.stderr.read()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.process.stderr:
            self.lines.append(line.rstrip("\n"))

    def wait_for_line(self, pattern: str, timeout: float = 10) -> str:
        deadline = time.time() + timeout
        while time.time() < deadline:
            for line in self.lines:
                if re.search(pattern, line):
                    return line
            time.sleep(0.05)
        raise AssertionError(f"no log line matching {pattern!r} in {self.lines}")

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.terminate()
        return self.process.wait(timeout=10)


@pytest.fixture
def attach(browser, tmp_path):
    started: list[Attached] = []

    def start(*flags: str, cli: VauthCLI | None = None) -> Attached:
        attached = Attached(cli or VauthCLI(tmp_path), browser.devtools_port, *flags)
        started.append(attached)
        return attached

    yield start
    for attached in started:
        attached.stop()


@pytest.fixture
def context(browser):
    context = browser.new_context()
    yield context
    context.close()


def keystore_state(cli: VauthCLI) -> dict:
    """Every file beside the keystore, byte for byte (the lock file's content is irrelevant)."""
    return {p.name: p.read_bytes() for p in cli.directory.iterdir()
            if p.is_file() and p.name.startswith("keystore.vauth") and not p.name.endswith(".lock")}


def test_register_sign_in_reload_second_tab_then_cli_get(attach, context, rp, tmp_path):
    vauth = attach()
    page = context.new_page()
    page.goto(rp.url)
    created = page.evaluate("register('alice')")
    assert created["verified"], created
    credential_id = created["credentialId"]
    assert page.evaluate("signIn()")["verified"]
    vauth.wait_for_line(rf"^vauth: attach: create origin=http://localhost:{rp.port} rpId=localhost credential={credential_id}: ok$")
    vauth.wait_for_line(rf"^vauth: attach: get origin=http://localhost:{rp.port} rpId=localhost credential={credential_id}: ok$")

    # The page gets what a browser gives.
    shape = page.evaluate("""async () => {
        const options = PublicKeyCredential.parseRequestOptionsFromJSON(await post('/login/options', {}));
        const c = await navigator.credentials.get({ publicKey: options });
        return { instance: c instanceof PublicKeyCredential, response: c.response instanceof AuthenticatorAssertionResponse,
                 rawId: c.rawId instanceof ArrayBuffer, type: c.type, attachment: c.authenticatorAttachment,
                 userHandle: c.response.userHandle instanceof ArrayBuffer, ext: JSON.stringify(c.getClientExtensionResults()),
                 keys: Object.keys(c.toJSON()).sort() };
    }""")
    assert shape == {"instance": True, "response": True, "rawId": True, "type": "public-key", "attachment": "cross-platform",
                     "userHandle": True, "ext": "{}",
                     "keys": ["authenticatorAttachment", "clientExtensionResults", "id", "rawId", "response", "type"]}
    rp.challenges.pop(f"localhost:{rp.port}", None)

    # A reload and a second tab are served too.
    page.reload()
    assert page.evaluate("signIn()")["verified"]
    second = context.new_page()
    second.goto(rp.url)
    assert second.evaluate("signIn()")["verified"]

    # The credential is in vauth's keystore: `vauth get` signs in with it outside the browser.
    host = f"localhost:{rp.port}"
    options = rp.handle("/login/options", host, {"allow": [credential_id]})
    result = vauth.cli.run("get", "--origin", f"http://{host}", input=options, env=vauth.cli.env(VAUTH_SCRYPT_LOG2N="10"))
    assert result.code == 0, result.stderr
    assert rp.handle("/login/verify", host, {"credential": result.json})["verified"]
    assert vauth.stop() == 0
    assert vauth.lines[-1].startswith("vauth: attach: stopped after")


def test_cross_origin_iframe_gets_cross_origin_client_data(attach, context, rp):
    vauth = attach()
    page = context.new_page()
    page.goto(rp.url)
    inner = f"http://rp2.localhost:{rp.port}/"
    page.evaluate("""(src) => new Promise((resolve) => {
        const frame = document.createElement('iframe');
        frame.allow = 'publickey-credentials-create; publickey-credentials-get';
        frame.src = src;
        frame.onload = resolve;
        document.body.appendChild(frame);
    })""", inner)
    frame = next(f for f in page.frames if f.url == inner)
    created = frame.evaluate("register('bob')")
    assert created["verified"], created
    assert frame.evaluate("signIn()")["verified"]
    for posted in rp.posted[-2:]:
        client_data = json.loads(b64decode(posted["json"]["response"]["clientDataJSON"]))
        assert client_data["origin"] == f"http://rp2.localhost:{rp.port}"
        assert client_data["crossOrigin"] is True
        assert client_data["topOrigin"] == f"http://localhost:{rp.port}"
    vauth.wait_for_line(rf"create origin=http://rp2.localhost:{rp.port} \(iframe under http://localhost:{rp.port}\) rpId=rp2.localhost")
    # The top page itself is not cross-origin.
    assert page.evaluate("register('carol')")["verified"]
    client_data = json.loads(b64decode(rp.posted[-1]["json"]["response"]["clientDataJSON"]))
    assert client_data["crossOrigin"] is False and "topOrigin" not in client_data


def test_page_open_before_attach_is_served(browser, attach, context, rp):
    page = context.new_page()
    page.goto(rp.url)
    attach()  # ready only once the open page has the script (runImmediately): no reload needed
    assert page.evaluate("register('ivan')")["verified"]


def test_popup_opened_by_the_page_is_served(attach, context, rp):
    attach()
    page = context.new_page()
    page.goto(rp.url)
    assert page.evaluate("register('liam')")["verified"]
    with context.expect_page() as opened:
        page.evaluate("(url) => { window.open(url) }", rp.url)
    popup = opened.value
    popup.wait_for_load_state()
    assert popup.evaluate("signIn()")["verified"]


@pytest.fixture(scope="module")
def rp_other_port():
    server, relying_party, port = start_rp()
    relying_party.port = port
    yield relying_party
    server.shutdown()


def add_iframe(page, src: str, allow: str | None):
    page.evaluate("""([src, allow]) => new Promise((resolve) => {
        const frame = document.createElement('iframe');
        if (allow) frame.allow = allow;
        frame.src = src;
        frame.onload = resolve;
        document.body.appendChild(frame);
    })""", [src, allow])
    return next(f for f in page.frames if f.url == src)


def test_same_site_iframe_on_another_port_is_cross_origin(attach, context, rp, rp_other_port):
    """localhost:P2 inside localhost:P1: same site, so the same renderer and DevTools session
    (the ancestor chain comes from one frame tree), but another origin."""
    attach()
    page = context.new_page()
    page.goto(rp.url)
    frame = add_iframe(page, f"http://localhost:{rp_other_port.port}/", "publickey-credentials-create; publickey-credentials-get")
    assert frame.evaluate("register('judy')")["verified"]
    client_data = json.loads(b64decode(rp_other_port.posted[-1]["json"]["response"]["clientDataJSON"]))
    assert client_data["origin"] == f"http://localhost:{rp_other_port.port}"
    assert client_data["crossOrigin"] is True and client_data["topOrigin"] == f"http://localhost:{rp.port}"


def test_iframe_without_permission_is_not_allowed(attach, context, rp):
    """Permissions Policy: a cross-origin iframe without `allow` may not use WebAuthn."""
    vauth = attach()
    page = context.new_page()
    page.goto(rp.url)
    frame = add_iframe(page, f"http://rp3.localhost:{rp.port}/", None)
    before = keystore_state(vauth.cli)
    result = frame.evaluate("outcome(register('mallory'))")
    assert result["name"] == "NotAllowedError" and "publickey-credentials-create" in result["message"], result
    assert keystore_state(vauth.cli) == before
    vauth.wait_for_line(rf"^vauth: attach: create origin=http://rp3.localhost:{rp.port}: NotAllowedError: The 'publickey-credentials-create' feature")


@pytest.mark.parametrize("flags, attestation, fmt, sign_count", [
    (["--attestation", "self"], "direct", "packed", 1),
    (["--attestation", "packed"], "direct", "packed", 1),
    (["--counter", "zero"], "none", "none", 0),
])
def test_policy_flags_reach_the_relying_party(attach, context, rp, flags, attestation, fmt, sign_count):
    attach(*flags)
    page = context.new_page()
    page.goto(rp.url)
    created = page.evaluate("(attestation) => register('kim', { attestation })", attestation)
    assert created["verified"] and created["fmt"] == fmt, created
    assert page.evaluate("signIn()")["signCount"] == sign_count


def test_stops_on_sigint_and_when_the_browser_exits(tmp_path):
    port = free_port()
    chromium = subprocess.Popen([CHROMIUM, "--headless=new", "--no-sandbox", f"--remote-debugging-port={port}",
                                 f"--user-data-dir={tmp_path / 'profile'}", "about:blank"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 20
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert time.time() < deadline, "chromium did not open its DevTools port"
                time.sleep(0.1)
        cli = VauthCLI(tmp_path)
        time.sleep(0.5)
        vauth = Attached(cli, port)
        vauth.process.send_signal(signal.SIGINT)
        assert vauth.process.wait(timeout=10) == 0
        vauth = Attached(cli, port)
        chromium.terminate()
        chromium.wait(timeout=20)
        assert vauth.process.wait(timeout=10) == 0
        vauth.wait_for_line(r"^vauth: attach: stopped after 0 answered calls$")
    finally:
        if chromium.poll() is None:
            chromium.kill()


RANDOM_ID = "AAECAwQFBgcICQoLDA0ODw"
CREATE = """(publicKey) => outcome(navigator.credentials.create({ publicKey: {
    rp: { name: 'RP' }, user: { id: new Uint8Array([1, 2, 3]), name: 'u', displayName: 'U' },
    challenge: new Uint8Array(32), pubKeyCredParams: [{ type: 'public-key', alg: -7 }], ...publicKey } }))"""


@pytest.mark.parametrize("flags, script, argument, name", [
    (["--no-uv"], CREATE, "{authenticatorSelection: {userVerification: 'required'}}", "NotAllowedError"),
    ([], "() => outcome(signIn({ allow: ['" + RANDOM_ID + "'] }))", None, "NotAllowedError"),
    ([], CREATE, "{rp: {id: 'example.com', name: 'RP'}}", "SecurityError"),
    ([], CREATE, "{pubKeyCredParams: [{type: 'public-key', alg: -999}]}", "NotSupportedError"),
    ([], CREATE, "{challenge: undefined}", "TypeError"),
    ([], CREATE, "{challenge: 'not-a-buffer'}", "TypeError"),
    ([], "() => outcome(navigator.credentials.get({ publicKey: { challenge: new Uint8Array(16) }, signal: AbortSignal.abort() }))",
     None, "AbortError"),
])
def test_refusals_reach_the_page_and_write_nothing(attach, context, rp, flags, script, argument, name):
    vauth = attach(*flags)
    page = context.new_page()
    page.goto(rp.url)
    # A keystore with one credential (no UV asked: --no-uv refuses it). It is not discoverable: an
    # authenticator with built-in UV makes a discoverable one only with UV (CTAP 2.2 §6.1.2).
    created = page.evaluate("register('dave', { userVerification: 'discouraged', residentKey: 'discouraged' })")
    assert created["verified"]
    before = keystore_state(vauth.cli)
    expression = script if argument is None else f"() => ({script})({argument})"
    result = page.evaluate(expression)
    assert result["ok"] is False and result["name"] == name, result
    assert result["isTypeError"] if name == "TypeError" else result["isDOMException"], result
    assert keystore_state(vauth.cli) == before
    # vauth keeps serving.
    assert page.evaluate("(id) => signIn({ userVerification: 'discouraged', allow: [id] })", created["credentialId"])["verified"]


def test_excluded_credential_is_invalid_state(attach, context, rp):
    vauth = attach()
    page = context.new_page()
    page.goto(rp.url)
    first = page.evaluate("register('erin')")
    before = keystore_state(vauth.cli)
    result = page.evaluate("(id) => outcome(register('erin', { exclude: [id] }))", first["credentialId"])
    assert result["name"] == "InvalidStateError" and result["isDOMException"], result
    assert keystore_state(vauth.cli) == before
    vauth.wait_for_line(r"create origin=.* InvalidStateError: ")


def test_conditional_mediation_waits_and_aborts(attach, context, rp):
    vauth = attach()
    page = context.new_page()
    page.goto(rp.url)
    assert page.evaluate("PublicKeyCredential.isConditionalMediationAvailable()") is True
    # No credential yet: the conditional request stays pending until the page aborts it.
    result = page.evaluate("""async () => {
        const controller = new AbortController();
        const pending = outcome(navigator.credentials.get({ publicKey: { challenge: new Uint8Array(16) },
                                                           mediation: 'conditional', signal: controller.signal }));
        await new Promise((r) => setTimeout(r, 500));
        controller.abort();
        return pending;
    }""")
    assert result["name"] == "AbortError", result
    vauth.wait_for_line(r"get \(conditional\) .*no credential, left pending")
    # With a discoverable credential, the conditional request signs in.
    assert page.evaluate("register('frank')")["verified"]
    assert page.evaluate("signIn({ mediation: 'conditional' })")["verified"]


@pytest.mark.parametrize("flags, uvpaa, conditional", [
    ([], True, True),
    (["--no-uv"], False, True),
    (["--attachment", "cross-platform"], False, False),
])
def test_capabilities_follow_the_policy(attach, context, rp, flags, uvpaa, conditional):
    attach(*flags)
    page = context.new_page()
    page.goto(rp.url)
    assert page.evaluate("PublicKeyCredential.isUserVerifyingPlatformAuthenticatorAvailable()") is uvpaa
    assert page.evaluate("PublicKeyCredential.isConditionalMediationAvailable()") is conditional


def test_forged_binding_calls_gain_nothing(attach, context, rp):
    vauth = attach()
    page = context.new_page()
    page.goto(rp.url)
    forged = {"call": 99, "kind": "create", "origin": "https://bank.example", "topOrigin": "https://bank.example",
              "options": {"rp": {"id": "bank.example", "name": "Bank"}, "user": {"id": "AQ", "name": "a", "displayName": "A"},
                          "challenge": RANDOM_ID, "pubKeyCredParams": [{"type": "public-key", "alg": -7}]}}
    before = keystore_state(vauth.cli)
    page.evaluate("(payload) => globalThis.__vauthBridge(payload)", json.dumps(forged))
    # The origin is the frame's, as the browser reports it: bank.example is not this page's RP ID.
    vauth.wait_for_line(rf"create origin=http://localhost:{rp.port} rpId=bank.example: SecurityError: ")
    # Malformed payloads: a TypeError for the caller (bad base64url, no challenge), and vauth keeps serving.
    forged["options"]["rp"] = {"name": "x"}
    forged["options"]["challenge"] = "not base64url!"
    page.evaluate("(payload) => globalThis.__vauthBridge(payload)", json.dumps(forged))
    vauth.wait_for_line(r"call origin=http://localhost:\d+: TypeError: ")
    page.evaluate("() => globalThis.__vauthBridge('{]')")
    assert keystore_state(vauth.cli) == before
    # The answer function only settles the page's own promises; overwriting it is refused.
    assert page.evaluate("() => { globalThis.__vauthBridgeAnswer = null; return typeof globalThis.__vauthBridgeAnswer }") == "function"
    assert page.evaluate("register('grace')")["verified"]


def shape(value):
    """The members and encodings of a posted JSON document: names, types, base64url-ness;
    clientDataJSON and attestationObject compared by what they hold, not their bytes."""
    if isinstance(value, dict):
        return {k: shape(v) for k, v in value.items()}
    if isinstance(value, list):
        return [shape(v) for v in value]
    if isinstance(value, str):
        return "base64url" if BASE64URL.match(value) and len(value) >= 16 else value
    return type(value).__name__


def test_same_json_as_chromiums_virtual_authenticator(browser, rp, tmp_path):
    """The same page and RP with Chromium's own virtual authenticator (no vauth attached), then with
    vauth: top-level register and sign-in, and a register in a cross-origin iframe."""
    iframe_src = f"http://rp2.localhost:{rp.port}/"

    def ceremonies(context) -> list[dict]:
        page = context.pages[0]
        page.goto(rp.url)
        assert page.evaluate("register('heidi')")["verified"]
        assert page.evaluate("signIn()")["verified"]
        frame = add_iframe(page, iframe_src, "publickey-credentials-create; publickey-credentials-get")
        assert frame.evaluate("register('heidi')")["verified"]
        return rp.posted[-3:]

    posted = {}
    context = browser.new_context()
    try:
        page = context.new_page()
        cdp = context.new_cdp_session(page)
        cdp.send("WebAuthn.enable")
        cdp.send("WebAuthn.addVirtualAuthenticator", {"options": {
            "protocol": "ctap2", "transport": "usb", "hasResidentKey": True, "hasUserVerification": True,
            "isUserVerified": True, "automaticPresenceSimulation": True}})
        posted["chromium"] = ceremonies(context)
    finally:
        context.close()

    vauth = Attached(VauthCLI(tmp_path), browser.devtools_port)
    context = browser.new_context()
    try:
        context.new_page()
        posted["vauth"] = ceremonies(context)
    finally:
        context.close()
        assert vauth.stop() == 0
    for chromium, ours in zip(posted["chromium"], posted["vauth"]):
        assert chromium["kind"] == ours["kind"]
        a, b = chromium["json"], ours["json"]
        assert shape({k: v for k, v in a.items() if k != "response"}) == shape({k: v for k, v in b.items() if k != "response"})
        assert set(a["response"]) == set(b["response"]), (a["response"].keys(), b["response"].keys())
        for member in a["response"]:
            assert shape(a["response"][member]) == shape(b["response"][member]) or member == "userHandle", member
        data_a, data_b = (json.loads(b64decode(x["response"]["clientDataJSON"])) for x in (a, b))
        # Chromium adds "other_keys_can_be_added_here" now and then, so RPs do not parse by position.
        assert set(data_a) - {"other_keys_can_be_added_here"} == set(data_b)
        compared = ("type", "origin", "crossOrigin", "topOrigin")
        assert {k: data_a.get(k) for k in compared} == {k: data_b.get(k) for k in compared}
    assert json.loads(b64decode(posted["vauth"][2]["json"]["response"]["clientDataJSON"]))["crossOrigin"] is True


@pytest.mark.parametrize("example", ["example_playwright.py", "example_selenium.py"])
def test_readme_examples_run(example, rp, tmp_path):
    """The README's examples, as a suite would run them, with vauth on the PATH."""
    readme = (REPO / "README.md").read_text()
    source = (Path(__file__).parent / "bridge" / example).read_text()
    assert source.strip() in readme, f"README does not show {example} as it is"
    cli = VauthCLI(tmp_path)
    env = cli.env(VAUTH_SCRYPT_LOG2N="10")
    env["PATH"] = str(Path(cli.binary).parent) + ":" + env.get("PATH", "")
    done = subprocess.run([sys.executable, str(Path(__file__).parent / "bridge" / example), rp.url, str(free_port())],
                          capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.count("'verified': True") == 2, done.stdout
    assert "vauth: attach: stopped after 2 answered calls" in done.stderr


def test_unreachable_endpoint_is_a_clear_error(tmp_path):
    cli = VauthCLI(tmp_path)
    result = cli.run("attach", "--cdp", f"http://127.0.0.1:{free_port()}")
    assert result.code == 1
    assert re.match(r"^vauth: error: cannot reach the DevTools endpoint http://127\.0\.0\.1:\d+: .*--remote-debugging-port", result.stderr)
    result = cli.run("attach", "--cdp", "ws://127.0.0.1:9222")
    assert result.code == 2
    assert result.stderr.startswith("vauth: error: --cdp needs the browser's DevTools address as http://host:port")
    assert not cli.keystore.exists()
