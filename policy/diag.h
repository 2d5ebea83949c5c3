/* diag.h — private to policy/: appending to a struct policy_diags. */
#ifndef FDBROKER_POLICY_DIAG_H
#define FDBROKER_POLICY_DIAG_H

#include <stdarg.h>

#include "policy.h"

/*
 * Append one diagnostic. `file` and `source_line` are copied (either may be NULL; line 0 means
 * "no line", col 0 "no column"). Returns 0, or -1 with errno ENOMEM (nothing appended).
 */
int diag_add(struct policy_diags *d, enum policy_severity sev, const char *file, unsigned line,
             unsigned col, const char *source_line, const char *fmt, ...)
    __attribute__((format(printf, 7, 8)));
int diag_vadd(struct policy_diags *d, enum policy_severity sev, const char *file, unsigned line,
              unsigned col, const char *source_line, const char *fmt, va_list ap)
    __attribute__((format(printf, 7, 0)));

#endif
