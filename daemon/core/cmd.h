/*
 * cmd.h — the commands behind the `fieldsync` CLI, run inside a daemon
 * (or in process by tools and tests) against its store.
 *
 * Request (JSON text):  {"cmd": "visit.add", "args": {...}}
 * Reply (JSON text):    {"ok": true, "data": ...}
 *                   or  {"ok": false, "code": -5, "error": "ENOTFOUND",
 *                        "message": "no customer with card W0001"}
 * Command names are dotted ("card", "visit.add", "agent.depart", ...);
 * docs/CLI.md lists every command, its arguments and its reply.
 */
#ifndef FSY_CMD_H
#define FSY_CMD_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "store.h"

typedef struct fsy_cmd_ctx {
	fsy_store_t *st;          /* the daemon's store (not owned) */
	fsy_role_t role;          /* agent laptop or hub */
	const char *datadir;      /* tier schemes, surname table; NULL: default */
	int lead;                 /* agent role: this laptop is a team lead's */
	const char *team_id;      /* hub, for a lead's forwarded command: the
	                             team it may see; NULL: head office (all) */
	int64_t now_ms;           /* 0: wall clock; tests fix it */
	/* Agent role: ask the daemon to sync soon (may be NULL). */
	void (*sync_now)(void *arg);
	/* Agent role: add the daemon's sync state (last round, errors, next
	 * attempt, hub address) to obj (may be NULL). */
	void (*sync_state)(void *arg, json_t *obj);
	/* Agent role: forward a command to the hub over the sync connection
	 * (team-lead commands that need head office's data); returns FSY_OK
	 * with *reply owned by the caller, or an FSY_E* code. May be NULL. */
	int (*forward)(void *arg, const char *req, size_t len, char **reply);
	void *arg;                /* for the three callbacks */
} fsy_cmd_ctx_t;

/*
 * Runs one request. On return *reply is a malloc'd NUL-terminated JSON
 * reply (always, also for errors, except out of memory where it is NULL
 * and FSY_ENOMEM is returned). Returns the command's FSY_E* code, which is
 * also in the reply. A malformed request gets FSY_EINVAL with a message.
 * Every write is one transaction: a failing command changes nothing.
 */
int fsy_cmd_run(fsy_cmd_ctx_t *ctx, const char *req, size_t len, char **reply);

#endif /* FSY_CMD_H */
