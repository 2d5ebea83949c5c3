/*
 * attack.c — one hostile syscall per run, for the end-to-end sandbox tests.
 *
 * Usage: attack NAME. Prints "NAME: blocked (ERRNO)" and exits 0 when the call fails, or
 * "NAME: SUCCEEDED" and exits 3 when the sandbox let it through. A filter that kills us
 * shows up as a signal exit instead. Raw syscall(2) is used so libc cannot paper over
 * anything (and so high argument bits reach the kernel as written).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/io_uring.h>
#include <linux/seccomp.h>
#include <linux/filter.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

static long int80_open(const char *path)
{
	long ret;
	/* i386 open(2) is syscall 5 through the 32-bit entry point */
	__asm__ volatile("int $0x80" : "=a"(ret) : "a"(5L), "b"(path), "c"(0L), "d"(0L)
			 : "memory");
	return ret;
}

static long attack(const char *name)
{
	if (strcmp(name, "ptrace") == 0)
		return syscall(SYS_ptrace, 0 /* PTRACE_TRACEME */, 0, 0, 0);
	if (strcmp(name, "ptrace-parent") == 0)
		return syscall(SYS_ptrace, 16 /* PTRACE_ATTACH */, getppid(), 0, 0);
	if (strcmp(name, "mount") == 0)
		return syscall(SYS_mount, "none", "/tmp", "tmpfs", 0, NULL);
	if (strcmp(name, "unshare-user") == 0)
		return syscall(SYS_unshare, CLONE_NEWUSER);
	if (strcmp(name, "unshare-user-highbits") == 0)
		return syscall(SYS_unshare, (1UL << 32) | CLONE_NEWUSER);
	if (strcmp(name, "clone-newns") == 0) {
		long r = syscall(SYS_clone, CLONE_NEWNS | CLONE_NEWUSER | 17 /* SIGCHLD */, 0, 0,
				 0, 0);
		if (r == 0)
			_exit(0);
		return r;
	}
	if (strcmp(name, "setns") == 0)
		return syscall(SYS_setns, 0, 0);
	if (strcmp(name, "chroot") == 0)
		return syscall(SYS_chroot, "/tmp");
	if (strcmp(name, "tiocsti") == 0) {
		char c = 'x';
		return syscall(SYS_ioctl, 0, (unsigned long)TIOCSTI, &c);
	}
	if (strcmp(name, "tiocsti-highbits") == 0) {
		char c = 'x';
		return syscall(SYS_ioctl, 0, (1UL << 32) | TIOCSTI, &c);
	}
	if (strcmp(name, "setuid0") == 0)
		return syscall(SYS_setuid, 0);
	if (strcmp(name, "setresuid0") == 0)
		return syscall(SYS_setresuid, -1, 0, -1);
	if (strcmp(name, "setgroups") == 0) {
		gid_t g = 0;
		return syscall(SYS_setgroups, 1, &g);
	}
	if (strcmp(name, "int80-open") == 0) {
		long r = int80_open("/etc/passwd");
		if (r < 0 && r > -4096) {
			errno = (int)-r;
			return -1;
		}
		return r;
	}
	if (strcmp(name, "x32-getpid") == 0)
		return syscall(0x40000000 | 39);
	if (strcmp(name, "io_uring") == 0) {
		struct io_uring_params p;
		memset(&p, 0, sizeof(p));
		return syscall(SYS_io_uring_setup, 8, &p);
	}
	if (strcmp(name, "bpf") == 0)
		return syscall(SYS_bpf, 0, NULL, 0);
	if (strcmp(name, "perf_event_open") == 0)
		return syscall(SYS_perf_event_open, NULL, 0, -1, -1, 0);
	if (strcmp(name, "userfaultfd") == 0)
		return syscall(SYS_userfaultfd, 0);
	if (strcmp(name, "keyctl") == 0)
		return syscall(SYS_keyctl, 0, 0, 0, 0, 0);
	if (strcmp(name, "init_module") == 0)
		return syscall(SYS_init_module, NULL, 0, "");
	if (strcmp(name, "kexec_load") == 0)
		return syscall(SYS_kexec_load, 0, 0, NULL, 0);
	if (strcmp(name, "process_vm_writev") == 0) {
		char buf[1] = {0};
		struct iovec l = {buf, 1}, r = {buf, 1};
		return syscall(SYS_process_vm_writev, getppid(), &l, 1, &r, 1, 0);
	}
	if (strcmp(name, "pidfd_getfd") == 0)
		return syscall(SYS_pidfd_getfd, 0, 0, 0);
	if (strcmp(name, "seccomp-listener") == 0) {
		struct sock_filter f[] = {BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)};
		struct sock_fprog prog = {1, f};
		return syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER,
			       SECCOMP_FILTER_FLAG_NEW_LISTENER, &prog);
	}
	if (strcmp(name, "capset-raise") == 0) {
		/* try to put CAP_SYS_ADMIN into the effective and permitted sets */
		struct {
			unsigned version;
			int pid;
		} hdr = {0x20080522 /* _LINUX_CAPABILITY_VERSION_3 */, 0};
		struct {
			unsigned effective, permitted, inheritable;
		} data[2] = {{1u << 21, 1u << 21, 0}, {0, 0, 0}};
		return syscall(SYS_capset, &hdr, data);
	}
	if (strcmp(name, "pivot_root") == 0)
		return syscall(SYS_pivot_root, "/tmp", "/tmp");
	fprintf(stderr, "attack: unknown attack '%s'\n", name);
	exit(2);
}

int main(int argc, char **argv)
{
	long r;

	if (argc != 2) {
		fprintf(stderr, "usage: attack NAME\n");
		return 2;
	}
	errno = 0;
	r = attack(argv[1]);
	if (r >= 0) {
		printf("%s: SUCCEEDED (%ld)\n", argv[1], r);
		return 3;
	}
	printf("%s: blocked (%s)\n", argv[1], strerror(errno));
	return 0;
}
