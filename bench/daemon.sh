#!/bin/sh
# daemon.sh BUILD WORKDIR OUT.json [RUNS] [IDLE_SECONDS]
#
# The daemons' benchmarks (docs/BENCHMARKS.md, workloads 1 over TLS and 5):
#   * initial replica daemon to daemon: a `fieldsyncd` hub serving the book
#     of workload 1 (`fsy_bench mkhub`: 2,000 households, five years of
#     visits) on tls+tcp://127.0.0.1 (certificates from deploy/pki.sh), and
#     RUNS times a new device and an agent `fieldsyncd` with an empty
#     replica; the round's duration is the agent's own (`status`:
#     sync.last_round.ms: connect, TLS handshake, every request), its bytes,
#     its peak RSS (VmHWM), and convergence (`hash` = `scope hash`);
#   * idle: the last agent daemon, restarted over its filled replica, after
#     its first round, left alone for IDLE_SECONDS: CPU from /proc/PID/stat
#     (utime + stime), RSS sampled every second from /proc/PID/status. The
#     same just after the initial replica, for half as long, for comparison.
# Writes OUT.json; when the daemons or tools are missing, a {"note": ...}
# saying so. Every daemon it starts is stopped at the end or on failure;
# everything listens on 127.0.0.1 only.
set -eu

BIN=$(cd "$1" && pwd)
W=$2
OUT=$3
RUNS=${4:-5}
IDLE=${5:-60}
SRC=$(cd "$(dirname "$0")/.." && pwd)
FS="$BIN/fieldsync"
D="$BIN/fieldsyncd"
FB="$BIN/bench/fsy_bench"
PKI="$SRC/deploy/pki.sh"
export FSY_DATADIR="$SRC/schema"
PIDS=""
AGENT_CODE=A0001

note() { # a result that says why there is none; exits 0
	printf '{"note": "%s"}\n' "$1" >"$OUT"
	echo "daemon.sh: $1" >&2
	exit 0
}
stop_pid() {
	kill -TERM "$1" 2>/dev/null || return 0
	i=0
	while kill -0 "$1" 2>/dev/null && [ $i -lt 100 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	kill -KILL "$1" 2>/dev/null || true
	wait "$1" 2>/dev/null || true
	PIDS=$(echo "$PIDS" | sed "s/ $1\b//")
}
stop_all() {
	for p in $PIDS; do stop_pid "$p"; done
}
trap 'stop_all' EXIT
trap 'exit 1' INT TERM HUP
fail() {
	echo "daemon.sh: FAILED: $*" >&2
	for f in "$W"/*.log; do
		[ -f "$f" ] && { echo "---- $f" >&2; tail -n 10 "$f" >&2; }
	done
	note "the daemon measurement failed: $(echo "$*" | tr -d '"\\')"
}

for f in "$FS" "$D" "$FB"; do
	[ -x "$f" ] || note "not measured: $(basename "$f") is not built"
done
for t in openssl jq; do
	command -v $t >/dev/null 2>&1 || note "not measured: $t is not installed"
done

rm -rf "$W"
mkdir -p "$W/hub"
ms_now() { date +%s%3N; }
hubc() { "$FS" --socket "ipc://$W/hub/fieldsyncd.sock" "$@"; }
lapc() { _l=$1; shift; "$FS" --socket "ipc://$W/$_l/fieldsyncd.sock" "$@"; }

"$PKI" init "$W/pki" localhost >/dev/null 2>&1 || fail "pki.sh init"
HUBINFO=$("$FB" mkhub --db "$W/hub/hub.db" --customers 2000 \
    --agent-code $AGENT_CODE) || fail "fsy_bench mkhub"

# ---- the hub daemon -----------------------------------------------------------
PORT=$((30000 + $$ % 20000))
tries=0
while :; do
	cat >"$W/hub.ini" <<EOF
[daemon]
role = hub
db = hub/hub.db
log_level = warn

[hub]
listen = tls+tcp://127.0.0.1:$PORT
cert = pki/hub.crt
key = pki/hub.key
ca = pki/ca.crt
EOF
	"$D" --config "$W/hub.ini" >"$W/hub.log" 2>&1 &
	HUB=$!
	PIDS="$PIDS $HUB"
	i=0
	until hubc ping >/dev/null 2>&1; do
		kill -0 $HUB 2>/dev/null || break
		[ $i -lt 200 ] || fail "the hub did not answer within 20 s"
		sleep 0.1
		i=$((i + 1))
	done
	kill -0 $HUB 2>/dev/null && break
	PIDS=$(echo "$PIDS" | sed "s/ $HUB\b//")
	tries=$((tries + 1))
	[ $tries -lt 10 ] && grep -q "listen" "$W/hub.log" || fail "the hub did not start"
	PORT=$((PORT + 97))
done

# ---- laptops --------------------------------------------------------------------
agent_ini() { # NAME
	dev=$(cat "$W/$1/device.id")
	cat >"$W/$1.ini" <<EOF
[daemon]
role = agent
db = $1/replica.db
log_level = warn

[agent]
hub = tls+tcp://127.0.0.1:$PORT
server_name = localhost
ca = pki/ca.crt
cert = pki/devices/$dev.crt
key = pki/devices/$dev.key
device_id = $dev
device_key = $1/device.key
sync_interval = 3600
sync_soon = 0
backoff_min = 1
backoff_max = 2
EOF
}
start_agent() { # NAME -> AGENT (pid)
	"$D" --config "$W/$1.ini" >>"$W/$1.log" 2>&1 &
	AGENT=$!
	PIDS="$PIDS $AGENT"
}
# wait_round NAME: until the agent's first round since start succeeded;
# its status goes to $W/status.json.
wait_round() {
	i=0
	while :; do
		lapc "$1" --json status >"$W/status.json" 2>/dev/null &&
			[ "$(jq -r '.sync.last_success // empty' "$W/status.json")" != "" ] &&
			break
		kill -0 $AGENT 2>/dev/null || fail "agent $1 exited"
		[ $i -lt 3000 ] || fail "agent $1: no successful round within 150 s"
		sleep 0.05
		i=$((i + 1))
	done
}
# idle PID SECONDS: prints "cpu_percent rss_median_kib rss_max_kib"
idle() {
	tck=$(getconf CLK_TCK)
	t0=$(awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$1/stat")
	w0=$(ms_now)
	: >"$W/rss.txt"
	n=0
	while [ $n -lt "$2" ]; do
		sleep 1
		awk '/^VmRSS:/ { print $2 }' "/proc/$1/status" >>"$W/rss.txt"
		n=$((n + 1))
	done
	t1=$(awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$1/stat")
	w1=$(ms_now)
	sort -n "$W/rss.txt" >"$W/rss.sorted"
	cnt=$(wc -l <"$W/rss.sorted")
	med=$(sed -n "$(((cnt + 1) / 2))p" "$W/rss.sorted")
	max=$(tail -n 1 "$W/rss.sorted")
	awk -v a="$t0" -v b="$t1" -v t="$tck" -v w="$((w1 - w0))" -v m="$med" -v x="$max" \
	    'BEGIN { printf "%.4f %d %d\n", (b - a) / t / (w / 1000) * 100, m, x }'
}

: >"$W/runs.jsonl"
r=1
while [ $r -le "$RUNS" ]; do
	n=lap$r
	mkdir -p "$W/$n"
	hubc --json device issue --agent $AGENT_CODE --name "bench laptop $r" \
	    --out "$W/$n" >/dev/null || fail "device issue"
	"$PKI" device "$W/pki" "$(cat "$W/$n/device.id")" >/dev/null 2>&1 ||
		fail "pki.sh device"
	agent_ini $n
	t0=$(ms_now)
	start_agent $n
	wait_round $n
	t1=$(ms_now)
	s=$(cat "$W/status.json")
	hwm=$(awk '/^VmHWM:/ { print $2 }' "/proc/$AGENT/status")
	ha=$(lapc $n --json hash) || fail "hash"
	hb=$(hubc --json scope hash --agent $AGENT_CODE) || fail "scope hash"
	[ "$(echo "$ha" | jq -r .hash)" = "$(echo "$hb" | jq -r .hash)" ] ||
		fail "laptop $r differs from the hub's view of its scope"
	[ "$(echo "$ha" | jq -r .pending)" = 0 ] || fail "laptop $r has pending changes"
	echo "$s" | jq -c --argjson wall "$((t1 - t0))" --argjson hwm "$hwm" \
	    '.sync.last_round + {start_to_synced_ms: $wall, vmhwm_kib: $hwm}' \
	    >>"$W/runs.jsonl"
	echo "  daemons over TLS, run $r: round $(echo "$s" | jq .sync.last_round.ms) ms," \
	    "peak RSS $((hwm / 1024)) MiB" >&2
	if [ $r -lt "$RUNS" ]; then
		stop_pid $AGENT
		rm -rf "${W:?}/$n"
	fi
	r=$((r + 1))
done

echo "  idle agent daemon just after its initial replica, $((IDLE / 2)) s" >&2
set -- $(idle $AGENT $((IDLE / 2)))
AFTER_CPU=$1 AFTER_MED=$2 AFTER_MAX=$3
stop_pid $AGENT
start_agent lap$RUNS
wait_round lap$RUNS
echo "  idle agent daemon restarted over its replica, $IDLE s" >&2
set -- $(idle $AGENT "$IDLE")
IDLE_CPU=$1 IDLE_MED=$2 IDLE_MAX=$3
REPLICA=$(stat -c %s "$W/lap$RUNS/replica.db")
stop_all

jq -s --argjson hub "$HUBINFO" --argjson idle "$IDLE" \
    --argjson cpu "$IDLE_CPU" --argjson med "$IDLE_MED" --argjson max "$IDLE_MAX" \
    --argjson acpu "$AFTER_CPU" --argjson amed "$AFTER_MED" --argjson amax "$AFTER_MAX" \
    --argjson replica "$REPLICA" '
    def median: sort | if length % 2 == 1 then .[length / 2 | floor]
        else (.[length / 2 - 1] + .[length / 2]) / 2 end;
    {
      transport: "fieldsyncd hub and agent daemons, tls+tcp://127.0.0.1 (nng with mbedTLS), ECDSA P-256 certificates from deploy/pki.sh, client certificates required",
      customers: $hub.customers, column_versions: $hub.column_versions,
      runs: length,
      bootstrap_round_s_median: (map(.ms) | median / 1000),
      bootstrap_round_ms_runs: map(.ms),
      bootstrap_start_to_synced_s_median: (map(.start_to_synced_ms) | median / 1000),
      bytes_out: .[-1].bytes_out, bytes_in: .[-1].bytes_in,
      round_trips: .[-1].round_trips, pulled: .[-1].pulled,
      customers_received: .[-1].customers_received,
      agent_peak_rss_mib_median: (map(.vmhwm_kib) | median / 1024),
      replica_bytes: $replica,
      converged: true,
      idle_seconds: $idle,
      idle_cpu_percent: $cpu,
      idle_rss_mib_median: ($med / 1024),
      idle_rss_mib_max: ($max / 1024),
      idle_note: "the agent daemon restarted over its filled 2,000-household replica, its first round done, then left alone; CPU = (utime + stime) / wall time",
      idle_after_bootstrap: { seconds: ($idle / 2 | floor), cpu_percent: $acpu,
        rss_mib_median: ($amed / 1024), rss_mib_max: ($amax / 1024) }
    }' "$W/runs.jsonl" >"$OUT" || fail "jq"
rm -rf "$W"
