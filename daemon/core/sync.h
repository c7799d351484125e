/*
 * sync.h — the sync engine, free of I/O.
 *
 * Both ends are message-in / frame-out state machines over a store, so the
 * same code runs over nng in the daemons, in-process in tests and in the
 * benchmarks. docs/PROTOCOL.md specifies the frames; docs/SYNC.md the model.
 *
 * Hub:   fsy_hub_handle() takes one decoded request from a connection and
 *        writes the encoded reply. A connection (fsy_hub_conn_t) is one nng
 *        pipe; it is bound to a device by the HELLO/CHALLENGE/AUTH exchange.
 * Agent: fsy_agent_session_start() makes the first request (HELLO);
 *        fsy_agent_session_step() takes each decoded reply and makes the next
 *        request, until it says the round is done.
 *
 * Every reply a store change depends on is produced only after the change
 * has committed; every request an agent sends reflects only committed
 * state. A round cut at any point therefore resumes with nothing lost and
 * nothing applied twice.
 */
#ifndef FSY_SYNC_H
#define FSY_SYNC_H

#include <stdint.h>

#include "proto.h"
#include "store.h"

/* Bounds and policy shared by both ends (config keys in docs/CONFIG.md). */
typedef struct fsy_sync_limits {
	uint32_t max_changes;  /* changes per PUSH/BATCH/SNAPSHOT (default 64000) */
	uint32_t max_bytes;    /* approx. value bytes per frame (default 4 MiB) */
	int64_t max_skew_ms;   /* hub: HLCs further ahead are clamped (5 min) */
	int64_t late_ms;       /* hub: visit recorded this long after is late (3 d) */
	int compress;          /* 1: zstd bodies when it pays (default 1) */
} fsy_sync_limits_t;

/* Fills l with the defaults above. */
void fsy_sync_limits_default(fsy_sync_limits_t *l);

/* ---- hub ----------------------------------------------------------------- */

/* Per-connection state on the hub. Zero it for a new connection. */
typedef struct fsy_hub_conn {
	int authed;                 /* 1 once AUTH verified */
	int challenged;             /* 1 once a CHALLENGE was sent */
	uint8_t nonce[32];          /* the outstanding challenge */
	char device_id[37];         /* claimed (HELLO) then proven (AUTH) */
	char agent_id[37];          /* the device's agent */
	char team_id[37];           /* the agent's team */
	int lead;                   /* 1: the agent is a team lead (read-only) */
	uint64_t changes_in;        /* statistics: changes merged */
	uint64_t changes_out;       /* statistics: changes sent */
	/* This session's progress through the scope-wide queries, so that a
	 * first fill's many PULLs do not each start them over (hub.c): */
	int revokes_clear;          /* 1: no revoke was due at ... */
	int64_t revokes_owner_gseq; /* ... this owner_gseq */
	char snap_after[37];        /* last customer sent in a SNAPSHOT */
} fsy_hub_conn_t;

typedef struct fsy_hub {
	fsy_store_t *st;            /* the hub store (role hub), not owned */
	fsy_sync_limits_t limits;
	/* Called after new customers were created by an agent, inside the
	 * merge transaction, to number their cards etc.; may be NULL. */
	int (*on_new_customer)(struct fsy_hub *hub, const char *customer_id,
	    const char *agent_id, void *arg);
	void *on_new_customer_arg;
	void (*log)(void *arg, int level, const char *msg); /* may be NULL */
	void *log_arg;
	/* Runs a CTL request forwarded by an authenticated team lead's
	 * device (conn says whose); *reply: malloc'd JSON. NULL: refused. */
	int (*ctl)(struct fsy_hub *hub, const fsy_hub_conn_t *conn,
	    const char *req, size_t len, char **reply);
	void *ctl_arg;
	/* The changes of a BATCH or SNAPSHOT being built, kept from one
	 * request to the next: a frame's array is megabytes, and memory
	 * fresh from the system costs a page fault per 4 KiB each time. */
	fsy_change_t *chbuf;
	uint32_t chcap;
} fsy_hub_t;

/* Initialises hub over st with default limits. */
void fsy_hub_init(fsy_hub_t *hub, fsy_store_t *st);

/* Frees what the hub holds between requests (not the store). */
void fsy_hub_fini(fsy_hub_t *hub);

/*
 * Handles one request from conn and writes the encoded reply into out
 * (always a frame to send: a proper reply or an ERROR). Returns FSY_OK when
 * a reply was produced; FSY_ECLOSED when the peer must be dropped (out is
 * then an ERROR frame worth sending first); another FSY_E* code only when
 * not even an error reply could be encoded (out of memory).
 */
int fsy_hub_handle(fsy_hub_t *hub, fsy_hub_conn_t *conn, const fsy_msg_t *req,
    fsy_buf_t *out);

/* Registers a device for an agent with its Ed25519 public key (hub). */
int fsy_hub_device_add(fsy_store_t *st, const char *device_id,
    const char *agent_id, const uint8_t pk[32], const char *name);

/* Marks a device revoked: it is refused from its next request on. */
int fsy_hub_device_revoke(fsy_store_t *st, const char *device_id,
    const char *reason);

/*
 * Content hash of the hub's view of an agent's scope: every replicated row
 * of the customers the agent (or, for a lead, the agent's team) owns now.
 * Equal to the agent replica's fsy_replica_hash once they have converged.
 */
int fsy_hub_scope_hash(fsy_store_t *st, const char *agent_id, uint8_t out[32]);

/* ---- agent --------------------------------------------------------------- */

typedef enum {
	FSY_AS_IDLE = 0,   /* no round in progress */
	FSY_AS_HELLO,      /* HELLO sent, waiting for CHALLENGE */
	FSY_AS_AUTH,       /* AUTH sent, waiting for WELCOME */
	FSY_AS_PUSH,       /* PUSH sent, waiting for ACK */
	FSY_AS_PULL,       /* PULL sent, waiting for BATCH/SNAPSHOT/REVOKE */
	FSY_AS_DONE,       /* the round finished */
	FSY_AS_FAILED      /* the round failed; see err */
} fsy_agent_state_t;

typedef struct fsy_agent_stats {
	uint64_t pushed, rejected, corrected;   /* changes */
	uint64_t pulled, skipped;               /* changes applied / skipped */
	uint64_t snap_customers, revoked_customers;
	uint64_t bytes_out, bytes_in;           /* frames, as encoded */
	uint32_t round_trips;
} fsy_agent_stats_t;

/* One device's sync client. The caller provides the store (role agent). */
typedef struct fsy_agent_session {
	fsy_store_t *st;              /* the replica, not owned */
	uint8_t sk[64];               /* the device's Ed25519 secret key */
	fsy_sync_limits_t limits;
	fsy_agent_state_t state;
	int err;                      /* FSY_E* when state is FAILED */
	char errmsg[256];             /* the hub's message, if any */
	char hub_id[37];              /* from the CHALLENGE */
	char agent_id[37];            /* from the WELCOME */
	int lead;                     /* WELCOME role was "lead" */
	int64_t hub_push_seq;         /* the hub's merged seq */
	int64_t sent_upto;            /* last seq in the outstanding PUSH */
	int64_t resent_from;          /* a gap resend started here, 0: none */
	int send_scope_hash;          /* 1: put the replica hash in HELLO */
	int verified;                 /* 1: the local chain was verified once */
	int64_t verified_seq;         /* ... up to this seq */
	uint8_t verified_hash[32];    /* ... with this hash */
	int chain_ok;                 /* 0: local chain found altered */
	int64_t chain_bad_seq;        /* first altered entry */
	char (*snap_acks)[37];        /* to acknowledge in the next PULL */
	uint32_t nsnap_acks, capsnap;
	char (*revoke_acks)[37];
	uint32_t nrevoke_acks, caprevoke;
	fsy_agent_stats_t stats;      /* of the current round */
	int overlap;                  /* 1: SNAPSHOTs are applied after the
	                               * next PULL is sent (see below) */
	const fsy_msg_t *deferred;    /* the SNAPSHOT to apply, borrowed */
} fsy_agent_session_t;

/* Initialises a session over st with the device secret key sk. */
void fsy_agent_session_init(fsy_agent_session_t *s, fsy_store_t *st,
    const uint8_t sk[64]);

/* Frees what the session holds (not the store). */
void fsy_agent_session_fini(fsy_agent_session_t *s);

/* Starts a round: writes the HELLO frame into out. */
int fsy_agent_session_start(fsy_agent_session_t *s, fsy_buf_t *out);

/*
 * Consumes the hub's reply to the last request. Writes the next request
 * into out and returns FSY_OK, or sets *done = 1 (out empty) when the round
 * finished. On a failure (ERROR reply, unexpected message, store error)
 * returns the FSY_E* code, state becomes FSY_AS_FAILED; nothing committed
 * is lost and the next round resumes where this one stopped.
 */
int fsy_agent_session_step(fsy_agent_session_t *s, const fsy_msg_t *reply,
    fsy_buf_t *out, int *done);

/*
 * Overlap (s->overlap = 1, set by a caller that does the following): on a
 * SNAPSHOT, fsy_agent_session_step writes the next PULL into out and
 * returns FSY_OK without applying the frame; fsy_agent_session_deferred()
 * then returns 1. The caller sends the PULL, then calls
 * fsy_agent_session_apply() with the same reply (before freeing it and
 * before the next step), so that the laptop writes one frame while the
 * hub reads the next. The frame's customers are acknowledged in the PULL
 * after next, once committed. A failed apply fails the session (state
 * FSY_AS_FAILED, err): the caller ends the round, or its next step
 * returns that error.
 */
int fsy_agent_session_deferred(const fsy_agent_session_t *s);
int fsy_agent_session_apply(fsy_agent_session_t *s, const fsy_msg_t *reply);

/* Content hash of the replica (see fsy_hub_scope_hash). */
int fsy_replica_hash(fsy_store_t *st, uint8_t out[32]);

/* Local sync status of a replica. */
typedef struct fsy_replica_status {
	int64_t log_seq;          /* last change-log seq */
	int64_t acked_seq;        /* last seq the hub merged */
	int64_t pending;          /* log_seq - acked_seq */
	int64_t oldest_pending_ms;/* Unix ms of the oldest pending entry, 0 */
	int64_t cursor;           /* pull cursor */
	int64_t rejections;       /* rejected changes recorded */
	int64_t last_sync_ms;     /* end of the last successful round, 0 */
	int64_t customers;        /* customers held */
} fsy_replica_status_t;

int fsy_replica_status(fsy_store_t *st, fsy_replica_status_t *out);

/*
 * Verifies the replica's change-log chain from the start: every entry's
 * prev_hash equals the hash before it and (unless redacted) its hash is the
 * hash of its content. Returns FSY_OK with *upto/hash at the last entry
 * checked, or FSY_ECHAIN with *bad_seq the first entry that fails.
 */
int fsy_replica_verify_chain(fsy_store_t *st, int64_t upto_seq,
    int64_t *bad_seq, uint8_t hash_at_upto[32]);

#endif /* FSY_SYNC_H */
