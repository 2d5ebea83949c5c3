/*
 * cli_check.c — `fdbroker check`: validate policy files the way `run` would load them.
 *
 * Text output is the parser's compiler-style diagnostics on stderr; --format json writes one
 * JSON document on stdout: an array of {file, line, column, severity, message,
 * included_from?} objects, the "included from here" notes folded into the diagnostic they
 * follow. A user or group name that does not resolve on this machine is an error in both,
 * since `run` would fail on it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

enum {
	OPT_INSECURE = 256,
	OPT_FORMAT,
};

/* State of the JSON array being written. */
struct json_out {
	FILE *out;
	size_t n; /* entries written so far */
};

static bool is_include_note(const struct policy_diag *d)
{
	return d->severity == POLICY_NOTE && d->msg != NULL &&
	       strcmp(d->msg, "included from here") == 0;
}

static void json_begin_entry(struct json_out *j, const char *file, unsigned line, unsigned col,
                             const char *severity, const char *msg)
{
	fprintf(j->out, "%s\n  {\"file\": ", j->n > 0 ? "," : "");
	cli_json_string(j->out, file);
	fprintf(j->out, ", \"line\": %u, \"column\": %u, \"severity\": \"%s\", \"message\": ", line,
	        col, severity);
	cli_json_string(j->out, msg);
	j->n++;
}

static void json_diags(struct json_out *j, const struct policy_diags *d)
{
	size_t i, k;

	for (i = 0; i < d->n; i++) {
		const struct policy_diag *g = &d->v[i];

		if (is_include_note(g))
			continue; /* folded into the entry before it */
		json_begin_entry(j, g->file, g->line, g->col, policy_severity_name(g->severity),
		                 g->msg);
		if (i + 1 < d->n && is_include_note(&d->v[i + 1])) {
			fputs(", \"included_from\": [", j->out);
			for (k = i + 1; k < d->n && is_include_note(&d->v[k]); k++) {
				fprintf(j->out, "%s{\"file\": ", k > i + 1 ? ", " : "");
				cli_json_string(j->out, d->v[k].file);
				fprintf(j->out, ", \"line\": %u, \"column\": %u}", d->v[k].line,
				        d->v[k].col);
			}
			fputc(']', j->out);
		}
		fputc('}', j->out);
	}
}

static void report_json(const struct policy_loc *loc, const char *msg, void *arg)
{
	struct json_out *j = arg;

	json_begin_entry(j, loc->file, loc->line, loc->col, "error", msg);
	fputc('}', j->out);
}

/* Check one file; returns true if it has errors. */
static bool check_one(const char *path, unsigned flags, struct json_out *j)
{
	struct policy_diags diags = {0};
	struct policy *p = NULL;
	bool bad = false;
	int r, saved;

	r = policy_load_file(path, flags, &p, &diags);
	saved = errno;
	if (j != NULL)
		json_diags(j, &diags);
	else
		policy_diags_print(&diags, stderr);
	if (r < 0) {
		bad = true;
		if (diags.nerrors == 0) {
			if (j != NULL) {
				json_begin_entry(j, path, 0, 0, "error", strerror(saved));
				fputc('}', j->out);
			} else {
				fprintf(stderr, "%s: error: %s\n", path, strerror(saved));
			}
		}
	} else if (cli_names_check(p, j != NULL ? report_json : cli_report_text, j) > 0) {
		/* Names must resolve on this machine too, or `run` would fail. */
		bad = true;
	}
	policy_diags_free(&diags);
	policy_free(p);
	return bad;
}

int cli_check(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"insecure-policy", no_argument, NULL, OPT_INSECURE},
	    {"format", required_argument, NULL, OPT_FORMAT},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	struct json_out j = {.out = stdout, .n = 0};
	unsigned flags = 0;
	bool json = false, bad = false;
	int c, i;

	optind = 1;
	opterr = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case OPT_INSECURE:
			flags |= POLICY_LOAD_TRUST_FILE;
			break;
		case OPT_FORMAT:
			if (strcmp(optarg, "json") == 0)
				json = true;
			else if (strcmp(optarg, "text") == 0)
				json = false;
			else
				return cli_usage_error(
				    "check", "--format must be text or json, not '%s'", optarg);
			break;
		case 'h':
			puts("Usage: fdbroker check [--format text|json] [--insecure-policy] "
			     "POLICY...");
			return CLI_EXIT_OK;
		default:
			return cli_usage_error("check", "invalid option");
		}
	}
	if (optind >= argc)
		return cli_usage_error("check", "no policy file given");
	if (json)
		fputc('[', stdout);
	for (i = optind; i < argc; i++)
		if (check_one(argv[i], flags, json ? &j : NULL))
			bad = true;
	if (json) {
		fputs(j.n > 0 ? "\n]\n" : "]\n", stdout);
		fflush(stdout);
	}
	return bad ? CLI_EXIT_FAIL : CLI_EXIT_OK;
}
