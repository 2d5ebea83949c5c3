/*
 * activation.c — adapters for daemons that do not read LISTEN_FDS: {fd:NAME} placeholders in
 * the command's arguments (--fd {fd:http}, fd://{fd:http}) and in the policy's setenv
 * values (NGINX="{fd:http};") become the fd numbers the worker gets. An unknown name is a
 * launch error, so a typo never reaches the daemon as literal text.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "broker.h"
#include "log.h"

int activation_prepare(struct broker *b, char *const argv[])
{
	const struct policy *p = b->policy;
	size_t n = 0, i;

	while (argv[n] != NULL)
		n++;
	b->argv = calloc(n + 1, sizeof(*b->argv));
	b->envs = calloc(p->nsetenvs + 2, sizeof(*b->envs));
	if (b->argv == NULL || b->envs == NULL)
		goto nomem;
	for (i = 0; i < n; i++) {
		const char *bad = NULL;
		size_t bad_len = 0;

		b->argv[i] = policy_expand_fds(p, argv[i], &bad, &bad_len);
		if (b->argv[i] != NULL)
			continue;
		if (errno == ENOENT)
			log_err("argument %zu '%s': the policy has no listen or open statement named "
				"'%.*s'", i, argv[i], (int)bad_len, bad);
		else if (errno == EINVAL)
			log_err("argument %zu '%s': unterminated '{fd:' placeholder", i, argv[i]);
		else
			goto nomem;
		return -1;
	}
	for (i = 0; i < p->nsetenvs; i++) {
		char *v = policy_expand_fds(p, p->setenvs[i].value, NULL, NULL);
		if (v == NULL) {
			log_err("%s:%u: setenv %s: cannot expand '%s'", p->setenvs[i].loc.file,
				p->setenvs[i].loc.line, p->setenvs[i].name, p->setenvs[i].value);
			return -1;
		}
		if (asprintf(&b->envs[i], "%s=%s", p->setenvs[i].name, v) < 0) {
			b->envs[i] = NULL;
			free(v);
			goto nomem;
		}
		log_info("worker environment: %s", b->envs[i]);
		free(v);
	}
	/* the readiness relay replaces NOTIFY_SOCKET (broker/readiness.c) */
	if (b->notify_env != NULL && (b->envs[i] = strdup(b->notify_env)) == NULL)
		goto nomem;
	return 0;
nomem:
	log_err("out of memory");
	return -1;
}

void activation_free(struct broker *b)
{
	size_t i;

	for (i = 0; b->argv != NULL && b->argv[i] != NULL; i++)
		free(b->argv[i]);
	for (i = 0; b->envs != NULL && b->envs[i] != NULL; i++)
		free(b->envs[i]);
	free(b->argv);
	free(b->envs);
	b->argv = b->envs = NULL;
}
