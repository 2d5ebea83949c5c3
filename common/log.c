/*
 * log.c — one line per message on stderr, written with one write(2).
 *
 * The broker forks workers that share its stderr, so a line is built whole in a stack buffer
 * and written at once: lines from different processes never interleave. Messages often
 * carry text a worker chose (paths, addresses); control characters in them are replaced by
 * '?' so a worker cannot forge a log line (or, under journald, its "<N>" priority).
 */
#define _GNU_SOURCE
#include "log.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define LINE_MAX_BYTES 16384 /* a 4095-byte path, escaped, fits */

static char progname[64] = "fdbroker";
static int verbosity;
static bool journal;

/* JOURNAL_STREAM="DEV:INO" names stderr when systemd connected it to the journal. */
static bool stderr_is_journal(void)
{
	const char *e = getenv("JOURNAL_STREAM");
	uintmax_t dev, ino;
	struct stat st;
	char *end;

	if (e == NULL || *e < '0' || *e > '9')
		return false;
	errno = 0;
	dev = strtoumax(e, &end, 10);
	if (errno != 0 || *end != ':' || end[1] < '0' || end[1] > '9')
		return false;
	ino = strtoumax(end + 1, &end, 10);
	if (errno != 0 || *end != '\0')
		return false;
	if (fstat(STDERR_FILENO, &st) < 0)
		return false;
	return (uintmax_t)st.st_dev == dev && (uintmax_t)st.st_ino == ino;
}

void log_init(const char *name, int v)
{
	int saved = errno;
	const char *slash;

	if (name != NULL && *name != '\0') {
		slash = strrchr(name, '/');
		if (slash != NULL && slash[1] != '\0')
			name = slash + 1;
		snprintf(progname, sizeof(progname), "%s", name);
	}
	verbosity = v < 0 ? 0 : v;
	journal = stderr_is_journal();
	errno = saved;
}

int log_verbosity(void)
{
	return verbosity;
}

static bool wanted(int prio)
{
	if (prio <= LOG_NOTICE)
		return true;
	if (prio == LOG_INFO)
		return verbosity >= 1;
	return verbosity >= 2;
}

/* Format one whole line (prefix, sanitized message, newline) into line[size]. */
static size_t format_line(char *line, size_t size, int prio, const char *fmt, va_list ap,
			  int saved_errno)
{
	static const char ellipsis[] = "...";
	size_t len, start, i, room = size - 1; /* the '\n' always fits */
	bool bare = (prio & LOG_BARE) != 0;
	int r;

	prio &= LOG_PRIMASK;
	if (journal)
		r = snprintf(line, room + 1, "<%d>", prio);
	else if (bare)
		r = 0;
	else
		r = snprintf(line, room + 1, "%s: ", progname);
	start = r < 0 ? 0 : (size_t)r;
	if (start > room)
		start = room;

	errno = saved_errno; /* for %m */
	r = vsnprintf(line + start, room + 1 - start, fmt, ap);
	if (r < 0)
		r = 0;
	len = start + (size_t)r;
	if (len > room) {
		len = room;
		memcpy(line + len - (sizeof(ellipsis) - 1), ellipsis, sizeof(ellipsis) - 1);
	}
	while (len > start && line[len - 1] == '\n')
		len--;
	for (i = start; i < len; i++)
		if (((unsigned char)line[i] < 0x20 && line[i] != '\t') || line[i] == 0x7f)
			line[i] = '?';
	line[len++] = '\n';
	return len;
}

static void write_all(const char *buf, size_t len)
{
	size_t i;
	ssize_t w;

	for (i = 0; i < len; i += (size_t)w) {
		w = write(STDERR_FILENO, buf + i, len - i);
		if (w < 0 && errno == EINTR) {
			w = 0;
			continue;
		}
		if (w <= 0)
			break;
	}
}

void log_msg(int prio, const char *fmt, ...)
{
	char line[LINE_MAX_BYTES];
	int saved = errno;
	size_t len;
	va_list ap;

	if (!wanted(prio & LOG_PRIMASK))
		return;
	va_start(ap, fmt);
	len = format_line(line, sizeof(line), prio, fmt, ap, saved);
	va_end(ap);
	write_all(line, len);
	errno = saved;
}

size_t log_format(char *buf, size_t size, int prio, const char *fmt, ...)
{
	int saved = errno;
	size_t len;
	va_list ap;

	if (size < 2 || !wanted(prio & LOG_PRIMASK))
		return 0;
	va_start(ap, fmt);
	len = format_line(buf, size, prio, fmt, ap, saved);
	va_end(ap);
	errno = saved;
	return len;
}

void log_write(const char *buf, size_t len)
{
	int saved = errno;

	write_all(buf, len);
	errno = saved;
}
