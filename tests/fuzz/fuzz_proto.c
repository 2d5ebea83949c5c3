/*
 * fuzz_proto.c — libFuzzer harness for everything the broker decodes from a worker
 * (security-tests.md item 32).
 *
 * The input is one datagram: a 16-byte header and the payload. The header goes through
 * proto_check_hdr, and the payload through every decoder whatever the header says (a broker
 * only decodes the declared type, but each decoder must be safe on any bytes). The input, as
 * a NUL-terminated string, also goes through policy_parse_net_address and
 * policy_path_normalize, which the broker runs on decoded strings.
 */
#define _GNU_SOURCE
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "match.h"
#include "policy.h"
#include "proto.h"

#include "fuzz_open.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void decode_all(const void *p, size_t len)
{
	const char *names[PROTO_MAX_FDS];
	int32_t errs[PROTO_MAX_FDS], err32, backlog, flags;
	struct proto_open o;
	struct proto_cur c;
	const char *s;
	size_t n, i, slen;
	int err;

	(void)proto_decode_setup(p, len, names, PROTO_MAX_FDS, &n);
	(void)proto_decode_exec_failed(p, len, &err);
	(void)proto_decode_open(p, len, &o);
	if (proto_decode_open_many_begin(&c, p, len, &n) == 0)
		for (i = 0; i < n && proto_decode_open_many_next(&c, &flags, &s, &slen) == 0; i++)
			;
	(void)proto_decode_connect(p, len, &s);
	(void)proto_decode_listen(p, len, &s, &backlog);
	(void)proto_decode_reply(p, len, &err32, errs, PROTO_MAX_FDS, &n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct policy_net_req req;
	struct proto_hdr hdr;
	char *str;
	bool trailing;

	if (size >= PROTO_HDR_SIZE) {
		memcpy(&hdr, data, sizeof(hdr));
		(void)proto_check_hdr(&hdr, size);
		(void)proto_max_fds(hdr.type);
		decode_all(data + PROTO_HDR_SIZE, size - PROTO_HDR_SIZE);
	}
	decode_all(data, size);

	/* a copy of exactly size bytes (plus NUL), so ASan catches a read past the string */
	if ((str = malloc(size + 1)) == NULL)
		return 0;
	memcpy(str, data, size);
	str[size] = '\0';
	(void)policy_parse_net_address(str, &req);
	(void)policy_path_normalize(str, &trailing);
	free(str);
	return 0;
}
