/*
 * fuzz_policy.c — libFuzzer harness for the policy parser (security-tests.md items 12, 32).
 *
 * Each input is a policy text, loaded with policy_load_string as if it were a trusted file
 * (POLICY_LOAD_TRUST_FILE: the ownership check is not what is fuzzed); the policy and the
 * diagnostics are printed to nowhere and freed, so ASan sees every allocation. Includes are
 * confined to the seed corpus directory (fuzz_sandbox.h).
 */
#define _GNU_SOURCE
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "policy.h"

#include "fuzz_open.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static FILE *devnull;
	struct policy_diags diags = {0};
	struct policy *p = NULL;

	if (devnull == NULL)
		devnull = fopen("/dev/null", "w");
	if (policy_load_string(FUZZ_INCLUDE_ROOT "/fuzz.policy", (const char *)data, size,
			       POLICY_LOAD_TRUST_FILE, &p, &diags) == 0 &&
	    p == NULL)
		__builtin_trap(); /* success must return a policy */
	/* the printer walks every diagnostic, source line and caret column */
	if (devnull != NULL)
		policy_diags_print(&diags, devnull);
	policy_free(p);
	policy_diags_free(&diags);
	return 0;
}
