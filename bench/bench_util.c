/* bench_util.c — clocks, medians, RSS, PRNG, store helpers (see bench.h). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"
#include "util.h"

double
bench_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

double
bench_median(double *v, size_t n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

double
bench_percentile(double *v, size_t n, double p)
{
	size_t k;

	qsort(v, n, sizeof(*v), cmp_double);
	/* nearest rank: the smallest value with at least p% at or below it */
	k = (size_t)((p / 100.0) * (double)n + 0.999999);
	if (k < 1)
		k = 1;
	if (k > n)
		k = n;
	return v[k - 1];
}

static long
status_kib(const char *key)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	size_t kl = strlen(key);
	long v = -1;

	if (f == NULL)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, key, kl) == 0 && line[kl] == ':') {
			v = strtol(line + kl + 1, NULL, 10);
			break;
		}
	fclose(f);
	return v;
}

long
bench_rss_kib(void)
{
	return status_kib("VmRSS");
}

long
bench_peak_rss_kib(void)
{
	return status_kib("VmHWM");
}

int64_t
bench_file_size(const char *path)
{
	struct stat sb;
	return stat(path, &sb) == 0 ? (int64_t)sb.st_size : -1;
}

void
bench_rm_db(const char *path)
{
	char p[1100];

	unlink(path);
	snprintf(p, sizeof(p), "%s-wal", path);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", path);
	unlink(p);
}

void
bench_die(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fprintf(stderr, "fsy_bench: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	exit(1);
}

void
bench_exec(fsy_store_t *st, const char *sql)
{
	int rc = fsy_store_exec(st, sql);

	if (rc != FSY_OK)
		bench_die("%s: %s (%.120s)", fsy_strerror(rc), fsy_store_errmsg(st),
		    sql);
}

void
bench_idle(fsy_store_t *st)
{
	int64_t left = 1;
	int rc = FSY_OK;

	/* as the daemon when idle: the feed pruned, then the checkpoint */
	while (rc == FSY_OK && left > 0)
		rc = fsy_store_prune(st, 20000, &left);
	if (rc != FSY_OK)
		bench_die("prune: %s: %s", fsy_strerror(rc), fsy_store_errmsg(st));
	rc = fsy_store_checkpoint(st);
	if (rc != FSY_OK)
		bench_die("checkpoint: %s: %s", fsy_strerror(rc),
		    fsy_store_errmsg(st));
}

int64_t
bench_int(fsy_store_t *st, const char *sql)
{
	sqlite3_stmt *s;
	int64_t v = 0;
	int rc = sqlite3_prepare_v2(fsy_store_db(st), sql, -1, &s, NULL);

	if (rc != SQLITE_OK)
		bench_die("%s: %s", sql, sqlite3_errmsg(fsy_store_db(st)));
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		v = sqlite3_column_int64(s, 0);
	else if (rc != SQLITE_DONE)
		bench_die("%s: %s", sql, sqlite3_errmsg(fsy_store_db(st)));
	sqlite3_finalize(s);
	return v;
}

fsy_store_t *
bench_open(const char *path, fsy_role_t role, const char *site)
{
	fsy_store_t *st = NULL;
	char err[512];
	int rc = fsy_store_open(path, role, site, &st, err, sizeof(err));

	if (rc != FSY_OK)
		bench_die("open %s", err);
	return st;
}

void
bench_rng_seed(bench_rng_t *r, uint64_t seed, uint64_t stream)
{
	bench_rng_t m = {seed ^ (stream * 0xd1b54a32d192ed03ULL)};

	r->s = bench_rng_next(&m);
	r->s = bench_rng_next(&m) ^ r->s;
}

uint64_t
bench_rng_next(bench_rng_t *r)
{
	uint64_t z = (r->s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

uint64_t
bench_rng_below(bench_rng_t *r, uint64_t n)
{
	return bench_rng_next(r) % n; /* bias irrelevant for test data */
}

void
bench_rng_uuid(bench_rng_t *r, char out[37])
{
	uint8_t b[16];
	uint64_t x = bench_rng_next(r), y = bench_rng_next(r);

	for (int i = 0; i < 8; i++) {
		b[i] = (uint8_t)(x >> (8 * i));
		b[8 + i] = (uint8_t)(y >> (8 * i));
	}
	b[6] = (uint8_t)((b[6] & 0x0f) | 0x70);
	b[8] = (uint8_t)((b[8] & 0x3f) | 0x80);
	fsy_uuid_format(b, out);
}
