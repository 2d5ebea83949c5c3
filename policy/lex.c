/*
 * lex.c — tokenizer for the policy language: lines, words, quoted strings, comments.
 *
 * Why so strict: policy files are read by a privileged process, so anything ambiguous (a NUL
 * byte that C string handling would silently cut at, a line too long to show in a diagnostic,
 * an escape we do not define) is refused with a located error instead of being guessed at.
 */
#include "lex.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

void lex_reader_init(struct lex_reader *r, const char *buf, size_t len)
{
	r->buf = buf;
	r->len = len;
	r->pos = 0;
	r->lineno = 0;
}

bool lex_next_line(struct lex_reader *r, struct lex_srcline *ret)
{
	const char *start, *nl, *nul;
	size_t rest;

	if (r->pos >= r->len)
		return false;
	start = r->buf + r->pos;
	rest = r->len - r->pos;
	nl = memchr(start, '\n', rest);
	ret->len = nl != NULL ? (size_t)(nl - start) : rest;
	ret->text = start;
	ret->lineno = ++r->lineno;
	nul = memchr(start, '\0', ret->len);
	ret->nul_at = nul != NULL ? (size_t)(nul - start) : SIZE_MAX;
	ret->too_long = ret->len > LEX_MAX_LINE;
	r->pos += ret->len + (nl != NULL ? 1 : 0);
	return true;
}

void lex_tokens_free(struct lex_tokens *t)
{
	size_t i;

	if (t == NULL)
		return;
	for (i = 0; i < t->n; i++)
		free(t->v[i].text);
	free(t->v);
	t->v = NULL;
	t->n = 0;
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static int push(struct lex_tokens *t, enum lex_kind kind, char *text, size_t len, size_t off)
{
	struct lex_token *nv;

	nv = realloc(t->v, (t->n + 1) * sizeof(*nv));
	if (nv == NULL) {
		free(text);
		return -1;
	}
	t->v = nv;
	t->v[t->n].kind = kind;
	t->v[t->n].text = text;
	t->v[t->n].len = len;
	t->v[t->n].col = (unsigned)off + 1;
	t->n++;
	return 0;
}

/*
 * Decode the quoted string starting at line[*pos] == '"'. On success *pos is just past the
 * closing quote and *ret_text, *ret_len hold the decoded text.
 */
static int lex_string(const char *line, size_t len, size_t *pos, char **ret_text, size_t *ret_len,
                      struct lex_error *err)
{
	size_t i = *pos + 1, o = 0;
	char *out;
	int hi, lo;

	/* The decoded text is never longer than the source. */
	out = malloc(len - *pos + 1);
	if (out == NULL)
		return -1;
	for (;;) {
		if (i >= len) {
			err->col = (unsigned)*pos + 1;
			err->msg = "unterminated string";
			goto bad;
		}
		if (line[i] == '"')
			break;
		if (line[i] != '\\') {
			out[o++] = line[i++];
			continue;
		}
		if (i + 1 >= len) {
			err->col = (unsigned)*pos + 1;
			err->msg = "unterminated string";
			goto bad;
		}
		switch (line[i + 1]) {
		case 'n':
			out[o++] = '\n';
			break;
		case 't':
			out[o++] = '\t';
			break;
		case '"':
			out[o++] = '"';
			break;
		case '\\':
			out[o++] = '\\';
			break;
		case 'x':
			hi = i + 2 < len ? hexval(line[i + 2]) : -1;
			lo = i + 3 < len ? hexval(line[i + 3]) : -1;
			if (hi < 0 || lo < 0) {
				err->col = (unsigned)i + 1;
				err->msg = "\\x needs exactly two hex digits";
				goto bad;
			}
			if (hi == 0 && lo == 0) {
				err->col = (unsigned)i + 1;
				err->msg = "NUL byte (\\x00) in string";
				goto bad;
			}
			out[o++] = (char)(hi << 4 | lo);
			i += 2;
			break;
		default:
			err->col = (unsigned)i + 1;
			err->msg = "unknown escape in string (known: \\n \\t \\\" \\\\ \\xHH)";
			goto bad;
		}
		i += 2;
	}
	i++; /* the closing quote */
	if (i < len && !is_space(line[i]) && line[i] != '#') {
		err->col = (unsigned)i + 1;
		err->msg = "expected a space after the closing quote";
		goto bad;
	}
	out[o] = '\0';
	*pos = i;
	*ret_text = out;
	*ret_len = o;
	return 0;
bad:
	free(out);
	errno = EINVAL;
	return -1;
}

int lex_line(const char *line, size_t len, struct lex_tokens *ret, struct lex_error *ret_err)
{
	struct lex_tokens t = {NULL, 0};
	struct lex_error err = {0, NULL};
	size_t pos = 0, start, tlen;
	char *text;

	for (;;) {
		while (pos < len && is_space(line[pos]))
			pos++;
		/* A comment starts only where a token could: `/a#b` is one word. */
		if (pos >= len || line[pos] == '#')
			break;
		start = pos;
		if (line[pos] == '"') {
			if (lex_string(line, len, &pos, &text, &tlen, &err) < 0)
				goto fail;
			if (push(&t, LEX_STRING, text, tlen, start) < 0)
				goto fail;
			continue;
		}
		while (pos < len && !is_space(line[pos])) {
			if (line[pos] == '"') {
				err.col = (unsigned)pos + 1;
				err.msg = "unexpected '\"' inside a word (quote the whole word)";
				errno = EINVAL;
				goto fail;
			}
			if (line[pos] == '\0') {
				err.col = (unsigned)pos + 1;
				err.msg = "NUL byte in line";
				errno = EINVAL;
				goto fail;
			}
			pos++;
		}
		text = strndup(line + start, pos - start);
		if (text == NULL || push(&t, LEX_WORD, text, pos - start, start) < 0)
			goto fail;
	}
	*ret = t;
	return 0;
fail:
	if (errno == EINVAL)
		*ret_err = err;
	lex_tokens_free(&t);
	return -1;
}
