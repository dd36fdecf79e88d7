// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The AMD extensions of VCEK/VLEK certificates (AMD 57230, "Versioned Chip
 * Endorsement Key (VCEK) Certificate and KDS Interface Specification"),
 * under 1.3.6.1.4.1.3704.1: structVersion, productName, the SPLs of the
 * TCB the key was derived for, and hwID (VCEK) or CSP_ID (VLEK).
 * The SPLs and structVersion are DER INTEGERs inside extnValue; productName
 * and CSP_ID IA5Strings; hwID is raw bytes (64 on Milan/Genoa, 8 on Turin)
 * because KDS does not wrap it (go-sev-guest kds.go notes the same), though
 * a wrapped OCTET STRING is accepted too.
 */
#include <errno.h>
#include <string.h>

#include <openssl/x509v3.h>

#include "pki/pki.h"


static const struct {
	const char *oid;
	int spl;
} spl_oids[] = {
	{ AMD_OID_BL_SPL, AMD_SPL_BL },	    { AMD_OID_TEE_SPL, AMD_SPL_TEE },
	{ AMD_OID_SNP_SPL, AMD_SPL_SNP },   { AMD_OID_SPL4, AMD_SPL_4 },
	{ AMD_OID_SPL5, AMD_SPL_5 },	    { AMD_OID_SPL6, AMD_SPL_6 },
	{ AMD_OID_SPL7, AMD_SPL_7 },	    { AMD_OID_UCODE_SPL, AMD_SPL_UCODE },
	{ AMD_OID_FMC_SPL, AMD_SPL_FMC },
};

static int der_small_int(const uint8_t *v, size_t len, int64_t *ret)
{
	_cleanup_(ASN1_INTEGER_freep) ASN1_INTEGER *ai = NULL;
	const unsigned char *p = v;

	ai = d2i_ASN1_INTEGER(NULL, &p, (long)len);
	if (!ai || (size_t)(p - v) != len)
		return -EBADMSG;
	if (ASN1_INTEGER_get_int64(ret, ai) != 1)
		return -EBADMSG;
	return 0;
}

static int der_string(const uint8_t *v, size_t len, char *out, size_t out_len)
{
	uint8_t tag;
	size_t hl, cl;

	if (der_read_tlv(v, len, &tag, &hl, &cl) < 0 || hl + cl != len)
		return -EBADMSG;
	/* IA5String in practice; PrintableString/UTF8String tolerated. */
	if (tag != 0x16 && tag != 0x13 && tag != 0x0c)
		return -EBADMSG;
	if (cl >= out_len)
		return -EBADMSG;
	for (size_t i = 0; i < cl; i++)
		if (v[hl + i] < 0x20 || v[hl + i] > 0x7e)
			return -EBADMSG;
	memcpy(out, v + hl, cl);
	out[cl] = 0;
	return 0;
}

int amd_hwid_decode(const uint8_t *v, size_t len, uint8_t out[64], size_t *out_len)
{
	/* Raw: 64 bytes (Milan, Genoa) or 8 bytes (Turin: CHIP_ID[0..8]). */
	if (len == SNP_CHIP_ID_LEN || len == SNP_CHIP_ID_LEN_TURIN) {
		memcpy(out, v, len);
		*out_len = len;
		return 0;
	}
	/* Wrapped in an OCTET STRING. */
	if ((len == SNP_CHIP_ID_LEN + 2 && v[0] == 0x04 && v[1] == SNP_CHIP_ID_LEN) ||
	    (len == SNP_CHIP_ID_LEN_TURIN + 2 && v[0] == 0x04 && v[1] == SNP_CHIP_ID_LEN_TURIN)) {
		memcpy(out, v + 2, len - 2);
		*out_len = len - 2;
		return 0;
	}
	return -EBADMSG;
}

int amd_cert_ext_parse(X509 *x, struct amd_cert_ext *ret)
{
	struct amd_cert_ext e = { 0 };
	bool seen_name = false;
	int n = X509_get_ext_count(x);

	for (int i = 0; i < n; i++) {
		X509_EXTENSION *ext = X509_get_ext(x, i);
		ASN1_OCTET_STRING *data;
		const uint8_t *v;
		size_t len;
		char oid[80];
		int64_t val;
		bool matched = false;

		if (!ext || OBJ_obj2txt(oid, sizeof(oid), X509_EXTENSION_get_object(ext), 1) <= 0)
			return -EBADMSG;
		if (strncmp(oid, "1.3.6.1.4.1.3704.1.", 19) != 0)
			continue;
		data = X509_EXTENSION_get_data(ext);
		v = ASN1_STRING_get0_data(data);
		len = (size_t)ASN1_STRING_length(data);

		for (size_t k = 0; k < ELEMENTSOF(spl_oids); k++) {
			if (strcmp(oid, spl_oids[k].oid) != 0)
				continue;
			if (e.has_spl[spl_oids[k].spl] || der_small_int(v, len, &val) < 0 || val < 0 ||
			    val > 255)
				return -EBADMSG;
			e.has_spl[spl_oids[k].spl] = true;
			e.spl[spl_oids[k].spl] = (uint8_t)val;
			matched = true;
		}
		if (matched)
			continue;
		if (strcmp(oid, AMD_OID_STRUCT_VERSION) == 0) {
			if (e.has_struct_version || der_small_int(v, len, &e.struct_version) < 0)
				return -EBADMSG;
			e.has_struct_version = true;
		} else if (strcmp(oid, AMD_OID_PRODUCT_NAME) == 0) {
			if (seen_name || der_string(v, len, e.product_name, sizeof(e.product_name)) < 0)
				return -EBADMSG;
			seen_name = true;
		} else if (strcmp(oid, AMD_OID_HWID) == 0) {
			if (e.hwid_len || amd_hwid_decode(v, len, e.hwid, &e.hwid_len) < 0)
				return -EBADMSG;
		} else if (strcmp(oid, AMD_OID_CSP_ID) == 0) {
			if (e.has_csp_id || der_string(v, len, e.csp_id, sizeof(e.csp_id)) < 0)
				return -EBADMSG;
			e.has_csp_id = true;
		}
		/* Other AMD OIDs: ignored, as newer KDS versions may add some. */
	}
	*ret = e;
	return 0;
}

int amd_kds_vcek_url(const char *base, const struct cvm_snp_report *s, char **ret)
{
	bool turin = s->product == CVM_SNP_PRODUCT_TURIN;
	char hex[2 * SNP_CHIP_ID_LEN + 1], fmc[32] = "";
	struct cvm_snp_tcb t;

	cvm_hex_encode(s->chip_id, turin ? SNP_CHIP_ID_LEN_TURIN : SNP_CHIP_ID_LEN, hex);
	cvm_snp_tcb_decode(s->reported_tcb.raw, s->product, &t);
	if (t.turin)
		snprintf(fmc, sizeof(fmc), "&fmcSPL=%u", t.fmc);
	if (asprintf(ret, "%s/vcek/v1/%s/%s?blSPL=%u&teeSPL=%u&snpSPL=%u&ucodeSPL=%u%s", base,
		     s->product == CVM_SNP_PRODUCT_UNKNOWN ? "{Milan|Genoa}" :
		     cvm_snp_product_name(s->product), hex, t.bootloader, t.tee, t.snp, t.microcode,
		     fmc) < 0) {
		*ret = NULL;
		return -ENOMEM;
	}
	return 0;
}
