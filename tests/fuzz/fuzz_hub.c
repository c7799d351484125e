/*
 * fuzz_hub.c — libFuzzer harness for the hub's sync engine: decoded
 * frames handed to fsy_hub_handle() on one connection, as a device's
 * requests arrive.
 *
 * Input: byte 0 picks the connection — bit 0: already authenticated (as
 * A1's laptop D1, or with bit 1 as lead L1's laptop), else a new
 * connection that must do the handshake; then up to 8 frames, each a
 * 2-byte big-endian length and that many bytes. Frames that do not decode
 * are refused by the decoder (fuzz_proto covers it) and skipped.
 *
 * Must hold: the engine answers OK or ECLOSED with a reply that decodes;
 * after ECLOSED the input ends (the daemon drops the connection);
 * an ERROR reply to PUSH, PULL or CTL changed nothing at the hub; PRAGMA
 * integrity_check stays ok. The hub is copied back from its template
 * after an input that changed it (tests/fuzz/fuzz_util.h: the fixture).
 *
 * Seeds: tests/fuzz/corpus/hub/, made by running this harness with
 * FSY_FUZZ_MKSEEDS=DIR: the frames of A1's laptop syncing edits, a new
 * card, visits, refused writes (a head-office column, another agent's
 * customer), its pulls, and a lead's query.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static fsy_store_t *st;
static fsy_hub_t hub;

static void
reopen(void)
{
	fsy_hub_fini(&hub);
	fsy_store_close(st);
	fz_copy("fz_hub.tmpl", "fz_hub.db");
	st = fz_open("fz_hub.db", FSY_ROLE_HUB, NULL);
	fsy_hub_init(&hub, st);
}

/* ---- seeds ------------------------------------------------------------------ */

typedef struct rec {
	uint8_t all[65536];
	size_t n;
	const char *dir;
	int k;
} rec_t;

static void
write_seed(const char *dir, const char *name, const uint8_t *p, size_t n)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((f = fopen(path, "wb")) == NULL || fwrite(p, 1, n, f) != n ||
	    fclose(f) != 0)
		fz_die("cannot write %s", path);
}

/* Keeps every request of a round: one seed per frame (authenticated
 * connection), and the whole round in one (a new connection). */
static void
tap(void *arg, const fsy_buf_t *req)
{
	rec_t *r = arg;
	uint8_t one[8192];
	char name[64];

	if (req->len + 3 > sizeof(one) || r->n + req->len + 2 > sizeof(r->all))
		return;
	one[0] = 1;
	one[1] = (uint8_t)(req->len >> 8);
	one[2] = (uint8_t)req->len;
	memcpy(one + 3, req->data, req->len);
	snprintf(name, sizeof(name), "frame-%02d-%s.bin", r->k++,
	    fsy_msg_type_name(req->data[2]));
	write_seed(r->dir, name, one, req->len + 3);
	r->all[r->n++] = (uint8_t)(req->len >> 8);
	r->all[r->n++] = (uint8_t)req->len;
	memcpy(r->all + r->n, req->data, req->len);
	r->n += req->len;
}

static void
make_seeds(const char *dir)
{
	uint8_t pk[32], sk[64];
	fsy_store_t *lap;
	rec_t *r = calloc(1, sizeof(*r));
	char sql[2048], c0[37], c3[37];
	fsy_msg_t m;
	fsy_buf_t b = {0};
	uint8_t one[512];

	if (r == NULL)
		fz_die("out of memory");
	fz_fixture("fz_seed_hub.db", "fz_seed_lap.db");
	st = fz_open("fz_seed_hub.db", FSY_ROLE_HUB, NULL);
	fsy_hub_init(&hub, st);
	lap = fz_open("fz_seed_lap.db", FSY_ROLE_AGENT, FZ_D1);
	fz_customer_id(0, c0);
	fz_customer_id(3, c3);
	snprintf(sql, sizeof(sql),
	    "UPDATE customer SET phone = '13711112222', rating = 'A' WHERE id = "
	    "'%s';"
	    "UPDATE customer SET star_level = 7 WHERE id = '%s';"
	    "INSERT INTO visit(id, customer_id, agent_id, device_id, happened_at, "
	    "recorded_at, channel, topic, customer_said) VALUES "
	    "('0190f0f4-0000-7000-8000-000000000001','%s','" FZ_A1 "','" FZ_D1 "',"
	    "'2026-11-17T02:00:00Z','2026-11-17T03:00:00Z','visit','birthday',"
	    "'想了解年金');"
	    "INSERT INTO need(id, customer_id, kind, note) VALUES "
	    "('0190f0f4-0000-7000-8000-000000000002','%s','annuity','退休');"
	    "INSERT INTO need(id, customer_id, kind) VALUES "
	    "('0190f0f4-0000-7000-8000-000000000003','%s','life');"
	    "INSERT INTO customer(id, customer_id, card_no, card_provisional, "
	    "name, phone) VALUES ('0190f0f4-0000-7000-8000-000000000004',"
	    "'0190f0f4-0000-7000-8000-000000000004','P-00d1-0001',1,'赵新',"
	    "'13600000000')",
	    c0, c0, c0, c0, c3);
	fz_exec(lap, sql);
	r->dir = dir;
	fz_device_key(0, pk, sk);
	r->all[r->n++] = 0; /* a new connection: the handshake first */
	if (fz_round(&hub, lap, sk, tap, r) != FSY_OK)
		fz_die("the seed round failed");
	write_seed(dir, "round.bin", r->all, r->n);
	/* a lead's query, already authenticated */
	memset(&m, 0, sizeof(m));
	m.type = FSY_MSG_CTL;
	m.u.ctl.json = "{\"cmd\":\"conflicts\",\"args\":{}}";
	m.u.ctl.len = strlen(m.u.ctl.json);
	if (fsy_msg_encode(&m, 0, &b) != FSY_OK || b.len + 3 > sizeof(one))
		fz_die("encode CTL");
	one[0] = 3;
	one[1] = (uint8_t)(b.len >> 8);
	one[2] = (uint8_t)b.len;
	memcpy(one + 3, b.data, b.len);
	write_seed(dir, "lead-ctl.bin", one, b.len + 3);
	fsy_buf_free(&b);
	fsy_store_close(lap);
	fsy_hub_fini(&hub);
	fsy_store_close(st);
	st = NULL;
	free(r);
}

/* ---- the harness ------------------------------------------------------------ */

static int
is_request(int type)
{
	return type == FSY_MSG_PUSH || type == FSY_MSG_PULL || type == FSY_MSG_CTL;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	static uint8_t tmpl[32];
	fsy_hub_conn_t conn;
	uint8_t before[32], after[32];
	size_t off = 1;
	int closed = 0, touched = 0;

	if (!ready) {
		const char *dir = getenv("FSY_FUZZ_MKSEEDS");
		if (dir) {
			make_seeds(dir);
			exit(0);
		}
		fz_fixture("fz_hub.tmpl", "fz_hub_lap.tmpl");
		reopen();
		fz_digest(st, fz_hub_queries, tmpl);
		ready = 1;
	}
	if (size < 1)
		return 0;
	memset(&conn, 0, sizeof(conn));
	if (data[0] & 1) {
		conn.authed = 1;
		conn.lead = (data[0] & 2) != 0;
		snprintf(conn.device_id, 37, "%s", conn.lead ? FZ_DL : FZ_D1);
		snprintf(conn.agent_id, 37, "%s", conn.lead ? FZ_L1 : FZ_A1);
		snprintf(conn.team_id, 37, "t1");
	}
	hub.ctl = NULL;
	for (int k = 0; k < 8 && off + 2 <= size && !closed; k++) {
		size_t len = (size_t)data[off] << 8 | data[off + 1];
		fsy_buf_t out = {0};
		fsy_msg_t m, r;
		int rc;

		off += 2;
		if (len > size - off)
			len = size - off;
		rc = fsy_msg_decode(data + off, len, &m);
		off += len;
		if (rc != FSY_OK)
			continue;
		fz_digest(st, fz_hub_queries, before);
		rc = fsy_hub_handle(&hub, &conn, &m, &out);
		if (rc != FSY_OK && rc != FSY_ECLOSED)
			fz_die("hub_handle answered %s", fsy_errname(rc));
		if (fsy_msg_decode(out.data, out.len, &r) != FSY_OK)
			fz_die("the reply to %s does not decode",
			    fsy_msg_type_name(m.type));
		fz_digest(st, fz_hub_queries, after);
		if (r.type == FSY_MSG_ERROR && is_request(m.type) &&
		    memcmp(before, after, 32) != 0)
			fz_die("ERROR %s to %s, and the hub changed",
			    fsy_errname(r.u.error.code), fsy_msg_type_name(m.type));
		if (r.type == FSY_MSG_ERROR && r.u.error.message[0] == '\0')
			fz_die("ERROR %s without a message", fsy_errname(r.u.error.code));
		touched |= memcmp(before, after, 32) != 0;
		closed = rc == FSY_ECLOSED;
		fsy_msg_free(&r);
		fsy_msg_free(&m);
		fsy_buf_free(&out);
	}
	if (touched) {
		sqlite3_stmt *q;
		if (sqlite3_prepare_v2(fsy_store_db(st), "PRAGMA quick_check", -1,
		    &q, NULL) != SQLITE_OK || sqlite3_step(q) != SQLITE_ROW ||
		    strcmp((const char *)sqlite3_column_text(q, 0), "ok") != 0)
			fz_die("quick_check failed");
		sqlite3_finalize(q);
		reopen();
	}
	return 0;
}
