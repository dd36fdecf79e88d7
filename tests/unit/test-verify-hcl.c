// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Azure HCL reports: the real ones (their VCEK is not available, so only
 * parsing and the runtime-claims binding can be checked: UNVERIFIABLE, never
 * OK) and a simulated one with a test chain, which must verify completely.
 */
#include <stdlib.h>
#include <string.h>

#include <cvmattest/evidence.h>

#include "forge.h"
#include "testutil.h"

static void test_real_hcl(void **state)
{
	const char *files[] = { "azure/kinvolk-hcl-report-snp.bin", "azure/kinvolk-hcl-report-tdx.bin" };
	struct cvm_ctx *ctx = quiet_ctx();

	(void)state;
	for (size_t i = 0; i < 2; i++) {
		struct cvm_result *r;
		char *json;
		size_t len;
		uint8_t *b = load_td(files[i], &len);

		assert_int_equal(cvm_verify(ctx, b, len, CVM_FORMAT_UNKNOWN, NULL, &r), 0);
		assert_int_equal(cvm_result_format(r), CVM_FORMAT_AZURE_HCL);
		assert_int_equal(cvm_result_status(r), CVM_STATUS_UNVERIFIABLE);
		assert_false(cvm_result_verified(r));
		assert_true(cvm_result_policy_ok(r));
		/* it says why */
		assert_true(result_has_error(r, i == 0 ? "no VCEK" : "TDREPORT"));
		assert_int_equal(cvm_result_to_json(r, &json), 0);
		assert_non_null(strstr(json, "\"binding_ok\": true"));
		free(json);
		cvm_result_free(r);
		free(b);
	}
	cvm_ctx_free(ctx);
}

static void test_real_hcl_corrupted(void **state)
{
	struct cvm_ctx *ctx = quiet_ctx();
	struct cvm_result *r;
	size_t len;
	uint8_t *b = load_td("azure/kinvolk-hcl-report-snp.bin", &len);
	uint8_t *t = load_td("azure/kinvolk-hcl-report-tdx.bin", &len);

	(void)state;
	/* a claim changed: no longer bound to REPORT_DATA */
	b[HCL_RT_VARIABLE_DATA + 20] ^= 0x01;
	assert_int_equal(cvm_verify(ctx, b, 2048, CVM_FORMAT_UNKNOWN, NULL, &r), 0);
	assert_int_equal(cvm_result_status(r), CVM_STATUS_INVALID);
	assert_true(result_has_error(r, "not bound"));
	cvm_result_free(r);
	b[HCL_RT_VARIABLE_DATA + 20] ^= 0x01;
	/* REPORT_DATA's zero half */
	b[HCL_HW_REPORT + SNP_R_REPORT_DATA + 40] = 1;
	assert_int_equal(verify_status(ctx, b, 2048, NULL), CVM_STATUS_INVALID);
	b[HCL_HW_REPORT + SNP_R_REPORT_DATA + 40] = 0;
	/* the unmeasured header: status is not covered by anything, the report stays as it was */
	b[HCL_H_STATUS] = 1;
	assert_int_equal(verify_status(ctx, b, 2048, NULL), CVM_STATUS_UNVERIFIABLE);
	/* not "HCLA" */
	b[0] = 'X';
	assert_int_equal(verify_status(ctx, b, 2048, NULL), CVM_STATUS_MALFORMED);
	b[0] = 'H';
	/* truncated inside the claims */
	assert_int_equal(verify_status(ctx, b, HCL_RT_VARIABLE_DATA + 100, NULL), CVM_STATUS_MALFORMED);

	/* TDX: TDINFO no longer matches TEE_INFO_HASH */
	t[HCL_HW_REPORT + TDX_R_MRTD] ^= 0x80;
	assert_int_equal(cvm_verify(ctx, t, len, CVM_FORMAT_UNKNOWN, NULL, &r), 0);
	assert_int_equal(cvm_result_status(r), CVM_STATUS_INVALID);
	assert_true(result_has_error(r, "TEE_INFO_HASH"));
	cvm_result_free(r);
	free(b);
	free(t);
	cvm_ctx_free(ctx);
}

static void test_hcl_user_data_policy(void **state)
{
	struct cvm_ctx *ctx = quiet_ctx();
	struct cvm_policy *p;
	uint8_t zero[64] = { 0 }, one[1] = { 1 };
	size_t len;
	uint8_t *t = load_td("azure/kinvolk-hcl-report-tdx.bin", &len);
	uint8_t *s = load_td("azure/kinvolk-hcl-report-snp.bin", &len);

	(void)state;
	assert_int_equal(cvm_policy_new(&p), 0);
	/* the TDX sample's user-data is 64 zero bytes */
	assert_int_equal(cvm_policy_set_report_data(p, zero, 64), 0);
	assert_int_equal(verify_status(ctx, t, 2600, p), CVM_STATUS_UNVERIFIABLE);
	assert_int_equal(cvm_policy_set_report_data(p, one, 1), 0);
	/* a policy failure is reported, below the unverifiable signature */
	{
		struct cvm_result *r;

		assert_int_equal(cvm_verify(ctx, t, 2600, CVM_FORMAT_UNKNOWN, p, &r), 0);
		assert_false(cvm_result_policy_ok(r));
		assert_true(result_has_error(r, "user-data"));
		cvm_result_free(r);
	}
	/* the SNP sample has no user-data claim at all */
	assert_int_equal(cvm_policy_set_report_data(p, zero, 64), 0);
	{
		struct cvm_result *r;

		assert_int_equal(cvm_verify(ctx, s, 2048, CVM_FORMAT_UNKNOWN, p, &r), 0);
		assert_false(cvm_result_policy_ok(r));
		cvm_result_free(r);
	}
	cvm_policy_free(p);
	free(t);
	free(s);
	cvm_ctx_free(ctx);
}

static void test_simulated_hcl_verifies(void **state)
{
	static const char claims[] =
		"{\"keys\":[{\"kid\":\"HCLAkPub\",\"key_ops\":[\"sign\"],\"kty\":\"RSA\",\"e\":\"AQAB\","
		"\"n\":\"sgeoFQ\"}],\"vm-configuration\":{\"console-enabled\":true,\"secure-boot\":true,"
		"\"tpm-enabled\":true,\"tpm-persisted\":true,\"vmUniqueId\":\"00000000-0000\"},"
		"\"user-data\":\"0102030000000000000000000000000000000000000000000000000000000000"
		"0000000000000000000000000000000000000000000000000000000000000000\"}";
	struct forge_amd *f = forge_amd(CVM_SNP_PRODUCT_MILAN);
	struct forge_snp_opts o = { .version = 2, .product = CVM_SNP_PRODUCT_MILAN };
	struct forge_vek_opts vo = { 0 };
	struct cvm_ctx *ctx = quiet_ctx();
	struct cvm_policy *p;
	uint8_t *hcl, *der, want[3] = { 1, 2, 3 };
	size_t len, der_len;

	(void)state;
	memset(o.chip_id, 0xc5, 64);
	o.tcb = forge_tcb(CVM_SNP_PRODUCT_MILAN, 3, 0, 8, 115, 0);
	vo.hwid = o.chip_id;
	vo.hwid_len = 64;
	cvm_snp_tcb_decode(o.tcb, CVM_SNP_PRODUCT_MILAN, &vo.tcb);
	X509_free(forge_vek(f, &vo, &der, &der_len));
	hcl = forge_hcl_snp(claims, &o, f->vek_key, &len);

	assert_int_equal(cvm_add_certs(ctx, der, der_len), 0);
	/* test chain not trusted */
	assert_int_equal(verify_status(ctx, hcl, len, NULL), CVM_STATUS_INVALID);
	assert_int_equal(cvm_set_amd_roots(ctx, f->roots_path), 0);
	assert_int_equal(verify_status(ctx, hcl, len, NULL), CVM_STATUS_OK);
	assert_int_equal(cvm_policy_new(&p), 0);
	assert_int_equal(cvm_policy_set_report_data(p, want, 3), 0);
	assert_int_equal(verify_status(ctx, hcl, len, p), CVM_STATUS_OK);
	want[2] = 4;
	assert_int_equal(cvm_policy_set_report_data(p, want, 3), 0);
	assert_int_equal(verify_status(ctx, hcl, len, p), CVM_STATUS_POLICY);
	/* a claim changed after signing */
	hcl[HCL_RT_VARIABLE_DATA + 3] ^= 0x20;
	assert_int_equal(verify_status(ctx, hcl, len, NULL), CVM_STATUS_INVALID);
	cvm_policy_free(p);
	free(hcl);
	free(der);
	cvm_ctx_free(ctx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_real_hcl),
		cmocka_unit_test(test_real_hcl_corrupted),
		cmocka_unit_test(test_hcl_user_data_policy),
		cmocka_unit_test(test_simulated_hcl_verifies),
	};

	return cmocka_run_group_tests_name("verify-hcl", tests, NULL, NULL);
}
