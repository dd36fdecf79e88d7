// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * AMD's certificate revocation lists: what KDS serves at
 * /vcek/v1/{product}/crl (AMD 57230, "KDS Interface": DER, an X.509 v2 CRL
 * issued and signed by the product's ARK with RSASSA-PSS/SHA-384, the same
 * parameters as the ASK certificate).  Read as received, so that the
 * signature is checked over the exact TBSCertList bytes; PEM ("X509 CRL")
 * is accepted too, its base64 being those same bytes.
 */
#include <errno.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "pki/pki.h"


#define CRL_FILE_MAX (4 * 1024 * 1024)

void amd_crl_free(struct amd_crl *c)
{
	if (!c)
		return;
	X509_CRL_free(c->crl);
	free(c->der);
	free(c->path);
	free(c);
}

/* The DER of a PEM "X509 CRL" block, or -EBADMSG. */
static int pem_crl_der(const uint8_t *buf, size_t len, uint8_t **der, size_t *der_len)
{
	_cleanup_(BIO_free_allp) BIO *b = BIO_new_mem_buf(buf, (int)len);
	char *name = NULL, *header = NULL;
	unsigned char *data = NULL;
	long n = 0;
	int r = -EBADMSG;

	if (!b)
		return -ENOMEM;
	if (PEM_read_bio(b, &name, &header, &data, &n) == 1 && strcmp(name, "X509 CRL") == 0 && n > 0) {
		*der = malloc((size_t)n);
		if (!*der) {
			r = -ENOMEM;
		} else {
			memcpy(*der, data, (size_t)n);
			*der_len = (size_t)n;
			r = 0;
		}
	}
	OPENSSL_free(name);
	OPENSSL_free(header);
	OPENSSL_free(data);
	ERR_clear_error();
	return r;
}

int amd_crl_load(const char *path, struct amd_crl **ret, char *why, size_t why_len)
{
	_cleanup_(amd_crl_freep) struct amd_crl *c = NULL;
	_cleanup_free_ uint8_t *buf = NULL;
	const unsigned char *p;
	size_t len;
	int r;

	why[0] = 0;
	r = read_file(path, CRL_FILE_MAX, &buf, &len);
	if (r < 0) {
		snprintf(why, why_len, "%s", strerror(-r));
		return r;
	}
	c = calloc(1, sizeof(*c));
	if (!c || !(c->path = strdup(path)))
		return -ENOMEM;
	if (len > 0 && buf[0] == 0x30) {
		c->der = TAKE_PTR(buf);
		c->der_len = len;
	} else {
		r = pem_crl_der(buf, len, &c->der, &c->der_len);
		if (r < 0) {
			snprintf(why, why_len, len ? "not an X.509 CRL (DER, or PEM \"X509 CRL\")" : "empty file");
			return r;
		}
	}
	p = c->der;
	c->crl = d2i_X509_CRL(NULL, &p, (long)c->der_len);
	if (!c->crl || (size_t)(p - c->der) != c->der_len) {
		ERR_clear_error();
		snprintf(why, why_len, "not an X.509 CRL (malformed DER%s)",
			 c->crl ? ", bytes after the end" : "");
		return -EBADMSG;
	}
	*ret = TAKE_PTR(c);
	return 0;
}

/*
 * The AlgorithmIdentifier inside TBSCertList (RFC 5280 5.1.2.2): after the
 * optional version INTEGER.  OpenSSL has no getter for it in CRLs.
 */
static X509_ALGOR *tbs_sigalg(const uint8_t *tbs, size_t tbs_len)
{
	const unsigned char *p;
	uint8_t tag;
	size_t hl, cl, off;

	if (der_read_tlv(tbs, tbs_len, &tag, &hl, &cl) < 0 || tag != 0x30)
		return NULL;
	off = hl;
	if (der_read_tlv(tbs + off, tbs_len - off, &tag, &hl, &cl) < 0)
		return NULL;
	if (tag == 0x02) {
		off += hl + cl;
		if (der_read_tlv(tbs + off, tbs_len - off, &tag, &hl, &cl) < 0)
			return NULL;
	}
	if (tag != 0x30)
		return NULL;
	p = tbs + off;
	return d2i_X509_ALGOR(NULL, &p, (long)(hl + cl));
}

int amd_crl_verify(const struct amd_crl *c, EVP_PKEY *ark_key, char *why, size_t why_len)
{
	const ASN1_BIT_STRING *sig;
	const X509_ALGOR *alg;
	X509_ALGOR *inner;
	const uint8_t *tbs;
	size_t tbs_len;
	int r;

	why[0] = 0;
	if (X509_CRL_get_signature_nid(c->crl) != NID_rsassaPss) {
		snprintf(why, why_len, "not signed with RSASSA-PSS (AMD's CRLs are)");
		return -EKEYREJECTED;
	}
	if (der_cert_tbs(c->der, c->der_len, &tbs, &tbs_len) < 0) {
		snprintf(why, why_len, "cannot locate the signed part of the CRL");
		return -EBADMSG;
	}
	inner = tbs_sigalg(tbs, tbs_len);
	if (!inner) {
		ERR_clear_error();
		snprintf(why, why_len, "cannot read the signature algorithm of the signed part");
		return -EBADMSG;
	}
	X509_CRL_get0_signature(c->crl, &sig, &alg);
	r = der_verify_signature(tbs, tbs_len, alg, inner, sig, ark_key, why, why_len);
	X509_ALGOR_free(inner);
	if (r < 0)
		return r;

	/* RFC 5280 5.2: a critical extension not understood makes the CRL unusable. */
	for (int i = 0; i < X509_CRL_get_ext_count(c->crl); i++) {
		X509_EXTENSION *e = X509_CRL_get_ext(c->crl, i);
		int nid = OBJ_obj2nid(X509_EXTENSION_get_object(e));

		if (X509_EXTENSION_get_critical(e) && nid != NID_crl_number &&
		    nid != NID_authority_key_identifier) {
			snprintf(why, why_len, "critical extension %s is not understood (a delta or "
				 "partitioned CRL?)", nid != NID_undef ? OBJ_nid2sn(nid) : "(unknown)");
			return -EBADMSG;
		}
	}
	return 0;
}

int amd_crl_find(const struct amd_crl *c, const ASN1_INTEGER *serial, time_t *ret_date)
{
	X509_REVOKED *rev = NULL;
	struct tm tm;

	/* (2 would be a removeFromCRL entry of a delta CRL: not revoked.) */
	if (X509_CRL_get0_by_serial(c->crl, &rev, (ASN1_INTEGER *)serial) != 1 || !rev)
		return 0;
	*ret_date = 0;
	if (ASN1_TIME_to_tm(X509_REVOKED_get0_revocationDate(rev), &tm) == 1)
		*ret_date = timegm(&tm);
	return 1;
}

time_t asn1_time_to_time(const ASN1_TIME *t)
{
	struct tm tm;

	if (!t || ASN1_TIME_to_tm(t, &tm) != 1)
		return 0;
	return timegm(&tm);
}
