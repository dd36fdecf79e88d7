// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Local policy: what a verified report must also say to be accepted.  The
 * default policy only forbids debug.  JSON format in
 * Documentation/admin-guide/cvmattest-verify.rst; unknown keys are errors,
 * since a misspelt requirement that is silently ignored is no requirement.
 */
#include <errno.h>
#include <string.h>

#include "verify/verify.h"


int cvm_policy_new(struct cvm_policy **ret)
{
	struct cvm_policy *p = calloc(1, sizeof(*p));

	if (!p)
		return -ENOMEM;
	p->min_tcb = (struct cvm_snp_min_tcb){ -1, -1, -1, -1, -1 };
	*ret = p;
	return 0;
}

void cvm_policy_free(struct cvm_policy *p)
{
	free(p);
}

void cvm_policy_set_allow_debug(struct cvm_policy *p, bool allow)
{
	p->allow_debug = allow;
}

int cvm_policy_set_report_data(struct cvm_policy *p, const uint8_t *buf, size_t len)
{
	if (len > 64)
		return -EINVAL;
	memset(p->report_data, 0, 64);
	memcpy(p->report_data, buf, len);
	p->has_report_data = true;
	return 0;
}

int cvm_policy_add_measurement(struct cvm_policy *p, const uint8_t *buf, size_t len)
{
	if (len != 48)
		return -EINVAL;
	if (p->n_measurements >= CVM_POLICY_MEASUREMENTS_MAX)
		return -E2BIG;
	memcpy(p->measurements[p->n_measurements++], buf, 48);
	return 0;
}

void cvm_policy_set_snp_min_tcb(struct cvm_policy *p, const struct cvm_snp_min_tcb *t)
{
	p->min_tcb = *t;
	p->has_min_tcb = true;
}

void cvm_policy_set_vmpl_mask(struct cvm_policy *p, uint32_t mask)
{
	p->vmpl_mask = mask;
}

int cvm_policy_set_min_tee_tcb_svn(struct cvm_policy *p, const uint8_t *svn, size_t len)
{
	if (len != 16)
		return -EINVAL;
	memcpy(p->min_tee_tcb_svn, svn, 16);
	p->has_min_tee_tcb_svn = true;
	return 0;
}

int cvm_policy_set_rtmr(struct cvm_policy *p, unsigned idx, const uint8_t *buf, size_t len)
{
	if (idx > 3 || len != 48)
		return -EINVAL;
	memcpy(p->rtmr[idx], buf, 48);
	p->has_rtmr[idx] = true;
	return 0;
}

int cvm_snp_min_tcb_parse(const char *s, struct cvm_snp_min_tcb *ret)
{
	struct cvm_snp_min_tcb t = { -1, -1, -1, -1, -1 };
	_cleanup_free_ char *copy = strdup(s);
	char *save = NULL;

	if (!copy)
		return -ENOMEM;
	for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(tok, '='), *end;
		unsigned long v;
		int *slot;

		if (!eq)
			return -EINVAL;
		*eq = 0;
		if (strcmp(tok, "bl") == 0 || strcmp(tok, "bootloader") == 0)
			slot = &t.bootloader;
		else if (strcmp(tok, "tee") == 0)
			slot = &t.tee;
		else if (strcmp(tok, "snp") == 0)
			slot = &t.snp;
		else if (strcmp(tok, "ucode") == 0 || strcmp(tok, "microcode") == 0)
			slot = &t.microcode;
		else if (strcmp(tok, "fmc") == 0)
			slot = &t.fmc;
		else
			return -EINVAL;
		errno = 0;
		v = strtoul(eq + 1, &end, 0);
		if (errno || end == eq + 1 || *end || v > 255)
			return -EINVAL;
		*slot = (int)v;
	}
	*ret = t;
	return 0;
}

/* ---- JSON --------------------------------------------------------------------- */

static int json_hex(const struct cvm_ctx *ctx, json_t *v, const char *key, uint8_t *out,
		    size_t len, bool exact)
{
	if (!json_is_string(v) || cvm_hex_decode_fixed(json_string_value(v), out, len, NULL, exact) < 0) {
		log_error(ctx, "policy: \"%s\" must be a hex string of %s%zu bytes", key,
			  exact ? "" : "at most ", len);
		return -EINVAL;
	}
	return 0;
}

static int json_measurements(const struct cvm_ctx *ctx, struct cvm_policy *p, json_t *v,
			     const char *key)
{
	uint8_t m[48];
	json_t *e;
	size_t i;
	int r;

	if (json_is_string(v)) {
		r = json_hex(ctx, v, key, m, 48, true);
		return r < 0 ? r : cvm_policy_add_measurement(p, m, 48);
	}
	if (!json_is_array(v) || json_array_size(v) == 0) {
		log_error(ctx, "policy: \"%s\" must be a hex string or a non-empty array of them", key);
		return -EINVAL;
	}
	json_array_foreach(v, i, e) {
		r = json_hex(ctx, e, key, m, 48, true);
		if (r < 0)
			return r;
		r = cvm_policy_add_measurement(p, m, 48);
		if (r < 0)
			return r;
	}
	return 0;
}

static int json_uint(const struct cvm_ctx *ctx, json_t *v, const char *key, json_int_t max,
		     json_int_t *ret)
{
	if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > max) {
		log_error(ctx, "policy: \"%s\" must be an integer from 0 to %lld", key, (long long)max);
		return -EINVAL;
	}
	*ret = json_integer_value(v);
	return 0;
}

static int load_min_tcb(const struct cvm_ctx *ctx, struct cvm_policy *p, json_t *obj)
{
	struct cvm_snp_min_tcb t = { -1, -1, -1, -1, -1 };
	const char *key;
	json_t *v;

	if (!json_is_object(obj))
		return log_error_errno(ctx, -EINVAL, "policy: \"snp.min_tcb\" must be an object");
	json_object_foreach(obj, key, v) {
		json_int_t n;
		int *slot;

		if (strcmp(key, "bootloader") == 0)
			slot = &t.bootloader;
		else if (strcmp(key, "tee") == 0)
			slot = &t.tee;
		else if (strcmp(key, "snp") == 0)
			slot = &t.snp;
		else if (strcmp(key, "microcode") == 0)
			slot = &t.microcode;
		else if (strcmp(key, "fmc") == 0)
			slot = &t.fmc;
		else {
			log_error(ctx, "policy: unknown key \"snp.min_tcb.%s\"", key);
			return -EINVAL;
		}
		if (json_uint(ctx, v, key, 255, &n) < 0)
			return -EINVAL;
		*slot = (int)n;
	}
	cvm_policy_set_snp_min_tcb(p, &t);
	return 0;
}

static int load_snp(const struct cvm_ctx *ctx, struct cvm_policy *p, json_t *obj)
{
	const char *key;
	json_t *v;
	int r;

	if (!json_is_object(obj))
		return log_error_errno(ctx, -EINVAL, "policy: \"snp\" must be an object");
	json_object_foreach(obj, key, v) {
		json_int_t n;

		if (strcmp(key, "min_tcb") == 0) {
			r = load_min_tcb(ctx, p, v);
		} else if (strcmp(key, "vmpl") == 0) {
			uint32_t mask = 0;

			if (json_is_integer(v)) {
				r = json_uint(ctx, v, "snp.vmpl", 3, &n);
				if (r == 0)
					mask = 1u << n;
			} else if (json_is_array(v) && json_array_size(v) > 0) {
				size_t i;
				json_t *e;

				r = 0;
				json_array_foreach(v, i, e) {
					r = json_uint(ctx, e, "snp.vmpl", 3, &n);
					if (r < 0)
						break;
					mask |= 1u << n;
				}
			} else {
				log_error(ctx, "policy: \"snp.vmpl\" must be a VMPL or an array of VMPLs");
				r = -EINVAL;
			}
			if (r == 0)
				cvm_policy_set_vmpl_mask(p, mask);
		} else if (strcmp(key, "min_guest_svn") == 0) {
			r = json_uint(ctx, v, "snp.min_guest_svn", UINT32_MAX, &n);
			if (r == 0) {
				p->has_min_guest_svn = true;
				p->min_guest_svn = (uint32_t)n;
			}
		} else if (strcmp(key, "host_data") == 0) {
			r = json_hex(ctx, v, "snp.host_data", p->host_data, 32, true);
			p->has_host_data = r == 0;
		} else {
			log_error(ctx, "policy: unknown key \"snp.%s\"", key);
			r = -EINVAL;
		}
		if (r < 0)
			return r;
	}
	return 0;
}

static int load_tdx(const struct cvm_ctx *ctx, struct cvm_policy *p, json_t *obj)
{
	const char *key;
	json_t *v;
	int r;

	if (!json_is_object(obj))
		return log_error_errno(ctx, -EINVAL, "policy: \"tdx\" must be an object");
	json_object_foreach(obj, key, v) {
		if (strcmp(key, "min_tee_tcb_svn") == 0) {
			r = json_hex(ctx, v, "tdx.min_tee_tcb_svn", p->min_tee_tcb_svn, 16, true);
			p->has_min_tee_tcb_svn = r == 0;
		} else if (strncmp(key, "rtmr", 4) == 0 && key[4] >= '0' && key[4] <= '3' && !key[5]) {
			int i = key[4] - '0';

			r = json_hex(ctx, v, key, p->rtmr[i], 48, true);
			p->has_rtmr[i] = r == 0;
		} else if (strcmp(key, "mrconfigid") == 0) {
			r = json_hex(ctx, v, "tdx.mrconfigid", p->mrconfigid, 48, true);
			p->has_mrconfigid = r == 0;
		} else if (strcmp(key, "mrowner") == 0) {
			r = json_hex(ctx, v, "tdx.mrowner", p->mrowner, 48, true);
			p->has_mrowner = r == 0;
		} else if (strcmp(key, "mrownerconfig") == 0) {
			r = json_hex(ctx, v, "tdx.mrownerconfig", p->mrownerconfig, 48, true);
			p->has_mrownerconfig = r == 0;
		} else {
			log_error(ctx, "policy: unknown key \"tdx.%s\"", key);
			r = -EINVAL;
		}
		if (r < 0)
			return r;
	}
	return 0;
}

int cvm_policy_load_json(struct cvm_ctx *ctx, struct cvm_policy *p, const char *json, size_t len)
{
	_cleanup_(json_decrefp) json_t *root = NULL;
	json_error_t err;
	const char *key;
	json_t *v;
	int r;

	if (!p || !json)
		return -EINVAL;
	root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &err);
	if (!root)
		return log_error_errno(ctx, -EINVAL, "policy: line %d: %s", err.line, err.text);
	if (!json_is_object(root))
		return log_error_errno(ctx, -EINVAL, "policy: must be a JSON object");
	json_object_foreach(root, key, v) {
		if (strcmp(key, "allow_debug") == 0) {
			if (!json_is_boolean(v)) {
				log_error(ctx, "policy: \"allow_debug\" must be true or false");
				return -EINVAL;
			}
			p->allow_debug = json_is_true(v);
			r = 0;
		} else if (strcmp(key, "report_data") == 0) {
			size_t n;

			if (!json_is_string(v) ||
			    cvm_hex_decode_fixed(json_string_value(v), p->report_data, 64, &n, false) < 0) {
				log_error(ctx, "policy: \"report_data\" must be hex of 1 to 64 bytes");
				return -EINVAL;
			}
			p->has_report_data = true;
			r = 0;
		} else if (strcmp(key, "measurement") == 0) {
			r = json_measurements(ctx, p, v, "measurement");
		} else if (strcmp(key, "snp") == 0) {
			r = load_snp(ctx, p, v);
		} else if (strcmp(key, "tdx") == 0) {
			r = load_tdx(ctx, p, v);
		} else if (strcmp(key, "comment") == 0 || key[0] == '#') {
			r = 0;
		} else {
			log_error(ctx, "policy: unknown key \"%s\"", key);
			r = -EINVAL;
		}
		if (r < 0)
			return r;
	}
	return 0;
}

int cvm_policy_load_file(struct cvm_ctx *ctx, struct cvm_policy *p, const char *path)
{
	_cleanup_free_ uint8_t *buf = NULL;
	size_t len;
	int r;

	r = read_file(path, 1024 * 1024, &buf, &len);
	if (r < 0)
		return log_error_errno(ctx, r, "Failed to read policy %s: %s", path, strerror(-r));
	return cvm_policy_load_json(ctx, p, (const char *)buf, len);
}

/* ---- checks --------------------------------------------------------------------- */

static void hex48(const uint8_t *m, char out[97])
{
	cvm_hex_encode(m, 48, out);
}

static void check_measurement(const struct cvm_policy *p, const uint8_t *m, const char *name,
			      struct cvm_result *r)
{
	char hex[97];

	if (!p->n_measurements)
		return;
	for (size_t i = 0; i < p->n_measurements; i++)
		if (memcmp(p->measurements[i], m, 48) == 0)
			return;
	hex48(m, hex);
	result_error(r, CVM_STATUS_POLICY, "%s %s is not an expected value", name, hex);
}

static void check_tcb_part(struct cvm_result *r, const char *name, int min, uint8_t have)
{
	if (min >= 0 && have < min)
		result_error(r, CVM_STATUS_POLICY, "REPORTED_TCB %s SPL %u is below the minimum %d", name,
			     have, min);
}

void policy_check_snp(const struct cvm_policy *p, const struct cvm_snp_report *s,
		      bool check_report_data, struct cvm_result *r)
{
	r->policy_evaluated = true;
	if ((s->policy & SNP_POLICY_DEBUG) && !p->allow_debug)
		result_error(r, CVM_STATUS_POLICY,
			     "the guest policy allows debugging (POLICY bit 19): the host can read guest memory");
	if (check_report_data && p->has_report_data && memcmp(p->report_data, s->report_data, 64) != 0)
		result_error(r, CVM_STATUS_POLICY, "REPORT_DATA differs from the expected value");
	check_measurement(p, s->measurement, "MEASUREMENT", r);
	if (p->has_min_tcb) {
		const struct cvm_snp_tcb *t = &s->reported_tcb;

		check_tcb_part(r, "bootloader", p->min_tcb.bootloader, t->bootloader);
		check_tcb_part(r, "TEE", p->min_tcb.tee, t->tee);
		check_tcb_part(r, "SNP", p->min_tcb.snp, t->snp);
		check_tcb_part(r, "microcode", p->min_tcb.microcode, t->microcode);
		if (t->turin)
			check_tcb_part(r, "FMC", p->min_tcb.fmc, t->fmc);
	}
	if (p->vmpl_mask && (s->vmpl > 31 || !(p->vmpl_mask & (1u << s->vmpl))))
		result_error(r, CVM_STATUS_POLICY, "VMPL %u is not allowed", s->vmpl);
	if (p->has_min_guest_svn && s->guest_svn < p->min_guest_svn)
		result_error(r, CVM_STATUS_POLICY, "GUEST_SVN %u is below the minimum %u", s->guest_svn,
			     p->min_guest_svn);
	if (p->has_host_data && memcmp(p->host_data, s->host_data, 32) != 0)
		result_error(r, CVM_STATUS_POLICY, "HOST_DATA differs from the expected value");
}

static void check_mr(struct cvm_result *r, bool has, const uint8_t *want, const uint8_t *have,
		     const char *name)
{
	char hex[97];

	if (!has || memcmp(want, have, 48) == 0)
		return;
	hex48(have, hex);
	result_error(r, CVM_STATUS_POLICY, "%s %s differs from the expected value", name, hex);
}

void policy_check_td(const struct cvm_policy *p, const struct td_view *td, bool check_report_data,
		     struct cvm_result *r)
{
	static const char *const rtmr_names[] = { "RTMR0", "RTMR1", "RTMR2", "RTMR3" };

	r->policy_evaluated = true;
	if ((td->td_attributes & TDX_TD_ATTR_DEBUG) && !p->allow_debug)
		result_error(r, CVM_STATUS_POLICY,
			     "the TD is debuggable (TD_ATTRIBUTES.DEBUG): the host can read its memory");
	/* QVL requires SEAMATTRIBUTES zero; non-zero marks a debug TDX module. */
	if (td->seam_attributes && !p->allow_debug)
		result_error(r, CVM_STATUS_POLICY, "SEAM_ATTRIBUTES 0x%llx is not zero (debug TDX module)",
			     (unsigned long long)td->seam_attributes);
	if (check_report_data && p->has_report_data && memcmp(p->report_data, td->report_data, 64) != 0)
		result_error(r, CVM_STATUS_POLICY, "REPORT_DATA differs from the expected value");
	check_measurement(p, td->mrtd, "MRTD", r);
	if (p->has_min_tee_tcb_svn)
		for (int i = 0; i < 16; i++)
			if (td->tee_tcb_svn[i] < p->min_tee_tcb_svn[i]) {
				result_error(r, CVM_STATUS_POLICY,
					     "TEE_TCB_SVN[%d] %u is below the minimum %u", i,
					     td->tee_tcb_svn[i], p->min_tee_tcb_svn[i]);
				break;
			}
	for (int i = 0; i < 4; i++)
		check_mr(r, p->has_rtmr[i], p->rtmr[i], td->rtmr[i], rtmr_names[i]);
	check_mr(r, p->has_mrconfigid, p->mrconfigid, td->mrconfigid, "MRCONFIGID");
	check_mr(r, p->has_mrowner, p->mrowner, td->mrowner, "MROWNER");
	check_mr(r, p->has_mrownerconfig, p->mrownerconfig, td->mrownerconfig, "MROWNERCONFIG");
}

void policy_check_hcl_user_data(const struct cvm_policy *p, const struct cvm_hcl_claims *c,
				struct cvm_result *r)
{
	if (!p->has_report_data)
		return;
	if (!c->has_user_data)
		result_error(r, CVM_STATUS_POLICY, "the runtime claims carry no user-data to compare");
	else if (memcmp(p->report_data, c->user_data, 64) != 0)
		result_error(r, CVM_STATUS_POLICY, "runtime claims user-data differs from the expected REPORT_DATA");
}

/* ---- what a verified result leaves open ---------------------------------------- */

/*
 * An OK is only as strong as what was compared: each line names something a
 * relying party might assume was checked and was not, so that it can check
 * it elsewhere or require it here.
 */
void policy_unchecked(const struct cvm_policy *p, struct cvm_result *r)
{
	if (!cvm_result_verified(r))
		return;
	if (r->has_snp) {
		/* AMD CRL: consulted when given (--crl) or cached, and then current and signed. */
		if (!r->snp_crl_checked)
			result_unchecked(r, "revocation of the ASK and VCEK: AMD's CRL (KDS /vcek/v1/%s/crl) "
					 "is not consulted", cvm_snp_product_name(r->snp.product));
		if (!p->has_min_tcb)
			result_unchecked(r, "REPORTED_TCB level: no minimum given (--min-tcb); whether "
					 "it is AMD's latest is never checked offline");
		if (!p->vmpl_mask)
			result_unchecked(r, "VMPL: any accepted (--vmpl)");
	}
	if (r->has_quote) {
		char fmspc[13] = "?";

		if (r->pck.has_fmspc)
			cvm_hex_encode(r->pck.fmspc, 6, fmspc);
		result_unchecked(r, "TCB status: TEE_TCB_SVN and the PCK's SVNs against Intel's TCB "
				 "Info for FMSPC %s (Intel PCS collateral, not consulted)", fmspc);
		result_unchecked(r, "QE identity: the quoting enclave's MRSIGNER, ISVPRODID and ISVSVN "
				 "against Intel's QE Identity (not consulted)");
		result_unchecked(r, "revocation: Intel's PCK CRL and Root CA CRL are not consulted");
		if (!p->has_min_tee_tcb_svn)
			result_unchecked(r, "TEE_TCB_SVN: no minimum given (--min-tee-tcb-svn)");
		if (!p->has_rtmr[0] && !p->has_rtmr[1] && !p->has_rtmr[2] && !p->has_rtmr[3])
			result_unchecked(r, "RTMR0-3: no expected value given (--rtmr)");
	}
	if (!p->n_measurements)
		result_unchecked(r, "%s: no expected value given (--measurement)",
				 r->has_snp ? "MEASUREMENT" : "MRTD");
	if (!p->has_report_data)
		result_unchecked(r, "REPORT_DATA: no expected value given (--report-data): freshness "
				 "and what the report binds are the caller's to check");
	if (r->has_hcl)
		result_unchecked(r, "the vTPM's PCRs: the HCL report binds the vTPM's keys, not its "
				 "measurements");
}
