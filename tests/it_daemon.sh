#!/bin/sh
# it_daemon.sh — fieldsyncd end to end: a hub and agent daemons over TLS on
# 127.0.0.1 with certificates from deploy/pki.sh, in a temporary directory.
#
#   - an issued device syncs (handshake, push, pull) and its replica learns
#     whose laptop it is; the hub records the device's pull;
#   - a revoked device and an unknown device are refused, with a log line
#     on both sides; a device whose certificate is in the CRL fails the TLS
#     handshake;
#   - the control socket is mode 0600; a second daemon on the same database
#     is refused; bad configurations exit 2 naming file:line; SIGHUP
#     reloads; SIGTERM stops every daemon with exit code 0.
#
# Environment (set by ctest): FSY_BIN (build directory, holds fieldsyncd),
# FSY_SRC (source directory). Needs openssl and sqlite3. Every wait is
# bounded; every daemon started is killed on exit.
set -u

FSY_BIN=${FSY_BIN:?FSY_BIN must name the build directory}
FSY_SRC=${FSY_SRC:?FSY_SRC must name the source directory}
D="$FSY_BIN/fieldsyncd"
PKI="$FSY_SRC/deploy/pki.sh"
PIDS=""
T=$(mktemp -d "${TMPDIR:-/tmp}/fsy-it-daemon.XXXXXX") || exit 1

say() { echo "it_daemon: $*"; }

cleanup() {
	for p in $PIDS; do
		kill -TERM "$p" 2>/dev/null
	done
	sleep 0.3
	for p in $PIDS; do
		kill -KILL "$p" 2>/dev/null
	done
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

fail() {
	say "FAIL: $*"
	for f in "$T"/*.log; do
		[ -f "$f" ] || continue
		echo "---- $f (last 30 lines)"
		tail -n 30 "$f"
	done
	exit 1
}

for tool in openssl sqlite3; do
	command -v $tool >/dev/null 2>&1 ||
		fail "$tool is not installed (deploy/install-deps.sh)"
done
[ -x "$D" ] || fail "no fieldsyncd in $FSY_BIN"

# wait_log FILE PATTERN SECONDS — until grep finds PATTERN in FILE
wait_log() {
	i=0
	while [ $i -lt $(($3 * 10)) ]; do
		grep -q -- "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
		i=$((i + 1))
	done
	fail "no '$2' in $1 within $3 s"
}

# stop PID NAME — SIGTERM, wait (bounded), expect exit code 0
stop() {
	kill -TERM "$1" 2>/dev/null || fail "$2 (pid $1) is not running"
	i=0
	while kill -0 "$1" 2>/dev/null && [ $i -lt 150 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	kill -0 "$1" 2>/dev/null && fail "$2 did not stop within 15 s of SIGTERM"
	wait "$1"
	rc=$?
	[ $rc -eq 0 ] || fail "$2 exited with $rc after SIGTERM, want 0"
	say "$2 stopped, exit code 0"
}

uuid() {
	if [ -r /proc/sys/kernel/random/uuid ]; then
		cat /proc/sys/kernel/random/uuid
	else
		openssl rand -hex 16 | sed 's/^\(........\)\(....\)\(....\)\(....\)/\1-\2-\3-\4-/'
	fi
}

hex32() { tail -c 32 "$1" | od -An -tx1 | tr -d ' \n'; }

# newkey NAME — Ed25519 key: NAME.key (128 hex, mode 0600), NAME.pub (hex)
newkey() {
	openssl genpkey -algorithm ed25519 -outform DER -out "$T/$1.der" 2>/dev/null ||
		fail "openssl cannot make an Ed25519 key"
	openssl pkey -inform DER -in "$T/$1.der" -pubout -outform DER \
	    -out "$T/$1.pub.der" 2>/dev/null || fail "openssl pkey"
	(umask 077 && echo "$(hex32 "$T/$1.der")$(hex32 "$T/$1.pub.der")" >"$T/$1.key")
	hex32 "$T/$1.pub.der" >"$T/$1.pub"
}

# ---- certificates and keys --------------------------------------------------
"$PKI" init "$T/pki" localhost >/dev/null || fail "pki.sh init"
DEV_OK=$(uuid)
DEV_REV=$(uuid)
DEV_UNK=$(uuid)
DEV_CRL=$(uuid)
for dev in $DEV_OK $DEV_REV $DEV_UNK $DEV_CRL; do
	"$PKI" device "$T/pki" "$dev" >/dev/null || fail "pki.sh device $dev"
done
"$PKI" revoke "$T/pki" "$DEV_CRL" >/dev/null || fail "pki.sh revoke"
for k in ok rev unk crl; do
	newkey $k
done

# ---- the hub ----------------------------------------------------------------
mkdir -p "$T/hub"
PORT=$((20000 + $$ % 20000))
start_hub() {
	cat >"$T/hub.ini" <<EOF
# written by it_daemon.sh
[daemon]
role = hub
db = hub/hub.db
log_level = debug

[hub]
listen = tls+tcp://127.0.0.1:$PORT
cert = pki/hub.crt
key = pki/hub.key
ca = pki/ca.crt
crl = pki/crl.pem
contexts = 4
EOF
	"$D" --config "$T/hub.ini" >"$T/hub.log" 2>&1 &
	HUB=$!
	PIDS="$PIDS $HUB"
}
tries=0
while :; do
	start_hub
	i=0
	while [ $i -lt 200 ]; do
		grep -q "running (pid" "$T/hub.log" 2>/dev/null && break
		kill -0 $HUB 2>/dev/null || break
		sleep 0.1
		i=$((i + 1))
	done
	grep -q "running (pid" "$T/hub.log" && break
	wait $HUB 2>/dev/null
	tries=$((tries + 1))
	grep -q "cannot listen" "$T/hub.log" && [ $tries -lt 10 ] ||
		fail "the hub did not start"
	PORT=$((PORT + 97))
done
say "hub running on port $PORT"

mode=$(stat -c %a "$T/hub/fieldsyncd.sock") || fail "no control socket"
[ "$mode" = 600 ] || fail "control socket mode $mode, want 600"

# The roster and the devices, as `device issue` would leave them.
B=$(uuid)
TM=$(uuid)
AG=$(uuid)
sqlite3 "$T/hub/hub.db" >/dev/null <<EOF || fail "cannot write the roster"
.timeout 5000
INSERT INTO branch(id, code, name) VALUES ('$B', 'BJ01', 'Beijing');
INSERT INTO team(id, branch_id, code, name) VALUES ('$TM', '$B', 'T01', 'Team 1');
INSERT INTO agent(id, code, name, team_id) VALUES ('$AG', 'A0001', 'Wang Fang', '$TM');
INSERT INTO device(id, agent_id, name, pubkey, issued_at) VALUES
  ('$DEV_OK', '$AG', 'ok', '$(cat "$T/ok.pub")', '2024-01-01T00:00:00Z'),
  ('$DEV_REV', '$AG', 'rev', '$(cat "$T/rev.pub")', '2024-01-01T00:00:00Z'),
  ('$DEV_CRL', '$AG', 'crl', '$(cat "$T/crl.pub")', '2024-01-01T00:00:00Z');
INSERT INTO device_state(device_id) VALUES ('$DEV_OK'), ('$DEV_REV'), ('$DEV_CRL');
UPDATE device SET status = 'revoked', revoked_at = '2024-02-01T00:00:00Z',
  revoke_reason = 'laptop stolen' WHERE id = '$DEV_REV';
EOF

# ---- agents -------------------------------------------------------------------
# agent_ini NAME DEVICE KEY
agent_ini() {
	mkdir -p "$T/$1"
	cat >"$T/$1.ini" <<EOF
[daemon]
role = agent
db = $1/replica.db
log_level = debug

[agent]
hub = tls+tcp://127.0.0.1:$PORT
server_name = localhost
ca = pki/ca.crt
cert = pki/devices/$2.crt
key = pki/devices/$2.key
device_id = $2
device_key = $3.key
sync_interval = 10
backoff_min = 1
backoff_max = 2
round_timeout = 20
EOF
	"$D" --config "$T/$1.ini" --check-config >/dev/null 2>"$T/$1.check" ||
		fail "check-config $1: $(cat "$T/$1.check")"
}

agent_ini a_ok "$DEV_OK" ok
"$D" --config "$T/a_ok.ini" >"$T/a_ok.log" 2>&1 &
A_OK=$!
PIDS="$PIDS $A_OK"
wait_log "$T/a_ok.log" "sync ok in" 30
got=$(sqlite3 "$T/a_ok/replica.db" "SELECT value FROM meta WHERE key = 'agent_id'")
[ "$got" = "$AG" ] || fail "replica meta agent_id '$got', want $AG"
got=$(sqlite3 "$T/a_ok/replica.db" "SELECT value FROM meta WHERE key = 'site'")
[ "$got" = "$DEV_OK" ] || fail "replica site '$got', want $DEV_OK"
got=$(sqlite3 "$T/hub/hub.db" "SELECT count(*) FROM device_state WHERE device_id = '$DEV_OK' AND last_pull_at IS NOT NULL AND last_hello_at IS NOT NULL")
[ "$got" = 1 ] || fail "the hub did not record the device's sync"
wait_log "$T/hub.log" "device $DEV_OK (agent $AG) authenticated from 127.0.0.1" 5
mode=$(stat -c %a "$T/a_ok/fieldsyncd.sock") || fail "no agent control socket"
[ "$mode" = 600 ] || fail "agent control socket mode $mode, want 600"
say "issued device synced"

agent_ini a_rev "$DEV_REV" rev
"$D" --config "$T/a_rev.ini" >"$T/a_rev.log" 2>&1 &
A_REV=$!
PIDS="$PIDS $A_REV"
wait_log "$T/a_rev.log" "sync refused: hub: device $DEV_REV refused: device revoked" 30
wait_log "$T/hub.log" "device $DEV_REV refused: device revoked" 5
say "revoked device refused"

agent_ini a_unk "$DEV_UNK" unk
"$D" --config "$T/a_unk.ini" >"$T/a_unk.log" 2>&1 &
A_UNK=$!
PIDS="$PIDS $A_UNK"
wait_log "$T/a_unk.log" "sync refused: hub: device $DEV_UNK refused: unknown device" 30
wait_log "$T/hub.log" "device $DEV_UNK refused: unknown device" 5
say "unknown device refused"

agent_ini a_crl "$DEV_CRL" crl
"$D" --config "$T/a_crl.ini" >"$T/a_crl.log" 2>&1 &
A_CRL=$!
PIDS="$PIDS $A_CRL"
wait_log "$T/a_crl.log" "sync refused: TLS handshake with" 30
grep -q "device $DEV_CRL" "$T/hub.log" && fail "a device in the CRL reached the sync engine"
say "certificate in the CRL refused at the TLS handshake"

# ---- refusals at start --------------------------------------------------------
"$D" --config "$T/hub.ini" >"$T/hub2.log" 2>&1
rc=$?
[ $rc -eq 1 ] || fail "a second hub on the same database exited $rc, want 1"
grep -q "another fieldsyncd (pid $HUB) is running on $T/hub/hub.db" "$T/hub2.log" ||
	fail "no clear lock message"

printf '[daemon]\nrole = hub\n[hub]\nlisten = tls+tcp://127.0.0.1:1\nconetxts = 4\n' >"$T/bad.ini"
"$D" --config "$T/bad.ini" >"$T/bad.out" 2>&1
rc=$?
[ $rc -eq 2 ] || fail "a bad config exited $rc, want 2"
grep -q "bad.ini:5: unknown key \[hub\] conetxts" "$T/bad.out" ||
	fail "bad config message: $(cat "$T/bad.out")"
printf '[daemon]\nrole = hub\ndb = x.db\n[hub]\nlisten = tcp://127.0.0.1:1\n' >"$T/plain.ini"
"$D" --config "$T/plain.ini" --check-config >"$T/plain.out" 2>&1
rc=$?
[ $rc -eq 2 ] || fail "tcp:// without insecure exited $rc, want 2"
grep -q "plain.ini:5: \[hub\] listen = tcp://127.0.0.1:1: plain tcp:// is refused" "$T/plain.out" ||
	fail "tcp:// message: $(cat "$T/plain.out")"
say "lock and bad configurations refused"

# ---- reload, stop -------------------------------------------------------------
sed -i 's/^log_level = debug/log_level = info/' "$T/hub.ini"
kill -HUP $HUB
wait_log "$T/hub.log" "reload: configuration .*hub.ini re-read (log level info)" 10
say "hub reloaded"

stop $A_OK "agent (issued)"

# A stop that hangs (as a close in a library might) ends within the grace
# period anyway, exit code 0, saying where it was stuck; the replica opens.
FSY_TEST_STOP_HANG=1 "$D" --config "$T/a_ok.ini" >"$T/a_hang.log" 2>&1 &
A_HANG=$!
PIDS="$PIDS $A_HANG"
wait_log "$T/a_hang.log" "running (pid $A_HANG)" 10
stop $A_HANG "agent (stop hangs)"
grep -q "stop: still hanging as FSY_TEST_STOP_HANG asks after 10 s; the process ends now" \
    "$T/a_hang.log" || fail "no line naming the stuck stop"
got=$(sqlite3 "$T/a_ok/replica.db" "PRAGMA integrity_check") ||
	fail "the replica does not open after a forced stop"
[ "$got" = ok ] || fail "integrity_check after a forced stop: $got"
# the lock went with the process: the next start takes it and syncs
"$D" --config "$T/a_ok.ini" >"$T/a_again.log" 2>&1 &
A_OK=$!
PIDS="$PIDS $A_OK"
wait_log "$T/a_again.log" "sync ok in" 30
stop $A_OK "agent (after a forced stop)"
say "a hung stop ended by its deadline; the next start syncs"

stop $A_REV "agent (revoked)"
stop $A_UNK "agent (unknown)"
stop $A_CRL "agent (CRL)"
stop $HUB "hub"
PIDS=""
say "PASS"
