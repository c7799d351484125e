-- 0005_version_by_customer_hub: col_version keyed by customer first.
--
-- A customer's versions lie together in the table itself, so the index
-- col_version_customer(customer_id, gseq) is no longer needed: it cost a
-- page written per merged column (its entry moved with every new gseq)
-- and was, with the gseq index, most of what a merge commit wrote
-- (docs/BENCHMARKS.md). What read it now reads the key's prefix: "has
-- this customer any version" and the pull of a laptop far behind. A row
-- keeps its customer for life (a change naming another customer is
-- refused), so (tbl, row_id, col) stays unique.
CREATE TABLE col_version_new (
	customer_id   TEXT NOT NULL,
	tbl           INTEGER NOT NULL,
	row_id        TEXT NOT NULL,
	col           INTEGER NOT NULL,
	val,
	hlc           INTEGER NOT NULL,
	site          TEXT NOT NULL,
	gseq          INTEGER NOT NULL,
	PRIMARY KEY (customer_id, tbl, row_id, col)
) WITHOUT ROWID;
INSERT INTO col_version_new(customer_id, tbl, row_id, col, val, hlc, site,
    gseq)
SELECT customer_id, tbl, row_id, col, val, hlc, site, gseq
FROM col_version ORDER BY customer_id, tbl, row_id, col;
DROP TABLE col_version;
ALTER TABLE col_version_new RENAME TO col_version;
CREATE UNIQUE INDEX col_version_gseq ON col_version(gseq);

-- The gseq of the last change of a customer's owner (column 16 of
-- customer, owner_agent_id), kept from now on by the capture of that
-- column: a laptop's scope is compared with who owns what only when an
-- owner changed since it was last found settled.
INSERT OR REPLACE INTO meta(key, value)
SELECT 'owner_gseq', ifnull(max(gseq), 0) FROM col_version
WHERE tbl = 0 AND col = 16;
