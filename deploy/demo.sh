#!/bin/sh
# demo.sh BUILD_DIR — fieldsync's main job, end to end, on this machine.
#
# Head office generates a branch (3,000 customers, 8 agents in 2 sales teams
# and a service team), imports it into a hub daemon, and issues laptops to
# four agents and one team lead. The laptops fill their replicas over TLS on
# 127.0.0.1, go offline, record visits and edits; meanwhile head office
# re-imports a changed phone (a conflict) and disqualifies one agent (whose
# offline work is then refused and kept for review). The laptops reconnect;
# one agent departs and its customers move; the coverage report follows;
# last, every replica's content hash is compared with head office's view of
# its scope: `convergence: OK (N agents)`.
#
# Everything lives in ./demo-run (removed and made anew); every daemon is
# stopped at the end, and on any failure. Exit 0 when every step worked.
set -eu

BUILD=${1:-build}
SRC=$(cd "$(dirname "$0")/.." && pwd)
BIN=$(cd "$BUILD" && pwd)
W="$SRC/demo-run"
FS="$BIN/fieldsync"
D="$BIN/fieldsyncd"
PKI="$SRC/deploy/pki.sh"
export FSY_DATADIR="$SRC/schema"
PIDS=""
T0=$(date +%s)

say() { printf '%s\n' "$*"; }
step() { printf '\n\033[1m== %s\033[0m  (%ss)\n' "$*" "$(($(date +%s) - T0))"; }

stop_all() {
	for p in $PIDS; do kill -TERM "$p" 2>/dev/null || true; done
	for p in $PIDS; do
		i=0
		while kill -0 "$p" 2>/dev/null && [ $i -lt 100 ]; do
			sleep 0.1
			i=$((i + 1))
		done
		kill -KILL "$p" 2>/dev/null || true
	done
	PIDS=""
}
fail() {
	say "demo: FAILED: $*" >&2
	for f in "$W"/*.log; do
		[ -f "$f" ] || continue
		say "---- $f (last 15 lines)" >&2
		tail -n 15 "$f" >&2
	done
	exit 1
}
trap 'stop_all' EXIT
trap 'exit 1' INT TERM HUP

for f in "$FS" "$D" "$BIN/fieldsync-gen"; do
	[ -x "$f" ] || fail "$f is not built (make build)"
done
for t in openssl jq sqlite3; do
	command -v $t >/dev/null 2>&1 || fail "$t is missing (deploy/install-deps.sh)"
done

rm -rf "$W"
mkdir -p "$W"

HUBSOCK="ipc://$W/hub/fieldsyncd.sock"
hub() { "$FS" --socket "$HUBSOCK" "$@"; }
lap() { _l=$1; shift; "$FS" --socket "ipc://$W/$_l/fieldsyncd.sock" "$@"; }
jhub() { hub --json "$@"; }
jlap() { _j=$1; shift; lap "$_j" --json "$@"; }

# wait_socket DIR PID NAME: until the daemon's control socket answers.
wait_socket() {
	i=0
	while [ $i -lt 100 ]; do
		"$FS" --socket "ipc://$1/fieldsyncd.sock" ping >/dev/null 2>&1 && return 0
		kill -0 "$2" 2>/dev/null || fail "$3 exited at start"
		sleep 0.1
		i=$((i + 1))
	done
	fail "$3 did not answer within 10 s"
}

# ---- 1. head office -----------------------------------------------------------
step "Head office: certificates, a generated branch, the hub"
"$PKI" init "$W/pki" localhost >/dev/null || fail "pki.sh init"
"$BIN/fieldsync-gen" --seed 2026 --customers 3000 --agents 8 --teams 2 \
    --out "$W/data" || fail "fieldsync-gen"

PORT=$((24000 + $$ % 20000))
start_hub() {
	mkdir -p "$W/hub"
	cat >"$W/hub.ini" <<EOF
[daemon]
role = hub
db = hub/hub.db
log_level = info

[hub]
listen = tls+tcp://127.0.0.1:$PORT
cert = pki/hub.crt
key = pki/hub.key
ca = pki/ca.crt
EOF
	"$D" --config "$W/hub.ini" >"$W/hub.log" 2>&1 &
	HUB=$!
	PIDS="$PIDS $HUB"
}
tries=0
while :; do
	start_hub
	i=0
	while [ $i -lt 100 ] && kill -0 $HUB 2>/dev/null &&
	    ! grep -q "running (pid" "$W/hub.log" 2>/dev/null; do
		sleep 0.1
		i=$((i + 1))
	done
	grep -q "running (pid" "$W/hub.log" && break
	tries=$((tries + 1))
	[ $tries -lt 10 ] && grep -q "cannot listen" "$W/hub.log" ||
		fail "the hub did not start"
	PORT=$((PORT + 97))
done
wait_socket "$W/hub" $HUB hub
say "hub listening on tls+tcp://127.0.0.1:$PORT"

step "Head office imports the core system's export (owners, card numbers, tiers follow)"
jhub import "$W/data" >"$W/import.json" || fail "import"
jq -r '.files[] | "  \(.file): \(.read) rows read, \(.inserted) new"' "$W/import.json"
hub summary

# ---- 2. laptops -----------------------------------------------------------------
# Four agents with customers (two sales teams and the service team) and the
# first team's lead, whose laptop holds the team read-only.
AGENTS=$(sqlite3 -readonly "$W/hub/hub.db" "SELECT a.code FROM agent a WHERE \
    a.status = 'employed' AND a.role IN ('agent','service','renewal') AND \
    EXISTS (SELECT 1 FROM customer c WHERE c.owner_agent_id = a.id) \
    ORDER BY a.code LIMIT 4")
LEAD=$(sqlite3 -readonly "$W/hub/hub.db" "SELECT code FROM agent WHERE \
    role = 'lead' AND status = 'employed' ORDER BY code LIMIT 1")
AGENTS=$(echo $AGENTS)
LAPTOPS="$AGENTS $LEAD"
set -- $AGENTS
[ $# -eq 4 ] || fail "the branch has fewer than four agents with customers"
A_DEPART=$1 A_CONFLICT=$3 A_DISQ=$2 A_SERVICE=$4

step "Head office issues a laptop (Ed25519 device key + TLS certificate) to $LAPTOPS"
agent_ini() { # NAME HUBPORT
	dev=$(cat "$W/$1/device.id")
	cat >"$W/$1.ini" <<EOF
[daemon]
role = agent
db = $1/replica.db
log_level = info

[agent]
hub = tls+tcp://127.0.0.1:$2
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
for n in $LAPTOPS; do
	mkdir -p "$W/$n"
	jhub device issue --agent "$n" --name "laptop of $n" --out "$W/$n" >/dev/null ||
		fail "device issue $n"
	"$PKI" device "$W/pki" "$(cat "$W/$n/device.id")" >/dev/null || fail "pki.sh device"
	agent_ini "$n" "$PORT"
done
say "devices: $(jhub devices | jq -r '[.devices[] | "\(.agent_code)"] | join(", ")')"

start_laptops() {
	for n in $LAPTOPS; do
		"$D" --config "$W/$n.ini" >>"$W/$n.log" 2>&1 &
		eval "PID_$n=$!"
		PIDS="$PIDS $!"
	done
	for n in $LAPTOPS; do
		eval "p=\$PID_$n"
		wait_socket "$W/$n" "$p" "laptop $n"
	done
}
stop_laptops() {
	for n in $LAPTOPS; do
		eval "p=\$PID_$n"
		kill -TERM "$p" 2>/dev/null || fail "laptop $n is not running"
		wait "$p" || fail "laptop $n exited with $? on SIGTERM"
		PIDS=$(echo "$PIDS" | sed "s/ $p\b//")
	done
}

# converged NAME: the laptop's hash equals head office's for its agent.
converged() {
	_ha=$(jlap "$1" hash 2>/dev/null) || return 1
	[ "$(echo "$_ha" | jq -r .pending)" = 0 ] || return 1
	_hb=$(jhub scope hash --agent "$1" 2>/dev/null) || return 1
	[ "$(echo "$_ha" | jq -r .hash)" = "$(echo "$_hb" | jq -r .hash)" ]
}
# sync_until_converged: ask every laptop to sync until it holds exactly
# head office's view of its scope (bounded).
sync_until_converged() {
	for n in $LAPTOPS; do
		i=0
		until converged "$n"; do
			[ $i -lt 60 ] || fail "laptop $n did not converge within 30 s: $(jlap "$n" status | jq -c .sync)"
			lap "$n" sync >/dev/null 2>&1 || true
			sleep 0.5
			i=$((i + 1))
		done
	done
}
show_laptops() {
	printf '  %-12s %-6s %9s %8s %8s %7s\n' LAPTOP ROLE CUSTOMERS POLICIES VISITS PENDING
	for n in $LAPTOPS; do
		db="$W/$n/replica.db"
		c=$(sqlite3 -readonly "$db" "SELECT count(*) FROM customer" 2>/dev/null || echo "?")
		p=$(sqlite3 -readonly "$db" "SELECT count(*) FROM policy" 2>/dev/null || echo "?")
		v=$(sqlite3 -readonly "$db" "SELECT count(*) FROM visit" 2>/dev/null || echo "?")
		s=$(jlap "$n" status)
		printf '  %-12s %-6s %9s %8s %8s %7s\n' "$n" "$(echo "$s" | jq -r .role)" \
		    "$c" "$p" "$v" "$(echo "$s" | jq -r .pending)"
	done
}

step "Laptops start with empty replicas and fill them over TLS"
t=$(date +%s)
start_laptops
sync_until_converged
show_laptops
say "  filled in $(($(date +%s) - t)) s; a laptop's last round:"
jlap "$A_CONFLICT" status | jq -r '.sync.last_round | "    \(.customers_received) customers received, \(.pulled) values, \(.round_trips) frames out, \(.bytes_in) bytes in"'

# ---- 3. offline ---------------------------------------------------------------------
step "The laptops go offline (no route to head office) and work"
stop_laptops
for n in $LAPTOPS; do agent_ini "$n" 1; done # port 1: nothing listens
start_laptops
pick() { # NAME -> a customer card number on that laptop
	sqlite3 -readonly "$W/$1/replica.db" \
	    "SELECT card_no FROM customer WHERE deleted = 0 ORDER BY card_no LIMIT 1 OFFSET $2"
}
C1=$(pick "$A_DEPART" 0)
C2=$(pick "$A_CONFLICT" 0)
C3=$(pick "$A_DISQ" 0)
C4=$(pick "$A_SERVICE" 0)
lap "$A_DEPART" visit add --customer "$C1" --channel visit --topic birthday \
    --place "客户家中" --said "女儿明年考大学，想了解教育金" --next "下周带教育金方案" >/dev/null
lap "$A_DEPART" need add --customer "$C1" --kind education --note "女儿教育金，预算每年2万" >/dev/null
lap "$A_DEPART" edit "$C1" --rating A --need-tags education,health >/dev/null
lap "$A_CONFLICT" visit add --customer "$C2" --channel phone --topic renewal \
    --said "下月续期保费已准备好" >/dev/null
lap "$A_CONFLICT" edit "$C2" --phone 13911110000 >/dev/null
lap "$A_CONFLICT" family add --customer "$C2" --relation child --name "小宝" \
    --gender F --birth 2019-05-01 >/dev/null
lap "$A_DISQ" visit add --customer "$C3" --channel visit --topic general \
    --said "（投诉核实前的拜访记录）" >/dev/null
lap "$A_SERVICE" referral add --customer "$C4" --name "周晓梅" --phone 13655550000 \
    --relation 同事 >/dev/null
lap "$A_SERVICE" policy add --customer "$C4" --insurer 平安人寿 --product 平安福 \
    --type critical_illness --premium 8000 --pay annual --years 20 \
    --issued 2022-03-01 --sum 500000 >/dev/null
show_laptops
say "  $A_CONFLICT's view of $C2 while offline:"
lap "$A_CONFLICT" card "$C2" | sed -n '1,6p' | sed 's/^/    /'

step "Meanwhile head office: the core system changed $C2's phone; $A_DISQ is disqualified"
CNO=$(sqlite3 -readonly "$W/hub/hub.db" "SELECT id FROM customer WHERE card_no = '$C2'")
# the core system's export, one phone changed, imported again
mkdir -p "$W/data2"
OLDPHONE=$(sqlite3 -readonly "$W/hub/hub.db" "SELECT phone FROM customer WHERE id = '$CNO'")
awk -F, -v OFS=, -v p="$OLDPHONE" 'NR > 1 && $6 == p { $6 = "13800009999" } { print }' \
    "$W/data/customers.csv" >"$W/data2/customers.csv"
cmp -s "$W/data/customers.csv" "$W/data2/customers.csv" &&
	fail "cannot find $C2's phone in customers.csv"
jhub import "$W/data2" | jq -r '.files[] | select(.present) |
    "  re-import of \(.file): \(.updated) row changed, \(.unchanged) unchanged"' ||
	fail "re-import"
hub agent disqualify "$A_DISQ" --reason "投诉核实：虚假宣传" | sed 's/^/  /' | head -8

# ---- 4. reconnect --------------------------------------------------------------------
step "The laptops reconnect: push, merge, pull"
stop_laptops
for n in $LAPTOPS; do agent_ini "$n" "$PORT"; done
start_laptops
sync_until_converged
show_laptops
say "  $C2's phone: laptop $(sqlite3 -readonly "$W/$A_CONFLICT/replica.db" "SELECT phone FROM customer WHERE card_no = '$C2'"), head office wins (later write); both values kept:"
hub conflicts | sed 's/^/    /' | head -6
say "  $A_DISQ's laptop: its offline visit was refused and kept for review:"
jlap "$A_DISQ" status | jq -r '.rejections[:3][] | "    seq \(.seq) \(.tbl).\(.col): \(.error) \(.reason)"'
say "  head office received $(sqlite3 -readonly "$W/hub/hub.db" "SELECT count(*) FROM visit WHERE received_at > datetime('now','-5 minutes')") new visits;" \
    "$(sqlite3 -readonly "$W/hub/hub.db" "SELECT count(*) FROM rejected_change WHERE code = -32") changes kept for review"

# ---- 5. a departure ---------------------------------------------------------------
step "$A_DEPART leaves the company: the ownership rules move the customers"
before=$(sqlite3 -readonly "$W/$A_DEPART/replica.db" "SELECT count(*) FROM customer")
hub agent depart "$A_DEPART" | sed 's/^/  /' | head -12
sync_until_converged
show_laptops
after=$(sqlite3 -readonly "$W/$A_DEPART/replica.db" "SELECT count(*) FROM customer")
[ "$after" = 0 ] || fail "$A_DEPART's laptop still holds $after customers"
say "  $A_DEPART's laptop: $before customers before, $after after (every row erased);"
say "  the customers' new owners received them whole, with the offline visit:"
sqlite3 -readonly "$W/hub/hub.db" "SELECT '    ' || c.card_no || ' now with ' || a.code || \
    ' (' || (SELECT count(*) FROM visit v WHERE v.customer_id = c.id) || ' visits)' \
    FROM customer c JOIN agent a ON a.id = c.owner_agent_id WHERE c.card_no = '$C1'"

# ---- 6. reports ---------------------------------------------------------------------
step "Coverage of service obligations this year"
hub coverage --year "$(date -u +%Y)" | head -40
step "Fleet: every laptop's sync health"
hub fleet

step "Convergence"
n=0
for a in $LAPTOPS; do
	converged "$a" || fail "laptop $a differs from head office's view of its scope"
	say "  $a  $(jlap "$a" hash | jq -r .hash)"
	n=$((n + 1))
done
say "convergence: OK ($n agents)"

step "Stopping"
stop_laptops
kill -TERM $HUB && wait $HUB || fail "the hub exited with $? on SIGTERM"
PIDS=""
say "demo finished in $(($(date +%s) - T0)) s; everything is in $W"
