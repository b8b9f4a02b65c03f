"""`vauth attach --bidi`: vauth answers a real Firefox page's own navigator.credentials through
WebDriver BiDi. Debian's firefox-esr, headless, started by the test with Marionette and BiDi on
ports it picks itself; the WebDriver session is made through Marionette (`marionette-driver`,
PyPI) and vauth joins it at its webSocketUrl, as it would a suite's Selenium session. The test
drives pages over its own BiDi connection (Tests/Interop/bridge/bidi.py); every page call is
bounded by a timer in the page and every receive by a socket timeout."""
from __future__ import annotations

import base64
import contextlib
import json
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from vauthcli import REPO, VauthCLI

sys.path.insert(0, str(Path(__file__).parent / "bridge"))
from bidi import BiDi  # noqa: E402
from rig import Firefox, Lines  # noqa: E402
from rp_server import start_rp  # noqa: E402
from test_bridge import (CONDITIONAL_GET, CREATE, LOCK_WAIT, PENDING_CREATE, add_iframe, keystore_locked, keystore_state, credential_ids,  # noqa: E402
                         shape, wait_until_vauth_waits_for_the_lock, b64decode)

FIREFOX_NOT_ALLOWED = ("The request is not allowed by the user agent or the platform in the current context, possibly "
                       "because the user denied permission.")


@pytest.fixture(scope="module")
def rp():
    server, relying_party, port = start_rp()
    relying_party.port = port
    relying_party.url = f"http://localhost:{port}/"
    yield relying_party
    server.shutdown()


@pytest.fixture(scope="module")
def firefox(tmp_path_factory):
    process = Firefox(tmp_path_factory.mktemp("firefox"))
    yield process
    process.stop()


@pytest.fixture
def bidi(firefox):
    client = BiDi(firefox.session_url)
    yield client
    client.close()


@pytest.fixture
def tab(bidi):
    context = bidi.new_tab()
    yield context
    with contextlib.suppress(Exception):
        bidi.send("browsingContext.close", {"context": context})


class AttachedBiDi:
    def __init__(self, cli: VauthCLI, session: str, *flags: str):
        self.cli = cli
        self.process = subprocess.Popen([cli.binary, "attach", "--bidi", session, *flags],
                                        env=cli.env(VAUTH_SCRYPT_LOG2N="10", VAUTH_LOCK_TIMEOUT=LOCK_WAIT), stderr=subprocess.PIPE,
                                        text=True)
        self.log = Lines(self.process.stderr)
        try:
            self.log.wait_for(r"^vauth: attach: serving the WebDriver BiDi session ", timeout=60)
        except AssertionError:
            self.process.kill()
            raise

    @property
    def lines(self):
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
def attach(firefox, tmp_path):
    started: list[AttachedBiDi] = []

    def start(*flags: str) -> AttachedBiDi:
        attached = AttachedBiDi(VauthCLI(tmp_path), firefox.session_url, *flags)
        started.append(attached)
        return attached

    yield start
    for attached in started:
        with contextlib.suppress(Exception):
            attached.stop()


def frame_context(bidi: BiDi, tab: str, src: str, allow: str | None) -> str:
    bidi.run(tab, """([src, allow]) => new Promise((resolve) => {
        const frame = document.createElement('iframe');
        if (allow) frame.allow = allow;
        frame.src = src;
        frame.onload = resolve;
        document.body.appendChild(frame);
    })""", [src, allow])
    return next(c["context"] for c in bidi.children(tab) if c["url"] == src)


def test_register_sign_in_reload_second_tab_and_iframe(attach, bidi, tab, rp):
    vauth = attach()
    bidi.navigate(tab, rp.url)
    created = bidi.run(tab, "register('alice')")
    assert created["verified"], created
    assert bidi.run(tab, "signIn()")["verified"]
    vauth.wait_for_line(rf"^vauth: attach: create origin=http://localhost:{rp.port} rpId=localhost credential={created['credentialId']}: ok$")
    shape_seen = bidi.run(tab, """async () => {
        const options = PublicKeyCredential.parseRequestOptionsFromJSON(await post('/login/options', {}));
        const c = await navigator.credentials.get({ publicKey: options });
        return { instance: c instanceof PublicKeyCredential, response: c.response instanceof AuthenticatorAssertionResponse,
                 rawId: c.rawId instanceof ArrayBuffer, own: Object.getOwnPropertyNames(c), keys: Object.keys(c.toJSON()).sort() };
    }""")
    assert shape_seen == {"instance": True, "response": True, "rawId": True, "own": [],
                          "keys": ["authenticatorAttachment", "clientExtensionResults", "id", "rawId", "response", "type"]}
    rp.challenges.pop(f"localhost:{rp.port}", None)
    # A reload and a second tab are served too.
    bidi.reload(tab)
    assert bidi.run(tab, "signIn()")["verified"]
    second = bidi.new_tab()
    try:
        bidi.navigate(second, rp.url)
        assert bidi.run(second, "signIn()")["verified"]
    finally:
        bidi.send("browsingContext.close", {"context": second})
    # A cross-origin iframe gets cross-origin client data, from the browser's origins.
    inner = f"http://rp2.localhost:{rp.port}/"
    frame = frame_context(bidi, tab, inner, "publickey-credentials-create; publickey-credentials-get")
    assert bidi.run(frame, "register('bob')")["verified"]
    client_data = json.loads(b64decode(rp.posted[-1]["json"]["response"]["clientDataJSON"]))
    assert client_data == {**client_data, "origin": f"http://rp2.localhost:{rp.port}", "crossOrigin": True,
                           "topOrigin": f"http://localhost:{rp.port}"}
    vauth.wait_for_line(rf"create origin=http://rp2.localhost:{rp.port} \(iframe under http://localhost:{rp.port}\) rpId=rp2.localhost")
    # The credentials are vauth's: `vauth get` signs in with one outside the browser.
    host = f"localhost:{rp.port}"
    options = rp.handle("/login/options", host, {"allow": [created["credentialId"]]})
    result = vauth.cli.run("get", "--origin", f"http://{host}", input=options, env=vauth.cli.env(VAUTH_SCRYPT_LOG2N="10"))
    assert result.code == 0 and rp.handle("/login/verify", host, {"credential": result.json})["verified"], result.stderr


# Refusals Firefox makes before any authenticator is involved: compared with Firefox itself (no
# vauth attached), they must be the same exception with the same message.
NATIVE_REFUSALS = [
    ("rp id of another site", CREATE, "{rp: {id: 'example.com', name: 'RP'}}"),
    ("publicKey null", "() => outcome(navigator.credentials.create({ publicKey: null }))", None),
    ("no challenge", CREATE, "{challenge: undefined}"),
    ("challenge not a buffer", CREATE, "{challenge: 'not-a-buffer'}"),
    ("bad mediation", "() => outcome(navigator.credentials.get({ publicKey: { challenge: new Uint8Array(16) }, mediation: 'bogus' }))", None),
    ("aborted signal", "() => outcome(navigator.credentials.get({ publicKey: { challenge: new Uint8Array(16) }, signal: AbortSignal.abort() }))", None),
    ("user.id too long", CREATE, "{user: {id: new Uint8Array(65), name: 'u', displayName: 'U'}}"),
]


def expression(script: str, argument: str | None) -> str:
    return script if argument is None else f"() => ({script})({argument})"


def test_refusals_are_firefoxs_own(attach, bidi, tab, rp):
    bidi.navigate(tab, rp.url)
    native = {label: bidi.run(tab, expression(script, argument)) for label, script, argument in NATIVE_REFUSALS}
    frame = frame_context(bidi, tab, f"http://rp3.localhost:{rp.port}/", None)
    native["iframe without allow"] = bidi.run(frame, f"() => ({CREATE})({{}})")
    vauth = attach()
    bidi.reload(tab)
    ours = {label: bidi.run(tab, expression(script, argument)) for label, script, argument in NATIVE_REFUSALS}
    frame = frame_context(bidi, tab, f"http://rp3.localhost:{rp.port}/", None)
    ours["iframe without allow"] = bidi.run(frame, f"() => ({CREATE})({{}})")
    assert ours == native
    assert native["iframe without allow"]["message"] == "CredentialsContainer request is not allowed."
    assert native["rp id of another site"]["name"] == "SecurityError"
    vauth.wait_for_line(r"create origin=http://rp3.localhost:\d+ \(iframe under http://localhost:\d+\) rpId=rp3.localhost: "
                        r"NotAllowedError: The 'publickey-credentials-create' feature is not enabled")
    # Refusals that need an authenticator: Firefox's names and its generic message, nothing stored.
    assert bidi.run(tab, "register('dave', { userVerification: 'discouraged', residentKey: 'discouraged' })")["verified"]
    before = keystore_state(vauth.cli)
    for script, argument, name in [
        ("() => outcome(signIn({ allow: ['AAECAwQFBgcICQoLDA0ODw'] }))", None, "NotAllowedError"),
        (CREATE, "{pubKeyCredParams: [{type: 'public-key', alg: -999}]}", "NotAllowedError"),
        (CREATE, "{extensions: {largeBlob: {support: 'required'}}}", "NotAllowedError"),
    ]:
        result = bidi.run(tab, expression(script, argument))
        assert result == {"ok": False, "name": name, "isDOMException": True, "isTypeError": False,
                          "message": FIREFOX_NOT_ALLOWED}, result
    first = rp.posted[-1]["json"]["id"]
    result = bidi.run(tab, "(id) => outcome(register('dave', { exclude: [id] }))", first)
    assert result["name"] == "InvalidStateError" and "CREDENTIAL_EXCLUDED" not in result["message"], result
    assert keystore_state(vauth.cli) == before
    vauth.wait_for_line(r"get origin=http://localhost:\d+ rpId=localhost: NotAllowedError: .*CTAP2_ERR_NO_CREDENTIALS")


SURFACE = """() => {
    const ts = (f) => Function.prototype.toString.call(f);
    const show = (o, n) => { const x = Object.getOwnPropertyDescriptor(o, n); const f = x.get || x.value;
        return [ts(f), f.name, f.length, x.enumerable, x.configurable, 'prototype' in f, ts(ts)]; };
    return { globals: Object.getOwnPropertyNames(window).sort(),
             create: show(CredentialsContainer.prototype, 'create'), get: show(CredentialsContainer.prototype, 'get'),
             rawId: show(PublicKeyCredential.prototype, 'rawId'), toJSON: show(PublicKeyCredential.prototype, 'toJSON'),
             toString: show(Function.prototype, 'toString'),
             uvpaa: show(PublicKeyCredential, 'isUserVerifyingPlatformAuthenticatorAvailable') };
}"""


def test_the_page_sees_firefoxs_own_surface(attach, bidi, tab, rp):
    """The same page without and with vauth: the same global names, and the replaced methods and
    getters print and describe themselves as Firefox's natives; credentials have no own
    properties and the prototypes' getters work on them."""
    bidi.navigate(tab, rp.url)
    native = bidi.run(tab, SURFACE)
    attach()
    bidi.reload(tab)
    assert bidi.run(tab, SURFACE) == native
    seen = bidi.run(tab, """async () => {
        const c = await navigator.credentials.create({ publicKey: { rp: { name: 'RP' },
            user: { id: new Uint8Array([1, 2, 3]), name: 'u', displayName: 'U' }, challenge: new Uint8Array(32),
            pubKeyCredParams: [{ type: 'public-key', alg: -7 }], extensions: { largeBlob: { support: 'preferred' } } } });
        const rawId = Object.getOwnPropertyDescriptor(PublicKeyCredential.prototype, 'rawId').get.call(c);
        return { own: Object.getOwnPropertyNames(c), responseOwn: Object.getOwnPropertyNames(c.response),
                 rawId: rawId instanceof ArrayBuffer, extensions: c.getClientExtensionResults() };
    }""")
    assert seen == {"own": [], "responseOwn": [], "rawId": True, "extensions": {"largeBlob": {"supported": False}}}
    insecure = bidi.new_tab()
    try:
        # An insecure page (a data: URL) gets nothing at all.
        bidi.navigate(insecure, "data:text/html,<p>insecure</p>")
        assert bidi.run(insecure, "() => [isSecureContext, typeof PublicKeyCredential]") == [False, "undefined"]
    finally:
        bidi.send("browsingContext.close", {"context": insecure})


def test_a_create_the_page_aborted_keeps_nothing(attach, bidi, tab, rp):
    vauth = attach()
    bidi.navigate(tab, rp.url)
    assert bidi.run(tab, "register('pat')")["verified"]
    before = credential_ids(vauth.cli)
    with keystore_locked(vauth.cli):
        bidi.run(tab, PENDING_CREATE, 60000)
        wait_until_vauth_waits_for_the_lock(vauth)
        bidi.run(tab, "() => window.__controller.abort()")
        assert bidi.run(tab, "window.__result")["name"] == "AbortError"
    line = vauth.wait_for_line(r"create origin=.*: not kept: ")
    assert credential_ids(vauth.cli) == before and vauth.lines[-1] == line


def test_conditional_mediation_and_forged_options(attach, bidi, tab, rp):
    vauth = attach()
    bidi.navigate(tab, rp.url)
    assert bidi.run(tab, "PublicKeyCredential.isConditionalMediationAvailable()") is True
    bidi.run(tab, CONDITIONAL_GET)
    vauth.wait_for_line(r"get \(conditional\) .*no credential, left pending")
    bidi.run(tab, "() => window.__controller.abort()")
    assert bidi.run(tab, "window.__conditional")["name"] == "AbortError"
    before = keystore_state(vauth.cli)
    result = bidi.run(tab, f"() => ({CREATE})({{rp: {{id: 'bank.example', name: 'Bank'}}, origin: 'https://bank.example'}})")
    assert result["name"] == "SecurityError" and result["message"] == "The operation is insecure.", result
    vauth.wait_for_line(rf"create origin=http://localhost:{rp.port} rpId=bank.example: SecurityError: ")
    assert keystore_state(vauth.cli) == before
    assert bidi.run(tab, "register('frank')")["verified"]
    assert bidi.run(tab, "signIn({ mediation: 'conditional' })")["verified"]


def test_clean_stop_leaves_the_session_as_it_was(attach, bidi, tab, rp):
    """SIGTERM: vauth removes its preload script and subscription and exits 0; the suite's
    session goes on, and new pages get Firefox's own WebAuthn again."""
    bidi.navigate(tab, rp.url)
    native = bidi.run(tab, "PublicKeyCredential.isUserVerifyingPlatformAuthenticatorAvailable()")
    vauth = attach()
    bidi.reload(tab)
    assert bidi.run(tab, "PublicKeyCredential.isUserVerifyingPlatformAuthenticatorAvailable()") is True
    assert vauth.stop() == 0
    vauth.wait_for_line(r"^vauth: attach: stopped after 0 answered calls$")
    bidi.reload(tab)
    assert bidi.run(tab, "PublicKeyCredential.isUserVerifyingPlatformAuthenticatorAvailable()") is native is False


def test_the_same_page_posts_the_same_json_in_chromium_and_firefox(attach, bidi, tab, rp, tmp_path):
    """The page registers and signs in through vauth in Firefox (--bidi) and in Chromium (--cdp):
    what it posts has the same members and encodings."""
    from playwright.sync_api import sync_playwright
    from rig import Chromium, bounded_function, watchdog
    attach()
    bidi.navigate(tab, rp.url)
    assert bidi.run(tab, "register('heidi')")["verified"] and bidi.run(tab, "signIn()")["verified"]
    firefox_posted = rp.posted[-2:]
    chromium = Chromium(tmp_path)
    cdp_vauth = None
    try:
        from test_bridge import Attached
        (tmp_path / "cdp").mkdir()
        cdp_vauth = Attached(VauthCLI(tmp_path / "cdp"), chromium.url)
        with sync_playwright() as p, watchdog(240, chromium, what="Chromium ceremonies"):
            browser = p.chromium.connect_over_cdp(chromium.url)
            page = browser.new_context().new_page()
            page.goto(rp.url)
            assert page.evaluate(bounded_function("register('heidi')"))["verified"]
            assert page.evaluate(bounded_function("signIn()"))["verified"]
            browser.close()
        chromium_posted = rp.posted[-2:]
    finally:
        if cdp_vauth:
            cdp_vauth.stop()
        chromium.stop()
    for a, b in zip(firefox_posted, chromium_posted):
        assert a["kind"] == b["kind"]
        assert shape({**a["json"], "response": {}}) == shape({**b["json"], "response": {}})
        assert set(a["json"]["response"]) == set(b["json"]["response"])
        for member in a["json"]["response"]:
            assert shape(a["json"]["response"][member]) == shape(b["json"]["response"][member]) or member == "userHandle", member
        data_a, data_b = (json.loads(b64decode(x["json"]["response"]["clientDataJSON"])) for x in (a, b))
        assert set(data_a) == set(data_b)


def test_readme_example_runs(rp, tmp_path):
    readme = (REPO / "README.md").read_text()
    source = (Path(__file__).parent / "bridge" / "example_firefox.py").read_text()
    assert source.strip() in readme, "README does not show example_firefox.py as it is"
    cli = VauthCLI(tmp_path)
    env = cli.env(VAUTH_SCRYPT_LOG2N="10")
    env["PATH"] = str(Path(cli.binary).parent) + ":" + env.get("PATH", "")
    done = subprocess.run([sys.executable, str(Path(__file__).parent / "bridge" / "example_firefox.py"), rp.url,
                           str(tmp_path / "profile")], capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.count("'verified': True") == 2, done.stdout
    assert "vauth: attach: stopped after 2 answered calls" in done.stderr


# Last in the module on purpose: a killed vauth cannot remove its preload script, which stays in
# the shared Firefox session (its calls then time out, and a later vauth's script wraps it).
def test_a_call_vauth_cannot_answer_rejects_at_its_timeout(attach, bidi, tab, rp):
    """vauth is killed in the middle of a page's create(): the page's promise rejects with
    Firefox's NotAllowedError when the options' timeout runs out."""
    vauth = attach()
    bidi.navigate(tab, rp.url)
    with keystore_locked(vauth.cli):
        bidi.run(tab, PENDING_CREATE, 3000)
        wait_until_vauth_waits_for_the_lock(vauth)
        vauth.process.send_signal(signal.SIGKILL)
    result = bidi.run(tab, "window.__result")
    assert result == {"ok": False, "name": "NotAllowedError", "isDOMException": True, "isTypeError": False,
                      "message": FIREFOX_NOT_ALLOWED}, result


def test_a_session_vauth_cannot_join_is_a_clear_error(firefox, tmp_path):
    """A session id the browser does not know (or a BiDi-only session, which cannot be joined):
    Firefox refuses the WebSocket upgrade, and vauth says so and what to check."""
    cli = VauthCLI(tmp_path)
    bogus = re.sub(r"/session/.*$", "/session/00000000-0000-0000-0000-000000000000", firefox.session_url)
    result = cli.run("attach", "--bidi", bogus, timeout=120)
    assert result.code == 1, result.stderr
    assert result.stderr == (f"vauth: error: the browser endpoint {bogus} refused the WebSocket upgrade "
                             "(for --bidi: is it the webSocketUrl of a WebDriver session?)\n"), result.stderr
    assert not cli.keystore.exists()
