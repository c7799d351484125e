/*
 * tables.h — descriptors of the replicated tables.
 *
 * The one place that says which tables and columns replicate, which of them
 * head office owns, and how they are numbered on the wire and in the change
 * log. Change capture, merge, snapshots and content hashes are all driven by
 * this table. Indexes are part of the protocol: append new columns at the
 * end of a table's list and new tables at the end of fsy_tables, never
 * reorder (and bump FSY_SCHEMA_VERSION in store.h).
 */
#ifndef FSY_TABLES_H
#define FSY_TABLES_H

#include <stddef.h>

typedef enum {
	FSY_COL_TEXT = 1,
	FSY_COL_INT = 2,
} fsy_coltype_t;

/* Column flags. */
#define FSY_COL_HO 0x1      /* head office owns it: agents may not write it */
#define FSY_COL_HO_INIT 0x2 /* agents may set it only when creating the row */

/* Table flags. */
#define FSY_TBL_INSERT_ONLY 0x1 /* a column, once written, never changes */
#define FSY_TBL_HO_ROWS 0x2     /* rows with external = 0 belong to head office */

typedef struct {
	const char *name; /* SQL column name */
	fsy_coltype_t type;
	unsigned flags; /* FSY_COL_* */
} fsy_col_t;

typedef struct {
	const char *name;      /* SQL table name */
	const fsy_col_t *cols; /* replicated columns, without id/customer_id */
	int ncols;
	unsigned flags; /* FSY_TBL_* */
} fsy_table_t;

enum {
	FSY_T_CUSTOMER = 0,
	FSY_T_PERSON,
	FSY_T_POLICY,
	FSY_T_VISIT,
	FSY_T_NEED,
	FSY_T_REFERRAL,
	FSY_NTABLES
};

extern const fsy_table_t fsy_tables[FSY_NTABLES];

/* Returns the index of the named table, or -1. */
int fsy_table_find(const char *name);

/* Returns the index of the named column within table t, or -1. */
int fsy_col_find(int t, const char *name);

/* Returns 1 when (t, c) are valid indexes. */
int fsy_col_valid(int t, int c);

#endif /* FSY_TABLES_H */
