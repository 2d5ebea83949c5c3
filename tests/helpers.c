/* helpers.c — shared test helpers. */
#define _GNU_SOURCE
#include "helpers.h"

#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int th_count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	ck_assert_ptr_nonnull(d);
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n - 1; /* the directory stream's own fd */
}

char *th_tmpdir(void)
{
	char *p = strdup("/tmp/fdbroker-test.XXXXXX");

	ck_assert_ptr_nonnull(p);
	ck_assert_ptr_nonnull(mkdtemp(p));
	ck_assert_int_eq(chmod(p, 0755), 0);
	return p;
}

void th_rmrf(const char *path)
{
	char *cmd = th_fmt("rm -rf -- '%s'", path);

	if (system(cmd) != 0)
		fprintf(stderr, "warning: could not remove %s\n", path);
	free(cmd);
}

void th_write_file(const char *path, const char *text, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	size_t len = strlen(text);

	ck_assert_msg(fd >= 0, "open %s: %s", path, strerror(errno));
	ck_assert_int_eq(write(fd, text, len), (ssize_t)len);
	ck_assert_int_eq(fchmod(fd, mode), 0);
	close(fd);
}

char *th_read_file(const char *path)
{
	FILE *f = fopen(path, "re");
	char *buf = NULL;
	size_t cap = 0, len = 0, n;

	if (f == NULL)
		return NULL;
	for (;;) {
		if (cap - len < 4096) {
			char *nb = realloc(buf, cap + 65536);
			if (nb == NULL) {
				free(buf);
				fclose(f);
				return NULL;
			}
			buf = nb;
			cap += 65536;
		}
		n = fread(buf + len, 1, cap - len - 1, f);
		len += n;
		if (n == 0)
			break;
	}
	buf[len] = '\0';
	fclose(f);
	return buf;
}

char *th_fmt(const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;
	int r;

	va_start(ap, fmt);
	r = vasprintf(&s, fmt, ap);
	va_end(ap);
	ck_assert_int_ge(r, 0);
	return s;
}

const char *th_build_dir(void)
{
	const char *b = getenv("FDBROKER_BUILD");
	return b != NULL && *b != '\0' ? b : "build";
}

bool th_is_root(void)
{
	return geteuid() == 0;
}

char *th_copy_exec(const char *src, const char *dir)
{
	const char *base = strrchr(src, '/');
	char *dst = th_fmt("%s/%s", dir, base != NULL ? base + 1 : src);
	char *cmd = th_fmt("cp -- '%s' '%s' && chmod 0755 '%s'", src, dst, dst);

	ck_assert_msg(system(cmd) == 0, "copying %s", src);
	free(cmd);
	return dst;
}

char *th_copy_helper(const char *name, const char *dir)
{
	char *src = th_fmt("%s/tests/helpers/%s", th_build_dir(), name);
	char *dst = th_copy_exec(src, dir);

	free(src);
	return dst;
}

int th_run_suite(Suite *s)
{
	SRunner *sr = srunner_create(s);
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
