/* cardno.c — card numbers and the surname table (cardno.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <csv.h>

#include "cardno.h"
#include "util.h"

#ifndef FSY_DATADIR_BUILD
#error "FSY_DATADIR_BUILD must be defined by the build"
#endif
#ifndef FSY_DATADIR_INSTALL
#error "FSY_DATADIR_INSTALL must be defined by the build"
#endif

#define SURNAMES_FILE "surnames.csv"
#define SURNAME_MAX_BYTES (FSY_SURNAME_MAX_CHARS * 4)
#define PINYIN_MAX 24

typedef struct surname {
	char s[SURNAME_MAX_BYTES + 1]; /* the surname, UTF-8 */
	unsigned char len;             /* its length in bytes */
	char initial;                  /* 'A'..'Z' */
} surname_t;

struct fsy_surnames {
	surname_t *v; /* sorted by bytes (memcmp, then length) */
	int n;
};

/* ---- UTF-8 -------------------------------------------------------------- */

/* Length of the UTF-8 character at s (at most n bytes), its code point in
 * *cp; 0 when malformed. */
static size_t
utf8_char(const unsigned char *s, size_t n, uint32_t *cp)
{
	size_t len;
	uint32_t c;

	if (n == 0)
		return 0;
	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if ((s[0] & 0xE0) == 0xC0) {
		len = 2;
		c = s[0] & 0x1F;
	} else if ((s[0] & 0xF0) == 0xE0) {
		len = 3;
		c = s[0] & 0x0F;
	} else if ((s[0] & 0xF8) == 0xF0) {
		len = 4;
		c = s[0] & 0x07;
	} else {
		return 0;
	}
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3F);
	}
	/* Overlong forms, surrogates and out-of-range code points. */
	if ((len == 2 && c < 0x80) || (len == 3 && c < 0x800) ||
	    (len == 4 && (c < 0x10000 || c > 0x10FFFF)) ||
	    (c >= 0xD800 && c <= 0xDFFF))
		return 0;
	*cp = c;
	return len;
}

/* 1 for a Han ideograph (CJK unified, extension A, compatibility, and the
 * supplementary-plane extensions). */
static int
is_han(uint32_t c)
{
	return (c >= 0x3400 && c <= 0x4DBF) || (c >= 0x4E00 && c <= 0x9FFF) ||
	    (c >= 0xF900 && c <= 0xFAFF) || (c >= 0x20000 && c <= 0x3134F);
}

/* ---- the table ----------------------------------------------------------- */

static int
surname_cmp(const void *a, const void *b)
{
	const surname_t *x = a, *y = b;
	size_t n = x->len < y->len ? x->len : y->len;
	int c = memcmp(x->s, y->s, n);

	if (c)
		return c;
	return (int)x->len - (int)y->len;
}

void
fsy_surnames_free(fsy_surnames_t *t)
{
	if (t == NULL)
		return;
	free(t->v);
	free(t);
}

int
fsy_surnames_count(const fsy_surnames_t *t)
{
	return t ? t->n : 0;
}

/* Parser state for libcsv callbacks. */
typedef struct loader {
	const char *path;
	char *err;
	size_t errlen;
	int rv;           /* first error */
	long row;         /* 1-based record number (1 = header) */
	int nf;           /* fields seen in this record */
	char f[3][64];    /* the fields (longer ones are refused) */
	int flong[3];     /* 1: field was too long */
	fsy_surnames_t *t;
	int cap;
} loader_t;

static void
field_cb(void *data, size_t len, void *ctx)
{
	loader_t *l = ctx;

	if (l->nf < 3) {
		l->flong[l->nf] = len >= sizeof(l->f[0]);
		if (!l->flong[l->nf]) {
			memcpy(l->f[l->nf], data ? data : "", data ? len : 0);
			l->f[l->nf][data ? len : 0] = '\0';
		}
	}
	l->nf++;
}

static int
row_fail(loader_t *l, const char *what)
{
	if (l->rv == FSY_OK)
		l->rv = fsy_store_errf(NULL, FSY_ECSV, l->err, l->errlen,
		    "%s: row %ld: %s", l->path, l->row, what);
	return l->rv;
}

/* Validates and stores one data row. */
static void
add_row(loader_t *l)
{
	const char *sn = l->f[0], *ini = l->f[1], *py = l->f[2];
	size_t n = strlen(sn), off = 0, chars = 0;
	surname_t *e;

	if (l->flong[0] || l->flong[1] || l->flong[2]) {
		row_fail(l, "field too long");
		return;
	}
	while (off < n) {
		uint32_t cp;
		size_t k = utf8_char((const unsigned char *)sn + off, n - off,
		    &cp);
		if (k == 0) {
			row_fail(l, "surname is not valid UTF-8");
			return;
		}
		if (!is_han(cp)) {
			row_fail(l, "surname must be Han characters only");
			return;
		}
		off += k;
		chars++;
	}
	if (chars == 0 || chars > FSY_SURNAME_MAX_CHARS) {
		row_fail(l, "surname must be 1 to 4 characters");
		return;
	}
	if (strlen(ini) != 1 || ini[0] < 'A' || ini[0] > 'Z') {
		row_fail(l, "initial must be one letter A-Z");
		return;
	}
	n = strlen(py);
	if (n == 0 || n > PINYIN_MAX) {
		row_fail(l, "pinyin must be 1 to 24 letters");
		return;
	}
	for (size_t i = 0; i < n; i++) {
		if (py[i] < 'a' || py[i] > 'z') {
			row_fail(l, "pinyin must be lower-case a-z (v for u "
			    "with umlaut), without tones");
			return;
		}
	}
	if (py[0] - 'a' + 'A' != ini[0]) {
		row_fail(l, "initial is not the pinyin's first letter");
		return;
	}
	if (l->t->n == l->cap) {
		int ncap = l->cap ? l->cap * 2 : 512;
		void *p;
		if (ncap > FSY_SURNAMES_MAX_ROWS)
			ncap = FSY_SURNAMES_MAX_ROWS;
		if (l->t->n >= ncap) {
			row_fail(l, "too many rows");
			return;
		}
		p = realloc(l->t->v, (size_t)ncap * sizeof(*l->t->v));
		if (p == NULL) {
			l->rv = fsy_store_errf(NULL, FSY_ENOMEM, l->err,
			    l->errlen, "%s: out of memory", l->path);
			return;
		}
		l->t->v = p;
		l->cap = ncap;
	}
	e = &l->t->v[l->t->n++];
	memset(e, 0, sizeof(*e));
	memcpy(e->s, sn, strlen(sn));
	e->len = (unsigned char)strlen(sn);
	e->initial = ini[0];
}

static void
record_cb(int c, void *ctx)
{
	loader_t *l = ctx;
	static const char bom[] = "\xEF\xBB\xBF";

	(void)c;
	l->row++;
	if (l->rv != FSY_OK)
		goto next;
	if (l->nf != 3) {
		char what[64];
		snprintf(what, sizeof(what), "%d fields, expected 3 "
		    "(surname,initial,pinyin)", l->nf);
		row_fail(l, what);
		goto next;
	}
	if (l->row == 1) {
		const char *h = l->f[0];
		if (strncmp(h, bom, 3) == 0)
			h += 3;
		if (strcmp(h, "surname") != 0 ||
		    strcmp(l->f[1], "initial") != 0 ||
		    strcmp(l->f[2], "pinyin") != 0)
			row_fail(l, "header must be surname,initial,pinyin");
		goto next;
	}
	add_row(l);
next:
	l->nf = 0;
	memset(l->flong, 0, sizeof(l->flong));
}

/* Reads a whole file of at most FSY_SURNAMES_MAX_BYTES. */
static int
read_file(const char *path, char **buf, size_t *len, char *err, size_t errlen)
{
	FILE *f = fopen(path, "rb");
	char *b = NULL;
	size_t n = 0;
	int rv = FSY_OK;

	*buf = NULL;
	if (f == NULL) {
		rv = errno == ENOENT ? FSY_ENOTFOUND
		                     : fsy_err_from_errno(errno);
		return fsy_store_errf(NULL, rv, err, errlen, "%s: %s", path,
		    strerror(errno));
	}
	if ((b = malloc(FSY_SURNAMES_MAX_BYTES + 1)) == NULL) {
		rv = FSY_ENOMEM;
		goto out;
	}
	n = fread(b, 1, FSY_SURNAMES_MAX_BYTES + 1, f);
	if (ferror(f))
		rv = fsy_store_errf(NULL, FSY_EIO, err, errlen,
		    "%s: read error", path);
	else if (n > FSY_SURNAMES_MAX_BYTES)
		rv = fsy_store_errf(NULL, FSY_ETOOBIG, err, errlen,
		    "%s: larger than %d bytes", path, FSY_SURNAMES_MAX_BYTES);
out:
	fclose(f);
	if (rv) {
		free(b);
		return rv;
	}
	*buf = b;
	*len = n;
	return FSY_OK;
}

static int
file_exists(const char *path)
{
	struct stat sb;
	return stat(path, &sb) == 0 && S_ISREG(sb.st_mode);
}

int
fsy_surnames_load(const char *path, fsy_surnames_t **out, char *err,
    size_t errlen)
{
	struct csv_parser p;
	int parser = 0;
	loader_t l;
	char defpath[4096];
	char *buf = NULL;
	size_t len = 0;
	int rv;

	*out = NULL;
	memset(&l, 0, sizeof(l));
	if (path == NULL) {
		const char *dir = getenv("FSY_DATADIR");
		if (dir && dir[0]) {
			snprintf(defpath, sizeof(defpath), "%s/" SURNAMES_FILE,
			    dir);
		} else {
			snprintf(defpath, sizeof(defpath), "%s/" SURNAMES_FILE,
			    FSY_DATADIR_BUILD);
			if (!file_exists(defpath))
				snprintf(defpath, sizeof(defpath),
				    "%s/" SURNAMES_FILE, FSY_DATADIR_INSTALL);
		}
		path = defpath;
	}
	if ((rv = read_file(path, &buf, &len, err, errlen)) != FSY_OK)
		goto out;
	l.path = path;
	l.err = err;
	l.errlen = errlen;
	if ((l.t = calloc(1, sizeof(*l.t))) == NULL) {
		rv = FSY_ENOMEM;
		goto out;
	}
	if (csv_init(&p, CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL) != 0) {
		rv = FSY_ENOMEM;
		goto out;
	}
	parser = 1;
	if (csv_parse(&p, buf, len, field_cb, record_cb, &l) != len ||
	    csv_fini(&p, field_cb, record_cb, &l) != 0) {
		if (l.rv == FSY_OK)
			l.rv = fsy_store_errf(NULL, FSY_ECSV, err, errlen,
			    "%s: near row %ld: %s", path, l.row + 1,
			    csv_strerror(csv_error(&p)));
	}
	if ((rv = l.rv) != FSY_OK)
		goto out;
	if (l.row < 1) {
		rv = fsy_store_errf(NULL, FSY_ECSV, err, errlen,
		    "%s: empty file (header surname,initial,pinyin expected)",
		    path);
		goto out;
	}
	qsort(l.t->v, (size_t)l.t->n, sizeof(*l.t->v), surname_cmp);
	for (int i = 1; i < l.t->n; i++) {
		if (surname_cmp(&l.t->v[i - 1], &l.t->v[i]) == 0) {
			rv = fsy_store_errf(NULL, FSY_ECSV, err, errlen,
			    "%s: surname %s appears twice", path, l.t->v[i].s);
			goto out;
		}
	}
	*out = l.t;
	l.t = NULL;
out:
	if (rv == FSY_ENOMEM)
		(void)fsy_store_errf(NULL, rv, err, errlen, "%s: out of memory",
		    path);
	if (parser)
		csv_free(&p);
	fsy_surnames_free(l.t);
	free(buf);
	return rv;
}

/* The entry for exactly these bytes, or NULL. */
static const surname_t *
lookup(const fsy_surnames_t *t, const char *s, size_t len)
{
	surname_t key;

	if (len > SURNAME_MAX_BYTES)
		return NULL;
	memset(&key, 0, sizeof(key));
	memcpy(key.s, s, len);
	key.len = (unsigned char)len;
	return bsearch(&key, t->v, (size_t)t->n, sizeof(*t->v), surname_cmp);
}

static int
manual_initial(const char *m, char *initial, char *err, size_t errlen)
{
	char c = m[0];

	if (c >= 'a' && c <= 'z')
		c = (char)(c - 'a' + 'A');
	if (c < 'A' || c > 'Z' || m[1] != '\0') { /* m[1] exists: c != 0 */
		return fsy_store_errf(NULL, FSY_EINVAL, err, errlen,
		    "manual initial '%.8s' is not one letter A-Z", m);
	}
	*initial = c;
	return FSY_OK;
}

int
fsy_cardno_initial(const fsy_surnames_t *t, const char *name,
    const char *manual, char *initial, size_t *surname_len, char *err,
    size_t errlen)
{
	const unsigned char *s = (const unsigned char *)name;
	size_t n, off = 0, ends[FSY_SURNAME_MAX_CHARS];
	int nchars = 0;

	if (surname_len)
		*surname_len = 0;
	if (manual)
		return manual_initial(manual, initial, err, errlen);
	if (name == NULL)
		return fsy_store_errf(NULL, FSY_ESURNAME, err, errlen,
		    "no name: give the initial by hand");
	n = strnlen(name, 1024);
	/* Skip blanks: ASCII and the ideographic space U+3000. */
	for (;;) {
		if (off < n && (s[off] == ' ' || s[off] == '\t'))
			off++;
		else if (n - off >= 3 && s[off] == 0xE3 && s[off + 1] == 0x80 &&
		    s[off + 2] == 0x80)
			off += 3;
		else
			break;
	}
	if (off == n)
		return fsy_store_errf(NULL, FSY_ESURNAME, err, errlen,
		    "empty name: give the initial by hand");
	/* Ends of the first few characters. */
	for (size_t p = off; nchars < FSY_SURNAME_MAX_CHARS && p < n;) {
		uint32_t cp;
		size_t k = utf8_char(s + p, n - p, &cp);
		if (k == 0)
			return fsy_store_errf(NULL, FSY_EINVAL, err, errlen,
			    "name is not valid UTF-8");
		p += k;
		ends[nchars++] = p;
	}
	for (int i = nchars - 1; i >= 0; i--) {
		const surname_t *e = lookup(t, name + off, ends[i] - off);
		if (e) {
			*initial = e->initial;
			if (surname_len)
				*surname_len = e->len;
			return FSY_OK;
		}
	}
	return fsy_store_errf(NULL, FSY_ESURNAME, err, errlen,
	    "surname of '%.*s' is not in the surname table: "
	    "give the pinyin initial (A-Z) by hand",
	    (int)(ends[nchars - 1] - off), name + off);
}

/* ---- numbers ------------------------------------------------------------- */

int
fsy_cardno_device_short(const char *device_id, char out[5])
{
	if (device_id == NULL || !fsy_uuid_valid(device_id))
		return FSY_EINVAL;
	for (int i = 0; i < 4; i++) {
		char c = device_id[FSY_UUID_STRLEN - 4 + i];
		out[i] = (c >= 'a' && c <= 'f') ? (char)(c - 'a' + 'A') : c;
	}
	out[4] = '\0';
	return FSY_OK;
}

static int
is_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
	    (c >= 'A' && c <= 'F');
}

int
fsy_cardno_provisional(const char *device_short, int64_t counter, char *out,
    size_t n)
{
	char sid[5];
	int k;

	if (device_short == NULL || strlen(device_short) != 4)
		return FSY_EINVAL;
	for (int i = 0; i < 4; i++) {
		char c = device_short[i];
		if (!is_hex(c))
			return FSY_EINVAL;
		sid[i] = (c >= 'a' && c <= 'f') ? (char)(c - 'a' + 'A') : c;
	}
	sid[4] = '\0';
	if (counter < 1 || counter > 99999999)
		return FSY_ERANGE;
	k = snprintf(out, n, "P-%s-%04lld", sid, (long long)counter);
	if (k < 0 || (size_t)k >= n)
		return FSY_ETOOBIG;
	return FSY_OK;
}

int
fsy_cardno_kind(const char *s)
{
	size_t n, i;

	if (s == NULL)
		return FSY_CARDNO_INVALID;
	n = strlen(s);
	if (n >= 11 && n <= 15 && s[0] == 'P' && s[1] == '-' && s[6] == '-') {
		for (i = 2; i < 6; i++)
			if (!is_hex(s[i]) || (s[i] >= 'a' && s[i] <= 'f'))
				return FSY_CARDNO_INVALID;
		for (i = 7; i < n; i++)
			if (s[i] < '0' || s[i] > '9')
				return FSY_CARDNO_INVALID;
		return FSY_CARDNO_PROVISIONAL;
	}
	if (n < 5 || n > 20 || s[0] < 'A' || s[0] > 'Z')
		return FSY_CARDNO_INVALID;
	for (i = 1; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return FSY_CARDNO_INVALID;
	return FSY_CARDNO_FINAL;
}

/* ---- assignment ---------------------------------------------------------- */

/* Prepares sql uncached (the caller finalizes *s; NULL on failure). */
static int
prep(fsy_store_t *st, const char *sql, sqlite3_stmt **s, char *err,
    size_t errlen)
{
	int rc = sqlite3_prepare_v2(fsy_store_db(st), sql, -1, s, NULL);

	return rc == SQLITE_OK ? FSY_OK
	                       : fsy_store_errf(st, rc, err, errlen, "prepare");
}

static char *
dup_col(sqlite3_stmt *s, int i)
{
	const char *t = (const char *)sqlite3_column_text(s, i);
	return t ? strdup(t) : NULL;
}

/* Takes the next number for initial from card_seq into *seq. */
static int
next_seq(fsy_store_t *st, sqlite3_stmt *s, char initial, int64_t *seq,
    char *err, size_t errlen)
{
	char ini[2] = {initial, '\0'};
	int rc, rv = FSY_OK;

	sqlite3_reset(s);
	sqlite3_bind_text(s, 1, ini, 1, SQLITE_TRANSIENT);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*seq = sqlite3_column_int64(s, 0);
	else
		rv = fsy_store_errf(st, rc, err, errlen, "card_seq");
	sqlite3_reset(s);
	return rv;
}

int
fsy_cardno_assign(fsy_store_t *st, const fsy_surnames_t *t,
    const char *customer_id, const char *manual_initial, char *card_no,
    size_t n, char *err, size_t errlen)
{
	sqlite3_stmt *s = NULL, *seq = NULL, *used = NULL;
	fsy_surnames_t *own = NULL;
	char *name = NULL, *have = NULL;
	char initial = 0, num[24];
	int rv, rc, nested, provisional = 0, found = 0;
	int64_t k = 0;

	if (fsy_store_role(st) != FSY_ROLE_HUB)
		return fsy_store_errf(NULL, FSY_ESTATE, err, errlen,
		    "card numbers are assigned by head office: "
		    "not a hub store");
	if (customer_id == NULL)
		return fsy_store_errf(NULL, FSY_EINVAL, err, errlen,
		    "card number: a customer id is required");
	nested = !sqlite3_get_autocommit(fsy_store_db(st));
	rv = nested ? fsy_store_exec(st, "SAVEPOINT fsy_cardno")
	            : fsy_store_begin(st);
	if (rv)
		return fsy_store_errf(st, rv, err, errlen, "begin");

	rv = prep(st, "SELECT name, card_no, card_provisional FROM customer "
	    "WHERE id = ?1 AND deleted = 0", &s, err, errlen);
	if (rv)
		goto out;
	sqlite3_bind_text(s, 1, customer_id, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		found = 1;
		if ((name = dup_col(s, 0)) == NULL &&
		    sqlite3_column_type(s, 0) != SQLITE_NULL)
			rv = FSY_ENOMEM;
		if ((have = dup_col(s, 1)) == NULL &&
		    sqlite3_column_type(s, 1) != SQLITE_NULL)
			rv = FSY_ENOMEM;
		provisional = sqlite3_column_int(s, 2);
	} else if (rc != SQLITE_DONE) {
		rv = fsy_store_errf(st, rc, err, errlen,
		    "reading the customer");
	}
	sqlite3_finalize(s);
	s = NULL;
	if (rv)
		goto out;
	if (!found) {
		rv = fsy_store_errf(NULL, FSY_ENOTFOUND, err, errlen,
		    "no live customer with id '%s'", customer_id);
		goto out;
	}

	/* Already numbered by head office: keep it. */
	if (have && have[0] && !provisional) {
		snprintf(num, sizeof(num), "%.23s", have);
		goto copy;
	}

	if (manual_initial == NULL && t == NULL) {
		rv = fsy_surnames_load(NULL, &own, err, errlen);
		if (rv)
			goto out;
		t = own;
	}
	rv = fsy_cardno_initial(t, name, manual_initial, &initial, NULL, err,
	    errlen);
	if (rv) {
		if (rv == FSY_ESURNAME && name == NULL)
			(void)fsy_store_errf(NULL, rv, err, errlen,
			    "customer '%s' has no name: give the initial by "
			    "hand", customer_id);
		goto out;
	}

	rv = prep(st, "INSERT INTO card_seq(initial, next) VALUES (?1, 2) "
	    "ON CONFLICT(initial) DO UPDATE SET next = next + 1 "
	    "RETURNING next - 1", &seq, err, errlen);
	if (rv == FSY_OK)
		rv = prep(st, "SELECT 1 FROM customer WHERE card_no = ?1",
		    &used, err, errlen);
	/* Skip numbers a card already holds (imported, or set by hand). */
	for (int tries = 0; rv == FSY_OK; tries++) {
		if (tries == 1000000) {
			rv = fsy_store_errf(NULL, FSY_ERANGE, err, errlen,
			    "no free card number for initial %c", initial);
			break;
		}
		rv = next_seq(st, seq, initial, &k, err, errlen);
		if (rv != FSY_OK)
			break;
		snprintf(num, sizeof(num), "%c%04lld", initial, (long long)k);
		sqlite3_reset(used);
		sqlite3_bind_text(used, 1, num, -1, SQLITE_STATIC);
		rc = sqlite3_step(used);
		sqlite3_reset(used);
		if (rc == SQLITE_DONE)
			break;
		if (rc != SQLITE_ROW)
			rv = fsy_store_errf(st, rc, err, errlen,
			    "checking card numbers");
	}
	if (rv)
		goto out;

	rv = prep(st, "UPDATE customer SET card_no = ?1, card_provisional = 0 "
	    "WHERE id = ?2", &s, err, errlen);
	if (rv)
		goto out;
	sqlite3_bind_text(s, 1, num, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, customer_id, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(s)) != SQLITE_DONE)
		rv = fsy_store_errf(st, rc, err, errlen,
		    "writing the card number");
	sqlite3_finalize(s);
	s = NULL;
	if (rv)
		goto out;
copy:
	if (card_no && strlen(num) >= n) {
		rv = fsy_store_errf(NULL, FSY_ETOOBIG, err, errlen,
		    "card number buffer too small");
		goto out;
	}
	if (card_no)
		memcpy(card_no, num, strlen(num) + 1);
out:
	if (rv == FSY_ENOMEM)
		(void)fsy_store_errf(NULL, rv, err, errlen, "out of memory");
	sqlite3_finalize(seq);
	sqlite3_finalize(used);
	fsy_surnames_free(own);
	free(name);
	free(have);
	if (rv == FSY_OK) {
		rv = nested ? fsy_store_exec(st, "RELEASE fsy_cardno")
		            : fsy_store_commit(st);
		if (rv == FSY_OK)
			return FSY_OK;
		(void)fsy_store_errf(st, rv, err, errlen, "commit");
	}
	if (nested) {
		(void)fsy_store_exec(st, "ROLLBACK TO fsy_cardno");
		(void)fsy_store_exec(st, "RELEASE fsy_cardno");
	} else {
		fsy_store_rollback(st);
	}
	return rv;
}
