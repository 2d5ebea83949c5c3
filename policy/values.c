/*
 * values.c — the values inside statements: numbers, modes, names, paths, glob patterns and
 * socket addresses, plus the small helpers every statement uses.
 *
 * Everything the privileged broker later acts on is checked here, in pure code: an address
 * that inet_pton accepts, a port in 1-65535, an absolute normalized path, a pattern whose
 * fixed prefix can be opened as a directory. Columns in errors point at the offending byte.
 */
#define _GNU_SOURCE
#include "parse.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "suggest.h"

/* ---- helpers ----------------------------------------------------------------------------- */

void parse_nomem(struct parser *ps)
{
	ps->nomem = true;
}

char *parse_strdup(struct parser *ps, const char *s)
{
	char *r = strdup(s);

	if (r == NULL)
		parse_nomem(ps);
	return r;
}

/* Grow an array by one zeroed element; NULL on ENOMEM (the array is unchanged). */
void *parse_grow(struct parser *ps, void *arrp, size_t *n, size_t size)
{
	void **arr = arrp;
	char *nv = realloc(*arr, (*n + 1) * size);

	if (nv == NULL) {
		parse_nomem(ps);
		return NULL;
	}
	*arr = nv;
	memset(nv + *n * size, 0, size);
	return nv + (*n)++ * size;
}

struct policy_loc parse_loc(const struct stmt *st)
{
	struct policy_loc l = {st->file, st->line, st->t.v[0].col};
	return l;
}

/* Column of byte `off` inside a token: exact for words; the token's start for strings,
 * whose source and decoded offsets differ. */
unsigned parse_col(const struct lex_token *tk, size_t off)
{
	return tk->kind == LEX_WORD ? tk->col + (unsigned)off : tk->col;
}

void parse_unknown_word(struct parser *ps, const struct stmt *st, const struct lex_token *tk,
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
bool parse_nargs(struct parser *ps, const struct stmt *st, size_t min, size_t max,
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

bool parse_dup_check(struct parser *ps, const struct stmt *st, const struct policy_loc *first,
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
bool parse_ulong(const char *s, unsigned long max, unsigned long *ret)
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

bool parse_mode(struct parser *ps, const struct stmt *st, const struct lex_token *tk, mode_t *ret)
{
	unsigned long v = 0;
	const char *s;

	if (tk->text[0] != '0') {
		parse_error(ps, st, tk->col, "mode '%s' must be octal with a leading 0 (e.g. 0640)",
		            tk->text);
		return false;
	}
	for (s = tk->text; *s != '\0'; s++) {
		if (*s < '0' || *s > '7') {
			parse_error(ps, st, parse_col(tk, (size_t)(s - tk->text)),
			            "mode '%s' is not an octal number", tk->text);
			return false;
		}
		if (v > 07777) /* keep going only to check the digits; no overflow */
			continue;
		v = v * 8 + (unsigned long)(*s - '0');
	}
	if (v > 07777) {
		parse_error(ps, st, tk->col, "mode '%s' is out of range (at most 07777)", tk->text);
		return false;
	}
	*ret = (mode_t)v;
	return true;
}

/* A user or group: a decimal id, or a name as useradd(8) accepts it. */
bool parse_id_name(const char *s)
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
bool parse_fd_name(struct parser *ps, const struct stmt *st, const struct lex_token *tk)
{
	size_t i;

	if (tk->len == 0 || tk->len > POLICY_MAX_NAME) {
		parse_error(ps, st, tk->col, "name must be 1-%d characters long", POLICY_MAX_NAME);
		return false;
	}
	for (i = 0; i < tk->len; i++) {
		char c = tk->text[i];
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    c == '_' || c == '.' || c == '-')
			continue;
		if (c >= ' ' && c < 0x7f)
			parse_error(ps, st, parse_col(tk, i),
			            "invalid character '%c' in name (allowed: A-Z a-z 0-9 _ . -)",
			            c);
		else
			parse_error(ps, st, parse_col(tk, i),
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
bool parse_path(struct parser *ps, const struct stmt *st, const struct lex_token *tk, bool pattern)
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
			parse_error(ps, st, parse_col(tk, (size_t)(c - s)),
			            e != NULL ? "empty component ('//') in %s '%s'"
			                      : "trailing '/' in %s '%s'",
			            what, s);
			return false;
		}
		if ((n == 1 && c[0] == '.') || (n == 2 && c[0] == '.' && c[1] == '.')) {
			parse_error(ps, st, parse_col(tk, (size_t)(c - s)),
			            "'%.*s' component in %s '%s' is not allowed", (int)n, c, what,
			            s);
			return false;
		}
		if (pattern && memmem(c, n, "**", 2) != NULL && n != 2) {
			parse_error(ps, st, parse_col(tk, (size_t)(c - s)),
			            "'**' must be a whole path component in '%s'", s);
			return false;
		}
		if (e == NULL)
			break;
	}
	return true;
}

/* The fixed leading directories of a pattern: never the last component, never a glob. */
char *parse_pattern_prefix(const char *pat)
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
		parse_error(ps, st, tk->col, "unix socket path is %zu bytes long; the limit is %zu",
		            tk->len, sizeof(((struct sockaddr_un *)0)->sun_path) - 1);
		return false;
	}
	return parse_path(ps, st, tk, false);
}

/* `s` is at byte `off` of the token (it points into a copy, so the offset comes apart). */
static bool parse_port(struct parser *ps, const struct stmt *st, const struct lex_token *tk,
                       const char *s, size_t off, uint16_t *ret)
{
	unsigned long v;

	if (!parse_ulong(s, 65535, &v) || v == 0) {
		parse_error(ps, st, parse_col(tk, off), "bad port '%s' (expected 1-65535)", s);
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
		parse_nomem(ps);
		return false;
	}
	if (s[0] == '[') {
		char *close = strchr(s, ']');
		if (close == NULL) {
			parse_error(ps, st, tk->col, "missing ']' in address '%s'", tk->text);
			goto out;
		}
		if (close[1] != ':') {
			parse_error(ps, st, parse_col(tk, (size_t)(close + 1 - s)),
			            "expected ':PORT' after ']' in '%s'", tk->text);
			goto out;
		}
		*close = '\0';
		host = s + 1;
		port = close + 2;
		if (inet_pton(AF_INET6, host, &a->v6) != 1) {
			parse_error(ps, st, parse_col(tk, 1), "bad IPv6 address '%s'", host);
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
			parse_error(ps, st, tk->col, "IPv6 addresses need brackets: '[%s]:%s'",
			            host, port);
			goto out;
		}
		if (streq(host, "*")) {
			if (!rule) {
				parse_error(
				    ps, st, tk->col,
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
		parse_error(ps, st, parse_col(tk, (size_t)(dash - s)),
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
			parse_error(ps, st, parse_col(tk, (size_t)(port - s)),
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
		parse_unknown_word(ps, st, tk, "socket type", socks);
		return false;
	}
	return true;
}

/* `SOCK ADDRESS` at args i, i+1: fills a (sock, family, address, path). */
bool parse_sockaddr(struct parser *ps, const struct stmt *st, size_t i, bool rule,
                    struct policy_addr *a)
{
	if (!parse_sock(ps, st, ARG(i), &a->sock))
		return false;
	if (a->sock != POLICY_SOCK_UNIX)
		return parse_hostport(ps, st, ARG(i + 1), rule, a);
	if (!unix_path_ok(ps, st, ARG(i + 1)))
		return false;
	a->family = AF_UNIX;
	a->path = parse_strdup(ps, ARG(i + 1)->text);
	return a->path != NULL;
}
