-- 0003_replica: the laptop's change log and sync bookkeeping (role = agent).

-- One entry per changed column, in the same transaction as the change.
-- tbl/col: indexes into daemon/core/tables.c. Hash-chained:
-- hash = SHA-256(prev_hash || canonical(seq, tbl, row_id, col, val, hlc, site)),
-- prev_hash of the first entry is 32 zero bytes.
CREATE TABLE change_log (
	seq           INTEGER PRIMARY KEY,
	tbl           INTEGER NOT NULL,
	row_id        TEXT NOT NULL,
	customer_id   TEXT NOT NULL,
	col           INTEGER NOT NULL,
	val,
	hlc           INTEGER NOT NULL,
	at            TEXT NOT NULL,       -- wall-clock time of the write
	prev_hash     BLOB NOT NULL,
	hash          BLOB NOT NULL,
	-- 1: the customer was revoked from this laptop and the value erased;
	-- the entry keeps its hashes, so the chain still links.
	redacted      INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX change_log_col ON change_log(tbl, row_id, col);
CREATE INDEX change_log_customer ON change_log(customer_id, seq);

-- Changes the hub refused, as it reported them.
CREATE TABLE rejection (
	seq           INTEGER PRIMARY KEY,  -- change_log seq
	tbl           TEXT NOT NULL,
	row_id        TEXT NOT NULL,
	col           TEXT NOT NULL,
	val,
	code          INTEGER NOT NULL,
	reason        TEXT NOT NULL,
	at            TEXT NOT NULL
);

-- Conflicts the hub recorded for customers in scope (team leads review them).
CREATE TABLE conflict_seen (
	id            TEXT PRIMARY KEY,
	customer_id   TEXT NOT NULL,
	tbl           TEXT NOT NULL,
	row_id        TEXT NOT NULL,
	col           TEXT NOT NULL,
	winner_val,
	loser_val,
	winner_site   TEXT,
	loser_site    TEXT,
	detected_at   TEXT,
	status        TEXT
);
