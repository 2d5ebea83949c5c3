/*
 * cli_util.c — helpers shared by the check, dump and explain subcommands: usage errors, JSON
 * strings, loading a policy with its diagnostics, and name resolution on this machine.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

int cli_usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "fdbroker %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry 'fdbroker --help' for more information.\n");
	return CLI_EXIT_USAGE;
}

void cli_json_string(FILE *out, const char *s)
{
	const unsigned char *c;

	if (s == NULL) {
		fputs("null", out);
		return;
	}
	fputc('"', out);
	for (c = (const unsigned char *)s; *c != '\0'; c++) {
		switch (*c) {
		case '"':
			fputs("\\\"", out);
			break;
		case '\\':
			fputs("\\\\", out);
			break;
		case '\n':
			fputs("\\n", out);
			break;
		case '\t':
			fputs("\\t", out);
			break;
		default:
			/* control bytes and DEL escaped; other bytes pass (policy text is UTF-8) */
			if (*c < 0x20 || *c == 0x7f)
				fprintf(out, "\\u%04x", *c);
			else
				fputc(*c, out);
		}
	}
	fputc('"', out);
}

static bool is_number(const char *s)
{
	if (*s == '\0')
		return false;
	for (; *s != '\0'; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

static int check_group(const char *name, const struct policy_loc *loc, cli_report_fn *report,
		       void *arg)
{
	char msg[POLICY_MAX_NAME + 64];

	if (is_number(name))
		return 0;
	errno = 0;
	if (getgrnam(name) != NULL)
		return 0;
	snprintf(msg, sizeof(msg), "unknown group '%s'%s%s", name, errno ? ": " : "",
		 errno ? strerror(errno) : "");
	report(loc, msg, arg);
	return 1;
}

int cli_names_check(const struct policy *p, cli_report_fn *report, void *arg)
{
	char msg[POLICY_MAX_NAME + 64];
	int n = 0;
	size_t i;

	if (p->user != NULL && !is_number(p->user) && getpwnam(p->user) == NULL) {
		snprintf(msg, sizeof(msg), "unknown user '%s'", p->user);
		report(&p->user_loc, msg, arg);
		n++;
	}
	if (p->group != NULL)
		n += check_group(p->group, &p->group_loc, report, arg);
	for (i = 0; i < p->ngroups; i++)
		n += check_group(p->groups[i], &p->groups_loc, report, arg);
	return n;
}

void cli_report_text(const struct policy_loc *loc, const char *msg, void *arg)
{
	fprintf(stderr, "%s:%u:%u: error: %s\n", loc->file, loc->line, loc->col, msg);
}

struct policy *cli_load_policy(const char *path, unsigned flags)
{
	struct policy_diags diags = {0};
	struct policy *p = NULL;
	int r, saved;

	r = policy_load_file(path, flags, &p, &diags);
	saved = errno;
	policy_diags_print(&diags, stderr);
	if (r < 0 && diags.nerrors == 0)
		fprintf(stderr, "fdbroker: %s: %s\n", path, strerror(saved));
	policy_diags_free(&diags);
	if (r < 0)
		return NULL;
	if (cli_names_check(p, cli_report_text, NULL) > 0) {
		policy_free(p);
		return NULL;
	}
	return p;
}

const char *cli_addr_format(const struct policy_addr *a, char *buf, size_t size)
{
	char host[INET6_ADDRSTRLEN + 2], port[16];

	if (a->sock == POLICY_SOCK_UNIX) {
		snprintf(buf, size, "unix %s", a->path != NULL ? a->path : "");
		return buf;
	}
	if (a->any_host)
		snprintf(host, sizeof(host), "*");
	else if (a->family == AF_INET6) {
		host[0] = '[';
		inet_ntop(AF_INET6, &a->v6, host + 1, sizeof(host) - 2);
		strcat(host, "]");
	} else
		inet_ntop(AF_INET, &a->v4, host, sizeof(host));
	if (a->port_lo == a->port_hi)
		snprintf(port, sizeof(port), "%u", a->port_lo);
	else
		snprintf(port, sizeof(port), "%u-%u", a->port_lo, a->port_hi);
	snprintf(buf, size, "%s %s:%s", policy_sock_name(a->sock), host, port);
	return buf;
}

const char *cli_loc_format(const struct policy_loc *loc, char *buf, size_t size)
{
	if (loc->line == 0 || loc->file == NULL)
		snprintf(buf, size, "built-in default");
	else
		snprintf(buf, size, "%s:%u", loc->file, loc->line);
	return buf;
}
