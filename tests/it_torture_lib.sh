#!/bin/sh
# it_torture_lib.sh — what the daemon torture tests (it_crash.sh,
# it_fault.sh, it_full.sh) share, on top of tests/it_lib.sh:
#
#   tt_setup           a data set imported at head office, three employed
#                      agents with a device each ($T/agents, DEV_lapN,
#                      CODE_lapN), frames bounded to 7 changes
#   tt_lap_start NAME  starts (or restarts) laptop NAME against $TT_HUB_URL
#                      (logging to the FIFO $T/NAME.fifo when there is one,
#                      else to $T/NAME.log; $TT_LAP_PREFIX runs before it)
#   tt_interval SECS   every laptop's sync_interval, reloaded (SIGHUP)
#   tt_writers_start   a writer per laptop: `visit add` without pause (or
#                      $TT_PAUSE seconds between calls), each with a unique
#                      text, "TEXT EXIT" per call in $T/NAME.calls
#   tt_writers_stop
#   tt_move            head office moves a customer between the agents
#   tt_check           with every daemon running: sync, every laptop's hash
#                      equal to its hub scope, no broken chain; daemons
#                      stopped; every saved visit at head office exactly
#                      once, a cut call's at most once, a refused one's
#                      never; integrity_check ok everywhere
#
# Run by itself (ctest runs every tests/it_*.sh), it checks its own visit
# accounting against a made-up database: a doubled, a lost and an
# invented visit must each be caught.
: "${TT_RND:=${FSY_SEED:-$$}}"

# tt_rnd N — a number in 0..N-1 from a seeded LCG, in R
tt_rnd() {
	TT_RND=$(((TT_RND * 1103515245 + 12345) % 2147483648))
	R=$((TT_RND / 65536 % $1))
}

# tt_sleep MS — sleeps MS milliseconds
tt_sleep() { sleep "$(($1 / 1000)).$(printf '%03d' $(($1 % 1000)))"; }

tt_setup() {
	GEN="$FSY_BIN/fieldsync-gen"
	[ -x "$GEN" ] || it_fail "no $GEN: build it first"
	"$GEN" --seed 11 --customers 60 --agents 12 --teams 2 --quiet \
	    --out "$T/fx" || it_fail "fieldsync-gen"
	it_hub_start
	H=$HUB_SOCK
	TT_HUB_URL=${TT_HUB_URL:-tls+tcp://127.0.0.1:$IT_PORT}
	printf '\n[limits]\nmax_changes = 7\n' >>"$T/hub.ini"
	kill -HUP "$HUB_PID"
	it_wait_log "$T/hub.log" "re-read" 10
	it_ok "$H" import "$T/fx"
	python3 -S -E - "$T/fx/agents.csv" >"$T/agents" <<'EOF' || it_fail "agents"
import csv, sys
rows = [a for a in csv.DictReader(open(sys.argv[1], encoding="utf-8"))
        if a["role"] == "agent" and a["status"] == "employed"]
for a in rows[:3]:
    print(a["agent_code"])
EOF
	[ "$(wc -l <"$T/agents")" -eq 3 ] ||
		it_fail "the data set has not 3 employed agents"
	mkdir -p "$T/keys"
	_n=0
	for _code in $(cat "$T/agents"); do
		_n=$((_n + 1))
		it_ok "$H" device issue --agent "$_code" --name "lap$_n" \
		    --out "$T/keys/lap$_n"
		eval "DEV_lap$_n=$(it_get 'd["device_id"]')"
		eval "CODE_lap$_n=$_code"
	done
}

tt_lap_start() {
	if [ ! -f "$T/$1.ini" ]; then
		eval "_dev=\$DEV_$1"
		it_cert "$_dev"
		mkdir -p "$T/$1"
		cat >"$T/$1.ini" <<EOF
[daemon]
role = agent
db = $1/replica.db
log_level = info

[agent]
hub = $TT_HUB_URL
server_name = localhost
ca = pki/ca.crt
cert = pki/devices/$_dev.crt
key = pki/devices/$_dev.key
device_id = $_dev
device_key = keys/$1/device.key
sync_interval = 3600
sync_soon = 1
backoff_min = 1
backoff_max = 2
round_timeout = ${TT_ROUND_TIMEOUT:-15}

[limits]
max_changes = 7
EOF
	fi
	rm -f "$T/$1/fieldsyncd.sock"
	if [ -p "$T/$1.fifo" ]; then # it_full.sh: the log through a pipe
		${TT_LAP_PREFIX:-} "$FSYD" --config "$T/$1.ini" >"$T/$1.fifo" 2>&1 &
	else
		${TT_LAP_PREFIX:-} "$FSYD" --config "$T/$1.ini" >>"$T/$1.log" 2>&1 &
	fi
	_pid=$!
	IT_PIDS="$IT_PIDS $_pid"
	eval "PID_$1=$_pid"
	eval "SOCK_$1=ipc://$T/$1/fieldsyncd.sock"
	_i=0
	while [ $_i -lt 100 ]; do
		[ -S "$T/$1/fieldsyncd.sock" ] && it_alive $_pid && return 0
		it_alive $_pid || break
		sleep 0.1
		_i=$((_i + 1))
	done
	it_fail "laptop $1 did not start: $(tail -n 5 "$T/$1.log")"
}

tt_hub_restart() {
	rm -f "$T/hub/fieldsyncd.sock"
	"$FSYD" --config "$T/hub.ini" >>"$T/hub.log" 2>&1 &
	HUB_PID=$!
	IT_PIDS="$IT_PIDS $HUB_PID"
	_i=0
	while [ $_i -lt 100 ]; do
		[ -S "$T/hub/fieldsyncd.sock" ] && it_alive $HUB_PID && return 0
		it_alive $HUB_PID || break
		sleep 0.1
		_i=$((_i + 1))
	done
	it_fail "the hub did not start again: $(tail -n 5 "$T/hub.log")"
}

tt_interval() {
	for _l in lap1 lap2 lap3; do
		sed -i "s/^sync_interval = .*/sync_interval = $1/" "$T/$_l.ini"
		eval "kill -HUP \$PID_$_l"
	done
}

# tt_writer NAME — the loop of one writer (in the background)
tt_writer() {
	_i=0
	while [ -d "$T" ] && [ ! -f "$T/stop" ]; do
		_i=$((_i + 1))
		eval "_ws=\$SOCK_$1"
		if [ $((_i % 20)) = 1 ] || [ ! -s "$T/$1.cards" ]; then
			"$FSY" --socket "$_ws" --json --timeout 5 customers \
			    >"$T/$1.cust.tmp" 2>/dev/null &&
				mv "$T/$1.cust.tmp" "$T/$1.cust" &&
				it_jget "$T/$1.cust" \
				    '"\n".join(c["card_no"] for c in d["customers"] if c["card_no"])' \
				    >"$T/$1.cards" 2>/dev/null
		fi
		_n=$(wc -l <"$T/$1.cards" 2>/dev/null || echo 0)
		[ "${_n:-0}" -gt 0 ] || { sleep 0.2; continue; }
		_card=$(sed -n "$((_i % _n + 1))p" "$T/$1.cards")
		[ -n "$_card" ] || { sleep 0.2; continue; } # no customer left
		"$FSY" --socket "$_ws" --timeout 5 visit add --customer "$_card" \
		    --channel visit --said "$1-$_i" >/dev/null 2>"$T/$1.werr"
		_rc=$?
		echo "$1-$_i $_rc" >>"$T/$1.calls"
		[ -n "${TT_PAUSE:-}" ] && sleep "$TT_PAUSE"
		[ $_rc -ne 0 ] && [ $_rc -ne 3 ] && [ $_rc -ne 4 ] &&
			echo "card '$_card' of $_n: $(cat "$T/$1.werr")" >>"$T/$1.werr.$_rc"
	done
}

tt_writers_start() {
	rm -f "$T/stop"
	for _l in lap1 lap2 lap3; do
		tt_writer $_l &
		eval "TT_W_$_l=$!"
		IT_PIDS="$IT_PIDS $!" # stopped by it_cleanup if the test fails
	done
}

tt_writers_stop() {
	touch "$T/stop"
	for _l in lap1 lap2 lap3; do
		eval "wait \$TT_W_$_l"
	done
}

# tt_move — a customer of one agent to another; counts TT_MOVES
tt_move() {
	tt_rnd 3
	_from=$((R + 1))
	tt_rnd 2
	_to=$(((_from + R) % 3 + 1))
	eval "_tc=\$CODE_lap$_to"
	_card=$(it_jget "$T/lap$_from.cust" 'd["customers"][0]["card_no"] if d["customers"] else ""' 2>/dev/null)
	[ -n "$_card" ] || return 0
	"$FSY" --socket "$H" --timeout 10 assign "$_card" "$_tc" \
	    --reason "torture" >/dev/null 2>&1 && TT_MOVES=$((TT_MOVES + 1))
	return 0
}

# tt_accounting DIR HUBDB — the visit accounting of the calls files in DIR
# against the hub database (prints the figures; exit 1 on a violation)
tt_accounting() {
	python3 -S -E - "$1" "$2" <<'EOF'
import collections, glob, os, sqlite3, sys
d, hubdb = sys.argv[1], sys.argv[2]
hub = sqlite3.connect("file:%s?mode=ro" % hubdb, uri=True)
said = collections.Counter(r[0] for r in hub.execute(
    "SELECT customer_said FROM visit WHERE customer_said LIKE 'lap%'"))
codes = collections.Counter()
bad, cut_saved, tags = [], 0, set()
for f in sorted(glob.glob(os.path.join(d, "lap*.calls"))):
    for line in open(f):
        tag, rc = line.split()
        tags.add(tag)
        codes[rc] += 1
        n = said.get(tag, 0)
        if rc == "0" and n != 1:
            bad.append("%s saved, %d times at head office" % (tag, n))
        elif rc == "3":
            if n > 1:
                bad.append("%s (cut) %d times at head office" % (tag, n))
            cut_saved += n
        elif rc not in ("0", "3") and n != 0:
            bad.append("%s refused (exit %s), %d times at head office" % (tag, rc, n))
bad += ["%s at head office %d times, never asked for" % (t, n)
        for t, n in said.items() if t not in tags]
if bad:
    print("\n".join(bad[:10]))
    sys.exit(1)
print("visit calls: %d saved (each at head office exactly once), %d cut or "
      "with the daemon away (exit 3; %d of them saved, once), %d refused "
      "(%s)" % (codes["0"], codes["3"], cut_saved,
      sum(n for c, n in codes.items() if c not in ("0", "3")),
      ", ".join("exit %s: %d" % c for c in sorted(codes.items())
                if c[0] not in ("0", "3")) or "none"))
EOF
}

tt_check() {
	tt_interval 3600
	# the backlog of a long run may take a while
	IT_WAIT=180 it_sync "$SOCK_lap1" "$SOCK_lap2" "$SOCK_lap3"
	it_sync "$SOCK_lap1" "$SOCK_lap2" "$SOCK_lap3"
	for _l in lap1 lap2 lap3; do
		eval "_lc=\$CODE_$_l; _ls=\$SOCK_$_l"
		it_ok "$H" scope hash --agent "$_lc"
		_want=$(it_get 'd["hash"]')
		it_ok "$_ls" hash
		it_check "d['pending'] == 0 and d['hash'] == '$_want'" \
		    "$_l: its hash differs from head office's scope hash of $_lc"
	done
	it_ok "$H" fleet
	it_check 'd["chains_broken"] == 0' "a hash chain was recorded broken"
	for _l in lap1 lap2 lap3; do
		eval "it_stop \$PID_$_l $_l"
	done
	it_stop "$HUB_PID" hub
	python3 -S -E - "$T" <<'EOF' || it_fail "integrity_check failed"
import sqlite3, sys
for p in ["hub/hub.db"] + ["lap%d/replica.db" % i for i in (1, 2, 3)]:
    c = sqlite3.connect("file:%s/%s?mode=ro" % (sys.argv[1], p), uri=True)
    r = c.execute("PRAGMA integrity_check").fetchone()[0]
    assert r == "ok", (p, r)
EOF
	TT_FIGURES=$(tt_accounting "$T" "$T/hub/hub.db") ||
		it_fail "visits lost, doubled or invented: $TT_FIGURES"
	it_say "$TT_FIGURES; integrity ok in 4 databases; every hash equal"
}

# ---- self-test ------------------------------------------------------------------
tt_selftest() {
	_d=$(mktemp -d "${TMPDIR:-/tmp}/fsy-it_torture_lib.XXXXXX") || exit 1
	trap 'rm -rf "$_d"' EXIT
	python3 -S -E - "$_d/hub.db" <<'EOF' || exit 1
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
c.execute("CREATE TABLE visit(id, customer_said)")
c.executemany("INSERT INTO visit VALUES (?, ?)",
              [(1, "lap1-1"), (2, "lap1-3"), (3, "lap2-1")])
c.commit()
EOF
	printf 'lap1-1 0\nlap1-2 4\nlap1-3 3\n' >"$_d/lap1.calls"
	printf 'lap2-1 0\nlap2-2 3\n' >"$_d/lap2.calls"
	tt_accounting "$_d" "$_d/hub.db" >/dev/null ||
		{ echo "it_torture_lib: FAIL: a right account refused"; exit 1; }
	printf 'lap2-3 0\n' >>"$_d/lap2.calls" # saved, not at head office
	tt_accounting "$_d" "$_d/hub.db" >/dev/null &&
		{ echo "it_torture_lib: FAIL: a lost visit passed"; exit 1; }
	printf 'lap2-1 0\nlap2-2 3\n' >"$_d/lap2.calls"
	python3 -S -E -c "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.execute(\"INSERT INTO visit VALUES (4, 'lap2-1')\"); c.commit()" "$_d/hub.db"
	tt_accounting "$_d" "$_d/hub.db" >/dev/null &&
		{ echo "it_torture_lib: FAIL: a doubled visit passed"; exit 1; }
	python3 -S -E -c "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.execute('DELETE FROM visit WHERE id = 4'); c.execute(\"INSERT INTO visit VALUES (5, 'lap1-2')\"); c.commit()" "$_d/hub.db"
	tt_accounting "$_d" "$_d/hub.db" >/dev/null &&
		{ echo "it_torture_lib: FAIL: a refused visit at head office passed"; exit 1; }
	python3 -S -E -c "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.execute(\"UPDATE visit SET customer_said = 'lap3-9' WHERE id = 5\"); c.commit()" "$_d/hub.db"
	tt_accounting "$_d" "$_d/hub.db" >/dev/null &&
		{ echo "it_torture_lib: FAIL: an invented visit passed"; exit 1; }
	echo "it_torture_lib: PASS (visit accounting)"
}

case "$0" in
*it_torture_lib.sh) tt_selftest ;;
esac
