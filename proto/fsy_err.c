/* fsy_err.c — messages and translations for the fieldsync error codes. */
#include <errno.h>
#include <stddef.h>

#include "fsy_err.h"

/* SQLite's primary result codes, copied as numbers so that this module (and
 * the CLI, which does not link SQLite) does not need sqlite3.h. They are
 * part of SQLite's stable ABI. */
enum {
	SQ_OK = 0, SQ_ERROR = 1, SQ_INTERNAL = 2, SQ_PERM = 3, SQ_ABORT = 4,
	SQ_BUSY = 5, SQ_LOCKED = 6, SQ_NOMEM = 7, SQ_READONLY = 8,
	SQ_IOERR = 10, SQ_CORRUPT = 11, SQ_NOTFOUND = 12, SQ_FULL = 13,
	SQ_CANTOPEN = 14, SQ_CONSTRAINT = 19, SQ_MISMATCH = 20, SQ_RANGE = 25,
	SQ_NOTADB = 26, SQ_ROW = 100, SQ_DONE = 101
};

const char *
fsy_strerror(int err)
{
	switch (err) {
#define FSY_ERR_MSG(name, num, msg)                                            \
	case num:                                                              \
		return msg;
		FSY_ERRNO_MAP(FSY_ERR_MSG)
#undef FSY_ERR_MSG
	default:
		return "unknown error";
	}
}

const char *
fsy_errname(int err)
{
	switch (err) {
#define FSY_ERR_NAME(name, num, msg)                                           \
	case num:                                                              \
		return "E" #name;
		FSY_ERRNO_MAP(FSY_ERR_NAME)
#undef FSY_ERR_NAME
	default:
		return "EUNKNOWN";
	}
}

int
fsy_err_from_sqlite(int rc)
{
	switch (rc & 0xff) {
	case SQ_OK:
	case SQ_ROW:
	case SQ_DONE:
		return FSY_OK;
	case SQ_NOMEM:
		return FSY_ENOMEM;
	case SQ_BUSY:
	case SQ_LOCKED:
		return FSY_EBUSY;
	case SQ_FULL:
		return FSY_EFULL;
	case SQ_IOERR:
	case SQ_CANTOPEN:
		return FSY_EIO;
	case SQ_CORRUPT:
	case SQ_NOTADB:
		return FSY_ECORRUPT;
	case SQ_CONSTRAINT:
		return FSY_ECONSTRAINT;
	case SQ_PERM:
	case SQ_READONLY:
		return FSY_EPERM;
	case SQ_NOTFOUND:
		return FSY_ENOTFOUND;
	case SQ_RANGE:
	case SQ_MISMATCH:
		return FSY_EINVAL;
	default:
		return FSY_EINTERNAL;
	}
}

int
fsy_err_from_errno(int e)
{
	switch (e) {
	case 0:
		return FSY_OK;
	case ENOMEM:
		return FSY_ENOMEM;
	case ENOSPC:
	case EDQUOT:
		return FSY_EFULL;
	case ENOENT:
		return FSY_ENOTFOUND;
	case EEXIST:
		return FSY_EEXISTS;
	case EACCES:
	case EPERM:
		return FSY_EPERM;
	case EINVAL:
		return FSY_EINVAL;
	case ETIMEDOUT:
		return FSY_ETIMEOUT;
	case ECONNREFUSED:
		return FSY_ECONNREFUSED;
	case EAGAIN:
		return FSY_EBUSY;
	case ERANGE:
	case EOVERFLOW:
		return FSY_ERANGE;
	default:
		return FSY_EIO;
	}
}
