/*
 * ids.c — resolve the policy's `user`, `group` and `groups` to numeric ids, as root, before
 * fork. A name that does not resolve is a launch error naming the policy line.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "broker.h"
#include "log.h"

static bool parse_id(const char *s, unsigned long *ret)
{
	char *end;
	unsigned long v;

	if (*s < '0' || *s > '9')
		return false;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || *end != '\0' || v >= (unsigned long)(uid_t)-1)
		return false;
	*ret = v;
	return true;
}

static int lookup_group(const char *name, const struct policy_loc *loc, gid_t *ret)
{
	struct group *gr;
	unsigned long v;

	if (parse_id(name, &v)) {
		*ret = (gid_t)v;
		return 0;
	}
	errno = 0;
	gr = getgrnam(name);
	if (gr == NULL) {
		/* compiler-style, at the start of the line, like the parser's diagnostics */
		fprintf(stderr, "%s:%u:%u: error: unknown group '%s'%s%s\n", loc->file, loc->line,
			loc->col, name, errno ? ": " : "", errno ? strerror(errno) : "");
		return -1;
	}
	*ret = gr->gr_gid;
	return 0;
}

int ids_resolve(const struct policy *p, struct broker_ids *ret)
{
	struct broker_ids ids = {0};
	struct passwd *pw;
	unsigned long v;
	size_t i;

	if (p->user == NULL) {
		log_err("policy has no 'user' statement");
		return -1;
	}
	if (parse_id(p->user, &v)) {
		ids.uid = (uid_t)v;
		errno = 0;
		pw = getpwuid(ids.uid);
		ids.gid = pw != NULL ? pw->pw_gid : (gid_t)v;
	} else {
		errno = 0;
		pw = getpwnam(p->user);
		if (pw == NULL) {
			fprintf(stderr, "%s:%u:%u: error: unknown user '%s'\n", p->user_loc.file,
				p->user_loc.line, p->user_loc.col, p->user);
			return -1;
		}
		ids.uid = pw->pw_uid;
		ids.gid = pw->pw_gid;
	}
	if (p->group != NULL && lookup_group(p->group, &p->group_loc, &ids.gid) < 0)
		return -1;
	if (p->ngroups > 0) {
		ids.groups = calloc(p->ngroups, sizeof(*ids.groups));
		if (ids.groups == NULL) {
			log_err("out of memory");
			return -1;
		}
		for (i = 0; i < p->ngroups; i++) {
			if (lookup_group(p->groups[i], &p->groups_loc, &ids.groups[i]) < 0) {
				free(ids.groups);
				return -1;
			}
		}
		ids.ngroups = p->ngroups;
	}
	*ret = ids;
	return 0;
}

void ids_free(struct broker_ids *ids)
{
	free(ids->groups);
	ids->groups = NULL;
	ids->ngroups = 0;
}
