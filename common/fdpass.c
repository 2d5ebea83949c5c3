/*
 * fdpass.c — one protocol message (header, payload, SCM_RIGHTS fds) per sendmsg/recvmsg.
 *
 * The receive side is the trust boundary: whatever arrives, fds included, belongs to us the
 * moment recvmsg returns. Every rejected message has its fds closed here, before returning,
 * so a hostile peer can never make the receiver's fd count grow. Received fds are never used
 * for anything but close() on the error paths: a FIFO, a directory or our own socket end is
 * harmless to close.
 */
#define _GNU_SOURCE
#include "fdpass.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "fdutil.h"

/* Room for the largest SCM_RIGHTS message we ever send or accept, aligned for cmsghdr. */
union cmsg_buf {
	struct cmsghdr align;
	unsigned char buf[CMSG_SPACE(PROTO_MAX_FDS * sizeof(int))];
};

int fdpass_send(int sock, const struct proto_hdr *hdr, const void *payload, const int *fds,
                size_t nfds)
{
	union cmsg_buf cbuf;
	struct iovec iov[2];
	struct msghdr msg;
	struct cmsghdr *cmsg;
	size_t payload_len = hdr->len;
	ssize_t n;

	if (nfds > PROTO_MAX_FDS || (nfds > 0 && fds == NULL) ||
	    (payload_len > 0 && payload == NULL)) {
		errno = EINVAL;
		return -1;
	}
	if (payload_len > PROTO_MAX_PAYLOAD) {
		errno = EMSGSIZE;
		return -1;
	}

	memset(&msg, 0, sizeof(msg));
	iov[0].iov_base = (void *)hdr;
	iov[0].iov_len = sizeof(*hdr);
	iov[1].iov_base = (void *)payload;
	iov[1].iov_len = payload_len;
	msg.msg_iov = iov;
	msg.msg_iovlen = payload_len > 0 ? 2 : 1;

	if (nfds > 0) {
		memset(&cbuf, 0, sizeof(cbuf));
		msg.msg_control = cbuf.buf;
		msg.msg_controllen = CMSG_SPACE(nfds * sizeof(int));
		cmsg = CMSG_FIRSTHDR(&msg);
		cmsg->cmsg_level = SOL_SOCKET;
		cmsg->cmsg_type = SCM_RIGHTS;
		cmsg->cmsg_len = CMSG_LEN(nfds * sizeof(int));
		memcpy(CMSG_DATA(cmsg), fds, nfds * sizeof(int));
	}

	do
		n = sendmsg(sock, &msg, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -1;
	/* SEQPACKET sends whole datagrams; a short count would be a kernel surprise. */
	if ((size_t)n != sizeof(*hdr) + payload_len) {
		errno = EIO;
		return -1;
	}
	return 0;
}

/* Close every fd carried by any SCM_RIGHTS control message in msg. */
static void close_received(struct msghdr *msg)
{
	struct cmsghdr *cmsg;
	size_t i, n;
	int fd;

	for (cmsg = CMSG_FIRSTHDR(msg); cmsg != NULL; cmsg = CMSG_NXTHDR(msg, cmsg)) {
		if (cmsg->cmsg_level != SOL_SOCKET || cmsg->cmsg_type != SCM_RIGHTS ||
		    cmsg->cmsg_len < CMSG_LEN(0))
			continue;
		n = (cmsg->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (i = 0; i < n; i++) {
			memcpy(&fd, CMSG_DATA(cmsg) + i * sizeof(int), sizeof(int));
			fdutil_close(fd);
		}
	}
}

/*
 * Count the fds in msg; -1 if any control message is not SOL_SOCKET/SCM_RIGHTS, or if there
 * is more than one SCM_RIGHTS (we send exactly one, so anything else is not ours).
 */
static ssize_t count_received(struct msghdr *msg, struct cmsghdr **ret_rights)
{
	struct cmsghdr *cmsg, *rights = NULL;

	for (cmsg = CMSG_FIRSTHDR(msg); cmsg != NULL; cmsg = CMSG_NXTHDR(msg, cmsg)) {
		if (cmsg->cmsg_level != SOL_SOCKET || cmsg->cmsg_type != SCM_RIGHTS ||
		    rights != NULL || cmsg->cmsg_len < CMSG_LEN(0))
			return -1;
		rights = cmsg;
	}
	*ret_rights = rights;
	if (rights == NULL)
		return 0;
	return (ssize_t)((rights->cmsg_len - CMSG_LEN(0)) / sizeof(int));
}

/*
 * recvmsg returned 0. On SEQPACKET that is either end of stream or a zero-length datagram.
 * POLLHUP/POLLRDHUP means the peer is gone for writing: call it end of stream. (A zero-length
 * datagram sent just before the peer closed is then reported as end of stream too; only a
 * misbehaving peer sends one, and it loses nothing but its own queued messages.)
 */
static bool at_eof(int sock)
{
	struct pollfd pfd = {.fd = sock, .events = POLLIN | POLLRDHUP};
	int r;

	do
		r = poll(&pfd, 1, 0);
	while (r < 0 && errno == EINTR);
	return r > 0 && (pfd.revents & (POLLHUP | POLLRDHUP)) != 0;
}

int fdpass_recv(int sock, struct proto_hdr *ret_hdr, void *payload, size_t cap, int *ret_fds,
                size_t max_fds, size_t *ret_nfds)
{
	union cmsg_buf cbuf;
	struct proto_hdr hdr;
	struct iovec iov[2];
	struct msghdr msg;
	struct cmsghdr *rights;
	ssize_t n, nfds;

	if (max_fds > PROTO_MAX_FDS)
		max_fds = PROTO_MAX_FDS;
	if ((cap > 0 && payload == NULL) || (max_fds > 0 && ret_fds == NULL)) {
		errno = EINVAL;
		return -1;
	}

	memset(&msg, 0, sizeof(msg));
	memset(&hdr, 0, sizeof(hdr));
	iov[0].iov_base = &hdr;
	iov[0].iov_len = sizeof(hdr);
	iov[1].iov_base = payload;
	iov[1].iov_len = cap;
	msg.msg_iov = iov;
	msg.msg_iovlen = cap > 0 ? 2 : 1;
	if (max_fds > 0) {
		/* Sized for max_fds only: the kernel drops the rest and says MSG_CTRUNC. */
		memset(&cbuf, 0, sizeof(cbuf));
		msg.msg_control = cbuf.buf;
		msg.msg_controllen = CMSG_SPACE(max_fds * sizeof(int));
	}

	do
		n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -1;

	nfds = count_received(&msg, &rights);
	if (nfds < 0 || (msg.msg_flags & (MSG_CTRUNC | MSG_TRUNC)) != 0)
		goto bad;
	if (n == 0) {
		/* Anything attached proves this was a datagram, not end of stream. */
		if (nfds == 0 && at_eof(sock))
			return 0;
		goto bad;
	}
	if (proto_check_hdr(&hdr, (size_t)n) < 0)
		goto bad;
	/* CMSG_SPACE rounds up, so the kernel may have delivered one more than max_fds. */
	if ((size_t)nfds > proto_max_fds(hdr.type) || (size_t)nfds > max_fds)
		goto bad;

	if (nfds > 0)
		memcpy(ret_fds, CMSG_DATA(rights), (size_t)nfds * sizeof(int));
	*ret_hdr = hdr;
	*ret_nfds = (size_t)nfds;
	return 1;
bad:
	close_received(&msg);
	errno = EPROTO;
	return -1;
}
