-- 0002_hub: head-office tables (role = hub only).

-- Devices (laptops) issued to agents. pubkey: Ed25519 public key, hex.
CREATE TABLE device (
	id            TEXT PRIMARY KEY,
	agent_id      TEXT NOT NULL REFERENCES agent(id),
	name          TEXT,
	pubkey        TEXT NOT NULL,
	status        TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active','revoked')),
	issued_at     TEXT NOT NULL,
	revoked_at    TEXT,
	revoke_reason TEXT
);
CREATE INDEX device_agent ON device(agent_id);

-- What the hub knows of each device's sync state.
CREATE TABLE device_state (
	device_id     TEXT PRIMARY KEY REFERENCES device(id),
	push_seq      INTEGER NOT NULL DEFAULT 0,  -- last change-log seq merged
	chain_hash    BLOB,                        -- hash of the entry at push_seq
	chain_ok      INTEGER NOT NULL DEFAULT 1,  -- 0 once a break was detected
	chain_error   TEXT,                        -- what broke, where
	pull_cursor   INTEGER NOT NULL DEFAULT 0,  -- last global seq the device applied
	last_hello_at TEXT,
	last_push_at  TEXT,
	last_pull_at  TEXT,
	pending       INTEGER NOT NULL DEFAULT 0,  -- unpushed changes, as the device reported
	log_seq       INTEGER NOT NULL DEFAULT 0,  -- its last log seq, as it reported
	oldest_pending_at TEXT,                    -- age of its oldest unpushed change
	rejections    INTEGER NOT NULL DEFAULT 0,
	scope_hash    BLOB,                        -- device's replica hash, as reported
	scope_gseq    INTEGER NOT NULL DEFAULT 0   -- scope found settled up to this gseq
) WITHOUT ROWID;

-- Customers a device holds or may hold, as far as the hub knows.
--   state 0: held (confirmed by a snapshot ack or created on the device);
--   state 1: revoking — a revoke was sent and not yet acknowledged; the
--            device's changes for it are still accepted; owned again, it
--            goes back to state 2 (sent whole again);
--   state 2: snapshot sent, not yet acknowledged — the device may hold it
--            already (applied, ack lost): its changes are accepted, and it
--            is revoked if no longer owned.
-- snap_gseq: the global seq the snapshot covered; pulls send this
-- customer's changes above it only.
CREATE TABLE device_scope (
	device_id     TEXT NOT NULL,
	customer_id   TEXT NOT NULL,
	state         INTEGER NOT NULL DEFAULT 0 CHECK (state IN (0, 1, 2)),
	snap_gseq     INTEGER NOT NULL DEFAULT 0,
	PRIMARY KEY (device_id, customer_id)
) WITHOUT ROWID;
CREATE INDEX device_scope_customer ON device_scope(customer_id);
CREATE INDEX device_scope_state ON device_scope(device_id, state, snap_gseq);

-- The winning version of every replicated column (tbl, col: indexes into
-- the table descriptors of daemon/core/tables.c). gseq is the hub's global
-- sequence number, the pull cursor's unit.
CREATE TABLE col_version (
	tbl           INTEGER NOT NULL,
	row_id        TEXT NOT NULL,
	col           INTEGER NOT NULL,
	customer_id   TEXT NOT NULL,
	val,
	hlc           INTEGER NOT NULL,
	site          TEXT NOT NULL,
	gseq          INTEGER NOT NULL,
	PRIMARY KEY (tbl, row_id, col)
) WITHOUT ROWID;
CREATE UNIQUE INDEX col_version_gseq ON col_version(gseq);
CREATE INDEX col_version_customer ON col_version(customer_id, gseq);

-- Every change of owner (DOMAIN.md rules 1-6), with the rule applied.
CREATE TABLE ownership_history (
	id            INTEGER PRIMARY KEY,
	customer_id   TEXT NOT NULL,
	from_agent_id TEXT,
	to_agent_id   TEXT,
	rule          TEXT NOT NULL,   -- '1'..'6' or 'import'
	reason        TEXT,
	at            TEXT NOT NULL,
	by            TEXT             -- who decided: 'rules' or an operator
);
CREATE INDEX ownership_history_customer ON ownership_history(customer_id, at);
CREATE INDEX ownership_history_to ON ownership_history(to_agent_id, at);

-- Rule 5: a disqualified agent may never be re-assigned these customers.
CREATE TABLE owner_ban (
	customer_id   TEXT NOT NULL,
	agent_id      TEXT NOT NULL,
	reason        TEXT,
	at            TEXT NOT NULL,
	PRIMARY KEY (customer_id, agent_id)
) WITHOUT ROWID;

-- A concurrent edit of one column by two writers: both values kept.
CREATE TABLE conflict (
	id            TEXT PRIMARY KEY,
	customer_id   TEXT NOT NULL,
	tbl           TEXT NOT NULL,
	row_id        TEXT NOT NULL,
	col           TEXT NOT NULL,
	winner_val,
	winner_hlc    INTEGER NOT NULL,
	winner_site   TEXT NOT NULL,
	loser_val,
	loser_hlc     INTEGER NOT NULL,
	loser_site    TEXT NOT NULL,
	detected_at   TEXT NOT NULL,
	status        TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open','resolved')),
	resolved_by   TEXT,
	resolved_at   TEXT,
	resolution    TEXT
);
CREATE INDEX conflict_customer ON conflict(customer_id);
CREATE UNIQUE INDEX conflict_once ON conflict(tbl, row_id, col, loser_hlc, loser_site);

-- A change the hub refused, kept with its value and reason: nothing an
-- agent saved is lost, even when it is not accepted.
CREATE TABLE rejected_change (
	id            INTEGER PRIMARY KEY,
	device_id     TEXT NOT NULL,
	seq           INTEGER NOT NULL,
	customer_id   TEXT,
	tbl           TEXT NOT NULL,
	row_id        TEXT NOT NULL,
	col           TEXT NOT NULL,
	val,
	hlc           INTEGER NOT NULL,
	code          INTEGER NOT NULL,  -- FSY_E* code
	reason        TEXT NOT NULL,
	at            TEXT NOT NULL,
	UNIQUE (device_id, seq)
);

-- Next card number per surname initial.
CREATE TABLE card_seq (
	initial       TEXT PRIMARY KEY,
	next          INTEGER NOT NULL
) WITHOUT ROWID;

-- Operator and security events: imports, overrides, refused devices, chain
-- breaks. Append-only.
CREATE TABLE audit (
	id            INTEGER PRIMARY KEY,
	at            TEXT NOT NULL,
	actor         TEXT,
	action        TEXT NOT NULL,
	detail        TEXT
);
