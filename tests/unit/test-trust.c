// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Trust anchors and certificate checks: the built-in roots are the real AMD
 * and Intel ones and pinned; the real AMD chains verify with explicit
 * RSASSA-PSS parameters (VCEK serial 0 included); the AMD and Intel
 * extensions read as the real certificates carry them.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/pem.h>

#include "forge.h"
#include "verify/verify.h"
#include "testutil.h"

static struct cvm_cert_list load_list(const char *rel)
{
	struct cvm_cert_list l = { 0 };

	assert_int_equal(cert_list_load(NULL, &l, td_path(rel)), 0);
	return l;
}

static const struct cvm_cert *find_cn(const struct cvm_cert_list *l, const char *cn)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->v[i]->cn, cn) == 0)
			return l->v[i];
	fail_msg("no certificate \"%s\"", cn);
	return NULL;
}

static void test_builtin_roots_are_the_real_ones(void **state)
{
	static const struct {
		const char *file, *ark, *ask;
	} chains[] = {
		{ "snp/amd-ask-ark-milan.pem", "ARK-Milan", "SEV-Milan" },
		{ "snp/amd-ask-ark-genoa.pem", "ARK-Genoa", "SEV-Genoa" },
		{ "snp/amd-ask-ark-turin_vcek.pem", "ARK-Turin", "SEV-Turin" },
	};
	struct cvm_cert_list builtin = { 0 }, intel = { 0 };
	struct cvm_ctx *ctx = quiet_ctx();

	(void)state;
	assert_int_equal(trust_load_builtin_amd(ctx, &builtin), 0);
	assert_int_equal(builtin.n, 6);
	for (size_t i = 0; i < 3; i++) {
		struct cvm_cert_list l = load_list(chains[i].file);
		const struct cvm_cert *ark = find_cn(&l, chains[i].ark);

		assert_memory_equal(find_cn(&builtin, chains[i].ark)->sha256, ark->sha256, 32);
		assert_memory_equal(find_cn(&builtin, chains[i].ask)->sha256,
				    find_cn(&l, chains[i].ask)->sha256, 32);
		assert_true(trust_is_pinned(ark));
		/* ASKs are not roots */
		assert_false(trust_is_pinned(find_cn(&l, chains[i].ask)));
		cert_list_clear(&l);
	}
	assert_int_equal(trust_load_builtin_intel(ctx, &intel), 0);
	assert_int_equal(intel.n, 1);
	{
		struct cvm_cert_list l = load_list("tdx/intel-sgx-root-ca.pem");

		assert_memory_equal(l.v[0]->sha256, intel.v[0]->sha256, 32);
		assert_true(trust_is_pinned(l.v[0]));
		cert_list_clear(&l);
	}
	/* a test root with the same name is not pinned */
	{
		struct forge_amd *f = forge_amd(CVM_SNP_PRODUCT_MILAN);
		struct cvm_cert_list l = { 0 };

		assert_int_equal(cert_list_load(NULL, &l, f->roots_path), 0);
		assert_false(trust_is_pinned(find_cn(&l, "ARK-Milan")));
		cert_list_clear(&l);
	}
	cert_list_clear(&builtin);
	cert_list_clear(&intel);
	cvm_ctx_free(ctx);
}

static void test_real_amd_chains_pss(void **state)
{
	const char *files[] = { "snp/amd-ask-ark-milan.pem", "snp/amd-ask-ark-genoa.pem",
				"snp/amd-ask-ark-turin_vcek.pem" };
	const char *arks[] = { "ARK-Milan", "ARK-Genoa", "ARK-Turin" };
	const char *asks[] = { "SEV-Milan", "SEV-Genoa", "SEV-Turin" };
	struct cvm_cert_list l[3];
	char why[160];

	(void)state;
	for (int i = 0; i < 3; i++)
		l[i] = load_list(files[i]);
	for (int i = 0; i < 3; i++)
		for (int j = 0; j < 3; j++) {
			const struct cvm_cert *ask = find_cn(&l[i], asks[i]);
			EVP_PKEY *ark_key = X509_get0_pubkey(find_cn(&l[j], arks[j])->x509);

			assert_int_equal(cert_verify_signature(ask, ark_key, why, sizeof(why)) == 0, i == j);
		}
	for (int i = 0; i < 3; i++) {
		const struct cvm_cert *ark = find_cn(&l[i], arks[i]);

		assert_int_equal(cert_verify_signature(ark, X509_get0_pubkey(ark->x509), why, sizeof(why)), 0);
	}
	/* both real VCEKs (serial number 0) under the Milan ASK, not under Genoa's */
	{
		const char *vceks[] = { "snp/gsg-milan-vcek.der", "snp/virtee-milan-vcek.der" };

		for (int k = 0; k < 2; k++) {
			struct cvm_cert_list v = load_list(vceks[k]);

			assert_int_equal(ASN1_INTEGER_get(X509_get0_serialNumber(v.v[0]->x509)), 0);
			assert_int_equal(cert_verify_signature(v.v[0], X509_get0_pubkey(find_cn(&l[0], "SEV-Milan")->x509),
							       why, sizeof(why)), 0);
			assert_int_not_equal(cert_verify_signature(v.v[0], X509_get0_pubkey(find_cn(&l[1], "SEV-Genoa")->x509),
								   why, sizeof(why)), 0);
			cert_list_clear(&v);
		}
	}
	for (int i = 0; i < 3; i++)
		cert_list_clear(&l[i]);
}

static void test_pss_parameters_enforced(void **state)
{
	struct forge_amd *f = forge_amd(CVM_SNP_PRODUCT_GENOA);
	struct forge_vek_opts good = { 0 }, salt32 = { .pss_salt = 32 },
			      sha256 = { .pss_md = NULL, .pss_salt = 32 };
	struct cvm_cert *c;
	uint8_t *der;
	size_t len;
	char why[160];

	(void)state;
	sha256.pss_md = EVP_sha256();
	X509_free(forge_vek(f, &good, &der, &len));
	assert_int_equal(cert_new_der(der, len, &c), 0);
	assert_int_equal(cert_verify_signature(c, f->ask_key, why, sizeof(why)), 0);
	/* the right key, but the signature is not the one we expect it to be */
	assert_int_not_equal(cert_verify_signature(c, f->ark_key, why, sizeof(why)), 0);
	cert_free(c);
	free(der);

	X509_free(forge_vek(f, &salt32, &der, &len));
	assert_int_equal(cert_new_der(der, len, &c), 0);
	assert_int_equal(cert_verify_signature(c, f->ask_key, why, sizeof(why)), -EBADMSG);
	assert_non_null(strstr(why, "salt 48"));
	cert_free(c);
	free(der);

	X509_free(forge_vek(f, &sha256, &der, &len));
	assert_int_equal(cert_new_der(der, len, &c), 0);
	assert_int_equal(cert_verify_signature(c, f->ask_key, why, sizeof(why)), -EBADMSG);
	cert_free(c);
	free(der);
}

static void test_amd_extensions_real(void **state)
{
	struct cvm_cert_list v = load_list("snp/virtee-milan-vcek.der");
	struct amd_cert_ext e;
	struct cvm_snp_report s;
	size_t len;
	uint8_t *rep = load_td("snp/virtee-milan-v2-report.hex", &len);

	(void)state;
	assert_int_equal(amd_cert_ext_parse(v.v[0]->x509, &e), 0);
	assert_true(e.has_struct_version);
	assert_int_equal(e.struct_version, 0);
	assert_string_equal(e.product_name, "Milan-B0");
	assert_int_equal(e.spl[AMD_SPL_BL], 3);
	assert_int_equal(e.spl[AMD_SPL_TEE], 0);
	assert_int_equal(e.spl[AMD_SPL_SNP], 8);
	assert_int_equal(e.spl[AMD_SPL_UCODE], 115);
	assert_true(e.has_spl[AMD_SPL_4]);
	assert_false(e.has_spl[AMD_SPL_FMC]);
	assert_int_equal(e.hwid_len, 64);
	assert_int_equal(cvm_snp_report_parse(rep, len, &s), 0);
	assert_memory_equal(e.hwid, s.chip_id, 64);
	assert_false(e.has_csp_id);
	cert_list_clear(&v);
	free(rep);
}

static void test_hwid_encodings(void **state)
{
	uint8_t in[66], out[64];
	size_t n;

	(void)state;
	memset(in, 0x5a, sizeof(in));
	assert_int_equal(amd_hwid_decode(in, 64, out, &n), 0);
	assert_int_equal(n, 64);
	assert_int_equal(amd_hwid_decode(in, 8, out, &n), 0);
	assert_int_equal(n, 8);
	in[0] = 0x04, in[1] = 0x40;
	assert_int_equal(amd_hwid_decode(in, 66, out, &n), 0);
	assert_int_equal(n, 64);
	assert_int_equal(out[0], 0x5a);
	in[1] = 0x08;
	assert_int_equal(amd_hwid_decode(in, 10, out, &n), 0);
	assert_int_equal(n, 8);
	assert_int_equal(amd_hwid_decode(in, 63, out, &n), -EBADMSG);
	assert_int_equal(amd_hwid_decode(in, 9, out, &n), -EBADMSG);
	in[1] = 0x40;
	assert_int_equal(amd_hwid_decode(in, 10, out, &n), -EBADMSG);
}

static void test_sgx_extension_real(void **state)
{
	static const struct {
		const char *file;
		uint8_t fmspc[6];
	} q[] = {
		{ "tdx/gtg-v4-quote-spr-e4.bin", { 0x50, 0x80, 0x6f, 0x00, 0x00, 0x00 } },
		{ "tdx/gtg-v5-quote.bin", { 0x90, 0xc0, 0x6f, 0x00, 0x00, 0x00 } },
		{ "tdx/gtg-v4-quote-gcp-cos.bin", { 0x00, 0x80, 0x6f, 0x05, 0x00, 0x00 } },
	};

	(void)state;
	for (size_t i = 0; i < 3; i++) {
		struct cvm_tdx_quote t;
		struct cvm_cert_list l = { 0 };
		struct sgx_pck_ext e;
		size_t len;
		uint8_t *b = load_td(q[i].file, &len);

		assert_int_equal(cvm_tdx_quote_parse(b, len, &t), 0);
		assert_int_equal(cert_list_add_buffer(&l, t.pck_chain, t.pck_chain_len), 0);
		assert_int_equal(l.n, 3);
		assert_string_equal(l.v[0]->cn, "Intel SGX PCK Certificate");
		assert_string_equal(l.v[1]->cn, "Intel SGX PCK Platform CA");
		assert_string_equal(l.v[2]->cn, "Intel SGX Root CA");
		assert_int_equal(sgx_pck_ext_from_cert(l.v[0]->x509, &e), 0);
		assert_true(e.has_fmspc && e.has_pceid);
		assert_memory_equal(e.fmspc, q[i].fmspc, 6);
		assert_int_equal(sgx_pck_ext_from_cert(l.v[1]->x509, &e), -ENOENT);
		cert_list_clear(&l);
		free(b);
	}
}

static void test_cert_loading(void **state)
{
	struct cvm_cert_list l = { 0 };
	size_t len;
	uint8_t *b = load_td("snp/virtee-milan-vcek.der", &len);

	(void)state;
	/* DER, then the same again: duplicates collapse */
	assert_int_equal(cert_list_add_buffer(&l, b, len), 0);
	assert_int_equal(cert_list_add_buffer(&l, b, len), 0);
	assert_int_equal(l.n, 1);
	/* DER with trailing garbage is not a certificate (nor a table) */
	{
		uint8_t *c = malloc(len + 5);

		memcpy(c, b, len);
		memset(c + len, 0x7f, 5);
		assert_int_not_equal(cert_list_add_buffer(&l, c, len + 5), 0);
		free(c);
	}
	/* PEM bundle */
	assert_int_equal(cert_list_load(NULL, &l, td_path("snp/amd-ask-ark-milan.pem")), 0);
	assert_int_equal(l.n, 3);
	/* PEM without certificates */
	assert_int_equal(cert_list_load(NULL, &l, td_path("azure/kinvolk-akpub.pem")), -ENOKEY);
	/* a directory: every .pem and .der file in it */
	cert_list_clear(&l);
	assert_int_equal(cert_list_load(NULL, &l, td_path("snp")), 0);
	assert_int_equal(l.n, 8);
	cert_list_clear(&l);
	free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_builtin_roots_are_the_real_ones),
		cmocka_unit_test(test_real_amd_chains_pss),
		cmocka_unit_test(test_pss_parameters_enforced),
		cmocka_unit_test(test_amd_extensions_real),
		cmocka_unit_test(test_hwid_encodings),
		cmocka_unit_test(test_sgx_extension_real),
		cmocka_unit_test(test_cert_loading),
	};

	return cmocka_run_group_tests_name("trust", tests, NULL, NULL);
}
