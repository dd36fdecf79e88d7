// SPDX-License-Identifier: LGPL-2.1-or-later
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cvm_snp_cert_table t;
	struct cvm_cert_list l = { 0 };

	if (cvm_snp_cert_table_parse(data, size, &t) == 0) {
		for (size_t i = 0; i < t.n_entries; i++) {
			const struct cvm_snp_cert_entry *e = &t.entries[i];

			/* entries must lie inside the input */
			if (e->data < data || e->data + e->length > data + size)
				__builtin_trap();
		}
	}
	/* the loader behind --certs: PEM, DER or table */
	(void)cert_list_add_buffer(&l, data, size);
	cert_list_clear(&l);
	return 0;
}
