/*
 * daemon.h — fieldsyncd: one binary, hub or agent by its configuration.
 *
 * The daemon owns a libuv loop with the store, nng sockets for sync (hub:
 * REP listening; agent: REQ dialling) and the CLI's control socket, and
 * stops cleanly on SIGTERM/SIGINT (SIGHUP reloads the configuration).
 * docs/CONFIG.md describes the configuration, docs/SECURITY.md the TLS and
 * device authentication it sets up.
 */
#ifndef FSY_DAEMON_H
#define FSY_DAEMON_H

/* Process exit codes of fsy_daemon_main / fsy_daemon_check_config. */
#define FSY_EXIT_OK 0      /* stopped by a signal, cleanly */
#define FSY_EXIT_FAIL 1    /* could not start, or failed while running */
#define FSY_EXIT_CONFIG 2  /* bad configuration (or bad usage) */

/*
 * Runs the daemon with the config file at path until SIGTERM or SIGINT.
 * Errors before the log is set up go to stderr. Returns a process exit
 * code (above).
 */
int fsy_daemon_main(const char *path);

/*
 * Checks the config file at path as the daemon would at start, without
 * opening the database or the network: the file itself, the TLS files it
 * names and the device key. Prints "PATH: OK (...)" to stdout, or the
 * problem to stderr. Returns FSY_EXIT_OK or FSY_EXIT_CONFIG.
 */
int fsy_daemon_check_config(const char *path);

#endif /* FSY_DAEMON_H */
