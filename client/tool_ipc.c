/*
 * tool_ipc.c — one request to the daemon: a CTL frame over an nng req0
 * socket (usually ipc://), and its CTL_REPLY.
 *
 * The request is sent once: nng's automatic resend is turned off, so a
 * slow command (an import) is never run twice.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nng/nng.h>
#include <nng/protocol/reqrep0/req.h>

#include "proto.h"
#include "tool.h"

int
fsy_tool_call(const char *url, const char *req, size_t len, int timeout_s,
    char **reply, char *err, size_t errlen)
{
	nng_socket sock = NNG_SOCKET_INITIALIZER;
	fsy_buf_t frame = {NULL, 0, 0};
	fsy_msg_t m;
	void *buf = NULL;
	size_t sz = 0;
	int rv, rc = FSY_TOOL_EXIT_UNREACHABLE, opened = 0;

	*reply = NULL;
	memset(&m, 0, sizeof(m));
	if (len > FSY_MAX_CTL) {
		snprintf(err, errlen, "request too large (%zu bytes)", len);
		return FSY_TOOL_EXIT_USAGE;
	}
	m.type = FSY_MSG_CTL;
	m.u.ctl.json = req;
	m.u.ctl.len = len;
	if ((rv = fsy_msg_encode(&m, 0, &frame)) != FSY_OK) {
		snprintf(err, errlen, "cannot encode the request: %s",
		    fsy_strerror(rv));
		return FSY_TOOL_EXIT_FAILED;
	}
	if ((rv = nng_req0_open(&sock)) != 0) {
		snprintf(err, errlen, "cannot open a socket: %s",
		    nng_strerror(rv));
		goto out;
	}
	opened = 1;
	(void)nng_socket_set_ms(sock, NNG_OPT_REQ_RESENDTIME,
	    NNG_DURATION_INFINITE);
	(void)nng_socket_set_ms(sock, NNG_OPT_RECVTIMEO,
	    (nng_duration)timeout_s * 1000);
	(void)nng_socket_set_ms(sock, NNG_OPT_SENDTIMEO, 5000);
	(void)nng_socket_set_size(sock, NNG_OPT_RECVMAXSZ, FSY_MAX_FRAME);
	if ((rv = nng_dial(sock, url, NULL, 0)) != 0) {
		snprintf(err, errlen, "cannot reach fieldsyncd at %s: %s%s", url,
		    nng_strerror(rv), rv == NNG_ECONNREFUSED || rv == NNG_ENOENT
		    ? ": is it running?" : "");
		goto out;
	}
	if ((rv = nng_send(sock, frame.data, frame.len, 0)) != 0) {
		snprintf(err, errlen, "cannot send to fieldsyncd at %s: %s", url,
		    nng_strerror(rv));
		goto out;
	}
	if ((rv = nng_recv(sock, &buf, &sz, NNG_FLAG_ALLOC)) != 0) {
		if (rv == NNG_ETIMEDOUT)
			snprintf(err, errlen, "fieldsyncd at %s did not answer "
			    "within %d s (the command may still complete; see "
			    "--timeout)", url, timeout_s);
		else
			snprintf(err, errlen, "no reply from fieldsyncd at %s: %s",
			    url, nng_strerror(rv));
		goto out;
	}
	if ((rv = fsy_msg_decode(buf, sz, &m)) != FSY_OK) {
		snprintf(err, errlen, "fieldsyncd at %s sent a malformed reply: "
		    "%s", url, fsy_strerror(rv));
		goto out;
	}
	if (m.type == FSY_MSG_ERROR) {
		snprintf(err, errlen, "fieldsyncd at %s refused the request: %s",
		    url, m.u.error.message ? m.u.error.message
		    : fsy_strerror(m.u.error.code));
		goto out;
	}
	if (m.type != FSY_MSG_CTL_REPLY) {
		snprintf(err, errlen, "fieldsyncd at %s sent %s instead of a "
		    "command reply", url, fsy_msg_type_name(m.type));
		goto out;
	}
	if ((*reply = malloc(m.u.ctl.len + 1)) == NULL) {
		snprintf(err, errlen, "out of memory");
		rc = FSY_TOOL_EXIT_FAILED;
		goto out;
	}
	memcpy(*reply, m.u.ctl.json, m.u.ctl.len);
	(*reply)[m.u.ctl.len] = '\0';
	rc = FSY_TOOL_EXIT_OK;
out:
	fsy_msg_free(&m);
	if (buf != NULL)
		nng_free(buf, sz);
	if (opened)
		nng_close(sock);
	fsy_buf_free(&frame);
	return rc;
}
