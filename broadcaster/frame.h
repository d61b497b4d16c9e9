/* Frames: the text of one WebSocket message, allocated with EV_PRE bytes
 * of headroom before it so that lws_write() can be handed it as it is
 * (libwebsockets writes its frame header there), and a NUL after it.
 * The frame owns its text; frame_release() frees it. Any thread. */
#ifndef BC_FRAME_H
#define BC_FRAME_H

#include <stddef.h>

#include "events.h"
#include "json.h"

/* Copy n bytes from p into f, which must hold no text yet. 0, or -1
 * when out of memory (f untouched). */
int frame_set(struct ev_frame *f, const char *p, size_t n);

/* Copy the document g holds (g stays the caller's). 0, or -1 when out of
 * memory or when g holds no complete document. */
int frame_from_gen(struct ev_frame *f, yajl_gen g);

/* Free f's text; f is then empty (data NULL), and may be released
 * again. */
void frame_release(struct ev_frame *f);

#endif
