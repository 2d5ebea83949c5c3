/*
 * load.c — reading policy files: the statement loop, includes, the file-safety check, and the
 * policy_load_* / policy_free entry points.
 *
 * The policy decides what a privileged broker hands out, so a file anyone but root (or the
 * caller) could have written is refused unless the caller says otherwise
 * (POLICY_LOAD_TRUST_FILE, `fdbroker --insecure-policy`); included files get the same check.
 */
#define _GNU_SOURCE
#include "parse.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "diag.h"

#define POLICY_MAX_FILE_SIZE (1024 * 1024) /* far above any sane policy; bounds memory */

/* ---- diagnostics ------------------------------------------------------------------------- */

static void vreport(struct parser *ps, enum policy_severity sev, const char *file, unsigned line,
                    unsigned col, const char *src, bool notes, const char *fmt, va_list ap)
{
	size_t k;

	if (ps->stopped || ps->nomem)
		return;
	if (diag_vadd(ps->d, sev, file != NULL ? file : ps->frames[0].file, line, col, src, fmt,
	              ap) < 0) {
		ps->nomem = true;
		return;
	}
	for (k = ps->depth; notes && k > 0; k--) {
		const struct frame *f = &ps->frames[k];
		if (diag_add(ps->d, POLICY_NOTE, ps->frames[k - 1].file, f->inc_line, f->inc_col,
		             f->inc_src, "included from here") < 0) {
			ps->nomem = true;
			return;
		}
	}
	if (sev == POLICY_ERROR && ps->d->nerrors >= POLICY_MAX_ERRORS) {
		if (diag_add(ps->d, POLICY_NOTE, file != NULL ? file : ps->frames[0].file, line, 0,
		             NULL, "too many errors (%d); stopping here", POLICY_MAX_ERRORS) < 0)
			ps->nomem = true;
		ps->stopped = true;
	}
}

void parse_error(struct parser *ps, const struct stmt *st, unsigned col, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport(ps, POLICY_ERROR, st->file, st->line, col, st->src, true, fmt, ap);
	va_end(ap);
}

void parse_warning(struct parser *ps, const struct stmt *st, unsigned col, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport(ps, POLICY_WARNING, st->file, st->line, col, st->src, true, fmt, ap);
	va_end(ap);
}

void parse_diag_at(struct parser *ps, enum policy_severity sev, const char *file, unsigned line,
                   unsigned col, const char *src, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport(ps, sev, file, line, col, src, false, fmt, ap);
	va_end(ap);
}

/* ---- files ------------------------------------------------------------------------------- */

/* Why a policy file must not be trusted, or NULL if it may be. */
static const char *unsafe_reason(const struct stat *st)
{
	if (st->st_uid != 0 && st->st_uid != geteuid())
		return "it is owned by another user (not root or the caller)";
	if (st->st_mode & S_IWOTH)
		return "it is world-writable";
	if (st->st_mode & S_IWGRP)
		return "it is group-writable";
	return NULL;
}

/* Open and read a whole policy file. On failure *ret_why says what went wrong (static). */
static int read_file(const char *path, struct stat *ret_st, char **ret_buf, size_t *ret_len,
                     const char **ret_why)
{
	struct stat st;
	char *buf = NULL;
	size_t len = 0;
	ssize_t n;
	int fd, saved;

	/* O_NONBLOCK: a FIFO planted as a policy must not hang the broker before the S_ISREG test
	 */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		*ret_why = strerror(errno);
		return -1;
	}
	if (fstat(fd, &st) < 0) {
		*ret_why = strerror(errno);
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		*ret_why = "not a regular file";
		errno = EINVAL;
		goto fail;
	}
	if (st.st_size > POLICY_MAX_FILE_SIZE) {
		*ret_why = "file too large (limit 1 MiB)";
		errno = EFBIG;
		goto fail;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (buf == NULL) {
		*ret_why = strerror(errno);
		goto fail;
	}
	/* Read at most what fstat promised plus one byte: a file growing under us is an error. */
	while ((n = read(fd, buf + len, (size_t)st.st_size + 1 - len)) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			*ret_why = strerror(errno);
			goto fail;
		}
		len += (size_t)n;
		if (len > (size_t)st.st_size) {
			*ret_why = "file changed while being read";
			errno = EIO;
			goto fail;
		}
	}
	close(fd);
	*ret_st = st;
	*ret_buf = buf;
	*ret_len = len;
	return 0;
fail:
	saved = errno;
	free(buf);
	close(fd);
	errno = saved;
	return -1;
}

static const char *add_file(struct parser *ps, const char *name)
{
	struct policy *p = ps->p;
	char **nv, *copy;

	copy = strdup(name);
	if (copy == NULL)
		goto oom;
	nv = realloc(p->files, (p->nfiles + 1) * sizeof(*nv));
	if (nv == NULL) {
		free(copy);
		goto oom;
	}
	p->files = nv;
	p->files[p->nfiles++] = copy;
	return copy;
oom:
	ps->nomem = true;
	return NULL;
}

/* Parse the text of the file on top of the include stack. */
static void parse_buffer(struct parser *ps, const char *buf, size_t len)
{
	struct frame *f = &ps->frames[ps->depth];
	struct lex_reader r;
	struct lex_srcline l;
	struct lex_error le;
	struct stmt st;
	char *src;

	lex_reader_init(&r, buf, len);
	while (!ps->stopped && !ps->nomem && lex_next_line(&r, &l)) {
		memset(&st, 0, sizeof(st));
		st.file = f->file;
		st.line = l.lineno;
		if (l.too_long) {
			parse_diag_at(ps, POLICY_ERROR, f->file, l.lineno, LEX_MAX_LINE + 1, NULL,
			              "line is longer than %d bytes", LEX_MAX_LINE);
			continue;
		}
		/* The shown line stops at a NUL; a trailing CR would garble the caret line. */
		src = strndup(l.text, l.len > 0 && l.text[l.len - 1] == '\r' ? l.len - 1 : l.len);
		if (src == NULL) {
			ps->nomem = true;
			break;
		}
		st.src = src;
		if (l.nul_at != SIZE_MAX) {
			parse_error(ps, &st, (unsigned)l.nul_at + 1, "NUL byte in policy file");
		} else if (lex_line(l.text, l.len, &st.t, &le) < 0) {
			if (errno == EINVAL)
				parse_error(ps, &st, le.col, "%s", le.msg);
			else
				ps->nomem = true;
		} else if (st.t.n > 0) {
			parse_statement(ps, &st);
		}
		lex_tokens_free(&st.t);
		free(src);
	}
	if (ps->depth == 0 && f->nstmts == 0)
		parse_diag_at(ps, POLICY_ERROR, f->file, 0, 0, NULL,
		              "missing 'version' statement (it must come first); supported "
		              "versions: %d",
		              POLICY_VERSION);
}

/* The include path relative to the directory of the including file. */
static char *resolve_include(const char *from, const char *path)
{
	const char *slash = strrchr(from, '/');
	char *r;

	if (path[0] == '/' || slash == NULL)
		return strdup(path);
	if (asprintf(&r, "%.*s/%s", (int)(slash - from), from, path) < 0)
		return NULL;
	return r;
}

static void include_cycle(struct parser *ps, const struct stmt *st, size_t from, const char *name)
{
	char *chain = NULL, *next;
	size_t k;

	for (k = from; k <= ps->depth; k++) {
		if (asprintf(&next, "%s%s -> ", chain != NULL ? chain : "", ps->frames[k].file) < 0)
			goto oom;
		free(chain);
		chain = next;
	}
	parse_error(ps, st, st->t.v[1].col, "include cycle: %s%s", chain, name);
	free(chain);
	return;
oom:
	free(chain);
	ps->nomem = true;
}

void load_include(struct parser *ps, struct stmt *st)
{
	const struct lex_token *tk = &st->t.v[1];
	struct frame *f;
	struct stat sb;
	const char *why, *reason, *fname;
	char *path = NULL, *buf = NULL;
	size_t len, k;

	if (st->t.n != 2) {
		parse_error(ps, st, st->t.v[st->t.n < 2 ? 0 : 2].col,
		            st->t.n < 2 ? "missing argument; usage: include \"PATH\""
		                        : "unexpected argument; usage: include \"PATH\"");
		return;
	}
	if (tk->len == 0) {
		parse_error(ps, st, tk->col, "empty include path");
		return;
	}
	if ((path = resolve_include(ps->frames[ps->depth].file, tk->text)) == NULL) {
		ps->nomem = true;
		return;
	}
	if (ps->depth >= POLICY_MAX_INCLUDE_DEPTH) {
		parse_error(ps, st, tk->col, "includes nested too deeply (limit %d levels)",
		            POLICY_MAX_INCLUDE_DEPTH);
		goto out;
	}
	if (read_file(path, &sb, &buf, &len, &why) < 0) {
		parse_error(ps, st, tk->col, "cannot include '%s': %s", path, why);
		goto out;
	}
	for (k = 0; k <= ps->depth; k++) {
		const struct frame *g = &ps->frames[k];
		if (g->has_id ? (g->dev == sb.st_dev && g->ino == sb.st_ino)
		              : strcmp(g->file, path) == 0) {
			include_cycle(ps, st, k, path);
			goto out;
		}
	}
	if (!(ps->flags & POLICY_LOAD_TRUST_FILE) && (reason = unsafe_reason(&sb)) != NULL) {
		parse_error(ps, st, tk->col,
		            "refusing to include '%s': %s; fix its owner and mode, or run with "
		            "--insecure-policy",
		            path, reason);
		ps->unsafe = true;
		goto out;
	}
	if ((fname = add_file(ps, path)) == NULL)
		goto out;
	f = &ps->frames[ps->depth + 1];
	memset(f, 0, sizeof(*f));
	f->file = fname;
	f->dev = sb.st_dev;
	f->ino = sb.st_ino;
	f->has_id = true;
	f->inc_line = st->line;
	f->inc_col = st->t.v[0].col;
	if ((f->inc_src = strdup(st->src)) == NULL) {
		ps->nomem = true;
		goto out;
	}
	ps->depth++;
	parse_buffer(ps, buf, len);
	ps->depth--;
	free(f->inc_src);
	f->inc_src = NULL;
out:
	free(buf);
	free(path);
}

/* ---- entry points ------------------------------------------------------------------------ */

void policy_free(struct policy *p)
{
	size_t i;

	if (p == NULL)
		return;
	for (i = 0; i < p->nsetenvs; i++) {
		free(p->setenvs[i].name);
		free(p->setenvs[i].value);
	}
	free(p->setenvs);
	free(p->user);
	free(p->group);
	for (i = 0; i < p->ngroups; i++)
		free(p->groups[i]);
	free(p->groups);
	for (i = 0; i < p->nlistens; i++) {
		free(p->listens[i].name);
		free(p->listens[i].addr.path);
	}
	free(p->listens);
	for (i = 0; i < p->nopens; i++) {
		free(p->opens[i].name);
		free(p->opens[i].path);
	}
	free(p->opens);
	for (i = 0; i < p->nrules; i++) {
		free(p->rules[i].pattern);
		free(p->rules[i].prefix);
		free(p->rules[i].addr.path);
	}
	free(p->rules);
	for (i = 0; i < p->nsyscalls; i++)
		free(p->syscalls[i].name);
	free(p->syscalls);
	for (i = 0; i < p->nfiles; i++)
		free(p->files[i]);
	free(p->files);
	free(p);
}

/* Parse buf as the top-level file `name`; st is its identity when read from disk. */
static int load(const char *name, const char *buf, size_t len, const struct stat *st,
                unsigned flags, struct policy **ret, struct policy_diags *diags)
{
	struct parser ps;
	struct policy *p;

	memset(&ps, 0, sizeof(ps));
	p = calloc(1, sizeof(*p));
	if (p == NULL)
		return -1;
	ps.p = p;
	ps.d = diags;
	ps.flags = flags;
	if ((ps.frames[0].file = add_file(&ps, name)) == NULL)
		goto fail;
	if (st != NULL) {
		ps.frames[0].dev = st->st_dev;
		ps.frames[0].ino = st->st_ino;
		ps.frames[0].has_id = true;
	}
	p->seccomp_default = POLICY_SECCOMP_KILL;
	p->seccomp_default_loc.file = ps.frames[0].file;
	parse_buffer(&ps, buf, len);
	if (!ps.stopped)
		parse_finish(&ps);
	if (ps.nomem) {
		errno = ENOMEM;
		goto fail;
	}
	if (diags->nerrors > 0) {
		errno = ps.unsafe ? EPERM : EINVAL;
		goto fail;
	}
	*ret = p;
	return 0;
fail:
	policy_free(p);
	return -1;
}

int policy_load_string(const char *name, const char *text, size_t len, unsigned flags,
                       struct policy **ret, struct policy_diags *diags)
{
	if (name == NULL || (text == NULL && len > 0) || ret == NULL || diags == NULL) {
		errno = EINVAL;
		return -1;
	}
	return load(name, text != NULL ? text : "", len, NULL, flags, ret, diags);
}

int policy_load_file(const char *path, unsigned flags, struct policy **ret,
                     struct policy_diags *diags)
{
	struct stat st;
	const char *why, *reason;
	char *buf;
	size_t len;
	int r, saved;

	if (path == NULL || ret == NULL || diags == NULL) {
		errno = EINVAL;
		return -1;
	}
	if (read_file(path, &st, &buf, &len, &why) < 0) {
		saved = errno;
		if (diag_add(diags, POLICY_ERROR, path, 0, 0, NULL, "cannot read policy: %s", why) <
		    0)
			saved = ENOMEM;
		errno = saved;
		return -1;
	}
	if (!(flags & POLICY_LOAD_TRUST_FILE) && (reason = unsafe_reason(&st)) != NULL) {
		free(buf);
		if (diag_add(diags, POLICY_ERROR, path, 0, 0, NULL,
		             "refusing to use policy file: %s (mode %04o, owner uid %u); fix its "
		             "owner and mode, or run with --insecure-policy",
		             reason, (unsigned)(st.st_mode & 07777), (unsigned)st.st_uid) < 0) {
			errno = ENOMEM;
			return -1;
		}
		errno = EPERM;
		return -1;
	}
	r = load(path, buf, len, &st, flags, ret, diags);
	saved = errno;
	free(buf);
	errno = saved;
	return r;
}
