/*
 * fdbroker.h — libfdbroker: ask the fdbroker broker for file descriptors at run time.
 *
 * A program started by `fdbroker run` talks to its broker over the channel named by the
 * FDBROKER_FD environment variable. Every call returns a new file descriptor (O_CLOEXEC
 * set), a count, or -1 with errno set. Refusal by the policy is EACCES. Outside
 * `fdbroker run` (no usable FDBROKER_FD) the calls fail with ENOTCONN. Calls are
 * thread-safe (requests from several threads are serialised on the channel) and never raise
 * SIGPIPE. See libfdbroker(3).
 */
#ifndef FDBROKER_H
#define FDBROKER_H

#include <stddef.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(FDB_BUILDING_LIB)
#define FDB_API __attribute__((visibility("default")))
#else
#define FDB_API
#endif

/* Open path (relative paths are taken from the current directory, like
 * openat(AT_FDCWD, ...)) with open(2) flags; mode is ignored — a created file gets the
 * mode the policy names. Returns the fd or -1/errno. */
FDB_API int fdb_open(const char *path, int flags, mode_t mode);

/* Open n paths in as few round trips as possible. ret_fds[i] receives the fd for paths[i],
 * or -1 if that entry was refused. Returns the number of fds written, or -1/errno when
 * the request as a whole failed (no fds are then written or left open). */
FDB_API int fdb_open_many(size_t n, const char *const paths[], const int flags[], int ret_fds[]);

/* As fdb_open_many, and ret_errs[i] (if ret_errs is not NULL) receives 0 or the errno of
 * entry i. */
FDB_API int fdb_open_many_err(size_t n, const char *const paths[], const int flags[],
			      int ret_fds[], int ret_errs[]);

/* A socket connected to address: "tcp:HOST:PORT", "udp:HOST:PORT" (HOST numeric IPv4, or
 * IPv6 in brackets: "tcp:[::1]:443") or "unix:PATH". */
FDB_API int fdb_connect(const char *address);

/* A socket bound to address, listening with backlog if it is a stream socket. */
FDB_API int fdb_listen(const char *address, int backlog);

/* The pre-opened fd the policy named `name` (a listen or open statement), as found in
 * LISTEN_FDNAMES; ENOENT if there is none. No new fd is created. */
FDB_API int fdb_fd(const char *name);

#ifdef __cplusplus
}
#endif

#endif
