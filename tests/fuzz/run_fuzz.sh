#!/bin/sh
# run_fuzz.sh BINARY SEED_CORPUS SECONDS — runs a libFuzzer harness over a
# scratch copy of its seed corpus for a bounded time. FSY_TORTURE=1 makes
# it run 600 s (or FSY_FUZZ_SECONDS). Exit status: the fuzzer's (non-zero
# on a crash, leak, timeout or sanitizer report; the reproducer is printed).
set -eu
bin=$1 seeds=$2 secs=$3
if [ "${FSY_TORTURE:-0}" = 1 ]; then secs=${FSY_FUZZ_SECONDS:-600}; fi
work=$(mktemp -d /tmp/fsy-fuzz-XXXXXX)
trap 'rm -rf "$work"' EXIT INT TERM
mkdir -p "$work/corpus"
cd "$work"
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
exec "$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
	-print_final_stats=1 "$work/corpus" "$seeds"
