/*
 * tool_cmds.c — the commands of `fieldsync`: their words, arguments, help
 * and examples, and turning a command line into the request's arguments.
 * The daemon checks every argument again (cmd.h); the checks here only
 * catch what is wrong before anything is sent.
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tool.h"

#define END {NULL, NULL, 0, NULL, NULL, 0}
#define T FSY_TOOL_TEXT
#define I FSY_TOOL_INT
#define F FSY_TOOL_FLAG
#define REQ 1

/* Shared argument lines. */
#define O_CUSTOMER_REQ {"--customer", "customer", T, "CARD|ID", \
	"the customer: card number like W0001, or customer id", REQ}
#define O_CUSTOMER {"--customer", "customer", T, "CARD|ID", \
	"only this customer: card number like W0001, or customer id", 0}
#define P_CUSTOMER {"CUSTOMER", "customer", T, NULL, \
	"card number like W0001, or customer id", REQ}
#define O_AS_OF {"--as-of", "as_of", T, "DATE", \
	"compute as of this day, YYYY-MM-DD (default today)", 0}
#define O_LIMIT {"--limit", "limit", I, "N", \
	"list at most N rows (default 200)", 0}
#define O_BY {"--by", "by", T, "NAME", \
	"who decides, for the record (default head office)", 0}

static const fsy_tool_opt_t none[] = {END};

/* ---- an agent's laptop ---------------------------------------------------- */

static const fsy_tool_opt_t o_customers[] = {
	{"--rating", "rating", T, "A|B|C|D", "only this rating", 0},
	{"--group", "group", T, "GROUP",
	    "only this group: ordinary, potential, key, premium", 0},
	{"--min-star", "min_star", I, "N", "only star level N (0-7) and up", 0},
	{"--vip", "vip", T, "TIER",
	    "only this VIP tier: diamond, platinum, gold, or any", 0},
	{"--due", "due", F, NULL,
	    "only customers with obligations overdue or due this week", 0},
	{"--search", "search", T, "TEXT",
	    "only names, phones or card numbers containing TEXT", 0},
	O_LIMIT,
	END,
};

static const fsy_tool_opt_t p_customer[] = {P_CUSTOMER, END};
static const fsy_tool_opt_t o_card[] = {O_AS_OF, END};

static const fsy_tool_opt_t o_visit_add[] = {
	O_CUSTOMER_REQ,
	{"--channel", "channel", T, "CHANNEL",
	    "visit, phone, wechat, sms or event", REQ},
	{"--topic", "topic", T, "TOPIC", "general (default), birthday, "
	    "spring_festival, mid_autumn, national_day, mothers_day, "
	    "fathers_day, company_news, new_product, renewal, delivery, "
	    "first_contact, survival_notice, service_festival, claim", 0},
	{"--at", "happened_at", T, "WHEN", "when it happened: YYYY-MM-DD "
	    "HH:MM local time (default now; a date alone is noon)", 0},
	{"--place", "place", T, "TEXT", "where", 0},
	{"--said", "customer_said", T, "TEXT", "what the customer said", 0},
	{"--next", "next_step", T, "TEXT", "the next step agreed", 0},
	{"--policy", "policy", T, "NO|ID",
	    "the policy it concerns (policy number or id)", 0},
	END,
};

#define FAMILY_FIELDS(req) \
	{"--relation", "relation", T, "REL", \
	    "self, spouse, child, parent or other", req}, \
	{"--name", "name", T, "NAME", "the person's name", req}, \
	{"--gender", "gender", T, "M|F", "gender", 0}, \
	{"--birth", "birth_date", T, "DATE", "birth date, YYYY-MM-DD", 0}, \
	{"--occupation", "occupation", T, "TEXT", "occupation", 0}, \
	{"--health", "health_notes", T, "TEXT", "health notes", 0}

static const fsy_tool_opt_t o_family_add[] = {
	O_CUSTOMER_REQ, FAMILY_FIELDS(REQ), END,
};

static const fsy_tool_opt_t p_person[] = {
	{"PERSON", "person", T, NULL, "the person's id (from fieldsync card)",
	    REQ},
	END,
};

static const fsy_tool_opt_t o_family_edit[] = {
	FAMILY_FIELDS(0),
	{"--delete", "delete", F, NULL, "remove the person from the card", 0},
	END,
};

static const fsy_tool_opt_t o_need_add[] = {
	O_CUSTOMER_REQ,
	{"--kind", "kind", T, "KIND",
	    "the need: life, health, annuity, education, ...", REQ},
	{"--note", "note", T, "TEXT", "details", 0},
	{"--status", "status", T, "STATUS", "open (default), met or dropped", 0},
	END,
};

static const fsy_tool_opt_t o_referral_add[] = {
	O_CUSTOMER_REQ,
	{"--name", "name", T, "NAME", "the referred person's name", REQ},
	{"--phone", "phone", T, "PHONE", "their phone", 0},
	{"--relation", "relation", T, "TEXT", "how they know the customer", 0},
	{"--note", "note", T, "TEXT", "notes", 0},
	{"--card", "card", F, NULL, "also open a card for them now, with a "
	    "provisional number until head office numbers it", 0},
	END,
};

static const fsy_tool_opt_t o_policy_add[] = {
	O_CUSTOMER_REQ,
	{"--insurer", "insurer", T, "NAME", "the other insurer", REQ},
	{"--product", "product", T, "NAME", "the product", REQ},
	{"--type", "product_type", T, "TYPE", "accident, health, term_life, "
	    "whole_life, endowment, annuity, dividend, traditional, universal, "
	    "investment_linked or critical_illness", REQ},
	{"--premium", "premium", T, "YUAN", "premium per payment, in yuan",
	    REQ},
	{"--pay", "pay_mode", T, "MODE",
	    "annual, half, quarter, monthly or single", REQ},
	{"--years", "payment_years", I, "N",
	    "payment term in years (required unless --pay single)", 0},
	{"--issued", "issue_date", T, "DATE", "issue date, YYYY-MM-DD", 0},
	{"--next-due", "next_due_date", T, "DATE", "next premium due date", 0},
	{"--ends", "end_date", T, "DATE", "end of cover / maturity", 0},
	{"--sum", "sum_assured", T, "YUAN", "sum assured, in yuan", 0},
	{"--insured", "insured_name", T, "NAME", "the insured person", 0},
	{"--beneficiary", "beneficiary", T, "TEXT", "beneficiary", 0},
	{"--status", "status", T, "STATUS",
	    "inforce (default), grace, lapsed, surrendered, matured, ...", 0},
	{"--number", "policy_no", T, "NO", "the policy number", 0},
	{"--rider", "rider", F, NULL, "a rider, not a main policy", 0},
	END,
};

static const fsy_tool_opt_t o_edit[] = {
	{"--phone", "phone", T, "PHONE", "phone number (\"\" clears)", 0},
	{"--address", "address", T, "TEXT", "address", 0},
	{"--occupation", "occupation", T, "TEXT", "occupation", 0},
	{"--income", "income", T, "YUAN", "yearly household income, yuan", 0},
	{"--rating", "rating", T, "A|B|C|D", "A: develop within 1-3 months, "
	    "B: 3-6, C: 6-12, D: later", 0},
	{"--group", "group", T, "GROUP",
	    "ordinary, potential, key or premium", 0},
	{"--need-tags", "need_tags", T, "TAGS",
	    "comma list: life,health,annuity,education,...", 0},
	{"--facts", "facts", T, "TEXT", "objective facts", 0},
	{"--perceptions", "perceptions", T, "TEXT", "your perceptions", 0},
	{"--recruit", "recruit_interest", T, "yes|no",
	    "interested in joining as an agent", 0},
	/* Head office's columns, not listed (help NULL): sent as they are so
	 * that the daemon refuses them with EREADONLY and says why. */
	{"--card-no", "card_no", T, "X", NULL, 0},
	{"--card-provisional", "card_provisional", T, "X", NULL, 0},
	{"--owner-agent-id", "owner_agent_id", T, "X", NULL, 0},
	{"--owner-since", "owner_since", T, "X", NULL, 0},
	{"--star-level", "star_level", T, "X", NULL, 0},
	{"--star-score-fen", "star_score_fen", T, "X", NULL, 0},
	{"--vip-tier", "vip_tier", T, "X", NULL, 0},
	{"--vip-points-fen", "vip_points_fen", T, "X", NULL, 0},
	END,
};

static const fsy_tool_opt_t o_agenda[] = {
	O_AS_OF,
	{"--agent", "agent", T, "CODE|ID",
	    "a team member's agenda (team lead's laptop)", 0},
	END,
};

/* ---- team leads ----------------------------------------------------------- */

static const fsy_tool_opt_t o_activity[] = {
	{"--since", "since", T, "DATE", "from this day (default 7 days ago)",
	    0},
	{"--agent", "agent", T, "CODE|ID", "only this agent's visits", 0},
	O_LIMIT,
	END,
};

static const fsy_tool_opt_t o_conflicts[] = {
	{"--status", "status", T, "STATUS", "open (default), resolved or all",
	    0},
	O_CUSTOMER,
	O_LIMIT,
	END,
};

static const fsy_tool_opt_t p_conflict[] = {
	{"ID", "conflict", T, NULL, "the conflict's id (from fieldsync "
	    "conflicts)", REQ},
	END,
};

static const fsy_tool_opt_t o_resolve[] = {
	{"--keep", "keep", T, "winner|loser", "the value to keep", REQ},
	{"--note", "note", T, "TEXT", "why, for the record", 0},
	O_BY,
	END,
};

/* ---- head office ---------------------------------------------------------- */

static const fsy_tool_opt_t p_dir[] = {
	{"DIR", "dir", FSY_TOOL_PATH, NULL,
	    "directory with agents.csv, customers.csv, persons.csv, "
	    "policies.csv, visits.csv (any of them)", REQ},
	END,
};

static const fsy_tool_opt_t o_import[] = {
	{"--no-derive", "derive", FSY_TOOL_NOFLAG, NULL, "only load the files; "
	    "do not recompute owners, card numbers and tiers", 0},
	END,
};

static const fsy_tool_opt_t p_code[] = {
	{"CODE", "code", T, NULL, "the new agent's code, like A017", REQ},
	END,
};

static const fsy_tool_opt_t o_hire[] = {
	{"--name", "name", T, "NAME", "the agent's name", REQ},
	{"--team", "team", T, "CODE", "the team's code", 0},
	{"--role", "role", T, "ROLE",
	    "agent (default), lead, service, renewal or admin", 0},
	{"--channel", "channel", T, "CHANNEL",
	    "agency (default), bancassurance, service or renewal", 0},
	{"--date", "hired_on", T, "DATE", "hiring date (default today)", 0},
	{"--performance", "performance", I, "N",
	    "performance score (rule 5 picks the highest)", 0},
	END,
};

static const fsy_tool_opt_t p_agent[] = {
	{"AGENT", "agent", T, NULL, "agent code like A017, or agent id", REQ},
	END,
};

static const fsy_tool_opt_t o_depart[] = {
	{"--date", "date", T, "DATE", "the day the agent left (default today)",
	    0},
	O_BY,
	END,
};

static const fsy_tool_opt_t o_disqualify[] = {
	{"--reason", "reason", T, "TEXT",
	    "the misconduct (verified complaint, data selling, ...)", REQ},
	O_BY,
	END,
};

static const fsy_tool_opt_t p_assign[] = {
	P_CUSTOMER,
	{"AGENT", "agent", T, NULL, "agent code like A017, or agent id", REQ},
	END,
};

static const fsy_tool_opt_t o_assign[] = {
	{"--reason", "reason", T, "TEXT", "why (recorded)", REQ},
	O_BY,
	END,
};

static const fsy_tool_opt_t o_recompute[] = {O_CUSTOMER, O_BY, END};

static const fsy_tool_opt_t o_cards[] = {
	O_CUSTOMER,
	{"--initial", "initial", T, "LETTER", "the surname's pinyin initial, "
	    "for a surname the table does not know (with --customer)", 0},
	END,
};

static const fsy_tool_opt_t o_issue[] = {
	{"--agent", "agent", T, "CODE|ID", "the agent the laptop is for", REQ},
	{"--name", "name", T, "TEXT", "a name for the device", 0},
	{"--out", "out", FSY_TOOL_LOCAL, "DIR", "write device.key (mode 0600) "
	    "and device.id into DIR", REQ},
	END,
};

static const fsy_tool_opt_t p_device[] = {
	{"DEVICE", "device", T, NULL, "the device id", REQ},
	END,
};

static const fsy_tool_opt_t o_revoke[] = {
	{"--reason", "reason", T, "TEXT", "why (lost, stolen, left, ...)", 0},
	END,
};

static const fsy_tool_opt_t o_scope_hash[] = {
	{"--agent", "agent", T, "CODE|ID", "the agent whose scope to hash", REQ},
	END,
};

static const fsy_tool_opt_t o_devices[] = {
	{"--agent", "agent", T, "CODE|ID", "only this agent's devices", 0},
	{"--status", "status", T, "STATUS", "active, revoked or all (default)",
	    0},
	END,
};

static const fsy_tool_opt_t o_fleet[] = {
	{"--agent", "agent", T, "CODE|ID", "only this agent's devices", 0},
	END,
};

static const fsy_tool_opt_t o_coverage[] = {
	{"--year", "year", I, "YEAR", "the calendar year (default this year)",
	    0},
	{"--from", "from", T, "DATE", "first day of the period", 0},
	{"--to", "to", T, "DATE", "last day of the period", 0},
	O_AS_OF,
	END,
};

static const fsy_tool_opt_t o_tiers[] = {
	O_CUSTOMER,
	{"--scheme", "scheme", T, "ID", "only this scheme (star, vip)", 0},
	{"--agent", "agent", T, "CODE|ID", "only this agent's customers", 0},
	O_AS_OF,
	END,
};

static const fsy_tool_opt_t o_tiers_update[] = {O_AS_OF, END};

#define AGENT_LAPTOP "an agent's laptop"
#define ANY_LAPTOP "an agent's or a team lead's laptop"
#define LEAD_LAPTOP "a team lead's laptop"
#define LEAD_OR_HUB "a team lead's laptop (asks head office) or the hub"
#define HUB "the head-office hub"
#define SOCK "fieldsync --socket ipc:///var/lib/fieldsync/hub.sock"

const fsy_tool_cmd_t fsy_tool_cmds[] = {
	{"customers", "customers", ANY_LAPTOP,
	    "list the customers on this laptop",
	    "Highest star level first, with each customer's overdue and "
	    "due-this-week obligations.", none, o_customers,
	    "fieldsync customers --rating A --due\n"
	    "fieldsync customers --search 王 --min-star 3", 0,
	    fsy_tool_print_customers},
	{"card", "card", ANY_LAPTOP, "show a customer's whole service card",
	    "Basic information, family, every policy (own and other "
	    "insurers'), visits newest first, needs, referrals, star level "
	    "and VIP tier with the gap to the next level, and open "
	    "obligations.", p_customer, o_card,
	    "fieldsync card W0001", 0, fsy_tool_print_card},
	{"visit add", "visit.add", AGENT_LAPTOP,
	    "record a visit, call or message",
	    "Record it within 24 hours of the contact: later records are "
	    "flagged late.", none, o_visit_add,
	    "fieldsync visit add --customer W0001 --channel visit --topic "
	    "birthday --said \"想给孩子买教育金\" --next \"下周送计划书\"", 0,
	    NULL},
	{"family add", "family.add", AGENT_LAPTOP,
	    "add a related person to a card", NULL, none, o_family_add,
	    "fieldsync family add --customer W0001 --relation child --name "
	    "王小明 --gender M --birth 2015-06-01", 0, NULL},
	{"family edit", "family.edit", AGENT_LAPTOP,
	    "change or remove a related person", NULL, p_person, o_family_edit,
	    "fieldsync family edit 0190a1b2-... --occupation 教师\n"
	    "fieldsync family edit 0190a1b2-... --delete", 0, NULL},
	{"need add", "need.add", AGENT_LAPTOP, "note a customer's need", NULL,
	    none, o_need_add,
	    "fieldsync need add --customer W0001 --kind education --note "
	    "\"孩子2027年上大学\"", 0, NULL},
	{"referral add", "referral.add", AGENT_LAPTOP,
	    "record a referral (optionally opening a card for them)", NULL,
	    none, o_referral_add,
	    "fieldsync referral add --customer W0001 --name 李娜 --phone "
	    "13900001111 --relation 同事 --card", 0, NULL},
	{"policy add", "policy.add", AGENT_LAPTOP,
	    "record another insurer's policy of the household",
	    "Our own policies come from head office; only other insurers' "
	    "policies are entered on a laptop.", none, o_policy_add,
	    "fieldsync policy add --customer W0001 --insurer 平安 --product "
	    "\"平安福\" --type critical_illness --premium 8000 --pay annual "
	    "--years 20 --issued 2021-03-01 --sum 500000", 0, NULL},
	{"edit", "edit", AGENT_LAPTOP,
	    "change a customer's contact details and classification",
	    "Head-office columns (card number, owner, star level, VIP tier) "
	    "cannot be edited on a laptop.", p_customer, o_edit,
	    "fieldsync edit W0001 --phone 13800001234 --rating B --need-tags "
	    "health,education", 0, NULL},
	{"agenda", "agenda", ANY_LAPTOP,
	    "what is overdue, due today and due this week", NULL, none,
	    o_agenda, "fieldsync agenda", 0, fsy_tool_print_agenda},
	{"status", "status", ANY_LAPTOP,
	    "sync status: last sync, pending changes, rejections, conflicts",
	    NULL, none, none, "fieldsync status", 0, fsy_tool_print_status},
	{"sync", "sync", ANY_LAPTOP, "sync with head office now",
	    "Asks the daemon to start a sync round; `fieldsync status` shows "
	    "how it went.", none, none, "fieldsync sync", 0, NULL},
	{"hash", "hash", ANY_LAPTOP,
	    "content hash of this laptop's replica",
	    "Equal to head office's `scope hash --agent` for this laptop's "
	    "agent when the two hold the same data.", none, none,
	    "fieldsync hash", 0, NULL},
	{"team activity", "team.activity", LEAD_LAPTOP,
	    "the team's visits, with agents, times and lateness", NULL, none,
	    o_activity, "fieldsync team activity --since 2026-11-01", 0,
	    fsy_tool_print_activity},
	{"conflicts", "conflicts", LEAD_OR_HUB,
	    "concurrent edits kept for review",
	    "Two writers changed the same field: the later one won and the "
	    "other value is kept here. A team lead sees the team's customers "
	    "only.", none, o_conflicts, "fieldsync conflicts", 0,
	    fsy_tool_print_conflicts},
	{"conflict resolve", "conflict.resolve", LEAD_OR_HUB,
	    "settle a conflict by keeping one of its values",
	    "The kept value is written again at head office, so every laptop "
	    "gets it.", p_conflict, o_resolve,
	    "fieldsync conflict resolve 0190a1b2-... --keep loser --note "
	    "\"客户确认新电话\"", 0, NULL},
	{"import", "import", HUB,
	    "load the core policy system's CSV files",
	    "Loads the files in one transaction (a bad row changes nothing), "
	    "then recomputes owners, numbers new cards and updates tiers.",
	    p_dir, o_import, SOCK " import /srv/core-export/2026-11-22", 600,
	    NULL},
	{"agent hire", "agent.hire", HUB, "add an agent to the roster", NULL,
	    p_code, o_hire,
	    SOCK " agent hire A031 --name 赵敏 --team T01 --performance 80", 0,
	    NULL},
	{"agent depart", "agent.depart", HUB,
	    "record that an agent left; their customers move by the rules",
	    NULL, p_agent, o_depart,
	    SOCK " agent depart A017 --date 2026-11-22", 120,
	    fsy_tool_print_moved},
	{"agent disqualify", "agent.disqualify", HUB,
	    "disqualify an agent for misconduct; customers go to top performers",
	    "The agent loses every customer and may never be assigned them "
	    "again.", p_agent, o_disqualify,
	    SOCK " agent disqualify A017 --reason \"verified complaint\"", 120,
	    fsy_tool_print_moved},
	{"assign", "assign", HUB, "give a customer to an agent by hand",
	    "A manual override, recorded with its reason; it stays until the "
	    "agent leaves or is disqualified.", p_assign, o_assign,
	    SOCK " assign W0001 A005 --reason \"customer asked\"", 0, NULL},
	{"owners recompute", "owners.recompute", HUB,
	    "run the ownership rules again", NULL, none, o_recompute,
	    SOCK " owners recompute", 300, fsy_tool_print_moved},
	{"cards number", "cards.number", HUB,
	    "give head-office numbers to new and provisional cards",
	    "Cards whose surname is not in the table are listed; number them "
	    "one by one with --customer and --initial.", none, o_cards,
	    SOCK " cards number\n" SOCK " cards number --customer "
	    "P-3F2A-0007 --initial O", 120, NULL},
	{"device issue", "device.issue", HUB,
	    "register a laptop for an agent and write its key",
	    "Makes an Ed25519 key pair; head office keeps the public key, the "
	    "secret key is written to DIR/device.key (mode 0600) for the "
	    "laptop's daemon.", none, o_issue,
	    SOCK " device issue --agent A001 --out /media/usb/A001", 0,
	    fsy_tool_print_device_issue},
	{"device revoke", "device.revoke", HUB,
	    "refuse a device from its next request on", NULL, p_device,
	    o_revoke, SOCK " device revoke 0190a1b2-... --reason lost", 0, NULL},
	{"devices", "devices", HUB, "list the devices issued", NULL, none,
	    o_devices, SOCK " devices --agent A001", 0, fsy_tool_print_devices},
	{"fleet", "fleet", HUB,
	    "every device's sync health: last contact, pending, chain", NULL,
	    none, o_fleet, SOCK " fleet", 0, fsy_tool_print_fleet},
	{"coverage", "coverage", HUB,
	    "share of service obligations met on time, per agent, team, branch",
	    NULL, none, o_coverage, SOCK " coverage --year 2026", 300,
	    fsy_tool_print_coverage},
	{"tiers update", "tiers.update", HUB,
	    "recompute and store every customer's star level and VIP tier",
	    NULL, none, o_tiers_update, SOCK " tiers update", 300, NULL},
	{"tiers", "tiers", HUB,
	    "customers per star level / VIP tier, or one customer's standing",
	    NULL, none, o_tiers, SOCK " tiers\n" SOCK " tiers --customer W0001",
	    120, fsy_tool_print_tiers},
	{"summary", "summary", HUB,
	    "ownership, tiers, cards, devices and conflicts at a glance", NULL,
	    none, none, SOCK " summary", 120, fsy_tool_print_summary},
	{"scope hash", "scope.hash", HUB,
	    "content hash of an agent's customers as head office holds them",
	    "Compare with `fieldsync hash` on the agent's laptop: equal "
	    "hashes prove the replica and head office agree.", none,
	    o_scope_hash, SOCK " scope hash --agent A001", 60, NULL},
	{"ping", "ping", "any daemon", "ask the daemon who it is", NULL, none,
	    none, "fieldsync ping", 0, NULL},
	{NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 0, NULL},
};

/* ---- matching -------------------------------------------------------------- */

/* Number of words of c->words, and whether they match argv. */
static int
match(const fsy_tool_cmd_t *c, int argc, char **argv)
{
	const char *w = c->words;
	int n = 0;

	while (*w != '\0') {
		const char *sp = strchr(w, ' ');
		size_t len = sp ? (size_t)(sp - w) : strlen(w);
		if (n >= argc || strlen(argv[n]) != len ||
		    strncmp(argv[n], w, len) != 0)
			return 0;
		n++;
		w += len;
		if (*w == ' ')
			w++;
	}
	return n;
}

const fsy_tool_cmd_t *
fsy_tool_find(int argc, char **argv, int *used)
{
	const fsy_tool_cmd_t *best = NULL;
	int bestn = 0;

	for (const fsy_tool_cmd_t *c = fsy_tool_cmds; c->words != NULL; c++) {
		int n = match(c, argc, argv);
		if (n > bestn) {
			best = c;
			bestn = n;
		}
	}
	*used = bestn;
	return best;
}

int
fsy_tool_is_group(const char *word)
{
	size_t n = strlen(word);

	for (const fsy_tool_cmd_t *c = fsy_tool_cmds; c->words != NULL; c++)
		if (strncmp(c->words, word, n) == 0 && c->words[n] == ' ')
			return 1;
	return 0;
}

/* ---- help ----------------------------------------------------------------- */

static void
usage_line(const fsy_tool_cmd_t *c, FILE *out)
{
	int opts = 0;

	fprintf(out, "usage: fieldsync [--socket URL] [--json] %s", c->words);
	for (const fsy_tool_opt_t *p = c->pos; p->name != NULL; p++)
		fprintf(out, p->required ? " %s" : " [%s]", p->name);
	for (const fsy_tool_opt_t *o = c->opts; o->name != NULL; o++) {
		if (o->required)
			fprintf(out, " %s %s", o->name, o->metavar);
		else
			opts = 1;
	}
	fprintf(out, "%s\n", opts ? " [options]" : "");
}

static void
opt_line(const fsy_tool_opt_t *o, FILE *out)
{
	char left[64];
	size_t w;

	if (o->metavar != NULL)
		snprintf(left, sizeof(left), "%s %s", o->name, o->metavar);
	else
		snprintf(left, sizeof(left), "%s", o->name);
	w = fsy_tool_width(left);
	fprintf(out, "  %s%*s  %s%s\n", left, w < 24 ? (int)(24 - w) : 0, "",
	    o->help, o->required ? " (required)" : "");
}

void
fsy_tool_help_cmd(const fsy_tool_cmd_t *c, FILE *out)
{
	const char *e;

	usage_line(c, out);
	fprintf(out, "\n%c%s.\n", c->summary[0] >= 'a' && c->summary[0] <= 'z'
	    ? c->summary[0] - 'a' + 'A' : c->summary[0], c->summary + 1);
	if (c->detail != NULL)
		fprintf(out, "%s\n", c->detail);
	fprintf(out, "Runs on: %s.\n\n", c->where);
	if (c->pos[0].name != NULL) {
		fprintf(out, "arguments:\n");
		for (const fsy_tool_opt_t *p = c->pos; p->name != NULL; p++)
			opt_line(p, out);
		fprintf(out, "\n");
	}
	fprintf(out, "options:\n");
	for (const fsy_tool_opt_t *o = c->opts; o->name != NULL; o++)
		if (o->help != NULL)
			opt_line(o, out);
	fprintf(out, "  --help                    show this help\n");
	fprintf(out, "\nexample%s:\n", strchr(c->example, '\n') ? "s" : "");
	for (e = c->example; *e != '\0';) {
		const char *nl = strchr(e, '\n');
		size_t n = nl ? (size_t)(nl - e) : strlen(e);
		fprintf(out, "  %.*s\n", (int)n, e);
		e += n;
		if (*e == '\n')
			e++;
	}
}

static void
list_line(const fsy_tool_cmd_t *c, FILE *out)
{
	size_t w = fsy_tool_width(c->words);

	fprintf(out, "  %s%*s  %s\n", c->words, w < 18 ? (int)(18 - w) : 0, "",
	    c->summary);
}

void
fsy_tool_help_group(const char *word, FILE *out)
{
	size_t n = strlen(word);

	fprintf(out, "usage: fieldsync %s COMMAND [ARGS]\n\ncommands:\n", word);
	for (const fsy_tool_cmd_t *c = fsy_tool_cmds; c->words != NULL; c++)
		if (strncmp(c->words, word, n) == 0 &&
		    (c->words[n] == ' ' || c->words[n] == '\0'))
			list_line(c, out);
	fprintf(out, "\n`fieldsync %s COMMAND --help` shows a command's "
	    "options.\n", word);
}

void
fsy_tool_help_all(FILE *out)
{
	static const struct {
		const char *title, *where;
	} parts[] = {
		{"On an agent's laptop", AGENT_LAPTOP},
		{"On any laptop (agent or team lead)", ANY_LAPTOP},
		{"Team leads", LEAD_LAPTOP},
		{"Team leads and head office", LEAD_OR_HUB},
		{"Head office (the hub)", HUB},
		{"Any daemon", "any daemon"},
	};

	fprintf(out,
	    "usage: fieldsync [--socket URL] [--json] [--timeout SEC] COMMAND "
	    "[ARGS]\n\n"
	    "Talks to the local fieldsyncd: an agent's or team lead's laptop "
	    "daemon,\nor head office's hub.\n\n"
	    "global options:\n"
	    "  --socket URL   the daemon's control socket (default: "
	    "$FIELDSYNC_SOCKET,\n"
	    "                 else " FSY_TOOL_DEFAULT_SOCKET ")\n"
	    "  --json         print the reply's data as JSON\n"
	    "  --timeout SEC  wait at most SEC seconds for the reply\n"
	    "  --help         show this help; `fieldsync COMMAND --help` for "
	    "one command\n"
	    "  --version      show the version\n");
	for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
		fprintf(out, "\n%s:\n", parts[i].title);
		for (const fsy_tool_cmd_t *c = fsy_tool_cmds; c->words != NULL;
		    c++)
			if (strcmp(c->where, parts[i].where) == 0)
				list_line(c, out);
	}
	fprintf(out, "\nexit status: 0 ok, 1 the command failed, 2 usage "
	    "error, 3 daemon unreachable,\n4 not found, 5 not allowed here, "
	    "6 local file error (docs/CLI.md).\n");
}

/* ---- arguments ------------------------------------------------------------ */

static int usage_err(const fsy_tool_cmd_t *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Prints "fieldsync: <message> (see ...)" and returns the usage exit. */
static int
usage_err(const fsy_tool_cmd_t *c, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "fieldsync: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (see fieldsync %s --help)\n", c->words);
	return FSY_TOOL_EXIT_USAGE;
}

/* Sets one argument's value into args (or local). */
static int
put(const fsy_tool_cmd_t *c, const fsy_tool_opt_t *o, const char *v,
    json_t *args, json_t *local)
{
	json_t *target = o->kind == FSY_TOOL_LOCAL ? local : args;
	json_t *val = NULL;

	if (json_object_get(target, o->key) != NULL)
		return usage_err(c, "%s given twice", o->name);
	switch (o->kind) {
	case FSY_TOOL_INT: {
		char *end;
		long long n;
		errno = 0;
		n = strtoll(v, &end, 10);
		if (*v == '\0' || *end != '\0' || errno != 0)
			return usage_err(c, "%s needs an integer (got '%s')",
			    o->name, v);
		val = json_integer(n);
		break;
	}
	case FSY_TOOL_FLAG:
		val = json_true();
		break;
	case FSY_TOOL_NOFLAG:
		val = json_false();
		break;
	case FSY_TOOL_PATH: {
		char *abs = realpath(v, NULL);
		if (abs == NULL) {
			fprintf(stderr, "fieldsync: %s: cannot use '%s': %s\n",
			    o->name, v, strerror(errno));
			return FSY_TOOL_EXIT_USAGE;
		}
		val = json_string(abs);
		free(abs);
		break;
	}
	default:
		val = json_string(v);
		if (val == NULL)
			return usage_err(c, "%s: '%s' is not valid UTF-8",
			    o->name, v);
		break;
	}
	if (val == NULL || json_object_set_new(target, o->key, val) != 0) {
		fprintf(stderr, "fieldsync: out of memory\n");
		return FSY_TOOL_EXIT_FAILED;
	}
	return FSY_TOOL_EXIT_OK;
}

int
fsy_tool_build_args(const fsy_tool_cmd_t *c, int argc, char **argv,
    json_t **args, json_t **local, int *help)
{
	const fsy_tool_opt_t *p = c->pos;
	int i, rc = FSY_TOOL_EXIT_OK, opts_done = 0;

	*help = 0;
	*args = json_object();
	*local = json_object();
	if (*args == NULL || *local == NULL) {
		fprintf(stderr, "fieldsync: out of memory\n");
		rc = FSY_TOOL_EXIT_FAILED;
		goto out;
	}
	for (i = 0; i < argc; i++)
		if (strcmp(argv[i], "--") == 0)
			break;
		else if (strcmp(argv[i], "--help") == 0 ||
		    strcmp(argv[i], "-h") == 0) {
			*help = 1;
			goto out;
		}
	for (i = 0; i < argc && rc == FSY_TOOL_EXIT_OK; i++) {
		const char *a = argv[i];
		if (!opts_done && strcmp(a, "--") == 0) {
			opts_done = 1;
			continue;
		}
		if (!opts_done && strncmp(a, "--", 2) == 0) {
			const fsy_tool_opt_t *o;
			const char *eq = strchr(a, '=');
			size_t n = eq ? (size_t)(eq - a) : strlen(a);
			for (o = c->opts; o->name != NULL; o++)
				if (strlen(o->name) == n &&
				    strncmp(o->name, a, n) == 0)
					break;
			if (o->name == NULL) {
				rc = usage_err(c, "unknown option %.*s",
				    (int)(n < 60 ? n : 60), a);
				continue;
			}
			if (o->kind == FSY_TOOL_FLAG ||
			    o->kind == FSY_TOOL_NOFLAG) {
				if (eq != NULL)
					rc = usage_err(c, "%s takes no value",
					    o->name);
				else
					rc = put(c, o, NULL, *args, *local);
				continue;
			}
			if (eq != NULL) {
				rc = put(c, o, eq + 1, *args, *local);
			} else if (i + 1 < argc) {
				rc = put(c, o, argv[++i], *args, *local);
			} else {
				rc = usage_err(c, "%s needs a value (%s)", o->name,
				    o->metavar);
			}
			continue;
		}
		if (p->name == NULL) {
			rc = usage_err(c, "unexpected argument '%s'", a);
			continue;
		}
		rc = put(c, p, a, *args, *local);
		p++;
	}
	if (rc != FSY_TOOL_EXIT_OK)
		goto out;
	for (p = c->pos; p->name != NULL; p++)
		if (p->required && json_object_get(*args, p->key) == NULL) {
			rc = usage_err(c, "missing %s", p->name);
			goto out;
		}
	for (const fsy_tool_opt_t *o = c->opts; o->name != NULL; o++) {
		json_t *t = o->kind == FSY_TOOL_LOCAL ? *local : *args;
		if (o->required && json_object_get(t, o->key) == NULL) {
			rc = usage_err(c, "missing %s %s", o->name, o->metavar);
			goto out;
		}
	}
out:
	if (rc != FSY_TOOL_EXIT_OK) {
		json_decref(*args);
		json_decref(*local);
		*args = *local = NULL;
	}
	return rc;
}
