/*
 * cmd_agent.c — the commands of an agent's laptop: the customer list, the
 * whole card, recording visits, family, needs, referrals and other
 * insurers' policies, editing what the agent may edit, the agenda, and
 * the sync status.
 *
 * The replica holds only the agent's own customers (a lead's: the team's,
 * read-only), so reads need no owner filter. Every write goes through the
 * store's change capture and replicates by itself; visits are stamped with
 * the agent (meta agent_id, learnt at the first sync) and the device (the
 * store's site id). Head-office columns are never written here.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cardno.h"
#include "cmd_int.h"
#include "oblig.h"
#include "sync.h"
#include "tiers.h"
#include "util.h"

/* A visit may be dated this far ahead of the laptop's clock (clock drift
 * between a phone and the laptop). */
#define VISIT_FUTURE_MS (5LL * 60 * 1000)

/* A visit recorded later than this after it happened misses the 24-hour
 * rule (DOMAIN.md). */
#define VISIT_RECORD_MS (24LL * 3600 * 1000)

/* Most provisional numbers tried when one is taken already. */
#define CARD_TRIES 1000

/* The laptop must know its agent before it records anything. */
static int
need_agent(fsy__cmd_t *c)
{
	if (c->agent_id[0] == '\0')
		return fsy__cmd_fail(c, FSY_ESTATE, "this laptop has not synced "
		    "with head office yet, so it does not know its agent: run "
		    "`fieldsync sync` first");
	return FSY_OK;
}

/* Resolves the "customer" argument into id. */
static int
customer_arg(fsy__cmd_t *c, char id[37])
{
	const fsy__arg_t *a = NULL;

	for (int i = 0; c->spec[i].name != NULL; i++)
		if (strcmp(c->spec[i].name, "customer") == 0)
			a = &c->spec[i];
	return fsy__cmd_customer(c, fsy__arg_s(c, "customer"),
	    a && a->flag ? a->flag : "--customer", id);
}

static int
set_data(fsy__cmd_t *c, json_t *data)
{
	if (data == NULL)
		return fsy__cmd_fail(c, FSY_ENOMEM, "out of memory");
	c->data = data;
	return FSY_OK;
}

/* The obligation context of the command's day (or as_of). */
static void
when_of(fsy__cmd_t *c, fsy_obl_when_t *w, const char *as_of)
{
	w->asof = as_of != NULL ? as_of : c->today;
	w->tz_min = FSY_CMD_TZ_MIN;
}

/* One column to write in a dynamic UPDATE. */
typedef struct colval {
	const char *col; /* column name (from a fixed list, never input) */
	int is_int;      /* 1: bind i */
	const char *s;   /* text; NULL binds NULL */
	int64_t i;
} colval_t;

#define MAX_COLS 16

/* UPDATE table SET col = ? ... WHERE id = row_id, the columns of cv. */
static int
update_row(fsy__cmd_t *c, const char *table, const char *row_id,
    const colval_t *cv, int n)
{
	char sql[1024];
	size_t used;
	sqlite3_stmt *s = NULL;
	int rc, i;

	used = (size_t)snprintf(sql, sizeof(sql), "UPDATE %s SET ", table);
	for (i = 0; i < n && used < sizeof(sql); i++)
		used += (size_t)snprintf(sql + used, sizeof(sql) - used,
		    "%s%s = ?%d", i ? ", " : "", cv[i].col, i + 1);
	if (used < sizeof(sql))
		used += (size_t)snprintf(sql + used, sizeof(sql) - used,
		    " WHERE id = ?%d", n + 1);
	if (used >= sizeof(sql))
		return fsy__cmd_fail(c, FSY_EINTERNAL, "update too long");
	rc = sqlite3_prepare_v2(fsy_store_db(c->st), sql, -1, &s, NULL);
	if (rc != SQLITE_OK)
		return fsy__cmd_store_fail(c, fsy_store_err(c->st, rc),
		    "cannot prepare the update");
	for (i = 0; i < n; i++) {
		if (cv[i].is_int)
			sqlite3_bind_int64(s, i + 1, cv[i].i);
		else if (cv[i].s != NULL)
			sqlite3_bind_text(s, i + 1, cv[i].s, -1, SQLITE_STATIC);
		else
			sqlite3_bind_null(s, i + 1);
	}
	sqlite3_bind_text(s, n + 1, row_id, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE)
		return fsy__cmd_store_fail(c, fsy_store_err(c->st, rc),
		    "cannot update");
	return FSY_OK;
}

/* ---- customers ------------------------------------------------------------ */

/* Per customer: {"overdue": n, "due": n} from the agendas of every owner
 * whose customers this laptop holds. */
static int
due_counts(fsy__cmd_t *c, json_t *map)
{
	fsy_obl_when_t w;
	json_t *owners;
	size_t i, k;
	json_t *o;
	int rc;

	when_of(c, &w, NULL);
	owners = fsy__cmd_rows(c, &rc, "SELECT DISTINCT owner_agent_id AS a "
	    "FROM customer WHERE deleted = 0 AND owner_agent_id IS NOT NULL",
	    NULL);
	if (owners == NULL)
		return rc;
	json_array_foreach(owners, i, o) {
		fsy_obl_agenda_t *ag = NULL;
		char err[256] = "";
		const char *agent = json_string_value(json_object_get(o, "a"));

		rc = fsy_obl_agenda(c->st, agent, &w, &ag, err, sizeof(err));
		if (rc != FSY_OK) {
			fsy__cmd_fail(c, rc, "cannot compute the agenda: %s", err);
			break;
		}
		for (k = 0; k < ag->list.n && rc == FSY_OK; k++) {
			const fsy_obl_t *ob = &ag->list.items[k];
			json_t *cnt = json_object_get(map, ob->customer_id);
			const char *key = ob->status == FSY_OBL_OVERDUE
			    ? "overdue" : "due";
			if (cnt == NULL) {
				cnt = json_pack("{s:i,s:i}", "overdue", 0, "due", 0);
				if (cnt == NULL || json_object_set_new(map,
				    ob->customer_id, cnt) != 0)
					rc = fsy__cmd_fail(c, FSY_ENOMEM,
					    "out of memory");
			}
			if (rc == FSY_OK)
				json_object_set_new(cnt, key, json_integer(
				    json_integer_value(json_object_get(cnt,
				    key)) + 1));
		}
		fsy_obl_agenda_free(ag);
		if (rc != FSY_OK)
			break;
	}
	json_decref(owners);
	return rc;
}

static int
cmd_customers(fsy__cmd_t *c)
{
	const char *search = fsy__arg_s(c, "search");
	int64_t limit = fsy__arg_i(c, "limit", FSY_CMD_LIMIT_DEFAULT);
	int only_due = (int)fsy__arg_i(c, "due", 0);
	json_t *rows = NULL, *out = NULL, *map = NULL, *o;
	char *pattern = NULL;
	size_t i, total = 0;
	int rc;

	if (search != NULL) {
		size_t n = strlen(search), k = 0;
		if ((pattern = malloc(n * 2 + 3)) == NULL)
			return fsy__cmd_fail(c, FSY_ENOMEM, "out of memory");
		pattern[k++] = '%';
		for (i = 0; i < n; i++) {
			if (search[i] == '%' || search[i] == '_' ||
			    search[i] == '\\')
				pattern[k++] = '\\';
			pattern[k++] = search[i];
		}
		pattern[k++] = '%';
		pattern[k] = '\0';
	}
	rows = fsy__cmd_rows(c, &rc,
	    "SELECT id, card_no, card_provisional, name, gender, birth_date, "
	    "phone, rating, grp, need_tags, star_level, vip_tier, "
	    "owner_agent_id, recruit_interest FROM customer WHERE deleted = 0 "
	    "AND (?1 IS NULL OR rating = ?1) AND (?2 IS NULL OR grp = ?2) "
	    "AND ifnull(star_level, 0) >= ?3 "
	    "AND (?4 IS NULL OR (?4 = 'any' AND vip_tier IS NOT NULL) OR "
	    "vip_tier = ?4) "
	    "AND (?5 IS NULL OR name LIKE ?5 ESCAPE '\\' OR phone LIKE ?5 "
	    "ESCAPE '\\' OR card_no LIKE ?5 ESCAPE '\\') "
	    "ORDER BY ifnull(star_level, 0) DESC, card_no, name, id",
	    "ttitt", fsy__arg_s(c, "rating"), fsy__arg_s(c, "group"),
	    fsy__arg_i(c, "min_star", 0), fsy__arg_s(c, "vip"), pattern);
	if (rows == NULL)
		goto out;
	if ((map = json_object()) == NULL || (out = json_array()) == NULL) {
		rc = fsy__cmd_fail(c, FSY_ENOMEM, "out of memory");
		goto out;
	}
	if ((rc = due_counts(c, map)) != FSY_OK)
		goto out;
	json_array_foreach(rows, i, o) {
		json_t *cnt = json_object_get(map,
		    json_string_value(json_object_get(o, "id")));
		json_int_t od = json_integer_value(json_object_get(cnt,
		    "overdue"));
		json_int_t du = json_integer_value(json_object_get(cnt, "due"));
		if (only_due && od + du == 0)
			continue;
		total++;
		if ((int64_t)json_array_size(out) >= limit)
			continue;
		if (fsy__json_set(o, "overdue", json_integer(od)) ||
		    fsy__json_set(o, "due", json_integer(du)) ||
		    json_array_append(out, o) != 0) {
			rc = fsy__cmd_fail(c, FSY_ENOMEM, "out of memory");
			goto out;
		}
	}
	rc = set_data(c, json_pack("{s:s,s:O,s:I,s:I,s:b}", "asof", c->today,
	    "customers", out, "count", (json_int_t)json_array_size(out),
	    "total", (json_int_t)total, "truncated",
	    json_array_size(out) < total));
out:
	free(pattern);
	json_decref(rows);
	json_decref(map);
	json_decref(out);
	return rc;
}

static const fsy__arg_t args_customers[] = {
	{"rating", FSY__A_ENUM, 0, NULL, 0, 0, 0, fsy__enum_rating},
	{"group", FSY__A_ENUM, 0, NULL, 0, 0, 0, fsy__enum_group},
	{"min_star", FSY__A_INT, 0, NULL, 0, 0, 7, NULL},
	{"vip", FSY__A_ENUM, 0, NULL, 0, 0, 0, fsy__enum_vip},
	{"due", FSY__A_BOOL, 0, NULL, 0, 0, 0, NULL},
	{"search", FSY__A_TEXT, 0, NULL, 100, 0, 0, NULL},
	{"limit", FSY__A_INT, 0, NULL, 0, 1, FSY_CMD_LIMIT_MAX, NULL},
	{NULL, 0, 0, NULL, 0, 0, 0, NULL},
};

/* ---- card ----------------------------------------------------------------- */

/* SQL for an age in whole years on day ?2 of the column b. */
#define AGE_SQL(b) \
	"CASE WHEN " b " IS NULL OR strftime('%Y', " b ") IS NULL THEN NULL " \
	"ELSE CAST(strftime('%Y', ?2) AS INTEGER) - " \
	"CAST(strftime('%Y', " b ") AS INTEGER) - " \
	"(strftime('%m-%d', ?2) < strftime('%m-%d', " b ")) END"

static int
cmd_card(fsy__cmd_t *c)
{
	const char *as_of = fsy__arg_s(c, "as_of");
	const char *day = as_of != NULL ? as_of : c->today;
	json_t *card = NULL, *v;
	fsy_tiers_t *tiers = NULL;
	fsy_obl_list_t *ol = NULL;
	fsy_obl_when_t w;
	char id[37], err[256] = "";
	size_t k;
	int rc;

	if ((rc = customer_arg(c, id)) != FSY_OK)
		return rc;
	if ((card = json_object()) == NULL)
		return fsy__cmd_fail(c, FSY_ENOMEM, "out of memory");
#define PART(key, expr)                                                        \
	do {                                                                   \
		if ((v = (expr)) == NULL)                                      \
			goto out;                                              \
		if (fsy__json_set(card, key, v) != 0) {                        \
			rc = fsy__cmd_fail(c, FSY_ENOMEM, "out of memory");    \
			goto out;                                              \
		}                                                              \
	} while (0)
	/* owner and visit authors named from the roster the laptop got at
	 * its last sync (NULL for someone outside it) */
	PART("customer", fsy__cmd_row(c, &rc, "SELECT k.*, "
	    AGE_SQL("k.birth_date") " AS age, o.code AS owner_code, o.name AS "
	    "owner_name FROM customer k LEFT JOIN agent o ON o.id = "
	    "k.owner_agent_id WHERE k.id = ?1", "tt", id, day));
	PART("family", fsy__cmd_rows(c, &rc, "SELECT id, relation, name, "
	    "gender, birth_date, " AGE_SQL("birth_date") " AS age, occupation, "
	    "health_notes FROM person WHERE customer_id = ?1 AND deleted = 0 "
	    "ORDER BY CASE relation WHEN 'self' THEN 0 WHEN 'spouse' THEN 1 "
	    "WHEN 'child' THEN 2 WHEN 'parent' THEN 3 ELSE 4 END, birth_date, "
	    "id", "tt", id, day));
	PART("policies", fsy__cmd_rows(c, &rc, "SELECT id, policy_no, external, "
	    "insurer, product, product_type, is_main, insured_name, pay_mode, "
	    "modal_premium_fen, annual_premium_fen, payment_years, issue_date, "
	    "next_due_date, end_date, survival_date, status, status_date, "
	    "sum_assured_fen, account_value_fen, annuity_converted, "
	    "beneficiary, soliciting_agent_id FROM policy WHERE customer_id = ?1 "
	    "AND deleted = 0 ORDER BY external, issue_date, id", "t", id));
	PART("visits", fsy__cmd_rows(c, &rc, "SELECT v.id, v.happened_at, "
	    "v.recorded_at, v.received_at, v.late, v.agent_id, a.code AS "
	    "agent_code, a.name AS agent_name, v.device_id, v.place, v.channel, "
	    "v.topic, v.policy_id, v.customer_said, v.next_step FROM visit v "
	    "LEFT JOIN agent a ON a.id = v.agent_id WHERE v.customer_id = ?1 "
	    "ORDER BY v.happened_at DESC, v.recorded_at DESC, v.id DESC", "t",
	    id));
	PART("needs", fsy__cmd_rows(c, &rc, "SELECT id, kind, note, status, "
	    "created_at FROM need WHERE customer_id = ?1 AND deleted = 0 "
	    "ORDER BY created_at, id", "t", id));
	PART("referrals", fsy__cmd_rows(c, &rc, "SELECT r.id, r.name, r.phone, "
	    "r.relation, r.note, r.referred_customer_id, c.card_no AS "
	    "referred_card_no, r.created_at FROM referral r LEFT JOIN customer c "
	    "ON c.id = r.referred_customer_id WHERE r.customer_id = ?1 AND "
	    "r.deleted = 0 ORDER BY r.created_at, r.id", "t", id));
	if ((rc = fsy__cmd_tiers(c, &tiers)) != FSY_OK)
		goto out;
	PART("tiers", fsy__cmd_tier_eval(c, &rc, tiers, id, day));
	when_of(c, &w, as_of);
	rc = fsy_obl_customer(c->st, id, &w, &ol, err, sizeof(err));
	if (rc != FSY_OK) {
		fsy__cmd_fail(c, rc, "cannot compute the obligations: %s", err);
		goto out;
	}
	if ((v = json_array()) == NULL ||
	    fsy__json_set(card, "obligations", v) != 0) {
		rc = fsy__cmd_fail(c, FSY_ENOMEM, "out of memory");
		goto out;
	}
	for (k = 0; k < ol->n; k++) {
		if (ol->items[k].status != FSY_OBL_OPEN &&
		    ol->items[k].status != FSY_OBL_OVERDUE)
			continue;
		if (json_array_append_new(v, fsy_obl_json(&ol->items[k])) != 0) {
			rc = fsy__cmd_fail(c, FSY_ENOMEM, "out of memory");
			goto out;
		}
	}
	{
		static const char *const obl_keys[] = {"obligations", NULL};
		if ((rc = fsy__cmd_add_names(c, card, obl_keys)) != FSY_OK)
			goto out;
	}
	PART("asof", json_string(day));
#undef PART
	c->data = card;
	card = NULL;
	rc = FSY_OK;
out:
	if (rc == FSY_OK && card != NULL)
		rc = fsy__cmd_fail(c, FSY_ENOMEM, "out of memory");
	fsy_obl_list_free(ol);
	fsy_tiers_free(tiers);
	json_decref(card);
	return rc;
}

static const fsy__arg_t args_card[] = {
	{"customer", FSY__A_CUSTOMER, FSY__REQ, "CUSTOMER", 0, 0, 0, NULL},
	{"as_of", FSY__A_DATE, 0, NULL, 0, 0, 0, NULL},
	{NULL, 0, 0, NULL, 0, 0, 0, NULL},
};

/* ---- visit.add ------------------------------------------------------------ */

static int
cmd_visit_add(fsy__cmd_t *c)
{
	const fsy__val_t *at = fsy__arg(c, "happened_at");
	const char *policy = fsy__arg_s(c, "policy");
	const char *topic = fsy__arg_s(c, "topic");
	char cid[37], vid[37], pid[37] = "";
	char happened[21];
	int64_t hms;
	json_t *row;
	int rc;

	if ((rc = need_agent(c)) != FSY_OK ||
	    (rc = customer_arg(c, cid)) != FSY_OK)
		return rc;
	hms = at->set && at->s != NULL ? at->i : c->now_ms;
	if (hms > c->now_ms + VISIT_FUTURE_MS)
		return fsy__cmd_fail(c, FSY_EINVAL, "--at %s is in the future "
		    "(now is %s)", at->s, c->now);
	fsy_iso_time(hms, happened);
	if (policy != NULL) {
		json_t *p = fsy__cmd_row(c, &rc, "SELECT id FROM policy WHERE "
		    "customer_id = ?1 AND deleted = 0 AND (id = ?2 OR "
		    "policy_no = ?2) ORDER BY id = ?2 DESC LIMIT 1", "tt", cid,
		    policy);
		if (p == NULL)
			return rc;
		if (!json_is_object(p)) {
			json_decref(p);
			return fsy__cmd_fail(c, FSY_ENOTFOUND, "--policy: the "
			    "customer has no policy '%.64s'", policy);
		}
		snprintf(pid, sizeof(pid), "%s",
		    json_string_value(json_object_get(p, "id")));
		json_decref(p);
	}
	fsy_uuid_v7(vid);
	rc = fsy__cmd_exec(c, NULL, "INSERT INTO visit(id, customer_id, "
	    "agent_id, device_id, happened_at, recorded_at, place, channel, "
	    "topic, policy_id, customer_said, next_step) VALUES "
	    "(?,?,?,?,?,?,?,?,?,?,?,?)", "tttttttttttt", vid, cid, c->agent_id,
	    fsy_store_site(c->st), happened, c->now, fsy__arg_s(c, "place"),
	    fsy__arg_s(c, "channel"), topic != NULL ? topic : "general",
	    pid[0] ? pid : NULL, fsy__arg_s(c, "customer_said"),
	    fsy__arg_s(c, "next_step"));
	if (rc != FSY_OK)
		return rc;
	row = fsy__cmd_row(c, &rc, "SELECT v.id, v.customer_id, c.card_no, "
	    "c.name, v.agent_id, v.device_id, v.happened_at, v.recorded_at, "
	    "v.place, v.channel, v.topic, v.policy_id, v.customer_said, "
	    "v.next_step FROM visit v JOIN customer c ON c.id = v.customer_id "
	    "WHERE v.id = ?", "t", vid);
	if (row == NULL)
		return rc;
	if (fsy__json_set(row, "late_record",
	    json_boolean(c->now_ms - hms > VISIT_RECORD_MS)) != 0) {
		json_decref(row);
		return fsy__cmd_fail(c, FSY_ENOMEM, "out of memory");
	}
	c->data = row;
	return FSY_OK;
}

static const fsy__arg_t args_visit_add[] = {
	{"customer", FSY__A_CUSTOMER, FSY__REQ, NULL, 0, 0, 0, NULL},
	{"happened_at", FSY__A_TIME, 0, "--at", 0, 0, 0, NULL},
	{"channel", FSY__A_ENUM, FSY__REQ, NULL, 0, 0, 0, fsy__enum_channel},
	{"topic", FSY__A_ENUM, 0, NULL, 0, 0, 0, fsy__enum_topic},
	{"place", FSY__A_TEXT, 0, NULL, 200, 0, 0, NULL},
	{"customer_said", FSY__A_TEXT, 0, "--said", 4000, 0, 0, NULL},
	{"next_step", FSY__A_TEXT, 0, "--next", 2000, 0, 0, NULL},
	{"policy", FSY__A_TEXT, 0, NULL, 64, 0, 0, NULL},
	{NULL, 0, 0, NULL, 0, 0, 0, NULL},
};

/* ---- family --------------------------------------------------------------- */

static int
check_birth(fsy__cmd_t *c)
{
	const char *b = fsy__arg_s(c, "birth_date");

	if (b != NULL && strcmp(b, c->today) > 0)
		return fsy__cmd_fail(c, FSY_EINVAL,
		    "--birth %s is in the future", b);
	return FSY_OK;
}

static int
person_reply(fsy__cmd_t *c, const char *pid)
{
	int rc;
	json_t *row = fsy__cmd_row(c, &rc, "SELECT p.id, p.customer_id, "
	    "c.card_no, p.relation, p.name, p.gender, p.birth_date, "
	    "p.occupation, p.health_notes, p.deleted FROM person p JOIN "
	    "customer c ON c.id = p.customer_id WHERE p.id = ?", "t", pid);

	if (row == NULL)
		return rc;
	c->data = row;
	return FSY_OK;
}

static int
cmd_family_add(fsy__cmd_t *c)
{
	char cid[37], pid[37];
	int rc;

	if ((rc = need_agent(c)) != FSY_OK ||
	    (rc = customer_arg(c, cid)) != FSY_OK ||
	    (rc = check_birth(c)) != FSY_OK)
		return rc;
	fsy_uuid_v7(pid);
	rc = fsy__cmd_exec(c, NULL, "INSERT INTO person(id, customer_id, "
	    "relation, name, gender, birth_date, occupation, health_notes) "
	    "VALUES (?,?,?,?,?,?,?,?)", "tttttttt", pid, cid,
	    fsy__arg_s(c, "relation"), fsy__arg_s(c, "name"),
	    fsy__arg_s(c, "gender"), fsy__arg_s(c, "birth_date"),
	    fsy__arg_s(c, "occupation"), fsy__arg_s(c, "health_notes"));
	if (rc != FSY_OK)
		return rc;
	return person_reply(c, pid);
}

static const fsy__arg_t args_family_add[] = {
	{"customer", FSY__A_CUSTOMER, FSY__REQ, NULL, 0, 0, 0, NULL},
	{"relation", FSY__A_ENUM, FSY__REQ, NULL, 0, 0, 0, fsy__enum_relation},
	{"name", FSY__A_TEXT, FSY__REQ, NULL, 100, 0, 0, NULL},
	{"gender", FSY__A_ENUM, 0, NULL, 0, 0, 0, fsy__enum_gender},
	{"birth_date", FSY__A_DATE, 0, "--birth", 0, 0, 0, NULL},
	{"occupation", FSY__A_TEXT, 0, NULL, 200, 0, 0, NULL},
	{"health_notes", FSY__A_TEXT, 0, "--health", 2000, 0, 0, NULL},
	{NULL, 0, 0, NULL, 0, 0, 0, NULL},
};

static int
cmd_family_edit(fsy__cmd_t *c)
{
	static const char *const cols[] = {"relation", "name", "gender",
	    "birth_date", "occupation", "health_notes", NULL};
	const char *pid = fsy__arg_s(c, "person");
	colval_t cv[MAX_COLS];
	int n = 0, rc;
	int64_t live;

	if ((rc = need_agent(c)) != FSY_OK || (rc = check_birth(c)) != FSY_OK)
		return rc;
	if ((rc = fsy__cmd_int(c, &live, -1, "SELECT p.deleted FROM person p "
	    "JOIN customer c ON c.id = p.customer_id AND c.deleted = 0 "
	    "WHERE p.id = ?", "t", pid)) != FSY_OK)
		return rc;
	if (live != 0)
		return fsy__cmd_fail(c, FSY_ENOTFOUND, "no person %s on this "
		    "laptop%s", pid, live == 1 ? " (deleted)" : "");
	for (int i = 0; cols[i] != NULL; i++) {
		if (!fsy__arg_set(c, cols[i]))
			continue;
		if (strcmp(cols[i], "name") == 0 && fsy__arg_s(c, "name") == NULL)
			return fsy__cmd_fail(c, FSY_EINVAL,
			    "--name must not be empty");
		cv[n].col = cols[i];
		cv[n].is_int = 0;
		cv[n].s = fsy__arg_s(c, cols[i]);
		n++;
	}
	if (fsy__arg_i(c, "delete", 0)) {
		cv[n].col = "deleted";
		cv[n].is_int = 1;
		cv[n].i = 1;
		n++;
	}
	if (n == 0)
		return fsy__cmd_fail(c, FSY_EINVAL, "nothing to change: give "
		    "--relation, --name, --gender, --birth, --occupation, "
		    "--health or --delete");
	if ((rc = update_row(c, "person", pid, cv, n)) != FSY_OK)
		return rc;
	return person_reply(c, pid);
}

static const fsy__arg_t args_family_edit[] = {
	{"person", FSY__A_UUID, FSY__REQ, "PERSON", 0, 0, 0, NULL},
	{"relation", FSY__A_ENUM, 0, NULL, 0, 0, 0, fsy__enum_relation},
	{"name", FSY__A_TEXT, 0, NULL, 100, 0, 0, NULL},
	{"gender", FSY__A_ENUM, 0, NULL, 0, 0, 0, fsy__enum_gender},
	{"birth_date", FSY__A_DATE, 0, "--birth", 0, 0, 0, NULL},
	{"occupation", FSY__A_TEXT, 0, NULL, 200, 0, 0, NULL},
	{"health_notes", FSY__A_TEXT, 0, "--health", 2000, 0, 0, NULL},
	{"delete", FSY__A_BOOL, 0, NULL, 0, 0, 0, NULL},
	{NULL, 0, 0, NULL, 0, 0, 0, NULL},
};

/* ---- need.add ------------------------------------------------------------- */

static int
cmd_need_add(fsy__cmd_t *c)
{
	const char *kind = fsy__arg_s(c, "kind");
	const char *status = fsy__arg_s(c, "status");
	char cid[37], nid[37];
	json_t *row;
	int rc;

	if ((rc = need_agent(c)) != FSY_OK)
		return rc;
	if (strchr(kind, ',') != NULL)
		return fsy__cmd_fail(c, FSY_EINVAL, "--kind must be one need, "
		    "like health (got '%.64s')", kind);
	if ((rc = customer_arg(c, cid)) != FSY_OK)
		return rc;
	fsy_uuid_v7(nid);
	rc = fsy__cmd_exec(c, NULL, "INSERT INTO need(id, customer_id, kind, "
	    "note, status, created_at) VALUES (?,?,?,?,?,?)", "tttttt", nid, cid,
	    kind, fsy__arg_s(c, "note"), status != NULL ? status : "open",
	    c->now);
	if (rc != FSY_OK)
		return rc;
	if ((row = fsy__cmd_row(c, &rc, "SELECT n.id, n.customer_id, c.card_no, "
	    "n.kind, n.note, n.status, n.created_at FROM need n JOIN customer c "
	    "ON c.id = n.customer_id WHERE n.id = ?", "t", nid)) == NULL)
		return rc;
	c->data = row;
	return FSY_OK;
}

static const fsy__arg_t args_need_add[] = {
	{"customer", FSY__A_CUSTOMER, FSY__REQ, NULL, 0, 0, 0, NULL},
	{"kind", FSY__A_TAGS, FSY__REQ, NULL, 0, 0, 0, NULL},
	{"note", FSY__A_TEXT, 0, NULL, 2000, 0, 0, NULL},
	{"status", FSY__A_ENUM, 0, NULL, 0, 0, 0, fsy__enum_need_status},
	{NULL, 0, 0, NULL, 0, 0, 0, NULL},
};

/* ---- referral.add --------------------------------------------------------- */

/* Creates a card with a provisional number for a referred person. */
static int
provisional_card(fsy__cmd_t *c, const char *name, const char *phone,
    char id[37], char card[20])
{
	char shortid[5];
	int64_t counter = 0, taken;
	int rc, tries;

	rc = fsy_cardno_device_short(fsy_store_site(c->st), shortid);
	if (rc != FSY_OK)
		return fsy__cmd_fail(c, rc, "this laptop's device id %s gives no "
		    "short id for provisional card numbers",
		    fsy_store_site(c->st));
	rc = fsy_store_meta_int(c->st, "card_counter", &counter);
	if (rc != FSY_OK && rc != FSY_ENOTFOUND)
		return fsy__cmd_store_fail(c, rc, "cannot read the card counter");
	for (tries = 0; tries < CARD_TRIES; tries++) {
		counter++;
		rc = fsy_cardno_provisional(shortid, counter, card, 20);
		if (rc != FSY_OK)
			return fsy__cmd_fail(c, rc, "no provisional card number "
			    "left on this laptop (counter %" PRId64 ")", counter);
		if ((rc = fsy__cmd_int(c, &taken, 0, "SELECT count(*) FROM "
		    "customer WHERE card_no = ?", "t", card)) != FSY_OK)
			return rc;
		if (taken == 0)
			break;
	}
	if (tries == CARD_TRIES)
		return fsy__cmd_fail(c, FSY_EEXISTS, "no free provisional card "
		    "number after %d tries", CARD_TRIES);
	if ((rc = fsy_store_meta_set_int(c->st, "card_counter", counter)) !=
	    FSY_OK)
		return fsy__cmd_store_fail(c, rc, "cannot save the card counter");
	fsy_uuid_v7(id);
	return fsy__cmd_exec(c, NULL, "INSERT INTO customer(id, customer_id, "
	    "card_no, card_provisional, name, phone, created_at) VALUES "
	    "(?1, ?1, ?2, 1, ?3, ?4, ?5)", "ttttt", id, card, name, phone,
	    c->now);
}

static int
cmd_referral_add(fsy__cmd_t *c)
{
	const char *name = fsy__arg_s(c, "name");
	const char *phone = fsy__arg_s(c, "phone");
	char cid[37], rid[37], newid[37] = "", card[20] = "";
	json_t *row;
	int rc;

	if ((rc = need_agent(c)) != FSY_OK ||
	    (rc = customer_arg(c, cid)) != FSY_OK)
		return rc;
	if (fsy__arg_i(c, "card", 0) &&
	    (rc = provisional_card(c, name, phone, newid, card)) != FSY_OK)
		return rc;
	fsy_uuid_v7(rid);
	rc = fsy__cmd_exec(c, NULL, "INSERT INTO referral(id, customer_id, name, "
	    "phone, relation, note, referred_customer_id, created_at) VALUES "
	    "(?,?,?,?,?,?,?,?)", "tttttttt", rid, cid, name, phone,
	    fsy__arg_s(c, "relation"), fsy__arg_s(c, "note"),
	    newid[0] ? newid : NULL, c->now);
	if (rc != FSY_OK)
		return rc;
	if ((row = fsy__cmd_row(c, &rc, "SELECT r.id, r.customer_id, c.card_no, "
	    "r.name, r.phone, r.relation, r.note, r.referred_customer_id, "
	    "n.card_no AS referred_card_no, r.created_at FROM referral r JOIN "
	    "customer c ON c.id = r.customer_id LEFT JOIN customer n ON n.id = "
	    "r.referred_customer_id WHERE r.id = ?", "t", rid)) == NULL)
		return rc;
	c->data = row;
	return FSY_OK;
}

static const fsy__arg_t args_referral_add[] = {
	{"customer", FSY__A_CUSTOMER, FSY__REQ, NULL, 0, 0, 0, NULL},
	{"name", FSY__A_TEXT, FSY__REQ, NULL, 100, 0, 0, NULL},
	{"phone", FSY__A_PHONE, 0, NULL, 0, 0, 0, NULL},
	{"relation", FSY__A_TEXT, 0, NULL, 50, 0, 0, NULL},
	{"note", FSY__A_TEXT, 0, NULL, 2000, 0, 0, NULL},
	{"card", FSY__A_BOOL, 0, NULL, 0, 0, 0, NULL},
	{NULL, 0, 0, NULL, 0, 0, 0, NULL},
};

/* ---- policy.add ----------------------------------------------------------- */

static int
cmd_policy_add(fsy__cmd_t *c)
{
	static const int factor[] = {1, 2, 4, 12, 1}; /* by fsy__enum_pay_mode */
	const fsy__val_t *pay = fsy__arg(c, "pay_mode");
	const fsy__val_t *years = fsy__arg(c, "payment_years");
	const char *issued = fsy__arg_s(c, "issue_date");
	const char *ends = fsy__arg_s(c, "end_date");
	const char *status = fsy__arg_s(c, "status");
	int single = strcmp(pay->s, "single") == 0;
	int64_t modal = fsy__arg_i(c, "premium", 0), nyears;
	char cid[37], pid[37];
	json_t *row;
	int rc;

	if ((rc = need_agent(c)) != FSY_OK)
		return rc;
	if (single && years->set && years->s != NULL && years->i != 0)
		return fsy__cmd_fail(c, FSY_EINVAL, "--years must be 0 (or left "
		    "out) for a single premium");
	if (!single && (!years->set || years->s == NULL || years->i < 1))
		return fsy__cmd_fail(c, FSY_EINVAL, "--years (the payment term, "
		    "1 to 100) is required for a regular premium");
	nyears = single ? 0 : years->i;
	if (issued != NULL && ends != NULL && strcmp(ends, issued) < 0)
		return fsy__cmd_fail(c, FSY_EINVAL, "--ends %s is before "
		    "--issued %s", ends, issued);
	if (issued != NULL && strcmp(issued, c->today) > 0)
		return fsy__cmd_fail(c, FSY_EINVAL, "--issued %s is in the "
		    "future", issued);
	if ((rc = customer_arg(c, cid)) != FSY_OK)
		return rc;
	fsy_uuid_v7(pid);
	rc = fsy__cmd_exec(c, NULL, "INSERT INTO policy(id, customer_id, "
	    "policy_no, external, insurer, product, product_type, is_main, "
	    "insured_name, pay_mode, modal_premium_fen, annual_premium_fen, "
	    "payment_years, issue_date, next_due_date, end_date, status, "
	    "sum_assured_fen, beneficiary) VALUES "
	    "(?,?,?,1,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", "ttttttittiiittttnt",
	    pid, cid, fsy__arg_s(c, "policy_no"), fsy__arg_s(c, "insurer"),
	    fsy__arg_s(c, "product"), fsy__arg_s(c, "product_type"),
	    (int64_t)(fsy__arg_i(c, "rider", 0) ? 0 : 1),
	    fsy__arg_s(c, "insured_name"), pay->s, modal,
	    modal * factor[pay->i], nyears, issued,
	    fsy__arg_s(c, "next_due_date"), ends,
	    status != NULL ? status : "inforce",
	    fsy__arg_i(c, "sum_assured", FSY__NULL_INT),
	    fsy__arg_s(c, "beneficiary"));
	if (rc != FSY_OK)
		return rc;
	if ((row = fsy__cmd_row(c, &rc, "SELECT p.*, c.card_no FROM policy p "
	    "JOIN customer c ON c.id = p.customer_id WHERE p.id = ?", "t",
	    pid)) == NULL)
		return rc;
	c->data = row;
	return FSY_OK;
}

static const fsy__arg_t args_policy_add[] = {
	{"customer", FSY__A_CUSTOMER, FSY__REQ, NULL, 0, 0, 0, NULL},
	{"insurer", FSY__A_TEXT, FSY__REQ, NULL, 100, 0, 0, NULL},
	{"product", FSY__A_TEXT, FSY__REQ, NULL, 200, 0, 0, NULL},
	{"product_type", FSY__A_ENUM, FSY__REQ, "--type", 0, 0, 0,
	    fsy__enum_product_type},
	{"premium", FSY__A_MONEY, FSY__REQ, NULL, 0, 0, 0, NULL},
	{"pay_mode", FSY__A_ENUM, FSY__REQ, "--pay", 0, 0, 0,
	    fsy__enum_pay_mode},
	{"payment_years", FSY__A_INT, 0, "--years", 0, 0, 100, NULL},
	{"issue_date", FSY__A_DATE, 0, "--issued", 0, 0, 0, NULL},
	{"next_due_date", FSY__A_DATE, 0, "--next-due", 0, 0, 0, NULL},
	{"end_date", FSY__A_DATE, 0, "--ends", 0, 0, 0, NULL},
	{"sum_assured", FSY__A_MONEY, 0, "--sum", 0, 0, 0, NULL},
	{"insured_name", FSY__A_TEXT, 0, "--insured", 100, 0, 0, NULL},
	{"beneficiary", FSY__A_TEXT, 0, NULL, 200, 0, 0, NULL},
	{"status", FSY__A_ENUM, 0, NULL, 0, 0, 0, fsy__enum_policy_status},
	{"policy_no", FSY__A_TEXT, 0, "--number", 64, 0, 0, NULL},
	{"rider", FSY__A_BOOL, 0, NULL, 0, 0, 0, NULL},
	{NULL, 0, 0, NULL, 0, 0, 0, NULL},
};

/* ---- edit ----------------------------------------------------------------- */

static int
cmd_edit(fsy__cmd_t *c)
{
	/* argument -> column; is_int */
	static const struct {
		const char *arg, *col;
		int is_int;
	} map[] = {
		{"phone", "phone", 0}, {"address", "address", 0},
		{"occupation", "occupation", 0}, {"income", "income_fen", 1},
		{"rating", "rating", 0}, {"group", "grp", 0},
		{"need_tags", "need_tags", 0}, {"facts", "facts", 0},
		{"perceptions", "perceptions", 0},
		{"recruit_interest", "recruit_interest", 1},
	};
	colval_t cv[MAX_COLS];
	json_t *row, *fields;
	char cid[37];
	int n = 0, rc;
	size_t i;

	if ((rc = need_agent(c)) != FSY_OK ||
	    (rc = customer_arg(c, cid)) != FSY_OK)
		return rc;
	if ((fields = json_array()) == NULL)
		return fsy__cmd_fail(c, FSY_ENOMEM, "out of memory");
	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
		const fsy__val_t *v = fsy__arg(c, map[i].arg);
		if (!v->set)
			continue;
		cv[n].col = map[i].col;
		cv[n].is_int = map[i].is_int && (v->s != NULL ||
		    strcmp(map[i].arg, "recruit_interest") == 0);
		cv[n].s = v->s;
		cv[n].i = v->i;
		n++;
		json_array_append_new(fields, json_string(map[i].col));
	}
	if (n == 0) {
		json_decref(fields);
		return fsy__cmd_fail(c, FSY_EINVAL, "nothing to change: give "
		    "--phone, --address, --occupation, --income, --rating, "
		    "--group, --need-tags, --facts, --perceptions or --recruit");
	}
	if ((rc = update_row(c, "customer", cid, cv, n)) != FSY_OK) {
		json_decref(fields);
		return rc;
	}
	row = fsy__cmd_row(c, &rc, "SELECT id, card_no, name, phone, address, "
	    "occupation, income_fen, rating, grp, need_tags, facts, "
	    "perceptions, recruit_interest FROM customer WHERE id = ?", "t",
	    cid);
	if (row == NULL || fsy__json_set(row, "fields", fields) != 0) {
		if (row != NULL)
			rc = fsy__cmd_fail(c, FSY_ENOMEM, "out of memory");
		json_decref(row);
		return rc;
	}
	c->data = row;
	return FSY_OK;
}

static const fsy__arg_t args_edit[] = {
	{"customer", FSY__A_CUSTOMER, FSY__REQ, "CUSTOMER", 0, 0, 0, NULL},
	{"phone", FSY__A_PHONE, 0, NULL, 0, 0, 0, NULL},
	{"address", FSY__A_TEXT, 0, NULL, 300, 0, 0, NULL},
	{"occupation", FSY__A_TEXT, 0, NULL, 200, 0, 0, NULL},
	{"income", FSY__A_MONEY, 0, NULL, 0, 0, 0, NULL},
	{"rating", FSY__A_ENUM, 0, NULL, 0, 0, 0, fsy__enum_rating},
	{"group", FSY__A_ENUM, 0, NULL, 0, 0, 0, fsy__enum_group},
	{"need_tags", FSY__A_TAGS, 0, NULL, 0, 0, 0, NULL},
	{"facts", FSY__A_TEXT, 0, NULL, 4000, 0, 0, NULL},
	{"perceptions", FSY__A_TEXT, 0, NULL, 4000, 0, 0, NULL},
	{"recruit_interest", FSY__A_BOOL, 0, "--recruit", 0, 0, 0, NULL},
	{NULL, 0, 0, NULL, 0, 0, 0, NULL},
};

/* ---- agenda --------------------------------------------------------------- */

static int
cmd_agenda(fsy__cmd_t *c)
{
	static const char *const parts[] = {"overdue", "today", "soon", NULL};
	const char *who = fsy__arg_s(c, "agent");
	fsy_obl_agenda_t *ag = NULL;
	fsy_obl_when_t w;
	char agent[37], err[256] = "";
	json_t *j;
	int rc;

	if (who == NULL) {
		if ((rc = need_agent(c)) != FSY_OK)
			return rc;
		snprintf(agent, sizeof(agent), "%s", c->agent_id);
	} else if (fsy_uuid_valid(who)) {
		snprintf(agent, sizeof(agent), "%s", who);
	} else if ((rc = fsy__cmd_agent(c, who, "--agent", agent, NULL, NULL,
	    0)) != FSY_OK) {
		return rc;
	}
	when_of(c, &w, fsy__arg_s(c, "as_of"));
	rc = fsy_obl_agenda(c->st, agent, &w, &ag, err, sizeof(err));
	if (rc != FSY_OK)
		return fsy__cmd_fail(c, rc, "cannot compute the agenda: %s", err);
	j = fsy_obl_agenda_json(ag);
	fsy_obl_agenda_free(ag);
	if (j == NULL)
		return fsy__cmd_fail(c, FSY_ENOMEM, "out of memory");
	if ((rc = fsy__cmd_add_names(c, j, parts)) != FSY_OK) {
		json_decref(j);
		return rc;
	}
	c->data = j;
	return FSY_OK;
}

static const fsy__arg_t args_agenda[] = {
	{"as_of", FSY__A_DATE, 0, NULL, 0, 0, 0, NULL},
	{"agent", FSY__A_AGENT, 0, NULL, 0, 0, 0, NULL},
	{NULL, 0, 0, NULL, 0, 0, 0, NULL},
};

/* ---- status and sync ------------------------------------------------------ */

static json_t *
iso_or_null(int64_t ms)
{
	char buf[21];

	if (ms <= 0)
		return json_null();
	fsy_iso_time(ms, buf);
	return json_string(buf);
}

static int
cmd_status(fsy__cmd_t *c)
{
	fsy_replica_status_t rs;
	json_t *o = NULL, *rej = NULL, *conf = NULL, *r;
	size_t i;
	int rc;

	if ((rc = fsy_replica_status(c->st, &rs)) != FSY_OK)
		return fsy__cmd_store_fail(c, rc, "cannot read the sync status");
	rej = fsy__cmd_rows(c, &rc, "SELECT r.seq, r.tbl, r.row_id, r.col, "
	    "r.val, r.code, r.reason, r.at, l.customer_id, c.card_no, c.name "
	    "FROM rejection r LEFT JOIN change_log l ON l.seq = r.seq "
	    "LEFT JOIN customer c ON c.id = l.customer_id "
	    "ORDER BY r.seq DESC LIMIT 100", NULL);
	if (rej == NULL)
		goto out;
	json_array_foreach(rej, i, r) {
		int code = (int)json_integer_value(json_object_get(r, "code"));
		if (fsy__json_set(r, "error", json_string(fsy_errname(code)))) {
			rc = fsy__cmd_fail(c, FSY_ENOMEM, "out of memory");
			goto out;
		}
	}
	conf = fsy__cmd_rows(c, &rc, "SELECT s.id, s.customer_id, c.card_no, "
	    "c.name, s.tbl, s.row_id, s.col, s.winner_val, s.loser_val, "
	    "s.winner_site, s.loser_site, s.detected_at, s.status FROM "
	    "conflict_seen s LEFT JOIN customer c ON c.id = s.customer_id "
	    "WHERE ifnull(s.status, 'open') = 'open' ORDER BY s.detected_at",
	    NULL);
	if (conf == NULL)
		goto out;
	o = json_object();
	if (o == NULL ||
	    fsy__json_set(o, "agent_id", c->agent_id[0]
	        ? json_string(c->agent_id) : json_null()) ||
	    fsy__json_set(o, "role", json_string(c->ctx->lead ? "lead"
	        : "agent")) ||
	    fsy__json_set(o, "device_id", fsy__json_str(fsy_store_site(c->st))) ||
	    fsy__json_set(o, "now", json_string(c->now)) ||
	    fsy__json_set(o, "customers", json_integer(rs.customers)) ||
	    fsy__json_set(o, "log_seq", json_integer(rs.log_seq)) ||
	    fsy__json_set(o, "acked_seq", json_integer(rs.acked_seq)) ||
	    fsy__json_set(o, "pending", json_integer(rs.pending)) ||
	    fsy__json_set(o, "oldest_pending_at",
	        iso_or_null(rs.oldest_pending_ms)) ||
	    fsy__json_set(o, "oldest_pending_age_s", rs.oldest_pending_ms > 0
	        ? json_integer((c->now_ms - rs.oldest_pending_ms) / 1000)
	        : json_null()) ||
	    fsy__json_set(o, "cursor", json_integer(rs.cursor)) ||
	    fsy__json_set(o, "last_sync_at", iso_or_null(rs.last_sync_ms)) ||
	    fsy__json_set(o, "rejection_count", json_integer(rs.rejections)) ||
	    json_object_set(o, "rejections", rej) != 0 ||
	    json_object_set(o, "conflicts", conf) != 0) {
		rc = fsy__cmd_fail(c, FSY_ENOMEM, "out of memory");
		goto out;
	}
	if (c->ctx->sync_state != NULL) {
		json_t *s = json_object();
		if (s == NULL) {
			rc = fsy__cmd_fail(c, FSY_ENOMEM, "out of memory");
			goto out;
		}
		c->ctx->sync_state(c->ctx->arg, s);
		if (fsy__json_set(o, "sync", s) != 0) {
			rc = fsy__cmd_fail(c, FSY_ENOMEM, "out of memory");
			goto out;
		}
	}
	c->data = o;
	o = NULL;
	rc = FSY_OK;
out:
	json_decref(o);
	json_decref(rej);
	json_decref(conf);
	return rc;
}

static int
cmd_sync(fsy__cmd_t *c)
{
	if (c->ctx->sync_now == NULL)
		return fsy__cmd_fail(c, FSY_ESTATE, "this daemon has no sync "
		    "client (no hub configured)");
	c->ctx->sync_now(c->ctx->arg);
	return set_data(c, json_pack("{s:b,s:s}", "requested", 1, "message",
	    "sync requested: see `fieldsync status` for the result"));
}

/* The content hash of the replica: equal to head office's `scope.hash`
 * for this laptop's agent once they have converged (docs/SYNC.md). */
static int
cmd_hash(fsy__cmd_t *c)
{
	fsy_replica_status_t rs;
	uint8_t h[32];
	char hex[65];
	int rc;

	if ((rc = fsy_replica_hash(c->st, h)) != FSY_OK ||
	    (rc = fsy_replica_status(c->st, &rs)) != FSY_OK)
		return fsy__cmd_store_fail(c, rc, "cannot hash the replica");
	fsy_hex(h, 32, hex);
	return set_data(c, json_pack("{s:s,s:s?,s:I,s:I}", "hash", hex,
	    "agent_id", c->agent_id[0] ? c->agent_id : NULL, "customers",
	    (json_int_t)rs.customers, "pending", (json_int_t)rs.pending));
}

#define RO (FSY__W_AGENT | FSY__W_LEAD)
#define RW FSY__W_AGENT
#define W FSY__F_WRITE

const fsy__cmd_def_t fsy__cmds_agent[] = {
	{"customers", cmd_customers, RO, 0, args_customers},
	{"card", cmd_card, RO, 0, args_card},
	{"visit.add", cmd_visit_add, RW, W, args_visit_add},
	{"family.add", cmd_family_add, RW, W, args_family_add},
	{"family.edit", cmd_family_edit, RW, W, args_family_edit},
	{"need.add", cmd_need_add, RW, W, args_need_add},
	{"referral.add", cmd_referral_add, RW, W, args_referral_add},
	{"policy.add", cmd_policy_add, RW, W, args_policy_add},
	{"edit", cmd_edit, RW, W | FSY__F_HOCOLS, args_edit},
	{"agenda", cmd_agenda, RO, 0, args_agenda},
	{"status", cmd_status, RO, 0, NULL},
	{"sync", cmd_sync, RO, 0, NULL},
	{"hash", cmd_hash, RO, 0, NULL},
	{NULL, NULL, 0, 0, NULL},
};
