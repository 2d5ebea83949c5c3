/* audit.h — the broker's audit log of runtime requests (broker/audit.c). */
#ifndef FDBROKER_AUDIT_H
#define FDBROKER_AUDIT_H

#include "access.h"
#include "broker.h"

enum audit_format {
	AUDIT_TEXT = 0,
	AUDIT_JSON = 1,
};

void audit_set_format(enum audit_format f);

/* One line for one request: op is "open", "connect" or "bind"; target the path or address
 * as the worker sent it. */
void audit_request(const struct broker *b, const char *op, const char *target,
		   const struct access_result *res);

/* Write the batched lines now. */
void audit_flush(void);
/* How long the event loop may block before the batch is due: -1 (nothing batched) or ms. */
int audit_timeout_ms(void);

#endif
