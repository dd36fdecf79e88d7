/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Internals of the network half (attestation, key release). */
#ifndef CVM_NET_H
#define CVM_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "internal.h"
#include "libcvmattest-attest.h"

struct tpm_session;

#define _cleanup_json_ _cleanup_(json_decrefp)

#define TAKE_FD(fd)                          \
	__extension__({                      \
		int _fd_ = (fd);             \
		(fd) = -1;                   \
		_fd_;                        \
	})

/* Write a cache file atomically (temp + rename); failures only warn. */
int cache_write(struct cvm_ctx *ctx, const char *path, const void *data, size_t len);

/* ---- configuration (config.c) ------------------------------------------------ */

enum cvm_attest_type {
	ATTEST_TYPE_AUTO,
	ATTEST_TYPE_SNP,
	ATTEST_TYPE_TDX,
	ATTEST_TYPE_AZURE_GUEST,
};

enum evidence_source {
	EVIDENCE_AUTO,		/* the device, else configfs-tsm */
	EVIDENCE_DEVICE,
	EVIDENCE_CONFIGFS,
	EVIDENCE_COMMAND,
};

struct cvm_config {
	char *source;			/* file last loaded, for messages */
	char *attest_url;
	enum cvm_attest_type attest_type;
	char *api_version_snp;
	char *api_version_tdx;
	char *api_version_guest;
	char *key_url;
	char *kv_api_version;
	char *enc;
	char *kv_resource;		/* NULL: from key_url's host */
	char *kv_jws_algs;		/* comma-separated allow-list */
	char *imds_url;
	char *identity_client_id;
	char *identity_object_id;
	char *identity_msi_res_id;
	long connect_timeout_ms;
	long request_timeout_ms;
	long total_timeout_ms;
	int retries;
	long backoff_ms;
	long backoff_max_ms;
	long retry_after_max_ms;
	char *allowed_hosts;		/* extra hosts a LUKS token may name */
	char *ca_bundle;
	char *cache_dir;		/* "" disables */
	size_t max_response;
	long clock_skew_s;
	long jwks_cache_ttl_s;
	char *device;
	enum evidence_source evidence_source;
	char *evidence_command;
	char *snp_certs;		/* order: "extended,cache,imds,kds" */
	char *kds_url;
	char *tdx_quote;		/* order: "device,configfs,imds" */
	char *tsm_dir;
	char *tcti;
	int transfer_key_bits;
};

/* A config with defaults, for callers that pass NULL. */
const struct cvm_config *config_defaults(void);
/* The hint appended to messages: "attest_url in /etc/cvmattest/cvmattest.conf". */
void config_hint(const struct cvm_config *c, const char *key, char *buf, size_t len);

/* ---- secrets (secret.c) --------------------------------------------------------- */

/* Locked (mlock), not dumped, wiped on free. */
struct secret {
	uint8_t *data;
	size_t len;
	size_t map_len;
	bool locked;
};

int secret_new(const struct cvm_ctx *ctx, size_t len, struct secret **ret);
void secret_free(struct secret *s);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct secret *, secret_free)

struct cvm_key {
	struct secret *material;
	char kty[32];
	char format[8];
	char *kid;
};

/* ---- encodings (encoding.c) ------------------------------------------------------ */

/* base64url without padding (padding accepted when decoding). */
char *b64url_encode(const uint8_t *buf, size_t len);
int b64url_decode(const char *s, size_t slen, uint8_t **ret, size_t *ret_len);
/* Standard base64 (x5c, the AzureGuest sealed response); padding required when
 * @strict, else optional; '-' and '_' also accepted when !strict. */
char *b64_encode(const uint8_t *buf, size_t len);
int b64_decode(const char *s, size_t slen, bool strict, uint8_t **ret, size_t *ret_len);
/* JSON text (compact, sorted keys) of @v; caller frees. */
char *json_compact(const json_t *v);
/* Parse at most @len bytes of JSON text as an object; NULL on error (message in @why). */
json_t *json_parse_object(const uint8_t *buf, size_t len, char *why, size_t why_len);
/* "https://Host[:port]" lower-case, no path, no trailing slash; -EINVAL if not https. */
int url_origin(const char *url, bool allow_http, char **ret);
/* The host of a URL, lower-case, IPv6 without brackets; -EINVAL if there is none. */
int url_host(const char *url, char **ret);

/* ---- HTTP (http.c) ------------------------------------------------------------------ */

struct http_req {
	const char *method;		/* "GET", "POST" */
	const char *url;
	const char *what;		/* "attestation service", for messages */
	const char *config_key;		/* "attest_url": what to fix */
	const char *content_type;	/* for a body */
	const uint8_t *body;
	size_t body_len;
	const char *bearer;		/* Authorization: Bearer (never logged) */
	bool metadata;			/* IMDS: Metadata: true, no proxy, plain http ok */
	const char *accept;
};

struct http_resp {
	long status;
	uint8_t *body;
	size_t len;
	int attempts;
};

void http_resp_done(struct http_resp *r);
/*
 * One request with the configured timeouts, retries (connection errors,
 * 408, 429, 500, 502, 503, 504), exponential backoff with jitter, Retry-After
 * on 429/503, all inside total_timeout; TLS verified against ca_bundle (or
 * the system store); at most max_response bytes.  0 with any HTTP status
 * once a response arrived (the caller judges the status), -errno when no
 * usable response came (a message is logged).
 */
int http_request(struct cvm_ctx *ctx, const struct cvm_config *cfg, const struct http_req *req,
		 struct http_resp *resp);
/* The service's error text from a JSON error body ({"error":{"code","message"}} or
 * IMDS {"error","error_description"}), else a short excerpt; into @buf. */
void http_error_text(const struct http_resp *r, char *buf, size_t len);
/* Log "<what> answered HTTP <status>: <message>" with a hint and map to -errno. */
int http_status_error(struct cvm_ctx *ctx, const struct cvm_config *cfg,
		      const struct http_req *req, const struct http_resp *r);
/*
 * The JSON object of a 200 answer in @ret. Another status is
 * http_status_error()'s; a body that is no JSON object is -EBADMSG, with a
 * message naming req->what. Frees @resp either way.
 */
int http_json_object(struct cvm_ctx *ctx, const struct cvm_config *cfg,
		     const struct http_req *req, struct http_resp *resp, json_t **ret);

/* ---- JWS / JWT (jws.c) ---------------------------------------------------------------- */

struct jws {
	json_t *header;
	json_t *payload;
	char *signing_input;	/* "header.payload" */
	uint8_t *sig;
	size_t sig_len;
	char *parts[3];
};

void jws_done(struct jws *j);
/* Split and decode a compact JWS; -EBADMSG with a message on malformed input. */
int jws_parse(struct cvm_ctx *ctx, const char *what, const char *compact, size_t max,
	      struct jws *ret);
/* Is @alg in the comma-separated allow-list? */
bool jws_alg_allowed(const char *alg, const char *allow);
/* Verify the signature with @pkey under @alg (through libjose). 0 or -EKEYREJECTED. */
int jws_verify_sig(struct cvm_ctx *ctx, const char *what, const struct jws *j, const char *alg,
		   EVP_PKEY *pkey);
/* A JWK (public part) of an RSA key, with kid/key_ops if given. */
json_t *jwk_from_pkey(EVP_PKEY *pkey, const char *kid, const char *key_op);
/* An RSA public key from a JWK's n/e. */
int pkey_from_jwk(const json_t *jwk, EVP_PKEY **ret);
/* Check time claims: exp required, nbf optional. */
int jwt_check_time(struct cvm_ctx *ctx, const char *what, const json_t *payload, long skew_s,
		   time_t now);

/* ---- MAA token verification (token.c) ---------------------------------------------------- */

int maa_token_verify(struct cvm_ctx *ctx, const struct cvm_config *cfg, const char *instance,
		     const char *token, const json_t *expected_runtime, bool runtime_exact,
		     json_t **claims);

/* ---- IMDS (imds.c) --------------------------------------------------------------------------- */

int imds_identity_token(struct cvm_ctx *ctx, const struct cvm_config *cfg, const char *resource,
			char **ret);
/* THIM: VCEK + ASK + ARK as one PEM text. */
int imds_thim_certs(struct cvm_ctx *ctx, const struct cvm_config *cfg, char **pem, size_t *len);
int imds_tdquote(struct cvm_ctx *ctx, const struct cvm_config *cfg, const uint8_t *tdreport,
		 size_t len, uint8_t **quote, size_t *quote_len);

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
/* configfs-tsm: a report for @inblob from @tsm_dir (tests point it at a fake tree). */
int tsm_report(struct cvm_ctx *ctx, const char *tsm_dir, const uint8_t inblob[64],
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

/* ---- key release (skr.c, unwrap.c) -------------------------------------------------------------- */

/* OAEP hash name for an enc value, NULL if unknown. */
const char *enc_oaep_hash(const char *enc);
/* Decrypt the first modulus-size bytes (RSA-OAEP) with a software key. */
int unwrap_rsa_oaep_soft(struct cvm_ctx *ctx, EVP_PKEY *key, const char *hash,
			 const uint8_t *in, size_t in_len, struct secret **ret);
/* key_hsm -> key material; the RSA step by @soft or, when NULL, by @tpm. */
int unwrap_key_hsm(struct cvm_ctx *ctx, const char *key_hsm, const char *expect_enc,
		   const char *expect_kid, EVP_PKEY *soft, struct tpm_session *tpm,
		   struct cvm_key **ret);
/* AES key wrap with padding (RFC 5649) of @in under @kek. */
int unwrap_aes_kwp(struct cvm_ctx *ctx, const struct secret *kek, const uint8_t *in,
		   size_t in_len, struct secret **ret);

/* ---- AzureGuest / vTPM (tpm.c) ---------------------------------------------------------------------- */

void tpm_session_free(struct tpm_session *t);
int azure_guest_attest(struct cvm_ctx *ctx, const struct cvm_config *cfg, const char *nonce,
		       struct cvm_attestation *a);
/* RSA-OAEP decrypt by the vTPM's ephemeral key (PolicyPCR session). */
int tpm_rsa_oaep_decrypt(struct cvm_ctx *ctx, struct tpm_session *t, const char *hash,
			 const uint8_t *in, size_t in_len, struct secret **ret);
int tpm_modulus_bytes(const struct tpm_session *t);

#endif
