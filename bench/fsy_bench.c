/*
 * fsy_bench.c — the fieldsync benchmark suite (docs/BENCHMARKS.md).
 *
 *   fsy_bench --workdir DIR --out results.json --md results.md
 *             [--daemon-json FILE] [--runs N] [--quick] [--only 1,2,3,5]
 *   fsy_bench mkhub --db PATH [--customers N]   (for bench/daemon.sh)
 *
 * Runs the workloads, writes every figure (medians of --runs runs, at
 * least 3) with the machine's description into results.json and the same
 * figures as Markdown tables into results.md (bench/run.sh splices them
 * into docs/BENCHMARKS.md). Every database lives under DIR and is removed
 * at the end. `fsy_bench agent-round ...` is the child of workload 1.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include <msgpack.h>
#include <sodium.h>
#include <zstd.h>

#include "bench.h"
#include "util.h"

const char *
bench_path(const bench_ctx_t *c, const char *name)
{
	static char bufs[8][1024];
	static int next;
	char *b = bufs[next++ % 8];

	snprintf(b, 1024, "%s/%s", c->workdir, name);
	return b;
}

void
bench_set_real(json_t *obj, const char *key, double v)
{
	if (json_object_set_new(obj, key, json_real(v)) != 0)
		bench_die("json: %s", key);
}

void
bench_set_int(json_t *obj, const char *key, int64_t v)
{
	if (json_object_set_new(obj, key, json_integer(v)) != 0)
		bench_die("json: %s", key);
}

void
bench_set_str(json_t *obj, const char *key, const char *v)
{
	if (json_object_set_new(obj, key, json_string(v)) != 0)
		bench_die("json: %s", key);
}

/* ---- the machine ---------------------------------------------------------- */

static void
proc_field(const char *file, const char *key, char *out, size_t n)
{
	FILE *f = fopen(file, "r");
	char line[512];
	size_t kl = strlen(key);

	snprintf(out, n, "unknown");
	if (f == NULL)
		return;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, key, kl) == 0) {
			char *p = strchr(line, ':');
			if (p == NULL)
				continue;
			p++;
			while (*p == ' ' || *p == '\t')
				p++;
			p[strcspn(p, "\n")] = '\0';
			snprintf(out, n, "%s", p);
			break;
		}
	}
	fclose(f);
}

/* The first line of a file, without its newline. */
static void
proc_line(const char *file, char *out, size_t n)
{
	FILE *f = fopen(file, "r");

	snprintf(out, n, "unknown");
	if (f && fgets(out, (int)n, f))
		out[strcspn(out, "\n")] = '\0';
	if (f)
		fclose(f);
}

/* The file system the work directory is on, from /proc/mounts. */
static void
fs_of(const char *dir, char *out, size_t n)
{
	FILE *f = fopen("/proc/mounts", "r");
	char dev[256], mnt[512], type[64], real[4096];
	size_t best = 0;

	snprintf(out, n, "unknown");
	if (f == NULL || realpath(dir, real) == NULL) {
		if (f)
			fclose(f);
		return;
	}
	while (fscanf(f, "%255s %511s %63s %*[^\n]", dev, mnt, type) == 3) {
		size_t l = strlen(mnt);
		if (strncmp(real, mnt, l) == 0 && (real[l] == '/' || real[l] == '\0' ||
		    l == 1) && l >= best) {
			best = l;
			snprintf(out, n, "%s on %s (%s)", type, dev, mnt);
		}
	}
	fclose(f);
}

static void
machine(bench_ctx_t *c)
{
	json_t *m = json_object();
	struct utsname u;
	char buf[512];
	long mem_kib;

	bench_set_int(m, "nproc", sysconf(_SC_NPROCESSORS_ONLN));
	proc_field("/proc/cpuinfo", "model name", buf, sizeof(buf));
	bench_set_str(m, "cpu", buf);
	proc_field("/proc/meminfo", "MemTotal", buf, sizeof(buf));
	mem_kib = strtol(buf, NULL, 10);
	bench_set_int(m, "memory_mib", mem_kib / 1024);
	if (uname(&u) == 0) {
		snprintf(buf, sizeof(buf), "%s %s %s", u.sysname, u.release, u.machine);
		bench_set_str(m, "kernel", buf);
	}
	proc_line("/proc/loadavg", buf, sizeof(buf));
	bench_set_str(m, "loadavg_at_start", buf);
	fs_of(c->workdir, buf, sizeof(buf));
	bench_set_str(m, "workdir_fs", buf);
	bench_set_str(m, "sqlite", sqlite3_libversion());
	snprintf(buf, sizeof(buf), "%s", sqlite3_compileoption_used(
	    "ENABLE_SESSION") ? "yes" : "no");
	bench_set_str(m, "sqlite_session_extension", buf);
	bench_set_str(m, "nng", nng_version());
	bench_set_str(m, "msgpack_c", msgpack_version());
	bench_set_str(m, "zstd", ZSTD_versionString());
	bench_set_str(m, "jansson", JANSSON_VERSION);
	bench_set_str(m, "libsodium", sodium_version_string());
	bench_set_str(m, "compiler", "gcc " __VERSION__);
#ifdef NDEBUG
	bench_set_str(m, "build", "optimised (NDEBUG), no sanitizers");
#else
	bench_set_str(m, "build", "assertions on");
#endif
	json_object_set_new(c->res, "machine", m);
}

/* The settings the stores really run with (read back, not assumed). */
static void
settings(bench_ctx_t *c)
{
	fsy_store_t *st = bench_open(bench_path(c, "settings.db"), FSY_ROLE_HUB,
	    NULL);
	json_t *s = json_object();
	sqlite3_stmt *q;
	const char *jm = "?";

	if (sqlite3_prepare_v2(fsy_store_db(st), "PRAGMA journal_mode", -1, &q,
	    NULL) == SQLITE_OK && sqlite3_step(q) == SQLITE_ROW)
		jm = (const char *)sqlite3_column_text(q, 0);
	bench_set_str(s, "journal_mode", jm ? jm : "?");
	sqlite3_finalize(q);
	bench_set_int(s, "synchronous", bench_int(st, "PRAGMA synchronous"));
	bench_set_str(s, "note", "synchronous 2 = FULL; every store is opened "
	    "with fsy_store_open(), the daemons' settings");
	json_object_set_new(c->res, "store_settings", s);
	fsy_store_close(st);
	bench_rm_db(bench_path(c, "settings.db"));
}

/* ---- targets and the Markdown table --------------------------------------- */

static const struct {
	const char *key, *what, *cmp;
	double target;
} targets[] = {
	{"bootstrap_2000_customers_s", "initial replica, 2,000 customers (s)", "<=", 1.0},
	{"hub_merge_changes_per_s", "hub merge, column changes/s (1,000 agents)", ">=", 50000},
	{"merge_vs_changeset_apply_ratio", "our merge ÷ SQLite changeset apply", "<=", 2.0},
	{"wire_bytes_json_docs_over_ours_ratio", "JSON documents ÷ our wire bytes (day)", ">=", 5.0},
	{"day_sync_large_over_small_ratio", "day sync, 100× replica ÷ small", "<=", 1.5},
	{"idle_agent_rss_mib", "idle agent daemon RSS (MiB)", "<=", 10.0},
};

static void
verdicts(bench_ctx_t *c)
{
	json_t *t = json_object();

	for (size_t i = 0; i < sizeof(targets) / sizeof(targets[0]); i++) {
		json_t *e = json_object(), *v = json_object_get(c->res, targets[i].key);
		double x;
		bench_set_str(e, "cmp", targets[i].cmp);
		bench_set_real(e, "target", targets[i].target);
		if (v == NULL || !json_is_number(v)) {
			if (v == NULL)
				json_object_set_new(c->res, targets[i].key, json_null());
			bench_set_str(e, "verdict", "not measured");
		} else {
			x = json_number_value(v);
			bench_set_str(e, "verdict", (targets[i].cmp[0] == '<'
			    ? x <= targets[i].target : x >= targets[i].target)
			    ? "met" : "missed");
		}
		json_object_set_new(t, targets[i].key, e);
	}
	json_object_set_new(c->res, "targets", t);
}

static double
jget(json_t *root, const char *path)
{
	char buf[256], *save = NULL, *tok;
	json_t *v = root;

	snprintf(buf, sizeof(buf), "%s", path);
	for (tok = strtok_r(buf, ".", &save); tok && v;
	    tok = strtok_r(NULL, ".", &save))
		v = json_object_get(v, tok);
	return v && json_is_number(v) ? json_number_value(v) : -1;
}

static void
fmt_num(char *out, size_t n, double v)
{
	if (v < 0)
		snprintf(out, n, "—");
	else if (v >= 100000)
		snprintf(out, n, "%.0f", v);
	else if (v >= 100)
		snprintf(out, n, "%.1f", v);
	else if (v >= 1)
		snprintf(out, n, "%.3f", v);
	else
		snprintf(out, n, "%.4f", v);
}

static void
md_row(FILE *f, json_t *r, const char *label, const char *path, const char *unit)
{
	char b[64];
	fmt_num(b, sizeof(b), jget(r, path));
	fprintf(f, "| %s | %s%s%s |\n", label, b, unit[0] ? " " : "", unit);
}

static void
write_md(bench_ctx_t *c, const char *path)
{
	FILE *f = fopen(path, "w");
	json_t *r = c->res, *m = json_object_get(r, "machine");
	const char *k;
	json_t *v;

	if (f == NULL)
		bench_die("%s: %s", path, strerror(errno));
	fprintf(f, "Generated by `make bench` on %s — medians of %d runs.\n\n",
	    json_string_value(json_object_get(r, "generated_at")), c->runs);
	fprintf(f, "**Machine.** ");
	json_object_foreach(m, k, v) {
		if (json_is_string(v))
			fprintf(f, "%s: %s; ", k, json_string_value(v));
		else if (json_is_integer(v))
			fprintf(f, "%s: %lld; ", k, (long long)json_integer_value(v));
	}
	fprintf(f, "stores: journal_mode %s, synchronous %lld (FULL).\n\n",
	    json_string_value(json_object_get(json_object_get(r, "store_settings"),
	    "journal_mode")), (long long)jget(r, "store_settings.synchronous"));

	fprintf(f, "### Targets\n\n| figure | measured | target | verdict |\n"
	    "|---|---|---|---|\n");
	for (size_t i = 0; i < sizeof(targets) / sizeof(targets[0]); i++) {
		char b[64], t[64];
		json_t *e = json_object_get(json_object_get(r, "targets"),
		    targets[i].key);
		fmt_num(b, sizeof(b), jget(r, targets[i].key));
		fmt_num(t, sizeof(t), targets[i].target);
		fprintf(f, "| %s `%s` | %s | %s %s | %s |\n", targets[i].what,
		    targets[i].key, b, targets[i].cmp, t,
		    json_string_value(json_object_get(e, "verdict")));
	}

	if (json_object_get(json_object_get(r, "workloads"), "bootstrap")) {
		fprintf(f, "\n### 1. Initial replica (nng tcp on loopback)\n\n"
		    "| | |\n|---|---|\n");
		md_row(f, r, "households", "workloads.bootstrap.customers", "");
		md_row(f, r, "column versions at the hub", "workloads.bootstrap.column_versions", "");
		md_row(f, r, "visits", "workloads.bootstrap.rows_visit", "");
		md_row(f, r, "sync round", "workloads.bootstrap.round_s_median", "s");
		md_row(f, r, "of which hub time (snapshots, pulls)", "workloads.bootstrap.hub_pull_s_median", "s");
		md_row(f, r, "empty store open + migrations", "workloads.bootstrap.store_open_s_median", "s");
		md_row(f, r, "bytes hub → laptop", "workloads.bootstrap.bytes_hub_to_agent", "B");
		md_row(f, r, "bytes laptop → hub", "workloads.bootstrap.bytes_agent_to_hub", "B");
		md_row(f, r, "messages (request/reply pairs)", "workloads.bootstrap.messages", "");
		md_row(f, r, "replica file after the round", "workloads.bootstrap.replica_bytes", "B");
		md_row(f, r, "agent process peak RSS", "workloads.bootstrap.agent_peak_rss_mib_median", "MiB");
	}
	if (json_object_get(json_object_get(r, "workloads"), "day")) {
		fprintf(f, "\n### 2. A day offline (50 visits, 200 field edits), "
		    "then one round over nng\n\n"
		    "| replica | households | changes pushed | round | hub merge "
		    "(PUSH) | bytes on the wire |\n|---|---|---|---|---|---|\n");
		static const char *const sz[] = {"small", "medium", "large"};
		for (int i = 0; i < 3; i++) {
			char p[128], a[64], b[64], cc[64], d[64], e[64];
			snprintf(p, sizeof(p), "workloads.day.%s.customers", sz[i]);
			fmt_num(a, sizeof(a), jget(r, p));
			snprintf(p, sizeof(p), "workloads.day.%s.changes_pushed", sz[i]);
			fmt_num(b, sizeof(b), jget(r, p));
			snprintf(p, sizeof(p), "workloads.day.%s.round_s_median", sz[i]);
			fmt_num(cc, sizeof(cc), jget(r, p));
			snprintf(p, sizeof(p), "workloads.day.%s.hub_push_s_median", sz[i]);
			fmt_num(d, sizeof(d), jget(r, p));
			snprintf(p, sizeof(p), "workloads.day.%s.wire_bytes_median", sz[i]);
			fmt_num(e, sizeof(e), jget(r, p));
			fprintf(f, "| %s | %s | %s | %s s | %s s | %s B |\n", sz[i], a, b,
			    cc, d, e);
		}
	}
	if (json_object_get(json_object_get(r, "workloads"), "merge")) {
		json_t *ms = json_object_get(json_object_get(json_object_get(r,
		    "workloads"), "merge"), "by_agents");
		fprintf(f, "\n### 3. Hub merge, simulated agents pushing at once\n\n"
		    "| agents | changes | merge (PUSH) changes/s | whole rounds "
		    "changes/s | round p50 | round p99 | hub time per round p50 "
		    "| p99 |\n|---|---|---|---|---|---|---|---|\n");
		json_object_foreach(ms, k, v) {
			char a[64], b[64], cc[64], d[64], e[64], g[64], h[64];
			fmt_num(a, sizeof(a), jget(v, "changes_per_burst"));
			fmt_num(b, sizeof(b), jget(v, "merge_changes_per_s_median"));
			fmt_num(cc, sizeof(cc), jget(v, "round_changes_per_s_median"));
			fmt_num(d, sizeof(d), jget(v, "round_latency_p50_s_median"));
			fmt_num(e, sizeof(e), jget(v, "round_latency_p99_s_median"));
			fmt_num(g, sizeof(g), jget(v, "round_service_p50_s_median"));
			fmt_num(h, sizeof(h), jget(v, "round_service_p99_s_median"));
			fprintf(f, "| %s | %s | %s | %s | %s s | %s s | %s s | %s s |\n",
			    k, a, b, cc, d, e, g, h);
		}
	}
	if (json_object_get(json_object_get(r, "workloads"), "baselines")) {
		fprintf(f, "\n### 4. Baselines, same day's changes, medium replica\n\n"
		    "| | bytes | time |\n|---|---|---|\n");
		static const struct {
			const char *label, *bytes, *time;
		} rows[] = {
			{"ours: whole sync round over nng (both directions)",
			 "workloads.baselines.ours_wire_bytes_median",
			 "workloads.baselines.ours_round_s_median"},
			{"ours: hub merge of the day's PUSH (decode, merge, commit)",
			 "workloads.baselines.ours_push_bytes_median",
			 "workloads.baselines.ours_merge_s_median"},
			{"SQLite session changeset, applied at a hub copy",
			 "workloads.baselines.changeset_bytes_median",
			 "workloads.baselines.changeset_apply_s_median"},
			{"changeset, zstd -3", "workloads.baselines.changeset_zstd_bytes_median", ""},
			{"whole replica file copied (read, write, fsync)",
			 "workloads.baselines.replica_file_bytes",
			 "workloads.baselines.replica_copy_s_median"},
			{"whole replica file, zstd -3",
			 "workloads.baselines.replica_file_zstd_bytes",
			 "workloads.baselines.replica_zstd_s_median"},
			{"one whole JSON document per changed row",
			 "workloads.baselines.json_docs_bytes_median",
			 "workloads.baselines.json_docs_encode_s_median"},
			{"JSON documents, zstd -3", "workloads.baselines.json_docs_zstd_bytes_median", ""},
		};
		for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
			char a[64], b[64];
			fmt_num(a, sizeof(a), jget(r, rows[i].bytes));
			if (rows[i].time[0])
				fmt_num(b, sizeof(b), jget(r, rows[i].time));
			fprintf(f, "| %s | %s | %s%s |\n", rows[i].label, a,
			    rows[i].time[0] ? b : "", rows[i].time[0] ? " s" : "");
		}
		fprintf(f, "\n**The day's PUSH batch, msgpack vs JSON** "
		    "(same changes; encode and decode per batch):\n\n"
		    "| encoding | bytes | encode | decode |\n|---|---|---|---|\n");
		static const char *const enc[] = {"msgpack_zstd", "msgpack", "json",
			"json_zstd"};
		for (int i = 0; i < 4; i++) {
			char p[128], a[64], b[64], cc[64];
			snprintf(p, sizeof(p), "workloads.baselines.encoding.%s.bytes", enc[i]);
			fmt_num(a, sizeof(a), jget(r, p));
			snprintf(p, sizeof(p), "workloads.baselines.encoding.%s.encode_s", enc[i]);
			fmt_num(b, sizeof(b), jget(r, p));
			snprintf(p, sizeof(p), "workloads.baselines.encoding.%s.decode_s", enc[i]);
			fmt_num(cc, sizeof(cc), jget(r, p));
			fprintf(f, "| %s | %s | %s s | %s s |\n", enc[i], a, b, cc);
		}
	}
	{
		json_t *d = json_object_get(json_object_get(r, "workloads"), "daemon");
		const char *note = json_string_value(json_object_get(d, "note"));
		fprintf(f, "\n### 5. Daemons\n\n");
		if (json_object_get(d, "idle_cpu_percent")) {
			fprintf(f, "| | |\n|---|---|\n");
			md_row(f, r, "idle agent daemon RSS", "workloads.daemon.idle_rss_mib_median", "MiB");
			md_row(f, r, "idle agent daemon CPU", "workloads.daemon.idle_cpu_percent", "%");
		}
		if (note)
			fprintf(f, "%s\n", note);
	}
	fclose(f);
}

/* ---- main ----------------------------------------------------------------- */

static void
usage(void)
{
	fprintf(stderr, "usage: fsy_bench --workdir DIR --out FILE.json --md FILE.md "
	    "[--daemon-json FILE] [--runs N] [--quick] [--only 1,2,3,5]\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	bench_ctx_t c;
	const char *out = NULL, *md = NULL, *only = "1,2,3,5";
	char when[32];
	time_t now = time(NULL);
	double t0 = bench_now();

	if (argc > 1 && strcmp(argv[1], "agent-round") == 0)
		return bench_agent_round_main(argc, argv);
	if (argc > 1 && strcmp(argv[1], "mkhub") == 0)
		return bench_mkhub_main(argc, argv);
	memset(&c, 0, sizeof(c));
	c.runs = 5;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--quick") == 0)
			c.quick = 1;
		else if (i + 1 >= argc)
			usage();
		else if (strcmp(argv[i], "--workdir") == 0)
			c.workdir = argv[++i];
		else if (strcmp(argv[i], "--out") == 0)
			out = argv[++i];
		else if (strcmp(argv[i], "--md") == 0)
			md = argv[++i];
		else if (strcmp(argv[i], "--daemon-json") == 0)
			c.daemon_json = argv[++i];
		else if (strcmp(argv[i], "--runs") == 0)
			c.runs = atoi(argv[++i]);
		else if (strcmp(argv[i], "--only") == 0)
			only = argv[++i];
		else
			usage();
	}
	if (c.workdir == NULL || out == NULL || md == NULL)
		usage();
	if (c.runs < 3 || c.runs > 50)
		bench_die("--runs must be 3..50 (medians need at least 3)");
	if (sodium_init() < 0)
		bench_die("libsodium init");
	if (mkdir(c.workdir, 0755) != 0 && errno != EEXIST)
		bench_die("%s: %s", c.workdir, strerror(errno));
	{
		ssize_t n = readlink("/proc/self/exe", c.self, sizeof(c.self) - 1);
		if (n <= 0)
			bench_die("readlink /proc/self/exe");
		c.self[n] = '\0';
	}
	c.res = json_object();
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
	bench_set_str(c.res, "generated_at", when);
	bench_set_int(c.res, "runs", c.runs);
	bench_set_str(c.res, "statistic", "median of runs");
	if (c.quick)
		bench_set_str(c.res, "warning", "--quick: reduced sizes, not the "
		    "benchmark's figures");
	json_object_set_new(c.res, "workloads", json_object());
	machine(&c);
	settings(&c);
	if (bench_check_fill(c.workdir) != 0)
		bench_die("the bulk fill's col_version differs from what capture "
		    "records (bench_check_fill)");
	bench_set_str(c.res, "fill_check", "hubs are filled in bulk with the "
	    "capture triggers off and col_version built column by column; for a "
	    "120-household book it equals what capture records row by row");

	if (strchr(only, '1') || strchr(only, '2')) {
		fprintf(stderr, "workload 1: initial replica\n");
		bench_wl_bootstrap(&c);
	}
	if (strchr(only, '2')) {
		fprintf(stderr, "workloads 2 and 4: a day offline, baselines\n");
		bench_wl_day(&c);
	}
	if (c.boot_hub) {
		fsy_store_close(c.boot_hub);
		bench_rm_db(c.boot_hub_path);
		bench_rm_db(c.boot_agent_path);
	}
	if (strchr(only, '3')) {
		fprintf(stderr, "workload 3: hub merge\n");
		bench_wl_merge(&c);
	}
	if (strchr(only, '5')) {
		fprintf(stderr, "workload 5: daemons\n");
		bench_wl_daemon(&c);
	}
	bench_set_real(c.res, "suite_seconds", bench_now() - t0);
	{
		char la[128];
		proc_line("/proc/loadavg", la, sizeof(la));
		bench_set_str(json_object_get(c.res, "machine"), "loadavg_at_end", la);
	}
	verdicts(&c);
	if (json_dump_file(c.res, out, JSON_INDENT(2) | JSON_SORT_KEYS) != 0)
		bench_die("cannot write %s", out);
	write_md(&c, md);
	json_decref(c.res);
	rmdir(c.workdir);
	fprintf(stderr, "wrote %s and %s (%.0f s)\n", out, md, bench_now() - t0);
	return 0;
}
