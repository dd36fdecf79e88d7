// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Offline verification of a TDX quote (v4/v5), the steps of Intel's QVL
 * that need no collateral (QuoteVerifier.cpp; Intel TDX DCAP Quoting
 * Library API, "Quote Format"):
 *   - the PCK chain in the certification data ends at the trusted Intel
 *     SGX Root CA (ECDSA P-256 throughout, standard X.509 path validation);
 *   - the QE report is signed by the PCK key;
 *   - the QE report's REPORT_DATA is SHA-256(attestation key || QE auth
 *     data) followed by 32 zero bytes, tying the attestation key to the QE;
 *   - the attestation key signs header || body.
 * With Intel's collateral (tdx_collateral.c), TCB Info, QE Identity and
 * the CRLs are checked too and give the TCB status; without it that is
 * listed as not checked, and a minimum TEE_TCB_SVN can be required by policy.
 *
 * A bare TDREPORT is MAC'd with a key only the CPU has: it can be parsed and
 * its internal hashes checked, never verified off the platform.
 */
#include <errno.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/x509_vfy.h>

#include "verify/verify.h"


static const uint8_t intel_qe_vendor_id[16] = TDX_QE_VENDOR_ID_INTEL;

/* SGX ATTRIBUTES.DEBUG (Intel SDM Vol. 3D, "SECS": ATTRIBUTES bit 1). */
#define SGX_ATTR_DEBUG 0x02

static int tdx_chain(struct cvm_ctx *ctx, struct cvm_result *r, const struct cvm_tdx_quote *q,
		     const struct cvm_cert **ret_leaf, struct cvm_cert_list *chain, X509 **ret_pca)
{
	_cleanup_(X509_STORE_freep) X509_STORE *store = NULL;
	_cleanup_(X509_STORE_CTX_freep) X509_STORE_CTX *sctx = NULL;
	_cleanup_sk_x509_ STACK_OF(X509) *untrusted = NULL;
	const struct cvm_cert *leaf, *root = NULL;
	size_t pem_len = q->pck_chain_len;
	X509 *anchor;
	int k;

	/* The PEM text may end with one NUL (the v5 sample does). */
	if (pem_len && q->pck_chain[pem_len - 1] == 0)
		pem_len--;
	k = cert_list_add_buffer(chain, q->pck_chain, pem_len);
	if (k < 0 || chain->n == 0) {
		result_error(r, CVM_STATUS_MALFORMED, "the PCK certificate chain in the quote does not parse");
		return -EBADMSG;
	}
	leaf = chain->v[0];
	*ret_leaf = leaf;

	store = X509_STORE_new();
	sctx = X509_STORE_CTX_new();
	untrusted = sk_X509_new_null();
	if (!store || !sctx || !untrusted)
		return -ENOMEM;
	for (size_t i = 0; i < ctx->intel_roots.n; i++)
		if (X509_STORE_add_cert(store, ctx->intel_roots.v[i]->x509) != 1)
			return -ENOMEM;
	for (size_t i = 1; i < chain->n; i++) {
		if (cert_is_self_issued(chain->v[i])) {
			root = chain->v[i];
			continue;	/* never trusted because it came along */
		}
		if (!X509_up_ref(chain->v[i]->x509))
			return -ENOMEM;
		if (!sk_X509_push(untrusted, chain->v[i]->x509)) {
			X509_free(chain->v[i]->x509);
			return -ENOMEM;
		}
	}
	if (X509_STORE_CTX_init(sctx, store, leaf->x509, untrusted) != 1)
		return -ENOMEM;
	X509_VERIFY_PARAM_set_time(X509_STORE_CTX_get0_param(sctx), ctx_verify_time(ctx));
	X509_STORE_CTX_set_flags(sctx, X509_V_FLAG_CHECK_SS_SIGNATURE);
	if (X509_verify_cert(sctx) != 1) {
		int err = X509_STORE_CTX_get_error(sctx);

		ERR_clear_error();
		result_error(r, CVM_STATUS_INVALID, "PCK certificate chain: %s (at depth %d)%s",
			     X509_verify_cert_error_string(err), X509_STORE_CTX_get_error_depth(sctx),
			     ctx->intel_root_builtin ? "" : " [trusting the root given]");
		return -EKEYREJECTED;
	}
	anchor = sk_X509_value(X509_STORE_CTX_get0_chain(sctx),
			       sk_X509_num(X509_STORE_CTX_get0_chain(sctx)) - 1);
	{
		char cn[96] = "";

		X509_NAME_get_text_by_NID(X509_get_subject_name(anchor), NID_commonName, cn, sizeof(cn));
		snprintf(r->tdx_root, sizeof(r->tdx_root), "%s", cn);
	}
	r->tdx_root_builtin = ctx->intel_root_builtin;
	/* The CA that issued the PCK certificate: its CRL is the PCK CRL. */
	if (sk_X509_num(X509_STORE_CTX_get0_chain(sctx)) >= 3) {
		X509 *pca = sk_X509_value(X509_STORE_CTX_get0_chain(sctx), 1);

		if (!X509_up_ref(pca))
			return -ENOMEM;
		*ret_pca = pca;
	}
	/* A root shipped in the quote must be the one trusted (go-tdx-guest pins it too). */
	if (root && X509_cmp(root->x509, anchor) != 0) {
		result_error(r, CVM_STATUS_INVALID, "the quote carries a root \"%s\" that is not the trusted one",
			     root->cn);
		return -EKEYREJECTED;
	}
	if (!strstr(leaf->cn, "SGX PCK Certificate")) {
		result_error(r, CVM_STATUS_INVALID, "leaf certificate \"%s\" is not a PCK certificate",
			     leaf->cn);
		return -EKEYREJECTED;
	}
	if (!pkey_is_ec_curve(X509_get0_pubkey(leaf->x509), "prime256v1")) {
		result_error(r, CVM_STATUS_INVALID, "PCK key is not ECDSA P-256");
		return -EKEYREJECTED;
	}
	return 0;
}

int verify_tdx_quote(struct cvm_ctx *ctx, struct cvm_result *r, const uint8_t *buf, size_t len)
{
	_cleanup_(EVP_PKEY_freep) EVP_PKEY *att_key = NULL;
	_cleanup_(X509_freep) X509 *pca = NULL;
	struct cvm_cert_list chain = { 0 };
	struct cvm_tdx_quote *q = &r->quote;
	const struct cvm_cert *leaf = NULL;
	uint8_t digest[32];
	bool chain_ok;
	EVP_MD_CTX *md;
	int k;

	if (len >= 2)
		r->version = get_le16(buf + TDX_Q_VERSION);
	if (cvm_tdx_quote_parse(buf, len, q) < 0) {
		if (len >= TDX_QUOTE_HEADER_LEN && get_le32(buf + TDX_Q_TEE_TYPE) != TDX_QUOTE_TEE_TDX)
			result_error(r, CVM_STATUS_MALFORMED, "not a TDX quote (TEE type 0x%x)",
				     get_le32(buf + TDX_Q_TEE_TYPE));
		else if (len >= TDX_QUOTE_HEADER_LEN &&
			 get_le16(buf + TDX_Q_ATT_KEY_TYPE) != TDX_QUOTE_ATT_KEY_ECDSA_P256)
			result_error(r, CVM_STATUS_MALFORMED, "unsupported attestation key type %u",
				     get_le16(buf + TDX_Q_ATT_KEY_TYPE));
		else
			result_error(r, CVM_STATUS_MALFORMED, "TDX quote malformed or truncated (%zu bytes)",
				     len);
		return 0;
	}
	r->has_quote = true;
	r->version = q->version;

	if (memcmp(q->qe_vendor_id, intel_qe_vendor_id, 16) != 0)
		result_error(r, CVM_STATUS_INVALID, "the quote is not from Intel's quoting enclave (QE vendor ID)");

	k = tdx_chain(ctx, r, q, &leaf, &chain, &pca);
	if (k == -ENOMEM)
		goto fail;
	chain_ok = k == 0;
	if (leaf && sgx_pck_ext_from_cert(leaf->x509, &r->pck) < 0)
		log_warning(ctx, "PCK certificate has no readable SGX extension (FMSPC)");

	/* QE report, signed by the PCK key. */
	if (leaf && pkey_is_ec_curve(X509_get0_pubkey(leaf->x509), "prime256v1")) {
		k = ecdsa_verify_raw(X509_get0_pubkey(leaf->x509), EVP_sha256(), q->qe_report_raw,
				     TDX_QE_REPORT_LEN, q->qe_report_sig, q->qe_report_sig + 32, 32, false);
		r->signature_checked = chain_ok;
		if (k < 0)
			result_error(r, CVM_STATUS_INVALID, "QE report signature does not verify with the PCK key");
	}

	/* QE report binds the attestation key and the QE auth data. */
	md = EVP_MD_CTX_new();
	if (!md) {
		k = -ENOMEM;
		goto fail;
	}
	k = EVP_DigestInit_ex(md, EVP_sha256(), NULL) == 1 &&
	    EVP_DigestUpdate(md, q->att_key, 64) == 1 &&
	    EVP_DigestUpdate(md, q->qe_auth_data, q->qe_auth_len) == 1 &&
	    EVP_DigestFinal_ex(md, digest, NULL) == 1;
	EVP_MD_CTX_free(md);
	if (!k) {
		k = -EIO;
		goto fail;
	}
	if (memcmp(digest, q->qe_report.report_data, 32) != 0 ||
	    !all_zero(q->qe_report.report_data + 32, 32))
		result_error(r, CVM_STATUS_INVALID,
			     "QE report does not bind the attestation key (REPORT_DATA != SHA-256(key || auth data))");
	if (q->qe_report.attributes[0] & SGX_ATTR_DEBUG)
		result_error(r, CVM_STATUS_INVALID, "the quoting enclave runs in debug mode");

	/* The quote itself, signed by the attestation key. */
	if (pkey_from_p256_xy(q->att_key, &att_key) < 0) {
		result_error(r, CVM_STATUS_INVALID, "attestation key is not a P-256 point");
	} else if (ecdsa_verify_raw(att_key, EVP_sha256(), q->signed_data, q->signed_len, q->signature,
				    q->signature + 32, 32, false) < 0) {
		result_error(r, CVM_STATUS_INVALID, "quote signature does not verify with the attestation key");
	}

	/* Intel's collateral, for a quote that verified up to the root. */
	if (chain_ok && r->status == CVM_STATUS_OK && leaf) {
		k = verify_tdx_collateral(ctx, r, leaf->x509, pca);
		if (k < 0)
			goto fail;
	}
	cert_list_clear(&chain);
	return 0;
fail:
	cert_list_clear(&chain);
	return k;
}

int verify_tdx_tdreport_fields(struct cvm_result *r, const uint8_t *buf, size_t len)
{
	struct cvm_tdx_tdreport *t = &r->tdreport;
	uint8_t h[64];
	unsigned hl;
	int k;

	if (cvm_tdx_tdreport_parse(buf, len, t) < 0) {
		result_error(r, CVM_STATUS_MALFORMED, "TDREPORT malformed or truncated (%zu bytes)", len);
		return 0;
	}
	r->has_tdreport = true;
	if (r->format == CVM_FORMAT_TDX_TDREPORT)
		r->version = t->report_version;

	/* The MAC covers these two hashes, so they must describe the fields shown. */
	r->tdreport_hashes_ok = true;
	k = sha_digest("SHA384", buf + TDX_R_TEE_TCB_INFO, TDX_R_TEE_TCB_INFO_LEN, h, &hl);
	if (k < 0)
		return k;
	if (memcmp(h, t->tee_tcb_info_hash, 48) != 0) {
		result_error(r, CVM_STATUS_INVALID, "TEE_TCB_INFO_HASH does not match TEE_TCB_INFO");
		r->tdreport_hashes_ok = false;
	}
	k = sha_digest("SHA384", buf + TDX_R_TDINFO, TDX_R_TDINFO_LEN, h, &hl);
	if (k < 0)
		return k;
	if (memcmp(h, t->tee_info_hash, 48) != 0) {
		result_error(r, CVM_STATUS_INVALID, "TEE_INFO_HASH does not match TDINFO");
		r->tdreport_hashes_ok = false;
	}
	return 0;
}

int verify_tdx_tdreport(struct cvm_ctx *ctx, struct cvm_result *r, const uint8_t *buf, size_t len)
{
	int k;

	(void)ctx;
	k = verify_tdx_tdreport_fields(r, buf, len);
	if (k < 0 || !r->has_tdreport)
		return k;
	result_error(r, CVM_STATUS_UNVERIFIABLE,
		     "a TDREPORT is MAC'd with a key only the CPU holds and cannot be verified off the platform; verify a quote instead");
	return 0;
}
