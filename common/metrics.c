#include "metrics.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "clock.h"
#include "log.h"
#include "metrics_http.h"
#include "banned.h"

#ifndef BLOCKPIPE_VERSION
#define BLOCKPIPE_VERSION "dev"
#endif

enum metric_type { METRIC_COUNTER, METRIC_GAUGE, METRIC_HISTOGRAM };

static const char *const type_names[] = { "counter", "gauge", "histogram" };

/* One series. Everything but the atomics is written once, under the
 * registry lock, before the pointer is handed out. */
struct metric {
	struct metric *next;    /* next series of the family */
	struct family *fam;
	char *labels;           /* "" when none */
	/* Doubles as their bits: counter or gauge value; histogram sum. */
	_Atomic uint64_t value;
	double *bounds;         /* histogram: ascending upper bounds */
	size_t nbounds;
	_Atomic uint64_t *buckets; /* nbounds + 1 counts, not cumulative */
};

/* All series of one name, rendered together under one # HELP / # TYPE. */
struct family {
	struct family *next;
	char *name;
	char *help;
	enum metric_type type;
	struct metric *series;
	struct metric **tail;
};

struct metrics {
	pthread_mutex_t lock;   /* the lists, ready_fn */
	struct family *families;
	struct family **tail;
	char *prog;
	double start_time;
	metrics_ready_fn ready_fn;
	void *ready_arg;
	struct metrics_http *http;
};

const double metrics_latency_bounds[] = {
	0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
	1, 2.5, 5, 10, 30, 60,
};
const size_t metrics_latency_nbounds =
	sizeof(metrics_latency_bounds) / sizeof(metrics_latency_bounds[0]);

static double bits_to_double(uint64_t u)
{
	double d;

	memcpy(&d, &u, sizeof(d));
	return d;
}

static uint64_t double_to_bits(double d)
{
	uint64_t u;

	memcpy(&u, &d, sizeof(u));
	return u;
}

static double atomic_load_double(_Atomic uint64_t *p)
{
	return bits_to_double(atomic_load_explicit(p, memory_order_relaxed));
}

static void atomic_add_double(_Atomic uint64_t *p, double v)
{
	uint64_t old = atomic_load_explicit(p, memory_order_relaxed);

	while (!atomic_compare_exchange_weak_explicit(
		p, &old, double_to_bits(bits_to_double(old) + v),
		memory_order_relaxed, memory_order_relaxed))
		;
}

struct metrics *metrics_new(const char *prog)
{
	struct metrics *m = calloc(1, sizeof(*m));

	if (!m)
		return NULL;
	m->prog = strdup(prog ? prog : "blockpipe");
	if (!m->prog || pthread_mutex_init(&m->lock, NULL) != 0) {
		free(m->prog);
		free(m);
		return NULL;
	}
	m->tail = &m->families;
	m->start_time = (double)clock_wall_ms() / 1e3;
	return m;
}

static void metric_free(struct metric *s)
{
	free(s->labels);
	free(s->bounds);
	free(s->buckets);
	free(s);
}

void metrics_destroy(struct metrics **mp)
{
	struct metrics *m = *mp;
	struct family *f, *fnext;
	struct metric *s, *snext;

	if (!m)
		return;
	metrics_http_stop(&m->http);
	for (f = m->families; f; f = fnext) {
		fnext = f->next;
		for (s = f->series; s; s = snext) {
			snext = s->next;
			metric_free(s);
		}
		free(f->name);
		free(f->help);
		free(f);
	}
	pthread_mutex_destroy(&m->lock);
	free(m->prog);
	free(m);
	*mp = NULL;
}

static int valid_name(const char *name)
{
	const char *p;

	if (!name || !*name || (*name >= '0' && *name <= '9'))
		return 0;
	for (p = name; *p; p++) {
		if (!(*p >= 'a' && *p <= 'z') && !(*p >= 'A' && *p <= 'Z') &&
		    !(*p >= '0' && *p <= '9') && *p != '_' && *p != ':')
			return 0;
	}
	return 1;
}

static struct family *family_get(struct metrics *m, const char *name,
				 const char *help, enum metric_type type)
{
	struct family *f;

	for (f = m->families; f; f = f->next) {
		if (strcmp(f->name, name))
			continue;
		if (f->type != type) {
			log_error("metric '%s' is a %s, not a %s", name,
				  type_names[f->type], type_names[type]);
			return NULL;
		}
		return f;
	}
	f = calloc(1, sizeof(*f));
	if (!f)
		return NULL;
	f->name = strdup(name);
	f->help = strdup(help ? help : "");
	if (!f->name || !f->help) {
		free(f->name);
		free(f->help);
		free(f);
		return NULL;
	}
	f->type = type;
	f->tail = &f->series;
	*m->tail = f;
	m->tail = &f->next;
	return f;
}

static struct metric *metric_get(struct metrics *m, const char *name,
				 const char *help, const char *labels,
				 enum metric_type type, const double *bounds,
				 size_t nbounds)
{
	struct family *f;
	struct metric *s = NULL;
	char *red = NULL;

	if (!m)
		return NULL;
	if (!valid_name(name)) {
		log_error("invalid metric name '%s'", name ? name : "(null)");
		return NULL;
	}
	for (size_t i = 0; type == METRIC_HISTOGRAM && i < nbounds; i++) {
		if (isnan(bounds[i]) || isinf(bounds[i]) ||
		    (i > 0 && bounds[i] <= bounds[i - 1])) {
			log_error("histogram '%s': bounds must be finite and "
				  "ascending", name);
			return NULL;
		}
	}
	if (!labels)
		labels = "";
	/* A label value quoting a URL (a node) keeps its scheme, host and
	 * port only, whoever made it: a key never reaches /metrics. */
	if (strstr(labels, "://")) {
		size_t n = strlen(labels) + 1;

		red = malloc(n);
		if (!red)
			return NULL;
		log_redact_url(labels, red, n);
		labels = red;
	}
	pthread_mutex_lock(&m->lock);
	f = family_get(m, name, help, type);
	if (!f)
		goto fail;
	for (s = f->series; s; s = s->next)
		if (!strcmp(s->labels, labels))
			goto done;
	s = calloc(1, sizeof(*s));
	if (!s)
		goto fail;
	s->fam = f;
	s->labels = strdup(labels);
	if (!s->labels)
		goto fail;
	atomic_init(&s->value, double_to_bits(0));
	if (type == METRIC_HISTOGRAM) {
		s->nbounds = nbounds;
		s->bounds = calloc(nbounds ? nbounds : 1, sizeof(*s->bounds));
		s->buckets = calloc(nbounds + 1, sizeof(*s->buckets));
		if (!s->bounds || !s->buckets)
			goto fail;
		if (nbounds)
			memcpy(s->bounds, bounds, nbounds * sizeof(*bounds));
		for (size_t i = 0; i <= nbounds; i++)
			atomic_init(&s->buckets[i], 0);
	}
	*f->tail = s;
	f->tail = &s->next;
done:
	pthread_mutex_unlock(&m->lock);
	free(red);
	return s;
fail:
	/* An empty family left behind renders as HELP/TYPE only: harmless. */
	pthread_mutex_unlock(&m->lock);
	if (s)
		metric_free(s);
	free(red);
	return NULL;
}

struct metric *metrics_counter(struct metrics *m, const char *name,
			       const char *help, const char *labels)
{
	return metric_get(m, name, help, labels, METRIC_COUNTER, NULL, 0);
}

struct metric *metrics_gauge(struct metrics *m, const char *name,
			     const char *help, const char *labels)
{
	return metric_get(m, name, help, labels, METRIC_GAUGE, NULL, 0);
}

struct metric *metrics_histogram(struct metrics *m, const char *name,
				 const char *help, const char *labels,
				 const double *bounds, size_t nbounds)
{
	return metric_get(m, name, help, labels, METRIC_HISTOGRAM, bounds,
			  nbounds);
}

void metric_inc(struct metric *c)
{
	metric_add(c, 1);
}

void metric_add(struct metric *c, double v)
{
	if (!c || c->fam->type == METRIC_HISTOGRAM)
		return;
	if (c->fam->type == METRIC_COUNTER && !(v >= 0))
		return;
	atomic_add_double(&c->value, v);
}

void metric_set(struct metric *g, double v)
{
	if (!g || g->fam->type == METRIC_HISTOGRAM)
		return;
	atomic_store_explicit(&g->value, double_to_bits(v),
			      memory_order_relaxed);
}

double metric_value(const struct metric *c)
{
	struct metric *s = (struct metric *)c; /* atomics want non-const */
	uint64_t n = 0;

	if (!s)
		return 0;
	if (s->fam->type != METRIC_HISTOGRAM)
		return atomic_load_double(&s->value);
	for (size_t i = 0; i <= s->nbounds; i++)
		n += atomic_load_explicit(&s->buckets[i], memory_order_relaxed);
	return (double)n;
}

void metric_observe(struct metric *h, double v)
{
	size_t lo = 0, hi;

	if (!h || h->fam->type != METRIC_HISTOGRAM)
		return;
	/* First bound >= v; NaN falls through to +Inf. */
	hi = h->nbounds;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (v <= h->bounds[mid])
			hi = mid;
		else
			lo = mid + 1;
	}
	if (isnan(v))
		lo = h->nbounds;
	atomic_fetch_add_explicit(&h->buckets[lo], 1, memory_order_relaxed);
	atomic_add_double(&h->value, v);
}

double metric_quantile(const struct metric *h, double q)
{
	struct metric *s = (struct metric *)h;
	uint64_t *counts;
	uint64_t total = 0, cum = 0;
	double rank, lower, upper, r = NAN;
	size_t i;

	if (!s || s->fam->type != METRIC_HISTOGRAM || !(q >= 0 && q <= 1))
		return NAN;
	/* A snapshot, so that the total and the walk agree. */
	counts = calloc(s->nbounds + 1, sizeof(*counts));
	if (!counts)
		return NAN;
	for (i = 0; i <= s->nbounds; i++) {
		counts[i] = atomic_load_explicit(&s->buckets[i],
						 memory_order_relaxed);
		total += counts[i];
	}
	if (!total)
		goto done;
	rank = q * (double)total;
	for (i = 0; i <= s->nbounds; i++) {
		if (counts[i] && (double)(cum + counts[i]) >= rank)
			break;
		cum += counts[i];
	}
	if (i >= s->nbounds) {
		/* The +Inf bucket: the best answer is the largest bound. */
		r = s->nbounds ? s->bounds[s->nbounds - 1] : NAN;
		goto done;
	}
	upper = s->bounds[i];
	if (i > 0)
		lower = s->bounds[i - 1];
	else
		lower = upper > 0 ? 0 : upper;
	r = lower + (upper - lower) * ((rank - (double)cum) / (double)counts[i]);
done:
	free(counts);
	return r;
}

/* The shortest text that reads back as the same double, as Prometheus
 * clients write them ("1", "0.25", "+Inf"). */
static void format_double(char *out, size_t n, double v)
{
	if (isnan(v)) {
		snprintf(out, n, "NaN");
		return;
	}
	if (isinf(v)) {
		snprintf(out, n, "%s", v > 0 ? "+Inf" : "-Inf");
		return;
	}
	for (int prec = 15; prec <= 17; prec++) {
		snprintf(out, n, "%.*g", prec, v);
		if (strtod(out, NULL) == v)
			return;
	}
}

/* HELP text escapes backslash and newline; label values also '"'. */
static int add_escaped(struct buf *out, const char *s, int quote)
{
	for (; *s; s++) {
		int rc;

		if (*s == '\\')
			rc = buf_adds(out, "\\\\");
		else if (*s == '\n')
			rc = buf_adds(out, "\\n");
		else if (quote && *s == '"')
			rc = buf_adds(out, "\\\"");
		else
			rc = buf_addch(out, *s);
		if (rc < 0)
			return -1;
	}
	return 0;
}

int metrics_label(struct buf *labels, const char *key, const char *value)
{
	if (buf_addf(labels, "%s%s=\"", labels->len ? "," : "", key) < 0 ||
	    add_escaped(labels, value, 1) < 0)
		return -1;
	return buf_addch(labels, '"');
}

static int render_header(struct buf *out, const char *name, const char *help,
			 const char *type)
{
	if (buf_addf(out, "# HELP %s ", name) < 0 ||
	    add_escaped(out, help, 0) < 0 ||
	    buf_addf(out, "\n# TYPE %s %s\n", name, type) < 0)
		return -1;
	return 0;
}

static int render_histogram(struct buf *out, const char *name,
			    struct metric *s)
{
	const char *sep = *s->labels ? "," : "";
	uint64_t cum = 0;
	char num[64];

	for (size_t i = 0; i <= s->nbounds; i++) {
		cum += atomic_load_explicit(&s->buckets[i], memory_order_relaxed);
		if (i < s->nbounds)
			format_double(num, sizeof(num), s->bounds[i]);
		else
			snprintf(num, sizeof(num), "+Inf");
		if (buf_addf(out, "%s_bucket{%s%sle=\"%s\"} %llu\n", name,
			     s->labels, sep, num, (unsigned long long)cum) < 0)
			return -1;
	}
	format_double(num, sizeof(num), atomic_load_double(&s->value));
	if (buf_addf(out, "%s_sum%s%s%s %s\n", name, *s->labels ? "{" : "",
		     s->labels, *s->labels ? "}" : "", num) < 0)
		return -1;
	/* The +Inf bucket is the count: the two always agree. */
	return buf_addf(out, "%s_count%s%s%s %llu\n", name,
			*s->labels ? "{" : "", s->labels,
			*s->labels ? "}" : "", (unsigned long long)cum);
}

static int render_series(struct buf *out, const char *name, struct metric *s)
{
	char num[64];

	if (s->fam->type == METRIC_HISTOGRAM)
		return render_histogram(out, name, s);
	format_double(num, sizeof(num), atomic_load_double(&s->value));
	if (*s->labels)
		return buf_addf(out, "%s{%s} %s\n", name, s->labels, num);
	return buf_addf(out, "%s %s\n", name, num);
}

int metrics_render(struct metrics *m, struct buf *out)
{
	struct family *f;
	struct metric *s;
	char num[64];
	int rc = -1;

	pthread_mutex_lock(&m->lock);
	for (f = m->families; f; f = f->next) {
		if (render_header(out, f->name, f->help, type_names[f->type]) < 0)
			goto fail;
		for (s = f->series; s; s = s->next)
			if (render_series(out, f->name, s) < 0)
				goto fail;
	}
	if (render_header(out, "blockpipe_build_info",
			  "Which program and version this is.", "gauge") < 0 ||
	    buf_adds(out, "blockpipe_build_info{prog=\"") < 0 ||
	    add_escaped(out, m->prog, 1) < 0 ||
	    buf_adds(out, "\",version=\"") < 0 ||
	    add_escaped(out, BLOCKPIPE_VERSION, 1) < 0 ||
	    buf_adds(out, "\"} 1\n") < 0)
		goto fail;
	format_double(num, sizeof(num), m->start_time);
	if (render_header(out, "process_start_time_seconds",
			  "Start time of the process since unix epoch in seconds.",
			  "gauge") < 0 ||
	    buf_addf(out, "process_start_time_seconds %s\n", num) < 0)
		goto fail;
	rc = 0;
fail:
	pthread_mutex_unlock(&m->lock);
	return rc;
}

void metrics_set_ready(struct metrics *m, metrics_ready_fn fn, void *arg)
{
	pthread_mutex_lock(&m->lock);
	m->ready_fn = fn;
	m->ready_arg = arg;
	pthread_mutex_unlock(&m->lock);
}

int metrics_ready_now(struct metrics *m)
{
	metrics_ready_fn fn;
	void *arg;

	pthread_mutex_lock(&m->lock);
	fn = m->ready_fn;
	arg = m->ready_arg;
	pthread_mutex_unlock(&m->lock);
	return !fn || fn(arg);
}

int metrics_serve(struct metrics *m, const char *addr)
{
	if (m->http)
		return log_error("cannot listen on '%s': already serving",
				 addr ? addr : "");
	m->http = metrics_http_start(m, addr ? addr : "");
	return m->http ? 0 : -1;
}

int metrics_port(const struct metrics *m)
{
	return m ? metrics_http_port(m->http) : -1;
}
