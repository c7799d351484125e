/*
 * fuzz_util.h — helpers shared by the libFuzzer harnesses (header only:
 * each harness is one translation unit, see CMakeLists.txt).
 *
 * The fixture: a hub with two teams, agents A1, A2 (team T1), A3 (T2) and
 * lead L1 (T1), six customers with their families and policies, a device
 * for A1 and one for L1 with fixed keys, and A1's laptop replica synced in
 * process. Ids are fixed, so that committed seed frames keep their
 * meaning. Databases live in the current directory (run_fuzz.sh runs each
 * harness in a scratch directory); templates are made once per process
 * and copied back whenever an input changed a database.
 */
#ifndef FSY_FUZZ_UTIL_H
#define FSY_FUZZ_UTIL_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "proto.h"
#include "rows.h"
#include "store.h"
#include "sync.h"

#define FZ_ID(x) "0190f0f0-0000-7000-8000-0000000000" x
#define FZ_A1 FZ_ID("a1")
#define FZ_A2 FZ_ID("a2")
#define FZ_A3 FZ_ID("a3")
#define FZ_L1 FZ_ID("f1")
#define FZ_D1 FZ_ID("d1")  /* A1's laptop */
#define FZ_DL FZ_ID("d2")  /* L1's laptop */
#define FZ_NCUST 6

static void fz_die(const char *fmt, ...) __attribute__((format(printf, 1, 2),
    noreturn));

static void
fz_die(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "fuzz: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
	abort();
}

static void
fz_customer_id(int i, char out[37])
{
	snprintf(out, 37, "0190f0f1-0000-7000-8000-%012d", i + 1);
}

static void
fz_exec(fsy_store_t *st, const char *sql)
{
	if (fsy_store_exec(st, sql) != FSY_OK)
		fz_die("%s: %s", sql, fsy_store_errmsg(st));
}

/* The device key of D1 (or DL): derived from a fixed seed. */
static void
fz_device_key(int lead, uint8_t pk[32], uint8_t sk[64])
{
	uint8_t seed[32];
	memset(seed, lead ? 0x5b : 0x5a, sizeof(seed));
	crypto_sign_seed_keypair(pk, sk, seed);
}

static fsy_store_t *
fz_open(const char *path, fsy_role_t role, const char *site)
{
	fsy_store_t *st = NULL;
	char err[512];

	if (fsy_store_open(path, role, site, &st, err, sizeof(err)) != FSY_OK)
		fz_die("open %s: %s", path, err);
	fz_exec(st, "PRAGMA synchronous = OFF");
	return st;
}

static void
fz_remove_db(const char *path)
{
	char p[512];
	unlink(path);
	snprintf(p, sizeof(p), "%s-wal", path);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", path);
	unlink(p);
}

/* Copies a closed database (WAL checkpointed away by the close). */
static void
fz_copy(const char *from, const char *to)
{
	char buf[65536];
	FILE *in, *out;
	size_t n;

	fz_remove_db(to);
	if ((in = fopen(from, "rb")) == NULL || (out = fopen(to, "wb")) == NULL)
		fz_die("copy %s to %s", from, to);
	while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
		if (fwrite(buf, 1, n, out) != n)
			fz_die("write %s", to);
	fclose(in);
	if (fclose(out) != 0)
		fz_die("close %s", to);
}

/* One sync round of a replica against a hub, in process. */
static int
fz_round(fsy_hub_t *hub, fsy_store_t *rep, const uint8_t sk[64],
    void (*tap)(void *arg, const fsy_buf_t *req), void *arg)
{
	fsy_agent_session_t s;
	fsy_hub_conn_t conn;
	fsy_buf_t req = {0}, out = {0};
	fsy_msg_t m;
	int rc, done = 0, n = 0;

	memset(&conn, 0, sizeof(conn));
	fsy_agent_session_init(&s, rep, sk);
	rc = fsy_agent_session_start(&s, &req);
	while (rc == FSY_OK && !done && n++ < 1000) {
		if (tap)
			tap(arg, &req);
		if ((rc = fsy_msg_decode(req.data, req.len, &m)) != FSY_OK)
			break;
		rc = fsy_hub_handle(hub, &conn, &m, &out);
		fsy_msg_free(&m);
		if (rc != FSY_OK)
			break;
		if ((rc = fsy_msg_decode(out.data, out.len, &m)) != FSY_OK)
			break;
		rc = fsy_agent_session_step(&s, &m, &req, &done);
		fsy_msg_free(&m);
	}
	fsy_agent_session_fini(&s);
	fsy_buf_free(&req);
	fsy_buf_free(&out);
	return rc;
}

/* Builds the hub template at hub_path and A1's replica at lap_path (both
 * closed when this returns). */
static void
fz_fixture(const char *hub_path, const char *lap_path)
{
	static const char *const owner[FZ_NCUST] = {FZ_A1, FZ_A1, FZ_A1, FZ_A2,
	    FZ_A2, FZ_A3};
	static const char *const surname[FZ_NCUST] = {"王", "李", "张", "刘",
	    "陈", "杨"};
	uint8_t pk[32], sk[64], pkl[32], skl[64];
	fsy_store_t *h, *l;
	fsy_hub_t hub;
	char sql[2048], c[37];

	if (sodium_init() < 0)
		fz_die("sodium_init");
	fz_remove_db(hub_path);
	fz_remove_db(lap_path);
	h = fz_open(hub_path, FSY_ROLE_HUB, NULL);
	fz_exec(h, "INSERT INTO branch(id, code, name) VALUES ('b1','B1','北京');"
	    "INSERT INTO team(id, branch_id, code, name) VALUES "
	    "('t1','b1','T1','一组'), ('t2','b1','T2','二组');"
	    "INSERT INTO agent(id, code, name, team_id, role, hired_on, "
	    "performance) VALUES "
	    "('" FZ_A1 "','A1','甲','t1','agent','2015-01-01',60),"
	    "('" FZ_A2 "','A2','乙','t1','agent','2016-01-01',50),"
	    "('" FZ_A3 "','A3','丙','t2','agent','2017-01-01',40),"
	    "('" FZ_L1 "','L1','丁','t1','lead','2010-01-01',70)");
	for (int i = 0; i < FZ_NCUST; i++) {
		fz_customer_id(i, c);
		snprintf(sql, sizeof(sql),
		    "INSERT INTO customer(id, customer_id, card_no, name, gender, "
		    "birth_date, phone, rating, owner_agent_id, owner_since) VALUES "
		    "('%s','%s','W%04d','%s%s','F','1980-05-0%d','1390000%04d','B',"
		    "'%s','2020-01-01T00:00:00Z');"
		    "INSERT INTO person(id, customer_id, relation, name) VALUES "
		    "('0190f0f2-0000-7000-8000-%012d','%s','spouse','配偶%d');"
		    "INSERT INTO policy(id, customer_id, policy_no, product, "
		    "product_type, pay_mode, modal_premium_fen, annual_premium_fen, "
		    "payment_years, issue_date, status, soliciting_agent_id) VALUES "
		    "('0190f0f3-0000-7000-8000-%012d','%s','P%06d','康宁终身',"
		    "'health','annual',2000000,2000000,20,'2020-03-01','inforce','%s')",
		    c, c, i + 1, surname[i], "某", i + 1, i + 1, owner[i], i + 1, c,
		    i + 1, i + 1, c, i + 1, owner[i]);
		fz_exec(h, sql);
	}
	fz_device_key(0, pk, sk);
	fz_device_key(1, pkl, skl);
	if (fsy_hub_device_add(h, FZ_D1, FZ_A1, pk, "fuzz") != FSY_OK ||
	    fsy_hub_device_add(h, FZ_DL, FZ_L1, pkl, "fuzz-lead") != FSY_OK)
		fz_die("device_add");
	fsy_hub_init(&hub, h);
	l = fz_open(lap_path, FSY_ROLE_AGENT, FZ_D1);
	if (fz_round(&hub, l, sk, NULL, NULL) != FSY_OK)
		fz_die("the fixture's first sync failed");
	fsy_hub_fini(&hub);
	fsy_store_close(l);
	fsy_store_close(h);
}

/* SHA-256 over the results of queries and the content of every
 * replicated row. */
static void
fz_digest(fsy_store_t *st, const char *const *queries, uint8_t out[32])
{
	crypto_hash_sha256_state s;
	uint8_t content[32];
	sqlite3 *db = fsy_store_db(st);

	crypto_hash_sha256_init(&s);
	for (; *queries; queries++) {
		sqlite3_stmt *q;
		if (sqlite3_prepare_v2(db, *queries, -1, &q, NULL) != SQLITE_OK)
			fz_die("%s: %s", *queries, sqlite3_errmsg(db));
		while (sqlite3_step(q) == SQLITE_ROW)
			for (int c = 0; c < sqlite3_column_count(q); c++) {
				const unsigned char *t = sqlite3_column_text(q, c);
				int n = sqlite3_column_bytes(q, c);
				crypto_hash_sha256_update(&s, t ? t :
				    (const unsigned char *)"\x01", t ? (unsigned)n : 1);
				crypto_hash_sha256_update(&s,
				    (const unsigned char *)"\0", 1);
			}
		sqlite3_finalize(q);
	}
	if (fsy__content_hash(st, "1", NULL, content) != FSY_OK)
		fz_die("content hash: %s", fsy_store_errmsg(st));
	crypto_hash_sha256_update(&s, content, 32);
	crypto_hash_sha256_final(&s, out);
}

static const char *const fz_hub_queries[] = {
	"SELECT tbl, row_id, col, quote(val), hlc, site, gseq FROM col_version "
	"ORDER BY tbl, row_id, col",
	"SELECT device_id, push_seq, hex(chain_hash), chain_ok, pull_cursor, "
	"rejections FROM device_state ORDER BY 1",
	"SELECT * FROM device_scope ORDER BY 1, 2",
	"SELECT device_id, seq, code FROM rejected_change ORDER BY 1, 2",
	"SELECT * FROM device ORDER BY id",
	"SELECT * FROM agent ORDER BY id",
	"SELECT * FROM team ORDER BY id",
	"SELECT * FROM branch ORDER BY id",
	"SELECT count(*) FROM conflict",
	"SELECT count(*) FROM ownership_history",
	"SELECT * FROM owner_ban ORDER BY 1, 2",
	"SELECT * FROM card_seq ORDER BY 1",
	NULL,
};

static const char *const fz_lap_queries[] = {
	"SELECT seq, tbl, row_id, col, quote(val), hlc, hex(hash), redacted "
	"FROM change_log ORDER BY seq",
	"SELECT key, value FROM meta WHERE key NOT IN ('hlc', 'last_sync_ms') "
	"ORDER BY key",
	"SELECT * FROM rejection ORDER BY seq",
	NULL,
};

#endif
