// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * libsim: SEV-SNP evidence — products, TCB_VERSION, ATTESTATION_REPORT,
 * the extended-report certificate table, MSG_KEY_REQ.
 * Layouts: include/cvmattest/evidence.h; evidence-formats.md §1, §2.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/hmac.h>
#include <openssl/sha.h>

#include <cvmattest/platform-abi.h>

#include "sim_internal.h"

/*
 * CPUID family/model/stepping as reported from version 3 on: Milan B0
 * 19h/01h/0, Genoa B1 19h/11h/1, Turin 1Ah/02h/1 as in the real Turin v5
 * report (evidence-formats.md §1.1, §5.1).  productName as in real VCEKs
 * ("Milan-B0", "Genoa-B1", "Turin"; GSG verify.go steppingDecoder).  ARK
 * serials as observed: ARK-Milan 0x10000, ARK-Genoa 0x20000, ARK-Turin
 * 0x30000, ASK = ARK + 1.
 */
static const struct sim_product_info products[SIM_PRODUCT_COUNT] = {
	[SIM_PRODUCT_MILAN] = { "Milan", "milan", "Milan-B0", 0x19, 0x01, 0x00, false, 0x10000 },
	[SIM_PRODUCT_GENOA] = { "Genoa", "genoa", "Genoa-B1", 0x19, 0x11, 0x01, false, 0x20000 },
	[SIM_PRODUCT_TURIN] = { "Turin", "turin", "Turin", 0x1A, 0x02, 0x01, true, 0x30000 },
};

const struct sim_product_info *sim_product(enum sim_product p)
{
	return &products[p < SIM_PRODUCT_COUNT ? p : SIM_PRODUCT_MILAN];
}

int sim_product_parse(const char *name, enum sim_product *out)
{
	for (int p = 0; p < SIM_PRODUCT_COUNT; p++) {
		if (!strcasecmp(name, products[p].name)) {
			*out = (enum sim_product)p;
			return 0;
		}
	}
	return -EINVAL;
}

void sim_tcb_encode(enum sim_product p, const struct sim_tcb *t, uint8_t out[8])
{
	memset(out, 0, 8);
	if (sim_product(p)->turin_like) {
		out[SNP_TCB_TURIN_FMC] = t->fmc;
		out[SNP_TCB_TURIN_BL] = t->bl;
		out[SNP_TCB_TURIN_TEE] = t->tee;
		out[SNP_TCB_TURIN_SNP] = t->snp;
		out[SNP_TCB_TURIN_UCODE] = t->ucode;
	} else {
		out[SNP_TCB_LEGACY_BL] = t->bl;
		out[SNP_TCB_LEGACY_TEE] = t->tee;
		out[SNP_TCB_LEGACY_SNP] = t->snp;
		out[SNP_TCB_LEGACY_UCODE] = t->ucode;
	}
}

void sim_tcb_decode(enum sim_product p, const uint8_t in[8], struct sim_tcb *t)
{
	memset(t, 0, sizeof(*t));
	if (sim_product(p)->turin_like) {
		t->fmc = in[SNP_TCB_TURIN_FMC];
		t->bl = in[SNP_TCB_TURIN_BL];
		t->tee = in[SNP_TCB_TURIN_TEE];
		t->snp = in[SNP_TCB_TURIN_SNP];
		t->ucode = in[SNP_TCB_TURIN_UCODE];
	} else {
		t->bl = in[SNP_TCB_LEGACY_BL];
		t->tee = in[SNP_TCB_LEGACY_TEE];
		t->snp = in[SNP_TCB_LEGACY_SNP];
		t->ucode = in[SNP_TCB_LEGACY_UCODE];
	}
}

int sim_tcb_parse(enum sim_product p, const char *s, uint8_t out[8])
{
	struct sim_tcb t = { 0 };
	char *copy, *tok, *save = NULL;
	int ret = 0;

	if (!s || !*s)
		return -EINVAL;
	if (!strchr(s, '=')) {
		uint64_t v;

		if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
			if (sim_parse_u64(s, &v))
				return -EINVAL;
			put_le64(out, v);
			return 0;
		}
		return sim_hex_decode(s, out, 8);
	}
	copy = strdup(s);
	if (!copy)
		return -ENOMEM;
	for (tok = strtok_r(copy, ",", &save); tok && !ret; tok = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(tok, '=');
		uint64_t v;

		if (!eq || sim_parse_u64(eq + 1, &v) || v > 255) {
			ret = -EINVAL;
			break;
		}
		*eq = '\0';
		if (!strcmp(tok, "bl"))
			t.bl = (uint8_t)v;
		else if (!strcmp(tok, "tee"))
			t.tee = (uint8_t)v;
		else if (!strcmp(tok, "snp"))
			t.snp = (uint8_t)v;
		else if (!strcmp(tok, "ucode"))
			t.ucode = (uint8_t)v;
		else if (!strcmp(tok, "fmc") && sim_product(p)->turin_like)
			t.fmc = (uint8_t)v;
		else
			ret = -EINVAL;
	}
	free(copy);
	if (!ret)
		sim_tcb_encode(p, &t, out);
	return ret;
}

/* A distinct, recognisable test value for a field: SHA-512(label). */
static void fill(const char *label, uint8_t *out, size_t len)
{
	uint8_t md[SHA512_DIGEST_LENGTH];

	SHA512((const unsigned char *)label, strlen(label), md);
	memcpy(out, md, len < sizeof(md) ? len : sizeof(md));
}

void sim_snp_config_default(struct sim_snp_config *c, enum sim_product p)
{
	/*
	 * Default TCBs are ones seen in real reports: Milan bl3 snp8 ucode 0x73
	 * (virtee sample), Genoa bl7 snp14 ucode 68 (YAXI Genoa), Turin fmc0
	 * bl1 tee0 snp2 ucode 0x47 (Turin v5 sample).
	 */
	static const uint8_t tcb[SIM_PRODUCT_COUNT][8] = {
		[SIM_PRODUCT_MILAN] = { 3, 0, 0, 0, 0, 0, 8, 0x73 },
		[SIM_PRODUCT_GENOA] = { 7, 0, 0, 0, 0, 0, 14, 68 },
		[SIM_PRODUCT_TURIN] = { 0, 1, 0, 2, 0, 0, 0, 0x47 },
	};
	char label[64];

	memset(c, 0, sizeof(*c));
	c->product = p < SIM_PRODUCT_COUNT ? p : SIM_PRODUCT_MILAN;
	c->version = 5;
	c->guest_svn = 1;
	/* SMT allowed + reserved bit 17, which must be 1 (§1.3) */
	c->policy = SNP_POLICY_SMT | SNP_POLICY_RESERVED_ONE;
	fill("cvmattest-sim family_id", c->family_id, sizeof(c->family_id));
	fill("cvmattest-sim image_id", c->image_id, sizeof(c->image_id));
	c->platform_info = 0x1;				/* SMT_EN */
	c->signer_info = SNP_SIGNING_KEY_VCEK << SNP_SIGNER_SIGNING_KEY_SHIFT;
	fill("cvmattest-sim measurement", c->measurement, sizeof(c->measurement));
	fill("cvmattest-sim host_data", c->host_data, sizeof(c->host_data));
	fill("cvmattest-sim id_key_digest", c->id_key_digest, sizeof(c->id_key_digest));
	fill("cvmattest-sim report_id", c->report_id, sizeof(c->report_id));
	sim_snp_config_set_tcb(c, tcb[c->product]);
	snprintf(label, sizeof(label), "cvmattest-sim chip_id %s", sim_product(c->product)->name);
	fill(label, c->chip_id, sizeof(c->chip_id));
	if (sim_product(c->product)->turin_like)	/* Turin: 8 bytes, rest zero */
		memset(c->chip_id + SNP_CHIP_ID_LEN_TURIN, 0,
		       SNP_CHIP_ID_LEN - SNP_CHIP_ID_LEN_TURIN);
	c->fw_major = 1;
	c->fw_minor = 55;
	c->fw_build = 21;
}

void sim_snp_config_set_tcb(struct sim_snp_config *c, const uint8_t tcb[8])
{
	memcpy(c->current_tcb, tcb, 8);
	memcpy(c->reported_tcb, tcb, 8);
	memcpy(c->committed_tcb, tcb, 8);
	memcpy(c->launch_tcb, tcb, 8);
}

int sim_snp_build_report(const struct sim_snp_config *c, const struct sim_keys *k,
			 const uint8_t report_data[SNP_REPORT_DATA_LEN],
			 uint32_t vmpl, uint8_t r[SNP_REPORT_SIZE])
{
	const struct sim_product_info *pi = sim_product(c->product);
	uint8_t rs[2 * 48];
	int ret;

	if (c->version < SNP_REPORT_VERSION_MIN || c->version > SNP_REPORT_VERSION_MAX)
		return -EINVAL;

	memset(r, 0, SNP_REPORT_SIZE);
	put_le32(r + SNP_R_VERSION, c->version);
	put_le32(r + SNP_R_GUEST_SVN, c->guest_svn);
	put_le64(r + SNP_R_POLICY, c->policy);
	memcpy(r + SNP_R_FAMILY_ID, c->family_id, 16);
	memcpy(r + SNP_R_IMAGE_ID, c->image_id, 16);
	put_le32(r + SNP_R_VMPL, vmpl);
	put_le32(r + SNP_R_SIGNATURE_ALGO, SNP_SIG_ALGO_ECDSA_P384_SHA384);
	memcpy(r + SNP_R_CURRENT_TCB, c->current_tcb, 8);
	put_le64(r + SNP_R_PLATFORM_INFO, c->platform_info);
	put_le32(r + SNP_R_SIGNER_INFO, c->signer_info);
	memcpy(r + SNP_R_REPORT_DATA, report_data, SNP_REPORT_DATA_LEN);
	memcpy(r + SNP_R_MEASUREMENT, c->measurement, SNP_MEASUREMENT_LEN);
	memcpy(r + SNP_R_HOST_DATA, c->host_data, 32);
	memcpy(r + SNP_R_ID_KEY_DIGEST, c->id_key_digest, 48);
	if (c->signer_info & SNP_SIGNER_AUTHOR_KEY_EN)
		memcpy(r + SNP_R_AUTHOR_KEY_DIGEST, c->author_key_digest, 48);
	memcpy(r + SNP_R_REPORT_ID, c->report_id, 32);
	memset(r + SNP_R_REPORT_ID_MA, 0xFF, 32);	/* no migration agent */
	memcpy(r + SNP_R_REPORTED_TCB, c->reported_tcb, 8);
	if (c->version >= 3) {
		r[SNP_R_CPUID_FAM_ID] = pi->cpuid_fam;
		r[SNP_R_CPUID_MOD_ID] = pi->cpuid_mod;
		r[SNP_R_CPUID_STEP] = pi->cpuid_step;
	}
	if (!c->mask_chip_id)
		memcpy(r + SNP_R_CHIP_ID, c->chip_id, SNP_CHIP_ID_LEN);
	memcpy(r + SNP_R_COMMITTED_TCB, c->committed_tcb, 8);
	r[SNP_R_CURRENT_BUILD] = c->fw_build;
	r[SNP_R_CURRENT_MINOR] = c->fw_minor;
	r[SNP_R_CURRENT_MAJOR] = c->fw_major;
	r[SNP_R_COMMITTED_BUILD] = c->fw_build;
	r[SNP_R_COMMITTED_MINOR] = c->fw_minor;
	r[SNP_R_COMMITTED_MAJOR] = c->fw_major;
	memcpy(r + SNP_R_LAUNCH_TCB, c->launch_tcb, 8);
	if (c->version >= 5) {
		put_le64(r + SNP_R_LAUNCH_MIT_VECTOR, c->launch_mit_vector);
		put_le64(r + SNP_R_CURRENT_MIT_VECTOR, c->current_mit_vector);
	}

	/* MASK_CHIP_KEY: the firmware leaves the signature zero (§1.5). */
	if (c->signer_info & SNP_SIGNER_MASK_CHIP_KEY)
		return 0;

	/* ECDSA P-384 over SHA-384(report[0:0x2A0]); r, s little-endian in 72-byte slots (§1.6) */
	ret = sim_sign_rs(sim_keys_vcek_key(k, c->product), EVP_sha384(),
			  r, SNP_SIGNED_LEN, rs, 48);
	if (ret)
		return ret;
	for (int i = 0; i < 48; i++) {
		r[SNP_R_SIG_R + i] = rs[47 - i];
		r[SNP_R_SIG_S + i] = rs[48 + 47 - i];
	}
	return 0;
}

int sim_snp_build_cert_table(const struct sim_snp_config *c, const struct sim_keys *k,
			     uint8_t **table, size_t *len)
{
	static const uint8_t guid_vcek[16] = SNP_GUID_VCEK;
	static const uint8_t guid_ask[16] = SNP_GUID_ASK;
	static const uint8_t guid_ark[16] = SNP_GUID_ARK;
	const uint8_t *guids[3] = { guid_vcek, guid_ask, guid_ark };
	uint8_t *blob[3] = { NULL, NULL, NULL };
	size_t blen[3] = { 0 };
	size_t off, total;
	uint8_t *t = NULL;
	int n, ret;

	ret = sim_amd_issue_vcek(k, c->product, c->chip_id, c->reported_tcb, 0,
				 &blob[0], &blen[0]);
	if (ret)
		return ret;
	n = i2d_X509(sim_keys_ask_cert(k, c->product), &blob[1]);
	if (n <= 0)
		goto nomem;
	blen[1] = (size_t)n;
	n = i2d_X509(sim_keys_ark_cert(k, c->product), &blob[2]);
	if (n <= 0)
		goto nomem;
	blen[2] = (size_t)n;

	/* entries, a zero terminator, then the blobs in entry order (§2.4) */
	off = 4 * SNP_CERT_ENTRY_SIZE;
	total = off + blen[0] + blen[1] + blen[2];
	t = calloc(1, total);
	if (!t)
		goto nomem;
	for (int i = 0; i < 3; i++) {
		uint8_t *e = t + i * SNP_CERT_ENTRY_SIZE;

		memcpy(e + SNP_CERT_ENTRY_GUID, guids[i], 16);
		put_le32(e + SNP_CERT_ENTRY_OFFSET, (uint32_t)off);
		put_le32(e + SNP_CERT_ENTRY_LENGTH, (uint32_t)blen[i]);
		memcpy(t + off, blob[i], blen[i]);
		off += blen[i];
	}
	*table = t;
	*len = total;
	ret = 0;
	goto out;
nomem:
	ret = -ENOMEM;
out:
	free(blob[0]);
	OPENSSL_free(blob[1]);
	OPENSSL_free(blob[2]);
	return ret;
}

/*
 * MSG_KEY_REQ (SNP firmware ABI; evidence-formats.md §1.7): root_key_select
 * u32 @0, reserved u32 @4, guest_field_select u64 @8, vmpl u32 @16,
 * guest_svn u32 @20, tcb_version u64 @24.
 */
uint32_t sim_snp_derive_key(const struct sim_snp_config *c, const uint8_t req[32],
			    uint8_t key[32])
{
	uint32_t root_sel = get_le32(req), rsvd = get_le32(req + 4);
	uint64_t gfs = get_le64(req + 8);
	uint32_t vmpl = get_le32(req + 16), svn = get_le32(req + 20);
	const uint8_t *tcb = req + 24;
	/* launch_mit_vector (bit 6) exists from firmware 1.58 on */
	uint64_t gfs_valid = c->fw_major > 1 || c->fw_minor >= 58 ? 0x7F : 0x3F;
	uint8_t root[SHA256_DIGEST_LENGTH], msg[256];
	unsigned int mdlen = 0;
	size_t n;

	memset(key, 0, 32);
	if (root_sel > 1 || rsvd || (gfs & ~gfs_valid) || vmpl > CVM_SNP_VMPL_MAX ||
	    svn > c->guest_svn)
		return SNP_FW_STATUS_INVALID_PARAM;
	for (int i = 0; i < 8; i++) {
		if (tcb[i] > c->committed_tcb[i])	/* no key for a future TCB */
			return SNP_FW_STATUS_INVALID_PARAM;
	}

	/* simulated root secret: per chip (VCEK) or per chip and guest (VMRK) */
	n = (size_t)snprintf((char *)msg, sizeof(msg), "cvmattest-sim %s root",
			     root_sel ? "VMRK" : "VCEK");
	memcpy(msg + n, c->chip_id, SNP_CHIP_ID_LEN);
	n += SNP_CHIP_ID_LEN;
	if (root_sel) {
		memcpy(msg + n, c->report_id, sizeof(c->report_id));
		n += sizeof(c->report_id);
	}
	if (EVP_Digest(msg, n, root, NULL, EVP_sha256(), NULL) != 1)
		return SNP_FW_STATUS_INVALID_PARAM;

	memcpy(msg, "cvmattest-sim MSG_KEY_REQ v1", 28);
	n = 28;
	put_le32(msg + n, root_sel);
	put_le32(msg + n + 4, vmpl);
	put_le64(msg + n + 8, gfs);
	n += 16;
	if (gfs & (1 << 0)) {
		put_le64(msg + n, c->policy);
		n += 8;
	}
	if (gfs & (1 << 1)) {
		memcpy(msg + n, c->image_id, 16);
		n += 16;
	}
	if (gfs & (1 << 2)) {
		memcpy(msg + n, c->family_id, 16);
		n += 16;
	}
	if (gfs & (1 << 3)) {
		memcpy(msg + n, c->measurement, 48);
		n += 48;
	}
	if (gfs & (1 << 4)) {
		put_le32(msg + n, svn);
		n += 4;
	}
	if (gfs & (1 << 5)) {
		memcpy(msg + n, tcb, 8);
		n += 8;
	}
	if (gfs & (1 << 6)) {
		put_le64(msg + n, c->launch_mit_vector);
		n += 8;
	}
	HMAC(EVP_sha256(), root, sizeof(root), msg, n, key, &mdlen);
	OPENSSL_cleanse(root, sizeof(root));
	return SNP_FW_STATUS_SUCCESS;
}
