/* Listening addresses: the one grammar of --listen and --metrics-addr.
 *
 *   HOST:PORT       a name or an IPv4 address ("127.0.0.1:9101",
 *                   "localhost:9101")
 *   [IPV6]:PORT     an IPv6 address, always in brackets ("[::1]:9101")
 *   :PORT, *:PORT   every interface
 *
 * PORT is 0 to 65535 in decimal digits only (0: the system picks one).
 * This splits and checks the text; resolving HOST is the caller's. */
#ifndef ADDR_H
#define ADDR_H

#include <stddef.h>
#include <stdint.h>

struct addr_hostport {
	char host[256]; /* without brackets; "" for every interface */
	uint16_t port;
	int ipv6;       /* written in brackets: host is an IPv6 address */
	int any;        /* every interface (":PORT" or "*:PORT") */
};

/* Split s. 0, or -1 with the reason in why ("missing port (want
 * HOST:PORT)", "an IPv6 address goes in brackets ([::1]:PORT)", ...). */
int addr_parse(const char *s, struct addr_hostport *out, char *why,
	       size_t whylen);

#endif
