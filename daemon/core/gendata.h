/*
 * gendata.h — a deterministic, realistic data set in the core policy
 * system's CSV format (docs/IMPORT.md), for demos, tests and benchmarks.
 *
 * The output is a pure function of the options: the same options give
 * byte-identical files on every machine (own PRNG, integer arithmetic only,
 * no locale, no clock — the "today" of the data is opts.as_of).
 *
 * What it makes: one branch; sales teams of agents with a lead each, plus a
 * service team of service and renewal staff; about 17% of the sales agents
 * departed and a few disqualified. Customers (policyholders) with Chinese
 * names drawn by real surname frequency, ages, ID numbers with valid check
 * digits, phones, addresses in the branch's city, occupations and incomes;
 * households with spouses, children and parents; own policies from a product
 * catalogue (regular and single premium, annual to monthly modes, main
 * policies and riders, universal policies with account values, annuities
 * with survival dates), mostly in force, some in grace, lapsed, surrendered,
 * matured, paid up, cancelled or terminated; other insurers' policies in
 * about 15% of households; three years of visit history with the topics
 * head office monitors. Customers whose every soliciting agent left are pure
 * service-order customers, the others non-pure; both always occur.
 *
 * Memory is constant in the number of customers: each household is made
 * and written before the next, from its own PRNG stream.
 */
#ifndef FSY_GENDATA_H
#define FSY_GENDATA_H

#include <stddef.h>
#include <stdint.h>

#include "import.h"

#define FSY_GEN_MIN_CUSTOMERS 10
#define FSY_GEN_MAX_CUSTOMERS 1000000
#define FSY_GEN_MIN_AGENTS 4
#define FSY_GEN_MAX_AGENTS 50000
#define FSY_GEN_BRANCH_MAX 8 /* characters of a branch code */

/* What to generate. */
typedef struct {
	uint64_t seed;   /* PRNG seed: the whole data set follows from it */
	int64_t customers; /* policyholders, FSY_GEN_MIN..MAX_CUSTOMERS */
	int agents;      /* whole roster; 0: customers / 120, at least 4 */
	int teams;       /* sales teams; 0: one per 10 sales agents */
	char branch[FSY_GEN_BRANCH_MAX + 1]; /* branch code, e.g. "BJ01" */
	int64_t as_of;   /* the data's today, days since 1970-01-01 */
} fsy_gen_opts_t;

/* What was generated. */
typedef struct {
	int64_t rows[FSY_IMPORT_NFILES]; /* data rows per file */
	int agents_departed;             /* departed or disqualified agents */
	int64_t pure;                    /* pure service-order customers */
	int64_t nonpure;                 /* the other customers */
	int64_t external_households;     /* households with other insurers' */
	int64_t lapsed;                  /* own policies lapsed */
} fsy_gen_stats_t;

/* Sets the defaults: seed 1, 1000 customers, agents and teams derived,
 * branch "BJ01", as_of = today (UTC). */
void fsy_gen_opts_init(fsy_gen_opts_t *o);

/*
 * Checks the options and fills in the derived ones (agents, teams).
 * Returns FSY_OK, or FSY_ERANGE / FSY_EINVAL with a message in err naming
 * the option and its allowed range.
 */
int fsy_gen_opts_check(fsy_gen_opts_t *o, char *err, size_t errlen);

/*
 * Writes agents.csv, customers.csv, persons.csv, policies.csv and
 * visits.csv into dir (created if missing; files are written under
 * temporary names and renamed when complete). o must have passed
 * fsy_gen_opts_check(). stats (may be NULL) receives the counts.
 * Returns FSY_OK, or FSY_EIO / FSY_ENOMEM / FSY_EINVAL with a message in
 * err; on failure no complete-looking file is left behind.
 */
int fsy_gen_write(const fsy_gen_opts_t *o, const char *dir,
    fsy_gen_stats_t *stats, char *err, size_t errlen);

#endif /* FSY_GENDATA_H */
