/* SPDX-License-Identifier: GPL-2.0-only OR MIT */
/*
 * Wire formats of attestation evidence: the one definition of offsets,
 * sizes and GUIDs used by the kernel module, libcvmattest, the simulated
 * platform and the tests.  Macros only, so it builds in the kernel and in
 * user space alike.  All integers in these formats are little-endian
 * unless a comment says otherwise.
 *
 * Sources (see shared/reference/evidence-formats.md for the detail):
 *   SNP:  AMD SEV-SNP Firmware ABI (56860) as implemented by
 *         google/go-sev-guest abi/abi.go and virtee/sev; GHCB (56421)
 *         for the certificate table.
 *   TDX:  TDX Module ABI (TDREPORT_STRUCT), Intel DCAP sgx_quote_4.h /
 *         sgx_quote_5.h and the Intel QVL for quotes.
 *   HCL:  Azure confidential-computing-cvm-guest-attestation
 *         HwVmReport.h and kinvolk/azure-cvm-tooling hcl/mod.rs.
 */
#ifndef CVMATTEST_EVIDENCE_H
#define CVMATTEST_EVIDENCE_H

/* ---- AMD SEV-SNP ATTESTATION_REPORT -------------------------------- */

#define SNP_REPORT_SIZE			0x4A0	/* 1184 */
#define SNP_REPORT_VERSION_MIN		2
#define SNP_REPORT_VERSION_MAX		5

#define SNP_R_VERSION			0x000	/* u32 */
#define SNP_R_GUEST_SVN			0x004	/* u32 */
#define SNP_R_POLICY			0x008	/* u64 */
#define SNP_R_FAMILY_ID			0x010	/* 16 */
#define SNP_R_IMAGE_ID			0x020	/* 16 */
#define SNP_R_VMPL			0x030	/* u32 */
#define SNP_R_SIGNATURE_ALGO		0x034	/* u32, 1 = ECDSA P-384/SHA-384 */
#define SNP_R_CURRENT_TCB		0x038	/* u64 TCB_VERSION */
#define SNP_R_PLATFORM_INFO		0x040	/* u64 */
#define SNP_R_SIGNER_INFO		0x048	/* u32 */
#define SNP_R_RESERVED0			0x04C	/* 4, MBZ */
#define SNP_R_REPORT_DATA		0x050	/* 64 */
#define SNP_R_MEASUREMENT		0x090	/* 48 */
#define SNP_R_HOST_DATA			0x0C0	/* 32 */
#define SNP_R_ID_KEY_DIGEST		0x0E0	/* 48 */
#define SNP_R_AUTHOR_KEY_DIGEST		0x110	/* 48 */
#define SNP_R_REPORT_ID			0x140	/* 32 */
#define SNP_R_REPORT_ID_MA		0x160	/* 32 */
#define SNP_R_REPORTED_TCB		0x180	/* u64 */
#define SNP_R_CPUID_FAM_ID		0x188	/* u8, v3+ */
#define SNP_R_CPUID_MOD_ID		0x189	/* u8, v3+ */
#define SNP_R_CPUID_STEP		0x18A	/* u8, v3+ */
#define SNP_R_RESERVED1_V2		0x188	/* MBZ up to CHIP_ID in v2 */
#define SNP_R_RESERVED1_V3		0x18B	/* MBZ up to CHIP_ID in v3+ */
#define SNP_R_CHIP_ID			0x1A0	/* 64; Turin uses 8 */
#define SNP_R_COMMITTED_TCB		0x1E0	/* u64 */
#define SNP_R_CURRENT_BUILD		0x1E8	/* u8 */
#define SNP_R_CURRENT_MINOR		0x1E9	/* u8 */
#define SNP_R_CURRENT_MAJOR		0x1EA	/* u8 */
#define SNP_R_RESERVED2			0x1EB	/* u8, MBZ */
#define SNP_R_COMMITTED_BUILD		0x1EC	/* u8 */
#define SNP_R_COMMITTED_MINOR		0x1ED	/* u8 */
#define SNP_R_COMMITTED_MAJOR		0x1EE	/* u8 */
#define SNP_R_RESERVED3			0x1EF	/* u8, MBZ */
#define SNP_R_LAUNCH_TCB		0x1F0	/* u64 */
#define SNP_R_LAUNCH_MIT_VECTOR		0x1F8	/* u64, v5 */
#define SNP_R_CURRENT_MIT_VECTOR	0x200	/* u64, v5 */
#define SNP_R_RESERVED4			0x208	/* MBZ up to 0x2A0 */
#define SNP_R_SIGNATURE			0x2A0
#define SNP_R_SIG_R			0x2A0	/* 72, little-endian */
#define SNP_R_SIG_S			0x2E8	/* 72, little-endian */
#define SNP_R_SIG_RESERVED		0x330	/* MBZ up to 0x4A0 */

#define SNP_REPORT_DATA_LEN		64
#define SNP_MEASUREMENT_LEN		48
#define SNP_CHIP_ID_LEN			64
#define SNP_CHIP_ID_LEN_TURIN		8
#define SNP_SIG_COMPONENT_LEN		72
#define SNP_SIGNED_LEN			SNP_R_SIGNATURE	/* bytes 0..0x29F */
#define SNP_SIG_ALGO_ECDSA_P384_SHA384	1

/* POLICY bits */
#define SNP_POLICY_ABI_MINOR_MASK	0xFFULL
#define SNP_POLICY_ABI_MAJOR_SHIFT	8
#define SNP_POLICY_SMT			(1ULL << 16)
#define SNP_POLICY_RESERVED_ONE		(1ULL << 17)	/* must be 1 */
#define SNP_POLICY_MIGRATE_MA		(1ULL << 18)
#define SNP_POLICY_DEBUG		(1ULL << 19)
#define SNP_POLICY_SINGLE_SOCKET	(1ULL << 20)
#define SNP_POLICY_MBZ_SHIFT		26		/* bits 63:26 MBZ */

/* SIGNER_INFO */
#define SNP_SIGNER_AUTHOR_KEY_EN	(1U << 0)
#define SNP_SIGNER_MASK_CHIP_KEY	(1U << 1)
#define SNP_SIGNER_SIGNING_KEY_SHIFT	2
#define SNP_SIGNER_SIGNING_KEY_MASK	0x7U
#define SNP_SIGNING_KEY_VCEK		0
#define SNP_SIGNING_KEY_VLEK		1
#define SNP_SIGNING_KEY_NONE		7

/*
 * TCB_VERSION byte positions.  Milan and Genoa ("legacy"): bl, tee, 4 x
 * reserved, snp, ucode.  Turin: fmc, bl, tee, snp, 3 x reserved, ucode.
 */
#define SNP_TCB_LEGACY_BL		0
#define SNP_TCB_LEGACY_TEE		1
#define SNP_TCB_LEGACY_SNP		6
#define SNP_TCB_LEGACY_UCODE		7
#define SNP_TCB_TURIN_FMC		0
#define SNP_TCB_TURIN_BL		1
#define SNP_TCB_TURIN_TEE		2
#define SNP_TCB_TURIN_SNP		3
#define SNP_TCB_TURIN_UCODE		7

/* MSG_REPORT_RSP as returned in snp_report_resp.data[4000] */
#define SNP_MSG_REPORT_RSP_STATUS	0x00	/* u32 */
#define SNP_MSG_REPORT_RSP_SIZE		0x04	/* u32, 0x4A0 */
#define SNP_MSG_REPORT_RSP_REPORT	0x20
#define SNP_MSG_REPORT_RSP_LEN		4000
/* MSG_KEY_RSP as returned in snp_derived_key_resp.data[64] */
#define SNP_MSG_KEY_RSP_STATUS		0x00	/* u32 */
#define SNP_MSG_KEY_RSP_KEY		0x20	/* 32 bytes */
#define SNP_MSG_KEY_RSP_LEN		64
#define SNP_FW_STATUS_SUCCESS		0x00
#define SNP_FW_STATUS_INVALID_PARAM	0x16

/* Extended-report certificate table (GHCB 56421): 24-byte entries. */
#define SNP_CERT_ENTRY_SIZE		24
#define SNP_CERT_ENTRY_GUID		0	/* 16 bytes, RFC 4122 order */
#define SNP_CERT_ENTRY_OFFSET		16	/* u32, from table start */
#define SNP_CERT_ENTRY_LENGTH		20	/* u32 */
#define SNP_CERTS_MAX			16384	/* SEV_FW_BLOB_MAX_SIZE */

#define SNP_GUID_VCEK { 0x63, 0xda, 0x75, 0x8d, 0xe6, 0x64, 0x45, 0x64, \
			0xad, 0xc5, 0xf4, 0xb9, 0x3b, 0xe8, 0xac, 0xcd }
#define SNP_GUID_VLEK { 0xa8, 0x07, 0x4b, 0xc2, 0xa2, 0x5a, 0x48, 0x3e, \
			0xaa, 0xe6, 0x39, 0xc0, 0x45, 0xa0, 0xb8, 0xa1 }
#define SNP_GUID_ASK  { 0x4a, 0xb7, 0xb3, 0x79, 0xbb, 0xac, 0x4f, 0xe4, \
			0xa0, 0x2f, 0x05, 0xae, 0xf3, 0x27, 0xc7, 0x82 }
#define SNP_GUID_ARK  { 0xc0, 0xb4, 0x06, 0xa4, 0xa8, 0x03, 0x49, 0x52, \
			0x97, 0x43, 0x3f, 0xb6, 0x01, 0x4c, 0xd0, 0xae }
#define SNP_GUID_CRL  { 0x92, 0xf8, 0x1b, 0xc3, 0x58, 0x11, 0x4d, 0x3d, \
			0x97, 0xff, 0xd1, 0x9f, 0x88, 0xdc, 0x67, 0xea }

/* AMD VCEK/VLEK X.509 extension OIDs (AMD 57230), under 1.3.6.1.4.1.3704.1 */
#define AMD_OID_STRUCT_VERSION		"1.3.6.1.4.1.3704.1.1"
#define AMD_OID_PRODUCT_NAME		"1.3.6.1.4.1.3704.1.2"
#define AMD_OID_BL_SPL			"1.3.6.1.4.1.3704.1.3.1"
#define AMD_OID_TEE_SPL			"1.3.6.1.4.1.3704.1.3.2"
#define AMD_OID_SNP_SPL			"1.3.6.1.4.1.3704.1.3.3"
#define AMD_OID_SPL4			"1.3.6.1.4.1.3704.1.3.4"
#define AMD_OID_SPL5			"1.3.6.1.4.1.3704.1.3.5"
#define AMD_OID_SPL6			"1.3.6.1.4.1.3704.1.3.6"
#define AMD_OID_SPL7			"1.3.6.1.4.1.3704.1.3.7"
#define AMD_OID_UCODE_SPL		"1.3.6.1.4.1.3704.1.3.8"
#define AMD_OID_FMC_SPL			"1.3.6.1.4.1.3704.1.3.9"
#define AMD_OID_HWID			"1.3.6.1.4.1.3704.1.4"
#define AMD_OID_CSP_ID			"1.3.6.1.4.1.3704.1.5"

/* ---- Intel TDX TDREPORT_STRUCT (1024 B) ---------------------------- */

#define TDX_REPORT_SIZE			1024
#define TDX_REPORT_DATA_LEN		64

#define TDX_R_REPORTTYPE		0x000	/* type 0x81, subtype, version */
#define TDX_R_CPUSVN			0x010	/* 16 */
#define TDX_R_TEE_TCB_INFO_HASH		0x020	/* 48: SHA-384(TEE_TCB_INFO) */
#define TDX_R_TEE_INFO_HASH		0x050	/* 48: SHA-384(TDINFO) */
#define TDX_R_REPORT_DATA		0x080	/* 64 */
#define TDX_R_MAC			0x0E0	/* 32 */
#define TDX_R_TEE_TCB_INFO		0x100	/* 239 B */
#define TDX_R_TEE_TCB_INFO_LEN		239
#define TDX_R_TEE_TCB_VALID		0x100	/* u64 */
#define TDX_R_TEE_TCB_SVN		0x108	/* 16 */
#define TDX_R_MRSEAM			0x118	/* 48 */
#define TDX_R_MRSIGNERSEAM		0x148	/* 48 */
#define TDX_R_SEAM_ATTRIBUTES		0x178	/* u64 */
#define TDX_R_TEE_TCB_SVN2		0x180	/* 16, TDX 1.5 */
#define TDX_R_TDINFO			0x200	/* 512 B */
#define TDX_R_TDINFO_LEN		512
#define TDX_R_TD_ATTRIBUTES		0x200	/* u64 */
#define TDX_R_XFAM			0x208	/* u64 */
#define TDX_R_MRTD			0x210	/* 48 */
#define TDX_R_MRCONFIGID		0x240	/* 48 */
#define TDX_R_MROWNER			0x270	/* 48 */
#define TDX_R_MROWNERCONFIG		0x2A0	/* 48 */
#define TDX_R_RTMR0			0x2D0	/* 4 x 48 */
#define TDX_R_SERVTD_HASH		0x390	/* 48, TDX 1.5 */

#define TDX_REPORTTYPE_TDX		0x81
#define TDX_MR_LEN			48
#define TDX_TD_ATTR_DEBUG		(1ULL << 0)
#define TDX_TD_ATTR_SEPT_VE_DISABLE	(1ULL << 28)

/* ---- Intel TDX quote v4 / v5 (DCAP) --------------------------------- */

#define TDX_QUOTE_HEADER_LEN		48
#define TDX_Q_VERSION			0x00	/* u16: 4 or 5 */
#define TDX_Q_ATT_KEY_TYPE		0x02	/* u16: 2 = ECDSA P-256 */
#define TDX_Q_TEE_TYPE			0x04	/* u32: 0x81 */
#define TDX_Q_RESERVED			0x08	/* 4 (QE/PCE SVN; opaque) */
#define TDX_Q_QE_VENDOR_ID		0x0C	/* 16 */
#define TDX_Q_USER_DATA			0x1C	/* 20 */

#define TDX_QUOTE_ATT_KEY_ECDSA_P256	2
#define TDX_QUOTE_TEE_TDX		0x81
#define TDX_QE_VENDOR_ID_INTEL { 0x93, 0x9a, 0x72, 0x33, 0xf7, 0x9c, 0x4c, 0xa9, \
				 0x94, 0x0a, 0x0d, 0xb3, 0x95, 0x7f, 0x06, 0x07 }

/* TD quote body (offsets within the body) */
#define TDX_QB_TEE_TCB_SVN		0	/* 16 */
#define TDX_QB_MRSEAM			16	/* 48 */
#define TDX_QB_MRSIGNERSEAM		64	/* 48 */
#define TDX_QB_SEAM_ATTRIBUTES		112	/* u64 */
#define TDX_QB_TD_ATTRIBUTES		120	/* u64 */
#define TDX_QB_XFAM			128	/* u64 */
#define TDX_QB_MRTD			136	/* 48 */
#define TDX_QB_MRCONFIGID		184	/* 48 */
#define TDX_QB_MROWNER			232	/* 48 */
#define TDX_QB_MROWNERCONFIG		280	/* 48 */
#define TDX_QB_RTMR0			328	/* 4 x 48 */
#define TDX_QB_REPORT_DATA		520	/* 64 */
#define TDX_QB_TEE_TCB_SVN2		584	/* 16, body type 3 only */
#define TDX_QB_MRSERVICETD		600	/* 48, body type 3 only */
#define TDX_QUOTE_BODY_V4_LEN		584
#define TDX_QUOTE_BODY_V15_LEN		648

/* v4: header, body, u32 signature_data_len, signature data */
#define TDX_Q4_BODY			0x030
#define TDX_Q4_SIG_DATA_LEN		0x278	/* u32 */
#define TDX_Q4_SIG_DATA			0x27C
#define TDX_QUOTE_V4_MIN_LEN		0x3FC

/* v5: header, u16 body_type, u32 body_size, body, u32 sig len, sig data */
#define TDX_Q5_BODY_TYPE		0x030	/* u16 */
#define TDX_Q5_BODY_SIZE		0x032	/* u32 */
#define TDX_Q5_BODY			0x036
#define TDX_Q5_BODY_TYPE_SGX		1
#define TDX_Q5_BODY_TYPE_TDX10		2
#define TDX_Q5_BODY_TYPE_TDX15		3
#define TDX_QUOTE_V5_MIN_LEN		1026

/* ECDSA signature data (offsets within it); integers big-endian here */
#define TDX_SD_QUOTE_SIG		0	/* 64: r || s */
#define TDX_SD_ATT_KEY			64	/* 64: X || Y */
#define TDX_SD_CERT_TYPE		128	/* u16 (LE): 6 */
#define TDX_SD_CERT_SIZE		130	/* u32 (LE) */
#define TDX_SD_CERT_DATA		134
#define TDX_CERT_TYPE_PCK_CHAIN		5
#define TDX_CERT_TYPE_QE_REPORT		6

/* QE report certification data (offsets within cert data of type 6) */
#define TDX_QE_REPORT			0	/* 384: SGX REPORT body */
#define TDX_QE_REPORT_SIG		384	/* 64: r || s */
#define TDX_QE_AUTH_SIZE		448	/* u16 */
#define TDX_QE_AUTH_DATA		450
#define TDX_QE_REPORT_LEN		384

/* SGX REPORT body (the QE report) */
#define SGX_RB_CPUSVN			0	/* 16 */
#define SGX_RB_MISCSELECT		16	/* u32 */
#define SGX_RB_ATTRIBUTES		48	/* 16 */
#define SGX_RB_MRENCLAVE		64	/* 32 */
#define SGX_RB_MRSIGNER			128	/* 32 */
#define SGX_RB_ISVPRODID		256	/* u16 */
#define SGX_RB_ISVSVN			258	/* u16 */
#define SGX_RB_REPORT_DATA		320	/* 64 */

/* Intel SGX PCK certificate extension (PPID, TCB, PCEID, FMSPC, ...) */
#define INTEL_OID_SGX_EXTENSIONS	"1.2.840.113741.1.13.1"
#define INTEL_OID_SGX_FMSPC		"1.2.840.113741.1.13.1.4"

/* ---- Azure vTPM "HCL report" (NV index 0x01400001) ----------------- */

#define HCL_NV_INDEX_REPORT		0x01400001
#define HCL_NV_INDEX_USER_DATA		0x01400002
#define HCL_USER_DATA_LEN		64

#define HCL_H_SIGNATURE			0x000	/* u32 "HCLA" */
#define HCL_H_VERSION			0x004	/* u32 */
#define HCL_H_REPORT_SIZE		0x008	/* u32: 32 + 1184 + data */
#define HCL_H_REQUEST_TYPE		0x00C	/* u32 */
#define HCL_H_STATUS			0x010	/* u32 */
#define HCL_HEADER_LEN			0x020
#define HCL_HW_REPORT			0x020	/* SNP report or TDREPORT */
#define HCL_HW_REPORT_LEN		1184	/* union sized to SNP */
#define HCL_RT_DATA_SIZE		0x4C0	/* u32: 20 + variable size */
#define HCL_RT_VERSION			0x4C4	/* u32: 1 */
#define HCL_RT_REPORT_TYPE		0x4C8	/* u32: 2 SNP, 4 TDX */
#define HCL_RT_HASH_TYPE		0x4CC	/* u32: 1 SHA-256 */
#define HCL_RT_VARIABLE_SIZE		0x4D0	/* u32 */
#define HCL_RT_VARIABLE_DATA		0x4D4	/* runtime-claims JSON */
#define HCL_RT_HEADER_LEN		20

#define HCL_SIGNATURE			0x414C4348	/* "HCLA", LE */
#define HCL_REQUEST_KEY_RELEASE		1
#define HCL_REQUEST_AK_CERT		2
#define HCL_REPORT_TYPE_SNP		2
#define HCL_REPORT_TYPE_TVM		3
#define HCL_REPORT_TYPE_TDX		4
#define HCL_HASH_SHA256			1
#define HCL_HASH_SHA384			2
#define HCL_HASH_SHA512			3

/* Other Azure vTPM handles (reference/azure-attestation-and-key-release.md) */
#define AZURE_AK_HANDLE			0x81000003
#define AZURE_AK_CERT_NV_INDEX		0x01C101D0

#endif /* CVMATTEST_EVIDENCE_H */
