/*
 * daemon_int.h — what the parts of fieldsyncd share (not public).
 *
 * Threads. The libuv loop thread owns the store and every fsy_* state
 * machine. nng runs its callbacks (aio completions, pipe notifications)
 * on its own threads; they never touch the store: they hand an event to
 * the loop with fsy__post() (a mutex-protected FIFO and a uv_async wake-up)
 * and the loop runs it. Events are intrusive: the owner embeds an fsy_ev_t
 * and gets back to itself with fsy__container_of.
 *
 * Shutdown (fsy__daemon_stop, on SIGTERM/SIGINT, between two events so no
 * transaction is open):
 *   1. every module closes its nng sockets and stops its aios (their
 *      callbacks have run when this returns; what they posted is queued);
 *   2. the queue is closed and drained: each event runs with cancelled = 1
 *      and only releases what it carries; a post after this point runs
 *      the event cancelled at once, on the posting thread;
 *   3. every module frees its aios and closes its uv handles; memory that
 *      holds a handle is freed in the close callback;
 *   4. uv_run returns when nothing is left, then the store is closed and
 *      uv_loop_close() must return 0.
 * A thread watches the stop from its start: if it has not finished within
 * FSY_STOP_GRACE_MS (a close in a library that never returns), the thread
 * logs the step it is stuck at and ends the process. Nothing is lost:
 * every transaction was committed (the write-ahead log is replayed at the
 * next open), and the lock goes with the process.
 */
#ifndef FSY_DAEMON_INT_H
#define FSY_DAEMON_INT_H

#include <stddef.h>
#include <stdint.h>

#include <nng/nng.h>
#include <nng/supplemental/tls/tls.h>
#include <jansson.h>
#include <uv.h>

#include "config.h"
#include "log.h"
#include "store.h"

#define fsy__container_of(p, type, member) \
	((type *)(void *)((char *)(p) - offsetof(type, member)))

typedef struct fsy_ev fsy_ev_t;
struct fsy_ev {
	fsy_ev_t *next;                      /* queue link */
	void (*run)(fsy_ev_t *ev, int cancelled); /* on the loop (see above) */
};

typedef struct fsy__hubnet fsy__hubnet_t;
typedef struct fsy__agentnet fsy__agentnet_t;
typedef struct fsy__ctl fsy__ctl_t;

typedef struct fsy_daemon {
	uv_loop_t loop;
	fsy_config_t cfg;          /* the running configuration */
	fsy_log_t log;
	fsy_store_t *st;           /* owned by the loop thread */
	int lock_fd;               /* flock'ed "<db>.lock", -1: none */
	uv_signal_t sig_term, sig_int, sig_hup;
	uv_async_t wake;           /* nng threads -> loop */
	uv_timer_t idle_timer;     /* once idle: checkpoint, memory back */
	uv_mutex_t mu;             /* guards head, tail, q_closed */
	fsy_ev_t *head, *tail;     /* events waiting for the loop */
	int q_closed;              /* 1: posts run cancelled at once */
	int handles;               /* 1 once the handles above are initialised */
	int stopping;              /* 1 once fsy__daemon_stop ran */
	int exit_code;             /* what main returns */
	/* the stop's deadline (daemon.c, stop_watch): a thread that ends the
	 * process if the orderly stop has not finished in FSY_STOP_GRACE_MS */
	uv_mutex_t stop_mu;        /* guards stop_step, stop_done */
	uv_cond_t stop_cv;         /* signalled when the stop is done */
	uv_thread_t stop_thread;
	int stop_watch;            /* 1: stop_thread runs */
	int stop_done;             /* 1: nothing left to wait for */
	const char *stop_step;     /* what the stop is doing now */
	fsy__hubnet_t *hub;        /* role hub */
	fsy__agentnet_t *agent;    /* role agent */
	fsy__ctl_t *ctl;           /* the CLI socket */
} fsy_daemon_t;

/* Hands ev to the loop; callable from any thread (see above). */
void fsy__post(fsy_daemon_t *d, fsy_ev_t *ev);

/* Stops the daemon (see above); the loop then runs dry. exit_code is
 * kept. Idempotent. Loop thread only. */
void fsy__daemon_stop(fsy_daemon_t *d);

/*
 * Says that a piece of work (a sync round, a request from a laptop, a
 * command) has just ended. A daemon that then stays idle for FSY_IDLE_MS
 * (no round running, no other request or command) checkpoints its store
 * (fsy_store_checkpoint: the write-ahead log goes into the database file
 * while no one waits for it), and an agent daemon gives memory back:
 * SQLite's page cache and the free pages of the C library's heap (the
 * hub's page cache serves every laptop and stays). Each call restarts
 * that wait, so a burst of work is not slowed down. Loop thread only.
 */
void fsy__daemon_idle(fsy_daemon_t *d);

/* Tells systemd (when NOTIFY_SOCKET is set) a state line such as
 * "READY=1"; a no-op without systemd support. */
void fsy__notify(const char *state);

/* Sets common options of a socket that carries fieldsync frames: receive
 * size limit FSY_MAX_FRAME. Returns an nng error code. */
int fsy__sock_setup(nng_socket s);

/* ---- hub (hubnet.c) ------------------------------------------------------ */

/* Starts listening on cfg.listen with the server TLS config (NULL: plain
 * tcp). Returns FSY_OK or an FSY_E* code, with err set. */
int fsy__hubnet_start(fsy_daemon_t *d, nng_tls_config *tls, char *err,
    size_t errlen);
/* Applies a reloaded config (limits; new TLS files: the listener is
 * re-created, which drops open connections). */
void fsy__hubnet_reload(fsy_daemon_t *d, const fsy_config_t *nc);
/* Shutdown steps 1 and 3. */
void fsy__hubnet_close(fsy_daemon_t *d);
void fsy__hubnet_free(fsy_daemon_t *d);

/* ---- agent (agentnet.c) -------------------------------------------------- */

/* Reads the device key, builds the client TLS config and schedules the
 * first round at once. Returns FSY_OK or an FSY_E* code, with err set. */
int fsy__agentnet_start(fsy_daemon_t *d, char *err, size_t errlen);
/* Applies a reloaded config (intervals, backoff, limits, TLS files). */
void fsy__agentnet_reload(fsy_daemon_t *d, const fsy_config_t *nc);
void fsy__agentnet_close(fsy_daemon_t *d);
void fsy__agentnet_free(fsy_daemon_t *d);
/* 1 while a round is connecting or running, else 0 (also without an
 * agent). */
int fsy__agentnet_busy(const fsy_daemon_t *d);

/* The cmd context callbacks of the agent (arg: d->agent). */
void fsy__agentnet_sync_now(void *arg);
void fsy__agentnet_sync_state(void *arg, json_t *obj);
int fsy__agentnet_forward(void *arg, const char *req, size_t len,
    char **reply);

/* ---- control socket (ctl.c) ---------------------------------------------- */

/* Listens on cfg.control (mode 0600). Returns FSY_OK or an FSY_E* code. */
int fsy__ctl_start(fsy_daemon_t *d, char *err, size_t errlen);
void fsy__ctl_close(fsy_daemon_t *d);
void fsy__ctl_free(fsy_daemon_t *d);

/* ---- a REP socket served by contexts (rep.c) ------------------------------ */

/*
 * Handles one request on the loop thread. Owns req. Returns the reply to
 * send (may be req itself, refilled), or NULL to send none (the request is
 * dropped; the context goes back to receiving).
 */
typedef nng_msg *(*fsy__rep_fn)(void *arg, nng_msg *req);

typedef struct fsy__rep_slot fsy__rep_slot_t;

typedef struct fsy__rep {
	fsy_daemon_t *d;
	nng_socket sock;           /* not owned */
	fsy__rep_slot_t *slots;
	uint32_t nslots;
	fsy__rep_fn fn;
	void *arg;
} fsy__rep_t;

/* Opens n contexts with their aios on sock and starts receiving. Returns
 * an nng error code; on failure everything is released. */
int fsy__rep_start(fsy__rep_t *r, fsy_daemon_t *d, nng_socket sock,
    uint32_t n, fsy__rep_fn fn, void *arg);
/* Waits for every callback after the socket was closed (step 1). */
void fsy__rep_stop(fsy__rep_t *r);
/* Frees the contexts and aios (step 3). */
void fsy__rep_fini(fsy__rep_t *r);

/* Encodes an ERROR frame into a fresh nng message; NULL on failure. */
nng_msg *fsy__error_msg(int code, const char *message, uint32_t retry_ms);

#endif /* FSY_DAEMON_INT_H */
