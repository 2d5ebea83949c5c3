/* check_log.c — the log line format (plain and journal), filtering, errno, atomic lines. */
#define _GNU_SOURCE
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "helpers.h"
#include "log.h"

static char *dir, *path;
static int saved_stderr = -1;

/* stderr goes to a fresh temp file for each test */
static void setup(void)
{
	int fd;

	dir = th_tmpdir();
	path = th_fmt("%s/stderr", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	ck_assert_int_ge(fd, 0);
	saved_stderr = fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 0);
	ck_assert_int_ge(saved_stderr, 0);
	ck_assert_int_eq(dup2(fd, STDERR_FILENO), STDERR_FILENO);
	close(fd);
	unsetenv("JOURNAL_STREAM");
}

static void teardown(void)
{
	dup2(saved_stderr, STDERR_FILENO);
	close(saved_stderr);
	saved_stderr = -1;
	unsetenv("JOURNAL_STREAM");
	log_init("fdbroker", 0);
	th_rmrf(dir);
	free(path);
	free(dir);
}

static char *output(void)
{
	char *s = th_read_file(path);

	ck_assert_ptr_nonnull(s);
	return s;
}

static void expect_output(const char *want)
{
	char *got = output();

	ck_assert_str_eq(got, want);
	free(got);
}

static void set_journal_stream_to_stderr(void)
{
	struct stat st;
	char *v;

	ck_assert_int_eq(fstat(STDERR_FILENO, &st), 0);
	v = th_fmt("%ju:%ju", (uintmax_t)st.st_dev, (uintmax_t)st.st_ino);
	ck_assert_int_eq(setenv("JOURNAL_STREAM", v, 1), 0);
	free(v);
}

/* ---- format ------------------------------------------------------------------------------- */

START_TEST(test_plain_prefix_is_progname)
{
	log_init("/usr/local/bin/prog", 0);
	log_err("hello %d", 42);
	log_warn("second");
	expect_output("prog: hello 42\nprog: second\n");
}
END_TEST

START_TEST(test_journal_prefix_is_priority)
{
	set_journal_stream_to_stderr();
	log_init("prog", 2);
	log_err("e");
	log_warn("w");
	log_notice("n");
	log_info("i");
	log_debug("d");
	expect_output("<3>e\n<4>w\n<5>n\n<6>i\n<7>d\n");
}
END_TEST

START_TEST(test_journal_stream_of_another_file_is_plain)
{
	struct stat st;
	char *v;

	ck_assert_int_eq(fstat(STDERR_FILENO, &st), 0);
	v = th_fmt("%ju:%ju", (uintmax_t)st.st_dev, (uintmax_t)st.st_ino + 1);
	setenv("JOURNAL_STREAM", v, 1);
	free(v);
	log_init("prog", 0);
	log_err("x");
	setenv("JOURNAL_STREAM", "garbage", 1);
	log_init("prog", 0);
	log_err("y");
	expect_output("prog: x\nprog: y\n");
}
END_TEST

START_TEST(test_one_newline_per_line)
{
	log_init("prog", 0);
	log_err("ends with newline\n");
	log_err("%s", "");
	expect_output("prog: ends with newline\nprog: \n");
}
END_TEST

/* A worker-chosen string cannot start a forged line, with or without a priority prefix. */
START_TEST(test_control_characters_cannot_forge_lines)
{
	set_journal_stream_to_stderr();
	log_init("prog", 0);
	log_err("open %s denied", "/x\n<0>fdbroker: granted\r\033[2J\tok");
	expect_output("<3>open /x?<0>fdbroker: granted??[2J\tok denied\n");
}
END_TEST

/* LOG_BARE drops the program prefix (machine-readable lines), not the journal priority. */
START_TEST(test_bare_lines_have_no_prefix)
{
	log_init("prog", 0);
	log_msg(LOG_NOTICE | LOG_BARE, "{\"k\":1}");
	expect_output("{\"k\":1}\n");
}
END_TEST

START_TEST(test_long_message_truncated_with_ellipsis)
{
	char *big = malloc(20000), *got;
	size_t len;

	ck_assert_ptr_nonnull(big);
	memset(big, 'm', 19999);
	big[19999] = '\0';
	log_init("prog", 0);
	log_err("%s", big);
	log_err("after");
	got = output();
	len = strlen(got);
	/* one 16384-byte line, then the next message intact */
	ck_assert_uint_eq(len, 16384 + strlen("prog: after\n"));
	ck_assert_int_eq(strncmp(got, "prog: mmm", 9), 0);
	ck_assert_int_eq(memcmp(got + 16384 - 4, "...\n", 4), 0);
	ck_assert_str_eq(got + 16384, "prog: after\n");
	free(got);
	free(big);
}
END_TEST

/* ---- filtering ------------------------------------------------------------------------------ */

START_TEST(test_verbosity_filters_info_and_debug)
{
	log_init("p", 0);
	ck_assert_int_eq(log_verbosity(), 0);
	log_notice("n0");
	log_info("i0");
	log_debug("d0");
	log_init("p", 1);
	ck_assert_int_eq(log_verbosity(), 1);
	log_info("i1");
	log_debug("d1");
	log_init("p", 2);
	log_debug("d2");
	expect_output("p: n0\np: i1\np: d2\n");
}
END_TEST

/* ---- errno ---------------------------------------------------------------------------------- */

START_TEST(test_errno_preserved)
{
	log_init("prog", 2);
	errno = EXDEV;
	log_err("a %s", "b");
	ck_assert_int_eq(errno, EXDEV);
	log_debug("filtered or not, errno stays");
	ck_assert_int_eq(errno, EXDEV);
	log_init("prog", 0);
	errno = EXDEV;
	log_debug("filtered");
	ck_assert_int_eq(errno, EXDEV);

	/* %m sees the caller's errno, and the write failing does not change it either */
	errno = ENOENT;
	log_err("open: %m");
	ck_assert_int_eq(errno, ENOENT);
	close(STDERR_FILENO);
	errno = EXDEV;
	log_err("to a closed stderr");
	ck_assert_int_eq(errno, EXDEV);
	expect_output("prog: a b\nprog: filtered or not, errno stays\n"
	              "prog: open: No such file or directory\n");
}
END_TEST

/* ---- whole lines ----------------------------------------------------------------------------- */

/*
 * Processes sharing stderr (the broker and its forked children) log at once; every line in
 * the file must be one whole line from one writer. A line written in pieces (prefix, then
 * message, then newline) interleaves here.
 */
START_TEST(test_concurrent_lines_do_not_interleave)
{
	enum { NPROC = 8, NLINES = 300 };
	char *got, *line, *save = NULL, fill[1500];
	int status, i, counts[NPROC] = {0}, who, n;
	pid_t pids[NPROC];

	memset(fill, 'a', sizeof(fill) - 1);
	fill[sizeof(fill) - 1] = '\0';
	log_init("prog", 0);
	for (i = 0; i < NPROC; i++) {
		pids[i] = fork();
		ck_assert_int_ge(pids[i], 0);
		if (pids[i] == 0) {
			for (n = 0; n < NLINES; n++) {
				fill[(n * 7 + i) % (sizeof(fill) - 1)] = (char)('b' + i);
				log_err("%d %s %d", i, fill, i);
			}
			_exit(0);
		}
	}
	for (i = 0; i < NPROC; i++) {
		ck_assert_int_eq(waitpid(pids[i], &status, 0), pids[i]);
		ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
	got = output();
	for (line = strtok_r(got, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
		char tail[16];
		size_t len = strlen(line);

		ck_assert_msg(sscanf(line, "prog: %d ", &who) == 1, "mangled line: %.60s", line);
		ck_assert_int_ge(who, 0);
		ck_assert_int_lt(who, NPROC);
		snprintf(tail, sizeof(tail), " %d", who);
		ck_assert_uint_eq(len, strlen("prog: 0 ") + sizeof(fill) - 1 + strlen(tail));
		ck_assert_str_eq(line + len - strlen(tail), tail);
		counts[who]++;
	}
	for (i = 0; i < NPROC; i++)
		ck_assert_int_eq(counts[i], NLINES);
	free(got);
}
END_TEST

static Suite *log_suite(void)
{
	Suite *s = suite_create("log");
	TCase *tc;

	tc = tcase_create("format");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_plain_prefix_is_progname);
	tcase_add_test(tc, test_journal_prefix_is_priority);
	tcase_add_test(tc, test_journal_stream_of_another_file_is_plain);
	tcase_add_test(tc, test_one_newline_per_line);
	tcase_add_test(tc, test_control_characters_cannot_forge_lines);
	tcase_add_test(tc, test_long_message_truncated_with_ellipsis);
	tcase_add_test(tc, test_bare_lines_have_no_prefix);
	suite_add_tcase(s, tc);

	tc = tcase_create("filtering");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_verbosity_filters_info_and_debug);
	suite_add_tcase(s, tc);

	tc = tcase_create("errno");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_errno_preserved);
	suite_add_tcase(s, tc);

	tc = tcase_create("whole_lines");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_concurrent_lines_do_not_interleave);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return th_run_suite(log_suite());
}
