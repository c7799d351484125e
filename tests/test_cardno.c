/* test_cardno.c — surname initials, card numbers, provisional numbers. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "cardno.h"
#include "util.h"

static char errbuf[512];

static fsy_surnames_t *
load_default(void)
{
	fsy_surnames_t *t = NULL;
	int rc = fsy_surnames_load(NULL, &t, errbuf, sizeof(errbuf));
	if (rc != FSY_OK)
		fail_msg("load surnames: %s", errbuf);
	return t;
}

/* The initial of name, or '!' + the error code's name on failure. */
static char
ini(const fsy_surnames_t *t, const char *name)
{
	char c = 0;
	int rc = fsy_cardno_initial(t, name, NULL, &c, NULL, errbuf,
	    sizeof(errbuf));
	return rc == FSY_OK ? c : '!';
}

static void
test_table_loads(void **state)
{
	(void)state;
	fsy_surnames_t *t = load_default();
	/* ~300 common single-character surnames and then some */
	assert_true(fsy_surnames_count(t) >= 400);
	fsy_surnames_free(t);
	fsy_surnames_free(NULL);

	/* the schema file, read by path, gives the same table */
	fsy_surnames_t *u = NULL;
	assert_int_equal(fsy_surnames_load(FSY_SOURCE_DIR "/schema/surnames.csv",
	    &u, errbuf, sizeof(errbuf)), FSY_OK);
	assert_true(fsy_surnames_count(u) >= 400);
	fsy_surnames_free(u);
}

static void
test_common_surnames(void **state)
{
	(void)state;
	fsy_surnames_t *t = load_default();
	static const struct {
		const char *name;
		char initial;
	} cases[] = {
		{"王伟", 'W'}, {"李娜", 'L'}, {"张敏", 'Z'}, {"刘洋", 'L'},
		{"陈静", 'C'}, {"杨帆", 'Y'}, {"黄磊", 'H'}, {"赵强", 'Z'},
		{"吴刚", 'W'}, {"周杰", 'Z'}, {"徐丽", 'X'}, {"孙悦", 'S'},
		{"胡军", 'H'}, {"郭靖", 'G'}, {"何炅", 'H'}, {"林峰", 'L'},
		{"罗斌", 'L'}, {"吕布", 'L'}, {"艾青", 'A'}, {"欧文", 'O'},
		{"鄂伦", 'E'}, {"陳大文", 'C'}, {"黃小明", 'H'}, {"王", 'W'},
		{"  王伟", 'W'}, {"\xE3\x80\x80李娜", 'L'},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char c = ini(t, cases[i].name);
		if (c != cases[i].initial)
			fail_msg("%s: got %c, want %c (%s)", cases[i].name, c,
			    cases[i].initial, errbuf);
	}
	fsy_surnames_free(t);
}

static void
test_compound_surnames(void **state)
{
	(void)state;
	fsy_surnames_t *t = load_default();
	static const struct {
		const char *name;
		char initial;
		size_t len; /* bytes of the surname matched */
	} cases[] = {
		{"欧阳娜娜", 'O', 6}, {"司马光", 'S', 6}, {"诸葛亮", 'Z', 6},
		{"上官婉儿", 'S', 6}, {"尉迟恭", 'Y', 6}, /* 尉 alone: W */
		{"尉缭", 'W', 3}, {"万俟卨", 'M', 6},    /* 万 alone: W */
		{"万达", 'W', 3}, {"长孙无忌", 'Z', 6}, {"澹台灭明", 'T', 6},
		{"欧明", 'O', 3}, {"爱新觉罗溥仪", 'A', 12}, {"歐陽修", 'O', 6},
		{"单田芳", 'S', 3}, /* 单于 is left out on purpose */
		{"单于飞", 'S', 3},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char c = 0;
		size_t len = 99;
		int rc = fsy_cardno_initial(t, cases[i].name, NULL, &c, &len,
		    errbuf, sizeof(errbuf));
		if (rc != FSY_OK || c != cases[i].initial ||
		    len != cases[i].len)
			fail_msg("%s: rc %d, got %c/%zu, want %c/%zu",
			    cases[i].name, rc, c, len, cases[i].initial,
			    cases[i].len);
	}
	fsy_surnames_free(t);
}

static void
test_polyphonic_surnames(void **state)
{
	(void)state;
	fsy_surnames_t *t = load_default();
	/* surname readings, not the characters' common readings */
	static const struct {
		const char *name;
		char initial;
	} cases[] = {
		{"单田芳", 'S'}, /* shan, not dan */
		{"曾国藩", 'Z'}, /* zeng, not ceng */
		{"解缙", 'X'},   /* xie, not jie */
		{"仇英", 'Q'},   /* qiu, not chou */
		{"区志航", 'O'}, /* ou, not qu */
		{"查良镛", 'Z'}, /* zha, not cha */
		{"朴槿惠", 'P'}, /* piao */
		{"盖聂", 'G'},   /* ge, not gai */
		{"覃雪", 'Q'},   /* qin, not tan */
		{"乐嘉", 'Y'},   /* yue, not le */
		{"翟志刚", 'Z'}, /* zhai, not di */
		{"召忽", 'S'},   /* shao, not zhao */
		{"缪杰", 'M'},   /* miao */
		{"长孙晟", 'Z'}, /* zhangsun, not changsun */
		{"區家麟", 'O'},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char c = ini(t, cases[i].name);
		if (c != cases[i].initial)
			fail_msg("%s: got %c, want %c", cases[i].name, c,
			    cases[i].initial);
	}
	fsy_surnames_free(t);
}

static void
test_unknown_and_manual(void **state)
{
	(void)state;
	fsy_surnames_t *t = load_default();
	char c = 0;

	/* unknown surname: ask for the initial */
	assert_int_equal(fsy_cardno_initial(t, "Smith", NULL, &c, NULL, errbuf,
	    sizeof(errbuf)), FSY_ESURNAME);
	assert_non_null(strstr(errbuf, "initial"));
	assert_int_equal(fsy_cardno_initial(t, "\xF0\xA0\x80\x80某", NULL, &c,
	    NULL, errbuf, sizeof(errbuf)), FSY_ESURNAME);
	assert_int_equal(fsy_cardno_initial(t, "", NULL, &c, NULL, errbuf,
	    sizeof(errbuf)), FSY_ESURNAME);
	assert_int_equal(fsy_cardno_initial(t, "   ", NULL, &c, NULL, errbuf,
	    sizeof(errbuf)), FSY_ESURNAME);
	assert_int_equal(fsy_cardno_initial(t, NULL, NULL, &c, NULL, errbuf,
	    sizeof(errbuf)), FSY_ESURNAME);
	/* malformed UTF-8 */
	assert_int_equal(fsy_cardno_initial(t, "\xE7\x8E", NULL, &c, NULL,
	    errbuf, sizeof(errbuf)), FSY_EINVAL);

	/* a manual initial wins, in either case */
	assert_int_equal(fsy_cardno_initial(t, "Smith", "s", &c, NULL, errbuf,
	    sizeof(errbuf)), FSY_OK);
	assert_int_equal(c, 'S');
	assert_int_equal(fsy_cardno_initial(t, "王伟", "Y", &c, NULL, errbuf,
	    sizeof(errbuf)), FSY_OK);
	assert_int_equal(c, 'Y');
	assert_int_equal(fsy_cardno_initial(t, "王伟", "Z", &c, NULL, errbuf,
	    sizeof(errbuf)), FSY_OK);
	assert_int_equal(c, 'Z');
	assert_int_equal(fsy_cardno_initial(t, "王伟", "A", &c, NULL, errbuf,
	    sizeof(errbuf)), FSY_OK);
	assert_int_equal(c, 'A');
	static const char *const bad[] = {"", "1", "WW", "@", "[", "王"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(fsy_cardno_initial(t, "王伟", bad[i], &c, NULL,
		    errbuf, sizeof(errbuf)), FSY_EINVAL);
	fsy_surnames_free(t);
}

static const char *
write_file(const char *name, const char *text)
{
	const char *p = tu_path(name);
	FILE *f = fopen(p, "wb");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	return p;
}

static void
test_bad_tables(void **state)
{
	(void)state;
	static const struct {
		const char *text;
		int rc;
		const char *msg;
	} cases[] = {
		{"", FSY_ECSV, "empty"},
		{"name,letter,pinyin\n王,W,wang\n", FSY_ECSV, "row 1: header"},
		{"surname,initial,pinyin\n王,W,wang\n李,X,li\n", FSY_ECSV,
		 "row 3: initial is not the pinyin's first letter"},
		{"surname,initial,pinyin\n王,W,wang\n王,W,wang\n", FSY_ECSV,
		 "appears twice"},
		{"surname,initial,pinyin\nWang,W,wang\n", FSY_ECSV,
		 "row 2: surname must be Han"},
		{"surname,initial,pinyin\n王,W\n", FSY_ECSV, "row 2: 2 fields"},
		{"surname,initial,pinyin\n王,W,wang,x\n", FSY_ECSV, "row 2: 4 fields"},
		{"surname,initial,pinyin\n王,w,wang\n", FSY_ECSV, "one letter A-Z"},
		{"surname,initial,pinyin\n王,W,Wáng\n", FSY_ECSV, "lower-case"},
		{"surname,initial,pinyin\n爱新觉罗氏,A,aixinjueluoshi\n", FSY_ECSV,
		 "1 to 4 characters"},
		{"surname,initial,pinyin\n王,W,\"wang\n", FSY_ECSV, "row"},
		{"surname,initial,pinyin\n\xE7\x8E,W,wang\n", FSY_ECSV, "UTF-8"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char name[32];
		fsy_surnames_t *t = (fsy_surnames_t *)1;
		snprintf(name, sizeof(name), "bad%zu.csv", i);
		const char *p = write_file(name, cases[i].text);
		errbuf[0] = '\0';
		int rc = fsy_surnames_load(p, &t, errbuf, sizeof(errbuf));
		if (rc != cases[i].rc || t != NULL ||
		    strstr(errbuf, cases[i].msg) == NULL ||
		    strstr(errbuf, name) == NULL)
			fail_msg("case %zu: rc %d, err '%s'", i, rc, errbuf);
	}
	fsy_surnames_t *t = NULL;
	assert_int_equal(fsy_surnames_load(tu_path("missing.csv"), &t, errbuf,
	    sizeof(errbuf)), FSY_ENOTFOUND);
	assert_null(t);

	/* BOM, CRLF, quotes and blank lines are fine */
	const char *p = write_file("ok.csv", "\xEF\xBB\xBFsurname,initial,pinyin"
	    "\r\n王,W,wang\r\n\r\n\"欧阳\",O,ouyang\r\n");
	assert_int_equal(fsy_surnames_load(p, &t, errbuf, sizeof(errbuf)), FSY_OK);
	assert_int_equal(fsy_surnames_count(t), 2);
	assert_int_equal(ini(t, "欧阳锋"), 'O');
	fsy_surnames_free(t);
}

static void
test_datadir_env(void **state)
{
	(void)state;
	const char *old = getenv("FSY_DATADIR");
	char keep[1024] = "";
	fsy_surnames_t *t = NULL;

	if (old)
		snprintf(keep, sizeof(keep), "%s", old);
	write_file("surnames.csv", "surname,initial,pinyin\n王,Q,qwang\n");
	setenv("FSY_DATADIR", tu_tmpdir(), 1);
	assert_int_equal(fsy_surnames_load(NULL, &t, errbuf, sizeof(errbuf)),
	    FSY_OK);
	assert_int_equal(fsy_surnames_count(t), 1);
	assert_int_equal(ini(t, "王伟"), 'Q');
	fsy_surnames_free(t);
	/* without the variable: the build's schema directory */
	unsetenv("FSY_DATADIR");
	t = load_default();
	assert_int_equal(ini(t, "王伟"), 'W');
	fsy_surnames_free(t);
	if (old)
		setenv("FSY_DATADIR", keep, 1);
}

static void
add_customer(fsy_store_t *st, const char *id, const char *name)
{
	char sql[256];
	snprintf(sql, sizeof(sql), "INSERT INTO customer(id, customer_id, "
	    "name) VALUES ('%s', '%s', '%s')", id, id, name);
	tu_exec(st, sql);
}

static const char *
assign(fsy_store_t *st, const fsy_surnames_t *t, const char *id,
    const char *manual)
{
	static char no[16];
	int rc = fsy_cardno_assign(st, t, id, manual, no, sizeof(no), errbuf,
	    sizeof(errbuf));
	if (rc != FSY_OK)
		fail_msg("assign %s: %s: %s", id, fsy_errname(rc), errbuf);
	return no;
}

static void
test_assign(void **state)
{
	(void)state;
	fsy_store_t *st = tu_open("hub.db", FSY_ROLE_HUB, NULL);
	fsy_surnames_t *t = load_default();
	char no[16];

	add_customer(st, "0190e000-0000-7000-8000-000000006331", "王伟");
	add_customer(st, "0190e000-0000-7000-8000-000000006332", "王芳");
	add_customer(st, "0190e000-0000-7000-8000-000000006333", "李娜");
	add_customer(st, "0190e000-0000-7000-8000-000000006334", "欧阳修");
	add_customer(st, "0190e000-0000-7000-8000-000000006335", "Smith");
	add_customer(st, "0190e000-0000-7000-8000-000000006336", "汪峰");
	assert_string_equal(assign(st, t, "0190e000-0000-7000-8000-000000006331", NULL), "W0001");
	assert_string_equal(assign(st, t, "0190e000-0000-7000-8000-000000006332", NULL), "W0002");
	assert_string_equal(assign(st, t, "0190e000-0000-7000-8000-000000006333", NULL), "L0001");
	assert_string_equal(assign(st, NULL, "0190e000-0000-7000-8000-000000006334", NULL), "O0001");
	assert_string_equal(tu_text(st, "SELECT card_no || ':' || "
	    "card_provisional FROM customer WHERE id = '0190e000-0000-7000-8000-000000006332'"), "W0002:0");

	/* idempotent: a numbered card keeps its number, no sequence used */
	assert_string_equal(assign(st, t, "0190e000-0000-7000-8000-000000006331", NULL), "W0001");
	assert_string_equal(assign(st, t, "0190e000-0000-7000-8000-000000006331", "Z"), "W0001");
	assert_int_equal(tu_int(st, "SELECT next FROM card_seq WHERE "
	    "initial = 'W'"), 3);
	assert_int_equal(tu_int(st, "SELECT count(*) FROM card_seq "
	    "WHERE initial = 'Z'"), 0);

	/* unknown surname: refused, nothing changed; then by hand */
	int64_t g = tu_int(st, "SELECT max(gseq) FROM col_version");
	assert_int_equal(fsy_cardno_assign(st, t, "0190e000-0000-7000-8000-000000006335", NULL, no, sizeof(no),
	    errbuf, sizeof(errbuf)), FSY_ESURNAME);
	assert_non_null(strstr(errbuf, "initial"));
	assert_int_equal(tu_int(st, "SELECT card_no IS NULL FROM customer "
	    "WHERE id = '0190e000-0000-7000-8000-000000006335'"), 1);
	assert_int_equal(tu_int(st, "SELECT max(gseq) FROM col_version"), g);
	assert_string_equal(assign(st, t, "0190e000-0000-7000-8000-000000006335", "s"), "S0001");

	/* the sequence is per initial: 汪 is W too */
	assert_string_equal(assign(st, t, "0190e000-0000-7000-8000-000000006336", NULL), "W0003");

	/* a provisional number is replaced by head office's */
	add_customer(st, "0190e000-0000-7000-8000-000000006337", "王五");
	tu_exec(st, "UPDATE customer SET card_no = 'P-3F2A-0007', "
	    "card_provisional = 1 WHERE id = '0190e000-0000-7000-8000-000000006337'");
	assert_string_equal(assign(st, t, "0190e000-0000-7000-8000-000000006337", NULL), "W0004");
	assert_int_equal(tu_int(st, "SELECT card_provisional FROM customer "
	    "WHERE id = '0190e000-0000-7000-8000-000000006337'"), 0);

	/* numbers some card already holds (e.g. imported) are skipped */
	add_customer(st, "0190e000-0000-7000-8000-000000006338", "王六");
	add_customer(st, "0190e000-0000-7000-8000-000000006339", "王七");
	tu_exec(st, "UPDATE customer SET card_no = 'W0005' WHERE id = '0190e000-0000-7000-8000-000000006339'");
	assert_string_equal(assign(st, t, "0190e000-0000-7000-8000-000000006338", NULL), "W0006");
	assert_string_equal(assign(st, t, "0190e000-0000-7000-8000-000000006339", NULL), "W0005"); /* kept */

	/* four digits, then five */
	tu_exec(st, "UPDATE card_seq SET next = 9999 WHERE initial = 'W'");
	add_customer(st, "0190e000-0000-7000-8000-000000006431", "王一");
	add_customer(st, "0190e000-0000-7000-8000-000000006432", "王二");
	assert_string_equal(assign(st, t, "0190e000-0000-7000-8000-000000006431", NULL), "W9999");
	assert_string_equal(assign(st, t, "0190e000-0000-7000-8000-000000006432", NULL), "W10000");

	/* the write replicates (card_no is captured) */
	assert_int_equal(tu_int(st, "SELECT count(*) FROM col_version WHERE "
	    "tbl = 0 AND row_id = '0190e000-0000-7000-8000-000000006432' AND val = 'W10000'"), 1);

	/* errors */
	assert_int_equal(fsy_cardno_assign(st, t, "nope", NULL, no, sizeof(no),
	    errbuf, sizeof(errbuf)), FSY_ENOTFOUND);
	add_customer(st, "0190e000-0000-7000-8000-000000006531", "王八");
	tu_exec(st, "UPDATE customer SET deleted = 1 WHERE id = '0190e000-0000-7000-8000-000000006531'");
	assert_int_equal(fsy_cardno_assign(st, t, "0190e000-0000-7000-8000-000000006531", NULL, no, sizeof(no),
	    errbuf, sizeof(errbuf)), FSY_ENOTFOUND);
	add_customer(st, "0190e000-0000-7000-8000-000000006532", "王九");
	assert_int_equal(fsy_cardno_assign(st, t, "0190e000-0000-7000-8000-000000006532", "99", no, sizeof(no),
	    errbuf, sizeof(errbuf)), FSY_EINVAL);
	char tiny[4];
	assert_int_equal(fsy_cardno_assign(st, t, "0190e000-0000-7000-8000-000000006532", NULL, tiny, sizeof(tiny),
	    errbuf, sizeof(errbuf)), FSY_ETOOBIG);
	assert_int_equal(tu_int(st, "SELECT card_no IS NULL FROM customer "
	    "WHERE id = '0190e000-0000-7000-8000-000000006532'"), 1); /* rolled back */

	/* inside a caller's transaction: rolled back with it */
	int64_t next = tu_int(st, "SELECT next FROM card_seq WHERE initial = 'W'");
	tu_exec(st, "BEGIN");
	assert_string_equal(assign(st, t, "0190e000-0000-7000-8000-000000006532", NULL), "W10001");
	tu_exec(st, "ROLLBACK");
	assert_int_equal(tu_int(st, "SELECT next FROM card_seq WHERE "
	    "initial = 'W'"), next);

	fsy_store_t *ag = tu_open("agent.db", FSY_ROLE_AGENT, NULL);
	assert_int_equal(fsy_cardno_assign(ag, t, "0190e000-0000-7000-8000-000000006331", NULL, no, sizeof(no),
	    errbuf, sizeof(errbuf)), FSY_ESTATE);
	fsy_store_close(ag);
	fsy_surnames_free(t);
	fsy_store_close(st);
}

static void
test_provisional(void **state)
{
	(void)state;
	char out[16], sid[5];

	assert_int_equal(fsy_cardno_provisional("3f2a", 7, out, sizeof(out)),
	    FSY_OK);
	assert_string_equal(out, "P-3F2A-0007");
	assert_int_equal(fsy_cardno_provisional("3F2A", 9999, out, sizeof(out)),
	    FSY_OK);
	assert_string_equal(out, "P-3F2A-9999");
	assert_int_equal(fsy_cardno_provisional("3F2A", 12345, out, sizeof(out)),
	    FSY_OK);
	assert_string_equal(out, "P-3F2A-12345");
	assert_int_equal(fsy_cardno_provisional("3F2A", 99999999, out,
	    sizeof(out)), FSY_OK);
	assert_string_equal(out, "P-3F2A-99999999");
	assert_int_equal(fsy_cardno_provisional("3F2A", 100000000, out,
	    sizeof(out)), FSY_ERANGE);
	assert_int_equal(fsy_cardno_provisional("3F2A", 0, out, sizeof(out)),
	    FSY_ERANGE);
	assert_int_equal(fsy_cardno_provisional("3F2", 1, out, sizeof(out)),
	    FSY_EINVAL);
	assert_int_equal(fsy_cardno_provisional("3G2A", 1, out, sizeof(out)),
	    FSY_EINVAL);
	assert_int_equal(fsy_cardno_provisional(NULL, 1, out, sizeof(out)),
	    FSY_EINVAL);
	assert_int_equal(fsy_cardno_provisional("3F2A", 1, out, 11),
	    FSY_ETOOBIG);

	assert_int_equal(fsy_cardno_device_short(
	    "01890000-0000-7000-8000-00000000ab3c", sid), FSY_OK);
	assert_string_equal(sid, "AB3C");
	assert_int_equal(fsy_cardno_device_short("not-a-uuid", sid), FSY_EINVAL);

	assert_int_equal(fsy_cardno_kind("W0001"), FSY_CARDNO_FINAL);
	assert_int_equal(fsy_cardno_kind("W10000"), FSY_CARDNO_FINAL);
	assert_int_equal(fsy_cardno_kind("P0007"), FSY_CARDNO_FINAL);
	assert_int_equal(fsy_cardno_kind("P-3F2A-0007"), FSY_CARDNO_PROVISIONAL);
	assert_int_equal(fsy_cardno_kind("P-3F2A-12345"), FSY_CARDNO_PROVISIONAL);
	assert_int_equal(fsy_cardno_kind("P-3f2a-0007"), FSY_CARDNO_INVALID);
	assert_int_equal(fsy_cardno_kind("P-3F2A-007"), FSY_CARDNO_INVALID);
	assert_int_equal(fsy_cardno_kind("0190e000-0000-7000-8000-007730303031"), FSY_CARDNO_INVALID);
	assert_int_equal(fsy_cardno_kind("W001"), FSY_CARDNO_INVALID);
	assert_int_equal(fsy_cardno_kind("W00a1"), FSY_CARDNO_INVALID);
	assert_int_equal(fsy_cardno_kind(NULL), FSY_CARDNO_INVALID);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table_loads),
		cmocka_unit_test(test_common_surnames),
		cmocka_unit_test(test_compound_surnames),
		cmocka_unit_test(test_polyphonic_surnames),
		cmocka_unit_test(test_unknown_and_manual),
		cmocka_unit_test(test_bad_tables),
		cmocka_unit_test(test_datadir_env),
		cmocka_unit_test(test_assign),
		cmocka_unit_test(test_provisional),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	tu_cleanup();
	return rc;
}
