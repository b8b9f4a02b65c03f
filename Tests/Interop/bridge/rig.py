"""The browser test rig: Debian's chromium and firefox-esr started headless by the tests, with no
free-port races (each browser picks its own ports and writes them into its profile directory),
and every wait bounded by a timeout that really fires.

Playwright's sync `evaluate` has no timeout, and pytest-timeout's signal method does not
interrupt Playwright's sync API (a hung bridge test once held a whole ./test.sh for 30 minutes).
So each page call here is raced against a timer in the page itself, and a watchdog thread ends
the browser if even that does not come back: the blocked call then fails at once, and only that
test fails.
"""
from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import subprocess
import tempfile
import threading
import time
from pathlib import Path

CHROMIUM = "/usr/bin/chromium"
FIREFOX = "/usr/bin/firefox-esr"

# How long a page call may take before the page-side timer rejects it, and how much longer the
# watchdog waits before it ends the browser. Generous: the machine is shared and loaded; nothing
# here relies on a call being fast, only on it coming back.
PAGE_CALL_TIMEOUT = 60
WATCHDOG_GRACE = 30


class RigTimeout(AssertionError):
    pass


def wait_for_file(path: Path, ready, timeout: float, what: str):
    """Waits (bounded) until `ready(text)` holds for the file's text; returns its value."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            value = ready(path.read_text())
            if value:
                return value
        except (OSError, ValueError):
            pass
        if time.monotonic() > deadline:
            raise RigTimeout(f"{what}: {path} not written within {timeout} s")
        time.sleep(0.05)


class Process:
    """A browser process of the test's own; stop() ends it and everything it started."""

    def __init__(self, argv: list[str], env: dict | None = None):
        self.argv = argv
        self.process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env,
                                        start_new_session=True)

    def kill(self):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)

    def stop(self, timeout: float = 20):
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                pass
        self.kill()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=timeout)


class Chromium(Process):
    """Headless Chromium with `--remote-debugging-port=0`: the port it chose is the first line of
    DevToolsActivePort in its profile."""

    def __init__(self, directory: Path):
        self.profile = Path(tempfile.mkdtemp(prefix="chromium-", dir=directory))
        super().__init__([CHROMIUM, "--headless=new", "--no-sandbox", "--remote-debugging-port=0",
                          f"--user-data-dir={self.profile}", "--no-first-run",
                          # An origin that is not a secure context, for the tests of insecure pages.
                          "--host-resolver-rules=MAP insecure.test 127.0.0.1", "about:blank"])
        self.port = int(wait_for_file(self.profile / "DevToolsActivePort",
                                      lambda text: text.count("\n") >= 1 and text.split()[0], 60, "chromium"))
        self.url = f"http://127.0.0.1:{self.port}"


class Firefox(Process):
    """Headless firefox-esr with Marionette and WebDriver BiDi on ports it picks (`marionette.port`
    0 and `--remote-debugging-port=0`; the ports are in MarionetteActivePort and
    WebDriverBiDiServer.json in its profile), and a WebDriver session made through Marionette with
    `webSocketUrl: true`, whose BiDi WebSocket a second client (vauth) may join."""

    def __init__(self, directory: Path):
        from marionette_driver.marionette import Marionette
        self.profile = Path(tempfile.mkdtemp(prefix="firefox-", dir=directory))
        (self.profile / "user.js").write_text("\n".join([
            'user_pref("marionette.port", 0);',
            'user_pref("app.update.disabledForTesting", true);',
            'user_pref("browser.shell.checkDefaultBrowser", false);',
            'user_pref("datareporting.policy.dataSubmissionEnabled", false);',
            'user_pref("toolkit.telemetry.reportingpolicy.firstRun", false);',
            'user_pref("browser.startup.homepage_override.mstone", "ignore");',
            'user_pref("network.captive-portal-service.enabled", false);',
        ]) + "\n")
        env = dict(os.environ, MOZ_HEADLESS="1")
        super().__init__([FIREFOX, "--headless", "--marionette", "--remote-debugging-port=0", "--profile", str(self.profile),
                          "about:blank"], env=env)
        try:
            marionette_port = int(wait_for_file(self.profile / "MarionetteActivePort", lambda text: text.strip(), 180, "firefox"))
            wait_for_file(self.profile / "WebDriverBiDiServer.json", lambda text: json.loads(text).get("ws_port"), 180, "firefox")
            self.marionette = Marionette(host="127.0.0.1", port=marionette_port)
            self.marionette.start_session(capabilities={"webSocketUrl": True})
            self.session_url = self.marionette.session_capabilities["webSocketUrl"]
        except BaseException:
            self.stop()
            raise

    def stop(self, timeout: float = 20):
        with contextlib.suppress(Exception):
            self.marionette.delete_session()
        super().stop(timeout)


@contextlib.contextmanager
def watchdog(seconds: float, *processes: Process, what: str = "browser call"):
    """Ends `processes` if the block has not finished within `seconds` (a blocked browser call
    then fails), and reports that as a timeout rather than as the call's error."""
    fired = threading.Event()

    def expire():
        fired.set()
        for process in processes:
            process.kill()

    timer = threading.Timer(seconds, expire)
    timer.daemon = True
    timer.start()
    try:
        yield
    except Exception as error:
        if fired.is_set():
            raise RigTimeout(f"{what} did not come back within {seconds} s; the browser was ended") from error
        raise
    finally:
        timer.cancel()
    if fired.is_set():
        raise RigTimeout(f"{what} did not come back within {seconds} s; the browser was ended")


def bounded_function(source: str, timeout: float = PAGE_CALL_TIMEOUT) -> str:
    """A page function `async (arg) => …` that runs `source` (a function, or an expression) and
    rejects if it has not settled after `timeout` seconds, by a timer in the page."""
    source = source.strip()
    function = source if re.match(r"^(async\s+)?(\([^)]*\)|[A-Za-z_$][\w$]*)\s*=>", source) or source.startswith(("function", "async function")) \
        else f"() => ({source})"
    ms = int(timeout * 1000)
    return (f"async (arg) => {{ let timer; const late = new Promise((_, reject) => {{ timer = setTimeout(() => "
            f"reject(new Error('vauth test: page call still pending after {ms} ms')), {ms}); }}); "
            f"try {{ return await Promise.race([({function})(arg), late]); }} finally {{ clearTimeout(timer); }} }}")


class Lines:
    """The stderr lines of a process, read by a thread; waits are bounded."""

    def __init__(self, stream):
        self.lines: list[str] = []
        self.condition = threading.Condition()
        self.closed = False
        threading.Thread(target=self._read, args=(stream,), daemon=True).start()

    def _read(self, stream):
        for line in stream:
            with self.condition:
                self.lines.append(line.rstrip("\n"))
                self.condition.notify_all()
        with self.condition:
            self.closed = True
            self.condition.notify_all()

    def wait_for_count(self, pattern: str, count: int, timeout: float = 60) -> list[str]:
        deadline = time.monotonic() + timeout
        with self.condition:
            while True:
                found = [line for line in self.lines if re.search(pattern, line)]
                if len(found) >= count:
                    return found
                remaining = deadline - time.monotonic()
                if remaining <= 0 or self.closed:
                    raise AssertionError(f"{len(found)} of {count} lines matching {pattern!r} in {self.lines}")
                self.condition.wait(remaining)

    def wait_for(self, pattern: str, timeout: float = 60) -> str:
        deadline = time.monotonic() + timeout
        with self.condition:
            while True:
                for line in self.lines:
                    if re.search(pattern, line):
                        return line
                remaining = deadline - time.monotonic()
                if remaining <= 0 or self.closed:
                    raise AssertionError(f"no line matching {pattern!r} in {self.lines}")
                self.condition.wait(remaining)
