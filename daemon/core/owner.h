/*
 * owner.h — who serves a customer: the service-owner rules (DOMAIN.md,
 * "Service-order customers and ownership"; seeds 001 and 004).
 *
 * Two layers:
 *
 *   fsy_owner_decide()  a pure function over plain structs: given one
 *                       customer's policies, the agents, contacts, bans and
 *                       the current owner, it returns the owner the rules
 *                       want and the rule applied. No database, no clock.
 *   fsy_owner_*()       head-office operations on a hub store that gather
 *                       the inputs set-based, call the decision for each
 *                       customer and write the changes.
 *
 * The rules, as implemented
 *   An agent is *eligible* for a customer when agent.status = 'employed' and
 *   there is no owner_ban row for (customer, agent). A policy *counts* when
 *   it is our own (external = 0), not deleted and in force (status 'inforce'
 *   or 'grace': a policy in its grace period is still in force).
 *   1. The owner is the eligible soliciting agent of the counting policy with
 *      the highest annualised premium (each agent is compared on his single
 *      highest policy, never on a sum).
 *   2. When several eligible agents tie on that premium: the current owner
 *      if he is one of them (a tie is no reason to move a customer), else
 *      the one who contacted the customer most recently (latest visit
 *      happened_at; an agent who never did ranks last), then the lowest id.
 *   3. No eligible soliciting agent, but counting policies (a pure
 *      service-order customer, or one whose employed agents are all banned):
 *      a service or renewal staff member (role 'service' or 'renewal',
 *      eligible) of the *target channel* — the channel of the soliciting
 *      agent of the highest counting policy (on a tie, the channel with the
 *      larger total counting premium, then the first in enum order) — with
 *      the least workload (customers owned now), then the lowest id; if that
 *      channel has none, any channel's staff the same way; if there is no
 *      staff at all, nobody: the customer is an orphan awaiting manual
 *      assignment. A current owner who is eligible staff of the target
 *      channel (or of any channel when the target channel has none) keeps
 *      the customer, so that balancing never churns owners.
 *      A customer with no counting policy at all (a prospect, or only lapsed
 *      policies) is no service-order customer: an eligible current owner
 *      keeps it, otherwise it is an orphan awaiting manual assignment.
 *   4. When the current owner is no longer eligible (departed, or an agent
 *      id the roster does not know), rules 1-3 run again over the remaining
 *      agents; the change is recorded as rule 4 and its reason names the
 *      rule (1, 2 or 3) that picked the successor.
 *   5. When the current owner is disqualified (agent.status =
 *      'disqualified') or banned for this customer, he loses it and is
 *      banned from it for ever (an owner_ban row is written with the
 *      change); the new owner is the top performer: the eligible agent,
 *      other than admins, with the highest agent.performance in the
 *      disqualified owner's team, else in his branch (ties: least workload,
 *      then lowest id). With no such agent rules 1-3 run (recorded as 4).
 *   6. Head office may assign an owner by hand (fsy_owner_assign), with a
 *      reason.
 *   Pinned owners: an owner given by rule 6 (override) or rule 5 (head
 *   office's top-performer pick) is *pinned*: rules 1-3 leave him alone
 *   until he leaves or is disqualified or banned. A customer's owner is
 *   pinned when the latest ownership_history row of the customer (highest
 *   id) has rule '6' or '5' and its to_agent_id is the customer's current
 *   owner_agent_id. Any later change of owner (by rules, by import, by
 *   another override) thus ends the pin by itself.
 *
 * Service-order classification (seed 001), over the counting policies:
 *   none      no counting policy;
 *   regular   every soliciting agent employed (not a service-order customer);
 *   pure      no soliciting agent employed (departed, disqualified, unknown
 *             or missing agents count as left);
 *   non-pure  at least one employed and at least one left.
 *
 * Writes (hub): each change of owner updates customer.owner_agent_id and
 * owner_since (which replicate to laptops through change capture) and
 * appends one ownership_history row (from, to, rule, reason, at, by).
 * Nothing is written for a customer whose owner does not change.
 */
#ifndef FSY_OWNER_H
#define FSY_OWNER_H

#include <stddef.h>
#include <stdint.h>

#include "store.h"

/* agent.status */
typedef enum {
	FSY_AGENT_EMPLOYED = 0,
	FSY_AGENT_DEPARTED = 1,
	FSY_AGENT_DISQUALIFIED = 2,
} fsy_agent_status_t;

/* agent.role */
typedef enum {
	FSY_AGENT_ROLE_AGENT = 0,
	FSY_AGENT_ROLE_LEAD = 1,
	FSY_AGENT_ROLE_SERVICE = 2,
	FSY_AGENT_ROLE_RENEWAL = 3,
	FSY_AGENT_ROLE_ADMIN = 4,
} fsy_agent_role_t;

/* agent.channel */
typedef enum {
	FSY_CHANNEL_AGENCY = 0,
	FSY_CHANNEL_BANCASSURANCE = 1,
	FSY_CHANNEL_SERVICE = 2,
	FSY_CHANNEL_RENEWAL = 3,
	FSY_CHANNEL_COUNT = 4,
} fsy_channel_t;

/* The rule applied (ownership_history.rule is its digit). */
typedef enum {
	FSY_OWNER_RULE_NONE = 0,      /* kept, no rule (no counting policy) */
	FSY_OWNER_RULE_PREMIUM = 1,   /* highest in-force policy */
	FSY_OWNER_RULE_CONTACT = 2,   /* tie: most recent contact */
	FSY_OWNER_RULE_SERVICE = 3,   /* service/renewal staff, or orphan */
	FSY_OWNER_RULE_LEFT = 4,      /* owner gone: rules 1-3 again */
	FSY_OWNER_RULE_DISQUALIFIED = 5, /* owner disqualified: top performer */
	FSY_OWNER_RULE_OVERRIDE = 6,  /* head office by hand */
} fsy_owner_rule_t;

/* Service-order classification of a customer. */
typedef enum {
	FSY_SVC_NONE = 0,    /* no counting policy */
	FSY_SVC_REGULAR = 1, /* every soliciting agent employed */
	FSY_SVC_PURE = 2,    /* no soliciting agent employed */
	FSY_SVC_NONPURE = 3, /* some employed, some left */
} fsy_svc_class_t;

/* One agent as the rules see it. Strings are borrowed, not owned. */
typedef struct fsy_owner_agent {
	const char *id;            /* agent.id */
	fsy_agent_status_t status; /* employed / departed / disqualified */
	fsy_agent_role_t role;     /* agent, lead, service, renewal, admin */
	fsy_channel_t channel;     /* the agent's channel */
	const char *team_id;       /* NULL: in no team */
	const char *branch_id;     /* NULL: in no branch */
	int64_t performance;       /* head office's score (rule 5) */
	int64_t workload;          /* customers owned now (rules 3 and 5) */
} fsy_owner_agent_t;

/* One policy of the customer. Only policies that count (own, in force,
 * not deleted) matter; others may be passed with in_force = 0. */
typedef struct fsy_owner_policy {
	int agent;                  /* soliciting agent: index into agents, -1
	                             * when missing or unknown */
	int64_t annual_premium_fen; /* annualised premium */
	int in_force;               /* 1: counts (inforce or grace, own) */
} fsy_owner_policy_t;

/* The most recent contact (visit) of one agent with the customer. */
typedef struct fsy_owner_contact {
	int agent;     /* index into agents */
	int64_t at_ms; /* latest visit happened_at, Unix ms */
} fsy_owner_contact_t;

/* Everything the rules need about one customer. Arrays are borrowed. */
typedef struct fsy_owner_input {
	const fsy_owner_agent_t *agents; /* every agent the indexes refer to */
	int nagents;
	const fsy_owner_policy_t *policies; /* the customer's policies */
	int npolicies;
	const fsy_owner_contact_t *contacts; /* latest contact per agent */
	int ncontacts;
	int have_contacts; /* 0: contacts not loaded (see need_contacts) */
	const int *banned; /* agents banned from this customer (rule 5) */
	int nbanned;
	int owner;      /* current owner: index into agents; -1 none */
	int owner_unknown; /* 1: the customer has an owner id that is not in
	                    * agents (owner is then -1); treated as gone */
	int owner_rule; /* rule of the latest history row when it gave the
	                 * current owner (fsy_owner_rule_t), else 0; 5 and 6
	                 * pin the owner */
} fsy_owner_input_t;

/* What the rules decide for one customer. */
typedef struct fsy_owner_decision {
	int owner;    /* the owner: index into agents; -1 orphan, awaiting
	               * manual assignment */
	int changed;  /* 1 when owner differs from the input's owner */
	int rule;     /* fsy_owner_rule_t applied (when changed: the rule to
	               * record; when kept: the rule that justifies keeping) */
	int basis;    /* the rule (1, 2 or 3) that picked the owner inside rules
	               * 4 and 5-fallback; = rule otherwise */
	int lost_disqualified; /* 1: the previous owner lost the customer for
	                        * misconduct (must be banned) */
	int need_contacts; /* 1: a rule-2 tie needs contacts that were not
	                    * loaded; call again with have_contacts = 1.
	                    * Nothing else in the decision is valid then. */
	int channel;  /* rule 3's target channel, -1 none */
	fsy_svc_class_t svc; /* service-order classification */
	char reason[192];    /* why, in English, for ownership_history */
} fsy_owner_decision_t;

/*
 * Applies rules 1-6 to one customer (see the header comment) and fills *out.
 * Pure: reads only *in, writes only *out, never fails. Indexes in *in must
 * be valid (-1 or < nagents); this is asserted.
 */
void fsy_owner_decide(const fsy_owner_input_t *in, fsy_owner_decision_t *out);

/* Returns the service-order classification of a customer's policies. */
fsy_svc_class_t fsy_owner_classify(const fsy_owner_agent_t *agents,
    const fsy_owner_policy_t *policies, int npolicies);

/* Parse the text forms of the agent table's enums; return -1 when s is
 * NULL or unknown. */
int fsy_agent_status_parse(const char *s);
int fsy_agent_role_parse(const char *s);
int fsy_channel_parse(const char *s);

/* Returns the text form of a channel ("agency", ...); "?" when invalid. */
const char *fsy_channel_name(int channel);

/* ---- hub operations ---------------------------------------------------- */

/* What one recompute (or departure, disqualification) did. */
typedef struct fsy_owner_stats {
	int64_t examined;   /* customers looked at */
	int64_t changed;    /* owners changed = history rows written */
	int64_t by_rule[7]; /* changes by rule recorded, [1]..[6] */
	int64_t orphans;    /* customers of the scope left without an owner */
	int64_t contact_lookups; /* rule-2 ties that needed the visits */
} fsy_owner_stats_t;

/* The ownership picture of the whole hub. */
typedef struct fsy_owner_summary {
	int64_t customers;  /* live customers (deleted = 0) */
	int64_t owned;      /* with an owner */
	int64_t orphans;    /* without one: awaiting manual assignment */
	int64_t pure;       /* pure service-order customers */
	int64_t nonpure;    /* non-pure service-order customers */
	int64_t regular;    /* every soliciting agent employed */
	int64_t no_policy;  /* no counting policy */
	int64_t by_rule[7]; /* owned customers by the rule of the latest
	                     * history row that gave them their current owner;
	                     * [0]: no such row (imported, set elsewhere) */
	int64_t bans;       /* owner_ban rows */
} fsy_owner_summary_t;

/*
 * Runs the rules for one customer (customer_id) or for every live customer
 * (customer_id NULL) on a hub store, in one transaction (a savepoint when
 * the caller holds one), and writes each change of owner (see the header
 * comment). by names who triggered it for ownership_history.by (NULL:
 * "rules"). stats (may be NULL) receives what was done. Inputs are read
 * with a few set-based queries; visits only for rule-2 ties.
 * Returns FSY_OK; FSY_ESTATE on a store that is not a hub; FSY_ENOTFOUND
 * when customer_id names no live customer; FSY_ENOMEM; a translated SQLite
 * error. On failure nothing is changed and err (may be NULL) says why.
 */
int fsy_owner_recompute(fsy_store_t *st, const char *customer_id,
    const char *by, fsy_owner_stats_t *stats, char *err, size_t errlen);

/*
 * Rule 6: makes agent_id the owner of customer_id by hand, with a reason
 * (required), decided by `by` (NULL: "head office"). The owner stays pinned
 * until he leaves or is disqualified. Assigning the current owner pins him
 * (a history row from = to is written; the customer row does not change).
 * Also writes an audit row. Returns FSY_OK; FSY_EINVAL (no reason);
 * FSY_ENOTFOUND (no such live customer or agent); FSY_ESTATE (agent not
 * employed, or not a hub); FSY_EDISQUALIFIED (agent banned from this
 * customer); or a store error. On failure nothing changes and err says why.
 */
int fsy_owner_assign(fsy_store_t *st, const char *customer_id,
    const char *agent_id, const char *reason, const char *by, char *err,
    size_t errlen);

/*
 * Rule 4: records that agent_id left the company on left_on ('YYYY-MM-DD';
 * NULL: today, UTC) — status 'departed' (a disqualified agent stays
 * disqualified), left_on set — and re-runs the rules for every customer he
 * owns, in one transaction. Writes an audit row. stats may be NULL.
 * Returns FSY_OK; FSY_EINVAL (bad date); FSY_ENOTFOUND (no such agent);
 * FSY_ESTATE (not a hub); or a store error. On failure nothing changes.
 */
int fsy_owner_agent_depart(fsy_store_t *st, const char *agent_id,
    const char *left_on, const char *by, fsy_owner_stats_t *stats, char *err,
    size_t errlen);

/*
 * Rule 5: disqualifies agent_id for misconduct (reason required): status
 * 'disqualified', status_reason = reason; bans him for ever from every
 * customer he owns (owner_ban) and gives each of them to a top performer
 * (see the header comment), in one transaction. Writes an audit row.
 * stats may be NULL. Returns FSY_OK; FSY_EINVAL (no reason); FSY_ENOTFOUND;
 * FSY_ESTATE (not a hub); or a store error. On failure nothing changes.
 */
int fsy_owner_agent_disqualify(fsy_store_t *st, const char *agent_id,
    const char *reason, const char *by, fsy_owner_stats_t *stats, char *err,
    size_t errlen);

/*
 * Fills *out with the ownership picture of the hub (see
 * fsy_owner_summary_t). Read-only. Returns FSY_OK, FSY_ESTATE (not a hub)
 * or a store error, with err saying why.
 */
int fsy_owner_summary(fsy_store_t *st, fsy_owner_summary_t *out, char *err,
    size_t errlen);

#endif /* FSY_OWNER_H */
