/*
 * seccomp.c — the `capabilities` and `seccomp` statements.
 *
 * Syscall names are checked against libseccomp on this machine and groups against
 * policy_groups: a name we cannot resolve is an error, never silently dropped, because a
 * dropped `deny` would widen the sandbox. Allowing a call that defeats the sandbox is legal
 * but gets a warning.
 */
#define _GNU_SOURCE
#include "parse.h"

#include <seccomp.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "suggest.h"

/* Syscalls that let a worker escape or undermine its sandbox: allowing one gets a warning. */
static const char *const dangerous_syscalls[] = {
    "ptrace",
    "bpf",
    "process_vm_writev",
    "process_vm_readv",
    "pidfd_getfd",
    "kexec_load",
    "init_module",
    "finit_module",
    "userfaultfd",
    "io_uring_setup",
    "mount",
    "unshare",
    "setns",
    "keyctl",
    "perf_event_open",
    NULL,
};

void parse_st_capabilities(struct parser *ps, struct stmt *st)
{
	const char *usage = "capabilities none | capabilities keep NAME...";
	const char *names[65];
	uint64_t keep = 0;
	size_t i;
	int c, ncap;

	if (!parse_nargs(ps, st, 2, 2 + 64, usage) ||
	    !parse_dup_check(ps, st, &ps->caps_seen, "capabilities"))
		return;
	ps->caps_seen = parse_loc(st);
	if (streq(ARG(1)->text, "none")) {
		if (NARGS > 2)
			parse_error(ps, st, ARG(2)->col, "unexpected '%s'; usage: %s", ARG(2)->text,
			            usage);
		ps->p->caps_loc = parse_loc(st);
		return;
	}
	if (!streq(ARG(1)->text, "keep")) {
		static const char *const subs[] = {"none", "keep", NULL};
		parse_unknown_word(ps, st, ARG(1), "capabilities mode", subs);
		return;
	}
	if (NARGS < 3) {
		parse_error(ps, st, ARG(1)->col, "'keep' needs at least one capability name");
		return;
	}
	for (ncap = 0; ncap < 64 && policy_cap_name(ncap) != NULL; ncap++)
		names[ncap] = policy_cap_name(ncap);
	names[ncap] = NULL;
	for (i = 2; i < NARGS; i++) {
		const char *n = ARG(i)->text;

		c = policy_cap_from_name(n);
		if (c < 0) {
			/* suggest against the name without its optional cap_ prefix */
			const char *s = suggest(strncasecmp(n, "cap_", 4) == 0 ? n + 4 : n, names);
			if (s != NULL)
				parse_error(ps, st, ARG(i)->col,
				            "unknown capability '%s'; did you mean '%s'?", n, s);
			else
				parse_error(ps, st, ARG(i)->col, "unknown capability '%s'", n);
			continue;
		}
		keep |= UINT64_C(1) << c;
	}
	ps->p->caps_keep = keep;
	ps->p->caps_loc = parse_loc(st);
}

static bool group_has(const struct policy_group *g, const char *name, int depth)
{
	const char *const *m;

	if (depth > 8)
		return false;
	for (m = g->members; *m != NULL; m++) {
		if ((*m)[0] == '@') {
			const struct policy_group *sub = policy_group_find(*m);
			if (sub != NULL && group_has(sub, name, depth + 1))
				return true;
		} else if (streq(*m, name)) {
			return true;
		}
	}
	return false;
}

static void unknown_syscall(struct parser *ps, const struct stmt *st, const struct lex_token *tk)
{
	const char *best = NULL;
	char *name, *keep = NULL;
	int nr, d, bestd = 3;

	for (nr = 0; nr < 1024; nr++) {
		name = seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, nr);
		if (name == NULL)
			continue;
		d = suggest_distance(tk->text, name);
		if (d < bestd) {
			free(keep);
			keep = name;
			bestd = d;
			continue;
		}
		free(name);
	}
	best = keep;
	if (best != NULL && bestd <= 2 && bestd < (int)tk->len)
		parse_error(ps, st, tk->col, "unknown syscall '%s'; did you mean '%s'?", tk->text,
		            best);
	else
		parse_error(ps, st, tk->col, "unknown syscall '%s' (libseccomp does not know it)",
		            tk->text);
	free(keep);
}

static bool syscall_ok(struct parser *ps, const struct stmt *st, const struct lex_token *tk,
                       bool allow)
{
	const struct policy_group *g;
	const char *const *dz;

	if (tk->text[0] == '@') {
		static const char *gnames[32];
		size_t i;

		if ((g = policy_group_find(tk->text)) != NULL) {
			for (dz = dangerous_syscalls; allow && *dz != NULL; dz++)
				if (group_has(g, *dz, 0)) {
					parse_warning(ps, st, tk->col,
					              "'%s' includes '%s', which can defeat the "
					              "sandbox",
					              tk->text, *dz);
					break;
				}
			return true;
		}
		for (i = 0; i < 31 && policy_groups[i].name != NULL; i++)
			gnames[i] = policy_groups[i].name;
		gnames[i] = NULL;
		parse_unknown_word(ps, st, tk, "syscall group", gnames);
		return false;
	}
	if (seccomp_syscall_resolve_name(tk->text) == __NR_SCMP_ERROR) {
		unknown_syscall(ps, st, tk);
		return false;
	}
	for (dz = dangerous_syscalls; allow && *dz != NULL; dz++)
		if (streq(*dz, tk->text)) {
			parse_warning(ps, st, tk->col,
			              "allowing '%s' can defeat the sandbox (the worker could "
			              "escape or spy on other processes)",
			              tk->text);
			break;
		}
	return true;
}

static bool errno_ok(struct parser *ps, const struct stmt *st, const struct lex_token *tk, int *ret)
{
	int e = policy_errno_from_name(tk->text);

	if (e < 0) {
		parse_error(ps, st, tk->col, "unknown errno name '%s' (e.g. EPERM, ENOSYS)",
		            tk->text);
		return false;
	}
	*ret = e;
	return true;
}

static void seccomp_default(struct parser *ps, struct stmt *st)
{
	static const char *const actions[] = {"kill", "errno", "log", NULL};
	const char *usage = "seccomp default kill | seccomp default errno ENAME | "
	                    "seccomp default log";
	struct policy *p = ps->p;

	if (!parse_nargs(ps, st, 3, 4, usage) ||
	    !parse_dup_check(ps, st, &p->seccomp_default_loc, "seccomp default"))
		return;
	if (streq(ARG(2)->text, "errno")) {
		if (NARGS != 4) {
			parse_error(ps, st, ARG(2)->col, "'errno' needs an errno name; usage: %s",
			            usage);
			return;
		}
		if (!errno_ok(ps, st, ARG(3), &p->seccomp_default_errno))
			return;
		p->seccomp_default = POLICY_SECCOMP_ERRNO;
	} else if (streq(ARG(2)->text, "kill") || streq(ARG(2)->text, "log")) {
		if (!parse_nargs(ps, st, 3, 3, usage))
			return;
		p->seccomp_default =
		    streq(ARG(2)->text, "kill") ? POLICY_SECCOMP_KILL : POLICY_SECCOMP_LOG;
	} else {
		parse_unknown_word(ps, st, ARG(2), "seccomp default action", actions);
		return;
	}
	p->seccomp_default_loc = parse_loc(st);
}

/* Address families of `seccomp allow socket family NAME[,NAME...]`. */
static const struct {
	const char *name;
	int af;
} socket_families[] = {
    {"unix", AF_UNIX}, {"local", AF_UNIX},     {"inet", AF_INET},
    {"inet6", AF_INET6}, {"netlink", AF_NETLINK}, {"packet", AF_PACKET},
};
#define NFAMILIES (sizeof(socket_families) / sizeof(socket_families[0]))

/*
 * seccomp allow socket family NAME[,NAME...]: allow socket(2), only for those families (the
 * filter makes the others fail with EAFNOSUPPORT). One such statement per policy: a second
 * one could only be meant to widen or narrow the first, so it is an error, not a merge.
 */
static void seccomp_socket_family(struct parser *ps, struct stmt *st)
{
	const char *usage = "seccomp allow socket family NAME[,NAME...] "
	                    "(unix, local, inet, inet6, netlink, packet)";
	const struct lex_token *tk = ARG(4);
	const char *names[NFAMILIES + 1];
	uint64_t mask = 0;
	const char *c, *e;
	struct policy_syscall *sc;
	size_t i, len;
	bool bad = false;

	if (!parse_nargs(ps, st, 5, 5, usage) ||
	    !parse_dup_check(ps, st, &ps->p->socket_families_loc, "seccomp allow socket family"))
		return;
	for (i = 0; i < NFAMILIES; i++)
		names[i] = socket_families[i].name;
	names[NFAMILIES] = NULL;
	for (c = tk->text;; c = e + 1) {
		char word[32];
		const char *s;

		e = strchr(c, ',');
		len = e != NULL ? (size_t)(e - c) : strlen(c);
		snprintf(word, sizeof(word), "%.*s", (int)len, c);
		for (i = 0; i < NFAMILIES && (len >= sizeof(word) || !streq(word, names[i])); i++)
			;
		if (i < NFAMILIES) {
			mask |= UINT64_C(1) << socket_families[i].af;
		} else if (len == 0) {
			parse_error(ps, st, parse_col(tk, (size_t)(c - tk->text)),
			            "empty address family name; usage: %s", usage);
			bad = true;
		} else if ((s = suggest(word, names)) != NULL) {
			parse_error(ps, st, parse_col(tk, (size_t)(c - tk->text)),
			            "unknown address family '%s'; did you mean '%s'?", word, s);
			bad = true;
		} else {
			parse_error(ps, st, parse_col(tk, (size_t)(c - tk->text)),
			            "unknown address family '%s'; usage: %s", word, usage);
			bad = true;
		}
		if (e == NULL)
			break;
	}
	if (bad)
		return;
	sc = parse_grow(ps, &ps->p->syscalls, &ps->p->nsyscalls, sizeof(*sc));
	if (sc == NULL)
		return;
	sc->action = POLICY_SECCOMP_ALLOW;
	sc->loc = parse_loc(st);
	sc->loc.col = ARG(2)->col;
	if ((sc->name = parse_strdup(ps, "socket")) == NULL) {
		ps->p->nsyscalls--;
		return;
	}
	ps->p->seccomp_allow_written = true;
	ps->p->socket_families_mask = mask;
	ps->p->socket_families_set = true;
	ps->p->socket_families_loc = parse_loc(st);
}

static void seccomp_list(struct parser *ps, struct stmt *st, bool allow)
{
	enum policy_seccomp_action action = allow ? POLICY_SECCOMP_ALLOW : POLICY_SECCOMP_KILL;
	size_t i, end = NARGS;
	int err = 0;

	if (!allow && NARGS >= 4 && streq(ARG(NARGS - 2)->text, "errno")) {
		if (!errno_ok(ps, st, ARG(NARGS - 1), &err))
			return;
		action = POLICY_SECCOMP_ERRNO;
		end = NARGS - 2;
	}
	if (end < 3) {
		parse_error(ps, st, ARG(1)->col, "missing argument; usage: %s",
		            allow ? "seccomp allow NAME|@GROUP..."
		                  : "seccomp deny NAME|@GROUP... [errno ENAME]");
		return;
	}
	if (allow && streq(ARG(2)->text, "socket") && NARGS > 3 && streq(ARG(3)->text, "family")) {
		seccomp_socket_family(ps, st);
		return;
	}
	if (allow)
		ps->p->seccomp_allow_written = true;
	for (i = 2; i < end; i++) {
		if (streq(ARG(i)->text, "family")) {
			parse_error(ps, st, ARG(i)->col,
			            "'family' restricts socket only, alone on its line: "
			            "seccomp allow socket family NAME[,NAME...]");
			i++; /* its family list is not a syscall name either */
			continue;
		}
		struct policy_syscall *sc;

		if (!allow && streq(ARG(i)->text, "errno")) {
			parse_error(ps, st, ARG(i)->col,
			            "'errno ENAME' must come last, after the syscall names");
			continue;
		}
		if (!syscall_ok(ps, st, ARG(i), allow))
			continue;
		sc = parse_grow(ps, &ps->p->syscalls, &ps->p->nsyscalls, sizeof(*sc));
		if (sc == NULL)
			return;
		sc->action = action;
		sc->errno_val = err;
		sc->loc = parse_loc(st);
		sc->loc.col = ARG(i)->col;
		if ((sc->name = parse_strdup(ps, ARG(i)->text)) == NULL) {
			ps->p->nsyscalls--;
			return;
		}
	}
}

void parse_st_seccomp(struct parser *ps, struct stmt *st)
{
	static const char *const subs[] = {"default", "allow", "deny", NULL};

	if (NARGS < 2) {
		parse_error(ps, st, ARG(0)->col, "'seccomp' needs 'default', 'allow' or 'deny'");
		return;
	}
	if (streq(ARG(1)->text, "default"))
		seccomp_default(ps, st);
	else if (streq(ARG(1)->text, "allow"))
		seccomp_list(ps, st, true);
	else if (streq(ARG(1)->text, "deny"))
		seccomp_list(ps, st, false);
	else
		parse_unknown_word(ps, st, ARG(1), "seccomp subcommand", subs);
}
