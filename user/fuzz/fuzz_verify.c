// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The whole of cvm_verify(): detection, hex decoding, every parser, chain
 * and signature checks, policy, and both output formats.  The real VCEKs
 * are offered when CVMATTEST_TESTDATA points at shared/testdata, so mutated
 * real reports get as far as the signature check.
 */
#include <stdio.h>
#include <stdlib.h>

#include "fuzz.h"

static struct cvm_ctx *ctx;
static struct cvm_policy *policy;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *td = getenv("CVMATTEST_TESTDATA");
	static const char pol[] = "{\"allow_debug\":false,\"snp\":{\"min_tcb\":{\"microcode\":1},\"vmpl\":[0]},"
				  "\"tdx\":{\"min_tee_tcb_svn\":\"00000000000000000000000000000000\"}}";

	(void)argc;
	(void)argv;
	if (cvm_ctx_new(&ctx) < 0 || cvm_policy_new(&policy) < 0)
		__builtin_trap();
	cvm_set_log(ctx, fuzz_silent_log, NULL);
	cvm_set_cache_dir(ctx, NULL);
	if (cvm_policy_load_json(ctx, policy, pol, sizeof(pol) - 1) < 0)
		__builtin_trap();
	if (td) {
		const char *vceks[] = { "snp/gsg-milan-vcek.der", "snp/virtee-milan-vcek.der" };
		char path[4096];

		for (size_t i = 0; i < 2; i++) {
			snprintf(path, sizeof(path), "%s/%s", td, vceks[i]);
			(void)cvm_add_certs_file(ctx, path);
		}
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cvm_result *r;
	char *out;

	if (cvm_verify(ctx, data, size, CVM_FORMAT_UNKNOWN, policy, &r) < 0)
		return 0;
	if (cvm_result_to_json(r, &out) == 0)
		free(out);
	if (cvm_result_to_text(r, &out) == 0)
		free(out);
	cvm_result_free(r);
	return 0;
}
