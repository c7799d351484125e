/*
 * gen.c — fieldsync-gen: writes a deterministic, realistic data set in the
 * core policy system's CSV format (docs/IMPORT.md) for `fieldsync import`.
 *
 *   fieldsync-gen --seed N --customers N [--agents N] [--teams N]
 *                 [--branch CODE] [--as-of YYYY-MM-DD] --out DIR
 *
 * The same options give byte-identical files. The generation itself lives
 * in daemon/core/gendata.c, so that tests can call it.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fsy_err.h"
#include "gendata.h"
#include "util.h"

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: fieldsync-gen --seed N --customers N [--agents N] "
	    "[--teams N]\n"
	    "                     [--branch CODE] [--as-of YYYY-MM-DD] "
	    "[--quiet] --out DIR\n"
	    "\n"
	    "Writes agents.csv, customers.csv, persons.csv, policies.csv and "
	    "visits.csv\n"
	    "into DIR (created if missing), in the format `fieldsync import` "
	    "reads\n"
	    "(docs/IMPORT.md). The same options always give the same bytes.\n"
	    "\n"
	    "  --seed N         PRNG seed, 0..18446744073709551615 (default 1)\n"
	    "  --customers N    policyholders, %d..%d (default 1000)\n"
	    "  --agents N       the whole roster, %d..%d "
	    "(default customers/120, at least 4)\n"
	    "  --teams N        sales teams (default one per 10 sales agents); "
	    "a service\n"
	    "                   team of service and renewal staff is added\n"
	    "  --branch CODE    branch code, 2..%d of A-Z 0-9 (default BJ01); "
	    "its first\n"
	    "                   two letters pick the city (BJ SH GZ SZ CD WH HZ "
	    "NJ XA CQ\n"
	    "                   TJ SY ZZ CS JN QD)\n"
	    "  --as-of DATE     the data's today (default: today, UTC); pass it "
	    "to\n"
	    "                   reproduce a data set on another day\n"
	    "  --quiet          no summary on standard error\n"
	    "  --out DIR        output directory (required)\n"
	    "  --help           this text\n",
	    FSY_GEN_MIN_CUSTOMERS, FSY_GEN_MAX_CUSTOMERS, FSY_GEN_MIN_AGENTS,
	    FSY_GEN_MAX_AGENTS, FSY_GEN_BRANCH_MAX);
}

/* Parses a whole decimal number in [0, max]; -1 on anything else. */
static int
parse_u64(const char *s, uint64_t max, uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (s == NULL || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end != '\0' || v > max)
		return -1;
	*out = v;
	return 0;
}

int
main(int argc, char **argv)
{
	fsy_gen_opts_t o;
	fsy_gen_stats_t stats;
	const char *out = NULL;
	int quiet = 0, have_seed = 0, have_customers = 0, rc;
	char err[512];
	uint64_t v;

	fsy_gen_opts_init(&o);
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *val = i + 1 < argc ? argv[i + 1] : NULL;

		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			usage(stdout);
			return 0;
		}
		if (strcmp(a, "--quiet") == 0) {
			quiet = 1;
			continue;
		}
		if (strcmp(a, "--seed") && strcmp(a, "--customers") &&
		    strcmp(a, "--agents") && strcmp(a, "--teams") &&
		    strcmp(a, "--branch") && strcmp(a, "--as-of") &&
		    strcmp(a, "--out")) {
			fprintf(stderr, "fieldsync-gen: unknown option '%s' "
			    "(see --help)\n", a);
			return 2;
		}
		if (val == NULL) {
			fprintf(stderr, "fieldsync-gen: %s needs a value\n", a);
			return 2;
		}
		i++;
		if (strcmp(a, "--seed") == 0) {
			if (parse_u64(val, UINT64_MAX, &o.seed)) {
				fprintf(stderr, "fieldsync-gen: --seed '%s': not a "
				    "number in 0..%" PRIu64 "\n", val, UINT64_MAX);
				return 2;
			}
			have_seed = 1;
		} else if (strcmp(a, "--customers") == 0) {
			if (parse_u64(val, INT64_MAX, &v) ||
			    v < FSY_GEN_MIN_CUSTOMERS ||
			    v > FSY_GEN_MAX_CUSTOMERS) {
				fprintf(stderr, "fieldsync-gen: --customers '%s': "
				    "must be a number in %d..%d\n", val,
				    FSY_GEN_MIN_CUSTOMERS, FSY_GEN_MAX_CUSTOMERS);
				return 2;
			}
			o.customers = (int64_t)v;
			have_customers = 1;
		} else if (strcmp(a, "--agents") == 0 ||
		           strcmp(a, "--teams") == 0) {
			int agents = a[2] == 'a';
			if (parse_u64(val, FSY_GEN_MAX_AGENTS, &v) || v == 0) {
				fprintf(stderr, "fieldsync-gen: %s '%s': must be a "
				    "number in 1..%d\n", a, val,
				    FSY_GEN_MAX_AGENTS);
				return 2;
			}
			*(agents ? &o.agents : &o.teams) = (int)v;
		} else if (strcmp(a, "--branch") == 0) {
			if (strlen(val) > FSY_GEN_BRANCH_MAX) {
				fprintf(stderr, "fieldsync-gen: --branch '%s': at "
				    "most %d characters\n", val,
				    FSY_GEN_BRANCH_MAX);
				return 2;
			}
			snprintf(o.branch, sizeof(o.branch), "%s", val);
		} else if (strcmp(a, "--as-of") == 0) {
			int64_t ms;
			if (strlen(val) != 10 || fsy_parse_time(val, &ms)) {
				fprintf(stderr, "fieldsync-gen: --as-of '%s': not a "
				    "date YYYY-MM-DD\n", val);
				return 2;
			}
			o.as_of = ms / 86400000;
		} else {
			out = val;
		}
	}
	if (!have_seed || !have_customers || out == NULL) {
		fprintf(stderr, "fieldsync-gen: --seed, --customers and --out are "
		    "required (see --help)\n");
		return 2;
	}
	if (fsy_gen_opts_check(&o, err, sizeof(err)) != FSY_OK) {
		fprintf(stderr, "fieldsync-gen: %s\n", err);
		return 2;
	}
	rc = fsy_gen_write(&o, out, &stats, err, sizeof(err));
	if (rc != FSY_OK) {
		fprintf(stderr, "fieldsync-gen: %s\n", err);
		return 1;
	}
	if (!quiet) {
		char day[11];
		fsy_iso_date(o.as_of * 86400000, day);
		fprintf(stderr,
		    "fieldsync-gen: seed %" PRIu64 ", as of %s, branch %s: "
		    "%lld agents (%d left), %lld customers (%lld pure and %lld "
		    "non-pure service-order), %lld persons, %lld policies (%lld "
		    "households with other insurers'), %lld visits -> %s\n",
		    o.seed, day, o.branch,
		    (long long)stats.rows[FSY_IMPORT_AGENTS],
		    stats.agents_departed,
		    (long long)stats.rows[FSY_IMPORT_CUSTOMERS],
		    (long long)stats.pure, (long long)stats.nonpure,
		    (long long)stats.rows[FSY_IMPORT_PERSONS],
		    (long long)stats.rows[FSY_IMPORT_POLICIES],
		    (long long)stats.external_households,
		    (long long)stats.rows[FSY_IMPORT_VISITS], out);
	}
	return 0;
}
