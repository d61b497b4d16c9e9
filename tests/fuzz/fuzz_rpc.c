/* libFuzzer target: rpc_parse_response(), the parser of a node's HTTP
 * body, for n = 1..4 calls (the first byte picks n and the first id; the
 * rest is the body). A body that is not a valid answer must be refused
 * with a reason, and every result handed back must point inside it. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "rpc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rpc_result res[4];
	char err[256], *body;
	size_t n, len;
	uint64_t first_id;
	unsigned sum = 0;

	if (size < 1)
		return 0;
	log_set_level(LOG_ERROR);
	n = (size_t)(data[0] & 3) + 1;
	first_id = (data[0] >> 2) & 3; /* ids 0..3: seeds use 1 */
	len = size - 1;
	body = malloc(len + 1);
	if (!body)
		return 0;
	memcpy(body, data + 1, len);
	body[len] = '\0';
	memset(res, 0, sizeof(res));
	if (rpc_parse_response(body, len, first_id, n, res, err,
			       sizeof(err)) == 0) {
		for (size_t i = 0; i < n; i++) {
			if (res[i].status == RPC_OK) {
				if (res[i].result < body ||
				    res[i].result + res[i].result_len >
					    body + len)
					abort();
				for (size_t j = 0; j < res[i].result_len; j++)
					sum += (unsigned char)res[i].result[j];
			} else if (res[i].message) {
				sum += (unsigned)strlen(res[i].message);
			}
		}
		rpc_results_release(res, n);
	}
	free(body);
	return (int)(sum & 0);
}
