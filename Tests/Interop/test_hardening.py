"""Regressions from hostile testing of the keystore and the CLI (issue 9, items 1-16, and the
counter journal's cost from issue 10): kills at the worst moment (strace fault injection and
random SIGKILLs), numbers import cannot represent, output that cannot be written, races, lock
files that vanish, symbolic links, pipes, read-only mounts, control characters, strict imports.

Each failure test checks the message, the exit status and that the keystore files are byte for
byte as they were. Decisions are in Sources/VauthKeystore/FORMAT.md and the README."""
from __future__ import annotations

import base64
import json
import os
import random
import secrets
import shutil
import signal
import stat
import subprocess
import threading
import time
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from vauthcli import VauthCLI

RP = "example.com"
ORIGIN = "https://example.com"
FAST = {"VAUTH_SCRYPT_LOG2N": "10"}
STRACE = shutil.which("strace")


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def creation_options(user: str = "alice", rp_id: str = RP) -> dict:
    return {
        "rp": {"id": rp_id, "name": "Example"},
        "user": {"id": b64url(user.encode()), "name": user, "displayName": user.title()},
        "challenge": b64url(secrets.token_bytes(32)),
        "pubKeyCredParams": [{"type": "public-key", "alg": -7}],
        "authenticatorSelection": {"residentKey": "required"},
    }


def request_options(allow=()) -> dict:
    return {"challenge": b64url(secrets.token_bytes(32)), "rpId": RP,
            "allowCredentials": [{"type": "public-key", "id": cid} for cid in allow]}


def assert_error(result, code: int, *fragments: str) -> None:
    assert result.code == code, f"expected exit {code}, got {result.code}: {result.stderr!r}"
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("vauth: error: "), f"not one error line: {result.stderr!r}"
    for fragment in fragments:
        assert fragment in lines[0], f"{fragment!r} not in {lines[0]!r}"


def counts(vauth: VauthCLI, env=None) -> dict:
    return {e["userName"]: e["signCount"] for e in vauth.run("list", env=env).ok().json}


def passphrase_env(vauth: VauthCLI, passphrase: str) -> dict:
    return vauth.env(VAUTH_KEY_FILE="", VAUTH_PASSPHRASE=passphrase, **FAST)


# --------------------------------------------------------------------------------------------
# item 1: passwd killed at any step leaves a keystore that opens with the old or new passphrase

def _passwd_keystore(vauth: VauthCLI):
    """A passphrase keystore with two credentials and a journal holding alice's counter 3."""
    env = passphrase_env(vauth, "old pass")
    alice = vauth.run("create", "--origin", ORIGIN, input=creation_options("alice"), env=env).ok().json
    vauth.run("create", "--origin", ORIGIN, input=creation_options("bob"), env=env).ok()
    for _ in range(3):
        vauth.run("get", "--origin", ORIGIN, input=request_options((alice["id"],)), env=env).ok()
    assert Path(str(vauth.keystore) + ".counters").exists()
    return alice


def _opens_with_old_or_new(vauth: VauthCLI, expected: dict) -> str:
    for passphrase in ("old pass", "new pass"):
        result = vauth.run("list", env=passphrase_env(vauth, passphrase))
        if result.code == 0:
            assert {e["userName"]: e["signCount"] for e in result.json} == expected, result.stdout
            vauth.run("check", env=passphrase_env(vauth, passphrase)).ok()
            return passphrase
        assert "wrong passphrase" in result.stderr, result.stderr
    raise AssertionError(f"neither passphrase opens the keystore: {result.stderr!r}")


@pytest.mark.skipif(STRACE is None, reason="strace is installed by setup.sh")
@pytest.mark.parametrize("injection", [
    "inject=unlink:signal=KILL",            # the reproduction: between rename and journal unlink
    "inject=rename:signal=KILL",            # just before the keystore is replaced
    "inject=fsync:signal=KILL:when=1",      # while the new keystore is being made durable
    "inject=fsync:signal=KILL:when=2",      # after the rename, at the directory fsync
    "inject=fdatasync:signal=KILL",
])
def test_passwd_killed_at_each_step_never_bricks(vauth, injection):
    _passwd_keystore(vauth)
    env = passphrase_env(vauth, "old pass")
    env["VAUTH_NEW_PASSPHRASE"] = "new pass"
    subprocess.run([STRACE, "-f", "-o", "/dev/null", "-e", injection, vauth.binary, "passwd"],
                   env=env, capture_output=True, timeout=60)
    which = _opens_with_old_or_new(vauth, {"alice": 3, "bob": 0})
    # and it keeps working with that passphrase: another assertion, another passwd
    vauth.run("get", "--origin", ORIGIN, input=request_options(), env=passphrase_env(vauth, which)).ok()
    env = passphrase_env(vauth, which)
    env["VAUTH_NEW_PASSPHRASE"] = "third pass"
    vauth.run("passwd", env=env).ok()
    vauth.run("check", env=passphrase_env(vauth, "third pass")).ok()


def test_random_kills_during_passwd_get_and_create(vauth):
    """SIGKILL after a random delay, over and over: every state opens with one of the two
    passphrases, and no acknowledged counter or credential is lost."""
    alice = _passwd_keystore(vauth)
    expected = {"alice": 3, "bob": 0}
    current = "old pass"
    rng = random.Random(9)
    for round_ in range(24):
        target = "new pass" if current == "old pass" else "old pass"
        env = passphrase_env(vauth, current)
        env["VAUTH_NEW_PASSPHRASE"] = target
        kind = ("passwd", "get", "create")[round_ % 3]
        if kind == "passwd":
            args = ["passwd"]
            stdin = None
        elif kind == "get":
            args = ["get", "--origin", ORIGIN]
            stdin = json.dumps(request_options((alice["id"],))).encode()
        else:
            args = ["create", "--origin", ORIGIN]
            stdin = json.dumps(creation_options(f"user{round_}")).encode()
        process = subprocess.Popen([vauth.binary, *args], env=env, stdin=subprocess.PIPE,
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        if stdin:
            process.stdin.write(stdin)
        process.stdin.close()
        time.sleep(rng.uniform(0.0, 0.06))
        process.send_signal(signal.SIGKILL)
        out = process.stdout.read()
        process.wait()
        # acknowledged: it printed its result (it may have been killed on its way out after that)
        finished = process.returncode == 0 or bool(out)
        if finished and kind == "get":
            expected["alice"] += 1
        if finished and kind == "create":
            expected[f"user{round_}"] = 0
        # whatever happened, one passphrase opens it, with every acknowledged change
        result_old = vauth.run("list", env=passphrase_env(vauth, "old pass"))
        result_new = vauth.run("list", env=passphrase_env(vauth, "new pass"))
        opened = [r for r in (result_old, result_new) if r.code == 0]
        assert len(opened) == 1, (result_old.stderr, result_new.stderr)
        listed = {e["userName"]: e["signCount"] for e in opened[0].json}
        current = "old pass" if result_old.code == 0 else "new pass"
        assert not finished or kind != "passwd" or current == target
        for name, count in expected.items():
            assert name in listed, f"round {round_} ({kind}): acknowledged {name} lost"
            assert listed[name] >= count, f"round {round_} ({kind}): {name} counter {listed[name]} < {count}"
        # an unacknowledged create may or may not have landed; an unacknowledged get may have counted
        expected = {**listed, **{k: max(v, listed.get(k, 0)) for k, v in expected.items()}}
    # no temporaries survive the next write, and the last state checks out
    vauth.run("create", "--origin", ORIGIN, input=creation_options("last"), env=passphrase_env(vauth, current)).ok()
    leftovers = [p.name for p in vauth.keystore.parent.iterdir() if ".tmp-" in p.name]
    assert leftovers == []
    vauth.run("check", env=passphrase_env(vauth, current)).ok()


# --------------------------------------------------------------------------------------------
# issue 10: a counter update is one fdatasync and no rename

@pytest.mark.skipif(STRACE is None, reason="strace is installed by setup.sh")
def test_counter_update_is_one_fdatasync_and_no_rename(vauth, tmp_path):
    created = vauth.create(creation_options(), ORIGIN).ok().json
    vauth.get(request_options((created["id"],)), ORIGIN).ok()      # creates the journal file
    log = tmp_path / "strace.log"
    result = subprocess.run([STRACE, "-f", "-o", str(log), "-e", "trace=fsync,fdatasync,rename,renameat,renameat2,unlink,unlinkat",
                             vauth.binary, "get", "--origin", ORIGIN],
                            input=json.dumps(request_options((created["id"],))).encode(), env=vauth.env(), capture_output=True)
    assert result.returncode == 0, result.stderr
    calls = [line.split("(")[0].split()[-1] for line in log.read_text().splitlines() if "(" in line and "resumed" not in line]
    assert calls.count("fdatasync") == 1, calls
    assert [c for c in calls if c != "fdatasync"] == [], calls


# --------------------------------------------------------------------------------------------
# item 2: numbers import cannot represent; no backtrace ever

@pytest.mark.parametrize("value", ["1e300", "1e999", "-1e300", "2.5", "0", "4", "-0.5"])
def test_import_rejects_unrepresentable_cred_protect(vauth, value):
    vauth.create(creation_options(), ORIGIN).ok()
    exported = json.loads(vauth.run("export", "--compact").ok().stdout)
    credential = exported["credentials"][0]
    credential["credentialId"] = b64url(secrets.token_bytes(16))
    # the raw number text goes into the document: Python's json would turn 1e999 into Infinity
    text = json.dumps(exported).replace('"credProtect": ' + json.dumps(credential["credProtect"]), '"credProtect": ' + value)
    assert value in text
    before = vauth.state()
    result = vauth.run("import", input=text)
    # 1e999 is not even a finite number: the JSON parser refuses it before the field is looked at
    assert_error(result, 2, "number 1e999 is out of range" if value == "1e999" else "credProtect must be 1, 2 or 3")
    assert "Fatal error" not in result.stderr and "backtrace" not in result.stderr.lower()
    assert vauth.state() == before


# --------------------------------------------------------------------------------------------
# item 3: output that cannot be written

def test_export_to_a_full_disk_fails(vauth):
    vauth.create(creation_options(), ORIGIN).ok()
    with open("/dev/full", "w") as full:
        completed = subprocess.run([vauth.binary, "export", "--compact"], env=vauth.env(), stdout=full,
                                   stderr=subprocess.PIPE)
    stderr = completed.stderr.decode()
    assert completed.returncode == 2, stderr
    assert stderr.splitlines()[-1] == "vauth: error: cannot write to standard output: No space left on device", stderr


def test_create_whose_response_is_lost_keeps_no_credential(vauth):
    vauth.create(creation_options("alice"), ORIGIN).ok()
    listed = vauth.run("list").ok().json
    with open("/dev/full", "w") as full:
        completed = subprocess.run([vauth.binary, "create", "--origin", ORIGIN], env=vauth.env(), stdout=full,
                                   stderr=subprocess.PIPE, input=json.dumps(creation_options("bob")).encode())
    stderr = completed.stderr.decode()
    assert completed.returncode == 2, stderr
    assert stderr == ("vauth: error: cannot write to standard output: No space left on device; "
                      "the credential was not kept\n"), stderr
    assert vauth.run("list").ok().json == listed


def test_closed_pipe_is_reported_not_silent(vauth):
    vauth.create(creation_options(), ORIGIN).ok()
    read_end, write_end = os.pipe()
    os.close(read_end)
    completed = subprocess.run([vauth.binary, "list"], env=vauth.env(), stdout=write_end, stderr=subprocess.PIPE)
    os.close(write_end)
    assert completed.returncode == 2
    assert completed.stderr.decode() == "vauth: error: cannot write to standard output: Broken pipe\n"


# --------------------------------------------------------------------------------------------
# item 4: two inits at once

def test_concurrent_inits_one_wins(vauth):
    """Both start while a third party holds the lock, so both pass any check made before it."""
    import fcntl
    env = vauth.env()
    lock = open(str(vauth.keystore) + ".lock", "w")
    fcntl.flock(lock, fcntl.LOCK_EX)
    processes = [subprocess.Popen([vauth.binary, "init", "--aaguid", aaguid, "--attestation", attestation, "--compact"],
                                  env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
                 for aaguid, attestation in (("11111111-1111-1111-1111-111111111111", "none"),
                                             ("22222222-2222-2222-2222-222222222222", "self"))]
    time.sleep(0.7)
    fcntl.flock(lock, fcntl.LOCK_UN)
    lock.close()
    results = [(p.wait(), p.stdout.read().decode(), p.stderr.read().decode()) for p in processes]
    winners = [r for r in results if r[0] == 0]
    losers = [r for r in results if r[0] != 0]
    assert len(winners) == 1 and len(losers) == 1, results
    assert "already exists" in losers[0][2]
    info = vauth.run("info").ok().json
    winner = json.loads(winners[0][1])
    assert info["aaguid"] == winner["aaguid"]
    assert info["keystore"]["policy"]["attestation"] == winner["policy"]["attestation"]


# --------------------------------------------------------------------------------------------
# item 5: the lock file deleted while writers run

def test_deleting_the_lock_file_loses_no_acknowledged_credential(vauth):
    vauth.create(creation_options("seed"), ORIGIN).ok()
    lock = Path(str(vauth.keystore) + ".lock")
    stop = threading.Event()

    def vandal():
        while not stop.is_set():
            try:
                lock.unlink()
            except FileNotFoundError:
                pass
            time.sleep(0.003)

    acknowledged, refused = [], []

    def writer(index):
        for n in range(6):
            result = vauth.create(creation_options(f"w{index}-{n}"), ORIGIN)
            if result.code == 0:
                acknowledged.append(result.json["id"])
            else:
                refused.append(result.stderr)

    vandal_thread = threading.Thread(target=vandal)
    vandal_thread.start()
    writers = [threading.Thread(target=writer, args=(i,)) for i in range(4)]
    for t in writers:
        t.start()
    for t in writers:
        t.join()
    stop.set()
    vandal_thread.join()
    stored = {e["credentialId"] for e in vauth.run("list").ok().json}
    assert set(acknowledged) <= stored, f"{len(set(acknowledged) - stored)} acknowledged credentials lost"
    for message in refused:
        assert "changed by another process" in message or "locked" in message, message


# --------------------------------------------------------------------------------------------
# items 6, 7, 14: symbolic links, pipes, devices

def test_symlinked_keystore_stays_a_link(vauth, tmp_path):
    real = tmp_path / "real"
    real.mkdir()
    target = real / "keystore.vauth"
    link = tmp_path / "link.vauth"
    env = vauth.env(VAUTH_KEYSTORE=str(target))
    created = vauth.run("create", "--origin", ORIGIN, input=creation_options("alice"), env=env).ok().json
    link.symlink_to(target)
    via_link = vauth.env(VAUTH_KEYSTORE=str(link))
    vauth.run("create", "--origin", ORIGIN, input=creation_options("bob"), env=via_link).ok()
    vauth.run("get", "--origin", ORIGIN, input=request_options((created["id"],)), env=via_link).ok()
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert counts(vauth, env) == {"alice": 1, "bob": 0}
    dangling = tmp_path / "dangling.vauth"
    dangling.symlink_to(tmp_path / "nowhere" / "keystore.vauth")
    result = vauth.run("create", "--origin", ORIGIN, input=creation_options(), env=vauth.env(VAUTH_KEYSTORE=str(dangling)))
    assert_error(result, 2, f"{dangling} is a symbolic link to nothing, not a regular file")
    assert not (tmp_path / "nowhere").exists()


def test_fifo_keystore_and_key_file_are_refused_not_waited_on(vauth, tmp_path):
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    result = vauth.run("list", env=vauth.env(VAUTH_KEYSTORE=str(fifo)), timeout=10)
    assert_error(result, 2, f"{fifo} is a named pipe, not a regular file")
    vauth.create(creation_options(), ORIGIN).ok()
    before = vauth.state()
    result = vauth.run("list", "--key-file", str(fifo), timeout=10)
    assert_error(result, 2, f"key file {fifo}: must hold exactly 32 raw bytes or 64 hex digits (found 0 bytes)")
    result = vauth.run("list", "--key-file", str(tmp_path), timeout=10)
    assert_error(result, 2, f"key file {tmp_path}: is a directory, not a file")
    assert vauth.state() == before


def test_dev_null_as_keystore_creates_nothing(vauth):
    existed = os.path.exists("/dev/null.lock")     # another program may have made one; vauth must not
    result = vauth.run("create", "--origin", ORIGIN, input=creation_options(), env=vauth.env(VAUTH_KEYSTORE="/dev/null"))
    assert_error(result, 2, "/dev/null is a character device, not a regular file")
    assert existed or not os.path.exists("/dev/null.lock")


def test_read_only_mount_serves_reads(vauth, tmp_path):
    directory = tmp_path / "ro"
    directory.mkdir()
    env = vauth.env(VAUTH_KEYSTORE=str(directory / "keystore.vauth"))
    created = vauth.run("create", "--origin", ORIGIN, input=creation_options(), env=env).ok().json
    os.unlink(directory / "keystore.vauth.lock")
    script = (f'mount --bind "{directory}" "{directory}" && mount -o remount,bind,ro "{directory}" && '
              f'"{vauth.binary}" list --compact && "{vauth.binary}" check --compact && '
              f'! "{vauth.binary}" get --origin {ORIGIN} --options /dev/stdin')
    probe = subprocess.run(["unshare", "-m", "true"], capture_output=True)
    if probe.returncode != 0:
        pytest.skip("no mount namespaces here")
    completed = subprocess.run(["unshare", "-m", "sh", "-c", script], env=env, capture_output=True,
                               input=json.dumps(request_options((created["id"],))).encode())
    stderr = completed.stderr.decode()
    assert completed.returncode == 0, stderr
    assert created["id"] in completed.stdout.decode()
    assert "Read-only file system" in stderr, stderr


# --------------------------------------------------------------------------------------------
# items 8, 9, 10: after the rename, temporaries, umask

@pytest.mark.skipif(STRACE is None, reason="strace is installed by setup.sh")
def test_failure_after_the_rename_is_a_warning_not_a_lie(vauth):
    vauth.create(creation_options("alice"), ORIGIN).ok()
    # create: fsync #1 is the temporary keystore file, #2 the directory after the rename
    completed = subprocess.run([STRACE, "-f", "-o", "/dev/null", "-e", "inject=fsync:error=EIO:when=2",
                                vauth.binary, "create", "--origin", ORIGIN, "--compact"],
                               env=vauth.env(), capture_output=True, input=json.dumps(creation_options("bob")).encode())
    stderr = completed.stderr.decode()
    assert completed.returncode == 0, stderr
    assert json.loads(completed.stdout)["id"]
    assert stderr.startswith("vauth: warning: the change is written, but fsync directory"), stderr
    assert "bob" in counts(vauth)


def test_stale_temporaries_are_removed(vauth):
    vauth.create(creation_options("alice"), ORIGIN).ok()
    directory = vauth.keystore.parent
    stale = [directory / ".keystore.vauth.tmp-0a1b2c3d4e5f", directory / ".keystore.vauth.counters.tmp-f5e4d3c2b1a0"]
    for path in stale:
        path.write_bytes(secrets.token_bytes(300))
    vauth.create(creation_options("bob"), ORIGIN).ok()
    assert [p for p in stale if p.exists()] == []


def test_restrictive_umask_still_makes_a_usable_keystore(vauth, tmp_path):
    keystore = tmp_path / "new" / "dir" / "keystore.vauth"
    env = vauth.env(VAUTH_KEYSTORE=str(keystore))
    command = f'umask 0277; "{vauth.binary}" init --compact && "{vauth.binary}" create --origin {ORIGIN} --options "$1"'
    options = tmp_path / "options.json"
    options.write_text(json.dumps(creation_options()))
    completed = subprocess.run(["sh", "-c", command, "sh", str(options)], env=env, capture_output=True)
    assert completed.returncode == 0, completed.stderr.decode()
    assert stat.S_IMODE(keystore.parent.stat().st_mode) == 0o700
    assert stat.S_IMODE(keystore.stat().st_mode) == 0o600
    assert stat.S_IMODE(Path(str(keystore) + ".lock").stat().st_mode) == 0o600
    assert len(vauth.run("list", env=env).ok().json) == 1


# --------------------------------------------------------------------------------------------
# item 11: control characters from the RP never reach the terminal raw

def test_control_characters_are_escaped_in_messages(vauth):
    options = creation_options(rp_id="evil\x1b[2J\x07.example\x00")
    before = vauth.state()
    result = vauth.create(options, ORIGIN)
    assert result.code == 2, result.stderr
    assert "\x1b" not in result.stderr and "\x07" not in result.stderr and "\x00" not in result.stderr
    assert "\\u{1b}[2J\\u{7}" in result.stderr, result.stderr
    assert vauth.state() == before


# --------------------------------------------------------------------------------------------
# item 12: imports validated as strictly as options JSON

def _export_one(vauth: VauthCLI) -> dict:
    vauth.create(creation_options("exported"), ORIGIN).ok()
    exported = json.loads(vauth.run("export", "--compact").ok().stdout)
    exported["credentials"] = [c for c in exported["credentials"] if c["userName"] == "exported"]
    exported["credentials"][0]["credentialId"] = b64url(secrets.token_bytes(16))
    return exported


@pytest.mark.parametrize("rp_id, reason", [
    ("", "not a domain"), ("com", "public suffix"), ("EXAMPLE.COM", "lowercase"), ("co.uk", "public suffix"),
    ("127.0.0.1", "not a valid RP ID"),
])
def test_import_rejects_invalid_rp_ids(vauth, rp_id, reason):
    exported = _export_one(vauth)
    exported["credentials"][0]["rpId"] = rp_id
    before = vauth.state()
    result = vauth.run("import", input=json.dumps(exported))
    assert_error(result, 2, f'credentials[0].rpId "{rp_id}" is not a valid RP ID', reason)
    assert vauth.state() == before


@pytest.mark.parametrize("created_at", ["-292275055-05-16T16:47:04.192Z", "-5000-01-01T00:00:00Z",
                                        "2024-01-01T00:00:00+99:99", "2024-02-30T00:00:00Z", "1969-12-31T23:59:59Z",
                                        "2024-01-01T24:00:00Z", "2024-01-01 00:00:00Z", "10000-01-01T00:00:00Z"])
def test_import_rejects_impossible_dates(vauth, created_at):
    exported = _export_one(vauth)
    exported["credentials"][0]["createdAt"] = created_at
    before = vauth.state()
    result = vauth.run("import", input=json.dumps(exported))
    assert_error(result, 2, "credentials[0].createdAt is not a time from 1970 to 9999")
    assert vauth.state() == before


def test_import_accepts_offsets_and_fractions(vauth):
    exported = _export_one(vauth)
    exported["credentials"][0]["createdAt"] = "2024-03-01T01:30:00.5+01:30"
    vauth.run("import", input=json.dumps(exported)).ok()
    listed = {e["credentialId"]: e["createdAt"] for e in vauth.run("list").ok().json}
    assert listed[exported["credentials"][0]["credentialId"]] == "2024-03-01T00:00:00.500Z"


def test_import_rejects_an_ec_key_whose_public_point_is_another_keys(vauth):
    exported = _export_one(vauth)
    mine = ec.generate_private_key(ec.SECP256R1())
    other = ec.generate_private_key(ec.SECP256R1())
    der = bytearray(mine.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption()))
    mine_point = mine.public_key().public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    other_point = other.public_key().public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    at = bytes(der).index(mine_point)
    der[at:at + 65] = other_point
    exported["credentials"][0]["privateKey"] = b64url(bytes(der))
    before = vauth.state()
    result = vauth.run("import", input=json.dumps(exported))
    assert_error(result, 2, "credentials[0].privateKey", "public key does not belong to its private key")
    assert vauth.state() == before


def test_the_same_id_twice_in_one_file_is_bad_input(vauth):
    exported = _export_one(vauth)
    exported["credentials"].append(dict(exported["credentials"][0]))
    before = vauth.state()
    result = vauth.run("import", input=json.dumps(exported))
    assert_error(result, 2, "credentials[1].credentialId repeats credentials[0]")
    assert vauth.state() == before


def _with_member_twice(document: dict, path: list, name: str, first) -> str:
    """The compact JSON of `document` with member `name` of the object at `path` written twice:
    `first`, then the document's own value (the one JSON.parse would keep)."""
    text = json.dumps(document, separators=(",", ":"))
    target = document
    for step in path:
        target = target[step]
    own = json.dumps({name: target[name]}, separators=(",", ":"))[1:-1]
    twice = json.dumps({name: first}, separators=(",", ":"))[1:-1] + "," + own
    assert text.count(own) == 1, own
    return text.replace(own, twice)


@pytest.mark.parametrize("fmt", ["vauth", "cdp"])
@pytest.mark.parametrize("where, name, first, reason", [
    (["credentials", 0], "rpId", "evil.example", "credentials[0].rpId is given twice"),
    (["credentials", 0], "privateKey", "AAAA", "credentials[0].privateKey is given twice"),
    ([], "credentials", [], "credentials is given twice"),
])
def test_import_refuses_a_member_given_twice(vauth, tmp_path, fmt, where, name, first, reason):
    """Issue 18 item 3: an import with two rpIds was accepted (the last won). An import file is
    written by a program, so a repeated member is a forged or edited file: refused, keystore kept."""
    vauth.create(creation_options("exported"), ORIGIN).ok()
    document = json.loads(vauth.run("export", "--format", fmt, "--compact").ok().stdout)
    (tmp_path / "other").mkdir()
    other = VauthCLI(tmp_path / "other")
    before = other.state()
    result = other.run("import", input=_with_member_twice(document, where, name, first))
    assert_error(result, 2, "import file: " + reason)
    assert other.state() == before
    # The same document without the repetition imports.
    other.run("import", input=json.dumps(document)).ok()


def test_import_refuses_a_repeated_unknown_member_too(vauth, tmp_path):
    exported = _export_one(vauth)
    exported["credentials"][0]["note"] = "x"
    (tmp_path / "other").mkdir()
    other = VauthCLI(tmp_path / "other")
    result = other.run("import", input=_with_member_twice(exported, ["credentials", 0], "note", "y"))
    assert_error(result, 2, "credentials[0].note is given twice")


# --------------------------------------------------------------------------------------------
# item 13: process substitution and pipes

def test_pipes_and_process_substitution_are_read(vauth, tmp_path):
    created = vauth.create(creation_options(), ORIGIN).ok().json
    exported = _export_one(vauth)
    env = vauth.env()
    env["OPTIONS"] = json.dumps(request_options((created["id"],)))
    env["EXPORT"] = json.dumps(exported)
    env["KEY"] = vauth.key_file.read_bytes().hex()
    script = f'''
        set -e
        "{vauth.binary}" get --origin {ORIGIN} --options <(printf %s "$OPTIONS") --compact > /dev/null
        printf %s "$OPTIONS" | "{vauth.binary}" get --origin {ORIGIN} --options /dev/stdin --compact > /dev/null
        "{vauth.binary}" import <(printf %s "$EXPORT") --compact > /dev/null
        "{vauth.binary}" list --key-file <(printf %s "$KEY") --compact > /dev/null
    '''
    completed = subprocess.run(["bash", "-c", script], env=env, capture_output=True)
    assert completed.returncode == 0, completed.stderr.decode()
    # a passphrase file through a pipe, on a passphrase keystore
    pass_env = passphrase_env(vauth, "")
    pass_env.pop("VAUTH_PASSPHRASE", None)
    pass_env["VAUTH_KEYSTORE"] = str(tmp_path / "p" / "keystore.vauth")
    completed = subprocess.run(["bash", "-c", f'"{vauth.binary}" init --passphrase-file <(echo secret words) --compact'],
                               env=pass_env, capture_output=True)
    assert completed.returncode == 0, completed.stderr.decode()
    missing = vauth.run("get", "--origin", ORIGIN, "--options", str(tmp_path / "missing.json"))
    assert_error(missing, 2, f"cannot read options {tmp_path / 'missing.json'}: No such file or directory")
    directory = vauth.run("get", "--origin", ORIGIN, "--options", str(tmp_path))
    assert_error(directory, 2, f"cannot read options {tmp_path}: it is a directory")


# --------------------------------------------------------------------------------------------
# item 15: a same-origin top origin

def test_same_origin_top_origin_is_not_cross_origin(vauth):
    created = vauth.create(creation_options(), ORIGIN).ok().json
    response = vauth.run("get", "--origin", ORIGIN, "--top-origin", ORIGIN,
                         input=request_options((created["id"],))).ok().json
    client_data = json.loads(base64.urlsafe_b64decode(response["response"]["clientDataJSON"] + "=="))
    assert client_data["crossOrigin"] is False and "topOrigin" not in client_data
    response = vauth.run("get", "--origin", ORIGIN, "--top-origin", "https://top.example",
                         input=request_options((created["id"],))).ok().json
    client_data = json.loads(base64.urlsafe_b64decode(response["response"]["clientDataJSON"] + "=="))
    assert client_data["crossOrigin"] is True and client_data["topOrigin"] == "https://top.example"


# --------------------------------------------------------------------------------------------
# item 16: a journal one byte too long

def test_journal_with_an_extra_byte_names_its_size(vauth):
    created = vauth.create(creation_options(), ORIGIN).ok().json
    vauth.get(request_options((created["id"],)), ORIGIN).ok()
    journal = Path(str(vauth.keystore) + ".counters")
    journal.write_bytes(journal.read_bytes() + b"\0")
    before = vauth.state()
    result = vauth.run("list")
    assert_error(result, 2, f"counter journal: {journal} is 8193 bytes; a journal is exactly 8192")
    assert vauth.state() == before


# --------------------------------------------------------------------------------------------
# Also: the demo needs nothing but the binary

def test_demo_runs_outside_a_checkout(tmp_path):
    from vauthcli import vauth_binary
    installed = tmp_path / "bin" / "vauth"
    installed.parent.mkdir()
    shutil.copy2(vauth_binary(), installed)
    # The demo's relying party is built into `vauth` itself: no vauth-services beside it.
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "TMPDIR": str(tmp_path)}
    completed = subprocess.run([str(installed), "demo", "--compact"], cwd=tmp_path, env=env, capture_output=True, timeout=60)
    stderr = completed.stderr.decode()
    assert completed.returncode == 0, stderr
    result = json.loads(completed.stdout)
    assert result["verified"] is True and result["registration"]["trust"] == "x5c chain to the trusted root"
    assert [s["signCount"] for s in result["signIns"]] == [1, 2]
    assert all(line.startswith("demo: ") for line in stderr.splitlines()), stderr
    assert not any(p.name.startswith("vauth-demo-") for p in tmp_path.iterdir()), "the throwaway keystore is removed"


def test_a_crash_prints_one_line_not_a_backtrace(vauth):
    """No input reaches a trap (the tests above), but should a bug crash vauth, the user sees one
    line: the crash handler replaces the Swift runtime's backtracer."""
    process = subprocess.Popen([vauth.binary, "get", "--origin", ORIGIN, "--options", "/dev/stdin"], env=vauth.env(),
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    time.sleep(0.5)          # waiting for its options on the pipe
    process.send_signal(signal.SIGSEGV)
    _, stderr = process.communicate(timeout=30)
    process.stdin and process.stdin.close()
    assert process.returncode == 1, (process.returncode, stderr)
    assert stderr.decode() == ("vauth: error: internal error: vauth crashed (this is a bug; please report it "
                               "with the command that caused it)\n"), stderr.decode()
