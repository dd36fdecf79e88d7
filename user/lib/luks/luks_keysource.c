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
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "luks/luks.h"


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
				     struct cvm_secret **, char **),
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
	struct cvm_secret *key;
};

static void test_fd_free(void *userdata)
{
	struct test_fd_source *s = userdata;

	if (!s)
		return;
	if (s->fd >= 0)
		close(s->fd);
	cvm_secret_free(s->key);
	free(s);
}

static int test_fd_get_key(struct cvm_ctx *ctx, const struct cvm_luks_binding *b, void *userdata,
			   struct cvm_secret **ret_key, char **ret_key_id)
{
	struct test_fd_source *s = userdata;
	int r;

	(void)b;
	if (!s->key) {
		r = cvm_secret_read_fd(s->fd, LUKS_KEY_MAX, false, &s->key);
		close(s->fd);
		s->fd = -1;
		if (r < 0) {
			log_error(ctx, "Cannot read the test key from its file descriptor: %s",
				  r == -EFBIG ? "longer than 16 KiB" : r == -ENODATA ? "empty" : strerror(-r));
			return r;
		}
		log_info(ctx, "TESTING: using a %zu-byte key read from a file descriptor, not a "
			 "released key", cvm_secret_len(s->key));
	}
	*ret_key_id = NULL;
	return cvm_secret_copy(cvm_secret_data(s->key), cvm_secret_len(s->key), ret_key);
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



/* A configuration with the file at @path loaded (NULL: the default path, which may be missing). */
static int load_config(struct cvm_ctx *ctx, const char *path, struct cvm_config **ret)
{
	_cleanup_(cvm_config_freep) struct cvm_config *cfg = NULL;
	int r;

	r = cvm_config_new(&cfg);
	if (r < 0)
		return r;
	r = cvm_config_load_file(ctx, cfg, path ? path : CVM_DEFAULT_CONFIG);
	if (r < 0 && !(r == -ENOENT && !path)) {
		/* -EINVAL: the parser has named the line already */
		if (r != -EINVAL)
			log_error(ctx, "cannot read %s: %s", path ? path : CVM_DEFAULT_CONFIG,
				  strerror(-r));
		return r;
	}
	*ret = TAKE_PTR(cfg);
	return 0;
}

/* What the source obtained so far: unlock --all attests and releases once. */
struct cached_key {
	char *id;			/* the release values that obtained it */
	struct cvm_secret *key;
	char *kid;
};

struct release_source {
	char *config_path;		/* NULL: CVM_DEFAULT_CONFIG, which may be missing */
	struct cvm_config *cfg;		/* the file as loaded, before any token's values */
	struct cached_key keys[8];
	size_t n_keys;
	char *attest_id;		/* attest_url + attest_type of @attestation */
	struct cvm_attestation *attestation;
};

static void release_free(void *userdata)
{
	struct release_source *s = userdata;

	if (!s)
		return;
	for (size_t i = 0; i < s->n_keys; i++) {
		free(s->keys[i].id);
		cvm_secret_free(s->keys[i].key);	/* wipes */
		free(s->keys[i].kid);
	}
	free(s->attest_id);
	cvm_attestation_free(s->attestation);
	cvm_config_free(s->cfg);
	free(s->config_path);
	free(s);
}

/* The local configuration, loaded once per source. */
static int release_config(struct cvm_ctx *ctx, struct release_source *s,
			  const struct cvm_config **ret)
{
	int r;

	/* Local settings (timeouts, CA bundle, evidence source, allowed hosts). */
	if (!s->cfg) {
		r = load_config(ctx, s->config_path, &s->cfg);
		if (r < 0)
			return r;
	}
	*ret = s->cfg;
	return 0;
}

static int release_check(struct cvm_ctx *ctx, const struct cvm_luks_binding *b, void *userdata)
{
	static const char *const urls[] = { "attest_url", "key_url" };
	const struct cvm_config *cfg;
	int r;

	r = release_config(ctx, userdata, &cfg);
	if (r < 0)
		return r;
	for (size_t i = 0; i < ELEMENTSOF(urls); i++) {
		const char *v = cvm_luks_binding_get(b, urls[i]);

		if (v) {
			r = cvm_config_url_allowed(ctx, cfg, urls[i], v);
			if (r < 0)
				return r;
		}
	}
	return 0;
}

/* "key=value\n" for every value that decides what is released. */
static int release_id(const struct cvm_config *cfg, const char *const *keys, char **ret)
{
	_cleanup_free_ char *id = strdup("");

	for (; id && *keys; keys++) {
		char vb[CVM_CONFIG_VALUE_MAX];
		const char *v = cvm_config_get(cfg, *keys, vb, sizeof(vb));
		char *n;

		if (asprintf(&n, "%s%s=%s\n", id, *keys, v ? v : "") < 0)
			return -ENOMEM;
		free(id);
		id = n;
	}
	if (!id)
		return -ENOMEM;
	*ret = TAKE_PTR(id);
	return 0;
}

static int release_get_key(struct cvm_ctx *ctx, const struct cvm_luks_binding *b, void *userdata,
			   struct cvm_secret **ret_key, char **ret_key_id)
{
	static const char *const attest_keys[] = { "attest_url", "attest_type", NULL };
	struct release_source *s = userdata;
	_cleanup_(cvm_config_freep) struct cvm_config *cfg = NULL;
	_cleanup_(cvm_key_freep) struct cvm_key *k = NULL;
	_cleanup_free_ char *id = NULL, *attest_id = NULL;
	const char *const *keys;
	struct cached_key *c;
	const uint8_t *data;
	const char *kid;
	size_t len;
	int r;

	/* The token's URLs were checked by check_binding() (luks.c, before get_key()). */
	r = load_config(ctx, s->config_path, &cfg);
	if (r < 0)
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

	r = release_id(cfg, cvm_luks_release_keys(), &id);
	if (r < 0)
		return r;
	for (size_t i = 0; i < s->n_keys; i++) {
		if (strcmp(s->keys[i].id, id) != 0)
			continue;
		log_info(ctx, "Reusing the key released earlier in this run");
		r = cvm_secret_copy(cvm_secret_data(s->keys[i].key),
					 cvm_secret_len(s->keys[i].key), ret_key);
		if (r < 0)
			return r;
		*ret_key_id = s->keys[i].kid ? strdup(s->keys[i].kid) : NULL;
		return 0;
	}

	r = release_id(cfg, attest_keys, &attest_id);
	if (r < 0)
		return r;
	if (s->attestation && strcmp(s->attest_id, attest_id) == 0 &&
	    (cvm_attestation_expiry(s->attestation) == 0 ||
	     cvm_attestation_expiry(s->attestation) > time(NULL) + 60)) {
		log_info(ctx, "Reusing the attestation obtained earlier in this run");
	} else {
		cvm_attestation_free(s->attestation);
		s->attestation = NULL;
		free(s->attest_id);
		s->attest_id = NULL;
		r = cvm_attest(ctx, cfg, NULL, &s->attestation);
		if (r < 0)
			return r;
		s->attest_id = TAKE_PTR(attest_id);
	}
	r = cvm_release(ctx, cfg, s->attestation, &k);
	if (r < 0)
		return r;
	data = cvm_key_data(k, &len);
	r = cvm_secret_copy(data, len, ret_key);
	if (r < 0)
		return r;
	kid = cvm_key_kid(k);
	*ret_key_id = kid ? strdup(kid) : NULL;

	/* Remember it; a full cache only costs another release. */
	if (s->n_keys < ELEMENTSOF(s->keys)) {
		c = &s->keys[s->n_keys];
		if (cvm_secret_copy(data, len, &c->key) == 0) {
			c->id = TAKE_PTR(id);
			c->kid = kid ? strdup(kid) : NULL;
			s->n_keys++;
		}
	}
	return 0;
}

int cvm_luks_binding_from_config(struct cvm_ctx *ctx, const char *path, struct cvm_luks_binding *b)
{
	_cleanup_(cvm_config_freep) struct cvm_config *cfg = NULL;
	int r;

	r = load_config(ctx, path, &cfg);
	if (r < 0)
		return r;
	for (const char *const *keys = cvm_luks_release_keys(); *keys; keys++) {
		char vb[CVM_CONFIG_VALUE_MAX];
		const char *v = cvm_config_get(cfg, *keys, vb, sizeof(vb));

		if (cvm_luks_binding_get(b, *keys) || !v || !*v)
			continue;
		r = cvm_luks_binding_set(b, *keys, v);
		if (r < 0)
			return log_error_errno(ctx, r, "%s in %s: not usable in a token", *keys,
					       path ? path : CVM_DEFAULT_CONFIG);
	}
	return 0;
}

int cvm_key_source_release_new(struct cvm_ctx *ctx, const char *config_path,
			       struct cvm_key_source **ret)
{
	struct release_source *s = calloc(1, sizeof(*s));
	int r;

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
	r = source_new("attestation and key release", s, release_free, release_get_key, ret);
	if (r == 0)
		(*ret)->check_binding = release_check;
	return r;
}

