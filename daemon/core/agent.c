/*
 * agent.c — the laptop end of sync (see sync.h, docs/SYNC.md).
 *
 * A round:  IDLE -> HELLO -> AUTH -> PUSH* -> PULL* -> DONE
 *   HELLO  sent HELLO, expect CHALLENGE;
 *   AUTH   sent AUTH, expect WELCOME;
 *   PUSH   sent a batch of log entries, expect ACK (repeat while pending);
 *   PULL   sent PULL, expect REVOKE / SNAPSHOT / BATCH (repeat until a BATCH
 *          says no more);
 *   any ERROR or unexpected reply -> FAILED.
 * Invariants: each reply is applied in one transaction together with the
 * bookkeeping it implies (acked seq, cursor); acks of snapshots and
 * revokes are sent only after the transaction that applied them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "rows.h"
#include "store_int.h"
#include "sync.h"
#include "tables.h"

static const uint8_t zero32[32];

static const char *const state_names[] = {
	"idle", "hello", "auth", "push", "pull", "done", "failed"};

static void
set_state(fsy_agent_session_t *s, fsy_agent_state_t st)
{
	if (getenv("FSY_TRACE_SYNC"))
		fprintf(stderr, "sync: %s -> %s\n", state_names[s->state],
		    state_names[st]);
	s->state = st;
}

void
fsy_agent_session_init(fsy_agent_session_t *s, fsy_store_t *st,
    const uint8_t sk[64])
{
	memset(s, 0, sizeof(*s));
	s->st = st;
	memcpy(s->sk, sk, 64);
	fsy_sync_limits_default(&s->limits);
	s->chain_ok = 1;
}

void
fsy_agent_session_fini(fsy_agent_session_t *s)
{
	free(s->snap_acks);
	free(s->revoke_acks);
	s->snap_acks = s->revoke_acks = NULL;
	s->nsnap_acks = s->nrevoke_acks = s->capsnap = s->caprevoke = 0;
	sodium_memzero(s->sk, sizeof(s->sk));
}

static int
fail(fsy_agent_session_t *s, int err, const char *msg)
{
	s->err = err;
	snprintf(s->errmsg, sizeof(s->errmsg), "%s", msg ? msg : fsy_strerror(err));
	set_state(s, FSY_AS_FAILED);
	return err;
}

static int
meta_int(fsy_store_t *st, const char *key, int64_t def, int64_t *v)
{
	int rc = fsy_store_meta_int(st, key, v);
	if (rc == FSY_ENOTFOUND) {
		*v = def;
		return FSY_OK;
	}
	return rc;
}

/* The replica's last change-log seq, 0 for none. */
static int
last_seq(fsy_store_t *st, int64_t *v)
{
	return fsy__store_int(st, "SELECT ifnull(max(seq), 0) FROM change_log",
	    0, v);
}

int
fsy_replica_verify_chain(fsy_store_t *st, int64_t upto_seq, int64_t *bad_seq,
    uint8_t hash_at_upto[32])
{
	sqlite3_stmt *q;
	uint8_t prev[32], stored_prev[32], h[32];
	int rc;

	/* prev is the chain recomputed from the entries' content; where an
	 * entry was redacted (its customer revoked) its stored hash stands in.
	 * The result at upto_seq is what the hub compares with the hash it
	 * received: any entry altered after delivery changes it. */
	*bad_seq = 0;
	memcpy(prev, zero32, 32);
	memcpy(stored_prev, zero32, 32);
	rc = sqlite3_prepare_v2(st->db,
	    "SELECT seq, tbl, col, row_id, hlc, val, prev_hash, hash, redacted "
	    "FROM change_log WHERE seq <= ? ORDER BY seq", -1, &q, NULL);
	if (rc != SQLITE_OK)
		return fsy_store_err(st, rc);
	sqlite3_bind_int64(q, 1, upto_seq);
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		int64_t seq = sqlite3_column_int64(q, 0);
		const void *ph = sqlite3_column_blob(q, 6);
		const void *hh = sqlite3_column_blob(q, 7);
		int ok = sqlite3_column_bytes(q, 6) == 32 &&
		    sqlite3_column_bytes(q, 7) == 32 &&
		    memcmp(ph, stored_prev, 32) == 0;
		if (sqlite3_column_int(q, 8)) {
			if (ok)
				memcpy(h, hh, 32);
			else
				memset(h, 0, 32);
		} else {
			fsy_val_t v;
			fsy_val_from_column(q, 5, &v);
			fsy_chain_hash(prev, seq, sqlite3_column_int(q, 1),
			    sqlite3_column_int(q, 2),
			    (const char *)sqlite3_column_text(q, 3),
			    (uint64_t)sqlite3_column_int64(q, 4), st->site, &v, h);
			ok = ok && memcmp(h, hh, 32) == 0;
		}
		if (!ok && *bad_seq == 0)
			*bad_seq = seq;
		memcpy(prev, h, 32);
		if (sqlite3_column_bytes(q, 7) == 32)
			memcpy(stored_prev, hh, 32);
	}
	sqlite3_finalize(q);
	if (rc != SQLITE_DONE)
		return fsy_store_err(st, rc);
	memcpy(hash_at_upto, prev, 32);
	return *bad_seq ? FSY_ECHAIN : FSY_OK;
}

int
fsy_replica_hash(fsy_store_t *st, uint8_t out[32])
{
	return fsy__content_hash(st, "1", NULL, out);
}

int
fsy_replica_status(fsy_store_t *st, fsy_replica_status_t *o)
{
	int rc;
	int64_t v;

	memset(o, 0, sizeof(*o));
	if ((rc = last_seq(st, &o->log_seq)) != FSY_OK)
		return rc;
	if ((rc = meta_int(st, "push_acked", 0, &o->acked_seq)) != FSY_OK)
		return rc;
	o->pending = o->log_seq > o->acked_seq ? o->log_seq - o->acked_seq : 0;
	if (o->pending) {
		sqlite3_stmt *q;
		if ((rc = fsy_store_stmt(st, "SELECT at FROM change_log WHERE "
		    "seq = ?", &q)) != FSY_OK)
			return rc;
		sqlite3_bind_int64(q, 1, o->acked_seq + 1);
		if (sqlite3_step(q) == SQLITE_ROW &&
		    fsy_parse_time((const char *)sqlite3_column_text(q, 0), &v) ==
		    FSY_OK)
			o->oldest_pending_ms = v;
		sqlite3_reset(q);
	}
	if ((rc = meta_int(st, "pull_cursor", 0, &o->cursor)) != FSY_OK)
		return rc;
	if ((rc = meta_int(st, "last_sync_ms", 0, &o->last_sync_ms)) != FSY_OK)
		return rc;
	if ((rc = fsy__store_int(st, "SELECT count(*) FROM rejection", 0,
	    &o->rejections)) != FSY_OK)
		return rc;
	return fsy__store_int(st, "SELECT count(*) FROM customer", 0,
	    &o->customers);
}

static int
encode(fsy_agent_session_t *s, const fsy_msg_t *m, fsy_buf_t *out)
{
	int rc = fsy_msg_encode(m, s->limits.compress, out);
	if (rc == FSY_OK) {
		s->stats.bytes_out += out->len;
		s->stats.round_trips++;
	}
	return rc;
}

int
fsy_agent_session_start(fsy_agent_session_t *s, fsy_buf_t *out)
{
	fsy_replica_status_t rs;
	fsy_msg_t m;
	int64_t bad = 0;
	int rc;

	memset(&s->stats, 0, sizeof(s->stats));
	s->deferred = NULL; /* a round left with its frame unapplied */
	s->err = 0;
	s->errmsg[0] = '\0';
	s->nsnap_acks = s->nrevoke_acks = 0;
	if ((rc = fsy_replica_status(s->st, &rs)) != FSY_OK)
		return fail(s, rc, fsy_store_errmsg(s->st));

	memset(&m, 0, sizeof(m));
	m.type = FSY_MSG_HELLO;
	m.u.hello.proto = FSY_PROTO_VERSION;
	m.u.hello.schema = FSY_SCHEMA_VERSION;
	snprintf(m.u.hello.device_id, 37, "%s", fsy_store_site(s->st));
	m.u.hello.software = "fieldsyncd/" FSY_VERSION_STRING;
	m.u.hello.log_seq = rs.log_seq;
	m.u.hello.pending = rs.pending;
	m.u.hello.oldest_pending_ms = rs.oldest_pending_ms;

	/* The chain checkpoint: our own log recomputed up to what the hub has
	 * merged; the hub compares it with what it received. Verified once
	 * per session object, then extended. */
	if (!s->verified || s->verified_seq != rs.acked_seq) {
		rc = fsy_replica_verify_chain(s->st, rs.acked_seq, &bad,
		    s->verified_hash);
		if (rc == FSY_ECHAIN) {
			s->chain_ok = 0;
			s->chain_bad_seq = bad;
		} else if (rc) {
			return fail(s, rc, fsy_store_errmsg(s->st));
		}
		s->verified = 1;
		s->verified_seq = rs.acked_seq;
	}
	m.u.hello.chain_seq = rs.acked_seq;
	memcpy(m.u.hello.chain_hash, s->verified_hash, 32);
	if (s->send_scope_hash) {
		if ((rc = fsy_replica_hash(s->st, m.u.hello.scope_hash)) != FSY_OK)
			return fail(s, rc, fsy_store_errmsg(s->st));
		m.u.hello.has_scope_hash = 1;
	}
	if ((rc = encode(s, &m, out)) != FSY_OK)
		return fail(s, rc, "cannot encode HELLO");
	set_state(s, FSY_AS_HELLO);
	return FSY_OK;
}

/* Builds the next PUSH from acked+1, or returns FSY_ENOTFOUND when nothing
 * is pending. A batch never ends inside a run of one row's columns. */
static int
make_push(fsy_agent_session_t *s, int64_t from, fsy_buf_t *out)
{
	fsy_store_t *st = s->st;
	fsy__arena_t a = {0};
	sqlite3_stmt *q;
	fsy_msg_t m;
	fsy_change_t *ch;
	uint32_t n = 0, cap = s->limits.max_changes + 256;
	size_t bytes = 0;
	int rc;

	memset(&m, 0, sizeof(m));
	m.type = FSY_MSG_PUSH;
	if ((ch = fsy__arena_alloc(&a, (size_t)cap * sizeof(*ch))) == NULL)
		return FSY_ENOMEM;
	rc = fsy_store_stmt(st, "SELECT seq, tbl, col, row_id, customer_id, hlc, "
	    "val, hash FROM change_log WHERE seq > ? ORDER BY seq", &q);
	if (rc)
		goto out;
	sqlite3_bind_int64(q, 1, from);
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		fsy_change_t *c = &ch[n];
		int full = n >= s->limits.max_changes || bytes >= s->limits.max_bytes;
		if (n == cap)
			break;
		if (full && !(n > 0 && ch[n - 1].tbl == sqlite3_column_int(q, 1) &&
		    strcmp(ch[n - 1].row_id,
		    (const char *)sqlite3_column_text(q, 3)) == 0))
			break;
		memset(c, 0, sizeof(*c));
		c->seq = sqlite3_column_int64(q, 0);
		c->tbl = (uint8_t)sqlite3_column_int(q, 1);
		c->col = (uint8_t)sqlite3_column_int(q, 2);
		snprintf(c->row_id, 37, "%s", sqlite3_column_text(q, 3));
		snprintf(c->customer_id, 37, "%s", sqlite3_column_text(q, 4));
		c->hlc = (uint64_t)sqlite3_column_int64(q, 5);
		fsy_val_from_column(q, 6, &c->val);
		if ((rc = fsy__val_copy(&a, &c->val)) != FSY_OK)
			break;
		if (sqlite3_column_bytes(q, 7) == 32)
			memcpy(m.u.push.head, sqlite3_column_blob(q, 7), 32);
		bytes += 48 + (c->val.type == FSY_VAL_TEXT ? c->val.n : 0);
		n++;
	}
	if (rc == SQLITE_ROW || rc == SQLITE_DONE)
		rc = FSY_OK;
	else if (rc > 0)
		rc = fsy_store_err(st, rc);
	sqlite3_reset(q);
	if (rc)
		goto out;
	if (n == 0) {
		rc = FSY_ENOTFOUND;
		goto out;
	}
	if ((rc = meta_int(st, "pull_cursor", 0, &m.u.push.cursor)) != FSY_OK)
		goto out;
	m.u.push.changes = ch;
	m.u.push.nchanges = n;
	s->sent_upto = ch[n - 1].seq;
	if ((rc = encode(s, &m, out)) == FSY_OK) {
		s->stats.pushed += n;
		set_state(s, FSY_AS_PUSH);
	}
out:
	fsy__arena_free(&a);
	return rc;
}

static int
add_ack(char (**list)[37], uint32_t *n, uint32_t *cap, const char *id)
{
	if (*n == *cap) {
		uint32_t nc = *cap ? *cap * 2 : 64;
		void *p = realloc(*list, (size_t)nc * 37);
		if (p == NULL)
			return FSY_ENOMEM;
		*list = p;
		*cap = nc;
	}
	snprintf((*list)[(*n)++], 37, "%s", id);
	return FSY_OK;
}

static int
make_pull(fsy_agent_session_t *s, fsy_buf_t *out)
{
	fsy_msg_t m;
	int rc;

	memset(&m, 0, sizeof(m));
	m.type = FSY_MSG_PULL;
	if ((rc = meta_int(s->st, "pull_cursor", 0, &m.u.pull.cursor)) != FSY_OK)
		return rc;
	m.u.pull.max_changes = s->limits.max_changes;
	m.u.pull.max_bytes = s->limits.max_bytes;
	m.u.pull.snap_acks = s->snap_acks;
	m.u.pull.nsnap_acks = s->nsnap_acks;
	m.u.pull.revoke_acks = s->revoke_acks;
	m.u.pull.nrevoke_acks = s->nrevoke_acks;
	rc = encode(s, &m, out);
	if (rc == FSY_OK) {
		/* Sent: the hub records them before it answers. Were the
		 * answer lost, the hub sends the same snapshot or revoke
		 * again, and applying it again changes nothing. */
		s->nsnap_acks = s->nrevoke_acks = 0;
		set_state(s, FSY_AS_PULL);
	}
	return rc;
}

/* 1 when the column has a local change the hub has not merged yet. */
static int
pending_col(fsy_store_t *st, int64_t acked, const fsy_change_t *c)
{
	sqlite3_stmt *q;
	int rc = fsy_store_stmt(st, "SELECT 1 FROM change_log WHERE tbl = ? AND "
	    "row_id = ? AND col = ? AND seq > ? LIMIT 1", &q);

	if (rc)
		return rc;
	sqlite3_bind_int(q, 1, c->tbl);
	sqlite3_bind_text(q, 2, c->row_id, -1, SQLITE_STATIC);
	sqlite3_bind_int(q, 3, c->col);
	sqlite3_bind_int64(q, 4, acked);
	rc = sqlite3_step(q);
	rc = rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : fsy_store_err(st, rc);
	sqlite3_reset(q);
	return rc;
}

/* Applies changes from the hub with capture off, a row's consecutive
 * changes in one statement (a snapshot sends every column of a row
 * together). A column with a pending local change is left alone: that
 * change will be merged at the hub and the ACK's corrections settle it. */
static int
apply_changes(fsy_agent_session_t *s, const fsy_change_t *ch, uint32_t n,
    int64_t acked)
{
	fsy_store_t *st = s->st;
	int64_t last = 0;
	int rc = FSY_OK, any_pending;
	int cols[64];
	const fsy_val_t *vals[64];

	/* Most frames (a first fill, an idle laptop) meet no pending change
	 * at all: one look at the log spares a lookup per value. */
	if ((rc = last_seq(st, &last)) != FSY_OK)
		return rc;
	any_pending = last > acked;
	for (uint32_t i = 0; i < n && rc == FSY_OK;) {
		/* One run: consecutive changes to one row, each column once. */
		uint64_t seen = 0;
		int k = 0;
		uint32_t j = i;

		for (; j < n && ch[j].tbl == ch[i].tbl &&
		    strcmp(ch[j].row_id, ch[i].row_id) == 0; j++) {
			if (!fsy_col_valid(ch[j].tbl, ch[j].col) || ch[j].col >= 64)
				return FSY_EMALFORMED;
			if (seen & (UINT64_C(1) << ch[j].col))
				break;
			seen |= UINT64_C(1) << ch[j].col;
			if ((rc = any_pending ? pending_col(st, acked, &ch[j])
			    : 0) < 0)
				return rc;
			if (rc == 1) {
				s->stats.skipped++;
				continue;
			}
			if (ch[j].hlc)
				fsy_hlc_recv(&st->hlc, ch[j].hlc);
			cols[k] = ch[j].col;
			vals[k++] = &ch[j].val;
		}
		rc = k ? fsy__row_write(st, ch[i].tbl, ch[i].row_id,
		    ch[i].customer_id, k, cols, vals, -1) : FSY_OK;
		if (rc == FSY_EINVAL)
			rc = FSY_EMALFORMED;
		s->stats.pulled += (uint64_t)k;
		i = j;
	}
	return rc;
}

static int
save_clock(fsy_store_t *st)
{
	return fsy_store_meta_set_int(st, "hlc", (int64_t)st->hlc.last);
}

static int
on_ack(fsy_agent_session_t *s, const fsy_msg_ack_t *a, fsy_buf_t *out,
    int *done)
{
	fsy_store_t *st = s->st;
	int64_t prev_acked, log_seq;
	char at[21];
	int rc;

	if ((rc = meta_int(st, "push_acked", 0, &prev_acked)) != FSY_OK)
		return fail(s, rc, fsy_store_errmsg(st));
	if ((rc = last_seq(st, &log_seq)) != FSY_OK)
		return fail(s, rc, fsy_store_errmsg(st));
	if (a->acked > log_seq)
		return fail(s, FSY_EPROTO, "hub acknowledged changes never made");

	if ((rc = fsy_store_begin(st)) != FSY_OK)
		return fail(s, rc, fsy_store_errmsg(st));
	fsy_store_set_capture(st, 0);
	fsy_iso_time(fsy_now_ms(), at);
	/* Rejections: kept locally with their value, then the hub's value
	 * put back (or the row removed when head office does not have it). */
	for (uint32_t i = 0; i < a->nrejects && rc == FSY_OK; i++) {
		sqlite3_stmt *q;
		int tbl, col, corrected = 0;
		char row[37];
		rc = fsy_store_stmt(st, "SELECT tbl, col, row_id, val FROM "
		    "change_log WHERE seq = ?", &q);
		if (rc)
			break;
		sqlite3_bind_int64(q, 1, a->rejects[i].seq);
		if (sqlite3_step(q) != SQLITE_ROW) {
			sqlite3_reset(q);
			rc = FSY_EPROTO;
			break;
		}
		tbl = sqlite3_column_int(q, 0);
		col = sqlite3_column_int(q, 1);
		snprintf(row, sizeof(row), "%s", sqlite3_column_text(q, 2));
		if (!fsy_col_valid(tbl, col)) {
			sqlite3_reset(q);
			rc = FSY_ECORRUPT;
			break;
		}
		sqlite3_stmt *ins;
		rc = fsy_store_stmt(st, "INSERT OR REPLACE INTO rejection(seq, tbl, "
		    "row_id, col, val, code, reason, at) VALUES (?,?,?,?,?,?,?,?)",
		    &ins);
		if (rc) {
			sqlite3_reset(q);
			break;
		}
		sqlite3_bind_int64(ins, 1, a->rejects[i].seq);
		sqlite3_bind_text(ins, 2, fsy_tables[tbl].name, -1, SQLITE_STATIC);
		sqlite3_bind_text(ins, 3, row, -1, SQLITE_STATIC);
		sqlite3_bind_text(ins, 4, fsy_tables[tbl].cols[col].name, -1,
		    SQLITE_STATIC);
		sqlite3_bind_value(ins, 5, sqlite3_column_value(q, 3));
		sqlite3_bind_int(ins, 6, a->rejects[i].code);
		sqlite3_bind_text(ins, 7, a->rejects[i].reason, -1, SQLITE_STATIC);
		sqlite3_bind_text(ins, 8, at, -1, SQLITE_STATIC);
		rc = fsy_store_err(st, sqlite3_step(ins));
		sqlite3_reset(ins);
		sqlite3_reset(q);
		if (rc)
			break;
		s->stats.rejected++;
		for (uint32_t k = 0; k < a->ncorrections; k++)
			if (a->corrections[k].tbl == tbl &&
			    a->corrections[k].col == col &&
			    strcmp(a->corrections[k].row_id, row) == 0)
				corrected = 1;
		if (!corrected) {
			char sql[96];
			snprintf(sql, sizeof(sql), "DELETE FROM %s WHERE id = ?",
			    fsy_tables[tbl].name);
			if ((rc = fsy_store_stmt(st, sql, &q)) != FSY_OK)
				break;
			sqlite3_bind_text(q, 1, row, -1, SQLITE_STATIC);
			rc = fsy_store_err(st, sqlite3_step(q));
			sqlite3_reset(q);
		}
	}
	if (rc == FSY_OK) {
		rc = apply_changes(s, a->corrections, a->ncorrections, a->acked);
		s->stats.corrected += a->ncorrections;
	}
	if (rc == FSY_OK && a->acked > prev_acked)
		rc = fsy_store_meta_set_int(st, "push_acked", a->acked);
	if (rc == FSY_OK)
		rc = save_clock(st);
	fsy_store_set_capture(st, 1);
	if (rc == FSY_OK)
		rc = fsy_store_commit(st);
	if (rc) {
		fsy_store_rollback(st);
		return fail(s, rc, fsy_store_errmsg(st));
	}

	/* The hub asked for a resend from its position (a gap): only once
	 * per position, or it would loop. */
	if (a->acked < s->sent_upto && a->acked == s->hub_push_seq &&
	    s->resent_from == a->acked + 1)
		return fail(s, FSY_EGAP, "hub keeps refusing the batch position");
	if (a->acked < s->sent_upto)
		s->resent_from = a->acked + 1;
	s->hub_push_seq = a->acked;
	rc = make_push(s, a->acked, out);
	if (rc == FSY_ENOTFOUND)
		rc = make_pull(s, out);
	if (rc)
		return fail(s, rc, "cannot build the next request");
	*done = 0;
	return FSY_OK;
}

static int
on_revoke(fsy_agent_session_t *s, const fsy_msg_revoke_t *r, fsy_buf_t *out)
{
	fsy_store_t *st = s->st;
	int64_t acked, pend;
	int rc;

	if ((rc = meta_int(st, "push_acked", 0, &acked)) != FSY_OK)
		return fail(s, rc, fsy_store_errmsg(st));
	if ((rc = fsy_store_begin(st)) != FSY_OK)
		return fail(s, rc, fsy_store_errmsg(st));
	fsy_store_set_capture(st, 0);
	for (uint32_t i = 0; i < r->ncustomers && rc == FSY_OK; i++) {
		sqlite3_stmt *q;
		/* Changes not yet delivered keep the customer until the next
		 * round has pushed them; then it is erased. */
		rc = fsy_store_stmt(st, "SELECT count(*) FROM change_log WHERE "
		    "customer_id = ? AND seq > ?", &q);
		if (rc)
			break;
		sqlite3_bind_text(q, 1, r->customers[i], -1, SQLITE_STATIC);
		sqlite3_bind_int64(q, 2, acked);
		pend = sqlite3_step(q) == SQLITE_ROW ? sqlite3_column_int64(q, 0) : 1;
		sqlite3_reset(q);
		if (pend)
			continue;
		if ((rc = fsy__rows_erase_customer(st, r->customers[i])) != FSY_OK)
			break;
		rc = fsy_store_stmt(st, "UPDATE change_log SET val = NULL, "
		    "redacted = 1 WHERE customer_id = ? AND redacted = 0", &q);
		if (rc)
			break;
		sqlite3_bind_text(q, 1, r->customers[i], -1, SQLITE_STATIC);
		rc = fsy_store_err(st, sqlite3_step(q));
		sqlite3_reset(q);
		if (rc == FSY_OK)
			rc = add_ack(&s->revoke_acks, &s->nrevoke_acks,
			    &s->caprevoke, r->customers[i]);
		s->stats.revoked_customers++;
	}
	fsy_store_set_capture(st, 1);
	if (rc == FSY_OK)
		rc = fsy_store_commit(st);
	if (rc) {
		fsy_store_rollback(st);
		s->nrevoke_acks = 0;
		return fail(s, rc, fsy_store_errmsg(st));
	}
	if (s->nrevoke_acks == 0) {
		/* Everything revoked still has pending changes: push them in
		 * the next round first. */
		set_state(s, FSY_AS_DONE);
		return 1;
	}
	if ((rc = make_pull(s, out)) != FSY_OK)
		return fail(s, rc, "cannot build PULL");
	return FSY_OK;
}

/* Applies a SNAPSHOT or BATCH in one transaction: its changes, the
 * customers to acknowledge in the next PULL, the cursor a BATCH carries
 * (cursor NULL for a SNAPSHOT), and at the end of the round its time. */
static int
apply_frame(fsy_agent_session_t *s, const fsy_change_t *ch, uint32_t n,
    char (*cust)[37], uint32_t ncust, const int64_t *cursor, int more)
{
	fsy_store_t *st = s->st;
	int64_t acked;
	uint32_t nacks = s->nsnap_acks;
	int rc;

	if ((rc = meta_int(st, "push_acked", 0, &acked)) != FSY_OK)
		return fail(s, rc, fsy_store_errmsg(st));
	if ((rc = fsy_store_begin(st)) != FSY_OK)
		return fail(s, rc, fsy_store_errmsg(st));
	fsy_store_set_capture(st, 0);
	rc = apply_changes(s, ch, n, acked);
	for (uint32_t i = 0; i < ncust && rc == FSY_OK; i++)
		rc = add_ack(&s->snap_acks, &s->nsnap_acks, &s->capsnap, cust[i]);
	s->stats.snap_customers += ncust;
	if (rc == FSY_OK && cursor)
		rc = fsy_store_meta_set_int(st, "pull_cursor", *cursor);
	if (rc == FSY_OK && !more)
		rc = fsy_store_meta_set_int(st, "last_sync_ms", fsy_now_ms());
	if (rc == FSY_OK)
		rc = save_clock(st);
	fsy_store_set_capture(st, 1);
	if (rc == FSY_OK)
		rc = fsy_store_commit(st);
	if (rc) {
		fsy_store_rollback(st);
		s->nsnap_acks = nacks; /* only what was committed */
		return fail(s, rc, rc == FSY_EMALFORMED ? "bad change from hub"
		                                        : fsy_store_errmsg(st));
	}
	return FSY_OK;
}

static int
on_changes(fsy_agent_session_t *s, const fsy_change_t *ch, uint32_t n,
    char (*cust)[37], uint32_t ncust, const int64_t *cursor, int more,
    fsy_buf_t *out, int *done)
{
	int rc;

	if ((rc = apply_frame(s, ch, n, cust, ncust, cursor, more)) != FSY_OK)
		return rc;
	if (!more) {
		set_state(s, FSY_AS_DONE);
		*done = 1;
		out->len = 0;
		return FSY_OK;
	}
	if ((rc = make_pull(s, out)) != FSY_OK)
		return fail(s, rc, "cannot build PULL");
	return FSY_OK;
}

int
fsy_agent_session_deferred(const fsy_agent_session_t *s)
{
	return s->deferred != NULL;
}

int
fsy_agent_session_apply(fsy_agent_session_t *s, const fsy_msg_t *r)
{
	const fsy_msg_snapshot_t *sn;

	if (s->deferred == NULL || s->deferred != r)
		return fail(s, FSY_ESTATE, "no SNAPSHOT waits to be applied, or "
		    "another one");
	s->deferred = NULL;
	if (s->state == FSY_AS_FAILED)
		return s->err;
	sn = &r->u.snapshot;
	return apply_frame(s, sn->changes, sn->nchanges, sn->customers,
	    sn->ncustomers, NULL, 1);
}

/* Binds v, or NULL for "" (how the roster sends SQL NULL). */
static void
bind_opt(sqlite3_stmt *q, int i, const char *v)
{
	if (v != NULL && v[0] != '\0')
		sqlite3_bind_text(q, i, v, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(q, i);
}

/* Runs a cached statement with up to 9 text parameters (NULL for ""). */
static int
roster_exec(fsy_store_t *st, const char *sql, const char *const *v, int n)
{
	sqlite3_stmt *q;
	int rc = fsy_store_stmt(st, sql, &q);

	if (rc)
		return rc;
	for (int i = 0; i < n; i++)
		bind_opt(q, i + 1, v[i]);
	rc = fsy_store_err(st, sqlite3_step(q));
	sqlite3_reset(q);
	return rc;
}

/*
 * Replaces the laptop's branch, team and agent rows with a WELCOME's
 * roster, and clears meta roster_error, in one transaction (these tables
 * are not replicated: plain writes, nothing captured). An empty roster —
 * from a hub that sends none — leaves them as they are. Returns FSY_OK;
 * FSY_EPROTO when the
 * replica cannot take the roster (it lacks the device's own agent, an id
 * or code is empty, an entry comes twice, an agent's team was not sent, a
 * value the schema refuses), with the entry and the reason in why and
 * nothing changed; or a store error (nothing changed either).
 */
static int
store_roster(fsy_store_t *st, const fsy_msg_welcome_t *w, char *why,
    size_t whylen)
{
	const char *what = "", *code = "";
	uint32_t i;
	int rc = FSY_OK, own = 0;

	why[0] = '\0';
	if (w->nagents == 0)
		goto out;
	for (i = 0; i < w->nagents; i++) {
		const fsy_roster_agent_t *g = &w->agents[i];
		if (g->id[0] == '\0' || g->code[0] == '\0') {
			snprintf(why, whylen, "roster: agent %u has no %s", i,
			    g->id[0] == '\0' ? "id" : "code");
			rc = FSY_EPROTO;
			goto out;
		}
		own |= strcmp(g->id, w->agent_id) == 0;
	}
	for (i = 0; i < w->nteams; i++) {
		const fsy_roster_team_t *t = &w->teams[i];
		if (t->id[0] == '\0' || t->code[0] == '\0' ||
		    t->branch_id[0] == '\0' || t->branch_code[0] == '\0') {
			snprintf(why, whylen, "roster: team %u has no %s", i,
			    t->id[0] == '\0' ? "id" : t->code[0] == '\0' ? "code"
			    : t->branch_id[0] == '\0' ? "branch id"
			    : "branch code");
			rc = FSY_EPROTO;
			goto out;
		}
	}
	if (!own) {
		snprintf(why, whylen, "roster: the device's agent %s is not in it",
		    w->agent_id);
		rc = FSY_EPROTO;
		goto out;
	}

	if ((rc = fsy_store_begin(st)) != FSY_OK)
		goto out;
	/* agents refer to teams, teams to branches */
	rc = fsy_store_exec(st, "DELETE FROM agent; DELETE FROM team; "
	    "DELETE FROM branch");
	for (i = 0; i < w->nteams && rc == FSY_OK; i++) {
		const fsy_roster_team_t *t = &w->teams[i];
		const char *const bv[] = {t->branch_id, t->branch_code,
		    t->branch_name};
		const char *const tv[] = {t->id, t->branch_id, t->code, t->name,
		    t->lead_agent_id};
		what = "team";
		code = t->code;
		/* teams of one branch each carry it */
		rc = roster_exec(st, "INSERT INTO branch(id, code, name) "
		    "VALUES (?1, ?2, ifnull(?3, '')) ON CONFLICT(id) DO NOTHING",
		    bv, 3);
		if (rc == FSY_OK)
			rc = roster_exec(st, "INSERT INTO team(id, branch_id, code, "
			    "name, lead_agent_id) VALUES (?1, ?2, ?3, ifnull(?4, ''), "
			    "?5)", tv, 5);
	}
	for (i = 0; i < w->nagents && rc == FSY_OK; i++) {
		const fsy_roster_agent_t *g = &w->agents[i];
		const char *const av[] = {g->id, g->code, g->name, g->team_id,
		    g->role, g->channel, g->status, g->hired_on, g->left_on};
		what = "agent";
		code = g->code;
		rc = roster_exec(st, "INSERT INTO agent(id, code, name, team_id, "
		    "role, channel, status, hired_on, left_on) VALUES (?1, ?2, "
		    "ifnull(?3, ''), ?4, ?5, ?6, ?7, ?8, ?9)", av, 9);
	}
	if (rc == FSY_OK)
		rc = fsy_store_meta_set_text(st, "roster_error", "");
	if (rc == FSY_OK)
		rc = fsy_store_commit(st);
	if (rc) {
		if (rc == FSY_ECONSTRAINT) {
			snprintf(why, whylen, "roster: %s %s: %s", what, code,
			    fsy_store_errmsg(st));
			rc = FSY_EPROTO;
		}
		fsy_store_rollback(st);
	}
out:
	return rc;
}

int
fsy_agent_session_step(fsy_agent_session_t *s, const fsy_msg_t *r,
    fsy_buf_t *out, int *done)
{
	fsy_store_t *st = s->st;
	int64_t acked;
	int rc;

	*done = 0;
	if (out)
		out->len = 0;
	if (s->deferred != NULL)
		return fail(s, FSY_ESTATE, "the last SNAPSHOT was not applied");
	if (s->state == FSY_AS_FAILED && s->err != 0)
		return s->err; /* a deferred SNAPSHOT failed: say why, again */
	if (r->type == FSY_MSG_ERROR) {
		char msg[300];
		snprintf(msg, sizeof(msg), "hub: %s (%s)", r->u.error.message,
		    fsy_errname(r->u.error.code));
		return fail(s, r->u.error.code < 0 ? r->u.error.code : FSY_EPROTO,
		    msg);
	}
	switch (s->state) {
	case FSY_AS_HELLO:
		if (r->type != FSY_MSG_CHALLENGE)
			break;
		{
			uint8_t payload[160], sig[64];
			size_t n;
			fsy_msg_t m;
			snprintf(s->hub_id, sizeof(s->hub_id), "%s",
			    r->u.challenge.hub_id);
			n = fsy_auth_payload(r->u.challenge.nonce, s->hub_id,
			    fsy_store_site(st), payload);
			crypto_sign_detached(sig, NULL, payload, n, s->sk);
			memset(&m, 0, sizeof(m));
			m.type = FSY_MSG_AUTH;
			snprintf(m.u.auth.device_id, 37, "%s", fsy_store_site(st));
			memcpy(m.u.auth.sig, sig, 64);
			if ((rc = encode(s, &m, out)) != FSY_OK)
				return fail(s, rc, "cannot encode AUTH");
			set_state(s, FSY_AS_AUTH);
			return FSY_OK;
		}
	case FSY_AS_AUTH:
		if (r->type != FSY_MSG_WELCOME)
			break;
		snprintf(s->agent_id, sizeof(s->agent_id), "%s",
		    r->u.welcome.agent_id);
		s->lead = r->u.welcome.role && strcmp(r->u.welcome.role, "lead") == 0;
		s->hub_push_seq = r->u.welcome.push_seq;
		s->resent_from = 0;
		/* Whose laptop this is, for the commands (visits are written
		 * in the agent's name; a lead's laptop is read-only). */
		if ((rc = fsy_store_meta_set_text(st, "agent_id",
		    s->agent_id)) != FSY_OK ||
		    (rc = fsy_store_meta_set_text(st, "agent_role",
		    s->lead ? "lead" : "agent")) != FSY_OK)
			return fail(s, rc, fsy_store_errmsg(st));
		/* Who is who, for names on the laptop. A roster the replica
		 * cannot take leaves the old one and the round goes on (names
		 * never hold back the customers' data); why is kept in meta
		 * roster_error, "" once a roster is stored. */
		{
			char why[256];
			rc = store_roster(st, &r->u.welcome, why, sizeof(why));
			if (rc == FSY_EPROTO)
				rc = fsy_store_meta_set_text(st, "roster_error", why);
			if (rc)
				return fail(s, rc, fsy_store_errmsg(st));
		}
		if ((rc = meta_int(st, "push_acked", 0, &acked)) != FSY_OK)
			return fail(s, rc, fsy_store_errmsg(st));
		/* Resend what the hub may not have (it may have lost data), and
		 * what we are not sure it answered (its ACK may have been
		 * lost): a resend of merged entries brings back their
		 * rejections and corrections. */
		rc = make_push(s, acked < s->hub_push_seq ? acked : s->hub_push_seq,
		    out);
		if (rc == FSY_ENOTFOUND)
			rc = make_pull(s, out);
		if (rc)
			return fail(s, rc, "cannot build the first request");
		return FSY_OK;
	case FSY_AS_PUSH:
		if (r->type != FSY_MSG_ACK)
			break;
		return on_ack(s, &r->u.ack, out, done);
	case FSY_AS_PULL:
		if (r->type == FSY_MSG_REVOKE) {
			rc = on_revoke(s, &r->u.revoke, out);
			if (rc == 1) {
				*done = 1;
				out->len = 0;
				return FSY_OK;
			}
			return rc;
		}
		if (r->type == FSY_MSG_SNAPSHOT && s->overlap) {
			/* The next PULL first, with the customers of the frames
			 * applied so far; the caller sends it and then applies
			 * this one (fsy_agent_session_apply) while the hub makes
			 * the next. These customers are acknowledged a PULL
			 * later, once committed. */
			if ((rc = make_pull(s, out)) != FSY_OK)
				return fail(s, rc, "cannot build PULL");
			s->deferred = r;
			return FSY_OK;
		}
		if (r->type == FSY_MSG_SNAPSHOT)
			return on_changes(s, r->u.snapshot.changes,
			    r->u.snapshot.nchanges, r->u.snapshot.customers,
			    r->u.snapshot.ncustomers, NULL, 1, out, done);
		if (r->type == FSY_MSG_BATCH)
			return on_changes(s, r->u.batch.changes,
			    r->u.batch.nchanges, NULL, 0, &r->u.batch.cursor,
			    r->u.batch.more, out, done);
		break;
	default:
		return fail(s, FSY_ESTATE, "no request outstanding");
	}
	{
		char msg[96];
		snprintf(msg, sizeof(msg), "unexpected %s in state %s",
		    fsy_msg_type_name(r->type), state_names[s->state]);
		return fail(s, FSY_EPROTO, msg);
	}
}
