// SPDX-License-Identifier: LGPL-2.1-or-later
/* ECDSA over raw (r, s) pairs as the evidence formats carry them. */
#include <errno.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/param_build.h>

#include "pki/pki.h"


int ecdsa_verify_raw(EVP_PKEY *key, const EVP_MD *md, const uint8_t *msg, size_t msg_len,
		     const uint8_t *r_bytes, const uint8_t *s_bytes, size_t comp_len, bool little_endian)
{
	_cleanup_(ECDSA_SIG_freep) ECDSA_SIG *sig = NULL;
	_cleanup_(EVP_MD_CTX_freep) EVP_MD_CTX *mdctx = NULL;
	_cleanup_(BN_freep) BIGNUM *r = NULL;
	_cleanup_(BN_freep) BIGNUM *s = NULL;
	unsigned char *der = NULL;
	int der_len, ok;

	if (little_endian) {
		r = BN_lebin2bn(r_bytes, (int)comp_len, NULL);
		s = BN_lebin2bn(s_bytes, (int)comp_len, NULL);
	} else {
		r = BN_bin2bn(r_bytes, (int)comp_len, NULL);
		s = BN_bin2bn(s_bytes, (int)comp_len, NULL);
	}
	sig = ECDSA_SIG_new();
	if (!r || !s || !sig)
		return -ENOMEM;
	if (ECDSA_SIG_set0(sig, r, s) != 1)
		return -ENOMEM;
	r = s = NULL;	/* owned by sig now */
	der_len = i2d_ECDSA_SIG(sig, &der);
	if (der_len <= 0)
		return -ENOMEM;
	mdctx = EVP_MD_CTX_new();
	if (!mdctx) {
		OPENSSL_free(der);
		return -ENOMEM;
	}
	ok = EVP_DigestVerifyInit(mdctx, NULL, md, NULL, key) == 1 &&
	     EVP_DigestVerify(mdctx, der, (size_t)der_len, msg, msg_len) == 1;
	OPENSSL_free(der);
	ERR_clear_error();
	return ok ? 0 : -EKEYREJECTED;
}

int pkey_from_p256_xy(const uint8_t xy[64], EVP_PKEY **ret)
{
	_cleanup_(EVP_PKEY_CTX_freep) EVP_PKEY_CTX *pctx = NULL;
	OSSL_PARAM params[3];
	uint8_t point[65];
	EVP_PKEY *pkey = NULL;

	point[0] = 0x04;	/* uncompressed (SEC 1 2.3.3) */
	memcpy(point + 1, xy, 64);
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, (char *)"prime256v1", 0);
	params[1] = OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, point, sizeof(point));
	params[2] = OSSL_PARAM_construct_end();
	pctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
	if (!pctx)
		return -ENOMEM;
	if (EVP_PKEY_fromdata_init(pctx) != 1 ||
	    EVP_PKEY_fromdata(pctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) != 1) {
		ERR_clear_error();
		return -EBADMSG;
	}
	/* fromdata does not insist the point is on the curve; check it. */
	{
		_cleanup_(EVP_PKEY_CTX_freep) EVP_PKEY_CTX *chk = EVP_PKEY_CTX_new(pkey, NULL);

		if (!chk || EVP_PKEY_public_check(chk) != 1) {
			ERR_clear_error();
			EVP_PKEY_free(pkey);
			return -EBADMSG;
		}
	}
	*ret = pkey;
	return 0;
}
