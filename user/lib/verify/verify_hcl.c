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

#include "verify/verify.h"


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
