// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * SEV-SNP endorsements for MAA's VcekCertChain (VCEK or VLEK, then ASK,
 * then ARK, PEM), from the sources in snp_certs, in order:
 *   extended  the extended report's certificate table (the host's copy);
 *   cache     {cache_dir}/vcek/<CHIP_ID hex>/<REPORTED_TCB hex>.pem;
 *   imds      Azure IMDS THIM /metadata/THIM/amd/certification;
 *   kds       AMD KDS /vcek/v1/<product>/<hwid>?...SPL= and /cert_chain.
 * A VCEK is taken only if its hwID and SPLs are this report's CHIP_ID and
 * REPORTED_TCB (MAA would refuse the chain otherwise); what came from the
 * network is cached for the next boot.
 */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/pem.h>

#include "attest/attest.h"


static size_t chip_id_len(const struct cvm_snp_report *s)
{
	return s->product == CVM_SNP_PRODUCT_TURIN ? SNP_CHIP_ID_LEN_TURIN : SNP_CHIP_ID_LEN;
}

/* Is @x the endorsement key of this report (chip and TCB)? Why not, in @why. */
static bool vcek_fits(const struct cvm_snp_report *s, X509 *x, char *why, size_t why_len)
{
	struct amd_cert_ext e;
	struct cvm_snp_tcb t;
	size_t hl;

	if (amd_cert_ext_parse(x, &e) < 0) {
		snprintf(why, why_len, "its AMD extensions are malformed");
		return false;
	}
	if (e.has_csp_id && !e.hwid_len)
		return true;	/* VLEK: not chip-specific */
	hl = e.hwid_len;
	if (!s->mask_chip_key &&
	    (hl == 0 || hl > SNP_CHIP_ID_LEN || memcmp(e.hwid, s->chip_id, hl) != 0)) {
		snprintf(why, why_len, "it is for another chip (hwID)");
		return false;
	}
	cvm_snp_tcb_decode(s->reported_tcb.raw,
			   hl == SNP_CHIP_ID_LEN_TURIN ? CVM_SNP_PRODUCT_TURIN : s->product, &t);
	if (!(e.has_spl[AMD_SPL_BL] && e.spl[AMD_SPL_BL] == t.bootloader &&
	      e.has_spl[AMD_SPL_TEE] && e.spl[AMD_SPL_TEE] == t.tee && e.has_spl[AMD_SPL_SNP] &&
	      e.spl[AMD_SPL_SNP] == t.snp && e.has_spl[AMD_SPL_UCODE] &&
	      e.spl[AMD_SPL_UCODE] == t.microcode &&
	      (!t.turin || (e.has_spl[AMD_SPL_FMC] && e.spl[AMD_SPL_FMC] == t.fmc)))) {
		snprintf(why, why_len, "its TCB (SPLs) is not the report's REPORTED_TCB %016llx",
			 (unsigned long long)s->reported_tcb.raw);
		return false;
	}
	return true;
}

static int append_pem(BIO *out, X509 *x)
{
	return PEM_write_bio_X509(out, x) == 1 ? 0 : -ENOMEM;
}

static int bio_to_string(BIO *b, char **ret, size_t *len)
{
	char *data;
	long n = BIO_get_mem_data(b, &data);

	if (n <= 0)
		return -EBADMSG;
	*ret = strndup(data, (size_t)n);
	*len = (size_t)n;
	return *ret ? 0 : -ENOMEM;
}

/* From an extended report's certificate table: VCEK/VLEK, ASK/ASVK, ARK. */
static int chain_from_table(struct cvm_ctx *ctx, const struct cvm_snp_report *s,
			    const uint8_t *table, size_t len, char **pem, size_t *pem_len)
{
	static const enum cvm_snp_cert_kind order[] = { CVM_SNP_CERT_VCEK, CVM_SNP_CERT_VLEK,
							CVM_SNP_CERT_ASK, CVM_SNP_CERT_ARK };
	_cleanup_(BIO_free_allp) BIO *out = BIO_new(BIO_s_mem());
	struct cvm_snp_cert_table t;
	bool have_ek = false, have_ask = false, have_ark = false;
	char why[160];
	int r;

	if (!out)
		return -ENOMEM;
	r = cvm_snp_cert_table_parse(table, len, &t);
	if (r < 0) {
		log_warning(ctx, "The extended report's certificate table is malformed; ignoring it");
		return r;
	}
	for (size_t o = 0; o < ELEMENTSOF(order); o++)
		for (size_t i = 0; i < t.n_entries; i++) {
			_cleanup_(X509_freep) X509 *x = NULL;
			const unsigned char *p = t.entries[i].data;

			if (t.entries[i].kind != order[o])
				continue;
			x = d2i_X509(NULL, &p, t.entries[i].length);
			if (!x)
				continue;
			if (order[o] == CVM_SNP_CERT_VCEK || order[o] == CVM_SNP_CERT_VLEK) {
				if (have_ek)
					continue;
				if (!vcek_fits(s, x, why, sizeof(why))) {
					log_info(ctx, "The extended report's VCEK does not fit: %s", why);
					continue;
				}
				have_ek = true;
			} else if (order[o] == CVM_SNP_CERT_ASK) {
				have_ask = true;
			} else {
				have_ark = true;
			}
			r = append_pem(out, x);
			if (r < 0)
				return r;
		}
	if (!have_ek || !have_ask || !have_ark)
		return log_debug_errno(ctx, -ENOENT, "The certificate table lacks %s",
				       !have_ek ? "a fitting VCEK" :
				       !have_ask ? "the ASK" : "the ARK");
	return bio_to_string(out, pem, pem_len);
}

/* Check a PEM chain (first = endorsement key) against the report. */
static int check_pem_chain(struct cvm_ctx *ctx, const struct cvm_snp_report *s, const char *pem,
			   size_t len, const char *from)
{
	_cleanup_(BIO_free_allp) BIO *b = BIO_new_mem_buf(pem, (int)len);
	_cleanup_(X509_freep) X509 *x = NULL;
	char why[160];

	if (!b)
		return -ENOMEM;
	x = PEM_read_bio_X509(b, NULL, NULL, NULL);
	if (!x)
		return log_warning_errno(ctx, -EBADMSG, "The certificates from %s are not PEM",
					 from);
	if (!vcek_fits(s, x, why, sizeof(why))) {
		log_warning(ctx, "The VCEK from %s does not fit this report: %s", from, why);
		return -ESTALE;
	}
	return 0;
}

static int cache_path(const struct cvm_config *cfg, const struct cvm_snp_report *s,
		      const char *ext, char **ret)
{
	char hex[2 * SNP_CHIP_ID_LEN + 1];

	if (!cfg->cache_dir || !*cfg->cache_dir || s->mask_chip_key)
		return -ENOENT;
	cvm_hex_encode(s->chip_id, chip_id_len(s), hex);
	return asprintf(ret, "%s/vcek/%s/%016llx.%s", cfg->cache_dir, hex,
			(unsigned long long)s->reported_tcb.raw, ext) < 0 ? -ENOMEM : 0;
}

static void cache_store(struct cvm_ctx *ctx, const struct cvm_config *cfg,
			const struct cvm_snp_report *s, const char *pem, size_t len)
{
	_cleanup_free_ char *path = NULL, *der_path = NULL;
	_cleanup_(BIO_free_allp) BIO *b = NULL;
	_cleanup_(X509_freep) X509 *x = NULL;
	unsigned char *der = NULL;
	int der_len;

	if (cache_path(cfg, s, "pem", &path) < 0)
		return;
	if (cache_write(ctx, path, pem, len) < 0)
		return;
	/* The VCEK alone where offline verification (verify_snp.c) looks for it. */
	b = BIO_new_mem_buf(pem, (int)len);
	x = b ? PEM_read_bio_X509(b, NULL, NULL, NULL) : NULL;
	if (!x || cache_path(cfg, s, "der", &der_path) < 0)
		return;
	der_len = i2d_X509(x, &der);
	if (der_len > 0)
		(void)cache_write(ctx, der_path, der, (size_t)der_len);
	OPENSSL_free(der);
}

static int chain_from_cache(struct cvm_ctx *ctx, const struct cvm_config *cfg,
			    const struct cvm_snp_report *s, char **pem, size_t *len)
{
	_cleanup_free_ char *path = NULL;
	uint8_t *buf = NULL;
	int r;

	r = cache_path(cfg, s, "pem", &path);
	if (r < 0)
		return r;
	r = read_file(path, 64 * 1024, &buf, len);
	if (r < 0)
		return log_debug_errno(ctx, r, "No cached VCEK chain at %s", path);
	*pem = (char *)buf;
	log_debug(ctx, "VCEK chain from the cache %s", path);
	return 0;
}

static int kds_get(struct cvm_ctx *ctx, const struct cvm_config *cfg, const char *url,
		   struct http_resp *resp)
{
	struct http_req req = {
		.method = "GET",
		.url = url,
		.what = "AMD KDS",
		.config_key = "kds_url",
		.accept = "Accept: */*",
	};
	int r = http_request(ctx, cfg, &req, resp);

	if (r < 0)
		return r;
	if (resp->status != 200) {
		r = http_status_error(ctx, cfg, &req, resp);
		http_resp_done(resp);
	}
	return r;
}

static int chain_from_kds(struct cvm_ctx *ctx, const struct cvm_config *cfg,
			  const struct cvm_snp_report *s, char **pem, size_t *pem_len)
{
	_cleanup_(BIO_free_allp) BIO *out = BIO_new(BIO_s_mem());
	_cleanup_(X509_freep) X509 *vcek = NULL;
	_cleanup_free_ char *url = NULL;
	struct http_resp resp = { 0 };
	const char *prod = s->product == CVM_SNP_PRODUCT_UNKNOWN ? NULL :
			   cvm_snp_product_name(s->product);
	const unsigned char *p;
	int r;

	if (!out)
		return -ENOMEM;
	if (!prod) {
		log_warning(ctx, "The report (version %u) does not name its CPU product, which AMD KDS "
			    "needs", s->version);
		return -ENOENT;
	}
	if (s->mask_chip_key) {
		log_warning(ctx, "MASK_CHIP_KEY is set: KDS cannot look up a VCEK without CHIP_ID");
		return -ENOENT;
	}
	if (amd_kds_vcek_url(cfg->kds_url, s, &url) < 0)
		return -ENOMEM;
	r = kds_get(ctx, cfg, url, &resp);
	if (r < 0)
		return r;
	p = resp.body;
	vcek = d2i_X509(NULL, &p, (long)resp.len);
	http_resp_done(&resp);
	if (!vcek) {
		log_error(ctx, "AMD KDS answered something that is not a DER certificate");
		return -EBADMSG;
	}
	free(url);
	if (asprintf(&url, "%s/vcek/v1/%s/cert_chain", cfg->kds_url, prod) < 0)
		return -ENOMEM;
	r = kds_get(ctx, cfg, url, &resp);
	if (r < 0)
		return r;
	r = append_pem(out, vcek);
	if (r == 0 && BIO_write(out, resp.body, (int)resp.len) != (int)resp.len)
		r = -ENOMEM;
	http_resp_done(&resp);
	if (r < 0)
		return r;
	return bio_to_string(out, pem, pem_len);
}

int snp_vcek_chain(struct cvm_ctx *ctx, const struct cvm_config *cfg, const uint8_t *report,
		   size_t report_len, const uint8_t *cert_table, size_t cert_table_len,
		   char **pem, size_t *pem_len)
{
	struct cvm_snp_report s;
	char tried[256] = "";
	int r, last = -ENOENT;

	r = cvm_snp_report_parse(report, report_len, &s);
	if (r < 0)
		return log_error_errno(ctx, r, "The SEV-SNP report does not parse");
	for (const char *p = cfg->snp_certs; p && *p;) {
		char src[16];
		size_t l;

		p += strspn(p, " ,");
		l = strcspn(p, " ,");
		if (l == 0)
			break;
		snprintf(src, sizeof(src), "%.*s", (int)(l < sizeof(src) - 1 ? l : sizeof(src) - 1), p);
		p += l;
		snprintf(tried + strlen(tried), sizeof(tried) - strlen(tried), "%s%s",
			 tried[0] ? ", " : "", src);
		if (strcmp(src, "extended") == 0) {
			if (!cert_table || !cert_table_len) {
				log_debug(ctx, "No certificate table in the evidence");
				continue;
			}
			r = chain_from_table(ctx, &s, cert_table, cert_table_len, pem, pem_len);
			if (r == 0) {
				log_info(ctx, "VCEK chain from the extended report");
				return 0;
			}
		} else if (strcmp(src, "cache") == 0) {
			r = chain_from_cache(ctx, cfg, &s, pem, pem_len);
			if (r == 0) {
				r = check_pem_chain(ctx, &s, *pem, *pem_len, "the cache");
				if (r == 0)
					return 0;
				free(*pem);
				*pem = NULL;
			}
		} else if (strcmp(src, "imds") == 0) {
			r = imds_thim_certs(ctx, cfg, pem, pem_len);
			if (r == 0) {
				r = check_pem_chain(ctx, &s, *pem, *pem_len, "IMDS THIM");
				if (r == 0) {
					log_info(ctx, "VCEK chain from IMDS THIM");
					cache_store(ctx, cfg, &s, *pem, *pem_len);
					return 0;
				}
				free(*pem);
				*pem = NULL;
			}
		} else if (strcmp(src, "kds") == 0) {
			r = chain_from_kds(ctx, cfg, &s, pem, pem_len);
			if (r == 0) {
				r = check_pem_chain(ctx, &s, *pem, *pem_len, "AMD KDS");
				if (r == 0) {
					log_info(ctx, "VCEK chain from AMD KDS");
					cache_store(ctx, cfg, &s, *pem, *pem_len);
					return 0;
				}
				free(*pem);
				*pem = NULL;
			}
		} else {
			log_error(ctx, "snp_certs: unknown source \"%s\" (extended, cache, imds, kds)", src);
			return -EINVAL;
		}
		last = r;
	}
	log_error(ctx, "No VCEK certificate chain for this SEV-SNP report (tried: %s); on Azure "
		  "check imds_url, elsewhere that the host serves extended reports or that %s is "
		  "reachable (kds_url)", tried[0] ? tried : "nothing: snp_certs is empty",
		  cfg->kds_url ? cfg->kds_url : "AMD KDS");
	return last == -ENOENT || last == -ESTALE ? -ENOENT : last;
}

/* ---- cvmattest fetch ------------------------------------------------------------ */

/*
 * What `verify` needs offline, into the cache: the VCEK (as verify_snp.c
 * looks for it), the chain after it, AMD's CRL.  Nothing fetched is trusted
 * for having been fetched: the VCEK is only kept if it names this chip and
 * TCB, and verify checks it against the ARK like any --certs input.
 */
int cvm_snp_fetch(struct cvm_ctx *ctx, const struct cvm_config *cfg, const uint8_t *buf,
		  size_t len, const char *product, bool imds, char **ret_json)
{
	_cleanup_free_ uint8_t *dec = NULL;
	_cleanup_free_ char *pem = NULL, *url = NULL, *der_path = NULL, *pem_path = NULL;
	_cleanup_free_ char *crl_path = NULL;
	_cleanup_(json_decrefp) json_t *o = NULL;
	struct cvm_hcl_report hcl;
	struct cvm_snp_report s;
	enum cvm_format format;
	size_t pem_len, dec_len;
	int r;

	if (!ctx || !cfg || !buf || !ret_json)
		return -EINVAL;
	r = maybe_hex_decode(buf, len, &dec, &dec_len);
	if (r < 0)
		return r;
	if (r == 1) {
		buf = dec;
		len = dec_len;
	}
	if (cvm_evidence_detect(buf, len, &format) < 0)
		return log_error_errno(ctx, -EBADMSG, "Not evidence in a known format (%zu bytes)", len);
	if (format == CVM_FORMAT_AZURE_HCL) {
		if (cvm_hcl_report_parse(buf, len, &hcl) < 0)
			return log_error_errno(ctx, -EBADMSG, "The Azure HCL report does not parse");
		format = hcl.hw_format;
		buf = hcl.hw_report;
		len = SNP_REPORT_SIZE;
	}
	if (format == CVM_FORMAT_TDX_QUOTE)
		return cvm_tdx_fetch(ctx, cfg, buf, len, ret_json);
	if (format != CVM_FORMAT_SNP_REPORT)
		return log_error_errno(ctx, -EOPNOTSUPP,
				       "A TDREPORT (also inside an Azure HCL report) carries no PCK "
				       "certificate: fetch collateral for the TD quote made from it "
				       "(cvmattest report --quote, or Azure IMDS /acc/tdquote)");
	if (cvm_snp_report_parse(buf, len, &s) < 0)
		return log_error_errno(ctx, -EBADMSG, "The SEV-SNP report does not parse");
	if (s.signing_key == SNP_SIGNING_KEY_VLEK)
		return log_error_errno(ctx, -EOPNOTSUPP,
				       "The report is signed with a VLEK, which AMD KDS serves to the "
				       "cloud provider only: take it from the host's certificate table "
				       "(an extended report) or the provider, and give it to verify "
				       "with --certs");
	if (product) {
		if (strcmp(product, "Milan") == 0)
			s.product = CVM_SNP_PRODUCT_MILAN;
		else if (strcmp(product, "Genoa") == 0)
			s.product = CVM_SNP_PRODUCT_GENOA;
		else if (strcmp(product, "Turin") == 0)
			s.product = CVM_SNP_PRODUCT_TURIN;
		else
			return log_error_errno(ctx, -EINVAL, "Unknown product \"%s\" (Milan, Genoa, Turin)",
					       product);
		cvm_snp_tcb_decode(s.reported_tcb.raw, s.product, &s.reported_tcb);
	} else if (s.product == CVM_SNP_PRODUCT_UNKNOWN && !imds) {
		return log_error_errno(ctx, -EINVAL,
				       "The report (version %u) does not name its CPU product, which "
				       "the AMD KDS URL needs: give it (Milan, Genoa or Turin)", s.version);
	}
	if (cache_path(cfg, &s, "der", &der_path) < 0 || cache_path(cfg, &s, "pem", &pem_path) < 0)
		return log_error_errno(ctx, -EINVAL, "Nothing to store into: set a cache directory "
				       "(cache_dir), and CHIP_ID must not be masked");

	if (imds) {
		r = imds_thim_certs(ctx, cfg, &pem, &pem_len);
	} else {
		r = amd_kds_vcek_url(cfg->kds_url, &s, &url);
		if (r == 0)
			r = chain_from_kds(ctx, cfg, &s, &pem, &pem_len);
	}
	if (r < 0)
		return r;
	r = check_pem_chain(ctx, &s, pem, pem_len, imds ? "IMDS THIM" : "AMD KDS");
	if (r < 0)
		return r == -ESTALE ? -EKEYREJECTED : r;
	cache_store(ctx, cfg, &s, pem, pem_len);
	if (access(der_path, R_OK) < 0 || access(pem_path, R_OK) < 0)
		return log_error_errno(ctx, -EIO, "The VCEK could not be stored at %s", der_path);

	/* The CRL (ARK-signed, DER): kept for other tools; verify does not read it yet. */
	if (!imds) {
		struct http_resp resp = { 0 };
		_cleanup_free_ char *crl_url = NULL;

		if (asprintf(&crl_url, "%s/vcek/v1/%s/crl", cfg->kds_url,
			     cvm_snp_product_name(s.product)) < 0 ||
		    asprintf(&crl_path, "%s/crl/%s.crl", cfg->cache_dir,
			     cvm_snp_product_name(s.product)) < 0)
			return -ENOMEM;
		if (kds_get(ctx, cfg, crl_url, &resp) == 0) {
			if (cache_write(ctx, crl_path, resp.body, resp.len) < 0) {
				free(crl_path);
				crl_path = NULL;
			}
			http_resp_done(&resp);
		} else {
			log_warning(ctx, "AMD's CRL was not fetched from %s", crl_url);
			free(crl_path);
			crl_path = NULL;
		}
	}

	o = json_object();
	if (!o)
		return -ENOMEM;
	json_object_set_new(o, "platform", json_string("sev-snp"));
	json_object_set_new(o, "source", json_string(imds ? "imds" : "kds"));
	json_object_set_new(o, "vcek_url", url ? json_string(url) : json_null());
	json_object_set_new(o, "vcek", json_string(der_path));
	json_object_set_new(o, "chain", json_string(pem_path));
	json_object_set_new(o, "crl", crl_path ? json_string(crl_path) : json_null());
	*ret_json = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	return *ret_json ? 0 : -ENOMEM;
}

/* ---- TDX collateral ------------------------------------------------------------- */

static const char *const tdx_coll_files[] = {
	"tcbinfo.json", "tcbinfo-chain.pem", "qeidentity.json", "qeidentity-chain.pem",
	"pckcrl.der", "rootcrl.der",
};

/* GET @url from Intel PCS (or a PCCS); with @header, that response header URL-decoded. */
static int pcs_get(struct cvm_ctx *ctx, const struct cvm_config *cfg, const char *url,
		   const char *what, const char *config_key, const char *header,
		   struct http_resp *resp, char **ret_header)
{
	struct http_req req = {
		.method = "GET",
		.url = url,
		.what = what,
		.config_key = config_key,
		.accept = "Accept: */*",
		.capture_header = header,
	};
	int r = http_request(ctx, cfg, &req, resp);

	if (r < 0)
		return r;
	if (resp->status != 200) {
		r = http_status_error(ctx, cfg, &req, resp);
		http_resp_done(resp);
		return r;
	}
	if (header) {
		if (!resp->header) {
			http_resp_done(resp);
			return log_error_errno(ctx, -EPROTO, "%s %s answered without the %s header (the "
					       "signing certificate chain)", what, url, header);
		}
		r = http_unescape(resp->header, ret_header);
		if (r < 0) {
			http_resp_done(resp);
			return r;
		}
	}
	return 0;
}

static void remove_staged(const char *dir)
{
	for (size_t i = 0; i < ELEMENTSOF(tdx_coll_files); i++) {
		_cleanup_free_ char *p = NULL;

		if (asprintf(&p, "%s/%s", dir, tdx_coll_files[i]) >= 0)
			(void)unlink(p);
	}
	(void)rmdir(dir);
}

/*
 * Intel's collateral for a TDX quote, into {cache_dir}/tdx/<FMSPC>/ where
 * verify (verify/tdx_collateral.c) looks: TCB Info and QE Identity (PCS API
 * v4, /tdx/certification/v4/tcb?fmspc= and /qe/identity, with the issuer
 * chains of their TCB-Info-Issuer-Chain and SGX-Enclave-Identity-Issuer-Chain
 * headers, URL-encoded PEM), the PCK CRL of the CA that issued the quote's
 * PCK certificate (/sgx/certification/v4/pckcrl?ca=platform|processor&
 * encoding=der) and the Root CA CRL.  Nothing fetched is trusted for having
 * been fetched: it is staged, checked as verify checks it, and only stored
 * when it is Intel's, current and for this platform.
 */
int cvm_tdx_fetch(struct cvm_ctx *ctx, const struct cvm_config *cfg, const uint8_t *buf,
		  size_t len, char **ret_json)
{
	_cleanup_free_ uint8_t *dec = NULL;
	_cleanup_free_ char *saved_cache = NULL, *url = NULL, *stage = NULL, *final = NULL;
	_cleanup_free_ char *tcb_chain = NULL, *qe_chain = NULL;
	_cleanup_(cvm_result_freep) struct cvm_result *res = NULL, *res2 = NULL;
	_cleanup_(json_decrefp) json_t *o = NULL;
	struct http_resp tcb = { 0 }, qe = { 0 }, pckcrl = { 0 }, rootcrl = { 0 };
	struct cvm_cert_list chain = { 0 };
	const char *ca = NULL;
	char fmspc[13];
	size_t dec_len;
	int r;

	if (!ctx || !cfg || !buf || !ret_json)
		return -EINVAL;
	r = maybe_hex_decode(buf, len, &dec, &dec_len);
	if (r < 0)
		return r;
	if (r == 1) {
		buf = dec;
		len = dec_len;
	}
	if (!cfg->cache_dir || !*cfg->cache_dir)
		return log_error_errno(ctx, -EINVAL, "Nothing to store into: set a cache directory "
				       "(cache_dir)");
	if (!cfg->pcs_url || !cfg->intel_root_crl_url)
		return log_error_errno(ctx, -EINVAL, "pcs_url and intel_root_crl_url must be set");

	/* The quote first: its PCK chain says which platform (FMSPC) and CA the collateral is for. */
	saved_cache = ctx->cache_dir;
	ctx->cache_dir = NULL;
	r = cvm_verify(ctx, buf, len, CVM_FORMAT_TDX_QUOTE, NULL, &res);
	ctx->cache_dir = saved_cache;
	saved_cache = NULL;
	if (r < 0)
		return r;
	if (!res->has_quote)
		return log_error_errno(ctx, -EBADMSG, "Not a TDX quote: %s",
				       res->n_errors ? res->errors[0] : "it does not parse");
	if (!cvm_result_verified(res))
		return log_error_errno(ctx, -EKEYREJECTED, "The quote does not verify (%s): no collateral "
				       "is fetched for it", res->n_errors ? res->errors[0] : "?");
	if (!res->pck.has_fmspc)
		return log_error_errno(ctx, -EBADMSG, "The PCK certificate names no FMSPC");
	cvm_hex_encode(res->pck.fmspc, 6, fmspc);
	{
		size_t pl = res->quote.pck_chain_len;

		if (pl && res->quote.pck_chain[pl - 1] == 0)
			pl--;
		r = cert_list_add_buffer(&chain, res->quote.pck_chain, pl);
		if (r >= 0 && chain.n > 0) {
			if (strstr(chain.v[0]->issuer_cn, "Platform CA"))
				ca = "platform";
			else if (strstr(chain.v[0]->issuer_cn, "Processor CA"))
				ca = "processor";
		}
		if (!ca) {
			log_error(ctx, "The PCK certificate's issuer \"%s\" is neither the PCK Platform nor "
				  "the PCK Processor CA", chain.n ? chain.v[0]->issuer_cn : "?");
			cert_list_clear(&chain);
			return -EBADMSG;
		}
		cert_list_clear(&chain);
	}

	if (asprintf(&url, "%s/tdx/certification/v4/tcb?fmspc=%s", cfg->pcs_url, fmspc) < 0)
		return -ENOMEM;
	r = pcs_get(ctx, cfg, url, "Intel PCS (TCB Info)", "pcs_url", "TCB-Info-Issuer-Chain", &tcb,
		    &tcb_chain);
	if (r < 0)
		goto out;
	free(url);
	if (asprintf(&url, "%s/tdx/certification/v4/qe/identity", cfg->pcs_url) < 0) {
		r = -ENOMEM;
		goto out;
	}
	r = pcs_get(ctx, cfg, url, "Intel PCS (QE Identity)", "pcs_url",
		    "SGX-Enclave-Identity-Issuer-Chain", &qe, &qe_chain);
	if (r < 0)
		goto out;
	free(url);
	if (asprintf(&url, "%s/sgx/certification/v4/pckcrl?ca=%s&encoding=der", cfg->pcs_url, ca) < 0) {
		r = -ENOMEM;
		goto out;
	}
	r = pcs_get(ctx, cfg, url, "Intel PCS (PCK CRL)", "pcs_url", NULL, &pckcrl, NULL);
	if (r < 0)
		goto out;
	r = pcs_get(ctx, cfg, cfg->intel_root_crl_url, "Intel (Root CA CRL)", "intel_root_crl_url",
		    NULL, &rootcrl, NULL);
	if (r < 0)
		goto out;

	/* Staged beside where it goes, checked there, then moved in file by file. */
	if (asprintf(&stage, "%s/tdx/.%s.new.%d", cfg->cache_dir, fmspc, (int)getpid()) < 0 ||
	    asprintf(&final, "%s/tdx/%s", cfg->cache_dir, fmspc) < 0) {
		r = -ENOMEM;
		goto out;
	}
	{
		const void *data[] = { tcb.body, tcb_chain, qe.body, qe_chain, pckcrl.body, rootcrl.body };
		size_t lens[] = { tcb.len, strlen(tcb_chain), qe.len, strlen(qe_chain), pckcrl.len,
				  rootcrl.len };

		for (size_t i = 0; i < ELEMENTSOF(tdx_coll_files); i++) {
			_cleanup_free_ char *p = NULL;

			if (asprintf(&p, "%s/%s", stage, tdx_coll_files[i]) < 0) {
				r = -ENOMEM;
				goto out;
			}
			r = cache_write(ctx, p, data[i], lens[i]);
			if (r < 0) {
				remove_staged(stage);
				goto out;
			}
		}
	}
	r = cvm_set_tdx_collateral(ctx, stage);
	if (r == 0) {
		saved_cache = ctx->cache_dir;
		ctx->cache_dir = NULL;
		r = cvm_verify(ctx, buf, len, CVM_FORMAT_TDX_QUOTE, NULL, &res2);
		ctx->cache_dir = saved_cache;
		saved_cache = NULL;
		(void)cvm_set_tdx_collateral(ctx, NULL);
	}
	if (r < 0) {
		remove_staged(stage);
		goto out;
	}
	if (!res2->tdxc.present || res2->tdxc.n_bad) {
		for (size_t i = 0; i < res2->n_errors; i++)
			if (strncmp(res2->errors[i], "TDX collateral:", 15) == 0)
				log_error(ctx, "%s", res2->errors[i]);
		log_error(ctx, "What %s served is not Intel's current collateral for this platform "
			  "(FMSPC %s): nothing stored", cfg->pcs_url, fmspc);
		remove_staged(stage);
		r = -EKEYREJECTED;
		goto out;
	}
	if (mkdir(final, 0755) < 0 && errno != EEXIST) {
		r = log_error_errno(ctx, -errno, "Cannot create %s: %s", final, strerror(errno));
		remove_staged(stage);
		goto out;
	}
	for (size_t i = 0; i < ELEMENTSOF(tdx_coll_files); i++) {
		_cleanup_free_ char *from = NULL, *to = NULL;

		if (asprintf(&from, "%s/%s", stage, tdx_coll_files[i]) < 0 ||
		    asprintf(&to, "%s/%s", final, tdx_coll_files[i]) < 0) {
			r = -ENOMEM;
			remove_staged(stage);
			goto out;
		}
		if (rename(from, to) < 0) {
			r = log_error_errno(ctx, -errno, "Cannot store %s: %s", to, strerror(errno));
			remove_staged(stage);
			goto out;
		}
	}
	remove_staged(stage);

	o = json_object();
	if (!o) {
		r = -ENOMEM;
		goto out;
	}
	{
		const struct tdx_coll *c = &res2->tdxc;
		char d[32];

		json_object_set_new(o, "platform", json_string("tdx"));
		json_object_set_new(o, "source", json_string(cfg->pcs_url));
		json_object_set_new(o, "fmspc", json_string(fmspc));
		json_object_set_new(o, "ca", json_string(ca));
		json_object_set_new(o, "collateral", json_string(final));
		json_object_set_new(o, "tcb_status", c->checked ? json_string(tdx_tcb_status_name(c->tcb_status)) :
				    json_null());
		json_object_set_new(o, "tcb_evaluation_data_number", json_integer(c->tcb_eval_num));
		tdx_fmt_date(c->tcb_info_next, d);
		json_object_set_new(o, "tcb_info_next_update", json_string(d));
		tdx_fmt_date(c->qe_next, d);
		json_object_set_new(o, "qe_identity_next_update", json_string(d));
	}
	*ret_json = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	r = *ret_json ? 0 : -ENOMEM;
out:
	http_resp_done(&tcb);
	http_resp_done(&qe);
	http_resp_done(&pckcrl);
	http_resp_done(&rootcrl);
	return r;
}
