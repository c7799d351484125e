/*
 * test_merge.c — the hub merge against a reference model.
 *
 * Three laptops of one agent edit the same columns of the same customers
 * with known HLCs. Their PUSH batches reach the hub in many interleavings,
 * some delivered twice. Every interleaving must end in the same hub state,
 * and that state must be the reference model's: per column, the value of
 * the write with the greatest (hlc, site).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tables.h"
#include "tu_sync.h"
#include "util.h"

#define AG "0190c000-0000-7000-8000-0000000000a1"
#define NDEV 3
#define NBATCH 4
#define NPER 6
#define NCUST 4

static const char *cust[NCUST] = {
	"0190c000-0000-7000-8000-000000000c01",
	"0190c000-0000-7000-8000-000000000c02",
	"0190c000-0000-7000-8000-000000000c03",
	"0190c000-0000-7000-8000-000000000c04",
};
static const char *dev[NDEV] = {
	"0190c000-0000-7000-8000-000000000d01",
	"0190c000-0000-7000-8000-000000000d02",
	"0190c000-0000-7000-8000-000000000d03",
};
static const char *cols[] = {"phone", "rating", "occupation", "address"};

typedef struct batch {
	fsy_change_t ch[NPER];
	char text[NPER][16];
	uint8_t head[32];
} batch_t;

static batch_t B[NDEV][NBATCH];
static uint64_t base_hlc;

static uint64_t
rnd(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static void
make_batches(uint64_t seed)
{
	uint64_t s = seed;
	static const char *ratings[] = {"A", "B", "C", "D"};

	base_hlc = FSY_HLC_MAKE(fsy_now_ms() + 10 * 60 * 1000, 0); /* after every set-up write */
	for (int d = 0; d < NDEV; d++) {
		uint8_t prev[32] = {0};
		int64_t seq = 0;
		for (int b = 0; b < NBATCH; b++) {
			for (int k = 0; k < NPER; k++) {
				fsy_change_t *c = &B[d][b].ch[k];
				int ci = (int)(rnd(&s) % 4);
				memset(c, 0, sizeof(*c));
				c->seq = ++seq;
				c->tbl = FSY_T_CUSTOMER;
				c->col = (uint8_t)fsy_col_find(FSY_T_CUSTOMER, cols[ci]);
				snprintf(c->row_id, 37, "%s", cust[rnd(&s) % NCUST]);
				memcpy(c->customer_id, c->row_id, 37);
				/* equal HLCs across laptops happen: the site breaks ties */
				c->hlc = base_hlc + rnd(&s) % 64;
				c->val.type = FSY_VAL_TEXT;
				if (ci == 1)
					snprintf(B[d][b].text[k], 16, "%s", ratings[rnd(&s) % 4]);
				else
					snprintf(B[d][b].text[k], 16, "v%d-%d-%d", d, b, k);
				c->val.s = B[d][b].text[k];
				c->val.n = strlen(B[d][b].text[k]);
				fsy_chain_hash(prev, c->seq, c->tbl, c->col, c->row_id,
				    c->hlc, dev[d], &c->val, prev);
			}
			memcpy(B[d][b].head, prev, 32);
		}
	}
}

/* The reference: per (row, col), the greatest (hlc, site) write's value. */
static const char *
model_value(const char *row, int col)
{
	const char *best = NULL, *best_site = NULL;
	uint64_t best_hlc = 0;

	for (int d = 0; d < NDEV; d++)
		for (int b = 0; b < NBATCH; b++)
			for (int k = 0; k < NPER; k++) {
				fsy_change_t *c = &B[d][b].ch[k];
				if (c->col != col || strcmp(c->row_id, row) != 0)
					continue;
				if (best == NULL || c->hlc > best_hlc ||
				    (c->hlc == best_hlc && strcmp(dev[d], best_site) > 0)) {
					best = B[d][b].text[k];
					best_hlc = c->hlc;
					best_site = dev[d];
				}
			}
	return best;
}

static int
push(tu_hub_t *h, fsy_hub_conn_t *conn, int d, int b)
{
	fsy_msg_t m, r;
	fsy_buf_t out = {0};
	int64_t acked;

	memset(&m, 0, sizeof(m));
	m.type = FSY_MSG_PUSH;
	m.u.push.changes = B[d][b].ch;
	m.u.push.nchanges = NPER;
	memcpy(m.u.push.head, B[d][b].head, 32);
	assert_int_equal(fsy_hub_handle(&h->hub, conn, &m, &out), FSY_OK);
	assert_int_equal(fsy_msg_decode(out.data, out.len, &r), FSY_OK);
	assert_int_equal(r.type, FSY_MSG_ACK);
	acked = r.u.ack.acked;
	assert_int_equal(r.u.ack.nrejects, 0);
	fsy_msg_free(&r);
	fsy_buf_free(&out);
	return (int)acked;
}

/* Delivers every batch in an order drawn from seed, with duplicates and
 * early (out-of-order) deliveries that the hub must refuse harmlessly;
 * returns the content hash of the result. */
static void
run(uint64_t seed, int n, uint8_t hash[32])
{
	tu_hub_t h;
	fsy_hub_conn_t conn[NDEV];
	int next[NDEV] = {0};
	char name[32], sql[512];
	uint64_t s = seed;

	snprintf(name, sizeof(name), "hub%d.db", n);
	tu_hub_open(&h, name);
	h.hub.limits.max_skew_ms = 3600 * 1000;
	tu_hub_agent(&h, AG, "A1", "t1", "agent");
	for (int c = 0; c < NCUST; c++) {
		snprintf(sql, sizeof(sql), "INSERT INTO customer(id, customer_id, name, "
		    "phone, rating, owner_agent_id) VALUES ('%s','%s','客户%d','100','B','%s')",
		    cust[c], cust[c], c, AG);
		tu_exec(h.st, sql);
	}
	for (int d = 0; d < NDEV; d++) {
		uint8_t pk[32] = {(uint8_t)d};
		assert_int_equal(fsy_hub_device_add(h.st, dev[d], AG, pk, "x"), FSY_OK);
		for (int c = 0; c < NCUST; c++) {
			snprintf(sql, sizeof(sql), "INSERT INTO device_scope(device_id, "
			    "customer_id) VALUES ('%s','%s')", dev[d], cust[c]);
			tu_exec(h.st, sql);
		}
		memset(&conn[d], 0, sizeof(conn[d]));
		conn[d].authed = 1;
		snprintf(conn[d].device_id, 37, "%s", dev[d]);
		snprintf(conn[d].agent_id, 37, "%s", AG);
	}
	for (int left = NDEV * NBATCH; left > 0;) {
		int d = (int)(rnd(&s) % NDEV);
		if (next[d] == NBATCH)
			continue;
		int r = (int)(rnd(&s) % 8);
		if (r == 0 && next[d] > 0) {
			/* a duplicate of something already merged: the same
			 * ACK as the first time (PROTOCOL.md §8) */
			int b = (int)(rnd(&s) % (uint64_t)next[d]);
			assert_int_equal(push(&h, &conn[d], d, b), (b + 1) * NPER);
		} else if (r == 1 && next[d] + 1 < NBATCH) {
			/* too early: the hub answers with what it has */
			assert_int_equal(push(&h, &conn[d], d, next[d] + 1), next[d] * NPER);
		} else {
			assert_int_equal(push(&h, &conn[d], d, next[d]), (next[d] + 1) * NPER);
			next[d]++;
			left--;
		}
	}
	/* the model's values, column by column */
	for (int c = 0; c < NCUST; c++)
		for (int k = 0; k < 4; k++) {
			int col = fsy_col_find(FSY_T_CUSTOMER, cols[k]);
			const char *want = model_value(cust[c], col);
			snprintf(sql, sizeof(sql), "SELECT %s FROM customer WHERE id = '%s'",
			    cols[k], cust[c]);
			if (want)
				assert_string_equal(tu_text(h.st, sql), want);
		}
	assert_true(tu_int(h.st, "SELECT count(*) FROM conflict") > 0);
	assert_int_equal(tu_int(h.st, "SELECT count(*) FROM rejected_change"), 0);
	assert_int_equal(fsy_hub_scope_hash(h.st, AG, hash), FSY_OK);
	tu_hub_close(&h);
}

static void
test_merge_order_independent_and_idempotent(void **state)
{
	(void)state;
	uint8_t first[32], h[32];

	make_batches(42);
	run(1, 0, first);
	for (int n = 1; n < 25; n++) {
		run(1000 + (uint64_t)n * 7919, n, h);
		assert_memory_equal(first, h, 32);
	}
	tu_cleanup();
}

static void
test_merge_other_seeds(void **state)
{
	(void)state;
	uint8_t first[32], h[32];

	for (uint64_t seed = 1; seed <= 5; seed++) {
		make_batches(seed * 1000003);
		run(seed, (int)seed * 100, first);
		run(seed * 31 + 7, (int)seed * 100 + 1, h);
		assert_memory_equal(first, h, 32);
	}
	tu_cleanup();
}

/* A column visits may not change again; a change for a customer the
 * device does not hold is refused, whatever order things come in. */
static void
test_merge_authority(void **state)
{
	(void)state;
	tu_hub_t h;
	tu_agent_t a;
	char c1[37], c2[37], sql[512];

	tu_hub_open(&h, "auth.db");
	tu_hub_agent(&h, AG, "A1", "t1", "agent");
	tu_hub_agent(&h, "0190c000-0000-7000-8000-0000000000a2", "A2", "t1", "agent");
	tu_hub_customer(&h, c1, "张三", AG, AG);
	tu_hub_customer(&h, c2, "李四", "0190c000-0000-7000-8000-0000000000a2", NULL);
	tu_agent_open(&h, &a, "a.db", AG);
	tu_sync_ok(&h, &a);

	char vid[37];
	fsy_uuid_v7(vid);
	snprintf(sql, sizeof(sql), "INSERT INTO visit(id, customer_id, agent_id, "
	    "happened_at, recorded_at, channel, topic, customer_said) VALUES "
	    "('%s','%s','%s','2026-11-20T10:00:00Z','2026-11-20T10:05:00Z','visit',"
	    "'general','原话')", vid, c1, AG);
	tu_exec(a.st, sql);
	tu_sync_ok(&h, &a);
	/* rewriting a synced visit is refused and undone */
	snprintf(sql, sizeof(sql), "UPDATE visit SET customer_said = '改过的话' WHERE id = '%s'", vid);
	tu_exec(a.st, sql);
	tu_sync_ok(&h, &a);
	snprintf(sql, sizeof(sql), "SELECT customer_said FROM visit WHERE id = '%s'", vid);
	assert_string_equal(tu_text(h.st, sql), "原话");
	assert_string_equal(tu_text(a.st, sql), "原话");
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM rejected_change WHERE code = %d", FSY_EINSERTONLY);
	assert_int_equal(tu_int(h.st, sql), 1);
	tu_assert_converged(&h, &a);
	tu_agent_close(&a);
	tu_hub_close(&h);
	tu_cleanup();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_merge_order_independent_and_idempotent),
		cmocka_unit_test(test_merge_other_seeds),
		cmocka_unit_test(test_merge_authority),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
