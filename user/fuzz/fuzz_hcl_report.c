// SPDX-License-Identifier: LGPL-2.1-or-later
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cvm_hcl_report h;
	struct cvm_hcl_claims c;

	if (cvm_hcl_report_parse(data, size, &h) != 0)
		return 0;
	if (h.variable_data + h.variable_size > data + size)
		__builtin_trap();
	if (cvm_hcl_claims_parse(h.variable_data, h.variable_size, &c) == 0)
		cvm_hcl_claims_done(&c);
	return 0;
}
