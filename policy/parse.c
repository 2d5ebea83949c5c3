/*
 * parse.c — statements of the policy language, each checked as it is read.
 *
 * Fail closed: anything not understood is an error, never skipped, and every error is
 * reported (up to POLICY_MAX_ERRORS) so one run of `fdbroker check` shows them all.
 * Values (addresses, paths, modes) are checked in values.c; capabilities and seccomp in
 * seccomp.c; reading files and includes in load.c.
 */
#define _GNU_SOURCE
#include "parse.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

static const char *const statement_names[] = {
    "version", "user",         "group",   "groups",    "listen",  "open", "allow",
    "deny",    "capabilities", "seccomp", "intercept", "include", "setenv", NULL,
};

/* ---- statements -------------------------------------------------------------------------- */

static void st_version(struct parser *ps, struct stmt *st)
{
	struct frame *f = &ps->frames[ps->depth];
	unsigned long v;

	if (!parse_nargs(ps, st, 2, 2, "version 1"))
		return;
	if (f->version_line != 0) {
		parse_error(ps, st, ARG(0)->col, "duplicate 'version' (first at %s:%u)", f->file,
		            f->version_line);
		return;
	}
	f->version_line = st->line;
	if (f->nstmts != 1)
		parse_error(ps, st, ARG(0)->col, "'version' must be the first statement");
	if (!parse_ulong(ARG(1)->text, 1000000, &v) || v != POLICY_VERSION) {
		parse_error(ps, st, ARG(1)->col,
		            "unsupported policy version '%s'; supported versions: %d", ARG(1)->text,
		            POLICY_VERSION);
		return;
	}
	if (ps->depth == 0) {
		ps->p->version = (int)v;
		ps->version_loc = parse_loc(st);
	}
}

static void st_user(struct parser *ps, struct stmt *st)
{
	if (!parse_nargs(ps, st, 2, 2, "user NAME|UID") ||
	    !parse_dup_check(ps, st, &ps->p->user_loc, "user"))
		return;
	if (!parse_id_name(ARG(1)->text)) {
		parse_error(ps, st, ARG(1)->col, "invalid user name or uid '%s'", ARG(1)->text);
		return;
	}
	if ((ps->p->user = parse_strdup(ps, ARG(1)->text)) == NULL)
		return;
	ps->p->user_loc = parse_loc(st);
}

static void st_group(struct parser *ps, struct stmt *st)
{
	if (!parse_nargs(ps, st, 2, 2, "group NAME|GID") ||
	    !parse_dup_check(ps, st, &ps->p->group_loc, "group"))
		return;
	if (!parse_id_name(ARG(1)->text)) {
		parse_error(ps, st, ARG(1)->col, "invalid group name or gid '%s'", ARG(1)->text);
		return;
	}
	if ((ps->p->group = parse_strdup(ps, ARG(1)->text)) == NULL)
		return;
	ps->p->group_loc = parse_loc(st);
}

static void st_groups(struct parser *ps, struct stmt *st)
{
	const struct lex_token *tk = ARG(1);
	const char *c, *e;

	if (!parse_nargs(ps, st, 2, 2, "groups NAME[,NAME...] | groups none") ||
	    !parse_dup_check(ps, st, &ps->groups_seen, "groups"))
		return;
	ps->groups_seen = parse_loc(st);
	ps->p->groups_loc = parse_loc(st);
	if (streq(tk->text, "none"))
		return;
	for (c = tk->text;; c = e + 1) {
		char *name, **slot;

		e = strchr(c, ',');
		name = e != NULL ? strndup(c, (size_t)(e - c)) : strdup(c);
		if (name == NULL) {
			parse_nomem(ps);
			return;
		}
		if (!parse_id_name(name)) {
			parse_error(ps, st, parse_col(tk, (size_t)(c - tk->text)),
			            "invalid group name or gid '%s'", name);
			free(name);
		} else if ((slot = parse_grow(ps, &ps->p->groups, &ps->p->ngroups,
		                              sizeof(*slot))) == NULL) {
			free(name);
			return;
		} else {
			*slot = name;
		}
		if (e == NULL)
			break;
	}
}

static void st_listen(struct parser *ps, struct stmt *st)
{
	static const char *const opts[] = {"backlog", "mode", NULL};
	const char *usage = "listen NAME tcp|udp ADDR:PORT [backlog N] | "
	                    "listen NAME unix PATH [mode 0NNN] [backlog N]";
	struct policy_listen l = {.backlog = 128};
	bool has_backlog = false;
	unsigned long v;
	size_t i;

	if (!parse_nargs(ps, st, 4, 8, usage))
		return;
	if (!parse_fd_name(ps, st, ARG(1)) || !parse_sockaddr(ps, st, 2, false, &l.addr))
		goto fail;
	if (l.addr.sock == POLICY_SOCK_UDP)
		l.backlog = 0;
	for (i = 4; i < NARGS; i += 2) {
		const struct lex_token *k = ARG(i);
		bool is_backlog = streq(k->text, "backlog"), is_mode = streq(k->text, "mode");

		if (!is_backlog && !is_mode) {
			parse_unknown_word(ps, st, k, "listen option", opts);
			goto fail;
		}
		if (i + 1 >= NARGS) {
			parse_error(ps, st, k->col, "'%s' needs a value", k->text);
			goto fail;
		}
		if ((is_backlog && has_backlog) || (is_mode && l.has_mode)) {
			parse_error(ps, st, k->col, "duplicate option '%s'", k->text);
			goto fail;
		}
		if (is_backlog) {
			if (l.addr.sock == POLICY_SOCK_UDP) {
				parse_error(ps, st, k->col,
				            "'backlog' applies only to tcp and unix listeners");
				goto fail;
			}
			if (!parse_ulong(ARG(i + 1)->text, 65535, &v) || v == 0) {
				parse_error(ps, st, ARG(i + 1)->col,
				            "bad backlog '%s' (expected 1-65535)",
				            ARG(i + 1)->text);
				goto fail;
			}
			l.backlog = (int)v;
			has_backlog = true;
		} else {
			if (l.addr.sock != POLICY_SOCK_UNIX) {
				parse_error(ps, st, k->col,
				            "'mode' applies only to unix listeners");
				goto fail;
			}
			if (!parse_mode(ps, st, ARG(i + 1), &l.mode))
				goto fail;
			l.has_mode = true;
		}
	}
	l.loc = parse_loc(st);
	if ((l.name = parse_strdup(ps, ARG(1)->text)) == NULL)
		goto fail;
	{
		struct policy_listen *slot =
		    parse_grow(ps, &ps->p->listens, &ps->p->nlistens, sizeof(*slot));
		if (slot == NULL)
			goto fail;
		*slot = l;
	}
	return;
fail:
	free(l.name);
	free(l.addr.path);
}

static void st_open(struct parser *ps, struct stmt *st)
{
	static const char *const access_names[] = {"read", "write", "append", "readwrite", NULL};
	static const char *const opts[] = {"create", "mode", NULL};
	struct policy_open o = {.mode = 0600};
	const char *a;
	size_t i;

	if (!parse_nargs(ps, st, 4, 7,
	                 "open NAME PATH read|write|append|readwrite [create] [mode 0NNN]"))
		return;
	if (!parse_fd_name(ps, st, ARG(1)) || !parse_path(ps, st, ARG(2), false))
		return;
	a = ARG(3)->text;
	if (streq(a, "read"))
		o.access = POLICY_ACCESS_READ;
	else if (streq(a, "write"))
		o.access = POLICY_ACCESS_WRITE;
	else if (streq(a, "append"))
		o.access = POLICY_ACCESS_APPEND | POLICY_ACCESS_WRITE;
	else if (streq(a, "readwrite"))
		o.access = POLICY_ACCESS_READ | POLICY_ACCESS_WRITE;
	else {
		parse_unknown_word(ps, st, ARG(3), "access mode", access_names);
		return;
	}
	for (i = 4; i < NARGS; i++) {
		const struct lex_token *k = ARG(i);

		if (streq(k->text, "create")) {
			if (o.access & POLICY_ACCESS_CREATE) {
				parse_error(ps, st, k->col, "duplicate option 'create'");
				return;
			}
			o.access |= POLICY_ACCESS_CREATE;
		} else if (streq(k->text, "mode")) {
			if (o.has_mode) {
				parse_error(ps, st, k->col, "duplicate option 'mode'");
				return;
			}
			if (i + 1 >= NARGS) {
				parse_error(ps, st, k->col, "'mode' needs a value");
				return;
			}
			if (!parse_mode(ps, st, ARG(++i), &o.mode))
				return;
			o.has_mode = true;
		} else {
			parse_unknown_word(ps, st, k, "open option", opts);
			return;
		}
	}
	if (o.has_mode && !(o.access & POLICY_ACCESS_CREATE))
		parse_warning(ps, st, ARG(1)->col,
		              "'mode' has no effect without 'create' (the file is not created)");
	o.loc = parse_loc(st);
	if ((o.name = parse_strdup(ps, ARG(1)->text)) == NULL)
		return;
	if ((o.path = parse_strdup(ps, ARG(2)->text)) == NULL)
		goto fail;
	{
		struct policy_open *slot =
		    parse_grow(ps, &ps->p->opens, &ps->p->nopens, sizeof(*slot));
		if (slot == NULL)
			goto fail;
		*slot = o;
	}
	return;
fail:
	free(o.path);
	free(o.name);
}

static void rule_open(struct parser *ps, struct stmt *st, struct policy_rule *r)
{
	static const char *const known[] = {"read",       "write",    "append",
	                                    "create",     "truncate", "directory",
	                                    "nosymlinks", "mode",     NULL};
	bool has_mode = false;
	size_t i, j;

	if (!parse_nargs(ps, st, 3, 3 + 9, "allow|deny open PATTERN [RIGHTS...] [mode 0NNN]") ||
	    !parse_path(ps, st, ARG(2), true))
		return;
	for (i = 3; i < NARGS; i++) {
		const struct lex_token *k = ARG(i);

		if (streq(k->text, "mode")) {
			if (has_mode) {
				parse_error(ps, st, k->col, "duplicate option 'mode'");
				return;
			}
			if (r->verdict == POLICY_DENY) {
				parse_error(ps, st, k->col, "'mode' has no meaning on a deny rule");
				return;
			}
			if (i + 1 >= NARGS) {
				parse_error(ps, st, k->col, "'mode' needs a value");
				return;
			}
			if (!parse_mode(ps, st, ARG(++i), &r->mode))
				return;
			has_mode = true;
			continue;
		}
		for (j = 0; policy_right_names[j] != NULL; j++)
			if (streq(k->text, policy_right_names[j]))
				break;
		if (policy_right_names[j] == NULL) {
			parse_unknown_word(ps, st, k, "right", known);
			return;
		}
		if (r->rights & (1u << j)) {
			parse_error(ps, st, k->col, "duplicate right '%s'", k->text);
			return;
		}
		r->rights |= 1u << j;
	}
	if (r->verdict == POLICY_ALLOW &&
	    !(r->rights & (POLICY_RIGHT_READ | POLICY_RIGHT_WRITE | POLICY_RIGHT_APPEND |
	                   POLICY_RIGHT_DIRECTORY))) {
		parse_error(ps, st, ARG(1)->col,
		            "'allow open' needs at least one of read, write, append, directory");
		return;
	}
	if (has_mode && !(r->rights & POLICY_RIGHT_CREATE))
		parse_warning(ps, st, ARG(1)->col,
		              "'mode' has no effect without the 'create' right");
	if ((r->pattern = parse_strdup(ps, ARG(2)->text)) == NULL)
		return;
	if ((r->prefix = parse_pattern_prefix(r->pattern)) == NULL)
		parse_nomem(ps);
}

static void st_rule(struct parser *ps, struct stmt *st)
{
	static const char *const ops[] = {"open", "connect", "bind", NULL};
	struct policy_rule r = {.mode = 0600};
	struct policy_rule *slot;

	r.verdict = streq(ARG(0)->text, "allow") ? POLICY_ALLOW : POLICY_DENY;
	if (!parse_nargs(ps, st, 3, 12, "allow|deny open|connect|bind ..."))
		return;
	if (streq(ARG(1)->text, "open")) {
		r.op = POLICY_OP_OPEN;
		rule_open(ps, st, &r);
		if (r.prefix == NULL)
			goto fail;
	} else if (streq(ARG(1)->text, "connect") || streq(ARG(1)->text, "bind")) {
		r.op = streq(ARG(1)->text, "connect") ? POLICY_OP_CONNECT : POLICY_OP_BIND;
		if (!parse_nargs(ps, st, 4, 4,
		                 "allow|deny connect|bind tcp|udp HOST:PORT[-PORT] | unix PATH") ||
		    !parse_sockaddr(ps, st, 2, true, &r.addr))
			goto fail;
	} else {
		parse_unknown_word(ps, st, ARG(1), "operation", ops);
		return;
	}
	r.loc = parse_loc(st);
	if ((slot = parse_grow(ps, &ps->p->rules, &ps->p->nrules, sizeof(*slot))) == NULL)
		goto fail;
	*slot = r;
	return;
fail:
	free(r.pattern);
	free(r.prefix);
	free(r.addr.path);
}

static void st_intercept(struct parser *ps, struct stmt *st)
{
	static const char *const ops[] = {"open", "bind", "connect", NULL};
	size_t i;

	if (!parse_nargs(ps, st, 2, 8, "intercept open|bind|connect..."))
		return;
	for (i = 1; i < NARGS; i++) {
		const char *w = ARG(i)->text;

		if (streq(w, "open"))
			ps->p->intercept |= POLICY_INTERCEPT_OPEN;
		else if (streq(w, "bind"))
			ps->p->intercept |= POLICY_INTERCEPT_BIND;
		else if (streq(w, "connect"))
			ps->p->intercept |= POLICY_INTERCEPT_CONNECT;
		else
			parse_unknown_word(ps, st, ARG(i), "intercept operation", ops);
	}
	if (ps->p->intercept_loc.line == 0)
		ps->p->intercept_loc = parse_loc(st);
}

/* setenv NAME VALUE — for daemons that take their fds another way than LISTEN_FDS. */
static void st_setenv(struct parser *ps, struct stmt *st)
{
	struct policy_setenv e = {0}, *v;
	const char *n;
	size_t i;

	if (!parse_nargs(ps, st, 3, 3, "setenv NAME \"VALUE\""))
		return;
	n = ARG(1)->text;
	for (i = 0; n[i] != '\0'; i++)
		if (!((n[i] >= 'A' && n[i] <= 'Z') || (n[i] >= 'a' && n[i] <= 'z') || n[i] == '_' ||
		      (i > 0 && n[i] >= '0' && n[i] <= '9')))
			break;
	if (i == 0 || n[i] != '\0') {
		parse_error(ps, st, ARG(1)->col, "invalid environment variable name '%s'", n);
		return;
	}
	if (strncmp(n, "LISTEN_", 7) == 0 || streq(n, "FDBROKER_FD")) {
		parse_error(ps, st, ARG(1)->col,
		            "'%s' is set by fdbroker itself (socket activation and the channel)", n);
		return;
	}
	for (i = 0; i < ps->p->nsetenvs; i++) {
		if (streq(ps->p->setenvs[i].name, n)) {
			parse_error(ps, st, ARG(1)->col, "duplicate 'setenv %s' (first at %s:%u)", n,
			            ps->p->setenvs[i].loc.file, ps->p->setenvs[i].loc.line);
			return;
		}
	}
	e.name = parse_strdup(ps, n);
	e.value = parse_strdup(ps, ARG(2)->text);
	e.loc = parse_loc(st);
	e.loc.col = ARG(2)->col; /* placeholders are checked at the end: point at the value */
	v = e.name && e.value ? realloc(ps->p->setenvs, (ps->p->nsetenvs + 1) * sizeof(*v)) : NULL;
	if (v == NULL) {
		free(e.name);
		free(e.value);
		parse_nomem(ps);
		return;
	}
	ps->p->setenvs = v;
	v[ps->p->nsetenvs++] = e;
}

struct statement {
	const char *name;
	void (*fn)(struct parser *ps, struct stmt *st);
};

static const struct statement statements[] = {
    {"version", st_version},
    {"user", st_user},
    {"group", st_group},
    {"groups", st_groups},
    {"listen", st_listen},
    {"open", st_open},
    {"allow", st_rule},
    {"deny", st_rule},
    {"capabilities", parse_st_capabilities},
    {"seccomp", parse_st_seccomp},
    {"intercept", st_intercept},
    {"include", load_include},
    {"setenv", st_setenv},
    {NULL, NULL},
};

void parse_statement(struct parser *ps, struct stmt *st)
{
	struct frame *f = &ps->frames[ps->depth];
	const struct statement *s;

	f->nstmts++;
	for (s = statements; s->name != NULL; s++)
		if (streq(s->name, ARG(0)->text))
			break;
	if (f->nstmts == 1 && ps->depth == 0 && (s->name == NULL || !streq(s->name, "version")))
		parse_error(ps, st, ARG(0)->col,
		            "missing 'version' statement (it must come first); "
		            "supported versions: %d",
		            POLICY_VERSION);
	if (s->name == NULL) {
		parse_unknown_word(ps, st, ARG(0), "statement", statement_names);
		return;
	}
	s->fn(ps, st);
}

/* Simple shadowing: a deny covering every right of an allow, on the same or a wider pattern. */
static bool deny_covers(const struct policy_rule *deny, const struct policy_rule *allow)
{
	size_t n = strlen(deny->pattern);

	if (deny->rights != 0 && (allow->rights & ~deny->rights) != 0)
		return false;
	if (streq(deny->pattern, allow->pattern))
		return true;
	/* `X/ **` covers everything strictly below X */
	if (n >= 3 && streq(deny->pattern + n - 3, "/**"))
		return strncmp(allow->pattern, deny->pattern, n - 2) == 0;
	return false;
}

/* Is `name` in group g (or a group it includes)? */
static bool group_has(const struct policy_group *g, const char *name, int depth)
{
	size_t i;

	for (i = 0; g != NULL && depth < 8 && g->members[i] != NULL; i++) {
		const char *m = g->members[i];
		if (m[0] == '@' ? group_has(policy_group_find(m), name, depth + 1) : streq(m, name))
			return true;
	}
	return false;
}

/* Would the compiled filter allow syscall `name`? (deny wins; no `seccomp allow` written
 * means @system-service). Approximate on purpose: only used for warnings. */
static bool syscall_allowed(const struct policy *p, const char *name)
{
	bool allowed = !p->seccomp_allow_written &&
		       group_has(policy_group_find("@system-service"), name, 0);
	size_t i;

	for (i = 0; i < p->nsyscalls; i++) {
		const struct policy_syscall *sc = &p->syscalls[i];
		bool hit = sc->name[0] == '@' ? group_has(policy_group_find(sc->name), name, 0)
					      : streq(sc->name, name);
		if (!hit)
			continue;
		if (sc->action != POLICY_SECCOMP_ALLOW)
			return false;
		allowed = true;
	}
	return allowed;
}

/* Warnings for listeners the worker can never use, or nobody can reach. */
static void check_listeners(struct parser *ps)
{
	const struct policy *p = ps->p;
	size_t i;

	for (i = 0; i < p->nlistens; i++) {
		const struct policy_listen *l = &p->listens[i];
		bool dgram = l->addr.sock == POLICY_SOCK_UDP;

		if (!dgram && !syscall_allowed(p, "accept") && !syscall_allowed(p, "accept4"))
			parse_diag_at(ps, POLICY_WARNING, l->loc.file, l->loc.line, l->loc.col, NULL,
			              "listener '%s' cannot be used: the seccomp policy allows "
			              "neither accept nor accept4",
			              l->name);
		if (dgram && !syscall_allowed(p, "recvfrom") && !syscall_allowed(p, "recvmsg") &&
		    !syscall_allowed(p, "recvmmsg") && !syscall_allowed(p, "read"))
			parse_diag_at(ps, POLICY_WARNING, l->loc.file, l->loc.line, l->loc.col, NULL,
			              "listener '%s' cannot be used: the seccomp policy allows none "
			              "of recvfrom, recvmsg, recvmmsg and read",
			              l->name);
		if (l->addr.family == AF_UNIX && l->has_mode && (l->mode & 0222) == 0)
			parse_diag_at(ps, POLICY_WARNING, l->loc.file, l->loc.line, l->loc.col, NULL,
			              "listener '%s' has mode %04o: connecting needs write "
			              "permission, so only root can reach it",
			              l->name, (unsigned)l->mode);
	}
}

void parse_finish(struct parser *ps)
{
	struct policy *p = ps->p;
	size_t i, j;

	check_listeners(ps);
	for (i = 0; i < p->nrules; i++) {
		const struct policy_rule *r = &p->rules[i];
		if (r->verdict == POLICY_ALLOW && r->op == POLICY_OP_CONNECT &&
		    r->addr.family == AF_UNIX)
			parse_diag_at(ps, POLICY_WARNING, r->loc.file, r->loc.line, r->loc.col, NULL,
			              "the broker connects as root: a service that checks its "
			              "peer's credentials (SO_PEERCRED) will see uid 0, not the "
			              "worker");
	}
	/* {fd:NAME} placeholders may name statements written after them: check them now */
	for (i = 0; i < p->nsetenvs; i++) {
		const char *bad = NULL;
		size_t bad_len = 0;
		char *x = policy_expand_fds(p, p->setenvs[i].value, &bad, &bad_len);

		if (x != NULL) {
			free(x);
			continue;
		}
		if (errno == ENOENT)
			parse_diag_at(ps, POLICY_ERROR, p->setenvs[i].loc.file, p->setenvs[i].loc.line,
			              p->setenvs[i].loc.col, NULL,
			              "setenv %s: no listen or open statement is named '%.*s'",
			              p->setenvs[i].name, (int)bad_len, bad);
		else if (errno == EINVAL)
			parse_diag_at(ps, POLICY_ERROR, p->setenvs[i].loc.file, p->setenvs[i].loc.line,
			              p->setenvs[i].loc.col, NULL,
			              "setenv %s: unterminated '{fd:' placeholder", p->setenvs[i].name);
		else
			parse_nomem(ps);
	}

	if (p->user == NULL && ps->p->user_loc.line == 0)
		parse_diag_at(ps, POLICY_ERROR, NULL, 0, 0, NULL,
		              "missing 'user' statement: the policy must say which user the "
		              "worker runs as");
	else if (p->user != NULL && (streq(p->user, "0") || streq(p->user, "root")))
		parse_diag_at(ps, POLICY_WARNING, p->user_loc.file, p->user_loc.line,
		              p->user_loc.col, NULL,
		              "the worker runs as uid 0: privilege separation is much weaker");
	for (i = 0; i < p->nrules; i++) {
		const struct policy_rule *a = &p->rules[i];

		if (a->op != POLICY_OP_OPEN || a->verdict != POLICY_ALLOW)
			continue;
		for (j = 0; j < p->nrules; j++) {
			const struct policy_rule *d = &p->rules[j];

			if (d->op != POLICY_OP_OPEN || d->verdict != POLICY_DENY ||
			    !deny_covers(d, a))
				continue;
			parse_diag_at(ps, POLICY_WARNING, a->loc.file, a->loc.line, a->loc.col,
			              NULL,
			              "this allow rule has no effect: 'deny open %s' at %s:%u "
			              "denies everything it allows (deny wins)",
			              d->pattern, d->loc.file, d->loc.line);
			break;
		}
	}
}
