/*
 * store.h — a fieldsync database: the agent's replica or the hub's store.
 *
 * fsy_store_open() opens (creating if needed) a SQLite file in WAL mode with
 * foreign keys on, applies the numbered migrations of schema/ that are not
 * yet applied (PRAGMA user_version), and installs change capture: every
 * write to a replicated table (tables.h) made through this connection while
 * capture is on is recorded in the same transaction —
 *   agent: one hash-chained change_log entry per changed column;
 *   hub:   the column's winning version in col_version, with a new global
 *          sequence number, so that agents pull it.
 * Writes made by sync itself (applying remote changes) turn capture off.
 */
#ifndef FSY_STORE_H
#define FSY_STORE_H

#include <stdint.h>
#include <sqlite3.h>

#include "fsy_err.h"
#include "fsy_val.h"
#include "hlc.h"

/* Bumped whenever tables.h changes the wire meaning of a table or column. */
#define FSY_SCHEMA_VERSION 1

typedef enum {
	FSY_ROLE_AGENT = 1, /* a laptop replica (agents and team leads) */
	FSY_ROLE_HUB = 2,   /* the head-office store */
} fsy_role_t;

/* One numbered migration, embedded from schema/NNNN_name.sql. A name ending
 * in _hub applies to hubs only, one ending in _replica to agents only. */
typedef struct fsy_migration {
	int version;
	const char *name;
	const char *sql;
} fsy_migration_t;

extern const fsy_migration_t fsy_migrations[]; /* ends with {0, NULL, NULL} */

typedef struct fsy_store fsy_store_t;

/*
 * Opens the database at path for the given role. site is this database's
 * site id (a laptop's device id; NULL: keep the stored one, or make one).
 * A database opened before with another role or site is refused
 * (FSY_ESTATE). On failure a message goes to errbuf (may be NULL).
 * On success *out owns the connection; free it with
 * fsy_store_close(). Returns FSY_OK or an FSY_E* code.
 */
int fsy_store_open(const char *path, fsy_role_t role, const char *site,
    fsy_store_t **out, char *errbuf, size_t errlen);

/* Closes the database and frees st; NULL is a no-op. */
void fsy_store_close(fsy_store_t *st);

/*
 * The write-ahead log is copied into the database file (a checkpoint) when
 * the process is idle, by fsy_store_checkpoint(), not by the commit that
 * happens to fill it: a sync round never waits for a checkpoint. Under
 * sustained load, the commit that brings the log to FSY_WAL_BUSY_PAGES
 * pages checkpoints, as SQLite's automatic checkpoint does, which bounds
 * the log: 64 MiB on a laptop; 256 MiB at head office, where a burst of
 * laptops writes pages all over the book, and a larger log copies a page
 * rewritten many times once.
 *
 * At head office a thread of the store's own, on a connection of its own,
 * copies the log while the commits go on, from FSY_WAL_BG_PAGES_HUB pages
 * on (a passive checkpoint: it waits for no one, and no one waits for
 * it); the commit that reaches FSY_WAL_BUSY_PAGES_HUB then only copies
 * what the thread has not yet, and the log starts again from its
 * beginning. A laptop has no such thread (a second core is not its to
 * take, and its log fills slowly).
 *
 * A laptop's log file is cut back to FSY_WAL_KEEP_BYTES after a
 * checkpoint; head office's keeps its size, to be written over.
 */
#define FSY_WAL_BUSY_PAGES 16384
#define FSY_WAL_BUSY_PAGES_HUB 65536
#define FSY_WAL_BG_PAGES_HUB 16384
#define FSY_WAL_KEEP_BYTES (4 * 1024 * 1024)

/* A passive checkpoint (it waits for no reader or writer): copies what
 * the log holds into the database file. Call it between transactions.
 * Returns FSY_OK or an FSY_E* code; the log is left intact on failure. */
int fsy_store_checkpoint(fsy_store_t *st);

/* Head office: removes up to max feed entries of versions replaced since
 * (col_feed_dead, schema 0006), oldest first, in one transaction; *left
 * says how many are still listed. Call it when idle, before the
 * checkpoint. A laptop has none: FSY_OK, *left 0. */
int fsy_store_prune(fsy_store_t *st, int64_t max, int64_t *left);

sqlite3 *fsy_store_db(fsy_store_t *st);
fsy_role_t fsy_store_role(const fsy_store_t *st);
const char *fsy_store_site(const fsy_store_t *st);
fsy_hlc_t *fsy_store_clock(fsy_store_t *st);

/* Turns change capture on or off; returns the previous setting. Capture is
 * on after open. */
int fsy_store_set_capture(fsy_store_t *st, int on);

/* BEGIN IMMEDIATE / COMMIT / ROLLBACK. Return FSY_OK or an FSY_E* code;
 * rollback never fails visibly. */
int fsy_store_begin(fsy_store_t *st);
int fsy_store_commit(fsy_store_t *st);
void fsy_store_rollback(fsy_store_t *st);

/* Runs one or more SQL statements with no result. */
int fsy_store_exec(fsy_store_t *st, const char *sql);

/*
 * Returns in *out a prepared statement for sql, cached on the store (sql is
 * compared by content). The statement is reset and its bindings cleared;
 * do not finalize it. Returns FSY_OK or an FSY_E* code.
 */
int fsy_store_stmt(fsy_store_t *st, const char *sql, sqlite3_stmt **out);

/* The meta key/value table. Getters return FSY_ENOTFOUND for a missing
 * key; fsy_store_meta_text copies at most n-1 bytes and a NUL. */
int fsy_store_meta_int(fsy_store_t *st, const char *key, int64_t *v);
int fsy_store_meta_set_int(fsy_store_t *st, const char *key, int64_t v);
int fsy_store_meta_text(fsy_store_t *st, const char *key, char *buf, size_t n);
int fsy_store_meta_set_text(fsy_store_t *st, const char *key, const char *v);

/* Translates the last error of the connection, with its message logged to
 * the store's error buffer (fsy_store_errmsg). */
int fsy_store_err(fsy_store_t *st, int rc);
const char *fsy_store_errmsg(fsy_store_t *st);

/* Reads column i of a statement row as an fsy_val_t (text points into the
 * statement, valid until the next step/reset). */
void fsy_val_from_column(sqlite3_stmt *s, int i, fsy_val_t *v);

/* Binds v to parameter i. */
int fsy_val_bind(sqlite3_stmt *s, int i, const fsy_val_t *v);

/*
 * Reports a failure in one call, as in
 *     rv = fsy_store_errf(st, rc, err, errlen, "reading %s", what);
 * Formats fmt into buf (len bytes, always NUL-terminated; buf NULL or len 0:
 * no message) and returns the FSY_E* code of the failure.
 * code is an FSY_E* code (negative) or a SQLite result code (positive): a
 * SQLite code is translated, with fsy_store_err() when st is given (which
 * also records the connection's message). Codes that are not failures
 * (FSY_OK = SQLITE_OK, SQLITE_ROW, SQLITE_DONE: a row expected and not
 * there, or the reverse) give FSY_EINTERNAL.
 * With st non-NULL the text is followed by ": " and the store's last error
 * message (fsy_store_errmsg), or fsy_strerror() of the code when the store
 * has recorded none; with st NULL the text stands alone. Never fails.
 */
int fsy_store_errf(fsy_store_t *st, int code, char *buf, size_t len,
    const char *fmt, ...) __attribute__((format(printf, 5, 6)));

#endif /* FSY_STORE_H */
