/* vers.c — head office's column versions kept in each row (see vers.h). */
#include <string.h>

#include "fsy_err.h"
#include "vers.h"

static size_t
put_varint(uint8_t *p, uint64_t v)
{
	size_t n = 0;

	while (v >= 0x80) {
		p[n++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	p[n++] = (uint8_t)v;
	return n;
}

/* Reads a varint of at most 9 bytes at p[*i], below end; -1 when cut. */
static int
get_varint(const uint8_t *p, size_t end, size_t *i, uint64_t *v)
{
	uint64_t x = 0;

	for (int k = 0; k < 9; k++) {
		if (*i >= end)
			return -1;
		uint8_t b = p[(*i)++];
		x |= (uint64_t)(b & 0x7f) << (7 * k);
		if (!(b & 0x80)) {
			*v = x;
			return 0;
		}
	}
	return -1;
}

int
fsy__vers_decode(const void *blob, int n, int ncols, fsy_ver_t *v)
{
	const uint8_t *p = blob;
	int prev = -1;
	size_t i = 0, end = n > 0 ? (size_t)n : 0;

	if (ncols > FSY_VERS_COLS)
		ncols = FSY_VERS_COLS;
	memset(v, 0, sizeof(*v) * (size_t)ncols);
	if (p == NULL)
		return FSY_OK;
	while (i < end) {
		uint64_t gseq, site, hlc = 0;
		int col = p[i++];
		if (col <= prev || col >= ncols || end - i < 8)
			goto bad;
		for (int k = 0; k < 8; k++)
			hlc = hlc << 8 | p[i++];
		if (get_varint(p, end, &i, &gseq) || get_varint(p, end, &i, &site) ||
		    gseq == 0 || gseq > INT64_MAX || site > INT64_MAX)
			goto bad;
		v[col].found = 1;
		v[col].hlc = hlc;
		v[col].gseq = (int64_t)gseq;
		v[col].site = (int64_t)site;
		prev = col;
	}
	return FSY_OK;
bad:
	memset(v, 0, sizeof(*v) * (size_t)ncols);
	return FSY_ECORRUPT;
}

size_t
fsy__vers_encode(const fsy_ver_t *v, int ncols, uint8_t out[FSY_VERS_MAX])
{
	size_t n = 0;

	for (int c = 0; c < ncols && c < FSY_VERS_COLS; c++) {
		if (!v[c].found)
			continue;
		out[n++] = (uint8_t)c;
		for (int k = 7; k >= 0; k--)
			out[n++] = (uint8_t)(v[c].hlc >> (8 * k));
		n += put_varint(out + n, (uint64_t)v[c].gseq);
		n += put_varint(out + n, (uint64_t)v[c].site);
	}
	return n;
}
