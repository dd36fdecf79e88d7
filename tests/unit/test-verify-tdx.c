// SPDX-License-Identifier: LGPL-2.1-or-later
/* TDX quote verification on the real quotes (built-in Intel root) and corrupted copies. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cvmattest/evidence.h>

#include "forge.h"
#include "testutil.h"

static const char *const quotes[] = {
	"tdx/gtg-v4-quote-spr-e4.bin",
	"tdx/gtg-v5-quote.bin",
	"tdx/gtg-v4-quote-gcp-cos.bin",
};

static void test_real_quotes_ok(void **state)
{
	struct cvm_ctx *ctx = quiet_ctx();

	(void)state;
	for (size_t i = 0; i < 3; i++) {
		struct cvm_result *r;
		size_t len;
		uint8_t *q = load_td(quotes[i], &len);

		assert_int_equal(cvm_verify(ctx, q, len, CVM_FORMAT_UNKNOWN, NULL, &r), 0);
		if (cvm_result_status(r) != CVM_STATUS_OK)
			fail_msg("%s: status %d, %s", quotes[i], cvm_result_status(r), cvm_result_error(r, 0));
		assert_true(cvm_result_verified(r));
		assert_int_equal(cvm_result_format(r), CVM_FORMAT_TDX_QUOTE);
		assert_non_null(cvm_result_tdx_quote(r));
		cvm_result_free(r);
		free(q);
	}
	cvm_ctx_free(ctx);
}

/* Offsets of each signed or bound part of a quote, from its own parse. */
static void corrupt_and_check(struct cvm_ctx *ctx, const uint8_t *q, size_t len, size_t off,
			      enum cvm_status want, const char *what)
{
	uint8_t *c = malloc(len);
	enum cvm_status st;

	memcpy(c, q, len);
	c[off] ^= 0x10;
	st = verify_status(ctx, c, len, NULL);
	if (st != want)
		fail_msg("%s (offset %zu): status %d, expected %d", what, off, st, want);
	free(c);
}

static void test_flipped_bits(void **state)
{
	struct cvm_ctx *ctx = quiet_ctx();

	(void)state;
	for (size_t i = 0; i < 3; i++) {
		struct cvm_tdx_quote t;
		size_t len, sd, cd;
		uint8_t *q = load_td(quotes[i], &len);

		assert_int_equal(cvm_tdx_quote_parse(q, len, &t), 0);
		sd = t.signed_len + 4;
		cd = sd + TDX_SD_CERT_DATA;
		/* header user data, body: quote signature */
		corrupt_and_check(ctx, q, len, TDX_Q_USER_DATA, CVM_STATUS_INVALID, "header");
		for (size_t off = t.version == 5 ? TDX_Q5_BODY : TDX_Q4_BODY; off < t.signed_len; off += 7)
			corrupt_and_check(ctx, q, len, off, CVM_STATUS_INVALID, "body");
		/* v5 body type: the quote no longer parses */
		if (t.version == 5)
			corrupt_and_check(ctx, q, len, TDX_Q5_BODY_TYPE, CVM_STATUS_MALFORMED, "body type");
		corrupt_and_check(ctx, q, len, sd + TDX_SD_QUOTE_SIG + 5, CVM_STATUS_INVALID, "quote signature");
		corrupt_and_check(ctx, q, len, sd + TDX_SD_ATT_KEY + 40, CVM_STATUS_INVALID, "attestation key");
		corrupt_and_check(ctx, q, len, cd + SGX_RB_MRENCLAVE, CVM_STATUS_INVALID, "QE report");
		corrupt_and_check(ctx, q, len, cd + SGX_RB_REPORT_DATA, CVM_STATUS_INVALID, "QE report data");
		corrupt_and_check(ctx, q, len, cd + TDX_QE_REPORT_SIG + 3, CVM_STATUS_INVALID, "QE signature");
		corrupt_and_check(ctx, q, len, cd + TDX_QE_AUTH_DATA + 1, CVM_STATUS_INVALID, "QE auth data");
		/* inside the PCK leaf's base64: the chain breaks (INVALID) or stops parsing (MALFORMED) */
		{
			size_t chain_off = (size_t)(t.pck_chain - q) + 200;
			uint8_t *c = malloc(len);
			enum cvm_status st;

			memcpy(c, q, len);
			c[chain_off] = c[chain_off] == 'A' ? 'B' : 'A';
			st = verify_status(ctx, c, len, NULL);
			assert_true(st == CVM_STATUS_INVALID || st == CVM_STATUS_MALFORMED);
			free(c);
		}
		/* trailing bytes are not part of the quote */
		if (t.trailing_len)
			corrupt_and_check(ctx, q, len, len - 1, CVM_STATUS_OK, "trailing bytes");
		free(q);
	}
	cvm_ctx_free(ctx);
}

static void test_truncated(void **state)
{
	struct cvm_ctx *ctx = quiet_ctx();
	size_t len;
	uint8_t *q = load_td("tdx/gtg-v5-quote.bin", &len);

	(void)state;
	for (size_t n = 0; n < len; n += 97) {
		uint8_t *c = malloc(n + 1);

		memcpy(c, q, n);
		assert_int_equal(verify_status(ctx, c, n, NULL), CVM_STATUS_MALFORMED);
		free(c);
	}
	assert_int_equal(verify_status(ctx, q, len - 1, NULL), CVM_STATUS_MALFORMED);
	free(q);
	cvm_ctx_free(ctx);
}

static void test_other_root_and_time(void **state)
{
	struct cvm_ctx *ctx = quiet_ctx();
	struct forge_intel *f = forge_intel();
	struct cvm_result *r;
	size_t len;
	uint8_t *q = load_td("tdx/gtg-v4-quote-spr-e4.bin", &len);

	(void)state;
	/* After the PCK Platform CA expires (2033-05-21). */
	cvm_set_verify_time(ctx, 2016000000);	/* 2033-11-19 */
	assert_int_equal(cvm_verify(ctx, q, len, CVM_FORMAT_UNKNOWN, NULL, &r), 0);
	assert_int_equal(cvm_result_status(r), CVM_STATUS_INVALID);
	assert_true(result_has_error(r, "expired"));
	cvm_result_free(r);
	cvm_set_verify_time(ctx, 0);
	/* Trusting a test root instead: Intel's real chain no longer verifies. */
	assert_int_equal(cvm_set_intel_root(ctx, f->root_path), 0);
	assert_int_equal(verify_status(ctx, q, len, NULL), CVM_STATUS_INVALID);
	/* a non-root certificate cannot be made the Intel root */
	assert_int_not_equal(cvm_set_intel_root(ctx, td_path("snp/gsg-milan-vcek.der")), 0);
	free(q);
	cvm_ctx_free(ctx);
}

static void test_policy_on_quote(void **state)
{
	struct cvm_ctx *ctx = quiet_ctx();
	struct cvm_policy *p;
	struct cvm_tdx_quote t;
	size_t len;
	uint8_t *q = load_td("tdx/gtg-v4-quote-spr-e4.bin", &len);
	uint8_t svn[16] = { 0 }, m[48];

	(void)state;
	assert_int_equal(cvm_tdx_quote_parse(q, len, &t), 0);
	assert_int_equal(cvm_policy_new(&p), 0);
	/* expected values from the quote itself */
	assert_int_equal(cvm_policy_add_measurement(p, t.body.mrtd, 48), 0);
	assert_int_equal(cvm_policy_set_report_data(p, t.body.report_data, 64), 0);
	assert_int_equal(cvm_policy_set_rtmr(p, 1, t.body.rtmr[1], 48), 0);
	memcpy(svn, t.body.tee_tcb_svn, 16);
	assert_int_equal(cvm_policy_set_min_tee_tcb_svn(p, svn, 16), 0);
	assert_int_equal(verify_status(ctx, q, len, p), CVM_STATUS_OK);
	/* one SVN higher than the TD has */
	svn[1]++;
	assert_int_equal(cvm_policy_set_min_tee_tcb_svn(p, svn, 16), 0);
	assert_int_equal(verify_status(ctx, q, len, p), CVM_STATUS_POLICY);
	svn[1]--;
	assert_int_equal(cvm_policy_set_min_tee_tcb_svn(p, svn, 16), 0);
	/* another RTMR2 */
	memcpy(m, t.body.rtmr[2], 48);
	m[0] ^= 1;
	assert_int_equal(cvm_policy_set_rtmr(p, 2, m, 48), 0);
	assert_int_equal(verify_status(ctx, q, len, p), CVM_STATUS_POLICY);
	cvm_policy_free(p);
	free(q);
	cvm_ctx_free(ctx);
}

/* ---- collateral ---------------------------------------------------------------------- */

static const uint8_t svn_ok[16] = { 3, 0, 5 }, svn_old[16] = { 3, 0, 4 };

/* A forge quote with @svn verified against collateral @o (test root trusted), under @p. */
static struct cvm_result *coll_verify(const uint8_t svn[16], const struct forge_coll_opts *o,
				      const char *name, struct cvm_policy *p)
{
	struct forge_intel *f = forge_intel();
	struct forge_quote_opts qo = { .version = 4 };
	struct cvm_ctx *ctx = quiet_ctx();
	struct cvm_result *r;
	uint8_t *q;
	size_t len;

	memcpy(qo.tee_tcb_svn, svn, 16);
	q = forge_quote(f, &qo, &len);
	assert_int_equal(cvm_set_intel_root(ctx, f->root_path), 0);
	assert_int_equal(cvm_set_tdx_collateral(ctx, forge_collateral(f, o, name)), 0);
	assert_int_equal(cvm_verify(ctx, q, len, CVM_FORMAT_UNKNOWN, p, &r), 0);
	free(q);
	cvm_ctx_free(ctx);
	return r;
}

static bool has_unchecked(const struct cvm_result *r, const char *needle)
{
	for (size_t i = 0; i < cvm_result_n_unchecked(r); i++)
		if (strstr(cvm_result_unchecked(r, i), needle))
			return true;
	return false;
}

static bool json_has(const struct cvm_result *r, const char *needle)
{
	char *j;
	bool ok;

	assert_int_equal(cvm_result_to_json(r, &j), 0);
	ok = strstr(j, needle) != NULL;
	if (!ok)
		print_message("JSON lacks %s:\n%s\n", needle, j);
	free(j);
	return ok;
}

static void expect(struct cvm_result *r, enum cvm_status want, const char *needle)
{
	if (cvm_result_status(r) != want || (needle && !result_has_error(r, needle))) {
		for (size_t i = 0; i < cvm_result_n_errors(r); i++)
			print_message("  error: %s\n", cvm_result_error(r, i));
		fail_msg("status %d, expected %d with \"%s\"", cvm_result_status(r), want,
			 needle ? needle : "");
	}
}

static void test_coll_up_to_date(void **state)
{
	struct forge_coll_opts o = { 0 };
	struct cvm_result *r = coll_verify(svn_ok, &o, "coll-ok", NULL);

	(void)state;
	expect(r, CVM_STATUS_OK, NULL);
	assert_true(json_has(r, "\"tcb_status\": \"UpToDate\""));
	assert_true(json_has(r, "\"qe_tcb_status\": \"UpToDate\""));
	assert_true(json_has(r, "\"tcb_evaluation_data_number\": 17"));
	assert_true(json_has(r, "\"tcb_info_next_update\": \"20"));
	assert_false(has_unchecked(r, "TCB status"));
	assert_false(has_unchecked(r, "QE identity"));
	assert_false(has_unchecked(r, "revocation"));
	cvm_result_free(r);
}

static void test_coll_out_of_date(void **state)
{
	struct forge_coll_opts o = { 0 };
	struct cvm_policy *p;
	struct cvm_result *r = coll_verify(svn_old, &o, "coll-ood", NULL);

	(void)state;
	expect(r, CVM_STATUS_POLICY, "TDX TCB status OutOfDate is not accepted");
	assert_true(result_has_error(r, "INTEL-SA-00999, INTEL-SA-00837"));
	assert_true(json_has(r, "\"INTEL-SA-00999\""));
	cvm_result_free(r);
	/* accepted by policy */
	assert_int_equal(cvm_policy_new(&p), 0);
	assert_int_equal(cvm_policy_set_tdx_tcb_statuses(p, "UpToDate,OutOfDate"), 0);
	r = coll_verify(svn_old, &o, "coll-ood", p);
	expect(r, CVM_STATUS_OK, NULL);
	cvm_result_free(r);
	/* Revoked and unknown names are not acceptable */
	assert_int_equal(cvm_policy_set_tdx_tcb_statuses(p, "Revoked"), -EINVAL);
	assert_int_equal(cvm_policy_set_tdx_tcb_statuses(p, "UpToDat"), -EINVAL);
	cvm_policy_free(p);
	/* a status of the matching level other than UpToDate */
	o.tcb_status = "SWHardeningNeeded";
	r = coll_verify(svn_ok, &o, "coll-swh", NULL);
	expect(r, CVM_STATUS_POLICY, "SWHardeningNeeded is not accepted");
	cvm_result_free(r);
	o.tcb_status = "Revoked";
	r = coll_verify(svn_ok, &o, "coll-rev", NULL);
	expect(r, CVM_STATUS_INVALID, "TDX TCB status is Revoked");
	cvm_result_free(r);
}

static void test_coll_module_and_qe(void **state)
{
	static const uint8_t mod_ok[16] = { 3, 1, 5 }, mod_old[16] = { 2, 1, 5 };
	struct forge_coll_opts o = { 0 };
	struct cvm_result *r;

	(void)state;
	/* TEE_TCB_SVN[1] = 1: TDX_01 module identity, isvsvn 3 UpToDate */
	r = coll_verify(mod_ok, &o, "coll-mod", NULL);
	expect(r, CVM_STATUS_OK, NULL);
	assert_true(json_has(r, "\"tdx_module_tcb_status\": \"UpToDate\""));
	cvm_result_free(r);
	/* module SVN 2: OutOfDate, converged into the platform's UpToDate */
	r = coll_verify(mod_old, &o, "coll-mod", NULL);
	expect(r, CVM_STATUS_POLICY, "TDX TCB status OutOfDate");
	assert_true(json_has(r, "\"platform_tcb_status\": \"UpToDate\""));
	cvm_result_free(r);
	/* QE OutOfDate converges too */
	o.qe_status = "OutOfDate";
	r = coll_verify(svn_ok, &o, "coll-qe", NULL);
	expect(r, CVM_STATUS_POLICY, "TDX TCB status OutOfDate");
	assert_true(json_has(r, "\"qe_tcb_status\": \"OutOfDate\""));
	cvm_result_free(r);
}

static void test_coll_revoked(void **state)
{
	struct forge_coll_opts o = { .revoke_pck = true };
	struct cvm_result *r = coll_verify(svn_ok, &o, "coll-rpck", NULL);

	(void)state;
	expect(r, CVM_STATUS_INVALID, "PCK certificate is REVOKED");
	cvm_result_free(r);
	o = (struct forge_coll_opts){ .revoke_pca = true };
	r = coll_verify(svn_ok, &o, "coll-rpca", NULL);
	expect(r, CVM_STATUS_INVALID, "PCK CA certificate is REVOKED");
	cvm_result_free(r);
	/* a PCK CRL that the PCK CA did not issue */
	o = (struct forge_coll_opts){ .pck_crl_by_root = true };
	r = coll_verify(svn_ok, &o, "coll-crlroot", NULL);
	expect(r, CVM_STATUS_INVALID, "PCK CRL");
	cvm_result_free(r);
}

static void test_coll_forged(void **state)
{
	struct forge_coll_opts o = { .tamper_tcb_info = true };
	struct cvm_result *r = coll_verify(svn_ok, &o, "coll-tamper", NULL);

	(void)state;
	expect(r, CVM_STATUS_INVALID, "TCB Info");
	assert_true(result_has_error(r, "signature does not verify"));
	cvm_result_free(r);
	o = (struct forge_coll_opts){ .other_root = true };
	r = coll_verify(svn_ok, &o, "coll-oroot", NULL);
	expect(r, CVM_STATUS_INVALID, "does not chain to the trusted Intel root");
	cvm_result_free(r);
	o = (struct forge_coll_opts){ .fmspc = "00606a000000" };
	r = coll_verify(svn_ok, &o, "coll-fmspc", NULL);
	expect(r, CVM_STATUS_INVALID, "FMSPC 00606a000000");
	cvm_result_free(r);
}

static void test_coll_stale(void **state)
{
	time_t now = time(NULL);
	struct forge_coll_opts o = { .issue = now - 40 * 86400, .next = now - 3600 };
	struct cvm_result *r = coll_verify(svn_ok, &o, "coll-stale", NULL);

	(void)state;
	expect(r, CVM_STATUS_UNVERIFIABLE, "is stale");
	assert_true(result_has_error(r, "cvmattest fetch"));
	cvm_result_free(r);
	o = (struct forge_coll_opts){ .crl_next = now - 60 };
	r = coll_verify(svn_ok, &o, "coll-stalecrl", NULL);
	expect(r, CVM_STATUS_UNVERIFIABLE, "CRL");
	assert_true(result_has_error(r, "cvmattest fetch"));
	cvm_result_free(r);
}

static void test_coll_eval_num(void **state)
{
	struct forge_coll_opts o = { 0 };
	struct cvm_policy *p;
	struct cvm_result *r;

	(void)state;
	assert_int_equal(cvm_policy_new(&p), 0);
	cvm_policy_set_min_tcb_eval_num(p, 18);
	r = coll_verify(svn_ok, &o, "coll-eval", p);
	expect(r, CVM_STATUS_POLICY, "tcbEvaluationDataNumber 17 of the TCB Info is below the minimum 18");
	cvm_result_free(r);
	cvm_policy_set_min_tcb_eval_num(p, 17);
	r = coll_verify(svn_ok, &o, "coll-eval", p);
	expect(r, CVM_STATUS_OK, NULL);
	cvm_result_free(r);
	/* the same from a JSON policy */
	{
		static const char js[] = "{\"tdx\":{\"min_tcb_eval_num\":18,\"tcb_status\":[\"UpToDate\"]}}";
		struct cvm_ctx *ctx = quiet_ctx();

		assert_int_equal(cvm_policy_load_json(ctx, p, js, strlen(js)), 0);
		r = coll_verify(svn_ok, &o, "coll-eval", p);
		expect(r, CVM_STATUS_POLICY, "below the minimum 18");
		cvm_result_free(r);
		assert_int_not_equal(cvm_policy_load_json(ctx, p, "{\"tdx\":{\"tcb_status\":[\"Revoked\"]}}", 36), 0);
		cvm_ctx_free(ctx);
	}
	cvm_policy_free(p);
}

static void test_coll_missing_and_cache(void **state)
{
	struct forge_intel *f = forge_intel();
	struct forge_quote_opts qo = { .version = 4 };
	struct forge_coll_opts o = { 0 };
	struct cvm_ctx *ctx = quiet_ctx();
	struct cvm_result *r;
	char path[4200], cache[4200];
	const char *dir;
	uint8_t *q;
	size_t len;

	(void)state;
	memcpy(qo.tee_tcb_svn, svn_ok, 16);
	q = forge_quote(f, &qo, &len);
	assert_int_equal(cvm_set_intel_root(ctx, f->root_path), 0);
	/* no collateral in the cache: verified, TCB status listed as not checked */
	snprintf(cache, sizeof(cache), "%s/%d-coll-cache", tmp_dir(), (int)getpid());
	mkdir(cache, 0755);
	assert_int_equal(cvm_set_cache_dir(ctx, cache), 0);
	assert_int_equal(cvm_verify(ctx, q, len, CVM_FORMAT_UNKNOWN, NULL, &r), 0);
	expect(r, CVM_STATUS_OK, NULL);
	assert_true(has_unchecked(r, "TCB status"));
	cvm_result_free(r);
	/* where fetch stores it: found without --collateral */
	snprintf(path, sizeof(path), "%s/tdx", cache);
	mkdir(path, 0755);
	dir = forge_collateral(f, &o, "coll-cache/tdx/00906ed50000");
	(void)dir;
	assert_int_equal(cvm_verify(ctx, q, len, CVM_FORMAT_UNKNOWN, NULL, &r), 0);
	expect(r, CVM_STATUS_OK, NULL);
	assert_false(has_unchecked(r, "TCB status"));
	assert_true(json_has(r, "\"tcb_status\": \"UpToDate\""));
	cvm_result_free(r);
	/* a piece missing */
	snprintf(path, sizeof(path), "%s/tdx/00906ed50000/qeidentity.json", cache);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(cvm_verify(ctx, q, len, CVM_FORMAT_UNKNOWN, NULL, &r), 0);
	expect(r, CVM_STATUS_UNVERIFIABLE, "cannot read the QE Identity");
	cvm_result_free(r);
	free(q);
	cvm_ctx_free(ctx);
}

/* The same pieces as one JSON bundle file (dcap-qvl QuoteCollateralV3 keys). */
static void test_coll_bundle(void **state)
{
	struct forge_intel *f = forge_intel();
	struct forge_quote_opts qo = { .version = 4 };
	struct forge_coll_opts o = { 0 };
	struct cvm_ctx *ctx = quiet_ctx();
	struct cvm_result *r;
	char path[4200];
	uint8_t *q;
	size_t len;

	(void)state;
	memcpy(qo.tee_tcb_svn, svn_ok, 16);
	q = forge_quote(f, &qo, &len);
	assert_int_equal(cvm_set_intel_root(ctx, f->root_path), 0);
	snprintf(path, sizeof(path), "%s.json", forge_collateral(f, &o, "coll-bundle"));
	assert_int_equal(cvm_set_tdx_collateral(ctx, path), 0);
	assert_int_equal(cvm_verify(ctx, q, len, CVM_FORMAT_UNKNOWN, NULL, &r), 0);
	expect(r, CVM_STATUS_OK, NULL);
	assert_true(json_has(r, "\"tcb_status\": \"UpToDate\""));
	cvm_result_free(r);
	o.revoke_pck = true;
	snprintf(path, sizeof(path), "%s.json", forge_collateral(f, &o, "coll-bundle-rev"));
	assert_int_equal(cvm_set_tdx_collateral(ctx, path), 0);
	assert_int_equal(cvm_verify(ctx, q, len, CVM_FORMAT_UNKNOWN, NULL, &r), 0);
	expect(r, CVM_STATUS_INVALID, "PCK certificate is REVOKED");
	cvm_result_free(r);
	o = (struct forge_coll_opts){ .other_root = true };
	snprintf(path, sizeof(path), "%s.json", forge_collateral(f, &o, "coll-bundle-oroot"));
	assert_int_equal(cvm_set_tdx_collateral(ctx, path), 0);
	assert_int_equal(cvm_verify(ctx, q, len, CVM_FORMAT_UNKNOWN, NULL, &r), 0);
	expect(r, CVM_STATUS_INVALID, "does not chain to the trusted Intel root");
	cvm_result_free(r);
	/* a file that is no bundle */
	assert_int_equal(cvm_set_tdx_collateral(ctx, f->root_path), 0);
	assert_int_equal(cvm_verify(ctx, q, len, CVM_FORMAT_UNKNOWN, NULL, &r), 0);
	expect(r, CVM_STATUS_INVALID, "nor a collateral JSON bundle");
	cvm_result_free(r);
	free(q);
	cvm_ctx_free(ctx);
}

/* The real SPR quote with the collateral go-tdx-guest ships for it (tests/data/tdx-collateral). */
static void test_coll_real(void **state)
{
	struct cvm_ctx *ctx = quiet_ctx();
	struct cvm_result *r;
	char dir[4096];
	size_t len;
	uint8_t *q = load_td("tdx/gtg-v4-quote-spr-e4.bin", &len), *t;
	const char *pd = getenv("CVMATTEST_PROJDATA");

	(void)state;
	assert_non_null(pd);
	snprintf(dir, sizeof(dir), "%s/tdx-collateral", pd);
	assert_int_equal(cvm_set_tdx_collateral(ctx, dir), 0);
	cvm_set_verify_time(ctx, 1687219200);	/* 2023-06-20, inside every piece's validity */
	assert_int_equal(cvm_verify(ctx, q, len, CVM_FORMAT_UNKNOWN, NULL, &r), 0);
	/*
	 * Every signature, chain and CRL holds; this platform's TEE_TCB_SVN
	 * 03 00 04 is below both TCB levels of that TCB Info (TDX late
	 * microcode SVN 5): Intel's algorithm finds no level.
	 */
	expect(r, CVM_STATUS_INVALID, "no TCB level of Intel's TCB Info matches");
	assert_int_equal(cvm_result_n_errors(r), 1);
	assert_true(json_has(r, "\"qe_tcb_status\": \"UpToDate\""));
	assert_true(json_has(r, "\"tcb_evaluation_data_number\": 15"));
	assert_true(json_has(r, "\"pck_crl_next_update\": \"2023-07-08T07:27:52Z\""));
	cvm_result_free(r);
	/* a month later the TCB Info and QE Identity are stale */
	cvm_set_verify_time(ctx, 1690848000);	/* 2023-08-01 */
	assert_int_equal(cvm_verify(ctx, q, len, CVM_FORMAT_UNKNOWN, NULL, &r), 0);
	expect(r, CVM_STATUS_UNVERIFIABLE, "TCB Info (tcbinfo.json) is stale");
	cvm_result_free(r);
	/* the same quote against the collateral, one byte of tcbInfo changed */
	{
		char src[4200], cp[4200];
		uint8_t *buf;
		size_t bl;
		const char *files[] = { "tcbinfo-chain.pem", "qeidentity.json", "qeidentity-chain.pem",
					"pckcrl.der", "rootcrl.der" };
		char tdir[4200];

		snprintf(tdir, sizeof(tdir), "%s/%d-real-tampered", tmp_dir(), (int)getpid());
		mkdir(tdir, 0755);
		for (size_t i = 0; i < 5; i++) {
			snprintf(src, sizeof(src), "%s/%s", dir, files[i]);
			snprintf(cp, sizeof(cp), "real-tampered/%s", files[i]);
			buf = load(src, &bl);
			write_tmp(cp, buf, bl);
			free(buf);
		}
		snprintf(src, sizeof(src), "%s/tcbinfo.json", dir);
		t = load(src, &bl);
		{
			char *p = strstr((char *)t, "\"pcesvn\":11");

			assert_non_null(p);
			p[strlen("\"pcesvn\":1")] = '0';	/* 11 -> 10 */
		}
		write_tmp("real-tampered/tcbinfo.json", t, bl);
		free(t);
		assert_int_equal(cvm_set_tdx_collateral(ctx, tdir), 0);
		cvm_set_verify_time(ctx, 1687219200);
		assert_int_equal(cvm_verify(ctx, q, len, CVM_FORMAT_UNKNOWN, NULL, &r), 0);
		expect(r, CVM_STATUS_INVALID, "TCB Info");
		assert_true(result_has_error(r, "signature does not verify"));
		cvm_result_free(r);
	}
	free(q);
	cvm_ctx_free(ctx);
}

/* ---- issue 19: the other policy fields ------------------------------------------------------- */

/* Verify @q under the policy @json: the status, and each of @needles in an error. */
static void tdx_fields(struct cvm_ctx *ctx, const uint8_t *q, size_t len, const char *json,
		       enum cvm_status want, const char *const *needles)
{
	struct cvm_policy *p;
	struct cvm_result *r;

	assert_int_equal(cvm_policy_new(&p), 0);
	if (cvm_policy_load_json(ctx, p, json, strlen(json)) < 0)
		fail_msg("policy did not load: %s", json);
	assert_int_equal(cvm_verify(ctx, q, len, CVM_FORMAT_UNKNOWN, p, &r), 0);
	if (cvm_result_status(r) != want)
		fail_msg("%s: status %d, expected %d (%s)", json, cvm_result_status(r), want,
			 cvm_result_error(r, 0));
	for (size_t i = 0; needles && needles[i]; i++)
		if (!result_has_error(r, needles[i]))
			fail_msg("%s: no error with \"%s\"; first: %s", json, needles[i], cvm_result_error(r, 0));
	cvm_result_free(r);
	cvm_policy_free(p);
}

#define TDX_OK(ctx, q, len, json) tdx_fields(ctx, q, len, json, CVM_STATUS_OK, NULL)
#define TDX_FAILS(ctx, q, len, json, ...) \
	tdx_fields(ctx, q, len, json, CVM_STATUS_POLICY, (const char *const[]){ __VA_ARGS__, NULL })

static void hex_of(const uint8_t *b, size_t n, char *out)
{
	cvm_hex_encode(b, n, out);
}

static void test_policy_fields_forged(void **state)
{
	struct forge_intel *f = forge_intel();
	struct forge_quote_opts o = { .version = 4, .td_attributes = 0x10000000, .xfam = 0x2e7,
				      .qe_isvsvn = 8, .header_pce_svn = 13 };
	struct cvm_ctx *ctx = quiet_ctx();
	uint8_t seam[48];
	char json[1024], other[97];
	uint8_t *q;
	size_t len;

	(void)state;
	memset(seam, 0x5e, 48);
	o.mrseam = seam;
	memset(o.mrsignerseam, 0x51, 48);
	memset(o.mrconfigid, 0xc0, 48);
	memset(o.mrowner, 0x0e, 48);
	memset(o.mrownerconfig, 0x0c, 48);
	memset(other, 'a', 96), other[96] = 0;
	assert_int_equal(cvm_set_intel_root(ctx, f->root_path), 0);
	for (int v = 4; v <= 5; v++) {
		o.version = v;
		o.body_type = 3;
		q = forge_quote(f, &o, &len);
		TDX_OK(ctx, q, len, "{}");
		snprintf(json, sizeof(json),
			 "{\"tdx\":{\"mrseam\":[\"%s\",\"%s\"],\"mrsignerseam\":\"%s\",\"mrconfigid\":\"%s\","
			 "\"mrowner\":[\"%s\"],\"mrownerconfig\":\"%s\",\"td_attributes\":\"0x10000000/0xf0000001\","
			 "\"xfam\":\"0x2e7/0xffffffff\",\"min_qe_svn\":8,\"min_pce_svn\":13}}", other,
			 "5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e",
			 "515151515151515151515151515151515151515151515151515151515151515151515151515151515151515151515151",
			 "c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0",
			 "0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e",
			 "0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c");
		TDX_OK(ctx, q, len, json);
		/* each, alone, with another value */
		{
			static const char *const keys[] = { "mrseam", "mrsignerseam", "mrconfigid", "mrowner",
							    "mrownerconfig" };
			static const char *const names[] = { "MRSEAM 5e5e", "MRSIGNERSEAM 5151", "MRCONFIGID c0c0",
							     "MROWNER 0e0e", "MROWNERCONFIG 0c0c" };

			for (size_t i = 0; i < 5; i++) {
				snprintf(json, sizeof(json), "{\"tdx\":{\"%s\":\"%s\"}}", keys[i], other);
				TDX_FAILS(ctx, q, len, json, names[i], "differs from the expected value aaaa");
			}
		}
		TDX_FAILS(ctx, q, len, "{\"tdx\":{\"td_attributes\":\"0x0/0x10000000\"}}",
			  "TD_ATTRIBUTES 0x10000000: SEPT_VE_DISABLE (bit 28) is 1, expected 0 (required 0x0 under mask 0x10000000)");
		TDX_FAILS(ctx, q, len, "{\"tdx\":{\"td_attributes\":{\"pks\":true,\"perfmon\":false}}}",
			  "PKS (bit 30) is 0, expected 1");
		TDX_FAILS(ctx, q, len, "{\"tdx\":{\"xfam\":\"0x20000/0x20000\"}}",
			  "XFAM 0x2e7: bit 17 is 0, expected 1 (required 0x20000 under mask 0x20000)");
		TDX_FAILS(ctx, q, len, "{\"tdx\":{\"min_qe_svn\":9}}", "QE report ISVSVN 8 is below the minimum QE SVN 9");
		TDX_FAILS(ctx, q, len, "{\"tdx\":{\"min_pce_svn\":14}}", "quote header PCE SVN 13 is below the minimum 14");
		free(q);
	}
	/* DEBUG: its own named check, whatever the masks say */
	o.td_attributes |= 1;
	q = forge_quote(f, &o, &len);
	TDX_FAILS(ctx, q, len, "{\"tdx\":{\"td_attributes\":\"0x1/0x1\"}}", "TD_ATTRIBUTES.DEBUG");
	TDX_OK(ctx, q, len, "{\"allow_debug\":true,\"tdx\":{\"td_attributes\":\"0x1/0x1\"}}");
	free(q);
	cvm_ctx_free(ctx);
}

/*
 * The real quotes, each field read at the offsets of Intel's DCAP quote
 * format (v4: body at 48; v5: body at 54 after type and size), not by the
 * parser: MRSEAM body+16, TD_ATTRIBUTES body+120, XFAM body+128; the QE
 * report (384 B) opens the certification data, 134 bytes into the
 * signature data that follows the body and its 4-byte length; ISVSVN at 258.
 */
static void test_policy_fields_real(void **state)
{
	static const struct {
		const char *file;
		size_t body, body_len;
	} real[] = {
		{ "tdx/gtg-v4-quote-spr-e4.bin", 48, 584 },
		{ "tdx/gtg-v5-quote.bin", 54, 648 },
	};
	struct cvm_ctx *ctx = quiet_ctx();

	(void)state;
	for (size_t i = 0; i < sizeof(real) / sizeof(real[0]); i++) {
		size_t len, b = real[i].body;
		uint8_t *q = load_td(real[i].file, &len);
		size_t qe = b + real[i].body_len + 4 + 134;
		uint64_t attr = 0, xfam = 0;
		unsigned isvsvn = q[qe + 258] | q[qe + 259] << 8;
		char mrseam[97], json[1024], want[160];

		for (int k = 7; k >= 0; k--) {
			attr = attr << 8 | q[b + 120 + k];
			xfam = xfam << 8 | q[b + 128 + k];
		}
		hex_of(q + b + 16, 48, mrseam);
		snprintf(json, sizeof(json),
			 "{\"tdx\":{\"mrseam\":\"%s\",\"td_attributes\":\"0x%llx/0xffffffffffffffff\","
			 "\"xfam\":\"0x%llx/0xffffffffffffffff\",\"min_qe_svn\":%u,\"min_pce_svn\":0}}", mrseam,
			 (unsigned long long)attr, (unsigned long long)xfam, isvsvn);
		TDX_OK(ctx, q, len, json);
		/* one more than it has, a changed MRSEAM, XFAM bit 0 (x87, always set) clear */
		snprintf(json, sizeof(json), "{\"tdx\":{\"min_qe_svn\":%u}}", isvsvn + 1);
		snprintf(want, sizeof(want), "QE report ISVSVN %u is below the minimum QE SVN %u", isvsvn, isvsvn + 1);
		TDX_FAILS(ctx, q, len, json, want);
		mrseam[0] = mrseam[0] == '0' ? '1' : '0';
		snprintf(json, sizeof(json), "{\"tdx\":{\"mrseam\":\"%s\"}}", mrseam);
		snprintf(want, sizeof(want), "differs from the expected value %s", mrseam);
		TDX_FAILS(ctx, q, len, json, want);
		snprintf(want, sizeof(want), "XFAM 0x%llx: bit 0 is 1, expected 0", (unsigned long long)xfam);
		TDX_FAILS(ctx, q, len, "{\"tdx\":{\"xfam\":\"0x0/0x1\"}}", want);
		/* real quotes carry 0 in the header's PCE SVN (evidence-formats.md) */
		TDX_FAILS(ctx, q, len, "{\"tdx\":{\"min_pce_svn\":1}}", "quote header PCE SVN 0 is below the minimum 1");
		free(q);
	}
	cvm_ctx_free(ctx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_real_quotes_ok),
		cmocka_unit_test(test_flipped_bits),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_other_root_and_time),
		cmocka_unit_test(test_policy_on_quote),
		cmocka_unit_test(test_policy_fields_forged),
		cmocka_unit_test(test_policy_fields_real),
		cmocka_unit_test(test_coll_up_to_date),
		cmocka_unit_test(test_coll_out_of_date),
		cmocka_unit_test(test_coll_module_and_qe),
		cmocka_unit_test(test_coll_revoked),
		cmocka_unit_test(test_coll_forged),
		cmocka_unit_test(test_coll_stale),
		cmocka_unit_test(test_coll_eval_num),
		cmocka_unit_test(test_coll_missing_and_cache),
		cmocka_unit_test(test_coll_bundle),
		cmocka_unit_test(test_coll_real),
	};

	return cmocka_run_group_tests_name("verify-tdx", tests, NULL, NULL);
}
