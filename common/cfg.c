#include "cfg.h"

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "banned.h"

#ifndef BLOCKPIPE_VERSION
#define BLOCKPIPE_VERSION "dev"
#endif

enum { OPT_HELP = 1000, OPT_VERSION, OPT_CHECK, OPT_LOGLEVEL, OPT_BASE };

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
	if (!*end || !strcmp(end, "ms"))
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
static int apply(const struct cfg_prog *p, struct cfg_opt *o,
		 const char *text, const char *src)
{
	const char *why = NULL;
	long long v;
	long long min = o->min, max = o->max;

	if (!min && !max) {
		min = LLONG_MIN;
		max = LLONG_MAX;
	}
	switch (o->type) {
	case CFG_STR:
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
		if (v < min) {
			why = "too small";
			break;
		}
		if (v > max) {
			why = "too large";
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
		if (o->short_name && a[0] == '-' && a[1] == o->short_name)
			return 1;
	}
	return 0;
}

int cfg_parse(const struct cfg_prog *p, struct cfg_opt *opts,
	      struct cfg_common *common, int argc, char **argv)
{
	size_t n = 0;
	struct option *lo;
	char shorts[128] = ":hV";
	size_t sl = 3;
	int rc = -1, c;
	enum log_level lvl;
	const char *env;

	common->check_config = false;
	common->log_level = getenv("LOG_LEVEL");
	if (!common->log_level || !*common->log_level)
		common->log_level = "info";
	for (struct cfg_opt *o = opts; o->name; o++)
		n++;
	lo = calloc(n + 5, sizeof(*lo));
	if (!lo)
		return cfg_fail(p, "out of memory");

	/* Defaults, then the environment. */
	for (size_t i = 0; i < n; i++) {
		struct cfg_opt *o = &opts[i];
		char src[128];

		o->set = false;
		if (o->def && apply(p, o, o->def, "default") < 0)
			goto out_usage_err;
		env = o->env && !flag_given(o, argc, argv) ? getenv(o->env) : NULL;
		if (env && *env) {
			snprintf(src, sizeof(src), "from %s", o->env);
			if (apply(p, o, env, src) < 0)
				goto out_err;
			o->set = true;
		}
		lo[i].name = o->name;
		lo[i].has_arg = o->type == CFG_BOOL ? no_argument : required_argument;
		lo[i].val = OPT_BASE + (int)i;
		if (o->short_name && sl + 3 < sizeof(shorts)) {
			shorts[sl++] = (char)o->short_name;
			if (o->type != CFG_BOOL)
				shorts[sl++] = ':';
		}
	}
	shorts[sl] = '\0';
	lo[n] = (struct option){ "help", no_argument, NULL, OPT_HELP };
	lo[n + 1] = (struct option){ "version", no_argument, NULL, OPT_VERSION };
	lo[n + 2] = (struct option){ "check-config", no_argument, NULL, OPT_CHECK };
	lo[n + 3] = (struct option){ "log-level", required_argument, NULL, OPT_LOGLEVEL };

	opterr = 0;
	/* 0, not 1: glibc and musl then forget the previous parse too,
	 * such as the rest of a group of short options it stopped in. */
	optind = 0;
	while ((c = getopt_long(argc, argv, shorts, lo, NULL)) != -1) {
		struct cfg_opt *o = NULL;

		if (c == 'h' || c == OPT_HELP) {
			cfg_usage(p, opts);
			rc = 0;
			goto out;
		}
		if (c == 'V' || c == OPT_VERSION) {
			printf("%s %s\n", p->name, BLOCKPIPE_VERSION);
			rc = 0;
			goto out;
		}
		if (c == OPT_CHECK) {
			common->check_config = true;
			continue;
		}
		if (c == OPT_LOGLEVEL) {
			common->log_level = optarg;
			continue;
		}
		if (c == '?' || c == ':') {
			const char *arg = argv[optind - 1];

			if (c == ':')
				cfg_fail(p, "option '%s' needs a value", arg);
			else if (optopt >= OPT_HELP) /* --follow=1 */
				cfg_fail(p, "option '%s' takes no value", arg);
			else if (optopt)
				cfg_fail(p, "unknown option '-%c'", optopt);
			else
				cfg_fail(p, "unknown option '%s'", arg);
			goto out_usage_err;
		}
		if (c >= OPT_BASE && c < OPT_BASE + (int)n)
			o = &opts[c - OPT_BASE];
		else
			for (struct cfg_opt *q = opts; q->name; q++)
				if (q->short_name == c)
					o = q;
		if (!o)
			goto out_usage_err;
		if (apply(p, o, o->type == CFG_BOOL ? "1" : optarg, "flag") < 0)
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
	free(lo);
	return rc;
}
