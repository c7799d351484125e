/*
 * agentnet.c — the laptop's sync client: rounds of fsy_agent_session_*
 * over an nng REQ socket dialling the hub, on a timer, soon after local
 * writes, with exponential backoff while the hub cannot be reached.
 *
 * States (one round at a time; set_state logs each transition):
 *   IDLE     no round; next_timer starts the next one
 *   DIAL     a pool thread connects (blocking nng_dialer_start, so that a
 *            refused connection or a failed TLS handshake is reported as
 *            such); dial_done continues on the loop
 *   ROUND    exactly one send or receive outstanding on the context; its
 *            completion is posted to the loop (ev_run), which steps the
 *            session and sends the next request
 *   STOPPED  shutting down
 * Transitions: IDLE -> DIAL -> ROUND -> IDLE; DIAL -> IDLE on a failed
 * dial; any -> STOPPED. A round ends only when its outstanding operation
 * has reported back: the deadline timer closes the dialer (DIAL) or
 * cancels the aio (ROUND), and the report that follows ends the round as
 * timed out. The connection is closed between rounds: idle, the agent
 * holds no socket open and only next_timer is armed.
 *
 * Everything the session commits is safe to cut at any point (sync.h), so
 * a failed or interrupted round simply resumes with the next one.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nng/nng.h>
#include <nng/protocol/reqrep0/req.h>
#include <sodium.h>

#include "backoff.h"
#include "daemon_int.h"
#include "proto.h"
#include "sync.h"
#include "tlscfg.h"
#include "util.h"

typedef enum {
	AG_IDLE = 0, /* waiting for next_timer */
	AG_DIAL,     /* connecting on a pool thread */
	AG_ROUND,    /* one request or reply outstanding */
	AG_STOPPED   /* shutting down */
} ag_state_t;

static const char *const state_names[] = {"idle", "connecting", "syncing",
    "stopped"};

struct fsy__agentnet {
	fsy_daemon_t *d;
	fsy_agent_session_t sess;   /* holds the device key */
	nng_tls_config *tls;        /* our reference; NULL: plain tcp */
	nng_socket sock;
	int sock_open;
	nng_ctx ctx;
	nng_aio *aio;
	nng_dialer dialer;          /* of the current round */
	int have_dialer;
	ag_state_t state;
	fsy_ev_t ev;                /* posted when the aio completes */
	int sending;                /* the aio carries a request */
	int result;                 /* nng result of the completed operation */
	nng_msg *reply;             /* the reply it received */
	int64_t round_start_ms;
	int64_t deadline_ms;        /* the round ends by then */
	int timed_out;              /* the deadline passed */
	uv_work_t work;             /* the blocking dial */
	int dial_rv;
	int work_busy;
	uv_timer_t next_timer;      /* starts the next round */
	uv_timer_t deadline_timer;  /* ends a round that runs too long */
	int open_timers;            /* timers not yet closed */
	fsy_backoff_t bo;
	int again;                  /* a sync was asked for during a round */
	uint32_t retry_hint_ms;     /* retry_ms of the hub's last ERROR */
	/* what sync_state reports */
	int64_t next_ms;            /* when next_timer fires, 0: not armed */
	int64_t last_ok_ms, last_fail_ms;
	int last_err;
	char last_error[320];
	fsy_agent_stats_t last_stats;
	int64_t last_round_ms;
};

static void round_end(fsy__agentnet_t *an, int rc, const char *msg);

static void
set_state(fsy__agentnet_t *an, ag_state_t s)
{
	if (an->state != s)
		fsy_log(&an->d->log, FSY_LOG_DEBUG, "sync: %s -> %s",
		    state_names[an->state], state_names[s]);
	an->state = s;
}

static void next_cb(uv_timer_t *t);

static void
schedule(fsy__agentnet_t *an, uint64_t delay_ms)
{
	an->next_ms = fsy_now_ms() + (int64_t)delay_ms;
	uv_timer_start(&an->next_timer, next_cb, delay_ms, 0);
}

/* ---- one request on the wire --------------------------------------------- */

/* nng thread: a send or receive completed. */
static void
aio_cb(void *arg)
{
	fsy__agentnet_t *an = arg;
	int rv = nng_aio_result(an->aio);

	if (an->sending) {
		an->sending = 0;
		if (rv == 0) {
			/* the send's timeout applies to the receive again */
			nng_ctx_recv(an->ctx, an->aio);
			return;
		}
		nng_msg_free(nng_aio_get_msg(an->aio));
	}
	an->result = rv;
	an->reply = rv == 0 ? nng_aio_get_msg(an->aio) : NULL;
	fsy__post(an->d, &an->ev);
}

static int
send_frame(fsy__agentnet_t *an, const fsy_buf_t *b)
{
	int64_t left = an->deadline_ms - fsy_now_ms();
	nng_msg *m = NULL;

	if (nng_msg_alloc(&m, 0) != 0 || nng_msg_append(m, b->data, b->len) != 0) {
		if (m)
			nng_msg_free(m);
		return FSY_ENOMEM;
	}
	nng_aio_set_timeout(an->aio, left > 0 ? (nng_duration)left : 1);
	nng_aio_set_msg(an->aio, m);
	an->sending = 1;
	nng_ctx_send(an->ctx, an->aio);
	return FSY_OK;
}

/* loop: the outstanding operation completed. */
static void
ev_run(fsy_ev_t *ev, int cancelled)
{
	fsy__agentnet_t *an = fsy__container_of(ev, fsy__agentnet_t, ev);
	nng_msg *reply = an->reply;
	fsy_buf_t out = {0};
	fsy_msg_t m;
	char msg[320];
	int rc, done = 0;
	size_t len;

	an->reply = NULL;
	if (cancelled || an->state != AG_ROUND) {
		if (reply)
			nng_msg_free(reply);
		return;
	}
	if (an->sess.state == FSY_AS_FAILED) {
		/* a SNAPSHOT applied after its next PULL went failed */
		if (reply)
			nng_msg_free(reply);
		round_end(an, an->sess.err, an->sess.errmsg);
		return;
	}
	if (an->result != 0) {
		int code = an->timed_out || an->result == NNG_ETIMEDOUT
		    ? FSY_ETIMEOUT : fsy_err_from_nng(an->result);
		if (code == FSY_ETIMEOUT)
			snprintf(msg, sizeof(msg), "the round did not finish within "
			    "%u s", an->d->cfg.round_timeout_s);
		else
			snprintf(msg, sizeof(msg), "connection to the hub lost: %s",
			    nng_strerror(an->result));
		round_end(an, code, msg);
		return;
	}
	memset(&m, 0, sizeof(m));
	len = nng_msg_len(reply);
	rc = fsy_msg_decode(nng_msg_body(reply), len, &m);
	nng_msg_free(reply);
	if (rc != FSY_OK) {
		snprintf(msg, sizeof(msg), "malformed reply from the hub: %s",
		    fsy_strerror(rc));
		round_end(an, rc, msg);
		return;
	}
	an->sess.stats.bytes_in += len;
	if (m.type == FSY_MSG_ERROR)
		an->retry_hint_ms = m.u.error.retry_ms;
	rc = fsy_agent_session_step(&an->sess, &m, &out, &done);
	if (rc != FSY_OK)
		round_end(an, rc, an->sess.errmsg[0] ? an->sess.errmsg
		                                     : fsy_strerror(rc));
	else if (done)
		round_end(an, FSY_OK, NULL);
	else if ((rc = send_frame(an, &out)) != FSY_OK)
		round_end(an, rc, "cannot send the next request");
	else if (fsy_agent_session_deferred(&an->sess) &&
	    fsy_agent_session_apply(&an->sess, &m) != FSY_OK)
		/* The PULL is out: its reply (or this cancel) brings ev_run
		 * back, which ends the round with the session's error. */
		nng_aio_cancel(an->aio);
	fsy_msg_free(&m);
	fsy_buf_free(&out);
}

/* ---- a round ------------------------------------------------------------- */

static void
deadline_cb(uv_timer_t *t)
{
	fsy__agentnet_t *an = t->data;

	an->timed_out = 1;
	if (an->state == AG_DIAL && an->have_dialer) {
		nng_dialer_close(an->dialer); /* the blocking dial returns */
		an->have_dialer = 0;
	} else if (an->state == AG_ROUND) {
		nng_aio_cancel(an->aio);
	}
}

/* pool thread: connect (TCP, TLS handshake, SP negotiation). */
static void
dial_work(uv_work_t *w)
{
	fsy__agentnet_t *an = w->data;

	an->dial_rv = nng_dialer_start(an->dialer, 0);
}

static void maybe_free(fsy__agentnet_t *an);

static void
dial_done(uv_work_t *w, int status)
{
	fsy__agentnet_t *an = w->data;
	const char *url = an->d->cfg.hub;
	fsy_buf_t out = {0};
	char msg[320];
	int rc, rv = status == UV_ECANCELED ? NNG_ECANCELED : an->dial_rv;

	an->work_busy = 0;
	if (an->state == AG_STOPPED) {
		maybe_free(an);
		return;
	}
	if (rv != 0) {
		rc = fsy_err_from_nng(rv);
		if (an->timed_out) {
			rc = FSY_ETIMEOUT;
			snprintf(msg, sizeof(msg), "no connection to %s within %u s",
			    url, an->d->cfg.round_timeout_s);
		} else if (rv == NNG_ECONNREFUSED) {
			snprintf(msg, sizeof(msg), "%s refused the connection (is "
			    "the hub running?)", url);
		} else if (rv == NNG_ECRYPTO || rv == NNG_EPEERAUTH) {
			snprintf(msg, sizeof(msg), "TLS handshake with %s failed: "
			    "%s (the hub's certificate not from [agent] ca or not "
			    "for its name, or this laptop's certificate refused: "
			    "revoked or expired?)", url, nng_strerror(rv));
		} else if (rv == NNG_ECONNSHUT || rv == NNG_ECONNRESET) {
			rc = FSY_ETLS;
			snprintf(msg, sizeof(msg), "%s closed the connection during "
			    "the TLS handshake (this laptop's certificate refused: "
			    "revoked, expired or not from the head-office CA?)", url);
		} else {
			snprintf(msg, sizeof(msg), "cannot connect to %s: %s", url,
			    nng_strerror(rv));
		}
		round_end(an, rc, msg);
		return;
	}
	set_state(an, AG_ROUND);
	an->sess.limits.max_changes = an->d->cfg.max_changes;
	an->sess.limits.max_bytes = an->d->cfg.max_bytes;
	an->sess.limits.compress = an->d->cfg.compress;
	an->sess.overlap = 1; /* ev_run applies a SNAPSHOT after its PULL */
	rc = fsy_agent_session_start(&an->sess, &out);
	if (rc != FSY_OK)
		round_end(an, rc, an->sess.errmsg[0] ? an->sess.errmsg
		                                     : "cannot start the round");
	else if ((rc = send_frame(an, &out)) != FSY_OK)
		round_end(an, rc, "cannot send HELLO");
	fsy_buf_free(&out);
}

static void
round_begin(fsy__agentnet_t *an)
{
	fsy_daemon_t *d = an->d;
	char msg[320];
	int rv;

	if (an->state != AG_IDLE)
		return;
	an->next_ms = 0;
	an->timed_out = 0;
	an->retry_hint_ms = 0;
	an->round_start_ms = fsy_now_ms();
	an->deadline_ms = an->round_start_ms + d->cfg.round_timeout_s * 1000LL;
	uv_timer_start(&an->deadline_timer, deadline_cb,
	    d->cfg.round_timeout_s * 1000ULL, 0);
	set_state(an, AG_DIAL);
	rv = nng_dialer_create(&an->dialer, an->sock, d->cfg.hub);
	if (rv == 0) {
		an->have_dialer = 1;
		if (an->tls)
			rv = nng_dialer_set_ptr(an->dialer, NNG_OPT_TLS_CONFIG,
			    an->tls);
	}
	if (rv == 0) {
		an->work.data = an;
		an->work_busy = 1;
		if (uv_queue_work(&d->loop, &an->work, dial_work, dial_done) == 0)
			return;
		an->work_busy = 0;
		rv = NNG_ENOMEM;
	}
	snprintf(msg, sizeof(msg), "cannot dial %s: %s", d->cfg.hub,
	    nng_strerror(rv));
	round_end(an, fsy_err_from_nng(rv), msg);
}

static void
next_cb(uv_timer_t *t)
{
	fsy__agentnet_t *an = t->data;

	an->next_ms = 0;
	round_begin(an);
}

/* A refusal that retrying will not cure until head office acts. */
static int
refused(int rc)
{
	return rc == FSY_EREVOKED || rc == FSY_EUNKNOWNDEV || rc == FSY_EAUTH ||
	    rc == FSY_EVERSION || rc == FSY_EPERM || rc == FSY_ETLS;
}

static void
round_end(fsy__agentnet_t *an, int rc, const char *msg)
{
	fsy_daemon_t *d = an->d;
	const fsy_agent_stats_t *s = &an->sess.stats;
	int64_t now = fsy_now_ms();
	uint64_t delay;
	char code[32];

	uv_timer_stop(&an->deadline_timer);
	if (an->have_dialer) {
		nng_dialer_close(an->dialer); /* and the connection with it */
		an->have_dialer = 0;
	}
	an->last_stats = *s;
	an->last_round_ms = now - an->round_start_ms;
	set_state(an, AG_IDLE);
	if (rc == FSY_OK) {
		int moved = s->pushed || s->pulled || s->snap_customers ||
		    s->revoked_customers || s->rejected;
		an->last_ok_ms = now;
		an->last_err = 0;
		an->last_error[0] = '\0';
		fsy_backoff_reset(&an->bo);
		fsy_log(&d->log, moved ? FSY_LOG_INFO : FSY_LOG_DEBUG,
		    "sync ok in %lld ms: pushed %llu (%llu rejected, %llu "
		    "corrected), pulled %llu (%llu skipped), %llu customers "
		    "received, %llu removed, %u round trips, %llu/%llu bytes "
		    "out/in", (long long)an->last_round_ms,
		    (unsigned long long)s->pushed,
		    (unsigned long long)s->rejected,
		    (unsigned long long)s->corrected,
		    (unsigned long long)s->pulled,
		    (unsigned long long)s->skipped,
		    (unsigned long long)s->snap_customers,
		    (unsigned long long)s->revoked_customers, s->round_trips,
		    (unsigned long long)s->bytes_out,
		    (unsigned long long)s->bytes_in);
		delay = (an->again ? d->cfg.sync_soon_s
		                   : d->cfg.sync_interval_s) * 1000ULL;
	} else {
		an->last_fail_ms = now;
		an->last_err = rc;
		snprintf(an->last_error, sizeof(an->last_error), "%s",
		    msg ? msg : fsy_strerror(rc));
		delay = fsy_backoff_fail(&an->bo, randombytes_random());
		if (an->retry_hint_ms > delay)
			delay = an->retry_hint_ms < an->bo.max_ms ? an->retry_hint_ms
			                                          : an->bo.max_ms;
		/* the hub's messages already carry the code's name */
		snprintf(code, sizeof(code), strstr(an->last_error,
		    fsy_errname(rc)) ? "" : " (%s)", fsy_errname(rc));
		if (refused(rc))
			fsy_log(&d->log, FSY_LOG_ERROR, "sync refused: %s%s; next "
			    "attempt in %llu s", an->last_error, code,
			    (unsigned long long)(delay / 1000));
		else
			fsy_log(&d->log, FSY_LOG_WARN, "sync failed after %lld ms: "
			    "%s%s; attempt %u, next in %llu s",
			    (long long)an->last_round_ms, an->last_error, code,
			    an->bo.failures, (unsigned long long)(delay / 1000));
	}
	an->again = 0;
	schedule(an, delay);
	fsy__daemon_idle(d);
}

int
fsy__agentnet_busy(const fsy_daemon_t *d)
{
	const fsy__agentnet_t *an = d->agent;

	return an != NULL && (an->state == AG_DIAL || an->state == AG_ROUND);
}

/* ---- the cmd context's callbacks ----------------------------------------- */

void
fsy__agentnet_sync_now(void *arg)
{
	fsy__agentnet_t *an = arg;
	uint64_t soon;

	if (an == NULL || an->state == AG_STOPPED)
		return;
	if (an->state != AG_IDLE) {
		an->again = 1; /* another round right after this one */
		return;
	}
	soon = an->d->cfg.sync_soon_s * 1000ULL;
	/* debounced: writes within sync_soon share one round */
	if (an->next_ms == 0 || an->next_ms > fsy_now_ms() + (int64_t)soon)
		schedule(an, soon);
}

static json_t *
iso_or_null(int64_t ms)
{
	char t[21];

	if (ms <= 0)
		return json_null();
	fsy_iso_time(ms, t);
	return json_string(t);
}

void
fsy__agentnet_sync_state(void *arg, json_t *obj)
{
	fsy__agentnet_t *an = arg;
	const fsy_agent_stats_t *s;

	if (an == NULL || obj == NULL)
		return;
	s = &an->last_stats;
	json_object_set_new(obj, "hub", json_string(an->d->cfg.hub));
	json_object_set_new(obj, "state", json_string(state_names[an->state]));
	json_object_set_new(obj, "last_success", iso_or_null(an->last_ok_ms));
	json_object_set_new(obj, "last_failure", iso_or_null(an->last_fail_ms));
	json_object_set_new(obj, "last_error", an->last_err
	    ? json_string(an->last_error) : json_null());
	json_object_set_new(obj, "last_error_code", an->last_err
	    ? json_string(fsy_errname(an->last_err)) : json_null());
	json_object_set_new(obj, "failures", json_integer(an->bo.failures));
	json_object_set_new(obj, "next_attempt", iso_or_null(an->next_ms));
	json_object_set_new(obj, "last_round", an->last_ok_ms || an->last_fail_ms
	    ? json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}",
	        "ms", (json_int_t)an->last_round_ms,
	        "pushed", (json_int_t)s->pushed,
	        "rejected", (json_int_t)s->rejected,
	        "corrected", (json_int_t)s->corrected,
	        "pulled", (json_int_t)s->pulled,
	        "skipped", (json_int_t)s->skipped,
	        "customers_received", (json_int_t)s->snap_customers,
	        "customers_removed", (json_int_t)s->revoked_customers,
	        "round_trips", (json_int_t)s->round_trips,
	        "bytes_out", (json_int_t)s->bytes_out,
	        "bytes_in", (json_int_t)s->bytes_in)
	    : json_null());
}

/* One request and its reply on a blocking socket, by the deadline. */
static int
exchange(nng_socket s, const fsy_buf_t *req, int64_t deadline, fsy_msg_t *m,
    char *err, size_t errlen)
{
	int64_t left = deadline - fsy_now_ms();
	void *buf = NULL;
	size_t len = 0;
	int rv, rc;

	if (left <= 0)
		left = 1;
	nng_socket_set_ms(s, NNG_OPT_SENDTIMEO, (nng_duration)left);
	nng_socket_set_ms(s, NNG_OPT_RECVTIMEO, (nng_duration)left);
	if ((rv = nng_send(s, req->data, req->len, 0)) == 0)
		rv = nng_recv(s, &buf, &len, NNG_FLAG_ALLOC);
	if (rv != 0) {
		snprintf(err, errlen, rv == NNG_ETIMEDOUT ? "head office did not "
		    "answer in time" : "%s", nng_strerror(rv));
		return rv == NNG_ETIMEDOUT ? FSY_ETIMEOUT : fsy_err_from_nng(rv);
	}
	memset(m, 0, sizeof(*m));
	rc = fsy_msg_decode(buf, len, m);
	nng_free(buf, len);
	if (rc != FSY_OK)
		snprintf(err, errlen, "malformed reply from the hub");
	return rc;
}

int
fsy__agentnet_forward(void *arg, const char *req, size_t len, char **reply)
{
	fsy__agentnet_t *an = arg;
	fsy_daemon_t *d;
	fsy_agent_session_t fs;
	fsy_buf_t buf = {0};
	fsy_msg_t m;
	nng_socket s;
	nng_dialer dl;
	char err[320] = "";
	int64_t deadline;
	int rc = FSY_OK, rv, s_open = 0, fs_init = 0, done = 0;

	*reply = NULL;
	if (an == NULL || an->state == AG_STOPPED)
		return FSY_ESTATE;
	d = an->d;
	deadline = fsy_now_ms() + d->cfg.forward_timeout_s * 1000LL;
	/* A connection of its own: a HELLO on the round's connection would
	 * reset that connection's authentication on the hub. */
	if ((rv = nng_req0_open(&s)) == 0) {
		s_open = 1;
		if ((rv = fsy__sock_setup(s)) == 0)
			rv = nng_socket_set_ms(s, NNG_OPT_REQ_RESENDTIME,
			    NNG_DURATION_INFINITE);
	}
	if (rv == 0 && (rv = nng_dialer_create(&dl, s, d->cfg.hub)) == 0) {
		if (an->tls)
			rv = nng_dialer_set_ptr(dl, NNG_OPT_TLS_CONFIG, an->tls);
		if (rv == 0)
			rv = nng_dialer_start(dl, NNG_FLAG_NONBLOCK);
	}
	if (rv != 0) {
		snprintf(err, sizeof(err), "cannot dial %s: %s", d->cfg.hub,
		    nng_strerror(rv));
		rc = fsy_err_from_nng(rv);
		goto out;
	}

	fsy_agent_session_init(&fs, d->st, an->sess.sk);
	fs_init = 1;
	fs.limits = an->sess.limits;
	fs.verified = an->sess.verified; /* skip re-verifying the chain */
	fs.verified_seq = an->sess.verified_seq;
	memcpy(fs.verified_hash, an->sess.verified_hash, 32);
	fs.chain_ok = an->sess.chain_ok;
	fs.chain_bad_seq = an->sess.chain_bad_seq;
	rc = fsy_agent_session_start(&fs, &buf);
	/* HELLO -> CHALLENGE, AUTH -> WELCOME: this connection is the device's */
	for (int i = 0; rc == FSY_OK && i < 2; i++) {
		if ((rc = exchange(s, &buf, deadline, &m, err, sizeof(err))) != 0)
			break;
		rc = fsy_agent_session_step(&fs, &m, &buf, &done);
		fsy_msg_free(&m);
		if (rc != FSY_OK)
			snprintf(err, sizeof(err), "%s", fs.errmsg);
	}
	if (rc == FSY_OK) {
		fsy_msg_t c;
		memset(&c, 0, sizeof(c));
		c.type = FSY_MSG_CTL;
		c.u.ctl.json = req;
		c.u.ctl.len = len;
		if ((rc = fsy_msg_encode(&c, d->cfg.compress, &buf)) != FSY_OK)
			snprintf(err, sizeof(err), "cannot encode the command");
	}
	if (rc == FSY_OK &&
	    (rc = exchange(s, &buf, deadline, &m, err, sizeof(err))) == FSY_OK) {
		if (m.type == FSY_MSG_CTL_REPLY) {
			if ((*reply = strndup(m.u.ctl.json, m.u.ctl.len)) == NULL)
				rc = FSY_ENOMEM;
		} else if (m.type == FSY_MSG_ERROR) {
			rc = m.u.error.code < 0 ? m.u.error.code : FSY_EPROTO;
			snprintf(err, sizeof(err), "hub: %s", m.u.error.message);
		} else {
			rc = FSY_EPROTO;
			snprintf(err, sizeof(err), "unexpected %s from the hub",
			    fsy_msg_type_name(m.type));
		}
		fsy_msg_free(&m);
	}
out:
	if (rc != FSY_OK)
		fsy_log(&d->log, FSY_LOG_WARN, "forwarding a command to head "
		    "office failed: %s (%s)", err[0] ? err : fsy_strerror(rc),
		    fsy_errname(rc));
	fsy_buf_free(&buf);
	if (fs_init)
		fsy_agent_session_fini(&fs);
	if (s_open)
		nng_close(s);
	return rc;
}

/* ---- life cycle ---------------------------------------------------------- */

int
fsy__agentnet_start(fsy_daemon_t *d, char *err, size_t errlen)
{
	fsy__agentnet_t *an = calloc(1, sizeof(*an));
	uint8_t sk[64];
	int rc, rv;

	if (an == NULL) {
		snprintf(err, errlen, "out of memory");
		return FSY_ENOMEM;
	}
	d->agent = an;
	an->d = d;
	uv_timer_init(&d->loop, &an->next_timer);
	uv_timer_init(&d->loop, &an->deadline_timer);
	an->next_timer.data = an->deadline_timer.data = an;
	an->open_timers = 2;
	an->ev.run = ev_run;
	fsy_backoff_init(&an->bo, d->cfg.backoff_min_s * 1000,
	    d->cfg.backoff_max_s * 1000);

	if ((rc = fsy_device_key_load(d->cfg.device_key, sk, err,
	    errlen)) != FSY_OK)
		return rc;
	fsy_agent_session_init(&an->sess, d->st, sk);
	sodium_memzero(sk, sizeof(sk));
	an->sess.send_scope_hash = 1; /* lets head office see divergence */
	if (strncmp(d->cfg.hub, "tls+", 4) == 0 &&
	    (rc = fsy_tls_client(&d->cfg, &an->tls, err, errlen)) != FSY_OK)
		return rc;

	if ((rv = nng_req0_open(&an->sock)) != 0 ||
	    (an->sock_open = 1, rv = fsy__sock_setup(an->sock)) != 0 ||
	    (rv = nng_socket_set_ms(an->sock, NNG_OPT_REQ_RESENDTIME,
	    NNG_DURATION_INFINITE)) != 0 ||
	    (rv = nng_ctx_open(&an->ctx, an->sock)) != 0 ||
	    (rv = nng_aio_alloc(&an->aio, aio_cb, an)) != 0) {
		snprintf(err, errlen, "sync socket: %s", nng_strerror(rv));
		return fsy_err_from_nng(rv);
	}
	fsy_log(&d->log, FSY_LOG_INFO, "device %s syncing with %s every %u s%s",
	    d->cfg.device_id, d->cfg.hub, d->cfg.sync_interval_s,
	    an->tls ? " over TLS" : "");
	schedule(an, 0);
	return FSY_OK;
}

void
fsy__agentnet_reload(fsy_daemon_t *d, const fsy_config_t *nc)
{
	fsy__agentnet_t *an = d->agent;
	nng_tls_config *tls = NULL;
	char err[512];

	if (an == NULL)
		return;
	fsy_backoff_set(&an->bo, nc->backoff_min_s * 1000,
	    nc->backoff_max_s * 1000);
	if (an->tls == NULL)
		return;
	if (fsy_tls_client(nc, &tls, err, sizeof(err)) != FSY_OK) {
		fsy_log(&d->log, FSY_LOG_ERROR, "reload: %s; keeping the TLS "
		    "files loaded before", err);
		return;
	}
	/* a dialer holds its own reference to the configuration it uses */
	nng_tls_config_free(an->tls);
	an->tls = tls;
	fsy_log(&d->log, FSY_LOG_INFO, "reload: TLS certificates re-read");
}

void
fsy__agentnet_close(fsy_daemon_t *d)
{
	fsy__agentnet_t *an = d->agent;

	if (an == NULL)
		return;
	if (an->state != AG_IDLE && an->state != AG_STOPPED)
		fsy_log(&d->log, FSY_LOG_INFO, "sync round interrupted; it "
		    "resumes with the next start");
	set_state(an, AG_STOPPED);
	uv_timer_stop(&an->next_timer);
	uv_timer_stop(&an->deadline_timer);
	if (an->have_dialer) {
		nng_dialer_close(an->dialer);
		an->have_dialer = 0;
	}
	if (an->sock_open) {
		nng_close(an->sock);
		an->sock_open = 0;
	}
	if (an->aio)
		nng_aio_stop(an->aio);
}

static void
maybe_free(fsy__agentnet_t *an)
{
	if (an->open_timers > 0 || an->work_busy)
		return;
	free(an);
}

static void
timer_closed(uv_handle_t *h)
{
	fsy__agentnet_t *an = h->data;

	an->open_timers--;
	maybe_free(an);
}

void
fsy__agentnet_free(fsy_daemon_t *d)
{
	fsy__agentnet_t *an = d->agent;

	if (an == NULL)
		return;
	d->agent = NULL;
	fsy__agentnet_close(d);
	if (an->aio) {
		nng_aio_free(an->aio);
		an->aio = NULL;
	}
	if (an->tls) {
		nng_tls_config_free(an->tls);
		an->tls = NULL;
	}
	fsy_agent_session_fini(&an->sess);
	uv_close((uv_handle_t *)&an->next_timer, timer_closed);
	uv_close((uv_handle_t *)&an->deadline_timer, timer_closed);
}
