/*
 * sandbox.h — the worker side of `fdbroker run`: runs in the forked child, receives the
 * pre-opened fds, locks itself down in one fixed order and execs the command.
 */
#ifndef FDBROKER_SANDBOX_H
#define FDBROKER_SANDBOX_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "filter.h"

/* Exit statuses of the worker process before (or instead of) the command. */
enum {
	SANDBOX_EXIT_SETUP = 125,   /* a lockdown step failed: the command never ran */
	SANDBOX_EXIT_NOEXEC = 126,  /* found but could not be executed */
	SANDBOX_EXIT_NOTFOUND = 127,
};

struct sandbox_spec {
	uid_t uid;
	gid_t gid;
	const gid_t *groups;      /* supplementary groups (may be empty) */
	size_t ngroups;
	uint64_t caps_keep;       /* capability bits kept (as ambient) */
	const struct filter_plan *plan; /* its channel_fd is 3 + nfds */
	char *const *argv;        /* the command; argv[0] searched in PATH like execvp */
	char *const *setenv;      /* "NAME=VALUE" for the worker (activation adapters), NULL-ended */
	int channel;              /* the child's end of the channel, as inherited */
	size_t nfds;              /* fds the setup message must carry */
	pid_t broker_pid;
};

/*
 * Run the worker: never returns. Every step aborts the launch on failure (exit 125, with a
 * message on stderr while stderr is still ours to use); the command runs only under the
 * complete sandbox. Exec failures are reported to the broker as PROTO_EXEC_FAILED and end in
 * exit 126 or 127.
 */
_Noreturn void sandbox_run(const struct sandbox_spec *spec);

#endif
