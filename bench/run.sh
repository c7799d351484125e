#!/bin/sh
# run.sh BUILD_DIR — the benchmark suite (`make bench`; docs/BENCHMARKS.md).
#
#   1. bench/daemon.sh: the real daemons over TLS on 127.0.0.1 (initial
#      replica daemon to daemon, an idle agent daemon for a minute);
#   2. fsy_bench: the sync engine's workloads (initial replica over nng,
#      a day offline on three replica sizes, hub merge with 1..1,000
#      simulated agents, the baselines), medians of FSY_BENCH_RUNS runs
#      (default 5, at least 3);
#   3. writes bench/results.json and replaces the generated part of
#      docs/BENCHMARKS.md (between the results:begin/end markers).
# The databases live in BUILD_DIR/bench-work (on disk, like a real replica)
# and are removed at the end. Takes about 8-10 minutes on 2 cores.
set -eu

BUILD=${1:-build}
SRC=$(cd "$(dirname "$0")/.." && pwd)
BIN=$(cd "$BUILD" && pwd)
RUNS=${FSY_BENCH_RUNS:-5}
IDLE=${FSY_BENCH_IDLE:-60}
W="$BIN/bench-work"
DOC="$SRC/docs/BENCHMARKS.md"

cmake --build "$BIN" --target fsy_bench fieldsyncd fieldsync >/dev/null
rm -rf "$W"
mkdir -p "$W"
T0=$(date +%s)

echo "daemons: initial replica over TLS, idle agent ($RUNS runs, ${IDLE} s idle)" >&2
sh "$SRC/bench/daemon.sh" "$BIN" "$W/daemon" "$W/daemon.json" "$RUNS" "$IDLE"

# The code measured: the commit, marked when the work tree differs.
COMMIT=$(cd "$SRC" && git rev-parse --short HEAD 2>/dev/null || echo unknown)
(cd "$SRC" && git diff --quiet HEAD -- daemon proto schema bench/*.c bench/*.h \
    2>/dev/null) || COMMIT="$COMMIT+local changes"
"$BIN/bench/fsy_bench" --workdir "$W/engine" --out "$W/results.json" \
    --md "$W/results.md" --daemon-json "$W/daemon.json" --runs "$RUNS" \
    --commit "$COMMIT"

# The commands that made the figures, recorded with them.
jq --arg runs "$RUNS" --arg idle "$IDLE" --argjson secs "$(($(date +%s) - T0))" \
    '. + {commands: ["make bench", "sh bench/run.sh BUILD (FSY_BENCH_RUNS=" +
        $runs + ", FSY_BENCH_IDLE=" + $idle + ")",
        "sh bench/daemon.sh BUILD WORKDIR daemon.json " + $runs + " " + $idle,
        "BUILD/bench/fsy_bench --workdir WORKDIR --out results.json --md results.md --daemon-json daemon.json --runs " + $runs],
      make_bench_seconds: $secs}' "$W/results.json" >"$SRC/bench/results.json"

# Splice the generated tables into the document.
if grep -q '^<!-- results:begin -->$' "$DOC" && grep -q '^<!-- results:end -->$' "$DOC"; then
	awk -v gen="$W/results.md" '
	    /^<!-- results:begin -->$/ { print; while ((getline l < gen) > 0) print l; skip = 1; next }
	    /^<!-- results:end -->$/ { skip = 0 }
	    !skip { print }' "$DOC" >"$W/doc.md"
	cp "$W/doc.md" "$DOC"
else
	echo "run.sh: $DOC has no results markers; tables left in bench/results.json only" >&2
fi
rm -rf "$W"
echo "bench: wrote bench/results.json and docs/BENCHMARKS.md in $(($(date +%s) - T0)) s" >&2
