// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * libsim: Intel TDX evidence — TDREPORT and the QGS/QE stand-in that turns
 * it into a quote v4.  Layouts: include/cvmattest/evidence.h;
 * evidence-formats.md §3.1-§3.5; shape checked against
 * shared/testdata/tdx/gtg-v4-quote-spr-e4.bin.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include "sim_internal.h"

/*
 * The simulated "CPU key" that MACs TDREPORTs.  On hardware the MAC is
 * computed with a key that never leaves the CPU, so a real MAC cannot be
 * reproduced; this fixed test key stands in for it so the QGS stand-in
 * can refuse a tampered TDREPORT exactly where the real QE would.
 */
const uint8_t sim_tdx_cpu_key[32] = {
	'c', 'v', 'm', 'a', 't', 't', 'e', 's', 't', '-', 's', 'i', 'm', ' ', 'T', 'D',
	'X', ' ', 'C', 'P', 'U', ' ', 'k', 'e', 'y', ' ', '(', 't', 'e', 's', 't', ')',
};

/* MAC coverage: REPORTMACSTRUCT up to the MAC field. */
#define TDX_MAC_COVERAGE	TDX_R_MAC

static void fill(const char *label, uint8_t *out, size_t len)
{
	uint8_t md[SHA512_DIGEST_LENGTH];

	SHA512((const unsigned char *)label, strlen(label), md);
	memcpy(out, md, len < sizeof(md) ? len : sizeof(md));
}

void sim_tdx_config_default(struct sim_tdx_config *c)
{
	/* TEE_TCB_SVN and XFAM as in the SPR quote; CPUSVN as in its PCK leaf. */
	static const uint8_t tee_tcb_svn[16] = { 0x03, 0x00, 0x04 };
	static const uint8_t cpusvn[16] = { 3, 3, 2, 2, 2, 1, 0, 2 };
	char label[64];

	memset(c, 0, sizeof(*c));
	c->report_version = 0;
	memcpy(c->cpusvn, cpusvn, sizeof(cpusvn));
	/* VALID bitmap of the real (Azure) TDREPORT: fields 0-8, 16, 17 */
	c->tee_tcb_valid = 0x301FF;
	memcpy(c->tee_tcb_svn, tee_tcb_svn, sizeof(tee_tcb_svn));
	memcpy(c->tee_tcb_svn2, tee_tcb_svn, sizeof(tee_tcb_svn));
	fill("cvmattest-sim MRSEAM", c->mrseam, TDX_MR_LEN);
	/* MRSIGNERSEAM is zero for Intel's TDX module; SEAMATTRIBUTES zero */
	c->td_attributes = TDX_TD_ATTR_SEPT_VE_DISABLE;
	c->xfam = 0x61ae7;
	fill("cvmattest-sim MRTD", c->mrtd, TDX_MR_LEN);
	fill("cvmattest-sim MRCONFIGID", c->mrconfigid, TDX_MR_LEN);
	fill("cvmattest-sim MROWNER", c->mrowner, TDX_MR_LEN);
	fill("cvmattest-sim MROWNERCONFIG", c->mrownerconfig, TDX_MR_LEN);
	for (int i = 0; i < 4; i++) {
		snprintf(label, sizeof(label), "cvmattest-sim RTMR%d", i);
		fill(label, c->rtmr[i], TDX_MR_LEN);
	}
}

static int sha384(const uint8_t *data, size_t len, uint8_t out[48])
{
	return EVP_Digest(data, len, out, NULL, EVP_sha384(), NULL) == 1 ? 0 : -EIO;
}

static int report_mac(const uint8_t *r, uint8_t mac[32])
{
	unsigned int len = 0;

	if (!HMAC(EVP_sha256(), sim_tdx_cpu_key, sizeof(sim_tdx_cpu_key),
		  r, TDX_MAC_COVERAGE, mac, &len) || len != 32)
		return -EIO;
	return 0;
}

int sim_tdx_build_report(const struct sim_tdx_config *c,
			 const uint8_t report_data[TDX_REPORT_DATA_LEN],
			 uint8_t r[TDX_REPORT_SIZE])
{
	int ret;

	memset(r, 0, TDX_REPORT_SIZE);
	/* REPORTMACSTRUCT.REPORTTYPE: TYPE 0x81 (TDX), SUBTYPE 0, VERSION */
	r[TDX_R_REPORTTYPE] = TDX_REPORTTYPE_TDX;
	r[TDX_R_REPORTTYPE + 2] = c->report_version;
	memcpy(r + TDX_R_CPUSVN, c->cpusvn, 16);
	memcpy(r + TDX_R_REPORT_DATA, report_data, TDX_REPORT_DATA_LEN);

	/* TEE_TCB_INFO */
	put_le64(r + TDX_R_TEE_TCB_VALID, c->tee_tcb_valid);
	memcpy(r + TDX_R_TEE_TCB_SVN, c->tee_tcb_svn, 16);
	memcpy(r + TDX_R_MRSEAM, c->mrseam, TDX_MR_LEN);
	memcpy(r + TDX_R_MRSIGNERSEAM, c->mrsignerseam, TDX_MR_LEN);
	put_le64(r + TDX_R_SEAM_ATTRIBUTES, c->seam_attributes);
	if (c->tee_tcb_valid & (1ULL << 16))	/* field 16 = TEE_TCB_SVN2 (TDX 1.5) */
		memcpy(r + TDX_R_TEE_TCB_SVN2, c->tee_tcb_svn2, 16);

	/* TDINFO */
	put_le64(r + TDX_R_TD_ATTRIBUTES, c->td_attributes);
	put_le64(r + TDX_R_XFAM, c->xfam);
	memcpy(r + TDX_R_MRTD, c->mrtd, TDX_MR_LEN);
	memcpy(r + TDX_R_MRCONFIGID, c->mrconfigid, TDX_MR_LEN);
	memcpy(r + TDX_R_MROWNER, c->mrowner, TDX_MR_LEN);
	memcpy(r + TDX_R_MROWNERCONFIG, c->mrownerconfig, TDX_MR_LEN);
	for (int i = 0; i < 4; i++)
		memcpy(r + TDX_R_RTMR0 + i * TDX_MR_LEN, c->rtmr[i], TDX_MR_LEN);
	memcpy(r + TDX_R_SERVTD_HASH, c->servtd_hash, TDX_MR_LEN);

	ret = sha384(r + TDX_R_TEE_TCB_INFO, TDX_R_TEE_TCB_INFO_LEN, r + TDX_R_TEE_TCB_INFO_HASH);
	if (!ret)
		ret = sha384(r + TDX_R_TDINFO, TDX_R_TDINFO_LEN, r + TDX_R_TEE_INFO_HASH);
	if (!ret)
		ret = report_mac(r, r + TDX_R_MAC);
	return ret;
}

int sim_tdx_check_report(const uint8_t r[TDX_REPORT_SIZE])
{
	uint8_t h[48], mac[32];

	if (r[TDX_R_REPORTTYPE] != TDX_REPORTTYPE_TDX)
		return -EBADMSG;
	if (report_mac(r, mac) || CRYPTO_memcmp(mac, r + TDX_R_MAC, 32))
		return -EBADMSG;
	if (sha384(r + TDX_R_TEE_TCB_INFO, TDX_R_TEE_TCB_INFO_LEN, h) ||
	    CRYPTO_memcmp(h, r + TDX_R_TEE_TCB_INFO_HASH, 48))
		return -EBADMSG;
	if (sha384(r + TDX_R_TDINFO, TDX_R_TDINFO_LEN, h) ||
	    CRYPTO_memcmp(h, r + TDX_R_TEE_INFO_HASH, 48))
		return -EBADMSG;
	return 0;
}

/* Intel TD-QE identity values as seen in real quotes (evidence-formats.md §3.3). */
static const uint8_t qe_mrsigner[32] = {
	0xdc, 0x9e, 0x2a, 0x7c, 0x6f, 0x94, 0x8f, 0x17, 0x47, 0x4e, 0x34, 0xa7, 0xfc, 0x43, 0xed, 0x03,
	0x0f, 0x7c, 0x15, 0x63, 0xf1, 0xba, 0xbd, 0xdf, 0x63, 0x40, 0xc8, 0x2e, 0x0e, 0x54, 0xa8, 0xc5,
};
#define QE_ISVPRODID	2
#define QE_ISVSVN	4
#define QE_AUTH_LEN	32

/* The QE's SGX REPORT body: REPORTDATA = SHA-256(att key || auth data) || 0^32. */
static int build_qe_report(const uint8_t att_xy[64],
			   const uint8_t *auth, size_t auth_len, uint8_t q[TDX_QE_REPORT_LEN])
{
	struct sim_pck_info pi;
	uint8_t *buf;

	sim_pck_info_default(&pi);
	memset(q, 0, TDX_QE_REPORT_LEN);
	memcpy(q + SGX_RB_CPUSVN, pi.cpusvn, 16);
	/* ATTRIBUTES of the Intel TD-QE: flags 0x15 (INIT|MODE64BIT|PROVISIONKEY), XFRM 0xe7 */
	q[SGX_RB_ATTRIBUTES] = 0x15;
	q[SGX_RB_ATTRIBUTES + 8] = 0xe7;
	fill("cvmattest-sim TD-QE MRENCLAVE", q + SGX_RB_MRENCLAVE, 32);
	memcpy(q + SGX_RB_MRSIGNER, qe_mrsigner, 32);
	put_le16(q + SGX_RB_ISVPRODID, QE_ISVPRODID);
	put_le16(q + SGX_RB_ISVSVN, QE_ISVSVN);

	buf = malloc(64 + auth_len);
	if (!buf)
		return -ENOMEM;
	memcpy(buf, att_xy, 64);
	memcpy(buf + 64, auth, auth_len);
	SHA256(buf, 64 + auth_len, q + SGX_RB_REPORT_DATA);
	free(buf);
	return 0;
}

int sim_tdx_quote(const struct sim_keys *k, const uint8_t r[TDX_REPORT_SIZE],
		  uint8_t **quote, size_t *quote_len)
{
	static const uint8_t vendor[16] = TDX_QE_VENDOR_ID_INTEL;
	X509 *chain[3] = {
		sim_keys_intel_pck_cert(k), sim_keys_intel_pca_cert(k), sim_keys_intel_root_cert(k),
	};
	uint8_t att_xy[64], auth[QE_AUTH_LEN], qe[TDX_QE_REPORT_LEN], qe_sig[64];
	char *pem = NULL;
	size_t pem_len = 0, cert6_len, sig_len, total;
	uint8_t *q = NULL, *b, *sd, *cd;
	int ret;

	/* The QE refuses a TDREPORT that does not verify (EVERIFYREPORT2). */
	ret = sim_tdx_check_report(r);
	if (ret) {
		sim_log("libsim: QGS: TDREPORT MAC or hash check failed, no quote");
		return ret;
	}

	for (int i = 0; i < QE_AUTH_LEN; i++)	/* as Intel's QE: 00 01 .. 1f */
		auth[i] = (uint8_t)i;
	ret = sim_ec_pub_xy(sim_keys_qe_attest_key(k), att_xy, 32);
	if (!ret)
		ret = build_qe_report(att_xy, auth, sizeof(auth), qe);
	if (!ret)
		ret = sim_sign_rs(sim_keys_intel_pck_key(k), EVP_sha256(), qe, sizeof(qe), qe_sig, 32);
	if (!ret)
		ret = sim_cert_pem(chain, 3, &pem, &pem_len);
	if (ret)
		goto out;

	/* QE report cert data: report, sig, auth size+data, nested type 5 + size + PEM */
	cert6_len = TDX_QE_REPORT_LEN + 64 + 2 + QE_AUTH_LEN + 2 + 4 + pem_len;
	sig_len = TDX_SD_CERT_DATA + cert6_len;
	total = TDX_Q4_SIG_DATA + sig_len;
	q = calloc(1, total);
	if (!q) {
		ret = -ENOMEM;
		goto out;
	}

	/* header (§3.3) */
	put_le16(q + TDX_Q_VERSION, 4);
	put_le16(q + TDX_Q_ATT_KEY_TYPE, TDX_QUOTE_ATT_KEY_ECDSA_P256);
	put_le32(q + TDX_Q_TEE_TYPE, TDX_QUOTE_TEE_TDX);
	memcpy(q + TDX_Q_QE_VENDOR_ID, vendor, 16);
	fill("cvmattest-sim QE ID", q + TDX_Q_USER_DATA, 16);	/* QE ID, then 4 zero bytes */

	/* body: copied from the TDREPORT */
	b = q + TDX_Q4_BODY;
	memcpy(b + TDX_QB_TEE_TCB_SVN, r + TDX_R_TEE_TCB_SVN, 16);
	memcpy(b + TDX_QB_MRSEAM, r + TDX_R_MRSEAM, TDX_MR_LEN);
	memcpy(b + TDX_QB_MRSIGNERSEAM, r + TDX_R_MRSIGNERSEAM, TDX_MR_LEN);
	memcpy(b + TDX_QB_SEAM_ATTRIBUTES, r + TDX_R_SEAM_ATTRIBUTES, 8);
	memcpy(b + TDX_QB_TD_ATTRIBUTES, r + TDX_R_TD_ATTRIBUTES, 8);
	memcpy(b + TDX_QB_XFAM, r + TDX_R_XFAM, 8);
	memcpy(b + TDX_QB_MRTD, r + TDX_R_MRTD, TDX_MR_LEN);
	memcpy(b + TDX_QB_MRCONFIGID, r + TDX_R_MRCONFIGID, TDX_MR_LEN);
	memcpy(b + TDX_QB_MROWNER, r + TDX_R_MROWNER, TDX_MR_LEN);
	memcpy(b + TDX_QB_MROWNERCONFIG, r + TDX_R_MROWNERCONFIG, TDX_MR_LEN);
	memcpy(b + TDX_QB_RTMR0, r + TDX_R_RTMR0, 4 * TDX_MR_LEN);
	memcpy(b + TDX_QB_REPORT_DATA, r + TDX_R_REPORT_DATA, TDX_REPORT_DATA_LEN);

	put_le32(q + TDX_Q4_SIG_DATA_LEN, (uint32_t)sig_len);
	sd = q + TDX_Q4_SIG_DATA;
	/* attestation key signs header || body (632 bytes), r||s big-endian */
	ret = sim_sign_rs(sim_keys_qe_attest_key(k), EVP_sha256(), q,
			  TDX_QUOTE_HEADER_LEN + TDX_QUOTE_BODY_V4_LEN, sd + TDX_SD_QUOTE_SIG, 32);
	if (ret)
		goto out;
	memcpy(sd + TDX_SD_ATT_KEY, att_xy, 64);
	put_le16(sd + TDX_SD_CERT_TYPE, TDX_CERT_TYPE_QE_REPORT);
	put_le32(sd + TDX_SD_CERT_SIZE, (uint32_t)cert6_len);
	cd = sd + TDX_SD_CERT_DATA;
	memcpy(cd + TDX_QE_REPORT, qe, TDX_QE_REPORT_LEN);
	memcpy(cd + TDX_QE_REPORT_SIG, qe_sig, 64);
	put_le16(cd + TDX_QE_AUTH_SIZE, QE_AUTH_LEN);
	memcpy(cd + TDX_QE_AUTH_DATA, auth, QE_AUTH_LEN);
	put_le16(cd + TDX_QE_AUTH_DATA + QE_AUTH_LEN, TDX_CERT_TYPE_PCK_CHAIN);
	put_le32(cd + TDX_QE_AUTH_DATA + QE_AUTH_LEN + 2, (uint32_t)pem_len);
	memcpy(cd + TDX_QE_AUTH_DATA + QE_AUTH_LEN + 6, pem, pem_len);

	*quote = q;
	*quote_len = total;
	q = NULL;
out:
	free(q);
	free(pem);
	return ret;
}
