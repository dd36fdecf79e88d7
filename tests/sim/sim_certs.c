// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * libsim: test certificates shaped like AMD's and Intel's.
 *
 * Certificates are assembled by hand in DER (a TBSCertificate built field
 * by field, signed, wrapped) instead of through X509_sign(): OpenSSL
 * writes RSASSA-PSS parameters without the trailerField, while AMD's ARK,
 * ASK and VCEK carry "[3] INTEGER 1" explicitly, and the point is to match
 * the real certificates' shape byte for byte.  Reference shapes:
 * shared/testdata/snp/gsg-milan-vcek.der, amd-ask-ark-*.pem and the PCK
 * chain inside shared/testdata/tdx/gtg-v4-quote-spr-e4.bin
 * (`openssl asn1parse` of each; evidence-formats.md §2.1, §2.2, §3.5).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/pem.h>
#include <openssl/sha.h>

#include "sim_internal.h"

/*
 * AlgorithmIdentifier { rsassaPss, { [0] sha384 NULL, [1] mgf1(sha384 NULL),
 * [2] 48, [3] 1 } } exactly as in AMD's certificates (RFC 4055 §3.1).
 */
static const uint8_t algid_pss_sha384[] = {
	0x30, 0x46, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0a,
	0x30, 0x39,
	0xa0, 0x0f, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04,
	0x02, 0x02, 0x05, 0x00,
	0xa1, 0x1c, 0x30, 0x1a, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01,
	0x01, 0x08, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04,
	0x02, 0x02, 0x05, 0x00,
	0xa2, 0x03, 0x02, 0x01, 0x30,
	0xa3, 0x03, 0x02, 0x01, 0x01,
};

/* AlgorithmIdentifier { ecdsa-with-SHA256 } (RFC 5758 §3.2: no parameters). */
static const uint8_t algid_ecdsa_sha256[] = {
	0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02,
};

struct cert_req {
	enum sim_sigalg alg;
	const uint8_t *serial;		/* INTEGER contents, minimal DER */
	size_t serial_len;
	X509_NAME *issuer, *subject;
	time_t not_before, not_after;
	EVP_PKEY *pub;			/* subject key */
	const struct sbuf *exts;	/* concatenated Extension SEQUENCEs */
	EVP_PKEY *signer;
};

static void sb_i2d_name(struct sbuf *b, X509_NAME *name)
{
	unsigned char *der = NULL;
	int n = i2d_X509_NAME(name, &der);

	if (n <= 0)
		b->err = -ENOMEM;
	else
		sb_put(b, der, (size_t)n);
	OPENSSL_free(der);
}

static void sb_i2d_time(struct sbuf *b, time_t t)
{
	/* ASN1_TIME_set picks UTCTime up to 2049, as RFC 5280 §4.1.2.5 asks. */
	ASN1_TIME *at = ASN1_TIME_set(NULL, t);
	unsigned char *der = NULL;
	int n = at ? i2d_ASN1_TIME(at, &der) : 0;

	if (n <= 0)
		b->err = -ENOMEM;
	else
		sb_put(b, der, (size_t)n);
	OPENSSL_free(der);
	ASN1_TIME_free(at);
}

static void sb_i2d_pubkey(struct sbuf *b, EVP_PKEY *key)
{
	unsigned char *der = NULL;
	int n = i2d_PUBKEY(key, &der);

	if (n <= 0)
		b->err = -EINVAL;
	else
		sb_put(b, der, (size_t)n);
	OPENSSL_free(der);
}

static int build_cert(const struct cert_req *r, X509 **out)
{
	const uint8_t *algid = r->alg == SIM_SIG_RSA_PSS_SHA384 ?
			       algid_pss_sha384 : algid_ecdsa_sha256;
	size_t algid_len = r->alg == SIM_SIG_RSA_PSS_SHA384 ?
			   sizeof(algid_pss_sha384) : sizeof(algid_ecdsa_sha256);
	struct sbuf body = { 0 }, tbs = { 0 }, tmp = { 0 }, cert = { 0 };
	uint8_t *sig = NULL, *der = NULL;
	size_t sig_len = 0, der_len = 0;
	const unsigned char *p;
	int ret;

	/* TBSCertificate, RFC 5280 §4.1 */
	sb_der_uint(&tmp, 2);					/* v3 */
	sb_der_sb(&body, DER_CTX0, &tmp);
	sb_free(&tmp);
	sb_der(&body, DER_INTEGER, r->serial, r->serial_len);
	sb_put(&body, algid, algid_len);
	sb_i2d_name(&body, r->issuer);
	sb_i2d_time(&tmp, r->not_before);
	sb_i2d_time(&tmp, r->not_after);
	sb_der_sb(&body, DER_SEQUENCE, &tmp);
	sb_free(&tmp);
	sb_i2d_name(&body, r->subject);
	sb_i2d_pubkey(&body, r->pub);
	if (r->exts && r->exts->len) {
		sb_der_sb(&tmp, DER_SEQUENCE, r->exts);
		sb_der_sb(&body, DER_CTX3, &tmp);
		sb_free(&tmp);
	}
	sb_der_sb(&tbs, DER_SEQUENCE, &body);
	sb_free(&body);
	if (tbs.err) {
		ret = tbs.err;
		goto out;
	}

	ret = sim_sign(r->signer, r->alg, tbs.p, tbs.len, &sig, &sig_len);
	if (ret)
		goto out;

	/* Certificate ::= SEQUENCE { tbs, signatureAlgorithm, BIT STRING } */
	sb_put(&body, tbs.p, tbs.len);
	sb_put(&body, algid, algid_len);
	sb_put_u8(&tmp, 0);					/* unused bits */
	sb_put(&tmp, sig, sig_len);
	sb_der_sb(&body, DER_BIT_STRING, &tmp);
	sb_free(&tmp);
	sb_der_sb(&cert, DER_SEQUENCE, &body);
	ret = sb_take(&cert, &der, &der_len);
	if (ret)
		goto out;

	p = der;
	*out = d2i_X509(NULL, &p, (long)der_len);
	if (!*out || p != der + der_len) {
		X509_free(*out);
		*out = NULL;
		sim_log_openssl("parsing the issued certificate");
		ret = -EINVAL;
	}
out:
	free(der);
	free(sig);
	sb_free(&body);
	sb_free(&tbs);
	sb_free(&tmp);
	sb_free(&cert);
	return ret;
}

static time_t utc(int year, int mon, int day, int h, int m, int s)
{
	struct tm tm = {
		.tm_year = year - 1900, .tm_mon = mon - 1, .tm_mday = day,
		.tm_hour = h, .tm_min = m, .tm_sec = s,
	};

	return timegm(&tm);
}

static time_t add_years(time_t t, int years)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	tm.tm_year += years;
	return timegm(&tm);
}

/* Subject key identifier: SHA-1 of the subjectPublicKey bits (RFC 5280 §4.2.1.2 (1)). */
static int key_id(EVP_PKEY *key, uint8_t id[SHA_DIGEST_LENGTH])
{
	X509_PUBKEY *xpk = NULL;
	const unsigned char *pk;
	int pklen;

	if (X509_PUBKEY_set(&xpk, key) != 1 ||
	    X509_PUBKEY_get0_param(NULL, &pk, &pklen, NULL, xpk) != 1) {
		X509_PUBKEY_free(xpk);
		return -EINVAL;
	}
	SHA1(pk, (size_t)pklen, id);
	X509_PUBKEY_free(xpk);
	return 0;
}

static void ext_ski(struct sbuf *exts, const uint8_t id[SHA_DIGEST_LENGTH])
{
	struct sbuf v = { 0 };

	sb_der(&v, DER_OCTET_STRING, id, SHA_DIGEST_LENGTH);
	sb_ext(exts, "2.5.29.14", false, v.p, v.len);
	if (v.err)
		exts->err = v.err;
	sb_free(&v);
}

static void ext_aki(struct sbuf *exts, const uint8_t id[SHA_DIGEST_LENGTH])
{
	struct sbuf v = { 0 }, s = { 0 };

	sb_der(&s, 0x80, id, SHA_DIGEST_LENGTH);		/* [0] keyIdentifier */
	sb_der_sb(&v, DER_SEQUENCE, &s);
	sb_ext(exts, "2.5.29.35", false, v.p, v.len);
	if (v.err)
		exts->err = v.err;
	sb_free(&s);
	sb_free(&v);
}

/* basicConstraints, critical; pathlen < 0: absent. */
static void ext_bc(struct sbuf *exts, bool ca, int pathlen)
{
	static const uint8_t der_true[] = { DER_BOOLEAN, 1, 0xFF };
	struct sbuf v = { 0 }, s = { 0 };

	if (ca)
		sb_put(&s, der_true, sizeof(der_true));
	if (pathlen >= 0)
		sb_der_uint(&s, (uint64_t)pathlen);
	sb_der_sb(&v, DER_SEQUENCE, &s);
	sb_ext(exts, "2.5.29.19", true, v.p, v.len);
	if (v.err)
		exts->err = v.err;
	sb_free(&s);
	sb_free(&v);
}

/* keyUsage, critical, as a 1-byte BIT STRING with @unused trailing bits. */
static void ext_ku(struct sbuf *exts, uint8_t bits, uint8_t unused)
{
	const uint8_t v[] = { DER_BIT_STRING, 2, unused, bits };

	sb_ext(exts, "2.5.29.15", true, v, sizeof(v));
}

/* cRLDistributionPoints with one fullName URI. */
static void ext_crldp(struct sbuf *exts, const char *uri)
{
	struct sbuf a = { 0 }, b = { 0 };

	sb_der(&a, 0x86, uri, strlen(uri));			/* [6] URI */
	sb_der_sb(&b, 0xA0, &a);				/* fullName */
	sb_free(&a);
	sb_der_sb(&a, 0xA0, &b);				/* distributionPoint */
	sb_free(&b);
	sb_der_sb(&b, DER_SEQUENCE, &a);			/* DistributionPoint */
	sb_free(&a);
	sb_der_sb(&a, DER_SEQUENCE, &b);
	sb_ext(exts, "2.5.29.31", false, a.p, a.len);
	if (a.err || b.err)
		exts->err = -ENOMEM;
	sb_free(&a);
	sb_free(&b);
}

/* ---- AMD ------------------------------------------------------------------------ */

static X509_NAME *amd_name(const char *cn)
{
	/* Field order and string types of AMD's DNs (UTF8String, C PrintableString). */
	static const char *const fields[][2] = {
		{ "OU", "Engineering" }, { "C", "US" }, { "L", "Santa Clara" },
		{ "ST", "CA" }, { "O", "Advanced Micro Devices" },
	};
	X509_NAME *n = X509_NAME_new();

	if (!n)
		return NULL;
	for (size_t i = 0; i < ARRAY_SIZE(fields); i++) {
		if (X509_NAME_add_entry_by_txt(n, fields[i][0], MBSTRING_UTF8,
					       (const unsigned char *)fields[i][1],
					       -1, -1, 0) != 1)
			goto err;
	}
	if (X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_UTF8,
				       (const unsigned char *)cn, -1, -1, 0) == 1)
		return n;
err:
	X509_NAME_free(n);
	return NULL;
}

static void serial_u32(uint8_t out[5], size_t *len, uint32_t v)
{
	struct sbuf b = { 0 };

	sb_der_uint(&b, v);
	/* content after tag and length */
	*len = b.err ? 0 : b.len - 2;
	if (*len)
		memcpy(out, b.p + 2, *len);
	sb_free(&b);
}

static void amd_crl_url(char *buf, size_t len, enum sim_product p)
{
	/* GSG verify.go validateCRLlink expects exactly this URL. */
	snprintf(buf, len, "https://kdsintf.amd.com/vcek/v1/%s/crl", sim_product(p)->name);
}

/* ARK/ASK validity: 25 years like AMD's, fixed so regenerating is stable. */
#define AMD_CA_NOT_BEFORE	utc(2024, 6, 1, 0, 0, 0)

int sim_amd_issue_ark(EVP_PKEY *ark, enum sim_product p, X509 **out)
{
	char cn[32], url[96];
	uint8_t serial[5], ski[SHA_DIGEST_LENGTH];
	size_t serial_len;
	struct sbuf exts = { 0 };
	X509_NAME *name;
	int ret;

	snprintf(cn, sizeof(cn), "ARK-%s", sim_product(p)->name);
	amd_crl_url(url, sizeof(url), p);
	name = amd_name(cn);
	if (!name)
		return -ENOMEM;
	ret = key_id(ark, ski);
	if (ret)
		goto out;
	serial_u32(serial, &serial_len, sim_product(p)->ark_serial);
	/* Order as in the real ARK: keyUsage, SKI, basicConstraints, CRL DP. */
	ext_ku(&exts, 0x06, 1);				/* keyCertSign, cRLSign */
	ext_ski(&exts, ski);
	ext_bc(&exts, true, -1);
	ext_crldp(&exts, url);

	struct cert_req r = {
		.alg = SIM_SIG_RSA_PSS_SHA384, .serial = serial, .serial_len = serial_len,
		.issuer = name, .subject = name,
		.not_before = AMD_CA_NOT_BEFORE, .not_after = add_years(AMD_CA_NOT_BEFORE, 25),
		.pub = ark, .exts = &exts, .signer = ark,
	};
	ret = exts.err ? exts.err : build_cert(&r, out);
out:
	sb_free(&exts);
	X509_NAME_free(name);
	return ret;
}

int sim_amd_issue_ask(EVP_PKEY *ask, EVP_PKEY *ark, X509 *ark_cert,
		      enum sim_product p, X509 **out)
{
	char cn[32], url[96];
	uint8_t serial[5], ski[SHA_DIGEST_LENGTH], aki[SHA_DIGEST_LENGTH];
	size_t serial_len;
	struct sbuf exts = { 0 };
	X509_NAME *name;
	int ret;

	snprintf(cn, sizeof(cn), "SEV-%s", sim_product(p)->name);
	amd_crl_url(url, sizeof(url), p);
	name = amd_name(cn);
	if (!name)
		return -ENOMEM;
	ret = key_id(ask, ski);
	if (!ret)
		ret = key_id(ark, aki);
	if (ret)
		goto out;
	serial_u32(serial, &serial_len, sim_product(p)->ark_serial + 1);
	/* Order as in the real ASK: SKI, AKI, basicConstraints, keyUsage, CRL DP. */
	ext_ski(&exts, ski);
	ext_aki(&exts, aki);
	ext_bc(&exts, true, 0);
	ext_ku(&exts, 0x04, 1);				/* keyCertSign */
	ext_crldp(&exts, url);

	struct cert_req r = {
		.alg = SIM_SIG_RSA_PSS_SHA384, .serial = serial, .serial_len = serial_len,
		.issuer = X509_get_subject_name(ark_cert), .subject = name,
		.not_before = AMD_CA_NOT_BEFORE, .not_after = add_years(AMD_CA_NOT_BEFORE, 25),
		.pub = ask, .exts = &exts, .signer = ark,
	};
	ret = exts.err ? exts.err : build_cert(&r, out);
out:
	sb_free(&exts);
	X509_NAME_free(name);
	return ret;
}

/* An AMD extension whose extnValue holds one DER INTEGER. */
static void amd_ext_int(struct sbuf *exts, const char *oid, unsigned v)
{
	struct sbuf i = { 0 };

	sb_der_uint(&i, v);
	sb_ext(exts, oid, false, i.p, i.len);
	if (i.err)
		exts->err = i.err;
	sb_free(&i);
}

int sim_amd_issue_vcek(const struct sim_keys *k, enum sim_product p,
		       const uint8_t chip_id[SNP_CHIP_ID_LEN],
		       const uint8_t tcb[8], time_t not_before,
		       uint8_t **der, size_t *der_len)
{
	const struct sim_product_info *pi = sim_product(p);
	static const uint8_t serial0 = 0;	/* real VCEKs have serial 0 */
	struct sbuf exts = { 0 }, pn = { 0 };
	struct sim_tcb t;
	X509_NAME *name;
	X509 *cert = NULL;
	unsigned char *out = NULL;
	int n, ret;

	if (!not_before) {
		time_t now = time(NULL);

		not_before = now - now % 86400;
	}
	name = amd_name("SEV-VCEK");
	if (!name)
		return -ENOMEM;
	sim_tcb_decode(p, tcb, &t);

	/*
	 * Extension order and encodings as in real VCEKs (evidence-formats.md
	 * §2.2): INTEGERs and an IA5String inside extnValue, hwID as raw
	 * bytes.  Milan/Genoa: .1 .2 .3.1 .3.2 .3.4-.3.7 .3.3 .3.8 .4;
	 * Turin: .1 .2 .3.9 .3.1 .3.2 .3.3 .3.5-.3.7 .3.8 .4.
	 */
	amd_ext_int(&exts, AMD_OID_STRUCT_VERSION, pi->turin_like ? 1 : 0);
	sb_der(&pn, DER_IA5STRING, pi->vcek_product_name, strlen(pi->vcek_product_name));
	sb_ext(&exts, AMD_OID_PRODUCT_NAME, false, pn.p, pn.len);
	if (pi->turin_like) {
		amd_ext_int(&exts, AMD_OID_FMC_SPL, t.fmc);
		amd_ext_int(&exts, AMD_OID_BL_SPL, t.bl);
		amd_ext_int(&exts, AMD_OID_TEE_SPL, t.tee);
		amd_ext_int(&exts, AMD_OID_SNP_SPL, t.snp);
		amd_ext_int(&exts, AMD_OID_SPL5, 0);
		amd_ext_int(&exts, AMD_OID_SPL6, 0);
		amd_ext_int(&exts, AMD_OID_SPL7, 0);
		amd_ext_int(&exts, AMD_OID_UCODE_SPL, t.ucode);
		sb_ext(&exts, AMD_OID_HWID, false, chip_id, SNP_CHIP_ID_LEN_TURIN);
	} else {
		amd_ext_int(&exts, AMD_OID_BL_SPL, t.bl);
		amd_ext_int(&exts, AMD_OID_TEE_SPL, t.tee);
		/* spl4..spl7 are the reserved TCB bytes 2..5 */
		amd_ext_int(&exts, AMD_OID_SPL4, tcb[2]);
		amd_ext_int(&exts, AMD_OID_SPL5, tcb[3]);
		amd_ext_int(&exts, AMD_OID_SPL6, tcb[4]);
		amd_ext_int(&exts, AMD_OID_SPL7, tcb[5]);
		amd_ext_int(&exts, AMD_OID_SNP_SPL, t.snp);
		amd_ext_int(&exts, AMD_OID_UCODE_SPL, t.ucode);
		sb_ext(&exts, AMD_OID_HWID, false, chip_id, SNP_CHIP_ID_LEN);
	}
	if (pn.err)
		exts.err = pn.err;

	struct cert_req r = {
		.alg = SIM_SIG_RSA_PSS_SHA384, .serial = &serial0, .serial_len = 1,
		.issuer = X509_get_subject_name(sim_keys_ask_cert(k, p)), .subject = name,
		.not_before = not_before, .not_after = add_years(not_before, 7),
		.pub = sim_keys_vcek_key(k, p), .exts = &exts,
		.signer = sim_keys_ask_key(k, p),
	};
	ret = exts.err ? exts.err : build_cert(&r, &cert);
	if (ret)
		goto out;
	n = i2d_X509(cert, &out);
	if (n <= 0) {
		ret = -ENOMEM;
		goto out;
	}
	*der = malloc((size_t)n);
	if (!*der) {
		ret = -ENOMEM;
		goto out;
	}
	memcpy(*der, out, (size_t)n);
	*der_len = (size_t)n;
out:
	OPENSSL_free(out);
	X509_free(cert);
	sb_free(&pn);
	sb_free(&exts);
	X509_NAME_free(name);
	return ret;
}

/* ---- Intel ------------------------------------------------------------------------ */

#define INTEL_ROOT_CRL	"https://certificates.trustedservices.intel.com/IntelSGXRootCA.der"
#define INTEL_PCK_CRL	"https://api.trustedservices.intel.com/sgx/certification/v4/pckcrl?ca=platform&encoding=der"
#define INTEL_NOT_BEFORE	utc(2024, 6, 1, 0, 0, 0)

static X509_NAME *intel_name(const char *cn)
{
	/* Order and string types of Intel's DNs: CN, O, L, ST, C. */
	static const char *const fields[][2] = {
		{ "O", "Intel Corporation" }, { "L", "Santa Clara" }, { "ST", "CA" }, { "C", "US" },
	};
	X509_NAME *n = X509_NAME_new();

	if (!n)
		return NULL;
	if (X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_UTF8,
				       (const unsigned char *)cn, -1, -1, 0) != 1)
		goto err;
	for (size_t i = 0; i < ARRAY_SIZE(fields); i++) {
		if (X509_NAME_add_entry_by_txt(n, fields[i][0], MBSTRING_UTF8,
					       (const unsigned char *)fields[i][1],
					       -1, -1, 0) != 1)
			goto err;
	}
	return n;
err:
	X509_NAME_free(n);
	return NULL;
}

/* 20-byte positive serial derived from the CN (Intel's serials are 20 random bytes). */
static void intel_serial(const char *cn, uint8_t serial[SHA_DIGEST_LENGTH])
{
	char seed[128];

	snprintf(seed, sizeof(seed), "cvmattest-sim serial %s", cn);
	SHA1((const unsigned char *)seed, strlen(seed), serial);
	serial[0] = (uint8_t)((serial[0] & 0x7F) | 0x40);
}

struct intel_ca_req {
	const char *cn;
	EVP_PKEY *key, *signer;
	X509_NAME *issuer;		/* NULL: self-signed */
	int pathlen;
	time_t not_after;
};

static int intel_issue_ca(const struct intel_ca_req *q, X509 **out)
{
	uint8_t serial[SHA_DIGEST_LENGTH], ski[SHA_DIGEST_LENGTH], aki[SHA_DIGEST_LENGTH];
	struct sbuf exts = { 0 };
	X509_NAME *name = intel_name(q->cn);
	int ret;

	if (!name)
		return -ENOMEM;
	ret = key_id(q->key, ski);
	if (!ret)
		ret = key_id(q->signer, aki);
	if (ret)
		goto out;
	intel_serial(q->cn, serial);
	/* Order as in Intel's root and platform CA: AKI, CRL DP, SKI, KU, BC. */
	ext_aki(&exts, aki);
	ext_crldp(&exts, INTEL_ROOT_CRL);
	ext_ski(&exts, ski);
	ext_ku(&exts, 0x06, 1);				/* keyCertSign, cRLSign */
	ext_bc(&exts, true, q->pathlen);

	struct cert_req r = {
		.alg = SIM_SIG_ECDSA_SHA256, .serial = serial, .serial_len = sizeof(serial),
		.issuer = q->issuer ? q->issuer : name, .subject = name,
		.not_before = INTEL_NOT_BEFORE, .not_after = q->not_after,
		.pub = q->key, .exts = &exts, .signer = q->signer,
	};
	ret = exts.err ? exts.err : build_cert(&r, out);
out:
	sb_free(&exts);
	X509_NAME_free(name);
	return ret;
}

int sim_intel_issue_root(EVP_PKEY *root, X509 **out)
{
	struct intel_ca_req q = {
		.cn = "Intel SGX Root CA", .key = root, .signer = root,
		.pathlen = 1, .not_after = utc(2049, 12, 31, 23, 59, 59),
	};

	return intel_issue_ca(&q, out);
}

int sim_intel_issue_pca(EVP_PKEY *pca, EVP_PKEY *root, X509 *root_cert, X509 **out)
{
	struct intel_ca_req q = {
		.cn = "Intel SGX PCK Platform CA", .key = pca, .signer = root,
		.issuer = X509_get_subject_name(root_cert),
		.pathlen = 0, .not_after = add_years(INTEL_NOT_BEFORE, 15),
	};

	return intel_issue_ca(&q, out);
}

void sim_pck_info_default(struct sim_pck_info *pi)
{
	/* TCB values shaped like the SPR sample's PCK leaf; FMSPC identical. */
	static const uint8_t comp[16] = { 3, 3, 2, 2, 2, 1, 0, 2 };
	static const uint8_t fmspc[6] = { 0x50, 0x80, 0x6F, 0x00, 0x00, 0x00 };

	memset(pi, 0, sizeof(*pi));
	for (int i = 0; i < 16; i++) {
		pi->ppid[i] = (uint8_t)(0xA0 + i);
		pi->platform_instance_id[i] = (uint8_t)(0xC0 + i);
	}
	memcpy(pi->tcb_comp, comp, sizeof(comp));
	memcpy(pi->cpusvn, comp, sizeof(comp));
	pi->pcesvn = 11;
	memcpy(pi->fmspc, fmspc, sizeof(fmspc));
}

/* SEQUENCE { OID, value-DER } used throughout the SGX extension. */
static void sgx_item(struct sbuf *b, const char *oid, const struct sbuf *value)
{
	struct sbuf s = { 0 };

	sb_der_oid(&s, oid);
	sb_put(&s, value->p, value->len);
	if (value->err)
		s.err = value->err;
	sb_der_sb(b, DER_SEQUENCE, &s);
	sb_free(&s);
}

static void sgx_octets(struct sbuf *b, const char *oid, const void *data, size_t len)
{
	struct sbuf v = { 0 };

	sb_der(&v, DER_OCTET_STRING, data, len);
	sgx_item(b, oid, &v);
	sb_free(&v);
}

static void sgx_uint(struct sbuf *b, const char *oid, uint64_t val)
{
	struct sbuf v = { 0 };

	sb_der_uint(&v, val);
	sgx_item(b, oid, &v);
	sb_free(&v);
}

static void sgx_bool(struct sbuf *b, const char *oid, bool val)
{
	const uint8_t v[] = { DER_BOOLEAN, 1, val ? 0xFF : 0x00 };
	struct sbuf vb = { 0 };

	sb_put(&vb, v, sizeof(v));
	sgx_item(b, oid, &vb);
	sb_free(&vb);
}

/*
 * The SGX extension as in Intel's PCK leaves (PCK Certificate and CRL
 * Profile; mirrored from the SPR sample): PPID .1, TCB .2 {.2.1-.2.16,
 * PCESVN .2.17, CPUSVN .2.18}, PCE-ID .3, FMSPC .4, SGX type .5 (1 =
 * Scalable), PlatformInstanceID .6, Configuration .7 {dynamicPlatform,
 * cachedKeys, SMTEnabled}.  .6/.7 are present on Platform-CA leaves.
 */
static int sgx_extension(const struct sim_pck_info *pi, struct sbuf *out)
{
	const char *base = INTEL_OID_SGX_EXTENSIONS;
	struct sbuf all = { 0 }, tcb = { 0 }, seq = { 0 }, cfg = { 0 };
	char oid[64];
	static const uint8_t enum_scalable[] = { DER_ENUMERATED, 1, 1 };

	snprintf(oid, sizeof(oid), "%s.1", base);
	sgx_octets(&all, oid, pi->ppid, sizeof(pi->ppid));

	for (int i = 0; i < 16; i++) {
		snprintf(oid, sizeof(oid), "%s.2.%d", base, i + 1);
		sgx_uint(&tcb, oid, pi->tcb_comp[i]);
	}
	snprintf(oid, sizeof(oid), "%s.2.17", base);
	sgx_uint(&tcb, oid, pi->pcesvn);
	snprintf(oid, sizeof(oid), "%s.2.18", base);
	sgx_octets(&tcb, oid, pi->cpusvn, sizeof(pi->cpusvn));
	sb_der_sb(&seq, DER_SEQUENCE, &tcb);
	snprintf(oid, sizeof(oid), "%s.2", base);
	sgx_item(&all, oid, &seq);
	sb_free(&seq);

	snprintf(oid, sizeof(oid), "%s.3", base);
	sgx_octets(&all, oid, pi->pceid, sizeof(pi->pceid));
	snprintf(oid, sizeof(oid), "%s.4", base);
	sgx_octets(&all, oid, pi->fmspc, sizeof(pi->fmspc));
	sb_put(&seq, enum_scalable, sizeof(enum_scalable));
	snprintf(oid, sizeof(oid), "%s.5", base);
	sgx_item(&all, oid, &seq);
	sb_free(&seq);
	snprintf(oid, sizeof(oid), "%s.6", base);
	sgx_octets(&all, oid, pi->platform_instance_id, sizeof(pi->platform_instance_id));

	snprintf(oid, sizeof(oid), "%s.7.1", base);
	sgx_bool(&cfg, oid, true);
	snprintf(oid, sizeof(oid), "%s.7.2", base);
	sgx_bool(&cfg, oid, false);
	snprintf(oid, sizeof(oid), "%s.7.3", base);
	sgx_bool(&cfg, oid, true);
	sb_der_sb(&seq, DER_SEQUENCE, &cfg);
	snprintf(oid, sizeof(oid), "%s.7", base);
	sgx_item(&all, oid, &seq);

	sb_der_sb(out, DER_SEQUENCE, &all);
	sb_free(&all);
	sb_free(&tcb);
	sb_free(&seq);
	sb_free(&cfg);
	return out->err;
}

int sim_intel_issue_pck(EVP_PKEY *pck, EVP_PKEY *pca, X509 *pca_cert,
			const struct sim_pck_info *pi, X509 **out)
{
	static const char cn[] = "Intel SGX PCK Certificate";
	uint8_t serial[SHA_DIGEST_LENGTH], ski[SHA_DIGEST_LENGTH], aki[SHA_DIGEST_LENGTH];
	struct sbuf exts = { 0 }, sgx = { 0 };
	X509_NAME *name = intel_name(cn);
	int ret;

	if (!name)
		return -ENOMEM;
	ret = key_id(pck, ski);
	if (!ret)
		ret = key_id(pca, aki);
	if (!ret)
		ret = sgx_extension(pi, &sgx);
	if (ret)
		goto out;
	intel_serial(cn, serial);
	/* Order as in the real PCK leaf: AKI, CRL DP, SKI, KU, BC, SGX. */
	ext_aki(&exts, aki);
	ext_crldp(&exts, INTEL_PCK_CRL);
	ext_ski(&exts, ski);
	ext_ku(&exts, 0xC0, 6);				/* digitalSignature, nonRepudiation */
	ext_bc(&exts, false, -1);
	sb_ext(&exts, INTEL_OID_SGX_EXTENSIONS, false, sgx.p, sgx.len);

	struct cert_req r = {
		.alg = SIM_SIG_ECDSA_SHA256, .serial = serial, .serial_len = sizeof(serial),
		.issuer = X509_get_subject_name(pca_cert), .subject = name,
		.not_before = utc(2026, 1, 1, 0, 0, 0), .not_after = utc(2033, 1, 1, 0, 0, 0),
		.pub = pck, .exts = &exts, .signer = pca,
	};
	ret = exts.err ? exts.err : build_cert(&r, out);
out:
	sb_free(&sgx);
	sb_free(&exts);
	X509_NAME_free(name);
	return ret;
}

/* ---- generation of the committed certificates --------------------------------------- */

static EVP_PKEY *read_key(const char *dir, const char *name)
{
	char path[4096];
	EVP_PKEY *key = NULL;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "re");
	if (!f) {
		sim_log("libsim: cannot open %s: %s", path, strerror(errno));
		return NULL;
	}
	key = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	fclose(f);
	if (!key)
		sim_log_openssl(path);
	return key;
}

static int write_pem(const char *dir, const char *name, X509 *const *certs, size_t n)
{
	char path[4096], *pem = NULL;
	size_t len = 0;
	int ret;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	ret = sim_cert_pem(certs, n, &pem, &len);
	if (!ret)
		ret = sim_write_file(path, pem, len);
	if (ret)
		sim_log("libsim: writing %s: %s", path, strerror(-ret));
	free(pem);
	return ret;
}

int sim_generate_certs(const char *dir)
{
	EVP_PKEY *k1 = NULL, *k2 = NULL, *k3 = NULL;
	X509 *c1 = NULL, *c2 = NULL, *c3 = NULL;
	char name[64];
	int ret = 0;

	for (int p = 0; p < SIM_PRODUCT_COUNT && !ret; p++) {
		const char *pn = sim_product((enum sim_product)p)->key_name;

		snprintf(name, sizeof(name), "ark-%s.key", pn);
		k1 = read_key(dir, name);
		snprintf(name, sizeof(name), "ask-%s.key", pn);
		k2 = read_key(dir, name);
		if (!k1 || !k2) {
			ret = -ENOENT;
			goto next;
		}
		ret = sim_amd_issue_ark(k1, (enum sim_product)p, &c1);
		if (!ret)
			ret = sim_amd_issue_ask(k2, k1, c1, (enum sim_product)p, &c2);
		if (ret)
			goto next;
		snprintf(name, sizeof(name), "ark-%s.pem", pn);
		ret = write_pem(dir, name, &c1, 1);
		snprintf(name, sizeof(name), "ask-%s.pem", pn);
		if (!ret)
			ret = write_pem(dir, name, &c2, 1);
		/* AMD's cert_chain: ASK first, then ARK. */
		snprintf(name, sizeof(name), "cert_chain-%s.pem", pn);
		if (!ret)
			ret = write_pem(dir, name, (X509 *[]){ c2, c1 }, 2);
next:
		EVP_PKEY_free(k1);
		EVP_PKEY_free(k2);
		X509_free(c1);
		X509_free(c2);
		k1 = k2 = NULL;
		c1 = c2 = NULL;
	}
	if (ret)
		return ret;

	struct sim_pck_info pi;

	sim_pck_info_default(&pi);
	k1 = read_key(dir, "intel-root.key");
	k2 = read_key(dir, "intel-pca.key");
	k3 = read_key(dir, "intel-pck.key");
	if (!k1 || !k2 || !k3) {
		ret = -ENOENT;
		goto out;
	}
	ret = sim_intel_issue_root(k1, &c1);
	if (!ret)
		ret = sim_intel_issue_pca(k2, k1, c1, &c2);
	if (!ret)
		ret = sim_intel_issue_pck(k3, k2, c2, &pi, &c3);
	if (!ret)
		ret = write_pem(dir, "intel-root.pem", &c1, 1);
	if (!ret)
		ret = write_pem(dir, "intel-pca.pem", &c2, 1);
	if (!ret)
		ret = write_pem(dir, "intel-pck.pem", &c3, 1);
	if (!ret)
		ret = write_pem(dir, "intel-pck-chain.pem", (X509 *[]){ c3, c2, c1 }, 3);
out:
	EVP_PKEY_free(k1);
	EVP_PKEY_free(k2);
	EVP_PKEY_free(k3);
	X509_free(c1);
	X509_free(c2);
	X509_free(c3);
	return ret;
}
