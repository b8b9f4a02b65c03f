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
