/*
 * import.h — loading the core policy system's CSV files into the hub.
 *
 * Head office owns the policy data; the core policy system exports it as
 * five CSV files (docs/IMPORT.md describes every column):
 *
 *   agents.csv     the roster, with branches and teams
 *   customers.csv  policyholders (one service card per customer)
 *   persons.csv    their related persons (spouse, children, parents, ...)
 *   policies.csv   every policy, own and other insurers'
 *   visits.csv     visit history
 *
 * fsy_import_dir() loads whichever of them a directory holds, in that
 * (dependency) order, in ONE transaction on a hub store: every field is
 * validated, references are checked (a policy's customer and soliciting
 * agent must be in the file set or already in the database), and the first
 * bad row rolls everything back.
 *
 * Identity. A row's id is derived from its core-system key (see
 * fsy_import_key_uuid), so importing the same file again updates the same
 * rows. Re-importing writes only what changed: a column is written when the
 * file's value differs from the value the previous import of that row
 * brought in (remembered per column in the hub-local table import_state)
 * and from the value in the database. An unchanged file therefore writes
 * nothing and replicates nothing, and an agent's later edit of a customer's
 * phone survives re-imports until the core system itself changes the phone.
 *
 * Import never deletes, and never assigns owners, card numbers or tiers:
 * the ownership, card and tier modules do that afterwards.
 */
#ifndef FSY_IMPORT_H
#define FSY_IMPORT_H

#include <stddef.h>
#include <stdint.h>

#include "store.h"
#include "util.h"

/* The five files, in the order they are loaded. */
typedef enum {
	FSY_IMPORT_AGENTS = 0,
	FSY_IMPORT_CUSTOMERS,
	FSY_IMPORT_PERSONS,
	FSY_IMPORT_POLICIES,
	FSY_IMPORT_VISITS,
	FSY_IMPORT_NFILES
} fsy_import_file_t;

/* What happened to one file's rows. */
typedef struct {
	int present;       /* 1 when the directory held the file */
	int64_t read;      /* data rows read (the header not counted) */
	int64_t inserted;  /* rows new to the database */
	int64_t updated;   /* existing rows with at least one column written */
	int64_t unchanged; /* existing rows left as they were */
} fsy_import_count_t;

/* The report of one import. On failure only `errors` is meaningful (the
 * message itself goes to the caller's error buffer). */
typedef struct {
	fsy_import_count_t file[FSY_IMPORT_NFILES]; /* by fsy_import_file_t */
	int64_t errors;    /* bad rows or fields found (0 on success) */
} fsy_import_report_t;

/* Longest core-system key (customer_no, policy_no, agent_code, ...). */
#define FSY_IMPORT_KEY_MAX 40

/* Returns the file name of f ("agents.csv", ...), or NULL when f is out of
 * range. The string is static. */
const char *fsy_import_file_name(int f);

/*
 * Imports the CSV files found in dir into the hub store st, in one
 * transaction. Any subset of the five files may be present; at least one
 * must be. rep (may be NULL) receives the counts.
 *
 * Returns FSY_OK, or:
 *   FSY_ECSV     a file is malformed or a row is invalid; errbuf gets the
 *                first error as "policies.csv:123: column modal_premium:
 *                'abc' is not an amount", followed by " (and N more errors)"
 *                when more were found; nothing was changed;
 *   FSY_ENOTFOUND dir holds none of the files;
 *   FSY_ESTATE   st is not a hub store;
 *   FSY_EIO, FSY_ENOMEM, or a store error — nothing was changed.
 * errbuf (may be NULL) always receives a message on failure. Line numbers
 * are physical lines of the file (the header is line 1); a record whose
 * quoted fields span lines is reported by the line it starts on.
 */
int fsy_import_dir(fsy_store_t *st, const char *dir, fsy_import_report_t *rep,
    char *errbuf, size_t errlen);

/*
 * Writes into out the id that import gives the row with core-system key
 * `key` in namespace `ns`: an RFC 9562 version-8 UUID made of the first 16
 * bytes of SHA-256(ns ":" key), with the version and variant bits set.
 * Namespaces and keys (docs/IMPORT.md): "branch" branch_code, "team"
 * team_code, "agent" agent_code, "customer" customer_no, "policy" policy_no,
 * "person" customer_no US relation US name, "visit" customer_no US
 * agent_code US happened_at US channel US topic (US = byte 0x1f, happened_at
 * as 'YYYY-MM-DDTHH:MM:SSZ'). Agents, teams and branches that already exist
 * under the same code keep the id they have.
 */
void fsy_import_key_uuid(const char *ns, const char *key, size_t keylen,
    char out[FSY_UUID_STRLEN + 1]);

#endif /* FSY_IMPORT_H */
