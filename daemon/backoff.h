/*
 * backoff.h — retry delays for the agent's sync rounds.
 *
 * After k consecutive failures (k >= 1) the next attempt waits a delay
 * drawn uniformly from [max(min, cap/2), cap] where cap = min(max,
 * min * 2^(k-1)): the first retry waits exactly min, each later one about
 * twice as long as the one before, never more than max, spread out
 * ("equal jitter") so that a fleet of laptops cut off together does not
 * come back in lock step. A success resets the count.
 */
#ifndef FSY_BACKOFF_H
#define FSY_BACKOFF_H

#include <stdint.h>

typedef struct fsy_backoff {
	uint32_t min_ms;   /* first retry delay, > 0 */
	uint32_t max_ms;   /* largest delay, >= min_ms */
	uint32_t failures; /* consecutive failures so far */
} fsy_backoff_t;

/* Sets the bounds (max_ms is raised to min_ms, min_ms to 1 if 0) and
 * clears the failure count. */
void fsy_backoff_init(fsy_backoff_t *b, uint32_t min_ms, uint32_t max_ms);

/* Changes the bounds, keeping the failure count (config reload). */
void fsy_backoff_set(fsy_backoff_t *b, uint32_t min_ms, uint32_t max_ms);

/* Records a failure and returns the delay before the next attempt, in
 * [min_ms, max_ms]. rnd is a uniformly random 32-bit number (0 gives the
 * shortest delay of the range, UINT32_MAX the longest). */
uint32_t fsy_backoff_fail(fsy_backoff_t *b, uint32_t rnd);

/* Records a success: the next failure starts again from min_ms. */
void fsy_backoff_reset(fsy_backoff_t *b);

#endif /* FSY_BACKOFF_H */
