/*
 * tu_world.h — the torture tests' world: a hub, four agents' laptops and a
 * team lead's, customers, and import data sets; random actions of every
 * kind (laptop commands, head-office edits, reassignments, imports, sync
 * rounds over an optionally faulty link); and the checks of every
 * guarantee (integrity, hash chains, nothing lost, nothing doubled, no
 * revoked customer on a laptop, replicas equal to their hub scope).
 *
 * Functions marked "child-safe" never use cmocka assertions: they may run
 * in a forked child that is killed at a random point.
 */
#ifndef FSY_TU_WORLD_H
#define FSY_TU_WORLD_H

#include <stdint.h>

#include "tu_fault.h"
#include "tu_sync.h"

#define TW_MAXLAP 6   /* laptops */
#define TW_MAXIMP 12  /* import data sets */

/* What was running (for the figures: where crashes hit). */
enum {
	TW_PH_IDLE = 0,
	TW_PH_OPEN,           /* opening the databases (migrations, triggers) */
	TW_PH_WRITE,          /* a command on a laptop */
	TW_PH_HUB_EDIT,       /* head office edits a customer */
	TW_PH_ASSIGN,         /* head office moves a customer */
	TW_PH_IMPORT,         /* a CSV import with its derive step */
	TW_PH_HUB_HANDSHAKE,  /* the hub handles HELLO / AUTH */
	TW_PH_HUB_PUSH,       /* the hub merges a PUSH */
	TW_PH_HUB_PULL,       /* the hub answers a PULL */
	TW_PH_AGENT_ACK,      /* a laptop applies an ACK */
	TW_PH_AGENT_SNAPSHOT, /* a laptop applies a SNAPSHOT */
	TW_PH_AGENT_REVOKE,   /* a laptop erases revoked customers */
	TW_PH_AGENT_BATCH,    /* a laptop applies a BATCH */
	TW_PH_AGENT_OTHER,    /* a laptop handles a handshake reply/error */
	TW_NPHASE
};

extern const char *const tw_phase_names[TW_NPHASE];

/* Link faults, per mille of frames. */
typedef struct tw_faults {
	uint32_t drop_req;   /* the request never reaches the hub */
	uint32_t drop_rep;   /* the hub acted, the reply is lost */
	uint32_t dup_req;    /* the hub gets the request twice */
	uint32_t late_dup;   /* ... the second copy after the next request */
	uint32_t trunc_req;  /* the request arrives cut short */
	uint32_t trunc_rep;  /* the reply arrives cut short */
	uint32_t replay;     /* an old request of the device, from an earlier
	                        round, arrives on its new connection first */
} tw_faults_t;

/* Counters; may live in memory shared with a forked child. */
typedef struct tw_stats {
	volatile int phase;
	uint64_t steps, writes, writes_ok, bad_writes, rounds, rounds_ok;
	uint64_t hub_edits, assigns, imports, imports_ok, frames;
	uint64_t drop_req, drop_rep, dup_req, late_dup, trunc_req, trunc_rep;
	uint64_t replay;
} tw_stats_t;

typedef struct tw_world {
	tu_hub_t h;
	tu_agent_t lap[TW_MAXLAP];
	int nlap;            /* laptops: the agents, then the lead */
	int nagents;         /* ordinary agents (they write) */
	char code[TW_MAXLAP][8];
	char imp[TW_MAXIMP][300];
	int nimp;
	tw_stats_t *stats;   /* not owned; never NULL once opened */
	const tw_faults_t *faults; /* NULL: a perfect link */
	tu_rng_t rng;
	uint32_t max_changes; /* per PUSH/PULL; 0: random 2..9 each round */
	/* the last request frame of each laptop, for replays */
	uint8_t *old[TW_MAXLAP];
	size_t oldlen[TW_MAXLAP];
	char moved[37];      /* the customer head office moved last ... */
	int moved_from;      /* ... away from this agent */
	char err[512];       /* what went wrong (child-safe functions) */
} tw_world_t;

/* Builds the world in tu_tmpdir(): per_agent customers for each of four
 * agents (A1, A2 team T1; A3, A4 team T2), lead L1 of T1, nimp generated
 * import data sets (not imported). Stores are open. cmocka. */
void tw_open(tw_world_t *w, int per_agent, int nimp, tw_stats_t *stats,
    uint64_t seed);

/* Closes every store and frees the world. */
void tw_close(tw_world_t *w);

/* Opens every store (child-safe); FSY_OK or an error (w->err says). */
int tw_stores_open(tw_world_t *w);

/* Closes every store (child-safe). */
void tw_stores_close(tw_world_t *w);

/* One sync round of laptop i over w->faults (child-safe). Returns FSY_OK,
 * the session's error, FSY_ETIMEOUT for a frame lost, or FSY_EINTERNAL
 * when a guarantee of the codec or the engine broke (w->err says). */
int tw_round(tw_world_t *w, int i);

/* One random action (child-safe). FSY_EINTERNAL on a broken guarantee. */
int tw_step(tw_world_t *w);

/* Rounds until every laptop is up to date and quiet. cmocka. */
void tw_converge(tw_world_t *w);

/* Integrity of every database, hash chains of every laptop, no chain
 * break recorded at the hub, imports all-or-nothing. cmocka. */
void tw_check_storage(tw_world_t *w);

/* After tw_converge: storage, then every laptop's change reached the hub
 * exactly once (or was refused and recorded — never as "not owned"),
 * visits exactly once, no
 * customer on a laptop its agent does not own, replica hash equal to the
 * hub scope hash. cmocka. */
void tw_check_all(tw_world_t *w);

/* Prints the counters on one line, prefixed. */
void tw_print_stats(const char *prefix, const tw_stats_t *s);

#endif
