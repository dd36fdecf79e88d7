// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * Host tests of the simulated platform: evidence signatures and chains
 * verify with OpenSSL, the shapes match the real samples in
 * shared/testdata, and the driver model (simdev) reproduces sev-guest's
 * and tdx-guest's user-visible behaviour, VMPCK wipe included.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/err.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "libsim.h"
#include "sim_internal.h"
#include "simdev.h"

#ifndef SIM_TESTDATA
#define SIM_TESTDATA "../../../shared/testdata"
#endif

static struct sim_keys *keys;

static int setup_keys(void **state)
{
	(void)state;
	sim_set_log(NULL);
	return sim_keys_load(NULL, &keys) ? -1 : 0;
}

static int teardown_keys(void **state)
{
	(void)state;
	sim_keys_free(keys);
	keys = NULL;
	return 0;
}

/* ---- helpers ------------------------------------------------------------------------- */

static X509 *der_to_x509(const uint8_t *der, size_t len)
{
	const unsigned char *p = der;
	X509 *x = d2i_X509(NULL, &p, (long)len);

	assert_non_null(x);
	assert_ptr_equal(p, der + len);
	return x;
}

static bool all_zero(const uint8_t *p, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (p[i])
			return false;
	return true;
}

static bool verify_ecdsa_rs(EVP_PKEY *pub, const EVP_MD *md, const void *data, size_t len,
			    const uint8_t *rs, size_t n)
{
	uint8_t *der = NULL;
	size_t der_len = 0;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	bool ok;

	assert_int_equal(sim_ecdsa_rs_to_der(rs, n, &der, &der_len), 0);
	ok = EVP_DigestVerifyInit(ctx, NULL, md, NULL, pub) == 1 &&
	     EVP_DigestVerify(ctx, der, der_len, data, len) == 1;
	EVP_MD_CTX_free(ctx);
	free(der);
	ERR_clear_error();
	return ok;
}

/* The SNP report signature: LE r, s in 72-byte slots (evidence-formats.md §1.6). */
static bool snp_report_verifies(const uint8_t *r, EVP_PKEY *vcek_pub)
{
	uint8_t rs[96];

	for (int i = 0; i < 48; i++) {
		rs[47 - i] = r[SNP_R_SIG_R + i];
		rs[95 - i] = r[SNP_R_SIG_S + i];
	}
	if (!all_zero(r + SNP_R_SIG_R + 48, 24) || !all_zero(r + SNP_R_SIG_S + 48, 24))
		return false;
	return verify_ecdsa_rs(vcek_pub, EVP_sha384(), r, SNP_SIGNED_LEN, rs, 48);
}

static X509 *issue_vcek(const struct sim_snp_config *c)
{
	uint8_t *der = NULL;
	size_t len = 0;
	X509 *x;

	assert_int_equal(sim_amd_issue_vcek(keys, c->product, c->chip_id, c->reported_tcb, 0,
					    &der, &len), 0);
	x = der_to_x509(der, len);
	free(der);
	return x;
}

/* extnValue of an extension by dotted OID, or NULL */
static const ASN1_OCTET_STRING *ext_value(X509 *x, const char *oid)
{
	ASN1_OBJECT *obj = OBJ_txt2obj(oid, 1);
	int idx = X509_get_ext_by_OBJ(x, obj, -1);

	ASN1_OBJECT_free(obj);
	if (idx < 0)
		return NULL;
	return X509_EXTENSION_get_data(X509_get_ext(x, idx));
}

/* INTEGER inside an AMD extension */
static long ext_int(X509 *x, const char *oid)
{
	const ASN1_OCTET_STRING *v = ext_value(x, oid);
	const unsigned char *p;
	ASN1_INTEGER *i;
	long val;

	assert_non_null(v);
	p = ASN1_STRING_get0_data(v);
	i = d2i_ASN1_INTEGER(NULL, &p, ASN1_STRING_length(v));
	assert_non_null(i);
	assert_ptr_equal(p, ASN1_STRING_get0_data(v) + ASN1_STRING_length(v));
	val = ASN1_INTEGER_get(i);
	ASN1_INTEGER_free(i);
	return val;
}

static X509 *load_testdata_cert(const char *name, bool der)
{
	char path[512];
	uint8_t *data = NULL;
	size_t len = 0;
	X509 *x = NULL;

	snprintf(path, sizeof(path), "%s/%s", SIM_TESTDATA, name);
	if (sim_read_file(path, &data, &len))
		return NULL;
	if (der) {
		x = der_to_x509(data, len);
	} else {
		BIO *b = BIO_new_mem_buf(data, (int)len);

		x = PEM_read_bio_X509(b, NULL, NULL, NULL);
		BIO_free(b);
	}
	free(data);
	return x;
}

/* ---- SNP report ----------------------------------------------------------------------- */

static void check_report(enum sim_product p, uint32_t version, bool debug)
{
	struct sim_snp_config c;
	uint8_t rd[64], r[SNP_REPORT_SIZE], ff[32];
	X509 *vcek;
	const struct sim_product_info *pi = sim_product(p);

	sim_snp_config_default(&c, p);
	c.version = version;
	if (debug)
		c.policy |= SNP_POLICY_DEBUG;
	for (int i = 0; i < 64; i++)
		rd[i] = (uint8_t)(i * 3 + 1);
	assert_int_equal(sim_snp_build_report(&c, keys, rd, 2, r), 0);

	assert_int_equal(get_le32(r + SNP_R_VERSION), version);
	assert_int_equal(get_le64(r + SNP_R_POLICY) & SNP_POLICY_RESERVED_ONE, SNP_POLICY_RESERVED_ONE);
	assert_int_equal(!!(get_le64(r + SNP_R_POLICY) & SNP_POLICY_DEBUG), debug);
	assert_int_equal(get_le64(r + SNP_R_POLICY) >> SNP_POLICY_MBZ_SHIFT, 0);
	assert_int_equal(get_le32(r + SNP_R_VMPL), 2);
	assert_int_equal(get_le32(r + SNP_R_SIGNATURE_ALGO), 1);
	assert_memory_equal(r + SNP_R_REPORT_DATA, rd, 64);
	assert_memory_equal(r + SNP_R_MEASUREMENT, c.measurement, 48);
	assert_memory_equal(r + SNP_R_HOST_DATA, c.host_data, 32);
	assert_memory_equal(r + SNP_R_REPORTED_TCB, c.reported_tcb, 8);
	assert_memory_equal(r + SNP_R_CHIP_ID, c.chip_id, 64);
	memset(ff, 0xFF, sizeof(ff));
	assert_memory_equal(r + SNP_R_REPORT_ID_MA, ff, 32);
	/* MBZ ranges as GSG checks them (evidence-formats.md §2.5) */
	assert_true(all_zero(r + SNP_R_RESERVED0, 4));
	if (version >= 3) {
		assert_int_equal(r[SNP_R_CPUID_FAM_ID], pi->cpuid_fam);
		assert_int_equal(r[SNP_R_CPUID_MOD_ID], pi->cpuid_mod);
		assert_int_equal(r[SNP_R_CPUID_STEP], pi->cpuid_step);
		assert_true(all_zero(r + SNP_R_RESERVED1_V3, SNP_R_CHIP_ID - SNP_R_RESERVED1_V3));
	} else {
		assert_true(all_zero(r + SNP_R_RESERVED1_V2, SNP_R_CHIP_ID - SNP_R_RESERVED1_V2));
	}
	assert_int_equal(r[SNP_R_RESERVED2], 0);
	assert_int_equal(r[SNP_R_RESERVED3], 0);
	if (version < 5)
		assert_true(all_zero(r + SNP_R_LAUNCH_MIT_VECTOR, SNP_R_SIGNATURE - SNP_R_LAUNCH_MIT_VECTOR));
	assert_true(all_zero(r + SNP_R_RESERVED4, SNP_R_SIGNATURE - SNP_R_RESERVED4));
	assert_true(all_zero(r + SNP_R_SIG_RESERVED, SNP_REPORT_SIZE - SNP_R_SIG_RESERVED));
	if (pi->turin_like)
		assert_true(all_zero(r + SNP_R_CHIP_ID + 8, 56));

	vcek = issue_vcek(&c);
	assert_true(snp_report_verifies(r, X509_get0_pubkey(vcek)));
	/* one flipped bit in the signed area breaks it */
	r[SNP_R_REPORT_DATA] ^= 1;
	assert_false(snp_report_verifies(r, X509_get0_pubkey(vcek)));
	X509_free(vcek);
}

static void test_snp_report_milan_v2(void **state) { (void)state; check_report(SIM_PRODUCT_MILAN, 2, false); }
static void test_snp_report_milan_v5_debug(void **state) { (void)state; check_report(SIM_PRODUCT_MILAN, 5, true); }
static void test_snp_report_genoa_v5(void **state) { (void)state; check_report(SIM_PRODUCT_GENOA, 5, false); }
static void test_snp_report_turin_v5(void **state) { (void)state; check_report(SIM_PRODUCT_TURIN, 5, false); }
static void test_snp_report_turin_v3(void **state) { (void)state; check_report(SIM_PRODUCT_TURIN, 3, false); }

static void test_snp_report_bad_version(void **state)
{
	struct sim_snp_config c;
	uint8_t rd[64] = { 0 }, r[SNP_REPORT_SIZE];

	(void)state;
	sim_snp_config_default(&c, SIM_PRODUCT_MILAN);
	c.version = 1;
	assert_int_equal(sim_snp_build_report(&c, keys, rd, 0, r), -EINVAL);
	c.version = 6;
	assert_int_equal(sim_snp_build_report(&c, keys, rd, 0, r), -EINVAL);
}

/* The real GSG report verifies with our verification helper: the helper is right. */
static void test_real_snp_report_verifies(void **state)
{
	char path[512];
	uint8_t *r = NULL;
	size_t len = 0;
	X509 *vcek;

	(void)state;
	snprintf(path, sizeof(path), "%s/snp/gsg-milan-v2-report.bin", SIM_TESTDATA);
	if (sim_read_file(path, &r, &len))
		skip();
	vcek = load_testdata_cert("snp/gsg-milan-vcek.der", true);
	assert_non_null(vcek);
	assert_int_equal(len, SNP_REPORT_SIZE);
	assert_true(snp_report_verifies(r, X509_get0_pubkey(vcek)));
	X509_free(vcek);
	free(r);
}

/* ---- AMD chain ---------------------------------------------------------------------------- */

static void check_pss_params(X509 *x)
{
	const X509_ALGOR *alg = X509_get0_tbs_sigalg(x);
	const ASN1_OBJECT *obj;
	int ptype;
	const void *pval;
	const ASN1_STRING *params;
	RSA_PSS_PARAMS *pss;
	const unsigned char *p;

	X509_ALGOR_get0(&obj, &ptype, &pval, alg);
	assert_int_equal(OBJ_obj2nid(obj), NID_rsassaPss);
	assert_int_equal(ptype, V_ASN1_SEQUENCE);
	params = pval;
	p = ASN1_STRING_get0_data(params);
	pss = d2i_RSA_PSS_PARAMS(NULL, &p, ASN1_STRING_length(params));
	assert_non_null(pss);
	assert_non_null(pss->hashAlgorithm);
	assert_int_equal(OBJ_obj2nid(pss->hashAlgorithm->algorithm), NID_sha384);
	assert_non_null(pss->maskGenAlgorithm);
	assert_int_equal(OBJ_obj2nid(pss->maskGenAlgorithm->algorithm), NID_mgf1);
	assert_int_equal(ASN1_INTEGER_get(pss->saltLength), 48);
	assert_non_null(pss->trailerField);	/* explicit, as AMD encodes it */
	assert_int_equal(ASN1_INTEGER_get(pss->trailerField), 1);
	RSA_PSS_PARAMS_free(pss);
}

static void check_subject_cn(X509 *x, const char *cn)
{
	char buf[64];

	assert_true(X509_NAME_get_text_by_NID(X509_get_subject_name(x), NID_commonName,
					      buf, sizeof(buf)) > 0);
	assert_string_equal(buf, cn);
}

static void test_amd_chain(void **state)
{
	(void)state;
	for (int p = 0; p < SIM_PRODUCT_COUNT; p++) {
		struct sim_snp_config c;
		X509 *ark = sim_keys_ark_cert(keys, p), *ask = sim_keys_ask_cert(keys, p), *vcek;
		X509_STORE *store = X509_STORE_new();
		X509_STORE_CTX *ctx = X509_STORE_CTX_new();
		STACK_OF(X509) *untrusted = sk_X509_new_null();
		char cn[32];
		EVP_PKEY *pub;

		sim_snp_config_default(&c, p);
		vcek = issue_vcek(&c);
		/* signatures: PSS with the explicit parameters in each cert */
		assert_int_equal(X509_verify(ark, X509_get0_pubkey(ark)), 1);
		assert_int_equal(X509_verify(ask, X509_get0_pubkey(ark)), 1);
		assert_int_equal(X509_verify(vcek, X509_get0_pubkey(ask)), 1);
		assert_int_equal(X509_verify(vcek, X509_get0_pubkey(ark)), 0);
		ERR_clear_error();
		check_pss_params(ark);
		check_pss_params(ask);
		check_pss_params(vcek);
		snprintf(cn, sizeof(cn), "ARK-%s", sim_product(p)->name);
		check_subject_cn(ark, cn);
		snprintf(cn, sizeof(cn), "SEV-%s", sim_product(p)->name);
		check_subject_cn(ask, cn);
		check_subject_cn(vcek, "SEV-VCEK");
		assert_int_equal(ASN1_INTEGER_get(X509_get0_serialNumber(vcek)), 0);
		assert_int_equal(ASN1_INTEGER_get(X509_get0_serialNumber(ark)), sim_product(p)->ark_serial);
		assert_int_equal(ASN1_INTEGER_get(X509_get0_serialNumber(ask)), sim_product(p)->ark_serial + 1);
		/* keys: RSA-4096 for ARK and ASK, P-384 for the VCEK */
		assert_int_equal(EVP_PKEY_get_bits(X509_get0_pubkey(ark)), 4096);
		assert_int_equal(EVP_PKEY_get_bits(X509_get0_pubkey(ask)), 4096);
		pub = X509_get0_pubkey(vcek);
		assert_true(EVP_PKEY_is_a(pub, "EC"));
		assert_int_equal(EVP_PKEY_get_bits(pub), 384);
		/* and the whole path validates with the ARK as the only trust anchor */
		assert_int_equal(X509_STORE_add_cert(store, ark), 1);
		assert_int_equal(sk_X509_push(untrusted, ask), 1);
		assert_int_equal(X509_STORE_CTX_init(ctx, store, vcek, untrusted), 1);
		if (X509_verify_cert(ctx) != 1)
			fail_msg("%s chain: %s", sim_product(p)->name,
				 X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx)));
		X509_STORE_CTX_free(ctx);
		sk_X509_free(untrusted);
		X509_STORE_free(store);
		X509_free(vcek);
	}
}

static void test_vcek_extensions(void **state)
{
	(void)state;
	for (int p = 0; p < SIM_PRODUCT_COUNT; p++) {
		const struct sim_product_info *pi = sim_product(p);
		struct sim_snp_config c;
		struct sim_tcb t;
		const ASN1_OCTET_STRING *v;
		X509 *vcek;

		sim_snp_config_default(&c, p);
		/* a TCB with a microcode SPL >= 0x80 (2-byte INTEGER) */
		assert_int_equal(sim_tcb_parse(p, pi->turin_like ? "fmc=1,bl=4,tee=2,snp=9,ucode=0xd5" :
					       "bl=4,tee=2,snp=9,ucode=0xd5", c.reported_tcb), 0);
		vcek = issue_vcek(&c);
		sim_tcb_decode(p, c.reported_tcb, &t);
		assert_int_equal(ext_int(vcek, AMD_OID_STRUCT_VERSION), pi->turin_like ? 1 : 0);
		assert_int_equal(ext_int(vcek, AMD_OID_BL_SPL), t.bl);
		assert_int_equal(ext_int(vcek, AMD_OID_TEE_SPL), t.tee);
		assert_int_equal(ext_int(vcek, AMD_OID_SNP_SPL), t.snp);
		assert_int_equal(ext_int(vcek, AMD_OID_UCODE_SPL), 0xd5);
		assert_int_equal(ext_int(vcek, AMD_OID_SPL5), 0);
		if (pi->turin_like) {
			assert_int_equal(ext_int(vcek, AMD_OID_FMC_SPL), 1);
			assert_null(ext_value(vcek, AMD_OID_SPL4));
		} else {
			assert_null(ext_value(vcek, AMD_OID_FMC_SPL));
			assert_int_equal(ext_int(vcek, AMD_OID_SPL4), 0);
		}
		/* productName: IA5String */
		v = ext_value(vcek, AMD_OID_PRODUCT_NAME);
		assert_non_null(v);
		assert_int_equal(ASN1_STRING_get0_data(v)[0], 0x16);
		assert_int_equal(ASN1_STRING_get0_data(v)[1], strlen(pi->vcek_product_name));
		assert_memory_equal(ASN1_STRING_get0_data(v) + 2, pi->vcek_product_name,
				    strlen(pi->vcek_product_name));
		/* hwID: raw CHIP_ID bytes, 64 or (Turin) 8 */
		v = ext_value(vcek, AMD_OID_HWID);
		assert_non_null(v);
		assert_int_equal(ASN1_STRING_length(v), pi->turin_like ? 8 : 64);
		assert_memory_equal(ASN1_STRING_get0_data(v), c.chip_id, (size_t)ASN1_STRING_length(v));
		assert_null(ext_value(vcek, AMD_OID_CSP_ID));
		X509_free(vcek);
	}
}

/* The TBS extension list of a certificate: OIDs, criticality, extnValue tag and length. */
static void ext_shape(X509 *x, char *out, size_t len)
{
	size_t off = 0;

	out[0] = '\0';
	for (int i = 0; i < X509_get_ext_count(x); i++) {
		X509_EXTENSION *e = X509_get_ext(x, i);
		const ASN1_OCTET_STRING *v = X509_EXTENSION_get_data(e);
		char oid[64];
		const unsigned char *d = ASN1_STRING_get0_data(v);
		int vlen = ASN1_STRING_length(v);

		OBJ_obj2txt(oid, sizeof(oid), X509_EXTENSION_get_object(e), 1);
		/* value shape: its first byte, and its length unless it is key/URL/sig material */
		off += (size_t)snprintf(out + off, len - off, "%s%s:%02x/%d;", oid,
					X509_EXTENSION_get_critical(e) ? "!" : "",
					vlen ? d[0] : 0, vlen);
	}
}

static void test_vcek_shape_matches_real(void **state)
{
	X509 *real = load_testdata_cert("snp/gsg-milan-vcek.der", true);
	struct sim_snp_config c;
	char a[2048], b[2048];
	X509 *ours;
	uint8_t chip[64];
	const ASN1_OCTET_STRING *hw;

	(void)state;
	if (!real)
		skip();
	/* issue ours for the real VCEK's chip and TCB: bl2 tee0 snp5 ucode 0x44 */
	hw = ext_value(real, AMD_OID_HWID);
	assert_int_equal(ASN1_STRING_length(hw), 64);
	memcpy(chip, ASN1_STRING_get0_data(hw), 64);
	sim_snp_config_default(&c, SIM_PRODUCT_MILAN);
	memcpy(c.chip_id, chip, 64);
	assert_int_equal(sim_tcb_parse(SIM_PRODUCT_MILAN, "bl=2,tee=0,snp=5,ucode=0x44", c.reported_tcb), 0);
	ours = issue_vcek(&c);
	ext_shape(real, a, sizeof(a));
	ext_shape(ours, b, sizeof(b));
	assert_string_equal(a, b);
	/* identical extension bytes, since chip and TCB are the same */
	for (int i = 0; i < X509_get_ext_count(real); i++) {
		const ASN1_OCTET_STRING *x = X509_EXTENSION_get_data(X509_get_ext(real, i));
		const ASN1_OCTET_STRING *y = X509_EXTENSION_get_data(X509_get_ext(ours, i));

		assert_int_equal(ASN1_STRING_length(x), ASN1_STRING_length(y));
		assert_memory_equal(ASN1_STRING_get0_data(x), ASN1_STRING_get0_data(y),
				    (size_t)ASN1_STRING_length(x));
	}
	/* signature AlgorithmIdentifier: same DER bytes */
	{
		unsigned char *da = NULL, *db = NULL;
		int la = i2d_X509_ALGOR(X509_get0_tbs_sigalg(real), &da);
		int lb = i2d_X509_ALGOR(X509_get0_tbs_sigalg(ours), &db);

		assert_int_equal(la, lb);
		assert_memory_equal(da, db, (size_t)la);
		OPENSSL_free(da);
		OPENSSL_free(db);
	}
	/* issuer and subject DNs: same DER bytes */
	assert_int_equal(X509_NAME_cmp(X509_get_subject_name(real), X509_get_subject_name(ours)), 0);
	assert_int_equal(X509_NAME_cmp(X509_get_issuer_name(real), X509_get_issuer_name(ours)), 0);
	X509_free(real);
	X509_free(ours);
}

static void test_ark_ask_shape_matches_real(void **state)
{
	static const char *const files[] = {
		"snp/amd-ask-ark-milan.pem", "snp/amd-ask-ark-genoa.pem", "snp/amd-ask-ark-turin_vcek.pem",
	};

	(void)state;
	for (int p = 0; p < SIM_PRODUCT_COUNT; p++) {
		char path[512];
		BIO *bio;
		X509 *real_ask, *real_ark;
		char a[2048], b[2048];

		snprintf(path, sizeof(path), "%s/%s", SIM_TESTDATA, files[p]);
		bio = BIO_new_file(path, "r");
		if (!bio)
			skip();
		real_ask = PEM_read_bio_X509(bio, NULL, NULL, NULL);
		real_ark = PEM_read_bio_X509(bio, NULL, NULL, NULL);
		BIO_free(bio);
		assert_non_null(real_ask);
		assert_non_null(real_ark);

		ext_shape(real_ark, a, sizeof(a));
		ext_shape(sim_keys_ark_cert(keys, p), b, sizeof(b));
		assert_string_equal(a, b);
		ext_shape(real_ask, a, sizeof(a));
		ext_shape(sim_keys_ask_cert(keys, p), b, sizeof(b));
		assert_string_equal(a, b);
		/* same DNs, byte for byte */
		assert_int_equal(X509_NAME_cmp(X509_get_subject_name(real_ark),
					       X509_get_subject_name(sim_keys_ark_cert(keys, p))), 0);
		assert_int_equal(X509_NAME_cmp(X509_get_subject_name(real_ask),
					       X509_get_subject_name(sim_keys_ask_cert(keys, p))), 0);
		/* the CRL DP is byte-identical (GSG checks the URL) */
		const ASN1_OCTET_STRING *x = ext_value(real_ask, "2.5.29.31");
		const ASN1_OCTET_STRING *y = ext_value(sim_keys_ask_cert(keys, p), "2.5.29.31");

		assert_int_equal(ASN1_STRING_length(x), ASN1_STRING_length(y));
		assert_memory_equal(ASN1_STRING_get0_data(x), ASN1_STRING_get0_data(y),
				    (size_t)ASN1_STRING_length(x));
		X509_free(real_ask);
		X509_free(real_ark);
	}
}

static void test_tcb_parse(void **state)
{
	uint8_t t[8];
	static const uint8_t milan[8] = { 3, 0, 0, 0, 0, 0, 8, 0x73 };
	static const uint8_t turin[8] = { 0, 1, 0, 2, 0, 0, 0, 0x47 };

	(void)state;
	assert_int_equal(sim_tcb_parse(SIM_PRODUCT_MILAN, "bl=3,tee=0,snp=8,ucode=115", t), 0);
	assert_memory_equal(t, milan, 8);
	assert_int_equal(sim_tcb_parse(SIM_PRODUCT_MILAN, "0300000000000873", t), 0);
	assert_memory_equal(t, milan, 8);
	assert_int_equal(sim_tcb_parse(SIM_PRODUCT_MILAN, "0x7308000000000003", t), 0);
	assert_memory_equal(t, milan, 8);
	assert_int_equal(sim_tcb_parse(SIM_PRODUCT_TURIN, "fmc=0,bl=1,tee=0,snp=2,ucode=0x47", t), 0);
	assert_memory_equal(t, turin, 8);
	assert_int_equal(sim_tcb_parse(SIM_PRODUCT_MILAN, "fmc=1", t), -EINVAL);
	assert_int_equal(sim_tcb_parse(SIM_PRODUCT_MILAN, "bl=256", t), -EINVAL);
	assert_int_equal(sim_tcb_parse(SIM_PRODUCT_MILAN, "03", t), -EINVAL);
	assert_int_equal(sim_tcb_parse(SIM_PRODUCT_MILAN, "", t), -EINVAL);
}

/* ---- certificate table ---------------------------------------------------------------------- */

static void check_cert_table(const uint8_t *t, size_t len, const struct sim_snp_config *c)
{
	static const uint8_t guids[3][16] = { SNP_GUID_VCEK, SNP_GUID_ASK, SNP_GUID_ARK };
	X509 *certs[3];

	for (int i = 0; i < 3; i++) {
		const uint8_t *e = t + i * SNP_CERT_ENTRY_SIZE;
		uint32_t off = get_le32(e + SNP_CERT_ENTRY_OFFSET);
		uint32_t clen = get_le32(e + SNP_CERT_ENTRY_LENGTH);

		assert_memory_equal(e + SNP_CERT_ENTRY_GUID, guids[i], 16);
		assert_true(off >= 4 * SNP_CERT_ENTRY_SIZE);
		assert_true(off + clen <= len);
		certs[i] = der_to_x509(t + off, clen);
	}
	/* terminator: 24 zero bytes */
	assert_true(all_zero(t + 3 * SNP_CERT_ENTRY_SIZE, SNP_CERT_ENTRY_SIZE));
	assert_int_equal(X509_verify(certs[0], X509_get0_pubkey(certs[1])), 1);
	assert_int_equal(X509_verify(certs[1], X509_get0_pubkey(certs[2])), 1);
	assert_int_equal(X509_cmp(certs[2], sim_keys_ark_cert(keys, c->product)), 0);
	assert_int_equal(ext_int(certs[0], AMD_OID_UCODE_SPL),
			 c->reported_tcb[sim_product(c->product)->turin_like ?
					 SNP_TCB_TURIN_UCODE : SNP_TCB_LEGACY_UCODE]);
	for (int i = 0; i < 3; i++)
		X509_free(certs[i]);
}

static void test_cert_table(void **state)
{
	(void)state;
	for (int p = 0; p < SIM_PRODUCT_COUNT; p++) {
		struct sim_snp_config c;
		uint8_t *t = NULL;
		size_t len = 0;

		sim_snp_config_default(&c, p);
		assert_int_equal(sim_snp_build_cert_table(&c, keys, &t, &len), 0);
		assert_true(len <= SNP_CERTS_MAX);
		check_cert_table(t, len, &c);
		free(t);
	}
}

/* ---- derived keys ------------------------------------------------------------------------------ */

static void key_req(uint8_t req[32], uint32_t root, uint64_t gfs, uint32_t vmpl, uint32_t svn,
		    const uint8_t tcb[8])
{
	memset(req, 0, 32);
	put_le32(req, root);
	put_le64(req + 8, gfs);
	put_le32(req + 16, vmpl);
	put_le32(req + 20, svn);
	if (tcb)
		memcpy(req + 24, tcb, 8);
}

static void test_derived_key(void **state)
{
	struct sim_snp_config c, c2;
	uint8_t req[32], k1[32], k2[32], k3[32];

	(void)state;
	sim_snp_config_default(&c, SIM_PRODUCT_GENOA);
	key_req(req, 0, 0x9, 0, 1, NULL);		/* policy + measurement */
	assert_int_equal(sim_snp_derive_key(&c, req, k1), 0);
	assert_int_equal(sim_snp_derive_key(&c, req, k2), 0);
	assert_memory_equal(k1, k2, 32);
	assert_false(all_zero(k1, 32));
	/* another measurement changes a key that selects it, not one that does not */
	c2 = c;
	c2.measurement[0] ^= 1;
	assert_int_equal(sim_snp_derive_key(&c2, req, k3), 0);
	assert_memory_not_equal(k1, k3, 32);
	key_req(req, 0, 0x1, 0, 1, NULL);
	assert_int_equal(sim_snp_derive_key(&c, req, k1), 0);
	assert_int_equal(sim_snp_derive_key(&c2, req, k2), 0);
	assert_memory_equal(k1, k2, 32);
	/* VMRK differs from VCEK root */
	key_req(req, 1, 0x1, 0, 1, NULL);
	assert_int_equal(sim_snp_derive_key(&c, req, k3), 0);
	assert_memory_not_equal(k1, k3, 32);
	/* invalid requests */
	key_req(req, 2, 0, 0, 0, NULL);
	assert_int_equal(sim_snp_derive_key(&c, req, k1), SNP_FW_STATUS_INVALID_PARAM);
	assert_true(all_zero(k1, 32));
	key_req(req, 0, 0, 4, 0, NULL);
	assert_int_equal(sim_snp_derive_key(&c, req, k1), SNP_FW_STATUS_INVALID_PARAM);
	key_req(req, 0, 0, 0, c.guest_svn + 1, NULL);
	assert_int_equal(sim_snp_derive_key(&c, req, k1), SNP_FW_STATUS_INVALID_PARAM);
	key_req(req, 0, 1ULL << 6, 0, 0, NULL);	/* launch_mit_vector needs fw 1.58 */
	assert_int_equal(sim_snp_derive_key(&c, req, k1), SNP_FW_STATUS_INVALID_PARAM);
	{
		uint8_t future[8];

		memcpy(future, c.committed_tcb, 8);
		future[7]++;
		key_req(req, 0, 1 << 5, 0, 0, future);
		assert_int_equal(sim_snp_derive_key(&c, req, k1), SNP_FW_STATUS_INVALID_PARAM);
	}
	key_req(req, 0, 0, 0, 0, NULL);
	put_le32(req + 4, 1);				/* reserved */
	assert_int_equal(sim_snp_derive_key(&c, req, k1), SNP_FW_STATUS_INVALID_PARAM);
}

/* ---- TDX ------------------------------------------------------------------------------------------ */

static void build_tdreport(uint8_t r[TDX_REPORT_SIZE], bool debug)
{
	struct sim_tdx_config c;
	uint8_t rd[64];

	sim_tdx_config_default(&c);
	if (debug)
		c.td_attributes |= TDX_TD_ATTR_DEBUG;
	for (int i = 0; i < 64; i++)
		rd[i] = (uint8_t)(0xF0 - i);
	assert_int_equal(sim_tdx_build_report(&c, rd, r), 0);
}

static void test_tdreport(void **state)
{
	struct sim_tdx_config c;
	uint8_t r[TDX_REPORT_SIZE], h[48], mac[32];
	unsigned int mlen = 0;

	(void)state;
	sim_tdx_config_default(&c);
	build_tdreport(r, true);
	assert_int_equal(r[TDX_R_REPORTTYPE], 0x81);
	assert_int_equal(r[TDX_R_REPORTTYPE + 1], 0);
	assert_true(all_zero(r + 4, 12));
	assert_int_equal(get_le64(r + TDX_R_TD_ATTRIBUTES) & TDX_TD_ATTR_DEBUG, TDX_TD_ATTR_DEBUG);
	assert_int_equal(get_le64(r + TDX_R_XFAM), c.xfam);
	assert_memory_equal(r + TDX_R_MRTD, c.mrtd, 48);
	assert_memory_equal(r + TDX_R_RTMR0 + 3 * 48, c.rtmr[3], 48);
	assert_int_equal(r[TDX_R_REPORT_DATA], 0xF0);
	assert_int_equal(get_le64(r + TDX_R_TEE_TCB_VALID), 0x301FF);
	/* TEE_TCB_INFO_HASH = SHA-384(TEE_TCB_INFO, 239 B); TEE_INFO_HASH = SHA-384(TDINFO) */
	EVP_Digest(r + TDX_R_TEE_TCB_INFO, TDX_R_TEE_TCB_INFO_LEN, h, NULL, EVP_sha384(), NULL);
	assert_memory_equal(h, r + TDX_R_TEE_TCB_INFO_HASH, 48);
	EVP_Digest(r + TDX_R_TDINFO, TDX_R_TDINFO_LEN, h, NULL, EVP_sha384(), NULL);
	assert_memory_equal(h, r + TDX_R_TEE_INFO_HASH, 48);
	/* reserved bytes after TEE_TCB_INFO and in REPORTMACSTRUCT are zero */
	assert_true(all_zero(r + 0xC0, 32));
	assert_true(all_zero(r + TDX_R_TEE_TCB_INFO + TDX_R_TEE_TCB_INFO_LEN,
			     TDX_R_TDINFO - TDX_R_TEE_TCB_INFO - TDX_R_TEE_TCB_INFO_LEN));
	assert_true(all_zero(r + 0x3C0, 64));
	HMAC(EVP_sha256(), sim_tdx_cpu_key, 32, r, TDX_R_MAC, mac, &mlen);
	assert_memory_equal(mac, r + TDX_R_MAC, 32);
	assert_int_equal(sim_tdx_check_report(r), 0);
}

/* The real Azure TDREPORT's hashes are computed the same way (checks our offsets). */
static void test_real_tdreport_hashes(void **state)
{
	char path[512];
	uint8_t *hcl = NULL, h[48];
	size_t len = 0;
	const uint8_t *r;

	(void)state;
	snprintf(path, sizeof(path), "%s/azure/kinvolk-hcl-report-tdx.bin", SIM_TESTDATA);
	if (sim_read_file(path, &hcl, &len))
		skip();
	r = hcl + HCL_HW_REPORT;
	assert_int_equal(r[TDX_R_REPORTTYPE], 0x81);
	EVP_Digest(r + TDX_R_TEE_TCB_INFO, TDX_R_TEE_TCB_INFO_LEN, h, NULL, EVP_sha384(), NULL);
	assert_memory_equal(h, r + TDX_R_TEE_TCB_INFO_HASH, 48);
	EVP_Digest(r + TDX_R_TDINFO, TDX_R_TDINFO_LEN, h, NULL, EVP_sha384(), NULL);
	assert_memory_equal(h, r + TDX_R_TEE_INFO_HASH, 48);
	/* its MAC is the CPU's: the simulated QE must refuse it */
	assert_int_equal(sim_tdx_check_report(r), -EBADMSG);
	free(hcl);
}

struct quote_parts {
	const uint8_t *sd, *cd, *qe, *pem;
	uint32_t sd_len, cd_len, pem_len;
	uint16_t auth_len;
};

static void parse_quote(const uint8_t *q, size_t len, struct quote_parts *p)
{
	assert_true(len >= TDX_QUOTE_V4_MIN_LEN);
	assert_int_equal(get_le16(q + TDX_Q_VERSION), 4);
	assert_int_equal(get_le16(q + TDX_Q_ATT_KEY_TYPE), 2);
	assert_int_equal(get_le32(q + TDX_Q_TEE_TYPE), 0x81);
	p->sd_len = get_le32(q + TDX_Q4_SIG_DATA_LEN);
	assert_true(TDX_Q4_SIG_DATA + (size_t)p->sd_len <= len);
	p->sd = q + TDX_Q4_SIG_DATA;
	assert_int_equal(get_le16(p->sd + TDX_SD_CERT_TYPE), TDX_CERT_TYPE_QE_REPORT);
	p->cd_len = get_le32(p->sd + TDX_SD_CERT_SIZE);
	assert_int_equal(p->cd_len, p->sd_len - TDX_SD_CERT_DATA);
	p->cd = p->sd + TDX_SD_CERT_DATA;
	p->qe = p->cd + TDX_QE_REPORT;
	p->auth_len = get_le16(p->cd + TDX_QE_AUTH_SIZE);
	assert_int_equal(get_le16(p->cd + TDX_QE_AUTH_DATA + p->auth_len), TDX_CERT_TYPE_PCK_CHAIN);
	p->pem_len = get_le32(p->cd + TDX_QE_AUTH_DATA + p->auth_len + 2);
	assert_int_equal(TDX_QE_AUTH_DATA + p->auth_len + 6 + p->pem_len, p->cd_len);
	p->pem = p->cd + TDX_QE_AUTH_DATA + p->auth_len + 6;
}

static void test_tdx_quote(void **state)
{
	static const uint8_t vendor[16] = TDX_QE_VENDOR_ID_INTEL;
	uint8_t r[TDX_REPORT_SIZE], *q = NULL, *buf, h[32];
	size_t len = 0;
	struct quote_parts p;
	EVP_PKEY *att;
	X509 *chain[3] = { NULL, NULL, NULL };
	BIO *bio;
	X509_STORE *store;
	X509_STORE_CTX *ctx;
	STACK_OF(X509) *untrusted;

	(void)state;
	build_tdreport(r, false);
	assert_int_equal(sim_tdx_quote(keys, r, &q, &len), 0);
	parse_quote(q, len, &p);
	assert_int_equal(len, TDX_Q4_SIG_DATA + p.sd_len);
	assert_memory_equal(q + TDX_Q_QE_VENDOR_ID, vendor, 16);
	/* body = TDREPORT fields */
	assert_memory_equal(q + TDX_Q4_BODY + TDX_QB_TEE_TCB_SVN, r + TDX_R_TEE_TCB_SVN, 16);
	assert_memory_equal(q + TDX_Q4_BODY + TDX_QB_MRSEAM, r + TDX_R_MRSEAM, 48);
	assert_memory_equal(q + TDX_Q4_BODY + TDX_QB_TD_ATTRIBUTES, r + TDX_R_TD_ATTRIBUTES, 8);
	assert_memory_equal(q + TDX_Q4_BODY + TDX_QB_XFAM, r + TDX_R_XFAM, 8);
	assert_memory_equal(q + TDX_Q4_BODY + TDX_QB_MRTD, r + TDX_R_MRTD, 48);
	assert_memory_equal(q + TDX_Q4_BODY + TDX_QB_MROWNERCONFIG, r + TDX_R_MROWNERCONFIG, 48);
	assert_memory_equal(q + TDX_Q4_BODY + TDX_QB_RTMR0, r + TDX_R_RTMR0, 4 * 48);
	assert_memory_equal(q + TDX_Q4_BODY + TDX_QB_REPORT_DATA, r + TDX_R_REPORT_DATA, 64);

	/* 1: the attestation key signs header || body */
	{
		uint8_t pt[65] = { 0x04 };
		EVP_PKEY_CTX *kctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
		OSSL_PARAM params[3];

		memcpy(pt + 1, p.sd + TDX_SD_ATT_KEY, 64);
		params[0] = OSSL_PARAM_construct_utf8_string("group", "P-256", 0);
		params[1] = OSSL_PARAM_construct_octet_string("pub", pt, sizeof(pt));
		params[2] = OSSL_PARAM_construct_end();
		att = NULL;
		assert_int_equal(EVP_PKEY_fromdata_init(kctx), 1);
		assert_int_equal(EVP_PKEY_fromdata(kctx, &att, EVP_PKEY_PUBLIC_KEY, params), 1);
		EVP_PKEY_CTX_free(kctx);
	}
	assert_true(verify_ecdsa_rs(att, EVP_sha256(), q, TDX_QUOTE_HEADER_LEN + TDX_QUOTE_BODY_V4_LEN,
				    p.sd + TDX_SD_QUOTE_SIG, 32));
	/* 2: the PCK leaf signs the QE report */
	bio = BIO_new_mem_buf(p.pem, (int)p.pem_len);
	for (int i = 0; i < 3; i++) {
		chain[i] = PEM_read_bio_X509(bio, NULL, NULL, NULL);
		assert_non_null(chain[i]);
	}
	BIO_free(bio);
	check_subject_cn(chain[0], "Intel SGX PCK Certificate");
	check_subject_cn(chain[1], "Intel SGX PCK Platform CA");
	check_subject_cn(chain[2], "Intel SGX Root CA");
	assert_true(verify_ecdsa_rs(X509_get0_pubkey(chain[0]), EVP_sha256(), p.qe, TDX_QE_REPORT_LEN,
				    p.cd + TDX_QE_REPORT_SIG, 32));
	/* 3: QE REPORTDATA = SHA-256(attestation key || QE auth data) || 0^32 */
	buf = malloc(64 + p.auth_len);
	memcpy(buf, p.sd + TDX_SD_ATT_KEY, 64);
	memcpy(buf + 64, p.cd + TDX_QE_AUTH_DATA, p.auth_len);
	SHA256(buf, 64 + p.auth_len, h);
	free(buf);
	assert_memory_equal(p.qe + SGX_RB_REPORT_DATA, h, 32);
	assert_true(all_zero(p.qe + SGX_RB_REPORT_DATA + 32, 32));
	/* 4: the chain validates to the test root; the leaf has the SGX extension */
	store = X509_STORE_new();
	ctx = X509_STORE_CTX_new();
	untrusted = sk_X509_new_null();
	assert_int_equal(X509_STORE_add_cert(store, sim_keys_intel_root_cert(keys)), 1);
	assert_int_equal(X509_cmp(chain[2], sim_keys_intel_root_cert(keys)), 0);
	sk_X509_push(untrusted, chain[1]);
	assert_int_equal(X509_STORE_CTX_init(ctx, store, chain[0], untrusted), 1);
	if (X509_verify_cert(ctx) != 1)
		fail_msg("PCK chain: %s", X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx)));
	assert_non_null(ext_value(chain[0], INTEL_OID_SGX_EXTENSIONS));
	X509_STORE_CTX_free(ctx);
	sk_X509_free(untrusted);
	X509_STORE_free(store);
	for (int i = 0; i < 3; i++)
		X509_free(chain[i]);
	EVP_PKEY_free(att);
	free(q);
}

/* Our quote has the layout of the real SPR quote: same offsets, sizes and types. */
static void test_tdx_quote_shape_matches_real(void **state)
{
	char path[512];
	uint8_t *real = NULL, r[TDX_REPORT_SIZE], *q = NULL;
	size_t rlen = 0, len = 0;
	struct quote_parts a, b;
	X509 *ra, *rb;
	BIO *bio;
	char sa[4096], sb[4096];

	(void)state;
	snprintf(path, sizeof(path), "%s/tdx/gtg-v4-quote-spr-e4.bin", SIM_TESTDATA);
	if (sim_read_file(path, &real, &rlen))
		skip();
	build_tdreport(r, false);
	assert_int_equal(sim_tdx_quote(keys, r, &q, &len), 0);
	parse_quote(real, rlen, &a);
	parse_quote(q, len, &b);
	assert_memory_equal(real, q, 12);		/* version, key type, TEE, reserved */
	assert_memory_equal(real + TDX_Q_QE_VENDOR_ID, q + TDX_Q_QE_VENDOR_ID, 16);
	assert_int_equal(a.auth_len, b.auth_len);
	assert_memory_equal(a.cd + TDX_QE_AUTH_DATA, b.cd + TDX_QE_AUTH_DATA, a.auth_len);
	/* QE identity fields */
	assert_memory_equal(a.qe + SGX_RB_ATTRIBUTES, b.qe + SGX_RB_ATTRIBUTES, 16);
	assert_memory_equal(a.qe + SGX_RB_MRSIGNER, b.qe + SGX_RB_MRSIGNER, 32);
	assert_memory_equal(a.qe + SGX_RB_ISVPRODID, b.qe + SGX_RB_ISVPRODID, 4);
	/* the PCK leaves have the same extension list and SGX extension layout */
	bio = BIO_new_mem_buf(a.pem, (int)a.pem_len);
	ra = PEM_read_bio_X509(bio, NULL, NULL, NULL);
	BIO_free(bio);
	bio = BIO_new_mem_buf(b.pem, (int)b.pem_len);
	rb = PEM_read_bio_X509(bio, NULL, NULL, NULL);
	BIO_free(bio);
	assert_non_null(ra);
	assert_non_null(rb);
	ext_shape(ra, sa, sizeof(sa));
	ext_shape(rb, sb, sizeof(sb));
	assert_string_equal(sa, sb);
	{
		const ASN1_OCTET_STRING *x = ext_value(ra, INTEL_OID_SGX_EXTENSIONS);
		const ASN1_OCTET_STRING *y = ext_value(rb, INTEL_OID_SGX_EXTENSIONS);

		assert_int_equal(ASN1_STRING_length(x), ASN1_STRING_length(y));
	}
	assert_int_equal(X509_NAME_cmp(X509_get_subject_name(ra), X509_get_subject_name(rb)), 0);
	assert_int_equal(X509_NAME_cmp(X509_get_issuer_name(ra), X509_get_issuer_name(rb)), 0);
	X509_free(ra);
	X509_free(rb);
	free(real);
	free(q);
}

static void test_qgs_refuses_tampered(void **state)
{
	/* one bit in: REPORTTYPE, CPUSVN, a hash, REPORTDATA, MAC, TEE_TCB_INFO, TDINFO, RTMR3 */
	static const size_t offs[] = {
		0x000, 0x010, TDX_R_TEE_TCB_INFO_HASH + 5, TDX_R_TEE_INFO_HASH, TDX_R_REPORT_DATA + 63,
		TDX_R_MAC + 31, TDX_R_MRSEAM + 1, TDX_R_TEE_TCB_INFO + 238, TDX_R_TD_ATTRIBUTES,
		TDX_R_RTMR0 + 191, TDX_R_TDINFO + 511,
	};
	uint8_t r[TDX_REPORT_SIZE], *q = NULL;
	size_t len = 0;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(offs); i++) {
		build_tdreport(r, false);
		r[offs[i]] ^= 0x10;
		assert_int_equal(sim_tdx_quote(keys, r, &q, &len), -EBADMSG);
		assert_null(q);
	}
}

/* ---- the driver model ------------------------------------------------------------------------------ */

/* User memory of the host tests: only registered buffers are mapped. */
struct fake_mem {
	struct simdev_mem ops;
	struct {
		void *p;
		size_t len;
		bool ro;
	} r[8];
	int n;
	int writes;			/* copy_to_user calls */
};

static int fm_find(struct fake_mem *f, uint64_t addr, size_t len, bool write)
{
	for (int i = 0; i < f->n; i++) {
		uint64_t a = (uint64_t)(uintptr_t)f->r[i].p;

		if (addr >= a && len <= f->r[i].len && addr - a <= f->r[i].len - len)
			return write && f->r[i].ro ? -1 : i;
	}
	return -1;
}

static int fm_read(struct simdev_mem *m, uint64_t addr, void *dst, size_t len)
{
	struct fake_mem *f = (struct fake_mem *)m;

	if (fm_find(f, addr, len, false) < 0)
		return -EFAULT;
	memcpy(dst, (void *)(uintptr_t)addr, len);
	return 0;
}

static int fm_write(struct simdev_mem *m, uint64_t addr, const void *src, size_t len)
{
	struct fake_mem *f = (struct fake_mem *)m;

	f->writes++;
	if (fm_find(f, addr, len, true) < 0)
		return -EFAULT;
	memcpy((void *)(uintptr_t)addr, src, len);
	return 0;
}

static void fm_add(struct fake_mem *f, void *p, size_t len, bool ro)
{
	f->r[f->n].p = p;
	f->r[f->n].len = len;
	f->r[f->n].ro = ro;
	f->n++;
}

struct snp_bufs {
	struct cvm_snp_guest_request_ioctl io;
	struct cvm_snp_ext_report_req req;	/* .data doubles as snp_report_req */
	struct cvm_snp_report_resp resp;
	struct cvm_snp_derived_key_req kreq;
	struct cvm_snp_derived_key_resp kresp;
	uint8_t certs[5 * 4096];
	struct fake_mem mem;
};

static struct simdev *new_dev(enum simdev_platform plat)
{
	struct simdev *d = calloc(1, sizeof(*d));

	assert_non_null(d);
	d->platform = plat;
	d->keys = keys;
	sim_snp_config_default(&d->snp, SIM_PRODUCT_MILAN);
	sim_tdx_config_default(&d->tdx);
	d->host_certs = true;
	d->retry_delay_ms = 5;
	d->retry_max_ms = 60;
	assert_int_equal(simdev_init(d), 0);
	return d;
}

static void free_dev(struct simdev *d)
{
	simdev_destroy(d);
	free(d);
}

static void snp_bufs_init(struct snp_bufs *b)
{
	memset(b, 0, sizeof(*b));
	b->mem.ops.read = fm_read;
	b->mem.ops.write = fm_write;
	fm_add(&b->mem, &b->io, sizeof(b->io), false);
	fm_add(&b->mem, &b->req, sizeof(b->req), false);
	fm_add(&b->mem, &b->resp, sizeof(b->resp), false);
	fm_add(&b->mem, &b->kreq, sizeof(b->kreq), false);
	fm_add(&b->mem, &b->kresp, sizeof(b->kresp), false);
	fm_add(&b->mem, b->certs, sizeof(b->certs), false);
	b->io.msg_version = 1;
	b->io.req_data = (uintptr_t)&b->req;
	b->io.resp_data = (uintptr_t)&b->resp;
	b->io.exitinfo2 = 0x1234;		/* to see whether it is written back */
	for (int i = 0; i < 64; i++)
		b->req.data.user_data[i] = (uint8_t)i;
}

static long snp_call(struct simdev *d, struct snp_bufs *b, unsigned int cmd)
{
	b->mem.writes = 0;
	return simdev_ioctl(d, cmd, (uintptr_t)&b->io, &b->mem.ops);
}

static void expect_good_report(struct simdev *d, struct snp_bufs *b)
{
	X509 *vcek = issue_vcek(&d->snp);

	assert_int_equal(get_le32(b->resp.data + SNP_MSG_REPORT_RSP_STATUS), 0);
	assert_int_equal(get_le32(b->resp.data + SNP_MSG_REPORT_RSP_SIZE), SNP_REPORT_SIZE);
	assert_true(all_zero(b->resp.data + 8, 24));
	assert_true(all_zero(b->resp.data + SNP_MSG_REPORT_RSP_REPORT + SNP_REPORT_SIZE,
			     SNP_MSG_REPORT_RSP_LEN - SNP_MSG_REPORT_RSP_REPORT - SNP_REPORT_SIZE));
	assert_memory_equal(b->resp.data + SNP_MSG_REPORT_RSP_REPORT + SNP_R_REPORT_DATA,
			    b->req.data.user_data, 64);
	assert_true(snp_report_verifies(b->resp.data + SNP_MSG_REPORT_RSP_REPORT,
					X509_get0_pubkey(vcek)));
	X509_free(vcek);
}

static void test_simdev_get_report(void **state)
{
	struct simdev *d = new_dev(SIMDEV_SNP);
	struct snp_bufs b;

	(void)state;
	snp_bufs_init(&b);
	assert_int_equal(snp_call(d, &b, CVM_SNP_GET_REPORT), 0);
	expect_good_report(d, &b);
	/* success: exitinfo2 is 0, so the ioctl struct is not written back */
	assert_int_equal(b.io.exitinfo2, 0x1234);
	assert_int_equal(b.mem.writes, 1);
	/* VMPL 3 is fine and lands in the report */
	b.req.data.vmpl = 3;
	assert_int_equal(snp_call(d, &b, CVM_SNP_GET_REPORT), 0);
	assert_int_equal(get_le32(b.resp.data + SNP_MSG_REPORT_RSP_REPORT + SNP_R_VMPL), 3);
	assert_int_equal(d->msg_seqno, 4);
	assert_false(d->vmpck_wiped);
	free_dev(d);
}

static void test_simdev_bad_input_no_wipe(void **state)
{
	struct simdev *d = new_dev(SIMDEV_SNP);
	struct snp_bufs b;

	(void)state;
	/* msg_version 0: -EINVAL, nothing written */
	snp_bufs_init(&b);
	b.io.msg_version = 0;
	assert_int_equal(snp_call(d, &b, CVM_SNP_GET_REPORT), -EINVAL);
	assert_int_equal(b.mem.writes, 0);
	/* NULL request or response pointer: -EINVAL, exitinfo2 = 0xff written back */
	snp_bufs_init(&b);
	b.io.req_data = 0;
	assert_int_equal(snp_call(d, &b, CVM_SNP_GET_REPORT), -EINVAL);
	assert_int_equal(b.io.exitinfo2, 0xff);
	snp_bufs_init(&b);
	b.io.resp_data = 0;
	assert_int_equal(snp_call(d, &b, CVM_SNP_GET_EXT_REPORT), -EINVAL);
	assert_int_equal(b.io.exitinfo2, 0xff);
	/* unmapped request: -EFAULT (and 0xff written back) */
	snp_bufs_init(&b);
	b.io.req_data = 0x1000;
	assert_int_equal(snp_call(d, &b, CVM_SNP_GET_REPORT), -EFAULT);
	assert_int_equal(b.io.exitinfo2, 0xff);
	/* unmapped ioctl struct: -EFAULT */
	snp_bufs_init(&b);
	assert_int_equal(simdev_ioctl(d, CVM_SNP_GET_REPORT, 0x2000, &b.mem.ops), -EFAULT);
	/* unknown command: -ENOTTY with 0xff written back */
	snp_bufs_init(&b);
	assert_int_equal(snp_call(d, &b, _IOWR('S', 3, struct cvm_snp_guest_request_ioctl)), -ENOTTY);
	assert_int_equal(b.io.exitinfo2, 0xff);
	/* VMPL 4: the firmware answers INVALID_PARAM in the message, the ioctl succeeds */
	snp_bufs_init(&b);
	b.req.data.vmpl = 4;
	assert_int_equal(snp_call(d, &b, CVM_SNP_GET_REPORT), 0);
	assert_int_equal(get_le32(b.resp.data + SNP_MSG_REPORT_RSP_STATUS), SNP_FW_STATUS_INVALID_PARAM);
	assert_int_equal(get_le32(b.resp.data + SNP_MSG_REPORT_RSP_SIZE), 0);
	assert_int_equal(b.io.exitinfo2, 0x1234);
	/* non-zero reserved bytes: same */
	snp_bufs_init(&b);
	b.req.data.rsvd[27] = 1;
	assert_int_equal(snp_call(d, &b, CVM_SNP_GET_REPORT), 0);
	assert_int_equal(get_le32(b.resp.data + SNP_MSG_REPORT_RSP_STATUS), SNP_FW_STATUS_INVALID_PARAM);
	/* certificate lengths the driver rejects before the firmware: -EINVAL */
	snp_bufs_init(&b);
	b.req.certs_address = (uintptr_t)b.certs;
	b.req.certs_len = 4097;
	assert_int_equal(snp_call(d, &b, CVM_SNP_GET_EXT_REPORT), -EINVAL);
	b.req.certs_len = 5 * 4096;
	assert_int_equal(snp_call(d, &b, CVM_SNP_GET_EXT_REPORT), -EINVAL);
	/* a kernel address: access_ok() fails, -EFAULT */
	b.req.certs_address = 0xffff888000000000ULL;
	b.req.certs_len = 4096;
	assert_int_equal(snp_call(d, &b, CVM_SNP_GET_EXT_REPORT), -EFAULT);
	/* bad response pointer: the request ran, the copy-out faults, no wipe */
	snp_bufs_init(&b);
	b.io.resp_data = 0x3000;
	assert_int_equal(snp_call(d, &b, CVM_SNP_GET_REPORT), -EFAULT);

	assert_false(d->vmpck_wiped);
	snp_bufs_init(&b);
	assert_int_equal(snp_call(d, &b, CVM_SNP_GET_REPORT), 0);
	expect_good_report(d, &b);
	free_dev(d);
}

static void test_simdev_ext_report(void **state)
{
	struct simdev *d = new_dev(SIMDEV_SNP);
	struct snp_bufs b;
	uint32_t need;

	(void)state;
	/* certs_len 0: too small -> -EIO, vmm_error 1, required length written back */
	snp_bufs_init(&b);
	b.req.certs_address = (uintptr_t)b.certs;
	assert_int_equal(snp_call(d, &b, CVM_SNP_GET_EXT_REPORT), -EIO);
	assert_int_equal(b.io.exitinfo2, 1ULL << 32);
	assert_int_equal(b.io.fw_error, 0);
	assert_int_equal(b.io.vmm_error, 1);
	need = b.req.certs_len;
	assert_int_equal(need, ((d->certs_len + 4095) / 4096) * 4096);
	assert_true(all_zero(b.resp.data, sizeof(b.resp.data)));
	assert_false(d->vmpck_wiped);
	/* one page short: the same */
	snp_bufs_init(&b);
	b.req.certs_address = (uintptr_t)b.certs;
	b.req.certs_len = need - 4096;
	assert_int_equal(snp_call(d, &b, CVM_SNP_GET_EXT_REPORT), -EIO);
	assert_int_equal(b.req.certs_len, need);
	/* the right size: report and certificates */
	snp_bufs_init(&b);
	memset(b.certs, 0xAA, sizeof(b.certs));
	b.req.certs_address = (uintptr_t)b.certs;
	b.req.certs_len = need;
	assert_int_equal(snp_call(d, &b, CVM_SNP_GET_EXT_REPORT), 0);
	expect_good_report(d, &b);
	check_cert_table(b.certs, need, &d->snp);
	assert_true(all_zero(b.certs + d->certs_len, need - d->certs_len));
	assert_int_equal(b.certs[need], 0xAA);		/* nothing past certs_len */
	assert_int_equal(b.io.exitinfo2, 0x1234);
	/* a bigger buffer is fine too */
	b.req.certs_len = need + 4096;
	assert_int_equal(snp_call(d, &b, CVM_SNP_GET_EXT_REPORT), 0);
	/* host without certificates: no INVALID_LEN, the buffer comes back zeroed */
	assert_int_equal(simdev_control(d, "host_certs off"), 0);
	memset(b.certs, 0xAA, sizeof(b.certs));
	assert_int_equal(snp_call(d, &b, CVM_SNP_GET_EXT_REPORT), 0);
	assert_true(all_zero(b.certs, need + 4096));
	b.req.certs_len = 0;
	assert_int_equal(snp_call(d, &b, CVM_SNP_GET_EXT_REPORT), 0);
	expect_good_report(d, &b);
	assert_false(d->vmpck_wiped);
	free_dev(d);
}

static void expect_wiped_then_enotty(struct simdev *d)
{
	struct snp_bufs b;

	assert_true(d->vmpck_wiped);
	snp_bufs_init(&b);
	assert_int_equal(snp_call(d, &b, CVM_SNP_GET_REPORT), -ENOTTY);
	assert_int_equal(b.mem.writes, 0);
	assert_int_equal(b.io.exitinfo2, 0x1234);
	assert_int_equal(snp_call(d, &b, CVM_SNP_GET_DERIVED_KEY), -ENOTTY);
	assert_int_equal(snp_call(d, &b, CVM_SNP_GET_EXT_REPORT), -ENOTTY);
}

static void test_simdev_wipe_on_msg_version(void **state)
{
	struct simdev *d = new_dev(SIMDEV_SNP);
	struct snp_bufs b;

	(void)state;
	snp_bufs_init(&b);
	b.io.msg_version = 2;
	assert_int_equal(snp_call(d, &b, CVM_SNP_GET_REPORT), -EIO);
	assert_int_equal(b.io.fw_error, SNP_FW_STATUS_INVALID_PARAM);
	assert_int_equal(b.io.vmm_error, 0);
	expect_wiped_then_enotty(d);
	/* a reboot brings it back */
	assert_int_equal(simdev_control(d, "reboot"), 0);
	snp_bufs_init(&b);
	assert_int_equal(snp_call(d, &b, CVM_SNP_GET_REPORT), 0);
	free_dev(d);
}

/* The same wipe as sev-guest of 6.14+ and 7.x handles it: arguments first. */
static void test_simdev_wipe_kernel_614(void **state)
{
	struct simdev *d = new_dev(SIMDEV_SNP);
	struct snp_bufs b;
	char *s;

	(void)state;
	assert_int_equal(simdev_control(d, "kernel 6.13"), 0);
	s = simdev_state(d);
	assert_non_null(strstr(s, "kernel=6.13\n"));
	assert_non_null(strstr(s, "abi=sev-guest of Debian 6.1.192 to 6.13 "));
	free(s);
	assert_int_equal(simdev_control(d, "kernel 7.2.13+deb14-amd64"), 0);
	s = simdev_state(d);
	assert_non_null(strstr(s, "kernel=7.2\n"));
	assert_non_null(strstr(s, "abi=sev-guest of 6.14+ "));
	free(s);
	assert_int_equal(simdev_control(d, "kernel six"), -EINVAL);
	assert_int_equal(simdev_control(d, "kernel"), -EINVAL);
	assert_int_equal(d->kernel, SIMDEV_KERNEL(7, 2));

	snp_bufs_init(&b);
	assert_int_equal(snp_call(d, &b, CVM_SNP_GET_REPORT), 0);
	assert_int_equal(simdev_control(d, "corrupt_response"), 0);
	assert_int_equal(snp_call(d, &b, CVM_SNP_GET_REPORT), -EBADMSG);
	assert_true(d->vmpck_wiped);
	/* wiped: a good request is -ENOTTY, exitinfo2 is not written back */
	snp_bufs_init(&b);
	assert_int_equal(snp_call(d, &b, CVM_SNP_GET_REPORT), -ENOTTY);
	assert_int_equal(b.mem.writes, 0);
	assert_int_equal(b.io.exitinfo2, 0x1234);
	/* ... but bad arguments are found first, unlike 6.1 to 6.13 */
	b.io.resp_data = 0;
	assert_int_equal(snp_call(d, &b, CVM_SNP_GET_REPORT), -EINVAL);
	snp_bufs_init(&b);
	b.req.certs_address = (uintptr_t)b.certs;
	b.req.certs_len = 100;		/* not whole pages */
	assert_int_equal(snp_call(d, &b, CVM_SNP_GET_EXT_REPORT), -EINVAL);
	b.io.req_data = 0x10;		/* unmapped */
	assert_int_equal(snp_call(d, &b, CVM_SNP_GET_DERIVED_KEY), -EFAULT);
	/* the same requests on the 6.1 model: -ENOTTY for all */
	assert_int_equal(simdev_control(d, "kernel 6.1"), 0);
	assert_int_equal(snp_call(d, &b, CVM_SNP_GET_DERIVED_KEY), -ENOTTY);
	b.io.req_data = (uintptr_t)&b.req;
	assert_int_equal(snp_call(d, &b, CVM_SNP_GET_EXT_REPORT), -ENOTTY);
	free_dev(d);
}

static void test_simdev_parse_kernel(void **state)
{
	(void)state;
	assert_int_equal(simdev_parse_kernel("6.1.0-57-amd64"), SIMDEV_KERNEL(6, 1));
	assert_int_equal(simdev_parse_kernel("6.12.117+deb13-amd64"), SIMDEV_KERNEL(6, 12));
	assert_int_equal(simdev_parse_kernel("6.16"), SIMDEV_KERNEL(6, 16));
	assert_int_equal(simdev_parse_kernel("7.2.13+deb14-amd64"), SIMDEV_KERNEL(7, 2));
	assert_int_equal(simdev_parse_kernel("6"), 0);
	assert_int_equal(simdev_parse_kernel("6.x"), 0);
	assert_int_equal(simdev_parse_kernel("6.1x"), 0);
	assert_int_equal(simdev_parse_kernel(""), 0);
}

static void test_simdev_injected_errors(void **state)
{
	struct simdev *d;
	struct snp_bufs b;

	(void)state;
	/* firmware error */
	d = new_dev(SIMDEV_SNP);
	assert_int_equal(simdev_control(d, "fw_error 0x16"), 0);
	snp_bufs_init(&b);
	assert_int_equal(snp_call(d, &b, CVM_SNP_GET_REPORT), -EIO);
	assert_int_equal(b.io.exitinfo2, 0x16);
	expect_wiped_then_enotty(d);
	free_dev(d);

	/* generic VMM error */
	d = new_dev(SIMDEV_SNP);
	assert_int_equal(simdev_control(d, "vmm_error 0x80000000"), 0);
	snp_bufs_init(&b);
	assert_int_equal(snp_call(d, &b, CVM_SNP_GET_REPORT), -EIO);
	assert_int_equal(b.io.exitinfo2, 0x80000000ULL << 32);
	expect_wiped_then_enotty(d);
	free_dev(d);

	/* a tampered response: -EBADMSG and wipe, exitinfo2 0 not written */
	d = new_dev(SIMDEV_SNP);
	assert_int_equal(simdev_control(d, "corrupt_response"), 0);
	snp_bufs_init(&b);
	assert_int_equal(snp_call(d, &b, CVM_SNP_GET_REPORT), -EBADMSG);
	assert_int_equal(b.io.exitinfo2, 0x1234);
	expect_wiped_then_enotty(d);
	free_dev(d);

	/* throttled a few times: retried inside, success */
	d = new_dev(SIMDEV_SNP);
	assert_int_equal(simdev_control(d, "vmm_busy 3"), 0);
	snp_bufs_init(&b);
	assert_int_equal(snp_call(d, &b, CVM_SNP_GET_REPORT), 0);
	expect_good_report(d, &b);
	assert_int_equal(d->st.throttled, 3);
	assert_false(d->vmpck_wiped);
	/* throttled longer than the retry limit: -ETIMEDOUT and wipe */
	assert_int_equal(simdev_control(d, "vmm_busy 1000"), 0);
	snp_bufs_init(&b);
	assert_int_equal(snp_call(d, &b, CVM_SNP_GET_REPORT), -ETIMEDOUT);
	assert_int_equal(b.io.exitinfo2, 2ULL << 32);
	expect_wiped_then_enotty(d);
	free_dev(d);

	/* the host says "too small" although it is not: no wipe, larger length back */
	d = new_dev(SIMDEV_SNP);
	assert_int_equal(simdev_control(d, "invalid_len"), 0);
	snp_bufs_init(&b);
	b.req.certs_address = (uintptr_t)b.certs;
	b.req.certs_len = 2 * 4096;
	assert_int_equal(snp_call(d, &b, CVM_SNP_GET_EXT_REPORT), -EIO);
	assert_int_equal(b.io.exitinfo2, 1ULL << 32);
	assert_int_equal(b.req.certs_len, 3 * 4096);
	assert_false(d->vmpck_wiped);
	assert_int_equal(snp_call(d, &b, CVM_SNP_GET_EXT_REPORT), 0);
	/* ... or asks for more than the driver allows: the caller cannot comply */
	assert_int_equal(simdev_control(d, "invalid_len 5"), 0);
	assert_int_equal(snp_call(d, &b, CVM_SNP_GET_EXT_REPORT), -EIO);
	assert_int_equal(b.req.certs_len, 5 * 4096);
	assert_int_equal(snp_call(d, &b, CVM_SNP_GET_EXT_REPORT), -EINVAL);
	assert_false(d->vmpck_wiped);
	free_dev(d);
}

/*
 * 6.1.192's __handle_guest_request overrides exitinfo2 with INVALID_LEN
 * even when the plain re-send failed, so that request returns -EIO without
 * a wipe; the firmware did not advance its sequence number though, so the
 * next request is refused and that one wipes.  The model reproduces it.
 */
static void test_simdev_invalid_len_then_fw_error(void **state)
{
	struct simdev *d = new_dev(SIMDEV_SNP);
	struct snp_bufs b;

	(void)state;
	assert_int_equal(simdev_control(d, "fw_error 0x27"), 0);
	snp_bufs_init(&b);
	b.req.certs_address = (uintptr_t)b.certs;
	assert_int_equal(snp_call(d, &b, CVM_SNP_GET_EXT_REPORT), -EIO);
	assert_int_equal(b.io.exitinfo2, 1ULL << 32);
	assert_false(d->vmpck_wiped);
	snp_bufs_init(&b);
	assert_int_equal(snp_call(d, &b, CVM_SNP_GET_REPORT), -EIO);
	assert_int_equal(b.io.exitinfo2, SNP_FW_STATUS_INVALID_PARAM);
	assert_true(d->vmpck_wiped);
	free_dev(d);
}

static void test_simdev_derived_key(void **state)
{
	struct simdev *d = new_dev(SIMDEV_SNP);
	struct snp_bufs b;
	uint8_t key[32], req[32];

	(void)state;
	snp_bufs_init(&b);
	b.io.req_data = (uintptr_t)&b.kreq;
	b.io.resp_data = (uintptr_t)&b.kresp;
	b.kreq.guest_field_select = 0x9;
	assert_int_equal(snp_call(d, &b, CVM_SNP_GET_DERIVED_KEY), 0);
	assert_int_equal(get_le32(b.kresp.data + SNP_MSG_KEY_RSP_STATUS), 0);
	memcpy(req, &b.kreq, 32);
	assert_int_equal(sim_snp_derive_key(&d->snp, req, key), 0);
	assert_memory_equal(b.kresp.data + SNP_MSG_KEY_RSP_KEY, key, 32);
	b.kreq.vmpl = 7;
	assert_int_equal(snp_call(d, &b, CVM_SNP_GET_DERIVED_KEY), 0);
	assert_int_equal(get_le32(b.kresp.data + SNP_MSG_KEY_RSP_STATUS), SNP_FW_STATUS_INVALID_PARAM);
	assert_true(all_zero(b.kresp.data + SNP_MSG_KEY_RSP_KEY, 32));
	assert_false(d->vmpck_wiped);
	free_dev(d);
}

static void test_simdev_control_and_state(void **state)
{
	struct simdev *d = new_dev(SIMDEV_SNP);
	char *s;

	(void)state;
	assert_int_equal(simdev_control(d, ""), 0);
	assert_int_equal(simdev_control(d, "# comment"), 0);
	assert_int_equal(simdev_control(d, "bogus"), -EINVAL);
	assert_int_equal(simdev_control(d, "fw_error"), -EINVAL);
	assert_int_equal(simdev_control(d, "fw_error 0"), -EINVAL);
	assert_int_equal(simdev_control(d, "fw_error 0x16 extra"), -EINVAL);
	assert_int_equal(simdev_control(d, "vmm_busy x"), -EINVAL);
	assert_int_equal(simdev_control(d, "host_certs maybe"), -EINVAL);
	assert_int_equal(simdev_control(d, "latency_ms 3"), 0);
	assert_int_equal(simdev_control(d, "fw_error 22"), 0);
	s = simdev_state(d);
	assert_non_null(s);
	assert_non_null(strstr(s, "vmpck_wiped=no\n"));
	assert_non_null(strstr(s, "kernel=6.1\n"));
	assert_non_null(strstr(s, "abi=sev-guest of Debian 6.1.192 to 6.13 "));
	assert_non_null(strstr(s, "pending_fw_error=0x16\n"));
	assert_non_null(strstr(s, "latency_ms=3\n"));
	free(s);
	assert_int_equal(simdev_control(d, "clear"), 0);
	s = simdev_state(d);
	assert_non_null(strstr(s, "pending_fw_error=none\n"));
	assert_non_null(strstr(s, "latency_ms=3\n"));
	free(s);
	assert_int_equal(simdev_control(d, "clear all"), 0);
	s = simdev_state(d);
	assert_non_null(strstr(s, "latency_ms=0\n"));
	free(s);
	free_dev(d);
}

static void test_simdev_tdx(void **state)
{
	struct simdev *d = new_dev(SIMDEV_TDX);
	struct cvm_tdx_report_req *req = calloc(1, sizeof(*req));
	struct fake_mem m = { .ops = { fm_read, fm_write } };
	uint64_t arg = (uintptr_t)req;

	(void)state;
	assert_non_null(req);
	fm_add(&m, req, sizeof(*req), false);
	memset(req->reportdata, 0x5A, 64);
	assert_int_equal(simdev_ioctl(d, CVM_TDX_CMD_GET_REPORT0, arg, &m.ops), 0);
	assert_int_equal(sim_tdx_check_report(req->tdreport), 0);
	assert_memory_equal(req->tdreport + TDX_R_REPORT_DATA, req->reportdata, 64);
	/* other commands: -ENOTTY without touching memory */
	m.writes = 0;
	assert_int_equal(simdev_ioctl(d, CVM_SNP_GET_REPORT, arg, &m.ops), -ENOTTY);
	assert_int_equal(simdev_ioctl(d, _IOWR('T', 2, struct cvm_tdx_report_req), arg, &m.ops), -ENOTTY);
	assert_int_equal(m.writes, 0);
	/* faults */
	assert_int_equal(simdev_ioctl(d, CVM_TDX_CMD_GET_REPORT0, 0x1000, &m.ops), -EFAULT);
	m.r[0].ro = true;
	assert_int_equal(simdev_ioctl(d, CVM_TDX_CMD_GET_REPORT0, arg, &m.ops), -EFAULT);
	m.r[0].ro = false;
	/* TDCALL busy: -EIO up to 6.15 (the default model is 6.2's), -EBUSY from 6.16 */
	assert_int_equal(simdev_control(d, "tdcall_busy 1"), 0);
	assert_int_equal(simdev_ioctl(d, CVM_TDX_CMD_GET_REPORT0, arg, &m.ops), -EIO);
	assert_int_equal(simdev_control(d, "kernel 6.15"), 0);
	assert_int_equal(simdev_control(d, "tdcall_busy 1"), 0);
	assert_int_equal(simdev_ioctl(d, CVM_TDX_CMD_GET_REPORT0, arg, &m.ops), -EIO);
	assert_int_equal(simdev_ioctl(d, CVM_TDX_CMD_GET_REPORT0, arg, &m.ops), 0);
	assert_int_equal(simdev_control(d, "kernel 6.16"), 0);
	assert_non_null(strstr(simdev_abi(d), "of 6.16+"));
	assert_int_equal(simdev_control(d, "tdcall_busy 2"), 0);
	assert_int_equal(simdev_ioctl(d, CVM_TDX_CMD_GET_REPORT0, arg, &m.ops), -EBUSY);
	assert_int_equal(simdev_ioctl(d, CVM_TDX_CMD_GET_REPORT0, arg, &m.ops), -EBUSY);
	assert_int_equal(simdev_ioctl(d, CVM_TDX_CMD_GET_REPORT0, arg, &m.ops), 0);
	assert_int_equal(simdev_control(d, "tdcall_error"), 0);
	assert_int_equal(simdev_ioctl(d, CVM_TDX_CMD_GET_REPORT0, arg, &m.ops), -EIO);
	assert_int_equal(simdev_ioctl(d, CVM_TDX_CMD_GET_REPORT0, arg, &m.ops), 0);
	free(req);
	free_dev(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_snp_report_milan_v2),
		cmocka_unit_test(test_snp_report_milan_v5_debug),
		cmocka_unit_test(test_snp_report_genoa_v5),
		cmocka_unit_test(test_snp_report_turin_v5),
		cmocka_unit_test(test_snp_report_turin_v3),
		cmocka_unit_test(test_snp_report_bad_version),
		cmocka_unit_test(test_real_snp_report_verifies),
		cmocka_unit_test(test_amd_chain),
		cmocka_unit_test(test_vcek_extensions),
		cmocka_unit_test(test_vcek_shape_matches_real),
		cmocka_unit_test(test_ark_ask_shape_matches_real),
		cmocka_unit_test(test_tcb_parse),
		cmocka_unit_test(test_cert_table),
		cmocka_unit_test(test_derived_key),
		cmocka_unit_test(test_tdreport),
		cmocka_unit_test(test_real_tdreport_hashes),
		cmocka_unit_test(test_tdx_quote),
		cmocka_unit_test(test_tdx_quote_shape_matches_real),
		cmocka_unit_test(test_qgs_refuses_tampered),
		cmocka_unit_test(test_simdev_get_report),
		cmocka_unit_test(test_simdev_bad_input_no_wipe),
		cmocka_unit_test(test_simdev_ext_report),
		cmocka_unit_test(test_simdev_wipe_on_msg_version),
		cmocka_unit_test(test_simdev_wipe_kernel_614),
		cmocka_unit_test(test_simdev_parse_kernel),
		cmocka_unit_test(test_simdev_injected_errors),
		cmocka_unit_test(test_simdev_invalid_len_then_fw_error),
		cmocka_unit_test(test_simdev_derived_key),
		cmocka_unit_test(test_simdev_control_and_state),
		cmocka_unit_test(test_simdev_tdx),
	};

	return cmocka_run_group_tests_name("sim", tests, setup_keys, teardown_keys);
}
