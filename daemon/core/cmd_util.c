/*
 * cmd_util.c — what every command handler shares: argument checking,
 * customer and agent look-ups, rows as JSON, tier evaluation, and the
 * `ping` command.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cardno.h"
#include "cmd_int.h"
#include "tables.h"
#include "util.h"

/* ---- enum value lists (schema/0001_core.sql) ----------------------------- */

const char *const fsy__enum_rating[] = {"A", "B", "C", "D", NULL};
const char *const fsy__enum_group[] = {"ordinary", "potential", "key",
    "premium", NULL};
const char *const fsy__enum_gender[] = {"M", "F", NULL};
const char *const fsy__enum_relation[] = {"self", "spouse", "child", "parent",
    "other", NULL};
const char *const fsy__enum_channel[] = {"visit", "phone", "wechat", "sms",
    "event", NULL};
const char *const fsy__enum_topic[] = {"general", "birthday",
    "spring_festival", "mid_autumn", "national_day", "mothers_day",
    "fathers_day", "company_news", "new_product", "renewal", "delivery",
    "first_contact", "survival_notice", "service_festival", "claim", NULL};
const char *const fsy__enum_product_type[] = {"accident", "health",
    "term_life", "whole_life", "endowment", "annuity", "dividend",
    "traditional", "universal", "investment_linked", "critical_illness",
    NULL};
const char *const fsy__enum_pay_mode[] = {"annual", "half", "quarter",
    "monthly", "single", NULL};
const char *const fsy__enum_policy_status[] = {"inforce", "grace", "lapsed",
    "surrendered", "matured", "paid_up", "cancelled", "terminated", NULL};
const char *const fsy__enum_need_status[] = {"open", "met", "dropped", NULL};
const char *const fsy__enum_agent_role[] = {"agent", "lead", "service",
    "renewal", "admin", NULL};
const char *const fsy__enum_agent_channel[] = {"agency", "bancassurance",
    "service", "renewal", NULL};
const char *const fsy__enum_vip[] = {"diamond", "platinum", "gold", "any",
    NULL};
const char *const fsy__enum_keep[] = {"winner", "loser", NULL};
const char *const fsy__enum_conflict_status[] = {"open", "resolved", "all",
    NULL};

/* ---- failures ------------------------------------------------------------- */

int
fsy__cmd_fail(fsy__cmd_t *c, int code, const char *fmt, ...)
{
	va_list ap;

	if (c->msg[0] == '\0') {
		va_start(ap, fmt);
		vsnprintf(c->msg, sizeof(c->msg), fmt, ap);
		va_end(ap);
	}
	return code;
}

int
fsy__cmd_store_fail(fsy__cmd_t *c, int rc, const char *what)
{
	return fsy__cmd_fail(c, rc, "%s: %s", what, fsy_store_errmsg(c->st));
}

/* ---- argument checking ---------------------------------------------------- */

/* The CLI spelling of an argument for messages: its flag, or --name with
 * dashes. */
static const char *
flagname(const fsy__arg_t *a, char *buf, size_t n)
{
	size_t i;

	if (a != NULL && a->flag != NULL)
		return a->flag;
	snprintf(buf, n, "--%s", a != NULL ? a->name : "?");
	for (i = 2; buf[i] != '\0'; i++)
		if (buf[i] == '_')
			buf[i] = '-';
	return buf;
}

/* Appends the enum values "A, B, C" to buf. */
static void
enum_list(const char *const *e, char *buf, size_t n)
{
	size_t used = 0;

	buf[0] = '\0';
	for (; *e != NULL && used < n; e++) {
		int w = snprintf(buf + used, n - used, "%s%s",
		    used ? ", " : "", *e);
		if (w < 0)
			break;
		used += (size_t)w;
	}
}

/* Parses a decimal integer with optional sign; 0 on success. */
static int
parse_int(const char *s, int64_t *out)
{
	char *end;
	long long v;

	if (s == NULL || *s == '\0' || isspace((unsigned char)*s))
		return -1;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0')
		return -1;
	*out = v;
	return 0;
}

/* Parses yuan ("12000", "12000.5", "12,000.50") into fen; 0 on success. */
static int
parse_money(const char *s, int64_t *fen)
{
	int64_t yuan = 0, cents = 0;
	int digits = 0, dec = -1;

	if (s == NULL || *s == '\0')
		return -1;
	for (; *s != '\0'; s++) {
		if (*s == ',' && dec < 0 && digits > 0)
			continue;
		if (*s == '.' && dec < 0) {
			dec = 0;
			continue;
		}
		if (!isdigit((unsigned char)*s))
			return -1;
		if (dec >= 0) {
			if (++dec > 2)
				return -1;
			cents = cents * 10 + (*s - '0');
		} else {
			if (++digits > 13)
				return -1;
			yuan = yuan * 10 + (*s - '0');
		}
	}
	if (digits == 0 || dec == 0)
		return -1;
	if (dec == 1)
		cents *= 10;
	*fen = yuan * 100 + cents;
	return 0;
}

/*
 * Parses a date or a date-time into UTC ms: 'YYYY-MM-DD' (local noon),
 * 'YYYY-MM-DD[T ]HH:MM[:SS]' (local time) or the same with 'Z' (UTC).
 */
static int
parse_when(const char *s, int64_t *ms)
{
	char buf[24];
	size_t n = strlen(s);
	int utc = 0;

	if (n == 10) {
		if (fsy_parse_time(s, ms) != FSY_OK)
			return -1;
		*ms += 12LL * 3600 * 1000 - (int64_t)FSY_CMD_TZ_MIN * 60000;
		return 0;
	}
	if (n > 0 && (s[n - 1] == 'Z' || s[n - 1] == 'z')) {
		utc = 1;
		n--;
	}
	if (n != 16 && n != 19)
		return -1;
	if (s[10] != 'T' && s[10] != ' ' && s[10] != 't')
		return -1;
	memcpy(buf, s, n);
	buf[10] = 'T';
	if (n == 16) {
		memcpy(buf + 16, ":00", 3);
		n = 19;
	}
	buf[n] = '\0';
	if (fsy_parse_time(buf, ms) != FSY_OK)
		return -1;
	if (!utc)
		*ms -= (int64_t)FSY_CMD_TZ_MIN * 60000;
	return 0;
}

static int
valid_id(const char *s, size_t max)
{
	size_t n = strlen(s);

	if (n == 0 || n > max)
		return 0;
	for (; *s != '\0'; s++)
		if (!isalnum((unsigned char)*s) && *s != '_' && *s != '-' &&
		    *s != '.')
			return 0;
	return 1;
}

static int
valid_phone(const char *s)
{
	size_t n = strlen(s);
	int digits = 0;

	if (n < 3 || n > 32)
		return 0;
	for (; *s != '\0'; s++) {
		if (isdigit((unsigned char)*s))
			digits++;
		else if (strchr("+-() ", *s) == NULL)
			return 0;
	}
	return digits >= 3;
}

/* Normalises a comma list of tags into out; 0 on success. */
static int
norm_tags(const char *s, char *out, size_t n)
{
	size_t used = 0, taglen = 0;
	int ntags = 0, pending_comma = 0;

	out[0] = '\0';
	for (;; s++) {
		unsigned char ch = (unsigned char)*s;
		if (ch == ',' || ch == '\0') {
			if (taglen > 0) {
				ntags++;
				taglen = 0;
				pending_comma = 1;
			}
			if (ch == '\0')
				break;
			continue;
		}
		if (ch == ' ' || ch == '\t')
			continue;
		ch = (unsigned char)tolower(ch);
		if (!isalnum(ch) && ch != '_')
			return -1;
		if (++taglen > 24 || ntags >= 16)
			return -1;
		if (pending_comma && taglen == 1) {
			if (used + 1 >= n)
				return -1;
			out[used++] = ',';
		}
		if (used + 1 >= n)
			return -1;
		out[used++] = (char)ch;
		out[used] = '\0';
	}
	return 0;
}

static void
lower_copy(char *dst, const char *src, size_t n)
{
	size_t i;

	for (i = 0; i + 1 < n && src[i] != '\0'; i++)
		dst[i] = (char)tolower((unsigned char)src[i]);
	dst[i] = '\0';
}

static void
upper_copy(char *dst, const char *src, size_t n)
{
	size_t i;

	for (i = 0; i + 1 < n && src[i] != '\0'; i++)
		dst[i] = (char)toupper((unsigned char)src[i]);
	dst[i] = '\0';
}

/* Checks one given value j of argument a into v. */
static int
check_one(fsy__cmd_t *c, const fsy__arg_t *a, json_t *j, fsy__val_t *v)
{
	char fb[48], list[256], num[32];
	const char *f = flagname(a, fb, sizeof(fb));
	const char *s = NULL;
	size_t max = a->max ? a->max : 1000;

	v->set = 1;
	if (json_is_null(j) || (json_is_string(j) &&
	    json_string_length(j) == 0)) {
		if (a->flags & FSY__REQ)
			return fsy__cmd_fail(c, FSY_EINVAL,
			    "%s must not be empty", f);
		v->s = NULL;
		return FSY_OK;
	}
	if (json_is_string(j)) {
		s = json_string_value(j);
		if (strlen(s) != json_string_length(j))
			return fsy__cmd_fail(c, FSY_EINVAL,
			    "%s contains a NUL character", f);
	} else if (json_is_integer(j) && a->type != FSY__A_TEXT) {
		snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT,
		    json_integer_value(j));
		s = num;
	} else if (json_is_boolean(j) && a->type == FSY__A_BOOL) {
		v->i = json_is_true(j);
		return FSY_OK;
	} else {
		return fsy__cmd_fail(c, FSY_EINVAL, "%s must be %s", f,
		    a->type == FSY__A_INT ? "an integer" :
		    a->type == FSY__A_BOOL ? "yes or no" : "a string");
	}

	switch (a->type) {
	case FSY__A_TEXT:
		if (strlen(s) > max)
			return fsy__cmd_fail(c, FSY_EINVAL,
			    "%s is too long (%zu bytes, at most %zu)", f,
			    strlen(s), max);
		v->s = s;
		return FSY_OK;
	case FSY__A_ID:
		if (!valid_id(s, a->max ? a->max : 40))
			return fsy__cmd_fail(c, FSY_EINVAL, "%s must be 1 to %zu "
			    "letters, digits, '_', '-' or '.' (got '%.64s')", f,
			    a->max ? a->max : 40, s);
		v->s = s;
		return FSY_OK;
	case FSY__A_INT:
		if (parse_int(s, &v->i) != 0 ||
		    ((a->lo || a->hi) && (v->i < a->lo || v->i > a->hi))) {
			if (a->lo || a->hi)
				return fsy__cmd_fail(c, FSY_EINVAL, "%s must be "
				    "an integer from %" PRId64 " to %" PRId64
				    " (got '%.32s')", f, a->lo, a->hi, s);
			return fsy__cmd_fail(c, FSY_EINVAL,
			    "%s must be an integer (got '%.32s')", f, s);
		}
		v->s = s;
		return FSY_OK;
	case FSY__A_BOOL:
		if (strcmp(s, "yes") == 0 || strcmp(s, "true") == 0 ||
		    strcmp(s, "1") == 0)
			v->i = 1;
		else if (strcmp(s, "no") == 0 || strcmp(s, "false") == 0 ||
		    strcmp(s, "0") == 0)
			v->i = 0;
		else
			return fsy__cmd_fail(c, FSY_EINVAL,
			    "%s must be yes or no (got '%.32s')", f, s);
		return FSY_OK;
	case FSY__A_ENUM:
		for (int k = 0; a->enums[k] != NULL; k++) {
			if (strcmp(a->enums[k], s) == 0) {
				v->s = a->enums[k];
				v->i = k;
				return FSY_OK;
			}
		}
		enum_list(a->enums, list, sizeof(list));
		return fsy__cmd_fail(c, FSY_EINVAL,
		    "%s must be one of %s (got '%.32s')", f, list, s);
	case FSY__A_DATE: {
		int64_t ms;
		if (strlen(s) != 10 || fsy_parse_time(s, &ms) != FSY_OK)
			return fsy__cmd_fail(c, FSY_EINVAL, "%s must be a date "
			    "YYYY-MM-DD (got '%.32s')", f, s);
		memcpy(v->buf, s, 11);
		v->s = v->buf;
		v->i = ms;
		return FSY_OK;
	}
	case FSY__A_TIME:
		if (strlen(s) > 24 || parse_when(s, &v->i) != 0)
			return fsy__cmd_fail(c, FSY_EINVAL, "%s must be a date "
			    "YYYY-MM-DD or a local time YYYY-MM-DDTHH:MM[:SS] "
			    "(UTC with a final Z) (got '%.32s')", f, s);
		fsy_iso_time(v->i, v->buf);
		v->s = v->buf;
		return FSY_OK;
	case FSY__A_MONEY:
		if (parse_money(s, &v->i) != 0)
			return fsy__cmd_fail(c, FSY_EINVAL, "%s must be an amount "
			    "in yuan with at most 2 decimals, like 12000 or "
			    "3560.50 (got '%.32s')", f, s);
		v->s = s;
		return FSY_OK;
	case FSY__A_UUID:
		if (!fsy_uuid_valid(s))
			return fsy__cmd_fail(c, FSY_EINVAL,
			    "%s must be an id (a UUID) (got '%.40s')", f, s);
		lower_copy(v->buf, s, sizeof(v->buf));
		v->s = v->buf;
		return FSY_OK;
	case FSY__A_CUSTOMER:
		if (fsy_uuid_valid(s)) {
			lower_copy(v->buf, s, sizeof(v->buf));
		} else {
			upper_copy(v->buf, s, 20);
			if (strlen(s) > 16 ||
			    fsy_cardno_kind(v->buf) == FSY_CARDNO_INVALID)
				return fsy__cmd_fail(c, FSY_EINVAL, "%s must be a "
				    "card number like W0001 or a customer id "
				    "(got '%.40s')", f, s);
		}
		v->s = v->buf;
		return FSY_OK;
	case FSY__A_AGENT:
		if (fsy_uuid_valid(s))
			lower_copy(v->buf, s, sizeof(v->buf));
		else if (valid_id(s, 40))
			snprintf(v->buf, sizeof(v->buf), "%s", s);
		else
			return fsy__cmd_fail(c, FSY_EINVAL, "%s must be an agent "
			    "code like A001 or an agent id (got '%.40s')", f, s);
		v->s = v->buf;
		return FSY_OK;
	case FSY__A_PHONE:
		if (!valid_phone(s))
			return fsy__cmd_fail(c, FSY_EINVAL, "%s must be a phone "
			    "number: 3 to 32 digits, spaces and + - ( ) (got "
			    "'%.40s')", f, s);
		v->s = s;
		return FSY_OK;
	case FSY__A_TAGS:
		if (norm_tags(s, v->buf, sizeof(v->buf)) != 0)
			return fsy__cmd_fail(c, FSY_EINVAL, "%s must be a comma "
			    "list of at most 16 tags of letters, digits and '_' "
			    "(got '%.40s')", f, s);
		v->s = v->buf[0] ? v->buf : NULL;
		return FSY_OK;
	case FSY__A_PATH:
		if (s[0] != '/' || strlen(s) > 4000)
			return fsy__cmd_fail(c, FSY_EINVAL,
			    "%s must be an absolute path (got '%.64s')", f, s);
		v->s = s;
		return FSY_OK;
	default:
		return fsy__cmd_fail(c, FSY_EINTERNAL,
		    "argument %s has no type", a->name);
	}
}

int
fsy__cmd_check_args(fsy__cmd_t *c, const fsy__arg_t *spec, int readonly_table)
{
	static const fsy__arg_t none[] = {{NULL, 0, 0, NULL, 0, 0, 0, NULL}};
	const char *key;
	json_t *val;
	char fb[48];
	int i, n, rc;

	c->spec = spec != NULL ? spec : none;
	memset(c->vals, 0, sizeof(c->vals));
	for (n = 0; c->spec[n].name != NULL; n++)
		;
	if (n > FSY__MAX_ARGS)
		return fsy__cmd_fail(c, FSY_EINTERNAL, "too many arguments");
	if (c->args == NULL)
		return FSY_OK;
	json_object_foreach(c->args, key, val) {
		for (i = 0; i < n; i++)
			if (strcmp(c->spec[i].name, key) == 0)
				break;
		if (i == n) {
			fsy__arg_t tmp = {key, 0, 0, NULL, 0, 0, 0, NULL};
			int col = readonly_table >= 0
			    ? fsy_col_find(readonly_table, key) : -1;
			if (col >= 0 && (fsy_tables[readonly_table].cols[col].flags &
			    FSY_COL_HO))
				return fsy__cmd_fail(c, FSY_EREADONLY, "%.40s is a "
				    "head-office column: it is set by head office "
				    "and cannot be edited on a laptop", key);
			if (strlen(key) > 40)
				return fsy__cmd_fail(c, FSY_EINVAL,
				    "unknown argument for '%s'", c->name);
			return fsy__cmd_fail(c, FSY_EINVAL,
			    "unknown argument %s for '%s' (see fieldsync %s "
			    "--help)", flagname(&tmp, fb, sizeof(fb)), c->name,
			    c->name);
		}
		if ((rc = check_one(c, &c->spec[i], val, &c->vals[i])) != FSY_OK)
			return rc;
	}
	for (i = 0; i < n; i++)
		if ((c->spec[i].flags & FSY__REQ) && !c->vals[i].set)
			return fsy__cmd_fail(c, FSY_EINVAL, "missing %s",
			    flagname(&c->spec[i], fb, sizeof(fb)));
	return FSY_OK;
}

const fsy__val_t *
fsy__arg(const fsy__cmd_t *c, const char *name)
{
	for (int i = 0; c->spec != NULL && c->spec[i].name != NULL; i++)
		if (strcmp(c->spec[i].name, name) == 0)
			return &c->vals[i];
	return NULL;
}

const char *
fsy__arg_s(const fsy__cmd_t *c, const char *name)
{
	const fsy__val_t *v = fsy__arg(c, name);

	return v != NULL && v->set ? v->s : NULL;
}

int64_t
fsy__arg_i(const fsy__cmd_t *c, const char *name, int64_t def)
{
	const fsy__val_t *v = fsy__arg(c, name);

	return v != NULL && v->set && (v->s != NULL ||
	    c->spec[v - c->vals].type == FSY__A_BOOL) ? v->i : def;
}

int
fsy__arg_set(const fsy__cmd_t *c, const char *name)
{
	const fsy__val_t *v = fsy__arg(c, name);

	return v != NULL && v->set;
}

/* ---- SQL helpers ---------------------------------------------------------- */

/* Prepares sql (not cached: handlers hold statements across calls into
 * other modules) and binds the parameters. */
static int
prepare(fsy__cmd_t *c, sqlite3_stmt **out, const char *sql, const char *types,
    va_list ap)
{
	sqlite3 *db = fsy_store_db(c->st);
	sqlite3_stmt *s = NULL;
	int rc = sqlite3_prepare_v2(db, sql, -1, &s, NULL);

	if (rc != SQLITE_OK)
		return fsy__cmd_store_fail(c, fsy_store_err(c->st, rc),
		    "cannot prepare a query");
	for (int i = 0; types != NULL && types[i] != '\0'; i++) {
		if (types[i] == 't') {
			const char *t = va_arg(ap, const char *);
			rc = t ? sqlite3_bind_text(s, i + 1, t, -1,
			    SQLITE_TRANSIENT) : sqlite3_bind_null(s, i + 1);
		} else if (types[i] == 'n') {
			int64_t v = va_arg(ap, int64_t);
			rc = v == FSY__NULL_INT ? sqlite3_bind_null(s, i + 1)
			    : sqlite3_bind_int64(s, i + 1, v);
		} else {
			rc = sqlite3_bind_int64(s, i + 1, va_arg(ap, int64_t));
		}
		if (rc != SQLITE_OK) {
			sqlite3_finalize(s);
			return fsy__cmd_store_fail(c, fsy_store_err(c->st, rc),
			    "cannot bind a parameter");
		}
	}
	*out = s;
	return FSY_OK;
}

static json_t *
column_json(sqlite3_stmt *s, int i)
{
	switch (sqlite3_column_type(s, i)) {
	case SQLITE_INTEGER:
		return json_integer((json_int_t)sqlite3_column_int64(s, i));
	case SQLITE_FLOAT:
		return json_real(sqlite3_column_double(s, i));
	case SQLITE_NULL:
		return json_null();
	case SQLITE_BLOB: {
		const uint8_t *b = sqlite3_column_blob(s, i);
		int n = sqlite3_column_bytes(s, i);
		char *hex = malloc((size_t)n * 2 + 1);
		json_t *j;
		if (hex == NULL)
			return NULL;
		fsy_hex(b, (size_t)n, hex);
		j = json_string(hex);
		free(hex);
		return j;
	}
	default:
		return fsy__json_str((const char *)sqlite3_column_text(s, i));
	}
}

/* Steps s to the end, appending each row to arr (or, max 1, into *one). */
static int
collect(fsy__cmd_t *c, sqlite3_stmt *s, json_t *arr, json_t **one)
{
	int rc;

	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		json_t *o = json_object();
		int n = sqlite3_column_count(s);
		if (o == NULL)
			return fsy__cmd_fail(c, FSY_ENOMEM, "out of memory");
		for (int i = 0; i < n; i++) {
			if (fsy__json_set(o, sqlite3_column_name(s, i),
			    column_json(s, i)) != 0) {
				json_decref(o);
				return fsy__cmd_fail(c, FSY_ENOMEM,
				    "out of memory");
			}
		}
		if (one != NULL) {
			*one = o;
			return FSY_OK;
		}
		if (json_array_append_new(arr, o) != 0)
			return fsy__cmd_fail(c, FSY_ENOMEM, "out of memory");
	}
	if (rc != SQLITE_DONE)
		return fsy__cmd_store_fail(c, fsy_store_err(c->st, rc),
		    "query failed");
	return FSY_OK;
}

json_t *
fsy__cmd_rows(fsy__cmd_t *c, int *rc, const char *sql, const char *types, ...)
{
	sqlite3_stmt *s = NULL;
	json_t *arr = NULL;
	va_list ap;

	va_start(ap, types);
	*rc = prepare(c, &s, sql, types, ap);
	va_end(ap);
	if (*rc != FSY_OK)
		return NULL;
	if ((arr = json_array()) == NULL)
		*rc = fsy__cmd_fail(c, FSY_ENOMEM, "out of memory");
	else
		*rc = collect(c, s, arr, NULL);
	sqlite3_finalize(s);
	if (*rc != FSY_OK) {
		json_decref(arr);
		arr = NULL;
	}
	return arr;
}

json_t *
fsy__cmd_row(fsy__cmd_t *c, int *rc, const char *sql, const char *types, ...)
{
	sqlite3_stmt *s = NULL;
	json_t *one = NULL;
	va_list ap;

	va_start(ap, types);
	*rc = prepare(c, &s, sql, types, ap);
	va_end(ap);
	if (*rc != FSY_OK)
		return NULL;
	*rc = collect(c, s, NULL, &one);
	sqlite3_finalize(s);
	if (*rc != FSY_OK) {
		json_decref(one);
		return NULL;
	}
	if (one == NULL && (one = json_null()) == NULL)
		*rc = fsy__cmd_fail(c, FSY_ENOMEM, "out of memory");
	return one;
}

int
fsy__cmd_exec(fsy__cmd_t *c, int *changes, const char *sql, const char *types,
    ...)
{
	sqlite3_stmt *s = NULL;
	va_list ap;
	int rc;

	va_start(ap, types);
	rc = prepare(c, &s, sql, types, ap);
	va_end(ap);
	if (rc != FSY_OK)
		return rc;
	rc = sqlite3_step(s);
	if (rc == SQLITE_DONE || rc == SQLITE_ROW) {
		rc = FSY_OK;
		if (changes != NULL)
			*changes = sqlite3_changes(fsy_store_db(c->st));
	} else {
		rc = fsy__cmd_store_fail(c, fsy_store_err(c->st, rc),
		    "cannot write");
	}
	sqlite3_finalize(s);
	return rc;
}

int
fsy__cmd_int(fsy__cmd_t *c, int64_t *out, int64_t def, const char *sql,
    const char *types, ...)
{
	sqlite3_stmt *s = NULL;
	va_list ap;
	int rc;

	va_start(ap, types);
	rc = prepare(c, &s, sql, types, ap);
	va_end(ap);
	if (rc != FSY_OK)
		return rc;
	*out = def;
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		if (sqlite3_column_type(s, 0) != SQLITE_NULL)
			*out = sqlite3_column_int64(s, 0);
		rc = FSY_OK;
	} else if (rc == SQLITE_DONE) {
		rc = FSY_OK;
	} else {
		rc = fsy__cmd_store_fail(c, fsy_store_err(c->st, rc),
		    "query failed");
	}
	sqlite3_finalize(s);
	return rc;
}

/* ---- JSON helpers --------------------------------------------------------- */

/* Length of the valid UTF-8 sequence at s, or 0. */
static size_t
utf8_len(const unsigned char *s)
{
	size_t n, i;
	uint32_t cp;

	if (s[0] < 0x80)
		return 1;
	if ((s[0] & 0xe0) == 0xc0) {
		n = 2;
		cp = s[0] & 0x1f;
	} else if ((s[0] & 0xf0) == 0xe0) {
		n = 3;
		cp = s[0] & 0x0f;
	} else if ((s[0] & 0xf8) == 0xf0) {
		n = 4;
		cp = s[0] & 0x07;
	} else {
		return 0;
	}
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) ||
	    (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

json_t *
fsy__json_str(const char *s)
{
	json_t *j;
	char *copy;
	size_t i, n;

	if (s == NULL)
		return json_null();
	if ((j = json_string(s)) != NULL)
		return j;
	n = strlen(s);
	if ((copy = malloc(n + 1)) == NULL)
		return NULL;
	for (i = 0; i < n;) {
		size_t k = utf8_len((const unsigned char *)s + i);
		if (k == 0) {
			copy[i++] = '?';
		} else {
			memcpy(copy + i, s + i, k);
			i += k;
		}
	}
	copy[n] = '\0';
	j = json_string(copy);
	free(copy);
	return j;
}

int
fsy__json_set(json_t *obj, const char *key, json_t *v)
{
	if (v == NULL)
		return -1;
	return json_object_set_new(obj, key, v) == 0 ? 0 : -1;
}

void
fsy__cmd_local_day(int64_t ms, char out[11])
{
	fsy_iso_date(ms + (int64_t)FSY_CMD_TZ_MIN * 60000, out);
}

/* ---- look-ups ------------------------------------------------------------- */

int
fsy__cmd_customer(fsy__cmd_t *c, const char *ref, const char *flag,
    char id[37])
{
	sqlite3_stmt *s = NULL;
	int rc, n = 0;
	int by_id = fsy_uuid_valid(ref);

	rc = sqlite3_prepare_v2(fsy_store_db(c->st), by_id
	    ? "SELECT id FROM customer WHERE id = ?1 AND deleted = 0"
	    : "SELECT id FROM customer WHERE card_no = ?1 AND deleted = 0 "
	      "LIMIT 2", -1, &s, NULL);
	if (rc != SQLITE_OK)
		return fsy__cmd_store_fail(c, fsy_store_err(c->st, rc),
		    "cannot look up the customer");
	sqlite3_bind_text(s, 1, ref, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (n++ == 0)
			snprintf(id, 37, "%s", sqlite3_column_text(s, 0));
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE)
		return fsy__cmd_store_fail(c, fsy_store_err(c->st, rc),
		    "cannot look up the customer");
	if (n == 0) {
		if (by_id)
			return fsy__cmd_fail(c, FSY_ENOTFOUND,
			    "no customer with id %s%s", ref,
			    c->ctx->role == FSY_ROLE_AGENT
			    ? " on this laptop" : "");
		return fsy__cmd_fail(c, FSY_ENOTFOUND, "no customer with card "
		    "%s%s", ref, c->ctx->role == FSY_ROLE_AGENT
		    ? " on this laptop" : "");
	}
	if (n > 1)
		return fsy__cmd_fail(c, FSY_EINVAL, "card %s names more than one "
		    "customer: give %s as the customer id", ref,
		    flag ? flag : "the customer");
	return FSY_OK;
}

int
fsy__cmd_agent(fsy__cmd_t *c, const char *ref, const char *flag, char id[37],
    char *code, char *status, size_t n)
{
	sqlite3_stmt *s = NULL;
	int rc = sqlite3_prepare_v2(fsy_store_db(c->st),
	    "SELECT id, code, status FROM agent WHERE id = ?1 OR code = ?1 "
	    "ORDER BY id = ?1 DESC LIMIT 1", -1, &s, NULL);

	(void)flag;
	if (rc != SQLITE_OK)
		return fsy__cmd_store_fail(c, fsy_store_err(c->st, rc),
		    "cannot look up the agent");
	sqlite3_bind_text(s, 1, ref, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		snprintf(id, 37, "%s", sqlite3_column_text(s, 0));
		if (code != NULL)
			snprintf(code, n, "%s", sqlite3_column_text(s, 1));
		if (status != NULL)
			snprintf(status, n, "%s", sqlite3_column_text(s, 2));
		rc = FSY_OK;
	} else if (rc == SQLITE_DONE) {
		rc = fsy__cmd_fail(c, FSY_ENOTFOUND, "no agent %s", ref);
	} else {
		rc = fsy__cmd_store_fail(c, fsy_store_err(c->st, rc),
		    "cannot look up the agent");
	}
	sqlite3_finalize(s);
	return rc;
}

int
fsy__cmd_add_names(fsy__cmd_t *c, json_t *obj, const char *const *keys)
{
	sqlite3_stmt *s = NULL, *p = NULL;
	int rc = sqlite3_prepare_v2(fsy_store_db(c->st),
	    "SELECT card_no, name FROM customer WHERE id = ?", -1, &s, NULL);

	if (rc == SQLITE_OK)
		rc = sqlite3_prepare_v2(fsy_store_db(c->st),
		    "SELECT policy_no FROM policy WHERE id = ?", -1, &p, NULL);
	if (rc != SQLITE_OK) {
		sqlite3_finalize(s);
		return fsy__cmd_store_fail(c, fsy_store_err(c->st, rc),
		    "cannot look up customers");
	}
	rc = FSY_OK;
	for (; *keys != NULL && rc == FSY_OK; keys++) {
		json_t *arr = json_object_get(obj, *keys), *o;
		size_t i;
		json_array_foreach(arr, i, o) {
			const char *id = json_string_value(
			    json_object_get(o, "customer_id"));
			json_t *card = json_null(), *name = json_null();
			if (id != NULL) {
				sqlite3_reset(s);
				sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
				if (sqlite3_step(s) == SQLITE_ROW) {
					json_decref(card);
					json_decref(name);
					card = fsy__json_str((const char *)
					    sqlite3_column_text(s, 0));
					name = fsy__json_str((const char *)
					    sqlite3_column_text(s, 1));
				}
			}
			if (fsy__json_set(o, "card_no", card) != 0 ||
			    fsy__json_set(o, "name", name) != 0) {
				rc = fsy__cmd_fail(c, FSY_ENOMEM, "out of memory");
				break;
			}
			id = json_string_value(json_object_get(o, "policy_id"));
			if (id == NULL)
				continue;
			sqlite3_reset(p);
			sqlite3_bind_text(p, 1, id, -1, SQLITE_STATIC);
			if (fsy__json_set(o, "policy_no", sqlite3_step(p) ==
			    SQLITE_ROW ? fsy__json_str((const char *)
			    sqlite3_column_text(p, 0)) : json_null()) != 0) {
				rc = fsy__cmd_fail(c, FSY_ENOMEM, "out of memory");
				break;
			}
		}
	}
	sqlite3_finalize(s);
	sqlite3_finalize(p);
	return rc;
}

/* ---- tiers ---------------------------------------------------------------- */

int
fsy__cmd_tiers(fsy__cmd_t *c, fsy_tiers_t **out)
{
	char dir[1024], err[256] = "";
	int rc;

	if (c->ctx->datadir != NULL)
		snprintf(dir, sizeof(dir), "%s/tiers", c->ctx->datadir);
	else if ((rc = fsy_tiers_default_dir(dir, sizeof(dir))) != FSY_OK)
		return fsy__cmd_fail(c, rc, "tier scheme directory: path too long");
	rc = fsy_tiers_load_dir(dir, out, err, sizeof(err));
	if (rc != FSY_OK)
		return fsy__cmd_fail(c, rc, "cannot load the tier schemes of %s: %s",
		    dir, err[0] ? err : fsy_strerror(rc));
	return FSY_OK;
}

json_t *
fsy__cmd_tier_eval(fsy__cmd_t *c, int *rc, const fsy_tiers_t *t,
    const char *customer_id, const char *as_of)
{
	json_t *arr = json_array();
	int i, k;

	*rc = FSY_OK;
	if (arr == NULL) {
		*rc = fsy__cmd_fail(c, FSY_ENOMEM, "out of memory");
		return NULL;
	}
	for (i = 0; i < fsy_tiers_count(t); i++) {
		const fsy_tier_scheme_t *s = fsy_tiers_at(t, i);
		fsy_tier_result_t r;
		json_t *o, *ben;
		int bad;

		*rc = fsy_tier_eval_customer(c->st, s, customer_id, as_of, &r);
		if (*rc != FSY_OK) {
			fsy__cmd_fail(c, *rc, "tier scheme %s: %s",
			    fsy_tier_scheme_id(s), *rc == FSY_ENOTFOUND
			    ? "no such customer" : fsy_strerror(*rc));
			json_decref(arr);
			return NULL;
		}
		o = json_object();
		ben = json_array();
		bad = o == NULL || ben == NULL;
		for (k = 0; !bad && k < r.nbenefits; k++)
			bad = json_array_append_new(ben,
			    fsy__json_str(r.benefits[k])) != 0;
		if (bad ||
		    fsy__json_set(o, "scheme",
		        fsy__json_str(fsy_tier_scheme_id(s))) ||
		    fsy__json_set(o, "scheme_name",
		        fsy__json_str(fsy_tier_scheme_name(s))) ||
		    fsy__json_set(o, "score_fen", json_integer(r.score_fen)) ||
		    fsy__json_set(o, "level", r.level < 0 ? json_null()
		        : json_integer(r.level)) ||
		    fsy__json_set(o, "level_code", fsy__json_str(r.level_code)) ||
		    fsy__json_set(o, "level_name", fsy__json_str(r.level_name)) ||
		    fsy__json_set(o, "next_name", fsy__json_str(r.next_name)) ||
		    fsy__json_set(o, "gap_fen", json_integer(r.gap_fen)) ||
		    fsy__json_set(o, "honour", r.honour < 0 ? json_null()
		        : json_boolean(r.honour)) ||
		    fsy__json_set(o, "paid_fen", json_integer(r.paid_fen)) ||
		    fsy__json_set(o, "counted", json_integer(r.ncounted)) ||
		    fsy__json_set(o, "skipped", json_integer(r.nskipped)) ||
		    json_object_set(o, "benefits", ben) != 0 ||
		    json_array_append(arr, o) != 0) {
			json_decref(o);
			json_decref(ben);
			json_decref(arr);
			*rc = fsy__cmd_fail(c, FSY_ENOMEM, "out of memory");
			return NULL;
		}
		json_decref(o);
		json_decref(ben);
	}
	return arr;
}

/* ---- ping ----------------------------------------------------------------- */

/* ping: who answers — role, site, agent id, version. */
static int
cmd_ping(fsy__cmd_t *c)
{
	const char *role = c->ctx->role == FSY_ROLE_HUB ? "hub"
	    : c->ctx->lead ? "lead" : "agent";
	json_t *o = json_object();

	if (o == NULL || fsy__json_set(o, "role", json_string(role)) ||
	    fsy__json_set(o, "site", fsy__json_str(fsy_store_site(c->st))) ||
	    fsy__json_set(o, "agent_id", c->agent_id[0]
	        ? json_string(c->agent_id) : json_null()) ||
	    fsy__json_set(o, "version", json_string(FSY_VERSION_STRING)) ||
	    fsy__json_set(o, "now", json_string(c->now))) {
		json_decref(o);
		return fsy__cmd_fail(c, FSY_ENOMEM, "out of memory");
	}
	c->data = o;
	return FSY_OK;
}

const fsy__cmd_def_t fsy__cmds_util[] = {
	{"ping", cmd_ping, FSY__W_ANY, 0, NULL},
	{NULL, NULL, 0, 0, NULL},
};
