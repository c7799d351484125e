/*
 * hlc.h — hybrid logical clocks.
 *
 * An HLC is a uint64: the upper 48 bits are Unix milliseconds, the lower 16
 * a logical counter. It never goes backwards on one site, even when the wall
 * clock does, and it moves past every HLC the site has received, so that a
 * change made after seeing another orders after it. (Kulkarni et al., 2014.)
 */
#ifndef FSY_HLC_H
#define FSY_HLC_H

#include <stdint.h>

#define FSY_HLC_LOGICAL_BITS 16
#define FSY_HLC_MAKE(ms, c) (((uint64_t)(ms) << FSY_HLC_LOGICAL_BITS) | (uint64_t)(c))
#define FSY_HLC_MS(h) ((int64_t)((h) >> FSY_HLC_LOGICAL_BITS))

typedef struct fsy_hlc {
	uint64_t last;                 /* last HLC issued or received */
	int64_t (*now_ms)(void *arg); /* wall clock; NULL: fsy_now_ms() */
	void *now_arg;                 /* argument for now_ms */
} fsy_hlc_t;

/* Initialises a clock whose last value is `last` (0 for a new site). */
void fsy_hlc_init(fsy_hlc_t *c, uint64_t last);

/* Returns a new HLC for a local event, greater than every earlier one. */
uint64_t fsy_hlc_tick(fsy_hlc_t *c);

/* Merges a received HLC into the clock (the receive rule) and returns the
 * clock's new value, greater than both `remote` and every earlier value. */
uint64_t fsy_hlc_recv(fsy_hlc_t *c, uint64_t remote);

/* Returns the wall clock of c in ms. */
int64_t fsy_hlc_wall(const fsy_hlc_t *c);

#endif /* FSY_HLC_H */
