"""`vauth attach --cdp`: vauth answers a real Chromium page's own navigator.credentials through the
DevTools Protocol. Debian's chromium, started by the test with `--remote-debugging-port=0` and
driven by Playwright over CDP; the relying party verifies with py_webauthn
(Tests/Interop/bridge/rp_server.py). Every page call is bounded (Tests/Interop/bridge/rig.py)."""
from __future__ import annotations

import base64
import contextlib
import fcntl
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

from vauthcli import REPO, VauthCLI

sys.path.insert(0, str(Path(__file__).parent / "bridge"))
from rig import PAGE_CALL_TIMEOUT, WATCHDOG_GRACE, Chromium, Lines, bounded_function, watchdog  # noqa: E402
from rp_server import start_rp  # noqa: E402

BASE64URL = re.compile(r"^[A-Za-z0-9_-]*$")
# vauth waits this long for the keystore lock: longer than any test holds it (keystore_locked), so
# a call the test holds up waits inside vauth however slow the machine is.
LOCK_WAIT = "600"
NOT_ALLOWED = "The operation either timed out or was not allowed. See: https://www.w3.org/TR/webauthn-2/#sctn-privacy-considerations-client."


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
def chromium(tmp_path_factory):
    """One headless Chromium for the module; it picks its DevTools port itself."""
    process = Chromium(tmp_path_factory.mktemp("chromium"))
    yield process
    process.stop()


@pytest.fixture(scope="module")
def browser(chromium):
    with sync_playwright() as p:
        with watchdog(PAGE_CALL_TIMEOUT, chromium, what="connecting Playwright"):
            browser = p.chromium.connect_over_cdp(chromium.url, timeout=PAGE_CALL_TIMEOUT * 1000)
        browser.rig = chromium
        yield browser
        with contextlib.suppress(Exception):
            browser.close()


def run(target, source: str, arg=None, timeout: float = PAGE_CALL_TIMEOUT):
    """Evaluates `source` in a page or frame, bounded in the page and by the watchdog."""
    with watchdog(timeout + WATCHDOG_GRACE, RIG["chromium"], what=f"page call {source[:60]!r}"):
        return target.evaluate(bounded_function(source, timeout), arg)


RIG: dict = {}


@pytest.fixture(autouse=True)
def _rig(chromium):
    RIG["chromium"] = chromium


class Attached:
    """A running `vauth attach` and the lines it logs."""

    def __init__(self, cli: VauthCLI, endpoint: str, *flags: str, option: str = "--cdp"):
        self.cli = cli
        self.process = subprocess.Popen([cli.binary, "attach", option, endpoint, *flags],
                                        env=cli.env(VAUTH_SCRYPT_LOG2N="10", VAUTH_LOCK_TIMEOUT=LOCK_WAIT), stderr=subprocess.PIPE,
                                        text=True)
        self.log = Lines(self.process.stderr)
        try:
            self.log.wait_for(r"^vauth: attach: serving ", timeout=60)
        except AssertionError:
            self.process.kill()
            raise

    @property
    def lines(self) -> list[str]:
        return self.log.lines

    def wait_for_line(self, pattern: str, timeout: float = 60) -> str:
        return self.log.wait_for(pattern, timeout)

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGCONT)
            self.process.terminate()
        try:
            return self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            raise


@pytest.fixture
def attach(browser, tmp_path):
    started: list[Attached] = []

    def start(*flags: str, cli: VauthCLI | None = None) -> Attached:
        attached = Attached(cli or VauthCLI(tmp_path), browser.rig.url, *flags)
        started.append(attached)
        return attached

    yield start
    for attached in started:
        with contextlib.suppress(Exception):
            attached.stop()


@pytest.fixture
def context(browser):
    context = browser.new_context()
    context.set_default_timeout(PAGE_CALL_TIMEOUT * 1000)
    yield context
    with contextlib.suppress(Exception):
        context.close()


def keystore_state(cli: VauthCLI) -> dict:
    """Every file beside the keystore, byte for byte (the lock file's content is irrelevant)."""
    return {p.name: p.read_bytes() for p in cli.directory.iterdir()
            if p.is_file() and p.name.startswith("keystore.vauth") and not p.name.endswith(".lock")}


def credential_ids(cli: VauthCLI) -> list[str]:
    if not cli.keystore.exists():
        return []
    result = cli.run("list", "--compact", env=cli.env(VAUTH_SCRYPT_LOG2N="10"))
    assert result.code == 0, result.stderr
    return [c["credentialId"] for c in result.json]


@contextlib.contextmanager
def keystore_locked(cli: VauthCLI):
    """Holds the keystore's write lock: a ceremony then waits inside vauth until the block ends
    (vauth is started with VAUTH_LOCK_TIMEOUT=LOCK_WAIT), which lets a test act while a call is in
    vauth's hands."""
    with open(f"{cli.keystore}.lock", "a+") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def test_register_sign_in_reload_second_tab_then_cli_get(attach, context, rp, tmp_path):
    vauth = attach()
    page = context.new_page()
    page.goto(rp.url)
    created = run(page, "register('alice')")
    assert created["verified"], created
    credential_id = created["credentialId"]
    assert run(page, "signIn()")["verified"]
    vauth.wait_for_line(rf"^vauth: attach: create origin=http://localhost:{rp.port} rpId=localhost credential={credential_id}: ok$")
    vauth.wait_for_line(rf"^vauth: attach: get origin=http://localhost:{rp.port} rpId=localhost credential={credential_id}: ok$")

    # The page gets what a browser gives.
    shape = run(page, """async () => {
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
    assert run(page, "signIn()")["verified"]
    second = context.new_page()
    second.goto(rp.url)
    assert run(second, "signIn()")["verified"]

    # The credential is in vauth's keystore: `vauth get` signs in with it outside the browser.
    host = f"localhost:{rp.port}"
    options = rp.handle("/login/options", host, {"allow": [credential_id]})
    result = vauth.cli.run("get", "--origin", f"http://{host}", input=options, env=vauth.cli.env(VAUTH_SCRYPT_LOG2N="10"))
    assert result.code == 0, result.stderr
    assert rp.handle("/login/verify", host, {"credential": result.json})["verified"]
    assert vauth.stop() == 0
    assert vauth.lines[-1].startswith("vauth: attach: stopped after")


def add_iframe(page, src: str, allow: str | None):
    run(page, """([src, allow]) => new Promise((resolve) => {
        const frame = document.createElement('iframe');
        if (allow) frame.allow = allow;
        frame.src = src;
        frame.onload = resolve;
        document.body.appendChild(frame);
    })""", [src, allow])
    return next(f for f in page.frames if f.url == src)


def test_cross_origin_iframe_gets_cross_origin_client_data(attach, context, rp):
    vauth = attach()
    page = context.new_page()
    page.goto(rp.url)
    inner = f"http://rp2.localhost:{rp.port}/"
    frame = add_iframe(page, inner, "publickey-credentials-create; publickey-credentials-get")
    created = run(frame, "register('bob')")
    assert created["verified"], created
    assert run(frame, "signIn()")["verified"]
    for posted in rp.posted[-2:]:
        client_data = json.loads(b64decode(posted["json"]["response"]["clientDataJSON"]))
        assert client_data["origin"] == f"http://rp2.localhost:{rp.port}"
        assert client_data["crossOrigin"] is True
        assert client_data["topOrigin"] == f"http://localhost:{rp.port}"
    vauth.wait_for_line(rf"create origin=http://rp2.localhost:{rp.port} \(iframe under http://localhost:{rp.port}\) rpId=rp2.localhost")
    # The top page itself is not cross-origin.
    assert run(page, "register('carol')")["verified"]
    client_data = json.loads(b64decode(rp.posted[-1]["json"]["response"]["clientDataJSON"]))
    assert client_data["crossOrigin"] is False and "topOrigin" not in client_data


def test_page_open_before_attach_is_served(attach, context, rp):
    page = context.new_page()
    page.goto(rp.url)
    attach()  # ready only once the open page has the script (runImmediately): no reload needed
    assert run(page, "register('ivan')")["verified"]


def test_popup_opened_by_the_page_is_served(attach, context, rp):
    attach()
    page = context.new_page()
    page.goto(rp.url)
    assert run(page, "register('liam')")["verified"]
    with context.expect_page() as opened:
        run(page, "(url) => { window.open(url) }", rp.url)
    popup = opened.value
    popup.wait_for_load_state()
    assert run(popup, "signIn()")["verified"]


@pytest.fixture(scope="module")
def rp_other_port():
    server, relying_party, port = start_rp()
    relying_party.port = port
    yield relying_party
    server.shutdown()


def test_same_site_iframe_on_another_port_is_cross_origin(attach, context, rp, rp_other_port):
    """localhost:P2 inside localhost:P1: same site, so the same renderer and DevTools session
    (the ancestor chain comes from one frame tree), but another origin."""
    attach()
    page = context.new_page()
    page.goto(rp.url)
    frame = add_iframe(page, f"http://localhost:{rp_other_port.port}/", "publickey-credentials-create; publickey-credentials-get")
    assert run(frame, "register('judy')")["verified"]
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
    result = run(frame, "outcome(register('mallory'))")
    assert result["name"] == "NotAllowedError" and "publickey-credentials-create" in result["message"], result
    assert keystore_state(vauth.cli) == before
    vauth.wait_for_line(rf"^vauth: attach: create origin=http://rp3.localhost:{rp.port} \(iframe under http://localhost:{rp.port}\) "
                        r"rpId=rp3.localhost: NotAllowedError: The 'publickey-credentials-create' feature is not enabled")


@pytest.mark.parametrize("flags, attestation, fmt, sign_count", [
    (["--attestation", "self"], "direct", "packed", 1),
    (["--attestation", "packed"], "direct", "packed", 1),
    (["--counter", "zero"], "none", "none", 0),
])
def test_policy_flags_reach_the_relying_party(attach, context, rp, flags, attestation, fmt, sign_count):
    attach(*flags)
    page = context.new_page()
    page.goto(rp.url)
    created = run(page, "(attestation) => register('kim', { attestation })", attestation)
    assert created["verified"] and created["fmt"] == fmt, created
    assert run(page, "signIn()")["signCount"] == sign_count


def test_stops_on_sigint_and_when_the_browser_exits(tmp_path):
    chromium = Chromium(tmp_path)
    try:
        cli = VauthCLI(tmp_path)
        vauth = Attached(cli, chromium.url)
        vauth.process.send_signal(signal.SIGINT)
        assert vauth.process.wait(timeout=20) == 0
        vauth = Attached(cli, chromium.url)
        chromium.stop()
        assert vauth.process.wait(timeout=20) == 0
        vauth.wait_for_line(r"^vauth: attach: stopped after 0 answered calls$")
    finally:
        chromium.stop()


RANDOM_ID = "AAECAwQFBgcICQoLDA0ODw"
CREATE = """(publicKey) => outcome(navigator.credentials.create({ publicKey: {
    rp: { name: 'RP' }, user: { id: new Uint8Array([1, 2, 3]), name: 'u', displayName: 'U' },
    challenge: new Uint8Array(32), pubKeyCredParams: [{ type: 'public-key', alg: -7 }], ...publicKey } }))"""

# Refusals and what Chromium itself gives for them (name, and message where it is fixed): the same
# page run against Chromium's own virtual authenticator in test_refusals_match_chromiums_virtual_authenticator.
REFUSALS = [
    ("no credential", CREATE.replace("create", "get", 1).replace("outcome(navigator.credentials.get({ publicKey: {",
     "outcome(navigator.credentials.get({ publicKey: { allowCredentials: [{ type: 'public-key', id: new Uint8Array(16) }],"), "{}"),
    ("rp id of another site", CREATE, "{rp: {id: 'example.com', name: 'RP'}}"),
    ("get with rp id of another site", "(publicKey) => outcome(navigator.credentials.get({ publicKey: { challenge: new Uint8Array(16), ...publicKey } }))",
     "{rpId: 'example.com'}"),
    ("unsupported algorithm", CREATE, "{pubKeyCredParams: [{type: 'public-key', alg: -999}]}"),
    ("user.id too long", CREATE, "{user: {id: new Uint8Array(65), name: 'u', displayName: 'U'}}"),
    ("publicKey null", "() => outcome(navigator.credentials.create({ publicKey: null }))", None),
    ("no challenge", CREATE, "{challenge: undefined}"),
    ("challenge not a buffer", CREATE, "{challenge: 'not-a-buffer'}"),
    ("bad mediation", "() => outcome(navigator.credentials.get({ publicKey: { challenge: new Uint8Array(16) }, mediation: 'bogus' }))", None),
    ("aborted signal", "() => outcome(navigator.credentials.get({ publicKey: { challenge: new Uint8Array(16) }, signal: AbortSignal.abort() }))", None),
    ("largeBlob required", CREATE, "{extensions: {largeBlob: {support: 'required'}}}"),
]


def test_a_second_request_while_one_is_pending(attach, context, rp):
    """Chromium runs one request per frame: a second one fails with OperationError "A request is
    already pending." (measured with its virtual authenticator, docs/bridge.md), except that a
    modal request ends a pending conditional one with NotAllowedError."""
    attach()
    page = context.new_page()
    page.goto(rp.url)
    assert run(page, "register('uma')")["verified"]
    result = run(page, """async () => {
        const first = outcome(navigator.credentials.get({ publicKey: { challenge: new Uint8Array(16) } }));
        const second = outcome(navigator.credentials.get({ publicKey: { challenge: new Uint8Array(16) } }));
        return [await first, await second];
    }""")
    assert result[0]["ok"] and result[1] == {"ok": False, "name": "OperationError", "isDOMException": True,
                                             "isTypeError": False, "message": "A request is already pending."}, result
    result = run(page, """async () => {
        const controller = new AbortController();
        const conditional = outcome(navigator.credentials.get({ publicKey: { challenge: new Uint8Array(16), allowCredentials:
            [{ type: 'public-key', id: new Uint8Array(16) }] }, mediation: 'conditional', signal: controller.signal }));
        const modal = outcome(navigator.credentials.get({ publicKey: { challenge: new Uint8Array(16) } }));
        return [await conditional, await modal];
    }""")
    assert result[0]["name"] == "NotAllowedError" and result[1]["ok"], result


def refusal_expression(script: str, argument: str | None) -> str:
    return script if argument is None else f"() => ({script})({argument})"


@pytest.mark.parametrize("flags, script, argument, name", [
    (["--no-uv"], CREATE, "{authenticatorSelection: {userVerification: 'required'}}", "NotAllowedError"),
    ([], "() => outcome(signIn({ allow: ['" + RANDOM_ID + "'] }))", None, "NotAllowedError"),
    ([], CREATE, "{rp: {id: 'example.com', name: 'RP'}}", "SecurityError"),
    ([], CREATE, "{pubKeyCredParams: [{type: 'public-key', alg: -999}]}", "NotAllowedError"),
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
    created = run(page, "register('dave', { userVerification: 'discouraged', residentKey: 'discouraged' })")
    assert created["verified"]
    before = keystore_state(vauth.cli)
    result = run(page, refusal_expression(script, argument))
    assert result["ok"] is False and result["name"] == name, result
    assert result["isTypeError"] if name == "TypeError" else result["isDOMException"], result
    assert keystore_state(vauth.cli) == before
    # vauth keeps serving.
    assert run(page, "(id) => signIn({ userVerification: 'discouraged', allow: [id] })", created["credentialId"])["verified"]


def test_refusals_match_chromiums_virtual_authenticator(browser, attach, rp, tmp_path):
    """Issue 18 item 21: the page gets the browser's own exception — the same name and the same
    generic message as Chromium's virtual authenticator gives — and the detail (which credential
    was missing, which check failed) is only on vauth's stderr."""
    def outcomes(context) -> dict:
        page = context.pages[0]
        page.goto(rp.url)
        return {label: run(page, refusal_expression(script, argument)) for label, script, argument in REFUSALS}

    context = browser.new_context()
    try:
        page = context.new_page()
        cdp = context.new_cdp_session(page)
        cdp.send("WebAuthn.enable")
        cdp.send("WebAuthn.addVirtualAuthenticator", {"options": {
            "protocol": "ctap2", "transport": "usb", "hasResidentKey": True, "hasUserVerification": True,
            "isUserVerified": True, "automaticPresenceSimulation": True}})
        chromium = outcomes(context)
    finally:
        context.close()
    vauth = attach()
    context = browser.new_context()
    try:
        context.new_page()
        ours = outcomes(context)
    finally:
        context.close()
    for label, _, _ in REFUSALS:
        theirs, mine = chromium[label], ours[label]
        assert not theirs["ok"], (label, theirs)
        assert {k: mine.get(k) for k in ("ok", "name", "message", "isDOMException", "isTypeError")} == \
               {k: theirs.get(k) for k in ("ok", "name", "message", "isDOMException", "isTypeError")}, label
    assert chromium["no credential"]["message"] == NOT_ALLOWED
    # The detail is vauth's to log, and only there.
    vauth.wait_for_line(r"get origin=http://localhost:\d+ rpId=localhost: NotAllowedError: .*CTAP2_ERR_NO_CREDENTIALS")
    assert not any("CTAP2" in outcome.get("message", "") for outcome in ours.values())


def test_excluded_credential_is_invalid_state(attach, context, rp):
    vauth = attach()
    page = context.new_page()
    page.goto(rp.url)
    first = run(page, "register('erin')")
    before = keystore_state(vauth.cli)
    result = run(page, "(id) => outcome(register('erin', { exclude: [id] }))", first["credentialId"])
    assert result["name"] == "InvalidStateError" and result["isDOMException"], result
    assert result["message"] == ("The user attempted to register an authenticator that contains one of the credentials "
                                 "already registered with the relying party.")
    assert keystore_state(vauth.cli) == before
    vauth.wait_for_line(r"create origin=.* InvalidStateError: .*CREDENTIAL_EXCLUDED")


CONDITIONAL_GET = """() => {
    window.__controller = new AbortController();
    window.__conditional = outcome(navigator.credentials.get({ publicKey: { challenge: new Uint8Array(16) },
                                                             mediation: 'conditional', signal: window.__controller.signal }));
    return true;
}"""


def test_conditional_mediation_waits_and_aborts(attach, context, rp):
    vauth = attach()
    page = context.new_page()
    page.goto(rp.url)
    assert run(page, "PublicKeyCredential.isConditionalMediationAvailable()") is True
    # No credential yet: the conditional request stays pending (vauth says so) until the page aborts it.
    run(page, CONDITIONAL_GET)
    vauth.wait_for_line(r"get \(conditional\) .*no credential, left pending")
    run(page, "() => window.__controller.abort()")
    assert run(page, "window.__conditional")["name"] == "AbortError"
    # With a discoverable credential, the conditional request signs in.
    assert run(page, "register('frank')")["verified"]
    assert run(page, "signIn({ mediation: 'conditional' })")["verified"]


@pytest.mark.parametrize("flags, uvpaa, conditional", [
    ([], True, True),
    (["--no-uv"], False, True),
    (["--attachment", "cross-platform"], False, False),
])
def test_capabilities_follow_the_policy(attach, context, rp, flags, uvpaa, conditional):
    attach(*flags)
    page = context.new_page()
    page.goto(rp.url)
    assert run(page, "PublicKeyCredential.isUserVerifyingPlatformAuthenticatorAvailable()") is uvpaa
    assert run(page, "PublicKeyCredential.isConditionalMediationAvailable()") is conditional


def test_forged_options_gain_nothing(attach, context, rp):
    """The origin is the frame's, as the browser reports it: options that name another site's RP ID,
    or carry origin members of their own, get SecurityError and write nothing."""
    vauth = attach()
    page = context.new_page()
    page.goto(rp.url)
    before = keystore_state(vauth.cli)
    result = run(page, f"() => ({CREATE})({{rp: {{id: 'bank.example', name: 'Bank'}}, origin: 'https://bank.example', "
                       "topOrigin: 'https://bank.example'})")
    assert result["name"] == "SecurityError", result
    vauth.wait_for_line(rf"create origin=http://localhost:{rp.port} rpId=bank.example: SecurityError: ")
    assert keystore_state(vauth.cli) == before
    assert run(page, "register('grace')")["verified"]


PAGE_SURFACE = """() => {
    const ts = (f) => Function.prototype.toString.call(f);
    const d = (o, n) => Object.getOwnPropertyDescriptor(o, n);
    const show = (o, n) => { const x = d(o, n); const f = x.get || x.value;
        return [ts(f), f.name, f.length, x.enumerable, x.configurable, 'prototype' in f, ts(ts)]; };
    return {
        globals: Object.getOwnPropertyNames(window).filter((n) => !BASELINE.has(n)),
        create: show(CredentialsContainer.prototype, 'create'), get: show(CredentialsContainer.prototype, 'get'),
        rawId: show(PublicKeyCredential.prototype, 'rawId'), id: show(Credential.prototype, 'id'),
        toJSON: show(PublicKeyCredential.prototype, 'toJSON'), toString: show(Function.prototype, 'toString'),
        uvpaa: show(PublicKeyCredential, 'isUserVerifyingPlatformAuthenticatorAvailable'),
        userHandle: show(AuthenticatorAssertionResponse.prototype, 'userHandle'),
    };
}"""

CREDENTIAL_SHAPE = """async () => {
    const c = await navigator.credentials.create({ publicKey: { rp: { name: 'RP' },
        user: { id: new Uint8Array([1, 2, 3]), name: 'u', displayName: 'U' }, challenge: new Uint8Array(32),
        pubKeyCredParams: [{ type: 'public-key', alg: -7 }], authenticatorSelection: { residentKey: 'required' },
        extensions: { largeBlob: { support: 'preferred' }, credProps: true } } });
    const g = await navigator.credentials.get({ publicKey: { challenge: new Uint8Array(16), extensions: { largeBlob: { read: true } } } });
    const getter = (proto, name, o) => { const v = Object.getOwnPropertyDescriptor(proto, name).get.call(o);
        return v instanceof ArrayBuffer ? 'ArrayBuffer' : v; };
    const illegal = (() => { try { Object.getOwnPropertyDescriptor(PublicKeyCredential.prototype, 'rawId').get.call({}); return 'no throw'; }
                             catch (e) { return e.constructor.name; } })();
    return {
        own: Object.getOwnPropertyNames(c), responseOwn: Object.getOwnPropertyNames(c.response), getOwn: Object.getOwnPropertyNames(g),
        getters: [getter(PublicKeyCredential.prototype, 'rawId', c), getter(Credential.prototype, 'type', c),
                  getter(AuthenticatorResponse.prototype, 'clientDataJSON', g.response),
                  getter(AuthenticatorAssertionResponse.prototype, 'signature', g.response)],
        methods: [PublicKeyCredential.prototype.toJSON.call(c).type, typeof AuthenticatorAttestationResponse.prototype.getPublicKeyAlgorithm.call(c.response)],
        illegal, tag: Object.prototype.toString.call(c), stringified: Object.keys(JSON.parse(JSON.stringify(c))).sort(),
        createExtensions: c.getClientExtensionResults(), getExtensions: g.getClientExtensionResults(),
        json: Object.keys(c.toJSON().response).sort(), getJson: Object.keys(g.toJSON().response).sort(),
    };
}"""


def test_page_sees_what_chromium_gives(browser, attach, rp, tmp_path):
    """Issue 18 item 22, compared with Chromium's own virtual authenticator on the same page: the
    replaced methods print as native code with the natives' names, lengths and attributes, no
    global name appears (also not on an insecure page), credentials have no own properties and the
    prototypes' getters work on them, and largeBlob reports `supported: false`."""
    insecure = f"http://insecure.test:{rp.port}/"

    def surface(context) -> dict:
        page = context.pages[0]
        page.goto(rp.url)
        seen = {"secure": run(page, PAGE_SURFACE.replace("BASELINE", "new Set(window.__baseline)")),
                "credential": run(page, CREDENTIAL_SHAPE)}
        page.goto(insecure)
        assert run(page, "isSecureContext") is False
        seen["insecure"] = run(page, "() => Object.getOwnPropertyNames(window).filter((n) => !new Set(window.__baseline).has(n))")
        return seen

    def baseline(context):
        # The global names a page has before anything runs, recorded by an init script of the test.
        context.add_init_script("window.__baseline = Object.getOwnPropertyNames(window).concat(['__baseline'])")

    context = browser.new_context()
    try:
        baseline(context)
        page = context.new_page()
        cdp = context.new_cdp_session(page)
        cdp.send("WebAuthn.enable")
        cdp.send("WebAuthn.addVirtualAuthenticator", {"options": {
            "protocol": "ctap2", "transport": "usb", "hasResidentKey": True, "hasUserVerification": True,
            "isUserVerified": True, "automaticPresenceSimulation": True}})
        chromium = surface(context)
    finally:
        context.close()
    attach()
    context = browser.new_context()
    try:
        baseline(context)
        context.new_page()
        ours = surface(context)
    finally:
        context.close()
    assert ours["secure"] == chromium["secure"]
    # Only the page's own functions (post, register, signIn, outcome) are new names, as with Chromium.
    assert ours["secure"]["globals"] == chromium["secure"]["globals"] and not any("vauth" in n for n in ours["secure"]["globals"])
    assert ours["insecure"] == chromium["insecure"]
    assert "[native code]" in ours["secure"]["create"][0]
    theirs, mine = chromium["credential"], ours["credential"]
    assert mine["own"] == mine["responseOwn"] == mine["getOwn"] == [] == theirs["own"]
    assert mine["getters"] == ["ArrayBuffer", "public-key", "ArrayBuffer", "ArrayBuffer"] == theirs["getters"]
    for key in ("methods", "illegal", "tag", "stringified", "json", "getJson"):
        assert mine[key] == theirs[key], key
    assert mine["createExtensions"] == theirs["createExtensions"] == {"credProps": {"rk": True}, "largeBlob": {"supported": False}}
    assert mine["getExtensions"] == theirs["getExtensions"] == {"largeBlob": {}}


# --- Issue 18 item 19: a credential the page never received is not kept --------------------------

# A create() the page keeps pending: the RP's options, the given timeout, a signal the test controls.
PENDING_CREATE = """async (timeout) => {
    const publicKey = PublicKeyCredential.parseCreationOptionsFromJSON(await post('/register/options', { username: 'olga' }));
    publicKey.timeout = timeout;
    window.__controller = new AbortController();
    window.__result = outcome(navigator.credentials.create({ publicKey, signal: window.__controller.signal }));
    return true;
}"""


def wait_until_vauth_waits_for_the_lock(vauth: Attached, timeout: float = 60):
    """Until the page's call is inside vauth's ceremony, waiting for the keystore lock the test
    holds: vauth has the lock file open (it opens it only for a ceremony, and polls the lock)."""
    lock = os.path.realpath(f"{vauth.cli.keystore}.lock")
    deadline = time.monotonic() + timeout

    def has_it_open() -> bool:
        for fd in Path(f"/proc/{vauth.process.pid}/fd").iterdir():
            with contextlib.suppress(OSError):
                if os.readlink(fd) == lock:
                    return True
        return False

    while not has_it_open():
        assert time.monotonic() < deadline, "vauth never waited for the keystore lock"
        time.sleep(0.05)


@pytest.mark.parametrize("ending", ["abort", "navigate", "close"])
def test_a_create_the_page_gave_up_keeps_nothing(attach, context, rp, ending):
    """The page's create() ends while vauth holds the call (the test holds the keystore lock, so
    the ceremony waits inside vauth): aborted, navigated away or the tab closed. Once vauth has
    finished the ceremony, the credential is not in the keystore."""
    vauth = attach()
    page = context.new_page()
    page.goto(rp.url)
    assert run(page, "register('pat')")["verified"]
    before = credential_ids(vauth.cli)
    with keystore_locked(vauth.cli):
        run(page, PENDING_CREATE, 60000)
        wait_until_vauth_waits_for_the_lock(vauth)
        if ending == "abort":
            run(page, "() => window.__controller.abort()")
            result = run(page, "window.__result")
            assert result["name"] == "AbortError", result
        elif ending == "navigate":
            page.goto(f"http://localhost:{rp.port}/?elsewhere")
        else:
            page.close()
    line = vauth.wait_for_line(r"create origin=.*: (not kept: |the page ended the call before it ran)")
    assert credential_ids(vauth.cli) == before
    assert vauth.lines[-1] == line and "not kept" in line, vauth.lines


# --- Issue 18 item 23: every call settles --------------------------------------------------------

@pytest.mark.parametrize("stop", [signal.SIGKILL, signal.SIGSTOP])
def test_a_call_vauth_cannot_answer_rejects_at_its_timeout(attach, context, rp, stop):
    """vauth stops (killed, or frozen as under heavy load) in the middle of a page's create(): the
    page's promise rejects with NotAllowedError when the options' timeout runs out, as a browser's
    does, instead of hanging the page."""
    vauth = attach()
    page = context.new_page()
    page.goto(rp.url)
    with keystore_locked(vauth.cli):
        run(page, PENDING_CREATE, 3000)
        wait_until_vauth_waits_for_the_lock(vauth)
        vauth.process.send_signal(stop)
    started = time.monotonic()
    result = run(page, "window.__result")
    assert result == {"ok": False, "name": "NotAllowedError", "isDOMException": True, "isTypeError": False,
                      "message": NOT_ALLOWED}, result
    assert time.monotonic() - started < PAGE_CALL_TIMEOUT
    if stop == signal.SIGSTOP:
        vauth.process.send_signal(signal.SIGCONT)
        vauth.wait_for_line(r"create origin=.*: not kept: the page's call had ended")
        assert credential_ids(vauth.cli) == []


def test_after_vauth_stops_calls_still_settle(attach, context, rp):
    vauth = attach()
    page = context.new_page()
    page.goto(rp.url)
    assert run(page, "register('quinn')")["verified"]
    assert vauth.stop() == 0
    result = run(page, "outcome(navigator.credentials.get({ publicKey: { challenge: new Uint8Array(16), timeout: 2000 } }))")
    assert result["name"] == "NotAllowedError" and result["message"] == NOT_ALLOWED, result


# --- Issue 18 item 20: what a page may ask of vauth is bounded -----------------------------------

def vm_hwm_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise AssertionError("no VmHWM")


def test_an_oversized_call_is_refused(attach, context, rp):
    vauth = attach()
    page = context.new_page()
    page.goto(rp.url)
    before = keystore_state(vauth.cli)
    result = run(page, f"() => ({CREATE})({{user: {{id: new Uint8Array([1]), name: 'u', displayName: 'x'.repeat(1 << 20)}}}})")
    assert result["name"] == "NotAllowedError" and result["message"] == NOT_ALLOWED, result
    vauth.wait_for_line(r"create origin=http://localhost:\d+: NotAllowedError: options of \d+ bytes, more than the bridge takes")
    assert keystore_state(vauth.cli) == before


def test_calls_per_page_are_bounded(attach, context, rp):
    """Twelve frames of one page each call create() with 400 kB of options (an extension input
    nobody knows, which the browser passes on and vauth ignores) while vauth is busy (the
    keystore lock held): at most four calls of the page wait in vauth, the rest are refused at
    once, and vauth's memory stays that of a few calls."""
    vauth = attach()
    page = context.new_page()
    page.goto(rp.url)
    frames = 12
    run(page, """(count) => Promise.all(Array.from({ length: count }, () => new Promise((resolve) => {
        const frame = document.createElement('iframe');
        frame.src = '/';
        frame.onload = resolve;
        document.body.appendChild(frame);
    })))""", frames)
    with keystore_locked(vauth.cli):
        run(page, f"""() => {{ window.__results = Array.from(document.querySelectorAll('iframe'), (f) =>
            f.contentWindow.eval(`outcome(navigator.credentials.create({{ publicKey: {{ rp: {{ name: 'RP' }},
                user: {{ id: new Uint8Array([1]), name: 'u', displayName: 'U' }}, challenge: new Uint8Array(32),
                pubKeyCredParams: [{{ type: 'public-key', alg: -7 }}], timeout: 120000,
                extensions: {{ notAnExtension: 'x'.repeat(400000) }} }} }}))`)); return true; }}""")
        # All but four are refused while the four wait for the lock.
        vauth.log.wait_for_count(r"calls of this page are already waiting", frames - 4, timeout=120)
    results = run(page, "Promise.all(window.__results)", timeout=120)
    assert sum(r["ok"] for r in results) == 4, [r.get("name") for r in results]
    assert all(r["name"] == "NotAllowedError" and r["message"] == NOT_ALLOWED for r in results if not r["ok"])
    assert vm_hwm_kib(vauth.process.pid) < 150 * 1024


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


def test_same_json_as_chromiums_virtual_authenticator(browser, attach, rp, tmp_path):
    """The same page and RP with Chromium's own virtual authenticator (no vauth attached), then with
    vauth: top-level register and sign-in, and a register in a cross-origin iframe."""
    iframe_src = f"http://rp2.localhost:{rp.port}/"

    def ceremonies(context) -> list[dict]:
        page = context.pages[0]
        page.goto(rp.url)
        assert run(page, "register('heidi')")["verified"]
        assert run(page, "signIn()")["verified"]
        frame = add_iframe(page, iframe_src, "publickey-credentials-create; publickey-credentials-get")
        assert run(frame, "register('heidi')")["verified"]
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

    vauth = attach()
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
    arguments = [rp.url, str(tmp_path / "profile")] if example == "example_playwright.py" else [rp.url]
    done = subprocess.run([sys.executable, str(Path(__file__).parent / "bridge" / example), *arguments],
                          capture_output=True, text=True, env=env, timeout=240)
    assert done.returncode == 0, done.stderr
    assert done.stdout.count("'verified': True") == 2, done.stdout
    assert "vauth: attach: stopped after 2 answered calls" in done.stderr


def test_unreachable_endpoint_is_a_clear_error(tmp_path):
    cli = VauthCLI(tmp_path)
    # Port 9 (discard) on loopback: nothing listens there in a test environment.
    result = cli.run("attach", "--cdp", "http://127.0.0.1:9")
    assert result.code == 1
    assert re.match(r"^vauth: error: cannot reach the DevTools endpoint http://127\.0\.0\.1:9: .*--remote-debugging-port", result.stderr)
    result = cli.run("attach", "--cdp", "ws://127.0.0.1:9222")
    assert result.code == 2
    assert result.stderr.startswith("vauth: error: --cdp needs the browser's DevTools address as http://host:port")
    result = cli.run("attach")
    assert result.code == 2 and "exactly one of --cdp" in result.stderr
    result = cli.run("attach", "--bidi", "http://127.0.0.1:9222")
    assert result.code == 2 and result.stderr.startswith("vauth: error: --bidi needs a WebDriver BiDi session's WebSocket")
    assert not cli.keystore.exists()
