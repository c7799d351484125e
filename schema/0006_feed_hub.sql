-- 0006_feed_hub: the order of head office's versions in a table of its own.
--
-- col_version_gseq, the index of every version by gseq, moved an entry
-- with every merged column; the old entry lies anywhere in an index of
-- millions, so a day's merge wrote a page of it per edited column, about
-- half of what its commit wrote (docs/BENCHMARKS.md). col_feed is appended
-- to instead: one entry per version head office accepted, in gseq order
-- (the rowid). An entry whose version was replaced since stays until the
-- store prunes it when idle (fsy_store_prune), listed meanwhile in
-- col_feed_dead under the gseq that replaced it (appended too). A pull
-- walks col_feed and keeps the entries whose version still has that gseq.
CREATE TABLE col_feed (
	gseq          INTEGER PRIMARY KEY,
	customer_id   TEXT NOT NULL,
	tbl           INTEGER NOT NULL,
	row_id        TEXT NOT NULL,
	col           INTEGER NOT NULL
);
INSERT INTO col_feed(gseq, customer_id, tbl, row_id, col)
SELECT gseq, customer_id, tbl, row_id, col FROM col_version ORDER BY gseq;
CREATE TABLE col_feed_dead (
	by_gseq       INTEGER PRIMARY KEY,    -- the version that replaced it
	gseq          INTEGER NOT NULL        -- the col_feed entry to remove
);
DROP INDEX col_version_gseq;
