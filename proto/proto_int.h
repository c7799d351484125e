/*
 * proto_int.h — helpers of the wire codec shared with its tests and fuzz
 * harness, not part of the public API (proto.h).
 */
#ifndef FSY_PROTO_INT_H
#define FSY_PROTO_INT_H

#include "proto.h"

/* Most entries a body map may have (known and unknown keys together) and
 * the longest key, in bytes. Larger maps or keys are malformed. */
#define FSY__MAX_BODY_KEYS 64
#define FSY__MAX_KEY_LEN 32

/* Bodies larger than this are zstd-compressed when asked (and smaller). */
#define FSY__COMPRESS_MIN 512
#define FSY__ZSTD_LEVEL 3

/*
 * Returns 1 when a and b carry the same message: same type and every
 * field equal (strings by content; a NULL short string equals ""). Used to
 * check that decode(encode(m)) == m. Never fails.
 */
int fsy__msg_equal(const fsy_msg_t *a, const fsy_msg_t *b);

/*
 * Converts a canonical lowercase 36-char UUID string ("8-4-4-4-12" hex
 * digits) to 16 bytes. Returns FSY_OK, or FSY_EINVAL for NULL, a wrong
 * length, a misplaced hyphen or a character that is not 0-9a-f.
 */
int fsy__uuid_to_bin(const char *s, uint8_t out[16]);

/* Writes the canonical lowercase string of a 16-byte UUID (36 chars and a
 * NUL) to out. Never fails. */
void fsy__uuid_from_bin(const uint8_t in[16], char out[37]);

#endif /* FSY_PROTO_INT_H */
