/*
 * ctl.c — the CLI's control socket: REP on the ipc:// path of the config,
 * mode 0600 (only the daemon's user may connect). A CTL frame in, the
 * command run by fsy_cmd_run on the loop thread, a CTL_REPLY frame out; any
 * other frame gets an ERROR.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nng/nng.h>
#include <nng/protocol/reqrep0/rep.h>
#include <nng/transport/ipc/ipc.h>

#include "cmd.h"
#include "daemon_int.h"
#include "proto.h"
#include "tlscfg.h"
#include "util.h"

#define CTL_CONTEXTS 4

struct fsy__ctl {
	fsy_daemon_t *d;
	nng_socket sock;
	int sock_open;
	fsy__rep_t rep;
	int rep_started;
};

/* The command's name, for the log (never its arguments: personal data). */
static void
cmd_name(const char *json, size_t len, char *out, size_t n)
{
	json_t *j = json_loadb(json, len, 0, NULL);
	const char *s = j ? json_string_value(json_object_get(j, "cmd")) : NULL;

	snprintf(out, n, "%s", s ? s : "?");
	json_decref(j);
}

static nng_msg *
ctl_fn(void *arg, nng_msg *req)
{
	fsy__ctl_t *c = arg;
	fsy_daemon_t *d = c->d;
	fsy_cmd_ctx_t ctx;
	fsy_msg_t m, r;
	fsy_buf_t out = {0};
	nng_msg *rep = NULL;
	char *reply = NULL, name[64], role[16] = "";
	int64_t t0 = fsy_now_ms();
	int rc;

	memset(&m, 0, sizeof(m));
	rc = fsy_msg_decode(nng_msg_body(req), nng_msg_len(req), &m);
	nng_msg_free(req);
	if (rc != FSY_OK)
		return fsy__error_msg(rc, "malformed frame on the control socket",
		    0);
	if (m.type != FSY_MSG_CTL) {
		fsy_msg_free(&m);
		return fsy__error_msg(FSY_EPROTO, "the control socket takes CTL "
		    "frames only", 0);
	}

	memset(&ctx, 0, sizeof(ctx));
	ctx.st = d->st;
	ctx.role = d->cfg.role;
	ctx.datadir = d->cfg.datadir[0] ? d->cfg.datadir : NULL;
	if (d->cfg.role == FSY_ROLE_AGENT) {
		/* the role the hub gave this laptop at the last WELCOME */
		if (fsy_store_meta_text(d->st, "agent_role", role,
		    sizeof(role)) == FSY_OK)
			ctx.lead = strcmp(role, "lead") == 0;
		ctx.sync_now = fsy__agentnet_sync_now;
		ctx.sync_state = fsy__agentnet_sync_state;
		ctx.forward = fsy__agentnet_forward;
		ctx.arg = d->agent;
	}
	cmd_name(m.u.ctl.json, m.u.ctl.len, name, sizeof(name));
	rc = fsy_cmd_run(&ctx, m.u.ctl.json, m.u.ctl.len, &reply);
	fsy_msg_free(&m);
	fsy__daemon_idle(d);
	fsy_log(&d->log, FSY_LOG_DEBUG, "control: %s -> %s (%lld ms)", name,
	    fsy_errname(rc), (long long)(fsy_now_ms() - t0));
	if (reply == NULL)
		return fsy__error_msg(rc ? rc : FSY_ENOMEM, fsy_strerror(rc), 0);

	memset(&r, 0, sizeof(r));
	r.type = FSY_MSG_CTL_REPLY;
	r.u.ctl.json = reply;
	r.u.ctl.len = strlen(reply);
	rc = fsy_msg_encode(&r, d->cfg.compress, &out);
	if (rc != FSY_OK) {
		char msg[128];
		snprintf(msg, sizeof(msg), "the reply of %s cannot be sent: %s "
		    "(%zu bytes)", name, fsy_strerror(rc), r.u.ctl.len);
		fsy_log(&d->log, FSY_LOG_WARN, "control: %s", msg);
		rep = fsy__error_msg(rc, msg, 0);
	} else if (nng_msg_alloc(&rep, 0) != 0 ||
	    nng_msg_append(rep, out.data, out.len) != 0) {
		if (rep)
			nng_msg_free(rep);
		rep = NULL;
	}
	fsy_buf_free(&out);
	free(reply);
	return rep;
}

int
fsy__ctl_start(fsy_daemon_t *d, char *err, size_t errlen)
{
	fsy__ctl_t *c = calloc(1, sizeof(*c));
	nng_listener l;
	int rv;

	if (c == NULL) {
		snprintf(err, errlen, "out of memory");
		return FSY_ENOMEM;
	}
	d->ctl = c;
	c->d = d;
	if ((rv = nng_rep0_open(&c->sock)) != 0 ||
	    (c->sock_open = 1, rv = fsy__sock_setup(c->sock)) != 0 ||
	    (rv = fsy__rep_start(&c->rep, d, c->sock, CTL_CONTEXTS, ctl_fn,
	    c)) != 0) {
		snprintf(err, errlen, "control socket: %s", nng_strerror(rv));
		return fsy_err_from_nng(rv);
	}
	c->rep_started = 1;
	/* the mode is set before the socket file appears to anyone */
	if ((rv = nng_listener_create(&l, c->sock, d->cfg.control)) != 0 ||
	    (rv = nng_listener_set_int(l, NNG_OPT_IPC_PERMISSIONS, 0600)) != 0 ||
	    (rv = nng_listener_start(l, 0)) != 0) {
		snprintf(err, errlen, "[daemon] control = %s: %s", d->cfg.control,
		    nng_strerror(rv));
		return fsy_err_from_nng(rv);
	}
	fsy_log(&d->log, FSY_LOG_INFO, "control socket %s (mode 0600)",
	    d->cfg.control);
	return FSY_OK;
}

void
fsy__ctl_close(fsy_daemon_t *d)
{
	fsy__ctl_t *c = d->ctl;

	if (c == NULL)
		return;
	if (c->sock_open) {
		nng_close(c->sock);
		c->sock_open = 0;
	}
	if (c->rep_started)
		fsy__rep_stop(&c->rep);
}

void
fsy__ctl_free(fsy_daemon_t *d)
{
	fsy__ctl_t *c = d->ctl;

	if (c == NULL)
		return;
	fsy__ctl_close(d);
	if (c->rep_started)
		fsy__rep_fini(&c->rep);
	d->ctl = NULL;
	free(c);
}
