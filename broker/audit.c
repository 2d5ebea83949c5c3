/*
 * audit.c — one log line per grant and per refusal: worker pid, operation, target, verdict
 * and the deciding rule as FILE:LINE (or "no rule"). Text by default; with
 * --log-format json, one JSON object per line. Targets are worker-chosen strings: in text
 * they are quoted with control characters replaced (log.c), in JSON they are escaped.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "access.h"
#include "audit.h"
#include "log.h"

static enum audit_format format = AUDIT_TEXT;

/*
 * Lines are batched: one write(2) per AUDIT_FLUSH_MS or per buffer-full instead of one per
 * request, which is a measurable share of a request's cost (make bench, *_auditfile rows).
 * A line is at most AUDIT_FLUSH_MS late; the loop flushes before it blocks for longer and
 * before any other log line, so the order on stderr is kept.
 */
#define AUDIT_FLUSH_MS 50
#define AUDIT_LINE_MAX 16384
static char batch[4 * AUDIT_LINE_MAX];
static size_t batch_len;
static struct timespec batch_start;

void audit_flush(void)
{
	if (batch_len == 0)
		return;
	log_write(batch, batch_len);
	batch_len = 0;
}

int audit_timeout_ms(void)
{
	struct timespec now;
	long ms;

	if (batch_len == 0)
		return -1;
	clock_gettime(CLOCK_MONOTONIC, &now);
	ms = (now.tv_sec - batch_start.tv_sec) * 1000 +
	     (now.tv_nsec - batch_start.tv_nsec) / 1000000;
	return ms >= AUDIT_FLUSH_MS ? 0 : (int)(AUDIT_FLUSH_MS - ms);
}

static void emit(int prio, const char *msg)
{
	if (sizeof(batch) - batch_len < AUDIT_LINE_MAX)
		audit_flush();
	if (batch_len == 0)
		clock_gettime(CLOCK_MONOTONIC, &batch_start);
	batch_len += log_format(batch + batch_len, sizeof(batch) - batch_len, prio, "%s", msg);
}

void audit_set_format(enum audit_format f)
{
	format = f;
}

/* Right names as a JSON array body ("read","write") or space-separated text. */
static void rights_text(unsigned rights, char *buf, size_t size, bool json)
{
	size_t i, len = 0;

	if (!json) {
		policy_rights_text(rights, buf, size);
		return;
	}
	buf[0] = '\0';
	for (i = 0; policy_right_names[i] != NULL && len < size; i++)
		if (rights & (1u << i))
			len += (size_t)snprintf(buf + len, size - len, "%s\"%s\"", len ? "," : "",
						policy_right_names[i]);
}

/* JSON string body with every byte below 0x20 or above 0x7e, '"' and '\\' escaped. */
static void json_escape(const char *s, char *buf, size_t size)
{
	size_t o = 0;

	for (; *s != '\0' && o + 7 < size; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\') {
			buf[o++] = '\\';
			buf[o++] = (char)c;
		} else if (c < 0x20 || c >= 0x7f) {
			/* control bytes, and bytes that may not be valid UTF-8 (a strict JSON
			 * parser must never drop a worker's line) */
			o += (size_t)snprintf(buf + o, size - o, "\\u%04x", c);
		} else {
			buf[o++] = (char)c;
		}
	}
	buf[o] = '\0';
}

void audit_request(const struct broker *b, const char *op, const char *target,
		   const struct access_result *res)
{
	char rule[512], rights[128], esc[2 * 4096], line[AUDIT_LINE_MAX];
	const struct policy_rule *r = res->match.rule;
	const char *verdict = res->allowed ? "allow" : "deny";

	if (r != NULL)
		snprintf(rule, sizeof(rule), "%s:%u", r->loc.file, r->loc.line);
	else
		snprintf(rule, sizeof(rule), "%s", res->reason ? res->reason : "no rule");

	if (format == AUDIT_JSON) {
		char err[64];
		json_escape(target, esc, sizeof(esc));
		rights_text(res->rights, rights, sizeof(rights), true);
		if (res->error != 0)
			snprintf(err, sizeof(err), "\"%s\"", strerrorname_np(res->error)
								  ? strerrorname_np(res->error)
								  : "E?");
		else
			snprintf(err, sizeof(err), "null");
		snprintf(line, sizeof(line),
			"{\"worker\":%ld,\"op\":\"%s\",\"target\":\"%s\",\"rights\":[%s],"
			"\"verdict\":\"%s\",\"rule\":%s%s%s,\"reason\":%s%s%s,\"error\":%s}",
			(long)b->worker_pid, op, esc, rights, verdict, r != NULL ? "\"" : "",
			r != NULL ? rule : "null", r != NULL ? "\"" : "",
			res->reason ? "\"" : "", res->reason ? res->reason : "null",
			res->reason ? "\"" : "", err);
		emit(LOG_NOTICE | LOG_BARE, line);
		return;
	}
	rights_text(res->rights, rights, sizeof(rights), false);
	/* a worker-chosen target must not close the quotes and fake a verdict */
	{
		size_t o = 0;
		const char *t;
		for (t = target; *t != '\0' && o + 3 < sizeof(esc); t++) {
			if (*t == '"' || *t == '\\')
				esc[o++] = '\\';
			esc[o++] = *t;
		}
		esc[o] = '\0';
		target = esc;
	}
	if (res->allowed && res->error == 0)
		snprintf(line, sizeof(line), "audit: worker %ld: %s \"%s\"%s%s%s: allow (%s)",
			(long)b->worker_pid, op, target, *rights ? " (" : "", rights,
			*rights ? ")" : "", rule);
	else if (res->allowed)
		snprintf(line, sizeof(line), "audit: worker %ld: %s \"%s\"%s%s%s: allow (%s), failed: %s",
			(long)b->worker_pid, op, target, *rights ? " (" : "", rights,
			*rights ? ")" : "", rule, strerror(res->error));
	else
		snprintf(line, sizeof(line), "audit: worker %ld: %s \"%s\"%s%s%s: deny (%s)%s%s",
			(long)b->worker_pid, op, target, *rights ? " (" : "", rights,
			*rights ? ")" : "", rule,
			res->error != EACCES && res->error != 0 ? ": " : "",
			res->error != EACCES && res->error != 0 ? strerror(res->error) : "");
	emit(LOG_NOTICE, line);
}
