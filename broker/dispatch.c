/*
 * dispatch.c — the request table: message type -> handler, with the rules that are checked
 * before any handler runs (OpenSSH's mon_table, in spirit).
 *
 * A message that fails any check costs its sender, never the broker: it is refused (with an
 * EPROTO reply where the type expects one), its fds are closed, it is counted, and the next
 * message is served as usual.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "broker.h"
#include "dispatch.h"
#include "fdpass.h"
#include "fdutil.h"
#include "log.h"

/*
 * PROTO_LISTENER — the worker's seccomp notification listener.
 * Safe because: accepted once, only when the filter we built has a listener, and only if the
 * fd really is a seccomp notification fd; we only ever use it for SECCOMP_IOCTL_NOTIF_*.
 */
static int handle_listener(struct broker *b, struct dispatch_msg *m)
{
	char path[64], target[64];
	ssize_t n;

	if (!filter_plan_needs_listener(b->plan)) {
		errno = EPROTO;
		return -1;
	}
	snprintf(path, sizeof(path), "/proc/self/fd/%d", m->fds[0]);
	n = readlink(path, target, sizeof(target) - 1);
	if (n < 0 || (size_t)n != strlen("anon_inode:seccomp notify") ||
	    memcmp(target, "anon_inode:seccomp notify", (size_t)n) != 0) {
		errno = EPROTO;
		return -1;
	}
	b->listener = m->fds[0];
	m->fds[0] = -1; /* taken */
	if (dispatch_watch_listener(b) < 0)
		return -1;
	log_debug("received the seccomp notification listener");
	return 0;
}

/*
 * PROTO_EXEC_FAILED — execve failed in the worker.
 * Safe because: it only changes what we log; the exit status still comes from the kernel.
 */
static int handle_exec_failed(struct broker *b, struct dispatch_msg *m)
{
	int err;

	if (proto_decode_exec_failed(m->payload, m->hdr.len, &err) < 0)
		return -1;
	b->exec_errno = err;
	return 0;
}

static const struct dispatch_row table[] = {
	{PROTO_LISTENER, DISPATCH_ONCE, handle_listener},
	{PROTO_EXEC_FAILED, DISPATCH_ONCE, handle_exec_failed},
};

static const struct dispatch_row *find_row(uint16_t type)
{
	size_t i;

	for (i = 0; i < sizeof(table) / sizeof(table[0]); i++)
		if (table[i].type == type)
			return &table[i];
	return NULL;
}

static void refuse(struct broker *b, const char *why, const struct proto_hdr *hdr)
{
	b->bad_messages++;
	/* Say it once per kind of trouble, then only with -v: a hostile worker must not be
	 * able to flood our log. */
	if (b->bad_messages <= 10 || log_verbosity() > 0)
		log_warn("refused a message from worker %ld: %s (type %u, %u bytes)%s",
			 (long)b->worker_pid, why, hdr ? hdr->type : 0, hdr ? hdr->len : 0,
			 b->bad_messages == 10 ? "; further refusals are logged with -v only" : "");
}

int dispatch_channel(struct broker *b)
{
	static unsigned char payload[PROTO_MAX_PAYLOAD];
	static unsigned seen[PROTO_TYPE_MAX];
	struct dispatch_msg m;
	const struct dispatch_row *row;
	int r;

	memset(&m, 0, sizeof(m));
	m.payload = payload;
	r = fdpass_recv(b->channel, &m.hdr, payload, sizeof(payload), m.fds, DISPATCH_MAX_FDS,
			&m.nfds);
	if (r == 0)
		return 0;
	if (r < 0) {
		if (errno == EAGAIN || errno == EINTR)
			return 2;
		if (errno == EPROTO) {
			refuse(b, "malformed message", NULL);
			return 1;
		}
		log_warn("reading from the worker channel: %m");
		return 0;
	}
	row = find_row(m.hdr.type);
	if (row == NULL) {
		refuse(b, "a type the worker may not send", &m.hdr);
		goto done;
	}
	if ((row->flags & DISPATCH_ONCE) && seen[m.hdr.type]++ > 0) {
		refuse(b, "a message allowed only once", &m.hdr);
		goto done;
	}
	if (row->handler(b, &m) < 0)
		refuse(b, strerror(errno), &m.hdr);
done:
	fdutil_close_many(m.fds, m.nfds);
	return 1;
}
