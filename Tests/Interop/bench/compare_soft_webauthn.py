#!/usr/bin/env python3
"""`vauth bench` with soft-webauthn (PyPI, pure Python on pyca/cryptography) in the same slices.

    Tests/Interop/bench/compare_soft_webauthn.py [--vauth PATH] [vauth bench flags: --quick, --json, --only …]

Creates .venv-bench (soft-webauthn and its own python-fido2 1.x, pinned in requirements.txt next
to this file) on first use, then runs `vauth bench --soft-webauthn .venv-bench/bin/python`: the
bench starts that Python as a worker which times soft-webauthn's `get` / `create` in its turn of
the same alternating slices as vauth's own operations and OpenSSL's loop, so every ratio is taken
from the same moments of machine load (a separate script timing its own rounds before and after
could not say that). The table's `jsonWarm/softWebauthn` rows are the issue 28 comparison;
`jsonWarm/softWebauthnJSON` compares with soft-webauthn doing the same JSON parsing and writing.
"""
import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[2]
VENV = REPO / ".venv-bench"


def ensure_venv() -> Path:
    """.venv-bench's python, creating the venv from requirements.txt when needed."""
    python = VENV / "bin" / "python"
    stamp = VENV / ".requirements"
    wanted = (HERE / "requirements.txt").read_text()
    if not python.exists() or not stamp.exists() or stamp.read_text() != wanted:
        print("compare: creating .venv-bench with soft-webauthn", file=sys.stderr)
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check", "-r",
                        str(HERE / "requirements.txt")], check=True)
        stamp.write_text(wanted)
    return python


def main() -> int:
    arguments = sys.argv[1:]
    vauth = os.environ.get("VAUTH_BIN") or str(REPO / ".build" / "release" / "vauth")
    if "--vauth" in arguments:
        at = arguments.index("--vauth")
        vauth = arguments[at + 1]
        del arguments[at:at + 2]
    python = ensure_venv()
    return subprocess.run([vauth, "bench", "--soft-webauthn", str(python), *arguments]).returncode


if __name__ == "__main__":
    sys.exit(main())
