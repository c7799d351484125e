/* gendata.c — the deterministic data generator (see gendata.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsy_err.h"
#include "gendata.h"
#include "gendata_tab.h"
#include "util.h"

#define NELEM(a) ((int)(sizeof(a) / sizeof((a)[0])))
#define DAY 86400
#define YEAR_DAYS 365

/* ---- PRNG: xoshiro256** seeded through splitmix64 ------------------------ */

typedef struct {
	uint64_t s[4];
} rng_t;

static uint64_t
splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Seeds r with stream `stream` of seed: each stream is independent. */
static void
rng_seed(rng_t *r, uint64_t seed, uint64_t stream)
{
	uint64_t x = seed;

	x = splitmix64(&x) ^ (stream * 0xd1b54a32d192ed03ULL);
	for (int i = 0; i < 4; i++)
		r->s[i] = splitmix64(&x);
}

static uint64_t
rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

static uint64_t
rng_next(rng_t *r)
{
	uint64_t *s = r->s;
	uint64_t result = rotl(s[1] * 5, 7) * 9;
	uint64_t t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return result;
}

/* Uniform in [0, n), n > 0, without modulo bias. */
static uint64_t
rng_below(rng_t *r, uint64_t n)
{
	uint64_t lim = UINT64_MAX - UINT64_MAX % n;
	uint64_t x;

	do
		x = rng_next(r);
	while (x >= lim);
	return x % n;
}

/* Uniform in [lo, hi]; lo when hi <= lo. */
static int64_t
rng_range(rng_t *r, int64_t lo, int64_t hi)
{
	if (hi <= lo)
		return lo;
	return lo + (int64_t)rng_below(r, (uint64_t)(hi - lo) + 1);
}

/* 1 with probability permille / 1000. */
static int
chance(rng_t *r, int permille)
{
	return (int)rng_below(r, 1000) < permille;
}

/* Index drawn by the weights w[0..n-1] (a small table). */
static int
pick_u8(rng_t *r, const uint8_t *w, int n)
{
	uint32_t total = 0, x;
	int i;

	for (i = 0; i < n; i++)
		total += w[i];
	if (total == 0)
		return 0; /* no weights: the first entry (every table has some) */
	x = (uint32_t)rng_below(r, total);
	for (i = 0; i < n - 1; i++) {
		if (x < w[i])
			return i;
		x -= w[i];
	}
	return n - 1;
}

/* Cumulative weights of a larger table, for binary-search draws. */
typedef struct {
	uint32_t *cum;
	int n;
} wtab_t;

static int
wtab_init(wtab_t *t, int n, uint32_t (*weight)(int i))
{
	uint32_t acc = 0;

	t->cum = malloc(sizeof(*t->cum) * (size_t)n);
	if (t->cum == NULL)
		return FSY_ENOMEM;
	for (int i = 0; i < n; i++) {
		acc += weight(i);
		t->cum[i] = acc;
	}
	t->n = n;
	return FSY_OK;
}

static int
wtab_pick(const wtab_t *t, rng_t *r)
{
	uint32_t x = (uint32_t)rng_below(r, t->cum[t->n - 1]);
	int lo = 0, hi = t->n - 1;

	while (lo < hi) {
		int mid = lo + (hi - lo) / 2;
		if (x < t->cum[mid])
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}

static uint32_t
w_surname(int i)
{
	return gen_surnames[i].w;
}

static uint32_t
w_occupation(int i)
{
	return gen_occupations[i].w;
}

static uint32_t
w_product(int i)
{
	return gen_products[i].w;
}

static uint32_t
w_rider(int i)
{
	return gen_riders[i].w;
}

static uint32_t
w_ext_product(int i)
{
	return gen_ext_products[i].w;
}

static uint32_t
w_insurer(int i)
{
	return gen_insurers[i].w;
}

/* ---- dates --------------------------------------------------------------- */

static int
mdays(int y, unsigned m)
{
	static const int md[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	return m == 2 && leap ? 29 : md[m - 1];
}

/* Days since the epoch of y-m-d, the day clamped to the month's length. */
static int64_t
civil(int y, int m, int d)
{
	if (d > mdays(y, (unsigned)m))
		d = mdays(y, (unsigned)m);
	return fsy_days_from_civil(y, (unsigned)m, (unsigned)d);
}

static int
year_of(int64_t days)
{
	int y;
	unsigned m, d;

	fsy_civil_from_days(days, &y, &m, &d);
	return y;
}

/* The date n months after day (the day of month clamped). */
static int64_t
add_months(int64_t day, int64_t n)
{
	int y;
	unsigned m, d;
	int64_t mm;

	fsy_civil_from_days(day, &y, &m, &d);
	mm = (int64_t)y * 12 + (m - 1) + n;
	return civil((int)(mm / 12), (int)(mm % 12) + 1, (int)d);
}

/* Whole years from birth to at. */
static int
age_at(int64_t birth, int64_t at)
{
	int y1, y2;
	unsigned m1, d1, m2, d2;
	int a;

	fsy_civil_from_days(birth, &y1, &m1, &d1);
	fsy_civil_from_days(at, &y2, &m2, &d2);
	a = y2 - y1;
	if (m2 < m1 || (m2 == m1 && d2 < d1))
		a--;
	return a;
}

/* The first date of the series start + k*step months (k >= 1) that is
 * after `after`; returns its k in *kout. */
static int64_t
next_in_series(int64_t start, int step, int64_t after, int64_t *kout)
{
	int64_t k = (after - start) / 31 / step;
	int64_t d;

	if (k < 1)
		k = 1;
	while (k > 1 && add_months(start, (k - 1) * step) > after)
		k--;
	while ((d = add_months(start, k * step)) <= after)
		k++;
	*kout = k;
	return d;
}

/* ---- CSV writer ---------------------------------------------------------- */

#define W_BUFSZ (1 << 20)

typedef struct {
	FILE *f;
	char *buf;
	size_t len;
	int nfield;     /* fields written on the current row */
	int err;        /* errno of the first failed write */
	int64_t rows;   /* data rows written */
	char path[512]; /* final name */
	char tmp[520];  /* name while being written */
} csvw_t;

static void
w_flush(csvw_t *w)
{
	if (w->len && !w->err && fwrite(w->buf, 1, w->len, w->f) != w->len)
		w->err = errno ? errno : EIO;
	w->len = 0;
}

static void
w_raw(csvw_t *w, const char *s, size_t n)
{
	if (w->len + n > W_BUFSZ)
		w_flush(w);
	if (n > W_BUFSZ) { /* never with this generator's fields */
		if (!w->err && fwrite(s, 1, n, w->f) != n)
			w->err = errno ? errno : EIO;
		return;
	}
	memcpy(w->buf + w->len, s, n);
	w->len += n;
}

static void
w_sep(csvw_t *w)
{
	if (w->nfield++)
		w_raw(w, ",", 1);
}

/* One text field, quoted (RFC 4180) when it holds a comma, quote, line
 * break, or leading or trailing blank. */
static void
w_text(csvw_t *w, const char *s)
{
	size_t n = strlen(s);
	int q = n && (s[0] == ' ' || s[0] == '\t' || s[n - 1] == ' ' ||
	                 s[n - 1] == '\t');

	w_sep(w);
	if (!q && strpbrk(s, ",\"\r\n") == NULL) {
		w_raw(w, s, n);
		return;
	}
	w_raw(w, "\"", 1);
	for (const char *p = s; *p;) {
		const char *e = strchr(p, '"');
		if (e == NULL) {
			w_raw(w, p, strlen(p));
			break;
		}
		w_raw(w, p, (size_t)(e - p + 1));
		w_raw(w, "\"", 1);
		p = e + 1;
	}
	w_raw(w, "\"", 1);
}

static void
w_int(csvw_t *w, int64_t v)
{
	char b[24];
	int n = snprintf(b, sizeof(b), "%lld", (long long)v);

	w_sep(w);
	w_raw(w, b, (size_t)n);
}

/* Money in yuan with two decimals, from fen; empty when fen < 0. */
static void
w_money(csvw_t *w, int64_t fen)
{
	char b[32];
	int n;

	w_sep(w);
	if (fen < 0)
		return;
	n = snprintf(b, sizeof(b), "%lld.%02lld", (long long)(fen / 100),
	    (long long)(fen % 100));
	w_raw(w, b, (size_t)n);
}

/* A date; empty when day is GEN_NODATE. */
#define GEN_NODATE INT64_MIN

static void
w_date(csvw_t *w, int64_t day)
{
	char b[11];

	w_sep(w);
	if (day == GEN_NODATE)
		return;
	fsy_iso_date(day * DAY * 1000, b);
	w_raw(w, b, 10);
}

static void
w_time(csvw_t *w, int64_t secs)
{
	char b[21];

	w_sep(w);
	fsy_iso_time(secs * 1000, b);
	w_raw(w, b, 20);
}

static void
w_empty(csvw_t *w)
{
	w_sep(w);
}

static void
w_end(csvw_t *w)
{
	w_raw(w, "\n", 1);
	w->nfield = 0;
	w->rows++;
}

/* ---- the generator's state ---------------------------------------------- */

enum { ST_EMPLOYED = 0, ST_DEPARTED, ST_DISQUALIFIED };
enum { RO_AGENT = 0, RO_LEAD, RO_SERVICE, RO_RENEWAL, RO_ADMIN };
enum { CN_AGENCY = 0, CN_BANCA, CN_SERVICE, CN_RENEWAL };

static const char *const role_names[] = {"agent", "lead", "service",
	"renewal", "admin"};
static const char *const channel_names[] = {"agency", "bancassurance",
	"service", "renewal"};
static const char *const status_names[] = {"employed", "departed",
	"disqualified"};

typedef struct {
	char code[24];
	char name[32];
	int team;       /* index into teams */
	uint8_t role, channel, status;
	int64_t hired;  /* day */
	int64_t left;   /* day, or GEN_NODATE */
	int perf;       /* performance score */
	int diligence;  /* per mille: how many of the possible touches happen */
} gagent_t;

typedef struct {
	char code[24];
	char name[48];
} gteam_t;

enum { REL_SELF = 0, REL_SPOUSE, REL_CHILD, REL_PARENT, REL_OTHER };
static const char *const rel_names[] = {"self", "spouse", "child", "parent",
	"other"};

typedef struct {
	char name[24];
	char gender;       /* 'M' or 'F' */
	int64_t birth;     /* day */
	uint8_t rel;       /* REL_* */
	char occ[24];
	const char *health; /* "" when none */
} gperson_t;

enum { PM_ANNUAL = 0, PM_HALF, PM_QUARTER, PM_MONTHLY, PM_SINGLE };
static const char *const pm_names[] = {"annual", "half", "quarter",
	"monthly", "single"};
static const int pm_per_year[] = {1, 2, 4, 12, 1};

enum {
	PS_INFORCE = 0, PS_GRACE, PS_LAPSED, PS_SURRENDERED, PS_MATURED,
	PS_PAIDUP, PS_CANCELLED, PS_TERMINATED
};
static const char *const ps_names[] = {"inforce", "grace", "lapsed",
	"surrendered", "matured", "paid_up", "cancelled", "terminated"};

#define MAXPERS 10
#define MAXPOL 24
#define MAXVIS 112

typedef struct {
	char no[24];
	int ext;
	const char *insurer;       /* external only */
	const gen_product_t *p;
	int is_main;
	int insured;               /* index into persons, -1: the customer */
	int pm;                    /* PM_* */
	int years;                 /* payment years, 0 single */
	int64_t modal_fen, annual_fen;
	int64_t issue, next_due, end, survival, status_date; /* days */
	int status;                /* PS_* */
	int64_t sa_fen, av_fen;    /* -1: none */
	int converted;
	char benef[32];
	int agent;                 /* soliciting agent, -1 none */
} gpolicy_t;

typedef struct {
	int64_t at;       /* happened, Unix seconds */
	int64_t delay;    /* recorded - happened, seconds */
	uint8_t topic, channel;
	int agent;
	int pol;          /* policy index, -1 none */
	int seq;          /* creation order: the last sort key */
} gvisit_t;

typedef struct {
	char no[24];
	char name[24];
	char gender;
	int64_t birth;
	char idno[19];
	char phone[12];
	char addr[192];
	char occ[24];
	int64_t income;            /* yuan */
	gperson_t pers[MAXPERS];
	int npers;
	gpolicy_t pol[MAXPOL];
	int npol;
	gvisit_t vis[MAXVIS];
	int nvis;
	int primary, secondary;    /* agents; secondary -1 when none */
	int successor;             /* who serves after primary left, or -1 */
	int64_t succ_from;         /* day */
} household_t;

typedef struct {
	const fsy_gen_opts_t *o;
	const gen_city_t *city;
	gagent_t *agents;
	int nagents;
	gteam_t *teams;
	int nteams;
	int *sellers;   /* agents who sell: agents and leads */
	int nsellers;
	int *staff;     /* employed service staff (role service) */
	int nstaff;
	int first_departed; /* a departed seller */
	wtab_t surnames, occupations, products, riders, ext_products, insurers;
	household_t *h;
	csvw_t w[FSY_IMPORT_NFILES];
	fsy_gen_stats_t stats;
	int64_t ext_seq;  /* external policy numbers */
} gen_t;

/* ---- people -------------------------------------------------------------- */

static void
make_given(rng_t *r, char gender, int64_t birth, char *out, size_t n)
{
	int y = year_of(birth);
	int era = y < 1970 ? 0 : y < 1990 ? 1 : 2;
	const char *pool = gen_given[gender == 'F'][era];
	int nchars = (int)(strlen(pool) / 3);
	int single = chance(r, era == 0 ? 300 : era == 1 ? 250 : 100);
	int a = (int)rng_below(r, (uint64_t)nchars);
	int b = (int)rng_below(r, (uint64_t)nchars);

	if (single) {
		snprintf(out, n, "%.3s", pool + 3 * a);
		return;
	}
	if (b == a && !(gender == 'F' && chance(r, 300)))
		b = (a + 1) % nchars; /* reduplicated names are mostly girls' */
	snprintf(out, n, "%.3s%.3s", pool + 3 * a, pool + 3 * b);
}

static const char *
draw_surname(gen_t *g, rng_t *r)
{
	return gen_surnames[wtab_pick(&g->surnames, r)].s;
}

static void
make_name(gen_t *g, rng_t *r, const char *surname, char gender,
    int64_t birth, char *out, size_t n)
{
	char given[16];

	make_given(r, gender, birth, given, sizeof(given));
	snprintf(out, n, "%s%s", surname ? surname : draw_surname(g, r), given);
}

/* A birth date: age in [lo, hi] at the day `at`. */
static int64_t
birth_for_age(rng_t *r, int64_t at, int lo, int hi)
{
	int64_t a = rng_range(r, lo, hi);
	int64_t start = add_months(at, -12 * (a + 1)) + 1;

	return rng_range(r, start, add_months(at, -12 * a));
}

/* Resident ID number (GB 11643): region, birth date, sequence with the
 * sex in its parity, check digit. */
static void
make_idno(gen_t *g, rng_t *r, char gender, int64_t birth, char out[19])
{
	static const int wt[17] = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5,
		8, 4, 2};
	static const char check[] = "10X98765432";
	const gen_city_t *c = g->city;
	int y, sum = 0;
	unsigned m, d;
	int seq;

	if (chance(r, 300)) /* born elsewhere */
		c = &gen_cities[rng_below(r, (uint64_t)NELEM(gen_cities))];
	fsy_civil_from_days(birth, &y, &m, &d);
	seq = (int)rng_range(r, 0, 499) * 2 + (gender == 'M');
	snprintf(out, 19, "%s%s%04d%02u%02u%03d", c->idcode,
	    c->d[rng_below(r, 8)].code, y, m, d, seq);
	for (int i = 0; i < 17; i++)
		sum += (out[i] - '0') * wt[i];
	out[17] = check[sum % 11];
	out[18] = '\0';
}

static void
make_phone(rng_t *r, char out[12])
{
	const char *p =
	    gen_phone_prefixes[rng_below(r, (uint64_t)NELEM(gen_phone_prefixes))];

	snprintf(out, 12, "%s%08llu", p,
	    (unsigned long long)rng_below(r, 100000000));
}

static void
make_address(gen_t *g, rng_t *r, char *out, size_t n)
{
	const gen_city_t *c = g->city;
	const gen_district_t *d = &c->d[rng_below(r, 8)];

	snprintf(out, n, "%s%s%s%s%d号%s%d号楼%d单元%d%02d室", c->province,
	    c->city, d->name, gen_roads[rng_below(r, (uint64_t)NELEM(gen_roads))],
	    (int)rng_range(r, 1, 999),
	    gen_estates[rng_below(r, (uint64_t)NELEM(gen_estates))],
	    (int)rng_range(r, 1, 32), (int)rng_range(r, 1, 6),
	    (int)rng_range(r, 1, 33), (int)rng_range(r, 1, 4));
}

/* An adult's occupation by age; returns the personal income in yuan. */
static int64_t
make_occupation(gen_t *g, rng_t *r, int age, char gender, char *out,
    size_t n)
{
	const gen_occupation_t *o;

	if (age >= 70 || (age >= 60 && chance(r, 800)) ||
	    (age >= 55 && gender == 'F' && chance(r, 600))) {
		snprintf(out, n, "退休");
		return rng_range(r, 30, 100) * 1000;
	}
	do
		o = &gen_occupations[wtab_pick(&g->occupations, r)];
	while (o->hi == 0 && gender == 'M');
	snprintf(out, n, "%s", o->name);
	if (o->hi == 0)
		return 0;
	/* low incomes are more common: the smaller of two draws */
	int64_t a = rng_range(r, o->lo, o->hi), b = rng_range(r, o->lo, o->hi);
	return (a < b ? a : b) / 1000 * 1000;
}

static void
child_occupation(int age, char *out, size_t n)
{
	snprintf(out, n, "%s",
	    age < 3 ? "学龄前" : age < 6 ? "幼儿园" : age < 18 ? "学生" :
	    age < 22 ? "大学生" : "企业职员");
}

static void
add_person(household_t *h, uint8_t rel, const char *name, char gender,
    int64_t birth, const char *occ, const char *health)
{
	gperson_t *p;

	if (h->npers == MAXPERS)
		return;
	for (int i = 0; i < h->npers; i++)
		if (h->pers[i].rel == rel && strcmp(h->pers[i].name, name) == 0)
			return; /* (customer, relation, name) is the import key */
	p = &h->pers[h->npers++];
	p->rel = rel;
	snprintf(p->name, sizeof(p->name), "%s", name);
	p->gender = gender;
	p->birth = birth;
	snprintf(p->occ, sizeof(p->occ), "%s", occ);
	p->health = health;
}

static const char *
draw_health(rng_t *r, int permille)
{
	if (!chance(r, permille))
		return "";
	return gen_health_notes[rng_below(r, (uint64_t)NELEM(gen_health_notes))];
}

/* The policyholder and the household around them. */
static void
make_people(gen_t *g, household_t *h, rng_t *r, int64_t idx)
{
	static const uint8_t age_w[] = {8, 28, 30, 20, 10, 4};
	static const int age_lo[] = {25, 30, 40, 50, 60, 70};
	static const int age_hi[] = {29, 39, 49, 59, 69, 75};
	int64_t as_of = g->o->as_of;
	int band = pick_u8(r, age_w, NELEM(age_w));
	const char *surname = draw_surname(g, r);
	const char *spouse_surname = NULL;
	char name[24], occ[24];
	int age, married, nkids = 0;
	int64_t income;

	snprintf(h->no, sizeof(h->no), "%sC%09lld", g->o->branch,
	    (long long)idx + 1);
	h->gender = chance(r, 450) ? 'M' : 'F';
	h->birth = birth_for_age(r, as_of, age_lo[band], age_hi[band]);
	age = age_at(h->birth, as_of);
	make_name(g, r, surname, h->gender, h->birth, h->name, sizeof(h->name));
	make_idno(g, r, h->gender, h->birth, h->idno);
	make_phone(r, h->phone);
	make_address(g, r, h->addr, sizeof(h->addr));
	income = make_occupation(g, r, age, h->gender, h->occ, sizeof(h->occ));
	h->npers = 0;

	married = chance(r, age < 30 ? 550 : age < 60 ? 880 : 780);
	if (married) {
		char sg = h->gender == 'M' ? 'F' : 'M';
		int diff = (int)rng_range(r, 0, 5);
		int sa = h->gender == 'M' ? age - diff : age + diff;
		int64_t sb;

		if (sa < 22)
			sa = 22;
		sb = birth_for_age(r, as_of, sa, sa);
		spouse_surname = draw_surname(g, r);
		make_name(g, r, spouse_surname, sg, sb, name, sizeof(name));
		income += make_occupation(g, r, sa, sg, occ, sizeof(occ));
		add_person(h, REL_SPOUSE, name, sg, sb, occ, draw_health(r, 150));
	}
	if (married || chance(r, 80)) {
		static const uint8_t young[] = {50, 45, 5, 0};
		static const uint8_t mid[] = {10, 55, 32, 3};
		static const uint8_t older[] = {5, 65, 28, 2};
		nkids = pick_u8(r, age < 30 ? young : age < 45 ? mid : older, 4);
	}
	for (int k = 0; k < nkids; k++) {
		int64_t cb = add_months(h->birth, 12 * rng_range(r, 23, 38)) +
		    rng_range(r, 0, 364);
		char cg = chance(r, 510) ? 'M' : 'F';
		const char *cs = surname;
		int cage;

		if (cb > as_of - 30)
			continue;
		if (h->gender == 'F' && spouse_surname && chance(r, 920))
			cs = spouse_surname; /* the father's surname, mostly */
		cage = age_at(cb, as_of);
		make_name(g, r, cs, cg, cb, name, sizeof(name));
		child_occupation(cage, occ, sizeof(occ));
		add_person(h, REL_CHILD, name, cg, cb, occ, draw_health(r, 50));
	}
	if (age < 60 && chance(r, 350)) {
		int64_t fb = add_months(h->birth, -12 * rng_range(r, 25, 33)) -
		    rng_range(r, 0, 364);
		int64_t mb = add_months(h->birth, -12 * rng_range(r, 22, 30)) -
		    rng_range(r, 0, 364);
		if (chance(r, 800) && age_at(fb, as_of) <= 95) {
			make_name(g, r, surname, 'M', fb, name, sizeof(name));
			add_person(h, REL_PARENT, name, 'M', fb, "退休",
			    draw_health(r, 550));
		}
		if (chance(r, 900) && age_at(mb, as_of) <= 95) {
			make_name(g, r, NULL, 'F', mb, name, sizeof(name));
			add_person(h, REL_PARENT, name, 'F', mb, "退休",
			    draw_health(r, 500));
		}
	}
	if (chance(r, 30)) { /* a sibling who lives with them */
		char og = chance(r, 500) ? 'M' : 'F';
		int64_t ob = h->birth + rng_range(r, -3000, 3000);
		if (ob < as_of - 18 * YEAR_DAYS) {
			make_name(g, r, surname, og, ob, name, sizeof(name));
			make_occupation(g, r, age_at(ob, as_of), og, occ,
			    sizeof(occ));
			add_person(h, REL_OTHER, name, og, ob, occ, "");
		}
	}
	h->income = income > 0 ? income : rng_range(r, 20, 60) * 1000;
}

/* ---- policies ------------------------------------------------------------ */

static int64_t
round_to(int64_t v, int64_t unit)
{
	return (v + unit / 2) / unit * unit;
}

/* The insured for a product: -1 (the policyholder) or a person index, or
 * -2 when the household has no suitable person. */
static int
pick_insured(household_t *h, rng_t *r, const gen_product_t *p)
{
	int cand[MAXPERS + 1], n = 0;

	if (p->insured == IN_CHILD) {
		for (int i = 0; i < h->npers; i++)
			if (h->pers[i].rel == REL_CHILD)
				cand[n++] = i;
		return n ? cand[rng_below(r, (uint64_t)n)] : -2;
	}
	if (p->insured == IN_SELF || chance(r, 650))
		return -1;
	for (int i = 0; i < h->npers; i++)
		if (h->pers[i].rel == REL_SPOUSE ||
		    (p->insured == IN_ANY && h->pers[i].rel == REL_CHILD))
			cand[n++] = i;
	return n ? cand[rng_below(r, (uint64_t)n)] : -1;
}

static int64_t
insured_birth(const household_t *h, int ins)
{
	return ins < 0 ? h->birth : h->pers[ins].birth;
}

static const char *
insured_name(const household_t *h, int ins)
{
	return ins < 0 ? h->name : h->pers[ins].name;
}

static int64_t
sum_assured(rng_t *r, const gen_product_t *p, int64_t annual_fen, int years)
{
	int64_t paid = annual_fen * (years > 0 ? years : 1);

	switch (p->sa) {
	case SA_CI:
		return rng_range(r, 10, 50) * 1000000;
	case SA_TERM:
		return rng_range(r, 6, 30) * 5000000;
	case SA_ACC:
		return rng_range(r, 2, 10) * 5000000;
	case SA_MEDICAL:
		return rng_range(r, 1, 3) * 200000000;
	case SA_HOSP:
		return rng_range(r, 1, 3) * 1000000;
	case SA_ANNUITY:
		return round_to(paid / 10, 10000);
	case SA_ACCOUNT:
		return round_to(paid, 10000);
	default:
		return round_to(paid * rng_range(r, 12, 20) / 10, 100000);
	}
}

/* Status and the dates that go with it, for a policy whose issue date,
 * payment and cover are set. */
static void
policy_status(gen_t *g, rng_t *r, gpolicy_t *p)
{
	static const uint8_t st_long[] = {84, 2, 5, 4, 0, 2, 1, 2};
	static const uint8_t st_year[] = {92, 0, 6, 0, 0, 0, 1, 1};
	int64_t as_of = g->o->as_of, k, due, last;
	int step = p->pm == PM_SINGLE ? 0 : 12 / pm_per_year[p->pm];
	int64_t pay_end = p->years > 0 ? add_months(p->issue, 12 * p->years)
	                               : p->issue;
	int yearly = p->p->kind == PK_YEARLY;
	int st;

	p->next_due = p->survival = GEN_NODATE;
	p->status_date = p->issue;
	p->converted = 0;
	if (yearly) /* renewed every year: cover ends at the next anniversary */
		p->end = next_in_series(p->issue, 12, as_of, &k);
	if (p->end != GEN_NODATE && p->end <= as_of) {
		p->status = PS_MATURED;
		p->status_date = p->end;
		if ((p->p->type == PT_ENDOW || p->p->type == PT_DIVIDEND) &&
		    chance(r, 200))
			p->converted = 1; /* matured benefit taken as annuity */
		return;
	}
	st = pick_u8(r, yearly ? st_year : st_long, 8);
	if (step == 0 && (st == PS_GRACE || st == PS_LAPSED || st == PS_PAIDUP))
		st = PS_INFORCE;
	switch (st) {
	case PS_GRACE:
		due = next_in_series(p->issue, step, as_of, &k);
		last = add_months(p->issue, (k - 1) * step);
		if (k > 1 && last < pay_end && as_of - last <= 60 &&
		    due > last) {
			p->next_due = p->status_date = last;
			p->status = PS_GRACE;
			return;
		}
		break;
	case PS_LAPSED:
		/* a premium missed some time in the past */
		next_in_series(p->issue, step, as_of - 61, &k);
		if (k > 1) {
			int64_t kk = rng_range(r, 1, k - 1);
			last = add_months(p->issue, kk * step);
			if (last < pay_end) {
				p->next_due = last;
				p->status_date = last + 60;
				p->status = PS_LAPSED;
				if (yearly)
					p->end = last;
				return;
			}
		}
		break;
	case PS_SURRENDERED:
	case PS_TERMINATED:
		if (p->issue + YEAR_DAYS < as_of) {
			p->status = st;
			p->status_date = rng_range(r, p->issue + YEAR_DAYS, as_of);
			if (st == PS_SURRENDERED && p->av_fen >= 0)
				p->av_fen = 0;
			return;
		}
		break;
	case PS_PAIDUP:
		if (p->issue + 2 * YEAR_DAYS < as_of && p->issue + 2 * YEAR_DAYS <
		    pay_end) {
			p->status = PS_PAIDUP;
			p->status_date = rng_range(r, p->issue + 2 * YEAR_DAYS,
			    pay_end < as_of ? pay_end : as_of);
			return;
		}
		break;
	case PS_CANCELLED:
		if (p->issue + 14 < as_of) {
			p->status = PS_CANCELLED;
			p->status_date = p->issue + rng_range(r, 3, 14);
			if (p->av_fen >= 0)
				p->av_fen = 0;
			return;
		}
		break;
	default:
		break;
	}
	p->status = PS_INFORCE;
	if (yearly) { /* the next renewal (or monthly) premium */
		p->next_due = next_in_series(p->issue, step, as_of, &k);
	} else if (step && pay_end > as_of) {
		due = next_in_series(p->issue, step, as_of, &k);
		if (due < pay_end)
			p->next_due = due;
	}
	if (p->p->survival == SV_ANNUITY) {
		int64_t start = p->years > 0 ? pay_end : add_months(p->issue, 60);
		int64_t s = start > as_of ? start
		                          : next_in_series(start, 12, as_of, &k);
		if (p->end == GEN_NODATE || s < p->end)
			p->survival = s;
	} else if (p->p->survival == SV_EVERY3) {
		int64_t s = next_in_series(p->issue, 36, as_of, &k);
		if (p->end == GEN_NODATE || s < p->end)
			p->survival = s;
	}
}

/* One policy of product pr sold by agent ag (-1: another insurer's).
 * Returns 0, or -1 when no issue date fits the product and the agent. */
static int
make_policy(gen_t *g, household_t *h, rng_t *r, const gen_product_t *pr,
    int ag, int loose)
{
	static const uint8_t pm_long[] = {72, 8, 6, 14};
	static const uint8_t pm_year[] = {85, 0, 0, 15};
	int64_t as_of = g->o->as_of;
	gpolicy_t *p;
	int ins;
	int64_t ib, lo, hi, annual, u;

	if (h->npol >= MAXPOL)
		return -1;
	ins = pick_insured(h, r, pr);
	if (ins == -2)
		return -1;
	ib = insured_birth(h, ins);
	lo = as_of - 20 * YEAR_DAYS;
	hi = as_of - 1;
	if (ag >= 0) {
		const gagent_t *a = &g->agents[ag];
		if (a->hired + 30 > lo)
			lo = a->hired + 30;
		if (a->left != GEN_NODATE && a->left - 1 < hi)
			hi = a->left - 1;
	} else {
		lo = as_of - 12 * YEAR_DAYS;
	}
	if (!loose) {
		int64_t amin = add_months(ib, 12 * pr->min_age);
		int64_t amax = add_months(ib, 12 * (pr->max_age + 1)) - 1;
		int64_t adult = add_months(h->birth, 12 * 20);
		if (amin > lo)
			lo = amin;
		if (adult > lo)
			lo = adult;
		if (amax < hi)
			hi = amax;
		if (lo > hi)
			return -1;
	} else if (lo > hi) {
		lo = hi;
	}
	p = &h->pol[h->npol];
	memset(p, 0, sizeof(*p));
	p->p = pr;
	p->ext = ag < 0;
	p->is_main = 1;
	p->insured = ins;
	p->agent = ag;
	/* recent years sell more: the later of two draws, half the time */
	p->issue = rng_range(r, lo, hi);
	if (chance(r, 500)) {
		int64_t other = rng_range(r, lo, hi);
		if (other > p->issue)
			p->issue = other;
	}
	if (pr->kind == PK_SINGLE ||
	    (pr->kind == PK_LONG && chance(r, pr->single_pct * 10))) {
		p->pm = PM_SINGLE;
		p->years = 0;
	} else if (pr->kind == PK_YEARLY) {
		p->pm = pick_u8(r, pm_year, 4);
		p->years = 1;
	} else {
		p->pm = pick_u8(r, pm_long, 4);
		p->years = pr->years[rng_below(r, 3)];
	}
	/* premium: low amounts are more common; capped by income */
	u = (int64_t)rng_below(r, 1000) * (int64_t)rng_below(r, 1000);
	annual = pr->lo + (pr->hi - pr->lo) * u / 1000000;
	if (p->pm == PM_SINGLE && pr->kind != PK_SINGLE)
		annual *= rng_range(r, 3, 8);
	if (annual > h->income * 3 / 10 && p->pm != PM_SINGLE)
		annual = h->income * rng_range(r, 5, 20) / 100;
	if (annual < pr->lo)
		annual = pr->lo;
	annual = round_to(annual, annual >= 1000 ? 10 : 1);
	p->annual_fen = annual * 100;
	p->modal_fen = p->pm == PM_SINGLE
	    ? p->annual_fen
	    : (p->annual_fen + pm_per_year[p->pm] - 1) / pm_per_year[p->pm];
	p->annual_fen = p->modal_fen * pm_per_year[p->pm];
	if (pr->term > 0)
		p->end = add_months(p->issue, 12 * pr->term);
	else if (pr->term < 0)
		p->end = add_months(ib, -12 * pr->term);
	else
		p->end = GEN_NODATE;
	if (p->end != GEN_NODATE && p->end <= p->issue + YEAR_DAYS)
		p->end = add_months(p->issue, 12 * (p->years > 5 ? p->years : 5));
	p->sa_fen = sum_assured(r, pr, p->annual_fen, p->years);
	p->av_fen = -1;
	if (pr->type == PT_UNIVERSAL || pr->type == PT_IL) {
		int64_t yrs = (as_of - p->issue) / YEAR_DAYS;
		int64_t paid = p->pm == PM_SINGLE
		    ? p->modal_fen
		    : p->annual_fen * (yrs + 1 < p->years ? yrs + 1 : p->years);
		p->av_fen = pr->type == PT_UNIVERSAL
		    ? paid + paid * yrs * 3 / 100
		    : paid * rng_range(r, 80, 160) / 100;
	}
	policy_status(g, r, p);
	if (pr->type == PT_HEALTH) {
		p->benef[0] = '\0';
	} else if (chance(r, 650)) {
		snprintf(p->benef, sizeof(p->benef), "法定");
	} else {
		int who = -1;
		for (int i = 0; i < h->npers; i++)
			if (i != ins && (h->pers[i].rel == REL_SPOUSE ||
			                    h->pers[i].rel == REL_CHILD) &&
			    (who < 0 || chance(r, 500)))
				who = i;
		snprintf(p->benef, sizeof(p->benef), "%s",
		    who >= 0 ? h->pers[who].name : ins >= 0 ? h->name : "法定");
	}
	if (p->ext) {
		p->insurer = gen_insurers[wtab_pick(&g->insurers, r)].s;
		snprintf(p->no, sizeof(p->no), "%sX%09lld", g->o->branch,
		    (long long)++g->ext_seq);
	}
	h->npol++;
	return 0;
}

/* A rider on main policy m: same insured, issue date and pay mode. */
static void
make_rider(gen_t *g, household_t *h, rng_t *r, int m)
{
	const gen_product_t *pr = &gen_riders[wtab_pick(&g->riders, r)];
	gpolicy_t *mp = &h->pol[m], *p;
	int64_t annual;

	if (h->npol >= MAXPOL || mp->pm == PM_SINGLE)
		return;
	if (age_at(insured_birth(h, mp->insured), mp->issue) > pr->max_age ||
	    age_at(insured_birth(h, mp->insured), mp->issue) < pr->min_age)
		return;
	for (int i = m + 1; i < h->npol; i++)
		if (h->pol[i].p == pr)
			return; /* one rider of a kind */
	p = &h->pol[h->npol];
	*p = *mp;
	p->p = pr;
	p->is_main = 0;
	annual = round_to(rng_range(r, pr->lo, pr->hi), 10);
	p->modal_fen = (annual * 100 + pm_per_year[p->pm] - 1) /
	    pm_per_year[p->pm];
	p->annual_fen = p->modal_fen * pm_per_year[p->pm];
	p->sa_fen = sum_assured(r, pr, pr->sa == SA_PREMX ? mp->annual_fen
	                                                  : p->annual_fen,
	    p->years);
	p->av_fen = -1;
	p->survival = GEN_NODATE;
	if (pr->type == PT_ACCIDENT || pr->type == PT_HEALTH ||
	    p->end == GEN_NODATE)
		p->end = add_months(p->issue, 12 * p->years);
	if (p->status == PS_INFORCE && p->end <= g->o->as_of) {
		p->status = PS_MATURED;
		p->status_date = p->end;
		p->next_due = GEN_NODATE;
	}
	if (pr->type == PT_HEALTH || pr->type == PT_ACCIDENT)
		p->benef[0] = '\0';
	h->npol++;
}

/* The household's policies, own and other insurers'. */
static void
make_policies(gen_t *g, household_t *h, rng_t *r, int64_t idx)
{
	static const uint8_t nmain_w[] = {45, 30, 15, 7, 3};
	int nmain = pick_u8(r, nmain_w, 5) + 1;
	int next_no = 0;

	h->npol = 0;
	for (int i = 0; i < nmain; i++) {
		int ag = h->primary;
		int ok = -1;

		if (h->secondary >= 0 && i > 0 && chance(r, 400))
			ag = h->secondary;
		for (int t = 0; t < 8 && ok < 0; t++)
			ok = make_policy(g, h, r,
			    &gen_products[wtab_pick(&g->products, r)], ag, 0);
		if (ok < 0 && i == 0) /* everyone has at least one policy */
			ok = make_policy(g, h, r, &gen_products[1], ag, 1);
		if (ok < 0)
			continue;
		int m = h->npol - 1;
		const gen_product_t *pr = h->pol[m].p;
		if (pr->kind == PK_LONG && h->pol[m].pm != PM_SINGLE &&
		    pr->type != PT_UNIVERSAL && pr->type != PT_ANNUITY) {
			int nr = chance(r, 350) + chance(r, 120);
			for (int k = 0; k < nr; k++)
				make_rider(g, h, r, m);
		}
	}
	/* own policy numbers: customer number based, in order */
	for (int i = 0; i < h->npol; i++)
		snprintf(h->pol[i].no, sizeof(h->pol[i].no), "%sP%09lld%02d",
		    g->o->branch, (long long)idx + 1, ++next_no);
	if (chance(r, 150)) {
		static const uint8_t next_w[] = {60, 30, 10};
		int ne = pick_u8(r, next_w, 3) + 1;
		int any = 0;
		for (int i = 0; i < ne; i++) {
			const gen_product_t *pr =
			    &gen_ext_products[wtab_pick(&g->ext_products, r)];
			if (make_policy(g, h, r, pr, -1, 0) == 0)
				any = 1;
		}
		g->stats.external_households += any;
	}
}

/* ---- visits -------------------------------------------------------------- */

/* The agent who serves the customer on day d, or -1. */
static int
serving(const gen_t *g, const household_t *h, int64_t d)
{
	const gagent_t *a = &g->agents[h->primary];

	if (d >= a->hired && (a->left == GEN_NODATE || d < a->left))
		return h->primary;
	if (h->successor >= 0 && d >= h->succ_from)
		return h->successor;
	return -1;
}

/* Adds a visit on day d (time of day drawn) by agent ag (-1: whoever
 * serves then), when d is in the history window. */
static void
add_visit(const gen_t *g, household_t *h, rng_t *r, int64_t d, int topic,
    int ag, int pol, int64_t from)
{
	gvisit_t *v;
	int64_t delay;

	if (d < from || d > g->o->as_of || h->nvis == MAXVIS)
		return;
	if (ag < 0)
		ag = serving(g, h, d);
	if (ag < 0)
		return;
	v = &h->vis[h->nvis];
	v->seq = h->nvis++;
	/* 09:00-20:00 Beijing time is 01:00-12:00 UTC */
	v->at = d * DAY + rng_range(r, 3600, 12 * 3600);
	v->topic = (uint8_t)topic;
	v->channel = (uint8_t)pick_u8(r, gen_topic_channels[topic], CH_N);
	v->agent = ag;
	v->pol = pol;
	if (chance(r, 850))
		delay = rng_range(r, 600, 6 * 3600);
	else if (chance(r, 600))
		delay = rng_range(r, 6 * 3600, 23 * 3600);
	else
		delay = rng_range(r, 25 * 3600, 96 * 3600); /* recorded late */
	v->delay = delay;
}

static int
visit_cmp(const void *a, const void *b)
{
	const gvisit_t *x = a, *y = b;

	if (x->at != y->at)
		return x->at < y->at ? -1 : 1;
	return x->seq - y->seq;
}

/* Does agent ag (or whoever serves) make this touch? */
static int
diligent(const gen_t *g, const household_t *h, rng_t *r, int64_t d,
    int permille)
{
	int ag = serving(g, h, d);

	if (ag < 0)
		return 0;
	return chance(r, permille * g->agents[ag].diligence / 1000);
}

static int64_t
festival_day(int y, const uint8_t tab[][2])
{
	int i = y - GEN_FESTIVAL_YEAR0;

	if (i < 0 || i >= GEN_FESTIVAL_YEARS)
		return GEN_NODATE;
	return civil(y, tab[i][0], tab[i][1]);
}

/* The n-th Sunday of month m of year y. */
static int64_t
nth_sunday(int y, int m, int n)
{
	int64_t first = civil(y, m, 1);
	int64_t wd = ((first % 7) + 7 + 4) % 7; /* 1970-01-01 was a Thursday */
	int64_t sunday = first + (7 - wd) % 7;

	return sunday + 7 * (n - 1);
}

static void
make_visits(gen_t *g, household_t *h, rng_t *r)
{
	int64_t as_of = g->o->as_of, from = as_of - 3 * YEAR_DAYS, k;
	int64_t first_issue = as_of;
	int has_mother = 0, has_father = 0, has_kids = 0;
	int y0, y1;

	h->nvis = 0;
	for (int i = 0; i < h->npol; i++)
		if (!h->pol[i].ext && h->pol[i].issue < first_issue)
			first_issue = h->pol[i].issue;
	if (first_issue > from)
		from = first_issue;
	for (int i = 0; i < h->npers; i++) {
		if (h->pers[i].rel == REL_PARENT)
			*(h->pers[i].gender == 'F' ? &has_mother : &has_father) = 1;
		has_kids |= h->pers[i].rel == REL_CHILD;
	}
	y0 = year_of(from);
	y1 = year_of(as_of);

	/* first contact by the successor */
	if (h->successor >= 0)
		add_visit(g, h, r, h->succ_from, TP_FIRST, h->successor, -1,
		    from);

	for (int y = y0; y <= y1; y++) {
		unsigned bm, bd;
		int by;
		int64_t d;

		fsy_civil_from_days(h->birth, &by, &bm, &bd);
		d = civil(y, (int)bm, (int)bd) - rng_range(r, 0, 2);
		if (diligent(g, h, r, d, 600))
			add_visit(g, h, r, d, TP_BIRTHDAY, -1, -1, from);
		d = festival_day(y, gen_spring_festival);
		if (d != GEN_NODATE && diligent(g, h, r, d, 500))
			add_visit(g, h, r, d - rng_range(r, 0, 6), TP_SPRING, -1,
			    -1, from);
		d = festival_day(y, gen_mid_autumn);
		if (d != GEN_NODATE && diligent(g, h, r, d, 450))
			add_visit(g, h, r, d - rng_range(r, 0, 4), TP_MIDAUTUMN,
			    -1, -1, from);
		d = civil(y, 10, 1) - rng_range(r, 0, 3);
		if (diligent(g, h, r, d, 250))
			add_visit(g, h, r, d, TP_NATIONAL, -1, -1, from);
		if ((has_mother || (h->gender == 'F' && has_kids))) {
			d = nth_sunday(y, 5, 2);
			if (diligent(g, h, r, d, 300))
				add_visit(g, h, r, d, TP_MOTHERS, -1, -1, from);
		}
		if ((has_father || (h->gender == 'M' && has_kids))) {
			d = nth_sunday(y, 6, 3);
			if (diligent(g, h, r, d, 250))
				add_visit(g, h, r, d, TP_FATHERS, -1, -1, from);
		}
		for (int i = 0; i < 2; i++) {
			d = civil(y, 1, 1) + rng_range(r, 0, 364);
			if (diligent(g, h, r, d, 450))
				add_visit(g, h, r, d, TP_NEWS, -1, -1, from);
			d = civil(y, 1, 1) + rng_range(r, 0, 364);
			if (diligent(g, h, r, d, 350))
				add_visit(g, h, r, d, TP_PRODUCT, -1, -1, from);
		}
		d = civil(y, 4, 1) + rng_range(r, 0, 29);
		if (diligent(g, h, r, d, 300))
			add_visit(g, h, r, d, TP_FESTIVAL, -1, -1, from);
		d = civil(y, 10, 8) + rng_range(r, 0, 22);
		if (diligent(g, h, r, d, 300))
			add_visit(g, h, r, d, TP_FESTIVAL, -1, -1, from);
		d = civil(y, 1, 1) + rng_range(r, 0, 364);
		if (diligent(g, h, r, d, 300))
			add_visit(g, h, r, d, TP_GENERAL, -1, -1, from);
	}
	for (int i = 0; i < h->npol; i++) {
		const gpolicy_t *p = &h->pol[i];
		if (p->ext || !p->is_main)
			continue;
		/* delivery, by the agent who sold it */
		if (p->issue >= from && chance(r, 850))
			add_visit(g, h, r, p->issue + rng_range(r, 3, 15),
			    TP_DELIVERY, p->agent, i, from);
		/* renewal reminders for yearly and half-yearly premiums */
		if ((p->pm == PM_ANNUAL || p->pm == PM_HALF) && p->years > 1) {
			int step = 12 / pm_per_year[p->pm];
			int64_t due = next_in_series(p->issue, step, from, &k);
			int64_t pay_end = add_months(p->issue, 12 * p->years);
			int64_t stop = p->status == PS_INFORCE ||
			        p->status == PS_GRACE
			    ? as_of + 30 : p->status_date;
			for (; due < pay_end && due <= stop;
			     due = add_months(p->issue, ++k * step))
				if (diligent(g, h, r, due, 500))
					add_visit(g, h, r,
					    due - rng_range(r, 3, 30),
					    TP_RENEWAL, -1, i, from);
		}
		/* annuity payments: tell the customer before each date */
		if (p->p->survival == SV_ANNUITY && p->status == PS_INFORCE) {
			int64_t start = p->years > 0
			    ? add_months(p->issue, 12 * p->years)
			    : add_months(p->issue, 60);
			for (int64_t s = start; s <= as_of + 20;
			     s = add_months(s, 12))
				if (s >= from && diligent(g, h, r, s, 500))
					add_visit(g, h, r,
					    s - rng_range(r, 7, 20),
					    TP_SURVIVAL, -1, i, from);
		}
	}
	if (chance(r, 40)) { /* a claim */
		int pol = -1;
		for (int i = 0; i < h->npol; i++)
			if (!h->pol[i].ext && (h->pol[i].p->type == PT_HEALTH ||
			                          h->pol[i].p->type == PT_CI ||
			                          h->pol[i].p->type == PT_ACCIDENT))
				pol = i;
		if (pol >= 0)
			add_visit(g, h, r, rng_range(r, from, as_of), TP_CLAIM, -1,
			    pol, from);
	}
	if (h->nvis > 1)
		qsort(h->vis, (size_t)h->nvis, sizeof(h->vis[0]), visit_cmp);
	/* one customer's visits happen at distinct times */
	for (int i = 1; i < h->nvis; i++)
		if (h->vis[i].at <= h->vis[i - 1].at)
			h->vis[i].at = h->vis[i - 1].at + 60 + rng_range(r, 0, 900);
}

/* ---- roster -------------------------------------------------------------- */

static const char *const cn_digits[] = {"", "一", "二", "三", "四", "五",
	"六", "七", "八", "九", "十"};

static int
make_roster(gen_t *g)
{
	const fsy_gen_opts_t *o = g->o;
	int64_t as_of = o->as_of;
	int A = o->agents, T = o->teams;
	int nsvc = A >= 8 ? (A * 5 / 100 > 1 ? A * 5 / 100 : 1) : 1;
	int nren = A >= 8 ? (A * 3 / 100 > 1 ? A * 3 / 100 : 1) : 0;
	int nadm = A >= 50;
	int nsales = A - nsvc - nren - nadm;
	int ai = 0, departed = 0, last_plain = -1;
	rng_t r;

	rng_seed(&r, o->seed, 0x524f53544552ULL); /* "ROSTER" */
	g->nagents = A;
	g->nteams = T + 1;
	g->agents = calloc((size_t)A, sizeof(*g->agents));
	g->teams = calloc((size_t)g->nteams, sizeof(*g->teams));
	g->sellers = calloc((size_t)A, sizeof(int));
	g->staff = calloc((size_t)A, sizeof(int));
	if (!g->agents || !g->teams || !g->sellers || !g->staff)
		return FSY_ENOMEM;
	g->first_departed = -1;

	for (int t = 0; t < T; t++) {
		int size = nsales / T + (t < nsales % T);
		int banca = T >= 3 && t == T - 1;
		gteam_t *tm = &g->teams[t];

		snprintf(tm->code, sizeof(tm->code), "%sT%03d", o->branch, t + 1);
		if (banca)
			snprintf(tm->name, sizeof(tm->name), "银保部");
		else if (t < 10)
			snprintf(tm->name, sizeof(tm->name), "营销%s部",
			    cn_digits[t + 1]);
		else
			snprintf(tm->name, sizeof(tm->name), "营销%d部", t + 1);
		for (int i = 0; i < size; i++, ai++) {
			gagent_t *a = &g->agents[ai];
			char gender = chance(&r, 600) ? 'F' : 'M';
			int64_t birth = birth_for_age(&r, as_of, 24, 58);

			a->team = t;
			a->role = i == 0 ? RO_LEAD : RO_AGENT;
			a->channel = banca ? CN_BANCA : CN_AGENCY;
			a->status = ST_EMPLOYED;
			a->left = GEN_NODATE;
			make_name(g, &r, NULL, gender, birth, a->name,
			    sizeof(a->name));
			if (i == 0) {
				a->hired = as_of - rng_range(&r, 6 * YEAR_DAYS,
				    20 * YEAR_DAYS);
			} else {
				int64_t x = rng_range(&r, YEAR_DAYS, 15 * YEAR_DAYS);
				int64_t y = rng_range(&r, YEAR_DAYS, 15 * YEAR_DAYS);
				a->hired = as_of - (x < y ? x : y);
				int roll = (int)rng_below(&r, 1000);
				if (roll < 180) {
					a->status = roll < 165 ? ST_DEPARTED
					                       : ST_DISQUALIFIED;
					a->left = as_of - rng_range(&r, 30,
					    5 * YEAR_DAYS);
					a->hired = a->left - rng_range(&r,
					    YEAR_DAYS, 10 * YEAR_DAYS);
				}
				last_plain = ai;
			}
			g->sellers[g->nsellers++] = ai;
		}
	}
	/* at least one departed seller, so that pure customers exist */
	for (int i = 0; i < ai; i++)
		if (g->agents[i].status != ST_EMPLOYED)
			departed++;
	if (departed == 0 && last_plain >= 0) {
		gagent_t *a = &g->agents[last_plain];
		a->status = ST_DEPARTED;
		a->left = as_of - rng_range(&r, 60, 3 * YEAR_DAYS);
		a->hired = a->left - rng_range(&r, YEAR_DAYS, 8 * YEAR_DAYS);
	}

	/* the service team: service and renewal staff, an administrator */
	gteam_t *st = &g->teams[T];
	snprintf(st->code, sizeof(st->code), "%sT000", o->branch);
	snprintf(st->name, sizeof(st->name), "客户服务部");
	for (int i = 0; i < nsvc + nren + nadm; i++, ai++) {
		gagent_t *a = &g->agents[ai];
		char gender = chance(&r, 650) ? 'F' : 'M';
		int64_t birth = birth_for_age(&r, as_of, 24, 55);

		a->team = T;
		a->status = ST_EMPLOYED;
		a->left = GEN_NODATE;
		if (i < nsvc) {
			a->role = RO_SERVICE;
			/* service staff serve the customers of one channel */
			a->channel = T >= 3 && i % 4 == 3 ? CN_BANCA : CN_AGENCY;
			g->staff[g->nstaff++] = ai;
		} else if (i < nsvc + nren) {
			a->role = RO_RENEWAL;
			a->channel = CN_RENEWAL;
		} else {
			a->role = RO_ADMIN;
			a->channel = CN_SERVICE;
		}
		make_name(g, &r, NULL, gender, birth, a->name, sizeof(a->name));
		a->hired = as_of - rng_range(&r, 2 * YEAR_DAYS, 15 * YEAR_DAYS);
	}
	for (int i = 0; i < A; i++) {
		gagent_t *a = &g->agents[i];
		snprintf(a->code, sizeof(a->code), "%sA%05d", o->branch, i + 1);
		a->perf = a->status == ST_EMPLOYED ? (int)rng_range(&r, 40, 100)
		        : a->status == ST_DEPARTED ? (int)rng_range(&r, 20, 80)
		                                   : (int)rng_range(&r, 0, 40);
		a->diligence = (int)rng_range(&r, 300, 900);
		if (a->status != ST_EMPLOYED) {
			g->stats.agents_departed++;
			if (g->first_departed < 0)
				g->first_departed = i;
		}
	}
	return FSY_OK;
}

/* ---- writing ------------------------------------------------------------- */

static const char *const headers[FSY_IMPORT_NFILES] = {
	"agent_code,name,branch_code,branch_name,team_code,team_name,role,"
	"channel,status,hired_on,left_on,performance\n",
	"customer_no,name,gender,birth_date,id_number,phone,address,"
	"occupation,income\n",
	"customer_no,relation,name,gender,birth_date,occupation,health_notes\n",
	"policy_no,customer_no,external,insurer,product,product_type,is_main,"
	"insured_name,pay_mode,modal_premium,payment_years,issue_date,"
	"next_due_date,end_date,survival_date,status,status_date,sum_assured,"
	"account_value,annuity_converted,beneficiary,soliciting_agent_code\n",
	"customer_no,agent_code,happened_at,recorded_at,channel,topic,place,"
	"customer_said,next_step,policy_no\n",
};

static void
write_agents(gen_t *g)
{
	csvw_t *w = &g->w[FSY_IMPORT_AGENTS];
	char bname[64];

	snprintf(bname, sizeof(bname), "%s分公司", g->city->shortname);
	for (int i = 0; i < g->nagents; i++) {
		const gagent_t *a = &g->agents[i];
		w_text(w, a->code);
		w_text(w, a->name);
		w_text(w, g->o->branch);
		w_text(w, bname);
		w_text(w, g->teams[a->team].code);
		w_text(w, g->teams[a->team].name);
		w_text(w, role_names[a->role]);
		w_text(w, channel_names[a->channel]);
		w_text(w, status_names[a->status]);
		w_date(w, a->hired);
		w_date(w, a->left);
		w_int(w, a->perf);
		w_end(w);
	}
}

static void
write_household(gen_t *g, const household_t *h)
{
	csvw_t *w;

	w = &g->w[FSY_IMPORT_CUSTOMERS];
	w_text(w, h->no);
	w_text(w, h->name);
	w_text(w, h->gender == 'M' ? "M" : "F");
	w_date(w, h->birth);
	w_text(w, h->idno);
	w_text(w, h->phone);
	w_text(w, h->addr);
	w_text(w, h->occ);
	w_int(w, h->income);
	w_end(w);

	w = &g->w[FSY_IMPORT_PERSONS];
	for (int i = 0; i < h->npers; i++) {
		const gperson_t *p = &h->pers[i];
		w_text(w, h->no);
		w_text(w, rel_names[p->rel]);
		w_text(w, p->name);
		w_text(w, p->gender == 'M' ? "M" : "F");
		w_date(w, p->birth);
		w_text(w, p->occ);
		w_text(w, p->health);
		w_end(w);
	}

	w = &g->w[FSY_IMPORT_POLICIES];
	for (int i = 0; i < h->npol; i++) {
		const gpolicy_t *p = &h->pol[i];
		w_text(w, p->no);
		w_text(w, h->no);
		w_int(w, p->ext);
		w_text(w, p->ext ? p->insurer : "");
		w_text(w, p->p->name);
		w_text(w, gen_ptype_names[p->p->type]);
		w_int(w, p->is_main);
		w_text(w, insured_name(h, p->insured));
		w_text(w, pm_names[p->pm]);
		w_money(w, p->modal_fen);
		w_int(w, p->years);
		w_date(w, p->issue);
		w_date(w, p->next_due);
		w_date(w, p->end);
		w_date(w, p->survival);
		w_text(w, ps_names[p->status]);
		w_date(w, p->status_date);
		w_money(w, p->sa_fen);
		w_money(w, p->av_fen);
		w_int(w, p->converted);
		w_text(w, p->benef);
		if (p->agent >= 0)
			w_text(w, g->agents[p->agent].code);
		else
			w_empty(w);
		w_end(w);
	}

	w = &g->w[FSY_IMPORT_VISITS];
	for (int i = 0; i < h->nvis; i++) {
		const gvisit_t *v = &h->vis[i];
		rng_t r;
		const char *said, *place = "";

		/* the words follow from the visit itself */
		rng_seed(&r, (uint64_t)v->at, (uint64_t)v->seq + 1);
		said = gen_said[v->topic][rng_below(&r, 6)];
		if (said == NULL)
			said = "";
		if (v->channel == CH_VISIT)
			place = gen_places_visit[rng_below(&r,
			    (uint64_t)NELEM(gen_places_visit))];
		else if (v->channel == CH_EVENT)
			place = gen_places_event[rng_below(&r,
			    (uint64_t)NELEM(gen_places_event))];
		w_text(w, h->no);
		w_text(w, g->agents[v->agent].code);
		w_time(w, v->at);
		w_time(w, v->at + v->delay);
		w_text(w, gen_channel_names[v->channel]);
		w_text(w, gen_topic_names[v->topic]);
		w_text(w, place);
		w_text(w, said);
		w_text(w, gen_next_steps[rng_below(&r,
		    (uint64_t)NELEM(gen_next_steps))]);
		if (v->pol >= 0)
			w_text(w, h->pol[v->pol].no);
		else
			w_empty(w);
		w_end(w);
	}
}

/* Agents of one household: who sold, who serves after they left. */
static void
assign_agents(gen_t *g, household_t *h, rng_t *r, int64_t idx)
{
	if (idx == 0 && g->first_departed >= 0) {
		/* a pure service-order customer, always */
		h->primary = g->first_departed;
		h->secondary = -1;
	} else if (idx == 1) {
		/* a non-pure one: sold by a team lead, who never leaves */
		h->primary = g->sellers[0];
		h->secondary = -1;
	} else {
		h->primary = g->sellers[rng_below(r, (uint64_t)g->nsellers)];
		h->secondary = -1;
		if (g->nsellers > 1 && chance(r, 200)) {
			do
				h->secondary =
				    g->sellers[rng_below(r, (uint64_t)g->nsellers)];
			while (h->secondary == h->primary);
		}
	}
	h->successor = -1;
	h->succ_from = 0;
	const gagent_t *a = &g->agents[h->primary];
	if (a->left != GEN_NODATE) {
		h->succ_from = a->left + rng_range(r, 5, 60);
		if (h->secondary >= 0 &&
		    g->agents[h->secondary].status == ST_EMPLOYED)
			h->successor = h->secondary;
		else if (g->nstaff && chance(r, 700))
			h->successor = g->staff[rng_below(r, (uint64_t)g->nstaff)];
		if (h->succ_from > g->o->as_of)
			h->successor = -1;
	}
}

static void
tally(gen_t *g, const household_t *h)
{
	int employed = 0;

	for (int i = 0; i < h->npol; i++) {
		const gpolicy_t *p = &h->pol[i];
		if (p->ext)
			continue;
		if (g->agents[p->agent].status == ST_EMPLOYED)
			employed = 1;
		if (p->status == PS_LAPSED)
			g->stats.lapsed++;
	}
	if (employed)
		g->stats.nonpure++;
	else
		g->stats.pure++;
}

static int
open_writers(gen_t *g, const char *dir, char *err, size_t errlen)
{
	for (int f = 0; f < FSY_IMPORT_NFILES; f++) {
		csvw_t *w = &g->w[f];
		snprintf(w->path, sizeof(w->path), "%s/%s", dir,
		    fsy_import_file_name(f));
		snprintf(w->tmp, sizeof(w->tmp), "%s/%s.tmp", dir,
		    fsy_import_file_name(f));
		w->buf = malloc(W_BUFSZ);
		if (w->buf == NULL)
			return FSY_ENOMEM;
		w->f = fopen(w->tmp, "wb");
		if (w->f == NULL) {
			int e = errno;
			snprintf(err, errlen, "%s: %s", w->tmp, strerror(e));
			return fsy_err_from_errno(e);
		}
		w_raw(w, headers[f], strlen(headers[f]));
	}
	return FSY_OK;
}

/* Flushes and closes every writer; on success renames the files into
 * place, else removes them. */
static int
close_writers(gen_t *g, int ok, char *err, size_t errlen)
{
	int rv = FSY_OK;

	for (int f = 0; f < FSY_IMPORT_NFILES; f++) {
		csvw_t *w = &g->w[f];
		if (w->f == NULL)
			continue;
		w_flush(w);
		if (fclose(w->f) != 0 && !w->err)
			w->err = errno ? errno : EIO;
		w->f = NULL;
		if (w->err && rv == FSY_OK) {
			snprintf(err, errlen, "%s: %s", w->tmp, strerror(w->err));
			rv = fsy_err_from_errno(w->err);
		}
	}
	for (int f = 0; f < FSY_IMPORT_NFILES; f++) {
		csvw_t *w = &g->w[f];
		if (w->tmp[0] == '\0')
			continue;
		if (ok && rv == FSY_OK) {
			if (rename(w->tmp, w->path) != 0) {
				int e = errno;
				snprintf(err, errlen, "%s: %s", w->path,
				    strerror(e));
				rv = fsy_err_from_errno(e);
			}
		} else {
			(void)unlink(w->tmp);
		}
	}
	return rv;
}

/* ---- public -------------------------------------------------------------- */

void
fsy_gen_opts_init(fsy_gen_opts_t *o)
{
	memset(o, 0, sizeof(*o));
	o->seed = 1;
	o->customers = 1000;
	snprintf(o->branch, sizeof(o->branch), "BJ01");
	o->as_of = fsy_now_ms() / 1000 / DAY;
}

int
fsy_gen_opts_check(fsy_gen_opts_t *o, char *err, size_t errlen)
{
	size_t n = strlen(o->branch);
	int nsales, maxteams;

	if (o->customers < FSY_GEN_MIN_CUSTOMERS ||
	    o->customers > FSY_GEN_MAX_CUSTOMERS) {
		snprintf(err, errlen, "--customers %lld: must be %d..%d",
		    (long long)o->customers, FSY_GEN_MIN_CUSTOMERS,
		    FSY_GEN_MAX_CUSTOMERS);
		return FSY_ERANGE;
	}
	if (n < 2 || n > FSY_GEN_BRANCH_MAX || o->branch[0] < 'A' ||
	    o->branch[0] > 'Z') {
		snprintf(err, errlen, "--branch '%s': 2..%d upper-case letters "
		    "and digits, starting with a letter", o->branch,
		    FSY_GEN_BRANCH_MAX);
		return FSY_EINVAL;
	}
	for (size_t i = 0; i < n; i++)
		if (!((o->branch[i] >= 'A' && o->branch[i] <= 'Z') ||
		        (o->branch[i] >= '0' && o->branch[i] <= '9'))) {
			snprintf(err, errlen, "--branch '%s': 2..%d upper-case "
			    "letters and digits, starting with a letter",
			    o->branch, FSY_GEN_BRANCH_MAX);
			return FSY_EINVAL;
		}
	/* 1990-01-01 .. 2100-12-31: birth dates reach 75 years back */
	if (o->as_of < 7305 || o->as_of > 47482) {
		snprintf(err, errlen, "--as-of: must be 1990-01-01..2099-12-31");
		return FSY_ERANGE;
	}
	if (o->agents == 0) {
		int64_t a = o->customers / 120;
		o->agents = (int)(a < FSY_GEN_MIN_AGENTS ? FSY_GEN_MIN_AGENTS
		                : a > 20000 ? 20000 : a);
	}
	if (o->agents < FSY_GEN_MIN_AGENTS || o->agents > FSY_GEN_MAX_AGENTS) {
		snprintf(err, errlen, "--agents %d: must be %d..%d", o->agents,
		    FSY_GEN_MIN_AGENTS, FSY_GEN_MAX_AGENTS);
		return FSY_ERANGE;
	}
	if (o->agents > o->customers) {
		snprintf(err, errlen, "--agents %d: more agents than customers "
		    "(%lld)", o->agents, (long long)o->customers);
		return FSY_ERANGE;
	}
	/* the roster of make_roster(): service, renewal and admin staff */
	nsales = o->agents - (o->agents >= 8 ? (o->agents * 5 / 100 > 1
	                                               ? o->agents * 5 / 100 : 1) +
	                                           (o->agents * 3 / 100 > 1
	                                               ? o->agents * 3 / 100 : 1)
	                                     : 1) - (o->agents >= 50);
	maxteams = nsales / 2;
	if (o->teams == 0)
		o->teams = nsales / 10 > 1 ? nsales / 10 : 1;
	if (o->teams < 1 || o->teams > maxteams) {
		snprintf(err, errlen, "--teams %d: must be 1..%d for %d agents "
		    "(%d of them sell; a team is a lead and at least one agent)",
		    o->teams, maxteams, o->agents, nsales);
		return FSY_ERANGE;
	}
	return FSY_OK;
}

int
fsy_gen_write(const fsy_gen_opts_t *o, const char *dir,
    fsy_gen_stats_t *stats, char *err, size_t errlen)
{
	gen_t *g = NULL;
	int rv = FSY_OK, ok = 0;
	char dummy[8];

	if (err == NULL || errlen == 0) {
		err = dummy;
		errlen = sizeof(dummy);
	}
	err[0] = '\0';
	if (o->agents < FSY_GEN_MIN_AGENTS || o->teams < 1 ||
	    o->customers < FSY_GEN_MIN_CUSTOMERS ||
	    o->customers > FSY_GEN_MAX_CUSTOMERS) {
		snprintf(err, errlen, "options not checked");
		return FSY_EINVAL;
	}
	if (mkdir(dir, 0777) != 0 && errno != EEXIST) {
		int e = errno;
		snprintf(err, errlen, "%s: %s", dir, strerror(e));
		return fsy_err_from_errno(e);
	}
	if ((g = calloc(1, sizeof(*g))) == NULL ||
	    (g->h = malloc(sizeof(*g->h))) == NULL) {
		rv = FSY_ENOMEM;
		goto out;
	}
	g->o = o;
	g->city = NULL;
	for (int i = 0; i < NELEM(gen_cities); i++)
		if (strncmp(o->branch, gen_cities[i].prefix, 2) == 0)
			g->city = &gen_cities[i];
	if (g->city == NULL) { /* an unknown code still picks a city, stably */
		uint64_t hsh = 1469598103934665603ULL;
		for (const char *p = o->branch; *p; p++)
			hsh = (hsh ^ (uint8_t)*p) * 1099511628211ULL;
		g->city = &gen_cities[hsh % (uint64_t)NELEM(gen_cities)];
	}
	if ((rv = wtab_init(&g->surnames, NELEM(gen_surnames), w_surname)) ||
	    (rv = wtab_init(&g->occupations, NELEM(gen_occupations),
	         w_occupation)) ||
	    (rv = wtab_init(&g->products, NELEM(gen_products), w_product)) ||
	    (rv = wtab_init(&g->riders, NELEM(gen_riders), w_rider)) ||
	    (rv = wtab_init(&g->ext_products, NELEM(gen_ext_products),
	         w_ext_product)) ||
	    (rv = wtab_init(&g->insurers, NELEM(gen_insurers), w_insurer)))
		goto out;
	if ((rv = make_roster(g)) != FSY_OK)
		goto out;
	if ((rv = open_writers(g, dir, err, errlen)) != FSY_OK)
		goto out;
	write_agents(g);
	for (int64_t i = 0; i < o->customers; i++) {
		household_t *h = g->h;
		rng_t r;

		rng_seed(&r, o->seed, (uint64_t)i + 1);
		assign_agents(g, h, &r, i);
		make_people(g, h, &r, i);
		make_policies(g, h, &r, i);
		make_visits(g, h, &r);
		tally(g, h);
		write_household(g, h);
		if (g->w[FSY_IMPORT_VISITS].err)
			break;
	}
	ok = 1;
out:
	if (g) {
		int crv = close_writers(g, ok && rv == FSY_OK, err, errlen);
		if (rv == FSY_OK)
			rv = crv;
		if (rv == FSY_OK && stats) {
			*stats = g->stats;
			for (int f = 0; f < FSY_IMPORT_NFILES; f++)
				stats->rows[f] = g->w[f].rows;
		}
		for (int f = 0; f < FSY_IMPORT_NFILES; f++)
			free(g->w[f].buf);
		free(g->surnames.cum);
		free(g->occupations.cum);
		free(g->products.cum);
		free(g->riders.cum);
		free(g->ext_products.cum);
		free(g->insurers.cum);
		free(g->agents);
		free(g->teams);
		free(g->sellers);
		free(g->staff);
		free(g->h);
		free(g);
	}
	if (rv != FSY_OK && err[0] == '\0')
		snprintf(err, errlen, "%s", fsy_strerror(rv));
	return rv;
}
