/* e2e.c — running build/fdbroker from end-to-end tests. */
#define _GNU_SOURCE
#include "e2e.h"

#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "helpers.h"

void e2e_env_init(struct e2e_env *env, const char *policy_text)
{
	env->dir = th_tmpdir();
	env->policy = th_fmt("%s/test.policy", env->dir);
	th_write_file(env->policy, policy_text, 0644);
}

void e2e_env_free(struct e2e_env *env)
{
	if (env->dir != NULL)
		th_rmrf(env->dir);
	free(env->dir);
	free(env->policy);
	env->dir = env->policy = NULL;
}

static int capture_fd(void)
{
	char path[] = "/tmp/fdbroker-e2e-out.XXXXXX";
	int fd = mkostemp(path, O_CLOEXEC);

	ck_assert_int_ge(fd, 0);
	unlink(path);
	return fd;
}

static char *slurp(int fd)
{
	char *buf;
	off_t size = lseek(fd, 0, SEEK_END);
	ssize_t n;

	ck_assert_int_ge(size, 0);
	buf = calloc(1, (size_t)size + 1);
	ck_assert_ptr_nonnull(buf);
	n = pread(fd, buf, (size_t)size, 0);
	ck_assert_int_eq(n, size);
	return buf;
}

/* The capture fds of a started run, by pid (tests start at most a few at once). */
static struct {
	pid_t pid;
	int out, err;
} running[8];

pid_t e2e_start(const char *const argv[], struct e2e_result *ret)
{
	char *exe = th_fmt("%s/fdbroker", th_build_dir());
	int out = capture_fd(), err = capture_fd();
	size_t n = 0, i;
	char **av;
	pid_t pid;

	while (argv[n] != NULL)
		n++;
	av = calloc(n + 2, sizeof(*av));
	ck_assert_ptr_nonnull(av);
	av[0] = (char *)exe;
	for (i = 0; i < n; i++)
		av[i + 1] = (char *)argv[i];
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		int devnull = open("/dev/null", O_RDONLY);
		dup2(devnull, 0);
		dup2(out, 1);
		dup2(err, 2);
		setpgid(0, 0);
		/* Sanitizer builds: LeakSanitizer's exit-time check ptraces the process, which the
		 * broker's and the worker's seccomp filters (rightly) forbid. */
		setenv("ASAN_OPTIONS", "detect_leaks=0", 1);
		/* if the test dies (a Check timeout), fdbroker dies, and its worker with it */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		execv(exe, av);
		_exit(99);
	}
	free(av);
	free(exe);
	for (i = 0; i < sizeof(running) / sizeof(running[0]); i++) {
		if (running[i].pid == 0) {
			running[i].pid = pid;
			running[i].out = out;
			running[i].err = err;
			break;
		}
	}
	ck_assert_msg(i < sizeof(running) / sizeof(running[0]), "too many runs at once");
	memset(ret, 0, sizeof(*ret));
	return pid;
}

void e2e_wait(pid_t pid, int timeout_s, struct e2e_result *ret)
{
	struct timespec start, now;
	int st = 0, i;
	pid_t r;

	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		r = waitpid(pid, &st, WNOHANG);
		if (r == pid)
			break;
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec - start.tv_sec >= timeout_s) {
			kill(-pid, SIGKILL);
			kill(pid, SIGKILL);
			waitpid(pid, &st, 0);
			st = -1;
			break;
		}
		usleep(2000);
	}
	ret->status = st == -1 ? -1 : WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	for (i = 0; i < (int)(sizeof(running) / sizeof(running[0])); i++) {
		if (running[i].pid == pid) {
			ret->out = slurp(running[i].out);
			ret->err = slurp(running[i].err);
			close(running[i].out);
			close(running[i].err);
			running[i].pid = 0;
		}
	}
}

void e2e_run(const char *const argv[], int timeout_s, struct e2e_result *ret)
{
	pid_t pid = e2e_start(argv, ret);
	e2e_wait(pid, timeout_s, ret);
}

void e2e_result_free(struct e2e_result *r)
{
	free(r->out);
	free(r->err);
	r->out = r->err = NULL;
}

bool e2e_need_root(const char *test)
{
	if (th_is_root())
		return true;
	printf("SKIP %s: needs root (fdbroker run changes uid and binds privileged ports)\n",
	       test);
	return false;
}

static char *tcp_exchange(int port, int timeout_s, const char *request);

char *e2e_tcp_fetch(int port, int timeout_s)
{
	return tcp_exchange(port, timeout_s, NULL);
}

char *e2e_http_get(int port, int timeout_s)
{
	return tcp_exchange(port, timeout_s, "GET / HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n");
}

static char *tcp_exchange(int port, int timeout_s, const char *request)
{
	struct sockaddr_in sin;
	char *buf = NULL;
	size_t len = 0;
	int fd = -1, tries;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	for (tries = 0; tries < timeout_s * 100; tries++) {
		fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0)
			return NULL;
		if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0)
			break;
		close(fd);
		fd = -1;
		usleep(10000);
	}
	if (fd < 0)
		return NULL;
	{
		/* never hang a test on a silent server */
		struct timeval tv = {.tv_sec = timeout_s};
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	}
	if (request != NULL && write(fd, request, strlen(request)) != (ssize_t)strlen(request)) {
		close(fd);
		return NULL;
	}
	for (;;) {
		char chunk[4096];
		ssize_t n = read(fd, chunk, sizeof(chunk));
		char *nb;
		if (n <= 0)
			break;
		nb = realloc(buf, len + (size_t)n + 1);
		if (nb == NULL)
			break;
		buf = nb;
		memcpy(buf + len, chunk, (size_t)n);
		len += (size_t)n;
		buf[len] = '\0';
	}
	close(fd);
	return buf != NULL ? buf : strdup("");
}
