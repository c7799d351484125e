/* test_owner.c — the service-owner rules (pure) and the hub operations. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "testutil.h"
#include "owner.h"
#include "util.h"

/* ---- pure decisions -------------------------------------------------------- */

enum { A0, A1, A2, A3, S0, S1, S2, NAG };

/* A roster for the pure tests: four field agents (team t1 and t2 of branch
 * b1) and three service staff. Tests copy it and change what they need. */
static const fsy_owner_agent_t roster0[NAG] = {
	[A0] = {"a0", FSY_AGENT_EMPLOYED, FSY_AGENT_ROLE_AGENT, FSY_CHANNEL_AGENCY,
	        "t1", "b1", 50, 0},
	[A1] = {"a1", FSY_AGENT_EMPLOYED, FSY_AGENT_ROLE_AGENT, FSY_CHANNEL_AGENCY,
	        "t1", "b1", 70, 0},
	[A2] = {"a2", FSY_AGENT_EMPLOYED, FSY_AGENT_ROLE_AGENT,
	        FSY_CHANNEL_BANCASSURANCE, "t2", "b1", 90, 0},
	[A3] = {"a3", FSY_AGENT_EMPLOYED, FSY_AGENT_ROLE_LEAD, FSY_CHANNEL_AGENCY,
	        "t1", "b1", 60, 0},
	[S0] = {"s0", FSY_AGENT_EMPLOYED, FSY_AGENT_ROLE_SERVICE,
	        FSY_CHANNEL_AGENCY, NULL, "b1", 0, 5},
	[S1] = {"s1", FSY_AGENT_EMPLOYED, FSY_AGENT_ROLE_RENEWAL,
	        FSY_CHANNEL_AGENCY, NULL, "b1", 0, 3},
	[S2] = {"s2", FSY_AGENT_EMPLOYED, FSY_AGENT_ROLE_SERVICE,
	        FSY_CHANNEL_BANCASSURANCE, NULL, "b1", 0, 0},
};

typedef struct {
	fsy_owner_agent_t ag[NAG];
	fsy_owner_policy_t pol[8];
	fsy_owner_contact_t con[8];
	int ban[4];
	fsy_owner_input_t in;
	fsy_owner_decision_t d;
} pt_t;

static void
pt_init(pt_t *t)
{
	memset(t, 0, sizeof(*t));
	memcpy(t->ag, roster0, sizeof(roster0));
	t->in.agents = t->ag;
	t->in.nagents = NAG;
	t->in.policies = t->pol;
	t->in.contacts = t->con;
	t->in.banned = t->ban;
	t->in.owner = -1;
}

static void
pt_pol(pt_t *t, int agent, int64_t yuan, int in_force)
{
	t->pol[t->in.npolicies].agent = agent;
	t->pol[t->in.npolicies].annual_premium_fen = yuan * 100;
	t->pol[t->in.npolicies].in_force = in_force;
	t->in.npolicies++;
}

static void
pt_con(pt_t *t, int agent, int64_t at_ms)
{
	t->con[t->in.ncontacts].agent = agent;
	t->con[t->in.ncontacts].at_ms = at_ms;
	t->in.ncontacts++;
}

static const fsy_owner_decision_t *
pt_decide(pt_t *t)
{
	fsy_owner_decide(&t->in, &t->d);
	return &t->d;
}

static void
test_rule1_single_highest_policy(void **state)
{
	(void)state;
	pt_t t;
	pt_init(&t);
	/* a0: 3000 + 3000 (more in sum), a1: one 5000 policy: a1 wins. */
	pt_pol(&t, A0, 3000, 1);
	pt_pol(&t, A0, 3000, 1);
	pt_pol(&t, A1, 5000, 1);
	const fsy_owner_decision_t *d = pt_decide(&t);
	assert_int_equal(d->owner, A1);
	assert_int_equal(d->rule, FSY_OWNER_RULE_PREMIUM);
	assert_int_equal(d->changed, 1);
	assert_int_equal(d->svc, FSY_SVC_REGULAR);
	assert_non_null(strstr(d->reason, "5000.00"));

	/* One fen decides: 5000.01 beats 5000.00, no tie. */
	t.pol[0].annual_premium_fen = 500001;
	d = pt_decide(&t);
	assert_int_equal(d->owner, A0);
	assert_int_equal(d->rule, FSY_OWNER_RULE_PREMIUM);
	assert_int_equal(d->need_contacts, 0);

	/* The current owner who is the rule-1 agent is kept. */
	t.in.owner = A0;
	d = pt_decide(&t);
	assert_int_equal(d->owner, A0);
	assert_int_equal(d->changed, 0);
	assert_int_equal(d->rule, FSY_OWNER_RULE_PREMIUM);
}

static void
test_rule1_ignores_lapsed_and_departed(void **state)
{
	(void)state;
	pt_t t;
	pt_init(&t);
	pt_pol(&t, A0, 90000, 0);  /* lapsed / surrendered: not in force */
	pt_pol(&t, A2, 80000, 1);  /* a2 departed below */
	pt_pol(&t, A1, 1000, 1);
	t.ag[A2].status = FSY_AGENT_DEPARTED;
	const fsy_owner_decision_t *d = pt_decide(&t);
	assert_int_equal(d->owner, A1);
	assert_int_equal(d->rule, FSY_OWNER_RULE_PREMIUM);
	/* a2 (left) and a1 (employed) on in-force policies: non-pure. */
	assert_int_equal(d->svc, FSY_SVC_NONPURE);
	/* a policy with no soliciting agent counts as left too */
	t.pol[2].agent = -1;
	d = pt_decide(&t);
	assert_int_equal(d->svc, FSY_SVC_PURE);
}

static void
test_rule2_tie_most_recent_contact(void **state)
{
	(void)state;
	pt_t t;
	pt_init(&t);
	pt_pol(&t, A0, 5000, 1);
	pt_pol(&t, A1, 5000, 1);
	pt_pol(&t, A3, 4999, 1);
	/* without contacts the decision asks for them */
	const fsy_owner_decision_t *d = pt_decide(&t);
	assert_int_equal(d->need_contacts, 1);

	t.in.have_contacts = 1;
	pt_con(&t, A0, 2000);
	pt_con(&t, A1, 3000);
	pt_con(&t, A3, 9000); /* not tied: its contact does not matter */
	d = pt_decide(&t);
	assert_int_equal(d->need_contacts, 0);
	assert_int_equal(d->owner, A1);
	assert_int_equal(d->rule, FSY_OWNER_RULE_CONTACT);
	assert_int_equal(d->changed, 1);

	/* a later contact by a0 flips it */
	t.con[0].at_ms = 3001;
	assert_int_equal(pt_decide(&t)->owner, A0);

	/* same instant: lowest id */
	t.con[0].at_ms = 3000;
	assert_int_equal(pt_decide(&t)->owner, A0);

	/* nobody contacted: lowest id */
	t.in.ncontacts = 0;
	d = pt_decide(&t);
	assert_int_equal(d->owner, A0);
	assert_non_null(strstr(d->reason, "lowest id"));

	/* a tied current owner keeps the customer, contacts not needed */
	t.in.have_contacts = 0;
	t.in.owner = A1;
	d = pt_decide(&t);
	assert_int_equal(d->need_contacts, 0);
	assert_int_equal(d->owner, A1);
	assert_int_equal(d->changed, 0);
	assert_int_equal(d->rule, FSY_OWNER_RULE_CONTACT);
}

static void
test_rule3_service_staff_of_channel(void **state)
{
	(void)state;
	pt_t t;
	pt_init(&t);
	t.ag[A0].status = FSY_AGENT_DEPARTED;
	t.ag[A2].status = FSY_AGENT_DEPARTED;
	pt_pol(&t, A0, 8000, 1); /* agency: highest */
	pt_pol(&t, A2, 6000, 1); /* bancassurance */
	pt_pol(&t, A2, 5000, 1);
	const fsy_owner_decision_t *d = pt_decide(&t);
	assert_int_equal(d->svc, FSY_SVC_PURE);
	/* agency staff: s0 (workload 5), s1 (3): least workload */
	assert_int_equal(d->owner, S1);
	assert_int_equal(d->rule, FSY_OWNER_RULE_SERVICE);
	assert_int_equal(d->channel, FSY_CHANNEL_AGENCY);

	/* the highest policy decides the channel, not the sum */
	t.pol[0].annual_premium_fen = 600100;
	t.pol[1].annual_premium_fen = 600200;
	d = pt_decide(&t);
	assert_int_equal(d->channel, FSY_CHANNEL_BANCASSURANCE);
	assert_int_equal(d->owner, S2);

	/* equal workload: lowest id */
	t.pol[1].annual_premium_fen = 100;
	t.ag[S0].workload = 3;
	assert_int_equal(pt_decide(&t)->owner, S0);

	/* no staff in the channel: any channel's staff, least workload */
	t.ag[S0].status = FSY_AGENT_DEPARTED;
	t.ag[S1].status = FSY_AGENT_DEPARTED;
	d = pt_decide(&t);
	assert_int_equal(d->owner, S2);
	assert_int_equal(d->rule, FSY_OWNER_RULE_SERVICE);
	assert_non_null(strstr(d->reason, "no service staff in the agency"));

	/* a banned staff member is skipped */
	t.ban[0] = S2;
	t.in.nbanned = 1;
	d = pt_decide(&t);
	assert_int_equal(d->owner, -1);
	assert_int_equal(d->changed, 0); /* was already without an owner */
	assert_non_null(strstr(d->reason, "awaiting manual assignment"));
}

static void
test_rule3_keeps_current_staff(void **state)
{
	(void)state;
	pt_t t;
	pt_init(&t);
	t.ag[A0].status = FSY_AGENT_DEPARTED;
	pt_pol(&t, A0, 8000, 1);
	/* s0 has more work than s1 but already serves the customer */
	t.in.owner = S0;
	const fsy_owner_decision_t *d = pt_decide(&t);
	assert_int_equal(d->owner, S0);
	assert_int_equal(d->changed, 0);
	assert_int_equal(d->rule, FSY_OWNER_RULE_SERVICE);
	/* staff of another channel is moved to the target channel's staff */
	t.in.owner = S2;
	d = pt_decide(&t);
	assert_int_equal(d->owner, S1);
	assert_int_equal(d->changed, 1);
	assert_int_equal(d->rule, FSY_OWNER_RULE_SERVICE);
	/* a field agent owning a pure customer hands it to service staff */
	t.in.owner = A3;
	d = pt_decide(&t);
	assert_int_equal(d->owner, S1);
	assert_int_equal(d->rule, FSY_OWNER_RULE_SERVICE);
}

static void
test_rule4_owner_left(void **state)
{
	(void)state;
	pt_t t;
	pt_init(&t);
	pt_pol(&t, A0, 9000, 1);
	pt_pol(&t, A1, 7000, 1);
	pt_pol(&t, A3, 7000, 0); /* lapsed */
	t.in.owner = A0;
	t.ag[A0].status = FSY_AGENT_DEPARTED;
	const fsy_owner_decision_t *d = pt_decide(&t);
	assert_int_equal(d->owner, A1);
	assert_int_equal(d->rule, FSY_OWNER_RULE_LEFT);
	assert_int_equal(d->basis, FSY_OWNER_RULE_PREMIUM);
	assert_int_equal(d->lost_disqualified, 0);
	assert_non_null(strstr(d->reason, "owner departed; rule 1"));

	/* every agent gone, no staff: orphan, recorded as rule 4 */
	t.ag[A1].status = FSY_AGENT_DEPARTED;
	for (int i = S0; i <= S2; i++)
		t.ag[i].status = FSY_AGENT_DEPARTED;
	d = pt_decide(&t);
	assert_int_equal(d->owner, -1);
	assert_int_equal(d->changed, 1);
	assert_int_equal(d->rule, FSY_OWNER_RULE_LEFT);
	assert_int_equal(d->basis, FSY_OWNER_RULE_SERVICE);
	assert_int_equal(d->svc, FSY_SVC_PURE);

	/* an owner id the roster does not know counts as gone */
	t.ag[A1].status = FSY_AGENT_EMPLOYED;
	t.in.owner = -1;
	t.in.owner_unknown = 1;
	d = pt_decide(&t);
	assert_int_equal(d->owner, A1);
	assert_int_equal(d->rule, FSY_OWNER_RULE_LEFT);
	assert_non_null(strstr(d->reason, "not on the roster"));
}

static void
test_no_policy_customer(void **state)
{
	(void)state;
	pt_t t;
	pt_init(&t);
	pt_pol(&t, A1, 5000, 0); /* only a lapsed policy */
	t.in.owner = A0;         /* e.g. a prospect from a referral */
	const fsy_owner_decision_t *d = pt_decide(&t);
	assert_int_equal(d->svc, FSY_SVC_NONE);
	assert_int_equal(d->owner, A0);
	assert_int_equal(d->changed, 0);
	assert_int_equal(d->rule, FSY_OWNER_RULE_NONE);
	/* its owner leaves: no service order, so awaiting manual assignment */
	t.ag[A0].status = FSY_AGENT_DEPARTED;
	d = pt_decide(&t);
	assert_int_equal(d->owner, -1);
	assert_int_equal(d->changed, 1);
	assert_int_equal(d->rule, FSY_OWNER_RULE_LEFT);
}

static void
test_rule5_disqualified_top_performer(void **state)
{
	(void)state;
	pt_t t;
	pt_init(&t);
	pt_pol(&t, A0, 9000, 1);
	pt_pol(&t, A2, 1000, 1);
	t.in.owner = A0;
	t.ag[A0].status = FSY_AGENT_DISQUALIFIED;
	/* team t1: a1 (70) and a3 (60): a1 */
	const fsy_owner_decision_t *d = pt_decide(&t);
	assert_int_equal(d->owner, A1);
	assert_int_equal(d->rule, FSY_OWNER_RULE_DISQUALIFIED);
	assert_int_equal(d->lost_disqualified, 1);
	assert_non_null(strstr(d->reason, "top performer of the team"));

	/* a1 banned from this customer: a3 */
	t.ban[0] = A1;
	t.in.nbanned = 1;
	assert_int_equal(pt_decide(&t)->owner, A3);

	/* equal performance: least workload, then lowest id */
	t.in.nbanned = 0;
	t.ag[A3].performance = 70;
	t.ag[A1].workload = 4;
	assert_int_equal(pt_decide(&t)->owner, A3);

	/* nobody left in the team: the branch (a2, 90; staff score 0) */
	t.ag[A1].status = FSY_AGENT_DEPARTED;
	t.ag[A3].status = FSY_AGENT_DEPARTED;
	d = pt_decide(&t);
	assert_int_equal(d->owner, A2);
	assert_int_equal(d->rule, FSY_OWNER_RULE_DISQUALIFIED);
	assert_non_null(strstr(d->reason, "of the branch"));

	/* no team, no branch: rules 1-3 (a2 by rule 1), recorded as 4,
	 * and the disqualified owner still loses it for misconduct */
	t.ag[A0].team_id = NULL;
	t.ag[A0].branch_id = NULL;
	d = pt_decide(&t);
	assert_int_equal(d->owner, A2);
	assert_int_equal(d->rule, FSY_OWNER_RULE_LEFT);
	assert_int_equal(d->basis, FSY_OWNER_RULE_PREMIUM);
	assert_int_equal(d->lost_disqualified, 1);

	/* an employed owner who is banned for this customer loses it too */
	pt_init(&t);
	pt_pol(&t, A0, 9000, 1);
	t.in.owner = A0;
	t.ban[0] = A0;
	t.in.nbanned = 1;
	d = pt_decide(&t);
	assert_int_equal(d->owner, A1);
	assert_int_equal(d->rule, FSY_OWNER_RULE_DISQUALIFIED);
}

static void
test_banned_never_chosen_by_rules(void **state)
{
	(void)state;
	pt_t t;
	pt_init(&t);
	pt_pol(&t, A0, 9000, 1);
	pt_pol(&t, A1, 100, 1);
	t.ban[0] = A0;
	t.in.nbanned = 1;
	const fsy_owner_decision_t *d = pt_decide(&t);
	assert_int_equal(d->owner, A1);
	assert_int_equal(d->rule, FSY_OWNER_RULE_PREMIUM);
	/* only a banned agent employed: rule 3 (classification still says
	 * an employed agent exists) */
	t.in.npolicies = 1;
	d = pt_decide(&t);
	assert_int_equal(d->svc, FSY_SVC_REGULAR);
	assert_int_equal(d->rule, FSY_OWNER_RULE_SERVICE);
	assert_int_equal(d->owner, S1);
}

static void
test_rule6_pinned_until_owner_leaves(void **state)
{
	(void)state;
	pt_t t;
	pt_init(&t);
	pt_pol(&t, A0, 9000, 1);
	t.in.owner = A2;
	t.in.owner_rule = FSY_OWNER_RULE_OVERRIDE;
	const fsy_owner_decision_t *d = pt_decide(&t);
	assert_int_equal(d->owner, A2);
	assert_int_equal(d->changed, 0);
	assert_int_equal(d->rule, FSY_OWNER_RULE_OVERRIDE);
	/* a rule-5 pick is pinned the same way */
	t.in.owner_rule = FSY_OWNER_RULE_DISQUALIFIED;
	assert_int_equal(pt_decide(&t)->changed, 0);
	/* a rule-1 owner is not */
	t.in.owner_rule = FSY_OWNER_RULE_PREMIUM;
	d = pt_decide(&t);
	assert_int_equal(d->owner, A0);
	assert_int_equal(d->rule, FSY_OWNER_RULE_PREMIUM);
	/* the pinned owner leaves: rules again */
	t.in.owner_rule = FSY_OWNER_RULE_OVERRIDE;
	t.ag[A2].status = FSY_AGENT_DEPARTED;
	d = pt_decide(&t);
	assert_int_equal(d->owner, A0);
	assert_int_equal(d->rule, FSY_OWNER_RULE_LEFT);
	/* the pinned owner is disqualified: rule 5 */
	t.ag[A2].status = FSY_AGENT_DISQUALIFIED;
	d = pt_decide(&t);
	/* a2 is alone in team t2: the branch's best, a1 (70) */
	assert_int_equal(d->rule, FSY_OWNER_RULE_DISQUALIFIED);
	assert_int_equal(d->owner, A1);
}

static void
test_classify(void **state)
{
	(void)state;
	pt_t t;
	pt_init(&t);
	assert_int_equal(fsy_owner_classify(t.ag, t.pol, 0), FSY_SVC_NONE);
	pt_pol(&t, A0, 10, 1);
	pt_pol(&t, A1, 10, 1);
	assert_int_equal(fsy_owner_classify(t.ag, t.pol, 2), FSY_SVC_REGULAR);
	t.ag[A1].status = FSY_AGENT_DEPARTED;
	assert_int_equal(fsy_owner_classify(t.ag, t.pol, 2), FSY_SVC_NONPURE);
	t.ag[A0].status = FSY_AGENT_DISQUALIFIED;
	assert_int_equal(fsy_owner_classify(t.ag, t.pol, 2), FSY_SVC_PURE);
	t.pol[0].in_force = 0;
	t.pol[1].in_force = 0;
	assert_int_equal(fsy_owner_classify(t.ag, t.pol, 2), FSY_SVC_NONE);
	assert_int_equal(fsy_channel_parse("bancassurance"), FSY_CHANNEL_BANCASSURANCE);
	assert_int_equal(fsy_channel_parse("nope"), -1);
	assert_int_equal(fsy_agent_status_parse("disqualified"), FSY_AGENT_DISQUALIFIED);
	assert_int_equal(fsy_agent_role_parse("renewal"), FSY_AGENT_ROLE_RENEWAL);
	assert_int_equal(fsy_agent_role_parse(NULL), -1);
}

/* ---- hub ------------------------------------------------------------------- */

static char errbuf[512];

/* Branch b1 with teams t1, t2; field agents and service staff. */
static fsy_store_t *
hub_fixture(const char *name)
{
	fsy_store_t *st = tu_open(name, FSY_ROLE_HUB, NULL);
	tu_exec(st,
	    "INSERT INTO branch(id, code, name) VALUES ('b1', 'B1', 'Branch');"
	    "INSERT INTO team(id, branch_id, code, name) VALUES "
	    " ('t1', 'b1', 'T1', 'Team 1'), ('t2', 'b1', 'T2', 'Team 2');"
	    "INSERT INTO agent(id, code, name, team_id, role, channel, "
	    " performance) VALUES "
	    " ('a0', 'A0', 'Agent 0', 't1', 'agent', 'agency', 50),"
	    " ('a1', 'A1', 'Agent 1', 't1', 'agent', 'agency', 70),"
	    " ('a2', 'A2', 'Agent 2', 't2', 'agent', 'bancassurance', 90),"
	    " ('a3', 'A3', 'Agent 3', 't1', 'lead', 'agency', 60),"
	    " ('s0', 'S0', 'Staff 0', NULL, 'service', 'agency', 0),"
	    " ('s1', 'S1', 'Staff 1', NULL, 'renewal', 'agency', 0);");
	return st;
}

static void
add_customer(fsy_store_t *st, const char *id, const char *owner)
{
	char sql[256];
	snprintf(sql, sizeof(sql), "INSERT INTO customer(id, customer_id, name, "
	    "owner_agent_id) VALUES ('%s', '%s', '王伟', %s%s%s)", id, id,
	    owner ? "'" : "", owner ? owner : "NULL", owner ? "'" : "");
	tu_exec(st, sql);
}

static void
add_policy(fsy_store_t *st, const char *cust, const char *agent,
    int64_t yuan, const char *status)
{
	char sql[320], id[FSY_UUID_STRLEN + 1];
	fsy_uuid_v7(id);
	snprintf(sql, sizeof(sql), "INSERT INTO policy(id, customer_id, "
	    "soliciting_agent_id, annual_premium_fen, status) VALUES "
	    "('%s', '%s', '%s', %lld, '%s')", id, cust, agent,
	    (long long)(yuan * 100), status);
	tu_exec(st, sql);
}

static const char *
owner_of(fsy_store_t *st, const char *cust)
{
	char sql[128];
	snprintf(sql, sizeof(sql), "SELECT owner_agent_id FROM customer "
	    "WHERE id = '%s'", cust);
	return tu_text(st, sql);
}

static int64_t
nhist(fsy_store_t *st)
{
	return tu_int(st, "SELECT count(*) FROM ownership_history");
}

static void
test_hub_recompute_and_history(void **state)
{
	(void)state;
	fsy_store_t *st = hub_fixture("r.db");
	fsy_owner_stats_t s;

	add_customer(st, "0190e000-0000-7000-8000-000000006331", NULL);
	add_policy(st, "0190e000-0000-7000-8000-000000006331", "a0", 3000, "inforce");
	add_policy(st, "0190e000-0000-7000-8000-000000006331", "a0", 3000, "inforce");
	add_policy(st, "0190e000-0000-7000-8000-000000006331", "a1", 5000, "grace");     /* grace is in force */
	add_policy(st, "0190e000-0000-7000-8000-000000006331", "a3", 90000, "lapsed");   /* ignored */
	add_policy(st, "0190e000-0000-7000-8000-000000006331", "a3", 80000, "surrendered");
	add_customer(st, "0190e000-0000-7000-8000-000000006332", NULL);                  /* a tie: rule 2 */
	add_policy(st, "0190e000-0000-7000-8000-000000006332", "a0", 2000, "inforce");
	add_policy(st, "0190e000-0000-7000-8000-000000006332", "a1", 2000, "inforce");
	tu_exec(st, "INSERT INTO visit(id, customer_id, agent_id, happened_at) "
	    "VALUES ('0190e000-0000-7000-8000-000000007631', '0190e000-0000-7000-8000-000000006332', 'a0', '2024-03-01T10:00:00Z'),"
	    " ('0190e000-0000-7000-8000-000000007632', '0190e000-0000-7000-8000-000000006332', 'a1', '2024-02-01T10:00:00Z'),"
	    " ('0190e000-0000-7000-8000-000000007633', '0190e000-0000-7000-8000-000000006332', 'a1', '2024-03-01T09:59:59Z')");
	add_customer(st, "0190e000-0000-7000-8000-000000006333", "a2");                  /* already right */
	add_policy(st, "0190e000-0000-7000-8000-000000006333", "a2", 100, "inforce");

	int64_t gseq0 = tu_int(st, "SELECT max(gseq) FROM col_version");
	assert_int_equal(fsy_owner_recompute(st, NULL, NULL, &s, errbuf,
	    sizeof(errbuf)), FSY_OK);
	assert_int_equal(s.examined, 3);
	assert_int_equal(s.changed, 2);
	assert_int_equal(s.by_rule[1], 1);
	assert_int_equal(s.by_rule[2], 1);
	assert_int_equal(s.contact_lookups, 1);
	assert_string_equal(owner_of(st, "0190e000-0000-7000-8000-000000006331"), "a1");
	assert_string_equal(owner_of(st, "0190e000-0000-7000-8000-000000006332"), "a0");
	assert_string_equal(owner_of(st, "0190e000-0000-7000-8000-000000006333"), "a2");
	/* one history row per change, with from/to/rule/by */
	assert_int_equal(nhist(st), 2);
	assert_int_equal(tu_int(st, "SELECT count(*) FROM ownership_history "
	    "WHERE customer_id = '0190e000-0000-7000-8000-000000006331' AND from_agent_id IS NULL AND "
	    "to_agent_id = 'a1' AND rule = '1' AND by = 'rules' AND "
	    "reason LIKE 'rule 1:%5000.00%'"), 1);
	assert_int_equal(tu_int(st, "SELECT count(*) FROM ownership_history "
	    "WHERE customer_id = '0190e000-0000-7000-8000-000000006332' AND to_agent_id = 'a0' AND rule = '2'"), 1);
	/* a first assignment from nobody leaves owner_since empty: the
	 * agent has served the customer all along (no first contact) */
	assert_int_equal(tu_int(st, "SELECT count(*) FROM customer WHERE "
	    "owner_since IS NULL AND id IN ('0190e000-0000-7000-8000-000000006331', '0190e000-0000-7000-8000-000000006332')"), 2);
	/* the owner change replicates: owner_agent_id of c1 and c2, two new
	 * versions in col_version */
	int64_t gseq1 = tu_int(st, "SELECT max(gseq) FROM col_version");
	assert_int_equal(gseq1 - gseq0, 2);

	/* a second run changes nothing and writes nothing */
	assert_int_equal(fsy_owner_recompute(st, NULL, "ops", &s, errbuf,
	    sizeof(errbuf)), FSY_OK);
	assert_int_equal(s.changed, 0);
	assert_int_equal(nhist(st), 2);
	assert_int_equal(tu_int(st, "SELECT max(gseq) FROM col_version"), gseq1);

	/* a new, higher policy moves c1 by rule 1 (single customer) */
	add_policy(st, "0190e000-0000-7000-8000-000000006331", "a3", 5001, "inforce");
	assert_int_equal(fsy_owner_recompute(st, "0190e000-0000-7000-8000-000000006331", "ops", &s, errbuf,
	    sizeof(errbuf)), FSY_OK);
	assert_int_equal(s.examined, 1);
	assert_int_equal(s.changed, 1);
	assert_string_equal(owner_of(st, "0190e000-0000-7000-8000-000000006331"), "a3");
	assert_string_equal(tu_text(st, "SELECT from_agent_id || '>' || "
	    "to_agent_id || ':' || rule || ':' || by FROM ownership_history "
	    "ORDER BY id DESC LIMIT 1"), "a1>a3:1:ops");

	/* unknown customer, and a replica store */
	assert_int_equal(fsy_owner_recompute(st, "nope", NULL, &s, errbuf,
	    sizeof(errbuf)), FSY_ENOTFOUND);
	assert_non_null(strstr(errbuf, "nope"));
	fsy_store_t *ag = tu_open("agent.db", FSY_ROLE_AGENT, NULL);
	assert_int_equal(fsy_owner_recompute(ag, NULL, NULL, NULL, errbuf,
	    sizeof(errbuf)), FSY_ESTATE);
	fsy_store_close(ag);
	fsy_store_close(st);
}

static void
test_hub_depart_rule4(void **state)
{
	(void)state;
	fsy_store_t *st = hub_fixture("d.db");
	fsy_owner_stats_t s;

	add_customer(st, "0190e000-0000-7000-8000-000000006331", NULL);
	add_policy(st, "0190e000-0000-7000-8000-000000006331", "a0", 9000, "inforce");
	add_policy(st, "0190e000-0000-7000-8000-000000006331", "a1", 7000, "inforce");
	add_customer(st, "0190e000-0000-7000-8000-000000006332", NULL);
	add_policy(st, "0190e000-0000-7000-8000-000000006332", "a0", 9000, "inforce");
	add_customer(st, "0190e000-0000-7000-8000-000000006333", NULL);            /* not a0's: untouched */
	add_policy(st, "0190e000-0000-7000-8000-000000006333", "a1", 100, "inforce");
	add_policy(st, "0190e000-0000-7000-8000-000000006333", "a0", 50, "inforce");
	assert_int_equal(fsy_owner_recompute(st, NULL, NULL, NULL, errbuf,
	    sizeof(errbuf)), FSY_OK);
	assert_string_equal(owner_of(st, "0190e000-0000-7000-8000-000000006331"), "a0");
	assert_string_equal(owner_of(st, "0190e000-0000-7000-8000-000000006332"), "a0");
	assert_string_equal(owner_of(st, "0190e000-0000-7000-8000-000000006333"), "a1");
	int64_t h = nhist(st);

	/* bad date: refused, nothing changes */
	assert_int_equal(fsy_owner_agent_depart(st, "a0", "2024-13-01", "hr",
	    &s, errbuf, sizeof(errbuf)), FSY_EINVAL);
	assert_non_null(strstr(errbuf, "2024-13-01"));
	assert_string_equal(tu_text(st, "SELECT status FROM agent WHERE id = 'a0'"),
	    "employed");
	assert_int_equal(fsy_owner_agent_depart(st, "zz", NULL, "hr", &s,
	    errbuf, sizeof(errbuf)), FSY_ENOTFOUND);

	assert_int_equal(fsy_owner_agent_depart(st, "a0", "2024-06-30", "hr",
	    &s, errbuf, sizeof(errbuf)), FSY_OK);
	assert_string_equal(tu_text(st, "SELECT status || ' ' || left_on FROM "
	    "agent WHERE id = 'a0'"), "departed 2024-06-30");
	assert_int_equal(s.examined, 2);
	assert_int_equal(s.changed, 2);
	assert_int_equal(s.by_rule[4], 2);
	/* c1: re-run over the remaining agents → a1 */
	assert_string_equal(owner_of(st, "0190e000-0000-7000-8000-000000006331"), "a1");
	/* c2: pure service order → agency staff, least workload (s0, s1 both
	 * 0 → s0) */
	assert_string_equal(owner_of(st, "0190e000-0000-7000-8000-000000006332"), "s0");
	assert_string_equal(owner_of(st, "0190e000-0000-7000-8000-000000006333"), "a1");
	assert_int_equal(nhist(st), h + 2);
	assert_int_equal(tu_int(st, "SELECT count(*) FROM ownership_history "
	    "WHERE from_agent_id = 'a0' AND rule = '4' AND by = 'hr'"), 2);
	assert_int_equal(tu_int(st, "SELECT count(*) FROM ownership_history "
	    "WHERE customer_id = '0190e000-0000-7000-8000-000000006332' AND reason LIKE 'rule 4: owner departed; "
	    "rule 3:%'"), 1);
	assert_int_equal(tu_int(st, "SELECT count(*) FROM audit WHERE "
	    "action = 'agent.depart' AND actor = 'hr'"), 1);

	/* classification after the departure */
	fsy_owner_summary_t sum;
	assert_int_equal(fsy_owner_summary(st, &sum, errbuf, sizeof(errbuf)),
	    FSY_OK);
	assert_int_equal(sum.customers, 3);
	assert_int_equal(sum.pure, 1);    /* c2 */
	assert_int_equal(sum.nonpure, 2); /* c1, c3 */
	assert_int_equal(sum.regular, 0);
	fsy_store_close(st);
}

static void
test_hub_workload_balancing_and_orphans(void **state)
{
	(void)state;
	fsy_store_t *st = hub_fixture("w.db");
	fsy_owner_stats_t s;
	char id[40];

	tu_exec(st, "UPDATE agent SET status = 'departed' WHERE id = 'a0'");
	/* s1 already serves one (no-policy customer: kept) */
	add_customer(st, "0190e000-0000-7000-8000-000000006330", "s1");
	for (int i = 1; i <= 4; i++) {
		snprintf(id, sizeof(id), "0190e000-0000-7000-8000-0000000063%02x", 0x30 + i);
		add_customer(st, id, NULL);
		add_policy(st, id, "a0", 1000 * i, "inforce");
	}
	assert_int_equal(fsy_owner_recompute(st, NULL, NULL, &s, errbuf,
	    sizeof(errbuf)), FSY_OK);
	/* s0 0, s1 1 → c1 s0; tie 1:1 → c2 s0; c3 s1; tie 2:2 → c4 s0 */
	assert_string_equal(owner_of(st, "0190e000-0000-7000-8000-000000006330"), "s1");
	assert_string_equal(owner_of(st, "0190e000-0000-7000-8000-000000006331"), "s0");
	assert_string_equal(owner_of(st, "0190e000-0000-7000-8000-000000006332"), "s0");
	assert_string_equal(owner_of(st, "0190e000-0000-7000-8000-000000006333"), "s1");
	assert_string_equal(owner_of(st, "0190e000-0000-7000-8000-000000006334"), "s0");
	assert_int_equal(s.by_rule[3], 4);

	/* both staff leave: every agent of c1..c4 gone, no staff → orphans */
	assert_int_equal(fsy_owner_agent_depart(st, "s0", "2024-01-31", NULL,
	    &s, errbuf, sizeof(errbuf)), FSY_OK);
	assert_int_equal(fsy_owner_agent_depart(st, "s1", "2024-01-31", NULL,
	    &s, errbuf, sizeof(errbuf)), FSY_OK);
	fsy_owner_summary_t sum;
	assert_int_equal(fsy_owner_summary(st, &sum, errbuf, sizeof(errbuf)),
	    FSY_OK);
	assert_int_equal(sum.customers, 5);
	assert_int_equal(sum.orphans, 5);
	assert_int_equal(sum.owned, 0);
	assert_int_equal(sum.pure, 4);
	assert_int_equal(sum.no_policy, 1);
	assert_int_equal(tu_int(st, "SELECT count(*) FROM customer WHERE "
	    "owner_since IS NULL"), 5);
	assert_int_equal(tu_int(st, "SELECT count(*) FROM ownership_history "
	    "WHERE to_agent_id IS NULL AND rule = '4' AND "
	    "reason LIKE '%awaiting manual assignment%'"), 5);

	/* a new service staff member: a recompute picks the orphans up */
	tu_exec(st, "INSERT INTO agent(id, code, name, role, channel) VALUES "
	    "('s9', 'S9', 'Staff 9', 'service', 'bancassurance')");
	assert_int_equal(fsy_owner_recompute(st, NULL, NULL, &s, errbuf,
	    sizeof(errbuf)), FSY_OK);
	assert_int_equal(s.changed, 4); /* c0 has no policy: stays orphan */
	assert_int_equal(s.orphans, 1);
	assert_string_equal(owner_of(st, "0190e000-0000-7000-8000-000000006334"), "s9");
	fsy_store_close(st);
}

static void
test_hub_disqualify_and_ban(void **state)
{
	(void)state;
	fsy_store_t *st = hub_fixture("q.db");
	fsy_owner_stats_t s;

	add_customer(st, "0190e000-0000-7000-8000-000000006331", NULL);
	add_policy(st, "0190e000-0000-7000-8000-000000006331", "a0", 9000, "inforce");
	add_policy(st, "0190e000-0000-7000-8000-000000006331", "a3", 8000, "inforce");
	add_customer(st, "0190e000-0000-7000-8000-000000006332", NULL);             /* a0 solicited, not owner */
	add_policy(st, "0190e000-0000-7000-8000-000000006332", "a1", 9000, "inforce");
	add_policy(st, "0190e000-0000-7000-8000-000000006332", "a0", 100, "inforce");
	assert_int_equal(fsy_owner_recompute(st, NULL, NULL, NULL, errbuf,
	    sizeof(errbuf)), FSY_OK);
	assert_string_equal(owner_of(st, "0190e000-0000-7000-8000-000000006331"), "a0");

	/* a reason is required */
	assert_int_equal(fsy_owner_agent_disqualify(st, "a0", "", "ops", &s,
	    errbuf, sizeof(errbuf)), FSY_EINVAL);
	assert_string_equal(tu_text(st, "SELECT status FROM agent WHERE id = 'a0'"),
	    "employed");

	assert_int_equal(fsy_owner_agent_disqualify(st, "a0",
	    "sold customer data", "ops", &s, errbuf, sizeof(errbuf)), FSY_OK);
	assert_int_equal(s.changed, 1);
	assert_int_equal(s.by_rule[5], 1);
	assert_string_equal(tu_text(st, "SELECT status || ':' || status_reason "
	    "FROM agent WHERE id = 'a0'"), "disqualified:sold customer data");
	/* team t1 top performer: a1 (70) over a3 (60) */
	assert_string_equal(owner_of(st, "0190e000-0000-7000-8000-000000006331"), "a1");
	assert_int_equal(tu_int(st, "SELECT count(*) FROM owner_ban WHERE "
	    "customer_id = '0190e000-0000-7000-8000-000000006331' AND agent_id = 'a0' AND "
	    "reason = 'sold customer data'"), 1);
	assert_int_equal(tu_int(st, "SELECT count(*) FROM owner_ban"), 1);
	assert_string_equal(tu_text(st, "SELECT rule || ':' || from_agent_id FROM "
	    "ownership_history ORDER BY id DESC LIMIT 1"), "5:a0");
	assert_int_equal(tu_int(st, "SELECT count(*) FROM audit WHERE "
	    "action = 'agent.disqualify'"), 1);

	/* the rule-5 pick is pinned: a3's higher policy does not move it */
	assert_int_equal(fsy_owner_recompute(st, NULL, NULL, &s, errbuf,
	    sizeof(errbuf)), FSY_OK);
	assert_int_equal(s.changed, 0);
	assert_string_equal(owner_of(st, "0190e000-0000-7000-8000-000000006331"), "a1");

	/* a0 rehired: never re-assigned c1, even by rule 1 or by hand */
	tu_exec(st, "UPDATE agent SET status = 'employed' WHERE id = 'a0'");
	assert_int_equal(fsy_owner_agent_depart(st, "a1", NULL, NULL, &s,
	    errbuf, sizeof(errbuf)), FSY_OK);
	assert_string_equal(owner_of(st, "0190e000-0000-7000-8000-000000006331"), "a3");   /* not a0 (9000) */
	assert_string_equal(owner_of(st, "0190e000-0000-7000-8000-000000006332"), "a0");   /* not banned there */
	int64_t h = nhist(st);
	assert_int_equal(fsy_owner_assign(st, "0190e000-0000-7000-8000-000000006331", "a0", "customer asked",
	    "ops", errbuf, sizeof(errbuf)), FSY_EDISQUALIFIED);
	assert_non_null(strstr(errbuf, "banned"));
	assert_non_null(strstr(errbuf, "sold customer data"));
	assert_int_equal(nhist(st), h);
	assert_string_equal(owner_of(st, "0190e000-0000-7000-8000-000000006331"), "a3");

	fsy_owner_summary_t sum;
	assert_int_equal(fsy_owner_summary(st, &sum, errbuf, sizeof(errbuf)),
	    FSY_OK);
	assert_int_equal(sum.bans, 1);

	/* disqualified elsewhere (roster import sets the status): the next
	 * recompute applies rule 5 and writes the ban with the agent's reason */
	tu_exec(st, "UPDATE agent SET status = 'disqualified', status_reason = "
	    "'kept customer gifts' WHERE id = 'a0'");
	assert_int_equal(fsy_owner_recompute(st, NULL, NULL, &s, errbuf,
	    sizeof(errbuf)), FSY_OK);
	assert_int_equal(s.changed, 1);
	assert_int_equal(s.by_rule[5], 1);
	assert_string_equal(owner_of(st, "0190e000-0000-7000-8000-000000006332"), "a3"); /* t1: a1 gone, a3 */
	assert_int_equal(tu_int(st, "SELECT count(*) FROM owner_ban WHERE "
	    "customer_id = '0190e000-0000-7000-8000-000000006332' AND agent_id = 'a0' AND "
	    "reason = 'kept customer gifts'"), 1);
	assert_int_equal(tu_int(st, "SELECT count(*) FROM owner_ban"), 2);
	fsy_store_close(st);
}

static void
test_hub_override(void **state)
{
	(void)state;
	fsy_store_t *st = hub_fixture("o.db");
	fsy_owner_stats_t s;

	add_customer(st, "0190e000-0000-7000-8000-000000006331", NULL);
	add_policy(st, "0190e000-0000-7000-8000-000000006331", "a0", 9000, "inforce");
	add_customer(st, "0190e000-0000-7000-8000-000000006332", NULL);
	add_policy(st, "0190e000-0000-7000-8000-000000006332", "a1", 10, "inforce");
	assert_int_equal(fsy_owner_recompute(st, NULL, NULL, NULL, errbuf,
	    sizeof(errbuf)), FSY_OK);
	int64_t h = nhist(st);

	/* refusals change nothing */
	assert_int_equal(fsy_owner_assign(st, "0190e000-0000-7000-8000-000000006331", "a2", NULL, "ops", errbuf,
	    sizeof(errbuf)), FSY_EINVAL);
	assert_non_null(strstr(errbuf, "reason"));
	assert_int_equal(fsy_owner_assign(st, "0190e000-0000-7000-8000-000000006331", "zz", "x", "ops", errbuf,
	    sizeof(errbuf)), FSY_ENOTFOUND);
	assert_int_equal(fsy_owner_assign(st, "cX", "a2", "x", "ops", errbuf,
	    sizeof(errbuf)), FSY_ENOTFOUND);
	tu_exec(st, "UPDATE agent SET status = 'departed' WHERE id = 's1'");
	assert_int_equal(fsy_owner_assign(st, "0190e000-0000-7000-8000-000000006331", "s1", "x", "ops", errbuf,
	    sizeof(errbuf)), FSY_ESTATE);
	assert_non_null(strstr(errbuf, "departed"));
	assert_int_equal(nhist(st), h);
	assert_string_equal(owner_of(st, "0190e000-0000-7000-8000-000000006331"), "a0");

	assert_int_equal(fsy_owner_assign(st, "0190e000-0000-7000-8000-000000006331", "a2",
	    "customer moved to the bank branch", "ops:li", errbuf,
	    sizeof(errbuf)), FSY_OK);
	assert_string_equal(owner_of(st, "0190e000-0000-7000-8000-000000006331"), "a2");
	assert_string_equal(tu_text(st, "SELECT from_agent_id || '>' || "
	    "to_agent_id || ':' || rule || ':' || by || ':' || reason FROM "
	    "ownership_history ORDER BY id DESC LIMIT 1"),
	    "a0>a2:6:ops:li:customer moved to the bank branch");
	assert_int_equal(tu_int(st, "SELECT count(*) FROM audit WHERE "
	    "action = 'owner.override' AND actor = 'ops:li'"), 1);

	/* kept by recomputes although a0 has the highest policy */
	assert_int_equal(fsy_owner_recompute(st, NULL, NULL, &s, errbuf,
	    sizeof(errbuf)), FSY_OK);
	assert_int_equal(s.changed, 0);
	assert_string_equal(owner_of(st, "0190e000-0000-7000-8000-000000006331"), "a2");
	fsy_owner_summary_t sum;
	assert_int_equal(fsy_owner_summary(st, &sum, errbuf, sizeof(errbuf)),
	    FSY_OK);
	assert_int_equal(sum.by_rule[6], 1);
	assert_int_equal(sum.by_rule[1], 1);
	assert_int_equal(sum.owned, 2);

	/* pinning the current owner: history row, no customer write */
	int64_t g = tu_int(st, "SELECT max(gseq) FROM col_version");
	assert_int_equal(fsy_owner_assign(st, "0190e000-0000-7000-8000-000000006332", "a1", "keep a1", "ops",
	    errbuf, sizeof(errbuf)), FSY_OK);
	assert_int_equal(tu_int(st, "SELECT max(gseq) FROM col_version"), g);
	add_policy(st, "0190e000-0000-7000-8000-000000006332", "a3", 99, "inforce");
	assert_int_equal(fsy_owner_recompute(st, "0190e000-0000-7000-8000-000000006332", NULL, &s, errbuf,
	    sizeof(errbuf)), FSY_OK);
	assert_string_equal(owner_of(st, "0190e000-0000-7000-8000-000000006332"), "a1");

	/* the override holds until its owner leaves: then rules again */
	assert_int_equal(fsy_owner_agent_depart(st, "a2", "2024-05-01", NULL,
	    &s, errbuf, sizeof(errbuf)), FSY_OK);
	assert_string_equal(owner_of(st, "0190e000-0000-7000-8000-000000006331"), "a0");
	assert_string_equal(tu_text(st, "SELECT rule FROM ownership_history "
	    "WHERE customer_id = '0190e000-0000-7000-8000-000000006331' ORDER BY id DESC LIMIT 1"), "4");
	/* a later change by rules ends the pin: a rule-1 owner again */
	assert_int_equal(fsy_owner_summary(st, &sum, errbuf, sizeof(errbuf)),
	    FSY_OK);
	assert_int_equal(sum.by_rule[6], 1); /* c2's pin */
	assert_int_equal(sum.by_rule[4], 1);

	/* inside a caller's transaction: a savepoint, rolled back with it */
	h = nhist(st);
	tu_exec(st, "BEGIN");
	assert_int_equal(fsy_owner_assign(st, "0190e000-0000-7000-8000-000000006331", "a3", "trial", "ops",
	    errbuf, sizeof(errbuf)), FSY_OK);
	assert_string_equal(owner_of(st, "0190e000-0000-7000-8000-000000006331"), "a3");
	tu_exec(st, "ROLLBACK");
	assert_string_equal(owner_of(st, "0190e000-0000-7000-8000-000000006331"), "a0");
	assert_int_equal(nhist(st), h);
	fsy_store_close(st);
}

static void
test_hub_summary_counts(void **state)
{
	(void)state;
	fsy_store_t *st = hub_fixture("s.db");
	fsy_owner_summary_t sum;

	tu_exec(st, "UPDATE agent SET status = 'departed' WHERE id = 'a2'");
	add_customer(st, "0190e000-0000-7000-8000-000000006331", NULL);  /* regular */
	add_policy(st, "0190e000-0000-7000-8000-000000006331", "a0", 100, "inforce");
	add_customer(st, "0190e000-0000-7000-8000-000000006332", NULL);  /* non-pure */
	add_policy(st, "0190e000-0000-7000-8000-000000006332", "a0", 100, "inforce");
	add_policy(st, "0190e000-0000-7000-8000-000000006332", "a2", 200, "inforce");
	add_customer(st, "0190e000-0000-7000-8000-000000006333", NULL);  /* pure */
	add_policy(st, "0190e000-0000-7000-8000-000000006333", "a2", 100, "inforce");
	add_customer(st, "0190e000-0000-7000-8000-000000006334", NULL);  /* no counting policy */
	add_policy(st, "0190e000-0000-7000-8000-000000006334", "a2", 100, "lapsed");
	add_customer(st, "0190e000-0000-7000-8000-000000006335", NULL);  /* deleted: not counted */
	add_policy(st, "0190e000-0000-7000-8000-000000006335", "a0", 100, "inforce");
	tu_exec(st, "UPDATE customer SET deleted = 1 WHERE id = '0190e000-0000-7000-8000-000000006335'");
	/* external and deleted policies do not count */
	tu_exec(st, "INSERT INTO policy(id, customer_id, external, "
	    "soliciting_agent_id, annual_premium_fen, status) VALUES "
	    "('0190e000-0000-7000-8000-000000007078', '0190e000-0000-7000-8000-000000006331', 1, 'a2', 999999, 'inforce')");
	tu_exec(st, "INSERT INTO policy(id, customer_id, deleted, "
	    "soliciting_agent_id, annual_premium_fen, status) VALUES "
	    "('0190e000-0000-7000-8000-000000007064', '0190e000-0000-7000-8000-000000006331', 1, 'a2', 999999, 'inforce')");

	assert_int_equal(fsy_owner_recompute(st, NULL, NULL, NULL, errbuf,
	    sizeof(errbuf)), FSY_OK);
	assert_int_equal(fsy_owner_summary(st, &sum, errbuf, sizeof(errbuf)),
	    FSY_OK);
	assert_int_equal(sum.customers, 4);
	assert_int_equal(sum.regular, 1);
	assert_int_equal(sum.nonpure, 1);
	assert_int_equal(sum.pure, 1);
	assert_int_equal(sum.no_policy, 1);
	assert_int_equal(sum.owned, 3);    /* c4: awaiting assignment */
	assert_int_equal(sum.orphans, 1);
	assert_int_equal(sum.by_rule[1], 2);
	assert_int_equal(sum.by_rule[3], 1);
	assert_int_equal(sum.by_rule[0], 0);
	assert_string_equal(owner_of(st, "0190e000-0000-7000-8000-000000006331"), "a0");
	assert_string_equal(owner_of(st, "0190e000-0000-7000-8000-000000006332"), "a0");
	assert_string_equal(owner_of(st, "0190e000-0000-7000-8000-000000006333"), "s0");
	/* an owner set elsewhere (import) counts under [0] */
	tu_exec(st, "UPDATE customer SET owner_agent_id = 'a3' WHERE id = '0190e000-0000-7000-8000-000000006334'");
	assert_int_equal(fsy_owner_summary(st, &sum, errbuf, sizeof(errbuf)),
	    FSY_OK);
	assert_int_equal(sum.by_rule[0], 1);
	fsy_store_close(st);
}

/* Scale: N customers (FSY_OWNER_BENCH_N, default 20000) with three policies
 * each, first assignment then a no-op recompute. */
static void
test_hub_scale(void **state)
{
	(void)state;
	fsy_store_t *st = hub_fixture("big.db");
	fsy_owner_stats_t s;
	const char *env = getenv("FSY_OWNER_BENCH_N");
	long n = env ? strtol(env, NULL, 10) : 20000;
	char sql[1024];
	struct timespec t0, t1, t2;

	tu_exec(st, "WITH RECURSIVE k(i) AS (SELECT 1 UNION ALL SELECT i + 1 "
	    "FROM k WHERE i < 200) INSERT INTO agent(id, code, name, team_id, "
	    "role, channel, performance, status) SELECT printf('g%04d', i), "
	    "printf('G%04d', i), 'x', CASE i % 2 WHEN 0 THEN 't1' ELSE 't2' "
	    "END, CASE WHEN i % 20 = 0 THEN 'service' ELSE 'agent' END, "
	    "CASE i % 3 WHEN 0 THEN 'bancassurance' ELSE 'agency' END, i, "
	    "CASE WHEN i % 7 = 0 THEN 'departed' ELSE 'employed' END FROM k");
	int cap = fsy_store_set_capture(st, 0);
	snprintf(sql, sizeof(sql), "WITH RECURSIVE k(i) AS (SELECT 1 UNION ALL "
	    "SELECT i + 1 FROM k WHERE i < %ld) INSERT INTO customer(id, "
	    "customer_id, name) SELECT printf('0190e000-0000-7000-8000-1%%011d', i), printf('0190e000-0000-7000-8000-1%%011d', i), "
	    "'x' FROM k", n);
	tu_exec(st, sql);
	snprintf(sql, sizeof(sql), "WITH RECURSIVE k(i) AS (SELECT 1 UNION ALL "
	    "SELECT i + 1 FROM k WHERE i < %ld) INSERT INTO policy(id, "
	    "customer_id, soliciting_agent_id, annual_premium_fen, status) "
	    "SELECT printf('0190e000-0000-7000-8000-2%%010d%%d', i, j), printf('0190e000-0000-7000-8000-1%%011d', i), "
	    "printf('g%%04d', 1 + (i * 7 + j * 13) %% 200), "
	    "100000 * (1 + (i + j * (i %% 10 > 0)) %% 5), CASE WHEN j = 2 AND i %% 3 = 0 THEN "
	    "'lapsed' ELSE 'inforce' END FROM k, (SELECT 0 AS j UNION ALL "
	    "SELECT 1 UNION ALL SELECT 2)", n);
	tu_exec(st, sql);
	snprintf(sql, sizeof(sql), "WITH RECURSIVE k(i) AS (SELECT 1 UNION ALL "
	    "SELECT i + 1 FROM k WHERE i < %ld) INSERT INTO visit(id, "
	    "customer_id, agent_id, happened_at) SELECT printf('0190e000-0000-7000-8000-3%%011d', i), "
	    "printf('0190e000-0000-7000-8000-1%%011d', i), printf('g%%04d', 1 + (i * 7 + 13) %% 200), "
	    "printf('2024-01-%%02dT00:00:00Z', 1 + i %% 28) FROM k", n);
	tu_exec(st, sql);
	fsy_store_set_capture(st, cap);

	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(fsy_owner_recompute(st, NULL, NULL, &s, errbuf,
	    sizeof(errbuf)), FSY_OK);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	assert_int_equal(s.examined, n);
	assert_int_equal(s.changed + s.orphans, n);
	assert_int_equal(nhist(st), s.changed);
	int64_t ties = s.contact_lookups;
	assert_true(ties > 0);
	assert_int_equal(fsy_owner_recompute(st, NULL, NULL, &s, errbuf,
	    sizeof(errbuf)), FSY_OK);
	clock_gettime(CLOCK_MONOTONIC, &t2);
	assert_int_equal(s.changed, 0);
	printf("owner scale: %ld customers: first %.2f s, again %.2f s "
	    "(%lld tie lookups)\n", n,
	    (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9,
	    (double)(t2.tv_sec - t1.tv_sec) + (double)(t2.tv_nsec - t1.tv_nsec) / 1e9,
	    (long long)ties);
	fsy_store_close(st);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rule1_single_highest_policy),
		cmocka_unit_test(test_rule1_ignores_lapsed_and_departed),
		cmocka_unit_test(test_rule2_tie_most_recent_contact),
		cmocka_unit_test(test_rule3_service_staff_of_channel),
		cmocka_unit_test(test_rule3_keeps_current_staff),
		cmocka_unit_test(test_rule4_owner_left),
		cmocka_unit_test(test_no_policy_customer),
		cmocka_unit_test(test_rule5_disqualified_top_performer),
		cmocka_unit_test(test_banned_never_chosen_by_rules),
		cmocka_unit_test(test_rule6_pinned_until_owner_leaves),
		cmocka_unit_test(test_classify),
		cmocka_unit_test(test_hub_recompute_and_history),
		cmocka_unit_test(test_hub_depart_rule4),
		cmocka_unit_test(test_hub_workload_balancing_and_orphans),
		cmocka_unit_test(test_hub_disqualify_and_ban),
		cmocka_unit_test(test_hub_override),
		cmocka_unit_test(test_hub_summary_counts),
		cmocka_unit_test(test_hub_scale),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	tu_cleanup();
	return rc;
}
