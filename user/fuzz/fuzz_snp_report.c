// SPDX-License-Identifier: LGPL-2.1-or-later
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cvm_snp_report s;
	struct cvm_snp_tcb t;

	if (cvm_snp_report_parse(data, size, &s) == 0) {
		/* every field of the parse must be readable; decode for every layout */
		cvm_snp_tcb_decode(s.reported_tcb.raw, CVM_SNP_PRODUCT_TURIN, &t);
		cvm_snp_tcb_decode(s.current_tcb.raw, s.product, &t);
		if (s.raw[0] != data[0])
			__builtin_trap();
	}
	return 0;
}
