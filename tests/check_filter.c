/*
 * check_filter.c — the compiled seccomp filters, checked against an expected decision table
 * (security-tests.md items 19, 20, 25 and 33).
 *
 * Both filters are exported as raw BPF (what the kernel will run) and evaluated here with a
 * small classic-BPF interpreter over seccomp_data inputs: every native syscall number, a
 * sample of unknown and future numbers, the i386 and x32 ABIs, and arguments with high bits
 * set. The combined verdict (the most restrictive of the two, as the kernel takes it) must
 * equal what the plan says. This catches generator bugs (libseccomp GHSA-4q85-33p6-j5g6
 * class) without running any syscall, so even `reboot` can be in the table.
 */
#define _GNU_SOURCE
#include <check.h>
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/sched.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "filter.h"
#include "helpers.h"
#include "policy.h"

#define X32_SYSCALL_BIT 0x40000000u

struct prog {
	struct sock_filter *insns;
	size_t n;
};

/* Export one filter through a temp file. */
static struct prog export_prog(const struct filter_plan *plan, bool restrictions)
{
	FILE *f = tmpfile();
	struct prog p = {0};
	long size;

	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(filter_export_bpf(plan, restrictions, fileno(f)), 0);
	size = lseek(fileno(f), 0, SEEK_END);
	ck_assert_int_gt(size, 0);
	ck_assert_int_eq(size % (long)sizeof(struct sock_filter), 0);
	p.n = (size_t)size / sizeof(struct sock_filter);
	p.insns = malloc((size_t)size);
	ck_assert_ptr_nonnull(p.insns);
	ck_assert_int_eq(pread(fileno(f), p.insns, (size_t)size, 0), size);
	fclose(f);
	return p;
}

/* Classic BPF as the seccomp verifier allows it: loads from seccomp_data (32-bit, aligned),
 * scratch memory, ALU, jumps and returns. */
static uint32_t run_bpf(const struct prog *p, const struct seccomp_data *d)
{
	uint32_t A = 0, X = 0, M[BPF_MEMWORDS] = {0};
	size_t pc = 0, steps = 0;

	while (pc < p->n) {
		const struct sock_filter *i = &p->insns[pc];
		uint32_t k = i->k;
		ck_assert_msg(++steps < 100000, "BPF does not terminate");
		switch (i->code) {
		case BPF_LD | BPF_W | BPF_ABS:
			ck_assert(k % 4 == 0 && k + 4 <= sizeof(*d));
			memcpy(&A, (const char *)d + k, 4);
			break;
		case BPF_LD | BPF_W | BPF_LEN:
			A = sizeof(*d);
			break;
		case BPF_LD | BPF_IMM:
			A = k;
			break;
		case BPF_LDX | BPF_IMM:
			X = k;
			break;
		case BPF_LD | BPF_MEM:
			A = M[k];
			break;
		case BPF_LDX | BPF_MEM:
			X = M[k];
			break;
		case BPF_ST:
			M[k] = A;
			break;
		case BPF_STX:
			M[k] = X;
			break;
		case BPF_ALU | BPF_AND | BPF_K:
			A &= k;
			break;
		case BPF_ALU | BPF_OR | BPF_K:
			A |= k;
			break;
		case BPF_ALU | BPF_ADD | BPF_K:
			A += k;
			break;
		case BPF_ALU | BPF_SUB | BPF_K:
			A -= k;
			break;
		case BPF_ALU | BPF_RSH | BPF_K:
			A >>= k;
			break;
		case BPF_ALU | BPF_LSH | BPF_K:
			A <<= k;
			break;
		case BPF_MISC | BPF_TAX:
			X = A;
			break;
		case BPF_MISC | BPF_TXA:
			A = X;
			break;
		case BPF_JMP | BPF_JA:
			pc += k;
			break;
		case BPF_JMP | BPF_JEQ | BPF_K:
			pc += A == k ? i->jt : i->jf;
			break;
		case BPF_JMP | BPF_JGT | BPF_K:
			pc += A > k ? i->jt : i->jf;
			break;
		case BPF_JMP | BPF_JGE | BPF_K:
			pc += A >= k ? i->jt : i->jf;
			break;
		case BPF_JMP | BPF_JSET | BPF_K:
			pc += (A & k) ? i->jt : i->jf;
			break;
		case BPF_RET | BPF_K:
			return k;
		case BPF_RET | BPF_A:
			return A;
		default:
			ck_abort_msg("unexpected BPF instruction %#x at %zu", i->code, pc);
		}
		pc++;
	}
	ck_abort_msg("BPF ran off the end");
	return 0;
}

/* The kernel's precedence: lower rank wins. */
static int rank(uint32_t ret)
{
	switch (ret & SECCOMP_RET_ACTION_FULL) {
	case SECCOMP_RET_KILL_PROCESS:
		return 0;
	case SECCOMP_RET_KILL_THREAD:
		return 1;
	case SECCOMP_RET_TRAP:
		return 2;
	case SECCOMP_RET_ERRNO:
		return 3;
	case SECCOMP_RET_USER_NOTIF:
		return 4;
	case SECCOMP_RET_TRACE:
		return 5;
	case SECCOMP_RET_LOG:
		return 6;
	default:
		return 7; /* ALLOW */
	}
}

static struct prog allow_prog, restrict_prog;
static struct filter_plan *plan;
static struct policy *pol;

static uint32_t verdict(uint32_t arch, int nr, const uint64_t args[6])
{
	struct seccomp_data d;
	uint32_t a, r;

	memset(&d, 0, sizeof(d));
	d.arch = arch;
	d.nr = nr;
	if (args != NULL)
		memcpy(d.args, args, sizeof(d.args));
	a = run_bpf(&allow_prog, &d);
	r = run_bpf(&restrict_prog, &d);
	return rank(a) <= rank(r) ? a : r;
}

/* What the plan says for nr with zero arguments. */
static uint32_t expected(int nr)
{
	const struct filter_entry *e = filter_plan_lookup(plan, nr);

	if (e == NULL)
		return plan->dflt == POLICY_SECCOMP_ERRNO ? SECCOMP_RET_ERRNO | (uint32_t)plan->dflt_errno
		       : plan->dflt == POLICY_SECCOMP_LOG ? SECCOMP_RET_LOG
							   : SECCOMP_RET_USER_NOTIF;
	if (e->intercept || e->action == POLICY_SECCOMP_KILL)
		return SECCOMP_RET_USER_NOTIF;
	if (e->action == POLICY_SECCOMP_ERRNO)
		return SECCOMP_RET_ERRNO | (uint32_t)e->errno_val;
	return SECCOMP_RET_ALLOW;
}

static const char accept_policy[] = "version 1\n"
				    "user nobody\n"
				    "listen http tcp 127.0.0.1:80\n"
				    "seccomp default kill\n"
				    "seccomp allow @system-service\n"
				    "seccomp deny getppid errno EACCES\n"
				    "seccomp deny sysinfo\n";

static void setup(void)
{
	struct policy_diags diags = {0};

	ck_assert_int_eq(policy_load_string("t.policy", accept_policy, strlen(accept_policy),
					    POLICY_LOAD_TRUST_FILE, &pol, &diags),
			 0);
	policy_diags_free(&diags);
	ck_assert_int_eq(filter_plan_build(pol, 4, &plan), 0);
	allow_prog = export_prog(plan, false);
	restrict_prog = export_prog(plan, true);
}

static void teardown(void)
{
	free(allow_prog.insns);
	free(restrict_prog.insns);
	filter_plan_free(plan);
	policy_free(pol);
}

/* Every native syscall number gets exactly the plan's verdict (zero arguments). */
START_TEST(test_every_native_syscall_matches_plan)
{
	int nr, checked = 0;

	for (nr = 0; nr < 1024; nr++) {
		char *name = seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, nr);
		uint32_t got, want;
		if (name == NULL)
			continue;
		got = verdict(AUDIT_ARCH_X86_64, nr, NULL);
		want = expected(nr);
		/* the restriction filter refines these regardless of the allow list */
		if (strcmp(name, "clone3") == 0 || strcmp(name, "setns") == 0)
			want = strcmp(name, "clone3") == 0 ? SECCOMP_RET_ERRNO | ENOSYS
							    : SECCOMP_RET_ERRNO | EPERM;
		ck_assert_msg(got == want, "%s (%d): filter says %#x, plan says %#x", name, nr, got,
			      want);
		free(name);
		checked++;
	}
	ck_assert_int_gt(checked, 300);
}
END_TEST

/* Spot checks written by hand, independent of the plan code. */
START_TEST(test_hand_written_table)
{
	static const struct {
		const char *name;
		uint32_t want;
	} table[] = {
		{"read", SECCOMP_RET_ALLOW},
		{"openat", SECCOMP_RET_ALLOW},
		{"execve", SECCOMP_RET_ALLOW},
		{"getppid", SECCOMP_RET_ERRNO | EACCES}, /* explicit deny with errno */
		{"sysinfo", SECCOMP_RET_USER_NOTIF},     /* explicit deny: kill via the broker */
		{"ptrace", SECCOMP_RET_USER_NOTIF},      /* default kill */
		{"mount", SECCOMP_RET_USER_NOTIF},
		{"io_uring_setup", SECCOMP_RET_USER_NOTIF},
		{"bpf", SECCOMP_RET_USER_NOTIF},
		{"userfaultfd", SECCOMP_RET_USER_NOTIF},
		{"kexec_load", SECCOMP_RET_USER_NOTIF},
		{"init_module", SECCOMP_RET_USER_NOTIF},
		{"process_vm_writev", SECCOMP_RET_USER_NOTIF},
		{"pidfd_getfd", SECCOMP_RET_USER_NOTIF},
		{"keyctl", SECCOMP_RET_USER_NOTIF},
		{"perf_event_open", SECCOMP_RET_USER_NOTIF},
		{"reboot", SECCOMP_RET_USER_NOTIF},
		{"seccomp", SECCOMP_RET_USER_NOTIF},
		{"unshare", SECCOMP_RET_USER_NOTIF},
		{"clone3", SECCOMP_RET_ERRNO | ENOSYS},
		{"setns", SECCOMP_RET_ERRNO | EPERM},
	};
	size_t i;

	for (i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		int nr = seccomp_syscall_resolve_name(table[i].name);
		uint32_t got = verdict(AUDIT_ARCH_X86_64, nr, NULL);
		ck_assert_msg(got == table[i].want, "%s: %#x, want %#x", table[i].name, got,
			      table[i].want);
	}
}
END_TEST

/* Item 25: unknown and future syscall numbers get the default action, never "allow". */
START_TEST(test_unknown_numbers_get_default)
{
	static const int nrs[] = {463, 500, 511, 600, 1000, 4095, 0x3fffffff};
	size_t i;

	for (i = 0; i < sizeof(nrs) / sizeof(nrs[0]); i++)
		ck_assert_msg(verdict(AUDIT_ARCH_X86_64, nrs[i], NULL) == SECCOMP_RET_USER_NOTIF,
			      "syscall %d not given the default action", nrs[i]);
}
END_TEST

/* Item 19: i386 (int 0x80) and x32 syscalls are killed, whatever the number. */
START_TEST(test_foreign_abis_killed)
{
	int nr;

	for (nr = 0; nr < 512; nr += 7) {
		ck_assert_uint_eq(verdict(AUDIT_ARCH_I386, nr, NULL), SECCOMP_RET_KILL_PROCESS);
		ck_assert_uint_eq(verdict(AUDIT_ARCH_X86_64, (int)(X32_SYSCALL_BIT | (unsigned)nr),
					  NULL),
				  SECCOMP_RET_KILL_PROCESS);
	}
	ck_assert_uint_eq(verdict(AUDIT_ARCH_AARCH64, 63, NULL), SECCOMP_RET_KILL_PROCESS);
}
END_TEST

/* Item 20: integer arguments the kernel reads as 32 bits are compared on 32 bits. */
START_TEST(test_high_bits_do_not_bypass)
{
	const int ioctl_nr = seccomp_syscall_resolve_name("ioctl");
	const int clone_nr = seccomp_syscall_resolve_name("clone");
	const int sendmsg_nr = seccomp_syscall_resolve_name("sendmsg");
	uint64_t args[6] = {0};

	args[1] = TIOCSTI;
	ck_assert_uint_eq(verdict(AUDIT_ARCH_X86_64, ioctl_nr, args), SECCOMP_RET_ERRNO | EPERM);
	args[1] = (1ull << 32) | TIOCSTI;
	ck_assert_uint_eq(verdict(AUDIT_ARCH_X86_64, ioctl_nr, args), SECCOMP_RET_ERRNO | EPERM);
	args[1] = 0xffffffff00000000ull | TIOCLINUX;
	ck_assert_uint_eq(verdict(AUDIT_ARCH_X86_64, ioctl_nr, args), SECCOMP_RET_ERRNO | EPERM);
	args[1] = FIONREAD;
	ck_assert_uint_eq(verdict(AUDIT_ARCH_X86_64, ioctl_nr, args), SECCOMP_RET_ALLOW);

	memset(args, 0, sizeof(args));
	args[0] = CLONE_NEWUSER | 17;
	ck_assert_uint_eq(verdict(AUDIT_ARCH_X86_64, clone_nr, args), SECCOMP_RET_ERRNO | EPERM);
	args[0] = (1ull << 40) | CLONE_NEWNET;
	ck_assert_uint_eq(verdict(AUDIT_ARCH_X86_64, clone_nr, args), SECCOMP_RET_ERRNO | EPERM);
	args[0] = CLONE_VM | CLONE_THREAD | CLONE_SIGHAND | 17;
	ck_assert_uint_eq(verdict(AUDIT_ARCH_X86_64, clone_nr, args), SECCOMP_RET_ALLOW);

	/* sendmsg stays allowed on the channel (fd 4 here) and elsewhere via @network-io */
	memset(args, 0, sizeof(args));
	args[0] = 4;
	ck_assert_uint_eq(verdict(AUDIT_ARCH_X86_64, sendmsg_nr, args), SECCOMP_RET_ALLOW);
}
END_TEST

/* Without sendmsg in the allow list, only the channel keeps it, compared on 32 bits. */
START_TEST(test_channel_sendmsg_only)
{
	struct policy_diags diags = {0};
	struct policy *p = NULL;
	struct filter_plan *pl = NULL;
	struct prog a, r;
	struct seccomp_data d;
	static const char text[] = "version 1\nuser nobody\nseccomp allow @default\n";
	const int nr = seccomp_syscall_resolve_name("sendmsg");

	ck_assert_int_eq(policy_load_string("t.policy", text, strlen(text), POLICY_LOAD_TRUST_FILE,
					    &p, &diags),
			 0);
	policy_diags_free(&diags);
	ck_assert_int_eq(filter_plan_build(p, 3, &pl), 0);
	a = export_prog(pl, false);
	r = export_prog(pl, true);
	memset(&d, 0, sizeof(d));
	d.arch = AUDIT_ARCH_X86_64;
	d.nr = nr;
	d.args[0] = 3;
	ck_assert_uint_eq(run_bpf(&a, &d), SECCOMP_RET_ALLOW);
	d.args[0] = 5;
	ck_assert_uint_eq(run_bpf(&a, &d), SECCOMP_RET_USER_NOTIF);
	d.args[0] = (1ull << 32) | 3; /* the kernel sees fd 3 */
	ck_assert_uint_eq(run_bpf(&a, &d), SECCOMP_RET_ALLOW);
	(void)r;
	free(a.insns);
	free(r.insns);
	filter_plan_free(pl);
	policy_free(p);
}
END_TEST

static Suite *filter_suite(void)
{
	Suite *s = suite_create("filter");
	TCase *tc = tcase_create("decision table");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_every_native_syscall_matches_plan);
	tcase_add_test(tc, test_hand_written_table);
	tcase_add_test(tc, test_unknown_numbers_get_default);
	tcase_add_test(tc, test_foreign_abis_killed);
	tcase_add_test(tc, test_high_bits_do_not_bypass);
	tcase_add_test(tc, test_channel_sendmsg_only);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return th_run_suite(filter_suite());
}
