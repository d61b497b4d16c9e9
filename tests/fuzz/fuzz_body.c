/* libFuzzer target: block body verification (body_check_text, with
 * sender recovery) of a message given as JSON text: whatever the input,
 * no crash, no leak, and a verdict that names a field. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "body.h"
#include "log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct body_checker *c;
	struct body_report r;
	enum body_field f;

	log_set_level(LOG_ERROR);
	if (!c)
		c = body_checker_new(1); /* kept: a context is costly to make */
	if (!c)
		return 0;
	f = body_check_text(c, (const char *)data, size, &r);
	if (f >= BODY_NFIELDS || (f != BODY_OK && r.field != f))
		abort();
	return 0;
}
