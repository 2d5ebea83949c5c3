/*
 * fuzz_sandbox.h — force-included (-include) into every source of the fuzz builds.
 *
 * A fuzzed policy can say `include "/any/path"`. load.c only reads regular files (O_NONBLOCK,
 * S_ISREG), but merely opening some device nodes has side effects (a watchdog starts, a tape
 * rewinds), and a fuzzer tries every path it can spell. So the parser's open(2) goes through
 * fuzz_open (tests/fuzz/fuzz_policy.c, fuzz_proto.c), which refuses any path outside the seed
 * corpus directory FUZZ_INCLUDE_ROOT and any path with a ".." component, and never follows
 * symlinks. Relative includes resolve against that directory: the harness names its input
 * FUZZ_INCLUDE_ROOT "/fuzz.policy", so the golden include trees in the corpus are reachable.
 */
#ifndef FDBROKER_FUZZ_SANDBOX_H
#define FDBROKER_FUZZ_SANDBOX_H

#ifndef FUZZ_INCLUDE_ROOT
#error "FUZZ_INCLUDE_ROOT must name the policy seed corpus directory (absolute)"
#endif

#define open fuzz_open
int fuzz_open(const char *path, int flags, ...);

#endif
