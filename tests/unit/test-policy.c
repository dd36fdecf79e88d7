// SPDX-License-Identifier: LGPL-2.1-or-later
/* Local policy: the JSON format, and each requirement on real and simulated reports. */
#include <stdlib.h>
#include <string.h>

#include <cvmattest/evidence.h>

#include "forge.h"
#include "testutil.h"

static enum cvm_status with_policy_json(struct cvm_ctx *ctx, const uint8_t *ev, size_t len,
					const char *json)
{
	struct cvm_policy *p;
	enum cvm_status s;

	assert_int_equal(cvm_policy_new(&p), 0);
	if (cvm_policy_load_json(ctx, p, json, strlen(json)) < 0)
		fail_msg("policy did not load: %s", json);
	s = verify_status(ctx, ev, len, p);
	cvm_policy_free(p);
	return s;
}

static void test_json_rejects(void **state)
{
	struct cvm_ctx *ctx = quiet_ctx();
	const char *bad[] = {
		"", "[]", "{\"allow_debug\":1}", "{\"alow_debug\":true}", "{\"measurement\":\"00\"}",
		"{\"measurement\":[]}", "{\"report_data\":\"\"}", "{\"report_data\":\"zz\"}",
		"{\"snp\":{\"min_tcb\":{\"ucode\":1}}}", "{\"snp\":{\"min_tcb\":{\"microcode\":256}}}",
		"{\"snp\":{\"vmpl\":4}}", "{\"snp\":{\"vmpl\":[]}}", "{\"snp\":{\"host_data\":\"00\"}}",
		"{\"tdx\":{\"rtmr4\":\"00\"}}", "{\"tdx\":{\"min_tee_tcb_svn\":\"0001\"}}",
		"{\"allow_debug\":true,\"allow_debug\":false}", "{\"snp\":[]}",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct cvm_policy *p;

		assert_int_equal(cvm_policy_new(&p), 0);
		if (cvm_policy_load_json(ctx, p, bad[i], strlen(bad[i])) != -EINVAL)
			fail_msg("policy accepted: %s", bad[i]);
		cvm_policy_free(p);
	}
	cvm_ctx_free(ctx);
}

static void test_min_tcb_parse(void **state)
{
	struct cvm_snp_min_tcb t;

	(void)state;
	assert_int_equal(cvm_snp_min_tcb_parse("bl=3,tee=0,snp=8,ucode=115", &t), 0);
	assert_int_equal(t.bootloader, 3);
	assert_int_equal(t.tee, 0);
	assert_int_equal(t.snp, 8);
	assert_int_equal(t.microcode, 115);
	assert_int_equal(t.fmc, -1);
	assert_int_equal(cvm_snp_min_tcb_parse("fmc=0x1,ucode=0x47", &t), 0);
	assert_int_equal(t.fmc, 1);
	assert_int_equal(t.microcode, 0x47);
	assert_int_equal(t.bootloader, -1);
	assert_int_equal(cvm_snp_min_tcb_parse("bl=256", &t), -EINVAL);
	assert_int_equal(cvm_snp_min_tcb_parse("xx=1", &t), -EINVAL);
	assert_int_equal(cvm_snp_min_tcb_parse("bl", &t), -EINVAL);
	assert_int_equal(cvm_snp_min_tcb_parse("bl=", &t), -EINVAL);
}

/* The virtee report: MEASUREMENT 7a1e5c26..., TCB bl3 tee0 snp8 ucode115, VMPL 0, GUEST_SVN 0. */
static void test_snp_requirements(void **state)
{
	struct cvm_ctx *ctx = quiet_ctx();
	size_t len, vlen;
	uint8_t *rep = load_td("snp/virtee-milan-v2-report.hex", &len);
	uint8_t *vcek = load_td("snp/virtee-milan-vcek.der", &vlen);
	char json[1024], m[97], rd[129];

	(void)state;
	assert_int_equal(cvm_add_certs(ctx, vcek, vlen), 0);
	cvm_hex_encode(rep + SNP_R_MEASUREMENT, 48, m);
	cvm_hex_encode(rep + SNP_R_REPORT_DATA, 64, rd);

	snprintf(json, sizeof(json),
		 "{\"measurement\":[\"%096d\",\"%s\"],\"report_data\":\"%s\","
		 "\"snp\":{\"min_tcb\":{\"bootloader\":3,\"tee\":0,\"snp\":8,\"microcode\":115},"
		 "\"vmpl\":[0,2],\"min_guest_svn\":0,\"host_data\":\"%064d\"}}", 0, m, rd, 0);
	assert_int_equal(with_policy_json(ctx, rep, len, json), CVM_STATUS_OK);

	assert_int_equal(with_policy_json(ctx, rep, len, "{\"measurement\":\"" "00000000000000000000000000000000"
					  "0000000000000000000000000000000000000000000000000000000000000000\"}"),
			 CVM_STATUS_POLICY);
	assert_int_equal(with_policy_json(ctx, rep, len, "{\"snp\":{\"min_tcb\":{\"microcode\":116}}}"),
			 CVM_STATUS_POLICY);
	assert_int_equal(with_policy_json(ctx, rep, len, "{\"snp\":{\"min_tcb\":{\"snp\":9}}}"),
			 CVM_STATUS_POLICY);
	assert_int_equal(with_policy_json(ctx, rep, len, "{\"snp\":{\"min_tcb\":{\"bootloader\":3,\"snp\":8}}}"),
			 CVM_STATUS_OK);
	/* fmc only applies to Turin */
	assert_int_equal(with_policy_json(ctx, rep, len, "{\"snp\":{\"min_tcb\":{\"fmc\":9}}}"),
			 CVM_STATUS_OK);
	assert_int_equal(with_policy_json(ctx, rep, len, "{\"snp\":{\"vmpl\":1}}"), CVM_STATUS_POLICY);
	assert_int_equal(with_policy_json(ctx, rep, len, "{\"snp\":{\"vmpl\":0}}"), CVM_STATUS_OK);
	assert_int_equal(with_policy_json(ctx, rep, len, "{\"snp\":{\"min_guest_svn\":1}}"), CVM_STATUS_POLICY);
	/* report_data shorter than 64 bytes is zero-padded: this prefix does not match */
	rd[10] = 0;
	snprintf(json, sizeof(json), "{\"report_data\":\"%s\"}", rd);
	assert_int_equal(with_policy_json(ctx, rep, len, json), CVM_STATUS_POLICY);
	/* TDX-only keys do not concern an SNP report */
	assert_int_equal(with_policy_json(ctx, rep, len, "{\"tdx\":{\"min_tee_tcb_svn\":\"ffffffffffffffffffffffffffffffff\"}}"),
			 CVM_STATUS_OK);
	free(rep);
	free(vcek);
	cvm_ctx_free(ctx);
}

static void test_padded_report_data(void **state)
{
	struct cvm_ctx *ctx = quiet_ctx();
	size_t len, vlen;
	uint8_t *rep = load_td("snp/gsg-milan-v2-report.bin", &len);
	uint8_t *vcek = load_td("snp/gsg-milan-vcek.der", &vlen);

	(void)state;
	assert_int_equal(cvm_add_certs(ctx, vcek, vlen), 0);
	/* REPORT_DATA = 01 02 03 04 05 00... */
	assert_int_equal(with_policy_json(ctx, rep, len, "{\"allow_debug\":true,\"report_data\":\"0102030405\"}"),
			 CVM_STATUS_OK);
	/* zero-padded, then compared whole: a shorter prefix is a different value */
	assert_int_equal(with_policy_json(ctx, rep, len, "{\"allow_debug\":true,\"report_data\":\"01020304\"}"),
			 CVM_STATUS_POLICY);
	assert_int_equal(with_policy_json(ctx, rep, len, "{\"allow_debug\":true,\"report_data\":\"010203040506\"}"),
			 CVM_STATUS_POLICY);
	assert_int_equal(with_policy_json(ctx, rep, len, "{\"allow_debug\":false}"), CVM_STATUS_POLICY);
	free(rep);
	free(vcek);
	cvm_ctx_free(ctx);
}

static void test_tdx_requirements(void **state)
{
	struct forge_intel *f = forge_intel();
	struct forge_quote_opts o = { .version = 4, .td_attributes = 0x10000000 };
	struct cvm_ctx *ctx = quiet_ctx();
	char json[512];
	uint8_t *q;
	size_t len;

	(void)state;
	memset(o.mrtd, 0xaa, 48);
	memset(o.rtmr[3], 0x33, 48);
	o.tee_tcb_svn[0] = 3;
	o.tee_tcb_svn[2] = 4;
	q = forge_quote(f, &o, &len);
	assert_int_equal(cvm_set_intel_root(ctx, f->root_path), 0);
	assert_int_equal(verify_status(ctx, q, len, NULL), CVM_STATUS_OK);
	snprintf(json, sizeof(json), "{\"measurement\":\"%s\",\"tdx\":{\"min_tee_tcb_svn\":\"03000400000000000000000000000000\"}}",
		 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
	assert_int_equal(with_policy_json(ctx, q, len, json), CVM_STATUS_OK);
	assert_int_equal(with_policy_json(ctx, q, len, "{\"tdx\":{\"min_tee_tcb_svn\":\"03000500000000000000000000000000\"}}"),
			 CVM_STATUS_POLICY);
	snprintf(json, sizeof(json), "{\"tdx\":{\"rtmr3\":\"%096d\"}}", 0);
	assert_int_equal(with_policy_json(ctx, q, len, json), CVM_STATUS_POLICY);
	free(q);

	/* debug TD */
	o.td_attributes |= 1;
	q = forge_quote(f, &o, &len);
	assert_int_equal(verify_status(ctx, q, len, NULL), CVM_STATUS_POLICY);
	assert_int_equal(with_policy_json(ctx, q, len, "{\"allow_debug\":true}"), CVM_STATUS_OK);
	free(q);
	/* debug TDX module (SEAM attributes) */
	o.td_attributes &= ~1ULL;
	o.seam_attributes = 1ULL << 63;
	q = forge_quote(f, &o, &len);
	assert_int_equal(verify_status(ctx, q, len, NULL), CVM_STATUS_POLICY);
	free(q);
	cvm_ctx_free(ctx);
}

/* ---- issue 19 ----------------------------------------------------------------------------- */

/* The new keys: each malformed form refused (-EINVAL), each good form taken. */
static void test_json_fields(void **state)
{
	struct cvm_ctx *ctx = quiet_ctx();
	const char *bad[] = {
		"{\"snp\":{\"id_key_digest\":\"00\"}}", "{\"snp\":{\"id_key_digest\":[]}}",
		"{\"snp\":{\"author_key_digest\":5}}",
		"{\"snp\":{\"family_id\":\"000000000000000000000000000000000000\"}}",
		"{\"snp\":{\"image_id\":\"zz000000000000000000000000000000\"}}",
		"{\"snp\":{\"min_launch_tcb\":{\"ucode\":1}}}", "{\"snp\":{\"min_committed_tcb\":[]}}",
		"{\"snp\":{\"min_current_tcb\":{\"snp\":256}}}", "{\"snp\":{\"require_id_key\":1}}",
		"{\"snp\":{\"require_author_key\":\"yes\"}}", "{\"snp\":{\"guest_policy\":{\"debug\":true}}}",
		"{\"snp\":{\"guest_policy\":{\"smt\":1}}}", "{\"snp\":{\"guest_policy\":{\"tsme\":true}}}",
		"{\"snp\":{\"guest_policy\":{}}}", "{\"snp\":{\"guest_policy\":\"smt\"}}",
		"{\"snp\":{\"guest_policy\":{\"no-smt\":true}}}", "{\"snp\":{\"platform_info\":\"0x3/0x1\"}}",
		"{\"snp\":{\"platform_info\":\"0x1\"}}", "{\"snp\":{\"platform_info\":{\"smt_en,tsme\":true}}}",
		"{\"snp\":{\"min_policy_abi\":\"1\"}}", "{\"snp\":{\"min_policy_abi\":\"1.x\"}}",
		"{\"snp\":{\"min_policy_abi\":\"256.0\"}}", "{\"snp\":{\"min_policy_abi\":1.5}}",
		"{\"snp\":{\"min_report_version\":-1}}", "{\"tdx\":{\"mrseam\":\"00\"}}",
		"{\"tdx\":{\"mrsignerseam\":[\"00\"]}}", "{\"tdx\":{\"mrconfigid\":\"\"}}",
		"{\"tdx\":{\"td_attributes\":\"1\"}}", "{\"tdx\":{\"td_attributes\":\"0x1/\"}}",
		"{\"tdx\":{\"td_attributes\":\"/0x1\"}}", "{\"tdx\":{\"td_attributes\":\"-1/0x1\"}}",
		"{\"tdx\":{\"xfam\":{\"x87\":true}}}", "{\"tdx\":{\"xfam\":\"0x1/0x0\"}}",
		"{\"tdx\":{\"min_qe_svn\":65536}}", "{\"tdx\":{\"min_pce_svn\":\"1\"}}",
		"{\"tdx\":{\"mrseems\":\"00\"}}",
	};
	const char *good[] = {
		"{\"snp\":{\"guest_policy\":{\"smt\":false,\"SINGLE_SOCKET\":true,\"mem-aes-256-xts\":true}}}",
		"{\"snp\":{\"guest_policy\":\"0x100000/0x110000\",\"min_policy_abi\":\"1.51\"}}",
		"{\"snp\":{\"platform_info\":{\"smt_en\":false,\"tsme\":true}}}",
		"{\"tdx\":{\"td_attributes\":{\"sept_ve_disable\":true},\"xfam\":\"0x2e7/0xffffffff\"}}",
		"{\"tdx\":{\"mrowner\":\"000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000\"}}",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct cvm_policy *p;

		assert_int_equal(cvm_policy_new(&p), 0);
		if (cvm_policy_load_json(ctx, p, bad[i], strlen(bad[i])) != -EINVAL)
			fail_msg("policy accepted: %s", bad[i]);
		cvm_policy_free(p);
	}
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		struct cvm_policy *p;

		assert_int_equal(cvm_policy_new(&p), 0);
		if (cvm_policy_load_json(ctx, p, good[i], strlen(good[i])) != 0)
			fail_msg("policy refused: %s", good[i]);
		cvm_policy_free(p);
	}
	cvm_ctx_free(ctx);
}

static void test_bits_parse(void **state)
{
	uint64_t v, m;

	(void)state;
	assert_int_equal(cvm_policy_bits_parse(CVM_POLICY_SNP_PLATFORM_INFO, "no-smt,tsme", &v, &m), 0);
	assert_true(v == 0x2 && m == 0x3);
	assert_int_equal(cvm_policy_bits_parse(CVM_POLICY_SNP_PLATFORM_INFO, "!smt_en,ECC,alias-check-complete,tio", &v, &m), 0);
	assert_true(v == 0xa4 && m == 0xa5);
	/* AMD 56860 bit positions: SMT 16, MIGRATE_MA 18, SINGLE_SOCKET 20 ... PAGE_SWAP_DISABLE 25 */
	assert_int_equal(cvm_policy_bits_parse(CVM_POLICY_SNP_GUEST_POLICY,
					       "no-smt,no-migrate-ma,single-socket,no-cxl-allow,mem-aes-256-xts,"
					       "rapl-dis,ciphertext-hiding,page-swap-disable", &v, &m), 0);
	assert_true(v == 0x3d00000 && m == 0x3f50000);
	assert_int_equal(cvm_policy_bits_parse(CVM_POLICY_TDX_TD_ATTRIBUTES, "0x10000000/0xf0000001", &v, &m), 0);
	assert_true(v == 0x10000000 && m == 0xf0000001);
	assert_int_equal(cvm_policy_bits_parse(CVM_POLICY_TDX_TD_ATTRIBUTES, "sept-ve-disable,no-pks", &v, &m), 0);
	assert_true(v == 0x10000000 && m == 0x50000000);
	assert_int_equal(cvm_policy_bits_parse(CVM_POLICY_TDX_XFAM, "231/0xffff", &v, &m), 0);
	assert_true(v == 231 && m == 0xffff);
	/* malformed */
	assert_int_equal(cvm_policy_bits_parse(CVM_POLICY_SNP_GUEST_POLICY, "debug", &v, &m), -EINVAL);
	assert_int_equal(cvm_policy_bits_parse(CVM_POLICY_SNP_GUEST_POLICY, "smt,", &v, &m), -EINVAL);
	assert_int_equal(cvm_policy_bits_parse(CVM_POLICY_SNP_GUEST_POLICY, ",smt", &v, &m), -EINVAL);
	assert_int_equal(cvm_policy_bits_parse(CVM_POLICY_SNP_GUEST_POLICY, "no-", &v, &m), -EINVAL);
	assert_int_equal(cvm_policy_bits_parse(CVM_POLICY_SNP_PLATFORM_INFO, "", &v, &m), -EINVAL);
	assert_int_equal(cvm_policy_bits_parse(CVM_POLICY_TDX_XFAM, "x87", &v, &m), -EINVAL);
	assert_int_equal(cvm_policy_bits_parse(CVM_POLICY_TDX_XFAM, "0x3/0x1", &v, &m), -EINVAL);
	assert_int_equal(cvm_policy_bits_parse(CVM_POLICY_TDX_XFAM, "0x1/0x1/0x1", &v, &m), -EINVAL);
	assert_int_equal(cvm_policy_bits_parse(CVM_POLICY_TDX_XFAM, "0x1/0x10000000000000000", &v, &m), -EINVAL);
	assert_int_equal(cvm_policy_bits_parse(CVM_POLICY_BITS_COUNT, "0x1/0x1", &v, &m), -EINVAL);
	/* setters check sizes */
	{
		struct cvm_policy *p;
		uint8_t b[48] = { 0 };

		assert_int_equal(cvm_policy_new(&p), 0);
		assert_int_equal(cvm_policy_add_value(p, CVM_POLICY_SNP_FAMILY_ID, b, 48), -EINVAL);
		assert_int_equal(cvm_policy_add_value(p, CVM_POLICY_SNP_FAMILY_ID, b, 16), 0);
		assert_int_equal(cvm_policy_add_value(p, CVM_POLICY_FIELD_COUNT, b, 48), -EINVAL);
		for (int i = 0; i < 16; i++)
			assert_int_equal(cvm_policy_add_value(p, CVM_POLICY_TDX_MRSEAM, b, 48), 0);
		assert_int_equal(cvm_policy_add_value(p, CVM_POLICY_TDX_MRSEAM, b, 48), -E2BIG);
		assert_int_equal(cvm_policy_set_bits(p, CVM_POLICY_TDX_XFAM, 0x3, 0x1), -EINVAL);
		cvm_policy_free(p);
	}
}

/* HCL-TDX: a TDREPORT has the TDINFO fields, and the policy reaches them. */
static void test_fields_hcl_tdx(void **state)
{
	struct cvm_ctx *ctx = quiet_ctx();
	size_t len;
	uint8_t *h = load_td("azure/kinvolk-hcl-report-tdx.bin", &len);
	struct cvm_policy *p;
	struct cvm_result *r;
	char json[256], seam[97];

	(void)state;
	/* TDREPORT at 32 in the HCL report, MRSEAM at 0x118 in it (TDX Module ABI TDREPORT_STRUCT) */
	cvm_hex_encode(h + 32 + 0x118, 48, seam);
	seam[0] = seam[0] == 'f' ? '0' : 'f';
	snprintf(json, sizeof(json), "{\"tdx\":{\"mrseam\":\"%s\"}}", seam);
	assert_int_equal(cvm_policy_new(&p), 0);
	assert_int_equal(cvm_policy_load_json(ctx, p, json, strlen(json)), 0);
	assert_int_equal(cvm_verify(ctx, h, len, CVM_FORMAT_UNKNOWN, p, &r), 0);
	/* unverifiable by itself, and the policy still says what differs */
	assert_int_equal(cvm_result_status(r), CVM_STATUS_UNVERIFIABLE);
	assert_true(result_has_error(r, "MRSEAM "));
	assert_true(result_has_error(r, seam));
	cvm_result_free(r);
	cvm_policy_free(p);
	free(h);
	cvm_ctx_free(ctx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_json_rejects),
		cmocka_unit_test(test_min_tcb_parse),
		cmocka_unit_test(test_snp_requirements),
		cmocka_unit_test(test_padded_report_data),
		cmocka_unit_test(test_tdx_requirements),
		cmocka_unit_test(test_json_fields),
		cmocka_unit_test(test_bits_parse),
		cmocka_unit_test(test_fields_hcl_tdx),
	};

	return cmocka_run_group_tests_name("policy", tests, NULL, NULL);
}
