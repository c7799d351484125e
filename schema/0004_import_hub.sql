-- 0004_import_hub: what each imported row's last import brought (hub only).
-- digest: per column, an 8-byte hash of the value the core system sent
-- (daemon/core/import.c), so that a re-import writes only what the core
-- system itself changed, and an agent's later edit survives a nightly
-- import that did not touch that column.
CREATE TABLE import_state (
	row_id        TEXT PRIMARY KEY,
	tbl           INTEGER NOT NULL,
	digest        BLOB NOT NULL
) WITHOUT ROWID;
