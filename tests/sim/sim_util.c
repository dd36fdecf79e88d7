// SPDX-License-Identifier: GPL-2.0-only OR MIT
/* libsim: logging, hex, files, the DER writer and signing helpers. */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/rsa.h>

#include "sim_internal.h"

/* ---- logging ---------------------------------------------------------- */

static void log_stderr(const char *msg)
{
	fprintf(stderr, "%s\n", msg);
}

static sim_log_fn log_fn = log_stderr;

void sim_set_log(sim_log_fn fn)
{
	log_fn = fn;
}

void sim_log(const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	if (!log_fn)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_fn(msg);
}

void sim_log_openssl(const char *what)
{
	unsigned long e = ERR_get_error();
	char buf[256];

	if (e) {
		ERR_error_string_n(e, buf, sizeof(buf));
		sim_log("libsim: %s: %s", what, buf);
	} else {
		sim_log("libsim: %s failed", what);
	}
	ERR_clear_error();
}

/* ---- hex, numbers, files ---------------------------------------------------- */

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

static int hex_decode(const char *hex, uint8_t *out, size_t len, bool pad)
{
	size_t n = 0;
	int hi = -1;

	if (!hex)
		return -EINVAL;
	if (hex[0] == '0' && (hex[1] == 'x' || hex[1] == 'X'))
		hex += 2;
	for (; *hex; hex++) {
		int v;

		if (*hex == ':' || *hex == ' ' || *hex == '\n')
			continue;
		v = hexval((unsigned char)*hex);
		if (v < 0)
			return -EINVAL;
		if (hi < 0) {
			hi = v;
			continue;
		}
		if (n >= len)
			return -EINVAL;
		out[n++] = (uint8_t)(hi << 4 | v);
		hi = -1;
	}
	if (hi >= 0)
		return -EINVAL;
	if (n != len) {
		if (!pad)
			return -EINVAL;
		memset(out + n, 0, len - n);
	}
	return 0;
}

int sim_hex_decode(const char *hex, uint8_t *out, size_t len)
{
	return hex_decode(hex, out, len, false);
}

int sim_hex_decode_pad(const char *hex, uint8_t *out, size_t len)
{
	return hex_decode(hex, out, len, true);
}

void sim_hex_encode(const uint8_t *in, size_t len, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < len; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
	}
	out[2 * len] = '\0';
}

int sim_parse_u64(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (!s || !*s || *s == '-')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || *end)
		return -EINVAL;
	*out = v;
	return 0;
}

int sim_read_file(const char *path, uint8_t **data, size_t *len)
{
	uint8_t *buf = NULL;
	size_t n = 0, cap = 0;
	int fd, ret = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	for (;;) {
		ssize_t r;

		if (n == cap) {
			size_t ncap = cap ? cap * 2 : 4096;
			uint8_t *nb = realloc(buf, ncap);

			if (!nb) {
				ret = -ENOMEM;
				break;
			}
			buf = nb;
			cap = ncap;
		}
		r = read(fd, buf + n, cap - n);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			ret = -errno;
			break;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	if (ret) {
		free(buf);
		return ret;
	}
	*data = buf;
	*len = n;
	return 0;
}

int sim_write_file(const char *path, const void *data, size_t len)
{
	const uint8_t *p = data;
	int fd, ret = 0;

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	while (len) {
		ssize_t w = write(fd, p, len);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			ret = -errno;
			break;
		}
		p += w;
		len -= (size_t)w;
	}
	if (close(fd) && !ret)
		ret = -errno;
	return ret;
}

/* ---- sbuf and DER ---------------------------------------------------------- */

void sb_free(struct sbuf *b)
{
	free(b->p);
	memset(b, 0, sizeof(*b));
}

void sb_put(struct sbuf *b, const void *data, size_t len)
{
	if (b->err || !len)
		return;
	if (b->len + len > b->cap) {
		size_t ncap = b->cap ? b->cap : 256;
		uint8_t *np;

		while (ncap < b->len + len)
			ncap *= 2;
		np = realloc(b->p, ncap);
		if (!np) {
			b->err = -ENOMEM;
			return;
		}
		b->p = np;
		b->cap = ncap;
	}
	memcpy(b->p + b->len, data, len);
	b->len += len;
}

void sb_put_u8(struct sbuf *b, uint8_t v)
{
	sb_put(b, &v, 1);
}

static void sb_der_len(struct sbuf *b, size_t len)
{
	uint8_t tmp[9];
	int n = 0;

	if (len < 0x80) {
		sb_put_u8(b, (uint8_t)len);
		return;
	}
	for (size_t v = len; v; v >>= 8)
		tmp[8 - n++] = (uint8_t)v;
	sb_put_u8(b, (uint8_t)(0x80 | n));
	sb_put(b, tmp + 9 - n, (size_t)n);
}

void sb_der(struct sbuf *b, uint8_t tag, const void *content, size_t len)
{
	sb_put_u8(b, tag);
	sb_der_len(b, len);
	sb_put(b, content, len);
}

void sb_der_sb(struct sbuf *b, uint8_t tag, const struct sbuf *content)
{
	if (content->err) {
		b->err = content->err;
		return;
	}
	sb_der(b, tag, content->p, content->len);
}

void sb_der_uint(struct sbuf *b, uint64_t v)
{
	uint8_t tmp[9];
	int n = 0;

	do {
		tmp[8 - n++] = (uint8_t)v;
		v >>= 8;
	} while (v);
	if (tmp[9 - n] & 0x80)
		tmp[8 - n++] = 0;	/* keep it positive */
	sb_der(b, DER_INTEGER, tmp + 9 - n, (size_t)n);
}

void sb_der_oid(struct sbuf *b, const char *oid)
{
	ASN1_OBJECT *obj = OBJ_txt2obj(oid, 1);
	unsigned char *der = NULL;
	int n;

	if (!obj) {
		b->err = -EINVAL;
		return;
	}
	n = i2d_ASN1_OBJECT(obj, &der);
	if (n <= 0)
		b->err = -ENOMEM;
	else
		sb_put(b, der, (size_t)n);
	OPENSSL_free(der);
	ASN1_OBJECT_free(obj);
}

void sb_ext(struct sbuf *b, const char *oid, bool critical,
	    const void *value, size_t len)
{
	static const uint8_t der_true[] = { DER_BOOLEAN, 1, 0xFF };
	struct sbuf e = { 0 };

	sb_der_oid(&e, oid);
	if (critical)
		sb_put(&e, der_true, sizeof(der_true));
	sb_der(&e, DER_OCTET_STRING, value, len);
	sb_der_sb(b, DER_SEQUENCE, &e);
	sb_free(&e);
}

int sb_take(struct sbuf *b, uint8_t **p, size_t *len)
{
	if (b->err) {
		int err = b->err;

		sb_free(b);
		return err;
	}
	*p = b->p;
	*len = b->len;
	memset(b, 0, sizeof(*b));
	return 0;
}

/* ---- signing ------------------------------------------------------------------ */

int sim_sign(EVP_PKEY *key, enum sim_sigalg alg, const void *data, size_t len,
	     uint8_t **sig, size_t *sig_len)
{
	EVP_MD_CTX *mctx = EVP_MD_CTX_new();
	EVP_PKEY_CTX *pctx = NULL;
	const EVP_MD *md = alg == SIM_SIG_RSA_PSS_SHA384 ? EVP_sha384() : EVP_sha256();
	uint8_t *out = NULL;
	size_t n = 0;
	int ret = -EIO;

	if (!mctx)
		return -ENOMEM;
	if (EVP_DigestSignInit(mctx, &pctx, md, NULL, key) != 1)
		goto out;
	if (alg == SIM_SIG_RSA_PSS_SHA384 &&
	    (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) != 1 ||
	     EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, 48) != 1 ||
	     EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, EVP_sha384()) != 1))
		goto out;
	if (EVP_DigestSign(mctx, NULL, &n, data, len) != 1)
		goto out;
	out = malloc(n);
	if (!out) {
		ret = -ENOMEM;
		goto out;
	}
	if (EVP_DigestSign(mctx, out, &n, data, len) != 1)
		goto out;
	*sig = out;
	*sig_len = n;
	out = NULL;
	ret = 0;
out:
	if (ret == -EIO)
		sim_log_openssl("signing");
	free(out);
	EVP_MD_CTX_free(mctx);
	return ret;
}

int sim_ecdsa_der_to_rs(const uint8_t *der, size_t der_len, uint8_t *rs, size_t n)
{
	const unsigned char *p = der;
	ECDSA_SIG *sig = d2i_ECDSA_SIG(NULL, &p, (long)der_len);
	const BIGNUM *r, *s;
	int ret = -EINVAL;

	if (!sig)
		return -EINVAL;
	ECDSA_SIG_get0(sig, &r, &s);
	if (BN_bn2binpad(r, rs, (int)n) == (int)n &&
	    BN_bn2binpad(s, rs + n, (int)n) == (int)n)
		ret = 0;
	ECDSA_SIG_free(sig);
	return ret;
}

int sim_ecdsa_rs_to_der(const uint8_t *rs, size_t n, uint8_t **der, size_t *der_len)
{
	ECDSA_SIG *sig = ECDSA_SIG_new();
	BIGNUM *r = BN_bin2bn(rs, (int)n, NULL);
	BIGNUM *s = BN_bin2bn(rs + n, (int)n, NULL);
	unsigned char *out = NULL;
	int len, ret = -ENOMEM;

	if (!sig || !r || !s)
		goto out;
	if (ECDSA_SIG_set0(sig, r, s) != 1)
		goto out;
	r = s = NULL;		/* owned by sig now */
	len = i2d_ECDSA_SIG(sig, &out);
	if (len <= 0)
		goto out;
	*der = malloc((size_t)len);
	if (!*der)
		goto out;
	memcpy(*der, out, (size_t)len);
	*der_len = (size_t)len;
	ret = 0;
out:
	OPENSSL_free(out);
	BN_free(r);
	BN_free(s);
	ECDSA_SIG_free(sig);
	return ret;
}

int sim_sign_rs(EVP_PKEY *key, const EVP_MD *md, const void *data, size_t len,
		uint8_t *rs, size_t n)
{
	EVP_MD_CTX *mctx = EVP_MD_CTX_new();
	uint8_t *der = NULL;
	size_t der_len = 0;
	int ret = -EIO;

	if (!mctx)
		return -ENOMEM;
	if (EVP_DigestSignInit(mctx, NULL, md, NULL, key) != 1 ||
	    EVP_DigestSign(mctx, NULL, &der_len, data, len) != 1)
		goto out;
	der = malloc(der_len);
	if (!der) {
		ret = -ENOMEM;
		goto out;
	}
	if (EVP_DigestSign(mctx, der, &der_len, data, len) != 1)
		goto out;
	ret = sim_ecdsa_der_to_rs(der, der_len, rs, n);
out:
	if (ret == -EIO)
		sim_log_openssl("ECDSA signing");
	free(der);
	EVP_MD_CTX_free(mctx);
	return ret;
}

int sim_ec_pub_xy(EVP_PKEY *key, uint8_t *xy, size_t n)
{
	uint8_t pt[1 + 2 * 66];
	size_t len = 0;

	if (EVP_PKEY_get_octet_string_param(key, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY,
					    pt, sizeof(pt), &len) != 1) {
		sim_log_openssl("reading EC public key");
		return -EINVAL;
	}
	/* Uncompressed point: 0x04 || X || Y (SEC 1 §2.3.3). */
	if (len != 1 + 2 * n || pt[0] != 0x04)
		return -EINVAL;
	memcpy(xy, pt + 1, 2 * n);
	return 0;
}
