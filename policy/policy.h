/*
 * policy.h — the fdbroker policy language (fdbroker.policy(5)): parsed form and diagnostics.
 *
 * Pure code: parsing and validation touch no OS state beyond reading the policy file(s)
 * (user and group names are resolved by the broker, not here). Functions return 0 or -1 with
 * errno, or a pointer / NULL; they never print. Diagnostics come back as a list of
 * {file, line, column, severity, message} for the caller to print.
 */
#ifndef FDBROKER_POLICY_H
#define FDBROKER_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <netinet/in.h>
#include <sys/types.h>

#define POLICY_VERSION 1
#define POLICY_MAX_NAME 255   /* listener/file names, as in LISTEN_FDNAMES */
#define POLICY_MAX_ERRORS 50  /* diagnostics stop after this many errors */

/* Where a statement was written. `file` points into the policy's file-name table. */
struct policy_loc {
	const char *file;
	unsigned line; /* 1-based; 0 means "built-in default" */
	unsigned col;  /* 1-based */
};

enum policy_sock {
	POLICY_SOCK_TCP = 1,
	POLICY_SOCK_UDP = 2,
	POLICY_SOCK_UNIX = 3,
};

/* A socket address as written in the policy: `tcp 127.0.0.1:80`, `udp [::1]:53`,
 * `tcp 127.0.0.1:8000-8099` (rules only), `tcp *:443` (rules only: any address),
 * `unix /run/x.sock`. */
struct policy_addr {
	enum policy_sock sock;
	int family;       /* AF_INET, AF_INET6 or AF_UNIX */
	bool any_host;    /* `*` in a rule: any address of this family (family is AF_UNSPEC then) */
	struct in_addr v4;
	struct in6_addr v6;
	uint16_t port_lo; /* a single port has port_lo == port_hi */
	uint16_t port_hi;
	char *path;       /* AF_UNIX only */
};

/* listen NAME tcp|udp ADDR:PORT [backlog N] | listen NAME unix PATH [mode 0NNN] [backlog N] */
struct policy_listen {
	char *name;
	struct policy_addr addr;
	int backlog;   /* default 128 for stream sockets */
	mode_t mode;   /* unix sockets only */
	bool has_mode;
	struct policy_loc loc;
};

/* open NAME PATH ACCESS [create] [mode 0NNN]; ACCESS: read|write|append|readwrite */
enum policy_access {
	POLICY_ACCESS_READ = 1u << 0,
	POLICY_ACCESS_WRITE = 1u << 1,
	POLICY_ACCESS_APPEND = 1u << 2, /* implies write */
	POLICY_ACCESS_CREATE = 1u << 3,
};

struct policy_open {
	char *name;
	char *path;      /* absolute */
	unsigned access; /* enum policy_access bits */
	mode_t mode;     /* creation mode; default 0600 */
	bool has_mode;
	struct policy_loc loc;
};

enum policy_verdict {
	POLICY_ALLOW = 1,
	POLICY_DENY = 2,
};

enum policy_op {
	POLICY_OP_OPEN = 1,
	POLICY_OP_CONNECT = 2,
	POLICY_OP_BIND = 3,
};

/* Rights of an `allow open` rule. A deny rule lists none (it denies everything it matches)
 * or some (it denies only those). */
enum policy_right {
	POLICY_RIGHT_READ = 1u << 0,
	POLICY_RIGHT_WRITE = 1u << 1,
	POLICY_RIGHT_APPEND = 1u << 2,
	POLICY_RIGHT_CREATE = 1u << 3,
	POLICY_RIGHT_TRUNCATE = 1u << 4,
	POLICY_RIGHT_DIRECTORY = 1u << 5,
	POLICY_RIGHT_NOSYMLINKS = 1u << 6, /* option: resolve with RESOLVE_NO_SYMLINKS */
	POLICY_RIGHT_ALL = (1u << 7) - 1,
};

/*
 * allow|deny open PATTERN [RIGHTS...] [mode 0NNN]
 * allow|deny connect|bind tcp|udp HOST:PORT[-PORT] | unix PATH
 */
struct policy_rule {
	enum policy_verdict verdict;
	enum policy_op op;
	char *pattern;      /* open: absolute glob, `*` one component, `**` any depth */
	char *prefix;       /* open: the fixed leading directories of pattern (no glob), e.g.
			       "/srv/demo" for "/srv/demo/ **" (no space); "/" at worst */
	unsigned rights;    /* open: enum policy_right bits; 0 on a deny means "all" */
	mode_t mode;        /* open with create: the creation mode (default 0600) */
	struct policy_addr addr; /* connect/bind */
	struct policy_loc loc;
};

enum policy_seccomp_action {
	POLICY_SECCOMP_KILL = 1,  /* the worker process is killed; the broker logs why */
	POLICY_SECCOMP_ERRNO = 2, /* the call fails with errno_val */
	POLICY_SECCOMP_LOG = 3,   /* allowed, and logged by the kernel */
	POLICY_SECCOMP_ALLOW = 4,
};

/*
 * seccomp allow NAME|@GROUP...
 * seccomp deny NAME|@GROUP... [errno ENAME]     (deny without errno kills)
 * One entry per name on the line; the name is a syscall name libseccomp knows on this machine,
 * or a group from policy_groups.
 */
struct policy_syscall {
	enum policy_seccomp_action action; /* ALLOW, KILL or ERRNO */
	int errno_val;
	char *name;     /* "openat" or "@system-service" */
	struct policy_loc loc;
};

enum policy_intercept {
	POLICY_INTERCEPT_OPEN = 1u << 0,
	POLICY_INTERCEPT_BIND = 1u << 1,
	POLICY_INTERCEPT_CONNECT = 1u << 2,
};

/* setenv NAME "VALUE": an environment variable for the worker, for daemons that do not
 * read LISTEN_FDS (nginx: setenv NGINX "{fd:http};"). {fd:NAME} in VALUE becomes the fd
 * number the worker gets for that listen/open name. */
struct policy_setenv {
	char *name;
	char *value;
	struct policy_loc loc;
};

struct policy {
	int version;

	char *user;             /* name or decimal number; required */
	struct policy_loc user_loc;
	char *group;            /* NULL: the user's primary group */
	struct policy_loc group_loc;
	char **groups;          /* supplementary groups; none by default */
	size_t ngroups;
	struct policy_loc groups_loc;

	struct policy_listen *listens;
	size_t nlistens;
	struct policy_open *opens;
	size_t nopens;
	struct policy_rule *rules;
	size_t nrules;

	uint64_t caps_keep;     /* bit n set = keep capability n (CAP_* numbering) */
	struct policy_loc caps_loc;

	enum policy_seccomp_action seccomp_default; /* KILL (default), ERRNO or LOG */
	int seccomp_default_errno;
	struct policy_loc seccomp_default_loc;      /* line 0 when not written */
	struct policy_syscall *syscalls;
	size_t nsyscalls;
	bool seccomp_allow_written; /* false: the default allow list (@system-service) applies */
	/* seccomp allow socket family NAME,...: socket(2) only for these address families
	 * (bit n = AF n); others fail with EAFNOSUPPORT. Unset: no restriction. */
	uint64_t socket_families_mask;
	bool socket_families_set;
	struct policy_loc socket_families_loc;

	struct policy_setenv *setenvs;
	size_t nsetenvs;

	unsigned intercept;     /* enum policy_intercept bits */
	struct policy_loc intercept_loc;

	char **files;           /* every file name that a policy_loc points at */
	size_t nfiles;
};

enum policy_severity {
	POLICY_ERROR = 1,
	POLICY_WARNING = 2,
	POLICY_NOTE = 3,
};

struct policy_diag {
	enum policy_severity severity;
	char *file;
	unsigned line;
	unsigned col;
	char *msg;
	char *source_line; /* the offending line's text, NULL if unknown */
};

struct policy_diags {
	struct policy_diag *v;
	size_t n;
	size_t nerrors;
	size_t nwarnings;
};

/* Flags for policy_load_* */
enum {
	/* Skip the ownership/permission check on policy files (fdbroker --insecure-policy). */
	POLICY_LOAD_TRUST_FILE = 1u << 0,
};

/*
 * Parse and validate a policy file. On success *ret is a new policy (free with policy_free)
 * and diags may still hold warnings. On policy errors returns -1 with errno EINVAL and diags
 * holding at least one error; other errno (ENOENT, EACCES, ENOMEM...) for failures to read,
 * also described in diags. diags must be zero-initialised by the caller; free it with
 * policy_diags_free.
 */
int policy_load_file(const char *path, unsigned flags, struct policy **ret,
		     struct policy_diags *diags);

/* The same for text in memory; `name` is used as the file name in diagnostics. */
int policy_load_string(const char *name, const char *text, size_t len, unsigned flags,
		       struct policy **ret, struct policy_diags *diags);

void policy_free(struct policy *p);
void policy_diags_free(struct policy_diags *d);

/* Print diagnostics, compiler style: "FILE:LINE:COL: error: MESSAGE", then the source line
 * and a caret under the column. Writes to the caller's stream (never to stderr by itself). */
void policy_diags_print(const struct policy_diags *d, FILE *out);

/* ---- activation adapters (policy/activation.c) -------------------------------------------- */

/* The fd number the worker gets for a listen/open name (listeners first, then files, each in
 * declaration order, from 3), or -1 if no statement has that name. */
int policy_fd_number(const struct policy *p, const char *name);

/*
 * Replace every {fd:NAME} in `in` by the worker's fd number for NAME; text without
 * placeholders is copied as is. Returns a malloc'd string, or NULL with errno: ENOENT for an
 * unknown NAME (*ret_bad points at it in `in`, its length in *ret_bad_len), EINVAL for an
 * unterminated "{fd:", ENOMEM.
 */
char *policy_expand_fds(const struct policy *p, const char *in, const char **ret_bad,
			size_t *ret_bad_len);

/* ---- syscall groups (policy/groups.c) ------------------------------------------------------ */

struct policy_group {
	const char *name;        /* "@system-service" */
	const char *description; /* one line: what it is for */
	const char *const *members; /* NULL-terminated; may name other groups ("@basic-io") */
};

/* The built-in groups, NULL-terminated by a {NULL} entry. */
extern const struct policy_group policy_groups[];
const struct policy_group *policy_group_find(const char *name);

/* ---- names ----------------------------------------------------------------------------------- */
const char *policy_sock_name(enum policy_sock s);        /* "tcp" */
const char *policy_op_name(enum policy_op op);           /* "open" */
/* Capability name (without "cap_" prefix) <-> number; -1 if unknown. */
int policy_cap_from_name(const char *name);
const char *policy_cap_name(int cap);
/* Errno name ("EPERM") <-> number; -1/NULL if unknown. */
int policy_errno_from_name(const char *name);
const char *policy_errno_name(int err);
/* Right names, indexed by bit number of enum policy_right, NULL-terminated. */
extern const char *const policy_right_names[];
/* The bit for a right name, 0 if unknown. */
unsigned policy_right_from_name(const char *name);
/* "read write create" (space-separated names of the bits set) into buf. */
const char *policy_rights_text(unsigned rights, char *buf, size_t size);
/* "error", "warning", "note". */
const char *policy_severity_name(enum policy_severity s);

#endif
