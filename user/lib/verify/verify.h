/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libcvmattest, layer "verify": offline verification of each evidence
 * format, the local policy, results and their output.
 */
#ifndef CVM_VERIFY_H
#define CVM_VERIFY_H

#include "pki/pki.h"

/* ---- policy ------------------------------------------------------------------------ */

#define CVM_POLICY_MEASUREMENTS_MAX 64
#define CVM_POLICY_VALUES_MAX 16

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
	/* MRCONFIGID, MROWNER, MROWNERCONFIG: accepted values in values[] below */
	/* issue 19: the full set of fields (policy.c, "more fields") */
	size_t n_values[CVM_POLICY_FIELD_COUNT];
	uint8_t values[CVM_POLICY_FIELD_COUNT][CVM_POLICY_VALUES_MAX][48];
	bool has_min_tcb_of[CVM_SNP_TCB_KIND_COUNT];	/* [REPORTED] unused: has_min_tcb */
	struct cvm_snp_min_tcb min_tcb_of[CVM_SNP_TCB_KIND_COUNT];
	bool has_min_report_version;
	uint32_t min_report_version;
	bool has_min_policy_abi;
	uint8_t min_policy_abi_major, min_policy_abi_minor;
	bool require_id_key;
	bool require_author_key;
	uint64_t bits_value[CVM_POLICY_BITS_COUNT];
	uint64_t bits_mask[CVM_POLICY_BITS_COUNT];
	bool has_min_qe_svn;
	uint16_t min_qe_svn;
	bool has_min_pce_svn;
	uint16_t min_pce_svn;
	uint32_t tdx_tcb_statuses;	/* accepted, bit per enum tdx_tcb_status; 0: UpToDate */
	bool has_min_tcb_eval_num;
	uint32_t min_tcb_eval_num;
};

/* ---- TDX collateral (tdx_collateral.c) ------------------------------------------------- */

/* Intel's TCB status names (PCS API v4 tcbStatus), in this order. */
enum tdx_tcb_status {
	TDX_TCB_UP_TO_DATE,
	TDX_TCB_SW_HARDENING_NEEDED,
	TDX_TCB_CONFIGURATION_NEEDED,
	TDX_TCB_CONFIGURATION_AND_SW_HARDENING_NEEDED,
	TDX_TCB_OUT_OF_DATE,
	TDX_TCB_OUT_OF_DATE_CONFIGURATION_NEEDED,
	TDX_TCB_TD_RELAUNCH_ADVISED,
	TDX_TCB_TD_RELAUNCH_ADVISED_CONFIGURATION_NEEDED,
	_TDX_TCB_ACCEPTABLE_MAX,		/* statuses a policy may accept end here */
	TDX_TCB_REVOKED = _TDX_TCB_ACCEPTABLE_MAX,
	TDX_TCB_NOT_SUPPORTED,
};

struct tdx_coll {
	bool present;			/* a collateral directory was used */
	bool checked;			/* ... and evaluated to a TCB status */
	unsigned n_bad;			/* faults of the collateral itself (forged, stale, missing...) */
	char source[512];
	int tcb_status;			/* converged: platform, module, QE; -1 unknown */
	int tcb_level_status;		/* the matching tcbLevel's own */
	int module_status;		/* -1: TEE_TCB_SVN[1] == 0, no module identity */
	int qe_status;
	char **advisories;
	size_t n_advisories;
	uint32_t tcb_eval_num, qe_eval_num;
	time_t tcb_date;
	time_t tcb_info_issue, tcb_info_next, qe_issue, qe_next, pck_crl_next, root_crl_next;
};

const char *tdx_tcb_status_name(int s);
int tdx_tcb_status_from_name(const char *name);
void tdx_coll_done(struct tdx_coll *c);
void tdx_fmt_date(time_t t, char out[32]);
/*
 * Check the collateral (ctx->tdx_collateral, else {cache_dir}/tdx/<FMSPC>/
 * when it exists) for the quote in @r, whose chain @pck <- @pca verified:
 * failures become errors of @r, the outcome r->tdxc.  -ENOMEM only.
 */
int verify_tdx_collateral(struct cvm_ctx *ctx, struct cvm_result *r, X509 *pck, X509 *pca);

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
	/* issue 19 */
	const uint8_t *mrseam;
	const uint8_t *mrsignerseam;
	uint64_t xfam;
	bool has_quote_svns;		/* a quote: the two below are known */
	uint16_t qe_svn;		/* QE report ISVSVN */
	uint16_t pce_svn;		/* quote header */
};

void td_view_from_quote(const struct cvm_tdx_quote_body *b, struct td_view *v);
void td_view_from_tdreport(const struct cvm_tdx_tdreport *t, struct td_view *v);
void td_view_add_quote_svns(const struct cvm_tdx_quote *q, struct td_view *v);

/* verify_tpm.c: a vTPM TPM2_Quote as az-cvm-vtpm writes it (see there) */
#define TPM_QUOTE_PCRS_MAX 24
struct tpm_quote {
	const uint8_t *sig;		/* borrowed, all of these */
	size_t sig_len;
	const uint8_t *msg;		/* TPMS_ATTEST, what the AK signed */
	size_t msg_len;
	const uint8_t *pcrs;		/* n_pcrs x 32 bytes, PCR 0 first */
	size_t n_pcrs;
	const uint8_t *extra_data;	/* the nonce the TPM was given */
	size_t extra_len;
	uint16_t pcr_hash;		/* TPM_ALG_ID of the one selection */
	uint8_t select[4];
	size_t select_len;
	const uint8_t *pcr_digest;
	size_t pcr_digest_len;
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
	char **unchecked;		/* what a verified result did not establish */
	size_t n_unchecked;

	uint8_t *evidence;		/* owned copy; the parsed structs borrow it */
	size_t evidence_len;

	bool has_snp;
	struct cvm_snp_report snp;
	char snp_chain[400];		/* "SEV-VCEK <- SEV-Milan <- ARK-Milan" */
	bool snp_root_builtin;
	size_t snp_certs_in_evidence;
	size_t snp_igvm_tail;		/* Azure IGVM request header (+ claims) after the report */
	bool snp_crl_checked;		/* a current CRL of the ARK lists neither */
	char snp_crl_path[1024];
	time_t snp_crl_this_update, snp_crl_next_update;
	size_t snp_crl_revoked;		/* entries in it */

	bool has_tdreport;
	struct cvm_tdx_tdreport tdreport;
	bool tdreport_hashes_ok;

	bool has_quote;
	struct cvm_tdx_quote quote;
	struct sgx_pck_ext pck;
	char tdx_root[96];
	bool tdx_root_builtin;
	struct tdx_coll tdxc;

	bool has_hcl;
	struct cvm_hcl_report hcl;
	bool has_claims;
	struct cvm_hcl_claims claims;
	bool hcl_binding_ok;
	/* an HCL report's TD quote (cvm_verify_extra), parsed into quote above */
	bool td_quote_given;
	bool td_quote_verified;		/* its chain and signatures, collateral if any */
	bool td_quote_matches;		/* its body is the TDREPORT's */
	uint8_t *td_quote_buf;		/* owned copy; quote borrows it */
	size_t td_quote_len;
	/* an HCL report's vTPM quote (cvm_verify_extra) */
	bool tpm_quote_given;
	bool tpm_quote_ok;		/* signed by HCLAkPub, nonce and PCR digest right */
	bool tpm_nonce_checked;
	uint8_t *tpm_quote_buf;		/* owned copy; tpm_quote borrows it */
	size_t tpm_quote_len;
	bool has_tpm_quote;		/* parsed */
	struct tpm_quote tpm_quote;
};

/* result.c */
void result_error(struct cvm_result *r, enum cvm_status cls, const char *fmt, ...) _printf_(3, 4);
void result_unchecked(struct cvm_result *r, const char *fmt, ...) _printf_(2, 3);

/* verify_*.c */
int verify_snp_report(struct cvm_ctx *ctx, struct cvm_result *r, const uint8_t *buf, size_t len,
		      bool inner);
int verify_tdx_quote(struct cvm_ctx *ctx, struct cvm_result *r, const uint8_t *buf, size_t len);
int verify_tdx_tdreport(struct cvm_ctx *ctx, struct cvm_result *r, const uint8_t *buf, size_t len);
/* verify_tdx_tdreport() short of its verdict: parsed, hashes checked, the MAC left to a quote. */
int verify_tdx_tdreport_fields(struct cvm_result *r, const uint8_t *buf, size_t len);
/* With r->td_quote_buf set, a TDX HCL report is verified through that quote. */
int verify_hcl(struct cvm_ctx *ctx, struct cvm_result *r, const uint8_t *buf, size_t len);
/* r->tpm_quote_buf against the AK of the HCL report's claims (verify_hcl() first). */
int verify_hcl_tpm_quote(struct cvm_result *r, const uint8_t *nonce, size_t nonce_len);

int tpm_quote_parse(const uint8_t *buf, size_t len, struct tpm_quote *ret);
/*
 * 0 when @ak (RSA) signed it, its extraData is @nonce (NULL: not compared)
 * and its PCR digest covers the PCR values it came with; -EKEYREJECTED
 * with the reason in @why, -ENOMEM.
 */
int tpm_quote_check(const struct tpm_quote *q, EVP_PKEY *ak, const uint8_t *nonce, size_t nonce_len,
		    char *why, size_t why_len);

/* policy.c */
void policy_check_snp(const struct cvm_policy *p, const struct cvm_snp_report *s,
		      bool check_report_data, struct cvm_result *r);
void policy_check_td(const struct cvm_policy *p, const struct td_view *td, bool check_report_data,
		     struct cvm_result *r);
/* What a verified @r did not establish, into r->unchecked (after the checks above). */
void policy_unchecked(const struct cvm_policy *p, struct cvm_result *r);
/* policy.c, issue 19: the fields beyond the first set; called by the two above. */
void policy_check_snp_more(const struct cvm_policy *p, const struct cvm_snp_report *s,
			   struct cvm_result *r);
void policy_check_td_more(const struct cvm_policy *p, const struct td_view *td, struct cvm_result *r);
void policy_unchecked_more(const struct cvm_policy *p, struct cvm_result *r);
/* The TDX TCB status and tcbEvaluationDataNumber from r->tdxc against @p. */
void policy_check_tdx_tcb(const struct cvm_policy *p, struct cvm_result *r);
void policy_check_hcl_user_data(const struct cvm_policy *p, const struct cvm_hcl_claims *c,
				struct cvm_result *r);

#endif /* CVM_VERIFY_H */
