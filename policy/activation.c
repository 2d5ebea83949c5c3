/*
 * activation.c — activation adapters: {fd:NAME} placeholders for daemons that do not read
 * LISTEN_FDS (an NGINX="3;" variable, a --fd 3 or fd://3 argument). Pure code.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy.h"

int policy_fd_number(const struct policy *p, const char *name)
{
	size_t i;

	for (i = 0; i < p->nlistens; i++)
		if (strcmp(p->listens[i].name, name) == 0)
			return (int)(3 + i);
	for (i = 0; i < p->nopens; i++)
		if (strcmp(p->opens[i].name, name) == 0)
			return (int)(3 + p->nlistens + i);
	return -1;
}

char *policy_expand_fds(const struct policy *p, const char *in, const char **ret_bad,
			size_t *ret_bad_len)
{
	static const char open_tag[] = "{fd:";
	size_t cap = strlen(in) + 1, len = 0;
	char *out = malloc(cap);
	const char *s = in;

	if (out == NULL)
		return NULL;
	while (*s != '\0') {
		const char *tag = strstr(s, open_tag), *name, *end;
		char namebuf[POLICY_MAX_NAME + 1], num[16];
		size_t chunk, nl, need;
		int fd;

		chunk = tag != NULL ? (size_t)(tag - s) : strlen(s);
		memcpy(out + len, s, chunk);
		len += chunk;
		if (tag == NULL)
			break;
		name = tag + strlen(open_tag);
		end = strchr(name, '}');
		if (end == NULL) {
			free(out);
			errno = EINVAL;
			return NULL;
		}
		nl = (size_t)(end - name);
		if (nl == 0 || nl > POLICY_MAX_NAME) {
			fd = -1;
		} else {
			memcpy(namebuf, name, nl);
			namebuf[nl] = '\0';
			fd = policy_fd_number(p, namebuf);
		}
		if (fd < 0) {
			if (ret_bad != NULL)
				*ret_bad = name;
			if (ret_bad_len != NULL)
				*ret_bad_len = nl;
			free(out);
			errno = ENOENT;
			return NULL;
		}
		snprintf(num, sizeof(num), "%d", fd);
		/* a number is never longer than the placeholder it replaces */
		need = strlen(num);
		memcpy(out + len, num, need);
		len += need;
		s = end + 1;
	}
	out[len] = '\0';
	return out;
}
