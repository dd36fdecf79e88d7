/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libcvmattest, layer "net": the configuration, HTTP through libcurl,
 * JWS/JWT, the MAA client (POST /attest and token verification) and IMDS.
 */
#ifndef CVM_NET_H
#define CVM_NET_H

#include "libcvmattest-attest.h"
#include "verify/verify.h"

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
	char *allowed_keys;		/* keys a LUKS token may name, besides key_url */
	char *allowed_attest;		/* instances a LUKS token may name, besides attest_url */
	char *allowed_hosts;		/* discouraged: any key and instance of these hosts */
	char *ca_bundle;
	char *proxy;			/* the only proxy used; NULL: none */
	char *cache_dir;		/* "" disables */
	size_t max_response;
	long clock_skew_s;
	long jwks_cache_ttl_s;
	char *device;
	enum evidence_source evidence_source;
	char *evidence_command;
	char *snp_certs;		/* order: "extended,cache,imds,kds" */
	char *kds_url;
	char *pcs_url;
	char *intel_root_crl_url;
	char *tdx_quote;		/* order: "device,configfs,imds" */
	char *tsm_dir;
	int vmpl;			/* SEV-SNP report VMPL; -1: the platform's */
	char *tcti;
	int transfer_key_bits;
};

/* A config with defaults, for callers that pass NULL. */
const struct cvm_config *config_defaults(void);
/* The hint appended to messages: "attest_url in /etc/cvmattest/cvmattest.conf". */
void config_hint(const struct cvm_config *c, const char *key, char *buf, size_t len);
/* OAEP hash name for an enc value (a config value and the key_hsm header alike), NULL if unknown. */
const char *enc_oaep_hash(const char *enc);

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
	const char *capture_header;	/* a response header to keep (its last value), or NULL */
};

struct http_resp {
	long status;
	uint8_t *body;
	size_t len;
	int attempts;
	char *header;			/* req->capture_header's value (trimmed), or NULL */
};

void http_resp_done(struct http_resp *r);
/*
 * The system's CA bundle by its compiled-in path (the first that exists of
 * OpenSSL's default file and the distributions' bundles): the environment
 * (SSL_CERT_FILE, SSL_CERT_DIR) does not choose it.
 */
const char *system_ca_file(void);
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
/* URL-decode @s (%XX escapes) into a new string. */
int http_unescape(const char *s, char **ret);
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
/* The RS256 key for @kid in a JWKS (the service's /certs answer); -ENOENT if none. */
int jwks_find(struct cvm_ctx *ctx, json_t *jwks, const char *kid, EVP_PKEY **ret);
/* Check time claims: exp required, nbf optional. */
int jwt_check_time(struct cvm_ctx *ctx, const char *what, const json_t *payload, long skew_s,
		   time_t now);

/* ---- MAA (maa.c, token.c) ---------------------------------------------------------------------- */

/*
 * POST @body to @instance/attest/@path; the answer's "token" (a JWT, or
 * AzureGuest's sealed response) in @token. HTTP 400 is -EKEYREJECTED: the
 * service refused the evidence, and says why in the log.
 */
int maa_attest(struct cvm_ctx *ctx, const struct cvm_config *cfg, const char *instance,
	       const char *path, const char *api_version, const json_t *body, char **token);

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
/* The answers' parsers, apart from the HTTP exchange (the fuzzers feed them). */
int imds_token_parse(struct cvm_ctx *ctx, const uint8_t *body, size_t len, char **ret);
int imds_thim_parse(struct cvm_ctx *ctx, const json_t *obj, char **pem, size_t *len);
int imds_tdquote_parse(struct cvm_ctx *ctx, const json_t *obj, uint8_t **quote, size_t *quote_len);

#endif /* CVM_NET_H */
