/* dispatch.h — the broker's request table (broker/dispatch.c). */
#ifndef FDBROKER_DISPATCH_H
#define FDBROKER_DISPATCH_H

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
	DISPATCH_ONCE = 1u << 0, /* refused after the first time */
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

/* Add the listener to the event loop (broker/loop.c). */
int dispatch_watch_listener(struct broker *b);

#endif
