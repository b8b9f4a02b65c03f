"""Torture through the CLI (issue 14): many processes on one keystore at once, a lock held by
someone else, a full disk and a full stdout. (SIGKILL at random instants, 1,000 times, is
KeystoreTortureTests in the Swift suite: a CLI process per kill would cost minutes.)"""
from __future__ import annotations

import base64
import fcntl
import json
import os
import random
import secrets
import shutil
import subprocess
import threading
import time
from pathlib import Path

import pytest

from vauthcli import Result, VauthCLI

RP = "example.com"
ORIGIN = "https://example.com"


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def creation_options(user: str) -> dict:
    return {"rp": {"id": RP, "name": "Example"},
            "user": {"id": b64url(user.encode()), "name": user, "displayName": user},
            "challenge": b64url(secrets.token_bytes(32)),
            "pubKeyCredParams": [{"type": "public-key", "alg": -7}],
            "authenticatorSelection": {"residentKey": "required", "userVerification": "preferred"}}


def request_options(allow=()) -> dict:
    return {"challenge": b64url(secrets.token_bytes(32)), "rpId": RP, "userVerification": "preferred",
            "allowCredentials": [{"type": "public-key", "id": cid} for cid in allow]}


def counter_of(response: dict) -> int:
    return int.from_bytes(b64url_decode(response["response"]["authenticatorData"])[33:37], "big")


def one_error_line(result: Result, code: int, pattern: str, notice: str | None = None) -> None:
    """One `vauth: error:` line naming `pattern`; `notice` is a line the command prints before it
    starts its output (export's warning), which may precede the error."""
    import re
    assert result.code == code, f"expected exit {code}, got {result.code}: {result.stderr[:300]!r}"
    lines = [line for line in result.stderr.splitlines() if not (notice and line.startswith(notice))]
    assert len(lines) == 1 and lines[0].startswith("vauth: error: "), result.stderr[:400]
    assert re.search(pattern, lines[0]), lines[0]


# --------------------------------------------------------------------------------------------
# N processes at once

WORKERS = 6
ROUNDS = 8


def test_processes_creating_getting_deleting_at_once(vauth):
    """Six workers, each a loop of separate `vauth` processes (create, get of a random known
    credential, sometimes delete of its own), all on one keystore at once. Afterwards: every
    credential whose create succeeded and that no successful delete removed is listed, exactly
    once; nothing else is; per credential every assertion got its own counter, and each worker saw
    its counters strictly increase; every failure is a clear, expected one."""
    vauth.run("init").ok()
    lock = threading.Lock()
    created: dict[str, str] = {}          # id → user
    deleted: set[str] = set()
    counters: dict[str, list[int]] = {}
    failures: list[str] = []

    def worker(index: int) -> None:
        rng = random.Random(index)
        mine: list[str] = []
        seen: dict[str, int] = {}
        for round_ in range(ROUNDS):
            user = f"w{index}-r{round_}"
            result = vauth.run("create", "--origin", ORIGIN, "--compact", input=json.dumps(creation_options(user)))
            if result.code != 0:
                with lock:
                    failures.append(f"create {user}: {result.stderr.strip()}")
                continue
            cid = result.json["id"]
            mine.append(cid)
            with lock:
                created[cid] = user
                candidates = [c for c in created if c not in deleted]
            target = rng.choice(candidates)
            result = vauth.run("get", "--origin", ORIGIN, "--compact", input=json.dumps(request_options(allow=(target,))))
            if result.code == 0:
                value = counter_of(result.json)
                assert value > seen.get(target, 0), f"worker {index}: counter of {target} went from {seen.get(target)} to {value}"
                seen[target] = value
                with lock:
                    counters.setdefault(target, []).append(value)
            else:
                with lock:
                    gone = target in deleted
                if not (gone and "CTAP2_ERR_NO_CREDENTIALS" in result.stderr):
                    with lock:
                        failures.append(f"get {target}: {result.stderr.strip()}")
            if mine and rng.random() < 0.3:
                victim = mine.pop(rng.randrange(len(mine)))
                with lock:
                    deleted.add(victim)      # before the delete: a racing get may find it gone
                result = vauth.run("delete", victim)
                if result.code != 0:
                    with lock:
                        failures.append(f"delete {victim}: {result.stderr.strip()}")

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(WORKERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=600)
    assert not any(thread.is_alive() for thread in threads), "a worker hung"
    assert not failures, failures

    listed = vauth.run("list").ok().json
    ids = [entry["credentialId"] for entry in listed]
    assert len(ids) == len(set(ids)), "a credential is listed twice"
    assert set(ids) == set(created) - deleted, (
        f"lost: {set(created) - deleted - set(ids)}, unexpected: {set(ids) - (set(created) - deleted)}")
    for cid, values in counters.items():
        assert len(values) == len(set(values)), f"two assertions of {cid} got the same counter: {sorted(values)}"
    assert vauth.run("check").ok().json["ok"] is True
    assert len(created) == WORKERS * ROUNDS


@pytest.mark.parametrize("command", ["create", "list", "get"])
def test_lock_held_elsewhere_ends_in_a_clear_busy_error(vauth, command):
    """Someone holds the keystore's lock and does not let go: every command, reader or writer,
    waits the lock timeout (VAUTH_LOCK_TIMEOUT; 30 s by default, 2 s here so that no test waits
    out the default) and then says so, exit 1, and changes nothing (SECURITY.md: one rule)."""
    created = vauth.run("create", "--origin", ORIGIN, input=json.dumps(creation_options("alice"))).ok().json
    before = vauth.state()
    lock_path = Path(str(vauth.keystore) + ".lock")
    arguments = {"create": (["create", "--origin", ORIGIN], creation_options("bob")),
                 "list": (["list"], None),
                 "get": (["get", "--origin", ORIGIN], {"challenge": "AAAAAAAAAAAAAAAAAAAAAA", "rpId": "example.com",
                                                       "allowCredentials": [{"type": "public-key", "id": created["id"]}]})}
    args, document = arguments[command]
    with open(lock_path, "a+") as holder:
        fcntl.flock(holder, fcntl.LOCK_EX)
        started = time.monotonic()
        result = vauth.run(*args, input=json.dumps(document) if document else None, env=vauth.env(VAUTH_LOCK_TIMEOUT="2"), timeout=120)
        waited = time.monotonic() - started
    # 1: the command failed for a reason that passes (README: "refused or failed"), not bad input.
    one_error_line(result, 1, r"is locked by another process \(waited 2 s; VAUTH_LOCK_TIMEOUT sets how long\)")
    assert 2 <= waited < 60, f"waited {waited:.1f}s"
    assert vauth.state() == before


def test_a_lock_timeout_that_is_not_a_number_is_refused(vauth):
    vauth.run("create", "--origin", ORIGIN, input=json.dumps(creation_options("alice"))).ok()
    before = vauth.state()
    for value in ("soon", "-1", "1e9", "nan"):
        result = vauth.run("list", env=vauth.env(VAUTH_LOCK_TIMEOUT=value))
        one_error_line(result, 2, r"VAUTH_LOCK_TIMEOUT must be a number of seconds from 0 to 86400")
    result = vauth.run("create", "--origin", ORIGIN, input=json.dumps(creation_options("bob")), env=vauth.env(VAUTH_LOCK_TIMEOUT="x"))
    one_error_line(result, 2, r"VAUTH_LOCK_TIMEOUT must be a number of seconds")
    assert vauth.state() == before


# --------------------------------------------------------------------------------------------
# a full disk, and a full stdout

@pytest.fixture
def small_disk(tmp_path):
    """A 2 MiB tmpfs (root only); skipped where mounting is not allowed."""
    mount_point = tmp_path / "disk"
    mount_point.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m,mode=0700", "tmpfs", str(mount_point)], capture_output=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], capture_output=True)


def _fill(directory: Path) -> Path:
    """Fills the file system of `directory` to the last byte."""
    filler = directory / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        for size in (1 << 16, 1 << 10, 1):
            chunk = b"\0" * size
            while True:
                try:
                    os.write(fd, chunk)
                except OSError:
                    break
    finally:
        os.close(fd)
    return filler


@pytest.mark.parametrize("command", ["create", "get", "delete", "passwd", "policy", "import"])
def test_full_disk_fails_cleanly(vauth, small_disk, command, tmp_path):
    """A write that cannot complete: one line naming the reason, exit 2, the previous keystore
    intact and still usable once there is room again."""
    cli = VauthCLI(small_disk)
    first = cli.run("create", "--origin", ORIGIN, "--compact", input=json.dumps(creation_options("alice"))).ok().json["id"]
    cli.run("get", "--origin", ORIGIN, input=json.dumps(request_options(allow=(first,)))).ok()   # a journal too
    (tmp_path / "elsewhere").mkdir()
    other = VauthCLI(tmp_path / "elsewhere")
    other.run("create", "--origin", ORIGIN, input=json.dumps(creation_options("carol"))).ok()
    import_document = other.run("export", "--format", "cdp").ok().stdout
    args, stdin, env = {
        "create": (["create", "--origin", ORIGIN], json.dumps(creation_options("bob")), {}),
        "get": (["get", "--origin", ORIGIN], json.dumps(request_options(allow=(first,))), {}),
        "delete": (["delete", first], None, {}),
        "passwd": (["passwd"], None, {"VAUTH_NEW_PASSPHRASE": "a new passphrase 99", "VAUTH_SCRYPT_LOG2N": "12"}),
        "policy": (["policy", "--counter", "zero"], None, {}),
        "import": (["import"], import_document, {}),
    }[command]
    before = cli.state()
    filler = _fill(small_disk)
    result = cli.run(*args, input=stdin, env=cli.env(**env))
    os.unlink(filler)
    if command == "get" and result.code == 0:
        # The counter journal is a few dozen bytes; it may still fit in a block the file system had.
        pytest.skip("the journal write fit into the last free block")
    one_error_line(result, 2, r"[Nn]o space left on device")
    assert result.stdout == ""
    assert cli.state() == before, "the failed write changed the keystore"
    leftovers = [p.name for p in small_disk.iterdir() if ".tmp" in p.name]
    assert not leftovers, f"temporary files left behind: {leftovers}"
    # and with room again everything works
    cli.run("check").ok()
    cli.run("get", "--origin", ORIGIN, input=json.dumps(request_options(allow=(first,)))).ok()


@pytest.mark.parametrize("command", ["list", "export", "info", "create"])
def test_full_stdout_is_an_error(vauth, command, request):
    """`vauth … > /dev/full`: the output could not be written, so the command did not succeed."""
    vauth.run("create", "--origin", ORIGIN, input=json.dumps(creation_options("alice"))).ok()
    args = {"list": ["list"], "export": ["export"], "info": ["info"], "create": ["create", "--origin", ORIGIN]}[command]
    stdin = json.dumps(creation_options("bob")).encode() if command == "create" else b""
    with open("/dev/full", "wb") as full:
        done = subprocess.run([vauth.binary, *args], input=stdin, stdout=full, stderr=subprocess.PIPE, env=vauth.env(), timeout=60)
    result = Result(done.returncode, "", done.stderr.decode(errors="replace"))
    one_error_line(result, 2, r"[Nn]o space left on device|stdout|standard output", notice="vauth: the export contains private keys")
