/*
 * loop.c — the broker's event loop: the channel, the seccomp listener, forwarded signals
 * and the worker's exit, on one epoll set. Returns when the worker has exited.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "broker.h"
#include "audit.h"
#include "dispatch.h"
#include "fdutil.h"
#include "log.h"

#ifndef P_PIDFD
#define P_PIDFD 3
#endif

enum {
	TAG_SIGNAL = 1,
	TAG_WORKER = 2,
	TAG_CHANNEL = 3,
	TAG_LISTENER = 4,
	TAG_READINESS = 5,
};

static int watch(struct broker *b, int fd, uint32_t tag)
{
	struct epoll_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN;
	ev.data.u32 = tag;
	if (epoll_ctl(b->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		log_err("epoll_ctl: %m");
		return -1;
	}
	return 0;
}

int dispatch_watch_listener(struct broker *b)
{
	return watch(b, b->listener, TAG_LISTENER);
}

void dispatch_want_write(struct broker *b, bool on)
{
	struct epoll_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.events = on ? EPOLLOUT : EPOLLIN;
	ev.data.u32 = TAG_CHANNEL;
	if (b->channel >= 0 && epoll_ctl(b->epfd, EPOLL_CTL_MOD, b->channel, &ev) < 0)
		log_err("epoll_ctl: %m");
}

/* One message per wakeup: epoll is level-triggered, so a queue of requests brings us
 * straight back, and a lone request costs no extra recvmsg that would only say EAGAIN. Other
 * events (signals, the worker's exit, notifications) get their turn between messages. */
static void serve_channel(struct broker *b, uint32_t events)
{
	int r;

	if (b->reply.pending) {
		if (events & (EPOLLOUT | EPOLLERR | EPOLLHUP))
			dispatch_reply_writable(b);
		if (b->reply.pending)
			return;
	}
	r = dispatch_channel(b);
	if (r == 0) {
		/* The worker closed its end: nothing more to serve on it. */
		epoll_ctl(b->epfd, EPOLL_CTL_DEL, b->channel, NULL);
		b->channel = fdutil_close(b->channel);
	}
}

static void forward_signal(struct broker *b)
{
	struct signalfd_siginfo si;
	while (read(b->sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		if (b->worker_exited)
			continue;
		log_debug("forwarding signal %u (%s) to worker %ld", si.ssi_signo,
			  strsignal((int)si.ssi_signo), (long)b->worker_pid);
		if (syscall(SYS_pidfd_send_signal, b->pidfd, (int)si.ssi_signo, NULL, 0) < 0 &&
		    errno != ESRCH)
			log_warn("forwarding signal %u: %m", si.ssi_signo);
	}
}

static void reap(struct broker *b)
{
	siginfo_t info;

	audit_flush(); /* keep the order of lines on stderr */
	memset(&info, 0, sizeof(info));
	if (waitid((idtype_t)P_PIDFD, (id_t)b->pidfd, &info, WEXITED | WNOHANG) < 0) {
		if (errno == EINTR)
			return;
		log_err("waitid: %m");
		b->worker_status = BROKER_EXIT_LAUNCH;
		b->worker_exited = true;
		return;
	}
	if (info.si_pid == 0)
		return; /* not yet */
	b->worker_exited = true;
	if (info.si_code == CLD_EXITED) {
		b->worker_status = info.si_status;
		log_info("worker %ld exited with status %d", (long)b->worker_pid, info.si_status);
	} else {
		b->worker_status = 128 + info.si_status;
		log_notice("worker %ld was killed by signal %d (%s)%s", (long)b->worker_pid,
			   info.si_status, strsignal(info.si_status),
			   info.si_status == SIGSYS
				   ? ": the seccomp filter kills every syscall made through a "
				     "non-native ABI (i386 int 0x80, x32)"
				   : "");
	}
}

int loop_run(struct broker *b)
{
	struct epoll_event evs[8];
	int i, n;

	b->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (b->epfd < 0) {
		log_err("epoll_create1: %m");
		return BROKER_EXIT_LAUNCH;
	}
	if (watch(b, b->sigfd, TAG_SIGNAL) < 0 || watch(b, b->pidfd, TAG_WORKER) < 0 ||
	    watch(b, b->channel, TAG_CHANNEL) < 0 ||
	    (b->notify_relay >= 0 && watch(b, b->notify_relay, TAG_READINESS) < 0))
		return BROKER_EXIT_LAUNCH;

	while (!b->worker_exited) {
		n = epoll_wait(b->epfd, evs, (int)(sizeof(evs) / sizeof(evs[0])),
			       audit_timeout_ms());
		if (n < 0) {
			if (errno == EINTR)
				continue;
			log_err("epoll_wait: %m");
			return BROKER_EXIT_LAUNCH;
		}
		if (n == 0 || audit_timeout_ms() == 0)
			audit_flush();
		for (i = 0; i < n; i++) {
			switch (evs[i].data.u32) {
			case TAG_SIGNAL:
				forward_signal(b);
				break;
			case TAG_WORKER:
				reap(b);
				break;
			case TAG_CHANNEL:
				if (b->channel >= 0)
					serve_channel(b, evs[i].events);
				break;
			case TAG_READINESS:
				readiness_handle(b);
				break;
			case TAG_LISTENER:
				if (b->listener >= 0 && (evs[i].events & EPOLLIN))
					notify_handle(b);
				if (b->listener >= 0 && (evs[i].events & (EPOLLHUP | EPOLLERR)) &&
				    !(evs[i].events & EPOLLIN)) {
					/* every filtered process is gone */
					epoll_ctl(b->epfd, EPOLL_CTL_DEL, b->listener, NULL);
					b->listener = fdutil_close(b->listener);
				}
				break;
			}
		}
	}
	/* Read what the worker sent just before it went (an exec failure report), but only a
	 * few messages and never past a pending reply: a child the worker left behind may
	 * still hold the channel and must not keep the broker serving. */
	for (i = 0; i < 8 && b->channel >= 0 && !b->reply.pending; i++)
		if (dispatch_channel(b) != 1)
			break;
	audit_flush();
	if (b->exec_errno != 0)
		log_err("cannot run '%s': %s", b->command, strerror(b->exec_errno));
	return b->worker_status;
}
