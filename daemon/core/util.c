/* util.c — UUIDs (via libuuid), time and hex helpers. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <uuid/uuid.h>

#include "fsy_err.h"
#include "util.h"

void
fsy_uuid_v7(char out[FSY_UUID_STRLEN + 1])
{
	uuid_t u;
	uint64_t ms = (uint64_t)fsy_now_ms();

	uuid_generate_random(u); /* 122 random bits from libuuid */
	u[0] = (uint8_t)(ms >> 40);
	u[1] = (uint8_t)(ms >> 32);
	u[2] = (uint8_t)(ms >> 24);
	u[3] = (uint8_t)(ms >> 16);
	u[4] = (uint8_t)(ms >> 8);
	u[5] = (uint8_t)ms;
	u[6] = (uint8_t)(0x70 | (u[6] & 0x0f)); /* version 7 */
	u[8] = (uint8_t)(0x80 | (u[8] & 0x3f)); /* RFC 9562 variant */
	uuid_unparse_lower(u, out);
}

int
fsy_uuid_valid(const char *s)
{
	/* Checked by hand, not with uuid_parse(): change capture calls this
	 * for every column written, and the canonical form is simple:
	 * 8-4-4-4-12 lower-case hex digits. */
	if (s == NULL)
		return 0;
	for (int i = 0; i < FSY_UUID_STRLEN; i++) {
		char c = s[i];
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (c != '-')
				return 0;
		} else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
			return 0; /* also stops at a NUL: short strings fail */
		}
	}
	return s[FSY_UUID_STRLEN] == '\0';
}

int
fsy_uuid_parse(const char *s, uint8_t out[16])
{
	if (!fsy_uuid_valid(s))
		return FSY_EINVAL;
	return uuid_parse(s, out) == 0 ? FSY_OK : FSY_EINVAL;
}

void
fsy_uuid_format(const uint8_t in[16], char out[FSY_UUID_STRLEN + 1])
{
	uuid_unparse_lower(in, out);
}

int64_t
fsy_now_ms(void)
{
	static int loaded;
	static int64_t offset;
	struct timespec ts;

	if (!loaded) {
		const char *e = getenv("FSY_CLOCK_OFFSET_MS");
		offset = e ? strtoll(e, NULL, 10) : 0;
		loaded = 1;
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000 + offset;
}

int64_t
fsy_days_from_civil(int y, unsigned m, unsigned d)
{
	/* Howard Hinnant's days_from_civil. */
	y -= m <= 2;
	const int64_t era = (y >= 0 ? y : y - 399) / 400;
	const unsigned yoe = (unsigned)(y - era * 400);
	const unsigned doy = (153 * (m + (m > 2 ? (unsigned)-3 : 9)) + 2) / 5 + d - 1;
	const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

void
fsy_civil_from_days(int64_t z, int *y, unsigned *m, unsigned *d)
{
	z += 719468;
	const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	const unsigned doe = (unsigned)(z - era * 146097);
	const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	const int64_t yy = (int64_t)yoe + era * 400;
	const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	const unsigned mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (int)(yy + (*m <= 2));
}

static void
split_ms(int64_t ms, int *y, unsigned *mo, unsigned *d, int *h, int *mi, int *s)
{
	int64_t secs = ms >= 0 ? ms / 1000 : (ms - 999) / 1000;
	int64_t days = secs >= 0 ? secs / 86400 : (secs - 86399) / 86400;
	int64_t rem = secs - days * 86400;

	fsy_civil_from_days(days, y, mo, d);
	*h = (int)(rem / 3600);
	*mi = (int)(rem % 3600 / 60);
	*s = (int)(rem % 60);
}

void
fsy_iso_time(int64_t ms, char out[21])
{
	int y, h, mi, s;
	unsigned mo, d;

	split_ms(ms, &y, &mo, &d, &h, &mi, &s);
	snprintf(out, 21, "%04d-%02u-%02uT%02d:%02d:%02dZ", y % 10000, mo, d, h,
	    mi, s);
}

void
fsy_iso_date(int64_t ms, char out[11])
{
	int y, h, mi, s;
	unsigned mo, d;

	split_ms(ms, &y, &mo, &d, &h, &mi, &s);
	snprintf(out, 11, "%04d-%02u-%02u", y % 10000, mo, d);
}

static int
digits(const char *s, int n, int *out)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 0;
}

int
fsy_parse_time(const char *s, int64_t *ms)
{
	int y, mo, d, h = 0, mi = 0, sec = 0;
	size_t n;
	static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

	if (s == NULL)
		return FSY_EINVAL;
	n = strlen(s);
	if (n < 10 || digits(s, 4, &y) || s[4] != '-' || digits(s + 5, 2, &mo) ||
	    s[7] != '-' || digits(s + 8, 2, &d))
		return FSY_EINVAL;
	if (n > 10) {
		if ((s[10] != 'T' && s[10] != ' ') || n < 19 ||
		    digits(s + 11, 2, &h) || s[13] != ':' ||
		    digits(s + 14, 2, &mi) || s[16] != ':' ||
		    digits(s + 17, 2, &sec))
			return FSY_EINVAL;
		if (n > 19 && !(n == 20 && s[19] == 'Z'))
			return FSY_EINVAL;
	}
	if (y < 1900 || mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] ||
	    h > 23 || mi > 59 || sec > 59)
		return FSY_EINVAL;
	if (mo == 2 && d == 29 && !((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return FSY_EINVAL;
	*ms = (fsy_days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 +
	       h * 3600 + mi * 60 + sec) * 1000;
	return FSY_OK;
}

void
fsy_hex(const uint8_t *in, size_t n, char *out)
{
	static const char hx[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = hx[in[i] >> 4];
		out[2 * i + 1] = hx[in[i] & 15];
	}
	out[2 * n] = '\0';
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int
fsy_unhex(const char *in, uint8_t *out, size_t n)
{
	if (in == NULL || strlen(in) != 2 * n)
		return FSY_EINVAL;
	for (size_t i = 0; i < n; i++) {
		int hi = hexval(in[2 * i]), lo = hexval(in[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return FSY_EINVAL;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return FSY_OK;
}
