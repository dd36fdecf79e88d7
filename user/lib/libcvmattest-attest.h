/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libcvmattest, network half: attestation by Microsoft Azure Attestation
 * (MAA) and Secure Key Release from Azure Key Vault / Managed HSM.
 *
 *   cvm_config      one configuration (file + overrides), see
 *                   Documentation/admin-guide/cvmattest-attest.rst
 *   cvm_attest()    evidence -> MAA -> a token verified here (RS256, signing
 *                   key from {instance}/certs by kid, iss pinned, exp/nbf,
 *                   x-ms-runtime equal to what was sent)
 *   cvm_release()   token -> Key Vault release -> JWS verified -> key
 *                   unwrapped inside the guest (RSA-OAEP, then RFC 5649)
 *
 * Same conventions as libcvmattest.h: 0 or -errno, messages through the
 * context's log callback.  The errno says which kind of failure it was, so
 * a caller can tell the operator what to fix:
 *
 *   -EKEYREJECTED   the attestation service refused the evidence, or a
 *                   token/JWS failed verification (signature, kid, alg)
 *   -EKEYEXPIRED    a token is expired or not yet valid
 *   -EBADMSG        a response that does not parse / lacks what it must hold
 *   -EACCES         Key Vault refused the release (release policy)
 *   -EPERM          identity: IMDS gave no token, or Key Vault said 401/403
 *   -ENOENT         Key Vault has no such key (404)
 *   -ECONNREFUSED, -ETIMEDOUT, -EHOSTUNREACH, -ECONNRESET, -EAGAIN (service
 *   busy after the retries), -EIO (HTTP 5xx), -EPROTO (TLS, HTTP protocol)
 *                   network and service availability
 *   -EINVAL         configuration (a message names the key to fix)
 *   others          local: the evidence device, the TPM, memory
 */
#ifndef LIBCVMATTEST_ATTEST_H
#define LIBCVMATTEST_ATTEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "libcvmattest.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- configuration ---------------------------------------------------------- */

#define CVM_DEFAULT_CONFIG "/etc/cvmattest/cvmattest.conf"

struct cvm_config;

int cvm_config_new(struct cvm_config **ret);
void cvm_config_free(struct cvm_config *c);
CVM_DEFINE_FREEP(struct cvm_config *, cvm_config_free)
/*
 * Read "key = value" lines ('#' comments, [sections] ignored).  A missing
 * file is -ENOENT, which callers may ignore for the default path.  Unknown
 * keys and bad values are -EINVAL with a message naming file and line.
 */
int cvm_config_load_file(struct cvm_ctx *ctx, struct cvm_config *c, const char *path);
/* Set one key (the same names as in the file); later calls override. */
int cvm_config_set(struct cvm_ctx *ctx, struct cvm_config *c, const char *key, const char *value);
/*
 * The value as text: a string setting itself, any other formatted into @buf
 * (CVM_CONFIG_VALUE_MAX bytes are always enough). NULL if unset and without
 * default, and for unknown keys.
 */
#define CVM_CONFIG_VALUE_MAX 64
const char *cvm_config_get(const struct cvm_config *c, const char *key, char *buf, size_t len);
/* Names of all keys, NULL-terminated. */
const char *const *cvm_config_keys(void);
/* One-line description of a key, or NULL. */
const char *cvm_config_help(const char *key);
/*
 * May a URL that came from elsewhere (a LUKS token, which whoever writes
 * the disk chooses) be used under this configuration?  @key is "key_url" or
 * "attest_url".  A key_url is allowed if it is the key of key_url or of an
 * allowed_keys URL (same vault origin and name; the same version unless the
 * listed URL has none), in the exact form https://VAULT/keys/NAME[/VERSION];
 * an attest_url if its origin is attest_url's or an allowed_attest URL's,
 * or its host a plain allowed_attest host.  Host patterns (allowed_keys,
 * allowed_attest, allowed_hosts) are an opt-in: they allow too, with a
 * warning logged.  Nothing is built in.  0, or -EPERM with a message naming
 * the URL and the line to add; -EINVAL for another @key.
 */
int cvm_config_url_allowed(struct cvm_ctx *ctx, const struct cvm_config *c, const char *key,
			   const char *url);
/*
 * Does @url, a key as Key Vault and Managed HSM name it
 * (https://VAULT/keys/NAME[/VERSION], the form cvm_config_url_allowed()
 * accepts), name a version?  1 yes, 0 no (the newest version is released:
 * after a rotation, another key), -EINVAL if it is not such a URL.
 */
int cvm_config_key_url_versioned(const char *url);

/* ---- endorsements for offline verification ------------------------------------ */

/*
 * `cvmattest fetch`: for an SEV-SNP report (or the one inside an Azure HCL
 * report; hex accepted), get the VCEK and its ASK/ARK chain from AMD KDS
 * (kds_url) or, with @imds, Azure IMDS THIM, keep the VCEK only if it names
 * the report's CHIP_ID and REPORTED_TCB (-EKEYREJECTED otherwise), store it
 * into cache_dir where cvm_verify() looks (vcek/<CHIP_ID>/<TCB>.der, .pem
 * with the chain) and, from KDS, AMD's CRL as crl/<product>.crl.  @product
 * ("Milan", "Genoa", "Turin"; NULL: the report's) for v2 reports, which do
 * not name it.  A summary as JSON in @ret_json (keys platform, source,
 * vcek_url, vcek, chain, crl).  -EOPNOTSUPP for a VLEK (not served by KDS)
 * and for TDX evidence (see cvm_tdx_fetch()).
 */
int cvm_snp_fetch(struct cvm_ctx *ctx, const struct cvm_config *cfg, const uint8_t *buf,
		  size_t len, const char *product, bool imds, char **ret_json);
/*
 * Intel's collateral for a TDX quote (binary or hex) from pcs_url (Intel
 * PCS or a PCCS) and intel_root_crl_url: TCB Info and QE Identity with their
 * issuer chains, the PCK CRL, the Root CA CRL.  The quote must verify up to
 * the trusted Intel root; what was fetched is checked as cvm_verify() checks
 * it and stored under cache_dir/tdx/<FMSPC>/ only if it holds (-EKEYREJECTED
 * otherwise, nothing stored).  A summary as JSON in @ret_json (keys
 * platform, source, fmspc, ca, collateral, tcb_status,
 * tcb_evaluation_data_number, tcb_info_next_update, qe_identity_next_update).
 */
int cvm_tdx_fetch(struct cvm_ctx *ctx, const struct cvm_config *cfg, const uint8_t *buf,
		  size_t len, char **ret_json);

/* ---- attestation ------------------------------------------------------------ */

struct cvm_attestation;

/*
 * Get evidence (the device, configfs-tsm or an evidence command, per the
 * configuration), have it attested by attest_url, verify the token.
 * @nonce: optional string sent to MAA (echoed in the token), may be NULL.
 */
int cvm_attest(struct cvm_ctx *ctx, const struct cvm_config *cfg, const char *nonce,
	       struct cvm_attestation **ret);
void cvm_attestation_free(struct cvm_attestation *a);
CVM_DEFINE_FREEP(struct cvm_attestation *, cvm_attestation_free)
/* The raw JWT (not a secret by itself: releasing needs the transfer key too). */
const char *cvm_attestation_token(const struct cvm_attestation *a);
/* The verified claims as one JSON object; caller frees. */
int cvm_attestation_claims_json(const struct cvm_attestation *a, char **ret);
/* "sevsnpvm", "tdxvm", "azurevm" (x-ms-attestation-type). */
const char *cvm_attestation_type(const struct cvm_attestation *a);
/* The MAA endpoint used: "SevSnpVm", "TdxVm", "AzureGuest". */
const char *cvm_attestation_flow(const struct cvm_attestation *a);
time_t cvm_attestation_expiry(const struct cvm_attestation *a);

/*
 * Verify a token as cvm_attest() does: alg RS256 only, key by kid from
 * {instance}/certs, iss == @instance, exp/nbf with the configured skew, and
 * x-ms-runtime equal to @expected_runtime (JSON text) when not NULL.
 * @claims_json (optional) receives the payload; caller frees.
 */
int cvm_token_verify(struct cvm_ctx *ctx, const struct cvm_config *cfg, const char *instance,
		     const char *token, const char *expected_runtime, char **claims_json);

/* ---- key release -------------------------------------------------------------- */

/* Released key material, held in locked memory, wiped when freed. */
struct cvm_key;

/*
 * Managed-identity token from IMDS, then POST {key_url}/release with the
 * attestation token, verify the response JWS, unwrap key_hsm with the
 * attestation's transfer key.
 */
int cvm_release(struct cvm_ctx *ctx, const struct cvm_config *cfg, struct cvm_attestation *a,
		struct cvm_key **ret);
void cvm_key_free(struct cvm_key *k);
CVM_DEFINE_FREEP(struct cvm_key *, cvm_key_free)
const uint8_t *cvm_key_data(const struct cvm_key *k, size_t *len);
/* Key Vault's kty: "oct-HSM", "RSA-HSM", "EC-HSM", ... */
const char *cvm_key_kty(const struct cvm_key *k);
/* "raw" (octets, oct keys) or "pkcs8" (DER PrivateKeyInfo, RSA/EC keys). */
const char *cvm_key_format(const struct cvm_key *k);
/* The key's identifier (URL with version) as Key Vault gave it. */
const char *cvm_key_kid(const struct cvm_key *k);

/* Write all of the key to @fd. */
int cvm_key_write_fd(struct cvm_ctx *ctx, const struct cvm_key *k, int fd);
/*
 * Add to a kernel keyring: @type "user" or "logon", @keyring "@u", "@s",
 * "@us", "@p", "@t" or a serial number.  Returns the key serial.
 */
int cvm_key_to_keyring(struct cvm_ctx *ctx, const struct cvm_key *k, const char *type,
		       const char *description, const char *keyring, int32_t *serial);

/* ---- configfs-tsm ------------------------------------------------------------------ */

#define CVM_TSM_REPORT_DIR "/sys/kernel/config/tsm/report"

/*
 * Evidence through configfs-tsm (kernels 6.7+), for guests without the
 * module: a report for @req's REPORT_DATA (and privlevel, SEV-SNP's VMPL)
 * from @tsm_dir (NULL: CVM_TSM_REPORT_DIR), in @ret as
 * cvm_device_get_evidence() gives it: SEV-SNP reports come with the
 * provider's auxblob (the certificate table) as certs, tdx_guest gives a
 * quote (configfs-tsm has no TDREPORT).  The provider's name (sev_guest,
 * tdx_guest, ...) into @provider.  -ENOENT without configfs-tsm, -ENXIO with
 * no provider registered, -EINVAL for a privlevel the provider refuses.
 */
int cvm_tsm_get_evidence(struct cvm_ctx *ctx, const char *tsm_dir,
			 const struct cvm_evidence_request *req, struct cvm_evidence *ret,
			 char *provider, size_t provider_len);

/* ---- the TPM ------------------------------------------------------------------------ */

/* Azure's paravisor keeps its HCL report (the hardware report) here. */
#define CVM_AZURE_HCL_NV_INDEX 0x01400001u

/*
 * Whether the TPM behind @tcti (tpm2-tss TCTI string, e.g.
 * "device:/dev/tpmrm0") has NV index @index: 0 and its size in @size, or
 * -ENOENT without it, -ENODEV when the TPM cannot be opened (messages only
 * at debug level: this is a probe).  No authorization: NV_ReadPublic only.
 */
int cvm_tpm_nv_index_size(struct cvm_ctx *ctx, const char *tcti, uint32_t index, size_t *size);

/* ---- low-level pieces, exposed for tests and for tools ---------------------------- */

/*
 * Unwrap a key_hsm blob (base64url JSON {schema_version, header{kid, alg,
 * enc}, ciphertext}) with @transfer_key (an RSA private key, EVP_PKEY *).
 */
int cvm_unwrap_key_hsm(struct cvm_ctx *ctx, const char *key_hsm, void *transfer_key,
		       const char *expect_enc, struct cvm_key **ret);

#ifdef __cplusplus
}
#endif

#endif /* LIBCVMATTEST_ATTEST_H */
