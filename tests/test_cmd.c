/* test_cmd.c — the commands behind the CLI (cmd.h), run in process on an
 * agent replica (filled as if synced), a team lead's replica and a hub. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>
#include <sodium.h>

#include "testutil.h"
#include "cmd.h"
#include "tables.h"
#include "util.h"

/* ---- fixture ids ---------------------------------------------------------- */

#define ID(x) "01900000-0000-7000-8000-" x
#define BR1 ID("000000000b01")
#define TM1 ID("000000000c01")
#define TM2 ID("000000000c02")
#define AG1 ID("000000000a01") /* A001, team 1 */
#define AG2 ID("000000000a02") /* A002, team 1 */
#define AG3 ID("000000000a03") /* A003, team 2 */
#define LD1 ID("000000000a10") /* L001, lead of team 1 */
#define SV1 ID("000000000a20") /* S001, service staff */
#define CU1 ID("000000000d01") /* 王伟 W0001 */
#define CU2 ID("000000000d02") /* 李娜 L0001 */
#define CU3 ID("000000000d03") /* 张强 Z0001, team 2 */
#define CU4 ID("000000000d04") /* 赵敏 Z0002 */
#define CU5 ID("000000000d05") /* Smith, no card */
#define CU6 ID("000000000d06") /* 欧阳娜, no card */
#define CU7 ID("000000000d07") /* 王小, provisional */
#define PO1 ID("000000000e01")
#define PO2 ID("000000000e02")
#define PO3 ID("000000000e03")
#define PO4 ID("000000000e04")
#define PO5 ID("000000000e05")
#define PE1 ID("000000000f01")
#define PE2 ID("000000000f02")
#define VI1 ID("000000000101")
#define VI2 ID("000000000102")
#define DV1 ID("000000000201")
#define DV2 ID("000000000202")
#define KF1 ID("000000000301")
#define KF2 ID("000000000302")
#define NOBODY ID("000000000999")

/* 2026-11-20T02:00:00Z: 10:00 in China, local day 2026-11-20. */
static int64_t
now_ms(void)
{
	int64_t ms = 0;
	assert_int_equal(fsy_parse_time("2026-11-20T02:00:00Z", &ms), FSY_OK);
	return ms;
}

/* ---- callbacks ------------------------------------------------------------ */

typedef struct cb {
	int syncs;          /* sync_now calls */
	int states;         /* sync_state calls */
	int forwards;       /* forward calls */
	int forward_rc;     /* what forward returns */
	char forwarded[4096]; /* the last request forwarded */
	const char *forward_reply; /* what forward answers */
} cb_t;

static void
cb_sync(void *arg)
{
	((cb_t *)arg)->syncs++;
}

static void
cb_state(void *arg, json_t *o)
{
	((cb_t *)arg)->states++;
	json_object_set_new(o, "hub", json_string("tls+tcp://hub.example:7400"));
}

static int
cb_forward(void *arg, const char *req, size_t len, char **reply)
{
	cb_t *cb = arg;

	cb->forwards++;
	snprintf(cb->forwarded, sizeof(cb->forwarded), "%.*s", (int)len, req);
	if (cb->forward_rc != FSY_OK)
		return cb->forward_rc;
	*reply = strdup(cb->forward_reply);
	return *reply ? FSY_OK : FSY_ENOMEM;
}

static void
ctx_init(fsy_cmd_ctx_t *x, fsy_store_t *st, fsy_role_t role, cb_t *cb)
{
	memset(x, 0, sizeof(*x));
	memset(cb, 0, sizeof(*cb));
	x->st = st;
	x->role = role;
	x->datadir = FSY_SOURCE_DIR "/schema";
	x->now_ms = now_ms();
	x->sync_now = cb_sync;
	x->sync_state = cb_state;
	x->forward = cb_forward;
	x->arg = cb;
}

/* ---- running commands ----------------------------------------------------- */

/* A digest of every row of every table: equal before and after a refused
 * command means the store was left as it was. */
static uint64_t
fingerprint(fsy_store_t *st)
{
	sqlite3 *db = fsy_store_db(st);
	sqlite3_stmt *t, *s;
	uint64_t h = 1469598103934665603ULL;

	assert_int_equal(sqlite3_prepare_v2(db, "SELECT name FROM sqlite_master "
	    "WHERE type = 'table' ORDER BY name", -1, &t, NULL), SQLITE_OK);
	while (sqlite3_step(t) == SQLITE_ROW) {
		char sql[256];
		snprintf(sql, sizeof(sql), "SELECT * FROM \"%s\"",
		    sqlite3_column_text(t, 0));
		assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &s, NULL),
		    SQLITE_OK);
		while (sqlite3_step(s) == SQLITE_ROW) {
			for (int i = 0; i < sqlite3_column_count(s); i++) {
				const unsigned char *b = sqlite3_column_blob(s, i);
				int n = sqlite3_column_bytes(s, i);
				h = (h ^ (uint64_t)(sqlite3_column_type(s, i) + 1)) *
				    1099511628211ULL;
				for (int k = 0; k < n; k++)
					h = (h ^ b[k]) * 1099511628211ULL;
			}
		}
		sqlite3_finalize(s);
	}
	sqlite3_finalize(t);
	return h;
}

/* Runs {"cmd": cmd, "args": args} and checks the return code is want and
 * agrees with the reply. Returns the parsed reply (caller decrefs). */
static json_t *
run(fsy_cmd_ctx_t *x, const char *cmd, const char *args, int want)
{
	char req[8192];
	char *reply = NULL;
	json_t *r, *ok;
	int rc;

	snprintf(req, sizeof(req), "{\"cmd\":\"%s\",\"args\":%s}", cmd,
	    args ? args : "{}");
	rc = fsy_cmd_run(x, req, strlen(req), &reply);
	assert_non_null(reply);
	if (rc != want)
		fail_msg("%s %s: got %d, want %d: %s", cmd, args ? args : "", rc,
		    want, reply);
	r = json_loads(reply, 0, NULL);
	free(reply);
	assert_non_null(r);
	ok = json_object_get(r, "ok");
	if (want == FSY_OK) {
		assert_true(json_is_true(ok));
		assert_non_null(json_object_get(r, "data"));
	} else {
		assert_true(json_is_false(ok));
		assert_int_equal(json_integer_value(json_object_get(r, "code")),
		    want);
		assert_string_equal(json_string_value(json_object_get(r,
		    "error")), fsy_errname(want));
	}
	return r;
}

static json_t *
data(json_t *r)
{
	return json_object_get(r, "data");
}

static const char *
sget(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	if (s == NULL)
		fail_msg("no string '%s'", key);
	return s;
}

static int64_t
iget(const json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);
	if (!json_is_integer(v))
		fail_msg("no integer '%s'", key);
	return json_integer_value(v);
}

/* The element of arr whose key is val, or NULL. */
static json_t *
find(const json_t *arr, const char *key, const char *val)
{
	size_t i;
	json_t *o;

	json_array_foreach(arr, i, o) {
		const char *s = json_string_value(json_object_get(o, key));
		if (s != NULL && strcmp(s, val) == 0)
			return o;
	}
	return NULL;
}

/* A command that must fail with want, a message containing needle, and
 * leave the store (and the sync trigger) alone. */
static void
refuse(fsy_cmd_ctx_t *x, const char *cmd, const char *args, int want,
    const char *needle)
{
	cb_t *cb = x->arg;
	uint64_t before = fingerprint(x->st);
	int syncs = cb->syncs;
	json_t *r = run(x, cmd, args, want);
	const char *msg = json_string_value(json_object_get(r, "message"));

	assert_non_null(msg);
	if (needle != NULL && strstr(msg, needle) == NULL)
		fail_msg("%s %s: message '%s' lacks '%s'", cmd, args ? args : "",
		    msg, needle);
	assert_true(fingerprint(x->st) == before);
	assert_int_equal(cb->syncs, syncs);
	json_decref(r);
}

/* ---- fixtures ------------------------------------------------------------- */

static void
roster(fsy_store_t *st)
{
	tu_exec(st, "INSERT INTO branch VALUES ('" BR1 "', 'B01', '北京分公司')");
	tu_exec(st, "INSERT INTO team VALUES ('" TM1 "', '" BR1 "', 'T01', "
	    "'一组', '" LD1 "'), ('" TM2 "', '" BR1 "', 'T02', '二组', NULL)");
	tu_exec(st, "INSERT INTO agent(id, code, name, team_id, role, channel, "
	    "performance) VALUES "
	    "('" AG1 "', 'A001', '刘一', '" TM1 "', 'agent', 'agency', 50),"
	    "('" AG2 "', 'A002', '陈二', '" TM1 "', 'agent', 'agency', 90),"
	    "('" AG3 "', 'A003', '孙三', '" TM2 "', 'agent', 'agency', 70),"
	    "('" LD1 "', 'L001', '周组长', '" TM1 "', 'lead', 'agency', 60),"
	    "('" SV1 "', 'S001', '吴服务', NULL, 'service', 'agency', 0)");
}

/* The customers of agent A001 (as on the hub and as synced to laptops). */
static void
customers_a001(fsy_store_t *st)
{
	tu_exec(st, "INSERT INTO customer(id, customer_id, card_no, name, gender, "
	    "birth_date, phone, rating, grp, star_level, vip_tier, "
	    "owner_agent_id, owner_since, created_at) VALUES "
	    "('" CU1 "', '" CU1 "', 'W0001', '王伟', 'M', '1980-05-10', "
	    "'13800000001', 'A', 'key', 3, 'gold', '" AG1 "', '2020-01-01', "
	    "'2020-01-01T00:00:00Z'),"
	    "('" CU2 "', '" CU2 "', 'L0001', '李娜', 'F', '1990-02-01', "
	    "'13900000002', 'B', 'ordinary', 0, NULL, '" AG1 "', '2020-01-01', "
	    "'2020-01-02T00:00:00Z')");
	/* health 20,000/yr, 20 years, year 3: 20,000 x 2 x 1 = 40,000 (2★) */
	tu_exec(st, "INSERT INTO policy(id, customer_id, policy_no, external, "
	    "insurer, product, product_type, pay_mode, modal_premium_fen, "
	    "annual_premium_fen, payment_years, issue_date, next_due_date, "
	    "status, sum_assured_fen, soliciting_agent_id) VALUES "
	    "('" PO1 "', '" CU1 "', 'P100001', 0, NULL, '健康无忧', 'health', "
	    "'annual', 2000000, 2000000, 20, '2024-06-01', '2026-12-01', "
	    "'inforce', 50000000, '" AG1 "'),"
	    "('" PO2 "', '" CU1 "', NULL, 1, '平安', '平安福', "
	    "'critical_illness', 'annual', 800000, 800000, 20, '2022-01-01', "
	    "NULL, 'inforce', 30000000, NULL),"
	    "('" PO3 "', '" CU2 "', 'P100003', 0, NULL, '终身寿', 'whole_life', "
	    "'annual', 500000, 500000, 10, '2020-03-01', '2026-11-25', "
	    "'inforce', 20000000, '" AG1 "')");
}

/* An agent replica of A001, filled with capture off as if synced. */
static fsy_store_t *
replica(const char *name, const char *agent_id)
{
	fsy_store_t *st = tu_open(name, FSY_ROLE_AGENT, NULL);

	fsy_store_set_capture(st, 0);
	customers_a001(st);
	tu_exec(st, "INSERT INTO customer(id, customer_id, card_no, name, "
	    "phone, rating, grp, star_level, vip_tier, owner_agent_id) VALUES "
	    "('" CU4 "', '" CU4 "', 'Z0002', '赵敏', '13700000004', 'A', "
	    "'premium', 5, 'diamond', '" AG1 "')");
	tu_exec(st, "INSERT INTO person(id, customer_id, relation, name, gender, "
	    "birth_date, deleted) VALUES "
	    "('" PE1 "', '" CU1 "', 'spouse', '李红', 'F', '1982-03-03', 0),"
	    "('" PE2 "', '" CU1 "', 'child', '王旧', 'M', '2010-01-01', 1)");
	tu_exec(st, "INSERT INTO visit(id, customer_id, agent_id, device_id, "
	    "happened_at, recorded_at, channel, topic, customer_said) VALUES "
	    "('" VI1 "', '" CU1 "', '" AG1 "', '" DV1 "', '2026-11-10T02:00:00Z',"
	    " '2026-11-10T05:00:00Z', 'visit', 'general', '挺好'),"
	    "('" VI2 "', '" CU1 "', '" AG1 "', '" DV1 "', '2026-11-15T02:00:00Z',"
	    " '2026-11-17T03:00:00Z', 'phone', 'renewal', '下月交')");
	tu_exec(st, "INSERT INTO need(id, customer_id, kind, note, status, "
	    "created_at) VALUES ('" ID("000000000401") "', '" CU1 "', "
	    "'education', '孩子上大学', 'open', '2026-10-01T00:00:00Z')");
	/* the roster does not replicate; a laptop may know a few names */
	tu_exec(st, "INSERT INTO agent(id, code, name) VALUES "
	    "('" AG1 "', 'A001', '刘一')");
	if (agent_id != NULL)
		assert_int_equal(fsy_store_meta_set_text(st, "agent_id", agent_id),
		    FSY_OK);
	fsy_store_set_capture(st, 1);
	return st;
}

/* The hub: roster, customers of three agents, devices, conflicts, cards
 * to number. */
static fsy_store_t *
hub(const char *name)
{
	fsy_store_t *st = tu_open(name, FSY_ROLE_HUB, NULL);

	roster(st);
	customers_a001(st);
	/* CU1 also has a 10,000/yr whole life of A002: 10,000 x 1 x 1, so
	 * its growth is exactly 50,000: 3★ (lower bounds are inclusive). */
	tu_exec(st, "INSERT INTO customer(id, customer_id, card_no, name, gender,"
	    " phone, address, owner_agent_id, created_at) VALUES "
	    "('" CU3 "', '" CU3 "', 'Z0001', '张强', 'M', '13600000003', '旧址', "
	    "'" AG3 "', '2020-01-03T00:00:00Z'),"
	    "('" CU5 "', '" CU5 "', NULL, 'Smith John', 'M', NULL, NULL, NULL, "
	    "'2026-11-01T00:00:00Z'),"
	    "('" CU6 "', '" CU6 "', NULL, '欧阳娜', 'F', NULL, NULL, NULL, "
	    "'2026-11-02T00:00:00Z')");
	tu_exec(st, "INSERT INTO customer(id, customer_id, card_no, "
	    "card_provisional, name, owner_agent_id, created_at) VALUES "
	    "('" CU7 "', '" CU7 "', 'P-ABCD-0001', 1, '王小', '" AG1 "', "
	    "'2026-11-03T00:00:00Z')");
	tu_exec(st, "INSERT INTO policy(id, customer_id, policy_no, product, "
	    "product_type, pay_mode, modal_premium_fen, annual_premium_fen, "
	    "payment_years, issue_date, status, soliciting_agent_id) VALUES "
	    "('" PO4 "', '" CU1 "', 'P100004', '福寿', 'whole_life', 'annual', "
	    "1000000, 1000000, 10, '2023-01-01', 'inforce', '" AG2 "'),"
	    "('" PO5 "', '" CU3 "', 'P100005', '安康', 'health', 'annual', "
	    "300000, 300000, 10, '2021-01-01', 'inforce', '" AG3 "')");
	tu_exec(st, "UPDATE customer SET phone = '13800000009' WHERE id = '" CU1
	    "'");
	tu_exec(st, "INSERT INTO device(id, agent_id, name, pubkey, issued_at) "
	    "VALUES ('" DV1 "', '" AG1 "', 'laptop-1', '00', "
	    "'2026-01-01T00:00:00Z'), ('" DV2 "', '" AG2 "', 'laptop-2', '00', "
	    "'2026-01-01T00:00:00Z')");
	/* DV1 said at its last hello it had logged up to 22 and 5 were not
	 * yet delivered; 17 are merged */
	tu_exec(st, "INSERT INTO device_state(device_id, pending, log_seq, "
	    "push_seq, oldest_pending_at, last_hello_at, rejections, chain_ok, "
	    "chain_error) VALUES ('" DV1 "', 5, 22, 17, '2026-11-19T02:00:00Z', "
	    "'2026-11-20T01:00:00Z', 2, 0, 'seq 17: hash mismatch'), "
	    "('" DV2 "', 0, 0, 0, NULL, NULL, 0, 1, NULL)");
	tu_exec(st, "INSERT INTO conflict(id, customer_id, tbl, row_id, col, "
	    "winner_val, winner_hlc, winner_site, loser_val, loser_hlc, "
	    "loser_site, detected_at) VALUES "
	    "('" KF1 "', '" CU1 "', 'customer', '" CU1 "', 'phone', "
	    "'13800000009', 200, '" DV1 "', '13800000001', 100, '" DV2 "', "
	    "'2026-11-19T00:00:00Z'),"
	    "('" KF2 "', '" CU3 "', 'customer', '" CU3 "', 'address', '新址', "
	    "200, '" DV1 "', '旧址', 100, '" DV2 "', '2026-11-18T00:00:00Z')");
	return st;
}

/* ---- tests: the request and where it runs --------------------------------- */

static void
raw(fsy_cmd_ctx_t *x, const char *req, const char *needle)
{
	char *reply = NULL;
	json_t *r;

	assert_int_equal(fsy_cmd_run(x, req, strlen(req), &reply), FSY_EINVAL);
	r = json_loads(reply, 0, NULL);
	free(reply);
	assert_non_null(r);
	assert_true(json_is_false(json_object_get(r, "ok")));
	assert_non_null(strstr(sget(r, "message"), needle));
	json_decref(r);
}

static void
test_malformed_requests(void **state)
{
	(void)state;
	fsy_store_t *st = replica("m.db", AG1);
	fsy_cmd_ctx_t x;
	cb_t cb;
	json_t *r;

	ctx_init(&x, st, FSY_ROLE_AGENT, &cb);
	raw(&x, "not json", "malformed request");
	raw(&x, "[1]", "not a JSON object");
	raw(&x, "{\"cmd\": 5}", "\"cmd\" must name a command");
	raw(&x, "{\"cmd\": \"ping\", \"args\": [1]}", "\"args\" must be an object");
	raw(&x, "{\"cmd\": \"ping\", \"extra\": 1}", "unknown key 'extra'");
	raw(&x, "{\"cmd\": \"nope\"}", "unknown command 'nope'");
	raw(&x, "{\"cmd\": \"ping\", \"cmd\": \"ping\"}", "malformed request");
	refuse(&x, "ping", "{\"x\": 1}", FSY_EINVAL, "unknown argument --x");
	/* args may be left out */
	r = run(&x, "ping", NULL, FSY_OK);
	assert_string_equal(sget(data(r), "role"), "agent");
	assert_string_equal(sget(data(r), "agent_id"), AG1);
	assert_string_equal(sget(data(r), "now"), "2026-11-20T02:00:00Z");
	json_decref(r);
	fsy_store_close(st);
}

static void
test_where_commands_run(void **state)
{
	(void)state;
	fsy_store_t *a = replica("w-agent.db", AG1);
	fsy_store_t *l = replica("w-lead.db", LD1);
	fsy_store_t *h = hub("w-hub.db");
	fsy_cmd_ctx_t xa, xl, xh;
	cb_t ca, cl, ch;
	json_t *r;

	ctx_init(&xa, a, FSY_ROLE_AGENT, &ca);
	ctx_init(&xl, l, FSY_ROLE_AGENT, &cl);
	xl.lead = 1;
	ctx_init(&xh, h, FSY_ROLE_HUB, &ch);

	/* agent commands on the hub, hub commands on a laptop */
	refuse(&xh, "visit.add", "{}", FSY_EPERM, "agent's laptop");
	refuse(&xh, "customers", "{}", FSY_EPERM, "agent's laptop");
	refuse(&xa, "agent.depart", "{\"agent\":\"A001\"}", FSY_EPERM,
	    "head-office hub's daemon");
	refuse(&xa, "import", "{\"dir\":\"/tmp\"}", FSY_EPERM, "head-office");
	refuse(&xa, "team.activity", "{}", FSY_EPERM, "team lead");
	refuse(&xa, "conflicts", "{}", FSY_EPERM, "team lead");
	/* a lead's laptop is read-only */
	refuse(&xl, "visit.add", "{\"customer\":\"W0001\",\"channel\":\"visit\"}",
	    FSY_EPERM, "read-only");
	refuse(&xl, "edit", "{\"customer\":\"W0001\",\"rating\":\"C\"}",
	    FSY_EPERM, "read-only");
	refuse(&xl, "referral.add", "{}", FSY_EPERM, "read-only");
	refuse(&xl, "agent.hire", "{}", FSY_EPERM, "head-office");
	r = run(&xl, "customers", NULL, FSY_OK);
	assert_int_equal(iget(data(r), "total"), 3);
	json_decref(r);
	r = run(&xl, "ping", NULL, FSY_OK);
	assert_string_equal(sget(data(r), "role"), "lead");
	json_decref(r);
	/* a lead's forwarded request at the hub: conflicts only */
	xh.team_id = TM1;
	refuse(&xh, "agent.depart", "{\"agent\":\"A001\"}", FSY_EPERM,
	    "only for conflicts");
	refuse(&xh, "summary", NULL, FSY_EPERM, "only for conflicts");
	r = run(&xh, "conflicts", NULL, FSY_OK);
	json_decref(r);
	r = run(&xh, "ping", NULL, FSY_EPERM);
	json_decref(r);
	xh.team_id = NULL;
	r = run(&xh, "ping", NULL, FSY_OK);
	assert_string_equal(sget(data(r), "role"), "hub");
	assert_true(json_is_null(json_object_get(data(r), "agent_id")));
	json_decref(r);
	fsy_store_close(a);
	fsy_store_close(l);
	fsy_store_close(h);
}

/* ---- tests: an agent's laptop ---------------------------------------------- */

static void
test_customers_filters(void **state)
{
	(void)state;
	fsy_store_t *st = replica("c.db", AG1);
	fsy_cmd_ctx_t x;
	cb_t cb;
	json_t *r, *list, *o;
	size_t i;

	ctx_init(&x, st, FSY_ROLE_AGENT, &cb);
	r = run(&x, "customers", NULL, FSY_OK);
	list = json_object_get(data(r), "customers");
	assert_int_equal(json_array_size(list), 3);
	/* highest star level first */
	assert_string_equal(sget(json_array_get(list, 0), "card_no"), "Z0002");
	assert_string_equal(sget(json_array_get(list, 1), "card_no"), "W0001");
	assert_string_equal(sget(json_array_get(list, 2), "card_no"), "L0001");
	assert_string_equal(sget(data(r), "asof"), "2026-11-20");
	assert_false(json_is_true(json_object_get(data(r), "truncated")));
	/* 李娜's premium is due 2026-11-25: in this week's agenda */
	assert_true(iget(find(list, "card_no", "L0001"), "due") >= 1);
	json_decref(r);

	r = run(&x, "customers", "{\"rating\":\"A\"}", FSY_OK);
	assert_int_equal(iget(data(r), "total"), 2);
	json_decref(r);
	/* min star: 3 takes W0001 (3) and Z0002 (5); 4 only Z0002 */
	r = run(&x, "customers", "{\"min_star\":3}", FSY_OK);
	assert_int_equal(iget(data(r), "total"), 2);
	json_decref(r);
	r = run(&x, "customers", "{\"min_star\":\"4\"}", FSY_OK);
	assert_int_equal(iget(data(r), "total"), 1);
	json_decref(r);
	r = run(&x, "customers", "{\"vip\":\"any\"}", FSY_OK);
	assert_int_equal(iget(data(r), "total"), 2);
	json_decref(r);
	r = run(&x, "customers", "{\"vip\":\"gold\",\"group\":\"key\"}", FSY_OK);
	assert_int_equal(iget(data(r), "total"), 1);
	json_decref(r);
	/* text search on name, phone and card number; LIKE characters are
	 * literal */
	r = run(&x, "customers", "{\"search\":\"李\"}", FSY_OK);
	assert_int_equal(iget(data(r), "total"), 1);
	json_decref(r);
	r = run(&x, "customers", "{\"search\":\"00000004\"}", FSY_OK);
	assert_int_equal(iget(data(r), "total"), 1);
	json_decref(r);
	r = run(&x, "customers", "{\"search\":\"w000\"}", FSY_OK);
	assert_int_equal(iget(data(r), "total"), 1);
	json_decref(r);
	r = run(&x, "customers", "{\"search\":\"%\"}", FSY_OK);
	assert_int_equal(iget(data(r), "total"), 0);
	json_decref(r);
	/* only customers with something due */
	r = run(&x, "customers", "{\"due\":true}", FSY_OK);
	list = json_object_get(data(r), "customers");
	assert_non_null(find(list, "card_no", "L0001"));
	json_array_foreach(list, i, o)
		assert_true(iget(o, "overdue") + iget(o, "due") > 0);
	json_decref(r);
	/* limit */
	r = run(&x, "customers", "{\"limit\":1}", FSY_OK);
	assert_int_equal(json_array_size(json_object_get(data(r), "customers")),
	    1);
	assert_int_equal(iget(data(r), "count"), 1);
	assert_int_equal(iget(data(r), "total"), 3);
	assert_true(json_is_true(json_object_get(data(r), "truncated")));
	json_decref(r);

	refuse(&x, "customers", "{\"rating\":\"E\"}", FSY_EINVAL,
	    "--rating must be one of A, B, C, D");
	refuse(&x, "customers", "{\"min_star\":8}", FSY_EINVAL,
	    "--min-star must be an integer from 0 to 7");
	refuse(&x, "customers", "{\"limit\":0}", FSY_EINVAL, "--limit");
	refuse(&x, "customers", "{\"vip\":\"silver\"}", FSY_EINVAL,
	    "--vip must be one of diamond, platinum, gold, any");
	fsy_store_close(st);
}

static void
test_card_whole(void **state)
{
	(void)state;
	fsy_store_t *st = replica("card.db", AG1);
	fsy_cmd_ctx_t x;
	cb_t cb;
	json_t *r, *d, *c, *arr, *t, *o;
	size_t i;

	ctx_init(&x, st, FSY_ROLE_AGENT, &cb);
	r = run(&x, "card", "{\"customer\":\"w0001\"}", FSY_OK);
	d = data(r);
	c = json_object_get(d, "customer");
	assert_string_equal(sget(c, "id"), CU1);
	assert_string_equal(sget(c, "name"), "王伟");
	assert_string_equal(sget(c, "phone"), "13800000001");
	assert_int_equal(iget(c, "age"), 46);  /* born 1980-05-10 */
	/* family: the deleted child is gone */
	arr = json_object_get(d, "family");
	assert_int_equal(json_array_size(arr), 1);
	assert_string_equal(sget(json_array_get(arr, 0), "name"), "李红");
	assert_int_equal(iget(json_array_get(arr, 0), "age"), 44);
	/* every policy, own and external */
	arr = json_object_get(d, "policies");
	assert_int_equal(json_array_size(arr), 2);
	assert_int_equal(iget(find(arr, "id", PO2), "external"), 1);
	assert_int_equal(iget(find(arr, "id", PO1), "annual_premium_fen"),
	    2000000);
	/* visits newest first */
	arr = json_object_get(d, "visits");
	assert_int_equal(json_array_size(arr), 2);
	assert_string_equal(sget(json_array_get(arr, 0), "id"), VI2);
	assert_string_equal(sget(json_array_get(arr, 1), "id"), VI1);
	assert_int_equal(json_array_size(json_object_get(d, "needs")), 1);
	assert_int_equal(json_array_size(json_object_get(d, "referrals")), 0);
	/* star level from the local policies: the health policy alone
	 * (external ones do not count): 40,000 = 2★, 10,000 short of 3★ */
	t = find(json_object_get(d, "tiers"), "scheme", "star");
	assert_non_null(t);
	assert_int_equal(iget(t, "score_fen"), 4000000);
	assert_string_equal(sget(t, "level_name"), "2★");
	assert_string_equal(sget(t, "next_name"), "3★");
	assert_int_equal(iget(t, "gap_fen"), 1000000);
	assert_non_null(find(json_object_get(d, "tiers"), "scheme", "vip"));
	/* open obligations only: the premium due 2026-12-01 was already
	 * reminded by the call of 11-15 (met, so not listed); the festival
	 * care a 3★ customer is owed this year is still open */
	arr = json_object_get(d, "obligations");
	json_array_foreach(arr, i, o)
		assert_true(strcmp(sget(o, "status"), "open") == 0 ||
		    strcmp(sget(o, "status"), "overdue") == 0);
	assert_null(find(arr, "kind", "renewal"));
	assert_non_null(find(arr, "kind", "festival_care"));
	assert_string_equal(sget(d, "asof"), "2026-11-20");
	json_decref(r);
	/* 李娜's premium due 2026-11-25 is not reminded yet */
	r = run(&x, "card", "{\"customer\":\"L0001\"}", FSY_OK);
	o = find(json_object_get(data(r), "obligations"), "kind", "renewal");
	assert_non_null(o);
	assert_string_equal(sget(o, "policy_id"), PO3);
	assert_string_equal(sget(o, "status"), "open");
	json_decref(r);

	/* by id, and as of another day */
	r = run(&x, "card", "{\"customer\":\"" CU2 "\",\"as_of\":\"2025-01-01\"}",
	    FSY_OK);
	assert_string_equal(sget(json_object_get(data(r), "customer"),
	    "card_no"), "L0001");
	assert_int_equal(iget(json_object_get(data(r), "customer"), "age"), 34);
	json_decref(r);

	refuse(&x, "card", "{}", FSY_EINVAL, "missing CUSTOMER");
	refuse(&x, "card", "{\"customer\":\"W9999\"}", FSY_ENOTFOUND,
	    "no customer with card W9999");
	refuse(&x, "card", "{\"customer\":\"" NOBODY "\"}", FSY_ENOTFOUND,
	    "no customer with id");
	refuse(&x, "card", "{\"customer\":\"xyz\"}", FSY_EINVAL,
	    "CUSTOMER must be a card number like W0001");
	refuse(&x, "card", "{\"customer\":7}", FSY_EINVAL,
	    "CUSTOMER must be a card number");
	refuse(&x, "card", "{\"customer\":\"W0001\",\"as_of\":\"2026-02-30\"}",
	    FSY_EINVAL, "--as-of must be a date YYYY-MM-DD");
	fsy_store_close(st);
}

static void
test_visit_add(void **state)
{
	(void)state;
	fsy_store_t *st = replica("v.db", AG1);
	fsy_store_t *fresh = replica("v2.db", NULL);
	fsy_cmd_ctx_t x, xf;
	cb_t cb, cf;
	json_t *r, *d;
	int64_t logged = tu_int(st, "SELECT count(*) FROM change_log");
	char site[40], sql[256];

	ctx_init(&x, st, FSY_ROLE_AGENT, &cb);
	snprintf(site, sizeof(site), "%s", fsy_store_site(st));
	r = run(&x, "visit.add", "{\"customer\":\"W0001\",\"channel\":\"visit\","
	    "\"topic\":\"birthday\",\"customer_said\":\"想给孩子买教育金\","
	    "\"next_step\":\"下周送计划书\",\"place\":\"客户家\"}", FSY_OK);
	d = data(r);
	assert_string_equal(sget(d, "customer_id"), CU1);
	assert_string_equal(sget(d, "card_no"), "W0001");
	assert_string_equal(sget(d, "agent_id"), AG1);
	assert_string_equal(sget(d, "device_id"), site);
	assert_string_equal(sget(d, "happened_at"), "2026-11-20T02:00:00Z");
	assert_string_equal(sget(d, "recorded_at"), "2026-11-20T02:00:00Z");
	assert_string_equal(sget(d, "topic"), "birthday");
	assert_false(json_is_true(json_object_get(d, "late_record")));
	assert_int_equal(cb.syncs, 1);
	/* stored and captured for sync */
	snprintf(sql, sizeof(sql), "SELECT customer_said FROM visit WHERE id = "
	    "'%s'", sget(d, "id"));
	assert_string_equal(tu_text(st, sql), "想给孩子买教育金");
	assert_true(tu_int(st, "SELECT count(*) FROM change_log") > logged);
	json_decref(r);

	/* a local time: 2026-11-19 15:30 in China is 07:30 UTC, 18.5 h ago */
	r = run(&x, "visit.add", "{\"customer\":\"" CU2 "\",\"channel\":\"phone\","
	    "\"happened_at\":\"2026-11-19 15:30\",\"policy\":\"P100003\"}",
	    FSY_OK);
	assert_string_equal(sget(data(r), "happened_at"), "2026-11-19T07:30:00Z");
	assert_string_equal(sget(data(r), "topic"), "general");
	assert_string_equal(sget(data(r), "policy_id"), PO3);
	assert_false(json_is_true(json_object_get(data(r), "late_record")));
	json_decref(r);
	/* exactly 24 h is still on time; a second more is late */
	r = run(&x, "visit.add", "{\"customer\":\"W0001\",\"channel\":\"sms\","
	    "\"happened_at\":\"2026-11-19T02:00:00Z\"}", FSY_OK);
	assert_false(json_is_true(json_object_get(data(r), "late_record")));
	json_decref(r);
	r = run(&x, "visit.add", "{\"customer\":\"W0001\",\"channel\":\"sms\","
	    "\"happened_at\":\"2026-11-19T01:59:59Z\"}", FSY_OK);
	assert_true(json_is_true(json_object_get(data(r), "late_record")));
	json_decref(r);
	/* a date alone is local noon */
	r = run(&x, "visit.add", "{\"customer\":\"W0001\",\"channel\":\"wechat\","
	    "\"happened_at\":\"2026-11-18\"}", FSY_OK);
	assert_string_equal(sget(data(r), "happened_at"), "2026-11-18T04:00:00Z");
	json_decref(r);
	assert_int_equal(cb.syncs, 5);

	refuse(&x, "visit.add", "{\"customer\":\"W0001\"}", FSY_EINVAL,
	    "missing --channel");
	refuse(&x, "visit.add", "{\"channel\":\"visit\"}", FSY_EINVAL,
	    "missing --customer");
	refuse(&x, "visit.add", "{\"customer\":\"W0001\",\"channel\":\"fax\"}",
	    FSY_EINVAL, "--channel must be one of visit, phone, wechat, sms, "
	    "event");
	refuse(&x, "visit.add", "{\"customer\":\"W0001\",\"channel\":\"visit\","
	    "\"topic\":\"party\"}", FSY_EINVAL, "--topic must be one of");
	refuse(&x, "visit.add", "{\"customer\":\"W0001\",\"channel\":\"visit\","
	    "\"happened_at\":\"2026-11-20 10:06\"}", FSY_EINVAL,
	    "is in the future");
	refuse(&x, "visit.add", "{\"customer\":\"W0001\",\"channel\":\"visit\","
	    "\"happened_at\":\"yesterday\"}", FSY_EINVAL, "--at must be a date");
	refuse(&x, "visit.add", "{\"customer\":\"W0404\",\"channel\":\"visit\"}",
	    FSY_ENOTFOUND, "no customer with card W0404 on this laptop");
	refuse(&x, "visit.add", "{\"customer\":\"W0001\",\"channel\":\"visit\","
	    "\"policy\":\"P100003\"}", FSY_ENOTFOUND,
	    "the customer has no policy 'P100003'");
	refuse(&x, "visit.add", "{\"customer\":\"W0001\",\"channel\":\"visit\","
	    "\"mood\":\"good\"}", FSY_EINVAL, "unknown argument --mood");
	refuse(&x, "visit.add", "{\"customer\":\"W0001\",\"channel\":\"visit\","
	    "\"place\":5}", FSY_EINVAL, "--place must be a string");
	{
		/* bound every length */
		char big[6000], args[6200];
		memset(big, 'x', sizeof(big) - 1);
		big[sizeof(big) - 1] = '\0';
		snprintf(args, sizeof(args), "{\"customer\":\"W0001\","
		    "\"channel\":\"visit\",\"customer_said\":\"%s\"}", big);
		refuse(&x, "visit.add", args, FSY_EINVAL, "--said is too long");
	}
	/* before the first sync the laptop does not know its agent */
	ctx_init(&xf, fresh, FSY_ROLE_AGENT, &cf);
	refuse(&xf, "visit.add", "{\"customer\":\"W0001\",\"channel\":\"visit\"}",
	    FSY_ESTATE, "fieldsync sync");
	fsy_store_close(st);
	fsy_store_close(fresh);
}

static void
test_family(void **state)
{
	(void)state;
	fsy_store_t *st = replica("f.db", AG1);
	fsy_cmd_ctx_t x;
	cb_t cb;
	json_t *r;
	char pid[40], args[256];

	ctx_init(&x, st, FSY_ROLE_AGENT, &cb);
	r = run(&x, "family.add", "{\"customer\":\"W0001\",\"relation\":\"child\","
	    "\"name\":\"王小明\",\"gender\":\"M\",\"birth_date\":\"2015-06-01\"}",
	    FSY_OK);
	snprintf(pid, sizeof(pid), "%s", sget(data(r), "id"));
	assert_string_equal(sget(data(r), "customer_id"), CU1);
	assert_string_equal(sget(data(r), "relation"), "child");
	json_decref(r);
	r = run(&x, "card", "{\"customer\":\"W0001\"}", FSY_OK);
	assert_int_equal(json_array_size(json_object_get(data(r), "family")), 2);
	assert_int_equal(iget(find(json_object_get(data(r), "family"), "id",
	    pid), "age"), 11);
	json_decref(r);

	snprintf(args, sizeof(args), "{\"person\":\"%s\",\"occupation\":\"学生\","
	    "\"health_notes\":\"哮喘\"}", pid);
	r = run(&x, "family.edit", args, FSY_OK);
	assert_string_equal(sget(data(r), "occupation"), "学生");
	assert_string_equal(sget(data(r), "name"), "王小明");
	json_decref(r);
	snprintf(args, sizeof(args), "{\"person\":\"%s\",\"delete\":true}", pid);
	r = run(&x, "family.edit", args, FSY_OK);
	assert_int_equal(iget(data(r), "deleted"), 1);
	json_decref(r);
	r = run(&x, "card", "{\"customer\":\"W0001\"}", FSY_OK);
	assert_int_equal(json_array_size(json_object_get(data(r), "family")), 1);
	json_decref(r);
	assert_int_equal(cb.syncs, 3);

	refuse(&x, "family.edit", args, FSY_ENOTFOUND, "(deleted)");
	refuse(&x, "family.edit", "{\"person\":\"" NOBODY "\",\"name\":\"x\"}",
	    FSY_ENOTFOUND, "no person");
	refuse(&x, "family.edit", "{\"person\":\"" PE1 "\"}", FSY_EINVAL,
	    "nothing to change");
	refuse(&x, "family.edit", "{\"person\":\"" PE1 "\",\"name\":\"\"}",
	    FSY_EINVAL, "--name must not be empty");
	refuse(&x, "family.edit", "{\"person\":\"not-a-uuid\",\"name\":\"x\"}",
	    FSY_EINVAL, "PERSON must be an id");
	refuse(&x, "family.add", "{\"customer\":\"W0001\",\"relation\":\"cousin\","
	    "\"name\":\"x\"}", FSY_EINVAL, "--relation must be one of self, "
	    "spouse, child, parent, other");
	refuse(&x, "family.add", "{\"customer\":\"W0001\",\"relation\":\"child\","
	    "\"name\":\"x\",\"birth_date\":\"2026-02-30\"}", FSY_EINVAL,
	    "--birth must be a date");
	refuse(&x, "family.add", "{\"customer\":\"W0001\",\"relation\":\"child\","
	    "\"name\":\"x\",\"birth_date\":\"2026-11-21\"}", FSY_EINVAL,
	    "in the future");
	refuse(&x, "family.add", "{\"customer\":\"W0001\",\"relation\":\"child\"}",
	    FSY_EINVAL, "missing --name");
	fsy_store_close(st);
}

static void
test_need_and_referral(void **state)
{
	(void)state;
	fsy_store_t *st = replica("n.db", AG1);
	fsy_cmd_ctx_t x;
	cb_t cb;
	json_t *r;
	char shortid[5], want[20], sql[256];
	const char *site;

	ctx_init(&x, st, FSY_ROLE_AGENT, &cb);
	r = run(&x, "need.add", "{\"customer\":\"L0001\",\"kind\":\"Health\","
	    "\"note\":\"体检异常\"}", FSY_OK);
	assert_string_equal(sget(data(r), "kind"), "health");
	assert_string_equal(sget(data(r), "status"), "open");
	assert_string_equal(sget(data(r), "created_at"), "2026-11-20T02:00:00Z");
	json_decref(r);
	refuse(&x, "need.add", "{\"customer\":\"L0001\",\"kind\":\"life,health\"}",
	    FSY_EINVAL, "--kind must be one need");
	refuse(&x, "need.add", "{\"customer\":\"L0001\",\"kind\":\"health\","
	    "\"status\":\"done\"}", FSY_EINVAL, "--status must be one of open, "
	    "met, dropped");

	/* a referral alone */
	r = run(&x, "referral.add", "{\"customer\":\"W0001\",\"name\":\"李四\","
	    "\"phone\":\"139 0000 1111\",\"relation\":\"同事\"}", FSY_OK);
	assert_true(json_is_null(json_object_get(data(r),
	    "referred_customer_id")));
	json_decref(r);
	/* with a provisional card: P-<last 4 of the device id>-0001, -0002 */
	site = fsy_store_site(st);
	snprintf(shortid, sizeof(shortid), "%s", site + strlen(site) - 4);
	for (int k = 0; k < 4; k++)
		if (shortid[k] >= 'a' && shortid[k] <= 'f')
			shortid[k] = (char)(shortid[k] - 'a' + 'A');
	for (int n = 1; n <= 2; n++) {
		r = run(&x, "referral.add", "{\"customer\":\"W0001\",\"name\":"
		    "\"周五\",\"phone\":\"13700001111\",\"card\":true}", FSY_OK);
		snprintf(want, sizeof(want), "P-%s-%04d", shortid, n);
		assert_string_equal(sget(data(r), "referred_card_no"), want);
		snprintf(sql, sizeof(sql), "SELECT card_provisional || name || "
		    "phone FROM customer WHERE id = '%s'",
		    sget(data(r), "referred_customer_id"));
		assert_string_equal(tu_text(st, sql), "1周五13700001111");
		json_decref(r);
	}
	assert_int_equal(tu_int(st, "SELECT value FROM meta WHERE key = "
	    "'card_counter'"), 2);
	/* the new cards are in the list, and sync like any change */
	r = run(&x, "customers", "{\"search\":\"周五\"}", FSY_OK);
	assert_int_equal(iget(data(r), "total"), 2);
	json_decref(r);
	assert_true(tu_int(st, "SELECT count(*) FROM change_log WHERE tbl = 0 "
	    "AND col = 0 AND val LIKE 'P-%'") == 2);
	refuse(&x, "referral.add", "{\"customer\":\"W0001\",\"name\":\"x\","
	    "\"phone\":\"call me\"}", FSY_EINVAL, "--phone must be a phone");
	refuse(&x, "referral.add", "{\"customer\":\"W0001\",\"card\":true}",
	    FSY_EINVAL, "missing --name");
	refuse(&x, "referral.add", "{\"customer\":\"W0001\",\"name\":\"x\","
	    "\"card\":\"maybe\"}", FSY_EINVAL, "--card must be yes or no");
	fsy_store_close(st);
}

static void
test_policy_add(void **state)
{
	(void)state;
	fsy_store_t *st = replica("p.db", AG1);
	fsy_cmd_ctx_t x;
	cb_t cb;
	json_t *r, *d;

	ctx_init(&x, st, FSY_ROLE_AGENT, &cb);
	r = run(&x, "policy.add", "{\"customer\":\"W0001\",\"insurer\":\"国寿\","
	    "\"product\":\"鑫福\",\"product_type\":\"endowment\",\"premium\":"
	    "\"1,000.50\",\"pay_mode\":\"monthly\",\"payment_years\":10,"
	    "\"issue_date\":\"2025-03-01\",\"end_date\":\"2045-03-01\","
	    "\"sum_assured\":\"200000\"}", FSY_OK);
	d = data(r);
	assert_int_equal(iget(d, "external"), 1);
	assert_int_equal(iget(d, "modal_premium_fen"), 100050);
	assert_int_equal(iget(d, "annual_premium_fen"), 1200600);
	assert_int_equal(iget(d, "payment_years"), 10);
	assert_int_equal(iget(d, "sum_assured_fen"), 20000000);
	assert_int_equal(iget(d, "is_main"), 1);
	assert_string_equal(sget(d, "status"), "inforce");
	json_decref(r);
	r = run(&x, "policy.add", "{\"customer\":\"W0001\",\"insurer\":\"泰康\","
	    "\"product\":\"意外险\",\"product_type\":\"accident\",\"premium\":300,"
	    "\"pay_mode\":\"single\",\"rider\":true}", FSY_OK);
	assert_int_equal(iget(data(r), "annual_premium_fen"), 30000);
	assert_int_equal(iget(data(r), "payment_years"), 0);
	assert_int_equal(iget(data(r), "is_main"), 0);
	assert_true(json_is_null(json_object_get(data(r), "sum_assured_fen")));
	json_decref(r);
	r = run(&x, "card", "{\"customer\":\"W0001\"}", FSY_OK);
	assert_int_equal(json_array_size(json_object_get(data(r), "policies")), 4);
	json_decref(r);

#define POL "{\"customer\":\"W0001\",\"insurer\":\"x\",\"product\":\"y\"," \
	"\"product_type\":\"health\","
	refuse(&x, "policy.add", POL "\"premium\":\"100\",\"pay_mode\":"
	    "\"single\",\"payment_years\":5}", FSY_EINVAL, "--years must be 0");
	refuse(&x, "policy.add", POL "\"premium\":\"100\",\"pay_mode\":"
	    "\"annual\"}", FSY_EINVAL, "--years (the payment term");
	refuse(&x, "policy.add", POL "\"premium\":\"12.345\",\"pay_mode\":"
	    "\"annual\",\"payment_years\":5}", FSY_EINVAL,
	    "--premium must be an amount");
	refuse(&x, "policy.add", POL "\"premium\":\"-5\",\"pay_mode\":"
	    "\"annual\",\"payment_years\":5}", FSY_EINVAL,
	    "--premium must be an amount");
	refuse(&x, "policy.add", POL "\"premium\":\"100\",\"pay_mode\":"
	    "\"weekly\",\"payment_years\":5}", FSY_EINVAL,
	    "--pay must be one of annual, half, quarter, monthly, single");
	refuse(&x, "policy.add", POL "\"premium\":\"100\",\"pay_mode\":"
	    "\"annual\",\"payment_years\":101}", FSY_EINVAL,
	    "--years must be an integer from 0 to 100");
	refuse(&x, "policy.add", POL "\"premium\":\"100\",\"pay_mode\":"
	    "\"annual\",\"payment_years\":5,\"issue_date\":\"2025-01-01\","
	    "\"end_date\":\"2024-01-01\"}", FSY_EINVAL, "is before --issued");
	refuse(&x, "policy.add", "{\"customer\":\"W0001\",\"insurer\":\"x\","
	    "\"product\":\"y\",\"product_type\":\"car\",\"premium\":\"1\","
	    "\"pay_mode\":\"single\"}", FSY_EINVAL, "--type must be one of");
#undef POL
	fsy_store_close(st);
}

static void
test_edit(void **state)
{
	(void)state;
	fsy_store_t *st = replica("e.db", AG1);
	fsy_cmd_ctx_t x;
	cb_t cb;
	json_t *r, *d;

	ctx_init(&x, st, FSY_ROLE_AGENT, &cb);
	r = run(&x, "edit", "{\"customer\":\"W0001\",\"phone\":\"13811112222\","
	    "\"rating\":\"C\",\"group\":\"potential\",\"need_tags\":"
	    "\"Health, education,,\",\"income\":\"120,000.50\","
	    "\"recruit_interest\":\"yes\",\"facts\":\"两个孩子\"}", FSY_OK);
	d = data(r);
	assert_string_equal(sget(d, "phone"), "13811112222");
	assert_string_equal(sget(d, "rating"), "C");
	assert_string_equal(sget(d, "grp"), "potential");
	assert_string_equal(sget(d, "need_tags"), "health,education");
	assert_int_equal(iget(d, "income_fen"), 12000050);
	assert_int_equal(iget(d, "recruit_interest"), 1);
	assert_int_equal(json_array_size(json_object_get(d, "fields")), 7);
	json_decref(r);
	assert_int_equal(cb.syncs, 1);
	/* "" clears a field */
	r = run(&x, "edit", "{\"customer\":\"W0001\",\"phone\":\"\"}", FSY_OK);
	assert_true(json_is_null(json_object_get(data(r), "phone")));
	json_decref(r);
	assert_string_equal(tu_text(st, "SELECT ifnull(phone, 'null') FROM "
	    "customer WHERE id = '" CU1 "'"), "null");

	/* head-office columns are refused, whatever else is asked */
	refuse(&x, "edit", "{\"customer\":\"W0001\",\"star_level\":7}",
	    FSY_EREADONLY, "star_level is a head-office column");
	refuse(&x, "edit", "{\"customer\":\"W0001\",\"rating\":\"A\","
	    "\"owner_agent_id\":\"" AG2 "\"}", FSY_EREADONLY, "owner_agent_id");
	refuse(&x, "edit", "{\"customer\":\"W0001\",\"card_no\":\"W0002\"}",
	    FSY_EREADONLY, "card_no");
	refuse(&x, "edit", "{\"customer\":\"W0001\",\"vip_tier\":\"diamond\"}",
	    FSY_EREADONLY, "vip_tier");
	refuse(&x, "edit", "{\"customer\":\"W0001\",\"name\":\"王五\"}",
	    FSY_EINVAL, "unknown argument --name");
	refuse(&x, "edit", "{\"customer\":\"W0001\"}", FSY_EINVAL,
	    "nothing to change");
	refuse(&x, "edit", "{\"customer\":\"W0001\",\"rating\":\"E\"}",
	    FSY_EINVAL, "--rating must be one of A, B, C, D");
	refuse(&x, "edit", "{\"customer\":\"W0001\",\"need_tags\":\"医疗\"}",
	    FSY_EINVAL, "--need-tags must be a comma list");
	refuse(&x, "edit", "{\"customer\":\"W0001\",\"recruit_interest\":"
	    "\"perhaps\"}", FSY_EINVAL, "--recruit must be yes or no");
	fsy_store_close(st);
}

static void
test_agenda_status_sync(void **state)
{
	(void)state;
	fsy_store_t *st = replica("s.db", AG1);
	fsy_cmd_ctx_t x;
	cb_t cb;
	json_t *r, *d, *o;

	ctx_init(&x, st, FSY_ROLE_AGENT, &cb);
	r = run(&x, "agenda", NULL, FSY_OK);
	d = data(r);
	assert_string_equal(sget(d, "agent_id"), AG1);
	assert_string_equal(sget(d, "asof"), "2026-11-20");
	/* 李娜's premium is due 2026-11-25: a renewal reminder this week */
	o = find(json_object_get(d, "soon"), "kind", "renewal");
	assert_non_null(o);
	assert_string_equal(sget(o, "customer_id"), CU2);
	assert_string_equal(sget(o, "card_no"), "L0001");
	assert_string_equal(sget(o, "name"), "李娜");
	json_decref(r);
	r = run(&x, "agenda", "{\"as_of\":\"2026-11-26\"}", FSY_OK);
	assert_string_equal(sget(data(r), "asof"), "2026-11-26");
	assert_null(find(json_object_get(data(r), "soon"), "customer_id", CU2));
	json_decref(r);

	/* status: nothing pending yet; a write makes it pending */
	r = run(&x, "status", NULL, FSY_OK);
	d = data(r);
	assert_int_equal(iget(d, "pending"), 0);
	assert_int_equal(iget(d, "customers"), 3);
	assert_true(json_is_null(json_object_get(d, "last_sync_at")));
	assert_string_equal(sget(json_object_get(d, "sync"), "hub"),
	    "tls+tcp://hub.example:7400");
	json_decref(r);
	r = run(&x, "edit", "{\"customer\":\"W0001\",\"rating\":\"D\"}", FSY_OK);
	json_decref(r);
	tu_exec(st, "INSERT INTO rejection(seq, tbl, row_id, col, val, code, "
	    "reason, at) SELECT seq, 'customer', row_id, 'rating', val, -16, "
	    "'customer not owned by this agent', '2026-11-20T02:00:05Z' FROM "
	    "change_log ORDER BY seq DESC LIMIT 1");
	tu_exec(st, "INSERT INTO conflict_seen(id, customer_id, tbl, row_id, "
	    "col, winner_val, loser_val, detected_at, status) VALUES "
	    "('" KF1 "', '" CU1 "', 'customer', '" CU1 "', 'phone', 'a', 'b', "
	    "'2026-11-19T00:00:00Z', 'open')");
	tu_exec(st, "UPDATE change_log SET at = '2026-11-20T01:00:00Z'");
	r = run(&x, "status", NULL, FSY_OK);
	d = data(r);
	assert_true(iget(d, "pending") >= 1);
	assert_string_equal(sget(d, "oldest_pending_at"), "2026-11-20T01:00:00Z");
	assert_int_equal(iget(d, "oldest_pending_age_s"), 3600);
	assert_int_equal(iget(d, "rejection_count"), 1);
	o = json_array_get(json_object_get(d, "rejections"), 0);
	assert_string_equal(sget(o, "error"), "ENOTOWNER");
	assert_string_equal(sget(o, "card_no"), "W0001");
	assert_string_equal(sget(o, "val"), "D");
	assert_int_equal(json_array_size(json_object_get(d, "conflicts")), 1);
	assert_int_equal(cb.states, 2);
	json_decref(r);

	/* sync asks the daemon; a daemon without a hub says so */
	cb.syncs = 0;
	r = run(&x, "sync", NULL, FSY_OK);
	assert_true(json_is_true(json_object_get(data(r), "requested")));
	json_decref(r);
	assert_int_equal(cb.syncs, 1);
	x.sync_now = NULL;
	x.sync_state = NULL;
	refuse(&x, "sync", NULL, FSY_ESTATE, "no sync client");
	r = run(&x, "status", NULL, FSY_OK);
	assert_null(json_object_get(data(r), "sync"));
	json_decref(r);
	/* a write still works without the callbacks */
	r = run(&x, "need.add", "{\"customer\":\"W0001\",\"kind\":\"annuity\"}",
	    FSY_OK);
	json_decref(r);
	refuse(&x, "agenda", "{\"agent\":\"Z999\"}", FSY_ENOTFOUND, "no agent");
	fsy_store_close(st);
}

/* ---- tests: team leads ---------------------------------------------------- */

static void
test_lead_activity_and_forwarding(void **state)
{
	(void)state;
	fsy_store_t *st = replica("lead.db", LD1);
	fsy_cmd_ctx_t x;
	cb_t cb;
	json_t *r, *d, *v, *a, *fw;

	ctx_init(&x, st, FSY_ROLE_AGENT, &cb);
	x.lead = 1;
	/* the last 7 days: only the visit of 11-15, recorded 49 h later */
	r = run(&x, "team.activity", NULL, FSY_OK);
	d = data(r);
	assert_string_equal(sget(d, "since"), "2026-11-13");
	assert_string_equal(sget(d, "since_at"), "2026-11-12T16:00:00Z");
	assert_int_equal(json_array_size(json_object_get(d, "visits")), 1);
	v = json_array_get(json_object_get(d, "visits"), 0);
	assert_string_equal(sget(v, "id"), VI2);
	assert_string_equal(sget(v, "agent_code"), "A001");
	assert_string_equal(sget(v, "card_no"), "W0001");
	assert_int_equal(iget(v, "record_delay_s"), 49 * 3600);
	assert_int_equal(iget(v, "late_record"), 1);
	json_decref(r);
	r = run(&x, "team.activity", "{\"since\":\"2026-11-01\"}", FSY_OK);
	d = data(r);
	assert_int_equal(json_array_size(json_object_get(d, "visits")), 2);
	/* newest first; the visit of 11-10 was recorded after 3 h */
	v = json_array_get(json_object_get(d, "visits"), 1);
	assert_string_equal(sget(v, "id"), VI1);
	assert_int_equal(iget(v, "late_record"), 0);
	a = json_array_get(json_object_get(d, "agents"), 0);
	assert_string_equal(sget(a, "agent_id"), AG1);
	assert_int_equal(iget(a, "visits"), 2);
	assert_int_equal(iget(a, "late_records"), 1);
	json_decref(r);
	r = run(&x, "team.activity", "{\"since\":\"2026-11-01\",\"agent\":"
	    "\"" AG2 "\"}", FSY_OK);
	assert_int_equal(json_array_size(json_object_get(data(r), "visits")), 0);
	json_decref(r);
	refuse(&x, "team.activity", "{\"since\":\"11/01\"}", FSY_EINVAL,
	    "--since must be a date");

	/* conflicts go to head office; the reply comes back as it is */
	cb.forward_reply = "{\"ok\":true,\"data\":{\"status\":\"open\","
	    "\"conflicts\":[],\"count\":0,\"total\":0}}";
	r = run(&x, "conflicts", "{\"status\":\"open\"}", FSY_OK);
	assert_int_equal(iget(data(r), "total"), 0);
	json_decref(r);
	assert_int_equal(cb.forwards, 1);
	fw = json_loads(cb.forwarded, 0, NULL);
	assert_string_equal(sget(fw, "cmd"), "conflicts");
	assert_string_equal(sget(json_object_get(fw, "args"), "status"), "open");
	json_decref(fw);
	/* resolving is recorded in the lead's name; the hub's error comes
	 * back as the command's error */
	cb.forward_reply = "{\"ok\":false,\"code\":-5,\"error\":\"ENOTFOUND\","
	    "\"message\":\"no conflict " KF2 " among your team's customers\"}";
	refuse(&x, "conflict.resolve", "{\"conflict\":\"" KF2 "\",\"keep\":"
	    "\"loser\",\"by\":\"somebody\"}", FSY_ENOTFOUND,
	    "among your team's customers");
	fw = json_loads(cb.forwarded, 0, NULL);
	assert_string_equal(sget(json_object_get(fw, "args"), "by"), LD1);
	assert_string_equal(sget(json_object_get(fw, "args"), "keep"), "loser");
	json_decref(fw);
	/* arguments are checked before anything is sent */
	refuse(&x, "conflict.resolve", "{\"conflict\":\"" KF2 "\",\"keep\":"
	    "\"both\"}", FSY_EINVAL, "--keep must be one of winner, loser");
	assert_int_equal(cb.forwards, 2);
	/* offline */
	cb.forward_rc = FSY_ETIMEOUT;
	refuse(&x, "conflicts", NULL, FSY_ETIMEOUT, "try again when");
	x.forward = NULL;
	refuse(&x, "conflicts", NULL, FSY_ESTATE, "no connection");
	cb.forward_rc = FSY_OK;
	x.forward = cb_forward;
	cb.forward_reply = "garbage";
	refuse(&x, "conflicts", NULL, FSY_EPROTO, "malformed reply");
	fsy_store_close(st);
}

/* ---- tests: head office --------------------------------------------------- */

static void
test_hub_conflicts(void **state)
{
	(void)state;
	fsy_store_t *st = hub("hc.db");
	fsy_cmd_ctx_t x;
	cb_t cb;
	json_t *r, *d, *k;
	char sql[256];
	int phone = fsy_col_find(FSY_T_CUSTOMER, "phone");
	int64_t gseq;

	ctx_init(&x, st, FSY_ROLE_HUB, &cb);
	r = run(&x, "conflicts", NULL, FSY_OK);
	assert_int_equal(iget(data(r), "total"), 2);
	/* newest first, with the agents behind the device sites */
	k = json_array_get(json_object_get(data(r), "conflicts"), 0);
	assert_string_equal(sget(k, "id"), KF1);
	assert_string_equal(sget(k, "winner_agent"), "A001");
	assert_string_equal(sget(k, "loser_agent"), "A002");
	assert_string_equal(sget(k, "card_no"), "W0001");
	json_decref(r);

	/* a lead of team 1 sees and settles team 1's conflicts only */
	x.team_id = TM1;
	r = run(&x, "conflicts", NULL, FSY_OK);
	assert_int_equal(iget(data(r), "total"), 1);
	json_decref(r);
	refuse(&x, "conflict.resolve", "{\"conflict\":\"" KF2 "\",\"keep\":"
	    "\"loser\"}", FSY_ENOTFOUND, "among your team's customers");
	snprintf(sql, sizeof(sql), "SELECT max(gseq) FROM col_version");
	gseq = tu_int(st, sql);
	r = run(&x, "conflict.resolve", "{\"conflict\":\"" KF1 "\",\"keep\":"
	    "\"loser\",\"note\":\"客户确认\",\"by\":\"L001\"}", FSY_OK);
	d = data(r);
	assert_string_equal(sget(d, "column"), "phone");
	assert_string_equal(sget(d, "value"), "13800000001");
	assert_string_equal(sget(d, "previous"), "13800000009");
	assert_string_equal(sget(d, "resolved_by"), "lead L001");
	assert_string_equal(sget(d, "resolution"), "kept the loser value: 客户确认");
	json_decref(r);
	/* written through capture: a new version for laptops to pull */
	assert_string_equal(tu_text(st, "SELECT phone FROM customer WHERE id = '"
	    CU1 "'"), "13800000001");
	snprintf(sql, sizeof(sql), "SELECT val FROM col_version WHERE tbl = %d "
	    "AND row_id = '" CU1 "' AND col = %d AND gseq > %lld", FSY_T_CUSTOMER,
	    phone, (long long)gseq);
	assert_string_equal(tu_text(st, sql), "13800000001");
	assert_string_equal(tu_text(st, "SELECT status || ' ' || resolved_at "
	    "FROM conflict WHERE id = '" KF1 "'"), "resolved 2026-11-20T02:00:00Z");
	assert_int_equal(tu_int(st, "SELECT count(*) FROM audit WHERE action = "
	    "'conflict.resolve'"), 1);
	refuse(&x, "conflict.resolve", "{\"conflict\":\"" KF1 "\",\"keep\":"
	    "\"winner\"}", FSY_ESTATE, "resolved already, by lead L001");
	/* someone outside the team named as "by" is not believed */
	x.team_id = NULL;
	r = run(&x, "conflicts", "{\"status\":\"all\",\"customer\":\"Z0001\"}",
	    FSY_OK);
	assert_int_equal(iget(data(r), "total"), 1);
	json_decref(r);
	x.team_id = TM2;
	r = run(&x, "conflict.resolve", "{\"conflict\":\"" KF2 "\",\"keep\":"
	    "\"winner\",\"by\":\"L001\"}", FSY_OK);
	assert_string_equal(sget(data(r), "resolved_by"), "lead of team T02");
	assert_string_equal(sget(data(r), "value"), "新址");
	json_decref(r);
	x.team_id = NULL;
	r = run(&x, "conflicts", NULL, FSY_OK);
	assert_int_equal(iget(data(r), "total"), 0);
	json_decref(r);
	r = run(&x, "conflicts", "{\"status\":\"resolved\"}", FSY_OK);
	assert_int_equal(iget(data(r), "total"), 2);
	json_decref(r);
	refuse(&x, "conflict.resolve", "{\"conflict\":\"" NOBODY "\",\"keep\":"
	    "\"winner\"}", FSY_ENOTFOUND, "no conflict");
	refuse(&x, "conflict.resolve", "{\"conflict\":\"" KF1 "\"}", FSY_EINVAL,
	    "missing --keep");
	fsy_store_close(st);
}

static void
test_hub_roster_and_owners(void **state)
{
	(void)state;
	fsy_store_t *st = hub("hr.db");
	fsy_cmd_ctx_t x;
	cb_t cb;
	json_t *r, *d, *m;
	char id[FSY_UUID_STRLEN + 1];

	ctx_init(&x, st, FSY_ROLE_HUB, &cb);
	/* hire: the id import would give the same code */
	r = run(&x, "agent.hire", "{\"code\":\"A031\",\"name\":\"赵敏\","
	    "\"team\":\"T01\",\"performance\":80,\"hired_on\":\"2026-11-21\"}",
	    FSY_OK);
	d = data(r);
	fsy_uuid_v7(id);
	assert_true(fsy_uuid_valid(sget(d, "id")));
	assert_string_equal(sget(d, "team"), "T01");
	assert_string_equal(sget(d, "status"), "employed");
	assert_string_equal(sget(d, "role"), "agent");
	assert_string_equal(sget(d, "hired_on"), "2026-11-21");
	assert_int_equal(iget(d, "customers"), 0);
	json_decref(r);
	refuse(&x, "agent.hire", "{\"code\":\"A031\",\"name\":\"x\"}",
	    FSY_EEXISTS, "exists already");
	refuse(&x, "agent.hire", "{\"code\":\"A032\",\"name\":\"x\",\"team\":"
	    "\"T99\"}", FSY_ENOTFOUND, "no team T99");
	refuse(&x, "agent.hire", "{\"code\":\"A 1\",\"name\":\"x\"}", FSY_EINVAL,
	    "CODE must be");
	refuse(&x, "agent.hire", "{\"code\":\"A032\",\"name\":\"x\",\"role\":"
	    "\"boss\"}", FSY_EINVAL, "--role must be one of agent, lead, "
	    "service, renewal, admin");

	/* A001 leaves: W0001 goes to A002 (its other policy), L0001 (only
	 * A001's policy) to the service staff */
	r = run(&x, "agent.depart", "{\"agent\":\"A001\",\"date\":\"2026-11-22\"}",
	    FSY_OK);
	d = data(r);
	assert_string_equal(sget(json_object_get(d, "agent"), "status"),
	    "departed");
	assert_string_equal(sget(json_object_get(d, "agent"), "left_on"),
	    "2026-11-22");
	assert_int_equal(iget(d, "moved_count"), 3);
	m = json_object_get(d, "moved");
	assert_string_equal(sget(find(m, "customer_id", CU1), "to_agent"),
	    "A002");
	assert_string_equal(sget(find(m, "customer_id", CU2), "to_agent"),
	    "S001");
	assert_string_equal(sget(find(m, "customer_id", CU1), "rule"), "4");
	json_decref(r);
	assert_string_equal(tu_text(st, "SELECT owner_agent_id FROM customer "
	    "WHERE id = '" CU1 "'"), AG2);

	/* A002 disqualified: W0001 goes to the top performer of team 1
	 * (A031, 80, hired above) and A002 is banned from it */
	refuse(&x, "agent.disqualify", "{\"agent\":\"A002\"}", FSY_EINVAL,
	    "missing --reason");
	r = run(&x, "agent.disqualify", "{\"agent\":\"A002\",\"reason\":"
	    "\"selling customer data\"}", FSY_OK);
	d = data(r);
	assert_string_equal(sget(json_object_get(d, "agent"), "status"),
	    "disqualified");
	assert_string_equal(sget(find(json_object_get(d, "moved"), "customer_id",
	    CU1), "to_agent"), "A031");
	assert_string_equal(sget(find(json_object_get(d, "moved"), "customer_id",
	    CU1), "rule"), "5");
	json_decref(r);
	assert_int_equal(tu_int(st, "SELECT count(*) FROM owner_ban WHERE "
	    "customer_id = '" CU1 "' AND agent_id = '" AG2 "'"), 1);

	/* by hand, with a reason */
	r = run(&x, "assign", "{\"customer\":\"W0001\",\"agent\":\"A003\","
	    "\"reason\":\"客户要求\"}", FSY_OK);
	assert_string_equal(sget(data(r), "owner"), "A003");
	assert_string_equal(sget(data(r), "previous_owner"), "A031");
	json_decref(r);
	assert_string_equal(tu_text(st, "SELECT rule || reason FROM "
	    "ownership_history ORDER BY id DESC LIMIT 1"), "6客户要求");
	refuse(&x, "assign", "{\"customer\":\"W0001\",\"agent\":\"A003\"}",
	    FSY_EINVAL, "missing --reason");
	refuse(&x, "assign", "{\"customer\":\"W0001\",\"agent\":\"A404\","
	    "\"reason\":\"x\"}", FSY_ENOTFOUND, "no agent A404");
	refuse(&x, "assign", "{\"customer\":\"W0001\",\"agent\":\"A002\","
	    "\"reason\":\"x\"}", FSY_EDISQUALIFIED, "disqualified");
	refuse(&x, "agent.depart", "{\"agent\":\"A404\"}", FSY_ENOTFOUND,
	    "no agent A404");

	/* the rules again: the override stays */
	r = run(&x, "owners.recompute", NULL, FSY_OK);
	assert_true(iget(json_object_get(data(r), "stats"), "examined") >= 6);
	assert_null(find(json_object_get(data(r), "moved"), "customer_id", CU1));
	json_decref(r);
	assert_string_equal(tu_text(st, "SELECT owner_agent_id FROM customer "
	    "WHERE id = '" CU1 "'"), AG3);
	r = run(&x, "owners.recompute", "{\"customer\":\"Z0001\"}", FSY_OK);
	assert_int_equal(iget(json_object_get(data(r), "stats"), "examined"), 1);
	json_decref(r);
	fsy_store_close(st);
}

static void
test_hub_devices(void **state)
{
	(void)state;
	fsy_store_t *st = hub("hd.db");
	fsy_cmd_ctx_t x;
	cb_t cb;
	json_t *r, *d, *o;
	uint8_t sk[64], pk[32];
	char pkhex[65], sql[256], dev[40];

	ctx_init(&x, st, FSY_ROLE_HUB, &cb);
	assert_true(sodium_init() >= 0);
	r = run(&x, "device.issue", "{\"agent\":\"A003\",\"name\":\"孙三的电脑\"}",
	    FSY_OK);
	d = data(r);
	snprintf(dev, sizeof(dev), "%s", sget(d, "device_id"));
	assert_true(fsy_uuid_valid(dev));
	assert_string_equal(sget(d, "agent_id"), AG3);
	assert_string_equal(sget(d, "agent_code"), "A003");
	assert_string_equal(sget(d, "hub_id"), fsy_store_site(st));
	/* the secret key belongs to the public key head office keeps */
	assert_int_equal(fsy_unhex(sget(d, "secret_key"), sk, 64), FSY_OK);
	crypto_sign_ed25519_sk_to_pk(pk, sk);
	fsy_hex(pk, 32, pkhex);
	assert_string_equal(sget(d, "public_key"), pkhex);
	snprintf(sql, sizeof(sql), "SELECT pubkey || status FROM device WHERE "
	    "id = '%s'", dev);
	{
		char want[80];
		snprintf(want, sizeof(want), "%sactive", pkhex);
		assert_string_equal(tu_text(st, sql), want);
	}
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM device_state WHERE "
	    "device_id = '%s'", dev);
	assert_int_equal(tu_int(st, sql), 1);
	json_decref(r);
	tu_exec(st, "UPDATE agent SET status = 'departed' WHERE code = 'A002'");
	refuse(&x, "device.issue", "{\"agent\":\"A002\"}", FSY_ESTATE,
	    "agent A002 is departed");
	refuse(&x, "device.issue", "{}", FSY_EINVAL, "missing --agent");

	r = run(&x, "devices", "{\"agent\":\"A003\"}", FSY_OK);
	assert_int_equal(iget(data(r), "count"), 1);
	json_decref(r);
	r = run(&x, "devices", NULL, FSY_OK);
	assert_int_equal(iget(data(r), "count"), 3);
	json_decref(r);

	/* fleet: sync health per device */
	r = run(&x, "fleet", NULL, FSY_OK);
	d = data(r);
	assert_int_equal(iget(d, "count"), 3);
	assert_int_equal(iget(d, "pending"), 5);
	assert_int_equal(iget(d, "chains_broken"), 1);
	o = find(json_object_get(d, "devices"), "device_id", DV1);
	assert_string_equal(sget(o, "agent_code"), "A001");
	assert_int_equal(iget(o, "oldest_pending_age_s"), 86400);
	assert_int_equal(iget(o, "last_hello_age_s"), 3600);
	assert_int_equal(iget(o, "rejections"), 2);
	assert_int_equal(iget(o, "chain_ok"), 0);
	assert_string_equal(sget(o, "chain_error"), "seq 17: hash mismatch");
	json_decref(r);

	snprintf(sql, sizeof(sql), "{\"device\":\"%s\",\"reason\":\"lost\"}",
	    dev);
	r = run(&x, "device.revoke", sql, FSY_OK);
	assert_string_equal(sget(data(r), "status"), "revoked");
	assert_string_equal(sget(data(r), "revoke_reason"), "lost");
	json_decref(r);
	refuse(&x, "device.revoke", sql, FSY_ESTATE, "revoked already");
	refuse(&x, "device.revoke", "{\"device\":\"" NOBODY "\"}", FSY_ENOTFOUND,
	    "no device");
	refuse(&x, "device.revoke", "{\"device\":\"laptop-1\"}", FSY_EINVAL,
	    "DEVICE must be an id");
	r = run(&x, "devices", "{\"status\":\"revoked\"}", FSY_OK);
	assert_int_equal(iget(data(r), "count"), 1);
	json_decref(r);
	fsy_store_close(st);
}

static void
test_hub_cards(void **state)
{
	(void)state;
	fsy_store_t *st = hub("hk.db");
	fsy_cmd_ctx_t x;
	cb_t cb;
	json_t *r, *d;

	ctx_init(&x, st, FSY_ROLE_HUB, &cb);
	refuse(&x, "cards.number", "{\"initial\":\"S\"}", FSY_EINVAL,
	    "--initial needs --customer");
	r = run(&x, "cards.number", NULL, FSY_OK);
	d = data(r);
	/* 欧阳 -> O; 王小 replaces its provisional number, after W0001 */
	assert_int_equal(iget(d, "numbered"), 2);
	assert_string_equal(sget(find(json_object_get(d, "cards"), "customer_id",
	    CU6), "card_no"), "O0001");
	assert_string_equal(sget(find(json_object_get(d, "cards"), "customer_id",
	    CU7), "card_no"), "W0002");
	assert_string_equal(sget(find(json_object_get(d, "cards"), "customer_id",
	    CU7), "was"), "P-ABCD-0001");
	assert_int_equal(iget(d, "needs_initial_count"), 1);
	assert_non_null(find(json_object_get(d, "needs_initial"), "customer_id",
	    CU5));
	json_decref(r);
	assert_int_equal(tu_int(st, "SELECT card_provisional FROM customer WHERE "
	    "id = '" CU7 "'"), 0);
	refuse(&x, "cards.number", "{\"customer\":\"" CU5 "\"}", FSY_ESURNAME,
	    "--initial");
	r = run(&x, "cards.number", "{\"customer\":\"" CU5 "\",\"initial\":\"s\"}",
	    FSY_OK);
	assert_string_equal(sget(json_array_get(json_object_get(data(r), "cards"),
	    0), "card_no"), "S0001");
	json_decref(r);
	/* numbering twice changes nothing */
	r = run(&x, "cards.number", NULL, FSY_OK);
	assert_int_equal(iget(data(r), "numbered"), 0);
	json_decref(r);
	refuse(&x, "cards.number", "{\"customer\":\"W0001\",\"initial\":\"WW\"}",
	    FSY_EINVAL, "--initial must be 1 to 1");
	fsy_store_close(st);
}

static void
test_hub_coverage_tiers_summary(void **state)
{
	(void)state;
	fsy_store_t *st = hub("ht.db");
	fsy_cmd_ctx_t x;
	cb_t cb;
	json_t *r, *d, *t, *s;
	size_t i;
	int64_t sum = 0;

	ctx_init(&x, st, FSY_ROLE_HUB, &cb);
	r = run(&x, "coverage", NULL, FSY_OK);
	d = data(r);
	assert_string_equal(sget(d, "from"), "2026-01-01");
	assert_string_equal(sget(d, "to"), "2026-12-31");
	assert_string_equal(sget(d, "asof"), "2026-11-20");
	assert_non_null(json_object_get(d, "total"));
	assert_true(json_is_array(json_object_get(d, "agents")));
	json_decref(r);
	r = run(&x, "coverage", "{\"year\":2025,\"as_of\":\"2025-12-31\"}",
	    FSY_OK);
	assert_string_equal(sget(data(r), "from"), "2025-01-01");
	json_decref(r);
	r = run(&x, "coverage", "{\"from\":\"2026-03-01\",\"to\":\"2026-03-31\"}",
	    FSY_OK);
	assert_string_equal(sget(data(r), "to"), "2026-03-31");
	json_decref(r);
	refuse(&x, "coverage", "{\"year\":2026,\"from\":\"2026-01-01\"}",
	    FSY_EINVAL, "not both");
	refuse(&x, "coverage", "{\"from\":\"2026-04-01\",\"to\":\"2026-03-01\"}",
	    FSY_EINVAL, "is after --to");
	refuse(&x, "coverage", "{\"year\":\"next\"}", FSY_EINVAL,
	    "--year must be an integer");

	/* W0001 on the hub: 40,000 (health) + 10,000 (whole life of A002) =
	 * 50,000, exactly the lower bound of 3★ */
	r = run(&x, "tiers", "{\"customer\":\"W0001\"}", FSY_OK);
	t = find(json_object_get(data(r), "tiers"), "scheme", "star");
	assert_int_equal(iget(t, "score_fen"), 5000000);
	assert_string_equal(sget(t, "level_name"), "3★");
	assert_string_equal(sget(t, "next_name"), "4★");
	assert_int_equal(iget(t, "gap_fen"), 5000000);
	json_decref(r);
	r = run(&x, "tiers", NULL, FSY_OK);
	assert_int_equal(json_array_size(json_object_get(data(r), "schemes")), 2);
	s = find(json_object_get(data(r), "schemes"), "scheme", "star");
	assert_int_equal(iget(s, "customers"), 6);
	json_array_foreach(json_object_get(s, "levels"), i, t)
		sum += iget(t, "customers");
	assert_int_equal(sum + iget(s, "none"), 6);
	assert_int_equal(iget(find(json_object_get(s, "levels"), "name", "3★"),
	    "customers"), 1);
	json_decref(r);
	r = run(&x, "tiers", "{\"scheme\":\"vip\",\"agent\":\"A003\"}", FSY_OK);
	assert_int_equal(json_array_size(json_object_get(data(r), "schemes")), 1);
	assert_int_equal(iget(json_array_get(json_object_get(data(r), "schemes"),
	    0), "customers"), 1);
	json_decref(r);
	refuse(&x, "tiers", "{\"scheme\":\"gold\"}", FSY_ENOTFOUND,
	    "no tier scheme 'gold'");

	r = run(&x, "tiers.update", NULL, FSY_OK);
	assert_true(iget(json_object_get(data(r), "stats"), "writes") >= 2);
	json_decref(r);
	assert_int_equal(tu_int(st, "SELECT star_level FROM customer WHERE id = '"
	    CU1 "'"), 3);
	assert_int_equal(tu_int(st, "SELECT star_score_fen FROM customer WHERE "
	    "id = '" CU1 "'"), 5000000);

	r = run(&x, "summary", NULL, FSY_OK);
	d = data(r);
	assert_int_equal(iget(json_object_get(d, "owners"), "customers"), 6);
	assert_int_equal(json_array_size(json_object_get(d, "tiers")), 2);
	assert_int_equal(iget(json_object_get(d, "cards"), "numbered"), 3);
	assert_int_equal(iget(json_object_get(d, "cards"), "provisional"), 1);
	assert_int_equal(iget(json_object_get(d, "cards"), "unnumbered"), 2);
	assert_int_equal(iget(json_object_get(d, "devices"), "active"), 2);
	assert_int_equal(iget(d, "conflicts_open"), 2);
	json_decref(r);
	fsy_store_close(st);
}

static void
write_file(const char *dir, const char *name, const char *text)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
}

static void
test_hub_import(void **state)
{
	(void)state;
	fsy_store_t *st = tu_open("hi.db", FSY_ROLE_HUB, NULL);
	char good[300], bad[300], empty[300], args[400];
	fsy_cmd_ctx_t x;
	cb_t cb;
	json_t *r, *d, *f;

	snprintf(good, sizeof(good), "%s", tu_path("imp-good"));
	snprintf(bad, sizeof(bad), "%s", tu_path("imp-bad"));
	snprintf(empty, sizeof(empty), "%s", tu_path("imp-empty"));
	assert_int_equal(mkdir(good, 0700), 0);
	assert_int_equal(mkdir(bad, 0700), 0);
	assert_int_equal(mkdir(empty, 0700), 0);
#define AGENTS_H "agent_code,name,branch_code,branch_name,team_code," \
	"team_name,role,channel,status,hired_on,left_on,performance\n"
#define POLICIES_H "policy_no,customer_no,external,insurer,product," \
	"product_type,is_main,insured_name,pay_mode,modal_premium," \
	"payment_years,issue_date,next_due_date,end_date,survival_date,status," \
	"status_date,sum_assured,account_value,annuity_converted,beneficiary," \
	"soliciting_agent_code\n"
	write_file(good, "agents.csv", AGENTS_H
	    "A100,刘一,B01,北京,T01,一组,agent,agency,employed,2020-01-01,,50\n"
	    "S100,吴服务,B01,北京,,,service,agency,employed,2020-01-01,,0\n");
	write_file(good, "customers.csv", "customer_no,name,gender,birth_date,"
	    "id_number,phone,address,occupation,income\n"
	    "C1,王芳,F,,,,,,\nC2,欧阳明,M,,,,,,\n");
	write_file(good, "policies.csv", POLICIES_H
	    "P1,C1,0,,康宁,health,1,,annual,20000,20,2024-06-01,,,,inforce,,,,0,,"
	    "A100\n"
	    "P2,C2,0,,福寿,whole_life,1,,annual,1000,10,2020-01-01,,,,inforce,,,,"
	    "0,,A100\n");
	write_file(bad, "agents.csv", AGENTS_H
	    "A200,x,B02,y,,,agent,agency,employed,,,\n");
	write_file(bad, "policies.csv", POLICIES_H
	    "P9,C404,0,,x,health,1,,annual,abc,10,2024-01-01,,,,inforce,,,,0,,"
	    "\n");
#undef AGENTS_H
#undef POLICIES_H

	ctx_init(&x, st, FSY_ROLE_HUB, &cb);
	snprintf(args, sizeof(args), "{\"dir\":\"%s\"}", good);
	r = run(&x, "import", args, FSY_OK);
	d = data(r);
	f = find(json_object_get(d, "files"), "file", "customers.csv");
	assert_true(json_is_true(json_object_get(f, "present")));
	assert_int_equal(iget(f, "inserted"), 2);
	f = find(json_object_get(d, "files"), "file", "persons.csv");
	assert_false(json_is_true(json_object_get(f, "present")));
	/* then owners by the rules, card numbers and tiers */
	d = json_object_get(d, "derived");
	assert_int_equal(iget(json_object_get(d, "owners"), "changed"), 2);
	assert_int_equal(iget(json_object_get(d, "cards"), "numbered"), 2);
	assert_true(iget(json_object_get(d, "tiers"), "writes") >= 1);
	json_decref(r);
	assert_string_equal(tu_text(st, "SELECT group_concat(card_no, ' ') FROM "
	    "(SELECT card_no FROM customer ORDER BY card_no)"), "O0001 W0001");
	assert_int_equal(tu_int(st, "SELECT count(*) FROM customer c JOIN agent a "
	    "ON a.id = c.owner_agent_id WHERE a.code = 'A100'"), 2);
	/* again: nothing new */
	r = run(&x, "import", args, FSY_OK);
	f = find(json_object_get(data(r), "files"), "file", "policies.csv");
	assert_int_equal(iget(f, "unchanged"), 2);
	json_decref(r);
	/* without the derived steps */
	snprintf(args, sizeof(args), "{\"dir\":\"%s\",\"derive\":false}", good);
	r = run(&x, "import", args, FSY_OK);
	assert_true(json_is_null(json_object_get(data(r), "derived")));
	json_decref(r);

	/* a bad row: nothing at all changes */
	snprintf(args, sizeof(args), "{\"dir\":\"%s\"}", bad);
	refuse(&x, "import", args, FSY_ECSV, "policies.csv:2");
	snprintf(args, sizeof(args), "{\"dir\":\"%s\"}", empty);
	refuse(&x, "import", args, FSY_ENOTFOUND, "nothing was changed");
	refuse(&x, "import", "{\"dir\":\"relative/dir\"}", FSY_EINVAL,
	    "DIR must be an absolute path");
	refuse(&x, "import", "{}", FSY_EINVAL, "missing DIR");
	fsy_store_close(st);
}

static int
teardown(void **state)
{
	(void)state;
	tu_cleanup();
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_malformed_requests),
		cmocka_unit_test(test_where_commands_run),
		cmocka_unit_test(test_customers_filters),
		cmocka_unit_test(test_card_whole),
		cmocka_unit_test(test_visit_add),
		cmocka_unit_test(test_family),
		cmocka_unit_test(test_need_and_referral),
		cmocka_unit_test(test_policy_add),
		cmocka_unit_test(test_edit),
		cmocka_unit_test(test_agenda_status_sync),
		cmocka_unit_test(test_lead_activity_and_forwarding),
		cmocka_unit_test(test_hub_conflicts),
		cmocka_unit_test(test_hub_roster_and_owners),
		cmocka_unit_test(test_hub_devices),
		cmocka_unit_test(test_hub_cards),
		cmocka_unit_test(test_hub_coverage_tiers_summary),
		cmocka_unit_test(test_hub_import),
	};
	return cmocka_run_group_tests(tests, NULL, teardown);
}
