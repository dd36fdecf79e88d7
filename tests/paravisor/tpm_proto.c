// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * Bounds-checked parsing and rewriting of the few TPM 2.0 commands and
 * responses the paravisor looks into.  Structures: TPM 2.0 Library Part 1
 * §18 (command/response layout, authorization area), Part 2 §13.5
 * (TPMS_NV_PUBLIC), Part 3 §31 (NV commands).
 */
#include <errno.h>
#include <string.h>

#include <openssl/evp.h>

#include "tpm_proto.h"

/* TPM_ALG_ID of name algorithms (Part 2 §6.3) */
#define ALG_SHA1	0x0004
#define ALG_SHA256	0x000B
#define ALG_SHA384	0x000C
#define ALG_SHA512	0x000D

int tpm_cmd_parse(const uint8_t *buf, size_t len, struct tpm_cmd *c)
{
	if (!buf || !c)
		return -EINVAL;
	memset(c, 0, sizeof(*c));
	if (len < TPM_HEADER_LEN || len > TPM_MAX_MSG)
		return -EBADMSG;
	c->buf = buf;
	c->len = len;
	c->tag = tpm_get16(buf);
	c->size = tpm_get32(buf + 2);
	c->cc = tpm_get32(buf + 6);
	if (c->size != len)
		return -EBADMSG;
	return 0;
}

int tpm_cmd_parse_nv(struct tpm_cmd *c)
{
	size_t off = TPM_HEADER_LEN, end;
	unsigned int nh;

	switch (c->cc) {
	case TPM_CC_NV_DEFINE_SPACE:
	case TPM_CC_NV_READ_PUBLIC:
		nh = 1;
		break;
	case TPM_CC_NV_UNDEFINE_SPACE:
	case TPM_CC_NV_UNDEFINE_SPACE_SPECIAL:
	case TPM_CC_NV_WRITE:
	case TPM_CC_NV_READ:
		nh = 2;
		break;
	default:
		return -ENOTSUP;
	}
	if (c->len - off < 4 * (size_t)nh)
		return -EBADMSG;
	for (unsigned int i = 0; i < nh; i++, off += 4)
		c->handle[i] = tpm_get32(c->buf + off);
	c->n_handles = nh;

	c->all_password = false;
	c->n_sessions = 0;
	if (c->tag == TPM_ST_SESSIONS) {
		uint32_t auth_size;

		if (c->len - off < 4)
			return -EBADMSG;
		auth_size = tpm_get32(c->buf + off);
		off += 4;
		/* one session is at least handle + 2 + attrs + 2 = 9 bytes */
		if (auth_size < 9 || auth_size > c->len - off)
			return -EBADMSG;
		c->auth_off = off;
		c->auth_len = auth_size;
		end = off + auth_size;
		c->all_password = true;
		while (off < end) {
			uint32_t h;
			uint16_t n;
			uint8_t attrs;

			if (c->n_sessions >= TPM_MAX_SESSIONS || end - off < 9)
				return -EBADMSG;
			h = tpm_get32(c->buf + off);
			off += 4;
			n = tpm_get16(c->buf + off);		/* nonceCaller */
			off += 2;
			if (n > end - off)
				return -EBADMSG;
			off += n;
			if (end - off < 3)
				return -EBADMSG;
			attrs = c->buf[off++];
			n = tpm_get16(c->buf + off);		/* hmac */
			off += 2;
			if (n > end - off)
				return -EBADMSG;
			off += n;
			c->session[c->n_sessions++] = h;
			if (h != TPM_RS_PW)
				c->all_password = false;
			if (attrs & PV_SESSION_DECRYPT)
				c->param_encrypted = true;
		}
	} else if (c->tag != TPM_ST_NO_SESSIONS) {
		return -EBADMSG;
	}
	c->param_off = off;
	return 0;
}

int tpm_nv_write_params(const struct tpm_cmd *c, const uint8_t **data, uint16_t *size,
			uint16_t *offset)
{
	size_t off = c->param_off;
	uint16_t n;

	if (c->cc != TPM_CC_NV_WRITE || off > c->len || c->len - off < 2)
		return -EBADMSG;
	n = tpm_get16(c->buf + off);
	off += 2;
	if (n > c->len - off || c->len - off - n != 2)
		return -EBADMSG;
	*data = c->buf + off;
	*size = n;
	*offset = tpm_get16(c->buf + off + n);
	return 0;
}

int tpm_nv_read_params(const struct tpm_cmd *c, uint16_t *size, uint16_t *offset)
{
	if (c->cc != TPM_CC_NV_READ || c->param_off > c->len || c->len - c->param_off != 4)
		return -EBADMSG;
	*size = tpm_get16(c->buf + c->param_off);
	*offset = tpm_get16(c->buf + c->param_off + 2);
	return 0;
}

long tpm_nv_read_rewrite(const struct tpm_cmd *c, uint16_t size, uint16_t offset,
			 uint8_t *out, size_t out_size)
{
	size_t len;

	if (c->cc != TPM_CC_NV_READ || c->param_off > c->len || c->len - c->param_off != 4)
		return -EBADMSG;
	len = c->param_off + 4;
	if (len > out_size)
		return -ENOSPC;
	memcpy(out, c->buf, c->param_off);
	tpm_put32(out + 2, (uint32_t)len);
	tpm_put16(out + c->param_off, size);
	tpm_put16(out + c->param_off + 2, offset);
	return (long)len;
}

int tpm_rsp_parse(const uint8_t *buf, size_t len, uint16_t *tag, uint32_t *rc)
{
	if (!buf || len < TPM_HEADER_LEN || len > TPM_MAX_MSG)
		return -EBADMSG;
	if (tpm_get32(buf + 2) != len)
		return -EBADMSG;
	if (tag)
		*tag = tpm_get16(buf);
	if (rc)
		*rc = tpm_get32(buf + 6);
	return 0;
}

size_t tpm_rsp_make(uint32_t rc, uint8_t out[TPM_HEADER_LEN])
{
	tpm_put16(out, TPM_ST_NO_SESSIONS);
	tpm_put32(out + 2, TPM_HEADER_LEN);
	tpm_put32(out + 6, rc);
	return TPM_HEADER_LEN;
}

long tpm_nv_read_rsp_replace(const uint8_t *rsp, size_t rsp_len, const uint8_t *data,
			     uint16_t data_len, uint8_t *out, size_t out_size)
{
	uint32_t param_size;
	uint16_t old_len;
	size_t auth_off, auth_len, len;

	/* header, UINT32 parameterSize, TPM2B_MAX_NV_BUFFER, authorization area */
	if (tpm_rsp_parse(rsp, rsp_len, NULL, NULL) || tpm_get16(rsp) != TPM_ST_SESSIONS ||
	    tpm_get32(rsp + 6) != TPM_RC_SUCCESS || rsp_len < TPM_HEADER_LEN + 6)
		return -EBADMSG;
	param_size = tpm_get32(rsp + TPM_HEADER_LEN);
	old_len = tpm_get16(rsp + TPM_HEADER_LEN + 4);
	if (param_size != 2u + old_len || param_size > rsp_len - TPM_HEADER_LEN - 4)
		return -EBADMSG;
	auth_off = TPM_HEADER_LEN + 4 + param_size;
	auth_len = rsp_len - auth_off;
	if (auth_len < 5)		/* at least one TPMS_AUTH_RESPONSE */
		return -EBADMSG;
	len = TPM_HEADER_LEN + 4 + 2 + (size_t)data_len + auth_len;
	if (len > out_size || len > TPM_MAX_MSG)
		return -ENOSPC;
	memmove(out + TPM_HEADER_LEN + 6 + data_len, rsp + auth_off, auth_len);
	tpm_put16(out, TPM_ST_SESSIONS);
	tpm_put32(out + 2, (uint32_t)len);
	tpm_put32(out + 6, TPM_RC_SUCCESS);
	tpm_put32(out + TPM_HEADER_LEN, 2u + data_len);
	tpm_put16(out + TPM_HEADER_LEN + 4, data_len);
	if (data_len)
		memcpy(out + TPM_HEADER_LEN + 6, data, data_len);
	return (long)len;
}

static const EVP_MD *name_md(uint16_t alg)
{
	switch (alg) {
	case ALG_SHA1:
		return EVP_sha1();
	case ALG_SHA256:
		return EVP_sha256();
	case ALG_SHA384:
		return EVP_sha384();
	case ALG_SHA512:
		return EVP_sha512();
	default:
		return NULL;
	}
}

long tpm_nv_name(const uint8_t *nv_public, size_t len, uint8_t *name, size_t name_size)
{
	const EVP_MD *md;
	unsigned int dlen = 0;
	uint16_t alg;

	if (!nv_public || len < 6)
		return -EBADMSG;
	alg = tpm_get16(nv_public + 4);
	md = name_md(alg);
	if (!md)
		return -ENOTSUP;
	if (name_size < 2 + (size_t)EVP_MD_get_size(md))
		return -ENOSPC;
	tpm_put16(name, alg);
	if (!EVP_Digest(nv_public, len, name + 2, &dlen, md, NULL))
		return -EIO;
	return 2 + (long)dlen;
}

int tpm_nv_read_public_patch(uint8_t *rsp, size_t rsp_len, uint32_t index,
			     uint16_t expect_size, uint16_t new_size)
{
	uint8_t name[2 + 64];
	size_t off = TPM_HEADER_LEN, pub_off, pub_len, policy_len;
	uint16_t name_len;
	long n;

	if (tpm_rsp_parse(rsp, rsp_len, NULL, NULL))
		return -EBADMSG;
	if (tpm_get32(rsp + 6) != TPM_RC_SUCCESS || tpm_get16(rsp) != TPM_ST_NO_SESSIONS)
		return -ENOENT;
	/* TPM2B_NV_PUBLIC { nvIndex, nameAlg, attributes, authPolicy, dataSize } */
	if (rsp_len - off < 2)
		return -EBADMSG;
	pub_len = tpm_get16(rsp + off);
	off += 2;
	pub_off = off;
	if (pub_len < 14 || pub_len > rsp_len - off)
		return -EBADMSG;
	policy_len = tpm_get16(rsp + pub_off + 10);
	if (pub_len != 14 + policy_len)
		return -EBADMSG;
	if (tpm_get32(rsp + pub_off) != index)
		return -ENOENT;
	if (tpm_get16(rsp + pub_off + pub_len - 2) != expect_size)
		return -ENOENT;
	off += pub_len;
	/* TPM2B_NAME */
	if (rsp_len - off < 2)
		return -EBADMSG;
	name_len = tpm_get16(rsp + off);
	if (name_len != rsp_len - off - 2)
		return -EBADMSG;

	tpm_put16(rsp + pub_off + pub_len - 2, new_size);
	n = tpm_nv_name(rsp + pub_off, pub_len, name, sizeof(name));
	if (n < 0 || (size_t)n != name_len) {
		tpm_put16(rsp + pub_off + pub_len - 2, expect_size);	/* undo */
		return n < 0 ? (int)n : -EBADMSG;
	}
	memcpy(rsp + off + 2, name, name_len);
	return 0;
}
