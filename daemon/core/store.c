/* store.c — opening, migrating and capturing changes (see store.h). */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_int.h"
#include "tables.h"
#include "vers.h"

static const uint8_t zero_hash[32];

int
fsy_store_err(fsy_store_t *st, int rc)
{
	if (rc == SQLITE_OK || rc == SQLITE_ROW || rc == SQLITE_DONE)
		return FSY_OK;
	snprintf(st->errmsg, sizeof(st->errmsg), "%s", sqlite3_errmsg(st->db));
	return fsy_err_from_sqlite(rc);
}

const char *
fsy_store_errmsg(fsy_store_t *st)
{
	return st->errmsg;
}

sqlite3 *
fsy_store_db(fsy_store_t *st)
{
	return st->db;
}

fsy_role_t
fsy_store_role(const fsy_store_t *st)
{
	return st->role;
}

const char *
fsy_store_site(const fsy_store_t *st)
{
	return st->site;
}

fsy_hlc_t *
fsy_store_clock(fsy_store_t *st)
{
	return &st->hlc;
}

int
fsy_store_set_capture(fsy_store_t *st, int on)
{
	int old = st->capture;

	/* With capture off the triggers would only evaluate their WHEN
	 * clause, but SQLite still sets up a trigger frame and a statement
	 * savepoint per row: turning them off halves the cost of applying
	 * remote changes (docs/BENCHMARKS.md). Cached statements are
	 * re-prepared by SQLite on their next use. */
	if (on != old && st->db != NULL)
		(void)sqlite3_db_config(st->db, SQLITE_DBCONFIG_ENABLE_TRIGGER,
		    on ? 1 : 0, (int *)NULL);
	st->capture = on;
	return old;
}

int
fsy_store_exec(fsy_store_t *st, const char *sql)
{
	char *msg = NULL;
	int rc = sqlite3_exec(st->db, sql, NULL, NULL, &msg);

	if (rc != SQLITE_OK) {
		snprintf(st->errmsg, sizeof(st->errmsg), "%s",
		    msg ? msg : sqlite3_errstr(rc));
		sqlite3_free(msg);
		return fsy_err_from_sqlite(rc);
	}
	return FSY_OK;
}

int
fsy_store_begin(fsy_store_t *st)
{
	return fsy_store_exec(st, "BEGIN IMMEDIATE");
}

int
fsy_store_commit(fsy_store_t *st)
{
	return fsy_store_exec(st, "COMMIT");
}

void
fsy_store_rollback(fsy_store_t *st)
{
	if (!sqlite3_get_autocommit(st->db))
		(void)sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
}

/* A hash of the SQL text for the statement cache: FNV-1a over its length
 * and its first and last 32 bytes (statements differ there; a collision
 * costs one more strcmp, never a wrong statement). *len gets the length. */
static uint32_t
sql_hash(const char *sql, size_t *len)
{
	const unsigned char *p = (const unsigned char *)sql;
	size_t n = strlen(sql), head = n < 32 ? n : 32, tail = n - head < 32
	    ? n - head : 32;
	uint32_t h = 2166136261u ^ (uint32_t)n;

	h *= 16777619u;
	for (size_t i = 0; i < head; i++) {
		h ^= p[i];
		h *= 16777619u;
	}
	for (size_t i = n - tail; i < n; i++) {
		h ^= p[i];
		h *= 16777619u;
	}
	*len = n;
	return h;
}

/* Rebuilds the hash index of the statement cache from its entries. */
static void
stmt_reindex(fsy_store_t *st)
{
	memset(st->slot, 0, sizeof(st->slot));
	for (int i = 0; i < st->ncache; i++) {
		uint32_t k = st->cache[i].hash & (FSY_STMT_SLOTS - 1);
		while (st->slot[k])
			k = (k + 1) & (FSY_STMT_SLOTS - 1);
		st->slot[k] = (int16_t)(i + 1);
	}
}

int
fsy_store_stmt(fsy_store_t *st, const char *sql, sqlite3_stmt **out)
{
	size_t len;
	uint32_t h = sql_hash(sql, &len), k = h & (FSY_STMT_SLOTS - 1);
	char *copy;
	int i, rc;

	for (; st->slot[k]; k = (k + 1) & (FSY_STMT_SLOTS - 1)) {
		i = st->slot[k] - 1;
		if (st->cache[i].hash == h && strcmp(st->cache[i].sql, sql) == 0) {
			sqlite3_reset(st->cache[i].stmt);
			sqlite3_clear_bindings(st->cache[i].stmt);
			st->cache[i].used = ++st->tick;
			*out = st->cache[i].stmt;
			return FSY_OK;
		}
	}
	rc = sqlite3_prepare_v3(st->db, sql, -1, SQLITE_PREPARE_PERSISTENT, out,
	    NULL);
	if (rc != SQLITE_OK)
		return fsy_store_err(st, rc);
	if ((copy = malloc(len + 1)) == NULL) {
		sqlite3_finalize(*out);
		*out = NULL;
		return FSY_ENOMEM;
	}
	memcpy(copy, sql, len + 1);
	if (st->ncache == FSY_STMT_CACHE) {
		/* Full: evict the least recently used entry that is not
		 * being stepped (a caller still reads its rows). */
		int lru = -1;
		for (i = 0; i < st->ncache; i++)
			if (!sqlite3_stmt_busy(st->cache[i].stmt) && (lru < 0 ||
			    st->cache[i].used < st->cache[lru].used))
				lru = i;
		if (lru < 0) {
			sqlite3_finalize(*out);
			*out = NULL;
			free(copy);
			snprintf(st->errmsg, sizeof(st->errmsg),
			    "statement cache: all %d statements are running",
			    FSY_STMT_CACHE);
			return FSY_ESTATE;
		}
		sqlite3_finalize(st->cache[lru].stmt);
		free((void *)st->cache[lru].sql);
		st->cache[lru] = st->cache[--st->ncache];
		stmt_reindex(st);
		for (k = h & (FSY_STMT_SLOTS - 1); st->slot[k];
		    k = (k + 1) & (FSY_STMT_SLOTS - 1))
			;
	}
	i = st->ncache++;
	st->cache[i].sql = copy;
	st->cache[i].hash = h;
	st->cache[i].used = ++st->tick;
	st->cache[i].stmt = *out;
	st->slot[k] = (int16_t)(i + 1);
	return FSY_OK;
}

void
fsy_val_from_column(sqlite3_stmt *s, int i, fsy_val_t *v)
{
	memset(v, 0, sizeof(*v));
	switch (sqlite3_column_type(s, i)) {
	case SQLITE_INTEGER:
		v->type = FSY_VAL_INT;
		v->i = sqlite3_column_int64(s, i);
		break;
	case SQLITE_NULL:
		v->type = FSY_VAL_NULL;
		break;
	default: /* text; REAL and BLOB are not used by replicated columns */
		v->type = FSY_VAL_TEXT;
		v->s = (const char *)sqlite3_column_text(s, i);
		v->n = (size_t)sqlite3_column_bytes(s, i);
		if (v->s == NULL)
			v->s = "";
		break;
	}
}

int
fsy_val_bind(sqlite3_stmt *s, int i, const fsy_val_t *v)
{
	switch (v->type) {
	case FSY_VAL_INT:
		return sqlite3_bind_int64(s, i, v->i);
	case FSY_VAL_TEXT:
		return sqlite3_bind_text(s, i, v->s, (int)v->n, SQLITE_TRANSIENT);
	default:
		return sqlite3_bind_null(s, i);
	}
}

static void
val_from_sqlite_value(sqlite3_value *sv, fsy_val_t *v)
{
	memset(v, 0, sizeof(*v));
	switch (sqlite3_value_type(sv)) {
	case SQLITE_INTEGER:
		v->type = FSY_VAL_INT;
		v->i = sqlite3_value_int64(sv);
		break;
	case SQLITE_NULL:
		v->type = FSY_VAL_NULL;
		break;
	default:
		v->type = FSY_VAL_TEXT;
		v->s = (const char *)sqlite3_value_text(sv);
		v->n = (size_t)sqlite3_value_bytes(sv);
		if (v->s == NULL)
			v->s = "";
		break;
	}
}

/* ---- meta ---------------------------------------------------------------- */

int
fsy_store_meta_int(fsy_store_t *st, const char *key, int64_t *v)
{
	sqlite3_stmt *s;
	int rc = fsy_store_stmt(st, "SELECT value FROM meta WHERE key = ?", &s);

	if (rc)
		return rc;
	sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		*v = sqlite3_column_int64(s, 0);
		rc = FSY_OK;
	} else {
		rc = rc == SQLITE_DONE ? FSY_ENOTFOUND : fsy_store_err(st, rc);
	}
	sqlite3_reset(s);
	return rc;
}

int
fsy_store_meta_text(fsy_store_t *st, const char *key, char *buf, size_t n)
{
	sqlite3_stmt *s;
	int rc = fsy_store_stmt(st, "SELECT value FROM meta WHERE key = ?", &s);

	if (rc)
		return rc;
	sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		const char *t = (const char *)sqlite3_column_text(s, 0);
		snprintf(buf, n, "%s", t ? t : "");
		rc = FSY_OK;
	} else {
		rc = rc == SQLITE_DONE ? FSY_ENOTFOUND : fsy_store_err(st, rc);
	}
	sqlite3_reset(s);
	return rc;
}

static int
meta_set(fsy_store_t *st, const char *key, const fsy_val_t *v)
{
	sqlite3_stmt *s;
	int rc = fsy_store_stmt(st,
	    "INSERT INTO meta(key, value) VALUES (?, ?) "
	    "ON CONFLICT(key) DO UPDATE SET value = excluded.value", &s);

	if (rc)
		return rc;
	sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
	fsy_val_bind(s, 2, v);
	rc = fsy_store_err(st, sqlite3_step(s));
	sqlite3_reset(s);
	return rc;
}

int
fsy_store_meta_set_int(fsy_store_t *st, const char *key, int64_t v)
{
	fsy_val_t val = {.type = FSY_VAL_INT, .i = v};
	return meta_set(st, key, &val);
}

int
fsy_store_meta_set_text(fsy_store_t *st, const char *key, const char *v)
{
	fsy_val_t val = {.type = FSY_VAL_TEXT, .s = v, .n = strlen(v)};
	return meta_set(st, key, &val);
}

/* ---- change capture ------------------------------------------------------ */

/* fsy_capturing(): 1 while this connection captures local writes. */
static void
sql_capturing(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	fsy_store_t *st = sqlite3_user_data(ctx);

	(void)argc;
	(void)argv;
	sqlite3_result_int(ctx, st->capture);
}

/* Agent: append one hash-chained entry to change_log. */
static int
capture_agent(fsy_store_t *st, int tbl, const char *row, const char *cust,
    int col, sqlite3_value *sv)
{
	sqlite3_stmt *s;
	int64_t seq = 1;
	uint8_t prev[32], hash[32];
	uint64_t hlc;
	fsy_val_t v;
	char at[21];
	int rc;

	rc = fsy_store_stmt(st,
	    "SELECT seq, hash FROM change_log ORDER BY seq DESC LIMIT 1", &s);
	if (rc)
		return rc;
	memcpy(prev, zero_hash, 32);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		seq = sqlite3_column_int64(s, 0) + 1;
		if (sqlite3_column_bytes(s, 1) == 32)
			memcpy(prev, sqlite3_column_blob(s, 1), 32);
	} else if (rc != SQLITE_DONE) {
		sqlite3_reset(s);
		return fsy_store_err(st, rc);
	}
	sqlite3_reset(s);

	hlc = fsy_hlc_tick(&st->hlc);
	val_from_sqlite_value(sv, &v);
	fsy_chain_hash(prev, seq, tbl, col, row, hlc, st->site, &v, hash);
	fsy_iso_time(fsy_hlc_wall(&st->hlc), at);

	rc = fsy_store_stmt(st,
	    "INSERT INTO change_log(seq, tbl, row_id, customer_id, col, val, "
	    "hlc, at, prev_hash, hash) VALUES (?,?,?,?,?,?,?,?,?,?)", &s);
	if (rc)
		return rc;
	sqlite3_bind_int64(s, 1, seq);
	sqlite3_bind_int(s, 2, tbl);
	sqlite3_bind_text(s, 3, row, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 4, cust, -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 5, col);
	sqlite3_bind_value(s, 6, sv);
	sqlite3_bind_int64(s, 7, (sqlite3_int64)hlc);
	sqlite3_bind_text(s, 8, at, -1, SQLITE_STATIC);
	sqlite3_bind_blob(s, 9, prev, 32, SQLITE_STATIC);
	sqlite3_bind_blob(s, 10, hash, 32, SQLITE_STATIC);
	rc = fsy_store_err(st, sqlite3_step(s));
	sqlite3_reset(s);
	return rc;
}

/* Binds a column's key as ?1 tbl, ?2 row_id, ?3 col, ?4 customer_id. */
static void
bind_col_key(sqlite3_stmt *s, int tbl, const char *row, int col,
    const char *cust)
{
	sqlite3_bind_int(s, 1, tbl);
	sqlite3_bind_text(s, 2, row, -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 3, col);
	sqlite3_bind_text(s, 4, cust, -1, SQLITE_STATIC);
}

int
fsy__feed_add(fsy_store_t *st, int64_t gseq, const char *cust, int tbl,
    const char *row, int col, int64_t old_gseq)
{
	sqlite3_stmt *s;
	int rc = fsy_store_stmt(st, "INSERT INTO col_feed(tbl, row_id, col, "
	    "customer_id, gseq, clk) VALUES (?1, ?2, ?3, ?4, ?5, ?6)", &s);

	if (rc)
		return rc;
	bind_col_key(s, tbl, row, col, cust);
	sqlite3_bind_int64(s, 5, gseq);
	sqlite3_bind_int64(s, 6, (sqlite3_int64)st->hlc.last);
	rc = fsy_store_err(st, sqlite3_step(s));
	sqlite3_reset(s);
	if (rc != FSY_OK || old_gseq == 0)
		return rc;
	rc = fsy_store_stmt(st, "INSERT INTO col_feed_dead(by_gseq, gseq) "
	    "VALUES (?, ?)", &s);
	if (rc)
		return rc;
	sqlite3_bind_int64(s, 1, gseq);
	sqlite3_bind_int64(s, 2, old_gseq);
	rc = fsy_store_err(st, sqlite3_step(s));
	sqlite3_reset(s);
	return rc;
}

int
fsy__site_id(fsy_store_t *st, const char *name, int64_t *id)
{
	int rc;

	*id = 0;
	rc = fsy__store_text_int(st, "SELECT id FROM site WHERE name = ?1", name,
	    id);
	if (rc == FSY_OK && *id == 0 && (rc = fsy__store_text_int(st,
	    "INSERT INTO site(name) VALUES (?1)", name, NULL)) == FSY_OK)
		*id = sqlite3_last_insert_rowid(st->db);
	return rc;
}

int
fsy__site_name(fsy_store_t *st, int64_t id, char *buf, size_t len)
{
	sqlite3_stmt *s;
	int rc = fsy_store_stmt(st, "SELECT name FROM site WHERE id = ?", &s);

	if (rc)
		return rc;
	sqlite3_bind_int64(s, 1, id);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		snprintf(buf, len, "%s", (const char *)sqlite3_column_text(s, 0));
	else if (len)
		buf[0] = '\0';
	rc = rc == SQLITE_ROW || rc == SQLITE_DONE ? FSY_OK : fsy_store_err(st, rc);
	sqlite3_reset(s);
	return rc;
}

/* Steps s once; *out (if not NULL) gets column 0 of its row, 0 when
 * none (fsy__store_int and fsy__store_text_int). */
static int
step_int(fsy_store_t *st, sqlite3_stmt *s, int64_t *out)
{
	int rc = sqlite3_step(s);

	if (out)
		*out = rc == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
	rc = rc == SQLITE_ROW || rc == SQLITE_DONE ? FSY_OK : fsy_store_err(st, rc);
	sqlite3_reset(s);
	return rc;
}

int
fsy__store_text_int(fsy_store_t *st, const char *sql, const char *arg,
    int64_t *out)
{
	sqlite3_stmt *s;
	int rc = fsy_store_stmt(st, sql, &s);

	if (rc)
		return rc;
	sqlite3_bind_text(s, 1, arg, -1, SQLITE_STATIC);
	return step_int(st, s, out);
}

int
fsy__store_int(fsy_store_t *st, const char *sql, int64_t arg, int64_t *out)
{
	sqlite3_stmt *s;
	int rc = fsy_store_stmt(st, sql, &s);

	if (rc)
		return rc;
	if (sqlite3_bind_parameter_count(s) > 0)
		sqlite3_bind_int64(s, 1, arg);
	return step_int(st, s, out);
}

int
fsy_store_prune(fsy_store_t *st, int64_t max, int64_t *left)
{
	int64_t upto = 0;
	int rc;

	*left = 0;
	if (st->role != FSY_ROLE_HUB)
		return FSY_OK;
	if ((rc = fsy_store_begin(st)) != FSY_OK)
		return rc;
	/* the oldest max entries listed, removed from the feed in its order */
	rc = fsy__store_int(st, "SELECT ifnull(max(by_gseq), 0) FROM (SELECT "
	    "by_gseq FROM col_feed_dead ORDER BY by_gseq LIMIT ?1)", max, &upto);
	if (rc == FSY_OK && upto > 0)
		rc = fsy__store_int(st, "DELETE FROM col_feed WHERE gseq IN "
		    "(SELECT gseq FROM col_feed_dead WHERE by_gseq <= ?1)", upto,
		    NULL);
	if (rc == FSY_OK && upto > 0)
		rc = fsy__store_int(st, "DELETE FROM col_feed_dead WHERE "
		    "by_gseq <= ?1", upto, NULL);
	if (rc == FSY_OK)
		rc = fsy__store_int(st, "SELECT count(*) FROM col_feed_dead", 0, left);
	if (rc == FSY_OK)
		return fsy_store_commit(st);
	fsy_store_rollback(st);
	return rc;
}

/* Hub: the columns in mask of row (tbl, row, cust), just written by head
 * office, get new versions in v: the next global sequences (the feed's
 * last + 1 on) and their feed entries. */
static int
capture_hub(fsy_store_t *st, int tbl, const char *row, const char *cust,
    uint64_t mask, fsy_ver_t *v)
{
	int64_t gseq = 0;
	int rc = fsy__store_int(st, "SELECT ifnull(max(gseq), 0) FROM col_feed",
	    0, &gseq);

	for (int c = 0; c < fsy_tables[tbl].ncols && rc == FSY_OK; c++) {
		if (!(mask >> c & 1))
			continue;
		int64_t old = v[c].found ? v[c].gseq : 0;
		v[c].found = 1;
		v[c].hlc = fsy_hlc_tick(&st->hlc);
		v[c].gseq = ++gseq;
		v[c].site = st->site_id;
		rc = fsy__feed_add(st, gseq, cust, tbl, row, c, old);
		if (rc != FSY_OK || tbl != FSY_T_CUSTOMER ||
		    c != fsy_col_find(FSY_T_CUSTOMER, "owner_agent_id"))
			continue;
		/* The last change of owner: a laptop's scope needs comparing
		 * with who owns what only when one happened since it was last
		 * settled (hub.c scope_unsettled). */
		sqlite3_stmt *s;
		rc = fsy_store_stmt(st, "INSERT INTO meta(key, value) VALUES "
		    "('owner_gseq', ?) ON CONFLICT(key) DO UPDATE SET value = "
		    "excluded.value", &s);
		if (rc)
			break;
		sqlite3_bind_int64(s, 1, gseq);
		rc = fsy_store_err(st, sqlite3_step(s));
		sqlite3_reset(s);
	}
	return rc;
}

/* What cannot travel is refused when written, not when sent: NULL when
 * row, cust and value v of column col may be captured, else why (in
 * msg). */
static const char *
capture_refused(int tbl, int col, const char *row, const char *cust,
    sqlite3_value *v, char msg[160])
{
	if (!fsy_uuid_valid(row) || !fsy_uuid_valid(cust)) {
		snprintf(msg, 160, "%s: id '%.40s' is not a lower-case UUID",
		    fsy_tables[tbl].name, fsy_uuid_valid(row) ? cust : row);
		return msg;
	}
	if (sqlite3_value_type(v) == SQLITE_BLOB ||
	    sqlite3_value_type(v) == SQLITE_FLOAT ||
	    sqlite3_value_bytes(v) > FSY_VAL_MAX_TEXT) {
		snprintf(msg, 160, "%s.%s: value must be text of at most "
		    "%d bytes or an integer", fsy_tables[tbl].name,
		    fsy_tables[tbl].cols[col].name, FSY_VAL_MAX_TEXT);
		return msg;
	}
	return NULL;
}

static void
result_rc(sqlite3_context *ctx, fsy_store_t *st, int rc)
{
	if (rc == FSY_EFULL)
		sqlite3_result_error_code(ctx, SQLITE_FULL);
	else if (rc == FSY_ENOMEM)
		sqlite3_result_error_nomem(ctx);
	else
		sqlite3_result_error(ctx, st->errmsg, -1);
}

/* fsy_capture(tbl, row_id, customer_id, col, value), called by a laptop's
 * triggers. */
static void
sql_capture(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	fsy_store_t *st = sqlite3_user_data(ctx);
	const char *row, *cust, *why;
	char msg[160];
	int tbl, col, rc;

	(void)argc;
	tbl = sqlite3_value_int(argv[0]);
	row = (const char *)sqlite3_value_text(argv[1]);
	cust = (const char *)sqlite3_value_text(argv[2]);
	col = sqlite3_value_int(argv[3]);
	if (!fsy_col_valid(tbl, col) || row == NULL || cust == NULL ||
	    st->role != FSY_ROLE_AGENT) {
		sqlite3_result_error(ctx, "fsy_capture: bad arguments", -1);
		return;
	}
	if ((why = capture_refused(tbl, col, row, cust, argv[4], msg)) != NULL) {
		sqlite3_result_error(ctx, why, -1);
		return;
	}
	if ((rc = capture_agent(st, tbl, row, cust, col, argv[4])) != FSY_OK)
		result_rc(ctx, st, rc);
	else
		sqlite3_result_null(ctx);
}

/* fsy_vcap(rowid, tbl, row_id, customer_id, mask, _v, value0, value1,
 * ...), called by head office's triggers: the row's versions get a new one
 * for each column in mask (bit c: column c was written; its value is
 * value c), written to its _v. */
static void
sql_vcap(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	fsy_store_t *st = sqlite3_user_data(ctx);
	fsy_ver_t v[FSY_VERS_COLS];
	uint8_t out[FSY_VERS_MAX];
	const char *row, *cust, *why;
	char msg[160], sql[96];
	sqlite3_stmt *s;
	uint64_t mask;
	int tbl, rc;

	tbl = sqlite3_value_int(argv[1]);
	row = (const char *)sqlite3_value_text(argv[2]);
	cust = (const char *)sqlite3_value_text(argv[3]);
	mask = (uint64_t)sqlite3_value_int64(argv[4]);
	if (tbl < 0 || tbl >= FSY_NTABLES || row == NULL || cust == NULL ||
	    argc != 6 + fsy_tables[tbl].ncols || st->role != FSY_ROLE_HUB) {
		sqlite3_result_error(ctx, "fsy_vcap: bad arguments", -1);
		return;
	}
	sqlite3_result_null(ctx);
	if (mask == 0)
		return;
	for (int c = 0; c < fsy_tables[tbl].ncols; c++)
		if (mask >> c & 1 &&
		    (why = capture_refused(tbl, c, row, cust, argv[6 + c], msg))) {
			sqlite3_result_error(ctx, why, -1);
			return;
		}
	if (fsy__vers_decode(sqlite3_value_blob(argv[5]),
	    sqlite3_value_bytes(argv[5]), fsy_tables[tbl].ncols, v) != FSY_OK) {
		snprintf(msg, sizeof(msg), "%s row %s: versions unreadable",
		    fsy_tables[tbl].name, row);
		sqlite3_result_error(ctx, msg, -1);
		return;
	}
	snprintf(sql, sizeof(sql), "UPDATE %s SET _v = ?1 WHERE rowid = ?2",
	    fsy_tables[tbl].name);
	if ((rc = capture_hub(st, tbl, row, cust, mask, v)) == FSY_OK &&
	    (rc = fsy_store_stmt(st, sql, &s)) == FSY_OK) {
		sqlite3_bind_blob(s, 1, out, (int)fsy__vers_encode(v,
		    fsy_tables[tbl].ncols, out), SQLITE_STATIC);
		sqlite3_bind_value(s, 2, argv[0]);
		rc = fsy_store_err(st, sqlite3_step(s));
		sqlite3_reset(s);
	}
	if (rc != FSY_OK)
		result_rc(ctx, st, rc);
}

/* fsy_vpack(col, hlc, site, gseq), an aggregate: the _v of a row from
 * its versions (the migration from col_version, the benchmark's fill). */
static void
sql_vpack_step(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	fsy_ver_t *v = sqlite3_aggregate_context(ctx,
	    (int)sizeof(fsy_ver_t) * FSY_VERS_COLS);
	int col = sqlite3_value_int(argv[0]);

	(void)argc;
	if (v == NULL) {
		sqlite3_result_error_nomem(ctx);
		return;
	}
	if (col < 0 || col >= FSY_VERS_COLS || sqlite3_value_int64(argv[3]) <= 0) {
		sqlite3_result_error(ctx, "fsy_vpack: bad version", -1);
		return;
	}
	v[col].found = 1;
	v[col].hlc = (uint64_t)sqlite3_value_int64(argv[1]);
	v[col].site = sqlite3_value_int64(argv[2]);
	v[col].gseq = sqlite3_value_int64(argv[3]);
}

static void
sql_vpack_final(sqlite3_context *ctx)
{
	fsy_ver_t *v = sqlite3_aggregate_context(ctx, 0);
	uint8_t out[FSY_VERS_MAX];
	size_t n;

	if (v == NULL || (n = fsy__vers_encode(v, FSY_VERS_COLS, out)) == 0)
		sqlite3_result_null(ctx);
	else
		sqlite3_result_blob(ctx, out, (int)n, SQLITE_TRANSIENT);
}

/* The versions of argument _v of SQL function name into v, else its
 * error set and -1. */
static int
arg_versions(sqlite3_context *ctx, sqlite3_value *arg, const char *name,
    fsy_ver_t v[FSY_VERS_COLS])
{
	char msg[80];

	if (fsy__vers_decode(sqlite3_value_blob(arg), sqlite3_value_bytes(arg),
	    FSY_VERS_COLS, v) == FSY_OK)
		return 0;
	snprintf(msg, sizeof(msg), "%s: versions unreadable", name);
	sqlite3_result_error(ctx, msg, -1);
	return -1;
}

/* fsy_versions(_v): the versions as JSON, [[col, hlc, site, gseq], ...]
 * (the col_version view, for tools and tests). */
static void
sql_versions(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	fsy_ver_t v[FSY_VERS_COLS];
	char buf[FSY_VERS_COLS * 80 + 4];
	size_t len = 0;

	(void)argc;
	if (arg_versions(ctx, argv[0], "fsy_versions", v))
		return;
	buf[len++] = '[';
	for (int c = 0; c < FSY_VERS_COLS; c++)
		if (v[c].found)
			len += (size_t)snprintf(buf + len, sizeof(buf) - len,
			    "%s[%d,%llu,%lld,%lld]", len > 1 ? "," : "", c,
			    (unsigned long long)v[c].hlc, (long long)v[c].site,
			    (long long)v[c].gseq);
	buf[len++] = ']';
	sqlite3_result_text(ctx, buf, (int)len, SQLITE_TRANSIENT);
}

/* fsy_vcount(_v): how many columns have a version. */
static void
sql_vcount(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	fsy_ver_t v[FSY_VERS_COLS];
	int n = 0;

	(void)argc;
	if (arg_versions(ctx, argv[0], "fsy_vcount", v))
		return;
	for (int c = 0; c < FSY_VERS_COLS; c++)
		n += v[c].found;
	sqlite3_result_int(ctx, n);
}

/* Appends to buf (capacity cap), failing on overflow. */
static int
cat(char *buf, size_t cap, size_t *len, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int
cat(char *buf, size_t cap, size_t *len, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf + *len, cap - *len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= cap - *len)
		return FSY_ETOOBIG;
	*len += (size_t)n;
	return FSY_OK;
}

/* Creates the capture triggers for every replicated table, from tables.c:
 * on insert every non-NULL column, on update every changed column. On a
 * laptop, a new row's head-office columns are captured only when they are
 * given a value other than their default (NULL or 0): the hub refuses
 * them, and its correction puts head office's value back. */
/* 1 when the trigger that sql ("DROP ...;CREATE TRIGGER name ... END;",
 * len bytes) creates exists with exactly that text: then opening writes
 * nothing, and a store on a full disk still opens (to be read, and to
 * say "disk full" when written). */
static int
trigger_current(fsy_store_t *st, const char *sql, size_t len)
{
	const char *create = strchr(sql, ';');
	const char *name;
	sqlite3_stmt *q;
	size_t n, nlen;
	int same = 0;

	if (create == NULL || (name = strstr(create, "fsy_cap_")) == NULL)
		return 0;
	create++;
	n = len - (size_t)(create - sql) - 1; /* stored without the ';' */
	nlen = strcspn(name, " ");
	if (sqlite3_prepare_v2(st->db, "SELECT sql FROM sqlite_schema WHERE "
	    "type = 'trigger' AND name = ?", -1, &q, NULL) != SQLITE_OK)
		return 0;
	sqlite3_bind_text(q, 1, name, (int)nlen, SQLITE_STATIC);
	if (sqlite3_step(q) == SQLITE_ROW &&
	    (size_t)sqlite3_column_bytes(q, 0) == n &&
	    memcmp(sqlite3_column_text(q, 0), create, n) == 0)
		same = 1;
	sqlite3_finalize(q);
	return same;
}

/* Head office's capture trigger of table t (upd: on update, else on
 * insert): fsy_vcap gives the row's written columns (changed or, when
 * inserted, not NULL) new versions and writes them to its _v. The update
 * trigger names the replicated columns, so that writing _v does not fire
 * it; and its body only calls the function (a writing statement in a
 * trigger body would journal every page the firing statement writes,
 * which inside a long transaction grows without end: an import's
 * hundreds of thousands of updates slowed quadratically). */
static int
hub_trigger(fsy_store_t *st, int t, int upd, char *buf, size_t cap)
{
	const fsy_table_t *tb = &fsy_tables[t];
	const char *k = upd ? "upd" : "ins";
	size_t len = 0;
	int rc = cat(buf, cap, &len,
	    "DROP TRIGGER IF EXISTS fsy_cap_%s_%s;"
	    "CREATE TRIGGER fsy_cap_%s_%s AFTER %s", tb->name, k, tb->name, k,
	    upd ? "UPDATE OF " : "INSERT");

	for (int c = 0; upd && c < tb->ncols && rc == FSY_OK; c++)
		rc = cat(buf, cap, &len, "%s%s", c ? ", " : "", tb->cols[c].name);
	if (rc == FSY_OK)
		rc = cat(buf, cap, &len, " ON %s WHEN fsy_capturing() BEGIN\n "
		    "SELECT fsy_vcap(new.rowid, %d, new.id, new.customer_id, 0",
		    tb->name, t);
	for (int c = 0; c < tb->ncols && rc == FSY_OK; c++) {
		const char *cn = tb->cols[c].name;
		if (upd)
			rc = cat(buf, cap, &len, " | ((old.%s IS NOT new.%s) << %d)",
			    cn, cn, c);
		else
			rc = cat(buf, cap, &len, " | ((new.%s IS NOT NULL) << %d)",
			    cn, c);
	}
	if (rc == FSY_OK)
		rc = cat(buf, cap, &len, ", new._v");
	for (int c = 0; c < tb->ncols && rc == FSY_OK; c++)
		rc = cat(buf, cap, &len, ", new.%s", tb->cols[c].name);
	if (rc == FSY_OK)
		rc = cat(buf, cap, &len, ");\nEND;");
	if (rc == FSY_OK && !trigger_current(st, buf, len))
		rc = fsy_store_exec(st, buf);
	return rc;
}

static int
install_triggers(fsy_store_t *st)
{
	static char buf[16384];
	int rc = FSY_OK;

	for (int t = 0; t < FSY_NTABLES && rc == FSY_OK; t++) {
		const fsy_table_t *tb = &fsy_tables[t];
		for (int upd = 0; upd < 2 && rc == FSY_OK; upd++) {
			if (st->role == FSY_ROLE_HUB) {
				rc = hub_trigger(st, t, upd, buf, sizeof(buf));
				continue;
			}
			size_t len = 0;
			rc = cat(buf, sizeof(buf), &len,
			    "DROP TRIGGER IF EXISTS fsy_cap_%s_%s;"
			    "CREATE TRIGGER fsy_cap_%s_%s AFTER %s ON %s "
			    "WHEN fsy_capturing() BEGIN\n",
			    tb->name, upd ? "upd" : "ins", tb->name,
			    upd ? "upd" : "ins", upd ? "UPDATE" : "INSERT",
			    tb->name);
			for (int c = 0; c < tb->ncols && rc == FSY_OK; c++) {
				const char *cn = tb->cols[c].name;
				unsigned fl = tb->cols[c].flags;
				/* A laptop never writes head office's columns
				 * (but for those it may set on a new row). */
				int ho_default = st->role == FSY_ROLE_AGENT &&
				    !upd && fl & FSY_COL_HO && !(fl & FSY_COL_HO_INIT);
				if (upd)
					rc = cat(buf, sizeof(buf), &len,
					    " SELECT fsy_capture(%d, new.id, "
					    "new.customer_id, %d, new.%s) WHERE "
					    "old.%s IS NOT new.%s;\n",
					    t, c, cn, cn, cn);
				else
					rc = cat(buf, sizeof(buf), &len,
					    " SELECT fsy_capture(%d, new.id, "
					    "new.customer_id, %d, new.%s) WHERE "
					    "new.%s IS NOT NULL%s%s%s;\n",
					    t, c, cn, cn,
					    ho_default ? " AND new." : "",
					    ho_default ? cn : "",
					    ho_default ? " IS NOT 0" : "");
			}
			if (rc == FSY_OK)
				rc = cat(buf, sizeof(buf), &len, "END;");
			if (rc == FSY_OK && !trigger_current(st, buf, len))
				rc = fsy_store_exec(st, buf);
		}
	}
	return rc;
}

/* Head office: the temporary view col_version(tbl, row_id, col,
 * customer_id, val, hlc, site, gseq), one row per column version, read
 * from the rows' _v: what the table of that name held before 0007, for
 * tools and tests (the engine reads _v itself). */
static int
version_view(fsy_store_t *st)
{
	static char buf[16384];
	size_t len = 0;
	int rc = cat(buf, sizeof(buf), &len, "CREATE TEMP VIEW IF NOT EXISTS "
	    "col_version(tbl, row_id, col, customer_id, val, hlc, site, gseq) "
	    "AS ");

	for (int t = 0; t < FSY_NTABLES && rc == FSY_OK; t++) {
		const fsy_table_t *tb = &fsy_tables[t];
		rc = cat(buf, sizeof(buf), &len, "%sSELECT %d, r.id, j.value->>0, "
		    "r.customer_id, CASE j.value->>0", t ? " UNION ALL " : "", t);
		for (int c = 0; c < tb->ncols && rc == FSY_OK; c++)
			rc = cat(buf, sizeof(buf), &len, " WHEN %d THEN r.%s", c,
			    tb->cols[c].name);
		if (rc == FSY_OK)
			rc = cat(buf, sizeof(buf), &len, " END, j.value->>1, s.name, "
			    "j.value->>3 FROM main.%s r, json_each(fsy_versions(r._v)) "
			    "j JOIN main.site s ON s.id = j.value->>2", tb->name);
	}
	return rc == FSY_OK ? fsy_store_exec(st, buf) : rc;
}

/* ---- open / migrate ------------------------------------------------------ */

static int
migration_applies(const fsy_migration_t *m, fsy_role_t role)
{
	size_t n = strlen(m->name);

	if (n > 4 && strcmp(m->name + n - 4, "_hub") == 0)
		return role == FSY_ROLE_HUB;
	if (n > 8 && strcmp(m->name + n - 8, "_replica") == 0)
		return role == FSY_ROLE_AGENT;
	return 1;
}

static int
migrate(fsy_store_t *st)
{
	sqlite3_stmt *s = NULL;
	int version = 0, rc;
	char pragma[64];

	rc = sqlite3_prepare_v2(st->db, "PRAGMA user_version", -1, &s, NULL);
	if (rc != SQLITE_OK)
		return fsy_store_err(st, rc);
	if (sqlite3_step(s) == SQLITE_ROW)
		version = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);

	for (const fsy_migration_t *m = fsy_migrations; m->sql; m++) {
		if (m->version <= version)
			continue;
		if ((rc = fsy_store_begin(st)) != FSY_OK)
			return rc;
		if (migration_applies(m, st->role))
			rc = fsy_store_exec(st, m->sql);
		if (rc == FSY_OK) {
			snprintf(pragma, sizeof(pragma), "PRAGMA user_version = %d",
			    m->version);
			rc = fsy_store_exec(st, pragma);
		}
		if (rc == FSY_OK)
			rc = fsy_store_commit(st);
		if (rc != FSY_OK) {
			char msg[sizeof(st->errmsg)];
			snprintf(msg, sizeof(msg), "%s", st->errmsg);
			fsy_store_rollback(st);
			snprintf(st->errmsg, sizeof(st->errmsg),
			    "migration %s: %s", m->name, msg);
			return rc;
		}
	}
	return FSY_OK;
}

/* Loads or records role and site, and the clock's last value. */
static int
identify(fsy_store_t *st, const char *site)
{
	char buf[64];
	int64_t role;
	int rc;
	sqlite3_stmt *s;
	uint64_t last = 0;
	int64_t stored_hlc;

	rc = fsy_store_meta_int(st, "role", &role);
	if (rc == FSY_OK && role != st->role) {
		snprintf(st->errmsg, sizeof(st->errmsg),
		    "database belongs to the %s role",
		    role == FSY_ROLE_HUB ? "hub" : "agent");
		return FSY_ESTATE;
	}
	if (rc == FSY_ENOTFOUND)
		rc = fsy_store_meta_set_int(st, "role", st->role);
	if (rc)
		return rc;

	rc = fsy_store_meta_text(st, "site", buf, sizeof(buf));
	if (rc == FSY_OK) {
		if (site && strcmp(site, buf) != 0) {
			snprintf(st->errmsg, sizeof(st->errmsg),
			    "database belongs to site %s, not %s", buf, site);
			return FSY_ESTATE;
		}
		snprintf(st->site, sizeof(st->site), "%s", buf);
	} else if (rc == FSY_ENOTFOUND) {
		if (site && !fsy_uuid_valid(site)) {
			snprintf(st->errmsg, sizeof(st->errmsg),
			    "site id '%s' is not a UUID", site);
			return FSY_EINVAL;
		}
		if (site)
			snprintf(st->site, sizeof(st->site), "%s", site);
		else
			fsy_uuid_v7(st->site);
		rc = fsy_store_meta_set_text(st, "site", st->site);
	}
	if (rc)
		return rc;

	/* The clock resumes from the largest HLC this database has seen. */
	if (fsy_store_meta_int(st, "hlc", &stored_hlc) == FSY_OK)
		last = (uint64_t)stored_hlc;
	/* (head office: the feed's last entry holds its clock then) */
	rc = sqlite3_prepare_v2(st->db,
	    st->role == FSY_ROLE_HUB
	    ? "SELECT clk FROM col_feed ORDER BY gseq DESC LIMIT 1"
	    : "SELECT max(hlc) FROM change_log",
	    -1, &s, NULL);
	if (rc != SQLITE_OK)
		return fsy_store_err(st, rc);
	if (sqlite3_step(s) == SQLITE_ROW &&
	    (uint64_t)sqlite3_column_int64(s, 0) > last)
		last = (uint64_t)sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	fsy_hlc_init(&st->hlc, last);
	if (st->role == FSY_ROLE_HUB)
		return fsy__site_id(st, st->site, &st->site_id);
	return FSY_OK;
}

/* ---- head office's checkpoint thread (store.h) --------------------------- */

typedef struct fsy_ckpt {
	pthread_t thread;
	pthread_mutex_t mu;  /* guards the flags below */
	pthread_cond_t cv;   /* any flag changed */
	sqlite3 *db;         /* the thread's own connection */
	int want;            /* a pass is due: a commit left the log past
	                        FSY_WAL_BG_PAGES_HUB */
	int hold;            /* the store's connection checkpoints: no pass */
	int busy;            /* a pass runs */
	int stop;
} fsy_ckpt_t;

static void *
ckpt_main(void *arg)
{
	fsy_ckpt_t *c = arg;

	pthread_mutex_lock(&c->mu);
	for (;;) {
		while (!c->stop && (!c->want || c->hold))
			pthread_cond_wait(&c->cv, &c->mu);
		if (c->stop)
			break;
		c->want = 0;
		c->busy = 1;
		pthread_mutex_unlock(&c->mu);
		/* a failure (disk full, I/O) leaves the log whole: the bound's
		 * checkpoint, or the idle one, copies it later */
		(void)sqlite3_wal_checkpoint_v2(c->db, NULL,
		    SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
		pthread_mutex_lock(&c->mu);
		c->busy = 0;
		pthread_cond_broadcast(&c->cv);
	}
	pthread_mutex_unlock(&c->mu);
	return NULL;
}

/* Starts the thread, once; on failure the store's commits checkpoint at
 * the bound by themselves, as before (ckpt_failed). */
static void
ckpt_start(fsy_store_t *st)
{
	const char *path = sqlite3_db_filename(st->db, "main");
	fsy_ckpt_t *c = calloc(1, sizeof(*c));
	int stage = 0;

	st->ckpt_failed = 1;
	if (c == NULL || path == NULL || path[0] == '\0')
		goto fail;
	if (sqlite3_open_v2(path, &c->db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK ||
	    /* a connection copies only a log it has opened: read once */
	    sqlite3_exec(c->db, "PRAGMA synchronous = FULL;"
	    "SELECT count(*) FROM sqlite_schema", NULL, NULL, NULL) != SQLITE_OK)
		goto fail;
	if (pthread_mutex_init(&c->mu, NULL) != 0)
		goto fail;
	stage = 1;
	if (pthread_cond_init(&c->cv, NULL) != 0)
		goto fail;
	stage = 2;
	if (pthread_create(&c->thread, NULL, ckpt_main, c) != 0)
		goto fail;
	st->ckpt = c;
	st->ckpt_failed = 0;
	return;
fail:
	if (stage == 2)
		pthread_cond_destroy(&c->cv);
	if (stage >= 1)
		pthread_mutex_destroy(&c->mu);
	if (c)
		sqlite3_close(c->db);
	free(c);
}

static void
ckpt_stop(fsy_store_t *st)
{
	fsy_ckpt_t *c = st->ckpt;

	if (c == NULL)
		return;
	pthread_mutex_lock(&c->mu);
	c->stop = 1;
	pthread_cond_broadcast(&c->cv);
	pthread_mutex_unlock(&c->mu);
	pthread_join(c->thread, NULL);
	sqlite3_close(c->db);
	pthread_cond_destroy(&c->cv);
	pthread_mutex_destroy(&c->mu);
	free(c);
	st->ckpt = NULL;
}

/* Holds the thread's passes (hold 1: after the one running, if any) or
 * lets them go again (hold 0). */
static void
ckpt_hold(fsy_ckpt_t *c, int hold)
{
	pthread_mutex_lock(&c->mu);
	c->hold = hold;
	if (hold)
		while (c->busy)
			pthread_cond_wait(&c->cv, &c->mu);
	else
		pthread_cond_broadcast(&c->cv);
	pthread_mutex_unlock(&c->mu);
}

/* A passive checkpoint on the store's connection, after the thread's pass
 * in progress (if any) and with its passes held meanwhile: the log is
 * copied to its end here, not left to a later pass. */
static int
checkpoint_now(fsy_store_t *st)
{
	int rc;

	if (st->ckpt)
		ckpt_hold(st->ckpt, 1);
	rc = sqlite3_wal_checkpoint_v2(st->db, NULL, SQLITE_CHECKPOINT_PASSIVE,
	    NULL, NULL);
	if (st->ckpt)
		ckpt_hold(st->ckpt, 0);
	return rc;
}

/* Head office's commit hook (sqlite3_wal_hook; it replaces SQLite's
 * automatic checkpoint): pages is the log's length after the commit. */
static int
hub_wal_hook(void *arg, sqlite3 *db, const char *name, int pages)
{
	fsy_store_t *st = arg;
	fsy_ckpt_t *c;

	(void)db;
	(void)name;
	if (pages < st->wal_bg)
		return SQLITE_OK;
	if (st->ckpt == NULL && !st->ckpt_failed)
		ckpt_start(st);
	if (pages < st->wal_busy) {
		if ((c = st->ckpt) != NULL) {
			pthread_mutex_lock(&c->mu);
			c->want = 1;
			pthread_cond_broadcast(&c->cv);
			pthread_mutex_unlock(&c->mu);
		}
		return SQLITE_OK;
	}
	/* the bound: copy what the thread has not, so that the next commit
	 * writes the log from its beginning again (a failure leaves it whole:
	 * the next commit, or the idle checkpoint, tries again) */
	(void)checkpoint_now(st);
	return SQLITE_OK;
}

void
fsy__store_wal_bounds(fsy_store_t *st, int bg, int busy)
{
	st->wal_bg = bg;
	st->wal_busy = busy;
}

int
fsy__store_ckpt_running(const fsy_store_t *st)
{
	return st->ckpt != NULL;
}

int
fsy_store_open(const char *path, fsy_role_t role, const char *site,
    fsy_store_t **out, char *errbuf, size_t errlen)
{
	fsy_store_t *st;
	int rc;

	*out = NULL;
	if (role != FSY_ROLE_AGENT && role != FSY_ROLE_HUB)
		return FSY_EINVAL;
	if (errbuf && errlen)
		errbuf[0] = '\0';
	if ((st = calloc(1, sizeof(*st))) == NULL)
		return FSY_ENOMEM;
	st->role = role;
	st->capture = 1;
	st->wal_bg = FSY_WAL_BG_PAGES_HUB;
	st->wal_busy = FSY_WAL_BUSY_PAGES_HUB;
	rc = sqlite3_open_v2(path, &st->db,
	    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
	    NULL);
	if (rc != SQLITE_OK) {
		rc = st->db ? fsy_store_err(st, rc) : FSY_ENOMEM;
		goto fail;
	}
	sqlite3_extended_result_codes(st->db, 1);
	sqlite3_busy_timeout(st->db, 5000);
	/* Temporary files: a laptop keeps them in memory. Head office keeps
	 * them in files: a statement journal in memory is a list of 1 KiB
	 * chunks that SQLite walks from its start each time a statement ends
	 * inside a savepoint, and head office's long transactions (an import,
	 * an owner recompute inside it) end hundreds of thousands of
	 * statements over a journal of thousands of pages — quadratic (a
	 * 100,000-customer import took 10 minutes); in a file it is cut in
	 * one call. */
	rc = fsy_store_exec(st,
	    "PRAGMA journal_mode = WAL;"
	    "PRAGMA synchronous = FULL;"
	    "PRAGMA foreign_keys = ON;");
	if (rc == FSY_OK)
		rc = fsy_store_exec(st, role == FSY_ROLE_HUB ?
		    "PRAGMA temp_store = FILE" : "PRAGMA temp_store = MEMORY");
	if (rc)
		goto fail;
	rc = sqlite3_create_function(st->db, "fsy_capturing", 0,
	    SQLITE_UTF8, st, sql_capturing, NULL, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_create_function(st->db, "fsy_capture", 5,
		    SQLITE_UTF8, st, sql_capture, NULL, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_create_function(st->db, "fsy_vcap", -1,
		    SQLITE_UTF8, st, sql_vcap, NULL, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_create_function(st->db, "fsy_vpack", 4,
		    SQLITE_UTF8, st, NULL, sql_vpack_step, sql_vpack_final);
	if (rc == SQLITE_OK)
		rc = sqlite3_create_function(st->db, "fsy_versions", 1,
		    SQLITE_UTF8 | SQLITE_DETERMINISTIC, st, sql_versions, NULL, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_create_function(st->db, "fsy_vcount", 1,
		    SQLITE_UTF8 | SQLITE_DETERMINISTIC, st, sql_vcount, NULL, NULL);
	if (rc != SQLITE_OK) {
		rc = fsy_store_err(st, rc);
		goto fail;
	}
	/* Head office serves every laptop from one store: give it a page
	 * cache that holds the hot part of col_version (64 MiB). A laptop
	 * keeps SQLite's default (2 MiB): it must stay small when idle.
	 * (A memory map of the file, tried for the hub, made the day's
	 * merge and the first fill slower here: a page fault per page
	 * first touched costs more than the read it saves.) */
	if (role == FSY_ROLE_HUB &&
	    (rc = fsy_store_exec(st, "PRAGMA cache_size = -65536")) != FSY_OK)
		goto fail;
	if (role == FSY_ROLE_HUB)
		sqlite3_wal_hook(st->db, hub_wal_hook, st);
	else
		sqlite3_wal_autocheckpoint(st->db, FSY_WAL_BUSY_PAGES);
	if (role != FSY_ROLE_HUB) {
		char limit[64];
		snprintf(limit, sizeof(limit), "PRAGMA journal_size_limit = %d",
		    FSY_WAL_KEEP_BYTES);
		if ((rc = fsy_store_exec(st, limit)) != FSY_OK)
			goto fail;
	}
	if ((rc = migrate(st)) != FSY_OK)
		goto fail;
	if ((rc = fsy_store_begin(st)) != FSY_OK)
		goto fail;
	rc = identify(st, site);
	if (rc == FSY_OK)
		rc = install_triggers(st);
	if (rc == FSY_OK && role == FSY_ROLE_HUB)
		rc = version_view(st);
	if (rc == FSY_OK)
		rc = fsy_store_commit(st);
	if (rc != FSY_OK) {
		fsy_store_rollback(st);
		goto fail;
	}
	*out = st;
	return FSY_OK;
fail:
	if (errbuf && errlen)
		snprintf(errbuf, errlen, "%s: %s%s%s", path, fsy_strerror(rc),
		    st->errmsg[0] ? ": " : "", st->errmsg);
	fsy_store_close(st);
	return rc;
}

void
fsy_store_close(fsy_store_t *st)
{
	if (st == NULL)
		return;
	ckpt_stop(st); /* before the last connection closes (it checkpoints) */
	for (int i = 0; i < st->ncache; i++) {
		sqlite3_finalize(st->cache[i].stmt);
		free((void *)st->cache[i].sql);
	}
	if (st->db)
		sqlite3_close(st->db);
	free(st);
}

int
fsy_store_checkpoint(fsy_store_t *st)
{
	int rc = checkpoint_now(st);

	/* SQLITE_BUSY: another connection is checkpointing; nothing lost */
	return rc == SQLITE_OK || rc == SQLITE_BUSY ? FSY_OK :
	    fsy_store_err(st, rc);
}

int
fsy_store_errf(fsy_store_t *st, int code, char *buf, size_t len,
    const char *fmt, ...)
{
	va_list ap;
	int n;

	if (code > 0)
		code = st ? fsy_store_err(st, code) : fsy_err_from_sqlite(code);
	if (code == FSY_OK)
		code = FSY_EINTERNAL;
	if (buf == NULL || len == 0)
		return code;
	va_start(ap, fmt);
	n = vsnprintf(buf, len, fmt, ap);
	va_end(ap);
	if (n < 0)
		buf[0] = '\0';
	else if (st != NULL && (size_t)n < len)
		snprintf(buf + n, len - (size_t)n, ": %s",
		    st->errmsg[0] ? st->errmsg : fsy_strerror(code));
	return code;
}
