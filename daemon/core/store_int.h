/* store_int.h — the store's insides, shared by core modules only. */
#ifndef FSY_STORE_INT_H
#define FSY_STORE_INT_H

#include "store.h"
#include "util.h"

#define FSY_STMT_CACHE 96

struct fsy_store {
	sqlite3 *db;                      /* the connection */
	fsy_role_t role;                  /* agent replica or hub */
	char site[FSY_UUID_STRLEN + 1];   /* this database's site id */
	fsy_hlc_t hlc;                    /* this site's clock */
	int capture;                      /* 1: capture local writes */
	char errmsg[256];                 /* last SQLite error message */
	struct {
		const char *sql;              /* key: the SQL text (copied) */
		sqlite3_stmt *stmt;
	} cache[FSY_STMT_CACHE];          /* prepared statements */
	int ncache;
};

#endif /* FSY_STORE_INT_H */
