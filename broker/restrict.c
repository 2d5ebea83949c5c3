/*
 * restrict.c — the broker restricts itself once the worker runs.
 *
 * By then everything declared in the policy is open and handed over, every allow-open
 * rule's root directory is open, and the only work left is serving the worker. So:
 *   - capabilities: only what the runtime rules need (none if there are none):
 *       CAP_KILL              always: forwarding signals to (and killing) a worker that
 *                             runs under another uid
 *       CAP_DAC_OVERRIDE,     with allow-open rules: open files the worker cannot, as
 *       CAP_DAC_READ_SEARCH   root could
 *       CAP_CHOWN             with allow-open rules that may create: the file belongs to
 *                             the worker
 *       CAP_NET_BIND_SERVICE  with allow-bind rules on ports below 1024
 *       (the DAC pair also with allow-connect rules on unix paths: reaching a socket
 *                             the worker cannot)
 *       CAP_SYS_PTRACE        with `intercept`: reading the caller's memory and taking
 *                             its socket (process_vm_readv, pidfd_getfd)
 *     The bounding set is cut down to the same list; the uid stays 0 so root-owned files
 *     keep their owner permissions.
 *   - not dumpable: no core dumps with handed-over secrets, no ptrace by same-uid processes.
 *   - a seccomp filter of its own: the syscalls the event loop and the handlers make are
 *     allowed; process-changing calls (execve, ptrace, mount, module loading, ...) kill the
 *     broker; everything else fails with EPERM.
 * Failure of any step is fatal for the launch: the broker never serves a worker with
 * fewer restrictions than this file says.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/capability.h>
#include <seccomp.h>
#include <stdbool.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <sys/resource.h>

#include "broker.h"
#include "log.h"

/* What the broker does after the worker started: the event loop, the handlers in
 * access.c/net.c/notify.c/dispatch.c, logging and libc's own needs. */
static const char *const broker_allow[] = {
	/* event loop, channel, signals */
	"epoll_create1", "epoll_wait", "epoll_pwait", "epoll_ctl", "read", "write", "writev", "recvmsg",
	"sendmsg", "sendmmsg", "recvfrom", "sendto", "close", "close_range", "poll", "ppoll",
	"rt_sigprocmask", "rt_sigreturn", "restart_syscall", "waitid", "wait4",
	"pidfd_open", "pidfd_send_signal", "pidfd_getfd", "kill", "tgkill", "getpid", "gettid",
	"getppid", "getuid", "geteuid", "getgid", "getegid", "clock_gettime", "clock_nanosleep",
	"nanosleep", "gettimeofday", "time",
	/* runtime opens (access.c) */
	"openat2", "openat", "open", "readlink", "readlinkat", "fstat", "newfstatat", "statx",
	"lstat", "stat", "fcntl", "ftruncate", "fchown", "chown", "fchownat", "lseek",
	"unlink", "unlinkat", "umask", "fchmod", "chmod", "fchmodat", "mkdir", "mkdirat",
	"getdents64", "pread64",
	/* runtime sockets (net.c) */
	"socket", "connect", "bind", "listen", "setsockopt", "getsockopt", "getsockname",
	"getpeername", "shutdown",
	/* seccomp notifications (notify.c): SECCOMP_IOCTL_NOTIF_* */
	"ioctl", "process_vm_readv",
	/* memory and libc */
	"brk", "mmap", "munmap", "mremap", "mprotect", "madvise", "futex", "getrandom",
	"exit", "exit_group", "prlimit64", "getrlimit", "sched_yield", "sched_getaffinity",
	"rseq", "set_robust_list", "uname",
	NULL,
};

/* Calls that would change what the broker is or reach into other processes: never. */
static const char *const broker_kill[] = {
	"execve", "execveat", "ptrace", "process_vm_writev", "mount", "umount2", "pivot_root",
	"chroot", "unshare", "setns", "clone3", "init_module", "finit_module", "delete_module",
	"kexec_load", "kexec_file_load", "bpf", "perf_event_open", "userfaultfd", "keyctl",
	"add_key", "request_key", "io_uring_setup", "io_uring_enter", "io_uring_register",
	"setuid", "setgid", "setreuid", "setregid", "setresuid", "setresgid", "setgroups",
	"capset", "seccomp", "reboot", "swapon", "swapoff", "acct", "personality",
	NULL,
};

static void keep(cap_value_t *list, int *n, cap_value_t cap)
{
	list[(*n)++] = cap;
}

static int drop_capabilities(const struct broker *b)
{
	const struct policy *p = b->policy;
	bool opens = false, creates = false, low_bind = false;
	cap_value_t kept[8] = {0};
	int nkept = 0, cap, i;
	size_t r;
	cap_t caps;

	for (r = 0; r < p->nrules; r++) {
		const struct policy_rule *rule = &p->rules[r];
		if (rule->verdict != POLICY_ALLOW)
			continue;
		if (rule->op == POLICY_OP_OPEN) {
			opens = true;
			creates |= (rule->rights & POLICY_RIGHT_CREATE) != 0;
		}
		if (rule->op == POLICY_OP_BIND && rule->addr.family != AF_UNIX &&
		    rule->addr.port_lo < 1024)
			low_bind = true;
		if (rule->op == POLICY_OP_CONNECT && rule->addr.family == AF_UNIX)
			opens = true; /* reaching a socket the worker cannot: root's access */
	}
	keep(kept, &nkept, CAP_KILL);
	if (opens) {
		keep(kept, &nkept, CAP_DAC_OVERRIDE);
		keep(kept, &nkept, CAP_DAC_READ_SEARCH);
	}
	if (creates)
		keep(kept, &nkept, CAP_CHOWN);
	if (low_bind)
		keep(kept, &nkept, CAP_NET_BIND_SERVICE);
	/* transparent mode reads the caller's memory and takes its sockets */
	if (p->intercept != 0)
		keep(kept, &nkept, CAP_SYS_PTRACE);

	for (cap = 0; cap <= CAP_LAST_CAP; cap++) {
		bool wanted = false;
		for (i = 0; i < nkept; i++)
			wanted |= kept[i] == cap;
		if (!wanted && prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno != EINVAL) {
			log_err("dropping capability %d from the broker's bounding set: %m", cap);
			return -1;
		}
	}
	caps = cap_init();
	if (caps == NULL || cap_set_flag(caps, CAP_PERMITTED, nkept, kept, CAP_SET) < 0 ||
	    cap_set_flag(caps, CAP_EFFECTIVE, nkept, kept, CAP_SET) < 0 || cap_set_proc(caps) < 0) {
		log_err("dropping the broker's capabilities: %m");
		cap_free(caps);
		return -1;
	}
	cap_free(caps);
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0) {
		log_err("clearing ambient capabilities: %m");
		return -1;
	}
	log_debug("broker keeps %d capabilities", nkept);
	return 0;
}

static int add_list(scmp_filter_ctx ctx, const char *const *names, uint32_t action)
{
	size_t i;

	for (i = 0; names[i] != NULL; i++) {
		int nr = seccomp_syscall_resolve_name(names[i]), r;
		if (nr < 0)
			continue; /* not on this architecture */
		r = seccomp_rule_add(ctx, action, nr, 0);
		if (r < 0) {
			errno = -r;
			return -1;
		}
	}
	return 0;
}

static int load_own_filter(void)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ERRNO(EPERM));
	int r = -1;

	if (ctx == NULL) {
		errno = ENOMEM;
		goto out;
	}
	if (seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS) < 0 ||
	    seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0) < 0 ||
	    seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2) < 0)
		goto out;
	if (add_list(ctx, broker_allow, SCMP_ACT_ALLOW) < 0 ||
	    add_list(ctx, broker_kill, SCMP_ACT_KILL_PROCESS) < 0)
		goto out;
	r = seccomp_load(ctx);
	if (r < 0) {
		errno = -r;
		r = -1;
	}
out:
	if (ctx != NULL)
		seccomp_release(ctx);
	return r;
}

static void raise_nofile(void)
{
	struct rlimit rl;

	/* Headroom for open_many replies: soft limit up to the hard limit. Done after the fork,
	 * so the worker keeps the soft limit it would have had (select() users need <1024). */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}
}

int restrict_broker(struct broker *b)
{
	raise_nofile();
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0) {
		log_err("PR_SET_DUMPABLE: %m");
		return -1;
	}
	if (drop_capabilities(b) < 0)
		return -1;
	/* Nothing the broker does from here on should gain privileges. */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
		log_err("PR_SET_NO_NEW_PRIVS: %m");
		return -1;
	}
	if (load_own_filter() < 0) {
		log_err("loading the broker's own seccomp filter: %m");
		return -1;
	}
	log_debug("broker restricted: capabilities dropped, seccomp filter loaded");
	return 0;
}

