/*
 * bench_boot.c — workload 1: an agent's book fills an empty laptop.
 *
 * The hub (a 2,000-household book, five years of visits) is served over
 * nng tcp on 127.0.0.1 from a thread of this process. Each run issues a new
 * device and starts a child process (this program, `agent-round`) that
 * opens an empty replica and syncs one round; its peak RSS is its own
 * VmHWM (/proc/self/status), so the laptop's memory is measured alone. The child prints its
 * timings, bytes and the replica's content hash, which must equal the
 * hub's view of the agent's scope.
 */
#include <errno.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sodium.h>

#include "bench.h"
#include "util.h"

extern char **environ;

#define AGENT_ID "0190b000-0000-7000-8000-00000000a001"

/* ---- the child ------------------------------------------------------------ */

static const char *
arg(int argc, char **argv, const char *name)
{
	for (int i = 2; i + 1 < argc; i++)
		if (strcmp(argv[i], name) == 0)
			return argv[i + 1];
	bench_die("agent-round: missing %s", name);
}

int
bench_agent_round_main(int argc, char **argv)
{
	const char *db = arg(argc, argv, "--db"), *site = arg(argc, argv, "--site");
	const char *skhex = arg(argc, argv, "--sk"), *url = arg(argc, argv, "--url");
	fsy_agent_session_t s;
	fsy_store_t *st;
	uint8_t sk[64], h[32];
	char hex[65];
	double t0, t1, t2;
	uint32_t msgs = 0;
	nng_socket sock;
	int rc;

	if (sodium_init() < 0 || fsy_unhex(skhex, sk, 64) != FSY_OK)
		bench_die("agent-round: bad key");
	t0 = bench_now();
	st = bench_open(db, FSY_ROLE_AGENT, site);
	fsy_agent_session_init(&s, st, sk);
	sock = bench_nng_dial(url);
	t1 = bench_now();
	rc = bench_nng_round(&s, sock, &msgs);
	t2 = bench_now();
	nng_close(sock);
	if (rc != FSY_OK)
		bench_die("agent-round: %s: %s", fsy_strerror(rc), s.errmsg);
	if (fsy_replica_hash(st, h) != FSY_OK)
		bench_die("agent-round: replica hash");
	fsy_hex(h, 32, hex);
	bench_exec(st, "PRAGMA wal_checkpoint(TRUNCATE)");
	printf("{\"open_s\": %.6f, \"round_s\": %.6f, \"bytes_out\": %llu, "
	    "\"bytes_in\": %llu, \"msgs\": %u, \"pulled\": %llu, "
	    "\"snap_customers\": %llu, \"hash\": \"%s\", \"db_bytes\": %lld, "
	    "\"vmhwm_kib\": %ld}\n",
	    t1 - t0, t2 - t1, (unsigned long long)s.stats.bytes_out,
	    (unsigned long long)s.stats.bytes_in, msgs,
	    (unsigned long long)s.stats.pulled,
	    (unsigned long long)s.stats.snap_customers, hex,
	    (long long)bench_file_size(db), bench_peak_rss_kib());
	fsy_agent_session_fini(&s);
	fsy_store_close(st);
	return 0;
}

/* ---- the parent ----------------------------------------------------------- */

typedef struct child_out {
	json_t *j;          /* the child's JSON line */
} child_out_t;

static void
run_child(bench_ctx_t *c, const char *db, const bench_device_t *dev,
    const char *url, child_out_t *o)
{
	char skhex[129], buf[4096];
	char *argv[] = {c->self, "agent-round", "--db", (char *)db, "--site",
		(char *)dev->id, "--sk", skhex, "--url", (char *)url, NULL};
	posix_spawn_file_actions_t fa;
	json_error_t jerr;
	int fds[2], status;
	size_t len = 0;
	ssize_t n;
	pid_t pid;

	fsy_hex(dev->sk, 64, skhex);
	if (pipe(fds) != 0)
		bench_die("pipe: %s", strerror(errno));
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
	posix_spawn_file_actions_addclose(&fa, fds[0]);
	if (posix_spawn(&pid, c->self, &fa, NULL, argv, environ) != 0)
		bench_die("posix_spawn %s: %s", c->self, strerror(errno));
	posix_spawn_file_actions_destroy(&fa);
	close(fds[1]);
	while (len < sizeof(buf) - 1 &&
	    (n = read(fds[0], buf + len, sizeof(buf) - 1 - len)) > 0)
		len += (size_t)n;
	buf[len] = '\0';
	close(fds[0]);
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status) != 0)
		bench_die("agent-round child failed (status %d)", status);
	o->j = json_loads(buf, 0, &jerr);
	if (o->j == NULL)
		bench_die("agent-round output: %s: %s", jerr.text, buf);
}

static double
jnum(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);
	if (v == NULL || !json_is_number(v))
		bench_die("child output lacks %s", key);
	return json_number_value(v);
}

void
bench_wl_bootstrap(bench_ctx_t *c)
{
	bench_shape_t sh = {c->quick ? 200 : 2000, 5, 4, 0};
	bench_fill_stats_t fs;
	bench_device_t *devs = calloc((size_t)c->runs, sizeof(*devs));
	double *round_s = calloc((size_t)c->runs, sizeof(double));
	double *open_s = calloc((size_t)c->runs, sizeof(double));
	double *rss = calloc((size_t)c->runs, sizeof(double));
	double *snap_s = calloc((size_t)c->runs, sizeof(double));
	double fill_s, bytes_out = 0, bytes_in = 0, msgs = 0, pulled = 0;
	double db_bytes = 0;
	json_t *w = json_object(), *runs = json_array();
	fsy_hub_t hub;
	bench_nng_hub_t *nh;
	char url[64], hexhub[65], db[1024];
	uint8_t h[32];

	if (!devs || !round_s || !open_s || !rss || !snap_s || !w || !runs)
		bench_die("out of memory");
	snprintf(c->boot_hub_path, sizeof(c->boot_hub_path), "%s",
	    bench_path(c, "w1-hub.db"));
	bench_rm_db(c->boot_hub_path);
	c->boot_hub = bench_open(c->boot_hub_path, FSY_ROLE_HUB, NULL);
	bench_hub_init(c->boot_hub);
	bench_hub_agent(c->boot_hub, AGENT_ID, "A0001", "t1");
	snprintf(c->boot_agent_id, sizeof(c->boot_agent_id), "%s", AGENT_ID);
	fill_s = bench_now();
	bench_fill(c->boot_hub, AGENT_ID, &sh, 1, &fs);
	fill_s = bench_now() - fill_s;
	c->boot_customers = sh.customers;
	fprintf(stderr, "  hub filled: %lld households, %lld column versions "
	    "(%.1f s)\n", (long long)sh.customers, (long long)fs.columns, fill_s);
	for (int r = 0; r < c->runs; r++)
		bench_device_issue(c->boot_hub, AGENT_ID, &devs[r]);
	bench_exec(c->boot_hub, "PRAGMA wal_checkpoint(TRUNCATE)");

	fsy_hub_init(&hub, c->boot_hub);
	nh = bench_nng_hub_start(&hub, url, sizeof(url));
	for (int r = 0; r < c->runs; r++) {
		child_out_t o;
		bench_hub_stats_t hs;
		snprintf(db, sizeof(db), "%s/w1-agent-%d.db", c->workdir, r);
		bench_rm_db(db);
		run_child(c, db, &devs[r], url, &o);
		bench_nng_hub_take_stats(nh, &hs);
		round_s[r] = jnum(o.j, "round_s");
		open_s[r] = jnum(o.j, "open_s");
		/* The child's own high-water mark: wait4's ru_maxrss would also
		 * count this process's, shared until exec (posix_spawn). */
		rss[r] = jnum(o.j, "vmhwm_kib") / 1024.0;
		snap_s[r] = hs.seconds[FSY_MSG_PULL];
		bytes_out = jnum(o.j, "bytes_out");
		bytes_in = jnum(o.j, "bytes_in");
		msgs = jnum(o.j, "msgs");
		pulled = jnum(o.j, "pulled");
		db_bytes = jnum(o.j, "db_bytes");
		json_object_set_new(o.j, "hub_pull_s", json_real(hs.seconds[FSY_MSG_PULL]));
		json_array_append_new(runs, o.j);
		fprintf(stderr, "  run %d: round %.3f s, %.0f bytes, peak RSS "
		    "%.1f MiB\n", r + 1, round_s[r], bytes_out + bytes_in, rss[r]);
		if (r < c->runs - 1)
			bench_rm_db(db);
		else
			snprintf(c->boot_agent_path, sizeof(c->boot_agent_path), "%s",
			    db);
	}
	bench_nng_hub_stop(nh);
	fsy_hub_fini(&hub);

	/* Every replica equals the hub's view of the agent's scope. */
	if (fsy_hub_scope_hash(c->boot_hub, AGENT_ID, h) != FSY_OK)
		bench_die("hub scope hash");
	fsy_hex(h, 32, hexhub);
	for (size_t i = 0; i < json_array_size(runs); i++) {
		const char *x = json_string_value(json_object_get(
		    json_array_get(runs, i), "hash"));
		if (x == NULL || strcmp(x, hexhub) != 0)
			bench_die("bootstrap run %zu: replica %s differs from hub %s",
			    i + 1, x ? x : "?", hexhub);
	}
	c->boot_dev = devs[c->runs - 1];

	bench_set_int(w, "customers", sh.customers);
	bench_set_int(w, "visit_years", sh.visit_years);
	bench_set_int(w, "rows_customer", fs.rows[0]);
	bench_set_int(w, "rows_person", fs.rows[1]);
	bench_set_int(w, "rows_policy", fs.rows[2]);
	bench_set_int(w, "rows_visit", fs.rows[3]);
	bench_set_int(w, "rows_need", fs.rows[4]);
	bench_set_int(w, "rows_referral", fs.rows[5]);
	bench_set_int(w, "column_versions", fs.columns);
	bench_set_real(w, "hub_fill_s", fill_s);
	bench_set_int(w, "columns_pulled", (int64_t)pulled);
	bench_set_real(w, "round_s_median", bench_median(round_s, (size_t)c->runs));
	bench_set_real(w, "store_open_s_median", bench_median(open_s, (size_t)c->runs));
	bench_set_real(w, "hub_pull_s_median", bench_median(snap_s, (size_t)c->runs));
	bench_set_int(w, "bytes_agent_to_hub", (int64_t)bytes_out);
	bench_set_int(w, "bytes_hub_to_agent", (int64_t)bytes_in);
	bench_set_int(w, "messages", (int64_t)msgs);
	/* nng's SP framing adds an 8-byte length header to every message. */
	bench_set_int(w, "wire_bytes", (int64_t)(bytes_out + bytes_in + 16 * msgs));
	bench_set_real(w, "agent_peak_rss_mib_median",
	    bench_median(rss, (size_t)c->runs));
	bench_set_int(w, "replica_bytes", (int64_t)db_bytes);
	bench_set_str(w, "transport", "nng tcp://127.0.0.1 (REQ/REP), hub in a "
	    "thread, agent in a child process; zstd bodies on");
	bench_set_str(w, "scope_hash", hexhub);
	json_object_set_new(w, "runs", runs);
	json_object_set_new(json_object_get(c->res, "workloads"), "bootstrap", w);
	json_object_set_new(c->res, "bootstrap_2000_customers_s",
	    json_real(bench_median(round_s, (size_t)c->runs)));
	free(devs);
	free(round_s);
	free(open_s);
	free(rss);
	free(snap_s);
}
