/* SPDX-License-Identifier: GPL-2.0-only OR MIT */
/*
 * The host-testable core of the stand-in paravisor: the runtime-claims
 * JSON, REPORT_DATA = H(claims), the HCL report ("HCLA" + hardware report +
 * IGVM_REQUEST_DATA + claims) that Azure's paravisor keeps in vTPM NV
 * index 0x01400001, a strict parser of the same, and the TPM2B_PUBLIC
 * (RSA) decoding used to put the vTPM's AK and EK into the claims.
 *
 * Offsets come from include/cvmattest/evidence.h (HCL_*, SNP_R_*, TDX_R_*);
 * nothing here redefines them.  Shapes follow the real reports in
 * shared/testdata/azure (reference/evidence-formats.md §4).
 *
 * Conventions: 0 or a negative errno; malloc()ed results owned by the caller.
 */
#ifndef CVMATTEST_HCL_BUILD_H
#define CVMATTEST_HCL_BUILD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cvmattest/evidence.h>

/* NV 0x01400001 as Azure defines it: 2600 bytes (reference §1.2). */
#define HCL_NV_SIZE_AZURE		2600
/* Header Version of current reports (the TDX sample; the older SNP one has 1). */
#define HCL_VERSION_CURRENT		2
/* IGVM_ATTEST_VERSION_CURRENT */
#define HCL_RT_VERSION_CURRENT		1
/* Largest RSA modulus we carry (RSA-4096). */
#define HCL_RSA_MAX_BYTES		512

struct hcl_rsa_pub {
	uint8_t n[HCL_RSA_MAX_BYTES];	/* big-endian, no leading zero */
	size_t n_len;
	uint32_t e;			/* 65537 for a TPM exponent of 0 */
};

/*
 * "vm-configuration".  Members are emitted in the order the paravisor uses
 * (alphabetical: console-enabled, current-time, root-cert-thumbprint,
 * secure-boot, tpm-enabled, tpm-persisted, vmUniqueId); optional ones only
 * when set, so both real samples can be reproduced byte for byte.
 */
struct hcl_vm_config {
	bool console_enabled;
	int64_t current_time;		/* < 0: omitted (current builds omit it) */
	const char *root_cert_thumbprint;	/* NULL: omitted */
	bool secure_boot;
	bool tpm_enabled;
	int tpm_persisted;		/* < 0: omitted; else false/true */
	const char *vm_unique_id;	/* NULL: omitted */
};

struct hcl_claims_in {
	const struct hcl_rsa_pub *ak;	/* "HCLAkPub" (required) */
	const char *ak_key_ops;		/* NULL: "sign" (older SNP builds said "encrypt") */
	const struct hcl_rsa_pub *ek;	/* "HCLEkPub"; NULL: omitted (older builds) */
	struct hcl_vm_config vm;
	bool has_user_data;		/* false: no "user-data" member (older builds) */
	uint8_t user_data[HCL_USER_DATA_LEN];
};

/* Compact JSON, members in the order above; *json is NUL-terminated, *len excludes it. */
int hcl_claims_build(const struct hcl_claims_in *in, char **json, size_t *len);

/* Unpadded base64url; *out NUL-terminated (malloc()ed). */
int hcl_b64url(const uint8_t *in, size_t len, char **out);

/*
 * REPORT_DATA for the hardware report: H(claims) per @hash_type
 * (HCL_HASH_SHA256/384/512), zero-padded to 64 bytes.
 */
int hcl_report_data(uint32_t hash_type, const uint8_t *claims, size_t len,
		    uint8_t report_data[64]);

struct hcl_report_params {
	uint32_t version;		/* header Version (HCL_VERSION_CURRENT) */
	uint32_t request_type;		/* HCL_REQUEST_AK_CERT */
	uint32_t report_type;		/* HCL_REPORT_TYPE_SNP / _TDX */
	uint32_t hash_type;		/* HCL_HASH_SHA256 */
};

/* Bytes a report with @claims_len bytes of claims occupies (the header's ReportSize). */
static inline size_t hcl_report_used(size_t claims_len)
{
	return HCL_RT_VARIABLE_DATA + claims_len;
}

/*
 * Lay out the HCL report in @out (@out_size bytes, zero-filled past the
 * used part, as the NV index is).  @hw is the SNP report (1184 B) or the
 * TDREPORT (1024 B; the rest of the 1184-byte area stays zero); its
 * REPORT_DATA must already be hcl_report_data() of @claims -- this
 * function does not sign anything.  Returns the used length (ReportSize)
 * or -EINVAL / -ENOSPC.
 */
long hcl_report_build(const struct hcl_report_params *p, const uint8_t *hw, size_t hw_len,
		      const uint8_t *claims, size_t claims_len, uint8_t *out, size_t out_size);

/* A parsed report: pointers into the caller's buffer. */
struct hcl_report_view {
	uint32_t signature, version, report_size, request_type, status;
	const uint8_t *hw;		/* HCL_HW_REPORT_LEN bytes */
	size_t hw_len;			/* SNP_REPORT_SIZE or TDX_REPORT_SIZE */
	const uint8_t *report_data;	/* REPORT_DATA inside hw (64 B) */
	uint32_t data_size, rt_version, report_type, hash_type, var_size;
	const uint8_t *claims;
	size_t used;			/* HCL_RT_VARIABLE_DATA + var_size */
};

/*
 * Strict parse: -EBADMSG unless the signature is "HCLA", the report type is
 * SNP or TDX, the hash type known, the claims inside @len, DataSize ==
 * 20 + VariableDataSize and ReportSize == the used length.
 */
int hcl_report_parse(const uint8_t *buf, size_t len, struct hcl_report_view *v);

/* 0 when REPORT_DATA == hcl_report_data(claims); -EBADMSG otherwise. */
int hcl_report_check_binding(const struct hcl_report_view *v);

/* Decoded claims, for checks (jansson inside). */
struct hcl_claims_out {
	struct hcl_rsa_pub ak, ek;
	bool has_ak, has_ek, has_user_data;
	uint8_t user_data[HCL_USER_DATA_LEN];
};

int hcl_claims_parse(const uint8_t *json, size_t len, struct hcl_claims_out *out);

/*
 * An RSA public key out of a marshalled TPMT_PUBLIC (TPM 2.0 Part 2 §12.2.4)
 * or TPM2B_PUBLIC (a 16-bit size, then the TPMT_PUBLIC) -- what
 * TPM2_ReadPublic returns and `tpm2_readpublic -o` writes.  Bounds-checked;
 * -EBADMSG on anything malformed, -ENOTSUP for a non-RSA key.
 */
int hcl_rsa_from_tpmt_public(const uint8_t *buf, size_t len, struct hcl_rsa_pub *out,
			     size_t *consumed);
int hcl_rsa_from_tpm2b_public(const uint8_t *buf, size_t len, struct hcl_rsa_pub *out);

bool hcl_rsa_equal(const struct hcl_rsa_pub *a, const struct hcl_rsa_pub *b);

/* Lowercase hex of @len bytes into @out (2*len+1). */
void hcl_hex(const uint8_t *in, size_t len, char *out);
/* Exactly @len bytes from hex (either case); -EINVAL otherwise. */
int hcl_unhex(const char *hex, uint8_t *out, size_t len);

#endif /* CVMATTEST_HCL_BUILD_H */
