"""vauth next to Playwright's own authenticator (`context.credentials`, Playwright from PyPI) and
Chromium's virtual authenticator, on the same page and relying party (py_webauthn verifies every
ceremony): credentials move both ways through `vauth export --format playwright` / `vauth
import`, and the README's side-by-side table is what this measures."""
from __future__ import annotations

import contextlib
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

from vauthcli import REPO, VauthCLI

sys.path.insert(0, str(Path(__file__).parent / "bridge"))
from rig import PAGE_CALL_TIMEOUT, WATCHDOG_GRACE, Chromium, bounded_function, watchdog  # noqa: E402
from rp_server import start_rp  # noqa: E402
from test_bridge import Attached  # noqa: E402


@pytest.fixture(scope="module")
def rp():
    server, relying_party, port = start_rp()
    relying_party.port = port
    relying_party.url = f"http://localhost:{port}/"
    yield relying_party
    server.shutdown()


@pytest.fixture(scope="module")
def chromium(tmp_path_factory):
    process = Chromium(tmp_path_factory.mktemp("chromium"))
    yield process
    process.stop()


@pytest.fixture(scope="module")
def browser(chromium):
    with sync_playwright() as p:
        with watchdog(PAGE_CALL_TIMEOUT, chromium, what="connecting Playwright"):
            browser = p.chromium.connect_over_cdp(chromium.url, timeout=PAGE_CALL_TIMEOUT * 1000)
        yield browser
        with contextlib.suppress(Exception):
            browser.close()


def call(chromium, page, source: str, arg=None):
    with watchdog(PAGE_CALL_TIMEOUT + WATCHDOG_GRACE, chromium, what=f"page call {source[:60]!r}"):
        return page.evaluate(bounded_function(source), arg)


def test_vauth_credentials_sign_in_through_playwrights_authenticator(browser, chromium, rp, tmp_path):
    """Registered through vauth, exported as a storageState, loaded into a new context: Playwright's
    authenticator signs in with it, and the RP (which only knows the public key from the vauth
    registration) accepts the signature and the counter."""
    cli = VauthCLI(tmp_path)
    vauth = Attached(cli, chromium.url)
    try:
        context = browser.new_context()
        page = context.new_page()
        page.goto(rp.url)
        # ES256: the one algorithm Playwright's authenticator has.
        created = call(chromium, page, "register('alice', { algorithms: [-7] })")
        assert created["verified"]
        assert call(chromium, page, "signIn()")["verified"]
        context.close()
    finally:
        assert vauth.stop() == 0
    exported = cli.run("export", "--format", "playwright", env=cli.env(VAUTH_SCRYPT_LOG2N="10"))
    assert exported.code == 0, exported.stderr
    state = exported.json
    assert set(state) == {"cookies", "origins", "credentials"} and state["cookies"] == state["origins"] == []
    [credential] = state["credentials"]
    assert set(credential) == {"id", "rpId", "userHandle", "privateKey", "publicKey", "signCount"}
    assert credential["id"] == created["credentialId"] and credential["rpId"] == "localhost" and credential["signCount"] == 1
    path = tmp_path / "state.json"
    path.write_text(exported.stdout)

    context = browser.new_context(storage_state=str(path))
    try:
        page = context.new_page()
        page.goto(rp.url)
        signed = call(chromium, page, "signIn()")
        assert signed["verified"] and signed["credentialId"] == created["credentialId"] and signed["signCount"] == 2, signed
        assert context.credentials.get()[0]["id"] == created["credentialId"]
    finally:
        context.close()


def test_playwright_credentials_sign_in_through_vauth(browser, chromium, rp, tmp_path):
    """Registered through Playwright's authenticator; `context.credentials.get()` and
    `context.storage_state(credentials=True)` both import into vauth, which then signs in."""
    context = browser.new_context()
    try:
        context.credentials.install()
        page = context.new_page()
        page.goto(rp.url)
        created = call(chromium, page, "register('bob')")
        assert created["verified"]
        listed = context.credentials.get()
        state = tmp_path / "state.json"
        context.storage_state(path=str(state), credentials=True)
    finally:
        context.close()
    assert [c["id"] for c in listed] == [created["credentialId"]]

    for number, (label, document) in enumerate([("credentials.get()", json.dumps(listed)), ("storageState", state.read_text())]):
        (tmp_path / f"import{number}").mkdir()
        cli = VauthCLI(tmp_path / f"import{number}")
        imported = cli.run("import", input=document, env=cli.env(VAUTH_SCRYPT_LOG2N="10"))
        assert imported.code == 0, (label, imported.stderr)
        assert imported.json == {"imported": [created["credentialId"]]}
        vauth = Attached(cli, chromium.url)
        # Two imports of one credential are clones: the RP forgets the first one's counter.
        rp.credentials[created["credentialId"]]["sign_count"] = 0
        context = browser.new_context()
        try:
            page = context.new_page()
            page.goto(rp.url)
            signed = call(chromium, page, "signIn()")
            assert signed["verified"] and signed["credentialId"] == created["credentialId"], (label, signed)
        finally:
            context.close()
            assert vauth.stop() == 0


def test_exports_playwright_cannot_use_are_refused_by_name(tmp_path):
    cli = VauthCLI(tmp_path)
    options = {"rp": {"id": "example.com", "name": "Example"}, "user": {"id": "dXNlci0xMjM", "name": "a", "displayName": "A"},
               "challenge": "q83vEjRWeJCrze8SNFZ4kA", "pubKeyCredParams": [{"type": "public-key", "alg": -8}]}
    created = cli.create(options, "https://example.com")
    assert created.code == 0, created.stderr
    before = cli.run("export", "--format", "vauth")
    result = cli.run("export", "--format", "playwright")
    assert result.code != 0 and result.stdout == ""
    assert re.match(rf"^vauth: error: credential {created.json['id']} is eddsa, and Playwright's credentials are es256 only: use --format vauth$",
                    result.stderr.strip()), result.stderr
    # A VirtualCredential whose public key is not its private key's is refused, and nothing is written.
    exported = json.loads(before.stdout)
    assert exported["credentials"]
    wrong = {"id": "AAECAwQFBgcICQoLDA0ODw", "rpId": "example.com", "userHandle": "dXNlci0xMjM", "signCount": 0,
             "privateKey": "", "publicKey": ""}
    result = cli.run("import", input=json.dumps([wrong]))
    assert result.code == 2 and result.stderr.startswith("vauth: error: import file: [0].privateKey"), result.stderr


MEASURE = """async () => {
  const base = (alg, extra = {}) => ({ rp: { name: 'RP' }, user: { id: new Uint8Array([1, 2, 3]), name: 'u', displayName: 'U' },
    challenge: new Uint8Array(32), pubKeyCredParams: [{ type: 'public-key', alg }],
    authenticatorSelection: { residentKey: 'required', userVerification: 'required' }, ...extra });
  const out = { algorithms: [] };
  for (const alg of [-7, -8, -257]) {
    try { const c = await navigator.credentials.create({ publicKey: base(alg) });
          if (c.response.getPublicKeyAlgorithm() === alg) out.algorithms.push(alg); } catch (e) {}
  }
  const c = await navigator.credentials.create({ publicKey: base(-7, { attestation: 'direct',
    extensions: { credProps: true, largeBlob: { support: 'preferred' }, prf: {} } }) });
  out.attestationObject = Array.from(new Uint8Array(c.response.attestationObject).slice(0, 24));
  out.extensions = Object.keys(c.getClientExtensionResults()).sort();
  out.json = Object.keys(c.toJSON()).sort();
  out.responseJson = Object.keys(c.toJSON().response).sort();
  out.flags = new Uint8Array(c.response.getAuthenticatorData())[32];
  out.attachment = c.authenticatorAttachment;
  out.transports = c.response.getTransports();
  return out;
}"""

ALGORITHMS = {-7: "ES256", -8: "EdDSA", -257: "RS256"}
FLAGS = [(0x01, "UP"), (0x04, "UV"), (0x08, "BE"), (0x10, "BS"), (0x40, "AT"), (0x80, "ED")]
FULL_JSON = (["authenticatorAttachment", "clientExtensionResults", "id", "rawId", "response", "type"],
             ["attestationObject", "authenticatorData", "clientDataJSON", "publicKey", "publicKeyAlgorithm", "transports"])


def cells(measured: dict) -> dict:
    prefix = bytes(measured["attestationObject"])
    at = prefix.find(b"fmt")
    fmt = prefix[at + 4:at + 4 + prefix[at + 3] - 0x60].decode()
    return {
        "algorithms accepted": ", ".join(ALGORITHMS[a] for a in measured["algorithms"]),
        "attestation when the RP asks for `direct`": fmt,
        "extension results (credProps, largeBlob, prf asked)": ", ".join(measured["extensions"]) or "none",
        "`toJSON()` of a registration": "all members" if (measured["json"], measured["responseJson"]) == FULL_JSON
        else ", ".join(measured["json"]),
        "flags at registration": ", ".join(name for bit, name in FLAGS if measured["flags"] & bit),
        "attachment, transports": ", ".join([measured["attachment"], *measured["transports"]]),
    }


def test_the_readme_table_is_what_the_three_do(browser, chromium, rp, tmp_path):
    measured = {}
    context = browser.new_context()
    try:
        context.credentials.install()
        page = context.new_page()
        page.goto(rp.url)
        measured["playwright"] = cells(call(chromium, page, MEASURE))
    finally:
        context.close()
    context = browser.new_context()
    try:
        page = context.new_page()
        cdp = context.new_cdp_session(page)
        cdp.send("WebAuthn.enable")
        cdp.send("WebAuthn.addVirtualAuthenticator", {"options": {
            "protocol": "ctap2", "transport": "usb", "hasResidentKey": True, "hasUserVerification": True,
            "isUserVerified": True, "automaticPresenceSimulation": True, "hasPrf": True}})
        page.goto(rp.url)
        measured["chromium"] = cells(call(chromium, page, MEASURE))
    finally:
        context.close()
    vauth = Attached(VauthCLI(tmp_path), chromium.url)
    context = browser.new_context()
    try:
        page = context.new_page()
        page.goto(rp.url)
        measured["vauth"] = cells(call(chromium, page, MEASURE))
    finally:
        context.close()
        assert vauth.stop() == 0

    readme = (REPO / "README.md").read_text()
    table = readme.split("<!-- side-by-side table: measured by test_bridge_playwright.py -->\n")[1].split("\n\n")[0]
    rows = {}
    for line in table.splitlines()[2:]:
        name, *values = [cell.strip() for cell in line.strip("|").split("|")]
        rows[name] = values
    for row in measured["vauth"]:
        assert rows[row] == [measured["vauth"][row], measured["playwright"][row], measured["chromium"][row]], row
