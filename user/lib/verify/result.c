// SPDX-License-Identifier: LGPL-2.1-or-later
/* A verification result: its errors, its verdict and the parsed evidence it keeps. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "verify/verify.h"

void result_error(struct cvm_result *r, enum cvm_status cls, const char *fmt, ...)
{
	char buf[512], **v;
	va_list ap;

	if (cls > r->status)
		r->status = cls;
	if (cls == CVM_STATUS_POLICY)
		r->policy_failed = true;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	v = realloc(r->errors, (r->n_errors + 1) * sizeof(*v));
	if (!v)
		return;		/* the status above still records the failure */
	r->errors = v;
	r->errors[r->n_errors] = strdup(buf);
	if (r->errors[r->n_errors])
		r->n_errors++;
}

void cvm_result_free(struct cvm_result *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->n_errors; i++)
		free(r->errors[i]);
	free(r->errors);
	cvm_hcl_claims_done(&r->claims);
	free(r->evidence);
	free(r);
}

enum cvm_status cvm_result_status(const struct cvm_result *r)
{
	return r->status;
}

bool cvm_result_verified(const struct cvm_result *r)
{
	/* Verified: signatures checked and nothing but policy found wanting. */
	return r->signature_checked && r->status <= CVM_STATUS_POLICY;
}

bool cvm_result_policy_ok(const struct cvm_result *r)
{
	return r->policy_evaluated && !r->policy_failed;
}

enum cvm_format cvm_result_format(const struct cvm_result *r)
{
	return r->format;
}

size_t cvm_result_n_errors(const struct cvm_result *r)
{
	return r->n_errors;
}

const char *cvm_result_error(const struct cvm_result *r, size_t i)
{
	return i < r->n_errors ? r->errors[i] : NULL;
}

const struct cvm_snp_report *cvm_result_snp_report(const struct cvm_result *r)
{
	return r->has_snp ? &r->snp : NULL;
}

const struct cvm_tdx_quote *cvm_result_tdx_quote(const struct cvm_result *r)
{
	return r->has_quote ? &r->quote : NULL;
}
