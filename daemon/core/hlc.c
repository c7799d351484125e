/* hlc.c — hybrid logical clocks (see hlc.h). */
#include "hlc.h"
#include "util.h"

void
fsy_hlc_init(fsy_hlc_t *c, uint64_t last)
{
	c->last = last;
	c->now_ms = NULL;
	c->now_arg = NULL;
}

int64_t
fsy_hlc_wall(const fsy_hlc_t *c)
{
	int64_t ms = c->now_ms ? c->now_ms(c->now_arg) : fsy_now_ms();
	return ms < 0 ? 0 : ms;
}

uint64_t
fsy_hlc_tick(fsy_hlc_t *c)
{
	uint64_t wall = FSY_HLC_MAKE(fsy_hlc_wall(c), 0);

	/* Wall clock ahead: take it. Otherwise count on from the last value;
	 * the counter carries into the millisecond field when it overflows,
	 * which keeps the order total. */
	c->last = wall > c->last ? wall : c->last + 1;
	return c->last;
}

uint64_t
fsy_hlc_recv(fsy_hlc_t *c, uint64_t remote)
{
	uint64_t wall = FSY_HLC_MAKE(fsy_hlc_wall(c), 0);
	uint64_t m = c->last > remote ? c->last : remote;

	c->last = wall > m ? wall : m + 1;
	return c->last;
}
