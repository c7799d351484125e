/*
 * bench.h — shared pieces of the fieldsync benchmarks (docs/BENCHMARKS.md).
 *
 * bench_util.c   clocks, medians, RSS, machine description, a seeded PRNG
 * bench_data.c   a deterministic data builder: one agent's book of
 *                households written into a hub store with capture on, and
 *                the day-offline edits made on a replica
 * bench_net.c    a hub served over nng REQ/REP on 127.0.0.1 from a thread,
 *                agent rounds over nng or in process, and simulated devices
 *                that speak the protocol without a replica (hub merge load)
 * fsy_bench.c    the workloads, results.json and the Markdown table
 *
 * Every store is opened with fsy_store_open() and keeps its production
 * settings (WAL, synchronous = FULL). Nothing listens beyond 127.0.0.1.
 */
#ifndef FSY_BENCH_H
#define FSY_BENCH_H

#include <stddef.h>
#include <stdint.h>

#include <nng/nng.h>

#include "proto.h"
#include "store.h"
#include "sync.h"

/* ---- util ----------------------------------------------------------------- */

/* Monotonic clock in seconds. */
double bench_now(void);

/* Median of n doubles (n > 0); v is sorted in place. */
double bench_median(double *v, size_t n);

/* The p-th percentile (0..100, nearest rank) of n doubles; sorts v. */
double bench_percentile(double *v, size_t n, double p);

/* Resident set size of this process now, and its peak, in KiB (from
 * /proc/self/status); -1 when unreadable. */
long bench_rss_kib(void);
long bench_peak_rss_kib(void);

/* Size of a file in bytes, or -1. */
int64_t bench_file_size(const char *path);

/* Removes a SQLite database and its -wal / -shm files (missing is fine). */
void bench_rm_db(const char *path);

/* Prints a fatal message and exits with status 1 (a benchmark cannot go on
 * with a broken fixture; there is nothing to roll back). */
void bench_die(const char *fmt, ...) __attribute__((format(printf, 1, 2),
    noreturn));

/* Runs SQL on a store or dies naming it. */
void bench_exec(fsy_store_t *st, const char *sql);

/* What fieldsyncd does a second after its last request, round or command
 * (fsy__daemon_idle): the store's checkpoint. Called untimed where a
 * daemon would be idle; dies on failure. */
void bench_idle(fsy_store_t *st);

/* Returns the integer result of a one-value query, or dies. */
int64_t bench_int(fsy_store_t *st, const char *sql);

/* Opens a store with its production settings or dies. */
fsy_store_t *bench_open(const char *path, fsy_role_t role, const char *site);

/* A seeded PRNG (splitmix64): the same seed gives the same data set. */
typedef struct bench_rng {
	uint64_t s; /* state */
} bench_rng_t;

/* Seeds r for stream `stream` of seed: nearby seeds and streams give
 * unrelated sequences. */
void bench_rng_seed(bench_rng_t *r, uint64_t seed, uint64_t stream);

uint64_t bench_rng_next(bench_rng_t *r);

/* Uniform in [0, n), n > 0. */
uint64_t bench_rng_below(bench_rng_t *r, uint64_t n);

/* A random-looking, seed-determined UUID (version 7 layout) into out. */
void bench_rng_uuid(bench_rng_t *r, char out[37]);

/* ---- data ----------------------------------------------------------------- */

/* The shape of one agent's book. */
typedef struct bench_shape {
	int64_t customers;      /* households */
	int visit_years;        /* years of visit history */
	int visits_per_year;    /* average visits per household and year */
	int via_capture;        /* 1: through the capture triggers, row by row
	                           (slow; bench_check_fill compares the paths) */
} bench_shape_t;

/* What bench_fill() wrote. */
typedef struct bench_fill_stats {
	int64_t rows[6];        /* rows per replicated table (tables.h order) */
	int64_t columns;        /* column versions captured at the hub */
} bench_fill_stats_t;

/* Adds the branch and team rows every bench hub has (b1 / t1). */
void bench_hub_init(fsy_store_t *hub);

/* Adds a team of branch b1. */
void bench_hub_team(fsy_store_t *hub, const char *team_id, const char *code);

/* Adds an employed agent in a team (bench_hub_init makes t1). */
void bench_hub_agent(fsy_store_t *hub, const char *agent_id, const char *code,
    const char *team_id);

/*
 * Writes a book of sh->customers households owned by agent_id into the hub
 * store, as an import would with capture on (so every column has its
 * version in its row's _v and an entry in the feed): the household card, 1-4 related persons, 1-5 policies (own,
 * some other insurers'), needs, a few referrals and sh->visit_years years
 * of visits. Deterministic in seed. Dies on a store error. stats may be
 * NULL.
 */
void bench_fill(fsy_store_t *hub, const char *agent_id,
    const bench_shape_t *sh, uint64_t seed, bench_fill_stats_t *stats);

/* Fills a small book both ways (through the capture triggers; rows and
 * versions written directly) into two hubs under dir and compares them
 * (every row, value, versioned column and global seq, and the feed).
 * Returns 0 when they are the same, 1 when not. */
int bench_check_fill(const char *dir);

/* Column versions held by a hub store (every row's _v counted). */
int64_t bench_versions(fsy_store_t *hub);

/*
 * Makes an empty agent replica hold what a first sync would have given it,
 * without the round: the agent's rows copied from the hub (capture off),
 * the hub's device_scope and device_state, the replica's pull cursor and
 * clock set as after the snapshots. The caller then syncs a round and
 * checks that it moved nothing and that the content hashes are equal.
 */
void bench_seed_replica(fsy_store_t *hub, const char *hub_path,
    fsy_store_t *agent, const char *device_id, const char *agent_id);

/* Ids of a replica's rows, loaded once for the day's edits. */
typedef struct bench_ids {
	char (*customer)[37];
	int64_t ncustomer;
	char (*person)[37];
	char (*person_cust)[37];  /* person i's customer */
	int64_t nperson;
	char (*policy)[37];       /* own policies, for visits about a policy */
	char (*policy_cust)[37];
	int64_t npolicy;
} bench_ids_t;

/* Loads the ids of a store's customers, persons and policies (dies on
 * error); free with bench_ids_free(). */
void bench_ids_load(fsy_store_t *st, bench_ids_t *ids);
void bench_ids_free(bench_ids_t *ids);

/* A day's work, made with capture on as the daemon's commands would. */
typedef struct bench_day {
	int visits;            /* new visit records */
	int edits;             /* single-field edits of cards and persons */
} bench_day_t;

/*
 * Makes a day offline on an agent replica: d->visits visits and d->edits
 * field edits (phone, address, occupation, income, rating, group, need
 * tags, facts, perceptions of cards; occupation, health notes, names of
 * related persons), each write in its own transaction. agent_id and
 * device_id go into the visits. Deterministic in seed (but for the
 * clock-based times). Dies on error.
 */
void bench_day_make(fsy_store_t *st, const bench_ids_t *ids,
    const bench_day_t *d, const char *agent_id, const char *device_id,
    uint64_t seed);

/* Generates the changes of one day for a simulated device whose scope is
 * the given customers/persons, as change-log entries starting at seq:
 * d->visits new visits (each column a change) and d->edits field edits.
 * Values and ids come from r; hlc from clock. Text lives in static tables
 * or in *store (malloc'd, freed by the caller with free()). Returns the
 * number of changes written to out (capacity cap). */
uint32_t bench_day_changes(bench_rng_t *r, fsy_hlc_t *clock,
    const char (*cust)[37], uint32_t ncust, const char (*pers)[37],
    const char (*pers_cust)[37], uint32_t npers, const bench_day_t *d,
    const char *agent_id, const char *device_id, int64_t seq,
    fsy_change_t *out, uint32_t cap, char **store);

/* ---- net ------------------------------------------------------------------ */

/* Time the hub spent per request type (decode + fsy_hub_handle). */
typedef struct bench_hub_stats {
	double seconds[FSY_MSG_TYPE_MAX + 1];
	uint64_t frames[FSY_MSG_TYPE_MAX + 1];
	uint64_t bytes_in, bytes_out;
} bench_hub_stats_t;

typedef struct bench_nng_hub bench_nng_hub_t;

/* Serves hub over nng REP on a free port of 127.0.0.1 from a new thread,
 * which is the only user of the hub's store until bench_nng_hub_stop().
 * Writes the URL to url. Dies on failure. */
bench_nng_hub_t *bench_nng_hub_start(fsy_hub_t *hub, char *url, size_t n);

/* Copies the hub thread's statistics into out and zeroes them. */
void bench_nng_hub_take_stats(bench_nng_hub_t *nh, bench_hub_stats_t *out);

/* Stops the thread and closes the socket. */
void bench_nng_hub_stop(bench_nng_hub_t *nh);

/* Opens a REQ socket dialled to url (10 s timeouts) or dies. */
nng_socket bench_nng_dial(const char *url);

/*
 * One sync round of session s over REQ socket sock. The session's stats
 * count the bytes of the frames sent and received; *msgs gets the number
 * of request/reply pairs. Returns FSY_OK or the failure.
 */
int bench_nng_round(fsy_agent_session_t *s, nng_socket sock, uint32_t *msgs);

/* One sync round in process: every frame encoded and decoded through
 * proto, handed straight to fsy_hub_handle on a fresh connection. */
int bench_inproc_round(fsy_hub_t *hub, fsy_agent_session_t *s);

/* Runs rounds until nothing is pending and no revoke is left (at most 5);
 * dies when a round fails. */
void bench_inproc_sync(fsy_hub_t *hub, fsy_agent_session_t *s);

/* A device known to the hub: its id and Ed25519 key pair. */
typedef struct bench_device {
	char id[37];
	uint8_t pk[32], sk[64];
} bench_device_t;

/* Issues a new device for agent_id at the hub (dies on error). */
void bench_device_issue(fsy_store_t *hub, const char *agent_id,
    bench_device_t *dev);

/* ---- workloads ------------------------------------------------------------ */

#include <jansson.h>

/* What every workload gets. */
typedef struct bench_ctx {
	const char *workdir;     /* where the databases go (removed after) */
	const char *daemon_json; /* bench/daemon.sh's figures, or NULL */
	int runs;                /* repetitions of every measurement (>= 3) */
	int quick;               /* 1: small sizes, a smoke test of the suite */
	char self[4096];         /* this program, for child processes */
	json_t *res;             /* results.json under construction */
	/* The 2,000-customer hub and replica of workload 1, reused by 2 and 4. */
	fsy_store_t *boot_hub;
	char boot_hub_path[1024];
	char boot_agent_path[1024];
	char boot_agent_id[37];
	bench_device_t boot_dev;
	int64_t boot_customers;
} bench_ctx_t;

/* Path of name inside the work directory (a rotating static buffer). */
const char *bench_path(const bench_ctx_t *c, const char *name);

/* Sets key of obj to a number / integer / string (jansson, dies on OOM). */
void bench_set_real(json_t *obj, const char *key, double v);
void bench_set_int(json_t *obj, const char *key, int64_t v);
void bench_set_str(json_t *obj, const char *key, const char *v);

/* Workload 1: an empty laptop filled with one agent's book over nng. */
void bench_wl_bootstrap(bench_ctx_t *c);

/* Workloads 2 and 4: a day offline on small, medium and large replicas;
 * the baselines on the medium (workload 1's) replica. */
void bench_wl_day(bench_ctx_t *c);

/* Workload 3: hub merge with 1..1000 simulated agents pushing at once. */
void bench_wl_merge(bench_ctx_t *c);

/* Workload 5 and the daemon-to-daemon TLS round: takes the figures
 * bench/daemon.sh measured (c->daemon_json) into the results. */
void bench_wl_daemon(bench_ctx_t *c);

/* The child process of workload 1: one round on an empty replica over
 * nng; prints one JSON line. Returns the exit status. */
int bench_agent_round_main(int argc, char **argv);

/* `fsy_bench mkhub --db PATH [--customers N] [--agent-code C]
 * [--agent-id UUID]`: writes workload 1's hub database for the daemons.
 * Returns the exit status (dies on error). */
int bench_mkhub_main(int argc, char **argv);

#endif /* FSY_BENCH_H */
