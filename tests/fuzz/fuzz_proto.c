/*
 * fuzz_proto.c — libFuzzer harness for the wire codec.
 *
 * Every input is decoded; the decoder must answer one of its documented
 * codes, never crash or leak. A frame that decodes must re-encode (plain
 * and compressed), and the re-encoded frames must decode to the same
 * message. Seeds: tests/fuzz/corpus/proto/ (one valid frame per file).
 *
 *   clang -fsanitize=fuzzer,address,undefined -Iproto tests/fuzz/fuzz_proto.c
 *       proto/proto.c proto/fsy_val.c proto/fsy_err.c
 *       -lmsgpackc -lzstd -lsodium
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto.h"
#include "proto_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * Re-encodes m and checks the frame decodes to the same message.
 * may_be_big: the input held a zstd frame, so its body may inflate past
 * FSY_MAX_FRAME and a re-encoding may rightly be refused as too big (every
 * field of a decoded message is within its limits, so EINVAL can only mean
 * that). A plain input is never smaller than its canonical re-encoding.
 */
static void
check_roundtrip(const fsy_msg_t *m, int compress, int may_be_big)
{
	fsy_buf_t b = {0};
	fsy_msg_t again;
	int rv = fsy_msg_encode(m, compress, &b);

	if (rv == FSY_ENOMEM || (rv == FSY_EINVAL && may_be_big))
		return;
	if (rv != FSY_OK)
		abort(); /* a decoded message is always encodable */
	rv = fsy_msg_decode(b.data, b.len, &again);
	if (rv == FSY_ENOMEM) {
		fsy_buf_free(&b);
		return;
	}
	if (rv != FSY_OK || !fsy__msg_equal(m, &again))
		abort();
	fsy_msg_free(&again);
	fsy_buf_free(&b);
}

/* Returns 1 when the zstd frame magic (28 b5 2f fd) occurs in data. */
static int
has_zstd_magic(const uint8_t *data, size_t size)
{
	static const uint8_t magic[4] = {0x28, 0xb5, 0x2f, 0xfd};

	for (size_t i = 0; i + 4 <= size; i++)
		if (memcmp(data + i, magic, 4) == 0)
			return 1;
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fsy_msg_t m;
	int rv = fsy_msg_decode(data, size, &m);

	int zstd;

	switch (rv) {
	case FSY_OK:
		if (m.arena == NULL)
			abort();
		/* a compressed body starts with the zstd magic number */
		zstd = has_zstd_magic(data, size);
		check_roundtrip(&m, 0, zstd);
		check_roundtrip(&m, 1, zstd);
		break;
	case FSY_EMALFORMED:
	case FSY_ETOOBIG:
	case FSY_EVERSION:
	case FSY_ENOMEM:
		if (m.arena != NULL)
			abort(); /* nothing is returned on failure */
		break;
	default:
		abort(); /* not a code the decoder may answer */
	}
	fsy_msg_free(&m);
	fsy_msg_free(&m); /* freeing twice is allowed */
	return 0;
}
