/*
 * test_fault_frames.c — bad input on the wire: malformed, truncated,
 * oversized, wrong-version and replayed frames, requests out of order or
 * with impossible content, and a device writing to customers it does not
 * own. Each is refused with an error that says what is wrong, and changes
 * nothing at the hub (a digest of everything sync depends on is compared
 * before and after). The libFuzzer harnesses in tests/fuzz/ go further
 * with random input; this is the list of cases that must hold exactly.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "rows.h"
#include "tu_fault.h"
#include "tu_sync.h"
#include "util.h"

#define A1 "0190e000-0000-7000-8000-0000000000a1"
#define A2 "0190e000-0000-7000-8000-0000000000a2"

typedef struct frames {
	fsy_buf_t f[64];
	int n;
} frames_t;

typedef struct logbuf {
	char text[8192];
	int lines;
} logbuf_t;

static tu_hub_t H;
static tu_agent_t L1, L2;
static char C1[37], C2[37];
static logbuf_t LOG;

static void
hub_log(void *arg, int level, const char *msg)
{
	logbuf_t *l = arg;
	size_t n = strlen(l->text);
	(void)level;
	snprintf(l->text + n, sizeof(l->text) - n, "%s\n", msg);
	l->lines++;
}

static int
setup(void **state)
{
	(void)state;
	tu_cleanup();
	memset(&LOG, 0, sizeof(LOG));
	tu_hub_open(&H, "hub.db");
	H.hub.log = hub_log;
	H.hub.log_arg = &LOG;
	tu_hub_agent(&H, A1, "A1", "t1", "agent");
	tu_hub_agent(&H, A2, "A2", "t1", "agent");
	tu_hub_customer(&H, C1, "王一", A1, A1);
	tu_hub_customer(&H, C2, "李二", A2, A2);
	tu_agent_open(&H, &L1, "l1.db", A1);
	tu_agent_open(&H, &L2, "l2.db", A2);
	tu_sync_ok(&H, &L1);
	tu_sync_ok(&H, &L2);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	tu_agent_close(&L1);
	tu_agent_close(&L2);
	tu_hub_close(&H);
	tu_cleanup();
	return 0;
}

/* SHA-256 over every row sync depends on (timestamps left out). */
static void
digest(uint8_t out[32])
{
	static const char *const q[] = {
		"SELECT tbl, row_id, col, customer_id, quote(val), hlc, site, gseq "
		"FROM col_version ORDER BY tbl, row_id, col",
		"SELECT device_id, push_seq, hex(chain_hash), chain_ok, "
		"pull_cursor, rejections FROM device_state ORDER BY device_id",
		"SELECT * FROM device_scope ORDER BY device_id, customer_id",
		"SELECT device_id, seq, code FROM rejected_change ORDER BY 1, 2",
		"SELECT count(*) FROM conflict",
		"SELECT id, status FROM device ORDER BY id",
	};
	crypto_hash_sha256_state h;
	uint8_t content[32];
	sqlite3 *db = fsy_store_db(H.st);

	crypto_hash_sha256_init(&h);
	for (size_t i = 0; i < sizeof(q) / sizeof(q[0]); i++) {
		sqlite3_stmt *s;
		assert_int_equal(sqlite3_prepare_v2(db, q[i], -1, &s, NULL), SQLITE_OK);
		while (sqlite3_step(s) == SQLITE_ROW)
			for (int c = 0; c < sqlite3_column_count(s); c++) {
				const unsigned char *t = sqlite3_column_text(s, c);
				crypto_hash_sha256_update(&h, t ? t : (const unsigned char *)"\x01",
				    t ? (unsigned long long)sqlite3_column_bytes(s, c) : 1);
				crypto_hash_sha256_update(&h, (const unsigned char *)"\0", 1);
			}
		sqlite3_finalize(s);
	}
	assert_int_equal(fsy__content_hash(H.st, "1", NULL, content), FSY_OK);
	crypto_hash_sha256_update(&h, content, 32);
	crypto_hash_sha256_final(&h, out);
}

/* One round of a, every request frame kept in fr. */
static void
record_round(tu_agent_t *a, frames_t *fr)
{
	fsy_hub_conn_t conn;
	fsy_buf_t req = {0}, rep = {0};
	fsy_msg_t m;
	int done = 0;

	memset(&conn, 0, sizeof(conn));
	fr->n = 0;
	assert_int_equal(fsy_agent_session_start(&a->sess, &req), FSY_OK);
	while (!done) {
		assert_true(fr->n < 64);
		fsy_buf_t *k = &fr->f[fr->n++];
		k->data = malloc(req.len);
		assert_non_null(k->data);
		memcpy(k->data, req.data, req.len);
		k->len = k->cap = req.len;
		assert_int_equal(fsy_msg_decode(req.data, req.len, &m), FSY_OK);
		assert_int_equal(fsy_hub_handle(&H.hub, &conn, &m, &rep), FSY_OK);
		fsy_msg_free(&m);
		assert_int_equal(fsy_msg_decode(rep.data, rep.len, &m), FSY_OK);
		assert_int_equal(fsy_agent_session_step(&a->sess, &m, &req, &done),
		    FSY_OK);
		if (fsy_agent_session_deferred(&a->sess))
			assert_int_equal(fsy_agent_session_apply(&a->sess, &m),
			    FSY_OK);
		fsy_msg_free(&m);
	}
	fsy_buf_free(&req);
	fsy_buf_free(&rep);
}

static void
frames_free(frames_t *fr)
{
	for (int i = 0; i < fr->n; i++)
		fsy_buf_free(&fr->f[i]);
	fr->n = 0;
}

/* Hands one frame to the hub as the daemon does (hubnet.c): a frame that
 * does not decode is answered with an ERROR naming the decoder's code.
 * Returns the reply's type; *code and msg get an ERROR's code and text. */
static int
deliver(fsy_hub_conn_t *conn, const uint8_t *data, size_t len, int *code,
    char *msg, size_t msglen, int *hub_rc)
{
	fsy_buf_t rep = {0};
	fsy_msg_t m, r;
	int rc, type;

	*code = 0;
	*hub_rc = FSY_OK;
	msg[0] = '\0';
	rc = fsy_msg_decode(data, len, &m);
	if (rc != FSY_OK) {
		assert_true(rc == FSY_EMALFORMED || rc == FSY_ETOOBIG ||
		    rc == FSY_EVERSION);
		*code = rc;
		snprintf(msg, msglen, "malformed frame: %s", fsy_strerror(rc));
		return FSY_MSG_ERROR;
	}
	*hub_rc = fsy_hub_handle(&H.hub, conn, &m, &rep);
	fsy_msg_free(&m);
	assert_true(*hub_rc == FSY_OK || *hub_rc == FSY_ECLOSED);
	assert_int_equal(fsy_msg_decode(rep.data, rep.len, &r), FSY_OK);
	type = r.type;
	if (type == FSY_MSG_ERROR) {
		*code = r.u.error.code;
		snprintf(msg, msglen, "%s", r.u.error.message);
	}
	fsy_msg_free(&r);
	fsy_buf_free(&rep);
	return type;
}

/* Asserts frame (data, len) is refused with code and a message holding
 * want, and that the hub is unchanged. */
static void
refused(fsy_hub_conn_t *conn, const uint8_t *data, size_t len, int code,
    const char *want, const char *what)
{
	uint8_t before[32], after[32];
	char msg[512];
	int got, hub_rc, type;

	digest(before);
	type = deliver(conn, data, len, &got, msg, sizeof(msg), &hub_rc);
	if (type != FSY_MSG_ERROR || got != code)
		fail_msg("%s: got %s %s, want ERROR %s", what,
		    fsy_msg_type_name(type), fsy_errname(got), fsy_errname(code));
	if (msg[0] == '\0' || strstr(msg, want) == NULL)
		fail_msg("%s: message '%s' does not say '%s'", what, msg, want);
	digest(after);
	if (memcmp(before, after, 32) != 0)
		fail_msg("%s: the hub changed", what);
}

static void
encode(const fsy_msg_t *m, fsy_buf_t *b)
{
	assert_int_equal(fsy_msg_encode(m, 0, b), FSY_OK);
}

/* ---- frames that do not decode ------------------------------------------- */

static void
test_truncated_garbage_oversized_version(void **state)
{
	fsy_hub_conn_t conn;
	frames_t fr;
	tu_rng_t r;
	uint8_t *big;
	char sql[256];
	uint64_t cut = 0, garbage = 0;

	(void)state;
	memset(&conn, 0, sizeof(conn));
	snprintf(sql, sizeof(sql), "UPDATE customer SET phone = '13500000000' "
	    "WHERE id = '%s'", C1);
	tu_exec(L1.st, sql);
	record_round(&L1, &fr);
	assert_true(fr.n >= 4);
	/* every frame of the round, cut at every length */
	for (int i = 0; i < fr.n; i++)
		for (size_t n = 0; n < fr.f[i].len; n++) {
			refused(&conn, fr.f[i].data, n, FSY_EMALFORMED, "malformed",
			    "truncated frame");
			cut++;
		}
	/* a byte too many */
	for (int i = 0; i < fr.n; i++) {
		uint8_t *p = malloc(fr.f[i].len + 1);
		assert_non_null(p);
		memcpy(p, fr.f[i].data, fr.f[i].len);
		p[fr.f[i].len] = 0;
		refused(&conn, p, fr.f[i].len + 1, FSY_EMALFORMED, "malformed",
		    "trailing byte");
		/* another protocol version: refused before anything else */
		memcpy(p, fr.f[i].data, fr.f[i].len);
		assert_int_equal(p[1], FSY_PROTO_VERSION);
		p[1] = FSY_PROTO_VERSION + 1;
		refused(&conn, p, fr.f[i].len, FSY_EVERSION, "version",
		    "protocol version 2");
		free(p);
	}
	/* random bytes */
	tu_rng_seed(&r, 99);
	for (int i = 0; i < 3000; i++) {
		uint8_t buf[256];
		size_t n = tu_rng_below(&r, sizeof(buf));
		int code, hub_rc;
		char msg[256];
		uint8_t before[32], after[32];
		for (size_t k = 0; k < n; k++)
			buf[k] = (uint8_t)tu_rng_below(&r, 256);
		if (i % 2 && n > 4) { /* a plausible start */
			buf[0] = 0x94;
			buf[1] = 0x01;
			buf[2] = (uint8_t)tu_rng_below(&r, 13);
			buf[3] = 0;
		}
		memset(&conn, 0, sizeof(conn));
		digest(before);
		(void)deliver(&conn, buf, n, &code, msg, sizeof(msg), &hub_rc);
		digest(after);
		assert_memory_equal(before, after, 32);
		garbage++;
	}
	/* over 16 MiB */
	big = calloc(1, FSY_MAX_FRAME + 1);
	assert_non_null(big);
	memcpy(big, fr.f[2].data, fr.f[2].len);
	refused(&conn, big, FSY_MAX_FRAME + 1, FSY_ETOOBIG, "too large",
	    "a frame over 16 MiB");
	free(big);
	/* a list that claims more than the limit */
	{
		uint32_t n = FSY_MAX_CHANGES + 1;
		uint8_t hdr[] = {0x94, 0x01, 0x05, 0x00, 0x83,
		    0xa3, 'c', 'u', 'r', 0x00, 0xa2, 'c', 'h', 0xdd,
		    (uint8_t)(n >> 24), (uint8_t)(n >> 16), (uint8_t)(n >> 8),
		    (uint8_t)n};
		refused(&conn, hdr, sizeof(hdr), FSY_ETOOBIG, "too large",
		    "a list of FSY_MAX_CHANGES + 1 changes");
	}
	printf("frames: %llu truncations, %llu random inputs refused, the hub "
	    "unchanged each time\n", (unsigned long long)cut,
	    (unsigned long long)garbage);
	frames_free(&fr);
}

/* ---- frames that decode but must be refused ------------------------------- */

static fsy_hub_conn_t
authed_conn(void)
{
	fsy_hub_conn_t c;
	memset(&c, 0, sizeof(c));
	c.authed = 1;
	snprintf(c.device_id, sizeof(c.device_id), "%s", L1.device_id);
	snprintf(c.agent_id, sizeof(c.agent_id), "%s", A1);
	snprintf(c.team_id, sizeof(c.team_id), "t1");
	return c;
}

static void
test_impossible_requests(void **state)
{
	fsy_hub_conn_t conn = authed_conn();
	fsy_change_t ch[2];
	fsy_buf_t b = {0};
	fsy_msg_t m;

	(void)state;
	memset(ch, 0, sizeof(ch));
	for (int i = 0; i < 2; i++) {
		ch[i].seq = 1 + i;
		ch[i].tbl = 0;
		ch[i].col = 6; /* phone */
		snprintf(ch[i].row_id, 37, "%s", C1);
		snprintf(ch[i].customer_id, 37, "%s", C1);
		ch[i].hlc = FSY_HLC_MAKE(fsy_now_ms(), 0);
		ch[i].val.type = FSY_VAL_TEXT;
		ch[i].val.s = "13000000000";
		ch[i].val.n = 11;
	}
	memset(&m, 0, sizeof(m));
	m.type = FSY_MSG_PUSH;
	m.u.push.changes = ch;
	m.u.push.nchanges = 2;

	ch[1].tbl = 200;
	encode(&m, &b);
	refused(&conn, b.data, b.len, FSY_EMALFORMED, "bad table/column",
	    "unknown table");
	ch[1].tbl = 0;
	ch[1].col = 99;
	encode(&m, &b);
	refused(&conn, b.data, b.len, FSY_EMALFORMED, "bad table/column",
	    "unknown column");
	ch[1].col = 6;
	ch[1].seq = 3;
	encode(&m, &b);
	refused(&conn, b.data, b.len, FSY_EMALFORMED, "non-consecutive",
	    "a seq skipped");
	ch[0].seq = 0;
	ch[1].seq = 1;
	encode(&m, &b);
	refused(&conn, b.data, b.len, FSY_EMALFORMED, "non-consecutive",
	    "seq 0");
	ch[0].seq = 1;
	ch[1].seq = 2;
	snprintf(ch[1].customer_id, 37, "%s", C2);
	encode(&m, &b);
	refused(&conn, b.data, b.len, FSY_EMALFORMED, "customer id",
	    "a customer row under another customer");
	snprintf(ch[1].customer_id, 37, "%s", C1);

	/* PUSH or PULL before the handshake */
	{
		fsy_hub_conn_t fresh;
		memset(&fresh, 0, sizeof(fresh));
		encode(&m, &b);
		refused(&fresh, b.data, b.len, FSY_EAUTH, "not authenticated",
		    "PUSH without AUTH");
		fsy_msg_t p;
		memset(&p, 0, sizeof(p));
		p.type = FSY_MSG_PULL;
		encode(&p, &b);
		refused(&fresh, b.data, b.len, FSY_EAUTH, "not authenticated",
		    "PULL without AUTH");
		memset(&p, 0, sizeof(p));
		p.type = FSY_MSG_AUTH;
		snprintf(p.u.auth.device_id, 37, "%s", L1.device_id);
		encode(&p, &b);
		refused(&fresh, b.data, b.len, FSY_EPROTO, "without a matching HELLO",
		    "AUTH without HELLO");
		memset(&p, 0, sizeof(p));
		p.type = FSY_MSG_ACK;
		encode(&p, &b);
		refused(&fresh, b.data, b.len, FSY_EPROTO, "unexpected",
		    "an ACK sent to the hub");
		memset(&p, 0, sizeof(p));
		p.type = FSY_MSG_CTL;
		p.u.ctl.json = "{\"cmd\":\"fleet\"}";
		p.u.ctl.len = strlen(p.u.ctl.json);
		encode(&p, &b);
		refused(&conn, b.data, b.len, FSY_EPERM, "team leads",
		    "a head-office command from an agent's laptop");
	}
	/* a HELLO of another protocol or schema version */
	{
		fsy_hub_conn_t fresh;
		fsy_msg_t hm;
		memset(&hm, 0, sizeof(hm));
		hm.type = FSY_MSG_HELLO;
		hm.u.hello.proto = FSY_PROTO_VERSION + 1;
		hm.u.hello.schema = FSY_SCHEMA_VERSION;
		snprintf(hm.u.hello.device_id, 37, "%s", L1.device_id);
		hm.u.hello.software = "fieldsyncd/9";
		memset(&fresh, 0, sizeof(fresh));
		encode(&hm, &b);
		refused(&fresh, b.data, b.len, FSY_EVERSION, "hub speaks protocol 1",
		    "HELLO of protocol 2");
		hm.u.hello.proto = FSY_PROTO_VERSION;
		hm.u.hello.schema = FSY_SCHEMA_VERSION + 1;
		memset(&fresh, 0, sizeof(fresh));
		encode(&hm, &b);
		refused(&fresh, b.data, b.len, FSY_EVERSION, "schema",
		    "HELLO of schema 2");
	}
	/* a batch past the merged position: acknowledged at the old
	 * position, nothing merged */
	{
		uint8_t before[32], after[32];
		fsy_msg_t r;
		ch[0].seq = 50;
		ch[1].seq = 51;
		encode(&m, &b);
		digest(before);
		assert_int_equal(fsy_msg_decode(b.data, b.len, &r), FSY_OK);
		fsy_buf_t rep = {0};
		assert_int_equal(fsy_hub_handle(&H.hub, &conn, &r, &rep), FSY_OK);
		fsy_msg_free(&r);
		assert_int_equal(fsy_msg_decode(rep.data, rep.len, &r), FSY_OK);
		assert_int_equal(r.type, FSY_MSG_ACK);
		assert_int_equal(r.u.ack.acked, 0);
		fsy_msg_free(&r);
		fsy_buf_free(&rep);
		digest(after);
		assert_memory_equal(before, after, 32);
	}
	fsy_buf_free(&b);
}

/* ---- replayed frames ------------------------------------------------------- */

/* A handshake of laptop a on conn, through its own session. */
static void
handshake(tu_agent_t *a, fsy_hub_conn_t *conn)
{
	fsy_buf_t req = {0}, rep = {0};
	fsy_msg_t m;
	int done = 0;

	memset(conn, 0, sizeof(*conn));
	assert_int_equal(fsy_agent_session_start(&a->sess, &req), FSY_OK);
	for (int k = 0; k < 2; k++) {
		assert_int_equal(fsy_msg_decode(req.data, req.len, &m), FSY_OK);
		assert_int_equal(fsy_hub_handle(&H.hub, conn, &m, &rep), FSY_OK);
		fsy_msg_free(&m);
		assert_int_equal(fsy_msg_decode(rep.data, rep.len, &m), FSY_OK);
		assert_int_equal(fsy_agent_session_step(&a->sess, &m, &req, &done),
		    FSY_OK);
		if (fsy_agent_session_deferred(&a->sess))
			assert_int_equal(fsy_agent_session_apply(&a->sess, &m),
			    FSY_OK);
		fsy_msg_free(&m);
	}
	assert_true(conn->authed);
	a->sess.state = FSY_AS_FAILED; /* the round goes no further */
	fsy_buf_free(&req);
	fsy_buf_free(&rep);
}

static void
test_replayed_frames(void **state)
{
	fsy_hub_conn_t conn;
	frames_t fr;
	uint8_t before[32], after[32];
	char sql[512], vid[37], msg[256];
	int code, hub_rc;
	int64_t g;

	(void)state;
	fsy_uuid_v7(vid);
	snprintf(sql, sizeof(sql), "UPDATE customer SET address = '旧地址' WHERE "
	    "id = '%s'; INSERT INTO visit(id, customer_id, agent_id, happened_at, "
	    "recorded_at, channel, topic) VALUES ('%s','%s','%s',"
	    "'2026-11-21T09:00:00Z','2026-11-21T09:05:00Z','visit','general')",
	    C1, vid, C1, A1);
	tu_exec(L1.st, sql);
	record_round(&L1, &fr);
	assert_true(fr.n >= 4); /* HELLO, AUTH, PUSH, PULL */
	g = tu_int(H.st, "SELECT max(gseq) FROM col_version");

	/* someone with the recording but not the key: the HELLO gets a new
	 * challenge, the old signature does not answer it */
	memset(&conn, 0, sizeof(conn));
	digest(before);
	assert_int_equal(deliver(&conn, fr.f[0].data, fr.f[0].len, &code, msg,
	    sizeof(msg), &hub_rc), FSY_MSG_CHALLENGE);
	assert_int_equal(deliver(&conn, fr.f[1].data, fr.f[1].len, &code, msg,
	    sizeof(msg), &hub_rc), FSY_MSG_ERROR);
	assert_int_equal(code, FSY_EAUTH);
	assert_int_equal(hub_rc, FSY_ECLOSED);
	assert_non_null(strstr(msg, "signature does not verify"));
	for (int i = 2; i < fr.n; i++)
		refused(&conn, fr.f[i].data, fr.f[i].len, FSY_EAUTH,
		    "not authenticated", "a replayed PUSH/PULL");
	digest(after);
	assert_memory_equal(before, after, 32);
	assert_int_equal(tu_int(H.st, "SELECT count(*) FROM audit WHERE action = "
	    "'device.auth_failed'"), 1);
	assert_non_null(strstr(LOG.text, "signature does not verify"));
	/* the AUTH alone, on a new connection */
	memset(&conn, 0, sizeof(conn));
	refused(&conn, fr.f[1].data, fr.f[1].len, FSY_EPROTO,
	    "without a matching HELLO", "a replayed AUTH");

	/* the device itself replays its old requests on a new session: the
	 * same answers, nothing changes */
	handshake(&L1, &conn);
	digest(before);
	for (int i = 2; i < fr.n; i++) {
		int type = deliver(&conn, fr.f[i].data, fr.f[i].len, &code, msg,
		    sizeof(msg), &hub_rc);
		assert_true(type != FSY_MSG_ERROR);
	}
	digest(after);
	assert_memory_equal(before, after, 32);
	assert_int_equal(tu_int(H.st, "SELECT max(gseq) FROM col_version"), g);
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM visit WHERE id = '%s'",
	    vid);
	assert_int_equal(tu_int(H.st, sql), 1);
	frames_free(&fr);
	tu_sync_ok(&H, &L1);
	tu_assert_converged(&H, &L1);
}

/* ---- writes to customers the device does not own -------------------------- */

static void
test_not_owned_refused_and_logged(void **state)
{
	char sql[512], nid[37], pid[37];

	(void)state;
	fsy_uuid_v7(nid);
	fsy_uuid_v7(pid);
	/* written on A1's laptop by hand: rows of A2's customer */
	snprintf(sql, sizeof(sql), "INSERT INTO need(id, customer_id, kind, note) "
	    "VALUES ('%s','%s','life','冒名'); INSERT INTO person(id, "
	    "customer_id, relation, name) VALUES ('%s','%s','child','冒名')",
	    nid, C2, pid, C2);
	tu_exec(L1.st, sql);
	LOG.text[0] = '\0';
	tu_sync_ok(&H, &L1);
	/* refused, kept with the reason */
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM rejected_change WHERE "
	    "device_id = '%s' AND customer_id = '%s' AND code = %d",
	    L1.device_id, C2, FSY_ENOTOWNER);
	assert_true(tu_int(H.st, sql) >= 2);
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM need WHERE id = '%s'", nid);
	assert_int_equal(tu_int(H.st, sql), 0);
	/* logged, naming the device and the customer, and audited */
	if (strstr(LOG.text, L1.device_id) == NULL ||
	    strstr(LOG.text, C2) == NULL || strstr(LOG.text, "not owned") == NULL)
		fail_msg("no log line for the refused changes: '%s'", LOG.text);
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM audit WHERE action = "
	    "'change.refused' AND actor = '%s' AND detail LIKE '%%%s%%'",
	    L1.device_id, C2);
	assert_int_equal(tu_int(H.st, sql), 1);
	/* the laptop removed the rows and lists the refusal */
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM need WHERE id = '%s'", nid);
	assert_int_equal(tu_int(L1.st, sql), 0);
	assert_true(tu_int(L1.st, "SELECT count(*) FROM rejection") >= 2);
	/* A2's laptop sees nothing of it */
	tu_sync_ok(&H, &L2);
	assert_int_equal(tu_int(L2.st, sql), 0);
	tu_assert_converged(&H, &L1);
	tu_assert_converged(&H, &L2);
	/* resending the refused entries is not logged again */
	LOG.text[0] = '\0';
	tu_exec(L1.st, "UPDATE meta SET value = 0 WHERE key = 'push_acked'");
	tu_sync_ok(&H, &L1);
	assert_null(strstr(LOG.text, "not owned"));
	assert_int_equal(tu_int(H.st, "SELECT count(*) FROM audit WHERE action = "
	    "'change.refused'"), 1);
}

/* A change names its customer; the scope is checked on that name, so it
 * must be the row's own: a row of another agent's customer written under
 * the name of one's own is refused, and the row stays as it was. */
static void
test_row_of_another_customer_refused(void **state)
{
	char sql[512], pid[37];

	(void)state;
	fsy_uuid_v7(pid);
	snprintf(sql, sizeof(sql), "INSERT INTO person(id, customer_id, relation, "
	    "name) VALUES ('%s','%s','spouse','李妻')", pid, C2);
	tu_exec(H.st, sql);
	tu_sync_ok(&H, &L2);
	/* on A1's laptop, by hand: the same row id under A1's customer */
	snprintf(sql, sizeof(sql), "INSERT INTO person(id, customer_id, relation, "
	    "name) VALUES ('%s','%s','child','冒名')", pid, C1);
	tu_exec(L1.st, sql);
	tu_sync_ok(&H, &L1);
	snprintf(sql, sizeof(sql), "SELECT customer_id || '/' || relation || '/' "
	    "|| name FROM person WHERE id = '%s'", pid);
	char want[128];
	snprintf(want, sizeof(want), "%s/spouse/李妻", C2);
	assert_string_equal(tu_text(H.st, sql), want);
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM rejected_change WHERE "
	    "device_id = '%s' AND row_id = '%s' AND code = %d", L1.device_id, pid,
	    FSY_ENOTOWNER);
	assert_true(tu_int(H.st, sql) >= 2);
	/* the laptop dropped its row; A2's laptop still has the original */
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM person WHERE id = '%s'",
	    pid);
	assert_int_equal(tu_int(L1.st, sql), 0);
	tu_sync_ok(&H, &L2);
	snprintf(sql, sizeof(sql), "SELECT name FROM person WHERE id = '%s'", pid);
	assert_string_equal(tu_text(L2.st, sql), "李妻");
	tu_assert_converged(&H, &L1);
	tu_assert_converged(&H, &L2);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_truncated_garbage_oversized_version,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_impossible_requests, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_replayed_frames, setup, teardown),
		cmocka_unit_test_setup_teardown(test_row_of_another_customer_refused,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_not_owned_refused_and_logged,
		    setup, teardown),
	};
	if (getenv("FSY_TEST_FILTER"))
		cmocka_set_test_filter(getenv("FSY_TEST_FILTER"));
	return cmocka_run_group_tests(tests, NULL, NULL);
}
