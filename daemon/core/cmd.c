/*
 * cmd.c — the command runner (cmd.h): parses a request, finds the command,
 * checks where it may run and its arguments, runs it (writes in one
 * transaction), and writes the reply.
 *
 * Where a command runs (fsy__cmd_def_t.where):
 *   an agent's laptop  its own customers, read and write;
 *   a team lead's      the team's customers, read-only; conflicts are
 *                      forwarded to the hub (ctx->forward);
 *   the hub            head office; a lead's forwarded command arrives with
 *                      ctx->team_id set and may only be a FSY__F_TEAM one.
 * A command asked of the wrong daemon gets FSY_EPERM with a message saying
 * which daemon to ask.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd_int.h"
#include "proto.h"
#include "tables.h"
#include "util.h"

/* Longest command name accepted. */
#define CMD_NAME_MAX 64

static const fsy__cmd_def_t *const tables[] = {
	fsy__cmds_util, fsy__cmds_agent, fsy__cmds_lead, fsy__cmds_hub,
};

static const fsy__cmd_def_t *
find_cmd(const char *name)
{
	size_t t;

	for (t = 0; t < sizeof(tables) / sizeof(tables[0]); t++)
		for (const fsy__cmd_def_t *d = tables[t]; d->name != NULL; d++)
			if (strcmp(d->name, name) == 0)
				return d;
	return NULL;
}

/* Refuses a command asked of the wrong daemon, saying which to ask. */
static int
check_where(fsy__cmd_t *c, const fsy__cmd_def_t *d)
{
	const fsy_cmd_ctx_t *x = c->ctx;

	if (x->role == FSY_ROLE_HUB) {
		if (!(d->where & FSY__W_HUB))
			return fsy__cmd_fail(c, FSY_EPERM, "'%s' runs on an "
			    "agent's laptop, not on the head-office hub: ask "
			    "the laptop's daemon (fieldsync --socket "
			    "<the laptop's socket>)", d->name);
		if (x->team_id != NULL && !(d->flags & FSY__F_TEAM))
			return fsy__cmd_fail(c, FSY_EPERM, "a team lead may ask "
			    "head office only for conflicts and conflict.resolve, "
			    "not '%s'", d->name);
		return FSY_OK;
	}
	if (x->lead) {
		if (d->where & FSY__W_LEAD)
			return FSY_OK;
		if (d->where & FSY__W_AGENT)
			return fsy__cmd_fail(c, FSY_EPERM, "this is a team lead's "
			    "laptop: the team's customers are read-only here; "
			    "'%s' is done by the customer's own agent on the "
			    "agent's laptop", d->name);
		return fsy__cmd_fail(c, FSY_EPERM, "'%s' is a head-office "
		    "command: run it against the head-office hub's daemon, not "
		    "this laptop", d->name);
	}
	if (d->where & FSY__W_AGENT)
		return FSY_OK;
	if (d->where & FSY__W_LEAD)
		return fsy__cmd_fail(c, FSY_EPERM, "'%s' is for team leads: run "
		    "it on a team lead's laptop, or ask head office", d->name);
	return fsy__cmd_fail(c, FSY_EPERM, "'%s' is a head-office command: run "
	    "it against the head-office hub's daemon, not this laptop",
	    d->name);
}

/* Sends the request on to the hub for a team lead; the hub's reply is
 * passed back as it is. The lead's agent id goes in as "by" when the
 * command records who did it. */
static int
forward(fsy__cmd_t *c)
{
	json_t *req = NULL, *args = NULL;
	char *text = NULL, *reply = NULL;
	int rc;

	if (c->ctx->forward == NULL)
		return fsy__cmd_fail(c, FSY_ESTATE, "'%s' is answered by head "
		    "office, and this daemon has no connection to it", c->name);
	args = c->args != NULL ? json_deep_copy(c->args) : json_object();
	req = json_object();
	if (args == NULL || req == NULL) {
		rc = fsy__cmd_fail(c, FSY_ENOMEM, "out of memory");
		goto out;
	}
	if (fsy__arg(c, "by") != NULL && c->agent_id[0] &&
	    fsy__json_set(args, "by", json_string(c->agent_id)) != 0) {
		rc = fsy__cmd_fail(c, FSY_ENOMEM, "out of memory");
		goto out;
	}
	if (fsy__json_set(req, "cmd", json_string(c->name)) != 0 ||
	    json_object_set(req, "args", args) != 0 ||
	    (text = json_dumps(req, JSON_COMPACT)) == NULL) {
		rc = fsy__cmd_fail(c, FSY_ENOMEM, "out of memory");
		goto out;
	}
	rc = c->ctx->forward(c->ctx->arg, text, strlen(text), &reply);
	if (rc != FSY_OK || reply == NULL) {
		free(reply);
		if (rc == FSY_OK)
			rc = FSY_EPROTO;
		rc = fsy__cmd_fail(c, rc, "cannot ask head office for '%s': %s; "
		    "try again when the laptop is online", c->name,
		    fsy_strerror(rc));
		goto out;
	}
	c->raw_reply = reply;
out:
	free(text);
	json_decref(args);
	json_decref(req);
	return rc;
}

/* The code in a forwarded reply, or FSY_EPROTO when it is not a reply
 * (the reply is then dropped). */
static int
reply_code(fsy__cmd_t *c, const char *reply)
{
	json_t *j = json_loads(reply, 0, NULL);
	json_t *ok = json_object_get(j, "ok");
	int rc;

	if (!json_is_boolean(ok)) {
		/* not passed on: the caller gets our own error reply */
		free(c->raw_reply);
		c->raw_reply = NULL;
		rc = fsy__cmd_fail(c, FSY_EPROTO, "head office sent a malformed "
		    "reply to '%s'", c->name);
	} else if (json_is_true(ok)) {
		rc = FSY_OK;
	} else {
		json_int_t code = json_integer_value(json_object_get(j, "code"));
		rc = code < 0 && code > -1000 ? (int)code : FSY_EPROTO;
	}
	json_decref(j);
	return rc;
}

/* Runs the command: checks, forwards or calls the handler in a
 * transaction. */
static int
run(fsy__cmd_t *c, const fsy__cmd_def_t **defp)
{
	json_t *root = NULL, *cmd, *args;
	json_error_t jerr;
	const fsy__cmd_def_t *d;
	const char *key;
	json_t *val;
	int rc;

	*defp = NULL;
	if (c->len > FSY_MAX_CTL)
		return fsy__cmd_fail(c, FSY_ETOOBIG, "request too large (%zu "
		    "bytes, at most %u)", c->len, (unsigned)FSY_MAX_CTL);
	root = json_loadb(c->req, c->len, JSON_REJECT_DUPLICATES, &jerr);
	if (root == NULL)
		return fsy__cmd_fail(c, FSY_EINVAL, "malformed request: %s "
		    "(line %d, column %d)", jerr.text, jerr.line, jerr.column);
	/* root stays alive with the command: c->args and c->name point in. */
	c->args = NULL;
	if (!json_is_object(root)) {
		rc = fsy__cmd_fail(c, FSY_EINVAL,
		    "malformed request: not a JSON object");
		goto out;
	}
	json_object_foreach(root, key, val) {
		if (strcmp(key, "cmd") != 0 && strcmp(key, "args") != 0) {
			rc = fsy__cmd_fail(c, FSY_EINVAL, "malformed request: "
			    "unknown key '%.32s'", key);
			goto out;
		}
	}
	cmd = json_object_get(root, "cmd");
	args = json_object_get(root, "args");
	if (!json_is_string(cmd) || json_string_length(cmd) == 0 ||
	    json_string_length(cmd) > CMD_NAME_MAX) {
		rc = fsy__cmd_fail(c, FSY_EINVAL,
		    "malformed request: \"cmd\" must name a command");
		goto out;
	}
	if (args != NULL && !json_is_null(args) && !json_is_object(args)) {
		rc = fsy__cmd_fail(c, FSY_EINVAL,
		    "malformed request: \"args\" must be an object");
		goto out;
	}
	c->name = json_string_value(cmd);
	c->args = json_is_object(args) ? args : NULL;
	if ((d = find_cmd(c->name)) == NULL) {
		rc = fsy__cmd_fail(c, FSY_EINVAL, "unknown command '%.64s' "
		    "(fieldsync --help lists the commands)", c->name);
		goto out;
	}
	*defp = d;
	if (c->ctx->role == FSY_ROLE_AGENT) {
		rc = fsy_store_meta_text(c->st, "agent_id", c->agent_id,
		    sizeof(c->agent_id));
		if (rc == FSY_ENOTFOUND)
			c->agent_id[0] = '\0';
		else if (rc != FSY_OK) {
			rc = fsy__cmd_store_fail(c, rc, "cannot read the agent id");
			goto out;
		}
	}
	if ((rc = check_where(c, d)) != FSY_OK)
		goto out;
	if ((rc = fsy__cmd_check_args(c, d->args, (d->flags & FSY__F_HOCOLS)
	    ? FSY_T_CUSTOMER : -1)) != FSY_OK)
		goto out;
	if (c->ctx->role == FSY_ROLE_AGENT && c->ctx->lead &&
	    (d->flags & FSY__F_FORWARD)) {
		if ((rc = forward(c)) == FSY_OK)
			rc = reply_code(c, c->raw_reply);
		goto out;
	}
	if ((d->flags & FSY__F_WRITE) && !(d->flags & FSY__F_OWNTXN)) {
		if ((rc = fsy_store_begin(c->st)) != FSY_OK) {
			rc = fsy__cmd_store_fail(c, rc, "cannot start a transaction");
			goto out;
		}
		rc = d->fn(c);
		if (rc == FSY_OK && (rc = fsy_store_commit(c->st)) != FSY_OK)
			rc = fsy__cmd_store_fail(c, rc, "cannot commit");
		if (rc != FSY_OK)
			fsy_store_rollback(c->st);
	} else {
		rc = d->fn(c);
	}
	if (rc == FSY_OK && c->data == NULL && c->raw_reply == NULL)
		rc = fsy__cmd_fail(c, FSY_EINTERNAL, "'%s' gave no result",
		    c->name);
out:
	/* The command's strings point into root: finish with them first. */
	if (rc != FSY_OK) {
		json_decref(c->data);
		c->data = NULL;
	}
	c->name = NULL;
	c->args = NULL;
	json_decref(root);
	return rc;
}

/* Writes the reply object for rc into *reply. */
static int
make_reply(fsy__cmd_t *c, int rc, char **reply)
{
	json_t *r = json_object();
	char *text = NULL;

	*reply = NULL;
	if (r == NULL)
		return FSY_ENOMEM;
	if (rc == FSY_OK) {
		if (json_object_set_new(r, "ok", json_true()) != 0 ||
		    json_object_set(r, "data", c->data) != 0)
			goto nomem;
	} else {
		if (c->msg[0] == '\0')
			snprintf(c->msg, sizeof(c->msg), "%s", fsy_strerror(rc));
		if (json_object_set_new(r, "ok", json_false()) != 0 ||
		    fsy__json_set(r, "code", json_integer(rc)) != 0 ||
		    fsy__json_set(r, "error", json_string(fsy_errname(rc))) ||
		    fsy__json_set(r, "message", fsy__json_str(c->msg)) != 0)
			goto nomem;
	}
	text = json_dumps(r, JSON_COMPACT);
	json_decref(r);
	if (text == NULL)
		return FSY_ENOMEM;
	*reply = text;
	return FSY_OK;
nomem:
	json_decref(r);
	return FSY_ENOMEM;
}

int
fsy_cmd_run(fsy_cmd_ctx_t *ctx, const char *req, size_t len, char **reply)
{
	const fsy__cmd_def_t *d = NULL;
	fsy__cmd_t *c = calloc(1, sizeof(*c));
	int rc;

	*reply = NULL;
	if (c == NULL)
		return FSY_ENOMEM;
	c->ctx = ctx;
	c->st = ctx->st;
	c->req = req != NULL ? req : "";
	c->len = req != NULL ? len : 0;
	c->now_ms = ctx->now_ms ? ctx->now_ms : fsy_now_ms();
	fsy_iso_time(c->now_ms, c->now);
	fsy__cmd_local_day(c->now_ms, c->today);

	rc = run(c, &d);
	if (c->raw_reply != NULL) {
		*reply = c->raw_reply;
		c->raw_reply = NULL;
	} else {
		if (make_reply(c, rc, reply) != FSY_OK)
			rc = FSY_ENOMEM;
		else if (strlen(*reply) > FSY_MAX_CTL) {
			free(*reply);
			json_decref(c->data);
			c->data = NULL;
			c->msg[0] = '\0';
			rc = fsy__cmd_fail(c, FSY_ETOOBIG, "the reply is too large "
			    "to send: narrow the query (e.g. --limit)");
			if (make_reply(c, rc, reply) != FSY_OK)
				rc = FSY_ENOMEM;
		}
	}
	/* A laptop's write goes to head office as soon as it can. */
	if (rc == FSY_OK && d != NULL && (d->flags & FSY__F_WRITE) &&
	    ctx->role == FSY_ROLE_AGENT && ctx->sync_now != NULL)
		ctx->sync_now(ctx->arg);
	json_decref(c->data);
	free(c->raw_reply);
	free(c);
	return rc;
}
