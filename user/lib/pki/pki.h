/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libcvmattest, layer "pki": certificates as received, the AMD and Intel
 * certificate extensions, raw-signature checks, the built-in trust anchors
 * and the context that holds them.
 */
#ifndef CVM_PKI_H
#define CVM_PKI_H

#include <time.h>

#include "evidence/evidence.h"

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
/* A file or a directory of them; with @ctx (may be NULL), says which file is wrong and how. */
int cert_list_load(struct cvm_ctx *ctx, struct cvm_cert_list *l, const char *path);
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
/*
 * The same check over any signed DER structure (a certificate's TBSCertificate,
 * a CRL's TBSCertList): @alg is the outer signatureAlgorithm, @tbs_alg the one
 * inside the signed part, which must equal it.
 */
int der_verify_signature(const uint8_t *tbs, size_t tbs_len, const X509_ALGOR *alg,
			 const X509_ALGOR *tbs_alg, const ASN1_BIT_STRING *sig, EVP_PKEY *issuer_key,
			 char *why, size_t why_len);
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
/* AMD KDS (AMD 57230), and where Azure hands out the same chain (IMDS THIM). */
#define AMD_KDS_URL "https://kdsintf.amd.com"
#define AZURE_THIM_URL "http://169.254.169.254/metadata/THIM/amd/certification"
/*
 * The KDS URL of the VCEK for @s's CHIP_ID and REPORTED_TCB under @base:
 * {base}/vcek/v1/{product}/{hwid}?blSPL=&teeSPL=&snpSPL=&ucodeSPL=[&fmcSPL=]
 * (Turin: 8-byte hwID and fmcSPL).  An unknown product (a v2 report not yet
 * checked against a chain) is written "{Milan|Genoa}", the layouts the TCB is
 * then read in.  -ENOMEM only.
 */
int amd_kds_vcek_url(const char *base, const struct cvm_snp_report *s, char **ret);
/* Content of extnValue: raw bytes or one nested OCTET STRING (both seen in the field). */
int amd_hwid_decode(const uint8_t *v, size_t len, uint8_t out[64], size_t *out_len);

/* ---- AMD CRLs (crl.c) ---------------------------------------------------------- */

struct amd_crl {
	char *path;			/* where it was read from, for messages */
	X509_CRL *crl;
	uint8_t *der;			/* as received (PEM: its DER) */
	size_t der_len;
};

/* DER or PEM; -errno with a reason in @why (-EBADMSG: not a CRL). */
int amd_crl_load(const char *path, struct amd_crl **ret, char *why, size_t why_len);
void amd_crl_free(struct amd_crl *c);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct amd_crl *, amd_crl_free)
/*
 * RSASSA-PSS/SHA-384/MGF1-SHA-384/salt 48 by @ark_key over the TBSCertList as
 * received, and no critical extension other than cRLNumber and AKI.
 */
int amd_crl_verify(const struct amd_crl *c, EVP_PKEY *ark_key, char *why, size_t why_len);
/* 1 with the revocation date if @serial is listed, else 0. */
int amd_crl_find(const struct amd_crl *c, const ASN1_INTEGER *serial, time_t *ret_date);
/* 0 for NULL or unreadable. */
time_t asn1_time_to_time(const ASN1_TIME *t);

/* ---- Intel SGX PCK extension (intel_cert.c) ------------------------------- */

struct sgx_pck_ext {
	bool has_fmspc;
	uint8_t fmspc[6];
	bool has_pceid;
	uint8_t pceid[2];
	bool has_tcb;			/* SGX TCB components 1-16 and PCESVN */
	uint8_t tcb_comp[16];
	uint16_t pcesvn;
	uint8_t cpusvn[16];
};

int sgx_pck_ext_parse_der(const uint8_t *der, size_t len, struct sgx_pck_ext *ret);
int sgx_pck_ext_from_cert(X509 *x, struct sgx_pck_ext *ret);

/* ---- trust anchors (trust.c) ------------------------------------------------ */

int trust_load_builtin_amd(const struct cvm_ctx *ctx, struct cvm_cert_list *roots);
int trust_load_builtin_intel(const struct cvm_ctx *ctx, struct cvm_cert_list *roots);
/* 1 if @c is one of the pinned vendor roots. */
bool trust_is_pinned(const struct cvm_cert *c);
/* The built-in roots, generated from the PEMs in user/lib/pki/roots/ at build time. */
extern const char cvm_root_pem_amd_milan[];	/* ASK then ARK */
extern const char cvm_root_pem_amd_genoa[];
extern const char cvm_root_pem_amd_turin[];
extern const char cvm_root_pem_intel_sgx_root[];


/* ---- raw signatures (crypto.c) -------------------------------------------- */

/*
 * Verify an ECDSA signature given as two fixed-size integers: SNP reports
 * store them little-endian in 72-byte slots (AMD 56860, Table 141),
 * TDX quotes big-endian in 32-byte halves.  0 or -EKEYREJECTED.
 */
int ecdsa_verify_raw(EVP_PKEY *key, const EVP_MD *md, const uint8_t *msg, size_t msg_len,
		     const uint8_t *r, const uint8_t *s, size_t comp_len, bool little_endian);

/* A P-256 public key from X || Y (big-endian, 32 bytes each), checked on the curve. */
int pkey_from_p256_xy(const uint8_t xy[64], EVP_PKEY **ret);

/* ---- the context ---------------------------------------------------------------- */

#define CVM_VCEK_CACHE_MAX 16

struct vcek_cache_entry {
	uint8_t vcek_sha256[32];
	time_t valid_from;		/* window in which the whole chain is valid */
	time_t valid_until;
	enum cvm_snp_product product;
	char root_cn[128];
	char ask_cn[128];		/* the intermediate, and its serial (DER INTEGER), */
	uint8_t ask_serial[40];		/* for the CRL check on later calls */
	size_t ask_serial_len;
};

#define CVM_AMD_CRL_MAX 8

struct cvm_ctx {
	struct cvm_log_sink log;		/* first: base/log.c reads it */

	struct cvm_cert_list amd_roots;		/* ARKs and their ASK/ASVKs */
	bool amd_roots_builtin;
	struct cvm_cert_list intel_roots;
	bool intel_root_builtin;
	struct cvm_cert_list certs;		/* offered, untrusted */
	char *cache_dir;
	char *tdx_collateral;			/* directory given; NULL: look in the cache */
	time_t verify_time;
	struct amd_crl *amd_crls[CVM_AMD_CRL_MAX];	/* given (cvm_add_amd_crl_file) */
	size_t n_amd_crls;

	/* Symmetric crypto of the LUKS binding: enum cvm_luks_crypto, and which
	 * backend ("kernel", "openssl") did the last operation. */
	int crypto_backend;
	const char *crypto_last;

	/* Endorsement certificates already chained to a root (see verify_snp.c). */
	struct vcek_cache_entry vcek_cache[CVM_VCEK_CACHE_MAX];
	size_t vcek_cache_n;
	size_t vcek_cache_next;
};

time_t ctx_verify_time(const struct cvm_ctx *ctx);

#endif /* CVM_PKI_H */
