#!/usr/bin/env bash
# Runs every test of vauth: the Swift unit tests of each layer, then the interop suite, which
# drives the built `vauth` binary and checks its output with independent verifiers (py_webauthn,
# python-fido2, libfido2's fido2-cred / fido2-assert) and stand-in servers.
set -euo pipefail
cd "$(dirname "$0")"
./setup.sh --deps
command -v swift >/dev/null || export PATH="/opt/swift/usr/bin:$PATH"
mkdir -p .build

run_logged() {  # run a step, keep its output in a log, show the log's tail only on failure
    local name=$1; shift
    echo "== $name" >&2
    if ! "$@" > ".build/$name.log" 2>&1; then
        grep -E '✘|error:|FAIL' ".build/$name.log" | head -n 60 >&2 || tail -n 60 ".build/$name.log" >&2
        echo "$name failed (full log: .build/$name.log)" >&2
        exit 1
    fi
}

run_logged build swift build --build-tests
run_logged swift-test swift test --skip-build
grep -E 'Test run with' .build/swift-test.log >&2 || true

echo "== interop" >&2
VAUTH_BIN="$PWD/.build/debug/vauth" .venv/bin/pytest Tests/Interop -q -p no:cacheprovider "$@"
