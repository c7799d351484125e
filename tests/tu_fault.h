/*
 * tu_fault.h — storage faults for the torture tests: a SQLite VFS shim
 * wrapped around the default VFS that, for the files whose path contains
 * a chosen text, can
 *   - kill the process (SIGKILL) at the N-th write, sync or truncate: a
 *     crash at an exact point inside a transaction, seed-reproducible;
 *   - refuse to grow a file (SQLITE_FULL, as a full disk does: writes
 *     inside the file's current size still succeed);
 *   - fail writes or syncs with an I/O error (SQLITE_IOERR_WRITE /
 *     SQLITE_IOERR_FSYNC), from the N-th on or once.
 * Every store opened after tu_fault_install() goes through the shim (it
 * becomes SQLite's default VFS). With no fault armed it only counts.
 * State is process-global (SQLite's VFS list is); tests are
 * single-threaded while they arm faults.
 */
#ifndef FSY_TU_FAULT_H
#define FSY_TU_FAULT_H

#include <stdint.h>

/* Registers the shim as the default VFS (once per process). */
void tu_fault_install(void);

/* Disarms every fault and zeroes the counters; target becomes "" (all).
 * tu_fault_nosync() stays as it is. */
void tu_fault_reset(void);

/* Faults and counters apply to files whose path contains s ("": all). */
void tu_fault_target(const char *s);

/* SIGKILL at the n-th counted operation on a target file (0: never). */
void tu_fault_crash_at(uint64_t n);

/* 1: target files cannot grow (writes past the end fail SQLITE_FULL). */
void tu_fault_full(int on);

/* Writes to target files fail with SQLITE_IOERR_WRITE from the n-th
 * counted operation on (0: off); once: only that one. */
void tu_fault_ioerr_write(uint64_t n, int once);

/* Syncs of target files fail with SQLITE_IOERR_FSYNC (0/1). */
void tu_fault_ioerr_sync(int on);

/* 1: syncs of every file return at once without syncing (a process
 * kill loses nothing the OS has; only power loss would). Speeds up tests
 * that open many databases: fsy_store_open commits with full sync. */
void tu_fault_nosync(int on);

/* Operations (write, sync, truncate) counted on target files. */
uint64_t tu_fault_ops(void);

/* Faults injected (refused writes, failed syncs) since the last reset. */
uint64_t tu_fault_injected(void);

/* A small deterministic PRNG (xorshift64*), for seeded test runs. */
typedef struct tu_rng {
	uint64_t s;
} tu_rng_t;

void tu_rng_seed(tu_rng_t *r, uint64_t seed);
uint64_t tu_rng_next(tu_rng_t *r);
/* Uniform in [0, n), n > 0. */
uint32_t tu_rng_below(tu_rng_t *r, uint32_t n);

/* FSY_TORTURE=1 in the environment: the long runs of `make torture`. */
int tu_torture(void);

#endif
