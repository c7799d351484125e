/* test_import.c — the core system's CSV import: round trip of a generated
 * data set, idempotent re-import, column-level updates, and every kind of
 * bad input rejected with file:line and nothing changed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "testutil.h"
#include "gendata.h"
#include "import.h"
#include "util.h"

/* ---- helpers ------------------------------------------------------------- */

static void
put(const char *dir, const char *name, const char *content)
{
	char path[600];
	FILE *f;

	mkdir(dir, 0777);
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(content, 1, strlen(content), f), strlen(content));
	assert_int_equal(fclose(f), 0);
}

/* A generated data set, made once per process. */
static const char *
gen_dir(fsy_gen_stats_t *stats)
{
	static fsy_gen_stats_t saved;
	static int made;
	const char *dir = tu_path("gen");

	if (!made) {
		fsy_gen_opts_t o;
		char err[256];
		fsy_gen_opts_init(&o);
		o.seed = 5;
		o.customers = 300;
		o.as_of = fsy_days_from_civil(2025, 6, 30);
		assert_int_equal(fsy_gen_opts_check(&o, err, sizeof(err)), FSY_OK);
		assert_int_equal(fsy_gen_write(&o, dir, &saved, err, sizeof(err)),
		    FSY_OK);
		made = 1;
	}
	if (stats)
		*stats = saved;
	return dir;
}

static int
import(fsy_store_t *st, const char *dir, fsy_import_report_t *rep, char *err,
    size_t n)
{
	return fsy_import_dir(st, dir, rep, err, n);
}

/* Everything an import could change, as one string. */
static const char *
snapshot(fsy_store_t *st)
{
	return tu_text(st,
	    "SELECT (SELECT count(*) FROM branch) || ',' || "
	    "(SELECT count(*) FROM team) || ',' || "
	    "(SELECT count(*) FROM agent) || ',' || "
	    "(SELECT count(*) FROM customer) || ',' || "
	    "(SELECT count(*) FROM person) || ',' || "
	    "(SELECT count(*) FROM policy) || ',' || "
	    "(SELECT count(*) FROM visit) || ',' || "
	    "(SELECT count(*) FROM col_version) || ',' || "
	    "(SELECT ifnull(max(gseq), 0) FROM col_version) || ',' || "
	    "(SELECT count(*) FROM audit) || ',' || "
	    "(SELECT ifnull(group_concat(name || phone || gender, ';'), '') "
	    "FROM (SELECT * FROM customer ORDER BY id)) || ',' || "
	    "(SELECT ifnull(group_concat(name || status, ';'), '') "
	    "FROM (SELECT * FROM agent ORDER BY id))");
}

static const char *const AGENTS_HDR =
    "agent_code,name,branch_code,branch_name,team_code,team_name,role,"
    "channel,status,hired_on,left_on,performance\n";
static const char *const CUSTOMERS_HDR =
    "customer_no,name,gender,birth_date,id_number,phone,address,"
    "occupation,income\n";
static const char *const PERSONS_HDR =
    "customer_no,relation,name,gender,birth_date,occupation,health_notes\n";
static const char *const POLICIES_HDR =
    "policy_no,customer_no,external,insurer,product,product_type,is_main,"
    "insured_name,pay_mode,modal_premium,payment_years,issue_date,"
    "next_due_date,end_date,survival_date,status,status_date,sum_assured,"
    "account_value,annuity_converted,beneficiary,soliciting_agent_code\n";
static const char *const VISITS_HDR =
    "customer_no,agent_code,happened_at,recorded_at,channel,topic,place,"
    "customer_said,next_step,policy_no\n";

/* The small valid data set the bad-input cases start from. */
static void
put_base(const char *dir)
{
	char buf[2048];

	snprintf(buf, sizeof(buf), "%s"
	    "T1,张伟,B1,北京分公司,TM1,营销一部,lead,agency,employed,2010-01-01,,90\n"
	    "T2,李娜,B1,北京分公司,TM1,营销一部,agent,agency,departed,2012-01-01,"
	    "2020-05-01,50\n", AGENTS_HDR);
	put(dir, "agents.csv", buf);
	snprintf(buf, sizeof(buf), "%s"
	    "K1,王伟,M,1980-01-02,11010519800102029x,13800000000,北京市朝阳区,"
	    "教师,120000\n"
	    "K2,李静,F,1985-03-04,,,,,\n", CUSTOMERS_HDR);
	put(dir, "customers.csv", buf);
	snprintf(buf, sizeof(buf), "%s"
	    "K1,spouse,刘芳,F,1982-05-06,会计,\"高血压，\n服药控制\"\n",
	    PERSONS_HDR);
	put(dir, "persons.csv", buf);
	snprintf(buf, sizeof(buf), "%s"
	    "Q1,K1,0,,康宁终身重大疾病保险,critical_illness,1,王伟,monthly,300.5,"
	    "20,2020-01-01,2025-07-01,,,inforce,2020-01-01,300000,,0,法定,T1\n"
	    "Q2,K2,1,平安人寿,百万医疗保险,health,1,李静,annual,800,1,"
	    "2024-03-01,2025-03-01,2025-03-01,,inforce,,2000000,,,,\n",
	    POLICIES_HDR);
	put(dir, "policies.csv", buf);
	snprintf(buf, sizeof(buf), "%s"
	    "K1,T1,2024-05-01T02:00:00Z,2024-05-01T03:00:00Z,visit,delivery,"
	    "客户家中,\"说\"\"好的\"\", 谢谢\",,Q1\n"
	    "K1,T1,2024-06-01 02:00:00,2024-06-03T03:00:00Z,wechat,birthday,,,,\n",
	    VISITS_HDR);
	put(dir, "visits.csv", buf);
}

/* ---- round trip ---------------------------------------------------------- */

static void
test_round_trip(void **state)
{
	(void)state;
	fsy_gen_stats_t gs;
	const char *dir = gen_dir(&gs);
	fsy_store_t *st = tu_open("rt.db", FSY_ROLE_HUB, NULL);
	fsy_import_report_t rep;
	char err[512];

	assert_int_equal(import(st, dir, &rep, err, sizeof(err)), FSY_OK);
	assert_int_equal(rep.errors, 0);
	for (int f = 0; f < FSY_IMPORT_NFILES; f++) {
		assert_int_equal(rep.file[f].present, 1);
		assert_int_equal(rep.file[f].read, gs.rows[f]);
		assert_int_equal(rep.file[f].inserted, gs.rows[f]);
		assert_int_equal(rep.file[f].updated, 0);
		assert_int_equal(rep.file[f].unchanged, 0);
	}
	assert_int_equal(tu_int(st, "SELECT count(*) FROM customer"), 300);
	assert_int_equal(tu_int(st, "SELECT count(*) FROM agent"),
	    gs.rows[FSY_IMPORT_AGENTS]);
	assert_int_equal(tu_int(st, "SELECT count(*) FROM person"),
	    gs.rows[FSY_IMPORT_PERSONS]);
	assert_int_equal(tu_int(st, "SELECT count(*) FROM policy"),
	    gs.rows[FSY_IMPORT_POLICIES]);
	assert_int_equal(tu_int(st, "SELECT count(*) FROM visit"),
	    gs.rows[FSY_IMPORT_VISITS]);
	assert_int_equal(tu_int(st, "SELECT count(*) FROM branch"), 1);
	/* sales teams plus the service team, each sales team with its lead */
	assert_true(tu_int(st, "SELECT count(*) FROM team") >= 2);
	assert_int_equal(tu_int(st, "SELECT count(*) FROM team WHERE code <> "
	    "'BJ01T000' AND lead_agent_id IS NULL"), 0);

	/* annualised premium: monthly x12, quarterly x4, half x2, else x1 */
	assert_int_equal(tu_int(st, "SELECT count(*) FROM policy WHERE "
	    "annual_premium_fen <> modal_premium_fen * CASE pay_mode "
	    "WHEN 'monthly' THEN 12 WHEN 'quarter' THEN 4 WHEN 'half' THEN 2 "
	    "ELSE 1 END"), 0);
	assert_true(tu_int(st, "SELECT count(*) FROM policy WHERE pay_mode = "
	    "'monthly'") > 0);
	assert_int_equal(tu_int(st, "SELECT count(*) FROM policy WHERE "
	    "pay_mode = 'single' AND payment_years <> 0"), 0);

	/* pure and non-pure service-order customers both occur */
	assert_true(tu_int(st, "SELECT count(*) FROM customer c WHERE NOT "
	    "EXISTS (SELECT 1 FROM policy p JOIN agent a ON a.id = "
	    "p.soliciting_agent_id WHERE p.customer_id = c.id AND "
	    "p.external = 0 AND a.status = 'employed')") > 0);
	assert_true(tu_int(st, "SELECT count(*) FROM customer c WHERE "
	    "EXISTS (SELECT 1 FROM policy p JOIN agent a ON a.id = "
	    "p.soliciting_agent_id WHERE p.customer_id = c.id AND "
	    "p.external = 0 AND a.status = 'employed')") > 0);
	/* import assigns no owner, card or tier */
	assert_int_equal(tu_int(st, "SELECT count(*) FROM customer WHERE "
	    "owner_agent_id IS NOT NULL OR card_no IS NOT NULL OR star_level "
	    "IS NOT NULL OR vip_tier IS NOT NULL"), 0);

	/* ids come from the core keys: version 8 */
	char id[FSY_UUID_STRLEN + 1], sql[200];
	fsy_import_key_uuid("customer", "BJ01C000000001", 14, id);
	assert_int_equal(id[14], '8');
	assert_true(strchr("89ab", id[19]) != NULL);
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM customer WHERE id = "
	    "'%s' AND customer_id = id", id);
	assert_int_equal(tu_int(st, sql), 1);
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM policy WHERE "
	    "customer_id = '%s'", id);
	assert_true(tu_int(st, sql) >= 1);

	/* every written column replicates: col_version has them */
	assert_true(tu_int(st, "SELECT count(*) FROM col_version") >
	    tu_int(st, "SELECT count(*) FROM policy") * 10);
	assert_int_equal(tu_int(st, "SELECT count(*) FROM audit WHERE action "
	    "= 'import'"), 1);
	fsy_store_close(st);
}

static void
test_reimport_unchanged_writes_nothing(void **state)
{
	(void)state;
	fsy_gen_stats_t gs;
	const char *dir = gen_dir(&gs);
	fsy_store_t *st = tu_open("idem.db", FSY_ROLE_HUB, NULL);
	fsy_import_report_t rep;
	char err[512];
	int64_t nver, maxseq;

	assert_int_equal(import(st, dir, &rep, err, sizeof(err)), FSY_OK);
	nver = tu_int(st, "SELECT count(*) FROM col_version");
	maxseq = tu_int(st, "SELECT max(gseq) FROM col_version");

	assert_int_equal(import(st, dir, &rep, err, sizeof(err)), FSY_OK);
	for (int f = 0; f < FSY_IMPORT_NFILES; f++) {
		assert_int_equal(rep.file[f].inserted, 0);
		assert_int_equal(rep.file[f].updated, 0);
		assert_int_equal(rep.file[f].unchanged, gs.rows[f]);
	}
	assert_int_equal(tu_int(st, "SELECT count(*) FROM col_version"), nver);
	assert_int_equal(tu_int(st, "SELECT max(gseq) FROM col_version"), maxseq);

	/* a derived visit column recomputed by another module is no conflict */
	tu_exec(st, "UPDATE visit SET late = 1 - late WHERE rowid IN "
	    "(SELECT rowid FROM visit LIMIT 3)");
	maxseq = tu_int(st, "SELECT max(gseq) FROM col_version");
	assert_int_equal(import(st, dir, &rep, err, sizeof(err)), FSY_OK);
	assert_int_equal(rep.file[FSY_IMPORT_VISITS].unchanged,
	    gs.rows[FSY_IMPORT_VISITS]);
	assert_int_equal(tu_int(st, "SELECT max(gseq) FROM col_version"), maxseq);
	fsy_store_close(st);
}

/* One changed value is one written column: one new col_version row. An
 * agent's later edit survives re-imports until the core system changes. */
static void
test_reimport_writes_changed_columns_only(void **state)
{
	(void)state;
	const char *dir = tu_path("chg");
	fsy_store_t *st = tu_open("chg.db", FSY_ROLE_HUB, NULL);
	fsy_import_report_t rep;
	char err[512], id[FSY_UUID_STRLEN + 1], sql[256], buf[1024];
	int64_t seq;

	put_base(dir);
	assert_int_equal(import(st, dir, &rep, err, sizeof(err)), FSY_OK);
	fsy_import_key_uuid("customer", "K1", 2, id);
	seq = tu_int(st, "SELECT max(gseq) FROM col_version");

	/* the core system changes K1's phone */
	snprintf(buf, sizeof(buf), "%s"
	    "K1,王伟,M,1980-01-02,11010519800102029x,13911112222,北京市朝阳区,"
	    "教师,120000\n"
	    "K2,李静,F,1985-03-04,,,,,\n", CUSTOMERS_HDR);
	put(dir, "customers.csv", buf);
	assert_int_equal(import(st, dir, &rep, err, sizeof(err)), FSY_OK);
	assert_int_equal(rep.file[FSY_IMPORT_CUSTOMERS].updated, 1);
	assert_int_equal(rep.file[FSY_IMPORT_CUSTOMERS].unchanged, 1);
	assert_int_equal(rep.file[FSY_IMPORT_POLICIES].unchanged, 2);
	assert_int_equal(tu_int(st, "SELECT max(gseq) FROM col_version"), seq + 1);
	snprintf(sql, sizeof(sql), "SELECT val FROM col_version WHERE gseq = "
	    "%lld AND row_id = '%s'", (long long)seq + 1, id);
	assert_string_equal(tu_text(st, sql), "13911112222");

	/* an agent changes the phone; the unchanged file leaves it alone */
	snprintf(sql, sizeof(sql), "UPDATE customer SET phone = '13000000001' "
	    "WHERE id = '%s'", id);
	tu_exec(st, sql);
	seq = tu_int(st, "SELECT max(gseq) FROM col_version");
	assert_int_equal(import(st, dir, &rep, err, sizeof(err)), FSY_OK);
	assert_int_equal(rep.file[FSY_IMPORT_CUSTOMERS].updated, 0);
	assert_int_equal(tu_int(st, "SELECT max(gseq) FROM col_version"), seq);
	snprintf(sql, sizeof(sql), "SELECT phone FROM customer WHERE id = '%s'",
	    id);
	assert_string_equal(tu_text(st, sql), "13000000001");

	/* the core system changes it again: the core system wins */
	snprintf(buf, sizeof(buf), "%s"
	    "K1,王伟,M,1980-01-02,11010519800102029x,13922223333,北京市朝阳区,"
	    "教师,120000\n"
	    "K2,李静,F,1985-03-04,,,,,\n", CUSTOMERS_HDR);
	put(dir, "customers.csv", buf);
	assert_int_equal(import(st, dir, &rep, err, sizeof(err)), FSY_OK);
	assert_int_equal(rep.file[FSY_IMPORT_CUSTOMERS].updated, 1);
	assert_string_equal(tu_text(st, sql), "13922223333");
	assert_int_equal(tu_int(st, "SELECT max(gseq) FROM col_version"), seq + 1);

	/* a premium change: modal and annual premium, two columns */
	seq = tu_int(st, "SELECT max(gseq) FROM col_version");
	snprintf(buf, sizeof(buf), "%s"
	    "Q1,K1,0,,康宁终身重大疾病保险,critical_illness,1,王伟,monthly,310,"
	    "20,2020-01-01,2025-07-01,,,inforce,2020-01-01,300000,,0,法定,T1\n"
	    "Q2,K2,1,平安人寿,百万医疗保险,health,1,李静,annual,800,1,"
	    "2024-03-01,2025-03-01,2025-03-01,,inforce,,2000000,,,,\n",
	    POLICIES_HDR);
	put(dir, "policies.csv", buf);
	assert_int_equal(import(st, dir, &rep, err, sizeof(err)), FSY_OK);
	assert_int_equal(rep.file[FSY_IMPORT_POLICIES].updated, 1);
	assert_int_equal(tu_int(st, "SELECT max(gseq) FROM col_version"), seq + 2);
	assert_int_equal(tu_int(st, "SELECT annual_premium_fen FROM policy "
	    "WHERE policy_no = 'Q1'"), 372000);
	fsy_store_close(st);
}

/* The base set's values land in the right columns, in the right units. */
static void
test_values(void **state)
{
	(void)state;
	const char *dir = tu_path("val");
	fsy_store_t *st = tu_open("val.db", FSY_ROLE_HUB, NULL);
	fsy_import_report_t rep;
	char err[512];

	put_base(dir);
	assert_int_equal(import(st, dir, &rep, err, sizeof(err)), FSY_OK);
	assert_int_equal(tu_int(st, "SELECT modal_premium_fen FROM policy "
	    "WHERE policy_no = 'Q1'"), 30050);
	assert_int_equal(tu_int(st, "SELECT annual_premium_fen FROM policy "
	    "WHERE policy_no = 'Q1'"), 360600);
	assert_int_equal(tu_int(st, "SELECT sum_assured_fen FROM policy WHERE "
	    "policy_no = 'Q1'"), 30000000);
	assert_int_equal(tu_int(st, "SELECT income_fen FROM customer WHERE "
	    "name = '王伟'"), 12000000);
	assert_string_equal(tu_text(st, "SELECT a.code FROM policy p JOIN "
	    "agent a ON a.id = p.soliciting_agent_id WHERE p.policy_no = 'Q1'"),
	    "T1");
	assert_int_equal(tu_int(st, "SELECT external FROM policy WHERE "
	    "policy_no = 'Q2'"), 1);
	assert_string_equal(tu_text(st, "SELECT ifnull(soliciting_agent_id, "
	    "'none') FROM policy WHERE policy_no = 'Q2'"), "none");
	assert_string_equal(tu_text(st, "SELECT id_number FROM customer WHERE "
	    "name = '王伟'"), "11010519800102029X");
	assert_string_equal(tu_text(st, "SELECT health_notes FROM person"),
	    "高血压，\n服药控制");
	assert_string_equal(tu_text(st, "SELECT customer_said FROM visit WHERE "
	    "topic = 'delivery'"), "说\"好的\", 谢谢");
	/* the delivery visit refers to its policy; the time is normalised */
	assert_int_equal(tu_int(st, "SELECT count(*) FROM visit v JOIN policy p "
	    "ON p.id = v.policy_id WHERE p.policy_no = 'Q1'"), 1);
	assert_string_equal(tu_text(st, "SELECT happened_at FROM visit WHERE "
	    "topic = 'birthday'"), "2024-06-01T02:00:00Z");
	/* recorded 49 hours later: late; one hour later: not */
	assert_int_equal(tu_int(st, "SELECT late FROM visit WHERE topic = "
	    "'birthday'"), 1);
	assert_int_equal(tu_int(st, "SELECT late FROM visit WHERE topic = "
	    "'delivery'"), 0);
	assert_string_equal(tu_text(st, "SELECT t.code FROM team t JOIN agent a "
	    "ON a.id = t.lead_agent_id"), "TM1");
	assert_int_equal(tu_int(st, "SELECT count(*) FROM agent WHERE status = "
	    "'departed' AND left_on = '2020-05-01'"), 1);
	fsy_store_close(st);
}

/* A subset of files: customers alone, then policies referring to them. */
static void
test_subset_and_db_references(void **state)
{
	(void)state;
	const char *base = tu_path("sub_base");
	const char *only = tu_path("sub_pol");
	fsy_store_t *st = tu_open("sub.db", FSY_ROLE_HUB, NULL);
	fsy_import_report_t rep;
	char err[512], buf[1024];

	put_base(base);
	assert_int_equal(import(st, base, &rep, err, sizeof(err)), FSY_OK);
	snprintf(buf, sizeof(buf), "%s"
	    "Q3,K2,0,,守护一生终身寿险,whole_life,1,李静,single,50000,,"
	    "2021-01-01,,,,inforce,,75000,,,法定,T2\n", POLICIES_HDR);
	put(only, "policies.csv", buf);
	assert_int_equal(import(st, only, &rep, err, sizeof(err)), FSY_OK);
	assert_int_equal(rep.file[FSY_IMPORT_AGENTS].present, 0);
	assert_int_equal(rep.file[FSY_IMPORT_POLICIES].present, 1);
	assert_int_equal(rep.file[FSY_IMPORT_POLICIES].inserted, 1);
	assert_int_equal(tu_int(st, "SELECT annual_premium_fen FROM policy "
	    "WHERE policy_no = 'Q3'"), 5000000);
	assert_int_equal(tu_int(st, "SELECT payment_years FROM policy WHERE "
	    "policy_no = 'Q3'"), 0);

	/* no file at all */
	assert_int_equal(import(st, tu_path("nothing"), &rep, err, sizeof(err)),
	    FSY_ENOTFOUND);
	assert_non_null(strstr(err, "none of agents.csv"));
	fsy_store_close(st);

	/* import runs on the hub only */
	st = tu_open("agent.db", FSY_ROLE_AGENT, NULL);
	assert_int_equal(import(st, base, &rep, err, sizeof(err)), FSY_ESTATE);
	fsy_store_close(st);
}

/* Ids: version 8, the same for the same key, ascending with the key's
 * trailing number, apart for different keys. */
static void
test_ids(void **state)
{
	(void)state;
	char a[FSY_UUID_STRLEN + 1], b[FSY_UUID_STRLEN + 1];
	char c[FSY_UUID_STRLEN + 1], d[FSY_UUID_STRLEN + 1];

	fsy_import_key_uuid("customer", "BJ01C000000001", 14, a);
	fsy_import_key_uuid("customer", "BJ01C000000001", 14, b);
	assert_string_equal(a, b);
	assert_true(fsy_uuid_valid(a));
	assert_int_equal(a[14], '8');
	assert_true(strchr("89ab", a[19]) != NULL);
	fsy_import_key_uuid("customer", "BJ01C000000002", 14, b);
	fsy_import_key_uuid("customer", "BJ01C000000010", 14, c);
	assert_true(strcmp(a, b) < 0);
	assert_true(strcmp(b, c) < 0);
	/* the prefix: 12 bits of the stem's hash, then the number 10 */
	assert_memory_equal(c + 3, "00000-000a", 10);
	/* the namespace changes the hash part, not the prefix */
	fsy_import_key_uuid("policy", "BJ01C000000001", 14, d);
	assert_memory_equal(a, d, 13);
	assert_string_not_equal(a, d);
	/* a person's prefix is its customer's */
	fsy_import_key_uuid("person", "BJ01C000000001\x1f" "child\x1f" "王小明",
	    14 + 1 + 5 + 1 + 9, d);
	assert_memory_equal(a, d, 13);
	/* no trailing digits: all hash, still a valid version-8 id */
	fsy_import_key_uuid("agent", "ZHANG-WEI", 9, d);
	assert_true(fsy_uuid_valid(d));
	assert_int_equal(d[14], '8');
}

/* ---- bad input ----------------------------------------------------------- */

typedef struct {
	const char *name;     /* test directory */
	const char *file;     /* the file to replace in the base set */
	const char *content;  /* its content, after the header (or all of it
	                       * when header is NULL) */
	int with_header;      /* 1: prepend the file's header */
	const char *expect;   /* the whole error message */
	const char *file2;    /* another file to replace (with its header) */
	const char *content2;
} bad_case_t;

static const bad_case_t bad_cases[] = {
	{"enum", "policies.csv",
	    "Q1,K1,0,,康宁,critical_illness,1,王伟,monthly,300,20,2020-01-01,,,,"
	    "inforce,,,,0,,T1\n"
	    "Q2,K1,0,,康宁,critical_illness,1,王伟,weekly,300,20,2020-01-01,,,,"
	    "inforce,,,,0,,T1\n", 1,
	    "policies.csv:3: column pay_mode: 'weekly' is not one of "
	    "annual|half|quarter|monthly|single", NULL, NULL},
	{"date", "customers.csv",
	    "K1,王伟,M,1980-01-02,,,,,\n"
	    "K2,李静,F,2023-02-29,,,,,\n", 1,
	    "customers.csv:3: column birth_date: '2023-02-29' is not a date "
	    "(YYYY-MM-DD)", NULL, NULL},
	{"time", "visits.csv",
	    "K1,T1,2024-05-01T25:00:00Z,2024-05-01T03:00:00Z,visit,general,,,,\n",
	    1,
	    "visits.csv:2: column happened_at: '2024-05-01T25:00:00Z' is not a "
	    "time (YYYY-MM-DDTHH:MM:SSZ, UTC)", NULL, NULL},
	{"amount", "policies.csv",
	    "Q1,K1,0,,康宁,critical_illness,1,王伟,monthly,abc,20,2020-01-01,,,,"
	    "inforce,,,,0,,T1\n", 1,
	    "policies.csv:2: column modal_premium: 'abc' is not an amount", NULL, NULL},
	{"amount3", "policies.csv",
	    "Q1,K1,0,,康宁,critical_illness,1,王伟,monthly,12.345,20,2020-01-01,,,,"
	    "inforce,,,,0,,T1\n", 1,
	    "policies.csv:2: column modal_premium: '12.345' is not an amount", NULL, NULL},
	{"amountneg", "customers.csv",
	    "K1,王伟,M,1980-01-02,,,,,-5\n", 1,
	    "customers.csv:2: column income: '-5' is not an amount", NULL, NULL},
	{"unknown_agent", "policies.csv",
	    "Q1,K1,0,,康宁,critical_illness,1,王伟,monthly,300,20,2020-01-01,,,,"
	    "inforce,,,,0,,NOPE\n", 1,
	    "policies.csv:2: column soliciting_agent_code: unknown agent 'NOPE'", NULL, NULL},
	{"unknown_customer", "policies.csv",
	    "Q1,K9,0,,康宁,critical_illness,1,王伟,monthly,300,20,2020-01-01,,,,"
	    "inforce,,,,0,,T1\n", 1,
	    "policies.csv:2: column customer_no: unknown customer 'K9'", NULL, NULL},
	{"unknown_customer_person", "persons.csv",
	    "K7,child,王小明,M,2010-01-01,学生,\n", 1,
	    "persons.csv:2: column customer_no: unknown customer 'K7'", NULL, NULL},
	{"missing_column", "policies.csv",
	    "policy_no,customer_no,external,insurer,product,product_type,is_main,"
	    "insured_name,pay_mode,payment_years,issue_date,next_due_date,"
	    "end_date,survival_date,status,status_date,sum_assured,"
	    "account_value,annuity_converted,beneficiary,soliciting_agent_code\n"
	    "Q1,K1,0,,康宁,critical_illness,1,王伟,monthly,20,2020-01-01,,,,"
	    "inforce,,,,0,,T1\n", 0,
	    "policies.csv:1: missing column modal_premium", NULL, NULL},
	{"unknown_column", "customers.csv",
	    "customer_no,name,gender,birth_date,id_number,phone,address,"
	    "occupation,income,vip\n", 0,
	    "customers.csv:1: unknown column 'vip'", NULL, NULL},
	{"duplicate", "customers.csv",
	    "K1,王伟,M,1980-01-02,,,,,\n"
	    "K2,李静,F,1985-03-04,,,,,\n"
	    "K1,王伟,M,1980-01-02,,,,,\n", 1,
	    "customers.csv:4: duplicate key: customer_no (first on line 2)", NULL, NULL},
	{"duplicate_policy", "policies.csv",
	    "Q1,K1,0,,康宁,critical_illness,1,王伟,monthly,300,20,2020-01-01,,,,"
	    "inforce,,,,0,,T1\n"
	    "Q1,K2,0,,康宁,critical_illness,1,李静,monthly,300,20,2020-01-01,,,,"
	    "inforce,,,,0,,T1\n", 1,
	    "policies.csv:3: duplicate key: policy_no (first on line 2)", NULL, NULL},
	{"quoting", "customers.csv",
	    "K1,王伟,M,1980-01-02,,,,,\n"
	    "K2,\"李\"静,F,1985-03-04,,,,,\n", 1,
	    "customers.csv:3: malformed CSV: broken quoting (a quote inside an "
	    "unquoted field, or text after a closing quote)", NULL, NULL},
	{"quote_unclosed", "customers.csv",
	    "K1,王伟,M,1980-01-02,,,,,\n"
	    "K2,\"李静,F,1985-03-04,,,,,\n", 1,
	    "customers.csv:3: malformed CSV: broken quoting (a quoted field is "
	    "not closed)", NULL, NULL},
	{"bare_quote", "customers.csv",
	    "K1,王\"伟,M,1980-01-02,,,,,\n", 1,
	    "customers.csv:2: malformed CSV: broken quoting (a quote inside an "
	    "unquoted field, or text after a closing quote)", NULL, NULL},
	{"fields", "customers.csv",
	    "K1,王伟,M,1980-01-02,,,,\n", 1,
	    "customers.csv:2: 8 fields, the header has 9", NULL, NULL},
	{"required", "customers.csv",
	    "K1,,M,1980-01-02,,,,,\n", 1,
	    "customers.csv:2: column name: value required", NULL, NULL},
	{"gender", "customers.csv",
	    "K1,王伟,男,1980-01-02,,,,,\n", 1,
	    "customers.csv:2: column gender: '男' is not M or F", NULL, NULL},
	{"idno", "customers.csv",
	    "K1,王伟,M,1980-01-02,110105198001020012,,,,\n", 1,
	    "customers.csv:2: column id_number: '110105198001020012' has a wrong "
	    "check digit", NULL, NULL},
	{"key", "customers.csv",
	    "K 1,王伟,M,1980-01-02,,,,,\n", 1,
	    "customers.csv:2: column customer_no: 'K 1' is not a key (1-40 of "
	    "A-Z a-z 0-9 - _ . /)", NULL, NULL},
	{"utf8", "customers.csv",
	    "K1,\xe7\x8e,M,1980-01-02,,,,,\n", 1,
	    "customers.csv:2: column name: not valid UTF-8", NULL, NULL},
	{"left_on", "agents.csv",
	    "T1,张伟,B1,北京分公司,TM1,营销一部,lead,agency,employed,2010-01-01,,90\n"
	    "T2,李娜,B1,北京分公司,TM1,营销一部,agent,agency,departed,2012-01-01,,50\n",
	    1,
	    "agents.csv:3: column left_on: value required when status is "
	    "departed", NULL, NULL},
	{"team_name", "agents.csv",
	    "T1,张伟,B1,北京分公司,TM1,营销一部,lead,agency,employed,2010-01-01,,90\n"
	    "T2,李娜,B1,北京分公司,TM1,营销二部,agent,agency,employed,2012-01-01,,50\n",
	    1, "agents.csv:3: team TM1: name or branch differs from line 2", NULL, NULL},
	{"single_years", "policies.csv",
	    "Q1,K1,0,,终身寿险,whole_life,1,王伟,single,300,10,2020-01-01,,,,"
	    "inforce,,,,0,,T1\n", 1,
	    "policies.csv:2: column payment_years: 10 for a single premium (must "
	    "be 0 or empty)", NULL, NULL},
	{"external_insurer", "policies.csv",
	    "Q1,K1,1,,终身寿险,whole_life,1,王伟,annual,300,10,2020-01-01,,,,"
	    "inforce,,,,0,,\n", 1,
	    "policies.csv:2: column insurer: value required for another "
	    "insurer's policy (external = 1)", NULL, NULL},
	{"end_before_issue", "policies.csv",
	    "Q1,K1,0,,定期寿险,term_life,1,王伟,annual,300,10,2020-01-01,,"
	    "2019-12-31,,inforce,,,,0,,T1\n", 1,
	    "policies.csv:2: column end_date: '2019-12-31' is before issue_date "
	    "'2020-01-01'", NULL, NULL},
	{"recorded_before", "visits.csv",
	    "K1,T1,2024-05-01T02:00:00Z,2024-05-01T01:00:00Z,visit,general,,,,\n",
	    1,
	    "visits.csv:2: column recorded_at: '2024-05-01T01:00:00Z' is before "
	    "happened_at '2024-05-01T02:00:00Z'", NULL, NULL},
	{"visit_policy", "visits.csv",
	    "K2,T1,2024-05-01T02:00:00Z,2024-05-01T03:00:00Z,visit,renewal,,,,Q1\n",
	    1, "visits.csv:2: column policy_no: policy 'Q1' is not customer K2's", NULL, NULL},
	/* a quoted field spanning lines: the record after it is on line 4 */
	{"multiline_line", "persons.csv",
	    "K1,spouse,刘芳,F,1982-05-06,会计,\"第一行\n第二行\"\n"
	    "K1,child,王小,M,2010-01-01,学生,x\n"
	    "K1,child,王二,X,2012-01-01,学生,\n", 1,
	    "persons.csv:5: column gender: 'X' is not M or F", NULL, NULL},
	/* several errors: the first, and how many more */
	{"many", "customers.csv",
	    "K1,王伟,M,1980-13-02,,,,,\n"
	    "K2,李静,F,1985-03-04,,,,,1.2.3\n"
	    "K3,赵敏,Q,1985-03-04,,,,,\n", 1,
	    "customers.csv:2: column birth_date: '1980-13-02' is not a date "
	    "(YYYY-MM-DD) (and 2 more errors)", NULL, NULL},
	/* a bad customer's policies are not counted again */
	{"no_cascade", "customers.csv",
	    "K1,王伟,M,1980-01-02,,,,,\n"
	    "K5,李静,F,1985-03-04,,,,,oops\n", 1,
	    "customers.csv:3: column income: 'oops' is not an amount",
	    "persons.csv", "K5,child,王小明,M,2010-01-01,学生,\n"},
	/* an unknown customer is counted: the check is not switched off */
	{"cascade_unknown", "customers.csv",
	    "K1,王伟,M,1980-01-02,,,,,\n"
	    "K5,李静,F,1985-03-04,,,,,oops\n", 1,
	    "customers.csv:3: column income: 'oops' is not an amount (and 1 "
	    "more error)",
	    "persons.csv", "K5,child,王小明,M,2010-01-01,学生,\n"
	    "K6,child,王小红,F,2012-01-01,学生,\n"},
	/* visits are insert-only: a changed visit is refused */
	{"visit_changed", "visits.csv",
	    "K1,T1,2024-05-01T02:00:00Z,2024-05-01T03:00:00Z,visit,delivery,"
	    "客户家中,不一样的话,,Q1\n", 1,
	    "visits.csv:2: visit K1/T1/2024-05-01T02:00:00Z/visit/delivery was "
	    "imported before with another customer_said (visits are "
	    "insert-only)", NULL, NULL},
	/* a policy never moves to another customer */
	{"policy_moves", "policies.csv",
	    "Q1,K2,0,,康宁终身重大疾病保险,critical_illness,1,王伟,monthly,300.5,"
	    "20,2020-01-01,2025-07-01,,,inforce,2020-01-01,300000,,0,法定,T1\n", 1,
	    "policies.csv:2: policy Q1 is already in the database under another "
	    "customer (customer_no cannot change)", NULL, NULL},
	{"duplicate_visit", "visits.csv",
	    "K1,T1,2024-05-01T02:00:00Z,2024-05-01T03:00:00Z,visit,delivery,"
	    "客户家中,\"说\"\"好的\"\", 谢谢\",,Q1\n"
	    "K1,T1,2024-05-01 02:00:00,2024-05-01T03:00:00Z,visit,delivery,"
	    "客户家中,\"说\"\"好的\"\", 谢谢\",,Q1\n", 1,
	    "visits.csv:3: duplicate key: visit K1/T1/2024-05-01T02:00:00Z/visit/"
	    "delivery (first on line 2)", NULL, NULL},
	{"empty", "agents.csv", "", 0,
	    "agents.csv: empty file: a header row is required", NULL, NULL},
};

static void
test_bad_input(void **state)
{
	const bad_case_t *c = *state;
	char dir[300], db[320], err[512], buf[4096], before[4096];
	const char *hdr = "";
	fsy_import_report_t rep;
	fsy_store_t *st;
	int rc;

	snprintf(dir, sizeof(dir), "%s", tu_path(c->name));
	snprintf(db, sizeof(db), "bad_%s.db", c->name);
	put_base(dir);
	st = tu_open(db, FSY_ROLE_HUB, NULL);
	assert_int_equal(import(st, dir, &rep, err, sizeof(err)), FSY_OK);
	snprintf(before, sizeof(before), "%s", snapshot(st));

	if (c->with_header) {
		hdr = strcmp(c->file, "agents.csv") == 0 ? AGENTS_HDR
		    : strcmp(c->file, "customers.csv") == 0 ? CUSTOMERS_HDR
		    : strcmp(c->file, "persons.csv") == 0 ? PERSONS_HDR
		    : strcmp(c->file, "policies.csv") == 0 ? POLICIES_HDR
		                                           : VISITS_HDR;
	}
	snprintf(buf, sizeof(buf), "%s%s", hdr, c->content);
	put(dir, c->file, buf);
	/* a change in another file, to see it rolled back with the rest */
	if (strcmp(c->file, "agents.csv") != 0) {
		snprintf(buf, sizeof(buf), "%s"
		    "T1,张伟伟,B1,北京分公司,TM1,营销一部,lead,agency,employed,"
		    "2010-01-01,,90\n"
		    "T2,李娜,B1,北京分公司,TM1,营销一部,agent,agency,departed,"
		    "2012-01-01,2020-05-01,50\n"
		    "T3,新人,B1,北京分公司,TM1,营销一部,agent,agency,employed,"
		    "2024-01-01,,10\n", AGENTS_HDR);
		put(dir, "agents.csv", buf);
	}
	if (c->file2) {
		hdr = strcmp(c->file2, "persons.csv") == 0 ? PERSONS_HDR
		                                           : POLICIES_HDR;
		snprintf(buf, sizeof(buf), "%s%s", hdr, c->content2);
		put(dir, c->file2, buf);
	}
	rc = import(st, dir, &rep, err, sizeof(err));
	assert_int_equal(rc, FSY_ECSV);
	assert_string_equal(err, c->expect);
	assert_true(rep.errors >= 1);
	assert_string_equal(snapshot(st), before);
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
	struct CMUnitTest tests[6 + sizeof(bad_cases) / sizeof(bad_cases[0])];
	size_t n = 0;

	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_round_trip);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(
	    test_reimport_unchanged_writes_nothing);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(
	    test_reimport_writes_changed_columns_only);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_values);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_ids);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(
	    test_subset_and_db_references);
	for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		struct CMUnitTest t = cmocka_unit_test_prestate(test_bad_input,
		    (void *)&bad_cases[i]);
		t.name = bad_cases[i].name;
		tests[n++] = t;
	}
	return _cmocka_run_group_tests("import", tests, n, NULL, teardown);
}
