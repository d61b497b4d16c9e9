/* Command-line and environment configuration, table driven.
 *
 * Each program describes its options in an array of struct cfg_opt ending
 * with CFG_END; cfg_parse() applies the defaults, then the environment,
 * then the flags (a flag beats the environment, which beats the default),
 * writing each value through the option's pointer. It also handles the
 * options every program has: --help, --version, --check-config,
 * --log-level (LOG_LEVEL), and for a program with a "metrics-addr"
 * option the limits of its metrics server (--metrics-max-connections,
 * --metrics-per-ip, --metrics-idle-timeout: metrics_set_http_limits).
 *
 * String values point into argv, the environment or the table's default:
 * they are not copied and must not be freed. Secrets read from a file or
 * taken off argv are held by this module for the life of the process. */
#ifndef CFG_H
#define CFG_H

#include <stdbool.h>
#include <stddef.h>

enum cfg_type {
	CFG_STR,      /* const char ** */
	CFG_INT,      /* long long *, range checked against min/max */
	CFG_BOOL,     /* bool *: a flag without argument; env 1/0/true/false */
	CFG_DURATION, /* long long * milliseconds: "250ms", "1.5s", "1m"; bare = whole ms */
	CFG_DOUBLE,   /* double * */
	CFG_SECRET,   /* const char **: a string that may hold a key or a
		       * password (a node URL, a DSN). Besides --NAME and
		       * ENV it can be read from a file, --NAME-file PATH or
		       * ENV_FILE=PATH (the convention of container images),
		       * so that it never shows in ps(1); a value given as a
		       * flag is copied and blanked in argv down to what
		       * log_redact_url() keeps. */
};

/* The largest secret file read (a long failover list fits). */
#define CFG_SECRET_MAX 65536

struct cfg_opt {
	const char *name;    /* long option, without "--" */
	int short_name;      /* 0 for none */
	const char *env;     /* environment variable, or NULL */
	enum cfg_type type;
	void *dst;
	const char *def;     /* default as text, or NULL for none */
	long long min, max;  /* for CFG_INT and CFG_DURATION (ms); 0,0 = any */
	const char *metavar; /* "URL", "N": shown in --help */
	const char *help;
	bool set;            /* out: given by flag or environment */
};

#define CFG_END { NULL, 0, NULL, CFG_STR, NULL, NULL, 0, 0, NULL, NULL, false }

struct cfg_prog {
	const char *name;     /* "fetcher" */
	const char *synopsis; /* "--rpc URL [--from N] [--to M|head] ..." */
	const char *summary;  /* one line: what the program does */
	const char *example;  /* one example command line */
};

struct cfg_common {
	bool check_config; /* --check-config was given */
	const char *log_level;
};

/* Parse argv and the environment into opts. Returns -1 when the program
 * should go on, or an exit status: 0 after --help or --version, 2 after a
 * usage or configuration error (one line on stderr, the synopsis too for
 * misuse). Sets up logging (log_init) with the program name and level. */
int cfg_parse(const struct cfg_prog *prog, struct cfg_opt *opts,
	      struct cfg_common *common, int argc, char **argv);

/* Print "PROG: MESSAGE" on stderr and return 2 (the configuration-error
 * exit status), for errors found when main validates the values. */
int cfg_fail(const struct cfg_prog *prog, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* The option named name, to report "--rpc (BLOCKPIPE_RPC_URL)" in errors
 * or to ask whether it was set. */
const struct cfg_opt *cfg_find(const struct cfg_opt *opts, const char *name);

/* Strict number parsing in the spirit of strtonum(3): the whole string,
 * decimal or 0x hex, within [min, max]. Returns 0 or -1 with a reason in
 * *why ("not a number", "too small", "too large"). */
int cfg_parse_int(const char *s, long long min, long long max,
		  long long *out, const char **why);
/* A duration into milliseconds: a number and a unit, ms, s, m or h, the
 * number with a fraction if need be ("250ms", "2s", "1.5s", "0.5m",
 * "1h"; rounded to the millisecond), or a bare whole number of
 * milliseconds ("250"). A bare number with a fraction or an exponent
 * ("1.5", "1e3") is refused: it reads as seconds to some and as
 * milliseconds to others. 0, or -1 with a reason in *why. */
int cfg_parse_duration(const char *s, long long *ms, const char **why);

/* Print --help for prog and opts to stdout. */
void cfg_usage(const struct cfg_prog *prog, const struct cfg_opt *opts);

#endif
