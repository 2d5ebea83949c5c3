/*
 * bench_client.c — the worker side of `make bench`: a service linked only against
 * libfdbroker that times its own requests and prints one line per repetition on stdout,
 * so the driver (bench.c) never has to reach into the sandbox to measure.
 *
 * Usage (N = calls per repetition, R = timed repetitions; one untimed warm-up of N/4):
 *   bench_client open N R PATH...     fdb_open(PATH[i % n], O_RDONLY) + close
 *                                     -> "rep NS" (ns per open)
 *   bench_client iopen N R PATH...    plain openat(PATH) + close (transparent mode)
 *                                     -> "rep NS" (ns per open)
 *   bench_client many N R PATH...     fdb_open_many of all PATHs (<= 253) + close of each fd
 *                                     -> "rep NS" (ns per fd)
 *   bench_client syscall N R          syscall(SYS_getppid) -> "rep NS" (ns per call)
 *   bench_client ioctl N R            ioctl(0, TCGETS) (argument-checked by the worker's
 *                                     filter) -> "rep NS" (ns per call)
 *   bench_client syscall-allowall N R as syscall, after installing a one-instruction
 *                                     RET_ALLOW filter: what any filter costs
 *   bench_client wait [PATH]          fdb_open(PATH) once, print "ready", then block until
 *                                     stdin reaches EOF (the driver samples memory meanwhile)
 * Exit status 0, or 1 with a message on stderr when a request fails.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "fdbroker.h"

#define MAX_PATHS 253

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static void die(const char *what, const char *path)
{
	fprintf(stderr, "bench_client: %s %s: %s\n", what, path ? path : "", strerror(errno));
	exit(1);
}

static void do_open(long n, char **paths, int npaths)
{
	long i;

	for (i = 0; i < n; i++) {
		const char *p = paths[i % npaths];
		int fd = fdb_open(p, O_RDONLY, 0);
		if (fd < 0)
			die("fdb_open", p);
		close(fd);
	}
}

/* Transparent mode: a plain openat(2), served by the broker through seccomp user
 * notification when the policy says `intercept open`. */
static void do_iopen(long n, char **paths, int npaths)
{
	long i;

	for (i = 0; i < n; i++) {
		const char *p = paths[i % npaths];
		int fd = (int)syscall(SYS_openat, AT_FDCWD, p, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			die("openat (intercepted)", p);
		close(fd);
	}
}

static void do_many(long n, char **paths, int npaths)
{
	static int flags[MAX_PATHS], fds[MAX_PATHS];
	long i;
	int k;

	for (k = 0; k < npaths; k++)
		flags[k] = O_RDONLY;
	for (i = 0; i < n; i++) {
		int got = fdb_open_many((size_t)npaths, (const char *const *)paths, flags, fds);
		if (got != npaths)
			die("fdb_open_many", paths[0]);
		for (k = 0; k < npaths; k++)
			close(fds[k]);
	}
}

static void do_syscall(long n, char **paths, int npaths)
{
	long i;

	(void)paths;
	(void)npaths;
	for (i = 0; i < n; i++)
		(void)syscall(SYS_getppid);
}

static void do_ioctl(long n, char **paths, int npaths)
{
	struct termios t;
	long i;

	(void)paths;
	(void)npaths;
	for (i = 0; i < n; i++)
		(void)ioctl(0, TCGETS, &t);
}

/* The cheapest possible filter: every call allowed, no inspection at all. */
static void allow_all_filter(void)
{
	struct sock_filter f[] = {BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)};
	struct sock_fprog prog = {1, f};

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
	    syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) < 0)
		die("seccomp", "allow-all");
}

static int wait_mode(const char *path)
{
	char buf[64];

	if (path != NULL) {
		int fd = fdb_open(path, O_RDONLY, 0);
		if (fd < 0)
			die("fdb_open", path);
		close(fd);
	}
	printf("ready\n");
	fflush(stdout);
	while (read(0, buf, sizeof(buf)) > 0)
		;
	return 0;
}

int main(int argc, char **argv)
{
	void (*fn)(long, char **, int);
	long n, r, k;
	int npaths;
	double t0, t1;

	if (argc >= 2 && strcmp(argv[1], "wait") == 0)
		return wait_mode(argc >= 3 ? argv[2] : NULL);
	if (argc < 4) {
		fprintf(stderr, "usage: bench_client open|many|syscall|syscall-allowall|ioctl N R [PATH]...\n");
		return 2;
	}
	if (strcmp(argv[1], "open") == 0)
		fn = do_open;
	else if (strcmp(argv[1], "many") == 0)
		fn = do_many;
	else if (strcmp(argv[1], "iopen") == 0)
		fn = do_iopen;
	else if (strcmp(argv[1], "syscall") == 0)
		fn = do_syscall;
	else if (strcmp(argv[1], "syscall-allowall") == 0) {
		allow_all_filter();
		fn = do_syscall;
	} else if (strcmp(argv[1], "ioctl") == 0)
		fn = do_ioctl;
	else {
		fprintf(stderr, "bench_client: unknown mode %s\n", argv[1]);
		return 2;
	}
	n = atol(argv[2]);
	r = atol(argv[3]);
	npaths = argc - 4;
	if (n < 1 || r < 1 || npaths > MAX_PATHS ||
	    ((fn == do_open || fn == do_many || fn == do_iopen) && npaths < 1)) {
		fprintf(stderr, "bench_client: bad arguments\n");
		return 2;
	}
	fn(n / 4 > 0 ? n / 4 : 1, argv + 4, npaths); /* warm-up: caches, pages, the broker */
	for (k = 0; k < r; k++) {
		t0 = now_ns();
		fn(n, argv + 4, npaths);
		t1 = now_ns();
		printf("rep %.1f\n", (t1 - t0) / ((double)n * (fn == do_many ? npaths : 1)));
	}
	fflush(stdout);
	return 0;
}
