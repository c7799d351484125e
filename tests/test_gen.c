/* test_gen.c — the data generator: options, determinism (same seed, same
 * bytes), and the shape of what it makes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "gendata.h"
#include "import.h"
#include "util.h"

/* Reads a whole file (caller frees); *n gets its size. */
static char *
slurp(const char *dir, const char *name, size_t *n)
{
	char path[600];
	FILE *f;
	char *buf;
	long len;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "rb");
	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	len = ftell(f);
	assert_true(len > 0);
	rewind(f);
	buf = malloc((size_t)len + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)len, f), (size_t)len);
	buf[len] = '\0';
	fclose(f);
	*n = (size_t)len;
	return buf;
}

static void
opts(fsy_gen_opts_t *o, uint64_t seed, int64_t customers)
{
	char err[256];

	fsy_gen_opts_init(o);
	o->seed = seed;
	o->customers = customers;
	o->as_of = fsy_days_from_civil(2025, 6, 30);
	assert_int_equal(fsy_gen_opts_check(o, err, sizeof(err)), FSY_OK);
}

static void
gen(const fsy_gen_opts_t *o, const char *dir, fsy_gen_stats_t *stats)
{
	char err[256];

	assert_int_equal(fsy_gen_write(o, dir, stats, err, sizeof(err)), FSY_OK);
}

/* Counts the lines of a file that start with prefix. */
static int64_t
lines_starting(const char *buf, const char *prefix)
{
	int64_t n = 0;
	size_t pl = strlen(prefix);

	for (const char *p = buf; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : p)
		n += strncmp(p, prefix, pl) == 0;
	return n;
}

static void
test_options(void **state)
{
	(void)state;
	fsy_gen_opts_t o;
	char err[256];

	fsy_gen_opts_init(&o);
	o.customers = 9;
	assert_int_equal(fsy_gen_opts_check(&o, err, sizeof(err)), FSY_ERANGE);
	assert_non_null(strstr(err, "--customers 9: must be 10..1000000"));
	o.customers = 1000001;
	assert_int_equal(fsy_gen_opts_check(&o, err, sizeof(err)), FSY_ERANGE);
	o.customers = 1000000;
	assert_int_equal(fsy_gen_opts_check(&o, err, sizeof(err)), FSY_OK);
	assert_int_equal(o.agents, 8333); /* customers / 120 */
	assert_int_equal(o.teams, 766); /* 7667 of them sell */

	fsy_gen_opts_init(&o);
	o.customers = 10;
	assert_int_equal(fsy_gen_opts_check(&o, err, sizeof(err)), FSY_OK);
	assert_int_equal(o.agents, 4);
	assert_int_equal(o.teams, 1);

	fsy_gen_opts_init(&o);
	o.agents = 3;
	assert_int_equal(fsy_gen_opts_check(&o, err, sizeof(err)), FSY_ERANGE);
	assert_non_null(strstr(err, "--agents 3"));

	fsy_gen_opts_init(&o);
	o.agents = 20;
	o.teams = 9; /* 20 agents: 18 sell, at most 9 teams */
	assert_int_equal(fsy_gen_opts_check(&o, err, sizeof(err)), FSY_OK);
	o.teams = 10;
	assert_int_equal(fsy_gen_opts_check(&o, err, sizeof(err)), FSY_ERANGE);
	assert_non_null(strstr(err, "--teams 10: must be 1..9"));

	fsy_gen_opts_init(&o);
	snprintf(o.branch, sizeof(o.branch), "bj01");
	assert_int_equal(fsy_gen_opts_check(&o, err, sizeof(err)), FSY_EINVAL);
	assert_non_null(strstr(err, "--branch 'bj01'"));
}

static void
test_same_seed_same_bytes(void **state)
{
	(void)state;
	fsy_gen_opts_t o;
	fsy_gen_stats_t s1, s2;
	const char *a = tu_path("same_a"), *b = tu_path("same_b");

	opts(&o, 7, 400);
	gen(&o, a, &s1);
	gen(&o, b, &s2);
	assert_memory_equal(&s1, &s2, sizeof(s1));
	for (int f = 0; f < FSY_IMPORT_NFILES; f++) {
		size_t na, nb;
		char *x = slurp(a, fsy_import_file_name(f), &na);
		char *y = slurp(b, fsy_import_file_name(f), &nb);
		assert_int_equal(na, nb);
		assert_memory_equal(x, y, na);
		free(x);
		free(y);
	}
}

static void
test_different_seed_differs(void **state)
{
	(void)state;
	fsy_gen_opts_t o;
	fsy_gen_stats_t s;
	const char *a = tu_path("diff_a"), *b = tu_path("diff_b");

	opts(&o, 7, 100);
	gen(&o, a, &s);
	o.seed = 8;
	gen(&o, b, &s);
	for (int f = 0; f < FSY_IMPORT_NFILES; f++) {
		size_t na, nb;
		char *x = slurp(a, fsy_import_file_name(f), &na);
		char *y = slurp(b, fsy_import_file_name(f), &nb);
		assert_true(na != nb || memcmp(x, y, na) != 0);
		free(x);
		free(y);
	}
}

/* The smallest data set still has both kinds of service-order customer. */
static void
test_ten_customers(void **state)
{
	(void)state;
	fsy_gen_opts_t o;
	fsy_gen_stats_t s;

	for (uint64_t seed = 1; seed <= 5; seed++) {
		char name[32];
		snprintf(name, sizeof(name), "ten%llu", (unsigned long long)seed);
		opts(&o, seed, 10);
		gen(&o, tu_path(name), &s);
		assert_int_equal(s.rows[FSY_IMPORT_CUSTOMERS], 10);
		assert_int_equal(s.rows[FSY_IMPORT_AGENTS], 4);
		assert_true(s.pure >= 1);
		assert_true(s.nonpure >= 1);
		assert_int_equal(s.pure + s.nonpure, 10);
		assert_true(s.agents_departed >= 1);
		assert_true(s.rows[FSY_IMPORT_POLICIES] >= 10);
	}
}

/* Realism, measured on 3000 customers. */
static void
test_shape(void **state)
{
	(void)state;
	fsy_gen_opts_t o;
	fsy_gen_stats_t s;
	const char *dir = tu_path("shape");
	size_t n;
	char *cust, *agents, *pol;
	int64_t wang, li, total, sales, departed;

	opts(&o, 11, 3000);
	gen(&o, dir, &s);
	total = s.rows[FSY_IMPORT_CUSTOMERS];
	assert_int_equal(total, 3000);

	/* surnames by frequency: 王 and 李 about 7% each */
	cust = slurp(dir, "customers.csv", &n);
	assert_true(strncmp(cust, "customer_no,name,gender,birth_date,id_number,"
	    "phone,address,occupation,income\n", 75) == 0);
	assert_int_equal(lines_starting(cust, "BJ01C"), 3000);
	wang = 0;
	li = 0;
	for (const char *p = strchr(cust, '\n') + 1; *p;
	     p = strchr(p, '\n') + 1) {
		const char *name = strchr(p, ',') + 1;
		wang += strncmp(name, "王", 3) == 0;
		li += strncmp(name, "李", 3) == 0;
	}
	assert_true(wang > total * 45 / 1000 && wang < total * 100 / 1000);
	assert_true(li > total * 45 / 1000 && li < total * 100 / 1000);
	/* Beijing branch: Beijing addresses */
	assert_non_null(strstr(cust, ",北京市"));
	free(cust);

	/* about 15-20% of the sales agents left */
	agents = slurp(dir, "agents.csv", &n);
	sales = 0;
	departed = 0;
	for (const char *p = strchr(agents, '\n') + 1; *p;
	     p = strchr(p, '\n') + 1) {
		int sells = strstr(p, ",agent,") != NULL &&
		    strstr(p, ",agent,") < strchr(p, '\n');
		int gone = (strstr(p, ",departed,") != NULL &&
		               strstr(p, ",departed,") < strchr(p, '\n')) ||
		    (strstr(p, ",disqualified,") != NULL &&
		        strstr(p, ",disqualified,") < strchr(p, '\n'));
		sales += sells;
		departed += gone;
	}
	assert_int_equal(departed, s.agents_departed);
	assert_true(departed >= 1);
	assert_true(departed * 100 <= sales * 35);
	assert_non_null(strstr(agents, ",service,"));
	assert_non_null(strstr(agents, ",lead,"));
	free(agents);

	/* households: other insurers' policies in 10-20% */
	assert_true(s.external_households > total * 10 / 100);
	assert_true(s.external_households < total * 20 / 100);
	/* pure service-order customers: some, not most */
	assert_true(s.pure > total * 3 / 100);
	assert_true(s.pure < total * 40 / 100);
	/* persons, policies and visits per customer */
	assert_true(s.rows[FSY_IMPORT_PERSONS] > total);
	assert_true(s.rows[FSY_IMPORT_POLICIES] > 2 * total);
	assert_true(s.rows[FSY_IMPORT_POLICIES] < 5 * total);
	assert_true(s.rows[FSY_IMPORT_VISITS] > 3 * total);

	/* every status and pay mode occurs; riders and externals too */
	pol = slurp(dir, "policies.csv", &n);
	static const char *const must[] = {",inforce,", ",grace,", ",lapsed,",
		",surrendered,", ",matured,", ",paid_up,", ",cancelled,",
		",terminated,", ",monthly,", ",quarter,", ",half,", ",annual,",
		",single,", ",universal,", ",annuity,", ",中国人寿,", ",平安人寿,",
		"附加"};
	for (size_t i = 0; i < sizeof(must) / sizeof(must[0]); i++)
		if (strstr(pol, must[i]) == NULL)
			fail_msg("policies.csv has no %s", must[i]);
	assert_true(s.lapsed > 0);
	free(pol);
}

static void
test_bad_directory(void **state)
{
	(void)state;
	fsy_gen_opts_t o;
	char err[256];

	opts(&o, 1, 10);
	assert_int_not_equal(fsy_gen_write(&o, "/nonexistent-dir/x/y", NULL, err,
	                         sizeof(err)), FSY_OK);
	assert_non_null(strstr(err, "/nonexistent-dir/x/y"));
}

static int
teardown(void **state)
{
	(void)state;
	tu_cleanup();
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_options),
		cmocka_unit_test(test_same_seed_same_bytes),
		cmocka_unit_test(test_different_seed_differs),
		cmocka_unit_test(test_ten_customers),
		cmocka_unit_test(test_shape),
		cmocka_unit_test(test_bad_directory),
	};
	return cmocka_run_group_tests(tests, NULL, teardown);
}
