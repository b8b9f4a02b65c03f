"""Drives `vauth serve` over UDP the way the SoloKeys simulator is driven: every datagram one raw
64-byte CTAPHID report. `UdpCtapHidConnection` plugs that carrier into python-fido2's own
`CtapHidDevice`, so the CTAPHID framing on the client side is python-fido2's, not ours."""
from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import threading
import time

from fido2.hid import CtapHidDevice
from fido2.hid.base import CtapHidConnection, HidDescriptor

REPORT = 64
REBOOT_PACKET = bytes.fromhex("ac1052ca") + b"\0" * 56 + bytes.fromhex("9a7250dc")


class UdpCtapHidConnection(CtapHidConnection):
    """One UDP socket on a free local port, talking to `vauth serve`."""

    def __init__(self, port: int, timeout: float = 5.0):
        self.address = ("127.0.0.1", port)
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(timeout)

    def write_packet(self, data: bytes) -> None:
        self.sock.sendto(bytes(data), self.address)

    def read_packet(self) -> bytes:
        data, _ = self.sock.recvfrom(2048)
        return data

    def close(self) -> None:
        self.sock.close()


class VauthServe:
    """`vauth serve --udp 127.0.0.1:0` for one VauthCLI keystore; the port is the one the
    server reports, so parallel runs never clash."""

    def __init__(self, cli, *flags):
        self.cli = cli
        self.process = subprocess.Popen([cli.binary, "serve", "--udp", "127.0.0.1:0", *flags],
                                        env=cli.env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.lines: list[str] = []
        self._ready = threading.Event()
        self.port = None
        threading.Thread(target=self._read_stderr, daemon=True).start()
        if not self._ready.wait(30) or self.port is None:
            self.process.kill()
            raise RuntimeError("vauth serve did not start: " + "".join(self.lines))

    def _read_stderr(self):
        for raw in self.process.stderr:
            line = raw.decode(errors="replace")
            self.lines.append(line)
            match = re.search(r"listening on udp [^ ]*:(\d+)", line)
            if match:
                self.port = int(match.group(1))
                self._ready.set()
        self._ready.set()

    def connection(self, timeout: float = 5.0) -> UdpCtapHidConnection:
        return UdpCtapHidConnection(self.port, timeout)

    def device(self) -> CtapHidDevice:
        descriptor = HidDescriptor(f"udp:127.0.0.1:{self.port}", 0x1209, 0xBEEF, REPORT, REPORT, "vauth serve", None)
        return CtapHidDevice(descriptor, self.connection())

    def reboot(self):
        with _Closing(self.connection()) as conn:
            conn.write_packet(REBOOT_PACKET)
        time.sleep(0.05)

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(20)
        finally:
            time.sleep(0.01)

    def log(self) -> str:
        return "".join(self.lines)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self.process.poll() is None:
            self.stop()


class _Closing:
    def __init__(self, conn):
        self.conn = conn

    def __enter__(self):
        return self.conn

    def __exit__(self, *exc):
        self.conn.close()
