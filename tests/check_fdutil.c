/* check_fdutil.c — closing, moving and counting fds. */
#define _GNU_SOURCE
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fdutil.h"
#include "helpers.h"

/*
 * Tests that rearrange low fd numbers run in a forked child, so they cannot close or clobber
 * the runner's own fds (Check's, or valgrind's under CK_FORK=no). The child reports a failed
 * check as its exit status: the line number.
 */
#define CHILD_CHECK(cond)                                                                          \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "%s:%d: child check failed: %s (errno %d)\n", __FILE__,    \
			        __LINE__, #cond, errno);                                           \
			_exit(__LINE__ % 250 + 1);                                                 \
		}                                                                                  \
	} while (0)

static void run_in_child(void (*fn)(void))
{
	pid_t pid = fork();
	int status;

	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		fn();
		_exit(0);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFEXITED(status), "child died by signal %d", WTERMSIG(status));
	ck_assert_msg(WEXITSTATUS(status) == 0, "child check failed (see stderr)");
}

static bool is_open(int fd)
{
	return fcntl(fd, F_GETFD) >= 0;
}

static bool is_cloexec(int fd)
{
	int f = fcntl(fd, F_GETFD);

	return f >= 0 && (f & FD_CLOEXEC);
}

/* A fresh pipe read end at exactly `at`; returns its inode for identification. */
static ino_t pipe_at(int at)
{
	struct stat st;
	int p[2];

	CHILD_CHECK(pipe2(p, O_CLOEXEC) == 0);
	/* both ends share the pipe's inode: whichever lands on `at` identifies it */
	if (p[0] == at) {
		close(p[1]);
	} else if (p[1] == at) {
		close(p[0]);
	} else {
		CHILD_CHECK(dup3(p[0], at, O_CLOEXEC) == at);
		close(p[0]);
		close(p[1]);
	}
	CHILD_CHECK(fstat(at, &st) == 0);
	return st.st_ino;
}

static ino_t ino_of(int fd)
{
	struct stat st;

	CHILD_CHECK(fstat(fd, &st) == 0);
	return st.st_ino;
}

/* Every open fd >= lowest is in keep[0..n), and every kept fd is open. */
static void check_exactly(int lowest, const int *keep, size_t n)
{
	struct dirent *e;
	size_t i;
	DIR *d;
	int fd;

	struct rlimit rl;

	/* valgrind keeps its own fds above the limit it gives us; they are not ours to judge */
	CHILD_CHECK(getrlimit(RLIMIT_NOFILE, &rl) == 0);
	d = opendir("/proc/self/fd");
	CHILD_CHECK(d != NULL);
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		fd = atoi(e->d_name);
		if (fd < lowest || fd == dirfd(d) || (rlim_t)fd >= rl.rlim_cur)
			continue;
		for (i = 0; i < n; i++)
			if (keep[i] == fd)
				break;
		if (i == n)
			fprintf(stderr, "fd %d left open\n", fd);
		CHILD_CHECK(i < n);
	}
	closedir(d);
	for (i = 0; i < n; i++)
		CHILD_CHECK(is_open(keep[i]));
}

/* ---- close_all_except ------------------------------------------------------------------------ */

static const int keep_list[] = {40, 12, 13, 600}; /* unsorted, adjacent, and far apart */

static void open_many_fds(void)
{
	int i;

	for (i = 10; i < 50; i++)
		CHILD_CHECK(dup3(2, i, O_CLOEXEC) == i);
	CHILD_CHECK(dup3(2, 600, O_CLOEXEC) == 600);
	CHILD_CHECK(dup3(2, 601, O_CLOEXEC) == 601);
	CHILD_CHECK(dup3(2, 900, O_CLOEXEC) == 900);
}

static void child_close_all_except(void)
{
	open_many_fds();
	CHILD_CHECK(fdutil_close_all_except(10, keep_list, 4) == 0);
	check_exactly(10, keep_list, 4);
	/* below `lowest` untouched */
	CHILD_CHECK(is_open(0) && is_open(1) && is_open(2));
}

START_TEST(test_close_all_except_keeps_exactly_listed)
{
	run_in_child(child_close_all_except);
}
END_TEST

static void child_close_all_except_nothing_kept(void)
{
	open_many_fds();
	CHILD_CHECK(fdutil_close_all_except(10, NULL, 0) == 0);
	check_exactly(10, NULL, 0);
	CHILD_CHECK(is_open(2));
}

START_TEST(test_close_all_except_empty_keep_list)
{
	run_in_child(child_close_all_except_nothing_kept);
}
END_TEST

/* The /proc fallback, as when a seccomp filter or an old kernel refuses close_range. */
static void child_close_all_except_without_close_range(void)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);

	CHILD_CHECK(ctx != NULL);
	CHILD_CHECK(seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(close_range), 0) == 0);
	CHILD_CHECK(seccomp_load(ctx) == 0);
	seccomp_release(ctx);
	CHILD_CHECK(syscall(SYS_close_range, 700, 700, 0) == -1 && errno == ENOSYS);

	open_many_fds();
	CHILD_CHECK(fdutil_close_all_except(10, keep_list, 4) == 0);
	check_exactly(10, keep_list, 4);
}

START_TEST(test_close_all_except_fallback_without_close_range)
{
	run_in_child(child_close_all_except_without_close_range);
}
END_TEST

START_TEST(test_close_all_except_refuses_negative_lowest)
{
	errno = 0;
	ck_assert_int_eq(fdutil_close_all_except(-1, NULL, 0), -1);
	ck_assert_int_eq(errno, EINVAL);
}
END_TEST

/* ---- place ----------------------------------------------------------------------------------- */

static void child_place_rotation(void)
{
	int fds[3] = {5, 3, 4}, before;
	ino_t i3 = pipe_at(3), i4 = pipe_at(4), i5 = pipe_at(5);

	/* sources not CLOEXEC: placement must set it */
	CHILD_CHECK(fcntl(3, F_SETFD, 0) == 0);
	before = fdutil_count();
	CHILD_CHECK(fdutil_place(fds, 3, 3) == 0);
	CHILD_CHECK(fds[0] == 3 && fds[1] == 4 && fds[2] == 5);
	CHILD_CHECK(ino_of(3) == i5);
	CHILD_CHECK(ino_of(4) == i3);
	CHILD_CHECK(ino_of(5) == i4);
	CHILD_CHECK(is_cloexec(3) && is_cloexec(4) && is_cloexec(5));
	/* no temporaries left behind */
	CHILD_CHECK(fdutil_count() == before);
}

START_TEST(test_place_rotation_of_colliding_fds)
{
	run_in_child(child_place_rotation);
}
END_TEST

static void child_place_overlap(void)
{
	int fds[2] = {7, 8}, before;
	ino_t i7 = pipe_at(7), i8 = pipe_at(8);

	close(9);
	before = fdutil_count();
	/* targets 8, 9: 8 is a source too, 7 must end up closed */
	CHILD_CHECK(fdutil_place(fds, 2, 8) == 0);
	CHILD_CHECK(fds[0] == 8 && fds[1] == 9);
	CHILD_CHECK(ino_of(8) == i7);
	CHILD_CHECK(ino_of(9) == i8);
	CHILD_CHECK(!is_open(7));
	CHILD_CHECK(fdutil_count() == before);
}

START_TEST(test_place_target_overlapping_sources)
{
	run_in_child(child_place_overlap);
}
END_TEST

static void child_place_disjoint_and_duplicate(void)
{
	int fds[3] = {30, 31, 30};
	ino_t a = pipe_at(30), b = pipe_at(31);

	CHILD_CHECK(fdutil_place(fds, 3, 3) == 0);
	CHILD_CHECK(ino_of(3) == a && ino_of(4) == b && ino_of(5) == a);
	CHILD_CHECK(!is_open(30) && !is_open(31));
	CHILD_CHECK(is_cloexec(3) && is_cloexec(4) && is_cloexec(5));
}

START_TEST(test_place_disjoint_and_duplicate_sources)
{
	run_in_child(child_place_disjoint_and_duplicate);
}
END_TEST

static void child_place_bad_fd_changes_nothing(void)
{
	int fds[3] = {20, 21, 22}, before;
	ino_t a = pipe_at(20), b = pipe_at(21);

	close(22);
	before = fdutil_count();
	errno = 0;
	CHILD_CHECK(fdutil_place(fds, 3, 3) == -1 && errno == EBADF);
	CHILD_CHECK(fds[0] == 20 && fds[1] == 21 && fds[2] == 22);
	CHILD_CHECK(ino_of(20) == a && ino_of(21) == b);
	CHILD_CHECK(fdutil_count() == before);

	fds[2] = -1;
	errno = 0;
	CHILD_CHECK(fdutil_place(fds, 3, 3) == -1 && errno == EBADF);
	CHILD_CHECK(fdutil_count() == before);
	CHILD_CHECK(fdutil_place(fds, 0, 3) == 0);
}

START_TEST(test_place_bad_fd_changes_nothing)
{
	run_in_child(child_place_bad_fd_changes_nothing);
}
END_TEST

/* ---- close, close_many, set_cloexec ---------------------------------------------------------- */

START_TEST(test_close_preserves_errno)
{
	int fd = dup(2), fds[3];

	ck_assert_int_ge(fd, 0);
	errno = EXDEV;
	ck_assert_int_eq(fdutil_close(fd), -1);
	ck_assert_int_eq(errno, EXDEV);
	ck_assert(!is_open(fd));
	errno = EXDEV;
	ck_assert_int_eq(fdutil_close(fd), -1); /* already closed: EBADF is swallowed */
	ck_assert_int_eq(errno, EXDEV);
	ck_assert_int_eq(fdutil_close(-1), -1);
	ck_assert_int_eq(errno, EXDEV);

	fds[0] = dup(2);
	fds[1] = -1;
	fds[2] = dup(2);
	fdutil_close_many(fds, 3);
	ck_assert_int_eq(errno, EXDEV);
	ck_assert(fds[0] == -1 && fds[1] == -1 && fds[2] == -1);
}
END_TEST

START_TEST(test_set_cloexec)
{
	int fd = dup(2);

	ck_assert_int_ge(fd, 0);
	ck_assert(!is_cloexec(fd));
	ck_assert_int_eq(fdutil_set_cloexec(fd, true), 0);
	ck_assert(is_cloexec(fd));
	ck_assert_int_eq(fdutil_set_cloexec(fd, false), 0);
	ck_assert(!is_cloexec(fd));
	close(fd);
	ck_assert_int_eq(fdutil_set_cloexec(fd, true), -1);
	ck_assert_int_eq(errno, EBADF);
}
END_TEST

/* ---- count ----------------------------------------------------------------------------------- */

START_TEST(test_count_self)
{
	int n = fdutil_count(), fds[3], i;

	ck_assert_int_eq(n, th_count_fds());
	for (i = 0; i < 3; i++)
		fds[i] = dup(2);
	ck_assert_int_eq(fdutil_count(), n + 3);
	ck_assert_int_eq(fdutil_count_pid(getpid()), n + 3);
	for (i = 0; i < 3; i++)
		close(fds[i]);
	ck_assert_int_eq(fdutil_count(), n);
}
END_TEST

/* The child reports its own count; the parent must see the same through /proc/PID/fd, and
 * see it grow when the child opens more. */
START_TEST(test_count_other_process)
{
	int down[2], up[2], status, n = -1, extra[5], i;
	pid_t pid;
	char c;

	ck_assert_int_eq(pipe2(down, O_CLOEXEC), 0);
	ck_assert_int_eq(pipe2(up, O_CLOEXEC), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		int keep[2] = {down[0], up[1]};

		CHILD_CHECK(fdutil_close_all_except(3, keep, 2) == 0);
		n = fdutil_count();
		CHILD_CHECK(write(up[1], &n, sizeof(n)) == sizeof(n));
		CHILD_CHECK(read(down[0], &c, 1) == 1);
		for (i = 0; i < 5; i++)
			CHILD_CHECK((extra[i] = dup(2)) >= 0);
		CHILD_CHECK(write(up[1], &n, sizeof(n)) == sizeof(n));
		CHILD_CHECK(read(down[0], &c, 1) == 0);
		_exit(0);
	}
	close(down[0]);
	close(up[1]);
	ck_assert_int_eq(read(up[0], &n, sizeof(n)), sizeof(n));
	ck_assert_int_gt(n, 0);
	ck_assert_int_eq(fdutil_count_pid(pid), n);
	ck_assert_int_eq(write(down[1], "x", 1), 1);
	ck_assert_int_eq(read(up[0], &n, sizeof(n)), sizeof(n));
	ck_assert_int_eq(fdutil_count_pid(pid), n + 5);
	close(down[1]);
	close(up[0]);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);

	errno = 0;
	ck_assert_int_eq(fdutil_count_pid(0), -1);
	ck_assert_int_eq(errno, EINVAL);
	/* the child is reaped: its /proc entry is gone */
	ck_assert_int_eq(fdutil_count_pid(pid), -1);
	ck_assert_int_eq(errno, ENOENT);
}
END_TEST

static Suite *fdutil_suite(void)
{
	Suite *s = suite_create("fdutil");
	TCase *tc;

	tc = tcase_create("close_all_except");
	tcase_add_test(tc, test_close_all_except_keeps_exactly_listed);
	tcase_add_test(tc, test_close_all_except_empty_keep_list);
	tcase_add_test(tc, test_close_all_except_fallback_without_close_range);
	tcase_add_test(tc, test_close_all_except_refuses_negative_lowest);
	suite_add_tcase(s, tc);

	tc = tcase_create("place");
	tcase_add_test(tc, test_place_rotation_of_colliding_fds);
	tcase_add_test(tc, test_place_target_overlapping_sources);
	tcase_add_test(tc, test_place_disjoint_and_duplicate_sources);
	tcase_add_test(tc, test_place_bad_fd_changes_nothing);
	suite_add_tcase(s, tc);

	tc = tcase_create("close_and_cloexec");
	tcase_add_test(tc, test_close_preserves_errno);
	tcase_add_test(tc, test_set_cloexec);
	suite_add_tcase(s, tc);

	tc = tcase_create("count");
	tcase_add_test(tc, test_count_self);
	tcase_add_test(tc, test_count_other_process);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return th_run_suite(fdutil_suite());
}
