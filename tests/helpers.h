/* helpers.h — shared test helpers (fd counting, temp dirs, files, running fdbroker). */
#ifndef FDBROKER_TEST_HELPERS_H
#define FDBROKER_TEST_HELPERS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* Open fds of this process (via /proc/self/fd). */
int th_count_fds(void);
/* A new private directory under /tmp (mode 0755 so a dropped-privilege worker can enter);
 * malloc'd path. Aborts the test on failure. */
char *th_tmpdir(void);
/* rm -rf, best effort. */
void th_rmrf(const char *path);
/* Write `text` to path with mode; aborts the test on failure. */
void th_write_file(const char *path, const char *text, mode_t mode);
/* Read a whole file into a malloc'd NUL-terminated buffer; NULL on failure. */
char *th_read_file(const char *path);
/* printf into a malloc'd string. */
char *th_fmt(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The build directory (from $FDBROKER_BUILD, default "build"). */
const char *th_build_dir(void);
/* Copy an executable file into dir (so an unprivileged worker can run it whatever the
 * permissions of the checkout's parents); returns the malloc'd new path. */
char *th_copy_exec(const char *src, const char *dir);
/* th_copy_exec of BUILD/tests/helpers/NAME. */
char *th_copy_helper(const char *name, const char *dir);
/* True when running as root (root-only tests skip with a printed reason otherwise). */
bool th_is_root(void);

/* The launch-mode acceptance policy, verbatim (issue 2); tests quote its line numbers. */
#define TH_ACCEPT_POLICY                                                                           \
	"version 1\n"                                                                              \
	"user nobody\n"                                                                            \
	"group nogroup\n"                                                                          \
	"listen http tcp 127.0.0.1:80 backlog 64\n"                                                \
	"listen ctl unix /run/fdbroker-accept/ctl.sock mode 0600\n"                                \
	"open log /var/log/fdbroker-accept/access.log append create mode 0640\n"                   \
	"allow open /srv/fdbroker-accept/** read\n"                                                \
	"deny open /srv/fdbroker-accept/secret/**\n"                                               \
	"allow connect tcp 127.0.0.1:5432\n"                                                       \
	"capabilities none\n"                                                                      \
	"seccomp default kill\n"                                                                   \
	"seccomp allow @system-service\n"

/* Run a suite with CK_NORMAL output; EXIT_SUCCESS if every test passed. */
#include <check.h>
int th_run_suite(Suite *s);

/* Check assertions on captured output (the haystack is printed on failure, cut at 4000). */
#define assert_has(hay, needle)                                                                    \
	ck_assert_msg(strstr((hay), (needle)) != NULL, "expected '%s' in:\n%.4000s", (needle),   \
		      (hay))
#define assert_lacks(hay, needle)                                                                  \
	ck_assert_msg(strstr((hay), (needle)) == NULL, "did not expect '%s' in:\n%.4000s",       \
		      (needle), (hay))

#endif
