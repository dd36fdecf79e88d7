// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Azure vTPM "HCL report" (NV index 0x01400001): a 32-byte header, the
 * hardware report (SNP report or TDREPORT, in a 1184-byte area), then
 * IGVM_REQUEST_DATA with the runtime claims JSON whose hash the hardware
 * report's REPORT_DATA carries.  Layout: Azure
 * confidential-computing-cvm-guest-attestation HwVmReport.h and
 * kinvolk/azure-cvm-tooling az-cvm-vtpm/src/hcl/mod.rs.
 */
#include <errno.h>
#include <string.h>

#include "evidence/evidence.h"


int cvm_hcl_report_parse(const uint8_t *buf, size_t len, struct cvm_hcl_report *ret)
{
	struct cvm_hcl_report h = { 0 };

	if (!buf || !ret || len < HCL_RT_VARIABLE_DATA)
		return -EBADMSG;
	if (get_le32(buf + HCL_H_SIGNATURE) != HCL_SIGNATURE)
		return -EBADMSG;
	h.version = get_le32(buf + HCL_H_VERSION);
	h.report_size = get_le32(buf + HCL_H_REPORT_SIZE);
	h.request_type = get_le32(buf + HCL_H_REQUEST_TYPE);
	h.status = get_le32(buf + HCL_H_STATUS);
	h.hw_report = buf + HCL_HW_REPORT;
	h.data_size = get_le32(buf + HCL_RT_DATA_SIZE);
	h.rt_version = get_le32(buf + HCL_RT_VERSION);
	h.report_type = get_le32(buf + HCL_RT_REPORT_TYPE);
	h.hash_type = get_le32(buf + HCL_RT_HASH_TYPE);
	h.variable_size = get_le32(buf + HCL_RT_VARIABLE_SIZE);

	switch (h.report_type) {
	case HCL_REPORT_TYPE_SNP:
		h.hw_format = CVM_FORMAT_SNP_REPORT;
		break;
	case HCL_REPORT_TYPE_TDX:
		h.hw_format = CVM_FORMAT_TDX_TDREPORT;
		break;
	default:		/* TVM and VBS reports carry no hardware evidence we know */
		return -EBADMSG;
	}
	if (h.hash_type < HCL_HASH_SHA256 || h.hash_type > HCL_HASH_SHA512)
		return -EBADMSG;
	if (h.variable_size > len - HCL_RT_VARIABLE_DATA)
		return -EBADMSG;
	/* DataSize counts the 20-byte IGVM_REQUEST_DATA header and the claims. */
	if (h.data_size != HCL_RT_HEADER_LEN + (uint64_t)h.variable_size)
		return -EBADMSG;
	h.variable_data = buf + HCL_RT_VARIABLE_DATA;
	*ret = h;
	return 0;
}

/*
 * An Azure SNP report "with its IGVM request header": the bytes of an HCL
 * report from HCL_HW_REPORT up to HCL_RT_VARIABLE_DATA, i.e. the 1184-byte
 * SNP report and then the 20-byte IGVM_REQUEST_DATA header (data_size,
 * version, report_type, report_data_hash_type, variable_data_size; Azure
 * confidential-computing-cvm-guest-attestation HwVmReport.h).  Tools that
 * read NV 0x01400001 into a { 32-byte header, report, 5 x u32 } struct
 * (kinvolk/azure-cvm-tooling az-snp-vtpm, and the Rust snippets derived
 * from it) write it out so; sometimes the runtime claims follow as well.
 *
 * Detection: the tail is exactly 20 bytes, or 20 plus its variable_size,
 * and it is self-consistent as such a header: report_type 2 (SNP, which
 * the report before it is), hash type 1-3 (SHA-256/384/512), version 1 or 2,
 * data_size == 20 + variable_size.  A GHCB certificate table, the other
 * thing that may follow a report, is a list of 24-byte entries ending in
 * a zero one, so never 20 bytes, and its first bytes are a GUID, which
 * would have to fit all five checks to be taken for this.  The header is
 * not signed by anything and says nothing the verifier uses: it is only
 * recognised, so that such a file is not refused as malformed.
 */
bool hcl_igvm_request_header_follows(const uint8_t *tail, size_t len)
{
	uint32_t data_size, version, type, hash, var;

	if (!tail || len < HCL_RT_HEADER_LEN)
		return false;
	/* The HCL_RT_* fields, relative to the header's start. */
	data_size = get_le32(tail + (HCL_RT_DATA_SIZE - HCL_RT_DATA_SIZE));
	version = get_le32(tail + (HCL_RT_VERSION - HCL_RT_DATA_SIZE));
	type = get_le32(tail + (HCL_RT_REPORT_TYPE - HCL_RT_DATA_SIZE));
	hash = get_le32(tail + (HCL_RT_HASH_TYPE - HCL_RT_DATA_SIZE));
	var = get_le32(tail + (HCL_RT_VARIABLE_SIZE - HCL_RT_DATA_SIZE));
	if (type != HCL_REPORT_TYPE_SNP || hash < HCL_HASH_SHA256 || hash > HCL_HASH_SHA512 ||
	    version < 1 || version > 2 || data_size != HCL_RT_HEADER_LEN + (uint64_t)var)
		return false;
	return len == HCL_RT_HEADER_LEN || len == HCL_RT_HEADER_LEN + (uint64_t)var;
}

static int tri_bool(json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);

	if (!v)
		return -1;
	return json_is_true(v) ? 1 : 0;
}

static int dup_str(json_t *obj, const char *key, char **ret)
{
	json_t *v = json_object_get(obj, key);

	if (!v)
		return 0;
	if (!json_is_string(v))
		return -EBADMSG;
	*ret = strdup(json_string_value(v));
	return *ret ? 0 : -ENOMEM;
}

void cvm_hcl_claims_done(struct cvm_hcl_claims *c)
{
	if (!c)
		return;
	free(c->ak_n);
	free(c->ak_e);
	free(c->ek_n);
	free(c->ek_e);
	free(c->vm_unique_id);
	memset(c, 0, sizeof(*c));
}

int cvm_hcl_claims_parse(const uint8_t *json, size_t len, struct cvm_hcl_claims *ret)
{
	_cleanup_(json_decrefp) json_t *root = NULL;
	struct cvm_hcl_claims c = { .secure_boot = -1,
				    .tpm_enabled = -1,
				    .console_enabled = -1,
				    .tpm_persisted = -1 };
	json_t *keys, *cfg, *ud;
	json_error_t err;
	int r = -EBADMSG;

	if (!json || !ret)
		return -EINVAL;
	memset(ret, 0, sizeof(*ret));
	root = json_loadb((const char *)json, len, JSON_REJECT_DUPLICATES, &err);
	if (!root || !json_is_object(root))
		return -EBADMSG;

	keys = json_object_get(root, "keys");
	if (keys) {
		size_t i;
		json_t *k;

		if (!json_is_array(keys))
			goto fail;
		json_array_foreach(keys, i, k) {
			json_t *kid = json_object_get(k, "kid");
			char **n, **e;

			if (!json_is_object(k) || !json_is_string(kid))
				goto fail;
			if (strcmp(json_string_value(kid), "HCLAkPub") == 0) {
				n = &c.ak_n;
				e = &c.ak_e;
			} else if (strcmp(json_string_value(kid), "HCLEkPub") == 0) {
				n = &c.ek_n;
				e = &c.ek_e;
			} else {
				continue;
			}
			if (*n || *e)
				goto fail;	/* the same key twice */
			r = dup_str(k, "n", n);
			if (r == 0)
				r = dup_str(k, "e", e);
			if (r < 0)
				goto fail;
			r = -EBADMSG;
		}
	}

	cfg = json_object_get(root, "vm-configuration");
	if (cfg) {
		if (!json_is_object(cfg))
			goto fail;
		c.secure_boot = tri_bool(cfg, "secure-boot");
		c.tpm_enabled = tri_bool(cfg, "tpm-enabled");
		c.console_enabled = tri_bool(cfg, "console-enabled");
		c.tpm_persisted = tri_bool(cfg, "tpm-persisted");
		r = dup_str(cfg, "vmUniqueId", &c.vm_unique_id);
		if (r < 0)
			goto fail;
		r = -EBADMSG;
	}

	/* "user-data": hex of the 64 bytes last written to NV 0x01400002. */
	ud = json_object_get(root, "user-data");
	if (ud) {
		if (!json_is_string(ud) ||
		    cvm_hex_decode_fixed(json_string_value(ud), c.user_data, 64, NULL, true) < 0)
			goto fail;
		c.has_user_data = true;
	}
	*ret = c;
	return 0;
fail:
	cvm_hcl_claims_done(&c);
	return r;
}
