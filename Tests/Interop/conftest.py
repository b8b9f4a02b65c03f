"""Shared fixtures for the interop tests (Python side of vauth's end-to-end suite)."""
import pytest

from standins.passwordless import start_server
from vauthcli import VauthCLI


@pytest.fixture
def passwordless_server():
    """A fresh Passwordless.dev stand-in per test (test-mode keys, test controls on), so no
    credential, token or clock offset leaks between tests. Starting one takes milliseconds."""
    handle = start_server()
    yield handle
    handle.stop()


@pytest.fixture
def vauth(tmp_path):
    """The built vauth binary with a fresh keystore and key file of its own."""
    return VauthCLI(tmp_path)


def pytest_sessionfinish(session, exitstatus):
    """The secrets check over the whole run (issue 14): no passphrase, key file or private key in
    any stdout or stderr of any vauth command the tests ran (only `export` may print keys, on
    stdout), and none in the clear in any file vauth left in a keystore directory. A leak fails
    the run even when every test passed."""
    from vauthcli import SECRETS
    if not SECRETS.transcript:
        return
    SECRETS.harvest()
    problems = SECRETS.leaks() + SECRETS.files_at_rest()
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    summary = (f"secrets check: {len(SECRETS.transcript)} vauth runs, {len(SECRETS.passphrases)} passphrases, "
               f"{len(SECRETS.key_files)} key files, {len(SECRETS.private_keys)} private keys watched")
    if reporter:
        reporter.write_line(summary)
    if problems:
        if reporter:
            for problem in sorted(set(problems))[:50]:
                reporter.write_line(f"SECRET LEAK: {problem}", red=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
