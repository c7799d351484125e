/*
 * oblig.h — service obligations: what an agent owes each customer, when,
 * and whether it was done on time (DOMAIN.md "Service obligations";
 * docs/OBLIGATIONS.md has every rule, its window and its source).
 *
 * Obligations are not stored. They are derived, as of a date, from the
 * customer, policy, visit and (on a hub) ownership_history tables, in one
 * pass over rows ordered by customer: a handful of ordered queries, never
 * one query per customer. The same rules serve the three questions:
 *   fsy_obl_customer  every obligation of one customer;
 *   fsy_obl_agenda    what an agent must do: overdue, due today, due soon;
 *   fsy_obl_coverage  share met on time per agent, team, branch and kind.
 * They work on a hub store and on an agent replica alike (the replica holds
 * only its own customers and has no ownership_history; customer.owner_since
 * stands in for it).
 *
 * Days. Every date rule is counted in whole local days: an instant
 * ('YYYY-MM-DDTHH:MM:SSZ', UTC) falls on the day of instant + tz_min
 * minutes; a date column ('YYYY-MM-DD') is that day. As of day A means:
 * the rows as they stand now, except that visits count only when they
 * happened and were recorded by the end of day A, and ownership changes
 * only when made by then.
 *
 * An obligation exists from the first day of its window; it is
 *   MET      met by a visit inside its window (on or before its due day);
 *   LATE     met after its due day, by the as-of day;
 *   OPEN     not met, due day on or after the as-of day;
 *   OVERDUE  not met, past due, and it can still be met late by its owner;
 *   MISSED   not met, past due, and it can no longer be met (the year
 *            or half-year it belonged to ended, the premium it was to
 *            announce was paid, or the customer moved to another owner).
 * OVERDUE and MISSED together are the "overdue (missed)" of the brief.
 */
#ifndef FSY_OBLIG_H
#define FSY_OBLIG_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "store.h"

/* The rule constants (docs/OBLIGATIONS.md explains each). */
#define FSY_OBL_FESTIVAL_MIN 3      /* festival occasions a year */
#define FSY_OBL_FESTIVAL_STARS 3    /* star level that makes care due */
#define FSY_OBL_BIRTHDAY_DAYS 7     /* a birthday touch within ± days */
#define FSY_OBL_NEWS_MIN 2          /* company-news touches a year */
#define FSY_OBL_PRODUCT_MIN 2       /* new-product touches a year */
#define FSY_OBL_RENEWAL_DAYS 30     /* renewal window opens before due */
#define FSY_OBL_DELIVERY_DAYS 10    /* delivery visit after issue */
#define FSY_OBL_FIRST_DAYS 30       /* first contact after receipt */
#define FSY_OBL_NOTICE_DAYS 30      /* survival/maturity notice window */
#define FSY_OBL_RECORD_SECS 86400   /* a visit is recorded within 24 h */
#define FSY_OBL_AGENDA_DAYS 7       /* the agenda looks this far ahead */
#define FSY_OBL_LOOKBACK_DAYS 365   /* customer list / agenda look back */

/* Longest agent or customer id accepted as an argument. */
#define FSY_OBL_ID_MAX 64

typedef enum {
	FSY_OBL_FESTIVAL = 0,     /* festival/birthday care, per year */
	FSY_OBL_NEWS = 1,         /* company news, per year */
	FSY_OBL_PRODUCT = 2,      /* new-product introduction, per year */
	FSY_OBL_SERVICE_FEST = 3, /* service-festival invitation, per half */
	FSY_OBL_RENEWAL = 4,      /* renewal reminder, per premium due date */
	FSY_OBL_DELIVERY = 5,     /* policy delivery visit, per new policy */
	FSY_OBL_FIRST_CONTACT = 6, /* first contact by a new owner */
	FSY_OBL_SURVIVAL = 7,     /* notice before a survival benefit date */
	FSY_OBL_MATURITY = 8,     /* notice before a policy's end date */
	FSY_OBL_RECORD = 9,       /* a visit recorded within 24 h */
	FSY_OBL_NKINDS = 10
} fsy_obl_kind_t;

typedef enum {
	FSY_OBL_MET = 0,     /* met on time */
	FSY_OBL_LATE = 1,    /* met after the due day */
	FSY_OBL_OPEN = 2,    /* not met, not yet due */
	FSY_OBL_OVERDUE = 3, /* not met, past due, can still be met late */
	FSY_OBL_MISSED = 4,  /* not met, past due, can no longer be met */
	FSY_OBL_NSTATUS = 5
} fsy_obl_status_t;

/* One obligation instance. Strings belong to the result it came in. */
typedef struct fsy_obl {
	fsy_obl_kind_t kind;
	fsy_obl_status_t status;
	const char *customer_id; /* never NULL */
	const char *agent_id;    /* who owes it; never NULL */
	const char *policy_id;   /* the policy it concerns; NULL if none */
	const char *visit_id;    /* the visit that met it (for RECORD: the
	                          * visit to record); NULL while unmet */
	char start[11];          /* first day of the window, 'YYYY-MM-DD' */
	char due[11];            /* last on-time day, 'YYYY-MM-DD' */
	char due_at[21];         /* the deadline instant (UTC): the end of
	                          * the due day, or happened_at + 24 h */
	char met_at[21];         /* when met (the visit's happened_at; for
	                          * RECORD its recorded_at); "" while unmet */
	int progress;            /* counting kinds: distinct touches so far;
	                          * others: 1 when met, else 0 */
	int required;            /* touches needed (1 for single kinds) */
} fsy_obl_t;

/* The day the question is asked, and the local time zone. */
typedef struct fsy_obl_when {
	const char *asof; /* 'YYYY-MM-DD', required */
	int tz_min;       /* minutes east of UTC (480 for China), ±840 */
} fsy_obl_when_t;

typedef struct fsy_obl_mem fsy_obl_mem_t; /* private storage of a result */

/* A list of obligations, sorted by due day, kind, customer, policy. */
typedef struct fsy_obl_list {
	char asof[11];        /* the as-of day asked */
	fsy_obl_t *items;     /* n items */
	size_t n;
	fsy_obl_mem_t *mem;   /* owns items and their strings */
} fsy_obl_list_t;

/* An agent's agenda: items holds the overdue ones first (oldest first),
 * then those due today, then those due within FSY_OBL_AGENDA_DAYS; the
 * three pointers point into items. */
typedef struct fsy_obl_agenda {
	fsy_obl_list_t list;  /* all of them, in the order above */
	const char *agent_id; /* whose agenda (owned by list.mem) */
	fsy_obl_t *overdue;   /* n_overdue items: OVERDUE */
	size_t n_overdue;
	fsy_obl_t *today;     /* n_today items: OPEN, due on the as-of day */
	size_t n_today;
	fsy_obl_t *soon;      /* n_soon items: OPEN, due within 7 days */
	size_t n_soon;
} fsy_obl_agenda_t;

/* Counts of obligations in a coverage period. */
typedef struct fsy_obl_tally {
	uint64_t due;  /* obligations counted (see fsy_obl_coverage) */
	uint64_t met;  /* of them, met on time */
	uint64_t late; /* of them, met late */
} fsy_obl_tally_t;

/* One row of a coverage report: an agent, a team or a branch. id NULL is
 * the row of agents without a (known) team or branch. */
typedef struct fsy_obl_cov_row {
	const char *id;        /* agent/team/branch id, or NULL */
	const char *code;      /* its code, NULL if unknown */
	const char *name;      /* its name, NULL if unknown */
	const char *team_id;   /* agent rows: the agent's team, or NULL */
	const char *branch_id; /* agent and team rows: the branch, or NULL */
	fsy_obl_tally_t kind[FSY_OBL_NKINDS]; /* per obligation kind */
	fsy_obl_tally_t total;                /* all kinds */
} fsy_obl_cov_row_t;

/* Coverage over a period; rows sorted by code (then id), the NULL-id row
 * last. Every obligation is in exactly one agent row, one team row and one
 * branch row, so each level sums to total. */
typedef struct fsy_obl_coverage {
	char from[11], to[11], asof[11]; /* the period and the as-of day */
	fsy_obl_cov_row_t *agents;
	size_t n_agents;
	fsy_obl_cov_row_t *teams;
	size_t n_teams;
	fsy_obl_cov_row_t *branches;
	size_t n_branches;
	fsy_obl_cov_row_t total;     /* id/code/name NULL */
	fsy_obl_mem_t *mem;          /* owns the rows and their strings */
} fsy_obl_coverage_t;

/* Names used in JSON and on the command line: "festival_care",
 * "company_news", "new_product", "service_festival", "renewal",
 * "delivery", "first_contact", "survival_notice", "maturity_notice",
 * "visit_record"; "met", "late", "open", "overdue", "missed". Return a
 * static string; "?" for a value out of range. */
const char *fsy_obl_kind_name(fsy_obl_kind_t k);
const char *fsy_obl_status_name(fsy_obl_status_t s);

/* Returns the kind named s, or FSY_EINVAL for an unknown name. */
int fsy_obl_kind_parse(const char *s);

/*
 * Lists every obligation of the customer customer_id as of when: those
 * whose window has opened by the as-of day and whose due day is at most
 * FSY_OBL_LOOKBACK_DAYS before it (whoever owes them). On success *out
 * owns a new list; free it with fsy_obl_list_free(). Returns FSY_OK,
 * FSY_EINVAL for a bad argument, FSY_ENOTFOUND for an unknown or deleted
 * customer, FSY_ENOMEM, or a store error; a message goes to err (may be
 * NULL) and *out is left NULL.
 */
int fsy_obl_customer(fsy_store_t *st, const char *customer_id,
    const fsy_obl_when_t *when, fsy_obl_list_t **out, char *err,
    size_t errlen);

/*
 * The agenda of agent_id as of when, over the customers it owns now:
 * its OVERDUE obligations (due at most FSY_OBL_LOOKBACK_DAYS ago), and its
 * OPEN ones due on the as-of day or within FSY_OBL_AGENDA_DAYS after it.
 * An unknown agent has an empty agenda. On success *out owns a new agenda;
 * free it with fsy_obl_agenda_free(). Errors as fsy_obl_customer.
 */
int fsy_obl_agenda(fsy_store_t *st, const char *agent_id,
    const fsy_obl_when_t *when, fsy_obl_agenda_t **out, char *err,
    size_t errlen);

/*
 * Coverage of the days from..to (inclusive, 'YYYY-MM-DD') as of when,
 * over every customer in the store. An obligation is counted when its due
 * day lies in from..to and either is on or before the as-of day or the
 * obligation is already met; each is counted for the agent who owes it
 * (see docs/OBLIGATIONS.md "Who owes it"), that agent's team and branch.
 * On success *out owns a new report; free it with fsy_obl_coverage_free().
 * Returns FSY_OK, FSY_EINVAL (bad date, from after to), FSY_ENOMEM or a
 * store error, with a message in err (may be NULL); *out is left NULL.
 */
int fsy_obl_coverage(fsy_store_t *st, const char *from, const char *to,
    const fsy_obl_when_t *when, fsy_obl_coverage_t **out, char *err,
    size_t errlen);

/* Free a result and everything it owns; NULL is a no-op. */
void fsy_obl_list_free(fsy_obl_list_t *l);
void fsy_obl_agenda_free(fsy_obl_agenda_t *a);
void fsy_obl_coverage_free(fsy_obl_coverage_t *c);

/* Returns met / due as a fraction in [0, 1], or -1 when nothing is due. */
double fsy_obl_share(const fsy_obl_tally_t *t);

/*
 * JSON renderings for the CLI's --json output. Each returns a new
 * reference the caller must json_decref(), or NULL when out of memory.
 *   obligation: {"kind","status","customer_id","agent_id","policy_id",
 *     "visit_id","window_start","due","due_at","met_at","progress",
 *     "required"} (absent ids and met_at are null)
 *   list:     {"asof","obligations":[...]}
 *   agenda:   {"agent_id","asof","overdue":[...],"today":[...],
 *     "soon":[...]}
 *   coverage: {"from","to","asof","total":row,"agents":[row],
 *     "teams":[row],"branches":[row]} where row is {"id","code","name",
 *     ["team_id"], ["branch_id"], "due","met","late","share",
 *     "kinds":{"<kind>":{"due","met","late","share"}}}; share is null
 *     when nothing is due; kinds lists only kinds with something due.
 */
json_t *fsy_obl_json(const fsy_obl_t *o);
json_t *fsy_obl_list_json(const fsy_obl_list_t *l);
json_t *fsy_obl_agenda_json(const fsy_obl_agenda_t *a);
json_t *fsy_obl_coverage_json(const fsy_obl_coverage_t *c);

#endif /* FSY_OBLIG_H */
