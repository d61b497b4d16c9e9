/* The --state file: the seq epoch (seq.h) kept without a database, one
 * line "epoch N", replaced durably on every start. */
#ifndef VERIFIER_STATE_H
#define VERIFIER_STATE_H

#include <stdint.h>

/* Read the epoch kept in path (a missing file counts as epoch 0), add
 * one, and write it back durably (a temporary file, fsync, rename, fsync
 * of the directory) before returning it in *epoch. 0, or -1 with a log
 * line (unreadable or corrupt file, cannot write, the last epoch seq can
 * hold, SEQ_EPOCH_MAX). */
int state_next_epoch(const char *path, uint64_t *epoch);

#endif
