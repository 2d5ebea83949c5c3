/*
 * cli_explain.c — `fdbroker explain`: why would the policy allow or deny this request?
 *
 * Each REQUEST is decided by the same code that decides it at run time (policy_match_open,
 * policy_match_net, the compiled seccomp plan) and printed as
 *
 *	deny  open /srv/x/secret/y read
 *	  decided by web.policy:8: deny open /srv/x/secret/ **
 *	  reason: deny rules win over allow rules (web.policy:7 would allow it)
 *
 * Exit status: 0 if every request is allowed, 1 if any is denied, 2 on usage errors
 * (including a syscall name libseccomp does not know).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <seccomp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "filter.h"
#include "match.h"

enum {
	OPT_INSECURE = 256,
};

/* The rule as it would be written: "deny open /srv/x/secret/ **". */
static const char *rule_text(const struct policy_rule *r, char *buf, size_t size)
{
	char more[256];
	const char *verdict = r->verdict == POLICY_ALLOW ? "allow" : "deny";

	if (r->op != POLICY_OP_OPEN) {
		snprintf(buf, size, "%s %s %s", verdict, policy_op_name(r->op),
			 cli_addr_format(&r->addr, more, sizeof(more)));
		return buf;
	}
	policy_rights_text(r->rights, more, sizeof(more));
	snprintf(buf, size, "%s open %s%s%s", verdict, r->pattern, more[0] ? " " : "", more);
	return buf;
}

static void print_rule(const struct policy_rule *r)
{
	char text[1024];

	printf("  decided by %s:%u: %s\n", r->loc.file, r->loc.line,
	       rule_text(r, text, sizeof(text)));
}

/*
 * The same policy with only its allow rules: matching against it tells whether an allow rule
 * would have granted a request that a deny rule refused. A shallow copy: nothing is owned.
 */
static int allow_only(const struct policy *p, struct policy *ret)
{
	size_t i;

	*ret = *p;
	ret->rules = calloc(p->nrules ? p->nrules : 1, sizeof(*ret->rules));
	if (ret->rules == NULL)
		return -1;
	ret->nrules = 0;
	for (i = 0; i < p->nrules; i++)
		if (p->rules[i].verdict == POLICY_ALLOW)
			ret->rules[ret->nrules++] = p->rules[i];
	return 0;
}

/* Explain the verdict m of a request already printed on its "allow|deny" line. */
static void explain_rules(const struct policy *p, const struct policy_match *m, bool allowed,
			  struct policy_match *alt, bool alt_allows, const char *asked,
			  unsigned intercept_bit)
{
	char where[512];

	if (allowed) {
		print_rule(m->rule);
		printf("  reason: the most specific allow rule matching it grants %s; no deny "
		       "rule matches\n",
		       asked);
		return;
	}
	if (m->rule != NULL) {
		print_rule(m->rule);
		if (alt_allows)
			printf("  reason: deny rules win over allow rules (%s would allow it)\n",
			       cli_loc_format(&alt->rule->loc, where, sizeof(where)));
		else
			printf("  reason: deny rules win over allow rules\n");
		return;
	}
	printf("  decided by no rule\n");
	if (alt != NULL && alt->rule != NULL)
		printf("  reason: %s matches but does not grant %s; a request no rule allows is "
		       "refused\n",
		       cli_loc_format(&alt->rule->loc, where, sizeof(where)), asked);
	else
		printf("  reason: no allow rule matches; a request no rule allows is refused\n");
	if (p->intercept & intercept_bit)
		printf("  note: under 'intercept' (%s), the program's own call is not refused: "
		       "the kernel runs it with the worker's own rights, and the broker grants "
		       "nothing\n",
		       cli_loc_format(&p->intercept_loc, where, sizeof(where)));
}

/* The first allow-open rule whose pattern matches path, whatever rights it grants. */
static const struct policy_rule *matching_allow(const struct policy *p, const char *path)
{
	size_t i;

	for (i = 0; i < p->nrules; i++)
		if (p->rules[i].op == POLICY_OP_OPEN && p->rules[i].verdict == POLICY_ALLOW &&
		    policy_glob_match(p->rules[i].pattern, path))
			return &p->rules[i];
	return NULL;
}

static int explain_open(const struct policy *p, const char *path, unsigned rights)
{
	struct policy_match m, alt = {0};
	struct policy ap;
	char *norm, asked[128];
	bool allowed, alt_allows = false, trailing;

	policy_rights_text(rights, asked, sizeof(asked));
	if ((norm = strdup(path)) == NULL || allow_only(p, &ap) < 0) {
		free(norm);
		perror("fdbroker explain");
		return -1;
	}
	if (policy_path_normalize(norm, &trailing) < 0) {
		int e = errno;

		free(norm);
		free(ap.rules);
		if (e == EACCES) {
			printf("deny  open %s %s\n  decided by built-in default\n"
			       "  reason: a '..' component is never resolved lexically; the broker "
			       "refuses the path\n",
			       path, asked);
			return 1;
		}
		cli_usage_error("explain", "open: '%s' is not a usable absolute path: %s", path,
				strerror(e));
		return -1;
	}
	allowed = policy_match_open(p, norm, rights, &m);
	if (!allowed) {
		alt_allows = policy_match_open(&ap, norm, rights, &alt);
		if (!alt_allows && m.rule == NULL)
			alt.rule = matching_allow(p, norm); /* matches, but grants fewer rights */
	}
	printf("%-5s open %s %s\n", allowed ? "allow" : "deny", norm, asked);
	explain_rules(p, &m, allowed, &alt, alt_allows, asked, POLICY_INTERCEPT_OPEN);
	if (allowed && strcmp(norm, path) != 0)
		printf("  note: matched as %s (normalized)\n", norm);
	free(norm);
	free(ap.rules);
	return allowed ? 0 : 1;
}

static int explain_net(const struct policy *p, enum policy_op op, const char *addr)
{
	struct policy_net_req req;
	struct policy_match m, alt = {0};
	struct policy ap;
	bool allowed, alt_allows = false;

	if (policy_parse_net_address(addr, &req) < 0) {
		cli_usage_error("explain",
				"%s: bad address '%s' (tcp:HOST:PORT, udp:HOST:PORT, tcp:[V6]:PORT "
				"or unix:/PATH)",
				policy_op_name(op), addr);
		return -1;
	}
	if (allow_only(p, &ap) < 0) {
		perror("fdbroker explain");
		return -1;
	}
	allowed = policy_match_net(p, op, &req, &m);
	if (!allowed)
		alt_allows = policy_match_net(&ap, op, &req, &alt);
	printf("%-5s %s %s\n", allowed ? "allow" : "deny", policy_op_name(op), addr);
	explain_rules(p, &m, allowed, alt_allows ? &alt : NULL, alt_allows, policy_op_name(op),
		      op == POLICY_OP_BIND ? POLICY_INTERCEPT_BIND : POLICY_INTERCEPT_CONNECT);
	free(ap.rules);
	return allowed ? 0 : 1;
}

static const char *action_text(enum policy_seccomp_action a, int err, char *buf, size_t size)
{
	switch (a) {
	case POLICY_SECCOMP_ALLOW:
		return "it runs";
	case POLICY_SECCOMP_LOG:
		return "it runs, and the kernel logs it";
	case POLICY_SECCOMP_ERRNO:
		snprintf(buf, size, "it fails with %s", policy_errno_name(err));
		return buf;
	case POLICY_SECCOMP_KILL:
		break;
	}
	return "the worker is killed and the broker logs the call";
}

static void syscall_notes(const char *name, const struct filter_plan *plan, const struct policy *p)
{
	if (strcmp(name, "ioctl") == 0)
		puts("  note: ioctl TIOCSTI and TIOCLINUX fail with EPERM whatever the allow list "
		     "says");
	if ((strcmp(name, "clone") == 0 || strcmp(name, "unshare") == 0)) {
		if (plan->restrict_namespaces)
			puts("  note: with CLONE_NEW* (namespace) flags it fails with EPERM");
		else
			puts("  note: namespace flags are not restricted (the policy allows unshare "
			     "by name)");
	}
	if (strcmp(name, "sendmsg") == 0 && plan->channel_fd >= 0)
		printf("  note: sendmsg on fd %d (the broker channel) is always allowed\n",
		       plan->channel_fd);
	if (strcmp(name, "socket") == 0 && p->socket_families_set)
		printf("  note: only the address families of %s:%u are allowed; others fail with "
		       "EAFNOSUPPORT\n",
		       p->socket_families_loc.file, p->socket_families_loc.line);
}

/* The name as written in the statement at loc ("@system-service"), or NULL. */
static const char *written_name(const struct policy *p, const struct policy_loc *loc)
{
	size_t i;

	if (loc->line == 0)
		return p->seccomp_allow_written ? NULL : "@system-service";
	for (i = 0; i < p->nsyscalls; i++)
		if (p->syscalls[i].loc.line == loc->line && p->syscalls[i].loc.col == loc->col &&
		    p->syscalls[i].loc.file == loc->file)
			return p->syscalls[i].name;
	return NULL;
}

static int explain_syscall(const struct policy *p, const char *name)
{
	const struct filter_entry *e;
	struct filter_plan *plan;
	char buf[64], where[512];
	bool allowed;
	int nr;

	nr = seccomp_syscall_resolve_name(name);
	if (nr == __NR_SCMP_ERROR) {
		cli_usage_error("explain", "syscall: unknown syscall '%s' (libseccomp does not know it)",
				name);
		return -1;
	}
	if (nr < 0) {
		printf("deny  syscall %s\n  decided by built-in default\n"
		       "  reason: not a syscall of this architecture\n",
		       name);
		return 1;
	}
	if (filter_plan_build(p, (int)(3 + p->nlistens + p->nopens), &plan) < 0) {
		perror("fdbroker explain: compiling the seccomp filter");
		return -1;
	}
	e = filter_plan_lookup(plan, nr);
	if ((strcmp(name, "clone3") == 0 || strcmp(name, "setns") == 0) &&
	    plan->restrict_namespaces) {
		/* the restriction filter decides whatever the allow list says */
		printf("deny  syscall %s\n  decided by built-in default (argument restrictions)\n"
		       "  reason: it fails with %s: %s\n",
		       name, name[0] == 'c' ? "ENOSYS" : "EPERM",
		       name[0] == 'c' ? "its flags are in memory seccomp cannot read; libc falls "
					"back to clone(2), whose flags are checked"
				      : "namespaces are restricted unless the policy allows unshare "
					"by name");
		filter_plan_free(plan);
		return 1;
	}
	if (e != NULL && e->intercept) {
		printf("allow syscall %s\n", name);
		printf("  decided by %s: intercept\n",
		       cli_loc_format(&e->loc, where, sizeof(where)));
		printf("  reason: intercepted: the broker serves it by the open/bind/connect rules; "
		       "with no matching rule the kernel runs it with the worker's own rights\n");
		filter_plan_free(plan);
		return 0;
	}
	if (e != NULL) {
		const char *written = written_name(p, &e->loc);

		allowed = e->action == POLICY_SECCOMP_ALLOW;
		printf("%-5s syscall %s\n", allowed ? "allow" : "deny", name);
		if (e->loc.line == 0 && e->via == NULL)
			printf("  decided by built-in default: %s\n",
			       strcmp(name, "clone3") == 0 ? "clone3 fails with ENOSYS where clone "
							    "is allowed"
							  : "the launch needs it");
		else
			printf("  decided by %s: seccomp %s %s%s\n",
			       cli_loc_format(&e->loc, where, sizeof(where)),
			       allowed ? "allow" : "deny", written != NULL ? written : name,
			       e->loc.line == 0 ? " (no 'seccomp allow' written)" : "");
		if (e->via != NULL && written != NULL && strcmp(written, e->via) != 0)
			printf("  reason: %s is in %s, part of %s; %s\n", name, e->via, written,
			       action_text(e->action, e->errno_val, buf, sizeof(buf)));
		else if (e->via != NULL)
			printf("  reason: %s is in %s; %s\n", name, e->via,
			       action_text(e->action, e->errno_val, buf, sizeof(buf)));
		else
			printf("  reason: named directly; %s\n",
			       action_text(e->action, e->errno_val, buf, sizeof(buf)));
	} else {
		allowed = plan->dflt == POLICY_SECCOMP_LOG;
		printf("%-5s syscall %s\n", allowed ? "allow" : "deny", name);
		printf("  decided by %s: seccomp default %s%s%s\n",
		       cli_loc_format(&plan->dflt_loc, where, sizeof(where)),
		       plan->dflt == POLICY_SECCOMP_KILL	? "kill"
		       : plan->dflt == POLICY_SECCOMP_ERRNO ? "errno"
							    : "log",
		       plan->dflt == POLICY_SECCOMP_ERRNO ? " " : "",
		       plan->dflt == POLICY_SECCOMP_ERRNO ? policy_errno_name(plan->dflt_errno) : "");
		printf("  reason: not in the allow list, so the default action applies: %s\n",
		       action_text(plan->dflt, plan->dflt_errno, buf, sizeof(buf)));
	}
	syscall_notes(name, plan, p);
	filter_plan_free(plan);
	return allowed ? 0 : 1;
}

/* Decide the request starting at argv[*i]; advances *i. 0 allow, 1 deny, -1 reported. */
static int explain_one(const struct policy *p, int argc, char **argv, int *i)
{
	const char *kind = argv[(*i)++];
	const char *arg;
	unsigned rights = 0;
	int bit;

	if (*i >= argc) {
		cli_usage_error("explain", "'%s' needs an argument", kind);
		return -1;
	}
	arg = argv[(*i)++];
	if (strcmp(kind, "open") == 0) {
		while (*i < argc && (bit = (int)policy_right_from_name(argv[*i])) != 0) {
			rights |= (unsigned)bit;
			(*i)++;
		}
		return explain_open(p, arg, rights ? rights : POLICY_RIGHT_READ);
	}
	if (strcmp(kind, "connect") == 0)
		return explain_net(p, POLICY_OP_CONNECT, arg);
	if (strcmp(kind, "bind") == 0)
		return explain_net(p, POLICY_OP_BIND, arg);
	if (strcmp(kind, "syscall") == 0)
		return explain_syscall(p, arg);
	cli_usage_error("explain", "unknown request '%s' (open, connect, bind or syscall)", kind);
	return -1;
}

int cli_explain(int argc, char **argv)
{
	static const struct option opts[] = {
		{"policy", required_argument, NULL, 'p'},
		{"insecure-policy", no_argument, NULL, OPT_INSECURE},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *path = NULL;
	struct policy *p;
	unsigned flags = 0;
	int c, i, r, status = CLI_EXIT_OK;

	optind = 1;
	/* '+': the request words are not options */
	while ((c = getopt_long(argc, argv, "+p:h", opts, NULL)) != -1) {
		switch (c) {
		case 'p':
			path = optarg;
			break;
		case OPT_INSECURE:
			flags |= POLICY_LOAD_TRUST_FILE;
			break;
		case 'h':
			puts("Usage: fdbroker explain -p POLICY [--insecure-policy] REQUEST...\n"
			     "  REQUEST: open PATH [RIGHTS...] | connect ADDRESS | bind ADDRESS |\n"
			     "           syscall NAME");
			return CLI_EXIT_OK;
		default:
			return cli_usage_error("explain", "invalid option");
		}
	}
	if (path == NULL)
		return cli_usage_error("explain", "no policy given (-p POLICY)");
	if (optind >= argc)
		return cli_usage_error("explain", "no request given");
	if ((p = cli_load_policy(path, flags)) == NULL)
		return CLI_EXIT_FAIL;
	for (i = optind; i < argc;) {
		r = explain_one(p, argc, argv, &i);
		if (r < 0) {
			status = CLI_EXIT_USAGE;
			break;
		}
		if (r > 0)
			status = CLI_EXIT_FAIL;
		fflush(stdout);
	}
	policy_free(p);
	return status;
}
