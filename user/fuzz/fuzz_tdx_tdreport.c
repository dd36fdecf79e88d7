// SPDX-License-Identifier: LGPL-2.1-or-later
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cvm_tdx_tdreport t;

	(void)cvm_tdx_tdreport_parse(data, size, &t);
	return 0;
}
