// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * HCL report and runtime-claims builder/parser of the stand-in paravisor.
 * Layout: include/cvmattest/evidence.h (from Azure HwVmReport.h and
 * kinvolk/azure-cvm-tooling hcl/mod.rs), checked against the two real
 * reports in shared/testdata/azure by test_hcl_build.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "hcl_build.h"

/* TPM 2.0 Part 2: TPM_ALG_ID values used in TPMT_PUBLIC. */
#define ALG_RSA		0x0001
#define ALG_AES		0x0006
#define ALG_SHA1	0x0004
#define ALG_SHA256	0x000B
#define ALG_SHA384	0x000C
#define ALG_SHA512	0x000D
#define ALG_NULL	0x0010
#define ALG_RSASSA	0x0014
#define ALG_RSAES	0x0015
#define ALG_RSAPSS	0x0016
#define ALG_OAEP	0x0017
#define ALG_XOR		0x000A
#define ALG_KEYEDHASH	0x0008
#define ALG_ECC		0x0023
#define ALG_SYMCIPHER	0x0025

static void put_le32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static uint32_t get_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

void hcl_hex(const uint8_t *in, size_t len, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < len; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
	}
	out[2 * len] = '\0';
}

static int nibble(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int hcl_unhex(const char *hex, uint8_t *out, size_t len)
{
	if (!hex || strlen(hex) != 2 * len)
		return -EINVAL;
	for (size_t i = 0; i < len; i++) {
		int hi = nibble(hex[2 * i]), lo = nibble(hex[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return -EINVAL;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

/* ---- base64url -------------------------------------------------------- */

int hcl_b64url(const uint8_t *in, size_t len, char **out)
{
	static const char tbl[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	size_t o = 0, i;
	char *s;

	if (!out || (!in && len))
		return -EINVAL;
	s = malloc(len / 3 * 4 + 5);
	if (!s)
		return -ENOMEM;
	for (i = 0; i + 2 < len; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];

		s[o++] = tbl[v >> 18];
		s[o++] = tbl[(v >> 12) & 63];
		s[o++] = tbl[(v >> 6) & 63];
		s[o++] = tbl[v & 63];
	}
	if (len - i == 1) {
		uint32_t v = (uint32_t)in[i] << 16;

		s[o++] = tbl[v >> 18];
		s[o++] = tbl[(v >> 12) & 63];
	} else if (len - i == 2) {
		uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8;

		s[o++] = tbl[v >> 18];
		s[o++] = tbl[(v >> 12) & 63];
		s[o++] = tbl[(v >> 6) & 63];
	}
	s[o] = '\0';
	*out = s;
	return 0;
}

static int b64url_val(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '-')
		return 62;
	if (c == '_')
		return 63;
	return -1;
}

/* Decode unpadded base64url into @out (at most @max bytes). */
static int b64url_decode(const char *s, uint8_t *out, size_t max, size_t *len)
{
	size_t n = strlen(s), o = 0;
	uint32_t acc = 0;
	int bits = 0;

	if (n % 4 == 1)
		return -EBADMSG;
	for (size_t i = 0; i < n; i++) {
		int v = b64url_val(s[i]);

		if (v < 0)
			return -EBADMSG;
		acc = acc << 6 | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (o >= max)
				return -E2BIG;
			out[o++] = (uint8_t)(acc >> bits);
		}
	}
	*len = o;
	return 0;
}

/* ---- runtime claims ------------------------------------------------------- */

static json_t *jwk(const char *kid, const char *op, const struct hcl_rsa_pub *k)
{
	uint8_t e[4];
	size_t e_len = 0, skip = 0;
	char *n_s = NULL, *e_s = NULL;
	json_t *o = NULL, *ops;

	if (!k->n_len || k->n_len > sizeof(k->n) || !k->e)
		return NULL;
	e[0] = (uint8_t)(k->e >> 24);
	e[1] = (uint8_t)(k->e >> 16);
	e[2] = (uint8_t)(k->e >> 8);
	e[3] = (uint8_t)k->e;
	while (skip < 3 && !e[skip])
		skip++;
	e_len = 4 - skip;
	if (hcl_b64url(k->n, k->n_len, &n_s) || hcl_b64url(e + skip, e_len, &e_s))
		goto out;
	o = json_object();
	ops = json_array();
	if (!o || !ops || json_array_append_new(ops, json_string(op)) ||
	    json_object_set_new(o, "kid", json_string(kid)) ||
	    json_object_set_new(o, "key_ops", ops) ||
	    json_object_set_new(o, "kty", json_string("RSA")) ||
	    json_object_set_new(o, "e", json_string(e_s)) ||
	    json_object_set_new(o, "n", json_string(n_s))) {
		json_decref(o);
		o = NULL;
	}
out:
	free(n_s);
	free(e_s);
	return o;
}

int hcl_claims_build(const struct hcl_claims_in *in, char **json, size_t *len)
{
	const struct hcl_vm_config *vm;
	json_t *root = NULL, *keys, *cfg, *k;
	int ret = -ENOMEM;
	char *s;

	if (!in || !in->ak || !json || !len)
		return -EINVAL;
	vm = &in->vm;
	root = json_object();
	keys = json_array();
	cfg = json_object();
	if (!root || !keys || !cfg) {
		json_decref(keys);
		json_decref(cfg);
		goto out;
	}
	if (json_object_set_new(root, "keys", keys)) {
		json_decref(cfg);
		goto out;
	}
	if (json_object_set_new(root, "vm-configuration", cfg))
		goto out;

	k = jwk("HCLAkPub", in->ak_key_ops ? in->ak_key_ops : "sign", in->ak);
	if (!k || json_array_append_new(keys, k)) {
		ret = k ? -ENOMEM : -EINVAL;
		goto out;
	}
	if (in->ek) {
		k = jwk("HCLEkPub", "encrypt", in->ek);
		if (!k || json_array_append_new(keys, k)) {
			ret = k ? -ENOMEM : -EINVAL;
			goto out;
		}
	}

	if (json_object_set_new(cfg, "console-enabled", json_boolean(vm->console_enabled)))
		goto out;
	if (vm->current_time >= 0 &&
	    json_object_set_new(cfg, "current-time", json_integer(vm->current_time)))
		goto out;
	if (vm->root_cert_thumbprint &&
	    json_object_set_new(cfg, "root-cert-thumbprint",
				json_string(vm->root_cert_thumbprint)))
		goto out;
	if (json_object_set_new(cfg, "secure-boot", json_boolean(vm->secure_boot)) ||
	    json_object_set_new(cfg, "tpm-enabled", json_boolean(vm->tpm_enabled)))
		goto out;
	if (vm->tpm_persisted >= 0 &&
	    json_object_set_new(cfg, "tpm-persisted", json_boolean(vm->tpm_persisted)))
		goto out;
	if (vm->vm_unique_id &&
	    json_object_set_new(cfg, "vmUniqueId", json_string(vm->vm_unique_id)))
		goto out;

	if (in->has_user_data) {
		char hex[2 * HCL_USER_DATA_LEN + 1];

		/* The paravisor writes upper case; the samples hold zeros only. */
		hcl_hex(in->user_data, sizeof(in->user_data), hex);
		for (char *c = hex; *c; c++)
			if (*c >= 'a' && *c <= 'f')
				*c = (char)(*c - 'a' + 'A');
		if (json_object_set_new(root, "user-data", json_string(hex)))
			goto out;
	}

	s = json_dumps(root, JSON_COMPACT | JSON_PRESERVE_ORDER);
	if (!s)
		goto out;
	*json = s;
	*len = strlen(s);
	ret = 0;
out:
	json_decref(root);
	return ret;
}

int hcl_report_data(uint32_t hash_type, const uint8_t *claims, size_t len,
		    uint8_t report_data[64])
{
	const EVP_MD *md;
	unsigned int dlen = 0;

	switch (hash_type) {
	case HCL_HASH_SHA256:
		md = EVP_sha256();
		break;
	case HCL_HASH_SHA384:
		md = EVP_sha384();
		break;
	case HCL_HASH_SHA512:
		md = EVP_sha512();
		break;
	default:
		return -EINVAL;
	}
	if (!claims && len)
		return -EINVAL;
	memset(report_data, 0, 64);
	if (!EVP_Digest(claims ? claims : (const uint8_t *)"", len, report_data, &dlen, md, NULL))
		return -EIO;
	return 0;
}

/* ---- HCL report --------------------------------------------------------------- */

long hcl_report_build(const struct hcl_report_params *p, const uint8_t *hw, size_t hw_len,
		      const uint8_t *claims, size_t claims_len, uint8_t *out, size_t out_size)
{
	size_t used;

	if (!p || !hw || !out || (!claims && claims_len))
		return -EINVAL;
	if (p->report_type == HCL_REPORT_TYPE_SNP ? hw_len != SNP_REPORT_SIZE :
	    p->report_type == HCL_REPORT_TYPE_TDX ? hw_len != TDX_REPORT_SIZE : true)
		return -EINVAL;
	if (claims_len > UINT32_MAX - HCL_RT_VARIABLE_DATA)
		return -EINVAL;
	used = hcl_report_used(claims_len);
	if (used > out_size)
		return -ENOSPC;

	memset(out, 0, out_size);
	put_le32(out + HCL_H_SIGNATURE, HCL_SIGNATURE);
	put_le32(out + HCL_H_VERSION, p->version);
	/* ReportSize: the bytes used from offset 0 (both real samples). */
	put_le32(out + HCL_H_REPORT_SIZE, (uint32_t)used);
	put_le32(out + HCL_H_REQUEST_TYPE, p->request_type);
	put_le32(out + HCL_H_STATUS, 0);
	memcpy(out + HCL_HW_REPORT, hw, hw_len);
	put_le32(out + HCL_RT_DATA_SIZE, (uint32_t)(HCL_RT_HEADER_LEN + claims_len));
	put_le32(out + HCL_RT_VERSION, HCL_RT_VERSION_CURRENT);
	put_le32(out + HCL_RT_REPORT_TYPE, p->report_type);
	put_le32(out + HCL_RT_HASH_TYPE, p->hash_type);
	put_le32(out + HCL_RT_VARIABLE_SIZE, (uint32_t)claims_len);
	if (claims_len)
		memcpy(out + HCL_RT_VARIABLE_DATA, claims, claims_len);
	return (long)used;
}

int hcl_report_parse(const uint8_t *buf, size_t len, struct hcl_report_view *v)
{
	struct hcl_report_view r = { 0 };

	if (!buf || !v || len < HCL_RT_VARIABLE_DATA)
		return -EBADMSG;
	r.signature = get_le32(buf + HCL_H_SIGNATURE);
	r.version = get_le32(buf + HCL_H_VERSION);
	r.report_size = get_le32(buf + HCL_H_REPORT_SIZE);
	r.request_type = get_le32(buf + HCL_H_REQUEST_TYPE);
	r.status = get_le32(buf + HCL_H_STATUS);
	r.hw = buf + HCL_HW_REPORT;
	r.data_size = get_le32(buf + HCL_RT_DATA_SIZE);
	r.rt_version = get_le32(buf + HCL_RT_VERSION);
	r.report_type = get_le32(buf + HCL_RT_REPORT_TYPE);
	r.hash_type = get_le32(buf + HCL_RT_HASH_TYPE);
	r.var_size = get_le32(buf + HCL_RT_VARIABLE_SIZE);
	*v = r;		/* partial view even on failure, for diagnostics */

	if (r.signature != HCL_SIGNATURE)
		return -EBADMSG;
	switch (r.report_type) {
	case HCL_REPORT_TYPE_SNP:
		r.hw_len = SNP_REPORT_SIZE;
		r.report_data = r.hw + SNP_R_REPORT_DATA;
		break;
	case HCL_REPORT_TYPE_TDX:
		r.hw_len = TDX_REPORT_SIZE;
		r.report_data = r.hw + TDX_R_REPORT_DATA;
		break;
	default:
		return -EBADMSG;
	}
	if (r.hash_type < HCL_HASH_SHA256 || r.hash_type > HCL_HASH_SHA512)
		return -EBADMSG;
	if (r.var_size > len - HCL_RT_VARIABLE_DATA)
		return -EBADMSG;
	if ((uint64_t)r.data_size != HCL_RT_HEADER_LEN + (uint64_t)r.var_size)
		return -EBADMSG;
	r.claims = buf + HCL_RT_VARIABLE_DATA;
	r.used = hcl_report_used(r.var_size);
	if (r.report_size != r.used)
		return -EBADMSG;
	*v = r;
	return 0;
}

int hcl_report_check_binding(const struct hcl_report_view *v)
{
	uint8_t rd[64];

	if (!v || !v->report_data || !v->claims)
		return -EINVAL;
	if (hcl_report_data(v->hash_type, v->claims, v->var_size, rd))
		return -EINVAL;
	return memcmp(rd, v->report_data, sizeof(rd)) ? -EBADMSG : 0;
}

/* ---- claims parser ----------------------------------------------------------------- */

static int jwk_rsa(json_t *k, struct hcl_rsa_pub *out)
{
	json_t *n = json_object_get(k, "n"), *e = json_object_get(k, "e");
	uint8_t eb[8];
	size_t n_len = 0, e_len = 0;
	uint64_t ev = 0;

	if (!json_is_string(n) || !json_is_string(e))
		return -EBADMSG;
	memset(out, 0, sizeof(*out));
	if (b64url_decode(json_string_value(n), out->n, sizeof(out->n), &n_len) ||
	    b64url_decode(json_string_value(e), eb, sizeof(eb), &e_len) || !n_len || !e_len ||
	    e_len > 4)
		return -EBADMSG;
	for (size_t i = 0; i < e_len; i++)
		ev = ev << 8 | eb[i];
	out->n_len = n_len;
	out->e = (uint32_t)ev;
	return 0;
}

int hcl_claims_parse(const uint8_t *json, size_t len, struct hcl_claims_out *out)
{
	json_t *root, *keys, *ud;
	json_error_t err;
	int ret = -EBADMSG;

	if (!json || !out)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	root = json_loadb((const char *)json, len, JSON_REJECT_DUPLICATES, &err);
	if (!root)
		return -EBADMSG;
	if (!json_is_object(root))
		goto out;
	keys = json_object_get(root, "keys");
	if (keys) {
		size_t i;
		json_t *k;

		if (!json_is_array(keys))
			goto out;
		json_array_foreach(keys, i, k) {
			json_t *kid = json_object_get(k, "kid");

			if (!json_is_string(kid))
				goto out;
			if (!strcmp(json_string_value(kid), "HCLAkPub")) {
				if (out->has_ak || jwk_rsa(k, &out->ak))
					goto out;
				out->has_ak = true;
			} else if (!strcmp(json_string_value(kid), "HCLEkPub")) {
				if (out->has_ek || jwk_rsa(k, &out->ek))
					goto out;
				out->has_ek = true;
			}
		}
	}
	ud = json_object_get(root, "user-data");
	if (ud) {
		if (!json_is_string(ud) ||
		    hcl_unhex(json_string_value(ud), out->user_data, sizeof(out->user_data)))
			goto out;
		out->has_user_data = true;
	}
	ret = 0;
out:
	json_decref(root);
	return ret;
}

/* ---- TPMT_PUBLIC ------------------------------------------------------------------- */

struct rd {
	const uint8_t *p;
	size_t len, off;
	bool bad;
};

static uint16_t rd_u16(struct rd *r)
{
	uint16_t v;

	if (r->bad || r->len - r->off < 2) {
		r->bad = true;
		return 0;
	}
	v = (uint16_t)(r->p[r->off] << 8 | r->p[r->off + 1]);
	r->off += 2;
	return v;
}

static uint32_t rd_u32(struct rd *r)
{
	uint32_t hi = rd_u16(r);

	return hi << 16 | rd_u16(r);
}

static const uint8_t *rd_bytes(struct rd *r, size_t n)
{
	const uint8_t *p;

	if (r->bad || r->len - r->off < n) {
		r->bad = true;
		return NULL;
	}
	p = r->p + r->off;
	r->off += n;
	return p;
}

int hcl_rsa_from_tpmt_public(const uint8_t *buf, size_t len, struct hcl_rsa_pub *out,
			     size_t *consumed)
{
	struct rd r = { .p = buf, .len = len };
	uint16_t type, sym, scheme, n_len;
	const uint8_t *n;
	uint32_t e;

	if (!buf || !out)
		return -EINVAL;
	type = rd_u16(&r);
	rd_u16(&r);			/* nameAlg */
	rd_u32(&r);			/* objectAttributes */
	rd_bytes(&r, rd_u16(&r));	/* authPolicy */
	if (r.bad)
		return -EBADMSG;
	if (type != ALG_RSA)
		return -ENOTSUP;
	/* TPMS_RSA_PARMS: symmetric (TPMT_SYM_DEF_OBJECT), scheme, keyBits, exponent */
	sym = rd_u16(&r);
	if (sym != ALG_NULL) {
		rd_u16(&r);		/* keyBits */
		rd_u16(&r);		/* mode */
	}
	scheme = rd_u16(&r);
	switch (scheme) {
	case ALG_NULL:
	case ALG_RSAES:			/* TPMS_ENC_SCHEME_RSAES is empty */
		break;
	case ALG_RSASSA:
	case ALG_RSAPSS:
	case ALG_OAEP:
		rd_u16(&r);		/* hashAlg */
		break;
	default:
		return -EBADMSG;
	}
	rd_u16(&r);			/* keyBits */
	e = rd_u32(&r);
	n_len = rd_u16(&r);
	n = rd_bytes(&r, n_len);
	if (r.bad || !n_len)
		return -EBADMSG;
	while (n_len && !*n) {		/* minimal big-endian, as JWK wants */
		n++;
		n_len--;
	}
	if (!n_len || n_len > sizeof(out->n))
		return -EBADMSG;
	memset(out, 0, sizeof(*out));
	memcpy(out->n, n, n_len);
	out->n_len = n_len;
	out->e = e ? e : 65537;		/* Part 2 §12.2.3.5: 0 means 2^16 + 1 */
	if (consumed)
		*consumed = r.off;
	return 0;
}

int hcl_rsa_from_tpm2b_public(const uint8_t *buf, size_t len, struct hcl_rsa_pub *out)
{
	size_t size, used = 0;
	int ret;

	if (!buf || len < 2)
		return -EBADMSG;
	size = (size_t)buf[0] << 8 | buf[1];
	if (size > len - 2)
		return -EBADMSG;
	ret = hcl_rsa_from_tpmt_public(buf + 2, size, out, &used);
	if (ret)
		return ret;
	return used == size ? 0 : -EBADMSG;
}

bool hcl_rsa_equal(const struct hcl_rsa_pub *a, const struct hcl_rsa_pub *b)
{
	return a->n_len == b->n_len && a->e == b->e && !memcmp(a->n, b->n, a->n_len);
}
