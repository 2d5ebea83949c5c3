/*
 * fdpass.h — send and receive one protocol message with file descriptors (SCM_RIGHTS).
 *
 * Sending: header and payload go out as two iovecs in one sendmsg (no staging copy), with
 * MSG_NOSIGNAL so a dead peer is EPIPE, never SIGPIPE. EINTR is retried.
 *
 * Receiving: MSG_CMSG_CLOEXEC always; the caller sizes the control buffer by the most fds it
 * accepts (max_fds). MSG_CTRUNC or MSG_TRUNC, a control message that is not SCM_RIGHTS, a
 * header that fails proto_check_hdr, or more fds than the message type allows are errors
 * (EPROTO); on every error path every fd that arrived is closed. EINTR is retried.
 *
 * Library code: returns -1 with errno, never prints.
 */
#ifndef FDBROKER_FDPASS_H
#define FDBROKER_FDPASS_H

#include <stddef.h>
#include <sys/types.h>

#include "proto.h"

/* Send hdr (its len must equal payload_len) + payload + nfds fds (nfds <= PROTO_MAX_FDS).
 * The fds stay owned by the caller. 0 or -1/errno. */
int fdpass_send(int sock, const struct proto_hdr *hdr, const void *payload, const int *fds,
		size_t nfds);

/*
 * Receive one message. Payload bytes go to payload (cap must be >= the largest payload the
 * caller accepts; a longer datagram is MSG_TRUNC -> EPROTO). Up to max_fds fds are stored in
 * ret_fds (array of at least max_fds), their count in *ret_nfds; the caller owns them.
 *
 * Returns 1 for a message, 0 at end of stream (the peer closed), -1 with errno otherwise:
 * EPROTO for a malformed message (already discarded, fds closed: the caller may keep reading),
 * EAGAIN on a non-blocking socket with nothing queued, other errno from recvmsg.
 * A zero-length datagram is EPROTO, not end of stream.
 */
int fdpass_recv(int sock, struct proto_hdr *ret_hdr, void *payload, size_t cap, int *ret_fds,
		size_t max_fds, size_t *ret_nfds);

#endif
