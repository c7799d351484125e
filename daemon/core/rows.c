/* rows.c — row-level helpers shared by merge and apply (see rows.h). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "rows.h"
#include "store_int.h"
#include "tables.h"

struct fsy__chunk {
	struct fsy__chunk *next;
	size_t used, cap;
	max_align_t data[];
};

void *
fsy__arena_alloc(fsy__arena_t *a, size_t n)
{
	struct fsy__chunk *c = a->head;
	size_t need = (n + sizeof(max_align_t) - 1) & ~(sizeof(max_align_t) - 1);
	void *p;

	if (need < n)
		return NULL;
	if (c == NULL || c->cap - c->used < need) {
		size_t cap = need > 65536 ? need : 65536;
		c = malloc(sizeof(*c) + cap);
		if (c == NULL)
			return NULL;
		c->used = 0;
		c->cap = cap;
		c->next = a->head;
		a->head = c;
	}
	p = (char *)c->data + c->used;
	c->used += need;
	return p;
}

char *
fsy__arena_strndup(fsy__arena_t *a, const char *s, size_t n)
{
	char *p = fsy__arena_alloc(a, n + 1);

	if (p == NULL)
		return NULL;
	if (n)
		memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

void
fsy__arena_free(fsy__arena_t *a)
{
	struct fsy__chunk *c = a->head, *n;

	while (c) {
		n = c->next;
		free(c);
		c = n;
	}
	a->head = NULL;
}

int
fsy__val_copy(fsy__arena_t *a, fsy_val_t *v)
{
	if (v->type != FSY_VAL_TEXT)
		return FSY_OK;
	v->s = fsy__arena_strndup(a, v->s, v->n);
	return v->s ? FSY_OK : FSY_ENOMEM;
}

int
fsy__row_get(fsy_store_t *st, int tbl, const char *row_id, int col,
    fsy__arena_t *a, fsy_val_t *v)
{
	char sql[160];
	sqlite3_stmt *s;
	int rc;

	snprintf(sql, sizeof(sql), "SELECT %s FROM %s WHERE id = ?",
	    fsy_tables[tbl].cols[col].name, fsy_tables[tbl].name);
	if ((rc = fsy_store_stmt(st, sql, &s)) != FSY_OK)
		return rc;
	sqlite3_bind_text(s, 1, row_id, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		fsy_val_from_column(s, 0, v);
		rc = fsy__val_copy(a, v);
	} else {
		rc = rc == SQLITE_DONE ? FSY_ENOTFOUND : fsy_store_err(st, rc);
	}
	sqlite3_reset(s);
	return rc;
}

/* Appends the strings given (up to a NULL) to sql[*len], NUL-terminated
 * (no format: a row's statement is built for every row written);
 * FSY_ETOOBIG when they do not fit. */
static int
sql_add(char *sql, size_t cap, size_t *len, ...)
{
	va_list ap;
	const char *p;
	int rc = FSY_OK;

	va_start(ap, len);
	while ((p = va_arg(ap, const char *)) != NULL) {
		size_t n = strlen(p);
		if (n >= cap - *len) {
			rc = FSY_ETOOBIG;
			break;
		}
		memcpy(sql + *len, p, n + 1);
		*len += n;
	}
	va_end(ap);
	return rc;
}

/* "?N" for parameter n (1..99). */
static const char *
param(char buf[8], int n)
{
	int k = 0;

	buf[k++] = '?';
	if (n >= 10)
		buf[k++] = (char)('0' + n / 10);
	buf[k++] = (char)('0' + n % 10);
	buf[k] = '\0';
	return buf;
}

/* Builds and runs one statement of fsy__row_write: kind 'U' an UPDATE,
 * 'I' an INSERT, 'A' an INSERT ... ON CONFLICT DO UPDATE. ?1 id, ?2
 * customer_id, ?3.. the values, then _v when v is not NULL. */
static int
row_stmt(fsy_store_t *st, int kind, int tbl, const char *row_id,
    const char *customer_id, int n, const int *cols,
    const fsy_val_t *const *vals, const void *v, int vlen)
{
	const fsy_table_t *tb = &fsy_tables[tbl];
	char sql[4096], p[8];
	size_t len = 0;
	sqlite3_stmt *s;
	int rc;

	if (kind == 'U') {
		rc = sql_add(sql, sizeof(sql), &len, "UPDATE ", tb->name,
		    " SET ", (const char *)NULL);
		for (int i = 0; i < n && rc == FSY_OK; i++)
			rc = sql_add(sql, sizeof(sql), &len, i ? ", " : "",
			    tb->cols[cols[i]].name, " = ", param(p, i + 3),
			    (const char *)NULL);
		if (rc == FSY_OK && v)
			rc = sql_add(sql, sizeof(sql), &len, ", _v = ",
			    param(p, n + 3), (const char *)NULL);
		if (rc == FSY_OK)
			rc = sql_add(sql, sizeof(sql), &len, " WHERE id = ?1",
			    (const char *)NULL);
	} else {
		rc = sql_add(sql, sizeof(sql), &len, "INSERT INTO ", tb->name,
		    "(id, customer_id", (const char *)NULL);
		for (int i = 0; i < n && rc == FSY_OK; i++)
			rc = sql_add(sql, sizeof(sql), &len, ", ",
			    tb->cols[cols[i]].name, (const char *)NULL);
		if (rc == FSY_OK && v)
			rc = sql_add(sql, sizeof(sql), &len, ", _v", (const char *)NULL);
		if (rc == FSY_OK)
			rc = sql_add(sql, sizeof(sql), &len, ") VALUES (?1, ?2",
			    (const char *)NULL);
		for (int i = 0; i < n + (v != NULL) && rc == FSY_OK; i++)
			rc = sql_add(sql, sizeof(sql), &len, ", ", param(p, i + 3),
			    (const char *)NULL);
		if (rc == FSY_OK)
			rc = sql_add(sql, sizeof(sql), &len, ")", (const char *)NULL);
		if (rc == FSY_OK && kind == 'A') {
			rc = sql_add(sql, sizeof(sql), &len,
			    " ON CONFLICT(id) DO UPDATE SET ", (const char *)NULL);
			for (int i = 0; i < n && rc == FSY_OK; i++)
				rc = sql_add(sql, sizeof(sql), &len, i ? ", " : "",
				    tb->cols[cols[i]].name, " = excluded.",
				    tb->cols[cols[i]].name, (const char *)NULL);
			if (rc == FSY_OK && v)
				rc = sql_add(sql, sizeof(sql), &len, ", _v = excluded._v",
				    (const char *)NULL);
		}
	}
	if (rc != FSY_OK || (rc = fsy_store_stmt(st, sql, &s)) != FSY_OK)
		return rc;
	sqlite3_bind_text(s, 1, row_id, -1, SQLITE_STATIC);
	if (kind != 'U')
		sqlite3_bind_text(s, 2, customer_id, -1, SQLITE_STATIC);
	for (int i = 0; i < n; i++)
		fsy_val_bind(s, i + 3, vals[i]);
	if (v)
		sqlite3_bind_blob(s, n + 3, v, vlen, SQLITE_STATIC);
	rc = fsy_store_err(st, sqlite3_step(s));
	sqlite3_reset(s);
	return rc;
}

int
fsy__row_write(fsy_store_t *st, int tbl, const char *row_id,
    const char *customer_id, int n, const int *cols,
    const fsy_val_t *const *vals, int exists)
{
	return fsy__row_write_v(st, tbl, row_id, customer_id, n, cols, vals,
	    exists, NULL, 0);
}

int
fsy__row_write_v(fsy_store_t *st, int tbl, const char *row_id,
    const char *customer_id, int n, const int *cols,
    const fsy_val_t *const *vals, int exists, const void *v, int vlen)
{
	uint64_t seen = 0;
	int rc;

	if (tbl < 0 || tbl >= FSY_NTABLES || n < 1 ||
	    n > fsy_tables[tbl].ncols)
		return FSY_EINVAL;
	for (int i = 0; i < n; i++) {
		if (!fsy_col_valid(tbl, cols[i]) || cols[i] >= 64 ||
		    seen & (UINT64_C(1) << cols[i]))
			return FSY_EINVAL;
		seen |= UINT64_C(1) << cols[i];
	}
	if (exists == 0)
		return row_stmt(st, 'I', tbl, row_id, customer_id, n, cols, vals,
		    v, vlen);
	if (exists < 0 && n == fsy_tables[tbl].ncols)
		return row_stmt(st, 'A', tbl, row_id, customer_id, n, cols, vals,
		    v, vlen);
	rc = row_stmt(st, 'U', tbl, row_id, customer_id, n, cols, vals, v, vlen);
	if (rc != FSY_OK || sqlite3_changes(st->db) > 0)
		return rc;
	return row_stmt(st, 'I', tbl, row_id, customer_id, n, cols, vals, v,
	    vlen);
}

int
fsy__rows_erase_customer(fsy_store_t *st, const char *customer_id)
{
	char sql[128];
	sqlite3_stmt *s;
	int rc = FSY_OK;

	for (int t = FSY_NTABLES - 1; t >= 0 && rc == FSY_OK; t--) {
		snprintf(sql, sizeof(sql), "DELETE FROM %s WHERE customer_id = ?",
		    fsy_tables[t].name);
		if ((rc = fsy_store_stmt(st, sql, &s)) != FSY_OK)
			break;
		sqlite3_bind_text(s, 1, customer_id, -1, SQLITE_STATIC);
		rc = fsy_store_err(st, sqlite3_step(s));
		sqlite3_reset(s);
	}
	return rc;
}

static void
hash_val(crypto_hash_sha256_state *h, const fsy_val_t *v)
{
	uint8_t b[9];

	switch (v->type) {
	case FSY_VAL_NULL:
		crypto_hash_sha256_update(h, (const uint8_t *)"n", 1);
		break;
	case FSY_VAL_INT:
		b[0] = 'i';
		for (int i = 0; i < 8; i++)
			b[1 + i] = (uint8_t)((uint64_t)v->i >> (56 - 8 * i));
		crypto_hash_sha256_update(h, b, 9);
		break;
	case FSY_VAL_TEXT:
		b[0] = 's';
		b[1] = (uint8_t)(v->n >> 24);
		b[2] = (uint8_t)(v->n >> 16);
		b[3] = (uint8_t)(v->n >> 8);
		b[4] = (uint8_t)v->n;
		crypto_hash_sha256_update(h, b, 5);
		crypto_hash_sha256_update(h, (const uint8_t *)v->s, v->n);
		break;
	}
}

int
fsy__content_hash(fsy_store_t *st, const char *filter, const char *arg,
    uint8_t out[32])
{
	crypto_hash_sha256_state h;
	char *sql = NULL;
	sqlite3_stmt *s = NULL;
	int rc = FSY_OK;

	crypto_hash_sha256_init(&h);
	for (int t = 0; t < FSY_NTABLES && rc == FSY_OK; t++) {
		const fsy_table_t *tb = &fsy_tables[t];
		size_t cap = 256 + (size_t)tb->ncols * 40 + strlen(filter), len;
		uint8_t tag = (uint8_t)t;

		if ((sql = malloc(cap)) == NULL) {
			rc = FSY_ENOMEM;
			break;
		}
		len = (size_t)snprintf(sql, cap, "SELECT id, customer_id");
		for (int c = 0; c < tb->ncols; c++)
			len += (size_t)snprintf(sql + len, cap - len, ", %s",
			    tb->cols[c].name);
		snprintf(sql + len, cap - len, " FROM %s WHERE %s ORDER BY id",
		    tb->name, filter);
		rc = sqlite3_prepare_v2(st->db, sql, -1, &s, NULL);
		free(sql);
		sql = NULL;
		if (rc != SQLITE_OK) {
			rc = fsy_store_err(st, rc);
			break;
		}
		if (arg)
			sqlite3_bind_text(s, 1, arg, -1, SQLITE_STATIC);
		crypto_hash_sha256_update(&h, &tag, 1);
		while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
			for (int c = 0; c < tb->ncols + 2; c++) {
				fsy_val_t v;
				fsy_val_from_column(s, c, &v);
				hash_val(&h, &v);
			}
		}
		rc = rc == SQLITE_DONE ? FSY_OK : fsy_store_err(st, rc);
		sqlite3_finalize(s);
		s = NULL;
	}
	crypto_hash_sha256_final(&h, out);
	return rc;
}
