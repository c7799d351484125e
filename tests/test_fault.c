/*
 * test_fault.c — network faults between laptops and the hub, in process.
 *
 * Every frame goes through the codec over a link (tu_world.c, tw_round)
 * that loses requests (the hub never saw them) and replies (the hub
 * acted), delivers requests twice (the reply of either copy comes back),
 * delivers the second copy after the next request (reordering), cuts
 * requests and replies short (they must not decode: the hub answers
 * EMALFORMED, a laptop ends the round), and replays a device's old
 * request from an earlier round on its new connection. Meanwhile laptops
 * write, head office edits, moves customers and imports. Every 100 steps
 * and at the end everybody syncs over a clean link and every guarantee
 * is checked (tw_check_all).
 *
 * Also, two cuts found by these runs: head office moves a customer away
 * and back while the laptop has not yet erased it (revoke reply lost, or
 * changes still pending); a laptop writes to a customer whose snapshot it
 * applied but could not yet acknowledge; a push whose ACK was lost,
 * resent in smaller batches.
 *
 * FSY_TORTURE=1: ten times the steps, or as many as fit in 110 s per run
 * (the count is printed). FSY_SEED=N: another seed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tu_world.h"
#include "util.h"

static uint64_t
base_seed(void)
{
	const char *e = getenv("FSY_SEED");
	return e ? strtoull(e, NULL, 10) : 7;
}

static void
run_faults(const char *name, const tw_faults_t *f, int steps)
{
	tw_world_t *w = calloc(1, sizeof(*w));
	tw_stats_t st;
	int checks = 0;

	assert_non_null(w);
	tu_cleanup();
	memset(&st, 0, sizeof(st));
	tu_fault_install();
	tu_fault_nosync(1);
	tw_open(w, 4, 3, &st, base_seed());
	tw_converge(w);
	w->faults = f;
	int64_t start = fsy_now_ms();
	for (int s = 1; s <= steps; s++) {
		if (tw_step(w) == FSY_EINTERNAL)
			fail_msg("step %d: %s", s, w->err);
		/* a loaded machine: stop in time for ctest's 300 s (both runs) */
		if (s % 100 == 0 && fsy_now_ms() - start > 110 * 1000)
			steps = s;
		if (s % 100 == 0 || s == steps) {
			tw_converge(w);
			tw_check_all(w);
			checks++;
		}
	}
	tw_print_stats(name, &st);
	printf("%s: seed %llu, %d steps, %d full convergence checks\n", name,
	    (unsigned long long)base_seed(), steps, checks);
	tw_close(w);
	free(w);
	tu_cleanup();
}

/* Lost, doubled, reordered and truncated frames, all at once. */
static void
test_lossy_link(void **state)
{
	static const tw_faults_t f = {
		.drop_req = 40, .drop_rep = 40, .dup_req = 60, .late_dup = 40,
		.trunc_req = 25, .trunc_rep = 25,
	};
	(void)state;
	run_faults("fault", &f, tu_torture() ? 12000 : 1200);
}

/* A device's old requests replayed on its later connections. */
static void
test_replayed_requests(void **state)
{
	static const tw_faults_t f = {.replay = 120};
	(void)state;
	run_faults("fault-replay", &f, tu_torture() ? 6000 : 600);
}

/* ---- a customer moved away and back before the laptop erased it ---------- */

#define A1 "0190c000-0000-7000-8000-0000000000a1"
#define A2 "0190c000-0000-7000-8000-0000000000a2"

static void
away_and_back(int pending)
{
	tu_hub_t h;
	tu_agent_t a1;
	char c[37], sql[512];

	tu_cleanup();
	tu_hub_open(&h, "hub.db");
	tu_hub_agent(&h, A1, "A1", "t1", "agent");
	tu_hub_agent(&h, A2, "A2", "t1", "agent");
	tu_hub_customer(&h, c, "王一", A1, A1);
	tu_agent_open(&h, &a1, "a1.db", A1);
	tu_sync_ok(&h, &a1);
	assert_int_equal(tu_int(a1.st, "SELECT count(*) FROM customer"), 1);

	/* head office moves the customer to A2 ... */
	snprintf(sql, sizeof(sql), "UPDATE customer SET owner_agent_id = '%s' "
	    "WHERE id = '%s'", A2, c);
	tu_exec(h.st, sql);
	if (pending) {
		/* ... while the laptop has an edit the hub has not seen */
		snprintf(sql, sizeof(sql), "UPDATE customer SET phone = "
		    "'13900000001' WHERE id = '%s'", c);
		tu_exec(a1.st, sql);
		/* the round pushes first, then the REVOKE arrives; lose the
		 * ACK so the edit stays pending and the customer stays */
		assert_int_equal(tu_sync(&h, &a1, 2), FSY_ETIMEOUT);
		assert_int_equal(tu_sync(&h, &a1, 3), FSY_ETIMEOUT);
	} else {
		/* HELLO, AUTH, PULL -> REVOKE: the REVOKE is lost */
		assert_int_equal(tu_sync(&h, &a1, 2), FSY_ETIMEOUT);
	}
	assert_int_equal(tu_int(a1.st, "SELECT count(*) FROM customer"), 1);
	/* ... and back, then edits the card */
	snprintf(sql, sizeof(sql), "UPDATE customer SET owner_agent_id = '%s' "
	    "WHERE id = '%s'", A1, c);
	tu_exec(h.st, sql);
	snprintf(sql, sizeof(sql), "UPDATE customer SET address = '总部新地址' "
	    "WHERE id = '%s'", c);
	tu_exec(h.st, sql);
	tu_sync_ok(&h, &a1);
	tu_sync_ok(&h, &a1);
	snprintf(sql, sizeof(sql), "SELECT address FROM customer WHERE id = '%s'",
	    c);
	assert_string_equal(tu_text(a1.st, sql), "总部新地址");
	tu_assert_converged(&h, &a1);
	/* and later edits keep arriving */
	snprintf(sql, sizeof(sql), "UPDATE customer SET address = '又一个地址' "
	    "WHERE id = '%s'", c);
	tu_exec(h.st, sql);
	tu_sync_ok(&h, &a1);
	snprintf(sql, sizeof(sql), "SELECT address FROM customer WHERE id = '%s'",
	    c);
	assert_string_equal(tu_text(a1.st, sql), "又一个地址");
	tu_assert_converged(&h, &a1);
	tu_agent_close(&a1);
	tu_hub_close(&h);
	tu_cleanup();
}

static void
test_moved_back_revoke_lost(void **state)
{
	(void)state;
	away_and_back(0);
}

static void
test_moved_back_with_pending(void **state)
{
	(void)state;
	away_and_back(1);
}

/* Runs a round of a over an in-process link and stops once the laptop
 * has applied n replies: its next request never reaches the hub (the
 * connection broke, or the laptop was switched off). */
static void
round_cut_after(tu_hub_t *h, tu_agent_t *a, int n)
{
	fsy_buf_t req = {0}, rep = {0};
	fsy_msg_t m;
	int done = 0;

	memset(&h->conns[a->conn], 0, sizeof(h->conns[a->conn]));
	assert_int_equal(fsy_agent_session_start(&a->sess, &req), FSY_OK);
	for (int k = 0; k < n && !done; k++) {
		assert_int_equal(fsy_msg_decode(req.data, req.len, &m), FSY_OK);
		assert_int_equal(fsy_hub_handle(&h->hub, &h->conns[a->conn], &m,
		    &rep), FSY_OK);
		fsy_msg_free(&m);
		assert_int_equal(fsy_msg_decode(rep.data, rep.len, &m), FSY_OK);
		assert_int_equal(fsy_agent_session_step(&a->sess, &m, &req, &done),
		    FSY_OK);
		if (fsy_agent_session_deferred(&a->sess))
			assert_int_equal(fsy_agent_session_apply(&a->sess, &m),
			    FSY_OK);
		fsy_msg_free(&m);
	}
	assert_false(done);
	a->sess.state = FSY_AS_FAILED;
	fsy_buf_free(&req);
	fsy_buf_free(&rep);
}

/* A laptop applied a SNAPSHOT of a newly assigned customer, but the PULL
 * that acknowledges it never arrived; the agent records a visit with the
 * customer. The visit is the owner's and must be accepted. */
static void
test_write_before_snapshot_ack(void **state)
{
	tu_hub_t h;
	tu_agent_t a1;
	char c[37], vid[37], sql[512];

	(void)state;
	tu_cleanup();
	tu_hub_open(&h, "hub.db");
	tu_hub_agent(&h, A1, "A1", "t1", "agent");
	tu_hub_agent(&h, A2, "A2", "t1", "agent");
	tu_hub_customer(&h, c, "王二", A2, A2);
	tu_agent_open(&h, &a1, "a1.db", A1);
	tu_sync_ok(&h, &a1);
	assert_int_equal(tu_int(a1.st, "SELECT count(*) FROM customer"), 0);
	snprintf(sql, sizeof(sql), "UPDATE customer SET owner_agent_id = '%s' "
	    "WHERE id = '%s'", A1, c);
	tu_exec(h.st, sql);
	/* HELLO, AUTH, PULL -> SNAPSHOT applied; the acknowledging PULL is
	 * lost with the connection */
	round_cut_after(&h, &a1, 3);
	assert_int_equal(tu_int(a1.st, "SELECT count(*) FROM customer"), 1);
	fsy_uuid_v7(vid);
	snprintf(sql, sizeof(sql), "INSERT INTO visit(id, customer_id, agent_id, "
	    "happened_at, recorded_at, channel, topic) VALUES ('%s','%s','%s',"
	    "'2026-11-21T09:00:00Z','2026-11-21T09:05:00Z','visit','general')",
	    vid, c, A1);
	tu_exec(a1.st, sql);
	tu_sync_ok(&h, &a1);
	assert_int_equal(tu_int(h.st, "SELECT count(*) FROM rejected_change"), 0);
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM visit WHERE id = '%s'",
	    vid);
	assert_int_equal(tu_int(h.st, sql), 1);
	assert_int_equal(tu_int(a1.st, sql), 1);
	tu_assert_converged(&h, &a1);
	tu_agent_close(&a1);
	tu_hub_close(&h);
	tu_cleanup();
}

/* A PUSH whose ACK was lost is resent in smaller batches (the limits
 * changed, or the batch ends elsewhere): each resent batch must be
 * answered for what it holds, so that the refusal of an entry in a later
 * batch still reaches the laptop. */
static void
test_resend_in_smaller_batches(void **state)
{
	tu_hub_t h;
	tu_agent_t a1;
	char c[3][37], sql[512];

	(void)state;
	tu_cleanup();
	tu_hub_open(&h, "hub.db");
	tu_hub_agent(&h, A1, "A1", "t1", "agent");
	for (int i = 0; i < 3; i++)
		tu_hub_customer(&h, c[i], "王三", A1, A1);
	tu_agent_open(&h, &a1, "a1.db", A1);
	tu_sync_ok(&h, &a1);
	/* five entries on alternating rows; the fourth is head office's */
	snprintf(sql, sizeof(sql), "UPDATE customer SET phone = '13900000001' "
	    "WHERE id = '%s'; UPDATE customer SET phone = '13900000002' WHERE "
	    "id = '%s'; UPDATE customer SET phone = '13900000003' WHERE id = "
	    "'%s'; UPDATE customer SET star_level = 5 WHERE id = '%s'; UPDATE "
	    "customer SET phone = '13900000004' WHERE id = '%s'", c[0], c[1],
	    c[2], c[0], c[1]);
	tu_exec(a1.st, sql);
	/* HELLO, AUTH, PUSH of all five: merged, the ACK lost */
	assert_int_equal(tu_sync(&h, &a1, 2), FSY_ETIMEOUT);
	a1.sess.limits.max_changes = 2;
	tu_sync_ok(&h, &a1);
	assert_int_equal(tu_int(h.st, "SELECT count(*) FROM rejected_change"), 1);
	assert_int_equal(tu_int(a1.st, "SELECT count(*) FROM rejection"), 1);
	snprintf(sql, sizeof(sql), "SELECT ifnull(star_level, -1) FROM customer "
	    "WHERE id = '%s'", c[0]);
	assert_int_equal(tu_int(a1.st, sql), tu_int(h.st, sql));
	tu_assert_converged(&h, &a1);
	tu_agent_close(&a1);
	tu_hub_close(&h);
	tu_cleanup();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_moved_back_revoke_lost),
		cmocka_unit_test(test_moved_back_with_pending),
		cmocka_unit_test(test_write_before_snapshot_ack),
		cmocka_unit_test(test_resend_in_smaller_batches),
		cmocka_unit_test(test_lossy_link),
		cmocka_unit_test(test_replayed_requests),
	};
	if (getenv("FSY_TEST_FILTER"))
		cmocka_set_test_filter(getenv("FSY_TEST_FILTER"));
	return cmocka_run_group_tests(tests, NULL, NULL);
}
