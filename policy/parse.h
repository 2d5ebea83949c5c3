/*
 * parse.h — private to policy/: the parser state shared by load.c (files, includes, the
 * statement loop) and parse.c (one function per statement, validation).
 */
#ifndef FDBROKER_POLICY_PARSE_H
#define FDBROKER_POLICY_PARSE_H

#include <stdbool.h>
#include <string.h>
#include <sys/types.h>

#include "lex.h"
#include "policy.h"

#define POLICY_MAX_INCLUDE_DEPTH 16

/* One file on the include stack. frames[0] is the top-level file. */
struct frame {
	const char *file; /* in policy->files */
	dev_t dev;        /* identity for cycle detection, when has_id */
	ino_t ino;
	bool has_id;
	unsigned nstmts;       /* statements seen so far in this file */
	unsigned version_line; /* 0 until a version statement */
	/* where this file was included from (frames[k>0] only): in frames[k-1].file */
	unsigned inc_line;
	unsigned inc_col;
	char *inc_src;
};

struct parser {
	struct policy *p;
	struct policy_diags *d;
	unsigned flags;
	struct frame frames[POLICY_MAX_INCLUDE_DEPTH + 1];
	size_t depth; /* index of the file being read */
	bool nomem;   /* an allocation failed: the result is ENOMEM */
	bool unsafe;  /* a file failed the ownership/permission check: EPERM */
	bool stopped; /* too many errors */
	struct policy_loc version_loc;
	struct policy_loc caps_seen; /* line 0 until a capabilities statement */
	struct policy_loc groups_seen;
};

/* One statement: its tokens (at least one) and where it was written. */
struct stmt {
	struct lex_tokens t;
	const char *file; /* in policy->files */
	unsigned line;
	const char *src; /* the line's text, for diagnostics */
};

/* Report at a statement's column; in an included file, notes follow for the include chain. */
void parse_error(struct parser *ps, const struct stmt *st, unsigned col, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
void parse_warning(struct parser *ps, const struct stmt *st, unsigned col, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Report without a statement (file may be NULL for the top-level file; line 0 allowed). */
void parse_diag_at(struct parser *ps, enum policy_severity sev, const char *file, unsigned line,
                   unsigned col, const char *src, const char *fmt, ...)
    __attribute__((format(printf, 7, 8)));

#define ARG(i) (&st->t.v[(i)])
#define NARGS (st->t.n)

static inline bool streq(const char *a, const char *b)
{
	return strcmp(a, b) == 0;
}

/* values.c: helpers. On failure they report (or set ps->nomem) and return false/NULL. */
void parse_nomem(struct parser *ps);
char *parse_strdup(struct parser *ps, const char *s);
/* Grow *arrp (an array of n elements of size bytes) by one zeroed element; returns it. */
void *parse_grow(struct parser *ps, void *arrp, size_t *n, size_t size);
struct policy_loc parse_loc(const struct stmt *st);
/* Column of byte `off` of a token: exact for words, the token's start for quoted strings. */
unsigned parse_col(const struct lex_token *tk, size_t off);
void parse_unknown_word(struct parser *ps, const struct stmt *st, const struct lex_token *tk,
                        const char *what, const char *const *known);
bool parse_nargs(struct parser *ps, const struct stmt *st, size_t min, size_t max,
                 const char *usage);
bool parse_dup_check(struct parser *ps, const struct stmt *st, const struct policy_loc *first,
                     const char *what);

/* values.c: values. */
bool parse_ulong(const char *s, unsigned long max, unsigned long *ret);
bool parse_mode(struct parser *ps, const struct stmt *st, const struct lex_token *tk, mode_t *ret);
bool parse_id_name(const char *s);
bool parse_fd_name(struct parser *ps, const struct stmt *st, const struct lex_token *tk);
bool parse_path(struct parser *ps, const struct stmt *st, const struct lex_token *tk, bool pattern);
char *parse_pattern_prefix(const char *pat);
bool parse_sockaddr(struct parser *ps, const struct stmt *st, size_t i, bool rule,
                    struct policy_addr *a);

/* seccomp.c */
void parse_st_capabilities(struct parser *ps, struct stmt *st);
void parse_st_seccomp(struct parser *ps, struct stmt *st);

/* parse.c: one statement; the checks that need the whole policy, after the last file. */
void parse_statement(struct parser *ps, struct stmt *st);
void parse_finish(struct parser *ps);

/* load.c: the include statement (reads the file and parses it recursively). */
void load_include(struct parser *ps, struct stmt *st);

#endif
