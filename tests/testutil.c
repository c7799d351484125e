/* testutil.c — helpers shared by the cmocka tests. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testutil.h"

static char tmpdir[256];

const char *
tu_tmpdir(void)
{
	if (tmpdir[0] == '\0') {
		snprintf(tmpdir, sizeof(tmpdir), "/tmp/fsy-test-XXXXXX");
		if (mkdtemp(tmpdir) == NULL) {
			perror("mkdtemp");
			abort();
		}
	}
	return tmpdir;
}

const char *
tu_path(const char *name)
{
	static char bufs[8][512];
	static int next;
	char *b = bufs[next++ % 8];

	snprintf(b, 512, "%s/%s", tu_tmpdir(), name);
	return b;
}

void
tu_cleanup(void)
{
	char cmd[300];

	if (tmpdir[0] == '\0')
		return;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", tmpdir);
	tmpdir[0] = '\0';
}

fsy_store_t *
tu_open(const char *name, fsy_role_t role, const char *site)
{
	fsy_store_t *st = NULL;
	char err[512];
	int rc = fsy_store_open(tu_path(name), role, site, &st, err, sizeof(err));

	if (rc != FSY_OK)
		fail_msg("open %s: %s", name, err);
	/* Unit tests do not survive power loss; they need not pay fsync. */
	tu_exec(st, "PRAGMA synchronous = OFF");
	return st;
}

int64_t
tu_int(fsy_store_t *st, const char *sql)
{
	sqlite3_stmt *s;
	int64_t v = 0;
	int rc = sqlite3_prepare_v2(fsy_store_db(st), sql, -1, &s, NULL);

	if (rc != SQLITE_OK)
		fail_msg("%s: %s", sql, sqlite3_errmsg(fsy_store_db(st)));
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		v = sqlite3_column_int64(s, 0);
	else if (rc != SQLITE_DONE)
		fail_msg("%s: %s", sql, sqlite3_errmsg(fsy_store_db(st)));
	sqlite3_finalize(s);
	return v;
}

const char *
tu_text(fsy_store_t *st, const char *sql)
{
	static char buf[4096];
	sqlite3_stmt *s;
	int rc = sqlite3_prepare_v2(fsy_store_db(st), sql, -1, &s, NULL);

	buf[0] = '\0';
	if (rc != SQLITE_OK)
		fail_msg("%s: %s", sql, sqlite3_errmsg(fsy_store_db(st)));
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW && sqlite3_column_text(s, 0))
		snprintf(buf, sizeof(buf), "%s", sqlite3_column_text(s, 0));
	else if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		fail_msg("%s: %s", sql, sqlite3_errmsg(fsy_store_db(st)));
	sqlite3_finalize(s);
	return buf;
}

void
tu_exec(fsy_store_t *st, const char *sql)
{
	int rc = fsy_store_exec(st, sql);
	if (rc != FSY_OK)
		fail_msg("%s: %s", sql, fsy_store_errmsg(st));
}
