/*
 * match.h — decide requests against a policy's allow/deny rules (pure: no I/O).
 *
 * Deny wins: a request matched by any deny rule is refused whatever the allow rules say.
 * Otherwise the most specific allow rule that grants every right asked for decides (most
 * specific = longest fixed prefix, then the rule written first). No rule: refused.
 *
 * Paths are matched as strings here; the broker then enforces containment in the kernel
 * (openat2 with RESOLVE_BENEATH from the deciding rule's prefix directory) and re-checks the
 * resolved path. Only normalized absolute paths are matched: see policy_path_normalize.
 */
#ifndef FDBROKER_MATCH_H
#define FDBROKER_MATCH_H

#include <stdbool.h>
#include <stddef.h>

#include "policy.h"

struct policy_match {
	enum policy_verdict verdict;     /* POLICY_ALLOW or POLICY_DENY */
	const struct policy_rule *rule;  /* the deciding rule, NULL when no rule matched */
	size_t rule_index;               /* index into policy->rules when rule != NULL */
};

/*
 * Normalize an absolute path in place: collapse "//" and remove "." components and a
 * trailing "/" (reported in *ret_trailing_slash). Returns 0, or -1/errno: EINVAL if not
 * absolute or empty, EACCES if any component is ".." (never resolved lexically: after a
 * symlink it means something else), ENAMETOOLONG if len >= 4096.
 */
int policy_path_normalize(char *path, bool *ret_trailing_slash);

/* Does a normalized absolute path match a rule pattern? `*` matches within one component
 * (not "/"), `**` as a whole component matches zero or more components. */
bool policy_glob_match(const char *pattern, const char *path);

/*
 * Decide `open` of a normalized path with the rights asked for (enum policy_right bits).
 * A deny rule with no rights denies every request it matches; a deny rule with rights
 * denies requests asking for any of them. An allow rule must grant all rights asked
 * (write also grants append). Always fills *ret; returns its verdict's truth (true=allow).
 */
bool policy_match_open(const struct policy *p, const char *path, unsigned rights,
		       struct policy_match *ret);

/* A network request: family AF_INET/AF_INET6/AF_UNIX, sock TCP/UDP/UNIX, address (v4 or
 * v6 in network order as in struct in_addr/in6_addr), host-order port, or the unix path. */
struct policy_net_req {
	enum policy_sock sock;
	int family;
	struct in_addr v4;
	struct in6_addr v6;
	uint16_t port;
	const char *path;
};

/* Decide connect or bind (op is POLICY_OP_CONNECT or POLICY_OP_BIND). */
bool policy_match_net(const struct policy *p, enum policy_op op, const struct policy_net_req *r,
		      struct policy_match *ret);

/*
 * Parse a client address string: "tcp:HOST:PORT", "udp:HOST:PORT" with HOST a numeric IPv4
 * address or an IPv6 address in brackets ("tcp:[::1]:443"), or "unix:PATH" (absolute,
 * shorter than 108 bytes). Port 1..65535 (0 allowed for bind with any-port rules? no: 1..).
 * 0 or -1/EINVAL. r->path points into s.
 */
int policy_parse_net_address(const char *s, struct policy_net_req *ret);

#endif
