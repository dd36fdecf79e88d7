// SPDX-License-Identifier: LGPL-2.1-or-later
/* /etc/crypttab as `cvmattest luks unlock` reads it for the mapping name. */
#include "fuzz.h"
#include "luks/luks.h"

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
	const char *path = fuzz_file(data, size);
	char *name = NULL;

	/* /dev/null: a device node every machine has, for the path comparison */
	if (cvm_luks_crypttab_name(ctx, path, "/dev/null", "2b4a1c4e-7f5a-4c6e-9d3b-0c1d2e3f4a5b",
				   &name) == 0) {
		if (!name || !*name)
			__builtin_trap();
		free(name);
	}
	return 0;
}
