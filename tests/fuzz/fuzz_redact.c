/* libFuzzer target: log_redact_url(), which every log line, metric label
 * and configuration error goes through. The first byte picks the output
 * size; the rest is the text. The output is NUL-terminated within its
 * size, never longer than the text, a prefix of the whole result when
 * cut short, and after each "scheme://" (but ZeroMQ's ipc:// and
 * inproc://) only a host and port: no '/', '?', '#', '@' or '\' before
 * the white space that ends the URL. */
#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_hosts_only(const char *out)
{
	for (const char *p = strstr(out, "://"); p; p = strstr(p + 1, "://")) {
		const char *s = p;

		while (s > out && (isalnum((unsigned char)s[-1]) || s[-1] == '+' ||
				   s[-1] == '-' || s[-1] == '.'))
			s--;
		if ((p - s == 3 && !strncasecmp(s, "ipc", 3)) ||
		    (p - s == 6 && !strncasecmp(s, "inproc", 6)))
			continue; /* a file path follows, kept as it is */
		for (const char *q = p + 3; *q && !isspace((unsigned char)*q); q++) {
			if (*q == ',' || *q == '\'' || *q == '"' || *q == '<' ||
			    *q == '>' || *q == '`')
				break;
			if (strchr("/?#@\\", *q) && strncmp(q - 1, "://", 3) &&
			    strncmp(q - 2, "://", 3))
				abort();
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *in, *full, *cut;
	size_t n, outlen;

	if (size < 1)
		return 0;
	n = size - 1;
	in = malloc(n + 1);
	full = malloc(n + 1);
	if (!in || !full) {
		free(in);
		free(full);
		return 0;
	}
	memcpy(in, data + 1, n);
	in[n] = '\0';
	n = strlen(in); /* the text ends at a NUL, as a C string does */
	log_redact_url(in, full, n + 1);
	if (strlen(full) > n)
		abort();
	check_hosts_only(full);
	outlen = (size_t)data[0] % (n + 2);
	cut = malloc(outlen + 1);
	if (cut) {
		cut[outlen] = '#';
		log_redact_url(in, cut, outlen);
		if (cut[outlen] != '#' ||
		    (outlen && (strlen(cut) >= outlen ||
				strncmp(cut, full, strlen(cut)))))
			abort();
		free(cut);
	}
	free(in);
	free(full);
	return 0;
}
