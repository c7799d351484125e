/*
 * fsy_val.h — a column value as it travels: null, integer or text.
 *
 * Values never own their bytes; the producer (a decoded message's arena, a
 * SQLite statement) does, for as long as the value is used.
 */
#ifndef FSY_VAL_H
#define FSY_VAL_H

#include <stddef.h>
#include <stdint.h>

typedef enum {
	FSY_VAL_NULL = 0,
	FSY_VAL_INT = 1,
	FSY_VAL_TEXT = 2,
} fsy_valtype_t;

typedef struct fsy_val {
	fsy_valtype_t type;
	int64_t i;     /* FSY_VAL_INT */
	const char *s; /* FSY_VAL_TEXT: bytes, not NUL-terminated */
	size_t n;      /* FSY_VAL_TEXT: length */
} fsy_val_t;

/* Largest text value accepted anywhere (bytes). */
#define FSY_VAL_MAX_TEXT (64 * 1024)

/* Returns 1 when a and b are the same value (type and content). */
int fsy_val_equal(const fsy_val_t *a, const fsy_val_t *b);

/*
 * The change-log hash chain (PROTOCOL.md, "Hash chain"):
 *   hash = SHA-256(prev || be64(seq) || u8(tbl) || u8(col) || row_id(36) ||
 *                  be64(hlc) || site(36) || value)
 * where value is 'n', or 'i' be64(i), or 's' be32(n) bytes.
 * row_id and site are 36-char UUID strings. Writes 32 bytes to out.
 */
void fsy_chain_hash(const uint8_t prev[32], int64_t seq, int tbl, int col,
    const char *row_id, uint64_t hlc, const char *site, const fsy_val_t *v,
    uint8_t out[32]);

#endif /* FSY_VAL_H */
