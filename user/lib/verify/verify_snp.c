// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Offline verification of an SEV-SNP ATTESTATION_REPORT:
 *   1. the endorsement key certificate (VCEK, or VLEK) for this chip and
 *      REPORTED_TCB: from the offered certificates, the certificate table
 *      that may follow the report, or the cache directory;
 *   2. VCEK <- ASK <- ARK, all RSASSA-PSS/SHA-384, ARK pinned (AMD 57230);
 *   3. ECDSA P-384/SHA-384 over bytes 0x000-0x29F with R and S stored
 *      little-endian (AMD 56860 "Signature format");
 *   4. the VCEK's SPL extensions equal REPORTED_TCB, its hwID equals
 *      CHIP_ID (8 bytes on Turin);
 *   5. when a CRL is given or cached: AMD's CRL, signed by the same ARK,
 *      current, does not list the ASK/ASVK or the VCEK/VLEK.
 * Reserved fields are judged only after the signature: a flipped bit is a
 * bad signature, whereas genuine firmware output with reserved bits set is
 * something this version does not understand.
 */
#include <errno.h>
#include <string.h>

#include <openssl/x509v3.h>

#include "verify/verify.h"


static enum cvm_snp_product product_from_name(const char *name)
{
	if (strcmp(name, "Milan") == 0)
		return CVM_SNP_PRODUCT_MILAN;
	if (strcmp(name, "Genoa") == 0)
		return CVM_SNP_PRODUCT_GENOA;
	if (strcmp(name, "Turin") == 0)
		return CVM_SNP_PRODUCT_TURIN;
	return CVM_SNP_PRODUCT_UNKNOWN;
}

static time_t asn1_time_to_time_t(const ASN1_TIME *t)
{
	struct tm tm;

	if (ASN1_TIME_to_tm(t, &tm) != 1)
		return 0;
	return timegm(&tm);
}

static const struct vcek_cache_entry *vcek_cache_find(const struct cvm_ctx *ctx,
						      const struct cvm_cert *ek)
{
	for (size_t i = 0; i < ctx->vcek_cache_n; i++)
		if (memcmp(ctx->vcek_cache[i].vcek_sha256, ek->sha256, 32) == 0)
			return &ctx->vcek_cache[i];
	return NULL;
}

static void vcek_cache_add(struct cvm_ctx *ctx, const struct vcek_cache_entry *e)
{
	ctx->vcek_cache[ctx->vcek_cache_next] = *e;
	ctx->vcek_cache_next = (ctx->vcek_cache_next + 1) % CVM_VCEK_CACHE_MAX;
	if (ctx->vcek_cache_n < CVM_VCEK_CACHE_MAX)
		ctx->vcek_cache_n++;
}

static int check_time(struct cvm_result *r, const struct cvm_cert *c, time_t now)
{
	int k = cert_check_time(c, now);

	if (k == -EKEYEXPIRED)
		result_error(r, CVM_STATUS_INVALID, "certificate %s has expired", c->cn);
	else if (k < 0)
		result_error(r, CVM_STATUS_INVALID, "certificate %s is not valid yet", c->cn);
	return k;
}

/* What the CRL check needs of a chain: its root, and the intermediate's name and serial. */
struct snp_issuers {
	const struct cvm_cert *ark;
	char ask_cn[128];
	uint8_t ask_serial[40];		/* DER INTEGER */
	size_t ask_serial_len;
};

static const struct cvm_cert *find_root(const struct cvm_ctx *ctx, const char *cn)
{
	for (size_t i = 0; i < ctx->amd_roots.n; i++)
		if (cert_is_self_issued(ctx->amd_roots.v[i]) && strcmp(ctx->amd_roots.v[i]->cn, cn) == 0)
			return ctx->amd_roots.v[i];
	return NULL;
}

/*
 * Chain @ek to a trusted ARK.  The intermediate comes from the trusted set
 * (built-in ASKs) or from the offered certificates, and is checked either way.
 */
static int snp_chain(struct cvm_ctx *ctx, struct cvm_result *r, const struct cvm_cert *ek,
		     bool vlek, const struct cvm_cert_list *const *pools, size_t n_pools,
		     enum cvm_snp_product *ret_product, struct snp_issuers *out)
{
	const char *prefix = vlek ? "SEV-VLEK-" : "SEV-";
	const struct cvm_cert *ark = NULL, *ask = NULL;
	const struct vcek_cache_entry *cached;
	struct vcek_cache_entry entry = { 0 };
	enum cvm_snp_product product;
	char ark_cn[64], why[160];
	time_t now = ctx_verify_time(ctx);
	bool ok = true;

	if (strncmp(ek->issuer_cn, prefix, strlen(prefix)) != 0 ||
	    (!vlek && strncmp(ek->issuer_cn, "SEV-VLEK-", 9) == 0)) {
		result_error(r, CVM_STATUS_INVALID, "%s certificate issued by \"%s\", not by an AMD %s",
			     ek->cn, ek->issuer_cn, vlek ? "ASVK" : "ASK");
		return -EKEYREJECTED;
	}
	product = product_from_name(ek->issuer_cn + strlen(prefix));
	if (product == CVM_SNP_PRODUCT_UNKNOWN) {
		result_error(r, CVM_STATUS_INVALID, "unknown AMD product line in issuer \"%s\"",
			     ek->issuer_cn);
		return -EKEYREJECTED;
	}
	*ret_product = product;
	/* Every link of AMD's chain is RSASSA-PSS (AMD 57230); nothing else is accepted. */
	if (X509_get_signature_nid(ek->x509) != NID_rsassaPss) {
		result_error(r, CVM_STATUS_INVALID, "%s certificate is not signed with RSASSA-PSS", ek->cn);
		return -EKEYREJECTED;
	}
	if (!pkey_is_ec_curve(X509_get0_pubkey(ek->x509), "secp384r1")) {
		result_error(r, CVM_STATUS_INVALID, "%s key is not ECDSA P-384", ek->cn);
		return -EKEYREJECTED;
	}

	cached = vcek_cache_find(ctx, ek);
	if (cached && cached->product == product) {
		/* Outside the window, the full check runs again to say what expired. */
		if (now >= cached->valid_from && now < cached->valid_until &&
		    (out->ark = find_root(ctx, cached->root_cn))) {
			snprintf(r->snp_chain, sizeof(r->snp_chain), "%s <- %s <- %s", ek->cn, ek->issuer_cn,
				 cached->root_cn);
			r->snp_root_builtin = ctx->amd_roots_builtin;
			snprintf(out->ask_cn, sizeof(out->ask_cn), "%s", cached->ask_cn);
			memcpy(out->ask_serial, cached->ask_serial, cached->ask_serial_len);
			out->ask_serial_len = cached->ask_serial_len;
			return 0;
		}
	}

	snprintf(ark_cn, sizeof(ark_cn), "ARK-%s", cvm_snp_product_name(product));
	for (size_t i = 0; i < ctx->amd_roots.n && !ark; i++) {
		const struct cvm_cert *c = ctx->amd_roots.v[i];

		if (cert_is_self_issued(c) && strcmp(c->cn, ark_cn) == 0)
			ark = c;
	}
	if (!ark) {
		result_error(r, CVM_STATUS_INVALID, "no trusted root %s%s", ark_cn,
			     ctx->amd_roots_builtin ? "" : " among the roots given");
		return -EKEYREJECTED;
	}
	if (X509_get_signature_nid(ark->x509) != NID_rsassaPss) {
		result_error(r, CVM_STATUS_INVALID, "root %s is not signed with RSASSA-PSS", ark->cn);
		return -EKEYREJECTED;
	}
	if (cert_verify_signature(ark, X509_get0_pubkey(ark->x509), why, sizeof(why)) < 0) {
		result_error(r, CVM_STATUS_INVALID, "root %s: self-signature: %s", ark->cn, why);
		return -EKEYREJECTED;
	}
	if (X509_check_ca(ark->x509) < 1) {
		result_error(r, CVM_STATUS_INVALID, "root %s is not a CA certificate", ark->cn);
		return -EKEYREJECTED;
	}

	/*
	 * The intermediate: from the trusted set or from what was offered, the
	 * first one that ARK signed and that signed @ek.
	 */
	bool offered_rejected = false, ask_seen = false;

	for (size_t p = 0; p < n_pools && !ask; p++)
		for (size_t i = 0; i < pools[p]->n && !ask; i++) {
			const struct cvm_cert *c = pools[p]->v[i];

			if (strcmp(c->cn, ek->issuer_cn) != 0 || X509_get_signature_nid(c->x509) != NID_rsassaPss ||
			    X509_NAME_cmp(X509_get_subject_name(c->x509), X509_get_issuer_name(ek->x509)) ||
			    X509_NAME_cmp(X509_get_issuer_name(c->x509), X509_get_subject_name(ark->x509)))
				continue;
			if (cert_verify_signature(c, X509_get0_pubkey(ark->x509), why, sizeof(why)) < 0) {
				log_info(ctx, "%s certificate not signed by %s: %s", c->cn, ark->cn, why);
				if (p > 0)
					offered_rejected = true;
				continue;
			}
			ask_seen = true;
			if (X509_check_ca(c->x509) < 1) {
				log_info(ctx, "%s is not a CA certificate", c->cn);
				continue;
			}
			if (cert_verify_signature(ek, X509_get0_pubkey(c->x509), why, sizeof(why)) < 0) {
				log_info(ctx, "%s certificate not signed by %s: %s", ek->cn, c->cn, why);
				continue;
			}
			ask = c;
		}
	if (!ask) {
		const char *hint = offered_rejected ? " (an offered one is not signed by the trusted root:"
						      " a test chain needs --amd-roots)" : "";

		if (ask_seen)
			result_error(r, CVM_STATUS_INVALID, "%s certificate not signed by a valid %s%s",
				     ek->cn, ek->issuer_cn, hint);
		else
			result_error(r, CVM_STATUS_INVALID, "no %s certificate signed by %s%s",
				     ek->issuer_cn, ark->cn, hint);
		return -EKEYREJECTED;
	}
	if (check_time(r, ek, now) < 0)
		ok = false;
	if (check_time(r, ask, now) < 0)
		ok = false;
	if (check_time(r, ark, now) < 0)
		ok = false;
	if (!ok)
		return -EKEYEXPIRED;

	snprintf(r->snp_chain, sizeof(r->snp_chain), "%s <- %s <- %s", ek->cn, ask->cn, ark->cn);
	r->snp_root_builtin = ctx->amd_roots_builtin;
	out->ark = ark;
	snprintf(out->ask_cn, sizeof(out->ask_cn), "%s", ask->cn);
	{
		unsigned char *p = out->ask_serial;
		int n = i2d_ASN1_INTEGER(X509_get0_serialNumber(ask->x509), NULL);

		if (n > 0 && (size_t)n <= sizeof(out->ask_serial) &&
		    i2d_ASN1_INTEGER(X509_get0_serialNumber(ask->x509), &p) == n)
			out->ask_serial_len = (size_t)n;
	}

	/* Remember the result, with the window in which all three are valid. */
	{
		const struct cvm_cert *chain[] = { ek, ask, ark };
		time_t from = 0, until = (time_t)INT64_MAX;

		for (size_t i = 0; i < ELEMENTSOF(chain); i++) {
			time_t nb = asn1_time_to_time_t(X509_get0_notBefore(chain[i]->x509));
			time_t na = asn1_time_to_time_t(X509_get0_notAfter(chain[i]->x509));

			if (nb > from)
				from = nb;
			if (na < until)
				until = na;
		}
		memcpy(entry.vcek_sha256, ek->sha256, 32);
		entry.valid_from = from + 1;
		entry.valid_until = until;
		entry.product = product;
		snprintf(entry.root_cn, sizeof(entry.root_cn), "%s", ark->cn);
		snprintf(entry.ask_cn, sizeof(entry.ask_cn), "%s", out->ask_cn);
		memcpy(entry.ask_serial, out->ask_serial, out->ask_serial_len);
		entry.ask_serial_len = out->ask_serial_len;
		vcek_cache_add(ctx, &entry);
	}
	return 0;
}

static bool hwid_matches(const struct cvm_snp_report *s, const struct amd_cert_ext *e)
{
	if (e->hwid_len == SNP_CHIP_ID_LEN_TURIN)
		return memcmp(e->hwid, s->chip_id, SNP_CHIP_ID_LEN_TURIN) == 0 &&
		       all_zero(s->chip_id + SNP_CHIP_ID_LEN_TURIN,
				SNP_CHIP_ID_LEN - SNP_CHIP_ID_LEN_TURIN);
	return e->hwid_len == SNP_CHIP_ID_LEN && memcmp(e->hwid, s->chip_id, SNP_CHIP_ID_LEN) == 0;
}

/* Do the certificate's SPLs name this report's REPORTED_TCB, read in @p's layout? */
static bool tcb_matches(const struct cvm_snp_report *s, const struct amd_cert_ext *e,
			enum cvm_snp_product p)
{
	struct cvm_snp_tcb t;

	cvm_snp_tcb_decode(s->reported_tcb.raw, p, &t);
	return e->has_spl[AMD_SPL_BL] && e->spl[AMD_SPL_BL] == t.bootloader &&
	       e->has_spl[AMD_SPL_TEE] && e->spl[AMD_SPL_TEE] == t.tee &&
	       e->has_spl[AMD_SPL_SNP] && e->spl[AMD_SPL_SNP] == t.snp &&
	       e->has_spl[AMD_SPL_UCODE] && e->spl[AMD_SPL_UCODE] == t.microcode &&
	       (!t.turin || (e->has_spl[AMD_SPL_FMC] && e->spl[AMD_SPL_FMC] == t.fmc));
}

/*
 * Among the offered certificates, the endorsement key that fits this report
 * best: same chip and TCB, else same chip, else any (the checks that follow
 * then say what is wrong with it).
 */
static const struct cvm_cert *find_endorsement(const struct cvm_snp_report *s, bool vlek,
					       const struct cvm_cert_list *const *pools, size_t n_pools,
					       int *ret_score)
{
	const char *cn = vlek ? "SEV-VLEK" : "SEV-VCEK";
	const struct cvm_cert *best = NULL;
	int best_score = -1;

	for (size_t p = 0; p < n_pools; p++)
		for (size_t i = 0; i < pools[p]->n; i++) {
			const struct cvm_cert *c = pools[p]->v[i];
			struct amd_cert_ext e;
			int score = 0;

			if (strcmp(c->cn, cn) != 0)
				continue;
			if (amd_cert_ext_parse(c->x509, &e) == 0) {
				const char *prefix = vlek ? "SEV-VLEK-" : "SEV-";
				enum cvm_snp_product prod = CVM_SNP_PRODUCT_UNKNOWN;

				if (strncmp(c->issuer_cn, prefix, strlen(prefix)) == 0)
					prod = product_from_name(c->issuer_cn + strlen(prefix));
				if (vlek || hwid_matches(s, &e))
					score = tcb_matches(s, &e, prod) ? 2 : 1;
			}
			if (score > best_score) {
				best = c;
				best_score = score;
			}
		}
	*ret_score = best_score;
	return best;
}

static int load_from_cache(struct cvm_ctx *ctx, const struct cvm_snp_report *s,
			   struct cvm_cert_list *into)
{
	char hex[2 * SNP_CHIP_ID_LEN + 1], path[4096];
	size_t lens[] = { SNP_CHIP_ID_LEN, SNP_CHIP_ID_LEN_TURIN };

	if (!ctx->cache_dir || all_zero(s->chip_id, SNP_CHIP_ID_LEN))
		return -ENOENT;
	for (size_t i = 0; i < ELEMENTSOF(lens); i++) {
		cvm_hex_encode(s->chip_id, lens[i], hex);
		if ((size_t)snprintf(path, sizeof(path), "%s/vcek/%s/%016llx.der", ctx->cache_dir, hex,
				     (unsigned long long)s->reported_tcb.raw) >= sizeof(path))
			return -ENAMETOOLONG;
		if (access(path, R_OK) == 0) {
			log_info(ctx, "Using cached VCEK %s", path);
			return cert_list_load(NULL, into, path);
		}
		log_debug(ctx, "No cached VCEK at %s", path);
	}
	return -ENOENT;
}

static void check_tcb_extensions(struct cvm_result *r, const struct cvm_snp_report *s,
				 const struct amd_cert_ext *e, const char *cn)
{
	const struct cvm_snp_tcb *t = &s->reported_tcb;
	const struct {
		int spl;
		const char *name;
		uint8_t value;
	} parts[] = {
		{ AMD_SPL_BL, "blSPL", t->bootloader },
		{ AMD_SPL_TEE, "teeSPL", t->tee },
		{ AMD_SPL_SNP, "snpSPL", t->snp },
		{ AMD_SPL_UCODE, "ucodeSPL", t->microcode },
		{ AMD_SPL_FMC, "fmcSPL", t->fmc },
	};

	for (size_t i = 0; i < ELEMENTSOF(parts); i++) {
		if (parts[i].spl == AMD_SPL_FMC && !t->turin)
			continue;
		if (!e->has_spl[parts[i].spl])
			result_error(r, CVM_STATUS_INVALID, "%s certificate has no %s extension", cn,
				     parts[i].name);
		else if (e->spl[parts[i].spl] != parts[i].value)
			result_error(r, CVM_STATUS_INVALID,
				     "%s certificate %s %u differs from REPORTED_TCB's %u", cn,
				     parts[i].name, e->spl[parts[i].spl], parts[i].value);
	}
}

/* Where the VCEK for this report comes from, for a message. */
static char *vcek_hint(const struct cvm_snp_report *s)
{
	_cleanup_free_ char *url = NULL;
	char *hint;

	if (all_zero(s->chip_id, SNP_CHIP_ID_LEN))
		return strdup("CHIP_ID is masked (MASK_CHIP_ID): AMD KDS cannot look it up; get the "
			      "VCEK from the host's certificate table or, on Azure, IMDS THIM at "
			      AZURE_THIM_URL "; give it with --certs");
	if (amd_kds_vcek_url(AMD_KDS_URL, s, &url) < 0)
		return NULL;
	if (asprintf(&hint, "AMD KDS serves it at %s (on Azure: IMDS THIM at " AZURE_THIM_URL
		     "); 'cvmattest fetch REPORT' puts it into the cache, or give it with --certs",
		     url) < 0)
		return NULL;
	return hint;
}

/*
 * @ek is not this report's VCEK (another chip, another TCB): say which, and
 * where the right one is.  True if it said so.
 */
static bool vcek_mismatch(struct cvm_result *r, const struct cvm_snp_report *s,
			  const struct cvm_cert *ek)
{
	_cleanup_free_ char *hint = vcek_hint(s);
	enum cvm_snp_product prod = CVM_SNP_PRODUCT_UNKNOWN;
	char have[2 * SNP_CHIP_ID_LEN + 1], want[2 * SNP_CHIP_ID_LEN + 1];
	struct amd_cert_ext e;
	struct cvm_snp_tcb t;

	if (amd_cert_ext_parse(ek->x509, &e) < 0)
		return false;	/* said after the chain check */
	if (strncmp(ek->issuer_cn, "SEV-", 4) == 0)
		prod = product_from_name(ek->issuer_cn + 4);
	/* (Same first bytes, yet no match: a malformed CHIP_ID, judged after the signature.) */
	if (e.hwid_len && e.hwid_len <= SNP_CHIP_ID_LEN && !all_zero(s->chip_id, SNP_CHIP_ID_LEN) &&
	    memcmp(e.hwid, s->chip_id, e.hwid_len) != 0) {
		cvm_hex_encode(e.hwid, 8, have);
		cvm_hex_encode(s->chip_id, 8, want);
		result_error(r, CVM_STATUS_INVALID,
			     "VCEK is for chip ID %s..., the report's is %s... (hwID differs from "
			     "CHIP_ID): it cannot have signed this report. %s", have, want, hint ? hint : "");
		return true;
	}
	if (tcb_matches(s, &e, prod))
		return false;
	cvm_snp_tcb_decode(s->reported_tcb.raw, prod, &t);
	snprintf(have, sizeof(have), "blSPL=%u teeSPL=%u snpSPL=%u ucodeSPL=%u", e.spl[AMD_SPL_BL],
		 e.spl[AMD_SPL_TEE], e.spl[AMD_SPL_SNP], e.spl[AMD_SPL_UCODE]);
	snprintf(want, sizeof(want), "blSPL=%u teeSPL=%u snpSPL=%u ucodeSPL=%u", t.bootloader, t.tee,
		 t.snp, t.microcode);
	if (t.turin) {
		snprintf(have + strlen(have), sizeof(have) - strlen(have), " fmcSPL=%u", e.spl[AMD_SPL_FMC]);
		snprintf(want + strlen(want), sizeof(want) - strlen(want), " fmcSPL=%u", t.fmc);
	}
	result_error(r, CVM_STATUS_INVALID,
		     "VCEK TCB %s does not match the report's REPORTED_TCB %s (%016llx): it cannot have "
		     "signed this report. %s", have, want, (unsigned long long)s->reported_tcb.raw,
		     hint ? hint : "");
	return true;
}

/* ---- AMD's CRL ----------------------------------------------------------------- */

static void fmt_time(time_t t, char out[32])
{
	struct tm tm;

	if (!t || !gmtime_r(&t, &tm) || !strftime(out, 32, "%Y-%m-%d %H:%M:%S UTC", &tm))
		snprintf(out, 32, "(unknown date)");
}

/* "0x..." of a serial number, for messages. */
static void fmt_serial(const ASN1_INTEGER *serial, char *out, size_t out_len)
{
	BIGNUM *bn = ASN1_INTEGER_to_BN(serial, NULL);
	char *hex = bn ? BN_bn2hex(bn) : NULL;

	snprintf(out, out_len, "0x%s", hex ? hex : "?");
	OPENSSL_free(hex);
	BN_free(bn);
}

/*
 * The CRL for @product's ARK: among those given (cvm_add_amd_crl_file), the
 * one whose issuer is that ARK; none given: DIR/crl/<product>.crl of the
 * cache directory, where 'cvmattest fetch' puts KDS's.  NULL if there is
 * none to consult (*@owned set to a cached one, which the caller frees).
 * A given or cached CRL of another issuer is an error, never skipped: a
 * relying party who gave a CRL expects it to be checked.
 */
static const struct amd_crl *pick_crl(struct cvm_ctx *ctx, struct cvm_result *r,
				      const struct cvm_cert *ark, enum cvm_snp_product product,
				      struct amd_crl **owned)
{
	const char *pname = cvm_snp_product_name(product);
	_cleanup_free_ char *path = NULL;
	char why[160], issuer[128] = "";
	struct amd_crl *c;
	int k;

	*owned = NULL;
	if (ctx->n_amd_crls) {
		for (size_t i = 0; i < ctx->n_amd_crls; i++)
			if (X509_NAME_cmp(X509_CRL_get_issuer(ctx->amd_crls[i]->crl),
					  X509_get_subject_name(ark->x509)) == 0)
				return ctx->amd_crls[i];
		X509_NAME_get_text_by_NID(X509_CRL_get_issuer(ctx->amd_crls[0]->crl), NID_commonName,
					  issuer, sizeof(issuer));
		result_error(r, CVM_STATUS_INVALID,
			     "CRL %s is issued by \"%s\", not by %s (the root of this %s report's chain): "
			     "give AMD's %s CRL (KDS /vcek/v1/%s/crl) with --crl",
			     ctx->amd_crls[0]->path, issuer, ark->cn, pname, pname, pname);
		return NULL;
	}
	if (!ctx->cache_dir || asprintf(&path, "%s/crl/%s.crl", ctx->cache_dir, pname) < 0)
		return NULL;
	if (access(path, F_OK) < 0) {
		log_debug(ctx, "No cached CRL at %s", path);
		return NULL;
	}
	k = amd_crl_load(path, &c, why, sizeof(why));
	if (k < 0) {
		result_error(r, CVM_STATUS_INVALID, "cached CRL %s: %s: run 'cvmattest fetch REPORT' "
			     "again, or give a CRL with --crl", path, why);
		return NULL;
	}
	if (X509_NAME_cmp(X509_CRL_get_issuer(c->crl), X509_get_subject_name(ark->x509)) != 0) {
		X509_NAME_get_text_by_NID(X509_CRL_get_issuer(c->crl), NID_commonName, issuer,
					  sizeof(issuer));
		result_error(r, CVM_STATUS_INVALID, "cached CRL %s is issued by \"%s\", not by %s",
			     path, issuer, ark->cn);
		amd_crl_free(c);
		return NULL;
	}
	log_info(ctx, "Using cached CRL %s", path);
	*owned = c;
	return c;
}

/*
 * Revocation: the ASK (ASVK) and the VCEK (VLEK) against the ARK's CRL.
 * The CRL's signature is checked like the ASK certificate's (RSASSA-PSS,
 * AMD's parameters, by the trusted ARK); a listed serial is revoked even in
 * a stale CRL (revocation is final), but only a current one
 * (thisUpdate <= time < nextUpdate) makes the check count: a stale one is
 * CVM_STATUS_UNVERIFIABLE (exit 5): the evidence may well be good, yet
 * the host could be replaying an old CRL to hide a revocation, and a fresh
 * 'cvmattest fetch' settles it.  Real VCEKs all have serial 0 (see
 * ../shared/testdata), so an entry for serial 0 would revoke them all: that
 * is AMD's to decide, and checked as listed.
 */
static void snp_check_crl(struct cvm_ctx *ctx, struct cvm_result *r, const struct cvm_cert *ek,
			  const struct snp_issuers *iss, enum cvm_snp_product product)
{
	_cleanup_(amd_crl_freep) struct amd_crl *owned = NULL;
	_cleanup_(ASN1_INTEGER_freep) ASN1_INTEGER *ask_serial = NULL;
	const struct amd_crl *c;
	const unsigned char *p = iss->ask_serial;
	time_t now = ctx_verify_time(ctx), this_up, next_up, when;
	char why[160], d1[32], d2[32], sn[96];
	bool ok = true;

	if (!iss->ark)
		return;
	c = pick_crl(ctx, r, iss->ark, product, &owned);
	if (!c)
		return;
	if (amd_crl_verify(c, X509_get0_pubkey(iss->ark->x509), why, sizeof(why)) < 0) {
		result_error(r, CVM_STATUS_INVALID, "CRL %s is not a valid CRL of %s: %s", c->path,
			     iss->ark->cn, why);
		return;
	}
	if (iss->ask_serial_len)
		ask_serial = d2i_ASN1_INTEGER(NULL, &p, (long)iss->ask_serial_len);
	if (ask_serial && amd_crl_find(c, ask_serial, &when)) {
		fmt_serial(ask_serial, sn, sizeof(sn));
		fmt_time(when, d1);
		result_error(r, CVM_STATUS_INVALID, "revoked: the %s certificate (serial %s) was revoked "
			     "by %s on %s (CRL %s)", iss->ask_cn, sn, iss->ark->cn, d1, c->path);
		ok = false;
	}
	if (amd_crl_find(c, X509_get0_serialNumber(ek->x509), &when)) {
		fmt_serial(X509_get0_serialNumber(ek->x509), sn, sizeof(sn));
		fmt_time(when, d1);
		result_error(r, CVM_STATUS_INVALID, "revoked: the %s certificate (serial %s) was revoked "
			     "by %s on %s (CRL %s)", ek->cn, sn, iss->ark->cn, d1, c->path);
		ok = false;
	}

	this_up = asn1_time_to_time(X509_CRL_get0_lastUpdate(c->crl));
	next_up = asn1_time_to_time(X509_CRL_get0_nextUpdate(c->crl));
	fmt_time(now, d1);
	if (!X509_CRL_get0_nextUpdate(c->crl) || X509_cmp_time(X509_CRL_get0_nextUpdate(c->crl), &now) <= 0) {
		fmt_time(next_up, d2);
		result_error(r, CVM_STATUS_UNVERIFIABLE,
			     "CRL %s is stale: its nextUpdate %s is not after %s: revocation not "
			     "checked; 'cvmattest fetch REPORT' brings a current one from AMD KDS",
			     c->path, X509_CRL_get0_nextUpdate(c->crl) ? d2 : "is missing, so it", d1);
		ok = false;
	} else if (X509_cmp_time(X509_CRL_get0_lastUpdate(c->crl), &now) > 0) {
		fmt_time(this_up, d2);
		result_error(r, CVM_STATUS_UNVERIFIABLE,
			     "CRL %s is not valid yet: its thisUpdate %s is after %s: revocation not "
			     "checked (check the clock, or --at)", c->path, d2, d1);
		ok = false;
	}
	if (!ok)
		return;
	r->snp_crl_checked = true;
	snprintf(r->snp_crl_path, sizeof(r->snp_crl_path), "%s", c->path);
	r->snp_crl_this_update = this_up;
	r->snp_crl_next_update = next_up;
	r->snp_crl_revoked = (size_t)sk_X509_REVOKED_num(X509_CRL_get_REVOKED(c->crl));
	if ((int)r->snp_crl_revoked < 0)
		r->snp_crl_revoked = 0;
	log_info(ctx, "CRL %s (thisUpdate %s): neither %s nor %s is revoked", c->path,
		 (fmt_time(this_up, d2), d2), iss->ask_cn, ek->cn);
}

int verify_snp_report(struct cvm_ctx *ctx, struct cvm_result *r, const uint8_t *buf, size_t len,
		      bool inner)
{
	struct cvm_cert_list tail = { 0 };
	const struct cvm_cert_list *pools[3];
	const struct cvm_cert *ek;
	struct cvm_snp_report *s = &r->snp;
	enum cvm_snp_product chain_product = CVM_SNP_PRODUCT_UNKNOWN;
	struct amd_cert_ext ext;
	struct snp_issuers issuers = { 0 };
	bool vlek;
	int k, score;

	/* SNP_GET_REPORT's MSG_REPORT_RSP wrapper, as a raw ioctl dump would have it. */
	if (!inner && len >= SNP_MSG_REPORT_RSP_REPORT + SNP_REPORT_SIZE && get_le32(buf) == 0 &&
	    get_le32(buf + SNP_MSG_REPORT_RSP_SIZE) == SNP_REPORT_SIZE) {
		buf += SNP_MSG_REPORT_RSP_REPORT;
		len = SNP_REPORT_SIZE;
	}

	if (!inner && len >= 4)
		r->version = get_le32(buf);	/* what it claims to be, even if unusable */
	if (len < SNP_REPORT_SIZE) {
		result_error(r, CVM_STATUS_MALFORMED, "SNP report truncated: %zu of %u bytes", len,
			     SNP_REPORT_SIZE);
		return 0;
	}
	if (cvm_snp_report_parse(buf, len, s) < 0) {
		result_error(r, CVM_STATUS_MALFORMED, "SNP report version %u is not supported (%u..%u)",
			     get_le32(buf), SNP_REPORT_VERSION_MIN, SNP_REPORT_VERSION_MAX);
		return 0;
	}
	r->has_snp = true;
	if (!inner)
		r->version = s->version;

	/* Azure: the report with the 20-byte IGVM_REQUEST_DATA header after it (evidence_hcl.c). */
	if (!inner && len > SNP_REPORT_SIZE &&
	    hcl_igvm_request_header_follows(buf + SNP_REPORT_SIZE, len - SNP_REPORT_SIZE)) {
		log_info(ctx, "The %zu bytes after the report are the IGVM request header of an Azure "
			 "HCL report%s: not signed, ignored", len - SNP_REPORT_SIZE,
			 len - SNP_REPORT_SIZE > HCL_RT_HEADER_LEN ? " and its runtime claims" : "");
		r->snp_igvm_tail = len - SNP_REPORT_SIZE;
		len = SNP_REPORT_SIZE;
	}

	/* Certificates may follow the report (report || certificate table). */
	if (!inner && len > SNP_REPORT_SIZE && !all_zero(buf + SNP_REPORT_SIZE, len - SNP_REPORT_SIZE)) {
		k = cert_list_add_buffer(&tail, buf + SNP_REPORT_SIZE, len - SNP_REPORT_SIZE);
		if (k < 0) {
			result_error(r, CVM_STATUS_MALFORMED,
				     "%zu bytes after the report are not a certificate table",
				     len - SNP_REPORT_SIZE);
			goto out;
		}
		r->snp_certs_in_evidence = tail.n;
	}

	if (s->mask_chip_key || s->signing_key == SNP_SIGNING_KEY_NONE) {
		result_error(r, CVM_STATUS_INVALID, "the report is not signed (%s)",
			     s->mask_chip_key ? "MASK_CHIP_KEY is set" : "SIGNING_KEY is none");
		goto out;
	}
	if (s->signature_algo != SNP_SIG_ALGO_ECDSA_P384_SHA384) {
		result_error(r, CVM_STATUS_INVALID, "unknown signature algorithm %u", s->signature_algo);
		goto out;
	}
	if (s->signing_key != SNP_SIGNING_KEY_VCEK && s->signing_key != SNP_SIGNING_KEY_VLEK) {
		result_error(r, CVM_STATUS_INVALID, "reserved SIGNING_KEY value %u", s->signing_key);
		goto out;
	}
	vlek = s->signing_key == SNP_SIGNING_KEY_VLEK;

	pools[0] = &ctx->amd_roots;
	pools[1] = &ctx->certs;
	pools[2] = &tail;
	ek = find_endorsement(s, vlek, pools + 1, 2, &score);
	/* Nothing offered for this chip and TCB: the cache may have it. */
	if (score < 2 && !vlek && load_from_cache(ctx, s, &tail) == 0)
		ek = find_endorsement(s, vlek, pools + 1, 2, &score);
	if (!ek) {
		char chip[2 * SNP_CHIP_ID_LEN + 1];

		cvm_hex_encode(s->chip_id, 8, chip);
		if (vlek) {
			result_error(r, CVM_STATUS_UNVERIFIABLE,
				     "no VLEK certificate: report signature not checked. AMD KDS gives "
				     "VLEKs to the cloud provider only: take it from the host's certificate "
				     "table (an extended report) or the provider, and give it with --certs");
		} else {
			_cleanup_free_ char *hint = vcek_hint(s);

			result_error(r, CVM_STATUS_UNVERIFIABLE,
				     "no VCEK certificate for CHIP_ID %s... at REPORTED_TCB %016llx: report "
				     "signature not checked. %s", chip,
				     (unsigned long long)s->reported_tcb.raw, hint ? hint : "");
		}
		goto out;
	}
	/* The best offered is another chip's or TCB's: it cannot have signed this report. */
	if (!vlek && score < 2 && vcek_mismatch(r, s, ek))
		goto out;

	k = snp_chain(ctx, r, ek, vlek, pools, 3, &chain_product, &issuers);
	if (k < 0 && chain_product == CVM_SNP_PRODUCT_UNKNOWN)
		goto out;
	if (k == 0)
		snp_check_crl(ctx, r, ek, &issuers, chain_product);

	/* The product from the chain decides the TCB layout of a v2 report. */
	if (s->product == CVM_SNP_PRODUCT_UNKNOWN) {
		s->product = chain_product;
		cvm_snp_tcb_decode(s->current_tcb.raw, s->product, &s->current_tcb);
		cvm_snp_tcb_decode(s->reported_tcb.raw, s->product, &s->reported_tcb);
		cvm_snp_tcb_decode(s->committed_tcb.raw, s->product, &s->committed_tcb);
		cvm_snp_tcb_decode(s->launch_tcb.raw, s->product, &s->launch_tcb);
	} else if (s->product != chain_product) {
		result_error(r, CVM_STATUS_INVALID, "the report is from a %s CPU but %s is for %s",
			     cvm_snp_product_name(s->product), ek->cn,
			     cvm_snp_product_name(chain_product));
	}

	if (!pkey_is_ec_curve(X509_get0_pubkey(ek->x509), "secp384r1"))
		goto out;	/* already reported by snp_chain() */
	k = ecdsa_verify_raw(X509_get0_pubkey(ek->x509), EVP_sha384(), buf, SNP_SIGNED_LEN, s->sig_r,
			     s->sig_s, SNP_SIG_COMPONENT_LEN, true);
	r->signature_checked = true;
	if (k < 0) {
		result_error(r, CVM_STATUS_INVALID, "report signature does not verify with the %s key",
			     ek->cn);
		goto out;
	}

	if (amd_cert_ext_parse(ek->x509, &ext) < 0) {
		result_error(r, CVM_STATUS_INVALID, "%s certificate has malformed AMD extensions", ek->cn);
		goto out;
	}
	if (ext.product_name[0]) {
		/* "Milan-B0": product line, then stepping (which may be wrong on early parts). */
		size_t n = strcspn(ext.product_name, "-");

		if (strlen(cvm_snp_product_name(chain_product)) != n ||
		    strncmp(ext.product_name, cvm_snp_product_name(chain_product), n) != 0)
			result_error(r, CVM_STATUS_INVALID, "%s productName \"%s\" is not a %s part",
				     ek->cn, ext.product_name, cvm_snp_product_name(chain_product));
	}
	check_tcb_extensions(r, s, &ext, ek->cn);
	if (vlek) {
		if (!ext.has_csp_id || ext.hwid_len)
			result_error(r, CVM_STATUS_INVALID, "VLEK certificate without CSP_ID, or with a hwID");
	} else if (all_zero(s->chip_id, SNP_CHIP_ID_LEN)) {
		/* MASK_CHIP_ID set by the host: the signature still binds the key. */
		log_info(ctx, "CHIP_ID is masked; not compared with the VCEK hwID");
	} else if (!ext.hwid_len) {
		result_error(r, CVM_STATUS_INVALID, "VCEK certificate has no hwID");
	} else if (chain_product == CVM_SNP_PRODUCT_TURIN ? ext.hwid_len != SNP_CHIP_ID_LEN_TURIN
							    : ext.hwid_len != SNP_CHIP_ID_LEN) {
		result_error(r, CVM_STATUS_INVALID, "VCEK hwID is %zu bytes, %s uses %u", ext.hwid_len,
			     cvm_snp_product_name(chain_product),
			     chain_product == CVM_SNP_PRODUCT_TURIN ? SNP_CHIP_ID_LEN_TURIN : SNP_CHIP_ID_LEN);
	} else if (!hwid_matches(s, &ext)) {
		result_error(r, CVM_STATUS_INVALID, "VCEK hwID differs from the report's CHIP_ID");
	}

	if (s->mbz_violation)
		result_error(r, CVM_STATUS_MALFORMED,
			     "reserved bits set at offset 0x%03x of a validly signed report (newer firmware?)",
			     s->mbz_violation - 1);
out:
	cert_list_clear(&tail);
	return 0;
}
