/*
 * intercept.c — transparent mode: an unmodified program's open(), bind() and connect()
 * served by the broker through seccomp user notification (`intercept` in the policy).
 *
 * The decision for each intercepted call:
 *   an allow rule matches   the broker acts on ITS OWN COPY of the arguments: opens the file
 *                           (access.c) and injects it with SECCOMP_IOCTL_NOTIF_ADDFD and
 *                           SECCOMP_ADDFD_FLAG_SEND, which installs the fd and completes the
 *                           call in one step; or binds/connects the caller's own socket
 *                           (taken with pidfd_getfd) to the address it read, and answers.
 *   a deny rule matches     the call fails with EACCES.
 *   no rule matches         the kernel runs the call as the worker itself
 *                           (SECCOMP_USER_NOTIF_FLAG_CONTINUE): with the worker's own
 *                           credentials, so nothing is granted. This is the only case that
 *                           answers "continue", because another thread may rewrite the
 *                           arguments after we read them; a continue therefore must never
 *                           follow a decision to grant. Deny rules thus refuse what the
 *                           broker would hand out; they do not take away what the worker's
 *                           own uid may open (file permissions and Landlock do that).
 *
 * Worker memory is read with process_vm_readv, page by page up to a NUL, and the
 * notification is checked to be still alive afterwards (SECCOMP_IOCTL_NOTIF_ID_VALID), so
 * what we read belongs to the thread that is still waiting. Unreadable memory is EFAULT,
 * never a fall-through. Relative paths are resolved as the calling thread would: against
 * /proc/TID/cwd or the dirfd's /proc/TID/fd/N target; the open itself still happens
 * beneath the deciding rule's root, so a stale or lying name cannot widen what is opened.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/seccomp.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>

#include "access.h"
#include "audit.h"
#include "fdutil.h"
#include "intercept.h"
#include "log.h"

#ifndef PIDFD_THREAD
#define PIDFD_THREAD O_EXCL
#endif

#define CONNECT_TIMEOUT_MS 2000

static bool still_valid(int listener, __u64 id)
{
	return ioctl(listener, SECCOMP_IOCTL_NOTIF_ID_VALID, &id) == 0;
}

/* Copy a NUL-terminated string from the worker, never reading across into a page we were
 * not asked about before finding the NUL. 0, or -1/errno (EFAULT, ENAMETOOLONG). */
static int read_string(pid_t pid, unsigned long addr, char *buf, size_t size)
{
	size_t got = 0;
	long page = sysconf(_SC_PAGESIZE);

	if (addr == 0) {
		errno = EFAULT;
		return -1;
	}
	while (got < size) {
		size_t chunk = (size_t)page - ((addr + got) % (size_t)page);
		struct iovec local, remote;
		ssize_t n;
		char *nul;

		if (chunk > size - got)
			chunk = size - got;
		local.iov_base = buf + got;
		local.iov_len = chunk;
		remote.iov_base = (void *)(addr + got);
		remote.iov_len = chunk;
		n = process_vm_readv(pid, &local, 1, &remote, 1, 0);
		if (n <= 0) {
			errno = n == 0 ? EFAULT : (errno == ESRCH ? ESRCH : EFAULT);
			return -1;
		}
		nul = memchr(buf + got, '\0', (size_t)n);
		if (nul != NULL)
			return 0;
		got += (size_t)n;
	}
	errno = ENAMETOOLONG;
	return -1;
}

static int read_memory(pid_t pid, unsigned long addr, void *buf, size_t len)
{
	struct iovec local = {buf, len}, remote = {(void *)addr, len};
	ssize_t n = process_vm_readv(pid, &local, 1, &remote, 1, 0);

	if (n != (ssize_t)len) {
		errno = EFAULT;
		return -1;
	}
	return 0;
}

/* Make path absolute as thread tid would see it: against its cwd or the directory behind
 * its dirfd. 0 or -1/errno. */
static int absolutize(pid_t tid, int dirfd, const char *path, char *out, size_t size)
{
	char link[64], base[PATH_MAX];
	ssize_t n;

	if (path[0] == '/') {
		if (strlen(path) >= size) {
			errno = ENAMETOOLONG;
			return -1;
		}
		strcpy(out, path);
		return 0;
	}
	if (dirfd == AT_FDCWD)
		snprintf(link, sizeof(link), "/proc/%d/cwd", (int)tid);
	else
		snprintf(link, sizeof(link), "/proc/%d/fd/%d", (int)tid, dirfd);
	n = readlink(link, base, sizeof(base) - 1);
	if (n < 0) {
		errno = errno == ENOENT ? EBADF : errno;
		return -1;
	}
	base[n] = '\0';
	if (base[0] != '/') { /* "socket:[...]", "anon_inode:..." or a deleted directory */
		errno = ENOTDIR;
		return -1;
	}
	if ((size_t)snprintf(out, size, "%s/%s", strcmp(base, "/") == 0 ? "" : base, path) >=
	    size) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

static void respond(int listener, __u64 id, int err, __s64 val, bool cont)
{
	struct seccomp_notif_resp resp;

	memset(&resp, 0, sizeof(resp));
	resp.id = id;
	resp.error = err ? -err : 0;
	resp.val = err ? 0 : val;
	resp.flags = cont ? SECCOMP_USER_NOTIF_FLAG_CONTINUE : 0;
	if (ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, &resp) < 0 && errno != ENOENT)
		log_debug("answering an intercepted call: %m");
}

/* ---- open, openat, creat ------------------------------------------------------------------ */

static void serve_open(struct broker *b, const struct seccomp_notif *req)
{
	const __u64 *a = req->data.args;
	char wpath[PATH_MAX], path[PATH_MAX];
	unsigned long path_addr;
	int dirfd = AT_FDCWD, flags, r;
	unsigned mode;
	struct access_result res;

	if (req->data.nr == SYS_openat) {
		dirfd = (int)a[0];
		path_addr = (unsigned long)a[1];
		flags = (int)a[2];
		mode = (unsigned)a[3];
	} else if (req->data.nr == SYS_creat) {
		path_addr = (unsigned long)a[0];
		flags = O_CREAT | O_WRONLY | O_TRUNC;
		mode = (unsigned)a[1];
	} else {
		path_addr = (unsigned long)a[0];
		flags = (int)a[1];
		mode = (unsigned)a[2];
	}
	if (read_string((pid_t)req->pid, path_addr, wpath, sizeof(wpath)) < 0) {
		respond(b->listener, req->id, errno == ESRCH ? EFAULT : errno, 0, false);
		return;
	}
	r = absolutize((pid_t)req->pid, dirfd, wpath, path, sizeof(path));
	/* Everything above came from the worker: only now check that the thread still waits,
	 * so the pid, its memory and its cwd were the caller's. */
	if (!still_valid(b->listener, req->id))
		return;
	if (r < 0) {
		/* a dirfd we cannot name: the kernel resolves it, as the worker */
		respond(b->listener, req->id, 0, 0, true);
		return;
	}
	access_open(b, path, flags & ~O_CLOEXEC, mode, &res);
	if (!res.allowed && res.match.rule == NULL) {
		/* No rule grants or denies this (or its flags are nothing we hand out): the
		 * worker's own rights decide (see the top of this file). */
		log_debug("intercepted open %s (flags %#x) by %u: %s, the worker opens it itself",
			  path, flags, req->pid, res.reason ? res.reason : "no rule");
		respond(b->listener, req->id, 0, 0, true);
		return;
	}
	if (res.fd < 0) {
		respond(b->listener, req->id, res.error ? res.error : EACCES, 0, false);
		audit_request(b, "open (intercepted)", path, &res);
		return;
	}
	{
		struct seccomp_notif_addfd addfd;
		int newfd;

		memset(&addfd, 0, sizeof(addfd));
		addfd.id = req->id;
		addfd.flags = SECCOMP_ADDFD_FLAG_SEND;
		addfd.srcfd = (__u32)res.fd;
		addfd.newfd_flags = (flags & O_CLOEXEC) ? O_CLOEXEC : 0;
		/* installs the fd and completes the call atomically: if the caller was
		 * interrupted meanwhile, nothing is installed (ENOENT) and nothing leaks */
		newfd = ioctl(b->listener, SECCOMP_IOCTL_NOTIF_ADDFD, &addfd);
		if (newfd < 0 && errno != ENOENT)
			respond(b->listener, req->id, errno, 0, false); /* e.g. EMFILE */
		res.fd = fdutil_close(res.fd);
		/* logged after the caller has its fd, off the call's latency */
		audit_request(b, "open (intercepted)", path, &res);
	}
}

/* ---- bind, connect ------------------------------------------------------------------------ */

/* Turn the sockaddr the worker passed (and its socket's type) into a policy request. */
static int to_net_req(const struct sockaddr_storage *ss, socklen_t len, int type,
		      struct policy_net_req *r, char *path_buf, size_t path_size)
{
	memset(r, 0, sizeof(*r));
	r->family = ss->ss_family;
	if (ss->ss_family == AF_INET && len >= sizeof(struct sockaddr_in)) {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)ss;
		r->v4 = s4->sin_addr;
		r->port = ntohs(s4->sin_port);
	} else if (ss->ss_family == AF_INET6 && len >= sizeof(struct sockaddr_in6)) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)ss;
		r->v6 = s6->sin6_addr;
		r->port = ntohs(s6->sin6_port);
	} else if (ss->ss_family == AF_UNIX && len > offsetof(struct sockaddr_un, sun_path)) {
		const struct sockaddr_un *su = (const struct sockaddr_un *)ss;
		size_t n = len - offsetof(struct sockaddr_un, sun_path);
		if (su->sun_path[0] == '\0') {
			errno = EAFNOSUPPORT; /* abstract sockets: not brokered */
			return -1;
		}
		if (n >= path_size)
			n = path_size - 1;
		memcpy(path_buf, su->sun_path, n);
		path_buf[n] = '\0';
		r->path = path_buf;
		r->sock = POLICY_SOCK_UNIX;
		return 0;
	} else {
		errno = EAFNOSUPPORT;
		return -1;
	}
	if (type == SOCK_STREAM)
		r->sock = POLICY_SOCK_TCP;
	else if (type == SOCK_DGRAM)
		r->sock = POLICY_SOCK_UDP;
	else {
		errno = EPROTOTYPE;
		return -1;
	}
	return 0;
}

static const char *req_text(const struct policy_net_req *r, char *buf, size_t size)
{
	char ip[INET6_ADDRSTRLEN];

	if (r->family == AF_UNIX)
		snprintf(buf, size, "unix:%s", r->path);
	else if (r->family == AF_INET6)
		snprintf(buf, size, "%s:[%s]:%u", policy_sock_name(r->sock),
			 inet_ntop(AF_INET6, &r->v6, ip, sizeof(ip)), r->port);
	else
		snprintf(buf, size, "%s:%s:%u", policy_sock_name(r->sock),
			 inet_ntop(AF_INET, &r->v4, ip, sizeof(ip)), r->port);
	return buf;
}

static int connect_shared(int fd, const struct sockaddr *sa, socklen_t len)
{
	int fl = fcntl(fd, F_GETFL), r, soerr = 0;
	socklen_t sl = sizeof(soerr);
	struct pollfd pfd = {.fd = fd, .events = POLLOUT};

	if (fl < 0)
		return -1;
	if (fl & O_NONBLOCK)
		return connect(fd, sa, len); /* the caller's semantics: EINPROGRESS is theirs */
	/* A blocking socket: do not let it block the broker for long. */
	if (fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
		return -1;
	r = connect(fd, sa, len);
	if (r < 0 && errno == EINPROGRESS) {
		r = poll(&pfd, 1, CONNECT_TIMEOUT_MS);
		if (r == 0) {
			errno = ETIMEDOUT;
			r = -1;
		} else if (r > 0 && getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) == 0 &&
			   soerr != 0) {
			errno = soerr;
			r = -1;
		} else if (r > 0) {
			r = 0;
		}
	}
	{
		int saved = errno;
		(void)fcntl(fd, F_SETFL, fl);
		errno = saved;
	}
	return r;
}

static void serve_net(struct broker *b, const struct seccomp_notif *req, bool is_bind)
{
	const __u64 *a = req->data.args;
	struct sockaddr_storage ss;
	struct policy_net_req nreq;
	struct access_result res;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path) + 1], text[256];
	socklen_t len = (socklen_t)a[2];
	int pidfd = -1, sock = -1, type = 0, err = 0;
	socklen_t tl = sizeof(type);

	memset(&ss, 0, sizeof(ss));
	memset(&res, 0, sizeof(res));
	res.fd = -1;
	if (a[2] > sizeof(ss) || len < sizeof(sa_family_t)) {
		respond(b->listener, req->id, EINVAL, 0, false);
		return;
	}
	if (read_memory((pid_t)req->pid, (unsigned long)a[1], &ss, len) < 0) {
		respond(b->listener, req->id, EFAULT, 0, false);
		return;
	}
	if (ss.ss_family != AF_INET && ss.ss_family != AF_INET6 && ss.ss_family != AF_UNIX)
		goto cont; /* netlink, packet, ...: not ours to decide */
	/* The caller's socket: the same open file description, so what we do to it is what
	 * the caller's call would have done. */
	pidfd = broker_pidfd_of_thread((pid_t)req->pid);
	if (pidfd < 0)
		goto gone;
	sock = (int)syscall(SYS_pidfd_getfd, pidfd, (int)a[0], 0);
	if (sock < 0) {
		err = errno == EBADF ? EBADF : ENOTSOCK;
		goto answer;
	}
	if (getsockopt(sock, SOL_SOCKET, SO_TYPE, &type, &tl) < 0) {
		err = ENOTSOCK;
		goto answer;
	}
	if (!still_valid(b->listener, req->id))
		goto gone;
	if (to_net_req(&ss, len, type, &nreq, path, sizeof(path)) < 0)
		goto cont;
	if (!policy_match_net(b->policy, is_bind ? POLICY_OP_BIND : POLICY_OP_CONNECT, &nreq,
			      &res.match)) {
		if (res.match.rule == NULL)
			goto cont; /* no rule: the kernel does it, as the worker */
		res.error = err = EACCES;
		audit_request(b, is_bind ? "bind (intercepted)" : "connect (intercepted)",
			      req_text(&nreq, text, sizeof(text)), &res);
		goto answer;
	}
	res.allowed = true;
	if (is_bind) {
		if ((nreq.family == AF_UNIX ? access_unix_bind(sock, nreq.path)
					    : bind(sock, (struct sockaddr *)&ss, len)) < 0)
			err = errno;
	} else if ((nreq.family == AF_UNIX ? access_unix_connect(sock, nreq.path)
					   : connect_shared(sock, (struct sockaddr *)&ss, len)) < 0) {
		err = errno;
	}
	res.error = err;
	audit_request(b, is_bind ? "bind (intercepted)" : "connect (intercepted)",
		      req_text(&nreq, text, sizeof(text)), &res);
answer:
	respond(b->listener, req->id, err, 0, false);
	goto out;
cont:
	respond(b->listener, req->id, 0, 0, true);
	goto out;
gone:
	respond(b->listener, req->id, ESRCH, 0, false);
out:
	fdutil_close(sock);
	fdutil_close(pidfd);
}

bool intercept_handle(struct broker *b, const struct seccomp_notif *req,
		      const struct filter_entry *e)
{
	if (e == NULL || !e->intercept)
		return false;
	if (req->data.nr == SYS_open || req->data.nr == SYS_openat || req->data.nr == SYS_creat)
		serve_open(b, req);
	else if (req->data.nr == SYS_bind)
		serve_net(b, req, true);
	else if (req->data.nr == SYS_connect)
		serve_net(b, req, false);
	else
		respond(b->listener, req->id, ENOSYS, 0, false);
	return true;
}
