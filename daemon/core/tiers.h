/*
 * tiers.h — customer tier schemes as data (DOMAIN.md "Tiers").
 *
 * A tier scheme (star levels, VIP points, ...) is an INI file; the rule
 * vocabulary is documented in docs/TIERS.md and the two shipped schemes are
 * schema/tiers/star.ini and schema/tiers/vip.ini. A scheme turns one
 * customer's policies into a score in fen:
 *
 *   score = Σ over counted policies of
 *           base(policy) × class coefficient × term coefficient
 *
 * where the policy's product type picks a class (its coefficient and its
 * base: annual premium or account value), and the first matching term rule
 * (by pay kind, payment years, policy year, years after the payment period)
 * gives the term coefficient. The score places the customer on a level
 * table (lower bounds inclusive); the scheme may also define an honour rule
 * on cumulative premium, and the benefits open at each level.
 *
 * Everything is integer: money in fen, coefficients in millionths
 * (FSY_TIER_COEF_SCALE); each policy's contribution is rounded down to a
 * whole fen. Results are identical on every machine.
 *
 * Lifecycle: a scheme is parsed once (fsy_tier_scheme_load / _parse) or a
 * whole directory at a time (fsy_tiers_load_dir) and is then read-only, so
 * it may be shared between threads. Evaluation allocates nothing; the
 * strings in a result point into the scheme and live as long as it does.
 */
#ifndef FSY_TIERS_H
#define FSY_TIERS_H

#include <stddef.h>
#include <stdint.h>

#include "store.h"

#define FSY_TIER_COEF_SCALE 1000000 /* a coefficient of 1 is 1,000,000 */
#define FSY_TIER_MAX_LEVELS 32      /* levels in one scheme */
#define FSY_TIER_MAX_BENEFITS 64    /* benefits in one scheme */
#define FSY_TIER_MAX_SCHEMES 16     /* schemes in one directory */
#define FSY_TIER_MAX_FILE (256 * 1024) /* bytes of one scheme file */
#define FSY_TIER_MAX_POLICIES 10000 /* policies of one customer */
#define FSY_TIER_MAX_FEN INT64_C(1000000000000000) /* 10^13 yuan */
#define FSY_TIER_UNSET (-1) /* a money or years field that is NULL */

/*
 * One policy as the tier engine sees it: the columns of the policy table
 * (schema/0001_core.sql) that tiers depend on. Text fields are the column's
 * text ("" for NULL); money and years are FSY_TIER_UNSET (any negative
 * number) for NULL.
 */
typedef struct fsy_tier_policy {
	char id[40];               /* policy.id, for the caller's reference */
	char product_type[24];     /* accident | health | ... (0001_core.sql) */
	char pay_mode[12];         /* annual | half | quarter | monthly | single */
	int64_t modal_premium_fen; /* premium per payment; FSY_TIER_UNSET */
	int64_t annual_premium_fen; /* annualised premium; FSY_TIER_UNSET */
	int payment_years;         /* 0 single premium; FSY_TIER_UNSET */
	char issue_date[11];       /* 'YYYY-MM-DD' or "" */
	char status[16];           /* inforce | grace | lapsed | ... */
	int64_t account_value_fen; /* universal / linked; FSY_TIER_UNSET */
	int is_main;               /* 1: main policy, 0: rider */
	int annuity_converted;     /* 1: premium converted to annuity */
	int external;              /* 1: another insurer's policy */
} fsy_tier_policy_t;

/* A parsed scheme; opaque, read-only after loading. */
typedef struct fsy_tier_scheme fsy_tier_scheme_t;

/* The schemes of a directory. */
typedef struct fsy_tiers fsy_tiers_t;

/* One customer's standing in one scheme. */
typedef struct fsy_tier_result {
	int64_t score_fen;      /* growth value / points, fen */
	int level;              /* level index (0 = lowest), -1: below all */
	const char *level_code; /* the level's section suffix, NULL if none */
	const char *level_name; /* e.g. "3★", NULL if none */
	int next;               /* index of the next level up, -1 at the top */
	const char *next_name;  /* its name, NULL at the top */
	int64_t gap_fen;        /* score still missing for next; 0 at top */
	int honour;             /* 1 honour member, 0 not, -1 no honour rule */
	int64_t paid_fen;       /* cumulative premium (honour basis); 0 if none */
	int nbenefits;          /* entries used in benefits[] */
	const char *benefits[FSY_TIER_MAX_BENEFITS]; /* open at this level */
	int ncounted;           /* policies that entered the score */
	int nskipped;           /* policies left out for missing data */
} fsy_tier_result_t;

/* What fsy_tiers_update did. */
typedef struct fsy_tiers_stats {
	int64_t customers; /* customers evaluated */
	int64_t writes;    /* customer column values changed */
	int64_t skipped;   /* policies left out for missing data (all schemes) */
} fsy_tiers_stats_t;

/* Customers per level of one scheme. */
typedef struct fsy_tier_dist {
	int64_t customers;                   /* customers evaluated */
	int64_t none;                        /* below the lowest level */
	int64_t levels[FSY_TIER_MAX_LEVELS]; /* per level index */
	int64_t honour;                      /* honour members */
	int64_t score_fen;                   /* sum of scores */
} fsy_tier_dist_t;

/*
 * Parses a scheme from the NUL-terminated text. origin names the text in
 * messages ("star.ini"; NULL: "scheme"). On success *out owns a new scheme
 * (free with fsy_tier_scheme_free). On a bad scheme returns FSY_ESCHEME with
 * "origin:line: what" in errbuf (may be NULL) and *out untouched; FSY_ENOMEM
 * or FSY_ETOOBIG (text over FSY_TIER_MAX_FILE) otherwise.
 */
int fsy_tier_scheme_parse(const char *text, const char *origin,
    fsy_tier_scheme_t **out, char *errbuf, size_t errlen);

/*
 * Reads and parses the scheme file at path, as fsy_tier_scheme_parse with
 * the path as origin. A file that cannot be read is FSY_EIO (or
 * FSY_ENOTFOUND), with the reason in errbuf.
 */
int fsy_tier_scheme_load(const char *path, fsy_tier_scheme_t **out,
    char *errbuf, size_t errlen);

/* Frees a scheme; NULL is a no-op. */
void fsy_tier_scheme_free(fsy_tier_scheme_t *s);

/* The scheme's id and display name ([scheme] id, name); never NULL. */
const char *fsy_tier_scheme_id(const fsy_tier_scheme_t *s);
const char *fsy_tier_scheme_name(const fsy_tier_scheme_t *s);

/* The customer columns the scheme fills, or NULL (computed on demand). */
const char *fsy_tier_scheme_level_column(const fsy_tier_scheme_t *s);
const char *fsy_tier_scheme_score_column(const fsy_tier_scheme_t *s);

/* The level table, lowest first. Index out of range: NULL / -1. */
int fsy_tier_scheme_nlevels(const fsy_tier_scheme_t *s);
const char *fsy_tier_level_code(const fsy_tier_scheme_t *s, int i);
const char *fsy_tier_level_name(const fsy_tier_scheme_t *s, int i);
int64_t fsy_tier_level_min(const fsy_tier_scheme_t *s, int i);

/*
 * Writes the default scheme directory into buf: $FSY_DATADIR/tiers when the
 * variable is set, else FSY_DATADIR_BUILD/tiers when that exists, else
 * FSY_DATADIR_INSTALL/tiers. Returns FSY_OK or FSY_ETOOBIG when buf (n
 * bytes) is too small.
 */
int fsy_tiers_default_dir(char *buf, size_t n);

/*
 * Loads every *.ini file of dir (NULL: fsy_tiers_default_dir) in name
 * order. Scheme ids must be unique, and no two schemes may fill the same
 * customer column. On success *out owns the set (fsy_tiers_free). Fails
 * with FSY_ESCHEME (a bad file: "file:line: what" in errbuf), FSY_ENOTFOUND
 * (no directory, or no scheme in it), FSY_ETOOBIG (more than
 * FSY_TIER_MAX_SCHEMES), FSY_EIO or FSY_ENOMEM; nothing is kept then.
 */
int fsy_tiers_load_dir(const char *dir, fsy_tiers_t **out, char *errbuf,
    size_t errlen);

/* Frees a set and its schemes; NULL is a no-op. */
void fsy_tiers_free(fsy_tiers_t *t);

/* The schemes of a set: count, by index (NULL out of range), by id (NULL
 * when absent). The set keeps ownership. */
int fsy_tiers_count(const fsy_tiers_t *t);
const fsy_tier_scheme_t *fsy_tiers_at(const fsy_tiers_t *t, int i);
const fsy_tier_scheme_t *fsy_tiers_find(const fsy_tiers_t *t, const char *id);

/*
 * The contribution of one policy to the score on as_of ('YYYY-MM-DD'; NULL:
 * today, UTC). *fen gets the contribution (0 when not counted) and *how
 * (may be NULL) 1 when the policy is counted, 0 when the scheme leaves it
 * out (status, product, rider, not yet issued, in cooling-off, ...), -1
 * when it should count but lacks the data to (no premium, issue date,
 * payment years). Returns FSY_OK, FSY_EINVAL for a bad as_of, FSY_ERANGE
 * when the value overflows.
 */
int fsy_tier_policy_points(const fsy_tier_scheme_t *s,
    const fsy_tier_policy_t *p, const char *as_of, int64_t *fen, int *how);

/*
 * Evaluates one customer's n policies (an array; n may be 0) on as_of
 * (NULL: today, UTC) into *out: score, level, next level and gap, honour,
 * open benefits. Strings in *out point into s. Returns FSY_OK, FSY_EINVAL
 * (bad as_of), FSY_ERANGE (score overflow).
 */
int fsy_tier_eval(const fsy_tier_scheme_t *s, const fsy_tier_policy_t *p,
    size_t n, const char *as_of, fsy_tier_result_t *out);

/*
 * Loads the non-deleted policies of customer_id from st into *out (a new
 * array the caller frees with free(); NULL when *n is 0). Returns FSY_OK,
 * FSY_ETOOBIG (more than FSY_TIER_MAX_POLICIES), FSY_ENOMEM or a store
 * error.
 */
int fsy_tier_load_policies(fsy_store_t *st, const char *customer_id,
    fsy_tier_policy_t **out, size_t *n);

/*
 * Evaluates the customer customer_id of st (agent replica or hub) with its
 * non-deleted policies, as fsy_tier_eval. Returns FSY_ENOTFOUND when the
 * customer does not exist or is deleted, else as fsy_tier_eval and
 * fsy_tier_load_policies.
 */
int fsy_tier_eval_customer(fsy_store_t *st, const fsy_tier_scheme_t *s,
    const char *customer_id, const char *as_of, fsy_tier_result_t *out);

/*
 * Hub only: evaluates every non-deleted customer with every scheme of set
 * that names customer columns, and writes the level value and score into
 * them — only values that differ from the stored ones, since every write
 * replicates to the owner's laptop. Works in short transactions of a few
 * hundred customers (or inside the caller's transaction when one is open).
 * stats (may be NULL) gets the counts. Returns FSY_OK; FSY_ESTATE on an
 * agent replica; FSY_EINVAL for a bad as_of; a store error (the current
 * batch is rolled back; earlier batches stay, being correct values) with
 * a message in errbuf (may be NULL).
 */
int fsy_tiers_update(fsy_store_t *st, const fsy_tiers_t *set,
    const char *as_of, fsy_tiers_stats_t *stats, char *errbuf,
    size_t errlen);

/*
 * Counts the non-deleted customers of st per level of s on as_of (NULL:
 * today), evaluating each; owner_agent_id (NULL: all customers) limits
 * the count to one agent's customers. Returns FSY_OK or as
 * fsy_tier_eval_customer.
 */
int fsy_tier_distribution(fsy_store_t *st, const fsy_tier_scheme_t *s,
    const char *as_of, const char *owner_agent_id, fsy_tier_dist_t *out);

#endif /* FSY_TIERS_H */
