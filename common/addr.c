#include "addr.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "banned.h"

static int fail(char *why, size_t whylen, const char *msg, const char *arg)
{
	if (why && whylen)
		snprintf(why, whylen, msg, arg ? arg : "");
	return -1;
}

static int parse_port(const char *s, uint16_t *port)
{
	unsigned long v = 0;

	if (!*s || strlen(s) > 5)
		return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		v = v * 10 + (unsigned long)(*s - '0');
	}
	if (v > 65535)
		return -1;
	*port = (uint16_t)v;
	return 0;
}

int addr_parse(const char *s, struct addr_hostport *out, char *why,
	       size_t whylen)
{
	const char *colon, *hs, *he;
	struct in6_addr a6;
	size_t hl;

	memset(out, 0, sizeof(*out));
	if (!s || !*s)
		return fail(why, whylen, "empty address", NULL);
	if (s[0] == '[') {
		hs = s + 1;
		he = strchr(hs, ']');
		if (!he || he[1] != ':')
			return fail(why, whylen, "want [IPV6]:PORT", NULL);
		colon = he + 1;
		out->ipv6 = 1;
	} else {
		colon = strrchr(s, ':');
		if (!colon)
			return fail(why, whylen, "missing port (want HOST:PORT)",
				    NULL);
		hs = s;
		he = colon;
		if (memchr(hs, ':', (size_t)(he - hs)))
			return fail(why, whylen,
				    "an IPv6 address goes in brackets ([::1]:PORT)",
				    NULL);
	}
	if (parse_port(colon + 1, &out->port) < 0)
		return fail(why, whylen, "invalid port '%s'", colon + 1);
	hl = (size_t)(he - hs);
	if (hl >= sizeof(out->host))
		return fail(why, whylen, "host name too long", NULL);
	memcpy(out->host, hs, hl);
	out->host[hl] = '\0';
	if (out->ipv6) {
		if (inet_pton(AF_INET6, out->host, &a6) != 1)
			return fail(why, whylen, "'%s' is not an IPv6 address",
				    out->host);
		return 0;
	}
	if (!strcmp(out->host, "*"))
		out->host[0] = '\0';
	out->any = !out->host[0];
	return 0;
}
