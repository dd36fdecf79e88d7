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

int cvm_policy_set_tdx_tcb_statuses(struct cvm_policy *p, const char *list)
{
	_cleanup_free_ char *copy = strdup(list);
	uint32_t mask = 0;
	char *save = NULL;

	if (!copy)
		return -ENOMEM;
	for (char *t = strtok_r(copy, ", ", &save); t; t = strtok_r(NULL, ", ", &save)) {
		int s = tdx_tcb_status_from_name(t);

		if (s < 0 || s >= _TDX_TCB_ACCEPTABLE_MAX)
			return -EINVAL;
		mask |= 1u << s;
	}
	if (!mask)
		return -EINVAL;
	p->tdx_tcb_statuses = mask;
	return 0;
}

void cvm_policy_set_min_tcb_eval_num(struct cvm_policy *p, uint32_t n)
{
	p->min_tcb_eval_num = n;
	p->has_min_tcb_eval_num = true;
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

/* issue 19, below: true if @key is one of theirs, with its verdict in *ret. */
static bool load_snp_more(const struct cvm_ctx *ctx, struct cvm_policy *p, const char *key,
			  json_t *v, int *ret);
static bool load_tdx_more(const struct cvm_ctx *ctx, struct cvm_policy *p, const char *key,
			  json_t *v, int *ret);

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
		} else if (load_snp_more(ctx, p, key, v, &r)) {
			/* issue 19: the fields of policy.c "more fields" */
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
		} else if (strcmp(key, "tcb_status") == 0) {
			r = -EINVAL;
			if (json_is_string(v)) {
				r = cvm_policy_set_tdx_tcb_statuses(p, json_string_value(v));
			} else if (json_is_array(v) && json_array_size(v) > 0) {
				uint32_t mask = 0;
				size_t i;
				json_t *e;

				r = 0;
				json_array_foreach(v, i, e) {
					int st = json_is_string(e) ? tdx_tcb_status_from_name(json_string_value(e)) : -1;

					if (st < 0 || st >= _TDX_TCB_ACCEPTABLE_MAX) {
						r = -EINVAL;
						break;
					}
					mask |= 1u << st;
				}
				if (r == 0)
					p->tdx_tcb_statuses = mask;
			}
			if (r < 0)
				log_error(ctx, "policy: \"tdx.tcb_status\" must be a list of Intel TCB statuses "
					  "(UpToDate, SWHardeningNeeded, ConfigurationNeeded, "
					  "ConfigurationAndSWHardeningNeeded, OutOfDate, "
					  "OutOfDateConfigurationNeeded, TDRelaunchAdvised, "
					  "TDRelaunchAdvisedConfigurationNeeded)");
		} else if (strcmp(key, "min_tcb_eval_num") == 0) {
			json_int_t n;

			r = json_uint(ctx, v, "tdx.min_tcb_eval_num", UINT32_MAX, &n);
			if (r == 0)
				cvm_policy_set_min_tcb_eval_num(p, (uint32_t)n);
		} else if (load_tdx_more(ctx, p, key, v, &r)) {
			/* issue 19: mrconfigid, mrowner, mrownerconfig and the fields after them */
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
	policy_check_snp_more(p, s, r);
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
	policy_check_td_more(p, td, r);
}

void policy_check_tdx_tcb(const struct cvm_policy *p, struct cvm_result *r)
{
	const struct tdx_coll *c = &r->tdxc;
	uint32_t accepted = p->tdx_tcb_statuses ? p->tdx_tcb_statuses : 1u << TDX_TCB_UP_TO_DATE;

	if (!c->checked)
		return;
	if (c->tcb_status >= 0 && c->tcb_status < _TDX_TCB_ACCEPTABLE_MAX &&
	    !(accepted & (1u << c->tcb_status))) {
		char adv[512] = "";

		for (size_t i = 0; i < c->n_advisories; i++)
			snprintf(adv + strlen(adv), sizeof(adv) - strlen(adv), "%s%s", i ? ", " : "",
				 c->advisories[i]);
		result_error(r, CVM_STATUS_POLICY,
			     "TDX TCB status %s is not accepted (advisories: %s); platform %s, QE %s; "
			     "accept it with --tdx-tcb-status or update the platform",
			     tdx_tcb_status_name(c->tcb_status), adv[0] ? adv : "none",
			     tdx_tcb_status_name(c->tcb_level_status), tdx_tcb_status_name(c->qe_status));
	}
	if (p->has_min_tcb_eval_num && c->tcb_eval_num < p->min_tcb_eval_num)
		result_error(r, CVM_STATUS_POLICY,
			     "tcbEvaluationDataNumber %u of the TCB Info is below the minimum %u: fetch "
			     "newer collateral ('cvmattest fetch QUOTE')", c->tcb_eval_num,
			     p->min_tcb_eval_num);
	if (p->has_min_tcb_eval_num && c->qe_eval_num < p->min_tcb_eval_num)
		result_error(r, CVM_STATUS_POLICY,
			     "tcbEvaluationDataNumber %u of the QE Identity is below the minimum %u",
			     c->qe_eval_num, p->min_tcb_eval_num);
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
		if (!r->tdxc.checked) {
			result_unchecked(r, "TCB status: TEE_TCB_SVN and the PCK's SVNs against Intel's "
					 "TCB Info for FMSPC %s (no collateral: 'cvmattest fetch QUOTE' "
					 "or --collateral DIR)", fmspc);
			result_unchecked(r, "QE identity: the quoting enclave's MRSIGNER, ISVPRODID and "
					 "ISVSVN against Intel's QE Identity (not consulted)");
			result_unchecked(r, "revocation: Intel's PCK CRL and Root CA CRL are not consulted");
		} else if (r->quote.body.tdx15) {
			result_unchecked(r, "TD relaunch (TEE_TCB_SVN2 against the TCB Info, TDX 1.5): "
					 "not evaluated");
		}
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
	policy_unchecked_more(p, r);
	if (r->has_hcl && !r->tpm_quote_ok)
		result_unchecked(r, "the vTPM's PCRs: the HCL report binds the vTPM's keys, not its "
				 "measurements");
	if (r->tpm_quote_ok)
		result_unchecked(r, "the vTPM's PCRs: quoted by the AK, but not compared with expected values");
	if (r->tpm_quote_ok && !r->tpm_nonce_checked)
		result_unchecked(r, "the TPM quote's freshness: no nonce given to compare its extraData with");
	if (r->td_quote_given)
		result_unchecked(r, "the TDREPORT's CPUSVN%s: the TD quote does not carry %s, so it "
				 "does not vouch for %s", r->quote.body.tdx15 ? "" : ", TEE_TCB_SVN2 and SERVTD_HASH",
				 r->quote.body.tdx15 ? "it" : "them", r->quote.body.tdx15 ? "it" : "them");
}

/* ---- issue 19: the full set of fields ------------------------------------------- */

/*
 * Named bits of the 64-bit fields a policy can constrain.  @opt is the name
 * in options and policy files; NULL for one it must not set (DEBUG: see
 * allow_debug).
 */
struct bit_name {
	unsigned bit;
	const char *name;	/* as the specification spells it */
	const char *opt;
};

/*
 * Guest POLICY: AMD SEV-SNP Firmware ABI (56860), "Guest Policy" table, as
 * ../shared/reference/evidence-formats.md §1.3 gives it (go-sev-guest
 * abi.go ParseSnpPolicy, virtee/sev GuestPolicy).  Bits 7:0 ABI_MINOR and
 * 15:8 ABI_MAJOR are checked by min_policy_abi.
 */
static const struct bit_name guest_policy_bits[] = {
	{ 16, "SMT", "smt" },
	{ 17, "RESERVED_1", NULL },
	{ 18, "MIGRATE_MA", "migrate-ma" },
	{ 19, "DEBUG", NULL },
	{ 20, "SINGLE_SOCKET", "single-socket" },
	{ 21, "CXL_ALLOW", "cxl-allow" },
	{ 22, "MEM_AES_256_XTS", "mem-aes-256-xts" },
	{ 23, "RAPL_DIS", "rapl-dis" },
	{ 24, "CIPHERTEXT_HIDING", "ciphertext-hiding" },
	{ 25, "PAGE_SWAP_DISABLE", "page-swap-disable" },
};

/* PLATFORM_INFO: AMD 56860 "PLATFORM_INFO"; evidence-formats.md §1.4 (GSG ParseSnpPlatformInfo). */
static const struct bit_name platform_info_bits[] = {
	{ 0, "SMT_EN", "smt" },
	{ 1, "TSME_EN", "tsme" },
	{ 2, "ECC_EN", "ecc" },
	{ 3, "RAPL_DIS", "rapl-dis" },
	{ 4, "CIPHERTEXT_HIDING_DRAM_EN", "ciphertext-hiding" },
	{ 5, "ALIAS_CHECK_COMPLETE", "alias-check-complete" },
	{ 7, "TIO_EN", "tio" },
};

/*
 * TD_ATTRIBUTES: Intel TDX Module ABI specification, "TD_ATTRIBUTES" (the
 * same bits in QEMU target/i386/kvm/tdx.c and Linux's TDX_TD_ATTR_*).
 */
static const struct bit_name td_attributes_bits[] = {
	{ 0, "DEBUG", NULL },
	{ 27, "LASS", "lass" },
	{ 28, "SEPT_VE_DISABLE", "sept-ve-disable" },
	{ 29, "MIGRATABLE", "migratable" },
	{ 30, "PKS", "pks" },
	{ 31, "KL", "kl" },
	{ 63, "PERFMON", "perfmon" },
};

static const struct {
	const char *name;		/* in messages */
	const struct bit_name *bits;
	size_t n_bits;
} bits_fields[CVM_POLICY_BITS_COUNT] = {
	[CVM_POLICY_SNP_GUEST_POLICY] = { "POLICY", guest_policy_bits, ELEMENTSOF(guest_policy_bits) },
	[CVM_POLICY_SNP_PLATFORM_INFO] = { "PLATFORM_INFO", platform_info_bits,
					   ELEMENTSOF(platform_info_bits) },
	[CVM_POLICY_TDX_TD_ATTRIBUTES] = { "TD_ATTRIBUTES", td_attributes_bits,
					   ELEMENTSOF(td_attributes_bits) },
	[CVM_POLICY_TDX_XFAM] = { "XFAM", NULL, 0 },
};

static const struct {
	const char *name;		/* in messages: the specification's */
	const char *key;		/* policy file key */
	size_t len;
} value_fields[CVM_POLICY_FIELD_COUNT] = {
	[CVM_POLICY_SNP_ID_KEY_DIGEST] = { "ID_KEY_DIGEST", "snp.id_key_digest", 48 },
	[CVM_POLICY_SNP_AUTHOR_KEY_DIGEST] = { "AUTHOR_KEY_DIGEST", "snp.author_key_digest", 48 },
	[CVM_POLICY_SNP_FAMILY_ID] = { "FAMILY_ID", "snp.family_id", 16 },
	[CVM_POLICY_SNP_IMAGE_ID] = { "IMAGE_ID", "snp.image_id", 16 },
	[CVM_POLICY_TDX_MRSEAM] = { "MRSEAM", "tdx.mrseam", 48 },
	[CVM_POLICY_TDX_MRSIGNERSEAM] = { "MRSIGNERSEAM", "tdx.mrsignerseam", 48 },
	[CVM_POLICY_TDX_MRCONFIGID] = { "MRCONFIGID", "tdx.mrconfigid", 48 },
	[CVM_POLICY_TDX_MROWNER] = { "MROWNER", "tdx.mrowner", 48 },
	[CVM_POLICY_TDX_MROWNERCONFIG] = { "MROWNERCONFIG", "tdx.mrownerconfig", 48 },
};

static const char *const tcb_kind_names[CVM_SNP_TCB_KIND_COUNT] = {
	"REPORTED_TCB", "LAUNCH_TCB", "COMMITTED_TCB", "CURRENT_TCB",
};

size_t cvm_policy_field_len(enum cvm_policy_field f)
{
	return (unsigned)f < CVM_POLICY_FIELD_COUNT ? value_fields[f].len : 0;
}

int cvm_policy_add_value(struct cvm_policy *p, enum cvm_policy_field f, const uint8_t *buf, size_t len)
{
	if ((unsigned)f >= CVM_POLICY_FIELD_COUNT || len != value_fields[f].len)
		return -EINVAL;
	if (p->n_values[f] >= CVM_POLICY_VALUES_MAX)
		return -E2BIG;
	memcpy(p->values[f][p->n_values[f]++], buf, len);
	return 0;
}

int cvm_policy_set_snp_min_tcb_of(struct cvm_policy *p, enum cvm_snp_tcb_kind k,
				  const struct cvm_snp_min_tcb *t)
{
	if ((unsigned)k >= CVM_SNP_TCB_KIND_COUNT)
		return -EINVAL;
	if (k == CVM_SNP_TCB_REPORTED) {
		cvm_policy_set_snp_min_tcb(p, t);
		return 0;
	}
	p->min_tcb_of[k] = *t;
	p->has_min_tcb_of[k] = true;
	return 0;
}

void cvm_policy_set_snp_min_guest_svn(struct cvm_policy *p, uint32_t svn)
{
	p->min_guest_svn = svn;
	p->has_min_guest_svn = true;
}

void cvm_policy_set_snp_min_report_version(struct cvm_policy *p, uint32_t version)
{
	p->min_report_version = version;
	p->has_min_report_version = true;
}

void cvm_policy_set_snp_min_policy_abi(struct cvm_policy *p, uint8_t major, uint8_t minor)
{
	p->min_policy_abi_major = major;
	p->min_policy_abi_minor = minor;
	p->has_min_policy_abi = true;
}

void cvm_policy_set_snp_require_id_key(struct cvm_policy *p, bool require)
{
	p->require_id_key = require;
}

void cvm_policy_set_snp_require_author_key(struct cvm_policy *p, bool require)
{
	p->require_author_key = require;
}

int cvm_policy_set_bits(struct cvm_policy *p, enum cvm_policy_bits f, uint64_t value, uint64_t mask)
{
	if ((unsigned)f >= CVM_POLICY_BITS_COUNT || (value & ~mask))
		return -EINVAL;
	p->bits_value[f] = (p->bits_value[f] & ~mask) | value;
	p->bits_mask[f] |= mask;
	return 0;
}

void cvm_policy_set_tdx_min_qe_svn(struct cvm_policy *p, uint16_t svn)
{
	p->min_qe_svn = svn;
	p->has_min_qe_svn = true;
}

void cvm_policy_set_tdx_min_pce_svn(struct cvm_policy *p, uint16_t svn)
{
	p->min_pce_svn = svn;
	p->has_min_pce_svn = true;
}

static bool parse_u64(const char *s, const char *end, uint64_t *ret)
{
	char buf[32], *e;
	size_t n = (size_t)(end - s);
	unsigned long long v;

	if (n == 0 || n >= sizeof(buf) || s[0] == '-' || s[0] == '+' || s[0] == ' ')
		return false;
	memcpy(buf, s, n);
	buf[n] = 0;
	errno = 0;
	v = strtoull(buf, &e, 0);
	if (errno || *e)
		return false;
	*ret = v;
	return true;
}

/* "smt" and "SMT_EN", "-" and "_" alike. */
static bool bit_name_is(const struct bit_name *b, const char *s, size_t n)
{
	const char *names[] = { b->opt, b->name };

	if (!b->opt)
		return false;
	for (size_t k = 0; k < ELEMENTSOF(names); k++) {
		size_t i;

		if (strlen(names[k]) != n)
			continue;
		for (i = 0; i < n; i++) {
			char a = s[i] == '_' ? '-' : (char)(s[i] >= 'A' && s[i] <= 'Z' ? s[i] - 'A' + 'a' : s[i]);
			char c = names[k][i] == '_' ? '-' :
				 (char)(names[k][i] >= 'A' && names[k][i] <= 'Z' ? names[k][i] - 'A' + 'a' : names[k][i]);

			if (a != c)
				break;
		}
		if (i == n)
			return true;
	}
	return false;
}

int cvm_policy_bits_parse(enum cvm_policy_bits f, const char *s, uint64_t *value, uint64_t *mask)
{
	const char *slash;
	uint64_t v = 0, m = 0;

	if ((unsigned)f >= CVM_POLICY_BITS_COUNT || !s || !*s)
		return -EINVAL;
	slash = strchr(s, '/');
	if (slash) {
		if (!parse_u64(s, slash, &v) || !parse_u64(slash + 1, slash + 1 + strlen(slash + 1), &m) ||
		    (v & ~m) || !m)
			return -EINVAL;
		*value = v;
		*mask = m;
		return 0;
	}
	while (*s) {
		size_t tok = strcspn(s, ","), n = tok;
		bool set = true, found = false;
		const char *name = s;

		if (n > 1 && name[0] == '!') {
			set = false;
			name++, n--;
		} else if (n > 3 && strncmp(name, "no-", 3) == 0) {
			set = false;
			name += 3, n -= 3;
		}
		for (size_t i = 0; i < bits_fields[f].n_bits && !found; i++)
			if (bit_name_is(&bits_fields[f].bits[i], name, n)) {
				uint64_t b = 1ULL << bits_fields[f].bits[i].bit;

				found = true;
				m |= b;
				v = set ? v | b : v & ~b;
			}
		if (!found)
			return -EINVAL;
		s += tok;
		if (*s == ',' && !*++s)
			return -EINVAL;
	}
	*value = v;
	*mask = m;
	return 0;
}

/* Names that cvm_policy_bits_parse() takes for @f, for a message: "smt, tsme, ...". */
static void bit_names_list(enum cvm_policy_bits f, char *out, size_t size)
{
	size_t used = 0;

	out[0] = 0;
	for (size_t i = 0; i < bits_fields[f].n_bits; i++) {
		if (!bits_fields[f].bits[i].opt)
			continue;
		used += (size_t)snprintf(out + used, used < size ? size - used : 0, "%s%s", used ? ", " : "",
					 bits_fields[f].bits[i].opt);
		if (used >= size)
			break;
	}
}

/* ---- JSON (issue 19) -- */

static int json_values(const struct cvm_ctx *ctx, struct cvm_policy *p, json_t *v,
		       enum cvm_policy_field f)
{
	const char *key = value_fields[f].key;
	size_t len = value_fields[f].len;
	uint8_t m[48];
	json_t *e;
	size_t i;
	int r;

	if (json_is_string(v)) {
		r = json_hex(ctx, v, key, m, len, true);
		return r < 0 ? r : cvm_policy_add_value(p, f, m, len);
	}
	if (!json_is_array(v) || json_array_size(v) == 0) {
		log_error(ctx, "policy: \"%s\" must be a hex string of %zu bytes or a non-empty array of them",
			  key, len);
		return -EINVAL;
	}
	json_array_foreach(v, i, e) {
		r = json_hex(ctx, e, key, m, len, true);
		if (r < 0)
			return r;
		r = cvm_policy_add_value(p, f, m, len);
		if (r < 0)
			return log_error_errno(ctx, r, "policy: \"%s\": at most %d values", key,
					       CVM_POLICY_VALUES_MAX);
	}
	return 0;
}

/* An object of names -> true/false, or a "VALUE/MASK" string. */
static int json_bits(const struct cvm_ctx *ctx, struct cvm_policy *p, json_t *v, enum cvm_policy_bits f,
		     const char *key)
{
	uint64_t value = 0, mask = 0;
	char names[256];
	const char *name;
	json_t *e;

	bit_names_list(f, names, sizeof(names));
	if (json_is_string(v)) {
		if (cvm_policy_bits_parse(f, json_string_value(v), &value, &mask) < 0 ||
		    !strchr(json_string_value(v), '/')) {
			log_error(ctx, "policy: \"%s\" must be \"VALUE/MASK\" (e.g. \"0x0/0x1\")%s%s%s", key,
				  names[0] ? " or an object of bit names to true or false (" : "", names,
				  names[0] ? ")" : "");
			return -EINVAL;
		}
		return cvm_policy_set_bits(p, f, value, mask);
	}
	if (!json_is_object(v) || !names[0] || json_object_size(v) == 0) {
		log_error(ctx, "policy: \"%s\" must be \"VALUE/MASK\"%s%s%s", key,
			  names[0] ? " or an object of bit names to true or false (" : "", names,
			  names[0] ? ")" : "");
		return -EINVAL;
	}
	json_object_foreach(v, name, e) {
		uint64_t b1, m1;

		if (!json_is_boolean(e) || cvm_policy_bits_parse(f, name, &b1, &m1) < 0 || strchr(name, ',') ||
		    strchr(name, '/') || name[0] == '!' || strncmp(name, "no-", 3) == 0) {
			log_error(ctx, "policy: \"%s.%s\": expected one of %s, each true or false", key, name,
				  names);
			return -EINVAL;
		}
		mask |= m1;
		if (json_is_true(e))
			value |= m1;
	}
	return cvm_policy_set_bits(p, f, value, mask);
}

static int parse_min_tcb_obj(const struct cvm_ctx *ctx, json_t *obj, const char *name,
			     struct cvm_snp_min_tcb *ret)
{
	struct cvm_snp_min_tcb t = { -1, -1, -1, -1, -1 };
	static const char *const parts[] = { "bootloader", "tee", "snp", "microcode", "fmc" };
	const char *key;
	json_t *v;

	if (!json_is_object(obj))
		return log_error_errno(ctx, -EINVAL, "policy: \"%s\" must be an object", name);
	json_object_foreach(obj, key, v) {
		int *slots[] = { &t.bootloader, &t.tee, &t.snp, &t.microcode, &t.fmc };
		json_int_t n;
		size_t i;

		for (i = 0; i < ELEMENTSOF(parts); i++)
			if (strcmp(key, parts[i]) == 0)
				break;
		if (i == ELEMENTSOF(parts)) {
			log_error(ctx, "policy: unknown key \"%s.%s\"", name, key);
			return -EINVAL;
		}
		if (json_uint(ctx, v, key, 255, &n) < 0)
			return -EINVAL;
		*slots[i] = (int)n;
	}
	*ret = t;
	return 0;
}

static bool load_snp_more(const struct cvm_ctx *ctx, struct cvm_policy *p, const char *key,
			  json_t *v, int *ret)
{
	static const struct {
		const char *key;
		enum cvm_policy_field f;
	} values[] = {
		{ "id_key_digest", CVM_POLICY_SNP_ID_KEY_DIGEST },
		{ "author_key_digest", CVM_POLICY_SNP_AUTHOR_KEY_DIGEST },
		{ "family_id", CVM_POLICY_SNP_FAMILY_ID },
		{ "image_id", CVM_POLICY_SNP_IMAGE_ID },
	};
	static const struct {
		const char *key;
		enum cvm_snp_tcb_kind k;
	} tcbs[] = {
		{ "min_launch_tcb", CVM_SNP_TCB_LAUNCH },
		{ "min_committed_tcb", CVM_SNP_TCB_COMMITTED },
		{ "min_current_tcb", CVM_SNP_TCB_CURRENT },
	};
	json_int_t n;

	for (size_t i = 0; i < ELEMENTSOF(values); i++)
		if (strcmp(key, values[i].key) == 0) {
			*ret = json_values(ctx, p, v, values[i].f);
			return true;
		}
	for (size_t i = 0; i < ELEMENTSOF(tcbs); i++)
		if (strcmp(key, tcbs[i].key) == 0) {
			struct cvm_snp_min_tcb t;
			char name[64];

			snprintf(name, sizeof(name), "snp.%s", key);
			*ret = parse_min_tcb_obj(ctx, v, name, &t);
			if (*ret == 0)
				*ret = cvm_policy_set_snp_min_tcb_of(p, tcbs[i].k, &t);
			return true;
		}
	if (strcmp(key, "require_id_key") == 0 || strcmp(key, "require_author_key") == 0) {
		if (!json_is_boolean(v)) {
			log_error(ctx, "policy: \"snp.%s\" must be true or false", key);
			*ret = -EINVAL;
		} else {
			if (key[8] == 'i')
				p->require_id_key = json_is_true(v);
			else
				p->require_author_key = json_is_true(v);
			*ret = 0;
		}
		return true;
	}
	if (strcmp(key, "guest_policy") == 0) {
		*ret = json_bits(ctx, p, v, CVM_POLICY_SNP_GUEST_POLICY, "snp.guest_policy");
		return true;
	}
	if (strcmp(key, "platform_info") == 0) {
		*ret = json_bits(ctx, p, v, CVM_POLICY_SNP_PLATFORM_INFO, "snp.platform_info");
		return true;
	}
	if (strcmp(key, "min_report_version") == 0) {
		*ret = json_uint(ctx, v, "snp.min_report_version", UINT32_MAX, &n);
		if (*ret == 0)
			cvm_policy_set_snp_min_report_version(p, (uint32_t)n);
		return true;
	}
	if (strcmp(key, "min_policy_abi") == 0) {
		unsigned major, minor;
		char end;

		if (!json_is_string(v) ||
		    sscanf(json_string_value(v), "%u.%u%c", &major, &minor, &end) != 2 || major > 255 ||
		    minor > 255 || !strchr("0123456789", json_string_value(v)[0])) {
			log_error(ctx, "policy: \"snp.min_policy_abi\" must be \"MAJOR.MINOR\", e.g. \"1.51\"");
			*ret = -EINVAL;
		} else {
			cvm_policy_set_snp_min_policy_abi(p, (uint8_t)major, (uint8_t)minor);
			*ret = 0;
		}
		return true;
	}
	return false;
}

static bool load_tdx_more(const struct cvm_ctx *ctx, struct cvm_policy *p, const char *key,
			  json_t *v, int *ret)
{
	static const struct {
		const char *key;
		enum cvm_policy_field f;
	} values[] = {
		{ "mrseam", CVM_POLICY_TDX_MRSEAM },
		{ "mrsignerseam", CVM_POLICY_TDX_MRSIGNERSEAM },
		{ "mrconfigid", CVM_POLICY_TDX_MRCONFIGID },
		{ "mrowner", CVM_POLICY_TDX_MROWNER },
		{ "mrownerconfig", CVM_POLICY_TDX_MROWNERCONFIG },
	};
	json_int_t n;

	for (size_t i = 0; i < ELEMENTSOF(values); i++)
		if (strcmp(key, values[i].key) == 0) {
			*ret = json_values(ctx, p, v, values[i].f);
			return true;
		}
	if (strcmp(key, "td_attributes") == 0) {
		*ret = json_bits(ctx, p, v, CVM_POLICY_TDX_TD_ATTRIBUTES, "tdx.td_attributes");
		return true;
	}
	if (strcmp(key, "xfam") == 0) {
		*ret = json_bits(ctx, p, v, CVM_POLICY_TDX_XFAM, "tdx.xfam");
		return true;
	}
	if (strcmp(key, "min_qe_svn") == 0 || strcmp(key, "min_pce_svn") == 0) {
		char name[32];

		snprintf(name, sizeof(name), "tdx.%s", key);
		*ret = json_uint(ctx, v, name, UINT16_MAX, &n);
		if (*ret == 0 && key[4] == 'q')
			cvm_policy_set_tdx_min_qe_svn(p, (uint16_t)n);
		else if (*ret == 0)
			cvm_policy_set_tdx_min_pce_svn(p, (uint16_t)n);
		return true;
	}
	return false;
}

/* ---- checks (issue 19) -- */

static void check_values(const struct cvm_policy *p, enum cvm_policy_field f, const uint8_t *have,
			 struct cvm_result *r)
{
	size_t n = p->n_values[f], len = value_fields[f].len;
	char hex[97], want[97];

	if (!n)
		return;
	for (size_t i = 0; i < n; i++)
		if (memcmp(p->values[f][i], have, len) == 0)
			return;
	cvm_hex_encode(have, len, hex);
	cvm_hex_encode(p->values[f][0], len, want);
	if (n == 1)
		result_error(r, CVM_STATUS_POLICY, "%s %s differs from the expected value %s",
			     value_fields[f].name, hex, want);
	else
		result_error(r, CVM_STATUS_POLICY, "%s %s is none of the %zu accepted values (%s, ...)",
			     value_fields[f].name, hex, n, want);
}

/* One message for all the bits of @f that differ: "POLICY 0x30000: SMT is 1, expected 0; ..." */
static void check_bits(const struct cvm_policy *p, enum cvm_policy_bits f, uint64_t have,
		       struct cvm_result *r)
{
	uint64_t bad = (have ^ p->bits_value[f]) & p->bits_mask[f];
	char msg[700];
	size_t used = 0;

	if (!bad)
		return;
	for (unsigned bit = 0; bit < 64 && used < sizeof(msg); bit++) {
		const char *name = NULL;

		if (!(bad & (1ULL << bit)))
			continue;
		for (size_t i = 0; i < bits_fields[f].n_bits; i++)
			if (bits_fields[f].bits[i].bit == bit)
				name = bits_fields[f].bits[i].name;
		if (name)
			used += (size_t)snprintf(msg + used, sizeof(msg) - used, "%s%s (bit %u) is %u, expected %u",
						 used ? "; " : "", name, bit, (unsigned)((have >> bit) & 1),
						 (unsigned)((p->bits_value[f] >> bit) & 1));
		else
			used += (size_t)snprintf(msg + used, sizeof(msg) - used, "%sbit %u is %u, expected %u",
						 used ? "; " : "", bit, (unsigned)((have >> bit) & 1),
						 (unsigned)((p->bits_value[f] >> bit) & 1));
	}
	result_error(r, CVM_STATUS_POLICY, "%s 0x%llx: %s (required 0x%llx under mask 0x%llx)",
		     bits_fields[f].name, (unsigned long long)have, msg,
		     (unsigned long long)p->bits_value[f], (unsigned long long)p->bits_mask[f]);
}

static void check_min_tcb_of(struct cvm_result *r, const char *field, const struct cvm_snp_min_tcb *m,
			     const struct cvm_snp_tcb *t)
{
	const struct {
		const char *name;
		int min;
		uint8_t have;
	} parts[] = {
		{ "bootloader", m->bootloader, t->bootloader },
		{ "TEE", m->tee, t->tee },
		{ "SNP", m->snp, t->snp },
		{ "microcode", m->microcode, t->microcode },
		{ "FMC", t->turin ? m->fmc : -1, t->fmc },
	};

	for (size_t i = 0; i < ELEMENTSOF(parts); i++)
		if (parts[i].min >= 0 && parts[i].have < parts[i].min)
			result_error(r, CVM_STATUS_POLICY, "%s %s SPL %u is below the minimum %d (%s 0x%016llx)",
				     field, parts[i].name, parts[i].have, parts[i].min, field,
				     (unsigned long long)t->raw);
}

void policy_check_snp_more(const struct cvm_policy *p, const struct cvm_snp_report *s,
			   struct cvm_result *r)
{
	const struct cvm_snp_tcb *tcbs[CVM_SNP_TCB_KIND_COUNT] = {
		[CVM_SNP_TCB_REPORTED] = &s->reported_tcb,
		[CVM_SNP_TCB_LAUNCH] = &s->launch_tcb,
		[CVM_SNP_TCB_COMMITTED] = &s->committed_tcb,
		[CVM_SNP_TCB_CURRENT] = &s->current_tcb,
	};
	unsigned abi_major = (unsigned)((s->policy >> SNP_POLICY_ABI_MAJOR_SHIFT) & 0xff);
	unsigned abi_minor = (unsigned)(s->policy & SNP_POLICY_ABI_MINOR_MASK);

	if (p->has_min_report_version && s->version < p->min_report_version)
		result_error(r, CVM_STATUS_POLICY, "report VERSION %u is below the minimum %u", s->version,
			     p->min_report_version);
	if (p->require_id_key && all_zero(s->id_key_digest, 48))
		result_error(r, CVM_STATUS_POLICY,
			     "ID_KEY_DIGEST is all zero, an ID key is required: the guest was launched "
			     "without a signed ID block");
	if (p->require_author_key && !s->author_key_en)
		result_error(r, CVM_STATUS_POLICY,
			     "SIGNER_INFO AUTHOR_KEY_EN is 0, an author key is required (SIGNER_INFO 0x%x)",
			     s->signer_info);
	check_values(p, CVM_POLICY_SNP_ID_KEY_DIGEST, s->id_key_digest, r);
	check_values(p, CVM_POLICY_SNP_AUTHOR_KEY_DIGEST, s->author_key_digest, r);
	check_values(p, CVM_POLICY_SNP_FAMILY_ID, s->family_id, r);
	check_values(p, CVM_POLICY_SNP_IMAGE_ID, s->image_id, r);
	for (int k = CVM_SNP_TCB_LAUNCH; k < CVM_SNP_TCB_KIND_COUNT; k++)
		if (p->has_min_tcb_of[k])
			check_min_tcb_of(r, tcb_kind_names[k], &p->min_tcb_of[k], tcbs[k]);
	check_bits(p, CVM_POLICY_SNP_GUEST_POLICY, s->policy, r);
	if (p->has_min_policy_abi &&
	    (abi_major < p->min_policy_abi_major ||
	     (abi_major == p->min_policy_abi_major && abi_minor < p->min_policy_abi_minor)))
		result_error(r, CVM_STATUS_POLICY,
			     "POLICY ABI_MAJOR.ABI_MINOR %u.%u is below the minimum %u.%u (POLICY 0x%llx)",
			     abi_major, abi_minor, p->min_policy_abi_major, p->min_policy_abi_minor,
			     (unsigned long long)s->policy);
	check_bits(p, CVM_POLICY_SNP_PLATFORM_INFO, s->platform_info, r);
}

void policy_check_td_more(const struct cvm_policy *p, const struct td_view *td, struct cvm_result *r)
{
	check_values(p, CVM_POLICY_TDX_MRSEAM, td->mrseam, r);
	check_values(p, CVM_POLICY_TDX_MRSIGNERSEAM, td->mrsignerseam, r);
	check_values(p, CVM_POLICY_TDX_MRCONFIGID, td->mrconfigid, r);
	check_values(p, CVM_POLICY_TDX_MROWNER, td->mrowner, r);
	check_values(p, CVM_POLICY_TDX_MROWNERCONFIG, td->mrownerconfig, r);
	check_bits(p, CVM_POLICY_TDX_TD_ATTRIBUTES, td->td_attributes, r);
	check_bits(p, CVM_POLICY_TDX_XFAM, td->xfam, r);
	/* Only a quote has them; the CLI refuses these for a TDREPORT up front. */
	if (p->has_min_qe_svn && td->has_quote_svns && td->qe_svn < p->min_qe_svn)
		result_error(r, CVM_STATUS_POLICY, "QE report ISVSVN %u is below the minimum QE SVN %u",
			     td->qe_svn, p->min_qe_svn);
	if (p->has_min_pce_svn && td->has_quote_svns && td->pce_svn < p->min_pce_svn)
		result_error(r, CVM_STATUS_POLICY, "quote header PCE SVN %u is below the minimum %u",
			     td->pce_svn, p->min_pce_svn);
	if ((p->has_min_qe_svn || p->has_min_pce_svn) && !td->has_quote_svns)
		result_error(r, CVM_STATUS_POLICY,
			     "a minimum QE/PCE SVN is required, and only a TDX quote carries them");
}

/*
 * One "not checked" line for a group of fields: those of @names whose @given
 * is false, with their options; nothing when all were given.
 */
static void unchecked_group(struct cvm_result *r, const char *const *names, const char *const *opts,
			    const bool *given, size_t n, const char *what)
{
	char fields[256] = "", options[256] = "";
	size_t fl = 0, ol = 0;

	for (size_t i = 0; i < n; i++) {
		if (given[i])
			continue;
		fl += (size_t)snprintf(fields + fl, fl < sizeof(fields) ? sizeof(fields) - fl : 0, "%s%s",
				       fl ? ", " : "", names[i]);
		ol += (size_t)snprintf(options + ol, ol < sizeof(options) ? sizeof(options) - ol : 0, "%s%s",
				       ol ? ", " : "", opts[i]);
	}
	if (fl)
		result_unchecked(r, "%s: %s (%s)", fields, what, options);
}

#define UNCHECKED(r, what, ...)                                                                \
	do {                                                                                   \
		const struct {                                                                 \
			const char *name, *opt;                                                \
			bool given;                                                            \
		} g_[] = { __VA_ARGS__ };                                                      \
		const char *n_[ELEMENTSOF(g_)], *o_[ELEMENTSOF(g_)];                           \
		bool v_[ELEMENTSOF(g_)];                                                       \
		for (size_t i_ = 0; i_ < ELEMENTSOF(g_); i_++)                                 \
			n_[i_] = g_[i_].name, o_[i_] = g_[i_].opt, v_[i_] = g_[i_].given;      \
		unchecked_group(r, n_, o_, v_, ELEMENTSOF(g_), what);                          \
	} while (0)

/* What the first set of "not checked" lines does not cover, for the fields above. */
void policy_unchecked_more(const struct cvm_policy *p, struct cvm_result *r)
{
	if (r->has_snp) {
		UNCHECKED(r, "any accepted",
			  { "ID_KEY_DIGEST", "--id-key-digest, --require-id-key",
			    p->n_values[CVM_POLICY_SNP_ID_KEY_DIGEST] || p->require_id_key },
			  { "AUTHOR_KEY_DIGEST", "--author-key-digest, --require-author-key",
			    p->n_values[CVM_POLICY_SNP_AUTHOR_KEY_DIGEST] || p->require_author_key });
		UNCHECKED(r, "any accepted",
			  { "FAMILY_ID", "--family-id", p->n_values[CVM_POLICY_SNP_FAMILY_ID] > 0 },
			  { "IMAGE_ID", "--image-id", p->n_values[CVM_POLICY_SNP_IMAGE_ID] > 0 });
		UNCHECKED(r, "no minimum given",
			  { "LAUNCH_TCB", "--min-launch-tcb", p->has_min_tcb_of[CVM_SNP_TCB_LAUNCH] },
			  { "COMMITTED_TCB", "--min-committed-tcb", p->has_min_tcb_of[CVM_SNP_TCB_COMMITTED] });
		UNCHECKED(r, "none required",
			  { "guest POLICY bits other than DEBUG (SMT, MIGRATE_MA, SINGLE_SOCKET, ...)",
			    "--guest-policy", p->bits_mask[CVM_POLICY_SNP_GUEST_POLICY] != 0 },
			  { "its ABI version", "--min-policy-abi", p->has_min_policy_abi },
			  { "PLATFORM_INFO (SMT_EN, TSME_EN, ECC_EN, ...)", "--platform-info",
			    p->bits_mask[CVM_POLICY_SNP_PLATFORM_INFO] != 0 });
	}
	if (r->has_quote || r->has_tdreport) {
		UNCHECKED(r, "any accepted",
			  { "MRSEAM", "--mrseam", p->n_values[CVM_POLICY_TDX_MRSEAM] > 0 },
			  { "MRSIGNERSEAM", "--mrsignerseam", p->n_values[CVM_POLICY_TDX_MRSIGNERSEAM] > 0 },
			  { "MRCONFIGID", "--mrconfigid", p->n_values[CVM_POLICY_TDX_MRCONFIGID] > 0 },
			  { "MROWNER", "--mrowner", p->n_values[CVM_POLICY_TDX_MROWNER] > 0 },
			  { "MROWNERCONFIG", "--mrownerconfig", p->n_values[CVM_POLICY_TDX_MROWNERCONFIG] > 0 });
		UNCHECKED(r, "none required",
			  { "TD_ATTRIBUTES bits other than DEBUG", "--td-attributes",
			    p->bits_mask[CVM_POLICY_TDX_TD_ATTRIBUTES] != 0 },
			  { "XFAM", "--xfam", p->bits_mask[CVM_POLICY_TDX_XFAM] != 0 });
	}
}
