// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The LUKS2 header outside the token is authenticated (issue 13, item 1).
 *
 * The attacker owns the disk: it edits the header JSON the way a disk writer
 * does, recomputes both LUKS2 header checksums (hdr_edit() below, from the
 * on-disk format: https://gitlab.com/cryptsetup/LUKS2-docs, section 2), and
 * libcryptsetup loads the result as a valid header.  For every field that
 * decides what activation does -- segment cipher (cipher_null-ecb,
 * aes-cbc-plain), offset, sector size, persistent allow-discards, the
 * requirements, the keyslot's area, KDF and AF, the digest -- unlock must
 * refuse with a message naming the field, and leave the image byte for byte
 * as it was.  Also: the positive case, another passphrase added with
 * luksAddKey still opening, a null cipher refused even when bound, version
 * 1 tokens refused with the way out, and bind --refresh (library and CLI).
 *
 * Real LUKS2 images made with the real libcryptsetup, file-backed; tokens
 * are checked without activating (tests/vm/test-luks activates for real).
 */
#include <endian.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <libcryptsetup.h>
#include <openssl/evp.h>

#include "luksutil.h"
#include "luks/luks.h"

static void file_sha256(const char *path, uint8_t out[32])
{
	size_t n;
	uint8_t *b = load(path, &n);
	unsigned int len;

	assert_non_null(b);
	assert_int_equal(EVP_Digest(b, n, out, &len, EVP_sha256(), NULL), 1);
	free(b);
}

static void copy_file(const char *from, const char *to)
{
	size_t n;
	uint8_t *b = load(from, &n);
	FILE *f;

	assert_non_null(b);
	unlink(to);
	f = fopen(to, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(b, 1, n, f), n);
	assert_int_equal(fclose(f), 0);
	free(b);
}

/* ---- the disk writer: edit the header JSON, recompute both checksums ------------------------- */

/*
 * LUKS2 binary header (LUKS2-docs, "2.1 Binary header"), big-endian:
 *   0 magic[6] ("LUKS\xba\xbe", secondary "SKUL\xba\xbe"), 6 version u16,
 *   8 hdr_size u64 (binary header + JSON area), 16 seqid u64, 24 label[48],
 *   72 csum_alg[32], 104 salt[64], 168 uuid[40], 208 subsystem[48],
 *   256 hdr_offset u64, 264 padding[184], 448 csum[64], then padding to 4096;
 *   the JSON area follows, NUL-padded to hdr_size.  The secondary copy starts
 *   at hdr_size.  csum = hash(csum_alg) of the hdr_size bytes with csum zeroed.
 */
#define HDR_BIN 4096
#define HDR_SIZE_OFF 8
#define HDR_CSUM_ALG_OFF 72
#define HDR_CSUM_OFF 448
#define HDR_CSUM_LEN 64

static void hdr_checksum(uint8_t *hdr, size_t hdr_size)
{
	uint8_t md[EVP_MAX_MD_SIZE];
	unsigned int n;

	assert_string_equal((char *)hdr + HDR_CSUM_ALG_OFF, "sha256");
	memset(hdr + HDR_CSUM_OFF, 0, HDR_CSUM_LEN);
	assert_int_equal(EVP_Digest(hdr, hdr_size, md, &n, EVP_sha256(), NULL), 1);
	memcpy(hdr + HDR_CSUM_OFF, md, n);
}

typedef void (*hdr_edit_fn)(json_t *hdr, const void *arg);

/* Rewrite the JSON of both header copies of @path with @edit applied; valid checksums. */
static void hdr_edit(const char *path, hdr_edit_fn edit, const void *arg)
{
	uint8_t *buf;
	uint64_t hdr_size;
	json_t *o;
	char *text;
	int fd;

	fd = open(path, O_RDWR);
	assert_true(fd >= 0);
	assert_int_equal(pread(fd, &hdr_size, 8, HDR_SIZE_OFF), 8);
	hdr_size = be64toh(hdr_size);
	assert_true(hdr_size >= 16384 && hdr_size <= (4u << 20));
	buf = malloc(2 * hdr_size);
	assert_non_null(buf);
	assert_int_equal(pread(fd, buf, 2 * hdr_size, 0), (ssize_t)(2 * hdr_size));
	assert_memory_equal(buf, "LUKS\xba\xbe", 6);
	assert_memory_equal(buf + hdr_size, "SKUL\xba\xbe", 6);
	buf[hdr_size - 1] = 0;
	o = json_loads((char *)buf + HDR_BIN, 0, NULL);
	assert_non_null(o);
	edit(o, arg);
	text = json_dumps(o, JSON_COMPACT);
	assert_non_null(text);
	assert_true(strlen(text) < hdr_size - HDR_BIN);
	for (int copy = 0; copy < 2; copy++) {
		uint8_t *h = buf + copy * hdr_size;

		memset(h + HDR_BIN, 0, hdr_size - HDR_BIN);
		memcpy(h + HDR_BIN, text, strlen(text));
		hdr_checksum(h, hdr_size);
	}
	assert_int_equal(pwrite(fd, buf, 2 * hdr_size, 0), (ssize_t)(2 * hdr_size));
	assert_int_equal(close(fd), 0);
	free(text);
	json_decref(o);
	free(buf);
}

/* "a.b.c" in @o, created as objects on the way. */
static void json_set_path(json_t *o, const char *path, json_t *value)
{
	char buf[256], *save = NULL, *part, *next;

	snprintf(buf, sizeof(buf), "%s", path);
	part = strtok_r(buf, ".", &save);
	while ((next = strtok_r(NULL, ".", &save))) {
		json_t *child = json_object_get(o, part);

		if (!child) {
			child = json_object();
			json_object_set_new(o, part, child);
		}
		o = child;
		part = next;
	}
	assert_int_equal(json_object_set_new(o, part, value), 0);
}

struct set_arg {
	const char *path;
	const char *value_json;		/* parsed with JSON_DECODE_ANY */
};

static void edit_set(json_t *hdr, const void *arg)
{
	const struct set_arg *a = arg;
	json_t *v = json_loads(a->value_json, JSON_DECODE_ANY, NULL);

	assert_non_null(v);
	json_set_path(hdr, a->path, v);
}

/* ---- key sources ------------------------------------------------------------------------------- */

struct test_source {
	const uint8_t *key;
	int calls;
};

static int test_get_key(struct cvm_ctx *ctx, const struct cvm_luks_binding *b, void *userdata,
			struct cvm_secret **ret_key, char **ret_key_id)
{
	struct test_source *s = userdata;

	(void)ctx;
	(void)b;
	(void)ret_key_id;
	s->calls++;
	if (!s->key)
		return -ECONNREFUSED;
	return cvm_secret_copy(s->key, 32, ret_key);
}

static struct cvm_key_source source_of(struct test_source *s)
{
	return (struct cvm_key_source){ .name = "the test source", .get_key = test_get_key,
					.userdata = s };
}

static void binding_init(struct cvm_luks_binding *b)
{
	memset(b, 0, sizeof(*b));
	assert_int_equal(cvm_luks_binding_set(b, "attest_url", ATTEST_URL), 0);
	assert_int_equal(cvm_luks_binding_set(b, "key_url", KEY_URL), 0);
}

static int do_bind(struct cvm_ctx *ctx, const char *path, const uint8_t *key,
		   enum cvm_luks_fail *fail)
{
	struct test_source ts = { .key = key };
	struct cvm_key_source src = source_of(&ts);
	struct cvm_luks_binding b;
	struct cvm_luks_bind_params p = { .binding = &b, .passphrase = PASS,
					  .passphrase_len = strlen(PASS), .keyslot = -1 };
	int r;

	binding_init(&b);
	r = cvm_luks_bind(ctx, path, &p, &src, NULL, NULL, fail);
	cvm_luks_binding_done(&b);
	return r;
}

static int do_check(struct cvm_ctx *ctx, const char *path, const uint8_t *key, int *calls,
		    enum cvm_luks_fail *fail)
{
	struct test_source ts = { .key = key };
	struct cvm_key_source src = source_of(&ts);
	struct cvm_luks_unlock_params p = { .token = -1 };
	int r;

	r = cvm_luks_unlock(ctx, path, &p, &src, NULL, fail);
	if (calls)
		*calls = ts.calls;
	return r;
}

static int do_refresh(struct cvm_ctx *ctx, const char *path, const uint8_t *key, const char *pass,
		      enum cvm_luks_fail *fail)
{
	struct test_source ts = { .key = key };
	struct cvm_key_source src = source_of(&ts);
	struct cvm_luks_refresh_params p = { .passphrase = pass, .passphrase_len = strlen(pass),
					     .token = -1 };

	return cvm_luks_refresh(ctx, path, &p, &src, NULL, fail);
}

/* Unlock fails as @want_r with @want_msg in the log, and the image is byte for byte the same. */
static void assert_refused(struct cvm_ctx *ctx, const char *img, int want_r, const char *want_msg,
			   const char *what)
{
	uint8_t before[32], after[32];
	enum cvm_luks_fail fail = CVM_LUKS_FAIL_NONE;
	int r;

	file_sha256(img, before);
	log_reset();
	r = do_check(ctx, img, key_a, NULL, &fail);
	if (r != want_r || fail != CVM_LUKS_FAIL_UNWRAP)
		fail_msg("%s: unlock gave %d (%s), fail %d; %d expected\n%s", what, r, strerror(-r),
			 fail, want_r, logbuf ? logbuf : "");
	if (!log_has(want_msg))
		fail_msg("%s: no \"%s\" in the log:\n%s", what, want_msg, logbuf ? logbuf : "");
	file_sha256(img, after);
	assert_memory_equal(before, after, 32);
}

/* ---- the binding as stored --------------------------------------------------------------------- */

static void test_token_binds_header(void **state)
{
	struct cvm_ctx *ctx = luks_ctx();
	const char *img = make_image("bound");
	enum cvm_luks_fail fail;
	uint8_t before[32], after[32];
	json_t *tok, *h, *dg;
	const char *id;
	char *json;

	(void)state;
	assert_int_equal(do_bind(ctx, img, key_a, &fail), 0);
	json = token_json(img, 0);
	tok = json_loads(json, 0, NULL);
	assert_non_null(tok);
	assert_int_equal(json_integer_value(json_object_get(tok, "version")), 2);
	h = json_object_get(tok, "header");
	assert_non_null(h);
	/* every segment; only the token's keyslot; its digest with keyslots reduced to it */
	assert_string_equal(json_string_value(json_object_get(json_object_get(
				    json_object_get(h, "segments"), "0"), "encryption")),
			    "aes-xts-plain64");
	assert_int_equal(json_object_size(json_object_get(h, "keyslots")), 1);
	assert_non_null(json_object_get(json_object_get(json_object_get(json_object_get(h, "keyslots"),
								       "1"), "kdf"), "salt"));
	assert_int_equal(json_object_size(json_object_get(h, "digests")), 1);
	json_object_foreach(json_object_get(h, "digests"), id, dg) {
		assert_int_equal(json_array_size(json_object_get(dg, "keyslots")), 1);
		assert_string_equal(json_string_value(json_array_get(json_object_get(dg, "keyslots"), 0)),
				    "1");
	}
	assert_true(json_is_object(json_object_get(h, "config")));
	json_decref(tok);
	free(json);

	/* the positive case: opens, writes nothing */
	file_sha256(img, before);
	assert_int_equal(do_check(ctx, img, key_a, NULL, &fail), 0);
	assert_int_equal(fail, CVM_LUKS_FAIL_NONE);
	file_sha256(img, after);
	assert_memory_equal(before, after, 32);

	/* a recovery passphrase added later joins the digest's keyslots: still bound */
	{
		struct crypt_device *cd = open_image(img);

		assert_int_equal(crypt_keyslot_add_by_passphrase(cd, 5, PASS, strlen(PASS), "another",
								 7), 5);
		crypt_free(cd);
	}
	assert_int_equal(do_check(ctx, img, key_a, NULL, &fail), 0);

	/* the wrong key still fails as before, and says nothing about the header */
	log_reset();
	assert_int_equal(do_check(ctx, img, key_b, NULL, &fail), -EKEYREJECTED);
	assert_false(log_has("changed"));
	unlink(img);
	cvm_ctx_free(ctx);
}

/* The binding from a fixed header: exactly these bytes (the format is documented). */
static void test_binding_canonical(void **state)
{
	static const char hdr[] =
		"{\"keyslots\":{\"0\":{\"type\":\"luks2\",\"key_size\":64,\"kdf\":{\"type\":\"argon2id\","
		"\"time\":4,\"memory\":1024,\"cpus\":1,\"salt\":\"c0\"},\"af\":{\"type\":\"luks1\","
		"\"stripes\":4000,\"hash\":\"sha256\"},\"area\":{\"type\":\"raw\",\"offset\":\"32768\","
		"\"size\":\"258048\",\"encryption\":\"aes-xts-plain64\",\"key_size\":64}},"
		"\"1\":{\"type\":\"luks2\",\"key_size\":64,\"priority\":2,\"kdf\":{\"type\":\"pbkdf2\","
		"\"hash\":\"sha256\",\"iterations\":1000,\"salt\":\"c1\"},\"af\":{\"type\":\"luks1\","
		"\"stripes\":4000,\"hash\":\"sha256\"},\"area\":{\"type\":\"raw\",\"offset\":\"290816\","
		"\"size\":\"258048\",\"encryption\":\"aes-xts-plain64\",\"key_size\":64}}},"
		"\"tokens\":{\"0\":{\"type\":\"cvmattest\",\"keyslots\":[\"1\"]}},"
		"\"segments\":{\"0\":{\"type\":\"crypt\",\"offset\":\"16777216\",\"size\":\"dynamic\","
		"\"iv_tweak\":\"0\",\"encryption\":\"aes-xts-plain64\",\"sector_size\":4096}},"
		"\"digests\":{\"0\":{\"type\":\"pbkdf2\",\"keyslots\":[\"0\",\"1\"],\"segments\":[\"0\"],"
		"\"hash\":\"sha256\",\"iterations\":1000,\"salt\":\"s\",\"digest\":\"d\"},"
		"\"1\":{\"type\":\"pbkdf2\",\"keyslots\":[\"2\"],\"segments\":[],\"hash\":\"sha256\","
		"\"iterations\":1000,\"salt\":\"s2\",\"digest\":\"d2\"}},"
		"\"config\":{\"json_size\":\"12288\",\"keyslots_size\":\"16744448\","
		"\"flags\":[\"allow-discards\"]}}";
	static const char want[] =
		"{\"config\":{\"flags\":[\"allow-discards\"]},"
		"\"digests\":{\"0\":{\"digest\":\"d\",\"hash\":\"sha256\",\"iterations\":1000,"
		"\"keyslots\":[\"1\"],\"salt\":\"s\",\"segments\":[\"0\"],\"type\":\"pbkdf2\"}},"
		"\"keyslots\":{\"1\":{\"af\":{\"hash\":\"sha256\",\"stripes\":4000,\"type\":\"luks1\"},"
		"\"area\":{\"encryption\":\"aes-xts-plain64\",\"key_size\":64,\"offset\":\"290816\","
		"\"size\":\"258048\",\"type\":\"raw\"},\"kdf\":{\"hash\":\"sha256\",\"iterations\":1000,"
		"\"salt\":\"c1\",\"type\":\"pbkdf2\"},\"key_size\":64,\"priority\":2,\"type\":\"luks2\"}},"
		"\"segments\":{\"0\":{\"encryption\":\"aes-xts-plain64\",\"iv_tweak\":\"0\","
		"\"offset\":\"16777216\",\"sector_size\":4096,\"size\":\"dynamic\",\"type\":\"crypt\"}}}";
	json_t *b = NULL;
	char why[128], *text;

	(void)state;
	assert_int_equal(luks_header_binding_from_json(hdr, 1, &b, why, sizeof(why)), 0);
	text = json_dumps(b, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENSURE_ASCII);
	assert_string_equal(text, want);
	free(text);
	json_decref(b);
	/* a keyslot that is not there, or that no digest covers */
	assert_int_equal(luks_header_binding_from_json(hdr, 3, &b, why, sizeof(why)), -ENOENT);
	assert_non_null(strstr(why, "keyslot 3"));
	assert_int_equal(luks_header_binding_from_json("{\"keyslots\":{\"2\":{}},\"segments\":{},"
						       "\"digests\":{},\"config\":{}}", 2, &b, why,
						       sizeof(why)), -EBADMSG);
	assert_non_null(strstr(why, "no digest covers keyslot 2"));
	assert_int_equal(luks_header_binding_from_json("[]", 0, &b, why, sizeof(why)), -EBADMSG);
}

/* ---- the attacks --------------------------------------------------------------------------------- */

static void test_header_tampered(void **state)
{
	static const struct {
		const char *path, *value;	/* the edit */
		int err;			/* what unlock returns */
		const char *msg;		/* what the log must say */
	} cases[] = {
		{ "segments.0.encryption", "\"cipher_null-ecb\"", -EPERM,
		  "segments.0.encryption is cipher_null-ecb" },
		{ "segments.0.encryption", "\"aes-cbc-plain\"", -EUCLEAN,
		  "segments.0.encryption changed: bound aes-xts-plain64, header says aes-cbc-plain" },
		{ "segments.0.encryption", "\"aes-xts-plain\"", -EUCLEAN,
		  "segments.0.encryption changed: bound aes-xts-plain64, header says aes-xts-plain" },
		{ "segments.0.offset", "\"16781312\"", -EUCLEAN,
		  "segments.0.offset changed: bound 16777216, header says 16781312" },
		{ "segments.0.sector_size", "4096", -EUCLEAN,
		  "segments.0.sector_size changed: bound 512, header says 4096" },
		{ "segments.0.iv_tweak", "\"8\"", -EUCLEAN,
		  "segments.0.iv_tweak changed: bound 0, header says 8" },
		{ "segments.0.size", "\"1048576\"", -EUCLEAN,
		  "segments.0.size changed: bound dynamic, header says 1048576" },
		{ "config.flags", "[\"allow-discards\"]", -EUCLEAN,
		  "config.flags added: header says [\"allow-discards\"]" },
		{ "config.flags", "[\"allow-discards\",\"no-read-workqueue\"]", -EUCLEAN,
		  "config.flags added" },
		{ "config.requirements", "{\"mandatory\":[]}", -EUCLEAN,
		  "config.requirements added: header says {\"mandatory\":[]}" },
		{ "keyslots.1.area.encryption", "\"aes-cbc-plain\"", -EUCLEAN,
		  "keyslots.1.area.encryption changed: bound aes-xts-plain64, header says aes-cbc-plain" },
		{ "keyslots.1.area.encryption", "\"cipher_null-ecb\"", -EPERM,
		  "keyslots.1.area.encryption is cipher_null-ecb" },
		{ "keyslots.1.kdf.salt", "\"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\"", -EUCLEAN,
		  "keyslots.1.kdf.salt changed: bound " },
		{ "keyslots.1.kdf.iterations", "2000", -EUCLEAN,
		  "keyslots.1.kdf.iterations changed: bound 1000, header says 2000" },
		{ "keyslots.1.kdf.hash", "\"sha1\"", -EUCLEAN,
		  "keyslots.1.kdf.hash changed: bound sha256, header says sha1" },
		{ "keyslots.1.af.hash", "\"sha1\"", -EUCLEAN,
		  "keyslots.1.af.hash changed: bound sha256, header says sha1" },
		{ "keyslots.1.priority", "2", -EUCLEAN, "keyslots.1.priority added: header says 2" },
		{ "digests.0.digest", "\"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\"", -EUCLEAN,
		  "digests.0.digest changed: bound " },
		{ "digests.0.iterations", "1001", -EUCLEAN,
		  "digests.0.iterations changed: bound " },
		{ "digests.0.salt", "\"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\"", -EUCLEAN,
		  "digests.0.salt changed: bound " },
	};
	struct cvm_ctx *ctx = luks_ctx();
	const char *bound = make_image("tamper-bound"), *img = image_path("tamper");
	enum cvm_luks_fail fail;
	char what[128];

	(void)state;
	assert_int_equal(do_bind(ctx, bound, key_a, &fail), 0);
	/* the image as bound: sector size 512, offset 16 MiB, PBKDF2 1000 everywhere */
	{
		struct crypt_device *cd = open_image(bound);

		assert_int_equal(crypt_get_data_offset(cd), 16777216 / 512);
		assert_int_equal(crypt_get_sector_size(cd), 512);
		crypt_free(cd);
	}
	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		struct set_arg a = { cases[i].path, cases[i].value };
		struct crypt_device *cd;

		snprintf(what, sizeof(what), "case %zu (%s = %s)", i, cases[i].path, cases[i].value);
		copy_file(bound, img);
		hdr_edit(img, edit_set, &a);
		/* the forged header is a valid LUKS2 header: libcryptsetup takes it */
		assert_int_equal(crypt_init(&cd, img), 0);
		crypt_set_log_callback(cd, crypt_quiet, NULL);
		if (crypt_load(cd, CRYPT_LUKS2, NULL) != 0)
			fail_msg("%s: libcryptsetup does not load the edited header", what);
		crypt_free(cd);
		assert_refused(ctx, img, cases[i].err, cases[i].msg, what);
		if (cases[i].err == -EUCLEAN && !log_has("bind --refresh"))
			fail_msg("%s: the message does not say how to re-bind", what);
	}
	/* and the untouched copy still opens */
	copy_file(bound, img);
	assert_int_equal(do_check(ctx, img, key_a, NULL, &fail), 0);
	unlink(img);
	unlink(bound);
	cvm_ctx_free(ctx);
}

/* A digest covering the token's keyslot added, or the keyslot moved to another digest. */
static void edit_digest_added(json_t *hdr, const void *arg)
{
	json_t *d0 = json_object_get(json_object_get(hdr, "digests"), "0"), *d1;

	(void)arg;
	d1 = json_deep_copy(d0);
	json_object_set_new(d1, "keyslots", json_pack("[s]", "1"));
	json_object_set_new(d1, "iterations", json_integer(1234));
	json_object_set_new(json_object_get(hdr, "digests"), "1", d1);
	json_object_set_new(d0, "keyslots", json_pack("[s]", "0"));
}

/* A second segment appended (what a reencryption in progress looks like). */
static void edit_segment_added(json_t *hdr, const void *arg)
{
	json_t *s0 = json_object_get(json_object_get(hdr, "segments"), "0"), *s1;

	(void)arg;
	json_object_set_new(s0, "size", json_string("1048576"));
	s1 = json_deep_copy(s0);
	json_object_set_new(s1, "offset", json_string("17825792"));
	json_object_set_new(s1, "size", json_string("dynamic"));
	json_object_set_new(s1, "encryption", json_string("aes-cbc-plain"));
	json_object_set_new(json_object_get(hdr, "segments"), "1", s1);
	json_object_set_new(json_object_get(json_object_get(hdr, "digests"), "0"), "segments",
			    json_pack("[ss]", "0", "1"));
}

static void test_header_tampered_structure(void **state)
{
	struct cvm_ctx *ctx = luks_ctx();
	const char *bound = make_image("struct-bound"), *img = image_path("struct");
	enum cvm_luks_fail fail;

	(void)state;
	assert_int_equal(do_bind(ctx, bound, key_a, &fail), 0);

	copy_file(bound, img);
	hdr_edit(img, edit_digest_added, NULL);
	assert_refused(ctx, img, -EUCLEAN, "digests.1 added", "another digest for the keyslot");
	assert_true(log_has("digests.0 removed"));

	copy_file(bound, img);
	hdr_edit(img, edit_segment_added, NULL);
	assert_refused(ctx, img, -EUCLEAN, "segments.1 added", "a second segment");
	assert_true(log_has("segments.0.size changed: bound dynamic, header says 1048576"));

	unlink(img);
	unlink(bound);
	cvm_ctx_free(ctx);
}

/* ---- null ciphers --------------------------------------------------------------------------------- */

static void test_null_cipher(void **state)
{
	struct cvm_ctx *ctx = luks_ctx();
	const char *img = make_image("null");
	struct luks_token t = { 0 };
	struct cvm_secret *k, *p;
	uint8_t before[32], after[32];
	struct crypt_device *cd;
	enum cvm_luks_fail fail;
	uint8_t pb[32];
	char *json, *uuid;
	int slot;

	(void)state;
	/*
	 * A volume whose segment is cipher_null-ecb (formatting one needs the
	 * kernel's ecb(cipher_null), which this host may lack: the header is
	 * made so with the disk writer's tool).  Bind refuses it, before
	 * writing anything.
	 */
	hdr_edit(img, edit_set, &(struct set_arg){ "segments.0.encryption", "\"cipher_null-ecb\"" });
	file_sha256(img, before);
	log_reset();
	assert_int_equal(do_bind(ctx, img, key_a, &fail), -EPERM);
	assert_true(log_has("segments.0.encryption is cipher_null-ecb"));
	file_sha256(img, after);
	assert_memory_equal(before, after, 32);

	/*
	 * Bound anyway (an older cvmattest, or a header the binding agrees
	 * with): a token whose binding says cipher_null is refused too.
	 */
	for (int i = 0; i < 32; i++)
		pb[i] = (uint8_t)(0x30 + i);
	cd = open_image(img);
	slot = crypt_keyslot_add_by_passphrase(cd, CRYPT_ANY_SLOT, PASS, strlen(PASS),
					       (const char *)pb, 32);
	assert_true(slot > 0);
	t.version = CVM_LUKS_TOKEN_VERSION;
	t.keyslot = slot;
	binding_init(&t.binding);
	assert_int_equal(luks_header_binding(ctx, cd, slot, &t.header), 0);
	uuid = strdup(crypt_get_uuid(cd));
	crypt_free(cd);
	assert_int_equal(cvm_secret_copy(key_a, 32, &k), 0);
	assert_int_equal(cvm_secret_copy(pb, 32, &p), 0);
	assert_int_equal(luks_token_wrap(ctx, &t, uuid, k, p), 0);
	assert_int_equal(luks_token_format(&t, &json), 0);
	cd = open_image(img);
	assert_int_equal(crypt_token_json_set(cd, 0, json), 0);
	crypt_free(cd);
	assert_refused(ctx, img, -EPERM, "segments.0.encryption is cipher_null-ecb", "bound null");
	/* refused before the key was asked for */
	{
		int calls = -1;

		assert_int_equal(do_check(ctx, img, key_a, &calls, &fail), -EPERM);
		assert_int_equal(calls, 0);
	}
	/* and refresh does not bind it either */
	assert_int_equal(do_refresh(ctx, img, key_a, PASS, &fail), -EPERM);
	free(json);
	free(uuid);
	luks_token_done(&t);
	cvm_secret_free(k);
	cvm_secret_free(p);
	unlink(img);
	cvm_ctx_free(ctx);
}

/* ---- refresh ------------------------------------------------------------------------------------- */

/* Rewrite token 0 of @img as version 1 (no header binding), as an older cvmattest wrote it. */
static void make_v1_token(struct cvm_ctx *ctx, const char *img)
{
	struct cvm_secret *k, *p;
	struct luks_token t;
	char why[256], *json = token_json(img, 0), *v1;
	struct crypt_device *cd = open_image(img);
	char *uuid = strdup(crypt_get_uuid(cd));

	crypt_free(cd);
	assert_int_equal(luks_token_parse(json, &t, why, sizeof(why)), 0);
	assert_int_equal(cvm_secret_copy(key_a, 32, &k), 0);
	assert_int_equal(luks_token_unwrap(ctx, &t, uuid, k, &p), 0);
	json_decref(t.header);
	t.header = NULL;
	t.version = 1;
	assert_int_equal(luks_token_wrap(ctx, &t, uuid, k, p), 0);
	assert_int_equal(luks_token_format(&t, &v1), 0);
	assert_null(strstr(v1, "\"header\""));
	token_replace(img, 0, v1);
	free(v1);
	free(json);
	free(uuid);
	luks_token_done(&t);
	cvm_secret_free(k);
	cvm_secret_free(p);
}

static void test_refresh(void **state)
{
	struct cvm_ctx *ctx = luks_ctx();
	const char *img = make_image("refresh");
	uint8_t before[32], after[32];
	enum cvm_luks_fail fail;
	char *json;

	(void)state;
	assert_int_equal(do_bind(ctx, img, key_a, &fail), 0);
	/* nothing changed: refresh rewrites the token, which still opens */
	log_reset();
	assert_int_equal(do_refresh(ctx, img, key_a, PASS, &fail), 0);
	assert_true(log_has("the header is as bound"));
	assert_int_equal(do_check(ctx, img, key_a, NULL, &fail), 0);

	/* the owner changes the header with libcryptsetup: persistent allow-discards */
	{
		struct crypt_device *cd = open_image(img);

		assert_int_equal(crypt_persistent_flags_set(cd, CRYPT_FLAGS_ACTIVATION,
							    CRYPT_ACTIVATE_ALLOW_DISCARDS), 0);
		crypt_free(cd);
	}
	assert_refused(ctx, img, -EUCLEAN, "config.flags added: header says [\"allow-discards\"]",
		       "allow-discards set by the owner");

	/* refresh needs the passphrase and the key; failures write nothing */
	file_sha256(img, before);
	log_reset();
	assert_int_equal(do_refresh(ctx, img, key_a, "wrong passphrase", &fail), -EPERM);
	assert_int_equal(fail, CVM_LUKS_FAIL_AUTH);
	assert_int_equal(do_refresh(ctx, img, key_b, PASS, &fail), -EKEYREJECTED);
	assert_int_equal(fail, CVM_LUKS_FAIL_UNWRAP);
	assert_int_equal(do_refresh(ctx, img, NULL, PASS, &fail), -ECONNREFUSED);
	assert_int_equal(fail, CVM_LUKS_FAIL_KEY);
	file_sha256(img, after);
	assert_memory_equal(before, after, 32);

	/* with both: it binds the new header, says what changed, and unlock opens */
	log_reset();
	assert_int_equal(do_refresh(ctx, img, key_a, PASS, &fail), 0);
	assert_int_equal(fail, CVM_LUKS_FAIL_NONE);
	assert_true(log_has("config.flags added: now [\"allow-discards\"]"));
	assert_int_equal(do_check(ctx, img, key_a, NULL, &fail), 0);
	json = token_json(img, 0);
	assert_non_null(strstr(json, "\"flags\":[\"allow-discards\"]"));
	free(json);

	unlink(img);
	cvm_ctx_free(ctx);
}

static enum luks_step fail_at;

static int inject(enum luks_step step, char **json)
{
	(void)json;
	return step == fail_at ? -EIO : 0;
}

static void test_refresh_atomic(void **state)
{
	static const enum luks_step steps[] = { LUKS_STEP_BIND_TOKEN, LUKS_STEP_BIND_VERIFY };
	struct cvm_ctx *ctx = luks_ctx();
	const char *img = make_image("refresh-atomic");
	enum cvm_luks_fail fail;
	char *json_before, *json_after;

	(void)state;
	assert_int_equal(do_bind(ctx, img, key_a, &fail), 0);
	{
		struct crypt_device *cd = open_image(img);

		assert_int_equal(crypt_persistent_flags_set(cd, CRYPT_FLAGS_ACTIVATION,
							    CRYPT_ACTIVATE_ALLOW_DISCARDS), 0);
		crypt_free(cd);
	}
	json_before = token_json(img, 0);
	for (size_t i = 0; i < ELEMENTSOF(steps); i++) {
		fail_at = steps[i];
		luks_test_hook = inject;
		assert_int_equal(do_refresh(ctx, img, key_a, PASS, &fail), -EIO);
		luks_test_hook = NULL;
		json_after = token_json(img, 0);
		assert_string_equal(json_before, json_after);
		free(json_after);
		assert_refused(ctx, img, -EUCLEAN, "config.flags added", "after a failed refresh");
	}
	free(json_before);
	unlink(img);
	cvm_ctx_free(ctx);
}

static void test_version1_token(void **state)
{
	struct cvm_ctx *ctx = luks_ctx();
	const char *img = make_image("v1");
	enum cvm_luks_fail fail;
	struct cvm_luks_token_info *v;
	size_t n;
	int calls = -1;

	(void)state;
	assert_int_equal(do_bind(ctx, img, key_a, &fail), 0);
	make_v1_token(ctx, img);
	/* refused, with the way out, before any key is asked for */
	assert_refused(ctx, img, -EPROTONOSUPPORT, "luks bind --refresh", "version 1 token");
	assert_true(log_has("does not bind the LUKS2 header"));
	assert_int_equal(do_check(ctx, img, key_a, &calls, &fail), -EPROTONOSUPPORT);
	assert_int_equal(calls, 0);
	assert_int_equal(cvm_luks_list(ctx, img, &v, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(v[0].version, 1);
	assert_false(v[0].header_bound);
	cvm_luks_token_info_free(v, n);
	/* refresh binds the header for the first time; then it opens */
	log_reset();
	assert_int_equal(do_refresh(ctx, img, key_a, PASS, &fail), 0);
	assert_true(log_has("for the first time"));
	assert_int_equal(do_check(ctx, img, key_a, NULL, &fail), 0);
	assert_int_equal(cvm_luks_list(ctx, img, &v, &n), 0);
	assert_int_equal(v[0].version, 2);
	assert_true(v[0].header_bound);
	cvm_luks_token_info_free(v, n);
	unlink(img);
	cvm_ctx_free(ctx);
}

/* ---- the CLI -------------------------------------------------------------------------------------- */

/* Run `cvmattest luks ARGS` with @key on fd 3 and @in on stdin; stdout and stderr in *err. */
static int cli(const uint8_t *key, const char *in, char **err, const char *const *args)
{
	const char *bin = getenv("CVMATTEST_BIN");
	const char *argv[32];
	char errp[4200];
	int kp[2], ip[2], status;
	size_t i, n;
	pid_t pid;

	if (!bin || !*bin)
		fail_msg("CVMATTEST_BIN is not set; run the tests through 'make check'");
	argv[0] = bin;
	argv[1] = "luks";
	for (i = 0; args[i]; i++) {
		assert_true(i + 3 < 32);
		argv[i + 2] = args[i];
	}
	argv[i + 2] = NULL;
	snprintf(errp, sizeof(errp), "%s/%d-clih.err", tmp_dir(), (int)getpid());
	assert_int_equal(pipe(kp), 0);
	assert_int_equal(pipe(ip), 0);
	if (key)
		assert_int_equal(write(kp[1], key, 32), 32);
	if (in)
		assert_int_equal(write(ip[1], in, strlen(in)), (ssize_t)strlen(in));
	close(kp[1]);
	close(ip[1]);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int e = open(errp, O_CREAT | O_TRUNC | O_WRONLY | O_APPEND, 0600);

		dup2(ip[0], STDIN_FILENO);
		dup2(e, STDOUT_FILENO);
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
	*err = (char *)load(errp, &n);
	*err = realloc(*err, n + 1);
	(*err)[n] = 0;
	if (getenv("CVMATTEST_TEST_VERBOSE"))
		fprintf(stderr, "  [cli rc=%d]\n%s", WEXITSTATUS(status), *err);
	unlink(errp);
	return WEXITSTATUS(status);
}

#define CLI(key, in, err, ...) cli(key, in, err, ARGS(__VA_ARGS__))

static void test_cli_refresh(void **state)
{
	const char *img = make_image("cli-refresh");
	struct cvm_ctx *ctx = luks_ctx();
	enum cvm_luks_fail fail;
	char *err;

	(void)state;
	assert_int_equal(do_bind(ctx, img, key_a, &fail), 0);
	hdr_edit(img, edit_set, &(struct set_arg){ "segments.0.encryption", "\"aes-cbc-plain\"" });
	/* unlock: exit 2, the field named */
	assert_int_equal(CLI(key_a, NULL, &err, "unlock", "-d", img, "--check", "--key-file-fd", "3"), 2);
	assert_non_null(strstr(err, "segments.0.encryption changed: bound aes-xts-plain64, header "
				    "says aes-cbc-plain"));
	free(err);
	/* option table: --refresh is bind's; it keeps the release values and keyslot */
	assert_int_equal(CLI(NULL, NULL, &err, "unlock", "-d", img, "--refresh"), 1);
	assert_non_null(strstr(err, "does not take --refresh"));
	free(err);
	assert_int_equal(CLI(NULL, NULL, &err, "bind", "-d", img, "--refresh", "--key-url",
			     "https://vault.example.net/keys/x/1"), 1);
	assert_non_null(strstr(err, "--refresh keeps"));
	free(err);
	assert_int_equal(CLI(NULL, NULL, &err, "bind", "-d", img, "--refresh", "--keyslot", "3"), 1);
	free(err);
	assert_int_equal(CLI(NULL, NULL, &err, "bind", "-d", img, "--token", "0"), 1);
	assert_non_null(strstr(err, "--token only with --refresh"));
	free(err);
	/* wrong passphrase: 6; right one: refreshed (the owner's reencryption, say) */
	assert_int_equal(CLI(key_a, "nope\n", &err, "bind", "-d", img, "--refresh", "--key-file-fd",
			     "3"), 10);
	free(err);
	assert_int_equal(CLI(key_a, PASS "\n", &err, "bind", "-d", img, "--refresh", "--token", "0",
			     "--key-file-fd", "3"), 0);
	assert_non_null(strstr(err, "binds the LUKS2 header as it is now"));
	free(err);
	assert_int_equal(CLI(key_a, NULL, &err, "unlock", "-d", img, "--check", "--key-file-fd", "3"), 0);
	free(err);
	/* --help shows it */
	assert_int_equal(CLI(NULL, NULL, &err, "bind", "--help"), 0);
	assert_non_null(strstr(err, "--refresh"));
	free(err);
	/* a version 1 token: list says so, unlock exits 4 with the way out, refresh fixes it */
	make_v1_token(ctx, img);
	assert_int_equal(CLI(NULL, NULL, &err, "list", "-d", img), 0);
	assert_non_null(strstr(err, "cvmattest token version 1"));
	assert_non_null(strstr(err, "not bound: unlock refuses this token"));
	free(err);
	assert_int_equal(CLI(NULL, NULL, &err, "list", "-d", img, "--json"), 0);
	assert_non_null(strstr(err, "\"header_bound\": false"));
	free(err);
	assert_int_equal(CLI(key_a, NULL, &err, "unlock", "-d", img, "--check", "--key-file-fd", "3"), 2);
	assert_non_null(strstr(err, "luks bind --refresh -d"));
	free(err);
	assert_int_equal(CLI(key_a, PASS "\n", &err, "bind", "-d", img, "--refresh", "--key-file-fd",
			     "3"), 0);
	free(err);
	assert_int_equal(CLI(NULL, NULL, &err, "list", "-d", img, "--json"), 0);
	assert_non_null(strstr(err, "\"header_bound\": true"));
	free(err);
	unlink(img);
	cvm_ctx_free(ctx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_binding_canonical),
		cmocka_unit_test(test_token_binds_header),
		cmocka_unit_test(test_header_tampered),
		cmocka_unit_test(test_header_tampered_structure),
		cmocka_unit_test(test_null_cipher),
		cmocka_unit_test(test_refresh),
		cmocka_unit_test(test_refresh_atomic),
		cmocka_unit_test(test_version1_token),
		cmocka_unit_test(test_cli_refresh),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests_name("luks-header", tests, NULL, NULL);
}
