// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The Azure guest flow, POST /attest/AzureGuest (reference 2.4, 4.6), through
 * the paravisor's vTPM with tpm2-tss ESAPI:
 *
 *   AK            persistent 0x81000003, its certificate in NV 0x01C101D0;
 *   PCR quote     over SHA-256 PCRs 0-7 (the Linux set), signed by the AK,
 *                 with the TCG event log that replays to them;
 *   ephemeral key RSA-2048 decryption key created under the NULL hierarchy
 *                 (gone at the next TPM reset), authPolicy = PolicyPCR over
 *                 those PCRs (usable only while they hold), certified by the
 *                 AK: this is the transfer key Key Vault wraps to
 *                 ("TpmEphemeralEncryptionKey");
 *   isolation     the HCL report (NV 0x01400001): its SNP report with the
 *                 VCEK chain, or its TDREPORT made a quote by IMDS, and its
 *                 runtime claims (whose HCLAkPub is our AK);
 *   answer        sealed: EncryptedInnerKey (RSAES to the ephemeral key) is
 *                 decrypted by the vTPM, and opens Jwt with AES-256-GCM (AAD
 *                 "Transport Key"); the token is then verified like any.
 *
 * The released key's RSA-OAEP block is later decrypted by the same vTPM key
 * (tpm_rsa_oaep_decrypt), so the AES key never exists outside this guest.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>

#include <tss2/tss2_esys.h>
#include <tss2/tss2_mu.h>
#include <tss2/tss2_rc.h>
#include <tss2/tss2_tctildr.h>

#include "net.h"

#define AK_HANDLE	0x81000003
#define AK_CERT_NV	0x01C101D0
#define HCL_REPORT_NV	0x01400001
#define NV_CHUNK	1024
#define PCR_COUNT	8		/* Linux: PCRs 0-7 (GA GetAttestationPcrList) */
#define TCG_LOG_PATH	"/sys/kernel/security/tpm0/binary_bios_measurements"

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
	log_error(ctx, "vTPM %s failed: %s", what, Tss2_RC_Decode(rc));
	return -EIO;
}

static int tpm_open(struct cvm_ctx *ctx, const struct cvm_config *cfg, struct tpm_session **ret)
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

/* Read all of an NV index with owner authorization (as Azure documents). */
static int nv_read_all(struct cvm_ctx *ctx, struct tpm_session *t, TPM2_HANDLE index,
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

static char *b64_of(const void *buf, size_t len)
{
	return b64_encode(buf, len);
}

static char *b64_of_str(const char *s)
{
	return b64_encode((const uint8_t *)s, strlen(s));
}

/* TPM2B_PUBLIC marshalled, base64. */
static char *b64_public(const TPM2B_PUBLIC *pub)
{
	uint8_t buf[sizeof(TPM2B_PUBLIC) + 16];
	size_t off = 0;

	if (Tss2_MU_TPM2B_PUBLIC_Marshal(pub, buf, sizeof(buf), &off) != TSS2_RC_SUCCESS)
		return NULL;
	return b64_of(buf, off);
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
	return b64_of(s->buffer, s->size);
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
		       const uint8_t *in, size_t in_len, struct secret **ret)
{
	_cleanup_(secret_freep) struct secret *out = NULL;
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
	r = secret_new(ctx, msg->size, &out);
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
			 const uint8_t *in, size_t in_len, struct secret **ret)
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

/* /etc/os-release NAME and VERSION_ID. */
static void os_release(char *name, size_t nl, int *major, int *minor)
{
	_cleanup_fclose_ FILE *f = fopen("/etc/os-release", "re");
	char line[256];

	snprintf(name, nl, "Linux");
	*major = *minor = 0;
	while (f && fgets(line, sizeof(line), f)) {
		char *v = strchr(line, '=');

		if (!v)
			continue;
		*v++ = 0;
		v[strcspn(v, "\n")] = 0;
		if (*v == '"') {
			v++;
			v[strcspn(v, "\"")] = 0;
		}
		if (strcmp(line, "NAME") == 0)
			snprintf(name, nl, "%s", v);
		else if (strcmp(line, "VERSION_ID") == 0)
			sscanf(v, "%d.%d", major, minor);
	}
}

/* IsolationInfo from the HCL report. */
static int isolation_info(struct cvm_ctx *ctx, const struct cvm_config *cfg,
			  struct tpm_session *t, json_t **ret)
{
	_cleanup_free_ uint8_t *hcl = NULL, *quote = NULL;
	_cleanup_free_ char *pem = NULL, *proof = NULL, *rt = NULL, *rep = NULL, *chain = NULL,
			    *inner = NULL;
	_cleanup_json_ json_t *in = NULL;
	struct cvm_hcl_report h;
	size_t hcl_len, pem_len, qlen;
	int r;

	r = nv_read_all(ctx, t, HCL_REPORT_NV, &hcl, &hcl_len);
	if (r < 0)
		return r;
	r = cvm_hcl_report_parse(hcl, hcl_len, &h);
	if (r < 0) {
		log_error(ctx, "The HCL report in vTPM NV 0x%08x does not parse", HCL_REPORT_NV);
		return r;
	}
	rt = b64_of(h.variable_data, h.variable_size);
	if (!rt)
		return -ENOMEM;
	if (h.hw_format == CVM_FORMAT_SNP_REPORT) {
		r = snp_vcek_chain(ctx, cfg, h.hw_report, SNP_REPORT_SIZE, NULL, 0, &pem, &pem_len);
		if (r < 0)
			return r;
		rep = b64url_encode(h.hw_report, SNP_REPORT_SIZE);
		chain = b64url_encode((const uint8_t *)pem, pem_len);
		in = json_pack("{s:s, s:s}", "SnpReport", rep, "VcekCertChain", chain);
		inner = in ? json_dumps(in, JSON_COMPACT) : NULL;
		proof = inner ? b64_of_str(inner) : NULL;
	} else {
		r = imds_tdquote(ctx, cfg, h.hw_report, TDX_REPORT_SIZE, &quote, &qlen);
		if (r < 0)
			return r;
		proof = b64_of(quote, qlen);
	}
	if (!proof)
		return -ENOMEM;
	*ret = json_pack("{s:s, s:{s:s, s:s}}", "Type",
			 h.hw_format == CVM_FORMAT_SNP_REPORT ? "SevSnp" : "Tdx", "Evidence", "Proof",
			 proof, "RunTimeData", rt);
	return *ret ? 0 : -ENOMEM;
}

static int tpm_info(struct cvm_ctx *ctx, struct tpm_session *t, const uint8_t qualifying[32],
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

	r = nv_read_all(ctx, t, AK_CERT_NV, &cert, &cert_len);
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
	aik_cert = b64_of(cert, cert_len);

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
			d = b64_of(vals->digests[idx].buffer, vals->digests[idx].size);
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
	quote = b64_of(quoted->attestationData, quoted->size);
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
	certify = b64_of(cinfo->attestationData, cinfo->size);
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

/* The SealedAttestationResponse: unseal through the vTPM, open the JWT. */
static int unseal(struct cvm_ctx *ctx, struct tpm_session *t, const char *sealed, char **jwt)
{
	_cleanup_free_ uint8_t *raw = NULL, *wrapped = NULL, *iv = NULL, *tag = NULL, *ct = NULL;
	_cleanup_(secret_freep) struct secret *aes = NULL;
	_cleanup_json_ json_t *obj = NULL;
	TPMT_RSA_DECRYPT rsaes = { .scheme = TPM2_ALG_RSAES };
	size_t raw_len, wl, ivl, tl, cl;
	const char *s_key, *s_iv, *s_tag, *s_jwt;
	EVP_CIPHER_CTX *c = NULL;
	char *out = NULL;
	int n1 = 0, n2 = 0, r;
	char why[128];

	if (b64url_decode(sealed, strlen(sealed), &raw, &raw_len) < 0 ||
	    !(obj = json_parse_object(raw, raw_len, why, sizeof(why)))) {
		log_error(ctx, "The AzureGuest answer is not base64url of the sealed response JSON");
		return -EBADMSG;
	}
	s_key = json_string_value(json_object_get(obj, "EncryptedInnerKey"));
	s_iv = json_string_value(json_object_get(json_object_get(obj, "EncryptionParams"), "Iv"));
	s_tag = json_string_value(json_object_get(obj, "AuthenticationData"));
	s_jwt = json_string_value(json_object_get(obj, "Jwt"));
	if (!s_key || !s_iv || !s_tag || !s_jwt ||
	    b64_decode(s_key, strlen(s_key), false, &wrapped, &wl) < 0 ||
	    b64_decode(s_iv, strlen(s_iv), false, &iv, &ivl) < 0 ||
	    b64_decode(s_tag, strlen(s_tag), false, &tag, &tl) < 0 ||
	    b64_decode(s_jwt, strlen(s_jwt), false, &ct, &cl) < 0 || tl != 16 || ivl == 0 ||
	    cl > (1 << 20)) {
		log_error(ctx, "The sealed AzureGuest answer lacks or mangles EncryptedInnerKey, "
			  "EncryptionParams.Iv, AuthenticationData or Jwt");
		return -EBADMSG;
	}
	r = tpm_decrypt(ctx, t, &rsaes, wrapped, wl, &aes);
	if (r < 0)
		return r;
	if (aes->len != 32) {
		log_error(ctx, "The unsealed transport key has %zu bytes, not 32", aes->len);
		return -EBADMSG;
	}
	out = malloc(cl + 16 + 1);
	c = EVP_CIPHER_CTX_new();
	if (!out || !c) {
		r = -ENOMEM;
		goto done;
	}
	if (EVP_DecryptInit_ex(c, EVP_aes_256_gcm(), NULL, NULL, NULL) != 1 ||
	    EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_IVLEN, (int)ivl, NULL) != 1 ||
	    EVP_DecryptInit_ex(c, NULL, NULL, aes->data, iv) != 1 ||
	    EVP_DecryptUpdate(c, NULL, &n1, (const unsigned char *)"Transport Key", 13) != 1 ||
	    EVP_DecryptUpdate(c, (unsigned char *)out, &n1, ct, (int)cl) != 1 ||
	    EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, 16, tag) != 1 ||
	    EVP_DecryptFinal_ex(c, (unsigned char *)out + n1, &n2) != 1) {
		log_openssl(ctx, "AES-GCM");
		log_error(ctx, "The sealed attestation token does not decrypt (AES-GCM tag mismatch)");
		r = -EKEYREJECTED;
		goto done;
	}
	out[n1 + n2] = 0;
	*jwt = TAKE_PTR(out);
	r = 0;
done:
	EVP_CIPHER_CTX_free(c);
	free(out);
	return r;
}

/* x-ms-runtime must name our ephemeral key (and echo our client payload). */
static int check_guest_runtime(struct cvm_ctx *ctx, struct tpm_session *t, const json_t *claims,
			       const json_t *client_payload)
{
	json_t *rt = json_object_get(claims, "x-ms-runtime"), *k;
	_cleanup_free_ char *n = NULL;
	const TPM2B_PUBLIC_KEY_RSA *u = &t->enc_pub.publicArea.unique.rsa;
	size_t i;

	n = b64url_encode(u->buffer, u->size);
	if (!n)
		return -ENOMEM;
	json_array_foreach(json_object_get(rt, "keys"), i, k) {
		const char *kid = json_string_value(json_object_get(k, "kid"));
		const char *kn = json_string_value(json_object_get(k, "n"));

		if (kid && strcmp(kid, "TpmEphemeralEncryptionKey") == 0 && kn && strcmp(kn, n) == 0) {
			if (client_payload &&
			    !json_equal(json_object_get(rt, "client-payload"), (json_t *)client_payload)) {
				log_error(ctx, "The token's x-ms-runtime.client-payload is not what was sent");
				return -EKEYREJECTED;
			}
			return 0;
		}
	}
	log_error(ctx, "The token's x-ms-runtime does not hold our vTPM ephemeral key: the token "
		  "does not attest this request");
	return -EKEYREJECTED;
}

int azure_guest_attest(struct cvm_ctx *ctx, const struct cvm_config *cfg, const char *nonce,
		       struct cvm_attestation *a)
{
	_cleanup_json_ json_t *tpm = NULL, *iso = NULL, *info = NULL, *body = NULL, *cp = NULL;
	_cleanup_free_ uint8_t *log = NULL;
	_cleanup_free_ char *text = NULL, *info_b64 = NULL, *url = NULL, *sealed = NULL, *jwt = NULL,
			    *log_b64 = NULL, *os = NULL, *distro = NULL, *build = NULL;
	struct tpm_session *t = NULL;
	struct http_resp resp = { 0 };
	struct http_req req = {
		.method = "POST",
		.what = "attestation service",
		.config_key = "attest_url",
		.content_type = "application/json",
	};
	uint8_t qualifying[32];
	char distro_name[128];
	size_t log_len = 0;
	unsigned dl;
	int major, minor, r;

	r = tpm_open(ctx, cfg, &t);
	if (r < 0)
		return r;
	/* Freshness in the quote: SHA-256 of the nonce (or of nothing). */
	r = sha_digest("SHA256", (const uint8_t *)(nonce ? nonce : ""), nonce ? strlen(nonce) : 0,
		       qualifying, &dl);
	if (r < 0)
		goto out;
	r = tpm_info(ctx, t, qualifying, &tpm);
	if (r < 0)
		goto out;
	r = isolation_info(ctx, cfg, t, &iso);
	if (r < 0)
		goto out;
	if (read_file(TCG_LOG_PATH, 4 << 20, &log, &log_len) < 0) {
		log_info(ctx, "No TCG event log at %s; sending an empty one", TCG_LOG_PATH);
		log_len = 0;
	}
	log_b64 = b64_of(log ? log : (const uint8_t *)"", log_len);
	os_release(distro_name, sizeof(distro_name), &major, &minor);
	os = b64_of_str("Linux");
	distro = b64_of_str(distro_name);
	build = b64_of_str("NotApplication");
	if (nonce) {
		_cleanup_free_ char *nb = b64_of_str(nonce);

		cp = nb ? json_pack("{s:s}", "nonce", nb) : NULL;
	}
	if (!log_b64 || !os || !distro || !build || (nonce && !cp)) {
		r = -ENOMEM;
		goto out;
	}
	info = json_pack("{s:s, s:s, s:s, s:s, s:i, s:i, s:s, s:O, s:O}", "AttestationProtocolVersion",
			 "2.0", "OSType", os, "OSDistro", distro, "OSBuild", build, "OSVersionMajor",
			 major, "OSVersionMinor", minor, "TcgLogs", log_b64, "TpmInfo", tpm,
			 "IsolationInfo", iso);
	if (info && cp)
		json_object_set(info, "ClientPayload", cp);
	text = info ? json_dumps(info, JSON_COMPACT) : NULL;
	info_b64 = text ? b64url_encode((const uint8_t *)text, strlen(text)) : NULL;
	body = info_b64 ? json_pack("{s:s}", "AttestationInfo", info_b64) : NULL;
	free(text);
	text = body ? json_dumps(body, JSON_COMPACT) : NULL;
	if (!text || asprintf(&url, "%s/attest/AzureGuest?api-version=%s", a->instance,
			      cfg->api_version_guest) < 0) {
		r = -ENOMEM;
		goto out;
	}
	req.url = url;
	req.body = (const uint8_t *)text;
	req.body_len = strlen(text);
	log_info(ctx, "Attesting with %s/attest/AzureGuest", a->instance);
	r = http_request(ctx, cfg, &req, &resp);
	if (r < 0)
		goto out;
	if (resp.status == 400) {
		char msg[1024];

		http_error_text(&resp, msg, sizeof(msg));
		log_error(ctx, "The attestation service %s refused the evidence: %s", a->instance,
			  msg[0] ? msg : "HTTP 400");
		r = -EKEYREJECTED;
		goto out;
	}
	{
		_cleanup_json_ json_t *o = NULL;
		const char *tok;

		r = http_json_object(ctx, cfg, &req, &resp, &o);
		if (r < 0)
			goto out;
		tok = json_string_value(json_object_get(o, "token"));

		if (!tok) {
			log_error(ctx, "The attestation service's answer has no token");
			r = -EBADMSG;
			goto out;
		}
		sealed = strdup(tok);
		if (!sealed) {
			r = -ENOMEM;
			goto out;
		}
	}
	r = unseal(ctx, t, sealed, &jwt);
	if (r < 0)
		goto out;
	r = maa_token_verify(ctx, cfg, a->instance, jwt, NULL, false, &a->claims);
	if (r < 0)
		goto out;
	r = check_guest_runtime(ctx, t, a->claims, cp);
	if (r < 0)
		goto out;
	{
		const char *type = json_string_value(json_object_get(a->claims, "x-ms-attestation-type"));

		if (!type || strcmp(type, "azurevm") != 0) {
			log_error(ctx, "The token's x-ms-attestation-type is \"%s\", not \"azurevm\"",
				  type ? type : "(none)");
			r = -EKEYREJECTED;
			goto out;
		}
	}
	a->token = TAKE_PTR(jwt);
	a->flow = strdup("AzureGuest");
	if (!a->flow) {
		r = -ENOMEM;
		goto out;
	}
	a->transfer_kid = strdup("TpmEphemeralEncryptionKey");
	a->tpm = TAKE_PTR(t);
	r = 0;
out:
	http_resp_done(&resp);
	tpm_session_free(t);
	return r;
}
