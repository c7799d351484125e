/*
 * fuzz_cmd.c — libFuzzer harness for the command runner (daemon/core/cmd.h):
 * every input is a request, as the CLI would send it over the control
 * socket, run on an agent's laptop, on a team lead's laptop and at the hub
 * (tests/fuzz/fuzz_util.h: the fixture).
 *
 * Must hold for every input: a reply always comes back (NULL only with
 * FSY_ENOMEM); it is a JSON object with "ok"; a failure carries the code
 * returned, the code's name and a non-empty message; a failed command
 * changes nothing (a digest of every table the command may touch is
 * compared). After a command that changed something the databases are
 * copied back from their templates, so inputs do not depend on each other.
 * Seeds: tests/fuzz/corpus/cmd/ (one request per file).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cmd.h"
#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static fsy_store_t *hub, *lap;

static void
reopen(void)
{
	fsy_store_close(hub);
	fsy_store_close(lap);
	fz_copy("fz_cmd_hub.tmpl", "fz_cmd_hub.db");
	fz_copy("fz_cmd_lap.tmpl", "fz_cmd_lap.db");
	hub = fz_open("fz_cmd_hub.db", FSY_ROLE_HUB, NULL);
	lap = fz_open("fz_cmd_lap.db", FSY_ROLE_AGENT, FZ_D1);
}

/* Runs one request; returns 1 when the database changed. */
static int
run(fsy_store_t *st, fsy_role_t role, int lead, const char *const *queries,
    const char *req, size_t len)
{
	fsy_cmd_ctx_t ctx;
	uint8_t before[32], after[32];
	char *reply = NULL;
	json_t *j, *ok, *code, *name, *msg;
	json_error_t err;
	int rc;

	memset(&ctx, 0, sizeof(ctx));
	ctx.st = st;
	ctx.role = role;
	ctx.lead = lead;
	ctx.team_id = NULL;
	ctx.now_ms = 1795000000000LL; /* a fixed day: 2026-11-18 */
	fz_digest(st, queries, before);
	rc = fsy_cmd_run(&ctx, req, len, &reply);
	if (reply == NULL) {
		if (rc != FSY_ENOMEM)
			fz_die("no reply, code %d", rc);
		return 0;
	}
	j = json_loads(reply, 0, &err);
	if (j == NULL || !json_is_object(j))
		fz_die("reply is not a JSON object: %s", reply);
	ok = json_object_get(j, "ok");
	if (!json_is_boolean(ok) || json_is_true(ok) != (rc == FSY_OK))
		fz_die("reply 'ok' does not match code %d: %s", rc, reply);
	if (rc != FSY_OK) {
		code = json_object_get(j, "code");
		name = json_object_get(j, "error");
		msg = json_object_get(j, "message");
		if (!json_is_integer(code) || json_integer_value(code) != rc ||
		    !json_is_string(name) ||
		    strcmp(json_string_value(name), fsy_errname(rc)) != 0 ||
		    !json_is_string(msg) || json_string_length(msg) == 0)
			fz_die("a failure without its code, name or message: %s",
			    reply);
		if (rc == FSY_EINTERNAL)
			fz_die("internal error: %s", reply);
	} else if (!json_object_get(j, "data")) {
		fz_die("success without data: %s", reply);
	}
	json_decref(j);
	free(reply);
	if (rc != FSY_ENOMEM)
		fz_digest(st, queries, after);
	else
		memcpy(after, before, 32);
	if (rc != FSY_OK && memcmp(before, after, 32) != 0)
		fz_die("a failed command (%s) changed the database", fsy_errname(rc));
	return memcmp(before, after, 32) != 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	const char *req = (const char *)data;
	int changed = 0;

	if (!ready) {
		fz_fixture("fz_cmd_hub.tmpl", "fz_cmd_lap.tmpl");
		reopen();
		ready = 1;
	}
	changed |= run(lap, FSY_ROLE_AGENT, 0, fz_lap_queries, req, size);
	changed |= run(lap, FSY_ROLE_AGENT, 1, fz_lap_queries, req, size);
	changed |= run(hub, FSY_ROLE_HUB, 0, fz_hub_queries, req, size);
	if (changed)
		reopen();
	return 0;
}
