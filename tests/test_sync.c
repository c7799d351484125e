/*
 * test_sync.c — the sync engine end to end, in process: every frame goes
 * through the proto codec, the hub and the agents have their own stores.
 * Scenarios: bootstrap, offline edits, conflicts with head office, rejects,
 * reassignment with pending changes, departure, lost replies at every step,
 * tampered logs, clock skew.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "tu_sync.h"
#include "util.h"

#define A1 "0190a000-0000-7000-8000-0000000000a1"
#define A2 "0190a000-0000-7000-8000-0000000000a2"
#define A3 "0190a000-0000-7000-8000-0000000000a3"
#define L1 "0190a000-0000-7000-8000-0000000000f1"

typedef struct world {
	tu_hub_t h;
	tu_agent_t a1, a2, a3, lead;
	char c[12][37]; /* customers: 0-3 of A1, 4-7 of A2, 8-11 of A3 */
} world_t;

static world_t W;

static void
world_open(void)
{
	tu_cleanup();
	memset(&W, 0, sizeof(W));
	tu_hub_open(&W.h, "hub.db");
	tu_hub_agent(&W.h, A1, "A1", "t1", "agent");
	tu_hub_agent(&W.h, A2, "A2", "t1", "agent");
	tu_hub_agent(&W.h, A3, "A3", "t2", "agent");
	tu_hub_agent(&W.h, L1, "L1", "t1", "lead");
	const char *own[3] = {A1, A2, A3};
	for (int i = 0; i < 12; i++) {
		char name[32];
		snprintf(name, sizeof(name), "王%02d", i);
		tu_hub_customer(&W.h, W.c[i], name, own[i / 4], own[i / 4]);
	}
	tu_agent_open(&W.h, &W.a1, "a1.db", A1);
	tu_agent_open(&W.h, &W.a2, "a2.db", A2);
	tu_agent_open(&W.h, &W.a3, "a3.db", A3);
	tu_agent_open(&W.h, &W.lead, "lead.db", L1);
}

static int
setup(void **state)
{
	(void)state;
	world_open();
	return 0;
}

static void
world_close(void)
{
	tu_agent_close(&W.a1);
	tu_agent_close(&W.a2);
	tu_agent_close(&W.a3);
	tu_agent_close(&W.lead);
	tu_hub_close(&W.h);
	tu_cleanup();
}

static void
sync_all(void)
{
	tu_sync_ok(&W.h, &W.a1);
	tu_sync_ok(&W.h, &W.a2);
	tu_sync_ok(&W.h, &W.a3);
	tu_sync_ok(&W.h, &W.lead);
}

/* Brings every laptop up to date, then compares every replica with its
 * hub scope. */
static void
assert_all_converged(void)
{
	sync_all();
	tu_assert_converged(&W.h, &W.a1);
	tu_assert_converged(&W.h, &W.a2);
	tu_assert_converged(&W.h, &W.a3);
	tu_assert_converged(&W.h, &W.lead);
}

static int64_t q(fsy_store_t *st, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static const char *qt(fsy_store_t *st, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void xexec(fsy_store_t *st, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int64_t
q(fsy_store_t *st, const char *fmt, ...)
{
	char sql[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(sql, sizeof(sql), fmt, ap);
	va_end(ap);
	return tu_int(st, sql);
}

static const char *
qt(fsy_store_t *st, const char *fmt, ...)
{
	char sql[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(sql, sizeof(sql), fmt, ap);
	va_end(ap);
	return tu_text(st, sql);
}

static void
xexec(fsy_store_t *st, const char *fmt, ...)
{
	char sql[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(sql, sizeof(sql), fmt, ap);
	va_end(ap);
	tu_exec(st, sql);
}

/* A laptop receives exactly its owner's customers, a lead the team's. */
static void
test_bootstrap_scoped(void **state)
{
	(void)state;
	sync_all();
	assert_int_equal(tu_int(W.a1.st, "SELECT count(*) FROM customer"), 4);
	assert_int_equal(tu_int(W.a1.st, "SELECT count(*) FROM policy"), 4);
	assert_int_equal(tu_int(W.a1.st, "SELECT count(*) FROM person"), 4);
	assert_int_equal(q(W.a1.st, "SELECT count(*) FROM customer WHERE owner_agent_id = '%s'", A1), 4);
	assert_int_equal(tu_int(W.a3.st, "SELECT count(*) FROM customer"), 4);
	assert_int_equal(tu_int(W.lead.st, "SELECT count(*) FROM customer"), 8);
	/* pulled data is not captured as local changes */
	assert_int_equal(tu_int(W.a1.st, "SELECT count(*) FROM change_log"), 0);
	assert_all_converged();
	/* a second round moves nothing */
	tu_sync_ok(&W.h, &W.a1);
	assert_int_equal(W.a1.sess.stats.pulled, 0);
}

/* SNAPSHOT frames are as large as the laptop's PULL allows, and no
 * larger: whole customers, as many as fit, one alone when it is larger. */
static void
test_snapshot_frames_follow_pull_limits(void **state)
{
	int per_customer;

	(void)state;
	W.a1.sess.limits.max_changes = 1;
	W.h.snapshots = W.h.snap_multi_max = 0;
	tu_sync_ok(&W.h, &W.a1);
	assert_int_equal(W.h.snapshots, 4); /* one customer a frame */
	assert_int_equal(W.h.snap_multi_max, 0);
	per_customer = (int)W.a1.sess.stats.pulled / 4;
	assert_true(per_customer > 1);
	/* room for two customers (they are alike): two frames of two */
	W.a3.sess.limits.max_changes = (uint32_t)(2 * per_customer + 1);
	W.h.snapshots = W.h.snap_multi_max = 0;
	tu_sync_ok(&W.h, &W.a3);
	assert_int_equal(W.h.snapshots, 2);
	assert_true(W.h.snap_multi_max <= W.a3.sess.limits.max_changes);
	/* the defaults: the lead's eight customers in one frame */
	W.h.snapshots = W.h.snap_multi_max = 0;
	tu_sync_ok(&W.h, &W.lead);
	assert_int_equal(W.h.snapshots, 1);
	assert_all_converged();
}

/* A laptop that sends the next PULL before it applies a SNAPSHOT and
 * stops (a crash, a lost connection) before applying it: that frame's
 * customers were never acknowledged, so the next round sends them again;
 * a frame applied but not yet acknowledged is sent again too. Nothing is
 * missing, nothing is held twice. */
static void
test_overlap_stopped_before_apply(void **state)
{
	for (int stop_at = 1; stop_at <= 4; stop_at++) {
		fsy_buf_t req = {0}, rep = {0};
		fsy_msg_t m, r;
		int rc, done = 0, snaps = 0;

		(void)state;
		W.a1.sess.limits.max_changes = 1; /* a customer a frame */
		W.a1.sess.overlap = 1;
		memset(&W.h.conns[W.a1.conn], 0, sizeof(W.h.conns[W.a1.conn]));
		rc = fsy_agent_session_start(&W.a1.sess, &req);
		for (int n = 0; rc == FSY_OK && !done && n < 100; n++) {
			memset(&m, 0, sizeof(m));
			memset(&r, 0, sizeof(r));
			assert_int_equal(fsy_msg_decode(req.data, req.len, &m), FSY_OK);
			rc = fsy_hub_handle(&W.h.hub, &W.h.conns[W.a1.conn], &m, &rep);
			fsy_msg_free(&m);
			assert_int_equal(rc, FSY_OK);
			assert_int_equal(fsy_msg_decode(rep.data, rep.len, &r), FSY_OK);
			rc = fsy_agent_session_step(&W.a1.sess, &r, &req, &done);
			assert_int_equal(rc, FSY_OK);
			if (fsy_agent_session_deferred(&W.a1.sess)) {
				if (++snaps == stop_at) {
					/* the PULL reaches the hub; the frame is never
					 * applied */
					fsy_msg_free(&r);
					assert_int_equal(fsy_msg_decode(req.data, req.len,
					    &m), FSY_OK);
					assert_int_equal(fsy_hub_handle(&W.h.hub,
					    &W.h.conns[W.a1.conn], &m, &rep), FSY_OK);
					fsy_msg_free(&m);
					break;
				}
				assert_int_equal(fsy_agent_session_apply(&W.a1.sess, &r),
				    FSY_OK);
			}
			fsy_msg_free(&r);
		}
		assert_int_equal(snaps, stop_at);
		fsy_buf_free(&req);
		fsy_buf_free(&rep);
		/* stop_at - 1 frames applied and acknowledged: the rest come */
		assert_int_equal(tu_int(W.a1.st, "SELECT count(*) FROM customer"),
		    stop_at - 1);
		W.h.snapshots = 0;
		tu_sync_ok(&W.h, &W.a1);
		assert_int_equal(W.h.snapshots, 4 - (stop_at - 1));
		assert_int_equal(tu_int(W.a1.st, "SELECT count(*) FROM customer"), 4);
		tu_assert_converged(&W.h, &W.a1);
		/* and a new laptop for the next case */
		{
			char name[32];
			snprintf(name, sizeof(name), "a1-%d.db", stop_at);
			tu_agent_close(&W.a1);
			tu_agent_open(&W.h, &W.a1, name, A1);
		}
	}
}

/* A deferred SNAPSHOT the laptop cannot apply fails the round: the apply
 * and the next step both return the error and keep its message; nothing
 * of the frame is kept and the next round delivers everything. */
static void
test_overlap_apply_fails(void **state)
{
	fsy_buf_t req = {0}, rep = {0};
	fsy_msg_t m, r, r2;
	int done = 0;

	(void)state;
	W.a1.sess.overlap = 1;
	memset(&m, 0, sizeof(m));
	memset(&r, 0, sizeof(r));
	memset(&r2, 0, sizeof(r2));
	assert_int_equal(fsy_agent_session_start(&W.a1.sess, &req), FSY_OK);
	for (int n = 0; n < 10 && !fsy_agent_session_deferred(&W.a1.sess);
	    n++) {
		fsy_msg_free(&r);
		assert_int_equal(fsy_msg_decode(req.data, req.len, &m), FSY_OK);
		assert_int_equal(fsy_hub_handle(&W.h.hub, &W.h.conns[W.a1.conn],
		    &m, &rep), FSY_OK);
		fsy_msg_free(&m);
		assert_int_equal(fsy_msg_decode(rep.data, rep.len, &r), FSY_OK);
		assert_int_equal(fsy_agent_session_step(&W.a1.sess, &r, &req,
		    &done), FSY_OK);
	}
	assert_true(fsy_agent_session_deferred(&W.a1.sess));
	assert_int_equal(r.type, FSY_MSG_SNAPSHOT);
	/* a column the schema does not have, in the frame's last row */
	r.u.snapshot.changes[r.u.snapshot.nchanges - 1].col = 63;
	/* another message is not the one deferred */
	assert_int_equal(fsy_agent_session_apply(&W.a1.sess, &r2), FSY_ESTATE);
	W.a1.sess.state = FSY_AS_PULL;
	W.a1.sess.deferred = &r;
	assert_int_equal(fsy_agent_session_apply(&W.a1.sess, &r), FSY_EMALFORMED);
	assert_string_equal(W.a1.sess.errmsg, "bad change from hub");
	assert_int_equal(tu_int(W.a1.st, "SELECT count(*) FROM customer"), 0);
	/* the PULL's reply comes: the step says the same */
	assert_int_equal(fsy_msg_decode(req.data, req.len, &m), FSY_OK);
	assert_int_equal(fsy_hub_handle(&W.h.hub, &W.h.conns[W.a1.conn], &m,
	    &rep), FSY_OK);
	fsy_msg_free(&m);
	assert_int_equal(fsy_msg_decode(rep.data, rep.len, &r2), FSY_OK);
	assert_int_equal(fsy_agent_session_step(&W.a1.sess, &r2, &req, &done),
	    FSY_EMALFORMED);
	assert_string_equal(W.a1.sess.errmsg, "bad change from hub");
	fsy_msg_free(&r);
	fsy_msg_free(&r2);
	fsy_buf_free(&req);
	fsy_buf_free(&rep);
	tu_sync_ok(&W.h, &W.a1);
	assert_int_equal(tu_int(W.a1.st, "SELECT count(*) FROM customer"), 4);
	tu_assert_converged(&W.h, &W.a1);
}

/* Replaced versions leave feed entries listed for pruning; pulls skip
 * them, and pruning, a few at a time, leaves one entry per version. */
static void
test_feed_pruned(void **state)
{
	int64_t left = -1, dead, steps = 0;

	(void)state;
	sync_all();
	for (int k = 0; k < 3; k++) {
		xexec(W.h.st, "UPDATE customer SET address = 'g%d' WHERE id = '%s'", k,
		    W.c[0]);
		xexec(W.a1.st, "UPDATE customer SET phone = '1390000000%d' WHERE "
		    "id = '%s'", k, W.c[1]);
		tu_sync_ok(&W.h, &W.a1);
	}
	dead = tu_int(W.h.st, "SELECT count(*) FROM col_feed_dead");
	assert_true(dead >= 4); /* three writes of two columns, less the first of each */
	assert_int_equal(tu_int(W.h.st, "SELECT count(*) FROM col_feed"),
	    tu_int(W.h.st, "SELECT count(*) FROM col_version") + dead);
	/* the lead pulls each column once, at its last value */
	tu_sync_ok(&W.h, &W.lead);
	assert_int_equal(q(W.lead.st, "SELECT count(*) FROM customer WHERE "
	    "id = '%s' AND address = 'g2'", W.c[0]), 1);
	assert_int_equal(q(W.lead.st, "SELECT count(*) FROM customer WHERE "
	    "id = '%s' AND phone = '13900000002'", W.c[1]), 1);
	while (left != 0 && steps++ < 100) {
		assert_int_equal(fsy_store_prune(W.h.st, 4, &left), FSY_OK);
		assert_true(left >= 0);
	}
	assert_int_equal(left, 0);
	assert_int_equal(steps, (dead + 3) / 4);
	assert_int_equal(tu_int(W.h.st, "SELECT count(*) FROM col_feed"),
	    tu_int(W.h.st, "SELECT count(*) FROM col_version"));
	assert_int_equal(tu_int(W.h.st, "SELECT count(*) FROM col_version v "
	    "JOIN col_feed f USING (gseq) WHERE f.customer_id = v.customer_id "
	    "AND f.tbl = v.tbl AND f.row_id = v.row_id AND f.col = v.col"),
	    tu_int(W.h.st, "SELECT count(*) FROM col_version"));
	/* a laptop's store has nothing to prune */
	assert_int_equal(fsy_store_prune(W.a1.st, 4, &left), FSY_OK);
	assert_int_equal(left, 0);
	xexec(W.h.st, "UPDATE customer SET address = 'g9' WHERE id = '%s'", W.c[0]);
	sync_all();
	assert_all_converged();
}

/* Offline edits of all kinds reach the hub once, with received time. */
static void
test_offline_edits_pushed(void **state)
{
	(void)state;
	sync_all();
	char vid[37], nid[37], sql[1024];
	fsy_uuid_v7(vid);
	fsy_uuid_v7(nid);
	snprintf(sql, sizeof(sql),
	    "UPDATE customer SET phone = '13911112222', rating = 'A' WHERE id = '%s';"
	    "INSERT INTO visit(id, customer_id, agent_id, happened_at, recorded_at, "
	    "channel, topic, customer_said) VALUES ('%s','%s','%s',"
	    "'2026-11-20T10:00:00Z','2026-11-20T12:00:00Z','visit','general','想了解教育金');"
	    "INSERT INTO need(id, customer_id, kind, note) VALUES ('%s','%s','education','女儿上大学')",
	    W.c[0], vid, W.c[0], A1, nid, W.c[0]);
	tu_exec(W.a1.st, sql);
	assert_true(tu_int(W.a1.st, "SELECT count(*) FROM change_log") > 5);
	tu_sync_ok(&W.h, &W.a1);
	assert_string_equal(qt(W.h.st, "SELECT phone FROM customer WHERE id = '%s'", W.c[0]), "13911112222");
	assert_int_equal(q(W.h.st, "SELECT count(*) FROM visit WHERE id = '%s' AND received_at IS NOT NULL AND late = 0", vid), 1);
	assert_string_equal(qt(W.h.st, "SELECT customer_said FROM visit WHERE id = '%s'", vid), "想了解教育金");
	assert_int_equal(q(W.h.st, "SELECT count(*) FROM need WHERE id = '%s'", nid), 1);
	/* the received time travels back to the laptop */
	assert_int_equal(q(W.a1.st, "SELECT count(*) FROM visit WHERE id = '%s' AND received_at IS NOT NULL", vid), 1);
	fsy_replica_status_t rs;
	assert_int_equal(fsy_replica_status(W.a1.st, &rs), FSY_OK);
	assert_int_equal(rs.pending, 0);
	/* the lead sees the team's new visit, read-only */
	tu_sync_ok(&W.h, &W.lead);
	assert_int_equal(q(W.lead.st, "SELECT count(*) FROM visit WHERE id = '%s'", vid), 1);
	assert_all_converged();
}

/* A visit recorded days after it happened is flagged late. */
static void
test_late_visit_flagged(void **state)
{
	(void)state;
	sync_all();
	char vid[37], sql[512];
	fsy_uuid_v7(vid);
	snprintf(sql, sizeof(sql), "INSERT INTO visit(id, customer_id, agent_id, "
	    "happened_at, recorded_at, channel, topic) VALUES ('%s','%s','%s',"
	    "'2026-11-01T10:00:00Z','2026-11-08T10:00:00Z','visit','general')",
	    vid, W.c[1], A1);
	tu_exec(W.a1.st, sql);
	tu_sync_ok(&W.h, &W.a1);
	assert_int_equal(q(W.h.st, "SELECT late FROM visit WHERE id = '%s'", vid), 1);
	assert_int_equal(q(W.a1.st, "SELECT late FROM visit WHERE id = '%s'", vid), 1);
	tu_assert_converged(&W.h, &W.a1);
}

/* Head office edits a phone while the agent edits it offline: last writer
 * wins and the conflict keeps both values. */
static void
test_conflict_with_head_office(void **state)
{
	(void)state;
	sync_all();
	xexec(W.a1.st, "UPDATE customer SET phone = '13000000001' WHERE id = '%s'", W.c[2]);
	usleep(20000);
	/* head office writes later (larger HLC) */
	xexec(W.h.st, "UPDATE customer SET phone = '13000000009' WHERE id = '%s'", W.c[2]);
	tu_sync_ok(&W.h, &W.a1);
	assert_string_equal(qt(W.h.st, "SELECT phone FROM customer WHERE id = '%s'", W.c[2]), "13000000009");
	assert_string_equal(qt(W.a1.st, "SELECT phone FROM customer WHERE id = '%s'", W.c[2]), "13000000009");
	assert_int_equal(q(W.h.st, "SELECT count(*) FROM conflict WHERE row_id = '%s' AND col = 'phone' "
	    "AND winner_val = '13000000009' AND loser_val = '13000000001'", W.c[2]), 1);
	assert_all_converged();
}

/* Writes an agent may not make are refused, kept at the hub with their
 * reason, reported back, and undone on the laptop. */
static void
test_rejections(void **state)
{
	(void)state;
	sync_all();
	char sql[1024], pol[37], ext[37];
	/* a head-office column */
	xexec(W.a1.st, "UPDATE customer SET star_level = 7 WHERE id = '%s'", W.c[0]);
	/* an own policy (external = 0) is head office's */
	fsy_uuid_v7(pol);
	fsy_uuid_v7(ext);
	snprintf(sql, sizeof(sql),
	    "INSERT INTO policy(id, customer_id, policy_no, external, product) VALUES ('%s','%s','FAKE',0,'x');"
	    "INSERT INTO policy(id, customer_id, policy_no, external, insurer, product, product_type, "
	    "annual_premium_fen) VALUES ('%s','%s','PA-1',1,'平安人寿','平安福','critical_illness',800000)",
	    pol, W.c[0], ext, W.c[0]);
	tu_exec(W.a1.st, sql);
	/* a customer of another agent, written on this laptop by hand */
	snprintf(sql, sizeof(sql), "INSERT INTO need(id, customer_id, kind) VALUES "
	    "('0190ffff-0000-7000-8000-000000000001','%s','life')", W.c[5]);
	tu_exec(W.a1.st, sql);
	tu_sync_ok(&W.h, &W.a1);

	/* rejected and recorded at the hub, with the value */
	assert_true(q(W.h.st, "SELECT count(*) FROM rejected_change WHERE device_id = '%s'", W.a1.device_id) >= 4);
	assert_int_equal(q(W.h.st, "SELECT count(*) FROM rejected_change WHERE col = 'star_level' AND code = %d", FSY_EREADONLY), 1);
	assert_int_equal(q(W.h.st, "SELECT count(DISTINCT row_id) FROM rejected_change WHERE tbl = 'need' AND code = %d", FSY_ENOTOWNER), 1);
	/* the other insurer's policy is accepted */
	assert_int_equal(q(W.h.st, "SELECT count(*) FROM policy WHERE id = '%s'", ext), 1);
	assert_int_equal(q(W.h.st, "SELECT count(*) FROM policy WHERE id = '%s'", pol), 0);
	/* undone on the laptop, and listed there */
	assert_int_equal(q(W.a1.st, "SELECT ifnull(star_level, -1) FROM customer WHERE id = '%s'", W.c[0]), -1);
	assert_int_equal(q(W.a1.st, "SELECT count(*) FROM policy WHERE id = '%s'", pol), 0);
	assert_int_equal(tu_int(W.a1.st, "SELECT count(*) FROM need WHERE id = '0190ffff-0000-7000-8000-000000000001'"), 0);
	assert_true(tu_int(W.a1.st, "SELECT count(*) FROM rejection") >= 4);
	assert_all_converged();
}

/* A customer moves from A1 to A2 while A1 has an offline edit for it: the
 * edit arrives, A1 is emptied of the customer, A2 receives it whole. */
static void
test_reassignment_delivers_then_erases(void **state)
{
	(void)state;
	sync_all();
	char vid[37], sql[512];
	fsy_uuid_v7(vid);
	snprintf(sql, sizeof(sql), "INSERT INTO visit(id, customer_id, agent_id, "
	    "happened_at, recorded_at, channel, topic) VALUES ('%s','%s','%s',"
	    "'2026-11-21T09:00:00Z','2026-11-21T09:30:00Z','phone','renewal')",
	    vid, W.c[3], A1);
	tu_exec(W.a1.st, sql);
	xexec(W.a1.st, "UPDATE customer SET address = '朝阳区新地址' WHERE id = '%s'", W.c[3]);
	/* head office moves the customer while A1 is offline */
	snprintf(sql, sizeof(sql), "UPDATE customer SET owner_agent_id = '%s' WHERE id = '%s'", A2, W.c[3]);
	tu_exec(W.h.st, sql);

	tu_sync_ok(&W.h, &W.a1);
	/* delivered ... */
	assert_int_equal(q(W.h.st, "SELECT count(*) FROM visit WHERE id = '%s'", vid), 1);
	assert_string_equal(qt(W.h.st, "SELECT address FROM customer WHERE id = '%s'", W.c[3]), "朝阳区新地址");
	/* ... then every row erased from the old laptop, log values redacted */
	assert_int_equal(q(W.a1.st, "SELECT count(*) FROM customer WHERE id = '%s'", W.c[3]), 0);
	assert_int_equal(q(W.a1.st, "SELECT count(*) FROM policy WHERE customer_id = '%s'", W.c[3]), 0);
	assert_int_equal(q(W.a1.st, "SELECT count(*) FROM visit WHERE customer_id = '%s'", W.c[3]), 0);
	assert_int_equal(q(W.a1.st, "SELECT count(*) FROM change_log WHERE customer_id = '%s' AND val IS NOT NULL", W.c[3]), 0);
	assert_int_equal(tu_int(W.a1.st, "SELECT count(*) FROM customer"), 3);
	int64_t bad;
	uint8_t hh[32];
	assert_int_equal(fsy_replica_verify_chain(W.a1.st, INT64_MAX, &bad, hh), FSY_OK);

	/* the new owner receives the whole card, with A1's visit */
	tu_sync_ok(&W.h, &W.a2);
	assert_int_equal(tu_int(W.a2.st, "SELECT count(*) FROM customer"), 5);
	assert_int_equal(q(W.a2.st, "SELECT count(*) FROM visit WHERE id = '%s'", vid), 1);
	assert_string_equal(qt(W.a2.st, "SELECT address FROM customer WHERE id = '%s'", W.c[3]), "朝阳区新地址");
	/* once revoked, A1's writes to it are refused */
	sync_all();
	assert_all_converged();
}

/* An agent departs: head office moves all its customers; its laptop is
 * emptied, the new owner's filled. */
static void
test_departure(void **state)
{
	(void)state;
	sync_all();
	char sql[512];
	snprintf(sql, sizeof(sql), "UPDATE agent SET status = 'departed' WHERE id = '%s';"
	    "UPDATE customer SET owner_agent_id = '%s' WHERE owner_agent_id = '%s'", A3, A2, A3);
	tu_exec(W.h.st, sql);
	sync_all();
	assert_int_equal(tu_int(W.a3.st, "SELECT count(*) FROM customer"), 0);
	assert_int_equal(tu_int(W.a3.st, "SELECT count(*) FROM policy"), 0);
	assert_int_equal(tu_int(W.a2.st, "SELECT count(*) FROM customer"), 8);
	assert_int_equal(tu_int(W.lead.st, "SELECT count(*) FROM customer"), 12);
	assert_all_converged();
}

/* A card made offline (from a referral) is accepted, owned by its maker. */
static void
test_new_customer_offline(void **state)
{
	(void)state;
	sync_all();
	char id[37], sql[512];
	fsy_uuid_v7(id);
	snprintf(sql, sizeof(sql), "INSERT INTO customer(id, customer_id, card_no, "
	    "card_provisional, name, phone) VALUES ('%s','%s','P-0001',1,'赵敏','13700000000')",
	    id, id);
	tu_exec(W.a1.st, sql);
	tu_sync_ok(&W.h, &W.a1);
	assert_string_equal(qt(W.h.st, "SELECT owner_agent_id FROM customer WHERE id = '%s'", id), A1);
	assert_string_equal(qt(W.a1.st, "SELECT owner_agent_id FROM customer WHERE id = '%s'", id), A1);
	/* head office numbers the card from the surname (赵 -> Z) */
	assert_string_equal(qt(W.a1.st, "SELECT card_no || card_provisional FROM customer WHERE id = '%s'", id), "Z00010");
	assert_int_equal(q(W.h.st, "SELECT count(*) FROM ownership_history WHERE customer_id = '%s'", id), 1);
	/* a second device of another agent cannot take it over */
	snprintf(sql, sizeof(sql), "INSERT INTO customer(id, customer_id, name) VALUES ('%s','%s','冒名')", id, id);
	tu_exec(W.a2.st, sql);
	tu_sync_ok(&W.h, &W.a2);
	assert_string_equal(qt(W.h.st, "SELECT name FROM customer WHERE id = '%s'", id), "赵敏");
	assert_int_equal(q(W.a2.st, "SELECT count(*) FROM customer WHERE id = '%s'", id), 0);
	assert_all_converged();
}

/* Cut the round after each request in turn (the hub acted, its reply was
 * lost), with edits pending and a reassignment under way; resume; in the
 * end everything is at the hub exactly once and the replicas converge. */
static void
test_lost_replies_at_every_step(void **state)
{
	(void)state;
	for (int cut = 0; cut < 12; cut++) {
		if (cut > 0) {
			world_close();
			world_open();
		}
		sync_all();
		char sql[1024], vid[37];
		for (int k = 0; k < 3; k++) {
			fsy_uuid_v7(vid);
			snprintf(sql, sizeof(sql), "INSERT INTO visit(id, customer_id, "
			    "agent_id, happened_at, recorded_at, channel, topic) VALUES "
			    "('%s','%s','%s','2026-11-21T09:00:00Z','2026-11-21T10:00:00Z',"
			    "'visit','birthday')", vid, W.c[k], A1);
			tu_exec(W.a1.st, sql);
		}
		xexec(W.a1.st, "UPDATE customer SET grp = 'key' WHERE id = '%s'", W.c[0]);
		xexec(W.a1.st, "UPDATE customer SET star_level = 6 WHERE id = '%s'", W.c[1]);
		snprintf(sql, sizeof(sql), "UPDATE customer SET owner_agent_id = '%s' WHERE id = '%s';"
		    "UPDATE customer SET owner_agent_id = '%s' WHERE id = '%s'", A2, W.c[2], A1, W.c[4]);
		tu_exec(W.h.st, sql);
		W.a1.sess.limits.max_changes = 4; /* many small batches */
		int rc = tu_sync(&W.h, &W.a1, cut);
		assert_true(rc == FSY_OK || rc == FSY_ETIMEOUT);
		if (cut % 2)
			tu_agent_reopen(&W.a1); /* as after a crash */
		W.a1.sess.limits.max_changes = 4;
		tu_sync_ok(&W.h, &W.a1);
		tu_sync_ok(&W.h, &W.a1);
		sync_all();
		assert_int_equal(tu_int(W.h.st, "SELECT count(*) FROM visit"), 3);
		assert_int_equal(tu_int(W.h.st, "SELECT count(*) FROM visit WHERE received_at IS NULL"), 0);
		assert_int_equal(tu_int(W.h.st, "SELECT count(*) FROM rejected_change"), 1);
		assert_int_equal(tu_int(W.a1.st, "SELECT count(*) FROM rejection"), 1);
		assert_int_equal(tu_int(W.a1.st, "SELECT count(*) FROM customer"), 4);
		assert_int_equal(tu_int(W.a2.st, "SELECT count(*) FROM customer"), 4);
		assert_all_converged();
	}
}

/* The same PUSH delivered twice changes nothing the second time. */
static void
test_push_replay_idempotent(void **state)
{
	(void)state;
	sync_all();
	xexec(W.a1.st, "UPDATE customer SET occupation = '教师' WHERE id = '%s'", W.c[0]);
	tu_sync_ok(&W.h, &W.a1);
	int64_t g = tu_int(W.h.st, "SELECT max(gseq) FROM col_version");
	/* forget the ack on the laptop: the next round resends */
	tu_exec(W.a1.st, "UPDATE meta SET value = 0 WHERE key = 'push_acked'");
	tu_sync_ok(&W.h, &W.a1);
	assert_int_equal(tu_int(W.h.st, "SELECT max(gseq) FROM col_version"), g);
	assert_int_equal(tu_int(W.a1.st, "SELECT value FROM meta WHERE key = 'push_acked'"),
	    tu_int(W.a1.st, "SELECT max(seq) FROM change_log"));
	assert_all_converged();
}

/* A laptop log entry altered before delivery, and one altered after. */
static void
test_tampered_log_detected(void **state)
{
	(void)state;
	sync_all();
	xexec(W.a1.st, "UPDATE customer SET perceptions = '很好说话' WHERE id = '%s'", W.c[0]);
	tu_exec(W.a1.st, "UPDATE change_log SET val = '篡改' WHERE seq = (SELECT max(seq) FROM change_log)");
	tu_sync_ok(&W.h, &W.a1);
	assert_int_equal(q(W.h.st, "SELECT chain_ok FROM device_state WHERE device_id = '%s'", W.a1.device_id), 0);
	assert_int_equal(tu_int(W.h.st, "SELECT count(*) FROM audit WHERE action = 'chain.broken'"), 1);

	/* after delivery: the next HELLO's checkpoint no longer matches */
	xexec(W.a2.st, "UPDATE customer SET perceptions = '谨慎' WHERE id = '%s'", W.c[4]);
	tu_sync_ok(&W.h, &W.a2);
	assert_int_equal(q(W.h.st, "SELECT chain_ok FROM device_state WHERE device_id = '%s'", W.a2.device_id), 1);
	tu_exec(W.a2.st, "UPDATE change_log SET val = '改了' WHERE seq = 1");
	tu_agent_reopen(&W.a2);
	tu_sync_ok(&W.h, &W.a2);
	assert_int_equal(q(W.h.st, "SELECT chain_ok FROM device_state WHERE device_id = '%s'", W.a2.device_id), 0);
	assert_non_null(strstr(qt(W.h.st, "SELECT chain_error FROM device_state WHERE device_id = '%s'", W.a2.device_id), "altered"));
}

static int64_t
clock_ahead(void *arg)
{
	(void)arg;
	return fsy_now_ms() + 3LL * 24 * 3600 * 1000;
}

/* A laptop clock three days ahead does not win against a later head-office
 * edit: its HLC is clamped at the hub. */
static void
test_clock_ahead_clamped(void **state)
{
	(void)state;
	sync_all();
	fsy_store_clock(W.a1.st)->now_ms = clock_ahead;
	xexec(W.a1.st, "UPDATE customer SET phone = '13100000000' WHERE id = '%s'", W.c[0]);
	tu_sync_ok(&W.h, &W.a1);
	assert_string_equal(qt(W.h.st, "SELECT phone FROM customer WHERE id = '%s'", W.c[0]), "13100000000");
	/* head office corrects the phone afterwards, in real time */
	xexec(W.h.st, "UPDATE customer SET phone = '13199999999' WHERE id = '%s'", W.c[0]);
	tu_sync_ok(&W.h, &W.a1);
	assert_string_equal(qt(W.a1.st, "SELECT phone FROM customer WHERE id = '%s'", W.c[0]), "13199999999");
	assert_string_equal(qt(W.h.st, "SELECT phone FROM customer WHERE id = '%s'", W.c[0]), "13199999999");
	/* the clamped version carries the hub's time, not the laptop's */
	assert_true(q(W.h.st, "SELECT max(hlc) FROM col_version WHERE site = '%s'", W.a1.device_id) <
	    (int64_t)FSY_HLC_MAKE(fsy_now_ms() + 60000, 0));
	tu_assert_converged(&W.h, &W.a1);
}

/* A disqualified agent's offline work is delivered but not taken in: it
 * is kept at head office for review, and the laptop loses the customers. */
static void
test_disqualified_agent_rejected(void **state)
{
	(void)state;
	char vid[37], sql[512];
	fsy_uuid_v7(vid);
	snprintf(sql, sizeof(sql), "INSERT INTO visit(id, customer_id, agent_id, "
	    "happened_at, recorded_at, channel, topic) VALUES ('%s','%s','%s',"
	    "'2026-11-21T09:00:00Z','2026-11-21T09:10:00Z','visit','general')",
	    vid, W.c[8], A3);
	tu_exec(W.a3.st, sql);
	snprintf(sql, sizeof(sql), "UPDATE agent SET status = 'disqualified' WHERE id = '%s';"
	    "UPDATE customer SET owner_agent_id = '%s' WHERE owner_agent_id = '%s'", A3, A2, A3);
	tu_exec(W.h.st, sql);
	tu_sync_ok(&W.h, &W.a3);
	assert_int_equal(q(W.h.st, "SELECT count(*) FROM visit WHERE id = '%s'", vid), 0);
	assert_true(q(W.h.st, "SELECT count(*) FROM rejected_change WHERE row_id = '%s' AND code = %d", vid, FSY_EDISQUALIFIED) > 0);
	assert_int_equal(tu_int(W.a3.st, "SELECT count(*) FROM customer"), 0);
	assert_int_equal(tu_int(W.a3.st, "SELECT count(*) FROM visit"), 0);
	assert_true(tu_int(W.a3.st, "SELECT count(*) FROM rejection") > 0);
	assert_all_converged();
}

/* A revoked or unknown device is refused with a clear error. */
static void
test_revoked_and_unknown_refused(void **state)
{
	(void)state;
	sync_all();
	assert_int_equal(fsy_hub_device_revoke(W.h.st, W.a3.device_id, "laptop stolen"), FSY_OK);
	int rc = tu_sync(&W.h, &W.a3, -1);
	assert_int_equal(rc, FSY_EREVOKED);
	assert_non_null(strstr(W.a3.sess.errmsg, "revoked"));

	tu_exec(W.h.st, "DELETE FROM device_state WHERE device_id IN (SELECT id FROM device WHERE agent_id = '" A2 "');"
	    "DELETE FROM device WHERE agent_id = '" A2 "'");
	rc = tu_sync(&W.h, &W.a2, -1);
	assert_int_equal(rc, FSY_EUNKNOWNDEV);
	/* a forged key fails the challenge */
	uint8_t pk[32], sk[64];
	crypto_sign_keypair(pk, sk);
	memcpy(W.a1.sess.sk, sk, 64);
	rc = tu_sync(&W.h, &W.a1, -1);
	assert_int_equal(rc, FSY_EAUTH);
}

/* The laptop's roster, one line: code:name:team:role:status:left_on per
 * agent by code, then code:name:branch per team. */
static const char *
roster_of(fsy_store_t *st)
{
	return tu_text(st, "SELECT ifnull((SELECT group_concat(x, ',') FROM "
	    "(SELECT code || ':' || name || ':' || ifnull(team_id, '-') || ':' "
	    "|| role || ':' || status || ':' || ifnull(left_on, '-') AS x "
	    "FROM agent ORDER BY code)), '') || ' | ' || ifnull((SELECT "
	    "group_concat(x, ',') FROM (SELECT t.code || ':' || t.name || ':' "
	    "|| b.code || ':' || b.name AS x FROM team t JOIN branch b ON "
	    "b.id = t.branch_id ORDER BY t.code)), '')");
}

static void
assert_roster(fsy_store_t *st, const char *want)
{
	const char *got = roster_of(st);
	if (strcmp(got, want) != 0)
		fail_msg("roster\n got: %s\nwant: %s", got, want);
}

#define R_A1 "A1:Agent A1:t1:agent:employed:-"
#define R_A2 "A2:Agent A2:t1:agent:employed:-"
#define R_L1 "L1:Agent L1:t1:lead:employed:-"
#define R_T1 "T1:一组:B1:北京分公司"
#define R_T2 "T2:二组:B1:北京分公司"

/* Every laptop learns the roster it may name: its agent, the agents of
 * its team and the team with its branch; an agent without a team only
 * itself. A move and a departure reach the laptops at their next round,
 * the departed agent still named. The roster is not replicated data: the
 * replicas still converge. */
static void
test_roster(void **state)
{
	(void)state;
	tu_agent_t a4;
	const char *a4_id = "0190a000-0000-7000-8000-0000000000a4";

	/* before the first round a laptop knows nobody */
	assert_int_equal(tu_int(W.lead.st, "SELECT count(*) FROM agent"), 0);
	sync_all();
	assert_roster(W.lead.st, R_A1 "," R_A2 "," R_L1 " | " R_T1);
	assert_roster(W.a1.st, R_A1 "," R_A2 "," R_L1 " | " R_T1);
	assert_roster(W.a2.st, R_A1 "," R_A2 "," R_L1 " | " R_T1);
	assert_roster(W.a3.st, "A3:Agent A3:t2:agent:employed:- | " R_T2);
	assert_int_equal(q(W.lead.st, "SELECT count(*) FROM branch WHERE "
	    "id = 'b1' AND code = 'B1'"), 1);
	assert_string_equal(tu_text(W.a1.st, "SELECT hired_on || channel FROM "
	    "agent WHERE code = 'A2'"), "2015-01-01agency");
	/* performance and disqualification reasons stay at head office */
	assert_int_equal(q(W.a1.st, "SELECT count(*) FROM agent WHERE "
	    "performance != 0 OR status_reason IS NOT NULL"), 0);
	/* nothing captured: the change log is empty, the hub saw no push */
	assert_int_equal(tu_int(W.lead.st, "SELECT count(*) FROM change_log"), 0);
	assert_string_equal(tu_text(W.lead.st, "SELECT value FROM meta WHERE "
	    "key = 'roster_error'"), "");

	/* an agent without a team: only itself */
	tu_exec(W.h.st, "INSERT INTO agent(id, code, name, role, channel) "
	    "VALUES ('0190a000-0000-7000-8000-0000000000a4', 'S4', '吴服务', "
	    "'service', 'service')");
	tu_agent_open(&W.h, &a4, "a4.db", a4_id);
	tu_sync_ok(&W.h, &a4);
	assert_roster(a4.st, "S4:吴服务:-:service:employed:- | ");
	assert_int_equal(tu_int(a4.st, "SELECT count(*) FROM branch"), 0);
	tu_agent_close(&a4);

	/* A1 moves to team 2; A2 departs; head office renames the team */
	xexec(W.h.st, "UPDATE agent SET team_id = 't2' WHERE id = '%s';"
	    "UPDATE agent SET status = 'departed', left_on = '2026-11-20', "
	    "status_reason = 'resigned' WHERE id = '%s';"
	    "UPDATE team SET name = '精英一组' WHERE id = 't1'", A1, A2);
	sync_all();
	assert_roster(W.lead.st, "A2:Agent A2:t1:agent:departed:2026-11-20,"
	    R_L1 " | T1:精英一组:B1:北京分公司");
	assert_roster(W.a2.st, "A2:Agent A2:t1:agent:departed:2026-11-20,"
	    R_L1 " | T1:精英一组:B1:北京分公司");
	assert_roster(W.a1.st, "A1:Agent A1:t2:agent:employed:-,"
	    "A3:Agent A3:t2:agent:employed:- | " R_T2);
	assert_roster(W.a3.st, "A1:Agent A1:t2:agent:employed:-,"
	    "A3:Agent A3:t2:agent:employed:- | " R_T2);
	assert_int_equal(q(W.a2.st, "SELECT count(*) FROM agent WHERE "
	    "status_reason IS NOT NULL"), 0);
	/* the lead's laptop names A2's customers' owner still */
	assert_int_equal(q(W.lead.st, "SELECT count(*) FROM customer c JOIN "
	    "agent a ON a.id = c.owner_agent_id WHERE a.code = 'A2'"), 4);
	assert_all_converged();
}

/* The WELCOME of one round goes through edit before the laptop sees it. */
typedef void (*welcome_edit_t)(fsy_msg_welcome_t *w, void *arg);

static int
sync_edited(tu_agent_t *a, welcome_edit_t edit, void *arg)
{
	tu_hub_t *h = &W.h;
	fsy_buf_t req = {0}, rep = {0};
	fsy_msg_t m, r;
	int rc, done = 0, n = 0;

	memset(&h->conns[a->conn], 0, sizeof(h->conns[a->conn]));
	rc = fsy_agent_session_start(&a->sess, &req);
	while (rc == FSY_OK && !done) {
		assert_true(n++ < 1000);
		assert_int_equal(fsy_msg_decode(req.data, req.len, &m), FSY_OK);
		rc = fsy_hub_handle(&h->hub, &h->conns[a->conn], &m, &rep);
		fsy_msg_free(&m);
		assert_int_equal(rc, FSY_OK);
		assert_int_equal(fsy_msg_decode(rep.data, rep.len, &r), FSY_OK);
		if (r.type == FSY_MSG_WELCOME)
			edit(&r.u.welcome, arg);
		rc = fsy_agent_session_step(&a->sess, &r, &req, &done);
		fsy_msg_free(&r);
	}
	fsy_buf_free(&req);
	fsy_buf_free(&rep);
	return rc;
}

/* What a test does to a WELCOME roster (of A1's laptop). */
typedef struct roster_edit {
	int kind;                    /* see edit_roster */
	fsy_roster_agent_t ag[8];    /* a copy of the agents, edited */
	fsy_roster_team_t tm[2];
} roster_edit_t;

static void
edit_roster(fsy_msg_welcome_t *w, void *arg)
{
	roster_edit_t *e = arg;

	assert_true(w->nagents == 3 && w->nteams == 1);
	memcpy(e->ag, w->agents, w->nagents * sizeof(*e->ag));
	memcpy(e->tm, w->teams, w->nteams * sizeof(*e->tm));
	w->agents = e->ag;
	w->teams = e->tm;
	switch (e->kind) {
	case 0: /* a hub that sends no roster */
		w->nagents = w->nteams = 0;
		break;
	case 1: /* an agent of a team not sent */
		e->ag[2].team_id = "t9";
		break;
	case 2: /* a role the schema does not know */
		e->ag[1].role = "trainee";
		break;
	case 3: /* the same code twice */
		e->ag[1].code = e->ag[0].code;
		break;
	case 4: /* without the device's own agent (sent first) */
		assert_string_equal(e->ag[0].id, w->agent_id);
		w->agents = e->ag + 1;
		w->nagents = 2;
		break;
	case 5: /* an agent without a code */
		e->ag[2].code = "";
		break;
	default: /* a team without its branch id */
		e->tm[0].branch_id = "";
		break;
	}
}

/* A roster the replica cannot take changes nothing, is recorded in meta
 * roster_error, and does not hold back the round: the agent's changes
 * are pushed and the hub's are pulled all the same. No roster at all
 * (an older hub) leaves the one the laptop has. */
static void
test_roster_refused_keeps_old(void **state)
{
	(void)state;
	static const char *const want[] = {NULL, "FOREIGN KEY", "CHECK",
	    "UNIQUE", "is not in it", "has no code", "has no branch id"};
	roster_edit_t e;
	char before[1024], sql[256];

	sync_all();
	snprintf(before, sizeof(before), "%s", roster_of(W.a1.st));
	assert_non_null(strstr(before, "A2:Agent A2"));
	for (int k = 0; k < 7; k++) {
		/* a write on the laptop and one at head office, each round */
		snprintf(sql, sizeof(sql), "UPDATE customer SET phone = '1390000%04d' "
		    "WHERE id = '%s'", k, W.c[0]);
		tu_exec(W.a1.st, sql);
		snprintf(sql, sizeof(sql), "UPDATE customer SET address = '路%d号' "
		    "WHERE id = '%s'", k, W.c[1]);
		tu_exec(W.h.st, sql);
		memset(&e, 0, sizeof(e));
		e.kind = k;
		assert_int_equal(sync_edited(&W.a1, edit_roster, &e), FSY_OK);
		assert_int_equal(W.a1.sess.state, FSY_AS_DONE);
		assert_string_equal(roster_of(W.a1.st), before);
		const char *err = tu_text(W.a1.st, "SELECT value FROM meta WHERE "
		    "key = 'roster_error'");
		if (want[k] == NULL)
			assert_string_equal(err, "");
		else if (strstr(err, want[k]) == NULL)
			fail_msg("kind %d: roster_error '%s' lacks '%s'", k, err,
			    want[k]);
		assert_int_equal(q(W.h.st, "SELECT phone = '1390000%04d' FROM "
		    "customer WHERE id = '%s'", k, W.c[0]), 1);
		assert_int_equal(q(W.a1.st, "SELECT address = '路%d号' FROM "
		    "customer WHERE id = '%s'", k, W.c[1]), 1);
		assert_int_equal(tu_int(W.a1.st, "SELECT count(*) FROM rejection"),
		    0);
	}
	/* the next good roster is stored and clears the error */
	tu_exec(W.h.st, "UPDATE agent SET name = '陈二' WHERE code = 'A2'");
	tu_sync_ok(&W.h, &W.a1);
	assert_non_null(strstr(roster_of(W.a1.st), "A2:陈二:t1"));
	assert_string_equal(tu_text(W.a1.st, "SELECT value FROM meta WHERE "
	    "key = 'roster_error'"), "");
	assert_all_converged();
}

static int
teardown(void **state)
{
	(void)state;
	world_close();
	return 0;
}

/* pull_batch has two plans — walk the hub's recent versions, or walk the
 * laptop's customers — chosen by what each would read: a quiet hub and a
 * busy one (more new versions than the laptop's book holds) must give
 * the laptop the same changes, in order, and nothing else. */
static void
test_pull_plans_agree(void **state)
{
	(void)state;
	sync_all();
	/* quiet: two edits of A1's customers */
	xexec(W.h.st, "UPDATE customer SET facts = 'quiet' WHERE id IN ('%s', '%s')",
	    W.c[0], W.c[1]);
	tu_sync_ok(&W.h, &W.a1);
	assert_int_equal(q(W.a1.st, "SELECT count(*) FROM customer WHERE facts = 'quiet'"), 2);
	/* busy: 1,600 versions of other agents' customers around three of
	 * A1's, more than its 4 households' worth */
	for (int i = 0; i < 200; i++) {
		if (i == 0 || i == 100 || i == 199)
			xexec(W.h.st, "UPDATE customer SET facts = 'busy %d' WHERE id = '%s'",
			    i, W.c[i / 100]);
		xexec(W.h.st, "UPDATE customer SET facts = 'other %d' WHERE owner_agent_id "
		    "!= '%s'", i, A1);
	}
	int64_t g = tu_int(W.h.st, "SELECT max(gseq) FROM col_version");
	tu_sync_ok(&W.h, &W.a1);
	assert_string_equal(qt(W.a1.st, "SELECT facts FROM customer WHERE id = '%s'", W.c[0]), "busy 0");
	assert_string_equal(qt(W.a1.st, "SELECT facts FROM customer WHERE id = '%s'", W.c[1]), "busy 199");
	assert_int_equal(q(W.a1.st, "SELECT count(*) FROM customer"), 4);
	assert_int_equal(q(W.a1.st, "SELECT value FROM meta WHERE key = 'pull_cursor'"), g);
	/* and quiet again */
	xexec(W.h.st, "UPDATE customer SET facts = 'after' WHERE id = '%s'", W.c[3]);
	tu_sync_ok(&W.h, &W.a1);
	assert_string_equal(qt(W.a1.st, "SELECT facts FROM customer WHERE id = '%s'", W.c[3]), "after");
	assert_all_converged();

	/* both plans again, two changes a BATCH: the batches page through
	 * the same changes in order, the laptop's own edit (pushed in the
	 * same round) is not echoed, and the cursor ends at the hub's last */
	W.a1.sess.limits.max_changes = 2;
	for (int busy = 0; busy < 2; busy++) {
		for (int i = 0; i < (busy ? 200 : 5); i++) {
			if (i % 40 == 0 || !busy)
				xexec(W.h.st, "UPDATE customer SET facts = 'paged %d %d', "
				    "phone = '%d' WHERE id = '%s'", busy, i, i,
				    W.c[busy ? (i / 40) % 4 : i % 4]);
			if (busy)
				xexec(W.h.st, "UPDATE customer SET facts = 'other2 %d' "
				    "WHERE owner_agent_id != '%s'", i, A1);
		}
		xexec(W.a1.st, "UPDATE customer SET address = 'own %d' WHERE id = '%s'",
		    busy, W.c[2]);
		tu_sync_ok(&W.h, &W.a1);
		assert_string_equal(qt(W.a1.st, "SELECT facts FROM customer WHERE id = '%s'",
		    W.c[0]), busy ? "paged 1 160" : "paged 0 4");
		assert_string_equal(qt(W.a1.st, "SELECT facts FROM customer WHERE id = '%s'",
		    W.c[1]), busy ? "paged 1 40" : "paged 0 1");
		assert_string_equal(qt(W.a1.st, "SELECT facts FROM customer WHERE id = '%s'",
		    W.c[3]), busy ? "paged 1 120" : "paged 0 3");
		assert_string_equal(qt(W.a1.st, "SELECT address FROM customer WHERE id = '%s'",
		    W.c[2]), busy ? "own 1" : "own 0");
		assert_int_equal(q(W.a1.st, "SELECT value FROM meta WHERE key = 'pull_cursor'"),
		    tu_int(W.h.st, "SELECT max(gseq) FROM col_feed"));
		assert_all_converged();
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_bootstrap_scoped, setup, teardown),
		cmocka_unit_test_setup_teardown(test_snapshot_frames_follow_pull_limits, setup, teardown),
		cmocka_unit_test_setup_teardown(test_overlap_stopped_before_apply, setup, teardown),
		cmocka_unit_test_setup_teardown(test_overlap_apply_fails, setup, teardown),
		cmocka_unit_test_setup_teardown(test_feed_pruned, setup, teardown),
		cmocka_unit_test_setup_teardown(test_offline_edits_pushed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pull_plans_agree, setup, teardown),
		cmocka_unit_test_setup_teardown(test_late_visit_flagged, setup, teardown),
		cmocka_unit_test_setup_teardown(test_conflict_with_head_office, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rejections, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reassignment_delivers_then_erases, setup, teardown),
		cmocka_unit_test_setup_teardown(test_departure, setup, teardown),
		cmocka_unit_test_setup_teardown(test_new_customer_offline, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lost_replies_at_every_step, setup, teardown),
		cmocka_unit_test_setup_teardown(test_push_replay_idempotent, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tampered_log_detected, setup, teardown),
		cmocka_unit_test_setup_teardown(test_clock_ahead_clamped, setup, teardown),
		cmocka_unit_test_setup_teardown(test_disqualified_agent_rejected, setup, teardown),
		cmocka_unit_test_setup_teardown(test_revoked_and_unknown_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_roster, setup, teardown),
		cmocka_unit_test_setup_teardown(test_roster_refused_keeps_old, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
