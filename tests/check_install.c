/*
 * check_install.c — `make install` and `make uninstall` with PREFIX and DESTDIR: every file
 * in place (binary, libraries, header, libfdbroker.pc naming the prefix, man pages by
 * section, bash completion, examples under the doc directory), and uninstall removing
 * exactly those. Needs no root: everything goes under a temp DESTDIR.
 */
#define _GNU_SOURCE
#include <check.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "helpers.h"

static char *destdir;

static void setup(void)
{
	destdir = th_tmpdir();
}

static void teardown(void)
{
	th_rmrf(destdir);
	free(destdir);
	destdir = NULL;
}

/* Run a shell command, its output (stdout and stderr) in a malloc'd string; *status gets
 * the exit status. */
static char *run(const char *cmd, int *status)
{
	char *full = th_fmt("(%s) 2>&1", cmd), *buf = NULL;
	size_t len = 0;
	FILE *p = popen(full, "r");
	char chunk[4096];
	size_t n;
	int st;

	ck_assert_ptr_nonnull(p);
	while ((n = fread(chunk, 1, sizeof(chunk), p)) > 0) {
		buf = realloc(buf, len + n + 1);
		ck_assert_ptr_nonnull(buf);
		memcpy(buf + len, chunk, n);
		len += n;
		buf[len] = '\0';
	}
	st = pclose(p);
	*status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
	free(full);
	return buf != NULL ? buf : strdup("");
}

/* make TARGET for the checkout in the cwd, without the outer make's jobserver. */
static char *make(const char *target, int *status)
{
	char *cmd = th_fmt("unset MAKEFLAGS MFLAGS MAKELEVEL; make -s --no-print-directory %s "
			   "DESTDIR=%s PREFIX=/usr",
			   target, destdir),
	     *out = run(cmd, status);

	free(cmd);
	return out;
}

static void assert_file(const char *rel, mode_t mode)
{
	char *path = th_fmt("%s%s", destdir, rel);
	struct stat st;

	ck_assert_msg(lstat(path, &st) == 0, "make install did not install %s", rel);
	ck_assert_msg(S_ISREG(st.st_mode), "%s is not a regular file", rel);
	ck_assert_msg((st.st_mode & 07777) == mode, "%s has mode %04o, not %04o", rel,
		      (unsigned)(st.st_mode & 07777), (unsigned)mode);
	free(path);
}

/* Files under the checkout's dir (relative paths, recursive), for man/ and examples/. */
static size_t list_files(const char *dir, char **out, size_t max)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	size_t n = 0;

	ck_assert_msg(d != NULL, "cannot list %s", dir);
	while ((de = readdir(d)) != NULL && n < max) {
		char *path;
		struct stat st;

		if (de->d_name[0] == '.')
			continue;
		path = th_fmt("%s/%s", dir, de->d_name);
		ck_assert_int_eq(stat(path, &st), 0);
		if (S_ISDIR(st.st_mode)) {
			n += list_files(path, out + n, max - n);
			free(path);
		} else {
			out[n++] = path;
		}
	}
	closedir(d);
	return n;
}

/* Regular files and symlinks left under DESTDIR, one a line ("" when none). */
static char *files_left(void)
{
	char *cmd = th_fmt("cd %s && find . ! -type d | sort", destdir);
	int st;
	char *out = run(cmd, &st);

	ck_assert_int_eq(st, 0);
	free(cmd);
	return out;
}

START_TEST(test_install_then_uninstall)
{
	char *out, *path, *text, *files[256];
	size_t n, i;
	int st, sections = 0;
	struct stat sb;
	char link[64];
	ssize_t len;

	out = make("install", &st);
	ck_assert_msg(st == 0, "make install failed (%d):\n%s", st, out);
	free(out);

	/* the binary runs from where it was installed */
	assert_file("/usr/bin/fdbroker", 0755);
	path = th_fmt("%s/usr/bin/fdbroker --version", destdir);
	out = run(path, &st);
	ck_assert_msg(st == 0 && strstr(out, "0.") != NULL, "--version: %d %s", st, out);
	free(out);
	free(path);

	/* libraries: the real .so.1, the dev symlink to it, the static archive */
	assert_file("/usr/lib/libfdbroker.so.1", 0755);
	assert_file("/usr/lib/libfdbroker.a", 0644);
	path = th_fmt("%s/usr/lib/libfdbroker.so", destdir);
	len = readlink(path, link, sizeof(link) - 1);
	ck_assert_msg(len > 0, "libfdbroker.so is not a symlink");
	link[len] = '\0';
	ck_assert_str_eq(link, "libfdbroker.so.1");
	free(path);

	/* header and pkg-config file, naming the install prefix */
	assert_file("/usr/include/fdbroker.h", 0644);
	assert_file("/usr/lib/pkgconfig/libfdbroker.pc", 0644);
	path = th_fmt("%s/usr/lib/pkgconfig/libfdbroker.pc", destdir);
	text = th_read_file(path);
	ck_assert_ptr_nonnull(text);
	ck_assert_msg(strstr(text, "prefix=/usr\n") != NULL, "libfdbroker.pc:\n%s", text);
	ck_assert_msg(strstr(text, "-lfdbroker") != NULL, "libfdbroker.pc:\n%s", text);
	ck_assert_msg(strstr(text, "@PREFIX@") == NULL && strstr(text, "/usr/local") == NULL,
		      "libfdbroker.pc:\n%s", text);
	free(text);
	free(path);

	/* every man page, in the section its name ends with; 1, 3, 5 and 7 at least */
	n = list_files("man", files, 256);
	for (i = 0; i < n; i++) {
		const char *base = strrchr(files[i], '/') + 1, *sec = strrchr(base, '.') + 1;
		char *rel;

		if (sec[0] < '1' || sec[0] > '8' || sec[1] != '\0') {
			free(files[i]);
			continue;
		}
		rel = th_fmt("/usr/share/man/man%s/%s", sec, base);
		assert_file(rel, 0644);
		free(rel);
		free(files[i]);
	}
	for (i = 0; i < 4; i++) {
		const char *want[] = {"1/fdbroker.1", "3/libfdbroker.3", "5/fdbroker.policy.5",
				      "7/fdbroker-protocol.7"};
		char *rel = th_fmt("/usr/share/man/man%s", want[i]);

		assert_file(rel, 0644);
		sections++;
		free(rel);
	}
	ck_assert_int_eq(sections, 4);

	/* bash completion, which bash loads and registers for fdbroker */
	assert_file("/usr/share/bash-completion/completions/fdbroker", 0644);
	path = th_fmt("bash -c 'source %s/usr/share/bash-completion/completions/fdbroker && "
		      "complete -p fdbroker'",
		      destdir);
	out = run(path, &st);
	ck_assert_msg(st == 0 && strstr(out, "-F _fdbroker fdbroker") != NULL,
		      "completion not registered (%d):\n%s", st, out);
	free(out);
	free(path);

	/* every example (policies, configs, units, README), executables still executable */
	n = list_files("examples", files, 256);
	ck_assert_uint_ge(n, 10);
	for (i = 0; i < n; i++) {
		char *rel = th_fmt("/usr/share/doc/fdbroker/%s", files[i]);

		ck_assert_int_eq(stat(files[i], &sb), 0);
		assert_file(rel, (sb.st_mode & 0111) != 0 ? 0755 : 0644);
		free(rel);
		free(files[i]);
	}
	assert_file("/usr/share/doc/fdbroker/examples/README", 0644);
	assert_file("/usr/share/doc/fdbroker/examples/nginx/nginx.policy", 0644);
	assert_file("/usr/share/doc/fdbroker/examples/nginx/fdbroker-nginx.service", 0644);

	/* something of someone else's, next to ours: uninstall must leave it */
	path = th_fmt("%s/usr/lib/libother.so.1", destdir);
	th_write_file(path, "not ours\n", 0644);
	free(path);

	out = make("uninstall", &st);
	ck_assert_msg(st == 0, "make uninstall failed (%d):\n%s", st, out);
	free(out);
	out = files_left();
	ck_assert_msg(strcmp(out, "./usr/lib/libother.so.1\n") == 0,
		      "after make uninstall, expected only the foreign file, found:\n%s", out);
	free(out);
	/* and no directory of our own */
	path = th_fmt("%s/usr/share/doc/fdbroker", destdir);
	ck_assert_msg(access(path, F_OK) != 0, "make uninstall left %s", path);
	free(path);
}
END_TEST

static Suite *install_suite(void)
{
	Suite *s = suite_create("install");
	TCase *tc = tcase_create("install");

	tcase_add_checked_fixture(tc, setup, teardown);
	/* make install may have to (re)build: the sanitizer build's suites run it too */
	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, test_install_then_uninstall);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return th_run_suite(install_suite());
}
