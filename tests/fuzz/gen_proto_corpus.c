/*
 * gen_proto_corpus.c — writes the seed corpus of fuzz_proto: one valid datagram (header and
 * payload) per message type and a few edge cases, into the directory given as argv[1].
 * Built and run by hand (the corpus is committed):
 *   cc -Icommon -o /tmp/gen tests/fuzz/gen_proto_corpus.c common/proto.c &&
 *   /tmp/gen tests/fuzz/corpus/proto
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "proto.h"

static unsigned char mem[PROTO_HDR_SIZE + PROTO_MAX_PAYLOAD];

static int emit(const char *dir, const char *name, uint16_t type, struct proto_buf *b)
{
	struct proto_hdr hdr;
	char path[4096];
	int fd;
	ssize_t n;

	if (proto_buf_finish(b) < 0)
		return -1;
	proto_hdr_init(&hdr, type, 7, b->len);
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -1;
	n = write(fd, &hdr, sizeof(hdr));
	n += write(fd, b->p, b->len);
	close(fd);
	return n == (ssize_t)(sizeof(hdr) + b->len) ? 0 : -1;
}

int main(int argc, char **argv)
{
	static const char *const names[] = {"http", "ctl", "log"};
	static const char *const paths[] = {"/srv/a/b", "/srv/x/../y", "/srv//c/./d/"};
	static const int flags[] = {0, 01, 0101};
	static const int errs[] = {0, 13, 0};
	struct proto_buf b;
	int r = 0;

	if (argc != 2) {
		fprintf(stderr, "usage: %s DIR\n", argv[0]);
		return 2;
	}
#define EMIT(name, type, call)                                                                \
	do {                                                                                   \
		proto_buf_init(&b, mem, sizeof(mem));                                          \
		call;                                                                          \
		r |= emit(argv[1], name, type, &b);                                            \
	} while (0)
	EMIT("setup", PROTO_SETUP, proto_encode_setup(&b, 3, names));
	EMIT("setup_empty", PROTO_SETUP, proto_encode_setup(&b, 0, names));
	EMIT("exec_failed", PROTO_EXEC_FAILED, proto_encode_exec_failed(&b, 2));
	EMIT("open", PROTO_OPEN, proto_encode_open(&b, 0, 0, "/srv/fdbroker-accept/a/b"));
	EMIT("open_create", PROTO_OPEN, proto_encode_open(&b, 0101, 0640, "/var/log/x.log"));
	EMIT("open_many", PROTO_OPEN_MANY, proto_encode_open_many(&b, 3, paths, flags));
	EMIT("connect_v4", PROTO_CONNECT, proto_encode_connect(&b, "tcp:127.0.0.1:5432"));
	EMIT("connect_v6", PROTO_CONNECT, proto_encode_connect(&b, "tcp:[::1]:443"));
	EMIT("connect_udp", PROTO_CONNECT, proto_encode_connect(&b, "udp:10.0.0.1:53"));
	EMIT("connect_unix", PROTO_CONNECT, proto_encode_connect(&b, "unix:/run/x.sock"));
	EMIT("listen", PROTO_LISTEN, proto_encode_listen(&b, "tcp:127.0.0.1:8000", 64));
	EMIT("reply", PROTO_REPLY, proto_encode_reply(&b, 0, 0, errs));
	EMIT("reply_many", PROTO_REPLY, proto_encode_reply(&b, 0, 3, errs));
	EMIT("reply_error", PROTO_REPLY, proto_encode_reply(&b, 13, 0, errs));
	EMIT("listener", PROTO_LISTENER, (void)0);
	return r ? 1 : 0;
}
