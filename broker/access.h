/*
 * access.h — the broker's privileged operations on a worker's behalf: open (access.c),
 * connect and listen (net.c). Each decides by the policy, acts on its own copy of the
 * request, and reports the verdict and deciding rule for the audit log.
 */
#ifndef FDBROKER_ACCESS_H
#define FDBROKER_ACCESS_H

#include <stdbool.h>

#include "broker.h"
#include "match.h"

struct access_result {
	int fd;                   /* the granted fd, -1 if none */
	int error;                /* 0, or the errno the worker gets */
	bool allowed;             /* the policy allowed it (the operation may still fail) */
	unsigned rights;          /* open: rights asked for */
	const char *reason;       /* why it was refused before any rule decided, or NULL */
	struct policy_match match;
};

/* Open every allow-open rule's root directory (O_PATH), before the worker runs. */
int access_init(struct broker *b);
void access_free(struct broker *b);

/* Rights an open(2) flags word asks for; *ret_err = EINVAL for refused flags. */
unsigned access_rights_of_flags(int flags, int *ret_err);

/* Open wpath for the worker. 0 with res->fd, or -1 with res->error. */
int access_open(struct broker *b, const char *wpath, int flags, unsigned mode,
		struct access_result *res);

/* Connect to / bind and listen on a client address string ("tcp:127.0.0.1:5432"). */
int access_connect(struct broker *b, const char *address, struct access_result *res);
int access_listen(struct broker *b, const char *address, int backlog, struct access_result *res);

/* Unix sockets for a worker, with no symlink anywhere in the path (net.c). */
int access_unix_connect(int sock, const char *path);
int access_unix_bind(int sock, const char *path);

#endif
