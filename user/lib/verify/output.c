// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * A verification result as one JSON object, or as text for people.  Keys
 * are documented in Documentation/admin-guide/cvmattest-verify.rst; the
 * ones every format has (format, version, verified, policy_ok, errors, unchecked,
 * report_data, measurement, debug) are always present, null when the
 * evidence did not parse far enough to know them.
 */
#include <errno.h>
#include <string.h>
#include <time.h>

#include "verify/verify.h"

/* ISO 8601 UTC, "2026-12-07T15:00:00Z". */
static const char *iso_time(time_t t, char out[32])
{
	struct tm tm;

	if (!gmtime_r(&t, &tm) || !strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(out, 32, "?");
	return out;
}


static const char *status_name(enum cvm_status s)
{
	switch (s) {
	case CVM_STATUS_OK:
		return "ok";
	case CVM_STATUS_POLICY:
		return "policy";
	case CVM_STATUS_UNVERIFIABLE:
		return "unverifiable";
	case CVM_STATUS_INVALID:
		return "invalid";
	default:
		return "malformed";
	}
}

static json_t *jhex(const uint8_t *b, size_t n)
{
	char buf[2 * 1024 + 1];

	if (n > 1024)
		n = 1024;
	cvm_hex_encode(b, n, buf);
	return json_string(buf);
}

static json_t *jhex64(uint64_t v)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "0x%016llx", (unsigned long long)v);
	return json_string(buf);
}

/* Adds, consuming @v; a failed allocation just leaves the key out. */
static void set(json_t *o, const char *k, json_t *v)
{
	json_object_set_new(o, k, v ? v : json_null());
}

static json_t *tcb_json(const struct cvm_snp_tcb *t)
{
	json_t *o = json_object();

	if (!o)
		return NULL;
	set(o, "raw", jhex64(t->raw));
	set(o, "bootloader", json_integer(t->bootloader));
	set(o, "tee", json_integer(t->tee));
	set(o, "snp", json_integer(t->snp));
	set(o, "microcode", json_integer(t->microcode));
	if (t->turin)
		set(o, "fmc", json_integer(t->fmc));
	return o;
}

static const char *signing_key_name(uint8_t k)
{
	return k == SNP_SIGNING_KEY_VCEK ? "vcek" : k == SNP_SIGNING_KEY_VLEK ? "vlek" :
	       k == SNP_SIGNING_KEY_NONE ? "none" : "reserved";
}

/*
 * Issue 19: the bits a policy can require, decoded (AMD 56860 "Guest Policy"
 * and "PLATFORM_INFO"; the names are those of policy.c).
 */
static void snp_json_more(const struct cvm_snp_report *s, json_t *snp)
{
	static const struct {
		const char *key;
		unsigned bit;
	} policy_bits[] = {
		{ "smt", 16 }, { "migrate_ma", 18 }, { "debug", 19 }, { "single_socket", 20 },
		{ "cxl_allow", 21 }, { "mem_aes_256_xts", 22 }, { "rapl_dis", 23 },
		{ "ciphertext_hiding", 24 }, { "page_swap_disable", 25 },
	}, platform_bits[] = {
		{ "smt_en", 0 }, { "tsme_en", 1 }, { "ecc_en", 2 }, { "rapl_dis", 3 },
		{ "ciphertext_hiding_dram_en", 4 }, { "alias_check_complete", 5 }, { "tio_en", 7 },
	};
	json_t *pb = json_object(), *ib = json_object();
	char abi[16];

	if (!pb || !ib) {
		json_decref(pb);
		json_decref(ib);
		return;
	}
	snprintf(abi, sizeof(abi), "%u.%u", (unsigned)((s->policy >> SNP_POLICY_ABI_MAJOR_SHIFT) & 0xff),
		 (unsigned)(s->policy & SNP_POLICY_ABI_MINOR_MASK));
	set(pb, "abi", json_string(abi));
	for (size_t i = 0; i < ELEMENTSOF(policy_bits); i++)
		set(pb, policy_bits[i].key, json_boolean((s->policy >> policy_bits[i].bit) & 1));
	for (size_t i = 0; i < ELEMENTSOF(platform_bits); i++)
		set(ib, platform_bits[i].key, json_boolean((s->platform_info >> platform_bits[i].bit) & 1));
	set(snp, "policy_bits", pb);
	set(snp, "platform_info_bits", ib);
	set(snp, "id_key_present", json_boolean(!all_zero(s->id_key_digest, 48)));
}

static void snp_json(const struct cvm_result *r, json_t *o)
{
	const struct cvm_snp_report *s = &r->snp;
	char fw[32];
	json_t *snp = json_object();

	set(o, "report_data", jhex(s->report_data, 64));
	set(o, "measurement", jhex(s->measurement, 48));
	set(o, "debug", json_boolean(s->policy & SNP_POLICY_DEBUG));
	set(o, "chip_id", jhex(s->chip_id, 64));
	set(o, "reported_tcb", tcb_json(&s->reported_tcb));
	if (!snp)
		return;
	set(snp, "report_version", json_integer(s->version));
	set(snp, "product", json_string(cvm_snp_product_name(s->product)));
	set(snp, "guest_svn", json_integer(s->guest_svn));
	set(snp, "policy", jhex64(s->policy));
	set(snp, "family_id", jhex(s->family_id, 16));
	set(snp, "image_id", jhex(s->image_id, 16));
	set(snp, "vmpl", json_integer(s->vmpl));
	set(snp, "signature_algo", json_integer(s->signature_algo));
	set(snp, "current_tcb", tcb_json(&s->current_tcb));
	set(snp, "committed_tcb", tcb_json(&s->committed_tcb));
	set(snp, "launch_tcb", tcb_json(&s->launch_tcb));
	set(snp, "platform_info", jhex64(s->platform_info));
	set(snp, "signing_key", json_string(signing_key_name(s->signing_key)));
	set(snp, "author_key_en", json_boolean(s->author_key_en));
	set(snp, "mask_chip_key", json_boolean(s->mask_chip_key));
	set(snp, "host_data", jhex(s->host_data, 32));
	set(snp, "id_key_digest", jhex(s->id_key_digest, 48));
	set(snp, "author_key_digest", jhex(s->author_key_digest, 48));
	set(snp, "report_id", jhex(s->report_id, 32));
	set(snp, "report_id_ma", jhex(s->report_id_ma, 32));
	snprintf(fw, sizeof(fw), "%u.%u.%u", s->current_fw.major, s->current_fw.minor, s->current_fw.build);
	set(snp, "current_firmware", json_string(fw));
	snprintf(fw, sizeof(fw), "%u.%u.%u", s->committed_fw.major, s->committed_fw.minor,
		 s->committed_fw.build);
	set(snp, "committed_firmware", json_string(fw));
	if (s->version >= 3) {
		set(snp, "cpuid_family", json_integer(s->cpuid_fam_id));
		set(snp, "cpuid_model", json_integer(s->cpuid_mod_id));
		set(snp, "cpuid_stepping", json_integer(s->cpuid_step));
	}
	if (s->version >= 5) {
		set(snp, "launch_mit_vector", jhex64(s->launch_mit_vector));
		set(snp, "current_mit_vector", jhex64(s->current_mit_vector));
	}
	if (r->snp_chain[0]) {
		set(snp, "certificate_chain", json_string(r->snp_chain));
		set(snp, "builtin_root", json_boolean(r->snp_root_builtin));
	}
	if (r->snp_certs_in_evidence)
		set(snp, "certificates_in_evidence", json_integer((json_int_t)r->snp_certs_in_evidence));
	snp_json_more(s, snp);
	/* Bytes of an Azure HCL report's IGVM request header (and claims) after it, ignored. */
	if (r->snp_igvm_tail)
		set(snp, "azure_igvm_request_data", json_integer((json_int_t)r->snp_igvm_tail));
	/* The AMD CRL the ASK and VCEK were found absent from (null: none consulted). */
	if (r->snp_crl_checked) {
		json_t *crl = json_object();
		char d[32];

		set(crl, "path", json_string(r->snp_crl_path));
		set(crl, "this_update", json_string(iso_time(r->snp_crl_this_update, d)));
		set(crl, "next_update", json_string(iso_time(r->snp_crl_next_update, d)));
		set(crl, "entries", json_integer((json_int_t)r->snp_crl_revoked));
		set(snp, "crl", crl);
	} else {
		set(snp, "crl", json_null());
	}
	set(o, "snp", snp);
}

static void td_json(json_t *o, const struct td_view *v, const uint8_t *mrseam,
		    const uint8_t *mrsignerseam, uint64_t xfam)
{
	json_t *td = json_object(), *rtmr = json_array();

	set(o, "report_data", jhex(v->report_data, 64));
	set(o, "measurement", jhex(v->mrtd, 48));
	set(o, "debug", json_boolean(v->td_attributes & TDX_TD_ATTR_DEBUG));
	if (!td || !rtmr) {
		json_decref(td);
		json_decref(rtmr);
		return;
	}
	set(td, "tee_tcb_svn", jhex(v->tee_tcb_svn, 16));
	set(td, "mrseam", jhex(mrseam, 48));
	set(td, "mrsignerseam", jhex(mrsignerseam, 48));
	set(td, "seam_attributes", jhex64(v->seam_attributes));
	set(td, "td_attributes", jhex64(v->td_attributes));
	set(td, "xfam", jhex64(xfam));
	set(td, "mrtd", jhex(v->mrtd, 48));
	set(td, "mrconfigid", jhex(v->mrconfigid, 48));
	set(td, "mrowner", jhex(v->mrowner, 48));
	set(td, "mrownerconfig", jhex(v->mrownerconfig, 48));
	for (int i = 0; i < 4; i++)
		json_array_append_new(rtmr, jhex(v->rtmr[i], 48));
	set(td, "rtmr", rtmr);
	set(o, "tdx", td);
}

static void quote_json(const struct cvm_result *r, json_t *o)
{
	const struct cvm_tdx_quote *q = &r->quote;
	struct td_view v;
	json_t *td, *qe = json_object();

	td_view_from_quote(&q->body, &v);
	td_json(o, &v, q->body.mrseam, q->body.mrsignerseam, q->body.xfam);
	td = json_object_get(o, "tdx");
	if (!td || !qe) {
		json_decref(qe);
		return;
	}
	set(td, "body_type", json_integer(q->body_type));
	if (q->body.tdx15) {
		set(td, "tee_tcb_svn2", jhex(q->body.tee_tcb_svn2, 16));
		set(td, "mrservicetd", jhex(q->body.mrservicetd, 48));
	}
	set(qe, "mrenclave", jhex(q->qe_report.mrenclave, 32));
	set(qe, "mrsigner", jhex(q->qe_report.mrsigner, 32));
	set(qe, "isvprodid", json_integer(q->qe_report.isvprodid));
	set(qe, "isvsvn", json_integer(q->qe_report.isvsvn));
	set(td, "qe", qe);
	/* issue 19: the two SVNs a policy can set a minimum for */
	set(td, "qe_svn", json_integer(q->qe_report.isvsvn));
	set(td, "pce_svn", json_integer(get_le16(q->header_reserved + 2)));
	if (r->pck.has_fmspc)
		set(td, "fmspc", jhex(r->pck.fmspc, 6));
	if (r->pck.has_pceid)
		set(td, "pceid", jhex(r->pck.pceid, 2));
	if (r->tdx_root[0]) {
		set(td, "root", json_string(r->tdx_root));
		set(td, "builtin_root", json_boolean(r->tdx_root_builtin));
	}
	if (q->trailing_len)
		set(td, "trailing_bytes", json_integer((json_int_t)q->trailing_len));
	if (r->tdxc.present) {
		const struct tdx_coll *c = &r->tdxc;
		json_t *co = json_object(), *adv = json_array();
		char d[32];

		if (!co || !adv) {
			json_decref(co);
			json_decref(adv);
			return;
		}
		set(co, "source", json_string(c->source));
		set(co, "checked", json_boolean(c->checked));
		set(co, "tcb_status", c->checked ? json_string(tdx_tcb_status_name(c->tcb_status)) : json_null());
		set(co, "platform_tcb_status", c->checked && c->tcb_level_status >= 0 ?
			json_string(tdx_tcb_status_name(c->tcb_level_status)) : json_null());
		set(co, "tdx_module_tcb_status", c->checked && c->module_status >= 0 ?
			json_string(tdx_tcb_status_name(c->module_status)) : json_null());
		set(co, "qe_tcb_status", c->checked ? json_string(tdx_tcb_status_name(c->qe_status)) : json_null());
		for (size_t i = 0; i < c->n_advisories; i++)
			json_array_append_new(adv, json_string(c->advisories[i]));
		set(co, "advisory_ids", adv);
		set(co, "tcb_evaluation_data_number", c->checked ? json_integer(c->tcb_eval_num) : json_null());
		set(co, "qe_tcb_evaluation_data_number", c->checked ? json_integer(c->qe_eval_num) : json_null());
#define DATE(key, t) do { if (c->checked && (t)) { tdx_fmt_date((t), d); set(co, key, json_string(d)); } \
		else set(co, key, json_null()); } while (0)
		DATE("tcb_date", c->tcb_date);
		DATE("tcb_info_issue_date", c->tcb_info_issue);
		DATE("tcb_info_next_update", c->tcb_info_next);
		DATE("qe_identity_issue_date", c->qe_issue);
		DATE("qe_identity_next_update", c->qe_next);
		DATE("pck_crl_next_update", c->pck_crl_next);
		DATE("root_crl_next_update", c->root_crl_next);
#undef DATE
		set(td, "collateral", co);
	}
}

static void tdreport_json(const struct cvm_result *r, json_t *o)
{
	const struct cvm_tdx_tdreport *t = &r->tdreport;
	struct td_view v;
	json_t *td;

	td_view_from_tdreport(t, &v);
	td_json(o, &v, t->mrseam, t->mrsignerseam, t->xfam);
	td = json_object_get(o, "tdx");
	if (!td)
		return;
	set(td, "report_type_version", json_integer(t->report_version));
	set(td, "tee_tcb_svn2", jhex(t->tee_tcb_svn2, 16));
	set(td, "servtd_hash", jhex(t->servtd_hash, 48));
	set(td, "hashes_ok", json_boolean(r->tdreport_hashes_ok));
}

static void hcl_json(const struct cvm_result *r, json_t *o)
{
	static const char *const hashes[] = { "invalid", "sha256", "sha384", "sha512" };
	const struct cvm_hcl_report *h = &r->hcl;
	json_t *hcl = json_object();

	if (!hcl)
		return;
	set(hcl, "report_type", json_string(h->report_type == HCL_REPORT_TYPE_SNP ? "snp" : "tdx"));
	set(hcl, "inner_format", json_string(cvm_format_name(h->hw_format)));
	set(hcl, "request_type", json_integer(h->request_type));
	set(hcl, "hash_type", json_string(hashes[h->hash_type & 3]));
	set(hcl, "binding_ok", json_boolean(r->hcl_binding_ok));
	if (r->td_quote_given) {
		json_t *tq = json_object();

		if (tq) {
			set(tq, "verified", json_boolean(r->td_quote_verified));
			set(tq, "matches_tdreport", json_boolean(r->td_quote_matches));
			set(hcl, "td_quote", tq);
		}
	}
	if (r->tpm_quote_given) {
		json_t *tq = json_object(), *pcrs = json_object();

		if (tq && pcrs) {
			char idx[24];

			set(tq, "verified", json_boolean(r->tpm_quote_ok));
			set(tq, "nonce_checked", json_boolean(r->tpm_nonce_checked));
			for (size_t i = 0; r->has_tpm_quote && i < r->tpm_quote.n_pcrs; i++) {
				snprintf(idx, sizeof(idx), "%zu", i);
				set(pcrs, idx, jhex(r->tpm_quote.pcrs + 32 * i, 32));
			}
			set(tq, "pcrs", pcrs);
			set(hcl, "tpm_quote", tq);
		} else {
			json_decref(tq);
			json_decref(pcrs);
		}
	}
	if (r->has_claims) {
		json_error_t err;
		json_t *claims = json_loadb((const char *)h->variable_data, h->variable_size, 0, &err);

		if (r->claims.has_user_data)
			set(hcl, "user_data", jhex(r->claims.user_data, 64));
		set(hcl, "runtime_claims", claims);
	}
	set(o, "hcl", hcl);
}

static json_t *result_json(const struct cvm_result *r)
{
	json_t *o = json_object(), *errs = json_array(), *unchecked = json_array();

	if (!o || !errs || !unchecked) {
		json_decref(o);
		json_decref(errs);
		json_decref(unchecked);
		return NULL;
	}
	set(o, "format", json_string(cvm_format_name(r->format)));
	set(o, "version", json_integer(r->version));
	set(o, "verified", json_boolean(cvm_result_verified(r)));
	set(o, "signature_checked", json_boolean(r->signature_checked));
	set(o, "policy_ok", json_boolean(cvm_result_policy_ok(r)));
	set(o, "status", json_string(status_name(r->status)));
	set(o, "report_data", json_null());
	set(o, "measurement", json_null());
	set(o, "debug", json_null());
	if (r->has_snp)
		snp_json(r, o);
	/* An HCL report's TD quote: its fields are shown, the TDREPORT's when they match. */
	if (r->has_quote && (!r->td_quote_given || r->td_quote_matches))
		quote_json(r, o);
	else if (r->has_tdreport)
		tdreport_json(r, o);
	if (r->has_hcl)
		hcl_json(r, o);
	for (size_t i = 0; i < r->n_errors; i++)
		json_array_append_new(errs, json_string(r->errors[i]));
	set(o, "errors", errs);
	for (size_t i = 0; i < r->n_unchecked; i++)
		json_array_append_new(unchecked, json_string(r->unchecked[i]));
	set(o, "unchecked", unchecked);
	return o;
}

int cvm_result_to_json(const struct cvm_result *r, char **ret)
{
	_cleanup_(json_decrefp) json_t *o = NULL;

	if (!r || !ret)
		return -EINVAL;
	o = result_json(r);
	if (!o)
		return -ENOMEM;
	*ret = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	return *ret ? 0 : -ENOMEM;
}

/* ---- text ------------------------------------------------------------------------- */

struct text {
	char *buf;
	size_t len;
	bool oom;
};

static void __attribute__((format(printf, 2, 3))) add(struct text *t, const char *fmt, ...)
{
	va_list ap;
	char line[1024];
	int n;
	char *nb;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n < 0 || t->oom)
		return;
	if ((size_t)n >= sizeof(line))
		n = sizeof(line) - 1;
	nb = realloc(t->buf, t->len + (size_t)n + 1);
	if (!nb) {
		t->oom = true;
		return;
	}
	t->buf = nb;
	memcpy(t->buf + t->len, line, (size_t)n + 1);
	t->len += (size_t)n;
}

static const char *hexs(const uint8_t *b, size_t n, char *out)
{
	cvm_hex_encode(b, n, out);
	return out;
}

static void text_tcb(struct text *t, const char *name, const struct cvm_snp_tcb *c)
{
	if (c->turin)
		add(t, "%-15s fmc=%u bl=%u tee=%u snp=%u ucode=%u (0x%016llx)\n", name, c->fmc,
		    c->bootloader, c->tee, c->snp, c->microcode, (unsigned long long)c->raw);
	else
		add(t, "%-15s bl=%u tee=%u snp=%u ucode=%u (0x%016llx)\n", name, c->bootloader, c->tee,
		    c->snp, c->microcode, (unsigned long long)c->raw);
}

/* Issue 19: the other fields a policy can require. */
static void text_snp_more(struct text *t, const struct cvm_snp_report *s, char *hx)
{
	text_tcb(t, "Committed TCB:", &s->committed_tcb);
	text_tcb(t, "Launch TCB:", &s->launch_tcb);
	add(t, "%-15s %u\n", "Guest SVN:", s->guest_svn);
	add(t, "%-15s ABI %u.%u, SMT %s, MIGRATE_MA %s, SINGLE_SOCKET %s (0x%llx)\n", "Guest policy:",
	    (unsigned)((s->policy >> SNP_POLICY_ABI_MAJOR_SHIFT) & 0xff),
	    (unsigned)(s->policy & SNP_POLICY_ABI_MINOR_MASK), (s->policy & SNP_POLICY_SMT) ? "yes" : "no",
	    (s->policy & SNP_POLICY_MIGRATE_MA) ? "yes" : "no",
	    (s->policy & SNP_POLICY_SINGLE_SOCKET) ? "yes" : "no", (unsigned long long)s->policy);
	add(t, "%-15s SMT_EN %u, TSME_EN %u, ECC_EN %u (0x%llx)\n", "Platform info:",
	    (unsigned)(s->platform_info & 1), (unsigned)((s->platform_info >> 1) & 1),
	    (unsigned)((s->platform_info >> 2) & 1), (unsigned long long)s->platform_info);
	add(t, "%-15s %s\n", "ID key digest:", hexs(s->id_key_digest, 48, hx));
	add(t, "%-15s %s%s\n", "Author key:", hexs(s->author_key_digest, 48, hx),
	    s->author_key_en ? "" : " (AUTHOR_KEY_EN 0)");
	add(t, "%-15s %s\n", "Family ID:", hexs(s->family_id, 16, hx));
	add(t, "%-15s %s\n", "Image ID:", hexs(s->image_id, 16, hx));
}

static void text_td_more(struct text *t, const struct td_view *v, char *hx)
{
	add(t, "%-15s %s\n", "MRSEAM:", hexs(v->mrseam, 48, hx));
	add(t, "%-15s %s\n", "MRSIGNERSEAM:", hexs(v->mrsignerseam, 48, hx));
	add(t, "%-15s 0x%016llx\n", "XFAM:", (unsigned long long)v->xfam);
	add(t, "%-15s %s\n", "MRCONFIGID:", hexs(v->mrconfigid, 48, hx));
	add(t, "%-15s %s\n", "MROWNER:", hexs(v->mrowner, 48, hx));
	add(t, "%-15s %s\n", "MROWNERCONFIG:", hexs(v->mrownerconfig, 48, hx));
	if (v->has_quote_svns)
		add(t, "%-15s QE %u, PCE %u\n", "SVNs:", v->qe_svn, v->pce_svn);
}

static void text_td(struct text *t, const struct td_view *v, char *hx)
{
	add(t, "%-15s %s\n", "MRTD:", hexs(v->mrtd, 48, hx));
	for (int i = 0; i < 4; i++) {
		char name[16];

		snprintf(name, sizeof(name), "RTMR%d:", i);
		add(t, "%-15s %s\n", name, hexs(v->rtmr[i], 48, hx));
	}
	add(t, "%-15s %s\n", "Report data:", hexs(v->report_data, 64, hx));
	add(t, "%-15s %s\n", "Debug:", (v->td_attributes & TDX_TD_ATTR_DEBUG) ? "yes" : "no");
	add(t, "%-15s 0x%016llx\n", "TD attributes:", (unsigned long long)v->td_attributes);
	add(t, "%-15s %s\n", "TEE TCB SVN:", hexs(v->tee_tcb_svn, 16, hx));
	text_td_more(t, v, hx);
}

int cvm_result_to_text(const struct cvm_result *r, char **ret)
{
	struct text t = { 0 };
	char hx[2 * 64 + 1];
	const char *verdict;

	if (!r || !ret)
		return -EINVAL;
	switch (r->status) {
	case CVM_STATUS_OK:
		verdict = "OK: verified, policy satisfied";
		break;
	case CVM_STATUS_POLICY:
		verdict = "REJECTED: verified, but the policy is not satisfied";
		break;
	case CVM_STATUS_UNVERIFIABLE:
		verdict = "NOT VERIFIED: a signature (or revocation) could not be checked";
		break;
	case CVM_STATUS_INVALID:
		verdict = "INVALID: signature, certificate chain or binding check failed";
		break;
	default:
		verdict = "MALFORMED: not evidence this tool can read";
		break;
	}
	add(&t, "%-15s %s\n", "Result:", verdict);
	add(&t, "%-15s %s version %u\n", "Evidence:", cvm_format_name(r->format), r->version);
	if (r->has_hcl)
		add(&t, "%-15s %s, runtime claims %s\n", "Inside:", cvm_format_name(r->hcl.hw_format),
		    r->hcl_binding_ok ? "bound to REPORT_DATA" : "NOT bound");
	if (r->tpm_quote_given)
		add(&t, "%-15s %s\n", "TPM quote:", !r->tpm_quote_ok ? "NOT verified" :
		    r->tpm_nonce_checked ? "signed by HCLAkPub, nonce and PCR digest match" :
		    "signed by HCLAkPub, PCR digest matches (no nonce compared)");
	if (r->td_quote_given)
		add(&t, "%-15s %s, %s\n", "TD quote:", r->td_quote_verified ? "verified" : "NOT verified",
		    r->td_quote_matches ? "of this TDREPORT" : "NOT of this TDREPORT");
	if (r->has_snp) {
		const struct cvm_snp_report *s = &r->snp;

		add(&t, "%-15s %s, report version %u, VMPL %u\n", "Platform:",
		    cvm_snp_product_name(s->product), s->version, s->vmpl);
		if (r->snp_chain[0])
			add(&t, "%-15s %s%s\n", "Chain:", r->snp_chain,
			    r->snp_root_builtin ? " (built-in root)" : " (root given on the command line)");
		if (r->snp_crl_checked) {
			char d1[32], d2[32];

			add(&t, "%-15s %s (thisUpdate %s, nextUpdate %s): not revoked\n", "CRL:",
			    r->snp_crl_path, iso_time(r->snp_crl_this_update, d1),
			    iso_time(r->snp_crl_next_update, d2));
		}
		add(&t, "%-15s %s\n", "Measurement:", hexs(s->measurement, 48, hx));
		add(&t, "%-15s %s\n", "Report data:", hexs(s->report_data, 64, hx));
		add(&t, "%-15s %s (policy 0x%llx)\n", "Debug:",
		    (s->policy & SNP_POLICY_DEBUG) ? "yes" : "no", (unsigned long long)s->policy);
		add(&t, "%-15s %s\n", "Chip ID:", hexs(s->chip_id, 64, hx));
		text_tcb(&t, "Reported TCB:", &s->reported_tcb);
		text_tcb(&t, "Current TCB:", &s->current_tcb);
		text_snp_more(&t, s, hx);
	}
	/* An HCL report's TD quote of another TDREPORT: the TDREPORT's fields, as without it. */
	if (r->has_quote && (!r->td_quote_given || r->td_quote_matches)) {
		const struct cvm_tdx_quote_body *b = &r->quote.body;
		struct td_view v;

		td_view_from_quote(b, &v);
		td_view_add_quote_svns(&r->quote, &v);
		if (r->tdx_root[0])
			add(&t, "%-15s PCK <- ... <- %s%s\n", "Chain:", r->tdx_root,
			    r->tdx_root_builtin ? " (built-in root)" : " (root given on the command line)");
		text_td(&t, &v, hx);
		if (r->pck.has_fmspc)
			add(&t, "%-15s %s\n", "FMSPC:", hexs(r->pck.fmspc, 6, hx));
		if (r->tdxc.checked) {
			const struct tdx_coll *c = &r->tdxc;
			char d1[32], d2[32];

			add(&t, "%-15s %s (platform %s, TDX module %s, QE %s)\n", "TCB status:",
			    tdx_tcb_status_name(c->tcb_status), tdx_tcb_status_name(c->tcb_level_status),
			    c->module_status >= 0 ? tdx_tcb_status_name(c->module_status) : "-",
			    tdx_tcb_status_name(c->qe_status));
			for (size_t i = 0; i < c->n_advisories; i++)
				add(&t, "%-15s %s\n", i == 0 ? "Advisories:" : "", c->advisories[i]);
			tdx_fmt_date(c->tcb_info_issue, d1);
			tdx_fmt_date(c->tcb_info_next, d2);
			add(&t, "%-15s TCB Info #%u issued %s, next update %s\n", "Collateral:",
			    c->tcb_eval_num, d1, d2);
			tdx_fmt_date(c->qe_issue, d1);
			tdx_fmt_date(c->qe_next, d2);
			add(&t, "%-15s QE Identity #%u issued %s, next update %s\n", "", c->qe_eval_num, d1, d2);
			tdx_fmt_date(c->pck_crl_next, d1);
			tdx_fmt_date(c->root_crl_next, d2);
			add(&t, "%-15s PCK CRL next update %s, Root CA CRL %s\n", "", d1, d2);
			add(&t, "%-15s %s\n", "", c->source);
		}
	} else if (r->has_tdreport) {
		const struct cvm_tdx_tdreport *p = &r->tdreport;
		struct td_view v;

		td_view_from_tdreport(p, &v);
		text_td(&t, &v, hx);
	}
	if (r->has_claims && r->claims.has_user_data)
		add(&t, "%-15s %s\n", "User data:", hexs(r->claims.user_data, 64, hx));
	add(&t, "%-15s %s\n", "Policy:",
	    !r->policy_evaluated ? "not evaluated" : r->policy_failed ? "NOT satisfied" : "satisfied");
	for (size_t i = 0; i < r->n_errors; i++)
		add(&t, "%-15s %s\n", i == 0 ? "Errors:" : "", r->errors[i]);
	for (size_t i = 0; i < r->n_unchecked; i++)
		add(&t, "%-15s %s\n", i == 0 ? "Not checked:" : "", r->unchecked[i]);
	if (t.oom || !t.buf) {
		free(t.buf);
		return -ENOMEM;
	}
	*ret = t.buf;
	return 0;
}
