// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Key sources of the LUKS binding: where K, the released key, comes from.
 *
 *   release   production: cvm_attest() then cvm_release() (libcvmattest-attest.h),
 *             configured by the config file with the token's "release" values
 *             on top.
 *   test fd   TESTING ONLY: K read from an inherited file descriptor, so that
 *             bind and unlock can be tested without an attestation service.
 *
 * Neither takes a key from argv or the environment; neither logs one.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "luks-internal.h"

void cvm_key_source_free(struct cvm_key_source *src)
{
	if (!src)
		return;
	if (src->free_userdata)
		src->free_userdata(src->userdata);
	free(src);
}

static int source_new(const char *name, void *userdata, void (*free_userdata)(void *),
		      int (*get_key)(struct cvm_ctx *, const struct cvm_luks_binding *, void *,
				     struct cvm_luks_secret **, char **),
		      struct cvm_key_source **ret)
{
	struct cvm_key_source *src = calloc(1, sizeof(*src));

	if (!src) {
		free_userdata(userdata);
		return -ENOMEM;
	}
	src->name = name;
	src->get_key = get_key;
	src->userdata = userdata;
	src->free_userdata = free_userdata;
	*ret = src;
	return 0;
}

/* ---- TESTING ONLY: the key from a file descriptor ----------------------------------- */

struct test_fd_source {
	int fd;
	struct cvm_luks_secret *key;
};

static void test_fd_free(void *userdata)
{
	struct test_fd_source *s = userdata;

	if (!s)
		return;
	if (s->fd >= 0)
		close(s->fd);
	cvm_luks_secret_free(s->key);
	free(s);
}

static int test_fd_get_key(struct cvm_ctx *ctx, const struct cvm_luks_binding *b, void *userdata,
			   struct cvm_luks_secret **ret_key, char **ret_key_id)
{
	struct test_fd_source *s = userdata;
	int r;

	(void)b;
	if (!s->key) {
		r = cvm_luks_secret_read_fd(s->fd, LUKS_KEY_MAX, false, &s->key);
		close(s->fd);
		s->fd = -1;
		if (r < 0) {
			log_error(ctx, "Cannot read the test key from its file descriptor: %s",
				  r == -EFBIG ? "longer than 16 KiB" : r == -ENODATA ? "empty" : strerror(-r));
			return r;
		}
		log_info(ctx, "TESTING: using a %zu-byte key read from a file descriptor, not a "
			 "released key", cvm_luks_secret_len(s->key));
	}
	*ret_key_id = NULL;
	return cvm_luks_secret_copy(cvm_luks_secret_data(s->key), cvm_luks_secret_len(s->key), ret_key);
}

int cvm_key_source_test_fd_new(int fd, struct cvm_key_source **ret)
{
	struct test_fd_source *s;

	if (fd < 0 || !ret)
		return -EINVAL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->fd = fd;
	return source_new("the test key (file descriptor)", s, test_fd_free, test_fd_get_key, ret);
}

/* ---- production: attestation and Secure Key Release ----------------------------------- */

#include "libcvmattest-attest.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(struct cvm_config *, cvm_config_free)
DEFINE_TRIVIAL_CLEANUP_FUNC(struct cvm_attestation *, cvm_attestation_free)
DEFINE_TRIVIAL_CLEANUP_FUNC(struct cvm_key *, cvm_key_free)

struct release_source {
	char *config_path;		/* NULL: CVM_DEFAULT_CONFIG, which may be missing */
};

static void release_free(void *userdata)
{
	struct release_source *s = userdata;

	if (s)
		free(s->config_path);
	free(s);
}

static int release_get_key(struct cvm_ctx *ctx, const struct cvm_luks_binding *b, void *userdata,
			   struct cvm_luks_secret **ret_key, char **ret_key_id)
{
	struct release_source *s = userdata;
	_cleanup_(cvm_config_freep) struct cvm_config *cfg = NULL;
	_cleanup_(cvm_attestation_freep) struct cvm_attestation *a = NULL;
	_cleanup_(cvm_key_freep) struct cvm_key *k = NULL;
	const char *const *keys;
	const uint8_t *data;
	const char *kid;
	size_t len;
	int r;

	r = cvm_config_new(&cfg);
	if (r < 0)
		return r;
	/* Local settings (timeouts, CA bundle, evidence source) from the file... */
	r = cvm_config_load_file(ctx, cfg, s->config_path ? s->config_path : CVM_DEFAULT_CONFIG);
	if (r < 0 && !(r == -ENOENT && !s->config_path))
		return r;
	/* ...which key, from where, as the token says. */
	for (keys = cvm_luks_release_keys(); *keys; keys++) {
		const char *v = cvm_luks_binding_get(b, *keys);

		if (!v)
			continue;
		r = cvm_config_set(ctx, cfg, *keys, v);
		if (r < 0)
			return r;
	}
	r = cvm_attest(ctx, cfg, NULL, &a);
	if (r < 0)
		return r;
	r = cvm_release(ctx, cfg, a, &k);
	if (r < 0)
		return r;
	data = cvm_key_data(k, &len);
	r = cvm_luks_secret_copy(data, len, ret_key);
	if (r < 0)
		return r;
	kid = cvm_key_kid(k);
	*ret_key_id = kid ? strdup(kid) : NULL;
	return 0;
}

int cvm_luks_binding_from_config(struct cvm_ctx *ctx, const char *path, struct cvm_luks_binding *b)
{
	_cleanup_(cvm_config_freep) struct cvm_config *cfg = NULL;
	int r;

	r = cvm_config_new(&cfg);
	if (r < 0)
		return r;
	r = cvm_config_load_file(ctx, cfg, path ? path : CVM_DEFAULT_CONFIG);
	if (r < 0 && !(r == -ENOENT && !path))
		return r;
	for (const char *const *keys = cvm_luks_release_keys(); *keys; keys++) {
		const char *v = cvm_config_get(cfg, *keys);

		if (cvm_luks_binding_get(b, *keys) || !v || !*v)
			continue;
		r = cvm_luks_binding_set(b, *keys, v);
		if (r < 0) {
			log_error(ctx, "%s in %s: not usable in a token", *keys,
				  path ? path : CVM_DEFAULT_CONFIG);
			return r;
		}
	}
	return 0;
}

int cvm_key_source_release_new(struct cvm_ctx *ctx, const char *config_path,
			       struct cvm_key_source **ret)
{
	struct release_source *s = calloc(1, sizeof(*s));

	(void)ctx;
	if (!s)
		return -ENOMEM;
	if (config_path) {
		s->config_path = strdup(config_path);
		if (!s->config_path) {
			free(s);
			return -ENOMEM;
		}
	}
	return source_new("attestation and key release", s, release_free, release_get_key, ret);
}

