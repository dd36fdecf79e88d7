// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Verification of MAA tokens, as a relying party must do it (reference
 * azure-attestation-and-key-release.md 2.5-2.6):
 *   - alg RS256 only (MAA signs nothing else; "none"/HS256 are attacks);
 *   - the signing key by kid from {instance}/certs of the CONFIGURED
 *     instance (never from the token's jku), cached on disk for
 *     jwks_cache_ttl and refetched once when a kid is unknown (rotation);
 *   - iss equal to the configured instance;
 *   - exp/nbf with clock_skew;
 *   - x-ms-runtime equal to the runtime data we sent (the binding of our
 *     transfer key: MAA checked REPORT_DATA = SHA-256(runtime data)).
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>

#include "net/net.h"


#define TOKEN_MAX (256 * 1024)

/* {cache_dir}/maa-certs/<sha256(instance)>.json */
static int jwks_cache_path(const struct cvm_config *cfg, const char *instance, char **ret)
{
	uint8_t d[32];
	unsigned dl;
	char hex[65];

	if (!cfg->cache_dir || !*cfg->cache_dir)
		return -ENOENT;
	if (sha_digest("SHA256", (const uint8_t *)instance, strlen(instance), d, &dl) < 0)
		return -EIO;
	cvm_hex_encode(d, 16, hex);
	return asprintf(ret, "%s/maa-certs/%s.json", cfg->cache_dir, hex) < 0 ? -ENOMEM : 0;
}

/* A cached JWKS, if fresh and safely owned. */
static json_t *jwks_cache_load(struct cvm_ctx *ctx, const struct cvm_config *cfg,
			       const char *instance)
{
	_cleanup_free_ char *path = NULL;
	_cleanup_free_ uint8_t *buf = NULL;
	_cleanup_json_ json_t *obj = NULL;
	_cleanup_close_ int fd = -1;
	struct stat st;
	size_t len;
	char why[128];
	json_t *jwks;

	if (jwks_cache_path(cfg, instance, &path) < 0)
		return NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0 || fstat(fd, &st) < 0)
		return NULL;
	/* The signing keys are a trust anchor: only a file we own and nobody else can write. */
	if (!S_ISREG(st.st_mode) || st.st_uid != geteuid() || (st.st_mode & 022)) {
		log_warning(ctx, "Ignoring %s: not a regular file owned by us and writable only by us",
			    path);
		return NULL;
	}
	if (cfg->jwks_cache_ttl_s <= 0 || time(NULL) - st.st_mtime > cfg->jwks_cache_ttl_s ||
	    st.st_mtime > time(NULL) + 300)
		return NULL;
	if (read_file(path, 1 << 20, &buf, &len) < 0)
		return NULL;
	obj = json_parse_object(buf, len, why, sizeof(why));
	if (!obj || !json_is_string(json_object_get(obj, "instance")) ||
	    strcmp(json_string_value(json_object_get(obj, "instance")), instance) != 0)
		return NULL;
	jwks = json_object_get(obj, "jwks");
	if (!json_is_object(jwks))
		return NULL;
	log_debug(ctx, "Signing keys of %s from the cache %s", instance, path);
	return json_incref(jwks);
}

static void jwks_cache_store(struct cvm_ctx *ctx, const struct cvm_config *cfg,
			     const char *instance, json_t *jwks)
{
	_cleanup_free_ char *path = NULL, *text = NULL;
	_cleanup_json_ json_t *obj = NULL;

	if (jwks_cache_path(cfg, instance, &path) < 0)
		return;
	obj = json_pack("{s:s, s:O}", "instance", instance, "jwks", jwks);
	text = obj ? json_dumps(obj, JSON_COMPACT) : NULL;
	if (text)
		(void)cache_write(ctx, path, text, strlen(text));
}

static int jwks_fetch(struct cvm_ctx *ctx, const struct cvm_config *cfg, const char *instance,
		      json_t **ret)
{
	_cleanup_free_ char *url = NULL;
	struct http_resp resp = { 0 };
	struct http_req req = {
		.method = "GET",
		.what = "attestation service (signing keys)",
		.config_key = "attest_url",
		.accept = "Accept: application/jwk+json, application/json",
	};
	json_t *jwks;
	int r;

	if (asprintf(&url, "%s/certs", instance) < 0)
		return -ENOMEM;
	req.url = url;
	r = http_request(ctx, cfg, &req, &resp);
	if (r < 0)
		return r;
	r = http_json_object(ctx, cfg, &req, &resp, &jwks);
	if (r < 0)
		return r;
	if (!json_is_array(json_object_get(jwks, "keys"))) {
		log_error(ctx, "%s is not a JWK set: no \"keys\" array", url);
		json_decref(jwks);
		return -EBADMSG;
	}
	jwks_cache_store(ctx, cfg, instance, jwks);
	*ret = jwks;
	return 0;
}

/* The key for @kid in @jwks: x5c[0]'s public key (as MAA publishes it), else n/e. */
int jwks_find(struct cvm_ctx *ctx, json_t *jwks, const char *kid, EVP_PKEY **ret)
{
	size_t i;
	json_t *k;

	json_array_foreach(json_object_get(jwks, "keys"), i, k) {
		const char *kkid = json_string_value(json_object_get(k, "kid"));
		const char *kty = json_string_value(json_object_get(k, "kty"));
		const char *alg = json_string_value(json_object_get(k, "alg"));
		json_t *x5c = json_object_get(k, "x5c");

		if (!kkid || strcmp(kkid, kid) != 0)
			continue;
		if (kty && strcmp(kty, "RSA") != 0)
			continue;
		if (alg && strcmp(alg, "RS256") != 0)
			continue;
		if (json_is_array(x5c) && json_array_size(x5c) > 0) {
			const char *b64 = json_string_value(json_array_get(x5c, 0));
			_cleanup_free_ uint8_t *der = NULL;
			_cleanup_(X509_freep) X509 *x = NULL;
			const unsigned char *p;
			size_t der_len;

			if (!b64 || b64_decode(b64, strlen(b64), false, &der, &der_len) < 0) {
				log_error(ctx, "Signing key %s: x5c[0] is not base64", kid);
				return -EBADMSG;
			}
			p = der;
			x = d2i_X509(NULL, &p, (long)der_len);
			if (!x || p != der + der_len) {
				log_error(ctx, "Signing key %s: x5c[0] is not a certificate", kid);
				return -EBADMSG;
			}
			*ret = X509_get_pubkey(x);
			return *ret ? 0 : -EBADMSG;
		}
		return pkey_from_jwk(k, ret) < 0 ? -EBADMSG : 0;
	}
	return -ENOENT;
}

int maa_token_verify(struct cvm_ctx *ctx, const struct cvm_config *cfg, const char *instance,
		     const char *token, const json_t *expected_runtime, bool runtime_exact,
		     json_t **claims)
{
	_cleanup_(EVP_PKEY_freep) EVP_PKEY *key = NULL;
	_cleanup_json_ json_t *jwks = NULL;
	_cleanup_free_ char *iss_origin = NULL, *jku_want = NULL;
	struct jws j;
	const char *alg, *kid, *jku, *iss;
	bool from_cache = false;
	json_t *rt;
	int r;

	if (!cfg)
		cfg = config_defaults();
	r = jws_parse(ctx, "attestation token", token, TOKEN_MAX, &j);
	if (r < 0)
		return r;
	alg = json_string_value(json_object_get(j.header, "alg"));
	if (!list_has("RS256", alg)) {
		log_error(ctx, "The attestation token is signed with algorithm \"%s\", which is not "
			  "accepted (only RS256)", alg ? alg : "(none)");
		r = -EKEYREJECTED;
		goto out;
	}
	kid = json_string_value(json_object_get(j.header, "kid"));
	if (!kid || !*kid) {
		log_error(ctx, "The attestation token names no signing key (kid)");
		r = -EKEYREJECTED;
		goto out;
	}
	/* We never fetch keys from where the token points; a jku elsewhere is a forgery sign. */
	jku = json_string_value(json_object_get(j.header, "jku"));
	if (asprintf(&jku_want, "%s/certs", instance) < 0) {
		r = -ENOMEM;
		goto out;
	}
	if (jku && strcasecmp(jku, jku_want) != 0) {
		log_error(ctx, "The attestation token's jku %s is not %s", jku, jku_want);
		r = -EKEYREJECTED;
		goto out;
	}

	jwks = jwks_cache_load(ctx, cfg, instance);
	from_cache = jwks != NULL;
	if (!jwks) {
		r = jwks_fetch(ctx, cfg, instance, &jwks);
		if (r < 0)
			goto out;
	}
	r = jwks_find(ctx, jwks, kid, &key);
	if (r == -ENOENT && from_cache) {
		log_debug(ctx, "kid %s not in the cached keys; refetching %s", kid, jku_want);
		json_decref(TAKE_PTR(jwks));
		r = jwks_fetch(ctx, cfg, instance, &jwks);
		if (r < 0)
			goto out;
		r = jwks_find(ctx, jwks, kid, &key);
	}
	if (r == -ENOENT) {
		log_error(ctx, "The attestation token's signing key (kid %s) is not one of %s",
			  kid, jku_want);
		r = -EKEYREJECTED;
		goto out;
	}
	if (r < 0)
		goto out;
	r = jws_verify_sig(ctx, "attestation token", &j, "RS256", key);
	if (r < 0)
		goto out;

	iss = json_string_value(json_object_get(j.payload, "iss"));
	if (!iss || url_origin(iss, false, &iss_origin) < 0 || strcmp(iss_origin, instance) != 0) {
		log_error(ctx, "The attestation token was issued by %s, not by the configured "
			  "attestation service %s", iss ? iss : "(no iss)", instance);
		r = -EKEYREJECTED;
		goto out;
	}
	r = jwt_check_time(ctx, "attestation token", j.payload, cfg->clock_skew_s, time(NULL));
	if (r < 0)
		goto out;
	if (expected_runtime && runtime_exact) {
		rt = json_object_get(j.payload, "x-ms-runtime");
		if (!rt || !json_equal(rt, (json_t *)expected_runtime)) {
			log_error(ctx, "The attestation token's x-ms-runtime %s the runtime data that was "
				  "sent: the token does not attest this request", rt ? "differs from" : "lacks");
			r = -EKEYREJECTED;
			goto out;
		}
	}
	if (claims)
		*claims = json_incref(j.payload);
	r = 0;
out:
	jws_done(&j);
	return r;
}

int cvm_token_verify(struct cvm_ctx *ctx, const struct cvm_config *cfg, const char *instance,
		     const char *token, const char *expected_runtime, char **claims_json)
{
	_cleanup_json_ json_t *rt = NULL, *claims = NULL;
	_cleanup_free_ char *origin = NULL;
	char why[128];
	int r;

	if (!ctx || !instance || !token)
		return -EINVAL;
	if (url_origin(instance, false, &origin) < 0)
		return log_error_errno(ctx, -EINVAL, "%s is not an https:// URL", instance);
	if (expected_runtime) {
		rt = json_parse_object((const uint8_t *)expected_runtime, strlen(expected_runtime),
				       why, sizeof(why));
		if (!rt) {
			log_error(ctx, "The expected runtime data is not a JSON object: %s", why);
			return -EINVAL;
		}
	}
	r = maa_token_verify(ctx, cfg, origin, token, rt, true, &claims);
	if (r < 0)
		return r;
	if (claims_json) {
		*claims_json = json_dumps(claims, JSON_INDENT(2) | JSON_SORT_KEYS);
		if (!*claims_json)
			return -ENOMEM;
	}
	return 0;
}
