"""The README stays true: its library example is the one a test runs, its CLI example works, and
every command it names exists."""
import re
import subprocess
from pathlib import Path

from vauthcli import REPO

README = (REPO / "README.md").read_text()


def test_library_example_is_the_tested_one():
    tested = (REPO / "Tests/VauthWebAuthnTests/ReadmeExampleTests.swift").read_text()
    tested = tested.split("// README-EXAMPLE-BEGIN\n")[1].split("// README-EXAMPLE-END")[0]
    shown = README.split("```swift\n")[1].split("```")[0]
    assert shown.strip() == tested.strip()


def test_every_command_in_the_readme_exists(vauth):
    commands = set(re.findall(r"`vauth ([a-z][a-z-]+)", README)) | set(re.findall(r"^vauth ([a-z][a-z-]+)", README, re.M))
    assert {"create", "get", "list", "register", "signin", "demo", "bench"} <= commands
    for command in sorted(commands):
        assert vauth.run(command, "--help").code == 0, command


def test_the_cli_example_runs(vauth, tmp_path):
    block = README.split("## Using the CLI\n\n```sh\n")[1].split("```")[0]
    script = tmp_path / "example.sh"
    script.write_text("set -euo pipefail\ncd " + str(tmp_path) + "\n" + block)
    env = vauth.env()
    env.pop("VAUTH_KEYSTORE"), env.pop("VAUTH_KEY_FILE")
    env["PATH"] = str(Path(vauth.binary).parent) + ":" + env.get("PATH", "")
    done = subprocess.run(["bash", str(script)], capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    assert '"type": "webauthn.create"' not in done.stdout  # clientDataJSON stays base64url
    assert (tmp_path / "root.pem").read_text().startswith("-----BEGIN CERTIFICATE-----")
