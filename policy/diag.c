/*
 * diag.c — the diagnostics list and its compiler-style printing.
 *
 * Output follows gcc's layout so editors and people already know how to read it:
 *
 *	web.policy:7:1: error: unknown statement 'lisen'; did you mean 'listen'?
 *	    7 | lisen http tcp 127.0.0.1:80
 *	      | ^
 *
 * The caret line copies the tabs of the source line, so the caret stays under the column
 * whatever the reader's tab width (both gutters are 8 characters wide).
 */
#define _GNU_SOURCE
#include "diag.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int diag_vadd(struct policy_diags *d, enum policy_severity sev, const char *file, unsigned line,
              unsigned col, const char *source_line, const char *fmt, va_list ap)
{
	struct policy_diag *nv, x = {.severity = sev, .line = line, .col = col};

	if (vasprintf(&x.msg, fmt, ap) < 0) {
		errno = ENOMEM;
		return -1;
	}
	if (file != NULL && (x.file = strdup(file)) == NULL)
		goto fail;
	if (source_line != NULL && (x.source_line = strdup(source_line)) == NULL)
		goto fail;
	nv = realloc(d->v, (d->n + 1) * sizeof(*nv));
	if (nv == NULL)
		goto fail;
	d->v = nv;
	d->v[d->n++] = x;
	if (sev == POLICY_ERROR)
		d->nerrors++;
	else if (sev == POLICY_WARNING)
		d->nwarnings++;
	return 0;
fail:
	free(x.source_line);
	free(x.file);
	free(x.msg);
	errno = ENOMEM;
	return -1;
}

int diag_add(struct policy_diags *d, enum policy_severity sev, const char *file, unsigned line,
             unsigned col, const char *source_line, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = diag_vadd(d, sev, file, line, col, source_line, fmt, ap);
	va_end(ap);
	return r;
}

void policy_diags_free(struct policy_diags *d)
{
	size_t i;

	if (d == NULL)
		return;
	for (i = 0; i < d->n; i++) {
		free(d->v[i].file);
		free(d->v[i].msg);
		free(d->v[i].source_line);
	}
	free(d->v);
	d->v = NULL;
	d->n = d->nerrors = d->nwarnings = 0;
}

static void print_one(const struct policy_diag *g, FILE *out)
{
	const char *file = g->file != NULL ? g->file : "(policy)";
	const char *s;
	unsigned i;

	if (g->line == 0)
		fprintf(out, "%s: ", file);
	else if (g->col == 0)
		fprintf(out, "%s:%u: ", file, g->line);
	else
		fprintf(out, "%s:%u:%u: ", file, g->line, g->col);
	fprintf(out, "%s: %s\n", policy_severity_name(g->severity), g->msg);
	if (g->source_line == NULL || g->line == 0)
		return;
	fprintf(out, "%5u | %s\n", g->line, g->source_line);
	if (g->col == 0)
		return;
	fputs("      | ", out);
	s = g->source_line;
	for (i = 1; i < g->col; i++) {
		/* Past the end of the text (a column at end of line) pads with spaces. */
		if (*s != '\0') {
			fputc(*s == '\t' ? '\t' : ' ', out);
			s++;
		} else {
			fputc(' ', out);
		}
	}
	fputs("^\n", out);
}

void policy_diags_print(const struct policy_diags *d, FILE *out)
{
	size_t i;

	if (d == NULL)
		return;
	for (i = 0; i < d->n; i++)
		print_one(&d->v[i], out);
}
