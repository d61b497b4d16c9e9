/* libFuzzer target: the decoder's table file (decoder/tables.c) from
 * arbitrary text: every input is accepted or refused with a reason, and
 * nothing leaks either way. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tables.h"

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	char *text = strndup((const char *)d, n), why[512];
	struct config c;

	if (!text)
		return 0;
	why[0] = 0;
	if (tables_parse(text, &c, why, sizeof(why)) == 0)
		tables_release(&c);
	else if (!why[0])
		abort(); /* a refusal always says why */
	free(text);
	return 0;
}
