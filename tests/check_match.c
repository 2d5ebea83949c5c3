/*
 * check_match.c — the request matcher (policy/match.c): verdict tables run against policies
 * given as strings, glob, normalization and address-parsing tables, and a pathological glob
 * that must finish quickly.
 *
 * A verdict row is {request, expected verdict, expected deciding rule's line}; line 0 means
 * "no rule decided" (refused by default). Policy texts start at line 1, so the comments on
 * each rule give the line the table refers to.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "helpers.h"
#include "match.h"
#include "policy.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

#define R POLICY_RIGHT_READ
#define W POLICY_RIGHT_WRITE
#define A POLICY_RIGHT_APPEND
#define C POLICY_RIGHT_CREATE
#define T POLICY_RIGHT_TRUNCATE
#define D POLICY_RIGHT_DIRECTORY
#define NS POLICY_RIGHT_NOSYMLINKS

#define ALLOW POLICY_ALLOW
#define DENY POLICY_DENY

/* ---- helpers ----------------------------------------------------------------------------- */

/* Load a policy that must parse (warnings allowed: several tables shadow rules on purpose). */
static struct policy *load(const char *text)
{
	struct policy_diags d = {0};
	struct policy *p = NULL;
	int r = policy_load_string("t.policy", text, strlen(text), POLICY_LOAD_TRUST_FILE, &p, &d);

	ck_assert_msg(r == 0 && d.nerrors == 0, "policy failed to load (%zu errors):\n%s",
	              d.nerrors, text);
	policy_diags_free(&d);
	return p;
}

static const char *vname(enum policy_verdict v)
{
	return v == ALLOW ? "allow" : v == DENY ? "deny" : "?";
}

/* The deciding rule must be consistent: index points at rule, line as expected. */
static void check_decision(const struct policy *p, const struct policy_match *m, bool got,
                           enum policy_verdict want, unsigned line, const char *what)
{
	ck_assert_msg(m->verdict == want, "%s: verdict %s, expected %s", what, vname(m->verdict),
	              vname(want));
	ck_assert_msg(got == (want == ALLOW), "%s: return value disagrees with verdict", what);
	if (line == 0) {
		ck_assert_msg(m->rule == NULL, "%s: decided by line %u, expected no rule", what,
		              m->rule->loc.line);
		return;
	}
	ck_assert_msg(m->rule != NULL, "%s: no deciding rule, expected line %u", what, line);
	ck_assert_msg(m->rule->loc.line == line, "%s: decided by line %u, expected line %u", what,
	              m->rule->loc.line, line);
	ck_assert_msg(m->rule_index < p->nrules && &p->rules[m->rule_index] == m->rule,
	              "%s: rule_index %zu does not point at the deciding rule", what,
	              m->rule_index);
}

struct open_case {
	const char *path;
	unsigned rights;
	enum policy_verdict verdict;
	unsigned line;
};

static void run_open_table(const char *text, const struct open_case *t, size_t n)
{
	struct policy *p = load(text);
	size_t i;

	for (i = 0; i < n; i++) {
		struct policy_match m;
		char what[512];
		bool got = policy_match_open(p, t[i].path, t[i].rights, &m);

		snprintf(what, sizeof(what), "row %zu: open %s rights 0x%x", i, t[i].path,
		         t[i].rights);
		check_decision(p, &m, got, t[i].verdict, t[i].line, what);
	}
	policy_free(p);
}

struct net_case {
	enum policy_op op;
	const char *addr; /* policy_parse_net_address syntax */
	enum policy_verdict verdict;
	unsigned line;
};

static void run_net_table(const char *text, const struct net_case *t, size_t n)
{
	struct policy *p = load(text);
	size_t i;

	for (i = 0; i < n; i++) {
		struct policy_net_req q;
		struct policy_match m;
		char what[512];
		bool got;

		snprintf(what, sizeof(what), "row %zu: %s %s", i, policy_op_name(t[i].op),
		         t[i].addr);
		ck_assert_msg(policy_parse_net_address(t[i].addr, &q) == 0, "%s: does not parse",
		              what);
		got = policy_match_net(p, t[i].op, &q, &m);
		check_decision(p, &m, got, t[i].verdict, t[i].line, what);
	}
	policy_free(p);
}

/* ---- the example policy ------------------------------------------------------------------ */

static const char example_policy[] =
    "version 1\n"                                                            /* 1 */
    "user nobody\n"                                                          /* 2 */
    "group nogroup\n"                                                        /* 3 */
    "listen http tcp 127.0.0.1:80 backlog 64\n"                              /* 4 */
    "listen ctl unix /run/fdbroker-accept/ctl.sock mode 0600\n"              /* 5 */
    "open log /var/log/fdbroker-accept/access.log append create mode 0640\n" /* 6 */
    "allow open /srv/fdbroker-accept/** read\n"                              /* 7 */
    "deny open /srv/fdbroker-accept/secret/**\n"                             /* 8 */
    "allow connect tcp 127.0.0.1:5432\n"                                     /* 9 */
    "capabilities none\n"                                                    /* 10 */
    "seccomp default kill\n"                                                 /* 11 */
    "seccomp allow @system-service\n";                                       /* 12 */

static const struct open_case example_open[] = {
    {"/srv/fdbroker-accept/a/b", R, ALLOW, 7},
    {"/srv/fdbroker-accept/index.html", R, ALLOW, 7},
    /* `X/ **` matches X itself: the tree's root directory can be opened for reading */
    {"/srv/fdbroker-accept", R, ALLOW, 7},
    {"/srv/fdbroker-accept/secret/x", R, DENY, 8},
    {"/srv/fdbroker-accept/secret/a/b/c", R, DENY, 8},
    /* ... and so the denied directory itself is denied too */
    {"/srv/fdbroker-accept/secret", R, DENY, 8},
    {"/srv/fdbroker-accept/secret", D, DENY, 8},
    {"/srv/fdbroker-accept/secret/x", W, DENY, 8},
    /* a sibling whose name starts with "secret" is not under secret/ */
    {"/srv/fdbroker-accept/secretive", R, ALLOW, 7},
    /* the rule's prefix is a directory, not a string prefix */
    {"/srv/fdbroker-accept-evil/a", R, DENY, 0},
    {"/srv", R, DENY, 0},
    {"/etc/shadow", R, DENY, 0},
    /* rights the allow rule does not grant: no rule decides */
    {"/srv/fdbroker-accept/a", W, DENY, 0},
    {"/srv/fdbroker-accept/a", A, DENY, 0},
    {"/srv/fdbroker-accept/a", R | W, DENY, 0},
    {"/srv/fdbroker-accept/a", R | C, DENY, 0},
    {"/srv/fdbroker-accept/a", R | T, DENY, 0},
    /* nosymlinks is an option, not a right */
    {"/srv/fdbroker-accept/a", R | NS, ALLOW, 7},
    /* an `open` statement is not an allow rule */
    {"/var/log/fdbroker-accept/access.log", A, DENY, 0},
};

static const struct net_case example_net[] = {
    {POLICY_OP_CONNECT, "tcp:127.0.0.1:5432", ALLOW, 9},
    {POLICY_OP_CONNECT, "tcp:127.0.0.1:5433", DENY, 0},
    {POLICY_OP_CONNECT, "tcp:127.0.0.1:5431", DENY, 0},
    {POLICY_OP_CONNECT, "tcp:[::1]:5432", DENY, 0},
    {POLICY_OP_CONNECT, "tcp:127.0.0.2:5432", DENY, 0},
    {POLICY_OP_CONNECT, "udp:127.0.0.1:5432", DENY, 0},
    {POLICY_OP_BIND, "tcp:127.0.0.1:5432", DENY, 0},
    /* the IPv4-mapped form reaches the same server, and is matched as such */
    {POLICY_OP_CONNECT, "tcp:[::ffff:127.0.0.1]:5432", ALLOW, 9},
    /* a `listen` statement is not an allow rule */
    {POLICY_OP_CONNECT, "unix:/run/fdbroker-accept/ctl.sock", DENY, 0},
    {POLICY_OP_BIND, "tcp:127.0.0.1:80", DENY, 0},
};

START_TEST(example_policy_open_verdicts)
{
	run_open_table(example_policy, example_open, N(example_open));
}
END_TEST

START_TEST(example_policy_net_verdicts)
{
	run_net_table(example_policy, example_net, N(example_net));
}
END_TEST

/* ---- rights ------------------------------------------------------------------------------ */

static const char rights_policy[] = "version 1\nuser nobody\n"
                                    "allow open /data/ro/** read\n"                       /* 3 */
                                    "allow open /data/log/** append create\n"             /* 4 */
                                    "allow open /data/rw/** read write create truncate\n" /* 5 */
                                    "allow open /data/dirs/** directory\n"                /* 6 */
                                    "allow open /data/ns/** read nosymlinks\n";           /* 7 */

static const struct open_case rights_open[] = {
    {"/data/ro/f", R, ALLOW, 3},
    {"/data/ro/f", W, DENY, 0},
    {"/data/ro/f", A, DENY, 0},
    {"/data/ro/f", R | T, DENY, 0}, /* O_RDONLY|O_TRUNC on a read-only grant */
    {"/data/ro/f", R | C, DENY, 0}, /* O_CREAT on a read-only grant */
    {"/data/ro/f", D, DENY, 0},
    {"/data/log/f", A, ALLOW, 4},
    {"/data/log/f", A | C, ALLOW, 4},
    {"/data/log/f", W, DENY, 0}, /* append does not grant write */
    {"/data/log/f", W | A, DENY, 0},
    {"/data/log/f", R, DENY, 0},
    {"/data/log/f", A | T, DENY, 0},
    {"/data/rw/f", W, ALLOW, 5},
    {"/data/rw/f", A, ALLOW, 5}, /* write grants append */
    {"/data/rw/f", A | C, ALLOW, 5},
    {"/data/rw/f", R | W | C | T, ALLOW, 5},
    {"/data/rw/f", D, DENY, 0},
    {"/data/dirs/x", D, ALLOW, 6},
    {"/data/dirs/x", R, DENY, 0},
    {"/data/dirs/x", D | W, DENY, 0},
    {"/data/ns/f", R, ALLOW, 7},
    {"/data/ns/f", R | NS, ALLOW, 7},
    {"/data/ro/f", R | NS, ALLOW, 3},
    /* nothing asked (or only the option): nothing to grant */
    {"/data/ro/f", 0, DENY, 0},
    {"/data/rw/f", NS, DENY, 0},
    /* bits no rule can grant */
    {"/data/rw/f", R | (1u << 10), DENY, 0},
    {"/data/rw/f", 1u << 31, DENY, 0},
};

START_TEST(rights_combinations)
{
	run_open_table(rights_policy, rights_open, N(rights_open));
}
END_TEST

static const char deny_rights_policy[] =
    "version 1\nuser nobody\n"
    "allow open /d/** read write create truncate directory\n" /* 3 */
    "deny open /d/locked/** write\n"                          /* 4 */
    "deny open /d/nocreate/** create\n"                       /* 5 */
    "deny open /d/notrunc/** truncate\n"                      /* 6 */
    "deny open /d/noappend/** append\n"                       /* 7 */
    "deny open /d/opt/** nosymlinks\n"                        /* 8 */
    "deny open /d/nodir/** directory read\n";                 /* 9 */

static const struct open_case deny_rights_open[] = {
    {"/d/locked/f", R, ALLOW, 3},
    {"/d/locked/f", W, DENY, 4},
    {"/d/locked/f", R | W, DENY, 4},
    /* deny write also refuses append: else `allow write` would still grant it */
    {"/d/locked/f", A, DENY, 4},
    /* truncate and create are rights of their own */
    {"/d/locked/f", R | T, ALLOW, 3},
    {"/d/nocreate/f", W, ALLOW, 3},
    {"/d/nocreate/f", W | C, DENY, 5},
    {"/d/nocreate/f", A | C, DENY, 5},
    {"/d/notrunc/f", W, ALLOW, 3},
    {"/d/notrunc/f", W | T, DENY, 6},
    {"/d/notrunc/f", R | T, DENY, 6},
    {"/d/noappend/f", A, DENY, 7},
    /* deny append refuses write too: write can do everything append can */
    {"/d/noappend/f", W, DENY, 7},
    {"/d/noappend/f", R, ALLOW, 3},
    /* a deny naming only the option behaves as a deny of everything */
    {"/d/opt/f", R, DENY, 8},
    {"/d/opt/f", D, DENY, 8},
    {"/d/nodir/x", D, DENY, 9},
    {"/d/nodir/x", R, DENY, 9},
    {"/d/nodir/x", W, ALLOW, 3},
    {"/d/other", R | W, ALLOW, 3},
    /* the deny rules cover their directories themselves as well */
    {"/d/locked", W, DENY, 4},
    {"/d/locked", R, ALLOW, 3},
};

START_TEST(deny_with_rights)
{
	run_open_table(deny_rights_policy, deny_rights_open, N(deny_rights_open));
}
END_TEST

/* ---- overlapping allow and deny (security-tests item 12) --------------------------------- */

static const char overlap_allow_first[] =
    "version 1\nuser nobody\n"
    "allow open /o/** read write\n"        /* 3 */
    "deny open /o/private/**\n"            /* 4 */
    "allow open /o/private/deep/** read\n" /* 5: more specific than the deny, still loses */
    "deny open /o/pub/exact.txt\n";        /* 6 */

static const char overlap_deny_first[] = "version 1\nuser nobody\n"
                                         "deny open /o/pub/exact.txt\n"         /* 3 */
                                         "allow open /o/private/deep/** read\n" /* 4 */
                                         "deny open /o/private/**\n"            /* 5 */
                                         "allow open /o/** read write\n";       /* 6 */

static const struct open_case overlap_allow_first_open[] = {
    {"/o/a", R, ALLOW, 3},
    {"/o/private/a", R, DENY, 4},
    {"/o/private/deep/a", R, DENY, 4},
    {"/o/private", R, DENY, 4},
    {"/o/pub/exact.txt", R, DENY, 6},
    {"/o/pub/exact.txt2", R, ALLOW, 3},
    {"/o/pub/other.txt", W, ALLOW, 3},
};

static const struct open_case overlap_deny_first_open[] = {
    {"/o/a", R, ALLOW, 6},
    {"/o/private/a", R, DENY, 5},
    {"/o/private/deep/a", R, DENY, 5},
    {"/o/private", R, DENY, 5},
    {"/o/pub/exact.txt", R, DENY, 3},
    {"/o/pub/exact.txt2", R, ALLOW, 6},
    {"/o/pub/other.txt", W, ALLOW, 6},
};

START_TEST(deny_wins_allow_written_first)
{
	run_open_table(overlap_allow_first, overlap_allow_first_open, N(overlap_allow_first_open));
}
END_TEST

START_TEST(deny_wins_deny_written_first)
{
	run_open_table(overlap_deny_first, overlap_deny_first_open, N(overlap_deny_first_open));
}
END_TEST

/* Every permutation of the same four rules gives the same verdicts. */
START_TEST(deny_wins_in_every_order)
{
	static const char *const rules[] = {
	    "allow open /o/** read write\n",
	    "deny open /o/private/**\n",
	    "allow open /o/private/deep/** read\n",
	    "deny open /o/pub/exact.txt\n",
	};
	static const struct {
		const char *path;
		unsigned rights;
		enum policy_verdict verdict;
		const char *pattern; /* of the deciding rule */
	} want[] = {
	    {"/o/a", R, ALLOW, "/o/**"},
	    {"/o/private/deep/a", R, DENY, "/o/private/**"},
	    {"/o/private", R, DENY, "/o/private/**"},
	    {"/o/pub/exact.txt", R, DENY, "/o/pub/exact.txt"},
	};
	static const int perms[24][4] = {
	    {0, 1, 2, 3}, {0, 1, 3, 2}, {0, 2, 1, 3}, {0, 2, 3, 1}, {0, 3, 1, 2}, {0, 3, 2, 1},
	    {1, 0, 2, 3}, {1, 0, 3, 2}, {1, 2, 0, 3}, {1, 2, 3, 0}, {1, 3, 0, 2}, {1, 3, 2, 0},
	    {2, 0, 1, 3}, {2, 0, 3, 1}, {2, 1, 0, 3}, {2, 1, 3, 0}, {2, 3, 0, 1}, {2, 3, 1, 0},
	    {3, 0, 1, 2}, {3, 0, 2, 1}, {3, 1, 0, 2}, {3, 1, 2, 0}, {3, 2, 0, 1}, {3, 2, 1, 0},
	};
	size_t k, i;

	for (k = 0; k < 24; k++) {
		char *text = th_fmt("version 1\nuser nobody\n%s%s%s%s", rules[perms[k][0]],
		                    rules[perms[k][1]], rules[perms[k][2]], rules[perms[k][3]]);
		struct policy *p = load(text);

		for (i = 0; i < N(want); i++) {
			struct policy_match m;
			bool got = policy_match_open(p, want[i].path, want[i].rights, &m);

			ck_assert_msg(got == (want[i].verdict == ALLOW) &&
			                  m.verdict == want[i].verdict && m.rule != NULL &&
			                  strcmp(m.rule->pattern, want[i].pattern) == 0,
			              "order %zu, %s: got %s by %s", k, want[i].path,
			              vname(m.verdict), m.rule ? m.rule->pattern : "(none)");
		}
		policy_free(p);
		free(text);
	}
}
END_TEST

/* ---- most specific allow ----------------------------------------------------------------- */

static const char specific_policy[] =
    "version 1\nuser nobody\n"
    "allow open /** read\n"                  /* 3: prefix "/" */
    "allow open /srv/** read\n"              /* 4: prefix "/srv" */
    "allow open /srv/app/** read write\n"    /* 5: prefix "/srv/app" */
    "allow open /srv/app/conf/*.conf read\n" /* 6: prefix "/srv/app/conf" */
    "allow open /srv/app/** read\n"          /* 7: same prefix as 5, written later */
    "allow open /srv/*/logs/** append\n";    /* 8: prefix "/srv" */

static const struct open_case specific_open[] = {
    {"/", R, ALLOW, 3},
    {"/etc/passwd", R, ALLOW, 3},
    {"/srv", R, ALLOW, 4},
    {"/srv/x", R, ALLOW, 4},
    {"/srv/app/x", R, ALLOW, 5}, /* tie between 5 and 7: the first written */
    {"/srv/app/x", W, ALLOW, 5},
    {"/srv/app/conf/a.conf", R, ALLOW, 6},
    /* the most specific rule must grant the rights; else the next one decides */
    {"/srv/app/conf/a.conf", W, ALLOW, 5},
    {"/srv/app/conf/a.txt", R, ALLOW, 5},
    {"/srv/web/logs/x", A, ALLOW, 8},
    {"/srv/web/logs/x", R, ALLOW, 4}, /* 4 and 8 tie on "/srv"; 8 does not grant read */
    {"/srv/app/logs/x", A, ALLOW, 5}, /* longer prefix than 8; write grants append */
    {"/srv/web/logs/x", W, DENY, 0},
    {"/etc/passwd", A, DENY, 0},
};

START_TEST(most_specific_allow_decides)
{
	run_open_table(specific_policy, specific_open, N(specific_open));
}
END_TEST

/* ---- globs ------------------------------------------------------------------------------- */

static const struct {
	const char *pattern;
	const char *path;
	bool match;
} globs[] = {
    /* literal */
    {"/a/b", "/a/b", true},
    {"/a/b", "/a/bb", false},
    {"/a/b", "/a", false},
    {"/a/b", "/a/b/c", false},
    {"/", "/", true},
    {"/", "/a", false},
    /* `*` within one component */
    {"/a/*/c", "/a/b/c", true},
    {"/a/*/c", "/a/xyz/c", true},
    {"/a/*/c", "/a/b/x/c", false},
    {"/a/*/c", "/a/c", false},
    {"/etc/*.conf", "/etc/a.conf", true},
    {"/etc/*.conf", "/etc/.conf", true},
    {"/etc/*.conf", "/etc/a.b.conf", true},
    {"/etc/*.conf", "/etc/a/b.conf", false},
    {"/etc/*.conf", "/etc/a.confx", false},
    {"/etc/*.conf", "/etc/a.conf/x", false},
    {"/etc/*.conf", "/etc.conf", false},
    {"/srv/*", "/srv", false},
    {"/srv/*", "/srv/a", true},
    {"/srv/*", "/srv/a/b", false},
    {"/*/*", "/a/b", true},
    {"/*/*", "/a", false},
    {"/*/*", "/a/b/c", false},
    {"/a*b*c", "/abc", true},
    {"/a*b*c", "/aXbYc", true},
    {"/a*b*c", "/abcbc", true},
    {"/a*b*c", "/ab/c", false},
    {"/a*b*c", "/acb", false},
    {"/a*", "/a", true},
    {"/a*", "/ab", true},
    {"/*a", "/ba", true},
    {"/*a", "/ab", false},
    /* nothing else is special */
    {"/a?c", "/abc", false},
    {"/a?c", "/a?c", true},
    {"/a[b]c", "/abc", false},
    {"/a[b]c", "/a[b]c", true},
    /* `**`: zero or more whole components */
    {"/srv/**", "/srv", true},
    {"/srv/**", "/srv/a", true},
    {"/srv/**", "/srv/a/b/c", true},
    {"/srv/**", "/srvx", false},
    {"/srv/**", "/srvx/a", false},
    {"/srv/**", "/sr", false},
    {"/srv/**", "/", false},
    {"/**", "/", true},
    {"/**", "/a", true},
    {"/**", "/a/b/c", true},
    {"/a/**/c", "/a/c", true},
    {"/a/**/c", "/a/b/c", true},
    {"/a/**/c", "/a/b/d/c", true},
    {"/a/**/c", "/a/c/c", true},
    {"/a/**/c", "/a/b/c/d", false},
    {"/a/**/c", "/a/bc", false},
    {"/a/**/c", "/x/a/c", false},
    {"/**/*.conf", "/x.conf", true},
    {"/**/*.conf", "/etc/a/b/x.conf", true},
    {"/**/*.conf", "/etc/a/b/x.conf/y", false},
    /* several `**` */
    {"/**/x/**/y", "/x/y", true},
    {"/**/x/**/y", "/a/x/b/c/y", true},
    {"/**/x/**/y", "/a/y/x", false},
    {"/**/x/**/y", "/x/a/y/b", false},
    {"/**/**/a", "/a", true},
    {"/**/**/a", "/b/a", true},
    {"/**/**/a", "/b/c/a", true},
    {"/**/**/a", "/a/b", false},
    {"/a/**/b/**/c", "/a/b/c", true},
    {"/a/**/b/**/c", "/a/x/b/y/c", true},
    {"/a/**/b/**/c", "/a/b/b/c/c", true},
    {"/a/**/b/**/c", "/a/c/b", false},
    {"/a/**/b/**/c", "/a/x/y", false},
    {"/**/.ssh/**", "/home/u/.ssh/id_rsa", true},
    {"/**/.ssh/**", "/home/u/.ssh", true},
    {"/**/.ssh/**", "/home/u/.sshx/id", false},
    /* only absolute strings match */
    {"a/**", "/a", false},
    {"/**", "a", false},
    {"/**", "", false},
};

START_TEST(glob_table)
{
	size_t i;

	for (i = 0; i < N(globs); i++)
		ck_assert_msg(policy_glob_match(globs[i].pattern, globs[i].path) == globs[i].match,
		              "row %zu: '%s' vs '%s' should %smatch", i, globs[i].pattern,
		              globs[i].path, globs[i].match ? "" : "not ");
}
END_TEST

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A path of n components "x" (plus last) into buf. */
static char *deep_path(size_t n, const char *comp, const char *last)
{
	size_t cl = strlen(comp), ll = strlen(last), i;
	char *s = malloc(n * (cl + 1) + ll + 2), *w = s;

	ck_assert_ptr_nonnull(s);
	for (i = 0; i < n; i++) {
		*w++ = '/';
		memcpy(w, comp, cl);
		w += cl;
	}
	*w++ = '/';
	memcpy(w, last, ll + 1);
	return s;
}

/*
 * Ten `**` against 200 components: a backtracking matcher tries ~200^10 splits. The tcase
 * timeout turns a blow-up into a failure; the clock check makes "fast" explicit (generous,
 * so sanitizer builds pass).
 */
START_TEST(pathological_glob_finishes_fast)
{
	const char *pat = "/**/**/**/**/**/**/**/**/**/**/a";
	const char *pat2 = "/**/x/**/x/**/x/**/x/**/x/**/x/**/x/**/x/**/x/**/x/a";
	char *miss = deep_path(200, "x", "b"), *hit = deep_path(200, "x", "a");
	char *long_comp = malloc(4000), *lpath;
	double t0 = now();
	int rep;

	ck_assert_ptr_nonnull(long_comp);
	memset(long_comp, 'a', 3999);
	long_comp[3999] = '\0';
	lpath = th_fmt("/%s", long_comp);
	for (rep = 0; rep < 10; rep++) {
		ck_assert(!policy_glob_match(pat, miss));
		ck_assert(policy_glob_match(pat, hit));
		ck_assert(!policy_glob_match(pat2, miss));
		ck_assert(policy_glob_match(pat2, hit));
		/* character level: many `*` in one component against a long run */
		ck_assert(!policy_glob_match("/*a*a*a*a*a*a*a*a*a*a*b", lpath));
		ck_assert(policy_glob_match("/*a*a*a*a*a*a*a*a*a*a*a", lpath));
		ck_assert(!policy_glob_match("/**/*a*a*a*a*a*b/**/**/c", miss));
	}
	ck_assert_msg(now() - t0 < 2.0, "pathological globs took %.2f s", now() - t0);
	free(lpath);
	free(long_comp);
	free(hit);
	free(miss);
}
END_TEST

/* ---- normalization ----------------------------------------------------------------------- */

static const struct {
	const char *in;
	int err;         /* 0: success */
	const char *out; /* on success */
	bool trailing;
} norms[] = {
    {"/", 0, "/", false},
    {"//", 0, "/", false},
    {"/.", 0, "/", false},
    {"/./", 0, "/", false},
    {"/a", 0, "/a", false},
    {"/a/b", 0, "/a/b", false},
    {"/a//b", 0, "/a/b", false},
    {"//a///b", 0, "/a/b", false},
    {"/a/./b", 0, "/a/b", false},
    {"/./a", 0, "/a", false},
    {"/a/./././b", 0, "/a/b", false},
    {"/a/", 0, "/a", true},
    {"/a//", 0, "/a", true},
    {"/a/.", 0, "/a", true},
    {"/a/./", 0, "/a", true},
    {"///a///b///", 0, "/a/b", true},
    {"/a/.b", 0, "/a/.b", false},
    {"/a/..b", 0, "/a/..b", false},
    {"/a/b..", 0, "/a/b..", false},
    {"/...", 0, "/...", false},
    {"/..", EACCES, NULL, false},
    {"/a/..", EACCES, NULL, false},
    {"/a/../b", EACCES, NULL, false},
    {"/a/../", EACCES, NULL, false},
    {"/a//../b", EACCES, NULL, false},
    {"/granted/link/../../etc/shadow", EACCES, NULL, false},
    {"", EINVAL, NULL, false},
    {"a", EINVAL, NULL, false},
    {"a/b", EINVAL, NULL, false},
    {".", EINVAL, NULL, false},
    {"./a", EINVAL, NULL, false},
    {"../a", EINVAL, NULL, false},
};

START_TEST(normalize_table)
{
	size_t i;

	for (i = 0; i < N(norms); i++) {
		char buf[64];
		bool trailing = !norms[i].trailing;
		int r;

		snprintf(buf, sizeof(buf), "%s", norms[i].in);
		errno = 0;
		r = policy_path_normalize(buf, &trailing);
		if (norms[i].err != 0) {
			ck_assert_msg(r == -1 && errno == norms[i].err,
			              "row %zu '%s': r=%d errno=%d, expected errno %d", i,
			              norms[i].in, r, errno, norms[i].err);
			/* failures leave the buffer and the out parameter alone */
			ck_assert_msg(strcmp(buf, norms[i].in) == 0, "row %zu: buffer changed", i);
			ck_assert_msg(trailing == !norms[i].trailing, "row %zu: ret written", i);
		} else {
			ck_assert_msg(r == 0, "row %zu '%s': failed, errno %d", i, norms[i].in,
			              errno);
			ck_assert_msg(strcmp(buf, norms[i].out) == 0,
			              "row %zu '%s': got '%s', expected '%s'", i, norms[i].in, buf,
			              norms[i].out);
			ck_assert_msg(trailing == norms[i].trailing,
			              "row %zu '%s': trailing %d, expected %d", i, norms[i].in,
			              trailing, norms[i].trailing);
		}
	}
}
END_TEST

/* A path of exactly len bytes: "/aaaa/aaaa/..." */
static char *path_of_len(size_t len)
{
	char *s = malloc(len + 1);
	size_t i;

	ck_assert_ptr_nonnull(s);
	for (i = 0; i < len; i++)
		s[i] = i % 5 == 0 ? '/' : 'a';
	if (s[len - 1] == '/')
		s[len - 1] = 'b';
	s[len] = '\0';
	return s;
}

START_TEST(normalize_length_limits)
{
	char *ok = path_of_len(4095), *copy = strdup(ok);
	char *too = path_of_len(4096), *way = path_of_len(4097);
	char *slashes = malloc(4097);
	bool t = true;

	ck_assert_int_eq(policy_path_normalize(ok, &t), 0);
	ck_assert_str_eq(ok, copy);
	ck_assert(!t);
	errno = 0;
	ck_assert_int_eq(policy_path_normalize(too, &t), -1);
	ck_assert_int_eq(errno, ENAMETOOLONG);
	errno = 0;
	ck_assert_int_eq(policy_path_normalize(way, &t), -1);
	ck_assert_int_eq(errno, ENAMETOOLONG);
	/* the limit applies to what was sent, not to what it normalizes to */
	ck_assert_ptr_nonnull(slashes);
	memset(slashes, '/', 4096);
	slashes[4096] = '\0';
	errno = 0;
	ck_assert_int_eq(policy_path_normalize(slashes, &t), -1);
	ck_assert_int_eq(errno, ENAMETOOLONG);
	slashes[4095] = '\0';
	ck_assert_int_eq(policy_path_normalize(slashes, &t), 0);
	ck_assert_str_eq(slashes, "/");
	free(slashes);
	free(way);
	free(too);
	free(copy);
	free(ok);
}
END_TEST

/* ---- address parsing --------------------------------------------------------------------- */

static const struct {
	const char *s;
	bool ok;
	enum policy_sock sock;
	int family;
	const char *host; /* inet_pton form, compared as bytes */
	uint16_t port;
} addrs[] = {
    {"tcp:127.0.0.1:80", true, POLICY_SOCK_TCP, AF_INET, "127.0.0.1", 80},
    {"tcp:[::1]:443", true, POLICY_SOCK_TCP, AF_INET6, "::1", 443},
    {"udp:0.0.0.0:53", true, POLICY_SOCK_UDP, AF_INET, "0.0.0.0", 53},
    {"udp:[::1]:53", true, POLICY_SOCK_UDP, AF_INET6, "::1", 53},
    {"tcp:1.2.3.4:1", true, POLICY_SOCK_TCP, AF_INET, "1.2.3.4", 1},
    {"tcp:1.2.3.4:65535", true, POLICY_SOCK_TCP, AF_INET, "1.2.3.4", 65535},
    {"tcp:[2001:db8::1]:8080", true, POLICY_SOCK_TCP, AF_INET6, "2001:db8::1", 8080},
    {"tcp:[::ffff:1.2.3.4]:80", true, POLICY_SOCK_TCP, AF_INET6, "::ffff:1.2.3.4", 80},
    {"unix:/run/x.sock", true, POLICY_SOCK_UNIX, AF_UNIX, NULL, 0},
    {"unix:/run/with space.sock", true, POLICY_SOCK_UNIX, AF_UNIX, NULL, 0},
    /* invalid */
    {"tcp:localhost:80", false, 0, 0, NULL, 0},
    {"tcp:1.2.3.4:0", false, 0, 0, NULL, 0},
    {"tcp:1.2.3.4:65536", false, 0, 0, NULL, 0},
    {"tcp:1.2.3.4:99999999999999999999", false, 0, 0, NULL, 0},
    {"tcp:1.2.3.4:+80", false, 0, 0, NULL, 0},
    {"tcp:1.2.3.4:-80", false, 0, 0, NULL, 0},
    {"tcp:1.2.3.4:080", false, 0, 0, NULL, 0},
    {"tcp:1.2.3.4:8 0", false, 0, 0, NULL, 0},
    {"tcp:1.2.3.4:80 ", false, 0, 0, NULL, 0},
    {"tcp: 1.2.3.4:80", false, 0, 0, NULL, 0},
    {" tcp:1.2.3.4:80", false, 0, 0, NULL, 0},
    {"tcp:1.2.3.4", false, 0, 0, NULL, 0},
    {"tcp:1.2.3.4:", false, 0, 0, NULL, 0},
    {"tcp::80", false, 0, 0, NULL, 0},
    {"tcp:::1:80", false, 0, 0, NULL, 0},
    {"tcp:::1", false, 0, 0, NULL, 0},
    {"tcp:[::1]443", false, 0, 0, NULL, 0},
    {"tcp:[::1:80", false, 0, 0, NULL, 0},
    {"tcp:[]:80", false, 0, 0, NULL, 0},
    {"tcp:[1.2.3.4]:80", false, 0, 0, NULL, 0},
    {"tcp:[fe80::1%eth0]:80", false, 0, 0, NULL, 0},
    {"tcp:1.2.3:80", false, 0, 0, NULL, 0},
    {"tcp:1.2.3.4.5:80", false, 0, 0, NULL, 0},
    {"tcp:1.2.3.256:80", false, 0, 0, NULL, 0},
    {"tcp:0x7f.0.0.1:80", false, 0, 0, NULL, 0},
    {"tcp:*:80", false, 0, 0, NULL, 0},
    {"tcp:1.2.3.4:80-90", false, 0, 0, NULL, 0},
    {"TCP:1.2.3.4:80", false, 0, 0, NULL, 0},
    {"sctp:1.2.3.4:80", false, 0, 0, NULL, 0},
    {"tcp", false, 0, 0, NULL, 0},
    {"tcp:", false, 0, 0, NULL, 0},
    {"", false, 0, 0, NULL, 0},
    {"unix:rel", false, 0, 0, NULL, 0},
    {"unix:", false, 0, 0, NULL, 0},
    {"unix:/run//x.sock", false, 0, 0, NULL, 0},
    {"unix:/run/./x.sock", false, 0, 0, NULL, 0},
    {"unix:/run/../x.sock", false, 0, 0, NULL, 0},
    {"unix:/run/x.sock/", false, 0, 0, NULL, 0},
    {"unix:/run/x\n.sock", false, 0, 0, NULL, 0},
};

START_TEST(address_parse_table)
{
	size_t i;

	for (i = 0; i < N(addrs); i++) {
		struct policy_net_req q, untouched;
		int r;

		memset(&q, 0xa5, sizeof(q));
		untouched = q;
		errno = 0;
		r = policy_parse_net_address(addrs[i].s, &q);
		if (!addrs[i].ok) {
			ck_assert_msg(r == -1 && errno == EINVAL,
			              "row %zu '%s' parsed (r=%d errno=%d) but is invalid", i,
			              addrs[i].s, r, errno);
			ck_assert_msg(memcmp(&q, &untouched, sizeof(q)) == 0,
			              "row %zu: ret written on failure", i);
			continue;
		}
		ck_assert_msg(r == 0, "row %zu '%s' rejected (errno %d)", i, addrs[i].s, errno);
		ck_assert_int_eq(q.sock, addrs[i].sock);
		ck_assert_int_eq(q.family, addrs[i].family);
		if (q.family == AF_UNIX) {
			ck_assert_ptr_eq(q.path, addrs[i].s + 5); /* points into the string */
			continue;
		}
		ck_assert_ptr_null(q.path);
		ck_assert_uint_eq(q.port, addrs[i].port);
		if (q.family == AF_INET) {
			struct in_addr a;

			ck_assert_int_eq(inet_pton(AF_INET, addrs[i].host, &a), 1);
			ck_assert(memcmp(&a, &q.v4, sizeof(a)) == 0);
		} else {
			struct in6_addr a;

			ck_assert_int_eq(inet_pton(AF_INET6, addrs[i].host, &a), 1);
			ck_assert(memcmp(&a, &q.v6, sizeof(a)) == 0);
		}
	}
}
END_TEST

START_TEST(address_unix_path_limit)
{
	char s[5 + 109];
	struct policy_net_req q;

	/* 107 bytes + NUL fits sun_path */
	memcpy(s, "unix:/", 6);
	memset(s + 6, 'a', 106);
	s[5 + 107] = '\0';
	ck_assert_uint_eq(strlen(s + 5), 107);
	ck_assert_int_eq(policy_parse_net_address(s, &q), 0);
	ck_assert_str_eq(q.path, s + 5);
	/* 108 bytes does not */
	s[5 + 107] = 'a';
	s[5 + 108] = '\0';
	ck_assert_uint_eq(strlen(s + 5), 108);
	errno = 0;
	ck_assert_int_eq(policy_parse_net_address(s, &q), -1);
	ck_assert_int_eq(errno, EINVAL);
}
END_TEST

/* ---- port ranges and any-host rules ------------------------------------------------------ */

static const char net_policy[] =
    "version 1\nuser nobody\n"
    "allow bind tcp 127.0.0.1:8000-8099\n" /* 3 */
    "allow connect tcp *:443\n"            /* 4 */
    "allow connect tcp 10.0.0.1:443\n"     /* 5: a named host beats `*` */
    "deny connect tcp 10.0.0.9:443\n"      /* 6 */
    "allow connect udp [::1]:53\n"         /* 7 */
    "allow connect unix /run/db.sock\n"    /* 8 */
    "allow connect tcp 10.0.0.2:1-1000\n"  /* 9 */
    "allow connect tcp 10.0.0.2:400-500\n" /* 10: narrower range beats 9 */
    "deny bind tcp *:8080\n"               /* 11: any-host deny beats the allow on 3 */
    "allow bind udp [::1]:5000-5001\n";    /* 12 */

static const struct net_case net_cases[] = {
    /* range edges */
    {POLICY_OP_BIND, "tcp:127.0.0.1:7999", DENY, 0},
    {POLICY_OP_BIND, "tcp:127.0.0.1:8000", ALLOW, 3},
    {POLICY_OP_BIND, "tcp:127.0.0.1:8050", ALLOW, 3},
    {POLICY_OP_BIND, "tcp:127.0.0.1:8099", ALLOW, 3},
    {POLICY_OP_BIND, "tcp:127.0.0.1:8100", DENY, 0},
    {POLICY_OP_BIND, "tcp:127.0.0.1:8080", DENY, 11},
    {POLICY_OP_BIND, "tcp:[::1]:8080", DENY, 11},
    {POLICY_OP_BIND, "tcp:127.0.0.2:8000", DENY, 0},
    {POLICY_OP_BIND, "tcp:[::1]:8000", DENY, 0},
    {POLICY_OP_BIND, "udp:127.0.0.1:8000", DENY, 0},
    {POLICY_OP_CONNECT, "tcp:127.0.0.1:8000", DENY, 0}, /* op must match */
    {POLICY_OP_BIND, "udp:[::1]:4999", DENY, 0},
    {POLICY_OP_BIND, "udp:[::1]:5000", ALLOW, 12},
    {POLICY_OP_BIND, "udp:[::1]:5001", ALLOW, 12},
    {POLICY_OP_BIND, "udp:[::1]:5002", DENY, 0},
    {POLICY_OP_BIND, "udp:[::2]:5000", DENY, 0},
    /* any host, either family */
    {POLICY_OP_CONNECT, "tcp:1.2.3.4:443", ALLOW, 4},
    {POLICY_OP_CONNECT, "tcp:[2001:db8::1]:443", ALLOW, 4},
    {POLICY_OP_CONNECT, "tcp:1.2.3.4:444", DENY, 0},
    {POLICY_OP_CONNECT, "tcp:1.2.3.4:442", DENY, 0},
    {POLICY_OP_CONNECT, "udp:1.2.3.4:443", DENY, 0},
    {POLICY_OP_BIND, "tcp:1.2.3.4:443", DENY, 0},
    /* specificity among allows; deny beats any-host allow */
    {POLICY_OP_CONNECT, "tcp:10.0.0.1:443", ALLOW, 5},
    {POLICY_OP_CONNECT, "tcp:10.0.0.9:443", DENY, 6},
    {POLICY_OP_CONNECT, "tcp:[::ffff:10.0.0.9]:443", DENY, 6}, /* no escape via v4-mapped */
    {POLICY_OP_CONNECT, "tcp:[::ffff:10.0.0.1]:443", ALLOW, 5},
    {POLICY_OP_CONNECT, "tcp:10.0.0.2:1", ALLOW, 9},
    {POLICY_OP_CONNECT, "tcp:10.0.0.2:399", ALLOW, 9},
    {POLICY_OP_CONNECT, "tcp:10.0.0.2:400", ALLOW, 10},
    {POLICY_OP_CONNECT, "tcp:10.0.0.2:500", ALLOW, 10},
    {POLICY_OP_CONNECT, "tcp:10.0.0.2:1000", ALLOW, 9},
    {POLICY_OP_CONNECT, "tcp:10.0.0.2:1001", DENY, 0},
    /* exact IPv6 host */
    {POLICY_OP_CONNECT, "udp:[::1]:53", ALLOW, 7},
    {POLICY_OP_CONNECT, "udp:[0:0:0:0:0:0:0:1]:53", ALLOW, 7},
    {POLICY_OP_CONNECT, "udp:127.0.0.1:53", DENY, 0},
    {POLICY_OP_CONNECT, "tcp:[::1]:53", DENY, 0},
    /* unix: exact path */
    {POLICY_OP_CONNECT, "unix:/run/db.sock", ALLOW, 8},
    {POLICY_OP_CONNECT, "unix:/run/db.sockx", DENY, 0},
    {POLICY_OP_CONNECT, "unix:/run/db", DENY, 0},
    {POLICY_OP_CONNECT, "unix:/run/db.sock/x", DENY, 0},
    {POLICY_OP_BIND, "unix:/run/db.sock", DENY, 0},
};

START_TEST(net_port_ranges_and_any_host)
{
	run_net_table(net_policy, net_cases, N(net_cases));
}
END_TEST

/* Requests built by hand that no parser would produce: they must never match. */
START_TEST(net_inconsistent_requests_denied)
{
	struct policy *p = load(net_policy);
	struct policy_net_req q;
	struct policy_match m;

	/* tcp with an AF_UNIX family */
	memset(&q, 0, sizeof(q));
	q.sock = POLICY_SOCK_TCP;
	q.family = AF_UNIX;
	q.port = 443;
	ck_assert(!policy_match_net(p, POLICY_OP_CONNECT, &q, &m));
	ck_assert_ptr_null(m.rule);
	/* unix without a path */
	memset(&q, 0, sizeof(q));
	q.sock = POLICY_SOCK_UNIX;
	q.family = AF_UNIX;
	ck_assert(!policy_match_net(p, POLICY_OP_CONNECT, &q, &m));
	/* unix sock with an inet family */
	q.family = AF_INET;
	q.path = "/run/db.sock";
	ck_assert(!policy_match_net(p, POLICY_OP_CONNECT, &q, &m));
	/* port 0 is in no range */
	memset(&q, 0, sizeof(q));
	q.sock = POLICY_SOCK_TCP;
	q.family = AF_INET;
	ck_assert(!policy_match_net(p, POLICY_OP_CONNECT, &q, &m));
	/* open is not a network op */
	ck_assert_int_eq(policy_parse_net_address("tcp:1.2.3.4:443", &q), 0);
	ck_assert(policy_match_net(p, POLICY_OP_CONNECT, &q, &m));
	ck_assert(!policy_match_net(p, POLICY_OP_OPEN, &q, &m));
	ck_assert_ptr_null(m.rule);
	policy_free(p);
}
END_TEST

/* Network rules never decide opens and open rules never decide network requests. */
START_TEST(ops_do_not_cross)
{
	struct policy *p = load("version 1\nuser nobody\n"
	                        "allow open /** read\n"
	                        "deny connect unix /run/x.sock\n");
	struct policy_net_req q;
	struct policy_match m;

	ck_assert(policy_match_open(p, "/run/x.sock", R, &m));
	ck_assert_uint_eq(m.rule->loc.line, 3);
	ck_assert_int_eq(policy_parse_net_address("unix:/run/y.sock", &q), 0);
	ck_assert(!policy_match_net(p, POLICY_OP_CONNECT, &q, &m));
	ck_assert_ptr_null(m.rule);
	policy_free(p);
}
END_TEST

/* ---- suite ------------------------------------------------------------------------------- */

static Suite *match_suite(void)
{
	Suite *s = suite_create("match");
	TCase *tc;

	tc = tcase_create("example_policy");
	tcase_add_test(tc, example_policy_open_verdicts);
	tcase_add_test(tc, example_policy_net_verdicts);
	suite_add_tcase(s, tc);

	tc = tcase_create("rights");
	tcase_add_test(tc, rights_combinations);
	tcase_add_test(tc, deny_with_rights);
	suite_add_tcase(s, tc);

	tc = tcase_create("deny_wins");
	tcase_add_test(tc, deny_wins_allow_written_first);
	tcase_add_test(tc, deny_wins_deny_written_first);
	tcase_add_test(tc, deny_wins_in_every_order);
	suite_add_tcase(s, tc);

	tc = tcase_create("most_specific");
	tcase_add_test(tc, most_specific_allow_decides);
	suite_add_tcase(s, tc);

	tc = tcase_create("glob");
	tcase_add_test(tc, glob_table);
	suite_add_tcase(s, tc);

	tc = tcase_create("glob_bounded");
	tcase_set_timeout(tc, 10);
	tcase_add_test(tc, pathological_glob_finishes_fast);
	suite_add_tcase(s, tc);

	tc = tcase_create("normalize");
	tcase_add_test(tc, normalize_table);
	tcase_add_test(tc, normalize_length_limits);
	suite_add_tcase(s, tc);

	tc = tcase_create("address_parse");
	tcase_add_test(tc, address_parse_table);
	tcase_add_test(tc, address_unix_path_limit);
	suite_add_tcase(s, tc);

	tc = tcase_create("net_rules");
	tcase_add_test(tc, net_port_ranges_and_any_host);
	tcase_add_test(tc, net_inconsistent_requests_denied);
	tcase_add_test(tc, ops_do_not_cross);
	suite_add_tcase(s, tc);

	return s;
}

int main(void)
{
	return th_run_suite(match_suite());
}
