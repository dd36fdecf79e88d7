/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Small helpers in the manner of systemd's src/basic/macro.h: cleanup
 * attributes so every exit path frees what it owns, and pointer hand-off.
 * Our own definitions; nothing here is copied.
 */
#ifndef CVM_MACRO_H
#define CVM_MACRO_H

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <jansson.h>	/* provides json_decrefp() for _cleanup_ */

#define _cleanup_(f) __attribute__((cleanup(f)))
#define _unused_ __attribute__((unused))
#define _printf_(a, b) __attribute__((format(printf, a, b)))
#define _pure_ __attribute__((pure))
#define _warn_unused_result_ __attribute__((warn_unused_result))

#define ELEMENTSOF(x) (sizeof(x) / sizeof((x)[0]))

/* Take ownership of *p and leave NULL behind, so a cleanup does not free it. */
#define TAKE_PTR(p)                                   \
	__extension__({                               \
		__typeof__(p) _ptr_ = (p);            \
		(p) = NULL;                           \
		_ptr_;                                \
	})

static inline void freep(void *p)
{
	free(*(void **)p);
}
#define _cleanup_free_ _cleanup_(freep)

static inline void closep(int *fd)
{
	if (*fd >= 0)
		close(*fd);
}
#define _cleanup_close_ _cleanup_(closep)

static inline void fclosep(FILE **f)
{
	if (*f)
		fclose(*f);
}
#define _cleanup_fclose_ _cleanup_(fclosep)

/* Define name##p(type *) that calls func() on a non-NULL pointer. */
#define DEFINE_TRIVIAL_CLEANUP_FUNC(type, func)              \
	static inline void func##p(type *p)                  \
	{                                                    \
		if (*p)                                      \
			func(*p);                            \
	}

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

#endif /* CVM_MACRO_H */
