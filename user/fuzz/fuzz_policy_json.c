// SPDX-License-Identifier: LGPL-2.1-or-later
#include "fuzz.h"

static struct cvm_ctx *ctx;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	ctx = fuzz_ctx();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cvm_policy *p;

	if (cvm_policy_new(&p) < 0)
		return 0;
	(void)cvm_policy_load_json(ctx, p, (const char *)data, size);
	cvm_policy_free(p);
	return 0;
}
