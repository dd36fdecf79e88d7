/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libcvmattest: evidence of confidential VMs (AMD SEV-SNP, Intel TDX,
 * Azure paravisor HCL reports): parse it, verify it offline against the
 * vendors' roots, check it against a local policy, and fetch it from
 * /dev/cvmattest.
 *
 * Conventions (as in libcryptsetup): one opaque context, every call returns
 * 0 or a negative errno, diagnostics go through one log callback.  A context
 * remembers certificate chains it has checked, so it must not be used by two
 * threads at once; use one context per thread.  Parsers
 * take any byte string and never read outside it; parsed structs may point
 * into the caller's buffer (fields marked "borrowed"), which must outlive
 * them.
 */
#ifndef LIBCVMATTEST_H
#define LIBCVMATTEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#ifdef __cplusplus
extern "C" {
#endif

struct cvm_ctx;
struct cvm_policy;
struct cvm_result;

/*
 * NAMEp(TYPE *) calls NAME() on a non-NULL pointer: the cleanup function of
 * each public type, defined once here for __attribute__((cleanup)) users
 * (the CLI, the tests).
 */
#define CVM_DEFINE_FREEP(type, func)          \
	static inline void func##p(type *p)   \
	{                                     \
		if (*p)                       \
			func(*p);             \
	}

/* ---- context and logging ---------------------------------------------- */

enum cvm_log_level {
	CVM_LOG_ERROR = 0,
	CVM_LOG_WARNING = 1,
	CVM_LOG_INFO = 2,
	CVM_LOG_DEBUG = 3,
};

typedef void (*cvm_log_fn)(int level, const char *msg, void *userdata);

int cvm_ctx_new(struct cvm_ctx **ret);
void cvm_ctx_free(struct cvm_ctx *ctx);
CVM_DEFINE_FREEP(struct cvm_ctx *, cvm_ctx_free)
/* NULL fn: messages up to WARNING go to stderr (the default). */
void cvm_set_log(struct cvm_ctx *ctx, cvm_log_fn fn, void *userdata);
void cvm_set_log_level(struct cvm_ctx *ctx, int max_level);

/*
 * Trust anchors.  By default the built-in, pinned AMD ARKs (Milan, Genoa,
 * Turin, with their ASKs) and the Intel SGX Root CA are trusted.  These
 * calls REPLACE the built-in set for that vendor (test roots are only ever
 * trusted when asked for this way).  @path is a PEM/DER file or a directory
 * of them (*.pem, *.der, *.crt, *.cer).  AMD: self-signed certificates named
 * ARK-<product> become roots; others (ASK/ASVK) are intermediates that must
 * still chain to a root.
 */
int cvm_set_amd_roots(struct cvm_ctx *ctx, const char *path);
int cvm_set_intel_root(struct cvm_ctx *ctx, const char *path);

/*
 * Untrusted certificates offered for verification (VCEK, VLEK, ASK, ASVK):
 * PEM (one or more), DER, or an SNP extended-report certificate table.
 */
int cvm_add_certs(struct cvm_ctx *ctx, const uint8_t *buf, size_t len);
int cvm_add_certs_file(struct cvm_ctx *ctx, const char *path);

/*
 * Directory where endorsements are cached; VCEKs are looked up as
 * DIR/vcek/<chip-id hex>/<REPORTED_TCB as 16 hex digits>.der.  NULL: none.
 */
int cvm_set_cache_dir(struct cvm_ctx *ctx, const char *dir);
#define CVM_DEFAULT_CACHE_DIR "/var/cache/cvmattest"

/*
 * TDX collateral (Intel TCB Info, QE Identity, PCK CRL, Root CA CRL) from
 * this directory, as `cvmattest fetch` stores it (tcbinfo.json,
 * tcbinfo-chain.pem, qeidentity.json, qeidentity-chain.pem, pckcrl.der,
 * rootcrl.der), or from one JSON bundle file of the same pieces (keys
 * tcb_info, tcb_info_signature, tcb_info_issuer_chain, qe_identity,
 * qe_identity_signature, qe_identity_issuer_chain, pck_crl, root_ca_crl:
 * dcap-qvl's QuoteCollateralV3).  NULL (default): DIR/tdx/<FMSPC hex>/ of the cache
 * directory when it exists, else TDX TCB status is left unchecked.
 */
int cvm_set_tdx_collateral(struct cvm_ctx *ctx, const char *dir);

/*
 * AMD's CRL (KDS /vcek/v1/<product>/crl: DER or PEM X.509 CRL) to check the
 * ASK/ASVK and VCEK/VLEK of SEV-SNP reports against; repeatable (one per
 * product), the one issued by the report's ARK is used.  None given: the
 * cache directory's DIR/crl/<product>.crl if there is one ('cvmattest fetch'
 * stores it there).  -errno if @path is not a readable CRL.
 */
int cvm_add_amd_crl_file(struct cvm_ctx *ctx, const char *path);

/* Time at which certificates must be valid; 0 (default) means now. */
void cvm_set_verify_time(struct cvm_ctx *ctx, time_t t);

/* ---- secrets ------------------------------------------------------------------ */

/* Bytes in their own locked pages (mlock, MADV_DONTDUMP), wiped when freed. */
struct cvm_secret;

int cvm_secret_new(size_t len, struct cvm_secret **ret);
int cvm_secret_copy(const void *data, size_t len, struct cvm_secret **ret);
/*
 * Read @fd until end of file, or up to the first newline (not kept) when
 * @line.  More than @max bytes: -EFBIG.  Nothing read: -ENODATA.
 */
int cvm_secret_read_fd(int fd, size_t max, bool line, struct cvm_secret **ret);
uint8_t *cvm_secret_data(const struct cvm_secret *s);
size_t cvm_secret_len(const struct cvm_secret *s);
void cvm_secret_free(struct cvm_secret *s);
CVM_DEFINE_FREEP(struct cvm_secret *, cvm_secret_free)

/* ---- files ------------------------------------------------------------------ */

/*
 * All of @path ("-": standard input) up to @max bytes, NUL-terminated (the NUL is not
 * counted); -EFBIG past @max, -EISDIR for a directory. Free *@ret with free().
 */
int cvm_file_read(const char *path, size_t max, uint8_t **ret, size_t *ret_len);
/*
 * @len bytes of @buf to @path ("-": standard output), created with @mode or truncated;
 * short writes and EINTR retried, close() checked.
 */
int cvm_file_write(const char *path, const void *buf, size_t len, unsigned int mode);

/* ---- evidence formats ------------------------------------------------- */

enum cvm_format {
	CVM_FORMAT_UNKNOWN = 0,
	CVM_FORMAT_SNP_REPORT,		/* "snp-report" */
	CVM_FORMAT_TDX_TDREPORT,	/* "tdx-tdreport" */
	CVM_FORMAT_TDX_QUOTE,		/* "tdx-quote" */
	CVM_FORMAT_AZURE_HCL,		/* "azure-hcl" */
};

const char *cvm_format_name(enum cvm_format f);
int cvm_format_from_name(const char *name, enum cvm_format *ret);
/* Guess the format from the bytes; -EBADMSG if nothing fits. */
int cvm_evidence_detect(const uint8_t *buf, size_t len, enum cvm_format *ret);

/* Decode hex (upper or lower case, whitespace ignored) into a new buffer. */
int cvm_hex_decode(const char *hex, size_t hex_len, uint8_t **ret, size_t *ret_len);
/*
 * Hex into a fixed buffer of @out_len bytes: exactly that many with @exact,
 * else 1 to @out_len bytes, zero-padded.  @got (may be NULL): bytes decoded.
 */
int cvm_hex_decode_fixed(const char *hex, uint8_t *out, size_t out_len, size_t *got, bool exact);
/* Lowercase hex of @len bytes into @out (2*len+1 bytes). */
void cvm_hex_encode(const uint8_t *buf, size_t len, char *out);

/* ---- AMD SEV-SNP -------------------------------------------------------- */

enum cvm_snp_product {
	CVM_SNP_PRODUCT_UNKNOWN = 0,
	CVM_SNP_PRODUCT_MILAN,
	CVM_SNP_PRODUCT_GENOA,
	CVM_SNP_PRODUCT_TURIN,
};

const char *cvm_snp_product_name(enum cvm_snp_product p);

/* A TCB_VERSION decoded for one product's layout. */
struct cvm_snp_tcb {
	uint64_t raw;
	bool turin;			/* Turin layout (has an FMC SPL) */
	uint8_t bootloader;
	uint8_t tee;
	uint8_t snp;
	uint8_t microcode;
	uint8_t fmc;			/* Turin only */
};

void cvm_snp_tcb_decode(uint64_t raw, enum cvm_snp_product p, struct cvm_snp_tcb *ret);

struct cvm_snp_fw_version {
	uint8_t major, minor, build;
};

struct cvm_snp_report {
	uint32_t version;
	uint32_t guest_svn;
	uint64_t policy;
	uint8_t family_id[16];
	uint8_t image_id[16];
	uint32_t vmpl;
	uint32_t signature_algo;
	struct cvm_snp_tcb current_tcb;
	uint64_t platform_info;
	uint32_t signer_info;
	bool author_key_en;
	bool mask_chip_key;
	uint8_t signing_key;		/* 0 VCEK, 1 VLEK, 7 none */
	uint8_t report_data[64];
	uint8_t measurement[48];
	uint8_t host_data[32];
	uint8_t id_key_digest[48];
	uint8_t author_key_digest[48];
	uint8_t report_id[32];
	uint8_t report_id_ma[32];
	struct cvm_snp_tcb reported_tcb;
	uint8_t cpuid_fam_id;		/* v3+ */
	uint8_t cpuid_mod_id;		/* v3+ */
	uint8_t cpuid_step;		/* v3+ */
	uint8_t chip_id[64];
	struct cvm_snp_tcb committed_tcb;
	struct cvm_snp_fw_version current_fw;
	struct cvm_snp_fw_version committed_fw;
	struct cvm_snp_tcb launch_tcb;
	uint64_t launch_mit_vector;	/* v5 */
	uint64_t current_mit_vector;	/* v5 */
	uint8_t sig_r[72];		/* little-endian, as in the report */
	uint8_t sig_s[72];
	/* From CPUID (v3+); UNKNOWN for v2, where the VCEK tells. */
	enum cvm_snp_product product;
	/* Offset+1 of the first non-zero must-be-zero byte, 0 if none. */
	uint32_t mbz_violation;
	const uint8_t *raw;		/* borrowed: the 1184 bytes */
};

/*
 * Parse an ATTESTATION_REPORT (versions 2..5).  @len may exceed 1184 (a
 * certificate table may follow).  -EBADMSG: too short, unsupported version,
 * or fields out of range.  Non-zero reserved bytes do not fail the parse;
 * they are flagged in mbz_violation (the verifier rejects them once the
 * signature has been checked).
 */
int cvm_snp_report_parse(const uint8_t *buf, size_t len, struct cvm_snp_report *ret);

enum cvm_snp_cert_kind {
	CVM_SNP_CERT_OTHER = 0,
	CVM_SNP_CERT_VCEK,
	CVM_SNP_CERT_VLEK,
	CVM_SNP_CERT_ASK,
	CVM_SNP_CERT_ARK,
	CVM_SNP_CERT_CRL,
};

struct cvm_snp_cert_entry {
	uint8_t guid[16];
	enum cvm_snp_cert_kind kind;
	uint32_t offset;
	uint32_t length;
	const uint8_t *data;		/* borrowed */
};

#define CVM_SNP_CERT_TABLE_MAX 32
struct cvm_snp_cert_table {
	size_t n_entries;
	struct cvm_snp_cert_entry entries[CVM_SNP_CERT_TABLE_MAX];
	size_t header_len;		/* entries + terminator */
};

/* Parse a GHCB extended-report certificate table.  -EBADMSG if malformed. */
int cvm_snp_cert_table_parse(const uint8_t *buf, size_t len, struct cvm_snp_cert_table *ret);

/* ---- Intel TDX ---------------------------------------------------------- */

struct cvm_tdx_tdreport {
	uint8_t report_type;		/* 0x81 */
	uint8_t report_subtype;
	uint8_t report_version;
	uint8_t cpusvn[16];
	uint8_t tee_tcb_info_hash[48];
	uint8_t tee_info_hash[48];
	uint8_t report_data[64];
	uint8_t mac[32];
	/* TEE_TCB_INFO */
	uint64_t tee_tcb_valid;
	uint8_t tee_tcb_svn[16];
	uint8_t mrseam[48];
	uint8_t mrsignerseam[48];
	uint64_t seam_attributes;
	uint8_t tee_tcb_svn2[16];
	/* TDINFO */
	uint64_t td_attributes;
	uint64_t xfam;
	uint8_t mrtd[48];
	uint8_t mrconfigid[48];
	uint8_t mrowner[48];
	uint8_t mrownerconfig[48];
	uint8_t rtmr[4][48];
	uint8_t servtd_hash[48];
	const uint8_t *raw;		/* borrowed: the 1024 bytes */
};

int cvm_tdx_tdreport_parse(const uint8_t *buf, size_t len, struct cvm_tdx_tdreport *ret);

struct cvm_tdx_quote_body {
	uint8_t tee_tcb_svn[16];
	uint8_t mrseam[48];
	uint8_t mrsignerseam[48];
	uint64_t seam_attributes;
	uint64_t td_attributes;
	uint64_t xfam;
	uint8_t mrtd[48];
	uint8_t mrconfigid[48];
	uint8_t mrowner[48];
	uint8_t mrownerconfig[48];
	uint8_t rtmr[4][48];
	uint8_t report_data[64];
	bool tdx15;			/* the two fields below are present */
	uint8_t tee_tcb_svn2[16];
	uint8_t mrservicetd[48];
};

struct cvm_sgx_report_body {
	uint8_t cpusvn[16];
	uint32_t miscselect;
	uint8_t attributes[16];
	uint8_t mrenclave[32];
	uint8_t mrsigner[32];
	uint16_t isvprodid;
	uint16_t isvsvn;
	uint8_t report_data[64];
};

struct cvm_tdx_quote {
	/* header */
	uint16_t version;		/* 4 or 5 */
	uint16_t att_key_type;		/* 2 */
	uint32_t tee_type;		/* 0x81 */
	uint8_t header_reserved[4];	/* QE/PCE SVN in some sources */
	uint8_t qe_vendor_id[16];
	uint8_t user_data[20];
	/* body */
	uint16_t body_type;		/* v5 field; 2 for v4 */
	uint32_t body_size;
	struct cvm_tdx_quote_body body;
	const uint8_t *signed_data;	/* borrowed: header..end of body */
	size_t signed_len;
	/* signature data */
	uint32_t sig_data_len;
	uint8_t signature[64];		/* r || s, big-endian */
	uint8_t att_key[64];		/* X || Y, big-endian */
	uint16_t cert_type;		/* 6 */
	uint32_t cert_size;
	struct cvm_sgx_report_body qe_report;
	const uint8_t *qe_report_raw;	/* borrowed, 384 bytes */
	uint8_t qe_report_sig[64];
	uint16_t qe_auth_len;
	const uint8_t *qe_auth_data;	/* borrowed */
	uint16_t pck_cert_type;		/* 5 */
	uint32_t pck_chain_len;
	const uint8_t *pck_chain;	/* borrowed: PEM text (maybe NUL-ended) */
	size_t quote_len;		/* bytes that belong to the quote */
	size_t trailing_len;		/* bytes after it (kept, not used) */
};

int cvm_tdx_quote_parse(const uint8_t *buf, size_t len, struct cvm_tdx_quote *ret);

/* ---- Azure HCL report --------------------------------------------------- */

struct cvm_hcl_report {
	uint32_t version;
	uint32_t report_size;
	uint32_t request_type;
	uint32_t status;
	const uint8_t *hw_report;	/* borrowed: the 1184-byte area */
	enum cvm_format hw_format;	/* SNP_REPORT or TDX_TDREPORT */
	uint32_t data_size;
	uint32_t rt_version;
	uint32_t report_type;		/* 2 SNP, 4 TDX */
	uint32_t hash_type;		/* 1 SHA-256, 2 SHA-384, 3 SHA-512 */
	uint32_t variable_size;
	const uint8_t *variable_data;	/* borrowed: runtime claims JSON */
};

int cvm_hcl_report_parse(const uint8_t *buf, size_t len, struct cvm_hcl_report *ret);

/* Runtime claims, the JSON the HCL report binds. */
struct cvm_hcl_claims {
	char *ak_n;			/* HCLAkPub modulus, base64url, or NULL */
	char *ak_e;
	char *ek_n;			/* HCLEkPub, or NULL */
	char *ek_e;
	bool has_user_data;
	uint8_t user_data[64];
	int secure_boot;		/* 1, 0, or -1 when absent */
	int tpm_enabled;
	int console_enabled;
	int tpm_persisted;
	char *vm_unique_id;
};

int cvm_hcl_claims_parse(const uint8_t *json, size_t len, struct cvm_hcl_claims *ret);
void cvm_hcl_claims_done(struct cvm_hcl_claims *c);

/* ---- local policy ------------------------------------------------------- */

int cvm_policy_new(struct cvm_policy **ret);
void cvm_policy_free(struct cvm_policy *p);
CVM_DEFINE_FREEP(struct cvm_policy *, cvm_policy_free)
/* Merge a JSON policy document (see Documentation/admin-guide/cvmattest-verify.rst). */
int cvm_policy_load_json(struct cvm_ctx *ctx, struct cvm_policy *p, const char *json, size_t len);
int cvm_policy_load_file(struct cvm_ctx *ctx, struct cvm_policy *p, const char *path);

void cvm_policy_set_allow_debug(struct cvm_policy *p, bool allow);
/* @len <= 64; shorter values are zero-padded to 64 bytes. */
int cvm_policy_set_report_data(struct cvm_policy *p, const uint8_t *buf, size_t len);
/* Accepted launch measurements (SNP MEASUREMENT or TDX MRTD, 48 bytes); any may match. */
int cvm_policy_add_measurement(struct cvm_policy *p, const uint8_t *buf, size_t len);
/* Minimum SNP TCB: components < 0 are not checked.  Applies to REPORTED_TCB. */
struct cvm_snp_min_tcb {
	int bootloader, tee, snp, microcode, fmc;
};
void cvm_policy_set_snp_min_tcb(struct cvm_policy *p, const struct cvm_snp_min_tcb *t);
/* Parse "bl=3,tee=0,snp=8,ucode=115[,fmc=0]". */
int cvm_snp_min_tcb_parse(const char *s, struct cvm_snp_min_tcb *ret);
/* Allowed VMPLs as a bit mask (bit n = VMPL n); 0 = any. */
void cvm_policy_set_vmpl_mask(struct cvm_policy *p, uint32_t mask);
int cvm_policy_set_min_tee_tcb_svn(struct cvm_policy *p, const uint8_t *svn, size_t len);
int cvm_policy_set_rtmr(struct cvm_policy *p, unsigned idx, const uint8_t *buf, size_t len);
/*
 * TDX TCB statuses accepted once collateral is checked: a comma-separated
 * list of Intel's names (UpToDate, SWHardeningNeeded, ConfigurationNeeded,
 * ConfigurationAndSWHardeningNeeded, OutOfDate, OutOfDateConfigurationNeeded,
 * TDRelaunchAdvised, TDRelaunchAdvisedConfigurationNeeded).  Default:
 * UpToDate only.  Revoked is never accepted.  -EINVAL on an unknown name.
 */
int cvm_policy_set_tdx_tcb_statuses(struct cvm_policy *p, const char *list);
/* The collateral's tcbEvaluationDataNumber must be at least @n. */
void cvm_policy_set_min_tcb_eval_num(struct cvm_policy *p, uint32_t n);

/*
 * Issue 19: the other report fields a policy can hold (cvmattest-verify(1)).
 * Accepted values of a fixed-size field; any one may match.  SNP fields apply
 * to SEV-SNP reports (also inside an Azure HCL report), TDX ones to quotes and
 * TDREPORTs.
 */
enum cvm_policy_field {
	CVM_POLICY_SNP_ID_KEY_DIGEST,		/* 48 bytes */
	CVM_POLICY_SNP_AUTHOR_KEY_DIGEST,	/* 48 */
	CVM_POLICY_SNP_FAMILY_ID,		/* 16 */
	CVM_POLICY_SNP_IMAGE_ID,		/* 16 */
	CVM_POLICY_TDX_MRSEAM,			/* 48 */
	CVM_POLICY_TDX_MRSIGNERSEAM,		/* 48 */
	CVM_POLICY_TDX_MRCONFIGID,		/* 48 */
	CVM_POLICY_TDX_MROWNER,			/* 48 */
	CVM_POLICY_TDX_MROWNERCONFIG,		/* 48 */
	CVM_POLICY_FIELD_COUNT
};
/* The size of @f's values, 0 if @f is unknown. */
size_t cvm_policy_field_len(enum cvm_policy_field f);
/* -EINVAL: wrong @len; -E2BIG: too many values. */
int cvm_policy_add_value(struct cvm_policy *p, enum cvm_policy_field f, const uint8_t *buf, size_t len);

/* Which SNP TCB_VERSION a minimum applies to. */
enum cvm_snp_tcb_kind {
	CVM_SNP_TCB_REPORTED,			/* = cvm_policy_set_snp_min_tcb() */
	CVM_SNP_TCB_LAUNCH,
	CVM_SNP_TCB_COMMITTED,
	CVM_SNP_TCB_CURRENT,
	CVM_SNP_TCB_KIND_COUNT
};
int cvm_policy_set_snp_min_tcb_of(struct cvm_policy *p, enum cvm_snp_tcb_kind k,
				  const struct cvm_snp_min_tcb *t);
void cvm_policy_set_snp_min_guest_svn(struct cvm_policy *p, uint32_t svn);
/* Minimum report VERSION. */
void cvm_policy_set_snp_min_report_version(struct cvm_policy *p, uint32_t version);
/* Minimum ABI_MAJOR.ABI_MINOR that the guest POLICY demands of the firmware. */
void cvm_policy_set_snp_min_policy_abi(struct cvm_policy *p, uint8_t major, uint8_t minor);
/* An ID key (ID_KEY_DIGEST non-zero) / an author key (SIGNER_INFO.AUTHOR_KEY_EN) must be present. */
void cvm_policy_set_snp_require_id_key(struct cvm_policy *p, bool require);
void cvm_policy_set_snp_require_author_key(struct cvm_policy *p, bool require);

/* 64-bit fields whose bits under a mask must have given values. */
enum cvm_policy_bits {
	CVM_POLICY_SNP_GUEST_POLICY,		/* POLICY */
	CVM_POLICY_SNP_PLATFORM_INFO,		/* PLATFORM_INFO */
	CVM_POLICY_TDX_TD_ATTRIBUTES,		/* TD_ATTRIBUTES */
	CVM_POLICY_TDX_XFAM,			/* XFAM */
	CVM_POLICY_BITS_COUNT
};
/* (field & @mask) must equal @value; merged with what is set already (@mask's bits replaced). */
int cvm_policy_set_bits(struct cvm_policy *p, enum cvm_policy_bits f, uint64_t value, uint64_t mask);
/*
 * Parse "VALUE/MASK" (hex or decimal), or for the SNP fields also a list of
 * bit names, each required set, or clear with a "no-" or "!" prefix:
 * "no-smt,tsme".  -EINVAL if malformed or a name is unknown.
 */
int cvm_policy_bits_parse(enum cvm_policy_bits f, const char *s, uint64_t *value, uint64_t *mask);
/* TDX quotes: minimum QE report ISVSVN, minimum PCE SVN of the quote header. */
void cvm_policy_set_tdx_min_qe_svn(struct cvm_policy *p, uint16_t svn);
void cvm_policy_set_tdx_min_pce_svn(struct cvm_policy *p, uint16_t svn);

/* ---- verification --------------------------------------------------------- */

enum cvm_status {
	CVM_STATUS_OK = 0,		/* verified, policy satisfied */
	CVM_STATUS_POLICY,		/* verified, policy not satisfied */
	CVM_STATUS_UNVERIFIABLE,	/* well-formed, but a signature could not be checked */
	CVM_STATUS_INVALID,		/* signature, certificate chain or binding invalid */
	CVM_STATUS_MALFORMED,		/* not parseable / unsupported */
};

/*
 * Verify @buf (format detected when @format is UNKNOWN) and check @policy
 * (NULL: the default policy, which forbids debug).  Returns 0 with a result
 * whatever the verdict (see cvm_result_status()), -errno only when no
 * verdict could be reached (-ENOMEM, ...).
 */
int cvm_verify(struct cvm_ctx *ctx, const uint8_t *buf, size_t len, enum cvm_format format,
	       const struct cvm_policy *policy, struct cvm_result **ret);

/*
 * Evidence that completes @buf, for cvm_verify_ex(); absent members NULL/0.
 * Borrowed for the call only (the result keeps its own copies).
 */
struct cvm_verify_extra {
	/*
	 * The TD quote of the TDREPORT inside an Azure HCL report (IMDS
	 * /acc/tdquote), binary or hex text: verified as a quote, and its
	 * body must equal the TDREPORT's fields, which makes the HCL report
	 * verified.  Given with any other evidence, the result is MALFORMED.
	 */
	const uint8_t *td_quote;
	size_t td_quote_len;
	/*
	 * Azure guest flow: the vTPM's TPM2_Quote as az-cvm-vtpm writes it
	 * (signature, TPMS_ATTEST, PCR values), checked with the AK the HCL
	 * report's runtime claims carry (HCLAkPub): its signature, extraData
	 * == @nonce (NULL: not compared, listed as unchecked), and its PCR
	 * digest over the PCR values.  Any evidence but an HCL report: MALFORMED.
	 */
	const uint8_t *tpm_quote;
	size_t tpm_quote_len;
	const uint8_t *nonce;
	size_t nonce_len;
};

/* cvm_verify() with @extra (NULL: none). */
int cvm_verify_ex(struct cvm_ctx *ctx, const uint8_t *buf, size_t len, enum cvm_format format,
		  const struct cvm_policy *policy, const struct cvm_verify_extra *extra,
		  struct cvm_result **ret);

void cvm_result_free(struct cvm_result *r);
CVM_DEFINE_FREEP(struct cvm_result *, cvm_result_free)
enum cvm_status cvm_result_status(const struct cvm_result *r);
bool cvm_result_verified(const struct cvm_result *r);
bool cvm_result_policy_ok(const struct cvm_result *r);
enum cvm_format cvm_result_format(const struct cvm_result *r);
size_t cvm_result_n_errors(const struct cvm_result *r);
const char *cvm_result_error(const struct cvm_result *r, size_t i);
/* The parsed SNP report (also the one inside an Azure HCL report), or NULL. */
const struct cvm_snp_report *cvm_result_snp_report(const struct cvm_result *r);
const struct cvm_tdx_quote *cvm_result_tdx_quote(const struct cvm_result *r);
/*
 * The platform of the evidence, inner report included: "sev-snp", "tdx", or
 * NULL when it did not parse far enough to tell.
 */
const char *cvm_result_platform(const struct cvm_result *r);
/*
 * What a verified result did NOT establish offline (revocation, collateral
 * not consulted, requirements not given), one phrase each; empty unless
 * cvm_result_verified().
 */
size_t cvm_result_n_unchecked(const struct cvm_result *r);
const char *cvm_result_unchecked(const struct cvm_result *r, size_t i);
/* One JSON object (see the admin guide); caller frees. */
int cvm_result_to_json(const struct cvm_result *r, char **ret);
/* A human summary, several lines; caller frees. */
int cvm_result_to_text(const struct cvm_result *r, char **ret);

/* ---- /dev/cvmattest --------------------------------------------------------- */

#define CVM_DEVICE_PATH "/dev/cvmattest"

struct cvm_device_info {
	uint32_t abi_version;
	uint32_t provider;
	uint32_t platform;
	uint64_t caps;
	uint32_t evidence_max;
	uint32_t certs_max;
	uint32_t privlevel_floor;
	uint32_t privlevel_max;
	char provider_name[17];
};

struct cvm_evidence_request {
	uint8_t report_data[64];
	bool want_certs;
	bool want_quote;		/* TDX: a quote rather than a TDREPORT */
	bool has_privlevel;
	uint32_t privlevel;		/* SNP VMPL */
};

struct cvm_evidence {
	enum cvm_format format;
	uint32_t platform;		/* enum cvmattest_platform */
	uint8_t *data;
	size_t len;
	uint8_t *certs;
	size_t certs_len;
	uint64_t fw_error;
	uint64_t vmm_error;
};

int cvm_device_info(struct cvm_ctx *ctx, const char *device, struct cvm_device_info *ret);
int cvm_device_get_evidence(struct cvm_ctx *ctx, const char *device,
			    const struct cvm_evidence_request *req, struct cvm_evidence *ret);
void cvm_evidence_done(struct cvm_evidence *e);

#ifdef __cplusplus
}
#endif

#endif /* LIBCVMATTEST_H */
