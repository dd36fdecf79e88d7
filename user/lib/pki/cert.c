// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Certificates as received: the X509 plus the exact DER, so signatures are
 * checked over the bytes that were signed (never a re-encoding), with the
 * algorithm parameters we expect spelt out rather than taken from the
 * certificate.  AMD's VCEKs have serial number 0 and RSASSA-PSS everywhere,
 * which general-purpose path validation handles unevenly; checking the
 * fixed three-level AMD chain by hand is simpler to get exactly right.
 */
#include <dirent.h>
#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509v3.h>
#include <openssl/core_names.h>

#include "pki/pki.h"


#define CERT_MAX_LEN (64 * 1024)
#define CERT_FILE_MAX (1024 * 1024)
#define CERT_LIST_MAX 256

void cert_free(struct cvm_cert *c)
{
	if (!c)
		return;
	X509_free(c->x509);
	free(c->der);
	free(c);
}
DEFINE_TRIVIAL_CLEANUP_FUNC(struct cvm_cert *, cert_free)

static void name_cn(X509_NAME *name, char *out, size_t out_len)
{
	int idx;
	X509_NAME_ENTRY *e;
	ASN1_STRING *s;
	size_t n;

	out[0] = 0;
	if (!name)
		return;
	idx = X509_NAME_get_index_by_NID(name, NID_commonName, -1);
	if (idx < 0)
		return;
	e = X509_NAME_get_entry(name, idx);
	s = e ? X509_NAME_ENTRY_get_data(e) : NULL;
	if (!s)
		return;
	n = (size_t)ASN1_STRING_length(s);
	if (n >= out_len)
		n = out_len - 1;
	memcpy(out, ASN1_STRING_get0_data(s), n);
	out[n] = 0;
	/* A CN with an embedded NUL would compare as a prefix: refuse it. */
	if (strlen(out) != n)
		out[0] = 0;
}

int cert_new_der(const uint8_t *der, size_t len, struct cvm_cert **ret)
{
	_cleanup_(cert_freep) struct cvm_cert *c = NULL;
	const unsigned char *p = der;

	if (len == 0 || len > CERT_MAX_LEN)
		return -EBADMSG;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->x509 = d2i_X509(NULL, &p, (long)len);
	if (!c->x509 || (size_t)(p - der) != len)
		return -EBADMSG;
	c->der = malloc(len);
	if (!c->der)
		return -ENOMEM;
	memcpy(c->der, der, len);
	c->der_len = len;
	if (EVP_Digest(der, len, c->sha256, NULL, EVP_sha256(), NULL) != 1)
		return -EIO;
	name_cn(X509_get_subject_name(c->x509), c->cn, sizeof(c->cn));
	name_cn(X509_get_issuer_name(c->x509), c->issuer_cn, sizeof(c->issuer_cn));
	*ret = TAKE_PTR(c);
	return 0;
}

void cert_list_clear(struct cvm_cert_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		cert_free(l->v[i]);
	free(l->v);
	*l = (struct cvm_cert_list){ 0 };
}

int cert_list_push(struct cvm_cert_list *l, struct cvm_cert *c)
{
	for (size_t i = 0; i < l->n; i++)
		if (memcmp(l->v[i]->sha256, c->sha256, 32) == 0) {
			cert_free(c);
			return 0;
		}
	if (l->n >= CERT_LIST_MAX) {
		cert_free(c);
		return -E2BIG;
	}
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 8;
		struct cvm_cert **v = realloc(l->v, cap * sizeof(*v));

		if (!v) {
			cert_free(c);
			return -ENOMEM;
		}
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] = c;
	return 0;
}

/* ---- DER --------------------------------------------------------------------- */

int der_read_tlv(const uint8_t *buf, size_t len, uint8_t *tag, size_t *hdr_len, size_t *content_len)
{
	size_t n, clen = 0;

	if (len < 2)
		return -EBADMSG;
	*tag = buf[0];
	if ((buf[0] & 0x1f) == 0x1f)	/* high tag numbers: not in anything we read */
		return -EBADMSG;
	if (buf[1] < 0x80) {
		clen = buf[1];
		n = 2;
	} else {
		size_t k = buf[1] & 0x7f;

		if (k == 0 || k > 4 || len < 2 + k)
			return -EBADMSG;
		for (size_t i = 0; i < k; i++)
			clen = clen << 8 | buf[2 + i];
		/* DER: minimal length encoding */
		if (clen < 0x80 || buf[2] == 0)
			return -EBADMSG;
		n = 2 + k;
	}
	if (clen > len - n)
		return -EBADMSG;
	*hdr_len = n;
	*content_len = clen;
	return 0;
}

int der_cert_tbs(const uint8_t *der, size_t len, const uint8_t **tbs, size_t *tbs_len)
{
	uint8_t tag;
	size_t hl, cl, thl, tcl;

	if (der_read_tlv(der, len, &tag, &hl, &cl) < 0 || tag != 0x30)
		return -EBADMSG;
	if (der_read_tlv(der + hl, cl, &tag, &thl, &tcl) < 0 || tag != 0x30)
		return -EBADMSG;
	*tbs = der + hl;
	*tbs_len = thl + tcl;
	return 0;
}

/* ---- loading --------------------------------------------------------------------- */

static int add_der(struct cvm_cert_list *l, const uint8_t *der, size_t len)
{
	struct cvm_cert *c;
	int r;

	r = cert_new_der(der, len, &c);
	if (r < 0)
		return r;
	return cert_list_push(l, c);
}

static bool starts_with_pem(const uint8_t *buf, size_t len)
{
	static const char marker[] = "-----BEGIN ";
	size_t i = 0;

	while (i < len && (buf[i] == ' ' || buf[i] == '\n' || buf[i] == '\r' || buf[i] == '\t'))
		i++;
	return len - i >= sizeof(marker) - 1 && memcmp(buf + i, marker, sizeof(marker) - 1) == 0;
}

static int add_pem(struct cvm_cert_list *l, const uint8_t *buf, size_t len)
{
	_cleanup_(BIO_free_allp) BIO *bio = NULL;
	size_t n = 0, n_blocks = 0;

	if (len > INT32_MAX)
		return -EFBIG;
	bio = BIO_new_mem_buf(buf, (int)len);
	if (!bio)
		return -ENOMEM;
	for (;;) {
		char *name = NULL, *header = NULL;
		unsigned char *data = NULL;
		long dlen = 0;
		int r = 0;

		if (!PEM_read_bio(bio, &name, &header, &data, &dlen)) {
			unsigned long e = ERR_peek_last_error();

			ERR_clear_error();
			if (ERR_GET_REASON(e) == PEM_R_NO_START_LINE && n_blocks > 0)
				break;
			return -EBADMSG;
		}
		n_blocks++;
		if (strcmp(name, "CERTIFICATE") == 0) {
			r = add_der(l, data, (size_t)dlen);
			n++;
		}
		OPENSSL_free(name);
		OPENSSL_free(header);
		OPENSSL_free(data);
		if (r < 0)
			return r;
	}
	return n > 0 ? 0 : -ENOKEY;
}

static int add_der_sequence(struct cvm_cert_list *l, const uint8_t *buf, size_t len)
{
	size_t off = 0;

	/* One or more DER certificates back to back; zero padding may follow. */
	while (off < len) {
		uint8_t tag;
		size_t hl, cl;
		int r;

		if (all_zero(buf + off, len - off))
			break;
		if (der_read_tlv(buf + off, len - off, &tag, &hl, &cl) < 0 || tag != 0x30)
			return -EBADMSG;
		r = add_der(l, buf + off, hl + cl);
		if (r < 0)
			return r;
		off += hl + cl;
	}
	return 0;
}

static int add_cert_table(struct cvm_cert_list *l, const uint8_t *buf, size_t len)
{
	struct cvm_snp_cert_table t;
	int r;

	r = cvm_snp_cert_table_parse(buf, len, &t);
	if (r < 0)
		return r;
	for (size_t i = 0; i < t.n_entries; i++) {
		const struct cvm_snp_cert_entry *e = &t.entries[i];

		if (e->kind == CVM_SNP_CERT_CRL || e->kind == CVM_SNP_CERT_OTHER || e->length == 0)
			continue;
		r = starts_with_pem(e->data, e->length) ? add_pem(l, e->data, e->length)
							 : add_der_sequence(l, e->data, e->length);
		if (r < 0)
			return r;
	}
	return 0;
}

int cert_list_add_buffer(struct cvm_cert_list *l, const uint8_t *buf, size_t len)
{
	if (len == 0)
		return -EBADMSG;
	if (starts_with_pem(buf, len))
		return add_pem(l, buf, len);
	if (buf[0] == 0x30 && add_der_sequence(l, buf, len) == 0)
		return 0;
	return add_cert_table(l, buf, len);
}

static bool cert_file_name(const char *name)
{
	static const char *const suffixes[] = { ".pem", ".der", ".crt", ".cer" };
	size_t n = strlen(name);

	for (size_t i = 0; i < ELEMENTSOF(suffixes); i++) {
		size_t k = strlen(suffixes[i]);

		if (n > k && strcmp(name + n - k, suffixes[i]) == 0)
			return true;
	}
	return false;
}

/*
 * Loads @path, a certificate file or a directory of .pem, .der, .crt and .cer files;
 * with @ctx, a failure is said once, naming the file and what is wrong with it.
 */
int cert_list_load(struct cvm_ctx *ctx, struct cvm_cert_list *l, const char *path)
{
	struct stat st;
	int r;

	if (stat(path, &st) < 0) {
		r = -errno;
		if (ctx)
			log_error(ctx, "cannot read %s: %s", path, strerror(-r));
		return r;
	}
	if (S_ISDIR(st.st_mode)) {
		struct dirent **names = NULL;
		int n = scandir(path, &names, NULL, alphasort), found = 0;

		if (n < 0) {
			r = -errno;
			if (ctx)
				log_error(ctx, "cannot read %s: %s", path, strerror(-r));
			return r;
		}
		r = 0;
		for (int i = 0; i < n; i++) {
			char p[4096];

			if (r == 0 && names[i]->d_name[0] != '.' && cert_file_name(names[i]->d_name)) {
				found++;
				if ((size_t)snprintf(p, sizeof(p), "%s/%s", path, names[i]->d_name) >= sizeof(p))
					r = -ENAMETOOLONG;
				else
					r = cert_list_load(ctx, l, p);
			}
			free(names[i]);
		}
		free(names);
		if (r == 0 && !found) {
			if (ctx)
				log_error(ctx, "%s holds no certificate files (*.pem, *.der, *.crt, *.cer)",
					  path);
			return -ENOENT;
		}
		return r;
	} else {
		_cleanup_free_ uint8_t *buf = NULL;
		size_t len;

		r = read_file(path, CERT_FILE_MAX, &buf, &len);
		if (r < 0) {
			if (ctx)
				log_error(ctx, "cannot read %s: %s", path, strerror(-r));
			return r;
		}
		if (len == 0) {
			if (ctx)
				log_error(ctx, "%s is empty: expected PEM or DER certificates", path);
			return -EBADMSG;
		}
		r = cert_list_add_buffer(l, buf, len);
		if (r == -EBADMSG && ctx)
			log_error(ctx, "%s holds no PEM or DER certificate%s", path,
				  len > 2 && buf[0] == 'M' && buf[1] == 'I' ?
				  " (base64 without the BEGIN/END lines? add them, or decode it)" : "");
		else if (r < 0 && ctx)
			log_error(ctx, "cannot load %s: %s", path, strerror(-r));
		return r;
	}
}

/* ---- checks ----------------------------------------------------------------------- */

bool cert_is_self_issued(const struct cvm_cert *c)
{
	return X509_NAME_cmp(X509_get_subject_name(c->x509), X509_get_issuer_name(c->x509)) == 0;
}

bool pkey_is_ec_curve(EVP_PKEY *pkey, const char *group)
{
	char name[64];
	size_t n;

	if (!pkey || EVP_PKEY_get_base_id(pkey) != EVP_PKEY_EC)
		return false;
	if (!EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME, name, sizeof(name), &n))
		return false;
	return strcmp(name, group) == 0;
}

int cert_check_time(const struct cvm_cert *c, time_t t)
{
	if (X509_cmp_time(X509_get0_notBefore(c->x509), &t) >= 0)
		return -EKEYREJECTED;
	if (X509_cmp_time(X509_get0_notAfter(c->x509), &t) <= 0)
		return -EKEYEXPIRED;
	return 0;
}

/* RSASSA-PSS parameters exactly as AMD uses them: SHA-384, MGF1 with SHA-384, salt 48. */
static int check_amd_pss_params(const X509_ALGOR *alg, char *why, size_t why_len)
{
	const ASN1_OBJECT *obj;
	const void *pval;
	int ptype;
	RSA_PSS_PARAMS *pss;
	int ok = 0;

	X509_ALGOR_get0(&obj, &ptype, &pval, alg);
	if (ptype != V_ASN1_SEQUENCE) {
		snprintf(why, why_len, "RSASSA-PSS without parameters");
		return -EBADMSG;
	}
	pss = ASN1_item_unpack(pval, ASN1_ITEM_rptr(RSA_PSS_PARAMS));
	if (!pss) {
		snprintf(why, why_len, "unparseable RSASSA-PSS parameters");
		return -EBADMSG;
	}
	if (pss->hashAlgorithm && OBJ_obj2nid(pss->hashAlgorithm->algorithm) == NID_sha384 &&
	    pss->maskGenAlgorithm && OBJ_obj2nid(pss->maskGenAlgorithm->algorithm) == NID_mgf1 &&
	    pss->maskGenAlgorithm->parameter && pss->saltLength &&
	    ASN1_INTEGER_get(pss->saltLength) == 48 &&
	    (!pss->trailerField || ASN1_INTEGER_get(pss->trailerField) == 1)) {
		/* MGF1's own parameter is the hash AlgorithmIdentifier (RFC 4055 section 3.1). */
		X509_ALGOR *mgf1_md = ASN1_TYPE_unpack_sequence(ASN1_ITEM_rptr(X509_ALGOR),
								pss->maskGenAlgorithm->parameter);

		if (mgf1_md && OBJ_obj2nid(mgf1_md->algorithm) == NID_sha384)
			ok = 1;
		X509_ALGOR_free(mgf1_md);
	}
	RSA_PSS_PARAMS_free(pss);
	if (!ok) {
		snprintf(why, why_len, "RSASSA-PSS parameters are not SHA-384/MGF1-SHA-384/salt 48");
		return -EBADMSG;
	}
	return 0;
}

int cert_verify_signature(const struct cvm_cert *child, EVP_PKEY *issuer_key, char *why,
			  size_t why_len)
{
	const X509_ALGOR *alg;
	const ASN1_BIT_STRING *sig;
	const uint8_t *tbs;
	size_t tbs_len;

	why[0] = 0;
	if (der_cert_tbs(child->der, child->der_len, &tbs, &tbs_len) < 0) {
		snprintf(why, why_len, "cannot locate the signed part of the certificate");
		return -EBADMSG;
	}
	X509_get0_signature(&sig, &alg, child->x509);
	return der_verify_signature(tbs, tbs_len, alg, X509_get0_tbs_sigalg(child->x509), sig,
				    issuer_key, why, why_len);
}

int der_verify_signature(const uint8_t *tbs, size_t tbs_len, const X509_ALGOR *alg,
			 const X509_ALGOR *tbs_alg, const ASN1_BIT_STRING *sig, EVP_PKEY *issuer_key,
			 char *why, size_t why_len)
{
	_cleanup_(EVP_MD_CTX_freep) EVP_MD_CTX *md = NULL;
	const EVP_MD *digest;
	EVP_PKEY_CTX *pctx = NULL;
	int nid, r;

	why[0] = 0;
	/* The algorithm inside the signed part must be the one used. */
	if (X509_ALGOR_cmp(alg, tbs_alg) != 0) {
		snprintf(why, why_len, "signature algorithm differs from the signed one");
		return -EBADMSG;
	}
	if (sig->flags & 0x07) {	/* unused bits */
		snprintf(why, why_len, "malformed signature");
		return -EBADMSG;
	}
	nid = OBJ_obj2nid(alg->algorithm);
	switch (nid) {
	case NID_rsassaPss:
		if (EVP_PKEY_get_base_id(issuer_key) != EVP_PKEY_RSA &&
		    EVP_PKEY_get_base_id(issuer_key) != EVP_PKEY_RSA_PSS) {
			snprintf(why, why_len, "RSASSA-PSS signature but the issuer key is not RSA");
			return -EKEYREJECTED;
		}
		if (EVP_PKEY_get_bits(issuer_key) < 2048) {
			snprintf(why, why_len, "issuer RSA key is too small");
			return -EKEYREJECTED;
		}
		r = check_amd_pss_params(alg, why, why_len);
		if (r < 0)
			return r;
		digest = EVP_sha384();
		break;
	case NID_ecdsa_with_SHA256:
	case NID_ecdsa_with_SHA384:
		if (EVP_PKEY_get_base_id(issuer_key) != EVP_PKEY_EC) {
			snprintf(why, why_len, "ECDSA signature but the issuer key is not EC");
			return -EKEYREJECTED;
		}
		digest = nid == NID_ecdsa_with_SHA256 ? EVP_sha256() : EVP_sha384();
		break;
	default:
		snprintf(why, why_len, "unexpected signature algorithm %s", OBJ_nid2sn(nid));
		return -EBADMSG;
	}

	md = EVP_MD_CTX_new();
	if (!md)
		return -ENOMEM;
	if (EVP_DigestVerifyInit(md, &pctx, digest, NULL, issuer_key) != 1)
		goto fail;
	if (nid == NID_rsassaPss &&
	    (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) != 1 ||
	     EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, EVP_sha384()) != 1 ||
	     EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, 48) != 1))
		goto fail;
	if (EVP_DigestVerify(md, sig->data, (size_t)sig->length, tbs, tbs_len) == 1)
		return 0;
fail:
	ERR_clear_error();
	snprintf(why, why_len, "bad signature");
	return -EKEYREJECTED;
}
