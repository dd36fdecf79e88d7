// SPDX-License-Identifier: LGPL-2.1-or-later
/* A verification result: its errors, its verdict and the parsed evidence it keeps. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "verify/verify.h"

/* Appends; on a failed allocation the line is lost, never the verdict. */
static void list_add(char ***list, size_t *n, const char *fmt, va_list ap)
{
	char buf[1024], **v;

	vsnprintf(buf, sizeof(buf), fmt, ap);
	v = realloc(*list, (*n + 1) * sizeof(*v));
	if (!v)
		return;
	*list = v;
	v[*n] = strdup(buf);
	if (v[*n])
		(*n)++;
}

void result_error(struct cvm_result *r, enum cvm_status cls, const char *fmt, ...)
{
	va_list ap;

	if (cls > r->status)
		r->status = cls;
	if (cls == CVM_STATUS_POLICY)
		r->policy_failed = true;
	va_start(ap, fmt);
	list_add(&r->errors, &r->n_errors, fmt, ap);
	va_end(ap);
}

void result_unchecked(struct cvm_result *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	list_add(&r->unchecked, &r->n_unchecked, fmt, ap);
	va_end(ap);
}

void cvm_result_free(struct cvm_result *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->n_errors; i++)
		free(r->errors[i]);
	free(r->errors);
	for (size_t i = 0; i < r->n_unchecked; i++)
		free(r->unchecked[i]);
	free(r->unchecked);
	cvm_hcl_claims_done(&r->claims);
	tdx_coll_done(&r->tdxc);
	free(r->evidence);
	free(r->td_quote_buf);
	free(r->tpm_quote_buf);
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

const char *cvm_result_platform(const struct cvm_result *r)
{
	if (r->has_snp)
		return "sev-snp";
	if (r->has_quote || r->has_tdreport)
		return "tdx";
	return NULL;
}

size_t cvm_result_n_unchecked(const struct cvm_result *r)
{
	return r->n_unchecked;
}

const char *cvm_result_unchecked(const struct cvm_result *r, size_t i)
{
	return i < r->n_unchecked ? r->unchecked[i] : NULL;
}
