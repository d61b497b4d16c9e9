/* The committer thread: commits the batches the reading thread hands
 * over (writer.c), retrying and reconnecting until PostgreSQL takes them,
 * then advances the watermarks, publishes `committed` messages and cleans
 * up orphans. It alone uses the connection once it runs. */
#ifndef WRITER_COMMITTER_H
#define WRITER_COMMITTER_H

#include "context.h"

/* The thread's body (pthread_create): waits for w->busy, commits
 * w->committing, clears busy; returns when w->quit is set while idle. */
void *committer_main(void *w);

/* Connect (when not connected), apply the schema, prepare the session.
 * 0, or -1 (logged). */
int writer_connect(struct writer *w);
/* Close the connection, if any; /ready turns 503. */
void writer_disconnect(struct writer *w);

/* Publish what a --threshold-blocks held back, for every chain (on
 * exit, after the committer stopped). */
void committer_publish_held(struct writer *w);

#endif
