#!/usr/bin/env bash
# Fuzzes every harness of Tests/Fuzz/Harnesses with libFuzzer for a bounded time each.
#
#   Tests/Fuzz/run.sh [SECONDS_PER_HARNESS] [HARNESS…]     default 60 s, every harness
#
# Builds vauth-fuzz with -sanitize=fuzzer,address into .build-fuzz (apart from the normal build;
# not part of ./test.sh, which only replays the corpora and regressions). New corpus entries go
# to .build-fuzz/corpus/<harness> (the seeds in Tests/Fuzz/corpus are read, never written). A
# crash leaves its input as .build-fuzz/artifacts/<harness>/crash-*: fix the bug, then copy the
# input to Tests/Fuzz/regressions/<harness>/ so ./test.sh replays it forever.
set -euo pipefail
cd "$(dirname "$0")/../.."
command -v swift >/dev/null || export PATH="/opt/swift/usr/bin:$PATH"
# The Swift runtime's backtracer trips AddressSanitizer after a trap; libFuzzer reports the crash.
export SWIFT_BACKTRACE=enable=no
seconds=${1:-60}
shift || true
harnesses=("$@")

echo "== building vauth-fuzz (libFuzzer + AddressSanitizer)" >&2
swift build --build-path .build-fuzz --product vauth-fuzz \
    -Xswiftc -sanitize=fuzzer,address -Xswiftc -DVAUTH_LIBFUZZER -Xswiftc -use-ld=lld >&2
binary=.build-fuzz/debug/vauth-fuzz
[ ${#harnesses[@]} -gt 0 ] || mapfile -t harnesses < <("$binary" --list | cut -f1)

status=0
for harness in "${harnesses[@]}"; do
    mkdir -p ".build-fuzz/corpus/$harness" ".build-fuzz/artifacts/$harness"
    log=".build-fuzz/$harness.log"
    echo "== $harness: ${seconds}s" >&2
    # -rss_limit_mb: the keystore harnesses map files; -max_len: CTAP's 7609-byte message limit
    # is far above what finds bugs.
    if VAUTH_FUZZ_HARNESS="$harness" "$binary" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=4096 \
        -artifact_prefix=".build-fuzz/artifacts/$harness/" -print_final_stats=1 \
        ".build-fuzz/corpus/$harness" "Tests/Fuzz/corpus/$harness" "Tests/Fuzz/regressions/$harness" > "$log" 2>&1; then
        result=ok
    else
        result="CRASH (see $log and .build-fuzz/artifacts/$harness/)"
        status=1
    fi
    execs=$(grep -E '^stat::number_of_executed_units' "$log" | awk '{print $2}' || true)
    cov=$(grep -oE 'cov: [0-9]+' "$log" | tail -1 || true)
    printf '%-14s %6ss  execs %-10s %-10s %s\n' "$harness" "$seconds" "${execs:-?}" "${cov:-}" "$result"
done
exit $status
