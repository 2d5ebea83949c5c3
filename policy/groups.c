/*
 * groups.c — the built-in syscall groups of `seccomp allow|deny @GROUP`.
 *
 * Modelled on systemd's SystemCallFilter= sets, cut to what a brokered worker needs. The
 * worker gets its listening sockets, files and connections from the broker, so the groups
 * leave out everything that would let it escape or undermine the sandbox: other processes'
 * memory (ptrace, process_vm_*, pidfd_getfd), kernel attack surface that has produced a
 * steady stream of exploits (io_uring, bpf, userfaultfd, perf_event_open, keyrings), and
 * anything that changes the view of the system (mounts, namespaces, modules, clocks). Those
 * are listed in @privileged so a policy that asks for them can be warned about.
 *
 * Every member is an x86_64 syscall name that libseccomp 2.5.4 resolves, or another group;
 * tests/check_policy.c asserts that for every member.
 */
#include "policy.h"

#include <string.h>

/* Tables are packed by hand: one entry per line would hide their shape. */
/* clang-format off */
static const char *const g_default[] = {
	"arch_prctl", "brk", "clock_getres", "clock_gettime", "clock_nanosleep", "execve",
	"exit", "exit_group", "futex", "get_robust_list", "get_thread_area", "getpid",
	"getppid", "getpgid", "getpgrp", "getsid", "gettid", "gettimeofday", "getrandom",
	"getrlimit", "membarrier", "mmap", "mprotect", "munmap", "nanosleep", "pause",
	"prlimit64", "restart_syscall", "rseq", "rt_sigreturn", "sched_getaffinity",
	"sched_yield", "set_robust_list", "set_thread_area", "set_tid_address", "time",
	"uname", "getuid", "geteuid", "getgid", "getegid", "getresuid", "getresgid",
	"getgroups", NULL,
};

static const char *const g_basic_io[] = {
	"close", "close_range", "copy_file_range", "dup", "dup2", "dup3", "ioctl", "lseek",
	"pread64", "preadv", "preadv2", "pwrite64", "pwritev", "pwritev2", "read", "readv",
	"sendfile", "splice", "tee", "write", "writev", NULL,
};

static const char *const g_file_system[] = {
	"access", "chdir", "chmod", "chown", "creat", "faccessat", "faccessat2", "fadvise64",
	"fallocate", "fchdir", "fchmod", "fchmodat", "fchown", "fchownat", "fcntl",
	"fgetxattr", "flistxattr", "flock", "fremovexattr", "fsetxattr", "fstat", "fstatfs",
	"ftruncate", "futimesat", "getcwd", "getdents", "getdents64", "getxattr",
	"inotify_add_watch", "inotify_init", "inotify_init1", "inotify_rm_watch", "lchown",
	"lgetxattr", "link", "linkat", "listxattr", "llistxattr", "lremovexattr", "lsetxattr",
	"lstat", "mkdir", "mkdirat", "mknod", "mknodat", "newfstatat", "open", "openat",
	"openat2", "readahead", "readlink", "readlinkat", "removexattr", "rename", "renameat",
	"renameat2", "rmdir", "setxattr", "stat", "statfs", "statx", "symlink", "symlinkat",
	"truncate", "umask", "unlink", "unlinkat", "utime", "utimensat", "utimes", NULL,
};

static const char *const g_io_event[] = {
	"epoll_create", "epoll_create1", "epoll_ctl", "epoll_pwait", "epoll_pwait2",
	"epoll_wait", "eventfd", "eventfd2", "poll", "ppoll", "pselect6", "select", NULL,
};

static const char *const g_ipc[] = {
	"mq_getsetattr", "mq_notify", "mq_open", "mq_timedreceive", "mq_timedsend",
	"mq_unlink", "msgctl", "msgget", "msgrcv", "msgsnd", "pipe", "pipe2", "semctl",
	"semget", "semop", "semtimedop", "shmat", "shmctl", "shmdt", "shmget", "vmsplice",
	NULL,
};

static const char *const g_network_io[] = {
	"accept", "accept4", "bind", "connect", "getpeername", "getsockname", "getsockopt",
	"listen", "recvfrom", "recvmmsg", "recvmsg", "sendmmsg", "sendmsg", "sendto",
	"setsockopt", "shutdown", "socket", "socketpair", NULL,
};

static const char *const g_process[] = {
	"clone", "execveat", "fork", "getrusage", "pidfd_open", "pidfd_send_signal", "prctl",
	"setpgid", "setsid", "times", "vfork", "wait4", "waitid", NULL,
};

static const char *const g_signal[] = {
	"kill", "rt_sigaction", "rt_sigpending", "rt_sigprocmask", "rt_sigqueueinfo",
	"rt_sigsuspend", "rt_sigtimedwait", "rt_tgsigqueueinfo", "sigaltstack", "signalfd",
	"signalfd4", "tgkill", "tkill", NULL,
};

static const char *const g_timer[] = {
	"alarm", "getitimer", "setitimer", "timer_create", "timer_delete", "timer_getoverrun",
	"timer_gettime", "timer_settime", "timerfd_create", "timerfd_gettime",
	"timerfd_settime", NULL,
};

static const char *const g_sync[] = {
	"fdatasync", "fsync", "msync", "sync", "sync_file_range", "syncfs", NULL,
};

static const char *const g_memory[] = {
	"get_mempolicy", "madvise", "mbind", "memfd_create", "migrate_pages", "mincore",
	"mlock", "mlock2", "mlockall", "mremap", "munlock", "munlockall", "pkey_alloc",
	"pkey_free", "pkey_mprotect", "remap_file_pages", "set_mempolicy", NULL,
};

static const char *const g_resources[] = {
	"getcpu", "getpriority", "ioprio_get", "ioprio_set", "sched_get_priority_max",
	"sched_get_priority_min", "sched_getattr", "sched_getparam", "sched_getscheduler",
	"sched_rr_get_interval", "sched_setaffinity", "sched_setattr", "sched_setparam",
	"sched_setscheduler", "setpriority", "setrlimit", "sysinfo", NULL,
};

static const char *const g_credentials[] = {
	"capget", "capset", "getegid", "geteuid", "getgid", "getgroups", "getresgid",
	"getresuid", "getuid", "setfsgid", "setfsuid", "setgid", "setgroups", "setregid",
	"setresgid", "setresuid", "setreuid", "setuid", NULL,
};

static const char *const g_system_service[] = {
	"@default", "@basic-io", "@file-system", "@io-event", "@ipc", "@network-io",
	"@process", "@signal", "@timer", "@sync", "@memory", "@resources", "@credentials",
	NULL,
};

static const char *const g_privileged[] = {
	"acct", "add_key", "adjtimex", "bpf", "chroot", "clock_adjtime", "clock_settime",
	"delete_module", "finit_module", "fsconfig", "fsmount", "fsopen", "fspick",
	"init_module", "io_uring_enter", "io_uring_register", "io_uring_setup", "ioperm",
	"iopl", "kexec_file_load", "kexec_load", "keyctl", "lookup_dcookie", "mount",
	"mount_setattr", "move_mount", "name_to_handle_at", "open_by_handle_at", "open_tree",
	"perf_event_open", "personality", "pidfd_getfd", "pivot_root", "process_vm_readv",
	"process_vm_writev", "ptrace", "quotactl", "reboot", "request_key", "seccomp",
	"setns", "settimeofday", "swapoff", "swapon", "umount2", "unshare", "userfaultfd",
	"vhangup", NULL,
};

const struct policy_group policy_groups[] = {
	{"@default", "what every program needs: exit, memory mapping, threads, time, own ids",
	 g_default},
	{"@basic-io", "reading, writing and closing fds the process already holds", g_basic_io},
	{"@file-system", "path-based file access; the kernel still checks permissions",
	 g_file_system},
	{"@io-event", "waiting for fds: poll, select, epoll, eventfd", g_io_event},
	{"@ipc", "pipes, SysV and POSIX message queues, semaphores, shared memory", g_ipc},
	{"@network-io", "socket calls; which addresses the worker reaches is up to the broker",
	 g_network_io},
	{"@process", "creating and waiting for children; clone is checked for CLONE_NEW* flags",
	 g_process},
	{"@signal", "signal handling and sending signals to processes the worker may signal",
	 g_signal},
	{"@timer", "alarms, interval timers, POSIX timers and timerfds", g_timer},
	{"@sync", "flushing file data to storage", g_sync},
	{"@memory", "memory management beyond @default: madvise, mlock, NUMA, memfd, pkeys",
	 g_memory},
	{"@resources", "scheduling, priorities and resource limits of the worker itself",
	 g_resources},
	{"@credentials",
	 "reading ids and the set*id family: changes need capabilities the worker lacks",
	 g_credentials},
	{"@system-service",
	 "enough for typical daemons, interpreters and coreutils; no @privileged calls",
	 g_system_service},
	{"@privileged",
	 "calls that can defeat the sandbox or change the system; never in other groups",
	 g_privileged},
	{NULL, NULL, NULL},
};
/* clang-format on */

const struct policy_group *policy_group_find(const char *name)
{
	const struct policy_group *g;

	if (name == NULL)
		return NULL;
	for (g = policy_groups; g->name != NULL; g++)
		if (strcmp(g->name, name) == 0)
			return g;
	return NULL;
}
