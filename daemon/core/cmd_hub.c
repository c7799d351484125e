/*
 * cmd_hub.c — head office's commands on the hub: import, the roster
 * (hire, departure, disqualification), ownership (assign, recompute),
 * card numbers, devices (issue, revoke, list, fleet), coverage, tiers and
 * the summary the demo prints.
 *
 * The domain rules live in their modules (import.h, owner.h, cardno.h,
 * tiers.h, oblig.h, sync.h); these handlers check arguments, call them in
 * the command's transaction and report what they did. Every write goes
 * through change capture, so what changes for a customer replicates to the
 * laptops by itself.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "cardno.h"
#include "cmd_int.h"
#include "import.h"
#include "oblig.h"
#include "owner.h"
#include "sync.h"
#include "tiers.h"
#include "util.h"

/* Most moved customers listed in a reply (the count is always whole). */
#define MOVED_MAX 1000

/* Most cards listed as needing a manual initial. */
#define NEEDS_INITIAL_MAX 1000

static json_t *
owner_stats_json(const fsy_owner_stats_t *s)
{
	json_t *by = json_object();
	char k[2] = "0";

	for (int r = 1; by != NULL && r <= 6; r++) {
		k[0] = (char)('0' + r);
		if (fsy__json_set(by, k, json_integer(s->by_rule[r])) != 0) {
			json_decref(by);
			return NULL;
		}
	}
	if (by == NULL)
		return NULL;
	return json_pack("{s:I,s:I,s:I,s:I,s:o}", "examined",
	    (json_int_t)s->examined, "changed", (json_int_t)s->changed,
	    "orphans", (json_int_t)s->orphans, "contact_lookups",
	    (json_int_t)s->contact_lookups, "by_rule", by);
}

/* The last ownership_history id, to list what a command adds after it. */
static int
history_mark(fsy__cmd_t *c, int64_t *mark)
{
	return fsy__cmd_int(c, mark, 0, "SELECT max(id) FROM ownership_history",
	    NULL);
}

/* The ownership changes written after mark. */
static json_t *
moved_since(fsy__cmd_t *c, int *rc, int64_t mark)
{
	return fsy__cmd_rows(c, rc, "SELECT h.customer_id, c.card_no, c.name, "
	    "fa.code AS from_agent, ta.code AS to_agent, h.rule, h.reason, h.at "
	    "FROM ownership_history h LEFT JOIN customer c ON c.id = "
	    "h.customer_id LEFT JOIN agent fa ON fa.id = h.from_agent_id "
	    "LEFT JOIN agent ta ON ta.id = h.to_agent_id WHERE h.id > ?1 "
	    "ORDER BY h.id LIMIT ?2", "ii", mark, (int64_t)MOVED_MAX);
}

/* Data {"agent": {...}, "stats": {...}, "moved": [...]}. */
static int
owner_reply(fsy__cmd_t *c, json_t *agent, const fsy_owner_stats_t *st,
    int64_t mark)
{
	json_t *moved, *stats;
	int rc;

	if ((moved = moved_since(c, &rc, mark)) == NULL) {
		json_decref(agent);
		return rc;
	}
	if ((stats = owner_stats_json(st)) == NULL) {
		json_decref(agent);
		json_decref(moved);
		return fsy__cmd_fail(c, FSY_ENOMEM, "out of memory");
	}
	c->data = json_pack("{s:o,s:o,s:I,s:o}", "agent", agent ? agent
	    : json_null(), "stats", stats, "moved_count",
	    (json_int_t)st->changed, "moved", moved);
	return c->data != NULL ? FSY_OK
	    : fsy__cmd_fail(c, FSY_ENOMEM, "out of memory");
}

static json_t *
agent_row(fsy__cmd_t *c, int *rc, const char *id)
{
	return fsy__cmd_row(c, rc, "SELECT a.id, a.code, a.name, t.code AS team, "
	    "a.role, a.channel, a.status, a.hired_on, a.left_on, "
	    "a.status_reason, a.performance, (SELECT count(*) FROM customer "
	    "WHERE owner_agent_id = a.id AND deleted = 0) AS customers "
	    "FROM agent a LEFT JOIN team t ON t.id = a.team_id WHERE a.id = ?",
	    "t", id);
}

/* ---- card numbers --------------------------------------------------------- */

static int
load_surnames(fsy__cmd_t *c, fsy_surnames_t **out)
{
	char path[1024], err[256] = "";
	int rc;

	if (c->ctx->datadir != NULL)
		snprintf(path, sizeof(path), "%s/surnames.csv", c->ctx->datadir);
	rc = fsy_surnames_load(c->ctx->datadir ? path : NULL, out, err,
	    sizeof(err));
	if (rc != FSY_OK)
		return fsy__cmd_fail(c, rc, "cannot load the surname table: %s",
		    err[0] ? err : fsy_strerror(rc));
	return FSY_OK;
}

/*
 * Numbers every live card without a head-office number (none, or a
 * provisional one). Cards whose surname is not in the table are listed in
 * needs_initial and left as they are. *out: {"numbered": n, "cards": [the
 * first CARDS_LIST_MAX], "needs_initial_count": n, "needs_initial": [the
 * first NEEDS_INITIAL_MAX]}.
 */
/* How many numbered cards a reply lists (the count is always exact). */
#define CARDS_LIST_MAX 20

static int
number_all(fsy__cmd_t *c, const fsy_surnames_t *sn, json_t **out)
{
	json_t *todo, *cards = json_array(), *needs = json_array(), *o;
	json_int_t numbered = 0, unnumbered = 0;
	size_t i;
	int rc;

	*out = NULL;
	todo = fsy__cmd_rows(c, &rc, "SELECT id, name, card_no FROM customer "
	    "WHERE deleted = 0 AND (card_no IS NULL OR card_provisional = 1) "
	    "ORDER BY created_at, id", NULL);
	if (todo == NULL || cards == NULL || needs == NULL) {
		if (todo != NULL)
			rc = fsy__cmd_fail(c, FSY_ENOMEM, "out of memory");
		goto out;
	}
	json_array_foreach(todo, i, o) {
		const char *id = json_string_value(json_object_get(o, "id"));
		json_t *was = json_object_get(o, "card_no");
		char card[20], err[256] = "";

		rc = fsy_cardno_assign(c->st, sn, id, NULL, card, sizeof(card),
		    err, sizeof(err));
		if (rc == FSY_ESURNAME || rc == FSY_EINVAL) {
			unnumbered++;
			if (json_array_size(needs) < NEEDS_INITIAL_MAX &&
			    json_array_append_new(needs, json_pack("{s:s,s:O,"
			    "s:O,s:s}", "customer_id", id, "name",
			    json_object_get(o, "name"), "card_no", was,
			    "reason", err)) != 0) {
				rc = fsy__cmd_fail(c, FSY_ENOMEM, "out of memory");
				goto out;
			}
			continue;
		}
		if (rc != FSY_OK) {
			fsy__cmd_fail(c, rc, "cannot number the card of %s: %s",
			    id, err[0] ? err : fsy_strerror(rc));
			goto out;
		}
		/* The first few, as a sample; the count is exact. */
		if (numbered++ < CARDS_LIST_MAX &&
		    json_array_append_new(cards, json_pack("{s:s,s:O,s:O,s:s}",
		    "customer_id", id, "name", json_object_get(o, "name"),
		    "was", was, "card_no", card)) != 0) {
			rc = fsy__cmd_fail(c, FSY_ENOMEM, "out of memory");
			goto out;
		}
	}
	*out = json_pack("{s:I,s:O,s:I,s:O}", "numbered", numbered, "cards",
	    cards, "needs_initial_count", unnumbered, "needs_initial", needs);
	rc = *out != NULL ? FSY_OK
	    : fsy__cmd_fail(c, FSY_ENOMEM, "out of memory");
out:
	json_decref(todo);
	json_decref(cards);
	json_decref(needs);
	return rc;
}

static int
cmd_cards_number(fsy__cmd_t *c)
{
	const char *ref = fsy__arg_s(c, "customer");
	const char *initial = fsy__arg_s(c, "initial");
	fsy_surnames_t *sn = NULL;
	char id[37], card[20], err[256] = "";
	json_t *before = NULL;
	int rc;

	if (initial != NULL && ref == NULL)
		return fsy__cmd_fail(c, FSY_EINVAL, "--initial needs --customer: "
		    "an initial is given for one card at a time");
	if ((rc = load_surnames(c, &sn)) != FSY_OK)
		return rc;
	if (ref == NULL) {
		rc = number_all(c, sn, &c->data);
		goto out;
	}
	if ((rc = fsy__cmd_customer(c, ref, "--customer", id)) != FSY_OK)
		goto out;
	if ((before = fsy__cmd_row(c, &rc, "SELECT name, card_no FROM customer "
	    "WHERE id = ?", "t", id)) == NULL)
		goto out;
	rc = fsy_cardno_assign(c->st, sn, id, initial, card, sizeof(card), err,
	    sizeof(err));
	if (rc != FSY_OK) {
		fsy__cmd_fail(c, rc, "%s%s", err[0] ? err : fsy_strerror(rc),
		    rc == FSY_ESURNAME ? " (give it with --initial)" : "");
		goto out;
	}
	c->data = json_pack("{s:I,s:[{s:s,s:O,s:O,s:s}],s:I,s:[]}", "numbered",
	    (json_int_t)1, "cards", "customer_id", id, "name",
	    json_object_get(before, "name"), "was",
	    json_object_get(before, "card_no"), "card_no", card,
	    "needs_initial_count", (json_int_t)0, "needs_initial");
	rc = c->data != NULL ? FSY_OK
	    : fsy__cmd_fail(c, FSY_ENOMEM, "out of memory");
out:
	json_decref(before);
	fsy_surnames_free(sn);
	return rc;
}

static const fsy__arg_t args_cards_number[] = {
	{"customer", FSY__A_CUSTOMER, 0, NULL, 0, 0, 0, NULL},
	{"initial", FSY__A_ID, 0, NULL, 1, 0, 0, NULL},
	{NULL, 0, 0, NULL, 0, 0, 0, NULL},
};

/* ---- import --------------------------------------------------------------- */

static json_t *
tiers_stats_json(const fsy_tiers_stats_t *s)
{
	return json_pack("{s:I,s:I,s:I}", "customers", (json_int_t)s->customers,
	    "writes", (json_int_t)s->writes, "skipped_policies",
	    (json_int_t)s->skipped);
}

/*
 * After an import: owners by the rules, card numbers, tier columns — in
 * one transaction. *out gets {"owners", "cards", "tiers"}.
 */
static int
derive(fsy__cmd_t *c, json_t **out)
{
	fsy_owner_stats_t os;
	fsy_tiers_stats_t ts;
	fsy_surnames_t *sn = NULL;
	fsy_tiers_t *tiers = NULL;
	json_t *cards = NULL, *ojs = NULL;
	char err[256] = "";
	int rc;

	*out = NULL;
	if ((rc = load_surnames(c, &sn)) != FSY_OK ||
	    (rc = fsy__cmd_tiers(c, &tiers)) != FSY_OK)
		goto out;
	if ((rc = fsy_store_begin(c->st)) != FSY_OK) {
		fsy__cmd_store_fail(c, rc, "cannot start a transaction");
		goto out;
	}
	rc = fsy_owner_recompute(c->st, NULL, "import", &os, err, sizeof(err));
	if (rc != FSY_OK)
		fsy__cmd_fail(c, rc, "owners: %s", err);
	if (rc == FSY_OK)
		rc = number_all(c, sn, &cards);
	if (rc == FSY_OK) {
		rc = fsy_tiers_update(c->st, tiers, c->today, &ts, err,
		    sizeof(err));
		if (rc != FSY_OK)
			fsy__cmd_fail(c, rc, "tiers: %s", err);
	}
	if (rc == FSY_OK && (rc = fsy_store_commit(c->st)) != FSY_OK)
		fsy__cmd_store_fail(c, rc, "cannot commit");
	if (rc != FSY_OK) {
		fsy_store_rollback(c->st);
		goto out;
	}
	ojs = owner_stats_json(&os);
	*out = json_pack("{s:o,s:O,s:o}", "owners", ojs ? ojs : json_null(),
	    "cards", cards, "tiers", tiers_stats_json(&ts));
	if (ojs == NULL || *out == NULL)
		rc = fsy__cmd_fail(c, FSY_ENOMEM, "out of memory");
out:
	json_decref(cards);
	fsy_tiers_free(tiers);
	fsy_surnames_free(sn);
	return rc;
}

static int
cmd_import(fsy__cmd_t *c)
{
	const char *dir = fsy__arg_s(c, "dir");
	fsy_import_report_t rep;
	json_t *files = NULL, *post = NULL;
	char err[FSY_CMD_MSG_MAX] = "";
	int rc, f;

	memset(&rep, 0, sizeof(rep));
	rc = fsy_import_dir(c->st, dir, &rep, err, sizeof(err));
	if (rc != FSY_OK)
		return fsy__cmd_fail(c, rc, "import of %s failed, nothing was "
		    "changed: %s", dir, err[0] ? err : fsy_strerror(rc));
	if ((files = json_array()) == NULL)
		return fsy__cmd_fail(c, FSY_ENOMEM, "out of memory");
	for (f = 0; f < FSY_IMPORT_NFILES; f++) {
		const fsy_import_count_t *n = &rep.file[f];
		if (json_array_append_new(files, json_pack("{s:s,s:b,s:I,s:I,"
		    "s:I,s:I}", "file", fsy_import_file_name(f), "present",
		    n->present, "read", (json_int_t)n->read, "inserted",
		    (json_int_t)n->inserted, "updated", (json_int_t)n->updated,
		    "unchanged", (json_int_t)n->unchanged)) != 0) {
			json_decref(files);
			return fsy__cmd_fail(c, FSY_ENOMEM, "out of memory");
		}
	}
	if (fsy__arg_i(c, "derive", 1) && (rc = derive(c, &post)) != FSY_OK) {
		char msg[FSY_CMD_MSG_MAX];
		snprintf(msg, sizeof(msg), "%s", c->msg);
		c->msg[0] = '\0';
		json_decref(files);
		return fsy__cmd_fail(c, rc, "the files of %s were imported, but "
		    "updating owners, cards and tiers failed (run `fieldsync "
		    "owners recompute`, `fieldsync cards number` and `fieldsync "
		    "tiers update`): %s", dir, msg);
	}
	c->data = json_pack("{s:s,s:o,s:o}", "dir", dir, "files", files,
	    "derived", post ? post : json_null());
	return c->data != NULL ? FSY_OK
	    : fsy__cmd_fail(c, FSY_ENOMEM, "out of memory");
}

static const fsy__arg_t args_import[] = {
	{"dir", FSY__A_PATH, FSY__REQ, "DIR", 0, 0, 0, NULL},
	{"derive", FSY__A_BOOL, 0, NULL, 0, 0, 0, NULL},
	{NULL, 0, 0, NULL, 0, 0, 0, NULL},
};

/* ---- the roster ----------------------------------------------------------- */

static int
cmd_agent_hire(fsy__cmd_t *c)
{
	const char *code = fsy__arg_s(c, "code");
	const char *team = fsy__arg_s(c, "team");
	const char *role = fsy__arg_s(c, "role");
	const char *hired = fsy__arg_s(c, "hired_on");
	char id[FSY_UUID_STRLEN + 1], team_id[37] = "", detail[256];
	json_t *row;
	int64_t n;
	int rc;

	if ((rc = fsy__cmd_int(c, &n, 0, "SELECT count(*) FROM agent WHERE "
	    "code = ?", "t", code)) != FSY_OK)
		return rc;
	if (n > 0)
		return fsy__cmd_fail(c, FSY_EEXISTS, "agent %s exists already "
		    "(fieldsync agent depart / disqualify change an agent's "
		    "status)", code);
	if (team != NULL) {
		json_t *t = fsy__cmd_row(c, &rc, "SELECT id FROM team WHERE "
		    "code = ?1 OR id = ?1", "t", team);
		if (t == NULL)
			return rc;
		if (!json_is_object(t)) {
			json_decref(t);
			return fsy__cmd_fail(c, FSY_ENOTFOUND, "no team %s", team);
		}
		snprintf(team_id, sizeof(team_id), "%s",
		    json_string_value(json_object_get(t, "id")));
		json_decref(t);
	}
	/* The id import gives the same code, so a later roster import
	 * updates this row. */
	fsy_import_key_uuid("agent", code, strlen(code), id);
	if ((rc = fsy__cmd_int(c, &n, 0, "SELECT count(*) FROM agent WHERE "
	    "id = ?", "t", id)) != FSY_OK)
		return rc;
	if (n > 0)
		return fsy__cmd_fail(c, FSY_EEXISTS, "an agent with id %s exists "
		    "already under another code", id);
	rc = fsy__cmd_exec(c, NULL, "INSERT INTO agent(id, code, name, team_id, "
	    "role, channel, status, hired_on, performance) VALUES "
	    "(?,?,?,?,?,?,'employed',?,?)", "tttttttn", id, code,
	    fsy__arg_s(c, "name"), team_id[0] ? team_id : NULL,
	    role != NULL ? role : "agent",
	    fsy__arg_s(c, "channel") ? fsy__arg_s(c, "channel") : "agency",
	    hired != NULL ? hired : c->today,
	    fsy__arg_i(c, "performance", 0));
	if (rc != FSY_OK)
		return rc;
	if (role != NULL && strcmp(role, "lead") == 0 && team_id[0] &&
	    (rc = fsy__cmd_exec(c, NULL, "UPDATE team SET lead_agent_id = ?1 "
	    "WHERE id = ?2 AND lead_agent_id IS NULL", "tt", id, team_id)) !=
	    FSY_OK)
		return rc;
	snprintf(detail, sizeof(detail), "hired %s (%s)", code, id);
	if ((rc = fsy__cmd_exec(c, NULL, "INSERT INTO audit(at, actor, action, "
	    "detail) VALUES (?, 'head office', 'agent.hire', ?)", "tt", c->now,
	    detail)) != FSY_OK)
		return rc;
	if ((row = agent_row(c, &rc, id)) == NULL)
		return rc;
	c->data = row;
	return FSY_OK;
}

static const fsy__arg_t args_agent_hire[] = {
	{"code", FSY__A_ID, FSY__REQ, "CODE", 40, 0, 0, NULL},
	{"name", FSY__A_TEXT, FSY__REQ, NULL, 100, 0, 0, NULL},
	{"team", FSY__A_ID, 0, NULL, 40, 0, 0, NULL},
	{"role", FSY__A_ENUM, 0, NULL, 0, 0, 0, fsy__enum_agent_role},
	{"channel", FSY__A_ENUM, 0, NULL, 0, 0, 0, fsy__enum_agent_channel},
	{"hired_on", FSY__A_DATE, 0, "--date", 0, 0, 0, NULL},
	{"performance", FSY__A_INT, 0, NULL, 0, 0, 1000000000, NULL},
	{NULL, 0, 0, NULL, 0, 0, 0, NULL},
};

static int
cmd_agent_depart(fsy__cmd_t *c)
{
	fsy_owner_stats_t st;
	char id[37], err[256] = "";
	int64_t mark;
	json_t *row;
	int rc;

	if ((rc = fsy__cmd_agent(c, fsy__arg_s(c, "agent"), "AGENT", id, NULL,
	    NULL, 0)) != FSY_OK || (rc = history_mark(c, &mark)) != FSY_OK)
		return rc;
	memset(&st, 0, sizeof(st));
	rc = fsy_owner_agent_depart(c->st, id, fsy__arg_s(c, "date"),
	    fsy__arg_s(c, "by"), &st, err, sizeof(err));
	if (rc != FSY_OK)
		return fsy__cmd_fail(c, rc, "%s", err[0] ? err : fsy_strerror(rc));
	if ((row = agent_row(c, &rc, id)) == NULL)
		return rc;
	return owner_reply(c, row, &st, mark);
}

static const fsy__arg_t args_agent_depart[] = {
	{"agent", FSY__A_AGENT, FSY__REQ, "AGENT", 0, 0, 0, NULL},
	{"date", FSY__A_DATE, 0, NULL, 0, 0, 0, NULL},
	{"by", FSY__A_TEXT, 0, NULL, 64, 0, 0, NULL},
	{NULL, 0, 0, NULL, 0, 0, 0, NULL},
};

static int
cmd_agent_disqualify(fsy__cmd_t *c)
{
	fsy_owner_stats_t st;
	char id[37], err[256] = "";
	int64_t mark;
	json_t *row;
	int rc;

	if ((rc = fsy__cmd_agent(c, fsy__arg_s(c, "agent"), "AGENT", id, NULL,
	    NULL, 0)) != FSY_OK || (rc = history_mark(c, &mark)) != FSY_OK)
		return rc;
	memset(&st, 0, sizeof(st));
	rc = fsy_owner_agent_disqualify(c->st, id, fsy__arg_s(c, "reason"),
	    fsy__arg_s(c, "by"), &st, err, sizeof(err));
	if (rc != FSY_OK)
		return fsy__cmd_fail(c, rc, "%s", err[0] ? err : fsy_strerror(rc));
	if ((row = agent_row(c, &rc, id)) == NULL)
		return rc;
	return owner_reply(c, row, &st, mark);
}

static const fsy__arg_t args_agent_disqualify[] = {
	{"agent", FSY__A_AGENT, FSY__REQ, "AGENT", 0, 0, 0, NULL},
	{"reason", FSY__A_TEXT, FSY__REQ, NULL, 500, 0, 0, NULL},
	{"by", FSY__A_TEXT, 0, NULL, 64, 0, 0, NULL},
	{NULL, 0, 0, NULL, 0, 0, 0, NULL},
};

/* ---- ownership ------------------------------------------------------------ */

static int
cmd_assign(fsy__cmd_t *c)
{
	char cid[37], aid[37], err[256] = "";
	json_t *before = NULL, *after = NULL;
	int rc;

	if ((rc = fsy__cmd_customer(c, fsy__arg_s(c, "customer"), "CUSTOMER",
	    cid)) != FSY_OK ||
	    (rc = fsy__cmd_agent(c, fsy__arg_s(c, "agent"), "AGENT", aid, NULL,
	    NULL, 0)) != FSY_OK)
		return rc;
	if ((before = fsy__cmd_row(c, &rc, "SELECT a.code FROM customer c "
	    "LEFT JOIN agent a ON a.id = c.owner_agent_id WHERE c.id = ?", "t",
	    cid)) == NULL)
		return rc;
	rc = fsy_owner_assign(c->st, cid, aid, fsy__arg_s(c, "reason"),
	    fsy__arg_s(c, "by"), err, sizeof(err));
	if (rc != FSY_OK) {
		fsy__cmd_fail(c, rc, "%s", err[0] ? err : fsy_strerror(rc));
		goto out;
	}
	if ((after = fsy__cmd_row(c, &rc, "SELECT c.id AS customer_id, "
	    "c.card_no, c.name, a.code AS owner, c.owner_since FROM customer c "
	    "LEFT JOIN agent a ON a.id = c.owner_agent_id WHERE c.id = ?", "t",
	    cid)) == NULL)
		goto out;
	if (fsy__json_set(after, "previous_owner",
	    json_deep_copy(json_object_get(before, "code"))) != 0 ||
	    fsy__json_set(after, "reason",
	    fsy__json_str(fsy__arg_s(c, "reason"))) != 0) {
		rc = fsy__cmd_fail(c, FSY_ENOMEM, "out of memory");
		goto out;
	}
	c->data = after;
	after = NULL;
out:
	json_decref(before);
	json_decref(after);
	return rc;
}

static const fsy__arg_t args_assign[] = {
	{"customer", FSY__A_CUSTOMER, FSY__REQ, "CUSTOMER", 0, 0, 0, NULL},
	{"agent", FSY__A_AGENT, FSY__REQ, "AGENT", 0, 0, 0, NULL},
	{"reason", FSY__A_TEXT, FSY__REQ, NULL, 500, 0, 0, NULL},
	{"by", FSY__A_TEXT, 0, NULL, 64, 0, 0, NULL},
	{NULL, 0, 0, NULL, 0, 0, 0, NULL},
};

static int
cmd_owners_recompute(fsy__cmd_t *c)
{
	const char *ref = fsy__arg_s(c, "customer");
	fsy_owner_stats_t st;
	char cid[37], err[256] = "";
	int64_t mark;
	int rc;

	if (ref != NULL && (rc = fsy__cmd_customer(c, ref, "--customer",
	    cid)) != FSY_OK)
		return rc;
	if ((rc = history_mark(c, &mark)) != FSY_OK)
		return rc;
	memset(&st, 0, sizeof(st));
	rc = fsy_owner_recompute(c->st, ref ? cid : NULL, fsy__arg_s(c, "by"),
	    &st, err, sizeof(err));
	if (rc != FSY_OK)
		return fsy__cmd_fail(c, rc, "%s", err[0] ? err : fsy_strerror(rc));
	return owner_reply(c, NULL, &st, mark);
}

static const fsy__arg_t args_owners_recompute[] = {
	{"customer", FSY__A_CUSTOMER, 0, NULL, 0, 0, 0, NULL},
	{"by", FSY__A_TEXT, 0, NULL, 64, 0, 0, NULL},
	{NULL, 0, 0, NULL, 0, 0, 0, NULL},
};

/* ---- devices -------------------------------------------------------------- */

static int
cmd_device_issue(fsy__cmd_t *c)
{
	const char *name = fsy__arg_s(c, "name");
	uint8_t pk[crypto_sign_PUBLICKEYBYTES], sk[crypto_sign_SECRETKEYBYTES];
	char aid[37], code[48], status[48], did[FSY_UUID_STRLEN + 1];
	char pkhex[2 * sizeof(pk) + 1], skhex[2 * sizeof(sk) + 1];
	json_t *row = NULL;
	int rc;

	if ((rc = fsy__cmd_agent(c, fsy__arg_s(c, "agent"), "--agent", aid,
	    code, status, sizeof(code))) != FSY_OK)
		return rc;
	if (strcmp(status, "employed") != 0)
		return fsy__cmd_fail(c, FSY_ESTATE, "agent %s is %s: devices are "
		    "issued to employed agents only", code, status);
	if (sodium_init() < 0)
		return fsy__cmd_fail(c, FSY_EINTERNAL, "libsodium failed to "
		    "initialise");
	fsy_uuid_v7(did);
	crypto_sign_keypair(pk, sk);
	rc = fsy_hub_device_add(c->st, did, aid, pk, name);
	if (rc != FSY_OK) {
		fsy__cmd_store_fail(c, rc, "cannot register the device");
		goto out;
	}
	if ((row = fsy__cmd_row(c, &rc, "SELECT id AS device_id, agent_id, name, "
	    "status, issued_at FROM device WHERE id = ?", "t", did)) == NULL)
		goto out;
	fsy_hex(pk, sizeof(pk), pkhex);
	fsy_hex(sk, sizeof(sk), skhex);
	if (fsy__json_set(row, "agent_code", json_string(code)) ||
	    fsy__json_set(row, "public_key", json_string(pkhex)) ||
	    fsy__json_set(row, "secret_key", json_string(skhex)) ||
	    fsy__json_set(row, "hub_id", json_string(fsy_store_site(c->st)))) {
		rc = fsy__cmd_fail(c, FSY_ENOMEM, "out of memory");
		goto out;
	}
	c->data = row;
	row = NULL;
out:
	sodium_memzero(sk, sizeof(sk));
	sodium_memzero(skhex, sizeof(skhex));
	json_decref(row);
	return rc;
}

static const fsy__arg_t args_device_issue[] = {
	{"agent", FSY__A_AGENT, FSY__REQ, NULL, 0, 0, 0, NULL},
	{"name", FSY__A_TEXT, 0, NULL, 100, 0, 0, NULL},
	{NULL, 0, 0, NULL, 0, 0, 0, NULL},
};

static int
cmd_device_revoke(fsy__cmd_t *c)
{
	const char *id = fsy__arg_s(c, "device");
	const char *reason = fsy__arg_s(c, "reason");
	json_t *row;
	int rc;

	row = fsy__cmd_row(c, &rc, "SELECT status FROM device WHERE id = ?", "t",
	    id);
	if (row == NULL)
		return rc;
	if (!json_is_object(row)) {
		json_decref(row);
		return fsy__cmd_fail(c, FSY_ENOTFOUND, "no device %s", id);
	}
	if (strcmp(json_string_value(json_object_get(row, "status")),
	    "revoked") == 0) {
		json_decref(row);
		return fsy__cmd_fail(c, FSY_ESTATE, "device %s is revoked "
		    "already", id);
	}
	json_decref(row);
	rc = fsy_hub_device_revoke(c->st, id, reason != NULL ? reason
	    : "revoked by head office");
	if (rc != FSY_OK)
		return fsy__cmd_store_fail(c, rc, "cannot revoke the device");
	if ((row = fsy__cmd_row(c, &rc, "SELECT d.id AS device_id, d.name, "
	    "d.status, d.revoked_at, d.revoke_reason, a.code AS agent_code "
	    "FROM device d LEFT JOIN agent a ON a.id = d.agent_id WHERE "
	    "d.id = ?", "t", id)) == NULL)
		return rc;
	c->data = row;
	return FSY_OK;
}

static const fsy__arg_t args_device_revoke[] = {
	{"device", FSY__A_UUID, FSY__REQ, "DEVICE", 0, 0, 0, NULL},
	{"reason", FSY__A_TEXT, 0, NULL, 500, 0, 0, NULL},
	{NULL, 0, 0, NULL, 0, 0, 0, NULL},
};

/* The agent filter of a list: id of --agent, or "" for all. */
static int
agent_filter(fsy__cmd_t *c, char id[37])
{
	const char *ref = fsy__arg_s(c, "agent");

	id[0] = '\0';
	if (ref == NULL)
		return FSY_OK;
	return fsy__cmd_agent(c, ref, "--agent", id, NULL, NULL, 0);
}

static int
cmd_devices(fsy__cmd_t *c)
{
	const char *status = fsy__arg_s(c, "status");
	char aid[37];
	json_t *rows;
	int rc;

	if ((rc = agent_filter(c, aid)) != FSY_OK)
		return rc;
	rows = fsy__cmd_rows(c, &rc, "SELECT d.id AS device_id, d.name, "
	    "d.status, a.code AS agent_code, a.name AS agent_name, d.issued_at, "
	    "d.revoked_at, d.revoke_reason FROM device d LEFT JOIN agent a ON "
	    "a.id = d.agent_id WHERE (?1 IS NULL OR d.agent_id = ?1) AND "
	    "(?2 IS NULL OR ?2 = 'all' OR d.status = ?2) "
	    "ORDER BY a.code, d.issued_at, d.id", "tt", aid[0] ? aid : NULL,
	    status);
	if (rows == NULL)
		return rc;
	c->data = json_pack("{s:I,s:o}", "count",
	    (json_int_t)json_array_size(rows), "devices", rows);
	return c->data != NULL ? FSY_OK
	    : fsy__cmd_fail(c, FSY_ENOMEM, "out of memory");
}

static const char *const enum_device_status[] = {"active", "revoked", "all",
    NULL};

static const fsy__arg_t args_devices[] = {
	{"agent", FSY__A_AGENT, 0, NULL, 0, 0, 0, NULL},
	{"status", FSY__A_ENUM, 0, NULL, 0, 0, 0, enum_device_status},
	{NULL, 0, 0, NULL, 0, 0, 0, NULL},
};

static int
cmd_fleet(fsy__cmd_t *c)
{
	char aid[37];
	json_t *rows;
	int rc;

	if ((rc = agent_filter(c, aid)) != FSY_OK)
		return rc;
	rows = fsy__cmd_rows(c, &rc, "SELECT d.id AS device_id, d.name, "
	    "d.status, a.code AS agent_code, a.name AS agent_name, "
	    "ds.last_hello_at, ds.last_push_at, ds.last_pull_at, "
	    /* what the device reported at its last hello, less what it has
	     * delivered since */
	    "max(0, ds.log_seq - ds.push_seq) AS pending, "
	    "CASE WHEN ds.log_seq > ds.push_seq THEN ds.oldest_pending_at END "
	    "AS oldest_pending_at, "
	    "CASE WHEN ds.log_seq > ds.push_seq THEN "
	    "CAST(round((julianday(?2) - julianday(ds.oldest_pending_at)) * "
	    "86400) AS INTEGER) END AS oldest_pending_age_s, "
	    "ifnull(ds.rejections, 0) AS rejections, "
	    "ifnull(ds.chain_ok, 1) AS chain_ok, ds.chain_error, "
	    "ifnull(ds.push_seq, 0) AS push_seq, "
	    "ifnull(ds.pull_cursor, 0) AS pull_cursor, "
	    "(SELECT count(*) FROM device_scope s WHERE s.device_id = d.id AND "
	    "s.state = 0) AS customers_held, "
	    "CAST(round((julianday(?2) - julianday(ds.last_hello_at)) * "
	    "86400) AS INTEGER) AS last_hello_age_s "
	    "FROM device d LEFT JOIN device_state ds ON ds.device_id = d.id "
	    "LEFT JOIN agent a ON a.id = d.agent_id "
	    "WHERE (?1 IS NULL OR d.agent_id = ?1) "
	    "ORDER BY d.status, a.code, d.issued_at, d.id", "tt",
	    aid[0] ? aid : NULL, c->now);
	if (rows == NULL)
		return rc;
	{
		size_t i;
		json_t *o;
		json_int_t pending = 0, broken = 0, rej = 0;
		json_array_foreach(rows, i, o) {
			pending += json_integer_value(json_object_get(o,
			    "pending"));
			rej += json_integer_value(json_object_get(o,
			    "rejections"));
			broken += json_integer_value(json_object_get(o,
			    "chain_ok")) == 0;
		}
		c->data = json_pack("{s:s,s:I,s:I,s:I,s:I,s:o}", "now", c->now,
		    "count", (json_int_t)json_array_size(rows), "pending",
		    pending, "rejections", rej, "chains_broken", broken,
		    "devices", rows);
	}
	return c->data != NULL ? FSY_OK
	    : fsy__cmd_fail(c, FSY_ENOMEM, "out of memory");
}

static const fsy__arg_t args_fleet[] = {
	{"agent", FSY__A_AGENT, 0, NULL, 0, 0, 0, NULL},
	{NULL, 0, 0, NULL, 0, 0, 0, NULL},
};

/* ---- coverage ------------------------------------------------------------- */

static int
cmd_coverage(fsy__cmd_t *c)
{
	const char *from = fsy__arg_s(c, "from");
	const char *to = fsy__arg_s(c, "to");
	const char *as_of = fsy__arg_s(c, "as_of");
	fsy_obl_coverage_t *cov = NULL;
	fsy_obl_when_t w;
	char f[11], t[11], err[256] = "";
	int64_t year;
	int rc;

	if (fsy__arg_set(c, "year") && (from != NULL || to != NULL))
		return fsy__cmd_fail(c, FSY_EINVAL,
		    "give --year or --from/--to, not both");
	w.asof = as_of != NULL ? as_of : c->today;
	w.tz_min = FSY_CMD_TZ_MIN;
	year = fsy__arg_i(c, "year", (int64_t)atoi(w.asof));
	snprintf(f, sizeof(f), "%04d-01-01", (int)year);
	snprintf(t, sizeof(t), "%04d-12-31", (int)year);
	if (from != NULL)
		snprintf(f, sizeof(f), "%s", from);
	if (to != NULL)
		snprintf(t, sizeof(t), "%s", to);
	if (strcmp(f, t) > 0)
		return fsy__cmd_fail(c, FSY_EINVAL, "--from %s is after --to %s",
		    f, t);
	rc = fsy_obl_coverage(c->st, f, t, &w, &cov, err, sizeof(err));
	if (rc != FSY_OK)
		return fsy__cmd_fail(c, rc, "coverage: %s", err);
	c->data = fsy_obl_coverage_json(cov);
	fsy_obl_coverage_free(cov);
	return c->data != NULL ? FSY_OK
	    : fsy__cmd_fail(c, FSY_ENOMEM, "out of memory");
}

static const fsy__arg_t args_coverage[] = {
	{"year", FSY__A_INT, 0, NULL, 0, 1970, 2999, NULL},
	{"from", FSY__A_DATE, 0, NULL, 0, 0, 0, NULL},
	{"to", FSY__A_DATE, 0, NULL, 0, 0, 0, NULL},
	{"as_of", FSY__A_DATE, 0, NULL, 0, 0, 0, NULL},
	{NULL, 0, 0, NULL, 0, 0, 0, NULL},
};

/* ---- tiers ---------------------------------------------------------------- */

/* The distribution of one scheme as JSON. */
static json_t *
dist_json(fsy__cmd_t *c, int *rc, const fsy_tier_scheme_t *s,
    const char *as_of, const char *owner)
{
	fsy_tier_dist_t d;
	json_t *levels, *o;
	int i;

	*rc = fsy_tier_distribution(c->st, s, as_of, owner, &d);
	if (*rc != FSY_OK) {
		fsy__cmd_fail(c, *rc, "tier distribution of %s: %s",
		    fsy_tier_scheme_id(s), fsy_strerror(*rc));
		return NULL;
	}
	if ((levels = json_array()) == NULL) {
		*rc = fsy__cmd_fail(c, FSY_ENOMEM, "out of memory");
		return NULL;
	}
	for (i = 0; i < fsy_tier_scheme_nlevels(s) && i < FSY_TIER_MAX_LEVELS;
	    i++) {
		if (json_array_append_new(levels, json_pack("{s:i,s:o,s:o,s:I,"
		    "s:I}", "level", i, "code",
		    fsy__json_str(fsy_tier_level_code(s, i)), "name",
		    fsy__json_str(fsy_tier_level_name(s, i)), "min_fen",
		    (json_int_t)fsy_tier_level_min(s, i), "customers",
		    (json_int_t)d.levels[i])) != 0) {
			json_decref(levels);
			*rc = fsy__cmd_fail(c, FSY_ENOMEM, "out of memory");
			return NULL;
		}
	}
	o = json_pack("{s:o,s:o,s:o,s:I,s:I,s:I,s:I,s:o}", "scheme",
	    fsy__json_str(fsy_tier_scheme_id(s)), "name",
	    fsy__json_str(fsy_tier_scheme_name(s)), "level_column",
	    fsy__json_str(fsy_tier_scheme_level_column(s)), "customers",
	    (json_int_t)d.customers, "none", (json_int_t)d.none, "honour",
	    (json_int_t)d.honour, "score_fen", (json_int_t)d.score_fen,
	    "levels", levels);
	if (o == NULL)
		*rc = fsy__cmd_fail(c, FSY_ENOMEM, "out of memory");
	return o;
}

/* Every scheme's distribution (only scheme when not NULL). */
static json_t *
dists_json(fsy__cmd_t *c, int *rc, const fsy_tiers_t *t, const char *scheme,
    const char *as_of, const char *owner)
{
	json_t *arr = json_array();

	*rc = FSY_OK;
	if (arr == NULL) {
		*rc = fsy__cmd_fail(c, FSY_ENOMEM, "out of memory");
		return NULL;
	}
	for (int i = 0; i < fsy_tiers_count(t); i++) {
		const fsy_tier_scheme_t *s = fsy_tiers_at(t, i);
		json_t *d;
		if (scheme != NULL && strcmp(scheme, fsy_tier_scheme_id(s)) != 0)
			continue;
		if ((d = dist_json(c, rc, s, as_of, owner)) == NULL ||
		    json_array_append_new(arr, d) != 0) {
			if (*rc == FSY_OK)
				*rc = fsy__cmd_fail(c, FSY_ENOMEM,
				    "out of memory");
			json_decref(arr);
			return NULL;
		}
	}
	return arr;
}

static int
cmd_tiers(fsy__cmd_t *c)
{
	const char *scheme = fsy__arg_s(c, "scheme");
	const char *ref = fsy__arg_s(c, "customer");
	const char *as_of = fsy__arg_s(c, "as_of");
	fsy_tiers_t *t = NULL;
	char aid[37], cid[37];
	json_t *v = NULL, *who = NULL;
	int rc;

	if ((rc = agent_filter(c, aid)) != FSY_OK)
		return rc;
	if (ref != NULL && (rc = fsy__cmd_customer(c, ref, "--customer",
	    cid)) != FSY_OK)
		return rc;
	if ((rc = fsy__cmd_tiers(c, &t)) != FSY_OK)
		return rc;
	if (scheme != NULL && fsy_tiers_find(t, scheme) == NULL) {
		rc = fsy__cmd_fail(c, FSY_ENOTFOUND, "no tier scheme '%s'",
		    scheme);
		goto out;
	}
	if (as_of == NULL)
		as_of = c->today;
	if (ref != NULL) {
		if ((v = fsy__cmd_tier_eval(c, &rc, t, cid, as_of)) == NULL)
			goto out;
		if ((who = fsy__cmd_row(c, &rc, "SELECT id AS customer_id, "
		    "card_no, name, star_level, star_score_fen, vip_tier, "
		    "vip_points_fen FROM customer WHERE id = ?", "t", cid)) ==
		    NULL)
			goto out;
		if (fsy__json_set(who, "asof", json_string(as_of)) ||
		    json_object_set(who, "tiers", v) != 0) {
			rc = fsy__cmd_fail(c, FSY_ENOMEM, "out of memory");
			goto out;
		}
		c->data = who;
		who = NULL;
		goto out;
	}
	if ((v = dists_json(c, &rc, t, scheme, as_of, aid[0] ? aid : NULL)) ==
	    NULL)
		goto out;
	c->data = json_pack("{s:s,s:O}", "asof", as_of, "schemes", v);
	if (c->data == NULL)
		rc = fsy__cmd_fail(c, FSY_ENOMEM, "out of memory");
out:
	json_decref(v);
	json_decref(who);
	fsy_tiers_free(t);
	return rc;
}

static const fsy__arg_t args_tiers[] = {
	{"customer", FSY__A_CUSTOMER, 0, NULL, 0, 0, 0, NULL},
	{"scheme", FSY__A_ID, 0, NULL, 40, 0, 0, NULL},
	{"agent", FSY__A_AGENT, 0, NULL, 0, 0, 0, NULL},
	{"as_of", FSY__A_DATE, 0, NULL, 0, 0, 0, NULL},
	{NULL, 0, 0, NULL, 0, 0, 0, NULL},
};

static int
cmd_tiers_update(fsy__cmd_t *c)
{
	const char *as_of = fsy__arg_s(c, "as_of");
	fsy_tiers_stats_t ts;
	fsy_tiers_t *t = NULL;
	char err[256] = "";
	int rc;

	if ((rc = fsy__cmd_tiers(c, &t)) != FSY_OK)
		return rc;
	memset(&ts, 0, sizeof(ts));
	rc = fsy_tiers_update(c->st, t, as_of ? as_of : c->today, &ts, err,
	    sizeof(err));
	fsy_tiers_free(t);
	if (rc != FSY_OK)
		return fsy__cmd_fail(c, rc, "tiers: %s", err[0] ? err
		    : fsy_strerror(rc));
	c->data = json_pack("{s:s,s:o}", "asof", as_of ? as_of : c->today,
	    "stats", tiers_stats_json(&ts));
	return c->data != NULL ? FSY_OK
	    : fsy__cmd_fail(c, FSY_ENOMEM, "out of memory");
}

static const fsy__arg_t args_tiers_update[] = {
	{"as_of", FSY__A_DATE, 0, NULL, 0, 0, 0, NULL},
	{NULL, 0, 0, NULL, 0, 0, 0, NULL},
};

/* ---- summary -------------------------------------------------------------- */

static int
cmd_summary(fsy__cmd_t *c)
{
	fsy_owner_summary_t s;
	fsy_tiers_t *t = NULL;
	json_t *by = NULL, *dist = NULL, *cards = NULL, *dev = NULL;
	char err[256] = "", k[2] = "0";
	int64_t conflicts;
	int rc;

	rc = fsy_owner_summary(c->st, &s, err, sizeof(err));
	if (rc != FSY_OK)
		return fsy__cmd_fail(c, rc, "ownership summary: %s", err);
	if ((by = json_object()) == NULL)
		return fsy__cmd_fail(c, FSY_ENOMEM, "out of memory");
	for (int r = 0; r <= 6; r++) {
		k[0] = (char)('0' + r);
		if (fsy__json_set(by, k, json_integer(s.by_rule[r])) != 0) {
			rc = fsy__cmd_fail(c, FSY_ENOMEM, "out of memory");
			goto out;
		}
	}
	if ((rc = fsy__cmd_tiers(c, &t)) != FSY_OK ||
	    (dist = dists_json(c, &rc, t, NULL, c->today, NULL)) == NULL)
		goto out;
	if ((cards = fsy__cmd_row(c, &rc, "SELECT "
	    "ifnull(sum(card_no IS NOT NULL AND card_provisional = 0), 0) AS "
	    "numbered, ifnull(sum(card_provisional = 1), 0) AS provisional, "
	    "ifnull(sum(card_no IS NULL), 0) AS unnumbered FROM customer "
	    "WHERE deleted = 0", NULL)) == NULL)
		goto out;
	if ((dev = fsy__cmd_row(c, &rc, "SELECT "
	    "ifnull(sum(status = 'active'), 0) AS active, "
	    "ifnull(sum(status = 'revoked'), 0) AS revoked FROM device",
	    NULL)) == NULL)
		goto out;
	if ((rc = fsy__cmd_int(c, &conflicts, 0, "SELECT count(*) FROM conflict "
	    "WHERE status = 'open'", NULL)) != FSY_OK)
		goto out;
	c->data = json_pack("{s:s,s:{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:O,s:I},"
	    "s:O,s:O,s:O,s:I}", "asof", c->today, "owners", "customers",
	    (json_int_t)s.customers, "owned", (json_int_t)s.owned, "orphans",
	    (json_int_t)s.orphans, "pure", (json_int_t)s.pure, "nonpure",
	    (json_int_t)s.nonpure, "regular", (json_int_t)s.regular,
	    "no_policy", (json_int_t)s.no_policy, "by_rule", by, "bans",
	    (json_int_t)s.bans, "tiers", dist, "cards", cards, "devices", dev,
	    "conflicts_open", (json_int_t)conflicts);
	rc = c->data != NULL ? FSY_OK
	    : fsy__cmd_fail(c, FSY_ENOMEM, "out of memory");
out:
	json_decref(by);
	json_decref(dist);
	json_decref(cards);
	json_decref(dev);
	fsy_tiers_free(t);
	return rc;
}

#define H FSY__W_HUB
#define W FSY__F_WRITE

/* Head office's content hash of an agent's scope: compare it with the
 * laptop's `hash` to prove they hold the same data. */
static int
cmd_scope_hash(fsy__cmd_t *c)
{
	char aid[37], code[64];
	uint8_t h[32];
	char hex[65];
	int rc;

	if ((rc = fsy__cmd_agent(c, fsy__arg_s(c, "agent"), "--agent", aid, code,
	    NULL, sizeof(code))) != FSY_OK)
		return rc;
	if ((rc = fsy_hub_scope_hash(c->st, aid, h)) != FSY_OK)
		return fsy__cmd_store_fail(c, rc, "cannot hash the agent's scope");
	fsy_hex(h, 32, hex);
	c->data = json_pack("{s:s,s:s,s:s}", "agent", code, "agent_id", aid,
	    "hash", hex);
	return c->data != NULL ? FSY_OK
	    : fsy__cmd_fail(c, FSY_ENOMEM, "out of memory");
}

static const fsy__arg_t args_scope_hash[] = {
	{"agent", FSY__A_AGENT, FSY__REQ, "--agent", 0, 0, 0, NULL},
	{NULL, 0, 0, NULL, 0, 0, 0, NULL},
};

const fsy__cmd_def_t fsy__cmds_hub[] = {
	{"import", cmd_import, H, W | FSY__F_OWNTXN, args_import},
	{"agent.hire", cmd_agent_hire, H, W, args_agent_hire},
	{"agent.depart", cmd_agent_depart, H, W, args_agent_depart},
	{"agent.disqualify", cmd_agent_disqualify, H, W, args_agent_disqualify},
	{"assign", cmd_assign, H, W, args_assign},
	{"owners.recompute", cmd_owners_recompute, H, W, args_owners_recompute},
	{"cards.number", cmd_cards_number, H, W, args_cards_number},
	{"device.issue", cmd_device_issue, H, W, args_device_issue},
	{"device.revoke", cmd_device_revoke, H, W, args_device_revoke},
	{"devices", cmd_devices, H, 0, args_devices},
	{"fleet", cmd_fleet, H, 0, args_fleet},
	{"coverage", cmd_coverage, H, 0, args_coverage},
	{"tiers", cmd_tiers, H, 0, args_tiers},
	{"tiers.update", cmd_tiers_update, H, W, args_tiers_update},
	{"summary", cmd_summary, H, 0, NULL},
	{"scope.hash", cmd_scope_hash, H, 0, args_scope_hash},
	{NULL, NULL, 0, 0, NULL},
};
