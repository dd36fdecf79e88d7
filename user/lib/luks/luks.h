/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libcvmattest, layer "luks": the LUKS2 binding (luks*.c); shared with
 * tests/unit/test-luks.c.
 */
#ifndef CVM_LUKS_INTERNAL_H
#define CVM_LUKS_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "libcvmattest-luks.h"
#include "release/release.h"

/* ---- sizes of the v1 token (Documentation/admin-guide/cvmattest-luks.rst) ---- */

#define LUKS_PASSPHRASE_LEN 32		/* P: 256 random bits */
#define LUKS_KEK_LEN 32			/* AES-256 */
#define LUKS_SALT_LEN 32		/* HKDF salt, per token */
#define LUKS_NONCE_LEN 12		/* GCM IV (NIST SP 800-38D: 96 bits) */
#define LUKS_TAG_LEN 16
#define LUKS_KEY_MIN 16			/* K: shortest released key accepted */
#define LUKS_KEY_MAX 16384		/* K: an RSA-4096 PKCS#8 is about 2.4 KiB */
#define LUKS_AAD_MAX 16384		/* AF_ALG takes at most 16 pages at once */

#define LUKS_KDF_NAME "hkdf-sha256"
#define LUKS_AEAD_NAME "aes-256-gcm"
#define LUKS_HKDF_INFO "cvmattest-luks-v1 kek"
#define LUKS_AAD_PREFIX "cvmattest-luks-v1"	/* followed by a NUL byte */

/*
 * The high-entropy keyslot: PBKDF2-SHA256 with the fewest iterations
 * libcryptsetup accepts, as systemd-cryptenroll does for its random
 * secrets: P has 256 bits, so stretching adds nothing but boot time.
 */
#define LUKS_PBKDF_HASH "sha256"
#define LUKS_PBKDF_ITERATIONS 1000

/* ---- crypto (luks_crypto.c) ------------------------------------------------------- */

int luks_random(void *buf, size_t len);
/* KEK = HKDF-SHA-256(IKM = K, salt, info = LUKS_HKDF_INFO), 32 bytes. */
int luks_derive_kek(struct cvm_ctx *ctx, const struct cvm_secret *k,
		    const uint8_t salt[LUKS_SALT_LEN], struct cvm_secret **ret);
int luks_aead_seal(struct cvm_ctx *ctx, const struct cvm_secret *kek,
		   const uint8_t nonce[LUKS_NONCE_LEN], const uint8_t *aad, size_t aad_len,
		   const struct cvm_secret *plain, uint8_t *ct, uint8_t tag[LUKS_TAG_LEN]);
/* -EBADMSG when the tag does not match. */
int luks_aead_open(struct cvm_ctx *ctx, const struct cvm_secret *kek,
		   const uint8_t nonce[LUKS_NONCE_LEN], const uint8_t *aad, size_t aad_len,
		   const uint8_t *ct, size_t ct_len, const uint8_t tag[LUKS_TAG_LEN],
		   struct cvm_secret **ret);
/* Which backend did the last operation: "kernel" or "openssl" (for tests and logs). */
const char *luks_crypto_last_backend(const struct cvm_ctx *ctx);

/* ---- token (luks_token.c): the one definition of the format ------------------------ */

struct luks_token {
	int version;
	int keyslot;
	struct cvm_luks_binding binding;
	char *key_id;
	uint8_t salt[LUKS_SALT_LEN];
	uint8_t nonce[LUKS_NONCE_LEN];
	uint8_t wrapped[LUKS_PASSPHRASE_LEN];
	uint8_t tag[LUKS_TAG_LEN];
	json_t *header;			/* version 2: the header binding (luks_header.c); v1: NULL */
};

void luks_token_done(struct luks_token *t);
/* Strict: unknown or missing fields, wrong sizes or types are -EBADMSG (@why says which). */
int luks_token_parse(const char *json, struct luks_token *t, char *why, size_t why_len);
int luks_token_format(const struct luks_token *t, char **ret);
/* "cvmattest-luks-v1" NUL canonical-JSON(authenticated fields + uuid + keyslot). */
int luks_token_aad(const struct luks_token *t, const char *uuid, uint8_t **ret, size_t *ret_len);
/* Fill salt, nonce, wrapped, tag: P sealed under HKDF(K). */
int luks_token_wrap(struct cvm_ctx *ctx, struct luks_token *t, const char *uuid,
		    const struct cvm_secret *k, const struct cvm_secret *p);
/* P, or -EKEYREJECTED when K is wrong or the token/uuid/keyslot do not match. */
int luks_token_unwrap(struct cvm_ctx *ctx, const struct luks_token *t, const char *uuid,
		      const struct cvm_secret *k, struct cvm_secret **ret);
/* Printable ASCII, 1..4096 bytes: what a token string may hold. */
bool luks_string_ok(const char *s);


/* ---- header binding (luks_header.c) --------------------------------------------------- */

/*
 * Version 1 tokens (cvmattest before the header binding) have no "header":
 * they are read, so that unlock can say what to do (bind --refresh) and
 * refresh can unwrap them, but never opened.
 */
#define LUKS_TOKEN_VERSION_NO_HEADER 1

struct crypt_device;

/* The binding of keyslot @keyslot from a crypt_dump_json() text; @why says what is missing. */
int luks_header_binding_from_json(const char *dump, int keyslot, json_t **ret, char *why,
				  size_t why_len);
/* The same from @cd's header as libcryptsetup holds it in memory. */
int luks_header_binding(struct cvm_ctx *ctx, struct crypt_device *cd, int keyslot, json_t **ret);
/* -EPERM, with a message per field, if a segment or the keyslot area uses a null cipher. */
int luks_header_refuse_null_cipher(struct cvm_ctx *ctx, const char *device, const json_t *b);
/*
 * Log (at @level) every difference between two bindings, as
 * "DEV: segments.0.encryption changed: bound X, <now_word> Y"; the count.
 */
int luks_header_diff(struct cvm_ctx *ctx, const char *device, int level, const char *now_word,
		     const json_t *bound, const json_t *now);

/* ---- active mappings (luks_active.c) ---------------------------------------------------- */

/*
 * Is the device-mapper device @name this volume unlocked: dm-crypt over
 * @device, at @cd's (its LUKS2 header's) data offset, with its cipher?
 * 0 if so, -ENOENT if there is no mapping @name, -EEXIST (with a message
 * saying what differs) if @name is something else.
 */
struct crypt_device;
int luks_active_is(struct cvm_ctx *ctx, struct crypt_device *cd, const char *device,
		   const char *name);


/* ---- fault injection for the unit tests ---------------------------------------------- */

enum luks_step {
	LUKS_STEP_BIND_KEYSLOT,		/* header saved, keyslot not yet added */
	LUKS_STEP_BIND_TOKEN,		/* keyslot added; *json is the token about to be stored */
	LUKS_STEP_BIND_VERIFY,		/* token stored, not yet read back */
	LUKS_STEP_BIND_DONE,		/* read back and verified: the last chance to fail */
	LUKS_STEP_RESTORE,		/* about to write the saved header back */
	LUKS_STEP_UNBIND_KEYSLOT,	/* token removed, keyslot not yet destroyed */
};

/*
 * NULL in production.  A test sets it; a negative return fails the
 * operation at that step with that errno.  At LUKS_STEP_BIND_TOKEN the hook
 * may replace *json (free the old one, malloc the new one).
 */
extern int (*luks_test_hook)(enum luks_step step, char **json);

#endif
