/*
 * spawn.c — create the channel, fork the worker and hand it the pre-opened fds.
 *
 * The worker's side runs sandbox_run() (worker/sandbox.c) and never returns. The broker's
 * side sends the one setup message carrying the fds, then closes its copies: from here on
 * the worker holds the only references to the listeners and files it was given.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "broker.h"
#include "fdpass.h"
#include "fdutil.h"
#include "log.h"
#include "sandbox.h"

static int pidfd_open_(pid_t pid)
{
	return (int)syscall(SYS_pidfd_open, pid, 0);
}

int spawn_worker(struct broker *b, char *const argv[])
{
	static unsigned char payload[PROTO_MAX_PAYLOAD];
	struct sandbox_spec spec;
	struct proto_buf pb;
	struct proto_hdr hdr;
	int sv[2] = {-1, -1};
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
		log_err("socketpair: %m");
		return -1;
	}
	memset(&spec, 0, sizeof(spec));
	spec.uid = b->ids.uid;
	spec.gid = b->ids.gid;
	spec.groups = b->ids.groups;
	spec.ngroups = b->ids.ngroups;
	spec.caps_keep = b->policy->caps_keep;
	spec.plan = b->plan;
	spec.argv = argv;
	spec.setenv = b->envs;
	spec.channel = sv[1];
	spec.nfds = b->pre.n;
	spec.broker_pid = getpid();

	pid = fork();
	if (pid < 0) {
		log_err("fork: %m");
		fdutil_close_many(sv, 2);
		return -1;
	}
	if (pid == 0) {
		fdutil_close(sv[0]);
		sandbox_run(&spec);
	}
	sv[1] = fdutil_close(sv[1]);
	b->worker_pid = pid;
	b->channel = sv[0];
	b->pidfd = pidfd_open_(pid);
	if (b->pidfd < 0) {
		log_err("pidfd_open(%ld): %m", (long)pid);
		goto kill_worker;
	}

	proto_buf_init(&pb, payload, sizeof(payload));
	if (proto_encode_setup(&pb, b->pre.n, b->pre.names) < 0) {
		log_err("encoding the setup message: %m");
		goto kill_worker;
	}
	proto_hdr_init(&hdr, PROTO_SETUP, 0, pb.len);
	if (fdpass_send(b->channel, &hdr, payload, b->pre.fds, b->pre.n) < 0) {
		log_err("sending fds to the worker: %m");
		goto kill_worker;
	}
	/* The worker has them now; the broker keeps none. */
	resources_close(&b->pre);
	log_info("started worker %ld: %s", (long)pid, argv[0]);
	return 0;

kill_worker:
	kill(pid, SIGKILL);
	return -1;
}
