/* test_daemon_config.c — fieldsyncd's configuration file (daemon/config.h):
 * every error path names file:line, defaults, ranges at their edges. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "testutil.h"

/* A hub config of 7 lines; cases append from line 8. */
#define HUB                                                                    \
	"[daemon]\n"                                                           \
	"role = hub\n"                                                         \
	"db = hub.db\n"                                                        \
	"[hub]\n"                                                              \
	"cert = hub.crt\n"                                                     \
	"key = hub.key\n"                                                      \
	"ca = ca.crt\n"

/* An agent config of 10 lines; cases append from line 11. */
#define DEV "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"
#define AGENT                                                                  \
	"[daemon]\n"                                                           \
	"role = agent\n"                                                       \
	"db = a.db\n"                                                          \
	"[agent]\n"                                                            \
	"hub = tls+tcp://hub.example.com:7443\n"                               \
	"ca = ca.crt\n"                                                        \
	"cert = dev.crt\n"                                                     \
	"key = dev.key\n"                                                      \
	"device_id = " DEV "\n"                                                \
	"device_key = device.key\n"

static const char *
write_cfg(const char *text)
{
	const char *path = tu_path("c.ini");
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
	return path;
}

/* Loads text; checks the code and, for errors, that the message is
 * "<path><want>" exactly (want starts with ":LINE: " or ": "). */
static void
expect(const char *text, int rc, const char *want)
{
	fsy_config_t c;
	char err[600], full[1200];
	const char *path = write_cfg(text);
	int got = fsy_config_load(path, &c, err, sizeof(err));

	if (got != rc)
		fail_msg("rc %d, want %d; err: %s\n--- config:\n%s", got, rc, err,
		    text);
	if (want) {
		snprintf(full, sizeof(full), "%s%s", path, want);
		if (strcmp(err, full) != 0)
			fail_msg("err:  %s\nwant: %s", err, full);
	}
}

typedef struct {
	const char *text;
	const char *want; /* after the path */
} bad_t;

static const bad_t bad[] = {
	/* structure */
	{"role = hub\n", ":1: role is outside any section (put it under "
	    "[daemon], [hub], [agent] or [limits])"},
	{HUB "[hbu]\nlisten = tls+tcp://:7443\n", ":9: unknown section [hbu] "
	    "(sections: daemon, hub, agent, limits)"},
	{HUB "liste = tls+tcp://:7443\n", ":8: unknown key [hub] liste (known: "
	    "listen, cert, key, ca, crl, max_skew, late_visit_days, contexts, "
	    "insecure)"},
	{HUB "cert = other.crt\n", ":8: [hub] cert is set twice (first on line "
	    "5; a line that starts with a blank continues the line before it)"},
	{HUB "contexts = 4\n  8\n", ":9: [hub] contexts is set twice (first on "
	    "line 8; a line that starts with a blank continues the line before "
	    "it)"},
	{HUB "crl =\n", ":8: [hub] crl is empty (remove the line to get the "
	    "default)"},
	{HUB "just words\n", ":8: syntax error (want [section] or key = value)"},
	{HUB "[limits\n", ":8: syntax error (want [section] or key = value)"},
	/* the first mistake wins, whatever its kind */
	{HUB "contexts = 0\nnonsense\n", ":8: [hub] contexts = 0: must be "
	    "between 1 and 1024 (requests)"},
	{HUB "nonsense\ncontexts = 0\n", ":8: syntax error (want [section] or "
	    "key = value)"},
	/* [daemon] */
	{"[daemon]\nrole = laptop\n", ":2: [daemon] role = laptop: want hub "
	    "or agent"},
	{"[daemon]\ndb = x.db\n", ": [daemon] role is missing (hub or agent)"},
	{HUB "[daemon]\nlog_level = verbose\n", ":9: [daemon] log_level = "
	    "verbose: want error, warn, info or debug"},
	{HUB "[daemon]\nlog_target = syslog\n", ":9: [daemon] log_target = "
	    "syslog: want stderr or journal"},
	{HUB "[daemon]\ncontrol = tcp://127.0.0.1:1\n", ":9: [daemon] control = "
	    "tcp://127.0.0.1:1: want ipc://PATH"},
	{HUB "[daemon]\ncontrol = ipc://\n", ":9: [daemon] control = ipc://: "
	    "want ipc://PATH"},
	{HUB "[daemon]\ncontrol = ipc:///tmp/"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.sock\n",
	    ":9: [daemon] control: socket path /tmp/"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.sock is longer than "
	    "107 bytes (a limit of Unix sockets); set a shorter control = "
	    "ipc://PATH"},
	/* [hub] values and their edges */
	{HUB "contexts = 0\n", ":8: [hub] contexts = 0: must be between 1 and "
	    "1024 (requests)"},
	{HUB "contexts = 1025\n", ":8: [hub] contexts = 1025: must be between 1 "
	    "and 1024 (requests)"},
	{HUB "contexts = 8x\n", ":8: [hub] contexts = 8x: not an integer"},
	{HUB "contexts = 99999999999999999999\n", ":8: [hub] contexts = "
	    "99999999999999999999: not an integer"},
	{HUB "max_skew = -1\n", ":8: [hub] max_skew = -1: must be between 0 and "
	    "86400 (seconds)"},
	{HUB "max_skew = 86401\n", ":8: [hub] max_skew = 86401: must be between "
	    "0 and 86400 (seconds)"},
	{HUB "late_visit_days = 0\n", ":8: [hub] late_visit_days = 0: must be "
	    "between 1 and 365 (days)"},
	{HUB "late_visit_days = 366\n", ":8: [hub] late_visit_days = 366: must "
	    "be between 1 and 365 (days)"},
	{HUB "insecure = maybe\n", ":8: [hub] insecure = maybe: want true or "
	    "false"},
	{HUB "listen = http://0.0.0.0:80\n", ":8: [hub] listen = "
	    "http://0.0.0.0:80: scheme http:// is not supported (want "
	    "tls+tcp://)"},
	{HUB "listen = tls+tcp://0.0.0.0\n", ":8: [hub] listen = "
	    "tls+tcp://0.0.0.0: a port is needed (tls+tcp://HOST:7443)"},
	{HUB "listen = tls+tcp://0.0.0.0:7443/x\n", ":8: [hub] listen = "
	    "tls+tcp://0.0.0.0:7443/x: a path is not allowed here"},
	{HUB "listen = tcp://0.0.0.0:7443\n", ":8: [hub] listen = "
	    "tcp://0.0.0.0:7443: plain tcp:// is refused without insecure = "
	    "true (use tls+tcp://)"},
	{HUB "insecure = false\nlisten = tcp://0.0.0.0:7443\n", ":9: [hub] "
	    "listen = tcp://0.0.0.0:7443: plain tcp:// is refused without "
	    "insecure = true (use tls+tcp://)"},
	{HUB "insecure = true\nlisten = tcp://127.0.0.1:7443\ncrl = crl.pem\n",
	    ":10: [hub] crl is set but listen = tcp://127.0.0.1:7443 does not "
	    "use TLS"},
	{"[daemon]\nrole = hub\n[hub]\nkey = k\nca = ca\n", ": [hub] cert is "
	    "missing (needed for tls+tcp://0.0.0.0:7443)"},
	{"[daemon]\nrole = hub\n[hub]\ncert = c\nca = ca\n", ": [hub] key is "
	    "missing (needed for tls+tcp://0.0.0.0:7443)"},
	{"[daemon]\nrole = hub\n[hub]\ncert = c\nkey = k\n", ": [hub] ca is "
	    "missing (needed for tls+tcp://0.0.0.0:7443)"},
	/* keys of the other role */
	{HUB "[agent]\nsync_interval = 60\n", ":9: [agent] sync_interval is not "
	    "used by role = hub"},
	{AGENT "[hub]\ncontexts = 4\n", ":12: [hub] contexts is not used by "
	    "role = agent"},
	/* [agent] */
	{AGENT "sync_interval = 9\n", ":11: [agent] sync_interval = 9: must be "
	    "between 10 and 86400 (seconds)"},
	{AGENT "sync_interval = 86401\n", ":11: [agent] sync_interval = 86401: "
	    "must be between 10 and 86400 (seconds)"},
	{AGENT "sync_soon = 3601\n", ":11: [agent] sync_soon = 3601: must be "
	    "between 0 and 3600 (seconds)"},
	{AGENT "backoff_min = 0\n", ":11: [agent] backoff_min = 0: must be "
	    "between 1 and 3600 (seconds)"},
	{AGENT "backoff_max = 86401\n", ":11: [agent] backoff_max = 86401: must "
	    "be between 1 and 86400 (seconds)"},
	{AGENT "backoff_min = 60\nbackoff_max = 59\n", ":12: [agent] "
	    "backoff_max (59) is less than backoff_min (60)"},
	{AGENT "backoff_min = 901\n", ":11: [agent] backoff_max (900) is less "
	    "than backoff_min (901)"},
	{AGENT "round_timeout = 4\n", ":11: [agent] round_timeout = 4: must be "
	    "between 5 and 3600 (seconds)"},
	{AGENT "forward_timeout = 301\n", ":11: [agent] forward_timeout = 301: "
	    "must be between 1 and 300 (seconds)"},
	{AGENT "server_name = hub example\n", ":11: [agent] server_name = hub "
	    "example: not a host name"},
	{AGENT "insecure = 2\n", ":11: [agent] insecure = 2: want true or false"},
	{"[daemon]\nrole = agent\n[agent]\nhub = tls+tcp://:7443\n", ":4: "
	    "[agent] hub = tls+tcp://:7443: a host is needed "
	    "(tls+tcp://HOST:7443)"},
	{"[daemon]\nrole = agent\n[agent]\nhub = ws://h:1\n", ":4: [agent] hub "
	    "= ws://h:1: scheme ws:// is not supported (want tls+tcp://)"},
	{"[daemon]\nrole = agent\n[agent]\nhub = not a url\n", ":4: [agent] hub "
	    "= not a url: not a URL (want tls+tcp://HOST:7443)"},
	{"[daemon]\nrole = agent\n[agent]\ndevice_id = 1234\n", ":4: [agent] "
	    "device_id = 1234: not a UUID"},
	{"[daemon]\nrole = agent\n", ": [agent] hub is missing "
	    "(tls+tcp://HOST:7443)"},
	{"[daemon]\nrole = agent\n[agent]\nhub = tcp://h:7443\n", ":4: [agent] "
	    "hub = tcp://h:7443: plain tcp:// is refused without insecure = true "
	    "(use tls+tcp://)"},
	{"[daemon]\nrole = agent\n[agent]\nhub = tls+tcp://h:7443\n", ": [agent] "
	    "ca is missing (needed for tls+tcp://h:7443)"},
	{"[daemon]\nrole = agent\n[agent]\nhub = tls+tcp://h:7443\nca = a\n",
	    ": [agent] cert is missing (needed for tls+tcp://h:7443)"},
	{"[daemon]\nrole = agent\n[agent]\nhub = tls+tcp://h:7443\nca = a\n"
	    "cert = c\n", ": [agent] key is missing (needed for tls+tcp://h:7443)"},
	{"[daemon]\nrole = agent\n[agent]\nhub = tcp://h:7443\ninsecure = yes\n"
	    "server_name = h\n", ":6: [agent] server_name is set but hub = "
	    "tcp://h:7443 does not use TLS"},
	{"[daemon]\nrole = agent\n[agent]\nhub = tcp://h:7443\ninsecure = on\n",
	    ": [agent] device_id is missing"},
	{"[daemon]\nrole = agent\n[agent]\nhub = tcp://h:7443\ninsecure = 1\n"
	    "device_id = " DEV "\n", ": [agent] device_key is missing"},
	/* [limits] */
	{HUB "[limits]\nmax_changes = 0\n", ":9: [limits] max_changes = 0: must "
	    "be between 1 and 100000 (changes)"},
	{HUB "[limits]\nmax_changes = 100001\n", ":9: [limits] max_changes = "
	    "100001: must be between 1 and 100000 (changes)"},
	{HUB "[limits]\nmax_bytes = 4095\n", ":9: [limits] max_bytes = 4095: "
	    "must be between 4096 and 8388608 (bytes)"},
	{HUB "[limits]\nmax_bytes = 8388609\n", ":9: [limits] max_bytes = "
	    "8388609: must be between 4096 and 8388608 (bytes)"},
	{HUB "[limits]\ncompress = zstd\n", ":9: [limits] compress = zstd: want "
	    "true or false"},
};

static void
test_bad_configs(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		expect(bad[i].text, FSY_ECONFIG, bad[i].want);
}

static void
test_long_values(void **state)
{
	char *text = malloc(4096), *p;
	(void)state;

	assert_non_null(text);
	/* a line longer than inih's buffer */
	p = text + sprintf(text, HUB "crl = ");
	memset(p, 'x', 300);
	strcpy(p + 300, "\ncontexts = 0\n");
	expect(text, FSY_ECONFIG, ":8: line too long (at most 197 characters)");
	/* a path that does not fit (given relative: the directory is added) */
	p = text + sprintf(text, HUB "crl = ");
	for (int i = 0; i < 190; i += 10)
		p += sprintf(p, "aaaaaaaaa/");
	strcpy(p, "\n");
	{
		fsy_config_t c;
		char err[600];
		int rc = fsy_config_load(write_cfg(text), &c, err, sizeof(err));
		/* within inih's line, maybe beyond FSY_CFG_PATH with the dir */
		if (strlen(tu_tmpdir()) + 190 + 1 >= FSY_CFG_PATH) {
			assert_int_equal(rc, FSY_ECONFIG);
			assert_non_null(strstr(err, ":8: [hub] crl: path too long"));
		} else {
			assert_int_equal(rc, FSY_OK);
			assert_int_equal(strlen(c.crl), strlen(c.file) - 5 + 190);
		}
	}
	free(text);
}

static void
test_unreadable(void **state)
{
	fsy_config_t c;
	char err[600], want[700];
	const char *path = tu_path("missing.ini");
	(void)state;

	assert_int_equal(fsy_config_load(path, &c, err, sizeof(err)), FSY_EIO);
	snprintf(want, sizeof(want), "%s: cannot read: No such file or "
	    "directory", path);
	assert_string_equal(err, want);
}

static void
test_hub_defaults(void **state)
{
	fsy_config_t c;
	char err[600], dir[PATH_MAX], want[PATH_MAX + 64];
	(void)state;

	assert_non_null(realpath(tu_tmpdir(), dir));
	assert_int_equal(fsy_config_load(write_cfg(HUB), &c, err, sizeof(err)),
	    FSY_OK);
	assert_int_equal(c.role, FSY_ROLE_HUB);
	/* relative paths are the config file's directory's */
	snprintf(want, sizeof(want), "%s/hub.db", dir);
	assert_string_equal(c.db, want);
	snprintf(want, sizeof(want), "%s/ca.crt", dir);
	assert_string_equal(c.ca, want);
	snprintf(want, sizeof(want), "ipc://%s/fieldsyncd.sock", dir);
	assert_string_equal(c.control, want);
	assert_string_equal(c.listen, "tls+tcp://0.0.0.0:7443");
	assert_string_equal(c.crl, "");
	assert_string_equal(c.datadir, "");
	assert_int_equal(c.log_level, FSY_LOG_INFO);
	assert_int_equal(c.log_target, FSY_LOGT_STDERR);
	assert_int_equal(c.max_skew_s, 300);
	assert_int_equal(c.late_visit_days, 3);
	assert_int_equal(c.contexts, 16);
	assert_int_equal(c.insecure, 0);
	assert_int_equal(c.max_changes, 64000);
	assert_int_equal(c.max_bytes, 4194304);
	assert_int_equal(c.compress, 1);

	/* db defaults by role */
	assert_int_equal(fsy_config_load(write_cfg("[daemon]\nrole = hub\n"
	    "[hub]\nlisten = tcp://127.0.0.1:7000\ninsecure = true\n"), &c, err,
	    sizeof(err)), FSY_OK);
	assert_string_equal(c.db, "/var/lib/fieldsync/hub.db");
	assert_string_equal(c.control, "ipc:///var/lib/fieldsync/fieldsyncd.sock");
	assert_int_equal(c.insecure, 1);
}

static void
test_hub_values_at_edges(void **state)
{
	fsy_config_t c;
	char err[600];
	(void)state;

	assert_int_equal(fsy_config_load(write_cfg(HUB
	    "listen = tls+tcp6://[::1]:17443\n"
	    "crl = /etc/fieldsync/crl.pem\n"
	    "max_skew = 0\n"
	    "late_visit_days = 365\n"
	    "contexts = 1024\n"
	    "[daemon]\n"
	    "datadir = /usr/share/fieldsync\n"
	    "control = ipc://ctl.sock\n"
	    "log_level = debug\n"
	    "log_target = stderr\n"
	    "[limits]\n"
	    "max_changes = 100000\n"
	    "max_bytes = 8388608\n"
	    "compress = off ; inline comment\n"), &c, err, sizeof(err)),
	    FSY_OK);
	assert_string_equal(c.listen, "tls+tcp6://[::1]:17443");
	assert_string_equal(c.crl, "/etc/fieldsync/crl.pem");
	assert_int_equal(c.max_skew_s, 0);
	assert_int_equal(c.late_visit_days, 365);
	assert_int_equal(c.contexts, 1024);
	assert_string_equal(c.datadir, "/usr/share/fieldsync");
	assert_non_null(strstr(c.control, "/ctl.sock"));
	assert_int_equal(strncmp(c.control, "ipc:///", 7), 0);
	assert_int_equal(c.log_level, FSY_LOG_DEBUG);
	assert_int_equal(c.max_changes, 100000);
	assert_int_equal(c.max_bytes, 8388608);
	assert_int_equal(c.compress, 0);

	assert_int_equal(fsy_config_load(write_cfg(HUB "max_skew = 86400\n"
	    "late_visit_days = 1\ncontexts = 1\n[limits]\nmax_changes = 1\n"
	    "max_bytes = 4096\ncompress = YES\n"), &c, err, sizeof(err)), FSY_OK);
	assert_int_equal(c.max_skew_s, 86400);
	assert_int_equal(c.late_visit_days, 1);
	assert_int_equal(c.contexts, 1);
	assert_int_equal(c.max_changes, 1);
	assert_int_equal(c.max_bytes, 4096);
	assert_int_equal(c.compress, 1);
}

static void
test_agent(void **state)
{
	fsy_config_t c;
	char err[600], dir[PATH_MAX], want[PATH_MAX + 64];
	(void)state;

	assert_non_null(realpath(tu_tmpdir(), dir));
	assert_int_equal(fsy_config_load(write_cfg(AGENT), &c, err, sizeof(err)),
	    FSY_OK);
	assert_int_equal(c.role, FSY_ROLE_AGENT);
	assert_string_equal(c.hub, "tls+tcp://hub.example.com:7443");
	assert_string_equal(c.server_name, "");
	assert_string_equal(c.device_id, DEV);
	snprintf(want, sizeof(want), "%s/device.key", dir);
	assert_string_equal(c.device_key, want);
	snprintf(want, sizeof(want), "%s/dev.crt", dir);
	assert_string_equal(c.cert, want);
	assert_int_equal(c.sync_interval_s, 300);
	assert_int_equal(c.sync_soon_s, 2);
	assert_int_equal(c.backoff_min_s, 5);
	assert_int_equal(c.backoff_max_s, 900);
	assert_int_equal(c.round_timeout_s, 300);
	assert_int_equal(c.forward_timeout_s, 15);

	assert_int_equal(fsy_config_load(write_cfg(AGENT "sync_interval = 10\n"
	    "sync_soon = 0\nbackoff_min = 3600\nbackoff_max = 3600\n"
	    "round_timeout = 5\nforward_timeout = 300\n"
	    "server_name = hub.example.com\n"), &c, err, sizeof(err)), FSY_OK);
	assert_int_equal(c.sync_interval_s, 10);
	assert_int_equal(c.sync_soon_s, 0);
	assert_int_equal(c.backoff_min_s, 3600);
	assert_int_equal(c.backoff_max_s, 3600);
	assert_int_equal(c.round_timeout_s, 5);
	assert_int_equal(c.forward_timeout_s, 300);
	assert_string_equal(c.server_name, "hub.example.com");

	assert_int_equal(fsy_config_load(write_cfg(AGENT "sync_interval = 86400\n"
	    "sync_soon = 3600\nbackoff_min = 1\nbackoff_max = 86400\n"
	    "round_timeout = 3600\nforward_timeout = 1\n"), &c, err,
	    sizeof(err)), FSY_OK);
	assert_int_equal(c.sync_interval_s, 86400);
	assert_int_equal(c.backoff_max_s, 86400);

	/* insecure: plain tcp, no TLS files needed */
	assert_int_equal(fsy_config_load(write_cfg("[daemon]\nrole = agent\n"
	    "[agent]\nhub = tcp://127.0.0.1:7443\ninsecure = true\ndevice_id = "
	    DEV "\ndevice_key = /k\n"), &c, err, sizeof(err)), FSY_OK);
	assert_int_equal(c.insecure, 1);
	assert_string_equal(c.db, "/var/lib/fieldsync/replica.db");
}

/* The shipped examples parse, and say what docs/CONFIG.md says. */
static void
test_examples(void **state)
{
	fsy_config_t c;
	char err[600];
	(void)state;

	assert_int_equal(fsy_config_load(FSY_SOURCE_DIR
	    "/deploy/examples/hub.ini", &c, err, sizeof(err)), FSY_OK);
	assert_int_equal(c.role, FSY_ROLE_HUB);
	assert_string_equal(c.db, "/var/lib/fieldsync/hub.db");
	assert_string_equal(c.listen, "tls+tcp://0.0.0.0:7443");
	assert_string_equal(c.crl, "/etc/fieldsync/pki/crl.pem");
	assert_string_equal(c.control, "ipc:///var/lib/fieldsync/fieldsyncd.sock");
	assert_int_equal(c.contexts, 16);

	assert_int_equal(fsy_config_load(FSY_SOURCE_DIR
	    "/deploy/examples/agent.ini", &c, err, sizeof(err)), FSY_OK);
	assert_int_equal(c.role, FSY_ROLE_AGENT);
	assert_string_equal(c.hub, "tls+tcp://hub.example.com:7443");
	assert_string_equal(c.device_key, "/etc/fieldsync/tls/device.ed25519");
	assert_int_equal(c.sync_interval_s, 300);
	assert_int_equal(c.backoff_max_s, 900);
}

static void
test_journal_target(void **state)
{
	fsy_config_t c;
	char err[600];
	int rc;
	(void)state;

	rc = fsy_config_load(write_cfg(HUB "[daemon]\nlog_target = journal\n"),
	    &c, err, sizeof(err));
	if (rc == FSY_OK)
		assert_int_equal(c.log_target, FSY_LOGT_JOURNAL);
	else
		assert_non_null(strstr(err, ":9: [daemon] log_target = journal: "
		    "this build has no systemd support"));
}

static void
test_log_levels(void **state)
{
	static const char *const names[] = {"error", "warn", "info", "debug"};
	fsy_log_level_t l;
	(void)state;

	for (int i = 0; i < 4; i++) {
		assert_int_equal(fsy_config_log_level(names[i], &l), FSY_OK);
		assert_int_equal(l, i);
		assert_string_equal(fsy_config_log_level_name(l), names[i]);
	}
	assert_int_equal(fsy_config_log_level("Info", &l), FSY_EINVAL);
	assert_int_equal(fsy_config_log_level("", &l), FSY_EINVAL);
	assert_string_equal(fsy_config_log_level_name((fsy_log_level_t)9), "?");
}

static void
test_restart_keys(void **state)
{
	fsy_config_t a, b;
	char out[256];
	(void)state;

	fsy_config_defaults(&a);
	b = a;
	assert_int_equal(fsy_config_restart_keys(&a, &b, out, sizeof(out)), 0);
	assert_string_equal(out, "");
	/* applied on reload: not listed */
	b.log_level = FSY_LOG_DEBUG;
	b.sync_interval_s = 60;
	b.max_changes = 10;
	b.max_skew_s = 1;
	snprintf(b.crl, sizeof(b.crl), "/x");
	assert_int_equal(fsy_config_restart_keys(&a, &b, out, sizeof(out)), 0);
	/* need a restart */
	snprintf(b.db, sizeof(b.db), "/other.db");
	snprintf(b.listen, sizeof(b.listen), "tls+tcp://:1");
	b.contexts = 2;
	b.insecure = 1;
	assert_int_equal(fsy_config_restart_keys(&a, &b, out, sizeof(out)), 4);
	assert_string_equal(out, "[daemon] db, listen, contexts, insecure");
	/* a short buffer is cut, the count is still right */
	assert_int_equal(fsy_config_restart_keys(&a, &b, out, 8), 4);
	assert_int_equal(strlen(out), 7);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bad_configs),
		cmocka_unit_test(test_long_values),
		cmocka_unit_test(test_unreadable),
		cmocka_unit_test(test_hub_defaults),
		cmocka_unit_test(test_hub_values_at_edges),
		cmocka_unit_test(test_agent),
		cmocka_unit_test(test_examples),
		cmocka_unit_test(test_journal_target),
		cmocka_unit_test(test_log_levels),
		cmocka_unit_test(test_restart_keys),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	tu_cleanup();
	return rc;
}
