// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Simulated evidence, signed by test chains of the same shape as AMD's and
 * Intel's:
 *   - built in-process (forge.c), for every case that needs a deliberately
 *     wrong certificate or report, and for the Turin layout (8-byte hwID,
 *     fmcSPL, Turin TCB) for which no real report exists;
 *   - produced by the project's simulated platform (tests/sim,
 *     build/sim/cvmattest-sim), through the CLI, when it is built.
 * Test roots are only ever trusted when passed explicitly.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/pem.h>

#include <cvmattest/evidence.h>

#include "forge.h"
#include "testutil.h"

static const enum cvm_snp_product products[] = { CVM_SNP_PRODUCT_MILAN, CVM_SNP_PRODUCT_GENOA,
						  CVM_SNP_PRODUCT_TURIN };

struct snp_case {
	struct forge_amd *f;
	struct forge_snp_opts o;
	struct forge_vek_opts vo;
	uint8_t report[1184];
	uint8_t *der;
	size_t der_len;
};

/* A consistent report + VCEK for @p; callers then break one thing. */
static void snp_case_init(struct snp_case *c, enum cvm_snp_product p, uint32_t version)
{
	bool turin = p == CVM_SNP_PRODUCT_TURIN;

	memset(c, 0, sizeof(*c));
	c->f = forge_amd(p);
	c->o.version = version;
	c->o.product = p;
	for (int i = 0; i < (turin ? 8 : 64); i++)
		c->o.chip_id[i] = (uint8_t)(0x3b + 7 * i);
	c->o.tcb = turin ? forge_tcb(p, 1, 0, 2, 0x47, 0) : forge_tcb(p, 3, 0, 8, 0x73, 0);
	memset(c->o.measurement, 0x6e, 48);
	c->o.report_data[0] = 0x42;
	cvm_snp_tcb_decode(c->o.tcb, p, &c->vo.tcb);
	c->vo.hwid = c->o.chip_id;
	c->vo.hwid_len = turin ? 8 : 64;
}

static void snp_case_build(struct snp_case *c)
{
	free(c->der);
	X509_free(forge_vek(c->f, &c->vo, &c->der, &c->der_len));
	forge_snp_report(c->report, &c->o, c->f->vek_key);
}

static enum cvm_status snp_case_verify(struct snp_case *c, bool trust_test_roots, struct cvm_result **ret)
{
	struct cvm_ctx *ctx = quiet_ctx();
	struct cvm_result *r;
	enum cvm_status s;

	assert_int_equal(cvm_add_certs(ctx, c->der, c->der_len), 0);
	if (trust_test_roots)
		assert_int_equal(cvm_set_amd_roots(ctx, c->f->roots_path), 0);
	assert_int_equal(cvm_verify(ctx, c->report, sizeof(c->report), CVM_FORMAT_UNKNOWN, NULL, &r), 0);
	s = cvm_result_status(r);
	if (ret)
		*ret = r;
	else
		cvm_result_free(r);
	cvm_ctx_free(ctx);
	return s;
}

static void test_snp_products_and_versions(void **state)
{
	const uint32_t versions[] = { 2, 3, 5 };

	(void)state;
	for (size_t i = 0; i < 3; i++)
		for (size_t v = 0; v < 3; v++) {
			struct snp_case c;
			struct cvm_result *r;
			const struct cvm_snp_report *s;

			snp_case_init(&c, products[i], versions[v]);
			snp_case_build(&c);
			if (snp_case_verify(&c, true, &r) != CVM_STATUS_OK)
				fail_msg("%s v%u: %s", cvm_snp_product_name(products[i]), versions[v],
					 cvm_result_error(r, 0));
			s = cvm_result_snp_report(r);
			/* the product, and with it the TCB layout, comes out right even for v2 */
			assert_int_equal(s->product, products[i]);
			assert_int_equal(s->reported_tcb.turin, products[i] == CVM_SNP_PRODUCT_TURIN);
			assert_int_equal(s->reported_tcb.microcode, products[i] == CVM_SNP_PRODUCT_TURIN ? 0x47 : 0x73);
			assert_int_equal(s->reported_tcb.snp, products[i] == CVM_SNP_PRODUCT_TURIN ? 2 : 8);
			cvm_result_free(r);
			/* never trusted implicitly */
			assert_int_equal(snp_case_verify(&c, false, NULL), CVM_STATUS_INVALID);
			free(c.der);
		}
}

static void test_turin_specifics(void **state)
{
	struct snp_case c;
	struct cvm_result *r;

	(void)state;
	/* a 64-byte hwID on Turin */
	snp_case_init(&c, CVM_SNP_PRODUCT_TURIN, 5);
	c.vo.hwid_len = 64;
	snp_case_build(&c);
	assert_int_equal(snp_case_verify(&c, true, &r), CVM_STATUS_INVALID);
	assert_true(result_has_error(r, "Turin uses 8"));
	cvm_result_free(r);
	free(c.der);
	/* another chip's 8 bytes */
	snp_case_init(&c, CVM_SNP_PRODUCT_TURIN, 5);
	snp_case_build(&c);
	c.o.chip_id[3] ^= 1;
	forge_snp_report(c.report, &c.o, c.f->vek_key);
	assert_int_equal(snp_case_verify(&c, true, &r), CVM_STATUS_INVALID);
	assert_true(result_has_error(r, "hwID differs"));
	assert_true(result_has_error(r, "VCEK is for chip ID "));
	/* Turin: the 8-byte hwID and fmcSPL in the KDS URL */
	assert_true(result_has_error(r, "https://kdsintf.amd.com/vcek/v1/Turin/"));
	assert_true(result_has_error(r, "&fmcSPL="));
	cvm_result_free(r);
	free(c.der);
	/* bytes after the first 8 of CHIP_ID must be zero on Turin */
	snp_case_init(&c, CVM_SNP_PRODUCT_TURIN, 5);
	snp_case_build(&c);
	c.o.chip_id[20] = 1;
	forge_snp_report(c.report, &c.o, c.f->vek_key);
	assert_int_equal(snp_case_verify(&c, true, NULL), CVM_STATUS_INVALID);
	free(c.der);
	/* fmcSPL differs */
	snp_case_init(&c, CVM_SNP_PRODUCT_TURIN, 5);
	c.vo.tcb.fmc = 1;
	snp_case_build(&c);
	assert_int_equal(snp_case_verify(&c, true, &r), CVM_STATUS_INVALID);
	assert_true(result_has_error(r, "fmcSPL"));
	cvm_result_free(r);
	free(c.der);
	/* Turin TCB read with the Milan layout would have put snp=2 into tee: a v3 report says Turin by CPUID */
	snp_case_init(&c, CVM_SNP_PRODUCT_TURIN, 3);
	snp_case_build(&c);
	assert_int_equal(snp_case_verify(&c, true, &r), CVM_STATUS_OK);
	assert_int_equal(cvm_result_snp_report(r)->reported_tcb.tee, 0);
	assert_int_equal(cvm_result_snp_report(r)->reported_tcb.bootloader, 1);
	cvm_result_free(r);
	free(c.der);
}

static void test_snp_endorsement_mismatches(void **state)
{
	struct snp_case c;
	struct cvm_result *r;

	(void)state;
	/* SPLs */
	snp_case_init(&c, CVM_SNP_PRODUCT_GENOA, 5);
	c.vo.tcb.microcode++;
	snp_case_build(&c);
	assert_int_equal(snp_case_verify(&c, true, &r), CVM_STATUS_INVALID);
	assert_true(result_has_error(r, "ucodeSPL"));
	/* issue 18: which TCB it is for, which the report has, where the right one is */
	assert_true(result_has_error(r, "VCEK TCB blSPL="));
	assert_true(result_has_error(r, "does not match the report's REPORTED_TCB blSPL="));
	assert_true(result_has_error(r, "AMD KDS serves it at https://kdsintf.amd.com/vcek/v1/Genoa/"));
	cvm_result_free(r);
	free(c.der);
	/* missing SPL extension */
	snp_case_init(&c, CVM_SNP_PRODUCT_MILAN, 5);
	c.vo.no_ucode_ext = true;
	snp_case_build(&c);
	assert_int_equal(snp_case_verify(&c, true, NULL), CVM_STATUS_INVALID);
	free(c.der);
	/* hwID */
	snp_case_init(&c, CVM_SNP_PRODUCT_MILAN, 2);
	snp_case_build(&c);
	c.o.chip_id[63] ^= 0x80;
	forge_snp_report(c.report, &c.o, c.f->vek_key);
	assert_int_equal(snp_case_verify(&c, true, NULL), CVM_STATUS_INVALID);
	free(c.der);
	/* CHIP_ID masked by the host: nothing to compare, the signature still binds */
	snp_case_init(&c, CVM_SNP_PRODUCT_MILAN, 5);
	snp_case_build(&c);
	memset(c.o.chip_id, 0, 64);
	forge_snp_report(c.report, &c.o, c.f->vek_key);
	assert_int_equal(snp_case_verify(&c, true, NULL), CVM_STATUS_OK);
	free(c.der);
	/* the report's CPUID says Genoa, the VCEK is from the Milan chain */
	snp_case_init(&c, CVM_SNP_PRODUCT_MILAN, 5);
	snp_case_build(&c);
	c.o.product = CVM_SNP_PRODUCT_GENOA;
	forge_snp_report(c.report, &c.o, c.f->vek_key);
	assert_int_equal(snp_case_verify(&c, true, &r), CVM_STATUS_INVALID);
	assert_true(result_has_error(r, "Genoa CPU"));
	cvm_result_free(r);
	free(c.der);
	/* productName of another line */
	snp_case_init(&c, CVM_SNP_PRODUCT_MILAN, 5);
	c.vo.product_name = "Genoa-B1";
	snp_case_build(&c);
	assert_int_equal(snp_case_verify(&c, true, NULL), CVM_STATUS_INVALID);
	free(c.der);
	/* VCEK signed straight by the ARK, skipping the ASK */
	snp_case_init(&c, CVM_SNP_PRODUCT_MILAN, 5);
	c.vo.signer = c.f->ark_key;
	snp_case_build(&c);
	assert_int_equal(snp_case_verify(&c, true, NULL), CVM_STATUS_INVALID);
	free(c.der);
	/* PSS salt other than 48 */
	snp_case_init(&c, CVM_SNP_PRODUCT_MILAN, 5);
	c.vo.pss_salt = 20;
	snp_case_build(&c);
	assert_int_equal(snp_case_verify(&c, true, NULL), CVM_STATUS_INVALID);
	free(c.der);
	/* expired VCEK */
	snp_case_init(&c, CVM_SNP_PRODUCT_MILAN, 5);
	c.vo.not_before = time(NULL) - 10 * 86400;
	c.vo.not_after = time(NULL) - 86400;
	snp_case_build(&c);
	assert_int_equal(snp_case_verify(&c, true, &r), CVM_STATUS_INVALID);
	assert_true(result_has_error(r, "expired"));
	cvm_result_free(r);
	free(c.der);
}

static void test_snp_report_oddities(void **state)
{
	struct snp_case c;
	struct cvm_result *r;

	(void)state;
	/* MASK_CHIP_KEY: firmware did not sign */
	snp_case_init(&c, CVM_SNP_PRODUCT_MILAN, 5);
	c.o.signer_info = SNP_SIGNER_MASK_CHIP_KEY;
	snp_case_build(&c);
	assert_int_equal(snp_case_verify(&c, true, &r), CVM_STATUS_INVALID);
	assert_true(result_has_error(r, "not signed"));
	cvm_result_free(r);
	free(c.der);
	/* validly signed, reserved bytes set: not understood, so malformed */
	snp_case_init(&c, CVM_SNP_PRODUCT_MILAN, 5);
	snp_case_build(&c);
	c.report[SNP_R_RESERVED4 + 5] = 1;
	forge_snp_sign(c.report, c.f->vek_key);
	assert_int_equal(snp_case_verify(&c, true, &r), CVM_STATUS_MALFORMED);
	assert_true(result_has_error(r, "reserved"));
	cvm_result_free(r);
	/* version 6 */
	c.report[SNP_R_VERSION] = 6;
	forge_snp_sign(c.report, c.f->vek_key);
	assert_int_equal(snp_case_verify(&c, true, NULL), CVM_STATUS_MALFORMED);
	free(c.der);
	/* debug guest: valid, policy refuses */
	snp_case_init(&c, CVM_SNP_PRODUCT_GENOA, 5);
	c.o.policy = 0x30000 | SNP_POLICY_DEBUG;
	snp_case_build(&c);
	assert_int_equal(snp_case_verify(&c, true, NULL), CVM_STATUS_POLICY);
	free(c.der);
}

static void test_vlek(void **state)
{
	struct snp_case c;
	struct cvm_ctx *ctx = quiet_ctx();

	(void)state;
	snp_case_init(&c, CVM_SNP_PRODUCT_GENOA, 5);
	c.o.signer_info = SNP_SIGNING_KEY_VLEK << SNP_SIGNER_SIGNING_KEY_SHIFT;
	c.vo.vlek = true;
	c.vo.hwid = NULL;
	snp_case_build(&c);
	assert_int_equal(cvm_set_amd_roots(ctx, c.f->roots_path), 0);
	assert_int_equal(verify_status(ctx, c.report, sizeof(c.report), NULL), CVM_STATUS_UNVERIFIABLE);
	assert_int_equal(cvm_add_certs(ctx, c.der, c.der_len), 0);
	assert_int_equal(verify_status(ctx, c.report, sizeof(c.report), NULL), CVM_STATUS_OK);
	cvm_ctx_free(ctx);
	free(c.der);
}

static void test_test_root_offered_is_not_trusted(void **state)
{
	struct snp_case c;
	struct cvm_ctx *ctx = quiet_ctx();

	(void)state;
	snp_case_init(&c, CVM_SNP_PRODUCT_MILAN, 5);
	snp_case_build(&c);
	/* VCEK, ASK and ARK all offered as certificates (as a cert table would): still not trusted */
	assert_int_equal(cvm_add_certs(ctx, c.der, c.der_len), 0);
	assert_int_equal(cvm_add_certs_file(ctx, c.f->roots_path), 0);
	assert_int_equal(verify_status(ctx, c.report, sizeof(c.report), NULL), CVM_STATUS_INVALID);
	cvm_ctx_free(ctx);
	free(c.der);
}

static void test_tdx_forged(void **state)
{
	struct forge_intel *f = forge_intel();
	struct cvm_ctx *ctx = quiet_ctx();
	struct forge_quote_opts o = { .version = 4, .td_attributes = 0x10000000 };
	const struct {
		int version, body_type;
		bool nul;
	} shapes[] = { { 4, 2, false }, { 5, 2, false }, { 5, 3, true }, { 4, 2, true } };
	uint8_t *q;
	size_t len;

	(void)state;
	memset(o.mrtd, 0x7d, 48);
	assert_int_equal(cvm_set_intel_root(ctx, f->root_path), 0);
	for (size_t i = 0; i < sizeof(shapes) / sizeof(shapes[0]); i++) {
		struct cvm_result *r;

		o.version = shapes[i].version;
		o.body_type = shapes[i].body_type;
		o.nul_after_chain = shapes[i].nul;
		q = forge_quote(f, &o, &len);
		assert_int_equal(cvm_verify(ctx, q, len, CVM_FORMAT_UNKNOWN, NULL, &r), 0);
		if (cvm_result_status(r) != CVM_STATUS_OK)
			fail_msg("quote v%d/%d: %s", o.version, o.body_type, cvm_result_error(r, 0));
		assert_int_equal(cvm_result_tdx_quote(r)->body.tdx15, o.body_type == 3 && o.version == 5);
		cvm_result_free(r);
		free(q);
	}
	o.version = 4;
	o.nul_after_chain = false;
	/* QE report that does not bind the attestation key */
	o.bad_binding = true;
	q = forge_quote(f, &o, &len);
	assert_int_equal(verify_status(ctx, q, len, NULL), CVM_STATUS_INVALID);
	free(q);
	o.bad_binding = false;
	/* chain without the intermediate */
	{
		char *leaf_and_root = NULL;
		BIO *b = BIO_new(BIO_s_mem());
		char *data;
		long n;

		PEM_write_bio_X509(b, f->pck);
		PEM_write_bio_X509(b, f->root);
		n = BIO_get_mem_data(b, &data);
		leaf_and_root = strndup(data, (size_t)n);
		BIO_free(b);
		o.chain_pem = leaf_and_root;
		q = forge_quote(f, &o, &len);
		assert_int_equal(verify_status(ctx, q, len, NULL), CVM_STATUS_INVALID);
		free(q);
		free(leaf_and_root);
		o.chain_pem = NULL;
	}
	/* the test root is not trusted by default */
	{
		struct cvm_ctx *plain = quiet_ctx();

		q = forge_quote(f, &o, &len);
		assert_int_equal(verify_status(plain, q, len, NULL), CVM_STATUS_INVALID);
		free(q);
		cvm_ctx_free(plain);
	}
	cvm_ctx_free(ctx);
}

/* ---- the project's simulated platform (tests/sim) ---------------------------------------- */

static const char *sim_bin(void)
{
	const char *s = getenv("CVMATTEST_SIM");

	return s && *s && access(s, X_OK) == 0 ? s : NULL;
}

#define SKIP_WITHOUT_SIM()                                                                      \
	do {                                                                                    \
		if (!sim_bin()) {                                                               \
			/* TODO: runs once build/sim/cvmattest-sim is built (make -C tests/sim) */ \
			print_message("cvmattest-sim not built; skipping\n");                   \
			skip();                                                                 \
		}                                                                               \
	} while (0)

static const char *sim_roots(const char *product)
{
	char *pem, name[64];
	const char *path;

	assert_int_equal(run_prog(sim_bin(), &pem, ARGS("roots", "--product", product)), 0);
	assert_non_null(strstr(pem, "BEGIN CERTIFICATE"));
	snprintf(name, sizeof(name), "sim-roots-%s.pem", product);
	path = write_tmp(name, pem, strlen(pem));
	free(pem);
	return path;
}

static void test_sim_snp(void **state)
{
	const char *prods[] = { "milan", "genoa", "turin" };
	const char *versions[] = { "2", "3", "5" };

	(void)state;
	SKIP_WITHOUT_SIM();
	for (size_t p = 0; p < 3; p++) {
		const char *roots = sim_roots(prods[p]);

		for (size_t v = 0; v < 3; v++) {
			char rep[4096], certs[4096];
			json_t *o;

			snprintf(rep, sizeof(rep), "%s/%d-sim-%s-v%s.bin", tmp_dir(), (int)getpid(), prods[p], versions[v]);
			snprintf(certs, sizeof(certs), "%s.certs", rep);
			assert_int_equal(run_prog(sim_bin(), NULL, ARGS("snp-report", "--product", prods[p],
								      "--report-version", versions[v], "--report-data",
								      "c0ffee", "-o", rep, "--certs", certs)), 0);
			assert_int_equal(run_cli_json(&o, ARGS("verify", "--no-cache", "--certs", certs, "--amd-roots",
								roots, "--report-data", "c0ffee", rep)), 0);
			assert_true(json_is_true(json_object_get(o, "verified")));
			assert_int_equal(json_integer_value(json_object_get(o, "version")), atoi(versions[v]));
			assert_int_equal(json_object_get(json_object_get(o, "reported_tcb"), "fmc") != NULL, p == 2);
			json_decref(o);
			/* the simulator's chain is not AMD's */
			assert_int_equal(run_cli(NULL, ARGS("verify", "-q", "--no-cache", "--certs", certs, rep)), 2);
			/* wrong expected REPORT_DATA */
			assert_int_equal(run_cli(NULL, ARGS("verify", "-q", "--no-cache", "--certs", certs,
							   "--amd-roots", roots, "--report-data", "c0ffef", rep)), 3);
		}
	}
}

static void test_sim_snp_debug_and_cache(void **state)
{
	char rep[4096], certs[4096], cache[4096], dir[4096];
	const char *roots;
	json_t *o;
	const char *chip;
	char chip_hex[129], tcb_hex[19];

	(void)state;
	SKIP_WITHOUT_SIM();
	roots = sim_roots("milan");
	snprintf(rep, sizeof(rep), "%s/%d-sim-debug.bin", tmp_dir(), (int)getpid());
	snprintf(certs, sizeof(certs), "%s.certs", rep);
	assert_int_equal(run_prog(sim_bin(), NULL, ARGS("snp-report", "--debug", "--report-data", "01",
						      "-o", rep, "--certs", certs)), 0);
	assert_int_equal(run_cli(NULL, ARGS("verify", "-q", "--no-cache", "--certs", certs, "--amd-roots", roots, rep)), 3);
	assert_int_equal(run_cli(NULL, ARGS("verify", "-q", "--no-cache", "--certs", certs, "--amd-roots", roots,
					   "--allow-debug", rep)), 0);

	/* the KDS stand-in's VCEK, found in a cache directory */
	assert_int_equal(run_cli_json(&o, ARGS("verify", "--no-cache", "--amd-roots", roots, "--allow-debug", rep)), 5);
	chip = json_string_value(json_object_get(o, "chip_id"));
	snprintf(chip_hex, sizeof(chip_hex), "%s", chip);
	snprintf(tcb_hex, sizeof(tcb_hex), "%s",
		 json_string_value(json_object_get(json_object_get(o, "reported_tcb"), "raw")));
	json_decref(o);
	snprintf(cache, sizeof(cache), "%s/%d-simcache", tmp_dir(), (int)getpid());
	mkdir(cache, 0755);
	snprintf(dir, sizeof(dir), "%s/vcek", cache);
	mkdir(dir, 0755);
	snprintf(dir, sizeof(dir), "%s/vcek/%s", cache, chip_hex);
	mkdir(dir, 0755);
	snprintf(dir, sizeof(dir), "%s/vcek/%s/%s.der", cache, chip_hex, tcb_hex + 2);
	assert_int_equal(run_prog(sim_bin(), NULL, ARGS("vcek", "--product", "milan", "--chip-id", chip_hex,
						      "--tcb", tcb_hex, "-o", dir)), 0);
	assert_int_equal(run_cli(NULL, ARGS("verify", "-q", "--cache-dir", cache, "--amd-roots", roots,
					   "--allow-debug", rep)), 0);
}

static void test_sim_tdx(void **state)
{
	char td[4096], q[4096], *root_pem;
	const char *root;

	(void)state;
	SKIP_WITHOUT_SIM();
	assert_int_equal(run_prog(sim_bin(), &root_pem, ARGS("intel-root")), 0);
	root = write_tmp("sim-intel-root.pem", root_pem, strlen(root_pem));
	free(root_pem);
	for (int m = 0; m < 2; m++) {
		snprintf(td, sizeof(td), "%s/%d-sim-td%d.bin", tmp_dir(), (int)getpid(), m);
		snprintf(q, sizeof(q), "%s/%d-sim-quote%d.bin", tmp_dir(), (int)getpid(), m);
		assert_int_equal(run_prog(sim_bin(), NULL, ARGS("tdx-report", "--tdx-module", m ? "1.5" : "1.0",
							      "--report-data", "abcd", "-o", td)), 0);
		assert_int_equal(run_prog(sim_bin(), NULL, ARGS("tdx-quote", "--tdreport", td, "-o", q)), 0);
		assert_int_equal(run_cli(NULL, ARGS("verify", "-q", "--intel-root", root, "--report-data", "abcd", q)), 0);
		assert_int_equal(run_cli(NULL, ARGS("verify", "-q", q)), 2);
		/* a TDREPORT alone cannot be verified off the platform */
		assert_int_equal(run_cli(NULL, ARGS("verify", "-q", td)), 5);
	}
	/* debug TD */
	assert_int_equal(run_prog(sim_bin(), NULL, ARGS("tdx-report", "--debug", "--report-data", "ab", "-o", td)), 0);
	assert_int_equal(run_prog(sim_bin(), NULL, ARGS("tdx-quote", "--tdreport", td, "-o", q)), 0);
	assert_int_equal(run_cli(NULL, ARGS("verify", "-q", "--intel-root", root, q)), 3);
	assert_int_equal(run_cli(NULL, ARGS("verify", "-q", "--intel-root", root, "--allow-debug", q)), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_snp_products_and_versions),
		cmocka_unit_test(test_turin_specifics),
		cmocka_unit_test(test_snp_endorsement_mismatches),
		cmocka_unit_test(test_snp_report_oddities),
		cmocka_unit_test(test_vlek),
		cmocka_unit_test(test_test_root_offered_is_not_trusted),
		cmocka_unit_test(test_tdx_forged),
		cmocka_unit_test(test_sim_snp),
		cmocka_unit_test(test_sim_snp_debug_and_cache),
		cmocka_unit_test(test_sim_tdx),
	};

	return cmocka_run_group_tests_name("simulated", tests, NULL, NULL);
}
