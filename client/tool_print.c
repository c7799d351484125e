/*
 * tool_print.c — readable output of the replies: records (label: value),
 * aligned tables (Chinese text counts two columns), the service card.
 *
 * Money travels in fen and is shown in yuan ("12,000.00"); instants travel
 * in UTC and are shown in China Standard Time ("2026-11-20 14:30"), the
 * time the daemon reads local times in. --json shows the data unchanged.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tool.h"

/* Local time of the business, minutes east of UTC (as the daemon's). */
#define TZ_MIN 480

/* Widest table cell, in columns; longer text is cut with "…". */
#define CELL_MAX 40

/* Most columns of a table. */
#define COLS_MAX 16

/* The string at key of o, or "-". */
static const char *
str_of(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s != NULL ? s : "-";
}

/* ---- widths and cells ----------------------------------------------------- */

/* Decodes one UTF-8 character at s into *cp; returns its length (1 for a
 * bad byte, taken as is). */
static size_t
utf8_next(const char *s, uint32_t *cp)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t n, i;

	if (u[0] < 0x80) {
		*cp = u[0];
		return 1;
	}
	n = (u[0] & 0xe0) == 0xc0 ? 2 : (u[0] & 0xf0) == 0xe0 ? 3
	    : (u[0] & 0xf8) == 0xf0 ? 4 : 0;
	if (n == 0) {
		*cp = '?';
		return 1;
	}
	*cp = u[0] & (0x7f >> n);
	for (i = 1; i < n; i++) {
		if ((u[i] & 0xc0) != 0x80) {
			*cp = '?';
			return 1;
		}
		*cp = (*cp << 6) | (u[i] & 0x3f);
	}
	return n;
}

/* Columns of one character: 2 for East Asian wide and full-width forms. */
static int
cp_width(uint32_t cp)
{
	if (cp == 0 || (cp >= 0x300 && cp <= 0x36f) || cp == 0x200b)
		return 0;
	if ((cp >= 0x1100 && cp <= 0x115f) || (cp >= 0x2e80 && cp <= 0xa4cf) ||
	    (cp >= 0xac00 && cp <= 0xd7a3) || (cp >= 0xf900 && cp <= 0xfaff) ||
	    (cp >= 0xfe30 && cp <= 0xfe4f) || (cp >= 0xff00 && cp <= 0xff60) ||
	    (cp >= 0xffe0 && cp <= 0xffe6) || (cp >= 0x1f300 && cp <= 0x1faff) ||
	    (cp >= 0x20000 && cp <= 0x3fffd))
		return 2;
	return 1;
}

size_t
fsy_tool_width(const char *s)
{
	size_t w = 0;
	uint32_t cp;

	while (*s != '\0') {
		s += utf8_next(s, &cp);
		w += (size_t)cp_width(cp);
	}
	return w;
}

/* A copy of s cut to at most max columns (with "…"), newlines as spaces. */
static char *
cell_dup(const char *s, size_t max)
{
	size_t n = strlen(s), w = 0, i = 0, k = 0;
	char *out = malloc(n + 4);
	uint32_t cp;

	if (out == NULL)
		return NULL;
	if (fsy_tool_width(s) <= max) {
		for (i = 0; i <= n; i++)
			out[i] = s[i] == '\n' || s[i] == '\t' || s[i] == '\r'
			    ? ' ' : s[i];
		return out;
	}
	while (s[i] != '\0') {
		size_t len = utf8_next(s + i, &cp);
		int cw = cp_width(cp);
		if (w + (size_t)cw > max - 1)
			break;
		if (s[i] == '\n' || s[i] == '\t' || s[i] == '\r')
			out[k++] = ' ';
		else
			memcpy(out + k, s + i, len), k += len;
		i += len;
		w += (size_t)cw;
	}
	memcpy(out + k, "\xe2\x80\xa6", 4); /* … */
	return out;
}

/* ---- value formats -------------------------------------------------------- */

typedef enum {
	K_TEXT = 0, /* strings as they are, numbers in decimal */
	K_MONEY,    /* fen -> "12,000.00" */
	K_TIME,     /* UTC instant -> local "YYYY-MM-DD HH:MM" */
	K_BOOL,     /* "yes" / "no" */
	K_FLAG,     /* "yes" / "" (table cells) */
	K_PCT,      /* 0..1 -> "87.5%" */
	K_AGE_S,    /* seconds -> "3d 4h" */
} kind_t;

static int64_t
days_from_civil(int y, int m, int d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static void
civil_from_days(int64_t z, int *y, int *m, int *d)
{
	z += 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = (int)(yoe + era * 400 + (*m <= 2));
}

/* "2026-11-20T06:30:00Z" -> "2026-11-20 14:30" (local); else a copy. */
static void
local_time(const char *s, char *out, size_t n)
{
	int y, mo, d, h, mi, sec;
	int64_t t;

	if (strlen(s) != 20 || sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2dZ", &y, &mo, &d,
	    &h, &mi, &sec) != 6) {
		snprintf(out, n, "%s", s);
		return;
	}
	t = (days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60) +
	    TZ_MIN * 60;
	civil_from_days(t >= 0 ? t / 86400 : (t - 86399) / 86400, &y, &mo, &d);
	t = ((t % 86400) + 86400) % 86400;
	snprintf(out, n, "%04d-%02d-%02d %02d:%02d", y, mo, d, (int)(t / 3600),
	    (int)(t / 60 % 60));
}

static void
money(int64_t fen, char *out, size_t n)
{
	char digits[32], grouped[48];
	int64_t y = fen / 100, c = fen % 100;
	size_t len, i, k = 0;

	if (fen < 0) {
		y = -y;
		c = -c;
	}
	snprintf(digits, sizeof(digits), "%lld", (long long)y);
	len = strlen(digits);
	for (i = 0; i < len; i++) {
		if (i > 0 && (len - i) % 3 == 0)
			grouped[k++] = ',';
		grouped[k++] = digits[i];
	}
	grouped[k] = '\0';
	snprintf(out, n, "%s%s.%02lld", fen < 0 ? "-" : "", grouped,
	    (long long)c);
}

static void
age(int64_t s, char *out, size_t n)
{
	if (s < 0)
		s = 0;
	if (s >= 86400)
		snprintf(out, n, "%lldd %lldh", (long long)(s / 86400),
		    (long long)(s % 86400 / 3600));
	else if (s >= 3600)
		snprintf(out, n, "%lldh %lldm", (long long)(s / 3600),
		    (long long)(s % 3600 / 60));
	else
		snprintf(out, n, "%lldm", (long long)(s / 60));
}

/* Formats v as kind k into out; null is "-". */
static void
fmt(const json_t *v, int k, char *out, size_t n)
{
	if (v == NULL || json_is_null(v)) {
		snprintf(out, n, "-");
		return;
	}
	switch (k) {
	case K_MONEY:
		if (json_is_integer(v)) {
			money(json_integer_value(v), out, n);
			return;
		}
		break;
	case K_TIME:
		if (json_is_string(v)) {
			local_time(json_string_value(v), out, n);
			return;
		}
		break;
	case K_BOOL:
	case K_FLAG:
		snprintf(out, n, "%s", json_is_true(v) ||
		    (json_is_integer(v) && json_integer_value(v) != 0)
		    ? "yes" : k == K_BOOL ? "no" : "");
		return;
	case K_PCT:
		if (json_is_number(v)) {
			snprintf(out, n, "%.1f%%", json_number_value(v) * 100.0);
			return;
		}
		break;
	case K_AGE_S:
		if (json_is_integer(v)) {
			age(json_integer_value(v), out, n);
			return;
		}
		break;
	default:
		break;
	}
	if (json_is_string(v))
		snprintf(out, n, "%s", json_string_value(v));
	else if (json_is_integer(v))
		snprintf(out, n, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
	else if (json_is_real(v))
		snprintf(out, n, "%g", json_real_value(v));
	else if (json_is_true(v))
		snprintf(out, n, "yes");
	else if (json_is_false(v))
		snprintf(out, n, "no");
	else {
		char *d = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
		snprintf(out, n, "%s", d ? d : "?");
		free(d);
	}
}

/* The format a key suggests (generic printer). */
static int
kind_of_key(const char *key, const json_t *v)
{
	size_t n = strlen(key);

	if (n > 4 && strcmp(key + n - 4, "_fen") == 0)
		return K_MONEY;
	if (n > 3 && strcmp(key + n - 3, "_at") == 0)
		return K_TIME;
	if (n > 6 && strcmp(key + n - 6, "_age_s") == 0)
		return K_AGE_S;
	if (strcmp(key, "share") == 0)
		return K_PCT;
	(void)v;
	return K_TEXT;
}

/* A label for a key: "oldest_pending_age_s" -> "oldest pending age",
 * "premium_fen" -> "premium (yuan)". */
static void
label_of_key(const char *key, char *out, size_t n)
{
	size_t len = strlen(key), i;
	const char *suffix = "";

	if (len > 4 && strcmp(key + len - 4, "_fen") == 0) {
		len -= 4;
		suffix = " (yuan)";
	} else if (len > 6 && strcmp(key + len - 6, "_age_s") == 0) {
		len -= 2;
	}
	if (len >= n)
		len = n - 1;
	for (i = 0; i < len; i++)
		out[i] = key[i] == '_' ? ' ' : key[i];
	out[i] = '\0';
	snprintf(out + i, n - i, "%s", suffix);
}

/* ---- tables --------------------------------------------------------------- */

/* A column of a table: header, key in each row object, format. */
typedef struct col {
	const char *head;
	const char *key;
	int kind;
	int right; /* 1: align right (numbers) */
} col_t;

#define C_END {NULL, NULL, 0, 0}

typedef struct table {
	int ncols;
	const char *head[COLS_MAX];
	int right[COLS_MAX];
	size_t width[COLS_MAX];
	char **cells; /* nrows x ncols */
	size_t nrows, cap;
} table_t;

static void
tbl_init(table_t *t)
{
	memset(t, 0, sizeof(*t));
}

static void
tbl_head(table_t *t, const char *head, int right)
{
	if (t->ncols >= COLS_MAX)
		return;
	t->head[t->ncols] = head;
	t->right[t->ncols] = right;
	t->width[t->ncols] = fsy_tool_width(head);
	t->ncols++;
}

/* Adds a row of ncols strings (copied). Returns -1 when out of memory. */
static int
tbl_row(table_t *t, char **vals)
{
	size_t i;

	if (t->nrows == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 16;
		char **c = realloc(t->cells, cap * (size_t)t->ncols *
		    sizeof(*c));
		if (c == NULL)
			return -1;
		t->cells = c;
		t->cap = cap;
	}
	for (i = 0; i < (size_t)t->ncols; i++) {
		char *s = cell_dup(vals[i] ? vals[i] : "", CELL_MAX);
		size_t w;
		if (s == NULL) {
			while (i-- > 0)
				free(t->cells[t->nrows * (size_t)t->ncols + i]);
			return -1;
		}
		t->cells[t->nrows * (size_t)t->ncols + i] = s;
		w = fsy_tool_width(s);
		if (w > t->width[i])
			t->width[i] = w;
	}
	t->nrows++;
	return 0;
}

static void
pad(FILE *out, const char *s, size_t width, int right, int last)
{
	size_t w = fsy_tool_width(s);
	size_t gap = width > w ? width - w : 0;

	if (right)
		fprintf(out, "%*s%s", (int)gap, "", s);
	else if (last)
		fputs(s, out);
	else
		fprintf(out, "%s%*s", s, (int)gap, "");
}

static void
tbl_print(table_t *t, FILE *out, int indent)
{
	size_t r;
	int i;

	fprintf(out, "%*s", indent, "");
	for (i = 0; i < t->ncols; i++) {
		pad(out, t->head[i], t->width[i], t->right[i], i == t->ncols - 1);
		fputs(i == t->ncols - 1 ? "\n" : "  ", out);
	}
	for (r = 0; r < t->nrows; r++) {
		fprintf(out, "%*s", indent, "");
		for (i = 0; i < t->ncols; i++) {
			pad(out, t->cells[r * (size_t)t->ncols + (size_t)i],
			    t->width[i], t->right[i], i == t->ncols - 1);
			fputs(i == t->ncols - 1 ? "\n" : "  ", out);
		}
	}
}

static void
tbl_free(table_t *t)
{
	for (size_t i = 0; i < t->nrows * (size_t)t->ncols; i++)
		free(t->cells[i]);
	free(t->cells);
	tbl_init(t);
}

/* Prints the array of objects rows as a table of cols; "(none)" when
 * empty. Returns -1 when out of memory. */
static int
print_rows(FILE *out, int indent, const json_t *rows, const col_t *cols)
{
	table_t t;
	char bufs[COLS_MAX][512], *vals[COLS_MAX];
	size_t i;
	json_t *o;
	int k, rc = 0;

	if (json_array_size(rows) == 0) {
		fprintf(out, "%*s(none)\n", indent, "");
		return 0;
	}
	tbl_init(&t);
	for (k = 0; k < COLS_MAX && cols[k].head != NULL; k++)
		tbl_head(&t, cols[k].head, cols[k].right);
	json_array_foreach(rows, i, o) {
		for (k = 0; k < t.ncols; k++) {
			fmt(json_object_get(o, cols[k].key), cols[k].kind,
			    bufs[k], sizeof(bufs[k]));
			vals[k] = bufs[k];
		}
		if (tbl_row(&t, vals) != 0) {
			rc = -1;
			break;
		}
	}
	if (rc == 0)
		tbl_print(&t, out, indent);
	tbl_free(&t);
	return rc;
}

/* A section title with a count. */
static void
title(FILE *out, const char *t, const json_t *arr)
{
	if (arr != NULL && json_is_array(arr))
		fprintf(out, "\n%s (%zu):\n", t, json_array_size(arr));
	else
		fprintf(out, "\n%s:\n", t);
}

/* ---- records -------------------------------------------------------------- */

/* One line of a record: label, key, format. */
typedef struct field {
	const char *label;
	const char *key;
	int kind;
} field_t;

#define F_END {NULL, NULL, 0}

/* Prints "label: value" lines of the fields present in o (skipping
 * nulls when skip_null). */
static void
print_fields(FILE *out, int indent, const json_t *o, const field_t *f,
    int skip_null)
{
	size_t w = 0;
	char buf[2048];

	for (const field_t *p = f; p->label != NULL; p++)
		if (fsy_tool_width(p->label) > w)
			w = fsy_tool_width(p->label);
	for (; f->label != NULL; f++) {
		json_t *v = json_object_get(o, f->key);
		if (v == NULL || (skip_null && json_is_null(v)))
			continue;
		fmt(v, f->kind, buf, sizeof(buf));
		fprintf(out, "%*s%s:%*s %s\n", indent, "", f->label,
		    (int)(w - fsy_tool_width(f->label)), "", buf);
	}
}

/* The generic layout of obj at an indent. */
static int
generic(FILE *out, int indent, json_t *obj)
{
	const char *key;
	json_t *v;
	size_t w = 0;
	char label[96], buf[2048];

	if (json_is_array(obj)) {
		/* a table of the scalar keys of the first element */
		col_t cols[COLS_MAX + 1];
		json_t *first = json_array_get(obj, 0);
		int k = 0;
		if (!json_is_object(first)) {
			size_t i;
			json_array_foreach(obj, i, v) {
				fmt(v, K_TEXT, buf, sizeof(buf));
				fprintf(out, "%*s%s\n", indent, "", buf);
			}
			return 0;
		}
		json_object_foreach(first, key, v) {
			if (k == COLS_MAX || json_is_object(v) || json_is_array(v))
				continue;
			cols[k].head = key;
			cols[k].key = key;
			cols[k].kind = kind_of_key(key, v);
			cols[k].right = json_is_number(v) ||
			    cols[k].kind == K_MONEY;
			k++;
		}
		cols[k].head = NULL;
		return print_rows(out, indent, obj, cols);
	}
	if (!json_is_object(obj)) {
		fmt(obj, K_TEXT, buf, sizeof(buf));
		fprintf(out, "%*s%s\n", indent, "", buf);
		return 0;
	}
	json_object_foreach(obj, key, v) {
		if (json_is_object(v) || (json_is_array(v) &&
		    json_is_object(json_array_get(v, 0))))
			continue;
		label_of_key(key, label, sizeof(label));
		if (fsy_tool_width(label) > w)
			w = fsy_tool_width(label);
	}
	json_object_foreach(obj, key, v) {
		if (json_is_object(v) || (json_is_array(v) &&
		    json_is_object(json_array_get(v, 0))))
			continue;
		label_of_key(key, label, sizeof(label));
		if (json_is_array(v)) {
			size_t i, used = 0;
			json_t *e;
			buf[0] = '\0';
			json_array_foreach(v, i, e) {
				char one[256];
				fmt(e, K_TEXT, one, sizeof(one));
				used += (size_t)snprintf(buf + used, used <
				    sizeof(buf) ? sizeof(buf) - used : 0, "%s%s",
				    i ? ", " : "", one);
				if (used >= sizeof(buf))
					break;
			}
			if (json_array_size(v) == 0)
				snprintf(buf, sizeof(buf), "-");
		} else {
			fmt(v, kind_of_key(key, v), buf, sizeof(buf));
		}
		fprintf(out, "%*s%s:%*s %s\n", indent, "", label,
		    (int)(w - fsy_tool_width(label)), "", buf);
	}
	json_object_foreach(obj, key, v) {
		if (!json_is_object(v) && !(json_is_array(v) &&
		    json_is_object(json_array_get(v, 0))))
			continue;
		label_of_key(key, label, sizeof(label));
		fprintf(out, "\n%*s%s%s:\n", indent, "", label, "");
		if (generic(out, indent + 2, v) != 0)
			return -1;
	}
	return 0;
}

int
fsy_tool_print_generic(const fsy_tool_cmd_t *cmd, json_t *data,
    const json_t *local, FILE *out)
{
	(void)cmd;
	(void)local;
	return generic(out, 0, data) == 0 ? FSY_TOOL_EXIT_OK
	    : FSY_TOOL_EXIT_FAILED;
}

/* ---- customers ------------------------------------------------------------ */

int
fsy_tool_print_customers(const fsy_tool_cmd_t *cmd, json_t *data,
    const json_t *local, FILE *out)
{
	static const col_t cols[] = {
		{"CARD", "card_no", K_TEXT, 0},
		{"NAME", "name", K_TEXT, 0},
		{"PHONE", "phone", K_TEXT, 0},
		{"RATING", "rating", K_TEXT, 0},
		{"GROUP", "grp", K_TEXT, 0},
		{"STARS", "star_level", K_TEXT, 1},
		{"VIP", "vip_tier", K_TEXT, 0},
		{"OVERDUE", "overdue", K_TEXT, 1},
		{"DUE", "due", K_TEXT, 1},
		C_END,
	};
	json_t *rows = json_object_get(data, "customers");

	(void)cmd;
	(void)local;
	if (print_rows(out, 0, rows, cols) != 0)
		return FSY_TOOL_EXIT_FAILED;
	fprintf(out, "%" JSON_INTEGER_FORMAT " customer%s",
	    json_integer_value(json_object_get(data, "total")),
	    json_integer_value(json_object_get(data, "total")) == 1 ? "" : "s");
	if (json_is_true(json_object_get(data, "truncated")))
		fprintf(out, ", first %zu shown (--limit)", json_array_size(rows));
	fprintf(out, "; obligations as of %s\n",
	    str_of(data, "asof"));
	return FSY_TOOL_EXIT_OK;
}

/* ---- card ----------------------------------------------------------------- */

static void
print_tiers_lines(FILE *out, const json_t *tiers)
{
	size_t i;
	json_t *t;
	char score[48], gap[48];

	json_array_foreach(tiers, i, t) {
		const char *level = json_string_value(json_object_get(t,
		    "level_name"));
		const char *next = json_string_value(json_object_get(t,
		    "next_name"));
		json_t *ben = json_object_get(t, "benefits");
		money(json_integer_value(json_object_get(t, "score_fen")), score,
		    sizeof(score));
		money(json_integer_value(json_object_get(t, "gap_fen")), gap,
		    sizeof(gap));
		fprintf(out, "  %s: %s, score %s", str_of(t, "scheme_name"), level ? level : "none",
		    score);
		if (next != NULL)
			fprintf(out, ", %s short of %s", gap, next);
		else
			fprintf(out, ", top level");
		if (json_is_true(json_object_get(t, "honour")))
			fprintf(out, ", honour member");
		fputc('\n', out);
		if (json_array_size(ben) > 0) {
			size_t k;
			json_t *b;
			fprintf(out, "    benefits: ");
			json_array_foreach(ben, k, b)
				fprintf(out, "%s%s", k ? ", " : "",
				    json_is_string(b) ? json_string_value(b)
				    : "?");
			fputc('\n', out);
		}
	}
}

/* The card's visits: one block each, the free text in full. */
static void
print_visits(FILE *out, const json_t *visits)
{
	size_t i;
	json_t *v;
	char when[32], rec[32];

	if (json_array_size(visits) == 0)
		fprintf(out, "  (none)\n");
	json_array_foreach(visits, i, v) {
		fmt(json_object_get(v, "happened_at"), K_TIME, when,
		    sizeof(when));
		fmt(json_object_get(v, "recorded_at"), K_TIME, rec, sizeof(rec));
		fprintf(out, "  %s  %s, %s", when, str_of(v, "channel"),
		    str_of(v, "topic"));
		if (json_is_string(json_object_get(v, "place")))
			fprintf(out, ", %s", str_of(v, "place"));
		fprintf(out, "  (recorded %s%s)\n", rec, json_integer_value(
		    json_object_get(v, "late")) ? ", late" : "");
		if (json_is_string(json_object_get(v, "customer_said")))
			fprintf(out, "    said: %s\n", str_of(v, "customer_said"));
		if (json_is_string(json_object_get(v, "next_step")))
			fprintf(out, "    next: %s\n", str_of(v, "next_step"));
	}
}

int
fsy_tool_print_card(const fsy_tool_cmd_t *cmd, json_t *data,
    const json_t *local, FILE *out)
{
	static const field_t basic[] = {
		{"gender", "gender", K_TEXT}, {"birth date", "birth_date", K_TEXT},
		{"age", "age", K_TEXT}, {"ID number", "id_number", K_TEXT},
		{"phone", "phone", K_TEXT}, {"address", "address", K_TEXT},
		{"occupation", "occupation", K_TEXT},
		{"income (yuan)", "income_fen", K_MONEY},
		{"rating", "rating", K_TEXT}, {"group", "grp", K_TEXT},
		{"need tags", "need_tags", K_TEXT},
		{"recruit interest", "recruit_interest", K_BOOL},
		{"star level", "star_level", K_TEXT},
		{"VIP tier", "vip_tier", K_TEXT},
		{"owner", "owner_agent_id", K_TEXT},
		{"owner since", "owner_since", K_TEXT},
		{"facts", "facts", K_TEXT}, {"perceptions", "perceptions", K_TEXT},
		F_END,
	};
	static const col_t family[] = {
		{"RELATION", "relation", K_TEXT, 0}, {"NAME", "name", K_TEXT, 0},
		{"GENDER", "gender", K_TEXT, 0}, {"BIRTH", "birth_date", K_TEXT, 0},
		{"AGE", "age", K_TEXT, 1}, {"OCCUPATION", "occupation", K_TEXT, 0},
		{"HEALTH", "health_notes", K_TEXT, 0}, {"ID", "id", K_TEXT, 0},
		C_END,
	};
	static const col_t policies[] = {
		{"NO", "policy_no", K_TEXT, 0}, {"INSURER", "insurer", K_TEXT, 0},
		{"PRODUCT", "product", K_TEXT, 0},
		{"TYPE", "product_type", K_TEXT, 0},
		{"PAY", "pay_mode", K_TEXT, 0},
		{"ANNUAL", "annual_premium_fen", K_MONEY, 1},
		{"YEARS", "payment_years", K_TEXT, 1},
		{"ISSUED", "issue_date", K_TEXT, 0},
		{"NEXT DUE", "next_due_date", K_TEXT, 0},
		{"STATUS", "status", K_TEXT, 0},
		{"SUM ASSURED", "sum_assured_fen", K_MONEY, 1},
		{"EXT", "external", K_FLAG, 0},
		C_END,
	};
	static const col_t needs[] = {
		{"KIND", "kind", K_TEXT, 0}, {"STATUS", "status", K_TEXT, 0},
		{"NOTE", "note", K_TEXT, 0}, {"SINCE", "created_at", K_TIME, 0},
		C_END,
	};
	static const col_t referrals[] = {
		{"NAME", "name", K_TEXT, 0}, {"PHONE", "phone", K_TEXT, 0},
		{"RELATION", "relation", K_TEXT, 0}, {"NOTE", "note", K_TEXT, 0},
		{"CARD", "referred_card_no", K_TEXT, 0},
		C_END,
	};
	static const col_t obl[] = {
		{"DUE", "due", K_TEXT, 0}, {"KIND", "kind", K_TEXT, 0},
		{"STATUS", "status", K_TEXT, 0}, {"FROM", "window_start", K_TEXT, 0},
		{"DONE", "progress", K_TEXT, 1}, {"OF", "required", K_TEXT, 1},
		{"POLICY", "policy_no", K_TEXT, 0},
		C_END,
	};
	json_t *c = json_object_get(data, "customer");
	const char *card = json_string_value(json_object_get(c, "card_no"));
	const char *name = json_string_value(json_object_get(c, "name"));
	int rc = 0;

	(void)cmd;
	(void)local;
	fprintf(out, "%s  %s%s\n", card ? card : "(no card number)",
	    name ? name : "", json_integer_value(json_object_get(c,
	    "card_provisional")) ? "  (provisional number)" : "");
	fprintf(out, "id: %s\n\n", str_of(c, "id"));
	print_fields(out, 2, c, basic, 1);
	title(out, "Tiers", NULL);
	print_tiers_lines(out, json_object_get(data, "tiers"));
	title(out, "Family", json_object_get(data, "family"));
	rc |= print_rows(out, 2, json_object_get(data, "family"), family);
	title(out, "Policies", json_object_get(data, "policies"));
	rc |= print_rows(out, 2, json_object_get(data, "policies"), policies);
	title(out, "Visits, newest first", json_object_get(data, "visits"));
	print_visits(out, json_object_get(data, "visits"));
	title(out, "Needs", json_object_get(data, "needs"));
	rc |= print_rows(out, 2, json_object_get(data, "needs"), needs);
	title(out, "Referrals", json_object_get(data, "referrals"));
	rc |= print_rows(out, 2, json_object_get(data, "referrals"), referrals);
	title(out, "Open obligations", json_object_get(data, "obligations"));
	rc |= print_rows(out, 2, json_object_get(data, "obligations"), obl);
	return rc ? FSY_TOOL_EXIT_FAILED : FSY_TOOL_EXIT_OK;
}

/* ---- agenda --------------------------------------------------------------- */

static const col_t obl_cols[] = {
	{"DUE", "due", K_TEXT, 0}, {"KIND", "kind", K_TEXT, 0},
	{"CARD", "card_no", K_TEXT, 0}, {"NAME", "name", K_TEXT, 0},
	{"DONE", "progress", K_TEXT, 1}, {"OF", "required", K_TEXT, 1},
	{"POLICY", "policy_no", K_TEXT, 0},
	C_END,
};

int
fsy_tool_print_agenda(const fsy_tool_cmd_t *cmd, json_t *data,
    const json_t *local, FILE *out)
{
	static const struct {
		const char *title, *key;
	} parts[] = {
		{"Overdue", "overdue"}, {"Due today", "today"},
		{"Due this week", "soon"},
	};
	int rc = 0;

	(void)cmd;
	(void)local;
	fprintf(out, "Agenda as of %s\n",
	    str_of(data, "asof"));
	for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
		json_t *a = json_object_get(data, parts[i].key);
		title(out, parts[i].title, a);
		rc |= print_rows(out, 2, a, obl_cols);
	}
	return rc ? FSY_TOOL_EXIT_FAILED : FSY_TOOL_EXIT_OK;
}

/* ---- status --------------------------------------------------------------- */

int
fsy_tool_print_status(const fsy_tool_cmd_t *cmd, json_t *data,
    const json_t *local, FILE *out)
{
	static const field_t f[] = {
		{"agent", "agent_id", K_TEXT}, {"laptop of", "role", K_TEXT},
		{"device", "device_id", K_TEXT},
		{"customers", "customers", K_TEXT},
		{"last sync", "last_sync_at", K_TIME},
		{"pending changes", "pending", K_TEXT},
		{"oldest pending", "oldest_pending_at", K_TIME},
		{"oldest pending age", "oldest_pending_age_s", K_AGE_S},
		{"rejected changes", "rejection_count", K_TEXT},
		F_END,
	};
	static const col_t rej[] = {
		{"SEQ", "seq", K_TEXT, 1}, {"CARD", "card_no", K_TEXT, 0},
		{"TABLE", "tbl", K_TEXT, 0}, {"FIELD", "col", K_TEXT, 0},
		{"VALUE", "val", K_TEXT, 0}, {"ERROR", "error", K_TEXT, 0},
		{"REASON", "reason", K_TEXT, 0}, {"AT", "at", K_TIME, 0},
		C_END,
	};
	static const col_t conf[] = {
		{"CARD", "card_no", K_TEXT, 0}, {"TABLE", "tbl", K_TEXT, 0},
		{"FIELD", "col", K_TEXT, 0}, {"KEPT", "winner_val", K_TEXT, 0},
		{"OTHER", "loser_val", K_TEXT, 0},
		{"DETECTED", "detected_at", K_TIME, 0},
		C_END,
	};
	json_t *sync = json_object_get(data, "sync");
	int rc = 0;

	(void)cmd;
	(void)local;
	print_fields(out, 0, data, f, 0);
	if (json_is_object(sync) && json_object_size(sync) > 0) {
		fprintf(out, "\nsync:\n");
		rc |= generic(out, 2, sync);
	}
	title(out, "Rejected changes (newest first)",
	    json_object_get(data, "rejections"));
	rc |= print_rows(out, 2, json_object_get(data, "rejections"), rej);
	title(out, "Conflicts", json_object_get(data, "conflicts"));
	rc |= print_rows(out, 2, json_object_get(data, "conflicts"), conf);
	return rc ? FSY_TOOL_EXIT_FAILED : FSY_TOOL_EXIT_OK;
}

/* ---- team activity -------------------------------------------------------- */

int
fsy_tool_print_activity(const fsy_tool_cmd_t *cmd, json_t *data,
    const json_t *local, FILE *out)
{
	static const col_t agents[] = {
		{"AGENT", "agent_code", K_TEXT, 0}, {"NAME", "agent_name", K_TEXT, 0},
		{"ID", "agent_id", K_TEXT, 0}, {"VISITS", "visits", K_TEXT, 1},
		{"CUSTOMERS", "customers", K_TEXT, 1},
		{"LATE RECORDS", "late_records", K_TEXT, 1},
		{"LAST VISIT", "last_visit_at", K_TIME, 0},
		C_END,
	};
	static const col_t visits[] = {
		{"WHEN", "happened_at", K_TIME, 0}, {"CARD", "card_no", K_TEXT, 0},
		{"NAME", "name", K_TEXT, 0}, {"AGENT", "agent_code", K_TEXT, 0},
		{"CHANNEL", "channel", K_TEXT, 0}, {"TOPIC", "topic", K_TEXT, 0},
		{"RECORDED", "recorded_at", K_TIME, 0},
		{"AFTER", "record_delay_s", K_AGE_S, 1},
		{"LATE", "late_record", K_FLAG, 0},
		C_END,
	};
	int rc = 0;

	(void)cmd;
	(void)local;
	fprintf(out, "Team activity since %s\n",
	    str_of(data, "since"));
	title(out, "Agents", json_object_get(data, "agents"));
	rc |= print_rows(out, 2, json_object_get(data, "agents"), agents);
	title(out, "Visits", json_object_get(data, "visits"));
	rc |= print_rows(out, 2, json_object_get(data, "visits"), visits);
	return rc ? FSY_TOOL_EXIT_FAILED : FSY_TOOL_EXIT_OK;
}

/* ---- conflicts ------------------------------------------------------------ */

int
fsy_tool_print_conflicts(const fsy_tool_cmd_t *cmd, json_t *data,
    const json_t *local, FILE *out)
{
	static const col_t cols[] = {
		{"ID", "id", K_TEXT, 0}, {"CARD", "card_no", K_TEXT, 0},
		{"NAME", "name", K_TEXT, 0}, {"TABLE", "tbl", K_TEXT, 0},
		{"FIELD", "col", K_TEXT, 0}, {"WINNER", "winner_val", K_TEXT, 0},
		{"BY", "winner_agent", K_TEXT, 0},
		{"LOSER", "loser_val", K_TEXT, 0},
		{"BY", "loser_agent", K_TEXT, 0},
		{"DETECTED", "detected_at", K_TIME, 0},
		{"STATUS", "status", K_TEXT, 0},
		C_END,
	};

	(void)cmd;
	(void)local;
	if (print_rows(out, 0, json_object_get(data, "conflicts"), cols) != 0)
		return FSY_TOOL_EXIT_FAILED;
	fprintf(out, "%" JSON_INTEGER_FORMAT " %s conflict(s)\n",
	    json_integer_value(json_object_get(data, "total")),
	    str_of(data, "status"));
	return FSY_TOOL_EXIT_OK;
}

/* ---- coverage ------------------------------------------------------------- */

static const col_t cov_cols[] = {
	{"CODE", "code", K_TEXT, 0}, {"NAME", "name", K_TEXT, 0},
	{"DUE", "due", K_TEXT, 1}, {"MET", "met", K_TEXT, 1},
	{"LATE", "late", K_TEXT, 1}, {"ON TIME", "share", K_PCT, 1},
	C_END,
};

int
fsy_tool_print_coverage(const fsy_tool_cmd_t *cmd, json_t *data,
    const json_t *local, FILE *out)
{
	static const col_t kinds[] = {
		{"KIND", "kind", K_TEXT, 0}, {"DUE", "due", K_TEXT, 1},
		{"MET", "met", K_TEXT, 1}, {"LATE", "late", K_TEXT, 1},
		{"ON TIME", "share", K_PCT, 1},
		C_END,
	};
	json_t *total = json_object_get(data, "total");
	json_t *kl = json_array(), *k;
	const char *key;
	char share[32];
	int rc = 0;

	(void)cmd;
	(void)local;
	if (kl == NULL)
		return FSY_TOOL_EXIT_FAILED;
	fmt(json_object_get(total, "share"), K_PCT, share, sizeof(share));
	fprintf(out, "Coverage %s .. %s as of %s: %" JSON_INTEGER_FORMAT
	    " due, %" JSON_INTEGER_FORMAT " met on time, %" JSON_INTEGER_FORMAT
	    " late, %s on time\n",
	    str_of(data, "from"),
	    str_of(data, "to"),
	    str_of(data, "asof"),
	    json_integer_value(json_object_get(total, "due")),
	    json_integer_value(json_object_get(total, "met")),
	    json_integer_value(json_object_get(total, "late")), share);
	json_object_foreach(json_object_get(total, "kinds"), key, k) {
		json_t *row = json_deep_copy(k);
		if (row == NULL || json_object_set_new(row, "kind",
		    json_string(key)) != 0 || json_array_append_new(kl, row)) {
			json_decref(kl);
			return FSY_TOOL_EXIT_FAILED;
		}
	}
	title(out, "By obligation", kl);
	rc |= print_rows(out, 2, kl, kinds);
	json_decref(kl);
	title(out, "Branches", json_object_get(data, "branches"));
	rc |= print_rows(out, 2, json_object_get(data, "branches"), cov_cols);
	title(out, "Teams", json_object_get(data, "teams"));
	rc |= print_rows(out, 2, json_object_get(data, "teams"), cov_cols);
	title(out, "Agents", json_object_get(data, "agents"));
	rc |= print_rows(out, 2, json_object_get(data, "agents"), cov_cols);
	return rc ? FSY_TOOL_EXIT_FAILED : FSY_TOOL_EXIT_OK;
}

/* ---- tiers ---------------------------------------------------------------- */

static int
print_dists(FILE *out, const json_t *schemes)
{
	static const col_t levels[] = {
		{"LEVEL", "name", K_TEXT, 0}, {"FROM (yuan)", "min_fen", K_MONEY, 1},
		{"CUSTOMERS", "customers", K_TEXT, 1},
		C_END,
	};
	size_t i;
	json_t *s;
	int rc = 0;

	json_array_foreach(schemes, i, s) {
		fprintf(out, "\n%s (%s): %" JSON_INTEGER_FORMAT " customers, %"
		    JSON_INTEGER_FORMAT " below every level, %" JSON_INTEGER_FORMAT
		    " honour members\n",
		    str_of(s, "name"),
		    str_of(s, "scheme"),
		    json_integer_value(json_object_get(s, "customers")),
		    json_integer_value(json_object_get(s, "none")),
		    json_integer_value(json_object_get(s, "honour")));
		rc |= print_rows(out, 2, json_object_get(s, "levels"), levels);
	}
	return rc;
}

int
fsy_tool_print_tiers(const fsy_tool_cmd_t *cmd, json_t *data,
    const json_t *local, FILE *out)
{
	(void)cmd;
	(void)local;
	if (json_object_get(data, "schemes") != NULL) {
		fprintf(out, "Tiers as of %s\n",
		    str_of(data, "asof"));
		return print_dists(out, json_object_get(data, "schemes"))
		    ? FSY_TOOL_EXIT_FAILED : FSY_TOOL_EXIT_OK;
	}
	fprintf(out, "%s  %s, as of %s\n",
	    str_of(data, "card_no"),
	    str_of(data, "name"),
	    str_of(data, "asof"));
	print_tiers_lines(out, json_object_get(data, "tiers"));
	return FSY_TOOL_EXIT_OK;
}

/* ---- devices -------------------------------------------------------------- */

int
fsy_tool_print_fleet(const fsy_tool_cmd_t *cmd, json_t *data,
    const json_t *local, FILE *out)
{
	static const col_t cols[] = {
		{"DEVICE", "device_id", K_TEXT, 0},
		{"AGENT", "agent_code", K_TEXT, 0},
		{"STATUS", "status", K_TEXT, 0},
		{"LAST HELLO", "last_hello_at", K_TIME, 0},
		{"LAST PUSH", "last_push_at", K_TIME, 0},
		{"PENDING", "pending", K_TEXT, 1},
		{"OLDEST", "oldest_pending_age_s", K_AGE_S, 1},
		{"REJECTED", "rejections", K_TEXT, 1},
		{"CHAIN OK", "chain_ok", K_BOOL, 0},
		{"CHAIN ERROR", "chain_error", K_TEXT, 0},
		{"HELD", "customers_held", K_TEXT, 1},
		C_END,
	};

	(void)cmd;
	(void)local;
	if (print_rows(out, 0, json_object_get(data, "devices"), cols) != 0)
		return FSY_TOOL_EXIT_FAILED;
	fprintf(out, "%" JSON_INTEGER_FORMAT " devices, %" JSON_INTEGER_FORMAT
	    " changes pending, %" JSON_INTEGER_FORMAT " rejected, %"
	    JSON_INTEGER_FORMAT " broken chain(s)\n",
	    json_integer_value(json_object_get(data, "count")),
	    json_integer_value(json_object_get(data, "pending")),
	    json_integer_value(json_object_get(data, "rejections")),
	    json_integer_value(json_object_get(data, "chains_broken")));
	return FSY_TOOL_EXIT_OK;
}

int
fsy_tool_print_devices(const fsy_tool_cmd_t *cmd, json_t *data,
    const json_t *local, FILE *out)
{
	static const col_t cols[] = {
		{"DEVICE", "device_id", K_TEXT, 0},
		{"AGENT", "agent_code", K_TEXT, 0},
		{"NAME", "agent_name", K_TEXT, 0},
		{"DEVICE NAME", "name", K_TEXT, 0},
		{"STATUS", "status", K_TEXT, 0},
		{"ISSUED", "issued_at", K_TIME, 0},
		{"REVOKED", "revoked_at", K_TIME, 0},
		{"REASON", "revoke_reason", K_TEXT, 0},
		C_END,
	};

	(void)cmd;
	(void)local;
	return print_rows(out, 0, json_object_get(data, "devices"), cols) != 0
	    ? FSY_TOOL_EXIT_FAILED : FSY_TOOL_EXIT_OK;
}

int
fsy_tool_check_out(const char *dir)
{
	char path[4200];
	struct stat sb;

	snprintf(path, sizeof(path), "%s/device.key", dir);
	if (stat(dir, &sb) == 0 && !S_ISDIR(sb.st_mode)) {
		fprintf(stderr, "fieldsync: --out %s is not a directory\n", dir);
		return FSY_TOOL_EXIT_LOCAL;
	}
	if (stat(dir, &sb) == 0 && access(dir, W_OK) != 0) {
		fprintf(stderr, "fieldsync: --out %s: %s\n", dir, strerror(errno));
		return FSY_TOOL_EXIT_LOCAL;
	}
	if (stat(dir, &sb) != 0) {
		/* DIR is made after the hub answered: its parent must take it,
		 * or the device would be issued with its key lost. */
		char parent[4200];
		size_t len = strlen(dir);
		char *slash;
		int err = 0;

		if (len >= sizeof(parent)) {
			fprintf(stderr, "fieldsync: --out %s: path too long\n", dir);
			return FSY_TOOL_EXIT_LOCAL;
		}
		memcpy(parent, dir, len + 1);
		while (len > 1 && parent[len - 1] == '/')
			parent[--len] = '\0';
		slash = strrchr(parent, '/');
		if (slash == NULL)
			snprintf(parent, sizeof(parent), ".");
		else
			slash[slash == parent ? 1 : 0] = '\0';
		if (stat(parent, &sb) != 0)
			err = errno;
		else if (!S_ISDIR(sb.st_mode))
			err = ENOTDIR;
		else if (access(parent, W_OK | X_OK) != 0)
			err = errno;
		if (err != 0) {
			fprintf(stderr, "fieldsync: --out %s cannot be created: "
			    "%s: %s (nothing was issued)\n", dir, parent,
			    strerror(err));
			return FSY_TOOL_EXIT_LOCAL;
		}
	}
	if (stat(path, &sb) == 0) {
		fprintf(stderr, "fieldsync: %s exists already: give another "
		    "--out directory (nothing was issued)\n", path);
		return FSY_TOOL_EXIT_LOCAL;
	}
	return FSY_TOOL_EXIT_OK;
}

int
fsy_tool_write_key(const char *dir, const char *device_id,
    const char *secret_hex, char *path, size_t n)
{
	char idpath[4200];
	int fd = -1, rc = FSY_TOOL_EXIT_LOCAL;
	size_t len;

	if (snprintf(path, n, "%s/device.key", dir) >= (int)n ||
	    snprintf(idpath, sizeof(idpath), "%s/device.id", dir) >=
	    (int)sizeof(idpath)) {
		fprintf(stderr, "fieldsync: --out %s: path too long\n", dir);
		return FSY_TOOL_EXIT_LOCAL;
	}
	if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
		fprintf(stderr, "fieldsync: cannot create %s: %s (device %s "
		    "was issued, but its key is lost: revoke it)\n", dir,
		    strerror(errno), device_id);
		return FSY_TOOL_EXIT_LOCAL;
	}
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	if (fd < 0) {
		fprintf(stderr, "fieldsync: cannot create %s: %s (device %s "
		    "was issued, but its key is lost: revoke it with "
		    "`fieldsync device revoke %s`)\n", path, strerror(errno),
		    device_id, device_id);
		return FSY_TOOL_EXIT_LOCAL;
	}
	len = strlen(secret_hex);
	if (fchmod(fd, 0600) != 0 || write(fd, secret_hex, len) != (ssize_t)len ||
	    write(fd, "\n", 1) != 1 || fsync(fd) != 0) {
		fprintf(stderr, "fieldsync: cannot write %s: %s\n", path,
		    strerror(errno));
		goto out;
	}
	if (close(fd) != 0) {
		fd = -1;
		fprintf(stderr, "fieldsync: cannot write %s: %s\n", path,
		    strerror(errno));
		goto out;
	}
	fd = open(idpath, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	len = strlen(device_id);
	if (fd < 0 || write(fd, device_id, len) != (ssize_t)len ||
	    write(fd, "\n", 1) != 1) {
		fprintf(stderr, "fieldsync: cannot write %s: %s\n", idpath,
		    strerror(errno));
		goto out;
	}
	rc = FSY_TOOL_EXIT_OK;
out:
	if (fd >= 0 && close(fd) != 0 && rc == FSY_TOOL_EXIT_OK) {
		fprintf(stderr, "fieldsync: cannot write %s: %s\n", idpath,
		    strerror(errno));
		rc = FSY_TOOL_EXIT_LOCAL;
	}
	return rc;
}

int
fsy_tool_print_device_issue(const fsy_tool_cmd_t *cmd, json_t *data,
    const json_t *local, FILE *out)
{
	const char *dir = json_string_value(json_object_get(local, "out"));
	const char *id = json_string_value(json_object_get(data, "device_id"));
	const char *sk = json_string_value(json_object_get(data, "secret_key"));
	char path[4200];
	int rc;

	(void)cmd;
	if (dir == NULL || id == NULL || sk == NULL) {
		fprintf(stderr, "fieldsync: the reply holds no key to write\n");
		return FSY_TOOL_EXIT_FAILED;
	}
	rc = fsy_tool_write_key(dir, id, sk, path, sizeof(path));
	if (rc == FSY_TOOL_EXIT_OK && json_object_set_new(data, "key_file",
	    json_string(path)) != 0)
		rc = FSY_TOOL_EXIT_FAILED;
	if (rc == FSY_TOOL_EXIT_OK && out != NULL)
		fprintf(out, "device %s issued to agent %s\nsecret key written "
		    "to %s (keep it on that laptop only)\npublic key %s\nhub %s\n",
		    id, str_of(data, "agent_code"),
		    path, str_of(data, "public_key"),
		    str_of(data, "hub_id"));
	return rc;
}

/* ---- ownership changes --------------------------------------------------- */

int
fsy_tool_print_moved(const fsy_tool_cmd_t *cmd, json_t *data,
    const json_t *local, FILE *out)
{
	static const col_t cols[] = {
		{"CARD", "card_no", K_TEXT, 0}, {"NAME", "name", K_TEXT, 0},
		{"FROM", "from_agent", K_TEXT, 0}, {"TO", "to_agent", K_TEXT, 0},
		{"RULE", "rule", K_TEXT, 0}, {"REASON", "reason", K_TEXT, 0},
		C_END,
	};
	json_t *a = json_object_get(data, "agent");
	json_t *st = json_object_get(data, "stats");
	json_t *moved = json_object_get(data, "moved");
	int64_t n = json_integer_value(json_object_get(data, "moved_count"));

	(void)local;
	if (json_is_object(a))
		fprintf(out, "%s %s: %s%s%s\n", str_of(a, "code"),
		    str_of(a, "name"), str_of(a, "status"),
		    json_is_string(json_object_get(a, "left_on")) ? " on " : "",
		    json_is_string(json_object_get(a, "left_on"))
		    ? str_of(a, "left_on") : "");
	fprintf(out, "%s: %" JSON_INTEGER_FORMAT " customer(s) examined, %lld "
	    "moved, %" JSON_INTEGER_FORMAT " without an owner\n", cmd->words,
	    json_integer_value(json_object_get(st, "examined")), (long long)n,
	    json_integer_value(json_object_get(st, "orphans")));
	if (json_array_size(moved) > 0 && print_rows(out, 2, moved, cols) != 0)
		return FSY_TOOL_EXIT_FAILED;
	if ((int64_t)json_array_size(moved) < n)
		fprintf(out, "  (first %zu shown; --json has the same list)\n",
		    json_array_size(moved));
	return FSY_TOOL_EXIT_OK;
}

/* ---- summary -------------------------------------------------------------- */

int
fsy_tool_print_summary(const fsy_tool_cmd_t *cmd, json_t *data,
    const json_t *local, FILE *out)
{
	static const field_t owners[] = {
		{"customers", "customers", K_TEXT}, {"owned", "owned", K_TEXT},
		{"orphans (awaiting assignment)", "orphans", K_TEXT},
		{"pure service-order", "pure", K_TEXT},
		{"non-pure service-order", "nonpure", K_TEXT},
		{"regular", "regular", K_TEXT},
		{"no policy in force", "no_policy", K_TEXT},
		{"bans (rule 5)", "bans", K_TEXT},
		F_END,
	};
	static const field_t rules[] = {
		{"imported / none", "0", K_TEXT}, {"rule 1 premium", "1", K_TEXT},
		{"rule 2 contact", "2", K_TEXT}, {"rule 3 service", "3", K_TEXT},
		{"rule 4 left", "4", K_TEXT}, {"rule 5 disqualified", "5", K_TEXT},
		{"rule 6 override", "6", K_TEXT},
		F_END,
	};
	json_t *o = json_object_get(data, "owners");
	json_t *cards = json_object_get(data, "cards");
	json_t *dev = json_object_get(data, "devices");

	(void)cmd;
	(void)local;
	fprintf(out, "Summary as of %s\n\nOwnership:\n",
	    str_of(data, "asof"));
	print_fields(out, 2, o, owners, 0);
	fprintf(out, "\nOwned customers by rule:\n");
	print_fields(out, 2, json_object_get(o, "by_rule"), rules, 0);
	fprintf(out, "\nCards: %" JSON_INTEGER_FORMAT " numbered, %"
	    JSON_INTEGER_FORMAT " provisional, %" JSON_INTEGER_FORMAT
	    " unnumbered\n",
	    json_integer_value(json_object_get(cards, "numbered")),
	    json_integer_value(json_object_get(cards, "provisional")),
	    json_integer_value(json_object_get(cards, "unnumbered")));
	fprintf(out, "Devices: %" JSON_INTEGER_FORMAT " active, %"
	    JSON_INTEGER_FORMAT " revoked; open conflicts: %"
	    JSON_INTEGER_FORMAT "\n",
	    json_integer_value(json_object_get(dev, "active")),
	    json_integer_value(json_object_get(dev, "revoked")),
	    json_integer_value(json_object_get(data, "conflicts_open")));
	return print_dists(out, json_object_get(data, "tiers"))
	    ? FSY_TOOL_EXIT_FAILED : FSY_TOOL_EXIT_OK;
}
