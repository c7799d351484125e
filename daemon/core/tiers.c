/* tiers.c — tier schemes as data: parsing, evaluation, hub update
 * (see tiers.h; the file format is docs/TIERS.md). */
#include <dirent.h>
#include <errno.h>
#include <ini.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "tables.h"
#include "tiers.h"
#include "util.h"

#ifndef FSY_DATADIR_BUILD
#define FSY_DATADIR_BUILD "schema"
#endif
#ifndef FSY_DATADIR_INSTALL
#define FSY_DATADIR_INSTALL "/usr/share/fieldsync"
#endif

#define CODE_MAX 32   /* section suffixes, ids, column names (with NUL) */
#define TEXT_MAX 128  /* names and benefits (with NUL) */
#define VALUE_MAX 64  /* a level's column value (with NUL) */
#define LIST_MAX 1024 /* a rule's raw class list (with NUL) */
#define MAX_CLASSES 32
#define MAX_RULES 32
#define COEF_MAX (INT64_C(1000) * FSY_TIER_COEF_SCALE)
#define MAX_PAY_YEARS 100
#define MAX_YEAR_BOUND 200
#define MAX_COOLING_OFF 3650
#define PAGE 256 /* customers per transaction / query page */
#define STR_(x) #x
#define STR(x) STR_(x)
#define MS_PER_DAY INT64_C(86400000)

/* ---- vocabularies (schema/0001_core.sql) --------------------------------- */

static const char *const product_names[] = {
	"accident", "health", "term_life", "whole_life", "endowment",
	"annuity", "dividend", "traditional", "universal",
	"investment_linked", "critical_illness",
};
#define NPRODUCTS ((int)(sizeof(product_names) / sizeof(product_names[0])))

static const char *const status_names[] = {
	"inforce", "grace", "lapsed", "surrendered", "matured", "paid_up",
	"cancelled", "terminated",
};
#define NSTATUSES ((int)(sizeof(status_names) / sizeof(status_names[0])))

/* Customer columns a scheme may never fill, although head office owns
 * them: card numbers and ownership are other modules' business. */
static const char *const column_deny[] = {
	"card_no", "card_provisional", "owner_agent_id", "owner_since",
};

enum { PAY_ANY = 0, PAY_REGULAR, PAY_SINGLE };
enum { PHASE_ANY = 0, PHASE_PAYING, PHASE_AFTER };
enum { BASE_ANNUAL = 0, BASE_ACCOUNT };

/* Key bits, per section kind: which keys a section has given. */
enum {
	/* [scheme] */
	K_ID = 1u << 0, K_NAME = 1u << 1, K_STATUSES = 1u << 2,
	K_MAIN_ONLY = 1u << 3, K_EXTERNAL = 1u << 4, K_CONVERTED = 1u << 5,
	K_EXCLUDE = 1u << 6, K_COOLING = 1u << 7, K_LEVEL_COL = 1u << 8,
	K_SCORE_COL = 1u << 9, K_NONE = 1u << 10, K_INHERIT = 1u << 11,
	/* [honour] also K_NAME, K_STATUSES; [level.*] also K_NAME */
	K_MIN = 1u << 12,
	/* [class.*] */
	K_PRODUCTS = 1u << 13, K_BASE = 1u << 14, K_COEF = 1u << 15,
	/* [term.*] also K_COEF */
	K_PAY = 1u << 16, K_PHASE = 1u << 17, K_CLASSES = 1u << 18,
	K_PY_MIN = 1u << 19, K_PY_MAX = 1u << 20, K_POL_MIN = 1u << 21,
	K_POL_MAX = 1u << 22, K_AFT_MIN = 1u << 23, K_AFT_MAX = 1u << 24,
	K_PER_YEAR = 1u << 25, K_CAP = 1u << 26,
	/* [level.*] */
	K_VALUE = 1u << 27, K_BENEFITS = 1u << 28,
};

/* A product class: which product types, on what base, at what coefficient. */
typedef struct {
	char code[CODE_MAX]; /* section suffix: [class.<code>] */
	int line;            /* line of the section header */
	unsigned seen;       /* K_* keys given */
	unsigned products;   /* bit i: product_names[i] */
	int all;             /* products = *: every type no other class has */
	int base;            /* BASE_* */
	int64_t coef;        /* coefficient, millionths */
} tclass_t;

/* A term rule: conditions on pay kind and time, and the coefficient. */
typedef struct {
	char code[CODE_MAX];   /* section suffix: [term.<code>] */
	int line;              /* line of the section header */
	unsigned seen;         /* K_* keys given */
	int pay;               /* PAY_* */
	int phase;             /* PHASE_* */
	char class_list[LIST_MAX]; /* raw "a,b" as written, resolved later */
	int class_line;        /* line of the classes key */
	uint32_t classes;      /* bit i: classes[i]; 0 = every class */
	int py_min, py_max;    /* payment years bounds (K_PY_*) */
	int pol_min, pol_max;  /* policy year bounds, 1 = first (K_POL_*) */
	int aft_min, aft_max;  /* year after the payment period, 1 = first */
	int64_t coef;          /* fixed coefficient (K_COEF), millionths */
	int64_t per_year;      /* or per payment year (K_PER_YEAR) */
	int64_t cap;           /* ... at most this (K_CAP) */
} rule_t;

/* A level: name, lower bound, the value written to the level column. */
typedef struct {
	char code[CODE_MAX];   /* section suffix: [level.<code>] */
	int line;              /* line of the section header */
	unsigned seen;         /* K_* keys given */
	char name[TEXT_MAX];   /* display name */
	char value[VALUE_MAX]; /* column value as text (default: code) */
	int64_t value_int;     /* the same, for an integer column */
	int64_t min;           /* lower bound, fen, inclusive */
	int benefits_line;     /* line of the first benefits key */
} level_t;

/* A benefit opened at a level. */
typedef struct {
	int level;            /* index into levels */
	char name[TEXT_MAX];  /* display text */
} benefit_t;

struct fsy_tier_scheme {
	char origin[256];          /* file name, for messages */
	char id[CODE_MAX];         /* [scheme] id */
	char name[TEXT_MAX];       /* [scheme] name */
	unsigned seen;             /* K_* keys of [scheme] given */
	int scheme_line;           /* line of [scheme], 0: absent */
	unsigned statuses;         /* bit i: status_names[i] counts */
	int main_only;             /* 1: riders do not count */
	int include_external;      /* 1: other insurers' policies count */
	int exclude_converted;     /* 1: annuity-converted policies do not */
	unsigned exclude_products; /* bit i: product_names[i] never counts */
	int cooling_off_days;      /* policies count from issue + this */
	char level_column[CODE_MAX]; /* customer column or "" */
	char score_column[CODE_MAX]; /* customer column or "" */
	int level_col_int;         /* 1: the level column is INTEGER */
	char none_value[VALUE_MAX]; /* level column value below all levels */
	int64_t none_int;          /* the same, for an integer column */
	int inherit;               /* 1: a level opens lower levels' benefits */
	tclass_t classes[MAX_CLASSES];
	int nclasses;
	int default_class;         /* index of the products = * class, -1 */
	rule_t rules[MAX_RULES];   /* in file order; first match wins */
	int nrules;
	level_t levels[FSY_TIER_MAX_LEVELS]; /* lowest first */
	int nlevels;
	benefit_t benefits[FSY_TIER_MAX_BENEFITS];
	int nbenefits;
	int honour_line;           /* line of [honour], 0: no honour rule */
	unsigned honour_seen;      /* K_* keys of [honour] given */
	char honour_name[TEXT_MAX];
	int64_t honour_min;        /* cumulative premium, fen */
	unsigned honour_statuses;  /* policies whose premium counts */
};

struct fsy_tiers {
	fsy_tier_scheme_t *schemes[FSY_TIER_MAX_SCHEMES];
	int n;
};

/* ---- small parsers ------------------------------------------------------- */

static int
find_name(const char *const *names, int n, const char *s)
{
	for (int i = 0; i < n; i++)
		if (strcmp(names[i], s) == 0)
			return i;
	return -1;
}

/* Parses an unsigned decimal with at most `decimals` fraction digits and
 * optional '_' between digits into value × 10^decimals, at most max.
 * Returns 0 or -1. */
static int
parse_fixed(const char *v, int decimals, int64_t max, int64_t *out)
{
	int64_t acc = 0;
	int ndig = 0, frac = -1, prev_digit = 0;

	for (const char *p = v; *p; p++) {
		if (*p >= '0' && *p <= '9') {
			if (frac >= 0 && ++frac > decimals)
				return -1;
			if (acc > (INT64_MAX - 9) / 10)
				return -1;
			acc = acc * 10 + (*p - '0');
			ndig++;
			prev_digit = 1;
		} else if (*p == '_' && prev_digit && frac < 0 &&
		    p[1] >= '0' && p[1] <= '9') {
			prev_digit = 0;
		} else if (*p == '.' && frac < 0 && prev_digit &&
		    p[1] >= '0' && p[1] <= '9') {
			frac = 0;
			prev_digit = 0;
		} else {
			return -1;
		}
	}
	if (ndig == 0)
		return -1;
	for (int i = frac < 0 ? 0 : frac; i < decimals; i++) {
		if (acc > INT64_MAX / 10)
			return -1;
		acc *= 10;
	}
	if (acc > max)
		return -1;
	*out = acc;
	return 0;
}

/* Parses a whole number 0..max. Returns 0 or -1. */
static int
parse_uint(const char *v, int max, int *out)
{
	int64_t x;

	if (parse_fixed(v, 0, max, &x) != 0)
		return -1;
	*out = (int)x;
	return 0;
}

/* Parses an integer column value: optional '-', digits, fits 32 bits. */
static int
parse_int_value(const char *v, int64_t *out)
{
	int64_t x;
	int neg = v[0] == '-';

	if (strchr(v, '_') || strchr(v, '.'))
		return -1;
	if (parse_fixed(v + neg, 0, INT32_MAX, &x) != 0)
		return -1;
	*out = neg ? -x : x;
	return 0;
}

static int
parse_bool(const char *v, int *out)
{
	if (!strcmp(v, "yes") || !strcmp(v, "true") || !strcmp(v, "1"))
		*out = 1;
	else if (!strcmp(v, "no") || !strcmp(v, "false") || !strcmp(v, "0"))
		*out = 0;
	else
		return -1;
	return 0;
}

/* An identifier: 1..CODE_MAX-1 of [A-Za-z0-9_-]. */
static int
is_ident(const char *s, size_t n)
{
	if (n == 0 || n >= CODE_MAX)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char ch = s[i];
		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		    (ch >= '0' && ch <= '9') || ch == '_' || ch == '-'))
			return 0;
	}
	return 1;
}

/* Calls fn for each comma-separated, trimmed, non-empty item of v; stops at
 * the first nonzero return and returns it. */
static int
each_item(const char *v, int (*fn)(void *arg, const char *item), void *arg)
{
	char item[TEXT_MAX + 1];
	const char *p = v;

	while (*p) {
		const char *e = strchr(p, ',');
		size_t n = e ? (size_t)(e - p) : strlen(p);
		const char *s = p;
		int rc;

		while (n > 0 && (*s == ' ' || *s == '\t')) {
			s++;
			n--;
		}
		while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
			n--;
		if (n > TEXT_MAX) {
			n = TEXT_MAX; /* the callback reports it as too long */
		}
		if (n > 0) {
			memcpy(item, s, n);
			item[n] = '\0';
			if ((rc = fn(arg, item)) != 0)
				return rc;
		}
		p = e ? e + 1 : p + strlen(p);
	}
	return 0;
}

/* ---- parsing ------------------------------------------------------------- */

enum {
	SEC_NONE = 0, /* before any section */
	SEC_BAD,      /* a header already reported */
	SEC_SCHEME,
	SEC_HONOUR,
	SEC_CLASS,
	SEC_TERM,
	SEC_LEVEL,
};

typedef struct {
	fsy_tier_scheme_t *s;
	const char *p;       /* reader: rest of the text */
	int line;            /* last line handed to inih */
	int kind;            /* SEC_* of the current section */
	int idx;             /* its entity index */
	char sect[80];       /* its name as written */
	int errline;         /* line of the first error, 0: none */
	char err[200];       /* that error, without the location */
	/* list callbacks' state */
	unsigned *mask;      /* products / statuses being collected */
	int *all;            /* products = * seen */
	const char *key;     /* key being parsed, for messages */
} pctx_t;

static void perr(pctx_t *c, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Records an error at line unless an earlier one is recorded. */
static void
perr(pctx_t *c, int line, const char *fmt, ...)
{
	va_list ap;

	if (c->errline != 0 && c->errline <= line)
		return;
	c->errline = line;
	va_start(ap, fmt);
	vsnprintf(c->err, sizeof(c->err), fmt, ap);
	va_end(ap);
}

/* Opens the section named by the header at line (text after '['). */
static void
section_open(pctx_t *c, const char *hdr)
{
	fsy_tier_scheme_t *s = c->s;
	const char *end = strchr(hdr, ']');
	size_t n;
	const char *dot, *code;
	size_t ncode;

	if (end == NULL)
		return; /* inih reports the syntax error */
	n = (size_t)(end - hdr);
	c->kind = SEC_BAD;
	c->idx = -1;
	if (n >= sizeof(c->sect)) {
		c->sect[0] = '\0';
		perr(c, c->line, "section name too long");
		return;
	}
	memcpy(c->sect, hdr, n);
	c->sect[n] = '\0';

	if (strcmp(c->sect, "scheme") == 0) {
		if (s->scheme_line) {
			perr(c, c->line, "[scheme] given twice (first on line %d)",
			    s->scheme_line);
			return;
		}
		s->scheme_line = c->line;
		c->kind = SEC_SCHEME;
		return;
	}
	if (strcmp(c->sect, "honour") == 0) {
		if (s->honour_line) {
			perr(c, c->line, "[honour] given twice (first on line %d)",
			    s->honour_line);
			return;
		}
		s->honour_line = c->line;
		c->kind = SEC_HONOUR;
		return;
	}
	dot = strchr(c->sect, '.');
	code = dot ? dot + 1 : "";
	ncode = strlen(code);
	if (dot == NULL || (strncmp(c->sect, "class.", 6) != 0 &&
	    strncmp(c->sect, "term.", 5) != 0 &&
	    strncmp(c->sect, "level.", 6) != 0)) {
		perr(c, c->line, "unknown section [%s] (expected [scheme], "
		    "[honour], [class.NAME], [term.NAME] or [level.NAME])",
		    c->sect);
		return;
	}
	if (!is_ident(code, ncode)) {
		perr(c, c->line, "[%s]: NAME must be 1-%d letters, digits, "
		    "'_' or '-'", c->sect, CODE_MAX - 1);
		return;
	}
	if (c->sect[0] == 'c') {
		for (int i = 0; i < s->nclasses; i++)
			if (strcmp(s->classes[i].code, code) == 0) {
				perr(c, c->line, "[%s] given twice (first on "
				    "line %d)", c->sect, s->classes[i].line);
				return;
			}
		if (s->nclasses == MAX_CLASSES) {
			perr(c, c->line, "too many classes (at most %d)",
			    MAX_CLASSES);
			return;
		}
		tclass_t *k = &s->classes[s->nclasses];
		memcpy(k->code, code, ncode + 1);
		k->line = c->line;
		c->kind = SEC_CLASS;
		c->idx = s->nclasses++;
	} else if (c->sect[0] == 't') {
		for (int i = 0; i < s->nrules; i++)
			if (strcmp(s->rules[i].code, code) == 0) {
				perr(c, c->line, "[%s] given twice (first on "
				    "line %d)", c->sect, s->rules[i].line);
				return;
			}
		if (s->nrules == MAX_RULES) {
			perr(c, c->line, "too many term rules (at most %d)",
			    MAX_RULES);
			return;
		}
		rule_t *r = &s->rules[s->nrules];
		memcpy(r->code, code, ncode + 1);
		r->line = c->line;
		c->kind = SEC_TERM;
		c->idx = s->nrules++;
	} else {
		for (int i = 0; i < s->nlevels; i++)
			if (strcmp(s->levels[i].code, code) == 0) {
				perr(c, c->line, "[%s] given twice (first on "
				    "line %d)", c->sect, s->levels[i].line);
				return;
			}
		if (s->nlevels == FSY_TIER_MAX_LEVELS) {
			perr(c, c->line, "too many levels (at most %d)",
			    FSY_TIER_MAX_LEVELS);
			return;
		}
		level_t *l = &s->levels[s->nlevels];
		memcpy(l->code, code, ncode + 1);
		l->line = c->line;
		c->kind = SEC_LEVEL;
		c->idx = s->nlevels++;
	}
}

/* fgets-style reader over the text, for ini_parse_stream: counts lines
 * (so that messages carry them), notices section headers, refuses lines
 * that do not fit inih's buffer. */
static char *
reader(char *str, int num, void *stream)
{
	pctx_t *c = stream;
	const char *nl, *hdr;
	size_t len;

	if (*c->p == '\0' || num < 3)
		return NULL;
	nl = strchr(c->p, '\n');
	len = nl ? (size_t)(nl - c->p) + 1 : strlen(c->p);
	c->line++;
	if (len > (size_t)num - 1) {
		perr(c, c->line, "line longer than %d bytes (continue a list "
		    "on an indented next line)", num - 2);
		c->p += len;
		str[0] = '\n';
		str[1] = '\0';
		return str;
	}
	memcpy(str, c->p, len);
	str[len] = '\0';
	c->p += len;
	hdr = str;
	if (c->line == 1 && strncmp(hdr, "\xEF\xBB\xBF", 3) == 0)
		hdr += 3;
	if (hdr[0] == '[')
		section_open(c, hdr + 1);
	return str;
}

/* Marks key bit as given in *seen; a second time is an error. */
static int
once(pctx_t *c, unsigned *seen, unsigned bit, const char *name)
{
	if (*seen & bit) {
		perr(c, c->line, "[%s]: '%s' given twice (a value cannot "
		    "continue on an indented line)", c->sect, name);
		return -1;
	}
	*seen |= bit;
	return 0;
}

static int
text_value(pctx_t *c, const char *name, const char *v, char *dst, size_t cap)
{
	size_t n = strlen(v);

	if (n == 0 || n >= cap) {
		perr(c, c->line, "[%s]: '%s' must be 1-%zu bytes", c->sect,
		    name, cap - 1);
		return -1;
	}
	memcpy(dst, v, n + 1);
	return 0;
}

static int
bool_value(pctx_t *c, const char *name, const char *v, int *out)
{
	if (parse_bool(v, out) != 0) {
		perr(c, c->line, "[%s]: '%s' must be yes or no, not '%s'",
		    c->sect, name, v);
		return -1;
	}
	return 0;
}

static int
coef_value(pctx_t *c, const char *name, const char *v, int64_t *out)
{
	if (parse_fixed(v, 6, COEF_MAX, out) != 0) {
		perr(c, c->line, "[%s]: '%s' = '%s' is not a decimal from 0 to "
		    "1000 with at most 6 decimals", c->sect, name, v);
		return -1;
	}
	return 0;
}

static int
money_value(pctx_t *c, const char *name, const char *v, int64_t *out)
{
	if (parse_fixed(v, 2, FSY_TIER_MAX_FEN, out) != 0) {
		perr(c, c->line, "[%s]: '%s' = '%s' is not an amount in yuan "
		    "(digits, '_' between digits, at most 2 decimals, at most "
		    "10^13)", c->sect, name, v);
		return -1;
	}
	return 0;
}

static int
uint_value(pctx_t *c, const char *name, const char *v, int max, int *out)
{
	if (parse_uint(v, max, out) != 0) {
		perr(c, c->line, "[%s]: '%s' = '%s' is not a whole number "
		    "from 0 to %d", c->sect, name, v, max);
		return -1;
	}
	return 0;
}

static int
product_item(void *arg, const char *item)
{
	pctx_t *c = arg;
	int i;

	if (strcmp(item, "*") == 0 && c->all != NULL) {
		*c->all = 1;
		return 0;
	}
	if ((i = find_name(product_names, NPRODUCTS, item)) < 0) {
		perr(c, c->line, "[%s]: unknown product type '%s' in '%s' "
		    "(known: accident, health, term_life, whole_life, endowment, "
		    "annuity, dividend, traditional, universal, "
		    "investment_linked, critical_illness%s)", c->sect, item,
		    c->key, c->all ? "; or * for all others" : "");
		return -1;
	}
	*c->mask |= 1u << i;
	return 0;
}

static int
status_item(void *arg, const char *item)
{
	pctx_t *c = arg;
	int i;

	if ((i = find_name(status_names, NSTATUSES, item)) < 0) {
		perr(c, c->line, "[%s]: unknown policy status '%s' in '%s' "
		    "(known: inforce, grace, lapsed, surrendered, matured, "
		    "paid_up, cancelled, terminated)", c->sect, item, c->key);
		return -1;
	}
	*c->mask |= 1u << i;
	return 0;
}

static int
benefit_item(void *arg, const char *item)
{
	pctx_t *c = arg;
	fsy_tier_scheme_t *s = c->s;
	size_t n = strlen(item);

	if (n >= TEXT_MAX) {
		perr(c, c->line, "[%s]: a benefit is longer than %d bytes",
		    c->sect, TEXT_MAX - 1);
		return -1;
	}
	if (s->nbenefits == FSY_TIER_MAX_BENEFITS) {
		perr(c, c->line, "too many benefits (at most %d in a scheme)",
		    FSY_TIER_MAX_BENEFITS);
		return -1;
	}
	for (int i = 0; i < s->nbenefits; i++)
		if (s->benefits[i].level == c->idx &&
		    strcmp(s->benefits[i].name, item) == 0) {
			perr(c, c->line, "[%s]: benefit '%s' listed twice",
			    c->sect, item);
			return -1;
		}
	s->benefits[s->nbenefits].level = c->idx;
	memcpy(s->benefits[s->nbenefits].name, item, n + 1);
	s->nbenefits++;
	return 0;
}

static int
list_value(pctx_t *c, const char *name, const char *v,
    int (*fn)(void *, const char *), unsigned *mask, int *all)
{
	c->mask = mask;
	c->all = all;
	c->key = name;
	return each_item(v, fn, c);
}

static int
on_scheme(pctx_t *c, const char *n, const char *v)
{
	fsy_tier_scheme_t *s = c->s;

	if (!strcmp(n, "id")) {
		if (once(c, &s->seen, K_ID, n))
			return -1;
		if (!is_ident(v, strlen(v))) {
			perr(c, c->line, "[scheme]: id must be 1-%d letters, "
			    "digits, '_' or '-'", CODE_MAX - 1);
			return -1;
		}
		memcpy(s->id, v, strlen(v) + 1);
		return 0;
	}
	if (!strcmp(n, "name"))
		return once(c, &s->seen, K_NAME, n) ? -1 :
		    text_value(c, n, v, s->name, sizeof(s->name));
	if (!strcmp(n, "statuses")) {
		s->seen |= K_STATUSES;
		return list_value(c, n, v, status_item, &s->statuses, NULL);
	}
	if (!strcmp(n, "exclude_products")) {
		s->seen |= K_EXCLUDE;
		return list_value(c, n, v, product_item, &s->exclude_products,
		    NULL);
	}
	if (!strcmp(n, "main_only"))
		return once(c, &s->seen, K_MAIN_ONLY, n) ? -1 :
		    bool_value(c, n, v, &s->main_only);
	if (!strcmp(n, "include_external"))
		return once(c, &s->seen, K_EXTERNAL, n) ? -1 :
		    bool_value(c, n, v, &s->include_external);
	if (!strcmp(n, "exclude_annuity_converted"))
		return once(c, &s->seen, K_CONVERTED, n) ? -1 :
		    bool_value(c, n, v, &s->exclude_converted);
	if (!strcmp(n, "benefits_inherit"))
		return once(c, &s->seen, K_INHERIT, n) ? -1 :
		    bool_value(c, n, v, &s->inherit);
	if (!strcmp(n, "cooling_off_days"))
		return once(c, &s->seen, K_COOLING, n) ? -1 :
		    uint_value(c, n, v, MAX_COOLING_OFF, &s->cooling_off_days);
	if (!strcmp(n, "level_column") || !strcmp(n, "score_column")) {
		int lvl = n[0] == 'l';
		if (once(c, &s->seen, lvl ? K_LEVEL_COL : K_SCORE_COL, n))
			return -1;
		if (!is_ident(v, strlen(v))) {
			perr(c, c->line, "[scheme]: '%s' must be a column name",
			    n);
			return -1;
		}
		memcpy(lvl ? s->level_column : s->score_column, v,
		    strlen(v) + 1);
		return 0;
	}
	if (!strcmp(n, "none_value"))
		return once(c, &s->seen, K_NONE, n) ? -1 :
		    text_value(c, n, v, s->none_value, sizeof(s->none_value));
	perr(c, c->line, "[scheme]: unknown key '%s'", n);
	return -1;
}

static int
on_honour(pctx_t *c, const char *n, const char *v)
{
	fsy_tier_scheme_t *s = c->s;

	if (!strcmp(n, "name"))
		return once(c, &s->honour_seen, K_NAME, n) ? -1 :
		    text_value(c, n, v, s->honour_name, sizeof(s->honour_name));
	if (!strcmp(n, "min_yuan"))
		return once(c, &s->honour_seen, K_MIN, n) ? -1 :
		    money_value(c, n, v, &s->honour_min);
	if (!strcmp(n, "statuses")) {
		s->honour_seen |= K_STATUSES;
		return list_value(c, n, v, status_item, &s->honour_statuses,
		    NULL);
	}
	perr(c, c->line, "[honour]: unknown key '%s'", n);
	return -1;
}

static int
on_class(pctx_t *c, const char *n, const char *v)
{
	tclass_t *k = &c->s->classes[c->idx];

	if (!strcmp(n, "products")) {
		k->seen |= K_PRODUCTS;
		return list_value(c, n, v, product_item, &k->products, &k->all);
	}
	if (!strcmp(n, "base")) {
		if (once(c, &k->seen, K_BASE, n))
			return -1;
		if (!strcmp(v, "annual_premium"))
			k->base = BASE_ANNUAL;
		else if (!strcmp(v, "account_value"))
			k->base = BASE_ACCOUNT;
		else {
			perr(c, c->line, "[%s]: base must be annual_premium or "
			    "account_value, not '%s'", c->sect, v);
			return -1;
		}
		return 0;
	}
	if (!strcmp(n, "coef"))
		return once(c, &k->seen, K_COEF, n) ? -1 :
		    coef_value(c, n, v, &k->coef);
	perr(c, c->line, "[%s]: unknown key '%s'", c->sect, n);
	return -1;
}

static int
on_term(pctx_t *c, const char *n, const char *v)
{
	rule_t *r = &c->s->rules[c->idx];
	static const struct {
		const char *name;
		unsigned bit;
		size_t off;
		int max;
	} bounds[] = {
		{"payment_years_min", K_PY_MIN, offsetof(rule_t, py_min), MAX_PAY_YEARS},
		{"payment_years_max", K_PY_MAX, offsetof(rule_t, py_max), MAX_PAY_YEARS},
		{"policy_year_min", K_POL_MIN, offsetof(rule_t, pol_min), MAX_YEAR_BOUND},
		{"policy_year_max", K_POL_MAX, offsetof(rule_t, pol_max), MAX_YEAR_BOUND},
		{"after_year_min", K_AFT_MIN, offsetof(rule_t, aft_min), MAX_YEAR_BOUND},
		{"after_year_max", K_AFT_MAX, offsetof(rule_t, aft_max), MAX_YEAR_BOUND},
	};

	if (!strcmp(n, "pay")) {
		if (once(c, &r->seen, K_PAY, n))
			return -1;
		if (!strcmp(v, "regular"))
			r->pay = PAY_REGULAR;
		else if (!strcmp(v, "single"))
			r->pay = PAY_SINGLE;
		else if (!strcmp(v, "any"))
			r->pay = PAY_ANY;
		else {
			perr(c, c->line, "[%s]: pay must be regular, single or "
			    "any, not '%s'", c->sect, v);
			return -1;
		}
		return 0;
	}
	if (!strcmp(n, "phase")) {
		if (once(c, &r->seen, K_PHASE, n))
			return -1;
		if (!strcmp(v, "paying"))
			r->phase = PHASE_PAYING;
		else if (!strcmp(v, "after"))
			r->phase = PHASE_AFTER;
		else if (!strcmp(v, "any"))
			r->phase = PHASE_ANY;
		else {
			perr(c, c->line, "[%s]: phase must be paying, after or "
			    "any, not '%s'", c->sect, v);
			return -1;
		}
		return 0;
	}
	if (!strcmp(n, "classes")) {
		size_t have = strlen(r->class_list), add = strlen(v);
		if (have + add + 2 > sizeof(r->class_list)) {
			perr(c, c->line, "[%s]: classes list too long", c->sect);
			return -1;
		}
		if (!(r->seen & K_CLASSES))
			r->class_line = c->line;
		r->seen |= K_CLASSES;
		if (have)
			r->class_list[have++] = ',';
		memcpy(r->class_list + have, v, add + 1);
		return 0;
	}
	for (size_t i = 0; i < sizeof(bounds) / sizeof(bounds[0]); i++)
		if (!strcmp(n, bounds[i].name))
			return once(c, &r->seen, bounds[i].bit, n) ? -1 :
			    uint_value(c, n, v, bounds[i].max,
				(int *)((char *)r + bounds[i].off));
	if (!strcmp(n, "coef"))
		return once(c, &r->seen, K_COEF, n) ? -1 :
		    coef_value(c, n, v, &r->coef);
	if (!strcmp(n, "per_year"))
		return once(c, &r->seen, K_PER_YEAR, n) ? -1 :
		    coef_value(c, n, v, &r->per_year);
	if (!strcmp(n, "cap"))
		return once(c, &r->seen, K_CAP, n) ? -1 :
		    coef_value(c, n, v, &r->cap);
	perr(c, c->line, "[%s]: unknown key '%s'", c->sect, n);
	return -1;
}

static int
on_level(pctx_t *c, const char *n, const char *v)
{
	level_t *l = &c->s->levels[c->idx];

	if (!strcmp(n, "name"))
		return once(c, &l->seen, K_NAME, n) ? -1 :
		    text_value(c, n, v, l->name, sizeof(l->name));
	if (!strcmp(n, "min_yuan"))
		return once(c, &l->seen, K_MIN, n) ? -1 :
		    money_value(c, n, v, &l->min);
	if (!strcmp(n, "value"))
		return once(c, &l->seen, K_VALUE, n) ? -1 :
		    text_value(c, n, v, l->value, sizeof(l->value));
	if (!strcmp(n, "benefits")) {
		if (!(l->seen & K_BENEFITS))
			l->benefits_line = c->line;
		l->seen |= K_BENEFITS;
		return each_item(v, benefit_item, c);
	}
	perr(c, c->line, "[%s]: unknown key '%s'", c->sect, n);
	return -1;
}

/* inih handler: one name = value of the current section. */
static int
on_kv(void *user, const char *section, const char *name, const char *value)
{
	pctx_t *c = user;
	int rc = 0;

	if (c->errline)
		return 1; /* already failed; the first error is the one shown */
	if (c->kind == SEC_NONE) {
		perr(c, c->line, "'%s' outside any section", name);
		return 0;
	}
	if (c->kind == SEC_BAD)
		return 1;
	if (strcmp(section, c->sect) != 0) {
		perr(c, c->line, "section header [%s] must start at the "
		    "beginning of its line", section);
		return 0;
	}
	switch (c->kind) {
	case SEC_SCHEME: rc = on_scheme(c, name, value); break;
	case SEC_HONOUR: rc = on_honour(c, name, value); break;
	case SEC_CLASS: rc = on_class(c, name, value); break;
	case SEC_TERM: rc = on_term(c, name, value); break;
	case SEC_LEVEL: rc = on_level(c, name, value); break;
	default: break;
	}
	return rc == 0;
}

/* Checks a column a scheme writes: a head-office customer column of the
 * right type. Returns 0 or -1 with the error recorded. */
static int
check_column(pctx_t *c, const char *key, const char *col, int want_int,
    int *is_int)
{
	int ci = fsy_col_find(FSY_T_CUSTOMER, col);
	const fsy_col_t *d;

	if (ci < 0) {
		perr(c, c->s->scheme_line, "[scheme]: %s: the customer table "
		    "has no column '%s'", key, col);
		return -1;
	}
	d = &fsy_tables[FSY_T_CUSTOMER].cols[ci];
	for (size_t i = 0; i < sizeof(column_deny) / sizeof(column_deny[0]); i++)
		if (strcmp(col, column_deny[i]) == 0)
			d = NULL;
	if (d == NULL || !(d->flags & FSY_COL_HO)) {
		perr(c, c->s->scheme_line, "[scheme]: %s: customer.%s is not "
		    "a tier column (a head-office column other than card and "
		    "owner)", key, col);
		return -1;
	}
	if (want_int && d->type != FSY_COL_INT) {
		perr(c, c->s->scheme_line, "[scheme]: %s: customer.%s is not "
		    "an INTEGER column", key, col);
		return -1;
	}
	*is_int = d->type == FSY_COL_INT;
	return 0;
}

/* Resolves the class names of rule r into its mask. */
static int
resolve_classes(pctx_t *c, rule_t *r)
{
	const char *p = r->class_list;

	while (*p) {
		const char *e = strchr(p, ',');
		size_t n = e ? (size_t)(e - p) : strlen(p);
		const char *t = p;
		int found = -1;

		while (n > 0 && (*t == ' ' || *t == '\t')) {
			t++;
			n--;
		}
		while (n > 0 && (t[n - 1] == ' ' || t[n - 1] == '\t'))
			n--;
		if (n > 0) {
			for (int i = 0; i < c->s->nclasses; i++)
				if (strlen(c->s->classes[i].code) == n &&
				    memcmp(c->s->classes[i].code, t, n) == 0)
					found = i;
			if (found < 0) {
				perr(c, r->class_line, "[term.%s]: no class "
				    "'%.*s' (classes are [class.NAME] "
				    "sections)", r->code, (int)n, t);
				return -1;
			}
			r->classes |= 1u << found;
		}
		p = e ? e + 1 : p + strlen(p);
	}
	if (r->classes == 0) {
		perr(c, r->class_line, "[term.%s]: classes is empty", r->code);
		return -1;
	}
	return 0;
}

static int
check_rule(pctx_t *c, rule_t *r)
{
	int has_after = (r->seen & (K_AFT_MIN | K_AFT_MAX)) != 0;

	if ((r->seen & K_CLASSES) && resolve_classes(c, r) != 0)
		return -1;
	if (!!(r->seen & K_COEF) == !!(r->seen & K_PER_YEAR)) {
		perr(c, r->line, "[term.%s]: give exactly one of 'coef' and "
		    "'per_year'", r->code);
		return -1;
	}
	if ((r->seen & K_CAP) && !(r->seen & K_PER_YEAR)) {
		perr(c, r->line, "[term.%s]: 'cap' goes with 'per_year'",
		    r->code);
		return -1;
	}
	if (r->pay == PAY_SINGLE && (r->phase != PHASE_ANY || has_after)) {
		perr(c, r->line, "[term.%s]: a single premium has no payment "
		    "period: phase and after_year_* need pay = regular",
		    r->code);
		return -1;
	}
	if (has_after && r->phase != PHASE_AFTER) {
		perr(c, r->line, "[term.%s]: after_year_min/max need phase = "
		    "after", r->code);
		return -1;
	}
	if (((r->seen & K_POL_MIN) && r->pol_min < 1) ||
	    ((r->seen & K_POL_MAX) && r->pol_max < 1) ||
	    ((r->seen & K_AFT_MIN) && r->aft_min < 1) ||
	    ((r->seen & K_AFT_MAX) && r->aft_max < 1)) {
		perr(c, r->line, "[term.%s]: years count from 1 (the first "
		    "policy year / the first year after the payment period)",
		    r->code);
		return -1;
	}
	if (((r->seen & K_PY_MIN) && (r->seen & K_PY_MAX) &&
	    r->py_min > r->py_max) ||
	    ((r->seen & K_POL_MIN) && (r->seen & K_POL_MAX) &&
	    r->pol_min > r->pol_max) ||
	    ((r->seen & K_AFT_MIN) && (r->seen & K_AFT_MAX) &&
	    r->aft_min > r->aft_max)) {
		perr(c, r->line, "[term.%s]: a _min above its _max matches "
		    "nothing", r->code);
		return -1;
	}
	if (!(r->seen & K_CAP))
		r->cap = COEF_MAX;
	return 0;
}

static int
check_level_value(pctx_t *c, int line, const char *what, const char *v,
    int64_t *out)
{
	if (parse_int_value(v, out) != 0) {
		perr(c, line, "%s: customer.%s is INTEGER, so the value must "
		    "be a whole number, not '%s'", what, c->s->level_column, v);
		return -1;
	}
	return 0;
}

/* Whole-scheme checks after the last line. */
static int
check_scheme(pctx_t *c)
{
	fsy_tier_scheme_t *s = c->s;
	unsigned classed = 0;

	if (!s->scheme_line) {
		perr(c, 1, "no [scheme] section");
		return -1;
	}
	if (!(s->seen & K_ID) || !(s->seen & K_NAME) ||
	    !(s->seen & K_STATUSES)) {
		perr(c, s->scheme_line, "[scheme]: '%s' is required",
		    !(s->seen & K_ID) ? "id" : !(s->seen & K_NAME) ? "name" :
		    "statuses");
		return -1;
	}
	if (s->statuses == 0) {
		perr(c, s->scheme_line, "[scheme]: statuses is empty");
		return -1;
	}
	if (s->level_column[0] && check_column(c, "level_column",
	    s->level_column, 0, &s->level_col_int) != 0)
		return -1;
	if (s->score_column[0]) {
		int dummy;
		if (check_column(c, "score_column", s->score_column, 1,
		    &dummy) != 0)
			return -1;
		if (strcmp(s->score_column, s->level_column) == 0) {
			perr(c, s->scheme_line, "[scheme]: level_column and "
			    "score_column are the same column");
			return -1;
		}
	}
	if (s->seen & K_NONE) {
		if (!s->level_column[0]) {
			perr(c, s->scheme_line, "[scheme]: none_value needs a "
			    "level_column");
			return -1;
		}
		if (s->level_col_int && check_level_value(c, s->scheme_line,
		    "[scheme]: none_value", s->none_value, &s->none_int) != 0)
			return -1;
	}

	/* classes */
	if (s->nclasses == 0) {
		perr(c, s->scheme_line, "no [class.NAME] section: every "
		    "counted product type needs a class");
		return -1;
	}
	s->default_class = -1;
	for (int i = 0; i < s->nclasses; i++) {
		tclass_t *k = &s->classes[i];
		if (!(k->seen & K_PRODUCTS) || (k->products == 0 && !k->all)) {
			perr(c, k->line, "[class.%s]: 'products' is required",
			    k->code);
			return -1;
		}
		if (!(k->seen & K_COEF)) {
			perr(c, k->line, "[class.%s]: 'coef' is required",
			    k->code);
			return -1;
		}
		if (k->products & classed) {
			for (int j = 0; j < NPRODUCTS; j++)
				if (k->products & classed & (1u << j)) {
					perr(c, k->line, "[class.%s]: product "
					    "type '%s' is already in another "
					    "class", k->code, product_names[j]);
					break;
				}
			return -1;
		}
		if (k->products & s->exclude_products) {
			perr(c, k->line, "[class.%s]: lists a product type "
			    "that [scheme] exclude_products excludes", k->code);
			return -1;
		}
		classed |= k->products;
		if (k->all) {
			if (s->default_class >= 0) {
				perr(c, k->line, "[class.%s]: products = * is "
				    "already in [class.%s]", k->code,
				    s->classes[s->default_class].code);
				return -1;
			}
			s->default_class = i;
		}
	}

	/* term rules */
	if (s->nrules == 0) {
		perr(c, s->scheme_line, "no [term.NAME] section: without a "
		    "term rule every policy scores 0");
		return -1;
	}
	for (int i = 0; i < s->nrules; i++)
		if (check_rule(c, &s->rules[i]) != 0)
			return -1;

	/* levels */
	if (s->nlevels == 0) {
		perr(c, s->scheme_line, "no [level.NAME] section");
		return -1;
	}
	for (int i = 0; i < s->nlevels; i++) {
		level_t *l = &s->levels[i];
		if (!(l->seen & K_NAME) || !(l->seen & K_MIN)) {
			perr(c, l->line, "[level.%s]: '%s' is required",
			    l->code, !(l->seen & K_NAME) ? "name" : "min_yuan");
			return -1;
		}
		if (i > 0 && l->min <= s->levels[i - 1].min) {
			perr(c, l->line, "[level.%s]: min_yuan must be above "
			    "[level.%s]'s (list levels lowest first)", l->code,
			    s->levels[i - 1].code);
			return -1;
		}
		if (!(l->seen & K_VALUE))
			memcpy(l->value, l->code, strlen(l->code) + 1);
		if (s->level_column[0] && s->level_col_int) {
			char what[64];
			snprintf(what, sizeof(what), "[level.%s]: value",
			    l->code);
			if (check_level_value(c, l->line, what, l->value,
			    &l->value_int) != 0)
				return -1;
		}
	}
	if (s->inherit) {
		for (int i = 0; i < s->nbenefits; i++)
			for (int j = 0; j < i; j++)
				if (strcmp(s->benefits[i].name,
				    s->benefits[j].name) == 0) {
					level_t *l = &s->levels[
					    s->benefits[i].level];
					perr(c, l->benefits_line, "[level.%s]: "
					    "benefit '%s' is already open from "
					    "[level.%s] (benefits_inherit = "
					    "yes)", l->code,
					    s->benefits[i].name,
					    s->levels[s->benefits[j].level].code);
					return -1;
				}
	}

	/* honour */
	if (s->honour_line) {
		if (!(s->honour_seen & K_NAME) || !(s->honour_seen & K_MIN) ||
		    !(s->honour_seen & K_STATUSES) ||
		    s->honour_statuses == 0) {
			perr(c, s->honour_line, "[honour]: 'name', 'min_yuan' "
			    "and 'statuses' are required");
			return -1;
		}
	}
	return 0;
}

int
fsy_tier_scheme_parse(const char *text, const char *origin,
    fsy_tier_scheme_t **out, char *errbuf, size_t errlen)
{
	int rv = FSY_OK, rc;
	fsy_tier_scheme_t *s = NULL;
	pctx_t c;

	if (origin == NULL)
		origin = "scheme";
	if (strlen(text) > FSY_TIER_MAX_FILE) {
		if (errbuf)
			snprintf(errbuf, errlen, "%s: larger than %d bytes",
			    origin, FSY_TIER_MAX_FILE);
		rv = FSY_ETOOBIG;
		goto out;
	}
	if ((s = calloc(1, sizeof(*s))) == NULL) {
		rv = FSY_ENOMEM;
		goto out;
	}
	snprintf(s->origin, sizeof(s->origin), "%s", origin);
	memset(&c, 0, sizeof(c));
	c.s = s;
	c.p = text;
	rc = ini_parse_stream(reader, &c, on_kv, &c);
	if (rc < 0) {
		rv = FSY_ENOMEM;
		goto out;
	}
	if (rc > 0 && (c.errline == 0 || rc < c.errline)) {
		c.errline = rc;
		snprintf(c.err, sizeof(c.err), "syntax error (expected "
		    "[section], name = value, or a ; comment)");
	}
	if (c.errline == 0)
		(void)check_scheme(&c);
	if (c.errline != 0) {
		if (errbuf)
			snprintf(errbuf, errlen, "%s:%d: %s", origin, c.errline,
			    c.err);
		rv = FSY_ESCHEME;
		goto out;
	}
	*out = s;
	s = NULL;
out:
	free(s);
	return rv;
}

int
fsy_tier_scheme_load(const char *path, fsy_tier_scheme_t **out,
    char *errbuf, size_t errlen)
{
	int rv = FSY_OK;
	FILE *f = NULL;
	char *buf = NULL;
	size_t n = 0;

	if ((f = fopen(path, "rb")) == NULL) {
		rv = errno == ENOENT ? FSY_ENOTFOUND : FSY_EIO;
		if (errbuf)
			snprintf(errbuf, errlen, "%s: %s", path,
			    strerror(errno));
		goto out;
	}
	if ((buf = malloc(FSY_TIER_MAX_FILE + 2)) == NULL) {
		rv = FSY_ENOMEM;
		goto out;
	}
	n = fread(buf, 1, FSY_TIER_MAX_FILE + 1, f);
	if (ferror(f)) {
		rv = FSY_EIO;
		if (errbuf)
			snprintf(errbuf, errlen, "%s: read error", path);
		goto out;
	}
	if (n > FSY_TIER_MAX_FILE) {
		rv = FSY_ETOOBIG;
		if (errbuf)
			snprintf(errbuf, errlen, "%s: larger than %d bytes",
			    path, FSY_TIER_MAX_FILE);
		goto out;
	}
	buf[n] = '\0';
	if (memchr(buf, '\0', n) != NULL) {
		int line = 1;
		for (const char *p = buf; *p; p++)
			line += *p == '\n';
		rv = FSY_ESCHEME;
		if (errbuf)
			snprintf(errbuf, errlen, "%s:%d: NUL byte (not a text "
			    "file)", path, line);
		goto out;
	}
	rv = fsy_tier_scheme_parse(buf, path, out, errbuf, errlen);
out:
	free(buf);
	if (f)
		fclose(f);
	return rv;
}

void
fsy_tier_scheme_free(fsy_tier_scheme_t *s)
{
	free(s);
}

const char *
fsy_tier_scheme_id(const fsy_tier_scheme_t *s)
{
	return s->id;
}

const char *
fsy_tier_scheme_name(const fsy_tier_scheme_t *s)
{
	return s->name;
}

const char *
fsy_tier_scheme_level_column(const fsy_tier_scheme_t *s)
{
	return s->level_column[0] ? s->level_column : NULL;
}

const char *
fsy_tier_scheme_score_column(const fsy_tier_scheme_t *s)
{
	return s->score_column[0] ? s->score_column : NULL;
}

int
fsy_tier_scheme_nlevels(const fsy_tier_scheme_t *s)
{
	return s->nlevels;
}

const char *
fsy_tier_level_code(const fsy_tier_scheme_t *s, int i)
{
	return i >= 0 && i < s->nlevels ? s->levels[i].code : NULL;
}

const char *
fsy_tier_level_name(const fsy_tier_scheme_t *s, int i)
{
	return i >= 0 && i < s->nlevels ? s->levels[i].name : NULL;
}

int64_t
fsy_tier_level_min(const fsy_tier_scheme_t *s, int i)
{
	return i >= 0 && i < s->nlevels ? s->levels[i].min : -1;
}

/* ---- scheme directories -------------------------------------------------- */

int
fsy_tiers_default_dir(char *buf, size_t n)
{
	const char *env = getenv("FSY_DATADIR");
	struct stat sb;
	int w;

	if (env != NULL && env[0] != '\0')
		w = snprintf(buf, n, "%s/tiers", env);
	else if (stat(FSY_DATADIR_BUILD "/tiers", &sb) == 0 &&
	    S_ISDIR(sb.st_mode))
		w = snprintf(buf, n, "%s", FSY_DATADIR_BUILD "/tiers");
	else
		w = snprintf(buf, n, "%s", FSY_DATADIR_INSTALL "/tiers");
	return w < 0 || (size_t)w >= n ? FSY_ETOOBIG : FSY_OK;
}

static int
cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int
fsy_tiers_load_dir(const char *dir, fsy_tiers_t **out, char *errbuf,
    size_t errlen)
{
	int rv = FSY_OK;
	char defdir[1024], path[2048];
	DIR *d = NULL;
	struct dirent *e;
	char *names[FSY_TIER_MAX_SCHEMES];
	int nnames = 0;
	fsy_tiers_t *t = NULL;

	if (dir == NULL) {
		if ((rv = fsy_tiers_default_dir(defdir, sizeof(defdir))) != 0)
			goto out;
		dir = defdir;
	}
	if ((d = opendir(dir)) == NULL) {
		rv = errno == ENOENT ? FSY_ENOTFOUND : FSY_EIO;
		if (errbuf)
			snprintf(errbuf, errlen, "%s: %s", dir, strerror(errno));
		goto out;
	}
	while ((e = readdir(d)) != NULL) {
		size_t len = strlen(e->d_name);
		if (e->d_name[0] == '.' || len < 5 ||
		    strcmp(e->d_name + len - 4, ".ini") != 0)
			continue;
		if (nnames == FSY_TIER_MAX_SCHEMES) {
			rv = FSY_ETOOBIG;
			if (errbuf)
				snprintf(errbuf, errlen, "%s: more than %d "
				    "tier schemes", dir, FSY_TIER_MAX_SCHEMES);
			goto out;
		}
		if ((names[nnames] = strdup(e->d_name)) == NULL) {
			rv = FSY_ENOMEM;
			goto out;
		}
		nnames++;
	}
	if (nnames == 0) {
		rv = FSY_ENOTFOUND;
		if (errbuf)
			snprintf(errbuf, errlen, "%s: no tier scheme (*.ini)",
			    dir);
		goto out;
	}
	qsort(names, (size_t)nnames, sizeof(names[0]), cmp_names);
	if ((t = calloc(1, sizeof(*t))) == NULL) {
		rv = FSY_ENOMEM;
		goto out;
	}
	for (int i = 0; i < nnames; i++) {
		fsy_tier_scheme_t *s = NULL;
		int w = snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		if (w < 0 || (size_t)w >= sizeof(path)) {
			rv = FSY_ETOOBIG;
			if (errbuf)
				snprintf(errbuf, errlen, "%s: path too long",
				    names[i]);
			goto out;
		}
		if ((rv = fsy_tier_scheme_load(path, &s, errbuf, errlen)) != 0)
			goto out;
		t->schemes[t->n++] = s;
		for (int j = 0; j + 1 < t->n; j++) {
			const fsy_tier_scheme_t *o = t->schemes[j];
			const char *clash = NULL;
			if (strcmp(o->id, s->id) == 0)
				clash = "scheme id";
			else if (s->level_column[0] &&
			    (!strcmp(s->level_column, o->level_column) ||
			    !strcmp(s->level_column, o->score_column)))
				clash = "level_column";
			else if (s->score_column[0] &&
			    (!strcmp(s->score_column, o->level_column) ||
			    !strcmp(s->score_column, o->score_column)))
				clash = "score_column";
			if (clash) {
				rv = FSY_ESCHEME;
				if (errbuf)
					snprintf(errbuf, errlen, "%s:%d: %s "
					    "already used by %s", s->origin,
					    s->scheme_line, clash, o->origin);
				goto out;
			}
		}
	}
	*out = t;
	t = NULL;
out:
	fsy_tiers_free(t);
	for (int i = 0; i < nnames; i++)
		free(names[i]);
	if (d)
		closedir(d);
	return rv;
}

void
fsy_tiers_free(fsy_tiers_t *t)
{
	if (t == NULL)
		return;
	for (int i = 0; i < t->n; i++)
		fsy_tier_scheme_free(t->schemes[i]);
	free(t);
}

int
fsy_tiers_count(const fsy_tiers_t *t)
{
	return t->n;
}

const fsy_tier_scheme_t *
fsy_tiers_at(const fsy_tiers_t *t, int i)
{
	return i >= 0 && i < t->n ? t->schemes[i] : NULL;
}

const fsy_tier_scheme_t *
fsy_tiers_find(const fsy_tiers_t *t, const char *id)
{
	for (int i = 0; i < t->n; i++)
		if (strcmp(t->schemes[i]->id, id) == 0)
			return t->schemes[i];
	return NULL;
}

/* ---- evaluation ---------------------------------------------------------- */

/* A civil date. */
typedef struct {
	int64_t day; /* days since 1970-01-01 */
	int y, m, d;
} cdate_t;

/* Parses 'YYYY-MM-DD' (or the date part of an instant) into *out. */
static int
parse_date(const char *s, cdate_t *out)
{
	char buf[11];
	int64_t ms;

	if (s == NULL || strlen(s) < 10 ||
	    (s[10] != '\0' && s[10] != 'T' && s[10] != ' '))
		return FSY_EINVAL;
	memcpy(buf, s, 10);
	buf[10] = '\0';
	if (fsy_parse_time(buf, &ms) != FSY_OK)
		return FSY_EINVAL;
	out->day = ms / MS_PER_DAY; /* exact: midnight */
	out->y = (buf[0] - '0') * 1000 + (buf[1] - '0') * 100 +
	    (buf[2] - '0') * 10 + (buf[3] - '0');
	out->m = (buf[5] - '0') * 10 + (buf[6] - '0');
	out->d = (buf[8] - '0') * 10 + (buf[9] - '0');
	return FSY_OK;
}

/* as_of, or today (UTC) when NULL. */
static int
as_of_date(const char *as_of, cdate_t *out)
{
	int64_t ms, day;
	unsigned m, d;

	if (as_of != NULL)
		return parse_date(as_of, out);
	ms = fsy_now_ms();
	day = ms / MS_PER_DAY - (ms % MS_PER_DAY < 0);
	fsy_civil_from_days(day, &out->y, &m, &d);
	out->day = day;
	out->m = (int)m;
	out->d = (int)d;
	return FSY_OK;
}

/* Whole years from a to b (b >= a): anniversaries passed. A 29 February
 * issue has its anniversary on 1 March in common years. */
static int64_t
full_years(const cdate_t *a, const cdate_t *b)
{
	int64_t y = b->y - a->y;

	if (b->m < a->m || (b->m == a->m && b->d < a->d))
		y--;
	return y;
}

/* floor(a × b / d) exactly, with a 128-bit intermediate product. Returns
 * FSY_ERANGE when the quotient does not fit int64_t. */
static int
muldiv(uint64_t a, uint64_t b, uint64_t d, int64_t *out)
{
	uint64_t al = a & 0xffffffffu, ah = a >> 32;
	uint64_t bl = b & 0xffffffffu, bh = b >> 32;
	uint64_t ll = al * bl, lh = al * bh, hl = ah * bl, hh = ah * bh;
	uint64_t mid = (ll >> 32) + (lh & 0xffffffffu) + (hl & 0xffffffffu);
	uint64_t lo = (ll & 0xffffffffu) | (mid << 32);
	uint64_t hi = hh + (lh >> 32) + (hl >> 32) + (mid >> 32);
	uint64_t q = 0, r = hi;

	if (hi >= d)
		return FSY_ERANGE;
	for (int i = 63; i >= 0; i--) {
		uint64_t carry = r >> 63;
		r = (r << 1) | ((lo >> i) & 1u);
		q <<= 1;
		if (carry || r >= d) {
			r -= d;
			q |= 1;
		}
	}
	if (q > (uint64_t)INT64_MAX)
		return FSY_ERANGE;
	*out = (int64_t)q;
	return FSY_OK;
}

/* What is known of one policy on the as-of date. */
typedef struct {
	int product;       /* product_names index, -1 unknown */
	int status;        /* status_names index, -1 unknown */
	int pay;           /* PAY_REGULAR / PAY_SINGLE, PAY_ANY: unknown */
	int years;         /* X: payment years (0 single), -1 unknown */
	int dated;         /* 1: issue date known */
	int issued;        /* 1: issued on or before as-of */
	int64_t age_days;  /* as-of minus issue, days */
	int64_t pol_year;  /* policy year on as-of, 1 = first */
	int64_t annual;    /* annualised premium, fen; -1 unknown */
} facts_t;

static int64_t
money_field(int64_t v)
{
	return v < 0 || v > FSY_TIER_MAX_FEN ? -1 : v;
}

static void
policy_facts(const fsy_tier_policy_t *p, const cdate_t *asof, facts_t *f)
{
	cdate_t issue;
	int factor = 0;
	int64_t modal;

	memset(f, 0, sizeof(*f));
	f->product = find_name(product_names, NPRODUCTS, p->product_type);
	f->status = find_name(status_names, NSTATUSES, p->status);
	f->years = -1;
	if (strcmp(p->pay_mode, "single") == 0 || p->payment_years == 0) {
		f->pay = PAY_SINGLE;
		f->years = 0;
	} else if (p->payment_years >= 1 && p->payment_years <= MAX_PAY_YEARS) {
		f->pay = PAY_REGULAR;
		f->years = p->payment_years;
	} else {
		f->pay = PAY_ANY; /* cannot tell */
	}
	if (parse_date(p->issue_date, &issue) == FSY_OK) {
		f->dated = 1;
		f->issued = issue.day <= asof->day;
		f->age_days = asof->day - issue.day;
		f->pol_year = f->issued ? full_years(&issue, asof) + 1 : 0;
	}
	f->annual = money_field(p->annual_premium_fen);
	modal = money_field(p->modal_premium_fen);
	if (f->annual < 0 && modal >= 0) {
		if (!strcmp(p->pay_mode, "annual") || !strcmp(p->pay_mode, "single"))
			factor = 1;
		else if (!strcmp(p->pay_mode, "half"))
			factor = 2;
		else if (!strcmp(p->pay_mode, "quarter"))
			factor = 4;
		else if (!strcmp(p->pay_mode, "monthly"))
			factor = 12;
		if (factor > 0 && modal <= FSY_TIER_MAX_FEN / factor)
			f->annual = modal * factor;
	}
}

/* Rule match: 1 matches, 0 not, -1 needs data the policy lacks. */
static int
rule_match(const rule_t *r, int cls, const facts_t *f)
{
	int need_pay = r->pay != PAY_ANY || r->phase != PHASE_ANY ||
	    (r->seen & (K_PY_MIN | K_PY_MAX | K_PER_YEAR)) != 0;
	int need_year = r->phase != PHASE_ANY ||
	    (r->seen & (K_POL_MIN | K_POL_MAX | K_AFT_MIN | K_AFT_MAX)) != 0;
	int64_t after;

	if (r->classes && !(r->classes & (1u << cls)))
		return 0;
	if (need_pay && f->pay == PAY_ANY)
		return -1;
	if (r->pay != PAY_ANY && r->pay != f->pay)
		return 0;
	if (r->phase != PHASE_ANY && f->pay != PAY_REGULAR)
		return 0;
	if (need_year && !f->dated)
		return -1;
	if ((r->seen & K_PY_MIN) && f->years < r->py_min)
		return 0;
	if ((r->seen & K_PY_MAX) && f->years > r->py_max)
		return 0;
	if ((r->seen & K_POL_MIN) && f->pol_year < r->pol_min)
		return 0;
	if ((r->seen & K_POL_MAX) && f->pol_year > r->pol_max)
		return 0;
	if (r->phase == PHASE_PAYING && f->pol_year > f->years)
		return 0;
	if (r->phase == PHASE_AFTER) {
		if (f->pol_year <= f->years)
			return 0;
		after = f->pol_year - f->years;
		if ((r->seen & K_AFT_MIN) && after < r->aft_min)
			return 0;
		if ((r->seen & K_AFT_MAX) && after > r->aft_max)
			return 0;
	}
	return 1;
}

/* The score contribution of one policy: *how 1 counted, 0 left out, -1
 * lacking data. */
static int
points(const fsy_tier_scheme_t *s, const fsy_tier_policy_t *p,
    const facts_t *f, int64_t *fen, int *how)
{
	const tclass_t *k;
	const rule_t *r = NULL;
	int cls = -1, m = 0;
	int64_t base, term;

	*fen = 0;
	*how = 0;
	if (p->external && !s->include_external)
		return FSY_OK;
	if (s->main_only && !p->is_main)
		return FSY_OK;
	if (s->exclude_converted && p->annuity_converted)
		return FSY_OK;
	if (f->status < 0 || !(s->statuses & (1u << f->status)))
		return FSY_OK;
	if (f->product >= 0) {
		if (s->exclude_products & (1u << f->product))
			return FSY_OK;
		for (int i = 0; i < s->nclasses && cls < 0; i++)
			if (s->classes[i].products & (1u << f->product))
				cls = i;
	}
	if (cls < 0)
		cls = s->default_class;
	if (cls < 0)
		return FSY_OK;
	k = &s->classes[cls];
	if (f->dated && !f->issued)
		return FSY_OK; /* not issued yet on as-of */
	if (s->cooling_off_days > 0) {
		if (!f->dated) {
			*how = -1;
			return FSY_OK;
		}
		if (f->age_days < s->cooling_off_days)
			return FSY_OK;
	}
	base = k->base == BASE_ACCOUNT ? money_field(p->account_value_fen) :
	    f->annual;
	if (base < 0) {
		*how = -1;
		return FSY_OK;
	}
	for (int i = 0; i < s->nrules; i++) {
		m = rule_match(&s->rules[i], cls, f);
		if (m != 0) {
			r = &s->rules[i];
			break;
		}
	}
	if (m < 0) {
		*how = -1;
		return FSY_OK;
	}
	*how = 1;
	if (r == NULL)
		return FSY_OK; /* no rule: term coefficient 0 */
	if (r->seen & K_PER_YEAR) {
		term = r->per_year * f->years; /* ≤ 1000e6 × 100: no overflow */
		if (term > r->cap)
			term = r->cap;
		if (term > COEF_MAX)
			term = COEF_MAX;
	} else {
		term = r->coef;
	}
	return muldiv((uint64_t)base, (uint64_t)(k->coef * term),
	    (uint64_t)FSY_TIER_COEF_SCALE * FSY_TIER_COEF_SCALE, fen);
}

/* The premium paid to as-of (honour basis): single premium, or annual
 * premium × policy years begun, at most the payment years. *how as for
 * points(). */
static int
paid(const fsy_tier_scheme_t *s, const fsy_tier_policy_t *p,
    const facts_t *f, int64_t *fen, int *how)
{
	int64_t years;

	*fen = 0;
	*how = 0;
	if (p->external && !s->include_external)
		return FSY_OK;
	if (f->status < 0 || !(s->honour_statuses & (1u << f->status)))
		return FSY_OK;
	if (f->dated && !f->issued)
		return FSY_OK;
	if (f->annual < 0 || f->pay == PAY_ANY ||
	    (f->pay == PAY_REGULAR && !f->dated)) {
		*how = -1;
		return FSY_OK;
	}
	*how = 1;
	years = f->pay == PAY_SINGLE ? 1 :
	    f->pol_year < f->years ? f->pol_year : f->years;
	if (years > 0 && f->annual > INT64_MAX / years)
		return FSY_ERANGE;
	*fen = f->annual * years;
	return FSY_OK;
}

int
fsy_tier_policy_points(const fsy_tier_scheme_t *s,
    const fsy_tier_policy_t *p, const char *as_of, int64_t *fen, int *how)
{
	cdate_t asof;
	facts_t f;
	int h = 0, rv;

	*fen = 0;
	if ((rv = as_of_date(as_of, &asof)) != FSY_OK)
		return rv;
	policy_facts(p, &asof, &f);
	rv = points(s, p, &f, fen, &h);
	if (how)
		*how = h;
	return rv;
}

/* Evaluates with a parsed as-of date. */
static int
eval(const fsy_tier_scheme_t *s, const fsy_tier_policy_t *p, size_t n,
    const cdate_t *asof, fsy_tier_result_t *out)
{
	int rv = FSY_OK;
	int64_t total = 0, total_paid = 0;

	memset(out, 0, sizeof(*out));
	out->level = -1;
	out->next = -1;
	out->honour = s->honour_line ? 0 : -1;
	for (size_t i = 0; i < n; i++) {
		facts_t f;
		int64_t v;
		int how, hhow = 0;

		policy_facts(&p[i], asof, &f);
		if ((rv = points(s, &p[i], &f, &v, &how)) != FSY_OK)
			goto out;
		if (v > INT64_MAX - total) {
			rv = FSY_ERANGE;
			goto out;
		}
		total += v;
		if (s->honour_line) {
			if ((rv = paid(s, &p[i], &f, &v, &hhow)) != FSY_OK)
				goto out;
			if (v > INT64_MAX - total_paid) {
				rv = FSY_ERANGE;
				goto out;
			}
			total_paid += v;
		}
		out->ncounted += how > 0;
		out->nskipped += how < 0 || hhow < 0;
	}
	out->score_fen = total;
	for (int i = 0; i < s->nlevels; i++)
		if (s->levels[i].min <= total)
			out->level = i;
	if (out->level >= 0) {
		out->level_code = s->levels[out->level].code;
		out->level_name = s->levels[out->level].name;
	}
	if (out->level + 1 < s->nlevels) {
		out->next = out->level + 1;
		out->next_name = s->levels[out->next].name;
		out->gap_fen = s->levels[out->next].min - total;
	}
	for (int i = 0; i < s->nbenefits && out->level >= 0; i++) {
		int l = s->benefits[i].level;
		if (l == out->level || (s->inherit && l < out->level))
			out->benefits[out->nbenefits++] = s->benefits[i].name;
	}
	if (s->honour_line) {
		out->paid_fen = total_paid;
		out->honour = total_paid >= s->honour_min;
	}
out:
	return rv;
}

int
fsy_tier_eval(const fsy_tier_scheme_t *s, const fsy_tier_policy_t *p,
    size_t n, const char *as_of, fsy_tier_result_t *out)
{
	cdate_t asof;
	int rv;

	memset(out, 0, sizeof(*out));
	out->level = out->next = -1;
	if ((rv = as_of_date(as_of, &asof)) != FSY_OK)
		return rv;
	return eval(s, p, n, &asof, out);
}

/* ---- the store ----------------------------------------------------------- */

/* A growable policy array. */
typedef struct {
	fsy_tier_policy_t *v;
	size_t n, cap;
} pbuf_t;

static void
copy_text(char *dst, size_t cap, sqlite3_stmt *s, int col)
{
	const unsigned char *t = sqlite3_column_text(s, col);
	size_t n = t ? (size_t)sqlite3_column_bytes(s, col) : 0;

	/* Too long for the field: no value of the vocabulary, so "". */
	if (t == NULL || n >= cap)
		n = 0;
	memcpy(dst, t ? (const char *)t : "", n);
	dst[n] = '\0';
}

static int64_t
int_col(sqlite3_stmt *s, int col)
{
	return sqlite3_column_type(s, col) == SQLITE_INTEGER ?
	    sqlite3_column_int64(s, col) : FSY_TIER_UNSET;
}

static const char sql_policies[] =
    "SELECT id, product_type, pay_mode, modal_premium_fen, "
    "annual_premium_fen, payment_years, issue_date, status, "
    "account_value_fen, is_main, annuity_converted, external "
    "FROM policy WHERE customer_id = ?1 AND deleted = 0 ORDER BY id";

/* Loads the customer's non-deleted policies into b (emptied first). */
static int
load_policies(fsy_store_t *st, const char *cid, pbuf_t *b)
{
	sqlite3_stmt *s = NULL;
	int rv, rc;

	b->n = 0;
	if ((rv = fsy_store_stmt(st, sql_policies, &s)) != FSY_OK)
		goto out;
	sqlite3_bind_text(s, 1, cid, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		fsy_tier_policy_t *p;
		const unsigned char *date;
		int64_t y;

		if (b->n == b->cap) {
			size_t ncap = b->cap ? b->cap * 2 : 16;
			fsy_tier_policy_t *nv;
			if (b->n >= FSY_TIER_MAX_POLICIES) {
				rv = FSY_ETOOBIG;
				goto out;
			}
			if (ncap > FSY_TIER_MAX_POLICIES)
				ncap = FSY_TIER_MAX_POLICIES;
			if ((nv = realloc(b->v, ncap * sizeof(*nv))) == NULL) {
				rv = FSY_ENOMEM;
				goto out;
			}
			b->v = nv;
			b->cap = ncap;
		}
		p = &b->v[b->n++];
		memset(p, 0, sizeof(*p));
		copy_text(p->id, sizeof(p->id), s, 0);
		copy_text(p->product_type, sizeof(p->product_type), s, 1);
		copy_text(p->pay_mode, sizeof(p->pay_mode), s, 2);
		p->modal_premium_fen = int_col(s, 3);
		p->annual_premium_fen = int_col(s, 4);
		y = int_col(s, 5);
		p->payment_years = y < 0 || y > INT32_MAX ? FSY_TIER_UNSET :
		    (int)y;
		/* the date part of a date or an instant */
		date = sqlite3_column_text(s, 6);
		if (date && sqlite3_column_bytes(s, 6) >= 10 &&
		    (date[10] == '\0' || date[10] == 'T' || date[10] == ' ')) {
			memcpy(p->issue_date, date, 10);
			p->issue_date[10] = '\0';
		}
		copy_text(p->status, sizeof(p->status), s, 7);
		p->account_value_fen = int_col(s, 8);
		p->is_main = int_col(s, 9) != 0;
		p->annuity_converted = int_col(s, 10) > 0;
		p->external = int_col(s, 11) > 0;
	}
	if (rc != SQLITE_DONE)
		rv = fsy_store_err(st, rc);
out:
	if (s)
		sqlite3_reset(s);
	return rv;
}

int
fsy_tier_load_policies(fsy_store_t *st, const char *customer_id,
    fsy_tier_policy_t **out, size_t *n)
{
	pbuf_t b = {NULL, 0, 0};
	int rv;

	*out = NULL;
	*n = 0;
	if ((rv = load_policies(st, customer_id, &b)) != FSY_OK) {
		free(b.v);
		return rv;
	}
	if (b.n == 0) {
		free(b.v);
		b.v = NULL;
	}
	*out = b.v;
	*n = b.n;
	return FSY_OK;
}

/* FSY_OK when the customer exists and is not deleted, else ENOTFOUND. */
static int
customer_live(fsy_store_t *st, const char *cid)
{
	sqlite3_stmt *s = NULL;
	int rv, rc;

	if ((rv = fsy_store_stmt(st, "SELECT deleted FROM customer WHERE id = ?1",
	    &s)) != FSY_OK)
		return rv;
	sqlite3_bind_text(s, 1, cid, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		rv = sqlite3_column_int64(s, 0) == 0 ? FSY_OK : FSY_ENOTFOUND;
	else if (rc == SQLITE_DONE)
		rv = FSY_ENOTFOUND;
	else
		rv = fsy_store_err(st, rc);
	sqlite3_reset(s);
	return rv;
}

int
fsy_tier_eval_customer(fsy_store_t *st, const fsy_tier_scheme_t *s,
    const char *customer_id, const char *as_of, fsy_tier_result_t *out)
{
	pbuf_t b = {NULL, 0, 0};
	cdate_t asof;
	int rv;

	memset(out, 0, sizeof(*out));
	out->level = out->next = -1;
	if ((rv = as_of_date(as_of, &asof)) != FSY_OK)
		goto out;
	if ((rv = customer_live(st, customer_id)) != FSY_OK)
		goto out;
	if ((rv = load_policies(st, customer_id, &b)) != FSY_OK)
		goto out;
	rv = eval(s, b.v, b.n, &asof, out);
out:
	free(b.v);
	return rv;
}

/* Reads the next page of live customer ids after `after` ("" at first),
 * optionally of one owner, into ids[] (strdup'ed; *n of them). */
static int
customer_page(fsy_store_t *st, const char *after, const char *owner,
    char **ids, int *n)
{
	sqlite3_stmt *s = NULL;
	int rv, rc;

	*n = 0;
	if ((rv = fsy_store_stmt(st,
	    "SELECT id FROM customer WHERE deleted = 0 AND id > ?1 AND "
	    "(?2 IS NULL OR owner_agent_id = ?2) ORDER BY id LIMIT " STR(PAGE),
	    &s)) != FSY_OK)
		return rv;
	sqlite3_bind_text(s, 1, after, -1, SQLITE_TRANSIENT);
	if (owner)
		sqlite3_bind_text(s, 2, owner, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW && *n < PAGE) {
		const char *id = (const char *)sqlite3_column_text(s, 0);
		if ((ids[*n] = strdup(id ? id : "")) == NULL) {
			rv = FSY_ENOMEM;
			break;
		}
		(*n)++;
	}
	if (rv == FSY_OK && rc != SQLITE_DONE && rc != SQLITE_ROW)
		rv = fsy_store_err(st, rc);
	sqlite3_reset(s);
	return rv;
}

static void
free_ids(char **ids, int *n)
{
	for (int i = 0; i < *n; i++)
		free(ids[i]);
	*n = 0;
}

/* Writes one column of customer cid when its value differs: v NULL binds
 * NULL, else text, or *iv for an integer. Adds to *writes. */
static int
write_col(fsy_store_t *st, const char *col, const char *cid, int is_int,
    const char *tv, const int64_t *iv, int64_t *writes)
{
	char sql[160];
	sqlite3_stmt *s = NULL;
	int rv, rc;

	snprintf(sql, sizeof(sql), "UPDATE customer SET %s = ?2 WHERE id = ?1 "
	    "AND %s IS NOT ?2", col, col);
	if ((rv = fsy_store_stmt(st, sql, &s)) != FSY_OK)
		return rv;
	sqlite3_bind_text(s, 1, cid, -1, SQLITE_STATIC);
	if (is_int && iv)
		sqlite3_bind_int64(s, 2, *iv);
	else if (!is_int && tv)
		sqlite3_bind_text(s, 2, tv, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_DONE)
		*writes += sqlite3_changes(fsy_store_db(st));
	else
		rv = fsy_store_err(st, rc);
	sqlite3_reset(s);
	return rv;
}

/* Evaluates customer cid with every writing scheme and writes changes. */
static int
update_customer(fsy_store_t *st, const fsy_tiers_t *set, const char *cid,
    const cdate_t *asof, pbuf_t *b, fsy_tiers_stats_t *stats)
{
	int rv;

	if ((rv = load_policies(st, cid, b)) != FSY_OK)
		return rv;
	for (int i = 0; i < set->n && rv == FSY_OK; i++) {
		const fsy_tier_scheme_t *s = set->schemes[i];
		fsy_tier_result_t r;
		const char *tv = NULL;
		const int64_t *iv = NULL;

		if (!s->level_column[0] && !s->score_column[0])
			continue;
		if ((rv = eval(s, b->v, b->n, asof, &r)) != FSY_OK)
			break;
		stats->skipped += r.nskipped;
		if (s->level_column[0]) {
			if (r.level >= 0) {
				tv = s->levels[r.level].value;
				iv = &s->levels[r.level].value_int;
			} else if (s->seen & K_NONE) {
				tv = s->none_value;
				iv = &s->none_int;
			}
			rv = write_col(st, s->level_column, cid,
			    s->level_col_int, tv, iv, &stats->writes);
		}
		if (rv == FSY_OK && s->score_column[0])
			rv = write_col(st, s->score_column, cid, 1, NULL,
			    &r.score_fen, &stats->writes);
	}
	return rv;
}

int
fsy_tiers_update(fsy_store_t *st, const fsy_tiers_t *set,
    const char *as_of, fsy_tiers_stats_t *stats, char *errbuf,
    size_t errlen)
{
	int rv = FSY_OK, n = 0, in_tx = 0;
	int own_tx = sqlite3_get_autocommit(fsy_store_db(st));
	char *ids[PAGE];
	char after[256] = "";
	cdate_t asof;
	pbuf_t b = {NULL, 0, 0};
	fsy_tiers_stats_t local;
	const char *failed = NULL;

	if (stats == NULL)
		stats = &local;
	memset(stats, 0, sizeof(*stats));
	if (fsy_store_role(st) != FSY_ROLE_HUB) {
		rv = FSY_ESTATE;
		if (errbuf)
			snprintf(errbuf, errlen, "tiers are written by the hub "
			    "only");
		goto out;
	}
	if ((rv = as_of_date(as_of, &asof)) != FSY_OK) {
		if (errbuf)
			snprintf(errbuf, errlen, "bad as-of date '%s'",
			    as_of ? as_of : "");
		goto out;
	}
	for (;;) {
		if ((rv = customer_page(st, after, NULL, ids, &n)) != FSY_OK)
			goto fail;
		if (n == 0)
			break;
		if (own_tx) {
			if ((rv = fsy_store_begin(st)) != FSY_OK)
				goto fail;
			in_tx = 1;
		}
		for (int i = 0; i < n; i++) {
			rv = update_customer(st, set, ids[i], &asof, &b, stats);
			if (rv != FSY_OK) {
				failed = ids[i];
				goto fail;
			}
			stats->customers++;
		}
		if (own_tx) {
			if ((rv = fsy_store_commit(st)) != FSY_OK)
				goto fail;
			in_tx = 0;
		}
		if (strlen(ids[n - 1]) >= sizeof(after)) {
			rv = FSY_ETOOBIG;
			failed = ids[n - 1];
			goto fail;
		}
		snprintf(after, sizeof(after), "%s", ids[n - 1]);
		free_ids(ids, &n);
	}
	goto out;
fail:
	if (errbuf) {
		/* the store's message explains store errors only */
		int own = rv == FSY_ENOMEM || rv == FSY_ETOOBIG ||
		    rv == FSY_ERANGE;
		const char *why = own ? "" : fsy_store_errmsg(st);
		snprintf(errbuf, errlen, "tier update%s%s: %s%s%s",
		    failed ? " of customer " : "", failed ? failed : "",
		    fsy_strerror(rv), why[0] ? ": " : "", why);
	}
	if (in_tx)
		fsy_store_rollback(st);
out:
	free_ids(ids, &n);
	free(b.v);
	return rv;
}

int
fsy_tier_distribution(fsy_store_t *st, const fsy_tier_scheme_t *s,
    const char *as_of, const char *owner_agent_id, fsy_tier_dist_t *out)
{
	int rv = FSY_OK, n = 0;
	char *ids[PAGE];
	char after[256] = "";
	cdate_t asof;
	pbuf_t b = {NULL, 0, 0};

	memset(out, 0, sizeof(*out));
	if ((rv = as_of_date(as_of, &asof)) != FSY_OK)
		goto out;
	for (;;) {
		if ((rv = customer_page(st, after, owner_agent_id, ids, &n)) !=
		    FSY_OK || n == 0)
			goto out;
		for (int i = 0; i < n; i++) {
			fsy_tier_result_t r;
			if ((rv = load_policies(st, ids[i], &b)) != FSY_OK ||
			    (rv = eval(s, b.v, b.n, &asof, &r)) != FSY_OK)
				goto out;
			out->customers++;
			if (r.level < 0)
				out->none++;
			else
				out->levels[r.level]++;
			out->honour += r.honour == 1;
			if (r.score_fen > INT64_MAX - out->score_fen) {
				rv = FSY_ERANGE;
				goto out;
			}
			out->score_fen += r.score_fen;
		}
		if (strlen(ids[n - 1]) >= sizeof(after)) {
			rv = FSY_ETOOBIG;
			goto out;
		}
		snprintf(after, sizeof(after), "%s", ids[n - 1]);
		free_ids(ids, &n);
	}
out:
	free_ids(ids, &n);
	free(b.v);
	return rv;
}
