/* test_proto.c — the wire codec: round trips, limits, strict rejection. */
#include <dirent.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <msgpack.h>
#include <sodium.h>
#include <zstd.h>

#include "testutil.h"
#include "proto.h"
#include "proto_int.h"

#define U_DEV "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"
#define U_HUB "01900000-0000-7000-8000-000000000001"
#define U_AGENT "0190ffff-ffff-7fff-bfff-ffffffffffff"
#define U_ROW "01234567-89ab-cdef-0123-456789abcdef"
#define U_CUST "fedcba98-7654-3210-fedc-ba9876543210"

#define BIG 40 /* entries in a "big" sample: its body compresses */

/* ------------------------------------------------------------------------
 * Sample messages: every field set, lists of 2 or BIG entries.
 */

typedef struct sample {
	fsy_change_t ch[BIG];
	fsy_reject_t rej[BIG];
	char ids[BIG][37];
	char ids2[BIG][37];
	char json[2048];
	fsy_roster_team_t teams[BIG];
	fsy_roster_agent_t agents[BIG];
	char rids[BIG][24];  /* roster ids: text, not always UUIDs */
	char rcodes[BIG][16];
	char tids[BIG][24];
	char tcodes[BIG][16];
} sample_t;

static const char *const texts[] = {
	"", "王小明", "Zoë — 北京市朝阳区 🙂", "plain ascii",
};

static void
make_id(char out[37], unsigned i)
{
	snprintf(out, 37, "0190a1b2-c3d4-7e5f-8a9b-%012x", i);
}

static void
fill_changes(sample_t *s, int n)
{
	for (int i = 0; i < n; i++) {
		fsy_change_t *c = &s->ch[i];
		memset(c, 0, sizeof(*c));
		c->seq = 1000 + i;
		c->tbl = (uint8_t)(i % 6);
		c->col = (uint8_t)(i * 7 % 24);
		make_id(c->row_id, (unsigned)i);
		snprintf(c->customer_id, 37, "%s", U_CUST);
		c->hlc = ((uint64_t)1720000000000 << 16) + (uint64_t)i;
		switch (i % 6) {
		case 0:
			c->val.type = FSY_VAL_NULL;
			break;
		case 1:
			c->val.type = FSY_VAL_INT;
			c->val.i = -12345 * i;
			break;
		case 2:
			c->val.type = FSY_VAL_INT;
			c->val.i = i % 12 == 2 ? INT64_MAX : INT64_MIN;
			break;
		default:
			c->val.type = FSY_VAL_TEXT;
			c->val.s = texts[i % 4];
			c->val.n = strlen(texts[i % 4]);
			break;
		}
	}
}

/* Fills m with a message of the given type; big: lists of BIG entries. */
static void
sample_msg(sample_t *s, int type, int big, fsy_msg_t *m)
{
	int n = big ? BIG : 2;

	memset(m, 0, sizeof(*m));
	fill_changes(s, n);
	for (int i = 0; i < n; i++) {
		make_id(s->ids[i], 0x100u + (unsigned)i);
		make_id(s->ids2[i], 0x200u + (unsigned)i);
		s->rej[i].seq = 1000 + i;
		s->rej[i].code = i % 2 ? FSY_EREADONLY : FSY_ENOTOWNER;
		s->rej[i].reason = i % 2 ? "列为总部所有: card_no" : "";
		snprintf(s->rids[i], sizeof(s->rids[i]), "HR/%05d", i);
		snprintf(s->rcodes[i], sizeof(s->rcodes[i]), "BJ01A%05d", i);
		snprintf(s->tids[i], sizeof(s->tids[i]), "team-%d", i);
		snprintf(s->tcodes[i], sizeof(s->tcodes[i]), "T%02d", i);
		s->teams[i] = (fsy_roster_team_t){s->tids[i], s->tcodes[i],
		    i % 2 ? "二组" : "一组", i % 2 ? "" : s->rids[0],
		    "b-1", "BJ01", "北京分公司"};
		s->agents[i] = (fsy_roster_agent_t){s->rids[i], s->rcodes[i],
		    texts[i % 4], i % 3 ? s->tids[0] : "",
		    i == 0 ? "lead" : "agent", "agency",
		    i % 3 == 2 ? "departed" : "employed", "2015-01-01",
		    i % 3 == 2 ? "2024-06-30" : ""};
	}
	m->type = (fsy_msg_type_t)type;
	switch (type) {
	case FSY_MSG_ERROR:
		m->u.error.code = FSY_EAUTH;
		m->u.error.message = big ? "认证失败 — signature does not verify"
		                         : "authentication failed";
		m->u.error.retry_ms = UINT32_MAX;
		break;
	case FSY_MSG_HELLO:
		m->u.hello.proto = FSY_PROTO_VERSION;
		m->u.hello.schema = 1;
		snprintf(m->u.hello.device_id, 37, "%s", U_DEV);
		m->u.hello.software = "fieldsyncd/0.1.0";
		m->u.hello.log_seq = INT64_MAX;
		m->u.hello.pending = 17;
		m->u.hello.oldest_pending_ms = 1720000000123;
		m->u.hello.chain_seq = 4242;
		for (int i = 0; i < 32; i++) {
			m->u.hello.chain_hash[i] = (uint8_t)(0xa0 + i);
			m->u.hello.scope_hash[i] = (uint8_t)(0x10 * i + 1);
		}
		m->u.hello.has_scope_hash = !big;
		break;
	case FSY_MSG_CHALLENGE:
		for (int i = 0; i < 32; i++)
			m->u.challenge.nonce[i] = (uint8_t)(255 - i);
		snprintf(m->u.challenge.hub_id, 37, "%s", U_HUB);
		m->u.challenge.hub_time_ms = 1720000000999;
		break;
	case FSY_MSG_AUTH:
		snprintf(m->u.auth.device_id, 37, "%s", U_DEV);
		for (int i = 0; i < 64; i++)
			m->u.auth.sig[i] = (uint8_t)(i * 3);
		break;
	case FSY_MSG_WELCOME:
		snprintf(m->u.welcome.agent_id, 37, "%s", U_AGENT);
		m->u.welcome.role = big ? "lead" : "agent";
		m->u.welcome.push_seq = 999;
		m->u.welcome.pull_cursor = 123456789012;
		m->u.welcome.chain_ok = !big;
		m->u.welcome.hub_time_ms = 1;
		m->u.welcome.teams = s->teams;
		m->u.welcome.nteams = big ? 3 : 1;
		m->u.welcome.agents = s->agents;
		m->u.welcome.nagents = (uint32_t)n;
		break;
	case FSY_MSG_PUSH:
		m->u.push.cursor = 77;
		memset(m->u.push.head, 0x5a, 32);
		m->u.push.changes = s->ch;
		m->u.push.nchanges = (uint32_t)n;
		break;
	case FSY_MSG_ACK:
		m->u.ack.acked = 1001;
		m->u.ack.rejects = s->rej;
		m->u.ack.nrejects = (uint32_t)n;
		m->u.ack.corrections = s->ch;
		m->u.ack.ncorrections = (uint32_t)n;
		break;
	case FSY_MSG_PULL:
		m->u.pull.cursor = 0;
		m->u.pull.max_changes = 5000;
		m->u.pull.max_bytes = UINT32_MAX;
		m->u.pull.snap_acks = s->ids;
		m->u.pull.nsnap_acks = (uint32_t)n;
		m->u.pull.revoke_acks = s->ids2;
		m->u.pull.nrevoke_acks = (uint32_t)(n - 1);
		break;
	case FSY_MSG_BATCH:
		m->u.batch.cursor = 31337;
		m->u.batch.more = big;
		m->u.batch.changes = s->ch;
		m->u.batch.nchanges = (uint32_t)n;
		break;
	case FSY_MSG_SNAPSHOT:
		m->u.snapshot.customers = s->ids;
		m->u.snapshot.ncustomers = (uint32_t)n;
		m->u.snapshot.changes = s->ch;
		m->u.snapshot.nchanges = (uint32_t)n;
		m->u.snapshot.more = !big;
		break;
	case FSY_MSG_REVOKE:
		m->u.revoke.customers = s->ids;
		m->u.revoke.ncustomers = (uint32_t)n;
		break;
	case FSY_MSG_CTL:
	case FSY_MSG_CTL_REPLY: {
		size_t len = 0;
		len += (size_t)snprintf(s->json, sizeof(s->json),
		    "{\"cmd\":\"status\",\"args\":[");
		for (int i = 0; i < n; i++)
			len += (size_t)snprintf(s->json + len,
			    sizeof(s->json) - len, "%s\"客户编号%03d\"", i ? "," : "",
			    i);
		len += (size_t)snprintf(s->json + len, sizeof(s->json) - len,
		    "]}");
		m->u.ctl.json = s->json;
		m->u.ctl.len = len;
		break;
	}
	default:
		fail_msg("no sample for type %d", type);
	}
}

/* Encodes m, decodes it and checks the result equals m; returns the
 * frame's flags byte. */
static int
roundtrip(const fsy_msg_t *m, int compress)
{
	fsy_buf_t b = {0};
	fsy_msg_t d;
	int flags;

	assert_int_equal(fsy_msg_encode(m, compress, &b), FSY_OK);
	assert_true(b.len >= 5 && b.len <= FSY_MAX_FRAME);
	assert_int_equal(b.data[0], 0x94);
	assert_int_equal(b.data[1], FSY_PROTO_VERSION);
	assert_int_equal(b.data[2], m->type);
	flags = b.data[3];
	assert_int_equal(fsy_msg_decode(b.data, b.len, &d), FSY_OK);
	assert_int_equal(d.type, m->type);
	assert_true(fsy__msg_equal(m, &d));
	assert_non_null(d.arena);
	fsy_msg_free(&d);
	assert_null(d.arena);
	fsy_msg_free(&d); /* twice is harmless */
	fsy_buf_free(&b);
	return flags;
}

/* ------------------------------------------------------------------------
 * Raw frames built with msgpack-c, for inputs the encoder refuses to make.
 */

typedef struct mp {
	msgpack_sbuffer sb;
	msgpack_packer pk;
} mp_t;

static void
mp_init(mp_t *w)
{
	msgpack_sbuffer_init(&w->sb);
	msgpack_packer_init(&w->pk, &w->sb, msgpack_sbuffer_write);
}

/* Starts [1, type, 0, <body follows>]. */
static void
mp_head(mp_t *w, int type)
{
	mp_init(w);
	msgpack_pack_array(&w->pk, 4);
	msgpack_pack_uint8(&w->pk, FSY_PROTO_VERSION);
	msgpack_pack_int(&w->pk, type);
	msgpack_pack_uint8(&w->pk, 0);
}

static void
mp_key(mp_t *w, const char *k)
{
	msgpack_pack_str_with_body(&w->pk, k, strlen(k));
}

static void
mp_bin(mp_t *w, uint8_t fill, size_t n)
{
	uint8_t b[128];

	assert_true(n <= sizeof(b));
	memset(b, fill, n);
	msgpack_pack_bin_with_body(&w->pk, b, n);
}

static void
mp_change(mp_t *w)
{
	msgpack_pack_array(&w->pk, 7);
	msgpack_pack_uint8(&w->pk, 0);
	msgpack_pack_uint8(&w->pk, 0);
	msgpack_pack_uint8(&w->pk, 0);
	mp_bin(w, 1, 16);
	mp_bin(w, 2, 16);
	msgpack_pack_uint8(&w->pk, 0);
	msgpack_pack_nil(&w->pk);
}

/* Decodes the buffer, frees it, and returns the decoder's answer; on
 * success the message must round-trip through the encoder. */
static int
mp_decode(mp_t *w)
{
	fsy_msg_t m;
	int rv = fsy_msg_decode((const uint8_t *)w->sb.data, w->sb.size, &m);

	if (rv == FSY_OK) {
		fsy_buf_t b = {0};
		fsy_msg_t m2;
		assert_int_equal(fsy_msg_encode(&m, 1, &b), FSY_OK);
		assert_int_equal(fsy_msg_decode(b.data, b.len, &m2), FSY_OK);
		assert_true(fsy__msg_equal(&m, &m2));
		fsy_msg_free(&m2);
		fsy_buf_free(&b);
	} else {
		assert_null(m.arena);
	}
	fsy_msg_free(&m);
	msgpack_sbuffer_destroy(&w->sb);
	return rv;
}

/* A frame with a zstd-compressed body: [1, type, 1, bin(zstd(body))]. */
static int
decode_zbody(int type, const void *zbody, size_t zlen)
{
	mp_t w;

	mp_init(&w);
	msgpack_pack_array(&w.pk, 4);
	msgpack_pack_uint8(&w.pk, FSY_PROTO_VERSION);
	msgpack_pack_int(&w.pk, type);
	msgpack_pack_uint8(&w.pk, FSY_FRAME_ZSTD);
	msgpack_pack_bin_with_body(&w.pk, zbody, zlen);
	return mp_decode(&w);
}

/* ------------------------------------------------------------------------
 * Round trips.
 */

static void
test_roundtrip_every_type(void **state)
{
	(void)state;
	sample_t *s = malloc(sizeof(*s));
	fsy_msg_t m;

	assert_non_null(s);
	for (int t = 0; t <= FSY_MSG_TYPE_MAX; t++) {
		for (int big = 0; big <= 1; big++) {
			sample_msg(s, t, big, &m);
			assert_int_equal(roundtrip(&m, 0), 0);
			int flags = roundtrip(&m, 1);
			/* lists of BIG entries make bodies > 512 bytes that
			 * compress; the small samples stay plain */
			int listy = t == FSY_MSG_WELCOME ||
			    t == FSY_MSG_PUSH || t == FSY_MSG_ACK ||
			    t == FSY_MSG_PULL || t == FSY_MSG_BATCH ||
			    t == FSY_MSG_SNAPSHOT || t == FSY_MSG_REVOKE ||
			    t == FSY_MSG_CTL || t == FSY_MSG_CTL_REPLY;
			if (flags != (big && listy ? FSY_FRAME_ZSTD : 0))
				fail_msg("%s big=%d: flags %d",
				    fsy_msg_type_name(t), big, flags);
		}
	}
	free(s);
}

static void
test_roundtrip_values(void **state)
{
	(void)state;
	static char big[FSY_VAL_MAX_TEXT];
	static const char nul[] = {'a', 0, 'b'};
	const struct {
		fsy_valtype_t type;
		int64_t i;
		const char *s;
		size_t n;
	} vals[] = {
		{FSY_VAL_NULL, 0, NULL, 0},
		{FSY_VAL_INT, 0, NULL, 0},
		{FSY_VAL_INT, 1, NULL, 0},
		{FSY_VAL_INT, -1, NULL, 0},
		{FSY_VAL_INT, -32, NULL, 0},
		{FSY_VAL_INT, -33, NULL, 0},
		{FSY_VAL_INT, 127, NULL, 0},
		{FSY_VAL_INT, 128, NULL, 0},
		{FSY_VAL_INT, INT32_MIN, NULL, 0},
		{FSY_VAL_INT, (int64_t)UINT32_MAX + 1, NULL, 0},
		{FSY_VAL_INT, INT64_MIN, NULL, 0},
		{FSY_VAL_INT, INT64_MAX, NULL, 0},
		{FSY_VAL_TEXT, 0, "", 0},
		{FSY_VAL_TEXT, 0, NULL, 0},
		{FSY_VAL_TEXT, 0, "王小明 Zoë 🙂", strlen("王小明 Zoë 🙂")},
		{FSY_VAL_TEXT, 0, nul, sizeof(nul)},
		{FSY_VAL_TEXT, 0, big, sizeof(big)},
	};
	fsy_change_t c;
	fsy_msg_t m, d;
	fsy_buf_t b = {0};

	memset(big, 'x', sizeof(big));
	for (size_t k = 0; k < sizeof(vals) / sizeof(vals[0]); k++) {
		memset(&c, 0, sizeof(c));
		c.seq = k % 2 ? INT64_MAX : 0;
		c.tbl = k % 2 ? 255 : 0;
		c.col = k % 2 ? 0 : 255;
		snprintf(c.row_id, 37, "%s", U_ROW);
		snprintf(c.customer_id, 37, "%s", U_CUST);
		c.hlc = k % 2 ? UINT64_MAX : 0;
		c.val.type = vals[k].type;
		c.val.i = vals[k].i;
		c.val.s = vals[k].s;
		c.val.n = vals[k].n;
		memset(&m, 0, sizeof(m));
		m.type = FSY_MSG_BATCH;
		m.u.batch.changes = &c;
		m.u.batch.nchanges = 1;
		for (int z = 0; z <= 1; z++) {
			roundtrip(&m, z);
			assert_int_equal(fsy_msg_encode(&m, z, &b), FSY_OK);
			assert_int_equal(fsy_msg_decode(b.data, b.len, &d),
			    FSY_OK);
			const fsy_val_t *v = &d.u.batch.changes[0].val;
			assert_int_equal(v->type, vals[k].type);
			if (v->type == FSY_VAL_TEXT) {
				/* a NUL-terminated copy in the arena */
				assert_int_equal(v->n, vals[k].n);
				assert_int_equal(v->s[v->n], '\0');
				assert_true(v->s != vals[k].s);
			}
			assert_string_equal(d.u.batch.changes[0].row_id, U_ROW);
			fsy_msg_free(&d);
		}
	}
	fsy_buf_free(&b);
}

static void
test_roundtrip_empty_lists(void **state)
{
	(void)state;
	fsy_msg_t m;

	memset(&m, 0, sizeof(m));
	m.type = FSY_MSG_PUSH;
	assert_int_equal(roundtrip(&m, 1), 0);
	m.type = FSY_MSG_ACK;
	assert_int_equal(roundtrip(&m, 1), 0);
	m.type = FSY_MSG_PULL;
	assert_int_equal(roundtrip(&m, 1), 0);
	m.type = FSY_MSG_BATCH;
	assert_int_equal(roundtrip(&m, 1), 0);
	m.type = FSY_MSG_SNAPSHOT;
	assert_int_equal(roundtrip(&m, 1), 0);
	m.type = FSY_MSG_REVOKE;
	assert_int_equal(roundtrip(&m, 1), 0);
	/* empty strings and NULL strings both travel as "" */
	m.type = FSY_MSG_CTL;
	assert_int_equal(roundtrip(&m, 0), 0);
	m.type = FSY_MSG_ERROR;
	assert_int_equal(roundtrip(&m, 0), 0);
	fsy_msg_t d;
	fsy_buf_t b = {0};
	assert_int_equal(fsy_msg_encode(&m, 0, &b), FSY_OK);
	assert_int_equal(fsy_msg_decode(b.data, b.len, &d), FSY_OK);
	assert_non_null(d.u.error.message);
	assert_string_equal(d.u.error.message, "");
	fsy_msg_free(&d);
	fsy_buf_free(&b);
}

/* Lists exactly at their limit pass; one more is refused by the encoder. */
static void
test_limits_encode(void **state)
{
	(void)state;
	fsy_change_t *ch = calloc(FSY_MAX_CHANGES + 1, sizeof(*ch));
	char(*ids)[37] = calloc(FSY_MAX_IDS + 1, sizeof(*ids));
	fsy_reject_t *rej = calloc(FSY_MAX_REJECTS + 1, sizeof(*rej));
	char *str = malloc(FSY_MAX_CTL + 2);
	fsy_msg_t m;
	fsy_buf_t b = {0};

	assert_true(ch && ids && rej && str);
	for (int i = 0; i <= FSY_MAX_CHANGES; i++) {
		ch[i].seq = i + 1;
		make_id(ch[i].row_id, (unsigned)i);
		make_id(ch[i].customer_id, (unsigned)i / 10);
		ch[i].val.type = FSY_VAL_INT;
		ch[i].val.i = i;
	}
	for (int i = 0; i <= FSY_MAX_IDS; i++)
		make_id(ids[i], (unsigned)i);
	for (int i = 0; i <= FSY_MAX_REJECTS; i++) {
		rej[i].seq = i;
		rej[i].code = FSY_EPERM;
		rej[i].reason = "lead";
	}

	memset(&m, 0, sizeof(m));
	m.type = FSY_MSG_PUSH;
	m.u.push.changes = ch;
	m.u.push.nchanges = FSY_MAX_CHANGES;
	roundtrip(&m, 0);
	roundtrip(&m, 1);
	m.u.push.nchanges = FSY_MAX_CHANGES + 1;
	assert_int_equal(fsy_msg_encode(&m, 1, &b), FSY_EINVAL);
	assert_null(b.data);
	assert_int_equal(b.len, 0);

	memset(&m, 0, sizeof(m));
	m.type = FSY_MSG_PULL;
	m.u.pull.snap_acks = ids;
	m.u.pull.nsnap_acks = FSY_MAX_IDS;
	m.u.pull.revoke_acks = ids;
	m.u.pull.nrevoke_acks = FSY_MAX_IDS;
	roundtrip(&m, 0);
	m.u.pull.nrevoke_acks = FSY_MAX_IDS + 1;
	assert_int_equal(fsy_msg_encode(&m, 0, &b), FSY_EINVAL);

	memset(&m, 0, sizeof(m));
	m.type = FSY_MSG_SNAPSHOT;
	m.u.snapshot.customers = ids;
	m.u.snapshot.ncustomers = FSY_MAX_IDS;
	roundtrip(&m, 1);
	m.u.snapshot.ncustomers = FSY_MAX_IDS + 1;
	assert_int_equal(fsy_msg_encode(&m, 0, &b), FSY_EINVAL);

	memset(&m, 0, sizeof(m));
	m.type = FSY_MSG_REVOKE;
	m.u.revoke.customers = ids;
	m.u.revoke.ncustomers = FSY_MAX_IDS;
	roundtrip(&m, 0);
	m.u.revoke.ncustomers = FSY_MAX_IDS + 1;
	assert_int_equal(fsy_msg_encode(&m, 0, &b), FSY_EINVAL);

	memset(&m, 0, sizeof(m));
	m.type = FSY_MSG_ACK;
	m.u.ack.rejects = rej;
	m.u.ack.nrejects = FSY_MAX_REJECTS;
	m.u.ack.corrections = ch;
	m.u.ack.ncorrections = FSY_MAX_CHANGES;
	roundtrip(&m, 1);
	m.u.ack.nrejects = FSY_MAX_REJECTS + 1;
	assert_int_equal(fsy_msg_encode(&m, 0, &b), FSY_EINVAL);
	m.u.ack.nrejects = 1;
	m.u.ack.ncorrections = FSY_MAX_CHANGES + 1;
	assert_int_equal(fsy_msg_encode(&m, 0, &b), FSY_EINVAL);

	/* short strings: FSY_MAX_STR bytes pass, one more does not */
	memset(str, 'r', FSY_MAX_STR + 1);
	str[FSY_MAX_STR] = '\0';
	memset(&m, 0, sizeof(m));
	m.type = FSY_MSG_ERROR;
	m.u.error.message = str;
	roundtrip(&m, 0);
	m.type = FSY_MSG_WELCOME;
	snprintf(m.u.welcome.agent_id, 37, "%s", U_AGENT);
	m.u.welcome.role = str;
	roundtrip(&m, 1);
	str[FSY_MAX_STR] = 'r';
	str[FSY_MAX_STR + 1] = '\0';
	assert_int_equal(fsy_msg_encode(&m, 0, &b), FSY_EINVAL);
	m.type = FSY_MSG_ERROR;
	m.u.error.message = str;
	assert_int_equal(fsy_msg_encode(&m, 0, &b), FSY_EINVAL);
	memset(&m, 0, sizeof(m));
	m.type = FSY_MSG_ACK;
	rej[0].reason = str;
	m.u.ack.rejects = rej;
	m.u.ack.nrejects = 1;
	assert_int_equal(fsy_msg_encode(&m, 0, &b), FSY_EINVAL);
	memset(&m, 0, sizeof(m));
	m.type = FSY_MSG_HELLO;
	snprintf(m.u.hello.device_id, 37, "%s", U_DEV);
	m.u.hello.software = str;
	assert_int_equal(fsy_msg_encode(&m, 0, &b), FSY_EINVAL);

	/* control JSON: FSY_MAX_CTL bytes pass (plain and compressed) */
	memset(str, ' ', FSY_MAX_CTL + 1);
	str[0] = '{';
	str[FSY_MAX_CTL - 1] = '}';
	memset(&m, 0, sizeof(m));
	m.type = FSY_MSG_CTL_REPLY;
	m.u.ctl.json = str;
	m.u.ctl.len = FSY_MAX_CTL;
	assert_int_equal(roundtrip(&m, 0), 0);
	assert_int_equal(roundtrip(&m, 1), FSY_FRAME_ZSTD);
	m.u.ctl.len = FSY_MAX_CTL + 1;
	assert_int_equal(fsy_msg_encode(&m, 1, &b), FSY_EINVAL);

	/* text values: FSY_VAL_MAX_TEXT passes, one more does not */
	memset(&m, 0, sizeof(m));
	m.type = FSY_MSG_BATCH;
	ch[0].val.type = FSY_VAL_TEXT;
	ch[0].val.s = str;
	ch[0].val.n = FSY_VAL_MAX_TEXT;
	m.u.batch.changes = ch;
	m.u.batch.nchanges = 1;
	roundtrip(&m, 0);
	ch[0].val.n = FSY_VAL_MAX_TEXT + 1;
	assert_int_equal(fsy_msg_encode(&m, 0, &b), FSY_EINVAL);

	free(str);
	free(rej);
	free(ids);
	free(ch);
}

/* A frame over FSY_MAX_FRAME: refused on encode unless compression
 * shrinks it. */
static void
test_frame_size_encode(void **state)
{
	(void)state;
	enum { N = 300 };
	fsy_change_t *ch = calloc(N, sizeof(*ch));
	char *text = malloc(FSY_VAL_MAX_TEXT);
	fsy_msg_t m;
	fsy_buf_t b = {0};

	assert_true(ch && text);
	/* incompressible text: 300 x 64 KiB = 19.7 MB of body */
	randombytes_buf_deterministic((unsigned char *)text, FSY_VAL_MAX_TEXT,
	    (const unsigned char *)"0123456789abcdef0123456789abcdef");
	for (int i = 0; i < N; i++) {
		make_id(ch[i].row_id, (unsigned)i);
		make_id(ch[i].customer_id, 1);
		ch[i].val.type = FSY_VAL_TEXT;
		ch[i].val.s = text;
		ch[i].val.n = FSY_VAL_MAX_TEXT;
	}
	memset(&m, 0, sizeof(m));
	m.type = FSY_MSG_SNAPSHOT;
	m.u.snapshot.changes = ch;
	m.u.snapshot.nchanges = N;
	assert_int_equal(fsy_msg_encode(&m, 0, &b), FSY_EINVAL);
	assert_null(b.data);
	/* every value the same: zstd finds the repeats */
	assert_int_equal(fsy_msg_encode(&m, 1, &b), FSY_OK);
	assert_int_equal(b.data[3], FSY_FRAME_ZSTD);
	assert_true(b.len < FSY_MAX_FRAME);
	fsy_msg_t d;
	assert_int_equal(fsy_msg_decode(b.data, b.len, &d), FSY_OK);
	assert_true(fsy__msg_equal(&m, &d));
	fsy_msg_free(&d);
	fsy_buf_free(&b);
	free(text);
	free(ch);
}

/* Compression only for bodies over 512 bytes, and only when smaller. */
static void
test_compression_threshold(void **state)
{
	(void)state;
	static char json[4096];
	static char noise[4096];
	fsy_msg_t m;
	fsy_buf_t b = {0};

	memset(json, 'a', sizeof(json));
	memset(&m, 0, sizeof(m));
	m.type = FSY_MSG_CTL;
	m.u.ctl.json = json;
	/* body = map(1) + "json"(5) + str16 header(3) + len */
	m.u.ctl.len = 512 - 9;
	assert_int_equal(fsy_msg_encode(&m, 1, &b), FSY_OK);
	assert_int_equal(b.data[3], 0);
	assert_int_equal(b.len, 4 + 512);
	m.u.ctl.len = 513 - 9;
	assert_int_equal(fsy_msg_encode(&m, 1, &b), FSY_OK);
	assert_int_equal(b.data[3], FSY_FRAME_ZSTD);
	assert_true(b.len < 4 + 100);
	assert_int_equal(fsy_msg_encode(&m, 0, &b), FSY_OK);
	assert_int_equal(b.data[3], 0);
	assert_int_equal(b.len, 4 + 513);
	/* incompressible: sent plain even when asked */
	randombytes_buf_deterministic((unsigned char *)noise, sizeof(noise),
	    (const unsigned char *)"abcdefghabcdefghabcdefghabcdefgh");
	for (size_t i = 0; i < sizeof(noise); i++)
		if (noise[i] == 0)
			noise[i] = 1;
	m.u.ctl.json = noise;
	m.u.ctl.len = sizeof(noise);
	assert_int_equal(fsy_msg_encode(&m, 1, &b), FSY_OK);
	assert_int_equal(b.data[3], 0);
	/* out is reused: reset, not appended to */
	size_t len = b.len;
	assert_int_equal(fsy_msg_encode(&m, 1, &b), FSY_OK);
	assert_int_equal(b.len, len);
	fsy_buf_free(&b);
	fsy_buf_free(&b);
}

static void
test_encode_invalid(void **state)
{
	(void)state;
	static const char *const bad_ids[] = {
		"", "0190A1B2-C3D4-7E5F-8A9B-0C1D2E3F4A5B",
		"0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5",
		"0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5bb",
		"0190a1b2c-3d4-7e5f-8a9b-0c1d2e3f4a5b",
		"0190a1b2-c3d4-7e5f-8a9b_0c1d2e3f4a5b",
		"0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5g",
		"{190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b",
		"0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a-b",
	};
	sample_t *s = malloc(sizeof(*s));
	fsy_msg_t m;
	fsy_buf_t b = {0};
	uint8_t u[16];

	assert_non_null(s);
	for (size_t i = 0; i < sizeof(bad_ids) / sizeof(bad_ids[0]); i++) {
		assert_int_equal(fsy__uuid_to_bin(bad_ids[i], u), FSY_EINVAL);
		if (strlen(bad_ids[i]) > 36)
			continue; /* does not fit the char[37] fields */
		sample_msg(s, FSY_MSG_AUTH, 0, &m);
		snprintf(m.u.auth.device_id, 37, "%s", bad_ids[i]);
		assert_int_equal(fsy_msg_encode(&m, 0, &b), FSY_EINVAL);
		sample_msg(s, FSY_MSG_PUSH, 0, &m);
		snprintf(s->ch[1].customer_id, 37, "%s", bad_ids[i]);
		assert_int_equal(fsy_msg_encode(&m, 0, &b), FSY_EINVAL);
		sample_msg(s, FSY_MSG_REVOKE, 0, &m);
		snprintf(s->ids[1], 37, "%s", bad_ids[i]);
		assert_int_equal(fsy_msg_encode(&m, 1, &b), FSY_EINVAL);
	}
	assert_int_equal(fsy__uuid_to_bin(NULL, u), FSY_EINVAL);
	/* an id field filled without its NUL */
	sample_msg(s, FSY_MSG_WELCOME, 0, &m);
	memset(m.u.welcome.agent_id, 'a', 37);
	assert_int_equal(fsy_msg_encode(&m, 0, &b), FSY_EINVAL);

	/* negative seqs, cursors, times */
	sample_msg(s, FSY_MSG_PUSH, 0, &m);
	s->ch[0].seq = -1;
	assert_int_equal(fsy_msg_encode(&m, 0, &b), FSY_EINVAL);
	sample_msg(s, FSY_MSG_PUSH, 0, &m);
	m.u.push.cursor = -1;
	assert_int_equal(fsy_msg_encode(&m, 0, &b), FSY_EINVAL);
	sample_msg(s, FSY_MSG_HELLO, 0, &m);
	m.u.hello.oldest_pending_ms = INT64_MIN;
	assert_int_equal(fsy_msg_encode(&m, 0, &b), FSY_EINVAL);
	sample_msg(s, FSY_MSG_ACK, 0, &m);
	s->rej[1].seq = -5;
	assert_int_equal(fsy_msg_encode(&m, 0, &b), FSY_EINVAL);
	sample_msg(s, FSY_MSG_WELCOME, 0, &m);
	m.u.welcome.hub_time_ms = -1;
	assert_int_equal(fsy_msg_encode(&m, 0, &b), FSY_EINVAL);

	/* bad values, lists without storage, unknown type */
	sample_msg(s, FSY_MSG_BATCH, 0, &m);
	s->ch[0].val.type = (fsy_valtype_t)3;
	assert_int_equal(fsy_msg_encode(&m, 0, &b), FSY_EINVAL);
	sample_msg(s, FSY_MSG_BATCH, 0, &m);
	s->ch[0].val.type = FSY_VAL_TEXT;
	s->ch[0].val.s = NULL;
	s->ch[0].val.n = 3;
	assert_int_equal(fsy_msg_encode(&m, 0, &b), FSY_EINVAL);
	sample_msg(s, FSY_MSG_BATCH, 0, &m);
	m.u.batch.changes = NULL;
	assert_int_equal(fsy_msg_encode(&m, 0, &b), FSY_EINVAL);
	sample_msg(s, FSY_MSG_PULL, 0, &m);
	m.u.pull.revoke_acks = NULL;
	assert_int_equal(fsy_msg_encode(&m, 0, &b), FSY_EINVAL);
	sample_msg(s, FSY_MSG_ACK, 0, &m);
	m.u.ack.rejects = NULL;
	assert_int_equal(fsy_msg_encode(&m, 0, &b), FSY_EINVAL);
	memset(&m, 0, sizeof(m));
	m.type = (fsy_msg_type_t)(FSY_MSG_TYPE_MAX + 1);
	assert_int_equal(fsy_msg_encode(&m, 0, &b), FSY_EINVAL);
	m.type = FSY_MSG_CTL;
	m.u.ctl.json = "{\"a\":\0}";
	m.u.ctl.len = 7;
	assert_int_equal(fsy_msg_encode(&m, 0, &b), FSY_EINVAL);
	m.u.ctl.json = NULL;
	m.u.ctl.len = 1;
	assert_int_equal(fsy_msg_encode(&m, 0, &b), FSY_EINVAL);
	assert_int_equal(fsy_msg_encode(NULL, 0, &b), FSY_EINVAL);
	assert_int_equal(fsy_msg_encode(&m, 0, NULL), FSY_EINVAL);

	/* a failed encode leaves out empty, even when it held a frame */
	sample_msg(s, FSY_MSG_HELLO, 0, &m);
	assert_int_equal(fsy_msg_encode(&m, 0, &b), FSY_OK);
	assert_non_null(b.data);
	m.u.hello.log_seq = -1;
	assert_int_equal(fsy_msg_encode(&m, 0, &b), FSY_EINVAL);
	assert_null(b.data);
	assert_int_equal(b.len, 0);
	assert_int_equal(b.cap, 0);
	free(s);
}

/* ------------------------------------------------------------------------
 * Rejection.
 */

static void
test_truncations(void **state)
{
	(void)state;
	sample_t *s = malloc(sizeof(*s));
	fsy_msg_t m, d;
	fsy_buf_t b = {0};

	assert_non_null(s);
	for (int t = 0; t <= FSY_MSG_TYPE_MAX; t++) {
		for (int big = 0; big <= 1; big++) {
			sample_msg(s, t, big, &m);
			assert_int_equal(fsy_msg_encode(&m, big, &b), FSY_OK);
			uint8_t *copy = malloc(b.len);
			assert_non_null(copy);
			for (size_t n = 0; n < b.len; n++) {
				/* an exact-size copy: ASan sees any overread */
				memcpy(copy, b.data, n);
				memset(&d, 0xee, sizeof(d));
				assert_int_equal(fsy_msg_decode(copy, n, &d),
				    FSY_EMALFORMED);
				assert_null(d.arena);
				fsy_msg_free(&d);
			}
			memcpy(copy, b.data, b.len);
			assert_int_equal(fsy_msg_decode(copy, b.len, &d),
			    FSY_OK);
			fsy_msg_free(&d);
			free(copy);
		}
	}
	fsy_buf_free(&b);
	free(s);
}

static void
test_header_rejects(void **state)
{
	(void)state;
	mp_t w;
	fsy_msg_t m;

	assert_int_equal(fsy_msg_decode(NULL, 0, &m), FSY_EMALFORMED);
	assert_int_equal(fsy_msg_decode((const uint8_t *)"", 0, &m),
	    FSY_EMALFORMED);

	/* another version: EVERSION whatever follows */
	const uint64_t versions[] = {0, 2, 255, UINT64_MAX};
	for (size_t i = 0; i < 4; i++) {
		mp_init(&w);
		msgpack_pack_array(&w.pk, 4);
		msgpack_pack_uint64(&w.pk, versions[i]);
		msgpack_pack_uint8(&w.pk, FSY_MSG_HELLO);
		msgpack_pack_uint8(&w.pk, 0);
		msgpack_pack_map(&w.pk, 0);
		assert_int_equal(mp_decode(&w), FSY_EVERSION);
	}
	mp_init(&w);
	msgpack_pack_array(&w.pk, 7);
	msgpack_pack_uint8(&w.pk, 2);
	msgpack_pack_str_with_body(&w.pk, "future", 6);
	assert_int_equal(mp_decode(&w), FSY_EVERSION);
	mp_init(&w);
	msgpack_pack_array(&w.pk, 1);
	msgpack_pack_uint8(&w.pk, 3);
	assert_int_equal(mp_decode(&w), FSY_EVERSION);

	/* version 1 must be [1, type, flags, body] exactly */
	mp_init(&w);
	msgpack_pack_array(&w.pk, 1);
	msgpack_pack_uint8(&w.pk, 1);
	assert_int_equal(mp_decode(&w), FSY_EMALFORMED);
	mp_init(&w);
	msgpack_pack_array(&w.pk, 5);
	msgpack_pack_uint8(&w.pk, 1);
	msgpack_pack_uint8(&w.pk, FSY_MSG_REVOKE);
	msgpack_pack_uint8(&w.pk, 0);
	msgpack_pack_map(&w.pk, 1);
	mp_key(&w, "cust");
	msgpack_pack_array(&w.pk, 0);
	msgpack_pack_nil(&w.pk);
	assert_int_equal(mp_decode(&w), FSY_EMALFORMED);
	mp_init(&w);
	msgpack_pack_array(&w.pk, 0);
	assert_int_equal(mp_decode(&w), FSY_EMALFORMED);
	mp_init(&w);
	msgpack_pack_map(&w.pk, 0);
	assert_int_equal(mp_decode(&w), FSY_EMALFORMED);
	mp_init(&w);
	msgpack_pack_array(&w.pk, 4);
	msgpack_pack_int8(&w.pk, -1);
	assert_int_equal(mp_decode(&w), FSY_EMALFORMED);
	mp_init(&w);
	msgpack_pack_array(&w.pk, 4);
	msgpack_pack_str_with_body(&w.pk, "1", 1);
	assert_int_equal(mp_decode(&w), FSY_EMALFORMED);

	/* the version as int8 0xd0 0x01 is an integer 1 all the same */
	mp_init(&w);
	msgpack_pack_array(&w.pk, 4);
	msgpack_sbuffer_write(&w.sb, "\xd0\x01\xd1\x00\x0a\xcf\0\0\0\0\0\0\0\0",
	    14);
	msgpack_pack_map(&w.pk, 1);
	mp_key(&w, "cust");
	msgpack_pack_array(&w.pk, 0);
	assert_int_equal(mp_decode(&w), FSY_OK);

	/* unknown types and flags */
	const int64_t types[] = {FSY_MSG_TYPE_MAX + 1, 255, -1};
	for (size_t i = 0; i < 3; i++) {
		mp_init(&w);
		msgpack_pack_array(&w.pk, 4);
		msgpack_pack_uint8(&w.pk, 1);
		msgpack_pack_int64(&w.pk, types[i]);
		msgpack_pack_uint8(&w.pk, 0);
		msgpack_pack_map(&w.pk, 0);
		assert_int_equal(mp_decode(&w), FSY_EMALFORMED);
	}
	const int flags[] = {2, 3, 0x80, -1};
	for (size_t i = 0; i < 4; i++) {
		mp_init(&w);
		msgpack_pack_array(&w.pk, 4);
		msgpack_pack_uint8(&w.pk, 1);
		msgpack_pack_uint8(&w.pk, FSY_MSG_REVOKE);
		msgpack_pack_int(&w.pk, flags[i]);
		msgpack_pack_map(&w.pk, 1);
		mp_key(&w, "cust");
		msgpack_pack_array(&w.pk, 0);
		assert_int_equal(mp_decode(&w), FSY_EMALFORMED);
	}
	/* zstd flag on a plain map body, plain flag on a bin body */
	mp_init(&w);
	msgpack_pack_array(&w.pk, 4);
	msgpack_pack_uint8(&w.pk, 1);
	msgpack_pack_uint8(&w.pk, FSY_MSG_REVOKE);
	msgpack_pack_uint8(&w.pk, FSY_FRAME_ZSTD);
	msgpack_pack_map(&w.pk, 1);
	mp_key(&w, "cust");
	msgpack_pack_array(&w.pk, 0);
	assert_int_equal(mp_decode(&w), FSY_EMALFORMED);
	mp_head(&w, FSY_MSG_REVOKE);
	mp_bin(&w, 0, 8);
	assert_int_equal(mp_decode(&w), FSY_EMALFORMED);
	/* a body that is not a map */
	mp_head(&w, FSY_MSG_REVOKE);
	msgpack_pack_array(&w.pk, 0);
	assert_int_equal(mp_decode(&w), FSY_EMALFORMED);
	/* the never-used byte 0xc1 */
	mp_head(&w, FSY_MSG_REVOKE);
	msgpack_sbuffer_write(&w.sb, "\xc1", 1);
	assert_int_equal(mp_decode(&w), FSY_EMALFORMED);
}

/* Replacements tried for every body field. */
typedef enum {
	B_NIL, B_TRUE, B_NEG, B_POS, B_BIGU, B_STR, B_BIN3, B_BIN16, B_BIN32,
	B_BIN64, B_FLOAT, B_ARR, B_MAP, B_NBAD
} bad_t;

static msgpack_object
bad_obj(bad_t k)
{
	static const char zeros[64];
	msgpack_object o;

	memset(&o, 0, sizeof(o));
	switch (k) {
	case B_NIL:
		o.type = MSGPACK_OBJECT_NIL;
		break;
	case B_TRUE:
		o.type = MSGPACK_OBJECT_BOOLEAN;
		o.via.boolean = true;
		break;
	case B_NEG:
		o.type = MSGPACK_OBJECT_NEGATIVE_INTEGER;
		o.via.i64 = -1;
		break;
	case B_POS:
		o.type = MSGPACK_OBJECT_POSITIVE_INTEGER;
		o.via.u64 = 7;
		break;
	case B_BIGU:
		o.type = MSGPACK_OBJECT_POSITIVE_INTEGER;
		o.via.u64 = (uint64_t)INT64_MAX + 1;
		break;
	case B_STR:
		o.type = MSGPACK_OBJECT_STR;
		o.via.str.ptr = "x";
		o.via.str.size = 1;
		break;
	case B_BIN3:
	case B_BIN16:
	case B_BIN32:
	case B_BIN64:
		o.type = MSGPACK_OBJECT_BIN;
		o.via.bin.ptr = zeros;
		o.via.bin.size = k == B_BIN3 ? 3 : k == B_BIN16 ? 16 :
		    k == B_BIN32 ? 32 : 64;
		break;
	case B_FLOAT:
		o.type = MSGPACK_OBJECT_FLOAT64;
		o.via.f64 = 1.5;
		break;
	case B_ARR:
		o.type = MSGPACK_OBJECT_ARRAY;
		break;
	default:
		o.type = MSGPACK_OBJECT_MAP;
		break;
	}
	return o;
}

/* Whether replacing orig by bad k keeps the message valid. */
static int
bad_is_valid(const msgpack_object *orig, bad_t k, int signed_ok,
    uint64_t umax)
{
	msgpack_object o = bad_obj(k);

	switch (orig->type) {
	case MSGPACK_OBJECT_POSITIVE_INTEGER:
	case MSGPACK_OBJECT_NEGATIVE_INTEGER:
		if (o.type == MSGPACK_OBJECT_POSITIVE_INTEGER)
			return o.via.u64 <= umax;
		return o.type == MSGPACK_OBJECT_NEGATIVE_INTEGER && signed_ok;
	case MSGPACK_OBJECT_BIN:
		return o.type == MSGPACK_OBJECT_BIN &&
		    o.via.bin.size == orig->via.bin.size;
	default:
		return o.type == orig->type;
	}
}

static void
pack_frame_obj(mp_t *w, int type, const msgpack_object *body)
{
	mp_head(w, type);
	msgpack_pack_object(&w->pk, *body);
}

/* The largest value an integer field accepts. */
static uint64_t
field_umax(int type, const char *key)
{
	if (strcmp(key, "code") == 0)
		return INT32_MAX;
	if (strcmp(key, "retry") == 0 || strcmp(key, "proto") == 0 ||
	    strcmp(key, "schema") == 0 || strcmp(key, "maxc") == 0 ||
	    strcmp(key, "maxb") == 0)
		return UINT32_MAX;
	(void)type;
	return INT64_MAX;
}

/*
 * For every sample message and every body key: a value of the wrong type
 * or size is malformed, one of the right type passes; a missing required
 * key is malformed; a repeated key is malformed; an unknown key is
 * skipped.
 */
static void
test_field_types(void **state)
{
	(void)state;
	sample_t *s = malloc(sizeof(*s));
	fsy_msg_t m;
	fsy_buf_t b = {0};

	assert_non_null(s);
	for (int t = 0; t <= FSY_MSG_TYPE_MAX; t++) {
		sample_msg(s, t, 0, &m);
		assert_int_equal(fsy_msg_encode(&m, 0, &b), FSY_OK);
		msgpack_unpacked u;
		size_t off = 0;
		msgpack_unpacked_init(&u);
		assert_int_equal(msgpack_unpack_next(&u, (const char *)b.data,
		                     b.len, &off),
		    MSGPACK_UNPACK_SUCCESS);
		const msgpack_object body = u.data.via.array.ptr[3];
		assert_int_equal(body.type, MSGPACK_OBJECT_MAP);
		uint32_t n = body.via.map.size;
		msgpack_object_kv *kv = calloc(n + 1, sizeof(*kv));
		assert_non_null(kv);
		msgpack_object nb = body;
		nb.via.map.ptr = kv;
		mp_t w;

		for (uint32_t i = 0; i < n; i++) {
			char key[16];
			const msgpack_object *orig = &body.via.map.ptr[i].val;
			snprintf(key, sizeof(key), "%.*s",
			    (int)body.via.map.ptr[i].key.via.str.size,
			    body.via.map.ptr[i].key.via.str.ptr);
			for (int k = 0; k < B_NBAD; k++) {
				memcpy(kv, body.via.map.ptr, n * sizeof(*kv));
				kv[i].val = bad_obj((bad_t)k);
				nb.via.map.size = n;
				pack_frame_obj(&w, t, &nb);
				int valid = bad_is_valid(orig, (bad_t)k,
				    strcmp(key, "code") == 0,
				    field_umax(t, key));
				int rv = mp_decode(&w);
				if (rv != (valid ? FSY_OK : FSY_EMALFORMED))
					fail_msg("%s.%s = bad %d: got %s",
					    fsy_msg_type_name(t), key, k,
					    fsy_errname(rv));
			}
			/* without this key */
			memcpy(kv, body.via.map.ptr, n * sizeof(*kv));
			kv[i] = kv[n - 1];
			nb.via.map.size = n - 1;
			pack_frame_obj(&w, t, &nb);
			/* the optional keys: HELLO's scope, the roster */
			int optional = strcmp(key, "scope") == 0 ||
			    strcmp(key, "teams") == 0 ||
			    strcmp(key, "agents") == 0;
			assert_int_equal(mp_decode(&w),
			    optional ? FSY_OK : FSY_EMALFORMED);
			/* this key twice */
			memcpy(kv, body.via.map.ptr, n * sizeof(*kv));
			kv[n] = kv[i];
			nb.via.map.size = n + 1;
			pack_frame_obj(&w, t, &nb);
			assert_int_equal(mp_decode(&w), FSY_EMALFORMED);
		}
		/* an unknown key, with a nested value, is skipped */
		memcpy(kv, body.via.map.ptr, n * sizeof(*kv));
		kv[n].key.type = MSGPACK_OBJECT_STR;
		kv[n].key.via.str.ptr = "zz_future";
		kv[n].key.via.str.size = 9;
		kv[n].val = u.data; /* the whole frame, as a nested value */
		nb.via.map.size = n + 1;
		pack_frame_obj(&w, t, &nb);
		fsy_msg_t d;
		assert_int_equal(fsy_msg_decode((const uint8_t *)w.sb.data,
		                     w.sb.size, &d),
		    FSY_OK);
		assert_true(fsy__msg_equal(&m, &d));
		fsy_msg_free(&d);
		msgpack_sbuffer_destroy(&w.sb);
		/* a key that is not a string */
		kv[n].key = bad_obj(B_POS);
		pack_frame_obj(&w, t, &nb);
		assert_int_equal(mp_decode(&w), FSY_EMALFORMED);
		free(kv);
		msgpack_unpacked_destroy(&u);
	}
	fsy_buf_free(&b);
	free(s);
}

/* The same for every position of a change tuple and a reject tuple. */
static void
test_tuple_types(void **state)
{
	(void)state;
	sample_t *s = malloc(sizeof(*s));
	fsy_msg_t m;
	fsy_buf_t b = {0};
	/* for each position: accepts negative ints?, largest uint, accepts
	 * nil/str (a value)? */
	static const struct {
		int type;
		const char *key;
		int arity;
		int neg[9];
		uint64_t umax[9];
		int isval[9];
	} tuples[] = {
		{FSY_MSG_PUSH, "ch", 7, {0, 0, 0, 0, 0, 0, 1},
		    {INT64_MAX, 255, 255, 0, 0, UINT64_MAX, INT64_MAX},
		    {0, 0, 0, 0, 0, 0, 1}},
		{FSY_MSG_ACK, "rej", 3, {0, 1, 0},
		    {INT64_MAX, INT32_MAX, 0}, {0, 0, 0}},
		/* roster entries: short strings only */
		{FSY_MSG_WELCOME, "teams", 7, {0}, {0}, {0}},
		{FSY_MSG_WELCOME, "agents", 9, {0}, {0}, {0}},
	};
	const size_t ntuples = sizeof(tuples) / sizeof(tuples[0]);

	assert_non_null(s);
	for (size_t ti = 0; ti < ntuples; ti++) {
		sample_msg(s, tuples[ti].type, 0, &m);
		if (tuples[ti].type == FSY_MSG_ACK)
			s->rej[0].reason = "why";
		assert_int_equal(fsy_msg_encode(&m, 0, &b), FSY_OK);
		msgpack_unpacked u;
		size_t off = 0;
		msgpack_unpacked_init(&u);
		assert_int_equal(msgpack_unpack_next(&u, (const char *)b.data,
		                     b.len, &off),
		    MSGPACK_UNPACK_SUCCESS);
		msgpack_object *body = &u.data.via.array.ptr[3];
		msgpack_object *list = NULL;
		for (uint32_t i = 0; i < body->via.map.size; i++)
			if (strncmp(body->via.map.ptr[i].key.via.str.ptr,
			        tuples[ti].key, strlen(tuples[ti].key)) == 0 &&
			    body->via.map.ptr[i].key.via.str.size ==
			        strlen(tuples[ti].key))
				list = &body->via.map.ptr[i].val;
		assert_non_null(list);
		if (list == NULL)
			return; /* not reached: assert_non_null fails first */
		msgpack_object *tup = &list->via.array.ptr[0];
		int arity = tuples[ti].arity;
		assert_int_equal(tup->via.array.size, arity);
		msgpack_object saved[10];
		memcpy(saved, tup->via.array.ptr, (size_t)arity * sizeof(*saved));
		mp_t w;

		for (int j = 0; j < arity; j++) {
			for (int k = 0; k < B_NBAD; k++) {
				msgpack_object o = bad_obj((bad_t)k);
				int valid;
				if (tuples[ti].isval[j])
					valid = o.type == MSGPACK_OBJECT_NIL ||
					    o.type == MSGPACK_OBJECT_STR ||
					    o.type == MSGPACK_OBJECT_NEGATIVE_INTEGER ||
					    (o.type == MSGPACK_OBJECT_POSITIVE_INTEGER &&
					        o.via.u64 <= INT64_MAX);
				else
					valid = bad_is_valid(&saved[j], (bad_t)k,
					    tuples[ti].neg[j],
					    tuples[ti].umax[j]);
				tup->via.array.ptr[j] = o;
				pack_frame_obj(&w, tuples[ti].type, body);
				int rv = mp_decode(&w);
				if (rv != (valid ? FSY_OK : FSY_EMALFORMED))
					fail_msg("%s tuple[%d] = bad %d: got %s",
					    tuples[ti].key, j, k,
					    fsy_errname(rv));
				tup->via.array.ptr[j] = saved[j];
			}
			/* integer ranges at the edge */
			if (saved[j].type == MSGPACK_OBJECT_POSITIVE_INTEGER &&
			    tuples[ti].umax[j] < UINT64_MAX) {
				msgpack_object o = saved[j];
				o.via.u64 = tuples[ti].umax[j];
				tup->via.array.ptr[j] = o;
				pack_frame_obj(&w, tuples[ti].type, body);
				assert_int_equal(mp_decode(&w), FSY_OK);
				o.via.u64 = tuples[ti].umax[j] + 1;
				tup->via.array.ptr[j] = o;
				pack_frame_obj(&w, tuples[ti].type, body);
				assert_int_equal(mp_decode(&w), FSY_EMALFORMED);
				tup->via.array.ptr[j] = saved[j];
			}
		}
		/* one element short: malformed; one extra: skipped */
		tup->via.array.size = (uint32_t)arity - 1;
		pack_frame_obj(&w, tuples[ti].type, body);
		assert_int_equal(mp_decode(&w), FSY_EMALFORMED);
		msgpack_object longer[10];
		memcpy(longer, saved, (size_t)arity * sizeof(*longer));
		longer[arity].type = MSGPACK_OBJECT_ARRAY; /* a nested extra */
		longer[arity].via.array.size = (uint32_t)arity;
		longer[arity].via.array.ptr = saved;
		tup->via.array.ptr = longer;
		tup->via.array.size = (uint32_t)arity + 1;
		pack_frame_obj(&w, tuples[ti].type, body);
		fsy_msg_t d;
		assert_int_equal(fsy_msg_decode((const uint8_t *)w.sb.data,
		                     w.sb.size, &d),
		    FSY_OK);
		assert_true(fsy__msg_equal(&m, &d));
		fsy_msg_free(&d);
		msgpack_sbuffer_destroy(&w.sb);
		/* a tuple that is a map */
		msgpack_object notarr = bad_obj(B_MAP);
		list->via.array.ptr[0] = notarr;
		pack_frame_obj(&w, tuples[ti].type, body);
		assert_int_equal(mp_decode(&w), FSY_EMALFORMED);
		msgpack_unpacked_destroy(&u);
	}
	fsy_buf_free(&b);
	free(s);
}

/* Lists and strings one over their limit: ETOOBIG; at it: OK. */
static void
test_limits_decode(void **state)
{
	(void)state;
	mp_t w;
	char *str = malloc(FSY_MAX_CTL + 1);

	assert_non_null(str);
	memset(str, 'j', FSY_MAX_CTL + 1);
	for (int over = 0; over <= 1; over++) {
		int want = over ? FSY_ETOOBIG : FSY_OK;

		mp_head(&w, FSY_MSG_PUSH);
		msgpack_pack_map(&w.pk, 3);
		mp_key(&w, "cur");
		msgpack_pack_uint8(&w.pk, 0);
		mp_key(&w, "head");
		mp_bin(&w, 0, 32);
		mp_key(&w, "ch");
		msgpack_pack_array(&w.pk, FSY_MAX_CHANGES + over);
		for (int i = 0; i < FSY_MAX_CHANGES + over; i++)
			mp_change(&w);
		assert_int_equal(mp_decode(&w), want);

		mp_head(&w, FSY_MSG_ACK);
		msgpack_pack_map(&w.pk, 3);
		mp_key(&w, "acked");
		msgpack_pack_uint8(&w.pk, 0);
		mp_key(&w, "corr");
		msgpack_pack_array(&w.pk, 0);
		mp_key(&w, "rej");
		msgpack_pack_array(&w.pk, FSY_MAX_REJECTS + over);
		for (int i = 0; i < FSY_MAX_REJECTS + over; i++) {
			msgpack_pack_array(&w.pk, 3);
			msgpack_pack_int(&w.pk, i);
			msgpack_pack_int(&w.pk, FSY_EPERM);
			mp_key(&w, "r");
		}
		assert_int_equal(mp_decode(&w), want);

		for (int which = 0; which < 3; which++) {
			static const int types[] = {FSY_MSG_PULL,
			    FSY_MSG_SNAPSHOT, FSY_MSG_REVOKE};
			mp_head(&w, types[which]);
			if (which == 0) {
				msgpack_pack_map(&w.pk, 5);
				mp_key(&w, "cur");
				msgpack_pack_uint8(&w.pk, 0);
				mp_key(&w, "maxc");
				msgpack_pack_uint8(&w.pk, 0);
				mp_key(&w, "maxb");
				msgpack_pack_uint8(&w.pk, 0);
				mp_key(&w, "sack");
				msgpack_pack_array(&w.pk, 0);
				mp_key(&w, "rack");
			} else if (which == 1) {
				msgpack_pack_map(&w.pk, 3);
				mp_key(&w, "ch");
				msgpack_pack_array(&w.pk, 0);
				mp_key(&w, "more");
				msgpack_pack_false(&w.pk);
				mp_key(&w, "cust");
			} else {
				msgpack_pack_map(&w.pk, 1);
				mp_key(&w, "cust");
			}
			msgpack_pack_array(&w.pk, FSY_MAX_IDS + over);
			for (int i = 0; i < FSY_MAX_IDS + over; i++)
				mp_bin(&w, (uint8_t)i, 16);
			assert_int_equal(mp_decode(&w), want);
		}

		/* short strings */
		static const struct {
			int type;
			const char *key;
		} strs[] = {{FSY_MSG_ERROR, "msg"}, {FSY_MSG_WELCOME, "role"},
		    {FSY_MSG_HELLO, "sw"}, {FSY_MSG_ACK, "reason"}};
		for (int i = 0; i < 4; i++) {
			mp_head(&w, strs[i].type);
			switch (strs[i].type) {
			case FSY_MSG_ERROR:
				msgpack_pack_map(&w.pk, 3);
				mp_key(&w, "code");
				msgpack_pack_int(&w.pk, -1);
				mp_key(&w, "retry");
				msgpack_pack_int(&w.pk, 0);
				break;
			case FSY_MSG_WELCOME:
				msgpack_pack_map(&w.pk, 6);
				mp_key(&w, "agent");
				mp_bin(&w, 9, 16);
				mp_key(&w, "pseq");
				msgpack_pack_int(&w.pk, 0);
				mp_key(&w, "cur");
				msgpack_pack_int(&w.pk, 0);
				mp_key(&w, "chok");
				msgpack_pack_true(&w.pk);
				mp_key(&w, "time");
				msgpack_pack_int(&w.pk, 0);
				break;
			case FSY_MSG_HELLO:
				msgpack_pack_map(&w.pk, 9);
				mp_key(&w, "proto");
				msgpack_pack_int(&w.pk, 1);
				mp_key(&w, "schema");
				msgpack_pack_int(&w.pk, 1);
				mp_key(&w, "dev");
				mp_bin(&w, 9, 16);
				mp_key(&w, "lseq");
				msgpack_pack_int(&w.pk, 0);
				mp_key(&w, "pend");
				msgpack_pack_int(&w.pk, 0);
				mp_key(&w, "oldest");
				msgpack_pack_int(&w.pk, 0);
				mp_key(&w, "cseq");
				msgpack_pack_int(&w.pk, 0);
				mp_key(&w, "chash");
				mp_bin(&w, 9, 32);
				break;
			default:
				msgpack_pack_map(&w.pk, 3);
				mp_key(&w, "acked");
				msgpack_pack_int(&w.pk, 0);
				mp_key(&w, "corr");
				msgpack_pack_array(&w.pk, 0);
				mp_key(&w, "rej");
				msgpack_pack_array(&w.pk, 1);
				msgpack_pack_array(&w.pk, 3);
				msgpack_pack_int(&w.pk, 0);
				msgpack_pack_int(&w.pk, 0);
				break;
			}
			if (strs[i].type != FSY_MSG_ACK)
				mp_key(&w, strs[i].key);
			msgpack_pack_str_with_body(&w.pk, str,
			    FSY_MAX_STR + (size_t)over);
			assert_int_equal(mp_decode(&w), want);
		}

		/* control JSON */
		mp_head(&w, FSY_MSG_CTL);
		msgpack_pack_map(&w.pk, 1);
		mp_key(&w, "json");
		msgpack_pack_str_with_body(&w.pk, str,
		    FSY_MAX_CTL + (size_t)over);
		assert_int_equal(mp_decode(&w), want);

		/* a text value */
		mp_head(&w, FSY_MSG_BATCH);
		msgpack_pack_map(&w.pk, 3);
		mp_key(&w, "cur");
		msgpack_pack_uint8(&w.pk, 0);
		mp_key(&w, "more");
		msgpack_pack_false(&w.pk);
		mp_key(&w, "ch");
		msgpack_pack_array(&w.pk, 1);
		msgpack_pack_array(&w.pk, 7);
		msgpack_pack_int(&w.pk, 0);
		msgpack_pack_int(&w.pk, 0);
		msgpack_pack_int(&w.pk, 0);
		mp_bin(&w, 1, 16);
		mp_bin(&w, 2, 16);
		msgpack_pack_int(&w.pk, 0);
		msgpack_pack_str_with_body(&w.pk, str,
		    FSY_VAL_MAX_TEXT + (size_t)over);
		assert_int_equal(mp_decode(&w), want);

		/* body map entries and key length */
		mp_head(&w, FSY_MSG_REVOKE);
		msgpack_pack_map(&w.pk, FSY__MAX_BODY_KEYS + over);
		mp_key(&w, "cust");
		msgpack_pack_array(&w.pk, 0);
		for (int i = 1; i < FSY__MAX_BODY_KEYS + over; i++) {
			char k[8];
			snprintf(k, sizeof(k), "x%d", i);
			mp_key(&w, k);
			msgpack_pack_nil(&w.pk);
		}
		assert_int_equal(mp_decode(&w),
		    over ? FSY_EMALFORMED : FSY_OK);
		mp_head(&w, FSY_MSG_REVOKE);
		msgpack_pack_map(&w.pk, 2);
		mp_key(&w, "cust");
		msgpack_pack_array(&w.pk, 0);
		msgpack_pack_str_with_body(&w.pk, str,
		    FSY__MAX_KEY_LEN + (size_t)over);
		msgpack_pack_nil(&w.pk);
		assert_int_equal(mp_decode(&w),
		    over ? FSY_EMALFORMED : FSY_OK);
	}

	/* text with NUL bytes: refused in short strings and JSON, kept in
	 * values */
	mp_head(&w, FSY_MSG_ERROR);
	msgpack_pack_map(&w.pk, 3);
	mp_key(&w, "code");
	msgpack_pack_int(&w.pk, -1);
	mp_key(&w, "retry");
	msgpack_pack_int(&w.pk, 0);
	mp_key(&w, "msg");
	msgpack_pack_str_with_body(&w.pk, "a\0b", 3);
	assert_int_equal(mp_decode(&w), FSY_EMALFORMED);
	mp_head(&w, FSY_MSG_CTL_REPLY);
	msgpack_pack_map(&w.pk, 1);
	mp_key(&w, "json");
	msgpack_pack_str_with_body(&w.pk, "{}\0", 3);
	assert_int_equal(mp_decode(&w), FSY_EMALFORMED);

	/* counts that claim more than the frame holds: refused before any
	 * allocation */
	mp_head(&w, FSY_MSG_REVOKE);
	msgpack_pack_map(&w.pk, 1);
	mp_key(&w, "cust");
	msgpack_sbuffer_write(&w.sb, "\xdd\xff\xff\xff\xff", 5);
	assert_int_equal(mp_decode(&w), FSY_ETOOBIG);
	mp_head(&w, FSY_MSG_REVOKE);
	msgpack_pack_map(&w.pk, 1);
	mp_key(&w, "cust");
	msgpack_pack_array(&w.pk, FSY_MAX_IDS);
	assert_int_equal(mp_decode(&w), FSY_EMALFORMED);
	mp_head(&w, FSY_MSG_REVOKE);
	msgpack_sbuffer_write(&w.sb, "\xdf\xff\xff\xff\xff", 5);
	assert_int_equal(mp_decode(&w), FSY_EMALFORMED);
	mp_head(&w, FSY_MSG_REVOKE);
	msgpack_pack_map(&w.pk, 2);
	mp_key(&w, "cust");
	msgpack_pack_array(&w.pk, 0);
	mp_key(&w, "skipme");
	msgpack_sbuffer_write(&w.sb, "\x91\xdf\xff\xff\xff\xff", 6);
	assert_int_equal(mp_decode(&w), FSY_EMALFORMED);
	mp_head(&w, FSY_MSG_REVOKE);
	msgpack_pack_map(&w.pk, 2);
	mp_key(&w, "cust");
	msgpack_pack_array(&w.pk, 0);
	mp_key(&w, "skipme");
	msgpack_sbuffer_write(&w.sb, "\xdb\xff\xff\xff\xff" "abc", 8);
	assert_int_equal(mp_decode(&w), FSY_EMALFORMED);
	/* every skippable type is skipped */
	mp_head(&w, FSY_MSG_REVOKE);
	msgpack_pack_map(&w.pk, 2);
	mp_key(&w, "cust");
	msgpack_pack_array(&w.pk, 0);
	mp_key(&w, "skipme");
	msgpack_pack_array(&w.pk, 13);
	msgpack_pack_float(&w.pk, 1.5f);
	msgpack_pack_double(&w.pk, 2.5);
	msgpack_pack_ext_with_body(&w.pk, "a", 1, 1);
	msgpack_pack_ext_with_body(&w.pk, "abcd", 4, 2);
	msgpack_pack_ext_with_body(&w.pk, "abcdefghijklmnop", 16, 3);
	msgpack_pack_ext_with_body(&w.pk, "abc", 3, 4);
	msgpack_pack_ext_with_body(&w.pk, str, 300, 5);
	msgpack_pack_bin_with_body(&w.pk, str, 70000);
	msgpack_pack_str_with_body(&w.pk, str, 40);
	msgpack_pack_int64(&w.pk, INT64_MIN);
	msgpack_pack_uint64(&w.pk, UINT64_MAX);
	msgpack_pack_map(&w.pk, 1);
	msgpack_pack_nil(&w.pk);
	msgpack_pack_false(&w.pk);
	msgpack_pack_array(&w.pk, 1);
	msgpack_pack_array(&w.pk, 0);
	assert_int_equal(mp_decode(&w), FSY_OK);

	/* the frame itself */
	uint8_t *huge = calloc(1, FSY_MAX_FRAME + 1);
	fsy_msg_t m;
	assert_non_null(huge);
	assert_int_equal(fsy_msg_decode(huge, FSY_MAX_FRAME + 1, &m),
	    FSY_ETOOBIG);
	assert_null(m.arena);
	free(huge);
	free(str);
}

/* Starts a WELCOME body of the 6 required keys plus extra more entries. */
static void
mp_welcome(mp_t *w, uint32_t extra)
{
	mp_head(w, FSY_MSG_WELCOME);
	msgpack_pack_map(&w->pk, 6 + extra);
	mp_key(w, "agent");
	mp_bin(w, 9, 16);
	mp_key(w, "role");
	mp_key(w, "lead");
	mp_key(w, "pseq");
	msgpack_pack_int(&w->pk, 0);
	mp_key(w, "cur");
	msgpack_pack_int(&w->pk, 0);
	mp_key(w, "chok");
	msgpack_pack_true(&w->pk);
	mp_key(w, "time");
	msgpack_pack_int(&w->pk, 0);
}

/* A roster tuple of n strings, all s[0..len) but the first (i). */
static void
mp_roster_tuple(mp_t *w, unsigned n, unsigned i, const char *s, size_t len)
{
	char id[16];

	snprintf(id, sizeof(id), "x%u", i);
	msgpack_pack_array(&w->pk, n);
	mp_key(w, id);
	for (unsigned k = 1; k < n; k++)
		msgpack_pack_str_with_body(&w->pk, s, len);
}

/*
 * The WELCOME roster: optional (absent is empty, and a WELCOME without
 * one is the frame it was before rosters), text ids, FSY_MAX_ROSTER
 * entries and FSY_MAX_STR bytes per string at most, no NUL bytes.
 */
static void
test_welcome_roster(void **state)
{
	(void)state;
	sample_t *s = malloc(sizeof(*s));
	fsy_roster_agent_t *ag = calloc(FSY_MAX_ROSTER + 1, sizeof(*ag));
	fsy_roster_team_t *tm = calloc(FSY_MAX_ROSTER + 1, sizeof(*tm));
	char *str = malloc(FSY_MAX_STR + 2);
	fsy_msg_t m, d;
	fsy_buf_t b = {0};
	mp_t w;

	assert_true(s && ag && tm && str);
	/* compatibility: no roster, no keys; an old WELCOME decodes empty */
	sample_msg(s, FSY_MSG_WELCOME, 0, &m);
	assert_int_equal(fsy_msg_encode(&m, 0, &b), FSY_OK);
	assert_int_equal(b.data[4], 0x88); /* fixmap of 8 */
	m.u.welcome.nteams = 0;
	m.u.welcome.nagents = 0;
	assert_int_equal(fsy_msg_encode(&m, 0, &b), FSY_OK);
	assert_int_equal(b.data[4], 0x86); /* fixmap of 6: as before */
	m.u.welcome.nagents = 1; /* agents only */
	assert_int_equal(fsy_msg_encode(&m, 0, &b), FSY_OK);
	assert_int_equal(b.data[4], 0x87);
	roundtrip(&m, 0);
	mp_welcome(&w, 0);
	assert_int_equal(fsy_msg_decode((const uint8_t *)w.sb.data,
	    w.sb.size, &d), FSY_OK);
	assert_int_equal(d.u.welcome.nteams, 0);
	assert_int_equal(d.u.welcome.nagents, 0);
	assert_null(d.u.welcome.teams);
	assert_null(d.u.welcome.agents);
	assert_string_equal(d.u.welcome.role, "lead");
	fsy_msg_free(&d);
	msgpack_sbuffer_destroy(&w.sb);
	/* empty lists sent explicitly: the same empty roster */
	mp_welcome(&w, 2);
	mp_key(&w, "teams");
	msgpack_pack_array(&w.pk, 0);
	mp_key(&w, "agents");
	msgpack_pack_array(&w.pk, 0);
	assert_int_equal(mp_decode(&w), FSY_OK);

	/* decoded entries: text ids as sent, "" for NULL strings */
	sample_msg(s, FSY_MSG_WELCOME, 1, &m);
	s->agents[1].left_on = NULL;
	assert_int_equal(fsy_msg_encode(&m, 1, &b), FSY_OK);
	assert_int_equal(fsy_msg_decode(b.data, b.len, &d), FSY_OK);
	assert_int_equal(d.u.welcome.nagents, BIG);
	assert_int_equal(d.u.welcome.nteams, 3);
	assert_string_equal(d.u.welcome.agents[7].id, "HR/00007");
	assert_string_equal(d.u.welcome.agents[7].code, "BJ01A00007");
	assert_string_equal(d.u.welcome.agents[7].name, texts[3]);
	assert_string_equal(d.u.welcome.agents[7].team_id, "team-0");
	assert_string_equal(d.u.welcome.agents[8].status, "departed");
	assert_string_equal(d.u.welcome.agents[8].left_on, "2024-06-30");
	assert_string_equal(d.u.welcome.agents[1].left_on, "");
	assert_string_equal(d.u.welcome.agents[0].role, "lead");
	assert_string_equal(d.u.welcome.teams[1].id, "team-1");
	assert_string_equal(d.u.welcome.teams[1].lead_agent_id, "");
	assert_string_equal(d.u.welcome.teams[2].lead_agent_id, "HR/00000");
	assert_string_equal(d.u.welcome.teams[2].branch_name, "北京分公司");
	fsy_msg_free(&d);

	/* encode limits: FSY_MAX_ROSTER entries pass, one more does not;
	 * FSY_MAX_STR bytes pass, one more does not; lists need storage */
	for (int i = 0; i <= FSY_MAX_ROSTER; i++) {
		ag[i] = s->agents[i % BIG];
		tm[i] = s->teams[i % BIG];
	}
	memset(&m, 0, sizeof(m));
	m.type = FSY_MSG_WELCOME;
	snprintf(m.u.welcome.agent_id, 37, "%s", U_AGENT);
	m.u.welcome.agents = ag;
	m.u.welcome.nagents = FSY_MAX_ROSTER;
	m.u.welcome.teams = tm;
	m.u.welcome.nteams = FSY_MAX_ROSTER;
	assert_int_equal(roundtrip(&m, 1), FSY_FRAME_ZSTD);
	roundtrip(&m, 0);
	m.u.welcome.nagents = FSY_MAX_ROSTER + 1;
	assert_int_equal(fsy_msg_encode(&m, 1, &b), FSY_EINVAL);
	assert_null(b.data);
	m.u.welcome.nagents = 1;
	m.u.welcome.nteams = FSY_MAX_ROSTER + 1;
	assert_int_equal(fsy_msg_encode(&m, 1, &b), FSY_EINVAL);
	m.u.welcome.nteams = 1;
	memset(str, 'n', FSY_MAX_STR + 1);
	str[FSY_MAX_STR] = '\0';
	ag[0].name = str;
	tm[0].branch_name = str;
	roundtrip(&m, 0);
	str[FSY_MAX_STR] = 'n';
	str[FSY_MAX_STR + 1] = '\0';
	assert_int_equal(fsy_msg_encode(&m, 0, &b), FSY_EINVAL);
	ag[0].name = "ok";
	assert_int_equal(fsy_msg_encode(&m, 0, &b), FSY_EINVAL);
	tm[0].branch_name = "ok";
	assert_int_equal(fsy_msg_encode(&m, 0, &b), FSY_OK);
	m.u.welcome.agents = NULL;
	assert_int_equal(fsy_msg_encode(&m, 0, &b), FSY_EINVAL);
	m.u.welcome.agents = ag;
	m.u.welcome.teams = NULL;
	assert_int_equal(fsy_msg_encode(&m, 0, &b), FSY_EINVAL);

	/* decode limits: counts and string lengths at and over them */
	memset(str, 'j', FSY_MAX_STR + 1);
	for (int over = 0; over <= 1; over++) {
		int want = over ? FSY_ETOOBIG : FSY_OK;
		for (int which = 0; which < 2; which++) {
			unsigned n = which ? 9 : 7;
			mp_welcome(&w, 1);
			mp_key(&w, which ? "agents" : "teams");
			msgpack_pack_array(&w.pk, FSY_MAX_ROSTER + (uint32_t)over);
			for (int i = 0; i < FSY_MAX_ROSTER + over; i++)
				mp_roster_tuple(&w, n, (unsigned)i, "", 0);
			assert_int_equal(mp_decode(&w), want);
			mp_welcome(&w, 1);
			mp_key(&w, which ? "agents" : "teams");
			msgpack_pack_array(&w.pk, 2);
			mp_roster_tuple(&w, n, 0, "", 0);
			mp_roster_tuple(&w, n, 1, str,
			    FSY_MAX_STR + (size_t)over);
			assert_int_equal(mp_decode(&w), want);
		}
	}
	/* a count claiming more entries than the bytes left */
	mp_welcome(&w, 1);
	mp_key(&w, "agents");
	msgpack_pack_array(&w.pk, 3);
	mp_roster_tuple(&w, 9, 0, "", 0);
	assert_int_equal(mp_decode(&w), FSY_EMALFORMED);
	/* a NUL byte in a roster string, a bin id, a nil date */
	for (int k = 0; k < 3; k++) {
		mp_welcome(&w, 1);
		mp_key(&w, "agents");
		msgpack_pack_array(&w.pk, 1);
		msgpack_pack_array(&w.pk, 9);
		if (k == 1)
			mp_bin(&w, 7, 16);
		else
			mp_key(&w, "HR/1");
		mp_key(&w, "BJ01A00001");
		msgpack_pack_str_with_body(&w.pk, "王芳", 6);
		if (k == 0)
			msgpack_pack_str_with_body(&w.pk, "a\0", 2);
		else
			mp_key(&w, "");
		for (int f = 4; f < 8; f++)
			mp_key(&w, "x");
		if (k == 2)
			msgpack_pack_nil(&w.pk);
		else
			mp_key(&w, "");
		assert_int_equal(mp_decode(&w), FSY_EMALFORMED);
	}
	/* ... and the same tuple with none of those decodes */
	mp_welcome(&w, 1);
	mp_key(&w, "agents");
	msgpack_pack_array(&w.pk, 1);
	msgpack_pack_array(&w.pk, 9);
	mp_key(&w, "HR/1");
	mp_key(&w, "BJ01A00001");
	msgpack_pack_str_with_body(&w.pk, "王芳", 6);
	for (int f = 3; f < 9; f++)
		mp_key(&w, "");
	assert_int_equal(mp_decode(&w), FSY_OK);
	/* an unknown key next to the roster is still skipped */
	mp_welcome(&w, 2);
	mp_key(&w, "branches");
	msgpack_pack_array(&w.pk, 1);
	msgpack_pack_nil(&w.pk);
	mp_key(&w, "agents");
	msgpack_pack_array(&w.pk, 1);
	mp_roster_tuple(&w, 10, 0, "z", 1);
	assert_int_equal(fsy_msg_decode((const uint8_t *)w.sb.data,
	    w.sb.size, &d), FSY_OK);
	assert_int_equal(d.u.welcome.nagents, 1);
	assert_string_equal(d.u.welcome.agents[0].id, "x0");
	assert_string_equal(d.u.welcome.agents[0].left_on, "z");
	fsy_msg_free(&d);
	msgpack_sbuffer_destroy(&w.sb);

	fsy_buf_free(&b);
	free(str);
	free(tm);
	free(ag);
	free(s);
}

/* Integer fields at the edges of their ranges. */
static void
test_int_ranges(void **state)
{
	(void)state;
	static const struct {
		int64_t v;
		int ok;
	} codes[] = {{INT32_MIN, 1}, {(int64_t)INT32_MIN - 1, 0},
	    {INT32_MAX, 1}, {(int64_t)INT32_MAX + 1, 0}, {0, 1}};
	mp_t w;

	for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
		mp_head(&w, FSY_MSG_ERROR);
		msgpack_pack_map(&w.pk, 3);
		mp_key(&w, "code");
		msgpack_pack_int64(&w.pk, codes[i].v);
		mp_key(&w, "msg");
		mp_key(&w, "");
		mp_key(&w, "retry");
		msgpack_pack_uint8(&w.pk, 0);
		assert_int_equal(mp_decode(&w),
		    codes[i].ok ? FSY_OK : FSY_EMALFORMED);
	}
	/* uint32 fields: 2^32 - 1 passes, 2^32 does not */
	for (int over = 0; over <= 1; over++) {
		mp_head(&w, FSY_MSG_PULL);
		msgpack_pack_map(&w.pk, 5);
		mp_key(&w, "cur");
		msgpack_pack_int64(&w.pk, INT64_MAX);
		mp_key(&w, "maxc");
		msgpack_pack_uint64(&w.pk, (uint64_t)UINT32_MAX + over);
		mp_key(&w, "maxb");
		msgpack_pack_uint8(&w.pk, 0);
		mp_key(&w, "sack");
		msgpack_pack_array(&w.pk, 0);
		mp_key(&w, "rack");
		msgpack_pack_array(&w.pk, 0);
		assert_int_equal(mp_decode(&w), over ? FSY_EMALFORMED : FSY_OK);
	}
	/* a negative cursor, however encoded */
	mp_head(&w, FSY_MSG_BATCH);
	msgpack_pack_map(&w.pk, 3);
	mp_key(&w, "cur");
	msgpack_sbuffer_write(&w.sb, "\xd3\xff\xff\xff\xff\xff\xff\xff\xff", 9);
	mp_key(&w, "more");
	msgpack_pack_false(&w.pk);
	mp_key(&w, "ch");
	msgpack_pack_array(&w.pk, 0);
	assert_int_equal(mp_decode(&w), FSY_EMALFORMED);
}

static void
test_trailing_bytes(void **state)
{
	(void)state;
	sample_t *s = malloc(sizeof(*s));
	fsy_msg_t m, d;
	fsy_buf_t b = {0};

	assert_non_null(s);
	for (int t = 0; t <= FSY_MSG_TYPE_MAX; t++) {
		for (int big = 0; big <= 1; big++) {
			sample_msg(s, t, big, &m);
			assert_int_equal(fsy_msg_encode(&m, 1, &b), FSY_OK);
			uint8_t *x = malloc(b.len + 1);
			assert_non_null(x);
			memcpy(x, b.data, b.len);
			x[b.len] = 0xc0;
			assert_int_equal(fsy_msg_decode(x, b.len + 1, &d),
			    FSY_EMALFORMED);
			free(x);
		}
	}
	fsy_buf_free(&b);
	free(s);

	/* a compressed body with a byte after its map */
	static const uint8_t body[] = {0x81, 0xa4, 'c', 'u', 's', 't', 0x90,
	    0xc0};
	uint8_t z[128];
	size_t zn = ZSTD_compress(z, sizeof(z), body, sizeof(body), 3);
	assert_false(ZSTD_isError(zn));
	assert_int_equal(decode_zbody(FSY_MSG_REVOKE, z, zn), FSY_EMALFORMED);
	zn = ZSTD_compress(z, sizeof(z), body, sizeof(body) - 1, 3);
	assert_int_equal(decode_zbody(FSY_MSG_REVOKE, z, zn), FSY_OK);
	/* two zstd frames, or a frame and garbage, in the bin */
	uint8_t z2[256];
	memcpy(z2, z, zn);
	memcpy(z2 + zn, z, zn);
	assert_int_equal(decode_zbody(FSY_MSG_REVOKE, z2, 2 * zn),
	    FSY_EMALFORMED);
	z2[zn] = 0;
	assert_int_equal(decode_zbody(FSY_MSG_REVOKE, z2, zn + 1),
	    FSY_EMALFORMED);
}

static void
test_zstd_rejects(void **state)
{
	(void)state;
	/* a bomb: a 14-byte frame header claiming 1 GiB of content */
	uint8_t bomb[32] = {0x28, 0xb5, 0x2f, 0xfd, 0xe0};
	uint64_t claim = (uint64_t)1 << 30;
	for (int i = 0; i < 8; i++)
		bomb[5 + i] = (uint8_t)(claim >> (8 * i));
	/* a last raw block of 1 byte */
	bomb[13] = 0x09;
	bomb[14] = 0;
	bomb[15] = 0;
	bomb[16] = 0x80;
	assert_int_equal(ZSTD_getFrameContentSize(bomb, 17), claim);
	assert_int_equal(decode_zbody(FSY_MSG_REVOKE, bomb, 17), FSY_ETOOBIG);

	/* the limit exactly: FSY_MAX_INFLATED passes the size check (and
	 * then must be a valid body), one more byte does not */
	uint8_t *big = malloc(FSY_MAX_INFLATED + 1);
	assert_non_null(big);
	static const uint8_t head[] = {0x82, 0xa4, 'c', 'u', 's', 't', 0x90,
	    0xa1, 'x', 0xdb};
	memcpy(big, head, sizeof(head));
	size_t slen = FSY_MAX_INFLATED - sizeof(head) - 4;
	big[sizeof(head)] = (uint8_t)(slen >> 24);
	big[sizeof(head) + 1] = (uint8_t)(slen >> 16);
	big[sizeof(head) + 2] = (uint8_t)(slen >> 8);
	big[sizeof(head) + 3] = (uint8_t)slen;
	memset(big + sizeof(head) + 4, 'q', slen + 1);
	size_t cap = ZSTD_compressBound(FSY_MAX_INFLATED + 1);
	uint8_t *z = malloc(cap);
	assert_non_null(z);
	size_t zn = ZSTD_compress(z, cap, big, FSY_MAX_INFLATED, 1);
	assert_false(ZSTD_isError(zn));
	assert_true(zn < 64 * 1024);
	fsy_msg_t m;
	assert_int_equal(decode_zbody(FSY_MSG_REVOKE, z, zn), FSY_OK);
	zn = ZSTD_compress(z, cap, big, FSY_MAX_INFLATED + 1, 1);
	assert_false(ZSTD_isError(zn));
	assert_int_equal(decode_zbody(FSY_MSG_REVOKE, z, zn), FSY_ETOOBIG);
	free(z);
	free(big);

	/* no content size in the header: refused */
	static const uint8_t body[] = {0x81, 0xa4, 'c', 'u', 's', 't', 0x90};
	uint8_t zz[128];
	ZSTD_CCtx *cc = ZSTD_createCCtx();
	assert_non_null(cc);
	assert_false(ZSTD_isError(
	    ZSTD_CCtx_setParameter(cc, ZSTD_c_contentSizeFlag, 0)));
	zn = ZSTD_compress2(cc, zz, sizeof(zz), body, sizeof(body));
	assert_false(ZSTD_isError(zn));
	ZSTD_freeCCtx(cc);
	assert_true(ZSTD_getFrameContentSize(zz, zn) ==
	    ZSTD_CONTENTSIZE_UNKNOWN);
	assert_int_equal(decode_zbody(FSY_MSG_REVOKE, zz, zn), FSY_EMALFORMED);

	/* a header that lies about the size (smaller or larger) */
	zn = ZSTD_compress(zz, sizeof(zz), body, sizeof(body), 3);
	assert_false(ZSTD_isError(zn));
	assert_int_equal(decode_zbody(FSY_MSG_REVOKE, zz, zn), FSY_OK);
	/* single-segment, 1-byte FCS: FHD 0x20, size at offset 5 */
	assert_int_equal(zz[4] & 0xe0, 0x20);
	zz[5] = (uint8_t)(sizeof(body) - 1);
	assert_int_equal(decode_zbody(FSY_MSG_REVOKE, zz, zn), FSY_EMALFORMED);
	zz[5] = (uint8_t)(sizeof(body) + 1);
	assert_int_equal(decode_zbody(FSY_MSG_REVOKE, zz, zn), FSY_EMALFORMED);
	/* not zstd at all, empty */
	assert_int_equal(decode_zbody(FSY_MSG_REVOKE, body, sizeof(body)),
	    FSY_EMALFORMED);
	assert_int_equal(decode_zbody(FSY_MSG_REVOKE, body, 0), FSY_EMALFORMED);
	/* content size 0 */
	zn = ZSTD_compress(zz, sizeof(zz), body, 0, 3);
	assert_false(ZSTD_isError(zn));
	assert_int_equal(decode_zbody(FSY_MSG_REVOKE, zz, zn), FSY_EMALFORMED);
	(void)m;
}

/* xorshift64*: a fixed-seed generator, so failures reproduce. */
static uint64_t
rnd(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545F4914F6CDD1DULL;
}

/* Decodes data; the answer must be one of the documented codes, and a
 * success must survive re-encoding. */
static void
decode_any(const uint8_t *data, size_t len, int *ok)
{
	fsy_msg_t m, m2;
	fsy_buf_t b = {0};
	int rv = fsy_msg_decode(data, len, &m);

	if (rv != FSY_OK) {
		assert_true(rv == FSY_EMALFORMED || rv == FSY_ETOOBIG ||
		    rv == FSY_EVERSION);
		assert_null(m.arena);
		fsy_msg_free(&m);
		return;
	}
	(*ok)++;
	assert_int_equal(fsy_msg_encode(&m, (int)(len & 1), &b), FSY_OK);
	assert_int_equal(fsy_msg_decode(b.data, b.len, &m2), FSY_OK);
	assert_true(fsy__msg_equal(&m, &m2));
	fsy_msg_free(&m2);
	fsy_msg_free(&m);
	fsy_buf_free(&b);
}

static void
test_random_bytes(void **state)
{
	(void)state;
	uint64_t seed = 0x9e3779b97f4a7c15ULL;
	sample_t *s = malloc(sizeof(*s));
	fsy_buf_t frames[2 * (FSY_MSG_TYPE_MAX + 1)];
	uint8_t buf[4096];
	fsy_msg_t m;
	int ok = 0;

	assert_non_null(s);
	/* pure noise, sometimes behind a valid header */
	for (int it = 0; it < 20000; it++) {
		size_t len = rnd(&seed) % 96;
		for (size_t i = 0; i < len; i++)
			buf[i] = (uint8_t)rnd(&seed);
		if (len >= 4 && it % 2) {
			buf[0] = 0x94;
			buf[1] = 1;
			buf[2] = (uint8_t)(rnd(&seed) % 13);
			buf[3] = 0;
		}
		uint8_t *x = malloc(len ? len : 1);
		assert_non_null(x);
		memcpy(x, buf, len);
		decode_any(x, len, &ok);
		free(x);
	}
	/* valid frames with a few bytes changed, inserted or removed */
	for (int t = 0; t <= FSY_MSG_TYPE_MAX; t++) {
		for (int big = 0; big <= 1; big++) {
			fsy_buf_t *f = &frames[2 * t + big];
			memset(f, 0, sizeof(*f));
			sample_msg(s, t, big, &m);
			assert_int_equal(fsy_msg_encode(&m, big, f), FSY_OK);
			assert_true(f->len < sizeof(buf) - 8);
		}
	}
	for (int it = 0; it < 30000; it++) {
		fsy_buf_t *f = &frames[rnd(&seed) % (2 * (FSY_MSG_TYPE_MAX + 1))];
		size_t len = f->len;
		memcpy(buf, f->data, len);
		int edits = 1 + (int)(rnd(&seed) % 4);
		for (int e = 0; e < edits; e++) {
			size_t at = rnd(&seed) % len;
			switch (rnd(&seed) % 4) {
			case 0:
			case 1:
				buf[at] = (uint8_t)rnd(&seed);
				break;
			case 2:
				buf[at] ^= (uint8_t)(1u << (rnd(&seed) % 8));
				break;
			default:
				if (len > 1) {
					memmove(buf + at, buf + at + 1,
					    len - at - 1);
					len--;
				}
				break;
			}
		}
		uint8_t *x = malloc(len);
		assert_non_null(x);
		memcpy(x, buf, len);
		decode_any(x, len, &ok);
		free(x);
	}
	for (size_t i = 0; i < sizeof(frames) / sizeof(frames[0]); i++)
		fsy_buf_free(&frames[i]);
	/* some mutations keep the frame valid (a changed value), so both
	 * paths of decode_any ran */
	assert_true(ok > 100);
	free(s);
}

/* ------------------------------------------------------------------------
 * Odds and ends.
 */

static void
test_free_safe(void **state)
{
	(void)state;
	fsy_msg_t m;

	memset(&m, 0, sizeof(m));
	fsy_msg_free(&m);
	fsy_msg_free(NULL);
	memset(&m, 0x55, sizeof(m));
	assert_int_equal(fsy_msg_decode((const uint8_t *)"\x94\x01\x05", 3, &m),
	    FSY_EMALFORMED);
	assert_null(m.arena);
	fsy_msg_free(&m);
	fsy_msg_free(&m);
	fsy_buf_t b;
	memset(&b, 0, sizeof(b));
	fsy_buf_free(&b);
	fsy_buf_free(NULL);
}

static void
test_uuid_and_names(void **state)
{
	(void)state;
	uint8_t u[16];
	char s[37];

	assert_int_equal(fsy__uuid_to_bin(U_ROW, u), FSY_OK);
	assert_int_equal(u[0], 0x01);
	assert_int_equal(u[7], 0xef);
	assert_int_equal(u[15], 0xef);
	fsy__uuid_from_bin(u, s);
	assert_string_equal(s, U_ROW);
	memset(u, 0xff, sizeof(u));
	fsy__uuid_from_bin(u, s);
	assert_string_equal(s, "ffffffff-ffff-ffff-ffff-ffffffffffff");

	assert_string_equal(fsy_msg_type_name(FSY_MSG_ERROR), "ERROR");
	assert_string_equal(fsy_msg_type_name(FSY_MSG_PUSH), "PUSH");
	assert_string_equal(fsy_msg_type_name(FSY_MSG_CTL_REPLY), "CTL_REPLY");
	assert_string_equal(fsy_msg_type_name(FSY_MSG_TYPE_MAX + 1), "?");
	assert_string_equal(fsy_msg_type_name(-1), "?");
}

static void
test_auth_payload(void **state)
{
	(void)state;
	uint8_t nonce[32], out[128], want[122];

	for (int i = 0; i < 32; i++)
		nonce[i] = (uint8_t)(i + 1);
	memset(out, 0xee, sizeof(out));
	assert_int_equal(fsy_auth_payload(nonce, U_HUB, U_DEV, out), 122);
	memcpy(want, "fieldsync-auth-v1", 18); /* with its NUL */
	memcpy(want + 18, nonce, 32);
	memcpy(want + 50, U_HUB, 36);
	memcpy(want + 86, U_DEV, 36);
	assert_memory_equal(out, want, 122);
	assert_int_equal(out[17], 0);
	assert_int_equal(out[122], 0xee); /* nothing written past the end */
	/* different inputs, different bytes */
	assert_int_equal(fsy_auth_payload(nonce, U_DEV, U_HUB, out), 122);
	assert_memory_not_equal(out, want, 122);
}

/* The hash chain exactly as PROTOCOL.md spells it, byte by byte. */
static void
test_chain_hash_spec(void **state)
{
	(void)state;
	uint8_t prev[32], got[32], want[32], buf[256];
	fsy_val_t vals[3] = {{FSY_VAL_NULL, 0, NULL, 0},
	    {FSY_VAL_INT, -2, NULL, 0}, {FSY_VAL_TEXT, 0, "张三", 6}};

	for (int i = 0; i < 32; i++)
		prev[i] = (uint8_t)i;
	for (int k = 0; k < 3; k++) {
		size_t n = 0;
		memcpy(buf, prev, 32);
		n = 32;
		memcpy(buf + n, "\x00\x00\x00\x00\x00\x00\x01\x02", 8);
		n += 8; /* seq 258 */
		buf[n++] = 3; /* tbl */
		buf[n++] = 9; /* col */
		memcpy(buf + n, U_ROW, 36);
		n += 36;
		memcpy(buf + n, "\x01\x90\xa1\xb2\xc3\xd4\x00\x05", 8);
		n += 8; /* hlc */
		memcpy(buf + n, U_DEV, 36);
		n += 36;
		if (k == 0) {
			buf[n++] = 'n';
		} else if (k == 1) {
			buf[n++] = 'i';
			memset(buf + n, 0xff, 7);
			buf[n + 7] = 0xfe;
			n += 8;
		} else {
			buf[n++] = 's';
			memcpy(buf + n, "\0\0\0\x06", 4);
			n += 4;
			memcpy(buf + n, "张三", 6);
			n += 6;
		}
		crypto_hash_sha256(want, buf, n);
		fsy_chain_hash(prev, 258, 3, 9, U_ROW, 0x0190a1b2c3d40005ULL,
		    U_DEV, &vals[k], got);
		assert_memory_equal(got, want, 32);
	}
}

/* The annotated example of PROTOCOL.md, "An example frame". */
static const char doc_example_hex[] =
    "9401050083a3637572cd04d2a468656164c420"
    "1111111111111111111111111111111111111111111111111111111111111111"
    "a263689197070101c41001913b5c12a37c3d9a2c4f6d7e8f9012"
    "c41001913b5c0f4e7a1b8c9d0e1f2a3b4c5d"
    "cf0191a0c3b5c80001a6e78e8be88ab3";

static void
doc_example(fsy_msg_t *m, fsy_change_t *c)
{
	memset(c, 0, sizeof(*c));
	c->seq = 7;
	c->tbl = 1; /* person */
	c->col = 1; /* person.name */
	snprintf(c->row_id, 37, "01913b5c-12a3-7c3d-9a2c-4f6d7e8f9012");
	snprintf(c->customer_id, 37, "01913b5c-0f4e-7a1b-8c9d-0e1f2a3b4c5d");
	c->hlc = ((uint64_t)0x0191a0c3b5c8 << 16) | 1;
	c->val.type = FSY_VAL_TEXT;
	c->val.s = "王芳";
	c->val.n = strlen("王芳");
	memset(m, 0, sizeof(*m));
	m->type = FSY_MSG_PUSH;
	m->u.push.cursor = 1234;
	memset(m->u.push.head, 0x11, 32);
	m->u.push.changes = c;
	m->u.push.nchanges = 1;
}

static void
test_doc_example(void **state)
{
	(void)state;
	fsy_msg_t m;
	fsy_change_t c;
	fsy_buf_t b = {0};
	char hex[2 * 256 + 1];

	doc_example(&m, &c);
	assert_int_equal(fsy_msg_encode(&m, 1, &b), FSY_OK);
	assert_true(b.len < 256);
	for (size_t i = 0; i < b.len; i++)
		snprintf(hex + 2 * i, 3, "%02x", b.data[i]);
	if (getenv("FSY_PROTO_PRINT_EXAMPLE") != NULL)
		printf("%s\n", hex);
	assert_string_equal(hex, doc_example_hex);
	fsy_buf_free(&b);
}

/* Every committed seed of the fuzz corpus is a valid frame. */
static void
test_fuzz_corpus(void **state)
{
	(void)state;
	const char *dir = FSY_SOURCE_DIR "/tests/fuzz/corpus/proto";
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;
	uint8_t *buf = malloc(1 << 20);

	assert_non_null(d);
	assert_non_null(buf);
	while ((e = readdir(d)) != NULL) {
		char path[1024];
		FILE *f;
		size_t len;
		fsy_msg_t m;

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		f = fopen(path, "rb");
		assert_non_null(f);
		len = fread(buf, 1, 1 << 20, f);
		fclose(f);
		if (fsy_msg_decode(buf, len, &m) != FSY_OK)
			fail_msg("corpus file %s does not decode", path);
		fsy_msg_free(&m);
		n++;
	}
	closedir(d);
	free(buf);
	assert_true(n >= 2 * (FSY_MSG_TYPE_MAX + 1));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip_every_type),
		cmocka_unit_test(test_roundtrip_values),
		cmocka_unit_test(test_roundtrip_empty_lists),
		cmocka_unit_test(test_limits_encode),
		cmocka_unit_test(test_frame_size_encode),
		cmocka_unit_test(test_compression_threshold),
		cmocka_unit_test(test_encode_invalid),
		cmocka_unit_test(test_truncations),
		cmocka_unit_test(test_header_rejects),
		cmocka_unit_test(test_field_types),
		cmocka_unit_test(test_tuple_types),
		cmocka_unit_test(test_limits_decode),
		cmocka_unit_test(test_welcome_roster),
		cmocka_unit_test(test_int_ranges),
		cmocka_unit_test(test_trailing_bytes),
		cmocka_unit_test(test_zstd_rejects),
		cmocka_unit_test(test_random_bytes),
		cmocka_unit_test(test_free_safe),
		cmocka_unit_test(test_uuid_and_names),
		cmocka_unit_test(test_auth_payload),
		cmocka_unit_test(test_chain_hash_spec),
		cmocka_unit_test(test_doc_example),
		cmocka_unit_test(test_fuzz_corpus),
	};
	if (getenv("FSY_TEST_FILTER") != NULL)
		cmocka_set_test_filter(getenv("FSY_TEST_FILTER"));
	return cmocka_run_group_tests(tests, NULL, NULL);
}
