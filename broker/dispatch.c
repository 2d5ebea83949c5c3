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

#include "access.h"
#include "audit.h"
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

	if (!filter_plan_needs_listener(b->plan) || m->nfds != 1) {
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

/* ---- replies ----------------------------------------------------------------------------- */

static int flush_reply(struct broker *b)
{
	struct broker_reply *rp = &b->reply;

	if (fdpass_send(b->channel, &rp->hdr, rp->payload, rp->fds, rp->nfds) < 0)
		return -1;
	fdutil_close_many(rp->fds, rp->nfds); /* the worker has its copies now */
	rp->nfds = 0;
	rp->pending = false;
	return 0;
}

/*
 * Reply to request `id`: err for the request as a whole, n per-entry errors (OPEN_MANY),
 * and the granted fds, which this function takes (closes on every path once sent or
 * abandoned). If the worker's receive buffer is full, the reply waits and the broker stops
 * reading that worker's requests until it drains (dispatch_reply_writable).
 */
static void send_reply_take(struct broker *b, uint32_t id, int err, size_t n, const int *errs,
			    int *fds, size_t nfds)
{
	struct broker_reply *rp = &b->reply;
	struct proto_buf pb;
	size_t i;

	if (rp->pending) {
		/* cannot happen from the loop (it reads no request while a reply waits); never
		 * overwrite the pending reply's fds */
		fdutil_close_many(fds, nfds);
		return;
	}
	proto_buf_init(&pb, rp->payload, sizeof(rp->payload));
	if (proto_encode_reply(&pb, err, n, errs) < 0) {
		log_err("encoding a reply: %m");
		fdutil_close_many(fds, nfds);
		return;
	}
	proto_hdr_init(&rp->hdr, PROTO_REPLY, id, pb.len);
	for (i = 0; i < nfds; i++) {
		rp->fds[i] = fds[i];
		fds[i] = -1;
	}
	rp->nfds = nfds;
	if (flush_reply(b) == 0)
		return;
	if (errno == EAGAIN) {
		rp->pending = true;
		dispatch_want_write(b, true);
		return;
	}
	log_debug("sending a reply to worker %ld: %m", (long)b->worker_pid);
	fdutil_close_many(rp->fds, rp->nfds);
	rp->nfds = 0;
}

int dispatch_reply_writable(struct broker *b)
{
	if (!b->reply.pending)
		return 0;
	if (flush_reply(b) < 0) {
		if (errno == EAGAIN)
			return 0;
		fdutil_close_many(b->reply.fds, b->reply.nfds);
		b->reply.nfds = 0;
		b->reply.pending = false;
	}
	dispatch_want_write(b, false);
	return 0;
}

/* ---- runtime requests (libfdbroker) ------------------------------------------------------ */

static void reply_result(struct broker *b, const struct dispatch_msg *m, struct access_result *res)
{
	if (res->fd >= 0)
		send_reply_take(b, m->hdr.id, 0, 0, NULL, &res->fd, 1);
	else
		send_reply_take(b, m->hdr.id, res->error ? res->error : EIO, 0, NULL, NULL, 0);
}

/*
 * PROTO_OPEN — open a path for the worker.
 * Safe because: access_open() decides on the broker's own copy, opens beneath the deciding
 * rule's root with openat2() and never follows a symlink out of what the rules allow.
 */
static int handle_open(struct broker *b, struct dispatch_msg *m)
{
	struct proto_open req;
	struct access_result res;

	if (proto_decode_open(m->payload, m->hdr.len, &req) < 0)
		return -1;
	access_open(b, req.path, req.flags, req.mode, &res);
	reply_result(b, m, &res); /* the worker gets its answer before we format the log line */
	audit_request(b, "open", req.path, &res);
	return 0;
}

/*
 * PROTO_OPEN_MANY — up to 253 opens in one round trip; each entry is decided and audited
 * exactly like a PROTO_OPEN. Safe for the same reasons.
 */
static int handle_open_many(struct broker *b, struct dispatch_msg *m)
{
	int errs[PROTO_MAX_FDS], fds[PROTO_MAX_FDS];
	struct proto_cur c;
	size_t n, i, nfds = 0;

	if (proto_decode_open_many_begin(&c, m->payload, m->hdr.len, &n) < 0)
		return -1;
	/* Decode everything first: a malformed tail refuses the whole message, before any
	 * file was opened. */
	{
		struct proto_cur probe = c;
		for (i = 0; i < n; i++) {
			int32_t fl;
			const char *path;
			size_t len;
			if (proto_decode_open_many_next(&probe, &fl, &path, &len) < 0)
				return -1;
		}
		if (proto_cur_end(&probe) < 0)
			return -1;
	}
	for (i = 0; i < n; i++) {
		struct access_result res;
		int32_t fl;
		const char *path;
		size_t len;
		(void)proto_decode_open_many_next(&c, &fl, &path, &len);
		access_open(b, path, fl, 0, &res);
		audit_request(b, "open", path, &res);
		errs[i] = res.fd >= 0 ? 0 : (res.error ? res.error : EIO);
		if (res.fd >= 0)
			fds[nfds++] = res.fd;
	}
	send_reply_take(b, m->hdr.id, 0, n, errs, fds, nfds);
	return 0;
}

/*
 * PROTO_CONNECT — a socket connected to an allowed address. Safe because: the address is
 * parsed strictly (numeric only) and matched by net.c; the socket is the broker's own.
 */
static int handle_connect(struct broker *b, struct dispatch_msg *m)
{
	struct access_result res;
	const char *address;

	if (proto_decode_connect(m->payload, m->hdr.len, &address) < 0)
		return -1;
	access_connect(b, address, &res);
	reply_result(b, m, &res);
	audit_request(b, "connect", address, &res);
	return 0;
}

/*
 * PROTO_LISTEN — a socket bound (and listening) on an allowed address. Safe for the same
 * reasons as PROTO_CONNECT; a unix socket file is replaced only if it is a socket.
 */
static int handle_listen(struct broker *b, struct dispatch_msg *m)
{
	struct access_result res;
	const char *address;
	int32_t backlog;

	if (proto_decode_listen(m->payload, m->hdr.len, &address, &backlog) < 0)
		return -1;
	access_listen(b, address, backlog, &res);
	reply_result(b, m, &res);
	audit_request(b, "bind", address, &res);
	return 0;
}

/* ---- the table ---------------------------------------------------------------------------- */

static const struct dispatch_row table[] = {
	{PROTO_LISTENER, DISPATCH_ONCE, handle_listener},
	{PROTO_EXEC_FAILED, DISPATCH_ONCE, handle_exec_failed},
	{PROTO_OPEN, DISPATCH_REPLIES, handle_open},
	{PROTO_OPEN_MANY, DISPATCH_REPLIES, handle_open_many},
	{PROTO_CONNECT, DISPATCH_REPLIES, handle_connect},
	{PROTO_LISTEN, DISPATCH_REPLIES, handle_listen},
};

static const struct dispatch_row *find_row(uint16_t type)
{
	size_t i;

	for (i = 0; i < sizeof(table) / sizeof(table[0]); i++)
		if (table[i].type == type)
			return &table[i];
	return NULL;
}

/* A worker that sends this many malformed messages is not using libfdbroker by mistake: the
 * broker closes the channel (documented in fdbroker(1) and fdbroker-protocol(7)). The
 * worker keeps running; its later requests fail with ECONNRESET or EPIPE. */
#define DISPATCH_MAX_BAD 1000

static void refuse(struct broker *b, const char *why, const struct proto_hdr *hdr)
{
	audit_flush(); /* keep the order of lines on stderr */
	b->bad_messages++;
	if (b->bad_messages == DISPATCH_MAX_BAD)
		log_warn("worker %ld sent %d malformed messages: closing its channel",
			 (long)b->worker_pid, DISPATCH_MAX_BAD);
	/* Say it the first times, then only with -v: a hostile worker must not be able to
	 * flood our log. */
	if (b->bad_messages <= 10 || log_verbosity() > 0)
		log_warn("refused a message from worker %ld: %s (type %u, %u bytes)%s",
			 (long)b->worker_pid, why, hdr ? hdr->type : 0, hdr ? hdr->len : 0,
			 b->bad_messages == 10 ? "; further refusals are logged with -v only" : "");
}

int dispatch_channel(struct broker *b)
{
	static unsigned char payload[PROTO_MAX_PAYLOAD];
	struct dispatch_msg m;
	const struct dispatch_row *row;
	int r;

	memset(&m, 0, sizeof(m));
	m.payload = payload;
	r = fdpass_recv(b->channel, &m.hdr, payload, sizeof(payload), m.fds, DISPATCH_MAX_FDS,
			&m.nfds);
	if (r == 0)
		return 0;
	if (b->bad_messages >= DISPATCH_MAX_BAD)
		return 0; /* see DISPATCH_MAX_BAD */
	if (r < 0) {
		if (errno == EAGAIN || errno == EINTR)
			return 2;
		if (errno == EPROTO) {
			refuse(b, "malformed message", NULL);
			return 1;
		}
		if (errno == ECONNRESET)
			return 0; /* the worker went away with requests unread: end of stream */
		log_warn("reading from the worker channel: %m");
		return 0;
	}
	row = find_row(m.hdr.type);
	if (row == NULL) {
		refuse(b, "a type the worker may not send", &m.hdr);
		goto done;
	}
	if ((row->flags & DISPATCH_ONCE) && b->seen[m.hdr.type]++ > 0) {
		refuse(b, "a message allowed only once", &m.hdr);
		goto done;
	}
	if (row->flags & DISPATCH_REPLIES) {
		b->requests++;
		/* requests carry no fds: any that came along are closed below, unused */
		if (m.nfds > 0) {
			refuse(b, "fds on a request", &m.hdr);
			send_reply_take(b, m.hdr.id, EPROTO, 0, NULL, NULL, 0);
			goto done;
		}
	}
	if (row->handler(b, &m) < 0) {
		refuse(b, strerror(errno), &m.hdr);
		if (row->flags & DISPATCH_REPLIES)
			send_reply_take(b, m.hdr.id, EPROTO, 0, NULL, NULL, 0);
	}
done:
	fdutil_close_many(m.fds, m.nfds);
	return 1;
}
