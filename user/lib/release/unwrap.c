// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Unwrapping a released key (reference 4.5-4.6): key_hsm is base64url JSON
 * {schema_version, header{kid, alg:"dir", enc}, ciphertext}, and
 *   ciphertext = RSA-OAEP(transfer key, AES key) || AES-KWP(AES key, key)
 * with the OAEP (and MGF1) hash SHA-1 for CKM_RSA_AES_KEY_WRAP, SHA-256 for
 * RSA_AES_KEY_WRAP_256, SHA-384 for RSA_AES_KEY_WRAP_384, and AES key wrap
 * with padding of RFC 5649 (OpenSSL's AES-<n>-WRAP-PAD).  The AES key and
 * the result live in locked, wiped buffers (secret.c); the material goes out
 * only to a file descriptor or a kernel keyring.
 */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include <keyutils.h>
#include <openssl/core_names.h>
#include <openssl/rsa.h>

#include "release/release.h"


int unwrap_rsa_oaep_soft(struct cvm_ctx *ctx, EVP_PKEY *key, const char *hash,
			 const uint8_t *in, size_t in_len, struct cvm_secret **ret)
{
	_cleanup_(EVP_PKEY_CTX_freep) EVP_PKEY_CTX *pc = NULL;
	_cleanup_(cvm_secret_freep) struct cvm_secret *out = NULL;
	size_t out_len;
	int r;

	pc = EVP_PKEY_CTX_new(key, NULL);
	if (!pc)
		return -ENOMEM;
	if (EVP_PKEY_decrypt_init(pc) != 1 ||
	    EVP_PKEY_CTX_set_rsa_padding(pc, RSA_PKCS1_OAEP_PADDING) != 1 ||
	    EVP_PKEY_CTX_set_rsa_oaep_md_name(pc, hash, NULL) != 1 ||
	    EVP_PKEY_CTX_set_rsa_mgf1_md_name(pc, hash, NULL) != 1 ||
	    EVP_PKEY_decrypt(pc, NULL, &out_len, in, in_len) != 1) {
		log_openssl(ctx, "RSA-OAEP setup");
		return -EIO;
	}
	r = cvm_secret_new(out_len, &out);
	if (r < 0)
		return r;
	if (EVP_PKEY_decrypt(pc, out->data, &out_len, in, in_len) != 1) {
		log_openssl(ctx, "RSA-OAEP");
		log_error(ctx, "RSA-OAEP (%s) decryption of the wrapped AES key failed: the key was "
			  "not wrapped to this transfer key, or with another enc", hash);
		return -EKEYREJECTED;
	}
	out->len = out_len;
	*ret = TAKE_PTR(out);
	return 0;
}

int unwrap_aes_kwp(struct cvm_ctx *ctx, const struct cvm_secret *kek, const uint8_t *in,
		   size_t in_len, struct cvm_secret **ret)
{
	_cleanup_(cvm_secret_freep) struct cvm_secret *out = NULL;
	EVP_CIPHER_CTX *cc = NULL;
	EVP_CIPHER *cipher = NULL;
	const char *name;
	int n1 = 0, n2 = 0, r;

	switch (kek->len) {
	case 16:
		name = "AES-128-WRAP-PAD";
		break;
	case 24:
		name = "AES-192-WRAP-PAD";
		break;
	case 32:
		name = "AES-256-WRAP-PAD";
		break;
	default:
		log_error(ctx, "The unwrapped AES key has %zu bytes, not 16, 24 or 32", kek->len);
		return -EBADMSG;
	}
	if (in_len < 16 || in_len % 8 || in_len > (1 << 20)) {
		log_error(ctx, "The AES key wrap part is %zu bytes: not a multiple of 8 of at least 16",
			  in_len);
		return -EBADMSG;
	}
	r = cvm_secret_new(in_len, &out);
	if (r < 0)
		return r;
	cipher = EVP_CIPHER_fetch(NULL, name, NULL);
	cc = EVP_CIPHER_CTX_new();
	if (!cipher || !cc) {
		r = -ENOMEM;
		goto out;
	}
	if (EVP_DecryptInit_ex2(cc, cipher, kek->data, NULL, NULL) != 1 ||
	    EVP_DecryptUpdate(cc, out->data, &n1, in, (int)in_len) != 1 ||
	    EVP_DecryptFinal_ex(cc, out->data + n1, &n2) != 1) {
		log_openssl(ctx, "AES-KWP");
		log_error(ctx, "AES key unwrap (RFC 5649) failed its integrity check: the released "
			  "key is corrupt or was wrapped with another key");
		r = -EKEYREJECTED;
		goto out;
	}
	out->len = (size_t)n1 + (size_t)n2;
	*ret = TAKE_PTR(out);
	r = 0;
out:
	EVP_CIPHER_CTX_free(cc);	/* cleanses the key schedule */
	EVP_CIPHER_free(cipher);
	return r;
}

void cvm_key_free(struct cvm_key *k)
{
	if (!k)
		return;
	cvm_secret_free(k->material);
	free(k->kid);
	free(k);
}

const uint8_t *cvm_key_data(const struct cvm_key *k, size_t *len)
{
	if (!k || !k->material)
		return NULL;
	if (len)
		*len = k->material->len;
	return k->material->data;
}

const char *cvm_key_kty(const struct cvm_key *k)
{
	return k ? k->kty : NULL;
}

const char *cvm_key_format(const struct cvm_key *k)
{
	return k ? k->format : NULL;
}

const char *cvm_key_kid(const struct cvm_key *k)
{
	return k ? k->kid : NULL;
}

/* The key_hsm blob -> (enc, kid, ciphertext). */
static int key_hsm_parse(struct cvm_ctx *ctx, const char *key_hsm, char *enc, size_t enc_len,
			 char *kid, size_t kid_len, uint8_t **ct, size_t *ct_len)
{
	_cleanup_free_ uint8_t *raw = NULL;
	_cleanup_json_ json_t *obj = NULL;
	const char *e, *k, *alg, *c;
	json_t *hdr;
	size_t raw_len;
	char why[128];

	if (b64url_decode(key_hsm, strlen(key_hsm), &raw, &raw_len) < 0 ||
	    !(obj = json_parse_object(raw, raw_len, why, sizeof(why))))
		return log_error_errno(ctx, -EBADMSG, "key_hsm is not base64url of a JSON object");
	hdr = json_object_get(obj, "header");
	e = json_string_value(json_object_get(hdr, "enc"));
	k = json_string_value(json_object_get(hdr, "kid"));
	alg = json_string_value(json_object_get(hdr, "alg"));
	c = json_string_value(json_object_get(obj, "ciphertext"));
	if (!json_is_object(hdr) || !e || !c)
		return log_error_errno(ctx, -EBADMSG, "key_hsm lacks header.enc or ciphertext");
	if (alg && strcmp(alg, "dir") != 0)
		return log_error_errno(ctx, -EBADMSG, "key_hsm header.alg is \"%s\", not \"dir\"",
				       alg);
	snprintf(enc, enc_len, "%s", e);
	snprintf(kid, kid_len, "%s", k ? k : "");
	if (b64url_decode(c, strlen(c), ct, ct_len) < 0)
		return log_error_errno(ctx, -EBADMSG, "key_hsm ciphertext is not base64url");
	return 0;
}

/* RSA-OAEP by the software transfer key or by the vTPM, then RFC 5649. */
int unwrap_key_hsm(struct cvm_ctx *ctx, const char *key_hsm, const char *expect_enc,
			 const char *expect_kid, EVP_PKEY *soft, struct tpm_session *tpm,
			 struct cvm_key **ret)
{
	_cleanup_(cvm_secret_freep) struct cvm_secret *aes = NULL, *material = NULL;
	_cleanup_free_ uint8_t *ct = NULL;
	struct cvm_key *k;
	char enc[64], kid[256];
	const char *hash;
	size_t ct_len, mod;
	int r;

	r = key_hsm_parse(ctx, key_hsm, enc, sizeof(enc), kid, sizeof(kid), &ct, &ct_len);
	if (r < 0)
		return r;
	hash = enc_oaep_hash(enc);
	if (!hash) {
		log_error(ctx, "key_hsm is wrapped with \"%s\", which is not supported", enc);
		return -EBADMSG;
	}
	if (expect_enc && strcmp(enc, expect_enc) != 0) {
		log_error(ctx, "Key Vault wrapped the key with %s, not with the %s that was asked for",
			  enc, expect_enc);
		return -EBADMSG;
	}
	if (expect_kid && kid[0] && strcmp(kid, expect_kid) != 0) {
		log_error(ctx, "Key Vault wrapped the key to \"%s\", not to our transfer key \"%s\"",
			  kid, expect_kid);
		return -EKEYREJECTED;
	}
	mod = soft ? (size_t)EVP_PKEY_get_size(soft) : (size_t)tpm_modulus_bytes(tpm);
	if (ct_len <= mod) {
		log_error(ctx, "key_hsm ciphertext is %zu bytes, too short for a %zu-bit RSA block "
			  "plus a wrapped key", ct_len, mod * 8);
		return -EBADMSG;
	}
	if (soft)
		r = unwrap_rsa_oaep_soft(ctx, soft, hash, ct, mod, &aes);
	else
		r = tpm_rsa_oaep_decrypt(ctx, tpm, hash, ct, mod, &aes);
	if (r < 0)
		return r;
	r = unwrap_aes_kwp(ctx, aes, ct + mod, ct_len - mod, &material);
	if (r < 0)
		return r;
	k = calloc(1, sizeof(*k));
	if (!k)
		return -ENOMEM;
	k->material = TAKE_PTR(material);
	snprintf(k->format, sizeof(k->format), "raw");
	*ret = k;
	log_debug(ctx, "Unwrapped %zu bytes of key material (%s)", k->material->len, enc);
	return 0;
}

int cvm_unwrap_key_hsm(struct cvm_ctx *ctx, const char *key_hsm, void *transfer_key,
		       const char *expect_enc, struct cvm_key **ret)
{
	if (!ctx || !key_hsm || !transfer_key || !ret)
		return -EINVAL;
	return unwrap_key_hsm(ctx, key_hsm, expect_enc, NULL, transfer_key, NULL, ret);
}

int cvm_key_write_fd(struct cvm_ctx *ctx, const struct cvm_key *k, int fd)
{
	const uint8_t *p;
	size_t len;
	struct stat st;

	if (!k || fd < 0)
		return -EINVAL;
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode))
		log_warning(ctx, "File descriptor %d is a regular file: the key is now stored on disk",
			    fd);
	p = k->material->data;
	len = k->material->len;
	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			log_error(ctx, "Cannot write the key to file descriptor %d: %s", fd,
				  strerror(errno));
			return -errno;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int keyring_id(const char *s, key_serial_t *ret)
{
	static const struct {
		const char *name;
		key_serial_t id;
	} names[] = {
		{ "@t", KEY_SPEC_THREAD_KEYRING },  { "@p", KEY_SPEC_PROCESS_KEYRING },
		{ "@s", KEY_SPEC_SESSION_KEYRING }, { "@u", KEY_SPEC_USER_KEYRING },
		{ "@us", KEY_SPEC_USER_SESSION_KEYRING },
	};
	char *end;
	long v;

	for (size_t i = 0; i < ELEMENTSOF(names); i++)
		if (strcmp(s, names[i].name) == 0) {
			*ret = names[i].id;
			return 0;
		}
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v <= 0 || v > INT32_MAX)
		return -EINVAL;
	*ret = (key_serial_t)v;
	return 0;
}

int cvm_key_to_keyring(struct cvm_ctx *ctx, const struct cvm_key *k, const char *type,
		       const char *description, const char *keyring, int32_t *serial)
{
	key_serial_t ring, id;

	if (!k || !type || !description || !*description)
		return -EINVAL;
	if (strcmp(type, "user") != 0 && strcmp(type, "logon") != 0) {
		log_error(ctx, "Key type \"%s\": only user and logon keys are supported", type);
		return -EINVAL;
	}
	if (strcmp(type, "logon") == 0 && !strchr(description, ':')) {
		log_error(ctx, "A logon key's description needs a \"prefix:\" (e.g. cvmattest:%s)",
			  description);
		return -EINVAL;
	}
	if (keyring_id(keyring ? keyring : "@u", &ring) < 0) {
		log_error(ctx, "Keyring \"%s\": @u, @s, @us, @p, @t or a serial number expected",
			  keyring);
		return -EINVAL;
	}
	id = add_key(type, description, k->material->data, k->material->len, ring);
	if (id < 0) {
		int e = errno;

		log_error(ctx, "Cannot add the key \"%s\" to keyring %s: %s", description,
			  keyring ? keyring : "@u", strerror(e));
		return -e;
	}
	if (serial)
		*serial = id;
	return 0;
}
