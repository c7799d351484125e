/*
 * util.h — small shared helpers: UUIDs, time, hex.
 */
#ifndef FSY_UTIL_H
#define FSY_UTIL_H

#include <stddef.h>
#include <stdint.h>

#define FSY_UUID_STRLEN 36 /* without the terminating NUL */

/* Writes a new time-ordered UUID (RFC 9562 version 7: 48-bit Unix ms,
 * then random bits) as 36 lower-case characters and a NUL into out. */
void fsy_uuid_v7(char out[FSY_UUID_STRLEN + 1]);

/* Returns 1 when s is a well-formed UUID string in canonical lower case
 * (36 chars, any version). */
int fsy_uuid_valid(const char *s);

/* Converts between the 36-char text form and 16 raw bytes.
 * fsy_uuid_parse returns FSY_EINVAL on a malformed string. */
int fsy_uuid_parse(const char *s, uint8_t out[16]);
void fsy_uuid_format(const uint8_t in[16], char out[FSY_UUID_STRLEN + 1]);

/* Wall-clock time in Unix milliseconds. Honours FSY_CLOCK_OFFSET_MS in the
 * environment (signed, ms), so that tests can skew a process's clock. */
int64_t fsy_now_ms(void);

/* Formats Unix ms as UTC 'YYYY-MM-DDTHH:MM:SSZ' (21 bytes with NUL). */
void fsy_iso_time(int64_t ms, char out[21]);

/* Formats Unix ms as UTC 'YYYY-MM-DD' (11 bytes with NUL). */
void fsy_iso_date(int64_t ms, char out[11]);

/* Parses 'YYYY-MM-DD' or 'YYYY-MM-DDTHH:MM:SS[Z]' (UTC) into Unix ms.
 * Returns FSY_EINVAL on anything else, including impossible dates. */
int fsy_parse_time(const char *s, int64_t *ms);

/* Days since 1970-01-01 for a civil date, and back (proleptic Gregorian). */
int64_t fsy_days_from_civil(int y, unsigned m, unsigned d);
void fsy_civil_from_days(int64_t z, int *y, unsigned *m, unsigned *d);

/* Lower-case hex of n bytes into out (2n+1 bytes). */
void fsy_hex(const uint8_t *in, size_t n, char *out);

/* Parses exactly 2n hex digits into n bytes; FSY_EINVAL otherwise. */
int fsy_unhex(const char *in, uint8_t *out, size_t n);

#endif /* FSY_UTIL_H */
