/*
 * check_runtime.c — end-to-end tests of runtime brokering: a service linked against
 * libfdbroker (tests/helpers/rtclient) asks a real broker for files and sockets, as root.
 * Covers the runtime-brokering acceptance list and security-tests.md items 1-11.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "e2e.h"
#include "helpers.h"

static struct e2e_env env;
static char *tree;   /* an allowed tree inside env.dir */
static char *client; /* copy of rtclient the worker can execute */

/* Policy: the tree is readable, tree/secret denied, tree/rw writable with create+truncate,
 * connect to 127.0.0.1:15432, bind 127.0.0.1:81. */
static void setup_tree(const char *extra)
{
	char *policy, *p;

	memset(&env, 0, sizeof(env));
	env.dir = th_tmpdir();
	tree = th_fmt("%s/tree", env.dir);
	policy = th_fmt("version 1\n"
			"user nobody\n"
			"group nogroup\n"
			"listen http tcp 127.0.0.1:18080\n"
			"allow open %s/** read directory\n"
			"deny open %s/secret/**\n"
			"allow open %s/rw/** read write create truncate mode 0640\n"
			"allow connect tcp 127.0.0.1:15432\n"
			"allow bind tcp 127.0.0.1:81\n"
			"allow connect unix %s/root.sock\n"
			"%s",
			tree, tree, tree, env.dir, extra ? extra : "");
	env.policy = th_fmt("%s/test.policy", env.dir);
	th_write_file(env.policy, policy, 0644);
	free(policy);
	ck_assert_int_eq(mkdir(tree, 0700), 0); /* only root can enter: the broker must open */
	p = th_fmt("%s/secret", tree);
	ck_assert_int_eq(mkdir(p, 0700), 0);
	free(p);
	p = th_fmt("%s/rw", tree);
	ck_assert_int_eq(mkdir(p, 0700), 0);
	free(p);
	p = th_fmt("%s/sub", tree);
	ck_assert_int_eq(mkdir(p, 0700), 0);
	free(p);
	p = th_fmt("%s/key", tree);
	th_write_file(p, "root-only-key\n", 0600);
	free(p);
	p = th_fmt("%s/secret/x", tree);
	th_write_file(p, "top-secret\n", 0600);
	free(p);
	p = th_fmt("%s/sub/y", tree);
	th_write_file(p, "why\n", 0600);
	free(p);
	client = th_copy_helper("rtclient", env.dir);
}

static void teardown_tree(void)
{
	e2e_env_free(&env);
	free(tree);
	free(client);
	tree = client = NULL;
}


/* Run rtclient under the test policy with the given commands. */
static void run_client(const char *const cmds[], struct e2e_result *r)
{
	const char *argv[64] = {"run", "-p", env.policy, client};
	size_t n = 4, i;

	for (i = 0; cmds[i] != NULL && n < 63; i++)
		argv[n++] = cmds[i];
	argv[n] = NULL;
	e2e_run(argv, 60, r);
}

START_TEST(test_root_only_file_opens_read_only)
{
	struct e2e_result r;
	char *key;

	if (!e2e_need_root("root_only_file"))
		return;
	setup_tree(NULL);
	key = th_fmt("%s/key", tree);
	{
		const char *cmds[] = {"direct", key, "open", key, "r", "open", key, "w",
				      "open", key, "rw", NULL};
		run_client(cmds, &r);
	}
	ck_assert_msg(r.status == 0, "%d %s", r.status, r.err);
	{
		char *direct = th_fmt("direct %s: EACCES", key);
		char *ok = th_fmt("open %s: fd ", key);
		assert_has(r.out, direct);
		assert_has(r.out, ok);
		assert_has(r.out, "cloexec 1 content 'root-only-key'");
		free(direct);
		free(ok);
	}
	/* write access is refused by policy, twice */
	{
		char *p = th_fmt("open %s: EACCES\nopen %s: EACCES", key, key);
		assert_has(r.out, p);
		free(p);
	}
	free(key);
	e2e_result_free(&r);
}
END_TEST

/* Everything under deny, .. escapes, symlinks out of the tree, magic links: refused. */
START_TEST(test_escapes_refused)
{
	struct e2e_result r;
	char *link_out, *link_secret, *link_dir, *link_loop, *p1, *p2, *p3, *p4, *p5, *p6, *p7;

	if (!e2e_need_root("escapes"))
		return;
	setup_tree(NULL);
	link_out = th_fmt("%s/out", tree);
	ck_assert_int_eq(symlink("/etc/shadow", link_out), 0);
	link_secret = th_fmt("%s/tosecret", tree);
	ck_assert_int_eq(symlink("secret/x", link_secret), 0);
	link_dir = th_fmt("%s/root", tree);
	ck_assert_int_eq(symlink("/", link_dir), 0);
	link_loop = th_fmt("%s/loop", tree);
	ck_assert_int_eq(symlink("loop", link_loop), 0);
	p1 = th_fmt("%s/secret/x", tree);
	p2 = th_fmt("%s/sub/../secret/x", tree);
	p3 = th_fmt("%s/root/etc/shadow", tree);
	p4 = th_fmt("%s/sub/../../../../etc/shadow", tree);
	p5 = th_fmt("%s//sub/./y", tree);
	p6 = th_fmt("%s/sub/y/", tree);
	p7 = th_fmt("%s/nope", tree);
	{
		const char *cmds[] = {"open", p1,	   "r", "open", p2,	     "r",
				      "open", link_out,    "r", "open", link_secret, "r",
				      "open", p3,	   "r", "open", p4,	     "r",
				      "open", link_loop,   "r", "open", "/proc/self/root/etc/shadow",
				      "r",    "open",	   "/etc/shadow", "r", "open", p5, "r",
				      "open", p6,	   "r", "open", p7, "r", "open", "", "r",
				      "open", "relative",  "r", NULL};
		run_client(cmds, &r);
	}
	ck_assert_msg(r.status == 0, "%d %s", r.status, r.err);
	/* no file outside the allowed tree (or inside the denied one) was ever read */
	assert_lacks(r.out, "top-secret");
	assert_lacks(r.out, "root:");
	{
		const char *refused[] = {p1, p2, link_out, link_secret, p3, p4, link_loop,
					 "/proc/self/root/etc/shadow", "/etc/shadow", NULL};
		size_t i;
		for (i = 0; refused[i] != NULL; i++) {
			char *line = th_fmt("open %s: E", refused[i]);
			assert_has(r.out, line);
			free(line);
		}
	}
	/* harmless spellings are normalized and granted: "//", "/./" */
	{
		char *ok = th_fmt("open %s: fd", p5);
		assert_has(r.out, ok);
		free(ok);
	}
	/* a trailing slash asks for a directory: y is a file */
	{
		char *l = th_fmt("open %s: ENOTDIR", p6);
		assert_has(r.out, l);
		free(l);
	}
	{
		char *l = th_fmt("open %s: ENOENT", p7);
		assert_has(r.out, l);
		free(l);
	}
	assert_has(r.out, "open : ENOENT");
	/* the deny rule is named in the audit log */
	assert_has(r.err, "test.policy:6)");
	free(link_out), free(link_secret), free(link_dir), free(link_loop);
	free(p1), free(p2), free(p3), free(p4), free(p5), free(p6), free(p7);
	e2e_result_free(&r);
}
END_TEST

/* Open flags: an allowlist; each flag needs its right. */
START_TEST(test_open_flags_checked)
{
	struct e2e_result r;
	char *key, *newf, *dir, *line;

	if (!e2e_need_root("open_flags"))
		return;
	setup_tree(NULL);
	key = th_fmt("%s/key", tree);
	newf = th_fmt("%s/rw/new.log", tree);
	dir = th_fmt("%s/sub", tree);
	{
		const char *cmds[] = {"open", key,  "rt",	  "open", key,	"P",
				      "open", dir,  "T",	  "open", key,	"rc",
				      "open", key,  "0x40000000", "open", newf, "wc",
				      "open", newf, "wt",	  "open", dir,	"rd",
				      NULL};
		run_client(cmds, &r);
	}
	ck_assert_msg(r.status == 0, "%d %s", r.status, r.err);
	line = th_fmt("open %s: EINVAL\nopen %s: EINVAL\nopen %s: EINVAL\nopen %s: EACCES\n"
		      "open %s: EINVAL\nopen %s: fd",
		      key, key, dir, key, key, newf);
	assert_has(r.out, line);
	free(line);
	line = th_fmt("open %s: fd", dir);
	assert_has(r.out, line);
	free(line);
	{
		struct stat st;
		ck_assert_int_eq(stat(newf, &st), 0);
		/* the policy's mode, owned by the worker that asked for it */
		ck_assert_int_eq(st.st_mode & 07777, 0640);
		ck_assert_int_eq(st.st_uid, 65534);
	}
	free(key), free(newf), free(dir);
	e2e_result_free(&r);
}
END_TEST

/* FIFOs and devices in the tree are not handed over and do not block the broker. */
START_TEST(test_fifo_and_device_refused)
{
	struct e2e_result r;
	char *fifo, *dev, *key, *line;

	if (!e2e_need_root("fifo_device"))
		return;
	setup_tree(NULL);
	fifo = th_fmt("%s/fifo", tree);
	dev = th_fmt("%s/null", tree);
	key = th_fmt("%s/key", tree);
	ck_assert_int_eq(mkfifo(fifo, 0666), 0);
	ck_assert_int_eq(mknod(dev, S_IFCHR | 0666, makedev(1, 3)), 0);
	{
		const char *cmds[] = {"open", fifo, "r", "open", dev, "r", "open", key, "r", NULL};
		run_client(cmds, &r);
	}
	ck_assert_msg(r.status == 0, "%d %s", r.status, r.err);
	line = th_fmt("open %s: EACCES\nopen %s: EACCES\nopen %s: fd", fifo, dev, key);
	assert_has(r.out, line);
	free(line), free(fifo), free(dev), free(key);
	e2e_result_free(&r);
}
END_TEST

static void *serve_once(void *arg)
{
	int srv = *(int *)arg, c = accept4(srv, NULL, NULL, SOCK_CLOEXEC);

	if (c >= 0) {
		if (write(c, "db-hello", 8) != 8)
			fprintf(stderr, "serve_once: short write\n");
		close(c);
	}
	return NULL;
}

static int tcp_listener(int port)
{
	struct sockaddr_in sin;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;

	ck_assert_int_ge(fd, 0);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	ck_assert_int_eq(listen(fd, 4), 0);
	return fd;
}

START_TEST(test_connect_and_listen_by_policy)
{
	struct e2e_result r;
	pthread_t th;
	int srv;

	if (!e2e_need_root("connect_listen"))
		return;
	setup_tree(NULL);
	srv = tcp_listener(15432);
	pthread_create(&th, NULL, serve_once, &srv);
	{
		const char *cmds[] = {"connect",  "tcp:127.0.0.1:15432", "connect",
				      "tcp:127.0.0.1:15433", "connect", "tcp:[::1]:15432",
				      "connect",  "tcp:localhost:15432", "listen",
				      "tcp:127.0.0.1:81", "listen", "tcp:127.0.0.1:82",
				      "bind-self", "82", "fd", "http", "fd", "nope", NULL};
		run_client(cmds, &r);
	}
	pthread_join(th, NULL);
	close(srv);
	ck_assert_msg(r.status == 0, "%d %s", r.status, r.err);
	assert_has(r.out, "connect tcp:127.0.0.1:15432: fd 5 cloexec 1 read 'db-hello'");
	assert_has(r.out, "connect tcp:127.0.0.1:15433: EACCES");
	assert_has(r.out, "connect tcp:[::1]:15432: EACCES");
	assert_has(r.out, "connect tcp:localhost:15432: EINVAL");
	assert_has(r.out, "listen tcp:127.0.0.1:81: fd 5 listening 1");
	assert_has(r.out, "listen tcp:127.0.0.1:82: EACCES");
	assert_has(r.out, "bind-self 82: EACCES"); /* the worker cannot bind it itself */
	assert_has(r.out, "fd http: 3");
	assert_has(r.out, "fd nope: -1");
	e2e_result_free(&r);
}
END_TEST

/* A root-only unix socket the worker cannot reach itself. */
START_TEST(test_connect_root_only_unix_socket)
{
	struct e2e_result r;
	struct sockaddr_un sun;
	pthread_t th;
	char *path, *addr, *line;
	int srv;

	if (!e2e_need_root("unix_connect"))
		return;
	setup_tree(NULL);
	path = th_fmt("%s/root.sock", env.dir);
	srv = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	strcpy(sun.sun_path, path);
	ck_assert_int_eq(bind(srv, (struct sockaddr *)&sun, sizeof(sun)), 0);
	ck_assert_int_eq(chmod(path, 0600), 0);
	ck_assert_int_eq(listen(srv, 4), 0);
	pthread_create(&th, NULL, serve_once, &srv);
	addr = th_fmt("unix:%s", path);
	{
		const char *cmds[] = {"connect", addr, NULL};
		run_client(cmds, &r);
	}
	pthread_join(th, NULL);
	close(srv);
	line = th_fmt("connect %s: fd 5 cloexec 1 read 'db-hello'", addr);
	assert_has(r.out, line);
	free(line), free(addr), free(path);
	e2e_result_free(&r);
}
END_TEST

START_TEST(test_open_many_64)
{
	struct e2e_result r;
	char *key;

	if (!e2e_need_root("open_many"))
		return;
	setup_tree(NULL);
	key = th_fmt("%s/key", tree);
	{
		const char *cmds[] = {"many", "64", key, "many", "300", key, NULL};
		run_client(cmds, &r);
	}
	ck_assert_msg(r.status == 0, "%d %s", r.status, r.err);
	assert_has(r.out, "many: 64 fds (first 5) cloexec 1");
	/* more than one message's worth (253) is split transparently */
	assert_has(r.out, "many: 300 fds (first 5) cloexec 1");
	free(key);
	e2e_result_free(&r);
}
END_TEST

static long broker_rss_kb(pid_t pid)
{
	char *path = th_fmt("/proc/%d/status", (int)pid), *s = th_read_file(path), *v;
	long kb = -1;

	free(path);
	if (s != NULL && (v = strstr(s, "VmRSS:")) != NULL)
		kb = strtol(v + 6, NULL, 10);
	free(s);
	return kb;
}

static int broker_fds(pid_t pid)
{
	char *cmd = th_fmt("ls /proc/%d/fd | wc -l", (int)pid);
	FILE *f = popen(cmd, "r");
	int n = -1;

	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(fscanf(f, "%d", &n), 1);
	pclose(f);
	free(cmd);
	return n;
}

static void wait_file(const char *path)
{
	int i;

	for (i = 0; i < 6000 && access(path, F_OK) != 0; i++)
		usleep(5000);
	ck_assert_msg(access(path, F_OK) == 0, "timed out waiting for %s", path);
}

/* 100,000 mixed granted and refused requests: the broker's fds and memory stay put. */
START_TEST(test_100k_requests_leave_broker_unchanged)
{
	struct e2e_result r;
	char *key, *denied, *m1, *m2, *r1, *r2;
	int fds_before, fds_after;
	long rss_before, rss_after;
	pid_t pid;

	if (!e2e_need_root("100k_requests"))
		return;
	setup_tree(NULL);
	chmod(env.dir, 0777);
	key = th_fmt("%s/key", tree);
	denied = th_fmt("%s/secret/x", tree);
	m1 = th_fmt("%s/m1", env.dir);
	m2 = th_fmt("%s/m2", env.dir);
	r1 = th_fmt("%s.ready", m1);
	r2 = th_fmt("%s.ready", m2);
	{
		const char *argv[] = {"run", "-p", env.policy, client, "loop", "2000", key, denied,
				      "wait", m1, "loop", "100000", key, denied, "wait", m2, NULL};
		pid = e2e_start(argv, &r);
	}
	wait_file(r1);
	fds_before = broker_fds(pid);
	rss_before = broker_rss_kb(pid);
	th_write_file(m1, "", 0644);
	wait_file(r2);
	fds_after = broker_fds(pid);
	rss_after = broker_rss_kb(pid);
	th_write_file(m2, "", 0644);
	e2e_wait(pid, 120, &r);
	ck_assert_msg(r.status == 0, "%d %.2000s", r.status, r.err);
	assert_has(r.out, "loop: 50000 granted 50000 refused");
	ck_assert_int_eq(fds_after, fds_before);
	/* no growth beyond noise: allocator slack, not per-request state */
	ck_assert_msg(rss_after - rss_before < 512, "broker RSS grew from %ld to %ld kB",
		      rss_before, rss_after);
	free(key), free(denied), free(m1), free(m2), free(r1), free(r2);
	e2e_result_free(&r);
}
END_TEST

/* Hostile messages cost the sender, never the broker (security-tests.md items 1-4). */
START_TEST(test_hostile_messages_do_not_disturb_broker)
{
	struct e2e_result r;
	char *key, *m1, *r1, *m2, *r2, *valid_env;
	int fds_before, fds_after;
	pid_t pid;

	if (!e2e_need_root("hostile_messages"))
		return;
	setup_tree(NULL);
	chmod(env.dir, 0777);
	key = th_fmt("%s/key", tree);
	m1 = th_fmt("%s/m1", env.dir);
	r1 = th_fmt("%s.ready", m1);
	m2 = th_fmt("%s/m2", env.dir);
	r2 = th_fmt("%s.ready", m2);
	valid_env = th_fmt("RT_VALID=%s", key);
	putenv(valid_env);
	{
		const char *argv[] = {"run", "-p", env.policy, client, "wait", m1, "garbage",
				      "wait", m2, NULL};
		pid = e2e_start(argv, &r);
	}
	wait_file(r1);
	fds_before = broker_fds(pid);
	th_write_file(m1, "", 0644);
	wait_file(r2);
	fds_after = broker_fds(pid);
	th_write_file(m2, "", 0644);
	e2e_wait(pid, 60, &r);
	ck_assert_msg(r.status == 0, "%d %.3000s", r.status, r.err);
	/* a valid request afterwards still succeeds, and the broker holds what it held */
	assert_has(r.out, "garbage: valid open after: fd");
	assert_has(r.err, "refused a message");
	ck_assert_int_eq(fds_after, fds_before);
	free(key), free(m1), free(r1), free(m2), free(r2);
	e2e_result_free(&r);
}
END_TEST

/* The audit log names the policy line for every grant and refusal. */
START_TEST(test_audit_log_names_rules)
{
	struct e2e_result r;
	char *key, *secret, *line;

	if (!e2e_need_root("audit_log"))
		return;
	setup_tree(NULL);
	key = th_fmt("%s/key", tree);
	secret = th_fmt("%s/secret/x", tree);
	{
		const char *cmds[] = {"open", key, "r", "open", secret, "r", "open", "/etc/passwd",
				      "r", "connect", "tcp:127.0.0.1:9", NULL};
		run_client(cmds, &r);
	}
	line = th_fmt("open \"%s\" (read): allow (%s:5)", key, env.policy);
	assert_has(r.err, line);
	free(line);
	line = th_fmt("open \"%s\" (read): deny (%s:6)", secret, env.policy);
	assert_has(r.err, line);
	free(line);
	assert_has(r.err, "open \"/etc/passwd\" (read): deny (no rule)");
	assert_has(r.err, "connect \"tcp:127.0.0.1:9\": deny (no rule)");
	e2e_result_free(&r);
	/* a target cannot close the quotes and fake a verdict */
	{
		const char *cmds[] = {"open", "/x\" (read): allow (fake:1) [", "r", NULL};
		run_client(cmds, &r);
		assert_has(r.err, "open \"/x\\\" (read): allow (fake:1) [\" (read): deny (no rule)");
	}
	free(key), free(secret);
	e2e_result_free(&r);
	{
		const char *argv[] = {"run", "--log-format", "json", "-p", env.policy, client,
				      "open", "/etc/passwd", "r", NULL};
		e2e_run(argv, 30, &r);
		/* one bare JSON object per line */
		ck_assert_msg(strncmp(r.err, "{\"worker\":", 10) == 0 ||
				      strstr(r.err, "\n{\"worker\":") != NULL,
			      "no bare JSON line in:\n%s", r.err);
		assert_has(r.err, "\"op\":\"open\",\"target\":\"/etc/passwd\",\"rights\":[\"read\"],"
				  "\"verdict\":\"deny\",\"rule\":null");
		e2e_result_free(&r);
	}
}
END_TEST

/* A worker at RLIMIT_NOFILE gets EMFILE; the broker stays consistent and serves the next
 * request once there is room (security-tests.md item 30). */
START_TEST(test_emfile_at_worker_fd_limit)
{
	struct e2e_result r;
	char *key, *line;

	if (!e2e_need_root("emfile"))
		return;
	setup_tree(NULL);
	key = th_fmt("%s/key", tree);
	{
		/* 0-2, the http listener (3) and the channel (4) are open: a limit of 5 leaves
		 * no room for a received fd */
		const char *cmds[] = {"nofile", "5", "open", key, "r", "many", "3", key,
				      "nofile", "64", "open", key, "r", NULL};
		run_client(cmds, &r);
	}
	ck_assert_msg(r.status == 0, "%d %s", r.status, r.err);
	line = th_fmt("open %s: EMFILE", key);
	assert_has(r.out, line);
	free(line);
	assert_has(r.out, "many: -1 fds");
	line = th_fmt("nofile 64: set\nopen %s: fd 5 cloexec 1 content 'root-only-key'", key);
	assert_has(r.out, line);
	free(line), free(key);
	e2e_result_free(&r);
}
END_TEST

/* Item 5: a worker that floods requests and never reads a reply: the broker keeps one
 * reply pending, stops reading that worker, and still forwards signals and exits. */
START_TEST(test_worker_that_never_reads_does_not_block_broker)
{
	struct e2e_result r;
	char *key;
	long rss;
	pid_t pid;
	int i;

	if (!e2e_need_root("never_reads"))
		return;
	setup_tree(NULL);
	key = th_fmt("%s/key", tree);
	{
		const char *argv[] = {"run", "-p", env.policy, client, "noread", "200000", key,
				      NULL};
		pid = e2e_start(argv, &r);
	}
	for (i = 0; i < 100; i++) { /* let the flood fill both socket buffers */
		usleep(20000);
	}
	rss = broker_rss_kb(pid);
	ck_assert_msg(rss > 0 && rss < 16 * 1024, "broker RSS %ld kB", rss);
	ck_assert_int_eq(kill(pid, SIGTERM), 0);
	e2e_wait(pid, 10, &r);
	/* SIGTERM reached the worker through a broker that was not stuck */
	ck_assert_msg(r.status == 128 + SIGTERM, "status %d: %.2000s", r.status, r.err);
	assert_has(r.out, "noread: sent ");
	free(key);
	e2e_result_free(&r);
}
END_TEST

/* Item 6: the worker exits with requests in flight and replies unread: the broker ends
 * cleanly with the worker's status. */
START_TEST(test_worker_exits_mid_request)
{
	struct e2e_result r;
	char *key;

	if (!e2e_need_root("exit_mid_request"))
		return;
	setup_tree(NULL);
	key = th_fmt("%s/key", tree);
	{
		const char *cmds[] = {"flood-exit", "500", key, NULL};
		run_client(cmds, &r);
	}
	ck_assert_msg(r.status == 0, "%d %.2000s", r.status, r.err);
	assert_has(r.out, "flood-exit: sent ");
	ck_assert_ptr_null(strstr(r.err, "reading from the worker channel"));
	free(key);
	e2e_result_free(&r);
}
END_TEST

/* After the worker exits, a child it left behind that keeps flooding the channel must not
 * keep the broker serving (review finding): the broker exits with the worker's status. */
START_TEST(test_orphan_child_does_not_keep_broker)
{
	struct e2e_result r;
	char *key, *c;
	long child;

	if (!e2e_need_root("orphan_child"))
		return;
	setup_tree(NULL);
	key = th_fmt("%s/key", tree);
	{
		const char *cmds[] = {"orphan", "100000000", key, NULL};
		struct timespec t0, t1;
		clock_gettime(CLOCK_MONOTONIC, &t0);
		run_client(cmds, &r);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		/* the child floods for 20 s: a broker that kept serving it would last as long */
		ck_assert_msg(t1.tv_sec - t0.tv_sec < 10, "the broker lingered %ld s after the "
			      "worker exited", (long)(t1.tv_sec - t0.tv_sec));
	}
	c = strstr(r.out, "orphan: child ");
	child = c != NULL ? strtol(c + 14, NULL, 10) : 0;
	if (child > 0)
		kill((pid_t)child, SIGKILL);
	ck_assert_msg(r.status == 0, "%d %.2000s", r.status, r.err);
	ck_assert_int_gt(child, 0);
	free(key);
	e2e_result_free(&r);
}
END_TEST

/* Item 8: magic links are refused even where a rule allows the tree they live in. */
START_TEST(test_magic_links_refused)
{
	struct e2e_result r;
	char *line;

	if (!e2e_need_root("magic_links"))
		return;
	setup_tree("allow open /proc/** read\nallow open /dev/** read\n");
	{
		char *broker_fd = th_fmt("/proc/%d/fd/0", (int)getpid());
		const char *cmds[] = {"open", "/proc/self/root/etc/shadow", "r",
				      "open", "/proc/self/cwd/etc/shadow",  "r",
				      "open", "/proc/1/root/etc/shadow",    "r",
				      "open", "/dev/fd/0",		    "r",
				      "open", "/proc/self/status",	    "r",
				      NULL};
		run_client(cmds, &r);
		free(broker_fd);
	}
	ck_assert_msg(r.status == 0, "%d %s", r.status, r.err);
	ck_assert_ptr_null(strstr(r.out, "root:"));
	assert_has(r.out, "open /proc/self/root/etc/shadow: E");
	assert_has(r.out, "open /proc/self/cwd/etc/shadow: E");
	assert_has(r.out, "open /proc/1/root/etc/shadow: E");
	assert_has(r.out, "open /dev/fd/0: E");
	/* a plain file under /proc is fine: it is the broker's, and the rule allows it */
	line = th_fmt("open /proc/self/status: fd");
	assert_has(r.out, line);
	free(line);
	e2e_result_free(&r);
}
END_TEST

/* Unix sockets named by a worker are never reached through a symlink, never chowned and never
 * replaced: a worker that can write the socket's directory cannot turn the broker's root
 * rights on another file or socket (review findings: chown race, symlinked connect). */
START_TEST(test_unix_paths_resist_symlinks)
{
	struct e2e_result r;
	struct sockaddr_un sun;
	char *dir, *priv, *target, *bindp, *connp, *extra, *line;
	struct stat st;
	int srv;

	if (!e2e_need_root("unix_symlinks"))
		return;
	memset(&env, 0, sizeof(env));
	env.dir = th_tmpdir();
	dir = th_fmt("%s/w", env.dir);       /* the worker's own directory */
	priv = th_fmt("%s/priv", env.dir);   /* root only */
	ck_assert_int_eq(mkdir(dir, 0755), 0);
	ck_assert_int_eq(chown(dir, 65534, 65534), 0);
	ck_assert_int_eq(mkdir(priv, 0700), 0);
	target = th_fmt("%s/secret.sock", priv);
	srv = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	strcpy(sun.sun_path, target);
	ck_assert_int_eq(bind(srv, (struct sockaddr *)&sun, sizeof(sun)), 0);
	ck_assert_int_eq(listen(srv, 4), 0);
	bindp = th_fmt("%s/app.sock", dir);
	connp = th_fmt("%s/db.sock", dir);
	/* the worker planted these: a symlink where the allowed socket should be, and a
	 * symlink to a root-owned file where the broker would bind */
	ck_assert_int_eq(symlink(target, connp), 0);
	ck_assert_int_eq(symlink("/etc/hostname", bindp), 0);
	extra = th_fmt("version 1\nuser nobody\nallow bind unix %s\nallow connect unix %s\n",
		       bindp, connp);
	env.policy = th_fmt("%s/test.policy", env.dir);
	th_write_file(env.policy, extra, 0644);
	client = th_copy_helper("rtclient", env.dir);
	{
		char *b = th_fmt("unix:%s", bindp), *c = th_fmt("unix:%s", connp);
		const char *cmds[] = {"connect", c, "listen", b, NULL};
		run_client(cmds, &r);
		line = th_fmt("connect %s: ELOOP", c);
		assert_has(r.out, line);
		free(line);
		line = th_fmt("listen %s: EADDRINUSE", b);
		assert_has(r.out, line);
		free(line);
		free(b), free(c);
	}
	ck_assert_int_eq(lstat("/etc/hostname", &st), 0);
	ck_assert_int_eq(st.st_uid, 0); /* nothing was chowned */
	e2e_result_free(&r);
	/* without the planted symlink: the socket is created, mode 0666, owned by root */
	ck_assert_int_eq(unlink(bindp), 0);
	{
		char *b = th_fmt("unix:%s", bindp);
		const char *cmds[] = {"listen", b, NULL};
		run_client(cmds, &r);
		line = th_fmt("listen %s: fd", b);
		assert_has(r.out, line);
		free(line), free(b);
	}
	ck_assert_int_eq(lstat(bindp, &st), 0);
	ck_assert(S_ISSOCK(st.st_mode));
	ck_assert_int_eq(st.st_mode & 0777, 0666);
	ck_assert_int_eq(st.st_uid, 0);
	close(srv);
	free(dir), free(priv), free(target), free(bindp), free(connp), free(extra);
	e2e_result_free(&r);
}
END_TEST

/* A rule whose root goes through a symlink is refused at start: whoever can write one of
 * its directories could otherwise point the rule at another tree between two runs (the
 * broker opens the root as root). */
START_TEST(test_symlinked_rule_root_refused)
{
	struct e2e_result r;
	char *link, *extra;

	if (!e2e_need_root("symlinked_root"))
		return;
	memset(&env, 0, sizeof(env));
	env.dir = th_tmpdir();
	link = th_fmt("%s/data", env.dir);
	ck_assert_int_eq(symlink("/etc", link), 0);
	extra = th_fmt("version 1\nuser nobody\nallow open %s/** read\n", link);
	env.policy = th_fmt("%s/test.policy", env.dir);
	th_write_file(env.policy, extra, 0644);
	{
		const char *argv[] = {"run", "-p", env.policy, "/bin/true", NULL};
		e2e_run(argv, 20, &r);
	}
	ck_assert_int_eq(r.status, 125);
	assert_has(r.err, "test.policy:3:1: error: allow open ");
	assert_has(r.err, "goes through a symlink");
	free(link), free(extra);
	e2e_result_free(&r);
}
END_TEST

/* Item 9: a path component flipped between a directory and a symlink out of the tree, many
 * thousands of times while requests run: zero escapes. */
START_TEST(test_symlink_flip_race_never_escapes)
{
	struct e2e_result r;
	char *race;

	if (!e2e_need_root("flip_race"))
		return;
	setup_tree(NULL);
	race = th_fmt("%s/race", tree);
	ck_assert_int_eq(mkdir(race, 0755), 0);
	ck_assert_int_eq(chown(race, 65534, 65534), 0);
	ck_assert_int_eq(chmod(tree, 0755), 0);
	{
		const char *cmds[] = {"fliprace", "20000", race, NULL};
		run_client(cmds, &r);
	}
	ck_assert_msg(r.status == 0, "%d %.2000s", r.status, r.err);
	assert_has(r.out, " 0 escapes");
	ck_assert_ptr_null(strstr(r.out, "fliprace: 0 opens")); /* the race was real */
	free(race);
	e2e_result_free(&r);
}
END_TEST

/* The documented rule for a worker that keeps sending garbage: after 1000 malformed
 * messages the broker closes its channel; the broker itself carries on and exits with the
 * worker's status. */
START_TEST(test_garbage_flood_closes_channel)
{
	struct e2e_result r;
	char *key, *valid_env;

	if (!e2e_need_root("garbage_flood"))
		return;
	setup_tree(NULL);
	key = th_fmt("%s/key", tree);
	valid_env = th_fmt("RT_VALID=%s", key);
	putenv(valid_env);
	{
		const char *cmds[] = {"garbage-flood", "1500", NULL};
		run_client(cmds, &r);
	}
	ck_assert_msg(r.status == 0, "%d %.2000s", r.status, r.err);
	assert_has(r.err, "sent 1000 malformed messages: closing its channel");
	ck_assert_ptr_null(strstr(r.out, "then open: fd"));
	free(key);
	e2e_result_free(&r);
}
END_TEST

/* Outside fdbroker run the calls fail with ENOTCONN. */
START_TEST(test_outside_fdbroker_enotconn)
{
	char *out, *cmd;

	memset(&env, 0, sizeof(env));
	env.dir = th_tmpdir();
	client = th_copy_helper("rtclient", env.dir);
	cmd = th_fmt("env -u FDBROKER_FD %s open /etc/hostname r connect tcp:127.0.0.1:1 > %s/out",
		     client, env.dir);
	ck_assert_int_eq(system(cmd), 0);
	free(cmd);
	cmd = th_fmt("%s/out", env.dir);
	out = th_read_file(cmd);
	assert_has(out, "open /etc/hostname: ENOTCONN");
	assert_has(out, "connect tcp:127.0.0.1:1: ENOTCONN");
	free(out);
	free(cmd);
}
END_TEST

static Suite *runtime_suite(void)
{
	Suite *s = suite_create("runtime");
	TCase *tc = tcase_create("runtime");

	tcase_add_checked_fixture(tc, NULL, teardown_tree);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_root_only_file_opens_read_only);
	tcase_add_test(tc, test_escapes_refused);
	tcase_add_test(tc, test_open_flags_checked);
	tcase_add_test(tc, test_fifo_and_device_refused);
	tcase_add_test(tc, test_connect_and_listen_by_policy);
	tcase_add_test(tc, test_connect_root_only_unix_socket);
	tcase_add_test(tc, test_open_many_64);
	tcase_add_test(tc, test_100k_requests_leave_broker_unchanged);
	tcase_add_test(tc, test_hostile_messages_do_not_disturb_broker);
	tcase_add_test(tc, test_audit_log_names_rules);
	tcase_add_test(tc, test_outside_fdbroker_enotconn);
	tcase_add_test(tc, test_emfile_at_worker_fd_limit);
	tcase_add_test(tc, test_worker_that_never_reads_does_not_block_broker);
	tcase_add_test(tc, test_worker_exits_mid_request);
	tcase_add_test(tc, test_orphan_child_does_not_keep_broker);
	tcase_add_test(tc, test_magic_links_refused);
	tcase_add_test(tc, test_symlink_flip_race_never_escapes);
	tcase_add_test(tc, test_symlinked_rule_root_refused);
	tcase_add_test(tc, test_unix_paths_resist_symlinks);
	tcase_add_test(tc, test_garbage_flood_closes_channel);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return th_run_suite(runtime_suite());
}
