/* tables.c — the replicated table descriptors (see tables.h). */
#include <string.h>

#include "tables.h"

#define T FSY_COL_TEXT
#define I FSY_COL_INT
#define HO FSY_COL_HO
#define NCOLS(a) ((int)(sizeof(a) / sizeof((a)[0])))

static const fsy_col_t customer_cols[] = {
	{"card_no", T, HO | FSY_COL_HO_INIT},
	{"card_provisional", I, HO | FSY_COL_HO_INIT},
	{"name", T, 0},
	{"gender", T, 0},
	{"birth_date", T, 0},
	{"id_number", T, 0},
	{"phone", T, 0},
	{"address", T, 0},
	{"occupation", T, 0},
	{"income_fen", I, 0},
	{"rating", T, 0},
	{"grp", T, 0},
	{"need_tags", T, 0},
	{"facts", T, 0},
	{"perceptions", T, 0},
	{"recruit_interest", I, 0},
	{"owner_agent_id", T, HO},
	{"owner_since", T, HO},
	{"star_level", I, HO},
	{"star_score_fen", I, HO},
	{"vip_tier", T, HO},
	{"vip_points_fen", I, HO},
	{"created_at", T, 0},
	{"deleted", I, 0},
};

static const fsy_col_t person_cols[] = {
	{"relation", T, 0},
	{"name", T, 0},
	{"gender", T, 0},
	{"birth_date", T, 0},
	{"occupation", T, 0},
	{"health_notes", T, 0},
	{"deleted", I, 0},
};

/* Own policies (external = 0) are head office's row by row; agents record
 * other insurers' policies (external = 1) themselves. */
static const fsy_col_t policy_cols[] = {
	{"policy_no", T, 0},
	{"external", I, FSY_COL_HO_INIT},
	{"insurer", T, 0},
	{"product", T, 0},
	{"product_type", T, 0},
	{"is_main", I, 0},
	{"insured_name", T, 0},
	{"pay_mode", T, 0},
	{"modal_premium_fen", I, 0},
	{"annual_premium_fen", I, 0},
	{"payment_years", I, 0},
	{"issue_date", T, 0},
	{"next_due_date", T, 0},
	{"end_date", T, 0},
	{"survival_date", T, 0},
	{"status", T, 0},
	{"status_date", T, 0},
	{"sum_assured_fen", I, 0},
	{"account_value_fen", I, 0},
	{"annuity_converted", I, 0},
	{"beneficiary", T, 0},
	{"soliciting_agent_id", T, HO},
	{"deleted", I, 0},
};

static const fsy_col_t visit_cols[] = {
	{"agent_id", T, 0},
	{"device_id", T, 0},
	{"happened_at", T, 0},
	{"recorded_at", T, 0},
	{"received_at", T, HO},
	{"late", I, HO},
	{"place", T, 0},
	{"channel", T, 0},
	{"topic", T, 0},
	{"policy_id", T, 0},
	{"customer_said", T, 0},
	{"next_step", T, 0},
};

static const fsy_col_t need_cols[] = {
	{"kind", T, 0},
	{"note", T, 0},
	{"status", T, 0},
	{"created_at", T, 0},
	{"deleted", I, 0},
};

static const fsy_col_t referral_cols[] = {
	{"name", T, 0},
	{"phone", T, 0},
	{"relation", T, 0},
	{"note", T, 0},
	{"referred_customer_id", T, 0},
	{"created_at", T, 0},
	{"deleted", I, 0},
};

const fsy_table_t fsy_tables[FSY_NTABLES] = {
	[FSY_T_CUSTOMER] = {"customer", customer_cols, NCOLS(customer_cols), 0},
	[FSY_T_PERSON] = {"person", person_cols, NCOLS(person_cols), 0},
	[FSY_T_POLICY] = {"policy", policy_cols, NCOLS(policy_cols), FSY_TBL_HO_ROWS},
	[FSY_T_VISIT] = {"visit", visit_cols, NCOLS(visit_cols), FSY_TBL_INSERT_ONLY},
	[FSY_T_NEED] = {"need", need_cols, NCOLS(need_cols), 0},
	[FSY_T_REFERRAL] = {"referral", referral_cols, NCOLS(referral_cols), 0},
};

int
fsy_table_find(const char *name)
{
	for (int t = 0; t < FSY_NTABLES; t++)
		if (strcmp(fsy_tables[t].name, name) == 0)
			return t;
	return -1;
}

int
fsy_col_find(int t, const char *name)
{
	if (t < 0 || t >= FSY_NTABLES)
		return -1;
	for (int c = 0; c < fsy_tables[t].ncols; c++)
		if (strcmp(fsy_tables[t].cols[c].name, name) == 0)
			return c;
	return -1;
}

int
fsy_col_valid(int t, int c)
{
	return t >= 0 && t < FSY_NTABLES && c >= 0 && c < fsy_tables[t].ncols;
}
