/* bench_net.c — a hub over nng on loopback, agent rounds (see bench.h). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <nng/nng.h>
#include <nng/protocol/reqrep0/rep.h>
#include <nng/protocol/reqrep0/req.h>
#include <sodium.h>

#include "bench.h"
#include "util.h"

#define NH_SLOTS 64

struct bench_nng_hub {
	fsy_hub_t *hub;
	nng_socket sock;
	pthread_t thread;
	pthread_mutex_t mu;           /* guards stop and stats */
	int stop;
	uint32_t pipe[NH_SLOTS];      /* pipe id per slot, 0: free */
	fsy_hub_conn_t conn[NH_SLOTS];
	int next;
	bench_hub_stats_t stats;
};

static fsy_hub_conn_t *
conn_for(bench_nng_hub_t *nh, uint32_t pipe)
{
	for (int i = 0; i < NH_SLOTS; i++)
		if (nh->pipe[i] == pipe)
			return &nh->conn[i];
	int i = nh->next++ % NH_SLOTS;
	nh->pipe[i] = pipe;
	memset(&nh->conn[i], 0, sizeof(nh->conn[i]));
	return &nh->conn[i];
}

static int
stopping(bench_nng_hub_t *nh)
{
	int s;
	pthread_mutex_lock(&nh->mu);
	s = nh->stop;
	pthread_mutex_unlock(&nh->mu);
	return s;
}

static void *
serve(void *arg)
{
	bench_nng_hub_t *nh = arg;

	while (!stopping(nh)) {
		nng_msg *req = NULL, *rep = NULL;
		fsy_msg_t m;
		fsy_buf_t out = {0};
		int type = -1, rv = nng_recvmsg(nh->sock, &req, 0);
		double t0;
		size_t inlen;

		if (rv == NNG_ETIMEDOUT)
			continue;
		if (rv != 0)
			break;
		t0 = bench_now();
		inlen = nng_msg_len(req);
		fsy_hub_conn_t *c = conn_for(nh, nng_pipe_id(nng_msg_get_pipe(req)));
		memset(&m, 0, sizeof(m));
		rv = fsy_msg_decode(nng_msg_body(req), inlen, &m);
		if (rv == FSY_OK) {
			type = (int)m.type;
			fsy_hub_handle(nh->hub, c, &m, &out);
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
		pthread_mutex_lock(&nh->mu);
		if (type >= 0 && type <= FSY_MSG_TYPE_MAX) {
			nh->stats.seconds[type] += bench_now() - t0;
			nh->stats.frames[type]++;
		}
		nh->stats.bytes_in += inlen;
		nh->stats.bytes_out += out.len;
		pthread_mutex_unlock(&nh->mu);
		if (out.len && nng_msg_alloc(&rep, 0) == 0) {
			nng_msg_append(rep, out.data, out.len);
			if (nng_sendmsg(nh->sock, rep, 0) != 0)
				nng_msg_free(rep);
		}
		fsy_buf_free(&out);
	}
	return NULL;
}

bench_nng_hub_t *
bench_nng_hub_start(fsy_hub_t *hub, char *url, size_t n)
{
	bench_nng_hub_t *nh = calloc(1, sizeof(*nh));
	nng_listener l;
	nng_sockaddr sa;
	int rv;

	if (nh == NULL)
		bench_die("out of memory");
	nh->hub = hub;
	pthread_mutex_init(&nh->mu, NULL);
	if ((rv = nng_rep0_open(&nh->sock)) != 0)
		bench_die("nng_rep0_open: %s", nng_strerror(rv));
	nng_socket_set_ms(nh->sock, NNG_OPT_RECVTIMEO, 50);
	nng_socket_set_size(nh->sock, NNG_OPT_RECVMAXSZ, FSY_MAX_FRAME + 64);
	/* Port 0: the kernel picks a free one; loopback only. */
	if ((rv = nng_listen(nh->sock, "tcp://127.0.0.1:0", &l, 0)) != 0)
		bench_die("nng_listen: %s", nng_strerror(rv));
	if ((rv = nng_listener_get_addr(l, NNG_OPT_LOCADDR, &sa)) != 0)
		bench_die("listener address: %s", nng_strerror(rv));
	snprintf(url, n, "tcp://127.0.0.1:%u", (unsigned)ntohs(sa.s_in.sa_port));
	if (pthread_create(&nh->thread, NULL, serve, nh) != 0)
		bench_die("pthread_create");
	return nh;
}

void
bench_nng_hub_take_stats(bench_nng_hub_t *nh, bench_hub_stats_t *out)
{
	pthread_mutex_lock(&nh->mu);
	*out = nh->stats;
	memset(&nh->stats, 0, sizeof(nh->stats));
	pthread_mutex_unlock(&nh->mu);
}

void
bench_nng_hub_stop(bench_nng_hub_t *nh)
{
	pthread_mutex_lock(&nh->mu);
	nh->stop = 1;
	pthread_mutex_unlock(&nh->mu);
	pthread_join(nh->thread, NULL);
	nng_close(nh->sock);
	bench_idle(nh->hub->st); /* idle from now on, till the next round */
	pthread_mutex_destroy(&nh->mu);
	free(nh);
}

nng_socket
bench_nng_dial(const char *url)
{
	nng_socket s;
	int rv;

	if ((rv = nng_req0_open(&s)) != 0)
		bench_die("nng_req0_open: %s", nng_strerror(rv));
	nng_socket_set_ms(s, NNG_OPT_RECVTIMEO, 60000);
	nng_socket_set_ms(s, NNG_OPT_SENDTIMEO, 10000);
	nng_socket_set_ms(s, NNG_OPT_REQ_RESENDTIME, 0); /* no resend: one round */
	nng_socket_set_size(s, NNG_OPT_RECVMAXSZ, FSY_MAX_FRAME + 64);
	if ((rv = nng_dial(s, url, NULL, 0)) != 0)
		bench_die("nng_dial %s: %s", url, nng_strerror(rv));
	return s;
}

int
bench_nng_round(fsy_agent_session_t *a, nng_socket sock, uint32_t *msgs)
{
	fsy_buf_t req = {0};
	fsy_msg_t r;
	int rc, done = 0, sent = 0;
	uint32_t n = 0;

	/* As the daemon does: a SNAPSHOT is applied after the next PULL is
	 * sent, while the hub makes the next frame. */
	a->overlap = 1;
	rc = fsy_agent_session_start(a, &req);
	while (rc == FSY_OK && !done && n < 100000) {
		void *buf = NULL;
		size_t len = 0;
		int rv = sent ? 0 : nng_send(sock, req.data, req.len, 0);
		sent = 0;
		if (rv == 0)
			rv = nng_recv(sock, &buf, &len, NNG_FLAG_ALLOC);
		if (rv != 0) {
			rc = rv == NNG_ETIMEDOUT ? FSY_ETIMEOUT : FSY_ECLOSED;
			break;
		}
		n++;
		memset(&r, 0, sizeof(r));
		rc = fsy_msg_decode(buf, len, &r);
		a->stats.bytes_in += len;
		nng_free(buf, len);
		if (rc)
			break;
		rc = fsy_agent_session_step(a, &r, &req, &done);
		if (rc == FSY_OK && fsy_agent_session_deferred(a)) {
			if (nng_send(sock, req.data, req.len, 0) != 0)
				rc = FSY_ECLOSED;
			else
				sent = 1;
			if (rc == FSY_OK)
				rc = fsy_agent_session_apply(a, &r);
		}
		fsy_msg_free(&r);
	}
	fsy_buf_free(&req);
	*msgs = n;
	return rc;
}

int
bench_inproc_round(fsy_hub_t *hub, fsy_agent_session_t *a)
{
	fsy_hub_conn_t conn;
	fsy_buf_t req = {0}, rep = {0};
	fsy_msg_t m, r;
	int rc, done = 0, n = 0;

	memset(&conn, 0, sizeof(conn));
	rc = fsy_agent_session_start(a, &req);
	while (rc == FSY_OK && !done && n++ < 100000) {
		memset(&m, 0, sizeof(m));
		if ((rc = fsy_msg_decode(req.data, req.len, &m)) != FSY_OK)
			break;
		rc = fsy_hub_handle(hub, &conn, &m, &rep);
		fsy_msg_free(&m);
		if (rc != FSY_OK && rc != FSY_ECLOSED)
			break;
		memset(&r, 0, sizeof(r));
		if ((rc = fsy_msg_decode(rep.data, rep.len, &r)) != FSY_OK)
			break;
		a->stats.bytes_in += rep.len;
		rc = fsy_agent_session_step(a, &r, &req, &done);
		fsy_msg_free(&r);
	}
	fsy_buf_free(&req);
	fsy_buf_free(&rep);
	return rc;
}

void
bench_inproc_sync(fsy_hub_t *hub, fsy_agent_session_t *a)
{
	for (int i = 0; i < 5; i++) {
		fsy_replica_status_t rs;
		int rc = bench_inproc_round(hub, a);
		if (rc != FSY_OK)
			bench_die("sync round failed: %s: %s", fsy_strerror(rc),
			    a->errmsg);
		if (fsy_replica_status(a->st, &rs) != FSY_OK)
			bench_die("replica status");
		if (rs.pending == 0 && a->stats.revoked_customers == 0)
			return;
	}
	bench_die("sync did not settle in 5 rounds");
}

void
bench_device_issue(fsy_store_t *hub, const char *agent_id, bench_device_t *dev)
{
	int rc;

	fsy_uuid_v7(dev->id);
	crypto_sign_keypair(dev->pk, dev->sk);
	if ((rc = fsy_hub_device_add(hub, dev->id, agent_id, dev->pk,
	    "bench laptop")) != FSY_OK)
		bench_die("device add: %s: %s", fsy_strerror(rc),
		    fsy_store_errmsg(hub));
}
