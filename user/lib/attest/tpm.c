// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The paravisor's vTPM through tpm2-tss ESAPI, for the Azure guest flow
 * (azure_guest.c): the AK and its quote, the PCR-bound ephemeral key that
 * is the transfer key, NV reads, and decryption by that key.  No network.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>

#include <tss2/tss2_esys.h>
#include <tss2/tss2_mu.h>
#include <tss2/tss2_rc.h>
#include <tss2/tss2_tctildr.h>

#include "attest/attest.h"


#define AK_HANDLE	0x81000003
#define AK_CERT_NV	0x01C101D0
#define NV_CHUNK	1024
#define PCR_COUNT	8		/* Linux: PCRs 0-7 (GA GetAttestationPcrList) */

struct tpm_session {
	TSS2_TCTI_CONTEXT *tcti;
	ESYS_CONTEXT *esys;
	ESYS_TR enc_key;
	TPML_PCR_SELECTION sel;
	int mod_bytes;
	TPM2B_PUBLIC enc_pub;
};

void tpm_session_free(struct tpm_session *t)
{
	if (!t)
		return;
	if (t->esys) {
		if (t->enc_key != ESYS_TR_NONE)
			Esys_FlushContext(t->esys, t->enc_key);
		Esys_Finalize(&t->esys);
	}
	if (t->tcti)
		Tss2_TctiLdr_Finalize(&t->tcti);
	free(t);
}

int tpm_modulus_bytes(const struct tpm_session *t)
{
	return t ? t->mod_bytes : 0;
}

static int tpm_fail(struct cvm_ctx *ctx, const char *what, TSS2_RC rc)
{
	return log_error_errno(ctx, -EIO, "vTPM %s failed: %s", what, Tss2_RC_Decode(rc));
}

int tpm_open(struct cvm_ctx *ctx, const struct cvm_config *cfg, struct tpm_session **ret)
{
	struct tpm_session *t = calloc(1, sizeof(*t));
	TSS2_RC rc;

	if (!t)
		return -ENOMEM;
	t->enc_key = ESYS_TR_NONE;
	rc = Tss2_TctiLdr_Initialize(cfg->tcti, &t->tcti);
	if (rc != TSS2_RC_SUCCESS) {
		log_error(ctx, "Cannot open the TPM \"%s\": %s (check tcti; on Azure CVMs the vTPM is "
			  "device:/dev/tpmrm0)", cfg->tcti, Tss2_RC_Decode(rc));
		free(t);
		return -ENODEV;
	}
	rc = Esys_Initialize(&t->esys, t->tcti, NULL);
	if (rc != TSS2_RC_SUCCESS) {
		tpm_session_free(t);
		return tpm_fail(ctx, "initialisation", rc);
	}
	/* PCRs 0-7 of the SHA-256 bank. */
	t->sel.count = 1;
	t->sel.pcrSelections[0].hash = TPM2_ALG_SHA256;
	t->sel.pcrSelections[0].sizeofSelect = 3;
	t->sel.pcrSelections[0].pcrSelect[0] = 0xff;
	*ret = t;
	return 0;
}

int cvm_tpm_nv_index_size(struct cvm_ctx *ctx, const char *tcti, uint32_t index, size_t *size)
{
	TSS2_TCTI_CONTEXT *tc = NULL;
	ESYS_CONTEXT *esys = NULL;
	TPM2B_NV_PUBLIC *pub = NULL;
	ESYS_TR nv = ESYS_TR_NONE;
	TSS2_RC rc;
	int r;

	rc = Tss2_TctiLdr_Initialize(tcti, &tc);
	if (rc != TSS2_RC_SUCCESS) {
		log_debug(ctx, "TPM \"%s\": %s", tcti, Tss2_RC_Decode(rc));
		return -ENODEV;
	}
	rc = Esys_Initialize(&esys, tc, NULL);
	if (rc != TSS2_RC_SUCCESS) {
		log_debug(ctx, "TPM \"%s\": %s", tcti, Tss2_RC_Decode(rc));
		r = -ENODEV;
		goto out;
	}
	rc = Esys_TR_FromTPMPublic(esys, index, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &nv);
	if (rc == TSS2_RC_SUCCESS)
		rc = Esys_NV_ReadPublic(esys, nv, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &pub, NULL);
	if (rc != TSS2_RC_SUCCESS) {
		log_debug(ctx, "TPM NV index 0x%08x: %s", index, Tss2_RC_Decode(rc));
		/* TPM_RC_HANDLE, a format-1 code with its handle number (0x18b): no such index */
		r = (rc & TPM2_RC_FMT1) && (rc & 0x3f) == (TPM2_RC_HANDLE & 0x3f) ? -ENOENT : -EIO;
		goto out;
	}
	*size = pub->nvPublic.dataSize;
	Esys_Free(pub);
	r = 0;
out:
	if (nv != ESYS_TR_NONE)
		Esys_TR_Close(esys, &nv);
	Esys_Finalize(&esys);
	Tss2_TctiLdr_Finalize(&tc);
	return r;
}

/* Read all of an NV index with owner authorization (as Azure documents). */
int tpm_nv_read(struct cvm_ctx *ctx, struct tpm_session *t, TPM2_HANDLE index,
		       uint8_t **ret, size_t *ret_len)
{
	_cleanup_free_ uint8_t *buf = NULL;
	TPM2B_NV_PUBLIC *pub = NULL;
	ESYS_TR nv = ESYS_TR_NONE;
	char what[64];
	size_t size;
	TSS2_RC rc;

	snprintf(what, sizeof(what), "NV index 0x%08x", index);
	rc = Esys_TR_FromTPMPublic(t->esys, index, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &nv);
	if (rc != TSS2_RC_SUCCESS) {
		log_error(ctx, "The vTPM has no %s: %s (is this an Azure confidential VM?)", what,
			  Tss2_RC_Decode(rc));
		return -ENOENT;
	}
	rc = Esys_NV_ReadPublic(t->esys, nv, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &pub, NULL);
	if (rc != TSS2_RC_SUCCESS) {
		Esys_TR_Close(t->esys, &nv);
		return tpm_fail(ctx, what, rc);
	}
	size = pub->nvPublic.dataSize;
	Esys_Free(pub);
	buf = malloc(size ? size : 1);
	if (!buf) {
		Esys_TR_Close(t->esys, &nv);
		return -ENOMEM;
	}
	for (size_t off = 0; off < size;) {
		TPM2B_MAX_NV_BUFFER *data = NULL;
		UINT16 n = (UINT16)(size - off > NV_CHUNK ? NV_CHUNK : size - off);

		rc = Esys_NV_Read(t->esys, ESYS_TR_RH_OWNER, nv, ESYS_TR_PASSWORD, ESYS_TR_NONE,
				  ESYS_TR_NONE, n, (UINT16)off, &data);
		if (rc != TSS2_RC_SUCCESS) {
			Esys_TR_Close(t->esys, &nv);
			return tpm_fail(ctx, what, rc);
		}
		if (data->size != n) {
			Esys_Free(data);
			Esys_TR_Close(t->esys, &nv);
			return -EIO;
		}
		memcpy(buf + off, data->buffer, n);
		Esys_Free(data);
		off += n;
	}
	Esys_TR_Close(t->esys, &nv);
	*ret = TAKE_PTR(buf);
	*ret_len = size;
	return 0;
}

/* TPM2B_PUBLIC marshalled, base64. */
static char *b64_public(const TPM2B_PUBLIC *pub)
{
	uint8_t buf[sizeof(TPM2B_PUBLIC) + 16];
	size_t off = 0;

	if (Tss2_MU_TPM2B_PUBLIC_Marshal(pub, buf, sizeof(buf), &off) != TSS2_RC_SUCCESS)
		return NULL;
	return b64_encode(buf, off);
}

/* The raw RSA signature bytes (MAA wants TPM2B_PUBLIC_KEY_RSA.buffer). */
static char *b64_sig(const TPMT_SIGNATURE *sig)
{
	const TPM2B_PUBLIC_KEY_RSA *s;

	if (sig->sigAlg == TPM2_ALG_RSASSA)
		s = &sig->signature.rsassa.sig;
	else if (sig->sigAlg == TPM2_ALG_RSAPSS)
		s = &sig->signature.rsapss.sig;
	else
		return NULL;
	return b64_encode(s->buffer, s->size);
}

/* The ephemeral key's template: RSA-2048 decryption, PolicyPCR only. */
static int create_ephemeral_key(struct cvm_ctx *ctx, struct tpm_session *t)
{
	TPM2B_SENSITIVE_CREATE sens = { 0 };
	TPM2B_PUBLIC tmpl = { 0 };
	TPM2B_DATA outside = { 0 };
	TPML_PCR_SELECTION creation = { 0 };
	TPM2B_PUBLIC *out = NULL;
	TPM2B_DIGEST *policy = NULL;
	TPMT_SYM_DEF sym = { .algorithm = TPM2_ALG_NULL };
	ESYS_TR trial = ESYS_TR_NONE;
	TPM2B_DIGEST empty = { 0 };
	TSS2_RC rc;

	/* authPolicy = PolicyPCR(current PCRs 0-7), computed by the TPM in a trial session. */
	rc = Esys_StartAuthSession(t->esys, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE,
				   ESYS_TR_NONE, NULL, TPM2_SE_TRIAL, &sym, TPM2_ALG_SHA256, &trial);
	if (rc != TSS2_RC_SUCCESS)
		return tpm_fail(ctx, "trial session", rc);
	rc = Esys_PolicyPCR(t->esys, trial, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &empty, &t->sel);
	if (rc == TSS2_RC_SUCCESS)
		rc = Esys_PolicyGetDigest(t->esys, trial, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE,
					  &policy);
	Esys_FlushContext(t->esys, trial);
	if (rc != TSS2_RC_SUCCESS)
		return tpm_fail(ctx, "PolicyPCR digest", rc);

	tmpl.publicArea.type = TPM2_ALG_RSA;
	tmpl.publicArea.nameAlg = TPM2_ALG_SHA256;
	/* No userWithAuth: only the PolicyPCR session can use it for decryption. */
	tmpl.publicArea.objectAttributes = TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT |
					   TPMA_OBJECT_SENSITIVEDATAORIGIN | TPMA_OBJECT_DECRYPT |
					   TPMA_OBJECT_NODA;
	tmpl.publicArea.authPolicy = *policy;
	Esys_Free(policy);
	tmpl.publicArea.parameters.rsaDetail.symmetric.algorithm = TPM2_ALG_NULL;
	tmpl.publicArea.parameters.rsaDetail.scheme.scheme = TPM2_ALG_NULL;
	tmpl.publicArea.parameters.rsaDetail.keyBits = 2048;
	tmpl.publicArea.parameters.rsaDetail.exponent = 0;
	rc = Esys_CreatePrimary(t->esys, ESYS_TR_RH_NULL, ESYS_TR_PASSWORD, ESYS_TR_NONE,
				ESYS_TR_NONE, &sens, &tmpl, &outside, &creation, &t->enc_key, &out,
				NULL, NULL, NULL);
	if (rc != TSS2_RC_SUCCESS)
		return tpm_fail(ctx, "CreatePrimary (NULL hierarchy ephemeral key)", rc);
	t->enc_pub = *out;
	t->mod_bytes = out->publicArea.unique.rsa.size;
	Esys_Free(out);
	return 0;
}

/* A PolicyPCR session for the ephemeral key. */
static int policy_session(struct cvm_ctx *ctx, struct tpm_session *t, ESYS_TR *ret)
{
	TPMT_SYM_DEF sym = { .algorithm = TPM2_ALG_NULL };
	TPM2B_DIGEST empty = { 0 };
	TSS2_RC rc;

	rc = Esys_StartAuthSession(t->esys, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE,
				   ESYS_TR_NONE, NULL, TPM2_SE_POLICY, &sym, TPM2_ALG_SHA256, ret);
	if (rc != TSS2_RC_SUCCESS)
		return tpm_fail(ctx, "policy session", rc);
	rc = Esys_PolicyPCR(t->esys, *ret, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &empty, &t->sel);
	if (rc != TSS2_RC_SUCCESS) {
		Esys_FlushContext(t->esys, *ret);
		return tpm_fail(ctx, "PolicyPCR", rc);
	}
	return 0;
}

static int tpm_decrypt(struct cvm_ctx *ctx, struct tpm_session *t, const TPMT_RSA_DECRYPT *scheme,
		       const uint8_t *in, size_t in_len, struct cvm_secret **ret)
{
	_cleanup_(cvm_secret_freep) struct cvm_secret *out = NULL;
	TPM2B_PUBLIC_KEY_RSA ct = { 0 };
	TPM2B_PUBLIC_KEY_RSA *msg = NULL;
	TPM2B_DATA label = { 0 };
	ESYS_TR sess;
	TSS2_RC rc;
	int r;

	if (in_len > sizeof(ct.buffer))
		return -EBADMSG;
	ct.size = (UINT16)in_len;
	memcpy(ct.buffer, in, in_len);
	r = policy_session(ctx, t, &sess);
	if (r < 0)
		return r;
	rc = Esys_RSA_Decrypt(t->esys, t->enc_key, sess, ESYS_TR_NONE, ESYS_TR_NONE, &ct, scheme,
			      &label, &msg);
	Esys_FlushContext(t->esys, sess);
	if (rc != TSS2_RC_SUCCESS) {
		log_error(ctx, "The vTPM could not decrypt with the ephemeral key: %s (PCRs 0-7 changed "
			  "since attestation, or the data is not for this key)", Tss2_RC_Decode(rc));
		return -EKEYREJECTED;
	}
	r = cvm_secret_new(msg->size, &out);
	if (r == 0)
		memcpy(out->data, msg->buffer, msg->size);
	OPENSSL_cleanse(msg->buffer, msg->size);
	Esys_Free(msg);
	if (r < 0)
		return r;
	*ret = TAKE_PTR(out);
	return 0;
}

int tpm_rsa_oaep_decrypt(struct cvm_ctx *ctx, struct tpm_session *t, const char *hash,
			 const uint8_t *in, size_t in_len, struct cvm_secret **ret)
{
	TPMT_RSA_DECRYPT scheme = { .scheme = TPM2_ALG_OAEP };

	if (!t || t->enc_key == ESYS_TR_NONE)
		return -EINVAL;
	if (strcmp(hash, "SHA1") == 0)
		scheme.details.oaep.hashAlg = TPM2_ALG_SHA1;
	else if (strcmp(hash, "SHA256") == 0)
		scheme.details.oaep.hashAlg = TPM2_ALG_SHA256;
	else if (strcmp(hash, "SHA384") == 0)
		scheme.details.oaep.hashAlg = TPM2_ALG_SHA384;
	else
		return -EOPNOTSUPP;
	return tpm_decrypt(ctx, t, &scheme, in, in_len, ret);
}

int tpm_rsaes_decrypt(struct cvm_ctx *ctx, struct tpm_session *t, const uint8_t *in,
		      size_t in_len, struct cvm_secret **ret)
{
	TPMT_RSA_DECRYPT rsaes = { .scheme = TPM2_ALG_RSAES };

	if (!t || t->enc_key == ESYS_TR_NONE)
		return -EINVAL;
	return tpm_decrypt(ctx, t, &rsaes, in, in_len, ret);
}

void tpm_ephemeral_modulus(const struct tpm_session *t, const uint8_t **n, size_t *len)
{
	*n = t->enc_pub.publicArea.unique.rsa.buffer;
	*len = t->enc_pub.publicArea.unique.rsa.size;
}

int tpm_info(struct cvm_ctx *ctx, struct tpm_session *t, const uint8_t qualifying[32],
		    json_t **ret)
{
	_cleanup_free_ uint8_t *cert = NULL;
	_cleanup_free_ char *aik_pub = NULL, *aik_cert = NULL, *quote = NULL, *qsig = NULL,
			    *enc_pub = NULL, *certify = NULL, *csig = NULL;
	_cleanup_json_ json_t *info = NULL, *pcrs = NULL, *set = NULL;
	TPM2B_PUBLIC *ak_pub = NULL;
	TPM2B_ATTEST *quoted = NULL, *cinfo = NULL;
	TPMT_SIGNATURE *sig = NULL, *cs = NULL;
	TPMT_SIG_SCHEME null_scheme = { .scheme = TPM2_ALG_NULL };
	TPM2B_DATA qd = { .size = 32 };
	ESYS_TR ak = ESYS_TR_NONE;
	size_t cert_len;
	int r, got = 0;
	TSS2_RC rc;

	memcpy(qd.buffer, qualifying, 32);
	rc = Esys_TR_FromTPMPublic(t->esys, AK_HANDLE, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &ak);
	if (rc != TSS2_RC_SUCCESS) {
		log_error(ctx, "The vTPM has no attestation key at 0x%08x: %s", AK_HANDLE,
			  Tss2_RC_Decode(rc));
		return -ENOENT;
	}
	rc = Esys_ReadPublic(t->esys, ak, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &ak_pub, NULL,
			     NULL);
	if (rc != TSS2_RC_SUCCESS) {
		r = tpm_fail(ctx, "ReadPublic(AK)", rc);
		goto out;
	}
	aik_pub = b64_public(ak_pub);

	r = tpm_nv_read(ctx, t, AK_CERT_NV, &cert, &cert_len);
	if (r < 0)
		goto out;
	{
		/* The index is larger than the certificate: keep its DER length. */
		const unsigned char *p = cert;
		X509 *x = d2i_X509(NULL, &p, (long)cert_len);

		if (!x) {
			log_error(ctx, "NV 0x%08x holds no DER certificate (the vTPM AK certificate)",
				  AK_CERT_NV);
			r = -EBADMSG;
			goto out;
		}
		X509_free(x);
		cert_len = (size_t)(p - cert);
	}
	aik_cert = b64_encode(cert, cert_len);

	/* PCRs 0-7, SHA-256. */
	pcrs = json_array();
	set = json_array();
	while (got < PCR_COUNT) {
		TPML_PCR_SELECTION want = t->sel, *sel_out = NULL;
		TPML_DIGEST *vals = NULL;
		UINT32 counter;
		int idx = 0;

		want.pcrSelections[0].pcrSelect[0] = (uint8_t)(0xff << got);
		rc = Esys_PCR_Read(t->esys, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &want, &counter,
				   &sel_out, &vals);
		if (rc != TSS2_RC_SUCCESS) {
			r = tpm_fail(ctx, "PCR_Read", rc);
			goto out;
		}
		for (int i = got; i < PCR_COUNT && idx < (int)vals->count; i++) {
			_cleanup_free_ char *d = NULL;

			if (!(sel_out->pcrSelections[0].pcrSelect[0] & (1 << i)))
				continue;
			d = b64_encode(vals->digests[idx].buffer, vals->digests[idx].size);
			json_array_append_new(pcrs, json_pack("{s:i, s:s}", "Index", i, "Digest", d));
			json_array_append_new(set, json_integer(i));
			idx++;
			got = i + 1;
		}
		Esys_Free(sel_out);
		Esys_Free(vals);
		if (idx == 0) {
			log_error(ctx, "The vTPM returns no SHA-256 PCR %d", got);
			r = -EIO;
			goto out;
		}
	}

	rc = Esys_Quote(t->esys, ak, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, &qd, &null_scheme,
			&t->sel, &quoted, &sig);
	if (rc != TSS2_RC_SUCCESS) {
		r = tpm_fail(ctx, "Quote", rc);
		goto out;
	}
	quote = b64_encode(quoted->attestationData, quoted->size);
	qsig = b64_sig(sig);

	r = create_ephemeral_key(ctx, t);
	if (r < 0)
		goto out;
	enc_pub = b64_public(&t->enc_pub);
	rc = Esys_Certify(t->esys, t->enc_key, ak, ESYS_TR_PASSWORD, ESYS_TR_PASSWORD, ESYS_TR_NONE,
			  &qd, &null_scheme, &cinfo, &cs);
	if (rc != TSS2_RC_SUCCESS) {
		r = tpm_fail(ctx, "Certify(ephemeral key)", rc);
		goto out;
	}
	certify = b64_encode(cinfo->attestationData, cinfo->size);
	csig = b64_sig(cs);
	if (!aik_pub || !aik_cert || !quote || !qsig || !enc_pub || !certify || !csig) {
		r = -ENOMEM;
		goto out;
	}
	info = json_pack("{s:s, s:s, s:s, s:s, s:O, s:O, s:s, s:s, s:s}", "AikCert", aik_cert,
			 "AikPub", aik_pub, "PcrQuote", quote, "PcrSignature", qsig, "PcrSet", set,
			 "PCRs", pcrs, "EncKeyPub", enc_pub, "EncKeyCertifyInfo", certify,
			 "EncKeyCertifyInfoSignature", csig);
	if (!info) {
		r = -ENOMEM;
		goto out;
	}
	*ret = TAKE_PTR(info);
	r = 0;
out:
	Esys_Free(ak_pub);
	Esys_Free(quoted);
	Esys_Free(sig);
	Esys_Free(cinfo);
	Esys_Free(cs);
	if (ak != ESYS_TR_NONE)
		Esys_TR_Close(t->esys, &ak);
	return r;
}

