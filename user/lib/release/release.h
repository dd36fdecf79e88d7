/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libcvmattest, layer "release": Secure Key Release and unwrapping the released key. */
#ifndef CVM_RELEASE_H
#define CVM_RELEASE_H

#include "attest/attest.h"

struct cvm_key {
	struct cvm_secret *material;
	char kty[32];
	char format[8];
	char *kid;
};

/* ---- key release (skr.c, unwrap.c) -------------------------------------------------------------- */

/* Decrypt the first modulus-size bytes (RSA-OAEP) with a software key. */
int unwrap_rsa_oaep_soft(struct cvm_ctx *ctx, EVP_PKEY *key, const char *hash,
			 const uint8_t *in, size_t in_len, struct cvm_secret **ret);
/* key_hsm -> key material; the RSA step by @soft or, when NULL, by @tpm. */
int unwrap_key_hsm(struct cvm_ctx *ctx, const char *key_hsm, const char *expect_enc,
		   const char *expect_kid, EVP_PKEY *soft, struct tpm_session *tpm,
		   struct cvm_key **ret);
/* AES key wrap with padding (RFC 5649) of @in under @kek. */
int unwrap_aes_kwp(struct cvm_ctx *ctx, const struct cvm_secret *kek, const uint8_t *in,
		   size_t in_len, struct cvm_secret **ret);

/* skr.c: may @leaf sign Key Vault's release response for @host? */
bool release_signer_cert_ok(X509 *leaf, const char *host);

#endif /* CVM_RELEASE_H */
