#!/usr/bin/env python3
"""vauth next to soft-webauthn (PyPI, pure Python on pyca/cryptography), in one run.

    Tests/Interop/bench/compare_soft_webauthn.py [--quick] [--vauth PATH]

Creates .venv-bench (soft-webauthn and its own python-fido2 1.x, pinned in requirements.txt
next to this file) on first use and re-runs itself inside it. It times soft-webauthn's
`SoftWebauthnDevice.create` / `.get` (ES256, `none` attestation, key held in memory), runs
`vauth bench --json` between two rounds of them so that machine load affects both alike, and
prints the ratios. Rates are operations per second; a ratio above 1 means vauth is faster.

What is compared with what:
- soft-webauthn `get` (client data JSON, authenticator data, ECDSA signature with the loaded key)
  against vauth's in-process getAssertion with a warm authenticator (key cached, as `vauth serve`
  keeps it) and against vauth's whole JSON client layer (`WebAuthnClient.get`: options JSON in,
  AuthenticationResponseJSON out, serialized);
- soft-webauthn `create` (new P-256 key, `none` attestation) against vauth's makeCredential with
  `none` attestation and against `WebAuthnClient.create` from options JSON to serialized JSON.
"""
import json
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[2]
VENV = REPO / ".venv-bench"


def ensure_venv():
    """Re-executes inside .venv-bench, creating it from requirements.txt when needed."""
    python = VENV / "bin" / "python"
    if Path(sys.prefix).resolve() == VENV.resolve():
        return
    stamp = VENV / ".requirements"
    wanted = (HERE / "requirements.txt").read_text()
    if not python.exists() or not stamp.exists() or stamp.read_text() != wanted:
        print("compare: creating .venv-bench with soft-webauthn", file=sys.stderr)
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check", "-r",
                        str(HERE / "requirements.txt")], check=True)
        stamp.write_text(wanted)
    os.execv(str(python), [str(python), __file__, *sys.argv[1:]])


def rate(seconds, body):
    """Operations per second of body over about `seconds` (after one warm-up call)."""
    body()
    count, start = 0, time.perf_counter()
    while True:
        body()
        count += 1
        elapsed = time.perf_counter() - start
        if elapsed >= seconds:
            return count / elapsed


def soft_webauthn_rates(seconds):
    from soft_webauthn import SoftWebauthnDevice

    device = SoftWebauthnDevice()
    create_options = {"publicKey": {
        "rp": {"id": "bench.example", "name": "Bench"}, "user": {"id": b"\x01\x02\x03\x04", "name": "bench", "displayName": "Bench"},
        "challenge": b"\x00" * 16, "pubKeyCredParams": [{"alg": -7, "type": "public-key"}], "attestation": "none"}}
    device.create(create_options, "https://bench.example")
    get_options = {"publicKey": {"rpId": "bench.example", "challenge": b"\x00" * 16}}
    creator = SoftWebauthnDevice()
    return {
        "get": rate(seconds, lambda: device.get(get_options, "https://bench.example")),
        "create": rate(seconds, lambda: creator.create(create_options, "https://bench.example")),
    }


def main():
    ensure_venv()
    quick = "--quick" in sys.argv
    vauth = os.environ.get("VAUTH_BIN") or str(REPO / ".build" / "release" / "vauth")
    if "--vauth" in sys.argv:
        vauth = sys.argv[sys.argv.index("--vauth") + 1]
    seconds = 0.5 if quick else 2.0

    import soft_webauthn  # noqa: F401  (fail early, before the long vauth run)
    before = soft_webauthn_rates(seconds)
    bench = subprocess.run([vauth, "bench", "--json"] + (["--quick"] if quick else []),
                           capture_output=True, text=True, check=True)
    after = soft_webauthn_rates(seconds)
    soft = {name: max(before[name], after[name]) for name in before}
    report = json.loads(bench.stdout)
    es256, client = report["results"]["es256"], report["results"]["client"]

    rows = [
        ("getAssertion, warm (in process)", es256["getAssertion"], "get", soft["get"]),
        ("getAssertion, cold (key loaded each time)", es256["getAssertionCold"], "get", soft["get"]),
        ("JSON client get (options JSON → response JSON)", client["getJSON"], "get", soft["get"]),
        ("makeCredential, none", es256["makeCredential"], "create", soft["create"]),
        ("JSON client create, none", client["createJSON"], "create", soft["create"]),
    ]
    machine = report.get("machine", {})
    print(f"machine: {machine.get('cpu', '?')}, {machine.get('cores', '?')} cores, {machine.get('openssl', '?')}, "
          f"Python {sys.version.split()[0]}, soft-webauthn 0.1.4")
    print(f"OpenSSL sign loop, ES256, in vauth's process: {es256['opensslSign']:,.0f}/s")
    print(f"{'vauth, ES256':<50}{'vauth/s':>10}  {'soft-webauthn':<16}{'/s':>8}  ratio")
    result = {}
    for name, ours, theirs_name, theirs in rows:
        print(f"{name:<50}{ours:>10,.0f}  {theirs_name:<16}{theirs:>8,.0f}  {ours / theirs:.2f}×")
        result[name] = {"vauth": ours, "softWebauthn": theirs, "ratio": ours / theirs}
    if "--json" in sys.argv:
        print(json.dumps({"comparison": result, "softWebauthn": soft, "vauth": report}, indent=2))


if __name__ == "__main__":
    main()
