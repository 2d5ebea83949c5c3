/*
 * broker.h — the privileged side of `fdbroker run`: shared state of the broker's modules.
 * Program code: functions log their own errors and return 0/-1.
 */
#ifndef FDBROKER_BROKER_H
#define FDBROKER_BROKER_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/un.h>

#include "filter.h"
#include "policy.h"
#include "proto.h"

/* Exit statuses of `fdbroker run` itself (the worker's own status is passed through). */
enum {
	BROKER_EXIT_LAUNCH = 125, /* usage, policy or setup error */
};

/* Resolved identity of the worker (from `user`, `group`, `groups`). */
struct broker_ids {
	uid_t uid;
	gid_t gid;
	gid_t *groups;
	size_t ngroups;
};

/* Pre-opened fds, in the order the worker gets them (listeners, then files). */
struct broker_fds {
	int *fds;
	const char **names; /* point into the policy */
	size_t n;
};

/* A reply the worker's full socket buffer could not take yet: the broker keeps at most this
 * one and reads no further request from that worker until it is sent. */
struct broker_reply {
	bool pending;
	struct proto_hdr hdr;
	unsigned char payload[8 + 4 * 253];
	int fds[253];
	size_t nfds;
};

struct broker {
	const struct policy *policy;
	struct filter_plan *plan;
	struct broker_ids ids;
	struct broker_fds pre;

	pid_t worker_pid;
	int pidfd;    /* the worker process, -1 if none */
	int channel;  /* our end of the channel, -1 if closed */
	int listener; /* seccomp notification listener, -1 if none */
	int sigfd;    /* signalfd for the forwarded signals */
	int epfd;

	bool worker_exited;
	int worker_status; /* our exit status once the worker is gone */
	int exec_errno;    /* from PROTO_EXEC_FAILED, 0 if none */
	const char *command;
	char **argv;   /* the command with {fd:NAME} placeholders expanded */
	char **envs;   /* "NAME=VALUE" from the policy's setenv statements, NULL-terminated */

	/* readiness relay (broker/readiness.c), -1 when NOTIFY_SOCKET is not set */
	int notify_relay;                 /* the worker's NOTIFY_SOCKET, ours to read */
	int notify_out;                   /* ours, to the real NOTIFY_SOCKET */
	struct sockaddr_un notify_target; /* the real NOTIFY_SOCKET */
	socklen_t notify_target_len;
	char *notify_env;                 /* "NOTIFY_SOCKET=@fdbroker-notify/..." */

	int *rule_dirfds;  /* per policy rule: the allow-open rule's root dir (O_PATH), or -1 */
	struct broker_reply reply;
	unsigned seen[256]; /* per message type: how many were accepted (DISPATCH_ONCE) */

	unsigned long bad_messages; /* malformed messages refused so far */
	unsigned long requests;     /* runtime requests served */
};

/* broker/ids.c: resolve names to ids (logs FILE:LINE:COL errors). */
int ids_resolve(const struct policy *p, struct broker_ids *ret);
void ids_free(struct broker_ids *ids);

/* broker/resources.c: open every listener and file of the policy, as root. */
int resources_open(const struct policy *p, struct broker_fds *ret);
void resources_close(struct broker_fds *pre);

/* broker/readiness.c: relay sd_notify from the worker to systemd as the main pid. */
int readiness_init(struct broker *b);
void readiness_handle(struct broker *b);
void readiness_free(struct broker *b);

/* broker/activation.c: expand {fd:NAME} in the command and the setenv values. */
int activation_prepare(struct broker *b, char *const argv[]);
void activation_free(struct broker *b);

/* broker/spawn.c: the channel, fork, the worker, the setup message. */
int spawn_worker(struct broker *b, char *const argv[]);

/* broker/loop.c: serve the worker until it exits; returns the exit status for fdbroker. */
int loop_run(struct broker *b);

/* broker/notify.c: one seccomp notification from the worker (denied-syscall reporting). */
int notify_handle(struct broker *b);
/* A pidfd for the thread tid (PIDFD_THREAD), or before Linux 6.9 for its thread group. */
int broker_pidfd_of_thread(pid_t tid);
/* Allocate the notification buffers; before restrict_broker(). */
int notify_init(void);

/* broker/restrict.c: once the worker runs, drop what the broker no longer needs and load
 * its own seccomp filter. Fatal for the launch on failure. */
int restrict_broker(struct broker *b);

/* broker/run.c: `fdbroker run`. */
struct run_options {
	const char *policy_path;
	unsigned load_flags; /* POLICY_LOAD_* */
	bool log_json;       /* --log-format json: audit lines as JSON objects */
	char *const *argv;
};
int run_main(const struct run_options *o);

/* Format a policy location as "FILE:LINE" into buf (or "built-in default"). */
const char *broker_loc(const struct policy_loc *loc, char *buf, size_t size);

#endif
