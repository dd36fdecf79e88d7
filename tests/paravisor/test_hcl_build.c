// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * Host unit tests of the paravisor's core: runtime claims, HCL report
 * layout (reproducing the two real Azure reports byte for byte), binding,
 * the strict parser, TPM2B_PUBLIC decoding, the AK certificate.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509v3.h>

#include "hcl_build.h"
#include "libsim.h"
#include "pv_cert.h"

#ifndef PV_TESTDATA
#define PV_TESTDATA "../../../shared/testdata"
#endif

static uint8_t *load(const char *name, size_t *len)
{
	char path[512];
	uint8_t *data = NULL;
	FILE *f;
	long n;

	snprintf(path, sizeof(path), "%s/azure/%s", PV_TESTDATA, name);
	f = fopen(path, "rb");
	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	assert_true(n > 0);
	rewind(f);
	data = malloc((size_t)n);
	assert_non_null(data);
	assert_int_equal(fread(data, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	*len = (size_t)n;
	return data;
}

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* ---- reproducing the real reports --------------------------------------------- */

static void test_claims_reproduce_tdx_sample(void **state)
{
	size_t len, jlen;
	uint8_t *buf = load("kinvolk-hcl-report-tdx.bin", &len);
	struct hcl_report_view v;
	struct hcl_claims_out cl;
	struct hcl_claims_in in = { 0 };
	char *json = NULL;

	(void)state;
	assert_int_equal(hcl_report_parse(buf, len, &v), 0);
	assert_int_equal(hcl_claims_parse(v.claims, v.var_size, &cl), 0);
	assert_true(cl.has_ak && cl.has_ek && cl.has_user_data);
	in.ak = &cl.ak;
	in.ek = &cl.ek;
	in.vm = (struct hcl_vm_config){
		.console_enabled = true,
		.current_time = -1,
		.root_cert_thumbprint = "6nZZnYaJc4KqUZ_yvA-mucFdYNouvlPnITnNMXsHl-0",
		.secure_boot = false,
		.tpm_enabled = true,
		.tpm_persisted = 0,
		.vm_unique_id = "D270E56B-F668-4990-A5BC-9B624576841D",
	};
	in.has_user_data = true;
	memset(in.user_data, 0, sizeof(in.user_data));
	assert_int_equal(hcl_claims_build(&in, &json, &jlen), 0);
	assert_int_equal(jlen, v.var_size);
	assert_memory_equal(json, v.claims, jlen);
	free(json);
	free(buf);
}

static void test_claims_reproduce_snp_sample(void **state)
{
	size_t len, jlen;
	uint8_t *buf = load("kinvolk-hcl-report-snp.bin", &len);
	struct hcl_report_view v;
	struct hcl_claims_out cl;
	struct hcl_claims_in in = { 0 };
	char *json = NULL;

	(void)state;
	assert_int_equal(hcl_report_parse(buf, len, &v), 0);
	assert_int_equal(hcl_claims_parse(v.claims, v.var_size, &cl), 0);
	assert_true(cl.has_ak);
	assert_false(cl.has_ek);
	assert_false(cl.has_user_data);
	in.ak = &cl.ak;
	in.ak_key_ops = "encrypt";	/* the older build's spelling */
	in.vm = (struct hcl_vm_config){
		.console_enabled = true,
		.current_time = 1678652405,
		.secure_boot = true,
		.tpm_enabled = true,
		.tpm_persisted = -1,
		.vm_unique_id = "BAEFD3E1-184B-4C4C-AB88-0BDAD260505F",
	};
	assert_int_equal(hcl_claims_build(&in, &json, &jlen), 0);
	assert_int_equal(jlen, v.var_size);
	assert_memory_equal(json, v.claims, jlen);
	free(json);
	free(buf);
}

static void test_claims_reproduce_var_data(void **state)
{
	size_t len, jlen;
	uint8_t *buf = load("kinvolk-var-data.bin", &len);
	struct hcl_claims_out cl;
	struct hcl_claims_in in = { 0 };
	char *json = NULL;

	(void)state;
	assert_int_equal(hcl_claims_parse(buf, len, &cl), 0);
	in.ak = &cl.ak;
	in.ek = &cl.ek;
	in.vm = (struct hcl_vm_config){
		.console_enabled = true, .current_time = -1, .secure_boot = true,
		.tpm_enabled = true, .tpm_persisted = -1,
		.vm_unique_id = "3404EF27-32A2-4A07-A4C7-1A1171624C5D",
	};
	in.has_user_data = true;
	assert_int_equal(hcl_claims_build(&in, &json, &jlen), 0);
	assert_int_equal(jlen, len);
	assert_memory_equal(json, buf, len);
	free(json);
	free(buf);
}

static void reproduce(const char *name, uint32_t version, uint32_t type, size_t hw_len)
{
	size_t len;
	uint8_t *buf = load(name, &len), *out = calloc(1, len);
	struct hcl_report_view v;
	struct hcl_report_params p = {
		.version = version,
		.request_type = HCL_REQUEST_AK_CERT,
		.report_type = type,
		.hash_type = HCL_HASH_SHA256,
	};

	assert_non_null(out);
	assert_int_equal(hcl_report_parse(buf, len, &v), 0);
	assert_int_equal(hcl_report_build(&p, buf + HCL_HW_REPORT, hw_len, v.claims, v.var_size,
					  out, len), (long)v.used);
	assert_memory_equal(out, buf, len);	/* header, hw area, IGVM data, padding */
	free(out);
	free(buf);
}

static void test_report_reproduces_tdx_sample(void **state)
{
	(void)state;
	reproduce("kinvolk-hcl-report-tdx.bin", 2, HCL_REPORT_TYPE_TDX, TDX_REPORT_SIZE);
}

static void test_report_reproduces_snp_sample(void **state)
{
	(void)state;
	reproduce("kinvolk-hcl-report-snp.bin", 1, HCL_REPORT_TYPE_SNP, SNP_REPORT_SIZE);
}

/* What the samples say about the size fields, checked on their bytes directly. */
static void test_samples_size_fields(void **state)
{
	const char *names[] = { "kinvolk-hcl-report-snp.bin", "kinvolk-hcl-report-tdx.bin" };

	(void)state;
	for (int i = 0; i < 2; i++) {
		size_t len;
		uint8_t *b = load(names[i], &len);
		uint32_t var = le32(b + HCL_RT_VARIABLE_SIZE);

		assert_int_equal(le32(b + HCL_RT_DATA_SIZE), HCL_RT_HEADER_LEN + var);
		/* ReportSize = every byte used from offset 0, not the hardware report's size */
		assert_int_equal(le32(b + HCL_H_REPORT_SIZE), 32 + 1184 + HCL_RT_HEADER_LEN + var);
		assert_int_equal(le32(b + HCL_H_REPORT_SIZE), hcl_report_used(var));
		assert_int_equal(le32(b + HCL_H_REQUEST_TYPE), HCL_REQUEST_AK_CERT);
		assert_int_equal(le32(b + HCL_RT_VERSION), 1);
		assert_int_equal(le32(b + HCL_RT_HASH_TYPE), HCL_HASH_SHA256);
		for (size_t j = hcl_report_used(var); j < len; j++)
			assert_int_equal(b[j], 0);
		free(b);
	}
}

static void test_samples_parse_and_bind(void **state)
{
	const char *names[] = { "kinvolk-hcl-report-snp.bin", "kinvolk-hcl-report-tdx.bin" };

	(void)state;
	for (int i = 0; i < 2; i++) {
		size_t len;
		uint8_t *b = load(names[i], &len);
		struct hcl_report_view v;

		assert_int_equal(hcl_report_parse(b, len, &v), 0);
		assert_int_equal(hcl_report_check_binding(&v), 0);
		b[HCL_RT_VARIABLE_DATA + 10] ^= 1;	/* one claims bit */
		assert_int_equal(hcl_report_check_binding(&v), -EBADMSG);
		free(b);
	}
}

/* ---- built from libsim ---------------------------------------------------------- */

static void demo_key(struct hcl_rsa_pub *k, uint8_t seed)
{
	memset(k, 0, sizeof(*k));
	k->n_len = 256;
	for (size_t i = 0; i < k->n_len; i++)
		k->n[i] = (uint8_t)(seed + i * 7);
	k->n[0] |= 0x80;
	k->e = 65537;
}

static void build_claims(const uint8_t ud[64], char **json, size_t *len)
{
	static struct hcl_rsa_pub ak, ek;
	struct hcl_claims_in in = {
		.ak = &ak, .ek = &ek,
		.vm = { .console_enabled = true, .current_time = -1,
			.root_cert_thumbprint = "thumb", .tpm_enabled = true,
			.tpm_persisted = 0, .vm_unique_id = "00000000-0000-4000-8000-000000000000" },
		.has_user_data = true,
	};

	demo_key(&ak, 1);
	demo_key(&ek, 2);
	memcpy(in.user_data, ud, 64);
	assert_int_equal(hcl_claims_build(&in, json, len), 0);
}

static int verify_snp_signature(const uint8_t *r, EVP_PKEY *vcek)
{
	uint8_t rs[96], *der = NULL;
	size_t der_len = 0;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	int ok;

	/* R and S little-endian in 72-byte slots; the P-384 values are 48 bytes */
	for (int i = 0; i < 48; i++) {
		rs[i] = r[SNP_R_SIG_R + 47 - i];
		rs[48 + i] = r[SNP_R_SIG_S + 47 - i];
	}
	assert_int_equal(sim_ecdsa_rs_to_der(rs, 48, &der, &der_len), 0);
	ok = EVP_DigestVerifyInit(ctx, NULL, EVP_sha384(), NULL, vcek) == 1 &&
	     EVP_DigestVerify(ctx, der, der_len, r, SNP_SIGNED_LEN) == 1;
	EVP_MD_CTX_free(ctx);
	free(der);
	return ok;
}

static void test_snp_report_from_libsim(void **state)
{
	struct sim_keys *keys = NULL;
	struct sim_snp_config c;
	struct hcl_report_view v;
	struct hcl_claims_out cl;
	struct hcl_report_params p = { HCL_VERSION_CURRENT, HCL_REQUEST_AK_CERT,
				       HCL_REPORT_TYPE_SNP, HCL_HASH_SHA256 };
	uint8_t ud[64], rd[64], hw[SNP_REPORT_SIZE], out[HCL_NV_SIZE_AZURE];
	char *json = NULL;
	size_t jlen = 0;
	long used;

	(void)state;
	for (int i = 0; i < 64; i++)
		ud[i] = (uint8_t)(0xA0 + i);
	build_claims(ud, &json, &jlen);
	assert_int_equal(hcl_report_data(HCL_HASH_SHA256, (uint8_t *)json, jlen, rd), 0);
	for (int i = 32; i < 64; i++)
		assert_int_equal(rd[i], 0);
	assert_int_equal(sim_keys_load(NULL, &keys), 0);
	sim_snp_config_default(&c, SIM_PRODUCT_MILAN);
	assert_int_equal(sim_snp_build_report(&c, keys, rd, 0, hw), 0);
	used = hcl_report_build(&p, hw, sizeof(hw), (uint8_t *)json, jlen, out, sizeof(out));
	assert_int_equal(used, (long)(HCL_RT_VARIABLE_DATA + jlen));

	assert_int_equal(hcl_report_parse(out, sizeof(out), &v), 0);
	assert_int_equal(v.report_size, (uint32_t)used);
	assert_int_equal(v.data_size, HCL_RT_HEADER_LEN + jlen);
	assert_int_equal(v.report_type, HCL_REPORT_TYPE_SNP);
	assert_ptr_equal(v.report_data, out + HCL_HW_REPORT + SNP_R_REPORT_DATA);
	assert_int_equal(hcl_report_check_binding(&v), 0);
	assert_int_equal(hcl_claims_parse(v.claims, v.var_size, &cl), 0);
	assert_true(cl.has_user_data);
	assert_memory_equal(cl.user_data, ud, 64);
	assert_int_equal(le32(out + HCL_HW_REPORT + SNP_R_VMPL), 0);
	/* the inner report is really signed by the test VCEK */
	assert_true(verify_snp_signature(out + HCL_HW_REPORT, sim_keys_vcek_key(keys, SIM_PRODUCT_MILAN)));
	out[HCL_HW_REPORT + SNP_R_MEASUREMENT] ^= 1;
	assert_false(verify_snp_signature(out + HCL_HW_REPORT, sim_keys_vcek_key(keys, SIM_PRODUCT_MILAN)));
	sim_keys_free(keys);
	free(json);
}

static void test_tdx_report_from_libsim(void **state)
{
	struct sim_tdx_config c;
	struct hcl_report_view v;
	struct hcl_report_params p = { HCL_VERSION_CURRENT, HCL_REQUEST_AK_CERT,
				       HCL_REPORT_TYPE_TDX, HCL_HASH_SHA256 };
	uint8_t ud[64] = { 0 }, rd[64], hw[TDX_REPORT_SIZE], out[HCL_NV_SIZE_AZURE];
	char *json = NULL;
	size_t jlen = 0;

	(void)state;
	build_claims(ud, &json, &jlen);
	assert_int_equal(hcl_report_data(HCL_HASH_SHA256, (uint8_t *)json, jlen, rd), 0);
	sim_tdx_config_default(&c);
	assert_int_equal(sim_tdx_build_report(&c, rd, hw), 0);
	assert_true(hcl_report_build(&p, hw, sizeof(hw), (uint8_t *)json, jlen, out, sizeof(out)) > 0);
	assert_int_equal(hcl_report_parse(out, sizeof(out), &v), 0);
	assert_int_equal(v.hw_len, TDX_REPORT_SIZE);
	assert_ptr_equal(v.report_data, out + HCL_HW_REPORT + TDX_R_REPORT_DATA);
	assert_int_equal(hcl_report_check_binding(&v), 0);
	assert_int_equal(out[HCL_HW_REPORT + TDX_R_REPORTTYPE], TDX_REPORTTYPE_TDX);
	for (size_t i = HCL_HW_REPORT + TDX_REPORT_SIZE; i < HCL_RT_DATA_SIZE; i++)
		assert_int_equal(out[i], 0);	/* the rest of the 1184-byte union */
	assert_int_equal(sim_tdx_check_report(out + HCL_HW_REPORT), 0);
	free(json);
}

static void test_user_data_upper_hex(void **state)
{
	uint8_t ud[64];
	char *json = NULL;
	size_t len = 0;
	const char *p;

	(void)state;
	for (int i = 0; i < 64; i++)
		ud[i] = (uint8_t)(i * 3 + 0xab);
	build_claims(ud, &json, &len);
	p = strstr(json, "\"user-data\":\"");
	assert_non_null(p);
	p += strlen("\"user-data\":\"");
	assert_memory_equal(p, "ABAEB1B4", 8);
	assert_int_equal(p[128], '"');
	assert_int_equal(json[len - 1], '}');
	free(json);
}

static void test_report_build_errors(void **state)
{
	struct hcl_report_params p = { 2, 2, HCL_REPORT_TYPE_SNP, HCL_HASH_SHA256 };
	uint8_t hw[SNP_REPORT_SIZE] = { 0 }, out[1300];
	uint8_t claims[100] = { '{', '}' };

	(void)state;
	assert_int_equal(hcl_report_build(&p, hw, TDX_REPORT_SIZE, claims, 2, out, sizeof(out)),
			 -EINVAL);
	p.report_type = 7;
	assert_int_equal(hcl_report_build(&p, hw, SNP_REPORT_SIZE, claims, 2, out, sizeof(out)),
			 -EINVAL);
	p.report_type = HCL_REPORT_TYPE_SNP;
	assert_int_equal(hcl_report_build(&p, hw, SNP_REPORT_SIZE, claims, 100, out, 1300),
			 -ENOSPC);
	assert_int_equal(hcl_report_build(&p, hw, SNP_REPORT_SIZE, claims, 64, out, 1300), 1300);
}

/* ---- the parser --------------------------------------------------------------- */

static uint8_t *valid_report(size_t *len)
{
	return load("kinvolk-hcl-report-tdx.bin", len);
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static void test_parse_rejects(void **state)
{
	size_t len;
	uint8_t *b = valid_report(&len), *c = malloc(len);
	struct hcl_report_view v;
	struct { size_t off; uint32_t val; } bad[] = {
		{ HCL_H_SIGNATURE, 0x414C4349 },
		{ HCL_H_REPORT_SIZE, 2437 },
		{ HCL_RT_DATA_SIZE, 1221 },
		{ HCL_RT_REPORT_TYPE, 3 },
		{ HCL_RT_REPORT_TYPE, 0 },
		{ HCL_RT_HASH_TYPE, 0 },
		{ HCL_RT_HASH_TYPE, 4 },
		{ HCL_RT_VARIABLE_SIZE, 2600 },
		{ HCL_RT_VARIABLE_SIZE, 0xFFFFFFFF },
	};

	(void)state;
	assert_non_null(c);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memcpy(c, b, len);
		put32(c + bad[i].off, bad[i].val);
		assert_int_equal(hcl_report_parse(c, len, &v), -EBADMSG);
	}
	/* every truncation below the claims' end is refused, none reads past it */
	for (size_t n = 0; n < hcl_report_used(le32(b + HCL_RT_VARIABLE_SIZE)); n++) {
		uint8_t *t = malloc(n ? n : 1);

		memcpy(t, b, n);
		assert_int_equal(hcl_report_parse(t, n, &v), -EBADMSG);
		free(t);
	}
	assert_int_equal(hcl_report_parse(NULL, len, &v), -EBADMSG);
	free(c);
	free(b);
}

static void test_parse_random(void **state)
{
	size_t len;
	uint8_t *b = valid_report(&len), *c = malloc(len);
	struct hcl_report_view v;
	struct hcl_claims_out cl;
	uint32_t x = 12345;

	(void)state;
	for (int round = 0; round < 20000; round++) {
		memcpy(c, b, len);
		for (int k = 0; k < 4; k++) {
			x = x * 1103515245 + 12345;
			c[(x >> 8) % 1300] ^= (uint8_t)(x >> 24);
		}
		if (hcl_report_parse(c, len, &v) == 0) {
			hcl_report_check_binding(&v);
			if (hcl_claims_parse(v.claims, v.var_size, &cl) == 0)
				assert_true(cl.ak.n_len <= sizeof(cl.ak.n));
		}
	}
	free(c);
	free(b);
}

static void test_claims_parse_rejects(void **state)
{
	const char *bad[] = {
		"", "[]", "{\"keys\":{}}", "{\"keys\":[{\"kid\":1}]}",
		"{\"keys\":[{\"kid\":\"HCLAkPub\",\"n\":\"!!\",\"e\":\"AQAB\"}]}",
		"{\"keys\":[{\"kid\":\"HCLAkPub\",\"n\":\"AQAB\",\"e\":\"AQABAQAB\"}]}",
		"{\"user-data\":\"00\"}", "{\"user-data\":5}",
		"{\"keys\":[{\"kid\":\"HCLAkPub\",\"n\":\"AQAB\",\"e\":\"AQAB\"},"
		"{\"kid\":\"HCLAkPub\",\"n\":\"AQAB\",\"e\":\"AQAB\"}]}",
		"{\"a\":1,\"a\":2}",
	};
	struct hcl_claims_out cl;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(hcl_claims_parse((const uint8_t *)bad[i], strlen(bad[i]), &cl),
				 -EBADMSG);
}

/* ---- helpers ---------------------------------------------------------------------- */

static void test_b64url_vectors(void **state)
{
	/* RFC 4648 §10, URL alphabet, no padding */
	const char *in[] = { "", "f", "fo", "foo", "foob", "fooba", "foobar", "\xfb\xff" };
	const char *want[] = { "", "Zg", "Zm8", "Zm9v", "Zm9vYg", "Zm9vYmE", "Zm9vYmFy", "-_8" };

	(void)state;
	for (int i = 0; i < 8; i++) {
		char *s = NULL;

		assert_int_equal(hcl_b64url((const uint8_t *)in[i], strlen(in[i]), &s), 0);
		assert_string_equal(s, want[i]);
		free(s);
	}
}

static void test_report_data_hashes(void **state)
{
	uint8_t rd[64];
	const uint8_t abc[] = "abc";
	static const uint8_t sha384_abc_head[] = { 0xcb, 0x00, 0x75, 0x3f };

	(void)state;
	assert_int_equal(hcl_report_data(HCL_HASH_SHA384, abc, 3, rd), 0);
	assert_memory_equal(rd, sha384_abc_head, 4);
	for (int i = 48; i < 64; i++)
		assert_int_equal(rd[i], 0);
	assert_int_equal(hcl_report_data(HCL_HASH_SHA512, abc, 3, rd), 0);
	assert_int_equal(rd[0], 0xdd);
	assert_int_equal(hcl_report_data(0, abc, 3, rd), -EINVAL);
}

static size_t tpmt_rsa(uint8_t *b, uint16_t sym, uint16_t scheme, uint32_t exponent,
		       const uint8_t *n, uint16_t n_len, uint16_t policy_len)
{
	size_t o = 0;

#define P16(v) do { b[o++] = (uint8_t)((v) >> 8); b[o++] = (uint8_t)(v); } while (0)
	P16(0x0001);			/* RSA */
	P16(0x000B);			/* nameAlg */
	P16(0x0005);			/* objectAttributes */
	P16(0x0472);
	P16(policy_len);
	memset(b + o, 0x83, policy_len);
	o += policy_len;
	P16(sym);
	if (sym != 0x0010) {
		P16(128);
		P16(0x0043);		/* CFB */
	}
	P16(scheme);
	if (scheme == 0x0014)
		P16(0x000B);
	P16(2048);
	P16(exponent >> 16);
	P16(exponent & 0xffff);
	P16(n_len);
	memcpy(b + o, n, n_len);
	o += n_len;
#undef P16
	return o;
}

static void test_rsa_from_tpm2b_public(void **state)
{
	uint8_t n[256], buf[600];
	struct hcl_rsa_pub k;
	size_t len;

	(void)state;
	for (int i = 0; i < 256; i++)
		n[i] = (uint8_t)(i + 1);
	/* an AK: no symmetric, RSASSA-SHA256, exponent 0 = 65537 */
	len = tpmt_rsa(buf + 2, 0x0010, 0x0014, 0, n, 256, 0);
	buf[0] = (uint8_t)(len >> 8);
	buf[1] = (uint8_t)len;
	assert_int_equal(hcl_rsa_from_tpm2b_public(buf, len + 2, &k), 0);
	assert_int_equal(k.n_len, 256);
	assert_memory_equal(k.n, n, 256);
	assert_int_equal(k.e, 65537);
	/* every truncation fails cleanly */
	for (size_t cut = 0; cut < len + 2; cut++) {
		buf[0] = (uint8_t)((cut < 2 ? 0 : cut - 2) >> 8);
		buf[1] = (uint8_t)(cut < 2 ? 0 : cut - 2);
		assert_int_equal(hcl_rsa_from_tpm2b_public(buf, cut, &k), -EBADMSG);
	}
	/* an EK: AES-128-CFB, NULL scheme, a 32-byte policy, explicit exponent */
	len = tpmt_rsa(buf + 2, 0x0006, 0x0010, 3, n, 256, 32);
	buf[0] = (uint8_t)(len >> 8);
	buf[1] = (uint8_t)len;
	assert_int_equal(hcl_rsa_from_tpm2b_public(buf, len + 2, &k), 0);
	assert_int_equal(k.e, 3);
	/* trailing bytes inside the TPM2B are refused */
	buf[1] = (uint8_t)(len + 1);
	assert_int_equal(hcl_rsa_from_tpm2b_public(buf, len + 3, &k), -EBADMSG);
	/* not RSA */
	buf[3] = 0x23;
	buf[1] = (uint8_t)len;
	assert_int_equal(hcl_rsa_from_tpm2b_public(buf, len + 2, &k), -ENOTSUP);
}

/* ---- the AK certificate ------------------------------------------------------------ */

static void test_ak_cert(void **state)
{
	EVP_PKEY *ca_key = NULL, *ak_key = NULL, *other = NULL;
	X509 *ca = NULL, *cert;
	struct hcl_rsa_pub ak, ok2;
	uint8_t *der = NULL;
	size_t der_len = 0;
	const unsigned char *p;
	char *thumb = NULL;
	EXTENDED_KEY_USAGE *eku;
	char oid[64];

	(void)state;
	assert_int_equal(pv_ca_load(NULL, NULL, &ca_key, &ca), 0);
	ak_key = EVP_RSA_gen(2048);
	other = EVP_RSA_gen(2048);
	assert_non_null(ak_key);
	assert_int_equal(pv_rsa_from_pkey(ak_key, &ak), 0);
	assert_int_equal(pv_rsa_from_pkey(other, &ok2), 0);
	assert_int_equal(pv_ak_cert_issue(ca_key, ca, &ak, "VM-ID", 0, &der, &der_len), 0);
	assert_int_equal(pv_ak_cert_check(der, der_len, ca, &ak), 0);
	assert_int_equal(pv_ak_cert_check(der, der_len, ca, &ok2), -EBADMSG);
	/* trailing zeros (a padded NV index) are fine */
	der = OPENSSL_realloc(der, der_len + 16);
	memset(der + der_len, 0, 16);
	assert_int_equal(pv_ak_cert_check(der, der_len + 16, ca, &ak), 0);
	p = der;
	cert = d2i_X509(NULL, &p, (long)der_len);
	assert_non_null(cert);
	assert_int_equal(X509_NAME_cmp(X509_get_issuer_name(cert), X509_get_subject_name(ca)), 0);
	eku = X509_get_ext_d2i(cert, NID_ext_key_usage, NULL, NULL);
	assert_non_null(eku);
	assert_int_equal(sk_ASN1_OBJECT_num(eku), 1);
	OBJ_obj2txt(oid, sizeof(oid), sk_ASN1_OBJECT_value(eku, 0), 1);
	assert_string_equal(oid, PV_OID_TCG_KP_AIK_CERTIFICATE);
	sk_ASN1_OBJECT_pop_free(eku, ASN1_OBJECT_free);
	assert_int_equal(X509_check_ca(cert), 0);
	der[der_len / 2] ^= 1;
	assert_int_equal(pv_ak_cert_check(der, der_len, ca, &ak), -EBADMSG);
	assert_int_equal(pv_cert_thumbprint(ca, &thumb), 0);
	assert_int_equal(strlen(thumb), 43);	/* the shape of root-cert-thumbprint */
	free(thumb);
	X509_free(cert);
	OPENSSL_free(der);
	EVP_PKEY_free(ak_key);
	EVP_PKEY_free(other);
	EVP_PKEY_free(ca_key);
	X509_free(ca);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_claims_reproduce_tdx_sample),
		cmocka_unit_test(test_claims_reproduce_snp_sample),
		cmocka_unit_test(test_claims_reproduce_var_data),
		cmocka_unit_test(test_report_reproduces_tdx_sample),
		cmocka_unit_test(test_report_reproduces_snp_sample),
		cmocka_unit_test(test_samples_size_fields),
		cmocka_unit_test(test_samples_parse_and_bind),
		cmocka_unit_test(test_snp_report_from_libsim),
		cmocka_unit_test(test_tdx_report_from_libsim),
		cmocka_unit_test(test_user_data_upper_hex),
		cmocka_unit_test(test_report_build_errors),
		cmocka_unit_test(test_parse_rejects),
		cmocka_unit_test(test_parse_random),
		cmocka_unit_test(test_claims_parse_rejects),
		cmocka_unit_test(test_b64url_vectors),
		cmocka_unit_test(test_report_data_hashes),
		cmocka_unit_test(test_rsa_from_tpm2b_public),
		cmocka_unit_test(test_ak_cert),
	};

	sim_set_log(NULL);
	return cmocka_run_group_tests_name("paravisor core (hcl_build, pv_cert)", tests, NULL,
					   NULL);
}
