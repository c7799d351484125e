/* tu_sync.c — a hub and agents in one test process (see tu_sync.h). */
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "tu_sync.h"
#include "util.h"

void
tu_hub_open(tu_hub_t *h, const char *dbname)
{
	memset(h, 0, sizeof(*h));
	assert_int_equal(sodium_init() >= 0, 1);
	h->st = tu_open(dbname, FSY_ROLE_HUB, NULL);
	fsy_hub_init(&h->hub, h->st);
	tu_exec(h->st, "INSERT INTO branch(id, code, name) VALUES ('b1','B1','北京分公司');"
	    "INSERT INTO team(id, branch_id, code, name) VALUES ('t1','b1','T1','一组');"
	    "INSERT INTO team(id, branch_id, code, name) VALUES ('t2','b1','T2','二组');");
}

void
tu_hub_close(tu_hub_t *h)
{
	fsy_hub_fini(&h->hub);
	fsy_store_close(h->st);
	h->st = NULL;
}

void
tu_hub_agent(tu_hub_t *h, const char *agent_id, const char *code,
    const char *team_id, const char *role)
{
	char sql[512];
	snprintf(sql, sizeof(sql), "INSERT INTO agent(id, code, name, team_id, role, "
	    "hired_on) VALUES ('%s','%s','Agent %s','%s','%s','2015-01-01')",
	    agent_id, code, code, team_id, role);
	tu_exec(h->st, sql);
}

void
tu_agent_open(tu_hub_t *h, tu_agent_t *a, const char *dbname,
    const char *agent_id)
{
	memset(a, 0, sizeof(*a));
	fsy_uuid_v7(a->device_id);
	snprintf(a->agent_id, sizeof(a->agent_id), "%s", agent_id);
	snprintf(a->dbname, sizeof(a->dbname), "%s", dbname);
	crypto_sign_keypair(a->pk, a->sk);
	assert_int_equal(fsy_hub_device_add(h->st, a->device_id, agent_id, a->pk,
	    dbname), FSY_OK);
	a->st = tu_open(dbname, FSY_ROLE_AGENT, a->device_id);
	fsy_agent_session_init(&a->sess, a->st, a->sk);
	assert_true(h->nconns < TU_MAX_CONN);
	a->conn = h->nconns++;
}

void
tu_agent_close(tu_agent_t *a)
{
	fsy_agent_session_fini(&a->sess);
	fsy_store_close(a->st);
	a->st = NULL;
}

void
tu_agent_reopen(tu_agent_t *a)
{
	fsy_agent_session_fini(&a->sess);
	fsy_store_close(a->st);
	a->st = NULL;
	a->st = tu_open(a->dbname, FSY_ROLE_AGENT, a->device_id);
	fsy_agent_session_init(&a->sess, a->st, a->sk);
}

int
tu_sync(tu_hub_t *h, tu_agent_t *a, int drop_reply_at)
{
	fsy_buf_t req = {0}, rep = {0};
	fsy_msg_t m, rr[2], *pend = NULL;
	int rc, done = 0, n = 0, k = 0;

	memset(&m, 0, sizeof(m));
	memset(rr, 0, sizeof(rr));
	/* a round starts on a fresh pipe, as after a reconnect */
	memset(&h->conns[a->conn], 0, sizeof(h->conns[a->conn]));
	/* As the daemon: a SNAPSHOT is applied after its next PULL is sent;
	 * here after the hub has answered that PULL, the order in which the
	 * hub sees the fewest acknowledgements. */
	a->sess.overlap = 1;
	rc = fsy_agent_session_start(&a->sess, &req);
	while (rc == FSY_OK && !done) {
		assert_true(n < 10000);
		rc = fsy_msg_decode(req.data, req.len, &m);
		assert_int_equal(rc, FSY_OK);
		rc = fsy_hub_handle(&h->hub, &h->conns[a->conn], &m, &rep);
		fsy_msg_free(&m);
		assert_true(rc == FSY_OK || rc == FSY_ECLOSED);
		h->frames += 2;
		h->bytes += req.len + rep.len;
		if (pend != NULL) {
			rc = fsy_agent_session_apply(&a->sess, pend);
			fsy_msg_free(pend);
			pend = NULL;
			if (rc != FSY_OK)
				break;
		}
		if (n++ == drop_reply_at) {
			memset(&h->conns[a->conn], 0, sizeof(h->conns[a->conn]));
			a->sess.state = FSY_AS_FAILED;
			rc = FSY_ETIMEOUT;
			break;
		}
		rc = fsy_msg_decode(rep.data, rep.len, &rr[k]);
		assert_int_equal(rc, FSY_OK);
		a->sess.stats.bytes_in += rep.len;
		if (rr[k].type == FSY_MSG_SNAPSHOT) {
			const fsy_msg_snapshot_t *sn = &rr[k].u.snapshot;
			h->snapshots++;
			if (sn->ncustomers > 1 && sn->nchanges > h->snap_multi_max)
				h->snap_multi_max = sn->nchanges;
		}
		rc = fsy_agent_session_step(&a->sess, &rr[k], &req, &done);
		if (fsy_agent_session_deferred(&a->sess)) {
			pend = &rr[k]; /* kept until applied, above */
			k ^= 1;
		} else {
			fsy_msg_free(&rr[k]);
		}
	}
	fsy_msg_free(&rr[0]);
	fsy_msg_free(&rr[1]);
	fsy_buf_free(&req);
	fsy_buf_free(&rep);
	return rc;
}

void
tu_sync_ok(tu_hub_t *h, tu_agent_t *a)
{
	int rc = tu_sync(h, a, -1);
	if (rc != FSY_OK)
		fail_msg("sync of %s failed: %s: %s", a->dbname, fsy_strerror(rc),
		    a->sess.errmsg);
	/* A revoke of customers with pending changes ends the round early;
	 * the next round pushes, then erases. */
	for (int i = 0; i < 3; i++) {
		fsy_replica_status_t rs;
		assert_int_equal(fsy_replica_status(a->st, &rs), FSY_OK);
		if (rs.pending == 0 && a->sess.stats.revoked_customers == 0)
			break;
		rc = tu_sync(h, a, -1);
		if (rc != FSY_OK)
			fail_msg("sync of %s failed: %s: %s", a->dbname,
			    fsy_strerror(rc), a->sess.errmsg);
	}
}

void
tu_assert_converged(tu_hub_t *h, tu_agent_t *a)
{
	uint8_t x[32], y[32];
	char hx[65], hy[65];

	assert_int_equal(fsy_replica_hash(a->st, x), FSY_OK);
	assert_int_equal(fsy_hub_scope_hash(h->st, a->agent_id, y), FSY_OK);
	fsy_hex(x, 32, hx);
	fsy_hex(y, 32, hy);
	if (memcmp(x, y, 32) != 0)
		fail_msg("%s diverged: replica %s hub %s", a->dbname, hx, hy);
}

void
tu_hub_customer(tu_hub_t *h, char id[37], const char *name,
    const char *owner, const char *sol)
{
	char sql[1024], pid[37], pol[37];

	fsy_uuid_v7(id);
	fsy_uuid_v7(pid);
	fsy_uuid_v7(pol);
	snprintf(sql, sizeof(sql),
	    "INSERT INTO customer(id, customer_id, card_no, name, gender, phone, "
	    "rating, owner_agent_id) VALUES ('%s','%s','W%04d','%s','M',"
	    "'1380000%04d','B',%s%s%s);"
	    "INSERT INTO person(id, customer_id, relation, name) VALUES "
	    "('%s','%s','spouse','配偶');"
	    "INSERT INTO policy(id, customer_id, policy_no, product, product_type, "
	    "pay_mode, modal_premium_fen, annual_premium_fen, payment_years, "
	    "issue_date, status, soliciting_agent_id) VALUES ('%s','%s','P-%s',"
	    "'康宁终身','health','annual',2000000,2000000,20,'2020-03-01',"
	    "'inforce',%s%s%s)",
	    id, id, (int)(id[30] & 0xff), name, (int)(id[31] & 0xff),
	    owner ? "'" : "", owner ? owner : "NULL", owner ? "'" : "",
	    pid, id, pol, id, pol, sol ? "'" : "", sol ? sol : "NULL",
	    sol ? "'" : "");
	tu_exec(h->st, sql);
}
