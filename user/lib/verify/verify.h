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

void td_view_from_quote(const struct cvm_tdx_quote_body *b, struct td_view *v);
void td_view_from_tdreport(const struct cvm_tdx_tdreport *t, struct td_view *v);

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

	bool has_hcl;
	struct cvm_hcl_report hcl;
	bool has_claims;
	struct cvm_hcl_claims claims;
	bool hcl_binding_ok;
};

/* result.c */
void result_error(struct cvm_result *r, enum cvm_status cls, const char *fmt, ...) _printf_(3, 4);
void result_unchecked(struct cvm_result *r, const char *fmt, ...) _printf_(2, 3);

/* verify_*.c */
int verify_snp_report(struct cvm_ctx *ctx, struct cvm_result *r, const uint8_t *buf, size_t len,
		      bool inner);
int verify_tdx_quote(struct cvm_ctx *ctx, struct cvm_result *r, const uint8_t *buf, size_t len);
int verify_tdx_tdreport(struct cvm_ctx *ctx, struct cvm_result *r, const uint8_t *buf, size_t len);
int verify_hcl(struct cvm_ctx *ctx, struct cvm_result *r, const uint8_t *buf, size_t len);

/* policy.c */
void policy_check_snp(const struct cvm_policy *p, const struct cvm_snp_report *s,
		      bool check_report_data, struct cvm_result *r);
void policy_check_td(const struct cvm_policy *p, const struct td_view *td, bool check_report_data,
		     struct cvm_result *r);
/* What a verified @r did not establish, into r->unchecked (after the checks above). */
void policy_unchecked(const struct cvm_policy *p, struct cvm_result *r);
void policy_check_hcl_user_data(const struct cvm_policy *p, const struct cvm_hcl_claims *c,
				struct cvm_result *r);

#endif /* CVM_VERIFY_H */
