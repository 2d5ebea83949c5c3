/* intercept.h — transparent mode: serve intercepted open/bind/connect (broker/intercept.c). */
#ifndef FDBROKER_INTERCEPT_H
#define FDBROKER_INTERCEPT_H

#include <linux/seccomp.h>
#include <stdbool.h>

#include "broker.h"
#include "filter.h"

/* If e marks an intercepted syscall, serve the notification (answering it in every case)
 * and return true; otherwise return false and leave it to the caller. */
bool intercept_handle(struct broker *b, const struct seccomp_notif *req,
		      const struct filter_entry *e);

#endif
