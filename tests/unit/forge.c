// SPDX-License-Identifier: LGPL-2.1-or-later
/* Simulated evidence for the unit tests; see forge.h.  TEST KEYS ONLY. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <jansson.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509v3.h>

#include <cvmattest/evidence.h>

#include "forge.h"
#include "testutil.h"

#define CHECK(x)                                                   \
	do {                                                       \
		if (!(x))                                          \
			fail_msg("forge: %s failed (%s:%d)", #x, __FILE__, __LINE__); \
	} while (0)

static void put_le16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void put_le32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void put_le64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* ---- certificates ------------------------------------------------------------------ */

static X509_NAME *amd_name(const char *cn)
{
	/* AMD's DN order, as in real ARK/ASK/VCEK certificates. */
	static const char *const fields[][2] = {
		{ "OU", "Engineering" }, { "C", "US" }, { "L", "Santa Clara" },
		{ "ST", "CA" }, { "O", "Advanced Micro Devices" },
	};
	X509_NAME *n = X509_NAME_new();

	CHECK(n);
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		CHECK(X509_NAME_add_entry_by_txt(n, fields[i][0], MBSTRING_ASC,
						 (const unsigned char *)fields[i][1], -1, -1, 0));
	CHECK(X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0));
	return n;
}

static X509_NAME *intel_name(const char *cn)
{
	X509_NAME *n = X509_NAME_new();

	CHECK(n);
	CHECK(X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0));
	CHECK(X509_NAME_add_entry_by_txt(n, "O", MBSTRING_ASC, (const unsigned char *)"Intel Corporation", -1, -1, 0));
	CHECK(X509_NAME_add_entry_by_txt(n, "L", MBSTRING_ASC, (const unsigned char *)"Santa Clara", -1, -1, 0));
	CHECK(X509_NAME_add_entry_by_txt(n, "ST", MBSTRING_ASC, (const unsigned char *)"CA", -1, -1, 0));
	CHECK(X509_NAME_add_entry_by_txt(n, "C", MBSTRING_ASC, (const unsigned char *)"US", -1, -1, 0));
	return n;
}

static X509 *new_cert(X509_NAME *subject, X509_NAME *issuer, EVP_PKEY *pub, long serial,
		      time_t nb, time_t na)
{
	X509 *x = X509_new();
	time_t now = time(NULL);

	CHECK(x);
	CHECK(X509_set_version(x, 2));
	CHECK(ASN1_INTEGER_set(X509_get_serialNumber(x), serial));
	CHECK(X509_set_subject_name(x, subject));
	CHECK(X509_set_issuer_name(x, issuer));
	CHECK(X509_set_pubkey(x, pub));
	CHECK(ASN1_TIME_set(X509_getm_notBefore(x), nb ? nb : now - 86400));
	CHECK(ASN1_TIME_set(X509_getm_notAfter(x), na ? na : now + 7L * 365 * 86400));
	return x;
}

static void add_ext_conf(X509 *x, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX v3;
	X509_EXTENSION *e;

	X509V3_set_ctx(&v3, issuer ? issuer : x, x, NULL, NULL, 0);
	e = X509V3_EXT_conf_nid(NULL, &v3, nid, value);
	CHECK(e);
	CHECK(X509_add_ext(x, e, -1));
	X509_EXTENSION_free(e);
}

static void add_ext_raw(X509 *x, const char *oid, const uint8_t *content, size_t len)
{
	ASN1_OBJECT *o = OBJ_txt2obj(oid, 1);
	ASN1_OCTET_STRING *os = ASN1_OCTET_STRING_new();
	X509_EXTENSION *e;

	CHECK(o && os);
	CHECK(ASN1_OCTET_STRING_set(os, content, (int)len));
	e = X509_EXTENSION_create_by_OBJ(NULL, o, 0, os);
	CHECK(e);
	CHECK(X509_add_ext(x, e, -1));
	X509_EXTENSION_free(e);
	ASN1_OCTET_STRING_free(os);
	ASN1_OBJECT_free(o);
}

static void add_ext_int(X509 *x, const char *oid, unsigned v)
{
	/* DER INTEGER, as KDS writes the SPLs ("02 01 73", "02 02 00 de"). */
	uint8_t b[4] = { 0x02, 0x01, (uint8_t)v };

	if (v >= 0x80) {
		b[1] = 2;
		b[2] = 0;
		b[3] = (uint8_t)v;
		add_ext_raw(x, oid, b, 4);
	} else {
		add_ext_raw(x, oid, b, 3);
	}
}

static void add_ext_ia5(X509 *x, const char *oid, const char *s)
{
	uint8_t b[128];
	size_t n = strlen(s);

	CHECK(n < 120);
	b[0] = 0x16;
	b[1] = (uint8_t)n;
	memcpy(b + 2, s, n);
	add_ext_raw(x, oid, b, n + 2);
}

static void sign_pss(X509 *x, EVP_PKEY *key, const EVP_MD *md, int salt)
{
	EVP_MD_CTX *mctx = EVP_MD_CTX_new();
	EVP_PKEY_CTX *pctx = NULL;

	CHECK(mctx);
	CHECK(EVP_DigestSignInit(mctx, &pctx, md, NULL, key) == 1);
	CHECK(EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) == 1);
	CHECK(EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, salt) == 1);
	CHECK(EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, md) == 1);
	CHECK(X509_sign_ctx(x, mctx) > 0);
	EVP_MD_CTX_free(mctx);
}

static const char *product_cn(enum cvm_snp_product p)
{
	return cvm_snp_product_name(p);
}

const char *forge_write_pem(const char *name, X509 *const *certs, size_t n)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *data;
	long len;
	const char *path;

	CHECK(b);
	for (size_t i = 0; i < n; i++)
		CHECK(PEM_write_bio_X509(b, certs[i]));
	len = BIO_get_mem_data(b, &data);
	path = write_tmp(name, data, (size_t)len);
	BIO_free(b);
	return path;
}

struct forge_amd *forge_amd(enum cvm_snp_product p)
{
	static struct forge_amd chains[4];
	struct forge_amd *f = &chains[p];
	X509_NAME *ark_n, *ask_n, *asvk_n;
	char cn[64], name[64];

	if (f->ark)
		return f;
	f->product = p;
	/* RSA-2048 keeps the tests fast; AMD's are 4096, the verifier accepts >= 2048. */
	f->ark_key = EVP_RSA_gen(2048);
	f->ask_key = EVP_RSA_gen(2048);
	f->asvk_key = EVP_RSA_gen(2048);
	f->vek_key = EVP_EC_gen("P-384");
	CHECK(f->ark_key && f->ask_key && f->asvk_key && f->vek_key);

	snprintf(cn, sizeof(cn), "ARK-%s", product_cn(p));
	ark_n = amd_name(cn);
	snprintf(cn, sizeof(cn), "SEV-%s", product_cn(p));
	ask_n = amd_name(cn);
	snprintf(cn, sizeof(cn), "SEV-VLEK-%s", product_cn(p));
	asvk_n = amd_name(cn);

	f->ark = new_cert(ark_n, ark_n, f->ark_key, 0x10000, 0, time(NULL) + 25L * 365 * 86400);
	add_ext_conf(f->ark, NULL, NID_key_usage, "critical,digitalSignature,keyCertSign,cRLSign");
	add_ext_conf(f->ark, NULL, NID_basic_constraints, "critical,CA:TRUE");
	sign_pss(f->ark, f->ark_key, EVP_sha384(), 48);

	f->ask = new_cert(ask_n, ark_n, f->ask_key, 0x10001, 0, time(NULL) + 25L * 365 * 86400);
	add_ext_conf(f->ask, f->ark, NID_basic_constraints, "critical,CA:TRUE");
	add_ext_conf(f->ask, f->ark, NID_key_usage, "critical,digitalSignature,keyCertSign,cRLSign");
	sign_pss(f->ask, f->ark_key, EVP_sha384(), 48);

	f->asvk = new_cert(asvk_n, ark_n, f->asvk_key, 0x10101, 0, time(NULL) + 25L * 365 * 86400);
	add_ext_conf(f->asvk, f->ark, NID_basic_constraints, "critical,CA:TRUE");
	add_ext_conf(f->asvk, f->ark, NID_key_usage, "critical,digitalSignature,keyCertSign,cRLSign");
	sign_pss(f->asvk, f->ark_key, EVP_sha384(), 48);

	X509_NAME_free(ark_n);
	X509_NAME_free(ask_n);
	X509_NAME_free(asvk_n);

	{
		X509 *const roots[] = { f->ask, f->asvk, f->ark };

		snprintf(name, sizeof(name), "forge-roots-%s.pem", product_cn(p));
		snprintf(f->roots_path, sizeof(f->roots_path), "%s", forge_write_pem(name, roots, 3));
	}
	return f;
}

const char *forge_amd_crl(struct forge_amd *f, const struct forge_crl_opts *o, const char *name)
{
	X509_CRL *crl = X509_CRL_new();
	ASN1_TIME *t;
	time_t now = time(NULL);
	X509_NAME *iss = NULL;
	EVP_PKEY *key = o->signer ? o->signer : f->ark_key;
	unsigned char *der = NULL;
	const char *path;
	int n;

	CHECK(crl);
	CHECK(X509_CRL_set_version(crl, 1));
	if (o->issuer_cn)
		iss = amd_name(o->issuer_cn);
	CHECK(X509_CRL_set_issuer_name(crl, iss ? iss : X509_get_subject_name(f->ark)));
	X509_NAME_free(iss);
	t = ASN1_TIME_set(NULL, o->this_update ? o->this_update : now - 3600);
	CHECK(t && X509_CRL_set1_lastUpdate(crl, t));
	ASN1_TIME_free(t);
	if (!o->no_next_update) {
		t = ASN1_TIME_set(NULL, o->next_update ? o->next_update : now + 7L * 86400);
		CHECK(t && X509_CRL_set1_nextUpdate(crl, t));
		ASN1_TIME_free(t);
	}
	for (size_t i = 0; i < o->n_revoked; i++) {
		X509_REVOKED *rev = X509_REVOKED_new();
		ASN1_INTEGER *sn = ASN1_INTEGER_new();

		CHECK(rev && sn && ASN1_INTEGER_set(sn, o->revoked[i]));
		CHECK(X509_REVOKED_set_serialNumber(rev, sn));
		t = ASN1_TIME_set(NULL, o->revoked_at ? o->revoked_at : now - 2 * 86400);
		CHECK(t && X509_REVOKED_set_revocationDate(rev, t));
		CHECK(X509_CRL_add0_revoked(crl, rev));
		ASN1_TIME_free(t);
		ASN1_INTEGER_free(sn);
	}
	CHECK(X509_CRL_sort(crl));
	if (o->pkcs1) {
		CHECK(X509_CRL_sign(crl, key, EVP_sha384()) > 0);
	} else {
		EVP_MD_CTX *mctx = EVP_MD_CTX_new();
		EVP_PKEY_CTX *pctx = NULL;

		CHECK(mctx);
		CHECK(EVP_DigestSignInit(mctx, &pctx, EVP_sha384(), NULL, key) == 1);
		CHECK(EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) == 1);
		CHECK(EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, 48) == 1);
		CHECK(EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, EVP_sha384()) == 1);
		CHECK(X509_CRL_sign_ctx(crl, mctx) > 0);
		EVP_MD_CTX_free(mctx);
	}
	if (o->pem) {
		BIO *b = BIO_new(BIO_s_mem());
		char *data;
		long len;

		CHECK(b && PEM_write_bio_X509_CRL(b, crl));
		len = BIO_get_mem_data(b, &data);
		path = write_tmp(name, data, (size_t)len);
		BIO_free(b);
	} else {
		n = i2d_X509_CRL(crl, &der);
		CHECK(n > 0);
		path = write_tmp(name, der, (size_t)n);
		OPENSSL_free(der);
	}
	X509_CRL_free(crl);
	return path;
}

uint64_t forge_tcb(enum cvm_snp_product p, uint8_t bl, uint8_t tee, uint8_t snp, uint8_t ucode,
		   uint8_t fmc)
{
	uint8_t b[8] = { 0 };

	if (p == CVM_SNP_PRODUCT_TURIN) {
		b[SNP_TCB_TURIN_FMC] = fmc;
		b[SNP_TCB_TURIN_BL] = bl;
		b[SNP_TCB_TURIN_TEE] = tee;
		b[SNP_TCB_TURIN_SNP] = snp;
		b[SNP_TCB_TURIN_UCODE] = ucode;
	} else {
		b[SNP_TCB_LEGACY_BL] = bl;
		b[SNP_TCB_LEGACY_TEE] = tee;
		b[SNP_TCB_LEGACY_SNP] = snp;
		b[SNP_TCB_LEGACY_UCODE] = ucode;
	}
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = v << 8 | b[i];
	return v;
}

X509 *forge_vek(struct forge_amd *f, const struct forge_vek_opts *o, uint8_t **der, size_t *der_len)
{
	X509_NAME *subj = amd_name(o->vlek ? "SEV-VLEK" : "SEV-VCEK");
	X509 *issuer = o->vlek ? f->asvk : f->ask;
	EVP_PKEY *signer = o->signer ? o->signer : o->vlek ? f->asvk_key : f->ask_key;
	bool turin = f->product == CVM_SNP_PRODUCT_TURIN;
	const char *pname = o->product_name;
	X509 *x;
	unsigned char *p = NULL;
	int n;

	x = new_cert(subj, X509_get_subject_name(issuer), f->vek_key, o->serial, o->not_before,
		     o->not_after);
	X509_NAME_free(subj);
	if (!pname)
		pname = f->product == CVM_SNP_PRODUCT_MILAN ? "Milan-B0" :
			f->product == CVM_SNP_PRODUCT_GENOA ? "Genoa-B1" : "Turin";
	add_ext_int(x, AMD_OID_STRUCT_VERSION, turin ? 1 : 0);
	add_ext_ia5(x, AMD_OID_PRODUCT_NAME, pname);
	/* Turin's order and set, as in the real Turin VCEK: fmc first, no spl4. */
	if (turin)
		add_ext_int(x, AMD_OID_FMC_SPL, o->tcb.fmc);
	add_ext_int(x, AMD_OID_BL_SPL, o->tcb.bootloader);
	add_ext_int(x, AMD_OID_TEE_SPL, o->tcb.tee);
	if (!turin)
		add_ext_int(x, AMD_OID_SPL4, 0);
	add_ext_int(x, AMD_OID_SPL5, 0);
	add_ext_int(x, AMD_OID_SPL6, 0);
	add_ext_int(x, AMD_OID_SPL7, 0);
	add_ext_int(x, AMD_OID_SNP_SPL, o->tcb.snp);
	if (!o->no_ucode_ext)
		add_ext_int(x, AMD_OID_UCODE_SPL, o->tcb.microcode);
	if (o->hwid)
		add_ext_raw(x, AMD_OID_HWID, o->hwid, o->hwid_len);
	if (o->vlek)
		add_ext_ia5(x, AMD_OID_CSP_ID, "cvmattest-test-csp");
	sign_pss(x, signer, o->pss_md ? o->pss_md : EVP_sha384(), o->pss_salt ? o->pss_salt : 48);
	if (der) {
		n = i2d_X509(x, &p);
		CHECK(n > 0);
		*der = malloc((size_t)n);
		CHECK(*der);
		memcpy(*der, p, (size_t)n);
		*der_len = (size_t)n;
		OPENSSL_free(p);
	}
	return x;
}

/* ---- SNP reports ------------------------------------------------------------------------- */

static void sign_raw(EVP_PKEY *key, const EVP_MD *md, const uint8_t *msg, size_t len, uint8_t *r_out,
		     uint8_t *s_out, size_t comp, bool little_endian)
{
	EVP_MD_CTX *m = EVP_MD_CTX_new();
	unsigned char sigbuf[256];
	const unsigned char *sp = sigbuf;
	size_t slen = sizeof(sigbuf);
	ECDSA_SIG *sig;
	const BIGNUM *r, *s;

	CHECK(m);
	CHECK(EVP_DigestSignInit(m, NULL, md, NULL, key) == 1);
	CHECK(EVP_DigestSign(m, sigbuf, &slen, msg, len) == 1);
	EVP_MD_CTX_free(m);
	sig = d2i_ECDSA_SIG(NULL, &sp, (long)slen);
	CHECK(sig);
	ECDSA_SIG_get0(sig, &r, &s);
	if (little_endian) {
		CHECK(BN_bn2lebinpad(r, r_out, (int)comp) == (int)comp);
		CHECK(BN_bn2lebinpad(s, s_out, (int)comp) == (int)comp);
	} else {
		CHECK(BN_bn2binpad(r, r_out, (int)comp) == (int)comp);
		CHECK(BN_bn2binpad(s, s_out, (int)comp) == (int)comp);
	}
	ECDSA_SIG_free(sig);
}

void forge_snp_sign(uint8_t report[1184], EVP_PKEY *key)
{
	memset(report + SNP_R_SIGNATURE, 0, SNP_REPORT_SIZE - SNP_R_SIGNATURE);
	sign_raw(key, EVP_sha384(), report, SNP_SIGNED_LEN, report + SNP_R_SIG_R, report + SNP_R_SIG_S,
		 SNP_SIG_COMPONENT_LEN, true);
}

void forge_snp_report(uint8_t out[1184], const struct forge_snp_opts *o, EVP_PKEY *key)
{
	memset(out, 0, SNP_REPORT_SIZE);
	put_le32(out + SNP_R_VERSION, o->version);
	put_le32(out + SNP_R_GUEST_SVN, o->guest_svn);
	put_le64(out + SNP_R_POLICY, o->policy ? o->policy : 0x30000);
	put_le32(out + SNP_R_VMPL, o->vmpl);
	put_le32(out + SNP_R_SIGNATURE_ALGO, SNP_SIG_ALGO_ECDSA_P384_SHA384);
	put_le64(out + SNP_R_CURRENT_TCB, o->tcb);
	put_le64(out + SNP_R_PLATFORM_INFO, 1);
	put_le32(out + SNP_R_SIGNER_INFO, o->signer_info);
	memcpy(out + SNP_R_REPORT_DATA, o->report_data, 64);
	memcpy(out + SNP_R_MEASUREMENT, o->measurement, 48);
	memcpy(out + SNP_R_HOST_DATA, o->host_data, 32);
	memset(out + SNP_R_REPORT_ID, 0x5a, 32);
	memset(out + SNP_R_REPORT_ID_MA, 0xff, 32);
	put_le64(out + SNP_R_REPORTED_TCB, o->tcb);
	if (o->version >= 3) {
		/* AMD CPUID family/model as VSEV identify_cpu reads them. */
		switch (o->product) {
		case CVM_SNP_PRODUCT_MILAN:
			out[SNP_R_CPUID_FAM_ID] = 0x19, out[SNP_R_CPUID_MOD_ID] = 0x01;
			break;
		case CVM_SNP_PRODUCT_GENOA:
			out[SNP_R_CPUID_FAM_ID] = 0x19, out[SNP_R_CPUID_MOD_ID] = 0x11;
			break;
		case CVM_SNP_PRODUCT_TURIN:
			out[SNP_R_CPUID_FAM_ID] = 0x1a, out[SNP_R_CPUID_MOD_ID] = 0x02;
			break;
		default:
			break;
		}
		out[SNP_R_CPUID_STEP] = 1;
	}
	memcpy(out + SNP_R_CHIP_ID, o->chip_id, 64);
	put_le64(out + SNP_R_COMMITTED_TCB, o->tcb);
	out[SNP_R_CURRENT_BUILD] = 21, out[SNP_R_CURRENT_MINOR] = 55, out[SNP_R_CURRENT_MAJOR] = 1;
	out[SNP_R_COMMITTED_BUILD] = 21, out[SNP_R_COMMITTED_MINOR] = 55, out[SNP_R_COMMITTED_MAJOR] = 1;
	put_le64(out + SNP_R_LAUNCH_TCB, o->tcb);
	if (o->version >= 5) {
		put_le64(out + SNP_R_LAUNCH_MIT_VECTOR, 0xb);
		put_le64(out + SNP_R_CURRENT_MIT_VECTOR, 0xb);
	}
	if (key)
		forge_snp_sign(out, key);
}

uint8_t *forge_cert_table(const enum cvm_snp_cert_kind *kinds, const uint8_t *const *ders,
			  const size_t *lens, size_t n, size_t *out_len)
{
	static const uint8_t guids[][16] = {
		[CVM_SNP_CERT_VCEK] = SNP_GUID_VCEK, [CVM_SNP_CERT_VLEK] = SNP_GUID_VLEK,
		[CVM_SNP_CERT_ASK] = SNP_GUID_ASK,   [CVM_SNP_CERT_ARK] = SNP_GUID_ARK,
		[CVM_SNP_CERT_CRL] = SNP_GUID_CRL,
	};
	size_t hdr = (n + 1) * SNP_CERT_ENTRY_SIZE, total = hdr, off;
	uint8_t *t;

	for (size_t i = 0; i < n; i++)
		total += lens[i];
	total = (total + 4095) / 4096 * 4096;	/* page multiple, zero padded */
	t = calloc(1, total);
	CHECK(t);
	off = hdr;
	for (size_t i = 0; i < n; i++) {
		uint8_t *e = t + i * SNP_CERT_ENTRY_SIZE;

		memcpy(e + SNP_CERT_ENTRY_GUID, guids[kinds[i]], 16);
		put_le32(e + SNP_CERT_ENTRY_OFFSET, (uint32_t)off);
		put_le32(e + SNP_CERT_ENTRY_LENGTH, (uint32_t)lens[i]);
		memcpy(t + off, ders[i], lens[i]);
		off += lens[i];
	}
	*out_len = total;
	return t;
}

/* ---- Intel ----------------------------------------------------------------------------------- */

static void append(char **buf, size_t *len, const char *data, size_t n)
{
	*buf = realloc(*buf, *len + n + 1);
	CHECK(*buf);
	memcpy(*buf + *len, data, n);
	*len += n;
	(*buf)[*len] = 0;
}

static void append_pem(char **buf, size_t *len, X509 *x)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *data;
	long n;

	CHECK(b && PEM_write_bio_X509(b, x));
	n = BIO_get_mem_data(b, &data);
	append(buf, len, data, (size_t)n);
	BIO_free(b);
}

/* DER TLV of @len content bytes at @out; the length of the whole. */
static size_t der_put(uint8_t *out, uint8_t tag, const uint8_t *content, size_t len)
{
	size_t h = 2;

	out[0] = tag;
	if (len < 128) {
		out[1] = (uint8_t)len;
	} else if (len < 256) {
		out[1] = 0x81;
		out[2] = (uint8_t)len;
		h = 3;
	} else {
		out[1] = 0x82;
		out[2] = (uint8_t)(len >> 8);
		out[3] = (uint8_t)len;
		h = 4;
	}
	memmove(out + h, content, len);
	return h + len;
}

/* SEQUENCE { OID 1.2.840.113741.1.13.1.<a>[.<b>], value TLV } */
static size_t sgx_item(uint8_t *out, int a, int b, const uint8_t *val, size_t val_len)
{
	static const uint8_t base[] = { 0x2a, 0x86, 0x48, 0x86, 0xf8, 0x4d, 0x01, 0x0d, 0x01 };
	uint8_t oid[16], tmp[600];
	size_t ol = sizeof(base), n;

	memcpy(oid, base, ol);
	oid[ol++] = (uint8_t)a;
	if (b)
		oid[ol++] = (uint8_t)b;
	n = der_put(tmp, 0x06, oid, ol);
	memcpy(tmp + n, val, val_len);
	return der_put(out, 0x30, tmp, n + val_len);
}

const uint8_t forge_pck_tcb[16] = { 5, 5, 2, 2, 3, 1, 0, 3 };

/*
 * The SGX extension of the test PCK: TCB (.2: components 1-16 forge_pck_tcb,
 * PCESVN FORGE_PCK_PCESVN, CPUSVN), PCEID (.3) 0000, FMSPC (.4) 00906ed50000.
 */
static size_t forge_sgx_ext(uint8_t *out)
{
	static const uint8_t fmspc[] = { 0x00, 0x90, 0x6e, 0xd5, 0x00, 0x00 };
	static const uint8_t pceid[] = { 0x00, 0x00 };
	uint8_t tcb[500], items[700], v[520];
	size_t tl = 0, il = 0, n;

	for (int i = 1; i <= 17; i++) {
		uint8_t iv = i <= 16 ? forge_pck_tcb[i - 1] : FORGE_PCK_PCESVN;

		n = der_put(v, 0x02, &iv, 1);
		tl += sgx_item(tcb + tl, 2, i, v, n);
	}
	n = der_put(v, 0x04, forge_pck_tcb, 16);
	tl += sgx_item(tcb + tl, 2, 18, v, n);
	n = der_put(v, 0x30, tcb, tl);
	il += sgx_item(items + il, 2, 0, v, n);
	n = der_put(v, 0x04, pceid, 2);
	il += sgx_item(items + il, 3, 0, v, n);
	n = der_put(v, 0x04, fmspc, 6);
	il += sgx_item(items + il, 4, 0, v, n);
	return der_put(out, 0x30, items, il);
}

struct forge_intel *forge_intel(void)
{
	static struct forge_intel fi;
	struct forge_intel *f = &fi;
	uint8_t sgx_ext[800];
	size_t sgx_ext_len;
	X509_NAME *rn, *pn, *ln;

	if (f->root)
		return f;
	f->root_key = EVP_EC_gen("P-256");
	f->pca_key = EVP_EC_gen("P-256");
	f->pck_key = EVP_EC_gen("P-256");
	f->att_key = EVP_EC_gen("P-256");
	CHECK(f->root_key && f->pca_key && f->pck_key && f->att_key);
	rn = intel_name("Intel SGX Root CA");
	pn = intel_name("Intel SGX PCK Platform CA");
	ln = intel_name("Intel SGX PCK Certificate");

	f->root = new_cert(rn, rn, f->root_key, 1, 0, time(NULL) + 20L * 365 * 86400);
	add_ext_conf(f->root, NULL, NID_basic_constraints, "critical,CA:TRUE,pathlen:1");
	add_ext_conf(f->root, NULL, NID_key_usage, "critical,keyCertSign,cRLSign");
	add_ext_conf(f->root, NULL, NID_subject_key_identifier, "hash");
	CHECK(X509_sign(f->root, f->root_key, EVP_sha256()) > 0);

	f->pca = new_cert(pn, rn, f->pca_key, 2, 0, time(NULL) + 10L * 365 * 86400);
	add_ext_conf(f->pca, f->root, NID_basic_constraints, "critical,CA:TRUE,pathlen:0");
	add_ext_conf(f->pca, f->root, NID_key_usage, "critical,keyCertSign,cRLSign");
	add_ext_conf(f->pca, f->root, NID_subject_key_identifier, "hash");
	add_ext_conf(f->pca, f->root, NID_authority_key_identifier, "keyid:always");
	CHECK(X509_sign(f->pca, f->root_key, EVP_sha256()) > 0);

	f->pck = new_cert(ln, pn, f->pck_key, 3, 0, 0);
	add_ext_conf(f->pck, f->pca, NID_basic_constraints, "critical,CA:FALSE");
	add_ext_conf(f->pck, f->pca, NID_key_usage, "critical,digitalSignature,nonRepudiation");
	add_ext_conf(f->pck, f->pca, NID_authority_key_identifier, "keyid:always");
	sgx_ext_len = forge_sgx_ext(sgx_ext);
	add_ext_raw(f->pck, INTEL_OID_SGX_EXTENSIONS, sgx_ext, sgx_ext_len);
	CHECK(X509_sign(f->pck, f->pca_key, EVP_sha256()) > 0);

	{
		X509_NAME *tn = intel_name("Intel SGX TCB Signing");

		f->tcb_key = EVP_EC_gen("P-256");
		CHECK(f->tcb_key);
		f->tcb = new_cert(tn, rn, f->tcb_key, 4, 0, 0);
		add_ext_conf(f->tcb, f->root, NID_basic_constraints, "critical,CA:FALSE");
		add_ext_conf(f->tcb, f->root, NID_key_usage, "critical,digitalSignature,nonRepudiation");
		add_ext_conf(f->tcb, f->root, NID_authority_key_identifier, "keyid:always");
		CHECK(X509_sign(f->tcb, f->root_key, EVP_sha256()) > 0);
		X509_NAME_free(tn);
	}
	X509_NAME_free(rn);
	X509_NAME_free(pn);
	X509_NAME_free(ln);
	append_pem(&f->chain_pem, &f->chain_len, f->pck);
	append_pem(&f->chain_pem, &f->chain_len, f->pca);
	append_pem(&f->chain_pem, &f->chain_len, f->root);
	snprintf(f->root_path, sizeof(f->root_path), "%s", forge_write_pem("forge-intel-root.pem", &f->root, 1));
	return f;
}

uint8_t *forge_quote(struct forge_intel *f, const struct forge_quote_opts *o, size_t *len)
{
	static const uint8_t vendor[16] = TDX_QE_VENDOR_ID_INTEL;
	const char *chain = o->chain_pem ? o->chain_pem : f->chain_pem;
	size_t chain_len = strlen(chain) + (o->nul_after_chain ? 1 : 0);
	size_t body_len = o->version == 5 && o->body_type == 3 ? TDX_QUOTE_BODY_V15_LEN : TDX_QUOTE_BODY_V4_LEN;
	size_t body_off = o->version == 5 ? TDX_Q5_BODY : TDX_Q4_BODY;
	size_t signed_len = body_off + body_len;
	size_t auth_len = 32, cert_size = 384 + 64 + 2 + auth_len + 6 + chain_len;
	size_t sig_data_len = 134 + cert_size;
	size_t total = signed_len + 4 + sig_data_len;
	uint8_t *q = calloc(1, total), *b, *sd, *cd, pub[65];
	size_t publen;

	CHECK(q);
	put_le16(q + TDX_Q_VERSION, (uint16_t)o->version);
	put_le16(q + TDX_Q_ATT_KEY_TYPE, TDX_QUOTE_ATT_KEY_ECDSA_P256);
	put_le32(q + TDX_Q_TEE_TYPE, TDX_QUOTE_TEE_TDX);
	memcpy(q + TDX_Q_QE_VENDOR_ID, vendor, 16);
	if (o->version == 5) {
		put_le16(q + TDX_Q5_BODY_TYPE, (uint16_t)o->body_type);
		put_le32(q + TDX_Q5_BODY_SIZE, (uint32_t)body_len);
	}
	b = q + body_off;
	memcpy(b + TDX_QB_TEE_TCB_SVN, o->tee_tcb_svn, 16);
	memset(b + TDX_QB_MRSEAM, 0x11, 48);
	put_le64(b + TDX_QB_SEAM_ATTRIBUTES, o->seam_attributes);
	put_le64(b + TDX_QB_TD_ATTRIBUTES, o->td_attributes);
	put_le64(b + TDX_QB_XFAM, 0x61ae7);
	/* issue 19 */
	if (o->xfam)
		put_le64(b + TDX_QB_XFAM, o->xfam);
	if (o->mrseam)
		memcpy(b + TDX_QB_MRSEAM, o->mrseam, 48);
	memcpy(b + TDX_QB_MRSIGNERSEAM, o->mrsignerseam, 48);
	memcpy(b + TDX_QB_MRCONFIGID, o->mrconfigid, 48);
	memcpy(b + TDX_QB_MROWNER, o->mrowner, 48);
	memcpy(b + TDX_QB_MROWNERCONFIG, o->mrownerconfig, 48);
	put_le16(q + TDX_Q_RESERVED + 2, o->header_pce_svn);
	memcpy(b + TDX_QB_MRTD, o->mrtd, 48);
	for (int i = 0; i < 4; i++)
		memcpy(b + TDX_QB_RTMR0 + 48 * i, o->rtmr[i], 48);
	memcpy(b + TDX_QB_REPORT_DATA, o->report_data, 64);
	if (body_len == TDX_QUOTE_BODY_V15_LEN)
		memset(b + TDX_QB_MRSERVICETD, 0x22, 48);

	put_le32(q + signed_len, (uint32_t)sig_data_len);
	sd = q + signed_len + 4;
	CHECK(EVP_PKEY_get_octet_string_param(f->att_key, OSSL_PKEY_PARAM_PUB_KEY, pub, sizeof(pub), &publen));
	CHECK(publen == 65 && pub[0] == 4);
	memcpy(sd + TDX_SD_ATT_KEY, pub + 1, 64);
	put_le16(sd + TDX_SD_CERT_TYPE, TDX_CERT_TYPE_QE_REPORT);
	put_le32(sd + TDX_SD_CERT_SIZE, (uint32_t)cert_size);
	cd = sd + TDX_SD_CERT_DATA;
	/* QE report: Intel's TD QE shape, REPORT_DATA = SHA-256(key || auth) || 0^32 */
	cd[SGX_RB_ATTRIBUTES] = 0x15;
	put_le16(cd + SGX_RB_ISVPRODID, 2);
	put_le16(cd + SGX_RB_ISVSVN, o->qe_isvsvn);
	for (size_t i = 0; i < auth_len; i++)
		cd[TDX_QE_AUTH_DATA + i] = (uint8_t)i;
	put_le16(cd + TDX_QE_AUTH_SIZE, (uint16_t)auth_len);
	{
		EVP_MD_CTX *m = EVP_MD_CTX_new();

		CHECK(m && EVP_DigestInit_ex(m, EVP_sha256(), NULL) == 1);
		CHECK(EVP_DigestUpdate(m, sd + TDX_SD_ATT_KEY, 64) == 1);
		CHECK(EVP_DigestUpdate(m, cd + TDX_QE_AUTH_DATA, auth_len) == 1);
		CHECK(EVP_DigestFinal_ex(m, cd + SGX_RB_REPORT_DATA, NULL) == 1);
		EVP_MD_CTX_free(m);
	}
	if (o->bad_binding)
		cd[SGX_RB_REPORT_DATA] ^= 1;
	sign_raw(f->pck_key, EVP_sha256(), cd, TDX_QE_REPORT_LEN, cd + TDX_QE_REPORT_SIG,
		 cd + TDX_QE_REPORT_SIG + 32, 32, false);
	put_le16(cd + TDX_QE_AUTH_DATA + auth_len, TDX_CERT_TYPE_PCK_CHAIN);
	put_le32(cd + TDX_QE_AUTH_DATA + auth_len + 2, (uint32_t)chain_len);
	memcpy(cd + TDX_QE_AUTH_DATA + auth_len + 6, chain, strlen(chain));

	sign_raw(f->att_key, EVP_sha256(), q, signed_len, sd + TDX_SD_QUOTE_SIG, sd + TDX_SD_QUOTE_SIG + 32,
		 32, false);
	*len = total;
	return q;
}

/* ---- TDX collateral -------------------------------------------------------------------------- */

static char *pem_of(X509 *const *certs, size_t n)
{
	char *buf = NULL;
	size_t len = 0;

	for (size_t i = 0; i < n; i++)
		append_pem(&buf, &len, certs[i]);
	return buf;
}

/* {"<key>":<value>,"signature":"<hex r||s over value>"} */
static char *signed_doc(const char *key, const char *value, EVP_PKEY *k, bool tamper, char hex[129])
{
	uint8_t rs[64];
	char *doc, *p;

	sign_raw(k, EVP_sha256(), (const uint8_t *)value, strlen(value), rs, rs + 32, 32, false);
	cvm_hex_encode(rs, 64, hex);
	CHECK(asprintf(&doc, "{\"%s\":%s,\"signature\":\"%s\"}", key, value, hex) > 0);
	if (tamper) {
		p = strstr(doc, "\"tcbType\":0");
		CHECK(p);
		p[strlen("\"tcbType\":")] = '1';
	}
	return doc;
}

static void iso(time_t t, char out[32])
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static void comps(char *out, size_t len, const uint8_t *svn)
{
	size_t n = 0;

	n += (size_t)snprintf(out + n, len - n, "[");
	for (int i = 0; i < 16; i++)
		n += (size_t)snprintf(out + n, len - n, "%s{\"svn\":%u}", i ? "," : "", svn[i]);
	snprintf(out + n, len - n, "]");
}

static uint8_t *make_crl(X509 *issuer, EVP_PKEY *key, const long *serials, size_t n, time_t last,
			 time_t next, size_t *len)
{
	X509_CRL *crl = X509_CRL_new();
	ASN1_TIME *t = ASN1_TIME_new();
	unsigned char *der = NULL;
	int l;

	CHECK(crl && t);
	CHECK(X509_CRL_set_version(crl, 1));
	CHECK(X509_CRL_set_issuer_name(crl, X509_get_subject_name(issuer)));
	CHECK(ASN1_TIME_set(t, last));
	CHECK(X509_CRL_set1_lastUpdate(crl, t));
	CHECK(ASN1_TIME_set(t, next));
	CHECK(X509_CRL_set1_nextUpdate(crl, t));
	for (size_t i = 0; i < n; i++) {
		X509_REVOKED *r = X509_REVOKED_new();
		ASN1_INTEGER *s = ASN1_INTEGER_new();

		CHECK(r && s && ASN1_INTEGER_set(s, serials[i]));
		CHECK(ASN1_TIME_set(t, last));
		CHECK(X509_REVOKED_set_serialNumber(r, s));
		CHECK(X509_REVOKED_set_revocationDate(r, t));
		CHECK(X509_CRL_add0_revoked(crl, r));
		ASN1_INTEGER_free(s);
	}
	CHECK(X509_CRL_sort(crl));
	CHECK(X509_CRL_sign(crl, key, EVP_sha256()) > 0);
	l = i2d_X509_CRL(crl, &der);
	CHECK(l > 0);
	X509_CRL_free(crl);
	ASN1_TIME_free(t);
	*len = (size_t)l;
	return der;
}

const char *forge_collateral(struct forge_intel *f, const struct forge_coll_opts *o, const char *name)
{
	static char dirs[4][4096];
	static int slot;
	static const uint8_t zero[16], tdx1[16] = { 3, 0, 5 };
	char *dir = dirs[slot++ % 4], rel[256], issue[32], next[32], sgx[512], tdx[512], low[512];
	char *tcb, *qe, *doc, *chain, tcb_sig[129], qe_sig[129], *tcb_chain_pem;
	char *crl_hex[2];
	time_t now = time(NULL);
	EVP_PKEY *signer = f->tcb_key;
	X509 *chain_certs[2] = { f->tcb, f->root };
	long pck_serials[2] = { 99, 3 }, root_serials[2] = { 98, 2 };
	uint8_t *der;
	size_t len;

	snprintf(dir, 4096, "%s/%d-%s", tmp_dir(), (int)getpid(), name);
	mkdir(dir, 0755);
	iso(o->issue ? o->issue : now - 86400, issue);
	iso(o->next ? o->next : now + 30L * 86400, next);
	comps(sgx, sizeof(sgx), forge_pck_tcb);
	comps(tdx, sizeof(tdx), tdx1);
	comps(low, sizeof(low), zero);
	CHECK(asprintf(&tcb,
		       "{\"id\":\"TDX\",\"version\":3,\"issueDate\":\"%s\",\"nextUpdate\":\"%s\","
		       "\"fmspc\":\"%s\",\"pceId\":\"0000\",\"tcbType\":0,\"tcbEvaluationDataNumber\":%u,"
		       "\"tdxModule\":{\"mrsigner\":\"%096d\",\"attributes\":\"0000000000000000\","
		       "\"attributesMask\":\"FFFFFFFFFFFFFFFF\"},"
		       "\"tdxModuleIdentities\":[{\"id\":\"TDX_01\",\"mrsigner\":\"%096d\","
		       "\"attributes\":\"0000000000000000\",\"attributesMask\":\"FFFFFFFFFFFFFFFF\","
		       "\"tcbLevels\":[{\"tcb\":{\"isvsvn\":3},\"tcbDate\":\"2024-03-13T00:00:00Z\",\"tcbStatus\":\"UpToDate\"},"
		       "{\"tcb\":{\"isvsvn\":0},\"tcbDate\":\"2018-01-04T00:00:00Z\",\"tcbStatus\":\"OutOfDate\","
		       "\"advisoryIDs\":[\"INTEL-SA-00998\"]}]}],"
		       "\"tcbLevels\":[{\"tcb\":{\"sgxtcbcomponents\":%s,\"pcesvn\":%d,\"tdxtcbcomponents\":%s},"
		       "\"tcbDate\":\"2024-03-13T00:00:00Z\",\"tcbStatus\":\"%s\"},"
		       "{\"tcb\":{\"sgxtcbcomponents\":%s,\"pcesvn\":0,\"tdxtcbcomponents\":%s},"
		       "\"tcbDate\":\"2018-01-04T00:00:00Z\",\"tcbStatus\":\"OutOfDate\","
		       "\"advisoryIDs\":[\"INTEL-SA-00999\",\"INTEL-SA-00837\"]}]}",
		       issue, next, o->fmspc ? o->fmspc : "00906ed50000", o->eval_num ? o->eval_num : 17, 0, 0,
		       sgx, FORGE_PCK_PCESVN, tdx, o->tcb_status ? o->tcb_status : "UpToDate", low, low) > 0);
	CHECK(asprintf(&qe,
		       "{\"id\":\"TD_QE\",\"version\":2,\"issueDate\":\"%s\",\"nextUpdate\":\"%s\","
		       "\"tcbEvaluationDataNumber\":%u,\"miscselect\":\"00000000\",\"miscselectMask\":\"FFFFFFFF\","
		       "\"attributes\":\"11000000000000000000000000000000\","
		       "\"attributesMask\":\"FBFFFFFFFFFFFFFF0000000000000000\",\"mrsigner\":\"%064d\","
		       "\"isvprodid\":2,\"tcbLevels\":[{\"tcb\":{\"isvsvn\":0},\"tcbDate\":\"2024-03-13T00:00:00Z\","
		       "\"tcbStatus\":\"%s\"}]}",
		       issue, next, o->eval_num ? o->eval_num : 17, 0, o->qe_status ? o->qe_status : "UpToDate") > 0);

	if (o->other_root) {
		static EVP_PKEY *ok, *otk;
		static X509 *oroot, *otcb;

		if (!oroot) {
			X509_NAME *rn = intel_name("Intel SGX Root CA"), *tn = intel_name("Intel SGX TCB Signing");

			ok = EVP_EC_gen("P-256");
			otk = EVP_EC_gen("P-256");
			CHECK(ok && otk);
			oroot = new_cert(rn, rn, ok, 1, 0, 0);
			add_ext_conf(oroot, NULL, NID_basic_constraints, "critical,CA:TRUE");
			add_ext_conf(oroot, NULL, NID_key_usage, "critical,keyCertSign,cRLSign");
			CHECK(X509_sign(oroot, ok, EVP_sha256()) > 0);
			otcb = new_cert(tn, rn, otk, 4, 0, 0);
			CHECK(X509_sign(otcb, ok, EVP_sha256()) > 0);
			X509_NAME_free(rn);
			X509_NAME_free(tn);
		}
		signer = otk;
		chain_certs[0] = otcb;
		chain_certs[1] = oroot;
	}
	doc = signed_doc("tcbInfo", tcb, signer, o->tamper_tcb_info, tcb_sig);
	snprintf(rel, sizeof(rel), "%s/tcbinfo.json", name);
	write_tmp(rel, doc, strlen(doc));
	free(doc);
	doc = signed_doc("enclaveIdentity", qe, signer, false, qe_sig);
	snprintf(rel, sizeof(rel), "%s/qeidentity.json", name);
	write_tmp(rel, doc, strlen(doc));
	free(doc);
	chain = pem_of(chain_certs, 2);
	snprintf(rel, sizeof(rel), "%s/tcbinfo-chain.pem", name);
	write_tmp(rel, chain, strlen(chain));
	snprintf(rel, sizeof(rel), "%s/qeidentity-chain.pem", name);
	write_tmp(rel, chain, strlen(chain));
	tcb_chain_pem = chain;

	der = make_crl(o->pck_crl_by_root ? f->root : f->pca, o->pck_crl_by_root ? f->root_key : f->pca_key,
		       pck_serials, o->revoke_pck ? 2 : 1, now - 3600,
		       o->crl_next ? o->crl_next : now + 30L * 86400, &len);
	snprintf(rel, sizeof(rel), "%s/pckcrl.der", name);
	write_tmp(rel, der, len);
	crl_hex[0] = malloc(2 * len + 1);
	CHECK(crl_hex[0]);
	cvm_hex_encode(der, len, crl_hex[0]);
	OPENSSL_free(der);
	der = make_crl(f->root, f->root_key, root_serials, o->revoke_pca ? 2 : 1, now - 3600,
		       o->crl_next ? o->crl_next : now + 30L * 86400, &len);
	snprintf(rel, sizeof(rel), "%s/rootcrl.der", name);
	write_tmp(rel, der, len);
	crl_hex[1] = malloc(2 * len + 1);
	CHECK(crl_hex[1]);
	cvm_hex_encode(der, len, crl_hex[1]);
	OPENSSL_free(der);
	/* The same as one bundle file (dcap-qvl QuoteCollateralV3 keys), beside the directory. */
	{
		json_t *b = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "tcb_info_issuer_chain",
				      tcb_chain_pem, "tcb_info", tcb, "tcb_info_signature", tcb_sig,
				      "qe_identity_issuer_chain", tcb_chain_pem, "qe_identity", qe,
				      "qe_identity_signature", qe_sig, "pck_crl", crl_hex[0],
				      "root_ca_crl", crl_hex[1]);
		char *text;

		CHECK(b);
		text = json_dumps(b, JSON_INDENT(1));
		CHECK(text);
		snprintf(rel, sizeof(rel), "%s.json", name);
		write_tmp(rel, text, strlen(text));
		free(text);
		json_decref(b);
	}
	free(crl_hex[0]);
	free(crl_hex[1]);
	free(tcb_chain_pem);
	free(tcb);
	free(qe);
	return dir;
}

/* ---- Azure HCL -------------------------------------------------------------------------------- */

uint8_t *forge_hcl_snp(const char *claims, struct forge_snp_opts *o, EVP_PKEY *key, size_t *len)
{
	size_t clen = strlen(claims), total = HCL_RT_VARIABLE_DATA + clen + 64;
	uint8_t *h = calloc(1, total);
	unsigned dl;

	CHECK(h);
	memset(o->report_data, 0, 64);
	CHECK(EVP_Digest(claims, clen, o->report_data, &dl, EVP_sha256(), NULL) == 1);
	put_le32(h + HCL_H_SIGNATURE, HCL_SIGNATURE);
	put_le32(h + HCL_H_VERSION, 2);
	put_le32(h + HCL_H_REPORT_SIZE, (uint32_t)(HCL_HEADER_LEN + HCL_HW_REPORT_LEN + HCL_RT_HEADER_LEN + clen));
	put_le32(h + HCL_H_REQUEST_TYPE, HCL_REQUEST_AK_CERT);
	forge_snp_report(h + HCL_HW_REPORT, o, key);
	put_le32(h + HCL_RT_DATA_SIZE, (uint32_t)(HCL_RT_HEADER_LEN + clen));
	put_le32(h + HCL_RT_VERSION, 1);
	put_le32(h + HCL_RT_REPORT_TYPE, HCL_REPORT_TYPE_SNP);
	put_le32(h + HCL_RT_HASH_TYPE, HCL_HASH_SHA256);
	put_le32(h + HCL_RT_VARIABLE_SIZE, (uint32_t)clen);
	memcpy(h + HCL_RT_VARIABLE_DATA, claims, clen);
	*len = total;
	return h;
}

/* The TD fields as forge_quote() puts them into a quote body. */
uint8_t *forge_hcl_tdx(const char *claims, struct forge_quote_opts *o, size_t *len)
{
	size_t clen = strlen(claims), total = HCL_RT_VARIABLE_DATA + clen;
	uint8_t *h = calloc(1, total), *t;
	unsigned dl;

	CHECK(h);
	memset(o->report_data, 0, 64);
	CHECK(EVP_Digest(claims, clen, o->report_data, &dl, EVP_sha256(), NULL) == 1);
	put_le32(h + HCL_H_SIGNATURE, HCL_SIGNATURE);
	put_le32(h + HCL_H_VERSION, 2);
	put_le32(h + HCL_H_REPORT_SIZE, (uint32_t)(HCL_HEADER_LEN + HCL_HW_REPORT_LEN + HCL_RT_HEADER_LEN + clen));
	put_le32(h + HCL_H_REQUEST_TYPE, HCL_REQUEST_AK_CERT);

	t = h + HCL_HW_REPORT;
	t[TDX_R_REPORTTYPE] = TDX_REPORTTYPE_TDX;
	memset(t + TDX_R_CPUSVN, 0x07, 16);
	memcpy(t + TDX_R_REPORT_DATA, o->report_data, 64);
	memset(t + TDX_R_MAC, 0xaa, 32);
	put_le64(t + TDX_R_TEE_TCB_VALID, 0x1ff);
	memcpy(t + TDX_R_TEE_TCB_SVN, o->tee_tcb_svn, 16);
	if (o->mrseam)
		memcpy(t + TDX_R_MRSEAM, o->mrseam, 48);
	else
		memset(t + TDX_R_MRSEAM, 0x11, 48);
	memcpy(t + TDX_R_MRSIGNERSEAM, o->mrsignerseam, 48);
	put_le64(t + TDX_R_SEAM_ATTRIBUTES, o->seam_attributes);
	put_le64(t + TDX_R_TD_ATTRIBUTES, o->td_attributes);
	put_le64(t + TDX_R_XFAM, o->xfam ? o->xfam : 0x61ae7);
	memcpy(t + TDX_R_MRTD, o->mrtd, 48);
	memcpy(t + TDX_R_MRCONFIGID, o->mrconfigid, 48);
	memcpy(t + TDX_R_MROWNER, o->mrowner, 48);
	memcpy(t + TDX_R_MROWNERCONFIG, o->mrownerconfig, 48);
	for (int i = 0; i < 4; i++)
		memcpy(t + TDX_R_RTMR0 + 48 * i, o->rtmr[i], 48);
	/* forge_quote()'s TDX 1.5 body carries MRSERVICETD 0x22 x 48 */
	memset(t + TDX_R_SERVTD_HASH, 0x22, 48);
	CHECK(EVP_Digest(t + TDX_R_TEE_TCB_INFO, TDX_R_TEE_TCB_INFO_LEN, t + TDX_R_TEE_TCB_INFO_HASH, &dl,
			 EVP_sha384(), NULL) == 1);
	CHECK(EVP_Digest(t + TDX_R_TDINFO, TDX_R_TDINFO_LEN, t + TDX_R_TEE_INFO_HASH, &dl, EVP_sha384(),
			 NULL) == 1);

	put_le32(h + HCL_RT_DATA_SIZE, (uint32_t)(HCL_RT_HEADER_LEN + clen));
	put_le32(h + HCL_RT_VERSION, 1);
	put_le32(h + HCL_RT_REPORT_TYPE, HCL_REPORT_TYPE_TDX);
	put_le32(h + HCL_RT_HASH_TYPE, HCL_HASH_SHA256);
	put_le32(h + HCL_RT_VARIABLE_SIZE, (uint32_t)clen);
	memcpy(h + HCL_RT_VARIABLE_DATA, claims, clen);
	*len = total;
	return h;
}

/* ---- vTPM quote ------------------------------------------------------------------------------- */

static void put_be16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

uint8_t *forge_tpm_quote(EVP_PKEY *ak, const uint8_t *nonce, size_t nonce_len, const uint8_t pcrs[24][32],
			 size_t *len)
{
	uint8_t msg[256], sig[512], *out, *m = msg;
	size_t sig_len = sizeof(sig), msg_len, total;
	unsigned dl;
	EVP_MD_CTX *md;

	CHECK(nonce_len <= 64);
	memset(msg, 0, sizeof(msg));
	m[0] = 0xff, m[1] = 0x54, m[2] = 0x43, m[3] = 0x47;	/* TPM_GENERATED_VALUE */
	put_be16(m + 4, 0x8018);				/* TPM_ST_ATTEST_QUOTE */
	m += 6;
	put_be16(m, 34);					/* qualifiedSigner: SHA-256 name */
	put_be16(m + 2, 0x000b);
	memset(m + 4, 0x5a, 32);
	m += 36;
	put_be16(m, (uint16_t)nonce_len);
	memcpy(m + 2, nonce, nonce_len);
	m += 2 + nonce_len;
	m += 17 + 8;						/* clockInfo, firmwareVersion */
	m[3] = 1;						/* one selection */
	put_be16(m + 4, 0x000b);
	m[6] = 3;
	m[7] = m[8] = m[9] = 0xff;				/* PCRs 0-23 */
	m += 10;
	put_be16(m, 32);
	CHECK(EVP_Digest(pcrs, 24 * 32, m + 2, &dl, EVP_sha256(), NULL) == 1);
	m += 34;
	msg_len = (size_t)(m - msg);

	md = EVP_MD_CTX_new();
	CHECK(md && EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, ak) == 1);
	CHECK(EVP_DigestSign(md, sig, &sig_len, msg, msg_len) == 1);
	EVP_MD_CTX_free(md);

	total = 8 + sig_len + 8 + msg_len + 8 + 24 * 32;
	out = calloc(1, total);
	CHECK(out);
	put_le64(out, sig_len);
	memcpy(out + 8, sig, sig_len);
	put_le64(out + 8 + sig_len, msg_len);
	memcpy(out + 16 + sig_len, msg, msg_len);
	put_le64(out + 16 + sig_len + msg_len, 24);
	memcpy(out + 24 + sig_len + msg_len, pcrs, 24 * 32);
	*len = total;
	return out;
}

static char *b64url_bn(EVP_PKEY *k, const char *param)
{
	BIGNUM *bn = NULL;
	uint8_t bin[1024];
	char b64[1400], *out;
	int n, l;

	CHECK(EVP_PKEY_get_bn_param(k, param, &bn) == 1);
	n = BN_bn2bin(bn, bin);
	BN_free(bn);
	l = EVP_EncodeBlock((unsigned char *)b64, bin, n);
	while (l > 0 && b64[l - 1] == '=')
		b64[--l] = 0;
	for (int i = 0; i < l; i++)
		b64[i] = b64[i] == '+' ? '-' : b64[i] == '/' ? '_' : b64[i];
	out = strdup(b64);
	CHECK(out);
	return out;
}

char *forge_ak_claims(EVP_PKEY *ak)
{
	char *n = b64url_bn(ak, OSSL_PKEY_PARAM_RSA_N), *e = b64url_bn(ak, OSSL_PKEY_PARAM_RSA_E), *c;

	CHECK(asprintf(&c, "{\"keys\":[{\"kid\":\"HCLAkPub\",\"key_ops\":[\"sign\"],\"kty\":\"RSA\","
		       "\"e\":\"%s\",\"n\":\"%s\"}],\"vm-configuration\":{\"secure-boot\":true,"
		       "\"tpm-enabled\":true},\"user-data\":\"%0128d\"}", e, n, 0) > 0);
	free(n);
	free(e);
	return c;
}
