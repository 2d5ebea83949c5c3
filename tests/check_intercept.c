/*
 * check_intercept.c — end-to-end tests of transparent mode (`intercept` in the policy):
 * unmodified programs (/bin/cat, python3 -m http.server, tests/helpers/tpprobe) get their
 * plain open()/bind() calls served by the broker. As root. Covers the transparent-mode
 * acceptance list and security-tests.md items 13-18.
 */
#define _GNU_SOURCE
#include <check.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "e2e.h"
#include "helpers.h"

#define PY "/usr/bin/python3"

static struct e2e_env env;
static char *tree, *probe;

/* tree/key: root-only (0600); tree/deny/x: under a deny rule; tree/toshadow: a symlink out. */
static void setup_tree(const char *rules)
{
	char *policy, *p;

	memset(&env, 0, sizeof(env));
	env.dir = th_tmpdir();
	tree = th_fmt("%s/tree", env.dir);
	policy = th_fmt("version 1\n"
			"user nobody\n"
			"group nogroup\n"
			"allow open %s/** read\n"
			"deny open %s/deny/**\n"
			"%s"
			"seccomp allow @system-service\n",
			tree, tree, rules);
	env.policy = th_fmt("%s/test.policy", env.dir);
	th_write_file(env.policy, policy, 0644);
	free(policy);
	ck_assert_int_eq(mkdir(tree, 0755), 0);
	p = th_fmt("%s/deny", tree);
	ck_assert_int_eq(mkdir(p, 0755), 0);
	free(p);
	p = th_fmt("%s/key", tree);
	th_write_file(p, "root-only-key\n", 0600);
	free(p);
	p = th_fmt("%s/deny/x", tree);
	th_write_file(p, "denied-content\n", 0600);
	free(p);
	p = th_fmt("%s/toshadow", tree);
	ck_assert_int_eq(symlink("/etc/shadow", p), 0);
	free(p);
	probe = th_copy_helper("tpprobe", env.dir);
}

static void teardown_tree(void)
{
	e2e_env_free(&env);
	free(tree);
	free(probe);
	tree = probe = NULL;
}


static void run(const char *const cmd[], int timeout, struct e2e_result *r)
{
	const char *argv[32] = {"run", "-p", env.policy};
	size_t n = 3, i;

	for (i = 0; cmd[i] != NULL && n < 31; i++)
		argv[n++] = cmd[i];
	argv[n] = NULL;
	e2e_run(argv, timeout, r);
}

START_TEST(test_cat_reads_root_only_file)
{
	struct e2e_result r;
	char *key, *denied, *line;

	if (!e2e_need_root("cat_root_only"))
		return;
	setup_tree("intercept open\n");
	key = th_fmt("%s/key", tree);
	denied = th_fmt("%s/deny/x", tree);
	{
		const char *cmd[] = {"/bin/cat", key, NULL};
		run(cmd, 30, &r);
		ck_assert_msg(r.status == 0, "%d %s", r.status, r.err);
		ck_assert_str_eq(r.out, "root-only-key\n");
		/* the audit log shows the intercepted request with its deciding rule */
		line = th_fmt("open (intercepted) \"%s\" (read): allow (%s:4)", key, env.policy);
		assert_has(r.err, line);
		free(line);
		e2e_result_free(&r);
	}
	{
		const char *cmd[] = {"/bin/cat", denied, NULL};
		run(cmd, 30, &r);
		ck_assert_int_eq(r.status, 1);
		assert_has(r.err, "Permission denied");
		line = th_fmt("open (intercepted) \"%s\" (read): deny (%s:5)", denied, env.policy);
		assert_has(r.err, line);
		free(line);
		e2e_result_free(&r);
	}
	{
		const char *cmd[] = {"/bin/cat", "/etc/shadow", NULL};
		run(cmd, 30, &r);
		ck_assert_int_eq(r.status, 1);
		assert_has(r.err, "/etc/shadow: Permission denied");
		ck_assert_ptr_null(strstr(r.out, "root:"));
		e2e_result_free(&r);
	}
	free(key), free(denied);
}
END_TEST

/* An unmodified python3 http.server binds port 80 as nobody when a rule allows it. */
START_TEST(test_http_server_binds_port_80)
{
	struct e2e_result r;
	char *page;
	pid_t pid;

	if (!e2e_need_root("http_server"))
		return;
	setup_tree("allow bind tcp 127.0.0.1:80\nintercept bind\n");
	{
		const char *argv[] = {"run", "-p", env.policy, PY, "-m", "http.server", "80",
				      "--bind", "127.0.0.1", "--directory", env.dir, NULL};
		pid = e2e_start(argv, &r);
	}
	page = e2e_http_get(80, 15);
	kill(pid, SIGTERM);
	e2e_wait(pid, 20, &r);
	ck_assert_ptr_nonnull(page);
	assert_has(page, "HTTP/1.0 200 OK");
	assert_has(page, "test.policy");
	assert_has(r.err, "bind (intercepted) \"tcp:127.0.0.1:80\": allow");
	free(page);
	e2e_result_free(&r);
}
END_TEST

/* ...and with no matching rule it fails to bind as it would without fdbroker. */
START_TEST(test_http_server_without_rule_fails_as_usual)
{
	struct e2e_result r;
	const char *cmd[] = {PY, "-m", "http.server", "80", "--bind", "127.0.0.1", NULL};

	if (!e2e_need_root("http_server_no_rule"))
		return;
	setup_tree("allow bind tcp 127.0.0.1:8000\nintercept bind\n");
	run(cmd, 30, &r);
	ck_assert_int_ne(r.status, 0);
	assert_has(r.err, "PermissionError: [Errno 13] Permission denied");
	e2e_result_free(&r);
}
END_TEST

/* Item 13 / acceptance 3: a second thread rewrites the path while the first opens an
 * allowed file: never an fd for a file outside the allowed tree. */
START_TEST(test_path_rewrite_race_never_escapes)
{
	struct e2e_result r;
	char *key, *link, *count;
	const char *n = getenv("FDBROKER_RACE_N") ? getenv("FDBROKER_RACE_N") : "100000";

	if (!e2e_need_root("path_race"))
		return;
	setup_tree("intercept open\n");
	key = th_fmt("%s/key", tree);
	link = th_fmt("%s/toshadow", tree);
	{
		const char *cmd[] = {probe, "race", n, key, "/etc/shadow", NULL};
		run(cmd, 240, &r);
		ck_assert_msg(r.status == 0, "%d %.2000s", r.status, r.err);
		assert_has(r.out, " 0 escapes");
		ck_assert_ptr_null(strstr(r.out, " 0 opens")); /* the race did open the good one */
		e2e_result_free(&r);
	}
	{
		/* the same with a symlink inside the tree that points out of it */
		const char *cmd[] = {probe, "race", n, key, link, NULL};
		run(cmd, 240, &r);
		ck_assert_msg(r.status == 0, "%d %.2000s", r.status, r.err);
		assert_has(r.out, " 0 escapes");
		e2e_result_free(&r);
	}
	count = NULL;
	free(key), free(link), free(count);
}
END_TEST

/* Item 14: unmapped and unterminated paths are an error, never a fall-through. */
START_TEST(test_bad_pointers_fail)
{
	struct e2e_result r;
	char *key;

	if (!e2e_need_root("bad_pointers"))
		return;
	setup_tree("intercept open\n");
	key = th_fmt("%s/key", tree);
	{
		const char *cmd[] = {probe, "efault", key, NULL};
		run(cmd, 30, &r);
	}
	ck_assert_msg(r.status == 0, "%d %s", r.status, r.err);
	assert_has(r.out, "efault null: EFAULT");
	assert_has(r.out, "efault low: EFAULT");
	assert_has(r.out, "efault unterminated: ENAMETOOLONG");
	assert_has(r.out, "efault edge: opened");
	free(key);
	e2e_result_free(&r);
}
END_TEST

/* Item 15: a signal storm during intercepted calls leaks no fds. */
START_TEST(test_signal_storm_leaks_nothing)
{
	struct e2e_result r;
	char *key;

	if (!e2e_need_root("signal_storm"))
		return;
	setup_tree("intercept open\n");
	key = th_fmt("%s/key", tree);
	{
		const char *cmd[] = {probe, "signals", "20000", key, NULL};
		run(cmd, 60, &r);
	}
	ck_assert_msg(r.status == 0, "%d %.2000s", r.status, r.err);
	assert_has(r.out, " 0 leaked fds");
	free(key);
	e2e_result_free(&r);
}
END_TEST

/* Item 17: threads, vfork children, relative paths after chdir, dirfds we did not issue;
 * and O_CLOEXEC is honoured on injected fds. */
START_TEST(test_threads_vfork_relative_cloexec)
{
	struct e2e_result r;
	char *key;

	if (!e2e_need_root("threads_vfork"))
		return;
	setup_tree("intercept open\n");
	key = th_fmt("%s/key", tree);
	{
		const char *cmd[] = {"/bin/sh", "-c", NULL, NULL};
		char *script = th_fmt("%s threads 8 500 %s && %s vfork %s && %s relative %s key && "
				      "%s cloexec %s",
				      probe, key, probe, key, probe, tree, probe, key);
		cmd[2] = script;
		run(cmd, 60, &r);
		free(script);
	}
	ck_assert_msg(r.status == 0, "%d %.2000s", r.status, r.err);
	assert_has(r.out, "threads: 4000 opened");
	assert_has(r.out, "vfork: child open ok");
	assert_has(r.out, "relative cwd: root-only-key");
	assert_has(r.out, "relative dirfd: root-only-key");
	assert_has(r.out, "cloexec: with 1, without 0");
	free(key);
	e2e_result_free(&r);
}
END_TEST

/* Item 16: the worker cannot install a listener or a filter of its own. */
START_TEST(test_worker_cannot_add_listener)
{
	struct e2e_result r;
	char *attack;

	if (!e2e_need_root("own_listener"))
		return;
	setup_tree("intercept open\n");
	attack = th_copy_helper("attack", env.dir);
	{
		const char *cmd[] = {attack, "seccomp-listener", NULL};
		run(cmd, 30, &r);
	}
	ck_assert_ptr_null(strstr(r.out, "SUCCEEDED"));
	ck_assert_int_eq(r.status, 128 + SIGKILL);
	assert_has(r.err, "called seccomp");
	free(attack);
	e2e_result_free(&r);
}
END_TEST

static pid_t child_of(pid_t pid)
{
	char *path = th_fmt("/proc/%d/task/%d/children", (int)pid, (int)pid);
	char *s = th_read_file(path);
	pid_t c = s != NULL ? (pid_t)strtol(s, NULL, 10) : 0;

	free(path);
	free(s);
	return c;
}

/* Item 18 / acceptance 4: the broker dies while the worker is inside an intercepted call:
 * the call does not hang the worker. */
START_TEST(test_broker_death_does_not_hang_worker)
{
	struct e2e_result r;
	char *key, *mark;
	pid_t pid, worker;
	int i;

	if (!e2e_need_root("broker_death"))
		return;
	setup_tree("intercept open\n");
	chmod(env.dir, 0777);
	key = th_fmt("%s/key", tree);
	mark = th_fmt("%s/mark", env.dir);
	{
		const char *argv[] = {"run", "-p", env.policy, probe, "hang", key, mark, NULL};
		pid = e2e_start(argv, &r);
	}
	for (i = 0; i < 1000 && access(mark, F_OK) != 0; i++)
		usleep(5000);
	ck_assert_msg(access(mark, F_OK) == 0, "worker did not start");
	worker = child_of(pid);
	ck_assert_int_gt(worker, 0);
	/* freeze the broker: the worker's next open blocks in the kernel, waiting for it */
	ck_assert_int_eq(kill(pid, SIGSTOP), 0);
	usleep(100000);
	ck_assert_int_eq(kill(pid, SIGKILL), 0);
	e2e_wait(pid, 10, &r);
	/* the worker is gone promptly (its call failed and it was killed with the broker) */
	for (i = 0; i < 200 && kill(worker, 0) == 0; i++)
		usleep(10000);
	ck_assert_msg(kill(worker, 0) != 0, "worker %d still alive 2s after the broker died",
		      (int)worker);
	free(key), free(mark);
	e2e_result_free(&r);
}
END_TEST

static Suite *intercept_suite(void)
{
	Suite *s = suite_create("intercept");
	TCase *tc = tcase_create("intercept");

	tcase_add_checked_fixture(tc, NULL, teardown_tree);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_cat_reads_root_only_file);
	tcase_add_test(tc, test_http_server_binds_port_80);
	tcase_add_test(tc, test_http_server_without_rule_fails_as_usual);
	tcase_add_test(tc, test_path_rewrite_race_never_escapes);
	tcase_add_test(tc, test_bad_pointers_fail);
	tcase_add_test(tc, test_signal_storm_leaks_nothing);
	tcase_add_test(tc, test_threads_vfork_relative_cloexec);
	tcase_add_test(tc, test_worker_cannot_add_listener);
	tcase_add_test(tc, test_broker_death_does_not_hang_worker);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return th_run_suite(intercept_suite());
}
