/*
 * rep.c — a REP socket served by N contexts (see daemon_int.h).
 *
 * Each slot is one nng context with one aio, in one of two states:
 *   receiving  nng_ctx_recv outstanding; its completion (nng thread) posts
 *              the slot to the loop with the request;
 *   sending    the loop handled the request and started nng_ctx_send;
 *              its completion (nng thread) starts receiving again.
 * While the loop holds a request the slot has no operation outstanding.
 * A closed socket (NNG_ECLOSED) or a stopped aio (NNG_ECANCELED) ends the
 * cycle.
 */
#include <stdlib.h>
#include <string.h>

#include "daemon_int.h"
#include "proto.h"

struct fsy__rep_slot {
	fsy_ev_t ev;         /* posted with a request */
	fsy__rep_t *rep;
	nng_ctx ctx;
	nng_aio *aio;        /* NULL: not allocated */
	int open;            /* ctx opened */
	int sending;         /* 1: the aio carries a reply */
	nng_msg *req;        /* the request handed to the loop */
};

static void
slot_cb(void *arg)
{
	fsy__rep_slot_t *s = arg;
	int rv = nng_aio_result(s->aio);

	if (s->sending) {
		s->sending = 0;
		if (rv != 0)
			nng_msg_free(nng_aio_get_msg(s->aio));
		if (rv == NNG_ECLOSED || rv == NNG_ECANCELED)
			return;
		nng_ctx_recv(s->ctx, s->aio);
		return;
	}
	if (rv == NNG_ECLOSED || rv == NNG_ECANCELED)
		return;
	if (rv != 0) { /* e.g. a message over the size limit: next one */
		nng_ctx_recv(s->ctx, s->aio);
		return;
	}
	s->req = nng_aio_get_msg(s->aio);
	fsy__post(s->rep->d, &s->ev);
}

static void
slot_run(fsy_ev_t *ev, int cancelled)
{
	fsy__rep_slot_t *s = fsy__container_of(ev, fsy__rep_slot_t, ev);
	nng_msg *req = s->req, *rep;

	s->req = NULL;
	if (cancelled) {
		if (req)
			nng_msg_free(req);
		return;
	}
	rep = s->rep->fn(s->rep->arg, req);
	if (rep == NULL) {
		nng_ctx_recv(s->ctx, s->aio);
		return;
	}
	s->sending = 1;
	nng_aio_set_msg(s->aio, rep);
	nng_ctx_send(s->ctx, s->aio);
}

int
fsy__rep_start(fsy__rep_t *r, fsy_daemon_t *d, nng_socket sock, uint32_t n,
    fsy__rep_fn fn, void *arg)
{
	int rv = 0;

	memset(r, 0, sizeof(*r));
	r->d = d;
	r->sock = sock;
	r->fn = fn;
	r->arg = arg;
	if ((r->slots = calloc(n, sizeof(*r->slots))) == NULL)
		return NNG_ENOMEM;
	r->nslots = n;
	for (uint32_t i = 0; i < n && rv == 0; i++) {
		fsy__rep_slot_t *s = &r->slots[i];
		s->rep = r;
		s->ev.run = slot_run;
		if ((rv = nng_aio_alloc(&s->aio, slot_cb, s)) != 0) {
			s->aio = NULL;
			break;
		}
		if ((rv = nng_ctx_open(&s->ctx, sock)) == 0)
			s->open = 1;
	}
	if (rv != 0) {
		fsy__rep_fini(r);
		return rv;
	}
	for (uint32_t i = 0; i < n; i++)
		nng_ctx_recv(r->slots[i].ctx, r->slots[i].aio);
	return 0;
}

void
fsy__rep_stop(fsy__rep_t *r)
{
	for (uint32_t i = 0; i < r->nslots; i++)
		if (r->slots[i].aio)
			nng_aio_stop(r->slots[i].aio);
}

void
fsy__rep_fini(fsy__rep_t *r)
{
	for (uint32_t i = 0; i < r->nslots; i++) {
		fsy__rep_slot_t *s = &r->slots[i];
		if (s->aio) {
			nng_aio_stop(s->aio);
			if (s->sending && nng_aio_get_msg(s->aio))
				nng_msg_free(nng_aio_get_msg(s->aio));
			nng_aio_free(s->aio);
		}
		if (s->open)
			nng_ctx_close(s->ctx);
		if (s->req)
			nng_msg_free(s->req);
	}
	free(r->slots);
	r->slots = NULL;
	r->nslots = 0;
}

nng_msg *
fsy__error_msg(int code, const char *message, uint32_t retry_ms)
{
	fsy_msg_t m;
	fsy_buf_t b = {0};
	nng_msg *msg = NULL;

	memset(&m, 0, sizeof(m));
	m.type = FSY_MSG_ERROR;
	m.u.error.code = code;
	m.u.error.message = message;
	m.u.error.retry_ms = retry_ms;
	if (fsy_msg_encode(&m, 0, &b) == FSY_OK &&
	    nng_msg_alloc(&msg, 0) == 0 &&
	    nng_msg_append(msg, b.data, b.len) != 0) {
		nng_msg_free(msg);
		msg = NULL;
	}
	fsy_buf_free(&b);
	return msg;
}
