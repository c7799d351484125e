/*
 * vers.h — head office's column versions, kept in each row (schema 0007).
 *
 * Every replicated row on the hub carries, in its column _v, the version
 * of each of its columns that has one: the HLC of the winning write, the
 * site that made it (an id of the site table) and its global sequence
 * (gseq, the feed's order). A merge then writes a row and its versions in
 * one record, on the page the row lives on.
 *
 * _v is a BLOB of entries in column order, one per versioned column:
 *
 *	col (1 byte) | hlc (8 bytes, big-endian) | gseq (varint) | site (varint)
 *
 * where a varint is unsigned LEB128 of at most 9 bytes. An empty or NULL
 * _v holds no version.
 */
#ifndef FSY_VERS_H
#define FSY_VERS_H

#include <stddef.h>
#include <stdint.h>

/* One column's version; found 0 when the column has none. */
typedef struct fsy_ver {
	int found;
	uint64_t hlc;
	int64_t gseq;
	int64_t site; /* site.id */
} fsy_ver_t;

/* Columns per table and bytes of one encoded entry, at most. */
#define FSY_VERS_COLS 64
#define FSY_VERS_ENTRY_MAX (1 + 8 + 9 + 9)
#define FSY_VERS_MAX (FSY_VERS_COLS * FSY_VERS_ENTRY_MAX)

/* Decodes _v (blob of n bytes, NULL for none) of a row with ncols
 * replicated columns (at most FSY_VERS_COLS) into v[0 .. ncols): FSY_OK,
 * or FSY_ECORRUPT when it is not such a version list (v then holds no
 * version). */
int fsy__vers_decode(const void *blob, int n, int ncols, fsy_ver_t *v);

/* Encodes the versions v[0 .. ncols) into out; returns the length (0: no
 * version). */
size_t fsy__vers_encode(const fsy_ver_t *v, int ncols,
    uint8_t out[FSY_VERS_MAX]);

#endif /* FSY_VERS_H */
