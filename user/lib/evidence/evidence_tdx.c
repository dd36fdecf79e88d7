// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Intel TDX: TDREPORT_STRUCT (TDX Module ABI, TDG.MR.REPORT) and DCAP quotes
 * v4 and v5 (sgx_quote_4.h, sgx_quote_5.h; checked as Intel's QVL
 * Quote::parse does: exact nested sizes, certification data type 6 holding
 * type 5).  Offsets in include/cvmattest/evidence.h.
 */
#include <errno.h>
#include <string.h>

#include "evidence/evidence.h"


int cvm_tdx_tdreport_parse(const uint8_t *buf, size_t len, struct cvm_tdx_tdreport *ret)
{
	struct cvm_tdx_tdreport t = { 0 };
	const uint8_t *b = buf;

	if (!buf || !ret || len < TDX_REPORT_SIZE)
		return -EBADMSG;
	if (b[TDX_R_REPORTTYPE] != TDX_REPORTTYPE_TDX)
		return -EBADMSG;
	t.raw = buf;
	t.report_type = b[TDX_R_REPORTTYPE];
	t.report_subtype = b[TDX_R_REPORTTYPE + 1];
	t.report_version = b[TDX_R_REPORTTYPE + 2];
	memcpy(t.cpusvn, b + TDX_R_CPUSVN, 16);
	memcpy(t.tee_tcb_info_hash, b + TDX_R_TEE_TCB_INFO_HASH, 48);
	memcpy(t.tee_info_hash, b + TDX_R_TEE_INFO_HASH, 48);
	memcpy(t.report_data, b + TDX_R_REPORT_DATA, 64);
	memcpy(t.mac, b + TDX_R_MAC, 32);
	t.tee_tcb_valid = get_le64(b + TDX_R_TEE_TCB_VALID);
	memcpy(t.tee_tcb_svn, b + TDX_R_TEE_TCB_SVN, 16);
	memcpy(t.mrseam, b + TDX_R_MRSEAM, 48);
	memcpy(t.mrsignerseam, b + TDX_R_MRSIGNERSEAM, 48);
	t.seam_attributes = get_le64(b + TDX_R_SEAM_ATTRIBUTES);
	memcpy(t.tee_tcb_svn2, b + TDX_R_TEE_TCB_SVN2, 16);
	t.td_attributes = get_le64(b + TDX_R_TD_ATTRIBUTES);
	t.xfam = get_le64(b + TDX_R_XFAM);
	memcpy(t.mrtd, b + TDX_R_MRTD, 48);
	memcpy(t.mrconfigid, b + TDX_R_MRCONFIGID, 48);
	memcpy(t.mrowner, b + TDX_R_MROWNER, 48);
	memcpy(t.mrownerconfig, b + TDX_R_MROWNERCONFIG, 48);
	for (int i = 0; i < 4; i++)
		memcpy(t.rtmr[i], b + TDX_R_RTMR0 + 48 * i, 48);
	memcpy(t.servtd_hash, b + TDX_R_SERVTD_HASH, 48);
	*ret = t;
	return 0;
}

static void parse_body(const uint8_t *b, size_t size, struct cvm_tdx_quote_body *q)
{
	memcpy(q->tee_tcb_svn, b + TDX_QB_TEE_TCB_SVN, 16);
	memcpy(q->mrseam, b + TDX_QB_MRSEAM, 48);
	memcpy(q->mrsignerseam, b + TDX_QB_MRSIGNERSEAM, 48);
	q->seam_attributes = get_le64(b + TDX_QB_SEAM_ATTRIBUTES);
	q->td_attributes = get_le64(b + TDX_QB_TD_ATTRIBUTES);
	q->xfam = get_le64(b + TDX_QB_XFAM);
	memcpy(q->mrtd, b + TDX_QB_MRTD, 48);
	memcpy(q->mrconfigid, b + TDX_QB_MRCONFIGID, 48);
	memcpy(q->mrowner, b + TDX_QB_MROWNER, 48);
	memcpy(q->mrownerconfig, b + TDX_QB_MROWNERCONFIG, 48);
	for (int i = 0; i < 4; i++)
		memcpy(q->rtmr[i], b + TDX_QB_RTMR0 + 48 * i, 48);
	memcpy(q->report_data, b + TDX_QB_REPORT_DATA, 64);
	if (size >= TDX_QUOTE_BODY_V15_LEN) {
		q->tdx15 = true;
		memcpy(q->tee_tcb_svn2, b + TDX_QB_TEE_TCB_SVN2, 16);
		memcpy(q->mrservicetd, b + TDX_QB_MRSERVICETD, 48);
	}
}

static void parse_sgx_report(const uint8_t *b, struct cvm_sgx_report_body *r)
{
	memcpy(r->cpusvn, b + SGX_RB_CPUSVN, 16);
	r->miscselect = get_le32(b + SGX_RB_MISCSELECT);
	memcpy(r->attributes, b + SGX_RB_ATTRIBUTES, 16);
	memcpy(r->mrenclave, b + SGX_RB_MRENCLAVE, 32);
	memcpy(r->mrsigner, b + SGX_RB_MRSIGNER, 32);
	r->isvprodid = get_le16(b + SGX_RB_ISVPRODID);
	r->isvsvn = get_le16(b + SGX_RB_ISVSVN);
	memcpy(r->report_data, b + SGX_RB_REPORT_DATA, 64);
}

int cvm_tdx_quote_parse(const uint8_t *buf, size_t len, struct cvm_tdx_quote *ret)
{
	struct cvm_tdx_quote q = { 0 };
	const uint8_t *sd, *cd;
	size_t body_off, sig_len_off, sig_off;

	if (!buf || !ret || len < TDX_QUOTE_HEADER_LEN)
		return -EBADMSG;

	q.version = get_le16(buf + TDX_Q_VERSION);
	q.att_key_type = get_le16(buf + TDX_Q_ATT_KEY_TYPE);
	q.tee_type = get_le32(buf + TDX_Q_TEE_TYPE);
	memcpy(q.header_reserved, buf + TDX_Q_RESERVED, 4);
	memcpy(q.qe_vendor_id, buf + TDX_Q_QE_VENDOR_ID, 16);
	memcpy(q.user_data, buf + TDX_Q_USER_DATA, 20);
	if (q.version != 4 && q.version != 5)
		return -EBADMSG;
	/* Only ECDSA-256-with-P-256 keys exist in DCAP (type 3, P-384, is unimplemented). */
	if (q.att_key_type != TDX_QUOTE_ATT_KEY_ECDSA_P256 || q.tee_type != TDX_QUOTE_TEE_TDX)
		return -EBADMSG;

	if (q.version == 4) {
		q.body_type = TDX_Q5_BODY_TYPE_TDX10;
		q.body_size = TDX_QUOTE_BODY_V4_LEN;
		body_off = TDX_Q4_BODY;
	} else {
		if (len < TDX_Q5_BODY)
			return -EBADMSG;
		q.body_type = get_le16(buf + TDX_Q5_BODY_TYPE);
		q.body_size = get_le32(buf + TDX_Q5_BODY_SIZE);
		if (!(q.body_type == TDX_Q5_BODY_TYPE_TDX10 && q.body_size == TDX_QUOTE_BODY_V4_LEN) &&
		    !(q.body_type == TDX_Q5_BODY_TYPE_TDX15 && q.body_size == TDX_QUOTE_BODY_V15_LEN))
			return -EBADMSG;
		body_off = TDX_Q5_BODY;
	}
	sig_len_off = body_off + q.body_size;
	if (len < sig_len_off + 4)
		return -EBADMSG;
	parse_body(buf + body_off, q.body_size, &q.body);
	q.signed_data = buf;
	q.signed_len = sig_len_off;

	q.sig_data_len = get_le32(buf + sig_len_off);
	sig_off = sig_len_off + 4;
	if (q.sig_data_len > len - sig_off || q.sig_data_len < TDX_SD_CERT_DATA)
		return -EBADMSG;
	sd = buf + sig_off;
	memcpy(q.signature, sd + TDX_SD_QUOTE_SIG, 64);
	memcpy(q.att_key, sd + TDX_SD_ATT_KEY, 64);
	q.cert_type = get_le16(sd + TDX_SD_CERT_TYPE);
	q.cert_size = get_le32(sd + TDX_SD_CERT_SIZE);
	if (q.cert_type != TDX_CERT_TYPE_QE_REPORT ||
	    q.cert_size != q.sig_data_len - TDX_SD_CERT_DATA)
		return -EBADMSG;

	cd = sd + TDX_SD_CERT_DATA;
	if (q.cert_size < TDX_QE_AUTH_DATA)
		return -EBADMSG;
	q.qe_report_raw = cd + TDX_QE_REPORT;
	parse_sgx_report(q.qe_report_raw, &q.qe_report);
	memcpy(q.qe_report_sig, cd + TDX_QE_REPORT_SIG, 64);
	q.qe_auth_len = get_le16(cd + TDX_QE_AUTH_SIZE);
	if ((size_t)TDX_QE_AUTH_DATA + q.qe_auth_len + 6 > q.cert_size)
		return -EBADMSG;
	q.qe_auth_data = cd + TDX_QE_AUTH_DATA;
	q.pck_cert_type = get_le16(cd + TDX_QE_AUTH_DATA + q.qe_auth_len);
	q.pck_chain_len = get_le32(cd + TDX_QE_AUTH_DATA + q.qe_auth_len + 2);
	if (q.pck_cert_type != TDX_CERT_TYPE_PCK_CHAIN ||
	    q.pck_chain_len != q.cert_size - (TDX_QE_AUTH_DATA + q.qe_auth_len + 6u))
		return -EBADMSG;
	q.pck_chain = cd + TDX_QE_AUTH_DATA + q.qe_auth_len + 6;

	q.quote_len = sig_off + q.sig_data_len;
	q.trailing_len = len - q.quote_len;
	*ret = q;
	return 0;
}
