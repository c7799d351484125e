/*
 * test_full.c — a full disk and I/O errors, on a laptop and at the hub.
 *
 * Two ways to fill a disk: PRAGMA max_page_count on the store's
 * connection (SQLite answers SQLITE_FULL once the file would grow past
 * it), and the fault VFS (tu_fault.h: a file may not grow at all, as on
 * a real full disk, or every write/sync fails with an I/O error).
 * Guarantees checked for each:
 *   - a CLI command (fsy_cmd_run) fails with EFULL / EIO and a message
 *     saying so, and changes nothing (rows, change log, integrity);
 *   - what was saved before stays, and syncs later;
 *   - a sync round fails cleanly on either side (the hub answers ERROR
 *     EFULL with a retry time) and, once there is space again, the next
 *     round finishes the job: every change at the hub once, replicas
 *     equal to their hub scope.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cmd.h"
#include "tu_fault.h"
#include "tu_world.h"
#include "util.h"

#define A1 "0190f000-0000-7000-8000-0000000000a1"
#define A2 "0190f000-0000-7000-8000-0000000000a2"

static tu_hub_t H;
static tu_agent_t L1;
static char C[4][37];

static int
setup(void **state)
{
	(void)state;
	tu_cleanup();
	tu_fault_install();
	tu_fault_reset();
	tu_hub_open(&H, "hub.db");
	tu_hub_agent(&H, A1, "A1", "t1", "agent");
	tu_hub_agent(&H, A2, "A2", "t1", "agent");
	for (int i = 0; i < 4; i++)
		tu_hub_customer(&H, C[i], "王四", i < 3 ? A1 : A2, A1);
	tu_agent_open(&H, &L1, "lap.db", A1);
	tu_sync_ok(&H, &L1);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	tu_fault_reset();
	tu_agent_close(&L1);
	tu_hub_close(&H);
	tu_cleanup();
	return 0;
}

/* Runs a command; returns its code, the message in msg. */
static int
cmd(fsy_store_t *st, fsy_role_t role, const char *req, char *msg, size_t n)
{
	fsy_cmd_ctx_t ctx;
	char *reply = NULL;
	json_t *j;
	int rc;

	memset(&ctx, 0, sizeof(ctx));
	ctx.st = st;
	ctx.role = role;
	ctx.datadir = getenv("FSY_DATADIR");
	rc = fsy_cmd_run(&ctx, req, strlen(req), &reply);
	assert_non_null(reply);
	j = json_loads(reply, 0, NULL);
	assert_non_null(j);
	snprintf(msg, n, "%s", rc == FSY_OK ? "" :
	    json_string_value(json_object_get(j, "message")));
	json_decref(j);
	free(reply);
	return rc;
}

static void
visit_req(char *buf, size_t n, const char *customer, int k)
{
	snprintf(buf, n, "{\"cmd\":\"visit.add\",\"args\":{\"customer\":\"%s\","
	    "\"channel\":\"visit\",\"customer_said\":\"第%d次\"}}", customer, k);
}

/* A fingerprint of a laptop: replica hash and change-log length. */
static void
laptop_print(fsy_store_t *st, uint8_t h[32], int64_t *log)
{
	assert_int_equal(fsy_replica_hash(st, h), FSY_OK);
	*log = tu_int(st, "SELECT count(*) FROM change_log");
}

static void
set_cap(fsy_store_t *st, int on)
{
	char sql[64];
	if (on)
		snprintf(sql, sizeof(sql), "PRAGMA max_page_count = %lld",
		    (long long)tu_int(st, "PRAGMA page_count"));
	else
		snprintf(sql, sizeof(sql), "PRAGMA max_page_count = 1073741823");
	(void)tu_int(st, sql);
}

/* Writes visits until the disk is full; the failing one must say so and
 * change nothing. Returns the visits saved. */
static int
fill_with_visits(fsy_store_t *st, int expect_code, const char *want)
{
	char req[256], msg[512];
	uint8_t h0[32], h1[32];
	int64_t log0, log1;
	int saved = 0, rc = FSY_OK;

	for (int k = 0; k < 20000 && rc == FSY_OK; k++) {
		laptop_print(st, h0, &log0);
		visit_req(req, sizeof(req), C[k % 3], k);
		rc = cmd(st, FSY_ROLE_AGENT, req, msg, sizeof(msg));
		if (rc == FSY_OK) {
			saved++;
			continue;
		}
		if (rc != expect_code || strstr(msg, want) == NULL)
			fail_msg("visit %d: %s '%s', want %s saying '%s'", k,
			    fsy_errname(rc), msg, fsy_errname(expect_code), want);
		printf("full: the command said: %s: %s\n", fsy_errname(rc), msg);
		laptop_print(st, h1, &log1);
		assert_memory_equal(h0, h1, 32);
		assert_int_equal(log0, log1);
		assert_string_equal(tu_text(st, "PRAGMA integrity_check"), "ok");
	}
	assert_int_equal(rc, expect_code);
	return saved;
}

/* ---- the laptop's disk ------------------------------------------------------ */

static void
test_laptop_full_cli_then_recovers(void **state)
{
	char req[256], msg[512];
	int saved;

	(void)state;
	set_cap(L1.st, 1);
	saved = fill_with_visits(L1.st, FSY_EFULL, "full");
	printf("full: the laptop took %d visits before its disk was full\n", saved);
	/* the same command again: still refused, still nothing changed */
	visit_req(req, sizeof(req), C[0], 99999);
	assert_int_equal(cmd(L1.st, FSY_ROLE_AGENT, req, msg, sizeof(msg)),
	    FSY_EFULL);
	/* space again: the command works, and everything syncs */
	set_cap(L1.st, 0);
	assert_int_equal(cmd(L1.st, FSY_ROLE_AGENT, req, msg, sizeof(msg)), FSY_OK);
	tu_sync_ok(&H, &L1);
	assert_int_equal(tu_int(H.st, "SELECT count(*) FROM visit"), saved + 1);
	tu_assert_converged(&H, &L1);
}

/* The replica is full when head office has news for it: every round fails
 * cleanly with EFULL, nothing half-applied; the laptop's own pending
 * visits stay pending; with space again everything arrives once. */
static void
test_laptop_full_during_sync(void **state)
{
	char req[256], msg[512], sql[256];
	uint8_t h0[32], h1[32];
	int64_t log0, log1;
	int saved;

	(void)state;
	set_cap(L1.st, 1);
	saved = fill_with_visits(L1.st, FSY_EFULL, "full");
	/* news: a customer with long notes moves in (a snapshot that needs
	 * new pages), another is edited */
	snprintf(sql, sizeof(sql), "UPDATE customer SET owner_agent_id = '%s', "
	    "facts = printf('%%.60000c', 'x') WHERE id = '%s'", A1, C[3]);
	tu_exec(H.st, sql);
	snprintf(sql, sizeof(sql), "UPDATE customer SET address = '总部' WHERE "
	    "id = '%s'", C[0]);
	tu_exec(H.st, sql);
	laptop_print(L1.st, h0, &log0);
	for (int r = 0; r < 3; r++) {
		int rc = tu_sync(&H, &L1, -1);
		assert_int_equal(rc, FSY_EFULL);
		assert_non_null(strstr(L1.sess.errmsg, "full"));
		if (r == 0)
			printf("full: the round said: %s\n", L1.sess.errmsg);
		laptop_print(L1.st, h1, &log1);
		assert_int_equal(log0, log1);
		assert_string_equal(tu_text(L1.st, "PRAGMA integrity_check"), "ok");
	}
	/* what the laptop saved is still there, and still to be sent */
	assert_int_equal(tu_int(L1.st, "SELECT count(*) FROM visit"), saved);
	set_cap(L1.st, 0);
	visit_req(req, sizeof(req), C[1], 7);
	assert_int_equal(cmd(L1.st, FSY_ROLE_AGENT, req, msg, sizeof(msg)), FSY_OK);
	tu_sync_ok(&H, &L1);
	tu_sync_ok(&H, &L1);
	assert_int_equal(tu_int(H.st, "SELECT count(*) FROM visit"), saved + 1);
	assert_int_equal(tu_int(L1.st, "SELECT count(*) FROM customer"), 4);
	snprintf(sql, sizeof(sql), "SELECT address FROM customer WHERE id = '%s'",
	    C[0]);
	assert_string_equal(tu_text(L1.st, sql), "总部");
	tu_assert_converged(&H, &L1);
}

/* ---- the hub's disk --------------------------------------------------------- */

static void
test_hub_full_then_recovers(void **state)
{
	char req[256], msg[512], sql[256];
	uint8_t before[32], after[32];
	int64_t pending;
	fsy_replica_status_t rs;

	(void)state;
	for (int k = 0; k < 40; k++) {
		visit_req(req, sizeof(req), C[k % 3], k);
		assert_int_equal(cmd(L1.st, FSY_ROLE_AGENT, req, msg, sizeof(msg)),
		    FSY_OK);
	}
	assert_int_equal(fsy_replica_status(L1.st, &rs), FSY_OK);
	pending = rs.pending;
	assert_true(pending > 0);
	/* the hub's disk fills up (its free pages used by head office) */
	set_cap(H.st, 1);
	for (int k = 0; k < 100000; k++) {
		snprintf(sql, sizeof(sql), "INSERT INTO audit(at, actor, action, "
		    "detail) VALUES ('2026-01-01T00:00:00Z', 'test', 'fill', "
		    "hex(randomblob(200)))");
		if (fsy_store_exec(H.st, sql) == FSY_EFULL)
			break;
	}
	assert_int_equal(fsy_hub_scope_hash(H.st, A1, before), FSY_OK);
	for (int r = 0; r < 3; r++) {
		int rc = tu_sync(&H, &L1, -1);
		assert_int_equal(rc, FSY_EFULL);
		assert_non_null(strstr(L1.sess.errmsg, "full"));
		if (r == 0)
			printf("full: the round said: %s\n", L1.sess.errmsg);
		assert_int_equal(fsy_replica_status(L1.st, &rs), FSY_OK);
		assert_int_equal(rs.pending, pending);
	}
	assert_int_equal(fsy_hub_scope_hash(H.st, A1, after), FSY_OK);
	assert_memory_equal(before, after, 32);
	assert_string_equal(tu_text(H.st, "PRAGMA integrity_check"), "ok");
	/* a head-office command says so too */
	snprintf(req, sizeof(req), "{\"cmd\":\"assign\",\"args\":{\"customer\":"
	    "\"%s\",\"agent\":\"A2\",\"reason\":\"test\"}}", C[0]);
	assert_int_equal(cmd(H.st, FSY_ROLE_HUB, req, msg, sizeof(msg)), FSY_EFULL);
	assert_non_null(strstr(msg, "full"));
	printf("full: the hub command said: %s\n", msg);
	set_cap(H.st, 0);
	tu_sync_ok(&H, &L1);
	assert_int_equal(tu_int(H.st, "SELECT count(*) FROM visit"), 40);
	assert_int_equal(fsy_replica_status(L1.st, &rs), FSY_OK);
	assert_int_equal(rs.pending, 0);
	tu_assert_converged(&H, &L1);
}

/* ---- a file that cannot grow, and I/O errors (tu_fault) ------------------ */

static void
test_vfs_full_and_io_errors(void **state)
{
	char req[256], msg[512];
	uint8_t h0[32], h1[32];
	int64_t log0, log1;
	int rc;

	(void)state;
	/* the laptop's files cannot grow */
	tu_fault_target("lap.db");
	tu_fault_full(1);
	laptop_print(L1.st, h0, &log0);
	int saved = fill_with_visits(L1.st, FSY_EFULL, "full");
	laptop_print(L1.st, h1, &log1);
	assert_true(log1 >= log0);
	/* the daemon restarts while the disk is full: the store opens (it
	 * writes nothing when its triggers are current), reads work, writes
	 * still say the disk is full */
	{
		fsy_store_t *st = NULL;
		char err[512];
		fsy_agent_session_fini(&L1.sess);
		fsy_store_close(L1.st);
		L1.st = NULL;
		rc = fsy_store_open(tu_path("lap.db"), FSY_ROLE_AGENT, L1.device_id,
		    &st, err, sizeof(err));
		if (rc != FSY_OK)
			fail_msg("open on a full disk: %s", err);
		L1.st = st;
		fsy_agent_session_init(&L1.sess, L1.st, L1.sk);
		assert_string_equal(tu_text(L1.st, "PRAGMA integrity_check"), "ok");
		assert_int_equal(tu_int(L1.st, "SELECT count(*) FROM change_log"),
		    log1);
		assert_int_equal(cmd(L1.st, FSY_ROLE_AGENT, "{\"cmd\":\"customers\"}",
		    msg, sizeof(msg)), FSY_OK);
		visit_req(req, sizeof(req), C[0], 3);
		assert_int_equal(cmd(L1.st, FSY_ROLE_AGENT, req, msg, sizeof(msg)),
		    FSY_EFULL);
	}
	/* every write fails: an I/O error, said as such, nothing changed */
	tu_fault_full(0);
	tu_fault_ioerr_write(1, 0);
	laptop_print(L1.st, h0, &log0);
	visit_req(req, sizeof(req), C[0], 1);
	rc = cmd(L1.st, FSY_ROLE_AGENT, req, msg, sizeof(msg));
	if (rc != FSY_EIO || strstr(msg, "I/O") == NULL)
		fail_msg("write error: %s '%s'", fsy_errname(rc), msg);
	printf("full: the command said: %s: %s\n", fsy_errname(rc), msg);
	laptop_print(L1.st, h1, &log1);
	assert_memory_equal(h0, h1, 32);
	assert_int_equal(log0, log1);
	/* the disk fails the commit's fsync: the command reports an I/O
	 * error; after a restart the visit must not be there either, or a
	 * user who retries would record it twice */
	tu_fault_ioerr_write(0, 0);
	(void)tu_int(L1.st, "PRAGMA synchronous = FULL");
	tu_fault_ioerr_sync(1);
	{
		int64_t v0 = tu_int(L1.st, "SELECT count(*) FROM visit");
		visit_req(req, sizeof(req), C[0], 2);
		rc = cmd(L1.st, FSY_ROLE_AGENT, req, msg, sizeof(msg));
		printf("full: a failing fsync: %s: %s\n", fsy_errname(rc), msg);
		tu_fault_ioerr_sync(0);
		tu_agent_reopen(&L1);
		int64_t v1 = tu_int(L1.st, "SELECT count(*) FROM visit");
		if (rc != FSY_OK && v1 != v0)
			fail_msg("the command failed (%s) but the visit was saved",
			    msg);
		if (rc == FSY_OK && v1 != v0 + 1)
			fail_msg("the command succeeded but the visit is gone");
		saved += (int)(v1 - v0);
	}
	tu_fault_ioerr_write(1, 0);
	/* a sync round with failing writes on the laptop */
	rc = tu_sync(&H, &L1, -1);
	assert_true(rc == FSY_EIO || rc == FSY_OK);
	tu_fault_reset();
	tu_agent_reopen(&L1);
	assert_string_equal(tu_text(L1.st, "PRAGMA integrity_check"), "ok");
	tu_sync_ok(&H, &L1);
	assert_int_equal(tu_int(H.st, "SELECT count(*) FROM visit"), saved);

	/* the hub's files cannot grow: rounds fail, then catch up */
	for (int k = 0; k < 30; k++) {
		visit_req(req, sizeof(req), C[k % 3], 1000 + k);
		assert_int_equal(cmd(L1.st, FSY_ROLE_AGENT, req, msg, sizeof(msg)),
		    FSY_OK);
	}
	tu_fault_target("hub.db");
	tu_fault_full(1);
	uint64_t injected = 0;
	for (int r = 0; r < 3; r++) {
		rc = tu_sync(&H, &L1, -1);
		assert_true(rc == FSY_EFULL || rc == FSY_OK);
		if (rc == FSY_OK)
			break;
		injected = tu_fault_injected();
	}
	tu_fault_reset();
	tu_sync_ok(&H, &L1);
	assert_int_equal(tu_int(H.st, "SELECT count(*) FROM visit"), saved + 30);
	tu_assert_converged(&H, &L1);
	printf("full: %llu writes refused at the hub's files, then caught up\n",
	    (unsigned long long)injected);
}

/* ---- random disk faults under random work -------------------------------- */

static void
sync_full(tw_world_t *w)
{
	(void)tu_int(w->h.st, "PRAGMA synchronous = FULL");
	for (int i = 0; i < w->nlap; i++)
		(void)tu_int(w->lap[i].st, "PRAGMA synchronous = FULL");
}

/* The world of the crash and network tests; now and then one database's
 * disk fills up, or its writes or syncs fail, for a few steps; then the
 * daemons restart (every store reopened) and the disk is fine again.
 * Every 100 steps everybody syncs and every guarantee is checked. */
static void
test_random_resource_faults(void **state)
{
	tw_world_t *w = calloc(1, sizeof(*w));
	const char *e = getenv("FSY_SEED");
	int steps = tu_torture() ? 6000 : 600, armed = 0, checks = 0, last = 0;
	uint64_t injected = 0, episodes[3] = {0};
	tw_stats_t st;
	tu_rng_t r;

	(void)state;
	assert_non_null(w);
	tu_fault_reset();
	tu_agent_close(&L1);
	tu_hub_close(&H);
	tu_cleanup();
	memset(&st, 0, sizeof(st));
	tu_rng_seed(&r, e ? strtoull(e, NULL, 10) : 5);
	tu_fault_nosync(1);
	tw_open(w, 4, 2, &st, r.s);
	sync_full(w);
	tw_converge(w);
	int64_t start = fsy_now_ms();
	for (int s = 1; s <= steps; s++) {
		/* a loaded machine: stop in time for ctest's 300 s */
		if (s % 100 == 0 && fsy_now_ms() - start > 180 * 1000)
			steps = s;
		if (!armed && tu_rng_below(&r, 15) == 0) {
			int k = (int)tu_rng_below(&r, 3);
			int db = (int)tu_rng_below(&r, (uint32_t)w->nlap + 1);
			char target[32];
			snprintf(target, sizeof(target), db == w->nlap ? "hub.db"
			    : "lap%d.db", db);
			tu_fault_reset();
			tu_fault_target(target);
			if (k == 0)
				tu_fault_full(1);
			else if (k == 1)
				tu_fault_ioerr_write(1 + tu_rng_below(&r, 20), 0);
			else
				tu_fault_ioerr_sync(1);
			episodes[k]++;
			armed = 3 + (int)tu_rng_below(&r, 15);
		}
		if (tw_step(w) == FSY_EINTERNAL)
			fail_msg("step %d: %s", s, w->err);
		if (s == steps && armed)
			armed = 1;
		if (armed && --armed == 0) {
			injected += tu_fault_injected();
			tu_fault_reset();
			/* the daemons restart with space again */
			tw_stores_close(w);
			if (tw_stores_open(w) != FSY_OK)
				fail_msg("step %d: reopen: %s", s, w->err);
			sync_full(w);
			tw_check_storage(w);
		}
		if (!armed && (s - last >= 100 || s == steps)) {
			tw_converge(w);
			tw_check_all(w);
			checks++;
			last = s;
		}
	}
	tu_fault_reset();
	tw_print_stats("full", &st);
	printf("full: %d steps, disk episodes: %llu full, %llu with write "
	    "errors, %llu with fsync errors; %llu operations refused; %d full "
	    "convergence checks\n", steps, (unsigned long long)episodes[0],
	    (unsigned long long)episodes[1], (unsigned long long)episodes[2],
	    (unsigned long long)injected, checks);
	tw_close(w);
	free(w);
	/* what teardown closes */
	tu_cleanup();
	memset(&H, 0, sizeof(H));
	memset(&L1, 0, sizeof(L1));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_laptop_full_cli_then_recovers,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_laptop_full_during_sync, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_hub_full_then_recovers, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_vfs_full_and_io_errors, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_random_resource_faults, setup,
		    teardown),
	};
	if (getenv("FSY_TEST_FILTER"))
		cmocka_set_test_filter(getenv("FSY_TEST_FILTER"));
	return cmocka_run_group_tests(tests, NULL, NULL);
}
