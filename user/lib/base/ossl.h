/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Cleanup helpers for the OpenSSL and jansson types the library owns. */
#ifndef CVM_OSSL_H
#define CVM_OSSL_H

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <jansson.h>	/* provides json_decrefp() for _cleanup_ */

#include "base/macro.h"

#define _cleanup_json_ _cleanup_(json_decrefp)

DEFINE_TRIVIAL_CLEANUP_FUNC(X509 *, X509_free)
DEFINE_TRIVIAL_CLEANUP_FUNC(X509_STORE *, X509_STORE_free)
DEFINE_TRIVIAL_CLEANUP_FUNC(X509_STORE_CTX *, X509_STORE_CTX_free)
DEFINE_TRIVIAL_CLEANUP_FUNC(EVP_PKEY *, EVP_PKEY_free)
DEFINE_TRIVIAL_CLEANUP_FUNC(EVP_PKEY_CTX *, EVP_PKEY_CTX_free)
DEFINE_TRIVIAL_CLEANUP_FUNC(EVP_MD_CTX *, EVP_MD_CTX_free)
DEFINE_TRIVIAL_CLEANUP_FUNC(BIO *, BIO_free_all)
DEFINE_TRIVIAL_CLEANUP_FUNC(BIGNUM *, BN_free)
DEFINE_TRIVIAL_CLEANUP_FUNC(ECDSA_SIG *, ECDSA_SIG_free)
DEFINE_TRIVIAL_CLEANUP_FUNC(ASN1_OBJECT *, ASN1_OBJECT_free)
DEFINE_TRIVIAL_CLEANUP_FUNC(ASN1_INTEGER *, ASN1_INTEGER_free)

static inline void sk_X509_free_allp(STACK_OF(X509) **sk)
{
	if (*sk)
		sk_X509_pop_free(*sk, X509_free);
}
#define _cleanup_sk_x509_ _cleanup_(sk_X509_free_allp)

static inline void OPENSSL_freep(void *p)
{
	OPENSSL_free(*(void **)p);
}

#endif /* CVM_OSSL_H */
