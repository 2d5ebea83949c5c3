/*
 * cli_dump.c — `fdbroker dump`: the policy as fdbroker will enforce it.
 *
 * Normalized and include-expanded, in a stable order, with every default written out, so two
 * people can diff what two policies really do. The seccomp part is printed from the compiled
 * filter plan (filter_plan_build), not re-derived from the statements, so the dump cannot
 * drift from what the worker loads: every group expanded to syscall names, the implicit
 * additions of the compiler, and the argument restrictions of the second filter.
 *
 * Text output is a policy-like listing: statements the parser accepts, with each source
 * location and every derived fact in `#` comments. --format json writes one JSON object.
 */
#define _GNU_SOURCE
#include <getopt.h>
#include <grp.h>
#include <pwd.h>
#include <seccomp.h>
#include <sys/socket.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "filter.h"

enum {
	OPT_INSECURE = 256,
	OPT_FORMAT,
};

static const char *const implicit_names[] = {"execve", "exit", "exit_group", NULL};

/* ---- sorting ----------------------------------------------------------------------------- */

struct sorted_rule {
	const struct policy_rule *r;
	size_t index;
	char key[160]; /* pattern or address text */
};

static int op_rank(enum policy_op op)
{
	return op == POLICY_OP_OPEN ? 0 : op == POLICY_OP_CONNECT ? 1 : 2;
}

static int cmp_rule(const void *a, const void *b)
{
	const struct sorted_rule *x = a, *y = b;
	int c;

	if (op_rank(x->r->op) != op_rank(y->r->op))
		return op_rank(x->r->op) - op_rank(y->r->op);
	if ((c = strcmp(x->key, y->key)) != 0)
		return c;
	if (x->r->verdict != y->r->verdict)
		return (int)x->r->verdict - (int)y->r->verdict;
	return x->index < y->index ? -1 : x->index > y->index;
}

static struct sorted_rule *sort_rules(const struct policy *p)
{
	struct sorted_rule *v = calloc(p->nrules ? p->nrules : 1, sizeof(*v));
	size_t i;

	if (v == NULL)
		return NULL;
	for (i = 0; i < p->nrules; i++) {
		v[i].r = &p->rules[i];
		v[i].index = i;
		if (p->rules[i].op == POLICY_OP_OPEN)
			snprintf(v[i].key, sizeof(v[i].key), "%s", p->rules[i].pattern);
		else
			cli_addr_format(&p->rules[i].addr, v[i].key, sizeof(v[i].key));
	}
	qsort(v, p->nrules, sizeof(*v), cmp_rule);
	return v;
}

static int cmp_entry_name(const void *a, const void *b)
{
	const struct filter_entry *const *x = a, *const *y = b;

	return strcmp((*x)->name, (*y)->name);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* ---- facts derived from the policy and the plan ------------------------------------------ */

/* The default group: the user's primary group name, if it resolves here. */
static const char *primary_group(const struct policy *p, char *buf, size_t size)
{
	struct passwd *pw = NULL;
	struct group *gr;
	char *end;
	unsigned long uid;

	if (p->user == NULL)
		return NULL;
	uid = strtoul(p->user, &end, 10);
	if (p->user[0] >= '0' && p->user[0] <= '9' && *end == '\0')
		pw = getpwuid((uid_t)uid);
	else
		pw = getpwnam(p->user);
	if (pw == NULL)
		return NULL;
	gr = getgrgid(pw->pw_gid);
	if (gr != NULL)
		snprintf(buf, size, "%s", gr->gr_name);
	else
		snprintf(buf, size, "%u", (unsigned)pw->pw_gid);
	return buf;
}

static const char *access_text(unsigned access)
{
	if ((access & POLICY_ACCESS_READ) && (access & POLICY_ACCESS_WRITE))
		return "readwrite";
	if (access & POLICY_ACCESS_APPEND)
		return "append";
	if (access & POLICY_ACCESS_WRITE)
		return "write";
	return "read";
}

static const char *action_name(enum policy_seccomp_action a)
{
	switch (a) {
	case POLICY_SECCOMP_KILL:
		return "kill";
	case POLICY_SECCOMP_ERRNO:
		return "errno";
	case POLICY_SECCOMP_LOG:
		return "log";
	case POLICY_SECCOMP_ALLOW:
		return "allow";
	}
	return "kill";
}

static bool is_implicit(const struct filter_entry *e)
{
	size_t i;

	if (e->loc.line != 0 || e->via != NULL)
		return false;
	for (i = 0; implicit_names[i] != NULL; i++)
		if (strcmp(e->name, implicit_names[i]) == 0)
			return true;
	return strcmp(e->name, "clone3") == 0 && e->action == POLICY_SECCOMP_ERRNO;
}

/* Every syscall name a group expands to, recursively; appended to *v (names are static). */
static int expand_group(const struct policy_group *g, const char ***v, size_t *n, int depth)
{
	const char *const *m;
	const char **nv;

	if (depth > 8)
		return 0;
	for (m = g->members; *m != NULL; m++) {
		if ((*m)[0] == '@') {
			const struct policy_group *sub = policy_group_find(*m);
			if (sub != NULL && expand_group(sub, v, n, depth + 1) < 0)
				return -1;
			continue;
		}
		if ((nv = realloc(*v, (*n + 1) * sizeof(**v))) == NULL)
			return -1;
		*v = nv;
		(*v)[(*n)++] = *m;
	}
	return 0;
}

/* The sorted, de-duplicated expansion of group g; NULL-terminated, free() the array. */
static const char **group_names(const struct policy_group *g, size_t *ret_n)
{
	const char **v = NULL;
	size_t n = 0, i, k = 0;

	if (expand_group(g, &v, &n, 0) < 0 || (v == NULL && (v = calloc(1, sizeof(*v))) == NULL)) {
		free(v);
		return NULL;
	}
	qsort(v, n, sizeof(*v), cmp_str);
	for (i = 0; i < n; i++)
		if (k == 0 || strcmp(v[k - 1], v[i]) != 0)
			v[k++] = v[i];
	*ret_n = k;
	return v;
}

#define MAX_GROUPS 64

static void mark_group(const char *name, bool *used, int depth)
{
	const char *const *m;
	size_t k;

	for (k = 0; k < MAX_GROUPS && policy_groups[k].name != NULL; k++) {
		if (strcmp(policy_groups[k].name, name) != 0)
			continue;
		if (used[k] || depth > 8)
			return;
		used[k] = true;
		for (m = policy_groups[k].members; *m != NULL; m++)
			if ((*m)[0] == '@')
				mark_group(*m, used, depth + 1);
		return;
	}
}

static int cmp_group(const void *a, const void *b)
{
	const struct policy_group *const *x = a, *const *y = b;

	return strcmp((*x)->name, (*y)->name);
}

/* The groups the policy uses (written, the built-in default, and groups inside those),
 * sorted by name. */
static size_t used_groups(const struct policy *p, const struct policy_group **out)
{
	bool used[MAX_GROUPS] = {false};
	size_t i, k, n = 0;

	if (!p->seccomp_allow_written)
		mark_group("@system-service", used, 0);
	for (i = 0; i < p->nsyscalls; i++)
		if (p->syscalls[i].name[0] == '@')
			mark_group(p->syscalls[i].name, used, 0);
	for (k = 0; k < MAX_GROUPS && policy_groups[k].name != NULL; k++)
		if (used[k])
			out[n++] = &policy_groups[k];
	qsort(out, n, sizeof(*out), cmp_group);
	return n;
}

/* "unix,inet,inet6" for the families of `seccomp allow socket family`, into buf. */
static const char *families_text(uint64_t mask, char *buf, size_t size)
{
	static const struct {
		const char *name;
		int af;
	} fam[] = {{"unix", AF_UNIX},       {"inet", AF_INET},     {"inet6", AF_INET6},
		   {"netlink", AF_NETLINK}, {"packet", AF_PACKET}};
	size_t i, len = 0;

	buf[0] = '\0';
	for (i = 0; i < sizeof(fam) / sizeof(fam[0]) && len < size; i++)
		if (mask & (UINT64_C(1) << fam[i].af))
			len += (size_t)snprintf(buf + len, size - len, "%s%s", len ? "," : "",
						fam[i].name);
	return buf;
}

/* ---- text -------------------------------------------------------------------------------- */

/* A policy string literal: quoted, with the lexer's escapes. */
static void text_quoted(FILE *out, const char *s)
{
	const unsigned char *c;

	fputc('"', out);
	for (c = (const unsigned char *)s; *c != '\0'; c++) {
		if (*c == '"' || *c == '\\')
			fprintf(out, "\\%c", *c);
		else if (*c == '\n')
			fputs("\\n", out);
		else if (*c == '\t')
			fputs("\\t", out);
		else if (*c < 0x20 || *c == 0x7f)
			fprintf(out, "\\x%02x", *c);
		else
			fputc(*c, out);
	}
	fputc('"', out);
}

/* An address as a policy would write it; unix paths quoted. */
static void text_addr(FILE *out, const struct policy_addr *a)
{
	char buf[256];

	if (a->sock == POLICY_SOCK_UNIX) {
		fputs("unix ", out);
		text_quoted(out, a->path != NULL ? a->path : "");
	} else {
		fputs(cli_addr_format(a, buf, sizeof(buf)), out);
	}
}

static void text_loc(FILE *out, const struct policy_loc *loc)
{
	char buf[512];

	fprintf(out, "  # %s\n", cli_loc_format(loc, buf, sizeof(buf)));
}

static void text_header(FILE *out, const char *path, const struct policy *p)
{
	char buf[POLICY_MAX_NAME + 16];
	const char *g;
	size_t i;

	fprintf(out, "# fdbroker dump of %s: normalized, includes expanded, defaults shown\n", path);
	for (i = 0; i < p->nfiles; i++)
		fprintf(out, "# file %s\n", p->files[i]);
	fprintf(out, "version %d\n", p->version);
	fprintf(out, "user %s", p->user);
	text_loc(out, &p->user_loc);
	if (p->group != NULL) {
		fprintf(out, "group %s", p->group);
		text_loc(out, &p->group_loc);
	} else if ((g = primary_group(p, buf, sizeof(buf))) != NULL) {
		fprintf(out, "group %s  # built-in default: the primary group of user %s\n", g,
			p->user);
	} else {
		fprintf(out, "# group: the primary group of user %s (not resolvable here)\n",
			p->user);
	}
	if (p->ngroups == 0) {
		fprintf(out, "# groups: none (built-in default)\n");
	} else {
		fputs("groups ", out);
		for (i = 0; i < p->ngroups; i++)
			fprintf(out, "%s%s", i ? "," : "", p->groups[i]);
		text_loc(out, &p->groups_loc);
	}
}

static void text_resources(FILE *out, const struct policy *p)
{
	size_t i;

	for (i = 0; i < p->nlistens; i++) {
		const struct policy_listen *l = &p->listens[i];
		fputs("listen ", out);
		text_quoted(out, l->name);
		fputc(' ', out);
		text_addr(out, &l->addr);
		if (l->addr.sock != POLICY_SOCK_UDP)
			fprintf(out, " backlog %d", l->backlog);
		if (l->addr.sock == POLICY_SOCK_UNIX)
			fprintf(out, " mode %04o", (unsigned)(l->has_mode ? l->mode : 0666));
		fprintf(out, "  # fd %zu, %s", 3 + i, l->has_mode || l->addr.sock != POLICY_SOCK_UNIX
							 ? "" : "mode: built-in default, ");
		fprintf(out, "%s:%u\n", l->loc.file, l->loc.line);
	}
	for (i = 0; i < p->nopens; i++) {
		const struct policy_open *o = &p->opens[i];
		fputs("open ", out);
		text_quoted(out, o->name);
		fputc(' ', out);
		text_quoted(out, o->path);
		fprintf(out, " %s", access_text(o->access));
		if (o->access & POLICY_ACCESS_CREATE)
			fprintf(out, " create mode %04o", (unsigned)(o->has_mode ? o->mode : 0600));
		fprintf(out, "  # fd %zu, %s:%u\n", 3 + p->nlistens + i, o->loc.file, o->loc.line);
	}
}

static void text_rules(FILE *out, const struct policy *p, const struct sorted_rule *v)
{
	char rights[128];
	size_t i;

	if (p->nrules == 0)
		fputs("# rules: none (every runtime request is refused)\n", out);
	for (i = 0; i < p->nrules; i++) {
		const struct policy_rule *r = v[i].r;
		const char *verdict = r->verdict == POLICY_ALLOW ? "allow" : "deny";

		if (r->op != POLICY_OP_OPEN) {
			fprintf(out, "%s %s ", verdict, policy_op_name(r->op));
			text_addr(out, &r->addr);
			fprintf(out, "  # %s:%u\n", r->loc.file, r->loc.line);
			continue;
		}
		fprintf(out, "%s open ", verdict);
		text_quoted(out, r->pattern);
		if (r->rights != 0)
			fprintf(out, " %s", policy_rights_text(r->rights, rights, sizeof(rights)));
		if (r->verdict == POLICY_ALLOW && (r->rights & POLICY_RIGHT_CREATE))
			fprintf(out, " mode %04o", (unsigned)(r->mode ? r->mode : 0600));
		fprintf(out, "  # %s%s:%u\n",
			r->verdict == POLICY_DENY && r->rights == 0 ? "rights: all, " : "",
			r->loc.file, r->loc.line);
	}
}

static void text_caps(FILE *out, const struct policy *p)
{
	int c;

	if (p->caps_keep == 0) {
		fputs("capabilities none", out);
	} else {
		fputs("capabilities keep", out);
		for (c = 0; c < 64; c++)
			if (p->caps_keep & (UINT64_C(1) << c))
				fprintf(out, " %s", policy_cap_name(c));
	}
	text_loc(out, &p->caps_loc);
}

static void text_intercept(FILE *out, const struct policy *p)
{
	if (p->intercept == 0) {
		fputs("# intercept: none (built-in default)\n", out);
		return;
	}
	fputs("intercept", out);
	if (p->intercept & POLICY_INTERCEPT_OPEN)
		fputs(" open", out);
	if (p->intercept & POLICY_INTERCEPT_BIND)
		fputs(" bind", out);
	if (p->intercept & POLICY_INTERCEPT_CONNECT)
		fputs(" connect", out);
	text_loc(out, &p->intercept_loc);
}

static void text_entry(FILE *out, const struct filter_entry *e)
{
	char loc[512];

	if (e->intercept) {
		fprintf(out, "seccomp allow %s  # intercepted: served by the broker (%s)\n", e->name,
			cli_loc_format(&e->loc, loc, sizeof(loc)));
		return;
	}
	if (e->action == POLICY_SECCOMP_ALLOW)
		fprintf(out, "seccomp allow %s", e->name);
	else if (e->action == POLICY_SECCOMP_ERRNO)
		fprintf(out, "seccomp deny %s errno %s", e->name, policy_errno_name(e->errno_val));
	else
		fprintf(out, "seccomp deny %s", e->name);
	if (is_implicit(e))
		fprintf(out, "  # implicit: %s\n",
			strcmp(e->name, "clone3") == 0
				? "clone3 flags are unreadable; ENOSYS makes libc use clone"
				: "the launch needs it");
	else
		fprintf(out, "  # %s%s%s\n", e->via ? e->via : "", e->via ? ", " : "",
			cli_loc_format(&e->loc, loc, sizeof(loc)));
}

static void text_seccomp(FILE *out, const struct policy *p, const struct filter_plan *plan,
			 const struct filter_entry **sorted)
{
	const struct policy_group *groups[MAX_GROUPS];
	const char **names;
	size_t i, k, ng, nn;

	fprintf(out, "seccomp default %s", action_name(plan->dflt));
	if (plan->dflt == POLICY_SECCOMP_ERRNO)
		fprintf(out, " %s", policy_errno_name(plan->dflt_errno));
	text_loc(out, &plan->dflt_loc);
	if (!p->seccomp_allow_written)
		fputs("# seccomp allow @system-service  (built-in default: no allow written)\n", out);
	ng = used_groups(p, groups);
	for (i = 0; i < ng; i++) {
		if ((names = group_names(groups[i], &nn)) == NULL)
			continue;
		fprintf(out, "# group %s:", groups[i]->name);
		for (k = 0; k < nn; k++)
			fprintf(out, " %s", names[k]);
		fputc('\n', out);
		free(names);
	}
	for (i = 0; i < p->nsyscalls; i++) {
		const struct policy_syscall *sc = &p->syscalls[i];
		fprintf(out, "# as written: seccomp %s %s%s%s  (%s:%u)\n",
			sc->action == POLICY_SECCOMP_ALLOW ? "allow" : "deny", sc->name,
			sc->action == POLICY_SECCOMP_ERRNO ? " errno " : "",
			sc->action == POLICY_SECCOMP_ERRNO ? policy_errno_name(sc->errno_val) : "",
			sc->loc.file, sc->loc.line);
	}
	fprintf(out, "# the compiled syscall list (%zu syscalls, sorted by name):\n", plan->n);
	for (i = 0; i < plan->n; i++)
		text_entry(out, sorted[i]);
	if (plan->channel_fd >= 0)
		fprintf(out, "# implicit: sendmsg allowed on fd %d (the broker channel)\n",
			plan->channel_fd);
	fputs("# restrict: ioctl TIOCSTI and TIOCLINUX fail with EPERM (whatever is allowed)\n",
	      out);
	if (plan->restrict_socket) {
		char fams[64];

		fprintf(out, "seccomp allow socket family %s",
			families_text(plan->socket_families, fams, sizeof(fams)));
		text_loc(out, &p->socket_families_loc);
		fputs("# restrict: socket with any other address family fails with EAFNOSUPPORT\n",
		      out);
	}
	if (plan->restrict_namespaces)
		fputs("# restrict: clone and unshare with CLONE_NEW* flags fail with EPERM; "
		      "clone3 fails with ENOSYS; setns fails with EPERM\n",
		      out);
	else
		fputs("# restrict: none on namespaces (the policy allows unshare by name)\n", out);
	fputs("# non-native ABIs (i386, x32): the process is killed\n", out);
}

/* ---- json -------------------------------------------------------------------------------- */

static void json_loc(FILE *out, const struct policy_loc *loc)
{
	if (loc->line == 0) {
		fputs("\"source\": \"built-in default\"", out);
		return;
	}
	fputs("\"source\": {\"file\": ", out);
	cli_json_string(out, loc->file);
	fprintf(out, ", \"line\": %u}", loc->line);
}

static void json_kv(FILE *out, const char *key, const char *val, bool comma)
{
	fprintf(out, "\"%s\": ", key);
	cli_json_string(out, val);
	if (comma)
		fputs(", ", out);
}

static void json_header(FILE *out, const char *path, const struct policy *p)
{
	char buf[POLICY_MAX_NAME + 16];
	size_t i;

	fputs("{\n  ", out);
	json_kv(out, "policy", path, true);
	fputs("\"files\": [", out);
	for (i = 0; i < p->nfiles; i++) {
		fputs(i ? ", " : "", out);
		cli_json_string(out, p->files[i]);
	}
	fprintf(out, "],\n  \"version\": %d,\n  \"user\": {", p->version);
	json_kv(out, "name", p->user, true);
	json_loc(out, &p->user_loc);
	fputs("},\n  \"group\": {", out);
	if (p->group != NULL) {
		json_kv(out, "name", p->group, true);
		json_loc(out, &p->group_loc);
	} else {
		json_kv(out, "name", primary_group(p, buf, sizeof(buf)), true);
		fputs("\"source\": \"built-in default: the user's primary group\"", out);
	}
	fputs("},\n  \"groups\": [", out);
	for (i = 0; i < p->ngroups; i++) {
		fputs(i ? ", " : "", out);
		cli_json_string(out, p->groups[i]);
	}
	fputs("],\n", out);
}

static void json_resources(FILE *out, const struct policy *p)
{
	char addr[256];
	size_t i;

	fputs("  \"listen\": [", out);
	for (i = 0; i < p->nlistens; i++) {
		const struct policy_listen *l = &p->listens[i];
		fprintf(out, "%s\n    {", i ? "," : "");
		json_kv(out, "name", l->name, true);
		fprintf(out, "\"fd\": %zu, ", 3 + i);
		json_kv(out, "proto", policy_sock_name(l->addr.sock), true);
		json_kv(out, "address", cli_addr_format(&l->addr, addr, sizeof(addr)), true);
		if (l->addr.sock == POLICY_SOCK_UNIX)
			json_kv(out, "path", l->addr.path, true);
		else
			fprintf(out, "\"port\": %u, ", l->addr.port_lo);
		if (l->addr.sock != POLICY_SOCK_UDP)
			fprintf(out, "\"backlog\": %d, ", l->backlog);
		/* resources.c applies the mode exactly, 0666 when none is written */
		if (l->addr.sock == POLICY_SOCK_UNIX)
			fprintf(out, "\"mode\": \"%04o\", ", (unsigned)(l->has_mode ? l->mode : 0666));
		json_loc(out, &l->loc);
		fputc('}', out);
	}
	fputs(p->nlistens ? "\n  ],\n  \"open\": [" : "],\n  \"open\": [", out);
	for (i = 0; i < p->nopens; i++) {
		const struct policy_open *o = &p->opens[i];
		fprintf(out, "%s\n    {", i ? "," : "");
		json_kv(out, "name", o->name, true);
		fprintf(out, "\"fd\": %zu, ", 3 + p->nlistens + i);
		json_kv(out, "path", o->path, true);
		json_kv(out, "access", access_text(o->access), true);
		fprintf(out, "\"create\": %s, ", o->access & POLICY_ACCESS_CREATE ? "true" : "false");
		fprintf(out, "\"mode\": \"%04o\", ", (unsigned)(o->has_mode ? o->mode : 0600));
		json_loc(out, &o->loc);
		fputc('}', out);
	}
	fputs(p->nopens ? "\n  ],\n" : "],\n", out);
}

static void json_rules(FILE *out, const struct policy *p, const struct sorted_rule *v)
{
	char buf[256];
	size_t i;

	fputs("  \"rules\": [", out);
	for (i = 0; i < p->nrules; i++) {
		const struct policy_rule *r = v[i].r;
		fprintf(out, "%s\n    {", i ? "," : "");
		json_kv(out, "verdict", r->verdict == POLICY_ALLOW ? "allow" : "deny", true);
		json_kv(out, "op", policy_op_name(r->op), true);
		if (r->op == POLICY_OP_OPEN) {
			json_kv(out, "pattern", r->pattern, true);
			json_kv(out, "rights",
				r->rights == 0 ? "all" : policy_rights_text(r->rights, buf, sizeof(buf)),
				true);
			if (r->verdict == POLICY_ALLOW && (r->rights & POLICY_RIGHT_CREATE))
				fprintf(out, "\"mode\": \"%04o\", ", (unsigned)(r->mode ? r->mode : 0600));
		} else {
			json_kv(out, "address", cli_addr_format(&r->addr, buf, sizeof(buf)), true);
		}
		json_loc(out, &r->loc);
		fputc('}', out);
	}
	fputs(p->nrules ? "\n  ],\n" : "],\n", out);
}

static void json_seccomp(FILE *out, const struct policy *p, const struct filter_plan *plan,
			 const struct filter_entry **sorted)
{
	const struct policy_group *groups[MAX_GROUPS];
	const char **names;
	size_t i, k, ng, nn;
	int c, first = 1;

	fputs("  \"capabilities\": {\"keep\": [", out);
	for (c = 0; c < 64; c++)
		if (p->caps_keep & (UINT64_C(1) << c)) {
			fputs(first ? "" : ", ", out);
			cli_json_string(out, policy_cap_name(c));
			first = 0;
		}
	fputs("], ", out);
	json_loc(out, &p->caps_loc);
	fputs("},\n  \"intercept\": [", out);
	first = 1;
	if (p->intercept & POLICY_INTERCEPT_OPEN)
		fputs(first ? (first = 0, "\"open\"") : ", \"open\"", out);
	if (p->intercept & POLICY_INTERCEPT_BIND)
		fputs(first ? (first = 0, "\"bind\"") : ", \"bind\"", out);
	if (p->intercept & POLICY_INTERCEPT_CONNECT)
		fputs(first ? (first = 0, "\"connect\"") : ", \"connect\"", out);
	fputs("],\n  \"seccomp\": {\n    \"default\": {", out);
	json_kv(out, "action", action_name(plan->dflt), true);
	if (plan->dflt == POLICY_SECCOMP_ERRNO)
		json_kv(out, "errno", policy_errno_name(plan->dflt_errno), true);
	json_loc(out, &plan->dflt_loc);
	fprintf(out, "},\n    \"allow_written\": %s,\n    \"groups\": {",
		p->seccomp_allow_written ? "true" : "false");
	ng = used_groups(p, groups);
	for (i = 0; i < ng; i++) {
		fprintf(out, "%s\n      ", i ? "," : "");
		cli_json_string(out, groups[i]->name);
		fputs(": [", out);
		if ((names = group_names(groups[i], &nn)) != NULL) {
			for (k = 0; k < nn; k++) {
				fputs(k ? ", " : "", out);
				cli_json_string(out, names[k]);
			}
			free(names);
		}
		fputc(']', out);
	}
	fputs(ng ? "\n    },\n    \"syscalls\": [" : "},\n    \"syscalls\": [", out);
	for (i = 0; i < plan->n; i++) {
		const struct filter_entry *e = sorted[i];
		fprintf(out, "%s\n      {", i ? "," : "");
		json_kv(out, "name", e->name, true);
		fprintf(out, "\"nr\": %d, ", e->nr);
		json_kv(out, "action", action_name(e->action), true);
		if (e->action == POLICY_SECCOMP_ERRNO)
			json_kv(out, "errno", policy_errno_name(e->errno_val), true);
		if (e->via != NULL)
			json_kv(out, "via", e->via, true);
		if (e->intercept)
			fputs("\"intercept\": true, ", out);
		if (is_implicit(e))
			fputs("\"implicit\": true, ", out);
		json_loc(out, &e->loc);
		fputc('}', out);
	}
	fputs(plan->n ? "\n    ],\n" : "],\n", out);
	fputs("    \"restrictions\": [\n", out);
	if (plan->channel_fd >= 0)
		fprintf(out, "      {\"syscall\": \"sendmsg\", \"action\": \"allow\", "
			     "\"when\": \"fd == %d (the broker channel)\"},\n",
			plan->channel_fd);
	fputs("      {\"syscall\": \"ioctl\", \"action\": \"errno\", \"errno\": \"EPERM\", "
	      "\"when\": \"cmd is TIOCSTI or TIOCLINUX\"}",
	      out);
	if (plan->restrict_socket) {
		char fams[64];

		fprintf(out, ",\n      {\"syscall\": \"socket\", \"action\": \"errno\", "
			     "\"errno\": \"EAFNOSUPPORT\", \"when\": \"family not in %s\", "
			     "\"families\": \"%s\", ",
			families_text(plan->socket_families, fams, sizeof(fams)), fams);
		json_loc(out, &p->socket_families_loc);
		fputc('}', out);
	}
	if (plan->restrict_namespaces)
		fputs(",\n      {\"syscall\": \"clone\", \"action\": \"errno\", \"errno\": \"EPERM\", "
		      "\"when\": \"flags has CLONE_NEW*\"},\n"
		      "      {\"syscall\": \"unshare\", \"action\": \"errno\", \"errno\": \"EPERM\", "
		      "\"when\": \"flags has CLONE_NEW*\"},\n"
		      "      {\"syscall\": \"clone3\", \"action\": \"errno\", \"errno\": \"ENOSYS\", "
		      "\"when\": \"always\"},\n"
		      "      {\"syscall\": \"setns\", \"action\": \"errno\", \"errno\": \"EPERM\", "
		      "\"when\": \"always\"}",
		      out);
	fputs("\n    ],\n    \"bad_arch\": \"kill\"\n  }\n}\n", out);
}

/* ---- entry point ------------------------------------------------------------------------- */

static int dump(const char *path, const struct policy *p, bool json)
{
	struct filter_plan *plan = NULL;
	struct sorted_rule *rules = NULL;
	const struct filter_entry **sorted = NULL;
	size_t i;
	int r = CLI_EXIT_FAIL;

	/* the channel is the first fd after the pre-opened ones, as spawn arranges it */
	if (filter_plan_build(p, (int)(3 + p->nlistens + p->nopens), &plan) < 0) {
		perror("fdbroker dump: compiling the seccomp filter");
		goto out;
	}
	rules = sort_rules(p);
	sorted = calloc(plan->n ? plan->n : 1, sizeof(*sorted));
	if (rules == NULL || sorted == NULL) {
		perror("fdbroker dump");
		goto out;
	}
	for (i = 0; i < plan->n; i++)
		sorted[i] = &plan->v[i];
	qsort(sorted, plan->n, sizeof(*sorted), cmp_entry_name);
	if (json) {
		json_header(stdout, path, p);
		json_resources(stdout, p);
		json_rules(stdout, p, rules);
		json_seccomp(stdout, p, plan, sorted);
	} else {
		text_header(stdout, path, p);
		text_resources(stdout, p);
		text_rules(stdout, p, rules);
		text_caps(stdout, p);
		text_intercept(stdout, p);
		text_seccomp(stdout, p, plan, sorted);
	}
	r = fflush(stdout) == 0 ? CLI_EXIT_OK : CLI_EXIT_FAIL;
out:
	free(sorted);
	free(rules);
	filter_plan_free(plan);
	return r;
}

int cli_dump(int argc, char **argv)
{
	static const struct option opts[] = {
		{"policy", required_argument, NULL, 'p'},
		{"insecure-policy", no_argument, NULL, OPT_INSECURE},
		{"format", required_argument, NULL, OPT_FORMAT},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *path = NULL;
	struct policy *p;
	unsigned flags = 0;
	bool json = false;
	int c, r;

	optind = 1;
	while ((c = getopt_long(argc, argv, "p:h", opts, NULL)) != -1) {
		switch (c) {
		case 'p':
			path = optarg;
			break;
		case OPT_INSECURE:
			flags |= POLICY_LOAD_TRUST_FILE;
			break;
		case OPT_FORMAT:
			if (strcmp(optarg, "json") == 0)
				json = true;
			else if (strcmp(optarg, "text") == 0)
				json = false;
			else
				return cli_usage_error("dump", "--format must be text or json, not '%s'",
						       optarg);
			break;
		case 'h':
			puts("Usage: fdbroker dump -p POLICY [--format text|json] [--insecure-policy]");
			return CLI_EXIT_OK;
		default:
			return cli_usage_error("dump", "invalid option");
		}
	}
	if (path == NULL)
		return cli_usage_error("dump", "no policy given (-p POLICY)");
	if (optind < argc)
		return cli_usage_error("dump", "unexpected argument '%s'", argv[optind]);
	if ((p = cli_load_policy(path, flags)) == NULL)
		return CLI_EXIT_FAIL;
	r = dump(path, p, json);
	policy_free(p);
	return r;
}
