/*
 * tpprobe.c — an unmodified-looking program for the transparent-mode tests: it only uses
 * plain open()/openat() (no libfdbroker), in hostile ways.
 *
 * Usage: tpprobe MODE ARGS...
 *   race N GOOD BAD       thread 2 flips a shared path buffer between GOOD and BAD while
 *                         thread 1 opens it N times; prints "race: N opens, K escapes"
 *                         where an escape is any successful open of BAD's inode
 *   efault GOOD           NULL, unmapped and page-crossing-unterminated paths
 *   signals N GOOD        a signal storm on the opening thread; prints leaked fds
 *   threads T N GOOD      T threads opening GOOD N times each
 *   vfork GOOD            a vfork child opens GOOD, then execs /bin/true
 *   relative DIR NAME     chdir(DIR), open(NAME); then openat(dirfd of DIR, NAME)
 *   cloexec GOOD           open with and without O_CLOEXEC; print each fd's FD_CLOEXEC
 *   hang GOOD MARK        open GOOD forever, touching MARK after the first open
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static char shared[4096];
static const char *good, *bad;
static atomic_int stop;

static void *flipper(void *arg)
{
	size_t gl = strlen(good) + 1, bl = strlen(bad) + 1;
	(void)arg;
	while (!atomic_load(&stop)) {
		memcpy(shared, bad, bl);
		memcpy(shared, good, gl);
	}
	return NULL;
}

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	while ((e = readdir(d)) != NULL)
		n += e->d_name[0] != '.';
	closedir(d);
	return n - 1;
}

static int race(long n)
{
	struct stat bad_st, st;
	pthread_t th;
	long i, escapes = 0, opened = 0;

	if (stat(bad, &bad_st) < 0)
		memset(&bad_st, 0, sizeof(bad_st)); /* unreadable to us: compare by inode below */
	strcpy(shared, good);
	pthread_create(&th, NULL, flipper, NULL);
	for (i = 0; i < n; i++) {
		int fd = (int)syscall(SYS_openat, AT_FDCWD, shared, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		opened++;
		if (fstat(fd, &st) == 0 && st.st_ino == bad_st.st_ino && st.st_dev == bad_st.st_dev)
			escapes++;
		close(fd);
	}
	atomic_store(&stop, 1);
	pthread_join(th, NULL);
	printf("race: %ld opens, %ld escapes\n", opened, escapes);
	return 0;
}

static void efault(void)
{
	long page = sysconf(_SC_PAGESIZE);
	char *two = mmap(NULL, (size_t)page * 2, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int fd;

	fd = (int)syscall(SYS_openat, AT_FDCWD, NULL, O_RDONLY);
	printf("efault null: %s\n", fd < 0 ? strerrorname_np(errno) : "OPENED");
	fd = (int)syscall(SYS_openat, AT_FDCWD, (char *)8, O_RDONLY);
	printf("efault low: %s\n", fd < 0 ? strerrorname_np(errno) : "OPENED");
	munmap(two + page, (size_t)page);
	memset(two, 'a', (size_t)page); /* no NUL before the unmapped page */
	two[0] = '/';
	fd = (int)syscall(SYS_openat, AT_FDCWD, two, O_RDONLY);
	printf("efault unterminated: %s\n", fd < 0 ? strerrorname_np(errno) : "OPENED");
	/* the good path placed so its NUL is the last byte of the mapping: still fine */
	strcpy(two + page - strlen(good) - 1, good);
	fd = (int)syscall(SYS_openat, AT_FDCWD, two + page - strlen(good) - 1, O_RDONLY);
	printf("efault edge: %s\n", fd < 0 ? strerrorname_np(errno) : "opened");
}

static pthread_t opener;
static void on_usr1(int sig)
{
	(void)sig;
}

static void *storm(void *arg)
{
	(void)arg;
	while (!atomic_load(&stop))
		pthread_kill(opener, SIGUSR1);
	return NULL;
}

static void signals(long n)
{
	struct sigaction sa;
	pthread_t th;
	long i, ok = 0, intr = 0;
	int before = count_fds();

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_usr1; /* no SA_RESTART: interrupted calls surface */
	sigaction(SIGUSR1, &sa, NULL);
	opener = pthread_self();
	pthread_create(&th, NULL, storm, NULL);
	for (i = 0; i < n; i++) {
		int fd = open(good, O_RDONLY | O_CLOEXEC);
		if (fd >= 0) {
			ok++;
			close(fd);
		} else if (errno == EINTR) {
			intr++;
		}
	}
	atomic_store(&stop, 1);
	pthread_join(th, NULL);
	printf("signals: %ld opened, %ld interrupted, %d leaked fds\n", ok, intr,
	       count_fds() - before);
}

static long per_thread;
static atomic_long thread_ok;
static void *thread_opens(void *arg)
{
	long i;
	(void)arg;
	for (i = 0; i < per_thread; i++) {
		int fd = open(good, O_RDONLY | O_CLOEXEC);
		if (fd >= 0) {
			atomic_fetch_add(&thread_ok, 1);
			close(fd);
		}
	}
	return NULL;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc >= 5 && strcmp(argv[1], "race") == 0) {
		good = argv[3];
		bad = argv[4];
		return race(atol(argv[2]));
	}
	if (argc >= 3 && strcmp(argv[1], "efault") == 0) {
		good = argv[2];
		efault();
		return 0;
	}
	if (argc >= 4 && strcmp(argv[1], "signals") == 0) {
		good = argv[3];
		signals(atol(argv[2]));
		return 0;
	}
	if (argc >= 5 && strcmp(argv[1], "threads") == 0) {
		int t = atoi(argv[2]), i;
		pthread_t th[64];
		good = argv[4];
		per_thread = atol(argv[3]);
		for (i = 0; i < t && i < 64; i++)
			pthread_create(&th[i], NULL, thread_opens, NULL);
		for (i = 0; i < t && i < 64; i++)
			pthread_join(th[i], NULL);
		printf("threads: %ld opened\n", atomic_load(&thread_ok));
		return 0;
	}
	if (argc >= 3 && strcmp(argv[1], "vfork") == 0) {
		int st;
		pid_t pid = vfork();
		if (pid == 0) {
			int fd = open(argv[2], O_RDONLY);
			_exit(fd >= 0 ? 0 : 1);
		}
		waitpid(pid, &st, 0);
		printf("vfork: child open %s\n", WIFEXITED(st) && WEXITSTATUS(st) == 0 ? "ok" : "failed");
		return 0;
	}
	if (argc >= 4 && strcmp(argv[1], "relative") == 0) {
		char buf[64] = {0};
		int dfd = open(argv[2], O_RDONLY | O_DIRECTORY | O_CLOEXEC), fd;
		if (chdir(argv[2]) < 0)
			perror("chdir");
		fd = open(argv[3], O_RDONLY);
		printf("relative cwd: %s\n", fd >= 0 && read(fd, buf, 63) > 0 ? buf : strerrorname_np(errno));
		memset(buf, 0, sizeof(buf));
		if (chdir("/") < 0)
			perror("chdir");
		fd = openat(dfd, argv[3], O_RDONLY);
		printf("relative dirfd: %s\n", fd >= 0 && read(fd, buf, 63) > 0 ? buf : strerrorname_np(errno));
		return 0;
	}
	if (argc >= 3 && strcmp(argv[1], "cloexec") == 0) {
		int a = open(argv[2], O_RDONLY | O_CLOEXEC), b = open(argv[2], O_RDONLY);
		printf("cloexec: with %d, without %d\n",
		       a >= 0 ? (fcntl(a, F_GETFD) & FD_CLOEXEC) != 0 : -1,
		       b >= 0 ? (fcntl(b, F_GETFD) & FD_CLOEXEC) != 0 : -1);
		return 0;
	}
	if (argc >= 4 && strcmp(argv[1], "hang") == 0) {
		int first = 1;
		for (;;) {
			int fd = open(argv[2], O_RDONLY);
			if (fd >= 0)
				close(fd);
			if (first) {
				close(open(argv[3], O_WRONLY | O_CREAT, 0644));
				first = 0;
			}
		}
	}
	fprintf(stderr, "tpprobe: bad usage\n");
	return 2;
}
