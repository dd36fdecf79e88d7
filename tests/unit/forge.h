/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * In-process simulated evidence for the unit tests: test AMD chains (ARK
 * and ASK RSASSA-PSS, VCEK/VLEK P-384 with the AMD extensions, serial 0),
 * test Intel PCK chains (P-256) and signed SNP reports, TDX quotes and
 * Azure HCL reports built byte by byte from include/cvmattest/evidence.h.
 * Independent of tests/sim, so every negative case (wrong PSS salt, wrong
 * hwID, Turin layouts...) can be produced here.  TEST KEYS ONLY.
 */
#ifndef CVM_FORGE_H
#define CVM_FORGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "libcvmattest.h"

struct forge_amd {
	enum cvm_snp_product product;
	EVP_PKEY *ark_key, *ask_key, *asvk_key, *vek_key;
	X509 *ark, *ask, *asvk;
	char roots_path[4096];		/* ASK + ASVK + ARK PEM, for cvm_set_amd_roots() */
};

/* One test chain per product, made once per process. */
struct forge_amd *forge_amd(enum cvm_snp_product p);

struct forge_vek_opts {
	bool vlek;
	const uint8_t *hwid;		/* NULL: none */
	size_t hwid_len;
	struct cvm_snp_tcb tcb;		/* SPLs to put in the certificate */
	bool no_ucode_ext;
	int pss_salt;			/* 0: 48 */
	const EVP_MD *pss_md;		/* NULL: SHA-384 */
	time_t not_before, not_after;	/* 0: yesterday, in 7 years */
	const char *product_name;	/* NULL: default per product */
	EVP_PKEY *signer;		/* NULL: the ASK (ASVK for a VLEK) */
	long serial;			/* 0, as AMD's real VCEKs */
};

/* A VCEK/VLEK for @f's endorsement key; DER into *der (malloc'd). */
X509 *forge_vek(struct forge_amd *f, const struct forge_vek_opts *o, uint8_t **der, size_t *der_len);

struct forge_crl_opts {
	const long *revoked;		/* serials to list */
	size_t n_revoked;
	time_t revoked_at;		/* 0: two days ago */
	time_t this_update, next_update;	/* 0: an hour ago, in 7 days */
	bool no_next_update;
	EVP_PKEY *signer;		/* NULL: the ARK */
	const char *issuer_cn;		/* NULL: the ARK's name */
	bool pkcs1;			/* RSA PKCS#1 v1.5 instead of PSS */
	bool pem;
};

/* An ARK-issued CRL as KDS serves it (DER), written to a temp file @name. */
const char *forge_amd_crl(struct forge_amd *f, const struct forge_crl_opts *o, const char *name);

uint64_t forge_tcb(enum cvm_snp_product p, uint8_t bl, uint8_t tee, uint8_t snp, uint8_t ucode,
		   uint8_t fmc);

struct forge_snp_opts {
	uint32_t version;		/* 2..5 */
	enum cvm_snp_product product;	/* CPUID fields for v3+ */
	uint64_t policy;		/* 0: 0x30000 */
	uint32_t vmpl;
	uint32_t guest_svn;
	uint32_t signer_info;		/* SIGNING_KEY etc. */
	uint8_t report_data[64];
	uint8_t measurement[48];
	uint8_t host_data[32];
	uint8_t chip_id[64];
	uint64_t tcb;			/* current = reported = committed = launch */
};

void forge_snp_report(uint8_t out[1184], const struct forge_snp_opts *o, EVP_PKEY *key);
void forge_snp_sign(uint8_t report[1184], EVP_PKEY *key);

/* A GHCB certificate table holding the given DER blobs under the given GUID kinds. */
uint8_t *forge_cert_table(const enum cvm_snp_cert_kind *kinds, const uint8_t *const *ders,
			  const size_t *lens, size_t n, size_t *out_len);

struct forge_intel {
	EVP_PKEY *root_key, *pca_key, *pck_key, *att_key, *tcb_key;
	X509 *root, *pca, *pck, *tcb;	/* tcb: "Intel SGX TCB Signing", by the root */
	char *chain_pem;		/* leaf, PCA, root */
	size_t chain_len;
	char root_path[4096];
};

struct forge_intel *forge_intel(void);

struct forge_quote_opts {
	int version;			/* 4 or 5 */
	int body_type;			/* v5: 2 or 3 */
	uint64_t td_attributes;
	uint64_t seam_attributes;
	uint8_t report_data[64];
	uint8_t mrtd[48];
	uint8_t tee_tcb_svn[16];
	uint8_t rtmr[4][48];
	bool nul_after_chain;
	bool bad_binding;		/* QE REPORT_DATA not the hash of the key */
	const char *chain_pem;		/* NULL: the forge's own chain */
	/* issue 19: the other fields a policy can require */
	uint64_t xfam;			/* 0: 0x61ae7 */
	const uint8_t *mrseam;		/* NULL: 0x11 x 48 */
	uint8_t mrsignerseam[48];
	uint8_t mrconfigid[48];
	uint8_t mrowner[48];
	uint8_t mrownerconfig[48];
	uint16_t qe_isvsvn;		/* QE report ISVSVN */
	uint16_t header_pce_svn;	/* header bytes 10-11 */
};

uint8_t *forge_quote(struct forge_intel *f, const struct forge_quote_opts *o, size_t *len);

/* The test PCK's TCB (SGX extension .2): components 1-16 and PCESVN. */
extern const uint8_t forge_pck_tcb[16];
#define FORGE_PCK_PCESVN 11

/*
 * A collateral directory for forge quotes, laid out as `cvmattest fetch`
 * stores it.  TCB Info levels (fmspc 00906ed50000): (1) the PCK's TCB,
 * tdxtcbcomponents 3,0,5,0.. -> tcb_status; (2) all zero -> OutOfDate with
 * INTEL-SA-00999; tdxModuleIdentities TDX_01: isvsvn 3 UpToDate, 0 OutOfDate.
 * So TEE_TCB_SVN 03 00 05 is UpToDate, 03 00 04 OutOfDate.
 */
struct forge_coll_opts {
	const char *tcb_status;		/* level (1); NULL: UpToDate */
	const char *qe_status;		/* QE level isvsvn 0; NULL: UpToDate */
	const char *fmspc;		/* NULL: the PCK's */
	unsigned eval_num;		/* 0: 17 */
	time_t issue, next;		/* TCB Info and QE Identity; 0: yesterday, in 30 days */
	time_t crl_next;		/* both CRLs; 0: in 30 days */
	bool revoke_pck;		/* PCK serial in the PCK CRL */
	bool revoke_pca;		/* PCK CA serial in the root CRL */
	bool tamper_tcb_info;		/* one byte of tcbInfo changed after signing */
	bool other_root;		/* TCB Signing chain from another root of the same name */
	bool pck_crl_by_root;		/* PCK CRL signed by the root instead of the PCK CA */
};

/* The directory; the same pieces as one JSON bundle file are written as DIR.json. */
const char *forge_collateral(struct forge_intel *f, const struct forge_coll_opts *o, const char *name);

/* Azure HCL report around a signed SNP report whose REPORT_DATA binds @claims. */
uint8_t *forge_hcl_snp(const char *claims, struct forge_snp_opts *o, EVP_PKEY *key, size_t *len);

/*
 * Azure HCL report around a TDREPORT (MAC arbitrary, its two hashes right)
 * with the TD fields of @o, whose REPORTDATA, set here, binds @claims: the
 * TDREPORT forge_quote(@o) is a quote of.
 */
uint8_t *forge_hcl_tdx(const char *claims, struct forge_quote_opts *o, size_t *len);

/*
 * A vTPM quote as az-cvm-vtpm writes it (u64 LE length-prefixed signature,
 * TPMS_ATTEST, 24 SHA-256 PCR values), all PCRs selected, signed with @ak
 * (RSASSA PKCS#1 v1.5, SHA-256).
 */
uint8_t *forge_tpm_quote(EVP_PKEY *ak, const uint8_t *nonce, size_t nonce_len, const uint8_t pcrs[24][32],
			 size_t *len);
/* Runtime claims JSON whose HCLAkPub is @ak (RSA), user-data 64 zero bytes; malloc'd. */
char *forge_ak_claims(EVP_PKEY *ak);

/* PEM of a certificate into a temp file. */
const char *forge_write_pem(const char *name, X509 *const *certs, size_t n);

#endif
