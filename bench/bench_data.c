/*
 * bench_data.c — the deterministic data builder of the benchmarks (see
 * bench.h). Households look like an insurance agent's book: a card with
 * the family's facts and the agent's perceptions, related persons, own
 * and other insurers' policies, needs, referrals and years of visits with
 * what the customer said. Sizes of names, addresses and notes follow the
 * generator of client/gen (Chinese text, 3 bytes a character).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "tables.h"
#include "util.h"
#include "vers.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))
#define DAY_MS (86400LL * 1000)
/* The data's "today" for history: 2026-11-21 (fixed: same data every run). */
#define AS_OF_DAYS 20778

static const char *const surnames[] = {"王", "李", "张", "刘", "陈", "杨",
	"黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭", "何", "林",
	"高", "罗", "郑", "梁", "谢", "宋", "唐", "许", "韩", "冯", "邓", "曹"};
static const char *const given[] = {"伟", "芳", "娜", "敏", "静", "丽", "强",
	"磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超", "秀", "霞",
	"平", "刚", "桂", "华", "建", "文", "辉", "玉", "萍", "红", "鹏", "欣",
	"嘉", "子", "涵", "浩", "宇", "梓", "轩", "雨", "晨"};
static const char *const districts[] = {"朝阳区", "海淀区", "丰台区",
	"东城区", "西城区", "石景山区", "通州区", "昌平区", "大兴区", "顺义区"};
static const char *const streets[] = {"青年路", "建国路", "学院路",
	"中关村大街", "望京西路", "广安门外大街", "万寿路", "北苑路",
	"西三环北路", "通惠河北路", "回龙观西大街", "亦庄路"};
static const char *const compounds[] = {"和谐家园", "富力城", "万科城市花园",
	"阳光上东", "金隅丽港城", "首开智慧社", "远洋山水", "珠江帝景",
	"天通苑北", "世纪城", "龙湖滟澜山", "华润橡树湾"};
static const char *const occupations[] = {"教师", "工程师", "医生", "会计",
	"公务员", "销售经理", "个体经营", "护士", "律师", "软件工程师", "司机",
	"厨师", "退休", "企业主", "银行职员", "自由职业", "设计师", "家庭主妇"};
static const char *const ratings[] = {"A", "B", "B", "C", "C", "C", "D"};
static const char *const groups[] = {"ordinary", "ordinary", "potential",
	"key", "premium"};
static const char *const need_tags[] = {"life,health", "health",
	"health,education", "annuity", "annuity,life", "education",
	"health,accident", "life,health,annuity", "accident"};
static const char *const facts[] = {
	"夫妻双职工，育有一子一女，大的上初中，小的上幼儿园。",
	"双方父母健在，岳父有高血压，住在同一小区，周末常聚。",
	"去年换了房，月供约一万二，家庭主要收入来自先生。",
	"先生在国企工作，太太自己开了一家花店，生意稳定。",
	"孩子计划出国读书，正在准备教育金，预算每年二十万左右。",
	"家中有车两辆，上下班自驾，经常出差，意外保障需求高。",
	"本人曾做过甲状腺结节手术，恢复良好，每年体检。",
	"老人医保在老家，异地就医报销不方便，比较担心大病。"};
static const char *const perceptions[] = {
	"对保障类产品比较认可，但对储蓄型产品持观望态度。",
	"做事谨慎，喜欢先比较几家公司再决定，需要多给资料。",
	"非常重视孩子教育，对教育金话题很感兴趣。",
	"理财观念偏保守，关心收益是否保证，不喜欢波动。",
	"对公司服务满意，愿意转介绍同事，可以请他组织一次活动。",
	"最近工作压力大，沟通时间要约在周末上午。"};
static const char *const relations[] = {"spouse", "child", "child", "parent",
	"other"};
static const char *const health_notes[] = {"高血压，规律服药", "无既往病史",
	"轻度脂肪肝", "哮喘，已控制", "糖尿病前期，注意饮食"};
static const struct {
	const char *name, *type;
	int single, years, universal, annuity;
} products[] = {
	{"康宁终身重大疾病保险", "critical_illness", 0, 20, 0, 0},
	{"鑫福年年年金保险", "annuity", 0, 5, 0, 1},
	{"国寿福终身寿险", "whole_life", 0, 20, 0, 0},
	{"少儿国寿福教育年金", "endowment", 0, 10, 0, 1},
	{"国寿综合意外伤害保险", "accident", 0, 1, 0, 0},
	{"国寿附加住院医疗保险", "health", 0, 1, 0, 0},
	{"鑫尊宝终身寿险（万能型）", "universal", 1, 0, 1, 0},
	{"国寿祥福定期寿险", "term_life", 0, 20, 0, 0},
	{"鸿鑫两全保险（分红型）", "dividend", 0, 10, 0, 0},
};
static const char *const insurers[] = {"平安人寿", "太平洋人寿", "新华保险",
	"泰康人寿"};
static const char *const pay_modes[] = {"annual", "annual", "annual", "half",
	"quarter", "monthly"};
static const char *const channels[] = {"visit", "visit", "phone", "wechat",
	"wechat", "sms", "event"};
static const char *const topics[] = {"general", "birthday", "spring_festival",
	"mid_autumn", "national_day", "mothers_day", "company_news",
	"new_product", "renewal", "delivery", "service_festival", "claim"};
static const char *const places[] = {"客户家中", "客户单位", "小区门口茶楼",
	"公司职场", "电话", "微信", "星巴克（望京店）"};
static const char *const said[] = {
	"最近孩子升学，想了解一下教育金的领取方式和时间。",
	"去年体检有两项指标偏高，担心以后还能不能加保。",
	"收到生日祝福很开心，说公司的服务比以前好多了。",
	"问续期保费能不能改成月缴，年底资金有点紧张。",
	"对新出的养老年金有兴趣，让下次带计划书过来。",
	"老人住院报销材料不全，请帮忙看看还缺什么。",
	"同事也想买重疾险，可以介绍给我认识。",
	"觉得万能账户的结算利率下降了，问原因。",
	"合同收到了，条款都讲清楚了，受益人想改成孩子。"};
static const char *const next_steps[] = {
	"下周送计划书，顺便讲解附加险。", "提醒续期缴费，月底前电话确认。",
	"协助准备理赔材料，三天内回复。", "邀请参加春季客户服务节。",
	"约其同事周六上午见面。", "整理保单，做一次家庭保障检视。"};
static const char *const need_kinds[] = {"life", "health", "annuity",
	"education", "accident"};
static const char *const need_notes[] = {"孩子教育金缺口约五十万",
	"夫妻双方重疾保额不足", "想为退休准备一份稳定现金流",
	"经常出差，意外保额偏低", "父母医疗费用担心"};

#define PICK(r, a) ((a)[bench_rng_below((r), NELEM(a))])

static void
person_name(bench_rng_t *r, char *buf, size_t n)
{
	if (bench_rng_below(r, 3) == 0)
		snprintf(buf, n, "%s%s", PICK(r, surnames), PICK(r, given));
	else
		snprintf(buf, n, "%s%s%s", PICK(r, surnames), PICK(r, given),
		    PICK(r, given));
}

static void
address(bench_rng_t *r, char *buf, size_t n)
{
	snprintf(buf, n, "北京市%s%s%d号%s%d号楼%d单元%d室", PICK(r, districts),
	    PICK(r, streets), (int)bench_rng_below(r, 900) + 1, PICK(r, compounds),
	    (int)bench_rng_below(r, 30) + 1, (int)bench_rng_below(r, 6) + 1,
	    (int)(bench_rng_below(r, 28) + 1) * 100 + (int)bench_rng_below(r, 4) + 1);
}

static void
phone(bench_rng_t *r, char *buf, size_t n)
{
	static const char *const pre[] = {"138", "139", "135", "186", "159",
		"150", "177", "199"};
	snprintf(buf, n, "%s%08d", PICK(r, pre), (int)bench_rng_below(r, 100000000));
}

static void
date_of(int64_t days, char out[11])
{
	fsy_iso_date(days * DAY_MS, out);
}

static void
two_of(bench_rng_t *r, const char *const *a, size_t n, char *buf, size_t cap)
{
	size_t i = bench_rng_below(r, n), j = bench_rng_below(r, n);
	if (j == i)
		j = (j + 1) % n;
	snprintf(buf, cap, "%s%s", a[i], a[j]);
}

static sqlite3_stmt *
prep(fsy_store_t *st, const char *sql)
{
	sqlite3_stmt *s;
	if (sqlite3_prepare_v2(fsy_store_db(st), sql, -1, &s, NULL) != SQLITE_OK)
		bench_die("prepare %s: %s", sql, sqlite3_errmsg(fsy_store_db(st)));
	return s;
}

static void
step(fsy_store_t *st, sqlite3_stmt *s)
{
	int rc = sqlite3_step(s);
	if (rc != SQLITE_DONE)
		bench_die("%s: %s", sqlite3_sql(s), sqlite3_errmsg(fsy_store_db(st)));
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
}

#define TXT(s, i, v) sqlite3_bind_text((s), (i), (v), -1, SQLITE_TRANSIENT)
#define INT(s, i, v) sqlite3_bind_int64((s), (i), (v))

void
bench_hub_init(fsy_store_t *hub)
{
	bench_exec(hub,
	    "INSERT INTO branch(id, code, name) VALUES ('b1','B1','北京分公司');"
	    "INSERT INTO team(id, branch_id, code, name) VALUES ('t1','b1','T1','一组')");
}

void
bench_hub_team(fsy_store_t *hub, const char *team_id, const char *code)
{
	sqlite3_stmt *s = prep(hub, "INSERT INTO team(id, branch_id, code, name) "
	    "VALUES (?, 'b1', ?, ?)");
	char name[64];

	snprintf(name, sizeof(name), "%s组", code);
	TXT(s, 1, team_id);
	TXT(s, 2, code);
	TXT(s, 3, name);
	step(hub, s);
	sqlite3_finalize(s);
}

void
bench_hub_agent(fsy_store_t *hub, const char *agent_id, const char *code,
    const char *team_id)
{
	sqlite3_stmt *s = prep(hub, "INSERT INTO agent(id, code, name, team_id, "
	    "role, hired_on) VALUES (?, ?, ?, ?, 'agent', '2015-03-01')");
	char name[64];

	snprintf(name, sizeof(name), "业务员%s", code);
	TXT(s, 1, agent_id);
	TXT(s, 2, code);
	TXT(s, 3, name);
	TXT(s, 4, team_id);
	step(hub, s);
	sqlite3_finalize(s);
}

typedef struct fill {
	fsy_store_t *st;
	sqlite3_stmt *cust, *pers, *pol, *vis, *need, *ref;
	sqlite3_stmt *row[FSY_NTABLES];  /* a new row read back, by rowid */
	sqlite3_stmt *ver[FSY_NTABLES];  /* its versions written, by rowid */
	sqlite3_stmt *feed;              /* and their feed entries (0006) */
	int64_t site;                    /* the hub's number as a writer */
	int direct;                      /* 1: versions written here */
	int64_t gseq;                    /* last global seq written */
	const char *agent;
	int64_t card;              /* card number counter */
	bench_fill_stats_t *stats;
} fill_t;

/* Inserts a row with s, then (direct mode) records its versions as capture
 * would: every non-NULL replicated column in column order, each with the
 * next global seq and a new HLC of the hub's clock, in the row's _v
 * (vers.h) and the feed. */
static void
put_row(fill_t *f, int t, sqlite3_stmt *s)
{
	sqlite3_stmt *q = f->row[t], *v = f->ver[t];
	fsy_hlc_t *clock = fsy_store_clock(f->st);
	fsy_ver_t ver[FSY_VERS_COLS];
	uint8_t blob[FSY_VERS_MAX];
	int64_t rowid;

	step(f->st, s);
	f->stats->rows[t]++;
	if (!f->direct)
		return;
	rowid = sqlite3_last_insert_rowid(fsy_store_db(f->st));
	sqlite3_bind_int64(q, 1, rowid);
	if (sqlite3_step(q) != SQLITE_ROW)
		bench_die("fill: row just inserted not found");
	memset(ver, 0, sizeof(ver));
	for (int c = 0; c < fsy_tables[t].ncols; c++) {
		if (sqlite3_column_type(q, 2 + c) == SQLITE_NULL)
			continue;
		ver[c].found = 1;
		ver[c].hlc = fsy_hlc_tick(clock);
		ver[c].gseq = ++f->gseq;
		ver[c].site = f->site;
		sqlite3_bind_int64(f->feed, 1, f->gseq);
		sqlite3_bind_value(f->feed, 2, sqlite3_column_value(q, 1));
		sqlite3_bind_int(f->feed, 3, t);
		sqlite3_bind_value(f->feed, 4, sqlite3_column_value(q, 0));
		sqlite3_bind_int(f->feed, 5, c);
		sqlite3_bind_int64(f->feed, 6, (sqlite3_int64)clock->last);
		step(f->st, f->feed);
	}
	sqlite3_reset(q);
	sqlite3_bind_blob(v, 1, blob, (int)fsy__vers_encode(ver,
	    fsy_tables[t].ncols, blob), SQLITE_STATIC);
	sqlite3_bind_int64(v, 2, rowid);
	step(f->st, v);
}

static void
fill_household(fill_t *f, bench_rng_t *r, const bench_shape_t *sh)
{
	char id[37], pid[37], polid[8][37], buf[512], buf2[512], name[32];
	char d1[11], d2[11], d3[11];
	int npol = 0;
	int64_t birth = AS_OF_DAYS - 365 * (25 + (int64_t)bench_rng_below(r, 40)) -
	    (int64_t)bench_rng_below(r, 365);
	int star = (int)bench_rng_below(r, 8);
	sqlite3_stmt *s = f->cust;

	bench_rng_uuid(r, id);
	person_name(r, name, sizeof(name));
	TXT(s, 1, id);
	snprintf(buf, sizeof(buf), "W%07lld", (long long)++f->card);
	TXT(s, 2, buf);
	TXT(s, 3, name);
	TXT(s, 4, bench_rng_below(r, 2) ? "M" : "F");
	date_of(birth, d1);
	TXT(s, 5, d1);
	snprintf(buf, sizeof(buf), "1101%02d%.4s%.2s%.2s%04d",
	    (int)bench_rng_below(r, 20) + 1, d1, d1 + 5, d1 + 8,
	    (int)bench_rng_below(r, 10000));
	TXT(s, 6, buf);
	phone(r, buf, sizeof(buf));
	TXT(s, 7, buf);
	address(r, buf, sizeof(buf));
	TXT(s, 8, buf);
	TXT(s, 9, PICK(r, occupations));
	INT(s, 10, (int64_t)(bench_rng_below(r, 60) + 8) * 1000000);
	TXT(s, 11, PICK(r, ratings));
	TXT(s, 12, PICK(r, groups));
	TXT(s, 13, PICK(r, need_tags));
	two_of(r, facts, NELEM(facts), buf, sizeof(buf));
	TXT(s, 14, buf);
	two_of(r, perceptions, NELEM(perceptions), buf2, sizeof(buf2));
	TXT(s, 15, buf2);
	INT(s, 16, bench_rng_below(r, 10) == 0);
	TXT(s, 17, f->agent);
	date_of(AS_OF_DAYS - (int64_t)bench_rng_below(r, 3000), d2);
	TXT(s, 18, d2);
	INT(s, 19, star);
	INT(s, 20, (int64_t)star * 2500000 + (int64_t)bench_rng_below(r, 2500000));
	if (star >= 5)
		TXT(s, 21, star == 7 ? "diamond" : star == 6 ? "platinum" : "gold");
	INT(s, 22, (int64_t)bench_rng_below(r, 5000000));
	TXT(s, 23, d2);
	put_row(f, FSY_T_CUSTOMER, s);

	/* related persons */
	int npers = 1 + (int)bench_rng_below(r, 4);
	for (int i = 0; i < npers; i++) {
		s = f->pers;
		bench_rng_uuid(r, pid);
		TXT(s, 1, pid);
		TXT(s, 2, id);
		TXT(s, 3, i == 0 ? "spouse" : PICK(r, relations));
		person_name(r, name, sizeof(name));
		TXT(s, 4, name);
		TXT(s, 5, bench_rng_below(r, 2) ? "M" : "F");
		date_of(birth + (int64_t)bench_rng_below(r, 20000) - 10000, d1);
		TXT(s, 6, d1);
		TXT(s, 7, PICK(r, occupations));
		if (bench_rng_below(r, 4) == 0)
			TXT(s, 8, PICK(r, health_notes));
		put_row(f, FSY_T_PERSON, s);
	}

	/* policies: own, and another insurer's in about one household in 7 */
	npol = 1 + (int)bench_rng_below(r, 5);
	for (int i = 0; i < npol; i++) {
		int ext = i == npol - 1 && bench_rng_below(r, 7) == 0;
		int k = (int)bench_rng_below(r, NELEM(products));
		int64_t issue = AS_OF_DAYS - (int64_t)bench_rng_below(r, 365 * 12);
		int64_t prem = (int64_t)(bench_rng_below(r, 50) + 1) * 100000;
		const char *mode = products[k].single ? "single" : PICK(r, pay_modes);
		int mult = !strcmp(mode, "monthly") ? 12 : !strcmp(mode, "quarter") ? 4
		    : !strcmp(mode, "half") ? 2 : 1;
		s = f->pol;
		bench_rng_uuid(r, polid[i]);
		TXT(s, 1, polid[i]);
		TXT(s, 2, id);
		snprintf(buf, sizeof(buf), "%s%012llu", ext ? "X" : "P",
		    (unsigned long long)bench_rng_below(r, 1000000000000ULL));
		TXT(s, 3, buf);
		INT(s, 4, ext);
		if (ext)
			TXT(s, 5, PICK(r, insurers));
		TXT(s, 6, products[k].name);
		TXT(s, 7, products[k].type);
		INT(s, 8, i == 0 || bench_rng_below(r, 3) != 0);
		person_name(r, name, sizeof(name));
		TXT(s, 9, name);
		TXT(s, 10, mode);
		INT(s, 11, prem / mult);
		INT(s, 12, products[k].single ? 0 : prem);
		INT(s, 13, products[k].years);
		date_of(issue, d1);
		TXT(s, 14, d1);
		if (!products[k].single) {
			date_of(AS_OF_DAYS + (int64_t)bench_rng_below(r, 365), d2);
			TXT(s, 15, d2);
		}
		date_of(issue + 365 * (products[k].years ? products[k].years + 20 : 40), d3);
		TXT(s, 16, d3);
		if (products[k].annuity)
			TXT(s, 17, d2);
		TXT(s, 18, bench_rng_below(r, 10) ? "inforce" : "grace");
		TXT(s, 19, d1);
		INT(s, 20, prem * (int64_t)(10 + bench_rng_below(r, 40)));
		if (products[k].universal)
			INT(s, 21, prem + (int64_t)bench_rng_below(r, 1000000));
		TXT(s, 22, "法定");
		if (!ext)
			TXT(s, 23, f->agent);
		put_row(f, FSY_T_POLICY, s);
	}

	/* needs and referrals */
	for (int i = 0, n = (int)bench_rng_below(r, 3); i < n; i++) {
		s = f->need;
		bench_rng_uuid(r, pid);
		TXT(s, 1, pid);
		TXT(s, 2, id);
		TXT(s, 3, PICK(r, need_kinds));
		TXT(s, 4, PICK(r, need_notes));
		TXT(s, 5, bench_rng_below(r, 3) ? "open" : "met");
		date_of(AS_OF_DAYS - (int64_t)bench_rng_below(r, 1500), d1);
		TXT(s, 6, d1);
		put_row(f, FSY_T_NEED, s);
	}
	if (bench_rng_below(r, 8) == 0) {
		s = f->ref;
		bench_rng_uuid(r, pid);
		TXT(s, 1, pid);
		TXT(s, 2, id);
		person_name(r, name, sizeof(name));
		TXT(s, 3, name);
		phone(r, buf, sizeof(buf));
		TXT(s, 4, buf);
		TXT(s, 5, "同事");
		TXT(s, 6, "对重疾险有兴趣，周末方便");
		date_of(AS_OF_DAYS - (int64_t)bench_rng_below(r, 900), d1);
		TXT(s, 7, d1);
		put_row(f, FSY_T_REFERRAL, s);
	}

	/* visits: sh->visit_years years, about visits_per_year a year */
	int64_t nvis = (int64_t)sh->visit_years * sh->visits_per_year;
	if (nvis > 0)
		nvis = nvis / 2 + (int64_t)bench_rng_below(r, (uint64_t)nvis + 1);
	for (int64_t i = 0; i < nvis; i++) {
		int64_t span = (int64_t)sh->visit_years * 365 * 86400;
		int64_t t = (int64_t)AS_OF_DAYS * 86400 - span +
		    (int64_t)bench_rng_below(r, (uint64_t)span);
		int64_t rec = t + 600 + (int64_t)bench_rng_below(r, 20 * 3600);
		char at[21], recat[21], recv[21];
		const char *topic = PICK(r, topics);
		s = f->vis;
		bench_rng_uuid(r, pid);
		fsy_iso_time(t * 1000, at);
		fsy_iso_time(rec * 1000, recat);
		fsy_iso_time((rec + 300) * 1000, recv);
		TXT(s, 1, pid);
		TXT(s, 2, id);
		TXT(s, 3, f->agent);
		TXT(s, 4, at);
		TXT(s, 5, recat);
		TXT(s, 6, recv);
		TXT(s, 7, PICK(r, places));
		TXT(s, 8, PICK(r, channels));
		TXT(s, 9, topic);
		if (!strcmp(topic, "renewal") || !strcmp(topic, "delivery"))
			TXT(s, 10, polid[bench_rng_below(r, (uint64_t)npol)]);
		TXT(s, 11, PICK(r, said));
		if (bench_rng_below(r, 2))
			TXT(s, 12, PICK(r, next_steps));
		put_row(f, FSY_T_VISIT, s);
	}
}

void
bench_fill(fsy_store_t *hub, const char *agent_id, const bench_shape_t *sh,
    uint64_t seed, bench_fill_stats_t *stats)
{
	bench_fill_stats_t local;
	bench_rng_t r;
	sqlite3 *db = fsy_store_db(hub);
	int64_t before = bench_versions(hub), cache;
	char sql[1600];
	fill_t f;

	bench_rng_seed(&r, seed, 1);
	memset(&local, 0, sizeof(local));
	memset(&f, 0, sizeof(f));
	f.st = hub;
	f.agent = agent_id;
	f.stats = stats ? stats : &local;
	memset(f.stats, 0, sizeof(*f.stats));
	f.card = bench_int(hub, "SELECT count(*) FROM customer");
	/* The rows go in without the capture triggers and each row's versions
	 * are written right after it by put_row(): what capture records, in
	 * the same order (bench_check_fill compares the two), several times
	 * faster than through the triggers. */
	f.direct = !sh->via_capture;
	/* A larger page cache while filling only (setup, not measured); the
	 * store's own setting is put back below. */
	cache = bench_int(hub, "PRAGMA cache_size");
	bench_exec(hub, "PRAGMA cache_size = -262144");
	if (f.direct) {
		sqlite3_db_config(db, SQLITE_DBCONFIG_ENABLE_TRIGGER, 0, NULL);
		f.gseq = bench_int(hub, "SELECT ifnull(max(gseq), 0) FROM col_feed");
		f.site = bench_int(hub, "SELECT id FROM site WHERE name = "
		    "(SELECT value FROM meta WHERE key = 'site')");
		f.feed = prep(hub, "INSERT INTO col_feed(gseq, customer_id, tbl, "
		    "row_id, col, clk) VALUES (?,?,?,?,?,?)");
		for (int t = 0; t < FSY_NTABLES; t++) {
			size_t n = (size_t)snprintf(sql, sizeof(sql),
			    "SELECT id, customer_id");
			for (int c = 0; c < fsy_tables[t].ncols; c++)
				n += (size_t)snprintf(sql + n, sizeof(sql) - n, ", %s",
				    fsy_tables[t].cols[c].name);
			snprintf(sql + n, sizeof(sql) - n, " FROM %s WHERE rowid = ?",
			    fsy_tables[t].name);
			f.row[t] = prep(hub, sql);
			snprintf(sql, sizeof(sql), "UPDATE %s SET _v = ? WHERE "
			    "rowid = ?", fsy_tables[t].name);
			f.ver[t] = prep(hub, sql);
		}
	}
	f.cust = prep(hub, "INSERT INTO customer(id, customer_id, card_no, name, "
	    "gender, birth_date, id_number, phone, address, occupation, income_fen, "
	    "rating, grp, need_tags, facts, perceptions, recruit_interest, "
	    "owner_agent_id, owner_since, star_level, star_score_fen, vip_tier, "
	    "vip_points_fen, created_at) VALUES (?1, ?1, ?2, ?3, ?4, ?5, ?6, ?7, "
	    "?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, "
	    "?22, ?23)");
	f.pers = prep(hub, "INSERT INTO person(id, customer_id, relation, name, "
	    "gender, birth_date, occupation, health_notes) VALUES (?,?,?,?,?,?,?,?)");
	f.pol = prep(hub, "INSERT INTO policy(id, customer_id, policy_no, external, "
	    "insurer, product, product_type, is_main, insured_name, pay_mode, "
	    "modal_premium_fen, annual_premium_fen, payment_years, issue_date, "
	    "next_due_date, end_date, survival_date, status, status_date, "
	    "sum_assured_fen, account_value_fen, beneficiary, soliciting_agent_id) "
	    "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
	f.vis = prep(hub, "INSERT INTO visit(id, customer_id, agent_id, happened_at, "
	    "recorded_at, received_at, place, channel, topic, policy_id, "
	    "customer_said, next_step) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)");
	f.need = prep(hub, "INSERT INTO need(id, customer_id, kind, note, status, "
	    "created_at) VALUES (?,?,?,?,?,?)");
	f.ref = prep(hub, "INSERT INTO referral(id, customer_id, name, phone, "
	    "relation, note, created_at) VALUES (?,?,?,?,?,?,?)");
	for (int64_t i = 0; i < sh->customers; i++) {
		if (i % 2000 == 0) {
			if (i)
				bench_exec(hub, "COMMIT");
			bench_exec(hub, "BEGIN IMMEDIATE");
		}
		fill_household(&f, &r, sh);
	}
	bench_exec(hub, "COMMIT");
	sqlite3_finalize(f.cust);
	sqlite3_finalize(f.pers);
	sqlite3_finalize(f.pol);
	sqlite3_finalize(f.vis);
	sqlite3_finalize(f.need);
	sqlite3_finalize(f.ref);
	snprintf(sql, sizeof(sql), "PRAGMA cache_size = %lld", (long long)cache);
	bench_exec(hub, sql);
	bench_exec(hub, "PRAGMA shrink_memory");
	if (f.direct) {
		sqlite3_finalize(f.feed);
		for (int t = 0; t < FSY_NTABLES; t++) {
			sqlite3_finalize(f.row[t]);
			sqlite3_finalize(f.ver[t]);
		}
		sqlite3_db_config(db, SQLITE_DBCONFIG_ENABLE_TRIGGER, 1, NULL);
	}
	f.stats->columns = bench_versions(hub) - before;
}

/* Compares what the two fill paths record for the same book: the same
 * versions, values and global seqs (HLCs differ: they are clock times). */
int
bench_check_fill(const char *dir)
{
	char a[1024], b[1024];
	bench_shape_t sh = {60, 2, 4, 0};
	fsy_store_t *x, *y;
	int64_t diff;
	char sql[1200];

	snprintf(a, sizeof(a), "%s/check-capture.db", dir);
	snprintf(b, sizeof(b), "%s/check-fast.db", dir);
	bench_rm_db(a);
	bench_rm_db(b);
	x = bench_open(a, FSY_ROLE_HUB, NULL);
	y = bench_open(b, FSY_ROLE_HUB, NULL);
	bench_hub_init(x);
	bench_hub_init(y);
	bench_hub_agent(x, "0190b000-0000-7000-8000-00000000c001", "C1", "t1");
	bench_hub_agent(y, "0190b000-0000-7000-8000-00000000c001", "C1", "t1");
	sh.via_capture = 1;
	bench_fill(x, "0190b000-0000-7000-8000-00000000c001", &sh, 5, NULL);
	bench_fill(x, "0190b000-0000-7000-8000-00000000c001", &sh, 6, NULL);
	sh.via_capture = 0;
	bench_fill(y, "0190b000-0000-7000-8000-00000000c001", &sh, 5, NULL);
	bench_fill(y, "0190b000-0000-7000-8000-00000000c001", &sh, 6, NULL);
	fsy_store_close(y);
	snprintf(sql, sizeof(sql), "ATTACH '%s' AS fast", b);
	bench_exec(x, sql);
	/* every row with its values and its versions' columns and gseqs */
	diff = 0;
	for (int t = 0; t < FSY_NTABLES; t++) {
		char cols[1400], q[4000];
		size_t n = 0;
		for (int c = 0; c < fsy_tables[t].ncols; c++)
			n += (size_t)snprintf(cols + n, sizeof(cols) - n, ", %s",
			    fsy_tables[t].cols[c].name);
#define VERS_OF(db) "SELECT id, customer_id%s, (SELECT group_concat((j.value->>0) " \
	    "|| ':' || (j.value->>3)) FROM json_each(fsy_versions(_v)) j) FROM " db ".%s"
		snprintf(q, sizeof(q), "SELECT (SELECT count(*) FROM (" VERS_OF("main")
		    " EXCEPT " VERS_OF("fast") ")) + (SELECT count(*) FROM ("
		    VERS_OF("fast") " EXCEPT " VERS_OF("main") ")) + (SELECT "
		    "count(*) FROM main.%s) - (SELECT count(*) FROM fast.%s)",
		    cols, fsy_tables[t].name, cols, fsy_tables[t].name,
		    cols, fsy_tables[t].name, cols, fsy_tables[t].name,
		    fsy_tables[t].name, fsy_tables[t].name);
#undef VERS_OF
		diff += bench_int(x, q);
	}
	diff += bench_int(x, "SELECT (SELECT count(*) FROM (SELECT gseq, "
	    "customer_id, tbl, row_id, col FROM main.col_feed EXCEPT SELECT gseq, "
	    "customer_id, tbl, row_id, col FROM fast.col_feed)) + (SELECT count(*) "
	    "FROM (SELECT gseq, customer_id, tbl, row_id, col FROM fast.col_feed "
	    "EXCEPT SELECT gseq, customer_id, tbl, row_id, col FROM main.col_feed)) "
	    "+ (SELECT count(*) FROM main.col_feed_dead) + (SELECT count(*) FROM "
	    "fast.col_feed_dead) + (SELECT count(*) FROM main.col_feed) - (SELECT "
	    "count(*) FROM fast.col_feed)");
	bench_exec(x, "DETACH fast");
	fsy_store_close(x);
	bench_rm_db(a);
	bench_rm_db(b);
	return diff == 0 ? 0 : 1;
}

/* ---- a replica as a first sync leaves it ---------------------------------- */

void
bench_seed_replica(fsy_store_t *hub, const char *hub_path, fsy_store_t *agent,
    const char *device_id, const char *agent_id)
{
	sqlite3 *adb = fsy_store_db(agent);
	int64_t g = bench_int(hub, "SELECT ifnull(max(gseq), 0) FROM col_feed");
	int64_t hlc = (int64_t)fsy_store_clock(hub)->last; /* past every version */
	sqlite3_stmt *q;
	char sql[2048];

	/* the hub: every owned customer held, covered up to g */
	bench_exec(hub, "BEGIN IMMEDIATE");
	q = prep(hub, "INSERT INTO device_scope(device_id, customer_id, state, "
	    "snap_gseq) SELECT ?1, id, 0, ?2 FROM customer WHERE owner_agent_id = ?3");
	TXT(q, 1, device_id);
	INT(q, 2, g);
	TXT(q, 3, agent_id);
	step(hub, q);
	sqlite3_finalize(q);
	q = prep(hub, "UPDATE device_state SET pull_cursor = ?2 WHERE device_id = ?1");
	TXT(q, 1, device_id);
	INT(q, 2, g);
	step(hub, q);
	sqlite3_finalize(q);
	bench_exec(hub, "COMMIT");

	/* the laptop: the rows, as the snapshots would have written them */
	snprintf(sql, sizeof(sql), "ATTACH '%s' AS hubdb", hub_path);
	bench_exec(agent, sql);
	sqlite3_db_config(adb, SQLITE_DBCONFIG_ENABLE_TRIGGER, 0, NULL);
	bench_exec(agent, "BEGIN IMMEDIATE");
	for (int t = 0; t < FSY_NTABLES; t++) {
		size_t n = 0;
		char cols[1400];
		for (int c = 0; c < fsy_tables[t].ncols; c++)
			n += (size_t)snprintf(cols + n, sizeof(cols) - n, ", %s",
			    fsy_tables[t].cols[c].name);
		snprintf(sql, sizeof(sql), "INSERT INTO main.%s(id, customer_id%s) "
		    "SELECT id, customer_id%s FROM hubdb.%s WHERE customer_id IN "
		    "(SELECT id FROM hubdb.customer WHERE owner_agent_id = ?1)",
		    fsy_tables[t].name, cols, cols, fsy_tables[t].name);
		q = prep(agent, sql);
		TXT(q, 1, agent_id);
		step(agent, q);
		sqlite3_finalize(q);
	}
	if (fsy_store_meta_set_int(agent, "pull_cursor", g) != FSY_OK ||
	    fsy_store_meta_set_int(agent, "hlc", hlc) != FSY_OK)
		bench_die("seed: meta");
	bench_exec(agent, "COMMIT");
	sqlite3_db_config(adb, SQLITE_DBCONFIG_ENABLE_TRIGGER, 1, NULL);
	bench_exec(agent, "DETACH hubdb");
	fsy_hlc_recv(fsy_store_clock(agent), (uint64_t)hlc);
}

/* ---- the ids a day's edits pick from -------------------------------------- */

int64_t
bench_versions(fsy_store_t *hub)
{
	int64_t n = 0;
	char sql[128];

	for (int t = 0; t < FSY_NTABLES; t++) {
		snprintf(sql, sizeof(sql), "SELECT ifnull(sum(fsy_vcount(_v)), 0) "
		    "FROM %s", fsy_tables[t].name);
		n += bench_int(hub, sql);
	}
	return n;
}

static int64_t
load_ids(fsy_store_t *st, const char *sql, char (**a)[37], char (**b)[37])
{
	sqlite3_stmt *s = prep(st, sql);
	int64_t n = 0, cap = 1024;

	*a = malloc((size_t)cap * 37);
	if (b)
		*b = malloc((size_t)cap * 37);
	if (*a == NULL || (b && *b == NULL))
		bench_die("out of memory");
	while (sqlite3_step(s) == SQLITE_ROW) {
		if (n == cap) {
			cap *= 2;
			*a = realloc(*a, (size_t)cap * 37);
			if (b)
				*b = realloc(*b, (size_t)cap * 37);
			if (*a == NULL || (b && *b == NULL))
				bench_die("out of memory");
		}
		snprintf((*a)[n], 37, "%s", sqlite3_column_text(s, 0));
		if (b)
			snprintf((*b)[n], 37, "%s", sqlite3_column_text(s, 1));
		n++;
	}
	sqlite3_finalize(s);
	return n;
}

void
bench_ids_load(fsy_store_t *st, bench_ids_t *ids)
{
	memset(ids, 0, sizeof(*ids));
	ids->ncustomer = load_ids(st, "SELECT id FROM customer ORDER BY id",
	    &ids->customer, NULL);
	ids->nperson = load_ids(st, "SELECT id, customer_id FROM person ORDER BY id",
	    &ids->person, &ids->person_cust);
	ids->npolicy = load_ids(st, "SELECT id, customer_id FROM policy WHERE "
	    "external = 0 ORDER BY id", &ids->policy, &ids->policy_cust);
	if (ids->ncustomer == 0 || ids->nperson == 0)
		bench_die("replica holds no customers");
}

void
bench_ids_free(bench_ids_t *ids)
{
	free(ids->customer);
	free(ids->person);
	free(ids->person_cust);
	free(ids->policy);
	free(ids->policy_cust);
	memset(ids, 0, sizeof(*ids));
}

/* ---- a day's edits -------------------------------------------------------- */

/* The fields a day's edits touch: table, column, and how to make a value. */
enum { V_PHONE, V_ADDR, V_OCC, V_INCOME, V_RATING, V_GRP, V_TAGS, V_FACTS,
	V_PERC, V_HEALTH, V_NAME };
static const struct {
	int tbl;
	const char *col;
	int kind;
	int weight;
} fields[] = {
	{FSY_T_CUSTOMER, "phone", V_PHONE, 10},
	{FSY_T_CUSTOMER, "address", V_ADDR, 8},
	{FSY_T_CUSTOMER, "occupation", V_OCC, 8},
	{FSY_T_CUSTOMER, "income_fen", V_INCOME, 6},
	{FSY_T_CUSTOMER, "rating", V_RATING, 8},
	{FSY_T_CUSTOMER, "grp", V_GRP, 6},
	{FSY_T_CUSTOMER, "need_tags", V_TAGS, 8},
	{FSY_T_CUSTOMER, "facts", V_FACTS, 12},
	{FSY_T_CUSTOMER, "perceptions", V_PERC, 12},
	{FSY_T_PERSON, "occupation", V_OCC, 10},
	{FSY_T_PERSON, "health_notes", V_HEALTH, 8},
	{FSY_T_PERSON, "name", V_NAME, 4},
};

static int
pick_field(bench_rng_t *r)
{
	int total = 0, k;
	for (size_t i = 0; i < NELEM(fields); i++)
		total += fields[i].weight;
	k = (int)bench_rng_below(r, (uint64_t)total);
	for (size_t i = 0; i < NELEM(fields); i++) {
		if (k < fields[i].weight)
			return (int)i;
		k -= fields[i].weight;
	}
	return 0;
}

/* Makes a value of the field's kind: text into buf, or an integer. */
static void
field_value(bench_rng_t *r, int kind, char *buf, size_t n, fsy_val_t *v)
{
	memset(v, 0, sizeof(*v));
	v->type = FSY_VAL_TEXT;
	switch (kind) {
	case V_PHONE: phone(r, buf, n); break;
	case V_ADDR: address(r, buf, n); break;
	case V_OCC: snprintf(buf, n, "%s", PICK(r, occupations)); break;
	case V_INCOME:
		v->type = FSY_VAL_INT;
		v->i = (int64_t)(bench_rng_below(r, 60) + 8) * 1000000;
		return;
	case V_RATING: snprintf(buf, n, "%s", PICK(r, ratings)); break;
	case V_GRP: snprintf(buf, n, "%s", PICK(r, groups)); break;
	case V_TAGS: snprintf(buf, n, "%s", PICK(r, need_tags)); break;
	case V_FACTS: two_of(r, facts, NELEM(facts), buf, n); break;
	case V_PERC: two_of(r, perceptions, NELEM(perceptions), buf, n); break;
	case V_HEALTH: snprintf(buf, n, "%s", PICK(r, health_notes)); break;
	default: person_name(r, buf, n); break;
	}
	v->s = buf;
	v->n = strlen(buf);
}

void
bench_day_make(fsy_store_t *st, const bench_ids_t *ids, const bench_day_t *d,
    const char *agent_id, const char *device_id, uint64_t seed)
{
	bench_rng_t r;
	sqlite3_stmt *vis = prep(st, "INSERT INTO visit(id, customer_id, agent_id, "
	    "device_id, happened_at, recorded_at, place, channel, topic, policy_id, "
	    "customer_said, next_step) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)");
	char sql[128], buf[512], vid[37], at[21], rec[21];
	int64_t now = fsy_now_ms();

	bench_rng_seed(&r, seed, 2);

	for (int i = 0; i < d->visits; i++) {
		int64_t k = ids->npolicy > 0
		    ? (int64_t)bench_rng_below(&r, (uint64_t)ids->npolicy) : 0;
		/* a visit about one of the customer's policies, or general */
		int about = ids->npolicy > 0 && bench_rng_below(&r, 3) == 0;
		const char *cust = about ? ids->policy_cust[k]
		    : ids->customer[bench_rng_below(&r, (uint64_t)ids->ncustomer)];
		fsy_uuid_v7(vid);
		fsy_iso_time(now - 8 * 3600 * 1000 + i * 600 * 1000, at);
		fsy_iso_time(now - 7 * 3600 * 1000 + i * 600 * 1000, rec);
		TXT(vis, 1, vid);
		TXT(vis, 2, cust);
		TXT(vis, 3, agent_id);
		TXT(vis, 4, device_id);
		TXT(vis, 5, at);
		TXT(vis, 6, rec);
		TXT(vis, 7, PICK(&r, places));
		TXT(vis, 8, PICK(&r, channels));
		TXT(vis, 9, about ? "renewal" : PICK(&r, topics));
		if (about)
			TXT(vis, 10, ids->policy[k]);
		TXT(vis, 11, PICK(&r, said));
		TXT(vis, 12, PICK(&r, next_steps));
		step(st, vis);
	}
	sqlite3_finalize(vis);

	for (int i = 0; i < d->edits; i++) {
		int f = pick_field(&r);
		const char *row;
		fsy_val_t v;
		sqlite3_stmt *s;
		if (fields[f].tbl == FSY_T_CUSTOMER)
			row = ids->customer[bench_rng_below(&r, (uint64_t)ids->ncustomer)];
		else
			row = ids->person[bench_rng_below(&r, (uint64_t)ids->nperson)];
		field_value(&r, fields[f].kind, buf, sizeof(buf), &v);
		snprintf(sql, sizeof(sql), "UPDATE %s SET %s = ? WHERE id = ?",
		    fsy_tables[fields[f].tbl].name, fields[f].col);
		s = prep(st, sql);
		if (fsy_val_bind(s, 1, &v) != SQLITE_OK)
			bench_die("bind");
		TXT(s, 2, row);
		step(st, s);
		sqlite3_finalize(s);
	}
}

uint32_t
bench_day_changes(bench_rng_t *r, fsy_hlc_t *clock, const char (*cust)[37],
    uint32_t ncust, const char (*pers)[37], const char (*pers_cust)[37],
    uint32_t npers, const bench_day_t *d, const char *agent_id,
    const char *device_id, int64_t seq, fsy_change_t *out, uint32_t cap,
    char **store)
{
	static const char *const vcols[] = {"agent_id", "device_id", "happened_at",
		"recorded_at", "place", "channel", "topic", "customer_said",
		"next_step"};
	size_t scap = ((size_t)d->visits * 2 + (size_t)d->edits) * 512 + 64, used = 0;
	char *sb = malloc(scap);
	uint32_t n = 0;
	int64_t now = fsy_hlc_wall(clock);

	if (sb == NULL)
		bench_die("out of memory");
	*store = sb;
	for (int i = 0; i < d->visits; i++) {
		char vid[37];
		const char *c = cust[bench_rng_below(r, ncust)];
		bench_rng_uuid(r, vid);
		for (size_t k = 0; k < NELEM(vcols) && n < cap; k++) {
			fsy_change_t *ch = &out[n++];
			const char *txt;
			memset(ch, 0, sizeof(*ch));
			ch->seq = seq++;
			ch->tbl = FSY_T_VISIT;
			ch->col = (uint8_t)fsy_col_find(FSY_T_VISIT, vcols[k]);
			memcpy(ch->row_id, vid, 37);
			memcpy(ch->customer_id, c, 37);
			ch->hlc = fsy_hlc_tick(clock);
			switch (k) {
			case 0: txt = agent_id; break;
			case 1: txt = device_id; break;
			case 2:
			case 3:
				fsy_iso_time(now - (k == 2 ? 8 : 7) * 3600 * 1000 +
				    i * 600 * 1000, sb + used);
				txt = sb + used;
				used += 21;
				break;
			case 4: txt = PICK(r, places); break;
			case 5: txt = PICK(r, channels); break;
			case 6: txt = PICK(r, topics); break;
			case 7: txt = PICK(r, said); break;
			default: txt = PICK(r, next_steps); break;
			}
			ch->val.type = FSY_VAL_TEXT;
			ch->val.s = txt;
			ch->val.n = strlen(txt);
		}
	}
	for (int i = 0; i < d->edits && n < cap; i++) {
		int f = pick_field(r);
		fsy_change_t *ch = &out[n++];
		uint32_t k;
		memset(ch, 0, sizeof(*ch));
		ch->seq = seq++;
		ch->tbl = (uint8_t)fields[f].tbl;
		ch->col = (uint8_t)fsy_col_find(fields[f].tbl, fields[f].col);
		if (fields[f].tbl == FSY_T_CUSTOMER) {
			k = (uint32_t)bench_rng_below(r, ncust);
			memcpy(ch->row_id, cust[k], 37);
			memcpy(ch->customer_id, cust[k], 37);
		} else {
			k = (uint32_t)bench_rng_below(r, npers);
			memcpy(ch->row_id, pers[k], 37);
			memcpy(ch->customer_id, pers_cust[k], 37);
		}
		ch->hlc = fsy_hlc_tick(clock);
		field_value(r, fields[f].kind, sb + used, 512, &ch->val);
		used += ch->val.type == FSY_VAL_TEXT ? ch->val.n + 1 : 0;
	}
	return n;
}
