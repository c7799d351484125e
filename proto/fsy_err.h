/*
 * fsy_err.h — the one error enum of fieldsync.
 *
 * Every fallible function returns an int: 0 (FSY_OK) on success, a negative
 * FSY_E* code on failure. Codes travel on the wire unchanged (PROTOCOL.md),
 * so their numbers never change once released; add new ones at the end.
 * SQLite, nng, libuv and errno codes are translated where they enter a
 * module, with the helpers below.
 */
#ifndef FSY_ERR_H
#define FSY_ERR_H

/* X(name, number, message) */
#define FSY_ERRNO_MAP(X)                                                       \
	X(OK, 0, "success")                                                    \
	X(NOMEM, -1, "out of memory")                                          \
	X(INVAL, -2, "invalid argument")                                       \
	X(IO, -3, "input/output error")                                        \
	X(FULL, -4, "disk full")                                               \
	X(NOTFOUND, -5, "not found")                                           \
	X(EXISTS, -6, "already exists")                                        \
	X(BUSY, -7, "database or resource busy")                               \
	X(CORRUPT, -8, "data corrupt")                                         \
	X(MALFORMED, -9, "malformed message")                                  \
	X(TOOBIG, -10, "message or field too large")                           \
	X(VERSION, -11, "unsupported protocol or schema version")              \
	X(AUTH, -12, "authentication failed")                                  \
	X(REVOKED, -13, "device revoked")                                      \
	X(UNKNOWNDEV, -14, "unknown device")                                   \
	X(PERM, -15, "permission denied")                                      \
	X(NOTOWNER, -16, "customer not owned by this agent")                   \
	X(READONLY, -17, "column is owned by head office")                     \
	X(INSERTONLY, -18, "record is insert-only")                            \
	X(CHAIN, -19, "change-log hash chain broken")                          \
	X(GAP, -20, "change sequence gap")                                     \
	X(TIMEOUT, -21, "timed out")                                           \
	X(CLOSED, -22, "connection closed")                                    \
	X(CONNREFUSED, -23, "connection refused")                              \
	X(PROTO, -24, "protocol error")                                        \
	X(CSV, -25, "bad CSV input")                                           \
	X(CONFIG, -26, "bad configuration")                                    \
	X(SURNAME, -27, "unknown surname: give the pinyin initial")            \
	X(LOCKED, -28, "another daemon holds the lock")                        \
	X(TLS, -29, "TLS error")                                               \
	X(STATE, -30, "operation not valid in this state")                     \
	X(SCHEME, -31, "bad tier scheme")                                      \
	X(DISQUALIFIED, -32, "agent disqualified for this customer")           \
	X(INTERNAL, -33, "internal error")                                     \
	X(RANGE, -34, "value out of range")                                    \
	X(CONSTRAINT, -35, "constraint violated")

typedef enum {
#define FSY_ERR_ENUM(name, num, msg) FSY_E##name = (num),
	FSY_ERRNO_MAP(FSY_ERR_ENUM)
#undef FSY_ERR_ENUM
} fsy_err_t;

#define FSY_OK FSY_EOK

/* Returns a static, human-readable message for a code; never NULL. */
const char *fsy_strerror(int err);

/* Returns the symbolic name ("EFULL") for a code; never NULL. */
const char *fsy_errname(int err);

/* Translates a SQLite primary or extended result code to an FSY_E* code. */
int fsy_err_from_sqlite(int rc);

/* Translates a positive errno value to an FSY_E* code. */
int fsy_err_from_errno(int e);

#endif /* FSY_ERR_H */
