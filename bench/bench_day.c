/*
 * bench_day.c — workloads 2 and 4: a day offline, and the baselines.
 *
 * Three replicas of one agent's book: small (200 households), medium (the
 * 2,000 of workload 1) and large (20,000: 100x small). Each run is a new
 * day: 50 visits and 200 single-field edits made on the laptop (capture
 * on, each in its own transaction, as the daemon's commands do), then one
 * round over nng tcp on loopback. The round's time and bytes, and the
 * hub's time spent merging the PUSH, are measured.
 *
 * On the medium replica the same day's changes are also measured as
 *   - a SQLite session changeset (recorded while the day's edits are made)
 *     applied to a copy of the hub database taken before the round;
 *   - a copy of the whole replica file;
 *   - one whole JSON document per changed row (CouchDB-style _bulk_docs);
 *   - the day's PUSH batch encoded as JSON instead of msgpack.
 */
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>
#include <zstd.h>

#include "bench.h"
#include "tables.h"
#include "util.h"

#define SMALL_AGENT "0190b000-0000-7000-8000-00000000a002"
#define LARGE_AGENT "0190b000-0000-7000-8000-00000000a003"
#define ENC_LOOPS 50

typedef struct replica {
	const char *name;          /* small / medium / large */
	char hub_path[1024], agent_path[1024];
	fsy_store_t *hub, *agent;
	int own_hub;               /* 1: made here, closed and removed here */
	fsy_hub_t H;
	bench_device_t dev;
	fsy_agent_session_t sess;
	bench_ids_t ids;
	int64_t customers;
	char agent_id[37];
	double setup_fill_s, setup_sync_s;
	int64_t columns;
} replica_t;

static void
setup_own(bench_ctx_t *c, replica_t *rp, const char *name, const char *agent,
    int64_t customers, uint64_t seed)
{
	bench_shape_t sh = {customers, 5, 4, 0};
	bench_fill_stats_t fs;
	char file[64];
	double t;

	memset(rp, 0, sizeof(*rp));
	rp->name = name;
	rp->own_hub = 1;
	rp->customers = customers;
	snprintf(rp->agent_id, sizeof(rp->agent_id), "%s", agent);
	snprintf(file, sizeof(file), "w2-%s-hub.db", name);
	snprintf(rp->hub_path, sizeof(rp->hub_path), "%s", bench_path(c, file));
	snprintf(file, sizeof(file), "w2-%s-agent.db", name);
	snprintf(rp->agent_path, sizeof(rp->agent_path), "%s", bench_path(c, file));
	bench_rm_db(rp->hub_path);
	bench_rm_db(rp->agent_path);
	rp->hub = bench_open(rp->hub_path, FSY_ROLE_HUB, NULL);
	bench_hub_init(rp->hub);
	bench_hub_agent(rp->hub, agent, "A0002", "t1");
	t = bench_now();
	bench_fill(rp->hub, agent, &sh, seed, &fs);
	rp->setup_fill_s = bench_now() - t;
	rp->columns = fs.columns;
	bench_device_issue(rp->hub, agent, &rp->dev);
	fsy_hub_init(&rp->H, rp->hub);
	rp->agent = bench_open(rp->agent_path, FSY_ROLE_AGENT, rp->dev.id);
	fsy_agent_session_init(&rp->sess, rp->agent, rp->dev.sk);
	/* The replica is seeded as a first sync leaves it (a first sync of
	 * 20,000 households takes minutes: BENCHMARKS.md, "What limits"); a
	 * round must then find nothing to move, and the content hashes are
	 * compared after the days. */
	t = bench_now();
	bench_seed_replica(rp->hub, rp->hub_path, rp->agent, rp->dev.id, agent);
	bench_inproc_sync(&rp->H, &rp->sess);
	if (rp->sess.stats.snap_customers || rp->sess.stats.pulled ||
	    rp->sess.stats.pushed)
		bench_die("%s: the seeded replica was not complete (%llu customers, "
		    "%llu changes pulled)", name,
		    (unsigned long long)rp->sess.stats.snap_customers,
		    (unsigned long long)rp->sess.stats.pulled);
	rp->setup_sync_s = bench_now() - t;
	bench_ids_load(rp->agent, &rp->ids);
	fprintf(stderr, "  %s replica: %lld households, %lld columns (fill %.1f s, "
	    "seed and check %.1f s)\n", name, (long long)customers,
	    (long long)fs.columns, rp->setup_fill_s, rp->setup_sync_s);
}

static void
setup_medium(bench_ctx_t *c, replica_t *rp)
{
	memset(rp, 0, sizeof(*rp));
	rp->name = "medium";
	rp->customers = c->boot_customers;
	rp->hub = c->boot_hub;
	snprintf(rp->hub_path, sizeof(rp->hub_path), "%s", c->boot_hub_path);
	snprintf(rp->agent_path, sizeof(rp->agent_path), "%s", c->boot_agent_path);
	snprintf(rp->agent_id, sizeof(rp->agent_id), "%s", c->boot_agent_id);
	rp->dev = c->boot_dev;
	rp->columns = bench_versions(rp->hub);
	fsy_hub_init(&rp->H, rp->hub);
	rp->agent = bench_open(rp->agent_path, FSY_ROLE_AGENT, rp->dev.id);
	fsy_agent_session_init(&rp->sess, rp->agent, rp->dev.sk);
	bench_ids_load(rp->agent, &rp->ids);
}

static void
close_replica(replica_t *rp)
{
	uint8_t a[32], b[32];

	if (fsy_replica_hash(rp->agent, a) != FSY_OK ||
	    fsy_hub_scope_hash(rp->hub, rp->agent_id, b) != FSY_OK)
		bench_die("%s: content hash", rp->name);
	if (memcmp(a, b, 32) != 0)
		bench_die("%s replica diverged from the hub after the days", rp->name);
	fsy_agent_session_fini(&rp->sess);
	fsy_hub_fini(&rp->H);
	fsy_store_close(rp->agent);
	bench_ids_free(&rp->ids);
	if (rp->own_hub) {
		fsy_store_close(rp->hub);
		bench_rm_db(rp->hub_path);
		bench_rm_db(rp->agent_path);
	}
}

/* ---- the day's pending changes, as the next PUSH will carry them ---------- */

typedef struct pending {
	fsy_msg_t push;            /* type PUSH; changes owned here */
	char **texts;              /* copies of text values */
	uint32_t ntexts;
} pending_t;

static void
pending_load(fsy_store_t *st, pending_t *p)
{
	sqlite3_stmt *q;
	int64_t acked = 0, cursor = 0;
	uint32_t n = 0, cap = 1024;

	memset(p, 0, sizeof(*p));
	fsy_store_meta_int(st, "push_acked", &acked);
	fsy_store_meta_int(st, "pull_cursor", &cursor);
	p->push.type = FSY_MSG_PUSH;
	p->push.u.push.cursor = cursor;
	p->push.u.push.changes = malloc(cap * sizeof(fsy_change_t));
	p->texts = malloc(cap * sizeof(char *));
	if (sqlite3_prepare_v2(fsy_store_db(st), "SELECT seq, tbl, col, row_id, "
	    "customer_id, hlc, val, hash FROM change_log WHERE seq > ? ORDER BY seq",
	    -1, &q, NULL) != SQLITE_OK || !p->push.u.push.changes || !p->texts)
		bench_die("pending changes");
	sqlite3_bind_int64(q, 1, acked);
	while (sqlite3_step(q) == SQLITE_ROW) {
		fsy_change_t *ch;
		if (n == cap) {
			cap *= 2;
			p->push.u.push.changes = realloc(p->push.u.push.changes,
			    cap * sizeof(fsy_change_t));
			p->texts = realloc(p->texts, cap * sizeof(char *));
			if (!p->push.u.push.changes || !p->texts)
				bench_die("out of memory");
		}
		ch = &p->push.u.push.changes[n];
		memset(ch, 0, sizeof(*ch));
		ch->seq = sqlite3_column_int64(q, 0);
		ch->tbl = (uint8_t)sqlite3_column_int(q, 1);
		ch->col = (uint8_t)sqlite3_column_int(q, 2);
		snprintf(ch->row_id, 37, "%s", sqlite3_column_text(q, 3));
		snprintf(ch->customer_id, 37, "%s", sqlite3_column_text(q, 4));
		ch->hlc = (uint64_t)sqlite3_column_int64(q, 5);
		fsy_val_from_column(q, 6, &ch->val);
		if (ch->val.type == FSY_VAL_TEXT) {
			char *t = malloc(ch->val.n + 1);
			if (t == NULL)
				bench_die("out of memory");
			memcpy(t, ch->val.s, ch->val.n);
			t[ch->val.n] = '\0';
			ch->val.s = t;
			p->texts[p->ntexts++] = t;
		}
		if (sqlite3_column_bytes(q, 7) == 32)
			memcpy(p->push.u.push.head, sqlite3_column_blob(q, 7), 32);
		n++;
	}
	sqlite3_finalize(q);
	p->push.u.push.nchanges = n;
}

static void
pending_free(pending_t *p)
{
	for (uint32_t i = 0; i < p->ntexts; i++)
		free(p->texts[i]);
	free(p->texts);
	free(p->push.u.push.changes);
	memset(p, 0, sizeof(*p));
}

/* ---- JSON: whole documents per changed row, and our batch as JSON --------- */

/* One CouchDB-style document of a row: _id, _rev, type and every non-NULL
 * column. Returns a new reference. */
static json_t *
row_doc(fsy_store_t *st, int tbl, const char *row_id)
{
	char sql[128], rev[64], hex[33];
	sqlite3_stmt *q;
	json_t *d = json_object();
	uint8_t h[16];

	snprintf(sql, sizeof(sql), "SELECT * FROM %s WHERE id = ?",
	    fsy_tables[tbl].name);
	if (sqlite3_prepare_v2(fsy_store_db(st), sql, -1, &q, NULL) != SQLITE_OK)
		bench_die("%s", sql);
	sqlite3_bind_text(q, 1, row_id, -1, SQLITE_STATIC);
	if (sqlite3_step(q) != SQLITE_ROW)
		bench_die("changed row %s vanished", row_id);
	json_object_set_new(d, "_id", json_string(row_id));
	crypto_generichash(h, sizeof(h), (const uint8_t *)row_id, strlen(row_id),
	    NULL, 0);
	fsy_hex(h, 16, hex);
	snprintf(rev, sizeof(rev), "2-%s", hex);
	json_object_set_new(d, "_rev", json_string(rev));
	json_object_set_new(d, "type", json_string(fsy_tables[tbl].name));
	for (int i = 0; i < sqlite3_column_count(q); i++) {
		const char *name = sqlite3_column_name(q, i);
		if (strcmp(name, "id") == 0)
			continue;
		switch (sqlite3_column_type(q, i)) {
		case SQLITE_INTEGER:
			json_object_set_new(d, name,
			    json_integer(sqlite3_column_int64(q, i)));
			break;
		case SQLITE_NULL:
			break;
		default:
			json_object_set_new(d, name, json_stringn(
			    (const char *)sqlite3_column_text(q, i),
			    (size_t)sqlite3_column_bytes(q, i)));
			break;
		}
	}
	sqlite3_finalize(q);
	return d;
}

/* The body of a _bulk_docs request with the latest version of every row the
 * day changed. Returns the malloc'd JSON text; *len its length. */
static char *
docs_body(fsy_store_t *st, const pending_t *p, size_t *len, uint32_t *ndocs)
{
	json_t *body = json_object(), *docs = json_array();
	const fsy_change_t *ch = p->push.u.push.changes;
	char *txt;

	*ndocs = 0;
	for (uint32_t i = 0; i < p->push.u.push.nchanges; i++) {
		int seen = 0;
		for (uint32_t k = 0; k < i && !seen; k++)
			seen = ch[k].tbl == ch[i].tbl &&
			    strcmp(ch[k].row_id, ch[i].row_id) == 0;
		if (seen)
			continue;
		json_array_append_new(docs, row_doc(st, ch[i].tbl, ch[i].row_id));
		(*ndocs)++;
	}
	json_object_set_new(body, "docs", docs);
	json_object_set_new(body, "new_edits", json_false());
	txt = json_dumps(body, JSON_COMPACT);
	json_decref(body);
	if (txt == NULL)
		bench_die("json_dumps");
	*len = strlen(txt);
	return txt;
}

/* Our PUSH as JSON: the same fields, ids as UUID strings, head as hex. */
static char *
push_json(const fsy_msg_push_t *p, size_t *len)
{
	json_t *o = json_object(), *a = json_array();
	char hex[65], *txt;

	json_object_set_new(o, "type", json_string("PUSH"));
	json_object_set_new(o, "cursor", json_integer(p->cursor));
	fsy_hex(p->head, 32, hex);
	json_object_set_new(o, "head", json_string(hex));
	for (uint32_t i = 0; i < p->nchanges; i++) {
		const fsy_change_t *c = &p->changes[i];
		json_t *e = json_object();
		json_object_set_new(e, "seq", json_integer(c->seq));
		json_object_set_new(e, "tbl", json_integer(c->tbl));
		json_object_set_new(e, "col", json_integer(c->col));
		json_object_set_new(e, "row_id", json_string(c->row_id));
		json_object_set_new(e, "customer_id", json_string(c->customer_id));
		json_object_set_new(e, "hlc", json_integer((json_int_t)c->hlc));
		json_object_set_new(e, "val", c->val.type == FSY_VAL_INT
		    ? json_integer(c->val.i) : c->val.type == FSY_VAL_TEXT
		    ? json_stringn(c->val.s, c->val.n) : json_null());
		json_array_append_new(a, e);
	}
	json_object_set_new(o, "changes", a);
	txt = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	if (txt == NULL)
		bench_die("json_dumps");
	*len = strlen(txt);
	return txt;
}

/* Decodes the JSON PUSH into change structs, as a receiver would. */
static uint32_t
push_json_decode(const char *txt, size_t len, fsy_change_t *out, uint32_t cap)
{
	json_error_t err;
	json_t *o = json_loadb(txt, len, 0, &err), *a;
	uint32_t n = 0;

	if (o == NULL)
		bench_die("json decode: %s", err.text);
	a = json_object_get(o, "changes");
	for (size_t i = 0; i < json_array_size(a) && n < cap; i++) {
		json_t *e = json_array_get(a, i), *v = json_object_get(e, "val");
		fsy_change_t *c = &out[n++];
		memset(c, 0, sizeof(*c));
		c->seq = json_integer_value(json_object_get(e, "seq"));
		c->tbl = (uint8_t)json_integer_value(json_object_get(e, "tbl"));
		c->col = (uint8_t)json_integer_value(json_object_get(e, "col"));
		snprintf(c->row_id, 37, "%s",
		    json_string_value(json_object_get(e, "row_id")));
		snprintf(c->customer_id, 37, "%s",
		    json_string_value(json_object_get(e, "customer_id")));
		c->hlc = (uint64_t)json_integer_value(json_object_get(e, "hlc"));
		if (json_is_integer(v)) {
			c->val.type = FSY_VAL_INT;
			c->val.i = json_integer_value(v);
		} else if (json_is_string(v)) {
			c->val.type = FSY_VAL_TEXT;
			c->val.s = json_string_value(v);
			c->val.n = json_string_length(v);
		}
	}
	json_decref(o);
	return n;
}

typedef struct enc_res {
	double bytes[4], enc_s[4], dec_s[4]; /* msgpack+zstd, msgpack, json, json+zstd */
} enc_res_t;

static void
measure_encodings(const pending_t *p, enc_res_t *r)
{
	const fsy_msg_push_t *pp = &p->push.u.push;
	fsy_change_t *tmp = malloc((pp->nchanges + 1) * sizeof(*tmp));
	size_t jlen = 0, zcap;
	char *js = NULL, *z;
	double t;

	if (tmp == NULL)
		bench_die("out of memory");
	for (int k = 0; k < 2; k++) {
		fsy_buf_t b = {0};
		fsy_msg_t m;
		t = bench_now();
		for (int i = 0; i < ENC_LOOPS; i++)
			if (fsy_msg_encode(&p->push, k == 0, &b) != FSY_OK)
				bench_die("encode PUSH");
		r->enc_s[k] = (bench_now() - t) / ENC_LOOPS;
		r->bytes[k] = (double)b.len;
		t = bench_now();
		for (int i = 0; i < ENC_LOOPS; i++) {
			memset(&m, 0, sizeof(m));
			if (fsy_msg_decode(b.data, b.len, &m) != FSY_OK)
				bench_die("decode PUSH");
			fsy_msg_free(&m);
		}
		r->dec_s[k] = (bench_now() - t) / ENC_LOOPS;
		fsy_buf_free(&b);
	}
	t = bench_now();
	for (int i = 0; i < ENC_LOOPS; i++) {
		free(js);
		js = push_json(pp, &jlen);
	}
	r->enc_s[2] = (bench_now() - t) / ENC_LOOPS;
	r->bytes[2] = (double)jlen;
	t = bench_now();
	for (int i = 0; i < ENC_LOOPS; i++)
		if (push_json_decode(js, jlen, tmp, pp->nchanges + 1) != pp->nchanges)
			bench_die("JSON PUSH round trip lost changes");
	r->dec_s[2] = (bench_now() - t) / ENC_LOOPS;

	zcap = ZSTD_compressBound(jlen);
	if ((z = malloc(zcap)) == NULL)
		bench_die("out of memory");
	{
		size_t zl = 0;
		char *back = malloc(jlen);
		if (back == NULL)
			bench_die("out of memory");
		t = bench_now();
		for (int i = 0; i < ENC_LOOPS; i++) {
			size_t l;
			char *j2 = push_json(pp, &l);
			zl = ZSTD_compress(z, zcap, j2, l, 3);
			free(j2);
			if (ZSTD_isError(zl))
				bench_die("zstd");
		}
		r->enc_s[3] = (bench_now() - t) / ENC_LOOPS;
		r->bytes[3] = (double)zl;
		t = bench_now();
		for (int i = 0; i < ENC_LOOPS; i++) {
			size_t l = ZSTD_decompress(back, jlen, z, zl);
			if (ZSTD_isError(l) ||
			    push_json_decode(back, l, tmp, pp->nchanges + 1) !=
			    pp->nchanges)
				bench_die("zstd JSON round trip");
		}
		r->dec_s[3] = (bench_now() - t) / ENC_LOOPS;
		free(back);
	}
	free(z);
	free(js);
	free(tmp);
}

static size_t
zstd_size(const void *src, size_t n)
{
	size_t cap = ZSTD_compressBound(n), zl;
	void *z = malloc(cap);

	if (z == NULL)
		bench_die("out of memory");
	zl = ZSTD_compress(z, cap, src, n, 3);
	free(z);
	if (ZSTD_isError(zl))
		bench_die("zstd");
	return zl;
}

/* ---- the SQLite session changeset baseline -------------------------------- */

static int
conflict_cb(void *arg, int why, sqlite3_changeset_iter *it)
{
	(void)why;
	(void)it;
	(*(int *)arg)++;
	return SQLITE_CHANGESET_OMIT;
}

/* Copies the hub database to path with the online backup API from a
 * connection of its own (the hub's store stays open). */
static void
backup_db(const char *from, const char *to)
{
	sqlite3 *src = NULL, *dst = NULL;
	sqlite3_backup *b;

	bench_rm_db(to);
	if (sqlite3_open_v2(from, &src, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK ||
	    sqlite3_open(to, &dst) != SQLITE_OK)
		bench_die("backup open");
	b = sqlite3_backup_init(dst, "main", src, "main");
	if (b == NULL || sqlite3_backup_step(b, -1) != SQLITE_DONE)
		bench_die("backup: %s", sqlite3_errmsg(dst));
	sqlite3_backup_finish(b);
	sqlite3_close(src);
	sqlite3_close(dst);
}

/* Applies a changeset to the hub copy at path in one transaction (capture
 * off, production settings); returns seconds, *conflicts the count. */
static double
apply_changeset(const char *path, void *cs, int n, int *conflicts)
{
	fsy_store_t *st = bench_open(path, FSY_ROLE_HUB, NULL);
	sqlite3 *db = fsy_store_db(st);
	double t;
	int rc;

	fsy_store_set_capture(st, 0);
	(void)bench_int(st, "SELECT count(*) FROM visit WHERE id = ''");
	*conflicts = 0;
	t = bench_now();
	bench_exec(st, "BEGIN IMMEDIATE");
	rc = sqlite3changeset_apply(db, n, cs, NULL, conflict_cb, conflicts);
	if (rc != SQLITE_OK)
		bench_die("changeset apply: %s", sqlite3_errmsg(db));
	bench_exec(st, "COMMIT");
	t = bench_now() - t;
	fsy_store_close(st);
	return t;
}

/* Copies a file with read/write and fsyncs the copy; returns seconds. */
static double
copy_file(const char *from, const char *to)
{
	static char buf[1 << 20];
	double t = bench_now();
	int in = open(from, O_RDONLY), out = open(to, O_WRONLY | O_CREAT | O_TRUNC,
	    0600);
	ssize_t n;

	if (in < 0 || out < 0)
		bench_die("copy %s", from);
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, (size_t)n) != n)
			bench_die("copy write");
	if (fsync(out) != 0)
		bench_die("fsync");
	close(in);
	close(out);
	return bench_now() - t;
}

static double
zstd_file(const char *path, int64_t *zbytes)
{
	int64_t n = bench_file_size(path);
	char *buf = malloc((size_t)n);
	int fd = open(path, O_RDONLY);
	double t;

	if (buf == NULL || fd < 0 || read(fd, buf, (size_t)n) != n)
		bench_die("read %s", path);
	close(fd);
	t = bench_now();
	*zbytes = (int64_t)zstd_size(buf, (size_t)n);
	t = bench_now() - t;
	free(buf);
	return t;
}

/* ---- one day -------------------------------------------------------------- */

typedef struct day_res {
	double round_s, push_s, hub_s, wire, out, in, msgs, pushed, pulled;
	/* baselines (medium only) */
	double cs_bytes, cs_zstd, cs_apply_s, cs_conflicts;
	double docs_bytes, docs_zstd, docs_s, ndocs, push_bytes;
	double copy_s, file_bytes, file_zstd, file_zstd_s;
	enc_res_t enc;
} day_res_t;

static void
one_day(bench_ctx_t *c, replica_t *rp, int day, int baselines, day_res_t *r)
{
	static const char *const tabs[] = {"customer", "person", "policy", "visit",
		"need", "referral"};
	bench_day_t d = {50, 200};
	sqlite3_session *ses = NULL;
	void *cs = NULL;
	int ncs = 0;
	pending_t p;
	char url[64], copy[1024];
	bench_nng_hub_t *nh;
	bench_hub_stats_t hs;
	fsy_replica_status_t rs;
	nng_socket sock;
	uint32_t msgs = 0;
	double t;
	int rc;

	memset(r, 0, sizeof(*r));
	if (baselines) {
		if (sqlite3session_create(fsy_store_db(rp->agent), "main", &ses) !=
		    SQLITE_OK)
			bench_die("sqlite3session_create");
		for (size_t i = 0; i < sizeof(tabs) / sizeof(tabs[0]); i++)
			if (sqlite3session_attach(ses, tabs[i]) != SQLITE_OK)
				bench_die("sqlite3session_attach");
	}
	bench_day_make(rp->agent, &rp->ids, &d, rp->agent_id, rp->dev.id,
	    (uint64_t)(1000 + day));
	bench_idle(rp->agent); /* the day's commands done */
	if (baselines) {
		if (sqlite3session_changeset(ses, &ncs, &cs) != SQLITE_OK)
			bench_die("sqlite3session_changeset");
		sqlite3session_delete(ses);
		r->cs_bytes = ncs;
		r->cs_zstd = (double)zstd_size(cs, (size_t)ncs);
	}
	pending_load(rp->agent, &p);
	r->pushed = p.push.u.push.nchanges;
	if (baselines) {
		size_t len;
		uint32_t ndocs;
		char *body;
		fsy_buf_t b = {0};
		t = bench_now();
		body = docs_body(rp->agent, &p, &len, &ndocs);
		r->docs_s = bench_now() - t;
		r->docs_bytes = (double)len;
		r->docs_zstd = (double)zstd_size(body, len);
		r->ndocs = ndocs;
		free(body);
		measure_encodings(&p, &r->enc);
		if (fsy_msg_encode(&p.push, 1, &b) != FSY_OK)
			bench_die("encode");
		r->push_bytes = (double)b.len;
		fsy_buf_free(&b);
		snprintf(copy, sizeof(copy), "%s/w4-hub-copy.db", c->workdir);
		backup_db(rp->hub_path, copy);
	}
	pending_free(&p);

	nh = bench_nng_hub_start(&rp->H, url, sizeof(url));
	sock = bench_nng_dial(url);
	t = bench_now();
	rc = bench_nng_round(&rp->sess, sock, &msgs);
	r->round_s = bench_now() - t;
	nng_close(sock);
	bench_nng_hub_take_stats(nh, &hs);
	bench_nng_hub_stop(nh);
	if (rc != FSY_OK)
		bench_die("%s day %d: %s: %s", rp->name, day, fsy_strerror(rc),
		    rp->sess.errmsg);
	if (fsy_replica_status(rp->agent, &rs) != FSY_OK || rs.pending != 0)
		bench_die("%s day %d: changes left after the round", rp->name, day);
	if (rp->sess.stats.rejected)
		bench_die("%s day %d: %llu changes rejected", rp->name, day,
		    (unsigned long long)rp->sess.stats.rejected);
	r->out = (double)rp->sess.stats.bytes_out;
	r->in = (double)rp->sess.stats.bytes_in;
	r->msgs = msgs;
	r->wire = r->out + r->in + 16.0 * msgs; /* + nng's 8-byte headers */
	r->pulled = (double)rp->sess.stats.pulled;
	r->push_s = hs.seconds[FSY_MSG_PUSH];
	for (int i = 0; i <= FSY_MSG_TYPE_MAX; i++)
		r->hub_s += hs.seconds[i];

	if (baselines) {
		int conflicts = 0;
		r->cs_apply_s = apply_changeset(copy, cs, ncs, &conflicts);
		r->cs_conflicts = conflicts;
		sqlite3_free(cs);
		bench_rm_db(copy);
		bench_exec(rp->agent, "PRAGMA wal_checkpoint(TRUNCATE)");
		snprintf(copy, sizeof(copy), "%s/w4-replica-copy.db", c->workdir);
		r->copy_s = copy_file(rp->agent_path, copy);
		r->file_bytes = (double)bench_file_size(rp->agent_path);
		{
			int64_t zb;
			r->file_zstd_s = zstd_file(rp->agent_path, &zb);
			r->file_zstd = (double)zb;
		}
		unlink(copy);
	}
}

/* ---- the workload --------------------------------------------------------- */

static double
med_of(const day_res_t *res, int n, size_t off)
{
	double v[64];
	for (int i = 0; i < n; i++)
		v[i] = *(const double *)((const char *)&res[i] + off);
	return bench_median(v, (size_t)n);
}

#define M(res, field) med_of((res), c->runs, offsetof(day_res_t, field))

static json_t *
replica_json(bench_ctx_t *c, const replica_t *rp, const day_res_t *res)
{
	json_t *o = json_object(), *a = json_array();

	bench_set_int(o, "customers", rp->customers);
	bench_set_int(o, "column_versions", rp->columns);
	bench_set_real(o, "changes_pushed", M(res, pushed));
	bench_set_real(o, "changes_pulled", M(res, pulled));
	bench_set_real(o, "round_s_median", M(res, round_s));
	bench_set_real(o, "hub_push_s_median", M(res, push_s));
	bench_set_real(o, "hub_s_median", M(res, hub_s));
	bench_set_real(o, "wire_bytes_median", M(res, wire));
	bench_set_real(o, "bytes_agent_to_hub_median", M(res, out));
	bench_set_real(o, "bytes_hub_to_agent_median", M(res, in));
	bench_set_real(o, "messages", M(res, msgs));
	if (rp->own_hub) {
		bench_set_real(o, "setup_hub_fill_s", rp->setup_fill_s);
		bench_set_real(o, "setup_seed_and_check_s", rp->setup_sync_s);
	}
	for (int i = 0; i < c->runs; i++)
		json_array_append_new(a, json_real(res[i].round_s));
	json_object_set_new(o, "round_s_runs", a);
	return o;
}

void
bench_wl_day(bench_ctx_t *c)
{
	replica_t reps[3];
	day_res_t *res[3];
	json_t *w = json_object(), *b = json_object(), *e = json_object();
	json_t *ra = json_array(), *rb = json_array(), *rc = json_array();
	double ratio_ls[64], ratio_cs[64], ratio_docs[64];
	static const char *const enc[] = {"msgpack_zstd", "msgpack", "json",
		"json_zstd"};

	for (int i = 0; i < 3; i++)
		if ((res[i] = calloc((size_t)c->runs, sizeof(day_res_t))) == NULL)
			bench_die("out of memory");
	setup_own(c, &reps[0], "small", SMALL_AGENT, c->quick ? 20 : 200, 2);
	setup_medium(c, &reps[1]);
	setup_own(c, &reps[2], "large", LARGE_AGENT, c->quick ? 2000 : 20000, 3);

	/* The days of the three replicas interleave, so that they meet the
	 * machine in the same state. */
	for (int r = 0; r < c->runs; r++) {
		for (int i = 0; i < 3; i++)
			one_day(c, &reps[i], r, i == 1, &res[i][r]);
		ratio_ls[r] = res[2][r].round_s / res[0][r].round_s;
		ratio_cs[r] = res[1][r].push_s / res[1][r].cs_apply_s;
		ratio_docs[r] = res[1][r].docs_bytes / res[1][r].wire;
		json_array_append_new(ra, json_real(ratio_ls[r]));
		json_array_append_new(rb, json_real(ratio_cs[r]));
		json_array_append_new(rc, json_real(ratio_docs[r]));
		fprintf(stderr, "  day %d: small %.3f s, medium %.3f s (%.0f B), "
		    "large %.3f s; merge %.4f s vs changeset %.4f s\n", r + 1,
		    res[0][r].round_s, res[1][r].round_s, res[1][r].wire,
		    res[2][r].round_s, res[1][r].push_s, res[1][r].cs_apply_s);
	}

	json_object_set_new(w, "small", replica_json(c, &reps[0], res[0]));
	json_object_set_new(w, "medium", replica_json(c, &reps[1], res[1]));
	json_object_set_new(w, "large", replica_json(c, &reps[2], res[2]));
	bench_set_str(w, "day", "50 visits (9-11 columns each) and 200 single-field "
	    "edits of cards and related persons, each write its own transaction, "
	    "then one sync round over nng tcp on 127.0.0.1");
	json_object_set_new(w, "large_over_small_runs", ra);
	bench_set_real(w, "large_over_small_ratio_of_medians",
	    M(res[2], round_s) / M(res[0], round_s));
	json_object_set_new(json_object_get(c->res, "workloads"), "day", w);
	json_object_set_new(c->res, "day_sync_large_over_small_ratio",
	    json_real(bench_median(ratio_ls, (size_t)c->runs)));

	bench_set_real(b, "ours_wire_bytes_median", M(res[1], wire));
	bench_set_real(b, "ours_round_s_median", M(res[1], round_s));
	bench_set_real(b, "ours_push_bytes_median", M(res[1], push_bytes));
	bench_set_real(b, "ours_merge_s_median", M(res[1], push_s));
	bench_set_real(b, "changes", M(res[1], pushed));
	bench_set_real(b, "changeset_bytes_median", M(res[1], cs_bytes));
	bench_set_real(b, "changeset_zstd_bytes_median", M(res[1], cs_zstd));
	bench_set_real(b, "changeset_apply_s_median", M(res[1], cs_apply_s));
	bench_set_real(b, "changeset_conflicts_median", M(res[1], cs_conflicts));
	bench_set_real(b, "replica_file_bytes", M(res[1], file_bytes));
	bench_set_real(b, "replica_file_zstd_bytes", M(res[1], file_zstd));
	bench_set_real(b, "replica_copy_s_median", M(res[1], copy_s));
	bench_set_real(b, "replica_zstd_s_median", M(res[1], file_zstd_s));
	bench_set_real(b, "json_docs_bytes_median", M(res[1], docs_bytes));
	bench_set_real(b, "json_docs_zstd_bytes_median", M(res[1], docs_zstd));
	bench_set_real(b, "json_docs_encode_s_median", M(res[1], docs_s));
	bench_set_real(b, "json_docs_count", M(res[1], ndocs));
	json_object_set_new(b, "merge_over_changeset_runs", rb);
	json_object_set_new(b, "json_docs_over_ours_runs", rc);
	for (int k = 0; k < 4; k++) {
		json_t *x = json_object();
		bench_set_real(x, "bytes", M(res[1], enc.bytes[k]));
		bench_set_real(x, "encode_s", M(res[1], enc.enc_s[k]));
		bench_set_real(x, "decode_s", M(res[1], enc.dec_s[k]));
		json_object_set_new(e, enc[k], x);
	}
	json_object_set_new(b, "encoding", e);
	bench_set_str(b, "note", "medium replica; per run the same day's changes: "
	    "our PUSH merged at the hub vs the session changeset recorded on the "
	    "laptop applied to a copy of the hub taken before the round (both one "
	    "transaction with its commit, WAL, synchronous FULL)");
	json_object_set_new(json_object_get(c->res, "workloads"), "baselines", b);
	json_object_set_new(c->res, "merge_vs_changeset_apply_ratio",
	    json_real(bench_median(ratio_cs, (size_t)c->runs)));
	json_object_set_new(c->res, "wire_bytes_json_docs_over_ours_ratio",
	    json_real(bench_median(ratio_docs, (size_t)c->runs)));

	for (int i = 0; i < 3; i++) {
		close_replica(&reps[i]);
		free(res[i]);
	}
}
