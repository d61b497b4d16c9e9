/* bench/bodycost: the CPU cost of body verification (common/body.h) on
 * block messages, one JSON object a line on stdin: for each line, the
 * JSON parse alone, the whole check without sender recovery and with it,
 * each repeated R times (argv[1], default 5), in CPU time of this thread.
 * Prints one line: "blocks txs parse_us nosender_us full_us" (totals per
 * pass, in microseconds), after checking that every block verifies.
 * Built by bench/verify against build/libcommon.a. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "body.h"
#include "buf.h"
#include "json.h"

static double cpu_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

struct line {
	char *text;
	size_t len;
};

static double pass(struct line *ls, size_t n, int mode, int reps)
{
	struct body_checker *c = body_checker_new(mode == 2);
	struct body_report r;
	char err[128];
	double t0 = cpu_us();

	for (int k = 0; k < reps; k++)
		for (size_t i = 0; i < n; i++) {
			if (mode == 0) {
				yajl_tree_free(json_parse(ls[i].text, err,
							  sizeof(err)));
			} else if (body_check_text(c, ls[i].text, ls[i].len,
						   &r) != BODY_OK) {
				fprintf(stderr, "bodycost: line %zu: %s at %s\n",
					i + 1, body_field_name(r.field), r.where);
				exit(1);
			}
		}
	body_checker_free(&c);
	return (cpu_us() - t0) / reps;
}

int main(int argc, char **argv)
{
	int reps = argc > 1 ? atoi(argv[1]) : 5;
	struct line *ls = NULL;
	size_t n = 0, cap = 0, txs = 0;
	char *l = NULL;
	size_t lcap = 0;
	ssize_t len;
	char err[128];

	while ((len = getline(&l, &lcap, stdin)) > 0) {
		yajl_val m = json_parse(l, err, sizeof(err));
		yajl_val t = json_get(json_get(m, "block"), "transactions");

		if (t && YAJL_IS_ARRAY(t))
			txs += t->u.array.len;
		yajl_tree_free(m);
		if (n == cap) {
			cap = cap ? cap * 2 : 1024;
			ls = realloc(ls, cap * sizeof(*ls));
			if (!ls)
				return 1;
		}
		ls[n].text = strdup(l);
		ls[n++].len = (size_t)len;
	}
	free(l);
	if (!n || reps < 1)
		return fprintf(stderr, "bodycost: no input\n"), 1;
	printf("%zu %zu %.0f %.0f %.0f\n", n, txs, pass(ls, n, 0, reps),
	       pass(ls, n, 1, reps), pass(ls, n, 2, reps));
	for (size_t i = 0; i < n; i++)
		free(ls[i].text);
	free(ls);
	return 0;
}
