// SPDX-License-Identifier: LGPL-2.1-or-later
/* cvm_verify(): dispatch by format, apply the policy, report the verdict. */
#include <errno.h>
#include <string.h>

#include "verify/verify.h"

#define EVIDENCE_MAX (1024 * 1024)

void td_view_from_quote(const struct cvm_tdx_quote_body *b, struct td_view *v)
{
	*v = (struct td_view){ .tee_tcb_svn = b->tee_tcb_svn,
			       .seam_attributes = b->seam_attributes,
			       .td_attributes = b->td_attributes,
			       .mrtd = b->mrtd,
			       .mrconfigid = b->mrconfigid,
			       .mrowner = b->mrowner,
			       .mrownerconfig = b->mrownerconfig,
			       .report_data = b->report_data };
	for (int i = 0; i < 4; i++)
		v->rtmr[i] = b->rtmr[i];
	v->mrseam = b->mrseam;
	v->mrsignerseam = b->mrsignerseam;
	v->xfam = b->xfam;
}

void td_view_from_tdreport(const struct cvm_tdx_tdreport *t, struct td_view *v)
{
	*v = (struct td_view){ .tee_tcb_svn = t->tee_tcb_svn,
			       .seam_attributes = t->seam_attributes,
			       .td_attributes = t->td_attributes,
			       .mrtd = t->mrtd,
			       .mrconfigid = t->mrconfigid,
			       .mrowner = t->mrowner,
			       .mrownerconfig = t->mrownerconfig,
			       .report_data = t->report_data };
	for (int i = 0; i < 4; i++)
		v->rtmr[i] = t->rtmr[i];
	v->mrseam = t->mrseam;
	v->mrsignerseam = t->mrsignerseam;
	v->xfam = t->xfam;
}

/*
 * The SVNs a quote adds to its body: the QE report's ISVSVN (signed by the
 * PCK key) and the header's PCE SVN, bytes 10-11 as Intel's QVL names them
 * (QuoteVerification Header: qeSvn at 8, pceSvn at 10; DCAP sgx_quote_4.h
 * calls the four bytes reserved, evidence-formats.md §3.1).
 */
void td_view_add_quote_svns(const struct cvm_tdx_quote *q, struct td_view *v)
{
	v->has_quote_svns = true;
	v->qe_svn = q->qe_report.isvsvn;
	v->pce_svn = get_le16(q->header_reserved + 2);
}

/* Base64 (or base64url) text: what IMDS and MAA hand out, given here undecoded. */
static bool looks_like_base64(const uint8_t *buf, size_t len)
{
	size_t n = 0;

	for (size_t i = 0; i < len; i++) {
		uint8_t c = buf[i];

		if (c == '\n' || c == '\r' || c == ' ' || c == '\t')
			continue;
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '+' || c == '/' || c == '-' || c == '_' || c == '='))
			return false;
		n++;
	}
	return n >= 16;
}

/*
 * Our own copy of evidence @what given along (binary, or hex text as
 * evidence may be) into *ret.  1 (taken, or none given: @buf NULL), or
 * -ENOMEM; 0 when bad hex or size is an error of @r, *ret left NULL.
 */
static int take_extra(struct cvm_result *r, const char *what, const uint8_t *buf, size_t len,
		      uint8_t **ret, size_t *ret_len)
{
	uint8_t *dec;
	size_t dec_len;
	char why[160];
	int k;

	if (!buf)
		return 1;
	if (len > EVIDENCE_MAX) {
		result_error(r, CVM_STATUS_MALFORMED, "the %s is larger than %d bytes", what, EVIDENCE_MAX);
		return 0;
	}
	k = evidence_hex_decode(buf, len, &dec, &dec_len, why, sizeof(why));
	if (k == -EBADMSG) {
		result_error(r, CVM_STATUS_MALFORMED, "the %s is %s: give the binary, or hex text "
			     "of all of it", what, why);
		return 0;
	}
	if (k < 0)
		return k;
	if (k == 0) {
		dec_len = len;
		dec = malloc(dec_len ? dec_len : 1);
		if (!dec)
			return -ENOMEM;
		memcpy(dec, buf, dec_len);
	}
	*ret = dec;
	*ret_len = dec_len;
	return 1;
}

int cvm_verify(struct cvm_ctx *ctx, const uint8_t *buf, size_t len, enum cvm_format format,
	       const struct cvm_policy *policy, struct cvm_result **ret)
{
	return cvm_verify_ex(ctx, buf, len, format, policy, NULL, ret);
}

int cvm_verify_ex(struct cvm_ctx *ctx, const uint8_t *buf, size_t len, enum cvm_format format,
		  const struct cvm_policy *policy, const struct cvm_verify_extra *extra,
		  struct cvm_result **ret)
{
	struct cvm_policy default_policy = { .min_tcb = { -1, -1, -1, -1, -1 } };
	struct cvm_result *r;
	struct td_view td;
	int k = 0;

	if (!ctx || !ret || (!buf && len))
		return -EINVAL;
	if (extra && ((!extra->td_quote && extra->td_quote_len) ||
		      (!extra->tpm_quote && extra->tpm_quote_len) || (!extra->nonce && extra->nonce_len)))
		return -EINVAL;
	if (extra && !extra->td_quote && !extra->tpm_quote)
		extra = NULL;
	if (!policy)
		policy = &default_policy;
	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;

	if (len > EVIDENCE_MAX) {
		result_error(r, CVM_STATUS_MALFORMED, "evidence is larger than %d bytes", EVIDENCE_MAX);
		goto done;
	}
	/* The parsed structs point into our own copy, which lives as long as the result. */
	r->evidence = malloc(len ? len : 1);
	if (!r->evidence) {
		cvm_result_free(r);
		return -ENOMEM;
	}
	if (len)
		memcpy(r->evidence, buf, len);
	r->evidence_len = len;
	buf = r->evidence;

	/* Evidence passed around as hex text (virtee/sev's test data; "0x..." from Azure tools). */
	{
		uint8_t *dec;
		size_t dec_len;
		char why[160];

		k = evidence_hex_decode(buf, len, &dec, &dec_len, why, sizeof(why));
		if (k == -EBADMSG) {
			result_error(r, CVM_STATUS_MALFORMED, "the evidence is %s: give the binary, or "
				     "hex text of all of it", why);
			goto done;
		}
		if (k == 1) {
			free(r->evidence);
			r->evidence = dec;
			r->evidence_len = len = dec_len;
			buf = dec;
		} else if (k == -ENOMEM) {
			cvm_result_free(r);
			return k;
		}
		k = 0;
	}

	if (format == CVM_FORMAT_UNKNOWN && cvm_evidence_detect(buf, len, &format) < 0) {
		if (looks_like_base64(buf, len))
			result_error(r, CVM_STATUS_MALFORMED,
				     "this looks like base64 text (%zu bytes), not evidence: decode it "
				     "first (base64 -d FILE > FILE.bin) and verify that", len);
		else
			result_error(r, CVM_STATUS_MALFORMED,
				     "not evidence in a known format (SNP report, TDX quote or TDREPORT, Azure HCL report; %zu bytes)",
				     len);
		goto done;
	}
	r->format = format;
	if (extra) {
		k = take_extra(r, "TD quote", extra->td_quote, extra->td_quote_len, &r->td_quote_buf,
			       &r->td_quote_len);
		if (k > 0)
			k = take_extra(r, "TPM quote", extra->tpm_quote, extra->tpm_quote_len,
				       &r->tpm_quote_buf, &r->tpm_quote_len);
		if (k < 0) {
			cvm_result_free(r);
			return k;
		}
		if (k == 0)
			goto done;	/* bad hex or size: the result says so */
	}

	switch (format) {
	case CVM_FORMAT_SNP_REPORT:
		k = verify_snp_report(ctx, r, buf, len, false);
		if (k == 0 && r->has_snp)
			policy_check_snp(policy, &r->snp, true, r);
		break;
	case CVM_FORMAT_TDX_QUOTE:
		k = verify_tdx_quote(ctx, r, buf, len);
		if (k == 0 && r->has_quote) {
			td_view_from_quote(&r->quote.body, &td);
			td_view_add_quote_svns(&r->quote, &td);
			policy_check_td(policy, &td, true, r);
			policy_check_tdx_tcb(policy, r);
		}
		break;
	case CVM_FORMAT_TDX_TDREPORT:
		k = verify_tdx_tdreport(ctx, r, buf, len);
		if (k == 0 && r->has_tdreport) {
			td_view_from_tdreport(&r->tdreport, &td);
			policy_check_td(policy, &td, true, r);
		}
		break;
	case CVM_FORMAT_AZURE_HCL:
		k = verify_hcl(ctx, r, buf, len);
		if (k == 0 && r->tpm_quote_buf)
			k = verify_hcl_tpm_quote(r, extra->nonce, extra->nonce_len);
		/*
		 * Behind the paravisor the guest's 64 bytes travel as runtime
		 * claims user-data; REPORT_DATA holds the claims' hash.
		 */
		if (k == 0 && r->has_snp)
			policy_check_snp(policy, &r->snp, false, r);
		if (k == 0 && r->has_tdreport && r->has_quote && r->td_quote_matches) {
			/* the quote's fields, the TDREPORT's when they match, and its SVNs and TCB */
			td_view_from_quote(&r->quote.body, &td);
			td_view_add_quote_svns(&r->quote, &td);
			policy_check_td(policy, &td, false, r);
			policy_check_tdx_tcb(policy, r);
		} else if (k == 0 && r->has_tdreport) {
			td_view_from_tdreport(&r->tdreport, &td);
			policy_check_td(policy, &td, false, r);
		}
		if (k == 0 && r->has_claims && (r->has_snp || r->has_tdreport))
			policy_check_hcl_user_data(policy, &r->claims, r);
		break;
	default:
		result_error(r, CVM_STATUS_MALFORMED, "unknown evidence format");
		break;
	}
	if (k == 0 && extra && extra->tpm_quote && format != CVM_FORMAT_AZURE_HCL)
		result_error(r, CVM_STATUS_MALFORMED, "a TPM quote is verified together with an Azure HCL "
			     "report (whose runtime claims carry the AK), not with %s", cvm_format_name(format));
	if (k == 0 && extra && extra->td_quote && !r->td_quote_given)
		result_error(r, CVM_STATUS_MALFORMED, "a TD quote is verified together with an Azure HCL "
			     "report around a TDREPORT, not with %s", r->has_snp ? "SEV-SNP evidence" :
			     cvm_format_name(format));
	if (k < 0) {
		log_error(ctx, "Verification failed: %s", strerror(-k));
		cvm_result_free(r);
		return k;
	}
	policy_unchecked(policy, r);
done:
	*ret = r;
	return 0;
}
