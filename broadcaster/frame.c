/* Frames with the headroom lws_write() wants: frame.h. */
#include "frame.h"

#include <stdlib.h>
#include <string.h>

#include "banned.h"

int frame_set(struct ev_frame *f, const char *p, size_t n)
{
	char *m = malloc(EV_PRE + n + 1);

	if (!m)
		return -1;
	memcpy(m + EV_PRE, p, n);
	m[EV_PRE + n] = '\0';
	f->data = m + EV_PRE;
	f->len = n;
	return 0;
}

void frame_release(struct ev_frame *f)
{
	if (f->data)
		free(f->data - EV_PRE);
	f->data = NULL;
	f->len = 0;
}

int frame_from_gen(struct ev_frame *f, yajl_gen g)
{
	const unsigned char *p;
	size_t n;

	if (yajl_gen_get_buf(g, &p, &n) != yajl_gen_status_ok)
		return -1;
	return frame_set(f, (const char *)p, n);
}
