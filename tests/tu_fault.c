/* tu_fault.c — storage faults through a SQLite VFS shim (see tu_fault.h). */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "tu_fault.h"

typedef struct ff_file {
	sqlite3_file base;  /* our methods */
	sqlite3_file *real; /* the default VFS's file, right after this */
	int target;         /* the path matched the target when opened */
} ff_file_t;

static struct {
	sqlite3_vfs vfs;
	sqlite3_vfs *real;
	sqlite3_io_methods methods;
	int installed;
	char target[256];
	uint64_t ops, crash_at, ioerr_at, injected;
	int ioerr_once, full, sync_err, nosync;
} F;

#define REAL(f) (((ff_file_t *)(f))->real)

/* Counts an operation on a target file; dies when the crash point is
 * reached. Returns the operation's number (0: not a target). */
static uint64_t
count_op(sqlite3_file *f)
{
	if (!((ff_file_t *)f)->target)
		return 0;
	F.ops++;
	if (F.crash_at && F.ops == F.crash_at)
		raise(SIGKILL);
	return F.ops;
}

static int
ff_close(sqlite3_file *f)
{
	int rc = REAL(f)->pMethods->xClose(REAL(f));
	f->pMethods = NULL;
	return rc;
}

static int
ff_read(sqlite3_file *f, void *buf, int n, sqlite3_int64 off)
{
	return REAL(f)->pMethods->xRead(REAL(f), buf, n, off);
}

static int
ff_write(sqlite3_file *f, const void *buf, int n, sqlite3_int64 off)
{
	uint64_t op = count_op(f);

	if (op && F.ioerr_at && (F.ioerr_once ? op == F.ioerr_at
	                                      : op >= F.ioerr_at)) {
		F.injected++;
		return SQLITE_IOERR_WRITE;
	}
	if (op && F.full) {
		sqlite3_int64 size = 0;
		int rc = REAL(f)->pMethods->xFileSize(REAL(f), &size);
		if (rc != SQLITE_OK)
			return rc;
		if (off + n > size) {
			F.injected++;
			return SQLITE_FULL;
		}
	}
	return REAL(f)->pMethods->xWrite(REAL(f), buf, n, off);
}

static int
ff_truncate(sqlite3_file *f, sqlite3_int64 size)
{
	(void)count_op(f);
	return REAL(f)->pMethods->xTruncate(REAL(f), size);
}

static int
ff_sync(sqlite3_file *f, int flags)
{
	uint64_t op = count_op(f);

	if (op && F.sync_err) {
		F.injected++;
		return SQLITE_IOERR_FSYNC;
	}
	if (F.nosync)
		return SQLITE_OK;
	return REAL(f)->pMethods->xSync(REAL(f), flags);
}

static int
ff_file_size(sqlite3_file *f, sqlite3_int64 *size)
{
	return REAL(f)->pMethods->xFileSize(REAL(f), size);
}

static int
ff_lock(sqlite3_file *f, int l)
{
	return REAL(f)->pMethods->xLock(REAL(f), l);
}

static int
ff_unlock(sqlite3_file *f, int l)
{
	return REAL(f)->pMethods->xUnlock(REAL(f), l);
}

static int
ff_check_reserved(sqlite3_file *f, int *out)
{
	return REAL(f)->pMethods->xCheckReservedLock(REAL(f), out);
}

static int
ff_file_control(sqlite3_file *f, int op, void *arg)
{
	return REAL(f)->pMethods->xFileControl(REAL(f), op, arg);
}

static int
ff_sector_size(sqlite3_file *f)
{
	return REAL(f)->pMethods->xSectorSize(REAL(f));
}

static int
ff_device_chars(sqlite3_file *f)
{
	return REAL(f)->pMethods->xDeviceCharacteristics(REAL(f));
}

static int
ff_shm_map(sqlite3_file *f, int pg, int pgsz, int extend, void volatile **pp)
{
	return REAL(f)->pMethods->xShmMap(REAL(f), pg, pgsz, extend, pp);
}

static int
ff_shm_lock(sqlite3_file *f, int offset, int n, int flags)
{
	return REAL(f)->pMethods->xShmLock(REAL(f), offset, n, flags);
}

static void
ff_shm_barrier(sqlite3_file *f)
{
	REAL(f)->pMethods->xShmBarrier(REAL(f));
}

static int
ff_shm_unmap(sqlite3_file *f, int del)
{
	return REAL(f)->pMethods->xShmUnmap(REAL(f), del);
}

static int
ff_fetch(sqlite3_file *f, sqlite3_int64 off, int n, void **pp)
{
	return REAL(f)->pMethods->xFetch(REAL(f), off, n, pp);
}

static int
ff_unfetch(sqlite3_file *f, sqlite3_int64 off, void *p)
{
	return REAL(f)->pMethods->xUnfetch(REAL(f), off, p);
}

static int
ff_open(sqlite3_vfs *vfs, const char *name, sqlite3_file *file, int flags,
    int *out_flags)
{
	ff_file_t *f = (ff_file_t *)file;
	int rc;

	(void)vfs;
	memset(f, 0, sizeof(*f));
	f->real = (sqlite3_file *)(f + 1);
	rc = F.real->xOpen(F.real, name, f->real, flags, out_flags);
	f->target = name != NULL && strstr(name, F.target) != NULL;
	f->base.pMethods = f->real->pMethods ? &F.methods : NULL;
	return rc;
}

static int
ff_delete(sqlite3_vfs *vfs, const char *name, int sync_dir)
{
	(void)vfs;
	return F.real->xDelete(F.real, name, sync_dir);
}

static int
ff_access(sqlite3_vfs *vfs, const char *name, int flags, int *out)
{
	(void)vfs;
	return F.real->xAccess(F.real, name, flags, out);
}

static int
ff_full_pathname(sqlite3_vfs *vfs, const char *name, int n, char *out)
{
	(void)vfs;
	return F.real->xFullPathname(F.real, name, n, out);
}

static void *
ff_dlopen(sqlite3_vfs *vfs, const char *name)
{
	(void)vfs;
	return F.real->xDlOpen(F.real, name);
}

static void
ff_dlerror(sqlite3_vfs *vfs, int n, char *msg)
{
	(void)vfs;
	F.real->xDlError(F.real, n, msg);
}

static void (*ff_dlsym(sqlite3_vfs *vfs, void *h, const char *sym))(void)
{
	(void)vfs;
	return F.real->xDlSym(F.real, h, sym);
}

static void
ff_dlclose(sqlite3_vfs *vfs, void *h)
{
	(void)vfs;
	F.real->xDlClose(F.real, h);
}

static int
ff_randomness(sqlite3_vfs *vfs, int n, char *out)
{
	(void)vfs;
	return F.real->xRandomness(F.real, n, out);
}

static int
ff_sleep(sqlite3_vfs *vfs, int us)
{
	(void)vfs;
	return F.real->xSleep(F.real, us);
}

static int
ff_current_time(sqlite3_vfs *vfs, double *t)
{
	(void)vfs;
	return F.real->xCurrentTime(F.real, t);
}

static int
ff_last_error(sqlite3_vfs *vfs, int n, char *msg)
{
	(void)vfs;
	return F.real->xGetLastError(F.real, n, msg);
}

static int
ff_current_time64(sqlite3_vfs *vfs, sqlite3_int64 *t)
{
	(void)vfs;
	return F.real->xCurrentTimeInt64(F.real, t);
}

void
tu_fault_install(void)
{
	if (F.installed)
		return;
	F.real = sqlite3_vfs_find(NULL);
	if (F.real == NULL || F.real->iVersion < 2) {
		fprintf(stderr, "tu_fault: no usable default VFS\n");
		abort();
	}
	F.vfs.iVersion = 2;
	F.vfs.szOsFile = (int)sizeof(ff_file_t) + F.real->szOsFile;
	F.vfs.mxPathname = F.real->mxPathname;
	F.vfs.zName = "fsy-fault";
	F.vfs.xOpen = ff_open;
	F.vfs.xDelete = ff_delete;
	F.vfs.xAccess = ff_access;
	F.vfs.xFullPathname = ff_full_pathname;
	F.vfs.xDlOpen = ff_dlopen;
	F.vfs.xDlError = ff_dlerror;
	F.vfs.xDlSym = ff_dlsym;
	F.vfs.xDlClose = ff_dlclose;
	F.vfs.xRandomness = ff_randomness;
	F.vfs.xSleep = ff_sleep;
	F.vfs.xCurrentTime = ff_current_time;
	F.vfs.xGetLastError = ff_last_error;
	F.vfs.xCurrentTimeInt64 = ff_current_time64;

	F.methods.iVersion = 3;
	F.methods.xClose = ff_close;
	F.methods.xRead = ff_read;
	F.methods.xWrite = ff_write;
	F.methods.xTruncate = ff_truncate;
	F.methods.xSync = ff_sync;
	F.methods.xFileSize = ff_file_size;
	F.methods.xLock = ff_lock;
	F.methods.xUnlock = ff_unlock;
	F.methods.xCheckReservedLock = ff_check_reserved;
	F.methods.xFileControl = ff_file_control;
	F.methods.xSectorSize = ff_sector_size;
	F.methods.xDeviceCharacteristics = ff_device_chars;
	F.methods.xShmMap = ff_shm_map;
	F.methods.xShmLock = ff_shm_lock;
	F.methods.xShmBarrier = ff_shm_barrier;
	F.methods.xShmUnmap = ff_shm_unmap;
	F.methods.xFetch = ff_fetch;
	F.methods.xUnfetch = ff_unfetch;
	if (sqlite3_vfs_register(&F.vfs, 1) != SQLITE_OK) {
		fprintf(stderr, "tu_fault: cannot register the VFS\n");
		abort();
	}
	F.installed = 1;
}

void
tu_fault_reset(void)
{
	F.target[0] = '\0';
	F.ops = F.crash_at = F.ioerr_at = F.injected = 0;
	F.ioerr_once = F.full = F.sync_err = 0;
}

void
tu_fault_target(const char *s)
{
	snprintf(F.target, sizeof(F.target), "%s", s ? s : "");
}

void
tu_fault_crash_at(uint64_t n)
{
	F.crash_at = n;
}

void
tu_fault_nosync(int on)
{
	F.nosync = on;
}

void
tu_fault_full(int on)
{
	F.full = on;
}

void
tu_fault_ioerr_write(uint64_t n, int once)
{
	F.ioerr_at = n;
	F.ioerr_once = once;
}

void
tu_fault_ioerr_sync(int on)
{
	F.sync_err = on;
}

uint64_t
tu_fault_ops(void)
{
	return F.ops;
}

uint64_t
tu_fault_injected(void)
{
	return F.injected;
}

void
tu_rng_seed(tu_rng_t *r, uint64_t seed)
{
	r->s = seed * 0x9e3779b97f4a7c15ULL + 0x2545f4914f6cdd1dULL;
	if (r->s == 0)
		r->s = 1;
}

uint64_t
tu_rng_next(tu_rng_t *r)
{
	r->s ^= r->s >> 12;
	r->s ^= r->s << 25;
	r->s ^= r->s >> 27;
	return r->s * 0x2545f4914f6cdd1dULL;
}

uint32_t
tu_rng_below(tu_rng_t *r, uint32_t n)
{
	return (uint32_t)((tu_rng_next(r) >> 32) % n);
}

int
tu_torture(void)
{
	const char *e = getenv("FSY_TORTURE");
	return e != NULL && strcmp(e, "1") == 0;
}
