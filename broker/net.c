/*
 * net.c — connect and bind for the worker, as the broker.
 *
 * Note: the peer of a unix socket the broker connects sees the broker's credentials
 * (SO_PEERCRED: uid 0), not the worker's; fdbroker check warns about such rules.
 *
 * Why this is safe to grant: the address is parsed strictly from the broker's own copy
 * (numeric hosts only: the broker never resolves names for a worker), matched against the
 * policy's connect/bind rules (deny wins), and the broker creates a fresh socket for each
 * grant, so nothing the worker controls is ever bound or connected with root's rights.
 * A connect waits at most ACCESS_CONNECT_TIMEOUT_MS; the broker serves nothing else
 * meanwhile, which is why connect targets are meant to be local services.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <linux/openat2.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include "access.h"
#include "fdutil.h"

#define ACCESS_CONNECT_TIMEOUT_MS 2000

static socklen_t to_sockaddr(const struct policy_net_req *r, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (r->family == AF_UNIX) {
		struct sockaddr_un *sun = (struct sockaddr_un *)ss;
		sun->sun_family = AF_UNIX;
		strncpy(sun->sun_path, r->path, sizeof(sun->sun_path) - 1);
		return sizeof(*sun);
	}
	if (r->family == AF_INET6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
		s6->sin6_family = AF_INET6;
		s6->sin6_addr = r->v6;
		s6->sin6_port = htons(r->port);
		return sizeof(*s6);
	}
	{
		struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
		s4->sin_family = AF_INET;
		s4->sin_addr = r->v4;
		s4->sin_port = htons(r->port);
		return sizeof(*s4);
	}
}

/*
 * Unix socket paths a worker may name are resolved with no symlink anywhere: a directory the
 * worker can write must not let it point the broker (which acts as root) somewhere else.
 *
 * Connect: the socket inode is opened O_PATH without following symlinks, checked to be a
 * socket, and connected to through /proc/self/fd/N, so the inode checked is the one reached.
 * Bind: the parent directory must resolve without symlinks; the socket file is created with
 * mode 0666 (like systemd's SocketMode= default) and is never chowned, and an existing file
 * is never removed on a worker's behalf (EADDRINUSE): nothing here follows a name twice.
 */
int access_unix_connect(int sock, const char *path)
{
	struct open_how how = {.flags = O_PATH | O_CLOEXEC,
			       .resolve = RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS};
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	struct stat st;
	int pfd, r;

	pfd = (int)syscall(SYS_openat2, AT_FDCWD, path, &how, sizeof(how));
	if (pfd < 0)
		return -1; /* ELOOP: a symlink in the path */
	if (fstat(pfd, &st) < 0 || !S_ISSOCK(st.st_mode)) {
		fdutil_close(pfd);
		errno = ECONNREFUSED;
		return -1;
	}
	snprintf(sun.sun_path, sizeof(sun.sun_path), "/proc/self/fd/%d", pfd);
	r = connect(sock, (struct sockaddr *)&sun, sizeof(sun));
	fdutil_close(pfd);
	return r;
}

int access_unix_bind(int sock, const char *path)
{
	struct open_how how = {.flags = O_PATH | O_DIRECTORY | O_CLOEXEC,
			       .resolve = RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS};
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	char parent[sizeof(sun.sun_path)];
	const char *slash = strrchr(path, '/');
	mode_t old;
	int dfd, r;

	if (slash == NULL || strlen(path) >= sizeof(sun.sun_path)) {
		errno = EINVAL;
		return -1;
	}
	memcpy(parent, path, (size_t)(slash - path));
	parent[slash - path] = '\0';
	dfd = (int)syscall(SYS_openat2, AT_FDCWD, parent[0] ? parent : "/", &how, sizeof(how));
	if (dfd < 0)
		return -1;
	fdutil_close(dfd);
	strcpy(sun.sun_path, path);
	old = umask(0111);
	r = bind(sock, (struct sockaddr *)&sun, sizeof(sun));
	umask(old);
	return r;
}

static int decide(struct broker *b, enum policy_op op, const char *address,
		  struct policy_net_req *req, struct access_result *res)
{
	memset(res, 0, sizeof(*res));
	res->fd = -1;
	if (policy_parse_net_address(address, req) < 0) {
		res->error = EINVAL;
		res->reason = "malformed address";
		return -1;
	}
	if (!policy_match_net(b->policy, op, req, &res->match)) {
		res->error = EACCES;
		return -1;
	}
	res->allowed = true;
	return 0;
}

static int connect_timed(int fd, const struct sockaddr *sa, socklen_t sl)
{
	struct pollfd pfd = {.fd = fd, .events = POLLOUT};
	int soerr = 0, r;
	socklen_t len = sizeof(soerr);

	if (connect(fd, sa, sl) == 0)
		return 0;
	if (errno != EINPROGRESS && errno != EAGAIN)
		return -1;
	do
		r = poll(&pfd, 1, ACCESS_CONNECT_TIMEOUT_MS);
	while (r < 0 && errno == EINTR);
	if (r == 0) {
		errno = ETIMEDOUT;
		return -1;
	}
	if (r < 0 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len) < 0)
		return -1;
	if (soerr != 0) {
		errno = soerr;
		return -1;
	}
	return 0;
}

int access_connect(struct broker *b, const char *address, struct access_result *res)
{
	static const int unix_types[] = {SOCK_STREAM, SOCK_SEQPACKET, SOCK_DGRAM};
	struct policy_net_req req;
	struct sockaddr_storage ss;
	socklen_t sl;
	size_t i, ntypes = 1;
	int fd = -1;

	if (decide(b, POLICY_OP_CONNECT, address, &req, res) < 0)
		return -1;
	sl = to_sockaddr(&req, &ss);
	if (req.family == AF_UNIX)
		ntypes = sizeof(unix_types) / sizeof(unix_types[0]);
	for (i = 0; i < ntypes; i++) {
		int type = req.family == AF_UNIX	   ? unix_types[i]
			   : req.sock == POLICY_SOCK_UDP ? SOCK_DGRAM
							 : SOCK_STREAM;
		fd = socket(req.family, type | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
		if (fd < 0)
			goto fail;
		if (req.family == AF_UNIX) {
			/* local: completes or fails at once (EAGAIN: backlog full) */
			if (access_unix_connect(fd, req.path) == 0)
				break;
		} else if (connect_timed(fd, (struct sockaddr *)&ss, sl) == 0) {
			break;
		}
		fd = fdutil_close(fd);
		/* a unix socket of another type answers EPROTOTYPE: try the next type */
		if (req.family != AF_UNIX || errno != EPROTOTYPE)
			goto fail;
	}
	if (fd < 0)
		goto fail;
	if (fcntl(fd, F_SETFL, 0) < 0)
		goto fail;
	res->fd = fd;
	return 0;
fail:
	res->error = errno;
	fdutil_close(fd);
	return -1;
}

int access_listen(struct broker *b, const char *address, int backlog, struct access_result *res)
{
	struct policy_net_req req;
	struct sockaddr_storage ss;
	socklen_t sl;
	int fd = -1, one = 1, type;

	if (decide(b, POLICY_OP_BIND, address, &req, res) < 0)
		return -1;
	if (backlog < 1 || backlog > 65535)
		backlog = 128;
	sl = to_sockaddr(&req, &ss);
	type = req.sock == POLICY_SOCK_UDP ? SOCK_DGRAM : SOCK_STREAM;
	fd = socket(req.family, type | SOCK_CLOEXEC, 0);
	if (fd < 0)
		goto fail;
	if (req.family != AF_UNIX && type == SOCK_STREAM &&
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0)
		goto fail;
	if (req.family == AF_INET6 &&
	    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) < 0)
		goto fail;
	if (req.family == AF_UNIX ? access_unix_bind(fd, req.path) < 0
				  : bind(fd, (struct sockaddr *)&ss, sl) < 0)
		goto fail;
	if (type == SOCK_STREAM && listen(fd, backlog) < 0)
		goto fail;
	res->fd = fd;
	return 0;
fail:
	res->error = errno;
	fdutil_close(fd);
	return -1;
}
