/*
 * check_launch.c — end-to-end tests of `fdbroker run` (launch mode), as root: real
 * processes, real sockets, real privilege drops and seccomp filters.
 */
#define _GNU_SOURCE
#include <check.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "e2e.h"
#include "helpers.h"

#define PY "/usr/bin/python3"

/* The launch-mode acceptance policy, verbatim. */
static const char accept_policy[] = TH_ACCEPT_POLICY;

/* A minimal policy with no listeners, for exit-status and sandbox tests. */
static const char plain_policy[] = "version 1\n"
				   "user nobody\n"
				   "group nogroup\n"
				   "seccomp default kill\n"
				   "seccomp allow @system-service\n";

static struct e2e_env env;

static void setup(void)
{
	memset(&env, 0, sizeof(env));
}

static void teardown(void)
{
	e2e_env_free(&env);
}

static char *probe_path(void)
{
	return th_copy_exec("tests/probes/launch_probe.py", env.dir);
}

static char *helper_path(const char *name)
{
	char *src = th_fmt("%s/tests/helpers/%s", th_build_dir(), name);
	char *dst = th_copy_exec(src, env.dir);
	free(src);
	return dst;
}


START_TEST(test_acceptance_policy_runs_socket_activated_python)
{
	struct e2e_result r;
	char *probe, *answer, expect_pid[64], *pid_env;
	pid_t pid;

	if (!e2e_need_root("acceptance_policy"))
		return;
	e2e_env_init(&env, accept_policy);
	probe = probe_path();
	{
		const char *argv[] = {"run", "-p", env.policy, "--", PY, probe,
				      "--stat=/run/fdbroker-accept/ctl.sock", "--serve", NULL};
		pid = e2e_start(argv, &r);
	}
	answer = e2e_tcp_fetch(80, 10);
	e2e_wait(pid, 20, &r);
	ck_assert_msg(r.status == 0, "status %d, stderr:\n%s", r.status, r.err);

	/* a client connecting to 127.0.0.1:80 gets its answer, from uid 65534 */
	ck_assert_ptr_nonnull(answer);
	assert_has(answer, "uid 65534");
	/* socket activation, in the final process */
	assert_has(r.out, "\"LISTEN_FDS\": \"3\"");
	assert_has(r.out, "\"LISTEN_FDNAMES\": \"http:ctl:log\"");
	pid_env = strstr(r.out, "\"LISTEN_PID\": \"");
	ck_assert_ptr_nonnull(pid_env);
	snprintf(expect_pid, sizeof(expect_pid), "\"pid\": %ld,",
		 strtol(pid_env + strlen("\"LISTEN_PID\": \""), NULL, 10));
	assert_has(r.out, expect_pid);
	{
		char *from = th_fmt("hello from pid %ld uid 65534",
				    strtol(pid_env + strlen("\"LISTEN_PID\": \""), NULL, 10));
		assert_has(answer, from);
		free(from);
	}
	/* fd 3: TCP listening on 127.0.0.1:80; fd 4: listening unix socket, mode 0600;
	 * fd 5: the log, append-only */
	assert_has(r.out, "{\"fd\": 3, \"mode\": \"0o777\", \"kind\": \"socket\", \"family\": "
			  "\"inet\", \"type\": \"stream\", \"name\": [\"127.0.0.1\", 80], "
			  "\"listening\": true");
	assert_has(r.out, "{\"fd\": 4, \"mode\": \"0o777\", \"kind\": \"socket\", \"family\": "
			  "\"unix\", \"type\": \"stream\", \"name\": "
			  "\"/run/fdbroker-accept/ctl.sock\", \"listening\": true");
	assert_has(r.out, "\"/run/fdbroker-accept/ctl.sock\": \"0o600\"");
	assert_has(r.out, "{\"fd\": 5, \"mode\": \"0o640\", \"kind\": \"file\", \"path\": "
			  "\"/var/log/fdbroker-accept/access.log\", \"append\": true, "
			  "\"accmode\": \"w\"");
	/* identity and sandbox state */
	assert_has(r.out, "\"resuid\": [65534, 65534, 65534]");
	assert_has(r.out, "\"resgid\": [65534, 65534, 65534]");
	assert_has(r.out, "\"groups\": []");
	assert_has(r.out, "\"CapInh\": [\"0000000000000000\"], \"CapPrm\": [\"0000000000000000\"], "
			  "\"CapEff\": [\"0000000000000000\"], \"CapBnd\": [\"0000000000000000\"], "
			  "\"CapAmb\": [\"0000000000000000\"]");
	assert_has(r.out, "\"NoNewPrivs\": [\"1\"], \"Seccomp\": [\"2\"]");
	/* exactly 0-2, 3-5 and the channel */
	assert_has(r.out, "\"FDBROKER_FD\": \"6\"");
	assert_has(r.out, "\"fds\": [0, 1, 2, 3, 4, 5, 6]");
	free(answer);
	free(probe);
	e2e_result_free(&r);
}
END_TEST

START_TEST(test_no_inherited_fds_leak_into_worker)
{
	struct e2e_result r;
	char *probe;
	int leaked;

	if (!e2e_need_root("no_inherited_fds"))
		return;
	e2e_env_init(&env, plain_policy);
	probe = probe_path();
	/* an fd without CLOEXEC in fdbroker's parent is inherited by fdbroker... */
	leaked = open("/etc/hostname", O_RDONLY);
	ck_assert_int_ge(leaked, 3);
	{
		const char *argv[] = {"run", "-p", env.policy, PY, probe, NULL};
		e2e_run(argv, 20, &r);
	}
	close(leaked);
	ck_assert_msg(r.status == 0, "status %d: %s", r.status, r.err);
	/* ...but never reaches the worker: no LISTEN_FDS, only 0-2 and the channel at 3 */
	assert_has(r.out, "\"LISTEN_FDS\": null");
	assert_has(r.out, "\"FDBROKER_FD\": \"3\"");
	assert_has(r.out, "\"fds\": [0, 1, 2, 3]");
	free(probe);
	e2e_result_free(&r);
}
END_TEST

START_TEST(test_exit_status_is_the_workers)
{
	struct e2e_result r;
	const char *argv[] = {"run", "-p", NULL, "/bin/sh", "-c", "exit 7", NULL};

	if (!e2e_need_root("exit_status"))
		return;
	e2e_env_init(&env, plain_policy);
	argv[2] = env.policy;
	e2e_run(argv, 20, &r);
	ck_assert_int_eq(r.status, 7);
	e2e_result_free(&r);
}
END_TEST

START_TEST(test_exit_status_128_plus_signal)
{
	struct e2e_result r;
	const char *argv[] = {"run", "-p", NULL, "/bin/sh", "-c", "kill -USR1 $$", NULL};

	if (!e2e_need_root("exit_signal"))
		return;
	e2e_env_init(&env, plain_policy);
	argv[2] = env.policy;
	e2e_run(argv, 20, &r);
	ck_assert_int_eq(r.status, 128 + SIGUSR1);
	e2e_result_free(&r);
}
END_TEST

START_TEST(test_sigterm_to_fdbroker_reaches_worker)
{
	struct e2e_result r;
	char *marker;
	pid_t pid;
	int i;
	const char *argv[] = {"run", "-p", NULL, "/bin/sh", "-c", NULL, NULL};

	if (!e2e_need_root("sigterm_forwarded"))
		return;
	e2e_env_init(&env, plain_policy);
	marker = th_fmt("%s/started", env.dir);
	chmod(env.dir, 0777);
	argv[2] = env.policy;
	argv[5] = th_fmt("trap 'exit 42' TERM; : > %s; while :; do sleep 0.05; done", marker);
	pid = e2e_start(argv, &r);
	for (i = 0; i < 1000 && access(marker, F_OK) != 0; i++)
		usleep(10000);
	ck_assert_msg(access(marker, F_OK) == 0, "worker did not start");
	ck_assert_int_eq(kill(pid, SIGTERM), 0);
	e2e_wait(pid, 20, &r);
	ck_assert_msg(r.status == 42, "status %d: %s", r.status, r.err);
	free((char *)argv[5]);
	free(marker);
	e2e_result_free(&r);
}
END_TEST

START_TEST(test_missing_command_127)
{
	struct e2e_result r;
	const char *argv[] = {"run", "-p", NULL, "/nonexistent/command", NULL};

	if (!e2e_need_root("missing_command"))
		return;
	e2e_env_init(&env, plain_policy);
	argv[2] = env.policy;
	e2e_run(argv, 20, &r);
	ck_assert_int_eq(r.status, 127);
	assert_has(r.err, "cannot run '/nonexistent/command': No such file or directory");
	e2e_result_free(&r);
}
END_TEST

START_TEST(test_not_executable_126)
{
	struct e2e_result r;
	char *file;
	const char *argv[] = {"run", "-p", NULL, NULL, NULL};

	if (!e2e_need_root("not_executable"))
		return;
	e2e_env_init(&env, plain_policy);
	file = th_fmt("%s/not-exec", env.dir);
	th_write_file(file, "#!/bin/sh\nexit 0\n", 0644);
	argv[2] = env.policy;
	argv[3] = file;
	e2e_run(argv, 20, &r);
	ck_assert_int_eq(r.status, 126);
	assert_has(r.err, "Permission denied");
	free(file);
	e2e_result_free(&r);
}
END_TEST

START_TEST(test_bad_policy_125_with_location)
{
	struct e2e_result r;
	const char *argv[] = {"run", "-p", NULL, "/bin/true", NULL};

	if (!e2e_need_root("bad_policy"))
		return;
	e2e_env_init(&env, "version 1\nuser nobody\nlisen http tcp 127.0.0.1:80\n");
	argv[2] = env.policy;
	e2e_run(argv, 20, &r);
	ck_assert_int_eq(r.status, 125);
	assert_has(r.err, "test.policy:3:1: error:");
	assert_has(r.err, "listen");
	e2e_result_free(&r);
}
END_TEST

START_TEST(test_unknown_user_125_with_location)
{
	struct e2e_result r;
	const char *argv[] = {"run", "-p", NULL, "/bin/true", NULL};

	if (!e2e_need_root("unknown_user"))
		return;
	e2e_env_init(&env, "version 1\nuser no-such-user-here\n");
	argv[2] = env.policy;
	e2e_run(argv, 20, &r);
	ck_assert_int_eq(r.status, 125);
	assert_has(r.err, "test.policy:2:1: error: unknown user 'no-such-user-here'");
	e2e_result_free(&r);
}
END_TEST

START_TEST(test_writable_policy_refused_unless_insecure)
{
	struct e2e_result r;
	const char *argv[] = {"run", "-p", NULL, "/bin/true", NULL};
	const char *argv2[] = {"run", "--insecure-policy", "-p", NULL, "/bin/true", NULL};

	if (!e2e_need_root("writable_policy"))
		return;
	e2e_env_init(&env, plain_policy);
	ck_assert_int_eq(chmod(env.policy, 0666), 0);
	argv[2] = env.policy;
	e2e_run(argv, 20, &r);
	ck_assert_int_eq(r.status, 125);
	assert_has(r.err, "writable");
	e2e_result_free(&r);
	argv2[3] = env.policy;
	e2e_run(argv2, 20, &r);
	ck_assert_msg(r.status == 0, "status %d: %s", r.status, r.err);
	e2e_result_free(&r);
}
END_TEST

/* Denied syscalls are stopped and named, with the deciding policy line. */
static void expect_killed_and_named(const char *attack, const char *line)
{
	struct e2e_result r;
	char *helper = helper_path("attack");
	const char *argv[] = {"run", "-p", env.policy, helper, attack, NULL};
	char *named = th_fmt("called %s (syscall", attack);

	e2e_run(argv, 20, &r);
	ck_assert_msg(r.status == 128 + SIGKILL, "%s: status %d\n%s%s", attack, r.status, r.out,
		      r.err);
	assert_has(r.err, named);
	assert_has(r.err, line);
	ck_assert_ptr_null(strstr(r.out, "SUCCEEDED"));
	free(named);
	free(helper);
	e2e_result_free(&r);
}

START_TEST(test_ptrace_stopped_and_named)
{
	if (!e2e_need_root("ptrace_stopped"))
		return;
	e2e_env_init(&env, accept_policy);
	expect_killed_and_named("ptrace", "test.policy:11: seccomp default kill");
}
END_TEST

START_TEST(test_mount_stopped_and_named)
{
	if (!e2e_need_root("mount_stopped"))
		return;
	e2e_env_init(&env, accept_policy);
	expect_killed_and_named("mount", "test.policy:11: seccomp default kill");
}
END_TEST

START_TEST(test_explicit_deny_rule_is_named)
{
	if (!e2e_need_root("deny_named"))
		return;
	e2e_env_init(&env, "version 1\nuser nobody\nseccomp allow @system-service\n"
			   "seccomp deny getppid\n");
	{
		struct e2e_result r;
		const char *argv[] = {"run", "-p", env.policy, "/bin/sh", "-c",
				      "exec " PY " -c 'import os; os.getppid()'", NULL};
		e2e_run(argv, 20, &r);
		ck_assert_int_eq(r.status, 128 + SIGKILL);
		assert_has(r.err, "called getppid (syscall");
		assert_has(r.err, "denied by");
		assert_has(r.err, "test.policy:4");
		e2e_result_free(&r);
	}
}
END_TEST

START_TEST(test_default_errno_fails_call_without_killing)
{
	struct e2e_result r;
	char *helper;

	if (!e2e_need_root("default_errno"))
		return;
	e2e_env_init(&env, "version 1\nuser nobody\nseccomp default errno EPERM\n"
			   "seccomp allow @system-service\n");
	helper = helper_path("attack");
	{
		const char *argv[] = {"run", "-p", env.policy, helper, "ptrace", NULL};
		e2e_run(argv, 20, &r);
	}
	ck_assert_msg(r.status == 0, "status %d: %s", r.status, r.err);
	assert_has(r.out, "ptrace: blocked (Operation not permitted)");
	free(helper);
	e2e_result_free(&r);
}
END_TEST

/* Under @system-service every one of these fails or kills the worker; none succeeds. */
static const char *const attacks[] = {
	"ptrace",	 "ptrace-parent",     "mount",	     "unshare-user",
	"unshare-user-highbits", "clone-newns", "setns",	     "chroot",
	"tiocsti",	 "tiocsti-highbits",  "setuid0",     "setresuid0",
	"setgroups",	 "int80-open",	      "x32-getpid",  "io_uring",
	"bpf",		 "perf_event_open",   "userfaultfd", "keyctl",
	"init_module",	 "kexec_load",	      "process_vm_writev", "pidfd_getfd",
	"seccomp-listener", "pivot_root", "capset-raise",
};

START_TEST(test_sandbox_attack_blocked)
{
	struct e2e_result r;
	char *helper;
	const char *attack = attacks[_i];

	if (!e2e_need_root("sandbox_attack"))
		return;
	e2e_env_init(&env, plain_policy); /* kill by default, @system-service allowed */
	helper = helper_path("attack");
	{
		const char *argv[] = {"run", "-p", env.policy, helper, attack, NULL};
		e2e_run(argv, 20, &r);
	}
	ck_assert_msg(strstr(r.out, "SUCCEEDED") == NULL, "%s succeeded under the sandbox",
		      attack);
	ck_assert_msg((r.status == 0 && strstr(r.out, "blocked") != NULL) ||
			      r.status == 128 + SIGKILL || r.status == 128 + SIGSYS,
		      "%s: unexpected status %d\n%s%s", attack, r.status, r.out, r.err);
	free(helper);
	e2e_result_free(&r);
}
END_TEST

START_TEST(test_capabilities_keep_is_ambient)
{
	struct e2e_result r;
	const char *argv[] = {"run", "-p", NULL, PY, "-c",
			      "import socket;s=socket.socket();s.bind(('127.0.0.1',1000));"
			      "print(open('/proc/self/status').read())",
			      NULL};

	if (!e2e_need_root("caps_keep"))
		return;
	e2e_env_init(&env, "version 1\nuser nobody\ncapabilities keep net_bind_service\n");
	argv[2] = env.policy;
	e2e_run(argv, 20, &r);
	ck_assert_msg(r.status == 0, "status %d: %s", r.status, r.err);
	assert_has(r.out, "CapEff:\t0000000000000400");
	assert_has(r.out, "CapAmb:\t0000000000000400");
	assert_has(r.out, "CapBnd:\t0000000000000400");
	assert_has(r.out, "NoNewPrivs:\t1");
	e2e_result_free(&r);
}
END_TEST

START_TEST(test_ipv6_and_udp_listeners)
{
	struct e2e_result r;
	char *probe;

	if (!e2e_need_root("ipv6_udp"))
		return;
	e2e_env_init(&env, "version 1\nuser nobody\n"
			   "listen web6 tcp [::1]:8443 backlog 8\n"
			   "listen dns udp 127.0.0.1:8053\n");
	probe = probe_path();
	{
		const char *argv[] = {"run", "-p", env.policy, PY, probe, NULL};
		e2e_run(argv, 20, &r);
	}
	ck_assert_msg(r.status == 0, "status %d: %s", r.status, r.err);
	assert_has(r.out, "\"LISTEN_FDNAMES\": \"web6:dns\"");
	assert_has(r.out, "\"family\": \"inet6\", \"type\": \"stream\", \"name\": [\"::1\", 8443, "
			  "0, 0], \"listening\": true");
	assert_has(r.out, "\"family\": \"inet\", \"type\": \"dgram\", \"name\": [\"127.0.0.1\", "
			  "8053], \"listening\": false");
	free(probe);
	e2e_result_free(&r);
}
END_TEST

START_TEST(test_check_exit_codes)
{
	struct e2e_result r;
	char *bad;

	e2e_env_init(&env, plain_policy);
	{
		const char *argv[] = {"check", env.policy, NULL};
		e2e_run(argv, 20, &r);
		ck_assert_msg(r.status == 0, "clean policy: %d %s", r.status, r.err);
		e2e_result_free(&r);
	}
	bad = th_fmt("%s/bad.policy", env.dir);
	th_write_file(bad, "version 1\nuser nobody\nlisen x tcp 127.0.0.1:1\n", 0644);
	{
		const char *argv[] = {"check", env.policy, bad, NULL};
		e2e_run(argv, 20, &r);
		ck_assert_int_eq(r.status, 1);
		assert_has(r.err, "bad.policy:3:1: error:");
		e2e_result_free(&r);
	}
	{
		const char *argv[] = {"check", NULL};
		e2e_run(argv, 20, &r);
		ck_assert_int_eq(r.status, 2);
		e2e_result_free(&r);
	}
	{
		const char *argv[] = {"check", "--no-such-option", env.policy, NULL};
		e2e_run(argv, 20, &r);
		ck_assert_int_eq(r.status, 2);
		e2e_result_free(&r);
	}
	free(bad);
}
END_TEST

/* Once the worker runs, the broker keeps only the capabilities its runtime rules need and
 * runs under its own seccomp filter. */
START_TEST(test_broker_restricts_itself)
{
	struct e2e_result r;
	const char *argv[] = {"run", "-p", NULL, "/bin/sh", "-c", "cat /proc/$PPID/status", NULL};

	if (!e2e_need_root("broker_restricts_itself"))
		return;
	/* allow-open rules: CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH and CAP_KILL */
	e2e_env_init(&env, accept_policy);
	argv[2] = env.policy;
	e2e_run(argv, 20, &r);
	ck_assert_msg(r.status == 0, "status %d: %s", r.status, r.err);
	assert_has(r.out, "CapPrm:\t0000000000000026");
	assert_has(r.out, "CapEff:\t0000000000000026");
	assert_has(r.out, "CapBnd:\t0000000000000026");
	assert_has(r.out, "NoNewPrivs:\t1");
	assert_has(r.out, "Seccomp:\t2");
	e2e_result_free(&r);
	e2e_env_free(&env);
	/* no runtime rules: CAP_KILL only (to forward signals to a worker of another uid) */
	e2e_env_init(&env, plain_policy);
	argv[2] = env.policy;
	e2e_run(argv, 20, &r);
	ck_assert_msg(r.status == 0, "status %d: %s", r.status, r.err);
	assert_has(r.out, "CapEff:\t0000000000000020");
	assert_has(r.out, "Seccomp:\t2");
	e2e_result_free(&r);
}
END_TEST

/* A Type=notify service is reported ready through a notify socket that only accepts the
 * main pid (fdbroker's): the broker relays the worker's READY=1 and STATUS=, drops MAINPID=. */
START_TEST(test_readiness_relayed_from_main_pid)
{
	struct e2e_result r;
	struct sockaddr_un sun;
	char *path, buf[4096], got[4096] = "";
	union {
		char b[CMSG_SPACE(sizeof(struct ucred))];
		struct cmsghdr a;
	} ctl;
	int fd, one = 1, i;
	pid_t pid;
	const char *argv[] = {"run", "-p", NULL, PY, "-c",
			      "import os, socket\n"
			      "a = os.environ['NOTIFY_SOCKET']\n"
			      "a = '\\0' + a[1:] if a[0] == '@' else a\n"
			      "s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)\n"
			      "s.sendto(b'MAINPID=1\\nREADY=1\\nSTATUS=serving', a)\n"
			      "print('sent to', os.environ['NOTIFY_SOCKET'])\n",
			      NULL};

	if (!e2e_need_root("readiness"))
		return;
	e2e_env_init(&env, plain_policy);
	path = th_fmt("%s/notify.sock", env.dir);
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	strcpy(sun.sun_path, path);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	ck_assert_int_eq(setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &one, sizeof(one)), 0);
	{
		struct timeval tv = {.tv_sec = 10};
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	}
	setenv("NOTIFY_SOCKET", path, 1);
	argv[2] = env.policy;
	pid = e2e_start(argv, &r);
	for (i = 0; i < 10 && got[0] == '\0'; i++) {
		struct iovec iov = {buf, sizeof(buf) - 1};
		struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.b,
				     .msg_controllen = sizeof(ctl.b)};
		struct cmsghdr *c;
		ssize_t n = recvmsg(fd, &msg, 0);
		ck_assert_msg(n >= 0, "no sd_notify message arrived");
		buf[n] = '\0';
		c = CMSG_FIRSTHDR(&msg);
		ck_assert_ptr_nonnull(c);
		/* like systemd with NotifyAccess=main: only the main pid counts */
		if (((struct ucred *)CMSG_DATA(c))->pid == pid)
			strcpy(got, buf);
	}
	e2e_wait(pid, 20, &r);
	ck_assert_msg(r.status == 0, "status %d: %s", r.status, r.err);
	assert_has(r.out, "sent to @fdbroker-notify/");
	assert_has(got, "READY=1\n");
	assert_has(got, "STATUS=serving\n");
	ck_assert_ptr_null(strstr(got, "MAINPID"));
	close(fd);
	free(path);
	e2e_result_free(&r);
}
END_TEST

/* Item 28: exec of a setuid-root binary and of a file-capability binary gains nothing. */
START_TEST(test_setuid_and_file_caps_gain_nothing)
{
	struct e2e_result r;
	char *suid, *fcap, *script;
	const char *argv[] = {"run", "-p", NULL, "/bin/sh", "-c", NULL, NULL};

	if (!e2e_need_root("setuid_exec"))
		return;
	e2e_env_init(&env, plain_policy);
	suid = th_copy_exec("/usr/bin/id", env.dir);
	ck_assert_int_eq(chmod(suid, 04755), 0); /* setuid root */
	fcap = th_copy_exec(PY, env.dir);
	{
		char *cmd = th_fmt("setcap cap_net_bind_service,cap_dac_override+ep '%s'", fcap);
		if (system(cmd) != 0) {
			printf("SKIP file-capability half: setcap not available\n");
			free(fcap);
			fcap = NULL;
		}
		free(cmd);
	}
	script = th_fmt("%s -u; %s -c \"import socket,os\n"
			"s=socket.socket()\n"
			"try:\n s.bind(('127.0.0.1',1001)); print('BOUND')\n"
			"except OSError as e: print('bind', e.errno)\n"
			"print([l for l in open('/proc/self/status') if l.startswith('CapEff')][0])\""
			" || echo exec-refused",
			suid, fcap != NULL ? fcap : PY);
	argv[2] = env.policy;
	argv[5] = script;
	e2e_run(argv, 20, &r);
	ck_assert_msg(r.status == 0, "status %d: %s", r.status, r.err);
	/* the setuid bit is ignored under no_new_privs: still 65534 */
	assert_has(r.out, "65534\n");
	/* file capabilities give nothing: the kernel refuses the exec (the bounding set cannot
	 * satisfy the file's effective bit), or it runs without them */
	ck_assert_ptr_null(strstr(r.out, "BOUND"));
	ck_assert_msg(strstr(r.out, "exec-refused") != NULL ||
			      (strstr(r.out, "bind 13") != NULL &&
			       strstr(r.out, "CapEff:\t0000000000000000") != NULL),
		      "unexpected:\n%s", r.out);
	free(suid), free(fcap), free(script);
	e2e_result_free(&r);
}
END_TEST

/* Item 26: every thread of the worker has the sandbox's ids, capabilities and filter. */
START_TEST(test_every_worker_thread_is_sandboxed)
{
	struct e2e_result r;
	const char *argv[] = {"run", "-p", NULL, PY, "-c",
			      "import threading, os\n"
			      "ev = threading.Event()\n"
			      "ts = [threading.Thread(target=ev.wait) for _ in range(4)]\n"
			      "[t.start() for t in ts]\n"
			      "for tid in sorted(os.listdir('/proc/self/task')):\n"
			      "  st = open('/proc/self/task/%s/status' % tid).read().splitlines()\n"
			      "  keep = [l for l in st if l.split(':')[0] in ('Uid', 'Gid', 'Groups',"
			      " 'CapInh', 'CapPrm', 'CapEff', 'CapAmb', 'NoNewPrivs', 'Seccomp')]\n"
			      "  print(' '.join(' '.join(l.split()) for l in keep))\n"
			      "ev.set()\n",
			      NULL};
	char *line, *p;
	int n = 0;

	if (!e2e_need_root("worker_threads"))
		return;
	e2e_env_init(&env, plain_policy);
	argv[2] = env.policy;
	e2e_run(argv, 20, &r);
	ck_assert_msg(r.status == 0, "status %d: %s", r.status, r.err);
	for (line = strtok_r(r.out, "\n", &p); line != NULL; line = strtok_r(NULL, "\n", &p)) {
		ck_assert_str_eq(line, "Uid: 65534 65534 65534 65534 Gid: 65534 65534 65534 65534 "
				       "Groups: CapInh: 0000000000000000 CapPrm: 0000000000000000 "
				       "CapEff: 0000000000000000 CapAmb: 0000000000000000 "
				       "NoNewPrivs: 1 Seccomp: 2");
		n++;
	}
	ck_assert_int_eq(n, 5);
	e2e_result_free(&r);
}
END_TEST

START_TEST(test_help_and_version)
{
	struct e2e_result r;
	const char *help[] = {"--help", NULL};
	const char *version[] = {"--version", NULL};

	e2e_run(help, 10, &r);
	ck_assert_int_eq(r.status, 0);
	assert_has(r.out, "fdbroker run -p POLICY");
	assert_has(r.out, "fdbroker check");
	e2e_result_free(&r);
	e2e_run(version, 10, &r);
	ck_assert_int_eq(r.status, 0);
	assert_has(r.out, "fdbroker ");
	e2e_result_free(&r);
}
END_TEST

static Suite *launch_suite(void)
{
	Suite *s = suite_create("launch");
	TCase *tc = tcase_create("launch");
	TCase *tsb = tcase_create("sandbox");
	TCase *cli = tcase_create("cli");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_acceptance_policy_runs_socket_activated_python);
	tcase_add_test(tc, test_no_inherited_fds_leak_into_worker);
	tcase_add_test(tc, test_exit_status_is_the_workers);
	tcase_add_test(tc, test_exit_status_128_plus_signal);
	tcase_add_test(tc, test_sigterm_to_fdbroker_reaches_worker);
	tcase_add_test(tc, test_missing_command_127);
	tcase_add_test(tc, test_not_executable_126);
	tcase_add_test(tc, test_bad_policy_125_with_location);
	tcase_add_test(tc, test_unknown_user_125_with_location);
	tcase_add_test(tc, test_writable_policy_refused_unless_insecure);
	tcase_add_test(tc, test_capabilities_keep_is_ambient);
	tcase_add_test(tc, test_ipv6_and_udp_listeners);
	tcase_add_test(tc, test_broker_restricts_itself);
	tcase_add_test(tc, test_readiness_relayed_from_main_pid);
	tcase_add_test(tc, test_setuid_and_file_caps_gain_nothing);
	tcase_add_test(tc, test_every_worker_thread_is_sandboxed);
	suite_add_tcase(s, tc);

	tcase_add_checked_fixture(tsb, setup, teardown);
	tcase_set_timeout(tsb, 60);
	tcase_add_test(tsb, test_ptrace_stopped_and_named);
	tcase_add_test(tsb, test_mount_stopped_and_named);
	tcase_add_test(tsb, test_explicit_deny_rule_is_named);
	tcase_add_test(tsb, test_default_errno_fails_call_without_killing);
	tcase_add_loop_test(tsb, test_sandbox_attack_blocked, 0,
			    (int)(sizeof(attacks) / sizeof(attacks[0])));
	suite_add_tcase(s, tsb);

	tcase_add_checked_fixture(cli, setup, teardown);
	tcase_set_timeout(cli, 30);
	tcase_add_test(cli, test_check_exit_codes);
	tcase_add_test(cli, test_help_and_version);
	suite_add_tcase(s, cli);
	return s;
}

int main(void)
{
	return th_run_suite(launch_suite());
}
