/* backoff.c — exponential backoff with jitter (see backoff.h). */
#include "backoff.h"

void
fsy_backoff_set(fsy_backoff_t *b, uint32_t min_ms, uint32_t max_ms)
{
	b->min_ms = min_ms ? min_ms : 1;
	b->max_ms = max_ms < b->min_ms ? b->min_ms : max_ms;
}

void
fsy_backoff_init(fsy_backoff_t *b, uint32_t min_ms, uint32_t max_ms)
{
	fsy_backoff_set(b, min_ms, max_ms);
	b->failures = 0;
}

void
fsy_backoff_reset(fsy_backoff_t *b)
{
	b->failures = 0;
}

uint32_t
fsy_backoff_fail(fsy_backoff_t *b, uint32_t rnd)
{
	uint64_t cap = b->min_ms, lo, span;

	if (b->failures < UINT32_MAX)
		b->failures++;
	/* cap = min * 2^(failures-1), saturating at max */
	for (uint32_t i = 1; i < b->failures && cap < b->max_ms; i++)
		cap *= 2;
	if (cap > b->max_ms)
		cap = b->max_ms;
	lo = cap / 2 > b->min_ms ? cap / 2 : b->min_ms;
	span = cap - lo + 1;
	return (uint32_t)(lo + (((uint64_t)rnd * span) >> 32));
}
