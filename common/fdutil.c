/*
 * fdutil.c — closing, moving and counting fds.
 *
 * fdutil_close_all_except and fdutil_place run in a freshly forked child of a possibly
 * multi-threaded broker, before execve. They therefore allocate nothing and use only system
 * calls (no malloc, no stdio, no opendir): async-signal-safe.
 */
#define _GNU_SOURCE
#include "fdutil.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

int fdutil_close(int fd)
{
	int saved = errno;

	if (fd >= 0)
		close(fd);
	errno = saved;
	return -1;
}

void fdutil_close_many(int *fds, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		fds[i] = fdutil_close(fds[i]);
}

int fdutil_set_cloexec(int fd, bool on)
{
	int flags, nflags;

	flags = fcntl(fd, F_GETFD);
	if (flags < 0)
		return -1;
	nflags = on ? flags | FD_CLOEXEC : flags & ~FD_CLOEXEC;
	if (nflags != flags && fcntl(fd, F_SETFD, nflags) < 0)
		return -1;
	return 0;
}

/* The smallest fd in keep[0..n) that is >= from, or -1 if none. */
static int next_kept(const int *keep, size_t n, int from)
{
	int best = -1;
	size_t i;

	for (i = 0; i < n; i++)
		if (keep[i] >= from && (best < 0 || keep[i] < best))
			best = keep[i];
	return best;
}

static bool is_kept(const int *keep, size_t n, int fd)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (keep[i] == fd)
			return true;
	return false;
}

static int sys_close_range(unsigned first, unsigned last)
{
#ifdef SYS_close_range
	return (int)syscall(SYS_close_range, first, last, 0u);
#else
	errno = ENOSYS;
	return -1;
#endif
}

/*
 * Walk the keep list in ascending order (a selection walk rather than a sort: no copy, no
 * allocation; keep lists are short) and close each gap with one close_range.
 */
static int close_gaps(int lowest, const int *keep, size_t n)
{
	int from = lowest, k;

	for (;;) {
		k = next_kept(keep, n, from);
		if (k < 0)
			return sys_close_range((unsigned)from, ~0u);
		if (k > from && sys_close_range((unsigned)from, (unsigned)k - 1) < 0)
			return -1;
		if (k == INT_MAX)
			return 0;
		from = k + 1;
	}
}

/* Parse a /proc/self/fd entry name; -1 for ".", ".." or anything unexpected. */
static int parse_fd(const char *s)
{
	long v = 0;

	if (*s == '\0')
		return -1;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		v = v * 10 + (*s - '0');
		if (v > INT_MAX)
			return -1;
	}
	return (int)v;
}

struct linux_dirent64 {
	unsigned long long d_ino;
	long long d_off;
	unsigned short d_reclen;
	unsigned char d_type;
	char d_name[];
};

/* Fallback without close_range (old kernels, or a seccomp filter that refuses it). Rescans
 * until a pass closes nothing, as closing entries while reading the directory may skip some;
 * an fd that cannot be closed (EBADF: gone already, or refused as under valgrind) does not
 * count, and the passes are bounded. */
static int close_by_proc(int lowest, const int *keep, size_t n)
{
	union {
		struct linux_dirent64 align;
		char buf[4096];
	} d;
	struct linux_dirent64 *e;
	bool closed;
	long nread, off;
	int dfd, fd, passes = 0;

	dfd = open("/proc/self/fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return -1;
	do {
		closed = false;
		if (lseek(dfd, 0, SEEK_SET) < 0)
			goto fail;
		while ((nread = syscall(SYS_getdents64, dfd, d.buf, sizeof(d.buf))) > 0) {
			for (off = 0; off < nread; off += e->d_reclen) {
				e = (struct linux_dirent64 *)(d.buf + off);
				fd = parse_fd(e->d_name);
				if (fd < lowest || fd == dfd || is_kept(keep, n, fd))
					continue;
				if (close(fd) == 0 || errno != EBADF)
					closed = true;
			}
		}
		if (nread < 0)
			goto fail;
	} while (closed && ++passes < 16);
	close(dfd);
	return 0;
fail:
	fdutil_close(dfd);
	return -1;
}

/* Last resort without /proc: every number below the fd limit. */
static int close_by_limit(int lowest, const int *keep, size_t n)
{
	struct rlimit rl;
	long fd, max;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return -1;
	max = rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > INT_MAX ? INT_MAX : (long)rl.rlim_cur;
	for (fd = lowest; fd < max; fd++)
		if (!is_kept(keep, n, (int)fd))
			close((int)fd);
	return 0;
}

int fdutil_close_all_except(int lowest, const int *keep, size_t n)
{
	int saved = errno;

	if (lowest < 0 || (n > 0 && keep == NULL)) {
		errno = EINVAL;
		return -1;
	}
	if (close_gaps(lowest, keep, n) == 0)
		goto ok;
	if (errno != ENOSYS && errno != EPERM)
		return -1;
	if (close_by_proc(lowest, keep, n) == 0)
		goto ok;
	if (close_by_limit(lowest, keep, n) < 0)
		return -1;
ok:
	errno = saved;
	return 0;
}

/*
 * Three steps make any overlap between sources and targets safe:
 *   1. duplicate every source above both ranges (F_DUPFD_CLOEXEC): on failure nothing has
 *      changed yet, the temporaries are closed and we return;
 *   2. dup3 each temporary onto its target: the temporaries hold every file, so overwriting a
 *      target that is also a source loses nothing;
 *   3. close the sources that are not targets, then the temporaries.
 * Step 2 only fails for targets beyond the fd limit, which step 1 already refused (its base
 * is above every target).
 */
int fdutil_place(int *fds, size_t n, int targets_start)
{
	int tmp[FDUTIL_PLACE_MAX];
	int base, maxfd = -1, end, r;
	size_t i, j;

	if (n == 0)
		return 0;
	if (targets_start < 0 || n > FDUTIL_PLACE_MAX || (size_t)(INT_MAX - targets_start) < n) {
		errno = EINVAL;
		return -1;
	}
	end = targets_start + (int)n;
	for (i = 0; i < n; i++) {
		if (fds[i] < 0) {
			errno = EBADF;
			return -1;
		}
		if (fds[i] > maxfd)
			maxfd = fds[i];
	}
	if (maxfd == INT_MAX) {
		errno = EINVAL;
		return -1;
	}
	base = end > maxfd + 1 ? end : maxfd + 1;

	for (i = 0; i < n; i++) {
		tmp[i] = fcntl(fds[i], F_DUPFD_CLOEXEC, base);
		if (tmp[i] < 0) {
			fdutil_close_many(tmp, i);
			return -1;
		}
	}
	for (i = 0; i < n; i++) {
		do
			r = dup3(tmp[i], targets_start + (int)i, O_CLOEXEC);
		while (r < 0 && (errno == EINTR || errno == EBUSY));
		if (r < 0) {
			fdutil_close_many(tmp, n);
			return -1;
		}
	}
	for (i = 0; i < n; i++) {
		if (fds[i] >= targets_start && fds[i] < end)
			continue;
		/* the same source may be listed twice */
		for (j = 0; j < i; j++)
			if (fds[j] == fds[i])
				break;
		if (j == i)
			fdutil_close(fds[i]);
	}
	fdutil_close_many(tmp, n);
	for (i = 0; i < n; i++)
		fds[i] = targets_start + (int)i;
	return 0;
}

static int count_dir(const char *path, bool self)
{
	struct dirent *e;
	DIR *d;
	int n = 0, saved;

	d = opendir(path);
	if (d == NULL)
		return -1;
	errno = 0;
	while ((e = readdir(d)) != NULL) {
		if (parse_fd(e->d_name) < 0)
			continue;
		if (self && parse_fd(e->d_name) == dirfd(d))
			continue;
		n++;
	}
	if (errno != 0) {
		saved = errno;
		closedir(d);
		errno = saved;
		return -1;
	}
	closedir(d);
	return n;
}

int fdutil_count(void)
{
	return count_dir("/proc/self/fd", true);
}

int fdutil_count_pid(int pid)
{
	char path[32];

	if (pid <= 0) {
		errno = EINVAL;
		return -1;
	}
	snprintf(path, sizeof(path), "/proc/%d/fd", pid);
	return count_dir(path, pid == getpid());
}
