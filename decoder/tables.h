/* The decoder's table file (docs/decoding.md): JSON naming, for each
 * decoded table, its event, the contracts and indexed values it keeps,
 * and its columns. tables_load() parses and validates it; everything in
 * a struct config belongs to it (tables_release). */
#ifndef DECODER_TABLES_H
#define DECODER_TABLES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "abi.h"

#define CONFIG_MAX_TABLES 256
#define CONFIG_NAME_MAX 48 /* a table name; views add "canonical_" */

struct config_column {
	size_t arg;      /* index into the event's params */
	char *name;      /* the column's name */
	enum abi_col col;
};

struct config_table {
	char *name;
	struct abi_event *event;
	size_t naddrs;
	uint8_t (*addrs)[20];
	/* Filters on indexed arguments: topics[i] (i = 1..3, or 0..3 for an
	 * anonymous event: the topic position) holds ntopic[i] accepted
	 * values; none means any. */
	size_t ntopic[4];
	uint8_t (*topic[4])[32];
	size_t ncols;
	struct config_column *cols;
	bool strings_as_bytes;
};

struct config {
	size_t ntables;
	struct config_table *tables;
};

/* Read and check path. 0, or -1 with the reason in why ("file: tables[2]:
 * ..."), for exit status 2. */
int tables_load(const char *path, struct config *cfg, char *why,
		size_t whylen);
/* The same from text in memory (tests). */
int tables_parse(const char *text, struct config *cfg, char *why,
		 size_t whylen);
void tables_release(struct config *cfg);

#endif
