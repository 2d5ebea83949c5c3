/* dispatch.h — the broker's request table (broker/dispatch.c). */
#ifndef FDBROKER_DISPATCH_H
#define FDBROKER_DISPATCH_H

#include <stdbool.h>
#include <stddef.h>

#include "broker.h"
#include "proto.h"

/* The most fds any message from a worker may carry (PROTO_LISTENER's one). Anything more
 * truncates the control message, which fdpass_recv refuses, closing what arrived. */
#define DISPATCH_MAX_FDS 1

struct dispatch_msg {
	struct proto_hdr hdr;
	const unsigned char *payload;
	int fds[DISPATCH_MAX_FDS]; /* a handler that keeps one sets its slot to -1 */
	size_t nfds;
};

enum {
	DISPATCH_ONCE = 1u << 0,    /* refused after the first time */
	DISPATCH_REPLIES = 1u << 1, /* a request: always answered, EPROTO if malformed */
};

struct dispatch_row {
	uint16_t type;
	unsigned flags;
	int (*handler)(struct broker *b, struct dispatch_msg *m);
};

/* Serve one message from the (non-blocking) channel. Returns 1 when a message was handled
 * or refused, 2 when none was queued, 0 when the channel is finished (the worker closed
 * it, or it failed for good). */
int dispatch_channel(struct broker *b);

/* A pending reply may now fit: send it and resume reading requests. */
int dispatch_reply_writable(struct broker *b);

/* broker/loop.c: add the listener to the event loop; switch the channel between waiting
 * for requests and waiting to send a pending reply. */
int dispatch_watch_listener(struct broker *b);
void dispatch_want_write(struct broker *b, bool on);

#endif
