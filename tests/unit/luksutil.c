// SPDX-License-Identifier: LGPL-2.1-or-later
/* Helpers of the LUKS unit tests: luksutil.h. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libcryptsetup.h>

#include "luksutil.h"

const uint8_t key_a[32] = { 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb,
				   0xcc, 0xdd, 0xee, 0xf0, 0x01, 0x12, 0x23, 0x34, 0x45, 0x56, 0x67,
				   0x78, 0x89, 0x9a, 0xab, 0xbc, 0xcd, 0xde, 0xef, 0xfe, 0xed };
const uint8_t key_b[32] = { 0xde, 0xad, 0xbe, 0xef, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12,
				   13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28 };

/* ---- logs ------------------------------------------------------------------------------ */

char *logbuf;
size_t loglen;

void capture_log(int level, const char *msg, void *userdata)
{
	size_t n = strlen(msg);

	(void)userdata;
	logbuf = realloc(logbuf, loglen + n + 2);
	assert_non_null(logbuf);
	memcpy(logbuf + loglen, msg, n);
	logbuf[loglen + n] = '\n';
	loglen += n + 1;
	logbuf[loglen] = 0;
	if (getenv("CVMATTEST_TEST_VERBOSE"))
		fprintf(stderr, "  [log %d] %s\n", level, msg);
}

void log_reset(void)
{
	free(logbuf);
	logbuf = NULL;
	loglen = 0;
}

bool log_has(const char *needle)
{
	return logbuf && strstr(logbuf, needle);
}

struct cvm_ctx *luks_ctx(void)
{
	struct cvm_ctx *ctx;

	assert_int_equal(cvm_ctx_new(&ctx), 0);
	cvm_set_log(ctx, capture_log, NULL);
	cvm_set_log_level(ctx, CVM_LOG_DEBUG);
	log_reset();
	return ctx;
}

/* ---- images ------------------------------------------------------------------------------ */

const char *image_path(const char *name)
{
	static char paths[8][4096];
	static int slot;
	char *p = paths[slot++ % 8];

	snprintf(p, 4096, "%s/%d-luks-%s.img", tmp_dir(), (int)getpid(), name);
	return p;
}

void crypt_quiet(int level, const char *msg, void *userdata)
{
	(void)userdata;
	if (getenv("CVMATTEST_TEST_VERBOSE"))
		fprintf(stderr, "  [cryptsetup %d] %s", level, msg);
}

const char *make_luks_image(const char *name, const char *type, const char *cipher,
			    const char *mode, size_t key_size)
{
	const char *path = image_path(name);
	struct crypt_pbkdf_type pbkdf = { .type = CRYPT_KDF_PBKDF2, .hash = "sha256",
					  .iterations = 1000, .flags = CRYPT_PBKDF_NO_BENCHMARK };
	struct crypt_params_luks2 params = { .pbkdf = &pbkdf, .sector_size = 512 };
	struct crypt_device *cd;
	int fd;

	unlink(path);
	fd = open(path, O_CREAT | O_EXCL | O_WRONLY, 0600);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, IMG_SIZE), 0);
	close(fd);
	assert_int_equal(crypt_init(&cd, path), 0);
	crypt_set_log_callback(cd, crypt_quiet, NULL);
	assert_int_equal(crypt_set_pbkdf_type(cd, &pbkdf), 0);
	assert_int_equal(crypt_format(cd, type, cipher, mode, NULL, NULL, key_size,
				      strcmp(type, CRYPT_LUKS2) == 0 ? (void *)&params : NULL), 0);
	assert_int_equal(crypt_keyslot_add_by_volume_key(cd, CRYPT_ANY_SLOT, NULL, 0, PASS, strlen(PASS)), 0);
	crypt_free(cd);
	return path;
}

const char *make_image(const char *name)
{
	return make_luks_image(name, CRYPT_LUKS2, "aes", "xts-plain64", 64);
}

struct crypt_device *open_image(const char *path)
{
	struct crypt_device *cd;

	assert_int_equal(crypt_init(&cd, path), 0);
	crypt_set_log_callback(cd, crypt_quiet, NULL);
	assert_int_equal(crypt_load(cd, CRYPT_LUKS2, NULL), 0);
	return cd;
}


char *token_json(const char *path, int id)
{
	struct crypt_device *cd = open_image(path);
	const char *j;
	char *copy;

	assert_true(crypt_token_json_get(cd, id, &j) >= 0);
	copy = strdup(j);
	crypt_free(cd);
	return copy;
}

void token_replace(const char *path, int id, const char *json)
{
	struct crypt_device *cd = open_image(path);

	assert_int_equal(crypt_token_json_set(cd, id, json), id);
	crypt_free(cd);
}
