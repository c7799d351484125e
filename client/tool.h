/*
 * tool.h — the `fieldsync` command line, built only on the public headers
 * of the wire format (proto.h, fsy_err.h), nng and jansson — never on the
 * daemon's core (like curl's src/tool_*.c on include/curl/).
 *
 *   tool_main.c   global options, help, the run: argv -> request -> reply
 *   tool_cmds.c   the command table: words, options, help, examples
 *   tool_ipc.c    one CTL request over an nng req0 socket
 *   tool_print.c  readable output: records, aligned tables, cards
 *
 * docs/CLI.md is the user's manual.
 */
#ifndef FSY_TOOL_H
#define FSY_TOOL_H

#include <stddef.h>
#include <stdio.h>

#include <jansson.h>

/* Exit codes (docs/CLI.md). */
#define FSY_TOOL_EXIT_OK 0          /* the command succeeded */
#define FSY_TOOL_EXIT_FAILED 1      /* the daemon ran it and it failed */
#define FSY_TOOL_EXIT_USAGE 2       /* bad command line or arguments */
#define FSY_TOOL_EXIT_UNREACHABLE 3 /* no daemon answered */
#define FSY_TOOL_EXIT_NOTFOUND 4    /* a customer, agent, ... not found */
#define FSY_TOOL_EXIT_REFUSED 5     /* not allowed here (role, read-only) */
#define FSY_TOOL_EXIT_LOCAL 6       /* a local file could not be written */

/* Default socket when neither --socket nor FIELDSYNC_SOCKET is given. */
/* The daemon's default: ipc://<directory of its db>/fieldsyncd.sock, with
 * the packaged db in /var/lib/fieldsync (docs/CONFIG.md). */
#define FSY_TOOL_DEFAULT_SOCKET "ipc:///var/lib/fieldsync/fieldsyncd.sock"

/* Default reply timeout, seconds. */
#define FSY_TOOL_TIMEOUT_S 30

/* Option kinds (fsy_tool_opt_t.kind). */
typedef enum {
	FSY_TOOL_TEXT = 1, /* --opt VALUE, sent as a string */
	FSY_TOOL_INT,      /* --opt N, sent as an integer */
	FSY_TOOL_FLAG,     /* --opt, sent as true */
	FSY_TOOL_NOFLAG,   /* --no-opt, sent as false */
	FSY_TOOL_PATH,     /* --opt DIR, made absolute, sent as a string */
	FSY_TOOL_LOCAL,    /* --opt VALUE, used by the CLI, not sent */
} fsy_tool_kind_t;

/* One option or positional argument of a command. */
typedef struct fsy_tool_opt {
	const char *name;    /* "--customer", or the positional's metavar
	                      * ("CUSTOMER") when positional */
	const char *key;     /* the request's argument name ("customer") */
	int kind;            /* fsy_tool_kind_t */
	const char *metavar; /* shown in help ("ID|CARD"); NULL for flags */
	const char *help;    /* one line; NULL: accepted, not listed in help */
	int required;        /* 1: must be given */
} fsy_tool_opt_t;

struct fsy_tool_cmd;

/* Prints a successful reply's data readably. Returns an exit code. */
typedef int (*fsy_tool_print_fn)(const struct fsy_tool_cmd *cmd,
    json_t *data, const json_t *local, FILE *out);

/* One command of the CLI. */
typedef struct fsy_tool_cmd {
	const char *words;          /* "visit add" */
	const char *cmd;            /* the daemon's command ("visit.add") */
	const char *where;          /* which daemon runs it (help text) */
	const char *summary;        /* one line */
	const char *detail;         /* a paragraph, or NULL */
	const fsy_tool_opt_t *pos;  /* positional arguments, {NULL} ended */
	const fsy_tool_opt_t *opts; /* options, {NULL} ended */
	const char *example;        /* one or more example lines */
	int timeout_s;              /* reply timeout (0: default) */
	fsy_tool_print_fn print;    /* NULL: the generic printer */
} fsy_tool_cmd_t;

/* The command table, ended by an entry with words NULL. */
extern const fsy_tool_cmd_t fsy_tool_cmds[];

/* ---- tool_cmds.c --------------------------------------------------------- */

/*
 * Finds the command named by the words at argv[0..argc) — the longest
 * match ("visit add" before "visit"). *used gets the number of words it
 * took. Returns the command or NULL.
 */
const fsy_tool_cmd_t *fsy_tool_find(int argc, char **argv, int *used);

/* 1 when word starts at least one command ("visit", "agent"). */
int fsy_tool_is_group(const char *word);

/* Prints the program's help (every command, one line each) to out. */
void fsy_tool_help_all(FILE *out);

/* Prints the commands starting with word (a group like "visit"). */
void fsy_tool_help_group(const char *word, FILE *out);

/* Prints one command's help: usage, every option, examples. */
void fsy_tool_help_cmd(const fsy_tool_cmd_t *c, FILE *out);

/*
 * Builds the request's "args" object from the command's own argv (after
 * its words) into *args (new reference) and the CLI-only options into
 * *local (new reference, e.g. {"out": DIR}). On a usage error writes
 * "fieldsync: ..." to stderr and returns FSY_TOOL_EXIT_USAGE; *help is set
 * to 1 when --help was given (nothing else is built then). Returns
 * FSY_TOOL_EXIT_OK otherwise.
 */
int fsy_tool_build_args(const fsy_tool_cmd_t *c, int argc, char **argv,
    json_t **args, json_t **local, int *help);

/* ---- tool_ipc.c ---------------------------------------------------------- */

/*
 * Sends the JSON request (len bytes) as a CTL frame to the daemon at url
 * over an nng req0 socket and waits at most timeout_s seconds for the
 * CTL_REPLY. On success *reply is a malloc'd NUL-terminated JSON text
 * (the caller frees it) and FSY_TOOL_EXIT_OK is returned. Otherwise
 * returns FSY_TOOL_EXIT_UNREACHABLE (no daemon, timeout, a reply that is
 * not a CTL_REPLY) with a message in err (errlen bytes).
 */
int fsy_tool_call(const char *url, const char *req, size_t len, int timeout_s,
    char **reply, char *err, size_t errlen);

/* ---- tool_print.c -------------------------------------------------------- */

/* The generic printer: a record of scalars, nested objects as sections,
 * arrays of objects as tables. */
int fsy_tool_print_generic(const fsy_tool_cmd_t *cmd, json_t *data,
    const json_t *local, FILE *out);

/* Printers of the commands with a layout of their own. */
int fsy_tool_print_customers(const fsy_tool_cmd_t *cmd, json_t *data,
    const json_t *local, FILE *out);
int fsy_tool_print_card(const fsy_tool_cmd_t *cmd, json_t *data,
    const json_t *local, FILE *out);
int fsy_tool_print_agenda(const fsy_tool_cmd_t *cmd, json_t *data,
    const json_t *local, FILE *out);
int fsy_tool_print_status(const fsy_tool_cmd_t *cmd, json_t *data,
    const json_t *local, FILE *out);
int fsy_tool_print_activity(const fsy_tool_cmd_t *cmd, json_t *data,
    const json_t *local, FILE *out);
int fsy_tool_print_conflicts(const fsy_tool_cmd_t *cmd, json_t *data,
    const json_t *local, FILE *out);
int fsy_tool_print_coverage(const fsy_tool_cmd_t *cmd, json_t *data,
    const json_t *local, FILE *out);
int fsy_tool_print_tiers(const fsy_tool_cmd_t *cmd, json_t *data,
    const json_t *local, FILE *out);
int fsy_tool_print_fleet(const fsy_tool_cmd_t *cmd, json_t *data,
    const json_t *local, FILE *out);
int fsy_tool_print_devices(const fsy_tool_cmd_t *cmd, json_t *data,
    const json_t *local, FILE *out);
int fsy_tool_print_summary(const fsy_tool_cmd_t *cmd, json_t *data,
    const json_t *local, FILE *out);
int fsy_tool_print_device_issue(const fsy_tool_cmd_t *cmd, json_t *data,
    const json_t *local, FILE *out);
int fsy_tool_print_moved(const fsy_tool_cmd_t *cmd, json_t *data,
    const json_t *local, FILE *out);

/*
 * Checks before a device is issued that its key can be written into dir:
 * dir is a writable directory without a device.key, or does not exist yet
 * and its parent is a writable directory (fsy_tool_write_key makes it).
 * Returns FSY_TOOL_EXIT_OK, or FSY_TOOL_EXIT_LOCAL with a message on
 * stderr.
 */
int fsy_tool_check_out(const char *dir);

/*
 * Writes a newly issued device's secret key into dir: dir/device.key
 * (the 64-byte Ed25519 secret key as 128 hex digits and a newline, mode
 * 0600) and dir/device.id (the device id). Refuses to overwrite either.
 * Returns FSY_TOOL_EXIT_OK, or FSY_TOOL_EXIT_LOCAL with a message on
 * stderr. path gets the key file's path (n bytes).
 */
int fsy_tool_write_key(const char *dir, const char *device_id,
    const char *secret_hex, char *path, size_t n);

/* Display width of a UTF-8 string in terminal columns (CJK count 2). */
size_t fsy_tool_width(const char *s);

#endif /* FSY_TOOL_H */
