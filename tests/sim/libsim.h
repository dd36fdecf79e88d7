/* SPDX-License-Identifier: GPL-2.0-only OR MIT */
/*
 * libsim: the simulated SEV-SNP / TDX platform of cvmattest's tests.
 *
 * Builds byte-exact evidence (SNP ATTESTATION_REPORT, the extended-report
 * certificate table, TDREPORT, TDX quote v4) signed by TEST key chains of
 * the same shape and algorithms as AMD's and Intel's.  Offsets come from
 * include/cvmattest/evidence.h; nothing here redefines them.
 *
 * Conventions: functions return 0 or a negative errno; buffers handed out
 * are malloc()ed and owned by the caller; diagnostics go through the log
 * hook (stderr by default).  The keys are TEST keys, published in the
 * repository: nothing signed by them may ever be trusted outside tests.
 */
#ifndef CVMATTEST_LIBSIM_H
#define CVMATTEST_LIBSIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include <cvmattest/evidence.h>

/* ---- logging ---------------------------------------------------------- */

typedef void (*sim_log_fn)(const char *msg);
void sim_set_log(sim_log_fn fn);		/* NULL: silence */
void sim_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* ---- small helpers ------------------------------------------------------ */

/* Hex string (optionally "0x"-prefixed, ':' or ' ' separators ignored) to
 * exactly @len bytes.  Returns -EINVAL on bad input or wrong length. */
int sim_hex_decode(const char *hex, uint8_t *out, size_t len);
/* Same, but shorter input is allowed and zero-padded on the right. */
int sim_hex_decode_pad(const char *hex, uint8_t *out, size_t len);
void sim_hex_encode(const uint8_t *in, size_t len, char *out /* 2*len+1 */);
int sim_read_file(const char *path, uint8_t **data, size_t *len);
int sim_write_file(const char *path, const void *data, size_t len);
int sim_parse_u64(const char *s, uint64_t *out);

/* ---- products ------------------------------------------------------------ */

enum sim_product {
	SIM_PRODUCT_MILAN,
	SIM_PRODUCT_GENOA,
	SIM_PRODUCT_TURIN,
	SIM_PRODUCT_COUNT
};

struct sim_product_info {
	const char *name;		/* KDS product: "Milan" (ARK-Milan, SEV-Milan) */
	const char *key_name;		/* file names: "milan" */
	const char *vcek_product_name;	/* VCEK productName extension */
	uint8_t cpuid_fam, cpuid_mod, cpuid_step;	/* report v3+ */
	bool turin_like;		/* Turin TCB layout, 8-byte hwID, fmcSPL */
	uint32_t ark_serial;		/* ASK serial = ark_serial + 1 */
};

const struct sim_product_info *sim_product(enum sim_product p);
int sim_product_parse(const char *name, enum sim_product *out);

/* TCB_VERSION components (evidence-formats.md §1.2). fmc is Turin only. */
struct sim_tcb {
	uint8_t fmc, bl, tee, snp, ucode;
};

void sim_tcb_encode(enum sim_product p, const struct sim_tcb *t, uint8_t out[8]);
void sim_tcb_decode(enum sim_product p, const uint8_t in[8], struct sim_tcb *t);
/*
 * Parse a TCB given as "bl=3,tee=0,snp=8,ucode=115[,fmc=0]" (decimal or
 * 0x-hex values), as a u64 "0x7308000000000003" (the little-endian value),
 * or as 16 hex digits naming the 8 bytes in report order.
 */
int sim_tcb_parse(enum sim_product p, const char *s, uint8_t out[8]);

/* ---- test keys ------------------------------------------------------------ */

struct sim_keys;

/* dir == NULL: the keys compiled into the binary (tests/sim/keys). */
int sim_keys_load(const char *dir, struct sim_keys **out);
void sim_keys_free(struct sim_keys *k);

EVP_PKEY *sim_keys_ark_key(const struct sim_keys *k, enum sim_product p);
EVP_PKEY *sim_keys_ask_key(const struct sim_keys *k, enum sim_product p);
EVP_PKEY *sim_keys_vcek_key(const struct sim_keys *k, enum sim_product p);
X509 *sim_keys_ark_cert(const struct sim_keys *k, enum sim_product p);
X509 *sim_keys_ask_cert(const struct sim_keys *k, enum sim_product p);
EVP_PKEY *sim_keys_intel_root_key(const struct sim_keys *k);
EVP_PKEY *sim_keys_intel_pca_key(const struct sim_keys *k);
EVP_PKEY *sim_keys_intel_pck_key(const struct sim_keys *k);
EVP_PKEY *sim_keys_qe_attest_key(const struct sim_keys *k);
X509 *sim_keys_intel_root_cert(const struct sim_keys *k);
X509 *sim_keys_intel_pca_cert(const struct sim_keys *k);
X509 *sim_keys_intel_pck_cert(const struct sim_keys *k);

/* PEM text of certificates (malloc()ed, NUL-terminated, *len excludes NUL). */
int sim_cert_pem(X509 *const *certs, size_t n, char **pem, size_t *len);

/* ---- AMD certificates ------------------------------------------------------ */

/*
 * Issue the VCEK certificate for (product, chip id, reported TCB) from the
 * committed VCEK key, signed by the product's test ASK: what AMD's KDS
 * serves at /vcek/v1/{product}/{hwid}?...  not_before == 0: start of the
 * current UTC day; validity is 7 years, as on real VCEKs.
 */
int sim_amd_issue_vcek(const struct sim_keys *k, enum sim_product p,
		       const uint8_t chip_id[SNP_CHIP_ID_LEN],
		       const uint8_t tcb[8], time_t not_before,
		       uint8_t **der, size_t *der_len);

/* Issue ARK (self-signed) and ASK certificates from the given keys. */
int sim_amd_issue_ark(EVP_PKEY *ark, enum sim_product p, X509 **out);
int sim_amd_issue_ask(EVP_PKEY *ask, EVP_PKEY *ark, X509 *ark_cert,
		      enum sim_product p, X509 **out);

/* ---- Intel certificates ------------------------------------------------------ */

/* Contents of the PCK leaf's SGX extension 1.2.840.113741.1.13.1. */
struct sim_pck_info {
	uint8_t ppid[16];
	uint8_t tcb_comp[16];		/* SGX TCB components .2.1 - .2.16 */
	uint16_t pcesvn;		/* .2.17 */
	uint8_t cpusvn[16];		/* .2.18 */
	uint8_t pceid[2];
	uint8_t fmspc[6];
	uint8_t platform_instance_id[16];
};

void sim_pck_info_default(struct sim_pck_info *pi);
int sim_intel_issue_root(EVP_PKEY *root, X509 **out);
int sim_intel_issue_pca(EVP_PKEY *pca, EVP_PKEY *root, X509 *root_cert, X509 **out);
int sim_intel_issue_pck(EVP_PKEY *pck, EVP_PKEY *pca, X509 *pca_cert,
			const struct sim_pck_info *pi, X509 **out);

/* Generate every test certificate from the key files in @dir, into @dir. */
int sim_generate_certs(const char *dir);

/* ---- SEV-SNP ------------------------------------------------------------------ */

struct sim_snp_config {
	enum sim_product product;
	uint32_t version;		/* ATTESTATION_REPORT VERSION, 2..5 */
	uint32_t guest_svn;
	uint64_t policy;
	uint8_t family_id[16];
	uint8_t image_id[16];
	uint64_t platform_info;
	uint32_t signer_info;		/* SIGNING_KEY 0 = VCEK */
	uint8_t measurement[SNP_MEASUREMENT_LEN];
	uint8_t host_data[32];
	uint8_t id_key_digest[48];
	uint8_t author_key_digest[48];
	uint8_t report_id[32];
	uint8_t current_tcb[8];
	uint8_t reported_tcb[8];	/* selects the VCEK */
	uint8_t committed_tcb[8];
	uint8_t launch_tcb[8];
	uint8_t chip_id[SNP_CHIP_ID_LEN];
	bool mask_chip_id;		/* host MASK_CHIP_ID: CHIP_ID reads as 0 */
	uint8_t fw_major, fw_minor, fw_build;	/* current == committed */
	uint64_t launch_mit_vector, current_mit_vector;	/* v5 */
};

/* Defaults for a product: a distinct test value in every field. */
void sim_snp_config_default(struct sim_snp_config *c, enum sim_product p);
/* Set all four TCB fields at once. */
void sim_snp_config_set_tcb(struct sim_snp_config *c, const uint8_t tcb[8]);

/*
 * Build and sign an ATTESTATION_REPORT.  @vmpl is the requester's VMPL as
 * carried in the request.  The signature is ECDSA P-384 over SHA-384 of
 * bytes [0, 0x2A0) with the product's VCEK key.
 */
int sim_snp_build_report(const struct sim_snp_config *c, const struct sim_keys *k,
			 const uint8_t report_data[SNP_REPORT_DATA_LEN],
			 uint32_t vmpl, uint8_t report[SNP_REPORT_SIZE]);

/*
 * The extended-report certificate table (GHCB spec; evidence-formats.md
 * §2.4): VCEK, ASK, ARK entries, a zero terminator, then the DER blobs.
 * The VCEK is issued for the config's chip id and REPORTED_TCB.
 */
int sim_snp_build_cert_table(const struct sim_snp_config *c, const struct sim_keys *k,
			     uint8_t **table, size_t *len);

/*
 * MSG_KEY_REQ of the simulated firmware.  @req is struct
 * cvm_snp_derived_key_req (32 bytes).  Returns the firmware status for the
 * MSG_KEY_RSP STATUS field (0 or SNP_FW_STATUS_INVALID_PARAM) and the
 * 32-byte key.  The key is HMAC-SHA-256 over the request's selected
 * fields, keyed with a per-chip simulated root secret (see README).
 */
uint32_t sim_snp_derive_key(const struct sim_snp_config *c, const uint8_t req[32],
			    uint8_t key[32]);

/* ---- TDX ----------------------------------------------------------------------- */

struct sim_tdx_config {
	uint8_t report_version;		/* REPORTTYPE.VERSION: 0 TDX 1.0, 1 TDX 1.5 */
	uint8_t cpusvn[16];
	uint64_t tee_tcb_valid;
	uint8_t tee_tcb_svn[16];
	uint8_t mrseam[TDX_MR_LEN];
	uint8_t mrsignerseam[TDX_MR_LEN];
	uint64_t seam_attributes;
	uint8_t tee_tcb_svn2[16];
	uint64_t td_attributes;
	uint64_t xfam;
	uint8_t mrtd[TDX_MR_LEN];
	uint8_t mrconfigid[TDX_MR_LEN];
	uint8_t mrowner[TDX_MR_LEN];
	uint8_t mrownerconfig[TDX_MR_LEN];
	uint8_t rtmr[4][TDX_MR_LEN];
	uint8_t servtd_hash[TDX_MR_LEN];
};

void sim_tdx_config_default(struct sim_tdx_config *c);

/*
 * Build a TDREPORT.  The real MAC is an HMAC with a key only the CPU
 * holds; here it is HMAC-SHA-256 over bytes [0x000, 0x0E0) keyed with a
 * fixed simulated "CPU key", which lets the QGS stand-in refuse tampered
 * reports the way the real QE does with EVERIFYREPORT2.
 */
int sim_tdx_build_report(const struct sim_tdx_config *c,
			 const uint8_t report_data[TDX_REPORT_DATA_LEN],
			 uint8_t report[TDX_REPORT_SIZE]);

/* The checks the QE makes before quoting; 0 or -EBADMSG. */
int sim_tdx_check_report(const uint8_t report[TDX_REPORT_SIZE]);

/*
 * The QGS/QE stand-in: check the TDREPORT (MAC, both hashes, type), then
 * produce a TDX quote v4 signed by the test attestation key, with a QE
 * report signed by the test PCK key and the test PCK chain (PEM, leaf ||
 * platform CA || root) as certification data type 5 nested in type 6.
 */
int sim_tdx_quote(const struct sim_keys *k, const uint8_t report[TDX_REPORT_SIZE],
		  uint8_t **quote, size_t *quote_len);

/* ---- misc crypto helpers used by tools and tests ------------------------------------ */

/* ECDSA signature DER <-> fixed-width big-endian r||s (each @n bytes). */
int sim_ecdsa_der_to_rs(const uint8_t *der, size_t der_len, uint8_t *rs, size_t n);
int sim_ecdsa_rs_to_der(const uint8_t *rs, size_t n, uint8_t **der, size_t *der_len);
/* Raw X||Y (each @n bytes) of an EC public key. */
int sim_ec_pub_xy(EVP_PKEY *key, uint8_t *xy, size_t n);

#endif /* CVMATTEST_LIBSIM_H */
