// SPDX-License-Identifier: GPL-2.0-only OR MIT
/* AK certificate issuance and checks of the stand-in paravisor (OpenSSL 3). */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include "pv_cert.h"

extern const unsigned char pv_embedded_azure_vtpm_ca_key[];
extern const size_t pv_embedded_azure_vtpm_ca_key_len;
extern const unsigned char pv_embedded_azure_vtpm_ca_pem[];
extern const size_t pv_embedded_azure_vtpm_ca_pem_len;

static BIO *open_bio(const char *path, const unsigned char *mem, size_t len)
{
	if (path)
		return BIO_new_file(path, "r");
	return BIO_new_mem_buf(mem, (int)len);
}

int pv_ca_load(const char *key_path, const char *cert_path, EVP_PKEY **key, X509 **cert)
{
	BIO *b;

	if (key) {
		b = open_bio(key_path, pv_embedded_azure_vtpm_ca_key,
			     pv_embedded_azure_vtpm_ca_key_len);
		*key = b ? PEM_read_bio_PrivateKey(b, NULL, NULL, NULL) : NULL;
		BIO_free(b);
		if (!*key)
			return -EINVAL;
	}
	if (cert) {
		b = open_bio(cert_path, pv_embedded_azure_vtpm_ca_pem,
			     pv_embedded_azure_vtpm_ca_pem_len);
		*cert = b ? PEM_read_bio_X509(b, NULL, NULL, NULL) : NULL;
		BIO_free(b);
		if (!*cert) {
			if (key) {
				EVP_PKEY_free(*key);
				*key = NULL;
			}
			return -EINVAL;
		}
	}
	return 0;
}

static EVP_PKEY *rsa_pkey(const struct hcl_rsa_pub *ak)
{
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	EVP_PKEY *pkey = NULL;
	BIGNUM *n = BN_bin2bn(ak->n, (int)ak->n_len, NULL);
	BIGNUM *e = BN_new();

	if (!bld || !n || !e || !BN_set_word(e, ak->e) ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n) ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e))
		goto out;
	params = OSSL_PARAM_BLD_to_param(bld);
	ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
	if (!params || !ctx || EVP_PKEY_fromdata_init(ctx) <= 0 ||
	    EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) <= 0)
		pkey = NULL;
out:
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	BN_free(n);
	BN_free(e);
	return pkey;
}

int pv_rsa_from_pkey(EVP_PKEY *pkey, struct hcl_rsa_pub *out)
{
	BIGNUM *n = NULL, *e = NULL;
	int ret = -ENOTSUP, len;

	if (!pkey || EVP_PKEY_get_base_id(pkey) != EVP_PKEY_RSA)
		return -ENOTSUP;
	if (!EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_RSA_N, &n) ||
	    !EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_RSA_E, &e))
		goto out;
	len = BN_num_bytes(n);
	if (len <= 0 || (size_t)len > sizeof(out->n) || BN_num_bits(e) > 32)
		goto out;
	memset(out, 0, sizeof(*out));
	BN_bn2bin(n, out->n);
	out->n_len = (size_t)len;
	out->e = (uint32_t)BN_get_word(e);
	ret = 0;
out:
	BN_free(n);
	BN_free(e);
	return ret;
}

static int add_ext(X509 *cert, X509V3_CTX *ctx, int nid, const char *value)
{
	X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, ctx, nid, value);
	int ok;

	if (!ext)
		return 0;
	ok = X509_add_ext(cert, ext, -1);
	X509_EXTENSION_free(ext);
	return ok;
}

int pv_ak_cert_issue(EVP_PKEY *ca_key, X509 *ca_cert, const struct hcl_rsa_pub *ak,
		     const char *subject_cn, time_t not_before, uint8_t **der, size_t *der_len)
{
	EVP_PKEY *pkey = NULL;
	X509 *cert = NULL;
	X509_NAME *name = NULL;
	ASN1_INTEGER *serial = NULL;
	BIGNUM *sbn = NULL;
	X509V3_CTX ctx;
	uint8_t rnd[16];
	unsigned char *p = NULL;
	int ret = -EIO, len;

	if (!ca_key || !ca_cert || !ak || !subject_cn || !der || !der_len)
		return -EINVAL;
	if (!not_before)
		not_before = time(NULL);
	pkey = rsa_pkey(ak);
	cert = X509_new();
	name = X509_NAME_new();
	if (!pkey || !cert || !name || RAND_bytes(rnd, sizeof(rnd)) != 1)
		goto out;
	rnd[0] &= 0x7f;			/* a positive serial (RFC 5280 §4.1.2.2) */
	rnd[0] |= 0x01;
	sbn = BN_bin2bn(rnd, sizeof(rnd), NULL);
	serial = sbn ? BN_to_ASN1_INTEGER(sbn, NULL) : NULL;
	if (!serial || !X509_set_version(cert, X509_VERSION_3) ||
	    !X509_set_serialNumber(cert, serial) ||
	    !X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
					(const unsigned char *)subject_cn, -1, -1, 0) ||
	    !X509_set_subject_name(cert, name) ||
	    !X509_set_issuer_name(cert, X509_get_subject_name(ca_cert)) ||
	    !ASN1_TIME_set(X509_getm_notBefore(cert), not_before) ||
	    !ASN1_TIME_set(X509_getm_notAfter(cert), not_before + 365L * 24 * 3600) ||
	    !X509_set_pubkey(cert, pkey))
		goto out;
	X509V3_set_ctx(&ctx, ca_cert, cert, NULL, NULL, 0);
	if (!add_ext(cert, &ctx, NID_basic_constraints, "critical,CA:FALSE") ||
	    !add_ext(cert, &ctx, NID_key_usage, "critical,digitalSignature") ||
	    !add_ext(cert, &ctx, NID_ext_key_usage, PV_OID_TCG_KP_AIK_CERTIFICATE) ||
	    !add_ext(cert, &ctx, NID_subject_key_identifier, "hash") ||
	    !add_ext(cert, &ctx, NID_authority_key_identifier, "keyid:always"))
		goto out;
	if (!X509_sign(cert, ca_key, EVP_sha256()))
		goto out;
	len = i2d_X509(cert, &p);
	if (len <= 0)
		goto out;
	*der = p;
	*der_len = (size_t)len;
	ret = 0;
out:
	ERR_clear_error();
	ASN1_INTEGER_free(serial);
	BN_free(sbn);
	X509_NAME_free(name);
	X509_free(cert);
	EVP_PKEY_free(pkey);
	return ret;
}

int pv_ak_cert_check(const uint8_t *der, size_t len, X509 *ca_cert, const struct hcl_rsa_pub *ak)
{
	const unsigned char *p = der;
	struct hcl_rsa_pub got;
	EVP_PKEY *ca_pub;
	X509 *cert;
	int ret = -EBADMSG;

	if (!der || !ca_cert || !ak || len > LONG_MAX)
		return -EINVAL;
	cert = d2i_X509(NULL, &p, (long)len);
	if (!cert)
		goto out;
	ca_pub = X509_get0_pubkey(ca_cert);
	if (!ca_pub || X509_verify(cert, ca_pub) != 1)
		goto out;
	if (X509_NAME_cmp(X509_get_issuer_name(cert), X509_get_subject_name(ca_cert)))
		goto out;
	if (pv_rsa_from_pkey(X509_get0_pubkey(cert), &got) || !hcl_rsa_equal(&got, ak))
		goto out;
	ret = 0;
out:
	ERR_clear_error();
	X509_free(cert);
	return ret;
}

int pv_cert_thumbprint(X509 *cert, char **out)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;

	if (!X509_digest(cert, EVP_sha256(), md, &n))
		return -EIO;
	return hcl_b64url(md, n, out);
}

int pv_cert_write_pem(X509 *cert, const char *path)
{
	BIO *b = BIO_new_file(path, "w");
	int ok;

	if (!b)
		return -errno ? -errno : -EIO;
	ok = PEM_write_bio_X509(b, cert);
	ok = BIO_free(b) && ok;
	return ok ? 0 : -EIO;
}
