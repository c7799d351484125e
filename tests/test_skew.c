/*
 * test_skew.c — laptop clocks days ahead or behind.
 *
 * Every clock here is virtual (fsy_hlc_t.now_ms): one shared "now" that
 * the test advances, plus each site's offset. docs/SYNC.md "Clocks":
 *   - the hub clamps an HLC more than max_skew (5 min) ahead of its own
 *     clock to its own current HLC: the write is ordered as if made when
 *     it reached head office;
 *   - a laptop's HLC takes the larger of its clock and every HLC it has
 *     received, so an edit made after a sync orders after what it saw,
 *     however far behind its clock is; an edit made offline on a clock
 *     behind loses to later edits it had not seen.
 * The single cases show each rule; the contest lets a laptop 3 days
 * ahead, one 2 days behind, one on time and head office edit the same
 * field in random order for many rounds, predicts every round's winner
 * from the rules above, compares with the hub, and shows that the clock
 * set forward does not win every conflict.
 *
 * FSY_TORTURE=1: 2000 contest rounds instead of 200. FSY_SEED=N.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tu_fault.h"
#include "tu_sync.h"
#include "util.h"

#define A1 "0190d000-0000-7000-8000-0000000000a1"
#define DAY (24LL * 3600 * 1000)

typedef struct vclock {
	int64_t *now;   /* the shared virtual time, ms */
	int64_t off;    /* this site's error */
} vclock_t;

static int64_t
vnow(void *arg)
{
	const vclock_t *v = arg;
	return *v->now + v->off;
}

typedef struct skew_world {
	tu_hub_t h;
	tu_agent_t fwd, back, ok;
	int64_t now;
	vclock_t ch, cf, cb, co;
	char c[37];
} skew_world_t;

static skew_world_t *
skew_open(void)
{
	skew_world_t *w = calloc(1, sizeof(*w));

	assert_non_null(w);
	tu_cleanup();
	w->now = fsy_now_ms();
	w->ch = (vclock_t){&w->now, 0};
	w->cf = (vclock_t){&w->now, 3 * DAY};
	w->cb = (vclock_t){&w->now, -2 * DAY};
	w->co = (vclock_t){&w->now, 0};
	tu_hub_open(&w->h, "hub.db");
	fsy_store_clock(w->h.st)->now_ms = vnow;
	fsy_store_clock(w->h.st)->now_arg = &w->ch;
	tu_hub_agent(&w->h, A1, "A1", "t1", "agent");
	tu_hub_customer(&w->h, w->c, "王五", A1, A1);
	/* three laptops of one agent: 3 days ahead, 2 behind, on time */
	tu_agent_open(&w->h, &w->fwd, "fwd.db", A1);
	tu_agent_open(&w->h, &w->back, "back.db", A1);
	tu_agent_open(&w->h, &w->ok, "ok.db", A1);
	fsy_store_clock(w->fwd.st)->now_ms = vnow;
	fsy_store_clock(w->fwd.st)->now_arg = &w->cf;
	fsy_store_clock(w->back.st)->now_ms = vnow;
	fsy_store_clock(w->back.st)->now_arg = &w->cb;
	fsy_store_clock(w->ok.st)->now_ms = vnow;
	fsy_store_clock(w->ok.st)->now_arg = &w->co;
	w->now += 1000;
	tu_sync_ok(&w->h, &w->fwd);
	tu_sync_ok(&w->h, &w->back);
	tu_sync_ok(&w->h, &w->ok);
	/* The cases' edits come after the first syncs, not in their
	 * millisecond: a snapshot carries the hub's clock as it was sent. */
	w->now += 1000;
	return w;
}

static void
skew_close(skew_world_t *w)
{
	tu_agent_close(&w->fwd);
	tu_agent_close(&w->back);
	tu_agent_close(&w->ok);
	tu_hub_close(&w->h);
	free(w);
	tu_cleanup();
}

static void
set_facts(fsy_store_t *st, const char *c, const char *v)
{
	char sql[256];
	snprintf(sql, sizeof(sql), "UPDATE customer SET facts = '%s' WHERE id = "
	    "'%s'", v, c);
	tu_exec(st, sql);
}

static const char *
facts(fsy_store_t *st, const char *c)
{
	char sql[160];
	snprintf(sql, sizeof(sql), "SELECT facts FROM customer WHERE id = '%s'",
	    c);
	return tu_text(st, sql);
}

static void
all_converged(skew_world_t *w)
{
	tu_sync_ok(&w->h, &w->fwd);
	tu_sync_ok(&w->h, &w->back);
	tu_sync_ok(&w->h, &w->ok);
	tu_sync_ok(&w->h, &w->fwd);
	if (getenv("FSY_TRACE_SKEW"))
		printf("converge: hub %s fwd %s back %s ok %s\n",
		    facts(w->h.st, w->c), facts(w->fwd.st, w->c),
		    facts(w->back.st, w->c), facts(w->ok.st, w->c));
	tu_assert_converged(&w->h, &w->fwd);
	tu_assert_converged(&w->h, &w->back);
	tu_assert_converged(&w->h, &w->ok);
}

/* Ahead, synced before head office edits: head office's later edit
 * wins, and the laptop's version carries the hub's time, not its own. */
static void
test_ahead_then_head_office(void **state)
{
	skew_world_t *w = skew_open();
	char sql[256];

	(void)state;
	set_facts(w->fwd.st, w->c, "fwd");
	w->now += 60000;
	tu_sync_ok(&w->h, &w->fwd);
	assert_string_equal(facts(w->h.st, w->c), "fwd");
	snprintf(sql, sizeof(sql), "SELECT max(hlc) FROM col_version WHERE "
	    "site = '%s'", w->fwd.device_id);
	assert_true(FSY_HLC_MS((uint64_t)tu_int(w->h.st, sql)) <= w->now);
	w->now += 60000;
	set_facts(w->h.st, w->c, "HQ");
	all_converged(w);
	assert_string_equal(facts(w->h.st, w->c), "HQ");
	assert_string_equal(facts(w->fwd.st, w->c), "HQ");
	skew_close(w);
}

/* Ahead, edited offline before head office's edit, synced after it: the
 * laptop's edit is ordered at its arrival, so it wins; both values are
 * kept as a conflict for the team lead. (With its clock right, the same
 * edit would lose: the clamp re-times it to the push.) */
static void
test_ahead_offline_edit_ordered_at_arrival(void **state)
{
	skew_world_t *w = skew_open();

	(void)state;
	set_facts(w->fwd.st, w->c, "fwd");
	w->now += 60000;
	set_facts(w->h.st, w->c, "HQ");
	w->now += 60000;
	all_converged(w);
	assert_string_equal(facts(w->h.st, w->c), "fwd");
	assert_int_equal(tu_int(w->h.st, "SELECT count(*) FROM conflict WHERE "
	    "col = 'facts' AND winner_val = 'fwd' AND loser_val = 'HQ'"), 1);
	/* the same with a correct clock: head office's later edit wins */
	set_facts(w->ok.st, w->c, "ok");
	w->now += 60000;
	set_facts(w->h.st, w->c, "HQ2");
	w->now += 60000;
	all_converged(w);
	assert_string_equal(facts(w->h.st, w->c), "HQ2");
	skew_close(w);
}

/* Behind, edited offline after head office's edit that it had not seen:
 * the edit loses (its HLC is days old); the conflict is kept and the
 * laptop gets head office's value back. */
static void
test_behind_offline_loses(void **state)
{
	skew_world_t *w = skew_open();

	(void)state;
	set_facts(w->h.st, w->c, "HQ");
	w->now += 3600 * 1000;
	set_facts(w->back.st, w->c, "back");
	w->now += 60000;
	tu_sync_ok(&w->h, &w->back);
	assert_string_equal(facts(w->h.st, w->c), "HQ");
	assert_string_equal(facts(w->back.st, w->c), "HQ");
	assert_int_equal(tu_int(w->h.st, "SELECT count(*) FROM conflict WHERE "
	    "col = 'facts' AND winner_val = 'HQ' AND loser_val = 'back'"), 1);
	all_converged(w);
	skew_close(w);
}

/* Behind, but synced before editing: its HLC moved past everything it
 * received, so its edit orders after head office's and wins. */
static void
test_behind_after_sync_wins(void **state)
{
	skew_world_t *w = skew_open();

	(void)state;
	set_facts(w->h.st, w->c, "HQ");
	w->now += 60000;
	tu_sync_ok(&w->h, &w->back);
	assert_string_equal(facts(w->back.st, w->c), "HQ");
	w->now += 60000;
	set_facts(w->back.st, w->c, "back");
	w->now += 60000;
	tu_sync_ok(&w->h, &w->back);
	assert_string_equal(facts(w->h.st, w->c), "back");
	assert_int_equal(tu_int(w->h.st, "SELECT count(*) FROM conflict"), 0);
	all_converged(w);
	skew_close(w);
}

/* A laptop on time edits twice offline; head office edits between the
 * two. The first edit loses, the second wins: the laptop must end with
 * its second value, like the hub — not with a correction made from the
 * hub's value in the middle of merging the push. (Found by the contest.) */
static void
test_edits_around_head_office(void **state)
{
	skew_world_t *w = skew_open();

	(void)state;
	set_facts(w->ok.st, w->c, "first");
	w->now += 60000;
	set_facts(w->h.st, w->c, "HQ");
	w->now += 60000;
	set_facts(w->ok.st, w->c, "second");
	w->now += 60000;
	tu_sync_ok(&w->h, &w->ok);
	assert_string_equal(facts(w->h.st, w->c), "second");
	assert_string_equal(facts(w->ok.st, w->c), "second");
	all_converged(w);
	skew_close(w);
}

/* ---- the contest ------------------------------------------------------------ */

/* Order keys of the model: virtual ms * 1000 + a counter (HLCs order the
 * same way: ms in the high bits, a counter in the low). */
typedef struct model {
	int64_t key;        /* of the hub's current winner */
	int who;            /* 0 HQ, 1 fwd, 2 back, 3 ok */
	char val[32];
	/* per laptop: its HLC floor from what it received, and its writes
	 * not yet pushed (the last one counts; earlier ones lose to it) */
	int64_t seen[4];
	int pend[4];
	char pval[4][32];
	int64_t pkey[4];
} model_t;

static int64_t
mkey(int64_t ms)
{
	return ms * 1000;
}

/* A laptop's write at the current time: its HLC is max(clock, seen)+. */
static void
model_write(model_t *m, int who, int64_t clock_ms, const char *v)
{
	int64_t k = mkey(clock_ms);
	if (k <= m->seen[who])
		k = m->seen[who] + 1;
	if (m->pend[who] && k <= m->pkey[who])
		k = m->pkey[who] + 1;
	m->seen[who] = k;
	m->pend[who] = 1;
	m->pkey[who] = k;
	snprintf(m->pval[who], sizeof(m->pval[who]), "%s", v);
}

/* The laptop syncs at hub time now: its pending write merges (clamped
 * when its key is over 5 minutes ahead), then it receives the winner. */
static void
model_sync(model_t *m, int who, int64_t now, int64_t *hub_seq)
{
	if (m->pend[who]) {
		int64_t k = m->pkey[who];
		if (k / 1000 > now + 5 * 60 * 1000)
			k = mkey(now) + ++*hub_seq; /* the hub's tick */
		if (k > m->key) {
			m->key = k;
			m->who = who;
			snprintf(m->val, sizeof(m->val), "%s", m->pval[who]);
		}
		m->pend[who] = 0;
	}
	if (m->key > m->seen[who])
		m->seen[who] = m->key;
}

static void
test_contest(void **state)
{
	skew_world_t *w = skew_open();
	tu_agent_t *lap[4] = {NULL, &w->fwd, &w->back, &w->ok};
	const vclock_t *clk[4] = {&w->ch, &w->cf, &w->cb, &w->co};
	static const char *const names[4] = {"head office", "3 days ahead",
	    "2 days behind", "on time"};
	int rounds = tu_torture() ? 2000 : 200;
	uint64_t wins[4] = {0}, contested[4] = {0}, writes[4] = {0};
	const char *e = getenv("FSY_SEED");
	int64_t hub_seq = 0;
	model_t m;
	tu_rng_t r;

	(void)state;
	tu_rng_seed(&r, e ? strtoull(e, NULL, 10) : 11);
	memset(&m, 0, sizeof(m));
	/* everybody saw the card as created */
	m.key = mkey(w->now);
	for (int i = 1; i < 4; i++)
		m.seen[i] = m.key;
	int64_t start = fsy_now_ms();
	for (int round = 0; round < rounds; round++) {
		/* a loaded machine: stop in time for ctest's 300 s */
		if (round % 50 == 0 && round > 0 && fsy_now_ms() - start > 200 * 1000)
			rounds = round;
		if (round >= rounds)
			break;
		int wrote[4] = {0};
		for (int ev = 0; ev < 6; ev++) {
			int who = (int)tu_rng_below(&r, 4);
			char v[32];
			/* events at least a second apart: the hub's counter
			 * never decides between two of them */
			w->now += 1000 + tu_rng_below(&r, 600000);
			hub_seq = 0;
			if (getenv("FSY_TRACE_SKEW"))
				printf("r%d ev%d who %d now %lld hub %s model %s %lld\n",
				    round, ev, who, (long long)w->now, tu_text(w->h.st,
				    "SELECT (hlc >> 16) || '.' || (hlc & 65535) || ' ' || "
				    "val FROM col_version WHERE tbl = 0 AND col = 13"),
				    m.val, (long long)m.key);
			if (who == 0 || tu_rng_below(&r, 3) != 0) {
				snprintf(v, sizeof(v), "r%d-%d-%d", round, ev, who);
				set_facts(who ? lap[who]->st : w->h.st, w->c, v);
				writes[who]++;
				wrote[who] = 1;
				if (who == 0) {
					int64_t k = mkey(w->now);
					if (k <= m.key)
						k = m.key + 1;
					m.key = k;
					m.who = 0;
					snprintf(m.val, sizeof(m.val), "%s", v);
				} else {
					model_write(&m, who, vnow((void *)clk[who]), v);
				}
			} else {
				tu_sync_ok(&w->h, lap[who]);
				model_sync(&m, who, w->now, &hub_seq);
			}
		}
		/* everybody comes back, in random order */
		int first = 1 + (int)tu_rng_below(&r, 3);
		for (int k = 0; k < 3; k++) {
			int who = 1 + (first - 1 + k) % 3;
			w->now += 1000 + tu_rng_below(&r, 60000);
			hub_seq = 0;
			tu_sync_ok(&w->h, lap[who]);
			model_sync(&m, who, w->now, &hub_seq);
		}
		if (strcmp(facts(w->h.st, w->c), m.val) != 0) {
			char got[64];
			snprintf(got, sizeof(got), "%s", facts(w->h.st, w->c));
			fail_msg("round %d: hub has '%s' (version %s), the rules "
			    "say '%s' (%s, key %lld)", round, got, tu_text(w->h.st,
			    "SELECT (hlc >> 16) || '.' || (hlc & 65535) FROM "
			    "col_version WHERE tbl = 0 AND col = 13"), m.val,
			    names[m.who], (long long)m.key);
		}
		int nw = wrote[0] + wrote[1] + wrote[2] + wrote[3];
		if (nw > 1) {
			for (int i = 0; i < 4; i++)
				contested[i] += (uint64_t)wrote[i];
			wins[m.who]++;
		}
		for (int i = 1; i < 4; i++)
			model_sync(&m, i, w->now, &hub_seq);
		all_converged(w);
	}
	printf("skew: %d rounds, writes: head office %llu, 3 days ahead %llu, "
	    "2 days behind %llu, on time %llu\n", rounds,
	    (unsigned long long)writes[0], (unsigned long long)writes[1],
	    (unsigned long long)writes[2], (unsigned long long)writes[3]);
	for (int i = 0; i < 4; i++)
		printf("skew: %-13s won %llu of the %llu contested rounds it "
		    "wrote in\n", names[i], (unsigned long long)wins[i],
		    (unsigned long long)contested[i]);
	printf("skew: conflicts kept for the team lead: %lld\n",
	    (long long)tu_int(w->h.st, "SELECT count(*) FROM conflict"));
	/* the clock set forward wins some, never all */
	assert_true(wins[1] > 0);
	assert_true(wins[1] < contested[1]);
	/* no version at the hub is stamped ahead of the hub's clock (by more
	 * than max_skew), none of the laptop ahead with its own clock */
	{
		char sql[256];
		snprintf(sql, sizeof(sql), "SELECT count(*) FROM col_version WHERE "
		    "(hlc >> 16) > %lld", (long long)(w->now + 300000));
		assert_int_equal(tu_int(w->h.st, sql), 0);
		snprintf(sql, sizeof(sql), "SELECT count(*) FROM col_version WHERE "
		    "site = '%s' AND (hlc >> 16) > %lld", w->fwd.device_id,
		    (long long)w->now);
		assert_int_equal(tu_int(w->h.st, sql), 0);
	}
	skew_close(w);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ahead_then_head_office),
		cmocka_unit_test(test_ahead_offline_edit_ordered_at_arrival),
		cmocka_unit_test(test_behind_offline_loses),
		cmocka_unit_test(test_behind_after_sync_wins),
		cmocka_unit_test(test_edits_around_head_office),
		cmocka_unit_test(test_contest),
	};
	if (getenv("FSY_TEST_FILTER"))
		cmocka_set_test_filter(getenv("FSY_TEST_FILTER"));
	return cmocka_run_group_tests(tests, NULL, NULL);
}
