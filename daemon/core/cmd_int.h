/*
 * cmd_int.h — the insides of the command runner (cmd.h), shared by
 * cmd.c (parsing, dispatch, replies), cmd_util.c (argument checks, row and
 * JSON helpers) and the handlers: cmd_agent.c (an agent's laptop),
 * cmd_lead.c (team leads: activity and conflicts) and cmd_hub.c (head
 * office).
 *
 * A handler gets one fsy__cmd_t: the context, the request's arguments
 * already checked against the command's argument table, the clock, and the
 * laptop's agent id. It puts its result into c->data (a new JSON value)
 * and returns FSY_OK, or returns an FSY_E* code with a message in c->msg
 * (fsy__cmd_fail). cmd.c wraps write commands in one transaction and rolls
 * it back on any failure.
 */
#ifndef FSY_CMD_INT_H
#define FSY_CMD_INT_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "cmd.h"
#include "store.h"
#include "tiers.h"

/* Local time zone of the business (China Standard Time, UTC+8): the day a
 * command calls "today", and the zone obligations are counted in. */
#define FSY_CMD_TZ_MIN 480

/* Longest message of a failed command. */
#define FSY_CMD_MSG_MAX 512

/* Default and largest row counts of list commands. */
#define FSY_CMD_LIMIT_DEFAULT 200
#define FSY_CMD_LIMIT_MAX 100000

/* Argument types (fsy__arg_t.type). */
typedef enum {
	FSY__A_TEXT = 1, /* a string of at most max bytes ("" clears) */
	FSY__A_INT,      /* an integer in [lo, hi] (JSON number or digits) */
	FSY__A_BOOL,     /* true/false, also "yes"/"no", 1/0 */
	FSY__A_ENUM,     /* one of enums (exact spelling) */
	FSY__A_DATE,     /* 'YYYY-MM-DD' */
	FSY__A_TIME,     /* 'YYYY-MM-DD[THH:MM[:SS]][Z]' -> UTC instant */
	FSY__A_MONEY,    /* yuan, at most 2 decimals -> fen in i */
	FSY__A_UUID,     /* a UUID (lower-cased into buf) */
	FSY__A_CUSTOMER, /* a customer id (UUID) or a card number */
	FSY__A_AGENT,    /* an agent code or id */
	FSY__A_PHONE,    /* digits, spaces and + - ( ), 3..32 bytes */
	FSY__A_TAGS,     /* comma list of tags [a-z0-9_], normalised */
	FSY__A_PATH,     /* an absolute path */
	FSY__A_ID,       /* a short id: [A-Za-z0-9_.-], at most max bytes */
} fsy__argtype_t;

/* An int64_t parameter that binds NULL ('n' in fsy__cmd_rows types). */
#define FSY__NULL_INT INT64_MIN

/* Argument flags. */
#define FSY__REQ 0x1 /* required */

/* One argument a command accepts. */
typedef struct fsy__arg {
	const char *name;          /* the JSON key ("happened_at") */
	int type;                  /* fsy__argtype_t */
	unsigned flags;            /* FSY__REQ */
	const char *flag;          /* how the CLI spells it in messages:
	                            * "--happened-at", or "CUSTOMER" for a
	                            * positional argument */
	size_t max;                /* TEXT/ID/TAGS: most bytes (0: 1000) */
	int64_t lo, hi;            /* INT: bounds (both 0: any) */
	const char *const *enums;  /* ENUM: NULL-terminated values */
} fsy__arg_t;

/* A checked argument value. */
typedef struct fsy__val {
	int set;        /* 1: given (possibly as "" / null: s == NULL) */
	const char *s;  /* text (TEXT, ENUM, ID, CUSTOMER, AGENT ...), or the
	                 * normalised text in buf; NULL when cleared */
	int64_t i;      /* INT, BOOL, MONEY (fen), ENUM (index) */
	char buf[256];  /* normalised forms: dates, instants, UUIDs, card
	                 * numbers, tags */
} fsy__val_t;

/* Most arguments of one command. */
#define FSY__MAX_ARGS 32

/* One command being run. */
typedef struct fsy__cmd {
	fsy_cmd_ctx_t *ctx;          /* the caller's context */
	fsy_store_t *st;             /* = ctx->st */
	const char *name;            /* the command ("visit.add") */
	const char *req;             /* the request text, len bytes */
	size_t len;
	json_t *args;                /* the arguments object (borrowed) */
	const fsy__arg_t *spec;      /* the command's argument table */
	fsy__val_t vals[FSY__MAX_ARGS]; /* checked values, as spec */
	json_t *data;                /* the reply data (owned), set by the
	                              * handler */
	char *raw_reply;             /* a whole reply to pass on unchanged
	                              * (a forwarded command); owned */
	int64_t now_ms;              /* the command's clock */
	char now[21];                /* now_ms as 'YYYY-MM-DDTHH:MM:SSZ' */
	char today[11];              /* the local day of now_ms */
	char agent_id[40];           /* agent role: meta agent_id, or "" */
	char msg[FSY_CMD_MSG_MAX];   /* the failure message */
} fsy__cmd_t;

/* A command handler: FSY_OK with c->data set, or an FSY_E* code. */
typedef int (*fsy__cmd_fn)(fsy__cmd_t *c);

/* Where a command may run (fsy__cmd_def_t.where). */
#define FSY__W_AGENT 0x1 /* an agent's own laptop */
#define FSY__W_LEAD 0x2  /* a team lead's laptop */
#define FSY__W_HUB 0x4   /* the head-office hub */
#define FSY__W_ANY (FSY__W_AGENT | FSY__W_LEAD | FSY__W_HUB)

/* Command flags (fsy__cmd_def_t.flags). */
#define FSY__F_WRITE 0x1   /* changes the store: one transaction */
#define FSY__F_OWNTXN 0x2  /* a write that manages its transactions */
#define FSY__F_FORWARD 0x4 /* on a lead's laptop: run at the hub */
#define FSY__F_TEAM 0x8    /* on the hub: may run for a lead's team */
#define FSY__F_HOCOLS 0x10 /* refuse head-office customer columns as
                            * arguments with FSY_EREADONLY (edit) */

/* One command of the table. */
typedef struct fsy__cmd_def {
	const char *name;       /* "visit.add" */
	fsy__cmd_fn fn;         /* the handler */
	unsigned where;         /* FSY__W_* */
	unsigned flags;         /* FSY__F_* */
	const fsy__arg_t *args; /* argument table, ends with {NULL} */
} fsy__cmd_def_t;

/* The command tables of each audience (end with {NULL}). */
extern const fsy__cmd_def_t fsy__cmds_agent[];
extern const fsy__cmd_def_t fsy__cmds_lead[];
extern const fsy__cmd_def_t fsy__cmds_hub[];
extern const fsy__cmd_def_t fsy__cmds_util[];

/* Shared enum value lists (NULL-terminated). */
extern const char *const fsy__enum_rating[];
extern const char *const fsy__enum_group[];
extern const char *const fsy__enum_gender[];
extern const char *const fsy__enum_relation[];
extern const char *const fsy__enum_channel[];
extern const char *const fsy__enum_topic[];
extern const char *const fsy__enum_product_type[];
extern const char *const fsy__enum_pay_mode[];
extern const char *const fsy__enum_policy_status[];
extern const char *const fsy__enum_need_status[];
extern const char *const fsy__enum_agent_role[];
extern const char *const fsy__enum_agent_channel[];
extern const char *const fsy__enum_vip[];
extern const char *const fsy__enum_keep[];
extern const char *const fsy__enum_conflict_status[];

/* ---- cmd_util.c ---------------------------------------------------------- */

/*
 * Records msg (printf format) as the command's failure message unless one
 * is set already, and returns code, so that handlers can write
 * `return fsy__cmd_fail(c, FSY_EINVAL, "...")`.
 */
int fsy__cmd_fail(fsy__cmd_t *c, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* As fsy__cmd_fail for a store error: the message is what, a colon and the
 * store's last error. Returns rc. */
int fsy__cmd_store_fail(fsy__cmd_t *c, int rc, const char *what);

/*
 * Checks c->args against spec (unknown keys, required ones, types, enums,
 * lengths, dates) and fills c->vals. Returns FSY_OK, or FSY_EINVAL (or
 * FSY_EREADONLY for a head-office column given to `edit`) with a message
 * naming the argument. readonly_table: a fsy_tables index whose
 * head-office columns are refused with FSY_EREADONLY, or -1.
 */
int fsy__cmd_check_args(fsy__cmd_t *c, const fsy__arg_t *spec,
    int readonly_table);

/* The checked value of the argument called name, or NULL when the command
 * has no such argument (a programming error) — never NULL for a name in
 * the command's table. */
const fsy__val_t *fsy__arg(const fsy__cmd_t *c, const char *name);

/* Text of an argument when given and not cleared, else NULL. */
const char *fsy__arg_s(const fsy__cmd_t *c, const char *name);

/* Integer of an argument when given, else def. */
int64_t fsy__arg_i(const fsy__cmd_t *c, const char *name, int64_t def);

/* 1 when the argument was given (even as ""). */
int fsy__arg_set(const fsy__cmd_t *c, const char *name);

/*
 * Finds the live customer that ref (a customer id or a card number, as
 * checked by FSY__A_CUSTOMER) names and copies its id into id (37 bytes).
 * flag names the argument in messages. Returns FSY_OK, FSY_ENOTFOUND
 * ("no customer with card W0001") or FSY_EINVAL (a provisional number two
 * cards share), or a store error; the message is in c->msg.
 */
int fsy__cmd_customer(fsy__cmd_t *c, const char *ref, const char *flag,
    char id[37]);

/*
 * Finds the agent that ref (code or id) names: id (37 bytes), code and
 * status (n bytes each, may be NULL). Returns FSY_OK, FSY_ENOTFOUND or a
 * store error, with the message in c->msg.
 */
int fsy__cmd_agent(fsy__cmd_t *c, const char *ref, const char *flag,
    char id[37], char *code, char *status, size_t n);

/*
 * Runs sql with parameters bound from types (one character per parameter:
 * 't' const char * (NULL binds NULL), 'i' int64_t, 'n' int64_t where
 * FSY__NULL_INT binds NULL) and returns its rows as
 * a new JSON array of objects keyed by column name (integers, text, null;
 * text that is not UTF-8 has its bad bytes replaced by '?'). Returns NULL
 * on failure with c->msg set and *rc the FSY_E* code.
 */
json_t *fsy__cmd_rows(fsy__cmd_t *c, int *rc, const char *sql,
    const char *types, ...);

/* As fsy__cmd_rows for at most one row: a new object, or JSON null when
 * there is no row. */
json_t *fsy__cmd_row(fsy__cmd_t *c, int *rc, const char *sql,
    const char *types, ...);

/* Runs a statement that returns no rows (INSERT/UPDATE), binding as
 * fsy__cmd_rows. Returns FSY_OK or the FSY_E* code with c->msg set;
 * *changes (may be NULL) gets sqlite3_changes(). */
int fsy__cmd_exec(fsy__cmd_t *c, int *changes, const char *sql,
    const char *types, ...);

/* Runs a query for one integer (first column of the first row; def when
 * there is no row or it is NULL). Binds as fsy__cmd_rows. */
int fsy__cmd_int(fsy__cmd_t *c, int64_t *out, int64_t def, const char *sql,
    const char *types, ...);

/* A JSON string of s (NULL: null); invalid UTF-8 bytes become '?'.
 * Returns a new reference or NULL when out of memory. */
json_t *fsy__json_str(const char *s);

/* Sets key of obj to v (stealing it); returns -1 when v is NULL or the set
 * fails, 0 otherwise. */
int fsy__json_set(json_t *obj, const char *key, json_t *v);

/* Formats ms as the local day ('YYYY-MM-DD') in FSY_CMD_TZ_MIN. */
void fsy__cmd_local_day(int64_t ms, char out[11]);

/*
 * Loads the tier schemes (ctx->datadir/tiers, or the default directory).
 * On success *out owns them (fsy_tiers_free). Failure: the code with
 * c->msg set.
 */
int fsy__cmd_tiers(fsy__cmd_t *c, fsy_tiers_t **out);

/*
 * Evaluates customer_id with every scheme of t as of as_of: a new array of
 * {"scheme","name","score_fen","level","level_name","next","gap_fen",
 * "honour","paid_fen","benefits":[...],"counted","skipped"}. NULL on
 * failure with *rc and c->msg set.
 */
json_t *fsy__cmd_tier_eval(fsy__cmd_t *c, int *rc, const fsy_tiers_t *t,
    const char *customer_id, const char *as_of);

/* Adds "card_no" and "name" of each element's customer_id (and
 * "policy_no" of its policy_id, when it has one) to every object of the
 * arrays named in keys (NULL-terminated) of obj. Returns FSY_OK or an
 * error with c->msg set. */
int fsy__cmd_add_names(fsy__cmd_t *c, json_t *obj, const char *const *keys);

#endif /* FSY_CMD_INT_H */
