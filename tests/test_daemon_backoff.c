/* test_daemon_backoff.c — the agent's retry delays (daemon/backoff.h). */
#include <stdint.h>
#include <stdio.h>

#include "backoff.h"
#include "testutil.h"

static void
test_first_retry_is_min(void **state)
{
	fsy_backoff_t b;
	(void)state;

	fsy_backoff_init(&b, 5000, 900000);
	assert_int_equal(fsy_backoff_fail(&b, UINT32_MAX), 5000);
	assert_int_equal(b.failures, 1);
	fsy_backoff_reset(&b);
	assert_int_equal(fsy_backoff_fail(&b, 0), 5000);
}

/* After k failures the delay lies in [max(min, cap/2), cap], cap =
 * min(max, min * 2^(k-1)); rnd 0 and UINT32_MAX give the two ends. */
static void
test_doubling_bounds(void **state)
{
	(void)state;
	for (uint32_t k = 1; k <= 40; k++) {
		fsy_backoff_t lo, hi;
		uint64_t cap = 1000;
		uint32_t dlo = 0, dhi = 0;
		for (uint32_t i = 1; i < k && cap < 60000; i++)
			cap *= 2;
		if (cap > 60000)
			cap = 60000;
		fsy_backoff_init(&lo, 1000, 60000);
		fsy_backoff_init(&hi, 1000, 60000);
		for (uint32_t i = 0; i < k; i++) {
			dlo = fsy_backoff_fail(&lo, 0);
			dhi = fsy_backoff_fail(&hi, UINT32_MAX);
		}
		assert_int_equal(dhi, cap);
		assert_int_equal(dlo, cap / 2 > 1000 ? cap / 2 : 1000);
	}
}

static void
test_exact_sequence(void **state)
{
	/* the longest delays: 1, 2, 4, 8, 16, 30, 30 s */
	static const uint32_t want[] = {1000, 2000, 4000, 8000, 16000, 30000,
	    30000};
	fsy_backoff_t b;
	(void)state;

	fsy_backoff_init(&b, 1000, 30000);
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		assert_int_equal(fsy_backoff_fail(&b, UINT32_MAX), want[i]);
	/* and the shortest after 6 failures: half the cap */
	fsy_backoff_init(&b, 1000, 30000);
	for (int i = 0; i < 5; i++)
		fsy_backoff_fail(&b, 0);
	assert_int_equal(fsy_backoff_fail(&b, 0), 15000);
}

static void
test_jitter_within_bounds(void **state)
{
	fsy_backoff_t b;
	uint32_t x = 12345, below = 0, above = 0;
	(void)state;

	for (int round = 0; round < 2000; round++) {
		fsy_backoff_init(&b, 5000, 900000);
		for (int k = 0; k < 12; k++) {
			uint32_t d;
			x = x * 1664525u + 1013904223u; /* LCG: deterministic */
			d = fsy_backoff_fail(&b, x);
			assert_true(d >= 5000);
			assert_true(d <= 900000);
		}
		/* after 12 failures the cap is max: [450 s, 900 s] */
		x = x * 1664525u + 1013904223u;
		{
			uint32_t d = fsy_backoff_fail(&b, x);
			assert_true(d >= 450000 && d <= 900000);
			if (d < 675000)
				below++;
			else
				above++;
		}
	}
	/* spread over the range, not stuck at one end */
	assert_true(below > 800 && above > 800);
}

static void
test_saturates(void **state)
{
	fsy_backoff_t b;
	(void)state;

	fsy_backoff_init(&b, 1, UINT32_MAX);
	b.failures = UINT32_MAX - 1;
	assert_int_equal(fsy_backoff_fail(&b, UINT32_MAX), UINT32_MAX);
	assert_int_equal(b.failures, UINT32_MAX);
	assert_int_equal(fsy_backoff_fail(&b, UINT32_MAX), UINT32_MAX);
	assert_int_equal(b.failures, UINT32_MAX);
	assert_int_equal(fsy_backoff_fail(&b, 0), UINT32_MAX / 2);
}

static void
test_degenerate_bounds(void **state)
{
	fsy_backoff_t b;
	(void)state;

	fsy_backoff_init(&b, 0, 0); /* min 0 -> 1, max raised to min */
	assert_int_equal(b.min_ms, 1);
	assert_int_equal(b.max_ms, 1);
	assert_int_equal(fsy_backoff_fail(&b, UINT32_MAX), 1);
	fsy_backoff_init(&b, 7000, 3000); /* max below min */
	assert_int_equal(b.max_ms, 7000);
	for (int i = 0; i < 10; i++)
		assert_int_equal(fsy_backoff_fail(&b, (uint32_t)i * 99991u), 7000);
}

static void
test_set_keeps_failures(void **state)
{
	fsy_backoff_t b;
	(void)state;

	fsy_backoff_init(&b, 1000, 60000);
	for (int i = 0; i < 4; i++)
		fsy_backoff_fail(&b, 0);
	fsy_backoff_set(&b, 2000, 10000); /* a config reload */
	assert_int_equal(b.failures, 4);
	/* 5th failure: cap = min(10 s, 2 s * 16) */
	assert_int_equal(fsy_backoff_fail(&b, UINT32_MAX), 10000);
	fsy_backoff_reset(&b);
	assert_int_equal(b.failures, 0);
	assert_int_equal(fsy_backoff_fail(&b, UINT32_MAX), 2000);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_first_retry_is_min),
		cmocka_unit_test(test_doubling_bounds),
		cmocka_unit_test(test_exact_sequence),
		cmocka_unit_test(test_jitter_within_bounds),
		cmocka_unit_test(test_saturates),
		cmocka_unit_test(test_degenerate_bounds),
		cmocka_unit_test(test_set_keeps_failures),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
