/*
 * config.h — fieldsyncd's configuration file (INI, docs/CONFIG.md).
 *
 * fsy_config_load() parses a file into an fsy_config_t: every key is
 * known, every value checked, and the first mistake is reported as
 * "FILE:LINE: message". Keys of the [hub] or [agent] section that the
 * role does not use are refused too, so a misplaced key never goes
 * unnoticed. Relative paths are resolved against the directory of the
 * config file. Nothing is opened here but the config file itself: files
 * named by the config are checked when the daemon starts.
 */
#ifndef FSY_CONFIG_H
#define FSY_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "store.h"

#define FSY_CFG_PATH 512 /* longest path or URL accepted, with the NUL */

/* Log levels; a message is written when its level <= the configured one. */
typedef enum {
	FSY_LOG_ERROR = 0,
	FSY_LOG_WARN = 1,
	FSY_LOG_INFO = 2,
	FSY_LOG_DEBUG = 3
} fsy_log_level_t;

typedef enum {
	FSY_LOGT_STDERR = 0, /* stderr, one line per message, with a timestamp */
	FSY_LOGT_JOURNAL = 1 /* the systemd journal (sd_journal_print) */
} fsy_log_target_t;

typedef struct fsy_config {
	char file[FSY_CFG_PATH];      /* the config file, as given */

	/* [daemon] */
	fsy_role_t role;              /* required */
	char db[FSY_CFG_PATH];        /* database path */
	char datadir[FSY_CFG_PATH];   /* "": the built-in search (tiers.h) */
	char control[FSY_CFG_PATH];   /* ipc:// URL of the CLI socket */
	fsy_log_level_t log_level;
	fsy_log_target_t log_target;

	/* [hub] */
	char listen[FSY_CFG_PATH];    /* tls+tcp:// (tcp:// when insecure) */
	char cert[FSY_CFG_PATH];      /* hub: server certificate (PEM) */
	char key[FSY_CFG_PATH];       /* hub: its private key (PEM) */
	char ca[FSY_CFG_PATH];        /* hub: CA of the device certificates;
	                                 agent: CA of the hub's certificate */
	char crl[FSY_CFG_PATH];       /* hub: revoked device certificates, "" */
	int64_t max_skew_s;           /* HLCs further ahead are clamped */
	int64_t late_visit_days;      /* a visit recorded later is "late" */
	uint32_t contexts;            /* requests the hub receives in parallel */

	/* [agent] (cert, key and ca above are shared with [hub]) */
	char hub[FSY_CFG_PATH];       /* URL of the hub */
	char server_name[256];        /* TLS name to verify; "": the URL's host */
	char device_id[37];           /* this laptop's device id (UUID) */
	char device_key[FSY_CFG_PATH];/* file: Ed25519 secret key, 128 hex */
	uint32_t sync_interval_s;     /* a round every ... */
	uint32_t sync_soon_s;         /* ... and this long after a local write */
	uint32_t backoff_min_s;       /* retry delay after a failed round ... */
	uint32_t backoff_max_s;       /* ... doubling up to this */
	uint32_t round_timeout_s;     /* a round (connect included) ends by then */
	uint32_t forward_timeout_s;   /* a lead's command forwarded to the hub */

	int insecure;                 /* 1: plain tcp:// allowed (with a warning) */

	/* [limits] */
	uint32_t max_changes;         /* changes per frame */
	uint32_t max_bytes;           /* value bytes per frame (approx.) */
	int compress;                 /* zstd frame bodies */
} fsy_config_t;

/* Fills c with the defaults of docs/CONFIG.md (role unset: 0). */
void fsy_config_defaults(fsy_config_t *c);

/*
 * Parses the INI file at path into c. Returns FSY_OK, or FSY_ECONFIG with
 * "path:line: message" in err (errlen bytes; may be truncated) — "path:
 * message", without a line, when the problem is not on one line, e.g. a
 * missing key — or FSY_EIO when the file cannot be read (err says why), or
 * FSY_ENOMEM ("path: out of memory"). c is filled with defaults first and
 * is unusable after a failure.
 */
int fsy_config_load(const char *path, fsy_config_t *c, char *err,
    size_t errlen);

/* Parses a log level name (error|warn|info|debug); FSY_EINVAL otherwise. */
int fsy_config_log_level(const char *s, fsy_log_level_t *out);

/* Returns the name of a log level ("warn"). */
const char *fsy_config_log_level_name(fsy_log_level_t l);

/*
 * Writes into out (len bytes) the names of the keys whose change between a
 * running config o and a reloaded config n needs a restart, separated
 * by ", " ("" when none). Returns the number of such keys.
 */
int fsy_config_restart_keys(const fsy_config_t *o, const fsy_config_t *n,
    char *out, size_t len);

#endif /* FSY_CONFIG_H */
