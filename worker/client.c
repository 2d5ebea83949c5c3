/*
 * client.c — libfdbroker: runtime requests to the broker over the channel (fdbroker.h).
 *
 * One synchronous request/reply at a time per process: a mutex covers the send and the
 * matching receive, so replies cannot be taken by the wrong thread. Replies must echo the
 * request id and carry exactly the fds they announce; anything else is EPROTO and every fd
 * that arrived is closed.
 */
#define _GNU_SOURCE
#include "fdbroker.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fdpass.h"
#include "fdutil.h"
#include "proto.h"

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static int channel = -2; /* -2: not looked up yet; -1: none */
static uint32_t next_id = 1;

/* Find the channel: FDBROKER_FD must name an open AF_UNIX SOCK_SEQPACKET socket. */
static int find_channel(void)
{
	const char *s = getenv("FDBROKER_FD");
	char *end;
	long v;
	int type = 0, domain = 0;
	socklen_t len = sizeof(type);

	if (s == NULL || *s == '\0')
		return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < 0 || v > INT_MAX)
		return -1;
	if (getsockopt((int)v, SOL_SOCKET, SO_TYPE, &type, &len) < 0 || type != SOCK_SEQPACKET)
		return -1;
	len = sizeof(domain);
	if (getsockopt((int)v, SOL_SOCKET, SO_DOMAIN, &domain, &len) < 0 || domain != AF_UNIX)
		return -1;
	return (int)v;
}

/*
 * Send one request and receive its reply. On success the reply's payload is decoded into
 * ret_err / ret_errs (n entries max) and its fds stored in ret_fds (max_fds max).
 * Called with the lock held.
 */
static int exchange(uint16_t type, const struct proto_buf *req, int32_t *ret_err,
		    int32_t *ret_errs, size_t max_errs, size_t *ret_nerrs, int *ret_fds,
		    size_t max_fds, size_t *ret_nfds)
{
	static unsigned char reply[PROTO_HDR_SIZE + 4 + 4 + 4 * PROTO_MAX_FDS];
	struct proto_hdr hdr, rhdr;
	size_t nfds = 0;
	uint32_t id;
	int r;

	if (channel == -2)
		channel = find_channel();
	if (channel < 0) {
		errno = ENOTCONN;
		return -1;
	}
	id = next_id++;
	if (next_id == 0)
		next_id = 1;
	proto_hdr_init(&hdr, type, id, req->len);
	if (fdpass_send(channel, &hdr, req->p, NULL, 0) < 0)
		return -1;
	for (;;) {
		r = fdpass_recv(channel, &rhdr, reply, sizeof(reply), ret_fds, max_fds, &nfds);
		if (r == 0) {
			errno = ECONNRESET;
			return -1;
		}
		if (r < 0) {
			/* At RLIMIT_NOFILE the kernel drops the fds and flags the message as
			 * truncated: say EMFILE, which is what it means here. */
			if (errno == EPROTO) {
				int probe = fcntl(0, F_DUPFD_CLOEXEC, 0);
				if (probe < 0 && errno == EMFILE)
					return -1;
				fdutil_close(probe);
				errno = EPROTO;
			}
			return -1;
		}
		if (rhdr.type == PROTO_REPLY && rhdr.id == id)
			break;
		/* Not ours (a stale reply to a request abandoned by an error): drop it. */
		fdutil_close_many(ret_fds, nfds);
	}
	if (proto_decode_reply(reply, rhdr.len, ret_err, ret_errs, max_errs, ret_nerrs) < 0)
		goto bad;
	*ret_nfds = nfds;
	return 0;
bad:
	fdutil_close_many(ret_fds, nfds);
	errno = EPROTO;
	return -1;
}

/* A request whose reply carries one fd on success. */
static int single(uint16_t type, const struct proto_buf *req)
{
	int32_t err = 0;
	size_t nerrs = 0, nfds = 0;
	int fd = -1, r;

	pthread_mutex_lock(&lock);
	r = exchange(type, req, &err, NULL, 0, &nerrs, &fd, 1, &nfds);
	pthread_mutex_unlock(&lock);
	if (r < 0)
		return -1;
	if (err != 0 || nfds != 1) {
		fdutil_close_many(&fd, nfds);
		errno = err != 0 ? err : EPROTO;
		return -1;
	}
	return fd;
}

/* Make a relative path absolute against the current directory, into buf. */
static const char *absolute(const char *path, char *buf, size_t size)
{
	size_t cl;

	if (path[0] == '/')
		return path;
	if (getcwd(buf, size) == NULL)
		return NULL;
	cl = strlen(buf);
	if (cl + 1 + strlen(path) + 1 > size) {
		errno = ENAMETOOLONG;
		return NULL;
	}
	if (cl > 1)
		buf[cl++] = '/';
	strcpy(buf + cl, path);
	return buf;
}

FDB_API int fdb_open(const char *path, int flags, mode_t mode)
{
	unsigned char mem[PROTO_MAX_PATH + 16];
	char abs[PROTO_MAX_PATH];
	struct proto_buf b;

	if (path == NULL || *path == '\0') {
		errno = path == NULL ? EFAULT : ENOENT;
		return -1;
	}
	path = absolute(path, abs, sizeof(abs));
	if (path == NULL)
		return -1;
	proto_buf_init(&b, mem, sizeof(mem));
	if (proto_encode_open(&b, flags, mode, path) < 0) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return single(PROTO_OPEN, &b);
}

FDB_API int fdb_connect(const char *address)
{
	unsigned char mem[PROTO_MAX_ADDRESS + 16];
	struct proto_buf b;

	if (address == NULL) {
		errno = EFAULT;
		return -1;
	}
	proto_buf_init(&b, mem, sizeof(mem));
	if (proto_encode_connect(&b, address) < 0) {
		errno = EINVAL;
		return -1;
	}
	return single(PROTO_CONNECT, &b);
}

FDB_API int fdb_listen(const char *address, int backlog)
{
	unsigned char mem[PROTO_MAX_ADDRESS + 16];
	struct proto_buf b;

	if (address == NULL) {
		errno = EFAULT;
		return -1;
	}
	proto_buf_init(&b, mem, sizeof(mem));
	if (proto_encode_listen(&b, address, backlog) < 0) {
		errno = EINVAL;
		return -1;
	}
	return single(PROTO_LISTEN, &b);
}

/* One OPEN_MANY round trip for entries [0, n) (n <= PROTO_MAX_FDS, payload fits). */
static int many_chunk(size_t n, const char *const paths[], const int flags[], int ret_fds[],
		      int ret_errs[], unsigned char *mem, size_t memsize)
{
	int32_t err = 0, errs[PROTO_MAX_FDS];
	int fds[PROTO_MAX_FDS];
	size_t nerrs = 0, nfds = 0, i, k;
	struct proto_buf b;
	int r, got = 0;

	proto_buf_init(&b, mem, memsize);
	if (proto_encode_open_many(&b, n, paths, flags) < 0)
		return -1;
	pthread_mutex_lock(&lock);
	r = exchange(PROTO_OPEN_MANY, &b, &err, errs, n, &nerrs, fds, n, &nfds);
	pthread_mutex_unlock(&lock);
	if (r < 0)
		return -1;
	if (err != 0 || nerrs != n) {
		fdutil_close_many(fds, nfds);
		errno = err != 0 ? err : EPROTO;
		return -1;
	}
	for (i = 0, k = 0; i < n; i++)
		if (errs[i] == 0)
			k++;
	if (k != nfds) {
		fdutil_close_many(fds, nfds);
		errno = EPROTO;
		return -1;
	}
	for (i = 0, k = 0; i < n; i++) {
		ret_fds[i] = errs[i] == 0 ? fds[k++] : -1;
		if (ret_errs != NULL)
			ret_errs[i] = errs[i];
		got += errs[i] == 0;
	}
	return got;
}

FDB_API int fdb_open_many_err(size_t n, const char *const paths[], const int flags[],
			      int ret_fds[], int ret_errs[])
{
	const size_t payload_max = PROTO_MAX_PAYLOAD;
	unsigned char *mem = NULL;
	const char **abs_paths = NULL;
	char *abs_store = NULL;
	size_t i, start, used, total = 0;
	int r;

	if (n == 0)
		return 0;
	if (paths == NULL || flags == NULL || ret_fds == NULL) {
		errno = EFAULT;
		return -1;
	}
	mem = malloc(payload_max);
	abs_paths = calloc(n, sizeof(*abs_paths));
	abs_store = malloc(PROTO_MAX_PATH);
	if (mem == NULL || abs_paths == NULL || abs_store == NULL)
		goto fail;
	for (i = 0; i < n; i++) {
		if (paths[i] == NULL || paths[i][0] == '\0') {
			errno = paths[i] == NULL ? EFAULT : ENOENT;
			goto fail;
		}
		if (paths[i][0] == '/') {
			abs_paths[i] = paths[i];
		} else {
			const char *a = absolute(paths[i], abs_store, PROTO_MAX_PATH);
			if (a == NULL || (abs_paths[i] = strdup(a)) == NULL)
				goto fail;
		}
	}
	/* Chunks of at most PROTO_MAX_FDS entries whose encoding fits one message. */
	for (start = 0; start < n;) {
		size_t cnt = 0;
		used = 4;
		while (start + cnt < n && cnt < PROTO_MAX_FDS) {
			size_t need = 4 + strlen(abs_paths[start + cnt]) + 1;
			if (used + need > payload_max)
				break;
			used += need;
			cnt++;
		}
		if (cnt == 0) {
			errno = ENAMETOOLONG;
			goto fail_close;
		}
		r = many_chunk(cnt, abs_paths + start, flags + start, ret_fds + start,
			       ret_errs != NULL ? ret_errs + start : NULL, mem, payload_max);
		if (r < 0)
			goto fail_close;
		total += (size_t)r;
		start += cnt;
	}
	for (i = 0; i < n; i++)
		if (abs_paths[i] != paths[i])
			free((void *)abs_paths[i]);
	free(abs_paths);
	free(abs_store);
	free(mem);
	return (int)total;

fail_close: {
	/* all or nothing: close what earlier chunks returned */
	size_t j;
	for (j = 0; j < start; j++)
		if (ret_fds[j] >= 0)
			ret_fds[j] = fdutil_close(ret_fds[j]);
}
fail: {
	int saved = errno;
	if (abs_paths != NULL)
		for (i = 0; i < n; i++)
			if (abs_paths[i] != NULL && abs_paths[i] != paths[i])
				free((void *)abs_paths[i]);
	free(abs_paths);
	free(abs_store);
	free(mem);
	errno = saved;
}
	return -1;
}

FDB_API int fdb_open_many(size_t n, const char *const paths[], const int flags[], int ret_fds[])
{
	return fdb_open_many_err(n, paths, flags, ret_fds, NULL);
}

FDB_API int fdb_fd(const char *name)
{
	const char *names = getenv("LISTEN_FDNAMES"), *count = getenv("LISTEN_FDS");
	const char *p;
	size_t nlen, idx = 0;
	long n;
	char *end;

	if (name == NULL) {
		errno = EFAULT;
		return -1;
	}
	if (names == NULL || count == NULL) {
		errno = ENOENT;
		return -1;
	}
	n = strtol(count, &end, 10);
	if (*end != '\0' || n <= 0 || n > (long)PROTO_MAX_FDS) {
		errno = ENOENT;
		return -1;
	}
	nlen = strlen(name);
	for (p = names; idx < (size_t)n; idx++) {
		const char *colon = strchr(p, ':');
		size_t len = colon != NULL ? (size_t)(colon - p) : strlen(p);
		if (len == nlen && memcmp(p, name, nlen) == 0) {
			int fd = (int)(3 + idx);
			if (fcntl(fd, F_GETFD) < 0) {
				errno = EBADF;
				return -1;
			}
			return fd;
		}
		if (colon == NULL)
			break;
		p = colon + 1;
	}
	errno = ENOENT;
	return -1;
}
