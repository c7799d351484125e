/*
 * cmd_lead.c — what team leads review: the team's visit activity (from the
 * lead's read-only replica) and the conflicts head office recorded (on the
 * hub; a lead's laptop forwards these two commands there, and the hub
 * limits them to the lead's team, ctx->team_id).
 *
 * Resolving a conflict picks the value to keep and writes it through a
 * plain UPDATE on the hub, so that change capture gives it a new version
 * and every laptop holding the customer pulls it; the conflict row records
 * who resolved it, when and why.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd_int.h"
#include "tables.h"
#include "util.h"

/* Days team.activity looks back by default. */
#define ACTIVITY_DAYS 7

/* A visit recorded later than this after it happened is late (24 h). */
#define RECORD_LATE_S 86400

/* ---- team.activity (a lead's laptop) --------------------------------------- */

static int
cmd_team_activity(fsy__cmd_t *c)
{
	const char *since = fsy__arg_s(c, "since");
	const char *who = fsy__arg_s(c, "agent");
	int64_t limit = fsy__arg_i(c, "limit", FSY_CMD_LIMIT_DEFAULT);
	int64_t from_ms;
	char from[21], day[11], agent[37] = "";
	json_t *visits = NULL, *agents = NULL;
	int rc;

	if (since != NULL) {
		snprintf(day, sizeof(day), "%s", since);
	} else {
		fsy__cmd_local_day(c->now_ms - ACTIVITY_DAYS * 86400000LL, day);
	}
	if (fsy_parse_time(day, &from_ms) != FSY_OK)
		return fsy__cmd_fail(c, FSY_EINVAL, "--since %s is not a date",
		    day);
	/* The local day starts FSY_CMD_TZ_MIN before UTC midnight. */
	fsy_iso_time(from_ms - (int64_t)FSY_CMD_TZ_MIN * 60000, from);
	if (who != NULL) {
		if (fsy_uuid_valid(who))
			snprintf(agent, sizeof(agent), "%s", who);
		else if ((rc = fsy__cmd_agent(c, who, "--agent", agent, NULL,
		    NULL, 0)) != FSY_OK)
			return rc;
	}
	visits = fsy__cmd_rows(c, &rc, "SELECT v.id, v.customer_id, c.card_no, "
	    "c.name, v.agent_id, a.code AS agent_code, a.name AS agent_name, "
	    "v.happened_at, v.recorded_at, v.received_at, v.late, v.place, "
	    "v.channel, v.topic, v.customer_said, v.next_step, "
	    "CAST(round((julianday(v.recorded_at) - julianday(v.happened_at)) * "
	    "86400) AS INTEGER) AS record_delay_s, "
	    "round((julianday(v.recorded_at) - julianday(v.happened_at)) * "
	    "86400) > ?4 AS late_record "
	    "FROM visit v JOIN customer c ON c.id = v.customer_id "
	    "LEFT JOIN agent a ON a.id = v.agent_id "
	    "WHERE v.happened_at >= ?1 AND (?2 IS NULL OR v.agent_id = ?2) "
	    "ORDER BY v.happened_at DESC, v.id DESC LIMIT ?3", "ttii", from,
	    agent[0] ? agent : NULL, limit, (int64_t)RECORD_LATE_S);
	if (visits == NULL)
		goto out;
	agents = fsy__cmd_rows(c, &rc, "SELECT v.agent_id, a.code AS "
	    "agent_code, a.name AS agent_name, count(*) AS visits, "
	    "count(DISTINCT v.customer_id) AS customers, "
	    "sum(round((julianday(v.recorded_at) - julianday(v.happened_at)) * "
	    "86400) > ?3) AS late_records, sum(v.late) AS late_flagged, "
	    "max(v.happened_at) AS last_visit_at "
	    "FROM visit v JOIN customer c ON c.id = v.customer_id "
	    "LEFT JOIN agent a ON a.id = v.agent_id "
	    "WHERE v.happened_at >= ?1 AND (?2 IS NULL OR v.agent_id = ?2) "
	    "GROUP BY v.agent_id ORDER BY visits DESC, v.agent_id", "tti", from,
	    agent[0] ? agent : NULL, (int64_t)RECORD_LATE_S);
	if (agents == NULL)
		goto out;
	c->data = json_pack("{s:s,s:s,s:O,s:O}", "since", day, "since_at",
	    from, "agents", agents, "visits", visits);
	rc = c->data != NULL ? FSY_OK
	    : fsy__cmd_fail(c, FSY_ENOMEM, "out of memory");
out:
	json_decref(visits);
	json_decref(agents);
	return rc;
}

static const fsy__arg_t args_team_activity[] = {
	{"since", FSY__A_DATE, 0, NULL, 0, 0, 0, NULL},
	{"agent", FSY__A_AGENT, 0, NULL, 0, 0, 0, NULL},
	{"limit", FSY__A_INT, 0, NULL, 0, 1, FSY_CMD_LIMIT_MAX, NULL},
	{NULL, 0, 0, NULL, 0, 0, 0, NULL},
};

/* ---- conflicts (the hub) --------------------------------------------------- */

/* Customers of the lead's team (?N is the team id, NULL: every customer). */
#define TEAM_SCOPE(p) \
	"(" p " IS NULL OR k.customer_id IN (SELECT tc.id FROM customer tc " \
	"JOIN agent ta ON ta.id = tc.owner_agent_id WHERE ta.team_id = " p "))"

static int
cmd_conflicts(fsy__cmd_t *c)
{
	const char *status = fsy__arg_s(c, "status");
	const char *ref = fsy__arg_s(c, "customer");
	int64_t limit = fsy__arg_i(c, "limit", FSY_CMD_LIMIT_DEFAULT);
	char cid[37] = "";
	json_t *rows;
	int64_t total;
	int rc;

	if (ref != NULL && (rc = fsy__cmd_customer(c, ref, "--customer",
	    cid)) != FSY_OK)
		return rc;
	if (status == NULL)
		status = "open";
	rows = fsy__cmd_rows(c, &rc, "SELECT k.id, k.customer_id, c.card_no, "
	    "c.name, k.tbl, k.row_id, k.col, "
	    "k.winner_val, k.winner_hlc, k.winner_site, "
	    "CASE WHEN k.winner_site = ?5 THEN 'head office' ELSE wa.code END "
	    "AS winner_agent, "
	    "k.loser_val, k.loser_hlc, k.loser_site, "
	    "CASE WHEN k.loser_site = ?5 THEN 'head office' ELSE la.code END "
	    "AS loser_agent, "
	    "k.detected_at, k.status, k.resolved_by, k.resolved_at, "
	    "k.resolution FROM conflict k "
	    "LEFT JOIN customer c ON c.id = k.customer_id "
	    "LEFT JOIN device wd ON wd.id = k.winner_site "
	    "LEFT JOIN agent wa ON wa.id = wd.agent_id "
	    "LEFT JOIN device ld ON ld.id = k.loser_site "
	    "LEFT JOIN agent la ON la.id = ld.agent_id "
	    "WHERE (?1 = 'all' OR k.status = ?1) AND " TEAM_SCOPE("?2")
	    " AND (?3 IS NULL OR k.customer_id = ?3) "
	    "ORDER BY k.detected_at DESC, k.id LIMIT ?4", "tttit", status,
	    c->ctx->team_id, cid[0] ? cid : NULL, limit, fsy_store_site(c->st));
	if (rows == NULL)
		return rc;
	rc = fsy__cmd_int(c, &total, 0, "SELECT count(*) FROM conflict k WHERE "
	    "(?1 = 'all' OR k.status = ?1) AND " TEAM_SCOPE("?2")
	    " AND (?3 IS NULL OR k.customer_id = ?3)", "ttt", status,
	    c->ctx->team_id, cid[0] ? cid : NULL);
	if (rc != FSY_OK) {
		json_decref(rows);
		return rc;
	}
	c->data = json_pack("{s:s,s:o,s:I,s:I}", "status", status,
	    "conflicts", rows, "count", (json_int_t)json_array_size(rows),
	    "total", (json_int_t)total);
	return c->data != NULL ? FSY_OK
	    : fsy__cmd_fail(c, FSY_ENOMEM, "out of memory");
}

static const fsy__arg_t args_conflicts[] = {
	{"status", FSY__A_ENUM, 0, NULL, 0, 0, 0, fsy__enum_conflict_status},
	{"customer", FSY__A_CUSTOMER, 0, NULL, 0, 0, 0, NULL},
	{"limit", FSY__A_INT, 0, NULL, 0, 1, FSY_CMD_LIMIT_MAX, NULL},
	{NULL, 0, 0, NULL, 0, 0, 0, NULL},
};

/* Who resolved: the lead (an agent of the team named by "by"), else the
 * team; head office's operator as given, else "head office". */
static int
resolver(fsy__cmd_t *c, char *out, size_t n)
{
	const char *by = fsy__arg_s(c, "by");
	json_t *row;
	int rc;

	if (c->ctx->team_id == NULL) {
		snprintf(out, n, "%s", by != NULL ? by : "head office");
		return FSY_OK;
	}
	row = fsy__cmd_row(c, &rc, "SELECT (SELECT code FROM agent WHERE "
	    "(id = ?1 OR code = ?1) AND team_id = ?2) AS lead, (SELECT code "
	    "FROM team WHERE id = ?2) AS team", "tt", by, c->ctx->team_id);
	if (row == NULL)
		return rc;
	if (json_is_string(json_object_get(row, "lead")))
		snprintf(out, n, "lead %s",
		    json_string_value(json_object_get(row, "lead")));
	else
		snprintf(out, n, "lead of team %s",
		    json_is_string(json_object_get(row, "team"))
		    ? json_string_value(json_object_get(row, "team"))
		    : c->ctx->team_id);
	json_decref(row);
	return FSY_OK;
}

static int
cmd_conflict_resolve(fsy__cmd_t *c)
{
	const char *id = fsy__arg_s(c, "conflict");
	const char *keep = fsy__arg_s(c, "keep");
	const char *note = fsy__arg_s(c, "note");
	json_t *k = NULL, *cur = NULL, *after = NULL;
	char sql[256], by[128], resolution[640];
	const char *tname, *cname, *row_id;
	int t, col, rc, changes = 0;

	k = fsy__cmd_row(c, &rc, "SELECT k.*, c.card_no FROM conflict k "
	    "LEFT JOIN customer c ON c.id = k.customer_id WHERE k.id = ?1 AND "
	    TEAM_SCOPE("?2"), "tt", id, c->ctx->team_id);
	if (k == NULL)
		return rc;
	if (!json_is_object(k)) {
		rc = fsy__cmd_fail(c, FSY_ENOTFOUND, "no conflict %s%s", id,
		    c->ctx->team_id ? " among your team's customers" : "");
		goto out;
	}
	if (strcmp(json_string_value(json_object_get(k, "status")),
	    "resolved") == 0) {
		rc = fsy__cmd_fail(c, FSY_ESTATE, "conflict %s was resolved "
		    "already, by %s at %s", id,
		    json_string_value(json_object_get(k, "resolved_by")),
		    json_string_value(json_object_get(k, "resolved_at")));
		goto out;
	}
	tname = json_string_value(json_object_get(k, "tbl"));
	cname = json_string_value(json_object_get(k, "col"));
	row_id = json_string_value(json_object_get(k, "row_id"));
	t = tname ? fsy_table_find(tname) : -1;
	col = cname ? fsy_col_find(t, cname) : -1;
	if (t < 0 || col < 0 || row_id == NULL) {
		rc = fsy__cmd_fail(c, FSY_ECORRUPT, "conflict %s names no "
		    "replicated column (%s.%s)", id, tname ? tname : "?",
		    cname ? cname : "?");
		goto out;
	}
	/* Table and column names come from tables.c, never from input. */
	snprintf(sql, sizeof(sql), "SELECT %s AS value FROM %s WHERE id = ?",
	    fsy_tables[t].cols[col].name, fsy_tables[t].name);
	if ((cur = fsy__cmd_row(c, &rc, sql, "t", row_id)) == NULL)
		goto out;
	if (!json_is_object(cur)) {
		rc = fsy__cmd_fail(c, FSY_ENOTFOUND, "the %s row %s of conflict "
		    "%s is gone", fsy_tables[t].name, row_id, id);
		goto out;
	}
	snprintf(sql, sizeof(sql), "UPDATE %s SET %s = (SELECT %s FROM conflict "
	    "WHERE id = ?1) WHERE id = ?2", fsy_tables[t].name,
	    fsy_tables[t].cols[col].name, strcmp(keep, "winner") == 0
	    ? "winner_val" : "loser_val");
	if ((rc = fsy__cmd_exec(c, &changes, sql, "tt", id, row_id)) != FSY_OK)
		goto out;
	if ((rc = resolver(c, by, sizeof(by))) != FSY_OK)
		goto out;
	snprintf(resolution, sizeof(resolution), "kept the %s value%s%s", keep,
	    note ? ": " : "", note ? note : "");
	if ((rc = fsy__cmd_exec(c, NULL, "UPDATE conflict SET status = "
	    "'resolved', resolved_by = ?2, resolved_at = ?3, resolution = ?4 "
	    "WHERE id = ?1", "tttt", id, by, c->now, resolution)) != FSY_OK)
		goto out;
	if ((rc = fsy__cmd_exec(c, NULL, "INSERT INTO audit(at, actor, action, "
	    "detail) VALUES (?, ?, 'conflict.resolve', ?)", "ttt", c->now, by,
	    resolution)) != FSY_OK)
		goto out;
	snprintf(sql, sizeof(sql), "SELECT %s AS value FROM %s WHERE id = ?",
	    fsy_tables[t].cols[col].name, fsy_tables[t].name);
	if ((after = fsy__cmd_row(c, &rc, sql, "t", row_id)) == NULL)
		goto out;
	c->data = json_pack("{s:s,s:O,s:O,s:s,s:s,s:s,s:s,s:O,s:O,s:s,s:s,"
	    "s:s}", "id", id, "customer_id", json_object_get(k, "customer_id"),
	    "card_no", json_object_get(k, "card_no"), "table",
	    fsy_tables[t].name, "row_id", row_id, "column",
	    fsy_tables[t].cols[col].name, "kept", keep, "value",
	    json_object_get(after, "value"), "previous",
	    json_object_get(cur, "value"), "resolved_by", by, "resolved_at",
	    c->now, "resolution", resolution);
	rc = c->data != NULL ? FSY_OK
	    : fsy__cmd_fail(c, FSY_ENOMEM, "out of memory");
out:
	json_decref(k);
	json_decref(cur);
	json_decref(after);
	return rc;
}

static const fsy__arg_t args_conflict_resolve[] = {
	{"conflict", FSY__A_UUID, FSY__REQ, "CONFLICT", 0, 0, 0, NULL},
	{"keep", FSY__A_ENUM, FSY__REQ, NULL, 0, 0, 0, fsy__enum_keep},
	{"note", FSY__A_TEXT, 0, NULL, 500, 0, 0, NULL},
	{"by", FSY__A_TEXT, 0, NULL, 64, 0, 0, NULL},
	{NULL, 0, 0, NULL, 0, 0, 0, NULL},
};

const fsy__cmd_def_t fsy__cmds_lead[] = {
	{"team.activity", cmd_team_activity, FSY__W_LEAD, 0,
	    args_team_activity},
	{"conflicts", cmd_conflicts, FSY__W_LEAD | FSY__W_HUB,
	    FSY__F_FORWARD | FSY__F_TEAM, args_conflicts},
	{"conflict.resolve", cmd_conflict_resolve, FSY__W_LEAD | FSY__W_HUB,
	    FSY__F_WRITE | FSY__F_FORWARD | FSY__F_TEAM, args_conflict_resolve},
	{NULL, NULL, 0, 0, NULL},
};
