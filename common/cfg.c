#include "cfg.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "metrics.h"
#include "banned.h"

#ifndef BLOCKPIPE_VERSION
#define BLOCKPIPE_VERSION "dev"
#endif

enum { OPT_HELP = 1000, OPT_VERSION, OPT_CHECK, OPT_LOGLEVEL, OPT_BASE,
       OPT_FILE_BASE = OPT_BASE + 4096 };

/* Secrets read from files or copied off argv: option values point into
 * them for the life of the process, so they are held (and reachable)
 * here rather than freed. */
struct held {
	struct held *next;
	char text[];
};

static struct held *held_secrets;

static const char *hold(const char *s, size_t n)
{
	struct held *h = malloc(sizeof(*h) + n + 1);

	if (!h)
		return NULL;
	memcpy(h->text, s, n);
	h->text[n] = '\0';
	h->next = held_secrets;
	held_secrets = h;
	return h->text;
}

/* The secret in the file at path, trailing white space (the final
 * newline editors add) removed. NULL with the reason in why. */
static const char *read_secret(const char *path, char *why, size_t whylen)
{
	char *data = malloc(CFG_SECRET_MAX + 1);
	const char *kept = NULL;
	size_t n = 0;
	struct stat st;
	ssize_t r;
	int fd;

	if (!data) {
		snprintf(why, whylen, "out of memory");
		return NULL;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0 || fstat(fd, &st) < 0) {
		snprintf(why, whylen, "%s", strerror(errno));
		goto out;
	}
	if (S_ISDIR(st.st_mode)) {
		snprintf(why, whylen, "is a directory");
		goto out;
	}
	while (n <= CFG_SECRET_MAX &&
	       (r = read(fd, data + n, CFG_SECRET_MAX + 1 - n)) != 0) {
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			snprintf(why, whylen, "%s", strerror(errno));
			goto out;
		}
		n += (size_t)r;
	}
	while (n && isspace((unsigned char)data[n - 1]))
		n--;
	if (n > CFG_SECRET_MAX)
		snprintf(why, whylen, "larger than %d bytes", CFG_SECRET_MAX);
	else if (n == 0)
		snprintf(why, whylen, "is empty");
	else if (memchr(data, '\0', n))
		snprintf(why, whylen, "holds a NUL byte");
	else if (!(kept = hold(data, n)))
		snprintf(why, whylen, "out of memory");
out:
	if (fd >= 0)
		close(fd);
	free(data);
	return kept;
}

int cfg_parse_int(const char *s, long long min, long long max,
		  long long *out, const char **why)
{
	char *end;
	long long v;
	int base = 10;

	if (!s || !*s) {
		*why = "empty";
		return -1;
	}
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		base = 16;
	/* strtoll would skip leading white space and take a sign. */
	if (isspace((unsigned char)*s) || *s == '+') {
		*why = "not a number";
		return -1;
	}
	errno = 0;
	v = strtoll(s, &end, base);
	if (end == s || *end) {
		*why = "not a number";
		return -1;
	}
	if (errno == ERANGE || v < min) {
		*why = (errno == ERANGE && v > 0) ? "too large" : "too small";
		return -1;
	}
	if (v > max) {
		*why = "too large";
		return -1;
	}
	*out = v;
	return 0;
}

int cfg_parse_duration(const char *s, long long *ms, const char **why)
{
	char *end;
	double v, mult = 1;

	if (!s || !*s || isspace((unsigned char)*s) || *s == '-' || *s == '+') {
		*why = "not a duration";
		return -1;
	}
	errno = 0;
	v = strtod(s, &end);
	if (end == s || errno || !isfinite(v)) {
		*why = "not a duration";
		return -1;
	}
	if (!*end) {
		/* Whole milliseconds only: "1.5" could be meant as seconds,
		 * and sub-millisecond values mean nothing here. */
		if (s[strspn(s, "0123456789")] != '\0') {
			*why = "a bare number is whole milliseconds: give a unit "
			       "(1.5s, 200ms)";
			return -1;
		}
		mult = 1;
	} else if (!strcmp(end, "ms"))
		mult = 1;
	else if (!strcmp(end, "s"))
		mult = 1000;
	else if (!strcmp(end, "m"))
		mult = 60000;
	else if (!strcmp(end, "h"))
		mult = 3600000;
	else {
		*why = "unknown unit (use ms, s, m or h)";
		return -1;
	}
	v *= mult;
	if (v > (double)LLONG_MAX / 2) {
		*why = "too large";
		return -1;
	}
	*ms = (long long)llround(v);
	return 0;
}

const struct cfg_opt *cfg_find(const struct cfg_opt *opts, const char *name)
{
	for (; opts->name; opts++)
		if (!strcmp(opts->name, name))
			return opts;
	return NULL;
}

static void print_synopsis(FILE *fp, const struct cfg_prog *p)
{
	fprintf(fp, "usage: %s %s\n", p->name, p->synopsis);
}

static void opt_line(const char *sflag, const char *lflag, const char *meta,
		     const char *help, const char *env, const char *def)
{
	char left[96];

	snprintf(left, sizeof(left), "  %s%s--%s%s%s", sflag, *sflag ? ", " : "",
		 lflag, meta ? " " : "", meta ? meta : "");
	printf("%-34s %s\n", left, help);
	if (env || def) {
		printf("%-34s %s%s%s%s%s\n", "", env ? "env " : "", env ? env : "",
		       env && def ? ", " : "", def ? "default " : "",
		       def ? def : "");
	}
}

void cfg_usage(const struct cfg_prog *p, const struct cfg_opt *opts)
{
	print_synopsis(stdout, p);
	printf("\n%s\n\noptions:\n", p->summary);
	for (const struct cfg_opt *o = opts; o->name; o++) {
		char s[4] = "";

		if (o->short_name)
			snprintf(s, sizeof(s), "-%c", o->short_name);
		opt_line(s, o->name, o->type == CFG_BOOL ? NULL : o->metavar,
			 o->help, o->env, o->def);
		if (o->type == CFG_SECRET) {
			char lf[96], fenv[128], help[128];

			snprintf(lf, sizeof(lf), "%s-file", o->name);
			snprintf(fenv, sizeof(fenv), "%s_FILE", o->env ? o->env : "");
			snprintf(help, sizeof(help),
				 "read --%s from FILE (kept out of ps)", o->name);
			opt_line("", lf, "FILE", help, o->env ? fenv : NULL, NULL);
		}
	}
	opt_line("", "log-level", "LEVEL", "debug, info, warn or error",
		 "LOG_LEVEL", "info");
	opt_line("", "check-config", NULL,
		 "validate the configuration, print 'configuration OK', exit",
		 NULL, NULL);
	opt_line("-h", "help", NULL, "print this help and exit", NULL, NULL);
	opt_line("-V", "version", NULL, "print the version and exit", NULL,
		 NULL);
	printf("\nexit status: 0 done, 1 runtime failure, 2 usage or "
	       "configuration error\n");
	if (p->example)
		printf("\nexample:\n  %s\n", p->example);
}

int cfg_fail(const struct cfg_prog *p, const char *fmt, ...)
{
	char msg[2048], red[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* A URL quoted in the error (a bad --rpc) is named without its key. */
	if (strstr(msg, "://")) {
		log_redact_url(msg, red, sizeof(red));
		fprintf(stderr, "%s: %s\n", p->name, red);
	} else {
		fprintf(stderr, "%s: %s\n", p->name, msg);
	}
	return 2;
}

static int truthy(const char *s, bool *out)
{
	if (!strcmp(s, "1") || !strcasecmp(s, "true") || !strcasecmp(s, "yes") ||
	    !strcasecmp(s, "on")) {
		*out = true;
		return 0;
	}
	if (!strcmp(s, "0") || !strcasecmp(s, "false") || !strcasecmp(s, "no") ||
	    !strcasecmp(s, "off") || !*s) {
		*out = false;
		return 0;
	}
	return -1;
}

/* Store text into o; src says where it came from for the error line. */
/* ms in the largest unit that divides it: "10ms", "2s", "1h". */
static void fmt_ms(char *out, size_t n, long long ms)
{
	if (ms && ms % 3600000 == 0)
		snprintf(out, n, "%lldh", ms / 3600000);
	else if (ms && ms % 60000 == 0)
		snprintf(out, n, "%lldm", ms / 60000);
	else if (ms && ms % 1000 == 0)
		snprintf(out, n, "%llds", ms / 1000);
	else
		snprintf(out, n, "%lldms", ms);
}

/* "too small: 2ms, at least 10ms": a duration out of its range says what
 * it was read as and the bound. */
static const char *bound_why(char *out, size_t n, int small, long long v,
			     long long bound)
{
	char got[32], lim[32];

	fmt_ms(got, sizeof(got), v);
	fmt_ms(lim, sizeof(lim), bound);
	snprintf(out, n, "too %s: %s, at %s %s", small ? "small" : "large", got,
		 small ? "least" : "most", lim);
	return out;
}

static int apply(const struct cfg_prog *p, struct cfg_opt *o,
		 const char *text, const char *src)
{
	const char *why = NULL;
	char bound[96];
	long long v;
	long long min = o->min, max = o->max;

	if (!min && !max) {
		min = LLONG_MIN;
		max = LLONG_MAX;
	}
	switch (o->type) {
	case CFG_STR:
	case CFG_SECRET:
		*(const char **)o->dst = text;
		return 0;
	case CFG_BOOL:
		if (truthy(text, (bool *)o->dst) < 0) {
			why = "not a boolean (use 1/0, true/false)";
			break;
		}
		return 0;
	case CFG_INT:
		if (cfg_parse_int(text, min, max, &v, &why) < 0)
			break;
		*(long long *)o->dst = v;
		return 0;
	case CFG_DURATION:
		if (cfg_parse_duration(text, &v, &why) < 0)
			break;
		if (v < min || v > max) {
			why = bound_why(bound, sizeof(bound), v < min, v,
					v < min ? min : max);
			break;
		}
		*(long long *)o->dst = v;
		return 0;
	case CFG_DOUBLE: {
		char *end;
		double d;

		errno = 0;
		d = strtod(text, &end);
		if (end == text || *end || errno || !isfinite(d)) {
			why = "not a number";
			break;
		}
		*(double *)o->dst = d;
		return 0;
	}
	}
	cfg_fail(p, "invalid value '%s' for --%s (%s): %s", text, o->name, src,
		 why);
	return -1;
}

/* Does argv set o? Then its environment variable is not read at all: a
 * flag beats the environment, even an invalid value there. */
static int flag_given(const struct cfg_opt *o, int argc, char **argv)
{
	size_t nl = strlen(o->name);

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "--"))
			break;
		if (a[0] == '-' && a[1] == '-' && !strncmp(a + 2, o->name, nl) &&
		    (a[2 + nl] == '\0' || a[2 + nl] == '='))
			return 1;
		if (o->type == CFG_SECRET && a[0] == '-' && a[1] == '-' &&
		    !strncmp(a + 2, o->name, nl) &&
		    !strncmp(a + 2 + nl, "-file", 5) &&
		    (a[7 + nl] == '\0' || a[7 + nl] == '='))
			return 1;
		if (o->short_name && a[0] == '-' && a[1] == o->short_name)
			return 1;
	}
	return 0;
}

/* o's value from the environment: ENV, or for a secret the file that
 * ENV_FILE names (not both). 1 when set, 0 when not, -1 after an error
 * line. src says where it came from. */
static int env_value(const struct cfg_prog *p, const struct cfg_opt *o,
		     const char **val, char *src, size_t srclen)
{
	const char *v = getenv(o->env), *f;
	char fenv[128], why[256];

	if (o->type == CFG_SECRET) {
		snprintf(fenv, sizeof(fenv), "%s_FILE", o->env);
		f = getenv(fenv);
		if (f && *f && v && *v) {
			cfg_fail(p, "%s and %s are both set: give one", o->env,
				 fenv);
			return -1;
		}
		if (f && *f) {
			*val = read_secret(f, why, sizeof(why));
			if (!*val) {
				cfg_fail(p, "cannot read --%s from '%s' (%s): %s",
					 o->name, f, fenv, why);
				return -1;
			}
			snprintf(src, srclen, "from %s", fenv);
			return 1;
		}
	}
	if (!v || !*v)
		return 0;
	*val = v;
	snprintf(src, srclen, "from %s", o->env);
	return 1;
}

/* A secret given as a flag: the value is held elsewhere and the argv
 * bytes (what ps(1) and /proc/PID/cmdline show) keep only what
 * log_redact_url() keeps. Other users may still have seen it before
 * this ran: a file or the environment is the safe way. */
static const char *take_off_argv(char *arg)
{
	size_t n = strlen(arg);
	const char *copy = hold(arg, n);

	if (!copy)
		return NULL;
	if (strstr(copy, "password"))  /* a key=value DSN */
		snprintf(arg, n + 1, "%s", n >= 3 ? "***" : "");
	else
		log_redact_url(copy, arg, n + 1);
	memset(arg + strlen(arg), '\0', n - strlen(arg));
	return copy;
}

/* A value flag of o (how bit 1) or its -file flag (bit 2): the value,
 * or NULL after an error line. */
static const char *flag_value(const struct cfg_prog *p, struct cfg_opt *o,
			      int file, unsigned char *how, char *arg)
{
	char why[256];
	const char *v;

	*how |= file ? 2 : 1;
	if (*how == 3) {
		cfg_fail(p, "--%s and --%s-file exclude each other: give one",
			 o->name, o->name);
		return NULL;
	}
	if (!file)
		return o->type == CFG_SECRET ? take_off_argv(arg) : arg;
	v = read_secret(arg, why, sizeof(why));
	if (!v)
		cfg_fail(p, "cannot read --%s-file '%s': %s", o->name, arg, why);
	return v;
}

/* Defaults, then the environment, for every option; fills lo[] and
 * shorts[] for getopt_long. 0, or 2 (usage error), 1 (error). */
static int apply_defaults_env(const struct cfg_prog *p, struct cfg_opt *opts,
			      size_t n, struct option *lo, char *shorts,
			      size_t shorts_size, int argc, char **argv)
{
	size_t sl = strlen(shorts), k = n + 4;

	for (size_t i = 0; i < n; i++) {
		struct cfg_opt *o = &opts[i];
		char src[160];
		const char *env = NULL;
		int r = 0;

		o->set = false;
		if (o->def && apply(p, o, o->def, "default") < 0)
			return 2;
		if (o->env && !flag_given(o, argc, argv))
			r = env_value(p, o, &env, src, sizeof(src));
		if (r < 0 || (r > 0 && apply(p, o, env, src) < 0))
			return 1;
		o->set = r > 0;
		lo[i].name = o->name;
		lo[i].has_arg = o->type == CFG_BOOL ? no_argument : required_argument;
		lo[i].val = OPT_BASE + (int)i;
		if (o->type == CFG_SECRET) {
			char *fname = malloc(strlen(o->name) + 6);

			if (!fname)
				return 1;
			snprintf(fname, strlen(o->name) + 6, "%s-file", o->name);
			lo[k].name = fname;
			lo[k].has_arg = required_argument;
			lo[k++].val = OPT_FILE_BASE + (int)i;
		}
		if (o->short_name && sl + 3 < shorts_size) {
			shorts[sl++] = (char)o->short_name;
			if (o->type != CFG_BOOL)
				shorts[sl++] = ':';
		}
	}
	shorts[sl] = '\0';
	return 0;
}

static void free_long_options(struct option *lo, size_t n)
{
	if (!lo)
		return;
	for (size_t k = n + 4; lo[k].name; k++)
		free((char *)lo[k].name);
	free(lo);
}

/* getopt_long's '?' and ':': one line on what was wrong. */
static void misuse(const struct cfg_prog *p, int c, char **argv)
{
	const char *arg = argv[optind - 1];

	if (c == ':')
		cfg_fail(p, "option '%s' needs a value", arg);
	else if (optopt >= OPT_HELP) /* --follow=1 */
		cfg_fail(p, "option '%s' takes no value", arg);
	else if (optopt)
		cfg_fail(p, "unknown option '-%c'", optopt);
	else
		cfg_fail(p, "unknown option '%s'", arg);
}

/* The options every program has: 0 when c is not one of them, 1 when it
 * was handled, 2 when the program should exit 0 (--help, --version). */
static int common_option(const struct cfg_prog *p, const struct cfg_opt *opts,
			 struct cfg_common *common, int c)
{
	switch (c) {
	case 'h':
	case OPT_HELP:
		cfg_usage(p, opts);
		return 2;
	case 'V':
	case OPT_VERSION:
		printf("%s %s\n", p->name, BLOCKPIPE_VERSION);
		return 2;
	case OPT_CHECK:
		common->check_config = true;
		return 1;
	case OPT_LOGLEVEL:
		common->log_level = optarg;
		return 1;
	}
	return 0;
}

/* The option getopt_long answered c for; *file when it is the -file
 * twin of a secret. */
static struct cfg_opt *option_of(struct cfg_opt *opts, size_t n, int c,
				 int *file)
{
	*file = c >= OPT_FILE_BASE && c < OPT_FILE_BASE + (int)n;
	if (*file)
		return &opts[c - OPT_FILE_BASE];
	if (c >= OPT_BASE && c < OPT_BASE + (int)n)
		return &opts[c - OPT_BASE];
	for (struct cfg_opt *q = opts; q->name; q++)
		if (q->short_name == c)
			return q;
	return NULL;
}

static int parse_table(const struct cfg_prog *p, struct cfg_opt *opts,
		       struct cfg_common *common, int argc, char **argv)
{
	size_t n = 0;
	struct option *lo;
	unsigned char *how;
	char shorts[128] = ":hV";
	int rc = -1, c;
	enum log_level lvl;

	common->check_config = false;
	common->log_level = getenv("LOG_LEVEL");
	if (!common->log_level || !*common->log_level)
		common->log_level = "info";
	for (struct cfg_opt *o = opts; o->name; o++)
		n++;
	/* n options, 4 common ones, n -file ones at most, the end. */
	lo = calloc(2 * n + 5, sizeof(*lo));
	how = calloc(n + 1, 1);
	if (!lo || !how) {
		rc = cfg_fail(p, "out of memory");
		goto out;
	}
	lo[n] = (struct option){ "help", no_argument, NULL, OPT_HELP };
	lo[n + 1] = (struct option){ "version", no_argument, NULL, OPT_VERSION };
	lo[n + 2] = (struct option){ "check-config", no_argument, NULL, OPT_CHECK };
	lo[n + 3] = (struct option){ "log-level", required_argument, NULL, OPT_LOGLEVEL };
	switch (apply_defaults_env(p, opts, n, lo, shorts, sizeof(shorts), argc,
				   argv)) {
	case 2:
		goto out_usage_err;
	case 1:
		goto out_err;
	}

	opterr = 0;
	/* 0, not 1: glibc and musl then forget the previous parse too,
	 * such as the rest of a group of short options it stopped in. */
	optind = 0;
	while ((c = getopt_long(argc, argv, shorts, lo, NULL)) != -1) {
		struct cfg_opt *o;
		const char *v;
		int file;

		switch (common_option(p, opts, common, c)) {
		case 1:
			continue;
		case 2:
			rc = 0;
			goto out;
		}
		if (c == '?' || c == ':') {
			misuse(p, c, argv);
			goto out_usage_err;
		}
		o = option_of(opts, n, c, &file);
		if (!o)
			goto out_usage_err;
		if (o->type == CFG_BOOL)
			v = "1";
		else if (!(v = flag_value(p, o, file, &how[o - opts], optarg)))
			goto out_err;
		if (apply(p, o, v, "flag") < 0)
			goto out_err;
		o->set = true;
	}
	if (optind < argc) {
		cfg_fail(p, "unexpected argument '%s'", argv[optind]);
		goto out_usage_err;
	}
	if (log_level_parse(common->log_level, &lvl) < 0) {
		cfg_fail(p, "invalid value '%s' for --log-level: use debug, info, "
			 "warn or error", common->log_level);
		goto out_err;
	}
	log_init(p->name, lvl);
	goto out;

out_usage_err:
	print_synopsis(stderr, p);
out_err:
	rc = 2;
out:
	free_long_options(lo, n);
	free(how);
	return rc;
}

/* The limits of the metrics HTTP server: options of every program that
 * has --metrics-addr. */
static long long http_max, http_per_ip, http_idle_ms;

static const struct cfg_opt metrics_opts[] = {
	{ "metrics-idle-timeout", 0, "BLOCKPIPE_METRICS_IDLE_TIMEOUT",
	  CFG_DURATION, &http_idle_ms, "5s", 1000, 3600000, "DUR",
	  "close a metrics connection idle this long", false },
	{ "metrics-max-connections", 0, "BLOCKPIPE_METRICS_MAX_CONNECTIONS",
	  CFG_INT, &http_max, "1024", 16, 1000000, "N",
	  "metrics connections at most (the longest without a request is "
	  "closed first)", false },
	{ "metrics-per-ip", 0, "BLOCKPIPE_METRICS_PER_IP", CFG_INT,
	  &http_per_ip, "0", 0, 1000000, "N",
	  "metrics connections from one address at most (0: no limit)",
	  false },
};

int cfg_parse(const struct cfg_prog *p, struct cfg_opt *opts,
	      struct cfg_common *common, int argc, char **argv)
{
	const size_t nm = sizeof(metrics_opts) / sizeof(*metrics_opts);
	struct metrics_http_limits lim;
	struct cfg_opt *all;
	size_t n = 0;
	int rc;

	if (!cfg_find(opts, "metrics-addr"))
		return parse_table(p, opts, common, argc, argv);
	while (opts[n].name)
		n++;
	all = calloc(n + nm + 1, sizeof(*all));
	if (!all)
		return cfg_fail(p, "out of memory");
	memcpy(all, opts, n * sizeof(*all));
	memcpy(all + n, metrics_opts, sizeof(metrics_opts));
	rc = parse_table(p, all, common, argc, argv);
	for (size_t i = 0; i < n; i++)
		opts[i].set = all[i].set;
	free(all);
	lim.max_connections = (unsigned)http_max;
	lim.per_ip = (unsigned)http_per_ip;
	lim.idle_timeout_s = (unsigned)((http_idle_ms + 999) / 1000);
	if (rc < 0)
		metrics_set_http_limits(&lim);
	return rc;
}
