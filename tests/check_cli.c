/*
 * check_cli.c — the policy tooling: fdbroker check, dump and explain, and the socket(2)
 * address-family restriction they describe.
 *
 * The commands run as separate processes with their output captured: build/fdbroker when its
 * command line knows the subcommand, otherwise (until main.c dispatches to broker/cli.h) the
 * same entry point in a forked child of this test. Every run has an alarm, so a hang (an
 * include cycle, say) fails the test instead of stalling the suite. Policies are written to a
 * private temp dir and loaded with --insecure-policy, so the tests need no root.
 */
#define _GNU_SOURCE
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"
#include "filter.h"
#include "helpers.h"

/* The launch-mode example; line numbers are part of the expectations below. */
static const char example_policy[] = TH_ACCEPT_POLICY;

static char *dir;

static void setup(void)
{
	dir = th_tmpdir();
}

static void teardown(void)
{
	th_rmrf(dir);
	free(dir);
	dir = NULL;
}

static char *write_policy(const char *name, const char *text)
{
	char *path = th_fmt("%s/%s", dir, name);

	th_write_file(path, text, 0644);
	return path;
}

struct run {
	int status; /* exit status, or 128+signal */
	char *out;
	char *err;
};

static void run_free(struct run *r)
{
	free(r->out);
	free(r->err);
}

/* Does build/fdbroker dispatch `cmd` to broker/cli.h yet? An unknown command exits 2, and so
 * does the older check, which has no --format. */
static bool binary_knows(const char *cmd)
{
	char *line = th_fmt("%s/fdbroker %s %s--help >/dev/null 2>&1", th_build_dir(), cmd,
			    strcmp(cmd, "explain") != 0 ? "--format text " : "");
	int r = system(line);

	free(line);
	return r != -1 && WIFEXITED(r) && WEXITSTATUS(r) == 0;
}

/* Run `fdbroker ARGV...` (argv[0] is the subcommand), capturing stdout and stderr. */
static void run_cli(char *const argv[], struct run *ret)
{
	char *outp = th_fmt("%s/.out", dir), *errp = th_fmt("%s/.err", dir);
	char *bin = th_fmt("%s/fdbroker", th_build_dir());
	bool exec_it = binary_knows(argv[0]);
	int status, argc;
	pid_t pid;

	for (argc = 0; argv[argc] != NULL; argc++)
		;
	fflush(NULL);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		int o = open(outp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		int e = open(errp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		char **full = calloc((size_t)argc + 2, sizeof(*full));
		int r = 127;

		if (o < 0 || e < 0 || full == NULL || dup2(o, 1) < 0 || dup2(e, 2) < 0)
			_exit(127);
		alarm(20);
		if (exec_it) {
			full[0] = bin;
			memcpy(full + 1, argv, (size_t)argc * sizeof(*argv));
			execv(bin, full);
			_exit(127);
		}
		if (strcmp(argv[0], "check") == 0)
			r = cli_check(argc, (char **)argv);
		else if (strcmp(argv[0], "dump") == 0)
			r = cli_dump(argc, (char **)argv);
		else if (strcmp(argv[0], "explain") == 0)
			r = cli_explain(argc, (char **)argv);
		fflush(NULL);
		_exit(r);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ret->status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	ret->out = th_read_file(outp);
	ret->err = th_read_file(errp);
	ck_assert_ptr_nonnull(ret->out);
	ck_assert_ptr_nonnull(ret->err);
	free(bin);
	free(errp);
	free(outp);
}

/* ---- explain ----------------------------------------------------------------------------- */

struct verdict_case {
	const char *request[4]; /* explain words after the policy, NULL-terminated */
	int status;             /* 0 allow, 1 deny, 2 usage */
	const char *first;      /* the first output line starts with this */
	const char *decided;    /* "decided by" line contains this (NULL: not checked) */
};

static const struct verdict_case explain_table[] = {
	{{"open", "/srv/fdbroker-accept/secret/x", "read"}, 1,
	 "deny  open /srv/fdbroker-accept/secret/x read", "ex.policy:8: deny open"},
	{{"open", "/srv/fdbroker-accept/a/b", "read"}, 0, "allow open /srv/fdbroker-accept/a/b read",
	 "ex.policy:7: allow open /srv/fdbroker-accept/** read"},
	{{"open", "/srv/fdbroker-accept/a/b"}, 0, "allow open /srv/fdbroker-accept/a/b read",
	 "ex.policy:7"},
	{{"open", "/srv/fdbroker-accept/a/b", "write"}, 1, "deny  open", "no rule"},
	{{"open", "/srv/fdbroker-accept/a/../secret/x"}, 1, "deny  open", "built-in default"},
	{{"connect", "tcp:127.0.0.1:5433"}, 1, "deny  connect tcp:127.0.0.1:5433", "no rule"},
	{{"connect", "tcp:127.0.0.1:5432"}, 0, "allow connect tcp:127.0.0.1:5432",
	 "ex.policy:9: allow connect tcp 127.0.0.1:5432"},
	{{"bind", "tcp:127.0.0.1:80"}, 1, "deny  bind", "no rule"},
	{{"syscall", "ptrace"}, 1, "deny  syscall ptrace", "ex.policy:11: seccomp default kill"},
	{{"syscall", "read"}, 0, "allow syscall read", "ex.policy:12: seccomp allow @system-service"},
	{{"syscall", "clone3"}, 1, "deny  syscall clone3", "built-in default"},
	{{"syscall", "no_such_syscall"}, 2, NULL, NULL},
	{{"connect", "tcp:300.1.1.1:80"}, 2, NULL, NULL},
	{{"open", "relative/path"}, 2, NULL, NULL},
	{{"frobnicate", "x"}, 2, NULL, NULL},
};

START_TEST(explain_verdicts)
{
	const struct verdict_case *c = &explain_table[_i];
	char *pol = write_policy("ex.policy", example_policy);
	char *argv[10] = {"explain", "--insecure-policy", "-p", pol};
	struct run r;
	int k;

	for (k = 0; c->request[k] != NULL; k++)
		argv[4 + k] = (char *)c->request[k];
	run_cli(argv, &r);
	ck_assert_msg(r.status == c->status, "%s %s: exit %d, want %d\n%s%s", c->request[0],
		      c->request[1], r.status, c->status, r.out, r.err);
	if (c->first != NULL)
		ck_assert_msg(strncmp(r.out, c->first, strlen(c->first)) == 0,
			      "want '%s' first, got:\n%s", c->first, r.out);
	if (c->decided != NULL) {
		const char *d = strstr(r.out, "  decided by ");
		ck_assert_msg(d != NULL && strstr(d, c->decided) != NULL &&
				      strstr(d, "\n  reason: ") != NULL,
			      "want decided by ...%s... and a reason, got:\n%s", c->decided, r.out);
	}
	if (c->status == 2)
		ck_assert_msg(r.err[0] != '\0', "a usage error says why");
	run_free(&r);
	free(pol);
}
END_TEST

/* deny wins over allow: the reason names the allow rule that lost */
START_TEST(explain_deny_names_the_losing_allow)
{
	char *pol = write_policy("ex.policy", example_policy);
	char *argv[] = {"explain", "--insecure-policy", "-p", pol, "open",
			"/srv/fdbroker-accept/secret/y", "read", NULL};
	struct run r;

	run_cli(argv, &r);
	ck_assert_int_eq(r.status, 1);
	ck_assert_ptr_nonnull(strstr(r.out, "reason: deny rules win over allow rules"));
	ck_assert_ptr_nonnull(strstr(r.out, "ex.policy:7 would allow it"));
	run_free(&r);
	free(pol);
}
END_TEST

/* several requests: exit 1 if any is denied; argument restrictions are noted */
START_TEST(explain_many_requests_and_notes)
{
	char *pol = write_policy("ex.policy", example_policy);
	char *argv[] = {"explain", "--insecure-policy", "-p", pol, "syscall", "read", "syscall",
			"ioctl", "syscall", "clone", "connect", "tcp:127.0.0.1:5432", NULL};
	char *usage[] = {"explain", "--insecure-policy", "-p", pol, NULL};
	struct run r;

	run_cli(argv, &r);
	ck_assert_int_eq(r.status, 0);
	ck_assert_ptr_nonnull(strstr(r.out, "TIOCSTI"));
	ck_assert_ptr_nonnull(strstr(r.out, "CLONE_NEW"));
	run_free(&r);
	run_cli(usage, &r);
	ck_assert_int_eq(r.status, 2);
	run_free(&r);
	free(pol);
}
END_TEST

/* ---- dump -------------------------------------------------------------------------------- */

/* Does `python3 -m json.tool` accept the file? */
static bool json_parses(const char *text)
{
	char *path = th_fmt("%s/.json", dir);
	char *cmd = th_fmt("python3 -m json.tool %s >/dev/null", path);
	int r;

	th_write_file(path, text, 0600);
	r = system(cmd);
	free(cmd);
	free(path);
	return r != -1 && WIFEXITED(r) && WEXITSTATUS(r) == 0;
}

START_TEST(dump_json_parses)
{
	char *pol = write_policy("ex.policy", example_policy);
	char *argv[] = {"dump", "--insecure-policy", "--format", "json", "-p", pol, NULL};
	struct run r;

	run_cli(argv, &r);
	ck_assert_msg(r.status == 0, "exit %d: %s", r.status, r.err);
	ck_assert_msg(json_parses(r.out), "not JSON:\n%s", r.out);
	ck_assert_ptr_nonnull(strstr(r.out, "\"seccomp\": {"));
	ck_assert_ptr_nonnull(strstr(r.out, "\"default\": {\"action\": \"kill\""));
	ck_assert_ptr_nonnull(strstr(r.out, "\"@system-service\": ["));
	ck_assert_ptr_nonnull(strstr(r.out, "\"@basic-io\": ["));
	ck_assert_ptr_nonnull(strstr(r.out, "{\"name\": \"read\", "));
	ck_assert_ptr_nonnull(strstr(r.out, "\"name\": \"execve\""));
	ck_assert_ptr_nonnull(strstr(r.out, "TIOCSTI"));
	ck_assert_ptr_nonnull(strstr(r.out, "\"backlog\": 64"));
	/* the default group is shown resolved */
	ck_assert_ptr_nonnull(strstr(r.out, "\"group\": {\"name\": \"nogroup\""));
	run_free(&r);
	free(pol);
}
END_TEST

static const char main_with_include[] =
	"version 1\n"
	"user nobody\n"
	"allow connect tcp 127.0.0.1:5432\n"
	"include \"more.policy\"\n"
	"allow open /srv/b/** read\n"
	"seccomp default errno EPERM\n"
	"seccomp deny @timer errno ENOSYS\n";
static const char included[] =
	"version 1\n"
	"allow open /srv/a/** read write create mode 0640\n"
	"deny open /srv/a/private/**\n";

START_TEST(dump_text_stable_and_expanded)
{
	char *inc = write_policy("more.policy", included);
	char *pol = write_policy("main.policy", main_with_include);
	char *argv[] = {"dump", "--insecure-policy", "-p", pol, NULL};
	struct run a, b, c;
	char *again, *chk[] = {"check", "--insecure-policy", NULL, NULL};
	const char *x, *y;

	run_cli(argv, &a);
	run_cli(argv, &b);
	ck_assert_msg(a.status == 0, "exit %d: %s", a.status, a.err);
	ck_assert_str_eq(a.out, b.out);
	/* the included rules are there, with their own file and line, open rules sorted first */
	x = strstr(a.out, "allow open \"/srv/a/**\" read write create mode 0640  # ");
	ck_assert_ptr_nonnull(x);
	ck_assert_ptr_nonnull(strstr(x, "more.policy:2\n"));
	y = strstr(a.out, "deny open \"/srv/a/private/**\"");
	ck_assert_ptr_nonnull(y);
	ck_assert(x < y);
	ck_assert(y < strstr(a.out, "allow open \"/srv/b/**\" read"));
	ck_assert(strstr(a.out, "allow open \"/srv/b/**\"") < strstr(a.out, "allow connect"));
	/* every default visible, groups expanded, the plan's decisions */
	ck_assert_ptr_nonnull(strstr(a.out, "group nogroup  # built-in default"));
	ck_assert_ptr_nonnull(strstr(a.out, "seccomp default errno EPERM"));
	ck_assert_ptr_nonnull(strstr(a.out, "seccomp deny alarm errno ENOSYS  # @timer"));
	ck_assert_ptr_nonnull(strstr(a.out, "seccomp allow read  # @basic-io"));
	ck_assert_ptr_nonnull(strstr(a.out, "capabilities none  # built-in default"));
	/* the text is itself a policy that check accepts */
	again = write_policy("again.policy", a.out);
	chk[2] = again;
	run_cli(chk, &c);
	ck_assert_msg(c.status == 0, "dump output does not check:\n%s", c.err);
	run_free(&c);
	run_free(&b);
	run_free(&a);
	free(again);
	free(pol);
	free(inc);
}
END_TEST

START_TEST(dump_usage_and_errors)
{
	char *bad = write_policy("bad.policy", "version 1\nuser nobody\nlisen x\n");
	char *a1[] = {"dump", NULL};
	char *a2[] = {"dump", "--insecure-policy", "--format", "xml", "-p", bad, NULL};
	char *a3[] = {"dump", "--insecure-policy", "-p", bad, NULL};
	struct run r;

	run_cli(a1, &r);
	ck_assert_int_eq(r.status, 2);
	run_free(&r);
	run_cli(a2, &r);
	ck_assert_int_eq(r.status, 2);
	run_free(&r);
	run_cli(a3, &r);
	ck_assert_int_eq(r.status, 1);
	ck_assert_ptr_nonnull(strstr(r.err, "bad.policy:3:1: error: unknown statement 'lisen'"));
	run_free(&r);
	free(bad);
}
END_TEST

/* ---- check ------------------------------------------------------------------------------- */

START_TEST(check_json_reports_typo)
{
	char *text = strdup(example_policy), *line7, *pol, *good;
	char *argv[] = {"check", "--insecure-policy", "--format", "json", NULL, NULL, NULL};
	struct run r;

	/* line 7 becomes "lisen ..." */
	line7 = strstr(text, "allow open /srv/fdbroker-accept/** read");
	ck_assert_ptr_nonnull(line7);
	memcpy(line7, "lisen", 5);
	pol = write_policy("typo.policy", text);
	good = write_policy("ex.policy", example_policy);
	argv[4] = good;
	argv[5] = pol;
	run_cli(argv, &r);
	ck_assert_int_eq(r.status, 1);
	ck_assert_msg(json_parses(r.out), "not JSON:\n%s", r.out);
	ck_assert_ptr_nonnull(strstr(r.out, "typo.policy\", \"line\": 7, \"column\": 1, "
					    "\"severity\": \"error\""));
	ck_assert_ptr_nonnull(strstr(r.out, "'lisen'"));
	ck_assert_str_eq(r.err, "");
	run_free(&r);
	/* clean: an empty array, exit 0 */
	argv[5] = NULL;
	run_cli(argv, &r);
	ck_assert_int_eq(r.status, 0);
	ck_assert_str_eq(r.out, "[]\n");
	run_free(&r);
	free(good);
	free(pol);
	free(text);
}
END_TEST

START_TEST(check_unknown_user_is_an_error)
{
	char *pol = write_policy("u.policy", "version 1\nuser no-such-user-fdb\n");
	char *t[] = {"check", "--insecure-policy", pol, NULL};
	char *j[] = {"check", "--insecure-policy", "--format", "json", pol, NULL};
	struct run r;

	run_cli(t, &r);
	ck_assert_int_eq(r.status, 1);
	ck_assert_ptr_nonnull(strstr(r.err, "u.policy:2:1: error: unknown user 'no-such-user-fdb'"));
	run_free(&r);
	run_cli(j, &r);
	ck_assert_int_eq(r.status, 1);
	ck_assert(json_parses(r.out));
	ck_assert_ptr_nonnull(strstr(r.out, "unknown user 'no-such-user-fdb'"));
	run_free(&r);
	free(pol);
}
END_TEST

/* two files including each other: a clear error, exit 1, and no hang (run_cli has an alarm) */
START_TEST(check_include_cycle)
{
	char *a = write_policy("a.policy", "version 1\nuser nobody\ninclude \"b.policy\"\n");
	char *b = write_policy("b.policy", "version 1\ninclude \"a.policy\"\n");
	char *t[] = {"check", "--insecure-policy", a, NULL};
	char *j[] = {"check", "--insecure-policy", "--format", "json", a, NULL};
	struct run r;

	run_cli(t, &r);
	ck_assert_int_eq(r.status, 1);
	ck_assert_ptr_nonnull(strstr(r.err, "error: include cycle: "));
	ck_assert_ptr_nonnull(strstr(r.err, "included from here"));
	run_free(&r);
	run_cli(j, &r);
	ck_assert_int_eq(r.status, 1);
	ck_assert(json_parses(r.out));
	ck_assert_ptr_nonnull(strstr(r.out, "include cycle"));
	ck_assert_ptr_nonnull(strstr(r.out, "\"included_from\": [{\"file\": "));
	run_free(&r);
	free(b);
	free(a);
}
END_TEST

START_TEST(check_usage)
{
	char *a1[] = {"check", NULL};
	char *a2[] = {"check", "--format", "yaml", "x", NULL};
	char *a3[] = {"check", "--insecure-policy", "/nonexistent/fdb.policy", NULL};
	struct run r;

	run_cli(a1, &r);
	ck_assert_int_eq(r.status, 2);
	run_free(&r);
	run_cli(a2, &r);
	ck_assert_int_eq(r.status, 2);
	run_free(&r);
	run_cli(a3, &r);
	ck_assert_int_eq(r.status, 1);
	ck_assert_ptr_nonnull(strstr(r.err, "/nonexistent/fdb.policy"));
	run_free(&r);
}
END_TEST

/* ---- socket address families ------------------------------------------------------------- */

static const char family_policy[] = "version 1\n"
				    "user nobody\n"
				    "seccomp default errno EPERM\n"
				    "seccomp allow @system-service\n"
				    "seccomp allow socket family unix,inet6\n";

static struct policy *load_text(const char *text)
{
	struct policy_diags d = {0};
	struct policy *p = NULL;

	ck_assert_int_eq(policy_load_string("t.policy", text, strlen(text), POLICY_LOAD_TRUST_FILE,
					    &p, &d),
			 0);
	policy_diags_free(&d);
	return p;
}

START_TEST(socket_family_parsed)
{
	struct policy *p = load_text(family_policy);

	ck_assert(p->socket_families_set);
	ck_assert(p->socket_families_mask == ((1ull << AF_UNIX) | (1ull << AF_INET6)));
	ck_assert_uint_eq(p->socket_families_loc.line, 5);
	policy_free(p);
	p = load_text("version 1\nuser nobody\n");
	ck_assert(!p->socket_families_set);
	policy_free(p);
}
END_TEST

/* Forked by Check: the filter stays in this child. */
/* The filter runs in a child of the test that ends with _exit(): nothing (not even
 * LeakSanitizer's exit-time ptrace in sanitizer builds) runs after it under the filter. */
static int family_probe(const struct filter_plan *plan)
{
	int listener = -1, fd;
	long r;

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 || filter_load(plan, &listener) != 0)
		return 10;
	if (listener != -1)
		return 11;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return 12;
	close(fd);
	fd = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return 13;
	close(fd);
	errno = 0;
	if (socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0) != -1 || errno != EAFNOSUPPORT)
		return 14;
	errno = 0;
	if (socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, 0) != -1 || errno != EAFNOSUPPORT)
		return 15;
	errno = 0;
	if (socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0) != -1 || errno != EAFNOSUPPORT)
		return 16;
	/* high bits do not slip past: the kernel reads an int, so must the filter */
	errno = 0;
	r = syscall(SYS_socket, 0x100000000L | AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (r != -1 || errno != EAFNOSUPPORT)
		return 17;
	/* a family number past the headers' AF_MAX is refused too */
	errno = 0;
	if (socket(200, SOCK_STREAM, 0) != -1 || errno != EAFNOSUPPORT)
		return 18;
	return 0;
}

START_TEST(socket_family_enforced)
{
	struct policy *p = load_text(family_policy);
	struct filter_plan *plan = NULL;
	int st = 0;
	pid_t pid;

	ck_assert_int_eq(filter_plan_build(p, -1, &plan), 0);
	ck_assert(!filter_plan_needs_listener(plan));
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0)
		_exit(family_probe(plan));
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0,
		      "probe under the filter failed at step %d (status %#x)", WEXITSTATUS(st), st);
	filter_plan_free(plan);
	policy_free(p);
}
END_TEST

/* Under intercept, a request no rule decides is run by the kernel as the worker: explain says
 * so instead of leaving "refused" as the whole story. */
START_TEST(explain_notes_intercept)
{
	char *pol = write_policy("i.policy", "version 1\nuser nobody\n"
					     "allow open /srv/x/** read\nintercept open\n");
	char *e[] = {"explain", "--insecure-policy", "-p", pol, "open", "/etc/passwd", NULL};
	char *c[] = {"explain", "--insecure-policy", "-p", pol, "connect", "tcp:127.0.0.1:5", NULL};
	struct run r;

	run_cli(e, &r);
	ck_assert_int_eq(r.status, 1);
	ck_assert_ptr_nonnull(strstr(r.out, "note: under 'intercept' ("));
	ck_assert_ptr_nonnull(strstr(r.out, "i.policy:4), the program's own call is not refused"));
	run_free(&r);
	/* connect is not intercepted by this policy: no note */
	run_cli(c, &r);
	ck_assert_int_eq(r.status, 1);
	ck_assert_ptr_null(strstr(r.out, "note: under 'intercept'"));
	run_free(&r);
	free(pol);
}
END_TEST

START_TEST(socket_family_in_dump_and_explain)
{
	char *pol = write_policy("f.policy", family_policy);
	char *d[] = {"dump", "--insecure-policy", "--format", "json", "-p", pol, NULL};
	char *t[] = {"dump", "--insecure-policy", "-p", pol, NULL};
	char *e[] = {"explain", "--insecure-policy", "-p", pol, "syscall", "socket", NULL};
	struct run r;

	run_cli(d, &r);
	ck_assert_int_eq(r.status, 0);
	ck_assert(json_parses(r.out));
	ck_assert_ptr_nonnull(strstr(r.out, "\"families\": \"unix,inet6\""));
	run_free(&r);
	run_cli(t, &r);
	ck_assert_int_eq(r.status, 0);
	ck_assert_ptr_nonnull(strstr(r.out, "seccomp allow socket family unix,inet6  # "));
	run_free(&r);
	run_cli(e, &r);
	ck_assert_int_eq(r.status, 0);
	ck_assert_ptr_nonnull(strstr(r.out, "EAFNOSUPPORT"));
	run_free(&r);
	free(pol);
}
END_TEST

static Suite *cli_suite(void)
{
	Suite *s = suite_create("cli");
	TCase *tc;

	tc = tcase_create("explain");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, explain_verdicts, 0,
			    (int)(sizeof(explain_table) / sizeof(explain_table[0])));
	tcase_add_test(tc, explain_deny_names_the_losing_allow);
	tcase_add_test(tc, explain_many_requests_and_notes);
	suite_add_tcase(s, tc);

	tc = tcase_create("dump");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, dump_json_parses);
	tcase_add_test(tc, dump_text_stable_and_expanded);
	tcase_add_test(tc, dump_usage_and_errors);
	suite_add_tcase(s, tc);

	tc = tcase_create("check");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, check_json_reports_typo);
	tcase_add_test(tc, check_unknown_user_is_an_error);
	tcase_add_test(tc, check_include_cycle);
	tcase_add_test(tc, check_usage);
	suite_add_tcase(s, tc);

	tc = tcase_create("socket_family");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, socket_family_parsed);
	tcase_add_test(tc, socket_family_enforced);
	tcase_add_test(tc, socket_family_in_dump_and_explain);
	tcase_add_test(tc, explain_notes_intercept);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return th_run_suite(cli_suite());
}
