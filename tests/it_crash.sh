#!/bin/sh
# it_crash.sh — kill -9 the real daemons at random points while they work.
#
# A hub and three agents' laptops over TLS on 127.0.0.1 (tests/it_lib.sh),
# a data set from fieldsync-gen imported at head office, frames bounded to
# 7 changes (many PUSH/BATCH/SNAPSHOT frames per round). Every laptop has a
# writer recording visits through the CLI without pause, each with a
# unique text; head office moves customers between the three agents
# (revokes and snapshots) and imports further data sets. Each cycle kills
# one daemon — a laptop, or the hub, sometimes in the middle of an import —
# with SIGKILL after a random delay, and starts it again.
#
# At the end, with every daemon running and synced:
#   - every visit the CLI reported saved is at head office exactly once;
#     one whose CLI call was cut by the kill is there at most once; one
#     refused is not there;
#   - every laptop's hash equals head office's scope hash of its agent
#     (no customer moved away survives on a laptop, nothing diverged);
#   - no hash chain recorded broken; every import all or nothing;
#   - PRAGMA integrity_check is ok in every database (daemons stopped).
#
# FSY_TORTURE=1: 40 cycles instead of 8. FSY_SEED: the random sequence.
# Environment (ctest): FSY_BIN, FSY_SRC. Needs openssl and python3.
set -u

IT_NAME=it_crash
. "${FSY_SRC:?FSY_SRC must name the source directory}/tests/it_lib.sh"
it_init
GEN="$FSY_BIN/fieldsync-gen"
[ -x "$GEN" ] || it_fail "no $GEN: build it first"
CYCLES=8
[ "${FSY_TORTURE:-0}" = 1 ] && CYCLES=40
SEED=${FSY_SEED:-$$}
RND=$SEED
# rnd N — a number in 0..N-1 from a seeded LCG (sets R)
rnd() {
	RND=$(((RND * 1103515245 + 12345) % 2147483648))
	R=$((RND / 65536 % $1))
}
it_say "seed $SEED, $CYCLES cycles"

# ---- head office ---------------------------------------------------------------
"$GEN" --seed 11 --customers 60 --agents 12 --teams 2 --quiet --out "$T/fx" ||
	it_fail "fieldsync-gen"
for k in 1 2 3; do
	"$GEN" --seed $((20 + k)) --customers 10 --branch "X$k" --quiet \
	    --out "$T/more$k" || it_fail "fieldsync-gen X$k"
done
it_hub_start
H=$HUB_SOCK
printf '\n[limits]\nmax_changes = 7\n' >>"$T/hub.ini"
kill -HUP "$HUB_PID"
it_wait_log "$T/hub.log" "re-read" 10
it_ok "$H" import "$T/fx"
# three employed sales agents with customers
python3 -S -E - "$T/fx/agents.csv" >"$T/agents" <<'EOF' || it_fail "agents"
import csv, sys
rows = [a for a in csv.DictReader(open(sys.argv[1], encoding="utf-8"))
        if a["role"] == "agent" and a["status"] == "employed"]
for a in rows[:3]:
    print(a["agent_code"])
EOF
[ "$(wc -l <"$T/agents")" -eq 3 ] || it_fail "the data set has not 3 employed agents"
mkdir -p "$T/keys"
n=0
for code in $(cat "$T/agents"); do
	n=$((n + 1))
	it_ok "$H" device issue --agent "$code" --name "lap$n" --out "$T/keys/lap$n"
	eval "DEV_lap$n=$(it_get 'd["device_id"]')"
	eval "CODE_lap$n=$code"
done

# lap_start NAME — a laptop daemon with small frames (config kept for
# restarts); sets PID_<NAME>, SOCK_<NAME>
lap_start() {
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
hub = tls+tcp://127.0.0.1:$IT_PORT
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
round_timeout = 15

[limits]
max_changes = 7
EOF
	fi
	"$FSYD" --config "$T/$1.ini" >>"$T/$1.log" 2>&1 &
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
	it_fail "laptop $1 did not start again: $(tail -n 5 "$T/$1.log")"
}

hub_restart() {
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
ok = (a[0] == 0 and p[0] == 0) or (a[0] == a[1] and p[0] == p[1])
print("import %s: %d/%d agents, %d/%d policies" % (sys.argv[2], a[0], a[1],
      p[0], p[1]))
sys.exit(0 if ok else 1)
EOF
}

for l in lap1 lap2 lap3; do
	lap_start $l
done
it_sync "$SOCK_lap1" "$SOCK_lap2" "$SOCK_lap3"
it_say "hub and 3 laptops running, first sync done"
# interval_all SECONDS — every laptop's sync_interval, reloaded
interval_all() {
	for l in lap1 lap2 lap3; do
		sed -i "s/^sync_interval = .*/sync_interval = $1/" "$T/$l.ini"
		eval "kill -HUP \$PID_$l"
	done
}
interval_all 10

# ---- writers -------------------------------------------------------------------
# writer NAME — visit add in a loop, each with a unique text; appends
# "TEXT RC" per call to $T/NAME.calls
writer() {
	_i=0
	while [ ! -f "$T/stop" ]; do
		_i=$((_i + 1))
		eval "_sock=\$SOCK_$1"
		if [ $((_i % 20)) = 1 ] || [ ! -s "$T/$1.cards" ]; then
			"$FSY" --socket "$_sock" --json --timeout 5 customers \
			    >"$T/$1.cust" 2>/dev/null &&
				it_jget "$T/$1.cust" \
				    '"\n".join(c["card_no"] for c in d["customers"])' \
				    >"$T/$1.cards" 2>/dev/null
		fi
		_n=$(wc -l <"$T/$1.cards" 2>/dev/null || echo 0)
		[ "${_n:-0}" -gt 0 ] || { sleep 0.2; continue; }
		_card=$(sed -n "$((_i % _n + 1))p" "$T/$1.cards")
		"$FSY" --socket "$_sock" --timeout 5 visit add --customer "$_card" \
		    --channel visit --said "$1-$_i" >/dev/null 2>&1
		echo "$1-$_i $?" >>"$T/$1.calls"
	done
}
rm -f "$T/stop"
for l in lap1 lap2 lap3; do
	writer $l &
	eval "WPID_$l=$!"
done

# ---- kills ---------------------------------------------------------------------
KILLS_LAP=0 KILLS_HUB=0 KILLS_IMPORT=0 MOVES=0
c=0
while [ $c -lt $CYCLES ]; do
	c=$((c + 1))
	# head office moves a customer between the three agents
	rnd 3; from=$((R + 1)); rnd 2; to=$(( (from + R) % 3 + 1 ))
	eval "_code=\$CODE_lap$to"
	card=$(it_jget "$T/lap$from.cust" 'd["customers"][0]["card_no"] if d["customers"] else ""' 2>/dev/null)
	if [ -n "$card" ]; then
		"$FSY" --socket "$H" --timeout 10 assign "$card" "$_code" \
		    --reason "it_crash $c" >/dev/null 2>&1 && MOVES=$((MOVES + 1))
	fi
	rnd 1500; sleep "$((R / 1000)).$(printf '%03d' $((R % 1000)))"
	rnd 4
	if [ $R -eq 0 ]; then
		# the hub, in the middle of an import
		rnd 3; k=$((R + 1))
		"$FSY" --socket "$H" --timeout 60 import "$T/more$k" >/dev/null 2>&1 &
		ipid=$!
		rnd 400; sleep "0.$(printf '%03d' $R)"
		kill -KILL "$HUB_PID"
		wait "$HUB_PID" 2>/dev/null
		wait $ipid 2>/dev/null
		KILLS_IMPORT=$((KILLS_IMPORT + 1))
		import_whole "$T/more$k" || it_fail "import of more$k half done"
		hub_restart
	elif [ $R -eq 1 ]; then
		kill -KILL "$HUB_PID"
		wait "$HUB_PID" 2>/dev/null
		KILLS_HUB=$((KILLS_HUB + 1))
		rnd 1000; sleep "0.$(printf '%03d' $R)"
		hub_restart
	else
		rnd 3; l=lap$((R + 1))
		eval "_pid=\$PID_$l"
		kill -KILL "$_pid"
		wait "$_pid" 2>/dev/null
		KILLS_LAP=$((KILLS_LAP + 1))
		rnd 1000; sleep "0.$(printf '%03d' $R)"
		lap_start $l
	fi
done
touch "$T/stop"
for l in lap1 lap2 lap3; do
	eval "wait \$WPID_$l"
done
it_say "$c cycles: $KILLS_LAP laptops killed, $KILLS_HUB hub killed, $KILLS_IMPORT hub killed during an import; $MOVES customers moved"

# ---- settle and check ------------------------------------------------------------
# rounds only when asked from now on (it_sync waits for a quiet laptop)
interval_all 3600
for k in 1 2 3; do
	it_ok "$H" import "$T/more$k" # finishes what a kill cut (or changes nothing)
done
it_sync "$SOCK_lap1" "$SOCK_lap2" "$SOCK_lap3"
it_sync "$SOCK_lap1" "$SOCK_lap2" "$SOCK_lap3"
for l in lap1 lap2 lap3; do
	eval "lcode=\$CODE_$l; lsock=\$SOCK_$l"
	it_ok "$H" scope hash --agent "$lcode"
	want=$(it_get 'd["hash"]')
	it_ok "$lsock" hash
	it_check "d['pending'] == 0 and d['hash'] == '$want'" \
	    "$l: its hash differs from head office's scope hash of $lcode"
done
it_ok "$H" fleet
it_check 'd["chains_broken"] == 0' "a hash chain was recorded broken"
for l in lap1 lap2 lap3; do
	eval "it_stop \$PID_$l $l"
done
it_stop "$HUB_PID" hub

python3 -S -E - "$T" <<'EOF' || it_fail "the checks of the databases failed"
import sqlite3, sys, collections
T = sys.argv[1]
def db(p):
    c = sqlite3.connect("file:%s?mode=ro" % p, uri=True)
    r = c.execute("PRAGMA integrity_check").fetchone()[0]
    assert r == "ok", (p, r)
    return c
hub = db(T + "/hub/hub.db")
for l in ("lap1", "lap2", "lap3"):
    db(T + "/%s/replica.db" % l)
said = collections.Counter(r[0] for r in hub.execute(
    "SELECT customer_said FROM visit WHERE customer_said LIKE 'lap%'"))
calls = {"ok": 0, "cut": 0, "refused": 0}
bad = []
for l in ("lap1", "lap2", "lap3"):
    for line in open(T + "/%s.calls" % l):
        tag, rc = line.split()
        n = said.get(tag, 0)
        if rc == "0":
            calls["ok"] += 1
            if n != 1:
                bad.append("%s saved, %d times at the hub" % (tag, n))
        elif rc == "3":
            calls["cut"] += 1
            if n > 1:
                bad.append("%s (cut) %d times at the hub" % (tag, n))
        else:
            calls["refused"] += 1
            if n != 0:
                bad.append("%s refused (exit %s), %d times at the hub" % (tag, rc, n))
dup = [t for t, n in said.items() if n > 1]
assert not dup, "visits doubled: %s" % dup[:5]
assert not bad, bad[:10]
codes = collections.Counter(line.split()[1] for l in ("lap1", "lap2", "lap3")
                            for line in open(T + "/%s.calls" % l))
print("it_crash: visit calls: %d saved (each at head office once), %d cut by "
      "a kill or with the daemon down (exit 3; %d of them saved, once), %d "
      "refused (exit codes %s); integrity ok in 4 databases" % (
      calls["ok"], calls["cut"],
      sum(1 for l in ("lap1", "lap2", "lap3") for line in open(T + "/%s.calls" % l)
          if line.split()[1] == "3" and said.get(line.split()[0], 0) == 1),
      calls["refused"], dict(c for c in codes.items() if c[0] not in "03")))
EOF
it_say "PASS"
