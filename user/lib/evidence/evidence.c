// SPDX-License-Identifier: LGPL-2.1-or-later
/* Evidence formats: names and detection from the bytes. */
#include <errno.h>
#include <string.h>

#include "evidence/evidence.h"


static const char *const format_names[] = {
	[CVM_FORMAT_UNKNOWN] = "unknown",
	[CVM_FORMAT_SNP_REPORT] = "snp-report",
	[CVM_FORMAT_TDX_TDREPORT] = "tdx-tdreport",
	[CVM_FORMAT_TDX_QUOTE] = "tdx-quote",
	[CVM_FORMAT_AZURE_HCL] = "azure-hcl",
};

const char *cvm_format_name(enum cvm_format f)
{
	if ((size_t)f >= ELEMENTSOF(format_names))
		return "unknown";
	return format_names[f];
}

int cvm_format_from_name(const char *name, enum cvm_format *ret)
{
	for (size_t i = 1; i < ELEMENTSOF(format_names); i++)
		if (strcmp(name, format_names[i]) == 0) {
			*ret = (enum cvm_format)i;
			return 0;
		}
	return -EINVAL;
}

int cvm_evidence_detect(const uint8_t *buf, size_t len, enum cvm_format *ret)
{
	if (!ret || (!buf && len))
		return -EINVAL;

	/* "HCLA" */
	if (len >= 4 && get_le32(buf) == HCL_SIGNATURE) {
		*ret = CVM_FORMAT_AZURE_HCL;
		return 0;
	}
	/*
	 * Quote header: version 4/5, ECDSA key type 2 (or 3, refused later),
	 * TEE type TDX (or SGX, refused later).  An SNP report's VERSION is a
	 * small u32, so its bytes 2-3 (the key type here) are zero.
	 */
	if (len >= TDX_QUOTE_HEADER_LEN && (get_le16(buf) == 4 || get_le16(buf) == 5) &&
	    (get_le16(buf + TDX_Q_ATT_KEY_TYPE) == 2 || get_le16(buf + TDX_Q_ATT_KEY_TYPE) == 3) &&
	    (get_le32(buf + TDX_Q_TEE_TYPE) == TDX_QUOTE_TEE_TDX || get_le32(buf + TDX_Q_TEE_TYPE) == 0)) {
		*ret = CVM_FORMAT_TDX_QUOTE;
		return 0;
	}
	/* REPORTTYPE.TYPE 0x81: no SNP report starts like that (VERSION is small). */
	if (len >= TDX_REPORT_SIZE && buf[0] == TDX_REPORTTYPE_TDX) {
		*ret = CVM_FORMAT_TDX_TDREPORT;
		return 0;
	}
	/*
	 * SNP report: VERSION first.  Any small version is taken as SNP so that
	 * a future version is reported as unsupported, not as unknown, and a
	 * truncated one as truncated.  Also
	 * MSG_REPORT_RSP (status 0, size 0x4A0, then the report).
	 */
	if (len >= 4 && get_le32(buf) >= 1 && get_le32(buf) < 64) {
		*ret = CVM_FORMAT_SNP_REPORT;
		return 0;
	}
	if (len >= SNP_MSG_REPORT_RSP_REPORT + SNP_REPORT_SIZE &&
	    get_le32(buf + SNP_MSG_REPORT_RSP_STATUS) == SNP_FW_STATUS_SUCCESS &&
	    get_le32(buf + SNP_MSG_REPORT_RSP_SIZE) == SNP_REPORT_SIZE) {
		*ret = CVM_FORMAT_SNP_REPORT;
		return 0;
	}
	return -EBADMSG;
}
