// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Parsers on the real evidence in ../shared/testdata: the field values are
 * the ones the sources of that evidence document (shared/testdata/README.md,
 * shared/reference/evidence-formats.md section 5), and every truncation of
 * every sample must be refused or parsed without reading past its end
 * (run under ASan by `make asan-check`).
 */
#include <stdlib.h>
#include <string.h>

#include <cvmattest/evidence.h>

#include "testutil.h"

static void test_snp_gsg(void **state)
{
	struct cvm_snp_report s;
	size_t len;
	uint8_t *b = load_td("snp/gsg-milan-v2-report.bin", &len);
	static const uint8_t rd[8] = { 1, 2, 3, 4, 5, 0, 0, 0 };

	(void)state;
	assert_int_equal(len, 1184);
	assert_int_equal(cvm_snp_report_parse(b, len, &s), 0);
	assert_int_equal(s.version, 2);
	assert_int_equal(s.policy, 0xB0000);		/* DEBUG=1 */
	assert_true(s.policy & SNP_POLICY_DEBUG);
	assert_memory_equal(s.report_data, rd, 8);
	assert_true(s.report_data[5] == 0 && s.report_data[63] == 0);
	/* REPORTED_TCB bl2 snp5 ucode0x44 (legacy layout: v2 carries no CPUID) */
	assert_int_equal(s.product, CVM_SNP_PRODUCT_UNKNOWN);
	assert_int_equal(s.reported_tcb.bootloader, 2);
	assert_int_equal(s.reported_tcb.snp, 5);
	assert_int_equal(s.reported_tcb.microcode, 0x44);
	assert_int_equal(s.reported_tcb.raw, 0x4405000000000002ULL);
	assert_int_equal(s.signature_algo, 1);
	assert_int_equal(s.signing_key, SNP_SIGNING_KEY_VCEK);
	assert_int_equal(s.mbz_violation, 0);
	free(b);
}

static void test_snp_virtee(void **state)
{
	struct cvm_snp_report s;
	size_t len;
	uint8_t *b = load_td("snp/virtee-milan-v2-report.hex", &len);

	(void)state;
	assert_int_equal(len, 1184);
	assert_int_equal(cvm_snp_report_parse(b, len, &s), 0);
	assert_int_equal(s.version, 2);
	assert_int_equal(s.policy, 0x30000);
	assert_int_equal(s.reported_tcb.bootloader, 3);
	assert_int_equal(s.reported_tcb.snp, 8);
	assert_int_equal(s.reported_tcb.microcode, 0x73);
	/* firmware 1.52.4 */
	assert_int_equal(s.current_fw.major, 1);
	assert_int_equal(s.current_fw.minor, 52);
	assert_int_equal(s.current_fw.build, 4);
	/* no migration agent: REPORT_ID_MA all 0xFF */
	for (int i = 0; i < 32; i++)
		assert_int_equal(s.report_id_ma[i], 0xff);
	assert_int_equal(s.mbz_violation, 0);
	free(b);
}

static void test_snp_layouts(void **state)
{
	struct cvm_snp_tcb t;

	(void)state;
	/* Real Turin REPORTED_TCB 00 01 00 02 00 00 00 47: fmc 0, bl 1, tee 0, snp 2, ucode 0x47. */
	cvm_snp_tcb_decode(0x4700000002000100ULL, CVM_SNP_PRODUCT_TURIN, &t);
	assert_true(t.turin);
	assert_int_equal(t.fmc, 0);
	assert_int_equal(t.bootloader, 1);
	assert_int_equal(t.tee, 0);
	assert_int_equal(t.snp, 2);
	assert_int_equal(t.microcode, 0x47);
	/* The same bytes on Milan mean something else entirely. */
	cvm_snp_tcb_decode(0x4700000002000100ULL, CVM_SNP_PRODUCT_MILAN, &t);
	assert_false(t.turin);
	assert_int_equal(t.bootloader, 0);
	assert_int_equal(t.tee, 1);
	assert_int_equal(t.snp, 0);
	assert_int_equal(t.microcode, 0x47);
}

static void test_snp_versions_and_cpuid(void **state)
{
	uint8_t b[1184];
	struct cvm_snp_report s;
	static const struct {
		uint8_t fam, mod;
		enum cvm_snp_product p;
	} cpus[] = {
		{ 0x19, 0x01, CVM_SNP_PRODUCT_MILAN }, { 0x19, 0x11, CVM_SNP_PRODUCT_GENOA },
		{ 0x19, 0xa0, CVM_SNP_PRODUCT_GENOA }, { 0x1a, 0x02, CVM_SNP_PRODUCT_TURIN },
		{ 0x1a, 0x50, CVM_SNP_PRODUCT_UNKNOWN }, { 0x17, 0x31, CVM_SNP_PRODUCT_UNKNOWN },
	};

	(void)state;
	memset(b, 0, sizeof(b));
	b[SNP_R_POLICY + 2] = 0x03;	/* POLICY 0x30000 */
	b[SNP_R_SIGNATURE_ALGO] = 1;
	for (uint32_t v = 0; v < 10; v++) {
		b[0] = (uint8_t)v;
		assert_int_equal(cvm_snp_report_parse(b, sizeof(b), &s) == 0, v >= 2 && v <= 5);
	}
	b[0] = 3;
	for (size_t i = 0; i < sizeof(cpus) / sizeof(cpus[0]); i++) {
		b[SNP_R_CPUID_FAM_ID] = cpus[i].fam;
		b[SNP_R_CPUID_MOD_ID] = cpus[i].mod;
		assert_int_equal(cvm_snp_report_parse(b, sizeof(b), &s), 0);
		assert_int_equal(s.product, cpus[i].p);
	}
	/* v2: the CPUID bytes are reserved and flagged, not read. */
	b[0] = 2;
	assert_int_equal(cvm_snp_report_parse(b, sizeof(b), &s), 0);
	assert_int_equal(s.product, CVM_SNP_PRODUCT_UNKNOWN);
	assert_int_equal(s.mbz_violation, SNP_R_CPUID_FAM_ID + 1);
	/* v5 mitigation vectors */
	b[0] = 5;
	b[SNP_R_CPUID_FAM_ID] = 0x19;
	b[SNP_R_CPUID_MOD_ID] = 0x01;
	b[SNP_R_LAUNCH_MIT_VECTOR] = 0x0b;
	b[SNP_R_CURRENT_MIT_VECTOR] = 0x03;
	assert_int_equal(cvm_snp_report_parse(b, sizeof(b), &s), 0);
	assert_int_equal(s.launch_mit_vector, 0x0b);
	assert_int_equal(s.current_mit_vector, 0x03);
	assert_int_equal(s.mbz_violation, 0);
	/* ...which are reserved before v5 */
	b[0] = 3;
	assert_int_equal(cvm_snp_report_parse(b, sizeof(b), &s), 0);
	assert_int_equal(s.mbz_violation, SNP_R_LAUNCH_MIT_VECTOR + 1);
	/* POLICY bit 17 must be one */
	b[0] = 5;
	b[SNP_R_POLICY + 2] = 0x01;
	assert_int_equal(cvm_snp_report_parse(b, sizeof(b), &s), 0);
	assert_int_equal(s.mbz_violation, SNP_R_POLICY + 1);
}

static void test_snp_truncated(void **state)
{
	struct cvm_snp_report s;
	size_t len;
	uint8_t *b = load_td("snp/gsg-milan-v2-report.bin", &len);

	(void)state;
	for (size_t n = 0; n < len; n++) {
		/* a fresh allocation of exactly n bytes, so ASan sees any overread */
		uint8_t *c = malloc(n ? n : 1);

		memcpy(c, b, n);
		assert_int_not_equal(cvm_snp_report_parse(c, n, &s), 0);
		free(c);
	}
	free(b);
}

static void test_cert_table(void **state)
{
	static const uint8_t vcek_guid[16] = SNP_GUID_VCEK, ark_guid[16] = SNP_GUID_ARK;
	struct cvm_snp_cert_table t;
	uint8_t buf[4096] = { 0 };

	(void)state;
	/* empty buffer: no certificates, allowed */
	assert_int_equal(cvm_snp_cert_table_parse(buf, 0, &t), 0);
	assert_int_equal(t.n_entries, 0);

	memset(buf, 0, sizeof(buf));
	memcpy(buf, vcek_guid, 16);
	buf[16] = 72;			/* offset = 3 * 24 */
	buf[20] = 100;			/* length */
	memcpy(buf + 24, ark_guid, 16);
	buf[24 + 16] = 172;
	buf[24 + 20] = 50;
	assert_int_equal(cvm_snp_cert_table_parse(buf, sizeof(buf), &t), 0);
	assert_int_equal(t.n_entries, 2);
	assert_int_equal(t.header_len, 72);
	assert_int_equal(t.entries[0].kind, CVM_SNP_CERT_VCEK);
	assert_int_equal(t.entries[1].kind, CVM_SNP_CERT_ARK);
	assert_ptr_equal(t.entries[1].data, buf + 172);

	/* entry pointing into the header */
	buf[16] = 24;
	assert_int_equal(cvm_snp_cert_table_parse(buf, sizeof(buf), &t), -EBADMSG);
	buf[16] = 72;
	/* length past the end */
	assert_int_equal(cvm_snp_cert_table_parse(buf, 200, &t), -EBADMSG);
	/* offset + length wrapping 32 bits */
	buf[20] = 0xff, buf[21] = 0xff, buf[22] = 0xff, buf[23] = 0xff;
	assert_int_equal(cvm_snp_cert_table_parse(buf, sizeof(buf), &t), -EBADMSG);
	buf[21] = buf[22] = buf[23] = 0;
	buf[20] = 100;
	/* no terminator before the end */
	memset(buf, 0x41, sizeof(buf));
	assert_int_equal(cvm_snp_cert_table_parse(buf, sizeof(buf), &t), -EBADMSG);
	assert_int_equal(cvm_snp_cert_table_parse(buf, 23, &t), -EBADMSG);
}

static void test_tdx_quotes(void **state)
{
	static const struct {
		const char *file;
		uint16_t version, body_type;
		uint32_t sig_len;
		size_t trailing;
		uint64_t td_attr;
		uint8_t tee_tcb_svn0;
	} q[] = {
		{ "tdx/gtg-v4-quote-spr-e4.bin", 4, 2, 4299, 39, 0x40000000, 0x03 },
		{ "tdx/gtg-v5-quote.bin", 5, 3, 4300, 0, 0x10000000, 0x0b },
		{ "tdx/gtg-v4-quote-gcp-cos.bin", 4, 2, 4299, 3065, 0x10000000, 0x04 },
	};
	static const uint8_t intel[16] = TDX_QE_VENDOR_ID_INTEL;

	(void)state;
	for (size_t i = 0; i < sizeof(q) / sizeof(q[0]); i++) {
		struct cvm_tdx_quote t;
		size_t len;
		uint8_t *b = load_td(q[i].file, &len);

		assert_int_equal(cvm_tdx_quote_parse(b, len, &t), 0);
		assert_int_equal(t.version, q[i].version);
		assert_int_equal(t.att_key_type, 2);
		assert_int_equal(t.tee_type, 0x81);
		assert_memory_equal(t.qe_vendor_id, intel, 16);
		assert_int_equal(t.body_type, q[i].body_type);
		assert_int_equal(t.body.tdx15, q[i].body_type == 3);
		assert_int_equal(t.sig_data_len, q[i].sig_len);
		assert_int_equal(t.trailing_len, q[i].trailing);
		assert_int_equal(t.quote_len + t.trailing_len, len);
		assert_int_equal(t.body.td_attributes, q[i].td_attr);
		assert_int_equal(t.body.tee_tcb_svn[0], q[i].tee_tcb_svn0);
		assert_int_equal(t.body.seam_attributes, 0);
		assert_int_equal(t.cert_type, 6);
		assert_int_equal(t.pck_cert_type, 5);
		assert_int_equal(t.qe_auth_len, 32);
		assert_int_equal(t.qe_report.isvprodid, 2);	/* TD QE */
		/* signed part: header || body (632 B for v4, 702 B for v5 TDX 1.5) */
		assert_int_equal(t.signed_len, q[i].version == 4 ? 632 : 702);
		assert_true(t.pck_chain_len > 1000);
		assert_memory_equal(t.pck_chain, "-----BEGIN CERTIFICATE-----", 27);
		free(b);
	}
}

static void test_tdx_quote_truncated(void **state)
{
	const char *files[] = { "tdx/gtg-v4-quote-spr-e4.bin", "tdx/gtg-v5-quote.bin" };

	(void)state;
	for (size_t f = 0; f < 2; f++) {
		struct cvm_tdx_quote t;
		size_t len;
		uint8_t *b = load_td(files[f], &len);
		size_t quote_len;

		assert_int_equal(cvm_tdx_quote_parse(b, len, &t), 0);
		quote_len = t.quote_len;
		for (size_t n = 0; n < len; n++) {
			uint8_t *c = malloc(n ? n : 1);

			memcpy(c, b, n);
			assert_int_equal(cvm_tdx_quote_parse(c, n, &t) == 0, n >= quote_len);
			free(c);
		}
		free(b);
	}
}

static void test_tdx_quote_structure(void **state)
{
	struct cvm_tdx_quote t;
	size_t len;
	uint8_t *b = load_td("tdx/gtg-v4-quote-spr-e4.bin", &len);

	(void)state;
	/* att key type 3 (P-384) does not exist in DCAP */
	b[TDX_Q_ATT_KEY_TYPE] = 3;
	assert_int_equal(cvm_tdx_quote_parse(b, len, &t), -EBADMSG);
	b[TDX_Q_ATT_KEY_TYPE] = 2;
	/* SGX quote (TEE type 0) */
	b[TDX_Q_TEE_TYPE] = 0;
	assert_int_equal(cvm_tdx_quote_parse(b, len, &t), -EBADMSG);
	b[TDX_Q_TEE_TYPE] = 0x81;
	/* certification data type must be 6 */
	b[TDX_Q4_SIG_DATA + TDX_SD_CERT_TYPE] = 5;
	assert_int_equal(cvm_tdx_quote_parse(b, len, &t), -EBADMSG);
	b[TDX_Q4_SIG_DATA + TDX_SD_CERT_TYPE] = 6;
	/* signature data length larger than the buffer */
	b[TDX_Q4_SIG_DATA_LEN + 3] = 0x10;
	assert_int_equal(cvm_tdx_quote_parse(b, len, &t), -EBADMSG);
	b[TDX_Q4_SIG_DATA_LEN + 3] = 0;
	/* QE auth size that runs past the certification data */
	b[TDX_Q4_SIG_DATA + TDX_SD_CERT_DATA + TDX_QE_AUTH_SIZE + 1] = 0xff;
	assert_int_equal(cvm_tdx_quote_parse(b, len, &t), -EBADMSG);
	b[TDX_Q4_SIG_DATA + TDX_SD_CERT_DATA + TDX_QE_AUTH_SIZE + 1] = 0;
	assert_int_equal(cvm_tdx_quote_parse(b, len, &t), 0);
	free(b);

	/* v5: body type and size must agree */
	b = load_td("tdx/gtg-v5-quote.bin", &len);
	b[TDX_Q5_BODY_TYPE] = 2;
	assert_int_equal(cvm_tdx_quote_parse(b, len, &t), -EBADMSG);
	b[TDX_Q5_BODY_TYPE] = 1;	/* SGX enclave body */
	assert_int_equal(cvm_tdx_quote_parse(b, len, &t), -EBADMSG);
	free(b);
}

static void test_hcl(void **state)
{
	static const struct {
		const char *file;
		uint32_t version, report_size, report_type, var_size;
		enum cvm_format hw;
		bool ek, user_data;
	} h[] = {
		{ "azure/kinvolk-hcl-report-snp.bin", 1, 1819, 2, 583, CVM_FORMAT_SNP_REPORT, false, false },
		{ "azure/kinvolk-hcl-report-tdx.bin", 2, 2438, 4, 1202, CVM_FORMAT_TDX_TDREPORT, true, true },
	};

	(void)state;
	for (size_t i = 0; i < 2; i++) {
		struct cvm_hcl_report r;
		struct cvm_hcl_claims c;
		size_t len;
		uint8_t *b = load_td(h[i].file, &len);

		assert_int_equal(cvm_hcl_report_parse(b, len, &r), 0);
		assert_int_equal(r.version, h[i].version);
		assert_int_equal(r.report_size, h[i].report_size);
		assert_int_equal(r.request_type, HCL_REQUEST_AK_CERT);
		assert_int_equal(r.report_type, h[i].report_type);
		assert_int_equal(r.hash_type, HCL_HASH_SHA256);
		assert_int_equal(r.variable_size, h[i].var_size);
		assert_int_equal(r.data_size, 20 + h[i].var_size);
		assert_int_equal(r.hw_format, h[i].hw);
		assert_ptr_equal(r.hw_report, b + 32);
		assert_int_equal(r.variable_data[0], '{');
		assert_int_equal(cvm_hcl_claims_parse(r.variable_data, r.variable_size, &c), 0);
		assert_non_null(c.ak_n);
		assert_string_equal(c.ak_e, "AQAB");
		assert_int_equal(c.ek_n != NULL, h[i].ek);
		assert_int_equal(c.has_user_data, h[i].user_data);
		assert_int_equal(c.tpm_enabled, 1);
		cvm_hcl_claims_done(&c);

		for (size_t n = 0; n < len; n++) {
			uint8_t *t = malloc(n ? n : 1);

			memcpy(t, b, n);
			/* the claims end inside the buffer; anything shorter must be refused */
			assert_int_equal(cvm_hcl_report_parse(t, n, &r) == 0,
					 n >= HCL_RT_VARIABLE_DATA + h[i].var_size);
			free(t);
		}
		free(b);
	}
}

static void test_hcl_claims_shapes(void **state)
{
	struct cvm_hcl_claims c;
	const char *bad[] = {
		"[]", "{\"keys\":{}}", "{\"keys\":[{\"kid\":1}]}", "{\"user-data\":\"00\"}",
		"{\"user-data\":5}", "{\"vm-configuration\":[]}", "{\"a\":1,\"a\":2}",
		"{\"keys\":[{\"kid\":\"HCLAkPub\",\"n\":\"x\"},{\"kid\":\"HCLAkPub\",\"n\":\"y\"}]}",
		"not json",
	};
	char ok[300];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(cvm_hcl_claims_parse((const uint8_t *)bad[i], strlen(bad[i]), &c), -EBADMSG);
	snprintf(ok, sizeof(ok), "{\"user-data\":\"%0128d\",\"vm-configuration\":{\"secure-boot\":false}}", 7);
	assert_int_equal(cvm_hcl_claims_parse((const uint8_t *)ok, strlen(ok), &c), 0);
	assert_true(c.has_user_data);
	assert_int_equal(c.user_data[63], 0x07);
	assert_int_equal(c.secure_boot, 0);
	assert_int_equal(c.tpm_enabled, -1);
	cvm_hcl_claims_done(&c);
}

static void test_tdreport_in_hcl(void **state)
{
	struct cvm_tdx_tdreport t;
	size_t len;
	uint8_t *b = load_td("azure/kinvolk-hcl-report-tdx.bin", &len);

	(void)state;
	assert_int_equal(cvm_tdx_tdreport_parse(b + 32, 1024, &t), 0);
	assert_int_equal(t.report_type, 0x81);
	assert_int_equal(t.report_version, 0);
	assert_int_equal(t.tee_tcb_valid, 0x301FF);
	assert_int_equal(t.td_attributes, 0);
	assert_int_equal(cvm_tdx_tdreport_parse(b + 32, 1023, &t), -EBADMSG);
	b[32] = 0x80;
	assert_int_equal(cvm_tdx_tdreport_parse(b + 32, 1024, &t), -EBADMSG);
	free(b);
}

static void test_detect(void **state)
{
	static const struct {
		const char *file;
		enum cvm_format f;
	} d[] = {
		{ "snp/gsg-milan-v2-report.bin", CVM_FORMAT_SNP_REPORT },
		{ "snp/virtee-milan-v2-report.hex", CVM_FORMAT_SNP_REPORT },
		{ "tdx/gtg-v4-quote-spr-e4.bin", CVM_FORMAT_TDX_QUOTE },
		{ "tdx/gtg-v5-quote.bin", CVM_FORMAT_TDX_QUOTE },
		{ "azure/kinvolk-hcl-report-snp.bin", CVM_FORMAT_AZURE_HCL },
		{ "azure/kinvolk-hcl-report-tdx.bin", CVM_FORMAT_AZURE_HCL },
	};
	enum cvm_format f;

	(void)state;
	for (size_t i = 0; i < sizeof(d) / sizeof(d[0]); i++) {
		size_t len;
		uint8_t *b = load_td(d[i].file, &len);

		assert_int_equal(cvm_evidence_detect(b, len, &f), 0);
		assert_int_equal(f, d[i].f);
		free(b);
	}
	{
		size_t len;
		uint8_t *b = load_td("azure/kinvolk-hcl-report-tdx.bin", &len);

		assert_int_equal(cvm_evidence_detect(b + 32, 1024, &f), 0);
		assert_int_equal(f, CVM_FORMAT_TDX_TDREPORT);
		free(b);
	}
	/* A v4/v5 SNP report with GUEST_SVN 0 begins like "04 00 00 00 00 00 00 00": not a quote. */
	{
		uint8_t r[1184] = { 5 };

		assert_int_equal(cvm_evidence_detect(r, sizeof(r), &f), 0);
		assert_int_equal(f, CVM_FORMAT_SNP_REPORT);
		r[0] = 4;
		assert_int_equal(cvm_evidence_detect(r, sizeof(r), &f), 0);
		assert_int_equal(f, CVM_FORMAT_SNP_REPORT);
		/* truncated: still recognisably an SNP report, so it can be called truncated */
		assert_int_equal(cvm_evidence_detect(r, 100, &f), 0);
		assert_int_equal(f, CVM_FORMAT_SNP_REPORT);
	}
	assert_int_equal(cvm_evidence_detect((const uint8_t *)"", 0, &f), -EBADMSG);
	assert_int_equal(cvm_format_from_name("tdx-quote", &f), 0);
	assert_int_equal(f, CVM_FORMAT_TDX_QUOTE);
	assert_string_equal(cvm_format_name(CVM_FORMAT_AZURE_HCL), "azure-hcl");
	assert_int_equal(cvm_format_from_name("nope", &f), -EINVAL);
}

static void test_hex(void **state)
{
	uint8_t *b;
	size_t n;
	char out[9];

	(void)state;
	assert_int_equal(cvm_hex_decode("0aFf 10\n", 8, &b, &n), 0);
	assert_int_equal(n, 3);
	assert_int_equal(b[0], 0x0a);
	assert_int_equal(b[1], 0xff);
	cvm_hex_encode(b, 3, out);
	assert_string_equal(out, "0aff10");
	free(b);
	assert_int_equal(cvm_hex_decode("abc", 3, &b, &n), -EINVAL);
	assert_int_equal(cvm_hex_decode("zz", 2, &b, &n), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_snp_gsg),
		cmocka_unit_test(test_snp_virtee),
		cmocka_unit_test(test_snp_layouts),
		cmocka_unit_test(test_snp_versions_and_cpuid),
		cmocka_unit_test(test_snp_truncated),
		cmocka_unit_test(test_cert_table),
		cmocka_unit_test(test_tdx_quotes),
		cmocka_unit_test(test_tdx_quote_truncated),
		cmocka_unit_test(test_tdx_quote_structure),
		cmocka_unit_test(test_hcl),
		cmocka_unit_test(test_hcl_claims_shapes),
		cmocka_unit_test(test_tdreport_in_hcl),
		cmocka_unit_test(test_detect),
		cmocka_unit_test(test_hex),
	};

	return cmocka_run_group_tests_name("parse", tests, NULL, NULL);
}
