/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Helpers of the LUKS unit tests (test-luks, test-luks-header): a log
 * captured per context, and real LUKS2 images made with libcryptsetup.
 */
#ifndef CVM_LUKSUTIL_H
#define CVM_LUKSUTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "testutil.h"

struct crypt_device;

#define PASS "correct horse battery staple"
#define IMG_SIZE (32 << 20)
#define ATTEST_URL "https://att.example.net"
#define KEY_URL "https://vault.example.net/keys/disk/0123abcd"

/* Two release keys: the bound one and a wrong one. */
extern const uint8_t key_a[32];
extern const uint8_t key_b[32];

/* Everything luks_ctx()'s contexts logged since the last log_reset(), a line a message. */
extern char *logbuf;
extern size_t loglen;
void capture_log(int level, const char *msg, void *userdata);
void log_reset(void);
bool log_has(const char *needle);
/* A context logging at debug level into logbuf (reset). */
struct cvm_ctx *luks_ctx(void);

/* A path under the test temp dir for image @name (8 slots of static buffers). */
const char *image_path(const char *name);
/* libcryptsetup's log, shown only with CVMATTEST_TEST_VERBOSE. */
void crypt_quiet(int level, const char *msg, void *userdata);
/*
 * A @type (CRYPT_LUKS2, CRYPT_LUKS1) image of IMG_SIZE with PASS in keyslot 0,
 * @cipher-@mode with a @key_size byte key, PBKDF2 minimal so that tests are fast.
 */
const char *make_luks_image(const char *name, const char *type, const char *cipher,
			    const char *mode, size_t key_size);
/* The same, LUKS2 aes-xts-plain64. */
const char *make_image(const char *name);
struct crypt_device *open_image(const char *path);
/* Token @id's JSON (free it), or NULL; replace it with @json. */
char *token_json(const char *path, int id);
void token_replace(const char *path, int id, const char *json);

#endif
