/*
 * match.c — decide open/connect/bind requests against a policy's allow/deny rules.
 *
 * Pure code: no I/O, no allocation, no printing. Everything here runs in the broker on
 * worker-supplied strings, so every loop is bounded by the input's length and the glob
 * matcher is polynomial (see policy_glob_match).
 *
 * Semantics decided here (and tested in tests/check_match.c):
 *
 *  - `X/ **` (no space) matches X itself as well as everything below it: `**` matches zero or
 *    more components, and zero components leaves X. So `deny open /srv/secret/ **` also
 *    denies opening the directory /srv/secret (which could otherwise be listed or used as a
 *    dirfd). `X/ *` needs exactly one more component and does not match X.
 *  - `*` matches any run of bytes inside one component, including an empty run and a leading
 *    dot (unlike the shell); it never matches "/". Only `*` is special: `?`, `[` are literal.
 *  - Rights: NOSYMLINKS is an option, not a right; it is ignored on both sides. On an allow,
 *    write also grants append. On a deny, write and append stand for each other (deny write
 *    refuses append requests, otherwise `allow write` + `deny write` would still grant append;
 *    deny append refuses write requests, which can do everything append can). A deny whose
 *    only right is `nosymlinks` is treated like a deny with no rights: it denies everything.
 *  - A request asking for no right at all is refused without a deciding rule: there is
 *    nothing to grant, and it must not slip between deny rules that list rights.
 *  - Network: an IPv4-mapped IPv6 address (::ffff:a.b.c.d) is matched as the IPv4 address it
 *    reaches, on both the rule and the request side, so `deny connect tcp 10.0.0.1:5432` also
 *    refuses [::ffff:10.0.0.1]:5432. `*` hosts match IPv4 and IPv6 alike.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <arpa/inet.h>

#include "match.h"

#define PATH_MAX_LEN 4096 /* PATH_MAX, including the NUL */
#define UNIX_PATH_LEN 108 /* sizeof(((struct sockaddr_un *)0)->sun_path) */

/* ---- paths ------------------------------------------------------------------------------- */

static bool is_dot(const char *c, size_t n)
{
	return n == 1 && c[0] == '.';
}

static bool is_dotdot(const char *c, size_t n)
{
	return n == 2 && c[0] == '.' && c[1] == '.';
}

/*
 * Validate first, then rewrite: on failure the caller's buffer is untouched.
 * Trailing slash: "/a/" and "/a/." both mean "a must be a directory", so both report it;
 * the root itself ("/", "//", "/.") does not.
 */
int policy_path_normalize(char *path, bool *ret_trailing_slash)
{
	const char *c, *e;
	char *w;
	size_t len, n;
	bool trailing = false;

	if (path == NULL || path[0] == '\0') {
		errno = EINVAL;
		return -1;
	}
	len = strnlen(path, PATH_MAX_LEN);
	if (len >= PATH_MAX_LEN) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if (path[0] != '/') {
		errno = EINVAL;
		return -1;
	}
	for (c = path; *c != '\0'; c = e) {
		while (*c == '/')
			c++;
		e = strchrnul(c, '/');
		if (is_dotdot(c, (size_t)(e - c))) {
			errno = EACCES;
			return -1;
		}
	}

	/* Rewrite in place: the write pointer never passes the read pointer. */
	w = path;
	for (c = path; *c != '\0'; c = e) {
		while (*c == '/')
			c++;
		e = strchrnul(c, '/');
		n = (size_t)(e - c);
		if (n == 0) {
			trailing = true; /* ended in '/' */
			break;
		}
		if (is_dot(c, n)) {
			trailing = *e == '\0' ? true : trailing;
			continue;
		}
		trailing = false;
		*w++ = '/';
		memmove(w, c, n);
		w += n;
	}
	if (w == path) {
		*w++ = '/';
		trailing = false; /* the root is a directory anyway */
	}
	*w = '\0';
	if (ret_trailing_slash != NULL)
		*ret_trailing_slash = trailing;
	return 0;
}

/* ---- globs ------------------------------------------------------------------------------- */

/*
 * One component: `*` matches any bytes within [s, se). The classic greedy matcher with
 * backtracking to the last `*` only: O(|p| * |s|) worst case, no recursion.
 */
static bool component_match(const char *p, const char *pe, const char *s, const char *se)
{
	const char *star = NULL, *star_s = NULL;

	while (s < se) {
		if (p < pe && *p == '*') {
			star = ++p;
			star_s = s;
		} else if (p < pe && *p == *s) {
			p++;
			s++;
		} else if (star != NULL) {
			p = star;
			s = ++star_s;
		} else {
			return false;
		}
	}
	while (p < pe && *p == '*')
		p++;
	return p == pe;
}

/* Skip the '/' separators before the next component; returns its start. */
static const char *comp_start(const char *s)
{
	while (*s == '/')
		s++;
	return s;
}

static bool is_globstar(const char *c, const char *e)
{
	return e - c == 2 && c[0] == '*' && c[1] == '*';
}

/*
 * The same greedy scheme one level up, over components: a `**` component matches any
 * sequence of whole components, every other pattern component matches exactly one. Only the
 * last `**` seen needs remembering: if a later `**` exists, anything an earlier one could
 * absorb the later one can too. Worst case O(components(pattern) * components(path)) component
 * comparisons, each O(component lengths) — polynomial whatever the number of `**`.
 */
bool policy_glob_match(const char *pattern, const char *path)
{
	const char *p, *s, *pe, *se;
	const char *star_p = NULL, *star_s = NULL;

	if (pattern == NULL || path == NULL || pattern[0] != '/' || path[0] != '/')
		return false;
	p = comp_start(pattern);
	s = comp_start(path);
	while (*s != '\0') {
		se = strchrnul(s, '/');
		pe = strchrnul(p, '/');
		if (*p != '\0' && is_globstar(p, pe)) {
			p = comp_start(pe);
			star_p = p;
			star_s = s;
			continue;
		}
		if (*p != '\0' && component_match(p, pe, s, se)) {
			p = comp_start(pe);
			s = comp_start(se);
			continue;
		}
		if (star_p == NULL)
			return false;
		/* let the last `**` absorb one more component and retry after it */
		star_s = comp_start(strchrnul(star_s, '/'));
		s = star_s;
		p = star_p;
	}
	/* path used up: what is left of the pattern must be `**` components only */
	while (*p != '\0') {
		pe = strchrnul(p, '/');
		if (!is_globstar(p, pe))
			return false;
		p = comp_start(pe);
	}
	return true;
}

/* ---- open -------------------------------------------------------------------------------- */

#define RIGHTS_MASK (POLICY_RIGHT_ALL & ~(unsigned)POLICY_RIGHT_NOSYMLINKS)
#define WRITE_LIKE ((unsigned)POLICY_RIGHT_WRITE | POLICY_RIGHT_APPEND)

/* What an allow rule grants. Unknown bits in a request are never granted. */
static unsigned allow_grants(const struct policy_rule *r)
{
	unsigned g = r->rights & RIGHTS_MASK;

	if (g & POLICY_RIGHT_WRITE)
		g |= POLICY_RIGHT_APPEND;
	return g;
}

/* Does deny rule r refuse a request asking `asked` (already masked)? */
static bool deny_hits(const struct policy_rule *r, unsigned asked)
{
	unsigned d = r->rights & RIGHTS_MASK;

	if (d == 0)
		return true;
	if (d & WRITE_LIKE)
		d |= WRITE_LIKE;
	return (d & asked) != 0;
}

static void set_match(struct policy_match *ret, enum policy_verdict v, const struct policy *p,
                      const struct policy_rule *r)
{
	ret->verdict = v;
	ret->rule = r;
	ret->rule_index = r != NULL ? (size_t)(r - p->rules) : 0;
}

bool policy_match_open(const struct policy *p, const char *path, unsigned rights,
                       struct policy_match *ret)
{
	unsigned asked = rights & ~(unsigned)POLICY_RIGHT_NOSYMLINKS;
	const struct policy_rule *best = NULL;
	size_t best_len = 0, i;

	set_match(ret, POLICY_DENY, p, NULL);
	if (p == NULL || path == NULL || asked == 0)
		return false;

	/* deny wins, whatever the order: the first matching deny decides */
	for (i = 0; i < p->nrules; i++) {
		const struct policy_rule *r = &p->rules[i];

		if (r->op == POLICY_OP_OPEN && r->verdict == POLICY_DENY && deny_hits(r, asked) &&
		    policy_glob_match(r->pattern, path)) {
			set_match(ret, POLICY_DENY, p, r);
			return false;
		}
	}
	/* most specific allow granting every right asked: longest prefix, then first written */
	for (i = 0; i < p->nrules; i++) {
		const struct policy_rule *r = &p->rules[i];
		size_t len;

		if (r->op != POLICY_OP_OPEN || r->verdict != POLICY_ALLOW ||
		    (asked & ~allow_grants(r)) != 0 || !policy_glob_match(r->pattern, path))
			continue;
		len = r->prefix != NULL ? strlen(r->prefix) : 0;
		if (best == NULL || len > best_len) {
			best = r;
			best_len = len;
		}
	}
	if (best == NULL)
		return false;
	set_match(ret, POLICY_ALLOW, p, best);
	return true;
}

/* ---- network ----------------------------------------------------------------------------- */

/* An address reduced to what it reaches: v4-mapped IPv6 becomes IPv4. */
struct canon_addr {
	int family;
	struct in_addr v4;
	struct in6_addr v6;
};

static void canon(int family, const struct in_addr *v4, const struct in6_addr *v6,
                  struct canon_addr *c)
{
	memset(c, 0, sizeof(*c));
	c->family = family;
	if (family == AF_INET) {
		c->v4 = *v4;
	} else if (family == AF_INET6) {
		if (IN6_IS_ADDR_V4MAPPED(v6)) {
			c->family = AF_INET;
			memcpy(&c->v4, &v6->s6_addr[12], sizeof(c->v4));
		} else {
			c->v6 = *v6;
		}
	}
}

static bool net_rule_matches(const struct policy_rule *r, const struct policy_net_req *q)
{
	const struct policy_addr *a = &r->addr;
	struct canon_addr ra, qa;

	if (a->sock != q->sock)
		return false;
	if (a->sock == POLICY_SOCK_UNIX)
		return q->family == AF_UNIX && a->path != NULL && q->path != NULL &&
		       strcmp(a->path, q->path) == 0;
	if (q->family != AF_INET && q->family != AF_INET6)
		return false;
	if (q->port < a->port_lo || q->port > a->port_hi)
		return false;
	if (a->any_host)
		return true;
	canon(a->family, &a->v4, &a->v6, &ra);
	canon(q->family, &q->v4, &q->v6, &qa);
	if (ra.family != qa.family)
		return false;
	if (ra.family == AF_INET)
		return memcmp(&ra.v4, &qa.v4, sizeof(ra.v4)) == 0;
	if (ra.family == AF_INET6)
		return memcmp(&ra.v6, &qa.v6, sizeof(ra.v6)) == 0;
	return false;
}

/* More specific: a named host beats `*`, then the narrower port range. */
static bool net_more_specific(const struct policy_rule *a, const struct policy_rule *b)
{
	unsigned wa = (unsigned)a->addr.port_hi - a->addr.port_lo;
	unsigned wb = (unsigned)b->addr.port_hi - b->addr.port_lo;

	if (a->addr.any_host != b->addr.any_host)
		return !a->addr.any_host;
	return wa < wb;
}

bool policy_match_net(const struct policy *p, enum policy_op op, const struct policy_net_req *r,
                      struct policy_match *ret)
{
	const struct policy_rule *best = NULL;
	size_t i;

	set_match(ret, POLICY_DENY, p, NULL);
	if (p == NULL || r == NULL || (op != POLICY_OP_CONNECT && op != POLICY_OP_BIND))
		return false;
	for (i = 0; i < p->nrules; i++) {
		const struct policy_rule *k = &p->rules[i];

		if (k->op == op && k->verdict == POLICY_DENY && net_rule_matches(k, r)) {
			set_match(ret, POLICY_DENY, p, k);
			return false;
		}
	}
	for (i = 0; i < p->nrules; i++) {
		const struct policy_rule *k = &p->rules[i];

		if (k->op == op && k->verdict == POLICY_ALLOW && net_rule_matches(k, r) &&
		    (best == NULL || net_more_specific(k, best)))
			best = k;
	}
	if (best == NULL)
		return false;
	set_match(ret, POLICY_ALLOW, p, best);
	return true;
}

/* ---- client address strings -------------------------------------------------------------- */

/* Decimal 1..65535: digits only, no sign, no leading zero, no spaces. */
static bool parse_port(const char *s, uint16_t *ret)
{
	unsigned long v = 0;
	size_t i;

	if (s[0] < '1' || s[0] > '9')
		return false;
	for (i = 0; s[i] != '\0'; i++) {
		if (s[i] < '0' || s[i] > '9' || i >= 5)
			return false;
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	if (v > 65535)
		return false;
	*ret = (uint16_t)v;
	return true;
}

/* Absolute, shorter than sun_path, normalized (no empty, "." or ".." component), no control
 * bytes. Spaces are allowed: the policy can name such paths with quotes. */
static bool unix_path_ok(const char *s)
{
	const char *c, *e;
	size_t len = strnlen(s, UNIX_PATH_LEN);

	if (s[0] != '/' || len >= UNIX_PATH_LEN)
		return false;
	for (c = s; *c != '\0'; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			return false;
	if (s[1] == '\0')
		return true;
	for (c = s + 1;; c = e + 1) {
		size_t n;

		e = strchrnul(c, '/');
		n = (size_t)(e - c);
		if (n == 0 || is_dot(c, n) || is_dotdot(c, n))
			return false;
		if (*e == '\0')
			return true;
	}
}

/* HOST:PORT with HOST IPv4 dotted decimal or [IPv6]. */
static bool parse_hostport(const char *s, struct policy_net_req *q)
{
	char host[INET6_ADDRSTRLEN];
	const char *h, *he, *port;
	size_t n;

	if (s[0] == '[') {
		h = s + 1;
		he = strchr(h, ']');
		if (he == NULL || he[1] != ':')
			return false;
		port = he + 2;
		q->family = AF_INET6;
	} else {
		h = s;
		he = strchr(h, ':');
		if (he == NULL)
			return false;
		port = he + 1;
		q->family = AF_INET;
	}
	n = (size_t)(he - h);
	if (n == 0 || n >= sizeof(host))
		return false;
	memcpy(host, h, n);
	host[n] = '\0';
	if (q->family == AF_INET6 ? inet_pton(AF_INET6, host, &q->v6) != 1
	                          : inet_pton(AF_INET, host, &q->v4) != 1)
		return false;
	return parse_port(port, &q->port);
}

int policy_parse_net_address(const char *s, struct policy_net_req *ret)
{
	struct policy_net_req q;
	bool ok = false;

	memset(&q, 0, sizeof(q));
	if (s == NULL || ret == NULL) {
		errno = EINVAL;
		return -1;
	}
	if (strncmp(s, "tcp:", 4) == 0) {
		q.sock = POLICY_SOCK_TCP;
		ok = parse_hostport(s + 4, &q);
	} else if (strncmp(s, "udp:", 4) == 0) {
		q.sock = POLICY_SOCK_UDP;
		ok = parse_hostport(s + 4, &q);
	} else if (strncmp(s, "unix:", 5) == 0) {
		q.sock = POLICY_SOCK_UNIX;
		q.family = AF_UNIX;
		q.path = s + 5;
		ok = unix_path_ok(q.path);
	}
	if (!ok) {
		errno = EINVAL;
		return -1;
	}
	*ret = q;
	return 0;
}
