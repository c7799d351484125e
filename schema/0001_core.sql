-- 0001_core: tables shared by the agent replica and the hub.
--
-- Conventions
--   * Keys are UUID text (RFC 9562 version 7, lower case, 36 chars), made
--     offline; never integer keys that collide between laptops.
--   * Money is INTEGER fen (1 yuan = 100 fen); no REAL columns anywhere, so
--     that values and content hashes are identical on every machine.
--   * Dates are 'YYYY-MM-DD'; instants are UTC 'YYYY-MM-DDTHH:MM:SSZ'.
--   * Replicated tables (customer, person, policy, visit, need, referral)
--     carry customer_id, the unit of ownership and replication. Their column
--     lists are mirrored in daemon/core/tables.c, which drives change
--     capture, merge, snapshots and content hashes; change both together.
--   * Rows are never deleted by sync; `deleted` is a replicated tombstone.
--     Only a revoke erases a customer's rows from a laptop.

CREATE TABLE branch (
	id          TEXT PRIMARY KEY,
	code        TEXT NOT NULL UNIQUE,
	name        TEXT NOT NULL
);

CREATE TABLE team (
	id          TEXT PRIMARY KEY,
	branch_id   TEXT NOT NULL REFERENCES branch(id),
	code        TEXT NOT NULL UNIQUE,
	name        TEXT NOT NULL,
	lead_agent_id TEXT
);

-- role: agent | lead | service | renewal | admin
-- channel: agency | bancassurance | service | renewal
-- status: employed | departed | disqualified
CREATE TABLE agent (
	id          TEXT PRIMARY KEY,
	code        TEXT NOT NULL UNIQUE,
	name        TEXT NOT NULL,
	team_id     TEXT REFERENCES team(id),
	role        TEXT NOT NULL DEFAULT 'agent'
	            CHECK (role IN ('agent','lead','service','renewal','admin')),
	channel     TEXT NOT NULL DEFAULT 'agency'
	            CHECK (channel IN ('agency','bancassurance','service','renewal')),
	status      TEXT NOT NULL DEFAULT 'employed'
	            CHECK (status IN ('employed','departed','disqualified')),
	hired_on    TEXT,
	left_on     TEXT,
	-- why an agent was disqualified (verified complaint, data selling, ...)
	status_reason TEXT,
	-- head office's performance score, used to pick a top performer (rule 5)
	performance INTEGER NOT NULL DEFAULT 0
);

-- The household service card (DOMAIN.md, seed 003). One per household.
CREATE TABLE customer (
	id            TEXT PRIMARY KEY,
	customer_id   TEXT NOT NULL,          -- = id; uniform scoping column
	card_no       TEXT,                   -- head office: 'W0001'
	card_provisional INTEGER NOT NULL DEFAULT 0, -- 1 until head office numbers it
	name          TEXT,
	gender        TEXT CHECK (gender IN ('M','F') OR gender IS NULL),
	birth_date    TEXT,
	id_number     TEXT,
	phone         TEXT,
	address       TEXT,
	occupation    TEXT,
	income_fen    INTEGER,                -- yearly household income
	rating        TEXT CHECK (rating IN ('A','B','C','D') OR rating IS NULL),
	grp           TEXT CHECK (grp IN ('ordinary','potential','key','premium') OR grp IS NULL),
	need_tags     TEXT,                   -- comma list: life,health,annuity,education,...
	facts         TEXT,                   -- objective facts (客观)
	perceptions   TEXT,                   -- the agent's perceptions (主观)
	recruit_interest INTEGER NOT NULL DEFAULT 0,
	owner_agent_id TEXT,                  -- head office: the service owner
	owner_since   TEXT,                   -- head office: when the owner got it
	star_level    INTEGER,                -- head office: 0..7
	star_score_fen INTEGER,               -- head office: growth value
	vip_tier      TEXT,                   -- head office: diamond/platinum/gold/NULL
	vip_points_fen INTEGER,               -- head office
	created_at    TEXT,
	deleted       INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX customer_owner ON customer(owner_agent_id);
CREATE INDEX customer_card ON customer(card_no);

-- Related persons: spouse, children, parents, others.
CREATE TABLE person (
	id            TEXT PRIMARY KEY,
	customer_id   TEXT NOT NULL,
	relation      TEXT CHECK (relation IN ('self','spouse','child','parent','other') OR relation IS NULL),
	name          TEXT,
	gender        TEXT CHECK (gender IN ('M','F') OR gender IS NULL),
	birth_date    TEXT,
	occupation    TEXT,
	health_notes  TEXT,
	deleted       INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX person_customer ON person(customer_id);

-- Every policy of the household, own and other insurers'.
-- product_type: accident | health | term_life | whole_life | endowment |
--   annuity | dividend | traditional | universal | investment_linked |
--   critical_illness
-- pay_mode: annual | half | quarter | monthly | single
-- status: inforce | grace | lapsed | surrendered | matured | paid_up |
--   cancelled | terminated
CREATE TABLE policy (
	id            TEXT PRIMARY KEY,
	customer_id   TEXT NOT NULL,
	policy_no     TEXT,
	external      INTEGER NOT NULL DEFAULT 0, -- 1: another insurer's, agent-entered
	insurer       TEXT,
	product       TEXT,
	product_type  TEXT,
	is_main       INTEGER NOT NULL DEFAULT 1, -- main policy (not a rider)
	insured_name  TEXT,
	pay_mode      TEXT,
	modal_premium_fen INTEGER,
	annual_premium_fen INTEGER,           -- annualised: monthly x12, quarterly x4, half x2
	payment_years INTEGER,                -- 0 for single premium
	issue_date    TEXT,
	next_due_date TEXT,                   -- next regular premium due
	end_date      TEXT,                   -- maturity / end of cover
	survival_date TEXT,                   -- next survival benefit date
	status        TEXT,
	status_date   TEXT,
	sum_assured_fen INTEGER,
	account_value_fen INTEGER,            -- universal / investment-linked
	annuity_converted INTEGER NOT NULL DEFAULT 0,
	beneficiary   TEXT,
	soliciting_agent_id TEXT,             -- 招揽人
	deleted       INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX policy_customer ON policy(customer_id);
CREATE INDEX policy_agent ON policy(soliciting_agent_id);

-- Visit records; insert-only once synced.
-- channel: visit | phone | wechat | sms | event
-- topic: general | birthday | spring_festival | mid_autumn | national_day |
--   mothers_day | fathers_day | company_news | new_product | renewal |
--   delivery | first_contact | survival_notice | service_festival | claim
CREATE TABLE visit (
	id            TEXT PRIMARY KEY,
	customer_id   TEXT NOT NULL,
	agent_id      TEXT,
	device_id     TEXT,
	happened_at   TEXT,                   -- when it took place, as the agent says
	recorded_at   TEXT,                   -- when the laptop recorded it
	received_at   TEXT,                   -- head office: when the hub received it
	late          INTEGER NOT NULL DEFAULT 0, -- head office: recorded too long after
	place         TEXT,
	channel       TEXT,
	topic         TEXT,
	policy_id     TEXT,                   -- the policy it concerns, if any
	customer_said TEXT,
	next_step     TEXT
);
CREATE INDEX visit_customer ON visit(customer_id, happened_at);

CREATE TABLE need (
	id            TEXT PRIMARY KEY,
	customer_id   TEXT NOT NULL,
	kind          TEXT,                   -- life | health | annuity | education | ...
	note          TEXT,
	status        TEXT,                   -- open | met | dropped
	created_at    TEXT,
	deleted       INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX need_customer ON need(customer_id);

CREATE TABLE referral (
	id            TEXT PRIMARY KEY,
	customer_id   TEXT NOT NULL,          -- who referred
	name          TEXT,
	phone         TEXT,
	relation      TEXT,
	note          TEXT,
	referred_customer_id TEXT,            -- the card made from it, if any
	created_at    TEXT,
	deleted       INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX referral_customer ON referral(customer_id);

-- Key/value settings of this database: site id, device id, cursors, HLC.
CREATE TABLE meta (
	key           TEXT PRIMARY KEY,
	value
) WITHOUT ROWID;
