/* testutil.h — helpers shared by the cmocka tests. */
#ifndef FSY_TESTUTIL_H
#define FSY_TESTUTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "store.h"

/* Makes a fresh temporary directory for this test process; returns its path
 * (static storage). Removed with everything in it by tu_cleanup(). */
const char *tu_tmpdir(void);

/* Returns tu_tmpdir()/name in a static rotating buffer. */
const char *tu_path(const char *name);

/* Removes the temporary directory. */
void tu_cleanup(void);

/* Opens a store at tu_path(name) or fails the test. */
fsy_store_t *tu_open(const char *name, fsy_role_t role, const char *site);

/* Runs one SQL statement and returns the first column of the first row as
 * an integer (0 when there is no row). Fails the test on error. */
int64_t tu_int(fsy_store_t *st, const char *sql);

/* As tu_int, for text; returns a static buffer ("" for NULL/no row). */
const char *tu_text(fsy_store_t *st, const char *sql);

/* Runs SQL or fails the test. */
void tu_exec(fsy_store_t *st, const char *sql);

#endif
