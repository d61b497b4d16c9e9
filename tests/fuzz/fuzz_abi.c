/* libFuzzer target: decode arbitrary logs against a fixed set of events
 * covering every ABI type (common/abi). The first byte picks the event
 * and the topic count, the rest is the data; topic0 is the event's so the
 * fuzzer reaches the data decoder. Nothing may crash, leak, read out of
 * bounds or run away. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "abi.h"

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);

static const char *const sigs[] = {
	"E(uint8 a, int16 b, address c, bool d, bytes3 e, uint256 f)",
	"E(bytes a, string b, uint256[] c)",
	"E(string[2] a, bytes[] b, uint16[2][] c)",
	"E((uint256 id, bytes data, address[] who) t, (bool,uint8)[] u)",
	"E((string a, (int16 x, string[] y)[] b)[] n, uint256[][][] m)",
	"E(string indexed s, uint8 indexed k, (bool) indexed t, bytes b)",
	"E(address indexed a, uint256 v) anonymous",
	"E(int256[3][] a, (bytes,(string))[2] b)",
};
#define NSIGS (sizeof(sigs) / sizeof(sigs[0]))

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	static struct abi_event *evs[NSIGS];
	uint8_t topics[4][32];
	struct abi_row row;
	char why[256];
	struct abi_event *ev;
	size_t nt;

	if (!evs[0])
		for (size_t i = 0; i < NSIGS; i++)
			if (!(evs[i] = abi_event_parse(sigs[i], why, sizeof(why))))
				abort();
	if (n < 1)
		return 0;
	ev = evs[d[0] % NSIGS];
	nt = (d[0] >> 4) % 5;
	memset(topics, 0, sizeof(topics));
	memcpy(topics[0], ev->topic0, 32);
	/* Topics after topic0 from the input's tail when it is long. */
	for (size_t i = 1; i < nt && n > 1 + 32 * i; i++)
		memcpy(topics[i], d + n - 32 * i, 32);
	if (abi_decode_log(ev, (const uint8_t(*)[32])topics, nt, d + 1, n - 1,
			   d[0] & 8, &row, why, sizeof(why)) == 0)
		abi_row_release(&row);
	/* Also the signature parser, on the input as text. */
	char *s = strndup((const char *)d, n);
	if (s) {
		struct abi_event *e2 = abi_event_parse(s, why, sizeof(why));
		abi_event_free(e2);
		e2 = abi_event_from_json(s, strlen(s), why, sizeof(why));
		abi_event_free(e2);
		free(s);
	}
	return 0;
}
