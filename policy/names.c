/*
 * names.c — name <-> number tables of the policy language: socket kinds, operations,
 * capabilities and errno values.
 *
 * Capabilities use our own table rather than libcap's cap_from_name so that a policy parses
 * the same on every machine whatever libcap's age: the numbers are kernel ABI and never change.
 */
#include <string.h>

#include "policy.h"

#include <errno.h>
#include <stddef.h>
#include <strings.h>

const char *policy_sock_name(enum policy_sock s)
{
	switch (s) {
	case POLICY_SOCK_TCP:
		return "tcp";
	case POLICY_SOCK_UDP:
		return "udp";
	case POLICY_SOCK_UNIX:
		return "unix";
	}
	return "?";
}

const char *policy_op_name(enum policy_op op)
{
	switch (op) {
	case POLICY_OP_OPEN:
		return "open";
	case POLICY_OP_CONNECT:
		return "connect";
	case POLICY_OP_BIND:
		return "bind";
	}
	return "?";
}

/* Tables are packed by hand: one entry per line would hide their shape. */
/* clang-format off */
/* Index = capability number (linux/capability.h), up to CAP_CHECKPOINT_RESTORE (Linux 5.9). */
static const char *const cap_names[] = {
	"chown",
	"dac_override",
	"dac_read_search",
	"fowner",
	"fsetid",
	"kill",
	"setgid",
	"setuid",
	"setpcap",
	"linux_immutable",
	"net_bind_service",
	"net_broadcast",
	"net_admin",
	"net_raw",
	"ipc_lock",
	"ipc_owner",
	"sys_module",
	"sys_rawio",
	"sys_chroot",
	"sys_ptrace",
	"sys_pacct",
	"sys_admin",
	"sys_boot",
	"sys_nice",
	"sys_resource",
	"sys_time",
	"sys_tty_config",
	"mknod",
	"lease",
	"audit_write",
	"audit_control",
	"setfcap",
	"mac_override",
	"mac_admin",
	"syslog",
	"wake_alarm",
	"block_suspend",
	"audit_read",
	"perfmon",
	"bpf",
	"checkpoint_restore",
};

#define NCAPS (int)(sizeof(cap_names) / sizeof(cap_names[0]))
/* clang-format on */

int policy_cap_from_name(const char *name)
{
	int i;

	if (name == NULL)
		return -1;
	if (strncasecmp(name, "cap_", 4) == 0)
		name += 4;
	for (i = 0; i < NCAPS; i++)
		if (strcasecmp(name, cap_names[i]) == 0)
			return i;
	return -1;
}

const char *policy_cap_name(int cap)
{
	if (cap < 0 || cap >= NCAPS)
		return NULL;
	return cap_names[cap];
}

struct errno_name {
	const char *name;
	int value;
};

/* clang-format off */
/* The errno values a seccomp rule plausibly returns; the first name of a value wins. */
static const struct errno_name errno_names[] = {
	{"EPERM", EPERM},
	{"ENOENT", ENOENT},
	{"ESRCH", ESRCH},
	{"EINTR", EINTR},
	{"EIO", EIO},
	{"ENXIO", ENXIO},
	{"E2BIG", E2BIG},
	{"ENOEXEC", ENOEXEC},
	{"EBADF", EBADF},
	{"ECHILD", ECHILD},
	{"EAGAIN", EAGAIN},
	{"EWOULDBLOCK", EWOULDBLOCK},
	{"ENOMEM", ENOMEM},
	{"EACCES", EACCES},
	{"EFAULT", EFAULT},
	{"EBUSY", EBUSY},
	{"EEXIST", EEXIST},
	{"EXDEV", EXDEV},
	{"ENODEV", ENODEV},
	{"ENOTDIR", ENOTDIR},
	{"EISDIR", EISDIR},
	{"EINVAL", EINVAL},
	{"ENFILE", ENFILE},
	{"EMFILE", EMFILE},
	{"ENOTTY", ENOTTY},
	{"EFBIG", EFBIG},
	{"ENOSPC", ENOSPC},
	{"ESPIPE", ESPIPE},
	{"EROFS", EROFS},
	{"EMLINK", EMLINK},
	{"EPIPE", EPIPE},
	{"ERANGE", ERANGE},
	{"ENAMETOOLONG", ENAMETOOLONG},
	{"ENOSYS", ENOSYS},
	{"ENOTEMPTY", ENOTEMPTY},
	{"ELOOP", ELOOP},
	{"ENODATA", ENODATA},
	{"EOVERFLOW", EOVERFLOW},
	{"ENOTSOCK", ENOTSOCK},
	{"EPROTONOSUPPORT", EPROTONOSUPPORT},
	{"EOPNOTSUPP", EOPNOTSUPP},
	{"ENOTSUP", ENOTSUP},
	{"EAFNOSUPPORT", EAFNOSUPPORT},
	{"EADDRINUSE", EADDRINUSE},
	{"EADDRNOTAVAIL", EADDRNOTAVAIL},
	{"ENETUNREACH", ENETUNREACH},
	{"ECONNABORTED", ECONNABORTED},
	{"ECONNRESET", ECONNRESET},
	{"ENOTCONN", ENOTCONN},
	{"ETIMEDOUT", ETIMEDOUT},
	{"ECONNREFUSED", ECONNREFUSED},
	{"EHOSTUNREACH", EHOSTUNREACH},
	{"EALREADY", EALREADY},
	{"EINPROGRESS", EINPROGRESS},
	{"ECANCELED", ECANCELED},
	{"EPROTO", EPROTO},
};
/* clang-format on */

#define NERRNO (sizeof(errno_names) / sizeof(errno_names[0]))

int policy_errno_from_name(const char *name)
{
	size_t i;

	if (name == NULL)
		return -1;
	for (i = 0; i < NERRNO; i++)
		if (strcasecmp(name, errno_names[i].name) == 0)
			return errno_names[i].value;
	return -1;
}

const char *policy_errno_name(int err)
{
	size_t i;

	for (i = 0; i < NERRNO; i++)
		if (errno_names[i].value == err)
			return errno_names[i].name;
	return NULL;
}

const char *const policy_right_names[] = {
	"read", "write", "append", "create", "truncate", "directory", "nosymlinks", NULL,
};

unsigned policy_right_from_name(const char *name)
{
	size_t i;

	for (i = 0; policy_right_names[i] != NULL; i++)
		if (strcmp(name, policy_right_names[i]) == 0)
			return 1u << i;
	return 0;
}

const char *policy_rights_text(unsigned rights, char *buf, size_t size)
{
	size_t i, len = 0;

	if (size == 0)
		return buf;
	buf[0] = '\0';
	for (i = 0; policy_right_names[i] != NULL && len < size; i++)
		if (rights & (1u << i))
			len += (size_t)snprintf(buf + len, size - len, "%s%s", len ? " " : "",
						policy_right_names[i]);
	return buf;
}

const char *policy_severity_name(enum policy_severity s)
{
	switch (s) {
	case POLICY_WARNING:
		return "warning";
	case POLICY_NOTE:
		return "note";
	case POLICY_ERROR:
	default:
		return "error";
	}
}
