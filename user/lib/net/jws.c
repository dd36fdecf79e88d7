// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Compact JWS (RFC 7515) as MAA tokens and Key Vault release responses come:
 * split and decode here, verify the signature through libjose, with the
 * algorithm fixed by the caller's allow-list before libjose sees the token
 * (so "none", or HS256 keyed with the public key, never reach a verifier).
 */
#include <errno.h>
#include <string.h>

#include <jose/jose.h>
#include <jose/openssl.h>
#include <openssl/core_names.h>

#include "net/net.h"


void jws_done(struct jws *j)
{
	if (!j)
		return;
	json_decref(j->header);
	json_decref(j->payload);
	free(j->signing_input);
	free(j->sig);
	for (size_t i = 0; i < 3; i++)
		free(j->parts[i]);
	memset(j, 0, sizeof(*j));
}

int jws_parse(struct cvm_ctx *ctx, const char *what, const char *compact, size_t max,
	      struct jws *ret)
{
	_cleanup_free_ uint8_t *hdr = NULL, *pl = NULL;
	size_t hdr_len, pl_len, len;
	const char *dot1, *dot2;
	char why[256];
	int r;

	memset(ret, 0, sizeof(*ret));
	len = strnlen(compact, max + 1);
	if (len > max)
		return log_error_errno(ctx, -EBADMSG, "The %s is larger than %zu bytes", what, max);
	dot1 = strchr(compact, '.');
	dot2 = dot1 ? strchr(dot1 + 1, '.') : NULL;
	if (!dot1 || !dot2 || strchr(dot2 + 1, '.')) {
		log_error(ctx, "The %s is not a compact JWS (three dot-separated parts)", what);
		return -EBADMSG;
	}
	ret->parts[0] = strndup(compact, (size_t)(dot1 - compact));
	ret->parts[1] = strndup(dot1 + 1, (size_t)(dot2 - dot1 - 1));
	ret->parts[2] = strdup(dot2 + 1);
	ret->signing_input = strndup(compact, (size_t)(dot2 - compact));
	if (!ret->parts[0] || !ret->parts[1] || !ret->parts[2] || !ret->signing_input) {
		jws_done(ret);
		return -ENOMEM;
	}
	r = b64url_decode(ret->parts[0], strlen(ret->parts[0]), &hdr, &hdr_len);
	if (r == 0)
		r = b64url_decode(ret->parts[1], strlen(ret->parts[1]), &pl, &pl_len);
	if (r == 0)
		r = b64url_decode(ret->parts[2], strlen(ret->parts[2]), &ret->sig, &ret->sig_len);
	if (r < 0) {
		log_error(ctx, "The %s is not base64url in all three parts", what);
		jws_done(ret);
		return r == -ENOMEM ? r : -EBADMSG;
	}
	ret->header = json_parse_object(hdr, hdr_len, why, sizeof(why));
	if (!ret->header) {
		log_error(ctx, "The %s header is not a JSON object: %s", what, why);
		jws_done(ret);
		return -EBADMSG;
	}
	ret->payload = json_parse_object(pl, pl_len, why, sizeof(why));
	if (!ret->payload) {
		log_error(ctx, "The %s payload is not a JSON object: %s", what, why);
		jws_done(ret);
		return -EBADMSG;
	}
	/* RFC 7515 4.1.11: we understand no extension, so "crit" means reject. */
	if (json_object_get(ret->header, "crit")) {
		log_error(ctx, "The %s has critical header extensions (crit), which are not supported",
			  what);
		jws_done(ret);
		return -EKEYREJECTED;
	}
	return 0;
}

/* A big-endian unsigned integer parameter of @pkey, base64url (JWK encoding). */
static char *bn_param_b64url(EVP_PKEY *pkey, const char *name)
{
	_cleanup_(BN_freep) BIGNUM *bn = NULL;
	_cleanup_free_ uint8_t *buf = NULL;
	int n;

	if (EVP_PKEY_get_bn_param(pkey, name, &bn) != 1)
		return NULL;
	n = BN_num_bytes(bn);
	buf = malloc(n > 0 ? (size_t)n : 1);
	if (!buf || BN_bn2bin(bn, buf) != n)
		return NULL;
	return b64url_encode(buf, (size_t)n);
}

/*
 * Only n and e are ever rendered: libjose's full JWK would put the private
 * components in ordinary (jansson) memory, outside the secure heap.
 */
json_t *jwk_from_pkey(EVP_PKEY *pkey, const char *kid, const char *key_op)
{
	_cleanup_free_ char *n = bn_param_b64url(pkey, OSSL_PKEY_PARAM_RSA_N);
	_cleanup_free_ char *e = bn_param_b64url(pkey, OSSL_PKEY_PARAM_RSA_E);
	json_t *jwk;

	if (!n || !e)
		return NULL;
	jwk = json_pack("{s:s, s:s, s:s}", "kty", "RSA", "n", n, "e", e);
	if (!jwk)
		return NULL;
	if (kid)
		json_object_set_new(jwk, "kid", json_string(kid));
	if (key_op)
		json_object_set_new(jwk, "key_ops", json_pack("[s]", key_op));
	return jwk;
}

int pkey_from_jwk(const json_t *jwk, EVP_PKEY **ret)
{
	_cleanup_json_ json_t *pub = NULL;
	EVP_PKEY *p;

	if (!json_is_object(jwk) || !json_is_string(json_object_get(jwk, "n")) ||
	    !json_is_string(json_object_get(jwk, "e")))
		return -EBADMSG;
	pub = json_pack("{s:s, s:O, s:O}", "kty", "RSA", "n", json_object_get(jwk, "n"), "e",
			json_object_get(jwk, "e"));
	if (!pub)
		return -ENOMEM;
	p = jose_openssl_jwk_to_EVP_PKEY(NULL, pub);
	if (!p)
		return -EBADMSG;
	*ret = p;
	return 0;
}

int jws_verify_sig(struct cvm_ctx *ctx, const char *what, const struct jws *j, const char *alg,
		   EVP_PKEY *pkey)
{
	_cleanup_json_ json_t *jwk = NULL;
	_cleanup_json_ json_t *obj = NULL;
	const char *hdr_alg = json_string_value(json_object_get(j->header, "alg"));

	/* The caller has checked the allow-list; this guards the plumbing. */
	if (!hdr_alg || strcmp(hdr_alg, alg) != 0)
		return -EKEYREJECTED;
	if (EVP_PKEY_get_base_id(pkey) != EVP_PKEY_RSA || EVP_PKEY_get_bits(pkey) < 2048) {
		log_error(ctx, "The %s signing key is not an RSA key of 2048 bits or more", what);
		return -EKEYREJECTED;
	}
	jwk = jose_openssl_jwk_from_EVP_PKEY(NULL, pkey);
	if (!jwk)
		return -ENOMEM;
	/* Pin the algorithm on the key too: libjose then refuses any other. */
	json_object_set_new(jwk, "alg", json_string(alg));
	obj = json_pack("{s:s, s:s, s:s}", "protected", j->parts[0], "payload", j->parts[1],
			"signature", j->parts[2]);
	if (!obj)
		return -ENOMEM;
	if (!jose_jws_ver(NULL, obj, NULL, jwk, false))
		return log_error_errno(ctx, -EKEYREJECTED, "The %s signature does not verify",
				       what);
	return 0;
}

static void fmt_time(time_t t, char *buf, size_t len)
{
	struct tm tm;

	if (!gmtime_r(&t, &tm) || strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(buf, len, "%lld", (long long)t);
}

/*
 * A NumericDate (RFC 7519 2) from 1970 to 9999: the token is the service's
 * (or a forger's) text, and a value outside that range would overflow the
 * conversion to time_t or the skew arithmetic below (undefined behaviour;
 * found by fuzz/fuzz_jws.c).
 */
#define JWT_TIME_MAX 253402300799LL	/* 9999-12-31T23:59:59Z */

static bool get_time(const json_t *v, time_t *t)
{
	if (json_is_integer(v)) {
		json_int_t i = json_integer_value(v);

		if (i < 0 || i > JWT_TIME_MAX)
			return false;
		*t = (time_t)i;
		return true;
	}
	if (json_is_real(v)) {
		double d = json_real_value(v);

		/* also false for NaN */
		if (!(d >= 0 && d <= (double)JWT_TIME_MAX))
			return false;
		*t = (time_t)d;
		return true;
	}
	return false;
}

int jwt_check_time(struct cvm_ctx *ctx, const char *what, const json_t *payload, long skew_s,
		   time_t now)
{
	json_t *v;
	time_t exp, nbf;
	char a[32], b[32];

	v = json_object_get(payload, "exp");
	if (!get_time(v, &exp))
		return log_error_errno(ctx, -EBADMSG, "The %s has no expiry (exp, a date from 1970 "
				       "to 9999)", what);
	if (now > exp + skew_s) {
		fmt_time(exp, a, sizeof(a));
		fmt_time(now, b, sizeof(b));
		log_error(ctx, "The %s expired at %s (now %s, clock_skew %ld s); check the clock if "
			  "this is unexpected", what, a, b, skew_s);
		return -EKEYEXPIRED;
	}
	v = json_object_get(payload, "nbf");
	if (v && !get_time(v, &nbf))
		return log_error_errno(ctx, -EBADMSG, "The %s has a malformed nbf", what);
	if (v && now + skew_s < nbf) {
		fmt_time(nbf, a, sizeof(a));
		fmt_time(now, b, sizeof(b));
		log_error(ctx, "The %s is not valid before %s (now %s, clock_skew %ld s); check the "
			  "clock", what, a, b, skew_s);
		return -EKEYEXPIRED;
	}
	return 0;
}
