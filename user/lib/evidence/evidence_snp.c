// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * AMD SEV-SNP ATTESTATION_REPORT (versions 2, 3, 4, 5) and the extended-report
 * certificate table.  Layout: AMD 56860 (SEV-SNP Firmware ABI) Table 23 as
 * implemented by go-sev-guest abi/abi.go and virtee/sev; the offsets live in
 * include/cvmattest/evidence.h.
 */
#include <errno.h>
#include <string.h>

#include "evidence/evidence.h"


const char *cvm_snp_product_name(enum cvm_snp_product p)
{
	switch (p) {
	case CVM_SNP_PRODUCT_MILAN:
		return "Milan";
	case CVM_SNP_PRODUCT_GENOA:
		return "Genoa";
	case CVM_SNP_PRODUCT_TURIN:
		return "Turin";
	default:
		return "unknown";
	}
}

/*
 * Family/model to product line, as virtee/sev Generation::identify_cpu:
 * family 0x19 models 0x00-0x0f Milan, 0x10-0x1f and 0xa0-0xaf Genoa
 * (Bergamo/Siena share Genoa's keys), family 0x1a models 0x00-0x11 Turin.
 */
static enum cvm_snp_product product_from_cpuid(uint8_t fam, uint8_t mod)
{
	if (fam == 0x19 && mod <= 0x0f)
		return CVM_SNP_PRODUCT_MILAN;
	if (fam == 0x19 && (mod >= 0x10 && mod <= 0x1f))
		return CVM_SNP_PRODUCT_GENOA;
	if (fam == 0x19 && (mod >= 0xa0 && mod <= 0xaf))
		return CVM_SNP_PRODUCT_GENOA;
	if (fam == 0x1a && mod <= 0x11)
		return CVM_SNP_PRODUCT_TURIN;
	return CVM_SNP_PRODUCT_UNKNOWN;
}

void cvm_snp_tcb_decode(uint64_t raw, enum cvm_snp_product p, struct cvm_snp_tcb *ret)
{
	uint8_t b[8];

	for (int i = 0; i < 8; i++)
		b[i] = (uint8_t)(raw >> (8 * i));
	*ret = (struct cvm_snp_tcb){ .raw = raw };
	if (p == CVM_SNP_PRODUCT_TURIN) {
		ret->turin = true;
		ret->fmc = b[SNP_TCB_TURIN_FMC];
		ret->bootloader = b[SNP_TCB_TURIN_BL];
		ret->tee = b[SNP_TCB_TURIN_TEE];
		ret->snp = b[SNP_TCB_TURIN_SNP];
		ret->microcode = b[SNP_TCB_TURIN_UCODE];
	} else {
		ret->bootloader = b[SNP_TCB_LEGACY_BL];
		ret->tee = b[SNP_TCB_LEGACY_TEE];
		ret->snp = b[SNP_TCB_LEGACY_SNP];
		ret->microcode = b[SNP_TCB_LEGACY_UCODE];
	}
}

static void note_mbz(struct cvm_snp_report *s, const uint8_t *b, size_t from, size_t to)
{
	if (s->mbz_violation)
		return;
	for (size_t i = from; i < to; i++)
		if (b[i]) {
			s->mbz_violation = (uint32_t)i + 1;
			return;
		}
}

int cvm_snp_report_parse(const uint8_t *buf, size_t len, struct cvm_snp_report *ret)
{
	struct cvm_snp_report s = { 0 };
	const uint8_t *b = buf;

	if (!buf || !ret || len < SNP_REPORT_SIZE)
		return -EBADMSG;

	s.version = get_le32(b + SNP_R_VERSION);
	/*
	 * 2..5 are known.  A later version may move or redefine fields the
	 * policy depends on, so it is refused rather than guessed at.
	 */
	if (s.version < SNP_REPORT_VERSION_MIN || s.version > SNP_REPORT_VERSION_MAX)
		return -EBADMSG;

	s.raw = buf;
	s.guest_svn = get_le32(b + SNP_R_GUEST_SVN);
	s.policy = get_le64(b + SNP_R_POLICY);
	memcpy(s.family_id, b + SNP_R_FAMILY_ID, 16);
	memcpy(s.image_id, b + SNP_R_IMAGE_ID, 16);
	s.vmpl = get_le32(b + SNP_R_VMPL);
	s.signature_algo = get_le32(b + SNP_R_SIGNATURE_ALGO);
	s.platform_info = get_le64(b + SNP_R_PLATFORM_INFO);
	s.signer_info = get_le32(b + SNP_R_SIGNER_INFO);
	s.author_key_en = s.signer_info & SNP_SIGNER_AUTHOR_KEY_EN;
	s.mask_chip_key = s.signer_info & SNP_SIGNER_MASK_CHIP_KEY;
	s.signing_key = (s.signer_info >> SNP_SIGNER_SIGNING_KEY_SHIFT) & SNP_SIGNER_SIGNING_KEY_MASK;
	memcpy(s.report_data, b + SNP_R_REPORT_DATA, 64);
	memcpy(s.measurement, b + SNP_R_MEASUREMENT, 48);
	memcpy(s.host_data, b + SNP_R_HOST_DATA, 32);
	memcpy(s.id_key_digest, b + SNP_R_ID_KEY_DIGEST, 48);
	memcpy(s.author_key_digest, b + SNP_R_AUTHOR_KEY_DIGEST, 48);
	memcpy(s.report_id, b + SNP_R_REPORT_ID, 32);
	memcpy(s.report_id_ma, b + SNP_R_REPORT_ID_MA, 32);
	if (s.version >= 3) {
		s.cpuid_fam_id = b[SNP_R_CPUID_FAM_ID];
		s.cpuid_mod_id = b[SNP_R_CPUID_MOD_ID];
		s.cpuid_step = b[SNP_R_CPUID_STEP];
		s.product = product_from_cpuid(s.cpuid_fam_id, s.cpuid_mod_id);
	}
	memcpy(s.chip_id, b + SNP_R_CHIP_ID, 64);
	s.current_fw = (struct cvm_snp_fw_version){ .build = b[SNP_R_CURRENT_BUILD],
						    .minor = b[SNP_R_CURRENT_MINOR],
						    .major = b[SNP_R_CURRENT_MAJOR] };
	s.committed_fw = (struct cvm_snp_fw_version){ .build = b[SNP_R_COMMITTED_BUILD],
						      .minor = b[SNP_R_COMMITTED_MINOR],
						      .major = b[SNP_R_COMMITTED_MAJOR] };
	if (s.version >= 5) {
		s.launch_mit_vector = get_le64(b + SNP_R_LAUNCH_MIT_VECTOR);
		s.current_mit_vector = get_le64(b + SNP_R_CURRENT_MIT_VECTOR);
	}
	memcpy(s.sig_r, b + SNP_R_SIG_R, SNP_SIG_COMPONENT_LEN);
	memcpy(s.sig_s, b + SNP_R_SIG_S, SNP_SIG_COMPONENT_LEN);

	cvm_snp_tcb_decode(get_le64(b + SNP_R_CURRENT_TCB), s.product, &s.current_tcb);
	cvm_snp_tcb_decode(get_le64(b + SNP_R_REPORTED_TCB), s.product, &s.reported_tcb);
	cvm_snp_tcb_decode(get_le64(b + SNP_R_COMMITTED_TCB), s.product, &s.committed_tcb);
	cvm_snp_tcb_decode(get_le64(b + SNP_R_LAUNCH_TCB), s.product, &s.launch_tcb);

	/*
	 * Reserved bits, in report order (go-sev-guest ValidateReportFormat
	 * checks the same).  PLATFORM_INFO's reserved bits are not checked:
	 * the real Turin report sets bit 6.
	 */
	if (!(s.policy & SNP_POLICY_RESERVED_ONE) || (s.policy >> SNP_POLICY_MBZ_SHIFT))
		s.mbz_violation = SNP_R_POLICY + 1;
	if (!s.mbz_violation && ((s.signer_info >> 5) ||
				 (s.signing_key > SNP_SIGNING_KEY_VLEK &&
				  s.signing_key != SNP_SIGNING_KEY_NONE)))
		s.mbz_violation = SNP_R_SIGNER_INFO + 1;
	note_mbz(&s, b, SNP_R_RESERVED0, SNP_R_REPORT_DATA);
	note_mbz(&s, b, s.version >= 3 ? SNP_R_RESERVED1_V3 : SNP_R_RESERVED1_V2, SNP_R_CHIP_ID);
	note_mbz(&s, b, SNP_R_RESERVED2, SNP_R_RESERVED2 + 1);
	note_mbz(&s, b, SNP_R_RESERVED3, SNP_R_RESERVED3 + 1);
	note_mbz(&s, b, s.version >= 5 ? SNP_R_RESERVED4 : SNP_R_LAUNCH_MIT_VECTOR, SNP_R_SIGNATURE);
	if (s.signature_algo == SNP_SIG_ALGO_ECDSA_P384_SHA384)
		note_mbz(&s, b, SNP_R_SIG_RESERVED, SNP_REPORT_SIZE);

	*ret = s;
	return 0;
}

/* ---- certificate table (GHCB 56421, SNP_GET_EXT_REPORT) --------------------------- */

static const struct {
	uint8_t guid[16];
	enum cvm_snp_cert_kind kind;
} cert_guids[] = {
	{ SNP_GUID_VCEK, CVM_SNP_CERT_VCEK }, { SNP_GUID_VLEK, CVM_SNP_CERT_VLEK },
	{ SNP_GUID_ASK, CVM_SNP_CERT_ASK },   { SNP_GUID_ARK, CVM_SNP_CERT_ARK },
	{ SNP_GUID_CRL, CVM_SNP_CERT_CRL },
};

int cvm_snp_cert_table_parse(const uint8_t *buf, size_t len, struct cvm_snp_cert_table *ret)
{
	size_t n = 0, header_len;

	if (!ret || (!buf && len))
		return -EINVAL;
	memset(ret, 0, sizeof(*ret));
	if (len == 0)
		return 0;	/* the host may supply no certificates at all */

	/* Entries up to the all-zero terminator. */
	for (;; n++) {
		const uint8_t *e = buf + n * SNP_CERT_ENTRY_SIZE;

		if ((n + 1) * SNP_CERT_ENTRY_SIZE > len)
			return -EBADMSG;
		if (all_zero(e, SNP_CERT_ENTRY_SIZE))
			break;
		if (n == CVM_SNP_CERT_TABLE_MAX)
			return -EBADMSG;
	}
	header_len = (n + 1) * SNP_CERT_ENTRY_SIZE;

	for (size_t i = 0; i < n; i++) {
		const uint8_t *e = buf + i * SNP_CERT_ENTRY_SIZE;
		struct cvm_snp_cert_entry *ce = &ret->entries[i];

		memcpy(ce->guid, e + SNP_CERT_ENTRY_GUID, 16);
		ce->offset = get_le32(e + SNP_CERT_ENTRY_OFFSET);
		ce->length = get_le32(e + SNP_CERT_ENTRY_LENGTH);
		if (ce->offset < header_len || ce->offset > len || ce->length > len - ce->offset)
			return -EBADMSG;
		ce->data = buf + ce->offset;
		ce->kind = CVM_SNP_CERT_OTHER;
		for (size_t k = 0; k < ELEMENTSOF(cert_guids); k++)
			if (memcmp(ce->guid, cert_guids[k].guid, 16) == 0)
				ce->kind = cert_guids[k].kind;
	}
	ret->n_entries = n;
	ret->header_len = header_len;
	return 0;
}
