/* tu_world.c — the torture tests' world (see tu_world.h). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "gendata.h"
#include "import.h"
#include "tu_world.h"
#include "util.h"

const char *const tw_phase_names[TW_NPHASE] = {
	"idle", "open", "laptop-command", "hub-edit", "assign", "import",
	"hub-handshake", "hub-merge", "hub-pull", "laptop-ack",
	"laptop-snapshot", "laptop-revoke", "laptop-batch", "laptop-other",
};

#define TW_ID(x) "0190b000-0000-7000-8000-0000000000" x

static const char *const agent_ids[] = {TW_ID("a1"), TW_ID("a2"),
    TW_ID("a3"), TW_ID("a4"), TW_ID("f1")};

static int
werr(tw_world_t *w, int rc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
werr(tw_world_t *w, int rc, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(w->err, sizeof(w->err), fmt, ap);
	va_end(ap);
	return rc;
}

/* ---- building --------------------------------------------------------------- */

void
tw_open(tw_world_t *w, int per_agent, int nimp, tw_stats_t *stats,
    uint64_t seed)
{
	char sql[1024];
	int card = 1;

	memset(w, 0, sizeof(*w));
	w->stats = stats;
	tu_rng_seed(&w->rng, seed);
	tu_hub_open(&w->h, "hub.db");
	for (int i = 0; i < 5; i++) {
		snprintf(w->code[i], sizeof(w->code[i]), i < 4 ? "A%d" : "L1",
		    i + 1);
		tu_hub_agent(&w->h, agent_ids[i], w->code[i], i < 2 || i == 4
		    ? "t1" : "t2", i < 4 ? "agent" : "lead");
	}
	tu_exec(w->h.st, "UPDATE agent SET performance = 50");
	for (int i = 0; i < 4; i++)
		for (int k = 0; k < per_agent; k++, card++) {
			char id[37], pid[37], pol[37];
			/* fixed ids: picks in id order follow the seed */
			snprintf(id, sizeof(id), "0190b001-0000-7000-8000-%012d", card);
			snprintf(pid, sizeof(pid), "0190b002-0000-7000-8000-%012d", card);
			snprintf(pol, sizeof(pol), "0190b003-0000-7000-8000-%012d", card);
			snprintf(sql, sizeof(sql),
			    "INSERT INTO customer(id, customer_id, card_no, name, "
			    "gender, phone, rating, owner_agent_id, owner_since) "
			    "VALUES ('%s','%s','W%04d','王%03d','M','1380000%04d',"
			    "'B','%s','2020-01-01T00:00:00Z');"
			    "INSERT INTO person(id, customer_id, relation, name) "
			    "VALUES ('%s','%s','spouse','李%03d');"
			    "INSERT INTO policy(id, customer_id, policy_no, product, "
			    "product_type, pay_mode, modal_premium_fen, "
			    "annual_premium_fen, payment_years, issue_date, status, "
			    "soliciting_agent_id) VALUES ('%s','%s','P%06d','康宁终身',"
			    "'health','annual',2000000,2000000,20,'2020-03-01',"
			    "'inforce','%s')",
			    id, id, card, card, card, agent_ids[i], pid, id, card,
			    pol, id, card, agent_ids[i]);
			tu_exec(w->h.st, sql);
		}
	w->nagents = 4;
	w->nlap = 5;
	for (int i = 0; i < w->nlap; i++) {
		char db[32];
		snprintf(db, sizeof(db), "lap%d.db", i);
		tu_agent_open(&w->h, &w->lap[i], db, agent_ids[i]);
		tu_exec(w->lap[i].st, "PRAGMA synchronous = OFF");
	}
	for (int i = 0; i < nimp && i < TW_MAXIMP; i++) {
		fsy_gen_opts_t o;
		char err[256];
		fsy_gen_opts_init(&o);
		o.seed = seed + (uint64_t)i;
		o.customers = 10;
		snprintf(o.branch, sizeof(o.branch), "X%d", i + 1);
		assert_int_equal(fsy_gen_opts_check(&o, err, sizeof(err)), FSY_OK);
		snprintf(w->imp[i], sizeof(w->imp[i]), "%s", tu_path(""));
		snprintf(w->imp[i] + strlen(w->imp[i]),
		    sizeof(w->imp[i]) - strlen(w->imp[i]), "imp%d", i + 1);
		if (fsy_gen_write(&o, w->imp[i], NULL, err, sizeof(err)) != FSY_OK)
			fail_msg("gen: %s", err);
		w->nimp++;
	}
}

void
tw_close(tw_world_t *w)
{
	tw_stores_close(w);
	for (int i = 0; i < TW_MAXLAP; i++)
		free(w->old[i]);
	memset(w->old, 0, sizeof(w->old));
}

static int
open_one(tw_world_t *w, const char *name, fsy_role_t role, const char *site,
    fsy_store_t **st)
{
	char err[512];
	int rc = fsy_store_open(tu_path(name), role, site, st, err, sizeof(err));

	if (rc != FSY_OK)
		return werr(w, rc, "open %s: %s", name, err);
	if ((rc = fsy_store_exec(*st, "PRAGMA synchronous = OFF")) != FSY_OK)
		return werr(w, rc, "%s: %s", name, fsy_store_errmsg(*st));
	return FSY_OK;
}

int
tw_stores_open(tw_world_t *w)
{
	int rc;

	w->stats->phase = TW_PH_OPEN;
	rc = open_one(w, "hub.db", FSY_ROLE_HUB, NULL, &w->h.st);
	if (rc == FSY_OK)
		fsy_hub_init(&w->h.hub, w->h.st);
	for (int i = 0; i < w->nlap && rc == FSY_OK; i++) {
		tu_agent_t *a = &w->lap[i];
		rc = open_one(w, a->dbname, FSY_ROLE_AGENT, a->device_id, &a->st);
		if (rc == FSY_OK)
			fsy_agent_session_init(&a->sess, a->st, a->sk);
	}
	w->stats->phase = TW_PH_IDLE;
	return rc;
}

void
tw_stores_close(tw_world_t *w)
{
	for (int i = 0; i < w->nlap; i++) {
		if (w->lap[i].st == NULL)
			continue;
		fsy_agent_session_fini(&w->lap[i].sess);
		fsy_store_close(w->lap[i].st);
		w->lap[i].st = NULL;
	}
	fsy_hub_fini(&w->h.hub);
	fsy_store_close(w->h.st);
	w->h.st = NULL;
}

/* ---- a round over a faulty link ------------------------------------------ */

static int
chance(tw_world_t *w, uint32_t per_mille)
{
	return per_mille && tu_rng_below(&w->rng, 1000) < per_mille;
}

static int
req_phase(int type)
{
	return type == FSY_MSG_PUSH ? TW_PH_HUB_PUSH
	    : type == FSY_MSG_PULL ? TW_PH_HUB_PULL : TW_PH_HUB_HANDSHAKE;
}

static int
rep_phase(int type)
{
	switch (type) {
	case FSY_MSG_ACK: return TW_PH_AGENT_ACK;
	case FSY_MSG_SNAPSHOT: return TW_PH_AGENT_SNAPSHOT;
	case FSY_MSG_REVOKE: return TW_PH_AGENT_REVOKE;
	case FSY_MSG_BATCH: return TW_PH_AGENT_BATCH;
	default: return TW_PH_AGENT_OTHER;
	}
}

/* The hub handles one request frame; the reply goes to rep (may be NULL:
 * discarded). A frame that does not decode gets the ERROR the daemon
 * sends (hubnet.c). */
static int
hub_frame(tw_world_t *w, fsy_hub_conn_t *conn, const uint8_t *data,
    size_t len, fsy_buf_t *rep)
{
	fsy_buf_t scratch = {0};
	fsy_msg_t m;
	int rc;

	if (rep == NULL)
		rep = &scratch;
	rep->len = 0;
	memset(&m, 0, sizeof(m));
	rc = fsy_msg_decode(data, len, &m);
	if (rc != FSY_OK) {
		fsy_msg_t e;
		memset(&e, 0, sizeof(e));
		e.type = FSY_MSG_ERROR;
		e.u.error.code = rc;
		e.u.error.message = "malformed frame";
		rc = fsy_msg_encode(&e, 0, rep);
		fsy_buf_free(&scratch);
		return rc == FSY_OK ? FSY_OK : werr(w, FSY_EINTERNAL,
		    "cannot encode an ERROR");
	}
	w->stats->phase = req_phase(m.type);
	rc = fsy_hub_handle(&w->h.hub, conn, &m, rep);
	w->stats->phase = TW_PH_IDLE;
	fsy_msg_free(&m);
	fsy_buf_free(&scratch);
	if (rc != FSY_OK && rc != FSY_ECLOSED)
		return werr(w, FSY_EINTERNAL, "hub_handle: %s", fsy_strerror(rc));
	return FSY_OK;
}

static void
keep_old(tw_world_t *w, int i, const fsy_buf_t *req)
{
	uint8_t *p = realloc(w->old[i], req->len ? req->len : 1);
	if (p == NULL)
		return;
	memcpy(p, req->data, req->len);
	w->old[i] = p;
	w->oldlen[i] = req->len;
}

static int
copy_buf(fsy_buf_t *dst, const fsy_buf_t *src)
{
	if (dst->cap < src->len) {
		uint8_t *p = realloc(dst->data, src->len);
		if (p == NULL)
			return FSY_ENOMEM;
		dst->data = p;
		dst->cap = src->len;
	}
	memcpy(dst->data, src->data, src->len);
	dst->len = src->len;
	return FSY_OK;
}

/* Applies the SNAPSHOT the laptop deferred (its next PULL is out). */
static int
apply_pending(tw_world_t *w, tu_agent_t *a, fsy_msg_t **pend)
{
	int rc;

	w->stats->phase = TW_PH_AGENT_SNAPSHOT; /* where test_crash kills */
	rc = fsy_agent_session_apply(&a->sess, *pend);
	w->stats->phase = TW_PH_IDLE;
	fsy_msg_free(*pend);
	*pend = NULL;
	return rc;
}

int
tw_round(tw_world_t *w, int i)
{
	const tw_faults_t *f = w->faults;
	static const tw_faults_t none;
	tu_agent_t *a = &w->lap[i];
	fsy_hub_conn_t *conn = &w->h.conns[a->conn];
	fsy_buf_t req = {0}, rep = {0}, late = {0}, cand = {0};
	tw_stats_t *s = w->stats;
	fsy_msg_t r, rr[2], *pend = NULL;
	int rc, done = 0, n = 0, have_late = 0, k = 0;

	if (f == NULL)
		f = &none;
	memset(rr, 0, sizeof(rr));
	memset(conn, 0, sizeof(*conn)); /* a round starts on a new pipe */
	/* As the daemon: a SNAPSHOT is applied after its next PULL is sent,
	 * here before or after the hub answers that PULL (both happen). */
	a->sess.overlap = 1;
	a->sess.limits.max_changes = w->max_changes ? w->max_changes
	                                            : 2 + tu_rng_below(&w->rng, 8);
	s->rounds++;
	rc = fsy_agent_session_start(&a->sess, &req);
	while (rc == FSY_OK && !done) {
		if (n++ > 100000) {
			rc = werr(w, FSY_EINTERNAL, "round of laptop %d does not end",
			    i);
			break;
		}
		s->frames++;
		/* an old request of this device, delivered late */
		if (w->old[i] && n > 2 && chance(w, f->replay)) {
			s->replay++;
			if ((rc = hub_frame(w, conn, w->old[i], w->oldlen[i],
			    NULL)) != FSY_OK)
				break;
		}
		if (n > 2 && f->replay && tu_rng_below(&w->rng, 3) == 0)
			(void)copy_buf(&cand, &req);
		if (pend != NULL && tu_rng_below(&w->rng, 2) == 0 &&
		    (rc = apply_pending(w, a, &pend)) != FSY_OK)
			break;
		if (chance(w, f->drop_req)) {
			s->drop_req++;
			rc = FSY_ETIMEOUT;
			break;
		}
		if (chance(w, f->trunc_req) && req.len > 1) {
			/* a truncated frame must not decode */
			size_t cut = 1 + tu_rng_below(&w->rng, (uint32_t)req.len - 1);
			s->trunc_req++;
			memset(&r, 0, sizeof(r));
			if (fsy_msg_decode(req.data, cut, &r) == FSY_OK) {
				fsy_msg_free(&r);
				rc = werr(w, FSY_EINTERNAL, "a request cut at %zu of "
				    "%zu bytes decoded", cut, req.len);
				break;
			}
			rc = hub_frame(w, conn, req.data, cut, &rep);
		} else {
			rc = hub_frame(w, conn, req.data, req.len, &rep);
			if (rc == FSY_OK && chance(w, f->dup_req)) {
				fsy_buf_t rep2 = {0};
				s->dup_req++;
				rc = hub_frame(w, conn, req.data, req.len, &rep2);
				if (rc == FSY_OK && tu_rng_below(&w->rng, 2)) {
					fsy_buf_t t = rep;
					rep = rep2;
					rep2 = t;
				}
				fsy_buf_free(&rep2);
			}
		}
		if (rc != FSY_OK)
			break;
		if (pend != NULL && (rc = apply_pending(w, a, &pend)) != FSY_OK)
			break;
		if (have_late) {
			s->late_dup++;
			have_late = 0;
			if ((rc = hub_frame(w, conn, late.data, late.len,
			    NULL)) != FSY_OK)
				break;
		}
		if (chance(w, f->late_dup) && copy_buf(&late, &req) == FSY_OK)
			have_late = 1;
		if (chance(w, f->drop_rep)) {
			s->drop_rep++;
			rc = FSY_ETIMEOUT;
			break;
		}
		memset(&r, 0, sizeof(r));
		if (chance(w, f->trunc_rep) && rep.len > 1) {
			size_t cut = 1 + tu_rng_below(&w->rng, (uint32_t)rep.len - 1);
			s->trunc_rep++;
			if (fsy_msg_decode(rep.data, cut, &r) == FSY_OK) {
				fsy_msg_free(&r);
				rc = werr(w, FSY_EINTERNAL, "a reply cut at %zu of %zu "
				    "bytes decoded", cut, rep.len);
				break;
			}
			rc = FSY_EMALFORMED; /* the daemon ends the round */
			break;
		}
		if ((rc = fsy_msg_decode(rep.data, rep.len, &r)) != FSY_OK) {
			rc = werr(w, FSY_EINTERNAL, "the hub's reply does not "
			    "decode: %s", fsy_strerror(rc));
			break;
		}
		s->phase = rep_phase(r.type);
		rr[k] = r;
		rc = fsy_agent_session_step(&a->sess, &rr[k], &req, &done);
		s->phase = TW_PH_IDLE;
		if (fsy_agent_session_deferred(&a->sess)) {
			pend = &rr[k]; /* applied once the PULL is out, above */
			k ^= 1;
		} else {
			fsy_msg_free(&rr[k]);
		}
	}
	/* The PULL went (or was lost on the way): the laptop applied the
	 * frame all the same. */
	if (pend != NULL && a->sess.state != FSY_AS_FAILED) {
		int rc2 = apply_pending(w, a, &pend);
		if (rc == FSY_OK)
			rc = rc2;
	}
	fsy_msg_free(&rr[0]);
	fsy_msg_free(&rr[1]);
	if (rc == FSY_OK)
		s->rounds_ok++;
	else if (a->sess.state != FSY_AS_FAILED)
		a->sess.state = FSY_AS_FAILED;
	if (cand.len)
		keep_old(w, i, &cand);
	fsy_buf_free(&req);
	fsy_buf_free(&rep);
	fsy_buf_free(&late);
	fsy_buf_free(&cand);
	return rc;
}

/* ---- random actions -------------------------------------------------------- */

/* A failure the disk explains (full, I/O error, busy): allowed, as long
 * as it changed nothing — the checks find out. */
static int
resource_error(int rc)
{
	return rc == FSY_EFULL || rc == FSY_EIO || rc == FSY_EBUSY;
}

/* A random live customer id of a store (owner: restrict to that agent). */
static int
pick_customer(tw_world_t *w, fsy_store_t *st, const char *owner, char id[37])
{
	sqlite3_stmt *q;
	int64_t n = 0;
	int rc;

	rc = sqlite3_prepare_v2(fsy_store_db(st), "SELECT count(*) FROM customer "
	    "WHERE deleted = 0 AND (?1 IS NULL OR owner_agent_id = ?1)", -1, &q,
	    NULL);
	if (rc != SQLITE_OK)
		return werr(w, FSY_EINTERNAL, "pick: %s",
		    sqlite3_errmsg(fsy_store_db(st)));
	sqlite3_bind_text(q, 1, owner, -1, SQLITE_STATIC);
	if (sqlite3_step(q) == SQLITE_ROW)
		n = sqlite3_column_int64(q, 0);
	sqlite3_finalize(q);
	if (n == 0)
		return FSY_ENOTFOUND;
	rc = sqlite3_prepare_v2(fsy_store_db(st), "SELECT id FROM customer "
	    "WHERE deleted = 0 AND (?1 IS NULL OR owner_agent_id = ?1) "
	    "ORDER BY id LIMIT 1 OFFSET ?2", -1, &q, NULL);
	if (rc != SQLITE_OK)
		return werr(w, FSY_EINTERNAL, "pick: %s",
		    sqlite3_errmsg(fsy_store_db(st)));
	sqlite3_bind_text(q, 1, owner, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 2, tu_rng_below(&w->rng, (uint32_t)n));
	rc = sqlite3_step(q) == SQLITE_ROW ? FSY_OK : FSY_ENOTFOUND;
	if (rc == FSY_OK)
		snprintf(id, 37, "%s", sqlite3_column_text(q, 0));
	sqlite3_finalize(q);
	return rc;
}

static int
run_cmd(tw_world_t *w, fsy_store_t *st, fsy_role_t role, const char *req)
{
	fsy_cmd_ctx_t ctx;
	char *reply = NULL;
	int rc;

	memset(&ctx, 0, sizeof(ctx));
	ctx.st = st;
	ctx.role = role;
	ctx.datadir = getenv("FSY_DATADIR");
	rc = fsy_cmd_run(&ctx, req, strlen(req), &reply);
	if (reply == NULL)
		return werr(w, FSY_EINTERNAL, "no reply to %s", req);
	if (rc != FSY_OK && strstr(reply, "\"message\"") == NULL)
		rc = werr(w, FSY_EINTERNAL, "error without a message: %s", reply);
	else if (rc == FSY_EINTERNAL)
		rc = werr(w, FSY_EINTERNAL, "%s -> %s", req, reply);
	free(reply);
	return rc;
}

static int
laptop_write(tw_world_t *w, int i)
{
	tu_agent_t *a = &w->lap[i];
	uint32_t k = tu_rng_below(&w->rng, 100), v = tu_rng_below(&w->rng, 1u << 30);
	char id[37], req[512];
	int rc = pick_customer(w, a->st, NULL, id);

	if (rc == FSY_ENOTFOUND)
		return FSY_OK;
	if (rc)
		return rc;
	w->stats->writes++;
	w->stats->phase = TW_PH_WRITE;
	if (k < 8) {
		/* what the hub must refuse: a head-office column, by hand */
		snprintf(req, sizeof(req), "UPDATE customer SET star_level = %u "
		    "WHERE id = '%s'", v % 8, id);
		rc = fsy_store_exec(a->st, req);
		w->stats->bad_writes++;
		w->stats->phase = TW_PH_IDLE;
		if (rc == FSY_OK)
			w->stats->writes_ok++;
		return rc == FSY_OK || resource_error(rc) ? FSY_OK
		    : werr(w, FSY_EINTERNAL, "%s: %s", req, fsy_store_errmsg(a->st));
	}
	if (k < 45)
		snprintf(req, sizeof(req), "{\"cmd\":\"visit.add\",\"args\":{"
		    "\"customer\":\"%s\",\"channel\":\"%s\",\"customer_said\":"
		    "\"说%u\"}}", id, v % 2 ? "visit" : "phone", v);
	else if (k < 75)
		snprintf(req, sizeof(req), "{\"cmd\":\"edit\",\"args\":{"
		    "\"customer\":\"%s\",\"%s\":\"%s%u\"}}", id,
		    v % 3 == 0 ? "phone" : v % 3 == 1 ? "address" : "facts",
		    v % 3 == 0 ? "139" : "", v % 3 == 0 ? v % 100000000 : v);
	else if (k < 87)
		snprintf(req, sizeof(req), "{\"cmd\":\"need.add\",\"args\":{"
		    "\"customer\":\"%s\",\"kind\":\"health\",\"note\":\"n%u\"}}",
		    id, v);
	else if (k < 96)
		snprintf(req, sizeof(req), "{\"cmd\":\"family.add\",\"args\":{"
		    "\"customer\":\"%s\",\"relation\":\"child\",\"name\":"
		    "\"王%u\"}}", id, v % 1000);
	else
		snprintf(req, sizeof(req), "{\"cmd\":\"referral.add\",\"args\":{"
		    "\"customer\":\"%s\",\"name\":\"赵%u\",\"card\":true}}", id,
		    v % 1000);
	rc = run_cmd(w, a->st, FSY_ROLE_AGENT, req);
	w->stats->phase = TW_PH_IDLE;
	if (rc == FSY_OK)
		w->stats->writes_ok++;
	return rc == FSY_EINTERNAL ? rc : FSY_OK;
}

static int
hub_edit(tw_world_t *w)
{
	char id[37], sql[256];
	int rc = pick_customer(w, w->h.st, agent_ids[tu_rng_below(&w->rng, 4)],
	    id);

	if (rc == FSY_ENOTFOUND)
		return FSY_OK;
	if (rc)
		return rc;
	snprintf(sql, sizeof(sql), "UPDATE customer SET %s = 'HQ%u' WHERE id = "
	    "'%s'", tu_rng_below(&w->rng, 2) ? "address" : "facts",
	    tu_rng_below(&w->rng, 1u << 30), id);
	w->stats->hub_edits++;
	w->stats->phase = TW_PH_HUB_EDIT;
	rc = fsy_store_exec(w->h.st, sql);
	w->stats->phase = TW_PH_IDLE;
	return rc == FSY_OK || resource_error(rc) ? FSY_OK
	    : werr(w, FSY_EINTERNAL, "%s: %s", sql,
	    fsy_store_errmsg(w->h.st));
}

/* Head office moves a customer to another agent — a third of the time
 * the one it moved last back to where it was (a correction of a mistake:
 * the old laptop may not have erased it yet). */
static int
hub_assign(tw_world_t *w)
{
	int from = (int)tu_rng_below(&w->rng, 4);
	int to = (from + 1 + (int)tu_rng_below(&w->rng, 3)) % 4;
	char id[37], req[256];
	int rc;

	if (w->moved[0] && tu_rng_below(&w->rng, 3) == 0) {
		snprintf(id, sizeof(id), "%s", w->moved);
		to = w->moved_from;
		w->moved[0] = '\0';
		rc = FSY_OK;
	} else {
		rc = pick_customer(w, w->h.st, agent_ids[from], id);
		if (rc == FSY_ENOTFOUND)
			return FSY_OK;
		if (rc)
			return rc;
		snprintf(w->moved, sizeof(w->moved), "%s", id);
		w->moved_from = from;
	}
	snprintf(req, sizeof(req), "{\"cmd\":\"assign\",\"args\":{\"customer\":"
	    "\"%s\",\"agent\":\"%s\",\"reason\":\"torture\"}}", id, w->code[to]);
	w->stats->assigns++;
	w->stats->phase = TW_PH_ASSIGN;
	rc = run_cmd(w, w->h.st, FSY_ROLE_HUB, req);
	w->stats->phase = TW_PH_IDLE;
	return rc == FSY_EINTERNAL ? rc : FSY_OK;
}

static int
hub_import(tw_world_t *w)
{
	char req[512];
	int k = (int)tu_rng_below(&w->rng, (uint32_t)w->nimp), rc;

	if (w->nimp == 0)
		return FSY_OK;
	snprintf(req, sizeof(req), "{\"cmd\":\"import\",\"args\":{\"dir\":"
	    "\"%s\"}}", w->imp[k]);
	w->stats->imports++;
	w->stats->phase = TW_PH_IMPORT;
	rc = run_cmd(w, w->h.st, FSY_ROLE_HUB, req);
	w->stats->phase = TW_PH_IDLE;
	if (rc == FSY_OK)
		w->stats->imports_ok++;
	else if (resource_error(rc))
		rc = FSY_OK;
	else if (rc != FSY_EINTERNAL)
		rc = werr(w, FSY_EINTERNAL, "import %s failed: %s", w->imp[k],
		    fsy_strerror(rc));
	return rc;
}

int
tw_step(tw_world_t *w)
{
	uint32_t k = tu_rng_below(&w->rng, 100);
	int rc;

	w->stats->steps++;
	if (k < 40)
		return laptop_write(w, (int)tu_rng_below(&w->rng,
		    (uint32_t)w->nagents));
	if (k < 80) {
		rc = tw_round(w, (int)tu_rng_below(&w->rng, (uint32_t)w->nlap));
		return rc == FSY_EINTERNAL ? rc : FSY_OK;
	}
	if (k < 88)
		return hub_edit(w);
	if (k < 97)
		return hub_assign(w);
	return hub_import(w);
}

/* ---- checks (cmocka) ------------------------------------------------------ */

void
tw_converge(tw_world_t *w)
{
	const tw_faults_t *f = w->faults;
	int quiet = 0;

	w->faults = NULL;
	for (int pass = 0; pass < 12 && !quiet; pass++) {
		quiet = 1;
		for (int i = 0; i < w->nlap; i++) {
			tu_agent_t *a = &w->lap[i];
			fsy_replica_status_t rs;
			int rc = tw_round(w, i);
			if (rc != FSY_OK)
				fail_msg("laptop %d: round failed: %s: %s %s", i,
				    fsy_strerror(rc), a->sess.errmsg, w->err);
			assert_int_equal(fsy_replica_status(a->st, &rs), FSY_OK);
			if (rs.pending || a->sess.stats.pulled ||
			    a->sess.stats.snap_customers ||
			    a->sess.stats.revoked_customers ||
			    a->sess.stats.pushed)
				quiet = 0;
		}
	}
	w->faults = f;
	if (!quiet)
		fail_msg("no quiet pass after 12 passes of rounds");
}

static void
integrity(fsy_store_t *st, const char *what)
{
	const char *r = tu_text(st, "PRAGMA integrity_check");
	if (strcmp(r, "ok") != 0)
		fail_msg("%s: integrity_check: %s", what, r);
}

/* Customer numbers of an import data set, as the hub's ids. */
static int
import_ids(const char *dir, char (*ids)[37], int max)
{
	char path[400], line[4096];
	FILE *f;
	int n = 0, first = 1;

	snprintf(path, sizeof(path), "%s/customers.csv", dir);
	f = fopen(path, "r");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f) && n < max) {
		char *comma = strchr(line, ',');
		if (first) {
			first = 0;
			assert_true(strncmp(line, "customer_no,", 12) == 0);
			continue;
		}
		if (comma == NULL)
			continue;
		fsy_import_key_uuid("customer", line, (size_t)(comma - line),
		    ids[n++]);
	}
	fclose(f);
	return n;
}

void
tw_check_storage(tw_world_t *w)
{
	char sql[256];

	integrity(w->h.st, "hub");
	for (int i = 0; i < w->nlap; i++) {
		int64_t bad = 0;
		uint8_t h[32];
		char what[32];
		snprintf(what, sizeof(what), "laptop %d", i);
		integrity(w->lap[i].st, what);
		if (fsy_replica_verify_chain(w->lap[i].st, INT64_MAX, &bad, h) !=
		    FSY_OK)
			fail_msg("laptop %d: change log chain broken at seq %lld", i,
			    (long long)bad);
	}
	/* the feed (0006): every version has its entry, and every other
	 * entry is one listed for pruning */
	if (tu_int(w->h.st, "SELECT count(*) FROM col_version v WHERE NOT "
	    "EXISTS (SELECT 1 FROM col_feed f WHERE f.gseq = v.gseq AND "
	    "f.customer_id = v.customer_id AND f.tbl = v.tbl AND f.row_id = "
	    "v.row_id AND f.col = v.col)"))
		fail_msg("the hub has versions without their feed entry");
	if (tu_int(w->h.st, "SELECT count(*) FROM col_feed f WHERE NOT EXISTS "
	    "(SELECT 1 FROM col_version v WHERE v.gseq = f.gseq AND "
	    "v.customer_id = f.customer_id AND v.tbl = f.tbl AND v.row_id = "
	    "f.row_id AND v.col = f.col) AND NOT EXISTS (SELECT 1 FROM "
	    "col_feed_dead d WHERE d.gseq = f.gseq)"))
		fail_msg("the hub's feed has entries of no version, not listed");
	if (tu_int(w->h.st, "SELECT count(*) FROM device_state WHERE chain_ok = 0"))
		fail_msg("the hub recorded a broken chain: %s", tu_text(w->h.st,
		    "SELECT device_id || ': ' || chain_error FROM device_state "
		    "WHERE chain_ok = 0"));
	for (int k = 0; k < w->nimp; k++) {
		char ids[64][37];
		int n = import_ids(w->imp[k], ids, 64), have = 0;
		for (int j = 0; j < n; j++) {
			snprintf(sql, sizeof(sql), "SELECT count(*) FROM customer "
			    "WHERE id = '%s'", ids[j]);
			have += (int)tu_int(w->h.st, sql);
		}
		if (have != 0 && have != n)
			fail_msg("import %s half done: %d of %d customers", w->imp[k],
			    have, n);
	}
}

/* Runs a count query with ?1 = device id over the hub connection with
 * the laptop's replica attached as r. */
static int64_t
cross_count(tw_world_t *w, int i, const char *sql)
{
	sqlite3 *db = fsy_store_db(w->h.st);
	sqlite3_stmt *q;
	int64_t n = -1;

	if (sqlite3_prepare_v2(db, sql, -1, &q, NULL) != SQLITE_OK)
		fail_msg("%s: %s", sql, sqlite3_errmsg(db));
	sqlite3_bind_text(q, 1, w->lap[i].device_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, w->lap[i].agent_id, -1, SQLITE_STATIC);
	if (sqlite3_step(q) == SQLITE_ROW)
		n = sqlite3_column_int64(q, 0);
	sqlite3_finalize(q);
	return n;
}

void
tw_check_all(tw_world_t *w)
{
	char sql[600];

	tw_check_storage(w);
	/* the agents write only to customers on their laptops: none of it
	 * may be refused as "not owned" */
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM rejected_change WHERE "
	    "code = %d", FSY_ENOTOWNER);
	if (tu_int(w->h.st, sql))
		fail_msg("%lld changes refused as not owned, e.g. %s",
		    (long long)tu_int(w->h.st, sql), tu_text(w->h.st,
		    "SELECT tbl || '.' || col || ' of ' || customer_id || ' seq ' "
		    "|| seq FROM rejected_change WHERE code = -16 LIMIT 1"));
	for (int i = 0; i < w->nlap; i++) {
		tu_agent_t *a = &w->lap[i];
		fsy_replica_status_t rs;
		int64_t n;

		assert_int_equal(fsy_replica_status(a->st, &rs), FSY_OK);
		if (rs.pending)
			fail_msg("laptop %d: %lld changes still pending", i,
			    (long long)rs.pending);
		snprintf(sql, sizeof(sql), "SELECT push_seq FROM device_state "
		    "WHERE device_id = '%s'", a->device_id);
		assert_int_equal(tu_int(w->h.st, sql), rs.log_seq);

		snprintf(sql, sizeof(sql), "ATTACH DATABASE '%s' AS r",
		    tu_path(a->dbname));
		tu_exec(w->h.st, sql);
		/* every change saved on the laptop is at the hub: merged (the
		 * version there is this one or a later one) or refused and
		 * kept with its reason */
		n = cross_count(w, i, "SELECT count(*) FROM r.change_log c WHERE "
		    "NOT EXISTS (SELECT 1 FROM rejected_change x WHERE "
		    "x.device_id = ?1 AND x.seq = c.seq) AND NOT EXISTS (SELECT 1 "
		    "FROM col_version v WHERE v.customer_id = c.customer_id AND "
		    "v.tbl = c.tbl AND v.row_id = c.row_id "
		    "AND v.col = c.col AND (v.hlc > c.hlc OR (v.hlc = c.hlc AND "
		    "v.site = ?1)))");
		if (n != 0) {
			char one[600];
			snprintf(one, sizeof(one), "%s", tu_text(w->h.st,
			    "SELECT 'seq ' || c.seq || ' tbl ' || c.tbl || ' col ' || "
			    "c.col || ' row ' || c.row_id || ' hlc ' || c.hlc || ' val ' "
			    "|| quote(c.val) || ' redacted ' || c.redacted || "
			    "' / hub: ' || ifnull((SELECT v.hlc || ' ' || v.site || ' ' "
			    "|| quote(v.val) FROM col_version v WHERE v.tbl = c.tbl AND "
			    "v.row_id = c.row_id AND v.col = c.col), 'no version') FROM "
			    "r.change_log c WHERE NOT EXISTS (SELECT 1 FROM "
			    "rejected_change x WHERE x.seq = c.seq AND x.device_id = "
			    "(SELECT value FROM r.meta WHERE key = 'site')) AND NOT "
			    "EXISTS (SELECT 1 FROM col_version v WHERE v.tbl = c.tbl AND "
			    "v.row_id = c.row_id AND v.col = c.col AND (v.hlc > c.hlc OR "
			    "(v.hlc = c.hlc AND v.site = (SELECT value FROM r.meta WHERE "
			    "key = 'site')))) LIMIT 1"));
			fail_msg("laptop %d: %lld saved changes are not at the hub: %s",
			    i, (long long)n, one);
		}
		/* ... with the value the laptop saved */
		n = cross_count(w, i, "SELECT count(*) FROM r.change_log c JOIN "
		    "col_version v ON v.customer_id = c.customer_id AND "
		    "v.tbl = c.tbl AND v.row_id = c.row_id AND "
		    "v.col = c.col AND v.hlc = c.hlc AND v.site = ?1 "
		    "WHERE c.redacted = 0 AND v.val IS NOT c.val");
		if (n != 0)
			fail_msg("laptop %d: %lld changes arrived with another value",
			    i, (long long)n);
		/* visits exactly once: every visit saved is at the hub (or
		 * refused), and the hub has no visit of this device that the
		 * laptop did not save */
		n = cross_count(w, i, "SELECT count(DISTINCT c.row_id) FROM "
		    "r.change_log c WHERE c.tbl = 3 AND NOT EXISTS (SELECT 1 FROM "
		    "visit v WHERE v.id = c.row_id) AND NOT EXISTS (SELECT 1 FROM "
		    "rejected_change x WHERE x.device_id = ?1 AND x.seq = c.seq)");
		if (n != 0)
			fail_msg("laptop %d: %lld visits missing at the hub", i,
			    (long long)n);
		n = cross_count(w, i, "SELECT count(*) FROM visit v WHERE "
		    "v.device_id = ?1 AND NOT EXISTS (SELECT 1 FROM r.change_log c "
		    "WHERE c.tbl = 3 AND c.row_id = v.id)");
		if (n != 0)
			fail_msg("laptop %d: the hub has %lld visits the laptop never "
			    "saved", i, (long long)n);
		n = cross_count(w, i, "SELECT count(*) FROM visit v WHERE "
		    "v.device_id = ?1 AND v.received_at IS NULL");
		if (n != 0)
			fail_msg("laptop %d: %lld visits without a received time", i,
			    (long long)n);
		/* no customer the agent does not own survives on the laptop */
		n = cross_count(w, i, i < w->nagents
		    ? "SELECT count(*) FROM r.customer c WHERE NOT EXISTS (SELECT "
		      "1 FROM customer h WHERE h.id = c.id AND h.owner_agent_id = ?2)"
		    : "SELECT count(*) FROM r.customer c WHERE NOT EXISTS (SELECT "
		      "1 FROM customer h JOIN agent g ON g.id = h.owner_agent_id "
		      "WHERE h.id = c.id AND g.team_id = 't1')");
		if (n != 0)
			fail_msg("laptop %d holds %lld customers its agent does not "
			    "own", i, (long long)n);
		n = cross_count(w, i, "SELECT count(*) FROM r.visit c WHERE NOT "
		    "EXISTS (SELECT 1 FROM r.customer h WHERE h.id = c.customer_id)");
		if (n != 0)
			fail_msg("laptop %d holds %lld visits of customers it does not "
			    "hold", i, (long long)n);
		tu_exec(w->h.st, "DETACH DATABASE r");
		tu_assert_converged(&w->h, a);
	}
}

void
tw_print_stats(const char *prefix, const tw_stats_t *s)
{
	printf("%s: %llu steps, %llu laptop writes (%llu saved, %llu refused "
	    "by design), %llu rounds (%llu completed), %llu frames, %llu "
	    "head-office edits, %llu reassignments, %llu imports (%llu done)\n",
	    prefix, (unsigned long long)s->steps,
	    (unsigned long long)s->writes, (unsigned long long)s->writes_ok,
	    (unsigned long long)s->bad_writes, (unsigned long long)s->rounds,
	    (unsigned long long)s->rounds_ok, (unsigned long long)s->frames,
	    (unsigned long long)s->hub_edits, (unsigned long long)s->assigns,
	    (unsigned long long)s->imports, (unsigned long long)s->imports_ok);
	if (s->drop_req + s->drop_rep + s->dup_req + s->late_dup + s->trunc_req +
	    s->trunc_rep + s->replay)
		printf("%s: link faults: %llu requests lost, %llu replies lost, "
		    "%llu requests duplicated, %llu duplicates delivered late, "
		    "%llu requests truncated, %llu replies truncated, %llu old "
		    "requests replayed\n", prefix,
		    (unsigned long long)s->drop_req, (unsigned long long)s->drop_rep,
		    (unsigned long long)s->dup_req, (unsigned long long)s->late_dup,
		    (unsigned long long)s->trunc_req,
		    (unsigned long long)s->trunc_rep, (unsigned long long)s->replay);
	fflush(stdout);
}
