/*
 * filter.c — the worker's seccomp filters, compiled from the policy (see filter.h).
 */
#define _GNU_SOURCE
#include "filter.h"

#include <errno.h>
#include <linux/sched.h>
#include <sched.h>
#include <seccomp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

/* Syscall numbers on x86_64 are below 512; the map leaves room for future ones. */
#define FILTER_MAX_NR 1024
#define GROUP_MAX_DEPTH 8

/* Address families checked one by one by `seccomp allow socket family`: AF_UNSPEC..AF_MAX-1;
 * one more rule refuses every number from here up. */
#ifdef AF_MAX
#define FILTER_AF_MAX (AF_MAX < 64 ? AF_MAX : 64)
#else
#define FILTER_AF_MAX 46
#endif

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

/* Syscalls the launch itself needs after the filter is in place (see filter.h). */
static const char *const implicit_allow[] = {"execve", "exit", "exit_group", NULL};

struct builder {
	struct filter_entry map[FILTER_MAX_NR];
	bool set[FILTER_MAX_NR];
	bool named_unshare;
};

static int add_name(struct builder *b, const char *name, const struct policy_syscall *sc,
		    const char *via, int depth);

static int add_group(struct builder *b, const struct policy_group *g,
		     const struct policy_syscall *sc, int depth)
{
	size_t i;

	if (depth > GROUP_MAX_DEPTH) {
		errno = ELOOP;
		return -1;
	}
	for (i = 0; g->members[i] != NULL; i++)
		if (add_name(b, g->members[i], sc, g->name, depth + 1) < 0)
			return -1;
	return 0;
}

/* Record one name (syscall or @group) under statement sc. Deny wins over allow; among
 * denies, kill wins over errno. */
static int add_name(struct builder *b, const char *name, const struct policy_syscall *sc,
		    const char *via, int depth)
{
	struct filter_entry *e;
	int nr;

	if (name[0] == '@') {
		const struct policy_group *g = policy_group_find(name);
		if (g == NULL) {
			errno = EINVAL;
			return -1;
		}
		return add_group(b, g, sc, depth);
	}
	nr = seccomp_syscall_resolve_name(name);
	if (nr == __NR_SCMP_ERROR) {
		errno = EINVAL;
		return -1;
	}
	if (nr < 0)
		return 0; /* exists on another architecture only */
	if (nr >= FILTER_MAX_NR) {
		errno = ERANGE;
		return -1;
	}
	if (via == NULL && sc->action == POLICY_SECCOMP_ALLOW && strcmp(name, "unshare") == 0)
		b->named_unshare = true;

	e = &b->map[nr];
	if (b->set[nr]) {
		if (e->action == POLICY_SECCOMP_KILL)
			return 0;
		if (e->action == POLICY_SECCOMP_ERRNO && sc->action != POLICY_SECCOMP_KILL)
			return 0;
		if (e->action == POLICY_SECCOMP_ALLOW && sc->action == POLICY_SECCOMP_ALLOW)
			return 0;
	}
	b->set[nr] = true;
	e->nr = nr;
	e->name = name;
	e->action = sc->action;
	e->errno_val = sc->errno_val;
	e->loc = sc->loc;
	e->via = via;
	return 0;
}

/* Route the intercepted syscalls to the broker, unless the policy denies them outright. */
static int add_intercepts(struct builder *b, const struct policy *p)
{
	static const struct {
		unsigned bit;
		const char *name;
	} calls[] = {
		{POLICY_INTERCEPT_OPEN, "open"},    {POLICY_INTERCEPT_OPEN, "openat"},
		{POLICY_INTERCEPT_OPEN, "creat"},   {POLICY_INTERCEPT_BIND, "bind"},
		{POLICY_INTERCEPT_CONNECT, "connect"},
	};
	struct policy_syscall sc = {.action = POLICY_SECCOMP_ALLOW, .loc = p->intercept_loc};
	size_t i;

	for (i = 0; i < sizeof(calls) / sizeof(calls[0]); i++) {
		int nr = seccomp_syscall_resolve_name(calls[i].name);
		if (!(p->intercept & calls[i].bit) || nr < 0 || nr >= FILTER_MAX_NR)
			continue;
		if (b->set[nr] && b->map[nr].action != POLICY_SECCOMP_ALLOW)
			continue; /* deny wins */
		sc.name = (char *)calls[i].name;
		b->set[nr] = false;
		if (add_name(b, calls[i].name, &sc, NULL, 0) < 0)
			return -1;
		b->map[nr].intercept = true;
	}
	if (p->intercept & POLICY_INTERCEPT_OPEN) {
		/* decided by the intercept line: its flags live in worker memory */
		struct policy_syscall enosys = {.action = POLICY_SECCOMP_ERRNO,
						.errno_val = ENOSYS,
						.loc = p->intercept_loc};
		int nr = seccomp_syscall_resolve_name("openat2");
		if (nr >= 0 && nr < FILTER_MAX_NR &&
		    (!b->set[nr] || b->map[nr].action == POLICY_SECCOMP_ALLOW)) {
			b->set[nr] = false;
			if (add_name(b, "openat2", &enosys, NULL, 0) < 0)
				return -1;
		}
	}
	return 0;
}

int filter_plan_build(const struct policy *p, int channel_fd, struct filter_plan **ret_plan)
{
	static const struct policy_syscall builtin_allow = {
		.action = POLICY_SECCOMP_ALLOW,
		.name = (char *)"@system-service",
	};
	static const struct policy_syscall implicit = {.action = POLICY_SECCOMP_ALLOW};
	struct builder *b = NULL;
	struct filter_plan *plan = NULL;
	size_t i, n;
	int pass;

	b = calloc(1, sizeof(*b));
	plan = calloc(1, sizeof(*plan));
	if (b == NULL || plan == NULL)
		goto fail;

	if (!p->seccomp_allow_written)
		if (add_name(b, builtin_allow.name, &builtin_allow, NULL, 0) < 0)
			goto fail;
	/* Allows first, then denies, so that deny wins whatever the order in the file. */
	for (pass = 0; pass < 2; pass++) {
		for (i = 0; i < p->nsyscalls; i++) {
			const struct policy_syscall *sc = &p->syscalls[i];
			bool is_allow = sc->action == POLICY_SECCOMP_ALLOW;
			if (is_allow != (pass == 0))
				continue;
			if (add_name(b, sc->name, sc, NULL, 0) < 0)
				goto fail;
		}
	}
	for (i = 0; implicit_allow[i] != NULL; i++) {
		int nr = seccomp_syscall_resolve_name(implicit_allow[i]);
		if (nr >= 0 && nr < FILTER_MAX_NR && !b->set[nr])
			if (add_name(b, implicit_allow[i], &implicit, NULL, 0) < 0)
				goto fail;
	}

	/* clone3 hides its flags in memory the filter cannot read: wherever clone is allowed,
	 * clone3 fails with ENOSYS so libc falls back to clone(2), whose flags are checked. */
	{
		static const struct policy_syscall enosys = {.action = POLICY_SECCOMP_ERRNO,
							     .errno_val = ENOSYS};
		int c = seccomp_syscall_resolve_name("clone");
		int c3 = seccomp_syscall_resolve_name("clone3");
		if (c >= 0 && c3 >= 0 && c3 < FILTER_MAX_NR && b->set[c] &&
		    b->map[c].action == POLICY_SECCOMP_ALLOW && !b->set[c3])
			if (add_name(b, "clone3", &enosys, NULL, 0) < 0)
				goto fail;
	}
	if (p->intercept != 0 && add_intercepts(b, p) < 0)
		goto fail;
	for (i = 0, n = 0; i < FILTER_MAX_NR; i++)
		n += b->set[i];
	plan->v = calloc(n ? n : 1, sizeof(*plan->v));
	if (plan->v == NULL)
		goto fail;
	for (i = 0; i < FILTER_MAX_NR; i++)
		if (b->set[i])
			plan->v[plan->n++] = b->map[i];

	plan->dflt = p->seccomp_default ? p->seccomp_default : POLICY_SECCOMP_KILL;
	plan->dflt_errno = p->seccomp_default_errno;
	plan->dflt_loc = p->seccomp_default_loc;
	plan->restrict_namespaces = !b->named_unshare;
	plan->intercept = p->intercept;
	plan->channel_fd = channel_fd;
	plan->restrict_socket = p->socket_families_set;
	plan->socket_families = p->socket_families_mask;
	free(b);
	*ret_plan = plan;
	return 0;
fail:
	if (errno == 0)
		errno = ENOMEM;
	{
		int saved = errno;
		free(b);
		filter_plan_free(plan);
		errno = saved;
	}
	return -1;
}

void filter_plan_free(struct filter_plan *plan)
{
	if (plan == NULL)
		return;
	free(plan->v);
	free(plan);
}

const struct filter_entry *filter_plan_lookup(const struct filter_plan *plan, int nr)
{
	size_t lo = 0, hi = plan->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (plan->v[mid].nr == nr)
			return &plan->v[mid];
		if (plan->v[mid].nr < nr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

bool filter_plan_needs_listener(const struct filter_plan *plan)
{
	size_t i;

	if (plan->dflt == POLICY_SECCOMP_KILL)
		return true;
	for (i = 0; i < plan->n; i++)
		if (plan->v[i].action == POLICY_SECCOMP_KILL || plan->v[i].intercept)
			return true;
	return false;
}

static uint32_t action_of(enum policy_seccomp_action a, int errno_val)
{
	switch (a) {
	case POLICY_SECCOMP_ALLOW:
		return SCMP_ACT_ALLOW;
	case POLICY_SECCOMP_ERRNO:
		return SCMP_ACT_ERRNO((uint16_t)errno_val);
	case POLICY_SECCOMP_LOG:
		return SCMP_ACT_LOG;
	case POLICY_SECCOMP_KILL:
	default:
		/* routed to the broker, which logs and kills (filter.h) */
		return SCMP_ACT_NOTIFY;
	}
}

/* libseccomp returns negative errno values; make them -1/errno. */
static int sc_err(int r)
{
	if (r < 0) {
		errno = -r;
		return -1;
	}
	return 0;
}

static int set_common_attrs(scmp_filter_ctx ctx)
{
	if (sc_err(seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS)) < 0)
		return -1;
	/* The lockdown sets no_new_privs itself, in its fixed order. */
	if (sc_err(seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0)) < 0)
		return -1;
	if (sc_err(seccomp_attr_set(ctx, SCMP_FLTATR_API_SYSRAWRC, 1)) < 0)
		return -1;
	return 0;
}

/* Filter 1: the allow list. */
static scmp_filter_ctx build_allow(const struct filter_plan *plan)
{
	uint32_t dflt = action_of(plan->dflt, plan->dflt_errno);
	scmp_filter_ctx ctx = seccomp_init(dflt);
	const struct filter_entry *send;
	size_t i;

	if (ctx == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	if (set_common_attrs(ctx) < 0)
		goto fail;
	/* A binary tree keeps the cost flat for long allow lists. */
	if (sc_err(seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2)) < 0)
		goto fail;
	for (i = 0; i < plan->n; i++) {
		uint32_t act = plan->v[i].intercept
				       ? SCMP_ACT_NOTIFY
				       : action_of(plan->v[i].action, plan->v[i].errno_val);
		if (act == dflt)
			continue;
		if (sc_err(seccomp_rule_add(ctx, act, plan->v[i].nr, 0)) < 0)
			goto fail;
	}
	/* The launch sends the listener over the channel after the filter is loaded. */
	send = filter_plan_lookup(plan, SCMP_SYS(sendmsg));
	if (plan->channel_fd >= 0 && (send == NULL || send->action != POLICY_SECCOMP_ALLOW))
		if (sc_err(seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(sendmsg), 1,
					    SCMP_A0_64(SCMP_CMP_MASKED_EQ, 0xffffffffu,
						       (uint64_t)plan->channel_fd))) < 0)
			goto fail;
	return ctx;
fail:
	seccomp_release(ctx);
	return NULL;
}

/* Filter 2: argument restrictions that hold whatever filter 1 allows. Integer arguments
 * the kernel reads as 32-bit (ioctl cmd, clone/unshare flags) are compared on their low 32
 * bits only, so setting high bits cannot slip past (CVE-2019-10063). */
static scmp_filter_ctx build_restrict(const struct filter_plan *plan)
{
	static const unsigned long ns_flags[] = {CLONE_NEWNS,  CLONE_NEWCGROUP, CLONE_NEWUTS,
						 CLONE_NEWIPC, CLONE_NEWUSER,   CLONE_NEWPID,
						 CLONE_NEWNET, CLONE_NEWTIME};
	static const unsigned long tty_cmds[] = {TIOCSTI, TIOCLINUX};
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
	size_t i;

	if (ctx == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	if (set_common_attrs(ctx) < 0)
		goto fail;
	for (i = 0; i < sizeof(tty_cmds) / sizeof(tty_cmds[0]); i++)
		if (sc_err(seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(ioctl), 1,
					    SCMP_A1_64(SCMP_CMP_MASKED_EQ, 0xffffffffu,
						       tty_cmds[i]))) < 0)
			goto fail;
	if (plan->restrict_namespaces) {
		for (i = 0; i < sizeof(ns_flags) / sizeof(ns_flags[0]); i++) {
			/* CLONE_NEWTIME shares its bit with the exit signal in clone(2) */
			if (ns_flags[i] != CLONE_NEWTIME &&
			    sc_err(seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(clone), 1,
						    SCMP_A0_64(SCMP_CMP_MASKED_EQ, ns_flags[i],
							       ns_flags[i]))) < 0)
				goto fail;
			if (sc_err(seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(unshare),
						    1,
						    SCMP_A0_64(SCMP_CMP_MASKED_EQ, ns_flags[i],
							       ns_flags[i]))) < 0)
				goto fail;
		}
		/* clone3 passes its flags in memory the filter cannot read: ENOSYS makes libc
		 * fall back to clone(2), whose flags are checked above. */
		if (sc_err(seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0)) < 0)
			goto fail;
		if (sc_err(seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(setns), 0)) < 0)
			goto fail;
	}
	/* `seccomp allow socket family ...`: libseccomp cannot say "not in", so one rule per
	 * family the policy does not list. The domain is an int: low 32 bits, as the kernel. */
	for (i = 0; plan->restrict_socket && i < FILTER_AF_MAX; i++)
		if (!(plan->socket_families & (UINT64_C(1) << i)) &&
		    sc_err(seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EAFNOSUPPORT), SCMP_SYS(socket), 1,
					    SCMP_A0_64(SCMP_CMP_MASKED_EQ, 0xffffffffu, i))) < 0)
			goto fail;
	/* family numbers past the headers' AF_MAX (and negative ints): refused, not let through */
	if (plan->restrict_socket &&
	    sc_err(seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EAFNOSUPPORT), SCMP_SYS(socket), 1,
				    SCMP_A0_32(SCMP_CMP_GE, FILTER_AF_MAX))) < 0)
		goto fail;
	return ctx;
fail:
	seccomp_release(ctx);
	return NULL;
}

int filter_load(const struct filter_plan *plan, int *ret_listener)
{
	scmp_filter_ctx allow = NULL, restr = NULL;
	int listener = -1;

	restr = build_restrict(plan);
	if (restr == NULL)
		goto fail;
	allow = build_allow(plan);
	if (allow == NULL)
		goto fail;
	/* The restrictions go first: only one filter in a chain may own a listener, and the
	 * allow list is the one that needs it. */
	if (sc_err(seccomp_load(restr)) < 0)
		goto fail;
	if (sc_err(seccomp_load(allow)) < 0)
		goto fail;
	if (filter_plan_needs_listener(plan)) {
		listener = seccomp_notify_fd(allow);
		if (listener < 0) {
			errno = EBADF;
			return -1; /* the filter is loaded: the caller must not go on */
		}
	}
	/* Deliberately not released: once the allow list is loaded, every syscall we make could
	 * be routed to the broker, which does not hold the listener yet. Freeing the contexts
	 * may munmap. The process execs (or exits) right after, which frees them. */
	*ret_listener = listener;
	return 0;
fail: {
	int saved = errno;
	if (allow != NULL)
		seccomp_release(allow);
	if (restr != NULL)
		seccomp_release(restr);
	errno = saved;
}
	return -1;
}

int filter_export(const struct filter_plan *plan, int fd, bool bpf)
{
	scmp_filter_ctx allow = NULL, restr = NULL;
	int r = -1;

	restr = build_restrict(plan);
	allow = restr != NULL ? build_allow(plan) : NULL;
	if (allow == NULL)
		goto out;
	if (bpf)
		r = sc_err(seccomp_export_bpf(allow, fd)) == 0 ? sc_err(seccomp_export_bpf(restr, fd)) : -1;
	else
		r = sc_err(seccomp_export_pfc(allow, fd)) == 0 ? sc_err(seccomp_export_pfc(restr, fd)) : -1;
out: {
	int saved = errno;
	if (allow != NULL)
		seccomp_release(allow);
	if (restr != NULL)
		seccomp_release(restr);
	errno = saved;
}
	return r;
}

int filter_export_bpf(const struct filter_plan *plan, bool restrictions, int fd)
{
	scmp_filter_ctx ctx = restrictions ? build_restrict(plan) : build_allow(plan);
	int r;

	if (ctx == NULL)
		return -1;
	r = sc_err(seccomp_export_bpf(ctx, fd));
	{
		int saved = errno;
		seccomp_release(ctx);
		errno = saved;
	}
	return r;
}
