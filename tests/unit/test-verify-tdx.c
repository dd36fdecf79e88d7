// SPDX-License-Identifier: LGPL-2.1-or-later
/* TDX quote verification on the real quotes (built-in Intel root) and corrupted copies. */
#include <stdlib.h>
#include <string.h>

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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_real_quotes_ok),
		cmocka_unit_test(test_flipped_bits),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_other_root_and_time),
		cmocka_unit_test(test_policy_on_quote),
	};

	return cmocka_run_group_tests_name("verify-tdx", tests, NULL, NULL);
}
