/*
 * notify.c — seccomp user notifications from the worker.
 *
 * In launch mode the filter routes "kill" verdicts here (worker/filter.h): the calling
 * thread is blocked in the kernel, the syscall has not run and never will. We log which
 * syscall it was and the policy line that decided it, then kill the calling process. This is
 * what lets a user fix a policy without strace.
 *
 * Why it is safe: we read only the kernel-filled seccomp_data (syscall number and arch), not
 * worker memory, and the only action we take on the worker's behalf is to kill it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "broker.h"
#include "audit.h"
#include "fdutil.h"
#include "intercept.h"
#include "log.h"

#ifndef PIDFD_THREAD
#define PIDFD_THREAD O_EXCL
#endif
#include <fcntl.h>

static const char *action_text(const struct policy *p, const struct filter_plan *plan,
			       const struct filter_entry *e, char *buf, size_t size)
{
	char loc[512];

	if (e != NULL)
		snprintf(buf, size, "denied by %s: seccomp deny %s", broker_loc(&e->loc, loc,
									   sizeof(loc)),
			 e->via ? e->via : e->name);
	else if (plan->dflt_loc.line != 0)
		snprintf(buf, size, "not allowed by the policy (%s: seccomp default kill)",
			 broker_loc(&plan->dflt_loc, loc, sizeof(loc)));
	else
		snprintf(buf, size, "not allowed by the policy (%s: built-in default: seccomp "
				    "default kill)",
			 p->files != NULL && p->nfiles > 0 ? p->files[0] : "policy");
	return buf;
}

/* Kill the process the notifying thread belongs to, without racing pid reuse: the pidfd is
 * taken first, then the notification is checked to be still alive (so the pid still names
 * the blocked thread), then the signal goes through the pidfd. */
int broker_pidfd_of_thread(pid_t tid)
{
	char path[64], buf[1024], *t;
	ssize_t n;
	long tgid;
	int fd = (int)syscall(SYS_pidfd_open, tid, PIDFD_THREAD);

	if (fd >= 0 || errno != EINVAL)
		return fd;
	/* Before Linux 6.9 a pidfd names a thread group: use the caller's (its Tgid). The
	 * caller re-checks the notification afterwards, so a reused tid is caught. */
	snprintf(path, sizeof(path), "/proc/%d/status", (int)tid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	fdutil_close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	t = strstr(buf, "\nTgid:");
	if (t == NULL || (tgid = strtol(t + 6, NULL, 10)) <= 0) {
		errno = ESRCH;
		return -1;
	}
	return (int)syscall(SYS_pidfd_open, (pid_t)tgid, 0);
}

static void kill_caller(int listener, const struct seccomp_notif *req)
{
	int pidfd = broker_pidfd_of_thread((pid_t)req->pid);
	__u64 id = req->id;

	if (pidfd < 0) {
		if (errno != ESRCH)
			log_warn("pidfd_open(%u): %m", req->pid);
		return;
	}
	if (ioctl(listener, SECCOMP_IOCTL_NOTIF_ID_VALID, &id) == 0)
		if (syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0) < 0)
			log_warn("killing worker thread %u: %m", req->pid);
	fdutil_close(pidfd);
}

static struct seccomp_notif *reqp;
static struct seccomp_notif_resp *respp;

int notify_init(void)
{
	/* Buffers sized by the kernel (SECCOMP_GET_NOTIF_SIZES), not by our headers. Done
	 * before the broker's own filter forbids seccomp(2). */
	if (reqp == NULL && seccomp_notify_alloc(&reqp, &respp) < 0) {
		log_err("allocating seccomp notification buffers");
		return -1;
	}
	return 0;
}

int notify_handle(struct broker *b)
{
	struct seccomp_notif_resp resp;
	const struct filter_entry *e;
	char why[1024];
	char *name;
	int r;

	if (reqp == NULL) {
		errno = EINVAL;
		return -1;
	}
	memset(reqp, 0, sizeof(*reqp));
	r = seccomp_notify_receive(b->listener, reqp);
	if (r < 0) {
		if (r == -EINTR || r == -ENOENT || r == -EAGAIN || r == -ECANCELED)
			return 0; /* interrupted, or the caller died meanwhile */
		log_warn("receiving a seccomp notification: %s", strerror(-r));
		return -1;
	}
	struct seccomp_notif req = *reqp;
	e = filter_plan_lookup(b->plan, req.data.nr);
	if (intercept_handle(b, &req, e))
		return 0;
	if (e != NULL && e->action != POLICY_SECCOMP_KILL)
		e = NULL; /* cannot happen: only kill verdicts are routed here */
	audit_flush(); /* keep the order of lines on stderr */
	name = seccomp_syscall_resolve_num_arch(req.data.arch, req.data.nr);
	log_err("worker process %u called %s (syscall %d), %s; killing it", req.pid,
		name != NULL ? name : "an unknown syscall", req.data.nr,
		action_text(b->policy, b->plan, e, why, sizeof(why)));
	free(name);
	kill_caller(b->listener, &req);

	memset(&resp, 0, sizeof(resp));
	resp.id = req.id;
	resp.error = -EPERM;
	if (ioctl(b->listener, SECCOMP_IOCTL_NOTIF_SEND, &resp) < 0 && errno != ENOENT)
		log_debug("answering seccomp notification: %m");
	return 0;
}
