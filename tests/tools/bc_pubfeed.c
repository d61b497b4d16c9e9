/* bc_pubfeed: publish lines of stdin on a ZeroMQ PUB socket as the
 * verifier's three frames [topic, json, counter], with the counter given
 * on the line, so that tests can make the broadcaster see lost messages.
 *
 *   usage: bc_pubfeed ENDPOINT < lines
 *   line:  TOPIC COUNTER JSON      e.g.  block 0 {"type":"block",...}
 *          sleep MS                 wait (let subscribers join)
 *
 * Exit status 0 at end of input, 1 on a socket error, 2 on misuse. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zmq.h>

#include "banned.h"

int main(int argc, char **argv)
{
	void *ctx, *pub;
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	int rc = 0, linger = 1000;

	if (argc != 2) {
		fprintf(stderr, "usage: bc_pubfeed ENDPOINT < lines\n");
		return 2;
	}
	ctx = zmq_ctx_new();
	pub = zmq_socket(ctx, ZMQ_PUB);
	zmq_setsockopt(pub, ZMQ_LINGER, &linger, sizeof(linger));
	if (zmq_bind(pub, argv[1]) != 0) {
		fprintf(stderr, "bc_pubfeed: cannot bind '%s': %s\n", argv[1],
			zmq_strerror(zmq_errno()));
		return 1;
	}
	while ((n = getline(&line, &cap, stdin)) > 0) {
		char topic[64], *json;
		unsigned long counter;
		uint8_t le[4];

		while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			line[--n] = '\0';
		if (sscanf(line, "sleep %lu", &counter) == 1) {
			struct timespec ts = { (time_t)(counter / 1000),
					       (long)(counter % 1000) * 1000000L };

			nanosleep(&ts, NULL);
			continue;
		}
		if (sscanf(line, "%63s %lu", topic, &counter) != 2 ||
		    !(json = strchr(line, '{'))) {
			fprintf(stderr, "bc_pubfeed: bad line '%.60s'\n", line);
			rc = 2;
			break;
		}
		le[0] = (uint8_t)counter;
		le[1] = (uint8_t)(counter >> 8);
		le[2] = (uint8_t)(counter >> 16);
		le[3] = (uint8_t)(counter >> 24);
		if (zmq_send(pub, topic, strlen(topic), ZMQ_SNDMORE) < 0 ||
		    zmq_send(pub, json, strlen(json), ZMQ_SNDMORE) < 0 ||
		    zmq_send(pub, le, 4, 0) < 0) {
			fprintf(stderr, "bc_pubfeed: send: %s\n",
				zmq_strerror(zmq_errno()));
			rc = 1;
			break;
		}
	}
	free(line);
	zmq_close(pub);
	zmq_ctx_term(ctx);
	return rc;
}
