/*
 * bench_daemon.c — the daemons' part of the suite.
 *
 * bench/daemon.sh runs the real daemons (`fieldsyncd` hub and agent, over
 * TLS on 127.0.0.1, certificates from deploy/pki.sh): it measures the
 * initial replica daemon to daemon and an idle agent daemon's CPU and RSS
 * over a minute, from /proc/PID/stat and /proc/PID/status, and writes its
 * figures as JSON. The hub database it serves is made by
 * `fsy_bench mkhub` (below): the same book as workload 1.
 * bench_wl_daemon() takes that JSON into results.json.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"

static const char *
opt(int argc, char **argv, const char *name, const char *def)
{
	for (int i = 2; i + 1 < argc; i++)
		if (strcmp(argv[i], name) == 0)
			return argv[i + 1];
	if (def == NULL)
		bench_die("mkhub: missing %s", name);
	return def;
}

int
bench_mkhub_main(int argc, char **argv)
{
	const char *db = opt(argc, argv, "--db", NULL);
	const char *code = opt(argc, argv, "--agent-code", "A0001");
	const char *id = opt(argc, argv, "--agent-id",
	    "0190b000-0000-7000-8000-00000000a001");
	bench_shape_t sh = {atoll(opt(argc, argv, "--customers", "2000")), 5, 4, 0};
	bench_fill_stats_t fs;
	fsy_store_t *st;

	if (sh.customers < 1 || sh.customers > 1000000)
		bench_die("mkhub: --customers must be 1..1000000");
	bench_rm_db(db);
	st = bench_open(db, FSY_ROLE_HUB, NULL);
	bench_hub_init(st);
	bench_hub_agent(st, id, code, "t1");
	bench_fill(st, id, &sh, 1, &fs);
	bench_exec(st, "PRAGMA wal_checkpoint(TRUNCATE)");
	fsy_store_close(st);
	printf("{\"customers\": %lld, \"column_versions\": %lld}\n",
	    (long long)sh.customers, (long long)fs.columns);
	return 0;
}

void
bench_wl_daemon(bench_ctx_t *c)
{
	json_t *d = NULL, *v;
	json_error_t err;

	if (c->daemon_json)
		d = json_load_file(c->daemon_json, 0, &err);
	if (d == NULL || !json_is_object(d)) {
		json_decref(d);
		d = json_object();
		bench_set_str(d, "note", c->daemon_json
		    ? "bench/daemon.sh wrote no usable results; see its output"
		    : "not run (no --daemon-json)");
	}
	v = json_object_get(d, "idle_rss_mib_median");
	json_object_set_new(c->res, "idle_agent_rss_mib",
	    v && json_is_number(v) ? json_real(json_number_value(v)) : json_null());
	json_object_set(json_object_get(c->res, "workloads"), "daemon", d);
	json_decref(d);
}
