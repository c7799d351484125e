#!/bin/sh
# it_fault.sh — the real daemons over a bad network.
#
# A hub and three agents' laptops over TLS on 127.0.0.1 (tests/it_lib.sh,
# tests/it_torture_lib.sh); between them fsyproxy (client/tools), which at
# random drops chunks of bytes, cuts connections in the middle of a frame,
# sends chunks twice or out of order, holds connections still for 30 s,
# delays everything by up to 10 ms, and refuses connections. Over TLS each
# of these ends as a failed handshake, a record that does not
# authenticate, a closed connection or a round timeout, at any point of a
# round. Meanwhile every laptop records visits through the CLI (a tenth
# of a second between calls) and head office moves customers between the
# agents.
#
# Then the proxy relays faithfully and tt_check verifies: every visit the
# CLI reported saved is at head office exactly once (none doubled by a
# resend), every laptop's hash equals its hub scope, no hash chain broken,
# integrity_check ok everywhere. The proxy's counters are printed.
#
# FSY_TORTURE=1: 150 s of faults instead of 20. FSY_SEED: the random
# sequence (the proxy's too). Environment (ctest): FSY_BIN, FSY_SRC.
set -u

IT_NAME=it_fault
. "${FSY_SRC:?FSY_SRC must name the source directory}/tests/it_lib.sh"
. "$FSY_SRC/tests/it_torture_lib.sh"
it_init
PROXY="$FSY_BIN/fsyproxy"
[ -x "$PROXY" ] || it_fail "no $PROXY: build it first"
SECS=20
[ "${FSY_TORTURE:-0}" = 1 ] && SECS=150
it_say "seed $TT_RND, $SECS s of faults"

TT_HUB_URL=none
TT_ROUND_TIMEOUT=5 # a connection held still ends the round sooner
tt_setup

# proxy ARGS... — (re)starts fsyproxy on $PPORT in front of the hub
PPORT=""
proxy() {
	if [ -n "${PROXY_PID:-}" ]; then
		kill -TERM "$PROXY_PID" 2>/dev/null
		wait "$PROXY_PID" 2>/dev/null
	fi
	_p=${PPORT:-$((IT_PORT + 1000))}
	_t=0
	while :; do
		"$PROXY" --listen "$_p" --to "127.0.0.1:$IT_PORT" --seed "$TT_RND" \
		    --stats "$T/proxy.json" "$@" >>"$T/proxy.log" 2>&1 &
		PROXY_PID=$!
		IT_PIDS="$IT_PIDS $PROXY_PID"
		sleep 0.3
		it_alive "$PROXY_PID" && break
		[ -n "$PPORT" ] && it_fail "fsyproxy does not start: $(tail -n 2 "$T/proxy.log")"
		_t=$((_t + 1))
		[ $_t -lt 10 ] || it_fail "no port for fsyproxy"
		_p=$((_p + 13))
	done
	PPORT=$_p
}
proxy
TT_HUB_URL="tls+tcp://127.0.0.1:$PPORT"
for l in lap1 lap2 lap3; do
	tt_lap_start $l
done
it_sync "$SOCK_lap1" "$SOCK_lap2" "$SOCK_lap3"
it_say "hub, proxy on $PPORT, 3 laptops; first sync done"

tt_interval 10
# per chunk of bytes (a round has tens of them): about half the rounds fail
proxy --drop 2 --cut 4 --dup 2 --reorder 2 --stall 1 --refuse 50 --delay 10
TT_PAUSE=0.1 tt_writers_start
TT_MOVES=0
end=$(($(date +%s) + SECS))
while [ "$(date +%s)" -lt $end ]; do
	tt_move
	tt_rnd 2000
	tt_sleep $((R + 500))
done
tt_writers_stop
STATS=$(cat "$T/proxy.json")
proxy # faithful again
ok=$(grep -c "sync ok" "$T/lap1.log" "$T/lap2.log" "$T/lap3.log" | awk -F: '{s += $2} END {print s}')
failed=$(grep -c "sync failed\|sync refused" "$T/lap1.log" "$T/lap2.log" "$T/lap3.log" | awk -F: '{s += $2} END {print s}')
it_say "faults: $STATS"
it_say "rounds: $ok ok, $failed failed; $TT_MOVES customers moved"
tt_check
it_say "PASS"
