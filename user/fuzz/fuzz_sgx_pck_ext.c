// SPDX-License-Identifier: LGPL-2.1-or-later
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sgx_pck_ext e;

	(void)sgx_pck_ext_parse_der(data, size, &e);
	return 0;
}
