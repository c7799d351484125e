/*
 * hubnet.c — the hub's network side: a REP socket listening for agents,
 * one fsy_hub_conn_t per nng pipe, requests run through fsy_hub_handle on
 * the loop thread (see daemon_int.h for the threading rules).
 *
 * Peers. A peer is created when nng announces a pipe (NNG_PIPE_EV_ADD_PRE,
 * before any message can arrive on it) and freed when it is gone
 * (NNG_PIPE_EV_REM_POST); both notifications are posted to the loop, in
 * order with the requests. A request whose peer is unknown came from a
 * pipe already gone and is dropped.
 *
 * Dropping a peer. When fsy_hub_handle says the peer must go (unknown or
 * revoked device, failed signature, protocol violation) or a peer sends a
 * second frame that does not decode, its ERROR reply is sent and the pipe
 * is closed one second later (time for the reply to leave); requests in
 * between are ignored.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nng/nng.h>
#include <nng/protocol/reqrep0/rep.h>

#include "cardno.h"
#include "cmd.h"
#include "daemon_int.h"
#include "proto.h"
#include "sync.h"
#include "tlscfg.h"
#include "util.h"

#define PEER_BUCKETS 256
#define DROP_DELAY_MS 1000
#define MAX_BAD_FRAMES 2

typedef struct peer {
	struct peer *next;       /* hash chain */
	nng_pipe pipe;
	uint32_t id;             /* nng_pipe_id(pipe) */
	fsy_hub_conn_t conn;     /* the sync engine's per-connection state */
	int bad_frames;          /* frames that did not decode */
	int64_t drop_at;         /* 0, or Unix ms when the pipe is closed */
	int closed;              /* nng_pipe_close was called */
	char claimed[37];        /* device id of the last HELLO, for the log */
	char addr[64];           /* remote address, for the log */
} peer_t;

typedef struct pipe_ev {
	fsy_ev_t ev;
	fsy__hubnet_t *hn;
	nng_pipe pipe;
	nng_pipe_ev what;
} pipe_ev_t;

struct fsy__hubnet {
	fsy_daemon_t *d;
	fsy_hub_t hub;             /* the sync engine */
	nng_socket sock;
	int sock_open;
	nng_listener lst;
	int have_lst;
	nng_tls_config *tls;       /* our reference; NULL: plain tcp */
	uint8_t tls_digest[32];    /* of the TLS files loaded */
	fsy__rep_t rep;
	int rep_started;
	peer_t *buckets[PEER_BUCKETS];
	uint32_t npeers;
	uv_timer_t reaper;         /* closes dropped pipes */
	fsy_surnames_t *surnames;  /* for numbering new cards */
};

/* ---- peers --------------------------------------------------------------- */

static peer_t **
bucket(fsy__hubnet_t *hn, uint32_t id)
{
	return &hn->buckets[(id * 2654435761u) >> 24 & (PEER_BUCKETS - 1)];
}

static peer_t *
peer_find(fsy__hubnet_t *hn, uint32_t id)
{
	for (peer_t *p = *bucket(hn, id); p; p = p->next)
		if (p->id == id)
			return p;
	return NULL;
}

/* The device a peer is (or claims to be), for the log. */
static const char *
who(const peer_t *p)
{
	return p->conn.device_id[0] ? p->conn.device_id
	    : p->claimed[0] ? p->claimed : "-";
}

static void
format_addr(nng_pipe pipe, char *out, size_t n)
{
	nng_sockaddr sa;
	char ip[INET6_ADDRSTRLEN] = "?";

	snprintf(out, n, "?");
	if (nng_pipe_get_addr(pipe, NNG_OPT_REMADDR, &sa) != 0)
		return;
	if (sa.s_family == NNG_AF_INET) {
		inet_ntop(AF_INET, &sa.s_in.sa_addr, ip, sizeof(ip));
		snprintf(out, n, "%s:%u", ip, (unsigned)ntohs(sa.s_in.sa_port));
	} else if (sa.s_family == NNG_AF_INET6) {
		inet_ntop(AF_INET6, sa.s_in6.sa_addr, ip, sizeof(ip));
		snprintf(out, n, "[%s]:%u", ip, (unsigned)ntohs(sa.s_in6.sa_port));
	}
}

static void
peer_add(fsy__hubnet_t *hn, nng_pipe pipe)
{
	uint32_t id = nng_pipe_id(pipe);
	peer_t *p, **b = bucket(hn, id);

	if (peer_find(hn, id))
		return;
	if ((p = calloc(1, sizeof(*p))) == NULL) {
		fsy_log(&hn->d->log, FSY_LOG_ERROR, "out of memory: refusing a "
		    "connection");
		nng_pipe_close(pipe);
		return;
	}
	p->pipe = pipe;
	p->id = id;
	format_addr(pipe, p->addr, sizeof(p->addr));
	p->next = *b;
	*b = p;
	hn->npeers++;
	fsy_log(&hn->d->log, FSY_LOG_DEBUG, "connection %u from %s (%u open)",
	    id, p->addr, hn->npeers);
}

static void
peer_remove(fsy__hubnet_t *hn, uint32_t id)
{
	for (peer_t **pp = bucket(hn, id); *pp; pp = &(*pp)->next) {
		peer_t *p = *pp;
		if (p->id != id)
			continue;
		*pp = p->next;
		hn->npeers--;
		fsy_log(&hn->d->log, FSY_LOG_DEBUG, "connection %u from %s "
		    "(device %s) closed", id, p->addr, who(p));
		free(p);
		return;
	}
}

static void
pipe_run(fsy_ev_t *ev, int cancelled)
{
	pipe_ev_t *pe = fsy__container_of(ev, pipe_ev_t, ev);

	if (!cancelled) {
		if (pe->what == NNG_PIPE_EV_ADD_PRE)
			peer_add(pe->hn, pe->pipe);
		else
			peer_remove(pe->hn, nng_pipe_id(pe->pipe));
	}
	free(pe);
}

/* nng thread: hand the pipe event to the loop. */
static void
pipe_cb(nng_pipe pipe, nng_pipe_ev what, void *arg)
{
	pipe_ev_t *pe = malloc(sizeof(*pe));

	if (pe == NULL) {
		if (what == NNG_PIPE_EV_ADD_PRE)
			nng_pipe_close(pipe); /* cannot track it: refuse it */
		return;
	}
	pe->ev.run = pipe_run;
	pe->hn = arg;
	pe->pipe = pipe;
	pe->what = what;
	fsy__post(pe->hn->d, &pe->ev);
}

static void
reaper_cb(uv_timer_t *t)
{
	fsy__hubnet_t *hn = t->data;
	int64_t now = fsy_now_ms(), next = 0;

	for (int i = 0; i < PEER_BUCKETS; i++)
		for (peer_t *p = hn->buckets[i]; p; p = p->next) {
			if (p->drop_at == 0 || p->closed)
				continue;
			if (p->drop_at <= now) {
				nng_pipe_close(p->pipe);
				p->closed = 1;
			} else if (next == 0 || p->drop_at < next) {
				next = p->drop_at;
			}
		}
	if (next)
		uv_timer_start(&hn->reaper, reaper_cb, (uint64_t)(next - now), 0);
}

static void
drop(fsy__hubnet_t *hn, peer_t *p, const char *why)
{
	if (p->drop_at)
		return;
	p->drop_at = fsy_now_ms() + DROP_DELAY_MS;
	fsy_log(&hn->d->log, FSY_LOG_INFO, "dropping connection from %s "
	    "(device %s): %s", p->addr, who(p), why);
	if (!uv_is_active((uv_handle_t *)&hn->reaper))
		uv_timer_start(&hn->reaper, reaper_cb, DROP_DELAY_MS, 0);
}

/* ---- requests ------------------------------------------------------------ */

static nng_msg *
hub_fn(void *arg, nng_msg *req)
{
	fsy__hubnet_t *hn = arg;
	fsy_daemon_t *d = hn->d;
	peer_t *p = peer_find(hn, nng_pipe_id(nng_msg_get_pipe(req)));
	fsy_buf_t out = {0};
	fsy_msg_t m;
	int rc, was_authed;

	if (p == NULL || p->drop_at) {
		nng_msg_free(req);
		return NULL;
	}
	memset(&m, 0, sizeof(m));
	rc = fsy_msg_decode(nng_msg_body(req), nng_msg_len(req), &m);
	nng_msg_free(req);
	if (rc != FSY_OK) {
		char msg[128];
		p->bad_frames++;
		snprintf(msg, sizeof(msg), "malformed frame: %s", fsy_strerror(rc));
		fsy_log(&d->log, FSY_LOG_WARN, "%s (device %s): %s", p->addr,
		    who(p), msg);
		if (p->bad_frames >= MAX_BAD_FRAMES)
			drop(hn, p, "repeated malformed frames");
		return fsy__error_msg(rc, msg, 0);
	}
	if (m.type == FSY_MSG_HELLO)
		memcpy(p->claimed, m.u.hello.device_id, sizeof(p->claimed));
	was_authed = p->conn.authed;
	rc = fsy_hub_handle(&hn->hub, &p->conn, &m, &out);
	fsy_log(&d->log, FSY_LOG_DEBUG, "%s (device %s): %s -> %s", p->addr,
	    who(p), fsy_msg_type_name(m.type), fsy_errname(rc));
	fsy_msg_free(&m);
	if (!was_authed && p->conn.authed)
		fsy_log(&d->log, FSY_LOG_INFO, "device %s (agent %s%s) "
		    "authenticated from %s", p->conn.device_id,
		    p->conn.agent_id, p->conn.lead ? ", team lead" : "",
		    p->addr);
	if (rc == FSY_ECLOSED)
		drop(hn, p, "refused by the sync engine");
	else if (rc != FSY_OK && out.len == 0)
		fsy_log(&d->log, FSY_LOG_ERROR, "cannot answer %s: %s", p->addr,
		    fsy_strerror(rc));
	req = NULL;
	if (out.len && (nng_msg_alloc(&req, 0) != 0 ||
	    nng_msg_append(req, out.data, out.len) != 0)) {
		if (req)
			nng_msg_free(req);
		req = NULL;
	}
	fsy_buf_free(&out);
	fsy__daemon_idle(d); /* the checkpoint waits for a quiet moment */
	return req;
}

/* A team lead's command forwarded by its laptop: run with the lead's team
 * as ctx.team_id, which limits the runner to the team commands
 * (conflicts, conflict.resolve) over that team's customers. */
static int
hub_ctl(fsy_hub_t *hub, const fsy_hub_conn_t *conn, const char *req,
    size_t len, char **reply)
{
	fsy__hubnet_t *hn = hub->ctl_arg;
	fsy_cmd_ctx_t ctx;
	json_t *j = json_loadb(req, len, 0, NULL);
	const char *cmd = j ? json_string_value(json_object_get(j, "cmd")) : NULL;
	char name[64];
	int rc;

	snprintf(name, sizeof(name), "%s", cmd ? cmd : "?");
	json_decref(j);
	memset(&ctx, 0, sizeof(ctx));
	ctx.st = hub->st;
	ctx.role = FSY_ROLE_HUB;
	ctx.datadir = hn->d->cfg.datadir[0] ? hn->d->cfg.datadir : NULL;
	ctx.team_id = conn->team_id; /* "" (no team) sees nothing, never all */
	rc = fsy_cmd_run(&ctx, req, len, reply);
	fsy_log(&hn->d->log, rc ? FSY_LOG_WARN : FSY_LOG_INFO, "team lead %s "
	    "(device %s, team %s) ran %s at head office: %s", conn->agent_id,
	    conn->device_id, conn->team_id[0] ? conn->team_id : "none", name,
	    fsy_errname(rc));
	return rc;
}

/* A card created on a laptop gets its head-office number at once; a name
 * whose surname is not in the table keeps its provisional number for
 * head office to number by hand (a warning says so). */
static int
hub_new_customer(fsy_hub_t *hub, const char *customer_id,
    const char *agent_id, void *arg)
{
	fsy__hubnet_t *hn = arg;
	char card[32], err[256];
	int rc = fsy_cardno_assign(hub->st, hn->surnames, customer_id, NULL,
	    card, sizeof(card), err, sizeof(err));

	if (rc == FSY_OK) {
		fsy_log(&hn->d->log, FSY_LOG_INFO, "customer %s (agent %s) got "
		    "card %s", customer_id, agent_id, card);
		return FSY_OK;
	}
	if (rc == FSY_ESURNAME || rc == FSY_EINVAL || rc == FSY_ENOTFOUND) {
		fsy_log(&hn->d->log, FSY_LOG_WARN, "customer %s (agent %s) keeps "
		    "a provisional card number: %s", customer_id, agent_id, err);
		return FSY_OK;
	}
	fsy_log(&hn->d->log, FSY_LOG_ERROR, "numbering the card of customer "
	    "%s: %s", customer_id, err);
	return rc;
}

static void
hub_log(void *arg, int level, const char *msg)
{
	fsy__hubnet_t *hn = arg;

	if (level < 0)
		level = 0;
	if (level > FSY_LOG_DEBUG)
		level = FSY_LOG_DEBUG;
	fsy_log(&hn->d->log, (fsy_log_level_t)level, "%s", msg);
}

static void
set_limits(fsy_hub_t *hub, const fsy_config_t *c)
{
	hub->limits.max_changes = c->max_changes;
	hub->limits.max_bytes = c->max_bytes;
	hub->limits.compress = c->compress;
	hub->limits.max_skew_ms = c->max_skew_s * 1000;
	hub->limits.late_ms = c->late_visit_days * 24 * 3600 * 1000;
}

/* ---- listener ------------------------------------------------------------ */

static int
listen_on(fsy__hubnet_t *hn, nng_tls_config *tls, char *err, size_t errlen)
{
	const char *url = hn->d->cfg.listen;
	nng_listener l;
	int rv;

	if ((rv = nng_listener_create(&l, hn->sock, url)) != 0) {
		snprintf(err, errlen, "[hub] listen = %s: %s", url,
		    nng_strerror(rv));
		return fsy_err_from_nng(rv);
	}
	if (tls && (rv = nng_listener_set_ptr(l, NNG_OPT_TLS_CONFIG, tls)) != 0) {
		snprintf(err, errlen, "[hub] listen = %s: TLS: %s", url,
		    nng_strerror(rv));
		nng_listener_close(l);
		return fsy_err_from_nng(rv);
	}
	if ((rv = nng_listener_start(l, 0)) != 0) {
		snprintf(err, errlen, "cannot listen on %s: %s", url,
		    nng_strerror(rv));
		nng_listener_close(l);
		return fsy_err_from_nng(rv);
	}
	hn->lst = l;
	hn->have_lst = 1;
	return FSY_OK;
}

int
fsy__hubnet_start(fsy_daemon_t *d, nng_tls_config *tls, char *err,
    size_t errlen)
{
	fsy__hubnet_t *hn;
	char serr[256];
	int rv;

	if ((hn = calloc(1, sizeof(*hn))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return FSY_ENOMEM;
	}
	d->hub = hn;
	hn->d = d;
	uv_timer_init(&d->loop, &hn->reaper);
	hn->reaper.data = hn;

	{
		char path[FSY_CFG_PATH + 16];
		snprintf(path, sizeof(path), "%s/surnames.csv", d->cfg.datadir);
		rv = fsy_surnames_load(d->cfg.datadir[0] ? path : NULL,
		    &hn->surnames, serr, sizeof(serr));
	}
	if (rv != FSY_OK) {
		snprintf(err, errlen, "surname table: %s", serr);
		return rv;
	}

	fsy_hub_init(&hn->hub, d->st);
	set_limits(&hn->hub, &d->cfg);
	hn->hub.log = hub_log;
	hn->hub.log_arg = hn;
	hn->hub.ctl = hub_ctl;
	hn->hub.ctl_arg = hn;
	hn->hub.on_new_customer = hub_new_customer;
	hn->hub.on_new_customer_arg = hn;

	if ((rv = nng_rep0_open(&hn->sock)) != 0 ||
	    (hn->sock_open = 1, rv = fsy__sock_setup(hn->sock)) != 0 ||
	    (rv = nng_pipe_notify(hn->sock, NNG_PIPE_EV_ADD_PRE, pipe_cb,
	    hn)) != 0 ||
	    (rv = nng_pipe_notify(hn->sock, NNG_PIPE_EV_REM_POST, pipe_cb,
	    hn)) != 0 ||
	    (rv = fsy__rep_start(&hn->rep, d, hn->sock, d->cfg.contexts,
	    hub_fn, hn)) != 0) {
		snprintf(err, errlen, "hub socket: %s", nng_strerror(rv));
		return fsy_err_from_nng(rv);
	}
	hn->rep_started = 1;
	if (tls) {
		nng_tls_config_hold(tls);
		hn->tls = tls;
		fsy_tls_files_digest(&d->cfg, 1, hn->tls_digest);
	}
	if ((rv = listen_on(hn, tls, err, errlen)) != FSY_OK)
		return rv;
	fsy_log(&d->log, FSY_LOG_INFO, "hub %s listening on %s%s (%u contexts)",
	    fsy_store_site(d->st), d->cfg.listen,
	    tls ? ", client certificates required" : "", d->cfg.contexts);
	return FSY_OK;
}

void
fsy__hubnet_reload(fsy_daemon_t *d, const fsy_config_t *nc)
{
	fsy__hubnet_t *hn = d->hub;
	nng_tls_config *tls = NULL;
	uint8_t digest[32];
	char err[512];
	int rv;

	if (hn == NULL)
		return;
	set_limits(&hn->hub, nc);
	if (hn->tls == NULL)
		return;
	fsy_tls_files_digest(nc, 1, digest);
	if (memcmp(digest, hn->tls_digest, 32) == 0)
		return; /* same files, same contents: keep the listener */
	/* nng keeps the TLS configuration a listener started with, so new
	 * certificates or a new CRL need a new listener. */
	if ((rv = fsy_tls_server(nc, &tls, err, sizeof(err))) != FSY_OK) {
		fsy_log(&d->log, FSY_LOG_ERROR, "reload: %s; keeping the TLS "
		    "files loaded before", err);
		return;
	}
	if (hn->have_lst) {
		nng_listener_close(hn->lst);
		hn->have_lst = 0;
	}
	if ((rv = listen_on(hn, tls, err, sizeof(err))) != FSY_OK) {
		fsy_log(&d->log, FSY_LOG_ERROR, "reload: %s; back to the TLS "
		    "files loaded before", err);
		nng_tls_config_free(tls);
		if (listen_on(hn, hn->tls, err, sizeof(err)) != FSY_OK)
			fsy_log(&d->log, FSY_LOG_ERROR, "reload: %s: the hub is "
			    "not listening; restart it", err);
		return;
	}
	nng_tls_config_free(hn->tls);
	hn->tls = tls;
	memcpy(hn->tls_digest, digest, 32);
	fsy_log(&d->log, FSY_LOG_INFO, "reload: TLS certificates%s re-read; "
	    "listening again on %s", nc->crl[0] ? " and CRL" : "",
	    d->cfg.listen);
}

void
fsy__hubnet_close(fsy_daemon_t *d)
{
	fsy__hubnet_t *hn = d->hub;

	if (hn == NULL)
		return;
	if (hn->sock_open) {
		nng_close(hn->sock);
		hn->sock_open = 0;
		hn->have_lst = 0;
	}
	if (hn->rep_started)
		fsy__rep_stop(&hn->rep);
	fsy_hub_fini(&hn->hub);
}

static void
reaper_closed(uv_handle_t *h)
{
	fsy__hubnet_t *hn = h->data;

	for (int i = 0; i < PEER_BUCKETS; i++)
		while (hn->buckets[i]) {
			peer_t *p = hn->buckets[i];
			hn->buckets[i] = p->next;
			free(p);
		}
	free(hn);
}

void
fsy__hubnet_free(fsy_daemon_t *d)
{
	fsy__hubnet_t *hn = d->hub;

	if (hn == NULL)
		return;
	d->hub = NULL;
	fsy__hubnet_close(d);
	if (hn->rep_started)
		fsy__rep_fini(&hn->rep);
	hn->rep_started = 0;
	if (hn->tls)
		nng_tls_config_free(hn->tls);
	hn->tls = NULL;
	fsy_surnames_free(hn->surnames);
	hn->surnames = NULL;
	uv_close((uv_handle_t *)&hn->reaper, reaper_closed);
}
