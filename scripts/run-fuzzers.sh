#!/usr/bin/env bash
# Runs the libFuzzer targets of Fuzz/ (built by `make fuzz-build`) one after another, each over a fresh scratch
# copy of its committed seed corpus (Fuzz/Corpus/<target>), and stops at the first one that finds a crash, a hang
# or a leak; the input that caused it is left in the scratch folder. Arguments go to every target (e.g. -runs=N).
#   FUZZ_TARGETS  the targets to run (default: every folder of Fuzz/Corpus)
#   FUZZ_WORK     the scratch folder (default: .build/fuzz)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
bin=$root/Fuzz/.build/release
work=${FUZZ_WORK:-$root/.build/fuzz}
targets=${FUZZ_TARGETS:-$(ls Fuzz/Corpus)}
mkdir -p "$work"
for target in $targets; do
    [[ -x $bin/$target ]] || { echo "error: $bin/$target is not built (run make fuzz-build)" >&2; exit 1; }
    rm -rf "${work:?}/$target"
    mkdir -p "$work/$target/findings"
    cp -R "Fuzz/Corpus/$target" "$work/$target/corpus"
    echo "== $target $*"
    start=$SECONDS
    # -timeout=1: an input that takes over a second is a hang; -rss_limit_mb: and one that needs 2 GB a leak
    # or a blow-up; -detect_leaks=1: LeakSanitizer checks the inputs that grew coverage.
    # SWIFT_BACKTRACE=enable=no: Swift's crash backtracer stalls beside ASan; libFuzzer's own report names the frames.
    if ! IMG2IMG_ROOT=$root SWIFT_BACKTRACE=enable=no "$bin/$target" -timeout=1 -rss_limit_mb=2048 -detect_leaks=1 -print_final_stats=1 \
        -artifact_prefix="$work/$target/findings/" "$@" "$work/$target/corpus" >"$work/$target/log" 2>&1; then
        tail -n 60 "$work/$target/log"
        echo "error: $target found a bug; its input is in $work/$target/findings/" >&2
        exit 1
    fi
    grep -E '^(#[0-9]+.*DONE|stat::number_of_executed_units|stat::average_exec_per_sec|stat::peak_rss_mb)' \
        "$work/$target/log" || true
    echo "   $((SECONDS - start)) s; log: $work/$target/log"
done
