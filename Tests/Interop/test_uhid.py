"""`vauth serve --uhid` against a real Linux kernel, and the same libfido2 flows over UDP.

The rig (Tests/UHID, see its README.md) boots Debian's kernel under QEMU (TCG, no KVM) from an
initramfs with the vauth binaries under test and libfido2's tools; inside, `vauth serve --uhid`
becomes a USB HID device and fido2-token / fido2-cred / fido2-assert drive it through the kernel's
hidraw node (Tests/UHID/flows.sh), then SIGTERM, SIGINT and SIGKILL must each take it away.
The very same flows.sh runs first on the host against `vauth serve --udp` through a small
LD_PRELOAD shim of libfido2 (Tests/UHID/libfido2-udp.c): a step that passes there and fails in
the guest points at the uhid transport, not at the authenticator.

One boot serves every guest test (about a minute and a half on 2 cores; it is the only way to get
a kernel with uhid here, the host's has none). No QEMU: the guest tests skip, saying why.
"""
from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ctaphid_udp import VauthServe
from vauthcli import VauthCLI, vauth_binary

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "UHID"))
import uhid_rig  # noqa: E402

GUEST_LIMIT = int(os.environ.get("VAUTH_RIG_LIMIT", "480"))  # the guest powers off by then
TOOL_TIMEOUT = 120                                            # one fido2 tool call, in the guest
# A developer's subset of flows.sh's steps (say "list info ctaphid-ping"); the others then skip.
SUBSET = os.environ.get("VAUTH_RIG_STEPS", "").split()


def _skip_unless_selected(step: str) -> None:
    if SUBSET and step in uhid_rig.flows_plan() and step not in SUBSET:
        pytest.skip(f"{step} is not in VAUTH_RIG_STEPS")


def _note(request, line: str) -> None:
    """A line in the test run's output (CI's log keeps the rig's timings)."""
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    if reporter and capture:
        with capture.global_and_fixture_disabled():
            reporter.write_line(line)


# --- the flows over UDP, on the host --------------------------------------------------------


class FlowsRun:
    def __init__(self, results, stderr, serve_log, seconds):
        self.results, self.stderr, self.serve_log, self.seconds = results, stderr, serve_log, seconds


@pytest.fixture(scope="module")
def udp_flows(tmp_path_factory, request):
    """flows.sh on the host, against `vauth serve --udp` (PIN-only, reset allowed)."""
    directory = tmp_path_factory.mktemp("udp-flows")
    shim = uhid_rig.build_udp_shim(directory / "libfido2-udp.so")
    ping = uhid_rig.build_ping(directory / "ctaphid-ping")
    cli = VauthCLI(directory)
    with VauthServe(cli, "--uv-mode", "unsupported", "--allow-reset") as server:
        device = f"udp:127.0.0.1:{server.port}"
        env = dict(os.environ, LD_PRELOAD=str(shim), VAUTH_FIDO_UDP=device, VAUTH_RIG_PING=str(ping), TMPDIR=str(directory),
                   VAUTH_RIG_TOOL_TIMEOUT="60", VAUTH_RIG_STEPS=" ".join(SUBSET))
        started = time.monotonic()
        # A session of its own: no controlling terminal, so the tools read PINs from stdin.
        completed = subprocess.run(["sh", str(uhid_rig.HERE / "flows.sh"), device], env=env, capture_output=True,
                                   timeout=600, start_new_session=True, stdin=subprocess.DEVNULL)
        seconds = time.monotonic() - started
        assert server.stop() == 0
    results, _ = uhid_rig.parse_results(completed.stdout.decode(errors="replace"))
    _note(request, f"uhid rig: libfido2 flows over UDP on the host: {seconds:.1f} s")
    return FlowsRun(results, completed.stderr.decode(errors="replace"), server.log(), seconds)


@pytest.mark.parametrize("step", uhid_rig.flows_plan())
def test_libfido2_flow_over_udp(udp_flows, step):
    _skip_unless_selected(step)
    assert step in udp_flows.results, f"flows.sh reported nothing for {step}:\n{udp_flows.stderr[-3000:]}"
    passed, detail = udp_flows.results[step]
    assert passed, f"{step}: {detail}\nflows.sh:\n{udp_flows.stderr[-3000:]}\nvauth serve:\n{udp_flows.serve_log[-2000:]}"


# --- the flows over uhid, in a QEMU guest ---------------------------------------------------


@pytest.fixture(scope="module")
def guest(tmp_path_factory, request):
    """One boot of the rig's guest; skips (saying why) on a machine without QEMU."""
    reason = uhid_rig.missing_prerequisite()
    if reason:
        pytest.skip(f"uhid rig cannot boot a kernel here: {reason}")
    directory = tmp_path_factory.mktemp("uhid-guest")
    started = time.monotonic()
    kernel = uhid_rig.debian_kernel()
    fido_id = uhid_rig.debian_fido_id()
    kernel_seconds = time.monotonic() - started
    started = time.monotonic()
    initramfs = directory / "initramfs.cpio"
    ping = uhid_rig.build_ping(directory / "ctaphid-ping")
    size = uhid_rig.build_initramfs(initramfs, kernel, fido_id, Path(vauth_binary()).resolve().parent, ping,
                                    uhid_rig.GuestConfig(GUEST_LIMIT, TOOL_TIMEOUT, " ".join(SUBSET)))
    initramfs_seconds = time.monotonic() - started
    run = uhid_rig.boot(kernel, initramfs, directory, host_timeout=GUEST_LIMIT + 90)
    initramfs.unlink()
    (uhid_rig.CACHE / "last-console.log").write_text(run.console)
    _note(request, f"uhid rig: {kernel.package} {kernel.version} ready in {kernel_seconds:.1f} s, "
                   f"initramfs {size / 1e6:.0f} MB in {initramfs_seconds:.1f} s, guest {run.seconds:.1f} s "
                   f"(at /init after {int(run.events.get('boot', '0')) / 1000:.1f} s)")
    return run


@pytest.mark.parametrize("step", uhid_rig.plan())
def test_libfido2_flow_over_uhid_in_a_kernel(guest, request, step):
    _skip_unless_selected(step)
    if step not in guest.results:
        if "timeout" in guest.events or guest.exit_status is None:
            pytest.fail(f"{step}: the guest ran out of time before it: {guest.describe()}")
        pytest.fail(f"{step}: the guest reported nothing for it: {guest.describe()}")
    passed, detail = guest.results[step]
    if not passed:
        hint = ""
        if step in uhid_rig.flows_plan():
            udp = request.getfixturevalue("udp_flows").results.get(step)
            if udp and udp[0]:
                hint = " (it passes over UDP: the uhid transport is at fault, not the authenticator)"
        pytest.fail(f"{step}: {detail}{hint}\n{guest.describe()}")


def test_a_machine_without_qemu_skips_the_rig_saying_why(monkeypatch):
    """The skip path: no qemu-system-x86_64 on the PATH is a reason that names the package."""
    real_which = uhid_rig.shutil.which
    monkeypatch.setattr(uhid_rig.shutil, "which", lambda name: None if name == uhid_rig.QEMU else real_which(name))
    reason = uhid_rig.missing_prerequisite()
    assert reason and "qemu-system-x86_64 is not installed" in reason and "qemu-system-x86" in reason
