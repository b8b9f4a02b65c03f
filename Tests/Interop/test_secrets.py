"""Secrets at run time (issue 14): core dumps are off in every vauth process, and the session-wide
secrets check (vauthcli.SecretWatch, run by conftest.py at the end of the run) really finds a
leak when there is one."""
from __future__ import annotations

import base64
import subprocess
import time
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from vauthcli import Result, SecretWatch, VauthCLI


def _limits(pid: int) -> dict[str, list[str]]:
    limits = {}
    for line in Path(f"/proc/{pid}/limits").read_text().splitlines()[1:]:
        name, values = line[:26].strip(), line[26:].split()
        limits[name] = values
    return limits


def test_vauth_runs_without_core_dumps(vauth):
    """While `vauth create` waits for its options on stdin (after unlocking nothing yet, but the
    protection is on from the first instruction), the kernel reports a core limit of 0/0. The
    dumpable flag is read back in-process by CoreDumpProtectionTests (prctl(PR_GET_DUMPABLE))."""
    process = subprocess.Popen([vauth.binary, "create", "--origin", "https://example.com"], stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=vauth.env())
    try:
        deadline = time.monotonic() + 20
        core = None
        while time.monotonic() < deadline:
            core = _limits(process.pid).get("Max core file size")
            if core and core[:2] == ["0", "0"]:
                break
            time.sleep(0.02)
        assert core is not None and core[:2] == ["0", "0"], f"core limit of a running vauth: {core}"
    finally:
        process.kill()
        process.communicate()


def _pkcs8() -> bytes:
    return ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())


def test_secret_watch_finds_what_it_must(tmp_path):
    watch = SecretWatch()
    cli = VauthCLI(tmp_path)
    key = _pkcs8()
    export = '{"credentials": [{"privateKey": "%s"}]}' % base64.b64encode(key).decode()
    scalar_hex = key[key.find(bytes.fromhex("0201010420")) + 5:][:32].hex()
    passphrase = "Tz9-a-passphrase-only-a-test-knows"
    watch.observe(cli, ["export"], cli.env(), None, Result(0, export, ""))
    watch.observe(cli, ["list"], cli.env(VAUTH_PASSPHRASE=passphrase), None,
                  Result(2, "", f"vauth: error: wrong passphrase {passphrase}\n"))
    watch.observe(cli, ["get"], cli.env(), None, Result(0, f'{{"debug": "{scalar_hex}"}}', ""))
    watch.observe(cli, ["info"], cli.env(), None, Result(0, cli.key_file.read_bytes().hex(), ""))
    leaks = watch.leaks()
    assert any("`vauth list` printed its passphrase on stderr" in leak for leak in leaks), leaks
    assert any("`vauth get` printed an EC private scalar on stdout" in leak for leak in leaks), leaks
    assert any("`vauth info` printed a key file's key on stdout" in leak for leak in leaks), leaks
    assert not any("`vauth export`" in leak for leak in leaks), "export may print keys on stdout"
    (tmp_path / (cli.keystore.name + ".tmp")).write_bytes(b"header" + key)
    assert any("holds a private key in the clear" in leak for leak in watch.files_at_rest())


def test_secret_watch_finds_dfns_passwords_and_totp_secrets(tmp_path):
    """Issue 27: a Dfns password (VAUTH_DFNS_PASSWORD, --password-file) is watched like a
    passphrase, in the arguments too; a TOTP secret learnt from an export's otpauth URI is watched
    in every other output."""
    watch = SecretWatch()
    cli = VauthCLI(tmp_path)
    password = "Tz9-a-dfns-password-only-a-test-knows"
    (tmp_path / "password").write_text(password + "\n")
    watch.observe(cli, ["dfns", "sign", "--password-file", str(tmp_path / "password")], cli.env(), None,
                  Result(0, '{"firstFactor": {"kind": "Password", "password": "%s"}}' % password, ""))
    watch.observe(cli, ["dfns", "register"], cli.env(VAUTH_DFNS_PASSWORD=password), None, Result(1, "", f"vauth: error: {password}\n"))
    watch.observe(cli, ["dfns", "register", "--password", password], cli.env(), None, Result(2, "", "vauth: error: unknown option\n"))
    export = '{"credentials": [{"kind": "totp", "otpauth": "otpauth://totp/x?secret=JBSWY3DPEHPK3PXPJBSWY3DP&digits=6"}]}'
    watch.observe(cli, ["export"], cli.env(), None, Result(0, export, ""))
    watch.observe(cli, ["dfns", "totp"], cli.env(), None, Result(0, '{"debug": "JBSWY3DPEHPK3PXPJBSWY3DP"}', ""))
    leaks = watch.leaks()
    assert any("`vauth dfns sign --password-file" in leak and "printed its passphrase on stdout" in leak for leak in leaks), leaks
    assert any("`vauth dfns register` printed its passphrase on stderr" in leak for leak in leaks), leaks
    assert any("had a passphrase or password in its arguments" in leak for leak in leaks), leaks
    assert any("`vauth dfns totp` printed a TOTP secret on stdout" in leak for leak in leaks), leaks
    assert not any("`vauth export`" in leak for leak in leaks), "export may print a TOTP secret"
