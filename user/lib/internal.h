/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libcvmattest internals shared between the library's source files. */
#ifndef CVM_INTERNAL_H
#define CVM_INTERNAL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cvmattest/evidence.h>

#include "libcvmattest.h"
#include "macro.h"

/* ---- byte access (all evidence integers are little-endian) ------------ */

static inline uint16_t get_le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | (p[1] << 8));
}

static inline uint32_t get_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) |
	       ((uint32_t)p[3] << 24);
}

static inline uint64_t get_le64(const uint8_t *p)
{
	return (uint64_t)get_le32(p) | ((uint64_t)get_le32(p + 4) << 32);
}

static inline bool all_zero(const uint8_t *p, size_t n)
{
	uint8_t acc = 0;

	for (size_t i = 0; i < n; i++)
		acc |= p[i];
	return acc == 0;
}

/* ---- logging ------------------------------------------------------------ */

void cvm_log(const struct cvm_ctx *ctx, int level, const char *fmt, ...) _printf_(3, 4);
#define log_error(ctx, ...) cvm_log(ctx, CVM_LOG_ERROR, __VA_ARGS__)
#define log_warning(ctx, ...) cvm_log(ctx, CVM_LOG_WARNING, __VA_ARGS__)
#define log_info(ctx, ...) cvm_log(ctx, CVM_LOG_INFO, __VA_ARGS__)
#define log_debug(ctx, ...) cvm_log(ctx, CVM_LOG_DEBUG, __VA_ARGS__)
/* Log the OpenSSL error queue at debug level and clear it. */
void log_openssl(const struct cvm_ctx *ctx, const char *what);

/* ---- certificates (cert.c) ----------------------------------------------- */

struct cvm_cert {
	X509 *x509;
	uint8_t *der;			/* the encoding as received */
	size_t der_len;
	uint8_t sha256[32];
	char cn[128];			/* subject CN, "" if none */
	char issuer_cn[128];
};

struct cvm_cert_list {
	struct cvm_cert **v;
	size_t n;
	size_t cap;
};

void cert_free(struct cvm_cert *c);
int cert_new_der(const uint8_t *der, size_t len, struct cvm_cert **ret);
void cert_list_clear(struct cvm_cert_list *l);
/* Takes ownership of @c (frees it on error); duplicates (same DER) are dropped. */
int cert_list_push(struct cvm_cert_list *l, struct cvm_cert *c);
/* PEM (one or more), DER (one or more, concatenated) or an SNP certificate table. */
int cert_list_add_buffer(struct cvm_cert_list *l, const uint8_t *buf, size_t len);
int cert_list_add_path(struct cvm_cert_list *l, const char *path);
/* DER walking: the TBSCertificate bytes exactly as signed. */
int der_cert_tbs(const uint8_t *der, size_t len, const uint8_t **tbs, size_t *tbs_len);
/* Read one DER TLV header at buf[0..len): tag, header length, content length. */
int der_read_tlv(const uint8_t *buf, size_t len, uint8_t *tag, size_t *hdr_len, size_t *content_len);

/*
 * Check that @child was signed by @issuer_key.  RSASSA-PSS signatures must
 * carry exactly SHA-384 / MGF1-SHA-384 / salt 48 (AMD); ECDSA signatures
 * are ecdsa-with-SHA256 or -SHA384.  The TBS is hashed as received.
 * On failure a reason is written to @why.
 */
int cert_verify_signature(const struct cvm_cert *child, EVP_PKEY *issuer_key, char *why,
			  size_t why_len);
/* 0 if valid at @t, -EKEYEXPIRED / -EKEYREJECTED (not yet valid) otherwise. */
int cert_check_time(const struct cvm_cert *c, time_t t);
bool cert_is_self_issued(const struct cvm_cert *c);
/* EC key on curve @group (OpenSSL group name), or NULL. */
bool pkey_is_ec_curve(EVP_PKEY *pkey, const char *group);

/* ---- AMD VCEK/VLEK extensions (amd_cert.c) -------------------------------- */

enum {
	AMD_SPL_BL,
	AMD_SPL_TEE,
	AMD_SPL_SNP,
	AMD_SPL_4,
	AMD_SPL_5,
	AMD_SPL_6,
	AMD_SPL_7,
	AMD_SPL_UCODE,
	AMD_SPL_FMC,
	_AMD_SPL_MAX,
};

struct amd_cert_ext {
	bool has_struct_version;
	int64_t struct_version;
	char product_name[64];		/* "" if absent */
	bool has_spl[_AMD_SPL_MAX];
	uint8_t spl[_AMD_SPL_MAX];
	uint8_t hwid[64];
	size_t hwid_len;		/* 0: absent */
	bool has_csp_id;
	char csp_id[128];
};

/* -EBADMSG if an AMD extension is present but malformed. */
int amd_cert_ext_parse(X509 *x, struct amd_cert_ext *ret);
/* Content of extnValue: raw bytes or one nested OCTET STRING (both seen in the field). */
int amd_hwid_decode(const uint8_t *v, size_t len, uint8_t out[64], size_t *out_len);

/* ---- Intel SGX PCK extension (intel_cert.c) ------------------------------- */

struct sgx_pck_ext {
	bool has_fmspc;
	uint8_t fmspc[6];
	bool has_pceid;
	uint8_t pceid[2];
};

int sgx_pck_ext_parse_der(const uint8_t *der, size_t len, struct sgx_pck_ext *ret);
int sgx_pck_ext_from_cert(X509 *x, struct sgx_pck_ext *ret);

/* ---- trust anchors (trust.c) ------------------------------------------------ */

int trust_load_builtin_amd(const struct cvm_ctx *ctx, struct cvm_cert_list *roots);
int trust_load_builtin_intel(const struct cvm_ctx *ctx, struct cvm_cert_list *roots);
/* 1 if @c is one of the pinned vendor roots. */
bool trust_is_pinned(const struct cvm_cert *c);

/* ---- the context ---------------------------------------------------------------- */

#define CVM_VCEK_CACHE_MAX 16

struct vcek_cache_entry {
	uint8_t vcek_sha256[32];
	time_t valid_from;		/* window in which the whole chain is valid */
	time_t valid_until;
	enum cvm_snp_product product;
	char root_cn[128];
};

struct cvm_ctx {
	cvm_log_fn log_fn;
	void *log_userdata;
	int log_level;

	struct cvm_cert_list amd_roots;		/* ARKs and their ASK/ASVKs */
	bool amd_roots_builtin;
	struct cvm_cert_list intel_roots;
	bool intel_root_builtin;
	struct cvm_cert_list certs;		/* offered, untrusted */
	char *cache_dir;
	time_t verify_time;

	/* Endorsement certificates already chained to a root (see verify_snp.c). */
	struct vcek_cache_entry vcek_cache[CVM_VCEK_CACHE_MAX];
	size_t vcek_cache_n;
	size_t vcek_cache_next;
};

time_t ctx_verify_time(const struct cvm_ctx *ctx);

/* ---- policy ------------------------------------------------------------------------ */

#define CVM_POLICY_MEASUREMENTS_MAX 64

struct cvm_policy {
	bool allow_debug;
	bool has_report_data;
	uint8_t report_data[64];
	size_t n_measurements;
	uint8_t measurements[CVM_POLICY_MEASUREMENTS_MAX][48];
	bool has_min_tcb;
	struct cvm_snp_min_tcb min_tcb;
	uint32_t vmpl_mask;
	bool has_min_guest_svn;
	uint32_t min_guest_svn;
	bool has_host_data;
	uint8_t host_data[32];
	bool has_min_tee_tcb_svn;
	uint8_t min_tee_tcb_svn[16];
	bool has_rtmr[4];
	uint8_t rtmr[4][48];
	bool has_mrconfigid;
	uint8_t mrconfigid[48];
	bool has_mrowner;
	uint8_t mrowner[48];
	bool has_mrownerconfig;
	uint8_t mrownerconfig[48];
};

/* The TD fields a policy looks at, from a quote body or a TDREPORT. */
struct td_view {
	const uint8_t *tee_tcb_svn;
	uint64_t seam_attributes;
	uint64_t td_attributes;
	const uint8_t *mrtd;
	const uint8_t *mrconfigid;
	const uint8_t *mrowner;
	const uint8_t *mrownerconfig;
	const uint8_t *rtmr[4];
	const uint8_t *report_data;
};

/* ---- results -------------------------------------------------------------------------- */

struct cvm_result {
	enum cvm_format format;
	uint32_t version;
	enum cvm_status status;
	bool signature_checked;		/* a signature check ran to a verdict */
	bool policy_evaluated;
	bool policy_failed;
	char **errors;
	size_t n_errors;

	uint8_t *evidence;		/* owned copy; the parsed structs borrow it */
	size_t evidence_len;

	bool has_snp;
	struct cvm_snp_report snp;
	char snp_chain[400];		/* "SEV-VCEK <- SEV-Milan <- ARK-Milan" */
	bool snp_root_builtin;
	size_t snp_certs_in_evidence;

	bool has_tdreport;
	struct cvm_tdx_tdreport tdreport;
	bool tdreport_hashes_ok;

	bool has_quote;
	struct cvm_tdx_quote quote;
	struct sgx_pck_ext pck;
	char tdx_root[96];
	bool tdx_root_builtin;

	bool has_hcl;
	struct cvm_hcl_report hcl;
	bool has_claims;
	struct cvm_hcl_claims claims;
	bool hcl_binding_ok;
};

void result_error(struct cvm_result *r, enum cvm_status cls, const char *fmt, ...) _printf_(3, 4);

int verify_snp_report(struct cvm_ctx *ctx, struct cvm_result *r, const uint8_t *buf, size_t len,
		      bool inner);
int verify_tdx_quote(struct cvm_ctx *ctx, struct cvm_result *r, const uint8_t *buf, size_t len);
int verify_tdx_tdreport(struct cvm_ctx *ctx, struct cvm_result *r, const uint8_t *buf, size_t len);
int verify_hcl(struct cvm_ctx *ctx, struct cvm_result *r, const uint8_t *buf, size_t len);

void policy_check_snp(const struct cvm_policy *p, const struct cvm_snp_report *s,
		      bool check_report_data, struct cvm_result *r);
void policy_check_td(const struct cvm_policy *p, const struct td_view *td, bool check_report_data,
		     struct cvm_result *r);
void policy_check_hcl_user_data(const struct cvm_policy *p, const struct cvm_hcl_claims *c,
				struct cvm_result *r);

/* ---- small helpers ---------------------------------------------------------------------- */

int read_file(const char *path, size_t max, uint8_t **ret, size_t *ret_len);
/* Decode a fixed-size hex field; -EINVAL on bad hex or wrong length (<= max when !exact). */
/* If all of @buf is hex text (plus whitespace), decode it. 1 if decoded, 0 if not hex. */
int maybe_hex_decode(const uint8_t *buf, size_t len, uint8_t **ret, size_t *ret_len);
int sha_digest(const char *md, const uint8_t *buf, size_t len, uint8_t *out, unsigned *out_len);

#endif /* CVM_INTERNAL_H */
