"""Runs the built `vauth` binary for the interop tests.

The binary is $VAUTH_BIN (test.sh sets it to .build/debug/vauth). Each `VauthCLI` has its own
keystore in a temporary directory, unlocked by a random key file through VAUTH_KEY_FILE, so tests
never share state and never need a terminal.
"""
from __future__ import annotations

import json
import os
import re
import secrets
import subprocess
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def vauth_binary() -> str:
    binary = os.environ.get("VAUTH_BIN") or str(REPO / ".build" / "debug" / "vauth")
    if not os.access(binary, os.X_OK):
        raise RuntimeError(f"no vauth binary at {binary}: run `swift build` or set VAUTH_BIN")
    return binary


@dataclass
class Result:
    code: int
    stdout: str
    stderr: str

    @property
    def json(self):
        return json.loads(self.stdout)

    def ok(self) -> "Result":
        assert self.code == 0, f"vauth exited {self.code}: {self.stderr}"
        return self


class VauthCLI:
    """One keystore, one key file; `run(...)` invokes vauth against them."""

    def __init__(self, directory: Path):
        self.directory = Path(directory)
        self.keystore = self.directory / "keystore.vauth"
        self.key_file = self.directory / "keystore.key"
        self.key_file.write_bytes(secrets.token_bytes(32))
        self.binary = vauth_binary()

    def env(self, **extra) -> dict:
        env = {k: v for k, v in os.environ.items() if not k.startswith("VAUTH_")}
        env.update(VAUTH_KEYSTORE=str(self.keystore), VAUTH_KEY_FILE=str(self.key_file))
        env.update({k: v for k, v in extra.items() if v is not None})
        return {k: v for k, v in env.items() if v != ""}

    def run(self, *args, input: str | bytes | None = None, env: dict | None = None, timeout: float = 60,
            new_session: bool = False) -> Result:
        if isinstance(input, (dict, list)):
            input = json.dumps(input)
        env = env if env is not None else self.env()
        stdin = input.encode() if isinstance(input, str) else input
        completed = subprocess.run(
            [self.binary, *map(str, args)],
            input=stdin,
            capture_output=True,
            env=env,
            timeout=timeout,
            start_new_session=new_session,
        )
        result = Result(completed.returncode, completed.stdout.decode(errors="replace"), completed.stderr.decode(errors="replace"))
        SECRETS.observe(self, [str(a) for a in args], env, stdin, result)
        return result

    def create(self, options: dict, origin: str, *flags) -> Result:
        return self.run("create", "--origin", origin, *flags, input=json.dumps(options))

    def get(self, options: dict, origin: str, *flags) -> Result:
        return self.run("get", "--origin", origin, *flags, input=json.dumps(options))

    def keystore_bytes(self) -> bytes | None:
        return self.keystore.read_bytes() if self.keystore.exists() else None

    def state(self) -> dict:
        """Every file of the keystore (keystore, counter journal): what must not change on failure."""
        files = {}
        for suffix in ("", ".counters"):
            path = Path(str(self.keystore) + suffix)
            files[suffix or "keystore"] = path.read_bytes() if path.exists() else None
        return files


class SecretWatch:
    """Everything every `VauthCLI.run` of the whole test session printed, and every secret it was
    given or handed out, so one check at the end of the run (conftest.py) can prove that no
    passphrase, key file or private key reached stdout or stderr except `export`'s stdout, and
    that none sits in the clear in a keystore directory.

    Secrets are learnt as the tests go: passphrases (VAUTH_PASSPHRASE, --passphrase-file) and
    Dfns passwords (VAUTH_DFNS_PASSWORD, --password-file), key files (VAUTH_KEY_FILE,
    --key-file), and private keys, TOTP secrets and kept passwords from every `export` output and
    every `import` input. `harvest` exports a sample of the session's keystores at the end to
    learn the keys that were only ever created. A password must not appear in any command's
    arguments either."""

    def __init__(self):
        self.transcript: list[tuple[list[str], Result]] = []
        self.passphrases: set[str] = set()
        self.key_files: set[bytes] = set()
        self.private_keys: set[bytes] = set()     # PKCS#8 DER
        self.totp_secrets: set[bytes] = set()     # raw RFC 6238 shared secrets
        self.clis: dict[str, "VauthCLI"] = {}

    def observe(self, cli: "VauthCLI", args: list[str], env: dict, stdin, result: Result) -> None:
        # A command can only print the passphrases it was given; those are checked per run (a
        # test passphrase such as "a passphrase" is also a phrase of vauth's own messages).
        given: set[str] = {value for name, value in env.items() if ("PASSPHRASE" in name or name == "VAUTH_DFNS_PASSWORD") and value}
        self.clis[str(cli.directory)] = cli
        key_file = env.get("VAUTH_KEY_FILE")
        for flag, value in zip(args, args[1:]):
            if flag.startswith("--") and (flag.endswith("passphrase-file") or flag == "--password-file"):
                self._read(value, lambda data: given.add(data.decode(errors="replace").rstrip("\r\n")))
            if flag == "--key-file":
                key_file = value
        self.passphrases |= given
        self.transcript.append((args, result, given))
        if key_file:
            self._read(key_file, self.key_files.add)
        if args and args[0] == "import" and stdin:
            self._keys_from(stdin if isinstance(stdin, bytes) else stdin.encode())
        if args and args[0] == "export" and result.code == 0:
            self._keys_from(result.stdout.encode())
            self.passphrases |= {p for p in re.findall(r'"password"\s*:\s*"([^"]+)"', result.stdout) if len(p) >= MIN_PASSPHRASE}

    @staticmethod
    def _read(path: str, add) -> None:
        # only regular files: a test may hand vauth a named pipe or a directory as key file
        if not Path(path).is_file():
            return
        try:
            add(Path(path).read_bytes())
        except OSError:
            pass

    def _keys_from(self, document: bytes) -> None:
        """Every `privateKey` member of a vauth or CDP export (base64 or base64url PKCS#8), and the
        secret of every `otpauth` URI (a TOTP secret, base32)."""
        import base64
        for match in re.finditer(rb'"otpauth"\s*:\s*"otpauth://totp/[^"?]*\?(?:[^"]*&)?secret=([A-Z2-7]{16,})', document):
            text = match.group(1).decode()
            self.totp_secrets.add(base64.b32decode(text + "=" * (-len(text) % 8)))
        for match in re.finditer(rb'"privateKey"\s*:\s*"([A-Za-z0-9+/_=-]{40,})"', document):
            text = match.group(1).decode()
            try:
                der = base64.b64decode(text.replace("-", "+").replace("_", "/") + "=" * (-len(text) % 4))
            except ValueError:
                continue
            if len(der) >= 40:
                self.private_keys.add(der)

    def harvest(self, limit: int = 25) -> None:
        """Exports up to `limit` of the session's keystores that still open, to learn their keys."""
        import random
        candidates = [cli for cli in self.clis.values() if cli.keystore.exists() and cli.key_file.exists()]
        random.Random(14).shuffle(candidates)
        for cli in candidates[:limit]:
            try:
                completed = subprocess.run([cli.binary, "export"], capture_output=True, env=cli.env(), timeout=60)
            except (OSError, subprocess.TimeoutExpired):
                continue
            if completed.returncode == 0:
                self._keys_from(completed.stdout)

    def forms(self) -> dict[str, str]:
        """Text forms in which a secret could be printed, each with what it is."""
        import base64
        forms: dict[str, str] = {}

        def add(data: bytes, what: str) -> None:
            for text in (base64.b64encode(data).decode().rstrip("="), base64.urlsafe_b64encode(data).decode().rstrip("="),
                         data.hex(), data.hex().upper()):
                if len(text) >= 16:
                    forms[text] = what
        for key in self.key_files:
            add(key.strip(), "a key file's key")
        for secret in self.totp_secrets:
            forms[base64.b32encode(secret).decode().rstrip("=")] = "a TOTP secret"
            add(secret, "a TOTP secret")
        for der in self.private_keys:
            add(der, "a private key (PKCS#8)")
            # The private scalar / seed inside: the last 32 bytes of an Ed25519 PKCS#8, and the
            # OCTET STRING after 02 01 01 04 20 in an EC one.
            marker = der.find(bytes.fromhex("020101" "0420"))
            if marker >= 0:
                add(der[marker + 5:marker + 37], "an EC private scalar")
            if len(der) == 48:
                add(der[-32:], "an Ed25519 seed")
        return forms

    def leaks(self) -> list[str]:
        """What was printed where it must not be: (command, stream, what)."""
        forms = self.forms()
        # A test passphrase that vauth's own messages contain ("wrong passphrase") shows up in
        # runs that were never given it: that is vocabulary, not a leak.
        vocabulary = {p for p in self.passphrases
                      if any(p not in g and (p in r.stderr or p in r.stdout) for _, r, g in self.transcript)}
        found = []
        for args, result, given in self.transcript:
            command = args[0] if args else "?"
            streams = [("stderr", result.stderr)]
            if command != "export":
                streams.append(("stdout", result.stdout))
            else:
                streams.append(("stdout", _without_private_keys(result.stdout)))
            watched = dict(forms)
            watched.update({p: "its passphrase" for p in given if len(p) >= MIN_PASSPHRASE and p not in vocabulary})
            for name, text in streams:
                for form, what in watched.items():
                    if form in text:
                        found.append(f"`vauth {' '.join(args)[:80]}` printed {what} on {name}")
            # A passphrase or password is never an argument (the command line is readable by every local user).
            for secret in self.passphrases:
                if len(secret) >= MIN_PASSPHRASE and secret not in vocabulary and any(secret in arg for arg in args):
                    found.append(f"`vauth {' '.join(args)[:40]}…` had a passphrase or password in its arguments")
        return found

    def files_at_rest(self) -> list[str]:
        """Keystore directories: no passphrase, key or private key in the clear in any file vauth
        wrote there (the keystore, its journal, lock and temporary files)."""
        raw_secrets = [(p.encode(), "a passphrase") for p in self.passphrases if len(p) >= MIN_PASSPHRASE]
        raw_secrets += [(der, "a private key") for der in self.private_keys]
        import base64
        raw_secrets += [(base64.b32encode(secret).rstrip(b"="), "a TOTP secret") for secret in self.totp_secrets]
        found = []
        for cli in self.clis.values():
            prefix = cli.keystore.name
            if not cli.directory.is_dir():
                continue
            for path in cli.directory.iterdir():
                if not (path.name.startswith(prefix) or path.name.startswith("." + prefix)) or not path.is_file():
                    continue
                try:
                    data = path.read_bytes()
                except OSError:
                    continue
                for secret, what in raw_secrets:
                    if secret in data:
                        found.append(f"{path} holds {what} in the clear")
        return found


def _without_private_keys(text: str) -> str:
    """`export` output with its `privateKey`, `otpauth` and `password` values blanked: printing
    those is its purpose."""
    return re.sub(r'"(privateKey|otpauth|password)"\s*:\s*"[^"]*"', r'"\1": ""', text)


# Shorter test passphrases ("a passphrase", "x") are words of vauth's own messages.
MIN_PASSPHRASE = 13

SECRETS = SecretWatch()
