/*
 * hub.c — the hub end of sync: handshake, merge of pushed changes, and
 * ownership-scoped pulls (see sync.h, docs/SYNC.md).
 *
 * Connection states (fsy_hub_conn_t):
 *   new --HELLO ok--> challenged --AUTH ok--> authed
 * Any request out of order gets ERROR EAUTH/EPROTO and changes nothing.
 * Every PUSH or PULL runs in one IMMEDIATE transaction; its reply is made
 * only after the commit, so a reply that is lost costs a resend, never a
 * loss: merging is idempotent (seqs at or below the device's push_seq are
 * skipped) and pulls are driven by the device's cursor and acks.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "cardno.h"
#include "rows.h"
#include "store_int.h"
#include "sync.h"
#include "tables.h"
#include "vers.h"

void
fsy_sync_limits_default(fsy_sync_limits_t *l)
{
	l->max_changes = 64000;
	l->max_bytes = 4u << 20;
	l->max_skew_ms = 5 * 60 * 1000;
	l->late_ms = 3LL * 24 * 3600 * 1000;
	l->compress = 1;
}

static void
hlog(fsy_hub_t *hub, int level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
hlog(fsy_hub_t *hub, int level, const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	if (hub->log == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	hub->log(hub->log_arg, level, buf);
}

/* The default hook for a card made on a laptop: head office numbers it
 * from the surname. A name the surname table does not know keeps its
 * provisional number (head office can give the initial by hand later):
 * it must never make the agent's push fail. */
static int
number_new_card(fsy_hub_t *hub, const char *customer_id, const char *agent_id,
    void *arg)
{
	char card[16], err[256];
	int rc = fsy_cardno_assign(hub->st, arg, customer_id, NULL, card,
	    sizeof(card), err, sizeof(err));

	(void)agent_id;
	if (rc == FSY_OK)
		return FSY_OK;
	if (rc == FSY_ENOMEM || rc == FSY_EFULL || rc == FSY_EIO ||
	    rc == FSY_EBUSY || rc == FSY_ECORRUPT)
		return rc;
	hlog(hub, 1, "card %s keeps its provisional number: %s", customer_id,
	    err);
	return FSY_OK;
}

void
fsy_hub_init(fsy_hub_t *hub, fsy_store_t *st)
{
	memset(hub, 0, sizeof(*hub));
	hub->st = st;
	fsy_sync_limits_default(&hub->limits);
	hub->on_new_customer = number_new_card;
	hub->on_new_customer_arg = NULL; /* the surname table, loaded per card */
}

void
fsy_hub_fini(fsy_hub_t *hub)
{
	free(hub->chbuf);
	hub->chbuf = NULL;
	hub->chcap = 0;
}

/* The hub's change array with room for n, kept for the next request. */
static fsy_change_t *
hub_changes(fsy_hub_t *hub, uint32_t n)
{
	if (n > hub->chcap) {
		fsy_change_t *p = realloc(hub->chbuf, (size_t)n * sizeof(*p));
		if (p == NULL)
			return NULL;
		hub->chbuf = p;
		hub->chcap = n;
	}
	return hub->chbuf;
}

static void
now_iso(char out[21])
{
	fsy_iso_time(fsy_now_ms(), out);
}

static int
audit(fsy_store_t *st, const char *actor, const char *action,
    const char *detail)
{
	sqlite3_stmt *s;
	char at[21];
	int rc = fsy_store_stmt(st,
	    "INSERT INTO audit(at, actor, action, detail) VALUES (?,?,?,?)", &s);

	if (rc)
		return rc;
	now_iso(at);
	sqlite3_bind_text(s, 1, at, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(s, 2, actor, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, action, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 4, detail, -1, SQLITE_STATIC);
	rc = fsy_store_err(st, sqlite3_step(s));
	sqlite3_reset(s);
	return rc;
}

static int
reply_error(fsy_hub_t *hub, int code, const char *msg, uint32_t retry_ms,
    fsy_buf_t *out)
{
	fsy_msg_t m;

	memset(&m, 0, sizeof(m));
	m.type = FSY_MSG_ERROR;
	m.u.error.code = code;
	m.u.error.message = msg;
	m.u.error.retry_ms = retry_ms;
	(void)hub;
	return fsy_msg_encode(&m, 0, out);
}

/* ---- devices ------------------------------------------------------------- */

int
fsy_hub_device_add(fsy_store_t *st, const char *device_id, const char *agent_id,
    const uint8_t pk[32], const char *name)
{
	sqlite3_stmt *s;
	char hex[65], at[21];
	int rc;

	if (!fsy_uuid_valid(device_id))
		return FSY_EINVAL;
	fsy_hex(pk, 32, hex);
	now_iso(at);
	rc = fsy_store_stmt(st,
	    "INSERT INTO device(id, agent_id, name, pubkey, issued_at) "
	    "VALUES (?,?,?,?,?)", &s);
	if (rc)
		return rc;
	sqlite3_bind_text(s, 1, device_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, agent_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 4, hex, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 5, at, -1, SQLITE_STATIC);
	rc = fsy_store_err(st, sqlite3_step(s));
	sqlite3_reset(s);
	if (rc == FSY_ECONSTRAINT)
		rc = FSY_EEXISTS;
	if (rc == FSY_OK) {
		rc = fsy_store_stmt(st, "INSERT OR IGNORE INTO device_state"
		    "(device_id) VALUES (?)", &s);
		if (rc == FSY_OK) {
			sqlite3_bind_text(s, 1, device_id, -1, SQLITE_STATIC);
			rc = fsy_store_err(st, sqlite3_step(s));
			sqlite3_reset(s);
		}
	}
	return rc;
}

int
fsy_hub_device_revoke(fsy_store_t *st, const char *device_id,
    const char *reason)
{
	sqlite3_stmt *s;
	char at[21];
	int rc;

	now_iso(at);
	rc = fsy_store_stmt(st,
	    "UPDATE device SET status = 'revoked', revoked_at = ?, "
	    "revoke_reason = ? WHERE id = ? AND status = 'active'", &s);
	if (rc)
		return rc;
	sqlite3_bind_text(s, 1, at, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, reason, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, device_id, -1, SQLITE_STATIC);
	rc = fsy_store_err(st, sqlite3_step(s));
	sqlite3_reset(s);
	if (rc == FSY_OK && sqlite3_changes(st->db) == 0)
		rc = FSY_ENOTFOUND;
	if (rc == FSY_OK)
		rc = audit(st, "head office", "device.revoke", device_id);
	return rc;
}

/* Loads the device's status and key; FSY_EUNKNOWNDEV / FSY_EREVOKED. */
static int
device_lookup(fsy_store_t *st, const char *device_id, uint8_t pk[32],
    char agent_id[37])
{
	sqlite3_stmt *s;
	int rc = fsy_store_stmt(st,
	    "SELECT status, pubkey, agent_id FROM device WHERE id = ?", &s);

	if (rc)
		return rc;
	sqlite3_bind_text(s, 1, device_id, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		const char *status = (const char *)sqlite3_column_text(s, 0);
		const char *hex = (const char *)sqlite3_column_text(s, 1);
		const char *ag = (const char *)sqlite3_column_text(s, 2);
		if (status && strcmp(status, "revoked") == 0)
			rc = FSY_EREVOKED;
		else if (hex == NULL || fsy_unhex(hex, pk, 32) != FSY_OK)
			rc = FSY_ECORRUPT;
		else {
			snprintf(agent_id, 37, "%s", ag ? ag : "");
			rc = FSY_OK;
		}
	} else {
		rc = rc == SQLITE_DONE ? FSY_EUNKNOWNDEV : fsy_store_err(st, rc);
	}
	sqlite3_reset(s);
	return rc;
}

/* ---- handshake ----------------------------------------------------------- */

static int
handle_hello(fsy_hub_t *hub, fsy_hub_conn_t *conn, const fsy_msg_hello_t *h,
    fsy_buf_t *out)
{
	fsy_store_t *st = hub->st;
	uint8_t pk[32];
	char agent[37], at[21], detail[160];
	sqlite3_stmt *s;
	fsy_msg_t m;
	int rc;

	memset(conn, 0, sizeof(*conn));
	if (h->proto != FSY_PROTO_VERSION || h->schema != FSY_SCHEMA_VERSION) {
		snprintf(detail, sizeof(detail),
		    "hub speaks protocol %d schema %d; device sent %u/%u",
		    FSY_PROTO_VERSION, FSY_SCHEMA_VERSION, h->proto, h->schema);
		reply_error(hub, FSY_EVERSION, detail, 0, out);
		return FSY_ECLOSED;
	}
	rc = device_lookup(st, h->device_id, pk, agent);
	if (rc == FSY_EUNKNOWNDEV || rc == FSY_EREVOKED) {
		snprintf(detail, sizeof(detail), "device %s refused: %s",
		    h->device_id, fsy_strerror(rc));
		hlog(hub, 1, "%s", detail);
		(void)audit(st, h->device_id, "device.refused", detail);
		reply_error(hub, rc, detail, 0, out);
		return FSY_ECLOSED;
	}
	if (rc) {
		reply_error(hub, rc, "hub store error", 1000, out);
		return FSY_OK;
	}

	/* Record what the device says of itself, for `fleet`. The chain
	 * checkpoint is compared with what the hub merged: a mismatch means the
	 * laptop's log was altered after it was delivered. */
	now_iso(at);
	rc = fsy_store_stmt(st,
	    "UPDATE device_state SET last_hello_at = ?2, pending = ?3, log_seq = ?8, "
	    "oldest_pending_at = ?4, scope_hash = ?5, "
	    "chain_ok = CASE WHEN ?6 = push_seq AND ?6 > 0 AND chain_hash IS NOT NULL "
	    "  AND chain_hash != ?7 THEN 0 ELSE chain_ok END, "
	    "chain_error = CASE WHEN ?6 = push_seq AND ?6 > 0 AND chain_hash IS NOT NULL "
	    "  AND chain_hash != ?7 THEN 'log altered after delivery (checkpoint seq ' || ?6 || ')' "
	    "  WHEN ?8 < push_seq THEN 'log shorter than delivered (' || ?8 || ' < ' || push_seq || ')' "
	    "  ELSE chain_error END "
	    "WHERE device_id = ?1", &s);
	if (rc == FSY_OK) {
		char oldest[21];
		sqlite3_bind_text(s, 1, h->device_id, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 2, at, -1, SQLITE_STATIC);
		sqlite3_bind_int64(s, 3, h->pending);
		if (h->oldest_pending_ms > 0) {
			fsy_iso_time(h->oldest_pending_ms, oldest);
			sqlite3_bind_text(s, 4, oldest, -1, SQLITE_TRANSIENT);
		}
		if (h->has_scope_hash)
			sqlite3_bind_blob(s, 5, h->scope_hash, 32, SQLITE_STATIC);
		sqlite3_bind_int64(s, 6, h->chain_seq);
		sqlite3_bind_blob(s, 7, h->chain_hash, 32, SQLITE_STATIC);
		sqlite3_bind_int64(s, 8, h->log_seq);
		rc = fsy_store_err(st, sqlite3_step(s));
		sqlite3_reset(s);
	}
	if (rc) {
		reply_error(hub, rc, "hub store error", 1000, out);
		return FSY_OK;
	}

	snprintf(conn->device_id, sizeof(conn->device_id), "%s", h->device_id);
	randombytes_buf(conn->nonce, sizeof(conn->nonce));
	conn->challenged = 1;
	memset(&m, 0, sizeof(m));
	m.type = FSY_MSG_CHALLENGE;
	memcpy(m.u.challenge.nonce, conn->nonce, 32);
	snprintf(m.u.challenge.hub_id, 37, "%s", fsy_store_site(st));
	m.u.challenge.hub_time_ms = fsy_now_ms();
	return fsy_msg_encode(&m, 0, out);
}

/* The roster a WELCOME carries (PROTOCOL.md §5): the device's agent and,
 * when it has a team, every agent of that team — departed and
 * disqualified ones too, so that old visits keep a name — and the team
 * with its branch. Neither the performance score nor the reason of a
 * disqualification leaves head office. */
typedef struct roster {
	fsy__arena_t arena;          /* the strings */
	fsy_roster_team_t team;      /* the agent's team, if nteams */
	uint32_t nteams;
	fsy_roster_agent_t *agents;  /* heap; the device's own agent first */
	uint32_t nagents;
	int truncated;               /* 1: the team had more than the limit */
} roster_t;

static void
roster_free(roster_t *r)
{
	fsy__arena_free(&r->arena);
	free(r->agents);
	memset(r, 0, sizeof(*r));
}

/* Column i as a string in r's arena (NULL: ""), cut at FSY_MAX_STR bytes:
 * one longer would make the whole WELCOME unsendable. NULL: no memory. */
static const char *
roster_col(roster_t *r, sqlite3_stmt *s, int i)
{
	const char *t = (const char *)sqlite3_column_text(s, i);
	size_t n = t != NULL ? (size_t)sqlite3_column_bytes(s, i) : 0;

	if (n > FSY_MAX_STR)
		n = FSY_MAX_STR;
	return fsy__arena_strndup(&r->arena, t != NULL ? t : "", n);
}

/* Reads the roster of agent_id into r (zeroed by the caller; freed with
 * roster_free whatever the outcome). Returns FSY_OK, FSY_ENOMEM or a
 * store error. */
static int
roster_load(fsy_store_t *st, const char *agent_id, roster_t *r)
{
	sqlite3_stmt *s = NULL;
	int rc, ok = 1;

	rc = fsy_store_stmt(st,
	    "SELECT a.id, a.code, a.name, a.team_id, a.role, a.channel, "
	    "a.status, a.hired_on, a.left_on FROM agent me, agent a "
	    "WHERE me.id = ?1 AND (a.id = me.id OR a.team_id = me.team_id) "
	    "ORDER BY a.id = me.id DESC, a.code, a.id LIMIT ?2", &s);
	if (rc)
		goto out;
	sqlite3_bind_text(s, 1, agent_id, -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 2, FSY_MAX_ROSTER + 1);
	while (ok && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		fsy_roster_agent_t *g;
		if (r->nagents == FSY_MAX_ROSTER) {
			r->truncated = 1;
			continue;
		}
		if (r->nagents % 64 == 0) {
			g = realloc(r->agents, (r->nagents + 64) * sizeof(*g));
			if (g == NULL) {
				ok = 0;
				break;
			}
			r->agents = g;
		}
		g = &r->agents[r->nagents];
		const char **const f[] = {&g->id, &g->code, &g->name,
		    &g->team_id, &g->role, &g->channel, &g->status,
		    &g->hired_on, &g->left_on};
		for (int i = 0; i < 9 && ok; i++)
			ok = (*f[i] = roster_col(r, s, i)) != NULL;
		r->nagents += (uint32_t)ok;
	}
	rc = ok ? fsy_store_err(st, rc) : FSY_ENOMEM;
	sqlite3_reset(s);
	if (rc)
		goto out;

	rc = fsy_store_stmt(st,
	    "SELECT t.id, t.code, t.name, t.lead_agent_id, b.id, b.code, "
	    "b.name FROM agent me JOIN team t ON t.id = me.team_id "
	    "JOIN branch b ON b.id = t.branch_id WHERE me.id = ?1", &s);
	if (rc)
		goto out;
	sqlite3_bind_text(s, 1, agent_id, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		fsy_roster_team_t *t = &r->team;
		const char **const f[] = {&t->id, &t->code, &t->name,
		    &t->lead_agent_id, &t->branch_id, &t->branch_code,
		    &t->branch_name};
		for (int i = 0; i < 7 && ok; i++)
			ok = (*f[i] = roster_col(r, s, i)) != NULL;
		r->nteams = (uint32_t)ok;
		rc = SQLITE_DONE;
	}
	rc = ok ? fsy_store_err(st, rc) : FSY_ENOMEM;
	sqlite3_reset(s);
out:
	return rc;
}

static int
handle_auth(fsy_hub_t *hub, fsy_hub_conn_t *conn, const fsy_msg_auth_t *a,
    fsy_buf_t *out)
{
	fsy_store_t *st = hub->st;
	uint8_t pk[32], payload[160];
	char agent[37], role[16] = "agent";
	size_t n;
	sqlite3_stmt *s;
	fsy_msg_t m;
	int rc;

	if (!conn->challenged || strcmp(a->device_id, conn->device_id) != 0) {
		reply_error(hub, FSY_EPROTO, "AUTH without a matching HELLO", 0, out);
		return FSY_ECLOSED;
	}
	conn->challenged = 0; /* a nonce is good for one try */
	rc = device_lookup(st, a->device_id, pk, agent);
	if (rc == FSY_OK) {
		n = fsy_auth_payload(conn->nonce, fsy_store_site(st),
		    a->device_id, payload);
		if (crypto_sign_verify_detached(a->sig, payload, n, pk) != 0)
			rc = FSY_EAUTH;
	}
	if (rc) {
		char detail[160];
		snprintf(detail, sizeof(detail), "device %s: %s", a->device_id,
		    rc == FSY_EAUTH ? "signature does not verify" : fsy_strerror(rc));
		hlog(hub, 1, "%s", detail);
		(void)audit(st, a->device_id, "device.auth_failed", detail);
		reply_error(hub, rc, detail, 0, out);
		return FSY_ECLOSED;
	}

	memset(&m, 0, sizeof(m));
	m.type = FSY_MSG_WELCOME;
	rc = fsy_store_stmt(st,
	    "SELECT a.role, ifnull(a.team_id, ''), ds.push_seq, ds.pull_cursor, "
	    "ds.chain_ok FROM agent a, device_state ds "
	    "WHERE a.id = ?1 AND ds.device_id = ?2", &s);
	if (rc == FSY_OK) {
		sqlite3_bind_text(s, 1, agent, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 2, a->device_id, -1, SQLITE_STATIC);
		rc = sqlite3_step(s);
		if (rc == SQLITE_ROW) {
			snprintf(role, sizeof(role), "%s", sqlite3_column_text(s, 0));
			snprintf(conn->team_id, sizeof(conn->team_id), "%s",
			    sqlite3_column_text(s, 1));
			m.u.welcome.push_seq = sqlite3_column_int64(s, 2);
			m.u.welcome.pull_cursor = sqlite3_column_int64(s, 3);
			m.u.welcome.chain_ok = sqlite3_column_int(s, 4);
			rc = FSY_OK;
		} else {
			rc = rc == SQLITE_DONE ? FSY_EUNKNOWNDEV : fsy_store_err(st, rc);
		}
		sqlite3_reset(s);
	}
	if (rc) {
		reply_error(hub, rc, "device has no agent or state", 0, out);
		return FSY_ECLOSED;
	}
	{
		roster_t r;
		memset(&r, 0, sizeof(r));
		if ((rc = roster_load(st, agent, &r)) != FSY_OK) {
			roster_free(&r);
			reply_error(hub, rc, "hub store error (roster)", 1000, out);
			return FSY_ECLOSED;
		}
		if (r.truncated)
			hlog(hub, 1, "roster of agent %s cut at %d agents", agent,
			    FSY_MAX_ROSTER);
		conn->authed = 1;
		conn->lead = strcmp(role, "lead") == 0;
		snprintf(conn->agent_id, sizeof(conn->agent_id), "%s", agent);
		snprintf(m.u.welcome.agent_id, 37, "%s", agent);
		m.u.welcome.role = conn->lead ? "lead" : "agent";
		m.u.welcome.hub_time_ms = fsy_now_ms();
		m.u.welcome.teams = &r.team;
		m.u.welcome.nteams = r.nteams;
		m.u.welcome.agents = r.agents;
		m.u.welcome.nagents = r.nagents;
		rc = fsy_msg_encode(&m, hub->limits.compress, out);
		roster_free(&r);
		return rc;
	}
}

/* ---- merge --------------------------------------------------------------- */

/* What one PUSH produces besides the store change. */
typedef struct merge_out {
	fsy__arena_t arena;
	fsy_reject_t *rejects;
	uint32_t nrejects, caprejects;
	fsy_change_t *corr;
	uint32_t ncorr, capcorr;
	char (*visits)[37];       /* visits created: stamp received_at */
	uint32_t nvisits, capvisits;
	char (*created)[37];      /* customers created by the device */
	uint32_t ncreated, capcreated;
	uint64_t applied, clamped, conflicts;
	uint64_t refused;          /* new refusals (not resent ones) ... */
	char refused_first[256];   /* ... and the first of them */
} merge_out_t;

static int
grow(void **p, uint32_t *cap, uint32_t need, size_t elem)
{
	uint32_t ncap;
	void *np;

	if (need <= *cap)
		return FSY_OK;
	ncap = *cap ? *cap * 2 : 16;
	while (ncap < need)
		ncap *= 2;
	np = realloc(*p, (size_t)ncap * elem);
	if (np == NULL)
		return FSY_ENOMEM;
	*p = np;
	*cap = ncap;
	return FSY_OK;
}

static void
merge_out_free(merge_out_t *o)
{
	fsy__arena_free(&o->arena);
	free(o->rejects);
	free(o->corr);
	free(o->visits);
	free(o->created);
	memset(o, 0, sizeof(*o));
}

/* Adds the hub's current value of (tbl,row,col) as a correction, when the
 * row exists at the hub; a row unknown to the hub gets none (the device
 * then erases it: see PROTOCOL.md, "Rejections"). */
static int
add_correction(fsy_store_t *st, merge_out_t *o, const fsy_change_t *c)
{
	fsy_val_t v;
	int rc;

	for (uint32_t i = 0; i < o->ncorr; i++) /* once per column */
		if (o->corr[i].tbl == c->tbl && o->corr[i].col == c->col &&
		    strcmp(o->corr[i].row_id, c->row_id) == 0)
			return FSY_OK;
	rc = fsy__row_get(st, c->tbl, c->row_id, c->col, &o->arena, &v);
	if (rc == FSY_ENOTFOUND)
		return FSY_OK;
	if (rc)
		return rc;
	if ((rc = grow((void **)&o->corr, &o->capcorr, o->ncorr + 1,
	    sizeof(*o->corr))) != FSY_OK)
		return rc;
	fsy_change_t *k = &o->corr[o->ncorr++];
	memset(k, 0, sizeof(*k));
	k->tbl = c->tbl;
	k->col = c->col;
	memcpy(k->row_id, c->row_id, 37);
	memcpy(k->customer_id, c->customer_id, 37);
	k->val = v;
	return FSY_OK;
}

static int
reject(fsy_hub_t *hub, fsy_hub_conn_t *conn, merge_out_t *o,
    const fsy_change_t *c, int code, const char *reason)
{
	fsy_store_t *st = hub->st;
	sqlite3_stmt *s;
	char at[21];
	int rc;

	rc = fsy_store_stmt(st,
	    "INSERT OR IGNORE INTO rejected_change(device_id, seq, customer_id, "
	    "tbl, row_id, col, val, hlc, code, reason, at) "
	    "VALUES (?,?,?,?,?,?,?,?,?,?,?)", &s);
	if (rc)
		return rc;
	now_iso(at);
	sqlite3_bind_text(s, 1, conn->device_id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, c->seq);
	sqlite3_bind_text(s, 3, c->customer_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 4, fsy_tables[c->tbl].name, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 5, c->row_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 6, fsy_tables[c->tbl].cols[c->col].name, -1,
	    SQLITE_STATIC);
	fsy_val_bind(s, 7, &c->val);
	sqlite3_bind_int64(s, 8, (sqlite3_int64)c->hlc);
	sqlite3_bind_int(s, 9, code);
	sqlite3_bind_text(s, 10, reason, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 11, at, -1, SQLITE_STATIC);
	rc = fsy_store_err(st, sqlite3_step(s));
	sqlite3_reset(s);
	if (rc)
		return rc;
	if ((rc = grow((void **)&o->rejects, &o->caprejects, o->nrejects + 1,
	    sizeof(*o->rejects))) != FSY_OK)
		return rc;
	o->rejects[o->nrejects].seq = c->seq;
	o->rejects[o->nrejects].code = code;
	o->rejects[o->nrejects].reason = fsy__arena_strndup(&o->arena, reason,
	    strlen(reason));
	if (o->rejects[o->nrejects].reason == NULL)
		return FSY_ENOMEM;
	o->nrejects++;
	if (o->refused++ == 0)
		snprintf(o->refused_first, sizeof(o->refused_first),
		    "seq %lld %s.%s of customer %s: %s", (long long)c->seq,
		    fsy_tables[c->tbl].name, fsy_tables[c->tbl].cols[c->col].name,
		    c->customer_id, reason);
	/* A customer the device does not hold gets no correction: the device
	 * removes the rows it made for it. */
	return code == FSY_ENOTOWNER ? FSY_OK : add_correction(st, o, c);
}

/* Scope of a customer for this device: 1 held or possibly held (state 0,
 * 1, or 2: a snapshot the device may have applied without its
 * acknowledgement reaching the hub yet), 0 not. (Every scope row is in
 * one of the three states — the table's CHECK — so its key suffices: an
 * IN list would build a temporary table each time.) */
static int
in_scope(fsy_store_t *st, const char *device_id, const char *customer_id)
{
	sqlite3_stmt *s;
	int rc = fsy_store_stmt(st,
	    "SELECT 1 FROM device_scope WHERE device_id = ? AND customer_id = ?",
	    &s);

	if (rc)
		return rc;
	sqlite3_bind_text(s, 1, device_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, customer_id, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	rc = rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : fsy_store_err(st, rc);
	sqlite3_reset(s);
	return rc;
}

/* Returns 1 if any row of the customer exists at the hub. */
static int
customer_known(fsy_store_t *st, const char *customer_id)
{
	sqlite3_stmt *s;
	int rc = fsy_store_stmt(st,
	    "SELECT 1 FROM customer WHERE id = ?1 UNION ALL "
	    "SELECT 1 FROM person WHERE customer_id = ?1 UNION ALL "
	    "SELECT 1 FROM policy WHERE customer_id = ?1 UNION ALL "
	    "SELECT 1 FROM visit WHERE customer_id = ?1 UNION ALL "
	    "SELECT 1 FROM need WHERE customer_id = ?1 UNION ALL "
	    "SELECT 1 FROM referral WHERE customer_id = ?1 LIMIT 1", &s);

	if (rc)
		return rc;
	sqlite3_bind_text(s, 1, customer_id, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	rc = rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : fsy_store_err(st, rc);
	sqlite3_reset(s);
	return rc;
}

static int
scope_add(fsy_store_t *st, const char *device_id, const char *customer_id,
    int state, int64_t snap_gseq)
{
	sqlite3_stmt *s;
	int rc = fsy_store_stmt(st,
	    "INSERT INTO device_scope(device_id, customer_id, state, snap_gseq) "
	    "VALUES (?,?,?,?) ON CONFLICT(device_id, customer_id) DO UPDATE SET "
	    "state = excluded.state, snap_gseq = excluded.snap_gseq", &s);

	if (rc)
		return rc;
	sqlite3_bind_text(s, 1, device_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, customer_id, -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 3, state);
	sqlite3_bind_int64(s, 4, snap_gseq);
	rc = fsy_store_err(st, sqlite3_step(s));
	sqlite3_reset(s);
	return rc;
}

/* The statement reading rows of table t with their versions: the row of
 * id ?1 (by_customer 0) or every row of customer ?1, in id order. Columns:
 * 0 id, 1 customer_id, 2 _v, 3 on the replicated columns. The merge, the
 * snapshot and both plans of a BATCH read rows with it. */
static int
rows_stmt(fsy_store_t *st, int t, int by_customer, sqlite3_stmt **s)
{
	const fsy_table_t *tb = &fsy_tables[t];
	char sql[1024];
	size_t len = (size_t)snprintf(sql, sizeof(sql),
	    "SELECT id, customer_id, _v");

	for (int c = 0; c < tb->ncols && len < sizeof(sql); c++)
		len += (size_t)snprintf(sql + len, sizeof(sql) - len, ", %s",
		    tb->cols[c].name);
	if (len < sizeof(sql))
		len += (size_t)snprintf(sql + len, sizeof(sql) - len,
		    " FROM %s WHERE %s = ?1%s", tb->name,
		    by_customer && t != FSY_T_CUSTOMER ? "customer_id" : "id",
		    by_customer ? " ORDER BY id" : "");
	if (len >= sizeof(sql))
		return FSY_ETOOBIG;
	return fsy_store_stmt(st, sql, s);
}

/* Decodes the versions of the row at r (rows_stmt's). */
static int
rows_versions(fsy_store_t *st, sqlite3_stmt *r, int t, fsy_ver_t *v)
{
	if (fsy__vers_decode(sqlite3_column_blob(r, 2), sqlite3_column_bytes(r, 2),
	    fsy_tables[t].ncols, v) == FSY_OK)
		return FSY_OK;
	snprintf(st->errmsg, sizeof(st->errmsg), "%s row %s: versions "
	    "unreadable", fsy_tables[t].name, (const char *)sqlite3_column_text(r,
	    0));
	return FSY_ECORRUPT;
}

/* A row as the merge finds it: whether it exists, its customer and its
 * columns' versions (one read of the row). */
static int
row_load(fsy_store_t *st, int tbl, const char *row_id, char cust[37],
    fsy_ver_t *v)
{
	sqlite3_stmt *s;
	int rc;

	cust[0] = '\0';
	memset(v, 0, sizeof(*v) * (size_t)fsy_tables[tbl].ncols);
	if ((rc = rows_stmt(st, tbl, 0, &s)) != FSY_OK)
		return rc;
	sqlite3_bind_text(s, 1, row_id, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		const char *c = (const char *)sqlite3_column_text(s, 1);
		snprintf(cust, 37, "%s", c ? c : "");
		rc = rows_versions(st, s, tbl, v) == FSY_OK ? 1 : FSY_ECORRUPT;
	} else {
		rc = rc == SQLITE_DONE ? 0 : fsy_store_err(st, rc);
	}
	sqlite3_reset(s);
	return rc;
}

static int
record_conflict(fsy_store_t *st, const fsy_change_t *c, const fsy_val_t *wv,
    uint64_t whlc, const char *wsite, const fsy_val_t *lv, uint64_t lhlc,
    const char *lsite)
{
	sqlite3_stmt *s;
	char id[37], at[21];
	int rc = fsy_store_stmt(st,
	    "INSERT OR IGNORE INTO conflict(id, customer_id, tbl, row_id, col, "
	    "winner_val, winner_hlc, winner_site, loser_val, loser_hlc, "
	    "loser_site, detected_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)", &s);

	if (rc)
		return rc;
	fsy_uuid_v7(id);
	now_iso(at);
	sqlite3_bind_text(s, 1, id, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(s, 2, c->customer_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, fsy_tables[c->tbl].name, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 4, c->row_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 5, fsy_tables[c->tbl].cols[c->col].name, -1,
	    SQLITE_STATIC);
	fsy_val_bind(s, 6, wv);
	sqlite3_bind_int64(s, 7, (sqlite3_int64)whlc);
	sqlite3_bind_text(s, 8, wsite, -1, SQLITE_STATIC);
	fsy_val_bind(s, 9, lv);
	sqlite3_bind_int64(s, 10, (sqlite3_int64)lhlc);
	sqlite3_bind_text(s, 11, lsite, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 12, at, -1, SQLITE_TRANSIENT);
	rc = fsy_store_err(st, sqlite3_step(s));
	sqlite3_reset(s);
	return rc;
}

static int
max_gseq(fsy_store_t *st, int64_t *g)
{
	return fsy__store_int(st, "SELECT ifnull(max(gseq), 0) FROM col_feed",
	    0, g);
}

/* The winning values of a run not yet written to the row: the row is
 * written once, at the end of the run (or before anything reads it), with
 * its versions. */
typedef struct pending_row {
	int tbl;
	const char *row_id, *customer_id;
	int exists;                   /* as fsy__row_write's argument */
	int n;
	int cols[64];
	const fsy_val_t *vals[64];
	fsy_ver_t v[FSY_VERS_COLS];   /* the row's versions, as merged */
} pending_row_t;

static int
pending_flush(fsy_store_t *st, pending_row_t *w)
{
	uint8_t vb[FSY_VERS_MAX];
	size_t vn;
	int rc;

	if (w->n == 0)
		return FSY_OK;
	vn = fsy__vers_encode(w->v, fsy_tables[w->tbl].ncols, vb);
	rc = fsy__row_write_v(st, w->tbl, w->row_id, w->customer_id, w->n,
	    w->cols, w->vals, w->exists, vb, (int)vn);
	w->n = 0;
	w->exists = 1;
	return rc;
}

static void
pending_add(pending_row_t *w, int col, const fsy_val_t *v)
{
	for (int i = 0; i < w->n; i++)
		if (w->cols[i] == col) {
			w->vals[i] = v;
			return;
		}
	w->cols[w->n] = col;
	w->vals[w->n++] = v;
}

/* Merges one change that has passed authorisation, against cur, the
 * current version of its column (updated when the change wins); site is
 * the device's number in the site table. */
static int
merge_one(fsy_hub_t *hub, fsy_hub_conn_t *conn, merge_out_t *o,
    const fsy_change_t *c, int64_t cursor, int64_t site, int64_t *gseq,
    fsy_ver_t *cur, pending_row_t *w)
{
	fsy_store_t *st = hub->st;
	const char *dev = conn->device_id;
	uint64_t hlc = c->hlc;
	int64_t wall = fsy_hlc_wall(&st->hlc);
	char cname[37] = "";
	int rc, wins;

	/* A clock far ahead of the hub's is not trusted: the write is ordered
	 * as if made now, so setting a laptop clock forward wins nothing. */
	if (FSY_HLC_MS(hlc) > wall + hub->limits.max_skew_ms) {
		hlc = fsy_hlc_tick(&st->hlc);
		o->clamped++;
	} else {
		fsy_hlc_recv(&st->hlc, hlc);
	}

	if (fsy_tables[c->tbl].flags & FSY_TBL_INSERT_ONLY && cur->found) {
		if (cur->site == site && cur->hlc == hlc)
			return FSY_OK; /* the same write again */
		if ((rc = pending_flush(st, w)) != FSY_OK)
			return rc;
		return reject(hub, conn, o, c, FSY_EINSERTONLY,
		    "visit records are insert-only");
	}

	/* Concurrent: the current version was written by someone else and
	 * the device had not pulled it when it pushed. (Never a column
	 * pending in w: those are the device's own.) */
	int concurrent = cur->found && cur->site != site && cur->gseq > cursor;

	/* (hlc, site) against the current version's: the total order of
	 * writes, site names deciding a tie of HLCs */
	if (!cur->found || hlc != cur->hlc) {
		wins = !cur->found || hlc > cur->hlc;
	} else {
		if ((rc = fsy__site_name(st, cur->site, cname,
		    sizeof(cname))) != FSY_OK)
			return rc;
		wins = strcmp(dev, cname) > 0;
	}
	/* (the writer's name: looked up once, for a tie or a conflict) */
	if (concurrent && cname[0] == '\0' && (rc = fsy__site_name(st,
	    cur->site, cname, sizeof(cname))) != FSY_OK)
		return rc;

	if (wins) {
		if (concurrent) {
			fsy_val_t old;
			if ((rc = fsy__row_get(st, c->tbl, c->row_id, c->col,
			    &o->arena, &old)) != FSY_OK && rc != FSY_ENOTFOUND)
				return rc;
			if (rc == FSY_ENOTFOUND)
				old.type = FSY_VAL_NULL;
			if ((rc = record_conflict(st, c, &c->val, hlc, dev, &old,
			    cur->hlc, cname)) != FSY_OK)
				return rc;
			o->conflicts++;
		}
		pending_add(w, c->col, &c->val);
		++*gseq;
		if ((rc = fsy__feed_add(st, *gseq, c->customer_id, c->tbl,
		    c->row_id, c->col, cur->found ? cur->gseq : 0)) != FSY_OK)
			return rc;
		cur->found = 1;
		cur->hlc = hlc;
		cur->site = site;
		cur->gseq = *gseq;
		o->applied++;
		return FSY_OK;
	}

	/* The change loses. Keep both values when the edits were concurrent,
	 * and tell the device the winning value (the row written first: the
	 * winner may be pending). */
	if ((rc = pending_flush(st, w)) != FSY_OK)
		return rc;
	if (concurrent) {
		fsy_val_t win;
		if ((rc = fsy__row_get(st, c->tbl, c->row_id, c->col, &o->arena,
		    &win)) != FSY_OK && rc != FSY_ENOTFOUND)
			return rc;
		if (rc == FSY_ENOTFOUND)
			win.type = FSY_VAL_NULL;
		if ((rc = record_conflict(st, c, &win, cur->hlc, cname,
		    &c->val, hlc, dev)) != FSY_OK)
			return rc;
		o->conflicts++;
	}
	return add_correction(st, o, c);
}

/* Within a run of changes to one row (as the device's triggers write a new
 * row's columns consecutively), finds the value given to column col. */
static const fsy_val_t *
run_value(const fsy_change_t *ch, uint32_t from, uint32_t to, int col)
{
	for (uint32_t i = from; i < to; i++)
		if (ch[i].col == col)
			return &ch[i].val;
	return NULL;
}

/* 1 when the agent was disqualified for misconduct (DOMAIN.md rule 5). */
static int
agent_disqualified(fsy_store_t *st, const char *agent_id)
{
	sqlite3_stmt *s;
	int rc = fsy_store_stmt(st, "SELECT 1 FROM agent WHERE id = ? AND "
	    "status = 'disqualified'", &s);

	if (rc)
		return rc;
	sqlite3_bind_text(s, 1, agent_id, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	rc = rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : fsy_store_err(st, rc);
	sqlite3_reset(s);
	return rc;
}

static int
authorise_and_merge(fsy_hub_t *hub, fsy_hub_conn_t *conn, merge_out_t *o,
    const fsy_msg_push_t *p, uint32_t first, int64_t *gseq)
{
	fsy_store_t *st = hub->st;
	const fsy_change_t *ch = p->changes;
	int rc = FSY_OK;
	char scope_cust[37] = "";
	int scope_ok = 0;
	/* A disqualified agent's laptop still delivers what it holds, but
	 * none of it is taken into the customers' records: it is kept, with
	 * the reason, for head office to review. */
	int disq = agent_disqualified(st, conn->agent_id);
	pending_row_t w;
	int64_t site;

	if (disq < 0)
		return disq;
	if ((rc = fsy__site_id(st, conn->device_id, &site)) != FSY_OK)
		return rc;

	for (uint32_t i = first; i < p->nchanges && rc == FSY_OK;) {
		/* One run: consecutive changes to the same row. */
		uint32_t end = i + 1;
		while (end < p->nchanges && ch[end].tbl == ch[i].tbl &&
		    strcmp(ch[end].row_id, ch[i].row_id) == 0)
			end++;
		int tbl = ch[i].tbl;
		char row_cust[37];
		int exists = row_load(st, tbl, ch[i].row_id, row_cust, w.v);
		if (exists < 0)
			return exists;
		int creating = 0; /* a new customer made on the device */
		int why = 0;
		const char *reason = NULL;

		if (conn->lead) {
			why = FSY_EPERM;
			reason = "team leads hold their team's customers read-only";
		} else if (disq) {
			why = FSY_EDISQUALIFIED;
			reason = "agent disqualified: change kept for head office's "
			    "review";
		} else if (exists && strcmp(row_cust, ch[i].customer_id) != 0) {
			/* The scope is checked on the customer the change names:
			 * it must be the row's own. */
			why = FSY_ENOTOWNER;
			reason = "row belongs to another customer";
		} else if (strcmp(scope_cust, ch[i].customer_id) == 0 && scope_ok) {
			/* in scope, checked for the previous run */
		} else if ((rc = in_scope(st, conn->device_id,
		    ch[i].customer_id)) < 0) {
			return rc;
		} else if (rc == 1) {
			snprintf(scope_cust, sizeof(scope_cust), "%s",
			    ch[i].customer_id);
			scope_ok = 1;
		} else if (tbl == FSY_T_CUSTOMER && !exists &&
		    strcmp(ch[i].row_id, ch[i].customer_id) == 0 &&
		    (rc = customer_known(st, ch[i].customer_id)) == 0) {
			creating = 1;
		} else if (rc < 0) {
			return rc;
		} else {
			why = FSY_ENOTOWNER;
			reason = "customer is not owned by this device's agent";
		}
		rc = FSY_OK;

		if (creating) {
			if ((rc = scope_add(st, conn->device_id, ch[i].customer_id,
			    0, 0)) != FSY_OK)
				return rc;
			if ((rc = grow((void **)&o->created, &o->capcreated,
			    o->ncreated + 1, sizeof(*o->created))) != FSY_OK)
				return rc;
			memcpy(o->created[o->ncreated++], ch[i].customer_id, 37);
			snprintf(scope_cust, sizeof(scope_cust), "%s",
			    ch[i].customer_id);
			scope_ok = 1;
		}

		/* Own policies are head office's, row by row: an agent may add
		 * only another insurer's policy (external = 1). */
		int ho_row = 0;
		if (!why && fsy_tables[tbl].flags & FSY_TBL_HO_ROWS) {
			int ext_col = fsy_col_find(tbl, "external");
			if (exists) {
				fsy_val_t ev;
				if ((rc = fsy__row_get(st, tbl, ch[i].row_id, ext_col,
				    &o->arena, &ev)) != FSY_OK)
					return rc;
				ho_row = !(ev.type == FSY_VAL_INT && ev.i == 1);
			} else {
				const fsy_val_t *ev = run_value(ch, i, end, ext_col);
				ho_row = !(ev && ev->type == FSY_VAL_INT && ev->i == 1);
			}
			if (ho_row) {
				why = FSY_EREADONLY;
				reason = "policies of the company are head office's";
			}
		}

		/* The run's winners are written to the row at once. */
		w.tbl = tbl;
		w.row_id = ch[i].row_id;
		w.customer_id = ch[i].customer_id;
		w.exists = exists;
		w.n = 0;
		for (uint32_t k = i; k < end && rc == FSY_OK; k++) {
			const fsy_col_t *col = &fsy_tables[tbl].cols[ch[k].col];
			if (why)
				rc = reject(hub, conn, o, &ch[k], why, reason);
			else if (col->flags & FSY_COL_HO &&
			    !(col->flags & FSY_COL_HO_INIT && !exists)) {
				if ((rc = pending_flush(st, &w)) == FSY_OK)
					rc = reject(hub, conn, o, &ch[k], FSY_EREADONLY,
					    "column is head office's");
			} else {
				rc = merge_one(hub, conn, o, &ch[k], p->cursor, site,
				    gseq, &w.v[ch[k].col], &w);
				if (rc == FSY_OK && tbl == FSY_T_VISIT && !exists &&
				    k == i) {
					rc = grow((void **)&o->visits, &o->capvisits,
					    o->nvisits + 1, sizeof(*o->visits));
					if (rc == FSY_OK)
						memcpy(o->visits[o->nvisits++],
						    ch[k].row_id, 37);
				}
			}
		}
		if (rc == FSY_OK)
			rc = pending_flush(st, &w);
		i = end;
	}
	return rc;
}

/* Head-office columns the hub fills in for what a push created, with
 * capture on so that they replicate back: a visit's received time and
 * late flag; a new customer's owner (owner_since NULL: its maker has
 * served it from the start and owes no first contact). */
static int
post_merge(fsy_hub_t *hub, fsy_hub_conn_t *conn, merge_out_t *o)
{
	fsy_store_t *st = hub->st;
	sqlite3_stmt *s;
	char at[21];
	int rc = FSY_OK;

	now_iso(at);
	for (uint32_t i = 0; i < o->nvisits && rc == FSY_OK; i++) {
		rc = fsy_store_stmt(st,
		    "UPDATE visit SET received_at = ?1, late = CASE WHEN "
		    "(julianday(recorded_at) - julianday(happened_at)) * 86400000.0 "
		    "> ?2 THEN 1 ELSE 0 END WHERE id = ?3 AND received_at IS NULL",
		    &s);
		if (rc)
			break;
		sqlite3_bind_text(s, 1, at, -1, SQLITE_STATIC);
		sqlite3_bind_int64(s, 2, hub->limits.late_ms);
		sqlite3_bind_text(s, 3, o->visits[i], -1, SQLITE_STATIC);
		rc = fsy_store_err(st, sqlite3_step(s));
		sqlite3_reset(s);
	}
	for (uint32_t i = 0; i < o->ncreated && rc == FSY_OK; i++) {
		rc = fsy_store_stmt(st,
		    "UPDATE customer SET owner_agent_id = ?1, owner_since = NULL "
		    "WHERE id = ?3 AND ?2 IS NOT NULL", &s);
		if (rc)
			break;
		sqlite3_bind_text(s, 1, conn->agent_id, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 2, at, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 3, o->created[i], -1, SQLITE_STATIC);
		rc = fsy_store_err(st, sqlite3_step(s));
		sqlite3_reset(s);
		if (rc)
			break;
		rc = fsy_store_stmt(st,
		    "INSERT INTO ownership_history(customer_id, from_agent_id, "
		    "to_agent_id, rule, reason, at, by) VALUES "
		    "(?1, NULL, ?2, 'created', 'card created on the agent''s laptop', ?3, ?4)",
		    &s);
		if (rc)
			break;
		sqlite3_bind_text(s, 1, o->created[i], -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 2, conn->agent_id, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 3, at, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 4, conn->device_id, -1, SQLITE_STATIC);
		rc = fsy_store_err(st, sqlite3_step(s));
		sqlite3_reset(s);
		if (rc == FSY_OK && hub->on_new_customer)
			rc = hub->on_new_customer(hub, o->created[i],
			    conn->agent_id, hub->on_new_customer_arg);
	}
	return rc;
}

/* A resend of entries merged before (its ACK was lost): bring back their
 * rejections and the hub's value where it differs, so the device ends up
 * exactly where it would have with the first ACK. */
static int
reconcile_replayed(fsy_hub_t *hub, fsy_hub_conn_t *conn, merge_out_t *o,
    const fsy_msg_push_t *p, uint32_t upto)
{
	fsy_store_t *st = hub->st;
	sqlite3_stmt *s;
	int rc = FSY_OK;

	for (uint32_t i = 0; i < upto && rc == FSY_OK; i++) {
		const fsy_change_t *c = &p->changes[i];
		fsy_val_t cur;

		rc = fsy_store_stmt(st, "SELECT code, reason FROM rejected_change "
		    "WHERE device_id = ? AND seq = ?", &s);
		if (rc)
			break;
		sqlite3_bind_text(s, 1, conn->device_id, -1, SQLITE_STATIC);
		sqlite3_bind_int64(s, 2, c->seq);
		if ((rc = sqlite3_step(s)) == SQLITE_ROW) {
			const char *why = (const char *)sqlite3_column_text(s, 1);
			rc = grow((void **)&o->rejects, &o->caprejects,
			    o->nrejects + 1, sizeof(*o->rejects));
			if (rc == FSY_OK) {
				fsy_reject_t *r = &o->rejects[o->nrejects];
				r->seq = c->seq;
				r->code = sqlite3_column_int(s, 0);
				r->reason = fsy__arena_strndup(&o->arena,
				    why ? why : "", why ? strlen(why) : 0);
				rc = r->reason ? FSY_OK : FSY_ENOMEM;
				o->nrejects += rc == FSY_OK;
			}
			sqlite3_reset(s);
			if (rc == FSY_OK)
				rc = add_correction(st, o, c);
			continue;
		}
		rc = rc == SQLITE_DONE ? FSY_OK : fsy_store_err(st, rc);
		sqlite3_reset(s);
		if (rc)
			break;
		rc = fsy__row_get(st, c->tbl, c->row_id, c->col, &o->arena, &cur);
		if (rc == FSY_ENOTFOUND) {
			rc = FSY_OK;
			continue;
		}
		if (rc == FSY_OK && !fsy_val_equal(&cur, &c->val))
			rc = add_correction(st, o, c);
	}
	return rc;
}

/* A correction is taken when an entry loses or is refused, but a later
 * entry of the same push may still win the column (two edits offline,
 * head office's between them): every correction carries the hub's value
 * once the whole push is merged, so the device ends where the hub is. */
static int
refresh_corrections(fsy_store_t *st, merge_out_t *o)
{
	int rc = FSY_OK;

	for (uint32_t i = 0; i < o->ncorr && rc == FSY_OK; i++) {
		fsy_change_t *k = &o->corr[i];
		fsy_val_t v;
		rc = fsy__row_get(st, k->tbl, k->row_id, k->col, &o->arena, &v);
		if (rc == FSY_OK)
			k->val = v;
		else if (rc == FSY_ENOTFOUND)
			rc = FSY_OK;
	}
	return rc;
}

static int
device_active(fsy_store_t *st, const char *device_id)
{
	uint8_t pk[32];
	char agent[37];
	return device_lookup(st, device_id, pk, agent);
}

static int
handle_push(fsy_hub_t *hub, fsy_hub_conn_t *conn, const fsy_msg_push_t *p,
    fsy_buf_t *out)
{
	fsy_store_t *st = hub->st;
	merge_out_t o;
	sqlite3_stmt *s;
	int64_t push_seq = 0, gseq = 0;
	uint8_t chain[32], h[32];
	int chain_ok = 1, have_chain = 0, rc;
	uint32_t first = 0;
	char at[21], cerr[160] = "", refused[400] = "";
	fsy_msg_t m;

	memset(&o, 0, sizeof(o));
	memset(chain, 0, sizeof(chain));
	/* The decoder guarantees sane fields; the engine checks meaning. */
	for (uint32_t i = 0; i < p->nchanges; i++) {
		if (!fsy_col_valid(p->changes[i].tbl, p->changes[i].col) ||
		    (i > 0 && p->changes[i].seq != p->changes[i - 1].seq + 1) ||
		    p->changes[i].seq <= 0 ||
		    (p->changes[i].tbl == FSY_T_CUSTOMER &&
		     strcmp(p->changes[i].row_id, p->changes[i].customer_id) != 0)) {
			reply_error(hub, FSY_EMALFORMED,
			    "PUSH: bad table/column, customer id or non-consecutive seq",
			    0, out);
			return FSY_ECLOSED;
		}
	}

	if ((rc = fsy_store_begin(st)) != FSY_OK)
		goto fail;
	if ((rc = device_active(st, conn->device_id)) != FSY_OK)
		goto fail;
	rc = fsy_store_stmt(st, "SELECT push_seq, chain_hash, chain_ok FROM "
	    "device_state WHERE device_id = ?", &s);
	if (rc)
		goto fail;
	sqlite3_bind_text(s, 1, conn->device_id, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		push_seq = sqlite3_column_int64(s, 0);
		if (sqlite3_column_bytes(s, 1) == 32) {
			memcpy(chain, sqlite3_column_blob(s, 1), 32);
			have_chain = 1;
		}
		chain_ok = sqlite3_column_int(s, 2);
		rc = FSY_OK;
	} else {
		rc = rc == SQLITE_DONE ? FSY_EUNKNOWNDEV : fsy_store_err(st, rc);
	}
	sqlite3_reset(s);
	if (rc)
		goto fail;
	(void)have_chain;

	/* Skip what was merged before (a resend); a batch that starts past
	 * push_seq + 1 left a gap: ask for a resend from there. A batch of
	 * resent entries only is acknowledged up to its own last entry, not
	 * push_seq: the device resends the rest too and hears about their
	 * refusals and corrections (its batches may end elsewhere now). */
	while (first < p->nchanges && p->changes[first].seq <= push_seq)
		first++;
	if ((rc = reconcile_replayed(hub, conn, &o, p, first)) != FSY_OK)
		goto fail;
	if (first == p->nchanges) {
		if (p->nchanges > 0)
			push_seq = p->changes[p->nchanges - 1].seq;
		goto ack;
	}
	if (p->changes[first].seq != push_seq + 1)
		goto ack;

	/* Verify the hash chain over the new entries. */
	memcpy(h, chain, 32);
	for (uint32_t i = first; i < p->nchanges; i++)
		fsy_chain_hash(h, p->changes[i].seq, p->changes[i].tbl,
		    p->changes[i].col, p->changes[i].row_id, p->changes[i].hlc,
		    conn->device_id, &p->changes[i].val, h);
	if (memcmp(h, p->head, 32) != 0) {
		chain_ok = 0;
		snprintf(cerr, sizeof(cerr),
		    "hash chain broken in seq %lld..%lld",
		    (long long)p->changes[first].seq,
		    (long long)p->changes[p->nchanges - 1].seq);
		hlog(hub, 1, "device %s: %s", conn->device_id, cerr);
		if ((rc = audit(st, conn->device_id, "chain.broken", cerr)) != FSY_OK)
			goto fail;
	}

	if ((rc = max_gseq(st, &gseq)) != FSY_OK)
		goto fail;
	fsy_store_set_capture(st, 0);
	rc = authorise_and_merge(hub, conn, &o, p, first, &gseq);
	fsy_store_set_capture(st, 1);
	if (rc == FSY_OK)
		rc = post_merge(hub, conn, &o);
	if (rc == FSY_OK)
		rc = refresh_corrections(st, &o);
	if (rc == FSY_OK && o.refused) {
		/* a rogue or confused laptop shows in the log and the audit */
		snprintf(refused, sizeof(refused), "%llu change%s refused, first: %s",
		    (unsigned long long)o.refused, o.refused == 1 ? "" : "s",
		    o.refused_first);
		rc = audit(st, conn->device_id, "change.refused", refused);
	}
	if (rc)
		goto fail;

	push_seq = p->changes[p->nchanges - 1].seq;
	now_iso(at);
	rc = fsy_store_stmt(st,
	    "UPDATE device_state SET push_seq = ?2, chain_hash = ?3, "
	    "chain_ok = ?4, chain_error = CASE WHEN ?5 = '' THEN chain_error "
	    "ELSE ?5 END, last_push_at = ?6, rejections = rejections + ?7 "
	    "WHERE device_id = ?1", &s);
	if (rc)
		goto fail;
	sqlite3_bind_text(s, 1, conn->device_id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, push_seq);
	sqlite3_bind_blob(s, 3, p->head, 32, SQLITE_STATIC);
	sqlite3_bind_int(s, 4, chain_ok);
	sqlite3_bind_text(s, 5, cerr, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 6, at, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 7, (int64_t)o.refused);
	rc = fsy_store_err(st, sqlite3_step(s));
	sqlite3_reset(s);
	if (rc)
		goto fail;
ack:
	if ((rc = fsy_store_commit(st)) != FSY_OK)
		goto fail;
	if (refused[0])
		hlog(hub, 1, "device %s (agent %s): %s", conn->device_id,
		    conn->agent_id, refused);
	conn->changes_in += o.applied;
	memset(&m, 0, sizeof(m));
	m.type = FSY_MSG_ACK;
	m.u.ack.acked = push_seq;
	m.u.ack.rejects = o.rejects;
	m.u.ack.nrejects = o.nrejects;
	m.u.ack.corrections = o.corr;
	m.u.ack.ncorrections = o.ncorr;
	rc = fsy_msg_encode(&m, hub->limits.compress, out);
	merge_out_free(&o);
	return rc;
fail:
	fsy_store_set_capture(st, 1);
	fsy_store_rollback(st);
	merge_out_free(&o);
	if (rc == FSY_EREVOKED || rc == FSY_EUNKNOWNDEV) {
		reply_error(hub, rc, "device refused", 0, out);
		return FSY_ECLOSED;
	}
	hlog(hub, 0, "push from %s failed: %s: %s", conn->device_id,
	    fsy_strerror(rc), fsy_store_errmsg(st));
	reply_error(hub, rc, fsy_strerror(rc), rc == FSY_EFULL ? 30000 : 1000,
	    out);
	return FSY_OK;
}

/* ---- pull ---------------------------------------------------------------- */

/* The SQL condition "customer ?N is in this connection's ownership scope". */
static const char *
owned_sql(const fsy_hub_conn_t *conn)
{
	return conn->lead
	    ? "SELECT c.id FROM customer c JOIN agent a ON a.id = c.owner_agent_id "
	      "WHERE a.team_id = ?2"
	    : "SELECT id FROM customer WHERE owner_agent_id = ?2";
}

static int
record_acks(fsy_store_t *st, fsy_hub_conn_t *conn, const fsy_msg_pull_t *p)
{
	sqlite3_stmt *s;
	int rc = FSY_OK;

	for (uint32_t i = 0; i < p->nsnap_acks && rc == FSY_OK; i++) {
		rc = fsy_store_stmt(st, "UPDATE device_scope SET state = 0 WHERE "
		    "device_id = ? AND customer_id = ? AND state = 2", &s);
		if (rc)
			break;
		sqlite3_bind_text(s, 1, conn->device_id, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 2, p->snap_acks[i], -1, SQLITE_STATIC);
		rc = fsy_store_err(st, sqlite3_step(s));
		sqlite3_reset(s);
	}
	for (uint32_t i = 0; i < p->nrevoke_acks && rc == FSY_OK; i++) {
		rc = fsy_store_stmt(st, "DELETE FROM device_scope WHERE "
		    "device_id = ? AND customer_id = ? AND state = 1", &s);
		if (rc)
			break;
		sqlite3_bind_text(s, 1, conn->device_id, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 2, p->revoke_acks[i], -1, SQLITE_STATIC);
		rc = fsy_store_err(st, sqlite3_step(s));
		sqlite3_reset(s);
	}
	return rc;
}

/* Customers held or being sent that are no longer owned: revoke them —
 * also a snapshot never acknowledged (state 2): the device may have
 * applied it and lost only the acknowledgement. A customer being revoked
 * (state 1) that is owned again goes back to state 2, to be sent whole
 * again: the device may have erased it already. */
/* The gseq of the last change of owner (meta owner_gseq, kept by the
 * store's capture; 0 before any). */
static int
owner_gseq(fsy_store_t *st, int64_t *g)
{
	int rc = fsy_store_meta_int(st, "owner_gseq", g);

	if (rc == FSY_ENOTFOUND) {
		*g = 0;
		rc = FSY_OK;
	}
	return rc;
}

static int
pull_revokes(fsy_hub_t *hub, fsy_hub_conn_t *conn, fsy_msg_t *m,
    fsy__arena_t *a, uint32_t limit)
{
	fsy_store_t *st = hub->st;
	char sql[512];
	sqlite3_stmt *s;
	uint32_t n = 0;
	int64_t og = 0;
	int rc, moved;

	/* Nothing was due earlier in this session and no owner changed
	 * since: nothing is due now (a lead's scope also follows the roster,
	 * which has no versions: always checked). */
	if ((rc = owner_gseq(st, &og)) != FSY_OK)
		return rc;
	if (!conn->lead && conn->revokes_clear && og == conn->revokes_owner_gseq)
		return FSY_OK;
	snprintf(sql, sizeof(sql),
	    "UPDATE device_scope SET state = 2 WHERE device_id = ?1 AND "
	    "state = 1 AND customer_id IN (%s)", owned_sql(conn));
	if ((rc = fsy_store_stmt(st, sql, &s)) != FSY_OK)
		return rc;
	sqlite3_bind_text(s, 1, conn->device_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, conn->lead ? conn->team_id : conn->agent_id, -1,
	    SQLITE_STATIC);
	rc = fsy_store_err(st, sqlite3_step(s));
	moved = sqlite3_changes(st->db);
	sqlite3_reset(s);
	if (rc)
		return rc;

	snprintf(sql, sizeof(sql),
	    "SELECT customer_id FROM device_scope WHERE device_id = ?1 AND "
	    "state IN (0, 1, 2) AND customer_id NOT IN (%s) LIMIT ?3",
	    owned_sql(conn));
	if ((rc = fsy_store_stmt(st, sql, &s)) != FSY_OK)
		return rc;
	sqlite3_bind_text(s, 1, conn->device_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, conn->lead ? conn->team_id : conn->agent_id, -1,
	    SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, limit);
	m->u.revoke.customers = fsy__arena_alloc(a, (size_t)limit * 37);
	if (m->u.revoke.customers == NULL) {
		sqlite3_reset(s);
		return FSY_ENOMEM;
	}
	while ((rc = sqlite3_step(s)) == SQLITE_ROW && n < limit)
		snprintf(m->u.revoke.customers[n++], 37, "%s",
		    sqlite3_column_text(s, 0));
	rc = rc == SQLITE_ROW || rc == SQLITE_DONE ? FSY_OK : fsy_store_err(st, rc);
	sqlite3_reset(s);
	if (rc)
		return rc;
	for (uint32_t i = 0; i < n && rc == FSY_OK; i++) {
		rc = fsy_store_stmt(st, "UPDATE device_scope SET state = 1 WHERE "
		    "device_id = ? AND customer_id = ?", &s);
		if (rc)
			break;
		sqlite3_bind_text(s, 1, conn->device_id, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 2, m->u.revoke.customers[i], -1, SQLITE_STATIC);
		rc = fsy_store_err(st, sqlite3_step(s));
		sqlite3_reset(s);
	}
	m->u.revoke.ncustomers = n;
	if (n)
		m->type = FSY_MSG_REVOKE;
	conn->revokes_clear = rc == FSY_OK && n == 0 && moved == 0;
	conn->revokes_owner_gseq = og;
	return rc;
}

/* Approximate wire size of a change, for batch bounds. */
static size_t
change_size(const fsy_change_t *c)
{
	return 48 + (c->val.type == FSY_VAL_TEXT ? c->val.n : 0);
}

/* Appends the rows of one customer in table t to the snapshot: every
 * column of every row, read from the table itself (one read per row, its
 * columns consecutive so that the device writes each row at once). */
static int
snapshot_rows(fsy_store_t *st, int t, const char *cust, uint64_t hlc,
    fsy__arena_t *a, fsy_change_t **ch, uint32_t *nch, uint32_t *capch,
    size_t *bytes)
{
	const fsy_table_t *tb = &fsy_tables[t];
	sqlite3_stmt *q;
	int rc = rows_stmt(st, t, 1, &q);

	if (rc)
		return rc;
	sqlite3_bind_text(q, 1, cust, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		const char *id = (const char *)sqlite3_column_text(q, 0);
		char row_id[37] = "";
		if (id != NULL)
			strncpy(row_id, id, sizeof(row_id) - 1);
		if (*nch + (uint32_t)tb->ncols > *capch) {
			uint32_t nc = *capch ? *capch * 2 : 1024;
			fsy_change_t *n2;
			while (nc < *nch + (uint32_t)tb->ncols)
				nc *= 2;
			if ((n2 = fsy__arena_alloc(a, (size_t)nc * sizeof(*n2)))
			    == NULL) {
				rc = FSY_ENOMEM;
				break;
			}
			if (*nch)
				memcpy(n2, *ch, (size_t)*nch * sizeof(*n2));
			*ch = n2;
			*capch = nc;
		}
		for (int c = 0; c < tb->ncols && rc == SQLITE_ROW; c++) {
			fsy_change_t *k = &(*ch)[(*nch)++];
			k->seq = 0;
			k->tbl = (uint8_t)t;
			k->col = (uint8_t)c;
			memcpy(k->row_id, row_id, sizeof(k->row_id));
			memcpy(k->customer_id, cust, sizeof(k->customer_id));
			k->hlc = hlc;
			fsy_val_from_column(q, 3 + c, &k->val);
			if (fsy__val_copy(a, &k->val) != FSY_OK)
				rc = FSY_ENOMEM;
			*bytes += change_size(k);
		}
		if (rc != SQLITE_ROW)
			break;
	}
	sqlite3_reset(q);
	return rc == SQLITE_DONE ? FSY_OK : rc > 0 ? fsy_store_err(st, rc) : rc;
}

/* Whole customers newly owned: every row and every column of each, as it
 * stands (the device's copy then equals the hub's, whatever it held). */
/* The device_scope state (0, 1, 2) of a customer for a device, 3 when it
 * has none, or a negative FSY_E*. */
static int
scope_state(fsy_store_t *st, const char *device_id, const char *customer_id)
{
	sqlite3_stmt *s;
	int rc = fsy_store_stmt(st, "SELECT state FROM device_scope WHERE "
	    "device_id = ? AND customer_id = ?", &s);

	if (rc)
		return rc;
	sqlite3_bind_text(s, 1, device_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, customer_id, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	rc = rc == SQLITE_ROW ? sqlite3_column_int(s, 0)
	    : rc == SQLITE_DONE ? 3 : fsy_store_err(st, rc);
	sqlite3_reset(s);
	return rc;
}

static int
pull_snapshots(fsy_hub_t *hub, fsy_hub_conn_t *conn, const fsy_msg_pull_t *p,
    fsy_msg_t *m, fsy__arena_t *a, int *wait)
{
	fsy_store_t *st = hub->st;
	char sql[512];
	sqlite3_stmt *s;
	uint32_t ncust = 0, nch = 0, capch = 0, capcust = 256;
	uint32_t max_changes = hub->limits.max_changes;
	size_t bytes = 0, max_bytes = hub->limits.max_bytes;
	int64_t g;
	uint64_t hlc;
	int rc;
	fsy_change_t *ch = NULL;
	char (*cust)[37] = NULL;

	/* The frame is as large as both ends allow (the device's PULL says
	 * what it takes). */
	if (p->max_changes && p->max_changes < max_changes)
		max_changes = p->max_changes;
	if (p->max_bytes && p->max_bytes < max_bytes)
		max_bytes = p->max_bytes;
	if ((rc = max_gseq(st, &g)) != FSY_OK)
		return rc;
	/* The values carry the hub's clock as they are read: the device's
	 * clock moves past every version it receives. */
	hlc = fsy_hlc_tick(&st->hlc);
	/* In id order, from after the last customer this session sent: what
	 * lies before was sent (and acknowledged with this PULL) or held.
	 * When that finds none, once more from the start, which also sees a
	 * customer that became owned meanwhile, before the scope is called
	 * settled. */
	snprintf(sql, sizeof(sql),
	    "SELECT o.id FROM (%s) o WHERE o.id > ?3 AND NOT EXISTS (SELECT 1 "
	    "FROM device_scope ds WHERE ds.device_id = ?1 AND ds.customer_id = "
	    "o.id AND ds.state IN (0, 1)) ORDER BY o.id", owned_sql(conn));
again:
	if ((rc = fsy_store_stmt(st, sql, &s)) != FSY_OK)
		return rc;
	sqlite3_bind_text(s, 1, conn->device_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, conn->lead ? conn->team_id : conn->agent_id, -1,
	    SQLITE_STATIC);
	sqlite3_bind_text(s, 3, conn->snap_after, -1, SQLITE_STATIC);
	if (cust == NULL)
		cust = fsy__arena_alloc(a, (size_t)capcust * 37);
	/* Room for a full frame at once: growing it would copy it again. */
	if (ch == NULL) {
		capch = max_changes + 64;
		ch = hub_changes(hub, capch);
	}
	if (cust == NULL || ch == NULL) {
		sqlite3_reset(s);
		return FSY_ENOMEM;
	}
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		char id[37] = "";
		uint32_t before = nch;

		if (nch >= max_changes || bytes >= max_bytes ||
		    ncust == FSY_MAX_IDS)
			break;
		if (ncust == capcust) {
			char (*c2)[37] = fsy__arena_alloc(a, (size_t)capcust * 2 * 37);
			if (c2 == NULL) {
				rc = FSY_ENOMEM;
				break;
			}
			memcpy(c2, cust, (size_t)ncust * 37);
			cust = c2;
			capcust *= 2;
		}
		const char *cid = (const char *)sqlite3_column_text(s, 0);
		if (cid != NULL)
			strncpy(id, cid, sizeof(id) - 1);
		for (int t = 0; t < FSY_NTABLES && rc == SQLITE_ROW; t++)
			if ((rc = snapshot_rows(st, t, id, hlc, a, &ch, &nch, &capch,
			    &bytes)) == FSY_OK)
				rc = SQLITE_ROW;
		if (rc != SQLITE_ROW)
			break;
		if (ncust > 0 && nch > max_changes) {
			nch = before; /* this customer goes in the next one */
			break;
		}
		snprintf(cust[ncust++], 37, "%s", id);
	}
	if (rc == SQLITE_DONE || rc == SQLITE_ROW)
		rc = FSY_OK;
	else if (rc > 0)
		rc = fsy_store_err(st, rc);
	sqlite3_reset(s);
	if (rc)
		return rc;
	if (ncust == 0 && conn->snap_after[0] != '\0') {
		/* Before the pass from the start: a device that applies a
		 * frame while it asks for the next (fsy_agent_session_apply)
		 * acknowledges it one PULL later. Were the last frame's last
		 * customer still unacknowledged, the pass would send that
		 * frame again: *wait tells the caller to answer "PULL again"
		 * instead, and the next PULL makes the pass. */
		if ((rc = scope_state(st, conn->device_id, conn->snap_after)) < 0)
			return rc;
		conn->snap_after[0] = '\0';
		if (rc == 2) {
			*wait = 1;
			return FSY_OK;
		}
		goto again;
	}
	if (ncust)
		memcpy(conn->snap_after, cust[ncust - 1], 37);
	for (uint32_t i = 0; i < ncust && rc == FSY_OK; i++)
		rc = scope_add(st, conn->device_id, cust[i], 2, g);
	if (ncust) {
		m->type = FSY_MSG_SNAPSHOT;
		m->u.snapshot.customers = cust;
		m->u.snapshot.ncustomers = ncust;
		m->u.snapshot.changes = ch;
		m->u.snapshot.nchanges = nch;
		m->u.snapshot.more = 1; /* acks and incremental changes follow */
		conn->changes_out += nch;
	}
	return rc;
}

/* What a household holds, in column versions, give or take (a card,
 * family, policies, years of visits): the cost, in versions read, of
 * walking one customer held in pull_batch's second plan. */
#define PULL_VERSIONS_PER_CUSTOMER 256

/* Column col of the row at r (rows_stmt's) of table t as change k, with
 * its version v; gseq kept in k->seq until the batch is sorted. */
static int
rows_change(sqlite3_stmt *r, int t, int col, const fsy_ver_t *v,
    fsy__arena_t *a, fsy_change_t *k)
{
	const char *id = (const char *)sqlite3_column_text(r, 0);
	const char *cust = (const char *)sqlite3_column_text(r, 1);

	memset(k, 0, sizeof(*k));
	k->tbl = (uint8_t)t;
	k->col = (uint8_t)col;
	snprintf(k->row_id, sizeof(k->row_id), "%s", id ? id : "");
	snprintf(k->customer_id, sizeof(k->customer_id), "%s", cust ? cust : "");
	fsy_val_from_column(r, 3 + col, &k->val);
	k->hlc = v->hlc;
	k->seq = v->gseq;
	return fsy__val_copy(a, &k->val);
}

/* The first plan of pull_batch: the feed above floor, in order, kept for
 * the device's customers; an entry whose version was replaced since is
 * skipped (its row's version has another gseq). */
static int
pull_feed(fsy_hub_t *hub, fsy_hub_conn_t *conn, int64_t floor,
    int64_t site, uint32_t limit, size_t max_bytes, fsy__arena_t *a,
    fsy_change_t *ch, uint32_t *np, int64_t *last, int *more)
{
	fsy_store_t *st = hub->st;
	sqlite3_stmt *s, *r = NULL;
	fsy_ver_t v[FSY_VERS_COLS];
	char row[37] = "";
	int rc, rt = -1, have = 0;
	uint32_t n = 0;
	size_t bytes = 0;

	rc = fsy_store_stmt(st,
	    "SELECT f.gseq, f.tbl, f.col, f.row_id FROM col_feed f "
	    "WHERE f.gseq > ?2 AND EXISTS (SELECT 1 FROM device_scope ds "
	    "WHERE ds.device_id = ?1 AND ds.customer_id = f.customer_id "
	    "AND ds.state = 0 AND f.gseq > ds.snap_gseq) ORDER BY f.gseq", &s);
	if (rc)
		return rc;
	sqlite3_bind_text(s, 1, conn->device_id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, floor);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		int64_t g = sqlite3_column_int64(s, 0);
		int t = sqlite3_column_int(s, 1), col = sqlite3_column_int(s, 2);
		const char *id = (const char *)sqlite3_column_text(s, 3);
		if (!fsy_col_valid(t, col) || id == NULL)
			continue;
		/* consecutive entries of one row (a new row's columns) read it
		 * once */
		if (t != rt || strcmp(id, row) != 0) {
			if (r)
				sqlite3_reset(r);
			if ((rc = rows_stmt(st, t, 0, &r)) != FSY_OK) {
				r = NULL;
				break;
			}
			rt = t;
			snprintf(row, sizeof(row), "%s", id);
			sqlite3_bind_text(r, 1, row, -1, SQLITE_STATIC);
			rc = sqlite3_step(r);
			have = rc == SQLITE_ROW;
			if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
				rc = fsy_store_err(st, rc);
				break;
			}
			if (have && (rc = rows_versions(st, r, t, v)) != FSY_OK)
				break;
		}
		if (!have || !v[col].found || v[col].gseq != g)
			continue;
		if (n == limit || bytes >= max_bytes) {
			*more = 1;
			break;
		}
		*last = g;
		/* The device's own winning writes it has already. */
		if (v[col].site == site)
			continue;
		if ((rc = rows_change(r, t, col, &v[col], a, &ch[n])) != FSY_OK)
			break;
		ch[n].seq = 0;
		bytes += change_size(&ch[n]);
		n++;
	}
	if (r)
		sqlite3_reset(r);
	if (rc == SQLITE_ROW || rc == SQLITE_DONE)
		rc = FSY_OK;
	else if (rc > 0)
		rc = fsy_store_err(st, rc);
	sqlite3_reset(s);
	*np = n;
	return rc;
}

/* Calls fn(arg, r, t, col, version) for every column version above floor
 * of the device's customers held (each customer's above its snapshot),
 * but the device's own (site): the walk of pull_batch's second plan. */
typedef int (*held_fn)(void *arg, sqlite3_stmt *r, int t, int col,
    const fsy_ver_t *v);

static int
held_versions(fsy_store_t *st, const fsy_hub_conn_t *conn, int64_t floor,
    int64_t site, held_fn fn, void *arg)
{
	sqlite3_stmt *s, *r;
	fsy_ver_t v[FSY_VERS_COLS];
	char cust[37];
	int rc;

	rc = fsy_store_stmt(st, "SELECT customer_id, snap_gseq FROM "
	    "device_scope WHERE device_id = ?1 AND state = 0", &s);
	if (rc)
		return rc;
	sqlite3_bind_text(s, 1, conn->device_id, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		const char *c = (const char *)sqlite3_column_text(s, 0);
		int64_t above = sqlite3_column_int64(s, 1);
		if (above < floor)
			above = floor;
		snprintf(cust, sizeof(cust), "%s", c ? c : "");
		for (int t = 0; t < FSY_NTABLES && rc == SQLITE_ROW; t++) {
			if ((rc = rows_stmt(st, t, 1, &r)) != FSY_OK)
				break;
			sqlite3_bind_text(r, 1, cust, -1, SQLITE_STATIC);
			while ((rc = sqlite3_step(r)) == SQLITE_ROW) {
				if ((rc = rows_versions(st, r, t, v)) != FSY_OK)
					break;
				for (int k = 0; k < fsy_tables[t].ncols && rc == FSY_OK;
				    k++)
					if (v[k].found && v[k].gseq > above &&
					    v[k].site != site)
						rc = fn(arg, r, t, k, &v[k]);
				if (rc)
					break;
				rc = SQLITE_ROW;
			}
			sqlite3_reset(r);
			if (rc == SQLITE_DONE)
				rc = SQLITE_ROW;
			else if (rc > 0)
				rc = fsy_store_err(st, rc);
		}
		if (rc != SQLITE_ROW)
			break;
	}
	sqlite3_reset(s);
	if (rc == SQLITE_DONE)
		return FSY_OK;
	return rc > 0 ? fsy_store_err(st, rc) : rc;
}

typedef struct held_walk {
	int64_t *gseqs;       /* pass 1: every version's gseq */
	size_t n, cap;
	int64_t upto;         /* pass 2: the versions up to this gseq */
	fsy_change_t *ch;
	uint32_t nch, limit;
	fsy__arena_t *a;
} held_walk_t;

static int
held_count(void *arg, sqlite3_stmt *r, int t, int col, const fsy_ver_t *v)
{
	held_walk_t *w = arg;

	(void)r;
	(void)t;
	(void)col;
	if (w->n == w->cap) {
		size_t nc = w->cap ? w->cap * 2 : 4096;
		int64_t *g = realloc(w->gseqs, nc * sizeof(*g));
		if (g == NULL)
			return FSY_ENOMEM;
		w->gseqs = g;
		w->cap = nc;
	}
	w->gseqs[w->n++] = v->gseq;
	return FSY_OK;
}

static int
held_take(void *arg, sqlite3_stmt *r, int t, int col, const fsy_ver_t *v)
{
	held_walk_t *w = arg;

	if (v->gseq > w->upto)
		return FSY_OK;
	if (w->nch == w->limit) /* cannot be: upto bounds them */
		return FSY_EINTERNAL;
	return rows_change(r, t, col, v, w->a, &w->ch[w->nch++]);
}

static int
cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

static int
cmp_change_seq(const void *a, const void *b)
{
	return cmp_i64(&((const fsy_change_t *)a)->seq,
	    &((const fsy_change_t *)b)->seq);
}

/* The second plan of pull_batch: the versions of the device's customers
 * held, walked twice: the first pass finds the limit-th smallest gseq, the
 * second takes the versions up to it, then sorted by gseq. */
static int
pull_held(fsy_hub_t *hub, fsy_hub_conn_t *conn, int64_t floor, int64_t site,
    uint32_t limit, size_t max_bytes, fsy__arena_t *a, fsy_change_t *ch,
    uint32_t *np, int64_t *last, int *more)
{
	held_walk_t w;
	size_t bytes = 0;
	uint32_t n;
	int rc;

	memset(&w, 0, sizeof(w));
	rc = held_versions(hub->st, conn, floor, site, held_count, &w);
	if (rc == FSY_OK && w.n > 0) {
		qsort(w.gseqs, w.n, sizeof(*w.gseqs), cmp_i64);
		w.upto = w.n > limit ? w.gseqs[limit - 1] : INT64_MAX;
		*more = w.n > limit;
		w.ch = ch;
		w.limit = limit;
		w.a = a;
		rc = held_versions(hub->st, conn, floor, site, held_take, &w);
	}
	free(w.gseqs);
	if (rc)
		return rc;
	qsort(ch, w.nch, sizeof(*ch), cmp_change_seq);
	for (n = 0; n < w.nch; n++) {
		if (bytes >= max_bytes) {
			*more = 1;
			break;
		}
		bytes += change_size(&ch[n]);
		*last = ch[n].seq;
		ch[n].seq = 0;
	}
	*np = n;
	return FSY_OK;
}

/* Column changes above the cursor for customers held. */
static int
pull_batch(fsy_hub_t *hub, fsy_hub_conn_t *conn, const fsy_msg_pull_t *p,
    fsy_msg_t *m, fsy__arena_t *a)
{
	fsy_store_t *st = hub->st;
	uint32_t limit = hub->limits.max_changes, n = 0;
	size_t max_bytes = hub->limits.max_bytes;
	sqlite3_stmt *s;
	int64_t g, last = p->cursor, floor = 0, held = 0, site = 0;
	int rc, more = 0;
	fsy_change_t *ch;

	if (p->max_changes && p->max_changes < limit)
		limit = p->max_changes;
	if (p->max_bytes && p->max_bytes < max_bytes)
		max_bytes = p->max_bytes;
	if ((rc = max_gseq(st, &g)) != FSY_OK)
		return rc;
	if ((ch = hub_changes(hub, limit)) == NULL)
		return FSY_ENOMEM;
	/* the device's number as a writer (0, none, when it never wrote) */
	if ((rc = fsy__store_text_int(st, "SELECT id FROM site WHERE name = ?1",
	    conn->device_id, &site)) != FSY_OK)
		return rc;
	/* Two plans for one result, chosen by what each would read. Walk
	 * the feed above what the device has (its cursor, or the oldest
	 * snapshot it holds when that is newer — a laptop just filled),
	 * keeping the device's customers: a cost that follows every change
	 * in the hub since then. Or walk the device's customers' rows and
	 * sort what is newer: a cost that follows the size of its book. The
	 * first suits a laptop syncing often in a quiet hub; the second a
	 * laptop back after months, or every laptop of a burst, which
	 * otherwise would each walk what all the others just pushed. */
	rc = fsy_store_stmt(st, "SELECT count(*), ifnull(min(snap_gseq), 0) "
	    "FROM device_scope WHERE device_id = ? AND state = 0", &s);
	if (rc)
		return rc;
	sqlite3_bind_text(s, 1, conn->device_id, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		held = sqlite3_column_int64(s, 0);
		floor = sqlite3_column_int64(s, 1);
	}
	rc = rc == SQLITE_ROW ? FSY_OK : fsy_store_err(st, rc);
	sqlite3_reset(s);
	if (rc)
		return rc;
	/* floor, not the cursor: what lies at or below the oldest snapshot
	 * held is in every held customer's snapshot already (the result is
	 * the same; a new laptop's first BATCH no longer walks every version
	 * in the hub). */
	if (floor < p->cursor)
		floor = p->cursor;
	if (g - floor <= held * PULL_VERSIONS_PER_CUSTOMER)
		rc = pull_feed(hub, conn, floor, site, limit, max_bytes, a, ch, &n,
		    &last, &more);
	else
		rc = pull_held(hub, conn, floor, site, limit, max_bytes, a, ch, &n,
		    &last, &more);
	if (rc)
		return rc;
	m->type = FSY_MSG_BATCH;
	m->u.batch.changes = ch;
	m->u.batch.nchanges = n;
	m->u.batch.more = more;
	m->u.batch.cursor = more ? last : (g > p->cursor ? g : p->cursor);
	conn->changes_out += n;
	return FSY_OK;
}

/*
 * Whether this device's scope must be compared with who owns what: 1 when
 * a revoke or snapshot is under way (a state other than held), when an
 * owner changed since the scope was last found settled (device_state.
 * scope_gseq), or always for a team lead (whose scope also follows the
 * roster, which has no versions); 0 when nothing can have changed, so a
 * round's cost follows the changes, not the size of the book. Negative:
 * a store error.
 */
static int
scope_unsettled(fsy_store_t *st, const fsy_hub_conn_t *conn, int64_t *since)
{
	sqlite3_stmt *s;
	int rc;

	*since = 0;
	if (conn->lead)
		return 1;
	rc = fsy_store_stmt(st, "SELECT scope_gseq FROM device_state WHERE "
	    "device_id = ?", &s);
	if (rc)
		return rc;
	sqlite3_bind_text(s, 1, conn->device_id, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(s)) == SQLITE_ROW)
		*since = sqlite3_column_int64(s, 0);
	rc = rc == SQLITE_ROW || rc == SQLITE_DONE ? FSY_OK : fsy_store_err(st, rc);
	sqlite3_reset(s);
	if (rc)
		return rc;
	if (*since == 0)
		return 1;
	/* owner_gseq: the gseq of the last change of owner (store.c
	 * capture_hub), one lookup however busy the hub is. */
	rc = fsy_store_stmt(st,
	    "SELECT EXISTS (SELECT 1 FROM device_scope WHERE device_id = ?1 "
	    "AND state IN (1, 2)) OR ifnull((SELECT value FROM meta WHERE "
	    "key = 'owner_gseq'), 0) > ?2", &s);
	if (rc)
		return rc;
	sqlite3_bind_text(s, 1, conn->device_id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, *since);
	rc = sqlite3_step(s);
	rc = rc == SQLITE_ROW ? sqlite3_column_int(s, 0) != 0
	                      : fsy_store_err(st, rc);
	sqlite3_reset(s);
	return rc;
}

/* Records that the device's scope matched ownership as of global seq g. */
static int
scope_settle(fsy_store_t *st, const fsy_hub_conn_t *conn, int64_t g)
{
	sqlite3_stmt *s;
	int rc;

	if (conn->lead)
		return FSY_OK;
	rc = fsy_store_stmt(st, "UPDATE device_state SET scope_gseq = ?2 "
	    "WHERE device_id = ?1", &s);
	if (rc)
		return rc;
	sqlite3_bind_text(s, 1, conn->device_id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, g > 0 ? g : 1);
	rc = fsy_store_err(st, sqlite3_step(s));
	sqlite3_reset(s);
	return rc;
}

static int
handle_pull(fsy_hub_t *hub, fsy_hub_conn_t *conn, const fsy_msg_pull_t *p,
    fsy_buf_t *out)
{
	fsy_store_t *st = hub->st;
	fsy__arena_t a = {0};
	sqlite3_stmt *s;
	fsy_msg_t m;
	int64_t scope_gseq = 0, g = 0;
	char at[21];
	int rc, wait = 0;

	memset(&m, 0, sizeof(m));
	if ((rc = fsy_store_begin(st)) != FSY_OK)
		goto fail;
	if ((rc = device_active(st, conn->device_id)) != FSY_OK)
		goto fail;
	if ((rc = record_acks(st, conn, p)) != FSY_OK)
		goto fail;
	if ((rc = scope_unsettled(st, conn, &scope_gseq)) < 0)
		goto fail;
	if (rc == 1) {
		if ((rc = max_gseq(st, &g)) != FSY_OK)
			goto fail;
		if ((rc = pull_revokes(hub, conn, &m, &a, 5000)) != FSY_OK)
			goto fail;
		if (m.type != FSY_MSG_REVOKE &&
		    (rc = pull_snapshots(hub, conn, p, &m, &a, &wait)) != FSY_OK)
			goto fail;
		/* A frame still being applied: an empty BATCH that keeps the
		 * cursor and asks for another PULL (a BATCH now would skip
		 * the changes of customers not yet held). */
		if (wait) {
			m.type = FSY_MSG_BATCH;
			m.u.batch.cursor = p->cursor;
			m.u.batch.more = 1;
		}
		/* Nothing to revoke or send whole: the scope is settled as of
		 * g, and later pulls skip these scope-wide queries until an
		 * owner changes. */
		if (m.type != FSY_MSG_REVOKE && m.type != FSY_MSG_SNAPSHOT &&
		    !wait && (rc = scope_settle(st, conn, g)) != FSY_OK)
			goto fail;
	}
	if (m.type != FSY_MSG_REVOKE && m.type != FSY_MSG_SNAPSHOT && !wait &&
	    (rc = pull_batch(hub, conn, p, &m, &a)) != FSY_OK)
		goto fail;
	now_iso(at);
	rc = fsy_store_stmt(st, "UPDATE device_state SET pull_cursor = ?2, "
	    "last_pull_at = ?3 WHERE device_id = ?1", &s);
	if (rc)
		goto fail;
	sqlite3_bind_text(s, 1, conn->device_id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, p->cursor);
	sqlite3_bind_text(s, 3, at, -1, SQLITE_STATIC);
	rc = fsy_store_err(st, sqlite3_step(s));
	sqlite3_reset(s);
	if (rc)
		goto fail;
	if ((rc = fsy_store_commit(st)) != FSY_OK)
		goto fail;
	rc = fsy_msg_encode(&m, hub->limits.compress, out);
	fsy__arena_free(&a);
	return rc;
fail:
	fsy_store_rollback(st);
	fsy__arena_free(&a);
	if (rc == FSY_EREVOKED || rc == FSY_EUNKNOWNDEV) {
		reply_error(hub, rc, "device refused", 0, out);
		return FSY_ECLOSED;
	}
	hlog(hub, 0, "pull for %s failed: %s: %s", conn->device_id,
	    fsy_strerror(rc), fsy_store_errmsg(st));
	reply_error(hub, rc, fsy_strerror(rc), 1000, out);
	return FSY_OK;
}

/* A command forwarded by a device: only team leads' devices, and only
 * through the hub's ctl hook, which limits it to the lead's team. */
static int
handle_ctl(fsy_hub_t *hub, fsy_hub_conn_t *conn, const fsy_msg_ctl_t *c,
    fsy_buf_t *out)
{
	char *reply = NULL;
	fsy_msg_t m;
	int rc;

	if (!conn->authed)
		return reply_error(hub, FSY_EAUTH, "not authenticated: send HELLO",
		    0, out);
	if (!conn->lead || hub->ctl == NULL)
		return reply_error(hub, FSY_EPERM,
		    "only team leads' devices may query head office", 0, out);
	rc = hub->ctl(hub, conn, c->json, c->len, &reply);
	if (reply == NULL)
		return reply_error(hub, rc ? rc : FSY_ENOMEM, fsy_strerror(rc), 0,
		    out);
	memset(&m, 0, sizeof(m));
	m.type = FSY_MSG_CTL_REPLY;
	m.u.ctl.json = reply;
	m.u.ctl.len = strlen(reply);
	rc = fsy_msg_encode(&m, hub->limits.compress, out);
	free(reply);
	return rc;
}

int
fsy_hub_handle(fsy_hub_t *hub, fsy_hub_conn_t *conn, const fsy_msg_t *req,
    fsy_buf_t *out)
{
	switch (req->type) {
	case FSY_MSG_HELLO:
		return handle_hello(hub, conn, &req->u.hello, out);
	case FSY_MSG_AUTH:
		return handle_auth(hub, conn, &req->u.auth, out);
	case FSY_MSG_PUSH:
	case FSY_MSG_PULL:
		if (!conn->authed) {
			reply_error(hub, FSY_EAUTH, "not authenticated: send HELLO",
			    0, out);
			return FSY_OK;
		}
		return req->type == FSY_MSG_PUSH
		    ? handle_push(hub, conn, &req->u.push, out)
		    : handle_pull(hub, conn, &req->u.pull, out);
	case FSY_MSG_CTL:
		return handle_ctl(hub, conn, &req->u.ctl, out);
	default:
		reply_error(hub, FSY_EPROTO, "unexpected message for the hub", 0,
		    out);
		return FSY_ECLOSED;
	}
}

int
fsy_hub_scope_hash(fsy_store_t *st, const char *agent_id, uint8_t out[32])
{
	sqlite3_stmt *s;
	char role[16] = "", team[40] = "";
	int rc = fsy_store_stmt(st,
	    "SELECT role, ifnull(team_id, '') FROM agent WHERE id = ?", &s);

	if (rc)
		return rc;
	sqlite3_bind_text(s, 1, agent_id, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		snprintf(role, sizeof(role), "%s", sqlite3_column_text(s, 0));
		snprintf(team, sizeof(team), "%s", sqlite3_column_text(s, 1));
	}
	sqlite3_reset(s);
	if (rc != SQLITE_ROW)
		return rc == SQLITE_DONE ? FSY_ENOTFOUND : fsy_store_err(st, rc);
	if (strcmp(role, "lead") == 0)
		return fsy__content_hash(st,
		    "customer_id IN (SELECT c.id FROM customer c JOIN agent a ON "
		    "a.id = c.owner_agent_id WHERE a.team_id = ?1)", team, out);
	return fsy__content_hash(st,
	    "customer_id IN (SELECT id FROM customer WHERE owner_agent_id = ?1)",
	    agent_id, out);
}
