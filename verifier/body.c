/* Body verification in the verifier: every block, incoming or fetched,
 * has its transactions, receipts and withdrawals checked against its
 * header (common/body.h) before it can be emitted; one that fails is
 * logged, counted by field and fetched again like a block whose hash does
 * not verify (docs/verifier.md). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "body.h"
#include "clock.h"
#include "internal.h"
#include "log.h"
#include "metrics.h"
#include "banned.h"

struct vbody {
	struct body_checker *checker; /* NULL with --no-verify-body */
	struct metric *mismatch[BODY_NFIELDS];
	struct metric *verified, *seconds;
};

int body_metrics_setup(struct verifier *v)
{
	const struct verifier_cfg *c = v->cfg;
	struct vbody *vb = calloc(1, sizeof(*vb));
	char labels[64];

	if (!vb)
		return -1;
	v->body = vb;
	for (int f = 1; f < BODY_NFIELDS; f++) {
		snprintf(labels, sizeof(labels), "field=\"%s\"",
			 body_field_name((enum body_field)f));
		vb->mismatch[f] = metrics_counter(
			v->metrics, "verifier_body_mismatches_total",
			"blocks whose body does not verify, by the field that "
			"failed first", labels);
	}
	vb->verified = metrics_counter(v->metrics,
				       "verifier_bodies_verified_total",
				       "blocks whose body verified", NULL);
	vb->seconds = metrics_counter(v->metrics,
				      "verifier_body_verify_seconds_total",
				      "time spent verifying bodies", NULL);
	if (!c->no_verify_body) {
		vb->checker = body_checker_new(c->verify_sender);
		if (!vb->checker)
			return -1;
	}
	log_at(LOG_INFO, LOGF(LF_B("verify_body", !c->no_verify_body),
			      LF_B("verify_sender", !c->no_verify_body &&
						    c->verify_sender)),
	       "body verification %s", c->no_verify_body ? "off" : "on");
	return 0;
}


int vbody_verify(struct verifier *v, const struct vblock *b, yajl_val msg)
{
	struct vbody *vb = v->body;
	struct body_report r;
	enum body_field f;
	double t0 = clock_mono_s();

	if (!vb || !vb->checker)
		return 0;
	f = body_check(vb->checker, msg, &r);
	metric_add(vb->seconds, clock_mono_s() - t0);
	if (f == BODY_OK) {
		metric_inc(vb->verified);
		return 0;
	}
	metric_inc(vb->mismatch[f < BODY_NFIELDS ? f : BODY_MALFORMED]);
	log_at(LOG_ERROR, LOGF(LF_I("height", (long long)b->number),
			       LF_S("hash", b->hash),
			       LF_S("field", body_field_name(f)),
			       LF_S("where", r.where),
			       LF_S("expected", r.expected),
			       LF_S("got", r.got)),
	       "block body mismatch at height %" PRIu64 ": %s at %s (node sent "
	       "corrupted data, or the chain encodes bodies in a way this "
	       "verifier does not know; --no-verify-body disables this check)",
	       b->number, body_field_name(f), r.where);
	return -1;
}

void vbody_release(struct verifier *v)
{
	if (!v->body)
		return;
	body_checker_free(&v->body->checker);
	free(v->body);
	v->body = NULL;
}
