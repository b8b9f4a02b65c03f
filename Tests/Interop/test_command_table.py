"""One command table (issue 22): `vauth` and `vauth-services` build their command lists from the
catalogue in Sources/VauthCLI/CommandCatalogue.swift. `vauth` runs the offline commands itself
and hands everything else to `vauth-services`; these tests fail when the two disagree about any
command's help, when a command is missing from either, or when `vauth` starts linking what it
leaves to `vauth-services` (Foundation, libcurl, swift-nio)."""
from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from vauthcli import vauth_binary

SERVICES = Path(vauth_binary()).resolve().parent / "vauth-services"
NETWORKED = {"register", "signin", "dfns", "attach", "serve"}


def run(binary, *args, env=None):
    return subprocess.run([str(binary), *args], capture_output=True, text=True, timeout=60, env=env)


def subcommands(help_text: str) -> list[str]:
    """The names under SUBCOMMANDS in an ArgumentParser help text."""
    section = help_text.split("SUBCOMMANDS:\n", 1)[1].split("\n\n", 1)[0]
    return [line.split()[0] for line in section.splitlines() if re.match(r"^  \S", line)]


def top_level_commands() -> list[str]:
    return subcommands(run(vauth_binary(), "--help").stdout)


def test_both_executables_print_the_same_help():
    ours, theirs = run(vauth_binary(), "--help"), run(SERVICES, "--help")
    assert ours.returncode == theirs.returncode == 0, (ours.stderr, theirs.stderr)
    assert ours.stdout == theirs.stdout
    assert ours.stdout.startswith("OVERVIEW: A virtual FIDO2/WebAuthn authenticator")
    names = subcommands(ours.stdout)
    assert len(names) == len(set(names)) and NETWORKED | {"demo", "create", "get", "fixtures", "bench"} <= set(names)


@pytest.mark.parametrize("path", [[name] for name in ("demo", "get", "create", "list", "fixtures", "bench", *sorted(NETWORKED))]
                         + [["dfns", "register"], ["dfns", "sign"], ["dfns", "recover"]])
def test_each_command_has_one_help(path):
    """Offline commands answer in `vauth` itself, networked ones in `vauth-services`; either way
    the text is the one the other executable prints, usage line included."""
    ours, theirs = run(vauth_binary(), *path, "--help"), run(SERVICES, *path, "--help")
    assert ours.returncode == theirs.returncode == 0, (ours.stderr, theirs.stderr)
    assert ours.stdout == theirs.stdout
    assert f"USAGE: vauth {' '.join(path)}" in ours.stdout
    assert run(vauth_binary(), "help", *path).stdout == ours.stdout


def test_every_listed_command_answers_its_help():
    for name in top_level_commands():
        result = run(vauth_binary(), name, "--help")
        assert result.returncode == 0 and result.stdout.startswith("OVERVIEW: "), (name, result.stderr)
        assert f"USAGE: vauth {name}" in result.stdout, name


def test_one_version():
    ours, theirs = run(vauth_binary(), "--version"), run(SERVICES, "--version")
    assert ours.stdout == theirs.stdout and re.fullmatch(r"\d+\.\d+\.\d+\S*\n", ours.stdout)
    version = (Path(__file__).resolve().parents[2] / "Sources/VauthCLI/VauthRelease.swift").read_text()
    assert f'"{ours.stdout.strip()}"' in version


def test_an_unknown_command_is_one_error_line():
    result = run(vauth_binary(), "frobnicate")
    assert result.returncode == 2
    assert result.stderr == "vauth: error: Unexpected argument 'frobnicate'\n"


def test_vauth_alone_runs_its_own_commands_and_says_what_is_missing(tmp_path):
    """A `vauth` with no `vauth-services` beside it (only `swift build --product vauth`) still
    runs every offline command and its help; a networked one names what is missing."""
    alone = tmp_path / "vauth"
    shutil.copy2(vauth_binary(), alone)
    help_text = run(alone, "--help")
    assert help_text.returncode == 0
    assert set(subcommands(help_text.stdout)) == set(top_level_commands()) - NETWORKED
    assert run(alone, "get", "--help").stdout == run(vauth_binary(), "get", "--help").stdout
    refused = run(alone, "serve", "--udp", "127.0.0.1:0")
    assert refused.returncode == 2
    assert refused.stderr == f"vauth: error: `vauth serve` runs vauth-services, which is missing next to {alone} (build it: swift build)\n"


def test_vauth_links_none_of_what_it_leaves_to_vauth_services():
    """`demo`, `fixtures` and every other offline command live in `vauth`; Foundation (beyond
    the FoundationEssentials ArgumentParser uses), libcurl and swift-nio stay in `vauth-services`,
    whose loading would otherwise be most of a `vauth get`."""
    libraries = run("ldd", vauth_binary()).stdout
    for library in ("libcurl", "libFoundation.so", "libFoundationNetworking", "lib_FoundationICU", "libFoundationInternationalization"):
        assert library not in libraries, library
    symbols = run("nm", vauth_binary()).stdout
    assert symbols, "nm printed nothing (a stripped binary?)"
    for module in ("10Foundation", "19FoundationNetworking", "7NIOCore", "13VauthServices", "11VauthBridge"):
        assert f"$s{module}" not in symbols, module
