/* store_int.h — the store's insides, shared by core modules only. */
#ifndef FSY_STORE_INT_H
#define FSY_STORE_INT_H

#include "store.h"
#include "util.h"

/* Prepared statements kept per connection, and the slots of their hash
 * index (a power of two, at least twice the cache). More distinct
 * statements than FSY_STMT_CACHE evict the least recently used one. */
#define FSY_STMT_CACHE 256
#define FSY_STMT_SLOTS 512

struct fsy_store {
	sqlite3 *db;                      /* the connection */
	fsy_role_t role;                  /* agent replica or hub */
	char site[FSY_UUID_STRLEN + 1];   /* this database's site id */
	int64_t site_id;                  /* head office: its number in the
	                                     site table (0007) */
	fsy_hlc_t hlc;                    /* this site's clock */
	int capture;                      /* 1: capture local writes */
	char errmsg[256];                 /* last SQLite error message */
	struct {
		const char *sql;              /* key: the SQL text (copied) */
		uint32_t hash;                /* fsy_store_stmt's hash of sql */
		uint64_t used;                /* last use (of tick), for eviction */
		sqlite3_stmt *stmt;
	} cache[FSY_STMT_CACHE];          /* prepared statements */
	int ncache;
	uint64_t tick;                    /* lookups so far */
	int16_t slot[FSY_STMT_SLOTS];     /* open addressing: cache index + 1,
	                                     0 = empty */
	struct fsy_ckpt *ckpt;            /* head office: the checkpoint
	                                     thread, once started (store.c) */
	int ckpt_failed;                  /* 1: it could not start */
	int wal_bg, wal_busy;             /* head office's bounds, in pages:
	                                     FSY_WAL_BG_PAGES_HUB and
	                                     FSY_WAL_BUSY_PAGES_HUB */
};

/* Tests: other bounds for head office's log (store.h), in pages. */
void fsy__store_wal_bounds(fsy_store_t *st, int bg, int busy);

/* Steps sql (a cached statement) once with ?1 = arg when it has a
 * parameter; *out (if not NULL) gets column 0 of the row it returns, 0
 * when none. FSY_OK or the store's error. */
int fsy__store_int(fsy_store_t *st, const char *sql, int64_t arg,
    int64_t *out);

/* As fsy__store_int, with ?1 the text arg. */
int fsy__store_text_int(fsy_store_t *st, const char *sql, const char *arg,
    int64_t *out);

/* Head office: *id gets the number of site name (a device id or head
 * office's site) in the site table, added when new. */
int fsy__site_id(fsy_store_t *st, const char *name, int64_t *id);

/* Head office: the name of site id into buf ("" when unknown). */
int fsy__site_name(fsy_store_t *st, int64_t id, char *buf, size_t len);

/* Head office: appends the feed entry of version gseq of (tbl, row, col),
 * and lists old_gseq, the version it replaced (0: none), for pruning. */
int fsy__feed_add(fsy_store_t *st, int64_t gseq, const char *cust, int tbl,
    const char *row, int col, int64_t old_gseq);

/* Tests: 1 once head office's checkpoint thread runs. */
int fsy__store_ckpt_running(const fsy_store_t *st);

#endif /* FSY_STORE_INT_H */
