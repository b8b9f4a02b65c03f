"""The keystore through the `vauth` command line: passphrases and `passwd`, damage detection
(on real truncated and bit-flipped files), file modes, concurrent writers, and secrets that must
never reach stdout or stderr. Format: Sources/VauthKeystore/FORMAT.md; contract:
/work/shared/contracts/cli.md."""
from __future__ import annotations

import base64
import json
import os
import pty
import select
import secrets
import stat
import subprocess
import time

import pytest
from cryptography.hazmat.primitives import serialization
from webauthn import verify_authentication_response, verify_registration_response

from vauthcli import VauthCLI

RP = "example.com"
ORIGIN = "https://example.com"
FAST = {"VAUTH_SCRYPT_LOG2N": "12"}
HEADER_LENGTH = 204          # FORMAT.md: 172 bytes of fields + 32 bytes of SHA-256


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def creation_options(user: str = "alice") -> dict:
    return {
        "rp": {"id": RP, "name": "Example"},
        "user": {"id": b64url(user.encode()), "name": user, "displayName": user.title()},
        "challenge": b64url(secrets.token_bytes(32)),
        "pubKeyCredParams": [{"type": "public-key", "alg": -7}],
        "authenticatorSelection": {"residentKey": "required", "userVerification": "required"},
        "attestation": "direct",
    }


def request_options(allow=()) -> dict:
    return {"challenge": b64url(secrets.token_bytes(32)), "rpId": RP, "userVerification": "required",
            "allowCredentials": [{"type": "public-key", "id": cid} for cid in allow]}


def passphrase_env(vauth: VauthCLI, passphrase: str, **extra) -> dict:
    """Environment that unlocks with VAUTH_PASSPHRASE only (no key file), cheap scrypt."""
    env = vauth.env(VAUTH_KEY_FILE="", VAUTH_PASSPHRASE=passphrase, **FAST, **extra)
    assert "VAUTH_KEY_FILE" not in env
    return env


def file_env(vauth: VauthCLI, **extra) -> dict:
    """Environment with neither a key file nor a passphrase: flags must say how to unlock."""
    env = vauth.env(VAUTH_KEY_FILE="", VAUTH_PASSPHRASE="", **FAST, **extra)
    assert "VAUTH_KEY_FILE" not in env and "VAUTH_PASSPHRASE" not in env
    return env


class Credential:
    def __init__(self, options, response, public_key):
        self.options, self.response, self.public_key = options, response, public_key
        self.id = response["id"]
        self.sign_count = 0


def create(vauth: VauthCLI, *flags, user: str = "alice", env: dict | None = None) -> Credential:
    options = creation_options(user)
    response = vauth.run("create", "--origin", ORIGIN, *flags, input=json.dumps(options), env=env).ok().json
    verified = verify_registration_response(credential=response, expected_challenge=b64url_decode(options["challenge"]),
                                            expected_rp_id=RP, expected_origin=ORIGIN, require_user_verification=True)
    return Credential(options, response, verified.credential_public_key)


def sign_in(vauth: VauthCLI, credential: Credential, *flags, env: dict | None = None):
    options = request_options(allow=(credential.id,))
    response = vauth.run("get", "--origin", ORIGIN, *flags, input=json.dumps(options), env=env).ok().json
    verified = verify_authentication_response(
        credential=response, expected_challenge=b64url_decode(options["challenge"]), expected_rp_id=RP,
        expected_origin=ORIGIN, credential_public_key=credential.public_key,
        credential_current_sign_count=credential.sign_count, require_user_verification=True)
    credential.sign_count = verified.new_sign_count
    return response


def assert_error(result, code: int, *words: str) -> None:
    """Exit status, one `vauth: error:` line naming the reason (one of `words`, which a failure
    test must give: a check that accepts any message passes for the wrong reason), no stdout."""
    assert words, "every failure test names the reason it expects"
    assert result.code == code, f"expected exit {code}, got {result.code}: {result.stderr!r}"
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("vauth: error: "), f"not one error line: {result.stderr!r}"
    assert result.stdout == "", result.stdout[:300]
    assert any(word in lines[0].lower() for word in words), f"message names none of {words}: {lines[0]!r}"


def header_kdf(vauth: VauthCLI) -> tuple[int, int]:
    """(KDF byte, scrypt log2 N) from the keystore header (FORMAT.md: offsets 10 and 11)."""
    data = vauth.keystore.read_bytes()
    assert data[:8] == b"VAUTHKS\0"
    return data[10], data[11]


# --------------------------------------------------------------------------------------------
# passphrases

def test_passphrase_from_environment(vauth):
    env = passphrase_env(vauth, "correct horse battery staple")
    credential = create(vauth, env=env)
    assert header_kdf(vauth) == (1, 12)
    sign_in(vauth, credential, env=env)
    sign_in(vauth, credential, env=env)
    assert vauth.run("check", env=env).ok().json["ok"] is True


def test_passphrase_file(vauth, tmp_path):
    secret = tmp_path / "passphrase"
    secret.write_text("a passphrase from a file")
    env = file_env(vauth)
    credential = create(vauth, "--passphrase-file", secret, env=env)
    assert header_kdf(vauth) == (1, 12)
    sign_in(vauth, credential, "--passphrase-file", secret, env=env)
    # the same passphrase through the environment opens it too
    assert len(vauth.run("list", env=passphrase_env(vauth, "a passphrase from a file")).ok().json) == 1
    # the passphrase file wins over VAUTH_PASSPHRASE (contract order)
    env_wrong = passphrase_env(vauth, "not it")
    assert len(vauth.run("list", "--passphrase-file", secret, env=env_wrong).ok().json) == 1


def test_unreadable_passphrase_file(vauth, tmp_path):
    env = passphrase_env(vauth, "pw")
    create(vauth, env=env)
    before = vauth.state()
    result = vauth.run("list", "--passphrase-file", tmp_path / "missing", env=file_env(vauth))
    assert_error(result, 2, "missing")
    assert vauth.state() == before


def test_key_file_keystore_header(vauth):
    create(vauth)
    assert header_kdf(vauth) == (0, 0)


def _listing(vauth, env):
    return sorted((e["credentialId"], e["userName"], e["signCount"]) for e in vauth.run("list", env=env).ok().json)


def test_passwd_with_environment(vauth):
    old = passphrase_env(vauth, "old passphrase")
    first = create(vauth, env=old, user="alice")
    second = create(vauth, env=old, user="bob")
    sign_in(vauth, first, env=old)
    listing = _listing(vauth, old)
    result = vauth.run("passwd", env=dict(old, VAUTH_NEW_PASSPHRASE="new passphrase")).ok()
    assert result.json["unlock"] == "passphrase"
    new = passphrase_env(vauth, "new passphrase")

    before = vauth.state()
    assert_error(vauth.run("list", env=old), 2, "passphrase")
    assert vauth.state() == before
    assert _listing(vauth, new) == listing
    assert vauth.run("check", env=new).ok().json["ok"] is True
    sign_in(vauth, first, env=new)
    sign_in(vauth, second, env=new)


def test_passwd_with_new_passphrase_file(vauth, tmp_path):
    old_file, new_file = tmp_path / "old", tmp_path / "new"
    old_file.write_text("first secret")
    new_file.write_text("second secret")
    env = file_env(vauth)
    credential = create(vauth, "--passphrase-file", old_file, env=env)
    vauth.run("passwd", "--passphrase-file", old_file, "--new-passphrase-file", new_file, env=env).ok()
    assert_error(vauth.run("list", "--passphrase-file", old_file, env=env), 2, "passphrase")
    sign_in(vauth, credential, "--passphrase-file", new_file, env=env)


def test_passwd_to_new_key_file(vauth, tmp_path):
    env = passphrase_env(vauth, "a passphrase")
    credential = create(vauth, env=env)
    sign_in(vauth, credential, env=env)
    key = tmp_path / "new.key"
    key.write_bytes(secrets.token_bytes(32))
    result = vauth.run("passwd", "--new-key-file", key, env=env).ok()
    assert result.json["unlock"] == "key-file"
    assert header_kdf(vauth) == (0, 0)
    assert_error(vauth.run("list", env=env), 2, "passphrase", "key file")
    key_env = vauth.env(VAUTH_KEY_FILE=str(key))
    sign_in(vauth, credential, env=key_env)
    sign_in(vauth, credential, "--key-file", key, env=file_env(vauth))


def test_passwd_from_key_file_to_passphrase(vauth):
    credential = create(vauth)
    vauth.run("passwd", env=vauth.env(VAUTH_NEW_PASSPHRASE="now a passphrase", **FAST)).ok()
    assert header_kdf(vauth) == (1, 12)
    before = vauth.state()
    assert_error(vauth.run("list"), 2, "key file", "passphrase")
    assert vauth.state() == before
    sign_in(vauth, credential, env=passphrase_env(vauth, "now a passphrase"))


def test_passwd_with_wrong_old_passphrase_changes_nothing(vauth):
    env = passphrase_env(vauth, "the real one")
    create(vauth, env=env)
    before = vauth.state()
    result = vauth.run("passwd", env=passphrase_env(vauth, "a wrong one", VAUTH_NEW_PASSPHRASE="new"))
    assert_error(result, 2, "passphrase")
    assert vauth.state() == before


def test_unicode_passphrase(vauth, tmp_path):
    passphrase = "pässwörd \u2603 \U0001F511"
    env = passphrase_env(vauth, passphrase)
    credential = create(vauth, env=env)
    secret = tmp_path / "unicode"
    secret.write_bytes(passphrase.encode())
    sign_in(vauth, credential, "--passphrase-file", secret, env=file_env(vauth))


def _run_on_terminal(vauth: VauthCLI, args, env: dict, answers) -> tuple[int, bytes]:
    """Runs vauth with a pseudo-terminal as its controlling terminal, typing each answer after
    each passphrase prompt; returns (exit status, everything the terminal showed)."""
    pid, fd = pty.fork()
    if pid == 0:                                        # child: the pty is its terminal
        try:
            os.execve(vauth.binary, [vauth.binary, *map(str, args)], env)
        finally:
            os._exit(127)
    shown, answers, answered_at = b"", list(answers), -1
    deadline = time.time() + 30
    try:
        while time.time() < deadline:
            ready, _, _ = select.select([fd], [], [], 0.2)
            if not ready:
                continue
            try:
                chunk = os.read(fd, 4096)
            except OSError:                             # EIO: the child closed the terminal
                break
            if not chunk:
                break
            shown += chunk
            # a prompt ends with ": "; answer each prompt once (vauth turns echo off before it
            # writes the prompt, so typing after seeing it is safe)
            if answers and shown.endswith(b": ") and answered_at != len(shown):
                os.write(fd, answers.pop(0).encode() + b"\n")
                answered_at = len(shown)
    finally:
        finished, status = os.waitpid(pid, os.WNOHANG)
        if not finished:
            time.sleep(1)
            finished, status = os.waitpid(pid, os.WNOHANG)
        if not finished:                                # hung waiting for input: end it, fail
            os.kill(pid, 9)
            _, status = os.waitpid(pid, 0)
        os.close(fd)
    return os.waitstatus_to_exitcode(status), shown


def test_passphrase_prompt_on_terminal_does_not_echo(vauth):
    env = file_env(vauth)
    typed = "typed-on-the-terminal-4711"
    code, shown = _run_on_terminal(vauth, ["init"], env, [typed, typed])
    assert code == 0, shown
    assert typed.encode() not in shown, "the passphrase was echoed"
    assert shown.count(b"assphrase") >= 2          # asked twice for a new keystore
    assert header_kdf(vauth) == (1, 12)
    code, shown = _run_on_terminal(vauth, ["list"], env, [typed])
    assert code == 0 and typed.encode() not in shown and b"[]" in shown
    before = vauth.state()
    code, shown = _run_on_terminal(vauth, ["list"], env, ["not-" + typed])
    assert code == 2 and b"vauth: error:" in shown
    assert vauth.state() == before
    # the environment's passphrase is the same passphrase
    assert vauth.run("list", env=passphrase_env(vauth, typed)).ok().json == []


def test_new_keystore_passphrases_must_match(vauth):
    code, shown = _run_on_terminal(vauth, ["init"], file_env(vauth), ["one-passphrase", "another-passphrase"])
    assert code == 2 and b"vauth: error:" in shown
    assert not vauth.keystore.exists()


def test_reading_commands_do_not_write(vauth, populated):
    before = vauth.state()
    for args in (["list"], ["list", "--rp-id", RP], ["check"], ["info"], ["policy"], ["attestation-ca"],
                 ["export"], ["export", "--format", "cdp"]):
        vauth.run(*args).ok()
        assert vauth.state() == before, f"`vauth {' '.join(args)}` changed the keystore"


# --------------------------------------------------------------------------------------------
# damage: real files, truncated and bit-flipped

def _flip(data: bytes, index: int, bit: int = 0) -> bytes:
    damaged = bytearray(data)
    damaged[index] ^= 1 << bit
    return bytes(damaged)


DAMAGE = {
    "truncated-1-byte": (lambda d: d[:-1], ("truncated",)),
    "truncated-to-half": (lambda d: d[: len(d) // 2], ("truncated",)),
    "truncated-to-10-bytes": (lambda d: d[:10], ("truncated", "not a vauth keystore")),
    "empty-file": (lambda d: b"", ("not a vauth keystore", "truncated", "empty")),
    "text-file": (lambda d: b"# my notes\nnothing to see here, just a text file\n" * 4, ("not a vauth keystore",)),
    "version-changed": (lambda d: d[:8] + b"\x00\x03" + d[10:], ("format version",)),
    "magic-bit-flipped": (lambda d: _flip(d, 3), ("not a vauth keystore",)),
    "header-salt-bit-flipped": (lambda d: _flip(d, 30, 5), ("corrupt",)),
    "header-wrapped-key-bit-flipped": (lambda d: _flip(d, 100, 2), ("corrupt",)),
    "header-checksum-bit-flipped": (lambda d: _flip(d, HEADER_LENGTH - 1, 7), ("corrupt",)),
    "middle-bit-flipped": (lambda d: _flip(d, len(d) // 2, 3), ("tampered", "corrupt")),
    "first-section-bit-flipped": (lambda d: _flip(d, HEADER_LENGTH + 20), ("tampered", "corrupt")),
    "last-byte-bit-flipped": (lambda d: _flip(d, len(d) - 1, 6), ("tampered", "corrupt")),
    "last-bytes-bit-flipped": (lambda d: _flip(d, len(d) - 20, 1), ("tampered", "corrupt")),
    "appended-byte": (lambda d: d + b"\0", ("corrupt", "tampered", "length", "truncated")),
}


@pytest.fixture
def populated(vauth):
    """A keystore with three credentials and a counter journal."""
    credentials = [create(vauth, user=name) for name in ("alice", "bob", "carol")]
    sign_in(vauth, credentials[1])
    assert journal_exists(vauth)
    return credentials


def journal_exists(vauth):
    return os.path.exists(str(vauth.keystore) + ".counters")


@pytest.mark.parametrize("case", list(DAMAGE))
def test_damaged_keystore(vauth, populated, case):
    damage, words = DAMAGE[case]
    original = vauth.keystore.read_bytes()
    damaged = damage(original)
    assert damaged != original
    vauth.keystore.write_bytes(damaged)
    before = vauth.state()
    for command in ("list", "check"):
        result = vauth.run(command)
        assert_error(result, 2, *words)
        assert vauth.state() == before, f"`vauth {command}` changed a damaged keystore"
    # a writing command must not "repair" or replace it either
    result = vauth.run("create", "--origin", ORIGIN, input=json.dumps(creation_options("dave")))
    assert_error(result, 2, *words)
    assert vauth.state() == before
    # undamaged again, everything is there
    vauth.keystore.write_bytes(original)
    assert len(vauth.run("list").ok().json) == 3


# FORMAT.md, "Counter journal": two 4096-byte slots, each
# magic 8 · version 2 · keystore id 16 · generation 8 · sequence 8 · count 4 · nonce 12 · ciphertext 20n · tag 16 · zeros
SLOT = 4096
GENERATION, SEQUENCE, COUNT, NONCE = 26, 34, 42, 46
TAG_END = NONCE + 12 + 20 + 16          # one counter in the slot


def _both(journal: bytes, offset: int, bit: int = 0) -> bytes:
    return _flip(_flip(journal, offset, bit), SLOT + offset, bit)


# Damage that one interrupted write cannot explain: refused, naming the journal.
JOURNAL_DAMAGE = {
    "both-tags-bit-flipped": lambda j: _both(j, TAG_END - 1),
    "both-ciphertexts-bit-flipped": lambda j: _both(j, NONCE + 12 + 3),
    "both-counts-bit-flipped": lambda j: _both(j, COUNT + 3),
    "both-nonces-bit-flipped": lambda j: _both(j, NONCE + 5),
    "generation-raised": lambda j: _flip(j, GENERATION + 6),
    "truncated-1-byte": lambda j: j[:-1],
    "appended-byte": lambda j: j + b"\0",
    "truncated-to-10-bytes": lambda j: j[:10],
    "empty": lambda j: b"",
    "magic-changed": lambda j: b"X" + j[1:],
    "version-changed": lambda j: j[:9] + b"\x07" + j[10:],
}


@pytest.fixture
def two_slots(vauth, populated):
    """`populated` signed in with bob once; once more fills the journal's second slot."""
    sign_in(vauth, populated[1])
    return populated


@pytest.mark.parametrize("case", list(JOURNAL_DAMAGE))
def test_tampered_counter_journal(vauth, two_slots, case):
    populated = two_slots
    journal = vauth.keystore.with_name(vauth.keystore.name + ".counters")
    original = journal.read_bytes()
    assert len(original) == 2 * SLOT
    damaged = JOURNAL_DAMAGE[case](original)
    assert damaged != original
    journal.write_bytes(damaged)
    before = vauth.state()
    words = ("tampered", "corrupt", "truncated", "journal", "version")
    for command in ("list", "check"):
        result = vauth.run(command)
        assert_error(result, 2, *words)
        assert vauth.state() == before
    result = vauth.run("get", "--origin", ORIGIN, input=json.dumps(request_options(allow=(populated[1].id,))))
    assert_error(result, 2, *words)
    assert vauth.state() == before
    result = vauth.run("create", "--origin", ORIGIN, input=json.dumps(creation_options("dave")))
    assert_error(result, 2, *words)
    assert vauth.state() == before
    journal.write_bytes(original)
    sign_in(vauth, populated[1])


@pytest.mark.parametrize("offset", [TAG_END - 1, NONCE + 12 + 3, COUNT + 3, NONCE + 5, SEQUENCE + 7, 3000])
def test_one_damaged_journal_slot_is_an_interrupted_write(vauth, two_slots, offset):
    """One slot failing authentication is what a torn counter update leaves: the other slot is
    used (bob's counter is 1 or 2, never an error), and `check` warns. Offset 3000 is the zero
    padding after the sealed box, checked since issue 18 item 4 like every other byte of a slot."""
    journal = vauth.keystore.with_name(vauth.keystore.name + ".counters")
    original = journal.read_bytes()
    counts = set()
    for slot in (0, 1):
        journal.write_bytes(_flip(original, slot * SLOT + offset))
        listed = {e["userName"]: e["signCount"] for e in vauth.run("list").ok().json}
        counts.add(listed["bob"])
        check = vauth.run("check").ok()
        assert "warning: one slot of the counter journal failed authentication" in check.stderr, check.stderr
    assert counts == {1, 2}, counts


def test_journal_folded_by_next_write(vauth):
    first = create(vauth, user="alice")
    sign_in(vauth, first)
    sign_in(vauth, first)
    assert journal_exists(vauth)
    journal = vauth.keystore.with_name(vauth.keystore.name + ".counters")
    inode = journal.stat().st_ino
    create(vauth, user="bob")
    # FORMAT.md: the next rewrite folds the journal into the records; its slots are then stale
    # (an older generation) and the file stays, preallocated, for the next assertion
    assert journal_exists(vauth) and journal.stat().st_size == 2 * SLOT
    assert {e["userName"]: e["signCount"] for e in vauth.run("list").ok().json} == {"alice": 2, "bob": 0}
    response = sign_in(vauth, first)
    assert int.from_bytes(b64url_decode(response["response"]["authenticatorData"])[33:37], "big") == 3
    assert journal.stat().st_ino == inode, "counter updates overwrite the journal in place"


def test_damage_with_passphrase_keystore(vauth):
    env = passphrase_env(vauth, "pw for damage")
    create(vauth, env=env)
    original = vauth.keystore.read_bytes()
    vauth.keystore.write_bytes(original[:-1])
    assert_error(vauth.run("check", env=env), 2, "truncated")
    vauth.keystore.write_bytes(_flip(original, 40))
    assert_error(vauth.run("check", env=env), 2, "corrupt")
    vauth.keystore.write_bytes(original)
    assert_error(vauth.run("check", env=passphrase_env(vauth, "wrong")), 2, "wrong passphrase")


def test_wrong_key_file_message(vauth):
    create(vauth)
    wrong = vauth.directory / "wrong.key"
    wrong.write_bytes(secrets.token_bytes(32))
    before = vauth.state()
    result = vauth.run("check", env=vauth.env(VAUTH_KEY_FILE=str(wrong)))
    assert_error(result, 2, "wrong passphrase", "wrong key file", "key file")
    assert vauth.state() == before


def test_check_on_intact_keystore(vauth, populated):
    result = vauth.run("check").ok().json
    assert result["ok"] is True and result["credentials"] == 3


# --------------------------------------------------------------------------------------------
# file modes

def _mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_file_modes(vauth, tmp_path):
    directory = tmp_path / "not" / "yet"
    keystore = directory / "keystore.vauth"
    env = vauth.env(VAUTH_KEYSTORE=str(keystore))
    old_umask = os.umask(0o022)
    try:
        options = creation_options()
        response = vauth.run("create", "--origin", ORIGIN, input=json.dumps(options), env=env).ok().json
        vauth.run("get", "--origin", ORIGIN, input=json.dumps(request_options(allow=(response["id"],))), env=env).ok()
    finally:
        os.umask(old_umask)
    assert _mode(directory) == 0o700, oct(_mode(directory))
    assert _mode(directory.parent) & 0o077 == 0, f"intermediate directory {oct(_mode(directory.parent))}"
    assert _mode(keystore) == 0o600, oct(_mode(keystore))
    journal = directory / "keystore.vauth.counters"
    assert journal.exists()
    assert _mode(journal) == 0o600, oct(_mode(journal))
    lock = directory / "keystore.vauth.lock"
    if lock.exists():
        assert _mode(lock) & 0o077 == 0, oct(_mode(lock))
    # a rewrite keeps the mode, and leaves no temporary files behind
    vauth.run("create", "--origin", ORIGIN, input=json.dumps(creation_options("bob")), env=env).ok()
    assert _mode(keystore) == 0o600
    assert {p.name for p in directory.iterdir()} <= {"keystore.vauth", "keystore.vauth.counters",
                                                     "keystore.vauth.lock"}


def test_modes_with_permissive_umask(vauth, tmp_path):
    directory = tmp_path / "umask"
    keystore = directory / "keystore.vauth"
    env = vauth.env(VAUTH_KEYSTORE=str(keystore))
    old_umask = os.umask(0)
    try:
        vauth.run("create", "--origin", ORIGIN, input=json.dumps(creation_options()), env=env).ok()
    finally:
        os.umask(old_umask)
    assert _mode(directory) == 0o700 and _mode(keystore) == 0o600


def test_passwd_keeps_mode(vauth):
    create(vauth)
    vauth.run("passwd", env=vauth.env(VAUTH_NEW_PASSPHRASE="x", **FAST)).ok()
    assert _mode(vauth.keystore) == 0o600


# --------------------------------------------------------------------------------------------
# concurrency

def _start_creates(vauth: VauthCLI, count: int):
    processes = []
    for i in range(count):
        process = subprocess.Popen([vauth.binary, "create", "--origin", ORIGIN, "--compact"], stdin=subprocess.PIPE,
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=vauth.env())
        processes.append((f"user{i}", process))
    # all started before any gets its input, so they really run at once
    results = {}
    for user, process in processes:
        process.stdin.write(json.dumps(creation_options(user)).encode())
        process.stdin.close()
    for user, process in processes:
        out, err = process.stdout.read(), process.stderr.read()
        results[user] = (process.wait(timeout=60), out.decode(), err.decode())
    return results


def _assert_all_created(vauth, results):
    failed = {user: (code, err) for user, (code, out, err) in results.items() if code != 0}
    assert not failed, failed
    ids = {user: json.loads(out)["id"] for user, (code, out, err) in results.items()}
    listed = vauth.run("list").ok().json
    assert sorted(e["userName"] for e in listed) == sorted(results)
    assert {e["userName"]: e["credentialId"] for e in listed} == ids
    assert vauth.run("check").ok().json["credentials"] == len(results)


def test_eight_concurrent_creates(vauth):
    vauth.run("init").ok()
    _assert_all_created(vauth, _start_creates(vauth, 8))


def test_eight_concurrent_creates_without_keystore(vauth):
    assert not vauth.keystore.exists()
    _assert_all_created(vauth, _start_creates(vauth, 8))


def test_concurrent_gets_and_creates(vauth):
    """Eight `vauth get` of one credential and four `vauth create` at once: every assertion gets a
    counter of its own and no credential is lost."""
    credential = create(vauth)
    jobs = [(["get"], request_options(allow=(credential.id,))) for _ in range(8)] + \
           [(["create"], creation_options(f"user{i}")) for i in range(4)]
    processes = []
    for args, options in jobs:
        process = subprocess.Popen([vauth.binary, *args, "--origin", ORIGIN], stdin=subprocess.PIPE,
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=vauth.env())
        processes.append((process, options))
    for process, options in processes:
        process.stdin.write(json.dumps(options).encode())
        process.stdin.close()
    counters = []
    for process, options in processes:
        out = process.stdout.read()
        assert process.wait(timeout=60) == 0, process.stderr.read()
        response = json.loads(out)
        if "signature" in response["response"]:
            counters.append(int.from_bytes(b64url_decode(response["response"]["authenticatorData"])[33:37], "big"))
    assert sorted(counters) == list(range(1, 9)), counters   # every assertion got its own counter value
    listed = vauth.run("list").ok().json
    assert len(listed) == 5
    assert {e["credentialId"]: e["signCount"] for e in listed}[credential.id] == 8
    assert vauth.run("check").ok().json["ok"] is True


# --------------------------------------------------------------------------------------------
# a failed command does not create anything

@pytest.mark.parametrize("stdin", ['{"rp": ', json.dumps({"challenge": "AAAA"})], ids=["malformed", "incomplete"])
def test_failed_create_makes_no_keystore(vauth, stdin):
    result = vauth.run("create", "--origin", ORIGIN, input=stdin)
    assert_error(result, 2, "malformed json", "missing member")
    assert not vauth.keystore.exists()
    assert not journal_exists(vauth)


def test_refused_create_makes_no_keystore(vauth):
    result = vauth.run("create", "--origin", ORIGIN, "--no-uv", input=json.dumps(creation_options()))
    assert_error(result, 1, "refused user verification")
    assert not vauth.keystore.exists()


def test_failed_create_makes_no_directory(vauth, tmp_path):
    keystore = tmp_path / "fresh" / "keystore.vauth"
    result = vauth.run("create", "--origin", ORIGIN, input="not json", env=vauth.env(VAUTH_KEYSTORE=str(keystore)))
    assert_error(result, 2, "malformed json")
    assert not keystore.exists()


def test_get_without_keystore(vauth):
    result = vauth.run("get", "--origin", ORIGIN, input=json.dumps(request_options()))
    assert_error(result, 1, "no keystore")
    assert not vauth.keystore.exists()


# --------------------------------------------------------------------------------------------
# secrets never printed

PASSPHRASE = "Zq7-unmistakable-passphrase-91xK"


def test_passphrase_and_keys_never_printed(vauth, tmp_path):
    env = passphrase_env(vauth, PASSPHRASE)
    outputs = []

    def run(*args, **kwargs):
        result = vauth.run(*args, env=env, **kwargs)
        outputs.append((args[0], result))
        return result.ok()

    options = creation_options()
    response = run("create", "--origin", ORIGIN, input=json.dumps(options)).json
    run("get", "--origin", ORIGIN, input=json.dumps(request_options(allow=(response["id"],))))
    run("get", "--origin", ORIGIN, input=json.dumps(request_options()))
    run("list")
    run("info")
    run("policy")
    run("policy", "--counter", "zero")
    run("check")
    run("attestation-ca")
    # failures must not echo it either
    bad = vauth.run("create", "--origin", ORIGIN, input="{oops", env=env)
    outputs.append(("create-bad", bad))
    wrong = vauth.run("list", env=passphrase_env(vauth, PASSPHRASE + "x"))
    outputs.append(("list-wrong", wrong))

    export = vauth.run("export", "--format", "cdp", env=env).ok()
    export_vauth = vauth.run("export", env=env).ok()
    for result in (export, export_vauth):
        assert PASSPHRASE not in result.stdout and PASSPHRASE not in result.stderr
        assert "private" in result.stderr.lower()
    private_std = export.json["credentials"][0]["privateKey"]
    private_der = base64.b64decode(private_std)
    scalar = serialization.load_der_private_key(private_der, None).private_numbers().private_value.to_bytes(32, "big")
    private_forms = {private_std, b64url(private_der), private_der.hex(), private_der.hex().upper(),
                     base64.b64encode(scalar).decode().rstrip("="), b64url(scalar), scalar.hex(), scalar.hex().upper()}

    for name, result in outputs:
        for stream in (result.stdout, result.stderr):
            assert PASSPHRASE not in stream, f"`vauth {name}` printed the passphrase"
            for form in private_forms:
                assert form not in stream, f"`vauth {name}` printed private key material"
    # and the keystore file does not hold it in the clear
    raw = vauth.keystore.read_bytes()
    assert PASSPHRASE.encode() not in raw and private_der not in raw and scalar not in raw


# --------------------------------------------------------------------------------------------
# issue 18 item 1: a name no bound stopped made every later command fail

@pytest.mark.parametrize("member", ["name", "displayName"])
def test_an_oversized_user_name_never_bricks_the_keystore(vauth, member):
    """A user.name (or displayName) over 1 MiB went into the record and every later `check`,
    `list`, `export`, `passwd` and discoverable `get` failed reading it back. Now `create` either
    stores a name cut to a bound (CTAP 2.2 §6.1.2) or refuses it naming the field, and nothing
    else is affected."""
    alice = create(vauth, user="alice")
    options = creation_options("mallory")
    options["user"][member] = "m" * (1 << 20) + "€" * 10
    before = vauth.state()
    result = vauth.run("create", "--origin", ORIGIN, input=json.dumps(options))
    stored = 2
    if result.code != 0:
        assert_error(result, 2, f"user.{member}".lower())
        assert vauth.state() == before, "a refused create leaves the keystore as it was"
        stored = 1
    listed = vauth.run("list").ok().json
    assert len(listed) == stored
    field = {"name": "userName", "displayName": "userDisplayName"}[member]
    assert all(len(entry.get(field, "").encode()) <= 1024 for entry in listed)
    assert vauth.run("check").ok().json == {"keystore": str(vauth.keystore), "ok": True, "credentials": stored}
    assert len(vauth.run("export").ok().json["credentials"]) == stored
    # A discoverable get (no allow list) answers with the newest credential of the RP.
    discovered = vauth.run("get", "--origin", ORIGIN, input=json.dumps(request_options())).ok().json
    assert discovered["id"] in {entry["credentialId"] for entry in listed}
    sign_in(vauth, alice)
    new_key = vauth.directory / "new.key"
    new_key.write_bytes(secrets.token_bytes(32))
    vauth.run("passwd", "--new-key-file", str(new_key)).ok()
    assert len(vauth.run("list", env=vauth.env(VAUTH_KEY_FILE=str(new_key))).ok().json) == stored
