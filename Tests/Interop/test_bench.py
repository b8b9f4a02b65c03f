"""`vauth bench --quick --json`: the shape of its output, never its timings (speed goals are
judged by people reading the table, not by tests on a shared machine).

The quick run takes tens of seconds on the debug build (RSA-2048 key generation in the create
group, `vauth` processes cold and warm, a `vauth serve`); it is one run for all the shape checks."""
import json
import os
import subprocess
import sys

import pytest

from vauthcli import vauth_binary

LAYERS = ("typedWarm", "typedCold", "cborWarm", "cborCold", "jsonWarm", "jsonCold")
STATISTIC = {"median", "low", "high", "samples", "unit"}


def is_number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def check_statistic(where, statistic, slices=None):
    assert set(statistic) == STATISTIC, (where, statistic)
    assert all(is_number(statistic[k]) for k in ("median", "low", "high", "samples")), (where, statistic)
    assert statistic["low"] <= statistic["median"] <= statistic["high"], (where, statistic)
    assert statistic["median"] > 0, (where, statistic)
    if slices is not None:
        assert statistic["samples"] == slices, (where, statistic)


@pytest.fixture(scope="module")
def report():
    run = subprocess.run([vauth_binary(), "bench", "--quick", "--json"], capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr
    return json.loads(run.stdout)


def test_every_layer_of_get_and_create_is_measured_in_the_same_slices(report):
    rounds = report["settings"]["rounds"]
    assert rounds >= 5, "each number is the median of at least five slices"
    results = report["results"]
    for algorithm in ("es256", "eddsa", "rs256"):
        get = results[f"{algorithm}.get"]
        for name in ("opensslSign",) + LAYERS:
            check_statistic((algorithm, name), get[name], rounds)
        for name in LAYERS:
            assert get[f"{name}/opensslSign"]["unit"] == "×"
        create = results[f"{algorithm}.create"]
        for name in ("opensslKeygen", "typedNone", "typedSelf", "typedX5c", "cborNone", "jsonWarm", "jsonCold"):
            check_statistic((algorithm, "create", name), create[name], rounds)


def test_processes_serve_and_keystore_scale_are_measured(report):
    results = report["results"]
    for name in ("getWarmMs", "getColdMs", "createWarmMs", "createColdMs", "versionMs", "getPeakRssMB", "createPeakRssMB"):
        check_statistic(("cli", name), results["cli"][name])
    for name in ("opensslSign", "serveWarm", "serveCold", "serveWarm/opensslSign", "warmP50Ms", "warmP99Ms"):
        check_statistic(("serve", name), results["serve"][name])
    keystore = results["keystore"]
    for operation in ("getAllow", "getDiscoverable", "create"):
        for size in ("Small", "Large"):
            check_statistic(("keystore", operation, size), keystore[f"{operation}{size}Ms"])
            check_statistic(("keystore", operation, size), keystore[f"vauth-{operation}{size}Ms"])
        check_statistic(("keystore", operation), keystore[f"{operation}LargeMs/{operation}SmallMs"])
    assert report["settings"]["largeKeystore"] == 1000


def test_the_load_is_noted_for_every_group_and_the_goals_are_listed(report):
    for name in report["results"]:
        load = report["load"][name]
        assert is_number(load["loadAverageStart"]) and is_number(load["loadAverageEnd"]), name
        assert is_number(load["otherProcessesCores"]) and 0 <= load["otherProcessesCores"] <= os.cpu_count() + 0.5, (name, load)
    assert {"cpu", "cores", "openssl", "loadavg"} <= set(report["machine"])
    assert report["settings"]["quick"] is True
    assert all(is_number(goal["value"]) and isinstance(goal["met"], bool) for goal in report["goals"])
    names = {goal["name"] for goal in report["goals"]}
    assert "ES256 get over CBOR bytes / OpenSSL sign" in names
    # Without --soft-webauthn the comparison is said to be missing, not silently dropped.
    assert any("soft-webauthn" in reason for reason in report["skipped"])


def test_only_and_a_baseline_binary(tmp_path):
    """`--only cli --baseline B` runs B's `get` in the same slices and gives the start-up ratio
    (here against itself, so only the shape is checked)."""
    run = subprocess.run([vauth_binary(), "bench", "--quick", "--json", "--only", "cli", "--baseline", vauth_binary()],
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    report = json.loads(run.stdout)
    assert list(report["results"]) == ["cli"]
    check_statistic("baseline", report["results"]["cli"]["baselineGetWarmMs"])
    check_statistic("ratio", report["results"]["cli"]["getWarmMs/baselineGetWarmMs"])
    assert any(goal["name"].startswith("`vauth get` / the --baseline") for goal in report["goals"])


def test_a_python_without_soft_webauthn_is_refused_with_the_reason():
    run = subprocess.run([vauth_binary(), "bench", "--quick", "--only", "get", "--soft-webauthn", sys.executable],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode != 0
    assert "cannot run soft-webauthn" in run.stderr and "compare_soft_webauthn.py" in run.stderr, run.stderr


def test_bench_rejects_unknown_flags_and_groups():
    run = subprocess.run([vauth_binary(), "bench", "--iterations", "5"], capture_output=True, text=True, timeout=60)
    assert run.returncode == 2
    assert run.stderr.startswith("vauth: error:") or "Error:" in run.stderr
    run = subprocess.run([vauth_binary(), "bench", "--only", "get,nothing"], capture_output=True, text=True, timeout=60)
    assert run.returncode == 2
    assert run.stderr == "vauth: error: --only: no group nothing; the groups are get, create, cli, serve, keystore (get and create also per algorithm: es256.get)\n"
