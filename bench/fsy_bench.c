/*
 * fsy_bench.c — the fieldsync benchmark suite (docs/BENCHMARKS.md).
 *
 *   fsy_bench --workdir DIR --out results.json --md results.md
 *             [--daemon-json FILE] [--commit ID] [--runs N] [--quick]
 *             [--only 1,2,3,5]
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
	bench_set_int(s, "hub_cache_size", bench_int(st, "PRAGMA cache_size"));
	fsy_store_close(st);
	bench_rm_db(bench_path(c, "settings.db"));
	st = bench_open(bench_path(c, "settings.db"), FSY_ROLE_AGENT, NULL);
	bench_set_int(s, "replica_cache_size", bench_int(st, "PRAGMA cache_size"));
	fsy_store_close(st);
	bench_rm_db(bench_path(c, "settings.db"));
	bench_set_str(s, "note", "synchronous 2 = FULL; cache_size < 0: KiB of "
	    "page cache; every store is opened with fsy_store_open(), the "
	    "daemons' settings");
	json_object_set_new(c->res, "store_settings", s);
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

/* Number formats of the tables: kinds of figure. */
typedef enum { F_INT, F_SEC, F_RATIO, F_MIB, F_PCT } fmt_t;

/* Formats v as kind k into out; "—" when v is missing (negative). */
static void
fmt(char *out, size_t n, double v, fmt_t k)
{
	char digits[64];
	size_t len, o = 0;

	if (v < 0) {
		snprintf(out, n, "—");
		return;
	}
	switch (k) {
	case F_SEC:
		if (v >= 1)
			snprintf(out, n, "%.2f s", v);
		else if (v >= 0.001)
			snprintf(out, n, "%.1f ms", v * 1e3);
		else
			snprintf(out, n, "%.0f µs", v * 1e6);
		return;
	case F_RATIO:
		snprintf(out, n, "%.2f", v);
		return;
	case F_MIB:
		snprintf(out, n, "%.1f MiB", v);
		return;
	case F_PCT:
		snprintf(out, n, "%.2f %%", v);
		return;
	case F_INT:
		break;
	}
	/* an integer with thousands separated by commas */
	snprintf(digits, sizeof(digits), "%.0f", v);
	len = strlen(digits);
	for (size_t i = 0; i < len && o + 2 < n; i++) {
		out[o++] = digits[i];
		if ((len - i - 1) % 3 == 0 && i + 1 < len)
			out[o++] = ',';
	}
	out[o] = '\0';
}

static void
md_row(FILE *f, json_t *r, const char *label, const char *path, fmt_t k)
{
	char b[64];
	fmt(b, sizeof(b), jget(r, path), k);
	fprintf(f, "| %s | %s |\n", label, b);
}

/* The kind of each target's figure. */
static fmt_t
target_fmt(const char *key)
{
	if (strstr(key, "per_s"))
		return F_INT;
	if (strlen(key) > 2 && strcmp(key + strlen(key) - 2, "_s") == 0)
		return F_SEC;
	if (strstr(key, "mib"))
		return F_MIB;
	return F_RATIO;
}

static void
write_md(bench_ctx_t *c, const char *path)
{
	FILE *f = fopen(path, "w");
	json_t *r = c->res, *m = json_object_get(r, "machine");
	json_t *wl = json_object_get(r, "workloads");
	const char *k;
	json_t *v;

	if (f == NULL)
		bench_die("%s: %s", path, strerror(errno));
	fprintf(f, "Generated by `make bench` on %s — medians of %d runs "
	    "(hub merge at 1,000 agents: 3).\n\n",
	    json_string_value(json_object_get(r, "generated_at")), c->runs);
	if (json_object_get(r, "warning"))
		fprintf(f, "**%s**\n\n", json_string_value(json_object_get(r,
		    "warning")));
	fprintf(f, "**Code:** commit %s.\n\n**Machine.** ",
	    json_string_value(json_object_get(r, "commit")) ?
	    json_string_value(json_object_get(r, "commit")) : "unknown");
	json_object_foreach(m, k, v) {
		if (json_is_string(v))
			fprintf(f, "%s: %s; ", k, json_string_value(v));
		else if (json_is_integer(v))
			fprintf(f, "%s: %lld; ", k, (long long)json_integer_value(v));
	}
	fprintf(f, "\n\n**Stores** (read back): journal_mode %s, synchronous %lld "
	    "(FULL), page cache %lld KiB (hub) and %lld KiB (laptop).\n\n",
	    json_string_value(json_object_get(json_object_get(r, "store_settings"),
	    "journal_mode")), (long long)jget(r, "store_settings.synchronous"),
	    -(long long)json_integer_value(json_object_get(json_object_get(r,
	    "store_settings"), "hub_cache_size")),
	    -(long long)json_integer_value(json_object_get(json_object_get(r,
	    "store_settings"), "replica_cache_size")));

	fprintf(f, "### Targets\n\n| figure | measured | target | verdict |\n"
	    "|---|---|---|---|\n");
	for (size_t i = 0; i < sizeof(targets) / sizeof(targets[0]); i++) {
		char b[64], t[64];
		json_t *e = json_object_get(json_object_get(r, "targets"),
		    targets[i].key);
		fmt_t kind = target_fmt(targets[i].key);
		fmt(b, sizeof(b), jget(r, targets[i].key), kind);
		fmt(t, sizeof(t), targets[i].target, kind);
		fprintf(f, "| %s `%s` | %s | %s %s | %s |\n", targets[i].what,
		    targets[i].key, b, targets[i].cmp, t,
		    json_string_value(json_object_get(e, "verdict")));
	}

	if (json_object_get(wl, "bootstrap")) {
		fprintf(f, "\n### 1. Initial replica, engine over nng tcp on "
		    "loopback\n\n| | |\n|---|---|\n");
		md_row(f, r, "households", "workloads.bootstrap.customers", F_INT);
		md_row(f, r, "visits", "workloads.bootstrap.rows_visit", F_INT);
		md_row(f, r, "column values (hub versions)", "workloads.bootstrap.column_versions", F_INT);
		md_row(f, r, "**sync round**", "workloads.bootstrap.round_s_median", F_SEC);
		md_row(f, r, "of which hub time (PULLs: snapshots, batch)", "workloads.bootstrap.hub_pull_s_median", F_SEC);
		md_row(f, r, "creating the empty replica (not in the round)", "workloads.bootstrap.store_open_s_median", F_SEC);
		md_row(f, r, "bytes hub → laptop", "workloads.bootstrap.bytes_hub_to_agent", F_INT);
		md_row(f, r, "bytes laptop → hub", "workloads.bootstrap.bytes_agent_to_hub", F_INT);
		md_row(f, r, "bytes on the wire (with nng headers)", "workloads.bootstrap.wire_bytes", F_INT);
		md_row(f, r, "request/reply pairs", "workloads.bootstrap.messages", F_INT);
		md_row(f, r, "replica file after the round (bytes)", "workloads.bootstrap.replica_bytes", F_INT);
		md_row(f, r, "agent process peak RSS", "workloads.bootstrap.agent_peak_rss_mib_median", F_MIB);
	}
	if (json_object_get(json_object_get(wl, "daemon"), "bootstrap_round_s_median")) {
		fprintf(f, "\n### 1b. Initial replica, daemon to daemon over TLS\n\n"
		    "| | |\n|---|---|\n");
		md_row(f, r, "households", "workloads.daemon.customers", F_INT);
		md_row(f, r, "**sync round** (agent's `status`: connect, TLS, every request)", "workloads.daemon.bootstrap_round_s_median", F_SEC);
		md_row(f, r, "agent daemon start to synced", "workloads.daemon.bootstrap_start_to_synced_s_median", F_SEC);
		md_row(f, r, "bytes hub → laptop (frames)", "workloads.daemon.bytes_in", F_INT);
		md_row(f, r, "bytes laptop → hub (frames)", "workloads.daemon.bytes_out", F_INT);
		md_row(f, r, "round trips", "workloads.daemon.round_trips", F_INT);
		md_row(f, r, "agent daemon peak RSS", "workloads.daemon.agent_peak_rss_mib_median", F_MIB);
	}
	if (json_object_get(wl, "day")) {
		static const char *const sz[] = {"small", "medium", "large"};
		fprintf(f, "\n### 2. A day offline (50 visits, 200 field edits), "
		    "then one round over nng\n\n"
		    "| replica | households | changes pushed | **round** | of which "
		    "hub: PUSH | hub: all | bytes on the wire |\n"
		    "|---|---|---|---|---|---|---|\n");
		for (int i = 0; i < 3; i++) {
			static const struct {
				const char *field;
				fmt_t k;
			} cols[] = {{"customers", F_INT}, {"changes_pushed", F_INT},
				{"round_s_median", F_SEC}, {"hub_push_s_median", F_SEC},
				{"hub_s_median", F_SEC}, {"wire_bytes_median", F_INT}};
			fprintf(f, "| %s ", sz[i]);
			for (size_t j = 0; j < sizeof(cols) / sizeof(cols[0]); j++) {
				char p[128], b[64];
				snprintf(p, sizeof(p), "workloads.day.%s.%s", sz[i],
				    cols[j].field);
				fmt(b, sizeof(b), jget(r, p), cols[j].k);
				fprintf(f, "| %s ", b);
			}
			fprintf(f, "|\n");
		}
	}
	if (json_object_get(wl, "merge")) {
		json_t *ms = json_object_get(json_object_get(wl, "merge"), "by_agents");
		char ma[64], mb[64], mc[64];
		fmt(ma, sizeof(ma), jget(r, "workloads.merge.agents"), F_INT);
		fmt(mb, sizeof(mb), jget(r, "workloads.merge.households_per_agent"), F_INT);
		fmt(mc, sizeof(mc), jget(r, "workloads.merge.hub_column_versions"), F_INT);
		fprintf(f, "\n### 3. Hub merge, simulated agents pushing at once "
		    "(a hub of %s agents with %s households each, %s column "
		    "versions)\n\n"
		    "| agents | changes | **merged/s (PUSH)** | changes/s, whole "
		    "rounds | round latency p50 | p99 | hub time per round p50 "
		    "| p99 |\n|---|---|---|---|---|---|---|---|\n", ma, mb, mc);
		json_object_foreach(ms, k, v) {
			static const struct {
				const char *field;
				fmt_t k;
			} cols[] = {{"changes_per_burst", F_INT},
				{"merge_changes_per_s_median", F_INT},
				{"round_changes_per_s_median", F_INT},
				{"round_latency_p50_s_median", F_SEC},
				{"round_latency_p99_s_median", F_SEC},
				{"round_service_p50_s_median", F_SEC},
				{"round_service_p99_s_median", F_SEC}};
			fprintf(f, "| %s ", k);
			for (size_t j = 0; j < sizeof(cols) / sizeof(cols[0]); j++) {
				char b[64];
				fmt(b, sizeof(b), jget(v, cols[j].field), cols[j].k);
				fprintf(f, "| %s ", b);
			}
			fprintf(f, "|\n");
		}
	}
	if (json_object_get(wl, "baselines")) {
		static const struct {
			const char *label, *bytes, *time;
		} rows[] = {
			{"**ours**: the whole round over nng, both directions",
			 "workloads.baselines.ours_wire_bytes_median",
			 "workloads.baselines.ours_round_s_median"},
			{"**ours**: the day's PUSH (zstd msgpack) merged at the hub",
			 "workloads.baselines.ours_push_bytes_median",
			 "workloads.baselines.ours_merge_s_median"},
			{"SQLite session changeset, applied to a copy of the hub",
			 "workloads.baselines.changeset_bytes_median",
			 "workloads.baselines.changeset_apply_s_median"},
			{"the changeset, zstd -3",
			 "workloads.baselines.changeset_zstd_bytes_median", ""},
			{"the whole replica file, copied (read, write, fsync)",
			 "workloads.baselines.replica_file_bytes",
			 "workloads.baselines.replica_copy_s_median"},
			{"the whole replica file, zstd -3",
			 "workloads.baselines.replica_file_zstd_bytes",
			 "workloads.baselines.replica_zstd_s_median"},
			{"one whole JSON document per changed row (built and dumped)",
			 "workloads.baselines.json_docs_bytes_median",
			 "workloads.baselines.json_docs_encode_s_median"},
			{"the JSON documents, zstd -3",
			 "workloads.baselines.json_docs_zstd_bytes_median", ""},
		};
		static const char *const enc[] = {"msgpack_zstd", "msgpack", "json",
			"json_zstd"};
		static const char *const encname[] = {"msgpack + zstd (ours)",
			"msgpack", "JSON", "JSON + zstd"};
		char a[64], b[64], cc[64];
		fmt(a, sizeof(a), jget(r, "workloads.baselines.changes"), F_INT);
		fmt(b, sizeof(b), jget(r, "workloads.baselines.json_docs_count"), F_INT);
		fprintf(f, "\n### 4. Baselines: the medium replica's day, the same "
		    "changes (%s change-log entries, %s rows touched)\n\n"
		    "| | bytes | time |\n|---|---|---|\n", a, b);
		for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
			fmt(a, sizeof(a), jget(r, rows[i].bytes), F_INT);
			if (rows[i].time[0])
				fmt(b, sizeof(b), jget(r, rows[i].time), F_SEC);
			fprintf(f, "| %s | %s | %s |\n", rows[i].label, a,
			    rows[i].time[0] ? b : "");
		}
		fprintf(f, "\nThe day's PUSH batch encoded as msgpack and as JSON "
		    "(the same fields; per batch):\n\n"
		    "| encoding | bytes | encode | decode |\n|---|---|---|---|\n");
		for (int i = 0; i < 4; i++) {
			char p[128];
			snprintf(p, sizeof(p), "workloads.baselines.encoding.%s.bytes", enc[i]);
			fmt(a, sizeof(a), jget(r, p), F_INT);
			snprintf(p, sizeof(p), "workloads.baselines.encoding.%s.encode_s", enc[i]);
			fmt(b, sizeof(b), jget(r, p), F_SEC);
			snprintf(p, sizeof(p), "workloads.baselines.encoding.%s.decode_s", enc[i]);
			fmt(cc, sizeof(cc), jget(r, p), F_SEC);
			fprintf(f, "| %s | %s | %s | %s |\n", encname[i], a, b, cc);
		}
	}
	{
		json_t *d = json_object_get(wl, "daemon");
		const char *note = json_string_value(json_object_get(d, "note"));
		fprintf(f, "\n### 5. Idle agent daemon\n\n");
		if (json_object_get(d, "idle_cpu_percent")) {
			fprintf(f, "| | CPU | RSS median | RSS max |\n|---|---|---|---|\n");
			static const struct {
				const char *label, *pre;
			} rows[] = {
				{"restarted over its replica, first round done, 60 s", "workloads.daemon.idle_"},
				{"just after its initial replica, 30 s", "workloads.daemon.idle_after_bootstrap."},
			};
			for (int i = 0; i < 2; i++) {
				char p[128], a[64], b[64], cc[64];
				snprintf(p, sizeof(p), "%scpu_percent", rows[i].pre);
				fmt(a, sizeof(a), jget(r, p), F_PCT);
				snprintf(p, sizeof(p), "%srss_mib_median", rows[i].pre);
				fmt(b, sizeof(b), jget(r, p), F_MIB);
				snprintf(p, sizeof(p), "%srss_mib_max", rows[i].pre);
				fmt(cc, sizeof(cc), jget(r, p), F_MIB);
				fprintf(f, "| %s | %s | %s | %s |\n", rows[i].label, a, b, cc);
			}
		}
		if (note)
			fprintf(f, "\n%s\n", note);
	}
	fclose(f);
}

/* ---- main ----------------------------------------------------------------- */

static void
usage(void)
{
	fprintf(stderr, "usage: fsy_bench --workdir DIR --out FILE.json --md FILE.md "
	    "[--daemon-json FILE] [--commit ID] [--runs N] [--quick] [--only 1,2,3,5]\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	bench_ctx_t c;
	const char *out = NULL, *md = NULL, *only = "1,2,3,5", *commit = NULL;
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
		else if (strcmp(argv[i], "--commit") == 0)
			commit = argv[++i];
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
	if (commit)
		bench_set_str(c.res, "commit", commit);
	bench_set_str(c.res, "statistic", "median of runs");
	if (c.quick)
		bench_set_str(c.res, "warning", "--quick: reduced sizes, not the "
		    "benchmark's figures");
	json_object_set_new(c.res, "workloads", json_object());
	machine(&c);
	settings(&c);
	if (bench_check_fill(c.workdir) != 0)
		bench_die("the bulk fill's rows and versions differ from what "
		    "capture records (bench_check_fill)");
	bench_set_str(c.res, "fill_check", "hubs are filled in bulk with the "
	    "capture triggers off and each row's versions written after it; for a "
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
