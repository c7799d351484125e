#!/bin/sh
# it_crash.sh — kill -9 the real daemons at random points while they work.
#
# A hub and three agents' laptops over TLS on 127.0.0.1 (tests/it_lib.sh,
# tests/it_torture_lib.sh), a data set imported at head office, frames of
# at most 7 changes (many PUSH / BATCH / SNAPSHOT frames per round). Every
# laptop has a writer recording visits through the CLI without pause, each
# with a unique text, and syncs a second after each; head office moves a
# customer between the agents every cycle (revokes and snapshots). Each
# cycle kills one daemon with SIGKILL after a random delay — a laptop, the
# hub, or the hub in the middle of an import of a further data set — and
# starts it again.
#
# Then, with every daemon up (tt_check): every visit the CLI reported
# saved is at head office exactly once, a call cut by a kill at most once,
# a refused one never; every laptop's hash equals head office's scope hash
# of its agent (no customer moved away survives on a laptop); no hash
# chain broken; every import all or nothing (checked after each kill that
# cut one); PRAGMA integrity_check ok in every database.
#
# FSY_TORTURE=1: 40 cycles instead of 8. FSY_SEED: the random sequence.
# Environment (ctest): FSY_BIN, FSY_SRC. Needs openssl and python3.
set -u

IT_NAME=it_crash
. "${FSY_SRC:?FSY_SRC must name the source directory}/tests/it_lib.sh"
. "$FSY_SRC/tests/it_torture_lib.sh"
it_init
CYCLES=8
[ "${FSY_TORTURE:-0}" = 1 ] && CYCLES=40
it_say "seed $TT_RND, $CYCLES cycles"

tt_setup
for k in 1 2 3; do
	"$GEN" --seed $((20 + k)) --customers 10 --branch "X$k" --quiet \
	    --out "$T/more$k" || it_fail "fieldsync-gen X$k"
done

# import_whole DIR — the hub (stopped) holds all of DIR's agents and
# policies or none of them
import_whole() {
	python3 -S -E - "$T/hub/hub.db" "$1" <<'EOF'
import csv, sqlite3, sys
c = sqlite3.connect("file:%s?mode=ro" % sys.argv[1], uri=True)
def part(name, key, table, col):
    keys = [r[key] for r in csv.DictReader(open(sys.argv[2] + "/" + name,
                                                encoding="utf-8"))]
    have = sum(c.execute("SELECT count(*) FROM %s WHERE %s = ?" % (table, col),
                         (k,)).fetchone()[0] for k in keys)
    return have, len(keys)
a = part("agents.csv", "agent_code", "agent", "code")
p = part("policies.csv", "policy_no", "policy", "policy_no")
sys.exit(0 if (a[0] == 0 and p[0] == 0) or (a == (a[1], a[1]) and p == (p[1], p[1])) else 1)
EOF
}

for l in lap1 lap2 lap3; do
	tt_lap_start $l
done
it_sync "$SOCK_lap1" "$SOCK_lap2" "$SOCK_lap3"
it_say "hub and 3 laptops running, first sync done"
tt_interval 10
tt_writers_start

KILLS_LAP=0 KILLS_HUB=0 KILLS_IMPORT=0 TT_MOVES=0
c=0
while [ $c -lt $CYCLES ]; do
	c=$((c + 1))
	tt_move
	tt_rnd 1500
	tt_sleep $R
	tt_rnd 4
	if [ $R -eq 0 ]; then
		tt_rnd 3
		k=$((R + 1))
		"$FSY" --socket "$H" --timeout 60 import "$T/more$k" >/dev/null 2>&1 &
		ipid=$!
		tt_rnd 400
		tt_sleep $R
		kill -KILL "$HUB_PID"
		wait "$HUB_PID" 2>/dev/null
		wait $ipid 2>/dev/null
		KILLS_IMPORT=$((KILLS_IMPORT + 1))
		import_whole "$T/more$k" || it_fail "the import of more$k is half done"
		tt_hub_restart
	elif [ $R -eq 1 ]; then
		kill -KILL "$HUB_PID"
		wait "$HUB_PID" 2>/dev/null
		KILLS_HUB=$((KILLS_HUB + 1))
		tt_rnd 1000
		tt_sleep $R
		tt_hub_restart
	else
		tt_rnd 3
		l=lap$((R + 1))
		eval "pid=\$PID_$l"
		kill -KILL "$pid"
		wait "$pid" 2>/dev/null
		KILLS_LAP=$((KILLS_LAP + 1))
		tt_rnd 1000
		tt_sleep $R
		tt_lap_start $l
	fi
done
tt_writers_stop
it_say "$c cycles: $KILLS_LAP laptops killed, $KILLS_HUB hub killed, $KILLS_IMPORT hub killed during an import; $TT_MOVES customers moved"
for k in 1 2 3; do
	it_ok "$H" import "$T/more$k" # what a kill cut, whole (or nothing new)
done
tt_check
it_say "PASS"
