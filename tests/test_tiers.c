/* test_tiers.c — tier schemes: the shipped star and VIP rules, a third
 * scheme from a new file, malformed files, the store adapter and the hub
 * update. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "testutil.h"
#include "tiers.h"

#define Y(x) ((int64_t)(x) * 100) /* yuan → fen */
#define AS_OF "2025-06-01"

static fsy_tiers_t *shipped;
static const fsy_tier_scheme_t *star, *vip;

/* ---- helpers ------------------------------------------------------------- */

/* A main, own, annual-premium policy; money in fen. */
static fsy_tier_policy_t
pol(const char *type, const char *mode, int64_t annual_fen, int years,
    const char *issue, const char *status)
{
	fsy_tier_policy_t p;

	memset(&p, 0, sizeof(p));
	snprintf(p.product_type, sizeof(p.product_type), "%s", type);
	snprintf(p.pay_mode, sizeof(p.pay_mode), "%s", mode);
	p.annual_premium_fen = annual_fen;
	p.modal_premium_fen = FSY_TIER_UNSET;
	p.payment_years = years;
	snprintf(p.issue_date, sizeof(p.issue_date), "%s", issue);
	snprintf(p.status, sizeof(p.status), "%s", status);
	p.account_value_fen = FSY_TIER_UNSET;
	p.is_main = 1;
	return p;
}

/* The contribution of one policy on AS_OF; checks *how. */
static int64_t
pts(const fsy_tier_scheme_t *s, const fsy_tier_policy_t *p, int want_how)
{
	int64_t fen = -7;
	int how = -7;

	assert_int_equal(fsy_tier_policy_points(s, p, AS_OF, &fen, &how), FSY_OK);
	assert_int_equal(how, want_how);
	return fen;
}

/* Evaluates one policy and returns the result. */
static fsy_tier_result_t
eval1(const fsy_tier_scheme_t *s, const fsy_tier_policy_t *p)
{
	fsy_tier_result_t r;

	assert_int_equal(fsy_tier_eval(s, p, 1, AS_OF, &r), FSY_OK);
	return r;
}

static int
has_benefit(const fsy_tier_result_t *r, const char *prefix)
{
	for (int i = 0; i < r->nbenefits; i++)
		if (strncmp(r->benefits[i], prefix, strlen(prefix)) == 0)
			return 1;
	return 0;
}

static void
write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
}

static int
group_setup(void **state)
{
	char err[512] = "";
	int rc = fsy_tiers_load_dir(FSY_SOURCE_DIR "/schema/tiers", &shipped,
	    err, sizeof(err));

	(void)state;
	if (rc != FSY_OK) {
		fprintf(stderr, "load shipped schemes: %s\n", err);
		return -1;
	}
	star = fsy_tiers_find(shipped, "star");
	vip = fsy_tiers_find(shipped, "vip");
	return star && vip ? 0 : -1;
}

static int
group_teardown(void **state)
{
	(void)state;
	fsy_tiers_free(shipped);
	tu_cleanup();
	return 0;
}

/* ---- the shipped files --------------------------------------------------- */

static void
test_shipped_files(void **state)
{
	(void)state;
	assert_int_equal(fsy_tiers_count(shipped), 2);
	assert_string_equal(fsy_tier_scheme_id(fsy_tiers_at(shipped, 0)), "star");
	assert_string_equal(fsy_tier_scheme_id(fsy_tiers_at(shipped, 1)), "vip");
	assert_null(fsy_tiers_at(shipped, 2));
	assert_null(fsy_tiers_find(shipped, "nope"));
	assert_string_equal(fsy_tier_scheme_level_column(star), "star_level");
	assert_string_equal(fsy_tier_scheme_score_column(star), "star_score_fen");
	assert_string_equal(fsy_tier_scheme_level_column(vip), "vip_tier");
	assert_string_equal(fsy_tier_scheme_score_column(vip), "vip_points_fen");

	static const int64_t star_min[] = {1, Y(30000), Y(50000), Y(100000),
		Y(300000), Y(500000), Y(1000000)};
	assert_int_equal(fsy_tier_scheme_nlevels(star), 7);
	for (int i = 0; i < 7; i++) {
		char name[16];
		snprintf(name, sizeof(name), "%d★", i + 1);
		assert_string_equal(fsy_tier_level_name(star, i), name);
		assert_int_equal(fsy_tier_level_min(star, i), star_min[i]);
	}
	assert_null(fsy_tier_level_name(star, 7));
	assert_int_equal(fsy_tier_level_min(star, -1), -1);

	assert_int_equal(fsy_tier_scheme_nlevels(vip), 3);
	assert_string_equal(fsy_tier_level_code(vip, 0), "gold");
	assert_string_equal(fsy_tier_level_code(vip, 1), "platinum");
	assert_string_equal(fsy_tier_level_code(vip, 2), "diamond");
	assert_int_equal(fsy_tier_level_min(vip, 0), Y(30000));
	assert_int_equal(fsy_tier_level_min(vip, 1), Y(70000));
	assert_int_equal(fsy_tier_level_min(vip, 2), Y(250000));
}

static void
test_default_dir(void **state)
{
	char buf[1024];
	fsy_tiers_t *t = NULL;
	char err[256];
	const char *old = getenv("FSY_DATADIR");
	char saved[1024] = "";

	(void)state;
	if (old)
		snprintf(saved, sizeof(saved), "%s", old);
	assert_int_equal(setenv("FSY_DATADIR", "/some/where", 1), 0);
	assert_int_equal(fsy_tiers_default_dir(buf, sizeof(buf)), FSY_OK);
	assert_string_equal(buf, "/some/where/tiers");
	assert_int_equal(fsy_tiers_default_dir(buf, 5), FSY_ETOOBIG);
	assert_int_equal(fsy_tiers_load_dir(NULL, &t, err, sizeof(err)), FSY_ENOTFOUND);
	assert_non_null(strstr(err, "/some/where/tiers"));
	assert_int_equal(unsetenv("FSY_DATADIR"), 0);
	assert_int_equal(fsy_tiers_default_dir(buf, sizeof(buf)), FSY_OK);
	assert_string_equal(buf, FSY_SOURCE_DIR "/schema/tiers");
	assert_int_equal(fsy_tiers_load_dir(NULL, &t, err, sizeof(err)), FSY_OK);
	assert_int_equal(fsy_tiers_count(t), 2);
	fsy_tiers_free(t);
	if (saved[0])
		setenv("FSY_DATADIR", saved, 1);
}

/* ---- star levels (seed 000) ---------------------------------------------- */

static void
test_star_product_coefficients(void **state)
{
	static const struct {
		const char *type;
		int64_t want; /* yuan, from 10,000 × coefficient × 1 */
	} cases[] = {
		{"accident", 20000}, {"health", 20000}, {"term_life", 20000},
		{"critical_illness", 20000},
		{"investment_linked", 0}, {"universal", 0},
		{"whole_life", 10000}, {"endowment", 10000}, {"annuity", 10000},
		{"dividend", 10000}, {"traditional", 10000},
		{"pet_insurance", 10000}, {"", 10000},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		/* 20-year regular premium in policy year 2: term coefficient 1 */
		fsy_tier_policy_t p = pol(cases[i].type, "annual", Y(10000), 20,
		    "2024-01-10", "inforce");
		assert_int_equal(pts(star, &p, 1), Y(cases[i].want));
	}
}

static void
test_star_term_coefficients(void **state)
{
	static const struct {
		const char *mode;
		int years;
		const char *issue;
		int64_t want; /* yuan from 10,000 whole life */
	} cases[] = {
		/* within the payment period: X × 0.1, at most 1 */
		{"annual", 1, "2025-01-01", 1000},
		{"annual", 5, "2025-01-01", 5000},
		{"annual", 9, "2025-01-01", 9000},
		{"annual", 10, "2025-01-01", 10000},
		{"annual", 12, "2025-01-01", 10000},
		{"annual", 30, "1996-06-02", 10000}, /* year 29 of 30 */
		/* 5-year term: year 5 is its last paying year */
		{"annual", 5, "2020-06-02", 5000},
		/* year 6: first year after the payment period */
		{"annual", 5, "2020-06-01", 1000},
		/* a 10-year period that ended 3 years ago */
		{"annual", 10, "2012-06-01", 1000},
		/* ... that ended a day less than 5 years ago */
		{"annual", 10, "2010-06-02", 1000},
		/* ... exactly 5 years ago: later than 5 years after */
		{"annual", 10, "2010-06-01", 0},
		/* ... 6 years ago */
		{"annual", 10, "2009-06-01", 0},
		/* single premium: 0.1 in policy years 1-5, then 0 */
		{"single", 0, "2025-06-01", 1000},
		{"single", 0, "2021-06-02", 1000},
		{"single", 0, "2020-06-02", 1000}, /* last day of year 5 */
		{"single", 0, "2020-06-01", 0},    /* year 6 */
		{"single", 0, "2015-01-01", 0},
		/* payment_years 0 means single whatever the mode says */
		{"", 0, "2024-01-01", 1000},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		fsy_tier_policy_t p = pol("whole_life", cases[i].mode, Y(10000),
		    cases[i].years, cases[i].issue, "inforce");
		int64_t got = pts(star, &p, 1);
		if (got != Y(cases[i].want))
			fail_msg("case %zu: %s X=%d issued %s: got %lld fen, "
			    "want %lld yuan", i, cases[i].mode, cases[i].years,
			    cases[i].issue, (long long)got,
			    (long long)cases[i].want);
	}
}

static void
test_star_worked_example(void **state)
{
	fsy_tier_policy_t p[4];
	fsy_tier_result_t r;

	(void)state;
	/* health 20,000/yr, 20-year term, policy year 3 */
	p[0] = pol("health", "annual", Y(20000), 20, "2023-01-15", "inforce");
	/* annuity 50,000/yr, 5-year term, policy year 2 */
	p[1] = pol("annuity", "annual", Y(50000), 5, "2024-03-01", "inforce");
	/* universal, single premium 100,000 */
	p[2] = pol("universal", "single", Y(100000), 0, "2022-01-01", "inforce");
	p[2].account_value_fen = Y(104000);
	/* whole life, single premium 200,000, issued 2 years ago */
	p[3] = pol("whole_life", "single", Y(200000), 0, "2023-06-01", "inforce");

	assert_int_equal(pts(star, &p[0], 1), Y(40000));
	assert_int_equal(pts(star, &p[1], 1), Y(25000));
	assert_int_equal(pts(star, &p[2], 1), 0);
	assert_int_equal(pts(star, &p[3], 1), Y(20000));

	assert_int_equal(fsy_tier_eval(star, p, 4, AS_OF, &r), FSY_OK);
	assert_int_equal(r.score_fen, Y(85000));
	assert_int_equal(r.level, 2);
	assert_string_equal(r.level_name, "3★");
	assert_string_equal(r.level_code, "3");
	assert_int_equal(r.next, 3);
	assert_string_equal(r.next_name, "4★");
	assert_int_equal(r.gap_fen, Y(15000));
	assert_int_equal(r.ncounted, 4);
	assert_int_equal(r.nskipped, 0);
	assert_int_equal(r.nbenefits, 0);
	assert_int_equal(r.honour, 0);
	/* paid: 3 × 20,000 + 2 × 50,000 + 100,000 + 200,000 */
	assert_int_equal(r.paid_fen, Y(460000));
}

static void
test_star_thresholds(void **state)
{
	static const struct {
		int64_t min_yuan;
		const char *name;
		int nbenefits;
		const char *benefit; /* one that opens here */
	} lv[] = {
		{0, "1★", 0, NULL}, /* min is 1 fen, below */
		{30000, "2★", 0, NULL},
		{50000, "3★", 0, NULL},
		{100000, "4★", 4, "airport lounge"},
		{300000, "5★", 5, "airport transfer"},
		{500000, "6★", 7, "doctor home visit"},
		{1000000, "7★", 9, "surgery green channel"},
	};

	(void)state;
	for (int i = 0; i < 7; i++) {
		int64_t at = i == 0 ? 1 : Y(lv[i].min_yuan);
		/* whole life, 10-year, year 1: the score is the premium */
		fsy_tier_policy_t p = pol("whole_life", "annual", at, 10,
		    "2025-01-01", "inforce");
		fsy_tier_result_t r = eval1(star, &p);

		assert_int_equal(r.score_fen, at);
		assert_int_equal(r.level, i);
		assert_string_equal(r.level_name, lv[i].name);
		assert_int_equal(r.nbenefits, lv[i].nbenefits);
		if (lv[i].benefit) {
			assert_true(has_benefit(&r, lv[i].benefit));
			assert_true(has_benefit(&r, "airport lounge"));
		}
		if (i == 6) {
			assert_int_equal(r.next, -1);
			assert_null(r.next_name);
			assert_int_equal(r.gap_fen, 0);
			assert_true(has_benefit(&r, "VIP pass"));
			assert_true(has_benefit(&r, "high-end stays"));
		} else {
			assert_int_equal(r.next, i + 1);
			assert_int_equal(r.gap_fen, Y(lv[i + 1].min_yuan) - at);
		}
		/* one fen below */
		p.annual_premium_fen = at - 1;
		r = eval1(star, &p);
		assert_int_equal(r.score_fen, at - 1);
		assert_int_equal(r.level, i - 1);
		assert_int_equal(r.next, i);
		assert_string_equal(r.next_name, lv[i].name);
		assert_int_equal(r.gap_fen, 1);
		if (i > 0)
			assert_string_equal(r.level_name, lv[i - 1].name);
		else {
			assert_null(r.level_name);
			assert_null(r.level_code);
			assert_int_equal(r.nbenefits, 0);
		}
	}
	/* 5★ does not have 6★'s benefits */
	fsy_tier_policy_t p = pol("whole_life", "annual", Y(499999), 10,
	    "2025-01-01", "inforce");
	fsy_tier_result_t r = eval1(star, &p);
	assert_int_equal(r.level, 4);
	assert_false(has_benefit(&r, "doctor home visit"));
	assert_true(has_benefit(&r, "airport transfer"));
}

static void
test_star_honour(void **state)
{
	fsy_tier_policy_t p[2];
	fsy_tier_result_t r;

	(void)state;
	/* single premium of exactly 100,000,000: honour (score 0, universal) */
	p[0] = pol("universal", "single", Y(100000000), 0, "2024-01-01", "inforce");
	r = eval1(star, &p[0]);
	assert_int_equal(r.honour, 1);
	assert_int_equal(r.paid_fen, Y(100000000));
	assert_int_equal(r.score_fen, 0);
	assert_int_equal(r.level, -1);
	/* one fen below */
	p[0].annual_premium_fen = Y(100000000) - 1;
	r = eval1(star, &p[0]);
	assert_int_equal(r.honour, 0);
	assert_int_equal(r.paid_fen, Y(100000000) - 1);

	/* regular 25,000,000 × 10 years: 4 years begun = 100,000,000 */
	p[0] = pol("whole_life", "annual", Y(25000000), 10, "2022-01-01", "inforce");
	r = eval1(star, &p[0]);
	assert_int_equal(r.paid_fen, Y(100000000));
	assert_int_equal(r.honour, 1);
	/* 3 years begun */
	snprintf(p[0].issue_date, sizeof(p[0].issue_date), "2023-01-01");
	assert_int_equal(eval1(star, &p[0]).honour, 0);
	/* paid years stop at the payment years; matured still counts */
	p[0] = pol("endowment", "annual", Y(10000000), 10, "1990-01-01", "matured");
	r = eval1(star, &p[0]);
	assert_int_equal(r.paid_fen, Y(100000000));
	assert_int_equal(r.honour, 1);
	assert_int_equal(r.score_fen, 0); /* matured: not in force */
	/* a surrendered policy's premium does not count */
	p[0] = pol("whole_life", "single", Y(60000000), 0, "2024-01-01", "inforce");
	p[1] = pol("whole_life", "single", Y(60000000), 0, "2024-01-01", "surrendered");
	assert_int_equal(fsy_tier_eval(star, p, 2, AS_OF, &r), FSY_OK);
	assert_int_equal(r.paid_fen, Y(60000000));
	assert_int_equal(r.honour, 0);
	snprintf(p[1].status, sizeof(p[1].status), "grace");
	assert_int_equal(fsy_tier_eval(star, p, 2, AS_OF, &r), FSY_OK);
	assert_int_equal(r.honour, 1);
	/* VIP has no honour rule */
	assert_int_equal(eval1(vip, &p[0]).honour, -1);
	assert_int_equal(eval1(vip, &p[0]).paid_fen, 0);
}

static void
test_statuses_and_filters(void **state)
{
	static const struct {
		const char *status;
		int counted;
	} cases[] = {
		{"inforce", 1}, {"grace", 1}, {"lapsed", 0}, {"surrendered", 0},
		{"matured", 0}, {"paid_up", 0}, {"cancelled", 0},
		{"terminated", 0}, {"", 0}, {"INFORCE", 0},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		fsy_tier_policy_t p = pol("health", "annual", Y(20000), 20,
		    "2024-01-01", cases[i].status);
		assert_int_equal(pts(star, &p, cases[i].counted),
		    cases[i].counted ? Y(40000) : 0);
		assert_int_equal(pts(vip, &p, cases[i].counted),
		    cases[i].counted ? Y(20000) : 0);
	}
	/* lapsed and surrendered drop out of the sum */
	fsy_tier_policy_t p[3];
	fsy_tier_result_t r;
	p[0] = pol("health", "annual", Y(20000), 20, "2024-01-01", "inforce");
	p[1] = pol("health", "annual", Y(30000), 20, "2024-01-01", "lapsed");
	p[2] = pol("health", "annual", Y(40000), 20, "2024-01-01", "surrendered");
	assert_int_equal(fsy_tier_eval(star, p, 3, AS_OF, &r), FSY_OK);
	assert_int_equal(r.score_fen, Y(40000));
	assert_int_equal(r.ncounted, 1);

	/* another insurer's policy never counts */
	p[0].external = 1;
	assert_int_equal(pts(star, &p[0], 0), 0);
	assert_int_equal(pts(vip, &p[0], 0), 0);
	/* a rider counts for stars, not for VIP (main policy only) */
	p[0].external = 0;
	p[0].is_main = 0;
	assert_int_equal(pts(star, &p[0], 1), Y(40000));
	assert_int_equal(pts(vip, &p[0], 0), 0);
	/* not issued yet on the as-of date */
	p[0] = pol("health", "annual", Y(20000), 20, "2025-06-02", "inforce");
	assert_int_equal(pts(star, &p[0], 0), 0);
	/* no issue date: the term rules cannot be applied */
	p[0].issue_date[0] = '\0';
	assert_int_equal(pts(star, &p[0], -1), 0);
	snprintf(p[0].issue_date, sizeof(p[0].issue_date), "2025-13-01");
	assert_int_equal(pts(star, &p[0], -1), 0);
	/* regular premium with no payment years */
	p[0] = pol("health", "annual", Y(20000), FSY_TIER_UNSET, "2024-01-01",
	    "inforce");
	assert_int_equal(pts(star, &p[0], -1), 0);
	assert_int_equal(fsy_tier_eval(star, p, 1, AS_OF, &r), FSY_OK);
	assert_int_equal(r.nskipped, 1);
	assert_int_equal(r.ncounted, 0);
	/* a bad as-of date */
	assert_int_equal(fsy_tier_eval(star, p, 1, "2025-02-30", &r), FSY_EINVAL);
	assert_int_equal(fsy_tier_eval(star, p, 1, "yesterday", &r), FSY_EINVAL);
	/* no policies: no level, the gap is the first level's bound */
	assert_int_equal(fsy_tier_eval(star, NULL, 0, AS_OF, &r), FSY_OK);
	assert_int_equal(r.level, -1);
	assert_int_equal(r.gap_fen, 1);
	assert_int_equal(fsy_tier_eval(vip, NULL, 0, NULL, &r), FSY_OK);
	assert_int_equal(r.gap_fen, Y(30000));
	assert_string_equal(r.next_name, "Gold VIP (黄金VIP)");
}

static void
test_annualisation(void **state)
{
	static const struct {
		const char *mode;
		int64_t modal; /* yuan */
		int64_t annual; /* yuan, -1 missing */
		int how;
		int64_t want; /* star points, yuan */
	} cases[] = {
		{"monthly", 1000, -1, 1, 12000},
		{"quarter", 3000, -1, 1, 12000},
		{"half", 6000, -1, 1, 12000},
		{"annual", 12000, -1, 1, 12000},
		{"monthly", 1000, 11000, 1, 11000}, /* annual given: kept */
		{"monthly", -1, -1, -1, 0},         /* nothing to go on */
		{"weekly", 1000, -1, -1, 0},        /* unknown mode */
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		fsy_tier_policy_t p = pol("whole_life", cases[i].mode,
		    cases[i].annual < 0 ? FSY_TIER_UNSET : Y(cases[i].annual), 10,
		    "2025-01-01", "inforce");
		p.modal_premium_fen = cases[i].modal < 0 ? FSY_TIER_UNSET :
		    Y(cases[i].modal);
		/* 10-year regular, year 1: coefficient 1 for both schemes */
		assert_int_equal(pts(star, &p, cases[i].how), Y(cases[i].want));
		assert_int_equal(pts(vip, &p, cases[i].how), Y(cases[i].want));
	}
	/* a single premium's modal premium is the premium */
	fsy_tier_policy_t p = pol("whole_life", "single", FSY_TIER_UNSET, 0,
	    "2024-01-01", "inforce");
	p.modal_premium_fen = Y(50000);
	assert_int_equal(pts(star, &p, 1), Y(5000));
}

/* ---- VIP points (seed 004) ----------------------------------------------- */

static void
test_vip_points(void **state)
{
	static const struct {
		const char *type;
		const char *mode;
		int years;
		int64_t want; /* yuan from N = 50,000 */
	} cases[] = {
		{"dividend", "annual", 10, 50000},   /* X ≥ 10 → N */
		{"dividend", "annual", 20, 50000},
		{"dividend", "annual", 8, 40000},    /* X < 10 → N × X/10 */
		{"dividend", "annual", 1, 5000},
		{"traditional", "annual", 9, 45000},
		{"traditional", "annual", 10, 50000},
		{"whole_life", "annual", 3, 15000},
		{"health", "annual", 15, 50000},
		{"dividend", "single", 0, 5000},     /* single: X = 1 */
		{"traditional", "single", 0, 5000},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		fsy_tier_policy_t p = pol(cases[i].type, cases[i].mode, Y(50000),
		    cases[i].years, "2020-01-01", "inforce");
		assert_int_equal(pts(vip, &p, 1), Y(cases[i].want));
	}
	/* VIP does not fade after the payment period or policy year 5 */
	fsy_tier_policy_t p = pol("dividend", "annual", Y(50000), 10,
	    "1990-01-01", "inforce");
	assert_int_equal(pts(vip, &p, 1), Y(50000));
	p = pol("dividend", "single", Y(50000), 0, "1990-01-01", "inforce");
	assert_int_equal(pts(vip, &p, 1), Y(5000));

	/* universal: 0.08 × account value, whatever the premium */
	p = pol("universal", "annual", Y(50000), 10, "2020-01-01", "inforce");
	p.account_value_fen = Y(1000000);
	assert_int_equal(pts(vip, &p, 1), Y(80000));
	p.account_value_fen = 1234567; /* 0.08 × 12,345.67 = 987.6536 */
	assert_int_equal(pts(vip, &p, 1), 98765);
	p.account_value_fen = FSY_TIER_UNSET;
	assert_int_equal(pts(vip, &p, -1), 0);
	p = pol("investment_linked", "single", Y(100000), 0, "2020-01-01", "inforce");
	p.account_value_fen = Y(200000);
	assert_int_equal(pts(vip, &p, 1), Y(16000));

	/* annuities and annuity-converted premium are not counted */
	p = pol("annuity", "annual", Y(50000), 10, "2020-01-01", "inforce");
	assert_int_equal(pts(vip, &p, 0), 0);
	assert_int_equal(pts(star, &p, 1), Y(50000)); /* stars count them */
	p = pol("dividend", "annual", Y(50000), 10, "2020-01-01", "inforce");
	p.annuity_converted = 1;
	assert_int_equal(pts(vip, &p, 0), 0);

	/* status starts after the 15-day cooling-off period */
	p = pol("dividend", "annual", Y(50000), 10, "2025-05-18", "inforce");
	assert_int_equal(pts(vip, &p, 0), 0);  /* 14 days */
	assert_int_equal(pts(star, &p, 1), Y(50000));
	snprintf(p.issue_date, sizeof(p.issue_date), "2025-05-17");
	assert_int_equal(pts(vip, &p, 1), Y(50000)); /* 15 days */
	p.issue_date[0] = '\0';
	assert_int_equal(pts(vip, &p, -1), 0);
}

static void
test_vip_thresholds(void **state)
{
	static const struct {
		int64_t min_yuan;
		const char *code;
		int nbenefits;
		const char *benefit;
	} lv[] = {
		{30000, "gold", 10, "green channel"},
		{70000, "platinum", 13, "airport VIP service"},
		{250000, "diamond", 16, "health check-up"},
	};

	(void)state;
	for (int i = 0; i < 3; i++) {
		fsy_tier_policy_t p = pol("dividend", "annual", Y(lv[i].min_yuan),
		    10, "2020-01-01", "inforce");
		fsy_tier_result_t r = eval1(vip, &p);

		assert_int_equal(r.score_fen, Y(lv[i].min_yuan));
		assert_int_equal(r.level, i);
		assert_string_equal(r.level_code, lv[i].code);
		assert_int_equal(r.nbenefits, lv[i].nbenefits);
		assert_true(has_benefit(&r, lv[i].benefit));
		assert_true(has_benefit(&r, "expert health hotline"));
		assert_int_equal(r.gap_fen, i == 2 ? 0 :
		    Y(lv[i + 1].min_yuan - lv[i].min_yuan));
		p.annual_premium_fen--;
		r = eval1(vip, &p);
		assert_int_equal(r.level, i - 1);
		assert_int_equal(r.gap_fen, 1);
		if (i == 0)
			assert_null(r.level_code);
		else
			assert_false(has_benefit(&r, lv[i].benefit));
	}
	/* the same total from several main policies */
	fsy_tier_policy_t p[3];
	fsy_tier_result_t r;
	p[0] = pol("dividend", "annual", Y(20000), 10, "2020-01-01", "inforce");
	p[1] = pol("traditional", "single", Y(80000), 0, "2020-01-01", "inforce");
	p[2] = pol("universal", "annual", Y(1000), 20, "2020-01-01", "inforce");
	p[2].account_value_fen = Y(25000);
	assert_int_equal(fsy_tier_eval(vip, p, 3, AS_OF, &r), FSY_OK);
	assert_int_equal(r.score_fen, Y(20000 + 8000 + 2000));
	assert_string_equal(r.level_code, "gold");
	assert_string_equal(r.next_name, "Platinum VIP (铂金VIP)");
	assert_int_equal(r.gap_fen, Y(40000));
}

/* ---- a third scheme, from a new file ------------------------------------- */

static const char third_ini[] =
    "; a made-up insurer: care points\n"
    "[scheme]\n"
    "id = care\n"
    "name = Care points\n"
    "statuses = inforce\n"
    "cooling_off_days = 10\n"
    "benefits_inherit = no\n"
    "\n"
    "[class.ci]\n"
    "products = critical_illness\n"
    "coef = 3\n"
    "[class.pension]\n"
    "products = annuity\n"
    "coef = 0.5\n"
    "[class.account]\n"
    "products = universal\n"
    "base = account_value\n"
    "coef = 0.05\n"
    "[class.thirds]\n"
    "products = endowment\n"
    "coef = 0.333333\n"
    "[class.rest]\n"
    "products = *\n"
    "coef = 1\n"
    "\n"
    "[term.account]\n"
    "classes = account\n"
    "coef = 1\n"
    "[term.single]\n"
    "pay = single\n"
    "policy_year_max = 3\n"
    "coef = 0.3\n"
    "[term.long]\n"
    "pay = regular\n"
    "phase = paying\n"
    "payment_years_min = 20\n"
    "coef = 1.5\n"
    "[term.paying]\n"
    "pay = regular\n"
    "phase = paying\n"
    "per_year = 0.05\n"
    "cap = 0.8\n"
    "[term.tail]\n"
    "pay = regular\n"
    "phase = after\n"
    "after_year_min = 2\n"
    "after_year_max = 3\n"
    "coef = 0.2\n"
    "\n"
    "[level.bronze]\n"
    "name = Bronze\n"
    "min_yuan = 1_000\n"
    "benefits = newsletter\n"
    "[level.silver]\n"
    "name = Silver\n"
    "min_yuan = 10_000.50\n"
    "benefits = hotline\n"
    "[level.gold]\n"
    "name = Gold\n"
    "min_yuan = 50_000\n"
    "benefits = hotline, check-up\n";

static void
test_third_scheme(void **state)
{
	char dir[600], path[700], err[512] = "";
	fsy_tiers_t *t = NULL;
	const fsy_tier_scheme_t *care;
	fsy_tier_policy_t p[3];
	fsy_tier_result_t r;

	(void)state;
	snprintf(dir, sizeof(dir), "%s/third", tu_tmpdir());
	assert_int_equal(mkdir(dir, 0700), 0);
	snprintf(path, sizeof(path), "%s/care.ini", dir);
	write_file(path, third_ini);
	snprintf(path, sizeof(path), "%s/notes.txt", dir);
	write_file(path, "not a scheme\n");
	assert_int_equal(fsy_tiers_load_dir(dir, &t, err, sizeof(err)), FSY_OK);
	assert_int_equal(fsy_tiers_count(t), 1);
	care = fsy_tiers_find(t, "care");
	assert_non_null(care);
	assert_string_equal(fsy_tier_scheme_name(care), "Care points");
	assert_null(fsy_tier_scheme_level_column(care));
	assert_null(fsy_tier_scheme_score_column(care));
	assert_int_equal(fsy_tier_level_min(care, 1), Y(10000) + 50);

	/* critical illness 10,000, 25-year, paying: 3 × 1.5 */
	p[0] = pol("critical_illness", "annual", Y(10000), 25, "2020-01-01", "inforce");
	assert_int_equal(pts(care, &p[0], 1), Y(45000));
	/* 10-year: 0.05 × 10 = 0.5 */
	p[0].payment_years = 10;
	assert_int_equal(pts(care, &p[0], 1), Y(15000));
	/* 20-year: the cap 0.8 never applies; the long rule wins first */
	p[0].payment_years = 20;
	assert_int_equal(pts(care, &p[0], 1), Y(45000));
	/* 19-year: 0.95 capped at 0.8 */
	p[0].payment_years = 19;
	assert_int_equal(pts(care, &p[0], 1), Y(24000));
	/* after the payment period: year 1 after → no rule → 0; years 2-3
	 * after → 0.2; year 4 after → 0 */
	static const struct {
		const char *issue;
		int64_t want; /* yuan */
	} tail[] = {
		{"2022-06-02", 1500}, /* policy year 3 of 3: 0.05 × 3 */
		{"2022-06-01", 0},    /* year 4: 1st after, no rule */
		{"2021-06-01", 2000}, /* year 5: 2nd after, 0.2 */
		{"2020-06-01", 2000}, /* year 6: 3rd after */
		{"2019-06-01", 0},    /* year 7: 4th after */
	};
	for (size_t i = 0; i < sizeof(tail) / sizeof(tail[0]); i++) {
		p[0] = pol("whole_life", "annual", Y(10000), 3, tail[i].issue,
		    "inforce");
		assert_int_equal(pts(care, &p[0], 1), Y(tail[i].want));
	}
	/* single: 0.3 for 3 policy years */
	p[0] = pol("annuity", "single", Y(100000), 0, "2022-06-02", "inforce");
	assert_int_equal(pts(care, &p[0], 1), Y(15000)); /* 0.5 × 0.3 */
	snprintf(p[0].issue_date, sizeof(p[0].issue_date), "2022-06-01");
	assert_int_equal(pts(care, &p[0], 1), 0);
	/* account value, 0.05 */
	p[0] = pol("universal", "annual", Y(1000), 10, "2020-01-01", "inforce");
	p[0].account_value_fen = Y(300000);
	assert_int_equal(pts(care, &p[0], 1), Y(15000));
	/* 6-decimal coefficient, rounded down per policy:
	 * 100.00 × 0.333333 × 1.5 = 49.99995 → 49.99 */
	p[0] = pol("endowment", "annual", Y(100), 20, "2024-01-01", "inforce");
	assert_int_equal(pts(care, &p[0], 1), 4999);
	/* grace does not count here; cooling-off is 10 days */
	p[0] = pol("health", "annual", Y(10000), 10, "2020-01-01", "grace");
	assert_int_equal(pts(care, &p[0], 0), 0);
	p[0] = pol("health", "annual", Y(10000), 10, "2025-05-23", "inforce");
	assert_int_equal(pts(care, &p[0], 0), 0);
	snprintf(p[0].issue_date, sizeof(p[0].issue_date), "2025-05-22");
	assert_int_equal(pts(care, &p[0], 1), Y(5000));

	/* levels: bound 10,000.50 inclusive; benefits not inherited */
	p[0] = pol("health", "annual", Y(10000) + 50, 20, "2024-01-01", "inforce");
	r = eval1(care, &p[0]);
	assert_int_equal(r.score_fen, Y(15000) + 75);
	assert_string_equal(r.level_name, "Silver");
	assert_int_equal(r.nbenefits, 1);
	assert_string_equal(r.benefits[0], "hotline");
	assert_int_equal(r.honour, -1);
	p[0] = pol("health", "annual", Y(10000) + 50, 10, "2024-01-01", "inforce");
	p[1] = pol("health", "annual", Y(10000) + 50, 10, "2024-01-01", "inforce");
	p[2] = pol("health", "annual", 1, 10, "2024-01-01", "inforce");
	assert_int_equal(fsy_tier_eval(care, p, 2, AS_OF, &r), FSY_OK);
	assert_int_equal(r.score_fen, Y(10000) + 50);
	assert_string_equal(r.level_code, "silver");
	assert_int_equal(fsy_tier_eval(care, p, 1, AS_OF, &r), FSY_OK);
	assert_int_equal(r.score_fen, Y(5000) + 25);
	assert_string_equal(r.level_code, "bronze");
	assert_int_equal(r.gap_fen, Y(5000) + 25);
	/* 0.5 × 1 fen rounds down to 0 */
	assert_int_equal(pts(care, &p[2], 1), 0);
	fsy_tiers_free(t);

	/* alongside the shipped files, in one directory */
	snprintf(dir, sizeof(dir), "%s/all", tu_tmpdir());
	assert_int_equal(mkdir(dir, 0700), 0);
	snprintf(path, sizeof(path), "%s/care.ini", dir);
	write_file(path, third_ini);
	for (int i = 0; i < 2; i++) {
		char src[600], *text = malloc(FSY_TIER_MAX_FILE);
		FILE *f;
		size_t n;
		snprintf(src, sizeof(src), "%s/schema/tiers/%s.ini",
		    FSY_SOURCE_DIR, i ? "vip" : "star");
		assert_non_null(text);
		f = fopen(src, "r");
		assert_non_null(f);
		n = fread(text, 1, FSY_TIER_MAX_FILE - 1, f);
		fclose(f);
		text[n] = '\0';
		snprintf(path, sizeof(path), "%s/%s.ini", dir, i ? "vip" : "star");
		write_file(path, text);
		free(text);
	}
	assert_int_equal(fsy_tiers_load_dir(dir, &t, err, sizeof(err)), FSY_OK);
	assert_int_equal(fsy_tiers_count(t), 3);
	assert_string_equal(fsy_tier_scheme_id(fsy_tiers_at(t, 0)), "care");
	assert_non_null(fsy_tiers_find(t, "star"));
	fsy_tiers_free(t);
}

static void
test_overflow(void **state)
{
	static const char big[] =
	    "[scheme]\nid = big\nname = Big\nstatuses = inforce\n"
	    "[class.all]\nproducts = *\ncoef = 1000\n"
	    "[term.all]\ncoef = 1000\n"
	    "[level.a]\nname = A\nmin_yuan = 1\n";
	fsy_tier_scheme_t *s = NULL;
	char err[256];
	fsy_tier_policy_t p[2];
	fsy_tier_result_t r;
	int64_t fen;

	(void)state;
	assert_int_equal(fsy_tier_scheme_parse(big, "big.ini", &s, err,
	    sizeof(err)), FSY_OK);
	/* 9,223,372 fen × 10^6 fits; 10^13 fen × 10^6 does not */
	p[0] = pol("health", "annual", 9223372, 0, "2024-01-01", "inforce");
	assert_int_equal(fsy_tier_policy_points(s, &p[0], AS_OF, &fen, NULL), FSY_OK);
	assert_int_equal(fen, INT64_C(9223372000000));
	p[0].annual_premium_fen = INT64_C(10000000000000);
	assert_int_equal(fsy_tier_policy_points(s, &p[0], AS_OF, &fen, NULL),
	    FSY_ERANGE);
	/* a sum that overflows */
	p[0].annual_premium_fen = INT64_C(5000000000000);
	p[1] = p[0];
	assert_int_equal(fsy_tier_policy_points(s, &p[0], AS_OF, &fen, NULL), FSY_OK);
	assert_int_equal(fen, INT64_C(5000000000000000000));
	assert_int_equal(fsy_tier_eval(s, p, 2, AS_OF, &r), FSY_ERANGE);
	/* an amount beyond 10^13 yuan is bad data, not a number */
	p[0].annual_premium_fen = FSY_TIER_MAX_FEN + 1;
	int how = 9;
	assert_int_equal(fsy_tier_policy_points(s, &p[0], AS_OF, &fen, &how), FSY_OK);
	assert_int_equal(how, -1);
	fsy_tier_scheme_free(s);
}

/* ---- malformed scheme files ---------------------------------------------- */

#define HEAD "[scheme]\nid = t\nname = T\nstatuses = inforce\n"
#define CLASS "[class.c]\nproducts = *\ncoef = 1\n"
#define TERM "[term.r]\ncoef = 1\n"
#define LEVEL "[level.a]\nname = A\nmin_yuan = 10\n"
#define OK_TAIL CLASS TERM LEVEL

static void
test_malformed(void **state)
{
	static const struct {
		const char *text;
		int line;
		const char *what;
	} cases[] = {
		{"", 1, "no [scheme] section"},
		{"; only a comment\n", 1, "no [scheme] section"},
		{"id = x\n" HEAD OK_TAIL, 1, "'id' outside any section"},
		{HEAD "[stuff]\nx = 1\n" OK_TAIL, 5, "unknown section [stuff]"},
		{HEAD "[class.]\n" OK_TAIL, 5, "NAME must be"},
		{HEAD "[class.a b]\n" OK_TAIL, 5, "NAME must be"},
		{HEAD "colour = red\n" OK_TAIL, 5, "unknown key 'colour'"},
		{HEAD "id = u\n" OK_TAIL, 5, "'id' given twice"},
		{"[scheme]\nid = t!\n", 2, "id must be"},
		{HEAD "[scheme]\n" OK_TAIL, 5, "[scheme] given twice"},
		{HEAD "statuses = alive\n" OK_TAIL, 5, "unknown policy status 'alive'"},
		{HEAD "main_only = perhaps\n" OK_TAIL, 5, "must be yes or no"},
		{HEAD "cooling_off_days = -1\n" OK_TAIL, 5, "whole number"},
		{HEAD "cooling_off_days = 4000\n" OK_TAIL, 5, "whole number"},
		{HEAD "exclude_products = pets\n" OK_TAIL, 5, "unknown product type 'pets'"},
		{"[scheme]\nname = T\nstatuses = inforce\n" OK_TAIL, 1, "'id' is required"},
		{"[scheme]\nid = t\nname = T\nstatuses = ,\n" OK_TAIL, 1, "statuses is empty"},
		/* garbage lines */
		{HEAD "this is not ini\n" OK_TAIL, 5, "syntax error"},
		{HEAD "[class.c\n" OK_TAIL, 5, "syntax error"},
		{HEAD "  [class.c]\n" OK_TAIL, 5, "unknown policy status '[class.c]'"},
		{HEAD TERM LEVEL "[level.z]\n  [class.c]\nproducts = *\ncoef = 1\n", 12,
		    "section header [class.c] must start at the beginning"},
		/* classes */
		{HEAD "[class.c]\nproducts = helth\ncoef = 1\n" TERM LEVEL, 6,
		    "unknown product type 'helth'"},
		{HEAD "[class.c]\nproducts = health\ncoef = 1.2345678\n" TERM LEVEL, 7,
		    "at most 6 decimals"},
		{HEAD "[class.c]\nproducts = health\ncoef = 1001\n" TERM LEVEL, 7,
		    "from 0 to 1000"},
		{HEAD "[class.c]\nproducts = health\ncoef = -1\n" TERM LEVEL, 7,
		    "is not a decimal"},
		{HEAD "[class.c]\nproducts = health\ncoef = 1.\n" TERM LEVEL, 7,
		    "is not a decimal"},
		{HEAD "[class.c]\nproducts = health\ncoef = 1_.5\n" TERM LEVEL, 7,
		    "is not a decimal"},
		{HEAD "[class.c]\nproducts = health\nbase = premium\ncoef = 1\n" TERM LEVEL, 7,
		    "base must be annual_premium or account_value"},
		{HEAD "[class.c]\nproducts = health\n" TERM LEVEL, 5, "'coef' is required"},
		{HEAD "[class.c]\ncoef = 1\n" TERM LEVEL, 5, "'products' is required"},
		{HEAD "[class.c]\nproducts = health\ncoef = 1\n"
		    "[class.d]\nproducts = accident, health\ncoef = 2\n" TERM LEVEL, 8,
		    "'health' is already in another class"},
		{HEAD "[class.c]\nproducts = *\ncoef = 1\n"
		    "[class.d]\nproducts = *\ncoef = 2\n" TERM LEVEL, 8,
		    "products = * is already in [class.c]"},
		{HEAD "exclude_products = annuity\n[class.c]\nproducts = annuity\ncoef = 1\n"
		    TERM LEVEL, 6, "exclude_products excludes"},
		{HEAD "[class.c]\nproducts = *\ncoef = 1\n[class.c]\nproducts = health\n"
		    TERM LEVEL, 8, "[class.c] given twice"},
		{HEAD TERM LEVEL, 1, "no [class.NAME] section"},
		/* term rules */
		{HEAD CLASS LEVEL, 1, "no [term.NAME] section"},
		{HEAD CLASS "[term.r]\npay = monthly\ncoef = 1\n" LEVEL, 9,
		    "pay must be regular, single or any"},
		{HEAD CLASS "[term.r]\nphase = later\ncoef = 1\n" LEVEL, 9,
		    "phase must be paying, after or any"},
		{HEAD CLASS "[term.r]\npay = regular\n" LEVEL, 8,
		    "exactly one of 'coef' and 'per_year'"},
		{HEAD CLASS "[term.r]\ncoef = 1\nper_year = 0.1\n" LEVEL, 8,
		    "exactly one of 'coef' and 'per_year'"},
		{HEAD CLASS "[term.r]\ncoef = 1\ncap = 1\n" LEVEL, 8,
		    "'cap' goes with 'per_year'"},
		{HEAD CLASS "[term.r]\npay = single\nphase = paying\ncoef = 1\n" LEVEL, 8,
		    "a single premium has no payment period"},
		{HEAD CLASS "[term.r]\nafter_year_max = 5\ncoef = 1\n" LEVEL, 8,
		    "need phase = after"},
		{HEAD CLASS "[term.r]\npolicy_year_min = 0\ncoef = 1\n" LEVEL, 8,
		    "years count from 1"},
		{HEAD CLASS "[term.r]\npolicy_year_min = 5\npolicy_year_max = 4\ncoef = 1\n"
		    LEVEL, 8, "matches nothing"},
		{HEAD CLASS "[term.r]\npayment_years_max = 101\ncoef = 1\n" LEVEL, 9,
		    "from 0 to 100"},
		{HEAD CLASS "[term.r]\nclasses = c, nosuch\ncoef = 1\n" LEVEL, 9,
		    "no class 'nosuch'"},
		{HEAD CLASS "[term.r]\nclasses = ,\ncoef = 1\n" LEVEL, 9,
		    "classes is empty"},
		{HEAD CLASS "[term.r]\nwhen = always\ncoef = 1\n" LEVEL, 9,
		    "unknown key 'when'"},
		/* levels */
		{HEAD CLASS TERM, 1, "no [level.NAME] section"},
		{HEAD CLASS TERM "[level.a]\nname = A\n", 10, "'min_yuan' is required"},
		{HEAD CLASS TERM "[level.a]\nmin_yuan = 1\n", 10, "'name' is required"},
		{HEAD CLASS TERM "[level.a]\nname = A\nmin_yuan = 1.234\n", 12,
		    "is not an amount in yuan"},
		{HEAD CLASS TERM "[level.a]\nname = A\nmin_yuan = 10000000000001\n", 12,
		    "is not an amount in yuan"},
		{HEAD CLASS TERM "[level.a]\nname = A\nmin_yuan = 1,000\n", 12,
		    "is not an amount in yuan"},
		{HEAD CLASS TERM "[level.a]\nname = A\nmin_yuan = 100\n"
		    "[level.b]\nname = B\nmin_yuan = 100\n", 13,
		    "must be above [level.a]'s"},
		{HEAD CLASS TERM "[level.a]\nname = A\nmin_yuan = 100\n"
		    "[level.b]\nname = B\nmin_yuan = 50\n", 13,
		    "list levels lowest first"},
		{HEAD CLASS TERM "[level.a]\nname = A\nmin_yuan = 1\nbenefits = x, y, x\n",
		    13, "benefit 'x' listed twice"},
		{"[scheme]\nid = t\nname = T\nstatuses = inforce\nbenefits_inherit = yes\n"
		    CLASS TERM "[level.a]\nname = A\nmin_yuan = 1\nbenefits = x\n"
		    "[level.b]\nname = B\nmin_yuan = 2\nbenefits = y,\n  x\n", 18,
		    "benefit 'x' is already open from [level.a]"},
		/* columns */
		{HEAD "level_column = nosuch\n" OK_TAIL, 1, "has no column 'nosuch'"},
		{HEAD "level_column = owner_agent_id\n" OK_TAIL, 1, "is not a tier column"},
		{HEAD "level_column = name\n" OK_TAIL, 1, "is not a tier column"},
		{HEAD "score_column = vip_tier\n" OK_TAIL, 1, "is not an INTEGER column"},
		{HEAD "level_column = star_level\nscore_column = star_level\n" OK_TAIL, 1,
		    "are the same column"},
		{HEAD "level_column = star_level\n" CLASS TERM
		    "[level.gold]\nname = Gold\nmin_yuan = 1\n", 11,
		    "customer.star_level is INTEGER"},
		{HEAD "level_column = star_level\nnone_value = none\n" CLASS TERM
		    "[level.a]\nname = A\nmin_yuan = 1\nvalue = 1\n", 1,
		    "none_value: customer.star_level is INTEGER"},
		{HEAD "none_value = 0\n" OK_TAIL, 1, "none_value needs a level_column"},
		/* honour */
		{HEAD OK_TAIL "[honour]\nname = H\nstatuses = inforce\n", 13,
		    "'name', 'min_yuan' and 'statuses' are required"},
		{HEAD OK_TAIL "[honour]\nname = H\nmin_yuan = 5\nstatuses = inforce\n"
		    "[honour]\n", 17, "[honour] given twice"},
	};
	char err[512];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		fsy_tier_scheme_t *s = (fsy_tier_scheme_t *)&err; /* untouched */
		char where[32];
		int rc;

		err[0] = '\0';
		rc = fsy_tier_scheme_parse(cases[i].text, "t.ini", &s, err,
		    sizeof(err));
		snprintf(where, sizeof(where), "t.ini:%d: ", cases[i].line);
		if (rc != FSY_ESCHEME || strncmp(err, where, strlen(where)) != 0 ||
		    strstr(err, cases[i].what) == NULL)
			fail_msg("case %zu: rc %d, message '%s'; want '%s...%s'",
			    i, rc, err, where, cases[i].what);
		assert_ptr_equal(s, (fsy_tier_scheme_t *)&err);
	}

	/* the minimal scheme the cases break is itself valid */
	fsy_tier_scheme_t *s = NULL;
	assert_int_equal(fsy_tier_scheme_parse(HEAD OK_TAIL, NULL, &s, err,
	    sizeof(err)), FSY_OK);
	fsy_tier_scheme_free(s);

	/* a line that does not fit inih's buffer */
	char longline[600];
	snprintf(longline, sizeof(longline), HEAD OK_TAIL "[level.b]\nname = %0300d\n", 7);
	assert_int_equal(fsy_tier_scheme_parse(longline, "t.ini", &s, err,
	    sizeof(err)), FSY_ESCHEME);
	assert_non_null(strstr(err, "t.ini:14: line longer than"));
}

static void
test_bad_files(void **state)
{
	char dir[600], path[700], err[512];
	fsy_tier_scheme_t *s = NULL;
	fsy_tiers_t *t = NULL;

	(void)state;
	snprintf(path, sizeof(path), "%s/none.ini", tu_tmpdir());
	assert_int_equal(fsy_tier_scheme_load(path, &s, err, sizeof(err)), FSY_ENOTFOUND);
	assert_non_null(strstr(err, "none.ini"));
	assert_null(s);

	/* a bad file in a directory names itself and fails the whole load */
	snprintf(dir, sizeof(dir), "%s/bad", tu_tmpdir());
	assert_int_equal(mkdir(dir, 0700), 0);
	assert_int_equal(fsy_tiers_load_dir(dir, &t, err, sizeof(err)), FSY_ENOTFOUND);
	assert_non_null(strstr(err, "no tier scheme"));
	snprintf(path, sizeof(path), "%s/a.ini", dir);
	write_file(path, HEAD OK_TAIL);
	snprintf(path, sizeof(path), "%s/b.ini", dir);
	write_file(path, HEAD OK_TAIL "[level.b]\nname = B\nmin_yuan = ten\n");
	assert_int_equal(fsy_tiers_load_dir(dir, &t, err, sizeof(err)), FSY_ESCHEME);
	assert_null(t);
	assert_non_null(strstr(err, "/b.ini:15: [level.b]: 'min_yuan' = 'ten'"));

	/* two files, one id */
	write_file(path, HEAD OK_TAIL);
	assert_int_equal(fsy_tiers_load_dir(dir, &t, err, sizeof(err)), FSY_ESCHEME);
	assert_non_null(strstr(err, "/b.ini:1: scheme id already used by"));
	assert_non_null(strstr(err, "/a.ini"));

	/* two schemes, one column */
	write_file(path, "[scheme]\nid = u\nname = U\nstatuses = inforce\n"
	    "score_column = star_score_fen\n" OK_TAIL);
	snprintf(path, sizeof(path), "%s/a.ini", dir);
	write_file(path, HEAD "score_column = star_score_fen\n" OK_TAIL);
	assert_int_equal(fsy_tiers_load_dir(dir, &t, err, sizeof(err)), FSY_ESCHEME);
	assert_non_null(strstr(err, "score_column already used by"));

	/* a binary file */
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	fwrite("[scheme]\n\0\1\2", 1, 12, f);
	fclose(f);
	assert_int_equal(fsy_tier_scheme_load(path, &s, err, sizeof(err)), FSY_ESCHEME);
	assert_non_null(strstr(err, "a.ini:2: NUL byte"));
}

/* ---- the store: adapter, hub update, distribution ------------------------ */

/* Replicated rows carry UUID ids. */
#define C1 "00000000-0000-7000-8000-0000000000c1"
#define C2 "00000000-0000-7000-8000-0000000000c2"
#define C3 "00000000-0000-7000-8000-0000000000c3"
#define C4 "00000000-0000-7000-8000-0000000000c4"
#define P1 "00000000-0000-7000-9000-000000000001"
#define P2 "00000000-0000-7000-9000-000000000002"
#define P3 "00000000-0000-7000-9000-000000000003"
#define P4 "00000000-0000-7000-9000-000000000004"
#define P5 "00000000-0000-7000-9000-000000000005"
#define P6 "00000000-0000-7000-9000-000000000006"
#define P7 "00000000-0000-7000-9000-000000000007"
#define P8 "00000000-0000-7000-9000-000000000008"
#define P9 "00000000-0000-7000-9000-000000000009"

static void
add_policy(fsy_store_t *st, const char *id, const char *cid, const char *type,
    const char *mode, const char *modal, const char *annual, int years,
    const char *issue, const char *status, const char *extra_cols,
    const char *extra_vals)
{
	char sql[1024];

	snprintf(sql, sizeof(sql),
	    "INSERT INTO policy(id, customer_id, product_type, pay_mode, "
	    "modal_premium_fen, annual_premium_fen, payment_years, issue_date, "
	    "status%s) VALUES ('%s','%s','%s','%s',%s,%s,%d,'%s','%s'%s)",
	    extra_cols, id, cid, type, mode, modal, annual, years, issue, status,
	    extra_vals);
	tu_exec(st, sql);
}

static void
test_store_and_hub_update(void **state)
{
	fsy_store_t *st = tu_open("hub.db", FSY_ROLE_HUB, NULL);
	fsy_tier_result_t r;
	fsy_tiers_stats_t stats;
	fsy_tier_dist_t dist;
	fsy_tier_policy_t *pv = NULL;
	size_t n = 9;
	char err[512];

	(void)state;
	tu_exec(st, "INSERT INTO customer(id, customer_id, name, owner_agent_id) VALUES "
	    "('" C1 "','" C1 "','王伟','a1'), ('" C2 "','" C2 "','李娜','a1'), "
	    "('" C3 "','" C3 "','张三','a2'), ('" C4 "','" C4 "','赵四','a2')");
	tu_exec(st, "UPDATE customer SET deleted = 1 WHERE id = '" C4 "'");
	/* c1: the worked example (plus a deleted policy and an external one) */
	add_policy(st, P1, C1, "health", "monthly", "166667", "NULL", 20,
	    "2023-01-15", "inforce", "", "");
	add_policy(st, P2, C1, "annuity", "annual", "5000000", "5000000", 5,
	    "2024-03-01", "inforce", "", "");
	add_policy(st, P3, C1, "universal", "single", "10000000", "10000000", 0,
	    "2022-01-01", "inforce", ", account_value_fen", ", 0");
	add_policy(st, P4, C1, "whole_life", "single", "20000000", "20000000", 0,
	    "2023-06-01T00:00:00Z", "inforce", "", "");
	add_policy(st, P5, C1, "health", "annual", "NULL", "90000000", 20,
	    "2023-01-01", "inforce", ", deleted", ", 1");
	add_policy(st, P6, C1, "health", "annual", "NULL", "90000000", 20,
	    "2023-01-01", "inforce", ", external", ", 1");
	/* c2: VIP platinum from a dividend policy; 2★ */
	add_policy(st, P7, C2, "dividend", "annual", "NULL", "4000000", 8,
	    "2020-01-01", "inforce", "", "");
	add_policy(st, P8, C2, "universal", "annual", "NULL", "100000", 20,
	    "2020-01-01", "inforce", ", account_value_fen", ", 50000000");
	/* c4 is deleted; its policy must not matter */
	add_policy(st, P9, C4, "dividend", "annual", "NULL", "90000000", 10,
	    "2020-01-01", "inforce", "", "");

	/* the adapter: monthly 1,666.67 annualises to 20,000.04 */
	assert_int_equal(fsy_tier_load_policies(st, C1, &pv, &n), FSY_OK);
	assert_int_equal(n, 5);
	assert_string_equal(pv[0].id, P1);
	assert_int_equal(pv[0].annual_premium_fen, FSY_TIER_UNSET);
	assert_int_equal(pv[0].modal_premium_fen, 166667);
	assert_string_equal(pv[3].issue_date, "2023-06-01");
	assert_int_equal(pv[4].external, 1);
	free(pv);
	assert_int_equal(fsy_tier_load_policies(st, C3, &pv, &n), FSY_OK);
	assert_int_equal(n, 0);
	assert_null(pv);

	assert_int_equal(fsy_tier_eval_customer(st, star, C1, AS_OF, &r), FSY_OK);
	assert_int_equal(r.score_fen, Y(85000) + 8);
	assert_string_equal(r.level_name, "3★");
	assert_int_equal(r.gap_fen, Y(15000) - 8);
	assert_int_equal(r.ncounted, 4);
	assert_int_equal(fsy_tier_eval_customer(st, vip, C1, AS_OF, &r), FSY_OK);
	/* health 20,000.04 (X=20) + whole life single 200,000 × 0.1 */
	assert_int_equal(r.score_fen, Y(40000) + 4);
	assert_string_equal(r.level_code, "gold");
	assert_int_equal(fsy_tier_eval_customer(st, vip, C2, AS_OF, &r), FSY_OK);
	assert_int_equal(r.score_fen, Y(32000 + 40000));
	assert_string_equal(r.level_code, "platinum");
	assert_int_equal(fsy_tier_eval_customer(st, star, C4, AS_OF, &r), FSY_ENOTFOUND);
	assert_int_equal(fsy_tier_eval_customer(st, star, "nobody", AS_OF, &r), FSY_ENOTFOUND);
	assert_int_equal(fsy_tier_eval_customer(st, star, C1, "bad", &r), FSY_EINVAL);

	/* the hub update writes both schemes' columns */
	int64_t before = tu_int(st, "SELECT count(*) FROM col_version");
	assert_int_equal(fsy_tiers_update(st, shipped, AS_OF, &stats, err,
	    sizeof(err)), FSY_OK);
	assert_int_equal(stats.customers, 3);
	assert_int_equal(stats.writes, 3 * 4 - 1); /* c3's vip_tier stays NULL */
	assert_int_equal(stats.skipped, 0);
	assert_int_equal(tu_int(st, "SELECT star_level FROM customer WHERE id='" C1 "'"), 3);
	assert_int_equal(tu_int(st, "SELECT star_score_fen FROM customer WHERE id='" C1 "'"),
	    Y(85000) + 8);
	assert_string_equal(tu_text(st, "SELECT vip_tier FROM customer WHERE id='" C1 "'"), "gold");
	assert_int_equal(tu_int(st, "SELECT vip_points_fen FROM customer WHERE id='" C1 "'"),
	    Y(40000) + 4);
	/* c2: 4,000,000 × 1 × 0.8 = 32,000 ... star: dividend 40,000 × 0.8 */
	assert_int_equal(tu_int(st, "SELECT star_level FROM customer WHERE id='" C2 "'"), 2);
	assert_string_equal(tu_text(st, "SELECT vip_tier FROM customer WHERE id='" C2 "'"), "platinum");
	/* c3 has no policies: 0 stars, no VIP tier */
	assert_int_equal(tu_int(st, "SELECT star_level IS 0 AND star_score_fen IS 0 AND "
	    "vip_tier IS NULL AND vip_points_fen IS 0 FROM customer WHERE id='" C3 "'"), 1);
	/* c4 (deleted) is left alone */
	assert_int_equal(tu_int(st, "SELECT star_level IS NULL AND vip_points_fen IS NULL "
	    "FROM customer WHERE id='" C4 "'"), 1);
	/* every write is captured for replication */
	assert_int_equal(tu_int(st, "SELECT count(*) FROM col_version"), before + 11);

	/* nothing changed: nothing written, nothing replicated */
	int64_t gseq = tu_int(st, "SELECT max(gseq) FROM col_version");
	assert_int_equal(fsy_tiers_update(st, shipped, AS_OF, &stats, err,
	    sizeof(err)), FSY_OK);
	assert_int_equal(stats.customers, 3);
	assert_int_equal(stats.writes, 0);
	assert_int_equal(tu_int(st, "SELECT max(gseq) FROM col_version"), gseq);

	/* the whole-life policy lapses: c1 stays 3★ with 20,000 less, and
	 * drops from gold VIP: three values change */
	tu_exec(st, "UPDATE policy SET status = 'lapsed' WHERE id = '" P4 "'");
	gseq = tu_int(st, "SELECT max(gseq) FROM col_version");
	assert_int_equal(fsy_tiers_update(st, shipped, AS_OF, &stats, NULL, 0), FSY_OK);
	assert_int_equal(stats.writes, 3);
	assert_int_equal(tu_int(st, "SELECT max(gseq) FROM col_version"), gseq + 3);
	assert_int_equal(tu_int(st, "SELECT star_level FROM customer WHERE id='" C1 "'"), 3);
	assert_int_equal(tu_int(st, "SELECT star_score_fen FROM customer WHERE id='" C1 "'"),
	    Y(65000) + 8);
	assert_int_equal(tu_int(st, "SELECT vip_tier IS NULL FROM customer WHERE id='" C1 "'"), 1);
	assert_int_equal(tu_int(st, "SELECT vip_points_fen FROM customer WHERE id='" C1 "'"),
	    Y(20000) + 4);

	/* inside the caller's transaction, which keeps control of it */
	tu_exec(st, "BEGIN");
	tu_exec(st, "UPDATE policy SET status = 'inforce' WHERE id = '" P4 "'");
	assert_int_equal(fsy_tiers_update(st, shipped, AS_OF, &stats, NULL, 0), FSY_OK);
	assert_int_equal(stats.writes, 3);
	tu_exec(st, "ROLLBACK");
	assert_int_equal(tu_int(st, "SELECT vip_tier IS NULL FROM customer WHERE id='" C1 "'"), 1);

	/* a bad date changes nothing */
	assert_int_equal(fsy_tiers_update(st, shipped, "2025-99-01", &stats, err,
	    sizeof(err)), FSY_EINVAL);
	assert_non_null(strstr(err, "2025-99-01"));

	/* distribution */
	assert_int_equal(fsy_tier_distribution(st, star, AS_OF, NULL, &dist), FSY_OK);
	assert_int_equal(dist.customers, 3);
	assert_int_equal(dist.none, 1);
	assert_int_equal(dist.levels[1], 1); /* c2: 2★ */
	assert_int_equal(dist.levels[2], 1); /* c1: 3★ */
	assert_int_equal(dist.levels[3], 0);
	assert_int_equal(dist.honour, 0);
	assert_int_equal(dist.score_fen, Y(65000) + 8 + Y(32000 + 0));
	assert_int_equal(fsy_tier_distribution(st, vip, AS_OF, "a1", &dist), FSY_OK);
	assert_int_equal(dist.customers, 2);
	assert_int_equal(dist.none, 1);
	assert_int_equal(dist.levels[1], 1);
	assert_int_equal(fsy_tier_distribution(st, vip, AS_OF, "a2", &dist), FSY_OK);
	assert_int_equal(dist.customers, 1);
	assert_int_equal(dist.none, 1);
	fsy_store_close(st);

	/* an agent replica does not write tiers, but can evaluate its cards */
	st = tu_open("agent.db", FSY_ROLE_AGENT, NULL);
	tu_exec(st, "INSERT INTO customer(id, customer_id) VALUES ('" C1 "','" C1 "')");
	add_policy(st, P1, C1, "health", "annual", "NULL", "2000000", 20,
	    "2023-01-15", "grace", "", "");
	assert_int_equal(fsy_tiers_update(st, shipped, AS_OF, &stats, err,
	    sizeof(err)), FSY_ESTATE);
	assert_int_equal(tu_int(st, "SELECT star_level IS NULL FROM customer"), 1);
	assert_int_equal(fsy_tier_eval_customer(st, star, C1, AS_OF, &r), FSY_OK);
	assert_int_equal(r.score_fen, Y(40000));
	fsy_store_close(st);
}

/* Many customers: the update pages through them in batches. */
static void
test_hub_update_pages(void **state)
{
	fsy_store_t *st = tu_open("many.db", FSY_ROLE_HUB, NULL);
	fsy_tiers_stats_t stats;
	fsy_tier_dist_t dist;

	(void)state;
	tu_exec(st, "BEGIN");
	tu_exec(st, "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n "
	    "WHERE i < 600) INSERT INTO customer(id, customer_id) "
	    "SELECT printf('00000000-0000-7000-8000-%012d', i), printf('00000000-0000-7000-8000-%012d', i) FROM n");
	/* customer i: one whole-life policy of i × 100 yuan, X = 10, year 1 */
	tu_exec(st, "INSERT INTO policy(id, customer_id, product_type, pay_mode, "
	    "annual_premium_fen, payment_years, issue_date, status) "
	    "SELECT '00000000-0000-7000-9000-' || substr(id, 25), id, 'whole_life', "
	    "'annual', CAST(substr(id, 25) AS INTEGER) * 10000, 10, '2025-01-01', 'inforce' "
	    "FROM customer");
	tu_exec(st, "COMMIT");
	assert_int_equal(fsy_tiers_update(st, shipped, AS_OF, &stats, NULL, 0), FSY_OK);
	assert_int_equal(stats.customers, 600);
	assert_int_equal(tu_int(st, "SELECT count(*) FROM customer WHERE star_level IS NULL"), 0);
	/* 300 × 100 = 30,000: 2★ from customer 300 on; 1★ below */
	assert_int_equal(tu_int(st, "SELECT count(*) FROM customer WHERE star_level = 1"), 299);
	assert_int_equal(tu_int(st, "SELECT count(*) FROM customer WHERE star_level = 2"), 200);
	assert_int_equal(tu_int(st, "SELECT count(*) FROM customer WHERE star_level = 3"), 101);
	assert_int_equal(tu_int(st, "SELECT count(*) FROM customer WHERE vip_tier = 'gold'"), 301);
	assert_int_equal(fsy_tier_distribution(st, star, AS_OF, NULL, &dist), FSY_OK);
	assert_int_equal(dist.customers, 600);
	assert_int_equal(dist.levels[0], 299);
	assert_int_equal(dist.levels[1], 200);
	assert_int_equal(dist.levels[2], 101);
	assert_int_equal(dist.none, 0);
	fsy_store_close(st);
}

/* A failure mid-batch rolls the batch back and names the customer. */
static void
test_hub_update_error(void **state)
{
	char dir[600], path[700], err[512] = "";
	fsy_tiers_t *t = NULL;
	fsy_tiers_stats_t stats;
	fsy_store_t *st = tu_open("err.db", FSY_ROLE_HUB, NULL);

	(void)state;
	snprintf(dir, sizeof(dir), "%s/huge", tu_tmpdir());
	assert_int_equal(mkdir(dir, 0700), 0);
	snprintf(path, sizeof(path), "%s/huge.ini", dir);
	write_file(path, "[scheme]\nid = huge\nname = Huge\nstatuses = inforce\n"
	    "level_column = star_level\nscore_column = star_score_fen\n"
	    "[class.all]\nproducts = *\ncoef = 1000\n"
	    "[term.all]\ncoef = 1000\n"
	    "[level.1]\nname = One\nmin_yuan = 1\n");
	assert_int_equal(fsy_tiers_load_dir(dir, &t, err, sizeof(err)), FSY_OK);
	tu_exec(st, "INSERT INTO customer(id, customer_id) VALUES ('" C1 "','" C1 "'), ('" C2 "','" C2 "')");
	add_policy(st, P1, C1, "health", "annual", "NULL", "100", 10,
	    "2024-01-01", "inforce", "", "");
	add_policy(st, P2, C2, "health", "annual", "NULL", "10000000000000", 10,
	    "2024-01-01", "inforce", "", "");
	int64_t gseq = tu_int(st, "SELECT max(gseq) FROM col_version");
	assert_int_equal(fsy_tiers_update(st, t, AS_OF, &stats, err, sizeof(err)),
	    FSY_ERANGE);
	assert_non_null(strstr(err, "customer " C2));
	assert_int_equal(tu_int(st, "SELECT count(*) FROM customer WHERE "
	    "star_level IS NOT NULL OR star_score_fen IS NOT NULL"), 0);
	assert_int_equal(tu_int(st, "SELECT max(gseq) FROM col_version"), gseq);
	assert_int_equal(sqlite3_get_autocommit(fsy_store_db(st)), 1);
	/* with the data fixed, it goes through */
	tu_exec(st, "UPDATE policy SET annual_premium_fen = 100 WHERE id = '" P2 "'");
	assert_int_equal(fsy_tiers_update(st, t, AS_OF, &stats, err, sizeof(err)),
	    FSY_OK);
	assert_int_equal(stats.writes, 4);
	assert_int_equal(tu_int(st, "SELECT star_score_fen FROM customer WHERE id = '" C2 "'"),
	    100000000);
	fsy_tiers_free(t);
	fsy_store_close(st);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shipped_files),
		cmocka_unit_test(test_default_dir),
		cmocka_unit_test(test_star_product_coefficients),
		cmocka_unit_test(test_star_term_coefficients),
		cmocka_unit_test(test_star_worked_example),
		cmocka_unit_test(test_star_thresholds),
		cmocka_unit_test(test_star_honour),
		cmocka_unit_test(test_statuses_and_filters),
		cmocka_unit_test(test_annualisation),
		cmocka_unit_test(test_vip_points),
		cmocka_unit_test(test_vip_thresholds),
		cmocka_unit_test(test_third_scheme),
		cmocka_unit_test(test_overflow),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_bad_files),
		cmocka_unit_test(test_store_and_hub_update),
		cmocka_unit_test(test_hub_update_pages),
		cmocka_unit_test(test_hub_update_error),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
