/*
 * parse.c — statements of the policy language, each checked as it is read.
 *
 * Fail closed: anything not understood is an error, never skipped, and every error is
 * reported (up to POLICY_MAX_ERRORS) so one run of `fdbroker check` shows them all.
 * Socket addresses, paths and patterns are validated here, in pure code, so the privileged
 * broker only ever acts on well-formed values.
 */
#define _GNU_SOURCE
#include "parse.h"

#include <arpa/inet.h>
#include <errno.h>
#include <seccomp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "suggest.h"

#define ARG(i) (&st->t.v[(i)])
#define NARGS (st->t.n)

static const char *const statement_names[] = {
	"version", "user", "group", "groups", "listen", "open", "allow", "deny",
	"capabilities", "seccomp", "intercept", "include", NULL,
};

/* Syscalls that let a worker escape or undermine its sandbox: allowing one gets a warning. */
static const char *const dangerous_syscalls[] = {
	"ptrace", "bpf", "process_vm_writev", "process_vm_readv", "pidfd_getfd",
	"kexec_load", "init_module", "finit_module", "userfaultfd", "io_uring_setup",
	"mount", "unshare", "setns", "keyctl", "perf_event_open", NULL,
};

static void nomem(struct parser *ps)
{
	ps->nomem = true;
}

static char *xstrdup(struct parser *ps, const char *s)
{
	char *r = strdup(s);

	if (r == NULL)
		nomem(ps);
	return r;
}

/* Grow an array by one zeroed element; NULL on ENOMEM (the array is unchanged). */
static void *grow(struct parser *ps, void *arrp, size_t *n, size_t size)
{
	void **arr = arrp;
	char *nv = realloc(*arr, (*n + 1) * size);

	if (nv == NULL) {
		nomem(ps);
		return NULL;
	}
	*arr = nv;
	memset(nv + *n * size, 0, size);
	return nv + (*n)++ * size;
}

static struct policy_loc loc_of(const struct stmt *st)
{
	struct policy_loc l = {st->file, st->line, st->t.v[0].col};
	return l;
}

/* Column of byte `off` inside a token: exact for words; the token's start for strings,
 * whose source and decoded offsets differ. */
static unsigned col_in(const struct lex_token *tk, size_t off)
{
	return tk->kind == LEX_WORD ? tk->col + (unsigned)off : tk->col;
}

static bool streq(const char *a, const char *b)
{
	return strcmp(a, b) == 0;
}

static void unknown_word(struct parser *ps, const struct stmt *st, const struct lex_token *tk,
			 const char *what, const char *const *known)
{
	const char *s = suggest(tk->text, known);

	if (s != NULL)
		parse_error(ps, st, tk->col, "unknown %s '%s'; did you mean '%s'?", what, tk->text,
			    s);
	else
		parse_error(ps, st, tk->col, "unknown %s '%s'", what, tk->text);
}

/* Argument count check; `usage` is the statement's synopsis. */
static bool nargs_ok(struct parser *ps, const struct stmt *st, size_t min, size_t max,
		     const char *usage)
{
	if (NARGS < min) {
		parse_error(ps, st, ARG(0)->col, "missing argument; usage: %s", usage);
		return false;
	}
	if (NARGS > max) {
		parse_error(ps, st, ARG(max)->col, "unexpected '%s'; usage: %s", ARG(max)->text,
			    usage);
		return false;
	}
	return true;
}

static bool dup_check(struct parser *ps, const struct stmt *st, const struct policy_loc *first,
		      const char *what)
{
	if (first->line == 0)
		return true;
	parse_error(ps, st, ARG(0)->col, "duplicate '%s' (first at %s:%u)", what, first->file,
		    first->line);
	return false;
}

/* ---- numbers and names ------------------------------------------------------------------- */

/* Decimal, digits only. */
static bool parse_ulong(const char *s, unsigned long max, unsigned long *ret)
{
	unsigned long v = 0;

	if (*s == '\0')
		return false;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9')
			return false;
		if (v > (max - (unsigned long)(*s - '0')) / 10)
			return false;
		v = v * 10 + (unsigned long)(*s - '0');
	}
	*ret = v;
	return true;
}

static bool parse_mode(struct parser *ps, const struct stmt *st, const struct lex_token *tk,
		       mode_t *ret)
{
	unsigned long v = 0;
	const char *s;

	if (tk->text[0] != '0') {
		parse_error(ps, st, tk->col,
			    "mode '%s' must be octal with a leading 0 (e.g. 0640)", tk->text);
		return false;
	}
	for (s = tk->text; *s != '\0'; s++) {
		if (*s < '0' || *s > '7') {
			parse_error(ps, st, col_in(tk, (size_t)(s - tk->text)),
				    "mode '%s' is not an octal number", tk->text);
			return false;
		}
		if (v > 07777) /* keep going only to check the digits; no overflow */
			continue;
		v = v * 8 + (unsigned long)(*s - '0');
	}
	if (v > 07777) {
		parse_error(ps, st, tk->col, "mode '%s' is out of range (at most 07777)",
			    tk->text);
		return false;
	}
	*ret = (mode_t)v;
	return true;
}

/* A user or group: a decimal id, or a name as useradd(8) accepts it. */
static bool id_name_ok(const char *s)
{
	unsigned long v;
	size_t i;

	if (s[0] >= '0' && s[0] <= '9')
		return parse_ulong(s, 4294967294UL, &v);
	if (!((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z') || s[0] == '_'))
		return false;
	for (i = 1; s[i] != '\0'; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '.' || c == '-' || (c == '$' && s[i + 1] == '\0')))
			return false;
	}
	return i <= 32;
}

/* listen/open names end up in LISTEN_FDNAMES, where ':' separates them. */
static bool fd_name_ok(struct parser *ps, const struct stmt *st, const struct lex_token *tk)
{
	size_t i;

	if (tk->len == 0 || tk->len > POLICY_MAX_NAME) {
		parse_error(ps, st, tk->col, "name must be 1-%d characters long",
			    POLICY_MAX_NAME);
		return false;
	}
	for (i = 0; i < tk->len; i++) {
		char c = tk->text[i];
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    c == '_' || c == '.' || c == '-')
			continue;
		if (c >= ' ' && c < 0x7f)
			parse_error(ps, st, col_in(tk, i),
				    "invalid character '%c' in name (allowed: A-Z a-z 0-9 _ . -)",
				    c);
		else
			parse_error(ps, st, col_in(tk, i),
				    "invalid byte 0x%02x in name (allowed: A-Z a-z 0-9 _ . -)",
				    (unsigned char)c);
		return false;
	}
	for (i = 0; i < ps->p->nlistens; i++)
		if (streq(ps->p->listens[i].name, tk->text))
			goto dup;
	for (i = 0; i < ps->p->nopens; i++)
		if (streq(ps->p->opens[i].name, tk->text))
			goto dup;
	return true;
dup:
	parse_error(ps, st, tk->col, "duplicate name '%s' (first at %s:%u)", tk->text,
		    i < ps->p->nlistens && streq(ps->p->listens[i].name, tk->text)
			    ? ps->p->listens[i].loc.file
			    : ps->p->opens[i].loc.file,
		    i < ps->p->nlistens && streq(ps->p->listens[i].name, tk->text)
			    ? ps->p->listens[i].loc.line
			    : ps->p->opens[i].loc.line);
	return false;
}

/* ---- paths and addresses ----------------------------------------------------------------- */

/*
 * An absolute, normalized path: no empty, "." or ".." components. Patterns additionally
 * allow `*` within a component and `**` as a whole component.
 */
static bool path_ok(struct parser *ps, const struct stmt *st, const struct lex_token *tk,
		    bool pattern)
{
	const char *what = pattern ? "pattern" : "path";
	const char *s = tk->text, *c, *e;

	if (s[0] != '/') {
		parse_error(ps, st, tk->col, "%s '%s' must be absolute", what, s);
		return false;
	}
	if (s[1] == '\0')
		return true;
	for (c = s + 1;; c = e + 1) {
		size_t n;

		e = strchr(c, '/');
		n = e != NULL ? (size_t)(e - c) : strlen(c);
		if (n == 0) {
			parse_error(ps, st, col_in(tk, (size_t)(c - s)),
				    e != NULL ? "empty component ('//') in %s '%s'"
					      : "trailing '/' in %s '%s'",
				    what, s);
			return false;
		}
		if ((n == 1 && c[0] == '.') || (n == 2 && c[0] == '.' && c[1] == '.')) {
			parse_error(ps, st, col_in(tk, (size_t)(c - s)),
				    "'%.*s' component in %s '%s' is not allowed", (int)n, c, what,
				    s);
			return false;
		}
		if (pattern && memmem(c, n, "**", 2) != NULL && n != 2) {
			parse_error(ps, st, col_in(tk, (size_t)(c - s)),
				    "'**' must be a whole path component in '%s'", s);
			return false;
		}
		if (e == NULL)
			break;
	}
	return true;
}

/* The fixed leading directories of a pattern: never the last component, never a glob. */
static char *pattern_prefix(const char *pat)
{
	const char *c = pat + 1, *e, *end = pat + 1;

	while ((e = strchr(c, '/')) != NULL) {
		if (memchr(c, '*', (size_t)(e - c)) != NULL)
			break;
		end = e;
		c = e + 1;
	}
	if (end == pat + 1)
		return strdup("/");
	return strndup(pat, (size_t)(end - pat));
}

static bool unix_path_ok(struct parser *ps, const struct stmt *st, const struct lex_token *tk)
{
	if (tk->text[0] != '/') {
		parse_error(ps, st, tk->col, "unix socket path '%s' must be absolute", tk->text);
		return false;
	}
	if (tk->len >= sizeof(((struct sockaddr_un *)0)->sun_path)) {
		parse_error(ps, st, tk->col,
			    "unix socket path is %zu bytes long; the limit is %zu", tk->len,
			    sizeof(((struct sockaddr_un *)0)->sun_path) - 1);
		return false;
	}
	return path_ok(ps, st, tk, false);
}

/* `s` is at byte `off` of the token (it points into a copy, so the offset comes apart). */
static bool parse_port(struct parser *ps, const struct stmt *st, const struct lex_token *tk,
		       const char *s, size_t off, uint16_t *ret)
{
	unsigned long v;

	if (!parse_ulong(s, 65535, &v) || v == 0) {
		parse_error(ps, st, col_in(tk, off), "bad port '%s' (expected 1-65535)", s);
		return false;
	}
	*ret = (uint16_t)v;
	return true;
}

/*
 * HOST:PORT. HOST is IPv4 dotted, [IPv6], or (rules only) `*`; PORT may be LO-HI in rules.
 * Works on a copy because the host and port are cut apart in place.
 */
static bool parse_hostport(struct parser *ps, const struct stmt *st, const struct lex_token *tk,
			   bool rule, struct policy_addr *a)
{
	char *s = strdup(tk->text), *host, *port, *colon, *dash;
	bool ok = false;

	if (s == NULL) {
		nomem(ps);
		return false;
	}
	if (s[0] == '[') {
		char *close = strchr(s, ']');
		if (close == NULL) {
			parse_error(ps, st, tk->col, "missing ']' in address '%s'", tk->text);
			goto out;
		}
		if (close[1] != ':') {
			parse_error(ps, st, col_in(tk, (size_t)(close + 1 - s)),
				    "expected ':PORT' after ']' in '%s'", tk->text);
			goto out;
		}
		*close = '\0';
		host = s + 1;
		port = close + 2;
		if (inet_pton(AF_INET6, host, &a->v6) != 1) {
			parse_error(ps, st, col_in(tk, 1), "bad IPv6 address '%s'", host);
			goto out;
		}
		a->family = AF_INET6;
	} else {
		colon = strrchr(s, ':');
		if (colon == NULL) {
			parse_error(ps, st, tk->col, "expected HOST:PORT, got '%s'", tk->text);
			goto out;
		}
		*colon = '\0';
		host = s;
		port = colon + 1;
		if (strchr(host, ':') != NULL) {
			parse_error(ps, st, tk->col,
				    "IPv6 addresses need brackets: '[%s]:%s'", host, port);
			goto out;
		}
		if (streq(host, "*")) {
			if (!rule) {
				parse_error(ps, st, tk->col,
					    "'*' (any address) is only allowed in allow/deny rules");
				goto out;
			}
			a->any_host = true;
			a->family = AF_UNSPEC;
		} else if (inet_pton(AF_INET, host, &a->v4) == 1) {
			a->family = AF_INET;
		} else {
			parse_error(ps, st, tk->col,
				    "bad address '%s' (expected IPv4 a.b.c.d, [IPv6]%s)", host,
				    rule ? " or '*'" : "");
			goto out;
		}
	}
	dash = strchr(port, '-');
	if (dash != NULL && !rule) {
		parse_error(ps, st, col_in(tk, (size_t)(dash - s)),
			    "port ranges are only allowed in allow/deny rules");
		goto out;
	}
	if (dash != NULL)
		*dash = '\0';
	if (!parse_port(ps, st, tk, port, (size_t)(port - s), &a->port_lo))
		goto out;
	a->port_hi = a->port_lo;
	if (dash != NULL) {
		if (!parse_port(ps, st, tk, dash + 1, (size_t)(dash + 1 - s), &a->port_hi))
			goto out;
		if (a->port_lo > a->port_hi) {
			parse_error(ps, st, col_in(tk, (size_t)(port - s)),
				    "port range '%u-%u' is reversed", a->port_lo, a->port_hi);
			goto out;
		}
	}
	ok = true;
out:
	free(s);
	return ok;
}

static bool parse_sock(struct parser *ps, const struct stmt *st, const struct lex_token *tk,
		       enum policy_sock *ret)
{
	static const char *const socks[] = {"tcp", "udp", "unix", NULL};

	if (streq(tk->text, "tcp"))
		*ret = POLICY_SOCK_TCP;
	else if (streq(tk->text, "udp"))
		*ret = POLICY_SOCK_UDP;
	else if (streq(tk->text, "unix"))
		*ret = POLICY_SOCK_UNIX;
	else {
		unknown_word(ps, st, tk, "socket type", socks);
		return false;
	}
	return true;
}

/* `SOCK ADDRESS` at args i, i+1: fills a (sock, family, address, path). */
static bool parse_sockaddr(struct parser *ps, const struct stmt *st, size_t i, bool rule,
			   struct policy_addr *a)
{
	if (!parse_sock(ps, st, ARG(i), &a->sock))
		return false;
	if (a->sock != POLICY_SOCK_UNIX)
		return parse_hostport(ps, st, ARG(i + 1), rule, a);
	if (!unix_path_ok(ps, st, ARG(i + 1)))
		return false;
	a->family = AF_UNIX;
	a->path = xstrdup(ps, ARG(i + 1)->text);
	return a->path != NULL;
}

/* ---- statements -------------------------------------------------------------------------- */

static void st_version(struct parser *ps, struct stmt *st)
{
	struct frame *f = &ps->frames[ps->depth];
	unsigned long v;

	if (!nargs_ok(ps, st, 2, 2, "version 1"))
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
			    "unsupported policy version '%s'; supported versions: %d",
			    ARG(1)->text, POLICY_VERSION);
		return;
	}
	if (ps->depth == 0) {
		ps->p->version = (int)v;
		ps->version_loc = loc_of(st);
	}
}

static void st_user(struct parser *ps, struct stmt *st)
{
	if (!nargs_ok(ps, st, 2, 2, "user NAME|UID") ||
	    !dup_check(ps, st, &ps->p->user_loc, "user"))
		return;
	if (!id_name_ok(ARG(1)->text)) {
		parse_error(ps, st, ARG(1)->col, "invalid user name or uid '%s'", ARG(1)->text);
		return;
	}
	if ((ps->p->user = xstrdup(ps, ARG(1)->text)) == NULL)
		return;
	ps->p->user_loc = loc_of(st);
}

static void st_group(struct parser *ps, struct stmt *st)
{
	if (!nargs_ok(ps, st, 2, 2, "group NAME|GID") ||
	    !dup_check(ps, st, &ps->p->group_loc, "group"))
		return;
	if (!id_name_ok(ARG(1)->text)) {
		parse_error(ps, st, ARG(1)->col, "invalid group name or gid '%s'", ARG(1)->text);
		return;
	}
	if ((ps->p->group = xstrdup(ps, ARG(1)->text)) == NULL)
		return;
	ps->p->group_loc = loc_of(st);
}

static void st_groups(struct parser *ps, struct stmt *st)
{
	const struct lex_token *tk = ARG(1);
	const char *c, *e;

	if (!nargs_ok(ps, st, 2, 2, "groups NAME[,NAME...] | groups none") ||
	    !dup_check(ps, st, &ps->groups_seen, "groups"))
		return;
	ps->groups_seen = loc_of(st);
	ps->p->groups_loc = loc_of(st);
	if (streq(tk->text, "none"))
		return;
	for (c = tk->text;; c = e + 1) {
		char *name, **slot;

		e = strchr(c, ',');
		name = e != NULL ? strndup(c, (size_t)(e - c)) : strdup(c);
		if (name == NULL) {
			nomem(ps);
			return;
		}
		if (!id_name_ok(name)) {
			parse_error(ps, st, col_in(tk, (size_t)(c - tk->text)),
				    "invalid group name or gid '%s'", name);
			free(name);
		} else if ((slot = grow(ps, &ps->p->groups, &ps->p->ngroups,
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

	if (!nargs_ok(ps, st, 4, 8, usage))
		return;
	if (!fd_name_ok(ps, st, ARG(1)) || !parse_sockaddr(ps, st, 2, false, &l.addr))
		goto fail;
	if (l.addr.sock == POLICY_SOCK_UDP)
		l.backlog = 0;
	for (i = 4; i < NARGS; i += 2) {
		const struct lex_token *k = ARG(i);
		bool is_backlog = streq(k->text, "backlog"), is_mode = streq(k->text, "mode");

		if (!is_backlog && !is_mode) {
			unknown_word(ps, st, k, "listen option", opts);
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
	l.loc = loc_of(st);
	if ((l.name = xstrdup(ps, ARG(1)->text)) == NULL)
		goto fail;
	{
		struct policy_listen *slot =
			grow(ps, &ps->p->listens, &ps->p->nlistens, sizeof(*slot));
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

	if (!nargs_ok(ps, st, 4, 7,
		      "open NAME PATH read|write|append|readwrite [create] [mode 0NNN]"))
		return;
	if (!fd_name_ok(ps, st, ARG(1)) || !path_ok(ps, st, ARG(2), false))
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
		unknown_word(ps, st, ARG(3), "access mode", access_names);
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
			unknown_word(ps, st, k, "open option", opts);
			return;
		}
	}
	if (o.has_mode && !(o.access & POLICY_ACCESS_CREATE))
		parse_warning(ps, st, ARG(1)->col,
			      "'mode' has no effect without 'create' (the file is not created)");
	o.loc = loc_of(st);
	if ((o.name = xstrdup(ps, ARG(1)->text)) == NULL)
		return;
	if ((o.path = xstrdup(ps, ARG(2)->text)) == NULL)
		goto fail;
	{
		struct policy_open *slot = grow(ps, &ps->p->opens, &ps->p->nopens, sizeof(*slot));
		if (slot == NULL)
			goto fail;
		*slot = o;
	}
	return;
fail:
	free(o.path);
	free(o.name);
}

static const char *const right_names[] = {
	"read", "write", "append", "create", "truncate", "directory", "nosymlinks", NULL,
};

static void rule_open(struct parser *ps, struct stmt *st, struct policy_rule *r)
{
	static const char *const known[] = {"read", "write", "append", "create", "truncate",
					    "directory", "nosymlinks", "mode", NULL};
	bool has_mode = false;
	size_t i, j;

	if (!nargs_ok(ps, st, 3, 3 + 9, "allow|deny open PATTERN [RIGHTS...] [mode 0NNN]") ||
	    !path_ok(ps, st, ARG(2), true))
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
		for (j = 0; right_names[j] != NULL; j++)
			if (streq(k->text, right_names[j]))
				break;
		if (right_names[j] == NULL) {
			unknown_word(ps, st, k, "right", known);
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
	if ((r->pattern = xstrdup(ps, ARG(2)->text)) == NULL)
		return;
	if ((r->prefix = pattern_prefix(r->pattern)) == NULL)
		nomem(ps);
}

static void st_rule(struct parser *ps, struct stmt *st)
{
	static const char *const ops[] = {"open", "connect", "bind", NULL};
	struct policy_rule r = {.mode = 0600};
	struct policy_rule *slot;

	r.verdict = streq(ARG(0)->text, "allow") ? POLICY_ALLOW : POLICY_DENY;
	if (!nargs_ok(ps, st, 3, 12, "allow|deny open|connect|bind ..."))
		return;
	if (streq(ARG(1)->text, "open")) {
		r.op = POLICY_OP_OPEN;
		rule_open(ps, st, &r);
		if (r.prefix == NULL)
			goto fail;
	} else if (streq(ARG(1)->text, "connect") || streq(ARG(1)->text, "bind")) {
		r.op = streq(ARG(1)->text, "connect") ? POLICY_OP_CONNECT : POLICY_OP_BIND;
		if (!nargs_ok(ps, st, 4, 4,
			      "allow|deny connect|bind tcp|udp HOST:PORT[-PORT] | unix PATH") ||
		    !parse_sockaddr(ps, st, 2, true, &r.addr))
			goto fail;
	} else {
		unknown_word(ps, st, ARG(1), "operation", ops);
		return;
	}
	r.loc = loc_of(st);
	if ((slot = grow(ps, &ps->p->rules, &ps->p->nrules, sizeof(*slot))) == NULL)
		goto fail;
	*slot = r;
	return;
fail:
	free(r.pattern);
	free(r.prefix);
	free(r.addr.path);
}

static void st_capabilities(struct parser *ps, struct stmt *st)
{
	const char *usage = "capabilities none | capabilities keep NAME...";
	const char *names[65];
	uint64_t keep = 0;
	size_t i;
	int c, ncap;

	if (!nargs_ok(ps, st, 2, 2 + 64, usage) ||
	    !dup_check(ps, st, &ps->caps_seen, "capabilities"))
		return;
	ps->caps_seen = loc_of(st);
	if (streq(ARG(1)->text, "none")) {
		if (NARGS > 2)
			parse_error(ps, st, ARG(2)->col, "unexpected '%s'; usage: %s",
				    ARG(2)->text, usage);
		ps->p->caps_loc = loc_of(st);
		return;
	}
	if (!streq(ARG(1)->text, "keep")) {
		static const char *const subs[] = {"none", "keep", NULL};
		unknown_word(ps, st, ARG(1), "capabilities mode", subs);
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
	ps->p->caps_loc = loc_of(st);
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
		unknown_word(ps, st, tk, "syscall group", gnames);
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

static bool errno_ok(struct parser *ps, const struct stmt *st, const struct lex_token *tk,
		     int *ret)
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

	if (!nargs_ok(ps, st, 3, 4, usage) ||
	    !dup_check(ps, st, &p->seccomp_default_loc, "seccomp default"))
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
		if (!nargs_ok(ps, st, 3, 3, usage))
			return;
		p->seccomp_default =
			streq(ARG(2)->text, "kill") ? POLICY_SECCOMP_KILL : POLICY_SECCOMP_LOG;
	} else {
		unknown_word(ps, st, ARG(2), "seccomp default action", actions);
		return;
	}
	p->seccomp_default_loc = loc_of(st);
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
	if (allow)
		ps->p->seccomp_allow_written = true;
	for (i = 2; i < end; i++) {
		struct policy_syscall *sc;

		if (!allow && streq(ARG(i)->text, "errno")) {
			parse_error(ps, st, ARG(i)->col,
				    "'errno ENAME' must come last, after the syscall names");
			continue;
		}
		if (!syscall_ok(ps, st, ARG(i), allow))
			continue;
		sc = grow(ps, &ps->p->syscalls, &ps->p->nsyscalls, sizeof(*sc));
		if (sc == NULL)
			return;
		sc->action = action;
		sc->errno_val = err;
		sc->loc = loc_of(st);
		sc->loc.col = ARG(i)->col;
		if ((sc->name = xstrdup(ps, ARG(i)->text)) == NULL) {
			ps->p->nsyscalls--;
			return;
		}
	}
}

static void st_seccomp(struct parser *ps, struct stmt *st)
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
		unknown_word(ps, st, ARG(1), "seccomp subcommand", subs);
}

static void st_intercept(struct parser *ps, struct stmt *st)
{
	static const char *const ops[] = {"open", "bind", "connect", NULL};
	size_t i;

	if (!nargs_ok(ps, st, 2, 8, "intercept open|bind|connect..."))
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
			unknown_word(ps, st, ARG(i), "intercept operation", ops);
	}
	if (ps->p->intercept_loc.line == 0)
		ps->p->intercept_loc = loc_of(st);
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
	{"capabilities", st_capabilities},
	{"seccomp", st_seccomp},
	{"intercept", st_intercept},
	{"include", load_include},
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
		unknown_word(ps, st, ARG(0), "statement", statement_names);
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

void parse_finish(struct parser *ps)
{
	struct policy *p = ps->p;
	size_t i, j;

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
