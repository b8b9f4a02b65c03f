"""Runs the built `vauth` binary for the interop tests.

The binary is $VAUTH_BIN (test.sh sets it to .build/debug/vauth). Each `VauthCLI` has its own
keystore in a temporary directory, unlocked by a random key file through VAUTH_KEY_FILE, so tests
never share state and never need a terminal.
"""
from __future__ import annotations

import json
import os
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
        completed = subprocess.run(
            [self.binary, *map(str, args)],
            input=input.encode() if isinstance(input, str) else input,
            capture_output=True,
            env=env if env is not None else self.env(),
            timeout=timeout,
            start_new_session=new_session,
        )
        return Result(completed.returncode, completed.stdout.decode(), completed.stderr.decode())

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
