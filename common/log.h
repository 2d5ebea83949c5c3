/*
 * log.h — program logging (broker and CLI only; library code never prints).
 *
 * Lines go to stderr as "fdbroker: MESSAGE". When stderr is the journal (JOURNAL_STREAM
 * names stderr's device and inode), each line carries a "<N>" syslog priority prefix instead,
 * so journald records the right priority.
 */
#ifndef FDBROKER_LOG_H
#define FDBROKER_LOG_H

#include <stddef.h>
#include <syslog.h>

/* OR into prio: no "PROGNAME: " prefix (for machine-readable lines such as JSON). The
 * journal priority prefix is still written when stderr is the journal. */
#define LOG_BARE 0x10000

/* verbosity: 0 = errors, warnings and notices; 1 (-v) adds info; 2 (-vv) adds debug. */
void log_init(const char *progname, int verbosity);
int log_verbosity(void);
void log_msg(int prio, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Format one line exactly as log_msg would write it (prefix, control characters replaced,
 * newline) into buf; returns its length, 0 if prio is filtered out. With log_write, lets a
 * caller batch many lines into one write(2). */
size_t log_format(char *buf, size_t size, int prio, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
void log_write(const char *buf, size_t len);

#define log_err(...) log_msg(LOG_ERR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_WARNING, __VA_ARGS__)
#define log_notice(...) log_msg(LOG_NOTICE, __VA_ARGS__)
#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)

#endif
