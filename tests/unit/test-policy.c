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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_json_rejects),
		cmocka_unit_test(test_min_tcb_parse),
		cmocka_unit_test(test_snp_requirements),
		cmocka_unit_test(test_padded_report_data),
		cmocka_unit_test(test_tdx_requirements),
	};

	return cmocka_run_group_tests_name("policy", tests, NULL, NULL);
}
