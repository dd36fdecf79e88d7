// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * cvmattest luks on real LUKS2 images made with the real libcryptsetup
 * (file-backed: no device-mapper needed).  Activation needs device-mapper,
 * which this host cannot use, so here a token is checked by opening its
 * keyslot without activating (crypt_activate_by_passphrase(cd, NULL, ...));
 * tests/vm/test-luks activates for real.
 *
 *  - the token format: a known-answer vector made with Python's
 *    cryptography package (HKDF, AES-GCM, AAD text), strict parsing
 *  - bind, list, unbind; the token decoded here independently (manual
 *    HKDF over HMAC, OpenSSL GCM) opens the keyslot; PBKDF2 1000
 *  - bind is atomic: a failure injected at every step leaves the header
 *    byte for byte as before (crypt_header_backup and the whole image)
 *  - unlock never writes: image unchanged after success and failure
 *  - wrong key, a token moved to another image, pointed at another keyslot,
 *    or with any field changed: unwrap fails, nothing written
 *  - K and P appear in no log message (library, libcryptsetup debug, CLI)
 *  - the CLI: exit codes, --json, stdin and fd handling
 *  - --all helpers: scan, crypttab, active mappings (on a fake sysfs)
 */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <libcryptsetup.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "luksutil.h"
#include "luks/luks.h"

static const char *make_image_type(const char *name, const char *type)
{
	return make_luks_image(name, type, "aes", "xts-plain64", 64);
}

static char *image_uuid(const char *path)
{
	struct crypt_device *cd = open_image(path);
	char *u = strdup(crypt_get_uuid(cd));

	crypt_free(cd);
	return u;
}

/* State of an image: the whole file's hash and what `cryptsetup luksHeaderBackup` writes. */
struct image_state {
	uint8_t sha[32];
	uint8_t *backup;
	size_t backup_len;
};

static void image_state(const char *path, struct image_state *s)
{
	char bpath[4200];
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	uint8_t buf[1 << 16];
	struct crypt_device *cd;
	unsigned int n;
	FILE *f;
	size_t k;

	f = fopen(path, "rb");
	assert_non_null(f);
	assert_int_equal(EVP_DigestInit_ex(md, EVP_sha256(), NULL), 1);
	while ((k = fread(buf, 1, sizeof(buf), f)) > 0)
		assert_int_equal(EVP_DigestUpdate(md, buf, k), 1);
	fclose(f);
	assert_int_equal(EVP_DigestFinal_ex(md, s->sha, &n), 1);
	EVP_MD_CTX_free(md);

	snprintf(bpath, sizeof(bpath), "%s.hdr", path);
	unlink(bpath);
	cd = open_image(path);
	assert_int_equal(crypt_header_backup(cd, CRYPT_LUKS2, bpath), 0);
	crypt_free(cd);
	s->backup = load(bpath, &s->backup_len);
	unlink(bpath);
}

static void assert_image_unchanged(const char *path, struct image_state *before)
{
	struct image_state now;

	image_state(path, &now);
	assert_int_equal(now.backup_len, before->backup_len);
	assert_memory_equal(now.backup, before->backup, now.backup_len);
	assert_memory_equal(now.sha, before->sha, 32);
	free(now.backup);
}

static void image_state_done(struct image_state *s)
{
	free(s->backup);
	s->backup = NULL;
}

/* ---- key sources -------------------------------------------------------------------------- */

struct test_source {
	const uint8_t *key;		/* NULL: fail */
	size_t len;
	int err;
	const char *key_id;
	int calls;
	/* per key_url: key_b for URLs containing "/b/" */
	bool by_url;
};

static int test_get_key(struct cvm_ctx *ctx, const struct cvm_luks_binding *b, void *userdata,
			struct cvm_secret **ret_key, char **ret_key_id)
{
	struct test_source *s = userdata;

	(void)ctx;
	s->calls++;
	assert_non_null(b->key_url);
	if (s->by_url && strstr(b->key_url, "/fail/"))
		return -ECONNREFUSED;
	if (s->by_url && strstr(b->key_url, "/b/"))
		return cvm_secret_copy(key_b, sizeof(key_b), ret_key);
	if (!s->key)
		return s->err ? s->err : -ECONNREFUSED;
	if (s->key_id)
		*ret_key_id = strdup(s->key_id);
	return cvm_secret_copy(s->key, s->len, ret_key);
}

static struct cvm_key_source source_of(struct test_source *s)
{
	return (struct cvm_key_source){ .name = "the test source", .get_key = test_get_key,
					.userdata = s };
}

static void binding_init(struct cvm_luks_binding *b, const char *key_url)
{
	memset(b, 0, sizeof(*b));
	assert_int_equal(cvm_luks_binding_set(b, "attest_url", ATTEST_URL), 0);
	assert_int_equal(cvm_luks_binding_set(b, "key_url", key_url), 0);
	assert_int_equal(cvm_luks_binding_set(b, "attest_type", "snp"), 0);
	assert_int_equal(cvm_luks_binding_set(b, "enc", "RSA_AES_KEY_WRAP_256"), 0);
	assert_int_equal(cvm_luks_binding_set(b, "identity_client_id",
					      "00000000-1111-2222-3333-444444444444"), 0);
	b->platform = strdup("snp");
}

static int do_bind(struct cvm_ctx *ctx, const char *path, const uint8_t *key, const char *key_url,
		   int *token, int *slot, enum cvm_luks_fail *fail)
{
	struct test_source ts = { .key = key, .len = 32 };
	struct cvm_key_source src = source_of(&ts);
	struct cvm_luks_binding b;
	struct cvm_luks_bind_params p = { .binding = &b, .passphrase = PASS,
					  .passphrase_len = strlen(PASS), .keyslot = -1 };
	int r;

	binding_init(&b, key_url);
	r = cvm_luks_bind(ctx, path, &p, &src, token, slot, fail);
	cvm_luks_binding_done(&b);
	return r;
}

static int do_check(struct cvm_ctx *ctx, const char *path, const uint8_t *key,
		    enum cvm_luks_fail *fail)
{
	struct test_source ts = { .key = key, .len = 32 };
	struct cvm_key_source src = source_of(&ts);
	struct cvm_luks_unlock_params p = { .token = -1 };

	return cvm_luks_unlock(ctx, path, &p, &src, NULL, fail);
}

/* ---- an independent reading of the token (the admin guide's recipe) ------------------------- */

static size_t b64dec(const char *s, uint8_t *out, size_t max)
{
	size_t len = strlen(s);
	int n;

	assert_true(len % 4 == 0 && len / 4 * 3 <= max + 2);
	n = EVP_DecodeBlock(out, (const unsigned char *)s, (int)len);
	assert_true(n >= 0);
	if (len >= 1 && s[len - 1] == '=')
		n--;
	if (len >= 2 && s[len - 2] == '=')
		n--;
	return (size_t)n;
}

/* RFC 5869 with one expansion block, straight over HMAC. */
static void hkdf_manual(const uint8_t *ikm, size_t ikm_len, const uint8_t *salt, size_t salt_len,
			const char *info, uint8_t out[32])
{
	uint8_t prk[32], block[256];
	unsigned int n = 0;
	size_t ilen = strlen(info);

	assert_non_null(HMAC(EVP_sha256(), salt, (int)salt_len, ikm, ikm_len, prk, &n));
	assert_int_equal(n, 32);
	memcpy(block, info, ilen);
	block[ilen] = 0x01;
	assert_non_null(HMAC(EVP_sha256(), prk, 32, block, ilen + 1, out, &n));
}

/* P from a token as stored, or false if the tag does not match. */
static bool indep_unwrap(const char *json, const char *uuid, const uint8_t *k, size_t klen,
			 uint8_t p[32])
{
	json_t *o = json_loads(json, 0, NULL), *a;
	uint8_t salt[40], nonce[16], wrapped[40], tag[20], kek[32];
	const char *slot;
	char *aadjson, aad[8192];
	size_t aad_len, n;
	EVP_CIPHER_CTX *c;
	int outl, ok;

	assert_non_null(o);
	assert_int_equal(b64dec(json_string_value(json_object_get(o, "salt")), salt, 32), 32);
	assert_int_equal(b64dec(json_string_value(json_object_get(o, "nonce")), nonce, 12), 12);
	assert_int_equal(b64dec(json_string_value(json_object_get(o, "wrapped")), wrapped, 32), 32);
	assert_int_equal(b64dec(json_string_value(json_object_get(o, "tag")), tag, 16), 16);
	slot = json_string_value(json_array_get(json_object_get(o, "keyslots"), 0));
	assert_non_null(slot);

	a = json_deep_copy(o);
	json_object_del(a, "type");
	json_object_del(a, "keyslots");
	json_object_del(a, "nonce");
	json_object_del(a, "wrapped");
	json_object_del(a, "tag");
	json_object_set_new(a, "uuid", json_string(uuid));
	json_object_set_new(a, "keyslot", json_integer(atoi(slot)));
	aadjson = json_dumps(a, JSON_COMPACT | JSON_SORT_KEYS);
	n = strlen("cvmattest-luks-v1") + 1;
	memcpy(aad, "cvmattest-luks-v1", n);
	assert_true(n + strlen(aadjson) < sizeof(aad));
	memcpy(aad + n, aadjson, strlen(aadjson));
	aad_len = n + strlen(aadjson);
	free(aadjson);
	json_decref(a);
	json_decref(o);

	hkdf_manual(k, klen, salt, 32, "cvmattest-luks-v1 kek", kek);
	c = EVP_CIPHER_CTX_new();
	assert_int_equal(EVP_DecryptInit_ex(c, EVP_aes_256_gcm(), NULL, kek, nonce), 1);
	assert_int_equal(EVP_DecryptUpdate(c, NULL, &outl, (uint8_t *)aad, (int)aad_len), 1);
	assert_int_equal(EVP_DecryptUpdate(c, p, &outl, wrapped, 32), 1);
	assert_int_equal(EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, 16, tag), 1);
	ok = EVP_DecryptFinal_ex(c, p + outl, &outl);
	EVP_CIPHER_CTX_free(c);
	return ok == 1;
}

static int keyslot_opens(const char *path, int slot, const uint8_t *p, size_t len)
{
	struct crypt_device *cd = open_image(path);
	int r = crypt_activate_by_passphrase(cd, NULL, slot, (const char *)p, len, 0);

	crypt_free(cd);
	return r;
}

/* ---- the format --------------------------------------------------------------------------- */

static void kat_token(struct luks_token *t)
{
	memset(t, 0, sizeof(*t));
	t->version = 1;
	t->keyslot = 1;
	assert_int_equal(cvm_luks_binding_set(&t->binding, "attest_url", "https://a.example"), 0);
	assert_int_equal(cvm_luks_binding_set(&t->binding, "key_url", "https://k.example/keys/x/1"), 0);
	for (int i = 0; i < 32; i++)
		t->salt[i] = (uint8_t)i;
	for (int i = 0; i < 12; i++)
		t->nonce[i] = (uint8_t)(0xc0 + i);
}

#define KAT_UUID "01234567-89ab-cdef-0123-456789abcdef"
#define KAT_AAD_JSON                                                                              \
	"{\"aead\":\"aes-256-gcm\",\"kdf\":\"hkdf-sha256\",\"keyslot\":1,\"release\":{\"attest_url\":" \
	"\"https://a.example\",\"key_url\":\"https://k.example/keys/x/1\"},\"salt\":"                  \
	"\"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\",\"uuid\":"                                   \
	"\"01234567-89ab-cdef-0123-456789abcdef\",\"version\":1}"

/* Vector computed with Python's cryptography (HKDF, AESGCM) and json.dumps(sort_keys=True). */
static void test_known_answer(void **state)
{
	static const uint8_t kek_want[32] = {
		0x04, 0xc7, 0x86, 0x22, 0x80, 0x75, 0xbf, 0x21, 0x62, 0x51, 0x2e, 0xec, 0x39, 0x91, 0x89, 0x2c,
		0xbc, 0xcb, 0x19, 0xcf, 0xd0, 0x22, 0xbb, 0x7f, 0x6e, 0x35, 0xb0, 0x52, 0x84, 0x9e, 0xa9, 0x20 };
	static const uint8_t wrapped_want[32] = {
		0xce, 0xa7, 0x96, 0xed, 0xa3, 0x33, 0xed, 0x4e, 0x47, 0xcf, 0x32, 0xe6, 0xb3, 0x09, 0xb4, 0x6f,
		0x63, 0x32, 0x13, 0x83, 0x2d, 0x30, 0xf2, 0xb9, 0x1d, 0x7c, 0x6b, 0x1a, 0xfa, 0x62, 0x7b, 0x82 };
	static const uint8_t tag_want[16] = { 0xa3, 0x15, 0xf2, 0xb7, 0xc2, 0x35, 0x0c, 0x77,
					      0x4b, 0xda, 0x4b, 0x3c, 0xa7, 0xf8, 0xa2, 0x92 };
	struct cvm_ctx *ctx = luks_ctx();
	struct cvm_secret *k, *p, *kek, *p2;
	uint8_t kb[32], pb[32], *aad;
	struct luks_token t;
	size_t aad_len, n = strlen("cvmattest-luks-v1") + 1;
	char *json;
	struct luks_token back;
	char why[256];

	(void)state;
	for (int i = 0; i < 32; i++) {
		kb[i] = (uint8_t)(0x40 + i);
		pb[i] = (uint8_t)(0xa0 + i);
	}
	assert_int_equal(cvm_secret_copy(kb, 32, &k), 0);
	assert_int_equal(cvm_secret_copy(pb, 32, &p), 0);
	kat_token(&t);

	assert_int_equal(luks_token_aad(&t, KAT_UUID, &aad, &aad_len), 0);
	assert_int_equal(aad_len, n + strlen(KAT_AAD_JSON));
	assert_memory_equal(aad, "cvmattest-luks-v1", n);	/* with the NUL */
	assert_memory_equal(aad + n, KAT_AAD_JSON, strlen(KAT_AAD_JSON));

	assert_int_equal(luks_derive_kek(ctx, k, t.salt, &kek), 0);
	assert_memory_equal(cvm_secret_data(kek), kek_want, 32);
	assert_int_equal(luks_aead_seal(ctx, kek, t.nonce, aad, aad_len, p, t.wrapped, t.tag), 0);
	assert_memory_equal(t.wrapped, wrapped_want, 32);
	assert_memory_equal(t.tag, tag_want, 16);
	assert_int_equal(luks_token_unwrap(ctx, &t, KAT_UUID, k, &p2), 0);
	assert_memory_equal(cvm_secret_data(p2), pb, 32);
	cvm_secret_free(p2);

	/* formatted and parsed back: the same fields */
	assert_int_equal(luks_token_format(&t, &json), 0);
	assert_non_null(strstr(json, "\"type\":\"cvmattest\",\"keyslots\":[\"1\"],\"version\":1"));
	assert_non_null(strstr(json, "\"wrapped\":\"zqeW7aMz7U5HzzLmswm0b2MyE4MtMPK5HXxrGvpie4I=\""));
	assert_non_null(strstr(json, "\"tag\":\"oxXyt8I1DHdL2ks8p/iikg==\""));
	assert_non_null(strstr(json, "\"nonce\":\"wMHCw8TFxsfIycrL\""));
	assert_int_equal(luks_token_parse(json, &back, why, sizeof(why)), 0);
	assert_int_equal(back.keyslot, 1);
	assert_string_equal(back.binding.key_url, "https://k.example/keys/x/1");
	assert_memory_equal(back.wrapped, wrapped_want, 32);
	assert_memory_equal(back.salt, t.salt, 32);
	assert_null(back.binding.platform);
	assert_null(back.key_id);

	/* the wrong uuid or keyslot: the tag does not match */
	assert_int_equal(luks_token_unwrap(ctx, &back, "01234567-89ab-cdef-0123-456789abcdee", k, &p2),
			 -EKEYREJECTED);
	back.keyslot = 2;
	assert_int_equal(luks_token_unwrap(ctx, &back, KAT_UUID, k, &p2), -EKEYREJECTED);

	luks_token_done(&back);
	luks_token_done(&t);
	free(json);
	free(aad);
	cvm_secret_free(kek);
	cvm_secret_free(k);
	cvm_secret_free(p);

	/* K longer than an HMAC block (a PKCS#8 RSA key): HMAC hashes it first */
	{
		static const uint8_t kek_long[32] = {
			0x6d, 0x64, 0xae, 0x0f, 0xa0, 0x11, 0x86, 0xaa, 0xa2, 0xd7, 0xb5, 0xb8, 0x25, 0x1b,
			0x62, 0x95, 0x7f, 0x4b, 0x52, 0xf7, 0xa2, 0xc0, 0xa9, 0xa0, 0x50, 0x60, 0xe1, 0x99,
			0xec, 0xce, 0x0c, 0x54 };
		uint8_t longk[1218];

		for (size_t i = 0; i < sizeof(longk); i++)
			longk[i] = (uint8_t)(i % 251);
		assert_int_equal(cvm_secret_copy(longk, sizeof(longk), &k), 0);
		kat_token(&t);
		assert_int_equal(luks_derive_kek(ctx, k, t.salt, &kek), 0);
		assert_memory_equal(cvm_secret_data(kek), kek_long, 32);
		cvm_secret_free(kek);
		cvm_secret_free(k);
		luks_token_done(&t);
		/* too short or too long to be a released key */
		assert_int_equal(cvm_secret_copy(longk, 15, &k), 0);
		assert_int_equal(luks_derive_kek(ctx, k, t.salt, &kek), -EINVAL);
		cvm_secret_free(k);
	}
	cvm_ctx_free(ctx);
}

static void test_parse_strict(void **state)
{
	static const struct {
		const char *from, *to;
		int err;
		const char *why;
	} cases[] = {
		{ "\"version\":1", "\"version\":3", -EPROTONOSUPPORT, "version 3" },
		{ "\"version\":1", "\"version\":\"1\"", -EBADMSG, "version" },
		{ "\"type\":\"cvmattest\"", "\"type\":\"clevis\"", -EBADMSG, "type" },
		{ "[\"1\"]", "[\"1\",\"2\"]", -EBADMSG, "exactly one" },
		{ "[\"1\"]", "[]", -EBADMSG, "exactly one" },
		{ "[\"1\"]", "[\"01\"]", -EBADMSG, "keyslot number" },
		{ "[\"1\"]", "[1]", -EBADMSG, "keyslot" },
		{ "\"kdf\":\"hkdf-sha256\"", "\"kdf\":\"pbkdf2\"", -EBADMSG, "kdf" },
		{ "\"aead\":\"aes-256-gcm\"", "\"aead\":\"aes-128-gcm\"", -EBADMSG, "aead" },
		{ "\"nonce\":\"wMHCw8TFxsfIycrL\"", "\"nonce\":\"wMHCw8TFxsfIycrLzA==\"", -EBADMSG, "nonce" },
		{ "\"nonce\":\"wMHCw8TFxsfIycrL\"", "\"nonce\":\"wMHCw8TFxsfIycrL \"", -EBADMSG, "nonce" },
		{ "\"tag\":\"oxXyt8I1DHdL2ks8p/iikg==\"", "\"tag\":\"oxXyt8I1DHdL2ks8p/iikh==\"", -EBADMSG,
		  "tag" },	/* not canonical: non-zero bits in the padding */
		{ "\"tag\":\"oxXyt8I1DHdL2ks8p/iikg==\"", "\"tag\":\"oxXyt8I1DHdL2ks8p_iikg==\"", -EBADMSG,
		  "tag" },
		{ ",\"tag\":\"oxXyt8I1DHdL2ks8p/iikg==\"", "", -EBADMSG, "tag" },
		{ "\"version\":1", "\"version\":1,\"extra\":true", -EBADMSG, "unknown field \"extra\"" },
		{ "\"release\":{", "\"release\":{\"kds_url\":\"https://x\",", -EBADMSG, "release.kds_url" },
		{ "\"release\":{", "\"release\":{\"enc\":5,", -EBADMSG, "release.enc" },
		{ "https://a.example", "https://a.example\\u00e9", -EBADMSG, "release.attest_url" },
		{ "https://a.example", "https://a.example\\n", -EBADMSG, "release.attest_url" },
		{ "\"version\":1", "\"version\":1,\"version\":1", -EBADMSG, "JSON" },
		{ "{\"type\"", "[{\"type\"", -EBADMSG, "JSON" },
	};
	struct cvm_ctx *ctx = luks_ctx();
	struct luks_token t, back;
	char *json, why[256];

	(void)state;
	kat_token(&t);
	assert_int_equal(b64_decode_exact("zqeW7aMz7U5HzzLmswm0b2MyE4MtMPK5HXxrGvpie4I=", t.wrapped,
					       32), 0);
	assert_int_equal(b64_decode_exact("oxXyt8I1DHdL2ks8p/iikg==", t.tag, 16), 0);
	assert_int_equal(luks_token_format(&t, &json), 0);
	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		char *p = strstr(json, cases[i].from), edited[4096];
		int r;

		if (!p)
			fail_msg("case %zu: \"%s\" not in %s", i, cases[i].from, json);
		snprintf(edited, sizeof(edited), "%.*s%s%s", (int)(p - json), json, cases[i].to,
			 p + strlen(cases[i].from));
		why[0] = 0;
		r = luks_token_parse(edited, &back, why, sizeof(why));
		if (r != cases[i].err || !strstr(why, cases[i].why))
			fail_msg("case %zu: %s -> %d \"%s\"", i, edited, r, why);
	}
	free(json);
	/* a missing key_url */
	{
		struct luks_token no_key;

		kat_token(&no_key);
		assert_int_equal(cvm_luks_binding_set(&no_key.binding, "key_url", NULL), 0);
		assert_int_equal(luks_token_format(&no_key, &json), 0);
		assert_int_equal(luks_token_parse(json, &back, why, sizeof(why)), -EBADMSG);
		assert_non_null(strstr(why, "key_url"));
		free(json);
		luks_token_done(&no_key);
	}
	luks_token_done(&t);
	cvm_ctx_free(ctx);
}

static void test_binding_validate(void **state)
{
	struct cvm_ctx *ctx = luks_ctx();
	struct cvm_luks_binding b;

	(void)state;
	binding_init(&b, KEY_URL);
	assert_int_equal(cvm_luks_binding_validate(ctx, &b), 0);
	assert_int_equal(cvm_luks_binding_set(&b, "key_url", "http://vault.example.net/keys/x"), 0);
	assert_int_equal(cvm_luks_binding_validate(ctx, &b), -EINVAL);
	assert_true(log_has("key_url: an https:// URL expected"));
	assert_int_equal(cvm_luks_binding_set(&b, "key_url", KEY_URL), 0);
	assert_int_equal(cvm_luks_binding_set(&b, "attest_type", "sgx"), 0);
	assert_int_equal(cvm_luks_binding_validate(ctx, &b), -EINVAL);
	assert_int_equal(cvm_luks_binding_set(&b, "attest_type", "azure-guest"), 0);
	assert_int_equal(cvm_luks_binding_set(&b, "enc", "RSA-OAEP"), 0);
	assert_int_equal(cvm_luks_binding_validate(ctx, &b), -EINVAL);
	assert_int_equal(cvm_luks_binding_set(&b, "enc", NULL), 0);
	assert_int_equal(cvm_luks_binding_set(&b, "identity_object_id", "x"), 0);
	assert_int_equal(cvm_luks_binding_validate(ctx, &b), -EINVAL);
	assert_true(log_has("exclude each other"));
	assert_int_equal(cvm_luks_binding_set(&b, "identity_object_id", NULL), 0);
	assert_int_equal(cvm_luks_binding_validate(ctx, &b), 0);
	assert_int_equal(cvm_luks_binding_set(&b, "attest_url", NULL), 0);
	assert_int_equal(cvm_luks_binding_validate(ctx, &b), -EINVAL);
	assert_true(log_has("attest_url: missing"));
	/* not a release key; not printable */
	assert_int_equal(cvm_luks_binding_set(&b, "kds_url", "https://x"), -EINVAL);
	assert_int_equal(cvm_luks_binding_set(&b, "key_url", "https://x\ty"), -EINVAL);
	cvm_luks_binding_done(&b);
	cvm_ctx_free(ctx);
}

/* ---- bind, list, unbind --------------------------------------------------------------------- */

static void test_bind_list_unbind(void **state)
{
	struct cvm_ctx *ctx = luks_ctx();
	const char *img = make_image("bind");
	struct cvm_luks_token_info *v;
	enum cvm_luks_fail fail;
	struct crypt_device *cd;
	char *json, *uuid = image_uuid(img), *list;
	uint8_t p[32];
	int token = -1, slot = -1;
	size_t n;

	(void)state;
	assert_int_equal(do_bind(ctx, img, key_a, KEY_URL, &token, &slot, &fail), 0);
	assert_int_equal(fail, CVM_LUKS_FAIL_NONE);
	assert_int_equal(token, 0);
	assert_int_equal(slot, 1);

	/* the keyslot: PBKDF2-SHA256, 1000 iterations */
	cd = open_image(img);
	{
		struct crypt_pbkdf_type got;

		assert_int_equal(crypt_keyslot_get_pbkdf(cd, slot, &got), 0);
		assert_string_equal(got.type, CRYPT_KDF_PBKDF2);
		assert_string_equal(got.hash, "sha256");
		assert_int_equal(got.iterations, 1000);
	}
	assert_int_equal(crypt_token_status(cd, 0, NULL), CRYPT_TOKEN_EXTERNAL_UNKNOWN);
	crypt_free(cd);

	/* the token, read as the admin guide says, gives a passphrase that opens the keyslot */
	json = token_json(img, 0);
	assert_non_null(strstr(json, "\"type\":\"cvmattest\""));
	assert_non_null(strstr(json, "\"keyslots\":[\"1\"]"));
	assert_null(strstr(json, PASS));
	assert_true(indep_unwrap(json, uuid, key_a, 32, p));
	assert_int_equal(keyslot_opens(img, slot, p, 32), slot);
	assert_false(indep_unwrap(json, uuid, key_b, 32, p));
	free(json);

	/* list */
	assert_int_equal(cvm_luks_list(ctx, img, &v, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(v[0].token, 0);
	assert_int_equal(v[0].keyslot, 1);
	assert_true(v[0].keyslot_active);
	assert_int_equal(v[0].version, CVM_LUKS_TOKEN_VERSION);
	assert_null(v[0].error);
	assert_string_equal(v[0].binding.key_url, KEY_URL);
	assert_string_equal(v[0].binding.attest_url, ATTEST_URL);
	assert_string_equal(v[0].binding.enc, "RSA_AES_KEY_WRAP_256");
	assert_string_equal(v[0].binding.attest_type, "snp");
	assert_string_equal(v[0].binding.identity_client_id, "00000000-1111-2222-3333-444444444444");
	assert_string_equal(v[0].binding.platform, "snp");
	cvm_luks_token_info_free(v, n);
	assert_int_equal(cvm_luks_list_json(ctx, img, &list), 0);
	{
		json_t *o = json_loads(list, 0, NULL), *t0;

		assert_non_null(o);
		assert_string_equal(json_string_value(json_object_get(o, "uuid")), uuid);
		t0 = json_array_get(json_object_get(o, "tokens"), 0);
		assert_int_equal(json_integer_value(json_object_get(t0, "keyslot")), 1);
		assert_string_equal(json_string_value(json_object_get(json_object_get(t0, "release"),
								      "key_url")), KEY_URL);
		assert_null(json_object_get(t0, "wrapped"));
		json_decref(o);
	}
	free(list);
	assert_int_equal(cvm_luks_device_is_bound(ctx, img), 1);

	/* a second binding (another key) gets the next token and keyslot */
	assert_int_equal(do_bind(ctx, img, key_b, "https://vault.example.net/keys/b/1", &token, &slot,
				 &fail), 0);
	assert_int_equal(token, 1);
	assert_int_equal(slot, 2);
	assert_int_equal(cvm_luks_unbind(ctx, img, -1, false, &slot, &fail), -EINVAL);
	assert_true(log_has("several cvmattest tokens (0, 1)"));
	assert_int_equal(cvm_luks_unbind(ctx, img, 5, false, &slot, &fail), -ENOKEY);
	assert_int_equal(fail, CVM_LUKS_FAIL_NO_BINDING);
	assert_int_equal(cvm_luks_unbind(ctx, img, 1, false, &slot, &fail), 0);
	assert_int_equal(slot, 2);
	assert_int_equal(cvm_luks_unbind(ctx, img, -1, false, &slot, &fail), 0);
	assert_int_equal(slot, 1);
	assert_int_equal(fail, CVM_LUKS_FAIL_NONE);

	cd = open_image(img);
	assert_int_equal(crypt_keyslot_status(cd, 1), CRYPT_SLOT_INACTIVE);
	assert_int_equal(crypt_keyslot_status(cd, 2), CRYPT_SLOT_INACTIVE);
	assert_int_equal(crypt_keyslot_status(cd, 0), CRYPT_SLOT_ACTIVE_LAST);
	assert_int_equal(crypt_token_status(cd, 0, NULL), CRYPT_TOKEN_INACTIVE);
	crypt_free(cd);
	assert_int_equal(cvm_luks_list(ctx, img, &v, &n), 0);
	assert_int_equal(n, 0);
	free(v);
	assert_int_equal(cvm_luks_device_is_bound(ctx, img), 0);
	assert_int_equal(cvm_luks_unbind(ctx, img, -1, false, &slot, &fail), -ENOKEY);
	assert_int_equal(fail, CVM_LUKS_FAIL_NO_BINDING);

	free(uuid);
	unlink(img);
	cvm_ctx_free(ctx);
}

static void test_bind_explicit_keyslot_and_refusals(void **state)
{
	struct cvm_ctx *ctx = luks_ctx();
	const char *img = make_image("slots");
	struct test_source ts = { .key = key_a, .len = 32 };
	struct cvm_key_source src = source_of(&ts);
	struct cvm_luks_binding b;
	struct cvm_luks_bind_params p = { .binding = &b, .passphrase = PASS,
					  .passphrase_len = strlen(PASS), .keyslot = 7 };
	struct image_state before;
	enum cvm_luks_fail fail;
	int token, slot;

	(void)state;
	binding_init(&b, KEY_URL);
	assert_int_equal(cvm_luks_bind(ctx, img, &p, &src, &token, &slot, &fail), 0);
	assert_int_equal(slot, 7);

	image_state(img, &before);
	/* keyslot in use */
	p.keyslot = 0;
	assert_int_equal(cvm_luks_bind(ctx, img, &p, &src, &token, &slot, &fail), -EEXIST);
	assert_int_equal(fail, CVM_LUKS_FAIL_LOCAL);
	/* wrong passphrase: AUTH, and the key source is not even asked */
	ts.calls = 0;
	p.keyslot = -1;
	p.passphrase = "wrong";
	p.passphrase_len = 5;
	assert_int_equal(cvm_luks_bind(ctx, img, &p, &src, &token, &slot, &fail), -EPERM);
	assert_int_equal(fail, CVM_LUKS_FAIL_AUTH);
	assert_int_equal(ts.calls, 0);
	/* the key source fails */
	ts.key = NULL;
	ts.err = -ETIMEDOUT;
	p.passphrase = PASS;
	p.passphrase_len = strlen(PASS);
	assert_int_equal(cvm_luks_bind(ctx, img, &p, &src, &token, &slot, &fail), -ETIMEDOUT);
	assert_int_equal(fail, CVM_LUKS_FAIL_KEY);
	assert_true(log_has("Cannot obtain the key from the test source"));
	/* a key too short to be a released key */
	ts.key = key_a;
	ts.len = 8;
	assert_int_equal(cvm_luks_bind(ctx, img, &p, &src, &token, &slot, &fail), -EBADMSG);
	/* incomplete binding */
	ts.len = 32;
	assert_int_equal(cvm_luks_binding_set(&b, "attest_url", NULL), 0);
	assert_int_equal(cvm_luks_bind(ctx, img, &p, &src, &token, &slot, &fail), -EINVAL);
	assert_image_unchanged(img, &before);
	image_state_done(&before);

	/* the last keyslot is not removed without force */
	{
		struct crypt_device *cd = open_image(img);

		assert_int_equal(crypt_keyslot_destroy(cd, 0), 0);
		crypt_free(cd);
	}
	image_state(img, &before);
	assert_int_equal(cvm_luks_unbind(ctx, img, -1, false, &slot, &fail), -EPERM);
	assert_true(log_has("is the last one"));
	assert_true(log_has("force it with --force"));
	assert_image_unchanged(img, &before);
	image_state_done(&before);
	assert_int_equal(cvm_luks_unbind(ctx, img, -1, true, &slot, &fail), 0);
	assert_int_equal(slot, 7);

	/* not LUKS at all: refused with a message */
	assert_int_equal(cvm_luks_binding_set(&b, "attest_url", ATTEST_URL), 0);
	{
		const char *plain = image_path("plain");
		int fd = open(plain, O_CREAT | O_TRUNC | O_WRONLY, 0600);

		assert_true(fd >= 0);
		assert_int_equal(ftruncate(fd, 1 << 20), 0);
		close(fd);
		assert_int_equal(cvm_luks_bind(ctx, plain, &p, &src, &token, &slot, &fail), -EINVAL);
		assert_true(log_has("is not a LUKS2 volume"));
		assert_int_equal(cvm_luks_device_is_bound(ctx, plain), 0);
		unlink(plain);
	}
	/* LUKS1: tokens need LUKS2, and the message says how to convert */
	{
		const char *luks1 = make_image_type("luks1", CRYPT_LUKS1);

		log_reset();
		assert_int_equal(cvm_luks_bind(ctx, luks1, &p, &src, &token, &slot, &fail), -EINVAL);
		assert_true(log_has("is a LUKS1 volume"));
		assert_true(log_has("cryptsetup convert --type luks2"));
		unlink(luks1);
	}
	cvm_luks_binding_done(&b);
	unlink(img);
	cvm_ctx_free(ctx);
}

/* ---- atomic bind ------------------------------------------------------------------------------- */

static enum luks_step fail_at;
static int fail_err;
static const char *replace_json;
static int restore_err;

static int inject(enum luks_step step, char **json)
{
	if (step == LUKS_STEP_RESTORE)
		return restore_err;
	if (step != fail_at)
		return 0;
	if (replace_json) {
		free(*json);
		*json = strdup(replace_json);
		return 0;
	}
	return fail_err;
}

static void test_bind_atomic(void **state)
{
	static const struct {
		enum luks_step step;
		const char *json;	/* replace the token instead of failing */
	} cases[] = {
		{ LUKS_STEP_BIND_KEYSLOT, NULL },
		{ LUKS_STEP_BIND_TOKEN, NULL },
		{ LUKS_STEP_BIND_TOKEN, "{\"type\":\"cvmattest\",\"keyslots\":[\"1\"" },	/* bad JSON */
		{ LUKS_STEP_BIND_TOKEN, "{\"type\":\"cvmattest\",\"keyslots\":[\"9\"]}" },	/* no such keyslot */
		{ LUKS_STEP_BIND_TOKEN, "{\"type\":\"cvmattest\",\"keyslots\":[\"1\"]}" },	/* stored, unusable */
		{ LUKS_STEP_BIND_VERIFY, NULL },
		{ LUKS_STEP_BIND_DONE, NULL },
	};
	struct cvm_ctx *ctx = luks_ctx();
	const char *img = make_image("atomic");
	struct image_state before;
	enum cvm_luks_fail fail;
	int token, slot;

	(void)state;
	/* a volume with history: a binding already, so the failing one is the second */
	assert_int_equal(do_bind(ctx, img, key_a, KEY_URL, &token, &slot, &fail), 0);
	image_state(img, &before);
	luks_test_hook = inject;
	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		int r;

		log_reset();
		fail_at = cases[i].step;
		replace_json = cases[i].json;
		fail_err = -EIO;
		r = do_bind(ctx, img, key_b, "https://vault.example.net/keys/b/1", &token, &slot, &fail);
		if (r >= 0)
			fail_msg("case %zu: bind succeeded", i);
		assert_int_equal(fail, CVM_LUKS_FAIL_LOCAL);
		if (cases[i].step != LUKS_STEP_BIND_KEYSLOT)
			assert_true(log_has("byte for byte as before"));
		assert_image_unchanged(img, &before);
	}
	/* restore impossible: the fallback takes out the token and keyslot by number */
	log_reset();
	fail_at = LUKS_STEP_BIND_DONE;
	replace_json = NULL;
	restore_err = -EIO;
	assert_true(do_bind(ctx, img, key_b, "https://vault.example.net/keys/b/1", &token, &slot,
			    &fail) < 0);
	assert_true(log_has("removed again"));
	{
		struct crypt_device *cd = open_image(img);

		assert_int_equal(crypt_keyslot_status(cd, 2), CRYPT_SLOT_INACTIVE);
		assert_int_equal(crypt_token_status(cd, 1, NULL), CRYPT_TOKEN_INACTIVE);
		assert_true(crypt_keyslot_status(cd, 1) == CRYPT_SLOT_ACTIVE);
		crypt_free(cd);
	}
	restore_err = 0;
	luks_test_hook = NULL;
	image_state_done(&before);

	/* still works afterwards, and the first binding is intact */
	assert_int_equal(do_check(ctx, img, key_a, &fail), 0);
	assert_int_equal(do_bind(ctx, img, key_b, "https://vault.example.net/keys/b/1", &token, &slot,
				 &fail), 0);
	unlink(img);
	cvm_ctx_free(ctx);
}

static void test_unbind_atomic(void **state)
{
	struct cvm_ctx *ctx = luks_ctx();
	const char *img = make_image("unbind-atomic");
	struct image_state before;
	enum cvm_luks_fail fail;
	int token, slot;

	(void)state;
	assert_int_equal(do_bind(ctx, img, key_a, KEY_URL, &token, &slot, &fail), 0);
	image_state(img, &before);
	luks_test_hook = inject;
	fail_at = LUKS_STEP_UNBIND_KEYSLOT;
	replace_json = NULL;
	fail_err = -EIO;
	assert_int_equal(cvm_luks_unbind(ctx, img, -1, false, &slot, &fail), -EIO);
	luks_test_hook = NULL;
	assert_image_unchanged(img, &before);
	image_state_done(&before);
	assert_int_equal(do_check(ctx, img, key_a, &fail), 0);
	unlink(img);
	cvm_ctx_free(ctx);
}

/* ---- unlock --------------------------------------------------------------------------------- */

static void test_unlock_reads_only(void **state)
{
	struct cvm_ctx *ctx = luks_ctx();
	const char *img = make_image("unlock");
	struct image_state before;
	enum cvm_luks_fail fail;
	int token, slot;
	char *json;

	(void)state;
	assert_int_equal(do_bind(ctx, img, key_a, KEY_URL, &token, &slot, &fail), 0);
	image_state(img, &before);

	assert_int_equal(do_check(ctx, img, key_a, &fail), 0);
	assert_int_equal(fail, CVM_LUKS_FAIL_NONE);
	assert_image_unchanged(img, &before);

	log_reset();
	assert_int_equal(do_check(ctx, img, key_b, &fail), -EKEYREJECTED);
	assert_int_equal(fail, CVM_LUKS_FAIL_UNWRAP);
	assert_true(log_has("does not open with the released key"));
	assert_image_unchanged(img, &before);

	assert_int_equal(do_check(ctx, img, NULL, &fail), -ECONNREFUSED);
	assert_int_equal(fail, CVM_LUKS_FAIL_KEY);
	assert_image_unchanged(img, &before);

	/* a key rotated behind an unversioned key_url: the message says so */
	{
		struct test_source ts = { .key = key_b, .len = 32,
					  .key_id = "https://vault.example.net/keys/disk/new" };
		struct cvm_key_source src = source_of(&ts);
		struct cvm_luks_unlock_params p = { .token = -1 };
		struct cvm_luks_bind_params bp;
		struct cvm_luks_binding b;
		const char *img2 = make_image("rotate");

		binding_init(&b, KEY_URL);
		bp = (struct cvm_luks_bind_params){ .binding = &b, .passphrase = PASS,
						    .passphrase_len = strlen(PASS), .keyslot = -1 };
		ts.key = key_a;
		ts.key_id = "https://vault.example.net/keys/disk/old";
		assert_int_equal(cvm_luks_bind(ctx, img2, &bp, &src, NULL, NULL, &fail), 0);
		json = token_json(img2, 0);
		assert_non_null(strstr(json, "\"key_id\":\"https://vault.example.net/keys/disk/old\""));
		free(json);
		ts.key = key_b;
		ts.key_id = "https://vault.example.net/keys/disk/new";
		log_reset();
		assert_int_equal(cvm_luks_unlock(ctx, img2, &p, &src, NULL, &fail), -EKEYREJECTED);
		assert_true(log_has("a new key version?"));
		cvm_luks_binding_done(&b);
		unlink(img2);
	}

	/* not bound; a token number that is not ours */
	{
		const char *bare = make_image("bare");

		assert_int_equal(do_check(ctx, bare, key_a, &fail), -ENOKEY);
		assert_int_equal(fail, CVM_LUKS_FAIL_NO_BINDING);
		unlink(bare);
	}
	{
		struct test_source ts = { .key = key_a, .len = 32 };
		struct cvm_key_source src = source_of(&ts);
		struct cvm_luks_unlock_params p = { .token = 3 };

		assert_int_equal(cvm_luks_unlock(ctx, img, &p, &src, NULL, &fail), -ENOKEY);
		assert_int_equal(fail, CVM_LUKS_FAIL_NO_BINDING);
	}
	assert_image_unchanged(img, &before);
	image_state_done(&before);
	unlink(img);
	cvm_ctx_free(ctx);
}

static void test_unlock_several_tokens(void **state)
{
	struct cvm_ctx *ctx = luks_ctx();
	const char *img = make_image("several");
	struct test_source ts = { .by_url = true };
	struct cvm_key_source src = source_of(&ts);
	struct cvm_luks_unlock_params p = { .token = -1 };
	enum cvm_luks_fail fail;
	int token, slot;

	(void)state;
	/* token 0 from a service that will be down, token 1 from another vault */
	assert_int_equal(do_bind(ctx, img, key_a, "https://vault.example.net/keys/fail/1", &token,
				 &slot, &fail), 0);
	assert_int_equal(do_bind(ctx, img, key_b, "https://vault.example.net/keys/b/1", &token, &slot,
				 &fail), 0);
	token = -1;
	assert_int_equal(cvm_luks_unlock(ctx, img, &p, &src, &token, &fail), 0);
	assert_int_equal(token, 1);
	assert_int_equal(ts.calls, 2);
	/* only token 0: the key source fails -> KEY */
	p.token = 0;
	assert_int_equal(cvm_luks_unlock(ctx, img, &p, &src, &token, &fail), -ECONNREFUSED);
	assert_int_equal(fail, CVM_LUKS_FAIL_KEY);
	/* one down, one with the wrong key: UNWRAP wins over KEY */
	ts.by_url = false;
	ts.key = key_a;	/* token 0 right */
	ts.len = 32;
	p.token = -1;
	assert_int_equal(cvm_luks_unlock(ctx, img, &p, &src, &token, &fail), 0);
	assert_int_equal(token, 0);
	ts.key = key_b;	/* token 0 wrong, token 1 right */
	assert_int_equal(cvm_luks_unlock(ctx, img, &p, &src, &token, &fail), 0);
	assert_int_equal(token, 1);
	ts.key = NULL;
	ts.err = -EHOSTUNREACH;
	assert_int_equal(cvm_luks_unlock(ctx, img, &p, &src, &token, &fail), -EHOSTUNREACH);
	assert_int_equal(fail, CVM_LUKS_FAIL_KEY);
	/* token 0: service down; token 1 edited to ask another vault: wrong key and AAD */
	ts.by_url = true;
	ts.key = key_a;
	{
		char *j = token_json(img, 1), *p1 = strstr(j, "/keys/b/1");

		assert_non_null(p1);
		memcpy(p1, "/keys/c/1", 9);
		token_replace(img, 1, j);
		free(j);
	}
	assert_int_equal(cvm_luks_unlock(ctx, img, &p, &src, &token, &fail), -EKEYREJECTED);
	assert_int_equal(fail, CVM_LUKS_FAIL_UNWRAP);
	unlink(img);
	cvm_ctx_free(ctx);
}

static void test_token_moved(void **state)
{
	struct cvm_ctx *ctx = luks_ctx();
	const char *a = make_image("moved-a"), *b = make_image("moved-b");
	struct image_state before;
	enum cvm_luks_fail fail;
	int token, slot;
	char *ja;

	(void)state;
	assert_int_equal(do_bind(ctx, a, key_a, KEY_URL, &token, &slot, &fail), 0);
	assert_int_equal(do_bind(ctx, b, key_a, KEY_URL, &token, &slot, &fail), 0);
	assert_int_equal(do_check(ctx, b, key_a, &fail), 0);
	/* A's token on B, where keyslot 1 exists too: same key, other UUID -> no */
	ja = token_json(a, 0);
	token_replace(b, 0, ja);
	free(ja);
	image_state(b, &before);
	log_reset();
	assert_int_equal(do_check(ctx, b, key_a, &fail), -EKEYREJECTED);
	assert_int_equal(fail, CVM_LUKS_FAIL_UNWRAP);
	assert_true(log_has("copied from another volume"));
	assert_image_unchanged(b, &before);
	image_state_done(&before);

	/* A's own token pointed at another keyslot (0, the passphrase one) -> no */
	ja = token_json(a, 0);
	{
		char *p = strstr(ja, "[\"1\"]");

		assert_non_null(p);
		p[2] = '0';
	}
	token_replace(a, 0, ja);
	free(ja);
	assert_int_equal(do_check(ctx, a, key_a, &fail), -EKEYREJECTED);
	assert_int_equal(fail, CVM_LUKS_FAIL_UNWRAP);

	/* keyslot removed under the token: libcryptsetup empties "keyslots"; unusable */
	{
		struct crypt_device *cd = open_image(b);

		assert_int_equal(crypt_keyslot_destroy(cd, 1), 0);
		crypt_free(cd);
		log_reset();
		assert_int_equal(do_check(ctx, b, key_a, &fail), -EBADMSG);
		assert_int_equal(fail, CVM_LUKS_FAIL_UNWRAP);
		assert_true(log_has("exactly one keyslot"));
	}
	unlink(a);
	unlink(b);
	cvm_ctx_free(ctx);
}

static void test_token_tampered(void **state)
{
	static const struct {
		const char *key;	/* a top-level or release field */
		const char *value;	/* NULL: remove it */
		bool release;
	} edits[] = {
		{ "key_url", "https://evil.example.net/keys/disk/0123abcd", true },
		{ "attest_url", "https://evil.example.net", true },
		{ "enc", "CKM_RSA_AES_KEY_WRAP", true },
		{ "attest_type", "tdx", true },
		{ "identity_client_id", NULL, true },
		{ "identity_object_id", "x", true },
		{ "platform", "tdx", false },
		{ "platform", NULL, false },
		{ "key_id", "https://vault.example.net/keys/disk/1", false },
		{ "salt", "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=", false },
		{ "nonce", "AAECAwQFBgcICQoL", false },
		{ "wrapped", "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=", false },
		{ "tag", "AAECAwQFBgcICQoLDA0ODw==", false },
	};
	struct cvm_ctx *ctx = luks_ctx();
	const char *img = make_image("tamper");
	enum cvm_luks_fail fail;
	int token, slot;
	char *orig;

	(void)state;
	assert_int_equal(do_bind(ctx, img, key_a, KEY_URL, &token, &slot, &fail), 0);
	orig = token_json(img, 0);
	for (size_t i = 0; i < ELEMENTSOF(edits); i++) {
		json_t *o = json_loads(orig, 0, NULL);
		json_t *where = edits[i].release ? json_object_get(o, "release") : o;
		struct image_state before;
		char *edited;

		if (edits[i].value)
			json_object_set_new(where, edits[i].key, json_string(edits[i].value));
		else
			json_object_del(where, edits[i].key);
		edited = json_dumps(o, JSON_COMPACT);
		json_decref(o);
		token_replace(img, 0, edited);
		free(edited);
		image_state(img, &before);
		if (do_check(ctx, img, key_a, &fail) != -EKEYREJECTED || fail != CVM_LUKS_FAIL_UNWRAP)
			fail_msg("edit %zu (%s) was not detected", i, edits[i].key);
		assert_image_unchanged(img, &before);
		image_state_done(&before);
	}
	token_replace(img, 0, orig);
	assert_int_equal(do_check(ctx, img, key_a, &fail), 0);
	free(orig);
	unlink(img);
	cvm_ctx_free(ctx);
}

/* ---- secrets stay out of logs ----------------------------------------------------------------- */

static void hex_of(const uint8_t *b, size_t n, char *out, bool upper)
{
	for (size_t i = 0; i < n; i++)
		sprintf(out + 2 * i, upper ? "%02X" : "%02x", b[i]);
}

static void assert_not_in(const char *text, size_t text_len, const uint8_t *secret, size_t n,
			  const char *what)
{
	char hex[2 * 64 + 1], b64[128];

	assert_true(n <= 64);
	if (!text)
		return;
	if (memmem(text, text_len, secret, n))
		fail_msg("%s appears raw in the output", what);
	/* any 8-byte window, so that a partial dump is caught too */
	for (size_t off = 0; off + 8 <= n; off++) {
		hex_of(secret + off, 8, hex, false);
		if (memmem(text, text_len, hex, 16))
			fail_msg("%s appears in hex in the output", what);
		hex_of(secret + off, 8, hex, true);
		if (memmem(text, text_len, hex, 16))
			fail_msg("%s appears in HEX in the output", what);
	}
	EVP_EncodeBlock((unsigned char *)b64, secret, (int)n);
	if (memmem(text, text_len, b64, 16))
		fail_msg("%s appears in base64 in the output", what);
}

static void test_secrets_not_logged(void **state)
{
	struct cvm_ctx *ctx = luks_ctx();
	const char *img = make_image("secrets");
	enum cvm_luks_fail fail;
	char *uuid = image_uuid(img), *json;
	uint8_t p[32];
	int token, slot;

	(void)state;
	crypt_set_debug_level(CRYPT_DEBUG_JSON);	/* libcryptsetup's debug, JSON dumps too */
	assert_int_equal(do_bind(ctx, img, key_a, KEY_URL, &token, &slot, &fail), 0);
	assert_int_equal(do_check(ctx, img, key_a, &fail), 0);
	assert_int_equal(do_check(ctx, img, key_b, &fail), -EKEYREJECTED);
	assert_int_equal(cvm_luks_unbind(ctx, img, -1, false, &slot, &fail), 0);
	crypt_set_debug_level(CRYPT_DEBUG_NONE);
	assert_true(log_has("libcryptsetup: "));	/* its debug output was captured */
	assert_true(loglen > 10000);

	/* P: bind again (without logging) and read it out of the token */
	assert_int_equal(do_bind(ctx, img, key_a, KEY_URL, &token, &slot, &fail), 0);
	json = token_json(img, token);
	assert_true(indep_unwrap(json, uuid, key_a, 32, p));
	free(json);
	log_reset();
	crypt_set_debug_level(CRYPT_DEBUG_JSON);
	assert_int_equal(do_check(ctx, img, key_a, &fail), 0);
	assert_int_equal(cvm_luks_unbind(ctx, img, -1, false, &slot, &fail), 0);
	crypt_set_debug_level(CRYPT_DEBUG_NONE);
	assert_not_in(logbuf, loglen, key_a, 32, "K");
	assert_not_in(logbuf, loglen, key_b, 32, "a wrong K");
	assert_not_in(logbuf, loglen, p, 32, "P");
	assert_null(strstr(logbuf, PASS));
	free(uuid);
	unlink(img);
	cvm_ctx_free(ctx);
}

/* ---- secret buffers ------------------------------------------------------------------------------ */

static void test_secret_read_fd(void **state)
{
	struct cvm_secret *s;
	int fds[2];

	(void)state;
	assert_int_equal(pipe(fds), 0);
	assert_int_equal(write(fds[1], "line one\nline two", 17), 17);
	close(fds[1]);
	assert_int_equal(cvm_secret_read_fd(fds[0], 100, true, &s), 0);
	assert_int_equal(cvm_secret_len(s), 8);
	assert_memory_equal(cvm_secret_data(s), "line one", 8);
	cvm_secret_free(s);
	close(fds[0]);

	/* binary, up to end of file, grows past a page */
	{
		uint8_t big[10000];

		for (size_t i = 0; i < sizeof(big); i++)
			big[i] = (uint8_t)(i * 7);
		assert_int_equal(pipe(fds), 0);
		assert_int_equal(write(fds[1], big, sizeof(big)), (ssize_t)sizeof(big));
		close(fds[1]);
		assert_int_equal(cvm_secret_read_fd(fds[0], sizeof(big), false, &s), 0);
		assert_int_equal(cvm_secret_len(s), sizeof(big));
		assert_memory_equal(cvm_secret_data(s), big, sizeof(big));
		cvm_secret_free(s);
		close(fds[0]);

		assert_int_equal(pipe(fds), 0);
		assert_int_equal(write(fds[1], big, sizeof(big)), (ssize_t)sizeof(big));
		close(fds[1]);
		assert_int_equal(cvm_secret_read_fd(fds[0], sizeof(big) - 1, false, &s), -EFBIG);
		close(fds[0]);
	}
	assert_int_equal(pipe(fds), 0);
	close(fds[1]);
	assert_int_equal(cvm_secret_read_fd(fds[0], 100, false, &s), -ENODATA);
	close(fds[0]);
}

/* ---- crypto backends ------------------------------------------------------------------------------ */

static void test_crypto_backends(void **state)
{
	struct cvm_ctx *ctx = luks_ctx();
	const char *img = make_image("backend");
	struct image_state before;
	enum cvm_luks_fail fail;
	enum cvm_luks_crypto c;
	int token, slot, r;

	(void)state;
	assert_int_equal(cvm_luks_crypto_from_name("kernel", &c), 0);
	assert_int_equal(c, CVM_LUKS_CRYPTO_KERNEL);
	assert_int_equal(cvm_luks_crypto_from_name("gcrypt", &c), -EINVAL);

	cvm_luks_set_crypto(ctx, CVM_LUKS_CRYPTO_OPENSSL);
	assert_int_equal(do_bind(ctx, img, key_a, KEY_URL, &token, &slot, &fail), 0);
	assert_string_equal(luks_crypto_last_backend(ctx), "openssl");
	image_state(img, &before);

	cvm_luks_set_crypto(ctx, CVM_LUKS_CRYPTO_KERNEL);
	log_reset();
	r = do_check(ctx, img, key_a, &fail);
	if (r == 0) {
		/* AF_ALG works here: OpenSSL's token opens with the kernel, and back */
		assert_string_equal(luks_crypto_last_backend(ctx), "kernel");
		assert_int_equal(do_check(ctx, img, key_b, &fail), -EKEYREJECTED);
		cvm_luks_set_crypto(ctx, CVM_LUKS_CRYPTO_AUTO);
	} else {
		/* no AF_ALG (this build host): KERNEL fails cleanly, AUTO falls back */
		print_message("  (no AF_ALG here: the kernel backend is checked in tests/vm/test-luks)\n");
		assert_true(log_has("the kernel backend was required"));
		assert_int_equal(fail, CVM_LUKS_FAIL_LOCAL);
		cvm_luks_set_crypto(ctx, CVM_LUKS_CRYPTO_AUTO);
		log_reset();
		assert_int_equal(do_check(ctx, img, key_a, &fail), 0);
		assert_true(log_has("using OpenSSL"));
	}
	assert_image_unchanged(img, &before);
	image_state_done(&before);
	unlink(img);
	cvm_ctx_free(ctx);
}

/* ---- devices: scan, crypttab, active mappings ------------------------------------------------- */

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void test_devices(void **state)
{
	struct cvm_ctx *ctx = luks_ctx();
	char sys[4096], dev[4096], path[4200], nodash[64];
	const char *bound = make_image("scan-bound"), *bare = make_image("scan-bare");
	enum cvm_luks_fail fail;
	char **found, *name, *uuid;
	int token, slot, j = 0;

	(void)state;
	assert_int_equal(do_bind(ctx, bound, key_a, KEY_URL, &token, &slot, &fail), 0);
	uuid = image_uuid(bound);

	/* a fake /sys/class/block and /dev: vdb bound, vdc LUKS2 unbound, vdd empty, vde zeros */
	snprintf(sys, sizeof(sys), "%s/%d-sys", tmp_dir(), (int)getpid());
	snprintf(dev, sizeof(dev), "%s/%d-dev", tmp_dir(), (int)getpid());
	mkdir(sys, 0755);
	mkdir(dev, 0755);
	snprintf(path, sizeof(path), "%s/class", sys);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/class/block", sys);
	mkdir(path, 0755);
	{
		static const char *const names[] = { "vdb", "vdc", "vdd", "vde" };
		const char *targets[] = { bound, bare, bare, NULL };

		for (int i = 0; i < 4; i++) {
			snprintf(path, sizeof(path), "%s/class/block/%s", sys, names[i]);
			mkdir(path, 0755);
			snprintf(path, sizeof(path), "%s/class/block/%s/size", sys, names[i]);
			write_file(path, i == 2 ? "0\n" : "65536\n");
			snprintf(path, sizeof(path), "%s/%s", dev, names[i]);
			unlink(path);
			if (targets[i])
				assert_int_equal(symlink(targets[i], path), 0);
			else
				write_file(path, "not a LUKS header at all, just text\n");
		}
	}
	assert_int_equal(cvm_luks_scan(ctx, sys, dev, &found), 0);
	assert_non_null(found[0]);
	snprintf(path, sizeof(path), "%s/vdb", dev);
	assert_string_equal(found[0], path);
	assert_null(found[1]);
	free(found[0]);
	free(found);

	/* crypttab: by UUID=, by path, by a symlink to the same file; none */
	snprintf(path, sizeof(path), "%s/crypttab", sys);
	{
		char text[8192];

		snprintf(text, sizeof(text), "# comment\n\nother UUID=00000000-0000-0000-0000-000000000000 none\n"
			 "data UUID=%s none luks\n", uuid);
		write_file(path, text);
	}
	assert_int_equal(cvm_luks_crypttab_name(ctx, path, bound, uuid, &name), 0);
	assert_string_equal(name, "data");
	free(name);
	{
		char text[8192], link[4200];

		snprintf(link, sizeof(link), "%s/vdb", dev);
		snprintf(text, sizeof(text), "first %s/vdc none\nsecond %s none\n", dev, link);
		write_file(path, text);
		assert_int_equal(cvm_luks_crypttab_name(ctx, path, bound, uuid, &name), 0);
		assert_string_equal(name, "second");
		free(name);
		write_file(path, "x UUID=1 none\n");
		assert_int_equal(cvm_luks_crypttab_name(ctx, path, bound, uuid, &name), -ENOENT);
	}
	snprintf(path, sizeof(path), "%s/no-crypttab", sys);
	assert_int_equal(cvm_luks_crypttab_name(ctx, path, bound, uuid, &name), -ENOENT);

	/* an active mapping: libcryptsetup's DM UUID under block/dm-N/dm */
	for (const char *c = uuid; *c; c++)
		if (*c != '-')
			nodash[j++] = *c;
	nodash[j] = 0;
	snprintf(path, sizeof(path), "%s/block", sys);
	mkdir(path, 0755);
	assert_int_equal(cvm_luks_active_name(sys, uuid, &name), -ENOENT);
	snprintf(path, sizeof(path), "%s/block/dm-3", sys);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/block/dm-3/dm", sys);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/block/dm-3/dm/uuid", sys);
	{
		char text[256];

		snprintf(text, sizeof(text), "CRYPT-LUKS2-%s-cvmdata\n", nodash);
		write_file(path, text);
	}
	snprintf(path, sizeof(path), "%s/block/dm-3/dm/name", sys);
	write_file(path, "cvmdata\n");
	assert_int_equal(cvm_luks_active_name(sys, uuid, &name), 0);
	assert_string_equal(name, "cvmdata");
	free(name);
	assert_int_equal(cvm_luks_active_name(sys, "00000000-0000-0000-0000-000000000000", &name), -ENOENT);

	name = cvm_luks_default_name(uuid);
	assert_true(strncmp(name, "luks-", 5) == 0 && strcmp(name + 5, uuid) == 0);
	free(name);
	free(uuid);
	unlink(bound);
	unlink(bare);
	{
		char cmd[9000];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s' '%s'", sys, dev);
		assert_int_equal(system(cmd), 0);
	}
	cvm_ctx_free(ctx);
}

/* ---- the CLI -------------------------------------------------------------------------------- */

struct cli_run {
	int rc;
	char *out;
	char *err;
};

static char *slurp(const char *path)
{
	size_t n;
	uint8_t *b = load(path, &n);

	b = realloc(b, n + 1);
	b[n] = 0;
	return (char *)b;
}

/*
 * Run the CLI with @key on fd 3 (NULL: fd 3 closed) and @in on stdin (NULL:
 * /dev/null); stdout and stderr captured.
 */
static struct cli_run cli(const uint8_t *key, size_t key_len, const char *in,
			  const char *const *args)
{
	const char *bin = getenv("CVMATTEST_BIN");
	const char *argv[64];
	char outp[4200], errp[4200];
	struct cli_run res = { 0 };
	int kp[2], ip[2], status;
	size_t i;
	pid_t pid;

	if (!bin || !*bin)
		fail_msg("CVMATTEST_BIN is not set; run the tests through 'make check'");
	argv[0] = bin;
	argv[1] = "luks";
	for (i = 0; args[i]; i++) {
		assert_true(i + 3 < 64);
		argv[i + 2] = args[i];
	}
	argv[i + 2] = NULL;
	snprintf(outp, sizeof(outp), "%s/%d-cli.out", tmp_dir(), (int)getpid());
	snprintf(errp, sizeof(errp), "%s/%d-cli.err", tmp_dir(), (int)getpid());
	assert_int_equal(pipe(kp), 0);
	assert_int_equal(pipe(ip), 0);
	if (key)
		assert_int_equal(write(kp[1], key, key_len), (ssize_t)key_len);
	if (in)
		assert_int_equal(write(ip[1], in, strlen(in)), (ssize_t)strlen(in));
	close(kp[1]);
	close(ip[1]);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int o = open(outp, O_CREAT | O_TRUNC | O_WRONLY, 0600);
		int e = open(errp, O_CREAT | O_TRUNC | O_WRONLY, 0600);

		dup2(ip[0], STDIN_FILENO);
		dup2(o, STDOUT_FILENO);
		dup2(e, STDERR_FILENO);
		if (key)
			dup2(kp[0], 3);
		else
			close(3);
		for (int fd = 4; fd < 64; fd++)
			close(fd);
		execv(bin, (char *const *)argv);
		_exit(127);
	}
	close(kp[0]);
	close(ip[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	res.rc = WEXITSTATUS(status);
	res.out = slurp(outp);
	res.err = slurp(errp);
	if (getenv("CVMATTEST_TEST_VERBOSE"))
		fprintf(stderr, "  [cli rc=%d]\n%s%s", res.rc, res.out, res.err);
	unlink(outp);
	unlink(errp);
	return res;
}

static void cli_done(struct cli_run *r)
{
	free(r->out);
	free(r->err);
}

#define CLI(key, in, ...) cli(key, 32, in, ARGS(__VA_ARGS__))	/* len unused for NULL */

/*
 * What bind prints after binding: the crypttab line of the boot hooks
 * (option cvmattest, cvmattest-boot.rst) with the volume's own UUID, as
 * libcryptsetup reads it from the header, and the initramfs rebuild.
 */
static void assert_crypttab_hint(const char *err, const char *uuid)
{
	char want[256];

	snprintf(want, sizeof(want), "\n  luks-%s UUID=%s none luks,cvmattest,nofail\n", uuid, uuid);
	if (!strstr(err, want))
		fail_msg("no crypttab line \"%s\" in:\n%s", want + 3, err);
	assert_non_null(strstr(err, "/etc/crypttab"));
	assert_non_null(strstr(err, "update-initramfs -u"));
}

/* `luks list` names the volume's UUID on its first line. */
static void assert_list_uuid(const char *out, const char *img, const char *uuid)
{
	char want[4300];

	snprintf(want, sizeof(want), "%s: LUKS2 UUID %s\n", img, uuid);
	assert_true(strncmp(out, want, strlen(want)) == 0);
}

/* A path that is no volume: what it is and what to give instead, not "Block device required". */
static void test_cli_device_errors(void **state)
{
	static const struct {
		const char *cmd, *path, *want;
	} cases[] = {
		{ "list", "/nonexistent-cvmattest", "/nonexistent-cvmattest: No such file or directory; "
		  "give the encrypted volume's block device (for example /dev/disk/by-uuid/UUID" },
		{ "unlock", "/nonexistent-cvmattest", "No such file or directory; give the encrypted" },
		{ "unbind", "/", "/ is a directory; give the encrypted volume's block device or a LUKS2 "
		  "image file" },
		{ "list", "/dev/null", "/dev/null is not a block device or an image file; give the "
		  "encrypted volume's block device" },
	};
	struct cli_run r;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (!strcmp(cases[i].cmd, "unbind"))
			r = CLI(NULL, NULL, cases[i].cmd, "-d", cases[i].path, "--token", "1");
		else
			r = CLI(NULL, NULL, cases[i].cmd, "-d", cases[i].path);
		assert_int_equal(r.rc, 1);
		if (!strstr(r.err, cases[i].want))
			fail_msg("luks %s -d %s: stderr '%s' lacks '%s'", cases[i].cmd, cases[i].path,
				 r.err, cases[i].want);
		assert_null(strstr(r.err, "Block device required"));
		cli_done(&r);
	}
}

static void test_cli(void **state)
{
	const char *img = make_image("cli");
	char *uuid = image_uuid(img), *json;
	struct image_state before;
	struct cli_run r;
	uint8_t p[32];

	(void)state;
	/* usage */
	r = CLI(NULL, NULL, "--help");
	assert_int_equal(r.rc, 0);
	assert_non_null(strstr(r.out, "unlock --all"));
	cli_done(&r);
	r = CLI(NULL, NULL, "bind", "--help");
	assert_int_equal(r.rc, 0);
	assert_non_null(strstr(r.out, "--unlock-key-file"));
	cli_done(&r);
	r = CLI(NULL, NULL, "frobnicate");
	assert_int_equal(r.rc, 1);
	cli_done(&r);
	r = CLI(NULL, NULL, "bind");
	assert_int_equal(r.rc, 1);
	assert_non_null(strstr(r.err, "-d DEV is required"));
	cli_done(&r);
	r = CLI(NULL, NULL, "list", "-d", img, "--force");
	assert_int_equal(r.rc, 1);
	assert_non_null(strstr(r.err, "does not take --force"));
	cli_done(&r);
	r = CLI(NULL, NULL, "unlock", "--all", "-d", img);
	assert_int_equal(r.rc, 1);
	cli_done(&r);
	r = CLI(NULL, NULL, "unlock", "-d", img, "--key-file-fd", "3", "--check");
	assert_int_equal(r.rc, 1);	/* fd 3 is not open */
	assert_non_null(strstr(r.err, "--key-file-fd"));
	cli_done(&r);
	/* the default key source: without the release library it cannot be made (2) */
	r = CLI(NULL, NULL, "unlock", "-d", img, "--check");
	assert_int_equal(r.rc, 8);	/* it can; but the volume is not bound yet */
	cli_done(&r);

	/* bind: passphrase from stdin (one line), key from fd 3 */
	image_state(img, &before);
	r = CLI(key_a, "wrong passphrase\n", "bind", "-d", img, "--attest-url", ATTEST_URL, "--key-url",
		KEY_URL, "--key-file-fd", "3");
	assert_int_equal(r.rc, 10);
	assert_non_null(strstr(r.err, "opens no keyslot"));
	cli_done(&r);
	r = CLI(key_a, PASS "\n", "bind", "-d", img, "--key-url", KEY_URL, "--key-file-fd", "3");
	assert_int_equal(r.rc, 1);
	assert_non_null(strstr(r.err, "attest_url: missing"));
	cli_done(&r);
	r = CLI(key_a, PASS "\n", "bind", "-d", img, "--attest-url", ATTEST_URL, "--key-url", KEY_URL,
		"--attest-type", "quantum", "--key-file-fd", "3");
	assert_int_equal(r.rc, 1);
	cli_done(&r);
	assert_image_unchanged(img, &before);
	image_state_done(&before);

	r = CLI(key_a, PASS "\n", "bind", "-d", img, "--attest-url", ATTEST_URL, "--key-url", KEY_URL,
		"--enc", "RSA_AES_KEY_WRAP_384", "--identity-msi-res-id", "/subscriptions/x/id",
		"--platform", "tdx", "--key-file-fd", "3", "-vv", "--crypto-backend", "auto");
	assert_int_equal(r.rc, 0);
	assert_non_null(strstr(r.err, "testing aid"));
	assert_non_null(strstr(r.err, "(token 0, keyslot 1)"));
	assert_crypttab_hint(r.err, uuid);
	assert_null(strstr(r.err, "names no key version"));
	json = token_json(img, 0);
	assert_true(indep_unwrap(json, uuid, key_a, 32, p));
	free(json);
	assert_not_in(r.err, strlen(r.err), key_a, 32, "K (CLI bind)");
	assert_not_in(r.err, strlen(r.err), p, 32, "P (CLI bind)");
	assert_null(strstr(r.err, PASS));
	cli_done(&r);

	/* list, text and JSON */
	r = CLI(NULL, NULL, "list", "-d", img);
	assert_int_equal(r.rc, 0);
	assert_list_uuid(r.out, img, uuid);
	assert_non_null(strstr(r.out, "token 0: keyslot 1, cvmattest token version 2"));
	assert_non_null(strstr(r.out, "RSA_AES_KEY_WRAP_384"));
	assert_non_null(strstr(r.out, "/subscriptions/x/id"));
	cli_done(&r);
	r = CLI(NULL, NULL, "list", "-d", img, "--json");
	assert_int_equal(r.rc, 0);
	{
		json_t *o = json_loads(r.out, 0, NULL), *t0;

		assert_non_null(o);
		t0 = json_array_get(json_object_get(o, "tokens"), 0);
		assert_string_equal(json_string_value(json_object_get(t0, "platform")), "tdx");
		assert_true(json_is_true(json_object_get(t0, "keyslot_active")));
		json_decref(o);
	}
	cli_done(&r);

	/* unlock --check --json: what was done, never the key */
	r = CLI(key_a, NULL, "unlock", "-d", img, "--check", "--key-file-fd", "3", "--json");
	assert_int_equal(r.rc, 0);
	{
		json_t *o = json_loads(r.out, 0, NULL);

		assert_non_null(o);
		assert_int_equal(json_integer_value(json_object_get(o, "token")), 0);
		assert_true(json_is_false(json_object_get(o, "activated")));
		assert_null(json_object_get(o, "error"));
		json_decref(o);
	}
	assert_not_in(r.out, strlen(r.out), key_a, 32, "K (CLI unlock --json)");
	cli_done(&r);

	/* unlock --check: 0; wrong key: 2; header never written */
	image_state(img, &before);
	r = CLI(key_a, NULL, "unlock", "-d", img, "--check", "--key-file-fd", "3", "-vv");
	assert_int_equal(r.rc, 0);
	assert_non_null(strstr(r.err, "token 0 opens its keyslot"));
	assert_not_in(r.err, strlen(r.err), key_a, 32, "K (CLI unlock)");
	assert_not_in(r.err, strlen(r.err), p, 32, "P (CLI unlock)");
	cli_done(&r);
	r = CLI(key_b, NULL, "unlock", "-d", img, "--check", "--key-file-fd", "3");
	assert_int_equal(r.rc, 2);
	assert_non_null(strstr(r.err, "does not open with the released key"));
	cli_done(&r);
	/* an empty key; a key given as stdin */
	r = cli((const uint8_t *)"", 0, NULL, ARGS("unlock", "-d", img, "--check", "--key-file-fd", "3"));
	assert_int_equal(r.rc, 1);
	assert_non_null(strstr(r.err, "empty"));
	cli_done(&r);
	r = cli(NULL, 0, "0123456789abcdef0123456789abcdef", ARGS("unlock", "-d", img, "--check",
								  "--key-file-fd", "0"));
	assert_int_equal(r.rc, 2);
	cli_done(&r);
	/* a configuration that cannot be read is named with the reason, never blamed on the disk */
	{
		static const char *const bad[][2] = {
			{ "/nonexistent/cvmattest.conf", "No such file or directory" },
			{ "/tmp", "Is a directory" },
		};

		for (size_t i = 0; i < 2; i++) {
			char want[256];

			snprintf(want, sizeof(want), "cannot read %s: %s", bad[i][0], bad[i][1]);
			r = CLI(NULL, NULL, "unlock", "-d", img, "--check", "--config", bad[i][0]);
			assert_int_equal(r.rc, 1);
			assert_non_null(strstr(r.err, want));
			assert_null(strstr(r.err, "edited token"));
			cli_done(&r);
			r = CLI(NULL, NULL, "bind", "-d", img, "--config", bad[i][0]);
			assert_int_equal(r.rc, 1);
			assert_non_null(strstr(r.err, want));
			cli_done(&r);
		}
	}
	/* activation would need device-mapper; on a busy name it must say 5 -- see the VM test */
	assert_image_unchanged(img, &before);
	image_state_done(&before);

	/* bind with a key file as the passphrase; key and passphrase both on stdin is refused */
	{
		char kf[4200];

		snprintf(kf, sizeof(kf), "%s/%d-keyfile", tmp_dir(), (int)getpid());
		write_file(kf, PASS);
		r = CLI(key_b, NULL, "bind", "-d", img, "--attest-url", ATTEST_URL, "--key-url",
			"https://vault.example.net/keys/b/1", "--unlock-key-file", kf, "--key-file-fd",
			"3", "--keyslot", "5");
		assert_int_equal(r.rc, 0);
		assert_non_null(strstr(r.err, "(token 1, keyslot 5)"));
		cli_done(&r);
		r = cli(NULL, 0, PASS, ARGS("bind", "-d", img, "--attest-url", ATTEST_URL, "--key-url",
					    KEY_URL, "--unlock-key-file", "-", "--key-file-fd", "0"));
		assert_int_equal(r.rc, 1);
		assert_non_null(strstr(r.err, "stdin cannot carry both"));
		cli_done(&r);
		unlink(kf);
	}

	/* unbind: several -> choose (the message names --token N); then each; then nothing
	 * left: 8 */
	r = CLI(NULL, NULL, "unbind", "-d", img);
	assert_int_equal(r.rc, 1);
	assert_non_null(strstr(r.err, "several"));
	assert_non_null(strstr(r.err, "choose one with --token N"));
	cli_done(&r);
	r = CLI(NULL, NULL, "unbind", "-d", img, "--token", "1");
	assert_int_equal(r.rc, 0);
	assert_non_null(strstr(r.err, "keyslot 5 removed"));
	cli_done(&r);
	r = CLI(NULL, NULL, "unbind", "-d", img);
	assert_int_equal(r.rc, 0);
	cli_done(&r);
	r = CLI(NULL, NULL, "unbind", "-d", img);
	assert_int_equal(r.rc, 8);
	cli_done(&r);
	r = CLI(key_a, NULL, "unlock", "-d", img, "--check", "--key-file-fd", "3");
	assert_int_equal(r.rc, 8);
	assert_non_null(strstr(r.err, "not bound"));
	cli_done(&r);
	/* --json: the same status, and the error as one object on stdout */
	r = CLI(key_a, NULL, "unlock", "-d", img, "--check", "--key-file-fd", "3", "--json");
	assert_int_equal(r.rc, 8);
	{
		json_t *o = json_loads(r.out, 0, NULL), *e;

		assert_non_null(o);
		e = json_object_get(o, "error");
		assert_int_equal(json_integer_value(json_object_get(e, "code")), 8);
		assert_string_equal(json_string_value(json_object_get(e, "name")), "no-binding");
		assert_non_null(strstr(json_string_value(json_object_get(e, "message")), "not bound"));
		json_decref(o);
	}
	cli_done(&r);
	r = CLI(NULL, NULL, "list", "-d", img);
	assert_int_equal(r.rc, 0);
	assert_list_uuid(r.out, img, uuid);
	assert_non_null(strstr(r.out, "no cvmattest token"));
	cli_done(&r);
	r = CLI(NULL, NULL, "list", "-d", "/nonexistent/device");
	assert_int_equal(r.rc, 1);
	cli_done(&r);
	free(uuid);
	unlink(img);
}

/*
 * bind warns about a key_url without a version (the newest is released: a
 * rotation changes the key), only then, and says how to pin it; -q keeps
 * both the warning and the next steps quiet, and changes nothing else.
 */
/* bind and unbind under --json: one object on stdout, what was done; no text hints. */
static void test_cli_json_bind(void **state)
{
	const char *img = make_image("cli-json");
	struct cli_run r;
	json_t *o;

	(void)state;
	r = CLI(key_a, PASS "\n", "bind", "-d", img, "--attest-url", ATTEST_URL, "--key-url",
		KEY_URL, "--key-file-fd", "3", "--json");
	assert_int_equal(r.rc, 0);
	o = json_loads(r.out, 0, NULL);
	assert_non_null(o);
	assert_string_equal(json_string_value(json_object_get(o, "device")), img);
	assert_string_equal(json_string_value(json_object_get(o, "key_url")), KEY_URL);
	assert_true(json_is_integer(json_object_get(o, "token")));
	assert_true(json_integer_value(json_object_get(o, "keyslot")) >= 1);
	json_decref(o);
	assert_null(strstr(r.out, "/etc/crypttab"));
	cli_done(&r);
	r = CLI(NULL, NULL, "unbind", "-d", img, "--json");
	assert_int_equal(r.rc, 0);
	o = json_loads(r.out, 0, NULL);
	assert_non_null(o);
	assert_string_equal(json_string_value(json_object_get(o, "device")), img);
	assert_true(json_integer_value(json_object_get(o, "keyslot_removed")) >= 1);
	json_decref(o);
	cli_done(&r);
	/* nothing left to remove: one error object, exit 8 (no binding) */
	r = CLI(NULL, NULL, "unbind", "-d", img, "--json");
	assert_int_equal(r.rc, 8);
	o = json_loads(r.out, 0, NULL);
	assert_non_null(o);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(o, "error"), "code")), 8);
	json_decref(o);
	cli_done(&r);
	unlink(img);
}

static void test_cli_bind_hints(void **state)
{
	static const char *const unversioned[][2] = {	/* key_url, the key without "/" */
		{ "https://vault.example.net/keys/disk", "https://vault.example.net/keys/disk" },
		{ "https://vault.example.net/keys/disk/", "https://vault.example.net/keys/disk" },
		{ "https://hsm.managedhsm.example.net/keys/data-disk",
		  "https://hsm.managedhsm.example.net/keys/data-disk" },
	};
	const char *img = make_image("cli-hints");
	char *uuid = image_uuid(img), want[512];
	struct cli_run r;

	(void)state;
	for (size_t i = 0; i < ELEMENTSOF(unversioned); i++) {
		const char *url = unversioned[i][0];

		r = CLI(key_a, PASS "\n", "bind", "-d", img, "--attest-url", ATTEST_URL, "--key-url",
			url, "--key-file-fd", "3");
		assert_int_equal(r.rc, 0);
		snprintf(want, sizeof(want), "warning: key_url %s names no key version", url);
		assert_non_null(strstr(r.err, want));
		snprintf(want, sizeof(want), "--key-url %s/VERSION", unversioned[i][1]);
		assert_non_null(strstr(r.err, want));
		assert_non_null(strstr(r.err, "az keyvault key show --id"));
		/* the warning comes before the passphrase is asked for and anything written */
		assert_true(strstr(r.err, "names no key version") < strstr(r.err, "bound to"));
		assert_crypttab_hint(r.err, uuid);
		/* the test key source records no key_id: nothing to suggest */
		assert_null(strstr(r.err, "Key Vault released"));
		cli_done(&r);
		r = CLI(NULL, NULL, "unbind", "-d", img);
		assert_int_equal(r.rc, 0);
		cli_done(&r);
	}
	/* a version, in any case of hex digits: no warning */
	r = CLI(key_a, PASS "\n", "bind", "-d", img, "--attest-url", ATTEST_URL, "--key-url",
		"https://vault.example.net/keys/disk/0123ABCDef", "--key-file-fd", "3");
	assert_int_equal(r.rc, 0);
	assert_null(strstr(r.err, "warning: key_url"));
	assert_crypttab_hint(r.err, uuid);
	cli_done(&r);
	/* -q: neither warning nor next steps, the binding as without it */
	r = CLI(key_a, PASS "\n", "bind", "-d", img, "--attest-url", ATTEST_URL, "--key-url",
		"https://vault.example.net/keys/disk", "--key-file-fd", "3", "-q");
	assert_int_equal(r.rc, 0);
	assert_string_equal(r.err, "");
	cli_done(&r);
	r = CLI(NULL, NULL, "list", "-d", img);
	assert_int_equal(r.rc, 0);
	assert_list_uuid(r.out, img, uuid);
	assert_non_null(strstr(r.out, "token 1: keyslot 2"));
	cli_done(&r);
	/* refused binds print no next step */
	r = CLI(key_a, "wrong passphrase\n", "bind", "-d", img, "--attest-url", ATTEST_URL,
		"--key-url", KEY_URL, "--key-file-fd", "3");
	assert_int_equal(r.rc, 10);	/* auth */
	assert_null(strstr(r.err, "/etc/crypttab"));
	cli_done(&r);
	free(uuid);
	unlink(img);
}

/* ---- the production key source: attestation and release, against the local service ------- */

#include "azsvc.h"

/* A configuration for the local service and key @kid, with @extra lines; its path in @path. */
static void release_conf(const struct azsvc *svc, const char *name, const char *kid,
			 const char *extra, char *path, size_t path_len)
{
	char text[8192];

	snprintf(path, path_len, "%s/%d-%s.conf", tmp_dir(), (int)getpid(), name);
	snprintf(text, sizeof(text),
		 "attest_url = %s\nkey_url = %s\nca_bundle = %s\nimds_url = %s\nkv_resource = %s\n"
		 "cache_dir = %s/%d-%s-cache\nkds_url = https://127.0.0.1:1\n"
		 "evidence_command = %s snp-report --report-data {report_data} -o {out} --certs {certs}\n"
		 "request_timeout = 10s\ntotal_timeout = 20s\n%s",
		 svc->attest_url, kid, svc->ca_bundle, svc->imds_url, svc->kv_resource, tmp_dir(),
		 (int)getpid(), name, svc->sim, extra);
	write_file(path, text);
}

static void test_release_source(void **state)
{
	struct cvm_ctx *ctx = luks_ctx();
	const char *img = make_image("release");
	char kid[512], kid_rsa[512], kid_tdx[512], conf[4200], extra[1200], *json, *uuid;
	uint8_t mat[64], mat_rsa[4096], mat_tdx[64], p[32];
	size_t mat_len = sizeof(mat), mat_rsa_len = sizeof(mat_rsa), mat_tdx_len = sizeof(mat_tdx);
	struct cvm_luks_bind_params bp = { .passphrase = PASS, .passphrase_len = strlen(PASS),
					   .keyslot = -1 };
	struct cvm_luks_unlock_params up = { .token = -1 };
	struct cvm_key_source *src;
	struct cvm_luks_binding b = { 0 };
	struct image_state before;
	enum cvm_luks_fail fail;
	struct azsvc svc;
	struct cli_run r;
	int token, slot;

	(void)state;
	if (!azsvc_start(&svc, NULL)) {
		unlink(img);
		cvm_ctx_free(ctx);
		skip();
	}
	azsvc_create_key(&svc, "luks-oct", NULL, kid, sizeof(kid), mat, &mat_len);
	azsvc_create_key(&svc, "luks-rsa", ARGS("--rsa-size", "2048"), kid_rsa, sizeof(kid_rsa),
			 mat_rsa, &mat_rsa_len);
	azsvc_create_key(&svc, "luks-tdx-only", ARGS("--tee", "tdx"), kid_tdx, sizeof(kid_tdx),
			 mat_tdx, &mat_tdx_len);
	/* the other two keys listed: a token may only name keys the configuration lists */
	snprintf(extra, sizeof(extra), "retries = 1\nbackoff = 100ms\nallowed_keys = %s, %s\n",
		 kid_rsa, kid_tdx);
	release_conf(&svc, "luks", kid, extra, conf, sizeof(conf));
	uuid = image_uuid(img);

	/* the binding from the configuration, defaults recorded */
	assert_int_equal(cvm_luks_binding_from_config(ctx, conf, &b), 0);
	assert_string_equal(b.attest_url, svc.attest_url);
	assert_string_equal(b.key_url, kid);
	assert_string_equal(b.attest_type, "auto");
	assert_string_equal(b.enc, "RSA_AES_KEY_WRAP_256");
	assert_null(b.identity_client_id);
	bp.binding = &b;
	assert_int_equal(cvm_key_source_release_new(ctx, conf, &src), 0);

	/* bind and unlock by attestation and release; the token opens with the key Key Vault holds */
	assert_int_equal(cvm_luks_bind(ctx, img, &bp, src, &token, &slot, &fail), 0);
	json = token_json(img, token);
	assert_true(indep_unwrap(json, uuid, mat, mat_len, p));
	assert_int_equal(keyslot_opens(img, slot, p, 32), slot);
	assert_non_null(strstr(json, "\"key_id\":\""));
	free(json);
	image_state(img, &before);
	assert_int_equal(cvm_luks_unlock(ctx, img, &up, src, &token, &fail), 0);
	assert_not_in(logbuf, loglen, mat, mat_len, "the released key");
	assert_not_in(logbuf, loglen, p, 32, "P");

	/* an RSA key: K is its PKCS#8 */
	assert_int_equal(cvm_luks_binding_set(&b, "key_url", kid_rsa), 0);
	assert_int_equal(cvm_luks_bind(ctx, img, &bp, src, &token, &slot, &fail), 0);
	json = token_json(img, token);
	assert_true(indep_unwrap(json, uuid, mat_rsa, mat_rsa_len, p));
	free(json);
	image_state_done(&before);
	image_state(img, &before);
	up.token = token;
	assert_int_equal(cvm_luks_unlock(ctx, img, &up, src, &token, &fail), 0);

	/* the release policy refuses (SNP evidence, a TDX-only key): KEY, nothing written */
	assert_int_equal(cvm_luks_binding_set(&b, "key_url", kid_tdx), 0);
	assert_true(cvm_luks_bind(ctx, img, &bp, src, &token, &slot, &fail) < 0);
	assert_int_equal(fail, CVM_LUKS_FAIL_KEY);
	/* the service fails: KEY (a new source: this one holds the key it released) */
	azsvc_fault(&svc, "{\"kind\":\"status\",\"target\":\"attest\",\"status\":503,\"count\":100}");
	cvm_key_source_free(src);
	assert_int_equal(cvm_key_source_release_new(ctx, conf, &src), 0);
	up.token = -1;
	assert_true(cvm_luks_unlock(ctx, img, &up, src, &token, &fail) < 0);
	assert_int_equal(fail, CVM_LUKS_FAIL_KEY);
	azsvc_clear_faults(&svc);
	assert_image_unchanged(img, &before);
	image_state_done(&before);
	cvm_key_source_free(src);

	/* the CLI, the same way */
	r = cli(NULL, 0, NULL, ARGS("unlock", "-d", img, "--check", "--config", conf));
	assert_int_equal(r.rc, 0);
	assert_null(strstr(r.err, "testing aid"));
	cli_done(&r);
	r = cli(NULL, 0, PASS "\n", ARGS("bind", "-d", img, "--config", conf, "--key-url", kid));
	assert_int_equal(r.rc, 0);
	cli_done(&r);
	r = cli(NULL, 0, NULL, ARGS("unlock", "-d", img, "--check", "--token", "2", "--config", conf));
	assert_int_equal(r.rc, 0);
	cli_done(&r);
	/*
	 * Without a version: warned, Key Vault releases the newest and the
	 * token records which (key_id); bind names it as the version to pin.
	 */
	{
		char nover[512], conf2[4200], want[1200];

		snprintf(nover, sizeof(nover), "%s", kid);
		assert_non_null(strrchr(nover, '/'));
		*strrchr(nover, '/') = 0;
		assert_int_equal(cvm_config_key_url_versioned(kid), 1);
		assert_int_equal(cvm_config_key_url_versioned(nover), 0);
		release_conf(&svc, "luks-nover", nover, "", conf2, sizeof(conf2));
		r = cli(NULL, 0, PASS "\n", ARGS("bind", "-d", img, "--config", conf2));
		assert_int_equal(r.rc, 0);
		snprintf(want, sizeof(want), "key_url %s names no key version", nover);
		assert_non_null(strstr(r.err, want));
		snprintf(want, sizeof(want), "Key Vault released %s; to pin that version, "
			 "'cvmattest luks unbind -d %s --token 3' and bind again with --key-url %s\n",
			 kid, img, kid);
		if (!strstr(r.err, want))
			fail_msg("want \"%s\" in:\n%s", want, r.err);
		assert_crypttab_hint(r.err, uuid);
		cli_done(&r);
		unlink(conf2);
	}

	azsvc_stop(&svc);
	cvm_luks_binding_done(&b);
	free(uuid);
	unlink(conf);
	unlink(img);
	cvm_ctx_free(ctx);
}

/* Lines of the service's request log that contain @what. */
static int svc_requests(const struct azsvc *svc, const char *what)
{
	char path[700], line[1024];
	int n = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/service.log", svc->state);
	f = fopen(path, "r");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		n += strstr(line, what) != NULL;
	fclose(f);
	return n;
}

/*
 * One source, several volumes (what unlock --all does): one attestation, one
 * release per key.  A token edited to send the machine elsewhere is refused
 * before any request, as the token's problem (not retried); allowed_hosts
 * (discouraged) still admits a host; bind refuses what unlock would refuse.
 */
static void test_release_cache_and_hosts(void **state)
{
	struct cvm_ctx *ctx = luks_ctx();
	char img_a[4096], img_b[4096], img_c[4096], kid[512], kid2[512], conf[4200], conf2[4200];
	char extra[1200], *json, *edited, *at;
	uint8_t mat[64], mat2[64];
	size_t mat_len = sizeof(mat), mat2_len = sizeof(mat2);
	struct cvm_luks_bind_params bp = { .passphrase = PASS, .passphrase_len = strlen(PASS),
					   .keyslot = -1 };
	struct cvm_luks_unlock_params up = { .token = -1 };
	struct cvm_key_source *src;
	struct cvm_luks_binding b = { 0 };
	struct image_state before;
	enum cvm_luks_fail fail;
	struct azsvc svc;
	struct cli_run r;
	int token, slot, attests, releases;

	(void)state;
	snprintf(img_a, sizeof(img_a), "%s", make_image("cache-a"));
	snprintf(img_b, sizeof(img_b), "%s", make_image("cache-b"));
	snprintf(img_c, sizeof(img_c), "%s", make_image("cache-c"));
	if (!azsvc_start(&svc, NULL)) {
		unlink(img_a);
		unlink(img_b);
		unlink(img_c);
		cvm_ctx_free(ctx);
		skip();
	}
	azsvc_create_key(&svc, "cache-one", NULL, kid, sizeof(kid), mat, &mat_len);
	azsvc_create_key(&svc, "cache-two", NULL, kid2, sizeof(kid2), mat2, &mat2_len);
	snprintf(extra, sizeof(extra), "retries = 0\nallowed_keys = %s\n", kid2);
	release_conf(&svc, "cache", kid, extra, conf, sizeof(conf));
	assert_int_equal(cvm_luks_binding_from_config(ctx, conf, &b), 0);
	bp.binding = &b;

	/* a, b bound to one key, c to another: each bind is its own source, as in the CLI */
	assert_int_equal(cvm_key_source_release_new(ctx, conf, &src), 0);
	assert_int_equal(cvm_luks_bind(ctx, img_a, &bp, src, &token, &slot, &fail), 0);
	cvm_key_source_free(src);
	assert_int_equal(cvm_key_source_release_new(ctx, conf, &src), 0);
	assert_int_equal(cvm_luks_bind(ctx, img_b, &bp, src, &token, &slot, &fail), 0);
	cvm_key_source_free(src);
	assert_int_equal(cvm_luks_binding_set(&b, "key_url", kid2), 0);
	assert_int_equal(cvm_key_source_release_new(ctx, conf, &src), 0);
	assert_int_equal(cvm_luks_bind(ctx, img_c, &bp, src, &token, &slot, &fail), 0);
	cvm_key_source_free(src);

	/* one source unlocks all three: one attestation, two releases */
	attests = svc_requests(&svc, "/attest/");
	releases = svc_requests(&svc, "/release");
	assert_int_equal(cvm_key_source_release_new(ctx, conf, &src), 0);
	assert_int_equal(cvm_luks_unlock(ctx, img_a, &up, src, &token, &fail), 0);
	assert_int_equal(cvm_luks_unlock(ctx, img_b, &up, src, &token, &fail), 0);
	assert_int_equal(cvm_luks_unlock(ctx, img_c, &up, src, &token, &fail), 0);
	assert_int_equal(cvm_luks_unlock(ctx, img_a, &up, src, &token, &fail), 0);
	assert_int_equal(svc_requests(&svc, "/attest/") - attests, 1);
	assert_int_equal(svc_requests(&svc, "/release") - releases, 2);
	assert_not_in(logbuf, loglen, mat, mat_len, "the cached key");
	cvm_key_source_free(src);

	/* the token edited to send the key request elsewhere: refused, nothing sent */
	json = token_json(img_a, 0);
	at = strstr(json, svc.kv_url);
	assert_non_null(at);
	assert_true(asprintf(&edited, "%.*shttps://127.0.0.2:1%s", (int)(at - json), json,
			     at + strlen(svc.kv_url)) > 0);
	token_replace(img_a, 0, edited);
	image_state(img_a, &before);
	attests = svc_requests(&svc, "/attest/");
	assert_int_equal(cvm_key_source_release_new(ctx, conf, &src), 0);
	log_reset();
	assert_true(cvm_luks_unlock(ctx, img_a, &up, src, &token, &fail) < 0);
	assert_int_equal(fail, CVM_LUKS_FAIL_UNWRAP);
	assert_non_null(strstr(logbuf, "https://127.0.0.2:1/keys/"));
	assert_non_null(strstr(logbuf, "is not allowed"));
	assert_non_null(strstr(logbuf, "allowed_keys"));
	assert_int_equal(svc_requests(&svc, "/attest/"), attests);
	assert_image_unchanged(img_a, &before);
	cvm_key_source_free(src);
	/* the CLI: exit 2 (not worth retrying) */
	r = cli(NULL, 0, NULL, ARGS("unlock", "-d", img_a, "--check", "--config", conf));
	assert_int_equal(r.rc, 2);
	assert_non_null(strstr(r.err, "allowed_keys"));
	cli_done(&r);
	/* allowed_hosts (discouraged, warned) admits it: now it is tried (and cannot be reached: KEY) */
	release_conf(&svc, "cache2", kid,
		     "retries = 0\nallowed_hosts = kv.example.org, 127.0.0.2\nconnect_timeout = 2s\n",
		     conf2, sizeof(conf2));
	assert_int_equal(cvm_key_source_release_new(ctx, conf2, &src), 0);
	assert_true(cvm_luks_unlock(ctx, img_a, &up, src, &token, &fail) < 0);
	assert_int_equal(fail, CVM_LUKS_FAIL_KEY);
	assert_image_unchanged(img_a, &before);
	cvm_key_source_free(src);
	image_state_done(&before);
	token_replace(img_a, 0, json);
	free(edited);
	free(json);

	/* bind refuses a binding that unlock would refuse, before touching the header */
	image_state(img_b, &before);
	r = cli(NULL, 0, PASS "\n", ARGS("bind", "-d", img_b, "--config", conf, "--key-url",
					 "https://kv.example.org/keys/k/1"));
	assert_int_equal(r.rc, 1);
	assert_non_null(strstr(r.err, "https://kv.example.org/keys/k/1 is not allowed"));
	cli_done(&r);
	assert_image_unchanged(img_b, &before);
	image_state_done(&before);
	/* ...and Azure's own domains are not built in (test_release_keys_pinned: the opt-in) */
	assert_int_equal(cvm_luks_binding_set(&b, "key_url",
					      "https://myvault.vault.azure.net/keys/k/1"), 0);
	assert_int_equal(cvm_key_source_release_new(ctx, conf, &src), 0);
	assert_int_equal(src->check_binding(ctx, &b, src->userdata), -EPERM);
	assert_int_equal(cvm_luks_binding_set(&b, "key_url",
					      "https://vault.azure.net.evil.example/keys/k/1"), 0);
	assert_int_equal(src->check_binding(ctx, &b, src->userdata), -EPERM);
	assert_int_equal(cvm_luks_binding_set(&b, "attest_url", "https://x.attest.azure.net"), 0);
	assert_int_equal(cvm_luks_binding_set(&b, "key_url", kid), 0);
	assert_int_equal(src->check_binding(ctx, &b, src->userdata), -EPERM);
	cvm_key_source_free(src);

	azsvc_stop(&svc);
	cvm_luks_binding_done(&b);
	unlink(conf);
	unlink(conf2);
	unlink(img_a);
	unlink(img_b);
	unlink(img_c);
	cvm_ctx_free(ctx);
}

/* Warnings only, for the opt-in wildcards' warning; the rest goes to capture_log(). */
static char warnbuf[4096];

static void capture_warnings(int level, const char *msg, void *userdata)
{
	if (level == CVM_LOG_WARNING && strlen(warnbuf) + strlen(msg) + 2 < sizeof(warnbuf)) {
		strcat(warnbuf, msg);
		strcat(warnbuf, "\n");
	}
	capture_log(level, msg, userdata);
}

/* A token's release value replaced by @to (it was @from); the edited JSON in the header. */
static void token_edit(const char *img, const char *from, const char *to)
{
	char *json = token_json(img, 0), *edited, *at;

	at = strstr(json, from);
	assert_non_null(at);
	assert_true(asprintf(&edited, "%.*s%s%s", (int)(at - json), json, to,
			     at + strlen(from)) > 0);
	token_replace(img, 0, edited);
	free(edited);
	free(json);
}

/* check_binding() of a release source on @conf for @key_url (and @attest_url if not NULL). */
static int pin_check(struct cvm_ctx *ctx, const char *conf, struct cvm_luks_binding *b,
		     const char *attest_url, const char *key_url)
{
	struct cvm_key_source *src;
	int r;

	if (attest_url)
		assert_int_equal(cvm_luks_binding_set(b, "attest_url", attest_url), 0);
	assert_int_equal(cvm_luks_binding_set(b, "key_url", key_url), 0);
	assert_int_equal(cvm_key_source_release_new(ctx, conf, &src), 0);
	r = src->check_binding(ctx, b, src->userdata);
	cvm_key_source_free(src);
	return r;
}

/*
 * The key identity is pinned by the local configuration, not by the disk
 * (issue 13 item 2).  The host can get a key of its own released to this VM
 * (its vault, a managed-identity token from the IMDS it serves), bind its
 * own volume to it and swap it in.  With the default configuration (only
 * attest_url and key_url set) a token naming another key of the same vault,
 * a key of another vault or another attestation instance is refused before
 * anything is sent, the header untouched, and the message names the setting
 * that would allow it.  allowed_keys admits a key (one version, or any
 * version of it); host patterns are an explicit opt-in, warned about at use.
 */
static void test_release_keys_pinned(void **state)
{
	struct cvm_ctx *ctx = luks_ctx();
	char img[4096], img_h[4096], kid[512], kid2[512], any2[512], vault2[512], attest2[300];
	char conf[4200], conf_h[4200], conf_ok[4200], extra[1200], *slash;
	uint8_t mat[64], mat2[64];
	size_t mat_len = sizeof(mat), mat2_len = sizeof(mat2);
	struct cvm_luks_bind_params bp = { .passphrase = PASS, .passphrase_len = strlen(PASS),
					   .keyslot = -1 };
	struct cvm_luks_unlock_params up = { .token = -1 };
	struct cvm_key_source *src;
	struct cvm_luks_binding b = { 0 }, bh = { 0 }, bc = { 0 };
	struct image_state before;
	enum cvm_luks_fail fail;
	struct azsvc svc;
	struct cli_run r;
	int token, slot, requests;

	(void)state;
	snprintf(img, sizeof(img), "%s", make_image("pin"));
	snprintf(img_h, sizeof(img_h), "%s", make_image("pin-host"));
	if (!azsvc_start(&svc, NULL)) {
		unlink(img);
		unlink(img_h);
		cvm_ctx_free(ctx);
		skip();
	}
	azsvc_create_key(&svc, "pin-disk", NULL, kid, sizeof(kid), mat, &mat_len);
	azsvc_create_key(&svc, "pin-host", NULL, kid2, sizeof(kid2), mat2, &mat2_len);
	/* kid2 without its version; the same key in "another vault": the service's other name */
	snprintf(any2, sizeof(any2), "%s", kid2);
	slash = strrchr(any2, '/');
	assert_non_null(slash);
	*slash = 0;
	assert_non_null(strstr(svc.kv_url, "https://127.0.0.1:"));
	snprintf(vault2, sizeof(vault2), "https://localhost:%s",
		 svc.kv_url + strlen("https://127.0.0.1:"));
	assert_non_null(strstr(svc.attest_url, "https://127.0.0.1:"));
	snprintf(attest2, sizeof(attest2), "https://localhost:%s",
		 svc.attest_url + strlen("https://127.0.0.1:"));

	/* the guest's volume, bound to its key under the default configuration */
	release_conf(&svc, "pin", kid, "retries = 0\n", conf, sizeof(conf));
	assert_int_equal(cvm_luks_binding_from_config(ctx, conf, &b), 0);
	bp.binding = &b;
	assert_int_equal(cvm_key_source_release_new(ctx, conf, &src), 0);
	assert_int_equal(cvm_luks_bind(ctx, img, &bp, src, &token, &slot, &fail), 0);
	cvm_key_source_free(src);
	/* the host's volume, bound with the host's own configuration to another key of the vault */
	release_conf(&svc, "pin-host", kid2, "retries = 0\n", conf_h, sizeof(conf_h));
	assert_int_equal(cvm_luks_binding_from_config(ctx, conf_h, &bh), 0);
	bp.binding = &bh;
	assert_int_equal(cvm_key_source_release_new(ctx, conf_h, &src), 0);
	assert_int_equal(cvm_luks_bind(ctx, img_h, &bp, src, &token, &slot, &fail), 0);
	cvm_key_source_free(src);

	/* swapped in: the guest refuses it before anything is sent */
	image_state(img_h, &before);
	requests = svc_requests(&svc, " fault=");
	assert_int_equal(cvm_key_source_release_new(ctx, conf, &src), 0);
	log_reset();
	assert_true(cvm_luks_unlock(ctx, img_h, &up, src, &token, &fail) < 0);
	assert_int_equal(fail, CVM_LUKS_FAIL_UNWRAP);
	assert_true(log_has(kid2));
	assert_true(log_has("is not allowed"));
	assert_true(log_has("allowed_keys"));
	assert_int_equal(svc_requests(&svc, " fault="), requests);
	assert_image_unchanged(img_h, &before);
	cvm_key_source_free(src);
	r = cli(NULL, 0, NULL, ARGS("unlock", "-d", img_h, "--check", "--config", conf));
	assert_int_equal(r.rc, 2);
	assert_non_null(strstr(r.err, "allowed_keys"));
	cli_done(&r);
	assert_int_equal(svc_requests(&svc, " fault="), requests);
	assert_image_unchanged(img_h, &before);
	image_state_done(&before);

	/* a key of another vault (the same key name and version: only the vault differs) */
	token_edit(img, svc.kv_url, vault2);
	image_state(img, &before);
	assert_int_equal(cvm_key_source_release_new(ctx, conf, &src), 0);
	log_reset();
	assert_true(cvm_luks_unlock(ctx, img, &up, src, &token, &fail) < 0);
	assert_int_equal(fail, CVM_LUKS_FAIL_UNWRAP);
	assert_true(log_has("localhost"));
	assert_true(log_has("allowed_keys"));
	assert_int_equal(svc_requests(&svc, " fault="), requests);
	assert_image_unchanged(img, &before);
	image_state_done(&before);
	cvm_key_source_free(src);
	token_edit(img, vault2, svc.kv_url);

	/* another attestation instance */
	token_edit(img, svc.attest_url, attest2);
	image_state(img, &before);
	assert_int_equal(cvm_key_source_release_new(ctx, conf, &src), 0);
	log_reset();
	assert_true(cvm_luks_unlock(ctx, img, &up, src, &token, &fail) < 0);
	assert_int_equal(fail, CVM_LUKS_FAIL_UNWRAP);
	assert_true(log_has(attest2));
	assert_true(log_has("allowed_attest"));
	assert_int_equal(svc_requests(&svc, " fault="), requests);
	assert_image_unchanged(img, &before);
	image_state_done(&before);
	cvm_key_source_free(src);
	token_edit(img, attest2, svc.attest_url);

	/* the guest's own volume still opens */
	assert_int_equal(cvm_key_source_release_new(ctx, conf, &src), 0);
	assert_int_equal(cvm_luks_unlock(ctx, img, &up, src, &token, &fail), 0);
	cvm_key_source_free(src);

	/* bind refuses a key the configuration does not list, naming the setting, header untouched */
	image_state(img, &before);
	r = cli(NULL, 0, PASS "\n", ARGS("bind", "-d", img, "--config", conf, "--key-url", kid2));
	assert_int_equal(r.rc, 1);
	assert_non_null(strstr(r.err, "allowed_keys"));
	cli_done(&r);
	assert_image_unchanged(img, &before);
	image_state_done(&before);

	/* a listed key: that version */
	snprintf(extra, sizeof(extra), "retries = 0\nallowed_keys = %s\n", kid2);
	release_conf(&svc, "pin-ok", kid, extra, conf_ok, sizeof(conf_ok));
	assert_int_equal(cvm_key_source_release_new(ctx, conf_ok, &src), 0);
	cvm_set_log(ctx, capture_warnings, NULL);
	warnbuf[0] = 0;
	assert_int_equal(cvm_luks_unlock(ctx, img_h, &up, src, &token, &fail), 0);
	assert_string_equal(warnbuf, "");
	cvm_key_source_free(src);
	/* ...not another version of it, nor a key whose name only starts the same */
	memset(&bc, 0, sizeof(bc));
	assert_int_equal(pin_check(ctx, conf_ok, &bc, svc.attest_url, any2), -EPERM);
	snprintf(extra, sizeof(extra), "%s/0123456789abcdef0123456789abcdef", any2);
	assert_int_equal(pin_check(ctx, conf_ok, &bc, NULL, extra), -EPERM);

	/* "any version of this key": the URL without a version */
	snprintf(extra, sizeof(extra), "retries = 0\nallowed_keys = %s/\n", any2);
	release_conf(&svc, "pin-ok", kid, extra, conf_ok, sizeof(conf_ok));
	assert_int_equal(cvm_key_source_release_new(ctx, conf_ok, &src), 0);
	warnbuf[0] = 0;
	assert_int_equal(cvm_luks_unlock(ctx, img_h, &up, src, &token, &fail), 0);
	assert_string_equal(warnbuf, "");
	cvm_key_source_free(src);
	assert_int_equal(pin_check(ctx, conf_ok, &bc, NULL, any2), 0);
	snprintf(extra, sizeof(extra), "%s/0123456789abcdef0123456789abcdef", any2);
	assert_int_equal(pin_check(ctx, conf_ok, &bc, NULL, extra), 0);
	snprintf(extra, sizeof(extra), "%sile/1", any2);
	assert_int_equal(pin_check(ctx, conf_ok, &bc, NULL, extra), -EPERM);
	snprintf(extra, sizeof(extra), "%s/1/release", any2);
	assert_int_equal(pin_check(ctx, conf_ok, &bc, NULL, extra), -EPERM);
	snprintf(extra, sizeof(extra), "%s/1?x=1", any2);
	assert_int_equal(pin_check(ctx, conf_ok, &bc, NULL, extra), -EPERM);
	snprintf(extra, sizeof(extra), "%s/%%2e%%2e", any2);
	assert_int_equal(pin_check(ctx, conf_ok, &bc, NULL, extra), -EPERM);
	snprintf(extra, sizeof(extra), "%s/keys/pin-host", vault2);
	assert_int_equal(pin_check(ctx, conf_ok, &bc, NULL, extra), -EPERM);

	/* the explicit opt-in: any key of a vault host, accepted with a warning */
	release_conf(&svc, "pin-ok", kid, "retries = 0\nallowed_keys = 127.0.0.1\n", conf_ok,
		     sizeof(conf_ok));
	assert_int_equal(cvm_key_source_release_new(ctx, conf_ok, &src), 0);
	warnbuf[0] = 0;
	assert_int_equal(cvm_luks_unlock(ctx, img_h, &up, src, &token, &fail), 0);
	assert_non_null(strstr(warnbuf, "allowed_keys"));
	assert_non_null(strstr(warnbuf, "any key"));
	cvm_key_source_free(src);
	cvm_set_log(ctx, capture_log, NULL);

	/* Azure's domains are no longer built in: the wildcard is an explicit opt-in */
	assert_int_equal(pin_check(ctx, conf, &bc, svc.attest_url,
				   "https://myvault.vault.azure.net/keys/k/1"), -EPERM);
	assert_int_equal(pin_check(ctx, conf, &bc, "https://sharedeus.eus.attest.azure.net", kid),
			 -EPERM);
	release_conf(&svc, "pin-ok", kid, "allowed_keys = *.vault.azure.net\n"
		     "allowed_attest = *.attest.azure.net\n", conf_ok, sizeof(conf_ok));
	cvm_set_log(ctx, capture_warnings, NULL);
	warnbuf[0] = 0;
	assert_int_equal(pin_check(ctx, conf_ok, &bc, "https://sharedeus.eus.attest.azure.net",
				   "https://myvault.vault.azure.net/keys/k/1"), 0);
	assert_non_null(strstr(warnbuf, "*.vault.azure.net"));
	assert_non_null(strstr(warnbuf, "*.attest.azure.net"));
	cvm_set_log(ctx, capture_log, NULL);
	assert_int_equal(pin_check(ctx, conf_ok, &bc, NULL,
				   "https://vault.azure.net.evil.example/keys/k/1"), -EPERM);
	/* an attestation instance listed by URL */
	snprintf(extra, sizeof(extra), "allowed_attest = %s\n", attest2);
	release_conf(&svc, "pin-ok", kid, extra, conf_ok, sizeof(conf_ok));
	assert_int_equal(pin_check(ctx, conf_ok, &bc, attest2, kid), 0);
	assert_int_equal(pin_check(ctx, conf_ok, &bc, "https://localhost:1", kid), -EPERM);

	azsvc_stop(&svc);
	cvm_luks_binding_done(&b);
	cvm_luks_binding_done(&bh);
	cvm_luks_binding_done(&bc);
	unlink(conf);
	unlink(conf_h);
	unlink(conf_ok);
	unlink(img);
	unlink(img_h);
	cvm_ctx_free(ctx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_known_answer),
		cmocka_unit_test(test_parse_strict),
		cmocka_unit_test(test_binding_validate),
		cmocka_unit_test(test_secret_read_fd),
		cmocka_unit_test(test_bind_list_unbind),
		cmocka_unit_test(test_bind_explicit_keyslot_and_refusals),
		cmocka_unit_test(test_bind_atomic),
		cmocka_unit_test(test_unbind_atomic),
		cmocka_unit_test(test_unlock_reads_only),
		cmocka_unit_test(test_unlock_several_tokens),
		cmocka_unit_test(test_token_moved),
		cmocka_unit_test(test_token_tampered),
		cmocka_unit_test(test_secrets_not_logged),
		cmocka_unit_test(test_crypto_backends),
		cmocka_unit_test(test_devices),
		cmocka_unit_test(test_cli),
		cmocka_unit_test(test_cli_device_errors),
		cmocka_unit_test(test_cli_json_bind),
		cmocka_unit_test(test_cli_bind_hints),
		cmocka_unit_test(test_release_source),
		cmocka_unit_test(test_release_cache_and_hosts),
		cmocka_unit_test(test_release_keys_pinned),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests_name("luks", tests, NULL, NULL);
}
