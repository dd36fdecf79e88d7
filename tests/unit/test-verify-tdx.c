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
	};

	return cmocka_run_group_tests_name("verify-tdx", tests, NULL, NULL);
}
