/*
 * rtclient.c — a service that asks its broker for fds at run time, for the end-to-end tests.
 * It links only libfdbroker (fdbroker.h), like a real service.
 *
 * Usage: rtclient CMD [ARG]... [-- CMD [ARG]...]...   each command prints one line:
 *   open PATH FLAGS        FLAGS: r, w, rw, a (append), c (create), t (trunc), d (dir),
 *                          x (excl), P (O_PATH), T (O_TMPFILE), 0x.. (raw)
 *                          -> "open PATH: fd N cloexec C content '...'" or "open PATH: ERRNO"
 *   direct PATH            open(2) it ourselves (the control: should fail)
 *   connect ADDR           -> "connect ADDR: fd N peer ..." or ERRNO
 *   listen ADDR            -> "listen ADDR: fd N listening L"
 *   bind-self PORT         bind 127.0.0.1:PORT ourselves (the control)
 *   many N PATH            fdb_open_many of N copies of PATH -> "many: K fds (first F)"
 *   fd NAME                fdb_fd(NAME) -> "fd NAME: N"
 *   loop N PATH DENIED     N mixed requests (granted PATH, refused DENIED), closing fds
 *   wait FILE              create FILE.ready, then wait until FILE exists
 *   nofile N               set the soft RLIMIT_NOFILE to N
 *   noread N PATH          send up to N open requests without ever reading a reply, then
 *                          wait for a signal -> "noread: sent K requests"
 *   orphan N PATH          fork: the child floods N unread open requests and sleeps 30 s
 *                          holding the channel, the parent exits at once
 *                          -> "orphan: child PID"
 *   flood-exit N PATH      send N open requests and exit at once, replies unread
 *   fliprace N DIR         a thread flips DIR/d between a directory holding "shadow" and a
 *                          symlink to /etc while N fdb_open(DIR/d/shadow) run
 *                          -> "fliprace: N opens, K escapes"
 *   garbage-flood N        N zero-length messages, then one valid open of $RT_VALID
 *   garbage                hostile messages on the channel, then one valid open of the
 *                          path in $RT_VALID -> "garbage: valid open after: fd N"
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <time.h>
#include <unistd.h>
#include <pthread.h>

#include "fdbroker.h"

static int parse_flags(const char *s)
{
	int f = 0, r = 0, w = 0;

	if (strncmp(s, "0x", 2) == 0)
		return (int)strtol(s, NULL, 16);
	for (; *s; s++) {
		switch (*s) {
		case 'r': r = 1; break;
		case 'w': w = 1; break;
		case 'a': w = 1; f |= O_APPEND; break;
		case 'c': f |= O_CREAT; break;
		case 't': f |= O_TRUNC; break;
		case 'd': f |= O_DIRECTORY; break;
		case 'x': f |= O_EXCL; break;
		case 'P': f |= O_PATH; break;
		case 'T': f |= O_TMPFILE; break;
		}
	}
	return f | (r && w ? O_RDWR : w ? O_WRONLY : O_RDONLY);
}

static void describe_open(const char *path, int fd)
{
	char buf[64] = {0};
	ssize_t n;

	if (fd < 0) {
		printf("open %s: %s\n", path, strerrorname_np(errno));
		return;
	}
	n = pread(fd, buf, sizeof(buf) - 1, 0);
	if (n > 0 && buf[n - 1] == '\n')
		buf[n - 1] = '\0';
	printf("open %s: fd %d cloexec %d content '%s'\n", path, fd,
	       (fcntl(fd, F_GETFD) & FD_CLOEXEC) != 0, n > 0 ? buf : "");
	close(fd);
}

static int channel(void)
{
	const char *s = getenv("FDBROKER_FD");
	return s != NULL ? atoi(s) : -1;
}

/* One raw datagram with optional fds. */
static void raw_send(const void *buf, size_t len, const int *fds, size_t nfds)
{
	union {
		char buf[CMSG_SPACE(253 * sizeof(int))];
		struct cmsghdr align;
	} u;
	struct iovec iov = {(void *)buf, len};
	struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};

	if (nfds > 0) {
		struct cmsghdr *c;
		memset(&u, 0, sizeof(u));
		msg.msg_control = u.buf;
		msg.msg_controllen = CMSG_SPACE(nfds * sizeof(int));
		c = CMSG_FIRSTHDR(&msg);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(nfds * sizeof(int));
		memcpy(CMSG_DATA(c), fds, nfds * sizeof(int));
	}
	if (sendmsg(channel(), &msg, MSG_NOSIGNAL) < 0)
		printf("garbage: send of %zu bytes/%zu fds: %s\n", len, nfds, strerrorname_np(errno));
}

struct hdr {
	uint16_t version, type;
	uint32_t len, id, flags;
};

/* A raw PROTO_OPEN request for path (flags O_RDONLY) into msg; returns its length. */
static size_t raw_open_request(char *msg, size_t size, const char *path, uint32_t id)
{
	struct hdr h = {1, 16, 0, id, 0};
	size_t len = strlen(path) + 1;

	if (24 + len > size)
		len = size - 24;
	h.len = (uint32_t)(8 + len);
	memcpy(msg, &h, sizeof(h));
	memset(msg + 16, 0, 8);
	memcpy(msg + 24, path, len);
	return 16 + h.len;
}

/* Drain replies the broker sent to our hostile requests (it answers requests with EPROTO). */
static void drain(void)
{
	char buf[70000];
	while (recv(channel(), buf, sizeof(buf), MSG_DONTWAIT) >= 0)
		;
}

static void garbage(void)
{
	static char big[1 << 20];
	int fds[253], i, fd;
	struct hdr h;
	char msg[256];
	const char *valid = getenv("RT_VALID");

	for (i = 0; i < 253; i++)
		fds[i] = open("/dev/null", O_RDONLY | O_CLOEXEC);
	/* 253 fds on a valid OPEN request */
	memset(&h, 0, sizeof(h));
	h.version = 1;
	h.type = 16;
	h.id = 7;
	h.len = 4 + 4 + (uint32_t)strlen(valid) + 1;
	memcpy(msg, &h, sizeof(h));
	memset(msg + 16, 0, 8);
	strcpy(msg + 24, valid);
	raw_send(msg, 16 + h.len, fds, 253);
	/* one-fd messages in a loop, on a type that carries none */
	for (i = 0; i < 200; i++)
		raw_send(msg, 16 + h.len, fds, 1);
	/* a FIFO, a directory and our own channel end as hostile fds */
	mkfifo("/tmp/.rtclient-fifo", 0600);
	fd = open("/tmp/.rtclient-fifo", O_RDWR | O_NONBLOCK);
	raw_send(msg, 16 + h.len, &fd, 1);
	fd = open("/", O_RDONLY | O_DIRECTORY);
	raw_send(msg, 16 + h.len, &fd, 1);
	fd = channel();
	raw_send(msg, 16 + h.len, &fd, 1);
	unlink("/tmp/.rtclient-fifo");
	/* 1 MiB (the socket refuses what does not fit its buffer: send the most it takes) */
	memcpy(big, &h, sizeof(h));
	for (size_t len = sizeof(big); len >= 65536; len /= 2) {
		errno = 0;
		struct iovec iov = {big, len};
		struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1};
		if (sendmsg(channel(), &m, MSG_NOSIGNAL) >= 0)
			break;
	}
	/* zero length, truncated header, length larger than the payload */
	raw_send(msg, 0, NULL, 0);
	raw_send(msg, 5, NULL, 0);
	h.len = 1000;
	memcpy(msg, &h, sizeof(h));
	raw_send(msg, 40, NULL, 0);
	/* unknown type, wrong version, a broker-only type */
	h.len = 0;
	h.type = 999;
	memcpy(msg, &h, sizeof(h));
	raw_send(msg, 16, NULL, 0);
	h.type = 16;
	h.version = 2;
	memcpy(msg, &h, sizeof(h));
	raw_send(msg, 16, NULL, 0);
	h.version = 1;
	h.type = 1;
	memcpy(msg, &h, sizeof(h));
	raw_send(msg, 16, NULL, 0);
	/* strings without NUL, and with an embedded NUL before trailing bytes */
	h.type = 16;
	h.len = 8 + 4;
	memcpy(msg, &h, sizeof(h));
	memset(msg + 16, 0, 8);
	memcpy(msg + 24, "/abc", 4);
	raw_send(msg, 16 + h.len, NULL, 0);
	memcpy(msg + 24, "/a\0c", 4);
	raw_send(msg, 16 + h.len, NULL, 0);
	/* a duplicate seccomp listener (allowed once, and only from our launcher) */
	h.type = 2;
	h.len = 0;
	memcpy(msg, &h, sizeof(h));
	fd = open("/dev/null", O_RDONLY);
	raw_send(msg, 16, &fd, 1);
	for (i = 0; i < 253; i++)
		close(fds[i]);
	usleep(100000);
	drain();
	fd = fdb_open(valid, O_RDONLY, 0);
	printf("garbage: valid open after: %s %d\n", fd >= 0 ? "fd" : strerrorname_np(errno), fd);
}

static const char *flip_dir;
static volatile int flip_stop;

static void *flipper(void *arg)
{
	char d[4096], tmpd[4096], f[8300];
	(void)arg;
	snprintf(d, sizeof(d), "%s/d", flip_dir);
	snprintf(tmpd, sizeof(tmpd), "%s/d.dir", flip_dir);
	while (!flip_stop) {
		/* d: a real directory holding "shadow" ... */
		mkdir(tmpd, 0755);
		snprintf(f, sizeof(f), "%s/shadow", tmpd);
		close(open(f, O_WRONLY | O_CREAT | O_CLOEXEC, 0644));
		rename(tmpd, d);
		/* ... then a symlink to /etc, swapped in atomically */
		snprintf(f, sizeof(f), "%s/d.lnk", flip_dir);
		if (symlink("/etc", f) == 0)
			rename(f, d);
		snprintf(f, sizeof(f), "%s/d", flip_dir);
		unlink(f);
		snprintf(f, sizeof(f), "%s/d.dir/shadow", flip_dir);
		unlink(f);
		rmdir(tmpd);
	}
	return NULL;
}

static void fliprace(long n, const char *dir)
{
	char path[4096];
	pthread_t th;
	long k, opened = 0, escapes = 0;

	flip_dir = dir;
	snprintf(path, sizeof(path), "%s/d/shadow", dir);
	pthread_create(&th, NULL, flipper, NULL);
	for (k = 0; k < n; k++) {
		int fd = fdb_open(path, O_RDONLY, 0);
		char buf[8] = {0};
		if (fd < 0)
			continue;
		opened++;
		/* the real /etc/shadow starts with "root:"; ours is empty */
		if (read(fd, buf, 5) == 5 && memcmp(buf, "root:", 5) == 0)
			escapes++;
		close(fd);
	}
	flip_stop = 1;
	pthread_join(th, NULL);
	printf("fliprace: %ld opens, %ld escapes\n", opened, escapes);
}

int main(int argc, char **argv)
{
	int i = 1;

	setvbuf(stdout, NULL, _IOLBF, 0);
	while (i < argc) {
		const char *cmd = argv[i++];
		if (strcmp(cmd, "--") == 0)
			continue;
		if (strcmp(cmd, "open") == 0 && i + 1 < argc) {
			describe_open(argv[i], fdb_open(argv[i], parse_flags(argv[i + 1]), 0644));
			i += 2;
		} else if (strcmp(cmd, "direct") == 0 && i < argc) {
			int fd = open(argv[i], O_RDONLY | O_CLOEXEC);
			printf("direct %s: %s\n", argv[i], fd >= 0 ? "opened" : strerrorname_np(errno));
			if (fd >= 0)
				close(fd);
			i++;
		} else if (strcmp(cmd, "connect") == 0 && i < argc) {
			int fd = fdb_connect(argv[i]);
			if (fd < 0) {
				printf("connect %s: %s\n", argv[i], strerrorname_np(errno));
			} else {
				char buf[64] = {0};
				ssize_t n = read(fd, buf, sizeof(buf) - 1);
				printf("connect %s: fd %d cloexec %d read '%s'\n", argv[i], fd,
				       (fcntl(fd, F_GETFD) & FD_CLOEXEC) != 0, n > 0 ? buf : "");
				close(fd);
			}
			i++;
		} else if (strcmp(cmd, "listen") == 0 && i < argc) {
			int fd = fdb_listen(argv[i], 16), acc = 0;
			socklen_t len = sizeof(acc);
			if (fd < 0) {
				printf("listen %s: %s\n", argv[i], strerrorname_np(errno));
			} else {
				getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &acc, &len);
				printf("listen %s: fd %d listening %d\n", argv[i], fd, acc);
				close(fd);
			}
			i++;
		} else if (strcmp(cmd, "bind-self") == 0 && i < argc) {
			struct sockaddr_in sin = {.sin_family = AF_INET,
						  .sin_port = htons((uint16_t)atoi(argv[i]))};
			int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
			sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
			printf("bind-self %s: %s\n", argv[i],
			       bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0
				       ? "bound"
				       : strerrorname_np(errno));
			close(fd);
			i++;
		} else if (strcmp(cmd, "many") == 0 && i + 1 < argc) {
			size_t n = (size_t)atoi(argv[i]), k;
			const char **paths = calloc(n, sizeof(*paths));
			int *flags = calloc(n, sizeof(*flags)), *fds = calloc(n, sizeof(*fds));
			int got, cloexec = 1;
			for (k = 0; k < n; k++) {
				paths[k] = argv[i + 1];
				flags[k] = O_RDONLY;
			}
			got = fdb_open_many(n, paths, flags, fds);
			for (k = 0; got > 0 && k < n; k++) {
				if (fds[k] >= 0 && !(fcntl(fds[k], F_GETFD) & FD_CLOEXEC))
					cloexec = 0;
			}
			printf("many: %d fds (first %d) cloexec %d\n", got, got > 0 ? fds[0] : -1,
			       cloexec);
			for (k = 0; got > 0 && k < n; k++)
				if (fds[k] >= 0)
					close(fds[k]);
			i += 2;
		} else if (strcmp(cmd, "fd") == 0 && i < argc) {
			printf("fd %s: %d\n", argv[i], fdb_fd(argv[i]));
			i++;
		} else if (strcmp(cmd, "loop") == 0 && i + 2 < argc) {
			long n = atol(argv[i]), k, ok = 0, refused = 0;
			for (k = 0; k < n; k++) {
				int fd = fdb_open(k % 2 ? argv[i + 2] : argv[i + 1], O_RDONLY, 0);
				if (fd >= 0) {
					ok++;
					close(fd);
				} else if (errno == EACCES) {
					refused++;
				}
			}
			printf("loop: %ld granted %ld refused\n", ok, refused);
			i += 3;
		} else if (strcmp(cmd, "wait") == 0 && i < argc) {
			char ready[4096];
			snprintf(ready, sizeof(ready), "%s.ready", argv[i]);
			close(open(ready, O_WRONLY | O_CREAT | O_CLOEXEC, 0644));
			while (access(argv[i], F_OK) != 0)
				usleep(5000);
			i++;
		} else if (strcmp(cmd, "nofile") == 0 && i < argc) {
			struct rlimit rl;
			getrlimit(RLIMIT_NOFILE, &rl);
			rl.rlim_cur = (rlim_t)atol(argv[i]);
			printf("nofile %s: %s\n", argv[i],
			       setrlimit(RLIMIT_NOFILE, &rl) == 0 ? "set" : strerrorname_np(errno));
			i++;
		} else if (strcmp(cmd, "noread") == 0 && i + 1 < argc) {
			long n = atol(argv[i]), k;
			char msg[4200];
			for (k = 0; k < n; k++) {
				size_t l = raw_open_request(msg, sizeof(msg), argv[i + 1],
							    (uint32_t)k + 1);
				if (send(channel(), msg, l, MSG_DONTWAIT | MSG_NOSIGNAL) < 0)
					break;
			}
			printf("noread: sent %ld requests\n", k);
			pause();
			i += 2;
		} else if (strcmp(cmd, "orphan") == 0 && i + 1 < argc) {
			pid_t c = fork();
			if (c == 0) {
				long n = atol(argv[i]), k;
				char msg[4200];
				size_t l = raw_open_request(msg, sizeof(msg), argv[i + 1], 0);
				/* keep the queue full for up to 20 s, whatever the broker drains */
				time_t end = time(NULL) + 20;
				for (k = 0; k < n && time(NULL) < end;)
					if (send(channel(), msg, l, MSG_NOSIGNAL | MSG_DONTWAIT) >= 0)
						k++;
					else if (errno != EAGAIN)
						break;
				sleep(30);
				_exit(0);
			}
			printf("orphan: child %d\n", (int)c);
			usleep(100000); /* let the child start flooding */
			_exit(0);
		} else if (strcmp(cmd, "flood-exit") == 0 && i + 1 < argc) {
			long n = atol(argv[i]), k;
			char msg[4200];
			size_t l = raw_open_request(msg, sizeof(msg), argv[i + 1], 0);
			for (k = 0; k < n; k++)
				if (send(channel(), msg, l, MSG_DONTWAIT | MSG_NOSIGNAL) < 0)
					break;
			printf("flood-exit: sent %ld\n", k);
			_exit(0);
		} else if (strcmp(cmd, "fliprace") == 0 && i + 1 < argc) {
			fliprace(atol(argv[i]), argv[i + 1]);
			i += 2;
		} else if (strcmp(cmd, "garbage-flood") == 0 && i < argc) {
			long n = atol(argv[i]), k;
			int fd;
			for (k = 0; k < n; k++)
				if (send(channel(), "", 0, MSG_NOSIGNAL) < 0)
					break;
			usleep(200000);
			fd = fdb_open(getenv("RT_VALID"), O_RDONLY, 0);
			printf("garbage-flood: sent %ld, then open: %s\n", k,
			       fd >= 0 ? "fd" : strerrorname_np(errno));
			i++;
		} else if (strcmp(cmd, "garbage") == 0) {
			garbage();
		} else {
			fprintf(stderr, "rtclient: bad command '%s'\n", cmd);
			return 2;
		}
	}
	return 0;
}
