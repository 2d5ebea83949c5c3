/*
 * main.c — the fdbroker command line: subcommands and their options.
 */
#define _GNU_SOURCE
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "broker.h"
#include "cli.h"
#include "log.h"

/* Usage errors outside `run` (which uses 125 for everything it cannot start). */
enum {
	EXIT_USAGE = 2,
};

static const char usage_text[] =
	"Usage:\n"
	"  fdbroker run -p POLICY [-v]... [--log-format text|json] [--insecure-policy]\n"
	"               [--] COMMAND [ARG]...\n"
	"  fdbroker check [--format text|json] [--insecure-policy] POLICY...\n"
	"  fdbroker dump -p POLICY [--format text|json] [--insecure-policy]\n"
	"  fdbroker explain -p POLICY [--insecure-policy] REQUEST...\n"
	"  fdbroker --help | --version\n"
	"\n"
	"Commands:\n"
	"  run      open the listeners and files POLICY declares (as root), then run COMMAND\n"
	"           as the policy's unprivileged user under its seccomp filter, with those fds\n"
	"           at 3.. as in systemd socket activation (LISTEN_FDS, LISTEN_FDNAMES,\n"
	"           LISTEN_PID), serving its runtime requests (libfdbroker) and, with\n"
	"           `intercept`, its plain open/bind/connect calls. Exits with COMMAND's status;\n"
	"           128+N if it died of signal N; 125 if fdbroker failed; 126 if COMMAND cannot\n"
	"           be executed; 127 if not found.\n"
	"  check    validate policy files; exit 0 if clean (warnings allowed), 1 on errors,\n"
	"           2 on usage errors.\n"
	"  dump     print the policy normalized, includes expanded, every default visible.\n"
	"  explain  say whether POLICY allows a request and which rule decides:\n"
	"           open PATH [RIGHTS...] | connect ADDRESS | bind ADDRESS | syscall NAME;\n"
	"           exit 0 allow, 1 deny, 2 usage.\n"
	"\n"
	"Options:\n"
	"  -p, --policy FILE     the policy file (run, dump, explain)\n"
	"  -v, --verbose         more log on stderr; twice for debug (run)\n"
	"      --log-format FMT  audit lines as text (default) or json, one object per line\n"
	"      --format FMT      output as text (default) or json (check, dump)\n"
	"      --insecure-policy accept a policy file that others can write\n"
	"  -h, --help            show this help\n"
	"  -V, --version         show the version\n"
	"\n"
	"See fdbroker(1) and fdbroker.policy(5).\n";

enum {
	OPT_INSECURE = 256,
	OPT_LOG_FORMAT,
};

static int usage_error(const char *msg, const char *arg, int status)
{
	fprintf(stderr, "fdbroker: %s%s%s\nTry 'fdbroker --help' for more information.\n", msg,
		arg != NULL ? " " : "", arg != NULL ? arg : "");
	return status;
}

static int cmd_run(int argc, char **argv)
{
	static const struct option opts[] = {
		{"policy", required_argument, NULL, 'p'},
		{"verbose", no_argument, NULL, 'v'},
		{"insecure-policy", no_argument, NULL, OPT_INSECURE},
		{"log-format", required_argument, NULL, OPT_LOG_FORMAT},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct run_options o = {0};
	int c, verbosity = 0;

	optind = 1;
	/* '+': stop at the first non-option, so COMMAND's own options stay its own. */
	while ((c = getopt_long(argc, argv, "+p:vh", opts, NULL)) != -1) {
		switch (c) {
		case 'p':
			o.policy_path = optarg;
			break;
		case 'v':
			verbosity++;
			break;
		case OPT_INSECURE:
			o.load_flags |= POLICY_LOAD_TRUST_FILE;
			break;
		case OPT_LOG_FORMAT:
			if (strcmp(optarg, "json") == 0)
				o.log_json = true;
			else if (strcmp(optarg, "text") != 0)
				return usage_error("run: --log-format must be text or json, not",
						   optarg, BROKER_EXIT_LAUNCH);
			break;
		case 'h':
			fputs(usage_text, stdout);
			return 0;
		default:
			return usage_error("run: invalid option", NULL, BROKER_EXIT_LAUNCH);
		}
	}
	if (o.policy_path == NULL)
		return usage_error("run: no policy given (-p POLICY)", NULL, BROKER_EXIT_LAUNCH);
	if (optind >= argc)
		return usage_error("run: no command given", NULL, BROKER_EXIT_LAUNCH);
	o.argv = argv + optind;
	log_init("fdbroker", verbosity);
	return run_main(&o);
}

int main(int argc, char **argv)
{
	log_init("fdbroker", 0);
	if (argc < 2)
		return usage_error("no command given", NULL, EXIT_USAGE);
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		fputs(usage_text, stdout);
		return 0;
	}
	if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0) {
		printf("fdbroker %s (protocol 1, policy version 1)\n", FDBROKER_VERSION);
		return 0;
	}
	if (strcmp(argv[1], "run") == 0)
		return cmd_run(argc - 1, argv + 1);
	if (strcmp(argv[1], "check") == 0)
		return cli_check(argc - 1, argv + 1);
	if (strcmp(argv[1], "dump") == 0)
		return cli_dump(argc - 1, argv + 1);
	if (strcmp(argv[1], "explain") == 0)
		return cli_explain(argc - 1, argv + 1);
	return usage_error("unknown command:", argv[1], EXIT_USAGE);
}
