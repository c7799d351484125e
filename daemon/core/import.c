/*
 * import.c — the core policy system's CSV files into the hub (import.h;
 * the format is docs/IMPORT.md).
 *
 * Reading. Each file is fed to libcsv (strict mode) one physical line at a
 * time, so that every record knows the line it starts on. A record is at
 * most FSY_IMPORT_MAX_RECORD bytes and FSY_IMPORT_MAX_COLS fields; the
 * first record is the header, which maps columns by name.
 *
 * Checking. Every field is parsed by its column's kind (key, text, enum,
 * date, time, amount, ...) into an fsy_val_t; then the file's handler
 * checks the row as a whole (cross-field rules, duplicate keys, references)
 * and writes it. A bad row is counted and skipped; the first error's text is
 * kept. Rows keep being checked after an error so that the report can say
 * how many there were; a malformed file (broken quoting, bad header) stops
 * everything. Any error rolls the one transaction back.
 *
 * References are looked up in the database, where the earlier files of this
 * import already are (same transaction); a reference to a row that was
 * itself bad is not counted again.
 *
 * Writing. Replicated rows (customer, person, policy, visit) go through
 * upsert(): a column is written only when the file's value differs both
 * from what the last import of the row brought (import_state: 8-byte hashes
 * per column) and from the database — so an unchanged file writes nothing,
 * and a value an agent changed since stays until the core system changes
 * it. Visits are insert-only: an existing visit must match. The capture
 * triggers of the store turn every written column into a col_version row.
 */
#include <csv.h>
#include <errno.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fsy_err.h"
#include "import.h"
#include "store.h"
#include "tables.h"
#include "util.h"

#define FSY_IMPORT_MAX_RECORD (64 * 1024) /* bytes of one record */
#define FSY_IMPORT_MAX_COLS 32            /* fields of one record */
#define FSY_IMPORT_MAX_ROWS 50000000      /* data rows of one file */
#define CHUNK (256 * 1024)                /* read size */
#define KEYBUF 256                        /* a composed key, with prefix */

static const char *const file_names[FSY_IMPORT_NFILES] = {
	"agents.csv", "customers.csv", "persons.csv", "policies.csv",
	"visits.csv",
};

/* ---- column kinds and the five files' columns ---------------------------- */

enum {
	K_KEY,    /* core-system key: 1..40 of A-Z a-z 0-9 - _ . / */
	K_TEXT,   /* one-line UTF-8 text */
	K_FREE,   /* UTF-8 text that may hold tabs and line breaks */
	K_ENUM,   /* one of a list */
	K_DATE,   /* YYYY-MM-DD */
	K_TIME,   /* YYYY-MM-DDTHH:MM:SSZ (UTC) */
	K_AMOUNT, /* yuan, up to 2 decimals -> fen */
	K_INT,    /* whole number in lo..hi */
	K_BOOL,   /* 0 or 1 */
	K_GENDER, /* M or F */
	K_PHONE,  /* digits and + - ( ) space */
	K_IDNO,   /* resident ID (check digit verified) or passport number */
};

typedef struct {
	const char *name;         /* header name */
	uint8_t kind;             /* K_* */
	uint8_t req;              /* 1: the field may not be empty */
	uint8_t optcol;           /* 1: the column may be absent */
	uint16_t max;             /* K_TEXT/K_FREE: bytes */
	const char *const *enums; /* K_ENUM: NULL-terminated */
	int64_t lo, hi;           /* K_INT */
} colspec_t;

static const char *const e_role[] = {"agent", "lead", "service", "renewal",
	"admin", NULL};
static const char *const e_channel[] = {"agency", "bancassurance", "service",
	"renewal", NULL};
static const char *const e_astatus[] = {"employed", "departed",
	"disqualified", NULL};
static const char *const e_relation[] = {"spouse", "child", "parent",
	"other", NULL};
static const char *const e_ptype[] = {"accident", "health", "term_life",
	"whole_life", "endowment", "annuity", "dividend", "traditional",
	"universal", "investment_linked", "critical_illness", NULL};
static const char *const e_paymode[] = {"annual", "half", "quarter",
	"monthly", "single", NULL};
static const char *const e_pstatus[] = {"inforce", "grace", "lapsed",
	"surrendered", "matured", "paid_up", "cancelled", "terminated", NULL};
static const char *const e_vchannel[] = {"visit", "phone", "wechat", "sms",
	"event", NULL};
static const char *const e_topic[] = {"general", "birthday",
	"spring_festival", "mid_autumn", "national_day", "mothers_day",
	"fathers_day", "company_news", "new_product", "renewal", "delivery",
	"first_contact", "survival_notice", "service_festival", "claim", NULL};

enum {
	A_CODE, A_NAME, A_BRANCH, A_BRANCH_NAME, A_TEAM, A_TEAM_NAME, A_ROLE,
	A_CHANNEL, A_STATUS, A_HIRED, A_LEFT, A_PERF, A_N
};
static const colspec_t agent_cols[A_N] = {
	{"agent_code", K_KEY, 1, 0, 0, NULL, 0, 0},
	{"name", K_TEXT, 1, 0, 100, NULL, 0, 0},
	{"branch_code", K_KEY, 1, 0, 0, NULL, 0, 0},
	{"branch_name", K_TEXT, 1, 0, 100, NULL, 0, 0},
	{"team_code", K_KEY, 0, 0, 0, NULL, 0, 0},
	{"team_name", K_TEXT, 0, 0, 100, NULL, 0, 0},
	{"role", K_ENUM, 1, 0, 0, e_role, 0, 0},
	{"channel", K_ENUM, 1, 0, 0, e_channel, 0, 0},
	{"status", K_ENUM, 1, 0, 0, e_astatus, 0, 0},
	{"hired_on", K_DATE, 0, 0, 0, NULL, 0, 0},
	{"left_on", K_DATE, 0, 0, 0, NULL, 0, 0},
	{"performance", K_INT, 0, 0, 0, NULL, 0, 1000000},
};

enum {
	C_NO, C_NAME, C_GENDER, C_BIRTH, C_IDNO, C_PHONE, C_ADDRESS, C_OCC,
	C_INCOME, C_N
};
static const colspec_t customer_cols[C_N] = {
	{"customer_no", K_KEY, 1, 0, 0, NULL, 0, 0},
	{"name", K_TEXT, 1, 0, 100, NULL, 0, 0},
	{"gender", K_GENDER, 1, 0, 0, NULL, 0, 0},
	{"birth_date", K_DATE, 0, 0, 0, NULL, 0, 0},
	{"id_number", K_IDNO, 0, 0, 0, NULL, 0, 0},
	{"phone", K_PHONE, 0, 0, 0, NULL, 0, 0},
	{"address", K_TEXT, 0, 0, 300, NULL, 0, 0},
	{"occupation", K_TEXT, 0, 0, 100, NULL, 0, 0},
	{"income", K_AMOUNT, 0, 0, 0, NULL, 0, 0},
};

enum { R_CUST, R_REL, R_NAME, R_GENDER, R_BIRTH, R_OCC, R_HEALTH, R_N };
static const colspec_t person_cols[R_N] = {
	{"customer_no", K_KEY, 1, 0, 0, NULL, 0, 0},
	{"relation", K_ENUM, 1, 0, 0, e_relation, 0, 0},
	{"name", K_TEXT, 1, 0, 100, NULL, 0, 0},
	{"gender", K_GENDER, 0, 0, 0, NULL, 0, 0},
	{"birth_date", K_DATE, 0, 0, 0, NULL, 0, 0},
	{"occupation", K_TEXT, 0, 0, 100, NULL, 0, 0},
	{"health_notes", K_FREE, 0, 0, 1000, NULL, 0, 0},
};

enum {
	P_NO, P_CUST, P_EXT, P_INSURER, P_PRODUCT, P_TYPE, P_MAIN, P_INSURED,
	P_PAYMODE, P_MODAL, P_YEARS, P_ISSUE, P_DUE, P_END, P_SURVIVAL,
	P_STATUS, P_STATUS_DATE, P_SA, P_AV, P_CONVERTED, P_BENEF, P_AGENT, P_N
};
static const colspec_t policy_cols[P_N] = {
	{"policy_no", K_KEY, 1, 0, 0, NULL, 0, 0},
	{"customer_no", K_KEY, 1, 0, 0, NULL, 0, 0},
	{"external", K_BOOL, 1, 0, 0, NULL, 0, 0},
	{"insurer", K_TEXT, 0, 0, 100, NULL, 0, 0},
	{"product", K_TEXT, 1, 0, 200, NULL, 0, 0},
	{"product_type", K_ENUM, 1, 0, 0, e_ptype, 0, 0},
	{"is_main", K_BOOL, 1, 0, 0, NULL, 0, 0},
	{"insured_name", K_TEXT, 0, 0, 100, NULL, 0, 0},
	{"pay_mode", K_ENUM, 1, 0, 0, e_paymode, 0, 0},
	{"modal_premium", K_AMOUNT, 1, 0, 0, NULL, 0, 0},
	{"payment_years", K_INT, 0, 0, 0, NULL, 0, 100},
	{"issue_date", K_DATE, 1, 0, 0, NULL, 0, 0},
	{"next_due_date", K_DATE, 0, 0, 0, NULL, 0, 0},
	{"end_date", K_DATE, 0, 0, 0, NULL, 0, 0},
	{"survival_date", K_DATE, 0, 0, 0, NULL, 0, 0},
	{"status", K_ENUM, 1, 0, 0, e_pstatus, 0, 0},
	{"status_date", K_DATE, 0, 0, 0, NULL, 0, 0},
	{"sum_assured", K_AMOUNT, 0, 0, 0, NULL, 0, 0},
	{"account_value", K_AMOUNT, 0, 0, 0, NULL, 0, 0},
	{"annuity_converted", K_BOOL, 0, 0, 0, NULL, 0, 0},
	{"beneficiary", K_TEXT, 0, 0, 200, NULL, 0, 0},
	{"soliciting_agent_code", K_KEY, 0, 0, 0, NULL, 0, 0},
};

enum {
	V_CUST, V_AGENT, V_HAPPENED, V_RECORDED, V_CHANNEL, V_TOPIC, V_PLACE,
	V_SAID, V_NEXT, V_POLICY, V_N
};
static const colspec_t visit_cols[V_N] = {
	{"customer_no", K_KEY, 1, 0, 0, NULL, 0, 0},
	{"agent_code", K_KEY, 1, 0, 0, NULL, 0, 0},
	{"happened_at", K_TIME, 1, 0, 0, NULL, 0, 0},
	{"recorded_at", K_TIME, 1, 0, 0, NULL, 0, 0},
	{"channel", K_ENUM, 1, 0, 0, e_vchannel, 0, 0},
	{"topic", K_ENUM, 1, 0, 0, e_topic, 0, 0},
	{"place", K_TEXT, 0, 0, 200, NULL, 0, 0},
	{"customer_said", K_FREE, 0, 0, 2000, NULL, 0, 0},
	{"next_step", K_FREE, 0, 0, 2000, NULL, 0, 0},
	{"policy_no", K_KEY, 0, 1, 0, NULL, 0, 0},
};

/* ---- replicated tables as import writes them ----------------------------- */

typedef struct {
	int tbl;                  /* FSY_T_* */
	const char *const *cols;  /* imported columns, besides id, customer_id */
	int ncols;
	int insert_only;          /* an existing row must match */
	int derived;              /* insert-only: a column computed by import
	                           * (others may recompute it), not compared;
	                           * -1: none */
} tdesc_t;

static const char *const customer_db[] = {"name", "gender", "birth_date",
	"id_number", "phone", "address", "occupation", "income_fen"};
static const char *const person_db[] = {"relation", "name", "gender",
	"birth_date", "occupation", "health_notes"};
static const char *const policy_db[] = {"policy_no", "external", "insurer",
	"product", "product_type", "is_main", "insured_name", "pay_mode",
	"modal_premium_fen", "annual_premium_fen", "payment_years",
	"issue_date", "next_due_date", "end_date", "survival_date", "status",
	"status_date", "sum_assured_fen", "account_value_fen",
	"annuity_converted", "beneficiary", "soliciting_agent_id"};
static const char *const visit_db[] = {"agent_id", "happened_at",
	"recorded_at", "late", "place", "channel", "topic", "policy_id",
	"customer_said", "next_step"};

#define NC(a) ((int)(sizeof(a) / sizeof((a)[0])))
enum { TD_CUSTOMER, TD_PERSON, TD_POLICY, TD_VISIT, TD_N };
static const tdesc_t tdescs[TD_N] = {
	{FSY_T_CUSTOMER, customer_db, NC(customer_db), 0, -1},
	{FSY_T_PERSON, person_db, NC(person_db), 0, -1},
	{FSY_T_POLICY, policy_db, NC(policy_db), 0, -1},
	{FSY_T_VISIT, visit_db, NC(visit_db), 1, 3 /* late */},
};
#define TD_MAXCOLS 22

/* ---- fingerprint sets ---------------------------------------------------- */

/* A set of 64-bit key fingerprints (from the key's SHA-256), each with the
 * line it was first seen on. 0 marks an empty slot. */
typedef struct {
	uint64_t *fp;
	uint32_t *line;
	size_t cap; /* slots, a power of two, or 0 */
	size_t n;
} fpset_t;

static void
fps_free(fpset_t *s)
{
	free(s->fp);
	free(s->line);
	memset(s, 0, sizeof(*s));
}

static size_t
fps_slot(const fpset_t *s, uint64_t fp)
{
	size_t i = (size_t)(fp ^ (fp >> 29)) & (s->cap - 1);

	while (s->fp[i] != 0 && s->fp[i] != fp)
		i = (i + 1) & (s->cap - 1);
	return i;
}

/* Adds fp; returns 1 (and its first line) when present, 0 when added, or
 * FSY_ENOMEM. */
static int
fps_add(fpset_t *s, uint64_t fp, int64_t line, uint32_t *first)
{
	size_t i;

	if (fp == 0)
		fp = 1;
	if (s->n + 1 > s->cap / 4 * 3) {
		fpset_t b = {0};
		b.cap = s->cap ? s->cap * 2 : 1024;
		b.fp = calloc(b.cap, sizeof(*b.fp));
		b.line = calloc(b.cap, sizeof(*b.line));
		if (b.fp == NULL || b.line == NULL) {
			fps_free(&b);
			return FSY_ENOMEM;
		}
		for (size_t k = 0; k < s->cap; k++) {
			if (s->fp[k] == 0)
				continue;
			size_t j = fps_slot(&b, s->fp[k]);
			b.fp[j] = s->fp[k];
			b.line[j] = s->line[k];
		}
		b.n = s->n;
		fps_free(s);
		*s = b;
	}
	i = fps_slot(s, fp);
	if (s->fp[i] == fp) {
		if (first)
			*first = s->line[i];
		return 1;
	}
	s->fp[i] = fp;
	s->line[i] = line > UINT32_MAX ? UINT32_MAX : (uint32_t)line;
	s->n++;
	return 0;
}

static int
fps_has(const fpset_t *s, uint64_t fp)
{
	if (fp == 0)
		fp = 1;
	return s->cap && s->fp[fps_slot(s, fp)] == fp;
}

/* ---- keys and ids -------------------------------------------------------- */

/* A composed core-system key and what is derived from it. */
typedef struct {
	char id[FSY_UUID_STRLEN + 1]; /* the row id */
	uint64_t fp;                  /* fingerprint for sets */
} rowkey_t;

/*
 * The 48-bit locality prefix of a key: from its first component (up to the
 * first 0x1f), a 12-bit hash of the part before the trailing digits, then
 * the trailing number (low 36 bits). Core keys are mostly a stem and a
 * sequence number ("BJ01C000000123"), and files are mostly sorted by key,
 * so rows then arrive in nearly ascending id order and the B-trees of the
 * tables and of col_version grow at their ends instead of everywhere —
 * several times faster. A key without trailing digits gets 48 hash bits.
 */
static uint64_t
key_prefix(const char *key, size_t keylen, const uint8_t *d)
{
	const char *sep = memchr(key, 0x1f, keylen);
	size_t n = sep ? (size_t)(sep - key) : keylen, stem = n;
	uint64_t num = 0, h = 2166136261u;

	while (stem > 0 && key[stem - 1] >= '0' && key[stem - 1] <= '9')
		stem--;
	if (stem == n) {
		for (int i = 0; i < 6; i++)
			num = num << 8 | d[16 + i];
		return num;
	}
	for (size_t i = stem; i < n; i++)
		num = num * 10 + (uint64_t)(key[i] - '0'); /* wraps: fine */
	for (size_t i = 0; i < stem; i++)
		h = (h ^ (uint8_t)key[i]) * 16777619u;
	return (h & 0xfff) << 36 | (num & 0xfffffffffULL);
}

static void
key_derive(const char *ns, const char *key, size_t keylen, rowkey_t *k)
{
	crypto_hash_sha256_state h;
	uint8_t d[crypto_hash_sha256_BYTES], u[16];
	uint64_t prefix;

	crypto_hash_sha256_init(&h);
	crypto_hash_sha256_update(&h, (const uint8_t *)ns, strlen(ns));
	crypto_hash_sha256_update(&h, (const uint8_t *)":", 1);
	crypto_hash_sha256_update(&h, (const uint8_t *)key, keylen);
	crypto_hash_sha256_final(&h, d);
	prefix = key_prefix(key, keylen, d);
	for (int i = 0; i < 6; i++)
		u[i] = (uint8_t)(prefix >> (40 - 8 * i));
	memcpy(u + 6, d, 10); /* 74 bits of the hash after version/variant */
	u[6] = (uint8_t)(0x80 | (u[6] & 0x0f)); /* version 8 */
	u[8] = (uint8_t)(0x80 | (u[8] & 0x3f)); /* RFC 9562 variant */
	fsy_uuid_format(u, k->id);
	k->fp = 0;
	for (int i = 24; i < 32; i++)
		k->fp = k->fp << 8 | d[i];
}

void
fsy_import_key_uuid(const char *ns, const char *key, size_t keylen,
    char out[FSY_UUID_STRLEN + 1])
{
	rowkey_t k;

	key_derive(ns, key, keylen, &k);
	memcpy(out, k.id, sizeof(k.id));
}

const char *
fsy_import_file_name(int f)
{
	return f >= 0 && f < FSY_IMPORT_NFILES ? file_names[f] : NULL;
}

/* Joins parts with the unit separator 0x1f into buf; returns the length. */
static size_t
key_join(char *buf, size_t cap, const char *const *parts, int n)
{
	size_t len = 0;

	for (int i = 0; i < n; i++) {
		size_t pl = strlen(parts[i]);
		if (i && len < cap)
			buf[len++] = 0x1f;
		if (len + pl > cap)
			pl = cap - len;
		memcpy(buf + len, parts[i], pl);
		len += pl;
	}
	return len;
}

/* ---- the importer's state ------------------------------------------------ */

typedef struct imp imp_t;

/* One file being read. */
typedef struct {
	imp_t *im;
	int file;                /* FSY_IMPORT_* */
	const colspec_t *spec;   /* its columns */
	int nspec;
	int64_t line;            /* physical line being fed, from 1 */
	int64_t rec_line;        /* line the current record starts on */
	size_t rec_bytes;        /* bytes fed since the last record ended */
	int nf;                  /* fields of the current record */
	int too_many;            /* the record has more than MAX_COLS fields */
	char *buf;               /* fields of the current record, NUL-ended */
	size_t blen, bcap;
	size_t off[FSY_IMPORT_MAX_COLS];
	size_t flen[FSY_IMPORT_MAX_COLS];
	int header_done;
	int ncols;               /* fields in the header */
	int pos[FSY_IMPORT_MAX_COLS]; /* spec column -> field index, or -1 */
	int stop;                /* 1: stop reading this file */
	int64_t rows;            /* data rows read */
} rd_t;

struct imp {
	fsy_store_t *st;
	fsy_import_report_t rep;
	char first[512];         /* the first error */
	int64_t nerr;            /* errors found */
	int rc;                  /* fatal error (database, memory), or 0 */
	fpset_t dup;             /* keys of the file being read */
	fpset_t branches, teams; /* codes written by this import */
	fpset_t bad_agents, bad_customers, bad_policies; /* rows that failed */
	char now[21];            /* the import's time, for the audit */
	/* the last reference looked up, which the next row usually repeats */
	char last_agent_code[FSY_IMPORT_KEY_MAX + 1];
	char last_agent_id[FSY_UUID_STRLEN + 1];
	char last_cust_id[FSY_UUID_STRLEN + 1];
	char *sql[TD_N][4];      /* per table: select, insert, update, state */
};

enum { SQL_SEL, SQL_INS, SQL_UPD, SQL_STATE };

/* Records an error about the current row of rd (line 0: no line). */
static void
bad(imp_t *im, const rd_t *rd, int64_t line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void
bad(imp_t *im, const rd_t *rd, int64_t line, const char *fmt, ...)
{
	va_list ap;
	size_t n;

	if (im->nerr++ > 0)
		return;
	if (line > 0)
		n = (size_t)snprintf(im->first, sizeof(im->first), "%s:%lld: ",
		    file_names[rd->file], (long long)line);
	else
		n = (size_t)snprintf(im->first, sizeof(im->first), "%s: ",
		    file_names[rd->file]);
	if (n >= sizeof(im->first))
		return;
	va_start(ap, fmt);
	vsnprintf(im->first + n, sizeof(im->first) - n, fmt, ap);
	va_end(ap);
}

/* A field's text for a message: at most 60 bytes, cut at a character
 * boundary, control characters shown as '?'. */
static const char *
shown(const char *s, char out[72])
{
	size_t n = 0;

	for (; n < 60 && s[n]; n++)
		out[n] = (unsigned char)s[n] < 0x20 || s[n] == 0x7f ? '?' : s[n];
	if (s[n]) {
		/* s[n] is not shown: if it continues a character, cut before
		 * that character's first byte */
		while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
			n--;
		out[n++] = '.';
		out[n++] = '.';
		out[n++] = '.';
	}
	out[n] = '\0';
	return out;
}

/* ---- field parsing ------------------------------------------------------- */

/* Returns 1 when s[0..n) is well-formed UTF-8 (no overlong forms, no
 * surrogates, at most U+10FFFF). */
static int
utf8_valid(const unsigned char *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		unsigned c = s[i];
		if (c < 0x80) {
			i++;
			continue;
		}
		size_t len = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc2 ? 2 : 0;
		if (len == 0 || c > 0xf4 || i + len > n)
			return 0;
		for (size_t k = 1; k < len; k++)
			if ((s[i + k] & 0xc0) != 0x80)
				return 0;
		if (c == 0xe0 && s[i + 1] < 0xa0)
			return 0; /* overlong */
		if (c == 0xed && s[i + 1] >= 0xa0)
			return 0; /* surrogate */
		if (c == 0xf0 && s[i + 1] < 0x90)
			return 0; /* overlong */
		if (c == 0xf4 && s[i + 1] >= 0x90)
			return 0; /* above U+10FFFF */
		i += len;
	}
	return 1;
}

static int
is_key_char(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	       (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' ||
	       c == '/';
}

/* Yuan with up to two decimals into fen, without floating point. */
static int
parse_amount(const char *s, int64_t *fen)
{
	int64_t yuan = 0, cents = 0;
	int nd = 0, nf = 0;

	for (; *s >= '0' && *s <= '9'; s++, nd++) {
		if (nd == 12)
			return -1;
		yuan = yuan * 10 + (*s - '0');
	}
	if (nd == 0)
		return -1;
	if (*s == '.') {
		for (s++; *s >= '0' && *s <= '9'; s++, nf++) {
			if (nf == 2)
				return -1;
			cents = cents * 10 + (*s - '0');
		}
		if (nf == 0)
			return -1;
		if (nf == 1)
			cents *= 10;
	}
	if (*s != '\0')
		return -1;
	*fen = yuan * 100 + cents;
	return 0;
}

/* Checks a resident ID number's check digit (GB 11643). */
static int
idno_check(const char *s)
{
	static const int wt[17] = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5,
		8, 4, 2};
	static const char check[] = "10X98765432";
	int sum = 0;

	for (int i = 0; i < 17; i++)
		sum += (s[i] - '0') * wt[i];
	return s[17] == check[sum % 11];
}

/* Parses field text s (NUL-terminated, n bytes) of column c into v, using
 * scratch (32 bytes) for normalised values. Returns 0, or -1 after
 * reporting the error. */
static int
parse_field(imp_t *im, const rd_t *rd, const colspec_t *c, const char *s,
    size_t n, fsy_val_t *v, char *scratch)
{
	char sh[72];
	int64_t x;
	size_t i;

	memset(v, 0, sizeof(*v));
	if (n == 0) {
		v->type = FSY_VAL_NULL;
		if (c->req) {
			bad(im, rd, rd->rec_line, "column %s: value required",
			    c->name);
			return -1;
		}
		return 0;
	}
	if (memchr(s, '\0', n) != NULL) {
		bad(im, rd, rd->rec_line, "column %s: contains a NUL byte",
		    c->name);
		return -1;
	}
	v->type = FSY_VAL_TEXT;
	v->s = s;
	v->n = n;
	switch (c->kind) {
	case K_KEY:
		for (i = 0; i < n && is_key_char(s[i]); i++)
			;
		if (i < n || n > FSY_IMPORT_KEY_MAX) {
			bad(im, rd, rd->rec_line, "column %s: '%s' is not a key "
			    "(1-%d of A-Z a-z 0-9 - _ . /)", c->name,
			    shown(s, sh), FSY_IMPORT_KEY_MAX);
			return -1;
		}
		return 0;
	case K_TEXT:
	case K_FREE:
		if (!utf8_valid((const unsigned char *)s, n)) {
			bad(im, rd, rd->rec_line, "column %s: not valid UTF-8",
			    c->name);
			return -1;
		}
		if (n > c->max) {
			bad(im, rd, rd->rec_line, "column %s: %zu bytes, at most "
			    "%u", c->name, n, (unsigned)c->max);
			return -1;
		}
		for (i = 0; i < n; i++) {
			unsigned char ch = (unsigned char)s[i];
			if ((ch < 0x20 || ch == 0x7f) &&
			    !(c->kind == K_FREE &&
			        (ch == '\t' || ch == '\n' || ch == '\r'))) {
				bad(im, rd, rd->rec_line, "column %s: contains a "
				    "control character%s", c->name,
				    c->kind == K_TEXT && (ch == '\n' || ch == '\r')
				        ? " (a line break)" : "");
				return -1;
			}
		}
		return 0;
	case K_ENUM:
		for (const char *const *e = c->enums; *e; e++)
			if (strcmp(*e, s) == 0) {
				v->s = *e; /* static: outlives the record */
				return 0;
			}
		{
			char list[256];
			size_t len = 0;
			for (const char *const *e = c->enums; *e; e++)
				len += (size_t)snprintf(list + len,
				    len < sizeof(list) ? sizeof(list) - len : 0,
				    "%s%s", len ? "|" : "", *e);
			bad(im, rd, rd->rec_line, "column %s: '%s' is not one of "
			    "%s", c->name, shown(s, sh), list);
		}
		return -1;
	case K_DATE:
		if (n != 10 || fsy_parse_time(s, &x) != FSY_OK ||
		    strncmp(s, "2200", 4) >= 0) {
			bad(im, rd, rd->rec_line, "column %s: '%s' is not a date "
			    "(YYYY-MM-DD)", c->name, shown(s, sh));
			return -1;
		}
		return 0;
	case K_TIME:
		if (n < 19 || fsy_parse_time(s, &x) != FSY_OK ||
		    strncmp(s, "2200", 4) >= 0) {
			bad(im, rd, rd->rec_line, "column %s: '%s' is not a time "
			    "(YYYY-MM-DDTHH:MM:SSZ, UTC)", c->name, shown(s, sh));
			return -1;
		}
		fsy_iso_time(x, scratch);
		v->s = scratch;
		v->n = 20;
		return 0;
	case K_AMOUNT:
		if (parse_amount(s, &x) != 0) {
			bad(im, rd, rd->rec_line, "column %s: '%s' is not an "
			    "amount", c->name, shown(s, sh));
			return -1;
		}
		v->type = FSY_VAL_INT;
		v->i = x;
		return 0;
	case K_INT:
		x = 0;
		for (i = 0; i < n && i < 10 && s[i] >= '0' && s[i] <= '9'; i++)
			x = x * 10 + (s[i] - '0');
		if (i < n || x < c->lo || x > c->hi) {
			bad(im, rd, rd->rec_line, "column %s: '%s' is not a whole "
			    "number in %lld..%lld", c->name, shown(s, sh),
			    (long long)c->lo, (long long)c->hi);
			return -1;
		}
		v->type = FSY_VAL_INT;
		v->i = x;
		return 0;
	case K_BOOL:
		if (n != 1 || (s[0] != '0' && s[0] != '1')) {
			bad(im, rd, rd->rec_line, "column %s: '%s' is not 0 or 1",
			    c->name, shown(s, sh));
			return -1;
		}
		v->type = FSY_VAL_INT;
		v->i = s[0] - '0';
		return 0;
	case K_GENDER:
		if (n != 1 || (s[0] != 'M' && s[0] != 'F')) {
			bad(im, rd, rd->rec_line, "column %s: '%s' is not M or F",
			    c->name, shown(s, sh));
			return -1;
		}
		return 0;
	case K_PHONE: {
		int digits = 0;
		for (i = 0; i < n; i++) {
			if (s[i] >= '0' && s[i] <= '9')
				digits++;
			else if (!strchr("+-() ", s[i]))
				break;
		}
		if (i < n || n > 20 || digits < 3) {
			bad(im, rd, rd->rec_line, "column %s: '%s' is not a phone "
			    "number", c->name, shown(s, sh));
			return -1;
		}
		return 0;
	}
	case K_IDNO:
		for (i = 0; i < n && s[i] >= '0' && s[i] <= '9'; i++)
			;
		if (n == 18 && i >= 17) {
			memcpy(scratch, s, 19);
			if (scratch[17] == 'x')
				scratch[17] = 'X';
			if ((i == 18 || scratch[17] == 'X') && idno_check(scratch)) {
				v->s = scratch;
				return 0;
			}
			if (i == 18 || scratch[17] == 'X') {
				bad(im, rd, rd->rec_line, "column %s: '%s' has a "
				    "wrong check digit", c->name, shown(s, sh));
				return -1;
			}
		}
		for (i = 0; i < n && ((s[i] >= '0' && s[i] <= '9') ||
		                         (s[i] >= 'A' && s[i] <= 'Z') ||
		                         (s[i] >= 'a' && s[i] <= 'z'));
		     i++)
			;
		if (i < n || n < 5 || n > 32) {
			bad(im, rd, rd->rec_line, "column %s: '%s' is not an ID "
			    "or passport number", c->name, shown(s, sh));
			return -1;
		}
		return 0;
	default:
		break;
	}
	return -1;
}

/* ---- database helpers ---------------------------------------------------- */

/* Records a database failure (rc: an FSY_E* code) as fatal and returns
 * the import's code. */
static int
dberr(imp_t *im, const rd_t *rd, int rc)
{
	if (im->rc == 0)
		im->rc = rc ? rc : FSY_EINTERNAL;
	if (im->nerr++ == 0)
		(void)fsy_store_errf(im->st, rc, im->first, sizeof(im->first),
		    "%s:%lld: database", file_names[rd->file],
		    (long long)rd->rec_line);
	return im->rc;
}

static int
bind_val(sqlite3_stmt *s, int i, const fsy_val_t *v)
{
	switch (v->type) {
	case FSY_VAL_INT:
		return sqlite3_bind_int64(s, i, v->i);
	case FSY_VAL_TEXT:
		return sqlite3_bind_text(s, i, v->s, (int)v->n, SQLITE_STATIC);
	default:
		return sqlite3_bind_null(s, i);
	}
}

static fsy_val_t
text_val(const char *s)
{
	fsy_val_t v = {.type = FSY_VAL_NULL};

	if (s) {
		v.type = FSY_VAL_TEXT;
		v.s = s;
		v.n = strlen(s);
	}
	return v;
}

static fsy_val_t
int_val(int64_t i)
{
	fsy_val_t v = {.type = FSY_VAL_INT, .i = i};
	return v;
}

/* 64-bit FNV-1a of a value, tagged by type. */
static uint64_t
val_hash(const fsy_val_t *v)
{
	uint64_t h = 1469598103934665603ULL;
	uint8_t b[9];
	const uint8_t *p = b;
	size_t n = 1;

	b[0] = (uint8_t)v->type;
	if (v->type == FSY_VAL_INT) {
		for (int i = 0; i < 8; i++)
			b[1 + i] = (uint8_t)((uint64_t)v->i >> (8 * i));
		n = 9;
	}
	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 1099511628211ULL;
	if (v->type == FSY_VAL_TEXT)
		for (size_t i = 0; i < v->n; i++)
			h = (h ^ (uint8_t)v->s[i]) * 1099511628211ULL;
	return h;
}

/* Builds the four statements of each replicated table. */
static int
build_sql(imp_t *im)
{
	for (int t = 0; t < TD_N; t++) {
		const tdesc_t *td = &tdescs[t];
		const char *tn = fsy_tables[td->tbl].name;
		size_t cap = 4096;
		for (int q = 0; q < 4; q++)
			if ((im->sql[t][q] = malloc(cap)) == NULL)
				return FSY_ENOMEM;
		char *sel = im->sql[t][SQL_SEL], *ins = im->sql[t][SQL_INS];
		char *upd = im->sql[t][SQL_UPD];
		size_t ls, li, lu;

		ls = (size_t)snprintf(sel, cap, "SELECT ");
		li = (size_t)snprintf(ins, cap, "INSERT INTO %s(id, customer_id",
		    tn);
		lu = (size_t)snprintf(upd, cap, "UPDATE %s SET ", tn);
		for (int c = 0; c < td->ncols; c++) {
			const char *cn = td->cols[c];
			ls += (size_t)snprintf(sel + ls, cap - ls, "t.%s, ", cn);
			li += (size_t)snprintf(ins + li, cap - li, ", %s", cn);
			lu += (size_t)snprintf(upd + lu, cap - lu,
			    "%s%s = CASE WHEN ?%d THEN ?%d ELSE %s END",
			    c ? ", " : "", cn, 2 + 2 * c, 3 + 2 * c, cn);
		}
		snprintf(sel + ls, cap - ls, "t.customer_id, s.digest FROM %s t "
		    "LEFT JOIN import_state s ON s.row_id = t.id WHERE t.id = ?1",
		    tn);
		li += (size_t)snprintf(ins + li, cap - li, ") VALUES (?1, ?2");
		for (int c = 0; c < td->ncols; c++)
			li += (size_t)snprintf(ins + li, cap - li, ", ?%d", 3 + c);
		snprintf(ins + li, cap - li, ")");
		snprintf(upd + lu, cap - lu, " WHERE id = ?1");
		snprintf(im->sql[t][SQL_STATE], cap,
		    "INSERT INTO import_state(row_id, tbl, digest) "
		    "VALUES (?1, %d, ?2) ON CONFLICT(row_id) DO UPDATE SET "
		    "digest = excluded.digest", td->tbl);
	}
	return FSY_OK;
}

/* What a row is, for messages: "policy P1", "person K1/child/王小明". Only
 * called on errors. */
static const char *
describe(const rd_t *rd, const fsy_val_t *v, char *buf, size_t n)
{
	char a[72], b[72];

	switch (rd->file) {
	case FSY_IMPORT_CUSTOMERS:
		snprintf(buf, n, "customer %s", shown(v[C_NO].s, a));
		break;
	case FSY_IMPORT_PERSONS:
		snprintf(buf, n, "person %s/%s/%s", shown(v[R_CUST].s, a),
		    v[R_REL].s, shown(v[R_NAME].s, b));
		break;
	case FSY_IMPORT_POLICIES:
		snprintf(buf, n, "policy %s", shown(v[P_NO].s, a));
		break;
	case FSY_IMPORT_VISITS:
		snprintf(buf, n, "visit %s/%s/%s/%s/%s", shown(v[V_CUST].s, a),
		    shown(v[V_AGENT].s, b), v[V_HAPPENED].s, v[V_CHANNEL].s,
		    v[V_TOPIC].s);
		break;
	default:
		snprintf(buf, n, "agent %s", shown(v[A_CODE].s, a));
		break;
	}
	return buf;
}

enum { UP_INSERTED, UP_UPDATED, UP_UNCHANGED, UP_BAD };

/*
 * Writes one replicated row: inserts it, or writes the columns whose file
 * value is new (see the file comment). For an existing row of another
 * customer, or a visit that differs, reports the error and returns UP_BAD.
 * Returns an UP_* outcome, or a negative FSY_E* code (fatal).
 */
static int
upsert(imp_t *im, const rd_t *rd, int t, const char *id, const char *cust,
    const fsy_val_t *vals, const fsy_val_t *row)
{
	const tdesc_t *td = &tdescs[t];
	sqlite3_stmt *s, *u;
	uint64_t h[TD_MAXCOLS];
	uint8_t digest[TD_MAXCOLS * 8];
	int write[TD_MAXCOLS], nwrite = 0, state_changed = 0, rc, out;
	fsy_val_t cur;
	char what[200];

	for (int c = 0; c < td->ncols; c++) {
		h[c] = val_hash(&vals[c]);
		for (int b = 0; b < 8; b++)
			digest[c * 8 + b] = (uint8_t)(h[c] >> (8 * b));
	}
	if ((rc = fsy_store_stmt(im->st, im->sql[t][SQL_SEL], &s)) != FSY_OK)
		return dberr(im, rd, rc);
	sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_DONE) {
		sqlite3_reset(s);
		if ((rc = fsy_store_stmt(im->st, im->sql[t][SQL_INS], &u)))
			return dberr(im, rd, rc);
		sqlite3_bind_text(u, 1, id, -1, SQLITE_STATIC);
		sqlite3_bind_text(u, 2, cust, -1, SQLITE_STATIC);
		for (int c = 0; c < td->ncols; c++)
			bind_val(u, 3 + c, &vals[c]);
		rc = sqlite3_step(u);
		sqlite3_reset(u);
		if (rc != SQLITE_DONE)
			return dberr(im, rd, fsy_store_err(im->st, rc));
		out = UP_INSERTED;
		state_changed = !td->insert_only;
		goto state;
	}
	if (rc != SQLITE_ROW) {
		sqlite3_reset(s);
		return dberr(im, rd, fsy_store_err(im->st, rc));
	}
	{
		const char *have = (const char *)sqlite3_column_text(s,
		    td->ncols);
		if (have == NULL || strcmp(have, cust) != 0) {
			sqlite3_reset(s);
			bad(im, rd, rd->rec_line, "%s is already in the database "
			    "under another customer (customer_no cannot change)",
			    describe(rd, row, what, sizeof(what)));
			return UP_BAD;
		}
	}
	{
		const uint8_t *old = sqlite3_column_blob(s, td->ncols + 1);
		int oldn = sqlite3_column_bytes(s, td->ncols + 1);
		if (old != NULL && oldn != td->ncols * 8)
			old = NULL; /* from another schema: compare with the row */
		for (int c = 0; c < td->ncols; c++) {
			write[c] = 0;
			if (old && memcmp(old + 8 * c, digest + 8 * c, 8) == 0)
				continue; /* the core system did not change it */
			state_changed = 1;
			fsy_val_from_column(s, c, &cur);
			if (td->insert_only && c == td->derived)
				continue;
			if (!fsy_val_equal(&cur, &vals[c])) {
				if (td->insert_only && !old) {
					sqlite3_reset(s);
					bad(im, rd, rd->rec_line, "%s was imported "
					    "before with another %s (visits are "
					    "insert-only)",
					    describe(rd, row, what, sizeof(what)),
					    td->cols[c]);
					return UP_BAD;
				}
				write[c] = 1;
				nwrite++;
			}
		}
	}
	sqlite3_reset(s);
	out = UP_UNCHANGED;
	if (nwrite) {
		if ((rc = fsy_store_stmt(im->st, im->sql[t][SQL_UPD], &u)))
			return dberr(im, rd, rc);
		sqlite3_bind_text(u, 1, id, -1, SQLITE_STATIC);
		for (int c = 0; c < td->ncols; c++) {
			sqlite3_bind_int(u, 2 + 2 * c, write[c]);
			if (write[c])
				bind_val(u, 3 + 2 * c, &vals[c]);
		}
		rc = sqlite3_step(u);
		sqlite3_reset(u);
		if (rc != SQLITE_DONE)
			return dberr(im, rd, fsy_store_err(im->st, rc));
		out = UP_UPDATED;
	}
state:
	if (state_changed && !td->insert_only) {
		if ((rc = fsy_store_stmt(im->st, im->sql[t][SQL_STATE], &u)))
			return dberr(im, rd, rc);
		sqlite3_bind_text(u, 1, id, -1, SQLITE_STATIC);
		sqlite3_bind_blob(u, 2, digest, td->ncols * 8, SQLITE_STATIC);
		rc = sqlite3_step(u);
		sqlite3_reset(u);
		if (rc != SQLITE_DONE)
			return dberr(im, rd, fsy_store_err(im->st, rc));
	}
	return out;
}

static void
count(imp_t *im, int file, int outcome)
{
	fsy_import_count_t *c = &im->rep.file[file];

	if (outcome == UP_INSERTED)
		c->inserted++;
	else if (outcome == UP_UPDATED)
		c->updated++;
	else if (outcome == UP_UNCHANGED)
		c->unchanged++;
}

/* Adds the row's key to the file's duplicate set; reports a duplicate.
 * Returns 0, 1 for a duplicate, or a negative code. */
static int
check_dup(imp_t *im, const rd_t *rd, const rowkey_t *k, const fsy_val_t *v)
{
	static const char *const keyname[FSY_IMPORT_NFILES] = {"agent_code",
		"customer_no", NULL, "policy_no", NULL};
	uint32_t first = 0;
	int rc = fps_add(&im->dup, k->fp, rd->rec_line, &first);
	char what[200];

	if (rc < 0)
		return im->rc = rc;
	if (rc == 1)
		bad(im, rd, rd->rec_line, "duplicate key: %s (first on line %u)",
		    keyname[rd->file] ? keyname[rd->file]
		                      : describe(rd, v, what, sizeof(what)),
		    first);
	return rc;
}

/* Looks up a customer; 1 found, 0 not found (reported unless it was a bad
 * row itself), negative on a database error. */
static int
find_customer(imp_t *im, const rd_t *rd, const fsy_val_t *no, rowkey_t *k,
    const char *col)
{
	sqlite3_stmt *s;
	char sh[72];
	int rc;

	key_derive("customer", no->s, no->n, k);
	if (strcmp(k->id, im->last_cust_id) == 0)
		return 1;
	if ((rc = fsy_store_stmt(im->st, "SELECT 1 FROM customer WHERE id = ?",
	         &s)))
		return dberr(im, rd, rc);
	sqlite3_bind_text(s, 1, k->id, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	sqlite3_reset(s);
	if (rc == SQLITE_ROW) {
		memcpy(im->last_cust_id, k->id, sizeof(k->id));
		return 1;
	}
	if (rc != SQLITE_DONE)
		return dberr(im, rd, fsy_store_err(im->st, rc));
	if (!fps_has(&im->bad_customers, k->fp))
		bad(im, rd, rd->rec_line, "column %s: unknown customer '%s'", col,
		    shown(no->s, sh));
	return 0;
}

/* Looks up an agent by code into id; as find_customer. */
static int
find_agent(imp_t *im, const rd_t *rd, const fsy_val_t *code, char *id,
    const char *col)
{
	sqlite3_stmt *s;
	char sh[72];
	rowkey_t k;
	int rc;

	if (strcmp(code->s, im->last_agent_code) == 0) {
		memcpy(id, im->last_agent_id, FSY_UUID_STRLEN + 1);
		return 1;
	}
	if ((rc = fsy_store_stmt(im->st, "SELECT id FROM agent WHERE code = ?",
	         &s)))
		return dberr(im, rd, rc);
	sqlite3_bind_text(s, 1, code->s, (int)code->n, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		snprintf(id, FSY_UUID_STRLEN + 1, "%s",
		    (const char *)sqlite3_column_text(s, 0));
		sqlite3_reset(s);
		snprintf(im->last_agent_code, sizeof(im->last_agent_code), "%s",
		    code->s);
		memcpy(im->last_agent_id, id, FSY_UUID_STRLEN + 1);
		return 1;
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE)
		return dberr(im, rd, fsy_store_err(im->st, rc));
	key_derive("agent", code->s, code->n, &k);
	if (!fps_has(&im->bad_agents, k.fp))
		bad(im, rd, rd->rec_line, "column %s: unknown agent '%s'", col,
		    shown(code->s, sh));
	return 0;
}

/* ---- agents.csv ---------------------------------------------------------- */

/* Finds or makes the branch or team with this code; its id goes to id.
 * kind is "branch" or "team". Returns 0, -1 after reporting, or a
 * negative FSY_E* code. */
static int
upsert_unit(imp_t *im, const rd_t *rd, const char *kind,
    const fsy_val_t *code, const fsy_val_t *name, const char *branch_id,
    char *id)
{
	int team = kind[0] == 't';
	fpset_t *seen = team ? &im->teams : &im->branches;
	sqlite3_stmt *s;
	rowkey_t k;
	uint32_t first = 0;
	int rc, exists = 0, differs = 0;
	char sh[72];

	key_derive(kind, code->s, code->n, &k);
	rc = fsy_store_stmt(im->st, team
	        ? "SELECT id, name, branch_id FROM team WHERE code = ?"
	        : "SELECT id, name, NULL FROM branch WHERE code = ?", &s);
	if (rc)
		return dberr(im, rd, rc);
	sqlite3_bind_text(s, 1, code->s, (int)code->n, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		const char *n = (const char *)sqlite3_column_text(s, 1);
		const char *b = (const char *)sqlite3_column_text(s, 2);
		exists = 1;
		snprintf(id, FSY_UUID_STRLEN + 1, "%s",
		    (const char *)sqlite3_column_text(s, 0));
		differs = strcmp(n ? n : "", name->s) != 0 ||
		    (team && strcmp(b ? b : "", branch_id) != 0);
	} else if (rc != SQLITE_DONE) {
		sqlite3_reset(s);
		return dberr(im, rd, fsy_store_err(im->st, rc));
	} else {
		memcpy(id, k.id, sizeof(k.id));
	}
	sqlite3_reset(s);
	rc = fps_add(seen, k.fp, rd->rec_line, &first);
	if (rc < 0)
		return im->rc = rc;
	if (rc == 1) {
		/* written earlier in this file: every row must agree */
		if (differs) {
			bad(im, rd, rd->rec_line, "%s %s: name or branch differs "
			    "from line %u", kind, shown(code->s, sh), first);
			return -1;
		}
		return 0;
	}
	if (exists && !differs)
		return 0;
	if (team)
		rc = fsy_store_stmt(im->st, exists
		        ? "UPDATE team SET name = ?2, branch_id = ?3 WHERE id = ?1"
		        : "INSERT INTO team(id, name, branch_id, code) "
		          "VALUES (?1, ?2, ?3, ?4)", &s);
	else
		rc = fsy_store_stmt(im->st, exists
		        ? "UPDATE branch SET name = ?2 WHERE id = ?1"
		        : "INSERT INTO branch(id, name, code) VALUES (?1, ?2, ?4)",
		    &s);
	if (rc)
		return dberr(im, rd, rc);
	sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
	bind_val(s, 2, name);
	if (team)
		sqlite3_bind_text(s, 3, branch_id, -1, SQLITE_STATIC);
	if (!exists)
		bind_val(s, 4, code);
	rc = sqlite3_step(s);
	sqlite3_reset(s);
	if (rc != SQLITE_DONE)
		return dberr(im, rd, fsy_store_err(im->st, rc));
	return 0;
}

static int
row_agent(imp_t *im, const rd_t *rd, const fsy_val_t *v)
{
	char branch_id[FSY_UUID_STRLEN + 1], team_id[FSY_UUID_STRLEN + 1];
	char id[FSY_UUID_STRLEN + 1], sh[72];
	fsy_val_t vals[8], cur;
	sqlite3_stmt *s;
	rowkey_t k;
	int rc, exists = 0, differs = 0, employed;

	key_derive("agent", v[A_CODE].s, v[A_CODE].n, &k);
	if ((rc = check_dup(im, rd, &k, v)) != 0)
		return rc < 0 ? rc : 0;
	employed = strcmp(v[A_STATUS].s, "employed") == 0;
	if ((v[A_TEAM].type == FSY_VAL_NULL) !=
	    (v[A_TEAM_NAME].type == FSY_VAL_NULL)) {
		bad(im, rd, rd->rec_line, "columns team_code and team_name: give "
		    "both or neither");
		goto bad_row;
	}
	if (employed && v[A_LEFT].type != FSY_VAL_NULL) {
		bad(im, rd, rd->rec_line, "column left_on: '%s' given for an "
		    "employed agent", shown(v[A_LEFT].s, sh));
		goto bad_row;
	}
	if (!employed && v[A_LEFT].type == FSY_VAL_NULL) {
		bad(im, rd, rd->rec_line, "column left_on: value required when "
		    "status is %s", v[A_STATUS].s);
		goto bad_row;
	}
	if (v[A_LEFT].type != FSY_VAL_NULL && v[A_HIRED].type != FSY_VAL_NULL &&
	    strcmp(v[A_LEFT].s, v[A_HIRED].s) < 0) {
		bad(im, rd, rd->rec_line, "column left_on: '%s' is before "
		    "hired_on", v[A_LEFT].s);
		goto bad_row;
	}
	rc = upsert_unit(im, rd, "branch", &v[A_BRANCH], &v[A_BRANCH_NAME],
	    NULL, branch_id);
	if (rc == 0 && v[A_TEAM].type != FSY_VAL_NULL)
		rc = upsert_unit(im, rd, "team", &v[A_TEAM], &v[A_TEAM_NAME],
		    branch_id, team_id);
	if (rc < -1 || im->rc)
		return im->rc ? im->rc : rc;
	if (rc == -1)
		goto bad_row;

	vals[0] = v[A_NAME];
	vals[1] = text_val(v[A_TEAM].type == FSY_VAL_NULL ? NULL : team_id);
	vals[2] = v[A_ROLE];
	vals[3] = v[A_CHANNEL];
	vals[4] = v[A_STATUS];
	vals[5] = v[A_HIRED];
	vals[6] = v[A_LEFT];
	vals[7] = int_val(v[A_PERF].type == FSY_VAL_INT ? v[A_PERF].i : 0);

	if ((rc = fsy_store_stmt(im->st, "SELECT id, name, team_id, role, "
	         "channel, status, hired_on, left_on, performance FROM agent "
	         "WHERE code = ?", &s)))
		return dberr(im, rd, rc);
	bind_val(s, 1, &v[A_CODE]);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		exists = 1;
		snprintf(id, sizeof(id), "%s",
		    (const char *)sqlite3_column_text(s, 0));
		for (int c = 0; c < 8; c++) {
			fsy_val_from_column(s, 1 + c, &cur);
			differs |= !fsy_val_equal(&cur, &vals[c]);
		}
	} else if (rc != SQLITE_DONE) {
		sqlite3_reset(s);
		return dberr(im, rd, fsy_store_err(im->st, rc));
	} else {
		memcpy(id, k.id, sizeof(id));
	}
	sqlite3_reset(s);
	if (exists && !differs) {
		count(im, rd->file, UP_UNCHANGED);
		return 0;
	}
	rc = fsy_store_stmt(im->st, exists
	        ? "UPDATE agent SET name = ?2, team_id = ?3, role = ?4, "
	          "channel = ?5, status = ?6, hired_on = ?7, left_on = ?8, "
	          "performance = ?9 WHERE id = ?1"
	        : "INSERT INTO agent(id, name, team_id, role, channel, status, "
	          "hired_on, left_on, performance, code) "
	          "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)", &s);
	if (rc)
		return dberr(im, rd, rc);
	sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
	for (int c = 0; c < 8; c++)
		bind_val(s, 2 + c, &vals[c]);
	if (!exists)
		bind_val(s, 10, &v[A_CODE]);
	rc = sqlite3_step(s);
	sqlite3_reset(s);
	if (rc != SQLITE_DONE)
		return dberr(im, rd, fsy_store_err(im->st, rc));
	im->last_agent_code[0] = '\0';
	count(im, rd->file, exists ? UP_UPDATED : UP_INSERTED);
	return 0;
bad_row:
	rc = fps_add(&im->bad_agents, k.fp, rd->rec_line, NULL);
	return rc < 0 ? (im->rc = rc) : 0;
}

/* Every team's lead: its employed lead (the lowest code when several). */
static int
set_team_leads(imp_t *im, const rd_t *rd)
{
	int rc = fsy_store_exec(im->st,
	    "UPDATE team SET lead_agent_id = (SELECT a.id FROM agent a WHERE "
	    "a.team_id = team.id AND a.role = 'lead' AND a.status = 'employed' "
	    "ORDER BY a.code LIMIT 1) WHERE lead_agent_id IS NOT (SELECT a.id "
	    "FROM agent a WHERE a.team_id = team.id AND a.role = 'lead' AND "
	    "a.status = 'employed' ORDER BY a.code LIMIT 1)");

	return rc ? dberr(im, rd, rc) : 0;
}

/* ---- customers.csv ------------------------------------------------------- */

static int
row_customer(imp_t *im, const rd_t *rd, const fsy_val_t *v)
{
	fsy_val_t vals[8];
	rowkey_t k;
	int rc;

	key_derive("customer", v[C_NO].s, v[C_NO].n, &k);
	if ((rc = check_dup(im, rd, &k, v)) != 0)
		return rc < 0 ? rc : 0;
	vals[0] = v[C_NAME];
	vals[1] = v[C_GENDER];
	vals[2] = v[C_BIRTH];
	vals[3] = v[C_IDNO];
	vals[4] = v[C_PHONE];
	vals[5] = v[C_ADDRESS];
	vals[6] = v[C_OCC];
	vals[7] = v[C_INCOME];
	rc = upsert(im, rd, TD_CUSTOMER, k.id, k.id, vals, v);
	if (rc < 0)
		return rc;
	count(im, rd->file, rc);
	return 0;
}

/* ---- persons.csv --------------------------------------------------------- */

static int
row_person(imp_t *im, const rd_t *rd, const fsy_val_t *v)
{
	const char *parts[3] = {v[R_CUST].s, v[R_REL].s, v[R_NAME].s};
	char key[KEYBUF];
	fsy_val_t vals[6];
	rowkey_t k, ck;
	int rc;

	key_derive("person", key, key_join(key, sizeof(key), parts, 3), &k);
	if ((rc = check_dup(im, rd, &k, v)) != 0)
		return rc < 0 ? rc : 0;
	rc = find_customer(im, rd, &v[R_CUST], &ck, "customer_no");
	if (rc <= 0)
		return rc;
	vals[0] = v[R_REL];
	vals[1] = v[R_NAME];
	vals[2] = v[R_GENDER];
	vals[3] = v[R_BIRTH];
	vals[4] = v[R_OCC];
	vals[5] = v[R_HEALTH];
	rc = upsert(im, rd, TD_PERSON, k.id, ck.id, vals, v);
	if (rc < 0)
		return rc;
	count(im, rd->file, rc);
	return 0;
}

/* ---- policies.csv -------------------------------------------------------- */

static int
periods_per_year(const char *mode)
{
	return strcmp(mode, "monthly") == 0 ? 12 :
	       strcmp(mode, "quarter") == 0 ? 4 :
	       strcmp(mode, "half") == 0 ? 2 : 1;
}

/* Reports a date column that is earlier than issue_date. */
static int
before_issue(imp_t *im, const rd_t *rd, const fsy_val_t *v, int col)
{
	if (v[col].type == FSY_VAL_NULL || strcmp(v[col].s, v[P_ISSUE].s) >= 0)
		return 0;
	bad(im, rd, rd->rec_line, "column %s: '%s' is before issue_date '%s'",
	    policy_cols[col].name, v[col].s, v[P_ISSUE].s);
	return 1;
}

static int
row_policy(imp_t *im, const rd_t *rd, const fsy_val_t *v)
{
	char agent_id[FSY_UUID_STRLEN + 1];
	int single = strcmp(v[P_PAYMODE].s, "single") == 0;
	int external = (int)v[P_EXT].i;
	fsy_val_t vals[22];
	int64_t years;
	rowkey_t k, ck;
	int rc;

	key_derive("policy", v[P_NO].s, v[P_NO].n, &k);
	if ((rc = check_dup(im, rd, &k, v)) != 0)
		return rc < 0 ? rc : 0;
	if (external && v[P_INSURER].type == FSY_VAL_NULL) {
		bad(im, rd, rd->rec_line, "column insurer: value required for "
		    "another insurer's policy (external = 1)");
		goto bad_row;
	}
	if (!external && v[P_AGENT].type == FSY_VAL_NULL) {
		bad(im, rd, rd->rec_line, "column soliciting_agent_code: value "
		    "required for our own policy (external = 0)");
		goto bad_row;
	}
	years = v[P_YEARS].type == FSY_VAL_INT ? v[P_YEARS].i : -1;
	if (single && years > 0) {
		bad(im, rd, rd->rec_line, "column payment_years: %lld for a "
		    "single premium (must be 0 or empty)", (long long)years);
		goto bad_row;
	}
	if (!single && years < 1) {
		bad(im, rd, rd->rec_line, "column payment_years: a regular "
		    "premium needs 1..100 years");
		goto bad_row;
	}
	if (before_issue(im, rd, v, P_DUE) || before_issue(im, rd, v, P_END) ||
	    before_issue(im, rd, v, P_SURVIVAL) ||
	    before_issue(im, rd, v, P_STATUS_DATE))
		goto bad_row;
	rc = find_customer(im, rd, &v[P_CUST], &ck, "customer_no");
	if (rc <= 0) {
		if (rc < 0)
			return rc;
		goto bad_row;
	}
	if (v[P_AGENT].type != FSY_VAL_NULL) {
		rc = find_agent(im, rd, &v[P_AGENT], agent_id,
		    "soliciting_agent_code");
		if (rc <= 0) {
			if (rc < 0)
				return rc;
			goto bad_row;
		}
	}
	vals[0] = v[P_NO];
	vals[1] = v[P_EXT];
	vals[2] = v[P_INSURER];
	vals[3] = v[P_PRODUCT];
	vals[4] = v[P_TYPE];
	vals[5] = v[P_MAIN];
	vals[6] = v[P_INSURED];
	vals[7] = v[P_PAYMODE];
	vals[8] = v[P_MODAL];
	vals[9] = int_val(single ? v[P_MODAL].i
	                         : v[P_MODAL].i * periods_per_year(v[P_PAYMODE].s));
	vals[10] = int_val(single ? 0 : years);
	vals[11] = v[P_ISSUE];
	vals[12] = v[P_DUE];
	vals[13] = v[P_END];
	vals[14] = v[P_SURVIVAL];
	vals[15] = v[P_STATUS];
	vals[16] = v[P_STATUS_DATE];
	vals[17] = v[P_SA];
	vals[18] = v[P_AV];
	vals[19] = int_val(v[P_CONVERTED].type == FSY_VAL_INT
	                       ? v[P_CONVERTED].i : 0);
	vals[20] = v[P_BENEF];
	vals[21] = text_val(v[P_AGENT].type == FSY_VAL_NULL ? NULL : agent_id);
	rc = upsert(im, rd, TD_POLICY, k.id, ck.id, vals, v);
	if (rc < 0)
		return rc;
	if (rc == UP_BAD)
		goto bad_row;
	count(im, rd->file, rc);
	return 0;
bad_row:
	rc = fps_add(&im->bad_policies, k.fp, rd->rec_line, NULL);
	return rc < 0 ? (im->rc = rc) : 0;
}

/* ---- visits.csv ---------------------------------------------------------- */

static int
row_visit(imp_t *im, const rd_t *rd, const fsy_val_t *v)
{
	const char *parts[5] = {v[V_CUST].s, v[V_AGENT].s, v[V_HAPPENED].s,
		v[V_CHANNEL].s, v[V_TOPIC].s};
	char key[KEYBUF], sh[72], agent_id[FSY_UUID_STRLEN + 1];
	char policy_id[FSY_UUID_STRLEN + 1];
	fsy_val_t vals[10];
	int64_t happened, recorded;
	rowkey_t k, ck;
	int rc;

	key_derive("visit", key, key_join(key, sizeof(key), parts, 5), &k);
	if ((rc = check_dup(im, rd, &k, v)) != 0)
		return rc < 0 ? rc : 0;
	if (fsy_parse_time(v[V_HAPPENED].s, &happened) ||
	    fsy_parse_time(v[V_RECORDED].s, &recorded))
		return dberr(im, rd, FSY_EINTERNAL); /* checked by parse_field */
	if (recorded < happened) {
		bad(im, rd, rd->rec_line, "column recorded_at: '%s' is before "
		    "happened_at '%s'", v[V_RECORDED].s, v[V_HAPPENED].s);
		return 0;
	}
	rc = find_customer(im, rd, &v[V_CUST], &ck, "customer_no");
	if (rc <= 0)
		return rc;
	rc = find_agent(im, rd, &v[V_AGENT], agent_id, "agent_code");
	if (rc <= 0)
		return rc;
	if (v[V_POLICY].type != FSY_VAL_NULL) {
		sqlite3_stmt *s;
		rowkey_t pk;

		key_derive("policy", v[V_POLICY].s, v[V_POLICY].n, &pk);
		memcpy(policy_id, pk.id, sizeof(policy_id));
		if ((rc = fsy_store_stmt(im->st,
		         "SELECT customer_id FROM policy WHERE id = ?", &s)))
			return dberr(im, rd, rc);
		sqlite3_bind_text(s, 1, pk.id, -1, SQLITE_STATIC);
		rc = sqlite3_step(s);
		if (rc == SQLITE_ROW) {
			int same = strcmp((const char *)sqlite3_column_text(s, 0),
			               ck.id) == 0;
			sqlite3_reset(s);
			if (!same) {
				bad(im, rd, rd->rec_line, "column policy_no: policy "
				    "'%s' is not customer %s's",
				    shown(v[V_POLICY].s, sh), v[V_CUST].s);
				return 0;
			}
		} else {
			sqlite3_reset(s);
			if (rc != SQLITE_DONE)
				return dberr(im, rd, fsy_store_err(im->st, rc));
			if (!fps_has(&im->bad_policies, pk.fp))
				bad(im, rd, rd->rec_line, "column policy_no: "
				    "unknown policy '%s'", shown(v[V_POLICY].s, sh));
			return 0;
		}
	}
	vals[0] = text_val(agent_id);
	vals[1] = v[V_HAPPENED];
	vals[2] = v[V_RECORDED];
	/* recorded more than 24 hours after it happened (DOMAIN.md) */
	vals[3] = int_val(recorded - happened > 24LL * 3600 * 1000);
	vals[4] = v[V_PLACE];
	vals[5] = v[V_CHANNEL];
	vals[6] = v[V_TOPIC];
	vals[7] = text_val(v[V_POLICY].type == FSY_VAL_NULL ? NULL : policy_id);
	vals[8] = v[V_SAID];
	vals[9] = v[V_NEXT];
	rc = upsert(im, rd, TD_VISIT, k.id, ck.id, vals, v);
	if (rc < 0)
		return rc;
	count(im, rd->file, rc);
	return 0;
}

/* ---- reading ------------------------------------------------------------- */

typedef int (*row_fn)(imp_t *, const rd_t *, const fsy_val_t *);

static const struct {
	const colspec_t *spec;
	int n;
	row_fn fn;
} files[FSY_IMPORT_NFILES] = {
	{agent_cols, A_N, row_agent},
	{customer_cols, C_N, row_customer},
	{person_cols, R_N, row_person},
	{policy_cols, P_N, row_policy},
	{visit_cols, V_N, row_visit},
};

/* The header: every column known, none twice, every required one there. */
static void
header(rd_t *rd)
{
	imp_t *im = rd->im;
	char sh[72];

	rd->header_done = 1;
	rd->ncols = rd->nf;
	if (rd->too_many) {
		bad(im, rd, rd->rec_line, "more than %d columns",
		    FSY_IMPORT_MAX_COLS);
		rd->stop = 1;
		return;
	}
	for (int c = 0; c < rd->nspec; c++)
		rd->pos[c] = -1;
	for (int f = 0; f < rd->nf; f++) {
		const char *name = rd->buf + rd->off[f];
		int c;
		for (c = 0; c < rd->nspec; c++)
			if (strcmp(rd->spec[c].name, name) == 0)
				break;
		if (c == rd->nspec) {
			bad(im, rd, rd->rec_line, "unknown column '%s'",
			    shown(name, sh));
			rd->stop = 1;
			return;
		}
		if (rd->pos[c] >= 0) {
			bad(im, rd, rd->rec_line, "column %s appears twice", name);
			rd->stop = 1;
			return;
		}
		rd->pos[c] = f;
	}
	for (int c = 0; c < rd->nspec; c++)
		if (rd->pos[c] < 0 && !rd->spec[c].optcol) {
			bad(im, rd, rd->rec_line, "missing column %s",
			    rd->spec[c].name);
			rd->stop = 1;
			return;
		}
}

/* One data record: parse every field, then hand the row to the file's
 * handler. */
static void
record(rd_t *rd)
{
	imp_t *im = rd->im;
	/* the key column of the files others refer to, and its namespace */
	static const int keycol[FSY_IMPORT_NFILES] = {A_CODE, C_NO, -1, P_NO,
		-1};
	static const char *const keyns[FSY_IMPORT_NFILES] = {"agent",
		"customer", NULL, "policy", NULL};
	fsy_val_t v[FSY_IMPORT_MAX_COLS];
	char scratch[FSY_IMPORT_MAX_COLS][32];
	int ok = 1, cok[FSY_IMPORT_MAX_COLS], rc;

	if (++rd->rows > FSY_IMPORT_MAX_ROWS) {
		bad(im, rd, rd->rec_line, "more than %d rows", FSY_IMPORT_MAX_ROWS);
		rd->stop = 1;
		return;
	}
	im->rep.file[rd->file].read++;
	if (rd->too_many || rd->nf != rd->ncols) {
		bad(im, rd, rd->rec_line, "%s%d fields, the header has %d",
		    rd->too_many ? "more than " : "", rd->nf, rd->ncols);
		return;
	}
	for (int c = 0; c < rd->nspec; c++) {
		int f = rd->pos[c];
		if (f < 0) {
			memset(&v[c], 0, sizeof(v[c]));
			v[c].type = FSY_VAL_NULL;
			continue;
		}
		cok[c] = parse_field(im, rd, &rd->spec[c], rd->buf + rd->off[f],
		    rd->flen[f], &v[c], scratch[c]) == 0;
		ok &= cok[c];
	}
	if (!ok) {
		/* rows referring to this one are not counted again */
		int kc = keycol[rd->file];
		if (kc >= 0 && cok[kc] && v[kc].type == FSY_VAL_TEXT) {
			fpset_t *set = rd->file == FSY_IMPORT_AGENTS
			    ? &im->bad_agents
			    : rd->file == FSY_IMPORT_CUSTOMERS ? &im->bad_customers
			                                       : &im->bad_policies;
			rowkey_t k;
			key_derive(keyns[rd->file], v[kc].s, v[kc].n, &k);
			if (fps_add(set, k.fp, rd->rec_line, NULL) < 0) {
				im->rc = FSY_ENOMEM;
				rd->stop = 1;
			}
		}
		return;
	}
	rc = files[rd->file].fn(im, rd, v);
	if (rc < 0) {
		if (im->rc == 0)
			im->rc = rc;
		rd->stop = 1;
	}
}

static void
field_cb(void *s, size_t len, void *data)
{
	rd_t *rd = data;
	const char *p = s ? s : "";

	if (rd->stop)
		return;
	if (rd->nf == 0) {
		/* the record starts on the line of its first field's start */
		int64_t nl = 0;
		for (size_t i = 0; i < len; i++)
			nl += p[i] == '\n';
		rd->rec_line = rd->line - nl;
		rd->blen = 0;
		rd->too_many = 0;
	}
	if (rd->nf == FSY_IMPORT_MAX_COLS) {
		rd->too_many = 1;
		return;
	}
	if (rd->blen + len + 1 > rd->bcap) {
		size_t cap = rd->bcap ? rd->bcap : 4096;
		char *b;
		while (cap < rd->blen + len + 1)
			cap *= 2;
		if ((b = realloc(rd->buf, cap)) == NULL) {
			rd->im->rc = FSY_ENOMEM;
			rd->stop = 1;
			return;
		}
		rd->buf = b;
		rd->bcap = cap;
	}
	memcpy(rd->buf + rd->blen, p, len);
	rd->buf[rd->blen + len] = '\0';
	rd->off[rd->nf] = rd->blen;
	rd->flen[rd->nf] = len;
	rd->blen += len + 1;
	rd->nf++;
}

static void
row_cb(int c, void *data)
{
	rd_t *rd = data;

	(void)c;
	rd->rec_bytes = 0;
	if (rd->stop) {
		rd->nf = 0;
		return;
	}
	if (rd->nf == 0)
		return;
	if (!rd->header_done)
		header(rd);
	else
		record(rd);
	rd->nf = 0;
}

/* Reads and loads one file. Returns 0, or a fatal FSY_E* code (the error
 * itself is recorded in im). */
static int
read_file(imp_t *im, int file, const char *path)
{
	struct csv_parser p;
	rd_t rd;
	FILE *fp = NULL;
	char *chunk = NULL;
	int rv = 0, first = 1, parser = 0;

	memset(&rd, 0, sizeof(rd));
	rd.im = im;
	rd.file = file;
	rd.spec = files[file].spec;
	rd.nspec = files[file].n;
	rd.line = 1;
	rd.rec_line = 1;
	fps_free(&im->dup);

	if ((fp = fopen(path, "rb")) == NULL) {
		int e = errno;
		bad(im, &rd, 0, "%s", strerror(e));
		rv = im->rc = fsy_err_from_errno(e);
		goto out;
	}
	if ((chunk = malloc(CHUNK)) == NULL) {
		rv = im->rc = FSY_ENOMEM;
		goto out;
	}
	if (csv_init(&p, CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL) != 0) {
		rv = im->rc = FSY_ENOMEM;
		goto out;
	}
	parser = 1;
	for (;;) {
		size_t n = fread(chunk, 1, CHUNK, fp), pos = 0;
		if (n == 0) {
			if (ferror(fp)) {
				int e = errno;
				bad(im, &rd, rd.line, "read error: %s", strerror(e));
				rv = im->rc = fsy_err_from_errno(e ? e : EIO);
				goto out;
			}
			break;
		}
		if (first && n >= 3 && memcmp(chunk, "\xef\xbb\xbf", 3) == 0)
			pos = 3; /* a UTF-8 byte-order mark, as Excel writes */
		first = 0;
		while (pos < n && !rd.stop) {
			const char *nl = memchr(chunk + pos, '\n', n - pos);
			size_t end = nl ? (size_t)(nl - chunk) + 1 : n;
			size_t len = end - pos;

			if (csv_parse(&p, chunk + pos, len, field_cb, row_cb,
			        &rd) != len) {
				if (csv_error(&p) == CSV_EPARSE)
					bad(im, &rd, rd.line, "malformed CSV: broken "
					    "quoting (a quote inside an unquoted "
					    "field, or text after a closing quote)");
				else
					rv = im->rc = FSY_ENOMEM;
				rd.stop = 1;
				break;
			}
			if (!(len == 1 || (len == 2 && chunk[pos] == '\r')))
				rd.rec_bytes += len; /* blank lines do not count */
			if (rd.rec_bytes > FSY_IMPORT_MAX_RECORD) {
				bad(im, &rd, rd.rec_line, "a record longer than "
				    "%d bytes (an unclosed quote?)",
				    FSY_IMPORT_MAX_RECORD);
				rd.stop = 1;
				break;
			}
			if (nl)
				rd.line++;
			pos = end;
		}
		if (rd.stop)
			break;
	}
	if (!rd.stop && csv_fini(&p, field_cb, row_cb, &rd) != 0) {
		bad(im, &rd, rd.rec_line, "malformed CSV: broken quoting (a "
		    "quoted field is not closed)");
		rd.stop = 1;
	}
	if (!rd.header_done && im->nerr == 0 && im->rc == 0)
		bad(im, &rd, 0, "empty file: a header row is required");
	if (im->rc && rv == 0)
		rv = im->rc;
	if (rd.stop && rv == 0 && im->nerr)
		rv = FSY_ECSV; /* a malformed file stops the import */
	if (rv == 0 && file == FSY_IMPORT_AGENTS)
		rv = set_team_leads(im, &rd);
out:
	if (parser)
		csv_free(&p);
	if (fp)
		fclose(fp);
	free(chunk);
	free(rd.buf);
	return rv;
}

/* ---- the import ---------------------------------------------------------- */

static void
imp_free(imp_t *im)
{
	fps_free(&im->dup);
	fps_free(&im->branches);
	fps_free(&im->teams);
	fps_free(&im->bad_agents);
	fps_free(&im->bad_customers);
	fps_free(&im->bad_policies);
	for (int t = 0; t < TD_N; t++)
		for (int q = 0; q < 4; q++)
			free(im->sql[t][q]);
	free(im);
}

int
fsy_import_dir(fsy_store_t *st, const char *dir, fsy_import_report_t *rep,
    char *errbuf, size_t errlen)
{
	char path[FSY_IMPORT_NFILES][1024], detail[512];
	imp_t *im = NULL;
	int rv = FSY_OK, present = 0, began = 0, tuned = 0, old_capture = 1;
	int64_t old_cache = -2000;
	sqlite3_stmt *s;
	struct stat sb;

	if (errbuf && errlen)
		errbuf[0] = '\0';
	if (rep)
		memset(rep, 0, sizeof(*rep));
	if (fsy_store_role(st) != FSY_ROLE_HUB)
		return fsy_store_errf(NULL, FSY_ESTATE, errbuf, errlen,
		    "import runs on the hub store only");
	if ((im = calloc(1, sizeof(*im))) == NULL) {
		rv = FSY_ENOMEM;
		goto out;
	}
	im->st = st;
	fsy_iso_time(fsy_now_ms(), im->now);
	for (int f = 0; f < FSY_IMPORT_NFILES; f++) {
		if ((size_t)snprintf(path[f], sizeof(path[f]), "%s/%s", dir,
		        file_names[f]) >= sizeof(path[f])) {
			rv = fsy_store_errf(NULL, FSY_ETOOBIG, im->first,
			    sizeof(im->first), "%s: path too long", dir);
			goto out;
		}
		if (stat(path[f], &sb) == 0 && S_ISREG(sb.st_mode)) {
			im->rep.file[f].present = 1;
			present++;
		}
	}
	if (present == 0) {
		rv = fsy_store_errf(NULL, FSY_ENOTFOUND, im->first,
		    sizeof(im->first), "%s: none of agents.csv, customers.csv, "
		    "persons.csv, policies.csv, visits.csv found", dir);
		goto out;
	}
	if (sodium_init() < 0 || (rv = build_sql(im)) != FSY_OK) {
		rv = rv ? rv : FSY_EINTERNAL;
		goto out;
	}

	/* a larger page cache for the one big transaction, restored after */
	if (fsy_store_stmt(st, "PRAGMA cache_size", &s) == FSY_OK) {
		if (sqlite3_step(s) == SQLITE_ROW)
			old_cache = sqlite3_column_int64(s, 0);
		sqlite3_reset(s);
	}
	(void)fsy_store_exec(st, "PRAGMA cache_size = -262144");
	tuned = 1;
	old_capture = fsy_store_set_capture(st, 1);
	if ((rv = fsy_store_begin(st)) != FSY_OK) {
		(void)fsy_store_errf(st, rv, im->first, sizeof(im->first),
		    "begin");
		goto out;
	}
	began = 1;
	/* what each row's last import brought: schema/0004_import_hub.sql */
	for (int f = 0; f < FSY_IMPORT_NFILES && rv == FSY_OK; f++)
		if (im->rep.file[f].present)
			rv = read_file(im, f, path[f]);
	if (rv == FSY_OK && im->nerr)
		rv = FSY_ECSV;
	if (rv == FSY_OK) {
		size_t n = (size_t)snprintf(detail, sizeof(detail), "%s:", dir);
		for (int f = 0; f < FSY_IMPORT_NFILES; f++) {
			const fsy_import_count_t *c = &im->rep.file[f];
			if (c->present && n < sizeof(detail))
				n += (size_t)snprintf(detail + n, sizeof(detail) - n,
				    " %s read %lld inserted %lld updated %lld "
				    "unchanged %lld;", file_names[f],
				    (long long)c->read, (long long)c->inserted,
				    (long long)c->updated, (long long)c->unchanged);
		}
		if ((rv = fsy_store_stmt(st, "INSERT INTO audit(at, actor, "
		         "action, detail) VALUES (?, 'import', 'import', ?)",
		         &s)) == FSY_OK) {
			sqlite3_bind_text(s, 1, im->now, -1, SQLITE_STATIC);
			sqlite3_bind_text(s, 2, detail, -1, SQLITE_STATIC);
			rv = fsy_store_err(st, sqlite3_step(s));
			sqlite3_reset(s);
		}
		if (rv == FSY_OK)
			rv = fsy_store_commit(st);
		if (rv != FSY_OK)
			(void)fsy_store_errf(st, rv, im->first,
			    sizeof(im->first), "commit");
	}
out:
	if (im) {
		char cache[64];
		if (began && rv != FSY_OK)
			fsy_store_rollback(st);
		if (tuned) {
			fsy_store_set_capture(st, old_capture);
			snprintf(cache, sizeof(cache), "PRAGMA cache_size = %lld",
			    (long long)old_cache);
			(void)fsy_store_exec(st, cache);
		}
		if (rep) {
			*rep = im->rep;
			rep->errors = rv == FSY_OK ? 0 : im->nerr ? im->nerr : 1;
			if (rv != FSY_OK)
				for (int f = 0; f < FSY_IMPORT_NFILES; f++)
					rep->file[f].inserted = rep->file[f].updated =
					    rep->file[f].unchanged = 0;
		}
		if (errbuf && errlen && rv != FSY_OK) {
			if (im->first[0] == '\0')
				snprintf(im->first, sizeof(im->first), "%s",
				    fsy_strerror(rv));
			if (im->nerr > 1)
				snprintf(errbuf, errlen, "%s (and %lld more error%s)",
				    im->first, (long long)(im->nerr - 1),
				    im->nerr > 2 ? "s" : "");
			else
				snprintf(errbuf, errlen, "%s", im->first);
		}
		imp_free(im);
	} else if (errbuf && errlen) {
		snprintf(errbuf, errlen, "%s", fsy_strerror(rv));
	}
	return rv;
}
