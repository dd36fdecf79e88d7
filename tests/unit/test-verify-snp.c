// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * SEV-SNP verification on the real reports and VCEKs in ../shared/testdata,
 * against the built-in (real AMD) roots, and on corrupted copies of them.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cvmattest/evidence.h>

#include "forge.h"
#include "testutil.h"

struct sample {
	uint8_t *report, *vcek;
	size_t report_len, vcek_len;
};

static void load_sample(struct sample *s, const char *report, const char *vcek)
{
	s->report = load_td(report, &s->report_len);
	s->vcek = load_td(vcek, &s->vcek_len);
}

static void free_sample(struct sample *s)
{
	free(s->report);
	free(s->vcek);
}

static struct cvm_ctx *ctx_with(const struct sample *s)
{
	struct cvm_ctx *ctx = quiet_ctx();

	assert_int_equal(cvm_add_certs(ctx, s->vcek, s->vcek_len), 0);
	return ctx;
}

static void test_virtee_ok(void **state)
{
	struct sample s;
	struct cvm_ctx *ctx;
	struct cvm_result *r;
	const struct cvm_snp_report *rep;

	(void)state;
	load_sample(&s, "snp/virtee-milan-v2-report.hex", "snp/virtee-milan-vcek.der");
	ctx = ctx_with(&s);
	assert_int_equal(cvm_verify(ctx, s.report, s.report_len, CVM_FORMAT_UNKNOWN, NULL, &r), 0);
	assert_int_equal(cvm_result_status(r), CVM_STATUS_OK);
	assert_true(cvm_result_verified(r));
	assert_true(cvm_result_policy_ok(r));
	assert_int_equal(cvm_result_n_errors(r), 0);
	rep = cvm_result_snp_report(r);
	assert_non_null(rep);
	/* The chain told the product of this v2 report. */
	assert_int_equal(rep->product, CVM_SNP_PRODUCT_MILAN);
	cvm_result_free(r);
	/* again: the chain is cached now, the verdict must not change */
	assert_int_equal(verify_status(ctx, s.report, s.report_len, NULL), CVM_STATUS_OK);
	cvm_ctx_free(ctx);
	free_sample(&s);
}

static void test_gsg_debug(void **state)
{
	struct sample s;
	struct cvm_ctx *ctx;
	struct cvm_policy *p;
	struct cvm_result *r;

	(void)state;
	load_sample(&s, "snp/gsg-milan-v2-report.bin", "snp/gsg-milan-vcek.der");
	ctx = ctx_with(&s);
	/* DEBUG=1: valid evidence, default policy refuses it */
	assert_int_equal(cvm_verify(ctx, s.report, s.report_len, CVM_FORMAT_UNKNOWN, NULL, &r), 0);
	assert_int_equal(cvm_result_status(r), CVM_STATUS_POLICY);
	assert_true(cvm_result_verified(r));
	assert_false(cvm_result_policy_ok(r));
	assert_true(result_has_error(r, "debug"));
	cvm_result_free(r);
	assert_int_equal(cvm_policy_new(&p), 0);
	cvm_policy_set_allow_debug(p, true);
	assert_int_equal(verify_status(ctx, s.report, s.report_len, p), CVM_STATUS_OK);
	cvm_policy_free(p);
	cvm_ctx_free(ctx);
	free_sample(&s);
}

static void test_wrong_or_missing_vcek(void **state)
{
	struct sample s;
	struct cvm_ctx *ctx;
	struct cvm_result *r;
	size_t other_len;
	uint8_t *other = load_td("snp/gsg-milan-vcek.der", &other_len);

	(void)state;
	load_sample(&s, "snp/virtee-milan-v2-report.hex", "snp/virtee-milan-vcek.der");
	/* no certificate at all: well-formed but unverifiable */
	ctx = quiet_ctx();
	assert_int_equal(cvm_verify(ctx, s.report, s.report_len, CVM_FORMAT_UNKNOWN, NULL, &r), 0);
	assert_int_equal(cvm_result_status(r), CVM_STATUS_UNVERIFIABLE);
	assert_false(cvm_result_verified(r));
	assert_true(result_has_error(r, "no VCEK"));
	cvm_result_free(r);
	/* another chip's VCEK: a real AMD certificate, but not this chip's key */
	assert_int_equal(cvm_add_certs(ctx, other, other_len), 0);
	assert_int_equal(verify_status(ctx, s.report, s.report_len, NULL), CVM_STATUS_INVALID);
	cvm_ctx_free(ctx);
	free(other);
	free_sample(&s);
}

static void test_flipped_bits(void **state)
{
	struct sample s;
	struct cvm_ctx *ctx;
	struct cvm_policy *p;
	/* Fields whose every bit must be covered by the signature. */
	static const size_t targeted[] = {
		SNP_R_GUEST_SVN, SNP_R_POLICY, SNP_R_FAMILY_ID, SNP_R_VMPL, SNP_R_CURRENT_TCB,
		SNP_R_PLATFORM_INFO, SNP_R_REPORT_DATA, SNP_R_REPORT_DATA + 63, SNP_R_MEASUREMENT,
		SNP_R_MEASUREMENT + 47, SNP_R_HOST_DATA, SNP_R_ID_KEY_DIGEST, SNP_R_REPORT_ID,
		SNP_R_REPORTED_TCB, SNP_R_REPORTED_TCB + 7, SNP_R_CHIP_ID, SNP_R_CHIP_ID + 63,
		SNP_R_COMMITTED_TCB, SNP_R_CURRENT_BUILD, SNP_R_LAUNCH_TCB, SNP_R_SIGNATURE - 1,
		SNP_R_SIG_R, SNP_R_SIG_S + 10,
	};

	(void)state;
	load_sample(&s, "snp/virtee-milan-v2-report.hex", "snp/virtee-milan-vcek.der");
	ctx = ctx_with(&s);
	assert_int_equal(cvm_policy_new(&p), 0);
	cvm_policy_set_allow_debug(p, true);	/* so a flipped DEBUG bit cannot pass as policy-only */

	for (size_t i = 0; i < sizeof(targeted) / sizeof(targeted[0]); i++)
		for (int bit = 0; bit < 8; bit += 3) {
			uint8_t c[1184];

			memcpy(c, s.report, sizeof(c));
			c[targeted[i]] ^= (uint8_t)(1 << bit);
			if (verify_status(ctx, c, sizeof(c), p) != CVM_STATUS_INVALID)
				fail_msg("flipping bit %d at 0x%zx was not caught as INVALID", bit, targeted[i]);
		}
	/* Every byte of the signed area: never accepted. */
	for (size_t off = 0; off < SNP_SIGNED_LEN; off++) {
		uint8_t c[1184];
		enum cvm_status st;

		memcpy(c, s.report, sizeof(c));
		c[off] ^= (uint8_t)(1 << (off % 8));
		st = verify_status(ctx, c, sizeof(c), p);
		if (st == CVM_STATUS_OK || st == CVM_STATUS_POLICY)
			fail_msg("flipping a bit at 0x%zx was accepted", off);
		/*
		 * Everywhere a bad signature, except in VERSION, which turns into
		 * an unsupported version (malformed) before any signature is read.
		 */
		if (off >= SNP_R_VERSION + 4 && st != CVM_STATUS_INVALID)
			fail_msg("flipping a bit at 0x%zx gave status %d", off, st);
	}
	cvm_policy_free(p);
	cvm_ctx_free(ctx);
	free_sample(&s);
}

static void test_truncated_and_extended(void **state)
{
	struct sample s;
	struct cvm_ctx *ctx;
	uint8_t *big;

	(void)state;
	load_sample(&s, "snp/virtee-milan-v2-report.hex", "snp/virtee-milan-vcek.der");
	ctx = ctx_with(&s);
	for (size_t n = 0; n < s.report_len; n += 37) {
		uint8_t *c = malloc(n + 1);

		memcpy(c, s.report, n);
		assert_int_equal(verify_status(ctx, c, n, NULL), CVM_STATUS_MALFORMED);
		free(c);
	}
	assert_int_equal(verify_status(ctx, s.report, s.report_len - 1, NULL), CVM_STATUS_MALFORMED);
	/* Garbage after the report that is not a certificate table */
	big = calloc(1, s.report_len + 100);
	memcpy(big, s.report, s.report_len);
	memset(big + s.report_len, 0x41, 100);
	assert_int_equal(verify_status(ctx, big, s.report_len + 100, NULL), CVM_STATUS_MALFORMED);
	/* ...but zero padding is fine */
	memset(big + s.report_len, 0, 100);
	assert_int_equal(verify_status(ctx, big, s.report_len + 100, NULL), CVM_STATUS_OK);
	free(big);
	cvm_ctx_free(ctx);
	free_sample(&s);
}

static void test_report_with_cert_table(void **state)
{
	struct sample s;
	struct cvm_ctx *ctx = quiet_ctx();
	enum cvm_snp_cert_kind kinds[] = { CVM_SNP_CERT_VCEK };
	const uint8_t *ders[1];
	size_t lens[1], tlen;
	uint8_t *table, *ev;

	(void)state;
	load_sample(&s, "snp/virtee-milan-v2-report.hex", "snp/virtee-milan-vcek.der");
	ders[0] = s.vcek;
	lens[0] = s.vcek_len;
	table = forge_cert_table(kinds, ders, lens, 1, &tlen);
	/* report || certificate table (go-sev-guest's "raw quote" layout) */
	ev = malloc(s.report_len + tlen);
	memcpy(ev, s.report, s.report_len);
	memcpy(ev + s.report_len, table, tlen);
	assert_int_equal(verify_status(ctx, ev, s.report_len + tlen, NULL), CVM_STATUS_OK);
	/* the table as --certs */
	assert_int_equal(verify_status(ctx, s.report, s.report_len, NULL), CVM_STATUS_UNVERIFIABLE);
	assert_int_equal(cvm_add_certs(ctx, table, tlen), 0);
	assert_int_equal(verify_status(ctx, s.report, s.report_len, NULL), CVM_STATUS_OK);
	free(ev);
	free(table);
	cvm_ctx_free(ctx);
	free_sample(&s);
}

static void test_msg_report_rsp(void **state)
{
	struct sample s;
	struct cvm_ctx *ctx;
	uint8_t rsp[4000] = { 0 };

	(void)state;
	load_sample(&s, "snp/virtee-milan-v2-report.hex", "snp/virtee-milan-vcek.der");
	ctx = ctx_with(&s);
	rsp[SNP_MSG_REPORT_RSP_SIZE] = 0xa0;	/* 0x4A0 */
	rsp[SNP_MSG_REPORT_RSP_SIZE + 1] = 0x04;
	memcpy(rsp + SNP_MSG_REPORT_RSP_REPORT, s.report, 1184);
	assert_int_equal(verify_status(ctx, rsp, sizeof(rsp), NULL), CVM_STATUS_OK);
	cvm_ctx_free(ctx);
	free_sample(&s);
}

static void test_cache_dir(void **state)
{
	struct sample s;
	struct cvm_ctx *ctx = quiet_ctx();
	struct cvm_snp_report rep;
	char dir[4096], path[4096], hex[129];
	FILE *f;

	(void)state;
	load_sample(&s, "snp/virtee-milan-v2-report.hex", "snp/virtee-milan-vcek.der");
	assert_int_equal(cvm_snp_report_parse(s.report, s.report_len, &rep), 0);
	cvm_hex_encode(rep.chip_id, 64, hex);
	snprintf(dir, sizeof(dir), "%s/cache-%d", tmp_dir(), (int)getpid());
	mkdir(dir, 0755);
	snprintf(path, sizeof(path), "%s/vcek", dir);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/vcek/%s", dir, hex);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/vcek/%s/%016llx.der", dir, hex,
		 (unsigned long long)rep.reported_tcb.raw);
	f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(s.vcek, 1, s.vcek_len, f), s.vcek_len);
	fclose(f);

	assert_int_equal(verify_status(ctx, s.report, s.report_len, NULL), CVM_STATUS_UNVERIFIABLE);
	assert_int_equal(cvm_set_cache_dir(ctx, dir), 0);
	assert_int_equal(verify_status(ctx, s.report, s.report_len, NULL), CVM_STATUS_OK);
	/* another chip's VCEK offered: the cached one, which fits, is still found */
	{
		size_t olen;
		uint8_t *other = load_td("snp/gsg-milan-vcek.der", &olen);

		assert_int_equal(cvm_add_certs(ctx, other, olen), 0);
		assert_int_equal(verify_status(ctx, s.report, s.report_len, NULL), CVM_STATUS_OK);
		assert_int_equal(cvm_set_cache_dir(ctx, NULL), 0);
		assert_int_equal(verify_status(ctx, s.report, s.report_len, NULL), CVM_STATUS_INVALID);
		free(other);
	}
	cvm_ctx_free(ctx);
	free_sample(&s);
}

static void test_validity_time(void **state)
{
	struct sample s;
	struct cvm_ctx *ctx;
	struct cvm_result *r;

	(void)state;
	/* This VCEK: 2023-04-03 .. 2030-04-03. */
	load_sample(&s, "snp/virtee-milan-v2-report.hex", "snp/virtee-milan-vcek.der");
	ctx = ctx_with(&s);
	assert_int_equal(verify_status(ctx, s.report, s.report_len, NULL), CVM_STATUS_OK);
	/* cached now; a later time must still be checked */
	cvm_set_verify_time(ctx, 1956528000);	/* 2032-01-01 */
	assert_int_equal(cvm_verify(ctx, s.report, s.report_len, CVM_FORMAT_UNKNOWN, NULL, &r), 0);
	assert_int_equal(cvm_result_status(r), CVM_STATUS_INVALID);
	assert_true(result_has_error(r, "expired"));
	cvm_result_free(r);
	cvm_set_verify_time(ctx, 1640995200);	/* 2022-01-01 */
	assert_int_equal(cvm_verify(ctx, s.report, s.report_len, CVM_FORMAT_UNKNOWN, NULL, &r), 0);
	assert_int_equal(cvm_result_status(r), CVM_STATUS_INVALID);
	assert_true(result_has_error(r, "not valid yet"));
	cvm_result_free(r);
	cvm_ctx_free(ctx);
	free_sample(&s);
}

static void test_explicit_roots(void **state)
{
	struct sample s;
	struct cvm_ctx *ctx;
	struct cvm_result *r;

	(void)state;
	load_sample(&s, "snp/virtee-milan-v2-report.hex", "snp/virtee-milan-vcek.der");
	/* the real Milan chain given explicitly: still fine */
	ctx = ctx_with(&s);
	assert_int_equal(cvm_set_amd_roots(ctx, td_path("snp/amd-ask-ark-milan.pem")), 0);
	assert_int_equal(verify_status(ctx, s.report, s.report_len, NULL), CVM_STATUS_OK);
	/* only Genoa trusted: a Milan report has no root */
	assert_int_equal(cvm_set_amd_roots(ctx, td_path("snp/amd-ask-ark-genoa.pem")), 0);
	assert_int_equal(cvm_verify(ctx, s.report, s.report_len, CVM_FORMAT_UNKNOWN, NULL, &r), 0);
	assert_int_equal(cvm_result_status(r), CVM_STATUS_INVALID);
	assert_true(result_has_error(r, "no trusted root ARK-Milan"));
	cvm_result_free(r);
	/* a file without an ARK is refused and changes nothing */
	assert_int_equal(cvm_set_amd_roots(ctx, td_path("snp/virtee-milan-vcek.der")), -ENOKEY);
	assert_int_equal(verify_status(ctx, s.report, s.report_len, NULL), CVM_STATUS_INVALID);
	cvm_ctx_free(ctx);
	free_sample(&s);
}

static void test_offered_ark_not_trusted(void **state)
{
	struct sample s;
	struct cvm_ctx *ctx;
	struct forge_amd *f = forge_amd(CVM_SNP_PRODUCT_MILAN);

	(void)state;
	load_sample(&s, "snp/virtee-milan-v2-report.hex", "snp/virtee-milan-vcek.der");
	ctx = ctx_with(&s);
	/* An ARK-Milan offered with the certificates is not a root. */
	assert_int_equal(cvm_add_certs_file(ctx, f->roots_path), 0);
	assert_int_equal(verify_status(ctx, s.report, s.report_len, NULL), CVM_STATUS_OK);
	cvm_ctx_free(ctx);
	free_sample(&s);
}

/* ---- issue 19: the other policy fields, on forged reports ---------------------------------- */

struct fields_case {
	struct forge_amd *f;
	uint8_t report[1184];
	uint8_t *der;
	size_t der_len;
};

static void put64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/*
 * A signed report of @p with every field a policy can name set to something
 * recognisable, and a VCEK for it (test roots).
 */
static void fields_case_init(struct fields_case *c, enum cvm_snp_product p, uint32_t version)
{
	bool turin = p == CVM_SNP_PRODUCT_TURIN;
	struct forge_snp_opts o = { .version = version, .product = p, .guest_svn = 7,
				    .policy = 0x130000 | (1 << 8) | 55 };	/* ABI 1.55, SMT, SINGLE_SOCKET */
	struct forge_vek_opts vo = { 0 };

	memset(c, 0, sizeof(*c));
	c->f = forge_amd(p);
	for (int i = 0; i < (turin ? 8 : 64); i++)
		o.chip_id[i] = (uint8_t)(0x21 + 5 * i);
	o.tcb = turin ? forge_tcb(p, 1, 0, 2, 0x47, 3) : forge_tcb(p, 3, 0, 8, 0x73, 0);
	cvm_snp_tcb_decode(o.tcb, p, &vo.tcb);
	vo.hwid = o.chip_id;
	vo.hwid_len = turin ? 8 : 64;
	X509_free(forge_vek(c->f, &vo, &c->der, &c->der_len));
	forge_snp_report(c->report, &o, c->f->vek_key);
	/* the fields forge_snp_report() leaves zero, at the offsets of evidence.h */
	memset(c->report + SNP_R_FAMILY_ID, 0xf1, 16);
	memset(c->report + SNP_R_IMAGE_ID, 0x19, 16);
	memset(c->report + SNP_R_ID_KEY_DIGEST, 0x1d, 48);
	memset(c->report + SNP_R_AUTHOR_KEY_DIGEST, 0xa7, 48);
	c->report[SNP_R_SIGNER_INFO] |= SNP_SIGNER_AUTHOR_KEY_EN;
	put64(c->report + SNP_R_PLATFORM_INFO, 0x2 | 0x4 | 0x20);	/* TSME, ECC, ALIAS_CHECK_COMPLETE */
	/* launch and committed one SNP SPL behind what runs now */
	put64(c->report + SNP_R_LAUNCH_TCB,
	      turin ? forge_tcb(p, 1, 0, 1, 0x47, 2) : forge_tcb(p, 3, 0, 7, 0x73, 0));
	put64(c->report + SNP_R_COMMITTED_TCB,
	      turin ? forge_tcb(p, 1, 0, 1, 0x47, 3) : forge_tcb(p, 3, 0, 7, 0x73, 0));
	forge_snp_sign(c->report, c->f->vek_key);
}

/* The verdict on @c under the policy @json; *ret keeps the result when non-NULL. */
static enum cvm_status fields_verify(struct fields_case *c, const char *json, struct cvm_result **ret)
{
	struct cvm_ctx *ctx = quiet_ctx();
	struct cvm_policy *p;
	struct cvm_result *r;
	enum cvm_status s;

	assert_int_equal(cvm_add_certs(ctx, c->der, c->der_len), 0);
	assert_int_equal(cvm_set_amd_roots(ctx, c->f->roots_path), 0);
	assert_int_equal(cvm_policy_new(&p), 0);
	if (cvm_policy_load_json(ctx, p, json, strlen(json)) < 0)
		fail_msg("policy did not load: %s", json);
	assert_int_equal(cvm_verify(ctx, c->report, sizeof(c->report), CVM_FORMAT_UNKNOWN, p, &r), 0);
	s = cvm_result_status(r);
	if (ret)
		*ret = r;
	else
		cvm_result_free(r);
	cvm_policy_free(p);
	cvm_ctx_free(ctx);
	return s;
}

/* Fails @json with a message holding each of @needles (NULL-terminated). */
static void fields_fail(struct fields_case *c, const char *json, const char *const *needles)
{
	struct cvm_result *r;

	if (fields_verify(c, json, &r) != CVM_STATUS_POLICY)
		fail_msg("%s: status %d (%s), expected a policy failure", json, cvm_result_status(r),
			 cvm_result_error(r, 0));
	for (size_t i = 0; needles[i]; i++)
		if (!result_has_error(r, needles[i]))
			fail_msg("%s: no error with \"%s\"; first: %s", json, needles[i], cvm_result_error(r, 0));
	cvm_result_free(r);
}

#define FAILS(c, json, ...) fields_fail(c, json, (const char *const[]){ __VA_ARGS__, NULL })

static void test_policy_fields_forged(void **state)
{
	char h48[97], h16[33], json[1024];
	struct fields_case c;

	(void)state;
	fields_case_init(&c, CVM_SNP_PRODUCT_MILAN, 3);
	{
		struct cvm_result *r;

		if (fields_verify(&c, "{}", &r) != CVM_STATUS_OK)
			fail_msg("forged report: %s", cvm_result_error(r, 0));
		cvm_result_free(r);
	}

	/* accepted values: the report's among others passes, others alone fail */
	memset(h48, '1', 96), h48[96] = 0;
	memset(h16, 'f', 32), h16[32] = 0;
	snprintf(json, sizeof(json),
		 "{\"snp\":{\"id_key_digest\":[\"%s\",\"%s\"],\"author_key_digest\":\"%s\","
		 "\"family_id\":\"%s\",\"image_id\":[\"%s\"],\"require_id_key\":true,"
		 "\"require_author_key\":true}}", h48,
		 "1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d",
		 "a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7",
		 "f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1", "19191919191919191919191919191919");
	assert_int_equal(fields_verify(&c, json, NULL), CVM_STATUS_OK);
	snprintf(json, sizeof(json), "{\"snp\":{\"id_key_digest\":\"%s\"}}", h48);
	FAILS(&c, json, "ID_KEY_DIGEST 1d1d1d", "differs from the expected value 111111");
	snprintf(json, sizeof(json), "{\"snp\":{\"id_key_digest\":[\"%s\",\"%s\"]}}", h48, h48);
	FAILS(&c, json, "ID_KEY_DIGEST 1d1d1d", "none of the 2 accepted values (111111");
	snprintf(json, sizeof(json), "{\"snp\":{\"author_key_digest\":\"%s\"}}", h48);
	FAILS(&c, json, "AUTHOR_KEY_DIGEST a7a7a7", "expected value 111111");
	snprintf(json, sizeof(json), "{\"snp\":{\"family_id\":\"%s\"}}", h16);
	FAILS(&c, json, "FAMILY_ID f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1 differs from the expected value ffffffff");
	snprintf(json, sizeof(json), "{\"snp\":{\"image_id\":\"%s\"}}", h16);
	FAILS(&c, json, "IMAGE_ID 19191919191919191919191919191919 differs from the expected value ffff");

	/* minimum TCBs: launch/committed at SNP SPL 7, reported/current at 8 */
	assert_int_equal(fields_verify(&c, "{\"snp\":{\"min_launch_tcb\":{\"snp\":7,\"microcode\":115},"
				       "\"min_committed_tcb\":{\"snp\":7},\"min_current_tcb\":{\"snp\":8}}}",
				       NULL), CVM_STATUS_OK);
	FAILS(&c, "{\"snp\":{\"min_launch_tcb\":{\"snp\":8}}}", "LAUNCH_TCB SNP SPL 7 is below the minimum 8");
	FAILS(&c, "{\"snp\":{\"min_committed_tcb\":{\"snp\":8}}}", "COMMITTED_TCB SNP SPL 7 is below the minimum 8");
	FAILS(&c, "{\"snp\":{\"min_current_tcb\":{\"microcode\":116}}}",
	      "CURRENT_TCB microcode SPL 115 is below the minimum 116");
	/* FMC: Milan has none, so fmc= alone asks nothing of it (as for min_tcb) */
	assert_int_equal(fields_verify(&c, "{\"snp\":{\"min_launch_tcb\":{\"fmc\":9}}}", NULL), CVM_STATUS_OK);

	/* guest SVN, report version */
	assert_int_equal(fields_verify(&c, "{\"snp\":{\"min_guest_svn\":7,\"min_report_version\":3}}", NULL),
			 CVM_STATUS_OK);
	FAILS(&c, "{\"snp\":{\"min_guest_svn\":8}}", "GUEST_SVN 7 is below the minimum 8");
	FAILS(&c, "{\"snp\":{\"min_report_version\":5}}", "report VERSION 3 is below the minimum 5");

	/* guest POLICY 0x130137: ABI 1.55, SMT, SINGLE_SOCKET, no MIGRATE_MA, no DEBUG */
	assert_int_equal(fields_verify(&c, "{\"snp\":{\"guest_policy\":{\"single_socket\":true,\"smt\":true,"
				       "\"migrate_ma\":false,\"cxl_allow\":false},\"min_policy_abi\":\"1.55\"}}",
				       NULL), CVM_STATUS_OK);
	FAILS(&c, "{\"snp\":{\"guest_policy\":{\"smt\":false}}}", "POLICY 0x130137: SMT (bit 16) is 1, expected 0");
	FAILS(&c, "{\"snp\":{\"guest_policy\":{\"mem_aes_256_xts\":true,\"rapl_dis\":true}}}",
	      "MEM_AES_256_XTS (bit 22) is 0, expected 1; RAPL_DIS (bit 23) is 0, expected 1");
	FAILS(&c, "{\"snp\":{\"guest_policy\":{\"ciphertext_hiding\":true,\"page_swap_disable\":true}}}",
	      "CIPHERTEXT_HIDING (bit 24) is 0, expected 1; PAGE_SWAP_DISABLE (bit 25) is 0, expected 1");
	FAILS(&c, "{\"snp\":{\"guest_policy\":\"0x0/0x100000\"}}", "SINGLE_SOCKET (bit 20) is 1, expected 0");
	FAILS(&c, "{\"snp\":{\"min_policy_abi\":\"1.56\"}}",
	      "POLICY ABI_MAJOR.ABI_MINOR 1.55 is below the minimum 1.56");
	FAILS(&c, "{\"snp\":{\"min_policy_abi\":\"2.0\"}}", "1.55 is below the minimum 2.0");

	/* PLATFORM_INFO 0x26: TSME, ECC, ALIAS_CHECK_COMPLETE; SMT off */
	assert_int_equal(fields_verify(&c, "{\"snp\":{\"platform_info\":{\"smt\":false,\"tsme\":true,\"ecc\":true,"
				       "\"alias_check_complete\":true}}}", NULL), CVM_STATUS_OK);
	FAILS(&c, "{\"snp\":{\"platform_info\":{\"smt\":true}}}", "PLATFORM_INFO 0x26: SMT_EN (bit 0) is 0, expected 1");
	FAILS(&c, "{\"snp\":{\"platform_info\":{\"tsme\":false,\"rapl_dis\":true,\"ciphertext_hiding\":true}}}",
	      "TSME_EN (bit 1) is 1, expected 0", "RAPL_DIS (bit 3) is 0, expected 1",
	      "CIPHERTEXT_HIDING_DRAM_EN (bit 4) is 0, expected 1");
	FAILS(&c, "{\"snp\":{\"platform_info\":{\"tio\":true}}}", "TIO_EN (bit 7) is 0, expected 1");

	/* no ID block, no author key */
	memset(c.report + SNP_R_ID_KEY_DIGEST, 0, 48);
	memset(c.report + SNP_R_AUTHOR_KEY_DIGEST, 0, 48);
	c.report[SNP_R_SIGNER_INFO] &= (uint8_t)~SNP_SIGNER_AUTHOR_KEY_EN;
	forge_snp_sign(c.report, c.f->vek_key);
	assert_int_equal(fields_verify(&c, "{}", NULL), CVM_STATUS_OK);
	FAILS(&c, "{\"snp\":{\"require_id_key\":true}}", "ID_KEY_DIGEST is all zero, an ID key is required");
	FAILS(&c, "{\"snp\":{\"require_author_key\":true}}", "SIGNER_INFO AUTHOR_KEY_EN is 0, an author key is required");
	free(c.der);

	/* Turin: the FMC SPL of LAUNCH_TCB (2) and COMMITTED_TCB (3) counts */
	fields_case_init(&c, CVM_SNP_PRODUCT_TURIN, 5);
	assert_int_equal(fields_verify(&c, "{\"snp\":{\"min_launch_tcb\":{\"fmc\":2,\"snp\":1},"
				       "\"min_committed_tcb\":{\"fmc\":3}}}", NULL), CVM_STATUS_OK);
	FAILS(&c, "{\"snp\":{\"min_launch_tcb\":{\"fmc\":3}}}", "LAUNCH_TCB FMC SPL 2 is below the minimum 3");
	FAILS(&c, "{\"snp\":{\"min_committed_tcb\":{\"fmc\":4}}}", "COMMITTED_TCB FMC SPL 3 is below the minimum 4");
	free(c.der);
}

/* The real Milan report (go-sev-guest): fields read at offsets of AMD 56860 Table 23, not via the parser. */
static void test_policy_fields_real(void **state)
{
	struct sample s;
	struct cvm_ctx *ctx;
	char json[512], fam[33];
	uint64_t pol = 0, pinfo = 0;

	(void)state;
	load_sample(&s, "snp/gsg-milan-v2-report.bin", "snp/gsg-milan-vcek.der");
	ctx = ctx_with(&s);
	for (int i = 7; i >= 0; i--) {
		pol = pol << 8 | s.report[0x08 + i];		/* POLICY */
		pinfo = pinfo << 8 | s.report[0x40 + i];	/* PLATFORM_INFO */
	}
	assert_true(pol == 0xb0000);				/* as the testdata README says */
	cvm_hex_encode(s.report + 0x10, 16, fam);		/* FAMILY_ID */

	snprintf(json, sizeof(json),
		 "{\"allow_debug\":true,\"snp\":{\"guest_policy\":{\"smt\":true,\"migrate_ma\":false,"
		 "\"single_socket\":false},\"platform_info\":\"0x%llx/0xff\",\"family_id\":\"%s\","
		 "\"min_launch_tcb\":{\"snp\":%u},\"min_report_version\":2}}",
		 (unsigned long long)(pinfo & 0xff), fam, s.report[0x1f0 + 6]);	/* LAUNCH_TCB SNP SPL */
	{
		struct cvm_policy *p;
		struct cvm_result *r;

		assert_int_equal(cvm_policy_new(&p), 0);
		assert_int_equal(cvm_policy_load_json(ctx, p, json, strlen(json)), 0);
		assert_int_equal(cvm_verify(ctx, s.report, s.report_len, CVM_FORMAT_UNKNOWN, p, &r), 0);
		if (cvm_result_status(r) != CVM_STATUS_OK)
			fail_msg("%s: %s", json, cvm_result_error(r, 0));
		cvm_result_free(r);
		cvm_policy_free(p);
	}
	/* SMT not allowed, a single socket, an ID key: each named with both values */
	{
		const char *bad = "{\"allow_debug\":true,\"snp\":{\"guest_policy\":{\"smt\":false,\"single_socket\":true},"
				  "\"require_id_key\":true,\"min_launch_tcb\":{\"snp\":99}}}";
		struct cvm_policy *p;
		struct cvm_result *r;
		char want[96];

		assert_int_equal(cvm_policy_new(&p), 0);
		assert_int_equal(cvm_policy_load_json(ctx, p, bad, strlen(bad)), 0);
		assert_int_equal(cvm_verify(ctx, s.report, s.report_len, CVM_FORMAT_UNKNOWN, p, &r), 0);
		assert_int_equal(cvm_result_status(r), CVM_STATUS_POLICY);
		assert_true(result_has_error(r, "POLICY 0xb0000: SMT (bit 16) is 1, expected 0; SINGLE_SOCKET (bit 20) is 0, expected 1"));
		assert_true(result_has_error(r, "ID_KEY_DIGEST is all zero"));
		snprintf(want, sizeof(want), "LAUNCH_TCB SNP SPL %u is below the minimum 99", s.report[0x1f0 + 6]);
		assert_true(result_has_error(r, want));
		cvm_result_free(r);
		cvm_policy_free(p);
	}
	cvm_ctx_free(ctx);
	free_sample(&s);
}

/* ---- AMD CRL ------------------------------------------------------------------- */

/* A forged Milan v3 report, its VCEK with serial 0x77 (real ones have 0), test roots trusted. */
struct crl_case {
	struct forge_amd *f;
	uint8_t report[1184];
	uint8_t *der;
	size_t der_len;
};

static void crl_case_init(struct crl_case *c)
{
	struct forge_snp_opts o = { .version = 3, .product = CVM_SNP_PRODUCT_MILAN };
	struct forge_vek_opts vo = { .serial = 0x77 };

	memset(c, 0, sizeof(*c));
	c->f = forge_amd(CVM_SNP_PRODUCT_MILAN);
	for (int i = 0; i < 64; i++)
		o.chip_id[i] = (uint8_t)(0x51 + 3 * i);
	o.tcb = forge_tcb(CVM_SNP_PRODUCT_MILAN, 3, 0, 8, 0x73, 0);
	cvm_snp_tcb_decode(o.tcb, CVM_SNP_PRODUCT_MILAN, &vo.tcb);
	vo.hwid = o.chip_id;
	vo.hwid_len = 64;
	X509_free(forge_vek(c->f, &vo, &c->der, &c->der_len));
	forge_snp_report(c->report, &o, c->f->vek_key);
}

static struct cvm_ctx *crl_ctx(const struct crl_case *c, const char *crl)
{
	struct cvm_ctx *ctx = quiet_ctx();

	assert_int_equal(cvm_set_amd_roots(ctx, c->f->roots_path), 0);
	assert_int_equal(cvm_add_certs(ctx, c->der, c->der_len), 0);
	if (crl)
		assert_int_equal(cvm_add_amd_crl_file(ctx, crl), 0);
	return ctx;
}

/* Verify; the status, and (if @want) that some error contains @want. */
static enum cvm_status crl_verify(struct cvm_ctx *ctx, const struct crl_case *c, const char *want,
				  char **json)
{
	struct cvm_result *r;
	enum cvm_status st;
	bool found = !want;

	assert_int_equal(cvm_verify(ctx, c->report, sizeof(c->report), CVM_FORMAT_UNKNOWN, NULL, &r), 0);
	st = cvm_result_status(r);
	for (size_t i = 0; i < cvm_result_n_errors(r); i++)
		if (want && strstr(cvm_result_error(r, i), want))
			found = true;
	if (!found)
		for (size_t i = 0; i < cvm_result_n_errors(r); i++)
			print_message("error: %s\n", cvm_result_error(r, i));
	assert_true(found);
	if (json)
		assert_int_equal(cvm_result_to_json(r, json), 0);
	cvm_result_free(r);
	return st;
}

static bool unchecked_has(struct cvm_ctx *ctx, const struct crl_case *c, const char *what)
{
	struct cvm_result *r;
	bool found = false;

	assert_int_equal(cvm_verify(ctx, c->report, sizeof(c->report), CVM_FORMAT_UNKNOWN, NULL, &r), 0);
	for (size_t i = 0; i < cvm_result_n_unchecked(r); i++)
		if (strstr(cvm_result_unchecked(r, i), what))
			found = true;
	cvm_result_free(r);
	return found;
}

static void test_crl(void **state)
{
	struct crl_case c;
	struct cvm_ctx *ctx;
	const long other[] = { 0x1234 }, vcek[] = { 0x1234, 0x77 }, ask[] = { 0x10001 };
	char path[4096], *json = NULL;
	time_t now = time(NULL);

	(void)state;
	crl_case_init(&c);

	/* no CRL: OK, and the OK says revocation was not checked */
	ctx = crl_ctx(&c, NULL);
	assert_int_equal(crl_verify(ctx, &c, NULL, &json), CVM_STATUS_OK);
	assert_non_null(strstr(json, "\"crl\": null"));
	free(json);
	assert_true(unchecked_has(ctx, &c, "AMD's CRL (KDS /vcek/v1/Milan/crl) is not consulted"));
	cvm_ctx_free(ctx);

	/* a current CRL of the ARK that lists another serial: OK, revocation checked */
	snprintf(path, sizeof(path), "%s", forge_amd_crl(c.f, &(struct forge_crl_opts){
		.revoked = other, .n_revoked = 1 }, "crl-ok.crl"));
	ctx = crl_ctx(&c, path);
	assert_int_equal(crl_verify(ctx, &c, NULL, &json), CVM_STATUS_OK);
	assert_non_null(strstr(json, "\"crl\": {"));
	assert_non_null(strstr(json, path));
	assert_non_null(strstr(json, "\"next_update\": \""));
	assert_non_null(strstr(json, "\"entries\": 1"));
	free(json);
	assert_false(unchecked_has(ctx, &c, "AMD's CRL"));
	/* twice: the chain is cached now, the CRL is still checked */
	assert_false(unchecked_has(ctx, &c, "AMD's CRL"));
	cvm_ctx_free(ctx);

	/* PEM works the same */
	ctx = crl_ctx(&c, forge_amd_crl(c.f, &(struct forge_crl_opts){ .pem = true }, "crl-ok.pem"));
	assert_int_equal(crl_verify(ctx, &c, NULL, NULL), CVM_STATUS_OK);
	cvm_ctx_free(ctx);

	/* the VCEK revoked: 2, named with its serial and the date */
	snprintf(path, sizeof(path), "%s", forge_amd_crl(c.f, &(struct forge_crl_opts){
		.revoked = vcek, .n_revoked = 2, .revoked_at = 1767225600 }, "crl-vcek.crl"));
	ctx = crl_ctx(&c, path);
	assert_int_equal(crl_verify(ctx, &c, "revoked: the SEV-VCEK certificate (serial 0x77) was "
				    "revoked by ARK-Milan on 2026-01-01 00:00:00 UTC", NULL),
			 CVM_STATUS_INVALID);
	assert_int_equal(crl_verify(ctx, &c, path, NULL), CVM_STATUS_INVALID);
	/* also once the chain is cached */
	assert_int_equal(crl_verify(ctx, &c, "SEV-VCEK certificate (serial 0x77)", NULL), CVM_STATUS_INVALID);
	cvm_ctx_free(ctx);

	/* the ASK revoked: 2, even from the cached chain */
	ctx = crl_ctx(&c, NULL);
	assert_int_equal(crl_verify(ctx, &c, NULL, NULL), CVM_STATUS_OK);	/* chain now cached */
	assert_int_equal(cvm_add_amd_crl_file(ctx, forge_amd_crl(c.f, &(struct forge_crl_opts){
		.revoked = ask, .n_revoked = 1 }, "crl-ask.crl")), 0);
	assert_int_equal(crl_verify(ctx, &c, "revoked: the SEV-Milan certificate (serial 0x010001)", NULL),
			 CVM_STATUS_INVALID);
	cvm_ctx_free(ctx);

	/* signed by another key (the ASK's): 2, naming the file */
	snprintf(path, sizeof(path), "%s", forge_amd_crl(c.f, &(struct forge_crl_opts){
		.signer = c.f->ask_key }, "crl-forged.crl"));
	ctx = crl_ctx(&c, path);
	assert_int_equal(crl_verify(ctx, &c, "is not a valid CRL of ARK-Milan: bad signature", NULL),
			 CVM_STATUS_INVALID);
	assert_int_equal(crl_verify(ctx, &c, path, NULL), CVM_STATUS_INVALID);
	cvm_ctx_free(ctx);

	/* PKCS#1 v1.5 by the right key: not AMD's algorithm */
	ctx = crl_ctx(&c, forge_amd_crl(c.f, &(struct forge_crl_opts){ .pkcs1 = true }, "crl-pkcs1.crl"));
	assert_int_equal(crl_verify(ctx, &c, "not signed with RSASSA-PSS", NULL), CVM_STATUS_INVALID);
	cvm_ctx_free(ctx);

	/* another product's CRL: 2, naming it and the issuer */
	snprintf(path, sizeof(path), "%s", forge_amd_crl(forge_amd(CVM_SNP_PRODUCT_GENOA),
		&(struct forge_crl_opts){ 0 }, "crl-genoa.crl"));
	ctx = crl_ctx(&c, path);
	assert_int_equal(crl_verify(ctx, &c, "is issued by \"ARK-Genoa\", not by ARK-Milan", NULL),
			 CVM_STATUS_INVALID);
	/* with the right one too: the right one is picked */
	assert_int_equal(cvm_add_amd_crl_file(ctx, forge_amd_crl(c.f, &(struct forge_crl_opts){ 0 },
		"crl-milan.crl")), 0);
	assert_int_equal(crl_verify(ctx, &c, NULL, NULL), CVM_STATUS_OK);
	cvm_ctx_free(ctx);

	/* stale: 5, and the fix named; at a time before nextUpdate: OK */
	snprintf(path, sizeof(path), "%s", forge_amd_crl(c.f, &(struct forge_crl_opts){
		.this_update = now - 3 * 3600, .next_update = now - 3600 }, "crl-stale.crl"));
	ctx = crl_ctx(&c, path);
	assert_int_equal(crl_verify(ctx, &c, "is stale: its nextUpdate", NULL), CVM_STATUS_UNVERIFIABLE);
	assert_int_equal(crl_verify(ctx, &c, "'cvmattest fetch REPORT'", NULL), CVM_STATUS_UNVERIFIABLE);
	cvm_set_verify_time(ctx, now - 2 * 3600);
	assert_int_equal(crl_verify(ctx, &c, NULL, NULL), CVM_STATUS_OK);
	/* before its thisUpdate: not valid yet */
	cvm_set_verify_time(ctx, now - 4 * 3600);
	assert_int_equal(crl_verify(ctx, &c, "is not valid yet", NULL), CVM_STATUS_UNVERIFIABLE);
	cvm_ctx_free(ctx);
	/* a stale CRL that lists the VCEK: revoked all the same */
	ctx = crl_ctx(&c, forge_amd_crl(c.f, &(struct forge_crl_opts){ .revoked = vcek, .n_revoked = 2,
		.this_update = now - 3 * 3600, .next_update = now - 3600 }, "crl-stale2.crl"));
	assert_int_equal(crl_verify(ctx, &c, "revoked: the SEV-VCEK", NULL), CVM_STATUS_INVALID);
	cvm_ctx_free(ctx);
	/* no nextUpdate: never current */
	ctx = crl_ctx(&c, forge_amd_crl(c.f, &(struct forge_crl_opts){ .no_next_update = true },
					"crl-nonext.crl"));
	assert_int_equal(crl_verify(ctx, &c, "is stale", NULL), CVM_STATUS_UNVERIFIABLE);
	cvm_ctx_free(ctx);

	/* files that are not CRLs: refused when given */
	ctx = quiet_ctx();
	assert_int_equal(cvm_add_amd_crl_file(ctx, write_tmp("crl-garbage.crl", "crl", 3)), -EBADMSG);
	assert_int_equal(cvm_add_amd_crl_file(ctx, "/nonexistent/crl"), -ENOENT);
	assert_int_equal(cvm_add_amd_crl_file(ctx, c.f->roots_path), -EBADMSG);
	cvm_ctx_free(ctx);
	free(c.der);
}

static void test_crl_cache(void **state)
{
	struct crl_case c;
	struct cvm_ctx *ctx;
	const long vcek[] = { 0x77 };
	char dir[4096], path[4096 + 32], cmd[8400];
	char *json = NULL;

	(void)state;
	crl_case_init(&c);
	snprintf(dir, sizeof(dir), "%s/crlcache-%d", tmp_dir(), (int)getpid());
	snprintf(path, sizeof(path), "%s/crl", dir);
	mkdir(dir, 0755);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/crl/Milan.crl", dir);

	/* found in the cache and used */
	snprintf(cmd, sizeof(cmd), "cp %s %s", forge_amd_crl(c.f, &(struct forge_crl_opts){ 0 }, "c1.crl"), path);
	assert_int_equal(system(cmd), 0);
	ctx = crl_ctx(&c, NULL);
	assert_true(unchecked_has(ctx, &c, "AMD's CRL"));	/* no cache dir */
	assert_int_equal(cvm_set_cache_dir(ctx, dir), 0);
	assert_int_equal(crl_verify(ctx, &c, NULL, &json), CVM_STATUS_OK);
	assert_non_null(strstr(json, "crl/Milan.crl"));
	free(json);
	assert_false(unchecked_has(ctx, &c, "AMD's CRL"));

	/* a cached CRL that revokes the VCEK */
	snprintf(cmd, sizeof(cmd), "cp %s %s", forge_amd_crl(c.f, &(struct forge_crl_opts){
		.revoked = vcek, .n_revoked = 1 }, "c2.crl"), path);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(crl_verify(ctx, &c, "revoked: the SEV-VCEK certificate (serial 0x77)", NULL),
			 CVM_STATUS_INVALID);
	/* a CRL given replaces the cached one */
	assert_int_equal(cvm_add_amd_crl_file(ctx, forge_amd_crl(c.f, &(struct forge_crl_opts){ 0 },
		"c3.crl")), 0);
	assert_int_equal(crl_verify(ctx, &c, NULL, NULL), CVM_STATUS_OK);
	cvm_ctx_free(ctx);

	/* a cached file that is not a CRL: 2, naming it and the fix */
	ctx = crl_ctx(&c, NULL);
	assert_int_equal(cvm_set_cache_dir(ctx, dir), 0);
	snprintf(cmd, sizeof(cmd), "printf crl > %s", path);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(crl_verify(ctx, &c, "cached CRL", NULL), CVM_STATUS_INVALID);
	assert_int_equal(crl_verify(ctx, &c, "crl/Milan.crl: not an X.509 CRL", NULL), CVM_STATUS_INVALID);
	/* another product's under this product's name */
	snprintf(cmd, sizeof(cmd), "cp %s %s", forge_amd_crl(forge_amd(CVM_SNP_PRODUCT_GENOA),
		 &(struct forge_crl_opts){ 0 }, "c4.crl"), path);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(crl_verify(ctx, &c, "is issued by \"ARK-Genoa\", not by ARK-Milan", NULL),
			 CVM_STATUS_INVALID);
	/* --no-cache: not consulted */
	assert_int_equal(cvm_set_cache_dir(ctx, NULL), 0);
	assert_int_equal(crl_verify(ctx, &c, NULL, NULL), CVM_STATUS_OK);
	cvm_ctx_free(ctx);
	free(c.der);
}

/*
 * The real report and VCEK with the built-in ARK: a CRL under AMD's name
 * made with a test key (a host's forgery) is refused, not taken as "checked".
 */
static void test_crl_real_vector(void **state)
{
	struct sample s;
	struct cvm_ctx *ctx;
	struct cvm_result *r;
	bool found = false;

	(void)state;
	load_sample(&s, "snp/virtee-milan-v2-report.hex", "snp/virtee-milan-vcek.der");
	ctx = ctx_with(&s);
	assert_int_equal(cvm_add_amd_crl_file(ctx, forge_amd_crl(forge_amd(CVM_SNP_PRODUCT_MILAN),
		&(struct forge_crl_opts){ 0 }, "crl-real.crl")), 0);
	assert_int_equal(cvm_verify(ctx, s.report, s.report_len, CVM_FORMAT_UNKNOWN, NULL, &r), 0);
	assert_int_equal(cvm_result_status(r), CVM_STATUS_INVALID);
	for (size_t i = 0; i < cvm_result_n_errors(r); i++)
		if (strstr(cvm_result_error(r, i), "is not a valid CRL of ARK-Milan: bad signature"))
			found = true;
	assert_true(found);
	cvm_result_free(r);
	cvm_ctx_free(ctx);
	free_sample(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_virtee_ok),
		cmocka_unit_test(test_gsg_debug),
		cmocka_unit_test(test_wrong_or_missing_vcek),
		cmocka_unit_test(test_flipped_bits),
		cmocka_unit_test(test_truncated_and_extended),
		cmocka_unit_test(test_report_with_cert_table),
		cmocka_unit_test(test_msg_report_rsp),
		cmocka_unit_test(test_cache_dir),
		cmocka_unit_test(test_validity_time),
		cmocka_unit_test(test_explicit_roots),
		cmocka_unit_test(test_offered_ark_not_trusted),
		cmocka_unit_test(test_crl),
		cmocka_unit_test(test_crl_cache),
		cmocka_unit_test(test_crl_real_vector),
		cmocka_unit_test(test_policy_fields_forged),
		cmocka_unit_test(test_policy_fields_real),
	};

	return cmocka_run_group_tests_name("verify-snp", tests, NULL, NULL);
}
