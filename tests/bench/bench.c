/*
 * bench.c — `make bench`: how far fdbroker is from the floors it cannot beat, measured in
 * one run on this machine (design.md §8).
 *
 * Usage: bench [--quick] [--build DIR] [--json FILE]     (as root)
 *
 * Every figure is a median over repetitions (after an untimed warm-up) and every target is
 * checked against a baseline measured in the same run, so the verdicts do not depend on how
 * fast the machine is. Rows where placement matters run twice: `_pinned` (the driver pins
 * itself to CPU 0 before forking, so fdbroker, its worker and the bare floors all inherit
 * one CPU) and `_unpinned` (the full CPU mask the driver started with).
 *
 * fdbroker's stderr (the per-request audit log) goes to /dev/null in every row except
 * fdb_open_auditfile_*, which sends it to a regular file to price the log write.
 *
 * Peers that are not installed appear in the table as "not installed" and in the JSON with
 * "value": null and a "note", so the set of rows is the same on every machine.
 *
 * --quick (CI): every row once with tiny counts; timings are printed but never judged.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <sched.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define NFILES 64   /* files in the tree; fdb_open_many asks for all of them */
#define MEM_SMALL 10
#define MEM_LARGE 1010

/* ---- settings ----------------------------------------------------------------------------- */

static bool quick;
static int reps = 7;        /* timed repetitions per row */
static long n_open = 20000; /* openat_direct calls per rep */
static long n_rt = 5000;    /* round trips per rep (floors, fdb_open) */
static long n_many = 400;   /* fdb_open_many calls of 64 per rep */
static long n_sys = 2000000;/* syscalls per rep (filter tax) */
static int launch_reps = 15;

static const char *build_dir = "build";
static const char *json_path = "build/bench.json";
static char fdbroker[PATH_MAX], client_src[PATH_MAX + 32];
static char work[] = "/tmp/fdbroker-bench.XXXXXX";
static char tree[PATH_MAX], client[PATH_MAX];
static char pol_intercept[PATH_MAX];
static char pol_open[PATH_MAX], pol_listen[PATH_MAX], pol_mem_small[PATH_MAX],
	pol_mem_large[PATH_MAX], audit_log[PATH_MAX], err_log[PATH_MAX];
static char *paths[NFILES];
static cpu_set_t full_mask;

/* ---- rows --------------------------------------------------------------------------------- */

enum target_kind { T_NONE, T_RATIO_LE, T_RATIO_GE, T_VALUE_LE };

struct row {
	char name[80];
	bool has_value, has_base;
	double value, baseline, ratio;
	const char *unit;
	enum target_kind tk;
	double tval;
	char note[240];
};

static struct row rows[64];
static size_t nrows;

static struct row *add_row(const char *name, const char *unit)
{
	struct row *r = &rows[nrows < 63 ? nrows++ : 63];

	memset(r, 0, sizeof(*r));
	snprintf(r->name, sizeof(r->name), "%s", name);
	r->unit = unit;
	return r;
}

static void set_value(struct row *r, double v)
{
	r->has_value = true;
	r->value = v;
}

static void set_base(struct row *r, double base, double ratio)
{
	r->has_base = true;
	r->baseline = base;
	r->ratio = ratio;
}

static void set_target(struct row *r, enum target_kind tk, double tval)
{
	r->tk = tk;
	r->tval = tval;
}

static void note(struct row *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void note(struct row *r, const char *fmt, ...)
{
	size_t len = strlen(r->note);
	va_list ap;

	if (len > 0 && len + 2 < sizeof(r->note)) {
		strcat(r->note, "; ");
		len += 2;
	}
	va_start(ap, fmt);
	vsnprintf(r->note + len, sizeof(r->note) - len, fmt, ap);
	va_end(ap);
}

static void target_text(const struct row *r, char *buf, size_t size)
{
	switch (r->tk) {
	case T_RATIO_LE: snprintf(buf, size, "ratio<=%g", r->tval); break;
	case T_RATIO_GE: snprintf(buf, size, "ratio>=%g", r->tval); break;
	case T_VALUE_LE: snprintf(buf, size, "<=%g %s", r->tval, r->unit); break;
	default: buf[0] = '\0'; break;
	}
}

/* "meets", "misses", "n/a (quick)", or NULL when the row has no target. */
static const char *verdict(const struct row *r)
{
	if (r->tk == T_NONE)
		return NULL;
	if (!r->has_value || (r->tk != T_VALUE_LE && !r->has_base))
		return "n/a";
	if (quick)
		return "n/a (quick)";
	switch (r->tk) {
	case T_RATIO_LE: return r->ratio <= r->tval ? "meets" : "misses";
	case T_RATIO_GE: return r->ratio >= r->tval ? "meets" : "misses";
	case T_VALUE_LE: return r->value <= r->tval ? "meets" : "misses";
	default: return NULL;
	}
}

static void fmt_num(double v, char *buf, size_t size)
{
	if (v != v)
		snprintf(buf, size, "-");
	else if (v >= 100000 || v <= -100000)
		snprintf(buf, size, "%.0f", v);
	else if (v >= 100 || v <= -100)
		snprintf(buf, size, "%.1f", v);
	else
		snprintf(buf, size, "%.3g", v);
}

static void print_table(void)
{
	size_t i;

	printf("\n%-42s %12s %-6s %12s %7s %-15s %s\n", "name", "value", "unit", "baseline",
	       "ratio", "target", "verdict");
	for (i = 0; i < 112; i++)
		putchar('-');
	putchar('\n');
	for (i = 0; i < nrows; i++) {
		const struct row *r = &rows[i];
		char v[32], b[32], q[32], t[40];
		const char *vd = verdict(r);
		if (r->has_value)
			fmt_num(r->value, v, sizeof(v));
		else
			snprintf(v, sizeof(v), "%s", r->note[0] ? "-" : "failed");
		if (r->has_base) {
			fmt_num(r->baseline, b, sizeof(b));
			snprintf(q, sizeof(q), "%.3f", r->ratio);
		} else {
			snprintf(b, sizeof(b), "-");
			snprintf(q, sizeof(q), "-");
		}
		target_text(r, t, sizeof(t));
		printf("%-42s %12s %-6s %12s %7s %-15s %s\n", r->name, v, r->unit, b, q, t,
		       vd ? vd : "");
		if (!r->has_value && r->note[0])
			printf("%-42s   (%s)\n", "", r->note);
	}
	printf("\nmode: %s; figures are medians of %d repetitions; fdbroker stderr -> /dev/null "
	       "unless the row says auditfile\n",
	       quick ? "quick (timings not judged)" : "full", reps);
}

static void json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

static void json_num(FILE *f, bool has, double v)
{
	if (has && v == v)
		fprintf(f, "%.6g", v);
	else
		fprintf(f, "null");
}

static int write_json(const char *path)
{
	FILE *f = fopen(path, "w");
	size_t i;

	if (f == NULL) {
		fprintf(stderr, "bench: %s: %s\n", path, strerror(errno));
		return -1;
	}
	fprintf(f, "[\n");
	for (i = 0; i < nrows; i++) {
		const struct row *r = &rows[i];
		const char *vd = verdict(r);
		char t[40];
		fprintf(f, "  {\"name\": ");
		json_str(f, r->name);
		fprintf(f, ", \"value\": ");
		json_num(f, r->has_value, r->value);
		fprintf(f, ", \"unit\": ");
		json_str(f, r->unit);
		if (r->has_base) {
			fprintf(f, ", \"baseline\": ");
			json_num(f, true, r->baseline);
			fprintf(f, ", \"ratio\": ");
			json_num(f, true, r->ratio);
		}
		if (r->tk != T_NONE) {
			target_text(r, t, sizeof(t));
			fprintf(f, ", \"target\": ");
			json_str(f, t);
			fprintf(f, ", \"verdict\": ");
			json_str(f, vd);
		}
		fprintf(f, ", \"quick\": %s", quick ? "true" : "false");
		if (r->note[0]) {
			fprintf(f, ", \"note\": ");
			json_str(f, r->note);
		}
		fprintf(f, "}%s\n", i + 1 < nrows ? "," : "");
	}
	fprintf(f, "]\n");
	if (fclose(f) != 0) {
		fprintf(stderr, "bench: %s: %s\n", path, strerror(errno));
		return -1;
	}
	return 0;
}

/* ---- small tools -------------------------------------------------------------------------- */

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double median(double *v, size_t n)
{
	if (n == 0)
		return 0.0 / 0.0;
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "bench: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static void place(bool pinned)
{
	cpu_set_t one;

	CPU_ZERO(&one);
	CPU_SET(0, &one);
	if (sched_setaffinity(0, sizeof(cpu_set_t), pinned ? &one : &full_mask) < 0)
		die("sched_setaffinity: %s", strerror(errno));
}

static const char *placement(bool pinned)
{
	return pinned ? "pinned" : "unpinned";
}

static void write_file(const char *path, const char *text, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	size_t len = strlen(text);

	if (fd < 0 || write(fd, text, len) != (ssize_t)len || close(fd) < 0)
		die("writing %s: %s", path, strerror(errno));
	if (chmod(path, mode) < 0)
		die("chmod %s: %s", path, strerror(errno));
}

static void copy_exec(const char *src, const char *dst)
{
	char buf[65536];
	int in = open(src, O_RDONLY | O_CLOEXEC), out;
	ssize_t n;

	if (in < 0)
		die("%s: %s (run `make bench`, which builds it)", src, strerror(errno));
	out = open(dst, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0755);
	if (out < 0)
		die("%s: %s", dst, strerror(errno));
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, (size_t)n) != n)
			die("%s: %s", dst, strerror(errno));
	close(in);
	if (close(out) < 0 || chmod(dst, 0755) < 0)
		die("%s: %s", dst, strerror(errno));
}

static void xmkdir(const char *path, mode_t mode)
{
	if (mkdir(path, mode) < 0 || chmod(path, mode) < 0)
		die("mkdir %s: %s", path, strerror(errno));
}

/* A free TCP port on 127.0.0.1 (bound once to port 0, then released). */
static int free_port(void)
{
	struct sockaddr_in a;
	socklen_t len = sizeof(a);
	int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), port;

	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof(a)) < 0 ||
	    getsockname(s, (struct sockaddr *)&a, &len) < 0)
		die("finding a free port: %s", strerror(errno));
	port = ntohs(a.sin_port);
	close(s);
	return port;
}

static bool installed(const char *prog, char *path, size_t size)
{
	const char *dirs[] = {"/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin",
			      "/sbin", "/bin", NULL};
	size_t i;

	for (i = 0; dirs[i] != NULL; i++) {
		snprintf(path, size, "%s/%s", dirs[i], prog);
		if (access(path, X_OK) == 0)
			return true;
	}
	return false;
}

/* fork+exec argv with stdin/stdout from the given fds (-1: /dev/null) and stderr to
 * errpath (NULL: /dev/null). Returns the pid. */
static pid_t spawn(const char *const argv[], int in, int out, const char *errpath)
{
	pid_t pid = fork();

	if (pid < 0)
		die("fork: %s", strerror(errno));
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);
		int err = errpath ? open(errpath, O_WRONLY | O_CREAT | O_APPEND, 0644) : null;
		if (null < 0 || err < 0)
			_exit(127);
		dup2(in >= 0 ? in : null, 0);
		dup2(out >= 0 ? out : null, 1);
		dup2(err, 2);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	return pid;
}

static int wait_status(pid_t pid)
{
	int st;

	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			die("waitpid: %s", strerror(errno));
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* Run argv, collect stdout (up to size-1 bytes); returns the exit status. */
static int run_capture(const char *const argv[], const char *errpath, char *buf, size_t size)
{
	int p[2], st;
	size_t len = 0;
	ssize_t n;
	pid_t pid;

	if (pipe2(p, O_CLOEXEC) < 0)
		die("pipe: %s", strerror(errno));
	pid = spawn(argv, -1, p[1], errpath);
	close(p[1]);
	while ((n = read(p[0], buf + len, size - 1 - len)) > 0 || (n < 0 && errno == EINTR))
		if (n > 0)
			len += (size_t)n;
	buf[len] = '\0';
	close(p[0]);
	st = wait_status(pid);
	return st;
}

/* The "rep NS" lines of a bench_client run, their median into *ret. */
static int parse_reps(const char *out, double *ret)
{
	double v[256];
	size_t n = 0;
	const char *p = out;

	while ((p = strstr(p, "rep ")) != NULL && n < 256) {
		v[n++] = strtod(p + 4, NULL);
		p += 4;
	}
	if (n == 0)
		return -1;
	*ret = median(v, n);
	return 0;
}

/* Run bench_client (under fdbroker with policy, or bare when policy is NULL) and take the
 * median of its reps. On failure, run it again with stderr captured and show the tail. */
static int run_client(const char *policy, const char *errpath, const char *mode, long n,
		      bool with_paths, double *ret)
{
	const char *argv[16 + NFILES];
	char sn[32], sr[32], out[16384];
	size_t k = 0, i;
	int st;

	snprintf(sn, sizeof(sn), "%ld", n);
	snprintf(sr, sizeof(sr), "%d", reps);
	if (policy != NULL) {
		argv[k++] = fdbroker;
		argv[k++] = "run";
		argv[k++] = "-p";
		argv[k++] = policy;
		argv[k++] = "--";
	}
	argv[k++] = client;
	argv[k++] = mode;
	argv[k++] = sn;
	argv[k++] = sr;
	for (i = 0; with_paths && i < NFILES; i++)
		argv[k++] = paths[i];
	argv[k] = NULL;
	st = run_capture(argv, errpath, out, sizeof(out));
	if (st == 0 && parse_reps(out, ret) == 0)
		return 0;
	fprintf(stderr, "bench: %s %s failed (status %d); again with stderr in %s:\n",
		policy ? "fdbroker run ... bench_client" : "bench_client", mode, st, err_log);
	unlink(err_log);
	(void)run_capture(argv, err_log, out, sizeof(out));
	{
		char cmd[PATH_MAX + 32];
		snprintf(cmd, sizeof(cmd), "tail -n 15 '%s' >&2", err_log);
		if (system(cmd) != 0)
			fprintf(stderr, "bench: (could not show %s)\n", err_log);
	}
	return -1;
}

/* ---- the workspace ------------------------------------------------------------------------ */

static void setup(void)
{
	char p[PATH_MAX + 64], *text;
	size_t cap = 128 * 1024, len;
	int i;

	if (mkdtemp(work) == NULL || chmod(work, 0755) < 0)
		die("mkdtemp: %s", strerror(errno));
	snprintf(client, sizeof(client), "%s/bench_client", work);
	copy_exec(client_src, client);
	snprintf(tree, sizeof(tree), "%s/tree", work);
	xmkdir(tree, 0700); /* only root can enter: every file really is brokered */
	for (i = 0; i < NFILES; i++) {
		snprintf(p, sizeof(p), "%s/f%02d", tree, i);
		write_file(p, "bench\n", 0600);
		paths[i] = strdup(p);
		if (paths[i] == NULL)
			die("out of memory");
	}
	snprintf(p, sizeof(p), "%s/rules", work);
	xmkdir(p, 0755);
	for (i = 0; i < MEM_LARGE; i++) {
		snprintf(p, sizeof(p), "%s/rules/d%d", work, i);
		xmkdir(p, 0755);
	}
	snprintf(audit_log, sizeof(audit_log), "%s/audit.log", work);
	snprintf(err_log, sizeof(err_log), "%s/fdbroker-stderr.log", work);

	text = malloc(cap);
	if (text == NULL)
		die("out of memory");
	snprintf(pol_open, sizeof(pol_open), "%s/open.policy", work);
	snprintf(text, cap,
		 "version 1\nuser nobody\ngroup nogroup\n"
		 "allow open %s/** read\n"
		 "seccomp default kill\nseccomp allow @system-service\n",
		 tree);
	write_file(pol_open, text, 0644);

	snprintf(pol_intercept, sizeof(pol_intercept), "%s/intercept.policy", work);
	snprintf(text, cap,
		 "version 1\nuser nobody\ngroup nogroup\n"
		 "allow open %s/** read\n"
		 "intercept open\n"
		 "seccomp default kill\nseccomp allow @system-service\n",
		 tree);
	write_file(pol_intercept, text, 0644);

	snprintf(pol_listen, sizeof(pol_listen), "%s/listen2.policy", work);
	snprintf(text, cap,
		 "version 1\nuser nobody\ngroup nogroup\n"
		 "listen a tcp 127.0.0.1:%d\nlisten b tcp 127.0.0.1:%d\n"
		 "seccomp allow @system-service\n",
		 free_port(), free_port());
	write_file(pol_listen, text, 0644);

	/* MEM_SMALL / MEM_LARGE rules: the tree plus N-1 distinct existing directories */
	snprintf(pol_mem_small, sizeof(pol_mem_small), "%s/mem%d.policy", work, MEM_SMALL);
	snprintf(pol_mem_large, sizeof(pol_mem_large), "%s/mem%d.policy", work, MEM_LARGE);
	for (int pass = 0; pass < 2; pass++) {
		int nrules = pass ? MEM_LARGE : MEM_SMALL;
		len = (size_t)snprintf(text, cap,
				       "version 1\nuser nobody\ngroup nogroup\n"
				       "seccomp allow @system-service\n"
				       "allow open %s/** read\n",
				       tree);
		for (i = 0; i < nrules - 1 && len < cap; i++)
			len += (size_t)snprintf(text + len, cap - len,
						"allow open %s/rules/d%d/** read write create\n",
						work, i);
		write_file(pass ? pol_mem_large : pol_mem_small, text, 0644);
	}
	free(text);
}

static void cleanup(void)
{
	char cmd[PATH_MAX + 32];

	snprintf(cmd, sizeof(cmd), "rm -rf -- '%s'", work);
	if (system(cmd) != 0)
		fprintf(stderr, "bench: could not remove %s\n", work);
}

/* ---- openat_direct ------------------------------------------------------------------------ */

/* ns per openat+close, median over reps; the driver itself, as root, no filter. */
static double bench_openat(void)
{
	double v[64], t0;
	long i;
	int k;

	for (i = 0; i < n_open / 4 + 1; i++)
		close(openat(AT_FDCWD, paths[i % NFILES], O_RDONLY | O_CLOEXEC));
	for (k = 0; k < reps; k++) {
		t0 = now_ns();
		for (i = 0; i < n_open; i++) {
			int fd = openat(AT_FDCWD, paths[i % NFILES], O_RDONLY | O_CLOEXEC);
			if (fd < 0)
				die("openat %s: %s", paths[i % NFILES], strerror(errno));
			close(fd);
		}
		v[k] = (now_ns() - t0) / (double)n_open;
	}
	return median(v, (size_t)reps);
}

/* ---- roundtrip_floor ---------------------------------------------------------------------- */

/* With server_opens (roundtrip_open_floor, informative), the server instead opens the
 * requested path per request with openat and closes its copy after sending: the least any
 * broker that really opens files can cost. */

/* One datagram of len bytes carrying fd as SCM_RIGHTS (the floors' bare fd passing). */
static int send_one_fd(int sock, void *buf, size_t len, int fd)
{
	char cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = {buf, len};
	struct msghdr mh;
	struct cmsghdr *c;

	memset(&mh, 0, sizeof(mh));
	memset(cbuf, 0, sizeof(cbuf));
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = cbuf;
	mh.msg_controllen = sizeof(cbuf);
	c = CMSG_FIRSTHDR(&mh);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof(int));
	return sendmsg(sock, &mh, MSG_NOSIGNAL) < 0 ? -1 : 0;
}

/* A bare SEQPACKET request (16-byte header + path, like an fdb_open request) answered with
 * a 16-byte reply carrying one pre-opened fd by SCM_RIGHTS; the client closes the fd. No
 * fdbroker code and no open on the server side: the IPC floor. ns per round trip. */
static double bench_floor(bool server_opens)
{
	int sv[2], k;
	double v[64], t0;
	long i;
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		die("socketpair: %s", strerror(errno));
	pid = fork();
	if (pid < 0)
		die("fork: %s", strerror(errno));
	if (pid == 0) {
		char req[16 + PATH_MAX], rep[16] = {0};
		int fd = open(paths[0], O_RDONLY | O_CLOEXEC);
		close(sv[0]);
		if (fd < 0)
			_exit(1);
		for (;;) {
			ssize_t n = recv(sv[1], req, sizeof(req) - 1, 0);
			if (n <= 0)
				_exit(n == 0 ? 0 : 1);
			if (server_opens) {
				req[n] = '\0';
				fd = openat(AT_FDCWD, req + 16, O_RDONLY | O_CLOEXEC);
				if (fd < 0)
					_exit(1);
			}
			if (send_one_fd(sv[1], rep, sizeof(rep), fd) < 0)
				_exit(1);
			if (server_opens)
				close(fd);
		}
	}
	close(sv[1]);
	{
		char req[16 + PATH_MAX], rep[16];
		size_t plen = strlen(paths[0]) + 1, rlen = 16 + plen;
		long total = n_rt / 4 + 1;
		memset(req, 0, 16);
		memcpy(req + 16, paths[0], plen);
		for (k = -1; k < reps; k++) {
			long n = k < 0 ? total : n_rt;
			t0 = now_ns();
			for (i = 0; i < n; i++) {
				char cbuf[CMSG_SPACE(sizeof(int))];
				struct iovec iov = {rep, sizeof(rep)};
				struct msghdr mh;
				struct cmsghdr *c;
				int fd;
				if (send(sv[0], req, rlen, MSG_NOSIGNAL) != (ssize_t)rlen)
					die("floor send: %s", strerror(errno));
				memset(&mh, 0, sizeof(mh));
				mh.msg_iov = &iov;
				mh.msg_iovlen = 1;
				mh.msg_control = cbuf;
				mh.msg_controllen = sizeof(cbuf);
				if (recvmsg(sv[0], &mh, MSG_CMSG_CLOEXEC) <= 0)
					die("floor recvmsg: %s", strerror(errno));
				c = CMSG_FIRSTHDR(&mh);
				if (c == NULL || c->cmsg_type != SCM_RIGHTS)
					die("floor: no fd in the reply");
				memcpy(&fd, CMSG_DATA(c), sizeof(int));
				close(fd);
			}
			if (k >= 0)
				v[k] = (now_ns() - t0) / (double)n;
		}
	}
	close(sv[0]);
	if (wait_status(pid) != 0)
		die("floor server failed");
	return median(v, (size_t)reps);
}

/* ---- notify_addfd_floor ------------------------------------------------------------------- */

#define NOTIFY_STOP (-4242) /* dirfd of the openat that ends the supervisor loop */

/* A child installs a filter that sends openat to a user-notification listener and passes the
 * listener to the driver; the driver answers each openat with ADDFD|SEND of a pre-opened fd
 * (no open on the supervisor side, as in roundtrip_floor). The child times openat+close and
 * sends its reps back. ns per round trip. */
static double bench_notify(void)
{
	int sv[2], listener = -1, k;
	double v[64];
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		die("socketpair: %s", strerror(errno));
	pid = fork();
	if (pid < 0)
		die("fork: %s", strerror(errno));
	if (pid == 0) {
		struct sock_filter f[] = {
			BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
			BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_openat, 0, 1),
			BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF),
			BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		};
		struct sock_fprog prog = {sizeof(f) / sizeof(f[0]), f};
		char byte = 0;
		double t0, res[64];
		long i;
		int lfd;

		close(sv[0]);
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
			_exit(1);
		lfd = (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER,
				   SECCOMP_FILTER_FLAG_NEW_LISTENER, &prog);
		if (lfd < 0)
			_exit(1);
		if (send_one_fd(sv[1], &byte, 1, lfd) < 0)
			_exit(1);
		close(lfd);
		for (k = -1; k < reps; k++) {
			long n = k < 0 ? n_rt / 4 + 1 : n_rt;
			t0 = now_ns();
			for (i = 0; i < n; i++) {
				int fd = (int)syscall(SYS_openat, AT_FDCWD, paths[0],
						      O_RDONLY | O_CLOEXEC);
				if (fd < 0)
					_exit(1);
				close(fd);
			}
			if (k >= 0)
				res[k] = (now_ns() - t0) / (double)n;
		}
		(void)syscall(SYS_openat, NOTIFY_STOP, "", 0);
		if (send(sv[1], res, sizeof(double) * (size_t)reps, MSG_NOSIGNAL) < 0)
			_exit(1);
		_exit(0);
	}
	close(sv[1]);
	{
		char cbuf[CMSG_SPACE(sizeof(int))], byte;
		struct iovec iov = {&byte, 1};
		struct msghdr mh;
		struct cmsghdr *c;
		memset(&mh, 0, sizeof(mh));
		mh.msg_iov = &iov;
		mh.msg_iovlen = 1;
		mh.msg_control = cbuf;
		mh.msg_controllen = sizeof(cbuf);
		if (recvmsg(sv[0], &mh, MSG_CMSG_CLOEXEC) <= 0 || (c = CMSG_FIRSTHDR(&mh)) == NULL)
			die("notify floor: no listener from the child (seccomp failed?)");
		memcpy(&listener, CMSG_DATA(c), sizeof(int));
	}
	{
		int src = open(paths[0], O_RDONLY | O_CLOEXEC);
		if (src < 0)
			die("open %s: %s", paths[0], strerror(errno));
		for (;;) {
			struct seccomp_notif req;
			struct seccomp_notif_resp resp;
			struct seccomp_notif_addfd add;
			memset(&req, 0, sizeof(req));
			if (ioctl(listener, SECCOMP_IOCTL_NOTIF_RECV, &req) < 0) {
				if (errno == EINTR)
					continue;
				die("SECCOMP_IOCTL_NOTIF_RECV: %s", strerror(errno));
			}
			if ((int)req.data.args[0] == NOTIFY_STOP) {
				memset(&resp, 0, sizeof(resp));
				resp.id = req.id;
				if (ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, &resp) < 0)
					die("SECCOMP_IOCTL_NOTIF_SEND: %s", strerror(errno));
				break;
			}
			memset(&add, 0, sizeof(add));
			add.id = req.id;
			add.flags = SECCOMP_ADDFD_FLAG_SEND;
			add.srcfd = (unsigned)src;
			add.newfd_flags = O_CLOEXEC;
			if (ioctl(listener, SECCOMP_IOCTL_NOTIF_ADDFD, &add) < 0)
				die("SECCOMP_IOCTL_NOTIF_ADDFD: %s", strerror(errno));
		}
		close(src);
	}
	close(listener);
	if (recv(sv[0], v, sizeof(double) * (size_t)reps, 0) != (ssize_t)(sizeof(double) * (size_t)reps))
		die("notify floor: no results from the child");
	close(sv[0]);
	if (wait_status(pid) != 0)
		die("notify floor child failed");
	return median(v, (size_t)reps);
}

/* ---- launch ------------------------------------------------------------------------------- */

/* ms for one fork+exec+wait of argv; with connect_port, also connect to 127.0.0.1:port
 * (polled every 50 µs) so a launcher that waits for a connection proceeds. */
static double launch_once(const char *const argv[], int connect_port)
{
	double t0 = now_ns();
	pid_t pid = spawn(argv, -1, -1, NULL);

	if (connect_port > 0) {
		struct sockaddr_in a;
		struct timespec ts = {0, 50000};
		memset(&a, 0, sizeof(a));
		a.sin_family = AF_INET;
		a.sin_port = htons((uint16_t)connect_port);
		a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		for (int tries = 0; tries < 100000; tries++) {
			int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
			int r = connect(s, (struct sockaddr *)&a, sizeof(a));
			close(s);
			if (r == 0)
				break;
			nanosleep(&ts, NULL);
		}
	}
	if (wait_status(pid) != 0)
		return -1;
	return (now_ns() - t0) / 1e6;
}

/* Median ms over launch_reps after two warm-ups; -1 if any run failed. */
static double launch_median(const char *const argv[], int connect_port)
{
	double v[128];
	int k;

	for (k = -2; k < launch_reps; k++) {
		double ms = launch_once(argv, connect_port);
		if (ms < 0)
			return -1;
		if (k >= 0)
			v[k] = ms;
	}
	return median(v, (size_t)launch_reps);
}

static void bench_launch(bool pinned)
{
	const char *bare[] = {"/bin/true", NULL};
	const char *fdb[] = {fdbroker, "run", "-p", pol_listen, "--", "/bin/true", NULL};
	char name[80], path[PATH_MAX], portarg[64];
	double base, ms;
	struct row *r;
	size_t i;
	int ssa_port = free_port();
	struct peer {
		const char *name, *prog, *args[16];
		int port;
	} peers[] = {
		{"bwrap", "bwrap",
		 {"--ro-bind", "/", "/", "--dev", "/dev", "--unshare-pid", "--unshare-ipc",
		  "--die-with-parent", "/bin/true", NULL}, 0},
		{"firejail", "firejail", {"--quiet", "--noprofile", "/bin/true", NULL}, 0},
		{"setpriv", "setpriv",
		 {"--reuid=65534", "--regid=65534", "--clear-groups", "--no-new-privs", "/bin/true",
		  NULL}, 0},
		{"systemd-socket-activate", "systemd-socket-activate",
		 {"-l", portarg, "/bin/true", NULL}, ssa_port},
	};

	snprintf(portarg, sizeof(portarg), "127.0.0.1:%d", ssa_port);
	place(pinned);
	base = launch_median(bare, 0);
	if (base < 0)
		die("fork+exec of /bin/true failed");

	snprintf(name, sizeof(name), "launch_overhead_ms_%s", placement(pinned));
	r = add_row(name, "ms");
	ms = launch_median(fdb, 0);
	if (ms < 0) {
		note(r, "fdbroker run failed");
	} else {
		set_value(r, ms - base);
		set_base(r, base, ms / base);
		note(r, "value = fdbroker run (two listeners) minus bare fork+exec of /bin/true; "
			"baseline = bare fork+exec, ratio = total/bare");
	}
	set_target(r, T_VALUE_LE, 1.0);

	for (i = 0; i < sizeof(peers) / sizeof(peers[0]); i++) {
		const char *argv[20];
		size_t k = 0, j;
		snprintf(name, sizeof(name), "launch_%s_ms_%s", peers[i].name, placement(pinned));
		r = add_row(name, "ms");
		if (!installed(peers[i].prog, path, sizeof(path))) {
			note(r, "not installed");
			continue;
		}
		argv[k++] = path;
		for (j = 0; peers[i].args[j] != NULL; j++)
			argv[k++] = peers[i].args[j];
		argv[k] = NULL;
		ms = launch_median(argv, peers[i].port);
		if (ms < 0) {
			note(r, "%s failed here; not measurable", peers[i].name);
			continue;
		}
		set_value(r, ms - base);
		set_base(r, base, ms / base);
		if (peers[i].port)
			note(r, "waits for a first connection before exec: includes one "
				"loopback connect, polled every 50 us");
	}
	place(false);
}

/* ---- broker memory ------------------------------------------------------------------------ */

static long status_kb(pid_t pid, const char *field)
{
	char path[64], line[256];
	size_t flen = strlen(field);
	long kb = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "r");
	if (f == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL)
		if (strncmp(line, field, flen) == 0 && line[flen] == ':')
			kb = strtol(line + flen + 1, NULL, 10);
	fclose(f);
	return kb;
}

/* VmHWM (kB) of the fdbroker process while its worker is alive and has been served one
 * open. */
static long broker_hwm(const char *policy)
{
	const char *argv[] = {fdbroker, "run", "-p", policy, "--", client, "wait", paths[0], NULL};
	int in[2], out[2];
	char buf[64];
	ssize_t n;
	long kb;
	pid_t pid;

	if (pipe2(in, O_CLOEXEC) < 0 || pipe2(out, O_CLOEXEC) < 0)
		die("pipe: %s", strerror(errno));
	pid = spawn(argv, in[0], out[1], NULL);
	close(in[0]);
	close(out[1]);
	n = read(out[0], buf, sizeof(buf) - 1);
	buf[n > 0 ? n : 0] = '\0';
	kb = strncmp(buf, "ready", 5) == 0 ? status_kb(pid, "VmHWM") : -1;
	close(in[1]);
	close(out[0]);
	if (wait_status(pid) != 0)
		kb = -1;
	return kb;
}

static void bench_memory(void)
{
	double small[16], large[16];
	int k, n = quick ? 1 : 3;
	struct row *r1, *r2;

	r1 = add_row("broker_peak_rss_kb", "kB");
	r2 = add_row("broker_rss_per_100_rules_kb", "kB");
	for (k = 0; k < n; k++) {
		long s = broker_hwm(pol_mem_small), l = broker_hwm(pol_mem_large);
		if (s < 0 || l < 0) {
			note(r1, "fdbroker run failed");
			note(r2, "fdbroker run failed");
			return;
		}
		small[k] = (double)s;
		large[k] = (double)l;
	}
	set_value(r1, median(small, (size_t)n));
	note(r1, "VmHWM of the fdbroker process serving one worker, policy of %d rules",
	     MEM_SMALL);
	set_value(r2, (median(large, (size_t)n) - r1->value) * 100.0 / (MEM_LARGE - MEM_SMALL));
	set_base(r2, r1->value, r2->value / r1->value);
	note(r2, "(VmHWM with %d rules - with %d) per 100 rules; baseline = VmHWM with %d rules",
	     MEM_LARGE, MEM_SMALL, MEM_SMALL);
}

/* ---- main --------------------------------------------------------------------------------- */

static void usage(void)
{
	fprintf(stderr, "usage: bench [--quick] [--build DIR] [--json FILE]   (as root)\n");
	exit(2);
}

int main(int argc, char **argv)
{
	double openat_ns, floor_ns[2], t_start = now_ns();
	struct rlimit rl;
	struct row *r;
	char name[80];
	int i;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--quick") == 0)
			quick = true;
		else if (strcmp(argv[i], "--build") == 0 && i + 1 < argc)
			build_dir = argv[++i];
		else if (strcmp(argv[i], "--json") == 0 && i + 1 < argc)
			json_path = argv[++i];
		else
			usage();
	}
	if (geteuid() != 0)
		die("needs root: fdbroker run opens the policy's listeners and switches to its "
		    "user (try: sudo make bench)");
	if (quick) {
		reps = 1;
		n_open = 200;
		n_rt = 50;
		n_many = 4;
		n_sys = 1000;
		launch_reps = 1;
	}
	if (realpath(build_dir, fdbroker) == NULL)
		die("%s: %s", build_dir, strerror(errno));
	snprintf(client_src, sizeof(client_src), "%s/bench/bench_client", fdbroker);
	strncat(fdbroker, "/fdbroker", sizeof(fdbroker) - strlen(fdbroker) - 1);
	if (access(fdbroker, X_OK) < 0)
		die("%s: %s (run `make` first)", fdbroker, strerror(errno));
	if (sched_getaffinity(0, sizeof(full_mask), &full_mask) < 0)
		die("sched_getaffinity: %s", strerror(errno));
	/* the broker opens one directory per rule: room for the 1010-rule policy */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < 4096) {
		rl.rlim_cur = rl.rlim_max < 4096 ? rl.rlim_max : 4096;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}
	setup();
	printf("fdbroker bench (%s mode), %ld CPUs online, workspace %s\n",
	       quick ? "quick" : "full", sysconf(_SC_NPROCESSORS_ONLN), work);
	fflush(stdout);

	/* openat_direct: placement does not matter for a single process */
	openat_ns = bench_openat();
	r = add_row("openat_direct", "ops/s");
	set_value(r, 1e9 / openat_ns);
	note(r, "%.0f ns per openat+close, in-process as root", openat_ns);

	for (i = 0; i < 2; i++) {
		bool pinned = i == 0;
		double ns, ns_file, ns_many, notify_ns;
		place(pinned);

		snprintf(name, sizeof(name), "roundtrip_floor_%s", placement(pinned));
		r = add_row(name, "ns");
		floor_ns[i] = bench_floor(false);
		set_value(r, floor_ns[i]);

		snprintf(name, sizeof(name), "roundtrip_open_floor_%s", placement(pinned));
		r = add_row(name, "ns");
		ns = bench_floor(true);
		set_value(r, ns);
		set_base(r, floor_ns[i], ns / floor_ns[i]);
		note(r, "informative: the floor server also openat()s the path per request "
			"and closes its copy; baseline = roundtrip_floor");

		snprintf(name, sizeof(name), "notify_addfd_floor_%s", placement(pinned));
		r = add_row(name, "ns");
		notify_ns = bench_notify();
		set_value(r, notify_ns);
		note(r, "baseline for intercept_open_vs_floor");

		snprintf(name, sizeof(name), "intercept_open_vs_floor_%s", placement(pinned));
		r = add_row(name, "ns");
		set_target(r, T_RATIO_LE, 1.3);
		if (run_client(pol_intercept, NULL, "iopen", n_rt, true, &ns) == 0) {
			set_value(r, ns);
			set_base(r, notify_ns, ns / notify_ns);
			note(r, "plain openat() of an allowed file under `intercept open`; baseline "
				"= notify_addfd_floor");
		}

		snprintf(name, sizeof(name), "fdb_open_vs_floor_%s", placement(pinned));
		r = add_row(name, "ns");
		set_target(r, T_RATIO_LE, 1.3);
		if (run_client(pol_open, NULL, "open", n_rt, true, &ns) == 0) {
			set_value(r, ns);
			set_base(r, floor_ns[i], ns / floor_ns[i]);
		}

		snprintf(name, sizeof(name), "fdb_open_auditfile_%s", placement(pinned));
		r = add_row(name, "ns");
		unlink(audit_log);
		if (r[-1].has_value &&
		    run_client(pol_open, audit_log, "open", n_rt, true, &ns_file) == 0) {
			struct stat st;
			set_value(r, ns_file);
			set_base(r, r[-1].value, ns_file / r[-1].value);
			note(r, "fdb_open with fdbroker stderr (audit log) to a regular file, "
				"baseline = stderr to /dev/null; %lld bytes logged",
			     stat(audit_log, &st) == 0 ? (long long)st.st_size : -1LL);
		}

		snprintf(name, sizeof(name), "fdb_open_many64_vs_openat_%s", placement(pinned));
		r = add_row(name, "fds/s");
		set_target(r, T_RATIO_GE, 0.75);
		if (run_client(pol_open, NULL, "many", n_many, true, &ns_many) == 0) {
			set_value(r, 1e9 / ns_many);
			set_base(r, 1e9 / openat_ns, openat_ns / ns_many);
			note(r, "fdb_open_many of %d paths per call, each fd closed; baseline = "
				"openat_direct; %.0f ns per fd",
			     NFILES, ns_many);
		}

		snprintf(name, sizeof(name), "fdb_open_many64_auditfile_%s", placement(pinned));
		r = add_row(name, "fds/s");
		unlink(audit_log);
		if (r[-1].has_value &&
		    run_client(pol_open, audit_log, "many", n_many, true, &ns_file) == 0) {
			set_value(r, 1e9 / ns_file);
			set_base(r, r[-1].value, ns_many / ns_file);
			note(r, "as fdb_open_many64 with fdbroker stderr (audit log) to a regular "
				"file, baseline = stderr to /dev/null; %.0f ns per fd",
			     ns_file);
		}
	}

	/* filter tax: the same binary with and without the worker's filter, on CPU 0 */
	place(true);
	{
		const char *modes[] = {"syscall", "ioctl"};
		const char *names[] = {"filter_tax_ns", "filter_tax_argcheck_ns"};
		for (i = 0; i < 2; i++) {
			double bare, filtered;
			r = add_row(names[i], "ns");
			set_target(r, T_VALUE_LE, 50);
			if (run_client(NULL, NULL, modes[i], n_sys, false, &bare) < 0 ||
			    run_client(pol_open, NULL, modes[i], n_sys, false, &filtered) < 0)
				continue;
			set_value(r, filtered - bare);
			set_base(r, bare, filtered / bare);
			note(r, i == 0 ? "syscall(SYS_getppid): allowed unconditionally; baseline = "
					 "same binary without fdbroker, ns/call"
				       : "ioctl(0, TCGETS): the filter inspects ioctl arguments "
					 "(TIOCSTI), so its BPF runs; informative");
		}
	}
	r = add_row("filter_tax_any_filter_ns", "ns");
	{
		double bare, allowall;
		if (run_client(NULL, NULL, "syscall", n_sys, false, &bare) == 0 &&
		    run_client(NULL, NULL, "syscall-allowall", n_sys, false, &allowall) == 0) {
			set_value(r, allowall - bare);
			set_base(r, bare, allowall / bare);
			note(r, "informative: getppid under a one-instruction RET_ALLOW filter, "
				"minus none: the part of filter_tax_ns any seccomp filter costs");
		}
	}
	place(false);

	bench_launch(true);
	bench_launch(false);
	bench_memory();

	print_table();
	printf("wall time %.1f s; JSON in %s\n", (now_ns() - t_start) / 1e9, json_path);
	cleanup();
	return write_json(json_path) < 0 ? 1 : 0;
}
