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

/* ---- an Azure TDX HCL report with the TD quote of its TDREPORT ------------------------ */

static const char tdx_claims[] =
	"{\"keys\":[{\"kid\":\"HCLAkPub\",\"key_ops\":[\"sign\"],\"kty\":\"RSA\",\"e\":\"AQAB\","
	"\"n\":\"sgeoFQ\"}],\"vm-configuration\":{\"console-enabled\":false,\"secure-boot\":true,"
	"\"tpm-enabled\":true,\"tpm-persisted\":true,\"vmUniqueId\":\"00000000-0001\"},"
	"\"user-data\":\"0a0b0c0000000000000000000000000000000000000000000000000000000000"
	"0000000000000000000000000000000000000000000000000000000000000000\"}";

static void tdx_opts(struct forge_quote_opts *o, int version)
{
	*o = (struct forge_quote_opts){ .version = version, .body_type = version == 5 ? 3 : 0,
					.tee_tcb_svn = { 3, 0, 5 }, .td_attributes = 0x10000000 };
	memset(o->mrtd, 0x3d, 48);
	for (int i = 0; i < 4; i++)
		memset(o->rtmr[i], 0x40 + i, 48);
	memset(o->mrsignerseam, 0x5e, 48);
	memset(o->mrconfigid, 0xc0, 48);
	memset(o->mrowner, 0x0e, 48);
	memset(o->mrownerconfig, 0x0c, 48);
}

static struct cvm_result *verify_with_quote(struct cvm_ctx *ctx, const uint8_t *ev, size_t len,
					    const uint8_t *q, size_t qlen, const struct cvm_policy *p)
{
	struct cvm_verify_extra x = { .td_quote = q, .td_quote_len = qlen };
	struct cvm_result *r;

	assert_int_equal(cvm_verify_ex(ctx, ev, len, CVM_FORMAT_UNKNOWN, p, &x, &r), 0);
	return r;
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

/* The result's hcl.td_quote, as "verified/matches" ("true/false"...), or "absent". */
static void expect_td_quote_json(const struct cvm_result *r, const char *want)
{
	json_t *root, *tq;
	json_error_t err;
	char *j, got[32] = "absent";

	assert_int_equal(cvm_result_to_json(r, &j), 0);
	root = json_loads(j, 0, &err);
	assert_non_null(root);
	tq = json_object_get(json_object_get(root, "hcl"), "td_quote");
	if (tq)
		snprintf(got, sizeof(got), "%s/%s",
			 json_is_true(json_object_get(tq, "verified")) ? "true" : "false",
			 json_is_true(json_object_get(tq, "matches_tdreport")) ? "true" : "false");
	if (strcmp(got, want) != 0)
		fail_msg("td_quote %s, expected %s:\n%s", got, want, j);
	json_decref(root);
	free(j);
}

static void test_hcl_tdx_quote_verifies(void **state)
{
	struct forge_intel *f = forge_intel();
	struct cvm_ctx *ctx = quiet_ctx();
	struct forge_quote_opts o;
	struct cvm_policy *p;
	struct cvm_result *r;
	uint8_t *hcl, *q, want[3] = { 0x0a, 0x0b, 0x0c }, m[48];
	size_t len, qlen;

	(void)state;
	for (int version = 4; version <= 5; version++) {
		tdx_opts(&o, version);
		hcl = forge_hcl_tdx(tdx_claims, &o, &len);
		q = forge_quote(f, &o, &qlen);

		/* the test root not trusted: the quote's chain fails, so does the report */
		r = verify_with_quote(ctx, hcl, len, q, qlen, NULL);
		expect(r, CVM_STATUS_INVALID, "PCK certificate chain");
		expect_td_quote_json(r, "false/true");
		cvm_result_free(r);

		assert_int_equal(cvm_set_intel_root(ctx, f->root_path), 0);
		/* alone, still what a TDREPORT can be */
		assert_int_equal(verify_status(ctx, hcl, len, NULL), CVM_STATUS_UNVERIFIABLE);
		r = verify_with_quote(ctx, hcl, len, q, qlen, NULL);
		expect(r, CVM_STATUS_OK, NULL);
		assert_true(cvm_result_verified(r));
		assert_int_equal(cvm_result_format(r), CVM_FORMAT_AZURE_HCL);
		assert_string_equal(cvm_result_platform(r), "tdx");
		expect_td_quote_json(r, "true/true");
		assert_true(json_has(r, "\"binding_ok\": true"));
		cvm_result_free(r);

		/* the policy applies to the TD fields and the runtime claims' user-data */
		assert_int_equal(cvm_policy_new(&p), 0);
		assert_int_equal(cvm_policy_add_measurement(p, o.mrtd, 48), 0);
		assert_int_equal(cvm_policy_set_rtmr(p, 3, o.rtmr[3], 48), 0);
		assert_int_equal(cvm_policy_set_report_data(p, want, 3), 0);
		r = verify_with_quote(ctx, hcl, len, q, qlen, p);
		expect(r, CVM_STATUS_OK, NULL);
		cvm_result_free(r);
		memcpy(m, o.rtmr[3], 48);
		m[47] ^= 1;
		assert_int_equal(cvm_policy_set_rtmr(p, 3, m, 48), 0);
		r = verify_with_quote(ctx, hcl, len, q, qlen, p);
		expect(r, CVM_STATUS_POLICY, "RTMR3");
		cvm_result_free(r);
		assert_int_equal(cvm_policy_set_rtmr(p, 3, o.rtmr[3], 48), 0);
		want[2] = 0x0d;
		assert_int_equal(cvm_policy_set_report_data(p, want, 3), 0);
		r = verify_with_quote(ctx, hcl, len, q, qlen, p);
		expect(r, CVM_STATUS_POLICY, "user-data");
		cvm_result_free(r);
		want[2] = 0x0c;
		cvm_policy_free(p);

		/* a claim changed: the quote still matches the TDREPORT, the claims are not bound */
		hcl[HCL_RT_VARIABLE_DATA + 5] ^= 0x20;
		r = verify_with_quote(ctx, hcl, len, q, qlen, NULL);
		expect(r, CVM_STATUS_INVALID, "not bound");
		cvm_result_free(r);
		free(hcl);
		free(q);
		cvm_ctx_free(ctx);
		ctx = quiet_ctx();
	}
	cvm_ctx_free(ctx);
}

/* A quote of another TDREPORT: @change made to its fields before quoting. */
static void mismatch(struct cvm_ctx *ctx, const uint8_t *hcl, size_t len, const struct forge_quote_opts *o,
		     void (*change)(struct forge_quote_opts *), const char *field)
{
	struct forge_quote_opts other = *o;
	struct cvm_result *r;
	char msg[96];
	uint8_t *q;
	size_t qlen;

	change(&other);
	q = forge_quote(forge_intel(), &other, &qlen);
	r = verify_with_quote(ctx, hcl, len, q, qlen, NULL);
	snprintf(msg, sizeof(msg), "not of this TDREPORT: %s differs", field);
	expect(r, CVM_STATUS_INVALID, msg);
	assert_false(cvm_result_verified(r));
	expect_td_quote_json(r, "true/false");
	cvm_result_free(r);
	free(q);
}

static void change_mrtd(struct forge_quote_opts *o) { o->mrtd[17] ^= 1; }
static void change_rtmr2(struct forge_quote_opts *o) { o->rtmr[2][0] ^= 0x80; }
static void change_report_data(struct forge_quote_opts *o) { o->report_data[63] = 1; }
static void change_xfam(struct forge_quote_opts *o) { o->xfam = 0x61ae6; }
static void change_td_attributes(struct forge_quote_opts *o) { o->td_attributes = 0; }
static void change_svn(struct forge_quote_opts *o) { o->tee_tcb_svn[2]++; }
static void change_mrowner(struct forge_quote_opts *o) { o->mrowner[0] = 0; }

static void test_hcl_tdx_quote_mismatch(void **state)
{
	struct cvm_ctx *ctx = quiet_ctx();
	struct forge_quote_opts o;
	uint8_t *hcl;
	size_t len;

	(void)state;
	assert_int_equal(cvm_set_intel_root(ctx, forge_intel()->root_path), 0);
	tdx_opts(&o, 4);
	hcl = forge_hcl_tdx(tdx_claims, &o, &len);
	mismatch(ctx, hcl, len, &o, change_mrtd, "MRTD");
	mismatch(ctx, hcl, len, &o, change_rtmr2, "RTMR2");
	mismatch(ctx, hcl, len, &o, change_report_data, "REPORTDATA");
	mismatch(ctx, hcl, len, &o, change_xfam, "XFAM");
	mismatch(ctx, hcl, len, &o, change_td_attributes, "TD_ATTRIBUTES");
	mismatch(ctx, hcl, len, &o, change_svn, "TEE_TCB_SVN");
	mismatch(ctx, hcl, len, &o, change_mrowner, "MROWNER");
	free(hcl);
	cvm_ctx_free(ctx);
}

static void test_hcl_tdx_quote_forged(void **state)
{
	struct forge_intel *f = forge_intel();
	struct cvm_ctx *ctx = quiet_ctx();
	struct forge_quote_opts o;
	struct cvm_result *r;
	uint8_t *hcl, *q;
	size_t len, qlen, sig;

	(void)state;
	assert_int_equal(cvm_set_intel_root(ctx, f->root_path), 0);
	tdx_opts(&o, 4);
	hcl = forge_hcl_tdx(tdx_claims, &o, &len);
	q = forge_quote(f, &o, &qlen);
	sig = TDX_Q4_BODY + TDX_QUOTE_BODY_V4_LEN + 4 + TDX_SD_QUOTE_SIG;

	/* the quote's signature broken */
	q[sig + 5] ^= 0x01;
	r = verify_with_quote(ctx, hcl, len, q, qlen, NULL);
	expect(r, CVM_STATUS_INVALID, "quote signature does not verify");
	expect_td_quote_json(r, "false/true");
	cvm_result_free(r);
	q[sig + 5] ^= 0x01;
	/* its body changed after signing, to what a forged TDREPORT says */
	q[TDX_Q4_BODY + TDX_QB_MRTD] ^= 0x01;
	hcl[HCL_HW_REPORT + TDX_R_MRTD] ^= 0x01;
	r = verify_with_quote(ctx, hcl, len, q, qlen, NULL);
	expect(r, CVM_STATUS_INVALID, "quote signature does not verify");
	assert_true(result_has_error(r, "TEE_INFO_HASH"));
	cvm_result_free(r);
	q[TDX_Q4_BODY + TDX_QB_MRTD] ^= 0x01;
	hcl[HCL_HW_REPORT + TDX_R_MRTD] ^= 0x01;
	/* the QE report not binding the attestation key */
	free(q);
	{
		struct forge_quote_opts b = o;

		b.bad_binding = true;
		q = forge_quote(f, &b, &qlen);
	}
	r = verify_with_quote(ctx, hcl, len, q, qlen, NULL);
	expect(r, CVM_STATUS_INVALID, "does not bind the attestation key");
	cvm_result_free(r);
	/* truncated */
	r = verify_with_quote(ctx, hcl, len, q, 600, NULL);
	expect(r, CVM_STATUS_MALFORMED, "TD quote given does not parse");
	cvm_result_free(r);
	free(q);
	/* and unchanged, as hex text: verifies */
	q = forge_quote(f, &o, &qlen);
	{
		char *hex = malloc(2 * qlen + 2);

		assert_non_null(hex);
		cvm_hex_encode(q, qlen, hex);
		strcat(hex, "\n");
		r = verify_with_quote(ctx, hcl, len, (const uint8_t *)hex, strlen(hex), NULL);
		expect(r, CVM_STATUS_OK, NULL);
		cvm_result_free(r);
		free(hex);
	}
	free(q);
	free(hcl);
	cvm_ctx_free(ctx);
}

static void test_td_quote_wrong_evidence(void **state)
{
	struct forge_intel *f = forge_intel();
	struct cvm_ctx *ctx = quiet_ctx();
	struct forge_quote_opts o;
	struct cvm_result *r;
	uint8_t *s, *q;
	size_t len, qlen;

	(void)state;
	assert_int_equal(cvm_set_intel_root(ctx, f->root_path), 0);
	tdx_opts(&o, 4);
	q = forge_quote(f, &o, &qlen);
	s = load_td("azure/kinvolk-hcl-report-snp.bin", &len);
	r = verify_with_quote(ctx, s, len, q, qlen, NULL);
	expect(r, CVM_STATUS_MALFORMED, "not with SEV-SNP evidence");
	cvm_result_free(r);
	/* a quote with a quote */
	r = verify_with_quote(ctx, q, qlen, q, qlen, NULL);
	expect(r, CVM_STATUS_MALFORMED, "not with tdx-quote");
	cvm_result_free(r);
	/* the real TDX HCL report with a quote of another TDREPORT */
	free(s);
	s = load_td("azure/kinvolk-hcl-report-tdx.bin", &len);
	r = verify_with_quote(ctx, s, len, q, qlen, NULL);
	expect(r, CVM_STATUS_INVALID, "not of this TDREPORT");
	cvm_result_free(r);
	/* without, as before */
	assert_int_equal(verify_status(ctx, s, len, NULL), CVM_STATUS_UNVERIFIABLE);
	free(s);
	free(q);
	cvm_ctx_free(ctx);
}

/* ---- the vTPM quote, by the AK of the runtime claims ------------------------------------- */

static void test_hcl_tpm_quote(void **state)
{
	static const uint8_t nonce[] = { 'n', 'o', 'n', 'c', 'e', 1, 2, 3 };
	struct forge_intel *f = forge_intel();
	struct cvm_ctx *ctx = quiet_ctx();
	EVP_PKEY *ak = EVP_RSA_gen(2048), *other = EVP_RSA_gen(2048);
	struct forge_quote_opts o;
	struct cvm_verify_extra x = { 0 };
	struct cvm_result *r;
	uint8_t pcrs[24][32], *hcl, *q, *tq, *tq_other;
	size_t len, qlen, tqlen, tqolen;
	char *claims;

	(void)state;
	assert_non_null(ak);
	assert_non_null(other);
	for (int i = 0; i < 24; i++)
		memset(pcrs[i], i, 32);
	assert_int_equal(cvm_set_intel_root(ctx, f->root_path), 0);
	claims = forge_ak_claims(ak);
	tdx_opts(&o, 4);
	hcl = forge_hcl_tdx(claims, &o, &len);
	q = forge_quote(f, &o, &qlen);
	tq = forge_tpm_quote(ak, nonce, sizeof(nonce), pcrs, &tqlen);
	tq_other = forge_tpm_quote(other, nonce, sizeof(nonce), pcrs, &tqolen);
	x.td_quote = q;
	x.td_quote_len = qlen;
	x.tpm_quote = tq;
	x.tpm_quote_len = tqlen;
	x.nonce = nonce;
	x.nonce_len = sizeof(nonce);

	assert_int_equal(cvm_verify_ex(ctx, hcl, len, CVM_FORMAT_UNKNOWN, NULL, &x, &r), 0);
	expect(r, CVM_STATUS_OK, NULL);
	assert_true(json_has(r, "\"nonce_checked\": true"));
	cvm_result_free(r);
	/* another nonce */
	x.nonce_len--;
	assert_int_equal(cvm_verify_ex(ctx, hcl, len, CVM_FORMAT_UNKNOWN, NULL, &x, &r), 0);
	expect(r, CVM_STATUS_INVALID, "extraData is not the nonce given");
	cvm_result_free(r);
	x.nonce_len++;
	/* by another AK */
	x.tpm_quote = tq_other;
	x.tpm_quote_len = tqolen;
	assert_int_equal(cvm_verify_ex(ctx, hcl, len, CVM_FORMAT_UNKNOWN, NULL, &x, &r), 0);
	expect(r, CVM_STATUS_INVALID, "signature does not verify with the AK");
	cvm_result_free(r);
	x.tpm_quote = tq;
	x.tpm_quote_len = tqlen;
	/* a PCR value sent along changed */
	tq[tqlen - 1] ^= 1;
	assert_int_equal(cvm_verify_ex(ctx, hcl, len, CVM_FORMAT_UNKNOWN, NULL, &x, &r), 0);
	expect(r, CVM_STATUS_INVALID, "not those the TPM quote's digest covers");
	cvm_result_free(r);
	tq[tqlen - 1] ^= 1;
	/* without the TD quote the report stays unverifiable, the TPM quote checked all the same */
	x.td_quote = NULL;
	x.td_quote_len = 0;
	assert_int_equal(cvm_verify_ex(ctx, hcl, len, CVM_FORMAT_UNKNOWN, NULL, &x, &r), 0);
	expect(r, CVM_STATUS_UNVERIFIABLE, "TDREPORT");
	assert_true(json_has(r, "\"nonce_checked\": true"));
	cvm_result_free(r);
	/* claims without HCLAkPub (the simulated-claims constant's "n" is no RSA key) */
	free(hcl);
	hcl = forge_hcl_tdx(tdx_claims, &o, &len);
	assert_int_equal(cvm_verify_ex(ctx, hcl, len, CVM_FORMAT_UNKNOWN, NULL, &x, &r), 0);
	expect(r, CVM_STATUS_INVALID, "HCLAkPub is not an RSA key");
	cvm_result_free(r);
	/* not an HCL report */
	assert_int_equal(cvm_verify_ex(ctx, q, qlen, CVM_FORMAT_UNKNOWN, NULL, &x, &r), 0);
	expect(r, CVM_STATUS_MALFORMED, "a TPM quote is verified together with an Azure HCL report");
	cvm_result_free(r);
	/* not a TPM quote */
	x.tpm_quote = q;
	x.tpm_quote_len = qlen;
	assert_int_equal(cvm_verify_ex(ctx, hcl, len, CVM_FORMAT_UNKNOWN, NULL, &x, &r), 0);
	expect(r, CVM_STATUS_MALFORMED, "TPM quote does not parse");
	cvm_result_free(r);
	free(claims);
	free(hcl);
	free(q);
	free(tq);
	free(tq_other);
	EVP_PKEY_free(ak);
	EVP_PKEY_free(other);
	cvm_ctx_free(ctx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_real_hcl),
		cmocka_unit_test(test_real_hcl_corrupted),
		cmocka_unit_test(test_hcl_user_data_policy),
		cmocka_unit_test(test_simulated_hcl_verifies),
		cmocka_unit_test(test_hcl_tdx_quote_verifies),
		cmocka_unit_test(test_hcl_tdx_quote_mismatch),
		cmocka_unit_test(test_hcl_tdx_quote_forged),
		cmocka_unit_test(test_td_quote_wrong_evidence),
		cmocka_unit_test(test_hcl_tpm_quote),
	};

	return cmocka_run_group_tests_name("verify-hcl", tests, NULL, NULL);
}
