// SPDX-License-Identifier: LGPL-2.1-or-later
/* The library context: logging, trust anchors, offered certificates. */
#include <errno.h>
#include <stddef.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/err.h>

#include "pki/pki.h"

/* base/log.c reads the sink through a context pointer. */
_Static_assert(offsetof(struct cvm_ctx, log) == 0, "the log sink must come first");


int cvm_ctx_new(struct cvm_ctx **ret)
{
	struct cvm_ctx *ctx;
	int r;

	if (!ret)
		return -EINVAL;
	ctx = calloc(1, sizeof(*ctx));
	if (!ctx)
		return -ENOMEM;
	ctx->log.level = CVM_LOG_WARNING;

	r = trust_load_builtin_amd(ctx, &ctx->amd_roots);
	if (r < 0)
		goto fail;
	ctx->amd_roots_builtin = true;
	r = trust_load_builtin_intel(ctx, &ctx->intel_roots);
	if (r < 0)
		goto fail;
	ctx->intel_root_builtin = true;

	ctx->cache_dir = strdup(CVM_DEFAULT_CACHE_DIR);
	if (!ctx->cache_dir) {
		r = -ENOMEM;
		goto fail;
	}
	*ret = ctx;
	return 0;
fail:
	cvm_ctx_free(ctx);
	return r;
}

void cvm_ctx_free(struct cvm_ctx *ctx)
{
	if (!ctx)
		return;
	cert_list_clear(&ctx->amd_roots);
	cert_list_clear(&ctx->intel_roots);
	cert_list_clear(&ctx->certs);
	for (size_t i = 0; i < ctx->n_amd_crls; i++)
		amd_crl_free(ctx->amd_crls[i]);
	free(ctx->cache_dir);
	free(ctx->tdx_collateral);
	free(ctx);
}

void cvm_set_log(struct cvm_ctx *ctx, cvm_log_fn fn, void *userdata)
{
	ctx->log.fn = fn;
	ctx->log.userdata = userdata;
}

void cvm_set_log_level(struct cvm_ctx *ctx, int max_level)
{
	ctx->log.level = max_level;
}

static void vcek_cache_flush(struct cvm_ctx *ctx)
{
	ctx->vcek_cache_n = 0;
	ctx->vcek_cache_next = 0;
}

int cvm_set_amd_roots(struct cvm_ctx *ctx, const char *path)
{
	struct cvm_cert_list l = { 0 };
	size_t n_roots = 0;
	int r;

	if (!ctx || !path)
		return -EINVAL;
	r = cert_list_load(ctx, &l, path);
	if (r < 0) {
		log_error(ctx, "no AMD roots loaded from %s", path);
		cert_list_clear(&l);
		return r;
	}
	for (size_t i = 0; i < l.n; i++)
		if (cert_is_self_issued(l.v[i]) && strncmp(l.v[i]->cn, "ARK-", 4) == 0)
			n_roots++;
	if (n_roots == 0) {
		log_error(ctx, "%s holds no self-signed ARK-<product> certificate", path);
		cert_list_clear(&l);
		return -ENOKEY;
	}
	cert_list_clear(&ctx->amd_roots);
	ctx->amd_roots = l;
	ctx->amd_roots_builtin = false;
	vcek_cache_flush(ctx);
	log_info(ctx, "Trusting %zu AMD root(s) from %s instead of the built-in ones", n_roots, path);
	return 0;
}

int cvm_set_intel_root(struct cvm_ctx *ctx, const char *path)
{
	struct cvm_cert_list l = { 0 };
	int r;

	if (!ctx || !path)
		return -EINVAL;
	r = cert_list_load(ctx, &l, path);
	if (r < 0) {
		log_error(ctx, "no Intel root loaded from %s", path);
		cert_list_clear(&l);
		return r;
	}
	for (size_t i = 0; i < l.n; i++)
		if (!cert_is_self_issued(l.v[i])) {
			log_error(ctx, "%s: \"%s\" is not a self-signed root", path, l.v[i]->cn);
			cert_list_clear(&l);
			return -EINVAL;
		}
	if (l.n == 0) {
		cert_list_clear(&l);
		return -ENOKEY;
	}
	cert_list_clear(&ctx->intel_roots);
	ctx->intel_roots = l;
	ctx->intel_root_builtin = false;
	log_info(ctx, "Trusting the Intel root(s) from %s instead of the built-in one", path);
	return 0;
}

int cvm_add_certs(struct cvm_ctx *ctx, const uint8_t *buf, size_t len)
{
	if (!ctx || (!buf && len))
		return -EINVAL;
	return cert_list_add_buffer(&ctx->certs, buf, len);
}

int cvm_add_certs_file(struct cvm_ctx *ctx, const char *path)
{
	if (!ctx || !path)
		return -EINVAL;
	return cert_list_load(ctx, &ctx->certs, path);
}

int cvm_add_amd_crl_file(struct cvm_ctx *ctx, const char *path)
{
	struct amd_crl *c;
	char why[160];
	int r;

	if (!ctx || !path)
		return -EINVAL;
	if (ctx->n_amd_crls >= CVM_AMD_CRL_MAX)
		return log_error_errno(ctx, -E2BIG, "more than %d CRLs given", CVM_AMD_CRL_MAX);
	r = amd_crl_load(path, &c, why, sizeof(why));
	if (r < 0)
		return log_error_errno(ctx, r, "cannot read CRL %s: %s", path, why);
	ctx->amd_crls[ctx->n_amd_crls++] = c;
	return 0;
}

/* *@field = a copy of @v (NULL: none). */
static int ctx_set_string(struct cvm_ctx *ctx, char **field, const char *v)
{
	char *d = NULL;

	if (!ctx)
		return -EINVAL;
	if (v) {
		d = strdup(v);
		if (!d)
			return -ENOMEM;
	}
	free(*field);
	*field = d;
	return 0;
}

int cvm_set_cache_dir(struct cvm_ctx *ctx, const char *dir)
{
	return ctx_set_string(ctx, ctx ? &ctx->cache_dir : NULL, dir);
}

int cvm_set_tdx_collateral(struct cvm_ctx *ctx, const char *dir)
{
	return ctx_set_string(ctx, ctx ? &ctx->tdx_collateral : NULL, dir);
}

void cvm_set_verify_time(struct cvm_ctx *ctx, time_t t)
{
	ctx->verify_time = t;
}

time_t ctx_verify_time(const struct cvm_ctx *ctx)
{
	return ctx->verify_time ? ctx->verify_time : time(NULL);
}
