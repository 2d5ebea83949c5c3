/*
 * access.c — the privileged open: a worker's path, checked against the policy's open rules,
 * opened by the broker with the kernel enforcing containment.
 *
 * Why this is safe to grant:
 *  - The path is the broker's own copy, normalized; ".." is refused outright (after a
 *    symlink it does not mean what the string says).
 *  - The open flags are an allowlist; each flag maps to a right the deciding rule must
 *    grant. O_PATH, O_TMPFILE and unknown bits are refused. The creation mode is the
 *    policy's, never the worker's.
 *  - The file is opened with openat2() from the deciding rule's prefix directory (opened at
 *    start, before the worker existed) with RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS: the
 *    kernel refuses any escape from the tree (.., absolute symlinks, /proc magic links).
 *  - Symlinks: opens that can change anything (write, create, truncate) never follow one.
 *    A read is first tried without symlinks; if the path has one, it is opened following
 *    them (still beneath the prefix) and the path the kernel actually reached is matched
 *    against the rules again, so a symlink cannot lead into a denied subtree.
 *  - O_NONBLOCK during the open, and only regular files (or directories, with the
 *    `directory` right) are handed over: a FIFO or device swapped into the tree can
 *    neither block the broker nor be opened.
 *  - Truncation happens after every check, with ftruncate().
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "access.h"
#include "fdutil.h"
#include "log.h"
#include "match.h"

/* Flags a worker may pass; anything else is EINVAL. O_PATH and O_TMPFILE are not here. */
#define ALLOWED_FLAGS                                                                              \
	(O_ACCMODE | O_APPEND | O_CREAT | O_EXCL | O_TRUNC | O_DIRECTORY | O_NOFOLLOW |            \
	 O_CLOEXEC | O_NONBLOCK | O_NOCTTY | O_DSYNC | O_SYNC | O_NOATIME | O_LARGEFILE |          \
	 O_DIRECT)

static int openat2_(int dirfd, const char *path, struct open_how *how)
{
	return (int)syscall(SYS_openat2, dirfd, path, how, sizeof(*how));
}

int access_init(struct broker *b)
{
	const struct policy *p = b->policy;
	size_t i, j;

	b->rule_dirfds = calloc(p->nrules ? p->nrules : 1, sizeof(*b->rule_dirfds));
	if (b->rule_dirfds == NULL) {
		log_err("out of memory");
		return -1;
	}
	for (i = 0; i < p->nrules; i++)
		b->rule_dirfds[i] = -1;
	for (i = 0; i < p->nrules; i++) {
		const struct policy_rule *r = &p->rules[i];
		if (r->op != POLICY_OP_OPEN || r->verdict != POLICY_ALLOW)
			continue;
		/* rules with the same prefix share one directory fd */
		for (j = 0; j < i; j++)
			if (b->rule_dirfds[j] >= 0 && strcmp(p->rules[j].prefix, r->prefix) == 0)
				break;
		if (j < i) {
			b->rule_dirfds[i] = b->rule_dirfds[j];
			continue;
		}
		{
			/* No symlink anywhere in a rule's root: otherwise whoever can write one
			 * of its directories could point the whole rule elsewhere at the next
			 * start (RESOLVE_BENEATH would then contain opens in the wrong tree). */
			struct open_how how = {.flags = O_PATH | O_DIRECTORY | O_CLOEXEC,
					       .resolve = RESOLVE_NO_SYMLINKS |
							  RESOLVE_NO_MAGICLINKS};
			b->rule_dirfds[i] = openat2_(AT_FDCWD, r->prefix, &how);
		}
		if (b->rule_dirfds[i] < 0 && errno == ELOOP) {
			fprintf(stderr,
				"%s:%u:%u: error: allow open %s: the rule's root %s goes through a "
				"symlink; write the real path (see realpath(1))\n",
				r->loc.file, r->loc.line, r->loc.col, r->pattern, r->prefix);
			return -1;
		}
		if (b->rule_dirfds[i] < 0)
			log_warn("%s:%u: allow open %s: cannot open %s (%m); the rule will grant "
				 "nothing",
				 r->loc.file, r->loc.line, r->pattern, r->prefix);
		else
			log_debug("%s:%u: opened rule root %s", r->loc.file, r->loc.line,
				  r->prefix);
	}
	return 0;
}

void access_free(struct broker *b)
{
	size_t i, j;

	if (b->rule_dirfds == NULL)
		return;
	for (i = 0; i < b->policy->nrules; i++) {
		if (b->rule_dirfds[i] < 0)
			continue;
		for (j = i + 1; j < b->policy->nrules; j++)
			if (b->rule_dirfds[j] == b->rule_dirfds[i])
				b->rule_dirfds[j] = -1; /* shared: close once */
		fdutil_close(b->rule_dirfds[i]);
	}
	free(b->rule_dirfds);
	b->rule_dirfds = NULL;
}

unsigned access_rights_of_flags(int flags, int *ret_err)
{
	unsigned rights = 0;
	int acc = flags & O_ACCMODE;

	if ((flags & ~ALLOWED_FLAGS) != 0 || acc == O_ACCMODE) {
		*ret_err = EINVAL; /* O_PATH, O_TMPFILE and unknown bits land here */
		return 0;
	}
	if (acc == O_RDONLY && (flags & O_TRUNC)) {
		*ret_err = EINVAL; /* unspecified by POSIX; never guess */
		return 0;
	}
	if (acc == O_RDONLY || acc == O_RDWR)
		rights |= POLICY_RIGHT_READ;
	if (acc == O_WRONLY || acc == O_RDWR)
		rights |= (flags & O_APPEND) ? POLICY_RIGHT_APPEND : POLICY_RIGHT_WRITE;
	if (flags & O_CREAT)
		rights |= POLICY_RIGHT_CREATE;
	if (flags & O_TRUNC)
		rights |= POLICY_RIGHT_TRUNCATE;
	if (flags & O_DIRECTORY)
		rights |= POLICY_RIGHT_DIRECTORY;
	*ret_err = 0;
	return rights;
}

/* The path the kernel reached for fd, normalized, into buf. */
static int fd_path(int fd, char *buf, size_t size)
{
	char link[64];
	ssize_t n;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, buf, size - 1);
	if (n < 0)
		return -1;
	if ((size_t)n >= size - 1) {
		errno = ENAMETOOLONG;
		return -1;
	}
	buf[n] = '\0';
	return 0;
}

int access_open(struct broker *b, const char *wpath, int flags, unsigned mode,
		struct access_result *res)
{
	char path[PATH_MAX], real[PATH_MAX];
	struct open_how how;
	const struct policy_rule *rule;
	unsigned rights;
	bool trailing = false, created = false;
	const char *rest;
	struct stat st;
	int dirfd, fd = -1, err;

	memset(res, 0, sizeof(*res));
	res->fd = -1;
	rights = access_rights_of_flags(flags, &err);
	res->rights = rights;
	if (err != 0) {
		res->reason = "open flags not allowed";
		goto refuse_err;
	}
	/* the kernel reads mode only with O_CREAT; so do we (it is validated, never used) */
	if ((flags & O_CREAT) && (mode & ~07777u)) {
		err = EINVAL;
		res->reason = "mode bits above 07777";
		goto refuse_err;
	}
	if (strlen(wpath) >= sizeof(path)) {
		err = ENAMETOOLONG;
		res->reason = "path too long";
		goto refuse_err;
	}
	strcpy(path, wpath);
	if (policy_path_normalize(path, &trailing) < 0) {
		err = errno;
		res->reason = err == EACCES ? "'..' in path" : "not an absolute path";
		goto refuse_err;
	}
	if (trailing)
		rights |= POLICY_RIGHT_DIRECTORY, flags |= O_DIRECTORY;
	res->rights = rights;

	if (!policy_match_open(b->policy, path, rights, &res->match)) {
		err = EACCES;
		goto refuse_err;
	}
	rule = res->match.rule;
	dirfd = b->rule_dirfds[res->match.rule_index];
	if (dirfd < 0) {
		err = ENOENT; /* the rule's root did not exist at start */
		goto fail;
	}
	rest = path + strlen(rule->prefix);
	while (*rest == '/')
		rest++;
	if (*rest == '\0')
		rest = ".";

	memset(&how, 0, sizeof(how));
	how.flags = (unsigned)(flags & ~(O_TRUNC | O_CREAT | O_EXCL)) | O_CLOEXEC | O_NOCTTY |
		    O_NONBLOCK;
	how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_SYMLINKS;
	if (flags & O_CREAT) {
		/* Create exclusively first, so we know whether we created it (and chown it). */
		how.flags |= O_CREAT | O_EXCL;
		how.mode = rule->mode ? rule->mode : 0600;
		fd = openat2_(dirfd, rest, &how);
		if (fd >= 0)
			created = true;
		else if (errno == EEXIST && !(flags & O_EXCL))
			how.flags &= ~(unsigned)(O_CREAT | O_EXCL), how.mode = 0;
		else
			goto fail_errno;
	}
	if (fd < 0)
		fd = openat2_(dirfd, rest, &how);
	if (fd < 0 && errno == ELOOP && rights == POLICY_RIGHT_READ &&
	    !(rule->rights & POLICY_RIGHT_NOSYMLINKS) && !(flags & O_NOFOLLOW)) {
		/* A read through a symlink: follow it, still beneath the rule's root, then
		 * decide again on where it led. */
		how.resolve &= ~(uint64_t)RESOLVE_NO_SYMLINKS;
		fd = openat2_(dirfd, rest, &how);
		if (fd >= 0) {
			struct policy_match again = {.verdict = POLICY_DENY};
			if (fd_path(fd, real, sizeof(real)) < 0 ||
			    !policy_match_open(b->policy, real, rights, &again)) {
				/* The deciding rule is the deny the symlink led into, if any;
				 * otherwise the allow rule whose tree it tried to leave. */
				if (again.rule != NULL)
					res->match = again;
				res->reason = "a symlink leads outside what the rules allow";
				fd = fdutil_close(fd);
				err = EACCES;
				goto refuse_err;
			}
		}
	}
	if (fd < 0)
		goto fail_errno;

	if (fstat(fd, &st) < 0)
		goto fail_errno;
	if (S_ISDIR(st.st_mode)) {
		if (!(rights & POLICY_RIGHT_DIRECTORY) || !(rule->rights & POLICY_RIGHT_DIRECTORY)) {
			err = EISDIR;
			goto fail;
		}
	} else if (!S_ISREG(st.st_mode)) {
		err = EACCES; /* FIFOs, sockets and devices are never handed over */
		res->reason = "not a regular file";
		goto fail;
	}
	if (created && fchown(fd, b->ids.uid, b->ids.gid) < 0)
		goto fail_errno;
	if ((flags & O_TRUNC) && ftruncate(fd, 0) < 0)
		goto fail_errno;
	if (!(flags & O_NONBLOCK) && fcntl(fd, F_SETFL, flags & (O_APPEND | O_DIRECT)) < 0)
		goto fail_errno;
	res->fd = fd;
	res->allowed = true;
	return 0;

fail_errno:
	err = errno;
fail:
	fdutil_close(fd);
	res->error = err;
	res->allowed = true; /* the policy allowed it; the open itself failed */
	return -1;
refuse_err:
	res->error = err;
	res->allowed = false;
	return -1;
}
