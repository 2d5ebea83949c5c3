/*
 * filter.h — compile a policy's seccomp statements into the worker's filters.
 *
 * The plan is computed in the broker before fork (so the broker can later say which rule
 * decided a denied syscall) and loaded by the worker as the last lockdown step.
 *
 * Two filters are stacked (the kernel applies the most restrictive verdict of all filters):
 *  1. the allow list: each syscall the policy allows (after group expansion, deny wins) is
 *     allowed; explicit denies fail with their errno or are routed to the broker (kill);
 *     anything else gets the default action. A "kill" is delivered as a user notification:
 *     the broker logs the syscall and the deciding policy line, then kills the caller. If the
 *     broker is gone the call fails with ENOSYS; it never runs.
 *  2. argument restrictions that must hold whatever the allow list says: ioctl TIOCSTI and
 *     TIOCLINUX (compared on the low 32 bits, as the kernel reads them), and namespace flags
 *     to clone/unshare unless the policy allows `unshare` by name.
 * Non-native ABIs (i386 via int 0x80, x32) kill the process in both.
 *
 * Transparent mode (`intercept open|bind|connect`): open, openat and creat (and bind,
 * connect) are routed to the broker as user notifications unless the policy denies them
 * outright; openat2, whose flags the broker could only read from racy worker memory, fails
 * with ENOSYS so libc falls back to openat.
 */
#ifndef FDBROKER_FILTER_H
#define FDBROKER_FILTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "policy.h"

struct filter_entry {
	int nr;             /* native syscall number */
	const char *name;   /* libseccomp's name (static storage) */
	enum policy_seccomp_action action; /* ALLOW, KILL or ERRNO */
	int errno_val;
	struct policy_loc loc; /* the deciding statement */
	const char *via;    /* the group the name came from, or NULL if named directly */
	bool intercept;     /* transparent mode: served by the broker (user notification) */
};

struct filter_plan {
	struct filter_entry *v; /* sorted by nr, one per syscall */
	size_t n;
	enum policy_seccomp_action dflt; /* KILL, ERRNO or LOG */
	int dflt_errno;
	struct policy_loc dflt_loc;
	bool restrict_namespaces; /* filter 2 refuses CLONE_NEW* to clone/unshare */
	unsigned intercept;       /* enum policy_intercept bits in effect */
	int channel_fd;           /* in the worker; -1 if none. sendmsg on it stays allowed */
	bool restrict_socket;     /* filter 2: socket(2) families outside socket_families fail */
	uint64_t socket_families; /* with EAFNOSUPPORT (bit n = AF n); from the policy */
};

/* Build the plan. 0 or -1/errno (ENOMEM; EINVAL for a name libseccomp cannot resolve,
 * which the parser should already have refused). *ret_plan is freed with filter_plan_free. */
int filter_plan_build(const struct policy *p, int channel_fd, struct filter_plan **ret_plan);
void filter_plan_free(struct filter_plan *plan);

/* The entry deciding syscall nr, or NULL when the default action applies. */
const struct filter_entry *filter_plan_lookup(const struct filter_plan *plan, int nr);

/* True if some path through the filter needs a notification listener (a kill action). */
bool filter_plan_needs_listener(const struct filter_plan *plan);

/*
 * Load both filters into the calling thread (which must already have no_new_privs).
 * *ret_listener receives the notification listener fd (O_CLOEXEC), or -1 if none is needed.
 * 0 or -1/errno.
 */
int filter_load(const struct filter_plan *plan, int *ret_listener);

/* Write the compiled filters as libseccomp pseudo-code (pfc) or raw BPF to fd. */
int filter_export(const struct filter_plan *plan, int fd, bool bpf);

/* Write one filter as raw BPF (struct sock_filter array) to fd: the allow list
 * (restrictions == false) or the argument restrictions. For checking what libseccomp
 * generated against the plan (security-tests.md item 33). */
int filter_export_bpf(const struct filter_plan *plan, bool restrictions, int fd);

#endif
