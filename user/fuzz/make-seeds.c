// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Seed corpora for the fuzzers, from the real evidence in shared/testdata:
 * whole files, the hardware reports inside the HCL reports, a certificate
 * table built around real certificates, the SGX extension of real PCK
 * certificates, some policies; and, for the parsers of what the services,
 * IMDS and the disk header hand us, answers built as they come, signed or
 * sealed with the keys of fuzz-keys.h.  usage: make-seeds TESTDATA OUTDIR
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include "fuzz-keys.h"
#include "luks/luks.h"

#define SEED_UUID "2b4a1c4e-7f5a-4c6e-9d3b-0c1d2e3f4a5b"

static const char *td, *out;

static _Noreturn void die(const char *what)
{
	fprintf(stderr, "make-seeds: %s\n", what);
	exit(1);
}

static uint8_t *slurp(const char *rel, size_t *len)
{
	char p[4096];
	uint8_t *b;

	snprintf(p, sizeof(p), "%s/%s", td, rel);
	if (read_file(p, 1 << 20, &b, len) < 0)
		die(p);
	return b;
}

static void put(const char *target, const char *name, const void *buf, size_t len)
{
	char p[4096];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", out, target);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/%s/%s", out, target, name);
	f = fopen(p, "wb");
	if (!f || fwrite(buf, 1, len, f) != len || fclose(f) != 0)
		die(p);
}

static void put_file(const char *target, const char *rel)
{
	size_t len;
	uint8_t *b = slurp(rel, &len);
	const char *name = strrchr(rel, '/');

	put(target, name ? name + 1 : rel, b, len);
	free(b);
}

static void put_str(const char *target, const char *name, const char *s)
{
	put(target, name, s, strlen(s));
}

static char *b64u_str(const char *s)
{
	return b64url_encode((const uint8_t *)s, strlen(s));
}

/* A token of the LUKS2 header, sealed under fuzz_aes_key for SEED_UUID. */
static void seeds_luks(void)
{
	struct cvm_secret *k, *p;
	struct luks_token t = { .version = 1, .keyslot = 1 };
	struct cvm_ctx *ctx;
	char *json;

	if (cvm_ctx_new(&ctx) < 0 || cvm_secret_copy(fuzz_aes_key, 32, &k) < 0 ||
	    cvm_secret_new(LUKS_PASSPHRASE_LEN, &p) < 0)
		die("luks");
	memset(p->data, 0x5a, p->len);
	if (cvm_luks_binding_set(&t.binding, "attest_url", "https://a.attest.azure.net") < 0 ||
	    cvm_luks_binding_set(&t.binding, "key_url", "https://k.vault.azure.net/keys/x/1") < 0 ||
	    cvm_luks_binding_set(&t.binding, "attest_type", "snp") < 0 ||
	    cvm_luks_binding_set(&t.binding, "enc", "RSA_AES_KEY_WRAP_256") < 0 ||
	    !(t.binding.platform = strdup("sev-snp")) ||
	    !(t.key_id = strdup("https://k.vault.azure.net/keys/x/1")) ||
	    luks_token_wrap(ctx, &t, SEED_UUID, k, p) < 0 || luks_token_format(&t, &json) < 0)
		die("luks token");
	put_str("luks_token", "token.json", json);
	free(json);
	luks_token_done(&t);
	cvm_secret_free(k);
	cvm_secret_free(p);
	cvm_ctx_free(ctx);
}

static EVP_PKEY *fuzz_rsa(void)
{
	BIO *b = BIO_new_mem_buf(fuzz_rsa_pem, -1);
	EVP_PKEY *k = b ? PEM_read_bio_PrivateKey(b, NULL, NULL, NULL) : NULL;

	BIO_free(b);
	if (!k)
		die("rsa key");
	return k;
}

/* An RS256 MAA-like token and its JWKS (n/e, and x5c of a self-signed certificate). */
static void seeds_jws(EVP_PKEY *key)
{
	static const char hdr[] = "{\"alg\":\"RS256\",\"kid\":\"k1\",\"typ\":\"JWT\"}";
	static const char pl[] = "{\"iss\":\"https://a.attest.azure.net\",\"exp\":1767229200,"
				 "\"nbf\":1767222000,\"x-ms-runtime\":{\"keys\":[]}}";
	char *h = b64u_str(hdr), *p = b64u_str(pl), *si, *sig64, *jwks_s, *seed;
	uint8_t sig[512];
	size_t sig_len = sizeof(sig);
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	json_t *jwk = jwk_from_pkey(key, "k1", NULL), *jwks;
	X509 *x = X509_new();
	unsigned char *der = NULL;
	int der_len;

	if (asprintf(&si, "%s.%s", h, p) < 0 || !md || !jwk ||
	    EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, key) != 1 ||
	    EVP_DigestSign(md, sig, &sig_len, (const uint8_t *)si, strlen(si)) != 1)
		die("jws sign");
	sig64 = b64url_encode(sig, sig_len);
	jwks = json_pack("{s:[o]}", "keys", jwk);
	jwks_s = json_dumps(jwks, JSON_COMPACT);
	if (asprintf(&seed, "%s.%s\n%s", si, sig64, jwks_s) < 0)
		die("jws");
	put_str("jws", "token-jwks.txt", seed);
	free(seed);
	free(jwks_s);
	/* the same key as MAA publishes it: x5c[0] */
	if (!x || X509_set_version(x, 2) != 1 || ASN1_INTEGER_set(X509_get_serialNumber(x), 1) != 1 ||
	    !X509_gmtime_adj(X509_getm_notBefore(x), 0) ||
	    !X509_gmtime_adj(X509_getm_notAfter(x), 86400) ||
	    X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC,
				       (const unsigned char *)"fuzz", -1, -1, 0) != 1 ||
	    X509_set_issuer_name(x, X509_get_subject_name(x)) != 1 ||
	    X509_set_pubkey(x, key) != 1 || X509_sign(x, key, EVP_sha256()) == 0 ||
	    (der_len = i2d_X509(x, &der)) < 0)
		die("x509");
	{
		char *c64 = b64_encode(der, (size_t)der_len);

		if (asprintf(&seed, "%s.%s\n{\"keys\":[{\"kid\":\"k1\",\"kty\":\"RSA\",\"x5c\":[\"%s\"]}]}",
			     si, sig64, c64) < 0)
			die("jws x5c");
		put_str("jws", "token-x5c.txt", seed);
		free(seed);
		free(c64);
	}
	OPENSSL_free(der);
	X509_free(x);
	json_decref(jwks);
	EVP_MD_CTX_free(md);
	free(sig64);
	free(si);
	free(h);
	free(p);
}

/* key_hsm as Key Vault makes it (tests/unit/test-net.c), wrapped to the fuzz key. */
static void seeds_key_hsm(EVP_PKEY *key)
{
	uint8_t aes[32], ct[4096], material[32];
	size_t rsa_len = sizeof(ct);
	int n1, n2;
	EVP_PKEY_CTX *pc = EVP_PKEY_CTX_new(key, NULL);
	EVP_CIPHER_CTX *cc = EVP_CIPHER_CTX_new();
	EVP_CIPHER *ciph = EVP_CIPHER_fetch(NULL, "AES-256-WRAP-PAD", NULL);
	char *b64, *text, *seed;
	json_t *j;

	memset(aes, 0x11, sizeof(aes));
	memset(material, 0x22, sizeof(material));
	if (!pc || !cc || !ciph || EVP_PKEY_encrypt_init(pc) != 1 ||
	    EVP_PKEY_CTX_set_rsa_padding(pc, RSA_PKCS1_OAEP_PADDING) != 1 ||
	    EVP_PKEY_CTX_set_rsa_oaep_md_name(pc, "SHA256", NULL) != 1 ||
	    EVP_PKEY_CTX_set_rsa_mgf1_md_name(pc, "SHA256", NULL) != 1 ||
	    EVP_PKEY_encrypt(pc, ct, &rsa_len, aes, sizeof(aes)) != 1 ||
	    EVP_EncryptInit_ex2(cc, ciph, aes, NULL, NULL) != 1 ||
	    EVP_EncryptUpdate(cc, ct + rsa_len, &n1, material, (int)sizeof(material)) != 1 ||
	    EVP_EncryptFinal_ex(cc, ct + rsa_len + n1, &n2) != 1)
		die("key_hsm");
	b64 = b64url_encode(ct, rsa_len + (size_t)n1 + (size_t)n2);
	j = json_pack("{s:s, s:{s:s, s:s, s:s}, s:s}", "schema_version", "1.0", "header", "kid",
		      "TransferKey", "alg", "dir", "enc", "RSA_AES_KEY_WRAP_256", "ciphertext", b64);
	text = json_dumps(j, JSON_COMPACT);
	seed = b64u_str(text);
	put_str("key_hsm", "key_hsm.txt", seed);
	/* the RFC 5649 part alone, under fuzz_aes_key, for the direct unwrap */
	if (EVP_EncryptInit_ex2(cc, ciph, fuzz_aes_key, NULL, NULL) != 1 ||
	    EVP_EncryptUpdate(cc, ct, &n1, material, 20) != 1 ||
	    EVP_EncryptFinal_ex(cc, ct + n1, &n2) != 1)
		die("kwp");
	put("key_hsm", "kwp.bin", ct, (size_t)(n1 + n2));
	free(seed);
	free(text);
	free(b64);
	json_decref(j);
	EVP_CIPHER_free(ciph);
	EVP_CIPHER_CTX_free(cc);
	EVP_PKEY_CTX_free(pc);
}

/* A SealedAttestationResponse whose Jwt is sealed under fuzz_aes_key. */
static void seeds_azure_sealed(void)
{
	static const char jwt[] = "eyJhbGciOiJSUzI1NiJ9.eyJleHAiOjF9.c2ln";
	uint8_t iv[12], ct[sizeof(jwt)], tag[16];
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	char *s_iv, *s_ct, *s_tag, *text, *seed;
	int n, m;

	memset(iv, 0x33, sizeof(iv));
	if (!c || EVP_EncryptInit_ex(c, EVP_aes_256_gcm(), NULL, fuzz_aes_key, iv) != 1 ||
	    EVP_EncryptUpdate(c, NULL, &n, (const unsigned char *)"Transport Key", 13) != 1 ||
	    EVP_EncryptUpdate(c, ct, &n, (const unsigned char *)jwt, (int)strlen(jwt)) != 1 ||
	    EVP_EncryptFinal_ex(c, ct + n, &m) != 1 ||
	    EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, 16, tag) != 1)
		die("gcm");
	s_iv = b64_encode(iv, sizeof(iv));
	s_ct = b64_encode(ct, (size_t)(n + m));
	s_tag = b64_encode(tag, sizeof(tag));
	if (asprintf(&text, "{\"EncryptedInnerKey\":\"AAECAw==\",\"EncryptionParams\":{\"Iv\":\"%s\"},"
		     "\"AuthenticationData\":\"%s\",\"Jwt\":\"%s\"}", s_iv, s_tag, s_ct) < 0)
		die("sealed");
	seed = b64u_str(text);
	put_str("azure_sealed", "sealed.txt", seed);
	free(seed);
	free(text);
	free(s_iv);
	free(s_ct);
	free(s_tag);
	EVP_CIPHER_CTX_free(c);
}

/* IMDS answers: a managed-identity token, THIM's certificates, a TDX quote, an error. */
static void seeds_imds(void)
{
	size_t len;
	uint8_t *pem = slurp("snp/amd-ask-ark-milan.pem", &len), *q;
	json_t *o;
	char *s, *b64;

	put_str("imds", "token.json", "{\"access_token\":\"eyJ0eXAiOiJKV1QifQ.e30.c2ln\","
		"\"expires_in\":\"86399\",\"resource\":\"https://vault.azure.net\",\"token_type\":\"Bearer\"}");
	put_str("imds", "error.json", "{\"error\":\"invalid_request\",\"error_description\":"
		"\"Identity not found\"}");
	pem = realloc(pem, len + 1);
	pem[len] = 0;
	o = json_pack("{s:s, s:s, s:s}", "vcekCert", (char *)pem, "certificateChain", (char *)pem,
		      "tcbm", "DB18000000000004");
	s = json_dumps(o, JSON_COMPACT);
	put_str("imds", "thim.json", s);
	free(s);
	json_decref(o);
	free(pem);
	q = slurp("tdx/gtg-v4-quote-spr-e4.bin", &len);
	b64 = b64url_encode(q, len);
	o = json_pack("{s:s}", "quote", b64);
	s = json_dumps(o, JSON_COMPACT);
	put_str("imds", "tdquote.json", s);
	free(s);
	json_decref(o);
	free(b64);
	free(q);
}

static void seeds_files(void)
{
	put_str("config", "cvmattest.conf",
		"# cvmattest.conf\n"
		"attest_url = https://shared.eus.attest.azure.net\n"
		"key_url = https://k.vault.azure.net/keys/disk/1\n"
		"attest_type=snp\n"
		"enc = RSA_AES_KEY_WRAP_384\n"
		"connect_timeout = 2s\nrequest_timeout = 1500ms\nretries = 5\n"
		"max_response = 8M\nclock_skew = 120\n"
		"allowed_hosts = example.org, .example.net\n"
		"evidence = command\nevidence_command = /usr/bin/true\n"
		"cache_dir = /var/cache/cvmattest\n  \n");
	put_str("crypttab", "crypttab",
		"# <name> <device> <key> <options>\n"
		"data UUID=2b4a1c4e-7f5a-4c6e-9d3b-0c1d2e3f4a5b none luks,cvmattest,noauto\n"
		"swap /dev/null /dev/urandom swap,cipher=aes-xts-plain64\n"
		"\tother\t/dev/vdc\tnone\tluks\n");
}

/* Host-fed input of the kernel module: the HCL reports in vTPM NV. */
static void seeds_kmod(void)
{
	put_file("kmod_vtpm", "azure/kinvolk-hcl-report-snp.bin");
	put_file("kmod_vtpm", "azure/kinvolk-hcl-report-tdx.bin");
}

int main(int argc, char **argv)
{
	static const char *const evidence[] = {
		"snp/gsg-milan-v2-report.bin", "snp/virtee-milan-v2-report.hex",
		"tdx/gtg-v4-quote-spr-e4.bin", "tdx/gtg-v5-quote.bin", "tdx/gtg-v4-quote-gcp-cos.bin",
		"azure/kinvolk-hcl-report-snp.bin", "azure/kinvolk-hcl-report-tdx.bin",
	};
	static const char *const policies[] = {
		"{\"allow_debug\":true}",
		"{\"measurement\":[\"000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000\"],\"report_data\":\"0102\"}",
		"{\"snp\":{\"min_tcb\":{\"bootloader\":3,\"tee\":0,\"snp\":8,\"microcode\":115,\"fmc\":0},\"vmpl\":[0,1],\"min_guest_svn\":1,\"host_data\":\"0000000000000000000000000000000000000000000000000000000000000000\"}}",
		"{\"tdx\":{\"min_tee_tcb_svn\":\"03000400000000000000000000000000\",\"rtmr0\":\"000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000\",\"mrowner\":\"000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000\"}}",
	};
	struct cvm_cert_list certs = { 0 };
	uint8_t *b, *dec;
	size_t len, dlen;
	char name[64];

	if (argc != 3)
		die("usage: make-seeds TESTDATA OUTDIR");
	td = argv[1];
	out = argv[2];
	mkdir(out, 0755);

	for (size_t i = 0; i < ELEMENTSOF(evidence); i++)
		put_file("verify", evidence[i]);

	put_file("snp_report", "snp/gsg-milan-v2-report.bin");
	b = slurp("snp/virtee-milan-v2-report.hex", &len);
	if (cvm_hex_decode((const char *)b, len, &dec, &dlen) < 0)
		die("hex");
	put("snp_report", "virtee.bin", dec, dlen);
	free(dec);
	free(b);

	for (int i = 0; i < 3; i++)
		put_file("tdx_quote", evidence[2 + i]);

	put_file("hcl_report", "azure/kinvolk-hcl-report-snp.bin");
	put_file("hcl_report", "azure/kinvolk-hcl-report-tdx.bin");
	put_file("hcl_claims", "azure/kinvolk-var-data.bin");
	{
		struct cvm_hcl_report h;

		b = slurp("azure/kinvolk-hcl-report-snp.bin", &len);
		if (cvm_hcl_report_parse(b, len, &h) < 0)
			die("hcl");
		put("snp_report", "hcl-inner.bin", h.hw_report, SNP_REPORT_SIZE);
		put("hcl_claims", "snp-claims.json", h.variable_data, h.variable_size);
		free(b);
		b = slurp("azure/kinvolk-hcl-report-tdx.bin", &len);
		if (cvm_hcl_report_parse(b, len, &h) < 0)
			die("hcl");
		put("tdx_tdreport", "hcl-inner.bin", h.hw_report, TDX_REPORT_SIZE);
		put("hcl_claims", "tdx-claims.json", h.variable_data, h.variable_size);
		free(b);
	}

	/* certificates: real VCEKs, ASK/ARK, and the PCK chains of the quotes */
	{
		const char *files[] = { "snp/gsg-milan-vcek.der", "snp/virtee-milan-vcek.der",
					"snp/amd-ask-ark-milan.pem", "snp/amd-ask-ark-turin_vcek.pem" };

		for (size_t i = 0; i < ELEMENTSOF(files); i++) {
			char p[4096];

			snprintf(p, sizeof(p), "%s/%s", td, files[i]);
			if (cert_list_load(NULL, &certs, p) < 0)
				die(p);
		}
		put_file("snp_cert_table", "snp/amd-ask-ark-milan.pem");
		put_file("snp_cert_table", "snp/virtee-milan-vcek.der");
	}
	for (int i = 0; i < 3; i++) {
		struct cvm_tdx_quote q;
		struct cvm_cert_list chain = { 0 };

		b = slurp(evidence[2 + i], &len);
		if (cvm_tdx_quote_parse(b, len, &q) < 0 || cert_list_add_buffer(&chain, q.pck_chain, q.pck_chain_len) < 0)
			die("quote");
		for (size_t k = 0; k < chain.n; k++) {
			snprintf(name, sizeof(name), "quote%d-cert%zu.der", i, k);
			put("amd_cert", name, chain.v[k]->der, chain.v[k]->der_len);
		}
		{
			ASN1_OBJECT *o = OBJ_txt2obj(INTEL_OID_SGX_EXTENSIONS, 1);
			int idx = X509_get_ext_by_OBJ(chain.v[0]->x509, o, -1);
			ASN1_OCTET_STRING *d = X509_EXTENSION_get_data(X509_get_ext(chain.v[0]->x509, idx));

			snprintf(name, sizeof(name), "quote%d.der", i);
			put("sgx_pck_ext", name, ASN1_STRING_get0_data(d), (size_t)ASN1_STRING_length(d));
			ASN1_OBJECT_free(o);
		}
		cert_list_clear(&chain);
		free(b);
	}
	for (size_t k = 0; k < certs.n; k++) {
		snprintf(name, sizeof(name), "amd%zu.der", k);
		put("amd_cert", name, certs.v[k]->der, certs.v[k]->der_len);
	}
	/* a GHCB certificate table: VCEK, ASK, ARK */
	{
		static const uint8_t guids[3][16] = { SNP_GUID_VCEK, SNP_GUID_ASK, SNP_GUID_ARK };
		const struct cvm_cert *parts[3] = { certs.v[1], NULL, NULL };
		size_t off = 4 * SNP_CERT_ENTRY_SIZE, total = off;
		uint8_t *t;

		for (size_t k = 0; k < certs.n; k++) {
			if (strcmp(certs.v[k]->cn, "SEV-Milan") == 0)
				parts[1] = certs.v[k];
			if (strcmp(certs.v[k]->cn, "ARK-Milan") == 0)
				parts[2] = certs.v[k];
		}
		if (!parts[1] || !parts[2])
			die("milan chain");
		for (int k = 0; k < 3; k++)
			total += parts[k]->der_len;
		t = calloc(1, total);
		for (int k = 0; k < 3; k++) {
			uint8_t *e = t + k * SNP_CERT_ENTRY_SIZE;

			memcpy(e, guids[k], 16);
			for (int j = 0; j < 4; j++) {
				e[16 + j] = (uint8_t)(off >> (8 * j));
				e[20 + j] = (uint8_t)(parts[k]->der_len >> (8 * j));
			}
			memcpy(t + off, parts[k]->der, parts[k]->der_len);
			off += parts[k]->der_len;
		}
		put("snp_cert_table", "table.bin", t, total);
		put("kmod_snp_certs", "table.bin", t, total);
		/* report || table, as the extended report is often stored */
		b = slurp("snp/gsg-milan-v2-report.bin", &len);
		b = realloc(b, len + total);
		memcpy(b + len, t, total);
		put("verify", "report-and-table.bin", b, len + total);
		free(b);
		free(t);
	}
	for (size_t i = 0; i < ELEMENTSOF(policies); i++) {
		snprintf(name, sizeof(name), "policy%zu.json", i);
		put("policy_json", name, policies[i], strlen(policies[i]));
	}
	cert_list_clear(&certs);

	{
		EVP_PKEY *key = fuzz_rsa();

		seeds_jws(key);
		seeds_key_hsm(key);
		EVP_PKEY_free(key);
	}
	seeds_luks();
	seeds_azure_sealed();
	seeds_imds();
	seeds_files();
	seeds_kmod();
	return 0;
}
