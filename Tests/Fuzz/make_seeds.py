#!/usr/bin/env python3
"""Writes the seed corpora of Tests/Fuzz/corpus (except options-json's JSONTestSuite files) and
Tests/Fuzz/seed-keystore.vauth. Run once with the repository's venv and a built vauth:

    .venv/bin/python Tests/Fuzz/make_seeds.py .build/debug/vauth

The keystore seeds use the key file 00 01 … 1f (FuzzHarness.seedKey)."""
import base64
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import cbor2

FUZZ = Path(__file__).resolve().parent
CORPUS = FUZZ / "corpus"


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def put(harness: str, name: str, data: bytes) -> None:
    (CORPUS / harness).mkdir(parents=True, exist_ok=True)
    (CORPUS / harness / name).write_bytes(data)


def canonical(value) -> bytes:
    return cbor2.dumps(value, canonical=True)


def ctap_seeds() -> None:
    cdh = hashlib.sha256(b"client data").digest()
    make = {1: cdh, 2: {"id": "example.com", "name": "Example"},
            3: {"id": b"user-1", "name": "alice", "displayName": "Alice"},
            4: [{"type": "public-key", "alg": -7}, {"type": "public-key", "alg": -8}],
            5: [{"type": "public-key", "id": b"\x01" * 16}],
            6: {"credProtect": 2, "hmac-secret": True}, 7: {"rk": True, "uv": True}}
    get = {1: "example.com", 2: cdh, 3: [{"type": "public-key", "id": b"\x02" * 16}], 5: {"up": True, "uv": True}}
    get_rk = {1: "example.com", 2: cdh}
    pin_get_key = {1: 2, 2: 2}
    pin_retries = {1: 2, 2: 1}
    pin_token = {1: 2, 2: 9, 3: {1: 2, 3: -25, -1: 1, -2: b"\x11" * 32, -3: b"\x22" * 32}, 9: 3, 10: "example.com"}
    for name, message in [("makeCredential", b"\x01" + canonical(make)), ("getAssertion", b"\x02" + canonical(get)),
                          ("getAssertion-discoverable", b"\x02" + canonical(get_rk)), ("getInfo", b"\x04"),
                          ("clientPIN-getKeyAgreement", b"\x06" + canonical(pin_get_key)),
                          ("clientPIN-getRetries", b"\x06" + canonical(pin_retries)),
                          ("clientPIN-getPinUvAuthTokenUsingUv", b"\x06" + canonical(pin_token)),
                          ("getNextAssertion", b"\x08"), ("selection", b"\x0b")]:
        put("ctap", name, message)
        if len(message) > 1:
            put("cbor", name, message[1:])
    for name, value in [("ints", [0, 23, 24, 255, 256, 65535, 65536, -1, -24, -25, 2**32, -(2**32)]),
                        ("text-bytes", {"a": b"", "b": "\u00fc\u6c34"}), ("nested", [[[[{1: [True, False, None]}]]]]),
                        ("map-order", {1: 1, -1: 2, "a": 3, "aa": 4, b"\x00": 5})]:
        put("cbor", name, canonical(value))


def hid_reports(channel: int, command: int, payload: bytes) -> list[bytes]:
    """CTAP 2.2 §11.2.4 framing: an initialization packet, then continuations."""
    head = channel.to_bytes(4, "big") + bytes([0x80 | command]) + len(payload).to_bytes(2, "big")
    reports = [(head + payload[:57]).ljust(64, b"\0")]
    rest, sequence = payload[57:], 0
    while rest:
        reports.append((channel.to_bytes(4, "big") + bytes([sequence]) + rest[:59]).ljust(64, b"\0"))
        rest, sequence = rest[59:], sequence + 1
    return reports


def hid_stream(reports: list[bytes], step: int = 1) -> bytes:
    """The ctaphid harness's input: [time step] [length - 1] [report] records."""
    return b"".join(bytes([step, len(r) - 1]) + r for r in reports)


def ctaphid_seeds() -> None:
    broadcast, channel = 0xFFFFFFFF, 1
    init = hid_reports(broadcast, 0x06, bytes(range(8)))
    cdh = hashlib.sha256(b"client data").digest()
    make = b"\x01" + canonical({1: cdh, 2: {"id": "example.com"}, 3: {"id": b"u", "name": "a"},
                                 4: [{"type": "public-key", "alg": -7}]})
    put("ctaphid", "init", hid_stream(init))
    put("ctaphid", "init-then-cbor", hid_stream(init + hid_reports(channel, 0x10, make)))
    put("ctaphid", "ping-long", hid_stream(init + hid_reports(channel, 0x01, bytes(range(256)) * 3)))
    put("ctaphid", "interleaved-busy", hid_stream(init + hid_reports(channel, 0x01, b"x" * 100)[:1] +
                                                  hid_reports(2, 0x01, b"y") + hid_reports(channel, 0x01, b"x" * 100)[1:]))
    put("ctaphid", "timeout", hid_stream(init + hid_reports(channel, 0x01, b"z" * 200)[:1]) + hid_stream(
        hid_reports(channel, 0x01, b"z" * 200)[1:], step=100))


def cli_seeds(vauth: str) -> None:
    with tempfile.TemporaryDirectory() as directory:
        directory = Path(directory)
        key = directory / "key"
        key.write_bytes(bytes(range(32)))
        env = {**os.environ, "VAUTH_KEYSTORE": str(directory / "ks.vauth"), "VAUTH_KEY_FILE": str(key)}

        def run(*args, stdin=None):
            done = subprocess.run([vauth, *args], input=stdin, capture_output=True, env=env, check=True)
            return done.stdout

        creation = {"rp": {"id": "example.com", "name": "Example"},
                    "user": {"id": b64url(b"user-1"), "name": "alice", "displayName": "Alice"},
                    "challenge": b64url(b"c" * 16), "pubKeyCredParams": [{"type": "public-key", "alg": -7}],
                    "authenticatorSelection": {"residentKey": "required", "userVerification": "preferred"},
                    "attestation": "direct", "excludeCredentials": [], "extensions": {"credProps": True}}
        request = {"challenge": b64url(b"d" * 16), "rpId": "example.com", "userVerification": "preferred",
                   "allowCredentials": [], "extensions": {"prf": {"eval": {"first": b64url(b"salt")}}}}
        put("options-json", "creation", json.dumps(creation, indent=1).encode())
        put("options-json", "creation-wrapped", json.dumps({"publicKey": creation}).encode())
        put("options-json", "request", json.dumps(request).encode())
        run("create", "--origin", "https://example.com", "--compact", stdin=json.dumps(creation).encode())
        creation["user"] = {"id": b64url(b"user-2"), "name": "bob", "displayName": "Bob"}
        creation["pubKeyCredParams"] = [{"type": "public-key", "alg": -8}]
        creation["extensions"] = {"prf": {}}
        run("create", "--origin", "https://example.com", "--compact", stdin=json.dumps(creation).encode())
        put("keystore", "two-credentials", (directory / "ks.vauth").read_bytes())
        shutil.copyfile(directory / "ks.vauth", FUZZ / "seed-keystore.vauth")
        run("get", "--origin", "https://example.com", "--compact", stdin=json.dumps(request).encode())
        put("journal", "one-counter", (directory / "ks.vauth.counters").read_bytes())
        put("import", "vauth-export", run("export"))
        cdp = run("export", "--format", "cdp")
        put("import", "cdp-export", cdp)
        put("import", "cdp-credential", json.dumps(json.loads(cdp)["credentials"][0]).encode())


if __name__ == "__main__":
    ctap_seeds()
    ctaphid_seeds()
    cli_seeds(sys.argv[1])
