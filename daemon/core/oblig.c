/*
 * oblig.c — service obligations, derived in one ordered pass (oblig.h).
 *
 * How it works. A scan runs up to four queries, each ordered by
 * customer_id: customers, their own policies, their visits in the date
 * range that matters, and (hub) their ownership history. It walks them in
 * step like a merge join, gathers one customer's rows at a time into
 * per-customer buffers, derives that customer's obligation instances with
 * the rules below (docs/OBLIGATIONS.md), and hands each instance to a sink:
 * the list and agenda sinks copy the instances they keep, the coverage sink
 * adds them to per-agent tallies. So the three questions share one set of
 * rules, and a coverage report over 100,000 customers costs a few ordered
 * index scans, not a query per customer.
 *
 * Times are Unix seconds (UTC); days are whole local days since 1970-01-01
 * (an instant's day is taken after adding the time-zone offset).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "oblig.h"
#include "util.h"

#define NO_TIME INT64_MIN   /* an unknown instant or day */
#define DAY_SECS 86400
#define MAX_STEPS 2400      /* renewal due dates walked back per policy */
#define BLOCK_SIZE 16384    /* arena block payload */

/* ---- small helpers ------------------------------------------------------ */

static int64_t
floordiv(int64_t a, int64_t b)
{
	int64_t q = a / b;

	if ((a % b != 0) && ((a < 0) != (b < 0)))
		q--;
	return q;
}

static int64_t
min64(int64_t a, int64_t b)
{
	return a < b ? a : b;
}

static int64_t
max64(int64_t a, int64_t b)
{
	return a > b ? a : b;
}

static int
days_in_month(int y, unsigned m)
{
	int64_t a = fsy_days_from_civil(y, m, 1);
	int64_t b = m == 12 ? fsy_days_from_civil(y + 1, 1, 1) :
	    fsy_days_from_civil(y, m + 1, 1);

	return (int)(b - a);
}

/* The day `months` months after day, on day-of-month anchor (clamped to
 * the length of the month reached). */
static int64_t
add_months(int64_t day, int64_t months, int anchor)
{
	int y;
	unsigned m, d;
	int64_t total, ny;
	int nm, dim;

	fsy_civil_from_days(day, &y, &m, &d);
	total = (int64_t)y * 12 + (int64_t)(m - 1) + months;
	ny = floordiv(total, 12);
	nm = (int)(total - ny * 12) + 1;
	dim = days_in_month((int)ny, (unsigned)nm);
	return fsy_days_from_civil((int)ny, (unsigned)nm,
	    (unsigned)(anchor < dim ? anchor : dim));
}

static void
day_text(int64_t day, char out[11])
{
	fsy_iso_date(day * DAY_SECS * 1000, out);
}

static void
time_text(int64_t t, char out[21])
{
	fsy_iso_time(t * 1000, out);
}

static int
streq(const char *a, const char *b)
{
	return a != NULL && b != NULL && strcmp(a, b) == 0;
}

/* strcmp with NULL ordered after every string. */
static int
strcmp_null_last(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return (a == NULL) - (b == NULL);
	return strcmp(a, b);
}

/* Grows *p (elements of size elem, capacity *cap) to hold need elements. */
static int
grow(void **p, size_t *cap, size_t need, size_t elem)
{
	size_t ncap;
	void *np;

	if (need <= *cap)
		return FSY_OK;
	ncap = *cap ? *cap : 16;
	while (ncap < need) {
		if (ncap > SIZE_MAX / 2)
			return FSY_ENOMEM;
		ncap *= 2;
	}
	if (ncap > SIZE_MAX / elem)
		return FSY_ENOMEM;
	np = realloc(*p, ncap * elem);
	if (np == NULL)
		return FSY_ENOMEM;
	*p = np;
	*cap = ncap;
	return FSY_OK;
}

/* ---- arena: strings that live as long as a customer or a result --------- */

typedef struct blk {
	struct blk *next; /* older block */
	size_t used, cap; /* bytes used and available in data */
	char data[];
} blk_t;

typedef struct arena {
	blk_t *head; /* newest block; NULL when empty */
} arena_t;

static char *
arena_alloc(arena_t *a, size_t n)
{
	blk_t *b = a->head;
	char *p;

	if (b == NULL || b->cap - b->used < n) {
		size_t cap = n > BLOCK_SIZE ? n : BLOCK_SIZE;

		if (cap > SIZE_MAX - sizeof(blk_t))
			return NULL;
		b = malloc(sizeof(blk_t) + cap);
		if (b == NULL)
			return NULL;
		b->next = a->head;
		b->used = 0;
		b->cap = cap;
		a->head = b;
	}
	p = b->data + b->used;
	b->used += n;
	return p;
}

/* Copies s (NULL stays NULL) into the arena; FSY_ENOMEM on failure. */
static int
arena_dup(arena_t *a, const char *s, const char **out)
{
	size_t n;
	char *p;

	*out = NULL;
	if (s == NULL)
		return FSY_OK;
	n = strlen(s) + 1;
	p = arena_alloc(a, n);
	if (p == NULL)
		return FSY_ENOMEM;
	memcpy(p, s, n);
	*out = p;
	return FSY_OK;
}

/* Forgets everything, keeping the newest block for reuse. */
static void
arena_reset(arena_t *a)
{
	blk_t *b, *next;

	if (a->head == NULL)
		return;
	for (b = a->head->next; b != NULL; b = next) {
		next = b->next;
		free(b);
	}
	a->head->next = NULL;
	a->head->used = 0;
}

static void
arena_free(arena_t *a)
{
	blk_t *b, *next;

	for (b = a->head; b != NULL; b = next) {
		next = b->next;
		free(b);
	}
	a->head = NULL;
}

/* The private storage behind a result. */
struct fsy_obl_mem {
	arena_t arena; /* the strings of the result */
};

/* ---- names -------------------------------------------------------------- */

static const char *const kind_names[FSY_OBL_NKINDS] = {
	"festival_care", "company_news", "new_product", "service_festival",
	"renewal", "delivery", "first_contact", "survival_notice",
	"maturity_notice", "visit_record",
};

static const char *const status_names[FSY_OBL_NSTATUS] = {
	"met", "late", "open", "overdue", "missed",
};

const char *
fsy_obl_kind_name(fsy_obl_kind_t k)
{
	if ((int)k < 0 || k >= FSY_OBL_NKINDS)
		return "?";
	return kind_names[k];
}

const char *
fsy_obl_status_name(fsy_obl_status_t s)
{
	if ((int)s < 0 || s >= FSY_OBL_NSTATUS)
		return "?";
	return status_names[s];
}

int
fsy_obl_kind_parse(const char *s)
{
	int k;

	if (s == NULL)
		return FSY_EINVAL;
	for (k = 0; k < FSY_OBL_NKINDS; k++)
		if (strcmp(s, kind_names[k]) == 0)
			return k;
	return FSY_EINVAL;
}

/* Visit channels and topics (schema/0001_core.sql). */
enum { CH_VISIT, CH_PHONE, CH_WECHAT, CH_SMS, CH_EVENT, CH_N };
static const char *const channel_names[CH_N] = {
	"visit", "phone", "wechat", "sms", "event",
};
#define CHB(c) (1u << (c))

enum {
	T_GENERAL, T_BIRTHDAY, T_SPRING, T_MIDAUTUMN, T_NATIONAL, T_MOTHERS,
	T_FATHERS, T_NEWS, T_PRODUCT, T_RENEWAL, T_DELIVERY, T_FIRST,
	T_SURVIVAL, T_SERVFEST, T_CLAIM, T_N
};
static const char *const topic_names[T_N] = {
	"general", "birthday", "spring_festival", "mid_autumn",
	"national_day", "mothers_day", "fathers_day", "company_news",
	"new_product", "renewal", "delivery", "first_contact",
	"survival_notice", "service_festival", "claim",
};

static int
lookup(const char *s, const char *const *names, int n)
{
	int i;

	if (s == NULL)
		return -1;
	for (i = 0; i < n; i++)
		if (strcmp(s, names[i]) == 0)
			return i;
	return -1;
}

/* ---- the rows of one customer ------------------------------------------- */

typedef struct vis {
	const char *id, *agent, *policy; /* visit id, who, which policy */
	int64_t at;     /* happened_at */
	int64_t rec;    /* recorded_at (else received_at); NO_TIME unknown */
	int64_t day;    /* local day of at */
	int topic;      /* T_*, -1 unknown */
	int channel;    /* CH_*, -1 unknown */
} vis_t;

typedef struct pol {
	const char *id;
	int pay_months; /* months between premiums; 0 single or unknown */
	int renewable;  /* in force or in grace */
	int noticeable; /* in force, grace, paid up or matured */
	int is_main;
	int64_t issue, next_due, survival, end; /* days; NO_TIME unknown */
} pol_t;

typedef struct hist {
	const char *from, *to; /* agents; NULL: none */
	int64_t at;
	size_t seq;
} hist_t;

typedef struct cust {
	const char *id;
	const char *owner;   /* owner_agent_id now; NULL none */
	int64_t owner_since; /* NO_TIME unknown */
	int care;            /* VIP or 3 stars and more */
	int bmon, bday;      /* birth month and day; 0 unknown */
	int64_t created;     /* the day the card was made; NO_TIME unknown */
	vis_t *v;            /* visible visits, by time */
	size_t nv;
	pol_t *p;
	size_t np;
	hist_t *h;           /* ownership changes by time (hub) */
	size_t nh;
} cust_t;

/* One derived obligation; strings live until the next customer. */
typedef struct rec {
	fsy_obl_kind_t kind;
	fsy_obl_status_t status;
	const char *cust, *agent, *policy, *visit;
	int64_t start, due; /* days */
	int64_t due_at;     /* the deadline instant */
	int64_t met_at;     /* NO_TIME while unmet */
	int progress, required;
} rec_t;

typedef int (*sink_fn)(void *ctx, const rec_t *r);

typedef enum { SCOPE_ALL, SCOPE_CUSTOMER, SCOPE_OWNER } scope_t;

typedef struct scan {
	fsy_store_t *st;
	int64_t tz;           /* seconds east of UTC */
	int64_t asof;         /* the as-of day */
	int64_t asof_end;     /* its last second */
	int64_t d0, d1;       /* due days wanted */
	sink_fn sink;
	void *ctx;
	size_t ncust;         /* customers seen */
	arena_t arena;        /* the current customer's strings */
	vis_t *v;
	size_t cv;
	pol_t *p;
	size_t cp;
	hist_t *h;
	size_t ch;
} scan_t;

static int64_t
local_day(const scan_t *s, int64_t t)
{
	return floordiv(t + s->tz, DAY_SECS);
}

static int64_t
day_end(const scan_t *s, int64_t day)
{
	return (day + 1) * DAY_SECS - s->tz - 1;
}

/* An instant column: a full timestamp is UTC; a bare date is the start of
 * that local day. Returns 0, or -1 when unreadable (or NULL). */
static int
parse_instant(const scan_t *s, const char *text, int64_t *t)
{
	int64_t ms;

	if (text == NULL || fsy_parse_time(text, &ms) != FSY_OK)
		return -1;
	if (strlen(text) == 10)
		*t = ms / 1000 - s->tz;
	else
		*t = ms / 1000;
	return 0;
}

/* A date column: a bare date is that day; a timestamp its local day.
 * NO_TIME when unreadable or NULL. */
static int64_t
parse_day(const scan_t *s, const char *text)
{
	int64_t ms;

	if (text == NULL || fsy_parse_time(text, &ms) != FSY_OK)
		return NO_TIME;
	if (strlen(text) == 10)
		return floordiv(ms, DAY_SECS * 1000);
	return local_day(s, ms / 1000);
}

/*
 * Who owned customer c at instant t. With ownership history (hub): the
 * receiver of the last change at or before t, or before the first change
 * the agent it was taken from (or, when the first change was a first
 * assignment from nobody, its receiver). Without: the owner now, from owner_since
 * on. NULL when nobody (known) did.
 */
static const char *
owner_at(const cust_t *c, int64_t t)
{
	if (c->nh > 0) {
		/* A first assignment from nobody (the import of an existing
		 * customer, a card made on a laptop) records who has served the
		 * customer all along: that agent owes what fell due before. */
		const char *o = c->h[0].from != NULL ? c->h[0].from
		                                     : c->h[0].to;
		for (size_t i = 0; i < c->nh && c->h[i].at <= t; i++)
			o = c->h[i].to;
		return o;
	}
	if (c->owner != NULL &&
	    (c->owner_since == NO_TIME || c->owner_since <= t))
		return c->owner;
	return NULL;
}

/* ---- the rules ---------------------------------------------------------- */

/* What a visit must be to meet a single-visit obligation. */
typedef struct match {
	int topic;          /* T_*, or -1: any topic */
	unsigned chans;     /* CHB() bits; 0: any channel */
	const char *policy; /* visits naming another policy do not count */
	const char *agent;  /* non-NULL: only this agent's visits count */
	int64_t from;       /* visits before this instant do not count */
	int64_t until;      /* nor those at or after it (NO_TIME: none) */
} match_t;

static int
visit_matches(const vis_t *v, const match_t *m)
{
	if (m->topic >= 0 && v->topic != m->topic)
		return 0;
	if (m->chans != 0 &&
	    (v->channel < 0 || (m->chans & CHB(v->channel)) == 0))
		return 0;
	if (m->policy != NULL && v->policy != NULL &&
	    strcmp(m->policy, v->policy) != 0)
		return 0;
	if (m->agent != NULL && !streq(m->agent, v->agent))
		return 0;
	if (m->from != NO_TIME && v->at < m->from)
		return 0;
	if (m->until != NO_TIME && v->at >= m->until)
		return 0;
	return 1;
}

/* Fills in the owner-independent fields of r. */
static void
rec_init(rec_t *r, fsy_obl_kind_t kind, const cust_t *c, const char *policy,
    int64_t start, int64_t due)
{
	memset(r, 0, sizeof(*r));
	r->kind = kind;
	r->cust = c->id;
	r->policy = policy;
	r->start = start;
	r->due = due;
	r->met_at = NO_TIME;
	r->required = 1;
}

/* The status of an unmet obligation owned by r->agent. */
static fsy_obl_status_t
unmet_status(const scan_t *s, const cust_t *c, const rec_t *r, int late_ok)
{
	if (r->due >= s->asof)
		return FSY_OBL_OPEN;
	if (late_ok && streq(owner_at(c, s->asof_end), r->agent))
		return FSY_OBL_OVERDUE;
	return FSY_OBL_MISSED;
}

/* Sets r->agent to the owner at the obligation's reference instant (the
 * end of its due day, or of the as-of day when that is earlier). Returns
 * 0 when nobody owned the customer then. */
static int
attribute(const scan_t *s, const cust_t *c, rec_t *r)
{
	r->agent = owner_at(c, min64(day_end(s, r->due), s->asof_end));
	return r->agent != NULL;
}

/*
 * A single-visit obligation: met by the first visible visit matching m
 * whose day is in [start, due] (on time) or, when late_ok, after due
 * (late). Emits r unless its window has not opened or its due day is out
 * of the scan's range.
 */
static int
single(scan_t *s, const cust_t *c, rec_t *r, const match_t *m, int late_ok)
{
	const vis_t *hit = NULL;
	size_t i;
	int rc = FSY_OK;

	if (r->start > s->asof || r->due < s->d0 || r->due > s->d1)
		goto out;
	if (r->agent == NULL && !attribute(s, c, r))
		goto out;
	r->due_at = day_end(s, r->due);
	for (i = 0; i < c->nv; i++) {
		const vis_t *v = &c->v[i];

		if (v->day < r->start)
			continue;
		if (!late_ok && v->day > r->due)
			break;
		if (visit_matches(v, m)) {
			hit = v;
			break;
		}
	}
	if (hit != NULL) {
		r->status = hit->day <= r->due ? FSY_OBL_MET : FSY_OBL_LATE;
		r->visit = hit->id;
		r->met_at = hit->at;
		r->progress = 1;
	} else {
		r->status = unmet_status(s, c, r, late_ok);
	}
	rc = s->sink(s->ctx, r);
out:
	return rc;
}

/* Festival occasion of a touch (0..4), or -1. Mother's and Father's Day
 * are one occasion (seed 004: 母亲节(父亲节)). */
static int
occasion(int topic)
{
	switch (topic) {
	case T_BIRTHDAY: return 0;
	case T_SPRING: return 1;
	case T_MIDAUTUMN: return 2;
	case T_NATIONAL: return 3;
	case T_MOTHERS:
	case T_FATHERS: return 4;
	default: return -1;
	}
}

/* A birthday touch counts within FSY_OBL_BIRTHDAY_DAYS of a birthday (any
 * touch counts when the birth date is unknown; 29 Feb is 28 Feb in common
 * years). */
static int
near_birthday(const cust_t *c, int64_t day)
{
	int y, yy;
	unsigned m, d;

	if (c->bmon == 0)
		return 1;
	fsy_civil_from_days(day, &y, &m, &d);
	for (yy = y - 1; yy <= y + 1; yy++) {
		int dim = days_in_month(yy, (unsigned)c->bmon);
		int bd = c->bday < dim ? c->bday : dim;
		int64_t b = fsy_days_from_civil(yy, (unsigned)c->bmon,
		    (unsigned)bd);

		if (day - b <= FSY_OBL_BIRTHDAY_DAYS &&
		    b - day <= FSY_OBL_BIRTHDAY_DAYS)
			return 1;
	}
	return 0;
}

/*
 * A counting obligation over the days [start, due]: met when the required
 * number of distinct touches is reached — distinct festival occasions for
 * festival care, distinct days for company news and new products. Cannot
 * be met late: a touch after due belongs to the next period.
 */
static int
counted(scan_t *s, const cust_t *c, rec_t *r)
{
	unsigned seen = 0;
	int64_t lastday = NO_TIME;
	size_t i;
	int rc = FSY_OK;

	if (r->start > s->asof || r->due < s->d0 || r->due > s->d1)
		goto out;
	if (!attribute(s, c, r))
		goto out;
	r->due_at = day_end(s, r->due);
	for (i = 0; i < c->nv; i++) {
		const vis_t *v = &c->v[i];
		int fresh = 0;

		if (v->day < r->start)
			continue;
		if (v->day > r->due)
			break;
		if (r->kind == FSY_OBL_FESTIVAL) {
			int o = occasion(v->topic);

			if (o < 0 || v->channel < 0 ||
			    (CHB(v->channel) & (CHB(CH_VISIT) | CHB(CH_PHONE) |
			    CHB(CH_WECHAT) | CHB(CH_SMS))) == 0)
				continue;
			if (o == 0 && !near_birthday(c, v->day))
				continue;
			fresh = (seen & (1u << o)) == 0;
			seen |= 1u << o;
		} else {
			int t = r->kind == FSY_OBL_NEWS ? T_NEWS : T_PRODUCT;

			if (v->topic != t)
				continue;
			fresh = v->day != lastday;
			lastday = v->day;
		}
		if (!fresh)
			continue;
		r->progress++;
		if (r->progress == r->required) {
			r->visit = v->id;
			r->met_at = v->at;
		}
	}
	if (r->progress >= r->required)
		r->status = FSY_OBL_MET;
	else
		r->status = unmet_status(s, c, r, 0);
	rc = s->sink(s->ctx, r);
out:
	return rc;
}

/* The per-year and per-half-year obligations of a customer: owed for
 * every whole period after the card was made (any period when created_at
 * is unknown). */
static int
gen_periodic(scan_t *s, const cust_t *c)
{
	int y, y0, y1, rc = FSY_OK;
	unsigned m, d;
	rec_t r;
	match_t fest = { T_SERVFEST, CHB(CH_VISIT) | CHB(CH_PHONE), NULL, NULL,
		NO_TIME, NO_TIME };

	fsy_civil_from_days(s->d0, &y0, &m, &d);
	fsy_civil_from_days(s->asof, &y1, &m, &d);
	for (y = y0; y <= y1 && rc == FSY_OK; y++) {
		int64_t jan1 = fsy_days_from_civil(y, 1, 1);
		int64_t jul1 = fsy_days_from_civil(y, 7, 1);
		int64_t dec31 = fsy_days_from_civil(y, 12, 31);
		int whole = c->created == NO_TIME || c->created <= jan1;

		if (c->created != NO_TIME && c->created > jul1)
			continue;
		if (whole && c->care) {
			rec_init(&r, FSY_OBL_FESTIVAL, c, NULL, jan1, dec31);
			r.required = FSY_OBL_FESTIVAL_MIN;
			rc = counted(s, c, &r);
		}
		if (whole && rc == FSY_OK) {
			rec_init(&r, FSY_OBL_NEWS, c, NULL, jan1, dec31);
			r.required = FSY_OBL_NEWS_MIN;
			rc = counted(s, c, &r);
		}
		if (whole && rc == FSY_OK) {
			rec_init(&r, FSY_OBL_PRODUCT, c, NULL, jan1, dec31);
			r.required = FSY_OBL_PRODUCT_MIN;
			rc = counted(s, c, &r);
		}
		if (whole && rc == FSY_OK) {
			rec_init(&r, FSY_OBL_SERVICE_FEST, c, NULL, jan1,
			    jul1 - 1);
			rc = single(s, c, &r, &fest, 0);
		}
		if (rc == FSY_OK) {
			rec_init(&r, FSY_OBL_SERVICE_FEST, c, NULL, jul1, dec31);
			rc = single(s, c, &r, &fest, 0);
		}
	}
	return rc;
}

/*
 * Renewal reminders of a regular-premium policy: one per premium due
 * date, the current next_due_date and the earlier ones of the same
 * schedule (stepping back one pay period at a time, on the issue day of
 * the month, while after the issue date). The window of a due date opens
 * FSY_OBL_RENEWAL_DAYS before it, but never before the day after the
 * previous due date. Only the current due date (unpaid) can be met late.
 */
static int
gen_renewal(scan_t *s, const cust_t *c, const pol_t *p)
{
	int y, anchor, rc = FSY_OK;
	unsigned m, d;
	int64_t j;
	match_t mt = { T_RENEWAL, 0, p->id, NULL, NO_TIME, NO_TIME };
	rec_t r;

	fsy_civil_from_days(p->next_due, &y, &m, &d);
	anchor = (int)d;
	if (p->issue != NO_TIME) {
		int iy, dim;
		unsigned im, id;

		fsy_civil_from_days(p->issue, &iy, &im, &id);
		dim = days_in_month(y, m);
		if ((int)d == ((int)id < dim ? (int)id : dim))
			anchor = (int)id;
	}
	for (j = 0; j < MAX_STEPS && rc == FSY_OK; j++) {
		int64_t due = j == 0 ? p->next_due :
		    add_months(p->next_due, -j * p->pay_months, anchor);
		int64_t prev = add_months(p->next_due,
		    -(j + 1) * p->pay_months, anchor);
		int64_t start;

		if (j > 0 && p->issue != NO_TIME && due <= p->issue)
			break;
		if (due < s->d0)
			break;
		if (p->issue != NO_TIME && prev < p->issue)
			prev = p->issue;
		start = max64(due - FSY_OBL_RENEWAL_DAYS, prev + 1);
		rec_init(&r, FSY_OBL_RENEWAL, c, p->id, start, due);
		rc = single(s, c, &r, &mt, j == 0);
	}
	return rc;
}

/* The policy obligations: renewal, delivery, survival and maturity. */
static int
gen_policies(scan_t *s, const cust_t *c)
{
	size_t i;
	int rc = FSY_OK;
	rec_t r;

	for (i = 0; i < c->np && rc == FSY_OK; i++) {
		const pol_t *p = &c->p[i];
		match_t mt = { -1, 0, p->id, NULL, NO_TIME, NO_TIME };

		if (p->pay_months > 0 && p->renewable && p->next_due != NO_TIME)
			rc = gen_renewal(s, c, p);
		if (rc == FSY_OK && p->is_main && p->issue != NO_TIME) {
			mt.topic = T_DELIVERY;
			mt.chans = CHB(CH_VISIT);
			rec_init(&r, FSY_OBL_DELIVERY, c, p->id, p->issue,
			    p->issue + FSY_OBL_DELIVERY_DAYS);
			rc = single(s, c, &r, &mt, 1);
		}
		mt.topic = T_SURVIVAL;
		mt.chans = 0;
		if (rc == FSY_OK && p->noticeable && p->survival != NO_TIME) {
			rec_init(&r, FSY_OBL_SURVIVAL, c, p->id,
			    p->survival - FSY_OBL_NOTICE_DAYS, p->survival);
			rc = single(s, c, &r, &mt, 1);
		}
		if (rc == FSY_OK && p->is_main && p->noticeable &&
		    p->end != NO_TIME) {
			rec_init(&r, FSY_OBL_MATURITY, c, p->id,
			    p->end - FSY_OBL_NOTICE_DAYS, p->end);
			rc = single(s, c, &r, &mt, 1);
		}
	}
	return rc;
}

/*
 * First contact: every time an agent receives the customer (a change in
 * ownership_history; without history, owner_since), that agent owes a
 * visit of its own within FSY_OBL_FIRST_DAYS days. If the customer moves
 * on before it is met and before it is due, it lapses without counting.
 */
static int
first_contact(scan_t *s, const cust_t *c, const char *to, int64_t t,
    int64_t next)
{
	int64_t start = local_day(s, t);
	int64_t due = start + FSY_OBL_FIRST_DAYS;
	match_t mt = { -1, 0, NULL, to, t, next };
	rec_t r;
	size_t i;
	int rc = FSY_OK;

	if (next != NO_TIME && next <= day_end(s, due)) {
		for (i = 0; i < c->nv; i++)
			if (c->v[i].day <= due && visit_matches(&c->v[i], &mt))
				break;
		if (i == c->nv)
			goto out; /* moved on unmet before due: lapses */
	}
	rec_init(&r, FSY_OBL_FIRST_CONTACT, c, NULL, start, due);
	r.agent = to;
	rc = single(s, c, &r, &mt, 1);
out:
	return rc;
}

static int
gen_first(scan_t *s, const cust_t *c)
{
	size_t i;
	int rc = FSY_OK;

	/* Without history the current owner's receipt is all we know. */
	if (c->nh == 0 && c->owner != NULL && c->owner_since != NO_TIME)
		rc = first_contact(s, c, c->owner, c->owner_since, NO_TIME);
	for (i = 0; i < c->nh && rc == FSY_OK; i++) {
		const hist_t *h = &c->h[i];

		/* Receiving a customer starts a first contact; the first
		 * assignment from nobody (import, a card made on a laptop)
		 * does not: that agent has served the customer all along. */
		if (h->to == NULL || (i == 0 && h->from == NULL) ||
		    streq(h->to, h->from))
			continue;
		rc = first_contact(s, c, h->to, h->at,
		    i + 1 < c->nh ? c->h[i + 1].at : NO_TIME);
	}
	return rc;
}

/* Visit record: each visit recorded at most 24 h after it happened; owed
 * by the agent who made the visit. */
static int
gen_records(scan_t *s, const cust_t *c)
{
	size_t i;
	int rc = FSY_OK;
	rec_t r;

	for (i = 0; i < c->nv && rc == FSY_OK; i++) {
		const vis_t *v = &c->v[i];
		int64_t due_at = v->at + FSY_OBL_RECORD_SECS;

		rec_init(&r, FSY_OBL_RECORD, c, NULL, v->day,
		    local_day(s, due_at));
		if (r.due < s->d0 || r.due > s->d1)
			continue;
		r.agent = v->agent != NULL ? v->agent : owner_at(c, v->at);
		if (r.agent == NULL)
			continue;
		r.due_at = due_at;
		r.visit = v->id;
		if (v->rec == NO_TIME) {
			r.status = FSY_OBL_MISSED;
		} else {
			r.status = v->rec - v->at <= FSY_OBL_RECORD_SECS ?
			    FSY_OBL_MET : FSY_OBL_LATE;
			r.met_at = v->rec;
			r.progress = 1;
		}
		rc = s->sink(s->ctx, &r);
	}
	return rc;
}

static int
gen_customer(scan_t *s, const cust_t *c)
{
	int rc = gen_periodic(s, c);

	if (rc == FSY_OK)
		rc = gen_policies(s, c);
	if (rc == FSY_OK)
		rc = gen_first(s, c);
	if (rc == FSY_OK)
		rc = gen_records(s, c);
	return rc;
}

/* ---- the ordered pass --------------------------------------------------- */

/* The queries of a scan, each split around its scope clause. */
typedef struct query {
	const char *head, *tail;
	const char *head_all; /* for all customers, when it differs */
} query_t;

static const query_t sql_cust = {
	"SELECT id, owner_agent_id, owner_since, star_level, vip_tier, "
	"birth_date, created_at FROM customer x "
	"WHERE deleted = 0 AND id IS NOT NULL AND ",
	" ORDER BY id", NULL };
static const query_t sql_pol = {
	"SELECT customer_id, id, pay_mode, status, is_main, issue_date, "
	"next_due_date, survival_date, end_date FROM policy x "
	"WHERE deleted = 0 AND external = 0 AND ",
	" ORDER BY customer_id, id", NULL };
static const query_t sql_vis = {
	"SELECT customer_id, id, agent_id, happened_at, "
	"coalesce(recorded_at, received_at), channel, topic, policy_id "
	"FROM visit x WHERE happened_at >= ?2 AND happened_at < ?3 AND ",
	" ORDER BY customer_id", /* by time: sorted per customer in C */
	/* Every visit of a period: reading the table in storage order and
	 * sorting beats a random table lookup per index entry. */
	"SELECT customer_id, id, agent_id, happened_at, "
	"coalesce(recorded_at, received_at), channel, topic, policy_id "
	"FROM visit x NOT INDEXED "
	"WHERE happened_at >= ?2 AND happened_at < ?3 AND " };
static const query_t sql_hist = {
	"SELECT customer_id, from_agent_id, to_agent_id, at "
	"FROM ownership_history x WHERE at < ?2 AND ",
	" ORDER BY customer_id, at, id", NULL };

/* The scope clause for table alias x. */
static const char *
scope_clause(scope_t scope, int is_customer_table)
{
	switch (scope) {
	case SCOPE_CUSTOMER:
		return is_customer_table ? "x.id = ?1" : "x.customer_id = ?1";
	case SCOPE_OWNER:
		return is_customer_table ? "x.owner_agent_id = ?1" :
		    "x.customer_id IN (SELECT id FROM customer "
		    "WHERE owner_agent_id = ?1 AND deleted = 0)";
	default:
		return "1";
	}
}

typedef struct cursor {
	sqlite3_stmt *stmt;
	int row; /* 1: stmt holds a row */
} cursor_t;

static int
cursor_open(scan_t *s, cursor_t *cur, const query_t *qy, scope_t scope,
    int is_customer_table, const char *id)
{
	char sql[1024];
	int rc;

	cur->stmt = NULL;
	cur->row = 0;
	snprintf(sql, sizeof(sql), "%s%s%s",
	    scope == SCOPE_ALL && qy->head_all != NULL ? qy->head_all : qy->head,
	    scope_clause(scope, is_customer_table), qy->tail);
	rc = sqlite3_prepare_v2(fsy_store_db(s->st), sql, -1, &cur->stmt, NULL);
	if (rc != SQLITE_OK)
		return fsy_store_err(s->st, rc);
	if (scope != SCOPE_ALL)
		sqlite3_bind_text(cur->stmt, 1, id, -1, SQLITE_STATIC);
	return FSY_OK;
}

static int
cursor_step(scan_t *s, cursor_t *cur)
{
	int rc;

	if (cur->stmt == NULL)
		return FSY_OK;
	rc = sqlite3_step(cur->stmt);
	cur->row = rc == SQLITE_ROW;
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return fsy_store_err(s->st, rc);
	return FSY_OK;
}

static const char *
col_text(sqlite3_stmt *st, int i)
{
	return (const char *)sqlite3_column_text(st, i);
}

/* Moves cur past rows of customers before cid; returns 1 when it holds a
 * row of cid. */
static int
cursor_seek(scan_t *s, cursor_t *cur, const char *cid, int *rc)
{
	while (*rc == FSY_OK && cur->row) {
		int cmp = strcmp(col_text(cur->stmt, 0), cid);

		if (cmp == 0)
			return 1;
		if (cmp > 0)
			return 0;
		*rc = cursor_step(s, cur);
	}
	return 0;
}

/* Visits by time, then id: the order in which they meet obligations. */
static int
cmp_vis(const void *a, const void *b)
{
	const vis_t *x = a, *y = b;

	if (x->at != y->at)
		return x->at < y->at ? -1 : 1;
	return strcmp_null_last(x->id, y->id);
}

static int
cmp_hist(const void *a, const void *b)
{
	const hist_t *x = a, *y = b;

	if (x->at != y->at)
		return x->at < y->at ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static int
load_policies(scan_t *s, cursor_t *cur, cust_t *c)
{
	int rc = FSY_OK;

	while (cursor_seek(s, cur, c->id, &rc)) {
		sqlite3_stmt *q = cur->stmt;
		const char *mode = col_text(q, 2), *status = col_text(q, 3);
		pol_t *p;

		rc = grow((void **)&s->p, &s->cp, c->np + 1, sizeof(pol_t));
		if (rc != FSY_OK)
			break;
		p = &s->p[c->np];
		rc = arena_dup(&s->arena, col_text(q, 1), &p->id);
		if (rc != FSY_OK)
			break;
		p->pay_months = streq(mode, "annual") ? 12 :
		    streq(mode, "half") ? 6 : streq(mode, "quarter") ? 3 :
		    streq(mode, "monthly") ? 1 : 0;
		p->renewable = streq(status, "inforce") ||
		    streq(status, "grace");
		p->noticeable = p->renewable || streq(status, "paid_up") ||
		    streq(status, "matured");
		p->is_main = sqlite3_column_int(q, 4) != 0;
		p->issue = parse_day(s, col_text(q, 5));
		p->next_due = parse_day(s, col_text(q, 6));
		p->survival = parse_day(s, col_text(q, 7));
		p->end = parse_day(s, col_text(q, 8));
		c->np++;
		rc = cursor_step(s, cur);
	}
	c->p = s->p;
	return rc;
}

static int
load_visits(scan_t *s, cursor_t *cur, cust_t *c)
{
	int rc = FSY_OK;

	while (cursor_seek(s, cur, c->id, &rc)) {
		sqlite3_stmt *q = cur->stmt;
		int64_t at, rec;
		vis_t *v;

		/* Only what had happened and was recorded by the as-of day;
		 * an unreadable time makes the row unusable. */
		if (parse_instant(s, col_text(q, 3), &at) != 0 ||
		    at > s->asof_end) {
			rc = cursor_step(s, cur);
			continue;
		}
		if (parse_instant(s, col_text(q, 4), &rec) != 0)
			rec = NO_TIME;
		if (rec != NO_TIME && rec > s->asof_end) {
			rc = cursor_step(s, cur);
			continue;
		}
		rc = grow((void **)&s->v, &s->cv, c->nv + 1, sizeof(vis_t));
		if (rc != FSY_OK)
			break;
		v = &s->v[c->nv];
		rc = arena_dup(&s->arena, col_text(q, 1), &v->id);
		if (rc == FSY_OK)
			rc = arena_dup(&s->arena, col_text(q, 2), &v->agent);
		if (rc == FSY_OK)
			rc = arena_dup(&s->arena, col_text(q, 7), &v->policy);
		if (rc != FSY_OK)
			break;
		v->at = at;
		v->rec = rec;
		v->day = local_day(s, at);
		v->channel = lookup(col_text(q, 5), channel_names, CH_N);
		v->topic = lookup(col_text(q, 6), topic_names, T_N);
		c->nv++;
		rc = cursor_step(s, cur);
	}
	c->v = s->v;
	if (rc == FSY_OK && c->nv > 1)
		qsort(c->v, c->nv, sizeof(vis_t), cmp_vis);
	return rc;
}

static int
load_history(scan_t *s, cursor_t *cur, cust_t *c)
{
	int rc = FSY_OK;
	size_t seq = 0;

	while (cursor_seek(s, cur, c->id, &rc)) {
		sqlite3_stmt *q = cur->stmt;
		int64_t at;
		hist_t *h;

		if (parse_instant(s, col_text(q, 3), &at) != 0 ||
		    at > s->asof_end) {
			rc = cursor_step(s, cur);
			continue;
		}
		rc = grow((void **)&s->h, &s->ch, c->nh + 1, sizeof(hist_t));
		if (rc != FSY_OK)
			break;
		h = &s->h[c->nh];
		rc = arena_dup(&s->arena, col_text(q, 1), &h->from);
		if (rc == FSY_OK)
			rc = arena_dup(&s->arena, col_text(q, 2), &h->to);
		if (rc != FSY_OK)
			break;
		h->at = at;
		h->seq = seq++;
		c->nh++;
		rc = cursor_step(s, cur);
	}
	c->h = s->h;
	if (rc == FSY_OK && c->nh > 1)
		qsort(c->h, c->nh, sizeof(hist_t), cmp_hist);
	return rc;
}

static int
load_customer(scan_t *s, sqlite3_stmt *q, cust_t *c)
{
	const char *vip = col_text(q, 4);
	int64_t bday;
	int rc;

	memset(c, 0, sizeof(*c));
	rc = arena_dup(&s->arena, col_text(q, 0), &c->id);
	if (rc == FSY_OK)
		rc = arena_dup(&s->arena, col_text(q, 1), &c->owner);
	if (rc != FSY_OK)
		return rc;
	if (parse_instant(s, col_text(q, 2), &c->owner_since) != 0)
		c->owner_since = NO_TIME;
	c->care = (vip != NULL && vip[0] != '\0') ||
	    sqlite3_column_int(q, 3) >= FSY_OBL_FESTIVAL_STARS;
	c->created = parse_day(s, col_text(q, 6));
	bday = parse_day(s, col_text(q, 5));
	if (bday != NO_TIME) {
		int y;
		unsigned m, d;

		fsy_civil_from_days(bday, &y, &m, &d);
		c->bmon = (int)m;
		c->bday = (int)d;
	}
	return FSY_OK;
}

/*
 * Runs the rules over the customers in scope (id: the customer or owner
 * agent) for obligations due in [s->d0, s->d1], feeding sink(ctx, ...).
 * The scan holds sink and ctx only while it runs. Holds one read
 * transaction when called outside one.
 */
static int
scan_run(scan_t *s, scope_t scope, const char *id, sink_fn sink, void *ctx)
{
	cursor_t cc = {0}, pc = {0}, vc = {0}, hc = {0};
	char lo[11], hi[11];
	int y, rc, began = 0;
	unsigned m, d;
	int64_t lo_day;
	cust_t c;

	s->sink = sink;
	s->ctx = ctx;
	/* Visits that can meet an obligation due in range: from the start
	 * of the year of d0 (yearly kinds) or a month before d0, whichever is
	 * first; up to the as-of day. One day of slack each side for the time
	 * zone; the exact cut is made per row. */
	fsy_civil_from_days(s->d0, &y, &m, &d);
	lo_day = min64(fsy_days_from_civil(y, 1, 1), s->d0 - 31) - 1;
	day_text(lo_day, lo);
	day_text(s->asof + 2, hi);

	if (sqlite3_get_autocommit(fsy_store_db(s->st))) {
		rc = fsy_store_exec(s->st, "BEGIN");
		if (rc != FSY_OK)
			goto out;
		began = 1;
	}
	rc = cursor_open(s, &cc, &sql_cust, scope, 1, id);
	if (rc == FSY_OK)
		rc = cursor_open(s, &pc, &sql_pol, scope, 0, id);
	if (rc == FSY_OK)
		rc = cursor_open(s, &vc, &sql_vis, scope, 0, id);
	if (rc == FSY_OK && fsy_store_role(s->st) == FSY_ROLE_HUB)
		rc = cursor_open(s, &hc, &sql_hist, scope, 0, id);
	if (rc != FSY_OK)
		goto out;
	sqlite3_bind_text(vc.stmt, 2, lo, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(vc.stmt, 3, hi, -1, SQLITE_TRANSIENT);
	if (hc.stmt != NULL)
		sqlite3_bind_text(hc.stmt, 2, hi, -1, SQLITE_TRANSIENT);

	rc = cursor_step(s, &cc);
	if (rc == FSY_OK)
		rc = cursor_step(s, &pc);
	if (rc == FSY_OK)
		rc = cursor_step(s, &vc);
	if (rc == FSY_OK)
		rc = cursor_step(s, &hc);
	while (rc == FSY_OK && cc.row) {
		arena_reset(&s->arena);
		rc = load_customer(s, cc.stmt, &c);
		if (rc == FSY_OK)
			rc = load_policies(s, &pc, &c);
		if (rc == FSY_OK)
			rc = load_visits(s, &vc, &c);
		if (rc == FSY_OK)
			rc = load_history(s, &hc, &c);
		if (rc == FSY_OK) {
			s->ncust++;
			rc = gen_customer(s, &c);
		}
		if (rc == FSY_OK)
			rc = cursor_step(s, &cc);
	}
out:
	sqlite3_finalize(hc.stmt);
	sqlite3_finalize(vc.stmt);
	sqlite3_finalize(pc.stmt);
	sqlite3_finalize(cc.stmt);
	if (began)
		fsy_store_rollback(s->st); /* read only: nothing to keep */
	s->sink = NULL;
	s->ctx = NULL;
	return rc;
}

static void
scan_fini(scan_t *s)
{
	arena_free(&s->arena);
	free(s->v);
	free(s->p);
	free(s->h);
}

/* ---- arguments ---------------------------------------------------------- */

/* Parses an argument that must be exactly 'YYYY-MM-DD'. */
static int
arg_day(const char *what, const char *text, int64_t *day, char *err,
    size_t errlen)
{
	int64_t ms;

	if (text == NULL || strlen(text) != 10 ||
	    fsy_parse_time(text, &ms) != FSY_OK)
		return fsy_store_errf(NULL, FSY_EINVAL, err, errlen,
		    "%s: '%s' is not a date YYYY-MM-DD", what,
		    text ? text : "(null)");
	*day = floordiv(ms, DAY_SECS * 1000);
	return FSY_OK;
}

static int
arg_id(const char *what, const char *id, char *err, size_t errlen)
{
	size_t n = id ? strnlen(id, FSY_OBL_ID_MAX + 1) : 0;

	if (n == 0 || n > FSY_OBL_ID_MAX)
		return fsy_store_errf(NULL, FSY_EINVAL, err, errlen, "%s: %s",
		    what, n == 0 ? "missing" : "longer than 64 characters");
	return FSY_OK;
}

static int
scan_init(scan_t *s, fsy_store_t *st, const fsy_obl_when_t *when,
    char *err, size_t errlen)
{
	int rc;

	memset(s, 0, sizeof(*s));
	if (st == NULL || when == NULL)
		return fsy_store_errf(NULL, FSY_EINVAL, err, errlen,
		    "obligations: no store or as-of day given");
	if (when->tz_min < -840 || when->tz_min > 840)
		return fsy_store_errf(NULL, FSY_EINVAL, err, errlen,
		    "time zone: %d minutes is outside ±840", when->tz_min);
	rc = arg_day("as-of day", when->asof, &s->asof, err, errlen);
	if (rc != FSY_OK)
		return rc;
	s->st = st;
	s->tz = (int64_t)when->tz_min * 60;
	s->asof_end = day_end(s, s->asof);
	return FSY_OK;
}

/* ---- list and agenda ---------------------------------------------------- */

typedef struct collect {
	fsy_obl_t *items;
	size_t n, cap;
	arena_t *arena;
	const char *agent; /* agenda: keep this agent's OPEN/OVERDUE only */
	int64_t until;     /* agenda: OPEN ones due at the latest */
	const char *cust_src, *cust; /* the last customer id and its copy */
} collect_t;

static int
collect_cb(void *ctx, const rec_t *r)
{
	collect_t *k = ctx;
	fsy_obl_t *o;
	int rc = FSY_OK;

	if (k->agent != NULL && (!streq(r->agent, k->agent) ||
	    (r->status != FSY_OBL_OVERDUE &&
	    !(r->status == FSY_OBL_OPEN && r->due <= k->until))))
		goto out; /* not on this agenda */
	rc = grow((void **)&k->items, &k->cap, k->n + 1, sizeof(fsy_obl_t));
	if (rc != FSY_OK)
		goto out;
	o = &k->items[k->n];
	memset(o, 0, sizeof(*o));
	/* one copy of the customer id for all its obligations */
	if (k->cust_src != r->cust || !streq(k->cust, r->cust)) {
		rc = arena_dup(k->arena, r->cust, &k->cust);
		if (rc != FSY_OK)
			goto out;
		k->cust_src = r->cust;
	}
	o->customer_id = k->cust;
	rc = arena_dup(k->arena, r->agent, &o->agent_id);
	if (rc == FSY_OK)
		rc = arena_dup(k->arena, r->policy, &o->policy_id);
	if (rc == FSY_OK)
		rc = arena_dup(k->arena, r->visit, &o->visit_id);
	if (rc != FSY_OK)
		goto out;
	o->kind = r->kind;
	o->status = r->status;
	day_text(r->start, o->start);
	day_text(r->due, o->due);
	time_text(r->due_at, o->due_at);
	if (r->met_at != NO_TIME)
		time_text(r->met_at, o->met_at);
	o->progress = r->progress;
	o->required = r->required;
	k->n++;
out:
	return rc;
}

static int
cmp_obl(const void *a, const void *b)
{
	const fsy_obl_t *x = a, *y = b;
	int c = strcmp(x->due, y->due);

	if (c == 0)
		c = (int)x->kind - (int)y->kind;
	if (c == 0)
		c = strcmp(x->customer_id, y->customer_id);
	if (c == 0)
		c = strcmp_null_last(x->policy_id, y->policy_id);
	if (c == 0)
		c = strcmp(x->start, y->start);
	if (c == 0)
		c = strcmp_null_last(x->visit_id, y->visit_id);
	return c;
}

/* Runs a collecting scan into a new list. */
static int
list_run(scan_t *s, scope_t scope, const char *id, const char *agent,
    fsy_obl_list_t **out, char *err, size_t errlen)
{
	fsy_obl_list_t *l = calloc(1, sizeof(*l));
	collect_t k;
	int rc = FSY_OK;

	memset(&k, 0, sizeof(k));
	if (l == NULL || (l->mem = calloc(1, sizeof(*l->mem))) == NULL) {
		rc = FSY_ENOMEM;
		goto out;
	}
	k.arena = &l->mem->arena;
	k.agent = agent;
	k.until = s->asof + FSY_OBL_AGENDA_DAYS;
	rc = scan_run(s, scope, id, collect_cb, &k);
	if (rc != FSY_OK)
		goto out;
	if (k.n > 1)
		qsort(k.items, k.n, sizeof(fsy_obl_t), cmp_obl);
	day_text(s->asof, l->asof);
	l->items = k.items;
	l->n = k.n;
	k.items = NULL;
	*out = l;
	l = NULL;
out:
	if (rc != FSY_OK)
		(void)fsy_store_errf(NULL, rc, err, errlen,
		    "obligations: %s%s%s", fsy_strerror(rc),
		    rc == FSY_ENOMEM ? "" : ": ",
		    rc == FSY_ENOMEM ? "" : fsy_store_errmsg(s->st));
	free(k.items);
	fsy_obl_list_free(l);
	return rc;
}

int
fsy_obl_customer(fsy_store_t *st, const char *customer_id,
    const fsy_obl_when_t *when, fsy_obl_list_t **out, char *err,
    size_t errlen)
{
	scan_t s;
	int rc;

	*out = NULL;
	rc = scan_init(&s, st, when, err, errlen);
	if (rc == FSY_OK)
		rc = arg_id("customer id", customer_id, err, errlen);
	if (rc != FSY_OK)
		goto out;
	s.d0 = s.asof - FSY_OBL_LOOKBACK_DAYS;
	s.d1 = INT64_MAX;
	rc = list_run(&s, SCOPE_CUSTOMER, customer_id, NULL, out, err, errlen);
	if (rc == FSY_OK && s.ncust == 0) {
		rc = fsy_store_errf(NULL, FSY_ENOTFOUND, err, errlen,
		    "customer %s: no such customer", customer_id);
		fsy_obl_list_free(*out);
		*out = NULL;
	}
out:
	scan_fini(&s);
	return rc;
}

int
fsy_obl_agenda(fsy_store_t *st, const char *agent_id,
    const fsy_obl_when_t *when, fsy_obl_agenda_t **out, char *err,
    size_t errlen)
{
	fsy_obl_agenda_t *a = NULL;
	fsy_obl_list_t *l = NULL;
	scan_t s;
	size_t i;
	int rc;

	*out = NULL;
	rc = scan_init(&s, st, when, err, errlen);
	if (rc == FSY_OK)
		rc = arg_id("agent id", agent_id, err, errlen);
	if (rc != FSY_OK)
		goto out;
	s.d0 = s.asof - FSY_OBL_LOOKBACK_DAYS;
	s.d1 = s.asof + FSY_OBL_AGENDA_DAYS;
	rc = list_run(&s, SCOPE_OWNER, agent_id, agent_id, &l, err, errlen);
	if (rc != FSY_OK)
		goto out;
	a = calloc(1, sizeof(*a));
	if (a == NULL) {
		rc = fsy_store_errf(NULL, FSY_ENOMEM, err, errlen,
		    "obligations: %s", fsy_strerror(FSY_ENOMEM));
		goto out;
	}
	a->list = *l;
	free(l);
	l = NULL;
	rc = arena_dup(&a->list.mem->arena, agent_id, &a->agent_id);
	if (rc != FSY_OK) {
		(void)fsy_store_errf(NULL, rc, err, errlen, "obligations: %s",
		    fsy_strerror(rc));
		goto out;
	}
	/* Sorted by due day: overdue (before as-of), today, then soon. */
	for (i = 0; i < a->list.n; i++) {
		const fsy_obl_t *o = &a->list.items[i];
		int c = strcmp(o->due, a->list.asof);

		if (o->status == FSY_OBL_OVERDUE)
			a->n_overdue++;
		else if (c == 0)
			a->n_today++;
		else
			a->n_soon++;
	}
	/* no obligations: items is NULL, and NULL + 0 is undefined */
	a->overdue = a->list.items;
	a->today = a->list.items ? a->list.items + a->n_overdue : NULL;
	a->soon = a->list.items ? a->today + a->n_today : NULL;
	*out = a;
	a = NULL;
out:
	fsy_obl_list_free(l);
	fsy_obl_agenda_free(a);
	scan_fini(&s);
	return rc;
}

void
fsy_obl_list_free(fsy_obl_list_t *l)
{
	if (l == NULL)
		return;
	if (l->mem != NULL)
		arena_free(&l->mem->arena);
	free(l->mem);
	free(l->items);
	free(l);
}

void
fsy_obl_agenda_free(fsy_obl_agenda_t *a)
{
	if (a == NULL)
		return;
	if (a->list.mem != NULL)
		arena_free(&a->list.mem->arena);
	free(a->list.mem);
	free(a->list.items);
	free(a);
}

/* ---- coverage ----------------------------------------------------------- */

/* An agent row while counting, with what its team and branch rows need. */
typedef struct crow {
	fsy_obl_cov_row_t row;
	const char *tcode, *tname; /* its team's code and name */
	const char *bcode, *bname; /* its branch's code and name */
} crow_t;

typedef struct cov {
	arena_t *arena;
	int64_t asof;
	crow_t *rows;
	size_t n, cap;
	size_t *slot;      /* hash of agent id -> row index + 1; 0 empty */
	size_t nslot;      /* power of two */
	const char *last;  /* the last agent id counted ... */
	size_t last_row;   /* ... and its row */
} cov_t;

static uint64_t
hash_str(const char *s)
{
	uint64_t h = 1469598103934665603ULL;

	while (*s != '\0') {
		h ^= (unsigned char)*s++;
		h *= 1099511628211ULL;
	}
	return h;
}

/* The slot of agent id in the hash: the one holding it, or the empty one
 * where it belongs. */
static size_t
cov_slot(const cov_t *v, const char *id)
{
	size_t mask = v->nslot - 1, i;

	for (i = (size_t)hash_str(id) & mask; v->slot[i] != 0;
	    i = (i + 1) & mask)
		if (strcmp(v->rows[v->slot[i] - 1].row.id, id) == 0)
			break;
	return i;
}

/* Doubles the hash (256 slots to begin with). */
static int
cov_rehash(cov_t *v)
{
	size_t nn = v->nslot ? v->nslot * 2 : 256, i, j;
	size_t *ns = NULL;
	int rc = FSY_OK;

	if (nn > SIZE_MAX / sizeof(size_t) ||
	    (ns = calloc(nn, sizeof(size_t))) == NULL) {
		rc = FSY_ENOMEM;
		goto out;
	}
	for (j = 0; j < v->n; j++) {
		i = (size_t)hash_str(v->rows[j].row.id) & (nn - 1);
		while (ns[i] != 0)
			i = (i + 1) & (nn - 1);
		ns[i] = j + 1;
	}
	free(v->slot);
	v->slot = ns;
	v->nslot = nn;
out:
	return rc;
}

/* Returns in *row the row of agent id, adding it when new. */
static int
cov_row(cov_t *v, const char *id, size_t *row)
{
	size_t i;
	int rc = FSY_OK;

	if (v->n + 1 > v->nslot / 2 && (rc = cov_rehash(v)) != FSY_OK)
		goto out;
	i = cov_slot(v, id);
	if (v->slot[i] != 0) {
		*row = v->slot[i] - 1;
		goto out;
	}
	rc = grow((void **)&v->rows, &v->cap, v->n + 1, sizeof(crow_t));
	if (rc != FSY_OK)
		goto out;
	memset(&v->rows[v->n], 0, sizeof(crow_t));
	rc = arena_dup(v->arena, id, &v->rows[v->n].row.id);
	if (rc != FSY_OK)
		goto out;
	v->slot[i] = v->n + 1;
	*row = v->n++;
out:
	return rc;
}

static void
tally_add(fsy_obl_tally_t *t, fsy_obl_status_t st)
{
	t->due++;
	if (st == FSY_OBL_MET)
		t->met++;
	else if (st == FSY_OBL_LATE)
		t->late++;
}

static void
tally_sum(fsy_obl_tally_t *t, const fsy_obl_tally_t *a)
{
	t->due += a->due;
	t->met += a->met;
	t->late += a->late;
}

static void
row_sum(fsy_obl_cov_row_t *t, const fsy_obl_cov_row_t *a)
{
	int k;

	for (k = 0; k < FSY_OBL_NKINDS; k++)
		tally_sum(&t->kind[k], &a->kind[k]);
	tally_sum(&t->total, &a->total);
}

static int
cov_cb(void *ctx, const rec_t *r)
{
	cov_t *v = ctx;
	size_t row;
	int rc = FSY_OK;

	/* Not yet due and not met: not counted (yet). */
	if (r->due > v->asof && r->status != FSY_OBL_MET)
		goto out;
	if (v->last != NULL && strcmp(v->last, r->agent) == 0) {
		row = v->last_row;
	} else {
		rc = cov_row(v, r->agent, &row);
		if (rc != FSY_OK)
			goto out;
		v->last = v->rows[row].row.id;
		v->last_row = row;
	}
	tally_add(&v->rows[row].row.kind[r->kind], r->status);
	tally_add(&v->rows[row].row.total, r->status);
out:
	return rc;
}

/* Fills in code, name, team and branch of the agent rows. */
static int
cov_roster(fsy_store_t *st, cov_t *v)
{
	static const char sql[] =
	    "SELECT a.id, a.code, a.name, a.team_id, t.code, t.name, "
	    "t.branch_id, b.code, b.name FROM agent a "
	    "LEFT JOIN team t ON t.id = a.team_id "
	    "LEFT JOIN branch b ON b.id = t.branch_id";
	sqlite3_stmt *q = NULL;
	int rc, src;

	if (v->n == 0)
		return FSY_OK;
	src = sqlite3_prepare_v2(fsy_store_db(st), sql, -1, &q, NULL);
	if (src != SQLITE_OK)
		return fsy_store_err(st, src);
	rc = FSY_OK;
	while (rc == FSY_OK && (src = sqlite3_step(q)) == SQLITE_ROW) {
		const char *id = col_text(q, 0);
		size_t i;
		crow_t *c;

		if (id == NULL || v->slot[i = cov_slot(v, id)] == 0)
			continue; /* no obligation counted for this agent */
		c = &v->rows[v->slot[i] - 1];
		rc = arena_dup(v->arena, col_text(q, 1), &c->row.code);
		if (rc == FSY_OK)
			rc = arena_dup(v->arena, col_text(q, 2), &c->row.name);
		if (rc == FSY_OK)
			rc = arena_dup(v->arena, col_text(q, 3),
			    &c->row.team_id);
		if (rc == FSY_OK)
			rc = arena_dup(v->arena, col_text(q, 4), &c->tcode);
		if (rc == FSY_OK)
			rc = arena_dup(v->arena, col_text(q, 5), &c->tname);
		if (rc == FSY_OK)
			rc = arena_dup(v->arena, col_text(q, 6),
			    &c->row.branch_id);
		if (rc == FSY_OK)
			rc = arena_dup(v->arena, col_text(q, 7), &c->bcode);
		if (rc == FSY_OK)
			rc = arena_dup(v->arena, col_text(q, 8), &c->bname);
	}
	if (rc == FSY_OK && src != SQLITE_DONE)
		rc = fsy_store_err(st, src);
	sqlite3_finalize(q);
	return rc;
}

static int
cmp_crow_team(const void *a, const void *b)
{
	const crow_t *x = a, *y = b;

	return strcmp_null_last(x->row.team_id, y->row.team_id);
}

static int
cmp_crow_branch(const void *a, const void *b)
{
	const crow_t *x = a, *y = b;

	return strcmp_null_last(x->row.branch_id, y->row.branch_id);
}

/* Report order: NULL id last, then by code (unknown codes after), id. */
static int
cmp_row(const void *a, const void *b)
{
	const fsy_obl_cov_row_t *x = a, *y = b;
	int c;

	if (x->id == NULL || y->id == NULL)
		return (x->id == NULL) - (y->id == NULL);
	c = strcmp_null_last(x->code, y->code);
	return c != 0 ? c : strcmp(x->id, y->id);
}

/* Groups the agent rows (sorted by the group key) into group rows. */
static int
cov_group(cov_t *v, int by_branch, fsy_obl_cov_row_t **out, size_t *nout)
{
	fsy_obl_cov_row_t *g = NULL;
	size_t n = 0, cap = 0, i;
	int rc = FSY_OK;

	if (v->n > 1)
		qsort(v->rows, v->n, sizeof(crow_t),
		    by_branch ? cmp_crow_branch : cmp_crow_team);
	for (i = 0; i < v->n; i++) {
		const crow_t *c = &v->rows[i];
		const char *key = by_branch ? c->row.branch_id : c->row.team_id;

		if (n == 0 || strcmp_null_last(g[n - 1].id, key) != 0) {
			rc = grow((void **)&g, &cap, n + 1, sizeof(*g));
			if (rc != FSY_OK)
				goto out;
			memset(&g[n], 0, sizeof(*g));
			g[n].id = key;
			g[n].code = by_branch ? c->bcode : c->tcode;
			g[n].name = by_branch ? c->bname : c->tname;
			g[n].branch_id = by_branch ? NULL : c->row.branch_id;
			n++;
		}
		row_sum(&g[n - 1], &c->row);
	}
	if (n > 1)
		qsort(g, n, sizeof(*g), cmp_row);
	*out = g;
	*nout = n;
	g = NULL;
out:
	free(g);
	return rc;
}

int
fsy_obl_coverage(fsy_store_t *st, const char *from, const char *to,
    const fsy_obl_when_t *when, fsy_obl_coverage_t **out, char *err,
    size_t errlen)
{
	fsy_obl_coverage_t *cv = NULL;
	cov_t v;
	scan_t s;
	size_t i;
	int rc;

	*out = NULL;
	memset(&v, 0, sizeof(v));
	rc = scan_init(&s, st, when, err, errlen);
	if (rc == FSY_OK)
		rc = arg_day("period start", from, &s.d0, err, errlen);
	if (rc == FSY_OK)
		rc = arg_day("period end", to, &s.d1, err, errlen);
	if (rc == FSY_OK && s.d0 > s.d1)
		rc = fsy_store_errf(NULL, FSY_EINVAL, err, errlen,
		    "period %s..%s: start after end", from, to);
	if (rc != FSY_OK)
		goto out;
	cv = calloc(1, sizeof(*cv));
	if (cv == NULL || (cv->mem = calloc(1, sizeof(*cv->mem))) == NULL) {
		rc = FSY_ENOMEM;
		goto fail;
	}
	v.arena = &cv->mem->arena;
	v.asof = s.asof;
	rc = scan_run(&s, SCOPE_ALL, NULL, cov_cb, &v);
	if (rc == FSY_OK)
		rc = cov_roster(st, &v);
	if (rc == FSY_OK)
		rc = cov_group(&v, 0, &cv->teams, &cv->n_teams);
	if (rc == FSY_OK)
		rc = cov_group(&v, 1, &cv->branches, &cv->n_branches);
	if (rc == FSY_OK && v.n > 0) {
		cv->agents = calloc(v.n, sizeof(fsy_obl_cov_row_t));
		if (cv->agents == NULL)
			rc = FSY_ENOMEM;
	}
	if (rc != FSY_OK)
		goto fail;
	for (i = 0; i < v.n; i++) {
		cv->agents[i] = v.rows[i].row;
		row_sum(&cv->total, &v.rows[i].row);
	}
	cv->n_agents = v.n;
	if (v.n > 1)
		qsort(cv->agents, v.n, sizeof(fsy_obl_cov_row_t), cmp_row);
	memcpy(cv->from, from, 11);
	memcpy(cv->to, to, 11);
	day_text(s.asof, cv->asof);
	*out = cv;
	cv = NULL;
	goto out;
fail:
	(void)fsy_store_errf(NULL, rc, err, errlen, "coverage: %s%s%s",
	    fsy_strerror(rc), rc == FSY_ENOMEM ? "" : ": ",
	    rc == FSY_ENOMEM ? "" : fsy_store_errmsg(st));
out:
	fsy_obl_coverage_free(cv);
	free(v.rows);
	free(v.slot);
	scan_fini(&s);
	return rc;
}

void
fsy_obl_coverage_free(fsy_obl_coverage_t *c)
{
	if (c == NULL)
		return;
	if (c->mem != NULL)
		arena_free(&c->mem->arena);
	free(c->mem);
	free(c->agents);
	free(c->teams);
	free(c->branches);
	free(c);
}

double
fsy_obl_share(const fsy_obl_tally_t *t)
{
	if (t == NULL || t->due == 0)
		return -1.0;
	return (double)t->met / (double)t->due;
}

/* ---- JSON --------------------------------------------------------------- */

/* Sets key to a string or null; returns -1 on failure. */
static int
set_str(json_t *o, const char *key, const char *s)
{
	return json_object_set_new(o, key,
	    s != NULL && s[0] != '\0' ? json_string(s) : json_null());
}

json_t *
fsy_obl_json(const fsy_obl_t *o)
{
	json_t *j = json_object();
	int bad = j == NULL;

	if (!bad)
		bad = set_str(j, "kind", fsy_obl_kind_name(o->kind)) ||
		    set_str(j, "status", fsy_obl_status_name(o->status)) ||
		    set_str(j, "customer_id", o->customer_id) ||
		    set_str(j, "agent_id", o->agent_id) ||
		    set_str(j, "policy_id", o->policy_id) ||
		    set_str(j, "visit_id", o->visit_id) ||
		    set_str(j, "window_start", o->start) ||
		    set_str(j, "due", o->due) ||
		    set_str(j, "due_at", o->due_at) ||
		    set_str(j, "met_at", o->met_at) ||
		    json_object_set_new(j, "progress",
		        json_integer(o->progress)) ||
		    json_object_set_new(j, "required",
		        json_integer(o->required));
	if (bad) {
		json_decref(j);
		return NULL;
	}
	return j;
}

static json_t *
obl_array(const fsy_obl_t *items, size_t n)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; a != NULL && i < n; i++) {
		if (json_array_append_new(a, fsy_obl_json(&items[i])) != 0) {
			json_decref(a);
			a = NULL;
		}
	}
	return a;
}

json_t *
fsy_obl_list_json(const fsy_obl_list_t *l)
{
	json_t *j = json_object();

	if (j == NULL || set_str(j, "asof", l->asof) ||
	    json_object_set_new(j, "obligations", obl_array(l->items, l->n))) {
		json_decref(j);
		return NULL;
	}
	return j;
}

json_t *
fsy_obl_agenda_json(const fsy_obl_agenda_t *a)
{
	json_t *j = json_object();

	if (j == NULL || set_str(j, "agent_id", a->agent_id) ||
	    set_str(j, "asof", a->list.asof) ||
	    json_object_set_new(j, "overdue",
	        obl_array(a->overdue, a->n_overdue)) ||
	    json_object_set_new(j, "today", obl_array(a->today, a->n_today)) ||
	    json_object_set_new(j, "soon", obl_array(a->soon, a->n_soon))) {
		json_decref(j);
		return NULL;
	}
	return j;
}

/* Adds due, met, late and share of t to o; returns -1 on failure. */
static int
set_tally(json_t *o, const fsy_obl_tally_t *t)
{
	double sh = fsy_obl_share(t);

	return json_object_set_new(o, "due", json_integer((json_int_t)t->due)) ||
	    json_object_set_new(o, "met", json_integer((json_int_t)t->met)) ||
	    json_object_set_new(o, "late",
	        json_integer((json_int_t)t->late)) ||
	    json_object_set_new(o, "share",
	        sh < 0 ? json_null() : json_real(sh));
}

static json_t *
row_json(const fsy_obl_cov_row_t *r, int with_team, int with_branch)
{
	json_t *j = json_object(), *kinds = json_object();
	int k, bad = j == NULL || kinds == NULL;

	for (k = 0; !bad && k < FSY_OBL_NKINDS; k++) {
		json_t *t;

		if (r->kind[k].due == 0)
			continue;
		t = json_object();
		bad = t == NULL || set_tally(t, &r->kind[k]) ||
		    json_object_set_new(kinds, kind_names[k], t);
		if (t != NULL && bad)
			json_decref(t);
	}
	if (!bad)
		bad = set_str(j, "id", r->id) || set_str(j, "code", r->code) ||
		    set_str(j, "name", r->name) ||
		    (with_team && set_str(j, "team_id", r->team_id)) ||
		    (with_branch && set_str(j, "branch_id", r->branch_id)) ||
		    set_tally(j, &r->total);
	if (!bad) {
		bad = json_object_set_new(j, "kinds", kinds) != 0;
		kinds = NULL;
	}
	json_decref(kinds);
	if (bad) {
		json_decref(j);
		return NULL;
	}
	return j;
}

static json_t *
rows_json(const fsy_obl_cov_row_t *rows, size_t n, int with_team,
    int with_branch)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; a != NULL && i < n; i++) {
		if (json_array_append_new(a,
		    row_json(&rows[i], with_team, with_branch)) != 0) {
			json_decref(a);
			a = NULL;
		}
	}
	return a;
}

json_t *
fsy_obl_coverage_json(const fsy_obl_coverage_t *c)
{
	json_t *j = json_object();

	if (j == NULL || set_str(j, "from", c->from) ||
	    set_str(j, "to", c->to) || set_str(j, "asof", c->asof) ||
	    json_object_set_new(j, "total", row_json(&c->total, 0, 0)) ||
	    json_object_set_new(j, "agents",
	        rows_json(c->agents, c->n_agents, 1, 1)) ||
	    json_object_set_new(j, "teams",
	        rows_json(c->teams, c->n_teams, 0, 1)) ||
	    json_object_set_new(j, "branches",
	        rows_json(c->branches, c->n_branches, 0, 0))) {
		json_decref(j);
		return NULL;
	}
	return j;
}
