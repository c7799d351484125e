/* tu_sync.h — a hub and agents in one test process, for sync tests. */
#ifndef FSY_TU_SYNC_H
#define FSY_TU_SYNC_H

#include <stdint.h>

#include "sync.h"
#include "testutil.h"

#define TU_MAX_CONN 32

typedef struct tu_hub {
	fsy_store_t *st;
	fsy_hub_t hub;
	fsy_hub_conn_t conns[TU_MAX_CONN];
	int nconns;
	uint64_t frames, bytes;
	/* SNAPSHOT replies seen, and the most changes in one holding more
	 * than one customer (a larger customer goes alone). */
	uint32_t snapshots, snap_multi_max;
} tu_hub_t;

typedef struct tu_agent {
	fsy_store_t *st;
	char device_id[37];
	char agent_id[37];
	uint8_t pk[32], sk[64];
	fsy_agent_session_t sess;
	int conn;            /* index into hub conns: one "pipe" */
	char dbname[64];
} tu_agent_t;

/* Opens a hub store with one branch and team T1 (lead L1 not created). */
void tu_hub_open(tu_hub_t *h, const char *dbname);
void tu_hub_close(tu_hub_t *h);

/* Adds an employed agent row (role agent or lead) in team code. */
void tu_hub_agent(tu_hub_t *h, const char *agent_id, const char *code,
    const char *team_id, const char *role);

/* Issues a device for agent_id and opens its replica. */
void tu_agent_open(tu_hub_t *h, tu_agent_t *a, const char *dbname,
    const char *agent_id);
void tu_agent_close(tu_agent_t *a);

/* Reopens an agent's replica (as after a crash). */
void tu_agent_reopen(tu_agent_t *a);

/*
 * One sync round in process, every frame encoded and decoded through
 * proto. drop_reply_at >= 0: the hub handles request number drop_reply_at
 * but its reply is lost (the connection is then replaced, as after a
 * reconnect). Returns FSY_OK, FSY_ETIMEOUT for a dropped reply, or the
 * session's error.
 */
int tu_sync(tu_hub_t *h, tu_agent_t *a, int drop_reply_at);

/* Syncs until a round succeeds with nothing left to do, at most n rounds. */
void tu_sync_ok(tu_hub_t *h, tu_agent_t *a);

/* Asserts the agent's replica hash equals the hub's view of its scope. */
void tu_assert_converged(tu_hub_t *h, tu_agent_t *a);

/* Makes a customer on the hub (capture on) owned by owner (may be NULL),
 * with a spouse and one own policy soliciting agent sol (may be NULL).
 * Writes the customer id into id. */
void tu_hub_customer(tu_hub_t *h, char id[37], const char *name,
    const char *owner, const char *sol);

#endif
