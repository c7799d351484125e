/*
 * fuzz_import.c — libFuzzer harness for the core system's CSV import
 * (daemon/core/import.h) on a hub that already holds a valid data set.
 *
 * Input: byte 0 picks the file (agents, customers, persons, policies,
 * visits: byte 0 mod 5), the rest is its content; the file is imported
 * alone, so rows may refer to what the hub holds. Must hold: the import
 * answers OK, ECSV, or a documented store code; a failure always comes
 * with a message, and a failed import changes nothing (a digest of every
 * table import writes is compared); a success leaves an intact database.
 * After a success the hub is copied back from its template.
 *
 * The base data set is fieldsync-gen's (10 customers, seed 7, a fixed
 * day), made once per process. Seeds: tests/fuzz/corpus/import/, each a
 * selector byte and a CSV file (valid, edited, broken).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz_util.h"
#include "gendata.h"
#include "import.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static fsy_store_t *st;

static const char *const queries[] = {
	"SELECT * FROM agent ORDER BY id",
	"SELECT * FROM team ORDER BY id",
	"SELECT * FROM branch ORDER BY id",
	"SELECT tbl, row_id, col, quote(val), hlc, site, gseq FROM col_version "
	"ORDER BY tbl, row_id, col",
	"SELECT count(*) FROM audit",
	"SELECT count(*) FROM sqlite_schema",
	NULL,
};

static void
reopen(void)
{
	fsy_store_close(st);
	fz_copy("fz_imp_hub.tmpl", "fz_imp_hub.db");
	st = fz_open("fz_imp_hub.db", FSY_ROLE_HUB, NULL);
}

static void
setup(void)
{
	fsy_gen_opts_t o;
	fsy_import_report_t rep;
	char err[512];

	fsy_gen_opts_init(&o);
	o.seed = 7;
	o.customers = 10;
	o.as_of = 20000; /* 2024-10-04 */
	if (fsy_gen_opts_check(&o, err, sizeof(err)) != FSY_OK ||
	    fsy_gen_write(&o, "fz_imp_base", NULL, err, sizeof(err)) != FSY_OK)
		fz_die("gen: %s", err);
	fz_remove_db("fz_imp_hub.tmpl");
	st = fz_open("fz_imp_hub.tmpl", FSY_ROLE_HUB, NULL);
	if (fsy_import_dir(st, "fz_imp_base", &rep, err, sizeof(err)) != FSY_OK)
		fz_die("base import: %s", err);
	fsy_store_close(st);
	st = NULL;
	reopen();
	mkdir("fz_imp_in", 0700);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	uint8_t before[32], after[32];
	char path[256], err[1024];
	fsy_import_report_t rep;
	FILE *f;
	int which, rc;

	if (!ready) {
		setup();
		ready = 1;
	}
	if (size < 1)
		return 0;
	which = data[0] % FSY_IMPORT_NFILES;
	for (int i = 0; i < FSY_IMPORT_NFILES; i++) {
		snprintf(path, sizeof(path), "fz_imp_in/%s", fsy_import_file_name(i));
		unlink(path);
	}
	snprintf(path, sizeof(path), "fz_imp_in/%s", fsy_import_file_name(which));
	if ((f = fopen(path, "wb")) == NULL ||
	    fwrite(data + 1, 1, size - 1, f) != size - 1 || fclose(f) != 0)
		fz_die("cannot write %s", path);
	fz_digest(st, queries, before);
	err[0] = '\0';
	rc = fsy_import_dir(st, "fz_imp_in", &rep, err, sizeof(err));
	fz_digest(st, queries, after);
	switch (rc) {
	case FSY_OK:
		if (memcmp(before, after, 32) != 0) {
			sqlite3_stmt *q;
			if (sqlite3_prepare_v2(fsy_store_db(st), "PRAGMA quick_check",
			    -1, &q, NULL) != SQLITE_OK || sqlite3_step(q) != SQLITE_ROW ||
			    strcmp((const char *)sqlite3_column_text(q, 0), "ok") != 0)
				fz_die("quick_check failed after an import");
			sqlite3_finalize(q);
			reopen();
		}
		break;
	case FSY_ECSV:
	case FSY_ENOMEM:
	case FSY_EIO:
	case FSY_ETOOBIG:
		if (err[0] == '\0')
			fz_die("import failed (%s) without a message", fsy_errname(rc));
		if (memcmp(before, after, 32) != 0)
			fz_die("a failed import (%s: %s) changed the hub",
			    fsy_errname(rc), err);
		if (rc == FSY_ECSV && strncmp(err, fsy_import_file_name(which),
		    strlen(fsy_import_file_name(which))) != 0)
			fz_die("the message does not name the file: %s", err);
		break;
	default:
		fz_die("import answered %s: %s", fsy_errname(rc), err);
	}
	return 0;
}
