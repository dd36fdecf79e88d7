// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Attestation by MAA, platform flows (reference 2.2, 2.3):
 *
 *   transfer key  an ephemeral RSA key made here; its public JWK (key_ops
 *                 encrypt, kid = its RFC 7638 thumbprint) is the runtime data
 *                 {"keys":[jwk]}, and REPORT_DATA = SHA-256(runtime data) ||
 *                 32 zero bytes, so the hardware report vouches for the key;
 *   evidence      for that REPORT_DATA (evidence_src.c), with the VCEK chain
 *                 (endorse.c) or made into a quote (IMDS /acc/tdquote);
 *   MAA           POST /attest/SevSnpVm {report, runtimeData, nonce} or
 *                 /attest/TdxVm {quote, runtimeData, nonce};
 *   token         verified (token.c), x-ms-runtime equal to what was sent,
 *                 so Key Vault will wrap the key to our transfer key.
 *
 * On Azure behind the paravisor the device gives an HCL report: its runtime
 * claims are what the hardware report binds, so they are sent as runtime
 * data, and our REPORT_DATA is the claims' user-data.  Such a token carries
 * no transfer key of ours; key release there uses /attest/AzureGuest (tpm.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>

#include <jose/jwk.h>
#include <linux/cvmattest.h>
#include <openssl/crypto.h>
#include <openssl/rsa.h>

#include "attest/attest.h"


void cvm_attestation_free(struct cvm_attestation *a)
{
	if (!a)
		return;
	free(a->flow);
	free(a->instance);
	free(a->token);
	json_decref(a->claims);
	free(a->type);
	EVP_PKEY_free(a->transfer_key);
	tpm_session_free(a->tpm);
	free(a->transfer_kid);
	free(a);
}

const char *cvm_attestation_token(const struct cvm_attestation *a)
{
	return a ? a->token : NULL;
}

int cvm_attestation_claims_json(const struct cvm_attestation *a, char **ret)
{
	if (!a || !ret)
		return -EINVAL;
	*ret = json_dumps(a->claims, JSON_INDENT(2) | JSON_SORT_KEYS);
	return *ret ? 0 : -ENOMEM;
}

const char *cvm_attestation_type(const struct cvm_attestation *a)
{
	return a ? a->type : NULL;
}

const char *cvm_attestation_flow(const struct cvm_attestation *a)
{
	return a ? a->flow : NULL;
}

time_t cvm_attestation_expiry(const struct cvm_attestation *a)
{
	return a ? a->expiry : 0;
}

/* ---- the transfer key and runtime data ------------------------------------------------ */

/*
 * OpenSSL's secure heap: the private halves of the RSA transfer key (its
 * BIGNUMs come from BN_secure_new() once it exists) live in locked, guarded
 * pages that are wiped when freed. 256 KiB holds a few 4096-bit keys.
 */
static int secure_heap_ok;

#if defined(__SANITIZE_ADDRESS__)
#define CVM_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define CVM_ASAN 1
#endif
#endif

static void secure_heap_init(void)
{
#ifdef CVM_ASAN
	/*
	 * Not under AddressSanitizer: LeakSanitizer does not scan that arena,
	 * so what only it points to would be reported as leaked.
	 */
	secure_heap_ok = -1;
	return;
#endif
	if (!CRYPTO_secure_malloc_initialized())
		secure_heap_ok = CRYPTO_secure_malloc_init(256 * 1024, 64);
	else
		secure_heap_ok = 1;
}

static int make_transfer_key(struct cvm_ctx *ctx, int bits, EVP_PKEY **key, json_t **runtime,
			     char **kid)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	_cleanup_(EVP_PKEY_freep) EVP_PKEY *k = NULL;
	_cleanup_json_ json_t *jwk = NULL, *thp = NULL;

	pthread_once(&once, secure_heap_init);
	if (secure_heap_ok == 0)
		log_warning(ctx, "OpenSSL's secure heap is not available (RLIMIT_MEMLOCK?): the "
			    "transfer key's private part is in ordinary memory");
	k = EVP_RSA_gen((unsigned)bits);
	if (!k) {
		log_openssl(ctx, "RSA key generation");
		return log_error_errno(ctx, -EIO, "Cannot generate the %d-bit RSA transfer key",
				       bits);
	}
	jwk = jwk_from_pkey(k, NULL, "encrypt");
	if (!jwk)
		return -ENOMEM;
	thp = jose_jwk_thp(NULL, jwk, "S256");
	if (!json_is_string(thp))
		return -ENOMEM;
	json_object_set(jwk, "kid", thp);
	*kid = strdup(json_string_value(thp));
	*runtime = json_pack("{s:[O]}", "keys", jwk);
	if (!*kid || !*runtime) {
		free(*kid);
		json_decref(*runtime);
		return -ENOMEM;
	}
	*key = TAKE_PTR(k);
	return 0;
}

static json_t *runtime_data_obj(const char *text)
{
	_cleanup_free_ char *b64 = b64url_encode((const uint8_t *)text, strlen(text));

	return b64 ? json_pack("{s:s, s:s}", "data", b64, "dataType", "JSON") : NULL;
}

static int body_snp(struct cvm_ctx *ctx, const struct cvm_config *cfg, const uint8_t *report,
		    const uint8_t *table, size_t table_len, const char *runtime_text,
		    const char *nonce, json_t **ret)
{
	_cleanup_free_ char *pem = NULL, *rep_b64 = NULL, *chain_b64 = NULL, *inner = NULL,
			    *outer = NULL;
	_cleanup_json_ json_t *in = NULL;
	size_t pem_len;
	int r;

	r = snp_vcek_chain(ctx, cfg, report, SNP_REPORT_SIZE, table, table_len, &pem, &pem_len);
	if (r < 0)
		return r;
	rep_b64 = b64url_encode(report, SNP_REPORT_SIZE);
	chain_b64 = b64url_encode((const uint8_t *)pem, pem_len);
	if (!rep_b64 || !chain_b64)
		return -ENOMEM;
	in = json_pack("{s:s, s:s}", "SnpReport", rep_b64, "VcekCertChain", chain_b64);
	inner = in ? json_dumps(in, JSON_COMPACT) : NULL;
	outer = inner ? b64url_encode((const uint8_t *)inner, strlen(inner)) : NULL;
	if (!outer)
		return -ENOMEM;
	*ret = json_pack("{s:s, s:o}", "report", outer, "runtimeData", runtime_data_obj(runtime_text));
	if (*ret && nonce)
		json_object_set_new(*ret, "nonce", json_string(nonce));
	return *ret ? 0 : -ENOMEM;
}

static int body_tdx(struct cvm_ctx *ctx, const struct cvm_config *cfg, const uint8_t *ev,
		    size_t len, enum cvm_format format, const char *runtime_text, const char *nonce,
		    json_t **ret)
{
	_cleanup_free_ uint8_t *quote = NULL;
	_cleanup_free_ char *b64 = NULL;
	size_t qlen;
	int r;

	if (format == CVM_FORMAT_TDX_TDREPORT) {
		if (!list_has(cfg->tdx_quote, "imds")) {
			log_error(ctx, "The platform gave a TDREPORT and tdx_quote does not allow imds to "
				  "make it a quote");
			return -EOPNOTSUPP;
		}
		r = imds_tdquote(ctx, cfg, ev, TDX_REPORT_SIZE, &quote, &qlen);
		if (r < 0)
			return r;
		ev = quote;
		len = qlen;
	}
	b64 = b64url_encode(ev, len);
	if (!b64)
		return -ENOMEM;
	*ret = json_pack("{s:s, s:o}", "quote", b64, "runtimeData", runtime_data_obj(runtime_text));
	if (*ret && nonce)
		json_object_set_new(*ret, "nonce", json_string(nonce));
	return *ret ? 0 : -ENOMEM;
}

/* Tell the module how it went (sysfs attestation_*, netlink); best effort. */
static void report_status(struct cvm_ctx *ctx, const struct cvm_config *cfg, bool ok,
			  const char *verifier, time_t expiry, const char *reason)
{
	struct cvmattest_status st;
	_cleanup_close_ int fd = -1;

	fd = open(cfg->device, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return;
	memset(&st, 0, sizeof(st));
	st.size = sizeof(st);
	st.state = ok ? CVMATTEST_STATUS_VERIFIED : CVMATTEST_STATUS_FAILED;
	st.token_expiry = expiry;
	snprintf(st.verifier, sizeof(st.verifier), "%s", verifier ? verifier : "");
	snprintf(st.reason, sizeof(st.reason), "%s", reason ? reason : "");
	if (ioctl(fd, CVMATTEST_IOC_SET_STATUS, &st) < 0)
		log_debug(ctx, "Cannot report the attestation status to %s: %s", cfg->device,
			  strerror(errno));
}

static const char *reason_of(int r)
{
	switch (r) {
	case -EKEYREJECTED:
		return "evidence or token rejected";
	case -EKEYEXPIRED:
		return "token expired or not yet valid";
	case -ETIMEDOUT:
	case -ECONNREFUSED:
	case -EHOSTUNREACH:
	case -ECONNRESET:
		return "attestation service unreachable";
	default:
		return strerror(-r);
	}
}

static int attest_platform(struct cvm_ctx *ctx, const struct cvm_config *cfg, const char *nonce,
			   enum cvm_attest_type want, struct cvm_attestation *a)
{
	_cleanup_json_ json_t *runtime = NULL, *body = NULL, *sent_runtime = NULL;
	_cleanup_free_ char *runtime_text = NULL;
	struct att_evidence ev = { 0 };
	struct cvm_hcl_report hcl;
	uint8_t report_data[64] = { 0 };
	const uint8_t *hw;
	enum cvm_format hw_format;
	const char *expected_type;
	unsigned dl;
	int r;

	r = make_transfer_key(ctx, cfg->transfer_key_bits, &a->transfer_key, &runtime,
			      &a->transfer_kid);
	if (r < 0)
		return r;
	runtime_text = json_compact(runtime);
	if (!runtime_text)
		return -ENOMEM;
	r = sha_digest("SHA256", (const uint8_t *)runtime_text, strlen(runtime_text), report_data,
		       &dl);
	if (r < 0)
		return r;

	r = evidence_get(ctx, cfg, report_data, want, list_has(cfg->snp_certs, "extended"), &ev);
	if (r < 0)
		return r;

	hw = ev.data;
	hw_format = ev.format;
	if (ev.format == CVM_FORMAT_AZURE_HCL) {
		struct cvm_hcl_claims claims = { 0 };

		r = cvm_hcl_report_parse(ev.data, ev.len, &hcl);
		if (r < 0) {
			log_error(ctx, "The HCL report from the paravisor does not parse");
			goto out;
		}
		/*
		 * A report the paravisor did not refresh, or one the host replays,
		 * is not bound to this request: refuse it rather than attest it.
		 */
		r = cvm_hcl_claims_parse(hcl.variable_data, hcl.variable_size, &claims);
		if (r == 0 && (!claims.has_user_data ||
			       memcmp(claims.user_data, report_data, 64) != 0))
			r = -EKEYREJECTED;
		cvm_hcl_claims_done(&claims);
		if (r < 0) {
			log_error(ctx, "The HCL report's user-data is not our REPORT_DATA%s: the "
				  "paravisor did not refresh the report, or it is replayed",
				  r == -EKEYREJECTED ? "" : " (its runtime claims do not parse)");
			r = -EKEYREJECTED;
			goto out;
		}
		/* MAA binds the runtime claims (REPORT_DATA = their hash), not our key. */
		free(runtime_text);
		runtime_text = strndup((const char *)hcl.variable_data, hcl.variable_size);
		if (!runtime_text) {
			r = -ENOMEM;
			goto out;
		}
		EVP_PKEY_free(TAKE_PTR(a->transfer_key));
		hw = hcl.hw_report;
		hw_format = hcl.hw_format;
		log_warning(ctx, "Attesting the paravisor's HCL report: the token will carry the HCL "
			    "runtime claims, not a transfer key (key release on Azure CVMs uses "
			    "attest_type = azure-guest)");
	}
	if (want == ATTEST_TYPE_SNP && hw_format != CVM_FORMAT_SNP_REPORT) {
		log_error(ctx, "attest_type = snp, but the platform gave %s evidence",
			  cvm_format_name(hw_format));
		r = -EINVAL;
		goto out;
	}
	if (want == ATTEST_TYPE_TDX && hw_format != CVM_FORMAT_TDX_TDREPORT &&
	    hw_format != CVM_FORMAT_TDX_QUOTE) {
		log_error(ctx, "attest_type = tdx, but the platform gave %s evidence",
			  cvm_format_name(hw_format));
		r = -EINVAL;
		goto out;
	}
	switch (hw_format) {
	case CVM_FORMAT_SNP_REPORT:
		if (ev.format == CVM_FORMAT_SNP_REPORT && ev.len < SNP_REPORT_SIZE) {
			r = -EBADMSG;
			goto out;
		}
		r = body_snp(ctx, cfg, hw, ev.format == CVM_FORMAT_SNP_REPORT ? ev.certs : NULL,
			     ev.format == CVM_FORMAT_SNP_REPORT ? ev.certs_len : 0, runtime_text, nonce,
			     &body);
		a->flow = strdup("SevSnpVm");
		expected_type = "sevsnpvm";
		break;
	case CVM_FORMAT_TDX_TDREPORT:
	case CVM_FORMAT_TDX_QUOTE:
		r = body_tdx(ctx, cfg, hw, hw == ev.data ? ev.len : TDX_REPORT_SIZE, hw_format,
			     runtime_text, nonce, &body);
		a->flow = strdup("TdxVm");
		expected_type = "tdxvm";
		break;
	default:
		log_error(ctx, "Evidence of format %s cannot be attested", cvm_format_name(hw_format));
		r = -EOPNOTSUPP;
		goto out;
	}
	if (r < 0)
		goto out;
	if (!a->flow) {
		r = -ENOMEM;
		goto out;
	}
	r = maa_attest(ctx, cfg, a->instance, a->flow,
		     strcmp(a->flow, "SevSnpVm") == 0 ? cfg->api_version_snp : cfg->api_version_tdx,
		     body, &a->token);
	if (r < 0)
		goto out;
	sent_runtime = json_loads(runtime_text, 0, NULL);
	if (!sent_runtime) {
		r = -EBADMSG;
		goto out;
	}
	r = maa_token_verify(ctx, cfg, a->instance, a->token, sent_runtime, true, &a->claims);
	if (r < 0)
		goto out;
	{
		const char *t = json_string_value(json_object_get(a->claims, "x-ms-attestation-type"));
		const char *n = json_string_value(json_object_get(a->claims, "nonce"));

		if (!t || strcmp(t, expected_type) != 0) {
			log_error(ctx, "The token's x-ms-attestation-type is \"%s\", not \"%s\"",
				  t ? t : "(none)", expected_type);
			r = -EKEYREJECTED;
			goto out;
		}
		if (nonce && (!n || strcmp(n, nonce) != 0)) {
			log_error(ctx, "The token does not echo the nonce that was sent");
			r = -EKEYREJECTED;
			goto out;
		}
	}
	r = 0;
out:
	att_evidence_done(&ev);
	return r;
}

static enum cvm_attest_type detect_type(struct cvm_ctx *ctx, const struct cvm_config *cfg)
{
	struct cvm_device_info info;
	struct stat st;

	if (cfg->attest_type != ATTEST_TYPE_AUTO)
		return cfg->attest_type;
	/* The paravisor's vTPM is the one source that needs a different flow. */
	if (cfg->evidence_source != EVIDENCE_COMMAND && cfg->evidence_source != EVIDENCE_CONFIGFS &&
	    !(cfg->evidence_source == EVIDENCE_AUTO && cfg->evidence_command &&
	      *cfg->evidence_command) &&
	    stat(cfg->device, &st) == 0 && cvm_device_info(ctx, cfg->device, &info) == 0 &&
	    info.provider == CVMATTEST_PROVIDER_AZURE_VTPM)
		return ATTEST_TYPE_AZURE_GUEST;
	return ATTEST_TYPE_AUTO;
}

int cvm_attest(struct cvm_ctx *ctx, const struct cvm_config *cfg, const char *nonce,
	       struct cvm_attestation **ret)
{
	struct cvm_attestation *a;
	enum cvm_attest_type type;
	json_t *exp;
	int r;

	if (!ctx || !ret)
		return -EINVAL;
	if (!cfg)
		cfg = config_defaults();
	if (!cfg->attest_url || !*cfg->attest_url) {
		char hint[512];

		config_hint(cfg, "attest_url", hint, sizeof(hint));
		log_error(ctx, "No attestation service is configured: set attest_url (%s)", hint);
		return -EINVAL;
	}
	a = calloc(1, sizeof(*a));
	if (!a)
		return -ENOMEM;
	r = url_origin(cfg->attest_url, false, &a->instance);
	if (r < 0) {
		log_error(ctx, "attest_url %s is not an https:// URL", cfg->attest_url);
		goto fail;
	}
	type = detect_type(ctx, cfg);
	if (type == ATTEST_TYPE_AZURE_GUEST)
		r = azure_guest_attest(ctx, cfg, nonce, a);
	else
		r = attest_platform(ctx, cfg, nonce, type, a);
	if (r < 0)
		goto fail;
	{
		const char *t = json_string_value(json_object_get(a->claims, "x-ms-attestation-type"));

		a->type = strdup(t ? t : "");
	}
	exp = json_object_get(a->claims, "exp");
	a->expiry = json_is_integer(exp) ? (time_t)json_integer_value(exp) : 0;
	if (!a->type) {
		r = -ENOMEM;
		goto fail;
	}
	log_info(ctx, "Attestation verified by %s (%s, %s)", a->instance, a->flow, a->type);
	report_status(ctx, cfg, true, a->instance, a->expiry, NULL);
	*ret = a;
	return 0;
fail:
	report_status(ctx, cfg, false, a->instance ? a->instance : cfg->attest_url, 0, reason_of(r));
	cvm_attestation_free(a);
	return r;
}
