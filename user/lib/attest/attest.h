/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libcvmattest, layer "attest": where the evidence comes from, the SEV-SNP
 * endorsements, the attestation flows (SevSnpVm, TdxVm, AzureGuest) and the
 * vTPM operations behind AzureGuest.
 */
#ifndef CVM_ATTEST_H
#define CVM_ATTEST_H

#include "net/net.h"

struct tpm_session;

/* ---- evidence for attestation (evidence_src.c) ------------------------------------------------ */

struct att_evidence {
	enum cvm_format format;
	uint8_t *data;
	size_t len;
	uint8_t *certs;			/* SNP certificate table, if any */
	size_t certs_len;
	bool from_device;
	uint32_t platform;
};

void att_evidence_done(struct att_evidence *e);
int evidence_get(struct cvm_ctx *ctx, const struct cvm_config *cfg, const uint8_t report_data[64],
		 enum cvm_attest_type want, bool want_certs, struct att_evidence *ret);
/*
 * configfs-tsm: a report for @inblob from @tsm_dir (tests point it at a fake
 * tree), at SEV-SNP VMPL @privlevel (-1: the provider's default).
 */
int tsm_report(struct cvm_ctx *ctx, const char *tsm_dir, const uint8_t inblob[64], int privlevel,
	       char *provider, size_t provider_len, uint8_t **out, size_t *out_len,
	       uint8_t **aux, size_t *aux_len);

/* ---- endorsements (endorse.c) -------------------------------------------------------------------- */

/* The VCEK chain (PEM: VCEK/VLEK, ASK, ARK) for @report. */
int snp_vcek_chain(struct cvm_ctx *ctx, const struct cvm_config *cfg, const uint8_t *report,
		   size_t report_len, const uint8_t *cert_table, size_t cert_table_len,
		   char **pem, size_t *pem_len);
/* TDX quote from a TDREPORT via the configured route. */

/* ---- the attestation (attest.c) ----------------------------------------------------------------- */

struct cvm_attestation {
	char *flow;			/* "SevSnpVm", "TdxVm", "AzureGuest" */
	char *instance;			/* origin of attest_url = expected iss */
	char *token;
	json_t *claims;
	char *type;
	time_t expiry;
	EVP_PKEY *transfer_key;		/* platform flows */
	char *transfer_kid;		/* its kid in the runtime data */
	struct tpm_session *tpm;	/* AzureGuest: the key lives in the vTPM */
};

/* ---- AzureGuest / vTPM (tpm.c) ---------------------------------------------------------------------- */

/* tpm.c: the vTPM through ESAPI */
void tpm_session_free(struct tpm_session *t);
int tpm_open(struct cvm_ctx *ctx, const struct cvm_config *cfg, struct tpm_session **ret);
/* The TpmInfo object of AzureGuest: AK, its certificate, the PCR quote over
 * @qualifying, the ephemeral key and its certification. */
int tpm_info(struct cvm_ctx *ctx, struct tpm_session *t, const uint8_t qualifying[32],
	     json_t **ret);
/* All of an NV index, with owner authorization. */
int tpm_nv_read(struct cvm_ctx *ctx, struct tpm_session *t, uint32_t index, uint8_t **ret,
		size_t *ret_len);
/* RSAES (PKCS#1 v1.5) decrypt by the ephemeral key: AzureGuest's inner key. */
int tpm_rsaes_decrypt(struct cvm_ctx *ctx, struct tpm_session *t, const uint8_t *in,
		      size_t in_len, struct cvm_secret **ret);
/* The ephemeral key's modulus (big-endian), borrowed from @t. */
void tpm_ephemeral_modulus(const struct tpm_session *t, const uint8_t **n, size_t *len);

/* azure_guest.c: POST /attest/AzureGuest, the answer unsealed by the vTPM */
/* The sealed answer's parts (azure_sealed_parse), its Jwt opened by azure_sealed_open. */
struct azure_sealed {
	uint8_t *wrapped, *iv, *tag, *ct;
	size_t wrapped_len, iv_len, tag_len, ct_len;
};
void azure_sealed_done(struct azure_sealed *s);
int azure_sealed_parse(struct cvm_ctx *ctx, const char *sealed, struct azure_sealed *s);
int azure_sealed_open(struct cvm_ctx *ctx, const struct cvm_secret *aes,
		      const struct azure_sealed *s, char **jwt);
int azure_guest_attest(struct cvm_ctx *ctx, const struct cvm_config *cfg, const char *nonce,
		       struct cvm_attestation *a);
/* RSA-OAEP decrypt by the vTPM's ephemeral key (PolicyPCR session). */
int tpm_rsa_oaep_decrypt(struct cvm_ctx *ctx, struct tpm_session *t, const char *hash,
			 const uint8_t *in, size_t in_len, struct cvm_secret **ret);
int tpm_modulus_bytes(const struct tpm_session *t);

#endif /* CVM_ATTEST_H */
