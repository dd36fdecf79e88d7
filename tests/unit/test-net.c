// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The offline pieces of attestation and key release: the configuration
 * file and its errors, the encodings, the unwrap of key_hsm (RSA-OAEP per
 * enc, RFC 5649 with its published test vectors), key output to a kernel
 * keyring, and configfs-tsm against a fake tree: the test is linked with
 * -Wl,--wrap=mkdir, and a mkdir() under the fake root makes the entry's
 * files the way configfs does, with a thread playing the TSM provider
 * behind FIFOs (inblob in, generation bumped, outblob out).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <keyutils.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <openssl/x509v3.h>

#include "release/release.h"
#include "testutil.h"

/* ---- configuration -------------------------------------------------------------- */

static void test_config_file(void **state)
{
	struct cvm_ctx *ctx = quiet_ctx();
	struct cvm_config *c;
	const char *path;
	static const char text[] =
		"# cvmattest.conf\n"
		"[attestation]\n"
		"attest_url = https://sharedeus.eus.attest.azure.net\n"
		"  attest_type=snp  \n"
		"[keyvault]\n"
		"key_url = \"https://v.vault.azure.net/keys/disk\"\n"
		"enc = RSA_AES_KEY_WRAP_384\n"
		"; http\n"
		"connect_timeout = 500ms\n"
		"total_timeout = 2m\n"
		"retries = 5\n"
		"max_response = 64k\n"
		"clock_skew = 30\n";

	char vb[CVM_CONFIG_VALUE_MAX];

	(void)state;
	assert_int_equal(cvm_config_new(&c), 0);
	/* Defaults. */
	assert_string_equal(cvm_config_get(c, "enc", vb, sizeof(vb)), "RSA_AES_KEY_WRAP_256");
	assert_string_equal(cvm_config_get(c, "imds_url", vb, sizeof(vb)), "http://169.254.169.254");
	assert_string_equal(cvm_config_get(c, "retries", vb, sizeof(vb)), "3");
	assert_null(cvm_config_get(c, "attest_url", vb, sizeof(vb)));
	path = write_tmp("cvmattest.conf", text, strlen(text));
	assert_int_equal(cvm_config_load_file(ctx, c, path), 0);
	assert_string_equal(cvm_config_get(c, "attest_url", vb, sizeof(vb)), "https://sharedeus.eus.attest.azure.net");
	assert_string_equal(cvm_config_get(c, "attest_type", vb, sizeof(vb)), "snp");
	assert_string_equal(cvm_config_get(c, "key_url", vb, sizeof(vb)), "https://v.vault.azure.net/keys/disk");
	assert_string_equal(cvm_config_get(c, "enc", vb, sizeof(vb)), "RSA_AES_KEY_WRAP_384");
	assert_string_equal(cvm_config_get(c, "connect_timeout", vb, sizeof(vb)), "500ms");
	assert_string_equal(cvm_config_get(c, "total_timeout", vb, sizeof(vb)), "120000ms");
	assert_string_equal(cvm_config_get(c, "retries", vb, sizeof(vb)), "5");
	assert_string_equal(cvm_config_get(c, "max_response", vb, sizeof(vb)), "65536");
	assert_string_equal(cvm_config_get(c, "clock_skew", vb, sizeof(vb)), "30s");
	/* Overrides win. */
	assert_int_equal(cvm_config_set(ctx, c, "retries", "0"), 0);
	assert_string_equal(cvm_config_get(c, "retries", vb, sizeof(vb)), "0");
	assert_int_equal(cvm_config_load_file(ctx, c, "/nonexistent/cvmattest.conf"), -ENOENT);
	/* a directory opens, but is not a configuration (it read as an empty one) */
	assert_int_equal(cvm_config_load_file(ctx, c, "/tmp"), -EISDIR);
	cvm_config_free(c);
	cvm_ctx_free(ctx);
}

static void save_msg(int level, const char *msg, void *userdata)
{
	(void)level;
	snprintf(userdata, 1024, "%s", msg);
}

static void test_config_errors(void **state)
{
	static const struct {
		const char *line, *needle;
	} bad[] = {
		{ "attest_url = http://plain.example\n", "https:// URL expected" },
		{ "nonsense = 1\n", "unknown setting \"nonsense\"" },
		{ "retries = many\n", "a number expected" },
		{ "retries = 99\n", "out of range" },
		{ "total_timeout = 5 parsecs\n", "a duration expected" },
		{ "enc = RSA1_5\n", "RSA_AES_KEY_WRAP_256" },
		{ "attest_type = sgx\n", "azure-guest" },
		{ "just words\n", "\"key = value\" expected" },
		{ "transfer_key_bits = 1024\n", "out of range" },
		/* 2^63 ms rounds to LONG_MAX + 1 (UB before, found by fuzz_config); NaN */
		{ "request_timeout = 9223372036854775807ms\n", "request_timeout" },
		{ "request_timeout = nan\n", "request_timeout" },
	};

	(void)state;
	for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
		struct cvm_ctx *ctx;
		struct cvm_config *c;
		char msg[1024] = "";
		const char *path;

		assert_int_equal(cvm_ctx_new(&ctx), 0);
		cvm_set_log(ctx, save_msg, msg);
		assert_int_equal(cvm_config_new(&c), 0);
		path = write_tmp("bad.conf", bad[i].line, strlen(bad[i].line));
		assert_int_equal(cvm_config_load_file(ctx, c, path), -EINVAL);
		if (!strstr(msg, bad[i].needle) || !strstr(msg, "bad.conf:1"))
			fail_msg("\"%s\": message \"%s\" lacks \"%s\"", bad[i].line, msg, bad[i].needle);
		cvm_config_free(c);
		cvm_ctx_free(ctx);
	}
}

/*
 * What a LUKS token may name: the keys and attestation instances this file
 * lists (key_url, attest_url, allowed_keys, allowed_attest); host patterns
 * only as an explicit opt-in; no built-in Azure domains.
 */
static void test_config_allowed_urls(void **state)
{
	static const struct {
		const char *key, *url;
		int want;
	} cases[] = {
		/* nothing built in: Azure's domains are as foreign as any */
		{ "key_url", "https://myvault.vault.azure.net/keys/k/1", -EPERM },
		{ "key_url", "https://MyHsm.managedhsm.azure.net/keys/k", -EPERM },
		{ "attest_url", "https://shared.weu.attest.azure.net", -EPERM },
		/* key_url without a version: any version of that key, of that vault */
		{ "key_url", "https://kv.corp.example/keys/disk", 0 },
		{ "key_url", "https://KV.corp.example/keys/DISK/0123abcd/", 0 },
		{ "key_url", "https://kv.corp.example:443/keys/disk/0123abcd", 0 },
		{ "key_url", "https://kv.corp.example/keys/disk2/0123abcd", -EPERM },
		{ "key_url", "https://kv.corp.example/keys/dis", -EPERM },
		{ "key_url", "https://kv.corp.example:8443/keys/disk", -EPERM },
		{ "key_url", "http://kv.corp.example/keys/disk", -EPERM },
		{ "key_url", "https://kv.corp.example/keys/other/1", -EPERM },
		/* allowed_keys: one version / any version */
		{ "key_url", "https://v.vault.azure.net/keys/boot/aaaa", 0 },
		{ "key_url", "https://v.vault.azure.net/keys/boot/bbbb", -EPERM },
		{ "key_url", "https://v.vault.azure.net/keys/boot", -EPERM },
		{ "key_url", "https://v.vault.azure.net/keys/data/cccc", 0 },
		/* only the exact form: nothing to smuggle past the comparison */
		{ "key_url", "https://kv.corp.example/keys/disk/1/release", -EPERM },
		{ "key_url", "https://kv.corp.example/keys/disk/../other", -EPERM },
		{ "key_url", "https://kv.corp.example/keys/disk/%2e%2e", -EPERM },
		{ "key_url", "https://kv.corp.example/keys/disk?x=1", -EPERM },
		{ "key_url", "https://kv.corp.example/keys/disk#1", -EPERM },
		{ "key_url", "https://evil@kv.corp.example/keys/disk", -EPERM },
		{ "key_url", "https://kv.corp.example/secrets/disk", -EPERM },
		{ "key_url", "https://kv.corp.example/keys/", -EPERM },
		{ "key_url", "not a url", -EPERM },
		/* the opt-in host patterns: any key of those vaults (warned) */
		{ "key_url", "https://a.b.internal.example/keys/x/1", 0 },
		{ "key_url", "https://internal.example/keys/x/1", -EPERM },
		{ "key_url", "https://10.1.2.3/keys/x", 0 },
		{ "key_url", "https://10.1.2.30/keys/x", -EPERM },
		{ "key_url", "https://[fd00::1]:4443/keys/x", 0 },	/* allowed_hosts */
		/* attestation: attest_url, allowed_attest URLs, plain hosts and patterns */
		{ "attest_url", "https://own.example.com:8443", -EPERM },
		{ "attest_url", "https://OWN.example.com/", 0 },
		{ "attest_url", "https://second.example.com:4443", 0 },
		{ "attest_url", "https://second.example.com", -EPERM },
		{ "attest_url", "https://x.eus.attest.azure.net", 0 },
		{ "attest_url", "https://eus.attest.azure.net", -EPERM },
		{ "attest_url", "https://[fd00::1]", 0 },		/* allowed_hosts */
		{ "attest_url", "https://other.example", -EPERM },
		{ "attest_url", "http://own.example.com", -EPERM },
		{ "platform", "https://own.example.com", -EINVAL },
	};
	static const char text[] =
		"attest_url = https://own.example.com\n"
		"key_url = https://kv.corp.example/keys/disk\n"
		"allowed_keys = https://v.vault.azure.net/keys/boot/aaaa, "
		"https://v.vault.azure.net/keys/data *.internal.example,10.1.2.3 "
		"https://last.example/keys/x\n"
		"allowed_attest = https://second.example.com:4443 *.eus.attest.azure.net\n"
		"allowed_hosts = fd00::1\n";
	static const char *const bad[][2] = {
		{ "allowed_keys", "https://v.vault.azure.net/keys" },
		{ "allowed_keys", "https://v.vault.azure.net/keys/a/b/c" },
		{ "allowed_keys", "http://v.vault.azure.net/keys/a" },
		{ "allowed_keys", "v.vault.azure.net/keys/a" },
		{ "allowed_keys", "a*.vault.azure.net" },
		{ "allowed_attest", "http://x.attest.azure.net" },
		{ "allowed_attest", "x.attest.azure.net/" },
	};
	struct cvm_ctx *ctx;
	struct cvm_config *c;
	char msg[1024] = "";
	const char *path;

	(void)state;
	assert_int_equal(cvm_ctx_new(&ctx), 0);
	cvm_set_log(ctx, save_msg, msg);
	assert_int_equal(cvm_config_new(&c), 0);
	path = write_tmp("hosts.conf", text, strlen(text));
	assert_int_equal(cvm_config_load_file(ctx, c, path), 0);
	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		int r = cvm_config_url_allowed(ctx, c, cases[i].key, cases[i].url);

		if (r != cases[i].want)
			fail_msg("%s %s: %d, want %d", cases[i].key, cases[i].url, r, cases[i].want);
	}
	/* the refusal names the key and the line to add, and the file */
	msg[0] = 0;
	assert_int_equal(cvm_config_url_allowed(ctx, c, "key_url",
						"https://kv.corp.example/keys/other/0a1b"), -EPERM);
	assert_non_null(strstr(msg, "https://kv.corp.example/keys/other/0a1b is not allowed"));
	assert_non_null(strstr(msg, "allowed_keys = https://kv.corp.example/keys/other/0a1b"));
	assert_non_null(strstr(msg, "hosts.conf"));
	msg[0] = 0;
	assert_int_equal(cvm_config_url_allowed(ctx, c, "attest_url", "https://other.example/x"),
			 -EPERM);
	assert_non_null(strstr(msg, "allowed_attest = https://other.example"));
	/* a pattern is warned about where it is what admits the token */
	msg[0] = 0;
	assert_int_equal(cvm_config_url_allowed(ctx, c, "key_url",
						"https://a.internal.example/keys/x/1"), 0);
	assert_non_null(strstr(msg, "*.internal.example"));
	assert_non_null(strstr(msg, "any key"));
	msg[0] = 0;
	assert_int_equal(cvm_config_url_allowed(ctx, c, "key_url",
						"https://v.vault.azure.net/keys/data/1"), 0);
	assert_string_equal(msg, "");
	/* "*" allows any key, still warned */
	assert_int_equal(cvm_config_set(ctx, c, "allowed_keys", "*"), 0);
	assert_int_equal(cvm_config_url_allowed(ctx, c, "key_url", "https://other.example/keys/k"),
			 0);
	assert_non_null(strstr(msg, "\"*\""));
	/* malformed entries are refused when the file is read */
	for (size_t i = 0; i < ELEMENTSOF(bad); i++)
		if (cvm_config_set(ctx, c, bad[i][0], bad[i][1]) != -EINVAL)
			fail_msg("%s = %s accepted", bad[i][0], bad[i][1]);
	cvm_config_free(c);
	cvm_ctx_free(ctx);
}

/* ---- encodings ------------------------------------------------------------------------ */

/*
 * What a message quotes is never trusted: a control character (a console
 * escape, a newline forging a second log line) reaches the log as \xNN.
 */
static void test_log_escapes_controls(void **state)
{
	struct cvm_ctx *ctx;
	struct cvm_config *c;
	char msg[1024] = "";

	(void)state;
	assert_int_equal(cvm_ctx_new(&ctx), 0);
	cvm_set_log(ctx, save_msg, msg);
	assert_int_equal(cvm_config_new(&c), 0);
	assert_int_equal(cvm_config_set(ctx, c, "evil\x1b[2J\r\x7fkey", "1"), -EINVAL);
	assert_non_null(strstr(msg, "evil\\x1b[2J\\x0d\\x7fkey"));
	for (const char *p = msg; *p; p++)
		assert_true((unsigned char)*p >= 0x20 && *p != 0x7f);
	cvm_config_free(c);
	cvm_ctx_free(ctx);
}

/* A self-signed leaf for @san with key usage @ku and, if given, EKU @eku. */
static X509 *leaf_for(const char *san, const char *ku, const char *eku)
{
	EVP_PKEY *k = EVP_EC_gen("P-256");
	X509 *x = X509_new();
	X509V3_CTX v3;
	X509_EXTENSION *e;
	char dns[300];

	assert_non_null(k);
	assert_non_null(x);
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
	X509_gmtime_adj(X509_getm_notBefore(x), -3600);
	X509_gmtime_adj(X509_getm_notAfter(x), 3600);
	X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC,
				   (const unsigned char *)san, -1, -1, 0);
	X509_set_issuer_name(x, X509_get_subject_name(x));
	X509_set_pubkey(x, k);
	X509V3_set_ctx(&v3, x, x, NULL, NULL, 0);
	snprintf(dns, sizeof(dns), "DNS:%s", san);
	e = X509V3_EXT_conf_nid(NULL, &v3, NID_subject_alt_name, dns);
	X509_add_ext(x, e, -1);
	X509_EXTENSION_free(e);
	e = X509V3_EXT_conf_nid(NULL, &v3, NID_key_usage, ku);
	X509_add_ext(x, e, -1);
	X509_EXTENSION_free(e);
	if (eku) {
		e = X509V3_EXT_conf_nid(NULL, &v3, NID_ext_key_usage, eku);
		X509_add_ext(x, e, -1);
		X509_EXTENSION_free(e);
	}
	assert_true(X509_sign(x, k, EVP_sha256()) > 0);
	EVP_PKEY_free(k);
	return x;
}

/*
 * The signer of a release response: a TLS server certificate for the vault,
 * or for Azure's Key Vault service domain, never for just any parent domain
 * (a certificate for example.com must not sign for vault.example.com), and
 * never one made for another purpose.
 */
static void test_release_signer_cert(void **state)
{
	X509 *svc = leaf_for("vault.azure.net", "critical,digitalSignature", "serverAuth");
	X509 *own = leaf_for("v.example.com", "critical,digitalSignature", NULL);
	X509 *parent = leaf_for("example.com", "critical,digitalSignature", "serverAuth");
	X509 *codesign = leaf_for("v.vault.azure.net", "critical,digitalSignature", "codeSigning");

	(void)state;
	assert_true(release_signer_cert_ok(svc, "myvault.vault.azure.net"));
	assert_true(release_signer_cert_ok(own, "v.example.com"));
	assert_false(release_signer_cert_ok(own, "w.example.com"));
	assert_false(release_signer_cert_ok(parent, "vault.example.com"));
	assert_false(release_signer_cert_ok(svc, "myvault.vault.azure.net.example.com"));
	assert_false(release_signer_cert_ok(codesign, "v.vault.azure.net"));
	X509_free(svc);
	X509_free(own);
	X509_free(parent);
	X509_free(codesign);
}

/*
 * exp/nbf out of range: a huge real (1e300) or integer would overflow the
 * conversion to time_t and exp + skew (UBSan in fuzz/fuzz_jws.c, crash-3613...).
 */
static void test_jwt_time_range(void **state)
{
	static const char *const bad[] = {
		"{\"exp\":1e300}", "{\"exp\":9223372036854775807}", "{\"exp\":-1}",
		"{\"exp\":-1e300}", "{\"exp\":1767229200,\"nbf\":1e300}",
		"{\"exp\":1767229200,\"nbf\":9223372036854775807}", "{\"exp\":\"1767229200\"}",
	};
	struct cvm_ctx *ctx = quiet_ctx();
	json_t *p;

	(void)state;
	for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
		p = json_loads(bad[i], 0, NULL);
		assert_non_null(p);
		assert_int_equal(jwt_check_time(ctx, "token", p, 3600, 1767225600), -EBADMSG);
		json_decref(p);
	}
	p = json_loads("{\"exp\":1767229200.5,\"nbf\":1767222000}", 0, NULL);
	assert_int_equal(jwt_check_time(ctx, "token", p, 60, 1767225600), 0);
	assert_int_equal(jwt_check_time(ctx, "token", p, 60, 1767239200), -EKEYEXPIRED);
	assert_int_equal(jwt_check_time(ctx, "token", p, 60, 1767212000), -EKEYEXPIRED);
	json_decref(p);
	cvm_ctx_free(ctx);
}

static void test_encodings(void **state)
{
	static const uint8_t data[] = { 0xfb, 0xff, 0x01, 0x02, 0x03 };
	uint8_t *out;
	size_t len;
	char *s, *origin;

	(void)state;
	s = b64url_encode(data, sizeof(data));
	assert_string_equal(s, "-_8BAgM");
	free(s);
	assert_int_equal(b64url_decode("-_8BAgM", 7, &out, &len), 0);
	assert_int_equal(len, sizeof(data));
	assert_memory_equal(out, data, len);
	free(out);
	/* Padded base64url is accepted (MAA's own examples pad). */
	assert_int_equal(b64url_decode("-_8BAgM=", 8, &out, &len), 0);
	free(out);
	assert_int_equal(b64url_decode("+/8BAgM", 7, &out, &len), -EBADMSG);
	assert_int_equal(b64_decode("+/8BAgM=", 8, true, &out, &len), 0);
	assert_int_equal(len, sizeof(data));
	assert_memory_equal(out, data, len);
	free(out);
	assert_int_equal(b64_decode("+/8BAgM", 7, true, &out, &len), -EBADMSG);
	assert_int_equal(b64_decode("-_8BAgM", 7, false, &out, &len), 0);
	free(out);

	assert_int_equal(url_origin("https://SharedEUS.eus.attest.azure.net/", false, &origin), 0);
	assert_string_equal(origin, "https://sharedeus.eus.attest.azure.net");
	free(origin);
	assert_int_equal(url_origin("https://127.0.0.1:8443/x?y", false, &origin), 0);
	assert_string_equal(origin, "https://127.0.0.1:8443");
	free(origin);
	assert_int_equal(url_origin("https://h:443", false, &origin), 0);
	assert_string_equal(origin, "https://h");
	free(origin);
	assert_int_equal(url_origin("http://169.254.169.254", false, NULL), -EINVAL);
	assert_int_equal(url_origin("http://169.254.169.254", true, NULL), 0);

	assert_true(list_has("RS256", "RS256"));
	assert_true(list_has("RS256, PS256", "PS256"));
	assert_false(list_has("RS256", "RS25"));
	assert_false(list_has("RS256", "none"));
	assert_false(list_has("RS256", ""));
}

/* ---- unwrap ---------------------------------------------------------------------------------- */

/* RFC 5649 section 6, both examples. */
static void test_rfc5649_vectors(void **state)
{
	static const uint8_t kek[24] = { 0x58, 0x40, 0xdf, 0x6e, 0x29, 0xb0, 0x2a, 0xf1,
					 0xab, 0x49, 0x3b, 0x70, 0x5b, 0xf1, 0x6e, 0xa1,
					 0xae, 0x83, 0x38, 0xf4, 0xdc, 0xc1, 0x76, 0xa8 };
	static const uint8_t key20[20] = { 0xc3, 0x7b, 0x7e, 0x64, 0x92, 0x58, 0x43, 0x40, 0xbe, 0xd1,
					   0x22, 0x07, 0x80, 0x89, 0x41, 0x15, 0x50, 0x68, 0xf7, 0x38 };
	static const uint8_t wrap20[32] = { 0x13, 0x8b, 0xde, 0xaa, 0x9b, 0x8f, 0xa7, 0xfc,
					    0x61, 0xf9, 0x77, 0x42, 0xe7, 0x22, 0x48, 0xee,
					    0x5a, 0xe6, 0xae, 0x53, 0x60, 0xd1, 0xae, 0x6a,
					    0x5f, 0x54, 0xf3, 0x73, 0xfa, 0x54, 0x3b, 0x6a };
	static const uint8_t key7[7] = { 0x46, 0x6f, 0x72, 0x50, 0x61, 0x73, 0x69 };
	static const uint8_t wrap7[16] = { 0xaf, 0xbe, 0xb0, 0xf0, 0x7d, 0xfb, 0xf5, 0x41,
					   0x92, 0x00, 0xf2, 0xcc, 0xb5, 0x0b, 0xb2, 0x4f };
	struct cvm_ctx *ctx = quiet_ctx();
	struct cvm_secret *k, *out;
	uint8_t bad[32];

	(void)state;
	assert_int_equal(cvm_secret_new(sizeof(kek), &k), 0);
	memcpy(k->data, kek, sizeof(kek));
	assert_int_equal(unwrap_aes_kwp(ctx, k, wrap20, sizeof(wrap20), &out), 0);
	assert_int_equal(out->len, sizeof(key20));
	assert_memory_equal(out->data, key20, sizeof(key20));
	cvm_secret_free(out);
	assert_int_equal(unwrap_aes_kwp(ctx, k, wrap7, sizeof(wrap7), &out), 0);
	assert_int_equal(out->len, sizeof(key7));
	assert_memory_equal(out->data, key7, sizeof(key7));
	cvm_secret_free(out);
	memcpy(bad, wrap20, sizeof(bad));
	bad[31] ^= 1;
	assert_int_equal(unwrap_aes_kwp(ctx, k, bad, sizeof(bad), &out), -EKEYREJECTED);
	assert_int_equal(unwrap_aes_kwp(ctx, k, bad, 12, &out), -EBADMSG);
	cvm_secret_free(k);
	cvm_ctx_free(ctx);
}

/* key_hsm as Key Vault makes it, for @material wrapped to @pub. */
static char *make_key_hsm(EVP_PKEY *pub, const char *hash, const char *enc, const uint8_t *material,
			  size_t len)
{
	uint8_t aes[32], ct[4096];
	size_t rsa_len = sizeof(ct);
	int n1, n2;
	EVP_PKEY_CTX *pc = EVP_PKEY_CTX_new(pub, NULL);
	EVP_CIPHER_CTX *cc = EVP_CIPHER_CTX_new();
	EVP_CIPHER *ciph = EVP_CIPHER_fetch(NULL, "AES-256-WRAP-PAD", NULL);
	json_t *j;
	char *b64, *text, *out;

	assert_int_equal(RAND_bytes(aes, sizeof(aes)), 1);
	assert_int_equal(EVP_PKEY_encrypt_init(pc), 1);
	assert_int_equal(EVP_PKEY_CTX_set_rsa_padding(pc, RSA_PKCS1_OAEP_PADDING), 1);
	assert_int_equal(EVP_PKEY_CTX_set_rsa_oaep_md_name(pc, hash, NULL), 1);
	assert_int_equal(EVP_PKEY_CTX_set_rsa_mgf1_md_name(pc, hash, NULL), 1);
	assert_int_equal(EVP_PKEY_encrypt(pc, ct, &rsa_len, aes, sizeof(aes)), 1);
	assert_int_equal(EVP_EncryptInit_ex2(cc, ciph, aes, NULL, NULL), 1);
	assert_int_equal(EVP_EncryptUpdate(cc, ct + rsa_len, &n1, material, (int)len), 1);
	assert_int_equal(EVP_EncryptFinal_ex(cc, ct + rsa_len + n1, &n2), 1);
	b64 = b64url_encode(ct, rsa_len + (size_t)n1 + (size_t)n2);
	j = json_pack("{s:s, s:{s:s, s:s, s:s}, s:s}", "schema_version", "1.0", "header", "kid",
		      "TransferKey", "alg", "dir", "enc", enc, "ciphertext", b64);
	text = json_dumps(j, JSON_COMPACT);
	out = b64url_encode((uint8_t *)text, strlen(text));
	free(b64);
	free(text);
	json_decref(j);
	EVP_CIPHER_free(ciph);
	EVP_CIPHER_CTX_free(cc);
	EVP_PKEY_CTX_free(pc);
	return out;
}

static void test_unwrap_key_hsm(void **state)
{
	static const struct {
		const char *enc, *hash;
	} encs[] = {
		{ "CKM_RSA_AES_KEY_WRAP", "SHA1" },
		{ "RSA_AES_KEY_WRAP_256", "SHA256" },
		{ "RSA_AES_KEY_WRAP_384", "SHA384" },
	};
	struct cvm_ctx *ctx = quiet_ctx();
	EVP_PKEY *tk = EVP_RSA_gen(2048), *other = EVP_RSA_gen(2048);
	uint8_t material[32];
	struct cvm_key *k;
	size_t len;

	(void)state;
	assert_non_null(tk);
	assert_int_equal(RAND_bytes(material, sizeof(material)), 1);
	for (size_t i = 0; i < ELEMENTSOF(encs); i++) {
		char *kh = make_key_hsm(tk, encs[i].hash, encs[i].enc, material, sizeof(material));

		assert_int_equal(cvm_unwrap_key_hsm(ctx, kh, tk, encs[i].enc, &k), 0);
		assert_memory_equal(cvm_key_data(k, &len), material, sizeof(material));
		assert_int_equal(len, sizeof(material));
		cvm_key_free(k);
		/* Another enc than asked for. */
		assert_int_equal(cvm_unwrap_key_hsm(ctx, kh, tk, encs[(i + 1) % 3].enc, &k), -EBADMSG);
		/* Another transfer key. */
		assert_int_equal(cvm_unwrap_key_hsm(ctx, kh, other, NULL, &k), -EKEYREJECTED);
		free(kh);
	}
	/* The header lies about the hash: OAEP fails. */
	{
		char *kh = make_key_hsm(tk, "SHA1", "RSA_AES_KEY_WRAP_256", material, sizeof(material));

		assert_int_equal(cvm_unwrap_key_hsm(ctx, kh, tk, NULL, &k), -EKEYREJECTED);
		free(kh);
	}
	assert_int_equal(cvm_unwrap_key_hsm(ctx, "bm90IGpzb24", tk, NULL, &k), -EBADMSG);
	EVP_PKEY_free(tk);
	EVP_PKEY_free(other);
	cvm_ctx_free(ctx);
}

static void test_keyring(void **state)
{
	struct cvm_ctx *ctx = quiet_ctx();
	struct cvm_key *k = calloc(1, sizeof(*k));
	int32_t serial = 0;
	void *back = NULL;
	long n;
	int r;

	(void)state;
	assert_int_equal(cvm_secret_new(32, &k->material), 0);
	memset(k->material->data, 0x5a, 32);
	r = cvm_key_to_keyring(ctx, k, "user", "cvmattest-test", "@p", &serial);
	if (r == -ENOSYS || r == -EPERM || r == -EACCES || r == -EDQUOT) {
		cvm_key_free(k);
		cvm_ctx_free(ctx);
		skip();	/* keyrings not available in this sandbox */
	}
	assert_int_equal(r, 0);
	n = keyctl_read_alloc(serial, &back);
	assert_int_equal(n, 32);
	assert_memory_equal(back, k->material->data, 32);
	free(back);
	assert_int_equal(cvm_key_to_keyring(ctx, k, "logon", "no-prefix", "@p", NULL), -EINVAL);
	assert_int_equal(cvm_key_to_keyring(ctx, k, "big_key", "x", "@p", NULL), -EINVAL);
	assert_int_equal(cvm_key_to_keyring(ctx, k, "user", "x", "@nope", NULL), -EINVAL);
	cvm_key_free(k);
	cvm_ctx_free(ctx);
}

/* ---- configfs-tsm, faked ------------------------------------------------------------------------------ */

int __real_mkdir(const char *path, mode_t mode);
int __wrap_mkdir(const char *path, mode_t mode);

static char fake_root[512];
static int fake_races;		/* generations to skip (another writer) */
static bool fake_aux;
static const char *fake_floor;	/* sev_guest: its privlevel_floor; NULL: tdx_guest */
static char fake_last[1200];	/* the entry made last */

struct provider_arg {
	char dir[1024];
};

static void put(const char *dir, const char *name, const char *text)
{
	char p[1200];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	f = fopen(p, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

/* The TSM provider: one report per inblob write, generation bumped per write. */
static void *provider(void *arg)
{
	struct provider_arg *pa = arg;
	unsigned gen = 0;

	for (int round = 0; round < 4; round++) {
		char p[1200], g[32];
		uint8_t in[64], out[80];
		int fd;
		ssize_t n;

		snprintf(p, sizeof(p), "%s/inblob", pa->dir);
		fd = open(p, O_RDONLY);
		if (fd < 0)
			break;
		n = read(fd, in, sizeof(in));
		close(fd);
		if (n != 64)
			break;
		gen += 1 + (fake_races > 0 ? 1 : 0);
		if (fake_races > 0)
			fake_races--;
		snprintf(g, sizeof(g), "%u\n", gen);
		put(pa->dir, "generation", g);
		memcpy(out, "FAKE-QUOTE-v1:..", 16);
		memcpy(out + 16, in, 64);
		snprintf(p, sizeof(p), "%s/outblob", pa->dir);
		fd = open(p, O_WRONLY);
		if (fd < 0)
			break;
		assert_int_equal(write(fd, out, sizeof(out)), (ssize_t)sizeof(out));
		close(fd);
	}
	free(pa);
	return NULL;
}

int __wrap_mkdir(const char *path, mode_t mode)
{
	int r = __real_mkdir(path, mode);
	size_t rl = strlen(fake_root);
	struct provider_arg *pa;
	pthread_t t;
	char p[1200];

	if (r < 0 || !rl || strncmp(path, fake_root, rl) != 0 || path[rl] != '/')
		return r;
	/* What configfs makes for a new report entry. */
	snprintf(p, sizeof(p), "%s/inblob", path);
	assert_int_equal(mkfifo(p, 0600), 0);
	snprintf(p, sizeof(p), "%s/outblob", path);
	assert_int_equal(mkfifo(p, 0600), 0);
	put(path, "generation", "0\n");
	put(path, "provider", fake_floor ? "sev_guest\n" : "tdx_guest\n");
	if (fake_floor) {
		put(path, "privlevel_floor", fake_floor);
		put(path, "privlevel", "");
	}
	snprintf(fake_last, sizeof(fake_last), "%s", path);
	if (fake_aux)
		put(path, "auxblob", "AUX");
	pa = calloc(1, sizeof(*pa));
	snprintf(pa->dir, sizeof(pa->dir), "%s", path);
	assert_int_equal(pthread_create(&t, NULL, provider, pa), 0);
	pthread_detach(t);
	return 0;
}

static void test_configfs_tsm(void **state)
{
	struct cvm_ctx *ctx = quiet_ctx();
	uint8_t in[64], *out = NULL, *aux = NULL;
	size_t out_len = 0, aux_len = 0;
	char provider_name[32];

	(void)state;
	snprintf(fake_root, sizeof(fake_root), "%s/tsm-%d", tmp_dir(), (int)getpid());
	assert_int_equal(__real_mkdir(fake_root, 0700), 0);
	for (size_t i = 0; i < sizeof(in); i++)
		in[i] = (uint8_t)i;

	fake_aux = true;
	assert_int_equal(tsm_report(ctx, fake_root, in, -1, provider_name, sizeof(provider_name), &out,
				    &out_len, &aux, &aux_len), 0);
	assert_string_equal(provider_name, "tdx_guest");
	assert_int_equal(out_len, 80);
	assert_memory_equal(out + 16, in, 64);
	assert_int_equal(aux_len, 3);
	free(out);
	free(aux);

	/* Another writer bumps the generation once: we notice and redo it. */
	fake_aux = false;
	fake_races = 1;
	in[0] = 0xee;
	assert_int_equal(tsm_report(ctx, fake_root, in, -1, NULL, 0, &out, &out_len, NULL, NULL), 0);
	assert_int_equal(out[16], 0xee);
	assert_int_equal(fake_races, 0);
	free(out);

	/* VMPL: not for tdx_guest (no privlevel attribute), nothing made */
	fake_last[0] = 0;
	assert_int_equal(tsm_report(ctx, fake_root, in, 0, NULL, 0, &out, &out_len, NULL, NULL),
			 -EINVAL);
	/* sev_guest under an SVSM at VMPL 2: below the floor is refused, the floor works */
	fake_floor = "2\n";
	assert_int_equal(tsm_report(ctx, fake_root, in, 1, NULL, 0, &out, &out_len, NULL, NULL),
			 -EINVAL);
	{
		char p[1300];
		_cleanup_free_ uint8_t *pl = NULL;
		size_t pl_len;

		snprintf(p, sizeof(p), "%s/privlevel", fake_last);
		assert_int_equal(read_file(p, 16, &pl, &pl_len), 0);
		assert_int_equal(pl_len, 0);		/* refused before writing */
		assert_int_equal(tsm_report(ctx, fake_root, in, 3, provider_name,
					    sizeof(provider_name), &out, &out_len, NULL, NULL), 0);
		assert_string_equal(provider_name, "sev_guest");
		free(out);
		free(pl);
		pl = NULL;
		snprintf(p, sizeof(p), "%s/privlevel", fake_last);
		assert_int_equal(read_file(p, 16, &pl, &pl_len), 0);
		assert_int_equal(pl_len, 2);
		assert_memory_equal(pl, "3\n", 2);
	}
	fake_floor = NULL;

	/* A kernel without configfs-tsm. */
	assert_int_equal(tsm_report(ctx, "/nonexistent/tsm/report", in, -1, NULL, 0, &out, &out_len,
				    NULL, NULL), -ENOENT);
	fake_root[0] = 0;
	cvm_ctx_free(ctx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_config_file),
		cmocka_unit_test(test_config_errors),
		cmocka_unit_test(test_config_allowed_urls),
		cmocka_unit_test(test_log_escapes_controls),
		cmocka_unit_test(test_release_signer_cert),
		cmocka_unit_test(test_jwt_time_range),
		cmocka_unit_test(test_encodings),
		cmocka_unit_test(test_rfc5649_vectors),
		cmocka_unit_test(test_unwrap_key_hsm),
		cmocka_unit_test(test_keyring),
		cmocka_unit_test(test_configfs_tsm),
	};

	return cmocka_run_group_tests_name("net", tests, NULL, NULL);
}
