/*
 * fuzz_config.c — libFuzzer harness for fieldsyncd's configuration parser
 * (daemon/config.h, fsy_config_load).
 *
 * Every input is written to a file and loaded. Must hold: the answer is
 * FSY_OK or FSY_ECONFIG (FSY_EIO only if the file cannot be read, which
 * does not happen here); ECONFIG comes with "FILE:LINE: message", the line
 * within the file, or "FILE: message" for what is not on one line (a
 * missing key); a configuration that loads has a role, its strings are
 * terminated, loading it again gives the same result, and it needs no
 * restart compared with itself. Seeds: tests/fuzz/corpus/config/ (the
 * shipped examples and small variants).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
die(const char *what, const char *detail)
{
	fprintf(stderr, "fuzz_config: %s: %s\n", what, detail);
	abort();
}

static int
terminated(const char *s, size_t n)
{
	return memchr(s, '\0', n) != NULL;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char path[] = "fz_config.ini";
	static fsy_config_t c, again;
	char err[1024], err2[1024], keys[512];
	size_t lines = 1;
	FILE *f;
	int rc, rc2;

	if ((f = fopen(path, "wb")) == NULL || fwrite(data, 1, size, f) != size ||
	    fclose(f) != 0)
		die("cannot write", path);
	for (size_t i = 0; i < size; i++)
		lines += data[i] == '\n';
	err[0] = '\0';
	rc = fsy_config_load(path, &c, err, sizeof(err));
	if (rc == FSY_ECONFIG) {
		char *end, *p = err + strlen(path) + 1;
		long line;
		if (strncmp(err, path, strlen(path)) != 0 || err[strlen(path)] != ':')
			die("message without FILE:", err);
		if (*p != ' ') { /* FILE:LINE: message (FILE: message: no line) */
			line = strtol(p, &end, 10);
			if (end == p || *end != ':' || line <= 0 ||
			    (size_t)line > lines)
				die("message without a line within the file", err);
			p = end + 1;
		}
		if (strlen(p) < 3)
			die("message without text", err);
	} else if (rc == FSY_OK) {
		if (c.role != FSY_ROLE_HUB && c.role != FSY_ROLE_AGENT)
			die("loaded without a role", path);
		if (!terminated(c.db, sizeof(c.db)) ||
		    !terminated(c.listen, sizeof(c.listen)) ||
		    !terminated(c.hub, sizeof(c.hub)) ||
		    !terminated(c.device_id, sizeof(c.device_id)) ||
		    !terminated(c.server_name, sizeof(c.server_name)))
			die("an unterminated string", path);
		if (fsy_config_restart_keys(&c, &c, keys, sizeof(keys)) != 0)
			die("a configuration differs from itself", keys);
	} else {
		die("unexpected code", fsy_errname(rc));
	}
	rc2 = fsy_config_load(path, &again, err2, sizeof(err2));
	if (rc2 != rc || (rc == FSY_ECONFIG && strcmp(err, err2) != 0))
		die("loading twice differs", err2);
	if (rc == FSY_OK && memcmp(&c, &again, sizeof(c)) != 0)
		die("loading twice gives another configuration", path);
	return 0;
}
