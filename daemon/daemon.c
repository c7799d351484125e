/*
 * daemon.c — fieldsyncd's life cycle: configuration, lock file, store,
 * the libuv loop with its signals and the nng -> loop event queue, start
 * and orderly stop of the hub, agent and control modules (daemon_int.h).
 */
#include <errno.h>
#include <fcntl.h>
#if defined(FSY_HAVE_MALLOC_TRIM) || defined(FSY_HAVE_M_ARENA_MAX)
#include <malloc.h>
#endif
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#ifdef FSY_HAVE_SYSTEMD
#include <systemd/sd-daemon.h>
#endif

#include "daemon.h"
#include "daemon_int.h"
#include "proto.h"
#include "tlscfg.h"

#define EVENTS_PER_WAKEUP 64

/* How long a daemon stays idle before it checkpoints and (an agent) gives
 * memory back (see fsy__daemon_idle): long enough for a burst of CLI
 * commands or requests to share the page cache, short enough that an idle
 * laptop is small within a second. */
#define FSY_IDLE_MS 1000
/* head office's feed pruning when idle: entries per transaction, and the
 * pause before the next batch while more are listed */
#define FSY_PRUNE_BATCH 20000
#define FSY_PRUNE_AGAIN_MS 50

/* The agent's malloc arenas (glibc's default: up to 8 per core): nng's
 * and libuv's threads would get arenas of their own, each keeping the
 * free memory of a round apart from the others. */
#define FSY_AGENT_ARENAS 2

/* How long an orderly stop may take before the process ends anyway (see
 * daemon_int.h). A stop takes milliseconds; this is far below systemd's
 * TimeoutStopSec (90 s by default), after which it would kill us. */
#define FSY_STOP_GRACE_MS 10000

/* ---- the event queue ----------------------------------------------------- */

void
fsy__post(fsy_daemon_t *d, fsy_ev_t *ev)
{
	int closed;

	ev->next = NULL;
	uv_mutex_lock(&d->mu);
	closed = d->q_closed;
	if (!closed) {
		if (d->tail)
			d->tail->next = ev;
		else
			d->head = ev;
		d->tail = ev;
		/* under the lock: the loop closes the handle only after
		 * setting q_closed under it */
		uv_async_send(&d->wake);
	}
	uv_mutex_unlock(&d->mu);
	if (closed)
		ev->run(ev, 1);
}

static fsy_ev_t *
pop(fsy_daemon_t *d)
{
	fsy_ev_t *ev;

	uv_mutex_lock(&d->mu);
	if ((ev = d->head) != NULL) {
		d->head = ev->next;
		if (d->head == NULL)
			d->tail = NULL;
	}
	uv_mutex_unlock(&d->mu);
	return ev;
}

static void
wake_cb(uv_async_t *h)
{
	fsy_daemon_t *d = h->data;

	/* bounded: timers and signals get their turn between batches */
	for (int i = 0; i < EVENTS_PER_WAKEUP; i++) {
		fsy_ev_t *ev;
		if (d->stopping || (ev = pop(d)) == NULL)
			return;
		ev->run(ev, 0);
	}
	uv_async_send(&d->wake);
}

/* ---- when idle: the checkpoint, and memory given back --------------------- */

static void
idle_cb(uv_timer_t *t)
{
	fsy_daemon_t *d = t->data;
	int rc;

	/* a round started since: its end arms the timer again */
	if (d->stopping || d->st == NULL || fsy__agentnet_busy(d))
		return;
	/* head office: feed entries of versions replaced since (schema
	 * 0006), a bounded batch at a time; another idle moment takes the
	 * rest, so a laptop's request waits for one batch at most */
	if (d->cfg.role == FSY_ROLE_HUB) {
		int64_t left = 0;
		if ((rc = fsy_store_prune(d->st, FSY_PRUNE_BATCH, &left)) != FSY_OK)
			fsy_log(&d->log, FSY_LOG_WARN, "prune: %s: %s",
			    fsy_strerror(rc), fsy_store_errmsg(d->st));
		else if (left > 0)
			uv_timer_start(&d->idle_timer, idle_cb, FSY_PRUNE_AGAIN_MS, 0);
	}
	/* the log written since the last idle moment goes into the database
	 * file now, not in the middle of someone's sync (store.h) */
	if ((rc = fsy_store_checkpoint(d->st)) != FSY_OK)
		fsy_log(&d->log, FSY_LOG_WARN, "checkpoint: %s: %s",
		    fsy_strerror(rc), fsy_store_errmsg(d->st));
	if (d->cfg.role != FSY_ROLE_AGENT)
		return; /* head office keeps its page cache for the next laptop */
	/* between two events no statement is stepping: every cached page
	 * may go (they are read again from the file when needed) */
	sqlite3_db_release_memory(fsy_store_db(d->st));
#ifdef FSY_HAVE_MALLOC_TRIM
	malloc_trim(0);
#endif
}

void
fsy__daemon_idle(fsy_daemon_t *d)
{
	if (!d->handles || d->stopping)
		return;
	uv_timer_start(&d->idle_timer, idle_cb, FSY_IDLE_MS, 0);
}

/* ---- helpers ------------------------------------------------------------- */

void
fsy__notify(const char *state)
{
#ifdef FSY_HAVE_SYSTEMD
	sd_notify(0, state);
#else
	(void)state;
#endif
}

int
fsy__sock_setup(nng_socket s)
{
	return nng_socket_set_size(s, NNG_OPT_RECVMAXSZ, FSY_MAX_FRAME);
}

static const char *
role_name(fsy_role_t r)
{
	return r == FSY_ROLE_HUB ? "hub" : "agent";
}

/* Takes "<db>.lock" (flock) so that two daemons never share a database. */
static int
lock_db(fsy_daemon_t *d, char *err, size_t errlen)
{
	char path[FSY_CFG_PATH + 8], pid[32] = "";
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s.lock", d->cfg.db);
	if ((fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) < 0) {
		snprintf(err, errlen, "lock file %s: %s", path, strerror(errno));
		return fsy_err_from_errno(errno);
	}
	if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		int e = errno;
		if (e == EWOULDBLOCK) {
			n = read(fd, pid, sizeof(pid) - 1);
			pid[n > 0 ? n : 0] = '\0';
			pid[strcspn(pid, "\n")] = '\0';
			snprintf(err, errlen, "another fieldsyncd (pid %s) is "
			    "running on %s (it holds %s)", pid[0] ? pid : "?",
			    d->cfg.db, path);
		} else {
			snprintf(err, errlen, "lock file %s: %s", path, strerror(e));
		}
		close(fd);
		return e == EWOULDBLOCK ? FSY_ELOCKED : fsy_err_from_errno(e);
	}
	n = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) != 0 || write(fd, pid, (size_t)n) != n)
		fsy_log(&d->log, FSY_LOG_WARN, "lock file %s: cannot write the "
		    "pid: %s", path, strerror(errno));
	d->lock_fd = fd;
	return FSY_OK;
}

/* ---- stop and reload ----------------------------------------------------- */

/* Names what the stop does now, for the deadline's message. */
static void
stop_step(fsy_daemon_t *d, const char *what)
{
	uv_mutex_lock(&d->stop_mu);
	d->stop_step = what;
	uv_mutex_unlock(&d->stop_mu);
}

/* The stop's own thread: waits for stop_done, at most FSY_STOP_GRACE_MS,
 * then ends the process (daemon_int.h says why nothing is lost). */
static void
stop_watch(void *arg)
{
	fsy_daemon_t *d = arg;
	uint64_t now, end = uv_hrtime() + FSY_STOP_GRACE_MS * 1000000ULL;

	uv_mutex_lock(&d->stop_mu);
	while (!d->stop_done && (now = uv_hrtime()) < end)
		(void)uv_cond_timedwait(&d->stop_cv, &d->stop_mu, end - now);
	if (d->stop_done) {
		uv_mutex_unlock(&d->stop_mu);
		return;
	}
	fsy_log(&d->log, FSY_LOG_WARN, "stop: still %s after %d s; the "
	    "process ends now (every committed change is in the database)",
	    d->stop_step, FSY_STOP_GRACE_MS / 1000);
	fflush(NULL);
	_exit(d->exit_code);
}

/* The stop is over: the deadline's thread ends. */
static void
stop_finish(fsy_daemon_t *d)
{
	uv_mutex_lock(&d->stop_mu);
	d->stop_done = 1;
	uv_cond_signal(&d->stop_cv);
	uv_mutex_unlock(&d->stop_mu);
	if (d->stop_watch) {
		uv_thread_join(&d->stop_thread);
		d->stop_watch = 0;
	}
}

void
fsy__daemon_stop(fsy_daemon_t *d)
{
	fsy_ev_t *ev;

	if (d->stopping)
		return;
	d->stopping = 1;
	fsy__notify("STOPPING=1");
	stop_step(d, "starting to stop");
	if (uv_thread_create(&d->stop_thread, stop_watch, d) == 0)
		d->stop_watch = 1;
	else
		fsy_log(&d->log, FSY_LOG_WARN, "stop: no thread to bound the "
		    "stop's time; it goes on without a deadline");
	/* for tests/it_daemon.sh: a stop that would never end by itself */
	if (getenv("FSY_TEST_STOP_HANG") != NULL) {
		stop_step(d, "hanging as FSY_TEST_STOP_HANG asks");
		for (;;)
			pause();
	}
	/* 1: no nng callback runs any more after these */
	stop_step(d, "closing the control socket");
	fsy__ctl_close(d);
	stop_step(d, "closing the sync socket");
	fsy__hubnet_close(d);
	fsy__agentnet_close(d);
	/* 2: release what is still queued */
	stop_step(d, "releasing the queued events");
	uv_mutex_lock(&d->mu);
	d->q_closed = 1;
	ev = d->head;
	d->head = d->tail = NULL;
	uv_mutex_unlock(&d->mu);
	while (ev) {
		fsy_ev_t *next = ev->next;
		ev->run(ev, 1);
		ev = next;
	}
	/* 3: free, close the handles */
	stop_step(d, "freeing the sockets' state");
	fsy__ctl_free(d);
	fsy__hubnet_free(d);
	fsy__agentnet_free(d);
	uv_close((uv_handle_t *)&d->wake, NULL);
	uv_close((uv_handle_t *)&d->idle_timer, NULL);
	uv_close((uv_handle_t *)&d->sig_term, NULL);
	uv_close((uv_handle_t *)&d->sig_int, NULL);
	uv_close((uv_handle_t *)&d->sig_hup, NULL);
	/* 4: the loop ends once they are closed and a connection attempt in
	 * progress (agentnet.c, on the thread pool) has returned */
	stop_step(d, "waiting for the last handles and a connection attempt");
}

/* Keeps the running value of every key that needs a restart. */
static void
keep_restart_keys(fsy_config_t *nc, const fsy_config_t *old)
{
	nc->role = old->role;
	memcpy(nc->db, old->db, sizeof(nc->db));
	memcpy(nc->datadir, old->datadir, sizeof(nc->datadir));
	memcpy(nc->control, old->control, sizeof(nc->control));
	memcpy(nc->listen, old->listen, sizeof(nc->listen));
	nc->contexts = old->contexts;
	memcpy(nc->hub, old->hub, sizeof(nc->hub));
	memcpy(nc->server_name, old->server_name, sizeof(nc->server_name));
	memcpy(nc->device_id, old->device_id, sizeof(nc->device_id));
	memcpy(nc->device_key, old->device_key, sizeof(nc->device_key));
	nc->insecure = old->insecure;
}

static void
reload(fsy_daemon_t *d)
{
	fsy_config_t *nc = malloc(sizeof(*nc));
	char err[1024], keys[512];

	fsy__notify("RELOADING=1");
	if (nc == NULL) {
		fsy_log(&d->log, FSY_LOG_ERROR, "reload: out of memory");
		goto out;
	}
	if (fsy_config_load(d->cfg.file, nc, err, sizeof(err)) != FSY_OK) {
		fsy_log(&d->log, FSY_LOG_ERROR, "reload: %s; the running "
		    "configuration stays", err);
		goto out;
	}
	if (fsy_config_restart_keys(&d->cfg, nc, keys, sizeof(keys)) > 0)
		fsy_log(&d->log, FSY_LOG_WARN, "reload: %s changed: restart "
		    "fieldsyncd to apply (the rest is applied now)", keys);
	keep_restart_keys(nc, &d->cfg);
	d->log.level = nc->log_level;
	d->log.target = nc->log_target;
	fsy__hubnet_reload(d, nc);
	fsy__agentnet_reload(d, nc);
	d->cfg = *nc;
	fsy_log(&d->log, FSY_LOG_INFO, "reload: configuration %s re-read "
	    "(log level %s)", d->cfg.file,
	    fsy_config_log_level_name(d->log.level));
out:
	free(nc);
	fsy__notify("READY=1");
}

static void
signal_cb(uv_signal_t *h, int signum)
{
	fsy_daemon_t *d = h->data;

	if (d->stopping)
		return;
	if (signum == SIGHUP) {
		fsy_log(&d->log, FSY_LOG_INFO, "SIGHUP: reloading %s", d->cfg.file);
		reload(d);
		return;
	}
	fsy_log(&d->log, FSY_LOG_INFO, "%s: stopping",
	    signum == SIGTERM ? "SIGTERM" : "SIGINT");
	fsy__daemon_stop(d);
}

/* ---- start --------------------------------------------------------------- */

static int
init_loop(fsy_daemon_t *d)
{
	int rv;

	if ((rv = uv_loop_init(&d->loop)) != 0)
		return rv;
	if ((rv = uv_mutex_init(&d->mu)) != 0) {
		uv_loop_close(&d->loop);
		return rv;
	}
	uv_async_init(&d->loop, &d->wake, wake_cb);
	uv_timer_init(&d->loop, &d->idle_timer);
	uv_signal_init(&d->loop, &d->sig_term);
	uv_signal_init(&d->loop, &d->sig_int);
	uv_signal_init(&d->loop, &d->sig_hup);
	d->wake.data = d->idle_timer.data = d;
	d->sig_term.data = d->sig_int.data = d->sig_hup.data = d;
	d->handles = 1;
	if ((rv = uv_signal_start(&d->sig_term, signal_cb, SIGTERM)) == 0 &&
	    (rv = uv_signal_start(&d->sig_int, signal_cb, SIGINT)) == 0)
		rv = uv_signal_start(&d->sig_hup, signal_cb, SIGHUP);
	return rv;
}

static int
start(fsy_daemon_t *d, char *err, size_t errlen)
{
	const fsy_config_t *c = &d->cfg;
	nng_tls_config *tls = NULL;
	int rc, rv;

	if ((rv = init_loop(d)) != 0) {
		snprintf(err, errlen, "event loop: %s", uv_strerror(rv));
		return FSY_EIO;
	}
	if (c->role == FSY_ROLE_HUB) {
		if (strncmp(c->listen, "tls+", 4) == 0 &&
		    (rc = fsy_tls_server(c, &tls, err, errlen)) != FSY_OK)
			return rc;
		rc = fsy__hubnet_start(d, tls, err, errlen);
		if (tls)
			nng_tls_config_free(tls); /* the hub holds its own */
		if (rc != FSY_OK)
			return rc;
	} else if ((rc = fsy__agentnet_start(d, err, errlen)) != FSY_OK) {
		return rc;
	}
	return fsy__ctl_start(d, err, errlen);
}

int
fsy_daemon_main(const char *path)
{
	fsy_daemon_t *d = calloc(1, sizeof(*d));
	char err[1024] = "";
	int rc, code = FSY_EXIT_FAIL;

	if (d == NULL) {
		fprintf(stderr, "fieldsyncd: out of memory\n");
		return FSY_EXIT_FAIL;
	}
	if (uv_mutex_init(&d->stop_mu) != 0) {
		fprintf(stderr, "fieldsyncd: cannot create a mutex\n");
		free(d);
		return FSY_EXIT_FAIL;
	}
	if (uv_cond_init(&d->stop_cv) != 0) {
		fprintf(stderr, "fieldsyncd: cannot create a condition variable\n");
		uv_mutex_destroy(&d->stop_mu);
		free(d);
		return FSY_EXIT_FAIL;
	}
	d->lock_fd = -1;
	if ((rc = fsy_config_load(path, &d->cfg, err, sizeof(err))) != FSY_OK) {
		fprintf(stderr, "fieldsyncd: %s\n", err);
		code = FSY_EXIT_CONFIG;
		goto out;
	}
	d->log.level = d->cfg.log_level;
	d->log.target = d->cfg.log_target;
#ifdef FSY_HAVE_M_ARENA_MAX
	/* before any nng or libuv thread exists; the hub keeps glibc's
	 * default, its threads serve many laptops at once */
	if (d->cfg.role == FSY_ROLE_AGENT)
		mallopt(M_ARENA_MAX, FSY_AGENT_ARENAS);
#endif
	/* the replica, its lock and the control socket are the user's alone */
	umask(077);
	signal(SIGPIPE, SIG_IGN);
	fsy_log(&d->log, FSY_LOG_INFO, "fieldsyncd %s starting: role %s, "
	    "database %s", FSY_VERSION_STRING, role_name(d->cfg.role), d->cfg.db);
	if (d->cfg.insecure && strncmp(d->cfg.role == FSY_ROLE_HUB
	    ? d->cfg.listen : d->cfg.hub, "tls+", 4) != 0)
		fsy_log(&d->log, FSY_LOG_WARN, "insecure = true: sync traffic is "
		    "NOT encrypted and the %s is NOT authenticated; for tests "
		    "only", d->cfg.role == FSY_ROLE_HUB ? "network" : "hub");

	if ((rc = lock_db(d, err, sizeof(err))) != FSY_OK)
		goto fail;
	if ((rc = fsy_store_open(d->cfg.db, d->cfg.role,
	    d->cfg.role == FSY_ROLE_AGENT ? d->cfg.device_id : NULL, &d->st,
	    err, sizeof(err))) != FSY_OK)
		goto fail;
	if ((rc = start(d, err, sizeof(err))) != FSY_OK)
		goto fail;

	fsy__notify("READY=1");
	fsy_log(&d->log, FSY_LOG_INFO, "running (pid %ld)", (long)getpid());
	d->exit_code = FSY_EXIT_OK;
	uv_run(&d->loop, UV_RUN_DEFAULT);
	code = d->exit_code;
	goto out;
fail:
	fsy_log(&d->log, FSY_LOG_ERROR, "cannot start: %s", err[0] ? err
	    : fsy_strerror(rc));
	code = d->exit_code = FSY_EXIT_FAIL;
	if (d->handles) {
		fsy__daemon_stop(d);
		uv_run(&d->loop, UV_RUN_DEFAULT);
	}
out:
	stop_step(d, "closing the database");
	fsy_store_close(d->st);
	d->st = NULL;
	if (d->handles) {
		stop_step(d, "closing the event loop");
		if ((rc = uv_loop_close(&d->loop)) != 0) {
			fsy_log(&d->log, FSY_LOG_ERROR, "event loop not closed "
			    "cleanly: %s", uv_strerror(rc));
			code = FSY_EXIT_FAIL;
		}
		uv_mutex_destroy(&d->mu);
	}
	if (d->lock_fd >= 0)
		close(d->lock_fd);
	stop_finish(d);
	uv_cond_destroy(&d->stop_cv);
	uv_mutex_destroy(&d->stop_mu);
	if (code != FSY_EXIT_CONFIG)
		fsy_log(&d->log, FSY_LOG_INFO, "stopped (exit %d)", code);
	free(d);
	return code;
}

int
fsy_daemon_check_config(const char *path)
{
	fsy_config_t *c = malloc(sizeof(*c));
	nng_tls_config *tls = NULL;
	uint8_t sk[64];
	char err[1024];
	int rc = FSY_ENOMEM;

	if (c == NULL)
		goto out;
	if ((rc = fsy_config_load(path, c, err, sizeof(err))) != FSY_OK)
		goto out;
	if (c->role == FSY_ROLE_HUB) {
		if (strncmp(c->listen, "tls+", 4) == 0)
			rc = fsy_tls_server(c, &tls, err, sizeof(err));
	} else {
		rc = fsy_device_key_load(c->device_key, sk, err, sizeof(err));
		sodium_memzero(sk, sizeof(sk));
		if (rc == FSY_OK && strncmp(c->hub, "tls+", 4) == 0)
			rc = fsy_tls_client(c, &tls, err, sizeof(err));
	}
	if (tls)
		nng_tls_config_free(tls);
	if (rc == FSY_OK)
		printf("%s: OK (role %s, database %s, %s %s, control %s)\n", path,
		    role_name(c->role), c->db,
		    c->role == FSY_ROLE_HUB ? "listen" : "hub",
		    c->role == FSY_ROLE_HUB ? c->listen : c->hub, c->control);
out:
	if (rc == FSY_ENOMEM)
		snprintf(err, sizeof(err), "out of memory");
	if (rc != FSY_OK)
		fprintf(stderr, "fieldsyncd: %s\n", err);
	free(c);
	return rc == FSY_OK ? FSY_EXIT_OK : FSY_EXIT_CONFIG;
}
