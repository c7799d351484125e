/*
 * proto.c — fieldsync's wire format (docs/PROTOCOL.md): msgpack frames
 * encoded with msgpack-c's packer, decoded by a strict pull reader of our
 * own straight into the fsy_msg_t structures.
 *
 * Why not msgpack_unpack_next: it allocates an object per element a header
 * announces before seeing the elements (a 5-byte array32 header asks for
 * 96 GB), and builds a full object tree (24 bytes per element) before we
 * could check a single limit. The reader below checks every count against
 * the limits and against the bytes left before allocating, never recurses,
 * and allocates only what the decoded message keeps, in one arena.
 */
#include <stdalign.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <msgpack.h>
#include <zstd.h>
#include <zstd_errors.h>

#include "proto.h"
#include "proto_int.h"

/* ------------------------------------------------------------------------
 * Arena: a list of chunks, bump-allocated, freed at once.
 */

#define ARENA_CHUNK 16384

typedef struct chunk {
	struct chunk *next; /* older chunk */
	size_t used;        /* bytes handed out from data */
	size_t cap;         /* bytes in data */
	max_align_t data[]; /* storage, aligned for anything */
} chunk_t;

typedef struct arena {
	chunk_t *head; /* chunk allocations come from */
} arena_t;

static arena_t *
arena_new(void)
{
	return calloc(1, sizeof(arena_t));
}

static void
arena_free(arena_t *a)
{
	if (a == NULL)
		return;
	chunk_t *c = a->head;
	while (c != NULL) {
		chunk_t *next = c->next;
		free(c);
		c = next;
	}
	free(a);
}

/* Returns n zeroed bytes aligned for any type, or NULL. */
static void *
arena_alloc(arena_t *a, size_t n)
{
	const size_t al = alignof(max_align_t);
	chunk_t *c = a->head;
	void *p;

	if (n == 0)
		n = 1;
	if (n > SIZE_MAX / 2)
		return NULL;
	n = (n + al - 1) & ~(al - 1);
	if (c == NULL || c->cap - c->used < n) {
		size_t cap = n > ARENA_CHUNK ? n : ARENA_CHUNK;
		c = malloc(sizeof(*c) + cap);
		if (c == NULL)
			return NULL;
		c->used = 0;
		c->cap = cap;
		if (a->head != NULL && n > ARENA_CHUNK / 4) {
			/* a big block: keep the current chunk's free room */
			c->next = a->head->next;
			a->head->next = c;
		} else {
			c->next = a->head;
			a->head = c;
		}
	}
	p = (char *)c->data + c->used;
	c->used += n;
	memset(p, 0, n);
	return p;
}

/* Returns a NUL-terminated copy of n bytes, or NULL. */
static char *
arena_strndup(arena_t *a, const uint8_t *s, size_t n)
{
	char *p = arena_alloc(a, n + 1);

	if (p != NULL && n > 0)
		memcpy(p, s, n);
	return p;
}

/* ------------------------------------------------------------------------
 * UUIDs: 36-char canonical lowercase text <-> 16 bytes.
 */

static int
hexval(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	return -1;
}

int
fsy__uuid_to_bin(const char *s, uint8_t out[16])
{
	int rv = FSY_OK;
	int k = 0;

	if (s == NULL || strnlen(s, 37) != 36) {
		rv = FSY_EINVAL;
		goto out;
	}
	for (int i = 0; i < 36;) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-') {
				rv = FSY_EINVAL;
				goto out;
			}
			i++;
			continue;
		}
		int hi = hexval(s[i]);
		int lo = hexval(s[i + 1]);
		if (hi < 0 || lo < 0) {
			rv = FSY_EINVAL;
			goto out;
		}
		out[k++] = (uint8_t)(hi << 4 | lo);
		i += 2;
	}
out:
	return rv;
}

void
fsy__uuid_from_bin(const uint8_t in[16], char out[37])
{
	static const char hex[] = "0123456789abcdef";
	int k = 0;

	for (int i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			out[k++] = '-';
		out[k++] = hex[in[i] >> 4];
		out[k++] = hex[in[i] & 0xf];
	}
	out[k] = '\0';
}

/* ------------------------------------------------------------------------
 * Reader: one msgpack token at a time, bounds-checked.
 */

typedef struct rd {
	const uint8_t *p;   /* next byte */
	const uint8_t *end; /* one past the last byte */
} rd_t;

typedef enum {
	MP_NIL,
	MP_BOOL,
	MP_UINT, /* any integer format holding a value >= 0 */
	MP_NINT, /* any integer format holding a value < 0 */
	MP_FLOAT,
	MP_STR,
	MP_BIN,
	MP_EXT,
	MP_ARRAY,
	MP_MAP,
} mpkind_t;

typedef struct mptok {
	mpkind_t kind;
	uint64_t u;       /* MP_UINT value, MP_BOOL 0/1 */
	int64_t i;        /* MP_NINT value */
	uint32_t n;       /* STR/BIN/EXT length, ARRAY/MAP count */
	const uint8_t *s; /* STR/BIN/EXT payload */
} mptok_t;

static size_t
rd_left(const rd_t *r)
{
	return (size_t)(r->end - r->p);
}

static uint64_t
rd_be(const uint8_t *p, int n)
{
	uint64_t v = 0;

	for (int i = 0; i < n; i++)
		v = v << 8 | p[i];
	return v;
}

/* Reads n big-endian bytes; FSY_EMALFORMED when fewer are left. */
static int
rd_take(rd_t *r, int n, uint64_t *v)
{
	if (rd_left(r) < (size_t)n)
		return FSY_EMALFORMED;
	*v = rd_be(r->p, n);
	r->p += n;
	return FSY_OK;
}

static void
tok_signed(mptok_t *t, int64_t v)
{
	if (v >= 0) {
		t->kind = MP_UINT;
		t->u = (uint64_t)v;
	} else {
		t->kind = MP_NINT;
		t->i = v;
	}
}

/* Reads a payload of n bytes (str, bin, ext data) into t. */
static int
rd_payload(rd_t *r, mptok_t *t, mpkind_t kind, uint64_t n)
{
	if (n > rd_left(r))
		return FSY_EMALFORMED;
	t->kind = kind;
	t->n = (uint32_t)n;
	t->s = r->p;
	r->p += n;
	return FSY_OK;
}

/*
 * Reads one token: a scalar with its payload, or the header of an array or
 * map (its elements follow). Returns FSY_OK or FSY_EMALFORMED (truncated,
 * or the never-used byte 0xc1).
 */
static int
rd_next(rd_t *r, mptok_t *t)
{
	uint64_t v = 0;
	int rv = FSY_OK;
	uint8_t b;

	memset(t, 0, sizeof(*t));
	if (rd_left(r) < 1)
		return FSY_EMALFORMED;
	b = *r->p++;
	if (b <= 0x7f) {
		t->kind = MP_UINT;
		t->u = b;
	} else if (b >= 0xe0) {
		t->kind = MP_NINT;
		t->i = (int64_t)(int8_t)b;
	} else if (b >= 0xa0 && b <= 0xbf) {
		rv = rd_payload(r, t, MP_STR, b & 0x1f);
	} else if (b >= 0x90 && b <= 0x9f) {
		t->kind = MP_ARRAY;
		t->n = b & 0x0f;
	} else if (b >= 0x80 && b <= 0x8f) {
		t->kind = MP_MAP;
		t->n = b & 0x0f;
	} else {
		switch (b) {
		case 0xc0:
			t->kind = MP_NIL;
			break;
		case 0xc2:
		case 0xc3:
			t->kind = MP_BOOL;
			t->u = b == 0xc3;
			break;
		case 0xc4:
		case 0xc5:
		case 0xc6:
			rv = rd_take(r, 1 << (b - 0xc4), &v);
			if (rv == FSY_OK)
				rv = rd_payload(r, t, MP_BIN, v);
			break;
		case 0xc7:
		case 0xc8:
		case 0xc9:
			rv = rd_take(r, 1 << (b - 0xc7), &v);
			if (rv == FSY_OK)
				rv = rd_payload(r, t, MP_EXT, v + 1);
			break;
		case 0xca:
		case 0xcb:
			rv = rd_payload(r, t, MP_FLOAT, b == 0xca ? 4 : 8);
			break;
		case 0xcc:
		case 0xcd:
		case 0xce:
		case 0xcf:
			rv = rd_take(r, 1 << (b - 0xcc), &v);
			t->kind = MP_UINT;
			t->u = v;
			break;
		case 0xd0:
			rv = rd_take(r, 1, &v);
			tok_signed(t, (int8_t)(uint8_t)v);
			break;
		case 0xd1:
			rv = rd_take(r, 2, &v);
			tok_signed(t, (int16_t)(uint16_t)v);
			break;
		case 0xd2:
			rv = rd_take(r, 4, &v);
			tok_signed(t, (int32_t)(uint32_t)v);
			break;
		case 0xd3:
			rv = rd_take(r, 8, &v);
			tok_signed(t, (int64_t)v);
			break;
		case 0xd4:
		case 0xd5:
		case 0xd6:
		case 0xd7:
		case 0xd8:
			rv = rd_payload(r, t, MP_EXT, 1 + (1u << (b - 0xd4)));
			break;
		case 0xd9:
		case 0xda:
		case 0xdb:
			rv = rd_take(r, 1 << (b - 0xd9), &v);
			if (rv == FSY_OK)
				rv = rd_payload(r, t, MP_STR, v);
			break;
		case 0xdc:
		case 0xdd:
			rv = rd_take(r, b == 0xdc ? 2 : 4, &v);
			t->kind = MP_ARRAY;
			t->n = (uint32_t)v;
			break;
		case 0xde:
		case 0xdf:
			rv = rd_take(r, b == 0xde ? 2 : 4, &v);
			t->kind = MP_MAP;
			t->n = (uint32_t)v;
			break;
		default: /* 0xc1 */
			rv = FSY_EMALFORMED;
			break;
		}
	}
	return rv;
}

/* Skips one complete value of any type, without recursion. Every element
 * takes at least one byte, so a count larger than the bytes left is
 * malformed and the work is bounded by the input length. */
static int
rd_skip(rd_t *r)
{
	uint64_t pending = 1;
	mptok_t t;
	int rv = FSY_OK;

	while (pending > 0) {
		rv = rd_next(r, &t);
		if (rv != FSY_OK)
			goto out;
		pending--;
		if (t.kind == MP_ARRAY)
			pending += t.n;
		else if (t.kind == MP_MAP)
			pending += 2 * (uint64_t)t.n;
		if (pending > rd_left(r)) {
			rv = FSY_EMALFORMED;
			goto out;
		}
	}
out:
	return rv;
}

/* ------------------------------------------------------------------------
 * Typed field readers. Wrong type or range: FSY_EMALFORMED; a length or
 * count over its limit: FSY_ETOOBIG.
 */

typedef struct dec {
	rd_t r;     /* the body being read */
	arena_t *a; /* where decoded memory goes */
	/* The last two ids read, bytes and text (see enc_t). */
	uint8_t idbin[2][16];
	char idtxt[2][37];
	int idnext;
} dec_t;

static int
rd_uint(dec_t *d, uint64_t max, uint64_t *out)
{
	mptok_t t;
	int rv = rd_next(&d->r, &t);

	if (rv == FSY_OK && (t.kind != MP_UINT || t.u > max))
		rv = FSY_EMALFORMED;
	if (rv == FSY_OK)
		*out = t.u;
	return rv;
}

static int
rd_u32(dec_t *d, uint32_t *out)
{
	uint64_t v = 0;
	int rv = rd_uint(d, UINT32_MAX, &v);

	*out = (uint32_t)v;
	return rv;
}

/* A non-negative int64 (seqs, cursors, counts, times). */
static int
rd_nonneg(dec_t *d, int64_t *out)
{
	uint64_t v = 0;
	int rv = rd_uint(d, INT64_MAX, &v);

	*out = (int64_t)v;
	return rv;
}

/* Any int64. */
static int
rd_sint(dec_t *d, int64_t *out)
{
	mptok_t t;
	int rv = rd_next(&d->r, &t);

	if (rv != FSY_OK)
		return rv;
	if (t.kind == MP_UINT && t.u <= INT64_MAX)
		*out = (int64_t)t.u;
	else if (t.kind == MP_NINT)
		*out = t.i;
	else
		rv = FSY_EMALFORMED;
	return rv;
}

static int
rd_i32(dec_t *d, int32_t *out)
{
	int64_t v = 0;
	int rv = rd_sint(d, &v);

	if (rv == FSY_OK && (v < INT32_MIN || v > INT32_MAX))
		rv = FSY_EMALFORMED;
	*out = (int32_t)v;
	return rv;
}

static int
rd_bool(dec_t *d, int *out)
{
	mptok_t t;
	int rv = rd_next(&d->r, &t);

	if (rv == FSY_OK && t.kind != MP_BOOL)
		rv = FSY_EMALFORMED;
	if (rv == FSY_OK)
		*out = (int)t.u;
	return rv;
}

/* A bin of exactly n bytes, copied to out. */
static int
rd_binfix(dec_t *d, uint8_t *out, uint32_t n)
{
	mptok_t t;
	int rv = rd_next(&d->r, &t);

	if (rv == FSY_OK && (t.kind != MP_BIN || t.n != n))
		rv = FSY_EMALFORMED;
	if (rv == FSY_OK)
		memcpy(out, t.s, n);
	return rv;
}

/* A UUID: bin 16, stored as its 36-char string. */
static int
rd_id(dec_t *d, char out[37])
{
	uint8_t b[16];
	int rv = rd_binfix(d, b, 16), k;

	if (rv != FSY_OK)
		return rv;
	for (k = 0; k < 2; k++)
		if (d->idtxt[k][0] != '\0' && memcmp(b, d->idbin[k], 16) == 0) {
			memcpy(out, d->idtxt[k], 37);
			return FSY_OK;
		}
	fsy__uuid_from_bin(b, out);
	k = d->idnext;
	d->idnext ^= 1;
	memcpy(d->idbin[k], b, 16);
	memcpy(d->idtxt[k], out, 37);
	return FSY_OK;
}

/* A str of at most max bytes without NUL bytes, copied NUL-terminated into
 * the arena. */
static int
rd_cstr(dec_t *d, uint32_t max, const char **out, size_t *len)
{
	mptok_t t;
	int rv = rd_next(&d->r, &t);
	char *p;

	if (rv != FSY_OK)
		goto out;
	if (t.kind != MP_STR) {
		rv = FSY_EMALFORMED;
		goto out;
	}
	if (t.n > max) {
		rv = FSY_ETOOBIG;
		goto out;
	}
	if (t.n > 0 && memchr(t.s, '\0', t.n) != NULL) {
		rv = FSY_EMALFORMED;
		goto out;
	}
	p = arena_strndup(d->a, t.s, t.n);
	if (p == NULL) {
		rv = FSY_ENOMEM;
		goto out;
	}
	*out = p;
	if (len != NULL)
		*len = t.n;
out:
	return rv;
}

/* An array header of at most max elements, each taking at least min_bytes
 * on the wire. */
static int
rd_list(dec_t *d, uint32_t max, size_t min_bytes, uint32_t *n)
{
	mptok_t t;
	int rv = rd_next(&d->r, &t);

	if (rv != FSY_OK)
		goto out;
	if (t.kind != MP_ARRAY) {
		rv = FSY_EMALFORMED;
		goto out;
	}
	if (t.n > max) {
		rv = FSY_ETOOBIG;
		goto out;
	}
	if ((uint64_t)t.n * min_bytes > rd_left(&d->r)) {
		rv = FSY_EMALFORMED;
		goto out;
	}
	*n = t.n;
out:
	return rv;
}

/* A tuple: an array of at least min elements; returns how many extra
 * (forward-compatible, skipped) elements follow the known ones. */
static int
rd_tuple(dec_t *d, uint32_t min, uint32_t *extra)
{
	mptok_t t;
	int rv = rd_next(&d->r, &t);

	if (rv == FSY_OK && (t.kind != MP_ARRAY || t.n < min ||
	    t.n > rd_left(&d->r)))
		rv = FSY_EMALFORMED;
	if (rv == FSY_OK)
		*extra = t.n - min;
	return rv;
}

static int
rd_skip_n(dec_t *d, uint32_t n)
{
	int rv = FSY_OK;

	for (uint32_t i = 0; i < n && rv == FSY_OK; i++)
		rv = rd_skip(&d->r);
	return rv;
}

/* A column value: nil, an int64, or a str of at most FSY_VAL_MAX_TEXT
 * bytes (any bytes; copied NUL-terminated into the arena). */
static int
rd_val(dec_t *d, fsy_val_t *v)
{
	mptok_t t;
	int rv = rd_next(&d->r, &t);
	char *p;

	if (rv != FSY_OK)
		goto out;
	memset(v, 0, sizeof(*v));
	switch (t.kind) {
	case MP_NIL:
		v->type = FSY_VAL_NULL;
		break;
	case MP_UINT:
		if (t.u > INT64_MAX) {
			rv = FSY_EMALFORMED;
			goto out;
		}
		v->type = FSY_VAL_INT;
		v->i = (int64_t)t.u;
		break;
	case MP_NINT:
		v->type = FSY_VAL_INT;
		v->i = t.i;
		break;
	case MP_STR:
		if (t.n > FSY_VAL_MAX_TEXT) {
			rv = FSY_ETOOBIG;
			goto out;
		}
		p = arena_strndup(d->a, t.s, t.n);
		if (p == NULL) {
			rv = FSY_ENOMEM;
			goto out;
		}
		v->type = FSY_VAL_TEXT;
		v->s = p;
		v->n = t.n;
		break;
	default:
		rv = FSY_EMALFORMED;
		break;
	}
out:
	return rv;
}

/* Smallest wire size of a change: array header, 3 fixints, 2 bin16 (18
 * bytes each), a fixint hlc and a nil value. */
#define CHANGE_MIN_BYTES 42

/* [seq, tbl, col, row_id bin16, customer_id bin16, hlc, val, ...] */
static int
rd_change(dec_t *d, fsy_change_t *c)
{
	uint32_t extra = 0;
	uint64_t u = 0;
	int rv = rd_tuple(d, 7, &extra);

	if (rv == FSY_OK)
		rv = rd_nonneg(d, &c->seq);
	if (rv == FSY_OK)
		rv = rd_uint(d, UINT8_MAX, &u);
	c->tbl = (uint8_t)u;
	if (rv == FSY_OK)
		rv = rd_uint(d, UINT8_MAX, &u);
	c->col = (uint8_t)u;
	if (rv == FSY_OK)
		rv = rd_id(d, c->row_id);
	if (rv == FSY_OK)
		rv = rd_id(d, c->customer_id);
	if (rv == FSY_OK)
		rv = rd_uint(d, UINT64_MAX, &c->hlc);
	if (rv == FSY_OK)
		rv = rd_val(d, &c->val);
	if (rv == FSY_OK)
		rv = rd_skip_n(d, extra);
	return rv;
}

static int
rd_changes(dec_t *d, fsy_change_t **out, uint32_t *nout)
{
	uint32_t n = 0;
	fsy_change_t *v = NULL;
	int rv = rd_list(d, FSY_MAX_CHANGES, CHANGE_MIN_BYTES, &n);

	if (rv != FSY_OK || n == 0)
		goto out;
	v = arena_alloc(d->a, (size_t)n * sizeof(*v));
	if (v == NULL) {
		rv = FSY_ENOMEM;
		goto out;
	}
	for (uint32_t i = 0; i < n && rv == FSY_OK; i++)
		rv = rd_change(d, &v[i]);
out:
	if (rv == FSY_OK) {
		*out = v;
		*nout = n;
	}
	return rv;
}

/* A list of UUIDs (bin16 each). */
static int
rd_ids(dec_t *d, char (**out)[37], uint32_t *nout)
{
	uint32_t n = 0;
	char (*v)[37] = NULL;
	int rv = rd_list(d, FSY_MAX_IDS, 18, &n);

	if (rv != FSY_OK || n == 0)
		goto out;
	v = arena_alloc(d->a, (size_t)n * sizeof(*v));
	if (v == NULL) {
		rv = FSY_ENOMEM;
		goto out;
	}
	for (uint32_t i = 0; i < n && rv == FSY_OK; i++)
		rv = rd_id(d, v[i]);
out:
	if (rv == FSY_OK) {
		*out = v;
		*nout = n;
	}
	return rv;
}

/* [seq, code, reason, ...] */
static int
rd_reject(dec_t *d, fsy_reject_t *j)
{
	uint32_t extra = 0;
	int rv = rd_tuple(d, 3, &extra);

	if (rv == FSY_OK)
		rv = rd_nonneg(d, &j->seq);
	if (rv == FSY_OK)
		rv = rd_i32(d, &j->code);
	if (rv == FSY_OK)
		rv = rd_cstr(d, FSY_MAX_STR, &j->reason, NULL);
	if (rv == FSY_OK)
		rv = rd_skip_n(d, extra);
	return rv;
}

static int
rd_rejects(dec_t *d, fsy_reject_t **out, uint32_t *nout)
{
	uint32_t n = 0;
	fsy_reject_t *v = NULL;
	int rv = rd_list(d, FSY_MAX_REJECTS, 4, &n);

	if (rv != FSY_OK || n == 0)
		goto out;
	v = arena_alloc(d->a, (size_t)n * sizeof(*v));
	if (v == NULL) {
		rv = FSY_ENOMEM;
		goto out;
	}
	for (uint32_t i = 0; i < n && rv == FSY_OK; i++)
		rv = rd_reject(d, &v[i]);
out:
	if (rv == FSY_OK) {
		*out = v;
		*nout = n;
	}
	return rv;
}

/* A tuple of n short strings (extra trailing elements skipped); out[i]
 * receives element i. */
static int
rd_strs(dec_t *d, const char **const out[], uint32_t n)
{
	uint32_t extra = 0;
	int rv = rd_tuple(d, n, &extra);

	for (uint32_t i = 0; i < n && rv == FSY_OK; i++)
		rv = rd_cstr(d, FSY_MAX_STR, out[i], NULL);
	if (rv == FSY_OK)
		rv = rd_skip_n(d, extra);
	return rv;
}

/* Tuple sizes of the roster entries, and their smallest wire size (an
 * array header and one byte per empty string). */
#define TEAM_FIELDS 7
#define AGENT_FIELDS 9

/* [id, code, name, branch_id, branch_code, branch_name, lead_agent_id] */
static int
rd_teams(dec_t *d, const fsy_roster_team_t **out, uint32_t *nout)
{
	uint32_t n = 0;
	fsy_roster_team_t *v = NULL;
	int rv = rd_list(d, FSY_MAX_ROSTER, 1 + TEAM_FIELDS, &n);

	if (rv != FSY_OK || n == 0)
		goto out;
	v = arena_alloc(d->a, (size_t)n * sizeof(*v));
	if (v == NULL) {
		rv = FSY_ENOMEM;
		goto out;
	}
	for (uint32_t i = 0; i < n && rv == FSY_OK; i++) {
		const char **const f[TEAM_FIELDS] = {&v[i].id, &v[i].code,
		    &v[i].name, &v[i].branch_id, &v[i].branch_code,
		    &v[i].branch_name, &v[i].lead_agent_id};
		rv = rd_strs(d, f, TEAM_FIELDS);
	}
out:
	if (rv == FSY_OK) {
		*out = v;
		*nout = n;
	}
	return rv;
}

/* [id, code, name, team_id, role, channel, status, hired_on, left_on] */
static int
rd_agents(dec_t *d, const fsy_roster_agent_t **out, uint32_t *nout)
{
	uint32_t n = 0;
	fsy_roster_agent_t *v = NULL;
	int rv = rd_list(d, FSY_MAX_ROSTER, 1 + AGENT_FIELDS, &n);

	if (rv != FSY_OK || n == 0)
		goto out;
	v = arena_alloc(d->a, (size_t)n * sizeof(*v));
	if (v == NULL) {
		rv = FSY_ENOMEM;
		goto out;
	}
	for (uint32_t i = 0; i < n && rv == FSY_OK; i++) {
		const char **const f[AGENT_FIELDS] = {&v[i].id, &v[i].code,
		    &v[i].name, &v[i].team_id, &v[i].role, &v[i].channel,
		    &v[i].status, &v[i].hired_on, &v[i].left_on};
		rv = rd_strs(d, f, AGENT_FIELDS);
	}
out:
	if (rv == FSY_OK) {
		*out = v;
		*nout = n;
	}
	return rv;
}

/* ------------------------------------------------------------------------
 * Body maps: keys per message type. The index of a key in its list is the
 * `k` a field function receives.
 */

typedef int (*field_fn)(dec_t *d, unsigned k, fsy_msg_t *m);

typedef struct body_spec {
	const char *const *keys; /* key names */
	unsigned nkeys;
	uint32_t required; /* bit k: keys[k] must be present */
	field_fn field;    /* decodes keys[k]'s value into m */
} body_spec_t;

#define NKEYS(a) ((unsigned)(sizeof(a) / sizeof((a)[0])))
#define ALL(n) ((uint32_t)((1u << (n)) - 1))

static const char *const k_error[] = {"code", "msg", "retry"};
static const char *const k_hello[] = {"proto", "schema", "dev", "sw",
    "lseq", "pend", "oldest", "cseq", "chash", "scope"};
static const char *const k_challenge[] = {"nonce", "hub", "time"};
static const char *const k_auth[] = {"dev", "sig"};
static const char *const k_welcome[] = {"agent", "role", "pseq", "cur",
    "chok", "time", "teams", "agents"};
static const char *const k_push[] = {"cur", "head", "ch"};
static const char *const k_ack[] = {"acked", "rej", "corr"};
static const char *const k_pull[] = {"cur", "maxc", "maxb", "sack", "rack"};
static const char *const k_batch[] = {"cur", "more", "ch"};
static const char *const k_snapshot[] = {"cust", "ch", "more"};
static const char *const k_revoke[] = {"cust"};
static const char *const k_ctl[] = {"json"};

static int
f_error(dec_t *d, unsigned k, fsy_msg_t *m)
{
	fsy_msg_error_t *e = &m->u.error;

	switch (k) {
	case 0:
		return rd_i32(d, &e->code);
	case 1:
		return rd_cstr(d, FSY_MAX_STR, &e->message, NULL);
	default:
		return rd_u32(d, &e->retry_ms);
	}
}

static int
f_hello(dec_t *d, unsigned k, fsy_msg_t *m)
{
	fsy_msg_hello_t *h = &m->u.hello;

	switch (k) {
	case 0:
		return rd_u32(d, &h->proto);
	case 1:
		return rd_u32(d, &h->schema);
	case 2:
		return rd_id(d, h->device_id);
	case 3:
		return rd_cstr(d, FSY_MAX_STR, &h->software, NULL);
	case 4:
		return rd_nonneg(d, &h->log_seq);
	case 5:
		return rd_nonneg(d, &h->pending);
	case 6:
		return rd_nonneg(d, &h->oldest_pending_ms);
	case 7:
		return rd_nonneg(d, &h->chain_seq);
	case 8:
		return rd_binfix(d, h->chain_hash, 32);
	default:
		h->has_scope_hash = 1;
		return rd_binfix(d, h->scope_hash, 32);
	}
}

static int
f_challenge(dec_t *d, unsigned k, fsy_msg_t *m)
{
	fsy_msg_challenge_t *c = &m->u.challenge;

	switch (k) {
	case 0:
		return rd_binfix(d, c->nonce, 32);
	case 1:
		return rd_id(d, c->hub_id);
	default:
		return rd_nonneg(d, &c->hub_time_ms);
	}
}

static int
f_auth(dec_t *d, unsigned k, fsy_msg_t *m)
{
	fsy_msg_auth_t *a = &m->u.auth;

	if (k == 0)
		return rd_id(d, a->device_id);
	return rd_binfix(d, a->sig, 64);
}

static int
f_welcome(dec_t *d, unsigned k, fsy_msg_t *m)
{
	fsy_msg_welcome_t *w = &m->u.welcome;

	switch (k) {
	case 0:
		return rd_id(d, w->agent_id);
	case 1:
		return rd_cstr(d, FSY_MAX_STR, &w->role, NULL);
	case 2:
		return rd_nonneg(d, &w->push_seq);
	case 3:
		return rd_nonneg(d, &w->pull_cursor);
	case 4:
		return rd_bool(d, &w->chain_ok);
	case 5:
		return rd_nonneg(d, &w->hub_time_ms);
	case 6:
		return rd_teams(d, &w->teams, &w->nteams);
	default:
		return rd_agents(d, &w->agents, &w->nagents);
	}
}

static int
f_push(dec_t *d, unsigned k, fsy_msg_t *m)
{
	fsy_msg_push_t *p = &m->u.push;

	switch (k) {
	case 0:
		return rd_nonneg(d, &p->cursor);
	case 1:
		return rd_binfix(d, p->head, 32);
	default:
		return rd_changes(d, &p->changes, &p->nchanges);
	}
}

static int
f_ack(dec_t *d, unsigned k, fsy_msg_t *m)
{
	fsy_msg_ack_t *a = &m->u.ack;

	switch (k) {
	case 0:
		return rd_nonneg(d, &a->acked);
	case 1:
		return rd_rejects(d, &a->rejects, &a->nrejects);
	default:
		return rd_changes(d, &a->corrections, &a->ncorrections);
	}
}

static int
f_pull(dec_t *d, unsigned k, fsy_msg_t *m)
{
	fsy_msg_pull_t *p = &m->u.pull;

	switch (k) {
	case 0:
		return rd_nonneg(d, &p->cursor);
	case 1:
		return rd_u32(d, &p->max_changes);
	case 2:
		return rd_u32(d, &p->max_bytes);
	case 3:
		return rd_ids(d, &p->snap_acks, &p->nsnap_acks);
	default:
		return rd_ids(d, &p->revoke_acks, &p->nrevoke_acks);
	}
}

static int
f_batch(dec_t *d, unsigned k, fsy_msg_t *m)
{
	fsy_msg_batch_t *b = &m->u.batch;

	switch (k) {
	case 0:
		return rd_nonneg(d, &b->cursor);
	case 1:
		return rd_bool(d, &b->more);
	default:
		return rd_changes(d, &b->changes, &b->nchanges);
	}
}

static int
f_snapshot(dec_t *d, unsigned k, fsy_msg_t *m)
{
	fsy_msg_snapshot_t *s = &m->u.snapshot;

	switch (k) {
	case 0:
		return rd_ids(d, &s->customers, &s->ncustomers);
	case 1:
		return rd_changes(d, &s->changes, &s->nchanges);
	default:
		return rd_bool(d, &s->more);
	}
}

static int
f_revoke(dec_t *d, unsigned k, fsy_msg_t *m)
{
	(void)k;
	return rd_ids(d, &m->u.revoke.customers, &m->u.revoke.ncustomers);
}

static int
f_ctl(dec_t *d, unsigned k, fsy_msg_t *m)
{
	(void)k;
	return rd_cstr(d, FSY_MAX_CTL, &m->u.ctl.json, &m->u.ctl.len);
}

static const body_spec_t specs[FSY_MSG_TYPE_MAX + 1] = {
	[FSY_MSG_ERROR] = {k_error, NKEYS(k_error), ALL(3), f_error},
	[FSY_MSG_HELLO] = {k_hello, NKEYS(k_hello), ALL(9), f_hello},
	[FSY_MSG_CHALLENGE] = {k_challenge, NKEYS(k_challenge), ALL(3),
	    f_challenge},
	[FSY_MSG_AUTH] = {k_auth, NKEYS(k_auth), ALL(2), f_auth},
	[FSY_MSG_WELCOME] = {k_welcome, NKEYS(k_welcome), ALL(6), f_welcome},
	[FSY_MSG_PUSH] = {k_push, NKEYS(k_push), ALL(3), f_push},
	[FSY_MSG_ACK] = {k_ack, NKEYS(k_ack), ALL(3), f_ack},
	[FSY_MSG_PULL] = {k_pull, NKEYS(k_pull), ALL(5), f_pull},
	[FSY_MSG_BATCH] = {k_batch, NKEYS(k_batch), ALL(3), f_batch},
	[FSY_MSG_SNAPSHOT] = {k_snapshot, NKEYS(k_snapshot), ALL(3),
	    f_snapshot},
	[FSY_MSG_REVOKE] = {k_revoke, NKEYS(k_revoke), ALL(1), f_revoke},
	[FSY_MSG_CTL] = {k_ctl, NKEYS(k_ctl), ALL(1), f_ctl},
	[FSY_MSG_CTL_REPLY] = {k_ctl, NKEYS(k_ctl), ALL(1), f_ctl},
};

/* Decodes a body map per spec: every key a str of at most
 * FSY__MAX_KEY_LEN bytes, no key twice, unknown keys skipped, required
 * keys present. */
static int
rd_body(dec_t *d, const body_spec_t *spec, fsy_msg_t *m)
{
	struct {
		const uint8_t *s;
		uint32_t n;
	} seen[FSY__MAX_BODY_KEYS];
	uint32_t got = 0;
	mptok_t t;
	int rv = rd_next(&d->r, &t);

	if (rv != FSY_OK)
		goto out;
	if (t.kind != MP_MAP || t.n > FSY__MAX_BODY_KEYS) {
		rv = FSY_EMALFORMED;
		goto out;
	}
	for (uint32_t i = 0, n = t.n; i < n; i++) {
		unsigned k;

		rv = rd_next(&d->r, &t);
		if (rv != FSY_OK)
			goto out;
		if (t.kind != MP_STR || t.n > FSY__MAX_KEY_LEN) {
			rv = FSY_EMALFORMED;
			goto out;
		}
		for (uint32_t j = 0; j < i; j++) {
			if (seen[j].n == t.n &&
			    (t.n == 0 || memcmp(seen[j].s, t.s, t.n) == 0)) {
				rv = FSY_EMALFORMED;
				goto out;
			}
		}
		seen[i].s = t.s;
		seen[i].n = t.n;
		for (k = 0; k < spec->nkeys; k++) {
			if (strlen(spec->keys[k]) == t.n &&
			    memcmp(spec->keys[k], t.s, t.n) == 0)
				break;
		}
		if (k < spec->nkeys) {
			rv = spec->field(d, k, m);
			got |= 1u << k;
		} else {
			rv = rd_skip(&d->r);
		}
		if (rv != FSY_OK)
			goto out;
	}
	if ((got & spec->required) != spec->required)
		rv = FSY_EMALFORMED;
out:
	return rv;
}

/* Inflates a zstd body into a new heap buffer (*out, *outlen). */
static int
inflate_body(const uint8_t *src, size_t n, uint8_t **out, size_t *outlen)
{
	unsigned long long size = ZSTD_getFrameContentSize(src, n);
	uint8_t *buf = NULL;
	size_t got;
	int rv = FSY_OK;

	if (size == ZSTD_CONTENTSIZE_UNKNOWN || size == ZSTD_CONTENTSIZE_ERROR ||
	    size == 0) {
		rv = FSY_EMALFORMED;
		goto out;
	}
	if (size > FSY_MAX_INFLATED) {
		rv = FSY_ETOOBIG;
		goto out;
	}
	/* exactly one frame, nothing after it */
	got = ZSTD_findFrameCompressedSize(src, n);
	if (ZSTD_isError(got) || got != n) {
		rv = FSY_EMALFORMED;
		goto out;
	}
	buf = malloc((size_t)size);
	if (buf == NULL) {
		rv = FSY_ENOMEM;
		goto out;
	}
	got = ZSTD_decompress(buf, (size_t)size, src, n);
	if (ZSTD_isError(got)) {
		rv = ZSTD_getErrorCode(got) == ZSTD_error_memory_allocation ?
		    FSY_ENOMEM : FSY_EMALFORMED;
		goto out;
	}
	if (got != size) {
		rv = FSY_EMALFORMED;
		goto out;
	}
	*out = buf;
	*outlen = (size_t)size;
	buf = NULL;
out:
	free(buf);
	return rv;
}

int
fsy_msg_decode(const uint8_t *data, size_t len, fsy_msg_t *m)
{
	rd_t r = {data, data};
	dec_t d = {{NULL, NULL}, NULL, {{0}}, {{0}}, 0};
	uint8_t *inflated = NULL;
	size_t inflated_len = 0;
	uint64_t version = 0, type = 0, flags = 0;
	mptok_t t;
	int rv = FSY_OK;

	memset(m, 0, sizeof(*m));
	if (data == NULL) {
		rv = FSY_EMALFORMED;
		goto out;
	}
	if (len > FSY_MAX_FRAME) {
		rv = FSY_ETOOBIG;
		goto out;
	}
	r.end = data + len; /* after the NULL check: no arithmetic on NULL */
	/* [version, ...]: the version comes first in every version */
	rv = rd_next(&r, &t);
	if (rv == FSY_OK && (t.kind != MP_ARRAY || t.n < 1))
		rv = FSY_EMALFORMED;
	if (rv != FSY_OK)
		goto out;
	d.r = r;
	rv = rd_uint(&d, UINT64_MAX, &version);
	if (rv != FSY_OK)
		goto out;
	if (version != FSY_PROTO_VERSION) {
		rv = FSY_EVERSION;
		goto out;
	}
	if (t.n != 4) {
		rv = FSY_EMALFORMED;
		goto out;
	}
	rv = rd_uint(&d, FSY_MSG_TYPE_MAX, &type);
	if (rv == FSY_OK)
		rv = rd_uint(&d, FSY_FRAME_ZSTD, &flags);
	if (rv != FSY_OK)
		goto out;
	if (flags & FSY_FRAME_ZSTD) {
		rv = rd_next(&d.r, &t);
		if (rv == FSY_OK && (t.kind != MP_BIN || d.r.p != d.r.end))
			rv = FSY_EMALFORMED;
		if (rv == FSY_OK)
			rv = inflate_body(t.s, t.n, &inflated, &inflated_len);
		if (rv != FSY_OK)
			goto out;
		d.r.p = inflated;
		d.r.end = inflated + inflated_len;
	}
	d.a = arena_new();
	if (d.a == NULL) {
		rv = FSY_ENOMEM;
		goto out;
	}
	m->type = (fsy_msg_type_t)type;
	rv = rd_body(&d, &specs[type], m);
	if (rv == FSY_OK && d.r.p != d.r.end)
		rv = FSY_EMALFORMED; /* trailing bytes */
out:
	free(inflated);
	if (rv == FSY_OK) {
		m->arena = d.a;
	} else {
		arena_free(d.a);
		memset(m, 0, sizeof(*m));
	}
	return rv;
}

void
fsy_msg_free(fsy_msg_t *m)
{
	if (m == NULL)
		return;
	arena_free(m->arena);
	memset(m, 0, sizeof(*m));
}

/* ------------------------------------------------------------------------
 * Encoder: msgpack-c's packer writing into a growing buffer with a size
 * limit and a sticky error, so that a sequence of puts is checked once.
 */

typedef struct enc {
	msgpack_packer pk; /* writes through enc_write_cb */
	uint8_t *data;     /* heap, owned */
	size_t len;
	size_t cap;
	size_t limit; /* the most bytes this buffer may hold */
	int err;      /* sticky: FSY_ENOMEM, or FSY_EINVAL (a limit broken) */
	/* The last two ids packed (a row's changes repeat its row and
	 * customer ids): text and its 16 bytes, so that each is parsed once. */
	char idtxt[2][37];
	uint8_t idbin[2][16];
	int idnext;
} enc_t;

static void
enc_fail(enc_t *e, int err)
{
	if (e->err == FSY_OK)
		e->err = err;
}

static int
enc_write_cb(void *data, const char *buf, size_t len)
{
	enc_t *e = data;

	if (e->err != FSY_OK)
		return -1;
	if (len == 0)
		return 0;
	if (len > e->limit - e->len) {
		enc_fail(e, FSY_EINVAL);
		return -1;
	}
	if (e->len + len > e->cap) {
		size_t cap = e->cap ? e->cap : 256;
		uint8_t *p;

		while (cap < e->len + len)
			cap *= 2;
		p = realloc(e->data, cap);
		if (p == NULL) {
			enc_fail(e, FSY_ENOMEM);
			return -1;
		}
		e->data = p;
		e->cap = cap;
	}
	memcpy(e->data + e->len, buf, len);
	e->len += len;
	return 0;
}

/* Starts an encoder over existing storage (data/cap may be NULL/0). */
static void
enc_init(enc_t *e, uint8_t *data, size_t cap, size_t limit)
{
	memset(e, 0, sizeof(*e));
	e->data = data;
	e->cap = cap;
	e->limit = limit;
	msgpack_packer_init(&e->pk, e, enc_write_cb);
}

/* A msgpack-c pack call failed: enc_write_cb has set the reason. */
static void
enc_check(enc_t *e, int packrv)
{
	if (packrv != 0)
		enc_fail(e, FSY_ENOMEM);
}

static void
put_map(enc_t *e, size_t n)
{
	enc_check(e, msgpack_pack_map(&e->pk, n));
}

static void
put_array(enc_t *e, size_t n)
{
	enc_check(e, msgpack_pack_array(&e->pk, n));
}

static void
put_uint(enc_t *e, uint64_t v)
{
	enc_check(e, msgpack_pack_uint64(&e->pk, v));
}

static void
put_int(enc_t *e, int64_t v)
{
	enc_check(e, msgpack_pack_int64(&e->pk, v));
}

/* A non-negative int64; negative ones break the protocol. */
static void
put_nonneg(enc_t *e, int64_t v)
{
	if (v < 0)
		enc_fail(e, FSY_EINVAL);
	else
		put_uint(e, (uint64_t)v);
}

static void
put_bool(enc_t *e, int v)
{
	enc_check(e, v ? msgpack_pack_true(&e->pk) : msgpack_pack_false(&e->pk));
}

static void
put_nil(enc_t *e)
{
	enc_check(e, msgpack_pack_nil(&e->pk));
}

static void
put_str(enc_t *e, const char *s, size_t n)
{
	enc_check(e, msgpack_pack_str(&e->pk, n));
	if (n > 0)
		enc_check(e, msgpack_pack_str_body(&e->pk, s, n));
}

static void
put_bin(enc_t *e, const uint8_t *p, size_t n)
{
	enc_check(e, msgpack_pack_bin(&e->pk, n));
	if (n > 0)
		enc_check(e, msgpack_pack_bin_body(&e->pk, p, n));
}

static void
put_key(enc_t *e, const char *key)
{
	put_str(e, key, strlen(key));
}

/* A short string: NULL is "", longer than FSY_MAX_STR breaks a limit. */
static void
put_cstr(enc_t *e, const char *s)
{
	size_t n = s ? strnlen(s, FSY_MAX_STR + 1) : 0;

	if (n > FSY_MAX_STR)
		enc_fail(e, FSY_EINVAL);
	else
		put_str(e, s ? s : "", n);
}

static void
put_id(enc_t *e, const char *s)
{
	uint8_t b[16];
	int k;

	for (k = 0; k < 2; k++)
		if (s != NULL && e->idtxt[k][0] != '\0' &&
		    strncmp(s, e->idtxt[k], sizeof(e->idtxt[k])) == 0) {
			put_bin(e, e->idbin[k], 16);
			return;
		}
	if (fsy__uuid_to_bin(s, b) != FSY_OK) {
		enc_fail(e, FSY_EINVAL);
		return;
	}
	k = e->idnext;
	e->idnext ^= 1;
	memcpy(e->idtxt[k], s, 37); /* s is 36 characters and a NUL */
	memcpy(e->idbin[k], b, 16);
	put_bin(e, b, 16);
}

static void
put_val(enc_t *e, const fsy_val_t *v)
{
	switch (v->type) {
	case FSY_VAL_NULL:
		put_nil(e);
		break;
	case FSY_VAL_INT:
		put_int(e, v->i);
		break;
	case FSY_VAL_TEXT:
		if (v->n > FSY_VAL_MAX_TEXT || (v->s == NULL && v->n > 0))
			enc_fail(e, FSY_EINVAL);
		else
			put_str(e, v->s, v->n);
		break;
	default:
		enc_fail(e, FSY_EINVAL);
		break;
	}
}

static void
put_change(enc_t *e, const fsy_change_t *c)
{
	put_array(e, 7);
	put_nonneg(e, c->seq);
	put_uint(e, c->tbl);
	put_uint(e, c->col);
	put_id(e, c->row_id);
	put_id(e, c->customer_id);
	put_uint(e, c->hlc);
	put_val(e, &c->val);
}

/* A list must fit its limit and have storage when it is not empty. */
static int
list_ok(enc_t *e, const void *p, uint32_t n, uint32_t max)
{
	if (n > max || (p == NULL && n > 0)) {
		enc_fail(e, FSY_EINVAL);
		return 0;
	}
	return 1;
}

static void
put_changes(enc_t *e, const fsy_change_t *v, uint32_t n)
{
	if (!list_ok(e, v, n, FSY_MAX_CHANGES))
		return;
	put_array(e, n);
	for (uint32_t i = 0; i < n && e->err == FSY_OK; i++)
		put_change(e, &v[i]);
}

static void
put_ids(enc_t *e, const char (*v)[37], uint32_t n)
{
	if (!list_ok(e, v, n, FSY_MAX_IDS))
		return;
	put_array(e, n);
	for (uint32_t i = 0; i < n && e->err == FSY_OK; i++)
		put_id(e, v[i]);
}

static void
put_rejects(enc_t *e, const fsy_reject_t *v, uint32_t n)
{
	if (!list_ok(e, v, n, FSY_MAX_REJECTS))
		return;
	put_array(e, n);
	for (uint32_t i = 0; i < n && e->err == FSY_OK; i++) {
		put_array(e, 3);
		put_nonneg(e, v[i].seq);
		put_int(e, v[i].code);
		put_cstr(e, v[i].reason);
	}
}

/* A tuple of n short strings. */
static void
put_strs(enc_t *e, const char *const v[], uint32_t n)
{
	put_array(e, n);
	for (uint32_t i = 0; i < n && e->err == FSY_OK; i++)
		put_cstr(e, v[i]);
}

static void
put_teams(enc_t *e, const fsy_roster_team_t *v, uint32_t n)
{
	if (!list_ok(e, v, n, FSY_MAX_ROSTER))
		return;
	put_array(e, n);
	for (uint32_t i = 0; i < n && e->err == FSY_OK; i++) {
		const char *const f[TEAM_FIELDS] = {v[i].id, v[i].code,
		    v[i].name, v[i].branch_id, v[i].branch_code,
		    v[i].branch_name, v[i].lead_agent_id};
		put_strs(e, f, TEAM_FIELDS);
	}
}

static void
put_agents(enc_t *e, const fsy_roster_agent_t *v, uint32_t n)
{
	if (!list_ok(e, v, n, FSY_MAX_ROSTER))
		return;
	put_array(e, n);
	for (uint32_t i = 0; i < n && e->err == FSY_OK; i++) {
		const char *const f[AGENT_FIELDS] = {v[i].id, v[i].code,
		    v[i].name, v[i].team_id, v[i].role, v[i].channel,
		    v[i].status, v[i].hired_on, v[i].left_on};
		put_strs(e, f, AGENT_FIELDS);
	}
}

/* Writes m's body map; the outcome is in e->err. */
static void
put_body(enc_t *e, const fsy_msg_t *m)
{
	switch (m->type) {
	case FSY_MSG_ERROR: {
		const fsy_msg_error_t *x = &m->u.error;
		put_map(e, 3);
		put_key(e, "code");
		put_int(e, x->code);
		put_key(e, "msg");
		put_cstr(e, x->message);
		put_key(e, "retry");
		put_uint(e, x->retry_ms);
		break;
	}
	case FSY_MSG_HELLO: {
		const fsy_msg_hello_t *x = &m->u.hello;
		put_map(e, x->has_scope_hash ? 10 : 9);
		put_key(e, "proto");
		put_uint(e, x->proto);
		put_key(e, "schema");
		put_uint(e, x->schema);
		put_key(e, "dev");
		put_id(e, x->device_id);
		put_key(e, "sw");
		put_cstr(e, x->software);
		put_key(e, "lseq");
		put_nonneg(e, x->log_seq);
		put_key(e, "pend");
		put_nonneg(e, x->pending);
		put_key(e, "oldest");
		put_nonneg(e, x->oldest_pending_ms);
		put_key(e, "cseq");
		put_nonneg(e, x->chain_seq);
		put_key(e, "chash");
		put_bin(e, x->chain_hash, 32);
		if (x->has_scope_hash) {
			put_key(e, "scope");
			put_bin(e, x->scope_hash, 32);
		}
		break;
	}
	case FSY_MSG_CHALLENGE: {
		const fsy_msg_challenge_t *x = &m->u.challenge;
		put_map(e, 3);
		put_key(e, "nonce");
		put_bin(e, x->nonce, 32);
		put_key(e, "hub");
		put_id(e, x->hub_id);
		put_key(e, "time");
		put_nonneg(e, x->hub_time_ms);
		break;
	}
	case FSY_MSG_AUTH: {
		const fsy_msg_auth_t *x = &m->u.auth;
		put_map(e, 2);
		put_key(e, "dev");
		put_id(e, x->device_id);
		put_key(e, "sig");
		put_bin(e, x->sig, 64);
		break;
	}
	case FSY_MSG_WELCOME: {
		const fsy_msg_welcome_t *x = &m->u.welcome;
		/* the roster keys only when not empty: a WELCOME without a
		 * roster is the same frame as before they existed */
		put_map(e, 6 + (x->nteams > 0) + (x->nagents > 0));
		put_key(e, "agent");
		put_id(e, x->agent_id);
		put_key(e, "role");
		put_cstr(e, x->role);
		put_key(e, "pseq");
		put_nonneg(e, x->push_seq);
		put_key(e, "cur");
		put_nonneg(e, x->pull_cursor);
		put_key(e, "chok");
		put_bool(e, x->chain_ok);
		put_key(e, "time");
		put_nonneg(e, x->hub_time_ms);
		if (x->nteams > 0) {
			put_key(e, "teams");
			put_teams(e, x->teams, x->nteams);
		}
		if (x->nagents > 0) {
			put_key(e, "agents");
			put_agents(e, x->agents, x->nagents);
		}
		break;
	}
	case FSY_MSG_PUSH: {
		const fsy_msg_push_t *x = &m->u.push;
		put_map(e, 3);
		put_key(e, "cur");
		put_nonneg(e, x->cursor);
		put_key(e, "head");
		put_bin(e, x->head, 32);
		put_key(e, "ch");
		put_changes(e, x->changes, x->nchanges);
		break;
	}
	case FSY_MSG_ACK: {
		const fsy_msg_ack_t *x = &m->u.ack;
		put_map(e, 3);
		put_key(e, "acked");
		put_nonneg(e, x->acked);
		put_key(e, "rej");
		put_rejects(e, x->rejects, x->nrejects);
		put_key(e, "corr");
		put_changes(e, x->corrections, x->ncorrections);
		break;
	}
	case FSY_MSG_PULL: {
		const fsy_msg_pull_t *x = &m->u.pull;
		put_map(e, 5);
		put_key(e, "cur");
		put_nonneg(e, x->cursor);
		put_key(e, "maxc");
		put_uint(e, x->max_changes);
		put_key(e, "maxb");
		put_uint(e, x->max_bytes);
		put_key(e, "sack");
		put_ids(e, (const char (*)[37])x->snap_acks, x->nsnap_acks);
		put_key(e, "rack");
		put_ids(e, (const char (*)[37])x->revoke_acks, x->nrevoke_acks);
		break;
	}
	case FSY_MSG_BATCH: {
		const fsy_msg_batch_t *x = &m->u.batch;
		put_map(e, 3);
		put_key(e, "cur");
		put_nonneg(e, x->cursor);
		put_key(e, "more");
		put_bool(e, x->more);
		put_key(e, "ch");
		put_changes(e, x->changes, x->nchanges);
		break;
	}
	case FSY_MSG_SNAPSHOT: {
		const fsy_msg_snapshot_t *x = &m->u.snapshot;
		put_map(e, 3);
		put_key(e, "cust");
		put_ids(e, (const char (*)[37])x->customers, x->ncustomers);
		put_key(e, "ch");
		put_changes(e, x->changes, x->nchanges);
		put_key(e, "more");
		put_bool(e, x->more);
		break;
	}
	case FSY_MSG_REVOKE: {
		const fsy_msg_revoke_t *x = &m->u.revoke;
		put_map(e, 1);
		put_key(e, "cust");
		put_ids(e, (const char (*)[37])x->customers, x->ncustomers);
		break;
	}
	case FSY_MSG_CTL:
	case FSY_MSG_CTL_REPLY: {
		const fsy_msg_ctl_t *x = &m->u.ctl;
		if (x->len > FSY_MAX_CTL || (x->json == NULL && x->len > 0) ||
		    (x->len > 0 && memchr(x->json, '\0', x->len) != NULL)) {
			enc_fail(e, FSY_EINVAL);
			break;
		}
		put_map(e, 1);
		put_key(e, "json");
		put_str(e, x->json ? x->json : "", x->len);
		break;
	}
	default:
		enc_fail(e, FSY_EINVAL);
		break;
	}
}

void
fsy_buf_free(fsy_buf_t *b)
{
	if (b == NULL)
		return;
	free(b->data);
	memset(b, 0, sizeof(*b));
}

int
fsy_msg_encode(const fsy_msg_t *m, int compress, fsy_buf_t *out)
{
	enc_t body, frame;
	uint8_t *z = NULL;
	size_t zlen = 0;
	unsigned flags = 0;
	int rv = FSY_OK;

	enc_init(&body, NULL, 0, compress ? FSY_MAX_INFLATED : FSY_MAX_FRAME);
	enc_init(&frame, out ? out->data : NULL, out ? out->cap : 0,
	    FSY_MAX_FRAME);
	if (m == NULL || out == NULL) {
		rv = FSY_EINVAL;
		goto out;
	}
	put_body(&body, m);
	if (body.err != FSY_OK) {
		rv = body.err;
		goto out;
	}
	if (compress && body.len > FSY__COMPRESS_MIN) {
		size_t bound = ZSTD_compressBound(body.len);
		z = malloc(bound);
		if (z == NULL) {
			rv = FSY_ENOMEM;
			goto out;
		}
		zlen = ZSTD_compress(z, bound, body.data, body.len,
		    FSY__ZSTD_LEVEL);
		if (ZSTD_isError(zlen)) {
			rv = FSY_ENOMEM; /* with a full bound only memory fails */
			goto out;
		}
		if (zlen < body.len)
			flags |= FSY_FRAME_ZSTD;
	}
	put_array(&frame, 4);
	put_uint(&frame, FSY_PROTO_VERSION);
	put_uint(&frame, (uint64_t)m->type);
	put_uint(&frame, flags);
	if (flags & FSY_FRAME_ZSTD)
		put_bin(&frame, z, zlen);
	else if (enc_write_cb(&frame, (const char *)body.data, body.len) != 0)
		enc_fail(&frame, FSY_ENOMEM); /* the callback set the reason */
	rv = frame.err;
out:
	free(z);
	free(body.data);
	if (out != NULL) {
		if (rv == FSY_OK) {
			out->data = frame.data;
			out->len = frame.len;
			out->cap = frame.cap;
		} else {
			free(frame.data);
			memset(out, 0, sizeof(*out));
		}
	}
	return rv;
}

const char *
fsy_msg_type_name(int type)
{
	static const char *const names[FSY_MSG_TYPE_MAX + 1] = {
	    "ERROR", "HELLO", "CHALLENGE", "AUTH", "WELCOME", "PUSH", "ACK",
	    "PULL", "BATCH", "SNAPSHOT", "REVOKE", "CTL", "CTL_REPLY"};

	if (type < 0 || type > FSY_MSG_TYPE_MAX)
		return "?";
	return names[type];
}

size_t
fsy_auth_payload(const uint8_t nonce[32], const char *hub_id,
    const char *device_id, uint8_t *out)
{
	static const char label[] = "fieldsync-auth-v1"; /* + its NUL */
	size_t n = 0;

	memcpy(out + n, label, sizeof(label));
	n += sizeof(label);
	memcpy(out + n, nonce, 32);
	n += 32;
	memset(out + n, 0, 72);
	if (hub_id != NULL)
		memcpy(out + n, hub_id, strnlen(hub_id, 36));
	n += 36;
	if (device_id != NULL)
		memcpy(out + n, device_id, strnlen(device_id, 36));
	n += 36;
	return n;
}

/* ------------------------------------------------------------------------
 * Equality (tests, fuzzing).
 */

static int
str_eq(const char *a, const char *b)
{
	return strcmp(a ? a : "", b ? b : "") == 0;
}

static int
change_eq(const fsy_change_t *a, const fsy_change_t *b)
{
	return a->seq == b->seq && a->tbl == b->tbl && a->col == b->col &&
	    strcmp(a->row_id, b->row_id) == 0 &&
	    strcmp(a->customer_id, b->customer_id) == 0 && a->hlc == b->hlc &&
	    fsy_val_equal(&a->val, &b->val);
}

static int
changes_eq(const fsy_change_t *a, uint32_t na, const fsy_change_t *b,
    uint32_t nb)
{
	if (na != nb)
		return 0;
	for (uint32_t i = 0; i < na; i++)
		if (!change_eq(&a[i], &b[i]))
			return 0;
	return 1;
}

static int
teams_eq(const fsy_roster_team_t *a, uint32_t na, const fsy_roster_team_t *b,
    uint32_t nb)
{
	if (na != nb)
		return 0;
	for (uint32_t i = 0; i < na; i++)
		if (!str_eq(a[i].id, b[i].id) || !str_eq(a[i].code, b[i].code) ||
		    !str_eq(a[i].name, b[i].name) ||
		    !str_eq(a[i].lead_agent_id, b[i].lead_agent_id) ||
		    !str_eq(a[i].branch_id, b[i].branch_id) ||
		    !str_eq(a[i].branch_code, b[i].branch_code) ||
		    !str_eq(a[i].branch_name, b[i].branch_name))
			return 0;
	return 1;
}

static int
agents_eq(const fsy_roster_agent_t *a, uint32_t na,
    const fsy_roster_agent_t *b, uint32_t nb)
{
	if (na != nb)
		return 0;
	for (uint32_t i = 0; i < na; i++)
		if (!str_eq(a[i].id, b[i].id) || !str_eq(a[i].code, b[i].code) ||
		    !str_eq(a[i].name, b[i].name) ||
		    !str_eq(a[i].team_id, b[i].team_id) ||
		    !str_eq(a[i].role, b[i].role) ||
		    !str_eq(a[i].channel, b[i].channel) ||
		    !str_eq(a[i].status, b[i].status) ||
		    !str_eq(a[i].hired_on, b[i].hired_on) ||
		    !str_eq(a[i].left_on, b[i].left_on))
			return 0;
	return 1;
}

static int
ids_eq(const char (*a)[37], uint32_t na, const char (*b)[37], uint32_t nb)
{
	if (na != nb)
		return 0;
	for (uint32_t i = 0; i < na; i++)
		if (strcmp(a[i], b[i]) != 0)
			return 0;
	return 1;
}

int
fsy__msg_equal(const fsy_msg_t *a, const fsy_msg_t *b)
{
	if (a->type != b->type)
		return 0;
	switch (a->type) {
	case FSY_MSG_ERROR:
		return a->u.error.code == b->u.error.code &&
		    str_eq(a->u.error.message, b->u.error.message) &&
		    a->u.error.retry_ms == b->u.error.retry_ms;
	case FSY_MSG_HELLO: {
		const fsy_msg_hello_t *x = &a->u.hello, *y = &b->u.hello;
		return x->proto == y->proto && x->schema == y->schema &&
		    strcmp(x->device_id, y->device_id) == 0 &&
		    str_eq(x->software, y->software) &&
		    x->log_seq == y->log_seq && x->pending == y->pending &&
		    x->oldest_pending_ms == y->oldest_pending_ms &&
		    x->chain_seq == y->chain_seq &&
		    memcmp(x->chain_hash, y->chain_hash, 32) == 0 &&
		    !x->has_scope_hash == !y->has_scope_hash &&
		    (!x->has_scope_hash ||
		        memcmp(x->scope_hash, y->scope_hash, 32) == 0);
	}
	case FSY_MSG_CHALLENGE: {
		const fsy_msg_challenge_t *x = &a->u.challenge;
		const fsy_msg_challenge_t *y = &b->u.challenge;
		return memcmp(x->nonce, y->nonce, 32) == 0 &&
		    strcmp(x->hub_id, y->hub_id) == 0 &&
		    x->hub_time_ms == y->hub_time_ms;
	}
	case FSY_MSG_AUTH:
		return strcmp(a->u.auth.device_id, b->u.auth.device_id) == 0 &&
		    memcmp(a->u.auth.sig, b->u.auth.sig, 64) == 0;
	case FSY_MSG_WELCOME: {
		const fsy_msg_welcome_t *x = &a->u.welcome, *y = &b->u.welcome;
		return strcmp(x->agent_id, y->agent_id) == 0 &&
		    str_eq(x->role, y->role) && x->push_seq == y->push_seq &&
		    x->pull_cursor == y->pull_cursor &&
		    !x->chain_ok == !y->chain_ok &&
		    x->hub_time_ms == y->hub_time_ms &&
		    teams_eq(x->teams, x->nteams, y->teams, y->nteams) &&
		    agents_eq(x->agents, x->nagents, y->agents, y->nagents);
	}
	case FSY_MSG_PUSH:
		return a->u.push.cursor == b->u.push.cursor &&
		    memcmp(a->u.push.head, b->u.push.head, 32) == 0 &&
		    changes_eq(a->u.push.changes, a->u.push.nchanges,
		        b->u.push.changes, b->u.push.nchanges);
	case FSY_MSG_ACK: {
		const fsy_msg_ack_t *x = &a->u.ack, *y = &b->u.ack;
		if (x->acked != y->acked || x->nrejects != y->nrejects)
			return 0;
		for (uint32_t i = 0; i < x->nrejects; i++)
			if (x->rejects[i].seq != y->rejects[i].seq ||
			    x->rejects[i].code != y->rejects[i].code ||
			    !str_eq(x->rejects[i].reason, y->rejects[i].reason))
				return 0;
		return changes_eq(x->corrections, x->ncorrections,
		    y->corrections, y->ncorrections);
	}
	case FSY_MSG_PULL: {
		const fsy_msg_pull_t *x = &a->u.pull, *y = &b->u.pull;
		return x->cursor == y->cursor &&
		    x->max_changes == y->max_changes &&
		    x->max_bytes == y->max_bytes &&
		    ids_eq((const char (*)[37])x->snap_acks, x->nsnap_acks,
		        (const char (*)[37])y->snap_acks, y->nsnap_acks) &&
		    ids_eq((const char (*)[37])x->revoke_acks, x->nrevoke_acks,
		        (const char (*)[37])y->revoke_acks, y->nrevoke_acks);
	}
	case FSY_MSG_BATCH:
		return a->u.batch.cursor == b->u.batch.cursor &&
		    !a->u.batch.more == !b->u.batch.more &&
		    changes_eq(a->u.batch.changes, a->u.batch.nchanges,
		        b->u.batch.changes, b->u.batch.nchanges);
	case FSY_MSG_SNAPSHOT: {
		const fsy_msg_snapshot_t *x = &a->u.snapshot;
		const fsy_msg_snapshot_t *y = &b->u.snapshot;
		return !x->more == !y->more &&
		    ids_eq((const char (*)[37])x->customers, x->ncustomers,
		        (const char (*)[37])y->customers, y->ncustomers) &&
		    changes_eq(x->changes, x->nchanges, y->changes, y->nchanges);
	}
	case FSY_MSG_REVOKE:
		return ids_eq((const char (*)[37])a->u.revoke.customers,
		    a->u.revoke.ncustomers,
		    (const char (*)[37])b->u.revoke.customers,
		    b->u.revoke.ncustomers);
	case FSY_MSG_CTL:
	case FSY_MSG_CTL_REPLY:
		return a->u.ctl.len == b->u.ctl.len &&
		    (a->u.ctl.len == 0 ||
		        memcmp(a->u.ctl.json, b->u.ctl.json, a->u.ctl.len) == 0);
	}
	return 0;
}
