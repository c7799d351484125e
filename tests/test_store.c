/* test_store.c — opening, migrations, meta, change capture. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "rows.h"
#include "store_int.h"
#include "tables.h"
#include "util.h"
#include "vers.h"

static void
test_open_migrates_and_reopens(void **state)
{
	(void)state;
	fsy_store_t *st = tu_open("a.db", FSY_ROLE_AGENT, NULL);
	assert_int_equal(tu_int(st, "PRAGMA user_version"), 7);
	assert_string_equal(tu_text(st, "PRAGMA journal_mode"), "wal");
	assert_int_equal(tu_int(st, "PRAGMA foreign_keys"), 1);
	assert_int_equal(tu_int(st, "PRAGMA temp_store"), 2);
	/* the agent has a change log, not the hub's col_version */
	assert_int_equal(tu_int(st, "SELECT count(*) FROM sqlite_master WHERE name='change_log'"), 1);
	assert_int_equal(tu_int(st, "SELECT count(*) FROM sqlite_master WHERE name='col_version'"), 0);
	char site[64];
	snprintf(site, sizeof(site), "%s", fsy_store_site(st));
	assert_true(fsy_uuid_valid(site));
	fsy_store_close(st);

	st = tu_open("a.db", FSY_ROLE_AGENT, NULL);
	assert_string_equal(fsy_store_site(st), site);
	fsy_store_close(st);

	/* wrong role or wrong site is refused */
	fsy_store_t *bad = NULL;
	char err[256];
	assert_int_equal(fsy_store_open(tu_path("a.db"), FSY_ROLE_HUB, NULL, &bad, err, sizeof(err)), FSY_ESTATE);
	assert_null(bad);
	assert_non_null(strstr(err, "agent role"));
	char other[37];
	fsy_uuid_v7(other);
	assert_int_equal(fsy_store_open(tu_path("a.db"), FSY_ROLE_AGENT, other, &bad, err, sizeof(err)), FSY_ESTATE);
}

static void
test_hub_schema(void **state)
{
	(void)state;
	fsy_store_t *st = tu_open("h.db", FSY_ROLE_HUB, NULL);
	/* versions live in the rows (0007); col_version is a view of them */
	assert_int_equal(tu_int(st, "SELECT count(*) FROM sqlite_master WHERE name='col_version'"), 0);
	assert_int_equal(tu_int(st, "SELECT count(*) FROM sqlite_temp_master WHERE name='col_version' AND type='view'"), 1);
	assert_int_equal(tu_int(st, "SELECT count(*) FROM sqlite_master WHERE name='site'"), 1);
	/* temporary files on disk: an in-memory statement journal is walked
	 * from its start at each statement's end (store.c) */
	assert_int_equal(tu_int(st, "PRAGMA temp_store"), 1);
	assert_int_equal(tu_int(st, "SELECT count(*) FROM sqlite_master WHERE name='change_log'"), 0);
	fsy_store_close(st);
}

static void
test_meta(void **state)
{
	(void)state;
	fsy_store_t *st = tu_open("m.db", FSY_ROLE_AGENT, NULL);
	int64_t v = 0;
	char buf[32];
	assert_int_equal(fsy_store_meta_int(st, "nope", &v), FSY_ENOTFOUND);
	assert_int_equal(fsy_store_meta_set_int(st, "n", 42), FSY_OK);
	assert_int_equal(fsy_store_meta_int(st, "n", &v), FSY_OK);
	assert_int_equal(v, 42);
	assert_int_equal(fsy_store_meta_set_text(st, "t", "hello"), FSY_OK);
	assert_int_equal(fsy_store_meta_text(st, "t", buf, sizeof(buf)), FSY_OK);
	assert_string_equal(buf, "hello");
	fsy_store_close(st);
}

static void
test_agent_capture_chain(void **state)
{
	(void)state;
	fsy_store_t *st = tu_open("c.db", FSY_ROLE_AGENT, NULL);
	tu_exec(st, "INSERT INTO customer(id, customer_id, name, phone) VALUES "
	    "('01890000-0000-7000-8000-000000000001','01890000-0000-7000-8000-000000000001','王伟','13800000000')");
	/* name, phone, card_provisional, recruit_interest, deleted */
	int64_t n = tu_int(st, "SELECT count(*) FROM change_log");
	assert_int_equal(n, 5);
	tu_exec(st, "UPDATE customer SET phone = '13900000000', name = name");
	assert_int_equal(tu_int(st, "SELECT count(*) FROM change_log"), n + 1);
	assert_string_equal(tu_text(st, "SELECT val FROM change_log ORDER BY seq DESC LIMIT 1"), "13900000000");
	/* every entry chains from the one before */
	assert_int_equal(tu_int(st, "SELECT count(*) FROM change_log a JOIN change_log b ON b.seq = a.seq + 1 WHERE b.prev_hash != a.hash"), 0);
	assert_int_equal(tu_int(st, "SELECT count(*) FROM change_log a JOIN change_log b ON b.seq = a.seq + 1 WHERE b.hlc <= a.hlc"), 0);
	/* a failed statement leaves no entry and no gap */
	assert_int_not_equal(fsy_store_exec(st, "UPDATE customer SET gender = 'X'"), FSY_OK);
	assert_int_equal(tu_int(st, "SELECT count(*) FROM change_log"), n + 1);
	/* with capture off, nothing is recorded */
	fsy_store_set_capture(st, 0);
	tu_exec(st, "UPDATE customer SET phone = '1'");
	assert_int_equal(tu_int(st, "SELECT count(*) FROM change_log"), n + 1);
	fsy_store_close(st);
}

static void
test_hub_capture_versions(void **state)
{
	(void)state;
	fsy_store_t *st = tu_open("hc.db", FSY_ROLE_HUB, NULL);
	tu_exec(st, "INSERT INTO customer(id, customer_id, name) VALUES ('0190d000-0000-7000-8000-0000000000c1','0190d000-0000-7000-8000-0000000000c1','李娜')");
	int64_t n = tu_int(st, "SELECT count(*) FROM col_version");
	assert_true(n >= 2);
	int64_t g = tu_int(st, "SELECT max(gseq) FROM col_version");
	tu_exec(st, "UPDATE customer SET name = '李娜娜' WHERE id = '0190d000-0000-7000-8000-0000000000c1'");
	assert_int_equal(tu_int(st, "SELECT count(*) FROM col_version"), n);
	assert_int_equal(tu_int(st, "SELECT gseq FROM col_version WHERE col = 2"), g + 1);
	assert_string_equal(tu_text(st, "SELECT val FROM col_version WHERE col = 2"), "李娜娜");
	/* a change of owner is remembered by its gseq; other columns not */
	assert_int_equal(tu_int(st, "SELECT value FROM meta WHERE key = 'owner_gseq'"), 0);
	tu_exec(st, "INSERT INTO agent(id, code, name, role, status) VALUES "
	    "('0190d000-0000-7000-8000-0000000000a1', 'A1', '王', 'agent', 'employed')");
	tu_exec(st, "UPDATE customer SET owner_agent_id = '0190d000-0000-7000-8000-0000000000a1'");
	assert_int_equal(tu_int(st, "SELECT value FROM meta WHERE key = 'owner_gseq'"), g + 2);
	tu_exec(st, "UPDATE customer SET name = '李'");
	assert_int_equal(tu_int(st, "SELECT value FROM meta WHERE key = 'owner_gseq'"), g + 2);
	fsy_store_close(st);
}

static void
test_hlc_survives_reopen(void **state)
{
	(void)state;
	fsy_store_t *st = tu_open("r.db", FSY_ROLE_AGENT, NULL);
	tu_exec(st, "INSERT INTO need(id, customer_id, kind) VALUES ('0190d000-0000-7000-8000-0000000000d1','0190d000-0000-7000-8000-0000000000c1','health')");
	int64_t last = tu_int(st, "SELECT max(hlc) FROM change_log");
	fsy_store_close(st);
	st = tu_open("r.db", FSY_ROLE_AGENT, NULL);
	/* a clock set back by a day still issues larger HLCs */
	fsy_hlc_t *c = fsy_store_clock(st);
	assert_true(c->last >= (uint64_t)last);
	tu_exec(st, "UPDATE need SET note = 'x'");
	assert_true(tu_int(st, "SELECT max(hlc) FROM change_log") > last);
	fsy_store_close(st);
}

/* What cannot travel is refused at write time, and nothing is written. */
static void
test_capture_refuses_untravelable(void **state)
{
	(void)state;
	fsy_store_t *st = tu_open("bad.db", FSY_ROLE_AGENT, NULL);
	assert_int_not_equal(fsy_store_exec(st, "INSERT INTO need(id, customer_id, kind) VALUES ('N1','c1','x')"), FSY_OK);
	assert_non_null(strstr(fsy_store_errmsg(st), "UUID"));
	assert_int_not_equal(fsy_store_exec(st, "INSERT INTO need(id, customer_id, kind) VALUES "
	    "('0190D000-0000-7000-8000-0000000000D1','0190d000-0000-7000-8000-0000000000c1','x')"), FSY_OK);
	assert_int_not_equal(fsy_store_exec(st, "INSERT INTO need(id, customer_id, note) VALUES "
	    "('0190d000-0000-7000-8000-0000000000d1','0190d000-0000-7000-8000-0000000000c1', zeroblob(10))"), FSY_OK);
	assert_int_not_equal(fsy_store_exec(st, "INSERT INTO need(id, customer_id, note) VALUES "
	    "('0190d000-0000-7000-8000-0000000000d1','0190d000-0000-7000-8000-0000000000c1', printf('%.*c', 70000, 'x'))"), FSY_OK);
	assert_non_null(strstr(fsy_store_errmsg(st), "need.note"));
	assert_int_equal(tu_int(st, "SELECT count(*) FROM need"), 0);
	assert_int_equal(tu_int(st, "SELECT count(*) FROM change_log"), 0);
	fsy_store_close(st);
}

static int
teardown(void **state)
{
	(void)state;
	tu_cleanup();
	return 0;
}

/* Preparing more statements than the cache holds while one is still being
 * stepped evicts others, never the running one. */
static void
test_stmt_cache_keeps_running(void **state)
{
	(void)state;
	fsy_store_t *st = tu_open("c.db", FSY_ROLE_AGENT, NULL);
	sqlite3_stmt *run, *s;
	char sql[96];
	int n = 0;

	assert_int_equal(fsy_store_stmt(st, "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL "
	    "SELECT x + 1 FROM c WHERE x < 5) SELECT x FROM c WHERE ?1 = ?1", &run), FSY_OK);
	sqlite3_bind_int(run, 1, 1);
	assert_int_equal(sqlite3_step(run), SQLITE_ROW);
	n += sqlite3_column_int(run, 0);
	for (int i = 0; i < 3 * FSY_STMT_CACHE; i++) {
		snprintf(sql, sizeof(sql), "SELECT %d", i);
		assert_int_equal(fsy_store_stmt(st, sql, &s), FSY_OK);
		assert_int_equal(sqlite3_step(s), SQLITE_ROW);
		assert_int_equal(sqlite3_column_int(s, 0), i);
		sqlite3_reset(s);
	}
	while (sqlite3_step(run) == SQLITE_ROW)
		n += sqlite3_column_int(run, 0);
	assert_int_equal(n, 15);
	sqlite3_reset(run);
	fsy_store_close(st);
}

/* fsy_store_errf: the code it returns and the message it writes. */
static void
test_errf(void **state)
{
	(void)state;
	fsy_store_t *st = tu_open("e.db", FSY_ROLE_AGENT, NULL);
	sqlite3_stmt *s;
	char buf[128], small[6];
	int rc;

	/* no buffer: only the code */
	assert_int_equal(fsy_store_errf(NULL, FSY_EINVAL, NULL, 0, "x"), FSY_EINVAL);
	assert_int_equal(fsy_store_errf(st, FSY_EINVAL, NULL, 0, "x"), FSY_EINVAL);
	buf[0] = 'z';
	assert_int_equal(fsy_store_errf(NULL, FSY_EINVAL, buf, 0, "x"), FSY_EINVAL);
	assert_int_equal(buf[0], 'z');

	/* no store: the text alone, the code as given */
	assert_int_equal(fsy_store_errf(NULL, FSY_ENOTFOUND, buf, sizeof(buf), "no agent '%s'", "a1"), FSY_ENOTFOUND);
	assert_string_equal(buf, "no agent 'a1'");
	/* not failures: FSY_EINTERNAL; a SQLite code is translated */
	assert_int_equal(fsy_store_errf(NULL, FSY_OK, buf, sizeof(buf), "a"), FSY_EINTERNAL);
	assert_int_equal(fsy_store_errf(NULL, SQLITE_ROW, buf, sizeof(buf), "a"), FSY_EINTERNAL);
	assert_int_equal(fsy_store_errf(NULL, SQLITE_DONE, buf, sizeof(buf), "a"), FSY_EINTERNAL);
	assert_int_equal(fsy_store_errf(NULL, SQLITE_BUSY, buf, sizeof(buf), "b"), FSY_EBUSY);
	assert_string_equal(buf, "b");

	/* a store that has recorded no error: the code's message follows */
	st->errmsg[0] = '\0';
	assert_int_equal(fsy_store_errf(st, FSY_EBUSY, buf, sizeof(buf), "begin"), FSY_EBUSY);
	assert_string_equal(buf, "begin: database or resource busy");
	assert_int_equal(fsy_store_errf(st, SQLITE_DONE, buf, sizeof(buf), "row"), FSY_EINTERNAL);
	assert_string_equal(buf, "row: internal error");

	/* a SQLite failure: translated, its message recorded and appended */
	assert_int_equal(fsy_store_exec(st, "CREATE TABLE t(x UNIQUE); INSERT INTO t VALUES (1)"), FSY_OK);
	assert_int_equal(fsy_store_stmt(st, "INSERT INTO t VALUES (1)", &s), FSY_OK);
	rc = sqlite3_step(s);
	assert_int_equal(rc & 0xff, SQLITE_CONSTRAINT);
	assert_int_equal(fsy_store_errf(st, rc, buf, sizeof(buf), "writing %s", "t"), FSY_ECONSTRAINT);
	sqlite3_reset(s);
	assert_string_equal(buf, "writing t: UNIQUE constraint failed: t.x");
	assert_string_equal(fsy_store_errmsg(st), "UNIQUE constraint failed: t.x");
	/* an FSY_E* code: the store's last message follows */
	assert_int_equal(fsy_store_errf(st, FSY_EIO, buf, sizeof(buf), "commit"), FSY_EIO);
	assert_string_equal(buf, "commit: UNIQUE constraint failed: t.x");

	/* a short buffer: cut, always terminated */
	assert_int_equal(fsy_store_errf(NULL, FSY_EINVAL, small, sizeof(small), "abcdefgh"), FSY_EINVAL);
	assert_string_equal(small, "abcde");
	assert_int_equal(fsy_store_errf(st, FSY_EIO, small, sizeof(small), "abcd"), FSY_EIO);
	assert_string_equal(small, "abcd:");
	assert_int_equal(fsy_store_errf(st, FSY_EIO, small, sizeof(small), "abcde"), FSY_EIO);
	assert_string_equal(small, "abcde");
	fsy_store_close(st);
}

/* fsy__row_write: a row's columns in one statement, new or existing. */
static void
test_row_write(void **state)
{
	(void)state;
	fsy_store_t *st = tu_open("w.db", FSY_ROLE_AGENT, NULL);
	const char *row = "01900000-0000-7000-8000-000000000001";
	const char *cust = "01900000-0000-7000-8000-0000000000c1";
	fsy_val_t rel = {.type = FSY_VAL_TEXT, .s = "child", .n = 5};
	fsy_val_t name = {.type = FSY_VAL_TEXT, .s = "王小", .n = 6};
	fsy_val_t name2 = {.type = FSY_VAL_TEXT, .s = "王大", .n = 6};
	fsy_val_t del = {.type = FSY_VAL_INT, .i = 1};
	fsy_val_t null = {.type = FSY_VAL_NULL};
	int t = FSY_T_PERSON, c_rel = fsy_col_find(t, "relation"),
	    c_name = fsy_col_find(t, "name"), c_del = fsy_col_find(t, "deleted");
	int cols[8];
	const fsy_val_t *vals[8];

	fsy_store_set_capture(st, 0);
	/* unknown: no row yet, so an insert of the columns given */
	cols[0] = c_rel, vals[0] = &rel;
	cols[1] = c_name, vals[1] = &name;
	assert_int_equal(fsy__row_write(st, t, row, cust, 2, cols, vals, -1), FSY_OK);
	assert_string_equal(tu_text(st, "SELECT customer_id || relation || name "
	    "|| deleted FROM person"), "01900000-0000-7000-8000-0000000000c1child王小0");
	/* existing: only the columns given change */
	cols[0] = c_name, vals[0] = &name2;
	assert_int_equal(fsy__row_write(st, t, row, "other", 1, cols, vals, 1), FSY_OK);
	assert_string_equal(tu_text(st, "SELECT customer_id || relation || name "
	    "FROM person"), "01900000-0000-7000-8000-0000000000c1child王大");
	/* every column: one upsert; the row keeps its customer */
	for (int c = 0; c < fsy_tables[t].ncols; c++) {
		cols[c] = c;
		vals[c] = c == c_del ? &del : c == c_rel ? &rel : &null;
	}
	assert_int_equal(fsy__row_write(st, t, row, "other", fsy_tables[t].ncols,
	    cols, vals, -1), FSY_OK);
	assert_int_equal(tu_int(st, "SELECT count(*) FROM person WHERE name IS NULL "
	    "AND deleted = 1 AND relation = 'child' AND customer_id LIKE '%c1'"), 1);
	/* a repeated or unknown column is refused and writes nothing */
	cols[0] = c_name, vals[0] = &name;
	cols[1] = c_name, vals[1] = &name2;
	assert_int_equal(fsy__row_write(st, t, row, cust, 2, cols, vals, 1), FSY_EINVAL);
	cols[1] = 99;
	assert_int_equal(fsy__row_write(st, t, row, cust, 2, cols, vals, 1), FSY_EINVAL);
	assert_int_equal(fsy__row_write(st, t, row, cust, 0, cols, vals, 1), FSY_EINVAL);
	assert_int_equal(tu_int(st, "SELECT count(*) FROM person WHERE name IS NULL"), 1);
	/* known absent: a plain insert, which a duplicate id fails */
	cols[0] = c_rel, vals[0] = &rel;
	assert_int_equal(fsy__row_write(st, t, row, cust, 1, cols, vals, 0),
	    FSY_ECONSTRAINT);
	assert_int_equal(tu_int(st, "SELECT count(*) FROM person"), 1);
	/* nothing was captured: capture is off */
	assert_int_equal(tu_int(st, "SELECT count(*) FROM change_log"), 0);
	fsy_store_set_capture(st, 1);
	fsy_store_close(st);
}

/* Runs a schema file on a plain connection. */
static void
run_schema_file(sqlite3 *db, const char *name)
{
	char path[512], *sql, *err = NULL;
	FILE *f;
	long n;

	snprintf(path, sizeof(path), "%s/schema/%s", FSY_SOURCE_DIR, name);
	assert_non_null(f = fopen(path, "rb"));
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	assert_true((n = ftell(f)) > 0);
	rewind(f);
	assert_non_null(sql = calloc(1, (size_t)n + 1));
	assert_int_equal(fread(sql, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK)
		fail_msg("%s: %s", name, err);
	free(sql);
}

/* A hub made before 0005 keeps every version when col_version is rebuilt
 * customer first, and its gseq order; 0006 puts that order in col_feed. */
static void
test_hub_migrates_versions(void **state)
{
	(void)state;
	sqlite3 *db;
	static const char *const files[] = {"0001_core.sql", "0002_hub.sql",
	    "0004_import_hub.sql"};

	assert_int_equal(sqlite3_open(tu_path("old.db"), &db), SQLITE_OK);
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
		run_schema_file(db, files[i]);
	assert_int_equal(sqlite3_exec(db,
	    "INSERT INTO customer(id, customer_id, name) VALUES ('c1', 'c1', '王'),"
	    " ('c0', 'c0', 'x');"
	    "INSERT INTO person(id, customer_id, relation) VALUES ('r2', 'c1', "
	    "'spouse');"
	    "INSERT INTO col_version VALUES (0, 'c1', 2, 'c1', '王', 10, 's', 3);"
	    "INSERT INTO col_version VALUES (1, 'r2', 1, 'c1', NULL, 11, 's', 1);"
	    "INSERT INTO col_version VALUES (0, 'c0', 2, 'c0', 'x', 12, 't', 2);"
	    "PRAGMA user_version = 4;", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);

	fsy_store_t *st = tu_open("old.db", FSY_ROLE_HUB, NULL);
	assert_int_equal(tu_int(st, "PRAGMA user_version"), 7);
	/* 0007: the versions moved into the rows, the view shows them */
	assert_string_equal(tu_text(st, "SELECT group_concat(customer_id || ',' "
	    "|| tbl || ',' || row_id || ',' || col || ',' || quote(val) || ',' || "
	    "hlc || ',' || site, ' ') FROM (SELECT * FROM col_version ORDER BY "
	    "gseq)"), "c1,1,r2,1,NULL,11,s c0,0,c0,2,'x',12,t c1,0,c1,2,'王',10,s");
	assert_int_equal(tu_int(st, "SELECT count(*) FROM sqlite_master WHERE "
	    "name = 'col_version'"), 0);
	assert_int_equal(tu_int(st, "SELECT fsy_vcount(_v) FROM customer WHERE "
	    "id = 'c1'"), 1);
	/* the clock resumes past every version moved */
	assert_true(tu_int(st, "SELECT value FROM meta WHERE key = 'hlc'") >= 12);
	assert_int_equal(tu_int(st, "SELECT count(*) FROM sqlite_master WHERE "
	    "name = 'col_version_customer'"), 0);
	/* no owner version among them: no change of owner yet */
	assert_int_equal(tu_int(st, "SELECT value FROM meta WHERE key = "
	    "'owner_gseq'"), 0);
	/* 0006: the index is gone, the feed holds the same order */
	assert_int_equal(tu_int(st, "SELECT count(*) FROM sqlite_master WHERE "
	    "name = 'col_version_gseq'"), 0);
	assert_string_equal(tu_text(st, "SELECT group_concat(gseq || ',' || "
	    "customer_id || ',' || tbl || ',' || row_id || ',' || col, ' ') "
	    "FROM (SELECT * FROM col_feed ORDER BY gseq)"),
	    "1,c1,1,r2,1 2,c0,0,c0,2 3,c1,0,c1,2");
	assert_int_equal(tu_int(st, "SELECT count(*) FROM col_feed_dead"), 0);
	fsy_store_close(st);
}

static long long
file_size(const char *path)
{
	FILE *f = fopen(path, "rb");
	long long n;

	if (f == NULL)
		return -1;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fclose(f);
	return n;
}

/* One commit of 100 pages (rows of 4,000 bytes) into table scratch. */
static void
write_100_pages(fsy_store_t *st)
{
	tu_exec(st, "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL "
	    "SELECT i + 1 FROM n WHERE i < 100) "
	    "INSERT INTO scratch SELECT zeroblob(4000) FROM n");
}

/* Opens store NAME and names its log file in wal. */
static fsy_store_t *
open_logged(const char *name, fsy_role_t role, char *wal, size_t len)
{
	snprintf(wal, len, "%s-wal", tu_path(name));
	return tu_open(name, role, NULL);
}

/* Commits do not checkpoint below FSY_WAL_BUSY_PAGES: the log waits for
 * fsy_store_checkpoint (the daemons' idle moment); a laptop's log is cut
 * back afterwards, and nothing written is lost. */
static void
test_checkpoint_when_idle(void **state)
{
	(void)state;
	char wal[1100];
	fsy_store_t *st = open_logged("w.db", FSY_ROLE_AGENT, wal, sizeof(wal));
	int64_t total = 0;

	assert_int_equal(tu_int(st, "PRAGMA wal_autocheckpoint"),
	    FSY_WAL_BUSY_PAGES);
	tu_exec(st, "CREATE TABLE scratch(b BLOB)");
	/* 3,000 pages in 30 commits: thrice SQLite's automatic checkpoint */
	for (int i = 0; i < 30; i++)
		write_100_pages(st);
	assert_true(file_size(wal) > 3000LL * 4096);
	assert_int_equal(fsy_store_checkpoint(st), FSY_OK);
	/* the next write starts the log over, cut back to the laptop's size */
	tu_exec(st, "INSERT INTO scratch VALUES (zeroblob(10))");
	assert_true(file_size(wal) <= FSY_WAL_KEEP_BYTES);
	fsy_store_close(st);

	st = tu_open("w.db", FSY_ROLE_AGENT, NULL);
	total = tu_int(st, "SELECT count(*) FROM scratch");
	assert_int_equal(total, 3001);
	fsy_store_close(st);

	/* a checkpoint of an empty log is a no-op; head office's log keeps
	 * its size (no journal_size_limit) */
	st = tu_open("wh.db", FSY_ROLE_HUB, NULL);
	assert_int_equal(tu_int(st, "PRAGMA journal_size_limit"), -1);
	assert_int_equal(fsy_store_checkpoint(st), FSY_OK);
	assert_int_equal(fsy_store_checkpoint(st), FSY_OK);
	assert_false(fsy__store_ckpt_running(st));
	fsy_store_close(st);
}

/* Head office's thread copies the log while the commits go on; the commit
 * that reaches the bound copies the rest, and the log starts over. */
static void
test_hub_checkpoint_thread(void **state)
{
	(void)state;
	char wal[1100];
	fsy_store_t *st = open_logged("wt.db", FSY_ROLE_HUB, wal, sizeof(wal));
	int64_t most = 0;

	fsy__store_wal_bounds(st, 200, 1000);
	tu_exec(st, "CREATE TABLE scratch(b BLOB)");
	/* 4,000 pages in 40 commits: four times the bound */
	for (int i = 0; i < 40; i++) {
		write_100_pages(st);
		if (file_size(wal) > most)
			most = file_size(wal);
		if (i == 2) /* past 200 pages */
			assert_true(fsy__store_ckpt_running(st));
	}
	/* never much more than the bound and one commit (a frame is a page
	 * and its 24-byte header) */
	assert_true(most > 200LL * 4096);
	assert_true(most < (1000LL + 2 * 110) * (4096 + 24));
	assert_int_equal(fsy_store_checkpoint(st), FSY_OK);
	fsy_store_close(st);

	st = tu_open("wt.db", FSY_ROLE_HUB, NULL);
	assert_int_equal(tu_int(st, "SELECT count(*) FROM scratch"), 4000);
	assert_int_equal(tu_int(st, "SELECT count(*) FROM pragma_integrity_check "
	    "WHERE integrity_check <> 'ok'"), 0);
	fsy_store_close(st);
}

/* The versions kept in a row (vers.h): what is encoded decodes the same,
 * and anything else is refused whole. */
static void
test_vers_codec(void **state)
{
	(void)state;
	fsy_ver_t v[FSY_VERS_COLS], w[FSY_VERS_COLS];
	uint8_t b[FSY_VERS_MAX], bad[FSY_VERS_MAX];
	size_t n;

	memset(v, 0, sizeof(v));
	assert_int_equal(fsy__vers_encode(v, 24, b), 0);
	assert_int_equal(fsy__vers_decode(NULL, 0, 24, w), FSY_OK);
	assert_int_equal(w[0].found, 0);
	v[0] = (fsy_ver_t){1, UINT64_C(0x0123456789abcdef), 1, 1};
	v[5] = (fsy_ver_t){1, 42, INT64_C(5000000000), 300};
	v[23] = (fsy_ver_t){1, UINT64_MAX, INT64_MAX, INT64_MAX};
	n = fsy__vers_encode(v, 24, b);
	assert_true(n > 0 && n <= FSY_VERS_MAX);
	assert_int_equal(fsy__vers_decode(b, (int)n, 24, w), FSY_OK);
	for (int c = 0; c < 24; c++) {
		assert_int_equal(w[c].found, v[c].found);
		assert_true(w[c].hlc == v[c].hlc);
		assert_int_equal(w[c].gseq, v[c].gseq);
		assert_int_equal(w[c].site, v[c].site);
	}
	/* a column the table does not have */
	assert_int_equal(fsy__vers_decode(b, (int)n, 23, w), FSY_ECORRUPT);
	assert_int_equal(w[0].found, 0);
	/* cut anywhere */
	for (size_t k = 1; k < n; k++)
		if (fsy__vers_decode(b, (int)k, 24, w) == FSY_OK)
			/* only at an entry's end: then it is a shorter list */
			assert_int_equal(w[23].found, 0);
	/* columns out of order, or twice */
	memcpy(bad, b, n);
	bad[0] = 7;
	assert_int_equal(fsy__vers_decode(bad, (int)n, 24, w), FSY_ECORRUPT);
	/* gseq 0 is no version */
	v[5].found = 0;
	v[23].found = 0;
	v[0].gseq = 0;
	n = fsy__vers_encode(v, 24, b);
	assert_int_equal(fsy__vers_decode(b, (int)n, 24, w), FSY_ECORRUPT);
	/* a varint longer than 9 bytes */
	memset(bad, 0xff, sizeof(bad));
	bad[0] = 0;
	assert_int_equal(fsy__vers_decode(bad, 30, 24, w), FSY_ECORRUPT);
}

/* Head office's capture gives a written row's changed columns new
 * versions in its _v, leaves the others, and a row whose versions are
 * unreadable is refused with a clear error and left as it was. */
static void
test_hub_capture_row_versions(void **state)
{
	(void)state;
	fsy_store_t *st = tu_open("hv.db", FSY_ROLE_HUB, NULL);
	const char *c = "0190b000-0000-7000-8000-000000000001";
	char sql[256];

	snprintf(sql, sizeof(sql), "INSERT INTO customer(id, customer_id, name, "
	    "phone) VALUES ('%s', '%s', '王', '1')", c, c);
	tu_exec(st, sql);
	/* name, phone, card_provisional and recruit_interest (defaults 0) and
	 * deleted: every column not NULL */
	assert_int_equal(tu_int(st, "SELECT fsy_vcount(_v) FROM customer"), 5);
	int64_t g1 = tu_int(st, "SELECT gseq FROM col_version WHERE col = 6");
	tu_exec(st, "UPDATE customer SET phone = '2'");
	assert_int_equal(tu_int(st, "SELECT fsy_vcount(_v) FROM customer"), 5);
	assert_true(tu_int(st, "SELECT gseq FROM col_version WHERE col = 6") > g1);
	assert_int_equal(tu_int(st, "SELECT count(*) FROM col_feed_dead"), 1);
	assert_string_equal(tu_text(st, "SELECT site FROM col_version WHERE "
	    "col = 6"), fsy_store_site(st));
	/* an unchanged write makes no version */
	int64_t feed = tu_int(st, "SELECT count(*) FROM col_feed");
	tu_exec(st, "UPDATE customer SET phone = '2'");
	assert_int_equal(tu_int(st, "SELECT count(*) FROM col_feed"), feed);

	/* unreadable versions: the write is refused, nothing changes */
	tu_exec(st, "UPDATE customer SET _v = x'ff'"); /* _v itself: no capture */
	assert_int_equal(sqlite3_exec(fsy_store_db(st), "UPDATE customer SET "
	    "phone = '3'", NULL, NULL, NULL), SQLITE_ERROR);
	assert_non_null(strstr(sqlite3_errmsg(fsy_store_db(st)),
	    "versions unreadable"));
	assert_string_equal(tu_text(st, "SELECT phone FROM customer"), "2");
	assert_int_equal(tu_int(st, "SELECT count(*) FROM col_feed"), feed);
	fsy_store_close(st);

	/* the clock resumes past every version after a restart (the feed's
	 * last entry holds it) */
	st = tu_open("hv.db", FSY_ROLE_HUB, NULL);
	assert_true(fsy_store_clock(st)->last >=
	    (uint64_t)tu_int(st, "SELECT max(clk) FROM col_feed"));
	assert_true(tu_int(st, "SELECT max(clk) FROM col_feed") > 0);
	fsy_store_close(st);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_open_migrates_and_reopens),
		cmocka_unit_test(test_hub_schema),
		cmocka_unit_test(test_hub_migrates_versions),
		cmocka_unit_test(test_meta),
		cmocka_unit_test(test_agent_capture_chain),
		cmocka_unit_test(test_hub_capture_versions),
		cmocka_unit_test(test_hlc_survives_reopen),
		cmocka_unit_test(test_capture_refuses_untravelable),
		cmocka_unit_test(test_stmt_cache_keeps_running),
		cmocka_unit_test(test_row_write),
		cmocka_unit_test(test_vers_codec),
		cmocka_unit_test(test_hub_capture_row_versions),
		cmocka_unit_test(test_errf),
		cmocka_unit_test(test_checkpoint_when_idle),
		cmocka_unit_test(test_hub_checkpoint_thread),
	};
	return cmocka_run_group_tests(tests, NULL, teardown);
}
