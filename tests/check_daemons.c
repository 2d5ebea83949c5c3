/*
 * check_daemons.c — the examples/ policies and units with real daemons from Debian's archive,
 * as root: each test installs the daemon if it is missing (apt-get), copies its example into
 * a temp dir (paths rewritten, the command line taken from the example's systemd unit), runs
 * it under build/fdbroker as nobody on a privileged loopback port, talks to it as a client
 * would, and checks that every process serving it runs as uid 65534.
 *
 * A test skips (saying why) when not root or when its package cannot be installed.
 */
#define _GNU_SOURCE
#include <check.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "e2e.h"
#include "helpers.h"

#define NOBODY 65534

struct daemon {
	const char *name;     /* examples/NAME/, NAME.policy, fdbroker-NAME.service */
	const char *packages; /* Debian packages that provide it */
	const char *need[3];  /* files that must exist once installed */
	const char *service;  /* init script a package install may have started, or NULL */
	const char *comms[4]; /* process names of leftovers we may kill on our port */
	int port;             /* the port in NAME.policy */
};

static const struct daemon nginx = {
	"nginx", "nginx-light", {"/usr/sbin/nginx", "/etc/nginx/mime.types"}, "nginx",
	{"nginx"}, 80,
};
static const struct daemon lighttpd = {
	"lighttpd", "lighttpd", {"/usr/sbin/lighttpd", "/usr/share/lighttpd/create-mime.conf.pl"},
	"lighttpd", {"lighttpd"}, 81,
};
static const struct daemon gunicorn = {
	"gunicorn", "python3-gunicorn",
	{"/usr/bin/python3", "/usr/lib/python3/dist-packages/gunicorn/__init__.py"}, NULL,
	{"python3", "gunicorn: maste", "gunicorn"}, 82,
};
static const struct daemon uwsgi = {
	"uwsgi", "uwsgi-core uwsgi-plugin-python3",
	{"/usr/bin/uwsgi", "/usr/lib/uwsgi/plugins/python3_plugin.so"}, NULL, {"uwsgi"}, 83,
};

/* no port: a unix socket; the client, dbus-send, runs as nobody through setpriv */
static const struct daemon dbus = {
	"dbus", "dbus-daemon dbus-bin",
	{"/usr/bin/dbus-daemon", "/usr/bin/dbus-send", "/usr/bin/setpriv"}, NULL,
	{"dbus-daemon"}, 0,
};

static const struct daemon *const all_daemons[] = {&nginx, &lighttpd, &gunicorn, &uwsgi, &dbus};


static bool installed(const struct daemon *d)
{
	size_t i;

	for (i = 0; i < sizeof(d->need) / sizeof(d->need[0]) && d->need[i] != NULL; i++)
		if (access(d->need[i], F_OK) != 0)
			return false;
	return true;
}

static int sh(const char *cmd)
{
	int st = system(cmd);

	return st != -1 && WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* Install the daemon's packages if missing (quietly, bounded in time; apt-get update only
 * when the first try fails). False, with a printed reason, when that did not work. */
static bool ensure_installed(const struct daemon *d)
{
	char *cmd;
	int rc;

	if (installed(d))
		return true;
	printf("daemons: %s: installing %s with apt-get\n", d->name, d->packages);
	fflush(stdout);
	cmd = th_fmt("export DEBIAN_FRONTEND=noninteractive; "
		     "inst() { timeout 120 apt-get install -y -qq --no-install-recommends %s "
		     ">/dev/null 2>&1; }; "
		     "inst || { timeout 90 apt-get update -qq >/dev/null 2>&1 && inst; }",
		     d->packages);
	rc = sh(cmd);
	free(cmd);
	if (d->service != NULL) {
		/* the package's postinst may have started a system instance (on port 80) */
		cmd = th_fmt("timeout 20 service %s stop >/dev/null 2>&1 || true", d->service);
		sh(cmd);
		free(cmd);
	}
	if (rc == 0 && installed(d))
		return true;
	printf("SKIP %s: cannot install Debian package(s) %s (apt-get install: status %d)\n",
	       d->name, d->packages, rc);
	return false;
}

/* Socket inodes listening on TCP port `port` (any address, IPv4 and IPv6). */
static size_t listening_inodes(int port, unsigned long *inodes, size_t max)
{
	static const char *const tables[] = {"/proc/net/tcp", "/proc/net/tcp6"};
	size_t n = 0, t;

	for (t = 0; t < 2; t++) {
		FILE *f = fopen(tables[t], "r");
		char line[512];

		if (f == NULL)
			continue;
		while (fgets(line, sizeof(line), f) != NULL) {
			char local[64], st[8];
			unsigned long inode;
			const char *colon;

			if (sscanf(line, " %*s %63s %*s %7s %*s %*s %*s %*s %*s %lu", local, st,
				   &inode) != 3 || strcmp(st, "0A") != 0)
				continue;
			colon = strrchr(local, ':');
			if (colon != NULL && strtol(colon + 1, NULL, 16) == port && n < max)
				inodes[n++] = inode;
		}
		fclose(f);
	}
	return n;
}

static char *proc_comm(pid_t pid)
{
	char *path = th_fmt("/proc/%d/comm", (int)pid), *comm = th_read_file(path);

	free(path);
	if (comm != NULL)
		comm[strcspn(comm, "\n")] = '\0';
	return comm;
}

static bool is_daemon_comm(const char *comm)
{
	size_t i, c;

	if (strcmp(comm, "fdbroker") == 0)
		return true;
	for (i = 0; i < sizeof(all_daemons) / sizeof(all_daemons[0]); i++)
		for (c = 0; c < 4 && all_daemons[i]->comms[c] != NULL; c++)
			if (strcmp(comm, all_daemons[i]->comms[c]) == 0)
				return true;
	return false;
}

/* Kill daemons (any of all_daemons, or fdbroker) that hold a socket listening on d->port:
 * a leftover of an earlier run, or a system instance `service X stop` did not stop. Nothing
 * else is touched. */
static void kill_listeners(const struct daemon *d)
{
	unsigned long inodes[32];
	size_t n = listening_inodes(d->port, inodes, 32), i;
	DIR *proc;
	struct dirent *de;

	if (n == 0 || (proc = opendir("/proc")) == NULL)
		return;
	while ((de = readdir(proc)) != NULL) {
		pid_t pid = (pid_t)atoi(de->d_name);
		char *fddir, *comm;
		DIR *fds;
		struct dirent *fe;
		bool holds = false;

		if (pid <= 0 || pid == getpid())
			continue;
		fddir = th_fmt("/proc/%d/fd", (int)pid);
		fds = opendir(fddir);
		while (fds != NULL && !holds && (fe = readdir(fds)) != NULL) {
			char *link = th_fmt("%s/%s", fddir, fe->d_name), target[64];
			ssize_t len = readlink(link, target, sizeof(target) - 1);

			free(link);
			if (len <= 0)
				continue;
			target[len] = '\0';
			for (i = 0; i < n; i++) {
				char want[48];
				snprintf(want, sizeof(want), "socket:[%lu]", inodes[i]);
				if (strcmp(target, want) == 0)
					holds = true;
			}
		}
		if (fds != NULL)
			closedir(fds);
		free(fddir);
		if (!holds || (comm = proc_comm(pid)) == NULL)
			continue;
		if (is_daemon_comm(comm)) {
			printf("daemons: %s: killing leftover %s (pid %d) on port %d\n", d->name,
			       comm, (int)pid, d->port);
			kill(pid, SIGKILL);
		}
		free(comm);
	}
	closedir(proc);
}

/* Make the daemon's port free: stop a system instance the package may have started, kill
 * leftovers, wait until nothing listens any more. */
static void free_port(const struct daemon *d)
{
	unsigned long inodes[4];
	int i;

	size_t k;

	if (d->port == 0 || listening_inodes(d->port, inodes, 4) == 0)
		return;
	/* Debian's nginx and lighttpd both start on port 80 when installed */
	for (k = 0; k < sizeof(all_daemons) / sizeof(all_daemons[0]); k++) {
		char *cmd;

		if (all_daemons[k]->service == NULL)
			continue;
		cmd = th_fmt("timeout 20 service %s stop >/dev/null 2>&1 || true",
			     all_daemons[k]->service);
		sh(cmd);
		free(cmd);
	}
	for (i = 0; i < 300 && listening_inodes(d->port, inodes, 4) > 0; i++) {
		if (i % 50 == 0)
			kill_listeners(d);
		usleep(10000);
	}
	ck_assert_msg(listening_inodes(d->port, inodes, 4) == 0,
		      "port %d is in use by something other than the example daemons", d->port);
}

static char *replace_all(const char *text, const char *from, const char *to)
{
	size_t fl = strlen(from), tl = strlen(to), n = 0;
	const char *s;
	char *out, *o;

	for (s = text; (s = strstr(s, from)) != NULL; s += fl)
		n++;
	out = malloc(strlen(text) + n * tl + 1);
	ck_assert_ptr_nonnull(out);
	for (o = out, s = text;;) {
		const char *hit = strstr(s, from);
		size_t chunk = hit != NULL ? (size_t)(hit - s) : strlen(s);
		memcpy(o, s, chunk);
		o += chunk;
		if (hit == NULL)
			break;
		memcpy(o, to, tl);
		o += tl;
		s = hit + fl;
	}
	*o = '\0';
	return out;
}

/* One run of an example: its temp dir and the paths of the example rewritten into it. */
struct ex {
	const struct daemon *d;
	char *dir;   /* th_tmpdir(), 0755 */
	char *etc;   /* stands for /etc/fdbroker: root-owned, readable by nobody */
	char *state; /* stands for /run/fdbroker-NAME and /var/log/fdbroker-NAME: nobody's */
	char *srv;   /* stands for /srv/fdbroker-NAME and /var/www/html */
};

static struct ex ex;

static void teardown(void)
{
	if (ex.dir != NULL)
		th_rmrf(ex.dir);
	free(ex.dir);
	free(ex.etc);
	free(ex.state);
	free(ex.srv);
	memset(&ex, 0, sizeof(ex));
}

static char *rewrite(const char *text)
{
	const struct daemon *d = ex.d;
	char *run = th_fmt("/run/fdbroker-%s", d->name), *log = th_fmt("/var/log/fdbroker-%s", d->name),
	     *srv = th_fmt("/srv/fdbroker-%s", d->name);
	const char *from[] = {"/etc/fdbroker", run, log, srv, "/var/www/html"};
	const char *to[] = {ex.etc, ex.state, ex.state, ex.srv, ex.srv};
	char *cur = strdup(text), *next;
	size_t i;

	ck_assert_ptr_nonnull(cur);
	for (i = 0; i < sizeof(from) / sizeof(from[0]); i++) {
		next = replace_all(cur, from[i], to[i]);
		free(cur);
		cur = next;
	}
	free(run);
	free(log);
	free(srv);
	return cur;
}

static char *example_text(const char *file)
{
	char *path = th_fmt("examples/%s/%s", ex.d->name, file), *text = th_read_file(path);

	ck_assert_msg(text != NULL, "cannot read %s", path);
	free(path);
	return text;
}

/* Copy examples/NAME/file into dir with its paths rewritten; returns the new path. */
static char *install_example(const char *file, const char *dir)
{
	char *text = example_text(file), *out = rewrite(text), *path = th_fmt("%s/%s", dir, file);

	th_write_file(path, out, 0644);
	free(text);
	free(out);
	return path;
}

static void mkdir_owned(const char *path, uid_t uid, mode_t mode)
{
	ck_assert_msg(mkdir(path, mode) == 0 || errno == EEXIST, "mkdir %s: %s", path,
		      strerror(errno));
	ck_assert_int_eq(chown(path, uid, uid), 0);
	ck_assert_int_eq(chmod(path, mode), 0);
}

/* Root only, the package installed, the port free: set up ex for d. */
static bool prepare(const struct daemon *d)
{
	char *name = th_fmt("daemon_%s", d->name);
	bool go = e2e_need_root(name);

	free(name);
	if (!go || !ensure_installed(d))
		return false;
	free_port(d);
	ex.d = d;
	ex.dir = th_tmpdir();
	ex.etc = th_fmt("%s/etc", ex.dir);
	ex.state = th_fmt("%s/state", ex.dir);
	ex.srv = th_fmt("%s/srv", ex.dir);
	mkdir_owned(ex.etc, 0, 0755);
	mkdir_owned(ex.state, NOBODY, 0750);
	mkdir_owned(ex.srv, 0, 0755);
	return true;
}

/* The example unit's ExecStart= (rewritten), as fdbroker arguments: its first word is
 * /usr/bin/fdbroker, which the tests replace by the build's. NULL-terminated, malloc'd. */
static char **unit_command(void)
{
	char *unit_file = th_fmt("fdbroker-%s.service", ex.d->name), *text = example_text(unit_file);
	char *line = strstr(text, "\nExecStart="), *cmd, *tok, *save = NULL;
	char **argv = calloc(64, sizeof(*argv));
	size_t n = 0;

	ck_assert_msg(line != NULL, "no ExecStart= in %s", unit_file);
	line += strlen("\nExecStart=");
	line[strcspn(line, "\n")] = '\0';
	ck_assert_msg(strchr(line, '\\') == NULL && strchr(line, '"') == NULL,
		      "keep ExecStart= in %s on one line without quotes", unit_file);
	cmd = rewrite(line);
	tok = strtok_r(cmd, " \t", &save);
	ck_assert_msg(tok != NULL && strcmp(tok, "/usr/bin/fdbroker") == 0,
		      "ExecStart= of %s should start with /usr/bin/fdbroker", unit_file);
	while ((tok = strtok_r(NULL, " \t", &save)) != NULL && n < 63)
		argv[n++] = strdup(tok);
	free(cmd);
	free(text);
	free(unit_file);
	return argv;
}

static void free_argv(char **argv)
{
	size_t i;

	for (i = 0; argv[i] != NULL; i++)
		free(argv[i]);
	free(argv);
}

/* Every descendant of pid runs as NOBODY (real, effective, saved and fs uid); returns how
 * many there are, and the name of the direct child in *child_comm. */
static int check_tree_is_nobody(pid_t root, char **child_comm)
{
	pid_t frontier[64];
	int nf = 1, count = 0;

	frontier[0] = root;
	*child_comm = NULL;
	while (nf > 0) {
		pid_t parent = frontier[--nf];
		DIR *proc = opendir("/proc");
		struct dirent *de;

		ck_assert_ptr_nonnull(proc);
		while ((de = readdir(proc)) != NULL) {
			pid_t pid = (pid_t)atoi(de->d_name);
			char *path, *stat, *status, *uid, *p;
			long ppid;

			if (pid <= 0)
				continue;
			path = th_fmt("/proc/%d/stat", (int)pid);
			stat = th_read_file(path);
			free(path);
			if (stat == NULL || (p = strrchr(stat, ')')) == NULL ||
			    sscanf(p + 2, "%*c %ld", &ppid) != 1 || ppid != parent) {
				free(stat);
				continue;
			}
			free(stat);
			path = th_fmt("/proc/%d/status", (int)pid);
			status = th_read_file(path);
			free(path);
			if (status == NULL)
				continue; /* gone meanwhile */
			uid = strstr(status, "\nUid:");
			ck_assert_ptr_nonnull(uid);
			uid[strcspn(uid + 1, "\n") + 1] = '\0';
			ck_assert_msg(strcmp(uid, "\nUid:\t65534\t65534\t65534\t65534") == 0,
				      "process %d (under fdbroker %d) does not run as nobody: %s",
				      (int)pid, (int)root, uid + 1);
			free(status);
			if (parent == root && *child_comm == NULL)
				*child_comm = proc_comm(pid);
			count++;
			if (nf < 64)
				frontier[nf++] = pid;
		}
		closedir(proc);
	}
	return count;
}

/* Start the example's unit command under build/fdbroker, fetch its page, check who serves
 * it, stop it with SIGTERM (as systemd would) and collect its output in *r. */
static char *serve_and_fetch(struct e2e_result *r, const char *comm)
{
	char **argv = unit_command(), *page, *child;
	pid_t pid;
	int n;

	pid = e2e_start((const char *const *)argv, r);
	page = e2e_http_get(ex.d->port, 15);
	n = check_tree_is_nobody(pid, &child);
	if (page == NULL || n == 0) {
		kill(pid, SIGTERM);
		e2e_wait(pid, 10, r);
		ck_abort_msg("%s did not serve on 127.0.0.1:%d (status %d), stderr:\n%s",
			     ex.d->name, ex.d->port, r->status, r->err);
	}
	if (comm != NULL)
		ck_assert_msg(child != NULL && strcmp(child, comm) == 0,
			      "fdbroker's child is '%s', not %s", child ? child : "?", comm);
	free(child);
	kill(pid, SIGTERM);
	e2e_wait(pid, 20, r);
	free_argv(argv);
	return page;
}

START_TEST(test_nginx_inherits_its_socket_from_setenv)
{
	struct e2e_result r;
	char *page, *path, *log;

	if (!prepare(&nginx))
		return;
	free(install_example("nginx.policy", ex.etc));
	free(install_example("nginx.conf", ex.etc));
	path = th_fmt("%s/index.html", ex.srv);
	th_write_file(path, "static page served by nginx as nobody\n", 0644);
	free(path);

	page = serve_and_fetch(&r, "nginx");
	ck_assert_msg(r.status == 0, "status %d, stderr:\n%s", r.status, r.err);
	assert_has(page, "HTTP/1.1 200 OK");
	assert_has(page, "Server: nginx");
	assert_has(page, "static page served by nginx as nobody");
	/* the NGINX="{fd:http};" adapter: nginx took fd 3 and bound nothing itself */
	assert_has(r.err, "using inherited sockets from \"3;\"");
	/* it wrote its access log into the directory nobody owns */
	path = th_fmt("%s/access.log", ex.state);
	log = th_read_file(path);
	assert_has(log, "\"GET / HTTP/1.0\" 200");
	free(log);
	free(path);
	free(page);
	e2e_result_free(&r);
}
END_TEST

START_TEST(test_lighttpd_socket_activation)
{
	struct e2e_result r;
	char *page, *path;

	if (!prepare(&lighttpd))
		return;
	free(install_example("lighttpd.policy", ex.etc));
	free(install_example("lighttpd.conf", ex.etc));
	path = th_fmt("%s/index.html", ex.srv);
	th_write_file(path, "static page served by lighttpd as nobody\n", 0644);
	free(path);

	page = serve_and_fetch(&r, "lighttpd");
	ck_assert_msg(r.status == 0, "status %d, stderr:\n%s", r.status, r.err);
	assert_has(page, "HTTP/1.0 200 OK");
	assert_has(page, "Server: lighttpd");
	assert_has(page, "Content-Type: text/html");
	assert_has(page, "static page served by lighttpd as nobody");
	assert_has(r.err, "server started");
	free(page);
	e2e_result_free(&r);
}
END_TEST

START_TEST(test_gunicorn_socket_activation)
{
	struct e2e_result r;
	char *page;

	if (!prepare(&gunicorn))
		return;
	free(install_example("gunicorn.policy", ex.etc));
	free(install_example("app.py", ex.srv));

	/* the master's name depends on whether python3-setproctitle is installed */
	page = serve_and_fetch(&r, NULL);
	ck_assert_msg(r.status == 0, "status %d, stderr:\n%s", r.status, r.err);
	assert_has(page, "HTTP/1.0 200 OK");
	assert_has(page, "Server: gunicorn");
	assert_has(page, "hello from gunicorn/");
	assert_has(page, "uid 65534");
	/* gunicorn took the socket from LISTEN_FDS: without it, it would bind 127.0.0.1:8000 */
	assert_has(r.err, "Listening at: http://127.0.0.1:82");
	assert_has(r.err, "Shutting down: Master");
	free(page);
	e2e_result_free(&r);
}
END_TEST

START_TEST(test_uwsgi_socket_activation)
{
	struct e2e_result r;
	char *page;

	if (!prepare(&uwsgi))
		return;
	free(install_example("uwsgi.policy", ex.etc));
	free(install_example("uwsgi.ini", ex.etc));
	free(install_example("app.py", ex.srv));

	page = serve_and_fetch(&r, "uwsgi");
	ck_assert_msg(r.status == 0, "status %d, stderr:\n%s", r.status, r.err);
	assert_has(page, "200 OK");
	assert_has(page, "uid 65534");
	assert_has(page, "LISTEN_FDNAMES=http");
	assert_has(r.err, "SystemD socket activation detected");
	assert_has(r.err, "uwsgi socket 0 attached to INET address 127.0.0.1:83 fd 3");
	free(page);
	e2e_result_free(&r);
}
END_TEST

START_TEST(test_dbus_socket_activation)
{
	struct e2e_result r;
	char **argv, *cmd = NULL, *out = NULL, *child;
	pid_t pid;
	int i, st = -1, n;

	if (!prepare(&dbus))
		return;
	free(install_example("dbus.policy", ex.etc));
	argv = unit_command();
	pid = e2e_start((const char *const *)argv, &r);
	/* ask the bus, as a client of the bus's own user, whose uid the bus itself has */
	cmd = th_fmt("timeout 5 setpriv --reuid=%d --regid=%d --clear-groups /usr/bin/dbus-send "
		     "--bus=unix:path=%s/bus.sock --print-reply --dest=org.freedesktop.DBus "
		     "/org/freedesktop/DBus org.freedesktop.DBus.GetConnectionUnixUser "
		     "string:org.freedesktop.DBus 2>&1",
		     NOBODY, NOBODY, ex.state);
	for (i = 0; i < 100; i++) {
		FILE *p = popen(cmd, "r");
		char buf[2048];
		size_t len;

		ck_assert_ptr_nonnull(p);
		len = fread(buf, 1, sizeof(buf) - 1, p);
		buf[len] = '\0';
		st = pclose(p);
		free(out);
		out = strdup(buf);
		if (st == 0)
			break;
		usleep(50000);
	}
	n = check_tree_is_nobody(pid, &child);
	kill(pid, SIGTERM);
	e2e_wait(pid, 20, &r);
	ck_assert_msg(st == 0, "dbus-send failed: %s\nfdbroker (status %d) said:\n%s", out,
		      r.status, r.err);
	/* the bus (org.freedesktop.DBus itself) runs as nobody */
	assert_has(out, "uint32 65534");
	ck_assert_int_ge(n, 1);
	ck_assert_msg(child != NULL && strcmp(child, "dbus-daemon") == 0, "child: %s", child);
	ck_assert_msg(r.status == 0, "status %d, stderr:\n%s", r.status, r.err);
	free(child);
	free(out);
	free(cmd);
	free_argv(argv);
	e2e_result_free(&r);
}
END_TEST

static Suite *daemons_suite(void)
{
	Suite *s = suite_create("daemons");
	TCase *tc = tcase_create("daemons");

	tcase_add_checked_fixture(tc, NULL, teardown);
	/* room for an apt-get install; a run itself takes about a second */
	tcase_set_timeout(tc, 240);
	tcase_add_test(tc, test_nginx_inherits_its_socket_from_setenv);
	tcase_add_test(tc, test_lighttpd_socket_activation);
	tcase_add_test(tc, test_gunicorn_socket_activation);
	tcase_add_test(tc, test_uwsgi_socket_activation);
	tcase_add_test(tc, test_dbus_socket_activation);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return th_run_suite(daemons_suite());
}
