/* fsy_val.c — value helpers and the change-log hash chain. */
#include <string.h>

#include <sodium.h>

#include "fsy_val.h"

int
fsy_val_equal(const fsy_val_t *a, const fsy_val_t *b)
{
	if (a->type != b->type)
		return 0;
	switch (a->type) {
	case FSY_VAL_NULL:
		return 1;
	case FSY_VAL_INT:
		return a->i == b->i;
	case FSY_VAL_TEXT:
		return a->n == b->n && (a->n == 0 || memcmp(a->s, b->s, a->n) == 0);
	}
	return 0;
}

static void
be64(uint8_t *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--) {
		p[i] = (uint8_t)v;
		v >>= 8;
	}
}

void
fsy_chain_hash(const uint8_t prev[32], int64_t seq, int tbl, int col,
    const char *row_id, uint64_t hlc, const char *site, const fsy_val_t *v,
    uint8_t out[32])
{
	crypto_hash_sha256_state h;
	uint8_t b[8];
	uint8_t tc[2] = {(uint8_t)tbl, (uint8_t)col};
	char idbuf[36];

	crypto_hash_sha256_init(&h);
	crypto_hash_sha256_update(&h, prev, 32);
	be64(b, (uint64_t)seq);
	crypto_hash_sha256_update(&h, b, 8);
	crypto_hash_sha256_update(&h, tc, 2);
	memset(idbuf, 0, sizeof(idbuf));
	memcpy(idbuf, row_id, strnlen(row_id, 36));
	crypto_hash_sha256_update(&h, (const uint8_t *)idbuf, 36);
	be64(b, hlc);
	crypto_hash_sha256_update(&h, b, 8);
	memset(idbuf, 0, sizeof(idbuf));
	memcpy(idbuf, site, strnlen(site, 36));
	crypto_hash_sha256_update(&h, (const uint8_t *)idbuf, 36);
	switch (v->type) {
	case FSY_VAL_NULL:
		crypto_hash_sha256_update(&h, (const uint8_t *)"n", 1);
		break;
	case FSY_VAL_INT:
		crypto_hash_sha256_update(&h, (const uint8_t *)"i", 1);
		be64(b, (uint64_t)v->i);
		crypto_hash_sha256_update(&h, b, 8);
		break;
	case FSY_VAL_TEXT: {
		uint8_t n[4] = {(uint8_t)(v->n >> 24), (uint8_t)(v->n >> 16),
		    (uint8_t)(v->n >> 8), (uint8_t)v->n};
		crypto_hash_sha256_update(&h, (const uint8_t *)"s", 1);
		crypto_hash_sha256_update(&h, n, 4);
		if (v->n)
			crypto_hash_sha256_update(&h, (const uint8_t *)v->s, v->n);
		break;
	}
	}
	crypto_hash_sha256_final(&h, out);
}
