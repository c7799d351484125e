/* owner.c — the service-owner rules and their hub operations (owner.h). */
#include <assert.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "owner.h"
#include "util.h"

/* ---- enums --------------------------------------------------------------- */

static const char *const status_names[] = {"employed", "departed",
    "disqualified"};
static const char *const role_names[] = {"agent", "lead", "service",
    "renewal", "admin"};
static const char *const channel_names[] = {"agency", "bancassurance",
    "service", "renewal"};

static int
parse_name(const char *s, const char *const *names, int n)
{
	if (s == NULL)
		return -1;
	for (int i = 0; i < n; i++)
		if (strcmp(s, names[i]) == 0)
			return i;
	return -1;
}

int
fsy_agent_status_parse(const char *s)
{
	return parse_name(s, status_names, 3);
}

int
fsy_agent_role_parse(const char *s)
{
	return parse_name(s, role_names, 5);
}

int
fsy_channel_parse(const char *s)
{
	return parse_name(s, channel_names, FSY_CHANNEL_COUNT);
}

const char *
fsy_channel_name(int channel)
{
	if (channel < 0 || channel >= FSY_CHANNEL_COUNT)
		return "?";
	return channel_names[channel];
}

/* ---- the pure decision --------------------------------------------------- */

/* Formats fen as yuan with two decimals. */
static void
money(char *buf, size_t n, int64_t fen)
{
	const char *sign = fen < 0 ? "-" : "";
	uint64_t v = fen < 0 ? (uint64_t)0 - (uint64_t)fen : (uint64_t)fen;

	snprintf(buf, n, "%s%llu.%02llu", sign, (unsigned long long)(v / 100),
	    (unsigned long long)(v % 100));
}

static int
is_banned(const fsy_owner_input_t *in, int a)
{
	for (int i = 0; i < in->nbanned; i++)
		if (in->banned[i] == a)
			return 1;
	return 0;
}

static int
eligible(const fsy_owner_input_t *in, int a)
{
	return a >= 0 && in->agents[a].status == FSY_AGENT_EMPLOYED &&
	    !is_banned(in, a);
}

static int
is_staff(const fsy_owner_input_t *in, int a)
{
	return eligible(in, a) &&
	    (in->agents[a].role == FSY_AGENT_ROLE_SERVICE ||
	        in->agents[a].role == FSY_AGENT_ROLE_RENEWAL);
}

/* Latest contact of agent a, INT64_MIN when none. */
static int64_t
last_contact(const fsy_owner_input_t *in, int a)
{
	int64_t best = INT64_MIN;

	for (int i = 0; i < in->ncontacts; i++)
		if (in->contacts[i].agent == a && in->contacts[i].at_ms > best)
			best = in->contacts[i].at_ms;
	return best;
}

/* 1 when staff member a is a better rule-3 pick than b (-1: none yet). */
static int
staff_better(const fsy_owner_agent_t *ag, int a, int b)
{
	if (b < 0)
		return 1;
	if (ag[a].workload != ag[b].workload)
		return ag[a].workload < ag[b].workload;
	return strcmp(ag[a].id, ag[b].id) < 0;
}

fsy_svc_class_t
fsy_owner_classify(const fsy_owner_agent_t *agents,
    const fsy_owner_policy_t *policies, int npolicies)
{
	int emp = 0, left = 0;

	for (int i = 0; i < npolicies; i++) {
		const fsy_owner_policy_t *p = &policies[i];
		if (!p->in_force)
			continue;
		if (p->agent >= 0 &&
		    agents[p->agent].status == FSY_AGENT_EMPLOYED)
			emp++;
		else
			left++;
	}
	if (emp + left == 0)
		return FSY_SVC_NONE;
	if (left == 0)
		return FSY_SVC_REGULAR;
	return emp == 0 ? FSY_SVC_PURE : FSY_SVC_NONPURE;
}

/* Rule 3's target channel: that of the soliciting agent of the highest
 * counting policy; on a tie the channel with the larger total, then the
 * first in enum order. -1 when no counting policy has a known agent. */
static int
target_channel(const fsy_owner_input_t *in)
{
	int64_t total[FSY_CHANNEL_COUNT] = {0};
	int64_t top = INT64_MIN;
	unsigned tied = 0;
	int ch = -1;

	for (int i = 0; i < in->npolicies; i++) {
		const fsy_owner_policy_t *p = &in->policies[i];
		int c;
		if (!p->in_force || p->agent < 0)
			continue;
		c = (int)in->agents[p->agent].channel;
		if (c < 0 || c >= FSY_CHANNEL_COUNT)
			continue;
		total[c] += p->annual_premium_fen;
		if (p->annual_premium_fen > top) {
			top = p->annual_premium_fen;
			tied = 1u << c;
		} else if (p->annual_premium_fen == top) {
			tied |= 1u << c;
		}
	}
	for (int c = 0; c < FSY_CHANNEL_COUNT; c++)
		if ((tied & (1u << c)) && (ch < 0 || total[c] > total[ch]))
			ch = c;
	return ch;
}

/* The team (level 0) or branch (level 1) of an agent. */
static const char *
unit_of(const fsy_owner_agent_t *a, int level)
{
	return level == 0 ? a->team_id : a->branch_id;
}

/* Rule 5: the best eligible non-admin agent (other than the disqualified
 * owner) of his team, else of his branch; *where says which. */
static int
top_performer(const fsy_owner_input_t *in, int cur, const char **where)
{
	const fsy_owner_agent_t *ag = in->agents;

	for (int level = 0; level < 2; level++) {
		const char *key = unit_of(&ag[cur], level);
		int best = -1;
		if (key == NULL)
			continue;
		for (int i = 0; i < in->nagents; i++) {
			const char *k = unit_of(&ag[i], level);
			int64_t p = ag[i].performance;
			if (i == cur || k == NULL || strcmp(k, key) != 0 ||
			    ag[i].role == FSY_AGENT_ROLE_ADMIN ||
			    !eligible(in, i))
				continue;
			if (best < 0 || p > ag[best].performance ||
			    (p == ag[best].performance &&
			        staff_better(ag, i, best)))
				best = i;
		}
		if (best >= 0) {
			*where = level == 0 ? "team" : "branch";
			return best;
		}
	}
	return -1;
}

/*
 * Rules 1-3 (and the no-policy case). keep is the current owner when still
 * eligible, else -1. Sets out->basis, out->channel, out->need_contacts and
 * writes the reason to why. Returns the owner picked, -1 for none.
 */
static int
by_rules(const fsy_owner_input_t *in, int keep, fsy_owner_decision_t *out,
    char *why, size_t whylen)
{
	const fsy_owner_agent_t *ag = in->agents;
	int64_t top = INT64_MIN;
	int counting = 0, ntied = 0, keep_tied = 0, pick = -1;
	char yuan[32];

	for (int i = 0; i < in->npolicies; i++) {
		const fsy_owner_policy_t *p = &in->policies[i];
		if (!p->in_force)
			continue;
		counting = 1;
		if (eligible(in, p->agent) && p->annual_premium_fen > top)
			top = p->annual_premium_fen;
	}

	if (top != INT64_MIN) {
		/* Distinct eligible agents whose best policy is the top one. */
		for (int i = 0; i < in->npolicies; i++) {
			const fsy_owner_policy_t *p = &in->policies[i];
			int dup = 0;
			if (!p->in_force || p->annual_premium_fen != top ||
			    !eligible(in, p->agent))
				continue;
			for (int j = 0; j < i && !dup; j++)
				dup = in->policies[j].in_force &&
				    in->policies[j].agent == p->agent &&
				    in->policies[j].annual_premium_fen == top;
			if (dup)
				continue;
			ntied++;
			if (p->agent == keep)
				keep_tied = 1;
			if (pick < 0)
				pick = p->agent;
		}
		money(yuan, sizeof(yuan), top);
		if (ntied == 1) {
			out->basis = FSY_OWNER_RULE_PREMIUM;
			snprintf(why, whylen, "rule 1: soliciting agent of the "
			    "highest in-force policy (%s a year)", yuan);
			return pick;
		}
		out->basis = FSY_OWNER_RULE_CONTACT;
		if (keep_tied) {
			snprintf(why, whylen, "rule 2: %d agents tie at %s a "
			    "year; the owner is one of them", ntied, yuan);
			return keep;
		}
		if (!in->have_contacts) {
			out->need_contacts = 1;
			return -1;
		}
		pick = -1;
		int64_t pick_at = INT64_MIN;
		for (int i = 0; i < in->npolicies; i++) {
			const fsy_owner_policy_t *p = &in->policies[i];
			int64_t at;
			if (!p->in_force || p->annual_premium_fen != top ||
			    !eligible(in, p->agent))
				continue;
			at = last_contact(in, p->agent);
			if (pick < 0 || at > pick_at ||
			    (at == pick_at && strcmp(ag[p->agent].id,
			        ag[pick].id) < 0)) {
				pick = p->agent;
				pick_at = at;
			}
		}
		snprintf(why, whylen, "rule 2: %d agents tie at %s a year; %s",
		    ntied, yuan, pick_at == INT64_MIN ?
		        "none contacted the customer, lowest id" :
		        "the one who contacted the customer most recently");
		return pick;
	}

	if (!counting) {
		out->basis = FSY_OWNER_RULE_NONE;
		if (keep >= 0) {
			snprintf(why, whylen, "no in-force policy: owner kept");
			return keep;
		}
		snprintf(why, whylen, "no in-force policy and no eligible "
		    "owner: awaiting manual assignment");
		return -1;
	}

	/* Rule 3: service or renewal staff of the target channel. */
	out->basis = FSY_OWNER_RULE_SERVICE;
	int ch = target_channel(in);
	int in_ch = -1, any = -1;
	out->channel = ch;
	for (int i = 0; i < in->nagents; i++) {
		if (!is_staff(in, i))
			continue;
		if ((int)ag[i].channel == ch && staff_better(ag, i, in_ch))
			in_ch = i;
		if (staff_better(ag, i, any))
			any = i;
	}
	if (keep >= 0 && is_staff(in, keep) &&
	    (in_ch < 0 || (int)ag[keep].channel == ch)) {
		snprintf(why, whylen, "rule 3: service staff of the %s "
		    "channel: owner kept", fsy_channel_name(ag[keep].channel));
		return keep;
	}
	if (in_ch >= 0) {
		snprintf(why, whylen, "rule 3: no employed soliciting agent; "
		    "service staff of the %s channel (workload %lld)",
		    fsy_channel_name(ch), (long long)ag[in_ch].workload);
		return in_ch;
	}
	if (any >= 0) {
		snprintf(why, whylen, "rule 3: no employed soliciting agent "
		    "and no service staff in the %s channel; service staff of "
		    "the %s channel (workload %lld)", fsy_channel_name(ch),
		    fsy_channel_name(ag[any].channel),
		    (long long)ag[any].workload);
		return any;
	}
	snprintf(why, whylen, "rule 3: no employed soliciting agent and no "
	    "service staff: awaiting manual assignment");
	return -1;
}

void
fsy_owner_decide(const fsy_owner_input_t *in, fsy_owner_decision_t *out)
{
	int cur = in->owner;
	int cur_ok, misconduct, pick;
	char why[160];
	const char *where = NULL;

	assert(cur >= -1 && cur < in->nagents);
	memset(out, 0, sizeof(*out));
	out->owner = cur;
	out->channel = -1;
	out->svc = fsy_owner_classify(in->agents, in->policies, in->npolicies);
	cur_ok = eligible(in, cur);
	misconduct = cur >= 0 &&
	    (in->agents[cur].status == FSY_AGENT_DISQUALIFIED ||
	        is_banned(in, cur));

	/* Rules 5 and 6 pin an owner until he is gone. */
	if (cur_ok && (in->owner_rule == FSY_OWNER_RULE_OVERRIDE ||
	                  in->owner_rule == FSY_OWNER_RULE_DISQUALIFIED)) {
		out->rule = out->basis = in->owner_rule;
		snprintf(out->reason, sizeof(out->reason),
		    "pinned by rule %d until the owner leaves", in->owner_rule);
		return;
	}

	if (misconduct) {
		pick = top_performer(in, cur, &where);
		if (pick >= 0) {
			out->owner = pick;
			out->changed = 1;
			out->rule = out->basis = FSY_OWNER_RULE_DISQUALIFIED;
			out->lost_disqualified = 1;
			snprintf(out->reason, sizeof(out->reason),
			    "rule 5: owner disqualified; top performer of the "
			    "%s (performance %lld)", where,
			    (long long)in->agents[pick].performance);
			return;
		}
	}

	why[0] = '\0';
	pick = by_rules(in, cur_ok ? cur : -1, out, why, sizeof(why));
	if (out->need_contacts)
		return;
	out->owner = pick;
	out->changed = pick != cur || (cur < 0 && in->owner_unknown);
	if (out->changed && (cur >= 0 || in->owner_unknown) && !cur_ok) {
		out->rule = FSY_OWNER_RULE_LEFT;
		out->lost_disqualified = misconduct;
		snprintf(out->reason, sizeof(out->reason), "rule 4: %s; %s",
		    misconduct ? "owner disqualified, no top performer in "
		                 "team or branch" :
		    cur < 0    ? "owner not on the roster" :
		                 "owner departed",
		    why);
	} else {
		out->rule = out->basis;
		snprintf(out->reason, sizeof(out->reason), "%s", why);
	}
}

/* ---- hub helpers --------------------------------------------------------- */

/* Prepares sql uncached (the caller finalizes *s; NULL on failure). */
static int
prep(fsy_store_t *st, const char *sql, sqlite3_stmt **s, char *err,
    size_t errlen)
{
	int rc = sqlite3_prepare_v2(fsy_store_db(st), sql, -1, s, NULL);

	return rc == SQLITE_OK ? FSY_OK
	                       : fsy_store_errf(st, rc, err, errlen, "prepare");
}

/* Runs sql, which returns no rows, with the text parameters ?1..?n =
 * arg[0..n) (NULL binds NULL); what names it in an error. */
static int
run(fsy_store_t *st, const char *sql, int n, const char *const *arg,
    const char *what, char *err, size_t errlen)
{
	sqlite3_stmt *s = NULL;
	int rv, rc;

	if ((rv = prep(st, sql, &s, err, errlen)) != FSY_OK)
		return rv;
	for (int i = 0; i < n; i++)
		sqlite3_bind_text(s, i + 1, arg[i], -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(s)) != SQLITE_DONE)
		rv = fsy_store_errf(st, rc, err, errlen, "%s", what);
	sqlite3_finalize(s);
	return rv;
}

/* Begins a transaction, or a savepoint inside the caller's. */
static int
tx_begin(fsy_store_t *st, int *nested, char *err, size_t errlen)
{
	int rv;

	*nested = !sqlite3_get_autocommit(fsy_store_db(st));
	rv = *nested ? fsy_store_exec(st, "SAVEPOINT fsy_owner")
	             : fsy_store_begin(st);
	if (rv)
		rv = fsy_store_errf(st, rv, err, errlen, "begin");
	return rv;
}

/* Commits (rv == OK) or rolls back; returns the final code. */
static int
tx_end(fsy_store_t *st, int nested, int rv, char *err, size_t errlen)
{
	if (rv == FSY_OK) {
		rv = nested ? fsy_store_exec(st, "RELEASE fsy_owner")
		            : fsy_store_commit(st);
		if (rv == FSY_OK)
			return FSY_OK;
		(void)fsy_store_errf(st, rv, err, errlen, "commit");
	}
	if (nested) {
		(void)fsy_store_exec(st, "ROLLBACK TO fsy_owner");
		(void)fsy_store_exec(st, "RELEASE fsy_owner");
	} else {
		fsy_store_rollback(st);
	}
	return rv;
}

static char *
dup_col(sqlite3_stmt *s, int i)
{
	const char *t = (const char *)sqlite3_column_text(s, i);
	return t ? strdup(t) : NULL;
}

static void
now_iso(char out[21])
{
	fsy_iso_time(fsy_now_ms(), out);
}

/* ---- the roster ---------------------------------------------------------- */

typedef struct roster {
	fsy_owner_agent_t *a; /* sorted by id; strings owned by the roster */
	char **status_reason; /* agent.status_reason, owned, may be NULL */
	int n;
} roster_t;

static void
roster_free(roster_t *r)
{
	for (int i = 0; i < r->n; i++) {
		free((void *)r->a[i].id);
		free((void *)r->a[i].team_id);
		free((void *)r->a[i].branch_id);
		free(r->status_reason[i]);
	}
	free(r->a);
	free(r->status_reason);
	memset(r, 0, sizeof(*r));
}

static int
roster_load(fsy_store_t *st, roster_t *r, char *err, size_t errlen)
{
	sqlite3_stmt *s = NULL;
	int rv, rc, cap = 0;

	memset(r, 0, sizeof(*r));
	rv = prep(st,
	    "SELECT a.id, a.status, a.role, a.channel, a.team_id, t.branch_id, "
	    "a.performance, ifnull(w.n, 0), a.status_reason "
	    "FROM agent a LEFT JOIN team t ON t.id = a.team_id "
	    "LEFT JOIN (SELECT owner_agent_id AS id, count(*) AS n "
	    " FROM customer WHERE deleted = 0 AND owner_agent_id IS NOT NULL "
	    " GROUP BY owner_agent_id) w ON w.id = a.id "
	    "ORDER BY a.id", &s, err, errlen);
	if (rv)
		goto out;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		fsy_owner_agent_t *ag;
		int stv = fsy_agent_status_parse(
		    (const char *)sqlite3_column_text(s, 1));
		int role = fsy_agent_role_parse(
		    (const char *)sqlite3_column_text(s, 2));
		int ch = fsy_channel_parse(
		    (const char *)sqlite3_column_text(s, 3));
		if (r->n == cap) {
			int ncap = cap ? cap * 2 : 64;
			void *na = realloc(r->a, (size_t)ncap * sizeof(*r->a));
			if (na == NULL) {
				rv = FSY_ENOMEM;
				goto out;
			}
			r->a = na;
			na = realloc(r->status_reason,
			    (size_t)ncap * sizeof(*r->status_reason));
			if (na == NULL) {
				rv = FSY_ENOMEM;
				goto out;
			}
			r->status_reason = na;
			cap = ncap;
		}
		ag = &r->a[r->n];
		memset(ag, 0, sizeof(*ag));
		r->status_reason[r->n] = NULL;
		r->n++;
		ag->id = dup_col(s, 0);
		ag->team_id = dup_col(s, 4);
		ag->branch_id = dup_col(s, 5);
		r->status_reason[r->n - 1] = dup_col(s, 8);
		if (ag->id == NULL ||
		    (ag->team_id == NULL &&
		        sqlite3_column_type(s, 4) != SQLITE_NULL) ||
		    (ag->branch_id == NULL &&
		        sqlite3_column_type(s, 5) != SQLITE_NULL)) {
			rv = FSY_ENOMEM;
			goto out;
		}
		/* The schema's CHECKs keep these valid; be safe anyway. */
		ag->status = stv < 0 ? FSY_AGENT_DEPARTED
		                     : (fsy_agent_status_t)stv;
		ag->role = role < 0 ? FSY_AGENT_ROLE_AGENT
		                    : (fsy_agent_role_t)role;
		ag->channel = ch < 0 ? FSY_CHANNEL_AGENCY : (fsy_channel_t)ch;
		ag->performance = sqlite3_column_int64(s, 6);
		ag->workload = sqlite3_column_int64(s, 7);
	}
	if (rc != SQLITE_DONE)
		rv = fsy_store_errf(st, rc, err, errlen, "reading agents");
out:
	if (rv == FSY_ENOMEM)
		(void)fsy_store_errf(NULL, rv, err, errlen,
		    "out of memory reading agents");
	sqlite3_finalize(s);
	if (rv)
		roster_free(r);
	return rv;
}

static int
roster_cmp(const void *key, const void *elem)
{
	return strcmp((const char *)key, ((const fsy_owner_agent_t *)elem)->id);
}

/* Index of agent id, -1 when unknown or id is NULL. */
static int
roster_find(const roster_t *r, const char *id)
{
	const fsy_owner_agent_t *a;

	if (id == NULL || r->n == 0)
		return -1;
	a = bsearch(id, r->a, (size_t)r->n, sizeof(*r->a), roster_cmp);
	return a ? (int)(a - r->a) : -1;
}

/* ---- recompute ----------------------------------------------------------- */

/* Input streams, all ordered by customer id; [1] joins the scope table. */
#define SCOPE "temp.fsy_owner_scope"
#define JOIN_SCOPE(col) " JOIN " SCOPE " s ON s.id = " col
#define PREMIUM \
	"coalesce(p.annual_premium_fen, p.modal_premium_fen * " \
	"CASE p.pay_mode WHEN 'monthly' THEN 12 WHEN 'quarter' THEN 4 " \
	"WHEN 'half' THEN 2 ELSE 1 END, 0)"

static const char *const sql_customers[2] = {
	"SELECT c.id, c.owner_agent_id FROM customer c "
	"WHERE c.deleted = 0 ORDER BY c.id",
	"SELECT c.id, c.owner_agent_id FROM customer c" JOIN_SCOPE("c.id")
	" WHERE c.deleted = 0 ORDER BY c.id",
};
static const char *const sql_policies[2] = {
	"SELECT p.customer_id, p.soliciting_agent_id, " PREMIUM
	" FROM policy p WHERE p.deleted = 0 AND p.external = 0 "
	"AND p.status IN ('inforce', 'grace') ORDER BY p.customer_id",
	"SELECT p.customer_id, p.soliciting_agent_id, " PREMIUM
	" FROM policy p" JOIN_SCOPE("p.customer_id")
	" WHERE p.deleted = 0 AND p.external = 0 "
	"AND p.status IN ('inforce', 'grace') ORDER BY p.customer_id",
};
static const char *const sql_bans[2] = {
	"SELECT b.customer_id, b.agent_id FROM owner_ban b "
	"ORDER BY b.customer_id",
	"SELECT b.customer_id, b.agent_id FROM owner_ban b"
	JOIN_SCOPE("b.customer_id") " ORDER BY b.customer_id",
};
/* The latest history row per customer (bare columns of max(id)). */
static const char *const sql_history[2] = {
	"SELECT h.customer_id, h.rule, h.to_agent_id, max(h.id) "
	"FROM ownership_history h GROUP BY h.customer_id "
	"ORDER BY h.customer_id",
	"SELECT h.customer_id, h.rule, h.to_agent_id, max(h.id) "
	"FROM ownership_history h" JOIN_SCOPE("h.customer_id")
	" GROUP BY h.customer_id ORDER BY h.customer_id",
};
static const char sql_contacts[] =
	"SELECT agent_id, max(happened_at) FROM visit "
	"WHERE customer_id = ?1 AND agent_id IS NOT NULL "
	"AND happened_at IS NOT NULL GROUP BY agent_id";

/* A statement read in step with the customers. */
typedef struct stream {
	sqlite3_stmt *s;
	int row; /* 1: positioned on a row */
} stream_t;

static int
stream_step(fsy_store_t *st, stream_t *x, char *err, size_t errlen)
{
	int rc = sqlite3_step(x->s);

	x->row = rc == SQLITE_ROW;
	if (rc == SQLITE_ROW || rc == SQLITE_DONE)
		return FSY_OK;
	return fsy_store_errf(st, rc, err, errlen, "reading ownership inputs");
}

/* Skips rows of customers ordered before id; returns 1 when the stream is
 * on a row of id. */
static int
stream_seek(fsy_store_t *st, stream_t *x, const char *id, int *rv,
    char *err, size_t errlen)
{
	while (*rv == FSY_OK && x->row) {
		const char *c = (const char *)sqlite3_column_text(x->s, 0);
		int cmp = c ? strcmp(c, id) : -1;
		if (cmp == 0)
			return 1;
		if (cmp > 0)
			return 0;
		*rv = stream_step(st, x, err, errlen);
	}
	return 0;
}

/* A growable array. */
#define GROW(arr, n, cap, rv)                                               \
	do {                                                                \
		if ((n) == (cap)) {                                         \
			size_t nc_ = (cap) ? (size_t)(cap) * 2 : 16;        \
			void *p_ = realloc((arr), nc_ * sizeof(*(arr)));    \
			if (p_ == NULL) {                                   \
				(rv) = FSY_ENOMEM;                          \
				break;                                      \
			}                                                   \
			(arr) = p_;                                         \
			(cap) = (int)nc_;                                   \
		}                                                           \
	} while (0)

/* One change of owner, decided and not yet written. */
typedef struct change {
	char *cust;   /* customer id (owned) */
	char *from;   /* previous owner id (owned), NULL: none */
	int to;       /* new owner: roster index, -1 none */
	int rule;     /* rule recorded */
	int ban;      /* 1: ban `from` (rule 5 or its fallback) */
	char *reason; /* owned */
} change_t;

typedef struct work {
	fsy_owner_policy_t *pol;
	int npol, cappol;
	int *ban;
	int nban, capban;
	fsy_owner_contact_t *con;
	int ncon, capcon;
	change_t *chg;
	int nchg, capchg;
} work_t;

static void
work_free(work_t *w)
{
	for (int i = 0; i < w->nchg; i++) {
		free(w->chg[i].cust);
		free(w->chg[i].from);
		free(w->chg[i].reason);
	}
	free(w->chg);
	free(w->pol);
	free(w->ban);
	free(w->con);
	memset(w, 0, sizeof(*w));
}

/* Loads the latest contact per agent of one customer. */
static int
load_contacts(fsy_store_t *st, sqlite3_stmt *s, const roster_t *r,
    const char *cust, work_t *w, char *err, size_t errlen)
{
	int rc, rv = FSY_OK;

	w->ncon = 0;
	sqlite3_reset(s);
	sqlite3_bind_text(s, 1, cust, -1, SQLITE_TRANSIENT);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		int a = roster_find(r, (const char *)sqlite3_column_text(s, 0));
		const char *at = (const char *)sqlite3_column_text(s, 1);
		int64_t ms;
		/* An unknown agent or an unreadable time is no contact. */
		if (a < 0 || at == NULL || fsy_parse_time(at, &ms) != FSY_OK)
			continue;
		GROW(w->con, w->ncon, w->capcon, rv);
		if (rv)
			break;
		w->con[w->ncon].agent = a;
		w->con[w->ncon].at_ms = ms;
		w->ncon++;
	}
	if (rv == FSY_OK && rc != SQLITE_DONE)
		rv = fsy_store_errf(st, rc, err, errlen, "reading visits");
	sqlite3_reset(s);
	return rv;
}

/* Writes the decided changes. */
static int
apply_changes(fsy_store_t *st, const roster_t *r, work_t *w, const char *by,
    char *err, size_t errlen)
{
	sqlite3_stmt *upd = NULL, *hist = NULL, *ban = NULL;
	char at[21];
	int rv, rc = SQLITE_DONE;

	now_iso(at);
	/* owner_since stays NULL for a customer's first assignment (from
	 * nobody, no history yet: an imported customer's existing agent), so
	 * that laptops, which have no history, know the owner has served the
	 * customer all along and owes no first contact (oblig.c). */
	rv = prep(st, "UPDATE customer SET owner_agent_id = ?1, "
	    "owner_since = CASE WHEN ?4 IS NULL AND NOT EXISTS (SELECT 1 FROM "
	    "ownership_history WHERE customer_id = ?3) THEN NULL ELSE ?2 END "
	    "WHERE id = ?3", &upd, err, errlen);
	if (rv == FSY_OK)
		rv = prep(st, "INSERT INTO ownership_history(customer_id, "
		    "from_agent_id, to_agent_id, rule, reason, at, by) "
		    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)", &hist, err, errlen);
	if (rv == FSY_OK)
		rv = prep(st, "INSERT OR IGNORE INTO owner_ban(customer_id, "
		    "agent_id, reason, at) VALUES (?1, ?2, ?3, ?4)", &ban, err,
		    errlen);
	for (int i = 0; rv == FSY_OK && i < w->nchg; i++) {
		const change_t *c = &w->chg[i];
		const char *to = c->to >= 0 ? r->a[c->to].id : NULL;
		char rule[2] = {(char)('0' + c->rule), '\0'};

		sqlite3_reset(upd);
		sqlite3_bind_text(upd, 1, to, -1, SQLITE_STATIC);
		sqlite3_bind_text(upd, 2, to ? at : NULL, -1, SQLITE_STATIC);
		sqlite3_bind_text(upd, 3, c->cust, -1, SQLITE_STATIC);
		sqlite3_bind_text(upd, 4, c->from, -1, SQLITE_STATIC);
		if ((rc = sqlite3_step(upd)) != SQLITE_DONE)
			break;
		sqlite3_reset(hist);
		sqlite3_bind_text(hist, 1, c->cust, -1, SQLITE_STATIC);
		sqlite3_bind_text(hist, 2, c->from, -1, SQLITE_STATIC);
		sqlite3_bind_text(hist, 3, to, -1, SQLITE_STATIC);
		sqlite3_bind_text(hist, 4, rule, -1, SQLITE_STATIC);
		sqlite3_bind_text(hist, 5, c->reason, -1, SQLITE_STATIC);
		sqlite3_bind_text(hist, 6, at, -1, SQLITE_STATIC);
		sqlite3_bind_text(hist, 7, by, -1, SQLITE_STATIC);
		if ((rc = sqlite3_step(hist)) != SQLITE_DONE)
			break;
		if (c->ban && c->from) {
			int f = roster_find(r, c->from);
			const char *why = "lost the customer for misconduct";
			if (f >= 0 && r->status_reason[f])
				why = r->status_reason[f];
			sqlite3_reset(ban);
			sqlite3_bind_text(ban, 1, c->cust, -1, SQLITE_STATIC);
			sqlite3_bind_text(ban, 2, c->from, -1, SQLITE_STATIC);
			sqlite3_bind_text(ban, 3, why, -1, SQLITE_STATIC);
			sqlite3_bind_text(ban, 4, at, -1, SQLITE_STATIC);
			if ((rc = sqlite3_step(ban)) != SQLITE_DONE)
				break;
		}
	}
	if (rv == FSY_OK && rc != SQLITE_DONE)
		rv = fsy_store_errf(st, rc, err, errlen, "writing owners");
	sqlite3_finalize(upd);
	sqlite3_finalize(hist);
	sqlite3_finalize(ban);
	return rv;
}

/*
 * The recompute itself, inside the caller's transaction: every live
 * customer (scoped = 0) or those in the scope table (scoped = 1).
 */
static int
recompute(fsy_store_t *st, int scoped, const char *by, fsy_owner_stats_t *stats,
    char *err, size_t errlen)
{
	roster_t r;
	work_t w;
	stream_t cus = {0}, pol = {0}, ban = {0}, his = {0};
	sqlite3_stmt *con = NULL;
	int rv;

	memset(&w, 0, sizeof(w));
	if ((rv = roster_load(st, &r, err, errlen)) != FSY_OK)
		return rv;
	rv = prep(st, sql_customers[scoped], &cus.s, err, errlen);
	if (rv == FSY_OK)
		rv = prep(st, sql_policies[scoped], &pol.s, err, errlen);
	if (rv == FSY_OK)
		rv = prep(st, sql_bans[scoped], &ban.s, err, errlen);
	if (rv == FSY_OK)
		rv = prep(st, sql_history[scoped], &his.s, err, errlen);
	if (rv == FSY_OK)
		rv = prep(st, sql_contacts, &con, err, errlen);
	if (rv == FSY_OK)
		rv = stream_step(st, &pol, err, errlen);
	if (rv == FSY_OK)
		rv = stream_step(st, &ban, err, errlen);
	if (rv == FSY_OK)
		rv = stream_step(st, &his, err, errlen);
	if (rv == FSY_OK)
		rv = stream_step(st, &cus, err, errlen);

	while (rv == FSY_OK && cus.row) {
		const char *id = (const char *)sqlite3_column_text(cus.s, 0);
		const char *own = (const char *)sqlite3_column_text(cus.s, 1);
		fsy_owner_input_t in;
		fsy_owner_decision_t d;

		if (id == NULL) {
			rv = stream_step(st, &cus, err, errlen);
			continue;
		}
		memset(&in, 0, sizeof(in));
		in.agents = r.a;
		in.nagents = r.n;
		in.owner = roster_find(&r, own);
		in.owner_unknown = own != NULL && in.owner < 0;

		w.npol = 0;
		while (stream_seek(st, &pol, id, &rv, err, errlen)) {
			GROW(w.pol, w.npol, w.cappol, rv);
			if (rv)
				break;
			w.pol[w.npol].agent = roster_find(&r,
			    (const char *)sqlite3_column_text(pol.s, 1));
			w.pol[w.npol].annual_premium_fen =
			    sqlite3_column_int64(pol.s, 2);
			w.pol[w.npol].in_force = 1;
			w.npol++;
			rv = stream_step(st, &pol, err, errlen);
		}
		w.nban = 0;
		while (rv == FSY_OK &&
		    stream_seek(st, &ban, id, &rv, err, errlen)) {
			int a = roster_find(&r,
			    (const char *)sqlite3_column_text(ban.s, 1));
			if (a >= 0) {
				GROW(w.ban, w.nban, w.capban, rv);
				if (rv)
					break;
				w.ban[w.nban++] = a;
			}
			rv = stream_step(st, &ban, err, errlen);
		}
		if (rv == FSY_OK &&
		    stream_seek(st, &his, id, &rv, err, errlen)) {
			const char *rule =
			    (const char *)sqlite3_column_text(his.s, 1);
			const char *to =
			    (const char *)sqlite3_column_text(his.s, 2);
			if (own && to && strcmp(own, to) == 0 && rule &&
			    rule[0] >= '1' && rule[0] <= '6' && rule[1] == '\0')
				in.owner_rule = rule[0] - '0';
			rv = stream_step(st, &his, err, errlen);
		}
		if (rv)
			break;

		in.policies = w.pol;
		in.npolicies = w.npol;
		in.banned = w.ban;
		in.nbanned = w.nban;
		fsy_owner_decide(&in, &d);
		if (d.need_contacts) {
			rv = load_contacts(st, con, &r, id, &w, err, errlen);
			if (rv)
				break;
			in.contacts = w.con;
			in.ncontacts = w.ncon;
			in.have_contacts = 1;
			fsy_owner_decide(&in, &d);
			if (stats)
				stats->contact_lookups++;
		}
		if (stats) {
			stats->examined++;
			stats->orphans += d.owner < 0;
		}
		if (d.changed) {
			change_t *c;
			GROW(w.chg, w.nchg, w.capchg, rv);
			if (rv)
				break;
			c = &w.chg[w.nchg++];
			memset(c, 0, sizeof(*c));
			c->cust = strdup(id);
			c->from = own ? strdup(own) : NULL;
			c->reason = strdup(d.reason);
			c->to = d.owner;
			c->rule = d.rule;
			c->ban = d.lost_disqualified;
			if (c->cust == NULL || (own && c->from == NULL) ||
			    c->reason == NULL) {
				rv = FSY_ENOMEM;
				break;
			}
			/* Balancing sees the assignments made so far. */
			if (in.owner >= 0)
				r.a[in.owner].workload--;
			if (d.owner >= 0)
				r.a[d.owner].workload++;
			if (stats) {
				stats->changed++;
				stats->by_rule[d.rule]++;
			}
		}
		rv = stream_step(st, &cus, err, errlen);
	}
	/* The reads end before the writes begin. */
	sqlite3_finalize(cus.s);
	sqlite3_finalize(pol.s);
	sqlite3_finalize(ban.s);
	sqlite3_finalize(his.s);
	sqlite3_finalize(con);
	if (rv == FSY_OK)
		rv = apply_changes(st, &r, &w, by ? by : "rules", err, errlen);
	if (rv == FSY_ENOMEM)
		(void)fsy_store_errf(NULL, rv, err, errlen,
		    "out of memory recomputing owners");
	work_free(&w);
	roster_free(&r);
	return rv;
}

/* Empties the scope table, creating it on first use. */
static int
scope_reset(fsy_store_t *st, char *err, size_t errlen)
{
	int rv = fsy_store_exec(st, "CREATE TEMP TABLE IF NOT EXISTS "
	    "fsy_owner_scope(id TEXT PRIMARY KEY) WITHOUT ROWID;"
	    "DELETE FROM " SCOPE ";");

	if (rv)
		rv = fsy_store_errf(st, rv, err, errlen, "scope table");
	return rv;
}

/* Runs sql (one text parameter ?1 = arg) that fills the scope table. */
static int
scope_fill(fsy_store_t *st, const char *sql, const char *arg, int64_t *n,
    char *err, size_t errlen)
{
	int rv = scope_reset(st, err, errlen);

	if (rv == FSY_OK)
		rv = run(st, sql, 1, &arg, "filling the scope", err, errlen);
	if (rv == FSY_OK && n)
		*n = sqlite3_changes(fsy_store_db(st));
	return rv;
}

static int
need_hub(fsy_store_t *st, char *err, size_t errlen)
{
	if (fsy_store_role(st) == FSY_ROLE_HUB)
		return FSY_OK;
	return fsy_store_errf(NULL, FSY_ESTATE, err, errlen,
	    "ownership is decided by head office: not a hub store");
}

static int
audit(fsy_store_t *st, const char *actor, const char *action,
    const char *detail, char *err, size_t errlen)
{
	char at[21];

	now_iso(at);
	return run(st, "INSERT INTO audit(at, actor, action, detail) "
	    "VALUES (?1, ?2, ?3, ?4)", 4,
	    (const char *const[]){at, actor, action, detail},
	    "writing the audit row", err, errlen);
}

/* Reads agent.status of id into *status (-1 unknown text). FSY_ENOTFOUND
 * when there is no such agent. */
static int
agent_status(fsy_store_t *st, const char *id, int *status, char *err,
    size_t errlen)
{
	sqlite3_stmt *s = NULL;
	int rv, rc;

	if ((rv = prep(st, "SELECT status FROM agent WHERE id = ?1", &s, err,
	         errlen)) != FSY_OK)
		return rv;
	sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		*status = fsy_agent_status_parse(
		    (const char *)sqlite3_column_text(s, 0));
	} else if (rc == SQLITE_DONE) {
		rv = fsy_store_errf(NULL, FSY_ENOTFOUND, err, errlen,
		    "no agent with id '%s'", id);
	} else {
		rv = fsy_store_errf(st, rc, err, errlen, "reading the agent");
	}
	sqlite3_finalize(s);
	return rv;
}

/* Ends an operation begun with tx_begin (tx_end); on failure *stats (may
 * be NULL) is zeroed. Returns the final code. */
static int
op_end(fsy_store_t *st, int nested, int rv, fsy_owner_stats_t *stats,
    char *err, size_t errlen)
{
	rv = tx_end(st, nested, rv, err, errlen);
	if (rv && stats)
		memset(stats, 0, sizeof(*stats));
	return rv;
}

/* Runs sql on an existing agent: ?1 its id, ?2 arg. FSY_ENOTFOUND when
 * there is no such agent. */
static int
agent_update(fsy_store_t *st, const char *sql, const char *agent_id,
    const char *arg, char *err, size_t errlen)
{
	int status = -1;
	int rv = agent_status(st, agent_id, &status, err, errlen);

	if (rv == FSY_OK)
		rv = run(st, sql, 2, (const char *const[]){agent_id, arg},
		    "updating the agent", err, errlen);
	return rv;
}

/* Re-runs the rules for the live customers agent_id owns; *n: how many. */
static int
rerun_owned(fsy_store_t *st, const char *agent_id, const char *by,
    fsy_owner_stats_t *stats, int64_t *n, char *err, size_t errlen)
{
	int rv = scope_fill(st, "INSERT INTO " SCOPE " SELECT id FROM "
	    "customer WHERE owner_agent_id = ?1 AND deleted = 0", agent_id, n,
	    err, errlen);

	if (rv == FSY_OK)
		rv = recompute(st, 1, by, stats, err, errlen);
	return rv;
}

int
fsy_owner_recompute(fsy_store_t *st, const char *customer_id,
    const char *by, fsy_owner_stats_t *stats, char *err, size_t errlen)
{
	int rv, nested = 0;
	int64_t n = 0;

	if (stats)
		memset(stats, 0, sizeof(*stats));
	if ((rv = need_hub(st, err, errlen)) != FSY_OK)
		return rv;
	if ((rv = tx_begin(st, &nested, err, errlen)) != FSY_OK)
		return rv;
	if (customer_id) {
		rv = scope_fill(st, "INSERT INTO " SCOPE " SELECT id FROM "
		    "customer WHERE id = ?1 AND deleted = 0", customer_id, &n,
		    err, errlen);
		if (rv == FSY_OK && n == 0)
			rv = fsy_store_errf(NULL, FSY_ENOTFOUND, err, errlen,
			    "no live customer with id '%s'", customer_id);
	}
	if (rv == FSY_OK)
		rv = recompute(st, customer_id != NULL, by, stats, err, errlen);
	return op_end(st, nested, rv, stats, err, errlen);
}

int
fsy_owner_assign(fsy_store_t *st, const char *customer_id,
    const char *agent_id, const char *reason, const char *by, char *err,
    size_t errlen)
{
	sqlite3_stmt *s = NULL;
	char *from = NULL, *detail = NULL;
	char at[21];
	int rv, rc, nested = 0, status = -1, found = 0;
	size_t dlen;

	if ((rv = need_hub(st, err, errlen)) != FSY_OK)
		return rv;
	if (customer_id == NULL || agent_id == NULL)
		return fsy_store_errf(NULL, FSY_EINVAL, err, errlen,
		    "override: customer and agent are required");
	if (reason == NULL || reason[0] == '\0')
		return fsy_store_errf(NULL, FSY_EINVAL, err, errlen,
		    "override of customer '%s': a reason is required",
		    customer_id);
	if (by == NULL)
		by = "head office";
	if ((rv = tx_begin(st, &nested, err, errlen)) != FSY_OK)
		return rv;

	/* The customer and its owner now. */
	rv = prep(st, "SELECT owner_agent_id FROM customer "
	    "WHERE id = ?1 AND deleted = 0", &s, err, errlen);
	if (rv)
		goto out;
	sqlite3_bind_text(s, 1, customer_id, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		found = 1;
		from = dup_col(s, 0);
		if (from == NULL && sqlite3_column_type(s, 0) != SQLITE_NULL)
			rv = FSY_ENOMEM;
	} else if (rc != SQLITE_DONE) {
		rv = fsy_store_errf(st, rc, err, errlen,
		    "reading the customer");
	}
	sqlite3_finalize(s);
	s = NULL;
	if (rv)
		goto out;
	if (!found) {
		rv = fsy_store_errf(NULL, FSY_ENOTFOUND, err, errlen,
		    "no live customer with id '%s'", customer_id);
		goto out;
	}

	/* The agent: employed and not banned. */
	if ((rv = agent_status(st, agent_id, &status, err, errlen)) != FSY_OK)
		goto out;
	if (status != FSY_AGENT_EMPLOYED) {
		rv = status == FSY_AGENT_DISQUALIFIED ? FSY_EDISQUALIFIED
		                                      : FSY_ESTATE;
		(void)fsy_store_errf(NULL, rv, err, errlen, "agent '%s' is %s: "
		    "only an employed agent can own a customer", agent_id,
		    status == FSY_AGENT_DISQUALIFIED ? "disqualified" :
		    status == FSY_AGENT_DEPARTED     ? "departed" :
		                                       "not employed");
		goto out;
	}
	rv = prep(st, "SELECT reason FROM owner_ban WHERE customer_id = ?1 "
	    "AND agent_id = ?2", &s, err, errlen);
	if (rv)
		goto out;
	sqlite3_bind_text(s, 1, customer_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, agent_id, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		const char *why = (const char *)sqlite3_column_text(s, 0);
		rv = fsy_store_errf(NULL, FSY_EDISQUALIFIED, err, errlen,
		    "agent '%s' is banned from customer '%s' for ever "
		    "(rule 5: %s)", agent_id, customer_id,
		    why ? why : "misconduct");
	} else if (rc != SQLITE_DONE) {
		rv = fsy_store_errf(st, rc, err, errlen, "reading bans");
	}
	sqlite3_finalize(s);
	s = NULL;
	if (rv)
		goto out;

	now_iso(at);
	if (from == NULL || strcmp(from, agent_id) != 0) {
		rv = run(st, "UPDATE customer SET owner_agent_id = ?1, "
		    "owner_since = ?2 WHERE id = ?3", 3,
		    (const char *const[]){agent_id, at, customer_id},
		    "writing the owner", err, errlen);
		if (rv)
			goto out;
	}
	rv = run(st, "INSERT INTO ownership_history(customer_id, "
	    "from_agent_id, to_agent_id, rule, reason, at, by) "
	    "VALUES (?1, ?2, ?3, '6', ?4, ?5, ?6)", 6,
	    (const char *const[]){customer_id, from, agent_id, reason, at, by},
	    "writing the history", err, errlen);
	if (rv)
		goto out;

	dlen = strlen(customer_id) + strlen(agent_id) + strlen(reason) +
	    (from ? strlen(from) : 4) + 64;
	if ((detail = malloc(dlen)) == NULL) {
		rv = FSY_ENOMEM;
		goto out;
	}
	snprintf(detail, dlen, "customer %s: %s -> %s (rule 6): %s",
	    customer_id, from ? from : "none", agent_id, reason);
	rv = audit(st, by, "owner.override", detail, err, errlen);
out:
	if (rv == FSY_ENOMEM)
		(void)fsy_store_errf(NULL, rv, err, errlen, "out of memory");
	free(detail);
	free(from);
	return tx_end(st, nested, rv, err, errlen);
}

int
fsy_owner_agent_depart(fsy_store_t *st, const char *agent_id,
    const char *left_on, const char *by, fsy_owner_stats_t *stats, char *err,
    size_t errlen)
{
	char today[11];
	int64_t ms, n = 0;
	int rv, nested = 0;

	if (stats)
		memset(stats, 0, sizeof(*stats));
	if ((rv = need_hub(st, err, errlen)) != FSY_OK)
		return rv;
	if (agent_id == NULL)
		return fsy_store_errf(NULL, FSY_EINVAL, err, errlen,
		    "departure: an agent id is required");
	if (left_on == NULL) {
		fsy_iso_date(fsy_now_ms(), today);
		left_on = today;
	} else if (strlen(left_on) != 10 ||
	    fsy_parse_time(left_on, &ms) != FSY_OK)
		return fsy_store_errf(NULL, FSY_EINVAL, err, errlen,
		    "departure of agent '%s': left_on '%.40s' is not a "
		    "YYYY-MM-DD date", agent_id, left_on);
	if (by == NULL)
		by = "head office";
	if ((rv = tx_begin(st, &nested, err, errlen)) != FSY_OK)
		return rv;
	rv = agent_update(st, "UPDATE agent SET left_on = ?2, status = CASE "
	    "status WHEN 'disqualified' THEN status ELSE 'departed' END "
	    "WHERE id = ?1", agent_id, left_on, err, errlen);
	if (rv == FSY_OK)
		rv = rerun_owned(st, agent_id, by, stats, &n, err, errlen);
	if (rv == FSY_OK) {
		char detail[160];
		snprintf(detail, sizeof(detail), "agent %s left on %s; %lld "
		    "customers re-run (rule 4)", agent_id, left_on,
		    (long long)n);
		rv = audit(st, by, "agent.depart", detail, err, errlen);
	}
	return op_end(st, nested, rv, stats, err, errlen);
}

int
fsy_owner_agent_disqualify(fsy_store_t *st, const char *agent_id,
    const char *reason, const char *by, fsy_owner_stats_t *stats, char *err,
    size_t errlen)
{
	char at[21], *detail = NULL;
	int64_t n = 0;
	size_t dlen;
	int rv, nested = 0;

	if (stats)
		memset(stats, 0, sizeof(*stats));
	if ((rv = need_hub(st, err, errlen)) != FSY_OK)
		return rv;
	if (agent_id == NULL)
		return fsy_store_errf(NULL, FSY_EINVAL, err, errlen,
		    "disqualification: an agent id is required");
	if (reason == NULL || reason[0] == '\0')
		return fsy_store_errf(NULL, FSY_EINVAL, err, errlen,
		    "disqualification of agent '%s': a reason is required",
		    agent_id);
	if (by == NULL)
		by = "head office";
	if ((rv = tx_begin(st, &nested, err, errlen)) != FSY_OK)
		return rv;
	rv = agent_update(st, "UPDATE agent SET status = 'disqualified', "
	    "status_reason = ?2 WHERE id = ?1", agent_id, reason, err, errlen);
	if (rv)
		goto out;

	/* Banned for ever from every customer he owns. */
	now_iso(at);
	rv = run(st, "INSERT OR IGNORE INTO owner_ban(customer_id, agent_id, "
	    "reason, at) SELECT id, ?1, ?2, ?3 FROM customer "
	    "WHERE owner_agent_id = ?1 AND deleted = 0", 3,
	    (const char *const[]){agent_id, reason, at}, "writing bans", err,
	    errlen);
	if (rv)
		goto out;

	rv = rerun_owned(st, agent_id, by, stats, &n, err, errlen);
	if (rv)
		goto out;
	dlen = strlen(agent_id) + strlen(reason) + 96;
	if ((detail = malloc(dlen)) == NULL) {
		rv = fsy_store_errf(NULL, FSY_ENOMEM, err, errlen,
		    "out of memory");
		goto out;
	}
	snprintf(detail, dlen, "agent %s disqualified: %s; banned from %lld "
	    "customers (rule 5)", agent_id, reason, (long long)n);
	rv = audit(st, by, "agent.disqualify", detail, err, errlen);
out:
	free(detail);
	return op_end(st, nested, rv, stats, err, errlen);
}

int
fsy_owner_summary(fsy_store_t *st, fsy_owner_summary_t *out, char *err,
    size_t errlen)
{
	sqlite3_stmt *s = NULL;
	int rv, rc;
	int64_t ruled = 0;

	memset(out, 0, sizeof(*out));
	if ((rv = need_hub(st, err, errlen)) != FSY_OK)
		return rv;
	/* The classification of fsy_owner_classify(), in SQL. */
	rv = prep(st,
	    "SELECT count(*), count(c.owner_agent_id), "
	    " ifnull(sum(x.cust IS NULL), 0), "
	    " ifnull(sum(x.emp > 0 AND x.oth = 0), 0), "
	    " ifnull(sum(x.emp = 0), 0), "
	    " ifnull(sum(x.emp > 0 AND x.oth > 0), 0) "
	    "FROM customer c LEFT JOIN ("
	    " SELECT p.customer_id AS cust, "
	    "  sum(ifnull(a.status, '') = 'employed') AS emp, "
	    "  sum(ifnull(a.status, '') <> 'employed') AS oth "
	    " FROM policy p LEFT JOIN agent a ON a.id = p.soliciting_agent_id "
	    " WHERE p.deleted = 0 AND p.external = 0 "
	    " AND p.status IN ('inforce', 'grace') GROUP BY p.customer_id"
	    ") x ON x.cust = c.id WHERE c.deleted = 0", &s, err, errlen);
	if (rv)
		return rv;
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		out->customers = sqlite3_column_int64(s, 0);
		out->owned = sqlite3_column_int64(s, 1);
		out->orphans = out->customers - out->owned;
		out->no_policy = sqlite3_column_int64(s, 2);
		out->regular = sqlite3_column_int64(s, 3);
		out->pure = sqlite3_column_int64(s, 4);
		out->nonpure = sqlite3_column_int64(s, 5);
	} else {
		rv = fsy_store_errf(st, rc, err, errlen, "summary");
	}
	sqlite3_finalize(s);
	s = NULL;
	if (rv)
		return rv;

	rv = prep(st,
	    "SELECT h.rule, count(*) FROM customer c JOIN ("
	    " SELECT customer_id, rule, to_agent_id, max(id) "
	    " FROM ownership_history GROUP BY customer_id) h "
	    "ON h.customer_id = c.id AND h.to_agent_id = c.owner_agent_id "
	    "WHERE c.deleted = 0 GROUP BY h.rule", &s, err, errlen);
	if (rv)
		return rv;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		const char *rule = (const char *)sqlite3_column_text(s, 0);
		int64_t k = sqlite3_column_int64(s, 1);
		if (rule && rule[0] >= '1' && rule[0] <= '6' &&
		    rule[1] == '\0') {
			out->by_rule[rule[0] - '0'] += k;
			ruled += k;
		}
	}
	if (rc != SQLITE_DONE)
		rv = fsy_store_errf(st, rc, err, errlen, "summary by rule");
	sqlite3_finalize(s);
	s = NULL;
	if (rv)
		return rv;
	out->by_rule[0] = out->owned - ruled;

	rv = prep(st, "SELECT count(*) FROM owner_ban", &s, err, errlen);
	if (rv)
		return rv;
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		out->bans = sqlite3_column_int64(s, 0);
	else
		rv = fsy_store_errf(st, rc, err, errlen, "summary bans");
	sqlite3_finalize(s);
	return rv;
}
