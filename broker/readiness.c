/*
 * readiness.c — systemd readiness for a Type=notify service under fdbroker.
 *
 * systemd accepts sd_notify messages from the main pid only (NotifyAccess=main, the
 * default), and the main pid is fdbroker, not the worker. So when fdbroker is started with
 * NOTIFY_SOCKET, it gives the worker a relay socket of its own instead (an abstract unix
 * datagram socket with a random name), and forwards what arrives, from its own pid:
 *   - only datagrams whose kernel-checked credentials (SCM_CREDENTIALS) name the worker or
 *     one of its descendants are accepted;
 *   - only the assignments systemd documents for a service's state are forwarded (READY,
 *     RELOADING, STOPPING, STATUS, ERRNO, BUSERROR, WATCHDOG, WATCHDOG_USEC,
 *     EXTEND_TIMEOUT_USEC, MONOTONIC_USEC); MAINPID= is dropped (the worker must not move
 *     systemd's idea of the main process), FDSTORE and any fds sent along are dropped and
 *     closed (the fd store is not brokered).
 * No NotifyAccess=all is needed, and nothing else on the machine can speak for the service.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "broker.h"
#include "fdutil.h"
#include "log.h"

#define NOTIFY_MAX 4096

static const char *const forwarded[] = {
	"READY=",   "RELOADING=",    "STOPPING=",	       "STATUS=",	 "ERRNO=",
	"BUSERROR=", "WATCHDOG=",    "WATCHDOG_USEC=", "EXTEND_TIMEOUT_USEC=", "MONOTONIC_USEC=",
	NULL,
};

/* Fill a sockaddr_un from a NOTIFY_SOCKET value ("/path" or "@abstract"). */
static int notify_addr(const char *s, struct sockaddr_un *sun, socklen_t *ret_len)
{
	size_t n = strlen(s);

	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	if (n == 0 || n >= sizeof(sun->sun_path) || (s[0] != '/' && s[0] != '@')) {
		errno = EINVAL;
		return -1;
	}
	memcpy(sun->sun_path, s, n);
	if (s[0] == '@')
		sun->sun_path[0] = '\0';
	*ret_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + (s[0] == '/'));
	return 0;
}

int readiness_init(struct broker *b)
{
	const char *target = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sun;
	unsigned char rnd[8];
	char name[64];
	socklen_t len;
	int one = 1;

	b->notify_relay = b->notify_out = -1;
	if (target == NULL || *target == '\0')
		return 0;
	if (notify_addr(target, &b->notify_target, &b->notify_target_len) < 0) {
		log_err("NOTIFY_SOCKET='%s' is not a unix socket address", target);
		return -1;
	}
	if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd)) {
		log_err("getrandom: %m");
		return -1;
	}
	snprintf(name, sizeof(name), "@fdbroker-notify/%ld/%02x%02x%02x%02x%02x%02x%02x%02x",
		 (long)getpid(), rnd[0], rnd[1], rnd[2], rnd[3], rnd[4], rnd[5], rnd[6], rnd[7]);
	b->notify_relay = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	b->notify_out = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (b->notify_relay < 0 || b->notify_out < 0 ||
	    setsockopt(b->notify_relay, SOL_SOCKET, SO_PASSCRED, &one, sizeof(one)) < 0 ||
	    notify_addr(name, &sun, &len) < 0 || bind(b->notify_relay, (struct sockaddr *)&sun, len) < 0) {
		log_err("creating the readiness relay socket: %m");
		return -1;
	}
	if (asprintf(&b->notify_env, "NOTIFY_SOCKET=%s", name) < 0) {
		b->notify_env = NULL;
		log_err("out of memory");
		return -1;
	}
	log_info("relaying sd_notify messages from the worker to %s", target);
	return 0;
}

void readiness_free(struct broker *b)
{
	b->notify_relay = fdutil_close(b->notify_relay);
	b->notify_out = fdutil_close(b->notify_out);
	free(b->notify_env);
	b->notify_env = NULL;
}

/* Is pid the worker or one of its descendants? Walks /proc/PID/stat parents, bounded. */
static bool in_worker_tree(const struct broker *b, pid_t pid)
{
	int depth;

	for (depth = 0; depth < 64 && pid > 1; depth++) {
		char path[64], buf[512], *close_paren;
		long ppid = 0;
		int fd;
		ssize_t n;

		if (pid == b->worker_pid)
			return true;
		snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return false;
		n = read(fd, buf, sizeof(buf) - 1);
		fdutil_close(fd);
		if (n <= 0)
			return false;
		buf[n] = '\0';
		/* "pid (comm) state ppid ...": comm may contain anything, so find the last ')' */
		close_paren = strrchr(buf, ')');
		if (close_paren == NULL || sscanf(close_paren + 1, " %*c %ld", &ppid) != 1)
			return false;
		pid = (pid_t)ppid;
	}
	return false;
}

static bool is_forwarded(const char *line)
{
	size_t i;

	for (i = 0; forwarded[i] != NULL; i++)
		if (strncmp(line, forwarded[i], strlen(forwarded[i])) == 0)
			return true;
	return false;
}

void readiness_handle(struct broker *b)
{
	char buf[NOTIFY_MAX + 1], out[NOTIFY_MAX + 1];
	union {
		char buf[CMSG_SPACE(sizeof(struct ucred)) + CMSG_SPACE(16 * sizeof(int))];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = {buf, NOTIFY_MAX};
	struct msghdr msg;
	struct cmsghdr *c;
	struct ucred cred = {0};
	bool have_cred = false;
	size_t olen = 0;
	ssize_t n;
	char *line, *save = NULL;

	/* A bounded number per wakeup, so a flood cannot starve the event loop; the rest wait
	 * for the next turn (level-triggered). */
	for (int turn = 0; turn < 16; turn++) {
		memset(&msg, 0, sizeof(msg));
		msg.msg_iov = &iov;
		msg.msg_iovlen = 1;
		msg.msg_control = ctl.buf;
		msg.msg_controllen = sizeof(ctl.buf);
		n = recvmsg(b->notify_relay, &msg, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
		if (n < 0)
			return; /* EAGAIN: drained */
		have_cred = false;
		for (c = CMSG_FIRSTHDR(&msg); c != NULL; c = CMSG_NXTHDR(&msg, c)) {
			if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_CREDENTIALS &&
			    c->cmsg_len >= CMSG_LEN(sizeof(cred))) {
				memcpy(&cred, CMSG_DATA(c), sizeof(cred));
				have_cred = true;
			} else if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
				/* FDSTORE and friends: not brokered; never keep a worker's fds */
				int *fds = (int *)CMSG_DATA(c);
				size_t k, nfds = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
				for (k = 0; k < nfds; k++)
					fdutil_close(fds[k]);
			}
		}
		if (!have_cred || !in_worker_tree(b, cred.pid)) {
			log_debug("dropped an sd_notify message from pid %d: not the worker",
				  have_cred ? (int)cred.pid : -1);
			continue;
		}
		buf[n] = '\0';
		olen = 0;
		for (line = strtok_r(buf, "\n", &save); line != NULL;
		     line = strtok_r(NULL, "\n", &save)) {
			size_t ll = strlen(line);
			if (!is_forwarded(line)) {
				log_debug("dropped '%.*s' from the worker's sd_notify message",
					  (int)(ll > 64 ? 64 : ll), line);
				continue;
			}
			if (olen + ll + 1 > NOTIFY_MAX)
				break;
			memcpy(out + olen, line, ll);
			olen += ll;
			out[olen++] = '\n';
		}
		if (olen == 0)
			continue;
		/* never block on a slow reader: drop and say so instead */
		if (sendto(b->notify_out, out, olen, MSG_NOSIGNAL | MSG_DONTWAIT,
			   (struct sockaddr *)&b->notify_target, b->notify_target_len) < 0)
			log_warn("forwarding sd_notify to NOTIFY_SOCKET: %m%s",
				 errno == EAGAIN ? " (its reader is behind; message dropped)" : "");
		else
			log_debug("forwarded %zu bytes of sd_notify from worker pid %d", olen,
				  (int)cred.pid);
	}
}
