/*
 * check_policy.c — the policy parser: golden diagnostics from tests/data/policy/, the parsed
 * fields, the syscall groups, the name tables and the policy-file safety check.
 *
 * Golden files: each tests/data/policy/NAME.policy is loaded (with POLICY_LOAD_TRUST_FILE, by
 * its path relative to the repository root, which is the runner's cwd) and the printed
 * diagnostics must equal NAME.expected byte for byte. Regenerate one after a deliberate change
 * with the same call and review the diff.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "helpers.h"
#include "lex.h"
#include "policy.h"

#define DATA "tests/data/policy/"

/* ---- helpers ----------------------------------------------------------------------------- */

static char *diags_text(const struct policy_diags *d)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	ck_assert_ptr_nonnull(f);
	policy_diags_print(d, f);
	ck_assert_int_eq(fclose(f), 0);
	return buf;
}

/* Load text that must parse; returns the policy (diags must be empty). */
static struct policy *load_ok(const char *text)
{
	struct policy_diags d = {0};
	struct policy *p = NULL;
	int r = policy_load_string("t.policy", text, strlen(text), 0, &p, &d);
	char *out = diags_text(&d);

	ck_assert_msg(r == 0 && d.n == 0, "policy failed to load cleanly:\n%s---\n%s", text, out);
	free(out);
	policy_diags_free(&d);
	return p;
}

/* Load text that must fail; returns the printed diagnostics. */
static char *load_err(const char *text)
{
	struct policy_diags d = {0};
	struct policy *p = (struct policy *)&d; /* must stay untouched on failure */
	int r = policy_load_string("t.policy", text, strlen(text), 0, &p, &d);
	char *out = diags_text(&d);

	ck_assert_msg(r == -1, "policy loaded but should not have:\n%s", text);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_ptr_eq(p, (struct policy *)&d);
	ck_assert_uint_ge(d.nerrors, 1);
	policy_diags_free(&d);
	return out;
}

#define HDR "version 1\nuser nobody\n"

/* ---- golden files ------------------------------------------------------------------------ */

static const char *const golden_valid[] = {
    "valid_example", "all_forms", "include_relative", "warnings", "user_root", "socket_family",
    "unreachable_listeners",
    NULL,
};
static const char *const golden_errors[] = {
    "unknown_keyword",     "bad_address",    "bad_port",
    "port_range_reversed", "duplicate_name", "bad_name",
    "relative_path",       "dotdot_pattern", "unknown_right",
    "unknown_syscall",     "unknown_group",  "unknown_capability",
    "missing_version",     "wrong_version",  "version_not_first",
    "missing_user",        "duplicate_user", "mode_range",
    "multiple_errors",     "empty",          "socket_family_errors",
    NULL,
};
static const char *const golden_lexer[] = {
    "unterminated_string", "string_escapes", "nul_byte", "long_line", NULL,
};
static const char *const golden_include[] = {
    "include_cycle", "include_self", "include_depth", "include_error", NULL,
};

static void check_golden(const char *name)
{
	char *path = th_fmt(DATA "%s.policy", name);
	char *epath = th_fmt(DATA "%s.expected", name);
	char *expected = th_read_file(epath), *got;
	struct policy_diags d = {0};
	struct policy *p = NULL;
	int r, err;

	ck_assert_msg(expected != NULL, "cannot read %s (run from the repository root)", epath);
	r = policy_load_file(path, POLICY_LOAD_TRUST_FILE, &p, &d);
	err = errno;
	got = diags_text(&d);
	ck_assert_msg(strcmp(got, expected) == 0,
	              "%s: diagnostics differ\n--- expected\n%s--- got\n%s", path, expected, got);
	/* success exactly when no error was reported */
	if (d.nerrors > 0) {
		ck_assert_int_eq(r, -1);
		ck_assert_int_eq(err, EINVAL);
		ck_assert_ptr_null(p);
	} else {
		ck_assert_int_eq(r, 0);
		ck_assert_ptr_nonnull(p);
	}
	policy_free(p);
	policy_diags_free(&d);
	free(got);
	free(expected);
	free(epath);
	free(path);
}

START_TEST(golden_valid_policies)
{
	check_golden(golden_valid[_i]);
}
END_TEST

START_TEST(golden_error_policies)
{
	check_golden(golden_errors[_i]);
}
END_TEST

START_TEST(golden_lexer_policies)
{
	check_golden(golden_lexer[_i]);
}
END_TEST

START_TEST(golden_include_policies)
{
	check_golden(golden_include[_i]);
}
END_TEST

static bool listed(const char *name, const char *const *list)
{
	for (; *list != NULL; list++)
		if (strcmp(*list, name) == 0)
			return true;
	return false;
}

/* A golden file nobody runs is a test that cannot fail: every one must be in a table. */
START_TEST(every_golden_file_is_run)
{
	DIR *dir = opendir(DATA);
	struct dirent *e;
	int n = 0;

	ck_assert_ptr_nonnull(dir);
	while ((e = readdir(dir)) != NULL) {
		size_t len = strlen(e->d_name);
		char *name;

		if (len < 8 || strcmp(e->d_name + len - 7, ".policy") != 0)
			continue;
		name = strndup(e->d_name, len - 7);
		ck_assert_msg(listed(name, golden_valid) || listed(name, golden_errors) ||
		                  listed(name, golden_lexer) || listed(name, golden_include),
		              "%s is not in any golden table", e->d_name);
		free(name);
		n++;
	}
	closedir(dir);
	ck_assert_int_ge(n, 30);
}
END_TEST

/* The valid example of the design must load with no diagnostic at all. */
START_TEST(example_policy_is_clean)
{
	struct policy_diags d = {0};
	struct policy *p = NULL;

	ck_assert_int_eq(
	    policy_load_file(DATA "valid_example.policy", POLICY_LOAD_TRUST_FILE, &p, &d), 0);
	ck_assert_uint_eq(d.n, 0);
	ck_assert_str_eq(p->user, "nobody");
	ck_assert_str_eq(p->group, "nogroup");
	ck_assert_uint_eq(p->nlistens, 2);
	ck_assert_uint_eq(p->nopens, 1);
	ck_assert_uint_eq(p->nrules, 3);
	ck_assert_uint_eq(p->nsyscalls, 1);
	ck_assert_str_eq(p->syscalls[0].name, "@system-service");
	ck_assert(p->seccomp_allow_written);
	ck_assert_int_eq(p->seccomp_default, POLICY_SECCOMP_KILL);
	ck_assert_uint_eq(p->seccomp_default_loc.line, 11);
	ck_assert_uint_eq(p->caps_keep, 0);
	ck_assert_uint_eq(p->caps_loc.line, 10);
	policy_free(p);
	policy_diags_free(&d);
}
END_TEST

/* ---- parsed fields ----------------------------------------------------------------------- */

START_TEST(fields_of_every_statement_form)
{
	struct policy_diags d = {0};
	struct policy *p = NULL;
	struct in6_addr v6;
	const struct policy_rule *r;

	ck_assert_int_eq(policy_load_file(DATA "all_forms.policy", POLICY_LOAD_TRUST_FILE, &p, &d),
	                 0);
	/* one warning: the unix connect rule (the peer sees the broker's uid 0) */
	ck_assert_uint_eq(d.n, 1);
	ck_assert_uint_eq(d.nerrors, 0);
	ck_assert_int_eq(p->version, 1);
	ck_assert_str_eq(p->user, "65534");
	ck_assert_uint_eq(p->user_loc.line, 3);
	ck_assert_str_eq(p->user_loc.file, DATA "all_forms.policy");
	ck_assert_str_eq(p->group, "65534");
	ck_assert_uint_eq(p->ngroups, 2);
	ck_assert_str_eq(p->groups[0], "adm");
	ck_assert_str_eq(p->groups[1], "www-data");

	ck_assert_uint_eq(p->nlistens, 4);
	ck_assert_str_eq(p->listens[0].name, "web");
	ck_assert_int_eq(p->listens[0].addr.sock, POLICY_SOCK_TCP);
	ck_assert_int_eq(p->listens[0].addr.family, AF_INET);
	ck_assert_uint_eq(p->listens[0].addr.v4.s_addr, htonl(INADDR_ANY));
	ck_assert_uint_eq(p->listens[0].addr.port_lo, 8080);
	ck_assert_uint_eq(p->listens[0].addr.port_hi, 8080);
	ck_assert_int_eq(p->listens[0].backlog, 128);
	ck_assert(!p->listens[0].has_mode);
	ck_assert_int_eq(p->listens[1].addr.family, AF_INET6);
	ck_assert(memcmp(&p->listens[1].addr.v6, &in6addr_loopback, sizeof(v6)) == 0);
	ck_assert_uint_eq(p->listens[1].addr.port_lo, 8443);
	ck_assert_int_eq(p->listens[1].backlog, 1024);
	ck_assert_int_eq(p->listens[2].addr.sock, POLICY_SOCK_UDP);
	ck_assert_int_eq(p->listens[2].backlog, 0);
	ck_assert_str_eq(p->listens[3].name, "ctl.sock");
	ck_assert_int_eq(p->listens[3].addr.family, AF_UNIX);
	ck_assert_str_eq(p->listens[3].addr.path, "/run/fdbroker demo/ctl.sock");
	ck_assert(p->listens[3].has_mode);
	ck_assert_uint_eq(p->listens[3].mode, 0660);
	ck_assert_int_eq(p->listens[3].backlog, 16);
	ck_assert_uint_eq(p->listens[3].loc.line, 9);
	ck_assert_uint_eq(p->listens[3].loc.col, 1);

	ck_assert_uint_eq(p->nopens, 4);
	ck_assert_uint_eq(p->opens[0].access, POLICY_ACCESS_READ);
	ck_assert_uint_eq(p->opens[0].mode, 0600);
	ck_assert(!p->opens[0].has_mode);
	ck_assert_uint_eq(p->opens[1].access, POLICY_ACCESS_READ | POLICY_ACCESS_WRITE);
	ck_assert_uint_eq(p->opens[2].access, POLICY_ACCESS_WRITE | POLICY_ACCESS_CREATE);
	ck_assert_uint_eq(p->opens[3].access,
	                  POLICY_ACCESS_APPEND | POLICY_ACCESS_WRITE | POLICY_ACCESS_CREATE);
	ck_assert_uint_eq(p->opens[3].mode, 0640);
	ck_assert(p->opens[3].has_mode);
	ck_assert_str_eq(p->opens[3].path, "/var/log/demo/access.log");

	ck_assert_uint_eq(p->nrules, 13);
	r = &p->rules[0];
	ck_assert_int_eq(r->verdict, POLICY_ALLOW);
	ck_assert_int_eq(r->op, POLICY_OP_OPEN);
	ck_assert_str_eq(r->pattern, "/srv/demo/**");
	ck_assert_str_eq(r->prefix, "/srv/demo");
	ck_assert_uint_eq(r->rights,
	                  POLICY_RIGHT_READ | POLICY_RIGHT_DIRECTORY | POLICY_RIGHT_NOSYMLINKS);
	r = &p->rules[1];
	ck_assert_uint_eq(r->rights, POLICY_RIGHT_READ | POLICY_RIGHT_WRITE | POLICY_RIGHT_CREATE |
	                                 POLICY_RIGHT_TRUNCATE);
	ck_assert_uint_eq(r->mode, 0644);
	ck_assert_str_eq(r->prefix, "/var/cache/demo");
	ck_assert_str_eq(p->rules[2].prefix, "/etc");
	r = &p->rules[3];
	ck_assert_int_eq(r->verdict, POLICY_DENY);
	ck_assert_uint_eq(r->rights, POLICY_RIGHT_WRITE);
	ck_assert_uint_eq(p->rules[4].rights, 0); /* deny with no rights: everything */
	r = &p->rules[5];
	ck_assert_int_eq(r->op, POLICY_OP_CONNECT);
	ck_assert_int_eq(r->addr.sock, POLICY_SOCK_TCP);
	ck_assert_uint_eq(r->addr.v4.s_addr, htonl(INADDR_LOOPBACK));
	ck_assert_uint_eq(r->addr.port_lo, 5432);
	r = &p->rules[6];
	ck_assert_int_eq(r->addr.sock, POLICY_SOCK_UDP);
	ck_assert_int_eq(inet_pton(AF_INET6, "2001:db8::1", &v6), 1);
	ck_assert(memcmp(&r->addr.v6, &v6, sizeof(v6)) == 0);
	r = &p->rules[7];
	ck_assert(r->addr.any_host);
	ck_assert_int_eq(r->addr.family, AF_UNSPEC);
	ck_assert_uint_eq(r->addr.port_lo, 443);
	r = &p->rules[8];
	ck_assert_int_eq(r->op, POLICY_OP_BIND);
	ck_assert_uint_eq(r->addr.port_lo, 8000);
	ck_assert_uint_eq(r->addr.port_hi, 8099);
	ck_assert_uint_eq(p->rules[9].addr.port_lo, 1);
	ck_assert_uint_eq(p->rules[9].addr.port_hi, 1023);
	r = &p->rules[10];
	ck_assert_int_eq(r->addr.family, AF_UNIX);
	ck_assert_str_eq(r->addr.path, "/run/postgresql/.s.PGSQL.5432");
	ck_assert_int_eq(p->rules[11].verdict, POLICY_DENY);
	ck_assert_int_eq(p->rules[11].op, POLICY_OP_BIND);

	ck_assert_uint_eq(p->caps_keep, (UINT64_C(1) << 10) | (UINT64_C(1) << 13) | UINT64_C(1));
	ck_assert_int_eq(p->seccomp_default, POLICY_SECCOMP_ERRNO);
	ck_assert_int_eq(p->seccomp_default_errno, EPERM);
	ck_assert(p->seccomp_allow_written);
	ck_assert_uint_eq(p->nsyscalls, 6);
	ck_assert_str_eq(p->syscalls[0].name, "@system-service");
	ck_assert_int_eq(p->syscalls[2].action, POLICY_SECCOMP_ALLOW);
	ck_assert_str_eq(p->syscalls[2].name, "read");
	ck_assert_uint_eq(p->syscalls[2].loc.col, 38);
	ck_assert_int_eq(p->syscalls[3].action, POLICY_SECCOMP_KILL);
	ck_assert_int_eq(p->syscalls[4].action, POLICY_SECCOMP_ERRNO);
	ck_assert_int_eq(p->syscalls[5].errno_val, ENOSYS);
	ck_assert_uint_eq(p->intercept,
	                  POLICY_INTERCEPT_OPEN | POLICY_INTERCEPT_BIND | POLICY_INTERCEPT_CONNECT);
	ck_assert_uint_eq(p->intercept_loc.line, 31);

	/* the included file's rule comes last and points into the file table */
	ck_assert_uint_eq(p->nfiles, 2);
	ck_assert_str_eq(p->files[1], DATA "inc/extra.policy");
	ck_assert_str_eq(p->rules[12].pattern, "/opt/demo/**");
	ck_assert_ptr_eq(p->rules[12].loc.file, p->files[1]);
	ck_assert_uint_eq(p->rules[12].loc.line, 3);
	policy_free(p);
	p = NULL;
	policy_diags_free(&d);
}
END_TEST

/* Statements of nested includes keep their own file and line. */
START_TEST(included_statements_are_merged)
{
	struct policy_diags d = {0};
	struct policy *p = NULL;

	ck_assert_int_eq(
	    policy_load_file(DATA "include_relative.policy", POLICY_LOAD_TRUST_FILE, &p, &d), 0);
	ck_assert_uint_eq(p->nopens, 1);
	ck_assert_str_eq(p->opens[0].loc.file, DATA "inc/rel/sub/inner.policy");
	ck_assert_uint_eq(p->opens[0].loc.line, 1);
	ck_assert_uint_eq(p->nlistens, 1);
	ck_assert_str_eq(p->listens[0].loc.file, DATA "inc/rel/outer.policy");
	ck_assert_uint_eq(p->listens[0].loc.line, 2);
	policy_free(p);
	policy_diags_free(&d);
}
END_TEST

static const struct {
	const char *pattern;
	const char *prefix;
} prefixes[] = {
    {"/srv/demo/**", "/srv/demo"},
    {"/etc/*.conf", "/etc"},
    {"/**", "/"},
    {"/", "/"},
    {"/etc/hosts", "/etc"},
    {"/a/*/b/**", "/a"},
    {"/var/lib/x/*", "/var/lib/x"},
    {"/x", "/"},
    {"/a/b/c/d", "/a/b/c"},
};

START_TEST(prefix_is_the_fixed_leading_directories)
{
	char *text = th_fmt(HDR "allow open %s read\n", prefixes[_i].pattern);
	struct policy *p = load_ok(text);

	ck_assert_str_eq(p->rules[0].pattern, prefixes[_i].pattern);
	ck_assert_str_eq(p->rules[0].prefix, prefixes[_i].prefix);
	policy_free(p);
	free(text);
}
END_TEST

static const struct {
	const char *addr;
	int family;
	bool any;
	uint16_t lo, hi;
} addrs[] = {
    {"tcp 127.0.0.1:80", AF_INET, false, 80, 80},
    {"udp [::1]:53", AF_INET6, false, 53, 53},
    {"tcp *:443", AF_UNSPEC, true, 443, 443},
    {"tcp 10.0.0.1:1-65535", AF_INET, false, 1, 65535},
    {"tcp [fe80::1]:8000-8000", AF_INET6, false, 8000, 8000},
    {"udp *:1-2", AF_UNSPEC, true, 1, 2},
};

START_TEST(rule_addresses_and_port_ranges)
{
	char *text = th_fmt(HDR "allow connect %s\n", addrs[_i].addr);
	struct policy *p = load_ok(text);

	ck_assert_int_eq(p->rules[0].addr.family, addrs[_i].family);
	ck_assert_int_eq(p->rules[0].addr.any_host, addrs[_i].any);
	ck_assert_uint_eq(p->rules[0].addr.port_lo, addrs[_i].lo);
	ck_assert_uint_eq(p->rules[0].addr.port_hi, addrs[_i].hi);
	policy_free(p);
	free(text);
}
END_TEST

static const struct {
	const char *line;
	const char *needle; /* in the printed diagnostics */
} bad_lines[] = {
    {"listen a tcp 127.0.0.1:65536", "3:24: error: bad port '65536'"},
    {"listen a tcp 256.0.0.1:80", "error: bad address '256.0.0.1'"},
    {"listen a tcp [::1]:80 backlog 65536", "bad backlog '65536'"},
    {"listen a udp 127.0.0.1:53 mode 0600", "'mode' applies only to unix"},
    {"listen a unix /run/x.sock backlog 1 backlog 2", "duplicate option 'backlog'"},
    {"allow open /srv/** read read", "duplicate right 'read'"},
    {"deny open /srv/** mode 0600", "no meaning on a deny rule"},
    {"allow connect unix /run/"
     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
     "aaaaaaaaaaaaaaaaa",
     "unix socket path is 108 bytes long; the limit is 107"},
    {"seccomp deny read errno EPERM errno EPERM", "'errno ENAME' must come last"},
    {"capabilities none net_admin", "unexpected 'net_admin'"},
    {"capabilities keep", "'keep' needs at least one capability"},
    {"groups adm,,wheel", "invalid group name or gid ''"},
    {"group 4294967295", "invalid group name or gid '4294967295'"},
    {"user daemon", "duplicate 'user' (first at t.policy:2)"},
    {"intercept", "missing argument; usage: intercept"},
    {"open x /etc/x readwrite create create", "duplicate option 'create'"},
};

START_TEST(invalid_values_are_errors)
{
	char *text = th_fmt(HDR "%s\n", bad_lines[_i].line);
	char *out = load_err(text);

	ck_assert_msg(strstr(out, bad_lines[_i].needle) != NULL, "'%s' not in:\n%s",
	              bad_lines[_i].needle, out);
	free(out);
	free(text);
}
END_TEST

START_TEST(defaults_when_absent)
{
	struct policy *p = load_ok(HDR);

	ck_assert_int_eq(p->seccomp_default, POLICY_SECCOMP_KILL);
	ck_assert_uint_eq(p->seccomp_default_loc.line, 0);
	ck_assert_uint_eq(p->caps_keep, 0);
	ck_assert(!p->seccomp_allow_written);
	ck_assert_uint_eq(p->nsyscalls, 0);
	ck_assert_uint_eq(p->intercept, 0);
	ck_assert_ptr_null(p->group);
	ck_assert_uint_eq(p->ngroups, 0);
	ck_assert_uint_eq(p->nlistens + p->nopens + p->nrules, 0);
	policy_free(p);
	policy_free(NULL);
}
END_TEST

START_TEST(errors_stop_after_the_maximum)
{
	char *text = strdup(HDR), *next;
	struct policy_diags d = {0};
	struct policy *p = NULL;
	int i;

	for (i = 0; i < POLICY_MAX_ERRORS + 20; i++) {
		next = th_fmt("%sbogus%d\n", text, i);
		free(text);
		text = next;
	}
	ck_assert_int_eq(policy_load_string("t.policy", text, strlen(text), 0, &p, &d), -1);
	ck_assert_uint_eq(d.nerrors, POLICY_MAX_ERRORS);
	ck_assert_int_eq(d.v[d.n - 1].severity, POLICY_NOTE);
	ck_assert_ptr_nonnull(strstr(d.v[d.n - 1].msg, "too many errors"));
	policy_diags_free(&d);
	free(text);
}
END_TEST

/* gcc's layout: the caret line keeps the source's tabs so it lines up at any tab width. */
START_TEST(caret_line_preserves_tabs)
{
	char *out = load_err(HDR "\tlisten x tcp\t127.0.0.1:0\n");

	ck_assert_str_eq(out, "t.policy:3:25: error: bad port '0' (expected 1-65535)\n"
	                      "    3 | \tlisten x tcp\t127.0.0.1:0\n"
	                      "      | \t            \t          ^\n");
	free(out);
}
END_TEST

START_TEST(load_string_resolves_includes_next_to_name)
{
	const char *text = HDR "include \"inc/extra.policy\"\n";
	struct policy_diags d = {0};
	struct policy *p = NULL;

	ck_assert_int_eq(policy_load_string(DATA "virtual.policy", text, strlen(text),
	                                    POLICY_LOAD_TRUST_FILE, &p, &d),
	                 0);
	ck_assert_uint_eq(p->nrules, 1);
	ck_assert_str_eq(p->rules[0].pattern, "/opt/demo/**");
	policy_free(p);
	policy_diags_free(&d);
}
END_TEST

/* ---- lexer ------------------------------------------------------------------------------- */

START_TEST(lexer_words_strings_and_columns)
{
	const char *line = "  open \"a b\\t\\x41\\\"\\\\\" /x#y # comment \"";
	struct lex_tokens t = {0};
	struct lex_error e;

	ck_assert_int_eq(lex_line(line, strlen(line), &t, &e), 0);
	ck_assert_uint_eq(t.n, 3);
	ck_assert_str_eq(t.v[0].text, "open");
	ck_assert_uint_eq(t.v[0].col, 3);
	ck_assert_int_eq(t.v[1].kind, LEX_STRING);
	ck_assert_str_eq(t.v[1].text, "a b\tA\"\\");
	ck_assert_uint_eq(t.v[1].col, 8);
	ck_assert_str_eq(t.v[2].text, "/x#y");
	ck_assert_uint_eq(t.v[2].col, 24);
	lex_tokens_free(&t);
}
END_TEST

START_TEST(lexer_refuses_nul_and_long_lines)
{
	char *big = malloc(LEX_MAX_LINE + 3);
	struct lex_reader r;
	struct lex_srcline l;

	lex_reader_init(&r, "a\0b\nok", 6);
	ck_assert(lex_next_line(&r, &l));
	ck_assert_uint_eq(l.nul_at, 1);
	ck_assert(lex_next_line(&r, &l));
	ck_assert_uint_eq(l.lineno, 2);
	ck_assert_uint_eq(l.nul_at, SIZE_MAX);
	ck_assert(!lex_next_line(&r, &l));

	memset(big, 'x', LEX_MAX_LINE + 2);
	big[LEX_MAX_LINE] = '\n';
	lex_reader_init(&r, big, LEX_MAX_LINE + 2);
	ck_assert(lex_next_line(&r, &l));
	ck_assert(!l.too_long); /* exactly 4096 bytes is fine */
	big[LEX_MAX_LINE] = 'x';
	lex_reader_init(&r, big, LEX_MAX_LINE + 2);
	ck_assert(lex_next_line(&r, &l));
	ck_assert(l.too_long);
	free(big);
}
END_TEST

/* ---- groups and names -------------------------------------------------------------------- */

START_TEST(every_group_member_resolves)
{
	const struct policy_group *g;
	const char *const *m;

	for (g = policy_groups; g->name != NULL; g++) {
		ck_assert_msg(g->name[0] == '@', "%s", g->name);
		ck_assert_msg(g->description != NULL && *g->description != '\0', "%s", g->name);
		ck_assert_ptr_eq(policy_group_find(g->name), g);
		for (m = g->members; *m != NULL; m++) {
			if ((*m)[0] == '@')
				ck_assert_msg(policy_group_find(*m) != NULL, "%s: no group %s",
				              g->name, *m);
			else
				ck_assert_msg(seccomp_syscall_resolve_name(*m) != __NR_SCMP_ERROR,
				              "%s: libseccomp does not know %s", g->name, *m);
		}
	}
	ck_assert_ptr_null(policy_group_find("@nonsense"));
}
END_TEST

static bool group_contains(const char *group, const char *name, int depth)
{
	const struct policy_group *g = policy_group_find(group);
	const char *const *m;

	ck_assert_ptr_nonnull(g);
	ck_assert_int_lt(depth, 8); /* group nesting must not loop */
	for (m = g->members; *m != NULL; m++)
		if ((*m)[0] == '@' ? group_contains(*m, name, depth + 1) : strcmp(*m, name) == 0)
			return true;
	return false;
}

START_TEST(system_service_excludes_privileged_calls)
{
	static const char *const forbidden[] = {
	    "ptrace",
	    "process_vm_readv",
	    "process_vm_writev",
	    "pidfd_getfd",
	    "io_uring_setup",
	    "io_uring_enter",
	    "io_uring_register",
	    "bpf",
	    "perf_event_open",
	    "userfaultfd",
	    "keyctl",
	    "add_key",
	    "request_key",
	    "init_module",
	    "finit_module",
	    "delete_module",
	    "kexec_load",
	    "kexec_file_load",
	    "mount",
	    "umount2",
	    "pivot_root",
	    "chroot",
	    "move_mount",
	    "open_tree",
	    "fsopen",
	    "fsmount",
	    "fsconfig",
	    "fspick",
	    "mount_setattr",
	    "setns",
	    "unshare",
	    "clone3",
	    "seccomp",
	    "acct",
	    "swapon",
	    "swapoff",
	    "reboot",
	    "settimeofday",
	    "clock_settime",
	    "adjtimex",
	    "quotactl",
	    "lookup_dcookie",
	    "vhangup",
	    "iopl",
	    "ioperm",
	    "name_to_handle_at",
	    "open_by_handle_at",
	    "personality",
	    NULL,
	};
	static const char *const needed[] = {
	    "exit_group",
	    "brk",
	    "mmap",
	    "rt_sigreturn",
	    "arch_prctl",
	    "set_tid_address",
	    "set_robust_list",
	    "rseq",
	    "futex",
	    "getrandom",
	    "restart_syscall",
	    "prlimit64",
	    "execve",
	    "openat",
	    "read",
	    "write",
	    "close",
	    "accept4",
	    "epoll_wait",
	    "clone",
	    "newfstatat",
	    "getdents64",
	    "rt_sigaction",
	    "wait4",
	    "setuid",
	    NULL,
	};
	const char *const *s;

	for (s = forbidden; *s != NULL; s++) {
		ck_assert_msg(!group_contains("@system-service", *s, 0), "%s is in @system-service",
		              *s);
		if (strcmp(*s, "clone3") != 0)
			ck_assert_msg(group_contains("@privileged", *s, 0), "%s not in @privileged",
			              *s);
	}
	for (s = needed; *s != NULL; s++)
		ck_assert_msg(group_contains("@system-service", *s, 0),
		              "%s missing from @system-service", *s);
}
END_TEST

START_TEST(capability_and_errno_names)
{
	ck_assert_int_eq(policy_cap_from_name("net_bind_service"), 10);
	ck_assert_int_eq(policy_cap_from_name("CAP_NET_BIND_SERVICE"), 10);
	ck_assert_int_eq(policy_cap_from_name("cap_sys_admin"), 21);
	ck_assert_int_eq(policy_cap_from_name("checkpoint_restore"), 40);
	ck_assert_int_eq(policy_cap_from_name("cap_"), -1);
	ck_assert_int_eq(policy_cap_from_name("frob"), -1);
	ck_assert_str_eq(policy_cap_name(0), "chown");
	ck_assert_ptr_null(policy_cap_name(-1));
	ck_assert_ptr_null(policy_cap_name(64));
	ck_assert_int_eq(policy_errno_from_name("EPERM"), EPERM);
	ck_assert_int_eq(policy_errno_from_name("ENOSYS"), ENOSYS);
	ck_assert_int_eq(policy_errno_from_name("EFOO"), -1);
	ck_assert_str_eq(policy_errno_name(EACCES), "EACCES");
	ck_assert_str_eq(policy_errno_name(EAGAIN), "EAGAIN");
	ck_assert_ptr_null(policy_errno_name(0));
	ck_assert_str_eq(policy_sock_name(POLICY_SOCK_UNIX), "unix");
	ck_assert_str_eq(policy_op_name(POLICY_OP_CONNECT), "connect");
}
END_TEST

/* ---- policy-file safety ------------------------------------------------------------------ */

static char *tmp;

static void tmp_setup(void)
{
	tmp = th_tmpdir();
}

static void tmp_teardown(void)
{
	th_rmrf(tmp);
	free(tmp);
	tmp = NULL;
}

static int load_path(const char *path, unsigned flags, char **ret_out)
{
	struct policy_diags d = {0};
	struct policy *p = NULL;
	int r, err;

	r = policy_load_file(path, flags, &p, &d);
	err = errno;
	*ret_out = diags_text(&d);
	policy_free(p);
	policy_diags_free(&d);
	errno = err;
	return r;
}

START_TEST(world_writable_policy_is_refused)
{
	char *path = th_fmt("%s/p.policy", tmp), *out;

	th_write_file(path, HDR, 0666);
	ck_assert_int_eq(load_path(path, 0, &out), -1);
	ck_assert_int_eq(errno, EPERM);
	ck_assert_ptr_nonnull(strstr(out, "world-writable"));
	ck_assert_ptr_nonnull(strstr(out, "--insecure-policy"));
	free(out);
	ck_assert_int_eq(load_path(path, POLICY_LOAD_TRUST_FILE, &out), 0);
	ck_assert_str_eq(out, "");
	free(out);
	ck_assert_int_eq(chmod(path, 0644), 0);
	ck_assert_int_eq(load_path(path, 0, &out), 0);
	free(out);
	free(path);
}
END_TEST

START_TEST(group_writable_include_is_refused)
{
	char *path = th_fmt("%s/p.policy", tmp), *inc = th_fmt("%s/inc.policy", tmp), *out;

	th_write_file(path, HDR "include \"inc.policy\"\n", 0644);
	th_write_file(inc, "allow open /srv/** read\n", 0664);
	ck_assert_int_eq(load_path(path, 0, &out), -1);
	ck_assert_int_eq(errno, EPERM);
	ck_assert_ptr_nonnull(strstr(out, "group-writable"));
	ck_assert_ptr_nonnull(strstr(out, "--insecure-policy"));
	free(out);
	ck_assert_int_eq(load_path(path, POLICY_LOAD_TRUST_FILE, &out), 0);
	free(out);
	free(inc);
	free(path);
}
END_TEST

START_TEST(policy_owned_by_another_user_is_refused)
{
	char *path = th_fmt("%s/p.policy", tmp), *out;

	if (!th_is_root()) {
		fprintf(stderr, "skip: chown to another uid needs root\n");
		free(path);
		return;
	}
	th_write_file(path, HDR, 0644);
	ck_assert_int_eq(chown(path, 4242, 4242), 0);
	ck_assert_int_eq(load_path(path, 0, &out), -1);
	ck_assert_int_eq(errno, EPERM);
	ck_assert_ptr_nonnull(strstr(out, "owned by another user"));
	free(out);
	free(path);
}
END_TEST

START_TEST(missing_file_keeps_errno)
{
	char *path = th_fmt("%s/none.policy", tmp), *out;

	ck_assert_int_eq(load_path(path, 0, &out), -1);
	ck_assert_int_eq(errno, ENOENT);
	ck_assert_ptr_nonnull(strstr(out, "cannot read policy"));
	free(out);
	free(path);
}
END_TEST

/* ---- suite ------------------------------------------------------------------------------- */

static int count(const char *const *list)
{
	int n = 0;

	while (list[n] != NULL)
		n++;
	return n;
}

#define NELEM(a) (int)(sizeof(a) / sizeof((a)[0]))

static Suite *policy_suite(void)
{
	Suite *s = suite_create("policy");
	TCase *tc;

	tc = tcase_create("golden_diagnostics");
	tcase_add_loop_test(tc, golden_valid_policies, 0, count(golden_valid));
	tcase_add_loop_test(tc, golden_error_policies, 0, count(golden_errors));
	tcase_add_loop_test(tc, golden_lexer_policies, 0, count(golden_lexer));
	tcase_add_loop_test(tc, golden_include_policies, 0, count(golden_include));
	tcase_add_test(tc, every_golden_file_is_run);
	tcase_add_test(tc, example_policy_is_clean);
	suite_add_tcase(s, tc);

	tc = tcase_create("parsed_fields");
	tcase_add_test(tc, fields_of_every_statement_form);
	tcase_add_test(tc, included_statements_are_merged);
	tcase_add_loop_test(tc, prefix_is_the_fixed_leading_directories, 0, NELEM(prefixes));
	tcase_add_loop_test(tc, rule_addresses_and_port_ranges, 0, NELEM(addrs));
	tcase_add_test(tc, defaults_when_absent);
	tcase_add_test(tc, load_string_resolves_includes_next_to_name);
	suite_add_tcase(s, tc);

	tc = tcase_create("errors_are_reported");
	tcase_add_loop_test(tc, invalid_values_are_errors, 0, NELEM(bad_lines));
	tcase_add_test(tc, errors_stop_after_the_maximum);
	tcase_add_test(tc, caret_line_preserves_tabs);
	suite_add_tcase(s, tc);

	tc = tcase_create("lexer");
	tcase_add_test(tc, lexer_words_strings_and_columns);
	tcase_add_test(tc, lexer_refuses_nul_and_long_lines);
	suite_add_tcase(s, tc);

	tc = tcase_create("syscall_groups_and_names");
	tcase_add_test(tc, every_group_member_resolves);
	tcase_add_test(tc, system_service_excludes_privileged_calls);
	tcase_add_test(tc, capability_and_errno_names);
	suite_add_tcase(s, tc);

	tc = tcase_create("unsafe_policy_files_are_refused");
	tcase_add_checked_fixture(tc, tmp_setup, tmp_teardown);
	tcase_add_test(tc, world_writable_policy_is_refused);
	tcase_add_test(tc, group_writable_include_is_refused);
	tcase_add_test(tc, policy_owned_by_another_user_is_refused);
	tcase_add_test(tc, missing_file_keeps_errno);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return th_run_suite(policy_suite());
}
