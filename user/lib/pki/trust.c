// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Built-in trust anchors.  The PEMs (user/lib/pki/roots/) are compiled in, and
 * each root is additionally pinned here by the SHA-256 of its DER: should
 * the PEM in the tree ever be swapped, the library refuses to start rather
 * than trust something else.
 *
 * AMD ARK/ASK: as served by https://kdsintf.amd.com/vcek/v1/<Product>/cert_chain
 * (ASK first, then ARK), copies in google/go-sev-guest verify/trust/.
 * Intel: "Intel SGX Root CA", https://certificates.trustedservices.intel.com/
 * Intel_SGX_Provisioning_Certification_RootCA.pem, copy in
 * google/go-tdx-guest verify/trusted_root.pem.
 */
#include <errno.h>
#include <string.h>

#include "pki/pki.h"


struct pin {
	const char *cn;
	uint8_t sha256[32];
};

static const struct pin pins[] = {
	{ "ARK-Milan", { 0x69, 0xd0, 0x63, 0xb4, 0x53, 0x44, 0xd2, 0x6a, 0x2e, 0x94, 0xe1,
			 0xf4, 0x21, 0x0d, 0xe4, 0x9e, 0xf5, 0x55, 0x30, 0x82, 0x87, 0xd4,
			 0xc1, 0x74, 0x44, 0x5c, 0x95, 0x63, 0x9a, 0x54, 0x0b, 0xcd } },
	{ "ARK-Genoa", { 0x4c, 0x65, 0x98, 0xd1, 0x9c, 0x18, 0x71, 0x9c, 0x5d, 0xfd, 0x4a,
			 0x7d, 0x33, 0x5f, 0x67, 0x4e, 0x5b, 0xfe, 0x1d, 0x8f, 0x80, 0x0c,
			 0xea, 0x2c, 0xf2, 0x70, 0xc1, 0x0d, 0x10, 0x3d, 0xb2, 0xf1 } },
	{ "ARK-Turin", { 0x1f, 0x08, 0x41, 0x61, 0xa4, 0x4b, 0xb6, 0xd9, 0x37, 0x78, 0xa9,
			 0x04, 0x87, 0x7d, 0x48, 0x19, 0xca, 0xfa, 0x5d, 0x05, 0xef, 0x41,
			 0x93, 0xb2, 0xde, 0xd9, 0xdd, 0x9c, 0x73, 0xdd, 0x3f, 0x6a } },
	{ "Intel SGX Root CA",
	  { 0x44, 0xa0, 0x19, 0x6b, 0x2b, 0x99, 0xf8, 0x89, 0xb8, 0xe1, 0x49,
	    0xe9, 0x5b, 0x80, 0x7a, 0x35, 0x0e, 0x74, 0x24, 0x96, 0x43, 0x99,
	    0xe8, 0x85, 0xa7, 0xcb, 0xb8, 0xcc, 0xfa, 0xb6, 0x74, 0xd3 } },
};

bool trust_is_pinned(const struct cvm_cert *c)
{
	for (size_t i = 0; i < ELEMENTSOF(pins); i++)
		if (memcmp(c->sha256, pins[i].sha256, 32) == 0 && strcmp(c->cn, pins[i].cn) == 0)
			return true;
	return false;
}

static int load_pem(const struct cvm_ctx *ctx, struct cvm_cert_list *l, const char *pem)
{
	struct cvm_cert_list tmp = { 0 };
	int r;

	r = cert_list_add_buffer(&tmp, (const uint8_t *)pem, strlen(pem));
	if (r < 0) {
		log_error(ctx, "Built-in root certificates do not parse: %s", strerror(-r));
		cert_list_clear(&tmp);
		return r;
	}
	for (size_t i = 0; i < tmp.n; i++) {
		struct cvm_cert *c = tmp.v[i];

		if (cert_is_self_issued(c) && !trust_is_pinned(c)) {
			log_error(ctx, "Built-in root \"%s\" does not match its pinned fingerprint", c->cn);
			cert_list_clear(&tmp);
			return -EKEYREJECTED;
		}
	}
	for (size_t i = 0; i < tmp.n; i++) {
		r = cert_list_push(l, tmp.v[i]);
		tmp.v[i] = NULL;
		if (r < 0) {
			for (size_t k = i + 1; k < tmp.n; k++)
				cert_free(tmp.v[k]);
			tmp.n = 0;
			cert_list_clear(&tmp);
			return r;
		}
	}
	tmp.n = 0;
	cert_list_clear(&tmp);
	return 0;
}

int trust_load_builtin_amd(const struct cvm_ctx *ctx, struct cvm_cert_list *roots)
{
	const char *const pems[] = { cvm_root_pem_amd_milan, cvm_root_pem_amd_genoa,
				     cvm_root_pem_amd_turin };
	int r;

	for (size_t i = 0; i < ELEMENTSOF(pems); i++) {
		r = load_pem(ctx, roots, pems[i]);
		if (r < 0)
			return r;
	}
	return 0;
}

int trust_load_builtin_intel(const struct cvm_ctx *ctx, struct cvm_cert_list *roots)
{
	return load_pem(ctx, roots, cvm_root_pem_intel_sgx_root);
}
