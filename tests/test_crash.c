/*
 * test_crash.c — kill -9 at random points, hundreds of times.
 *
 * The world (tu_world.h): a hub, four agents' laptops and a team lead's.
 * Each cycle forks a child that opens every database and runs random
 * actions — commands on the laptops (visits, edits, needs, family,
 * referral cards, head-office columns written by hand), head-office
 * edits, reassignments (revokes and snapshots), CSV imports, sync rounds
 * in batches of 2 to 9 changes — and dies by SIGKILL:
 *   cycles 0 and 2 mod 4: at the N-th write, sync or truncate of any database file
 *                (tu_fault.h), N drawn from the seed — a crash inside a
 *                transaction, at an exact, reproducible point;
 *   cycles 1 mod 4: killed by the parent after a random delay;
 *   cycles 3 mod 4: live to the end (they measure how long and how many
 *                operations a child's steps take, which bounds the crash
 *                points and delays of the others, and let imports finish).
 * The parent then reopens everything and checks integrity_check, every
 * laptop's hash chain, that the hub recorded no chain break, and that
 * every import is all or nothing; every fifth cycle (and at the end) it
 * syncs everyone and checks every guarantee (tw_check_all): every change
 * saved on a laptop is at the hub exactly once or refused with its
 * reason, no laptop holds a customer its agent does not own, and every
 * replica's hash equals its hub scope.
 *
 * FSY_TORTURE=1: 300 cycles instead of 40, or as many as fit in 220 s
 * (the count run is printed). FSY_SEED=N: another seed.
 * The figures (cycles, kills, where they hit) are printed.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tu_world.h"

/* Wall time after which the cycles stop (at a check), under ctest's 300 s
 * limit even on a busy machine. */
#define TIME_BUDGET_US (220LL * 1000 * 1000)

typedef struct shared {
	tw_stats_t st;
	uint64_t ops;           /* counted operations of a child that lived */
	char err[512];          /* a child's broken guarantee */
} shared_t;

static uint64_t
base_seed(void)
{
	const char *e = getenv("FSY_SEED");
	return e ? strtoull(e, NULL, 10) : 20261122;
}

/* The child: opens everything, arms the crash point, runs steps. */
static void
child(tw_world_t *w, shared_t *sh, uint64_t seed, uint64_t crash_at,
    int steps)
{
	tu_rng_seed(&w->rng, seed);
	tu_fault_reset();
	tu_fault_crash_at(crash_at);
	if (tw_stores_open(w) != FSY_OK) {
		snprintf(sh->err, sizeof(sh->err), "%s", w->err);
		_exit(3);
	}
	for (int s = 0; s < steps; s++) {
		if (tw_step(w) == FSY_EINTERNAL) {
			snprintf(sh->err, sizeof(sh->err), "%s", w->err);
			_exit(4);
		}
		sh->ops = tu_fault_ops();
	}
	sh->ops = tu_fault_ops();
	tw_stores_close(w);
	_exit(0);
}

static int64_t
now_us(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000000 + t.tv_nsec / 1000;
}

static void
test_kill9_cycles(void **state)
{
	shared_t *sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	tw_world_t *w = calloc(1, sizeof(*w));
	uint64_t seed = base_seed(), kills_vfs = 0, kills_timer = 0, clean = 0;
	uint64_t at_phase[TW_NPHASE], ops_step = 60, us_step = 3000,
	    us_open = 20000;
	int cycles = tu_torture() ? 300 : 40, checks = 0;
	tu_rng_t r;

	(void)state;
	assert_true(sh != MAP_FAILED);
	assert_non_null(w);
	memset(sh, 0, sizeof(*sh));
	memset(at_phase, 0, sizeof(at_phase));
	tu_rng_seed(&r, seed);
	tu_fault_install();
	tu_fault_nosync(1);
	tw_open(w, 4, 4, &sh->st, seed);
	tw_converge(w);
	tw_check_all(w);
	printf("crash: seed %llu, %d cycles\n", (unsigned long long)seed, cycles);

	int64_t start = now_us();
	for (int c = 0; c < cycles; c++) {
		/* 0, 2: crash at a storage operation; 1: killed from outside;
		 * 3: lives (measures the others' ranges, lets imports finish) */
		int mode = c % 4, status = 0;
		int steps = 5 + (int)(tu_rng_next(&r) % 60);
		uint64_t at = 1 + tu_rng_next(&r) % (ops_step * (uint64_t)steps + 1);
		useconds_t delay = (useconds_t)(tu_rng_next(&r) %
		    (us_open + us_step * (uint64_t)steps));
		int64_t t0;
		pid_t pid;

		tw_stores_close(w);
		sh->err[0] = '\0';
		sh->ops = 0;
		fflush(stdout);
		fflush(stderr);
		t0 = now_us();
		pid = fork();
		assert_true(pid >= 0);
		if (pid == 0)
			child(w, sh, seed * 1000003 + (uint64_t)c,
			    mode == 0 || mode == 2 ? at : 0, steps);
		if (mode == 1) {
			usleep(delay);
			kill(pid, SIGKILL);
		}
		assert_int_equal(waitpid(pid, &status, 0), pid);
		if (WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL &&
		    mode != 3) {
			if (mode == 1)
				kills_timer++;
			else
				kills_vfs++;
			at_phase[sh->st.phase]++;
		} else if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
			clean++;
			if (mode == 3) {
				ops_step = (ops_step + sh->ops / (uint64_t)steps) / 2 + 1;
				us_step = (us_step + (uint64_t)(now_us() - t0) /
				    (uint64_t)steps) / 2 + 1;
			}
		} else {
			fail_msg("cycle %d: the child ended with status %#x: %s", c,
			    status, sh->err);
		}
		sh->st.phase = TW_PH_IDLE;
		tu_fault_reset();
		if (tw_stores_open(w) != FSY_OK)
			fail_msg("cycle %d: reopen after the crash: %s", c, w->err);
		tw_check_storage(w);
		/* a loaded machine: stop in time for ctest's 300 s, checked */
		if (c % 5 == 4 && now_us() - start > TIME_BUDGET_US)
			cycles = c + 1;
		if (c % 5 == 4 || c == cycles - 1) {
			tw_converge(w);
			tw_check_all(w);
			checks++;
		}
	}
	tw_print_stats("crash", &sh->st);
	printf("crash: %d cycles: %llu killed at a storage operation "
	    "(tu_fault), %llu killed from outside, %llu lived; %d full "
	    "convergence checks, %d storage checks\n", cycles,
	    (unsigned long long)kills_vfs, (unsigned long long)kills_timer,
	    (unsigned long long)clean, checks, cycles);
	printf("crash: kills by what was running:");
	for (int p = 0; p < TW_NPHASE; p++)
		if (at_phase[p])
			printf(" %s %llu", tw_phase_names[p],
			    (unsigned long long)at_phase[p]);
	printf("\n");
	tw_close(w);
	free(w);
	munmap(sh, sizeof(*sh));
	tu_cleanup();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kill9_cycles),
	};
	if (getenv("FSY_TEST_FILTER"))
		cmocka_set_test_filter(getenv("FSY_TEST_FILTER"));
	return cmocka_run_group_tests(tests, NULL, NULL);
}
