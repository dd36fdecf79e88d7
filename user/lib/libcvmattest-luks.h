/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libcvmattest, disk half: bind a LUKS2 volume to a key that only an
 * attested confidential VM can obtain, and unlock it with that key.
 *
 *   cvm_luks_bind()     obtain the released key K from a key source, add a
 *                       keyslot for a fresh random passphrase P, store a
 *                       LUKS2 token of type "cvmattest" holding P wrapped
 *                       under K (HKDF-SHA-256 + AES-256-GCM) and where K
 *                       comes from; all or nothing
 *   cvm_luks_unlock()   read the token, obtain K, unwrap P, check the LUKS2
 *                       header against the token's binding, activate the
 *                       volume through the token's keyslot; never writes
 *                       the header
 *   cvm_luks_refresh()  bind the header anew (after a change of one's own)
 *   cvm_luks_unbind()   remove a token and its keyslot
 *   cvm_luks_list()     the tokens of a volume
 *
 * The token format, the key hierarchy and the exit codes of the CLI are in
 * Documentation/admin-guide/cvmattest-luks.rst.
 *
 * Same conventions as libcvmattest.h: 0 or -errno, messages through the
 * context's log callback (libcryptsetup's own messages are passed on at
 * INFO and DEBUG level).  Calls that can fail for several reasons also say
 * which kind of failure it was (enum cvm_luks_fail), so that a caller can
 * tell the operator what to fix; the errno stays the precise cause.
 *
 * Secrets (K, P, the key-encryption key, the passphrase that authorizes a
 * bind) live in locked, non-dumpable memory that is wiped when freed, and
 * never reach a log message, argv, the environment or a file.
 */
#ifndef LIBCVMATTEST_LUKS_H
#define LIBCVMATTEST_LUKS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "libcvmattest.h"

#ifdef __cplusplus
extern "C" {
#endif

#define CVM_LUKS_TOKEN_TYPE "cvmattest"
#define CVM_LUKS_TOKEN_VERSION 2	/* 2: with the LUKS2 header binding */

#ifndef CVM_DEFAULT_CONFIG		/* also in libcvmattest-attest.h */
#define CVM_DEFAULT_CONFIG "/etc/cvmattest/cvmattest.conf"
#endif

/* ---- binding: where the key comes from ---------------------------------------------- */

/*
 * The "release" part of a token: the cvm_config keys (see
 * libcvmattest-attest.h) that say which key is released and how.  Values
 * are printable ASCII; NULL means unset (the release library's default).
 */
struct cvm_luks_binding {
	char *attest_url;		/* required, https:// */
	char *attest_type;		/* auto, snp, tdx, azure-guest */
	char *key_url;			/* required, https:// */
	char *enc;			/* CKM_RSA_AES_KEY_WRAP, RSA_AES_KEY_WRAP_256, _384 */
	char *identity_client_id;	/* at most one of the three identities */
	char *identity_object_id;
	char *identity_msi_res_id;
	char *platform;			/* informational: platform at bind time */
};

/* The key names of the token's "release" object, NULL-terminated. */
const char *const *cvm_luks_release_keys(void);
/* Get/set a release key by name (-EINVAL for an unknown name or a bad value). */
const char *cvm_luks_binding_get(const struct cvm_luks_binding *b, const char *key);
int cvm_luks_binding_set(struct cvm_luks_binding *b, const char *key, const char *value);
/*
 * Fill the release values @b does not have yet from the config file @path
 * (NULL: CVM_DEFAULT_CONFIG, skipped if missing), defaults included, so the
 * token records what was in force at bind time.  -EOPNOTSUPP without the
 * release library (then only an explicit @path is an error).
 */
int cvm_luks_binding_from_config(struct cvm_ctx *ctx, const char *path, struct cvm_luks_binding *b);
/* Complete and well-formed?  A message names the key to fix. */
int cvm_luks_binding_validate(struct cvm_ctx *ctx, const struct cvm_luks_binding *b);
void cvm_luks_binding_done(struct cvm_luks_binding *b);

/* ---- key sources ----------------------------------------------------------------------- */

/*
 * Where K, the released key, comes from.  get_key() returns the key bytes
 * as released (raw octets of an "oct" key, DER PKCS#8 of an RSA/EC key: K
 * only ever enters HKDF) and, optionally, the key's identifier with version
 * (recorded in the token at bind time, compared at unlock for a precise
 * message when the key was rotated).  It is called once per token tried.
 */
struct cvm_key_source {
	const char *name;		/* for messages: "key release", ... */
	int (*get_key)(struct cvm_ctx *ctx, const struct cvm_luks_binding *b, void *userdata,
		       struct cvm_secret **ret_key, char **ret_key_id);
	void (*free_userdata)(void *userdata);
	void *userdata;
	/*
	 * Optional: may this source use the binding's values at all?  Called
	 * before get_key() by bind (a binding that unlock would refuse) and by
	 * unlock (a token that was edited).  < 0 with a message if not.
	 */
	int (*check_binding)(struct cvm_ctx *ctx, const struct cvm_luks_binding *b, void *userdata);
};

void cvm_key_source_free(struct cvm_key_source *src);
CVM_DEFINE_FREEP(struct cvm_key_source *, cvm_key_source_free)

/*
 * The production source: attestation, then Secure Key Release (cvm_attest()
 * and cvm_release() of libcvmattest-attest.h), configured by @config_path
 * (NULL: CVM_DEFAULT_CONFIG, which may be missing) with the token's
 * "release" values on top.  The token's attest_url and key_url must pass
 * cvm_config_url_allowed() against that file: be listed there (bind and
 * unlock refuse others).  The source remembers what it
 * obtained: one attestation per attestation service and one release per key,
 * however many volumes are unlocked with it (unlock --all); the cached keys
 * are wiped when the source is freed.
 */
int cvm_key_source_release_new(struct cvm_ctx *ctx, const char *config_path,
			       struct cvm_key_source **ret);

/*
 * TESTING ONLY: K is read from the already-open file descriptor @fd (until
 * end of file, at most 16 KiB) on first use and reused for every token.
 * It exists so that bind/unlock can be tested, on a host and in a VM,
 * without an attestation service; a key obtained this way proves nothing
 * about the machine.  The fd is closed once read.
 */
int cvm_key_source_test_fd_new(int fd, struct cvm_key_source **ret);

/* ---- operations ------------------------------------------------------------------------- */

/* Which kind of failure; the CLI maps these to its exit codes. */
enum cvm_luks_fail {
	CVM_LUKS_FAIL_NONE = 0,
	CVM_LUKS_FAIL_LOCAL,		/* device, I/O, header, usage */
	CVM_LUKS_FAIL_KEY,		/* the key source failed (attestation, release) */
	CVM_LUKS_FAIL_NO_BINDING,	/* no cvmattest token (or not the one asked for) */
	CVM_LUKS_FAIL_UNWRAP,		/* wrong key, token tampered with, moved or malformed */
	CVM_LUKS_FAIL_BUSY,		/* already unlocked: the mapping is this volume (checked) */
	CVM_LUKS_FAIL_AUTH,		/* bind: the passphrase given opens no keyslot */
	CVM_LUKS_FAIL_CONFLICT,		/* the name is another mapping, the device is in use */
	CVM_LUKS_FAIL_NOT_HERE,		/* activation: this kernel has no device-mapper */
};

struct cvm_luks_bind_params {
	const struct cvm_luks_binding *binding;
	/* An existing passphrase or key file's content: authorizes the new keyslot. */
	const void *passphrase;
	size_t passphrase_len;
	int keyslot;			/* -1: the first free one */
};

/*
 * Bind @device (LUKS2).  The passphrase is checked (it unlocks the volume
 * key, in libcryptsetup's locked memory, as systemd-cryptenroll does) and K
 * obtained first; then the header is saved (in memory), the keyslot and
 * token are added, and the token is read back and must open the keyslot.  On any failure after the
 * first write the saved header is written back and compared byte for byte:
 * the header is as before, or a message says exactly what is left.
 * @ret_token, @ret_keyslot, @fail may be NULL.
 */
int cvm_luks_bind(struct cvm_ctx *ctx, const char *device, const struct cvm_luks_bind_params *p,
		  const struct cvm_key_source *src, int *ret_token, int *ret_keyslot,
		  enum cvm_luks_fail *fail);

struct cvm_luks_refresh_params {
	/* An existing passphrase or key file's content: authorizes the change, as for bind. */
	const void *passphrase;
	size_t passphrase_len;
	int token;			/* -1: the only cvmattest token */
};

/*
 * Bind the LUKS2 header anew (after a reencryption or a change with
 * cryptsetup config; or for a version 1 token, which binds none): the
 * passphrase is checked, K obtained through the token's own release values,
 * the token's passphrase unwrapped and checked against its keyslot, and
 * the token rewritten (same number, same keyslot, fresh salt and nonce)
 * with the header as it is now; what changed is logged.  A null cipher is
 * refused.  All or nothing, as bind.
 */
int cvm_luks_refresh(struct cvm_ctx *ctx, const char *device, const struct cvm_luks_refresh_params *p,
		     const struct cvm_key_source *src, int *ret_token, enum cvm_luks_fail *fail);

struct cvm_luks_unlock_params {
	const char *name;		/* dm name; NULL: only check that the token opens its keyslot */
	uint32_t flags;			/* CRYPT_ACTIVATE_* (read-only, allow-discards, ...) */
	int token;			/* -1: every cvmattest token in turn */
};

/*
 * Unlock @device by its cvmattest token(s).  The header is only read, and
 * must be the one the token binds (segments, the token's keyslot, its
 * digests, config flags and requirements: compared after the unwrap, each
 * difference named; -EUCLEAN); a null cipher (-EPERM) and version 1 tokens,
 * which bind no header (-EPROTONOSUPPORT), are refused before a key is
 * asked for.  Persistent flags: only those of the checked header.
 */
int cvm_luks_unlock(struct cvm_ctx *ctx, const char *device, const struct cvm_luks_unlock_params *p,
		    const struct cvm_key_source *src, int *ret_token, enum cvm_luks_fail *fail);

/*
 * Remove cvmattest token @token (-1: the only one; -EINVAL if there are
 * several) and its keyslot, unless another token still uses that keyslot.
 * Refuses (-EPERM) to destroy the last active keyslot unless @force.
 */
int cvm_luks_unbind(struct cvm_ctx *ctx, const char *device, int token, bool force,
		    int *ret_keyslot, enum cvm_luks_fail *fail);

struct cvm_luks_token_info {
	int token;
	int keyslot;			/* -1 if the token names none */
	bool keyslot_active;
	int version;
	struct cvm_luks_binding binding;
	char *key_id;			/* NULL if not recorded */
	char *error;			/* non-NULL: the token does not parse; why */
	bool header_bound;		/* false: version 1, unlock refuses it until bind --refresh */
};

/* Every cvmattest token of @device (none: 0 with *n = 0). */
int cvm_luks_list(struct cvm_ctx *ctx, const char *device, struct cvm_luks_token_info **ret,
		  size_t *n);
void cvm_luks_token_info_free(struct cvm_luks_token_info *v, size_t n);
/* The same as one JSON object {"device", "uuid", "tokens": [...]}; caller frees. */
int cvm_luks_list_json(struct cvm_ctx *ctx, const char *device, char **ret);

/*
 * Print one token as `luks list` does: its release values, platform,
 * key_id and header state, one "@indent<name> <value>" line each (not the
 * "token N: keyslot K" line, nor anything for a token with .error set).
 * @device is named in the hint for an unbound header.  Caller frees *ret.
 */
int cvm_luks_token_info_text(const struct cvm_luks_token_info *ti, const char *device,
			     const char *indent, char **ret);

/* ---- for a libcryptsetup token plugin ------------------------------------------------------- */

/*
 * libcryptsetup-token-cvmattest.so (user/token/) is a thin layer over these:
 * the crypt_device is the caller's (already loaded, its log callback left
 * alone), and nothing is activated or written.
 */
struct crypt_device;

/*
 * The passphrase of keyslot-opening cvmattest token @token of @cd's LUKS2
 * header, after every check cvm_luks_unlock() makes (version, keyslot in
 * use, null cipher, the source's check_binding, the header binding after
 * the unwrap); the caller activates (libcryptsetup does, with the keyslot
 * the token names).  -ENOKEY (NO_BINDING) if @token is not a cvmattest token.
 */
int cvm_luks_token_open(struct cvm_ctx *ctx, struct crypt_device *cd, int token,
			const struct cvm_key_source *src, struct cvm_secret **ret,
			enum cvm_luks_fail *fail);
/* Is @json a well-formed cvmattest token?  -EBADMSG with the reason in @why (may be NULL). */
int cvm_luks_token_validate(const char *json, char *why, size_t why_len);
/*
 * One token's info from its JSON, as cvm_luks_list() gives it (@cd, may be
 * NULL, for keyslot_active).  The caller frees the fields (binding, key_id,
 * error) as cvm_luks_token_info_free() does, not *ret itself.
 */
int cvm_luks_token_info_from_json(struct crypt_device *cd, int token, const char *json,
				  struct cvm_luks_token_info *ret);

/* ---- devices ------------------------------------------------------------------------------ */

/* The LUKS2 UUID of @device; caller frees.  -EINVAL if it is no LUKS2 volume. */
int cvm_luks_device_uuid(struct cvm_ctx *ctx, const char *device, char **ret);
/* Has @device at least one cvmattest token?  1 yes, 0 no, -errno. */
int cvm_luks_device_is_bound(struct cvm_ctx *ctx, const char *device);
/*
 * Name of the active dm-crypt mapping of the LUKS2 volume @uuid (found by
 * the DM UUID libcryptsetup gives it, "CRYPT-LUKS2-<uuid without
 * dashes>-<name>", under @sysfs/block/dm-*), or -ENOENT.  @sysfs NULL: /sys.
 */
int cvm_luks_active_name(const char *sysfs, const char *uuid, char **ret);
/*
 * Every block device under @sysfs/class/block (NULL: /sys) that holds a
 * LUKS2 header with a cvmattest token, as /dev/NAME paths (@dev_dir
 * overrides /dev), NULL-terminated; caller frees each and the array.
 */
int cvm_luks_scan(struct cvm_ctx *ctx, const char *sysfs, const char *dev_dir, char ***ret);
/*
 * The name /etc/crypttab (@path) gives @device: an entry whose second field
 * is UUID=@uuid, or a path resolving to the same block device.  -ENOENT if
 * none (or no such file).
 */
int cvm_luks_crypttab_name(struct cvm_ctx *ctx, const char *path, const char *device,
			   const char *uuid, char **ret);
/* "luks-<uuid>", the name systemd-cryptsetup gives by default; caller frees. */
char *cvm_luks_default_name(const char *uuid);

/* ---- crypto backend ------------------------------------------------------------------------ */

/*
 * HKDF and AES-GCM run in the kernel crypto API through libkcapi (AF_ALG),
 * so FIPS kernels' validated implementations are used.  AUTO falls back to
 * OpenSSL when the kernel has no AF_ALG (or not the algorithm); KERNEL
 * requires it; OPENSSL never uses it.  Per context; AUTO by default.
 */
enum cvm_luks_crypto {
	CVM_LUKS_CRYPTO_AUTO = 0,
	CVM_LUKS_CRYPTO_KERNEL,
	CVM_LUKS_CRYPTO_OPENSSL,
};

void cvm_luks_set_crypto(struct cvm_ctx *ctx, enum cvm_luks_crypto c);
int cvm_luks_crypto_from_name(const char *name, enum cvm_luks_crypto *ret);

#ifdef __cplusplus
}
#endif

#endif /* LIBCVMATTEST_LUKS_H */
