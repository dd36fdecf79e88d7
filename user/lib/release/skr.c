// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Secure Key Release (reference 4.3-4.6): a managed-identity token from
 * IMDS, POST {key_url}/release {target: attestation token, enc}, and the
 * answer {value: compact JWS}, which is verified before anything in it is
 * used: the algorithm from kv_jws_algs, the x5c chain against ca_bundle (or
 * the system store) with the leaf valid for the vault's host or its service
 * domain (vault.azure.net, managedhsm.azure.net), the signature by the leaf.
 * Then response.key.key.key_hsm is unwrapped with the attestation's
 * transfer key (unwrap.c).
 */
#include <ctype.h>
#include <errno.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>
#include <openssl/x509v3.h>

#include "release/release.h"


#define RELEASE_MAX (1 << 20)

/* The audience of the access token, from the vault's host name. */
static int kv_resource(struct cvm_ctx *ctx, const struct cvm_config *cfg, const char *host,
		       char **ret)
{
	static const struct {
		const char *suffix, *resource;
	} known[] = {
		{ ".vault.azure.net", "https://vault.azure.net" },
		{ ".managedhsm.azure.net", "https://managedhsm.azure.net" },
		{ ".vault.azure.cn", "https://vault.azure.cn" },
		{ ".managedhsm.azure.cn", "https://managedhsm.azure.cn" },
		{ ".vault.usgovcloudapi.net", "https://vault.usgovcloudapi.net" },
		{ ".managedhsm.usgovcloudapi.net", "https://managedhsm.usgovcloudapi.net" },
	};
	size_t hl = strlen(host);

	if (cfg->kv_resource && *cfg->kv_resource) {
		*ret = strdup(cfg->kv_resource);
		return *ret ? 0 : -ENOMEM;
	}
	for (size_t i = 0; i < ELEMENTSOF(known); i++) {
		size_t sl = strlen(known[i].suffix);

		if (hl > sl && strcasecmp(host + hl - sl, known[i].suffix) == 0) {
			*ret = strdup(known[i].resource);
			return *ret ? 0 : -ENOMEM;
		}
	}
	log_error(ctx, "Cannot tell the Key Vault audience for %s: set kv_resource (e.g. "
		  "https://vault.azure.net or https://managedhsm.azure.net)", host);
	return -EINVAL;
}

static X509 *x509_from_b64(const char *b64)
{
	_cleanup_free_ uint8_t *der = NULL;
	const unsigned char *p;
	size_t len;
	X509 *x;

	if (!b64 || b64_decode(b64, strlen(b64), false, &der, &len) < 0)
		return NULL;
	p = der;
	x = d2i_X509(NULL, &p, (long)len);
	if (x && p != der + len) {
		X509_free(x);
		return NULL;
	}
	return x;
}

/*
 * Key Vault signs with a certificate for the service, not for the vault
 * (CN=vault.azure.net for NAME.vault.azure.net): the parent domain is
 * accepted, but only when it is one of Azure's Key Vault or Managed HSM
 * service domains. Elsewhere the certificate must name the host itself.
 */
static const char *const kv_service_domains[] = {
	"vault.azure.net", "managedhsm.azure.net",			/* public */
	"vault.usgovcloudapi.net", "managedhsm.usgovcloudapi.net",	/* US Gov */
	"vault.azure.cn", "managedhsm.azure.cn",			/* China */
};

bool release_signer_cert_ok(X509 *leaf, const char *host)
{
	const char *dot;

	/* A TLS server certificate of the service: EKU serverAuth (if any), KU digitalSignature. */
	if (X509_check_purpose(leaf, X509_PURPOSE_SSL_SERVER, 0) != 1)
		return false;
	if (X509_check_ip_asc(leaf, host, 0) == 1 || X509_check_host(leaf, host, 0, 0, NULL) == 1)
		return true;
	dot = strchr(host, '.');
	if (!dot)
		return false;
	for (size_t i = 0; i < ELEMENTSOF(kv_service_domains); i++)
		if (strcasecmp(dot + 1, kv_service_domains[i]) == 0)
			return X509_check_host(leaf, dot + 1, 0, 0, NULL) == 1;
	return false;
}

/* The signer of the release response: x5c chain to our trust anchors. */
static int release_signer(struct cvm_ctx *ctx, const struct cvm_config *cfg, const json_t *header,
			  const char *host, EVP_PKEY **ret)
{
	_cleanup_(X509_STORE_freep) X509_STORE *store = NULL;
	_cleanup_(X509_STORE_CTX_freep) X509_STORE_CTX *sc = NULL;
	_cleanup_sk_x509_ STACK_OF(X509) *untrusted = NULL;
	_cleanup_(X509_freep) X509 *leaf = NULL;
	json_t *x5c = json_object_get(header, "x5c");
	size_t i;
	json_t *v;

	if (!json_is_array(x5c) || json_array_size(x5c) == 0 || json_array_size(x5c) > 10) {
		log_error(ctx, "The release response carries no certificate chain (x5c)");
		return -EKEYREJECTED;
	}
	untrusted = sk_X509_new_null();
	store = X509_STORE_new();
	sc = X509_STORE_CTX_new();
	if (!untrusted || !store || !sc)
		return -ENOMEM;
	json_array_foreach(x5c, i, v) {
		X509 *x = x509_from_b64(json_string_value(v));

		if (!x) {
			log_error(ctx, "The release response's x5c[%zu] is not a certificate", i);
			return -EKEYREJECTED;
		}
		if (i == 0)
			leaf = x;
		else if (!sk_X509_push(untrusted, x)) {
			X509_free(x);
			return -ENOMEM;
		}
	}
	if (cfg->ca_bundle && *cfg->ca_bundle) {
		if (X509_STORE_load_file(store, cfg->ca_bundle) != 1) {
			log_openssl(ctx, "CA bundle");
			log_error(ctx, "Cannot load the CA bundle %s (ca_bundle)", cfg->ca_bundle);
			return -EINVAL;
		}
	} else if (X509_STORE_load_file(store, system_ca_file()) != 1 &&
		   X509_STORE_load_path(store, X509_get_default_cert_dir()) != 1) {
		/* Not X509_STORE_set_default_paths(): SSL_CERT_FILE/SSL_CERT_DIR would choose. */
		log_openssl(ctx, "system CA store");
		return log_error_errno(ctx, -EIO, "Cannot load the system CA bundle %s (set "
				       "ca_bundle)", system_ca_file());
	}
	if (X509_STORE_CTX_init(sc, store, leaf, untrusted) != 1 ||
	    X509_STORE_CTX_set_purpose(sc, X509_PURPOSE_SSL_SERVER) != 1)
		return -ENOMEM;
	if (X509_verify_cert(sc) != 1) {
		int e = X509_STORE_CTX_get_error(sc);

		log_error(ctx, "The release response's signing certificate is not trusted: %s (check "
			  "ca_bundle)", X509_verify_cert_error_string(e));
		return -EKEYREJECTED;
	}
	if (!release_signer_cert_ok(leaf, host))
		return log_error_errno(ctx, -EKEYREJECTED, "The release response is signed by a "
				       "certificate that is not a TLS server certificate for %s",
				       host);
	*ret = X509_get_pubkey(leaf);
	return *ret ? 0 : -ENOMEM;
}

static int release_request(struct cvm_ctx *ctx, const struct cvm_config *cfg, const char *token,
			   const char *access, char **value)
{
	_cleanup_free_ char *url = NULL, *text = NULL;
	_cleanup_json_ json_t *body = NULL, *obj = NULL;
	struct http_resp resp = { 0 };
	struct http_req req = {
		.method = "POST",
		.what = "Key Vault",
		.config_key = "key_url",
		.content_type = "application/json",
		.bearer = access,
	};
	size_t kl = strlen(cfg->key_url);
	const char *v;
	int r;

	if (asprintf(&url, "%.*s/release?api-version=%s",
		     (int)(kl && cfg->key_url[kl - 1] == '/' ? kl - 1 : kl), cfg->key_url,
		     cfg->kv_api_version) < 0)
		return -ENOMEM;
	body = json_pack("{s:s, s:s}", "target", token, "enc", cfg->enc);
	text = body ? json_dumps(body, JSON_COMPACT) : NULL;
	if (!text)
		return -ENOMEM;
	req.url = url;
	req.body = (const uint8_t *)text;
	req.body_len = strlen(text);
	log_info(ctx, "Requesting the release of %s", cfg->key_url);
	r = http_request(ctx, cfg, &req, &resp);
	if (r < 0)
		return r;
	if (resp.status == 403 || resp.status == 400 || resp.status == 401 || resp.status == 404) {
		char msg[2048];
		long st = resp.status;

		http_error_text(&resp, msg, sizeof(msg));
		http_resp_done(&resp);
		/* Key Vault says 403 both for a policy not met and for a caller not allowed. */
		if (st == 403 && (strstr(msg, "policy") || strstr(msg, "attestation")))
			return log_error_errno(ctx, -EACCES, "Key Vault refused to release %s: %s",
					       cfg->key_url, msg);
		if (st == 401 || st == 403) {
			log_error(ctx, "Key Vault refused the managed identity (HTTP %ld): %s; check that the "
				  "identity may release the key (\"release\" permission or the Managed HSM "
				  "Crypto Service Release User role)", st, msg);
			return -EPERM;
		}
		if (st == 404) {
			log_error(ctx, "Key Vault has no key %s: %s; check key_url", cfg->key_url, msg);
			return -ENOENT;
		}
		log_error(ctx, "Key Vault refused the release request for %s: %s", cfg->key_url, msg);
		return strstr(msg, "attestation") ? -EKEYREJECTED : -EINVAL;
	}
	r = http_json_object(ctx, cfg, &req, &resp, &obj);
	if (r < 0)
		return r;
	v = json_string_value(json_object_get(obj, "value"));
	if (!v) {
		log_error(ctx, "Key Vault's release answer has no \"value\"");
		return -EBADMSG;
	}
	*value = strdup(v);
	return *value ? 0 : -ENOMEM;
}

static int check_material(struct cvm_ctx *ctx, struct cvm_key *k)
{
	if (strncmp(k->kty, "oct", 3) == 0) {
		snprintf(k->format, sizeof(k->format), "raw");
		return 0;
	}
	{
		const unsigned char *p = k->material->data;
		PKCS8_PRIV_KEY_INFO *p8 = d2i_PKCS8_PRIV_KEY_INFO(NULL, &p, (long)k->material->len);
		bool ok = p8 && p == k->material->data + k->material->len;

		PKCS8_PRIV_KEY_INFO_free(p8);	/* clears the key data */
		if (!ok) {
			log_error(ctx, "The released %s key is not a PKCS#8 private key", k->kty);
			return -EBADMSG;
		}
	}
	snprintf(k->format, sizeof(k->format), "pkcs8");
	return 0;
}

int cvm_release(struct cvm_ctx *ctx, const struct cvm_config *cfg, struct cvm_attestation *a,
		struct cvm_key **ret)
{
	_cleanup_free_ char *host = NULL, *resource = NULL, *access = NULL, *value = NULL;
	_cleanup_(EVP_PKEY_freep) EVP_PKEY *signer = NULL;
	struct cvm_key *k = NULL;
	const char *alg, *key_hsm, *kty, *kid, *renc;
	json_t *jwk;
	struct jws j;
	int r;

	if (!ctx || !a || !ret)
		return -EINVAL;
	if (!cfg)
		cfg = config_defaults();
	if (!cfg->key_url || !*cfg->key_url) {
		char hint[512];

		config_hint(cfg, "key_url", hint, sizeof(hint));
		return log_error_errno(ctx, -EINVAL, "No key to release: set key_url (%s)", hint);
	}
	if (!strstr(cfg->key_url, "/keys/")) {
		log_error(ctx, "key_url %s does not name a key (https://<vault>/keys/<name>[/<version>])",
			  cfg->key_url);
		return -EINVAL;
	}
	if (!a->transfer_key && !a->tpm) {
		log_error(ctx, "This attestation (%s) carries no transfer key of ours, so no key can be "
			  "released to it; behind the Azure paravisor use attest_type = azure-guest",
			  a->flow);
		return -EOPNOTSUPP;
	}
	r = url_host(cfg->key_url, &host);
	if (r < 0)
		return r;
	r = kv_resource(ctx, cfg, host, &resource);
	if (r < 0)
		return r;
	r = imds_identity_token(ctx, cfg, resource, &access);
	if (r < 0)
		return r;
	r = release_request(ctx, cfg, a->token, access, &value);
	OPENSSL_cleanse(access, strlen(access));
	if (r < 0)
		return r;

	r = jws_parse(ctx, "release response", value, RELEASE_MAX, &j);
	if (r < 0)
		return r;
	alg = json_string_value(json_object_get(j.header, "alg"));
	if (!list_has(cfg->kv_jws_algs, alg)) {
		log_error(ctx, "The release response is signed with \"%s\", which is not in kv_jws_algs "
			  "(%s)", alg ? alg : "(none)", cfg->kv_jws_algs);
		r = -EKEYREJECTED;
		goto out;
	}
	r = release_signer(ctx, cfg, j.header, host, &signer);
	if (r < 0)
		goto out;
	r = jws_verify_sig(ctx, "release response", &j, alg, signer);
	if (r < 0)
		goto out;
	renc = json_string_value(json_object_get(json_object_get(j.payload, "request"), "enc"));
	if (renc && strcmp(renc, cfg->enc) != 0) {
		log_error(ctx, "Key Vault answered a release with enc %s, not %s", renc, cfg->enc);
		r = -EBADMSG;
		goto out;
	}
	jwk = json_object_get(json_object_get(json_object_get(j.payload, "response"), "key"), "key");
	key_hsm = json_string_value(json_object_get(jwk, "key_hsm"));
	kty = json_string_value(json_object_get(jwk, "kty"));
	kid = json_string_value(json_object_get(jwk, "kid"));
	if (!key_hsm || !kty) {
		log_error(ctx, "The release response has no response.key.key.key_hsm/kty");
		r = -EBADMSG;
		goto out;
	}
	r = unwrap_key_hsm(ctx, key_hsm, cfg->enc, a->transfer_kid, a->transfer_key, a->tpm, &k);
	if (r < 0)
		goto out;
	snprintf(k->kty, sizeof(k->kty), "%s", kty);
	k->kid = strdup(kid ? kid : cfg->key_url);
	if (!k->kid) {
		r = -ENOMEM;
		goto out;
	}
	r = check_material(ctx, k);
	if (r < 0)
		goto out;
	log_info(ctx, "Released %s (%s, %zu bytes, %s)", k->kid, k->kty, k->material->len, k->format);
	*ret = TAKE_PTR(k);
	r = 0;
out:
	cvm_key_free(k);
	jws_done(&j);
	return r;
}
