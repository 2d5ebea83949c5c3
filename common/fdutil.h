/*
 * fdutil.h — small fd helpers. -1 means "no fd" everywhere.
 * Library code: returns -1 with errno, never prints.
 */
#ifndef FDBROKER_FDUTIL_H
#define FDBROKER_FDUTIL_H

#include <stdbool.h>
#include <stddef.h>

/* close(fd) if fd >= 0, preserving errno. Returns -1 so `fd = fdutil_close(fd)` resets it. */
int fdutil_close(int fd);

/* Close every fd in fds[0..n) that is >= 0 and set it to -1, preserving errno. */
void fdutil_close_many(int *fds, size_t n);

/* Set or clear FD_CLOEXEC. 0 or -1/errno. */
int fdutil_set_cloexec(int fd, bool on);

/* Close every fd >= lowest that is not listed in keep[0..n). 0 or -1/errno. */
int fdutil_close_all_except(int lowest, const int *keep, size_t n);

/*
 * Move fds[i] to number targets_start + i for every i, as if simultaneously (sources may
 * collide with targets). Afterwards fds[i] == targets_start + i, each with FD_CLOEXEC set;
 * the original numbers are closed unless they are targets. 0 or -1/errno.
 */
int fdutil_place(int *fds, size_t n, int targets_start);
/* The most fds one fdutil_place call moves (it allocates nothing: it may run after fork);
 * more is EINVAL. */
#define FDUTIL_PLACE_MAX 1024u

/* Number of open fds in this process (counts /proc/self/fd entries, excluding the one used
 * to read it). -1/errno on failure. */
int fdutil_count(void);

/* Number of open fds of process pid (/proc/PID/fd). -1/errno on failure. */
int fdutil_count_pid(int pid);

#endif
