// SPDX-License-Identifier: LGPL-2.1-or-later
/* DER certificates: our DER walker (TBS), the AMD extensions, the PSS checks. */
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cvm_cert *c;
	struct amd_cert_ext e;
	const uint8_t *tbs;
	size_t tbs_len;
	char why[160];

	if (der_cert_tbs(data, size, &tbs, &tbs_len) == 0 && tbs + tbs_len > data + size)
		__builtin_trap();
	if (cert_new_der(data, size, &c) < 0)
		return 0;
	(void)amd_cert_ext_parse(c->x509, &e);
	if (X509_get0_pubkey(c->x509))
		(void)cert_verify_signature(c, X509_get0_pubkey(c->x509), why, sizeof(why));
	cert_free(c);
	return 0;
}
