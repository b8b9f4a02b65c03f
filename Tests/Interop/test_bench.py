"""`vauth bench --quick --json`: the shape of its output, never its timings (speed goals are
judged by people reading the table, not by tests on a shared machine)."""
import json
import subprocess

from vauthcli import vauth_binary

ALGORITHMS = ("es256", "eddsa", "rs256")
PER_ALGORITHM = ("opensslSign", "getAssertion", "getAssertionCold", "makeCredential",
                 "makeCredentialSelf", "makeCredentialX5c", "warmRatio", "coldRatio")


def is_number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def test_quick_bench_json_has_every_number():
    run = subprocess.run([vauth_binary(), "bench", "--quick", "--json"], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    report = json.loads(run.stdout)
    results = report["results"]
    for algorithm in ALGORITHMS:
        for name in PER_ALGORITHM:
            assert is_number(results[algorithm][name]), (algorithm, name, results[algorithm].get(name))
            assert results[algorithm][name] > 0, (algorithm, name)
    assert is_number(results["cbor"]["encodeDecodeMakeCredential"])
    assert is_number(results["client"]["getJSON"]) and is_number(results["client"]["createJSON"])
    for name in ("assert10", "assert10000", "ratio", "assert10Disk", "assert10000Disk"):
        assert is_number(results["keystore"][name]) and results["keystore"][name] > 0, name
    for name in ("getWallMs", "getTmpfsWallMs", "getPeakRssMB", "versionWallMs"):
        assert is_number(results["cli"][name]) and results["cli"][name] > 0, name
    assert report["settings"]["quick"] is True
    assert all(is_number(goal["value"]) and isinstance(goal["met"], bool) for goal in report["goals"])
    assert {"cpu", "cores", "openssl"} <= set(report["machine"])


def test_bench_rejects_unknown_flags():
    run = subprocess.run([vauth_binary(), "bench", "--iterations", "5"], capture_output=True, text=True, timeout=60)
    assert run.returncode == 2
    assert run.stderr.startswith("vauth: error:") or "Error:" in run.stderr
