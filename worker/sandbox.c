/*
 * sandbox.c — the worker's lockdown, in one fixed order (design §3).
 *
 * Runs in the child between fork and execve, still as root. Every step is checked and any
 * failure ends the child with SANDBOX_EXIT_SETUP before the command runs: the worker never
 * runs with a half-built sandbox. The order matters:
 *   bounding set      needs CAP_SETPCAP, so it goes first, while we are root
 *   securebits        likewise; NOROOT makes an exec as uid 0 gain nothing
 *   setgroups, setresgid, setresuid   groups before gid before uid, or we lose the right
 *   verify ids        getres[ug]id and getgroups must show exactly the target, and
 *                     setuid(0) must fail
 *   capabilities      keep only the policy's list, raised as ambient so they survive exec
 *   no_new_privs      setuid/file-capability binaries gain nothing from here on
 *   not dumpable      no ptrace/proc access by same-uid processes until exec
 *   seccomp           last: once loaded, only the exec itself is left to do
 */
#define _GNU_SOURCE
#include "sandbox.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <linux/capability.h>
#include <linux/securebits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "fdpass.h"
#include "fdutil.h"
#include "log.h"
#include "proto.h"

#define die(...)                                                                                   \
	do {                                                                                       \
		log_err("worker: " __VA_ARGS__);                                                   \
		_exit(SANDBOX_EXIT_SETUP);                                                         \
	} while (0)

/* Signals blocked or ignored by the broker must not leak into the command. */
static void reset_signals(void)
{
	struct sigaction sa;
	sigset_t none;
	int sig;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	for (sig = 1; sig < NSIG; sig++)
		(void)sigaction(sig, &sa, NULL); /* EINVAL for SIGKILL/SIGSTOP/RT internals */
	sigemptyset(&none);
	if (sigprocmask(SIG_SETMASK, &none, NULL) < 0)
		die("sigprocmask: %m");
}

/* Receive the setup message and put its fds at 3.., the channel right after them. Sets the
 * socket-activation variables. Returns the channel's new number. */
static int receive_fds(const struct sandbox_spec *spec)
{
	static unsigned char payload[PROTO_MAX_PAYLOAD];
	const char *names[PROTO_MAX_FDS];
	int fds[PROTO_MAX_FDS + 1];
	struct proto_hdr hdr;
	size_t nfds = 0, nnames = 0, i;
	char buf[64], *joined;
	size_t joined_len = 1;
	int r;

	if (fdutil_close_all_except(3, &spec->channel, 1) < 0)
		die("closing inherited fds: %m");
	r = fdpass_recv(spec->channel, &hdr, payload, sizeof(payload), fds, PROTO_MAX_FDS, &nfds);
	if (r <= 0)
		die("receiving the setup message: %s", r == 0 ? "broker closed the channel" :
								 strerror(errno));
	if (hdr.type != PROTO_SETUP ||
	    proto_decode_setup(payload, hdr.len, names, PROTO_MAX_FDS, &nnames) < 0 ||
	    nnames != nfds || nfds != spec->nfds) {
		fdutil_close_many(fds, nfds);
		die("malformed setup message (%zu fds, %zu names, %zu expected)", nfds, nnames,
		    spec->nfds);
	}
	fds[nfds] = spec->channel;
	if (fdutil_place(fds, nfds + 1, 3) < 0)
		die("placing fds at 3..%zu: %m", 3 + nfds);

	for (i = 0; i < nnames; i++)
		joined_len += strlen(names[i]) + 1;
	joined = calloc(1, joined_len);
	if (joined == NULL)
		die("out of memory");
	for (i = 0; i < nnames; i++) {
		if (i > 0)
			strcat(joined, ":");
		strcat(joined, names[i]);
	}
	/* LISTEN_PID is set here, in the process that execs: it keeps its pid across exec. */
	if (nfds > 0) {
		snprintf(buf, sizeof(buf), "%zu", nfds);
		if (setenv("LISTEN_FDS", buf, 1) < 0 || setenv("LISTEN_FDNAMES", joined, 1) < 0)
			die("setenv: %m");
		snprintf(buf, sizeof(buf), "%ld", (long)getpid());
		if (setenv("LISTEN_PID", buf, 1) < 0)
			die("setenv: %m");
	} else {
		unsetenv("LISTEN_FDS");
		unsetenv("LISTEN_FDNAMES");
		unsetenv("LISTEN_PID");
	}
	snprintf(buf, sizeof(buf), "%zu", 3 + nfds);
	if (setenv("FDBROKER_FD", buf, 1) < 0)
		die("setenv: %m");
	for (i = 0; spec->setenv != NULL && spec->setenv[i] != NULL; i++)
		if (putenv(spec->setenv[i]) != 0)
			die("setenv: %m");
	free(joined);
	return (int)(3 + nfds);
}

static bool cap_kept(const struct sandbox_spec *spec, int cap)
{
	return cap < 64 && (spec->caps_keep & (UINT64_C(1) << cap)) != 0;
}

static void drop_bounding_set(const struct sandbox_spec *spec)
{
	int cap;

	for (cap = 0; cap <= CAP_LAST_CAP; cap++) {
		if (cap_kept(spec, cap))
			continue;
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno != EINVAL)
			die("dropping capability %d from the bounding set: %m", cap);
	}
}

static void set_securebits(const struct sandbox_spec *spec)
{
	/* NOROOT: uid 0 gains no capabilities from exec. Fixups on uid change stay on (and
	 * locked), so leaving uid 0 clears the permitted set — except what KEEP_CAPS keeps
	 * when the policy keeps some (KEEP_CAPS is reset by exec). */
	unsigned long bits = SECBIT_NOROOT | SECBIT_NOROOT_LOCKED | SECBIT_NO_SETUID_FIXUP_LOCKED;

	if (spec->caps_keep != 0)
		bits |= SECBIT_KEEP_CAPS;
	else
		bits |= SECBIT_KEEP_CAPS_LOCKED | SECBIT_NO_CAP_AMBIENT_RAISE |
			SECBIT_NO_CAP_AMBIENT_RAISE_LOCKED;
	if (prctl(PR_SET_SECUREBITS, bits, 0, 0, 0) < 0)
		die("setting securebits: %m");
}

static void change_ids(const struct sandbox_spec *spec)
{
	uid_t ru, eu, su;
	gid_t rg, eg, sg;
	static gid_t got[65536]; /* the kernel's NGROUPS_MAX */
	int n, i;

	if (setgroups(spec->ngroups, spec->groups) < 0)
		die("setgroups: %m");
	if (setresgid(spec->gid, spec->gid, spec->gid) < 0)
		die("setresgid(%u): %m", (unsigned)spec->gid);
	if (setresuid(spec->uid, spec->uid, spec->uid) < 0)
		die("setresuid(%u): %m", (unsigned)spec->uid);

	/* Verify: trust what the kernel reports, not what the calls returned. */
	if (getresuid(&ru, &eu, &su) < 0 || ru != spec->uid || eu != spec->uid || su != spec->uid)
		die("uid did not change to %u", (unsigned)spec->uid);
	if (getresgid(&rg, &eg, &sg) < 0 || rg != spec->gid || eg != spec->gid || sg != spec->gid)
		die("gid did not change to %u", (unsigned)spec->gid);
	n = getgroups((int)(sizeof(got) / sizeof(got[0])), got);
	if (n < 0 || (size_t)n != spec->ngroups)
		die("supplementary groups did not change");
	for (i = 0; i < n; i++)
		if (got[i] != spec->groups[i])
			die("supplementary groups did not change");
	if (spec->uid != 0 && (setuid(0) != -1 || seteuid(0) != -1))
		die("could regain uid 0 after dropping it");
}

static void set_capabilities(const struct sandbox_spec *spec)
{
	cap_value_t kept[64];
	int nkept = 0, cap;
	cap_t caps = cap_init();
	cap_t now = NULL;

	if (caps == NULL)
		die("cap_init: %m");
	for (cap = 0; cap <= CAP_LAST_CAP && cap < 64; cap++)
		if (cap_kept(spec, cap))
			kept[nkept++] = cap;
	if (nkept > 0 && (cap_set_flag(caps, CAP_PERMITTED, nkept, kept, CAP_SET) < 0 ||
			  cap_set_flag(caps, CAP_EFFECTIVE, nkept, kept, CAP_SET) < 0 ||
			  cap_set_flag(caps, CAP_INHERITABLE, nkept, kept, CAP_SET) < 0))
		die("cap_set_flag: %m");
	if (cap_set_proc(caps) < 0)
		die("setting capabilities: %m");
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0)
		die("clearing ambient capabilities: %m");
	for (cap = 0; cap < nkept; cap++)
		if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, kept[cap], 0, 0) < 0)
			die("raising ambient capability %d: %m", kept[cap]);

	/* Verify the sets are exactly what we asked for. */
	now = cap_get_proc();
	if (now == NULL || cap_compare(now, caps) != 0)
		die("capability sets differ from the policy after the drop");
	for (cap = 0; cap <= CAP_LAST_CAP; cap++) {
		int amb = prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, cap, 0, 0);
		if (amb < 0 || (amb == 1) != cap_kept(spec, cap))
			die("ambient capability %d differs from the policy", cap);
	}
	cap_free(now);
	cap_free(caps);
}

static int exec_status(int err)
{
	return err == ENOENT || err == ENOTDIR ? SANDBOX_EXIT_NOTFOUND : SANDBOX_EXIT_NOEXEC;
}

_Noreturn void sandbox_run(const struct sandbox_spec *spec)
{
	unsigned char buf[64];
	struct proto_buf pb;
	struct proto_hdr hdr;
	int channel, listener = -1, fd, err;

	reset_signals();
	/* A new session: no controlling terminal, so TIOCSTI cannot inject into ours. */
	if (setsid() < 0)
		die("setsid: %m");
	channel = receive_fds(spec);
	if (channel != spec->plan->channel_fd)
		die("channel at fd %d, filter expects %d", channel, spec->plan->channel_fd);

	/* --- the lockdown, in its fixed order ------------------------------------------ */
	drop_bounding_set(spec);
	set_securebits(spec);
	change_ids(spec);
	set_capabilities(spec);
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		die("PR_SET_NO_NEW_PRIVS: %m");
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
		die("PR_SET_DUMPABLE: %m");
	/* Die with the broker. Set after the id change, which clears it; then make sure the
	 * broker did not exit before we asked. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0)
		die("PR_SET_PDEATHSIG: %m");
	if (getppid() != spec->broker_pid)
		die("the broker exited during setup");
	/* The one place CLOEXEC is cleared: the fds the command inherits, right before the
	 * filter and the exec. */
	for (fd = 3; fd <= channel; fd++)
		if (fdutil_set_cloexec(fd, false) < 0)
			die("clearing FD_CLOEXEC on fd %d: %m", fd);
	if (filter_load(spec->plan, &listener) < 0)
		die("loading the seccomp filter: %m");

	/* --- from here on only the channel, execve and exit are certain to be allowed --- */
	if (listener >= 0) {
		proto_hdr_init(&hdr, PROTO_LISTENER, 0, 0);
		if (fdpass_send(channel, &hdr, NULL, &listener, 1) < 0)
			_exit(SANDBOX_EXIT_SETUP);
		/* the listener is O_CLOEXEC: exec closes our copy */
	}
	execvp(spec->argv[0], spec->argv);
	err = errno;
	proto_buf_init(&pb, buf, sizeof(buf));
	if (proto_encode_exec_failed(&pb, err) == 0) {
		proto_hdr_init(&hdr, PROTO_EXEC_FAILED, 0, pb.len);
		(void)fdpass_send(channel, &hdr, buf, NULL, 0);
	}
	_exit(exec_status(err));
}
