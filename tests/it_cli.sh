#!/bin/sh
# it_cli.sh — every `fieldsync` command against the real daemons: a hub and
# five laptops over TLS on 127.0.0.1 (deploy/pki.sh certificates), with a
# data set from fieldsync-gen imported at head office. Each command's
# reply is read through --json, and where a command changes something its
# effect is checked on the other side after a sync:
#
#   head office  import (counts, a second import changes nothing), summary,
#                tiers, tiers update, owners recompute, cards number, agent
#                hire / depart / disqualify, assign (and its refusals),
#                device issue (key file 0600) / revoke, devices, fleet,
#                coverage, conflicts;
#   laptop       customers (filters), card (by number and by id, against
#                the CSV files), visit add, family add / edit, need add,
#                referral add (a provisional card head office numbers),
#                policy add, edit (a head-office column refused), agenda,
#                status (pending, then 0), sync;
#   team lead    team activity shows the agent's new visits, conflicts and
#                conflict resolve forwarded to head office, writes refused;
#   refusals     an unknown and a revoked device, a departed agent's
#                laptop emptied and the new owner's filled, exit codes 2,
#                3, 4 and 5 with their messages.
#
# Two laptops of one agent edit one phone number concurrently: the conflict
# is resolved by the team lead and the kept value reaches the laptop.
#
# Environment (set by ctest): FSY_BIN (the build directory: fieldsyncd,
# fieldsync, fieldsync-gen), FSY_SRC (the source directory). Needs openssl
# and python3. Every wait is bounded; every daemon is stopped on exit.
set -u

IT_NAME=it_cli
. "${FSY_SRC:?FSY_SRC must name the source directory}/tests/it_lib.sh"
it_init
GEN="$FSY_BIN/fieldsync-gen"
[ -x "$GEN" ] || it_fail "no $GEN: build it first"

# ---- the data set ------------------------------------------------------------
# 60 customers, 8 agents in two sales teams and a service team. The seed is
# fixed; dates are relative to today (the generator's default --as-of).
"$GEN" --seed 7 --customers 60 --agents 8 --teams 2 --quiet --out "$T/fx" ||
	it_fail "fieldsync-gen"
# What the files hold, read independently of the daemon: rows per file,
# per customer (by id number) the persons, policies and visits, the roster.
python3 -S -E - "$T/fx" "$T/facts.json" <<'EOF' || it_fail "cannot read the fixture"
import csv, json, sys, collections
d = sys.argv[1]
def rows(name):
    with open(d + "/" + name, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))
files = {n: rows(n) for n in ("agents.csv", "customers.csv", "persons.csv",
                               "policies.csv", "visits.csv")}
idno = {c["id_number"].upper(): c["customer_no"] for c in files["customers.csv"]}
per = collections.defaultdict(lambda: {"persons": [], "policies": [], "visits": 0})
for p in files["persons.csv"]:
    per[p["customer_no"]]["persons"].append(p["name"])
for p in files["policies.csv"]:
    per[p["customer_no"]]["policies"].append(p["policy_no"])
for v in files["visits.csv"]:
    per[v["customer_no"]]["visits"] += 1
json.dump({"counts": {n: len(r) for n, r in files.items()},
           "agents": {a["agent_code"]: a for a in files["agents.csv"]},
           "idno": idno, "per": per}, open(sys.argv[2], "w"),
          ensure_ascii=False)
EOF
F="$T/facts.json"
fact() { it_jget "$F" "$1"; }
# Who plays which part: a sales team with its lead and an employed agent
# (whose laptops are followed), the team's top performer (rule 5), and a
# service agent (rule 3: the departing agent's customers go there).
LEAD=$(fact '[c for c, a in sorted(d["agents"].items()) if a["role"] == "lead"][0]')
TEAM=$(fact "d['agents']['$LEAD']['team_code']")
AG=$(fact "[c for c, a in sorted(d['agents'].items()) if a['team_code'] == '$TEAM' and a['role'] == 'agent' and a['status'] == 'employed'][0]")
SVC=$(fact '[c for c, a in sorted(d["agents"].items()) if a["role"] == "service" and a["status"] == "employed"][0]')
TOP=$(fact "max((int(a['performance']), c) for c, a in d['agents'].items() if a['team_code'] == '$TEAM' and a['status'] == 'employed')[1]")
AG_NAME=$(fact "d['agents']['$AG']['name']")
LEAD_NAME=$(fact "d['agents']['$LEAD']['name']")
# code -> name of every agent in the files, as a Python dict
NAMES=$(fact '{c: a["name"] for c, a in d["agents"].items()}')
it_say "fixture: $(fact 'd["counts"]'); team $TEAM: lead $LEAD, agent $AG (top performer $TOP); service $SVC"

# ---- head office: import and what it derives ----------------------------------
it_hub_start
H=$HUB_SOCK
it_say "hub on 127.0.0.1:$IT_PORT"

it_ok "$H" import "$T/fx"
cp "$IT_OUT" "$T/import.json"
python3 -S -E - "$T/import.json" "$F" <<'EOF' || it_fail "import counts differ from the files"
import json, sys
d = json.load(open(sys.argv[1])); f = json.load(open(sys.argv[2]))
for x in d["files"]:
    want = f["counts"][x["file"]]
    assert x["present"] and x["read"] == want and x["inserted"] == want \
        and x["updated"] == 0 and x["unchanged"] == 0, x
o = d["derived"]["owners"]
n = f["counts"]["customers.csv"]
assert o["examined"] == n and o["changed"] + o["orphans"] == n, o
assert sum(o["by_rule"].values()) == o["changed"], o
assert d["derived"]["cards"]["numbered"] == n, d["derived"]["cards"]["numbered"]
assert d["derived"]["tiers"]["customers"] == n, d["derived"]["tiers"]
EOF
NCUST=$(fact 'd["counts"]["customers.csv"]')
it_ok "$H" import "$T/fx"
it_check 'all(x["inserted"] == 0 and x["updated"] == 0 and x["unchanged"] == x["read"] for x in d["files"]) and d["derived"]["owners"]["changed"] == 0 and d["derived"]["cards"]["numbered"] == 0 and d["derived"]["tiers"]["writes"] == 0' \
    "a second import of the same files must change nothing"
it_say "import: counts match the files; importing again changes nothing"

it_ok "$H" summary
cp "$IT_OUT" "$T/summary0.json"
it_check "d['owners']['customers'] == $NCUST and d['owners']['owned'] + d['owners']['orphans'] == $NCUST and d['cards'] == {'numbered': $NCUST, 'provisional': 0, 'unnumbered': 0} and d['devices'] == {'active': 0, 'revoked': 0} and d['conflicts_open'] == 0 and d['owners']['bans'] == 0" \
    "summary after the import"
it_check "d['owners']['pure'] + d['owners']['nonpure'] + d['owners']['regular'] + d['owners']['no_policy'] == $NCUST and sum(d['owners']['by_rule'].values()) == d['owners']['owned']" \
    "summary: service-order kinds add up to the customers, owners by rule to the owned"

it_ok "$H" tiers
cp "$IT_OUT" "$T/tiers.json"
it_check "[s['scheme'] for s in d['schemes']] == ['star', 'vip'] and all(s['customers'] == $NCUST and s['none'] + sum(l['customers'] for l in s['levels']) == $NCUST for s in d['schemes'])" \
    "tiers: every customer counted once per scheme"
it_jcheck "$T/summary0.json" "d['tiers'] == $(it_get 'd["schemes"]')" \
    "summary's tiers differ from tiers"
it_ok "$H" tiers update
it_check 'd["stats"]["writes"] == 0 and d["stats"]["customers"] == '"$NCUST" \
    "tiers update right after the import's must write nothing"
it_ok "$H" owners recompute --by it_cli
it_check "d['agent'] is None and d['stats']['examined'] == $NCUST and d['stats']['changed'] == 0 and d['moved_count'] == 0 and d['moved'] == []" \
    "owners recompute right after the import must move nobody"
it_ok "$H" cards number
it_check 'd["numbered"] == 0 and d["cards"] == [] and d["needs_initial_count"] == 0' \
    "cards number after the import must find nothing to number"

# converged SOCK AGENT WHAT — the laptop's content hash equals head
# office's hash of the agent's scope (the laptop has synced, nothing pending)
converged() {
	it_ok "$H" scope hash --agent "$2"
	_want=$(it_get 'd["hash"]')
	it_ok "$1" hash
	it_check "d['pending'] == 0 and d['hash'] == '$_want'" \
	    "$3: the laptop's hash differs from head office's scope hash of $2"
}

# Customers per agent, as head office counts them (tiers --agent).
owned() {
	it_ok "$H" tiers --agent "$1" --scheme star
	it_get 'd["schemes"][0]["customers"]'
}
N_AG=$(owned "$AG")
N_SVC=$(owned "$SVC")
[ "$N_AG" -gt 2 ] || it_fail "agent $AG owns $N_AG customers: the fixture changed"

# ---- head office: the roster and the devices ------------------------------------
NEW=BJ01A00099
it_ok "$H" agent hire $NEW --name 赵敏 --team "$TEAM" --performance 10 --date 2026-01-05
it_check "d['code'] == '$NEW' and d['name'] == '赵敏' and d['team'] == '$TEAM' and d['role'] == 'agent' and d['channel'] == 'agency' and d['status'] == 'employed' and d['hired_on'] == '2026-01-05' and d['performance'] == 10 and d['customers'] == 0" \
    "agent hire"
it_rc 1 "$H" agent hire $NEW --name 赵敏
it_err_has "agent $NEW exists already"

# issue NAME AGENT — device issue into $T/keys/NAME; sets DEV_<NAME>
issue() {
	it_ok "$H" device issue --agent "$2" --name "$1" --out "$T/keys/$1"
	it_check "d['agent_code'] == '$2' and d['status'] == 'active' and d['name'] == '$1' and 'secret_key' not in d and d['key_file'] == '$T/keys/$1/device.key' and len(d['public_key']) == 64" \
	    "device issue for $2"
	_dev=$(it_get 'd["device_id"]')
	[ "$(stat -c %a "$T/keys/$1/device.key")" = 600 ] ||
		it_fail "device.key of $1 has mode $(stat -c %a "$T/keys/$1/device.key"), want 600"
	grep -Eq '^[0-9a-f]{128}$' "$T/keys/$1/device.key" ||
		it_fail "device.key of $1 is not 128 hex digits"
	[ "$(cat "$T/keys/$1/device.id")" = "$_dev" ] ||
		it_fail "device.id of $1 is not $_dev"
	eval "DEV_$1=$_dev"
}
it_rc 6 "$H" device issue --agent "$AG" --out "$T/keys/x1"
it_err_has "--out $T/keys/x1 cannot be created: $T/keys: No such file or directory (nothing was issued)"
it_ok "$H" devices
it_check 'd["count"] == 0' "a device issue refused for its --out issued nothing"
mkdir "$T/keys"
issue x1 "$AG"
AG_ID=$(it_get 'd["agent_id"]')
HUB_ID=$(it_get 'd["hub_id"]')
issue x2 "$AG"
issue lead "$LEAD"
LEAD_ID=$(it_get 'd["agent_id"]')
issue svc "$SVC"
it_rc 6 "$H" device issue --agent "$AG" --out "$T/keys/x1"
it_err_has "device.key"
it_ok "$H" devices
it_check "d['count'] == 4 and sorted(x['device_id'] for x in d['devices']) == sorted(['$DEV_x1', '$DEV_x2', '$DEV_lead', '$DEV_svc']) and all(x['status'] == 'active' for x in d['devices'])" \
    "devices lists the four issued"
it_ok "$H" devices --agent "$AG"
it_check "d['count'] == 2 and {x['agent_code'] for x in d['devices']} == {'$AG'}" \
    "devices --agent"
it_say "hire, device issue (keys 0600), devices"

# ---- laptops -------------------------------------------------------------------
DEV_unk=$(it_uuid)
(umask 077 && cp "$T/keys/x2/device.key" "$T/keys/unk.key")
it_agent_start x1 "$DEV_x1" keys/x1/device.key
it_agent_start x2 "$DEV_x2" keys/x2/device.key
it_agent_start lead "$DEV_lead" keys/lead/device.key
it_agent_start svc "$DEV_svc" keys/svc/device.key
it_agent_start unk "$DEV_unk" keys/unk.key
X1=$SOCK_x1
X2=$SOCK_x2
LD=$SOCK_lead
SV=$SOCK_svc
UNK=$SOCK_unk
for s in "$X1" "$X2" "$LD" "$SV"; do
	it_wait_json "$s" "$IT_SYNCED" "the first sync of $s"
done
it_wait_json "$UNK" 'd["sync"]["last_error_code"] == "EUNKNOWNDEV"' \
    "the unknown device refused"
it_wait_log "$T/hub.log" "device $DEV_unk refused: unknown device" 5
it_ok "$UNK" status
it_check "d['agent_id'] is None and d['customers'] == 0 and d['device_id'] == '$DEV_unk' and 'unknown device' in d['sync']['last_error'] and d['sync']['failures'] >= 1" \
    "status of the unknown device"
it_rc 1 "$UNK" visit add --customer W0001 --channel visit
it_err_has 'run `fieldsync sync` first'
it_stop "$PID_unk" laptop-unk
it_say "unknown device refused; its laptop records nothing"

it_ok "$X1" ping
it_check "d['role'] == 'agent' and d['site'] == '$DEV_x1' and d['agent_id'] == '$AG_ID'" "ping x1"
it_ok "$LD" ping
it_check 'd["role"] == "lead"' "ping lead"
it_ok "$H" ping
it_check "d['role'] == 'hub' and d['site'] == '$HUB_ID'" "ping hub"

it_ok "$X1" status
it_check "d['agent_id'] == '$AG_ID' and d['role'] == 'agent' and d['device_id'] == '$DEV_x1' and d['customers'] == $N_AG and d['pending'] == 0 and d['last_sync_at'] is not None and d['rejection_count'] == 0 and d['sync']['hub'] == 'tls+tcp://127.0.0.1:$IT_PORT'" \
    "status of x1 after its first sync"
N_TEAM=0
for a in $(fact "' '.join(c for c, a in d['agents'].items() if a['team_code'] == '$TEAM')"); do
	N_TEAM=$((N_TEAM + $(owned "$a")))
done
it_ok "$LD" status
it_check "d['role'] == 'lead' and d['customers'] == $N_TEAM" \
    "the lead's laptop holds the team's customers"
it_ok "$H" fleet
it_check "d['count'] == 4 and d['pending'] == 0 and d['chains_broken'] == 0 and all(x['last_hello_at'] and x['last_pull_at'] and x['chain_ok'] == 1 for x in d['devices']) and {x['device_id']: x['customers_held'] for x in d['devices']} == {'$DEV_x1': $N_AG, '$DEV_x2': $N_AG, '$DEV_lead': $N_TEAM, '$DEV_svc': $N_SVC}" \
    "fleet after the first syncs"
it_say "laptops synced: x1 and x2 hold $N_AG customers, the lead $N_TEAM, service $N_SVC"

# ---- head office: a new customer, loaded without deriving ----------------------------
# One customer with one policy the agent sold: owners, card and tiers are
# left to the commands. 30,000 yuan a year, 20 years, whole life: a growth
# value of exactly 30,000 yuan, the floor of 2 stars. Its premium is due in
# 5 days (local time), so its renewal reminder is open and on the agenda.
eval "$(python3 -S -E -c '
import datetime as t
today = (t.datetime.now(t.timezone.utc) + t.timedelta(hours=8)).date()
due = today + t.timedelta(days=5)
try:
    issued = due.replace(year=due.year - 1)
except ValueError:
    issued = due.replace(year=due.year - 1, day=28)
print("TODAY=%s DUE=%s ISSUED=%s" % (today, due, issued))')"
QPOL=BJ01P00000999901
mkdir "$T/fx2"
printf '%s\n' "customer_no,name,gender,birth_date,id_number,phone,address,occupation,income" \
    "BJ01C000009999,钱多多,F,1985-03-08,,13700001234,北京市海淀区,教师,300000" >"$T/fx2/customers.csv"
printf '%s\n' "policy_no,customer_no,external,insurer,product,product_type,is_main,insured_name,pay_mode,modal_premium,payment_years,issue_date,next_due_date,end_date,survival_date,status,status_date,sum_assured,account_value,annuity_converted,beneficiary,soliciting_agent_code" \
    "$QPOL,BJ01C000009999,0,,福满终身寿险,whole_life,1,钱多多,annual,30000.00,20,$ISSUED,$DUE,,,inforce,$ISSUED,600000.00,,0,法定,$AG" >"$T/fx2/policies.csv"
it_ok "$H" import --no-derive "$T/fx2"
it_check "d['derived'] is None and [[x['file'], x['present'], x['inserted']] for x in d['files'] if x['present']] == [['customers.csv', True, 1], ['policies.csv', True, 1]]" \
    "import --no-derive of one customer and policy"
it_ok "$H" summary
it_check "d['owners']['customers'] == $NCUST + 1 and d['owners']['orphans'] == $(it_jget "$T/summary0.json" 'd["owners"]["orphans"]') + 1 and d['cards']['unnumbered'] == 1" \
    "summary: the new customer has neither owner nor card"
it_ok "$H" owners recompute --by it_cli
it_check "d['moved_count'] == 1 and d['stats']['changed'] == 1 and d['stats']['by_rule']['1'] == 1 and [[m['name'], m['from_agent'], m['to_agent'], str(m['rule'])] for m in d['moved']] == [['钱多多', None, '$AG', '1']]" \
    "owners recompute gives the new customer to the agent who sold its policy"
QCID=$(it_get 'd["moved"][0]["customer_id"]')
it_ok "$H" cards number
it_check "d['numbered'] == 1 and d['needs_initial_count'] == 0 and [[c['customer_id'], c['name'], c['was']] for c in d['cards']] == [['$QCID', '钱多多', None]] and d['cards'][0]['card_no'][0] == 'Q'" \
    "cards number: the new card gets the initial of its surname"
QCARD=$(it_get 'd["cards"][0]["card_no"]')
it_ok "$H" tiers --customer "$QCARD"
it_check "d['customer_id'] == '$QCID' and d['star_level'] is None and [[t['level_name'], t['score_fen'], t['gap_fen']] for t in d['tiers'] if t['scheme'] == 'star'] == [['2★', 3000000, 2000000]]" \
    "tiers --customer: 2 stars exactly at the floor, 20,000 yuan short of 3, not stored yet"
it_ok "$H" tiers update
it_check 'd["stats"]["writes"] >= 2 and d["stats"]["customers"] == '"$NCUST"' + 1' \
    "tiers update stores the new customer's levels"
it_ok "$H" tiers --customer "$QCID"
it_check "d['card_no'] == '$QCARD' and d['star_level'] == 2 and d['star_score_fen'] == 3000000" \
    "tiers --customer after tiers update"
it_ok "$H" summary
it_check "d['owners']['customers'] == $NCUST + 1 and d['cards'] == {'numbered': $NCUST + 1, 'provisional': 0, 'unnumbered': 0}" \
    "summary after owners, cards and tiers"
it_say "import --no-derive, owners recompute, cards number, tiers update: $QCARD to $AG"

# ---- an agent's laptop -------------------------------------------------------------
it_ok "$X1" customers
cp "$IT_OUT" "$T/customers.json"
it_check "d['count'] == $N_AG and d['total'] == $N_AG and not d['truncated'] and all(c['owner_agent_id'] == '$AG_ID' for c in d['customers'])" \
    "customers on x1"
it_check "[c['star_level'] or 0 for c in d['customers']] == sorted([c['star_level'] or 0 for c in d['customers']], reverse=True)" \
    "customers: highest star level first"
CARD=$(it_get 'd["customers"][0]["card_no"]')
CID=$(it_get 'd["customers"][0]["id"]')
CNAME=$(it_get 'd["customers"][0]["name"]')
CARD2=$(it_get 'd["customers"][1]["card_no"]')
CID2=$(it_get 'd["customers"][1]["id"]')
it_ok "$X1" customers --limit 2
it_check "d['count'] == 2 and d['total'] == $N_AG and d['truncated'] and [c['id'] for c in d['customers']] == $(it_jget "$T/customers.json" '[c["id"] for c in d["customers"][:2]]')" \
    "customers --limit"
it_ok "$X1" customers --search "$CNAME"
it_check "'$CID' in [c['id'] for c in d['customers']] and all('$CNAME' in c['name'] for c in d['customers'])" \
    "customers --search NAME"
it_ok "$X1" customers --search "$(echo "$CARD" | tr 'A-Z' 'a-z')"
it_check "[c['card_no'] for c in d['customers']] == ['$CARD']" "customers --search CARD"
MIN=$(it_jget "$T/customers.json" 'max(c["star_level"] or 0 for c in d["customers"])')
it_ok "$X1" customers --min-star "$MIN"
it_check "d['count'] == $(it_jget "$T/customers.json" "sum((c['star_level'] or 0) >= $MIN for c in d['customers'])") and all(c['star_level'] >= $MIN for c in d['customers'])" \
    "customers --min-star"
it_ok "$X1" customers --vip any
it_check "d['count'] == $(it_jget "$T/customers.json" 'sum(c["vip_tier"] is not None for c in d["customers"])') and all(c['vip_tier'] for c in d['customers'])" \
    "customers --vip any"
it_ok "$X1" customers --due
it_check "d['count'] == $(it_jget "$T/customers.json" 'sum(c["overdue"] + c["due"] > 0 for c in d["customers"])') and all(c['overdue'] + c['due'] > 0 for c in d['customers'])" \
    "customers --due"
it_ok "$X1" customers --rating A
it_check 'd["count"] == 0' "customers --rating A before any rating"
it_rc 2 "$X1" customers --rating E
it_err_has "--rating must be one of A, B, C, D (got 'E')"

# The card, by number (any case) and by id, against the CSV files.
it_ok "$X1" card "$(echo "$CARD" | tr 'A-Z' 'a-z')"
cp "$IT_OUT" "$T/card0.json"
it_ok "$X1" card "$CID"
cmp -s "$IT_OUT" "$T/card0.json" || it_fail "card by id differs from card by number"
CNO=$(it_jget "$T/card0.json" "__import__('json').load(open('$F'))['idno'][d['customer']['id_number'].upper()]")
PER="__import__('json').load(open('$F'))['per']['$CNO']"
it_check "d['customer']['id'] == '$CID' and d['customer']['card_no'] == '$CARD' and sorted(p['name'] for p in d['family']) == sorted($PER['persons']) and sorted(p['policy_no'] for p in d['policies']) == sorted($PER['policies']) and len(d['visits']) == $PER['visits']" \
    "card $CARD: family, policies and visits as in the files ($CNO)"
it_check "[v['happened_at'] for v in d['visits']] == sorted([v['happened_at'] for v in d['visits']], reverse=True) and all(o['card_no'] == '$CARD' for o in d['obligations'])" \
    "card: visits newest first, obligations named"
# The laptop holds its team's roster (sent in WELCOME): the owner is named,
# and so is every visit by a member of the team.
it_check "(d['customer']['owner_agent_id'], d['customer']['owner_code'], d['customer']['owner_name']) == ('$AG_ID', '$AG', '$AG_NAME')" \
    "card names the owner from the laptop's roster"
it_check "all(v['agent_code'] is None or $NAMES[v['agent_code']] == v['agent_name'] for v in d['visits']) and all(v['agent_code'] == '$AG' for v in d['visits'] if v['agent_id'] == '$AG_ID')" \
    "card: visits named by code and name"
# Tiers: computed on the laptop, the same as head office's stored level and
# head office's own evaluation; the gap is to the next level's floor.
it_ok "$H" tiers --customer "$CARD"
cp "$IT_OUT" "$T/hubtier.json"
it_jcheck "$T/card0.json" "[[t['scheme'], t['level'], t['score_fen'], t['gap_fen']] for t in d['tiers']] == $(it_jget "$T/hubtier.json" '[[t["scheme"], t["level"], t["score_fen"], t["gap_fen"]] for t in d["tiers"]]')" \
    "the laptop's tiers differ from head office's for $CARD"
python3 -S -E - "$T/card0.json" "$T/tiers.json" <<'EOF' || it_fail "card: the star tier, its name and gap"
import json, sys
c = json.load(open(sys.argv[1])); t = json.load(open(sys.argv[2]))
s = [x for x in c["tiers"] if x["scheme"] == "star"][0]
levels = [x for x in t["schemes"] if x["scheme"] == "star"][0]["levels"]
assert c["customer"]["star_level"] == int(s["level_code"]), (c["customer"]["star_level"], s)
assert c["customer"]["star_score_fen"] == s["score_fen"], s
assert s["level"] is not None, s
assert s["level_name"] == levels[s["level"]]["name"], s
if s["level"] + 1 < len(levels):
    nxt = levels[s["level"] + 1]
    assert s["next_name"] == nxt["name"] and s["gap_fen"] == nxt["min_fen"] - s["score_fen"], s
else:
    assert s["gap_fen"] == 0, s
EOF
it_say "customers (filters), card by number and id match the files; tiers match head office"

it_ok "$H" coverage
cp "$IT_OUT" "$T/coverage0.json"

# Concurrent edits of one phone number: first on x2, then on x1 (which
# wins: the later write), before either has seen the other's.
P_X2=13900002222
P_X1=13900001111
it_ok "$X2" edit "$CARD" --phone $P_X2
it_check "d['phone'] == '$P_X2' and d['fields'] == ['phone']" "edit on x2"
# (status at once: the write asked for a round within sync_soon, 1 s)
it_ok "$X1" edit "$CARD" --phone $P_X1 --rating A --group key --need-tags "Health, education" --income 250,000.50 --recruit yes --facts "两个孩子" --perceptions "重视教育"
cp "$IT_OUT" "$T/edit.json"
it_ok "$X1" status
it_check 'd["pending"] > 0 and d["oldest_pending_at"] is not None and d["log_seq"] > d["acked_seq"]' \
    "status right after a write: pending changes"
it_jcheck "$T/edit.json" "d['id'] == '$CID' and d['phone'] == '$P_X1' and d['rating'] == 'A' and d['grp'] == 'key' and d['need_tags'] == 'health,education' and d['income_fen'] == 25000050 and d['recruit_interest'] == 1 and d['facts'] == '两个孩子' and sorted(d['fields']) == sorted(['phone', 'rating', 'grp', 'need_tags', 'income_fen', 'recruit_interest', 'facts', 'perceptions'])" \
    "edit on x1"
it_rc 5 "$X1" edit "$CARD" --star-level 7
it_err_has "star_level is a head-office column: it is set by head office and cannot be edited on a laptop"
it_rc 5 "$X1" edit "$CARD" --owner-agent-id "$AG_ID"
it_err_has "owner_agent_id is a head-office column"
it_rc 2 "$X1" edit "$CARD" --nickname x
it_err_has "unknown"
it_rc 2 "$X1" edit "$CARD"
it_err_has "nothing to change"
it_ok "$X1" customers --rating A
it_check "[c['id'] for c in d['customers']] == ['$CID']" "customers --rating A after edit"
it_ok "$X1" customers --group key
it_check "[c['id'] for c in d['customers']] == ['$CID']" "customers --group key after edit"

# Visits: one now, one recorded two days late.
it_ok "$X1" visit add --customer "$CARD" --channel visit --topic birthday --place 客户家 --said "想给孩子买教育金" --next "下周送计划书"
it_check "d['customer_id'] == '$CID' and d['card_no'] == '$CARD' and d['agent_id'] == '$AG_ID' and d['device_id'] == '$DEV_x1' and d['channel'] == 'visit' and d['topic'] == 'birthday' and d['place'] == '客户家' and d['customer_said'] == '想给孩子买教育金' and d['next_step'] == '下周送计划书' and d['late_record'] is False and d['happened_at'] == d['recorded_at']" \
    "visit add"
VISIT1=$(it_get 'd["id"]')
LATE_AT=$(python3 -S -E -c 'import time; print(time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 2 * 86400)))')
it_ok "$X1" visit add --customer "$CID" --channel phone --at "$LATE_AT" --said "late record"
it_check "d['late_record'] is True and d['topic'] == 'general' and d['happened_at'] == '$LATE_AT'" \
    "a visit recorded two days late"
VISIT2=$(it_get 'd["id"]')
it_rc 2 "$X1" visit add --customer "$CARD" --channel pigeon
it_err_has "--channel"
it_rc 4 "$X1" visit add --customer "$CARD" --channel phone --policy NO-SUCH-POLICY
it_err_has "--policy: the customer has no policy 'NO-SUCH-POLICY'"

# Family, needs, referrals, other insurers' policies.
it_ok "$X1" family add --customer "$CARD" --relation child --name 王小明 --gender M --birth 2015-06-01
it_check "d['customer_id'] == '$CID' and d['relation'] == 'child' and d['name'] == '王小明' and d['gender'] == 'M' and d['birth_date'] == '2015-06-01' and d['deleted'] == 0" \
    "family add"
KID=$(it_get 'd["id"]')
it_ok "$X1" family edit "$KID" --occupation 学生 --health 过敏性鼻炎
it_check "d['id'] == '$KID' and d['occupation'] == '学生' and d['health_notes'] == '过敏性鼻炎' and d['name'] == '王小明'" \
    "family edit"
it_ok "$X1" family add --customer "$CARD" --relation other --name 临时记录
GONE=$(it_get 'd["id"]')
it_ok "$X1" family edit "$GONE" --delete
it_check 'd["deleted"] == 1' "family edit --delete"
it_rc 4 "$X1" family edit "$GONE" --name x
it_rc 2 "$X1" family add --customer "$CARD" --relation child --name 未来 --birth 2999-01-01
it_err_has "--birth 2999-01-01 is in the future"
it_ok "$X1" need add --customer "$CARD" --kind education --note "孩子2033年上大学"
it_check "d['customer_id'] == '$CID' and d['kind'] == 'education' and d['status'] == 'open' and d['note'] == '孩子2033年上大学'" \
    "need add"
NEED=$(it_get 'd["id"]')
it_ok "$X1" referral add --customer "$CARD" --name 李娜 --phone 13900003333 --relation 同事 --card
it_check "d['customer_id'] == '$CID' and d['name'] == '李娜' and d['phone'] == '13900003333' and d['relation'] == '同事' and d['referred_customer_id'] and d['referred_card_no'].startswith('P-')" \
    "referral add --card"
REF_CID=$(it_get 'd["referred_customer_id"]')
REF_PCARD=$(it_get 'd["referred_card_no"]')
it_ok "$X1" card "$REF_CID"
it_check "d['customer']['name'] == '李娜' and d['customer']['phone'] == '13900003333' and (d['customer']['card_no'] == '$REF_PCARD' and d['customer']['card_provisional'] == 1 or d['customer']['card_provisional'] == 0)" \
    "the referred person's card is on the laptop"
it_ok "$X1" policy add --customer "$CARD" --insurer 平安 --product 平安福 --type critical_illness --premium 800.50 --pay monthly --years 20 --issued 2021-03-01 --sum 500000 --number EXT-001 --insured "$CNAME"
it_check "d['customer_id'] == '$CID' and d['card_no'] == '$CARD' and d['external'] == 1 and d['insurer'] == '平安' and d['product_type'] == 'critical_illness' and d['modal_premium_fen'] == 80050 and d['annual_premium_fen'] == 960600 and d['payment_years'] == 20 and d['sum_assured_fen'] == 50000000 and d['status'] == 'inforce' and d['is_main'] == 1" \
    "policy add (another insurer's)"
EXTPOL=$(it_get 'd["id"]')
it_rc 2 "$X1" policy add --customer "$CARD" --insurer 平安 --product x --type health --premium 100 --pay annual
it_err_has "--years"

it_ok "$X1" card "$CARD"
cp "$IT_OUT" "$T/card1.json"
it_check "[v['id'] for v in d['visits'] if v['id'] in ('$VISIT1', '$VISIT2')] == ['$VISIT1', '$VISIT2'] and [v['happened_at'] for v in d['visits']] == sorted([v['happened_at'] for v in d['visits']], reverse=True) and len(d['visits']) == $PER['visits'] + 2" \
    "card shows the new visits, newest first"
it_check "[(p['name'], p['occupation']) for p in d['family'] if p['id'] == '$KID'] == [('王小明', '学生')] and '$GONE' not in [p['id'] for p in d['family']] and [n['id'] for n in d['needs']] == ['$NEED'] and [(r['name'], r['referred_customer_id']) for r in d['referrals']] == [('李娜', '$REF_CID')] and '$EXTPOL' in [p['id'] for p in d['policies'] if p['external'] == 1]" \
    "card shows family, needs, referrals and the external policy"
it_check "d['customer']['phone'] == '$P_X1' and d['customer']['rating'] == 'A' and d['customer']['need_tags'] == 'health,education'" \
    "card shows the edit"
it_ok "$X1" agenda
it_check "d['agent_id'] == '$AG_ID' and all(o['card_no'] and o['agent_id'] == '$AG_ID' for k in ('overdue', 'today', 'soon') for o in d[k]) and all(o['status'] == 'overdue' for o in d['overdue'])" \
    "agenda"
it_rc 4 "$X1" card W9999
it_err_has "no customer with card W9999"
it_rc 5 "$X1" summary
it_err_has "'summary' is a head-office command"
it_say "laptop writes: edit, visits, family, need, referral, policy; refusals"

# ---- sync, then head office's view ---------------------------------------------------
it_sync "$X2" "$X1"
it_ok "$X1" status
it_check "d['pending'] == 0 and d['acked_seq'] == d['log_seq'] and d['oldest_pending_at'] is None and d['rejection_count'] == 0 and d['sync']['last_round'] is not None" \
    "x1 after its sync: nothing pending"
it_ok "$X1" card "$CARD"
it_check "d['customer']['phone'] == '$P_X1' and [v['received_at'] is not None for v in d['visits'] if v['id'] in ('$VISIT1', '$VISIT2')] == [True, True]" \
    "x1's phone won; head office stamped the visits received"
it_ok "$X2" card "$CARD"
it_check "d['customer']['phone'] == '$P_X1' and '$VISIT1' in [v['id'] for v in d['visits']]" \
    "x2 has x1's phone and visit after its sync"
it_ok "$H" fleet --agent "$AG"
it_check "d['count'] == 2 and d['pending'] == 0 and all(x['last_push_at'] and x['chain_ok'] == 1 and x['pending'] == 0 and x['push_seq'] > 0 for x in d['devices']) and {x['device_id']: x['customers_held'] for x in d['devices']}['$DEV_x1'] == $N_AG + 2" \
    "fleet after the laptops pushed: last push, chain ok, the two new cards held"
it_ok "$H" conflicts
it_check "d['count'] == 1 and d['total'] == 1 and d['status'] == 'open'" "one open conflict at head office"
it_check "[(k['card_no'], k['tbl'], k['row_id'], k['col'], k['winner_val'], k['loser_val'], k['winner_site'], k['loser_site'], k['winner_agent'], k['loser_agent']) for k in d['conflicts']] == [('$CARD', 'customer', '$CID', 'phone', '$P_X1', '$P_X2', '$DEV_x1', '$DEV_x2', '$AG', '$AG')]" \
    "the conflict: x1's phone won over x2's"
CONFLICT=$(it_get 'd["conflicts"][0]["id"]')
it_ok "$H" summary
it_check "d['cards'] == {'numbered': $NCUST + 2, 'provisional': 0, 'unnumbered': 0} and d['conflicts_open'] == 1 and d['devices'] == {'active': 4, 'revoked': 0} and d['owners']['customers'] == $NCUST + 2" \
    "summary after the sync: the referred card numbered, the conflict"
it_ok "$H" tiers --customer "$REF_CID"
it_check "d['name'] == '李娜' and d['card_no'][0] == 'L' and d['card_no'] != '$REF_PCARD'" \
    "head office numbered the laptop's card"
REF_CARD=$(it_get 'd["card_no"]')
it_ok "$H" cards number
it_check 'd["numbered"] == 0' "cards number: nothing left to number"
it_ok "$H" coverage
it_check "all(k in d for k in ('from', 'to', 'asof', 'total', 'agents', 'teams', 'branches')) and d['total']['due'] == sum(a['due'] for a in d['agents']) and d['total']['met'] == sum(a['met'] for a in d['agents']) and d['total']['met'] >= $(it_jget "$T/coverage0.json" 'd["total"]["met"]') and '$AG_ID' in [a['id'] for a in d['agents']]" \
    "coverage: sums per agent, the agent counted, nothing met lost by the new visits"
it_check "all(a['share'] is None if a['due'] == 0 else abs(a['share'] - a['met'] / a['due']) < 1e-6 for a in d['agents'] + d['teams'] + d['branches'] + [d['total']])" \
    "coverage: share = met / due"
it_say "sync: pending 0; head office has the visits, the conflict, the new card (numbered $REF_CARD)"

# A renewal reminder: on the agenda, met by a visit naming the policy, and
# counted as met in head office's coverage once synced.
it_ok "$H" coverage --from "$TODAY" --to "$DUE"
cp "$IT_OUT" "$T/coverage1.json"
RENEWAL="[[o['kind'], o['status'], o['card_no'], o['policy_no'], o['due']] for k in ('today', 'soon') for o in d[k] if o['customer_id'] == '$QCID']"
it_ok "$X1" agenda
it_check "['renewal', 'open', '$QCARD', '$QPOL', '$DUE'] in $RENEWAL" \
    "the renewal reminder due in 5 days is on the agenda"
it_ok "$X1" customers --due
it_check "[c['due'] >= 1 for c in d['customers'] if c['id'] == '$QCID'] == [True]" \
    "customers --due lists the customer with the renewal due"
it_ok "$X1" visit add --customer "$QCARD" --channel phone --topic renewal --policy "$QPOL" --said "下周缴费"
it_check "d['topic'] == 'renewal' and d['policy_id'] is not None and d['card_no'] == '$QCARD'" \
    "visit add --policy"
it_ok "$X1" agenda
it_check "[x for x in $RENEWAL if x[0] == 'renewal'] == []" \
    "the met renewal reminder left the agenda"

# ---- the team lead -------------------------------------------------------------------
it_sync "$LD" "$X1"
it_ok "$X1" card "$REF_CID"
it_check "d['customer']['card_no'] == '$REF_CARD' and d['customer']['card_provisional'] == 0 and d['customer']['owner_agent_id'] == '$AG_ID'" \
    "the referred card's head-office number reached the laptop"
it_ok "$X1" card "$QCARD"
it_check "d['customer']['id'] == '$QCID' and d['customer']['owner_agent_id'] == '$AG_ID' and d['customer']['star_level'] == 2 and [p['policy_no'] for p in d['policies']] == ['$QPOL']" \
    "head office's new customer reached the agent's laptop with card and tier"
it_ok "$X1" status
it_check "d['customers'] == $N_AG + 2" "x1 holds the two new customers"
converged "$X1" "$AG" "x1"
converged "$LD" "$LEAD" "the lead's laptop"
it_ok "$H" coverage --from "$TODAY" --to "$DUE"
python3 -S -E - "$T/coverage1.json" "$IT_OUT" "$AG_ID" <<'EOF' || it_fail "coverage: the renewal met on the laptop is not counted at head office"
import json, sys
b, a = (json.load(open(f)) for f in sys.argv[1:3])
def kind(d, name):
    row = [x for x in d["agents"] if x["id"] == sys.argv[3]]
    k = row[0]["kinds"].get(name) if row else None
    return (k or {"due": 0, "met": 0})
# the reminder, and the visit's own record-within-24-hours duty
for name in ("renewal", "visit_record"):
    kb, ka = kind(b, name), kind(a, name)
    assert (ka["due"], ka["met"]) == (kb["due"] + 1, kb["met"] + 1), (name, kb, ka)
assert (a["total"]["due"], a["total"]["met"]) == (b["total"]["due"] + 2, b["total"]["met"] + 2), (b["total"], a["total"])
EOF
it_ok "$LD" team activity
it_check "'$VISIT1' in [v['id'] for v in d['visits']] and '$VISIT2' in [v['id'] for v in d['visits']]" \
    "team activity shows the agent's new visits"
# Agents are named from the roster the lead's laptop got in WELCOME (the
# team's agents, departed ones too), and --agent takes their codes.
it_check "[(v['agent_id'], v['agent_code'], v['agent_name'], v['card_no'], v['late_record'], v['customer_said']) for v in d['visits'] if v['id'] in ('$VISIT1', '$VISIT2')] == [('$AG_ID', '$AG', '$AG_NAME', '$CARD', 0, '想给孩子买教育金'), ('$AG_ID', '$AG', '$AG_NAME', '$CARD', 1, 'late record')]" \
    "team activity: agent (code and name), card, lateness of the new visits"
it_check "[(a['agent_code'], a['agent_name'], a['visits'] >= 2 and a['late_records'] >= 1) for a in d['agents'] if a['agent_id'] == '$AG_ID'] == [('$AG', '$AG_NAME', True)]" \
    "team activity: the agent's counts, named"
it_check "all(a['agent_code'] is None or $NAMES[a['agent_code']] == a['agent_name'] for a in d['agents'])" \
    "team activity: every named agent has the name in the files"
it_ok "$LD" team activity --agent "$LEAD" --since 2000-01-01
it_check "all((v['agent_id'], v['agent_code'], v['agent_name']) == ('$LEAD_ID', '$LEAD', '$LEAD_NAME') for v in d['visits']) and all((a['agent_id'], a['agent_code']) == ('$LEAD_ID', '$LEAD') for a in d['agents'])" \
    "team activity --agent CODE"
it_ok "$LD" team activity --agent "$AG"
it_check "'$VISIT1' in [v['id'] for v in d['visits']] and all(v['agent_id'] == '$AG_ID' for v in d['visits']) and [a['agent_code'] for a in d['agents']] == ['$AG']" \
    "team activity --agent CODE of an agent of the team"
it_rc 4 "$LD" team activity --agent BJ01A99999
it_err_has "no agent BJ01A99999"
it_ok "$LD" agenda --agent "$AG"
it_check "d['agent_id'] == '$AG_ID'" "agenda --agent CODE on the lead's laptop"
it_ok "$LD" card "$CARD"
it_check "d['customer']['phone'] == '$P_X1' and '$VISIT1' in [v['id'] for v in d['visits']] and (d['customer']['owner_code'], d['customer']['owner_name']) == ('$AG', '$AG_NAME')" \
    "the lead reads the card, the owner named"
it_rc 5 "$LD" visit add --customer "$CARD" --channel visit
it_err_has "this is a team lead's laptop: the team's customers are read-only here"
it_rc 5 "$LD" edit "$CARD" --phone 13900009999
it_err_has "read-only"
it_rc 5 "$LD" agent depart "$AG"
it_err_has "'agent.depart' is a head-office command"
it_rc 5 "$X1" team activity
it_err_has "'team.activity' is for team leads"
it_ok "$LD" conflicts
it_check "d['count'] == 1 and [k['id'] for k in d['conflicts']] == ['$CONFLICT']" \
    "conflicts on the lead's laptop (asked of head office)"
it_ok "$LD" conflict resolve "$CONFLICT" --keep loser --note "客户确认新电话"
it_check "d['id'] == '$CONFLICT' and d['kept'] == 'loser' and d['value'] == '$P_X2' and d['previous'] == '$P_X1' and d['resolved_by'] == 'lead $LEAD' and d['resolution'] == 'kept the loser value: 客户确认新电话' and d['table'] == 'customer' and d['column'] == 'phone'" \
    "conflict resolve on the lead's laptop"
it_rc 1 "$LD" conflict resolve "$CONFLICT" --keep winner
it_err_has "was resolved already, by lead $LEAD"
it_ok "$H" conflicts --status resolved
it_check "[(k['id'], k['resolved_by'], k['status']) for k in d['conflicts']] == [('$CONFLICT', 'lead $LEAD', 'resolved')]" \
    "head office sees the conflict resolved by the lead"
it_say "team lead: activity, read-only, conflicts through head office"

# ---- head office moves customers ----------------------------------------------------
# By hand to the new hire (rule 6), who is then disqualified (rule 5).
it_ok "$H" assign "$CARD2" $NEW --reason "客户要求更换服务人员" --by 运营部
it_check "d['customer_id'] == '$CID2' and d['owner'] == '$NEW' and d['previous_owner'] == '$AG' and d['reason'] == '客户要求更换服务人员' and d['owner_since']" \
    "assign to the new hire"
it_ok "$H" agent disqualify $NEW --reason "verified complaint"
it_check "d['agent']['status'] == 'disqualified' and d['agent']['customers'] == 0 and d['moved_count'] == 1 and d['stats']['by_rule']['5'] == 1 and [(m['customer_id'], m['from_agent'], m['to_agent'], str(m['rule'])) for m in d['moved']] == [('$CID2', '$NEW', '$TOP', '5')]" \
    "disqualify: the customer goes to the team's top performer"
it_rc 5 "$H" assign "$CARD2" $NEW --reason "再试一次"
it_err_has "disqualified"
it_ok "$H" summary
it_check 'd["owners"]["bans"] == 1' "summary counts the ban"
it_sync "$X1" "$LD"
it_ok "$X1" card "$CARD"
it_check "d['customer']['phone'] == '$P_X2'" "the value the lead kept reached x1"
it_rc 4 "$X1" card "$CARD2"
it_ok "$X1" status
it_check "d['customers'] == $N_AG + 1 and d['sync']['last_round']['customers_removed'] == 1" \
    "x1 after the customer moved away"
it_ok "$LD" card "$CARD2"
it_check "d['customer']['owner_agent_id'] != '$AG_ID'" "the lead still holds the team's customer"

# A stolen laptop: revoked, then refused.
it_ok "$H" device revoke "$DEV_x2" --reason "laptop stolen"
it_check "d['device_id'] == '$DEV_x2' and d['status'] == 'revoked' and d['revoke_reason'] == 'laptop stolen' and d['revoked_at'] and d['agent_code'] == '$AG'" \
    "device revoke"
it_rc 1 "$H" device revoke "$DEV_x2"
it_err_has "revoked already"
it_rc 4 "$H" device revoke "$(it_uuid)"
it_ok "$X2" sync
it_wait_json "$X2" 'd["sync"]["last_error_code"] == "EREVOKED"' "the revoked device refused"
it_wait_log "$T/hub.log" "device $DEV_x2 refused: device revoked" 5
it_ok "$H" devices --status revoked
it_check "[(x['device_id'], x['revoke_reason']) for x in d['devices']] == [('$DEV_x2', 'laptop stolen')]" \
    "devices --status revoked"
it_ok "$H" fleet
it_check "[x['status'] for x in d['devices'] if x['device_id'] == '$DEV_x2'] == ['revoked']" \
    "fleet shows the revoked device"
it_stop "$PID_x2" laptop-x2
it_say "assign, disqualify (rule 5, ban), revoke: refused at the next sync"

# The agent leaves: rule 4 moves every customer; the old laptop empties,
# the new owners' laptops fill.
N_AG_NOW=$(owned "$AG")
N_SVC_NOW=$(owned "$SVC")
[ "$N_AG_NOW" -eq $((N_AG + 1)) ] || it_fail "head office counts $N_AG_NOW customers of $AG, want $((N_AG + 1))"
it_ok "$H" agent depart "$AG" --date 2026-11-20 --by 人事部
cp "$IT_OUT" "$T/depart.json"
it_check "d['agent']['code'] == '$AG' and d['agent']['status'] == 'departed' and d['agent']['left_on'] == '2026-11-20' and d['agent']['customers'] == 0 and d['moved_count'] == $N_AG_NOW and len(d['moved']) == $N_AG_NOW and d['stats']['by_rule']['4'] == $N_AG_NOW and all(m['from_agent'] == '$AG' and str(m['rule']) == '4' for m in d['moved'])" \
    "agent depart moves all $N_AG_NOW customers"
TO_SVC=$(it_get "sum(m['to_agent'] == '$SVC' for m in d['moved'])")
[ "$TO_SVC" -ge 1 ] || it_fail "no customer of $AG went to $SVC: the fixture changed"
it_rc 1 "$H" assign "$CARD" "$AG" --reason "回来了"
it_err_has "departed"
it_sync "$X1" "$SV" "$LD"
it_ok "$X1" status
it_check "d['customers'] == 0 and d['sync']['last_round']['customers_removed'] == $N_AG_NOW" \
    "the departed agent's laptop is empty"
it_ok "$X1" customers
it_check 'd["count"] == 0 and d["customers"] == []' "customers on the emptied laptop"
it_rc 4 "$X1" card "$CARD"
it_ok "$SV" status
it_check "d['customers'] == $N_SVC_NOW + $TO_SVC" \
    "the service agent's laptop received the moved customers"
N_TEAM_NOW=$(($(owned "$LEAD") + $(owned "$AG") + $(owned $NEW)))
it_ok "$LD" status
it_check "d['customers'] == $N_TEAM_NOW and d['customers'] < $N_TEAM + 2" \
    "the lead's laptop lost the customers that left the team"
# The departed agent and the disqualified hire stay in the lead's roster:
# named by code, their visits keep a name.
it_ok "$LD" team activity --agent "$AG" --since 2000-01-01
it_check "all((v['agent_id'], v['agent_code'], v['agent_name']) == ('$AG_ID', '$AG', '$AG_NAME') for v in d['visits'])" \
    "team activity --agent names the departed agent"
it_ok "$LD" team activity --agent $NEW --since 2000-01-01
it_check "d['visits'] == [] and d['agents'] == []" \
    "team activity --agent names the disqualified hire"
it_jcheck "$T/depart.json" "[m['to_agent'] for m in d['moved'] if m['customer_id'] == '$CID'] == ['$SVC']" \
    "customer $CARD did not go to $SVC"
it_ok "$SV" card "$CARD"
it_check "d['customer']['phone'] == '$P_X2' and d['customer']['owner_agent_id'] != '$AG_ID' and '$VISIT1' in [v['id'] for v in d['visits']] and '$KID' in [p['id'] for p in d['family']] and '$EXTPOL' in [p['id'] for p in d['policies']]" \
    "the new owner received the whole card"
it_ok "$H" fleet --agent "$AG"
it_check "{x['device_id']: x['customers_held'] for x in d['devices']}['$DEV_x1'] == 0" \
    "fleet: the departed agent's laptop holds nothing"
converged "$X1" "$AG" "the departed agent's laptop"
converged "$SV" "$SVC" "the service agent's laptop"
converged "$LD" "$LEAD" "the lead's laptop after the departure"
it_say "depart: $N_AG_NOW customers moved ($TO_SVC to $SVC); old laptop empty, new one filled"

# ---- errors ----------------------------------------------------------------------------
it_rc 3 "ipc://$T/nobody.sock" status
it_err_has "fieldsync: cannot reach fieldsyncd at ipc://$T/nobody.sock: "
it_err_has "is it running?"
it_rc 2 "$X1" frobnicate
it_err_has "unknown command 'frobnicate'"
it_rc 2 "$X1" visit add --customer "$CARD"
it_err_has "missing --channel CHANNEL"
it_rc 2 "$X1" customers --limit many
it_err_has "--limit needs an integer (got 'many')"
"$FSY" --help >"$IT_OUT" 2>"$IT_ERR" || it_fail "fieldsync --help exited $?"
grep -q "exit status: 0 ok" "$IT_OUT" || it_fail "fieldsync --help lacks the exit codes"

# ---- stop; what head office stored ------------------------------------------------------
for n in x1 lead svc; do
	eval "it_stop \$PID_$n laptop-$n"
done
it_stop "$HUB_PID" hub
python3 -S -E - "$T/hub/hub.db" "$VISIT1" "$VISIT2" "$AG_ID" "$DEV_x1" "$CID" "$P_X2" "$KID" "$EXTPOL" "$NEED" <<'EOF' || it_fail "the hub's database lacks the laptop's writes"
import sqlite3, sys
db, v1, v2, ag, dev, cid, phone, kid, pol, need = sys.argv[1:]
c = sqlite3.connect(db)
one = lambda q, *a: c.execute(q, a).fetchone()
r = one("SELECT agent_id, device_id, received_at IS NOT NULL, late, topic FROM visit WHERE id = ?", v1)
assert r == (ag, dev, 1, 0, "birthday"), r
r = one("SELECT agent_id, device_id, received_at IS NOT NULL FROM visit WHERE id = ?", v2)
assert r == (ag, dev, 1), r
assert one("SELECT phone, rating, need_tags FROM customer WHERE id = ?", cid) == (phone, "A", "health,education")
assert one("SELECT name, occupation FROM person WHERE id = ?", kid) == ("王小明", "学生")
assert one("SELECT external, annual_premium_fen FROM policy WHERE id = ?", pol) == (1, 960600)
assert one("SELECT kind FROM need WHERE id = ?", need) == ("education",)
EOF
it_say "PASS"
