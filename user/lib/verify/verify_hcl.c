// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Azure HCL report: the hardware report inside must carry, in REPORT_DATA,
 * the hash (ReportDataHashType) of the runtime claims exactly as stored,
 * zero-padded to 64 bytes; then the hardware report is verified as any
 * other.  The 32-byte header is not covered by anything ("Not measured"
 * in HwVmReport.h) and is only parsed.
 */
#include <errno.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/param_build.h>

#include "verify/verify.h"

/*
 * The fields a TD quote's body copies from the TDREPORT it was made of, the
 * first that differs or NULL: TD Quote Body = TEE_TCB_INFO's TEE_TCB_SVN,
 * MRSEAM, MRSIGNERSEAM, SEAM_ATTRIBUTES, then TDINFO's TD_ATTRIBUTES, XFAM,
 * MRTD, MRCONFIGID, MROWNER, MROWNERCONFIG, RTMR0-3, and REPORTDATA; TDX 1.5
 * adds TEE_TCB_SVN2 and MRSERVICETD (= SERVTD_HASH).  Intel TDX DCAP
 * Quoting Library API, "TD Quote Body"; ../shared/reference/
 * evidence-formats.md §3.3 and §3.4.
 */
static const char *td_quote_difference(const struct cvm_tdx_quote_body *b, const struct cvm_tdx_tdreport *t)
{
	static const char *const rtmr_names[] = { "RTMR0", "RTMR1", "RTMR2", "RTMR3" };

#define DIFFERS(f) (memcmp(&b->f, &t->f, sizeof(b->f)) != 0)
	if (DIFFERS(tee_tcb_svn))
		return "TEE_TCB_SVN";
	if (DIFFERS(mrseam))
		return "MRSEAM";
	if (DIFFERS(mrsignerseam))
		return "MRSIGNERSEAM";
	if (b->seam_attributes != t->seam_attributes)
		return "SEAM_ATTRIBUTES";
	if (b->td_attributes != t->td_attributes)
		return "TD_ATTRIBUTES";
	if (b->xfam != t->xfam)
		return "XFAM";
	if (DIFFERS(mrtd))
		return "MRTD";
	if (DIFFERS(mrconfigid))
		return "MRCONFIGID";
	if (DIFFERS(mrowner))
		return "MROWNER";
	if (DIFFERS(mrownerconfig))
		return "MROWNERCONFIG";
	for (int i = 0; i < 4; i++)
		if (memcmp(b->rtmr[i], t->rtmr[i], 48) != 0)
			return rtmr_names[i];
	if (DIFFERS(report_data))
		return "REPORTDATA";
	if (b->tdx15 && DIFFERS(tee_tcb_svn2))
		return "TEE_TCB_SVN2";
	if (b->tdx15 && memcmp(b->mrservicetd, t->servtd_hash, 48) != 0)
		return "MRSERVICETD (SERVTD_HASH)";
#undef DIFFERS
	return NULL;
}

/*
 * The TDREPORT's MAC only the CPU can check; the quoting enclave did, on the
 * host, before it signed a quote of the same fields.  So a quote that
 * verifies and carries exactly the TDREPORT's fields vouches for them, and
 * through REPORTDATA for the runtime claims.
 */
static int verify_td_quote_of_tdreport(struct cvm_ctx *ctx, struct cvm_result *r)
{
	enum cvm_status before = r->status;
	const char *field;
	int k;

	r->td_quote_given = true;
	r->status = CVM_STATUS_OK;
	k = verify_tdx_quote(ctx, r, r->td_quote_buf, r->td_quote_len);
	if (k < 0)
		return k;
	r->td_quote_verified = r->has_quote && r->signature_checked && r->status <= CVM_STATUS_POLICY;
	if (r->status < before)
		r->status = before;
	r->version = r->hcl.version;	/* the quote's was set */
	if (!r->has_quote) {
		result_error(r, CVM_STATUS_MALFORMED, "the TD quote given does not parse: the TDREPORT stays "
			     "unverified");
		return 0;
	}
	field = td_quote_difference(&r->quote.body, &r->tdreport);
	r->td_quote_matches = !field;
	if (field)
		result_error(r, CVM_STATUS_INVALID, "the TD quote is not of this TDREPORT: %s differs", field);
	return 0;
}

int verify_hcl(struct cvm_ctx *ctx, struct cvm_result *r, const uint8_t *buf, size_t len)
{
	static const char *const md_names[] = { [HCL_HASH_SHA256] = "SHA256",
						[HCL_HASH_SHA384] = "SHA384",
						[HCL_HASH_SHA512] = "SHA512" };
	struct cvm_hcl_report *h = &r->hcl;
	const uint8_t *report_data = NULL;
	uint8_t digest[64];
	unsigned dlen;
	int k;

	if (len >= HCL_H_VERSION + 4)
		r->version = get_le32(buf + HCL_H_VERSION);
	if (cvm_hcl_report_parse(buf, len, h) < 0) {
		result_error(r, CVM_STATUS_MALFORMED, "Azure HCL report malformed or truncated (%zu bytes)", len);
		return 0;
	}
	r->has_hcl = true;
	r->version = h->version;

	if (cvm_hcl_claims_parse(h->variable_data, h->variable_size, &r->claims) < 0) {
		result_error(r, CVM_STATUS_MALFORMED, "the runtime claims are not the expected JSON");
		return 0;
	}
	r->has_claims = true;

	if (h->hw_format == CVM_FORMAT_SNP_REPORT) {
		k = verify_snp_report(ctx, r, h->hw_report, HCL_HW_REPORT_LEN, true);
		if (k < 0)
			return k;
		if (r->has_snp)
			report_data = r->snp.report_data;
	} else if (r->td_quote_buf) {
		r->td_quote_given = true;
		k = verify_tdx_tdreport_fields(r, h->hw_report, HCL_HW_REPORT_LEN);
		if (k == 0 && r->has_tdreport)
			k = verify_td_quote_of_tdreport(ctx, r);
		if (k < 0)
			return k;
		if (r->has_tdreport)
			report_data = r->tdreport.report_data;
	} else {
		k = verify_tdx_tdreport(ctx, r, h->hw_report, HCL_HW_REPORT_LEN);
		if (k < 0)
			return k;
		if (r->has_tdreport)
			report_data = r->tdreport.report_data;
	}
	if (!report_data)
		return 0;

	k = sha_digest(md_names[h->hash_type], h->variable_data, h->variable_size, digest, &dlen);
	if (k < 0)
		return k;
	r->hcl_binding_ok = memcmp(report_data, digest, dlen) == 0 && all_zero(report_data + dlen, 64 - dlen);
	if (!r->hcl_binding_ok)
		result_error(r, CVM_STATUS_INVALID,
			     "REPORT_DATA is not the %s of the runtime claims: they are not bound to the report",
			     md_names[h->hash_type]);
	return 0;
}

/* An RSA public key from a JWK's base64url "n" and "e" (RFC 7518 6.3.1). */
static int rsa_from_jwk(const char *n64, const char *e64, EVP_PKEY **ret)
{
	_cleanup_(EVP_PKEY_CTX_freep) EVP_PKEY_CTX *pctx = NULL;
	_cleanup_free_ uint8_t *n = NULL, *e = NULL;
	_cleanup_(BN_freep) BIGNUM *bn = NULL, *be = NULL;
	OSSL_PARAM_BLD *bld;
	OSSL_PARAM *params = NULL;
	size_t nl, el;
	int k = -ENOMEM;

	if (b64url_decode(n64, strlen(n64), &n, &nl) < 0 || b64url_decode(e64, strlen(e64), &e, &el) < 0 ||
	    nl < 128 || el == 0 || el > 8)
		return -EBADMSG;
	bn = BN_bin2bn(n, (int)nl, NULL);
	be = BN_bin2bn(e, (int)el, NULL);
	bld = OSSL_PARAM_BLD_new();
	if (bn && be && bld && OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, bn) == 1 &&
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, be) == 1)
		params = OSSL_PARAM_BLD_to_param(bld);
	OSSL_PARAM_BLD_free(bld);
	pctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
	if (params && pctx) {
		*ret = NULL;
		k = EVP_PKEY_fromdata_init(pctx) == 1 &&
		    EVP_PKEY_fromdata(pctx, ret, EVP_PKEY_PUBLIC_KEY, params) == 1 ? 0 : -EBADMSG;
	}
	OSSL_PARAM_free(params);
	ERR_clear_error();
	return k;
}

/*
 * The vTPM's quote, by the AK whose public key the runtime claims carry
 * (HCLAkPub): as strong as the HCL report itself, which binds the claims.
 */
int verify_hcl_tpm_quote(struct cvm_result *r, const uint8_t *nonce, size_t nonce_len)
{
	_cleanup_(EVP_PKEY_freep) EVP_PKEY *ak = NULL;
	char why[256];
	int k;

	r->tpm_quote_given = true;
	if (!r->has_claims)
		return 0;	/* the report's own error says why */
	if (tpm_quote_parse(r->tpm_quote_buf, r->tpm_quote_len, &r->tpm_quote) < 0) {
		result_error(r, CVM_STATUS_MALFORMED, "the TPM quote does not parse (%zu bytes; expected "
			     "az-cvm-vtpm's signature, TPMS_ATTEST and PCR values)", r->tpm_quote_len);
		return 0;
	}
	r->has_tpm_quote = true;
	if (!r->claims.ak_n || !r->claims.ak_e) {
		result_error(r, CVM_STATUS_INVALID, "the runtime claims carry no HCLAkPub key to check the "
			     "TPM quote with");
		return 0;
	}
	k = rsa_from_jwk(r->claims.ak_n, r->claims.ak_e, &ak);
	if (k == -ENOMEM)
		return k;
	if (k < 0) {
		result_error(r, CVM_STATUS_INVALID, "the runtime claims' HCLAkPub is not an RSA key");
		return 0;
	}
	k = tpm_quote_check(&r->tpm_quote, ak, nonce, nonce_len, why, sizeof(why));
	if (k == -ENOMEM)
		return k;
	if (k < 0) {
		result_error(r, CVM_STATUS_INVALID, "%s", why);
		return 0;
	}
	r->tpm_quote_ok = true;
	r->tpm_nonce_checked = nonce != NULL;
	return 0;
}
