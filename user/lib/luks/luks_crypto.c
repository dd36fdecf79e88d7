// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Key material of the LUKS binding and the two operations done on it:
 * HKDF-SHA-256 (RFC 5869) and AES-256-GCM (NIST SP 800-38D).
 *
 * Both run in the kernel crypto API through libkcapi (AF_ALG), as
 * DESIGN.md asks, so that a FIPS kernel's validated implementations are
 * the ones used.  OpenSSL is the fallback, for one reason: AF_ALG is not
 * always there: kernels built without CONFIG_CRYPTO_USER_API_{HASH,AEAD},
 * sandboxes that refuse the socket family (this project's build hosts
 * among them), initramfs images without algif_hash, algif_aead or
 * crypto_user (libkcapi asks NETLINK_CRYPTO about every algorithm and gives
 * up without it: -EPROTONOSUPPORT), or gcm/ctr/ghash.  The fallback
 * is taken only when the kernel cannot do the operation at all, never
 * after it has answered (an authentication failure is final), it is logged
 * at debug level, and cvm_luks_set_crypto(CVM_LUKS_CRYPTO_KERNEL) forbids it.
 * Both compute the same functions, so a token made by one opens with the
 * other (tests/vm/guest-luks.sh checks it both ways).
 *
 * Secrets sit in their own pages: locked (mlock; a failure to lock, e.g.
 * RLIMIT_MEMLOCK, is logged nowhere and tolerated: the data is still wiped),
 * excluded from core dumps (MADV_DONTDUMP) and wiped with explicit_bzero()
 * before they are unmapped.  Nothing here logs a byte of them.
 */
#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <unistd.h>

#include <kcapi.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>

#include "luks/luks.h"


int luks_random(void *buf, size_t len)
{
	uint8_t *p = buf;

	while (len > 0) {
		ssize_t n = getrandom(p, len, 0);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* ---- backend choice ------------------------------------------------------------------ */

/* The choice and the last backend used are the context's: no global state. */
void cvm_luks_set_crypto(struct cvm_ctx *ctx, enum cvm_luks_crypto c)
{
	if (ctx)
		ctx->crypto_backend = (int)c;
}

int cvm_luks_crypto_from_name(const char *name, enum cvm_luks_crypto *ret)
{
	static const char *const names[] = {
		[CVM_LUKS_CRYPTO_AUTO] = "auto",
		[CVM_LUKS_CRYPTO_KERNEL] = "kernel",
		[CVM_LUKS_CRYPTO_OPENSSL] = "openssl",
	};

	for (size_t i = 0; i < ELEMENTSOF(names); i++)
		if (name && strcmp(name, names[i]) == 0) {
			*ret = (enum cvm_luks_crypto)i;
			return 0;
		}
	return -EINVAL;
}

const char *luks_crypto_last_backend(const struct cvm_ctx *ctx)
{
	return ctx && ctx->crypto_last ? ctx->crypto_last : "none";
}

static void kcapi_quiet(void)
{
	/* libkcapi prints its errors to stderr by default; we report ours */
	kcapi_set_verbosity(KCAPI_LOG_NONE);
}

static bool use_kernel(const struct cvm_ctx *ctx)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;

	if (ctx->crypto_backend == CVM_LUKS_CRYPTO_OPENSSL)
		return false;
	pthread_once(&once, kcapi_quiet);
	return true;
}

/*
 * After a kernel failure @r: go on with OpenSSL (0) or give up (r).  Only
 * AUTO falls back.
 */
static int kernel_failed(struct cvm_ctx *ctx, const char *what, int r)
{
	if (ctx->crypto_backend == CVM_LUKS_CRYPTO_KERNEL) {
		log_error(ctx, "The kernel crypto API cannot do %s (%s) and the kernel backend was "
			  "required; load algif_hash, algif_aead and crypto_user, or allow the OpenSSL "
			  "fallback",
			  what, strerror(-r));
		return r;
	}
	log_debug(ctx, "The kernel crypto API cannot do %s (%s); using OpenSSL", what, strerror(-r));
	return 0;
}

/* ---- HKDF ---------------------------------------------------------------------------- */

static int hkdf_kernel(const struct cvm_secret *k, const uint8_t *salt, uint8_t *out)
{
	ssize_t r = kcapi_hkdf("hmac(sha256)", k->data, k->len, salt, LUKS_SALT_LEN,
			       (const uint8_t *)LUKS_HKDF_INFO, strlen(LUKS_HKDF_INFO), out, LUKS_KEK_LEN);

	return r < 0 ? (int)r : 0;
}

static int hkdf_openssl(struct cvm_ctx *ctx, const struct cvm_secret *k,
			const uint8_t *salt, uint8_t *out)
{
	EVP_KDF *kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
	EVP_KDF_CTX *kctx = kdf ? EVP_KDF_CTX_new(kdf) : NULL;
	OSSL_PARAM params[5];
	int r = -EIO;

	EVP_KDF_free(kdf);
	if (!kctx) {
		log_openssl(ctx, "HKDF");
		return -ENOMEM;
	}
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)"SHA256", 0);
	params[1] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, k->data, k->len);
	params[2] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, (void *)salt, LUKS_SALT_LEN);
	params[3] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, (void *)LUKS_HKDF_INFO,
						      strlen(LUKS_HKDF_INFO));
	params[4] = OSSL_PARAM_construct_end();
	if (EVP_KDF_derive(kctx, out, LUKS_KEK_LEN, params) == 1)
		r = 0;
	else
		log_openssl(ctx, "HKDF");
	EVP_KDF_CTX_free(kctx);
	return r;
}

int luks_derive_kek(struct cvm_ctx *ctx, const struct cvm_secret *k,
		    const uint8_t salt[LUKS_SALT_LEN], struct cvm_secret **ret)
{
	_cleanup_secret_ struct cvm_secret *kek = NULL;
	int r;

	if (!k || k->len < LUKS_KEY_MIN || k->len > LUKS_KEY_MAX)
		return -EINVAL;
	r = cvm_secret_new(LUKS_KEK_LEN, &kek);
	if (r < 0)
		return r;
	if (use_kernel(ctx)) {
		r = hkdf_kernel(k, salt, kek->data);
		if (r == 0) {
			ctx->crypto_last = "kernel";
			*ret = TAKE_PTR(kek);
			return 0;
		}
		r = kernel_failed(ctx, "HKDF with hmac(sha256)", r);
		if (r < 0)
			return r;
	}
	r = hkdf_openssl(ctx, k, salt, kek->data);
	if (r < 0)
		return r;
	ctx->crypto_last = "openssl";
	*ret = TAKE_PTR(kek);
	return 0;
}

/* ---- AES-256-GCM ------------------------------------------------------------------------ */

DEFINE_TRIVIAL_CLEANUP_FUNC(struct kcapi_handle *, kcapi_aead_destroy)
DEFINE_TRIVIAL_CLEANUP_FUNC(EVP_CIPHER_CTX *, EVP_CIPHER_CTX_free)

static int gcm_kernel_handle(const struct cvm_secret *kek, size_t aad_len,
			     struct kcapi_handle **ret)
{
	_cleanup_(kcapi_aead_destroyp) struct kcapi_handle *h = NULL;
	int r;

	r = kcapi_aead_init(&h, "gcm(aes)", 0);
	if (r < 0)
		return r;
	if (kcapi_aead_ivsize(h) != LUKS_NONCE_LEN)
		return -EINVAL;
	r = kcapi_aead_setkey(h, kek->data, (uint32_t)kek->len);
	if (r < 0)
		return r;
	r = kcapi_aead_settaglen(h, LUKS_TAG_LEN);
	if (r < 0)
		return r;
	kcapi_aead_setassoclen(h, aad_len);
	*ret = TAKE_PTR(h);
	return 0;
}

/*
 * AF_ALG AEAD layout (kernel 4.9+): encrypt AAD||P -> AAD||C||T, decrypt
 * AAD||C||T -> AAD||P.  Done in place in a locked buffer, since P is in it.
 */
static int seal_kernel(const struct cvm_secret *kek, const uint8_t *nonce, const uint8_t *aad,
		       size_t aad_len, const struct cvm_secret *plain, uint8_t *ct, uint8_t *tag)
{
	_cleanup_(kcapi_aead_destroyp) struct kcapi_handle *h = NULL;
	_cleanup_secret_ struct cvm_secret *buf = NULL;
	size_t len = aad_len + plain->len + LUKS_TAG_LEN;
	ssize_t n;
	int r;

	r = gcm_kernel_handle(kek, aad_len, &h);
	if (r < 0)
		return r;
	r = cvm_secret_new(len, &buf);
	if (r < 0)
		return r;
	memcpy(buf->data, aad, aad_len);
	memcpy(buf->data + aad_len, plain->data, plain->len);
	n = kcapi_aead_encrypt(h, buf->data, aad_len + plain->len, nonce, buf->data, len,
			       KCAPI_ACCESS_SENDMSG);
	if (n < 0)
		return (int)n;
	if ((size_t)n != len)
		return -EIO;
	memcpy(ct, buf->data + aad_len, plain->len);
	memcpy(tag, buf->data + aad_len + plain->len, LUKS_TAG_LEN);
	return 0;
}

static int open_kernel(const struct cvm_secret *kek, const uint8_t *nonce, const uint8_t *aad,
		       size_t aad_len, const uint8_t *ct, size_t ct_len, const uint8_t *tag,
		       struct cvm_secret *plain)
{
	_cleanup_(kcapi_aead_destroyp) struct kcapi_handle *h = NULL;
	_cleanup_secret_ struct cvm_secret *buf = NULL;
	size_t len = aad_len + ct_len + LUKS_TAG_LEN;
	ssize_t n;
	int r;

	r = gcm_kernel_handle(kek, aad_len, &h);
	if (r < 0)
		return r;
	r = cvm_secret_new(len, &buf);
	if (r < 0)
		return r;
	memcpy(buf->data, aad, aad_len);
	memcpy(buf->data + aad_len, ct, ct_len);
	memcpy(buf->data + aad_len + ct_len, tag, LUKS_TAG_LEN);
	n = kcapi_aead_decrypt(h, buf->data, len, nonce, buf->data, aad_len + ct_len,
			       KCAPI_ACCESS_SENDMSG);
	if (n < 0)
		return (int)n;	/* -EBADMSG: the tag does not match */
	if ((size_t)n != aad_len + ct_len)
		return -EIO;
	memcpy(plain->data, buf->data + aad_len, ct_len);
	return 0;
}

static int gcm_openssl(struct cvm_ctx *ctx, bool enc, const struct cvm_secret *kek,
		       const uint8_t *nonce, const uint8_t *aad, size_t aad_len, const uint8_t *in,
		       size_t len, uint8_t *out, uint8_t *tag)
{
	_cleanup_(EVP_CIPHER_CTX_freep) EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	int n, fin;

	if (!c)
		return -ENOMEM;
	if (aad_len > INT32_MAX || len > INT32_MAX ||
	    EVP_CipherInit_ex(c, EVP_aes_256_gcm(), NULL, NULL, NULL, enc) != 1 ||
	    EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_IVLEN, LUKS_NONCE_LEN, NULL) != 1 ||
	    EVP_CipherInit_ex(c, NULL, NULL, kek->data, nonce, enc) != 1 ||
	    EVP_CipherUpdate(c, NULL, &n, aad, (int)aad_len) != 1 ||
	    EVP_CipherUpdate(c, out, &n, in, (int)len) != 1 || (size_t)n != len ||
	    (!enc && EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, LUKS_TAG_LEN, tag) != 1)) {
		log_openssl(ctx, "AES-GCM");
		return -EIO;
	}
	fin = EVP_CipherFinal_ex(c, out + n, &n);
	if (!enc) {
		ERR_clear_error();	/* a tag mismatch is an answer, not an error to log */
		return fin == 1 ? 0 : -EBADMSG;
	}
	if (fin != 1 || EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, LUKS_TAG_LEN, tag) != 1) {
		log_openssl(ctx, "AES-GCM");
		return -EIO;
	}
	return 0;
}

int luks_aead_seal(struct cvm_ctx *ctx, const struct cvm_secret *kek,
		   const uint8_t nonce[LUKS_NONCE_LEN], const uint8_t *aad, size_t aad_len,
		   const struct cvm_secret *plain, uint8_t *ct, uint8_t tag[LUKS_TAG_LEN])
{
	int r;

	if (!kek || kek->len != LUKS_KEK_LEN || aad_len > LUKS_AAD_MAX || !plain)
		return -EINVAL;
	if (use_kernel(ctx)) {
		r = seal_kernel(kek, nonce, aad, aad_len, plain, ct, tag);
		if (r == 0) {
			ctx->crypto_last = "kernel";
			return 0;
		}
		r = kernel_failed(ctx, "AES-GCM with gcm(aes)", r);
		if (r < 0)
			return r;
	}
	r = gcm_openssl(ctx, true, kek, nonce, aad, aad_len, plain->data, plain->len, ct, tag);
	if (r == 0)
		ctx->crypto_last = "openssl";
	return r;
}

int luks_aead_open(struct cvm_ctx *ctx, const struct cvm_secret *kek,
		   const uint8_t nonce[LUKS_NONCE_LEN], const uint8_t *aad, size_t aad_len,
		   const uint8_t *ct, size_t ct_len, const uint8_t tag[LUKS_TAG_LEN],
		   struct cvm_secret **ret)
{
	_cleanup_secret_ struct cvm_secret *plain = NULL;
	int r;

	if (!kek || kek->len != LUKS_KEK_LEN || aad_len > LUKS_AAD_MAX)
		return -EINVAL;
	r = cvm_secret_new(ct_len, &plain);
	if (r < 0)
		return r;
	if (use_kernel(ctx)) {
		r = open_kernel(kek, nonce, aad, aad_len, ct, ct_len, tag, plain);
		if (r == 0 || r == -EBADMSG) {
			ctx->crypto_last = "kernel";
			if (r < 0)
				return r;
			*ret = TAKE_PTR(plain);
			return 0;
		}
		r = kernel_failed(ctx, "AES-GCM with gcm(aes)", r);
		if (r < 0)
			return r;
	}
	r = gcm_openssl(ctx, false, kek, nonce, aad, aad_len, ct, ct_len, plain->data, (uint8_t *)tag);
	ctx->crypto_last = "openssl";
	if (r < 0)
		return r;
	*ret = TAKE_PTR(plain);
	return 0;
}
