// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libcryptsetup-token-cvmattest.so: the "cvmattest" LUKS2 token as a
 * libcryptsetup external token plugin (ABI CRYPTSETUP_TOKEN_1.0, see
 * libcryptsetup.h), so that `cryptsetup open --token-type cvmattest` and
 * systemd-cryptsetup unlock a bound volume with no cvmattest code of their
 * own.  libcryptsetup dlopen()s it from crypt_token_external_path() when a
 * header holds a token of that type.
 *
 * A thin layer over libcvmattest: open is cvm_luks_token_open(), that is
 * attestation + release + unwrap with every check `cvmattest luks unlock`
 * makes (header binding, the configuration's pinned hosts, its bounded
 * retries and timeouts), configured by /etc/cvmattest/cvmattest.conf;
 * libcryptsetup then opens the token's keyslot with the passphrase.
 *
 * It runs inside other processes (cryptsetup, systemd-cryptsetup): every
 * call owns what it uses (no state between calls), messages go through
 * crypt_log() to the caller's log callback, and it never writes the
 * header, installs a signal handler, exits, or writes to stdout/stderr.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libcryptsetup.h>

#include "base/macro.h"
#include "libcvmattest-luks.h"

#define EXPORT __attribute__((visibility("default")))

/* The ABI's prototypes (libcryptsetup.h has only the function-pointer types). */
EXPORT const char *cryptsetup_token_version(void);
EXPORT int cryptsetup_token_open(struct crypt_device *cd, int token, char **buffer,
				 size_t *buffer_len, void *usrptr);
EXPORT int cryptsetup_token_open_pin(struct crypt_device *cd, int token, const char *pin,
				     size_t pin_size, char **buffer, size_t *buffer_len,
				     void *usrptr);
EXPORT void cryptsetup_token_buffer_free(void *buffer, size_t buffer_len);
EXPORT int cryptsetup_token_validate(struct crypt_device *cd, const char *json);
EXPORT void cryptsetup_token_dump(struct crypt_device *cd, const char *json);

static void secret_freep(struct cvm_secret **s)
{
	cvm_secret_free(*s);
}

static void key_source_freep(struct cvm_key_source **s)
{
	cvm_key_source_free(*s);
}

static void ctx_freep(struct cvm_ctx **c)
{
	cvm_ctx_free(*c);
}

/*
 * libcvmattest's messages to the caller's log: errors as errors, warnings
 * as ordinary messages, the rest at verbose and debug level, so that the
 * caller (cryptsetup -v / --debug, systemd's log level) decides.
 */
static void to_crypt_log(int level, const char *msg, void *userdata)
{
	struct crypt_device *cd = userdata;
	int l;

	switch (level) {
	case CVM_LOG_ERROR:
		l = CRYPT_LOG_ERROR;
		break;
	case CVM_LOG_WARNING:
		l = CRYPT_LOG_NORMAL;
		break;
	case CVM_LOG_INFO:
		l = CRYPT_LOG_VERBOSE;
		break;
	default:
		l = CRYPT_LOG_DEBUG;
		break;
	}
	/* crypt_logf() ends all but ordinary messages with a newline itself */
	crypt_logf(cd, l, l == CRYPT_LOG_NORMAL ? "cvmattest: %s\n" : "cvmattest: %s", msg);
}

const char *cryptsetup_token_version(void)
{
	return CVMATTEST_VERSION;
}

static const char *fail_name(enum cvm_luks_fail f)
{
	switch (f) {
	case CVM_LUKS_FAIL_KEY:
		return "the key was not released (attestation or key release failed)";
	case CVM_LUKS_FAIL_NO_BINDING:
		return "not a cvmattest token";
	case CVM_LUKS_FAIL_UNWRAP:
		return "the token or header is refused (tampered with, moved or malformed)";
	default:
		return "local error";
	}
}

int cryptsetup_token_open_pin(struct crypt_device *cd, int token, const char *pin,
			      size_t pin_size, char **buffer, size_t *buffer_len, void *usrptr)
{
	_cleanup_(ctx_freep) struct cvm_ctx *ctx = NULL;
	_cleanup_(key_source_freep) struct cvm_key_source *src = NULL;
	_cleanup_(secret_freep) struct cvm_secret *pass = NULL;
	enum cvm_luks_fail fail = CVM_LUKS_FAIL_LOCAL;
	char *buf;
	int r;

	(void)usrptr;	/* the caller's, for tokens that need it; ours does not */
	if (!cd || token < 0 || !buffer || !buffer_len)
		return -EINVAL;
	r = cvm_ctx_new(&ctx);
	if (r < 0)
		return r;
	cvm_set_log(ctx, to_crypt_log, cd);
	cvm_set_log_level(ctx, CVM_LOG_DEBUG);
	if (pin && pin_size)
		/* systemd-cryptsetup may offer a PIN it holds for another token */
		crypt_logf(cd, CRYPT_LOG_DEBUG, "cvmattest: token %d takes no PIN; ignored", token);
	r = cvm_key_source_release_new(ctx, NULL, &src);
	if (r < 0) {
		crypt_logf(cd, CRYPT_LOG_ERROR, "cvmattest: token %d: cannot set up key release "
			   "from " CVM_DEFAULT_CONFIG ": %s", token, strerror(-r));
		return r == -ENOMEM ? r : -ENOENT;	/* as below */
	}
	r = cvm_luks_token_open(ctx, cd, token, src, &pass, &fail);
	if (r < 0) {
		crypt_logf(cd, CRYPT_LOG_ERROR, "cvmattest: token %d not opened: %s (%s)", token,
			   fail_name(fail), strerror(-r));
		/*
		 * -ENOENT is libcryptsetup's "this token cannot be used": it goes on
		 * to the volume's other tokens (and systemd-cryptsetup to its
		 * passphrase prompt) instead of stopping at the first error; the
		 * reason is in the messages above.  Any other errno would end the
		 * search, and -ENOANO / -EAGAIN mean "PIN" / "hardware" to callers.
		 */
		return r == -ENOMEM ? r : -ENOENT;
	}
	buf = malloc(cvm_secret_len(pass));
	if (!buf)
		return -ENOMEM;
	memcpy(buf, cvm_secret_data(pass), cvm_secret_len(pass));
	*buffer = buf;
	*buffer_len = cvm_secret_len(pass);
	crypt_logf(cd, CRYPT_LOG_VERBOSE, "cvmattest: token %d: passphrase released and unwrapped, "
		   "header as bound", token);
	return 0;
}

int cryptsetup_token_open(struct crypt_device *cd, int token, char **buffer, size_t *buffer_len,
			  void *usrptr)
{
	return cryptsetup_token_open_pin(cd, token, NULL, 0, buffer, buffer_len, usrptr);
}

void cryptsetup_token_buffer_free(void *buffer, size_t buffer_len)
{
	if (!buffer)
		return;
	explicit_bzero(buffer, buffer_len);
	free(buffer);
}

/*
 * Called by libcryptsetup before every open and when a token of this type
 * is stored (crypt_token_json_set, `cryptsetup token import`): the same
 * strict parser unlock uses, so a token refused here would be refused there.
 */
int cryptsetup_token_validate(struct crypt_device *cd, const char *json)
{
	char why[256] = "";
	int r;

	r = cvm_luks_token_validate(json, why, sizeof(why));
	if (r < 0) {
		crypt_logf(cd, CRYPT_LOG_ERROR, "cvmattest: malformed cvmattest token: %s",
			   why[0] ? why : strerror(-r));
		return -EINVAL;
	}
	return 0;
}

/* The token's number: the dump callback gets only its JSON. */
static int token_number(struct crypt_device *cd, const char *json)
{
	int max = crypt_token_max(CRYPT_LUKS2);

	for (int id = 0; id < max; id++) {
		const char *j;

		if (crypt_token_json_get(cd, id, &j) >= 0 && strcmp(j, json) == 0)
			return id;
	}
	return -1;
}

/* What `cvmattest luks list` shows for the token, for `cryptsetup luksDump`. */
void cryptsetup_token_dump(struct crypt_device *cd, const char *json)
{
	struct cvm_luks_token_info ti;
	_cleanup_free_ char *text = NULL;
	const char *device;

	if (!json || cvm_luks_token_info_from_json(cd, token_number(cd, json), json, &ti) < 0)
		return;
	device = crypt_get_device_name(cd);
	if (ti.error) {
		crypt_logf(cd, CRYPT_LOG_NORMAL, "\tunusable: %s\n", ti.error);
	} else {
		crypt_logf(cd, CRYPT_LOG_NORMAL, "\tcvmattest token version %d, keyslot %d%s\n",
			   ti.version, ti.keyslot, ti.keyslot_active ? "" : " (not in use!)");
		if (cvm_luks_token_info_text(&ti, device, "\t", &text) == 0)
			crypt_log(cd, CRYPT_LOG_NORMAL, text);
	}
	cvm_luks_binding_done(&ti.binding);
	free(ti.key_id);
	free(ti.error);
}
