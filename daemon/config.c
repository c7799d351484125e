/* config.c — fieldsyncd's INI configuration (see config.h, docs/CONFIG.md). */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/un.h>

#include <ini.h>
#include <nng/nng.h>

#include "config.h"
#include "proto.h"
#include "sync.h"
#include "util.h"

/* What a key holds. */
typedef enum {
	K_ROLE,    /* hub | agent */
	K_PATH,    /* a file or directory; relative to the config's directory */
	K_IPC,     /* ipc:// URL; a relative path as for K_PATH */
	K_NETURL,  /* tls+tcp:// or tcp:// URL */
	K_NAME,    /* a host name (TLS server name) */
	K_UUID,    /* a device id */
	K_LEVEL,   /* log level */
	K_TARGET,  /* log target */
	K_I64,     /* an integer in [min, max] (int64_t field) */
	K_U32,     /* an integer in [min, max] (uint32_t field) */
	K_BOOL     /* true/false, yes/no, on/off, 1/0 (int field) */
} kind_t;

#define R_HUB 1u
#define R_AGENT 2u

typedef struct key {
	const char *section;
	const char *name;
	kind_t kind;
	size_t off;        /* offset of the field in fsy_config_t */
	size_t size;       /* string fields: buffer size */
	int64_t min, max;  /* K_I64 / K_U32 bounds */
	unsigned roles;    /* roles that use the key */
	const char *unit;  /* for range messages */
} cfgkey_t;

#define S(f) offsetof(fsy_config_t, f), sizeof(((fsy_config_t *)0)->f)
#define N(f) offsetof(fsy_config_t, f), 0

static const cfgkey_t keys[] = {
	{"daemon", "role", K_ROLE, N(role), 0, 0, R_HUB | R_AGENT, NULL},
	{"daemon", "db", K_PATH, S(db), 0, 0, R_HUB | R_AGENT, NULL},
	{"daemon", "datadir", K_PATH, S(datadir), 0, 0, R_HUB | R_AGENT, NULL},
	{"daemon", "control", K_IPC, S(control), 0, 0, R_HUB | R_AGENT, NULL},
	{"daemon", "log_level", K_LEVEL, N(log_level), 0, 0, R_HUB | R_AGENT, NULL},
	{"daemon", "log_target", K_TARGET, N(log_target), 0, 0, R_HUB | R_AGENT, NULL},
	{"hub", "listen", K_NETURL, S(listen), 0, 0, R_HUB, NULL},
	{"hub", "cert", K_PATH, S(cert), 0, 0, R_HUB, NULL},
	{"hub", "key", K_PATH, S(key), 0, 0, R_HUB, NULL},
	{"hub", "ca", K_PATH, S(ca), 0, 0, R_HUB, NULL},
	{"hub", "crl", K_PATH, S(crl), 0, 0, R_HUB, NULL},
	{"hub", "max_skew", K_I64, N(max_skew_s), 0, 86400, R_HUB, "seconds"},
	{"hub", "late_visit_days", K_I64, N(late_visit_days), 1, 365, R_HUB, "days"},
	{"hub", "contexts", K_U32, N(contexts), 1, 1024, R_HUB, "requests"},
	{"hub", "insecure", K_BOOL, N(insecure), 0, 0, R_HUB, NULL},
	{"agent", "hub", K_NETURL, S(hub), 0, 0, R_AGENT, NULL},
	{"agent", "server_name", K_NAME, S(server_name), 0, 0, R_AGENT, NULL},
	{"agent", "ca", K_PATH, S(ca), 0, 0, R_AGENT, NULL},
	{"agent", "cert", K_PATH, S(cert), 0, 0, R_AGENT, NULL},
	{"agent", "key", K_PATH, S(key), 0, 0, R_AGENT, NULL},
	{"agent", "device_id", K_UUID, S(device_id), 0, 0, R_AGENT, NULL},
	{"agent", "device_key", K_PATH, S(device_key), 0, 0, R_AGENT, NULL},
	{"agent", "sync_interval", K_U32, N(sync_interval_s), 10, 86400, R_AGENT, "seconds"},
	{"agent", "sync_soon", K_U32, N(sync_soon_s), 0, 3600, R_AGENT, "seconds"},
	{"agent", "backoff_min", K_U32, N(backoff_min_s), 1, 3600, R_AGENT, "seconds"},
	{"agent", "backoff_max", K_U32, N(backoff_max_s), 1, 86400, R_AGENT, "seconds"},
	{"agent", "round_timeout", K_U32, N(round_timeout_s), 5, 3600, R_AGENT, "seconds"},
	{"agent", "forward_timeout", K_U32, N(forward_timeout_s), 1, 300, R_AGENT, "seconds"},
	{"agent", "insecure", K_BOOL, N(insecure), 0, 0, R_AGENT, NULL},
	{"limits", "max_changes", K_U32, N(max_changes), 1, FSY_MAX_CHANGES, R_HUB | R_AGENT, "changes"},
	{"limits", "max_bytes", K_U32, N(max_bytes), 4096, FSY_MAX_FRAME / 2, R_HUB | R_AGENT, "bytes"},
	{"limits", "compress", K_BOOL, N(compress), 0, 0, R_HUB | R_AGENT, NULL},
};

#undef S
#undef N

#define NKEYS (sizeof(keys) / sizeof(keys[0]))

/* Parse state shared by the reader and the handler. */
typedef struct parse {
	fsy_config_t *c;
	FILE *f;
	char dir[FSY_CFG_PATH];  /* the config file's directory, absolute */
	int line;                /* line the reader returned last */
	int lines[NKEYS];        /* line each key was set on, 0: not set */
	int err_line;            /* first error found by us, 0: none */
	char err[400];           /* ... and its message */
} parse_t;

static void
perr(parse_t *p, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
perr(parse_t *p, int line, const char *fmt, ...)
{
	va_list ap;

	if (p->err_line != 0)
		return; /* keep the first */
	p->err_line = line > 0 ? line : -1;
	va_start(ap, fmt);
	vsnprintf(p->err, sizeof(p->err), fmt, ap);
	va_end(ap);
}

void
fsy_config_defaults(fsy_config_t *c)
{
	fsy_sync_limits_t lim;

	memset(c, 0, sizeof(*c));
	c->log_level = FSY_LOG_INFO;
	c->log_target = FSY_LOGT_STDERR;
	snprintf(c->listen, sizeof(c->listen), "tls+tcp://0.0.0.0:7443");
	/* The sync limits default to the engine's own (sync.h). */
	fsy_sync_limits_default(&lim);
	c->max_skew_s = lim.max_skew_ms / 1000;
	c->late_visit_days = lim.late_ms / (24 * 3600 * 1000);
	c->contexts = 16;
	c->sync_interval_s = 300;
	c->sync_soon_s = 2;
	c->backoff_min_s = 5;
	c->backoff_max_s = 900;
	c->round_timeout_s = 300;
	c->forward_timeout_s = 15;
	c->max_changes = lim.max_changes;
	c->max_bytes = lim.max_bytes;
	c->compress = lim.compress;
}

static const char *const level_names[] = {"error", "warn", "info", "debug"};

int
fsy_config_log_level(const char *s, fsy_log_level_t *out)
{
	for (int i = 0; i < 4; i++)
		if (strcmp(s, level_names[i]) == 0) {
			*out = (fsy_log_level_t)i;
			return FSY_OK;
		}
	return FSY_EINVAL;
}

const char *
fsy_config_log_level_name(fsy_log_level_t l)
{
	return (unsigned)l < 4 ? level_names[l] : "?";
}

/* Joins dir and a relative path; absolute paths are copied. */
static int
resolve(const parse_t *p, const char *v, char *out, size_t n)
{
	int w = v[0] == '/' ? snprintf(out, n, "%s", v)
	                    : snprintf(out, n, "%s/%s", p->dir, v);
	return w < 0 || (size_t)w >= n ? FSY_ETOOBIG : FSY_OK;
}

static int
parse_int(const char *v, int64_t *out)
{
	char *end;
	long long x;

	errno = 0;
	x = strtoll(v, &end, 10);
	if (end == v || *end != '\0' || errno == ERANGE)
		return FSY_EINVAL;
	*out = x;
	return FSY_OK;
}

static int
parse_bool(const char *v, int *out)
{
	static const char *const t[] = {"true", "yes", "on", "1"};
	static const char *const f[] = {"false", "no", "off", "0"};

	for (int i = 0; i < 4; i++) {
		if (strcasecmp(v, t[i]) == 0) {
			*out = 1;
			return FSY_OK;
		}
		if (strcasecmp(v, f[i]) == 0) {
			*out = 0;
			return FSY_OK;
		}
	}
	return FSY_EINVAL;
}

/* The scheme of a network URL, checked: 1 TLS, 0 plain TCP, -1 bad. */
static int
url_tls(const char *url, int need_host, char *why, size_t n)
{
	nng_url *u = NULL;
	int tls = -1;

	if (nng_url_parse(&u, url) != 0) {
		snprintf(why, n, "not a URL (want tls+tcp://HOST:7443)");
		return -1;
	}
	if (strcmp(u->u_scheme, "tls+tcp") == 0 ||
	    strcmp(u->u_scheme, "tls+tcp4") == 0 ||
	    strcmp(u->u_scheme, "tls+tcp6") == 0)
		tls = 1;
	else if (strcmp(u->u_scheme, "tcp") == 0 ||
	    strcmp(u->u_scheme, "tcp4") == 0 ||
	    strcmp(u->u_scheme, "tcp6") == 0)
		tls = 0;
	else
		snprintf(why, n, "scheme %s:// is not supported (want tls+tcp://)",
		    u->u_scheme);
	if (tls >= 0 && (u->u_port == NULL || u->u_port[0] == '\0' ||
	    strcmp(u->u_port, "0") == 0)) {
		snprintf(why, n, "a port is needed (tls+tcp://HOST:7443)");
		tls = -1;
	}
	if (tls >= 0 && need_host &&
	    (u->u_hostname == NULL || u->u_hostname[0] == '\0')) {
		snprintf(why, n, "a host is needed (tls+tcp://HOST:7443)");
		tls = -1;
	}
	if (tls >= 0 && u->u_path != NULL && u->u_path[0] != '\0' &&
	    strcmp(u->u_path, "/") != 0) {
		snprintf(why, n, "a path is not allowed here");
		tls = -1;
	}
	nng_url_free(u);
	return tls;
}

/* Stores v into the field of key k; reports problems at line. */
static void
set_value(parse_t *p, const cfgkey_t *k, const char *v, int line)
{
	char *field = (char *)p->c + k->off;
	int64_t x;

	switch (k->kind) {
	case K_ROLE:
		if (strcmp(v, "hub") == 0)
			p->c->role = FSY_ROLE_HUB;
		else if (strcmp(v, "agent") == 0)
			p->c->role = FSY_ROLE_AGENT;
		else
			perr(p, line, "[daemon] role = %s: want hub or agent", v);
		break;
	case K_PATH:
		if (resolve(p, v, field, k->size) != FSY_OK)
			perr(p, line, "[%s] %s: path too long (at most %zu bytes)",
			    k->section, k->name, k->size - 1);
		break;
	case K_IPC:
		if (strncmp(v, "ipc://", 6) != 0 || v[6] == '\0') {
			perr(p, line, "[%s] %s = %s: want ipc://PATH", k->section,
			    k->name, v);
			break;
		}
		{
			char path[FSY_CFG_PATH];
			int w;
			if (resolve(p, v + 6, path, sizeof(path)) != FSY_OK ||
			    (w = snprintf(field, k->size, "ipc://%s", path)) < 0 ||
			    (size_t)w >= k->size) {
				perr(p, line, "[%s] %s: path too long", k->section,
				    k->name);
				break;
			}
		}
		break;
	case K_NETURL: {
		char why[160];
		int w;
		if (url_tls(v, k->roles == R_AGENT, why, sizeof(why)) < 0) {
			perr(p, line, "[%s] %s = %s: %s", k->section, k->name, v,
			    why);
			break;
		}
		w = snprintf(field, k->size, "%s", v);
		if (w < 0 || (size_t)w >= k->size)
			perr(p, line, "[%s] %s: URL too long", k->section, k->name);
		break;
	}
	case K_NAME: {
		size_t n = strlen(v);
		if (n >= k->size || strspn(v, "abcdefghijklmnopqrstuvwxyz"
		    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-:") != n)
			perr(p, line, "[%s] %s = %s: not a host name", k->section,
			    k->name, v);
		else
			memcpy(field, v, n + 1);
		break;
	}
	case K_UUID:
		if (!fsy_uuid_valid(v) || strlen(v) >= k->size)
			perr(p, line, "[%s] %s = %s: not a UUID", k->section,
			    k->name, v);
		else
			snprintf(field, k->size, "%s", v);
		break;
	case K_LEVEL:
		if (fsy_config_log_level(v, &p->c->log_level) != FSY_OK)
			perr(p, line, "[daemon] log_level = %s: want error, warn, "
			    "info or debug", v);
		break;
	case K_TARGET:
		if (strcmp(v, "stderr") == 0)
			p->c->log_target = FSY_LOGT_STDERR;
		else if (strcmp(v, "journal") == 0) {
#ifdef FSY_HAVE_SYSTEMD
			p->c->log_target = FSY_LOGT_JOURNAL;
#else
			perr(p, line, "[daemon] log_target = journal: this build "
			    "has no systemd support");
#endif
		} else {
			perr(p, line, "[daemon] log_target = %s: want stderr or "
			    "journal", v);
		}
		break;
	case K_I64:
	case K_U32:
		if (parse_int(v, &x) != FSY_OK) {
			perr(p, line, "[%s] %s = %s: not an integer", k->section,
			    k->name, v);
			break;
		}
		if (x < k->min || x > k->max) {
			perr(p, line, "[%s] %s = %s: must be between %lld and "
			    "%lld (%s)", k->section, k->name, v,
			    (long long)k->min, (long long)k->max, k->unit);
			break;
		}
		if (k->kind == K_I64)
			memcpy(field, &x, sizeof(int64_t));
		else {
			uint32_t u = (uint32_t)x;
			memcpy(field, &u, sizeof(u));
		}
		break;
	case K_BOOL: {
		int b;
		if (parse_bool(v, &b) != FSY_OK)
			perr(p, line, "[%s] %s = %s: want true or false",
			    k->section, k->name, v);
		else
			memcpy(field, &b, sizeof(b));
		break;
	}
	}
}

static int
handler(void *user, const char *section, const char *name, const char *value)
{
	parse_t *p = user;
	int line = p->line, known_section = 0;
	char known[300] = "";
	size_t kl = 0;

	for (size_t i = 0; i < NKEYS; i++) {
		const cfgkey_t *k = &keys[i];
		if (strcmp(k->section, section) != 0)
			continue;
		known_section = 1;
		if (kl < sizeof(known)) {
			int w = snprintf(known + kl, sizeof(known) - kl, "%s%s",
			    kl ? ", " : "", k->name);
			kl += w > 0 ? (size_t)w : 0;
		}
		if (strcmp(k->name, name) != 0)
			continue;
		if (p->lines[i] != 0) {
			perr(p, line, "[%s] %s is set twice (first on line %d; "
			    "a line that starts with a blank continues the line "
			    "before it)", section, name, p->lines[i]);
			return 0;
		}
		p->lines[i] = line;
		if (value[0] == '\0') {
			perr(p, line, "[%s] %s is empty (remove the line to get "
			    "the default)", section, name);
			return 0;
		}
		set_value(p, k, value, line);
		return p->err_line == line ? 0 : 1;
	}
	if (section[0] == '\0')
		perr(p, line, "%s is outside any section (put it under "
		    "[daemon], [hub], [agent] or [limits])", name);
	else if (!known_section)
		perr(p, line, "unknown section [%s] (sections: daemon, hub, "
		    "agent, limits)", section);
	else
		perr(p, line, "unknown key [%s] %s (known: %s)", section, name,
		    known);
	return 0;
}

/* The ini_reader: fgets that counts lines and notices long ones, and
 * NUL bytes (with fgets, a NUL hid the end of a long line from strlen and
 * the line numbers of the rest were off). */
static char *
reader(char *str, int num, void *stream)
{
	parse_t *p = stream;
	int ch = EOF, n = 0, nul = 0;

	while (n < num - 1 && (ch = fgetc(p->f)) != EOF) {
		nul |= ch == '\0';
		str[n++] = (char)ch;
		if (ch == '\n')
			break;
	}
	if (n == 0)
		return NULL;
	str[n] = '\0';
	p->line++;
	if (ch != '\n' && ch != EOF && !feof(p->f)) {
		int c;
		if (nul)
			perr(p, p->line, "a NUL byte in the line");
		else
			perr(p, p->line, "line too long (at most %d characters)",
			    num - 3);
		while ((c = fgetc(p->f)) != EOF && c != '\n')
			;
		str[0] = '\0'; /* a blank line to inih */
	} else if (nul) {
		perr(p, p->line, "a NUL byte in the line");
		str[0] = '\0';
	}
	return str;
}

static int
key_index(const char *section, const char *name)
{
	for (size_t i = 0; i < NKEYS; i++)
		if (strcmp(keys[i].section, section) == 0 &&
		    strcmp(keys[i].name, name) == 0)
			return (int)i;
	return -1;
}

static int
line_of(const parse_t *p, const char *section, const char *name)
{
	int i = key_index(section, name);
	return i < 0 ? 0 : p->lines[i];
}

/* Cross-key checks and defaults that depend on other keys. */
static void
finish(parse_t *p)
{
	fsy_config_t *c = p->c;
	const char *sec;
	char why[160];
	int tls;

	if (c->role == 0) {
		perr(p, 0, "[daemon] role is missing (hub or agent)");
		return;
	}
	sec = c->role == FSY_ROLE_HUB ? "hub" : "agent";
	for (size_t i = 0; i < NKEYS; i++) {
		unsigned r = c->role == FSY_ROLE_HUB ? R_HUB : R_AGENT;
		if (p->lines[i] && !(keys[i].roles & r)) {
			perr(p, p->lines[i], "[%s] %s is not used by role = %s",
			    keys[i].section, keys[i].name, sec);
			return;
		}
	}

	if (c->db[0] == '\0')
		snprintf(c->db, sizeof(c->db), "/var/lib/fieldsync/%s.db",
		    c->role == FSY_ROLE_HUB ? "hub" : "replica");
	if (c->control[0] == '\0') {
		const char *slash = strrchr(c->db, '/');
		int dl = slash ? (int)(slash - c->db) : 0;
		int w = snprintf(c->control, sizeof(c->control),
		    "ipc://%.*s/fieldsyncd.sock", dl, c->db);
		if (w < 0 || (size_t)w >= sizeof(c->control)) {
			perr(p, line_of(p, "daemon", "db"), "[daemon] db: path "
			    "too long to put the control socket next to it");
			return;
		}
	}
	if (strlen(c->control) - 6 >= sizeof(((struct sockaddr_un *)0)->sun_path)) {
		perr(p, line_of(p, "daemon", "control"), "[daemon] control: "
		    "socket path %s is longer than %zu bytes (a limit of Unix "
		    "sockets); set a shorter control = ipc://PATH", c->control + 6,
		    sizeof(((struct sockaddr_un *)0)->sun_path) - 1);
		return;
	}

	if (c->role == FSY_ROLE_HUB) {
		tls = url_tls(c->listen, 0, why, sizeof(why));
		if (tls == 0 && !c->insecure) {
			perr(p, line_of(p, "hub", "listen"), "[hub] listen = %s: "
			    "plain tcp:// is refused without insecure = true "
			    "(use tls+tcp://)", c->listen);
			return;
		}
		if (tls == 1) {
			const char *miss = !c->cert[0] ? "cert" : !c->key[0] ? "key"
			    : !c->ca[0] ? "ca" : NULL;
			if (miss) {
				perr(p, 0, "[hub] %s is missing (needed for %s)",
				    miss, c->listen);
				return;
			}
		} else if (c->crl[0]) {
			perr(p, line_of(p, "hub", "crl"), "[hub] crl is set but "
			    "listen = %s does not use TLS", c->listen);
			return;
		}
		return;
	}

	if (c->hub[0] == '\0') {
		perr(p, 0, "[agent] hub is missing (tls+tcp://HOST:7443)");
		return;
	}
	tls = url_tls(c->hub, 1, why, sizeof(why));
	if (tls == 0 && !c->insecure) {
		perr(p, line_of(p, "agent", "hub"), "[agent] hub = %s: plain "
		    "tcp:// is refused without insecure = true (use tls+tcp://)",
		    c->hub);
		return;
	}
	if (tls == 1) {
		const char *miss = !c->ca[0] ? "ca" : !c->cert[0] ? "cert"
		    : !c->key[0] ? "key" : NULL;
		if (miss) {
			perr(p, 0, "[agent] %s is missing (needed for %s)", miss,
			    c->hub);
			return;
		}
	} else if (c->server_name[0]) {
		perr(p, line_of(p, "agent", "server_name"), "[agent] "
		    "server_name is set but hub = %s does not use TLS", c->hub);
		return;
	}
	if (c->device_id[0] == '\0') {
		perr(p, 0, "[agent] device_id is missing");
		return;
	}
	if (c->device_key[0] == '\0') {
		perr(p, 0, "[agent] device_key is missing");
		return;
	}
	if (c->backoff_max_s < c->backoff_min_s) {
		int l = line_of(p, "agent", "backoff_max");
		perr(p, l ? l : line_of(p, "agent", "backoff_min"),
		    "[agent] backoff_max (%u) is less than backoff_min (%u)",
		    c->backoff_max_s, c->backoff_min_s);
		return;
	}
}

int
fsy_config_load(const char *path, fsy_config_t *c, char *err, size_t errlen)
{
	parse_t *p = NULL;
	char *abs = NULL, *slash;
	int rv = FSY_OK, irv;

	fsy_config_defaults(c);
	if (err && errlen)
		err[0] = '\0';
	if ((p = calloc(1, sizeof(*p))) == NULL) {
		rv = FSY_ENOMEM;
		goto out;
	}
	p->c = c;
	snprintf(c->file, sizeof(c->file), "%s", path);
	if ((p->f = fopen(path, "r")) == NULL ||
	    (abs = realpath(path, NULL)) == NULL) {
		snprintf(err, errlen, "%s: cannot read: %s", path, strerror(errno));
		rv = FSY_EIO;
		goto out;
	}
	slash = strrchr(abs, '/');
	snprintf(p->dir, sizeof(p->dir), "%.*s",
	    slash == abs ? 1 : (int)(slash - abs), abs);

	irv = ini_parse_stream(reader, p, handler, p);
	if (irv == -2) {
		rv = FSY_ENOMEM;
		goto out;
	}
	if (ferror(p->f)) {
		snprintf(err, errlen, "%s: read error", path);
		rv = FSY_EIO;
		goto out;
	}
	if (irv > 0 && (p->err_line <= 0 || irv < p->err_line)) {
		p->err_line = 0;
		perr(p, irv, "syntax error (want [section] or key = value)");
	}
	if (p->err_line == 0)
		finish(p);
	if (p->err_line != 0) {
		if (p->err_line > 0)
			snprintf(err, errlen, "%s:%d: %s", path, p->err_line,
			    p->err);
		else
			snprintf(err, errlen, "%s: %s", path, p->err);
		rv = FSY_ECONFIG;
	}
out:
	if (rv == FSY_ENOMEM)
		snprintf(err, errlen, "%s: out of memory", path);
	if (p && p->f)
		fclose(p->f);
	free(abs);
	free(p);
	return rv;
}

int
fsy_config_restart_keys(const fsy_config_t *o, const fsy_config_t *n,
    char *out, size_t len)
{
	struct {
		const char *name;
		int changed;
	} k[] = {
		{"[daemon] role", o->role != n->role},
		{"[daemon] db", strcmp(o->db, n->db) != 0},
		{"[daemon] datadir", strcmp(o->datadir, n->datadir) != 0},
		{"[daemon] control", strcmp(o->control, n->control) != 0},
		{"listen", strcmp(o->listen, n->listen) != 0},
		{"contexts", o->contexts != n->contexts},
		{"hub", strcmp(o->hub, n->hub) != 0},
		{"server_name", strcmp(o->server_name, n->server_name) != 0},
		{"device_id", strcmp(o->device_id, n->device_id) != 0},
		{"device_key", strcmp(o->device_key, n->device_key) != 0},
		{"insecure", o->insecure != n->insecure},
	};
	size_t used = 0;
	int count = 0;

	if (len)
		out[0] = '\0';
	for (size_t i = 0; i < sizeof(k) / sizeof(k[0]); i++) {
		int w;
		if (!k[i].changed)
			continue;
		count++;
		if (used >= len)
			continue;
		w = snprintf(out + used, len - used, "%s%s", used ? ", " : "",
		    k[i].name);
		used += w > 0 ? (size_t)w : 0;
	}
	return count;
}
