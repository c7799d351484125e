/*
 * tool_main.c — `fieldsync`: parses the global options and the command,
 * sends the request to the daemon, prints the reply, exits with a code
 * that says what happened (tool.h, docs/CLI.md).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fsy_err.h"
#include "tool.h"

/* The exit code for a daemon's error code. */
static int
exit_for(int code)
{
	switch (code) {
	case FSY_EINVAL:
	case FSY_ETOOBIG:
	case FSY_ECSV:
	case FSY_ESURNAME:
	case FSY_ERANGE:
		return FSY_TOOL_EXIT_USAGE;
	case FSY_ENOTFOUND:
		return FSY_TOOL_EXIT_NOTFOUND;
	case FSY_EPERM:
	case FSY_EREADONLY:
	case FSY_ENOTOWNER:
	case FSY_EDISQUALIFIED:
		return FSY_TOOL_EXIT_REFUSED;
	default:
		return FSY_TOOL_EXIT_FAILED;
	}
}

/* Prints a reply; returns the exit code. */
static int
show(const fsy_tool_cmd_t *c, const char *text, int json, const json_t *local)
{
	json_error_t jerr;
	json_t *r = json_loads(text, 0, &jerr), *ok, *data;
	int rc;

	if (r == NULL || !json_is_boolean(ok = json_object_get(r, "ok"))) {
		fprintf(stderr, "fieldsync: the daemon sent a malformed reply\n");
		json_decref(r);
		return FSY_TOOL_EXIT_UNREACHABLE;
	}
	if (json_is_false(ok)) {
		const char *msg = json_string_value(json_object_get(r, "message"));
		int code = (int)json_integer_value(json_object_get(r, "code"));
		fprintf(stderr, "fieldsync: %s\n", msg != NULL ? msg
		    : fsy_strerror(code));
		json_decref(r);
		return exit_for(code);
	}
	data = json_object_get(r, "data");
	if (json && c->print != fsy_tool_print_device_issue) {
		if (json_dumpf(data, stdout, JSON_INDENT(2) | JSON_ENCODE_ANY) != 0)
			rc = FSY_TOOL_EXIT_LOCAL;
		else
			rc = FSY_TOOL_EXIT_OK;
		fputc('\n', stdout);
	} else if (json) {
		/* The key goes to its file; the JSON shows where, not the key. */
		rc = fsy_tool_print_device_issue(c, data, local, NULL);
		if (rc == FSY_TOOL_EXIT_OK) {
			json_object_del(data, "secret_key");
			json_dumpf(data, stdout, JSON_INDENT(2));
			fputc('\n', stdout);
		}
	} else {
		rc = (c->print ? c->print : fsy_tool_print_generic)(c, data, local,
		    stdout);
	}
	if (fflush(stdout) != 0 && rc == FSY_TOOL_EXIT_OK)
		rc = FSY_TOOL_EXIT_LOCAL;
	json_decref(r);
	return rc;
}

static int
usage(const char *msg)
{
	fprintf(stderr, "fieldsync: %s (see fieldsync --help)\n", msg);
	return FSY_TOOL_EXIT_USAGE;
}

int
main(int argc, char **argv)
{
	const char *url = getenv("FIELDSYNC_SOCKET");
	const fsy_tool_cmd_t *c;
	json_t *args = NULL, *local = NULL, *req = NULL;
	char *text = NULL, *reply = NULL, err[512];
	int i = 1, json = 0, timeout = 0, used = 0, help = 0, rc;

	if (url == NULL || *url == '\0')
		url = FSY_TOOL_DEFAULT_SOCKET;
	for (; i < argc && strncmp(argv[i], "-", 1) == 0; i++) {
		const char *a = argv[i];
		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			fsy_tool_help_all(stdout);
			return FSY_TOOL_EXIT_OK;
		} else if (strcmp(a, "--version") == 0) {
			printf("fieldsync %s\n", FSY_VERSION_STRING);
			return FSY_TOOL_EXIT_OK;
		} else if (strcmp(a, "--json") == 0) {
			json = 1;
		} else if (strcmp(a, "--socket") == 0 && i + 1 < argc) {
			url = argv[++i];
		} else if (strncmp(a, "--socket=", 9) == 0) {
			url = a + 9;
		} else if (strcmp(a, "--timeout") == 0 && i + 1 < argc) {
			char *end;
			long t = strtol(argv[++i], &end, 10);
			if (*end != '\0' || t < 1 || t > 86400)
				return usage("--timeout needs seconds, 1 to "
				    "86400");
			timeout = (int)t;
		} else {
			fprintf(stderr, "fieldsync: unknown option %s (see "
			    "fieldsync --help)\n", a);
			return FSY_TOOL_EXIT_USAGE;
		}
	}
	if (i == argc)
		return usage("no command given");
	if (strcmp(argv[i], "help") == 0) {
		if (i + 1 == argc) {
			fsy_tool_help_all(stdout);
			return FSY_TOOL_EXIT_OK;
		}
		c = fsy_tool_find(argc - i - 1, argv + i + 1, &used);
		if (c != NULL && used == argc - i - 1) {
			fsy_tool_help_cmd(c, stdout);
			return FSY_TOOL_EXIT_OK;
		}
		if (fsy_tool_is_group(argv[i + 1])) {
			fsy_tool_help_group(argv[i + 1], stdout);
			return FSY_TOOL_EXIT_OK;
		}
		fprintf(stderr, "fieldsync: no command '%s' (see fieldsync "
		    "--help)\n", argv[i + 1]);
		return FSY_TOOL_EXIT_USAGE;
	}
	c = fsy_tool_find(argc - i, argv + i, &used);
	if (c == NULL) {
		if (fsy_tool_is_group(argv[i])) {
			int asked = i + 1 < argc && (strcmp(argv[i + 1],
			    "--help") == 0 || strcmp(argv[i + 1], "-h") == 0);
			if (!asked && i + 1 < argc)
				fprintf(stderr, "fieldsync: no command '%s %s'\n",
				    argv[i], argv[i + 1]);
			fsy_tool_help_group(argv[i], asked ? stdout : stderr);
			return asked ? FSY_TOOL_EXIT_OK : FSY_TOOL_EXIT_USAGE;
		}
		fprintf(stderr, "fieldsync: unknown command '%s' (see fieldsync "
		    "--help)\n", argv[i]);
		return FSY_TOOL_EXIT_USAGE;
	}
	i += used;
	rc = fsy_tool_build_args(c, argc - i, argv + i, &args, &local, &help);
	if (rc != FSY_TOOL_EXIT_OK)
		return rc;
	if (help) {
		fsy_tool_help_cmd(c, stdout);
		goto out;
	}
	if (c->print == fsy_tool_print_device_issue && (rc = fsy_tool_check_out(
	    json_string_value(json_object_get(local, "out")))) !=
	    FSY_TOOL_EXIT_OK)
		goto out;
	if ((req = json_pack("{s:s,s:O}", "cmd", c->cmd, "args", args)) == NULL ||
	    (text = json_dumps(req, JSON_COMPACT)) == NULL) {
		fprintf(stderr, "fieldsync: out of memory\n");
		rc = FSY_TOOL_EXIT_FAILED;
		goto out;
	}
	if (timeout == 0)
		timeout = c->timeout_s > 0 ? c->timeout_s : FSY_TOOL_TIMEOUT_S;
	rc = fsy_tool_call(url, text, strlen(text), timeout, &reply, err,
	    sizeof(err));
	if (rc != FSY_TOOL_EXIT_OK) {
		fprintf(stderr, "fieldsync: %s\n", err);
		goto out;
	}
	rc = show(c, reply, json, local);
out:
	free(text);
	free(reply);
	json_decref(req);
	json_decref(args);
	json_decref(local);
	return rc;
}
