// SPDX-License-Identifier: LGPL-2.1-or-later
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cvm_tdx_quote q;
	struct cvm_cert_list l = { 0 };

	if (cvm_tdx_quote_parse(data, size, &q) != 0)
		return 0;
	if (q.quote_len > size || q.pck_chain + q.pck_chain_len > data + size ||
	    q.qe_auth_data + q.qe_auth_len > data + size || q.signed_len > size)
		__builtin_trap();
	/* the embedded PEM chain goes through the same loader as in verification */
	(void)cert_list_add_buffer(&l, q.pck_chain, q.pck_chain_len);
	cert_list_clear(&l);
	return 0;
}
