/*
 * resources.c — open the policy's listeners and files, as root, before the worker exists.
 *
 * Listeners: tcp/udp on IPv4 or IPv6 (IPV6_V6ONLY, SO_REUSEADDR for tcp), unix stream
 * sockets with the policy's mode (a stale socket file is replaced; missing parent
 * directories are created root-owned, 0755, as systemd does for socket units).
 * Paths are resolved with no symlink anywhere (RESOLVE_NO_SYMLINKS): a directory the
 * service user can write must not redirect what root opens or creates at the next start.
 * Files: opened with O_NOFOLLOW and O_NONBLOCK, and must turn out to be regular files or
 * character devices — so a worker that can write the directory cannot swap in a symlink or
 * a FIFO and have root open something else (or hang) at the next start. A file created here
 * gets the policy's mode exactly (not filtered by the umask).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include "broker.h"
#include "fdutil.h"
#include "log.h"

#define LOC_FMT "%s:%u:%u"
#define LOC_ARGS(l) (l).file, (l).line, (l).col

/* mkdir -p of path's parent directories (not path itself). */
static int make_parents(const char *path)
{
	char *copy = strdup(path);
	char *p;

	if (copy == NULL)
		return -1;
	for (p = copy + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(copy, 0755) < 0 && errno != EEXIST) {
			int saved = errno;
			free(copy);
			errno = saved;
			return -1;
		}
		*p = '/';
	}
	free(copy);
	return 0;
}

static const char *addr_str(const struct policy_addr *a, char *buf, size_t size)
{
	char ip[INET6_ADDRSTRLEN];

	if (a->family == AF_UNIX)
		snprintf(buf, size, "unix:%s", a->path);
	else if (a->family == AF_INET6)
		snprintf(buf, size, "%s:[%s]:%u", policy_sock_name(a->sock),
			 inet_ntop(AF_INET6, &a->v6, ip, sizeof(ip)), a->port_lo);
	else
		snprintf(buf, size, "%s:%s:%u", policy_sock_name(a->sock),
			 inet_ntop(AF_INET, &a->v4, ip, sizeof(ip)), a->port_lo);
	return buf;
}

static int open_inet(const struct policy_listen *l)
{
	const struct policy_addr *a = &l->addr;
	struct sockaddr_storage ss;
	socklen_t sl;
	int type = a->sock == POLICY_SOCK_UDP ? SOCK_DGRAM : SOCK_STREAM;
	int fd, one = 1;

	memset(&ss, 0, sizeof(ss));
	if (a->family == AF_INET6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
		s6->sin6_family = AF_INET6;
		s6->sin6_addr = a->v6;
		s6->sin6_port = htons(a->port_lo);
		sl = sizeof(*s6);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
		s4->sin_family = AF_INET;
		s4->sin_addr = a->v4;
		s4->sin_port = htons(a->port_lo);
		sl = sizeof(*s4);
	}
	fd = socket(a->family, type | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (type == SOCK_STREAM && setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0)
		goto fail;
	if (a->family == AF_INET6 &&
	    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) < 0)
		goto fail;
	if (bind(fd, (struct sockaddr *)&ss, sl) < 0)
		goto fail;
	if (type == SOCK_STREAM && listen(fd, l->backlog) < 0)
		goto fail;
	return fd;
fail:
	fdutil_close(fd);
	return -1;
}

/* The directory holding path must resolve without symlinks (ELOOP otherwise): a directory
 * a service user can write must not redirect what root creates at the next start. */
static int no_symlinks_in_parent(const char *path)
{
	struct open_how how = {.flags = O_PATH | O_DIRECTORY | O_CLOEXEC,
			       .resolve = RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS};
	const char *slash = strrchr(path, '/');
	char *parent;
	int fd;

	if (slash == NULL || slash == path)
		return 0;
	parent = strndup(path, (size_t)(slash - path));
	if (parent == NULL)
		return -1;
	fd = (int)syscall(SYS_openat2, AT_FDCWD, parent, &how, sizeof(how));
	free(parent);
	if (fd < 0)
		return -1;
	fdutil_close(fd);
	return 0;
}

static int open_unix(const struct policy_listen *l)
{
	struct sockaddr_un sun;
	struct stat st;
	mode_t mode = l->has_mode ? l->mode : 0666, old;
	int fd, r;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(l->addr.path) >= sizeof(sun.sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	strcpy(sun.sun_path, l->addr.path);
	if (make_parents(l->addr.path) < 0)
		return -1;
	/* Replace a stale socket left by an earlier run; never remove anything else. */
	if (no_symlinks_in_parent(l->addr.path) < 0)
		return -1;
	if (lstat(l->addr.path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			errno = EEXIST;
			return -1;
		}
		if (unlink(l->addr.path) < 0)
			return -1;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	/* The umask decides the socket file's mode at bind: no window with looser bits. */
	old = umask(~mode & 0777);
	r = bind(fd, (struct sockaddr *)&sun, sizeof(sun));
	umask(old);
	if (r < 0 || listen(fd, l->backlog) < 0) {
		fdutil_close(fd);
		return -1;
	}
	return fd;
}

/* open(2) with no symlink anywhere in the path (not only the last component). */
static int open_nosymlinks(const char *path, int flags, mode_t mode)
{
	struct open_how how = {.flags = (unsigned)flags,
			       .mode = (flags & O_CREAT) ? mode : 0,
			       .resolve = RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS};

	return (int)syscall(SYS_openat2, AT_FDCWD, path, &how, sizeof(how));
}

static int open_file(const struct policy_open *o)
{
	int flags = O_CLOEXEC | O_NOCTTY | O_NOFOLLOW | O_NONBLOCK;
	mode_t mode = o->has_mode ? o->mode : 0600;
	struct stat st;
	int fd;

	if (o->access & POLICY_ACCESS_READ)
		flags |= (o->access & (POLICY_ACCESS_WRITE | POLICY_ACCESS_APPEND)) ? O_RDWR
										     : O_RDONLY;
	else
		flags |= O_WRONLY;
	if (o->access & POLICY_ACCESS_APPEND)
		flags |= O_APPEND;

	fd = -1;
	if (o->access & POLICY_ACCESS_CREATE) {
		if (make_parents(o->path) < 0)
			return -1;
		fd = open_nosymlinks(o->path, flags | O_CREAT | O_EXCL, mode);
		if (fd >= 0 && fchmod(fd, mode) < 0) {
			fdutil_close(fd);
			return -1;
		}
		if (fd < 0 && errno != EEXIST)
			return -1;
	}
	if (fd < 0)
		fd = open_nosymlinks(o->path, flags, 0);
	if (fd < 0)
		return -1;
	if (fstat(fd, &st) < 0)
		goto fail;
	if (!S_ISREG(st.st_mode) && !S_ISCHR(st.st_mode)) {
		errno = S_ISDIR(st.st_mode) ? EISDIR : EINVAL;
		goto fail;
	}
	if (fcntl(fd, F_SETFL, flags & O_APPEND) < 0) /* clear O_NONBLOCK */
		goto fail;
	return fd;
fail:
	fdutil_close(fd);
	return -1;
}

/* ELOOP here means a symlink in the path, which is refused on purpose: say so. */
static const char *symlink_hint(int err)
{
	return err == ELOOP ? " (the path goes through a symlink, which fdbroker refuses for what "
			      "it opens as root; write the real path, see realpath(1))"
			    : "";
}

int resources_open(const struct policy *p, struct broker_fds *ret)
{
	struct broker_fds pre = {0};
	size_t total = p->nlistens + p->nopens, i;
	char buf[PATH_MAX + 32];

	if (total > 253) {
		log_err("the policy declares %zu listeners and files; at most 253 can be passed",
			total);
		return -1;
	}
	pre.fds = calloc(total ? total : 1, sizeof(*pre.fds));
	pre.names = calloc(total ? total : 1, sizeof(*pre.names));
	if (pre.fds == NULL || pre.names == NULL) {
		log_err("out of memory");
		goto fail;
	}
	for (i = 0; i < p->nlistens; i++) {
		const struct policy_listen *l = &p->listens[i];
		int fd = l->addr.family == AF_UNIX ? open_unix(l) : open_inet(l);
		if (fd < 0) {
			log_err(LOC_FMT ": error: listen %s on %s: %m%s", LOC_ARGS(l->loc), l->name,
				addr_str(&l->addr, buf, sizeof(buf)), symlink_hint(errno));
			goto fail;
		}
		log_info("listening on %s as '%s' (fd %zu in the worker)",
			 addr_str(&l->addr, buf, sizeof(buf)), l->name, 3 + pre.n);
		pre.fds[pre.n] = fd;
		pre.names[pre.n++] = l->name;
	}
	for (i = 0; i < p->nopens; i++) {
		const struct policy_open *o = &p->opens[i];
		int fd = open_file(o);
		if (fd < 0) {
			log_err(LOC_FMT ": error: open %s %s: %m%s", LOC_ARGS(o->loc), o->name,
				o->path, symlink_hint(errno));
			goto fail;
		}
		log_info("opened %s as '%s' (fd %zu in the worker)", o->path, o->name, 3 + pre.n);
		pre.fds[pre.n] = fd;
		pre.names[pre.n++] = o->name;
	}
	*ret = pre;
	return 0;
fail:
	resources_close(&pre);
	return -1;
}

void resources_close(struct broker_fds *pre)
{
	if (pre->fds != NULL)
		fdutil_close_many(pre->fds, pre->n);
	free(pre->fds);
	free(pre->names);
	pre->fds = NULL;
	pre->names = NULL;
	pre->n = 0;
}
