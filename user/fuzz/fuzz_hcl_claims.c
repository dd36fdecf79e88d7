// SPDX-License-Identifier: LGPL-2.1-or-later
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cvm_hcl_claims c;

	if (cvm_hcl_claims_parse(data, size, &c) == 0)
		cvm_hcl_claims_done(&c);
	return 0;
}
