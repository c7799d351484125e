/* tu_nng.c — hub and agents over nng on loopback (see tu_nng.h). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <nng/nng.h>
#include <nng/protocol/reqrep0/rep.h>
#include <nng/protocol/reqrep0/req.h>

#include "tu_nng.h"

#define NH_SLOTS 64

struct tu_nng_hub {
	tu_hub_t *h;
	nng_socket sock;
	pthread_t thread;
	volatile int stop;
	uint32_t pipe[NH_SLOTS];     /* pipe id per slot, 0: free */
	fsy_hub_conn_t conn[NH_SLOTS];
	int next;
};

static fsy_hub_conn_t *
conn_for(tu_nng_hub_t *nh, uint32_t pipe)
{
	for (int i = 0; i < NH_SLOTS; i++)
		if (nh->pipe[i] == pipe)
			return &nh->conn[i];
	int i = nh->next++ % NH_SLOTS; /* oldest slot goes */
	nh->pipe[i] = pipe;
	memset(&nh->conn[i], 0, sizeof(nh->conn[i]));
	return &nh->conn[i];
}

static void *
serve(void *arg)
{
	tu_nng_hub_t *nh = arg;

	while (!nh->stop) {
		nng_msg *req = NULL, *rep = NULL;
		fsy_msg_t m;
		fsy_buf_t out = {0};
		int rv = nng_recvmsg(nh->sock, &req, 0);
		if (rv == NNG_ETIMEDOUT)
			continue;
		if (rv != 0)
			break;
		fsy_hub_conn_t *c = conn_for(nh, nng_pipe_id(nng_msg_get_pipe(req)));
		memset(&m, 0, sizeof(m));
		rv = fsy_msg_decode(nng_msg_body(req), nng_msg_len(req), &m);
		if (rv == FSY_OK) {
			fsy_hub_handle(&nh->h->hub, c, &m, &out);
			fsy_msg_free(&m);
		} else {
			fsy_msg_t e;
			memset(&e, 0, sizeof(e));
			e.type = FSY_MSG_ERROR;
			e.u.error.code = rv;
			e.u.error.message = "malformed request";
			fsy_msg_encode(&e, 0, &out);
		}
		nng_msg_free(req);
		if (out.len && nng_msg_alloc(&rep, 0) == 0) {
			nng_msg_append(rep, out.data, out.len);
			if (nng_sendmsg(nh->sock, rep, 0) != 0)
				nng_msg_free(rep);
		}
		fsy_buf_free(&out);
	}
	return NULL;
}

tu_nng_hub_t *
tu_nng_hub_start(tu_hub_t *h, char *url, size_t n)
{
	tu_nng_hub_t *nh = calloc(1, sizeof(*nh));
	int rv = -1;

	assert_non_null(nh);
	nh->h = h;
	assert_int_equal(nng_rep0_open(&nh->sock), 0);
	nng_socket_set_ms(nh->sock, NNG_OPT_RECVTIMEO, 100);
	for (int tries = 0; tries < 50 && rv != 0; tries++) {
		int port = 20000 + (int)((getpid() * 7 + tries * 131) % 30000);
		snprintf(url, n, "tcp://127.0.0.1:%d", port);
		rv = nng_listen(nh->sock, url, NULL, 0);
	}
	assert_int_equal(rv, 0);
	assert_int_equal(pthread_create(&nh->thread, NULL, serve, nh), 0);
	return nh;
}

void
tu_nng_hub_stop(tu_nng_hub_t *nh)
{
	nh->stop = 1;
	pthread_join(nh->thread, NULL);
	nng_close(nh->sock);
	free(nh);
}

nng_socket
tu_nng_dial(const char *url)
{
	nng_socket s;
	assert_int_equal(nng_req0_open(&s), 0);
	nng_socket_set_ms(s, NNG_OPT_RECVTIMEO, 5000);
	nng_socket_set_ms(s, NNG_OPT_SENDTIMEO, 5000);
	assert_int_equal(nng_dial(s, url, NULL, 0), 0);
	return s;
}

int
tu_nng_sync(tu_agent_t *a, nng_socket s)
{
	fsy_buf_t req = {0};
	fsy_msg_t r;
	int rc, done = 0, n = 0, sent = 0;

	/* As the daemon: a SNAPSHOT is applied after its next PULL is sent. */
	a->sess.overlap = 1;
	rc = fsy_agent_session_start(&a->sess, &req);
	while (rc == FSY_OK && !done && n++ < 10000) {
		void *buf = NULL;
		size_t len = 0;
		int rv = sent ? 0 : nng_send(s, req.data, req.len, 0);
		sent = 0;
		if (rv == 0)
			rv = nng_recv(s, &buf, &len, NNG_FLAG_ALLOC);
		if (rv != 0) {
			rc = rv == NNG_ETIMEDOUT ? FSY_ETIMEOUT : FSY_ECLOSED;
			break;
		}
		memset(&r, 0, sizeof(r));
		rc = fsy_msg_decode(buf, len, &r);
		a->sess.stats.bytes_in += len;
		nng_free(buf, len);
		if (rc)
			break;
		rc = fsy_agent_session_step(&a->sess, &r, &req, &done);
		if (rc == FSY_OK && fsy_agent_session_deferred(&a->sess)) {
			if (nng_send(s, req.data, req.len, 0) != 0)
				rc = FSY_ECLOSED;
			else
				sent = 1;
			if (rc == FSY_OK)
				rc = fsy_agent_session_apply(&a->sess, &r);
		}
		fsy_msg_free(&r);
	}
	fsy_buf_free(&req);
	return rc;
}
