/*
 * lex.h — private to policy/: the tokenizer of the policy language.
 *
 * The language is line-oriented: the reader hands out one physical line at a time (refusing
 * NUL bytes and over-long lines), and lex_line() cuts a line into words and double-quoted
 * strings, each with its 1-based byte column so diagnostics can point at it.
 */
#ifndef FDBROKER_POLICY_LEX_H
#define FDBROKER_POLICY_LEX_H

#include <stdbool.h>
#include <stddef.h>

#define LEX_MAX_LINE 4096 /* bytes, without the newline */

enum lex_kind {
	LEX_WORD = 1,
	LEX_STRING = 2, /* double-quoted; escapes already decoded */
};

struct lex_token {
	enum lex_kind kind;
	char *text; /* NUL-terminated, owned by the token list */
	size_t len;
	unsigned col; /* 1-based byte column of the token's first character */
};

struct lex_tokens {
	struct lex_token *v;
	size_t n;
};

/* A lexical error: where and why. `msg` is a static string. */
struct lex_error {
	unsigned col;
	const char *msg;
};

/* Walks a buffer line by line. Initialise with lex_reader_init. */
struct lex_reader {
	const char *buf;
	size_t len;
	size_t pos;
	unsigned lineno;
};

struct lex_srcline {
	const char *text; /* points into the buffer; not NUL-terminated */
	size_t len;       /* without the newline */
	unsigned lineno;  /* 1-based */
	size_t nul_at;    /* offset of the first NUL byte, or SIZE_MAX */
	bool too_long;    /* len > LEX_MAX_LINE */
};

void lex_reader_init(struct lex_reader *r, const char *buf, size_t len);
/* The next line into *ret: returns true, or false at the end of the buffer. */
bool lex_next_line(struct lex_reader *r, struct lex_srcline *ret);

/*
 * Tokenize one line (without its newline). On success returns 0 and fills *ret (free with
 * lex_tokens_free; an empty or comment-only line gives n == 0). On a lexical error returns -1
 * with errno EINVAL and *ret_err filled; on allocation failure -1 with errno ENOMEM.
 */
int lex_line(const char *line, size_t len, struct lex_tokens *ret, struct lex_error *ret_err);
void lex_tokens_free(struct lex_tokens *t);

#endif
