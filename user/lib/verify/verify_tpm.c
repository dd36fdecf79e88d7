// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * A vTPM quote (TPM2_Quote) of the Azure guest flow, checked offline: the
 * AK's signature over the TPMS_ATTEST, its extraData against the nonce the
 * verifier gave, and its PCR digest against the PCR values sent along.
 *
 * The file is what kinvolk/azure-cvm-tooling az-cvm-vtpm writes (its test
 * vector ../shared/testdata/azure/kinvolk-quote.bin): three length-prefixed
 * vectors, each length a little-endian u64 - the signature (RSASSA
 * PKCS#1 v1.5 bytes), the message (TPMS_ATTEST), and the PCR values (24 x
 * 32 bytes, SHA-256 bank, PCR 0 first).  The layout was read off the vector
 * (256 + 122 + 24 x 32 bytes, 1170 in all).
 *
 * TPMS_ATTEST (TCG TPM 2.0 Library Part 2, "TPMS_ATTEST", big-endian):
 * magic TPM_GENERATED_VALUE, type TPM_ST_ATTEST_QUOTE, qualifiedSigner
 * (TPM2B_NAME), extraData (TPM2B_DATA), clockInfo (17 bytes),
 * firmwareVersion (u64), then TPMS_QUOTE_INFO: pcrSelect
 * (TPML_PCR_SELECTION) and pcrDigest (TPM2B_DIGEST), the hash of the
 * selected PCRs' values concatenated in selection order.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <openssl/err.h>

#include "verify/verify.h"

#define TPM_GENERATED_VALUE 0xff544347
#define TPM_ST_ATTEST_QUOTE 0x8018
#define TPM_ALG_SHA256 0x000b
#define TPM_CLOCK_INFO_LEN 17

/* A u64 LE length and that many bytes at *off; advances. */
static int vec(const uint8_t *buf, size_t len, size_t *off, const uint8_t **ret, size_t *ret_len)
{
	uint64_t n;

	if (len - *off < 8)
		return -EBADMSG;
	n = get_le64(buf + *off);
	*off += 8;
	if (n > len - *off)
		return -EBADMSG;
	*ret = buf + *off;
	*ret_len = (size_t)n;
	*off += (size_t)n;
	return 0;
}

/* A TPM2B (u16 BE size, bytes) at *off of @m; advances. */
static int tpm2b(const uint8_t *m, size_t len, size_t *off, const uint8_t **ret, size_t *ret_len)
{
	size_t n;

	if (len - *off < 2)
		return -EBADMSG;
	n = get_be16(m + *off);
	*off += 2;
	if (n > len - *off)
		return -EBADMSG;
	*ret = m + *off;
	*ret_len = n;
	*off += n;
	return 0;
}

int tpm_quote_parse(const uint8_t *buf, size_t len, struct tpm_quote *ret)
{
	struct tpm_quote q = { 0 };
	const uint8_t *m, *name;
	size_t off = 0, pcrs_len, name_len, sel_count;

	if (!buf || !ret)
		return -EINVAL;
	if (vec(buf, len, &off, &q.sig, &q.sig_len) < 0 || vec(buf, len, &off, &q.msg, &q.msg_len) < 0)
		return -EBADMSG;
	/* the PCR vector counts values, not bytes */
	if (len - off < 8)
		return -EBADMSG;
	q.n_pcrs = get_le64(buf + off);
	off += 8;
	if (q.n_pcrs > TPM_QUOTE_PCRS_MAX || (len - off) / 32 < q.n_pcrs)
		return -EBADMSG;
	pcrs_len = (size_t)q.n_pcrs * 32;
	q.pcrs = buf + off;
	if (off + pcrs_len != len)
		return -EBADMSG;

	m = q.msg;
	off = 0;
	if (q.msg_len < 6 || get_be32(m) != TPM_GENERATED_VALUE || get_be16(m + 4) != TPM_ST_ATTEST_QUOTE)
		return -EBADMSG;
	off = 6;
	if (tpm2b(m, q.msg_len, &off, &name, &name_len) < 0 ||
	    tpm2b(m, q.msg_len, &off, &q.extra_data, &q.extra_len) < 0)
		return -EBADMSG;
	if (q.msg_len - off < TPM_CLOCK_INFO_LEN + 8 + 4)
		return -EBADMSG;
	off += TPM_CLOCK_INFO_LEN + 8;
	sel_count = get_be32(m + off);
	off += 4;
	/* One SHA-256 bank, as the Azure vTPM quotes; anything else is not ours to guess. */
	if (sel_count != 1 || q.msg_len - off < 3)
		return -EBADMSG;
	q.pcr_hash = get_be16(m + off);
	q.select_len = m[off + 2];
	off += 3;
	if (q.select_len > sizeof(q.select) || q.msg_len - off < q.select_len)
		return -EBADMSG;
	memcpy(q.select, m + off, q.select_len);
	off += q.select_len;
	if (tpm2b(m, q.msg_len, &off, &q.pcr_digest, &q.pcr_digest_len) < 0 || off != q.msg_len)
		return -EBADMSG;
	*ret = q;
	return 0;
}

static int fail(char *why, size_t why_len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, why_len, fmt, ap);
	va_end(ap);
	return -EKEYREJECTED;
}

int tpm_quote_check(const struct tpm_quote *q, EVP_PKEY *ak, const uint8_t *nonce, size_t nonce_len,
		    char *why, size_t why_len)
{
	_cleanup_(EVP_MD_CTX_freep) EVP_MD_CTX *md = NULL;
	uint8_t digest[32];
	unsigned dl;
	int ok;

	md = EVP_MD_CTX_new();
	if (!md)
		return -ENOMEM;
	/* TPM_ALG_RSASSA with SHA-256: PKCS#1 v1.5 (OpenSSL's default padding for RSA) */
	ok = EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, ak) == 1 &&
	     EVP_DigestVerify(md, q->sig, q->sig_len, q->msg, q->msg_len) == 1;
	ERR_clear_error();
	if (!ok)
		return fail(why, why_len, "the TPM quote's signature does not verify with the AK");
	if (nonce && (q->extra_len != nonce_len || memcmp(q->extra_data, nonce, nonce_len) != 0))
		return fail(why, why_len, "the TPM quote's extraData is not the nonce given (it is %zu bytes)",
			    q->extra_len);
	if (q->pcr_hash != TPM_ALG_SHA256)
		return fail(why, why_len, "the TPM quote selects PCRs of hash 0x%04x, not SHA-256", q->pcr_hash);
	if (EVP_MD_CTX_reset(md) != 1 || EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1)
		return -ENOMEM;
	for (size_t i = 0; i < q->select_len * 8; i++) {
		if (!(q->select[i / 8] & (1u << (i % 8))))
			continue;
		if (i >= q->n_pcrs)
			return fail(why, why_len, "the TPM quote selects PCR %zu, whose value is not given", i);
		if (EVP_DigestUpdate(md, q->pcrs + 32 * i, 32) != 1)
			return -ENOMEM;
	}
	if (EVP_DigestFinal_ex(md, digest, &dl) != 1)
		return -ENOMEM;
	if (q->pcr_digest_len != 32 || memcmp(q->pcr_digest, digest, 32) != 0)
		return fail(why, why_len, "the PCR values given are not those the TPM quote's digest covers");
	return 0;
}
