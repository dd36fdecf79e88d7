// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The Intel SGX extension of PCK certificates, 1.2.840.113741.1.13.1: a
 * SEQUENCE of { OID, value } pairs (Intel "SGX PCK Certificate and CRL
 * Profile"; go-tdx-guest pcs/pcs.go reads the same).  We take FMSPC (.4,
 * OCTET STRING of 6) and PCEID (.3, OCTET STRING of 2), which say which
 * platform TCB collateral applies, and the TCB (.2: a SEQUENCE of
 * { .2.1 .. .2.16 INTEGER SGX TCB component SVNs, .2.17 INTEGER PCESVN,
 * .2.18 OCTET STRING(16) CPUSVN }) that Intel's TCB level matching compares.
 */
#include <errno.h>
#include <string.h>

#include <openssl/x509v3.h>

#include "pki/pki.h"


/* DER content of OID 1.2.840.113741.1.13.1 */
static const uint8_t sgx_ext_oid[] = { 0x2a, 0x86, 0x48, 0x86, 0xf8, 0x4d, 0x01, 0x0d, 0x01 };

/* A small non-negative DER INTEGER (content bytes) into @ret. */
static int der_small_uint(const uint8_t *v, size_t len, unsigned max, unsigned *ret)
{
	unsigned n = 0;

	if (len == 0 || len > 3 || (v[0] & 0x80))
		return -EBADMSG;
	for (size_t i = 0; i < len; i++)
		n = n << 8 | v[i];
	if (n > max)
		return -EBADMSG;
	*ret = n;
	return 0;
}

/*
 * One item of a SEQUENCE OF SEQUENCE { OID, value } at *@off of @der: its
 * OID content in @oid/@oid_len, the value's tag and content in @vtag,
 * @val/@val_len; *@off moves past it.
 */
static int sgx_next_item(const uint8_t *der, size_t len, size_t *off, const uint8_t **oid,
			 size_t *oid_len, uint8_t *vtag, const uint8_t **val, size_t *val_len)
{
	const uint8_t *item = der + *off;
	size_t ihl, icl, ohl, ocl, vhl;
	uint8_t tag;

	if (der_read_tlv(item, len - *off, &tag, &ihl, &icl) < 0 || tag != 0x30)
		return -EBADMSG;
	*off += ihl + icl;
	item += ihl;
	if (der_read_tlv(item, icl, &tag, &ohl, &ocl) < 0 || tag != 0x06)
		return -EBADMSG;
	if (der_read_tlv(item + ohl + ocl, icl - ohl - ocl, vtag, &vhl, val_len) < 0)
		return -EBADMSG;
	*oid = item + ohl;
	*oid_len = ocl;
	*val = item + ohl + ocl + vhl;
	return 0;
}

/* The TCB SEQUENCE (.2) of the extension. */
static int parse_tcb(const uint8_t *der, size_t len, struct sgx_pck_ext *e)
{
	uint32_t seen = 0;
	size_t off;

	for (off = 0; off < len;) {
		const uint8_t *oid, *val;
		size_t ocl, vcl;
		uint8_t vtag;
		unsigned n, idx;

		if (sgx_next_item(der, len, &off, &oid, &ocl, &vtag, &val, &vcl) < 0)
			return -EBADMSG;
		if (ocl != sizeof(sgx_ext_oid) + 2 || memcmp(oid, sgx_ext_oid, sizeof(sgx_ext_oid)) != 0 ||
		    oid[sizeof(sgx_ext_oid)] != 2)
			continue;
		idx = oid[sizeof(sgx_ext_oid) + 1];
		if (idx < 1 || idx > 18 || (seen & (1u << idx)))
			return -EBADMSG;
		seen |= 1u << idx;
		if (idx <= 16) {
			if (vtag != 0x02 || der_small_uint(val, vcl, 255, &n) < 0)
				return -EBADMSG;
			e->tcb_comp[idx - 1] = (uint8_t)n;
		} else if (idx == 17) {
			if (vtag != 0x02 || der_small_uint(val, vcl, 65535, &n) < 0)
				return -EBADMSG;
			e->pcesvn = (uint16_t)n;
		} else {
			if (vtag != 0x04 || vcl != 16)
				return -EBADMSG;
			memcpy(e->cpusvn, val, 16);
		}
	}
	/* All 16 components and the PCESVN: a partial TCB cannot be matched. */
	e->has_tcb = (seen & 0x3fffe) == 0x3fffe;
	return 0;
}

int sgx_pck_ext_parse_der(const uint8_t *der, size_t len, struct sgx_pck_ext *ret)
{
	struct sgx_pck_ext e = { 0 };
	uint8_t tag;
	size_t hl, cl, off;

	if (der_read_tlv(der, len, &tag, &hl, &cl) < 0 || tag != 0x30)
		return -EBADMSG;
	der += hl;
	len = cl;
	for (off = 0; off < len;) {
		const uint8_t *oid, *val;
		size_t ocl, vcl;
		uint8_t vtag;

		if (sgx_next_item(der, len, &off, &oid, &ocl, &vtag, &val, &vcl) < 0)
			return -EBADMSG;
		if (ocl != sizeof(sgx_ext_oid) + 1 || memcmp(oid, sgx_ext_oid, sizeof(sgx_ext_oid)) != 0)
			continue;
		switch (oid[sizeof(sgx_ext_oid)]) {
		case 2:	/* TCB */
			if (vtag != 0x30 || e.has_tcb || parse_tcb(val, vcl, &e) < 0)
				return -EBADMSG;
			break;
		case 3:	/* PCEID */
			if (vtag != 0x04 || vcl != 2 || e.has_pceid)
				return -EBADMSG;
			memcpy(e.pceid, val, 2);
			e.has_pceid = true;
			break;
		case 4:	/* FMSPC */
			if (vtag != 0x04 || vcl != 6 || e.has_fmspc)
				return -EBADMSG;
			memcpy(e.fmspc, val, 6);
			e.has_fmspc = true;
			break;
		default:
			break;
		}
	}
	*ret = e;
	return 0;
}

int sgx_pck_ext_from_cert(X509 *x, struct sgx_pck_ext *ret)
{
	_cleanup_(ASN1_OBJECT_freep) ASN1_OBJECT *obj = OBJ_txt2obj(INTEL_OID_SGX_EXTENSIONS, 1);
	X509_EXTENSION *ext;
	ASN1_OCTET_STRING *data;
	int idx;

	if (!obj)
		return -ENOMEM;
	idx = X509_get_ext_by_OBJ(x, obj, -1);
	if (idx < 0)
		return -ENOENT;
	ext = X509_get_ext(x, idx);
	data = X509_EXTENSION_get_data(ext);
	return sgx_pck_ext_parse_der(ASN1_STRING_get0_data(data), (size_t)ASN1_STRING_length(data),
				     ret);
}
