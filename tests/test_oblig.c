/* test_oblig.c — service obligations: rules, edges, agenda, coverage. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "oblig.h"

/* ---- fixtures ----------------------------------------------------------- */

static fsy_obl_when_t
when(const char *asof)
{
	fsy_obl_when_t w = { asof, 0 };
	return w;
}

/* NULL-aware SQL literal: 'x' or NULL, in a rotating static buffer. */
static const char *
q(const char *s)
{
	static char bufs[16][128];
	static int next;
	char *b = bufs[next++ % 16];

	if (s == NULL)
		return "NULL";
	snprintf(b, 128, "'%s'", s);
	return b;
}

/*
 * The ids of replicated rows must be UUIDs: U(name) is a fixed UUID made
 * from a short test name (rotating static buffers; NULL stays NULL).
 */
static const char *
U(const char *name)
{
	static char bufs[64][37];
	static int next;
	uint32_t h1 = 2166136261u;
	uint64_t h2 = 1469598103934665603ULL;
	const char *p;
	char *b;

	if (name == NULL)
		return NULL;
	for (p = name; *p != '\0'; p++) {
		h1 = (h1 ^ (uint8_t)*p) * 16777619u;
		h2 = (h2 ^ (uint8_t)*p) * 1099511628211ULL;
	}
	b = bufs[next++ % 64];
	snprintf(b, 37, "%08x-0000-7000-8000-%012llx", (unsigned)h1,
	    (unsigned long long)(h2 & 0xffffffffffffULL));
	return b;
}

static void
org(fsy_store_t *st)
{
	tu_exec(st,
	    "INSERT INTO branch(id, code, name) VALUES ('B1','B1','East'),"
	    " ('B2','B2','West');"
	    "INSERT INTO team(id, branch_id, code, name) VALUES"
	    " ('T1','B1','T1','East one'), ('T2','B1','T2','East two'),"
	    " ('T3','B2','T3','West one');"
	    "INSERT INTO agent(id, code, name, team_id) VALUES"
	    " ('a1','A01','Wang','T1'), ('a2','A02','Li','T1'),"
	    " ('a3','A03','Zhang','T2'), ('a4','A04','Liu','T3'),"
	    " ('a5','A05','Chen',NULL);");
}

static void
cust(fsy_store_t *st, const char *id, const char *owner, const char *since,
    int star, const char *vip, const char *birth)
{
	char sql[512];

	snprintf(sql, sizeof(sql),
	    "INSERT INTO customer(id, customer_id, owner_agent_id, owner_since,"
	    " star_level, vip_tier, birth_date) VALUES ('%s','%s',%s,%s,%d,%s,%s)",
	    U(id), U(id), q(owner), q(since), star, q(vip), q(birth));
	tu_exec(st, sql);
}

/* flags: 1 external, 2 rider */
static void
pol(fsy_store_t *st, const char *id, const char *c, const char *mode,
    const char *status, const char *issue, const char *next_due,
    const char *survival, const char *end, int flags)
{
	char sql[768];

	snprintf(sql, sizeof(sql),
	    "INSERT INTO policy(id, customer_id, pay_mode, status, issue_date,"
	    " next_due_date, survival_date, end_date, external, is_main)"
	    " VALUES ('%s','%s',%s,%s,%s,%s,%s,%s,%d,%d)",
	    U(id), U(c), q(mode), q(status), q(issue), q(next_due), q(survival),
	    q(end), (flags & 1) != 0, (flags & 2) == 0);
	tu_exec(st, sql);
}

static void
visit(fsy_store_t *st, const char *id, const char *c, const char *agent,
    const char *happened, const char *recorded, const char *channel,
    const char *topic, const char *policy)
{
	char sql[768];

	snprintf(sql, sizeof(sql),
	    "INSERT INTO visit(id, customer_id, agent_id, happened_at,"
	    " recorded_at, channel, topic, policy_id)"
	    " VALUES ('%s','%s',%s,%s,%s,%s,%s,%s)",
	    U(id), U(c), q(agent), q(happened), q(recorded), q(channel),
	    q(topic), q(U(policy)));
	tu_exec(st, sql);
}

/* A visit recorded at once. */
static void
touch(fsy_store_t *st, const char *id, const char *c, const char *agent,
    const char *at, const char *channel, const char *topic,
    const char *policy)
{
	visit(st, id, c, agent, at, at, channel, topic, policy);
}

static void
set_created(fsy_store_t *st, const char *c, const char *at)
{
	char sql[256];

	snprintf(sql, sizeof(sql),
	    "UPDATE customer SET created_at = '%s' WHERE id = '%s'", at, U(c));
	tu_exec(st, sql);
}

static void
hist(fsy_store_t *st, const char *c, const char *from, const char *to,
    const char *at)
{
	char sql[512];

	snprintf(sql, sizeof(sql),
	    "INSERT INTO ownership_history(customer_id, from_agent_id,"
	    " to_agent_id, rule, at) VALUES ('%s',%s,%s,'4','%s')",
	    U(c), q(from), q(to), at);
	tu_exec(st, sql);
}

static fsy_obl_list_t *
list_raw(fsy_store_t *st, const char *c, const char *asof)
{
	fsy_obl_when_t w = when(asof);
	fsy_obl_list_t *l = NULL;
	char err[256] = "";

	if (fsy_obl_customer(st, c, &w, &l, err, sizeof(err)) != FSY_OK)
		fail_msg("list %s: %s", c, err);
	return l;
}

/* The obligations of the customer named c (see U). */
static fsy_obl_list_t *
list(fsy_store_t *st, const char *c, const char *asof)
{
	return list_raw(st, U(c), asof);
}

/* The obligation of kind k (policy and due day when not NULL); NULL if
 * none. More than one match fails the test. */
static const fsy_obl_t *
find(const fsy_obl_list_t *l, fsy_obl_kind_t k, const char *policy,
    const char *due)
{
	const fsy_obl_t *hit = NULL;
	size_t i;

	policy = U(policy);
	for (i = 0; i < l->n; i++) {
		const fsy_obl_t *o = &l->items[i];

		if (o->kind != k)
			continue;
		if (policy != NULL &&
		    (o->policy_id == NULL || strcmp(o->policy_id, policy) != 0))
			continue;
		if (due != NULL && strcmp(o->due, due) != 0)
			continue;
		if (hit != NULL)
			fail_msg("two %s obligations due %s",
			    fsy_obl_kind_name(k), o->due);
		hit = o;
	}
	return hit;
}

static const fsy_obl_t *
must(const fsy_obl_list_t *l, fsy_obl_kind_t k, const char *policy,
    const char *due)
{
	const fsy_obl_t *o = find(l, k, policy, due);

	if (o == NULL)
		fail_msg("no %s obligation (policy %s, due %s)",
		    fsy_obl_kind_name(k), policy ? policy : "-",
		    due ? due : "-");
	return o;
}

static size_t
count(const fsy_obl_list_t *l, fsy_obl_kind_t k)
{
	size_t i, n = 0;

	for (i = 0; i < l->n; i++)
		n += l->items[i].kind == k;
	return n;
}

/* ---- festival care ------------------------------------------------------ */

static void
test_festival_tiers(void **state)
{
	(void)state;
	fsy_store_t *st = tu_open("fest.db", FSY_ROLE_HUB, NULL);
	fsy_obl_list_t *l;
	const fsy_obl_t *o;

	cust(st, "cv", "a1", NULL, 1, "gold", "1980-06-15");
	cust(st, "c3", "a1", NULL, 3, NULL, "1975-03-01");
	cust(st, "co", "a1", NULL, 2, NULL, NULL);
	/* VIP: birthday exactly 7 days after, Spring Festival, Mid-Autumn */
	touch(st, "v1", "cv", "a1", "2024-06-22T10:00:00Z", "sms", "birthday", NULL);
	touch(st, "v2", "cv", "a1", "2024-02-10T03:00:00Z", "wechat", "spring_festival", NULL);
	touch(st, "v3", "cv", "a1", "2024-09-17T04:00:00Z", "visit", "mid_autumn", NULL);
	/* 3 stars: Spring Festival twice, Mother's and Father's Day (one
	 * occasion), a birthday 8 days late, National Day at an event */
	touch(st, "w1", "c3", "a1", "2024-02-10T03:00:00Z", "wechat", "spring_festival", NULL);
	touch(st, "w2", "c3", "a1", "2024-02-11T03:00:00Z", "phone", "spring_festival", NULL);
	touch(st, "w3", "c3", "a1", "2024-05-12T03:00:00Z", "sms", "mothers_day", NULL);
	touch(st, "w4", "c3", "a1", "2024-06-16T03:00:00Z", "sms", "fathers_day", NULL);
	touch(st, "w5", "c3", "a1", "2024-03-09T03:00:00Z", "wechat", "birthday", NULL);
	touch(st, "w6", "c3", "a1", "2024-10-01T03:00:00Z", "event", "national_day", NULL);
	/* ordinary: touches, but no care owed */
	touch(st, "x1", "co", "a1", "2024-02-10T03:00:00Z", "wechat", "spring_festival", NULL);
	touch(st, "x2", "co", "a1", "2024-09-17T03:00:00Z", "wechat", "mid_autumn", NULL);
	touch(st, "x3", "co", "a1", "2024-10-01T03:00:00Z", "wechat", "national_day", NULL);

	l = list(st, "cv", "2024-12-31");
	o = must(l, FSY_OBL_FESTIVAL, NULL, "2024-12-31");
	assert_int_equal(o->status, FSY_OBL_MET);
	assert_int_equal(o->progress, 3);
	assert_int_equal(o->required, 3);
	assert_string_equal(o->start, "2024-01-01");
	assert_string_equal(o->visit_id, U("v3"));
	assert_string_equal(o->met_at, "2024-09-17T04:00:00Z");
	assert_string_equal(o->agent_id, "a1");
	assert_string_equal(o->due_at, "2024-12-31T23:59:59Z");
	fsy_obl_list_free(l);

	/* met by the third occasion: before it, open with 2 */
	l = list(st, "cv", "2024-09-16");
	o = must(l, FSY_OBL_FESTIVAL, NULL, "2024-12-31");
	assert_int_equal(o->status, FSY_OBL_OPEN);
	assert_int_equal(o->progress, 2);
	assert_null(o->visit_id);
	assert_string_equal(o->met_at, "");
	fsy_obl_list_free(l);

	l = list(st, "c3", "2024-12-31");
	o = must(l, FSY_OBL_FESTIVAL, NULL, "2024-12-31");
	assert_int_equal(o->status, FSY_OBL_OPEN); /* due today */
	assert_int_equal(o->progress, 2);
	fsy_obl_list_free(l);
	l = list(st, "c3", "2025-01-01");
	o = must(l, FSY_OBL_FESTIVAL, NULL, "2024-12-31");
	assert_int_equal(o->status, FSY_OBL_MISSED);
	o = must(l, FSY_OBL_FESTIVAL, NULL, "2025-12-31");
	assert_int_equal(o->status, FSY_OBL_OPEN);
	assert_int_equal(o->progress, 0);
	fsy_obl_list_free(l);

	l = list(st, "co", "2024-12-31");
	assert_int_equal(count(l, FSY_OBL_FESTIVAL), 0);
	assert_true(count(l, FSY_OBL_NEWS) == 1); /* owed by everyone */
	fsy_obl_list_free(l);
	fsy_store_close(st);
}

/* ---- renewal ------------------------------------------------------------ */

static void
test_renewal(void **state)
{
	(void)state;
	fsy_store_t *st = tu_open("ren.db", FSY_ROLE_HUB, NULL);
	fsy_obl_list_t *l;
	const fsy_obl_t *o;

	cust(st, "cr", "a1", NULL, 0, NULL, NULL);
	pol(st, "P1", "cr", "annual", "inforce", "2020-03-15", "2024-03-15", NULL, NULL, 0);
	pol(st, "P2", "cr", "annual", "grace", "2021-03-15", "2024-03-15", NULL, NULL, 0);
	pol(st, "P3", "cr", "annual", "inforce", "2022-03-20", "2024-03-20", NULL, NULL, 0);
	pol(st, "P4", "cr", "single", "inforce", "2022-03-20", NULL, NULL, NULL, 0);
	pol(st, "P5", "cr", "annual", "lapsed", "2022-03-20", "2024-03-20", NULL, NULL, 0);
	pol(st, "P6", "cr", "annual", "inforce", "2022-03-20", "2024-03-20", NULL, NULL, 1);
	/* exactly 30 days before P1's due date: on time */
	touch(st, "r1", "cr", "a1", "2024-02-14T00:00:00Z", "phone", "renewal", "P1");
	/* the last second of the day before P2's window */
	touch(st, "r2", "cr", "a1", "2024-02-13T23:59:59Z", "phone", "renewal", "P2");
	/* inside P3's window, but about P1 */
	touch(st, "r3", "cr", "a1", "2024-03-01T09:00:00Z", "wechat", "renewal", "P1");

	l = list(st, "cr", "2024-03-16");
	o = must(l, FSY_OBL_RENEWAL, "P1", "2024-03-15");
	assert_int_equal(o->status, FSY_OBL_MET);
	assert_string_equal(o->start, "2024-02-14");
	assert_string_equal(o->visit_id, U("r1"));
	o = must(l, FSY_OBL_RENEWAL, "P2", "2024-03-15");
	assert_int_equal(o->status, FSY_OBL_OVERDUE); /* unpaid: still to do */
	o = must(l, FSY_OBL_RENEWAL, "P3", "2024-03-20");
	assert_int_equal(o->status, FSY_OBL_OPEN);
	assert_null(find(l, FSY_OBL_RENEWAL, "P4", NULL));
	assert_null(find(l, FSY_OBL_RENEWAL, "P5", NULL));
	assert_null(find(l, FSY_OBL_RENEWAL, "P6", NULL));
	/* P3's previous due date is within the year looked back: it had no
	 * reminder and, being paid, can no longer have one */
	assert_int_equal(must(l, FSY_OBL_RENEWAL, "P3", "2023-03-20")->status, FSY_OBL_MISSED);
	/* P1's and P2's are older than a year */
	assert_int_equal(count(l, FSY_OBL_RENEWAL), 4);
	fsy_obl_list_free(l);

	/* a reminder naming no policy counts for each; after due it is late */
	touch(st, "r4", "cr", "a1", "2024-03-20T09:00:00Z", "visit", "renewal", NULL);
	l = list(st, "cr", "2024-03-25");
	o = must(l, FSY_OBL_RENEWAL, "P2", "2024-03-15");
	assert_int_equal(o->status, FSY_OBL_LATE);
	assert_string_equal(o->visit_id, U("r4"));
	o = must(l, FSY_OBL_RENEWAL, "P3", "2024-03-20");
	assert_int_equal(o->status, FSY_OBL_MET); /* on its due day */
	assert_string_equal(o->visit_id, U("r4"));
	fsy_obl_list_free(l);
	fsy_store_close(st);
}

static void
test_renewal_schedule(void **state)
{
	(void)state;
	fsy_store_t *st = tu_open("sched.db", FSY_ROLE_AGENT, NULL);
	static const char *const dues[] = {
		"2023-04-30", "2023-05-31", "2023-06-30", "2023-07-31",
		"2023-08-31", "2023-09-30", "2023-10-31", "2023-11-30",
		"2023-12-31", "2024-01-31", "2024-02-29", "2024-03-31",
		"2024-04-30",
	};
	fsy_obl_list_t *l;
	const fsy_obl_t *o;
	size_t i;

	cust(st, "cm", "a1", NULL, 0, NULL, NULL);
	pol(st, "M1", "cm", "monthly", "inforce", "2023-01-31", "2024-04-30", NULL, NULL, 0);
	/* first day of the March window (the day after February's due) */
	touch(st, "m1", "cm", "a1", "2024-03-01T00:00:00Z", "wechat", "renewal", "M1");
	l = list(st, "cm", "2024-04-10");
	assert_int_equal(count(l, FSY_OBL_RENEWAL), 13);
	for (i = 0; i < 13; i++)
		must(l, FSY_OBL_RENEWAL, "M1", dues[i]);
	o = must(l, FSY_OBL_RENEWAL, "M1", "2024-03-31");
	assert_int_equal(o->status, FSY_OBL_MET);
	assert_string_equal(o->start, "2024-03-01");
	o = must(l, FSY_OBL_RENEWAL, "M1", "2024-02-29");
	assert_string_equal(o->start, "2024-02-01");
	/* a paid due date cannot be reminded late: missed for good */
	assert_int_equal(o->status, FSY_OBL_MISSED);
	o = must(l, FSY_OBL_RENEWAL, "M1", "2024-04-30");
	assert_int_equal(o->status, FSY_OBL_OPEN);
	assert_string_equal(o->start, "2024-04-01");
	fsy_obl_list_free(l);
	fsy_store_close(st);
}

/* ---- delivery ----------------------------------------------------------- */

static void
test_delivery(void **state)
{
	(void)state;
	fsy_store_t *st = tu_open("del.db", FSY_ROLE_HUB, NULL);
	fsy_obl_list_t *l;
	const fsy_obl_t *o;

	cust(st, "cd", "a2", NULL, 0, NULL, NULL);
	pol(st, "D1", "cd", "single", "inforce", "2024-05-01", NULL, NULL, NULL, 0);
	pol(st, "D2", "cd", "single", "inforce", "2024-05-01", NULL, NULL, NULL, 0);
	pol(st, "D3", "cd", "single", "inforce", "2024-05-01", NULL, NULL, NULL, 0);
	pol(st, "D4", "cd", "single", "inforce", "2024-05-01", NULL, NULL, NULL, 2);
	touch(st, "d1", "cd", "a2", "2024-05-11T23:59:59Z", "visit", "delivery", "D1");
	touch(st, "d2", "cd", "a2", "2024-05-02T10:00:00Z", "phone", "delivery", "D2");
	touch(st, "d3", "cd", "a2", "2024-05-12T00:00:00Z", "visit", "delivery", "D3");

	l = list(st, "cd", "2024-05-11");
	o = must(l, FSY_OBL_DELIVERY, "D1", "2024-05-11");
	assert_int_equal(o->status, FSY_OBL_MET);
	assert_string_equal(o->start, "2024-05-01");
	o = must(l, FSY_OBL_DELIVERY, "D2", "2024-05-11");
	assert_int_equal(o->status, FSY_OBL_OPEN); /* a phone call is no delivery */
	assert_null(find(l, FSY_OBL_DELIVERY, "D4", NULL)); /* rider */
	fsy_obl_list_free(l);

	l = list(st, "cd", "2024-05-20");
	assert_int_equal(must(l, FSY_OBL_DELIVERY, "D1", NULL)->status, FSY_OBL_MET);
	assert_int_equal(must(l, FSY_OBL_DELIVERY, "D2", NULL)->status, FSY_OBL_OVERDUE);
	o = must(l, FSY_OBL_DELIVERY, "D3", NULL);
	assert_int_equal(o->status, FSY_OBL_LATE);
	assert_string_equal(o->met_at, "2024-05-12T00:00:00Z");
	fsy_obl_list_free(l);
	fsy_store_close(st);
}

/* ---- first contact ------------------------------------------------------ */

static void
test_first_contact_transfer(void **state)
{
	(void)state;
	fsy_store_t *st = tu_open("first.db", FSY_ROLE_HUB, NULL);
	fsy_obl_when_t w;
	fsy_obl_agenda_t *ag = NULL;
	fsy_obl_list_t *l;
	const fsy_obl_t *o;
	size_t i;

	org(st);
	/* cf: a1 since import, moved to a2 */
	cust(st, "cf", "a2", "2024-03-01T08:00:00Z", 0, NULL, NULL);
	hist(st, "cf", NULL, "a1", "2023-01-01T00:00:00Z");
	hist(st, "cf", "a1", "a2", "2024-03-01T08:00:00Z");
	touch(st, "f1", "cf", "a1", "2024-03-05T10:00:00Z", "visit", "general", NULL);
	touch(st, "f2", "cf", "a2", "2024-03-31T23:59:59Z", "phone", "first_contact", NULL);

	/* before a2 called: open, a2's, on a2's agenda and not on a1's */
	w = when("2024-03-25");
	assert_int_equal(fsy_obl_agenda(st, "a2", &w, &ag, NULL, 0), FSY_OK);
	for (i = 0; i < ag->n_soon; i++)
		if (ag->soon[i].kind == FSY_OBL_FIRST_CONTACT)
			break;
	assert_true(i < ag->n_soon);
	assert_string_equal(ag->soon[i].customer_id, U("cf"));
	assert_int_equal(ag->soon[i].status, FSY_OBL_OPEN);
	fsy_obl_agenda_free(ag);
	assert_int_equal(fsy_obl_agenda(st, "a1", &w, &ag, NULL, 0), FSY_OK);
	assert_int_equal(ag->list.n, 0);
	fsy_obl_agenda_free(ag);

	l = list(st, "cf", "2024-04-05");
	assert_int_equal(count(l, FSY_OBL_FIRST_CONTACT), 1);
	o = must(l, FSY_OBL_FIRST_CONTACT, NULL, NULL);
	assert_string_equal(o->agent_id, "a2");
	assert_string_equal(o->start, "2024-03-01");
	assert_string_equal(o->due, "2024-03-31");
	assert_int_equal(o->status, FSY_OBL_MET); /* last second of day 30 */
	assert_string_equal(o->visit_id, U("f2")); /* a1's visit does not count */
	/* the old owner still owes its own visit's record */
	o = must(l, FSY_OBL_RECORD, NULL, "2024-03-06");
	assert_string_equal(o->agent_id, "a1");
	/* the half-year obligation is the owner's of the day */
	assert_string_equal(must(l, FSY_OBL_SERVICE_FEST, NULL, "2024-06-30")->agent_id, "a2");
	fsy_obl_list_free(l);

	/* cg: a1 lost it unmet before due: lapses; a3 owes it, overdue */
	cust(st, "cg", "a3", "2024-06-10T00:00:00Z", 0, NULL, NULL);
	hist(st, "cg", NULL, "a1", "2024-06-01T00:00:00Z");
	hist(st, "cg", "a1", "a3", "2024-06-10T00:00:00Z");
	l = list(st, "cg", "2024-07-20");
	assert_int_equal(count(l, FSY_OBL_FIRST_CONTACT), 1);
	o = must(l, FSY_OBL_FIRST_CONTACT, NULL, NULL);
	assert_string_equal(o->agent_id, "a3");
	assert_string_equal(o->due, "2024-07-10");
	assert_int_equal(o->status, FSY_OBL_OVERDUE);
	fsy_obl_list_free(l);

	/* ch: a first assignment from nobody (an import) owes no first
	 * contact; a1 missed the one it owed after receiving the customer
	 * from a3 and then lost it: missed, not overdue */
	cust(st, "ch", "a3", "2024-03-20T00:00:00Z", 0, NULL, NULL);
	hist(st, "ch", NULL, "a3", "2023-06-01T00:00:00Z");
	hist(st, "ch", "a3", "a1", "2024-01-01T00:00:00Z");
	hist(st, "ch", "a1", "a3", "2024-02-15T00:00:00Z");
	l = list(st, "ch", "2024-07-20");
	assert_int_equal(count(l, FSY_OBL_FIRST_CONTACT), 2);
	o = must(l, FSY_OBL_FIRST_CONTACT, NULL, "2024-01-31");
	assert_string_equal(o->agent_id, "a1");
	assert_int_equal(o->status, FSY_OBL_MISSED);
	o = must(l, FSY_OBL_FIRST_CONTACT, NULL, "2024-03-16");
	assert_string_equal(o->agent_id, "a3");
	assert_int_equal(o->status, FSY_OBL_OVERDUE);
	fsy_obl_list_free(l);

	/* ci: no history (owner_since only): day 31 is late */
	cust(st, "ci", "a2", "2024-03-01T08:00:00Z", 0, NULL, NULL);
	touch(st, "i1", "ci", "a2", "2024-04-01T00:00:00Z", "visit", "first_contact", NULL);
	l = list(st, "ci", "2024-04-05");
	o = must(l, FSY_OBL_FIRST_CONTACT, NULL, "2024-03-31");
	assert_int_equal(o->status, FSY_OBL_LATE);
	fsy_obl_list_free(l);
	fsy_store_close(st);
}

/* ---- visit record ------------------------------------------------------- */

static void
test_visit_record_24h(void **state)
{
	(void)state;
	fsy_store_t *st = tu_open("rec.db", FSY_ROLE_HUB, NULL);
	fsy_obl_list_t *l;
	const fsy_obl_t *o;

	cust(st, "cv", "a1", NULL, 0, NULL, NULL);
	visit(st, "e1", "cv", "a2", "2024-05-01T10:00:00Z", "2024-05-02T10:00:00Z", "visit", "general", NULL);
	visit(st, "e2", "cv", "a2", "2024-05-03T10:00:00Z", "2024-05-04T10:00:01Z", "visit", "general", NULL);
	visit(st, "e3", "cv", "a1", "2024-05-05T10:00:00Z", NULL, "visit", "general", NULL);
	visit(st, "e4", "cv", "a1", "2024-05-06T10:00:00Z", "2024-05-30T10:00:00Z", "visit", "general", NULL);

	l = list(st, "cv", "2024-05-20");
	assert_int_equal(count(l, FSY_OBL_RECORD), 3); /* e4 not recorded yet */
	o = must(l, FSY_OBL_RECORD, NULL, "2024-05-02");
	assert_int_equal(o->status, FSY_OBL_MET); /* exactly 24 h */
	assert_string_equal(o->agent_id, "a2"); /* who made the visit */
	assert_string_equal(o->visit_id, U("e1"));
	assert_string_equal(o->due_at, "2024-05-02T10:00:00Z");
	assert_string_equal(o->met_at, "2024-05-02T10:00:00Z");
	o = must(l, FSY_OBL_RECORD, NULL, "2024-05-04");
	assert_int_equal(o->status, FSY_OBL_LATE); /* 24 h and a second */
	o = must(l, FSY_OBL_RECORD, NULL, "2024-05-06");
	assert_int_equal(o->status, FSY_OBL_MISSED); /* no record time */
	fsy_obl_list_free(l);

	l = list(st, "cv", "2024-05-30");
	o = must(l, FSY_OBL_RECORD, NULL, "2024-05-07");
	assert_int_equal(o->status, FSY_OBL_LATE);
	fsy_obl_list_free(l);
	fsy_store_close(st);
}

/* ---- survival and maturity ---------------------------------------------- */

static void
test_survival_maturity(void **state)
{
	(void)state;
	fsy_store_t *st = tu_open("surv.db", FSY_ROLE_HUB, NULL);
	fsy_obl_list_t *l;
	const fsy_obl_t *o;

	cust(st, "cs", "a1", NULL, 0, NULL, NULL);
	pol(st, "S1", "cs", "single", "inforce", NULL, NULL, "2024-07-01", "2024-09-30", 0);
	pol(st, "S2", "cs", "single", "surrendered", NULL, NULL, "2024-07-01", "2024-09-30", 0);
	pol(st, "S3", "cs", "single", "inforce", NULL, NULL, "2024-08-01", NULL, 0);
	touch(st, "s1", "cs", "a1", "2024-06-01T00:00:00Z", "wechat", "survival_notice", "S1");
	touch(st, "s3", "cs", "a1", "2024-07-01T23:59:59Z", "wechat", "survival_notice", "S3");

	l = list(st, "cs", "2024-06-01");
	o = must(l, FSY_OBL_SURVIVAL, "S1", "2024-07-01");
	assert_int_equal(o->status, FSY_OBL_MET); /* 30 days before */
	assert_string_equal(o->start, "2024-06-01");
	assert_null(find(l, FSY_OBL_MATURITY, "S1", NULL)); /* not open yet */
	fsy_obl_list_free(l);

	l = list(st, "cs", "2024-10-05");
	assert_int_equal(must(l, FSY_OBL_SURVIVAL, "S1", NULL)->status, FSY_OBL_MET);
	o = must(l, FSY_OBL_MATURITY, "S1", "2024-09-30");
	assert_int_equal(o->status, FSY_OBL_OVERDUE);
	assert_string_equal(o->start, "2024-08-31");
	assert_null(find(l, FSY_OBL_SURVIVAL, "S2", NULL));
	assert_null(find(l, FSY_OBL_MATURITY, "S2", NULL));
	/* a day before the window opens: does not count */
	assert_int_equal(must(l, FSY_OBL_SURVIVAL, "S3", NULL)->status, FSY_OBL_OVERDUE);
	fsy_obl_list_free(l);

	l = list(st, "cs", "2024-07-15");
	assert_int_equal(must(l, FSY_OBL_SURVIVAL, "S3", "2024-08-01")->status, FSY_OBL_OPEN);
	fsy_obl_list_free(l);
	/* told after the end date: late */
	touch(st, "s4", "cs", "a1", "2024-10-08T09:00:00Z", "phone", "survival_notice", NULL);
	l = list(st, "cs", "2024-10-08");
	o = must(l, FSY_OBL_MATURITY, "S1", NULL);
	assert_int_equal(o->status, FSY_OBL_LATE);
	assert_string_equal(o->visit_id, U("s4"));
	assert_int_equal(must(l, FSY_OBL_SURVIVAL, "S3", NULL)->status, FSY_OBL_LATE);
	fsy_obl_list_free(l);
	fsy_store_close(st);
}

/* ---- company news, new products, service festival ----------------------- */

static void
test_periodic(void **state)
{
	(void)state;
	fsy_store_t *st = tu_open("per.db", FSY_ROLE_HUB, NULL);
	fsy_obl_list_t *l;
	const fsy_obl_t *o;

	cust(st, "cn", "a1", NULL, 0, NULL, NULL);
	touch(st, "n1", "cn", "a1", "2024-03-01T01:00:00Z", "wechat", "company_news", NULL);
	touch(st, "n2", "cn", "a1", "2024-03-01T05:00:00Z", "sms", "company_news", NULL);
	touch(st, "p1", "cn", "a1", "2024-04-01T01:00:00Z", "visit", "new_product", NULL);
	touch(st, "p2", "cn", "a1", "2024-08-01T01:00:00Z", "wechat", "new_product", NULL);
	touch(st, "sf1", "cn", "a1", "2024-04-10T01:00:00Z", "phone", "service_festival", NULL);
	touch(st, "sf2", "cn", "a1", "2024-09-10T01:00:00Z", "sms", "service_festival", NULL);

	l = list(st, "cn", "2025-01-02");
	o = must(l, FSY_OBL_NEWS, NULL, "2024-12-31");
	assert_int_equal(o->progress, 1); /* two on one day count once */
	assert_int_equal(o->status, FSY_OBL_MISSED);
	o = must(l, FSY_OBL_PRODUCT, NULL, "2024-12-31");
	assert_int_equal(o->status, FSY_OBL_MET);
	assert_string_equal(o->visit_id, U("p2"));
	o = must(l, FSY_OBL_SERVICE_FEST, NULL, "2024-06-30");
	assert_int_equal(o->status, FSY_OBL_MET);
	assert_string_equal(o->start, "2024-01-01");
	o = must(l, FSY_OBL_SERVICE_FEST, NULL, "2024-12-31");
	assert_string_equal(o->start, "2024-07-01");
	assert_int_equal(o->status, FSY_OBL_MISSED); /* an SMS is no invitation */
	o = must(l, FSY_OBL_NEWS, NULL, "2025-12-31");
	assert_int_equal(o->status, FSY_OBL_OPEN);
	assert_int_equal(must(l, FSY_OBL_PRODUCT, NULL, "2025-12-31")->status, FSY_OBL_OPEN);
	/* the second half of 2025 has not begun */
	assert_null(find(l, FSY_OBL_SERVICE_FEST, NULL, "2025-12-31"));
	assert_int_equal(must(l, FSY_OBL_SERVICE_FEST, NULL, "2025-06-30")->status, FSY_OBL_OPEN);
	fsy_obl_list_free(l);

	/* one product touch is not enough; before the card, nothing is owed */
	cust(st, "cn2", "a1", NULL, 0, NULL, NULL);
	set_created(st, "cn2", "2024-03-01T00:00:00Z");
	touch(st, "q1", "cn2", "a1", "2024-08-01T01:00:00Z", "wechat", "new_product", NULL);
	l = list(st, "cn2", "2025-01-02");
	assert_null(find(l, FSY_OBL_PRODUCT, NULL, "2024-12-31"));
	assert_null(find(l, FSY_OBL_SERVICE_FEST, NULL, "2024-06-30"));
	assert_int_equal(must(l, FSY_OBL_SERVICE_FEST, NULL, "2024-12-31")->status, FSY_OBL_MISSED);
	fsy_obl_list_free(l);
	set_created(st, "cn2", "2023-12-31");
	l = list(st, "cn2", "2025-01-02");
	o = must(l, FSY_OBL_PRODUCT, NULL, "2024-12-31");
	assert_int_equal(o->status, FSY_OBL_MISSED);
	assert_int_equal(o->progress, 1);
	fsy_obl_list_free(l);
	fsy_store_close(st);
}

static void
test_time_zone(void **state)
{
	(void)state;
	fsy_store_t *st = tu_open("tz.db", FSY_ROLE_HUB, NULL);
	fsy_obl_when_t w = { "2025-01-02", 480 };
	fsy_obl_list_t *l = NULL;

	cust(st, "ct", "a1", NULL, 0, NULL, NULL);
	touch(st, "t1", "ct", "a1", "2024-06-01T00:00:00Z", "wechat", "company_news", NULL);
	touch(st, "t2", "ct", "a1", "2024-12-31T20:00:00Z", "wechat", "company_news", NULL);
	l = list(st, "ct", "2025-01-02");
	assert_int_equal(must(l, FSY_OBL_NEWS, NULL, "2024-12-31")->status, FSY_OBL_MET);
	fsy_obl_list_free(l);
	/* at UTC+8 the second touch falls on 1 January */
	assert_int_equal(fsy_obl_customer(st, U("ct"), &w, &l, NULL, 0), FSY_OK);
	assert_int_equal(must(l, FSY_OBL_NEWS, NULL, "2024-12-31")->status, FSY_OBL_MISSED);
	assert_int_equal(must(l, FSY_OBL_NEWS, NULL, "2025-12-31")->progress, 1);
	assert_string_equal(must(l, FSY_OBL_NEWS, NULL, "2025-12-31")->due_at, "2025-12-31T15:59:59Z");
	fsy_obl_list_free(l);
	fsy_store_close(st);
}

/* ---- agenda ------------------------------------------------------------- */

static void
test_agenda_buckets(void **state)
{
	(void)state;
	fsy_store_t *st = tu_open("agenda.db", FSY_ROLE_HUB, NULL);
	fsy_obl_when_t w = when("2024-05-20");
	fsy_obl_agenda_t *a = NULL;
	json_t *j;

	cust(st, "g1", "a1", NULL, 0, NULL, NULL);
	cust(st, "g2", "a2", NULL, 0, NULL, NULL);
	pol(st, "GA", "g1", "annual", "inforce", "2022-05-20", "2024-05-20", "2024-05-27", NULL, 0);
	pol(st, "GB", "g1", "single", "inforce", NULL, NULL, "2024-05-28", NULL, 0);
	pol(st, "GC", "g1", "single", "inforce", "2024-05-01", NULL, NULL, NULL, 0);
	pol(st, "GD", "g2", "single", "inforce", "2024-05-01", NULL, NULL, NULL, 0);

	assert_int_equal(fsy_obl_agenda(st, "a1", &w, &a, NULL, 0), FSY_OK);
	assert_string_equal(a->agent_id, "a1");
	assert_int_equal(a->n_overdue, 1);
	assert_int_equal(a->overdue[0].kind, FSY_OBL_DELIVERY);
	assert_string_equal(a->overdue[0].policy_id, U("GC"));
	assert_string_equal(a->overdue[0].due, "2024-05-11");
	assert_int_equal(a->n_today, 1);
	assert_int_equal(a->today[0].kind, FSY_OBL_RENEWAL);
	assert_string_equal(a->today[0].policy_id, U("GA"));
	assert_int_equal(a->n_soon, 1); /* the 28th is 8 days out */
	assert_int_equal(a->soon[0].kind, FSY_OBL_SURVIVAL);
	assert_string_equal(a->soon[0].due, "2024-05-27");
	assert_int_equal(a->list.n, 3);

	j = fsy_obl_agenda_json(a);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(j, "agent_id")), "a1");
	assert_int_equal(json_array_size(json_object_get(j, "overdue")), 1);
	assert_int_equal(json_array_size(json_object_get(j, "today")), 1);
	assert_int_equal(json_array_size(json_object_get(j, "soon")), 1);
	assert_string_equal(json_string_value(json_object_get(
	    json_array_get(json_object_get(j, "today"), 0), "kind")), "renewal");
	assert_true(json_is_null(json_object_get(
	    json_array_get(json_object_get(j, "today"), 0), "met_at")));
	json_decref(j);
	fsy_obl_agenda_free(a);

	/* an unknown agent has nothing to do */
	assert_int_equal(fsy_obl_agenda(st, "nobody", &w, &a, NULL, 0), FSY_OK);
	assert_int_equal(a->list.n, 0);
	fsy_obl_agenda_free(a);
	fsy_store_close(st);
}

/* ---- coverage ----------------------------------------------------------- */

static const fsy_obl_cov_row_t *
row(const fsy_obl_cov_row_t *rows, size_t n, const char *id)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (id == NULL ? rows[i].id == NULL :
		    (rows[i].id != NULL && strcmp(rows[i].id, id) == 0))
			return &rows[i];
	fail_msg("no coverage row %s", id ? id : "(none)");
	abort(); /* not reached: fail_msg does not return */
}

static void
assert_sums(const fsy_obl_coverage_t *c)
{
	const fsy_obl_cov_row_t *lv[3] = { c->agents, c->teams, c->branches };
	size_t nl[3] = { c->n_agents, c->n_teams, c->n_branches };
	int level, k;
	size_t i;

	for (level = 0; level < 3; level++) {
		fsy_obl_tally_t sum[FSY_OBL_NKINDS + 1];

		memset(sum, 0, sizeof(sum));
		for (i = 0; i < nl[level]; i++) {
			const fsy_obl_cov_row_t *r = &lv[level][i];
			fsy_obl_tally_t kt = { 0, 0, 0 };

			for (k = 0; k < FSY_OBL_NKINDS; k++) {
				sum[k].due += r->kind[k].due;
				sum[k].met += r->kind[k].met;
				sum[k].late += r->kind[k].late;
				kt.due += r->kind[k].due;
				kt.met += r->kind[k].met;
				kt.late += r->kind[k].late;
			}
			/* a row's kinds add up to its total */
			assert_int_equal(kt.due, r->total.due);
			assert_int_equal(kt.met, r->total.met);
			assert_int_equal(kt.late, r->total.late);
			sum[FSY_OBL_NKINDS].due += r->total.due;
			sum[FSY_OBL_NKINDS].met += r->total.met;
		}
		for (k = 0; k < FSY_OBL_NKINDS; k++) {
			assert_int_equal(sum[k].due, c->total.kind[k].due);
			assert_int_equal(sum[k].met, c->total.kind[k].met);
			assert_int_equal(sum[k].late, c->total.kind[k].late);
		}
		assert_int_equal(sum[FSY_OBL_NKINDS].due, c->total.total.due);
		assert_int_equal(sum[FSY_OBL_NKINDS].met, c->total.total.met);
	}
}

static void
test_coverage_groups(void **state)
{
	(void)state;
	fsy_store_t *st = tu_open("cov.db", FSY_ROLE_HUB, NULL);
	fsy_obl_when_t w = when("2024-06-30");
	fsy_obl_coverage_t *c = NULL;
	const fsy_obl_cov_row_t *r;
	json_t *j;

	org(st);
	/* a1: delivery met; half-year invitation missed; its record met */
	cust(st, "k1", "a1", NULL, 0, NULL, NULL);
	pol(st, "K1", "k1", "single", "inforce", "2024-02-01", NULL, NULL, NULL, 0);
	touch(st, "kv1", "k1", "a1", "2024-02-05T09:00:00Z", "visit", "delivery", "K1");
	/* a2: delivery overdue; invitation missed */
	cust(st, "k2", "a2", NULL, 0, NULL, NULL);
	pol(st, "K2", "k2", "single", "inforce", "2024-03-01", NULL, NULL, NULL, 0);
	/* a3: invitation met; company news met early (counted though due
	 * after the as-of day); three records met */
	cust(st, "k3", "a3", NULL, 0, NULL, NULL);
	touch(st, "kv3", "k3", "a3", "2024-04-01T09:00:00Z", "phone", "service_festival", NULL);
	touch(st, "kv4", "k3", "a3", "2024-02-01T09:00:00Z", "wechat", "company_news", NULL);
	touch(st, "kv5", "k3", "a3", "2024-03-01T09:00:00Z", "wechat", "company_news", NULL);
	/* a4: renewal met late, a renewal not yet open, invitation missed */
	cust(st, "k4", "a4", NULL, 0, NULL, NULL);
	pol(st, "K4", "k4", "annual", "inforce", "2020-06-15", "2024-06-15", NULL, NULL, 0);
	pol(st, "K5", "k4", "annual", "inforce", "2020-09-01", "2024-09-01", NULL, NULL, 0);
	touch(st, "kv6", "k4", "a4", "2024-06-20T09:00:00Z", "phone", "renewal", "K4");
	/* an owner missing from the roster */
	cust(st, "k5", "a9", NULL, 0, NULL, NULL);
	tu_exec(st, "UPDATE customer SET created_at = '2023-06-01T00:00:00Z'");

	assert_int_equal(fsy_obl_coverage(st, "2024-01-01", "2024-12-31", &w, &c, NULL, 0), FSY_OK);
	assert_string_equal(c->from, "2024-01-01");
	assert_string_equal(c->asof, "2024-06-30");
	assert_int_equal(c->total.total.due, 14);
	assert_int_equal(c->total.total.met, 8);
	assert_int_equal(c->total.total.late, 1);
	assert_int_equal(c->n_agents, 5);
	assert_int_equal(c->n_teams, 4);
	assert_int_equal(c->n_branches, 3);
	/* sorted by code, the unknown last */
	assert_string_equal(c->agents[0].id, "a1");
	assert_null(c->agents[4].code);
	assert_string_equal(c->agents[4].id, "a9");
	assert_null(c->teams[3].id);
	assert_null(c->branches[2].id);

	r = row(c->agents, c->n_agents, "a1");
	assert_int_equal(r->total.due, 3);
	assert_int_equal(r->total.met, 2);
	assert_int_equal(r->kind[FSY_OBL_DELIVERY].met, 1);
	assert_int_equal(r->kind[FSY_OBL_SERVICE_FEST].due, 1);
	assert_int_equal(r->kind[FSY_OBL_SERVICE_FEST].met, 0);
	assert_string_equal(r->code, "A01");
	assert_string_equal(r->team_id, "T1");
	assert_string_equal(r->branch_id, "B1");
	r = row(c->agents, c->n_agents, "a2");
	assert_int_equal(r->total.due, 2);
	assert_int_equal(r->total.met, 0);
	r = row(c->agents, c->n_agents, "a3");
	assert_int_equal(r->total.due, 5);
	assert_int_equal(r->total.met, 5);
	assert_int_equal(r->kind[FSY_OBL_NEWS].due, 1);
	assert_int_equal(r->kind[FSY_OBL_PRODUCT].due, 0); /* open: not counted */
	r = row(c->agents, c->n_agents, "a4");
	assert_int_equal(r->total.due, 3);
	assert_int_equal(r->total.met, 1);
	assert_int_equal(r->kind[FSY_OBL_RENEWAL].due, 1);
	assert_int_equal(r->kind[FSY_OBL_RENEWAL].late, 1);
	r = row(c->agents, c->n_agents, "a9");
	assert_null(r->team_id);
	assert_int_equal(r->total.due, 1);

	r = row(c->teams, c->n_teams, "T1");
	assert_int_equal(r->total.due, 5);
	assert_int_equal(r->total.met, 2);
	assert_string_equal(r->branch_id, "B1");
	assert_string_equal(r->name, "East one");
	assert_int_equal(row(c->teams, c->n_teams, "T2")->total.due, 5);
	assert_int_equal(row(c->teams, c->n_teams, NULL)->total.due, 1);
	r = row(c->branches, c->n_branches, "B1");
	assert_int_equal(r->total.due, 10);
	assert_int_equal(r->total.met, 7);
	assert_string_equal(r->code, "B1");
	r = row(c->branches, c->n_branches, "B2");
	assert_int_equal(r->total.due, 3);
	assert_int_equal(r->total.met, 1);
	assert_sums(c);
	assert_true(fsy_obl_share(&c->total.total) > 0.571 &&
	    fsy_obl_share(&c->total.total) < 0.572);

	j = fsy_obl_coverage_json(c);
	assert_non_null(j);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(j, "total"), "due")), 14);
	assert_int_equal(json_array_size(json_object_get(j, "agents")), 5);
	assert_true(json_is_null(json_object_get(
	    json_array_get(json_object_get(j, "teams"), 3), "id")));
	assert_int_equal(json_integer_value(json_object_get(json_object_get(
	    json_object_get(json_object_get(j, "total"), "kinds"), "renewal"),
	    "late")), 1);
	json_decref(j);
	fsy_obl_coverage_free(c);

	/* a period before the cards were made: nothing was owed */
	assert_int_equal(fsy_obl_coverage(st, "2010-01-01", "2010-12-31", &w, &c, NULL, 0), FSY_OK);
	assert_int_equal(c->total.total.due, 0);
	assert_true(fsy_obl_share(&c->total.total) < 0);
	fsy_obl_coverage_free(c);
	fsy_store_close(st);
}

/* ---- a reference model: coverage and agendas against customer lists ---- */

static uint64_t rng = 88172645463325252ULL;

static unsigned
rnd(unsigned n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (unsigned)(rng % n);
}

static void
rnd_day(char out[11], int from_year)
{
	snprintf(out, 11, "%04d-%02u-%02u", from_year + (int)rnd(3),
	    1 + rnd(12), 1 + rnd(28));
}

static void
fill_random(fsy_store_t *st, int ncust)
{
	static const char *const agents[] = { "a1", "a2", "a3", "a4", "a5" };
	static const char *const modes[] = { "annual", "half", "quarter", "monthly", "single" };
	static const char *const states[] = { "inforce", "grace", "lapsed", "paid_up", "matured" };
	static const char *const chans[] = { "visit", "phone", "wechat", "sms", "event" };
	static const char *const topics[] = {
		"general", "birthday", "spring_festival", "mid_autumn",
		"national_day", "mothers_day", "fathers_day", "company_news",
		"new_product", "renewal", "delivery", "first_contact",
		"survival_notice", "service_festival", "claim",
	};
	char id[32], pid[32], vid[40], d1[11], d2[11], d3[11], at[32], rec[96];
	int i, j;

	org(st);
	tu_exec(st, "BEGIN");
	for (i = 0; i < ncust; i++) {
		const char *owner = agents[rnd(5)];
		const char *prev = agents[rnd(5)];

		snprintf(id, sizeof(id), "c%03d", i);
		rnd_day(d1, 2023);
		snprintf(at, sizeof(at), "%sT%02u:00:00Z", d1, rnd(24));
		cust(st, id, owner, rnd(2) ? at : NULL, (int)rnd(6),
		    rnd(4) == 0 ? "gold" : NULL, rnd(2) ? "1980-05-20" : NULL);
		if (fsy_store_role(st) == FSY_ROLE_HUB && rnd(3) == 0) {
			hist(st, id, NULL, prev, "2023-01-01T00:00:00Z");
			hist(st, id, prev, owner, at);
		}
		for (j = (int)rnd(4); j > 0; j--) {
			snprintf(pid, sizeof(pid), "%s-p%d", id, j);
			rnd_day(d1, 2022);
			rnd_day(d2, 2024);
			rnd_day(d3, 2024);
			pol(st, pid, id, modes[rnd(5)], states[rnd(5)], d1,
			    rnd(5) ? d2 : NULL, rnd(3) ? NULL : d3,
			    rnd(3) ? NULL : d2, rnd(8) == 0 ? 1 : rnd(6) == 0 ? 2 : 0);
		}
		for (j = (int)rnd(25); j > 0; j--) {
			int64_t delay = rnd(4) == 0 ? 86400 + rnd(86400) : rnd(86401);

			snprintf(vid, sizeof(vid), "%s-v%d", id, j);
			snprintf(pid, sizeof(pid), "%s-p%d", id, 1 + (int)rnd(3));
			rnd_day(d1, 2023);
			snprintf(at, sizeof(at), "%sT%02u:%02u:00Z", d1, rnd(24), rnd(60));
			snprintf(rec, sizeof(rec), "datetime('%s', '+%d seconds')", at, (int)delay);
			{
				char sql[768];

				snprintf(sql, sizeof(sql),
				    "INSERT INTO visit(id, customer_id, agent_id,"
				    " happened_at, recorded_at, channel, topic,"
				    " policy_id) VALUES ('%s','%s','%s','%s',"
				    " strftime('%%Y-%%m-%%dT%%H:%%M:%%SZ', %s),"
				    " '%s','%s',%s)",
				    U(vid), U(id), rnd(4) ? owner : agents[rnd(5)],
				    at, rec, chans[rnd(5)], topics[rnd(15)],
				    rnd(2) ? q(U(pid)) : "NULL");
				tu_exec(st, sql);
			}
		}
	}
	tu_exec(st, "COMMIT");
}

static void
check_against_lists(fsy_store_t *st, const char *asof)
{
	fsy_obl_when_t w = when(asof);
	fsy_obl_coverage_t *c = NULL;
	fsy_obl_tally_t model[8][FSY_OBL_NKINDS];
	static const char *const agents[] = { "a1", "a2", "a3", "a4", "a5" };
	size_t nmodel_agenda[5] = { 0 };
	size_t nstatus[FSY_OBL_NSTATUS] = { 0 }, nkind[FSY_OBL_NKINDS] = { 0 };
	sqlite3_stmt *s;
	char from[11];
	int a, k;

	/* the period that begins exactly one look-back before as-of */
	snprintf(from, sizeof(from), "%s",
	    tu_text(st, "SELECT date('2024-12-31', '-365 days')"));
	memset(model, 0, sizeof(model));
	assert_int_equal(sqlite3_prepare_v2(fsy_store_db(st),
	    "SELECT id, owner_agent_id FROM customer ORDER BY id", -1, &s, NULL), SQLITE_OK);
	while (sqlite3_step(s) == SQLITE_ROW) {
		char cid[40], owner[8];
		fsy_obl_list_t *l;
		size_t i;

		snprintf(cid, sizeof(cid), "%s", sqlite3_column_text(s, 0));
		snprintf(owner, sizeof(owner), "%s", sqlite3_column_text(s, 1));
		l = list_raw(st, cid, asof);
		for (i = 0; i < l->n; i++) {
			const fsy_obl_t *o = &l->items[i];

			assert_true(o->agent_id[0] == 'a');
			a = o->agent_id[1] - '1';
			assert_true(a >= 0 && a < 5);
			nstatus[o->status]++;
			nkind[o->kind]++;
			if (strcmp(o->due, asof) <= 0) {
				model[a][o->kind].due++;
				model[a][o->kind].met += o->status == FSY_OBL_MET;
				model[a][o->kind].late += o->status == FSY_OBL_LATE;
			}
			/* what the owner's agenda must show */
			if (strcmp(o->agent_id, owner) == 0 &&
			    (o->status == FSY_OBL_OVERDUE ||
			    (o->status == FSY_OBL_OPEN &&
			    strcmp(o->due, "2025-01-07") <= 0)))
				nmodel_agenda[a]++;
			/* statuses agree with dates */
			if (o->status == FSY_OBL_OPEN)
				assert_true(strcmp(o->due, asof) >= 0);
			if (o->status == FSY_OBL_OVERDUE || o->status == FSY_OBL_MISSED)
				assert_true(strcmp(o->due, asof) < 0);
			if (o->status == FSY_OBL_MET && o->kind != FSY_OBL_RECORD)
				assert_true(strncmp(o->met_at, o->due, 10) <= 0 &&
				    strncmp(o->met_at, o->start, 10) >= 0);
			assert_true(strcmp(o->start, asof) <= 0);
		}
		fsy_obl_list_free(l);
	}
	sqlite3_finalize(s);
	/* the random data exercises every status and kind */
	for (k = 0; k < FSY_OBL_NSTATUS; k++)
		assert_true(nstatus[k] > 0);
	for (k = 0; k < FSY_OBL_NKINDS; k++)
		assert_true(nkind[k] > 0);

	assert_int_equal(fsy_obl_coverage(st, from, asof, &w, &c, NULL, 0), FSY_OK);
	assert_sums(c);
	for (a = 0; a < 5; a++) {
		const fsy_obl_cov_row_t *r = NULL;
		size_t i;

		for (i = 0; i < c->n_agents; i++)
			if (strcmp(c->agents[i].id, agents[a]) == 0)
				r = &c->agents[i];
		assert_non_null(r);
		for (k = 0; k < FSY_OBL_NKINDS; k++) {
			assert_int_equal(r->kind[k].due, model[a][k].due);
			assert_int_equal(r->kind[k].met, model[a][k].met);
			assert_int_equal(r->kind[k].late, model[a][k].late);
		}
	}
	fsy_obl_coverage_free(c);

	for (a = 0; a < 5; a++) {
		fsy_obl_agenda_t *ag = NULL;

		assert_int_equal(fsy_obl_agenda(st, agents[a], &w, &ag, NULL, 0), FSY_OK);
		assert_int_equal(ag->list.n, nmodel_agenda[a]);
		assert_int_equal(ag->n_overdue + ag->n_today + ag->n_soon, ag->list.n);
		fsy_obl_agenda_free(ag);
	}
}

static void
test_model_hub(void **state)
{
	(void)state;
	fsy_store_t *st = tu_open("model-hub.db", FSY_ROLE_HUB, NULL);

	fill_random(st, 120);
	check_against_lists(st, "2024-12-31");
	fsy_store_close(st);
}

static void
test_model_replica(void **state)
{
	(void)state;
	fsy_store_t *st = tu_open("model-rep.db", FSY_ROLE_AGENT, NULL);

	fill_random(st, 60);
	check_against_lists(st, "2024-12-31");
	fsy_store_close(st);
}

/* The same customer on a hub (no history) and on its owner's replica. */
static void
same_data(fsy_store_t *st)
{
	cust(st, "cc", "a1", "2024-03-01T08:00:00Z", 4, NULL, "1972-02-29");
	pol(st, "Q1", "cc", "quarter", "inforce", "2023-01-15", "2024-07-15", "2024-08-01", "2030-01-15", 0);
	touch(st, "u1", "cc", "a1", "2024-03-10T08:00:00Z", "visit", "first_contact", NULL);
	touch(st, "u2", "cc", "a1", "2024-02-25T08:00:00Z", "sms", "birthday", NULL);
	touch(st, "u3", "cc", "a1", "2024-06-20T08:00:00Z", "phone", "renewal", NULL);
	visit(st, "u4", "cc", "a1", "2024-06-25T08:00:00Z", "2024-06-27T08:00:00Z", "wechat", "claim", "Q1");
}

static void
test_hub_and_replica_agree(void **state)
{
	(void)state;
	fsy_store_t *hub = tu_open("agree-hub.db", FSY_ROLE_HUB, NULL);
	fsy_store_t *rep = tu_open("agree-rep.db", FSY_ROLE_AGENT, NULL);
	fsy_obl_list_t *lh, *lr;
	size_t i;

	same_data(hub);
	same_data(rep);
	lh = list(hub, "cc", "2024-07-01");
	lr = list(rep, "cc", "2024-07-01");
	assert_int_equal(lh->n, lr->n);
	for (i = 0; i < lh->n; i++) {
		assert_int_equal(lh->items[i].kind, lr->items[i].kind);
		assert_int_equal(lh->items[i].status, lr->items[i].status);
		assert_string_equal(lh->items[i].due, lr->items[i].due);
		assert_string_equal(lh->items[i].agent_id, lr->items[i].agent_id);
	}
	assert_int_equal(must(lh, FSY_OBL_FIRST_CONTACT, NULL, NULL)->status, FSY_OBL_MET);
	/* born 29 Feb: in 2024 the birthday is the 29th, touch 4 days early */
	assert_int_equal(must(lh, FSY_OBL_FESTIVAL, NULL, NULL)->progress, 1);
	/* quarterly: 15 April's reminder missed, 15 July's met on 20 June */
	assert_int_equal(must(lh, FSY_OBL_RENEWAL, "Q1", "2024-04-15")->status, FSY_OBL_MISSED);
	assert_int_equal(must(lh, FSY_OBL_RENEWAL, "Q1", "2024-07-15")->status, FSY_OBL_MET);
	assert_string_equal(must(lh, FSY_OBL_RENEWAL, "Q1", "2024-07-15")->start, "2024-06-15");
	assert_int_equal(must(lh, FSY_OBL_RECORD, NULL, "2024-06-26")->status, FSY_OBL_LATE);
	fsy_obl_list_free(lh);
	fsy_obl_list_free(lr);
	fsy_store_close(hub);
	fsy_store_close(rep);
}

/* ---- arguments ---------------------------------------------------------- */

static void
test_bad_arguments(void **state)
{
	(void)state;
	fsy_store_t *st = tu_open("args.db", FSY_ROLE_HUB, NULL);
	fsy_obl_when_t w = when("2024-13-01");
	fsy_obl_list_t *l = NULL;
	fsy_obl_agenda_t *a = NULL;
	fsy_obl_coverage_t *c = NULL;
	char err[256], longid[80];
	json_t *j;

	cust(st, "c1", "a1", NULL, 0, NULL, NULL);
	assert_int_equal(fsy_obl_customer(st, U("c1"), &w, &l, err, sizeof(err)), FSY_EINVAL);
	assert_null(l);
	assert_non_null(strstr(err, "as-of day"));
	assert_non_null(strstr(err, "2024-13-01"));
	w.asof = "2024-06-01T00:00:00Z"; /* a time is not a day */
	assert_int_equal(fsy_obl_agenda(st, "a1", &w, &a, err, sizeof(err)), FSY_EINVAL);
	assert_null(a);
	w.asof = "2024-06-01";
	w.tz_min = 900;
	assert_int_equal(fsy_obl_customer(st, U("c1"), &w, &l, err, sizeof(err)), FSY_EINVAL);
	assert_non_null(strstr(err, "time zone"));
	w.tz_min = 0;
	assert_int_equal(fsy_obl_customer(st, "nope", &w, &l, err, sizeof(err)), FSY_ENOTFOUND);
	assert_null(l);
	assert_non_null(strstr(err, "nope"));
	memset(longid, 'x', sizeof(longid) - 1);
	longid[sizeof(longid) - 1] = '\0';
	assert_int_equal(fsy_obl_agenda(st, longid, &w, &a, err, sizeof(err)), FSY_EINVAL);
	assert_int_equal(fsy_obl_agenda(st, NULL, &w, &a, err, sizeof(err)), FSY_EINVAL);
	assert_int_equal(fsy_obl_coverage(st, "2024-12-31", "2024-01-01", &w, &c, err, sizeof(err)), FSY_EINVAL);
	assert_null(c);
	assert_non_null(strstr(err, "start after end"));
	assert_int_equal(fsy_obl_coverage(st, "2024-01-01", "tomorrow", &w, &c, err, sizeof(err)), FSY_EINVAL);
	assert_non_null(strstr(err, "period end"));

	/* names round-trip; the list renders */
	assert_int_equal(fsy_obl_kind_parse("renewal"), FSY_OBL_RENEWAL);
	assert_int_equal(fsy_obl_kind_parse("nope"), FSY_EINVAL);
	assert_string_equal(fsy_obl_kind_name(FSY_OBL_RECORD), "visit_record");
	assert_string_equal(fsy_obl_status_name(FSY_OBL_MISSED), "missed");
	l = list(st, "c1", "2024-06-01");
	j = fsy_obl_list_json(l);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(j, "asof")), "2024-06-01");
	assert_int_equal(json_array_size(json_object_get(j, "obligations")), l->n);
	json_decref(j);
	fsy_obl_list_free(l);
	fsy_obl_list_free(NULL);
	fsy_obl_agenda_free(NULL);
	fsy_obl_coverage_free(NULL);
	fsy_store_close(st);
}

static int
teardown(void **state)
{
	(void)state;
	tu_cleanup();
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_festival_tiers),
		cmocka_unit_test(test_renewal),
		cmocka_unit_test(test_renewal_schedule),
		cmocka_unit_test(test_delivery),
		cmocka_unit_test(test_first_contact_transfer),
		cmocka_unit_test(test_visit_record_24h),
		cmocka_unit_test(test_survival_maturity),
		cmocka_unit_test(test_periodic),
		cmocka_unit_test(test_time_zone),
		cmocka_unit_test(test_agenda_buckets),
		cmocka_unit_test(test_coverage_groups),
		cmocka_unit_test(test_model_hub),
		cmocka_unit_test(test_model_replica),
		cmocka_unit_test(test_hub_and_replica_agree),
		cmocka_unit_test(test_bad_arguments),
	};
	return cmocka_run_group_tests(tests, NULL, teardown);
}
