-- 0007_row_versions_hub: column versions kept in the rows.
--
-- col_version held one record per replicated column, apart from the rows:
-- a merge wrote a row, then a record in col_version for each column it
-- changed, on pages of their own (a day's merge wrote about twice the
-- pages of the data it changed, docs/BENCHMARKS.md). Each replicated row
-- now carries its columns' versions in _v (daemon/core/vers.h: column,
-- HLC, gseq and site per versioned column), written with the row. Sites
-- are numbered in the site table. The feed (0006) keeps the gseq order;
-- its clk is the hub's clock when the entry was appended, so the clock
-- resumes from the last entry after a restart.
CREATE TABLE site (
	id            INTEGER PRIMARY KEY,
	name          TEXT NOT NULL UNIQUE    -- a device id or head office's site
);
INSERT INTO site(name) SELECT DISTINCT site FROM col_version ORDER BY site;

ALTER TABLE customer ADD COLUMN _v BLOB;
ALTER TABLE person ADD COLUMN _v BLOB;
ALTER TABLE policy ADD COLUMN _v BLOB;
ALTER TABLE visit ADD COLUMN _v BLOB;
ALTER TABLE need ADD COLUMN _v BLOB;
ALTER TABLE referral ADD COLUMN _v BLOB;

UPDATE customer SET _v = (SELECT fsy_vpack(v.col, v.hlc, s.id, v.gseq)
    FROM col_version v JOIN site s ON s.name = v.site
    WHERE v.customer_id = customer.customer_id AND v.tbl = 0
    AND v.row_id = customer.id);
UPDATE person SET _v = (SELECT fsy_vpack(v.col, v.hlc, s.id, v.gseq)
    FROM col_version v JOIN site s ON s.name = v.site
    WHERE v.customer_id = person.customer_id AND v.tbl = 1
    AND v.row_id = person.id);
UPDATE policy SET _v = (SELECT fsy_vpack(v.col, v.hlc, s.id, v.gseq)
    FROM col_version v JOIN site s ON s.name = v.site
    WHERE v.customer_id = policy.customer_id AND v.tbl = 2
    AND v.row_id = policy.id);
UPDATE visit SET _v = (SELECT fsy_vpack(v.col, v.hlc, s.id, v.gseq)
    FROM col_version v JOIN site s ON s.name = v.site
    WHERE v.customer_id = visit.customer_id AND v.tbl = 3
    AND v.row_id = visit.id);
UPDATE need SET _v = (SELECT fsy_vpack(v.col, v.hlc, s.id, v.gseq)
    FROM col_version v JOIN site s ON s.name = v.site
    WHERE v.customer_id = need.customer_id AND v.tbl = 4
    AND v.row_id = need.id);
UPDATE referral SET _v = (SELECT fsy_vpack(v.col, v.hlc, s.id, v.gseq)
    FROM col_version v JOIN site s ON s.name = v.site
    WHERE v.customer_id = referral.customer_id AND v.tbl = 5
    AND v.row_id = referral.id);

ALTER TABLE col_feed ADD COLUMN clk INTEGER;
INSERT OR REPLACE INTO meta(key, value)
SELECT 'hlc', max(ifnull(max(hlc), 0),
    ifnull((SELECT value FROM meta WHERE key = 'hlc'), 0)) FROM col_version;
DROP TABLE col_version;
