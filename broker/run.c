/*
 * run.c — `fdbroker run`: load the policy, open what it declares, start the worker under
 * its sandbox, serve it, and exit with its status.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "access.h"
#include "audit.h"
#include "broker.h"
#include "fdutil.h"
#include "log.h"

/* Signals a service manager or a terminal sends that the worker must see. */
static const int forwarded[] = {SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH};

const char *broker_loc(const struct policy_loc *loc, char *buf, size_t size)
{
	if (loc->line == 0)
		snprintf(buf, size, "built-in default");
	else
		snprintf(buf, size, "%s:%u", loc->file, loc->line);
	return buf;
}

static int setup_signals(struct broker *b)
{
	sigset_t set;
	size_t i;

	/* EPIPE instead of death when a peer goes away (sends use MSG_NOSIGNAL anyway). */
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&set);
	for (i = 0; i < sizeof(forwarded) / sizeof(forwarded[0]); i++)
		sigaddset(&set, forwarded[i]);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0) {
		log_err("sigprocmask: %m");
		return -1;
	}
	b->sigfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	if (b->sigfd < 0) {
		log_err("signalfd: %m");
		return -1;
	}
	return 0;
}

int run_main(const struct run_options *o)
{
	struct policy_diags diags = {0};
	struct policy *p = NULL;
	struct broker b;
	int status = BROKER_EXIT_LAUNCH, flags;

	memset(&b, 0, sizeof(b));
	b.pidfd = b.channel = b.listener = b.sigfd = b.epfd = -1;
	b.notify_relay = b.notify_out = -1;
	b.command = o->argv[0];

	if (geteuid() != 0) {
		log_err("run: must be started as root (it opens privileged resources, then drops "
			"to the policy's user)");
		return BROKER_EXIT_LAUNCH;
	}
	if (policy_load_file(o->policy_path, o->load_flags, &p, &diags) < 0) {
		policy_diags_print(&diags, stderr);
		if (diags.nerrors == 0)
			log_err("%s: %m", o->policy_path);
		policy_diags_free(&diags);
		return BROKER_EXIT_LAUNCH;
	}
	policy_diags_print(&diags, stderr); /* warnings */
	policy_diags_free(&diags);
	b.policy = p;

	if (ids_resolve(p, &b.ids) < 0)
		goto out;
	audit_set_format(o->log_json ? AUDIT_JSON : AUDIT_TEXT);
	if (access_init(&b) < 0)
		goto out;
	if (filter_plan_build(p, (int)(3 + p->nlistens + p->nopens), &b.plan) < 0) {
		log_err("compiling the seccomp filter: %m");
		goto out;
	}
	if (setup_signals(&b) < 0)
		goto out;
	if (readiness_init(&b) < 0 || activation_prepare(&b, o->argv) < 0)
		goto out;
	if (resources_open(p, &b.pre) < 0)
		goto out;
	if (spawn_worker(&b, b.argv) < 0) {
		if (b.worker_pid > 0)
			waitpid(b.worker_pid, NULL, 0);
		goto out;
	}
	flags = fcntl(b.channel, F_GETFL);
	if (flags < 0 || fcntl(b.channel, F_SETFL, flags | O_NONBLOCK) < 0) {
		log_err("fcntl: %m");
		kill(b.worker_pid, SIGKILL);
		waitpid(b.worker_pid, NULL, 0);
		goto out;
	}
	if (notify_init() < 0 || restrict_broker(&b) < 0) {
		kill(b.worker_pid, SIGKILL);
		waitpid(b.worker_pid, NULL, 0);
		goto out;
	}
	status = loop_run(&b);
out:
	resources_close(&b.pre);
	fdutil_close(b.epfd);
	fdutil_close(b.sigfd);
	fdutil_close(b.listener);
	fdutil_close(b.channel);
	fdutil_close(b.pidfd);
	fdutil_close_many(b.reply.fds, b.reply.nfds);
	access_free(&b);
	activation_free(&b);
	readiness_free(&b);
	filter_plan_free(b.plan);
	ids_free(&b.ids);
	policy_free(p);
	return status;
}
