/*
 * rows.h — row-level helpers shared by the hub merge and the agent apply
 * (core-internal: fsy__ names).
 */
#ifndef FSY_ROWS_H
#define FSY_ROWS_H

#include <stddef.h>
#include <stdint.h>

#include "fsy_val.h"
#include "store.h"

/*
 * Writes n columns of one row in a single statement (capture off: sync
 * applying values it has decided on). cols[i] gets vals[i]; a column may
 * appear once. exists: 1 the row is known to exist (an UPDATE, and an
 * INSERT should it be gone), 0 known not to (an INSERT), -1 unknown (an
 * UPDATE, then an INSERT if no row was there; when every column of the
 * table is given, one INSERT ... ON CONFLICT DO UPDATE instead). A new
 * row gets customer_id; an existing row keeps its own. Returns FSY_OK,
 * FSY_EINVAL for a bad or repeated column, or an FSY_E* store error.
 */
int fsy__row_write(fsy_store_t *st, int tbl, const char *row_id,
    const char *customer_id, int n, const int *cols,
    const fsy_val_t *const *vals, int exists);

/* As fsy__row_write, on head office, with the row's versions: _v gets the
 * vlen bytes at v (vers.h) in the same statement. */
int fsy__row_write_v(fsy_store_t *st, int tbl, const char *row_id,
    const char *customer_id, int n, const int *cols,
    const fsy_val_t *const *vals, int exists, const void *v, int vlen);

/* Reads the current value of a column into v; text is copied into the
 * arena a. Returns FSY_ENOTFOUND when the row does not exist. */
struct fsy__arena;
int fsy__row_get(fsy_store_t *st, int tbl, const char *row_id, int col,
    struct fsy__arena *a, fsy_val_t *v);

/* Deletes every row of a customer from every replicated table. */
int fsy__rows_erase_customer(fsy_store_t *st, const char *customer_id);

/*
 * Content hash over every replicated row whose customer_id satisfies
 * filter (an SQL expression over customer_id that may use ?1, bound to
 * arg when arg is not NULL). Rows are taken table by table in tables.h
 * order, each ordered by id, with id, customer_id and every replicated
 * column, values encoded as in the hash chain.
 */
int fsy__content_hash(fsy_store_t *st, const char *filter, const char *arg,
    uint8_t out[32]);

/* A bump allocator for short-lived copies (corrections, decoded lists). */
typedef struct fsy__arena {
	struct fsy__chunk *head;
} fsy__arena_t;

void *fsy__arena_alloc(fsy__arena_t *a, size_t n);
char *fsy__arena_strndup(fsy__arena_t *a, const char *s, size_t n);
void fsy__arena_free(fsy__arena_t *a);

/* Copies a value's text into the arena (no-op for null/int). */
int fsy__val_copy(fsy__arena_t *a, fsy_val_t *v);

#endif /* FSY_ROWS_H */
