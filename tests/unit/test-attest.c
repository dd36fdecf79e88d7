// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * cvm_attest() and cvm_release() against the local Azure-compatible service
 * (tests/azure-service), evidence from the simulated platform's host tool
 * (evidence_command): the happy paths for SEV-SNP and TDX with each enc,
 * the released key equal to the one the service holds, a debug guest
 * refused by the release policy with the failing claim named, every fault
 * switch giving a bounded and clearly reported failure (or a recovery), the
 * tampered tokens refused, and no key byte in any message.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>

#include "azsvc.h"
#include "libcvmattest-attest.h"
#include "testutil.h"

static struct azsvc svc;
static bool have_svc;
static char kid_oct[512], kid_rsa[512], kid_snp_only[512];
static uint8_t mat_oct[64], mat_rsa[4096], mat_snp_only[64];
static char kid_guest[512];
static uint8_t mat_guest[64];
static size_t mat_guest_len = sizeof(mat_guest);
static size_t mat_oct_len = sizeof(mat_oct), mat_rsa_len = sizeof(mat_rsa),
	      mat_snp_only_len = sizeof(mat_snp_only);

/* ---- log capture ------------------------------------------------------------------ */

struct logbuf {
	char *text;
	size_t len;
};

static void capture(int level, const char *msg, void *userdata)
{
	struct logbuf *b = userdata;
	size_t n = strlen(msg);

	b->text = realloc(b->text, b->len + n + 2);
	assert_non_null(b->text);
	memcpy(b->text + b->len, msg, n);
	b->len += n;
	b->text[b->len++] = '\n';
	b->text[b->len] = 0;
	if (getenv("CVMATTEST_TEST_VERBOSE"))
		fprintf(stderr, "  [%d] %s\n", level, msg);
}

static bool log_has(const struct logbuf *b, const char *needle)
{
	return b->text && strstr(b->text, needle);
}

/* No rendering of @key (raw, hex, base64, base64url) appears in @text. */
static void assert_no_key_in(const char *text, size_t text_len, const uint8_t *key, size_t len)
{
	char hex[2 * 4096 + 1], b64[8192];
	int n;

	if (!text || !len)
		return;
	assert_true(len <= 4096);
	/* 16 bytes are enough to recognise any leak; a whole key would match too. */
	size_t probe = len < 16 ? len : 16;

	assert_null(memmem(text, text_len, key, probe));
	cvm_hex_encode(key, probe, hex);
	assert_null(strstr(text, hex));
	for (char *p = hex; *p; p++)
		*p = (char)toupper((unsigned char)*p);
	assert_null(strstr(text, hex));
	n = EVP_EncodeBlock((unsigned char *)b64, key, (int)(probe / 3 * 3));
	b64[n] = 0;
	assert_null(strstr(text, b64));
	for (char *p = b64; *p; p++)
		*p = *p == '+' ? '-' : *p == '/' ? '_' : *p;
	assert_null(strstr(text, b64));
}

/* ---- configuration ---------------------------------------------------------------- */

static struct cvm_ctx *ctx_with(struct logbuf *b)
{
	struct cvm_ctx *ctx;

	assert_int_equal(cvm_ctx_new(&ctx), 0);
	cvm_set_log(ctx, capture, b);
	cvm_set_log_level(ctx, CVM_LOG_DEBUG);
	return ctx;
}

static void set(struct cvm_ctx *ctx, struct cvm_config *c, const char *k, const char *v)
{
	assert_int_equal(cvm_config_set(ctx, c, k, v), 0);
}

/* A configuration for the service; @evidence: sim arguments after the command name. */
static struct cvm_config *config_for(struct cvm_ctx *ctx, const char *evidence)
{
	static int n;
	struct cvm_config *c;
	char cmd[2048], cache[600];

	assert_int_equal(cvm_config_new(&c), 0);
	set(ctx, c, "attest_url", svc.attest_url);
	set(ctx, c, "ca_bundle", svc.ca_bundle);
	set(ctx, c, "imds_url", svc.imds_url);
	set(ctx, c, "kv_resource", svc.kv_resource);
	set(ctx, c, "key_url", kid_oct);
	snprintf(cache, sizeof(cache), "%s/cache-%d-%d", tmp_dir(), (int)getpid(), n++);
	set(ctx, c, "cache_dir", cache);
	snprintf(cmd, sizeof(cmd), "%s %s", svc.sim, evidence);
	set(ctx, c, "evidence_command", cmd);
	/* No AMD KDS here: a closed local port stands for it. */
	set(ctx, c, "kds_url", "https://127.0.0.1:1");
	/* Small bounds so that fault tests stay short. */
	set(ctx, c, "backoff", "100ms");
	set(ctx, c, "backoff_max", "400ms");
	set(ctx, c, "retries", "2");
	set(ctx, c, "request_timeout", "10s");
	set(ctx, c, "total_timeout", "20s");
	return c;
}

#define SNP_EV "snp-report --report-data {report_data} -o {out} --certs {certs}"
#define SNP_EV_NOCERTS "snp-report --report-data {report_data} -o {out}"
#define TDX_EV "tdx-report --report-data {report_data} -o {out}"

/* Attest and release; returns the library's result. */
static int attest_release(struct cvm_ctx *ctx, struct cvm_config *c, struct cvm_key **key)
{
	struct cvm_attestation *a = NULL;
	int r;

	*key = NULL;
	r = cvm_attest(ctx, c, NULL, &a);
	if (r == 0)
		r = cvm_release(ctx, c, a, key);
	cvm_attestation_free(a);
	return r;
}

static void expect_key(struct cvm_key *k, const uint8_t *want, size_t want_len, const char *fmt)
{
	size_t len;
	const uint8_t *d = cvm_key_data(k, &len);

	assert_non_null(d);
	assert_int_equal(len, want_len);
	assert_memory_equal(d, want, len);
	assert_string_equal(cvm_key_format(k), fmt);
}

/* ---- setup ---------------------------------------------------------------------------- */

static int group_setup(void **state)
{
	(void)state;
	char vtpm_ca[1200];

	snprintf(vtpm_ca, sizeof(vtpm_ca), "%s/../paravisor/keys/azure-vtpm-ca.pem", azsvc_dir());
	have_svc = azsvc_start(&svc, ARGS("--vtpm-ca", vtpm_ca));
	if (!have_svc)
		return 0;
	azsvc_create_key(&svc, "disk-oct", NULL, kid_oct, sizeof(kid_oct), mat_oct, &mat_oct_len);
	azsvc_create_key(&svc, "disk-rsa", ARGS("--rsa-size", "2048"), kid_rsa, sizeof(kid_rsa),
			 mat_rsa, &mat_rsa_len);
	azsvc_create_key(&svc, "snp-only", ARGS("--tee", "snp"), kid_snp_only,
			 sizeof(kid_snp_only), mat_snp_only, &mat_snp_only_len);
	azsvc_create_key(&svc, "guest", ARGS("--flow", "guest"), kid_guest, sizeof(kid_guest),
			 mat_guest, &mat_guest_len);
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	if (have_svc)
		azsvc_stop(&svc);
	return 0;
}

static int test_setup(void **state)
{
	(void)state;
	if (!have_svc)
		skip();
	azsvc_clear_faults(&svc);
	return 0;
}

/* ---- happy paths -------------------------------------------------------------------------- */

static void release_check(const char *evidence, const char *key_url, const char *enc,
			  const uint8_t *want, size_t want_len, const char *fmt, const char *type)
{
	struct logbuf log = { 0 };
	struct cvm_ctx *ctx = ctx_with(&log);
	struct cvm_config *c = config_for(ctx, evidence);
	struct cvm_attestation *a = NULL;
	struct cvm_key *k = NULL;

	set(ctx, c, "key_url", key_url);
	if (enc)
		set(ctx, c, "enc", enc);
	assert_int_equal(cvm_attest(ctx, c, "nonce-123", &a), 0);
	assert_string_equal(cvm_attestation_type(a), type);
	assert_true(cvm_attestation_expiry(a) > time(NULL));
	assert_int_equal(cvm_release(ctx, c, a, &k), 0);
	expect_key(k, want, want_len, fmt);
	assert_no_key_in(log.text, log.len, want, want_len);
	cvm_key_free(k);
	cvm_attestation_free(a);
	cvm_config_free(c);
	cvm_ctx_free(ctx);
	free(log.text);
}

static void test_snp_oct(void **state)
{
	(void)state;
	release_check(SNP_EV, kid_oct, NULL, mat_oct, mat_oct_len, "raw", "sevsnpvm");
}

static void test_snp_rsa_each_enc(void **state)
{
	(void)state;
	release_check(SNP_EV, kid_rsa, "CKM_RSA_AES_KEY_WRAP", mat_rsa, mat_rsa_len, "pkcs8",
		      "sevsnpvm");
	release_check(SNP_EV, kid_rsa, "RSA_AES_KEY_WRAP_256", mat_rsa, mat_rsa_len, "pkcs8",
		      "sevsnpvm");
	release_check(SNP_EV, kid_rsa, "RSA_AES_KEY_WRAP_384", mat_rsa, mat_rsa_len, "pkcs8",
		      "sevsnpvm");
}

static void test_tdx(void **state)
{
	(void)state;
	release_check(TDX_EV, kid_oct, "RSA_AES_KEY_WRAP_384", mat_oct, mat_oct_len, "raw", "tdxvm");
	release_check(TDX_EV, kid_rsa, NULL, mat_rsa, mat_rsa_len, "pkcs8", "tdxvm");
}

/* VCEK chain from THIM when the report has no certificates, then from the cache. */
static void test_snp_thim_then_cache(void **state)
{
	struct logbuf log = { 0 };
	struct cvm_ctx *ctx = ctx_with(&log);
	struct cvm_config *c = config_for(ctx, SNP_EV_NOCERTS);
	struct cvm_key *k;

	(void)state;
	assert_int_equal(attest_release(ctx, c, &k), 0);
	expect_key(k, mat_oct, mat_oct_len, "raw");
	cvm_key_free(k);
	assert_true(log_has(&log, "VCEK chain from IMDS THIM"));
	/* THIM now down: the cached chain serves. */
	azsvc_fault(&svc, "{\"kind\":\"status\",\"target\":\"imds.thim\",\"count\":100,\"status\":500}");
	free(log.text);
	log = (struct logbuf){ 0 };
	assert_int_equal(attest_release(ctx, c, &k), 0);
	expect_key(k, mat_oct, mat_oct_len, "raw");
	cvm_key_free(k);
	assert_true(log_has(&log, "VCEK chain from the cache"));
	cvm_config_free(c);
	cvm_ctx_free(ctx);
	free(log.text);
}

/* A debug guest is refused, and the message names the claim. */
static void test_debug_refused(void **state)
{
	struct logbuf log = { 0 };
	struct cvm_ctx *ctx = ctx_with(&log);
	struct cvm_config *c = config_for(ctx, SNP_EV " --debug");
	struct cvm_key *k;

	(void)state;
	assert_int_equal(attest_release(ctx, c, &k), -EACCES);
	assert_null(k);
	assert_true(log_has(&log, "x-ms-compliance-status"));
	cvm_config_free(c);
	cvm_ctx_free(ctx);
	free(log.text);

	/* TDX debug, and a TDX guest asking for an SNP-only key. */
	log = (struct logbuf){ 0 };
	ctx = ctx_with(&log);
	c = config_for(ctx, TDX_EV " --debug");
	assert_int_equal(attest_release(ctx, c, &k), -EACCES);
	cvm_config_free(c);
	c = config_for(ctx, TDX_EV);
	set(ctx, c, "key_url", kid_snp_only);
	assert_int_equal(attest_release(ctx, c, &k), -EACCES);
	assert_true(log_has(&log, "x-ms-attestation-type"));
	cvm_config_free(c);
	cvm_ctx_free(ctx);
	free(log.text);
}

/* ---- faults: each bounded, each reported ------------------------------------------------------ */

struct fault_case {
	const char *spec;
	int want;		/* 0: recovers */
	long max_ms;
	const char *message;	/* expected in the log, or NULL */
};

static void run_fault(const struct fault_case *fc, const char *evidence)
{
	struct logbuf log = { 0 };
	struct cvm_ctx *ctx = ctx_with(&log);
	struct cvm_config *c = config_for(ctx, evidence);
	struct cvm_key *k = NULL;
	long t0, took;
	int r;

	azsvc_clear_faults(&svc);
	azsvc_fault(&svc, fc->spec);
	/* A tight bound for the slow-service cases. */
	set(ctx, c, "request_timeout", "2s");
	set(ctx, c, "total_timeout", "5s");
	t0 = azsvc_now_ms();
	r = attest_release(ctx, c, &k);
	took = azsvc_now_ms() - t0;
	if (r != fc->want || took > fc->max_ms || (fc->message && !log_has(&log, fc->message)))
		fail_msg("fault %s: got %d (%s) in %ld ms, want %d within %ld ms%s%s; log:\n%s",
			 fc->spec, r, strerror(-r), took, fc->want, fc->max_ms,
			 fc->message ? " mentioning " : "", fc->message ? fc->message : "",
			 log.text ? log.text : "");
	if (r == 0)
		expect_key(k, mat_oct, mat_oct_len, "raw");
	cvm_key_free(k);
	cvm_config_free(c);
	cvm_ctx_free(ctx);
	free(log.text);
	azsvc_clear_faults(&svc);
}

static void test_faults_recover(void **state)
{
	static const struct fault_case cases[] = {
		{ "{\"kind\":\"status\",\"target\":\"attest.SevSnpVm\",\"count\":2}", 0, 15000, "retrying" },
		{ "{\"kind\":\"status\",\"target\":\"kv.release\",\"count\":1,\"status\":502}", 0, 15000, NULL },
		{ "{\"kind\":\"throttle\",\"target\":\"kv.release\",\"count\":1,\"retry_after\":1}", 0, 15000,
		  "throttled" },
		{ "{\"kind\":\"reset\",\"target\":\"attest\",\"count\":1}", 0, 15000, NULL },
		{ "{\"kind\":\"truncate\",\"target\":\"kv.release\",\"count\":1}", 0, 15000, NULL },
		{ "{\"kind\":\"reset\",\"target\":\"imds.token\",\"count\":1}", 0, 15000, NULL },
		{ "{\"kind\":\"latency\",\"target\":\"attest.certs\",\"count\":1,\"ms\":300}", 0, 15000, NULL },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		run_fault(&cases[i], SNP_EV);
}

static void test_faults_fail_bounded(void **state)
{
	static const struct fault_case cases[] = {
		/*
		 * total_timeout 5 s bounds everything below; the limits leave room for a
		 * loaded machine and still catch a call that ignores it (a 600 s
		 * Retry-After, 8 s of latency on every try).
		 */
		{ "{\"kind\":\"status\",\"target\":\"attest\",\"count\":100,\"status\":500}", -EIO, 12000,
		  "HTTP 500" },
		{ "{\"kind\":\"status\",\"target\":\"kv\",\"count\":100,\"status\":503}", -EIO, 12000,
		  "HTTP 503" },
		{ "{\"kind\":\"throttle\",\"target\":\"kv.release\",\"count\":100,\"retry_after\":1}", -EAGAIN,
		  12000, "HTTP 429" },
		{ "{\"kind\":\"throttle\",\"target\":\"attest.SevSnpVm\",\"count\":5,\"retry_after\":600}",
		  -EAGAIN, 8000, "retry_after_max" },
		{ "{\"kind\":\"latency\",\"target\":\"attest.SevSnpVm\",\"count\":100,\"ms\":8000}",
		  -ETIMEDOUT, 12000, "unreachable after" },
		{ "{\"kind\":\"reset\",\"target\":\"kv\",\"count\":100}", -ECONNRESET, 12000, "key_url" },
		{ "{\"kind\":\"truncate\",\"target\":\"attest\",\"count\":100}", -EPROTO, 12000,
		  "truncated" },
		{ "{\"kind\":\"bad-signature\",\"target\":\"attest.SevSnpVm\",\"count\":1}", -EKEYREJECTED,
		  12000, "signature does not verify" },
		{ "{\"kind\":\"expired\",\"target\":\"attest.SevSnpVm\",\"count\":1}", -EKEYEXPIRED, 12000,
		  "expired" },
		{ "{\"kind\":\"wrong-issuer\",\"target\":\"attest.SevSnpVm\",\"count\":1}", -EKEYREJECTED,
		  12000, "not by the configured attestation service" },
		{ "{\"kind\":\"bad-signature\",\"target\":\"kv.release\",\"count\":1}", -EKEYREJECTED, 12000,
		  "release response signature" },
		{ "{\"kind\":\"bad-signature\",\"target\":\"imds.token\",\"count\":1}", -EPERM, 12000,
		  "managed identity" },
		{ "{\"kind\":\"expired\",\"target\":\"imds.token\",\"count\":1}", -EPERM, 12000, "expired" },
		{ "{\"kind\":\"policy-mismatch\",\"target\":\"kv.release\",\"count\":1}", -EACCES, 12000,
		  "release policy" },
		{ "{\"kind\":\"status\",\"target\":\"imds.thim\",\"count\":100,\"status\":500}", -ECONNREFUSED,
		  12000, "No VCEK certificate chain" },
		{ "{\"kind\":\"status\",\"target\":\"imds.tdquote\",\"count\":100,\"status\":500}", -EIO, 12000,
		  "TDX quote" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *ev = strstr(cases[i].spec, "thim") ? SNP_EV_NOCERTS :
				 strstr(cases[i].spec, "tdquote") ? TDX_EV : SNP_EV;

		run_fault(&cases[i], ev);
	}
}

/*
 * A paravisor that did not refresh the HCL report (or a host that replays an
 * old one) must not be attested: its user-data is not our REPORT_DATA, so the
 * report is not bound to this request. Real evidence from Azure, never fresh.
 */
static void test_stale_hcl_refused(void **state)
{
	struct logbuf log = { 0 };
	struct cvm_ctx *ctx = ctx_with(&log);
	struct cvm_config *c = config_for(ctx, SNP_EV);
	struct cvm_attestation *a = NULL;
	char cmd[1200];

	(void)state;
	snprintf(cmd, sizeof(cmd), "/bin/cp %s {out}", td_path("azure/kinvolk-hcl-report-snp.bin"));
	set(ctx, c, "evidence_command", cmd);
	assert_int_equal(cvm_attest(ctx, c, NULL, &a), -EKEYREJECTED);
	assert_null(a);
	assert_true(log_has(&log, "user-data is not our REPORT_DATA"));
	cvm_config_free(c);
	cvm_ctx_free(ctx);
	free(log.text);
}

/*
 * The environment chooses no proxy and no CA: whoever sets https_proxy or
 * SSL_CERT_FILE (the kernel command line reaches an initramfs's environment)
 * does not get the traffic. Only the proxy setting of the configuration does.
 */
static void test_env_proxy_ignored(void **state)
{
	struct logbuf log = { 0 };
	struct cvm_ctx *ctx = ctx_with(&log);
	struct cvm_config *c = config_for(ctx, SNP_EV);
	struct cvm_attestation *a = NULL;

	(void)state;
	/* a closed local port: a proxied request could not get through */
	setenv("https_proxy", "http://127.0.0.1:1", 1);
	setenv("HTTPS_PROXY", "http://127.0.0.1:1", 1);
	setenv("all_proxy", "http://127.0.0.1:1", 1);
	setenv("SSL_CERT_FILE", "/nonexistent", 1);
	assert_int_equal(cvm_attest(ctx, c, NULL, &a), 0);
	cvm_attestation_free(a);
	a = NULL;
	unsetenv("https_proxy");
	unsetenv("HTTPS_PROXY");
	unsetenv("all_proxy");
	unsetenv("SSL_CERT_FILE");
	/* the configured proxy is used */
	set(ctx, c, "proxy", "http://127.0.0.1:1");
	set(ctx, c, "retries", "0");
	assert_true(cvm_attest(ctx, c, NULL, &a) < 0);
	assert_null(a);
	cvm_config_free(c);
	cvm_ctx_free(ctx);
	free(log.text);
}

/* The transfer key's private part lives in OpenSSL's secure heap, and leaves it. */
static void test_transfer_key_secure_heap(void **state)
{
	struct logbuf log = { 0 };
	struct cvm_attestation *a = NULL;
	struct cvm_config *c;
	struct cvm_ctx *ctx;
	size_t before;

	(void)state;
#if defined(__SANITIZE_ADDRESS__)
	/* the library leaves the secure heap out under ASan (LeakSanitizer cannot scan it) */
	skip();
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
	skip();
#endif
#endif
	ctx = ctx_with(&log);
	c = config_for(ctx, SNP_EV);
	before = CRYPTO_secure_malloc_initialized() ? CRYPTO_secure_used() : 0;
	assert_int_equal(cvm_attest(ctx, c, NULL, &a), 0);
	assert_int_equal(CRYPTO_secure_malloc_initialized(), 1);
	assert_true(CRYPTO_secure_used() > before);
	assert_false(log_has(&log, "secure heap is not available"));
	cvm_attestation_free(a);
	assert_int_equal(CRYPTO_secure_used(), before);
	cvm_config_free(c);
	cvm_ctx_free(ctx);
	free(log.text);
}

static void test_unreachable_and_tls(void **state)
{
	struct logbuf log = { 0 };
	struct cvm_ctx *ctx = ctx_with(&log);
	struct cvm_config *c = config_for(ctx, SNP_EV);
	struct cvm_attestation *a = NULL;
	long t0;

	(void)state;
	/* Nothing listens on port 1. */
	set(ctx, c, "attest_url", "https://127.0.0.1:1");
	t0 = azsvc_now_ms();
	assert_int_equal(cvm_attest(ctx, c, NULL, &a), -ECONNREFUSED);
	assert_true(azsvc_now_ms() - t0 < 5000);
	assert_true(log_has(&log, "unreachable after 3 tries"));
	assert_true(log_has(&log, "check attest_url"));
	cvm_config_free(c);

	/* The test CA not trusted: refused, and not retried. */
	c = config_for(ctx, SNP_EV);
	set(ctx, c, "ca_bundle", "/etc/ssl/certs/ca-certificates.crt");
	assert_int_equal(cvm_attest(ctx, c, NULL, &a), -EPROTO);
	assert_true(log_has(&log, "TLS certificate not trusted"));
	assert_true(log_has(&log, "after 1 try"));
	cvm_config_free(c);
	cvm_ctx_free(ctx);
	free(log.text);
}

/* ---- token tampering ------------------------------------------------------------------------------ */

static char *b64url(const void *buf, size_t len)
{
	char *out = malloc(4 * ((len + 2) / 3) + 1);
	int n = EVP_EncodeBlock((unsigned char *)out, buf, (int)len);

	while (n > 0 && out[n - 1] == '=')
		n--;
	out[n] = 0;
	for (char *p = out; *p; p++)
		*p = *p == '+' ? '-' : *p == '/' ? '_' : *p;
	return out;
}

static json_t *b64url_json(const char *s, size_t len)
{
	char *tmp = strndup(s, len);
	size_t n = strlen(tmp), pad = (4 - n % 4) % 4;
	unsigned char *bin;
	int got;
	json_t *j;

	tmp = realloc(tmp, n + pad + 1);
	for (char *p = tmp; *p; p++)
		*p = *p == '-' ? '+' : *p == '_' ? '/' : *p;
	memset(tmp + n, '=', pad);
	tmp[n + pad] = 0;
	bin = malloc(n + 4);
	got = EVP_DecodeBlock(bin, (unsigned char *)tmp, (int)(n + pad));
	assert_true(got >= 0);
	j = json_loadb((char *)bin, (size_t)got - pad, 0, NULL);
	assert_non_null(j);
	free(tmp);
	free(bin);
	return j;
}

/* Re-encode a token with a changed header/payload and a given signature part. */
static char *reassemble(json_t *hdr, json_t *pl, const char *sig)
{
	char *h = json_dumps(hdr, JSON_COMPACT), *p = json_dumps(pl, JSON_COMPACT);
	char *hb = b64url(h, strlen(h)), *pb = b64url(p, strlen(p)), *out;

	assert_true(asprintf(&out, "%s.%s.%s", hb, pb, sig) > 0);
	free(h);
	free(p);
	free(hb);
	free(pb);
	return out;
}

static void test_token_tampering(void **state)
{
	struct logbuf log = { 0 };
	struct cvm_ctx *ctx = ctx_with(&log);
	struct cvm_config *c = config_for(ctx, SNP_EV);
	struct cvm_attestation *a = NULL;
	char *claims = NULL, *runtime, *forged, *t;
	const char *token, *dot1, *dot2;
	json_t *hdr, *pl, *j;

	(void)state;
	assert_int_equal(cvm_attest(ctx, c, NULL, &a), 0);
	token = cvm_attestation_token(a);
	assert_int_equal(cvm_attestation_claims_json(a, &claims), 0);
	j = json_loads(claims, 0, NULL);
	runtime = json_dumps(json_object_get(j, "x-ms-runtime"), JSON_COMPACT);
	json_decref(j);

	/* The genuine token passes. */
	assert_int_equal(cvm_token_verify(ctx, c, svc.attest_url, token, runtime, NULL), 0);

	dot1 = strchr(token, '.');
	dot2 = strchr(dot1 + 1, '.');
	hdr = b64url_json(token, (size_t)(dot1 - token));
	pl = b64url_json(dot1 + 1, (size_t)(dot2 - dot1 - 1));

	/* alg "none", no signature. */
	json_object_set_new(hdr, "alg", json_string("none"));
	forged = reassemble(hdr, pl, "");
	assert_int_equal(cvm_token_verify(ctx, c, svc.attest_url, forged, runtime, NULL),
			 -EKEYREJECTED);
	assert_true(log_has(&log, "algorithm \"none\""));
	free(forged);

	/* HS256 keyed with the service's public key (the classic confusion attack). */
	{
		FILE *f = fopen(svc.ca_bundle, "r");
		char pem_path[700], *si, *sig;
		unsigned char mac[32];
		unsigned mac_len;
		long sz;
		char *pub;

		assert_non_null(f);
		fclose(f);
		snprintf(pem_path, sizeof(pem_path), "%s/pki/maa-signing.pem", svc.state);
		f = fopen(pem_path, "r");
		assert_non_null(f);
		fseek(f, 0, SEEK_END);
		sz = ftell(f);
		rewind(f);
		pub = calloc(1, (size_t)sz + 1);
		assert_int_equal(fread(pub, 1, (size_t)sz, f), (size_t)sz);
		fclose(f);
		json_object_set_new(hdr, "alg", json_string("HS256"));
		forged = reassemble(hdr, pl, "x");
		si = strndup(forged, (size_t)(strrchr(forged, '.') - forged));
		HMAC(EVP_sha256(), pub, (int)sz, (unsigned char *)si, strlen(si), mac, &mac_len);
		sig = b64url(mac, mac_len);
		free(forged);
		assert_true(asprintf(&forged, "%s.%s", si, sig) > 0);
		assert_int_equal(cvm_token_verify(ctx, c, svc.attest_url, forged, runtime, NULL),
				 -EKEYREJECTED);
		assert_true(log_has(&log, "algorithm \"HS256\""));
		free(forged);
		free(si);
		free(sig);
		free(pub);
	}
	json_object_set_new(hdr, "alg", json_string("RS256"));

	/* A kid the service does not have. */
	{
		json_t *h2 = json_deep_copy(hdr);

		json_object_set_new(h2, "kid", json_string("not-a-maa-key"));
		forged = reassemble(h2, pl, dot2 + 1);
		assert_int_equal(cvm_token_verify(ctx, c, svc.attest_url, forged, runtime, NULL),
				 -EKEYREJECTED);
		assert_true(log_has(&log, "kid not-a-maa-key"));
		free(forged);
		json_decref(h2);
	}

	/* Payload changed under the genuine signature (debuggable flipped). */
	{
		json_t *p2 = json_deep_copy(pl);

		json_object_set_new(p2, "x-ms-sevsnpvm-is-debuggable", json_true());
		forged = reassemble(hdr, p2, dot2 + 1);
		assert_int_equal(cvm_token_verify(ctx, c, svc.attest_url, forged, runtime, NULL),
				 -EKEYREJECTED);
		free(forged);
		json_decref(p2);
	}

	/* Runtime data that is not what was sent (another transfer key). */
	t = strdup(runtime);
	t[strlen(t) / 2] = t[strlen(t) / 2] == 'A' ? 'B' : 'A';
	assert_int_equal(cvm_token_verify(ctx, c, svc.attest_url, token, t, NULL), -EKEYREJECTED);
	assert_true(log_has(&log, "x-ms-runtime"));
	free(t);

	/* Issuer pinned: the same token checked against another instance name. */
	{
		char other[300];

		snprintf(other, sizeof(other), "https://localhost:%s", strrchr(svc.attest_url, ':') + 1);
		assert_int_equal(cvm_token_verify(ctx, c, other, token, runtime, NULL), -EKEYREJECTED);
	}

	/* A jku pointing elsewhere. */
	json_object_set_new(hdr, "jku", json_string("https://evil.example/certs"));
	forged = reassemble(hdr, pl, dot2 + 1);
	assert_int_equal(cvm_token_verify(ctx, c, svc.attest_url, forged, runtime, NULL),
			 -EKEYREJECTED);
	free(forged);

	json_decref(hdr);
	json_decref(pl);
	free(runtime);
	free(claims);
	cvm_attestation_free(a);
	cvm_config_free(c);
	cvm_ctx_free(ctx);
	free(log.text);
}

/* ---- the CLI: key only where asked, never in its messages ---------------------------------------------- */

static int run_release_cli(const char *const *extra, uint8_t *key, size_t *key_len, char **err)
{
	const char *bin = getenv("CVMATTEST_BIN");
	char cmd[2048], cache[600];
	const char *argv[48];
	int kp[2], ep[2], status;
	size_t n = 0, kl = 0, el = 0, ecap = 65536;
	pid_t pid;

	if (!bin)
		skip();
	snprintf(cmd, sizeof(cmd), "%s " SNP_EV, svc.sim);
	snprintf(cache, sizeof(cache), "%s/cli-cache-%d", tmp_dir(), (int)getpid());
	argv[n++] = bin;
	argv[n++] = "release";
	argv[n++] = "-v";
	argv[n++] = "-v";
	argv[n++] = "--config";
	argv[n++] = "/dev/null";
	argv[n++] = "--attest-url";
	argv[n++] = svc.attest_url;
	argv[n++] = "--ca-bundle";
	argv[n++] = svc.ca_bundle;
	argv[n++] = "--imds-url";
	argv[n++] = svc.imds_url;
	argv[n++] = "--cache-dir";
	argv[n++] = cache;
	argv[n++] = "--evidence-command";
	argv[n++] = cmd;
	argv[n++] = "--set";
	argv[n++] = "kv_resource=https://managedhsm.azure.net";
	argv[n++] = "--key-url";
	argv[n++] = kid_oct;
	for (size_t i = 0; extra[i]; i++)
		argv[n++] = extra[i];
	argv[n] = NULL;
	assert_int_equal(pipe(kp), 0);
	assert_int_equal(pipe(ep), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		dup2(kp[1], 3);
		dup2(ep[1], STDERR_FILENO);
		dup2(ep[1], STDOUT_FILENO);
		execv(bin, (char *const *)argv);
		_exit(127);
	}
	close(kp[1]);
	close(ep[1]);
	*err = malloc(ecap);
	for (;;) {
		ssize_t k = read(ep[0], *err + el, ecap - el - 1);

		if (k <= 0)
			break;
		el += (size_t)k;
	}
	(*err)[el] = 0;
	for (;;) {
		ssize_t k = read(kp[0], key + kl, *key_len - kl);

		if (k <= 0)
			break;
		kl += (size_t)k;
	}
	*key_len = kl;
	close(kp[0]);
	close(ep[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

static void test_cli_release(void **state)
{
	uint8_t key[256];
	size_t len = sizeof(key);
	char *err = NULL;

	(void)state;
	assert_int_equal(run_release_cli(ARGS("--key-fd", "3", "--json"), key, &len, &err), 0);
	assert_int_equal(len, mat_oct_len);
	assert_memory_equal(key, mat_oct, len);
	/* stdout (--json) and stderr (-vv) hold no key material. */
	assert_no_key_in(err, strlen(err), mat_oct, mat_oct_len);
	assert_non_null(strstr(err, "\"kty\":\"oct-HSM\""));
	free(err);

	/* No destination: refused, nothing released. */
	len = sizeof(key);
	assert_int_equal(run_release_cli(ARGS("--json"), key, &len, &err), 1);
	assert_int_equal(len, 0);
	assert_non_null(strstr(err, "never written to stdout by default"));
	free(err);

	/*
	 * A destination that cannot take the key (fd 9 is not open): refused before any
	 * evidence is made, so nothing is attested or released (an audited event) in vain.
	 */
	{
		char wrap[700], mark[700], cmd[2048];
		FILE *f;

		snprintf(mark, sizeof(mark), "%s/keyfd-mark-%d", tmp_dir(), (int)getpid());
		snprintf(wrap, sizeof(wrap), "%s/keyfd-wrap-%d", tmp_dir(), (int)getpid());
		f = fopen(wrap, "w");
		assert_non_null(f);
		fprintf(f, "#!/bin/sh\ntouch %s\nexec %s \"$@\"\n", mark, svc.sim);
		assert_int_equal(fclose(f), 0);
		assert_int_equal(chmod(wrap, 0755), 0);
		snprintf(cmd, sizeof(cmd), "%s " SNP_EV, wrap);
		unlink(mark);
		len = sizeof(key);
		assert_int_equal(run_release_cli(ARGS("--evidence-command", cmd, "--key-fd", "9"), key,
						 &len, &err), 1);
		assert_int_equal(len, 0);
		assert_non_null(strstr(err, "--key-fd 9: file descriptor 9 is not open"));
		assert_int_equal(access(mark, F_OK), -1);
		free(err);
		/* the same command with a good destination does run the evidence command */
		len = sizeof(key);
		assert_int_equal(run_release_cli(ARGS("--evidence-command", cmd, "--key-fd", "3"), key,
						 &len, &err), 0);
		assert_int_equal(access(mark, F_OK), 0);
		assert_int_equal(len, mat_oct_len);
		free(err);
		unlink(mark);
		unlink(wrap);
	}

	/* A debug guest: exit 3 and the failing claim named. */
	{
		const char *bin = getenv("CVMATTEST_BIN");
		char cmd[2048], *out = NULL;
		int rc;

		snprintf(cmd, sizeof(cmd), "%s " SNP_EV " --debug", svc.sim);
		(void)bin;
		len = sizeof(key);
		rc = run_release_cli(ARGS("--evidence-command", cmd, "--key-fd", "3"), key, &len, &out);
		assert_int_equal(rc, 3);
		assert_int_equal(len, 0);
		assert_non_null(strstr(out, "x-ms-compliance-status"));
		free(out);
	}
}

/*
 * cli_sanitize_env(): the CLI runs as root from an initramfs or a unit whose
 * environment an attacker may have shaped (kernel command line, a drop-in).
 * OpenSSL's configuration (which loads provider modules: code), its CA
 * variables and the proxy variables must not reach it.  The real binary,
 * against the loopback service: with an "attacker" proxy listening on a
 * local port, an OpenSSL configuration that loads a module that does not
 * exist (so that honouring it fails the run), and the CA variables pointing
 * at a CA that is not the service's, the release still works and the proxy
 * sees no connection; the same proxy set in the configuration does see one.
 */
static int listen_local(int *port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t al = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(fd, 8), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &al), 0);
	*port = ntohs(a.sin_port);
	return fd;
}

static bool proxy_was_used(int fd)
{
	int c = accept(fd, NULL, NULL);

	if (c < 0)
		return false;
	close(c);
	return true;
}

static void test_cli_env_ignored(void **state)
{
	static const char *const vars[] = {
		"https_proxy", "HTTPS_PROXY", "http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY",
		"OPENSSL_CONF", "OPENSSL_MODULES", "SSL_CERT_FILE", "SSL_CERT_DIR", "CURL_CA_BUNDLE",
		"no_proxy", "NO_PROXY",
	};
	static const char evil_conf[] =
		"openssl_conf = openssl_init\n"
		"config_diagnostics = 1\n"
		"[openssl_init]\nproviders = provider_sect\n"
		"[provider_sect]\nevil = evil_sect\n"
		"[evil_sect]\nmodule = /nonexistent/evil-provider.so\nactivate = 1\n";
	char proxy[64], set_proxy[80], *err = NULL;
	const char *conf, *ca = td_path("snp/amd-ask-ark-milan.pem");
	uint8_t key[256];
	size_t len = sizeof(key);
	int fd, port, rc;

	(void)state;
	if (!getenv("CVMATTEST_BIN"))
		skip();
	fd = listen_local(&port);
	snprintf(proxy, sizeof(proxy), "http://127.0.0.1:%d", port);
	conf = write_tmp("evil-openssl.cnf", evil_conf, strlen(evil_conf));
	/* a CA that is not the service's: trusting it instead would fail the TLS handshake */
	for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++) {
		const char *v = strstr(vars[i], "proxy") || strstr(vars[i], "PROXY") ? proxy :
				strcmp(vars[i], "OPENSSL_CONF") == 0 ? conf :
				strcmp(vars[i], "OPENSSL_MODULES") == 0 ? "/nonexistent" : ca;

		if (strstr(vars[i], "no_proxy") || strstr(vars[i], "NO_PROXY"))
			v = "";		/* nothing is exempt from the proxy */
		setenv(vars[i], v, 1);
	}

	rc = run_release_cli(ARGS("--key-fd", "3"), key, &len, &err);
	if (rc != 0)
		print_message("%s\n", err);
	assert_int_equal(rc, 0);
	assert_int_equal(len, mat_oct_len);
	assert_memory_equal(key, mat_oct, len);
	assert_false(proxy_was_used(fd));
	free(err);

	/* control: the proxy of the configuration is used, and the listener sees it */
	snprintf(set_proxy, sizeof(set_proxy), "proxy=%s", proxy);
	len = sizeof(key);
	assert_int_not_equal(run_release_cli(ARGS("--key-fd", "3", "--set", set_proxy, "--set",
						  "retries=0", "--set", "request_timeout=2s",
						  "--set", "total_timeout=4s"),
					     key, &len, &err), 0);
	assert_int_equal(len, 0);
	assert_true(proxy_was_used(fd));
	free(err);

	for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++)
		unsetenv(vars[i]);
	close(fd);
}

/* ---- the Azure vTPM guest flow, against the stand-in paravisor on TCP -------------------------- */

static pid_t pv_pid;

static int free_port_pair(void)
{
	for (int port = 23400 + (getpid() % 500) * 2; port < 65000; port += 2) {
		int ok = 1;

		for (int i = 0; i < 2 && ok; i++) {
			struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)(port + i)),
						 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
			int fd = socket(AF_INET, SOCK_STREAM, 0);

			ok = bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0;
			close(fd);
		}
		if (ok)
			return port;
	}
	return -1;
}

/* The paravisor on 127.0.0.1:PORT (PORT+1: swtpm control); NULL to skip. */
static const char *start_paravisor(char *tcti, size_t len, const char *platform)
{
	static char pv[1200], dir[700], state_file[800];
	const char *sim = getenv("CVMATTEST_SIM");
	char st[800], ctl[800], listen[64], *slash;
	int port = free_port_pair();

	snprintf(pv, sizeof(pv), "%s", sim ? sim : "");
	slash = strrchr(pv, '/');
	if (!slash)
		return NULL;
	snprintf(slash, sizeof(pv) - (size_t)(slash - pv), "/../paravisor/cvmattest-paravisor");
	if (access(pv, X_OK) != 0 || access("/usr/bin/swtpm", X_OK) != 0 || port < 0)
		return NULL;
	snprintf(dir, sizeof(dir), "%s/pv-%d-%s", tmp_dir(), (int)getpid(), platform);
	snprintf(st, sizeof(st), "%s/state", dir);
	snprintf(ctl, sizeof(ctl), "%s/ctl", dir);
	mkdir(dir, 0700);
	mkdir(st, 0700);
	mkdir(ctl, 0700);
	snprintf(listen, sizeof(listen), "127.0.0.1:%d", port);
	pv_pid = fork();
	assert_true(pv_pid >= 0);
	if (pv_pid == 0) {
		int devnull = open("/dev/null", O_WRONLY);

		if (!getenv("CVMATTEST_TEST_VERBOSE")) {
			dup2(devnull, STDOUT_FILENO);
			dup2(devnull, STDERR_FILENO);
		}
		execl(pv, pv, "--platform", platform, "--state-dir", st, "--control", ctl,
		      "--listen-tcp", listen, "-f", (char *)NULL);
		_exit(127);
	}
	snprintf(state_file, sizeof(state_file), "%s/state", ctl);
	for (long deadline = azsvc_now_ms() + 30000; azsvc_now_ms() < deadline; usleep(100000)) {
		FILE *f = fopen(state_file, "r");
		char line[256];
		bool ready = false;

		while (f && fgets(line, sizeof(line), f))
			ready |= strcmp(line, "ready=yes\n") == 0;
		if (f)
			fclose(f);
		if (ready) {
			snprintf(tcti, len, "swtpm:host=127.0.0.1,port=%d", port);
			return dir;
		}
	}
	fail_msg("cvmattest-paravisor did not become ready");
	return NULL;
}

static void stop_paravisor(void)
{
	int status;

	if (pv_pid <= 0)
		return;
	kill(pv_pid, SIGTERM);
	for (int i = 0; i < 100 && waitpid(pv_pid, &status, WNOHANG) != pv_pid; i++)
		usleep(100000);
	kill(pv_pid, SIGKILL);
	waitpid(pv_pid, &status, WNOHANG);
	pv_pid = 0;
}

static void guest_release(const char *platform)
{
	static const char *const encs[] = { "RSA_AES_KEY_WRAP_256", "CKM_RSA_AES_KEY_WRAP",
					    "RSA_AES_KEY_WRAP_384" };
	struct logbuf log = { 0 };
	struct cvm_ctx *ctx;
	struct cvm_config *c;
	struct cvm_attestation *a = NULL;
	struct cvm_key *k = NULL;
	char tcti[128];
	char *claims = NULL;

	if (!start_paravisor(tcti, sizeof(tcti), platform)) {
		fprintf(stderr, "skipped: cvmattest-paravisor (make -C tests/paravisor) or swtpm missing\n");
		skip();
	}
	ctx = ctx_with(&log);
	c = config_for(ctx, SNP_EV);
	set(ctx, c, "evidence_command", "");
	set(ctx, c, "attest_type", "azure-guest");
	set(ctx, c, "tcti", tcti);
	set(ctx, c, "key_url", kid_guest);
	assert_int_equal(cvm_attest(ctx, c, "guest-nonce", &a), 0);
	assert_string_equal(cvm_attestation_type(a), "azurevm");
	assert_string_equal(cvm_attestation_flow(a), "AzureGuest");
	assert_int_equal(cvm_attestation_claims_json(a, &claims), 0);
	assert_non_null(strstr(claims, "TpmEphemeralEncryptionKey"));
	assert_non_null(strstr(claims, strcmp(platform, "snp") == 0 ? "\"sevsnpvm\"" : "\"tdxvm\""));
	free(claims);
	/* The key unwrapped by the vTPM's PCR-bound key, for each enc. */
	for (size_t i = 0; i < 3; i++) {
		set(ctx, c, "enc", encs[i]);
		assert_int_equal(cvm_release(ctx, c, a, &k), 0);
		expect_key(k, mat_guest, mat_guest_len, "raw");
		cvm_key_free(k);
	}
	assert_no_key_in(log.text, log.len, mat_guest, mat_guest_len);
	/* A platform-flow key (policy on top-level claims) is refused to this token. */
	set(ctx, c, "key_url", kid_oct);
	assert_int_equal(cvm_release(ctx, c, a, &k), -EACCES);
	cvm_attestation_free(a);
	cvm_config_free(c);
	cvm_ctx_free(ctx);
	free(log.text);
	stop_paravisor();
}

static void test_azure_guest_snp(void **state)
{
	(void)state;
	guest_release("snp");
}

static void test_azure_guest_tdx(void **state)
{
	(void)state;
	guest_release("tdx");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_snp_oct, test_setup),
		cmocka_unit_test_setup(test_snp_rsa_each_enc, test_setup),
		cmocka_unit_test_setup(test_tdx, test_setup),
		cmocka_unit_test_setup(test_snp_thim_then_cache, test_setup),
		cmocka_unit_test_setup(test_debug_refused, test_setup),
		cmocka_unit_test_setup(test_faults_recover, test_setup),
		cmocka_unit_test_setup(test_faults_fail_bounded, test_setup),
		cmocka_unit_test_setup(test_stale_hcl_refused, test_setup),
		cmocka_unit_test_setup(test_env_proxy_ignored, test_setup),
		cmocka_unit_test_setup(test_transfer_key_secure_heap, test_setup),
		cmocka_unit_test_setup(test_unreachable_and_tls, test_setup),
		cmocka_unit_test_setup(test_token_tampering, test_setup),
		cmocka_unit_test_setup(test_cli_release, test_setup),
		cmocka_unit_test_setup(test_cli_env_ignored, test_setup),
		cmocka_unit_test_setup(test_azure_guest_snp, test_setup),
		cmocka_unit_test_setup(test_azure_guest_tdx, test_setup),
	};

	return cmocka_run_group_tests_name("attest", tests, group_setup, group_teardown);
}
