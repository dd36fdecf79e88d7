// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The cvmattest LUKS2 token, version 2: its JSON, the associated data that
 * authenticates it, and the wrapping of the passphrase P under the released
 * key K.  The one definition of the format; the admin guide
 * (Documentation/admin-guide/cvmattest-luks.rst, "Token format") describes
 * the same thing for people and the unit tests check the bytes.
 *
 *   KEK  = HKDF-SHA-256(IKM = K, salt = token.salt, info = "cvmattest-luks-v1 kek", L = 32)
 *   AAD  = "cvmattest-luks-v1" || 0x00 || canonical JSON of the token without
 *          type/keyslots/nonce/wrapped/tag, plus "uuid" (the LUKS2 header's)
 *          and "keyslot" (integer); in version 2 the token's "header" is the
 *          LUKS2 header binding (luks_header.c), so it is authenticated too
 *   wrapped || tag = AES-256-GCM(KEK, nonce, AAD, P)
 *
 * Canonical JSON: keys sorted bytewise, no whitespace, strings printable
 * ASCII (so the only escapes are \" and \\) -- what Python's
 * json.dumps(o, sort_keys=True, separators=(",", ":")) also produces.
 * Every field but the GCM inputs themselves is authenticated, so a token
 * edited in any way, copied to another volume or pointed at another keyslot
 * does not open.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>

#include "luks/luks.h"


/* ---- binding ------------------------------------------------------------------------------ */

#define B(f) offsetof(struct cvm_luks_binding, f)

static const struct {
	const char *key;
	size_t offset;
} release_fields[] = {
	{ "attest_url", B(attest_url) },
	{ "attest_type", B(attest_type) },
	{ "key_url", B(key_url) },
	{ "enc", B(enc) },
	{ "identity_client_id", B(identity_client_id) },
	{ "identity_object_id", B(identity_object_id) },
	{ "identity_msi_res_id", B(identity_msi_res_id) },
};

#undef B

static char **field_ptr(const struct cvm_luks_binding *b, size_t i)
{
	return (char **)((uint8_t *)b + release_fields[i].offset);
}

const char *const *cvm_luks_release_keys(void)
{
	static const char *keys[ELEMENTSOF(release_fields) + 1];

	if (!keys[0])
		for (size_t i = 0; i < ELEMENTSOF(release_fields); i++)
			keys[i] = release_fields[i].key;
	return keys;
}

static int release_index(const char *key)
{
	for (size_t i = 0; key && i < ELEMENTSOF(release_fields); i++)
		if (strcmp(release_fields[i].key, key) == 0)
			return (int)i;
	return -1;
}

bool luks_string_ok(const char *s)
{
	size_t n = 0;

	if (!s || !*s)
		return false;
	for (; s[n]; n++)
		if ((unsigned char)s[n] < 0x20 || (unsigned char)s[n] > 0x7e || n >= 4096)
			return false;
	return true;
}

const char *cvm_luks_binding_get(const struct cvm_luks_binding *b, const char *key)
{
	int i = release_index(key);

	return b && i >= 0 ? *field_ptr(b, (size_t)i) : NULL;
}

int cvm_luks_binding_set(struct cvm_luks_binding *b, const char *key, const char *value)
{
	int i = release_index(key);
	char *copy = NULL;

	if (!b || i < 0)
		return -EINVAL;
	if (value) {
		if (!luks_string_ok(value))
			return -EINVAL;
		copy = strdup(value);
		if (!copy)
			return -ENOMEM;
	}
	free(*field_ptr(b, (size_t)i));
	*field_ptr(b, (size_t)i) = copy;
	return 0;
}

void cvm_luks_binding_done(struct cvm_luks_binding *b)
{
	if (!b)
		return;
	for (size_t i = 0; i < ELEMENTSOF(release_fields); i++)
		free(*field_ptr(b, i));
	free(b->platform);
	memset(b, 0, sizeof(*b));
}

static bool one_of(const char *v, const char *const *set)
{
	for (; *set; set++)
		if (strcmp(v, *set) == 0)
			return true;
	return false;
}

static bool https_url(const char *v)
{
	/* The release library checks URLs fully (url_origin()); this catches typos early. */
	return strncmp(v, "https://", 8) == 0 && v[8] && v[8] != '/' && !strpbrk(v, " \"\\");
}

int cvm_luks_binding_validate(struct cvm_ctx *ctx, const struct cvm_luks_binding *b)
{
	static const char *const attest_types[] = { "auto", "snp", "tdx", "azure-guest", NULL };
	static const char *const encs[] = { "CKM_RSA_AES_KEY_WRAP", "RSA_AES_KEY_WRAP_256",
					    "RSA_AES_KEY_WRAP_384", NULL };
	int identities = 0;

	for (size_t i = 0; i < ELEMENTSOF(release_fields); i++) {
		const char *v = *field_ptr(b, i);

		if (v && !luks_string_ok(v))
			return log_error_errno(ctx, -EINVAL, "%s: printable ASCII expected",
					       release_fields[i].key);
	}
	if (!b->attest_url || !https_url(b->attest_url)) {
		log_error(ctx, "attest_url: %s", b->attest_url ? "an https:// URL expected" :
			  "missing: the attestation service to use, e.g. https://sharedeus.eus.attest.azure.net");
		return -EINVAL;
	}
	if (!b->key_url || !https_url(b->key_url)) {
		log_error(ctx, "key_url: %s", b->key_url ? "an https:// URL expected" :
			  "missing: the key to release, https://<vault>.vault.azure.net/keys/<name>/<version>");
		return -EINVAL;
	}
	if (b->attest_type && !one_of(b->attest_type, attest_types)) {
		log_error(ctx, "attest_type: \"%s\" is not one of auto, snp, tdx, azure-guest",
			  b->attest_type);
		return -EINVAL;
	}
	if (b->enc && !one_of(b->enc, encs)) {
		log_error(ctx, "enc: \"%s\" is not one of CKM_RSA_AES_KEY_WRAP, RSA_AES_KEY_WRAP_256, "
			  "RSA_AES_KEY_WRAP_384", b->enc);
		return -EINVAL;
	}
	identities = !!b->identity_client_id + !!b->identity_object_id + !!b->identity_msi_res_id;
	if (identities > 1) {
		log_error(ctx, "identity_client_id, identity_object_id and identity_msi_res_id "
			  "exclude each other: name the managed identity once");
		return -EINVAL;
	}
	if (b->platform && (!luks_string_ok(b->platform) || strlen(b->platform) > 32))
		return log_error_errno(ctx, -EINVAL, "platform: a short printable name expected");
	return 0;
}

/* ---- JSON -------------------------------------------------------------------------------------- */

void luks_token_done(struct luks_token *t)
{
	if (!t)
		return;
	cvm_luks_binding_done(&t->binding);
	free(t->key_id);
	json_decref(t->header);
	memset(t, 0, sizeof(*t));
}

static int set_str(json_t *o, const char *key, const char *v)
{
	return v && json_object_set_new(o, key, json_string(v)) < 0 ? -ENOMEM : 0;
}

static int set_b64(json_t *o, const char *key, const uint8_t *buf, size_t len)
{
	_cleanup_free_ char *s = b64_encode(buf, len);

	if (!s)
		return -ENOMEM;
	return json_object_set_new(o, key, json_string(s)) < 0 ? -ENOMEM : 0;
}

static json_t *release_object(const struct cvm_luks_binding *b)
{
	json_t *o = json_object();

	for (size_t i = 0; o && i < ELEMENTSOF(release_fields); i++)
		if (set_str(o, release_fields[i].key, *field_ptr(b, i)) < 0) {
			json_decref(o);
			return NULL;
		}
	return o;
}

/* The fields that AAD covers, common to the token and the AAD object. */
static int add_authenticated(json_t *o, const struct luks_token *t)
{
	json_t *rel = release_object(&t->binding);

	if (!rel)
		return -ENOMEM;
	if (json_object_set_new(o, "version", json_integer(t->version)) < 0 ||
	    json_object_set_new(o, "release", rel) < 0 ||
	    set_str(o, "platform", t->binding.platform) < 0 ||
	    set_str(o, "key_id", t->key_id) < 0 ||
	    json_object_set_new(o, "kdf", json_string(LUKS_KDF_NAME)) < 0 ||
	    set_b64(o, "salt", t->salt, sizeof(t->salt)) < 0 ||
	    json_object_set_new(o, "aead", json_string(LUKS_AEAD_NAME)) < 0 ||
	    (t->header && json_object_set(o, "header", t->header) < 0))
		return -ENOMEM;
	return 0;
}

int luks_token_format(const struct luks_token *t, char **ret)
{
	_cleanup_json_ json_t *o = json_object();
	json_t *slots = json_array();
	char slot[16];
	char *s;

	if (!o || !slots) {
		json_decref(slots);
		return -ENOMEM;
	}
	snprintf(slot, sizeof(slot), "%d", t->keyslot);
	if (json_object_set_new(o, "type", json_string(CVM_LUKS_TOKEN_TYPE)) < 0 ||
	    json_array_append_new(slots, json_string(slot)) < 0 ||
	    json_object_set_new(o, "keyslots", slots) < 0 ||
	    add_authenticated(o, t) < 0 ||
	    set_b64(o, "nonce", t->nonce, sizeof(t->nonce)) < 0 ||
	    set_b64(o, "wrapped", t->wrapped, sizeof(t->wrapped)) < 0 ||
	    set_b64(o, "tag", t->tag, sizeof(t->tag)) < 0)
		return -ENOMEM;
	s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	if (!s)
		return -ENOMEM;
	*ret = s;
	return 0;
}

int luks_token_aad(const struct luks_token *t, const char *uuid, uint8_t **ret, size_t *ret_len)
{
	_cleanup_json_ json_t *o = json_object();
	_cleanup_free_ char *s = NULL;
	size_t plen = strlen(LUKS_AAD_PREFIX) + 1, slen;
	uint8_t *buf;
	int r;

	if (!o)
		return -ENOMEM;
	if (!luks_string_ok(uuid))
		return -EINVAL;
	r = add_authenticated(o, t);
	if (r < 0)
		return r;
	if (json_object_set_new(o, "uuid", json_string(uuid)) < 0 ||
	    json_object_set_new(o, "keyslot", json_integer(t->keyslot)) < 0)
		return -ENOMEM;
	s = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENSURE_ASCII);
	if (!s)
		return -ENOMEM;
	slen = strlen(s);
	if (plen + slen > LUKS_AAD_MAX)
		return -E2BIG;
	buf = malloc(plen + slen);
	if (!buf)
		return -ENOMEM;
	memcpy(buf, LUKS_AAD_PREFIX, plen);	/* with its NUL */
	memcpy(buf + plen, s, slen);
	*ret = buf;
	*ret_len = plen + slen;
	return 0;
}

#define WHY(...) (snprintf(why, why_len, __VA_ARGS__), -EBADMSG)

static int get_opt_string(json_t *o, const char *key, char **ret, char *why, size_t why_len)
{
	json_t *v = json_object_get(o, key);

	if (!v)
		return 0;
	if (!json_is_string(v) || !luks_string_ok(json_string_value(v)))
		return WHY("\"%s\" is not a printable ASCII string", key);
	*ret = strdup(json_string_value(v));
	return *ret ? 0 : -ENOMEM;
}

static int get_b64(json_t *o, const char *key, uint8_t *out, size_t len, char *why, size_t why_len)
{
	json_t *v = json_object_get(o, key);

	if (!json_is_string(v))
		return WHY("\"%s\" is missing or not a string", key);
	if (b64_decode_exact(json_string_value(v), out, len) < 0)
		return WHY("\"%s\" is not base64 of %zu bytes", key, len);
	return 0;
}

static int get_fixed(json_t *o, const char *key, const char *want, char *why, size_t why_len)
{
	json_t *v = json_object_get(o, key);

	if (!json_is_string(v) || strcmp(json_string_value(v), want) != 0)
		return WHY("\"%s\" must be \"%s\"", key, want);
	return 0;
}

static int parse_keyslot(json_t *slots, int *ret, char *why, size_t why_len)
{
	const char *s;
	char *end;
	long v;

	if (!json_is_array(slots) || json_array_size(slots) != 1 ||
	    !json_is_string(json_array_get(slots, 0)))
		return WHY("\"keyslots\" must name exactly one keyslot");
	s = json_string_value(json_array_get(slots, 0));
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < 0 || v > 255 || (s[0] == '0' && s[1]))
		return WHY("\"keyslots\": \"%s\" is not a keyslot number", s);
	*ret = (int)v;
	return 0;
}

int luks_token_parse(const char *text, struct luks_token *t, char *why, size_t why_len)
{
	static const char *const known[] = { "type", "keyslots", "version", "release", "platform",
					     "key_id", "kdf", "salt", "aead", "nonce", "wrapped",
					     "tag", "header", NULL };
	_cleanup_json_ json_t *o = NULL;
	json_error_t err;
	const char *key;
	json_t *v, *rel;
	int r;

	memset(t, 0, sizeof(*t));
	o = json_loads(text, JSON_REJECT_DUPLICATES, &err);
	if (!json_is_object(o))
		return WHY("not a JSON object: %s", err.text);
	if (get_fixed(o, "type", CVM_LUKS_TOKEN_TYPE, why, why_len) < 0)
		return -EBADMSG;
	v = json_object_get(o, "version");
	if (!json_is_integer(v))
		return WHY("\"version\" is missing or not an integer");
	if (json_integer_value(v) != CVM_LUKS_TOKEN_VERSION &&
	    json_integer_value(v) != LUKS_TOKEN_VERSION_NO_HEADER) {
		snprintf(why, why_len, "token version %lld is not supported by this cvmattest (%d)",
			 (long long)json_integer_value(v), CVM_LUKS_TOKEN_VERSION);
		return -EPROTONOSUPPORT;
	}
	t->version = (int)json_integer_value(v);
	json_object_foreach(o, key, v)
		if (!one_of(key, known) ||
		    (t->version == LUKS_TOKEN_VERSION_NO_HEADER && strcmp(key, "header") == 0))
			return WHY("unknown field \"%s\" in a version %d token", key, t->version);
	if (t->version == CVM_LUKS_TOKEN_VERSION) {
		v = json_object_get(o, "header");
		if (!json_is_object(v) || !json_is_object(json_object_get(v, "segments")) ||
		    !json_is_object(json_object_get(v, "keyslots")))
			return WHY("\"header\" is missing or not a LUKS2 header binding");
		t->header = json_incref(v);
	}
	r = parse_keyslot(json_object_get(o, "keyslots"), &t->keyslot, why, why_len);
	if (r < 0)
		goto fail;
	rel = json_object_get(o, "release");
	if (!json_is_object(rel)) {
		r = WHY("\"release\" is missing or not an object");
		goto fail;
	}
	json_object_foreach(rel, key, v) {
		int i = release_index(key);

		if (i < 0) {
			r = WHY("unknown field \"release.%s\"", key);
			goto fail;
		}
		if (!json_is_string(v) || !luks_string_ok(json_string_value(v))) {
			r = WHY("\"release.%s\" is not a printable ASCII string", key);
			goto fail;
		}
		*field_ptr(&t->binding, (size_t)i) = strdup(json_string_value(v));
		if (!*field_ptr(&t->binding, (size_t)i)) {
			r = -ENOMEM;
			goto fail;
		}
	}
	if ((r = get_opt_string(o, "platform", &t->binding.platform, why, why_len)) < 0 ||
	    (r = get_opt_string(o, "key_id", &t->key_id, why, why_len)) < 0 ||
	    (r = get_fixed(o, "kdf", LUKS_KDF_NAME, why, why_len)) < 0 ||
	    (r = get_fixed(o, "aead", LUKS_AEAD_NAME, why, why_len)) < 0 ||
	    (r = get_b64(o, "salt", t->salt, sizeof(t->salt), why, why_len)) < 0 ||
	    (r = get_b64(o, "nonce", t->nonce, sizeof(t->nonce), why, why_len)) < 0 ||
	    (r = get_b64(o, "wrapped", t->wrapped, sizeof(t->wrapped), why, why_len)) < 0 ||
	    (r = get_b64(o, "tag", t->tag, sizeof(t->tag), why, why_len)) < 0)
		goto fail;
	if (!t->binding.attest_url || !t->binding.key_url) {
		r = WHY("\"release\" lacks attest_url or key_url");
		goto fail;
	}
	return 0;
fail:
	luks_token_done(t);
	return r;
}

/* ---- wrapping ------------------------------------------------------------------------------- */

int luks_token_wrap(struct cvm_ctx *ctx, struct luks_token *t, const char *uuid,
		    const struct cvm_secret *k, const struct cvm_secret *p)
{
	_cleanup_secret_ struct cvm_secret *kek = NULL;
	_cleanup_free_ uint8_t *aad = NULL;
	size_t aad_len;
	int r;

	if (cvm_secret_len(p) != LUKS_PASSPHRASE_LEN)
		return -EINVAL;
	r = luks_random(t->salt, sizeof(t->salt));
	if (r < 0)
		return r;
	/* A random 96-bit nonce per token: each KEK (fresh salt) seals exactly once. */
	r = luks_random(t->nonce, sizeof(t->nonce));
	if (r < 0)
		return r;
	r = luks_derive_kek(ctx, k, t->salt, &kek);
	if (r < 0)
		return r;
	r = luks_token_aad(t, uuid, &aad, &aad_len);
	if (r < 0)
		return r;
	return luks_aead_seal(ctx, kek, t->nonce, aad, aad_len, p, t->wrapped, t->tag);
}

int luks_token_unwrap(struct cvm_ctx *ctx, const struct luks_token *t, const char *uuid,
		      const struct cvm_secret *k, struct cvm_secret **ret)
{
	_cleanup_secret_ struct cvm_secret *kek = NULL;
	_cleanup_free_ uint8_t *aad = NULL;
	size_t aad_len;
	int r;

	r = luks_derive_kek(ctx, k, t->salt, &kek);
	if (r < 0)
		return r;
	r = luks_token_aad(t, uuid, &aad, &aad_len);
	if (r < 0)
		return r;
	r = luks_aead_open(ctx, kek, t->nonce, aad, aad_len, t->wrapped, sizeof(t->wrapped), t->tag,
			   ret);
	return r == -EBADMSG ? -EKEYREJECTED : r;
}
