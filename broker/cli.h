/*
 * cli.h — the policy tooling subcommands of the fdbroker command line: check, dump, explain.
 * Program code: each entry point parses its own options (argv[0] is the subcommand name),
 * prints its own diagnostics and usage errors, and returns the process exit status.
 */
#ifndef FDBROKER_CLI_H
#define FDBROKER_CLI_H

#include <stdio.h>

#include "policy.h"

/* Exit statuses shared by check, dump and explain. */
enum {
	CLI_EXIT_OK = 0,    /* check: clean; explain: allow */
	CLI_EXIT_FAIL = 1,  /* check: errors; explain: deny; dump: the policy does not load */
	CLI_EXIT_USAGE = 2, /* usage error, unknown syscall name */
};

/* fdbroker check [--format text|json] [--insecure-policy] POLICY... */
int cli_check(int argc, char **argv);
/* fdbroker dump -p POLICY [--format text|json] [--insecure-policy] */
int cli_dump(int argc, char **argv);
/* fdbroker explain -p POLICY [--insecure-policy] REQUEST... */
int cli_explain(int argc, char **argv);

/* ---- shared helpers (broker/cli_util.c) ---------------------------------------------------- */

/* Print a usage error for subcommand `cmd`; returns CLI_EXIT_USAGE. */
int cli_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Write s as a JSON string literal (quoted, escaped). */
void cli_json_string(FILE *out, const char *s);
/*
 * Load a policy for dump/explain: prints the diagnostics compiler-style on stderr, and checks
 * that user and group names resolve on this machine. Returns the policy, or NULL (reported).
 */
struct policy *cli_load_policy(const char *path, unsigned flags);
/*
 * Check that the policy's user, group and groups resolve on this machine (names through NSS,
 * numbers as they are). Calls report() once per name that does not; returns how many.
 */
typedef void cli_report_fn(const struct policy_loc *loc, const char *msg, void *arg);
int cli_names_check(const struct policy *p, cli_report_fn *report, void *arg);
/* A cli_report_fn that prints "FILE:LINE:COL: error: MSG" on stderr. */
void cli_report_text(const struct policy_loc *loc, const char *msg, void *arg);
/* "tcp 127.0.0.1:80", "tcp [::1]:8000-8099", "udp *:53", "unix /run/x.sock" into buf. */
const char *cli_addr_format(const struct policy_addr *a, char *buf, size_t size);
/* "FILE:LINE" of a location, or "built-in default" for line 0, into buf. */
const char *cli_loc_format(const struct policy_loc *loc, char *buf, size_t size);

#endif
