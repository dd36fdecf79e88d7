// SPDX-License-Identifier: LGPL-2.1-or-later
/* The library context: logging, trust anchors, offered certificates. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/err.h>

#include "internal.h"

static void default_log(int level, const char *msg, void *userdata)
{
	(void)userdata;
	fprintf(stderr, "%s%s\n", level == CVM_LOG_ERROR ? "error: " :
				  level == CVM_LOG_WARNING ? "warning: " : "", msg);
}

void cvm_log(const struct cvm_ctx *ctx, int level, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	if (!ctx || level > ctx->log_level)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (ctx->log_fn)
		ctx->log_fn(level, msg, ctx->log_userdata);
	else
		default_log(level, msg, NULL);
}

void log_openssl(const struct cvm_ctx *ctx, const char *what)
{
	unsigned long e;
	char buf[256];

	while ((e = ERR_get_error()) != 0) {
		ERR_error_string_n(e, buf, sizeof(buf));
		log_debug(ctx, "%s: %s", what, buf);
	}
}

int cvm_ctx_new(struct cvm_ctx **ret)
{
	struct cvm_ctx *ctx;
	int r;

	if (!ret)
		return -EINVAL;
	ctx = calloc(1, sizeof(*ctx));
	if (!ctx)
		return -ENOMEM;
	ctx->log_level = CVM_LOG_WARNING;

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
	free(ctx->cache_dir);
	free(ctx);
}

void cvm_set_log(struct cvm_ctx *ctx, cvm_log_fn fn, void *userdata)
{
	ctx->log_fn = fn;
	ctx->log_userdata = userdata;
}

void cvm_set_log_level(struct cvm_ctx *ctx, int max_level)
{
	ctx->log_level = max_level;
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
	r = cert_list_add_path(&l, path);
	if (r < 0) {
		log_error(ctx, "Failed to load AMD roots from %s: %s", path, strerror(-r));
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
	r = cert_list_add_path(&l, path);
	if (r < 0) {
		log_error(ctx, "Failed to load the Intel root from %s: %s", path, strerror(-r));
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
	int r;

	if (!ctx || !path)
		return -EINVAL;
	r = cert_list_add_path(&ctx->certs, path);
	if (r < 0)
		log_error(ctx, "Failed to load certificates from %s: %s", path, strerror(-r));
	return r;
}

int cvm_set_cache_dir(struct cvm_ctx *ctx, const char *dir)
{
	char *d = NULL;

	if (!ctx)
		return -EINVAL;
	if (dir) {
		d = strdup(dir);
		if (!d)
			return -ENOMEM;
	}
	free(ctx->cache_dir);
	ctx->cache_dir = d;
	return 0;
}

void cvm_set_verify_time(struct cvm_ctx *ctx, time_t t)
{
	ctx->verify_time = t;
}

time_t ctx_verify_time(const struct cvm_ctx *ctx)
{
	return ctx->verify_time ? ctx->verify_time : time(NULL);
}

/* ---- helpers ------------------------------------------------------------------ */

int read_file(const char *path, size_t max, uint8_t **ret, size_t *ret_len)
{
	_cleanup_close_ int fd = -1;
	_cleanup_free_ uint8_t *buf = NULL;
	size_t len = 0, cap = 0;
	struct stat st;

	fd = strcmp(path, "-") == 0 ? dup(STDIN_FILENO) : open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0)
		return -errno;
	if (S_ISDIR(st.st_mode))
		return -EISDIR;
	for (;;) {
		ssize_t n;

		if (len == cap) {
			uint8_t *nb;

			if (cap >= max)
				return -EFBIG;
			cap = cap ? cap * 2 : 8192;
			if (cap > max)
				cap = max;
			nb = realloc(buf, cap + 1);
			if (!nb)
				return -ENOMEM;
			buf = nb;
		}
		n = read(fd, buf + len, cap - len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	if (!buf) {
		buf = malloc(1);
		if (!buf)
			return -ENOMEM;
	}
	buf[len] = 0;	/* convenient for text; not counted */
	*ret = TAKE_PTR(buf);
	*ret_len = len;
	return 0;
}

static int unhex(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static bool is_space(int c)
{
	return c == ' ' || c == '\n' || c == '\r' || c == '\t';
}

int cvm_hex_decode(const char *hex, size_t hex_len, uint8_t **ret, size_t *ret_len)
{
	_cleanup_free_ uint8_t *out = NULL;
	size_t n = 0;
	int hi = -1;

	if (!hex || !ret || !ret_len)
		return -EINVAL;
	out = malloc(hex_len / 2 + 1);
	if (!out)
		return -ENOMEM;
	for (size_t i = 0; i < hex_len; i++) {
		int v;

		if (is_space((unsigned char)hex[i]))
			continue;
		v = unhex((unsigned char)hex[i]);
		if (v < 0)
			return -EINVAL;
		if (hi < 0) {
			hi = v;
		} else {
			out[n++] = (uint8_t)(hi << 4 | v);
			hi = -1;
		}
	}
	if (hi >= 0)
		return -EINVAL;
	*ret = TAKE_PTR(out);
	*ret_len = n;
	return 0;
}

void cvm_hex_encode(const uint8_t *buf, size_t len, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < len; i++) {
		out[2 * i] = digits[buf[i] >> 4];
		out[2 * i + 1] = digits[buf[i] & 0xf];
	}
	out[2 * len] = 0;
}

int cvm_hex_decode_fixed(const char *hex, uint8_t *out, size_t out_len, size_t *got, bool exact)
{
	_cleanup_free_ uint8_t *buf = NULL;
	size_t n;
	int r;

	r = cvm_hex_decode(hex, strlen(hex), &buf, &n);
	if (r < 0)
		return r;
	if (exact ? n != out_len : (n == 0 || n > out_len))
		return -EINVAL;
	memset(out, 0, out_len);
	memcpy(out, buf, n);
	if (got)
		*got = n;
	return 0;
}

int maybe_hex_decode(const uint8_t *buf, size_t len, uint8_t **ret, size_t *ret_len)
{
	size_t digits = 0;
	int r;

	for (size_t i = 0; i < len; i++) {
		if (is_space(buf[i]))
			continue;
		if (unhex(buf[i]) < 0)
			return 0;
		digits++;
	}
	/* Evidence is at least a kilobyte; short hex-looking files are not hex evidence. */
	if (digits < 64 || digits % 2)
		return 0;
	r = cvm_hex_decode((const char *)buf, len, ret, ret_len);
	return r < 0 ? r : 1;
}

int sha_digest(const char *md, const uint8_t *buf, size_t len, uint8_t *out, unsigned *out_len)
{
	const EVP_MD *m = EVP_get_digestbyname(md);

	if (!m)
		return -EOPNOTSUPP;
	if (EVP_Digest(buf, len, out, out_len, m, NULL) != 1)
		return -EIO;
	return 0;
}
