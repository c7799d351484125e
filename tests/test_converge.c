/*
 * test_converge.c — a hub and three agents (one with two laptops) and a
 * team lead, over real nng sockets on loopback: concurrent offline edits,
 * a conflict between two laptops, a conflict with head office, a
 * reassignment and an agent's departure; after each phase every replica's
 * content hash equals the hub's view of its scope.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "tu_nng.h"
#include "util.h"

#define A1 "0190b000-0000-7000-8000-0000000000a1"
#define A2 "0190b000-0000-7000-8000-0000000000a2"
#define A3 "0190b000-0000-7000-8000-0000000000a3"
#define L1 "0190b000-0000-7000-8000-0000000000f1"

static tu_hub_t H;
static tu_agent_t ag[5]; /* a1, a1 second laptop, a2, a3, lead */
static char cust[30][37];

static void
run_phase(int rounds)
{
	char url[64];
	tu_nng_hub_t *nh = tu_nng_hub_start(&H, url, sizeof(url));
	nng_socket s[5];

	for (int i = 0; i < 5; i++)
		s[i] = tu_nng_dial(url);
	for (int r = 0; r < rounds; r++)
		for (int i = 0; i < 5; i++) {
			int rc = tu_nng_sync(&ag[i], s[i]);
			if (rc != FSY_OK)
				fail_msg("agent %d round %d: %s: %s", i, r,
				    fsy_strerror(rc), ag[i].sess.errmsg);
		}
	for (int i = 0; i < 5; i++)
		nng_close(s[i]);
	tu_nng_hub_stop(nh);
}

static void
assert_converged(void)
{
	for (int i = 0; i < 5; i++)
		tu_assert_converged(&H, &ag[i]);
}

static void edit(tu_agent_t *a, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
edit(tu_agent_t *a, const char *fmt, ...)
{
	char sql[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(sql, sizeof(sql), fmt, ap);
	va_end(ap);
	tu_exec(a->st, sql);
}

static void
test_converge_over_nng(void **state)
{
	(void)state;
	char sql[1024];

	tu_hub_open(&H, "hub.db");
	tu_hub_agent(&H, A1, "A1", "t1", "agent");
	tu_hub_agent(&H, A2, "A2", "t1", "agent");
	tu_hub_agent(&H, A3, "A3", "t2", "agent");
	tu_hub_agent(&H, L1, "L1", "t1", "lead");
	const char *own[3] = {A1, A2, A3};
	for (int i = 0; i < 30; i++) {
		char name[16];
		snprintf(name, sizeof(name), "李%02d", i);
		tu_hub_customer(&H, cust[i], name, own[i / 10], own[i / 10]);
	}
	tu_agent_open(&H, &ag[0], "a1.db", A1);
	tu_agent_open(&H, &ag[1], "a1b.db", A1);
	tu_agent_open(&H, &ag[2], "a2.db", A2);
	tu_agent_open(&H, &ag[3], "a3.db", A3);
	tu_agent_open(&H, &ag[4], "lead.db", L1);

	/* Phase 1: everyone fills an empty laptop. */
	run_phase(1);
	assert_int_equal(tu_int(ag[0].st, "SELECT count(*) FROM customer"), 10);
	assert_int_equal(tu_int(ag[1].st, "SELECT count(*) FROM customer"), 10);
	assert_int_equal(tu_int(ag[4].st, "SELECT count(*) FROM customer"), 20);
	assert_converged();

	/* Phase 2: offline. Both of A1's laptops edit the same field of the
	 * same card; every agent records visits and edits; head office
	 * changes a phone an agent also changed. */
	edit(&ag[0], "UPDATE customer SET rating = 'A' WHERE id = '%s'", cust[0]);
	usleep(5000);
	edit(&ag[1], "UPDATE customer SET rating = 'C' WHERE id = '%s'", cust[0]);
	for (int i = 0; i < 4; i++) {
		tu_agent_t *a = &ag[i];
		const char *agent = i < 2 ? A1 : own[i - 1];
		int base = i < 2 ? 0 : (i - 1) * 10;
		for (int k = 1; k < 6; k++) {
			char vid[37];
			fsy_uuid_v7(vid);
			snprintf(sql, sizeof(sql), "INSERT INTO visit(id, customer_id, "
			    "agent_id, happened_at, recorded_at, channel, topic, "
			    "customer_said) VALUES ('%s','%s','%s','2026-11-21T10:00:00Z',"
			    "'2026-11-21T11:00:00Z','visit','general','第%d次拜访');"
			    "UPDATE customer SET occupation = '职业%d' WHERE id = '%s'",
			    vid, cust[base + k], agent, k, i, cust[base + k]);
			tu_exec(a->st, sql);
		}
	}
	edit(&ag[2], "UPDATE customer SET phone = '13500000000' WHERE id = '%s'", cust[12]);
	usleep(5000);
	snprintf(sql, sizeof(sql), "UPDATE customer SET phone = '13600000000' WHERE id = '%s'", cust[12]);
	tu_exec(H.st, sql);
	run_phase(2);
	assert_converged();
	assert_int_equal(tu_int(H.st, "SELECT count(*) FROM visit"), 20);
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM conflict WHERE row_id = '%s' AND col = 'rating'", cust[0]);
	assert_int_equal(tu_int(H.st, sql), 1);
	snprintf(sql, sizeof(sql), "SELECT rating FROM customer WHERE id = '%s'", cust[0]);
	assert_string_equal(tu_text(ag[0].st, sql), tu_text(ag[1].st, sql));
	assert_string_equal(tu_text(ag[0].st, sql), "C");
	snprintf(sql, sizeof(sql), "SELECT phone FROM customer WHERE id = '%s'", cust[12]);
	assert_string_equal(tu_text(ag[2].st, sql), "13600000000");

	/* Phase 3: a customer of A1 moves to A2 while A1's first laptop has
	 * an unsent edit of it; A3 departs and its customers go to A2. */
	edit(&ag[0], "UPDATE customer SET address = '海淀区' WHERE id = '%s'", cust[9]);
	snprintf(sql, sizeof(sql), "UPDATE customer SET owner_agent_id = '%s' WHERE id = '%s';"
	    "UPDATE agent SET status = 'departed', left_on = '2026-11-22' WHERE id = '%s';"
	    "UPDATE customer SET owner_agent_id = '%s' WHERE owner_agent_id = '%s'",
	    A2, cust[9], A3, A2, A3);
	tu_exec(H.st, sql);
	run_phase(2);
	assert_converged();
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM customer WHERE id = '%s'", cust[9]);
	assert_int_equal(tu_int(ag[0].st, sql), 0);
	assert_int_equal(tu_int(ag[1].st, sql), 0);
	assert_int_equal(tu_int(ag[2].st, sql), 1);
	snprintf(sql, sizeof(sql), "SELECT address FROM customer WHERE id = '%s'", cust[9]);
	assert_string_equal(tu_text(ag[2].st, sql), "海淀区");
	assert_int_equal(tu_int(ag[3].st, "SELECT count(*) FROM customer"), 0);
	assert_int_equal(tu_int(ag[2].st, "SELECT count(*) FROM customer"), 21);
	assert_int_equal(tu_int(ag[4].st, "SELECT count(*) FROM customer"), 30);

	for (int i = 0; i < 5; i++)
		tu_agent_close(&ag[i]);
	tu_hub_close(&H);
	tu_cleanup();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_converge_over_nng),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
