#!/bin/sh
# it_full.sh — the real daemons when their disk fills up, and after.
#
# A hub and three laptops over TLS (tests/it_lib.sh, it_torture_lib.sh),
# writers recording visits on every laptop without pause. The running
# daemon of laptop lap1, then the hub, is given a file size limit just
# above the smaller of its database and WAL (prlimit RLIMIT_FSIZE, with
# SIGXFSZ ignored: a write past the limit fails as on a full disk —
# SQLITE_FULL, or an I/O error when it fails whole) for a while, then the
# limit is lifted:
#   - while lap1 is full, `visit add` there fails (exit 1) saying the disk
#     is full or an I/O error, `status` still answers, the daemon runs on;
#   - while the hub is full, the laptops' rounds fail ("disk full"), their
#     visits are kept, pending;
#   - once there is space, everything syncs: every visit the CLI reported
#     saved is at head office exactly once, a refused one never; hashes
#     equal; integrity_check ok everywhere (tt_check).
#
# FSY_TORTURE=1: three full episodes per daemon instead of one.
# Environment (ctest): FSY_BIN, FSY_SRC. Needs prlimit, openssl, python3.
set -u

IT_NAME=it_full
. "${FSY_SRC:?FSY_SRC must name the source directory}/tests/it_lib.sh"
. "$FSY_SRC/tests/it_torture_lib.sh"
it_init
command -v prlimit >/dev/null 2>&1 || it_fail "prlimit is not installed (util-linux)"
EPISODES=1
[ "${FSY_TORTURE:-0}" = 1 ] && EPISODES=3

# Daemons started through this keep SIGXFSZ ignored (a write past the
# file size limit then fails with EFBIG instead of killing the process)
# and log through a pipe (so that their log is not under the limit).
cat >"$T/noxfsz.sh" <<'EOF'
#!/bin/sh
trap '' XFSZ
exec "$@"
EOF
piped() { # NAME — a FIFO that appends to $T/NAME.log
	rm -f "$T/$1.fifo"
	mkfifo "$T/$1.fifo" || it_fail "mkfifo"
	cat "$T/$1.fifo" >>"$T/$1.log" &
	IT_PIDS="$IT_PIDS $!"
}

tt_setup
# the hub again, under the wrapper
it_stop "$HUB_PID" hub
piped hub
sh "$T/noxfsz.sh" "$FSYD" --config "$T/hub.ini" 2>"$T/hub.fifo" >&2 &
HUB_PID=$!
IT_PIDS="$IT_PIDS $HUB_PID"
it_wait_log "$T/hub.log" "running (pid $HUB_PID)" 20
for l in lap1 lap2 lap3; do
	piped $l
	TT_LAP_PREFIX="sh $T/noxfsz.sh" tt_lap_start $l
done
it_sync "$SOCK_lap1" "$SOCK_lap2" "$SOCK_lap3"
it_say "hub and 3 laptops running, first sync done"
tt_interval 10
tt_writers_start

# fill PID DIR NAME — limits PID's files to just above the size of the
# database or WAL in DIR, for 6 s, then lifts the limit; checks the daemon
# lives on
fill() {
	# below the smaller of the database and its WAL: whichever grows next,
	# or a WAL that is written from its start again, soon hits the limit
	_lim=$(python3 -S -E -c 'import os, sys; s = [os.path.getsize(os.path.join(sys.argv[1], f)) for f in os.listdir(sys.argv[1]) if f.endswith(".db") or f.endswith(".db-wal")]; print(min([n for n in s if n > 0] or [0]) + 8192)' "$2")
	prlimit --pid "$1" --fsize=$_lim:unlimited || it_fail "prlimit $3"
	FULL_AT=$(date +%s)
	sleep 6
	it_alive "$1" || it_fail "$3 died while its disk was full: $(tail -n 5 "$T/$3.log")"
	prlimit --pid "$1" --fsize=unlimited:unlimited || it_fail "prlimit $3 (lift)"
}

e=0
while [ $e -lt $EPISODES ]; do
	e=$((e + 1))
	before=$(wc -l <"$T/lap1.calls")
	fill "$PID_lap1" "$T/lap1" lap1
	it_ok "$SOCK_lap1" status
	after=$(wc -l <"$T/lap1.calls")
	it_say "episode $e: lap1 full, $((after - before)) calls on it meanwhile"
	sleep 3
	fill "$HUB_PID" "$T/hub" hub
	it_ok "$H" summary
	sleep 3
done
tt_writers_stop

# what the full disks said
grep -h . "$T"/lap1.werr.1 2>/dev/null | head -n 1 >"$T/said"
refused1=$(awk '$2 == 1' "$T/lap1.calls" | wc -l)
[ "$refused1" -gt 0 ] || it_fail "no visit refused on lap1 while its disk was full"
grep -Eq "disk is full|disk I/O error" "$T/said" ||
	it_fail "lap1's full disk was not reported clearly: $(cat "$T/said")"
# the hub's full disk: EFULL, or EIO when a write fails whole (EFBIG)
HUBSAID="hub: disk full\|hub: input/output error\|hub: hub store error"
grep -q "$HUBSAID" "$T/lap2.log" "$T/lap3.log" ||
	it_fail "no laptop reported head office's full disk"
grep -q "failed: .*\(disk is full\|disk I/O error\)" "$T/hub.log" ||
	it_fail "the hub did not log its full disk"
it_say "lap1 refused $refused1 visits: $(cat "$T/said")"
it_say "a laptop said: $(grep -h "$HUBSAID" "$T/lap2.log" "$T/lap3.log" | head -n 1 | sed 's/^[^ ]* [^ ]* //')"
it_say "the hub said: $(grep -h "failed: .*\(disk is full\|disk I/O error\)" "$T/hub.log" | head -n 1 | sed 's/^[^ ]* [^ ]* //')"
tt_check
it_say "PASS"
