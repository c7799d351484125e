/*
 * proto.h — fieldsync's wire messages (docs/PROTOCOL.md is the spec).
 *
 * Every frame is one msgpack array: [version, type, flags, body].
 *   version  uint, FSY_PROTO_VERSION;
 *   type     uint, fsy_msg_type_t;
 *   flags    uint, bit 0 (FSY_FRAME_ZSTD): body is a bin holding the zstd-
 *            compressed msgpack encoding of the body map;
 *   body     map with short string keys, per message type below.
 *
 * Decoding is strict: every key's type, every length and every count is
 * checked against the limits below, unknown keys are skipped (forward
 * compatible), missing required keys are an error. A decoder answers
 * FSY_OK, FSY_EMALFORMED, FSY_ETOOBIG, FSY_EVERSION or FSY_ENOMEM; on
 * error nothing is returned. A decoded message lives in one arena and is
 * freed in one call (fsy_msg_free).
 *
 * Ids travel as 16-byte bins (UUIDs); decoded messages hold them as
 * 36-char strings. The WELCOME roster's ids are the exception: short
 * strings, as head office's roster ids need not be UUIDs. Hashes and
 * signatures are bins of fixed size.
 */
#ifndef FSY_PROTO_H
#define FSY_PROTO_H

#include <stddef.h>
#include <stdint.h>

#include "fsy_err.h"
#include "fsy_val.h"

#define FSY_PROTO_VERSION 1

/* Limits, enforced on encode and decode. */
#define FSY_MAX_FRAME (16u * 1024 * 1024)  /* bytes on the wire, any frame */
#define FSY_MAX_INFLATED (64u * 1024 * 1024) /* a decompressed body */
#define FSY_MAX_CHANGES 100000             /* changes in one batch */
#define FSY_MAX_IDS 20000                  /* ids in one list */
#define FSY_MAX_REJECTS FSY_MAX_CHANGES    /* rejects in one ack */
#define FSY_MAX_STR 4096                   /* a short string (names, reasons) */
#define FSY_MAX_CTL (8u * 1024 * 1024)     /* a control request/reply JSON */
#define FSY_MAX_ROSTER 5000                /* teams, agents in one WELCOME */

#define FSY_FRAME_ZSTD 0x1

typedef enum {
	FSY_MSG_ERROR = 0,      /* either way: a request failed */
	FSY_MSG_HELLO = 1,      /* agent -> hub: who I am, where my log stands */
	FSY_MSG_CHALLENGE = 2,  /* hub -> agent: prove you hold the device key */
	FSY_MSG_AUTH = 3,       /* agent -> hub: signature over the challenge */
	FSY_MSG_WELCOME = 4,    /* hub -> agent: session open, hub's view */
	FSY_MSG_PUSH = 5,       /* agent -> hub: a batch of change-log entries */
	FSY_MSG_ACK = 6,        /* hub -> agent: merged up to seq, rejects */
	FSY_MSG_PULL = 7,       /* agent -> hub: changes since my cursor, please */
	FSY_MSG_BATCH = 8,      /* hub -> agent: changes in scope, new cursor */
	FSY_MSG_SNAPSHOT = 9,   /* hub -> agent: whole customers newly in scope */
	FSY_MSG_REVOKE = 10,    /* hub -> agent: customers to erase */
	FSY_MSG_CTL = 11,       /* CLI -> daemon (ipc): a command */
	FSY_MSG_CTL_REPLY = 12, /* daemon -> CLI: the command's result */
	FSY_MSG_TYPE_MAX = 12
} fsy_msg_type_t;

/* One column change. In PUSH: an agent's change-log entry (seq > 0).
 * In BATCH/SNAPSHOT and ACK corrections: the hub's current value (seq 0,
 * hlc and site may be 0/"" where not sent). */
typedef struct fsy_change {
	int64_t seq;             /* agent change-log seq (PUSH only) */
	uint8_t tbl;             /* table index, tables.h */
	uint8_t col;             /* column index within the table */
	char row_id[37];         /* row UUID */
	char customer_id[37];    /* owning customer UUID */
	uint64_t hlc;            /* hybrid logical clock of the write */
	fsy_val_t val;           /* the value; text points into the arena */
} fsy_change_t;

/* A change the hub refused (inside ACK). */
typedef struct fsy_reject {
	int64_t seq;        /* the agent's change-log seq */
	int32_t code;       /* FSY_E* */
	const char *reason; /* human-readable, NUL-terminated, in the arena */
} fsy_reject_t;

typedef struct fsy_msg_error {
	int32_t code;        /* FSY_E* */
	const char *message; /* NUL-terminated */
	uint32_t retry_ms;   /* > 0: try again after this long */
} fsy_msg_error_t;

typedef struct fsy_msg_hello {
	uint32_t proto;             /* FSY_PROTO_VERSION of the sender */
	uint32_t schema;            /* FSY_SCHEMA_VERSION of the sender */
	char device_id[37];         /* the laptop's device id (its site id) */
	const char *software;       /* "fieldsyncd/0.1.0" */
	int64_t log_seq;            /* last seq in the device's change log */
	int64_t pending;            /* entries not yet acknowledged */
	int64_t oldest_pending_ms;  /* Unix ms of the oldest of them, 0: none */
	int64_t chain_seq;          /* an acknowledged seq ... */
	uint8_t chain_hash[32];     /* ... and the device's hash at that seq */
	uint8_t scope_hash[32];     /* content hash of the replica */
	int has_scope_hash;
} fsy_msg_hello_t;

typedef struct fsy_msg_challenge {
	uint8_t nonce[32];    /* random, single use */
	char hub_id[37];      /* the hub's site id */
	int64_t hub_time_ms;  /* the hub's clock */
} fsy_msg_challenge_t;

typedef struct fsy_msg_auth {
	char device_id[37];
	uint8_t sig[64]; /* Ed25519 over "fieldsync-auth-v1" nonce hub_id device_id */
} fsy_msg_auth_t;

/* The roster a WELCOME carries: the people a device may name (its own
 * agent and the agents of its team, departed ones included) and their
 * teams. Ids are text, not UUID bins: head office's roster ids are not
 * always UUIDs. Every string is a short string (FSY_MAX_STR); "" stands
 * for SQL NULL where a column may be NULL. */
typedef struct fsy_roster_team {
	const char *id;
	const char *code;
	const char *name;
	const char *lead_agent_id; /* "": none */
	const char *branch_id;     /* the team's branch ... */
	const char *branch_code;
	const char *branch_name;
} fsy_roster_team_t;

typedef struct fsy_roster_agent {
	const char *id;
	const char *code;
	const char *name;
	const char *team_id;  /* "": no team */
	const char *role;     /* agent | lead | service | renewal | admin */
	const char *channel;  /* agency | bancassurance | service | renewal */
	const char *status;   /* employed | departed | disqualified */
	const char *hired_on; /* YYYY-MM-DD or "" */
	const char *left_on;  /* YYYY-MM-DD or "" */
} fsy_roster_agent_t;

typedef struct fsy_msg_welcome {
	char agent_id[37];      /* the agent the device belongs to */
	const char *role;       /* "agent" or "lead" */
	int64_t push_seq;       /* last seq of this device the hub has merged */
	int64_t pull_cursor;    /* the hub's record of the device's cursor */
	int chain_ok;           /* 0: the hub found the device's chain broken */
	int64_t hub_time_ms;
	/* Optional (keys "teams", "agents"; absent: empty, as from a hub
	 * that sends no roster): at most FSY_MAX_ROSTER of each. */
	const fsy_roster_team_t *teams;
	uint32_t nteams;
	const fsy_roster_agent_t *agents;
	uint32_t nagents;
} fsy_msg_welcome_t;

typedef struct fsy_msg_push {
	int64_t cursor;         /* the device's pull cursor (what it has seen) */
	uint8_t head[32];       /* the chain hash of the last change sent */
	fsy_change_t *changes;  /* consecutive seqs, in order */
	uint32_t nchanges;
} fsy_msg_push_t;

typedef struct fsy_msg_ack {
	int64_t acked;            /* every seq <= acked is merged (or rejected) */
	fsy_reject_t *rejects;
	uint32_t nrejects;
	fsy_change_t *corrections; /* hub values for columns the push lost or
	                              had rejected; apply them over local ones */
	uint32_t ncorrections;
} fsy_msg_ack_t;

typedef struct fsy_msg_pull {
	int64_t cursor;          /* last global seq applied */
	uint32_t max_changes;    /* batch bound asked for (0: hub default) */
	uint32_t max_bytes;
	char (*snap_acks)[37];   /* customers of SNAPSHOTs applied */
	uint32_t nsnap_acks;
	char (*revoke_acks)[37]; /* customers of REVOKEs erased */
	uint32_t nrevoke_acks;
} fsy_msg_pull_t;

typedef struct fsy_msg_batch {
	int64_t cursor;          /* apply these, then save this cursor */
	int more;                /* 1: pull again */
	fsy_change_t *changes;
	uint32_t nchanges;
} fsy_msg_batch_t;

typedef struct fsy_msg_snapshot {
	char (*customers)[37];   /* customers whose every row is in changes */
	uint32_t ncustomers;
	fsy_change_t *changes;
	uint32_t nchanges;
	int more;                /* 1: more snapshots or changes follow */
} fsy_msg_snapshot_t;

typedef struct fsy_msg_revoke {
	char (*customers)[37];   /* push pending changes of these, then erase */
	uint32_t ncustomers;
} fsy_msg_revoke_t;

typedef struct fsy_msg_ctl {
	const char *json; /* the command (CTL) or result (CTL_REPLY), JSON text */
	size_t len;
} fsy_msg_ctl_t;

/* A decoded message. Everything it points to lives in its arena. */
typedef struct fsy_msg {
	fsy_msg_type_t type;
	union {
		fsy_msg_error_t error;
		fsy_msg_hello_t hello;
		fsy_msg_challenge_t challenge;
		fsy_msg_auth_t auth;
		fsy_msg_welcome_t welcome;
		fsy_msg_push_t push;
		fsy_msg_ack_t ack;
		fsy_msg_pull_t pull;
		fsy_msg_batch_t batch;
		fsy_msg_snapshot_t snapshot;
		fsy_msg_revoke_t revoke;
		fsy_msg_ctl_t ctl;
	} u;
	void *arena; /* private: owns all decoded memory */
} fsy_msg_t;

/* An encoded frame: heap bytes owned by the caller, freed with
 * fsy_buf_free. */
typedef struct fsy_buf {
	uint8_t *data;
	size_t len;
	size_t cap;
} fsy_buf_t;

void fsy_buf_free(fsy_buf_t *b);

/*
 * Encodes m into out (out is reset first). compress: 1 to zstd-compress
 * the body when that makes it smaller (only done for bodies over 512
 * bytes). Returns FSY_OK; FSY_EINVAL for a message that breaks a limit or
 * has an invalid field (e.g. a malformed UUID); FSY_ENOMEM. On failure out
 * is empty.
 */
int fsy_msg_encode(const fsy_msg_t *m, int compress, fsy_buf_t *out);

/*
 * Decodes one frame of len bytes into *m. On success the caller owns m's
 * arena and frees it with fsy_msg_free(). On failure m holds nothing to
 * free (fsy_msg_free on it is still safe). Returns FSY_OK, FSY_EMALFORMED,
 * FSY_ETOOBIG, FSY_EVERSION or FSY_ENOMEM.
 */
int fsy_msg_decode(const uint8_t *data, size_t len, fsy_msg_t *m);

/* Frees a decoded message's arena; m may be zeroed or already freed. */
void fsy_msg_free(fsy_msg_t *m);

/* Returns the message type's name ("PUSH"), or "?" */
const char *fsy_msg_type_name(int type);

/* Builds the bytes an AUTH signature covers into out (size >= 128);
 * returns their length. */
size_t fsy_auth_payload(const uint8_t nonce[32], const char *hub_id,
    const char *device_id, uint8_t *out);

#endif /* FSY_PROTO_H */
