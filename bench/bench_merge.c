/*
 * bench_merge.c — workload 3: the hub merging day-offline pushes from 1,
 * 10, 100 and 1,000 agents at once.
 *
 * The hub holds 1,000 agents with a book of 10 households each (one year
 * of visits). Every agent has a simulated device: it speaks the protocol
 * (HELLO, AUTH with its Ed25519 key, PUSH of hash-chained change-log
 * entries, PULL with snapshot acks) but keeps no replica. After a setup
 * round that takes its snapshot, each run gives N devices a day offline
 * (50 visits, 200 field edits: about 650 column changes) and starts all N
 * rounds at the same moment.
 *
 * The hub is one store, so it takes one request at a time, as the
 * daemon's store does: requests wait in a FIFO queue, the hub decodes each
 * and hands it to fsy_hub_handle; a device's next request enters the queue
 * when the reply is produced (network and device time are not counted).
 * Hub time is the sum of those handlings; a round's latency is the hub
 * time from the start of the burst to the round's last reply. Reported:
 * column changes merged per second of PUSH handling, changes per second of
 * whole rounds, and p50/p99 of round latency and of the hub time a round
 * itself needed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "bench.h"
#include "tables.h"
#include "util.h"

#define DAY_CAP 2048

typedef enum {
	SIM_HELLO, SIM_AUTH, SIM_PUSH, SIM_PULL, SIM_DONE
} sim_state_t;

typedef struct sim {
	bench_device_t dev;
	char agent[37];
	fsy_hub_conn_t conn;        /* the hub's state of this device's pipe */
	fsy_hlc_t clock;
	bench_rng_t rng;
	sim_state_t state;
	int64_t seq;                /* last change-log seq made */
	int64_t acked;              /* the hub's push_seq */
	uint8_t chain[32];          /* chain hash at seq */
	uint8_t acked_hash[32];     /* chain hash at acked */
	int64_t cursor;             /* pull cursor */
	char (*cust)[37];           /* customers held */
	uint32_t ncust, capcust;
	char (*pers)[37], (*pers_cust)[37];
	uint32_t npers, cappers;
	char (*acks)[37];           /* snapshot acks for the next PULL */
	uint32_t nacks, capacks;
	fsy_change_t *day;          /* the day's entries, to push */
	uint32_t nday;
	char *daytext;
	fsy_buf_t req;              /* the request waiting in the hub's queue */
	double done_at, service;    /* burst time of the last reply; hub time */
} sim_t;

static void
push_id(char (**a)[37], uint32_t *n, uint32_t *cap, const char *id)
{
	if (*n == *cap) {
		*cap = *cap ? *cap * 2 : 16;
		*a = realloc(*a, (size_t)*cap * 37);
		if (*a == NULL)
			bench_die("out of memory");
	}
	memcpy((*a)[(*n)++], id, 37);
}

static void
push_person(sim_t *s, const char *id, const char *cust)
{
	if (s->npers == s->cappers) {
		s->cappers = s->cappers ? s->cappers * 2 : 16;
		s->pers = realloc(s->pers, (size_t)s->cappers * 37);
		s->pers_cust = realloc(s->pers_cust, (size_t)s->cappers * 37);
		if (s->pers == NULL || s->pers_cust == NULL)
			bench_die("out of memory");
	}
	memcpy(s->pers[s->npers], id, 37);
	memcpy(s->pers_cust[s->npers++], cust, 37);
}

static void
sim_encode(sim_t *s, const fsy_msg_t *m)
{
	if (fsy_msg_encode(m, 1, &s->req) != FSY_OK)
		bench_die("sim: encode");
}

static void
sim_hello(sim_t *s)
{
	fsy_msg_t m;

	memset(&m, 0, sizeof(m));
	m.type = FSY_MSG_HELLO;
	m.u.hello.proto = FSY_PROTO_VERSION;
	m.u.hello.schema = FSY_SCHEMA_VERSION;
	memcpy(m.u.hello.device_id, s->dev.id, 37);
	m.u.hello.software = "fsy_bench/sim";
	m.u.hello.log_seq = s->seq;
	m.u.hello.pending = s->seq - s->acked;
	m.u.hello.chain_seq = s->acked;
	memcpy(m.u.hello.chain_hash, s->acked_hash, 32);
	sim_encode(s, &m);
	s->state = SIM_HELLO;
}

static void
sim_pull(sim_t *s)
{
	fsy_msg_t m;

	memset(&m, 0, sizeof(m));
	m.type = FSY_MSG_PULL;
	m.u.pull.cursor = s->cursor;
	m.u.pull.max_changes = 5000;
	m.u.pull.max_bytes = 4u << 20;
	m.u.pull.snap_acks = s->acks;
	m.u.pull.nsnap_acks = s->nacks;
	sim_encode(s, &m);
	s->nacks = 0;
	s->state = SIM_PULL;
}

static void
sim_push(sim_t *s)
{
	fsy_msg_t m;

	memset(&m, 0, sizeof(m));
	m.type = FSY_MSG_PUSH;
	m.u.push.cursor = s->cursor;
	memcpy(m.u.push.head, s->chain, 32);
	m.u.push.changes = s->day;
	m.u.push.nchanges = s->nday;
	sim_encode(s, &m);
	s->state = SIM_PUSH;
}

/* The device's answer to a reply; returns 1 when the round is over. */
static int
sim_step(sim_t *s, const fsy_msg_t *r)
{
	if (r->type == FSY_MSG_ERROR)
		bench_die("sim %s: hub error %d: %s", s->dev.id, r->u.error.code,
		    r->u.error.message);
	switch (s->state) {
	case SIM_HELLO: {
		uint8_t payload[160];
		size_t n;
		fsy_msg_t m;
		if (r->type != FSY_MSG_CHALLENGE)
			break;
		n = fsy_auth_payload(r->u.challenge.nonce, r->u.challenge.hub_id,
		    s->dev.id, payload);
		memset(&m, 0, sizeof(m));
		m.type = FSY_MSG_AUTH;
		memcpy(m.u.auth.device_id, s->dev.id, 37);
		crypto_sign_detached(m.u.auth.sig, NULL, payload, n, s->dev.sk);
		sim_encode(s, &m);
		s->state = SIM_AUTH;
		return 0;
	}
	case SIM_AUTH:
		if (r->type != FSY_MSG_WELCOME)
			break;
		if (r->u.welcome.push_seq != s->acked || !r->u.welcome.chain_ok)
			bench_die("sim %s: hub has push_seq %lld, chain_ok %d", s->dev.id,
			    (long long)r->u.welcome.push_seq, r->u.welcome.chain_ok);
		if (s->nday)
			sim_push(s);
		else
			sim_pull(s);
		return 0;
	case SIM_PUSH:
		if (r->type != FSY_MSG_ACK)
			break;
		if (r->u.ack.acked != s->seq || r->u.ack.nrejects)
			bench_die("sim %s: ACK %lld of %lld, %u rejected", s->dev.id,
			    (long long)r->u.ack.acked, (long long)s->seq,
			    r->u.ack.nrejects);
		s->acked = s->seq;
		memcpy(s->acked_hash, s->chain, 32);
		free(s->day);
		free(s->daytext);
		s->day = NULL;
		s->daytext = NULL;
		s->nday = 0;
		sim_pull(s);
		return 0;
	case SIM_PULL:
		if (r->type == FSY_MSG_SNAPSHOT) {
			const fsy_msg_snapshot_t *sn = &r->u.snapshot;
			for (uint32_t i = 0; i < sn->ncustomers; i++) {
				push_id(&s->acks, &s->nacks, &s->capacks, sn->customers[i]);
				push_id(&s->cust, &s->ncust, &s->capcust, sn->customers[i]);
			}
			for (uint32_t i = 0; i < sn->nchanges; i++) {
				const fsy_change_t *c = &sn->changes[i];
				if (c->tbl != FSY_T_PERSON || c->col != 0)
					continue; /* one change per person: its relation */
				push_person(s, c->row_id, c->customer_id);
			}
			sim_pull(s);
			return 0;
		}
		if (r->type != FSY_MSG_BATCH)
			break;
		s->cursor = r->u.batch.cursor;
		if (r->u.batch.more) {
			sim_pull(s);
			return 0;
		}
		s->state = SIM_DONE;
		return 1;
	default:
		break;
	}
	bench_die("sim %s: unexpected %s", s->dev.id, fsy_msg_type_name(r->type));
}

/* Makes the device's day: entries after seq, hash-chained. */
static void
sim_day(sim_t *s)
{
	bench_day_t d = {50, 200};

	s->day = malloc(DAY_CAP * sizeof(*s->day));
	if (s->day == NULL)
		bench_die("out of memory");
	s->nday = bench_day_changes(&s->rng, &s->clock,
	    (const char (*)[37])s->cust, s->ncust, (const char (*)[37])s->pers,
	    (const char (*)[37])s->pers_cust, s->npers, &d, s->agent, s->dev.id,
	    s->seq + 1, s->day, DAY_CAP, &s->daytext);
	for (uint32_t i = 0; i < s->nday; i++) {
		const fsy_change_t *c = &s->day[i];
		fsy_chain_hash(s->chain, c->seq, c->tbl, c->col, c->row_id, c->hlc,
		    s->dev.id, &c->val, s->chain);
	}
	s->seq += s->nday;
}

typedef struct burst {
	double hub_s, push_s, changes;
	double lat_p50, lat_p99, svc_p50, svc_p99;
} burst_t;

/* Runs the rounds of sims[0..n) started at once through the hub's queue. */
static void
burst(fsy_hub_t *hub, sim_t *sims, uint32_t n, burst_t *out)
{
	uint32_t *q = malloc((size_t)(n + 1) * sizeof(*q)), head = 0, tail = 0,
	    live = n;
	double *lat = malloc((size_t)n * sizeof(double));
	double *svc = malloc((size_t)n * sizeof(double));
	double clock = 0;
	fsy_buf_t rep = {0};

	if (!q || !lat || !svc)
		bench_die("out of memory");
	memset(out, 0, sizeof(*out));
	for (uint32_t i = 0; i < n; i++) {
		out->changes += sims[i].nday;
		sims[i].service = 0;
		sim_hello(&sims[i]);
		q[tail++] = i;
	}
	while (live) {
		sim_t *s = &sims[q[head]];
		uint32_t who = q[head];
		fsy_msg_t m, r;
		double t0, dt;
		int type;
		head = (head + 1) % (n + 1);

		/* the hub's work: decode the request, handle it */
		t0 = bench_now();
		memset(&m, 0, sizeof(m));
		if (fsy_msg_decode(s->req.data, s->req.len, &m) != FSY_OK)
			bench_die("hub: decode");
		type = (int)m.type;
		if (fsy_hub_handle(hub, &s->conn, &m, &rep) != FSY_OK)
			bench_die("hub: handle %s failed", fsy_msg_type_name(type));
		fsy_msg_free(&m);
		dt = bench_now() - t0;
		clock += dt;
		s->service += dt;
		if (type == FSY_MSG_PUSH)
			out->push_s += dt;

		/* the device's work, not counted */
		memset(&r, 0, sizeof(r));
		if (fsy_msg_decode(rep.data, rep.len, &r) != FSY_OK)
			bench_die("sim: decode reply");
		if (sim_step(s, &r)) {
			s->done_at = clock;
			live--;
		} else {
			q[tail] = who;
			tail = (tail + 1) % (n + 1);
		}
		fsy_msg_free(&r);
	}
	out->hub_s = clock;
	for (uint32_t i = 0; i < n; i++) {
		lat[i] = sims[i].done_at;
		svc[i] = sims[i].service;
	}
	out->lat_p50 = bench_percentile(lat, n, 50);
	out->lat_p99 = bench_percentile(lat, n, 99);
	out->svc_p50 = bench_percentile(svc, n, 50);
	out->svc_p99 = bench_percentile(svc, n, 99);
	fsy_buf_free(&rep);
	free(q);
	free(lat);
	free(svc);
}

void
bench_wl_merge(bench_ctx_t *c)
{
	uint32_t nagents = c->quick ? 100 : 1000, per = 10;
	static const uint32_t levels[] = {1, 10, 100, 1000};
	bench_shape_t sh = {per, 1, 4, 0};
	const char *path = bench_path(c, "w3-hub.db");
	json_t *w = json_object(), *by = json_object();
	sim_t *sims = calloc(nagents, sizeof(*sims));
	fsy_store_t *st;
	fsy_hub_t hub;
	burst_t b;
	double t, best_rate = -1;

	if (sims == NULL)
		bench_die("out of memory");
	bench_rm_db(path);
	st = bench_open(path, FSY_ROLE_HUB, NULL);
	bench_hub_init(st);
	t = bench_now();
	for (uint32_t i = 0; i < nagents; i++) {
		sim_t *s = &sims[i];
		char code[16];
		snprintf(s->agent, sizeof(s->agent),
		    "0190b000-0000-7000-8000-%012x", 0x100000u + i);
		char team[16];
		snprintf(code, sizeof(code), "S%05u", i);
		/* teams of ten, as in a branch (a team's roster travels in
		 * every WELCOME) */
		snprintf(team, sizeof(team), "st%u", i / 10);
		if (i % 10 == 0) {
			char tcode[16];
			snprintf(tcode, sizeof(tcode), "ST%03u", i / 10);
			bench_hub_team(st, team, tcode);
		}
		bench_hub_agent(st, s->agent, code, team);
		bench_fill(st, s->agent, &sh, 100 + i, NULL);
	}
	bench_exec(st, "BEGIN");
	for (uint32_t i = 0; i < nagents; i++) {
		bench_device_issue(st, sims[i].agent, &sims[i].dev);
		fsy_hlc_init(&sims[i].clock, 0);
		bench_rng_seed(&sims[i].rng, 7000 + i, 3);
	}
	bench_exec(st, "COMMIT");
	fsy_hub_init(&hub, st);
	/* Setup: each device holds its agent's households as after its first
	 * sync (device_scope held, cursor at the current global seq), and
	 * knows their customer and person ids. */
	{
		int64_t g = bench_int(st, "SELECT ifnull(max(gseq), 0) FROM col_feed");
		sqlite3_stmt *qs, *qc, *qp;
		sqlite3 *db = fsy_store_db(st);
		if (sqlite3_prepare_v2(db, "INSERT INTO device_scope(device_id, "
		    "customer_id, state, snap_gseq) SELECT ?1, id, 0, ?2 FROM "
		    "customer WHERE owner_agent_id = ?3", -1, &qs, NULL) ||
		    sqlite3_prepare_v2(db, "SELECT id FROM customer WHERE "
		    "owner_agent_id = ? ORDER BY id", -1, &qc, NULL) ||
		    sqlite3_prepare_v2(db, "SELECT p.id, p.customer_id FROM person p "
		    "JOIN customer c ON c.id = p.customer_id WHERE "
		    "c.owner_agent_id = ? ORDER BY p.id", -1, &qp, NULL))
			bench_die("setup: %s", sqlite3_errmsg(db));
		bench_exec(st, "BEGIN IMMEDIATE");
		for (uint32_t i = 0; i < nagents; i++) {
			sim_t *s = &sims[i];
			sqlite3_bind_text(qs, 1, s->dev.id, -1, SQLITE_STATIC);
			sqlite3_bind_int64(qs, 2, g);
			sqlite3_bind_text(qs, 3, s->agent, -1, SQLITE_STATIC);
			if (sqlite3_step(qs) != SQLITE_DONE)
				bench_die("setup scope: %s", sqlite3_errmsg(db));
			sqlite3_reset(qs);
			sqlite3_bind_text(qc, 1, s->agent, -1, SQLITE_STATIC);
			while (sqlite3_step(qc) == SQLITE_ROW)
				push_id(&s->cust, &s->ncust, &s->capcust,
				    (const char *)sqlite3_column_text(qc, 0));
			sqlite3_reset(qc);
			sqlite3_bind_text(qp, 1, s->agent, -1, SQLITE_STATIC);
			while (sqlite3_step(qp) == SQLITE_ROW)
				push_person(s, (const char *)sqlite3_column_text(qp, 0),
				    (const char *)sqlite3_column_text(qp, 1));
			sqlite3_reset(qp);
			s->cursor = g;
		}
		bench_exec(st, "COMMIT");
		sqlite3_finalize(qs);
		sqlite3_finalize(qc);
		sqlite3_finalize(qp);
	}
	/* a first round each (nothing to push): the handshakes, and a check
	 * that the hub agrees with the setup */
	burst(&hub, sims, nagents, &b);
	for (uint32_t i = 0; i < nagents; i++)
		if (sims[i].ncust != per || sims[i].npers == 0 || sims[i].nacks)
			bench_die("sim %u holds %u customers", i, sims[i].ncust);
	bench_set_int(w, "agents", nagents);
	bench_set_int(w, "households_per_agent", per);
	bench_set_int(w, "hub_column_versions",
	    bench_versions(st));
	bench_set_real(w, "setup_s", bench_now() - t);
	fprintf(stderr, "  hub: %u agents x %u households, %lld column versions "
	    "(setup %.1f s)\n", nagents, per,
	    (long long)bench_versions(st),
	    bench_now() - t);

	for (size_t l = 0; l < sizeof(levels) / sizeof(levels[0]); l++) {
		uint32_t n = levels[l];
		double rate[64], rrate[64], p50[64], p99[64], s50[64], s99[64];
		double changes = 0;
		json_t *o;
		char key[16];
		/* 1,000 agents push 650,000 changes a run: 3 runs of that level
		 * keep the suite within its time */
		int runs = n >= 1000 && c->runs > 3 ? 3 : c->runs;
		if (n > nagents)
			break;
		o = json_object();
		for (int r = 0; r < runs; r++) {
			for (uint32_t i = 0; i < n; i++)
				sim_day(&sims[i]);
			burst(&hub, sims, n, &b);
			/* the burst over; within one, commits checkpoint
			 * only past FSY_WAL_BUSY_PAGES_HUB */
			bench_idle(hub.st);
			rate[r] = b.changes / b.push_s;
			rrate[r] = b.changes / b.hub_s;
			p50[r] = b.lat_p50;
			p99[r] = b.lat_p99;
			s50[r] = b.svc_p50;
			s99[r] = b.svc_p99;
			changes = b.changes;
		}
		bench_set_real(o, "changes_per_burst", changes);
		bench_set_int(o, "runs", runs);
		bench_set_real(o, "merge_changes_per_s_median",
		    bench_median(rate, (size_t)runs));
		bench_set_real(o, "round_changes_per_s_median",
		    bench_median(rrate, (size_t)runs));
		bench_set_real(o, "round_latency_p50_s_median",
		    bench_median(p50, (size_t)runs));
		bench_set_real(o, "round_latency_p99_s_median",
		    bench_median(p99, (size_t)runs));
		bench_set_real(o, "round_service_p50_s_median",
		    bench_median(s50, (size_t)runs));
		bench_set_real(o, "round_service_p99_s_median",
		    bench_median(s99, (size_t)runs));
		snprintf(key, sizeof(key), "%u", n);
		json_object_set_new(by, key, o);
		fprintf(stderr, "  %4u agents: %.0f changes/s merged, %.0f/s whole "
		    "rounds, round p50 %.3f s p99 %.3f s\n", n,
		    bench_median(rate, (size_t)runs),
		    bench_median(rrate, (size_t)runs),
		    bench_median(p50, (size_t)runs),
		    bench_median(p99, (size_t)runs));
		if (n == nagents || best_rate < 0)
			best_rate = bench_median(rate, (size_t)runs);
	}
	bench_set_int(w, "hub_column_versions_after",
	    bench_versions(st));
	json_object_set_new(w, "by_agents", by);
	bench_set_str(w, "model", "one hub store, requests served one at a time "
	    "from a FIFO queue (decode + fsy_hub_handle timed); all N rounds "
	    "start at once; device and network time not counted");
	json_object_set_new(json_object_get(c->res, "workloads"), "merge", w);
	json_object_set_new(c->res, "hub_merge_changes_per_s", json_real(best_rate));

	fsy_hub_fini(&hub);
	fsy_store_close(st);
	bench_rm_db(path);
	for (uint32_t i = 0; i < nagents; i++) {
		free(sims[i].cust);
		free(sims[i].pers);
		free(sims[i].pers_cust);
		free(sims[i].acks);
		free(sims[i].day);
		free(sims[i].daytext);
		fsy_buf_free(&sims[i].req);
	}
	free(sims);
}
