/* main.c — fieldsyncd's command line (see daemon.h). */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "daemon.h"

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: fieldsyncd --config FILE [--check-config]\n"
	    "       fieldsyncd --help | --version\n"
	    "\n"
	    "The fieldsync daemon: the head-office hub or a field laptop's\n"
	    "agent, as [daemon] role in FILE says (docs/CONFIG.md).\n"
	    "\n"
	    "  -c, --config FILE   the configuration file (INI)\n"
	    "      --check-config  check FILE, its TLS files and device key,\n"
	    "                      then exit (0: fine, 2: not)\n"
	    "  -h, --help          this help\n"
	    "  -V, --version       the version\n"
	    "\n"
	    "Signals: SIGTERM/SIGINT stop cleanly (exit 0), SIGHUP reloads FILE.\n"
	    "Exit codes: 0 stopped cleanly, 1 failed, 2 bad configuration or "
	    "usage.\n");
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"config", required_argument, NULL, 'c'},
		{"check-config", no_argument, NULL, 'k'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0},
	};
	const char *config = NULL;
	int check = 0, c;

	while ((c = getopt_long(argc, argv, "c:hV", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			config = optarg;
			break;
		case 'k':
			check = 1;
			break;
		case 'h':
			usage(stdout);
			return FSY_EXIT_OK;
		case 'V':
			printf("fieldsyncd %s\n", FSY_VERSION_STRING);
			return FSY_EXIT_OK;
		default:
			usage(stderr);
			return FSY_EXIT_CONFIG;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "fieldsyncd: unexpected argument '%s'\n",
		    argv[optind]);
		usage(stderr);
		return FSY_EXIT_CONFIG;
	}
	if (config == NULL) {
		fprintf(stderr, "fieldsyncd: --config FILE is required\n");
		usage(stderr);
		return FSY_EXIT_CONFIG;
	}
	return check ? fsy_daemon_check_config(config) : fsy_daemon_main(config);
}
