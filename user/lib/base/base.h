/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libcvmattest, layer "base": byte access, logging, whole-file reads, hex,
 * lists, locked secret buffers, encodings, cache files.  Every other layer
 * builds on this one; it includes nothing of theirs.
 */
#ifndef CVM_BASE_H
#define CVM_BASE_H

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "libcvmattest.h"
#include "base/macro.h"
#include "base/ossl.h"

/* ---- byte access (all evidence integers are little-endian) ------------ */

static inline uint16_t get_le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | (p[1] << 8));
}

static inline uint32_t get_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) |
	       ((uint32_t)p[3] << 24);
}

static inline uint64_t get_le64(const uint8_t *p)
{
	return (uint64_t)get_le32(p) | ((uint64_t)get_le32(p + 4) << 32);
}

/* Big-endian, as TPM 2.0 structures are. */
static inline uint16_t get_be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t get_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline bool all_zero(const uint8_t *p, size_t n)
{
	uint8_t acc = 0;

	for (size_t i = 0; i < n; i++)
		acc |= p[i];
	return acc == 0;
}

/* ---- logging (log.c) ------------------------------------------------------ */

/*
 * Where a context's messages go.  It is the first member of struct cvm_ctx
 * (pki/pki.h), so this layer can log through a context without knowing the
 * rest of it.
 */
struct cvm_log_sink {
	cvm_log_fn fn;
	void *userdata;
	int level;
};

void cvm_log(const struct cvm_ctx *ctx, int level, const char *fmt, ...) _printf_(3, 4);
#define log_error(ctx, ...) cvm_log(ctx, CVM_LOG_ERROR, __VA_ARGS__)
#define log_warning(ctx, ...) cvm_log(ctx, CVM_LOG_WARNING, __VA_ARGS__)
#define log_info(ctx, ...) cvm_log(ctx, CVM_LOG_INFO, __VA_ARGS__)
#define log_debug(ctx, ...) cvm_log(ctx, CVM_LOG_DEBUG, __VA_ARGS__)

/*
 * Log, then return @err as a negative errno (its sign does not matter), in
 * the manner of systemd's log_error_errno(): "return log_error_errno(ctx,
 * r, "Cannot open %s: %m", path);".  "%m" in the format is the text of @err.
 */
int cvm_log_errno(const struct cvm_ctx *ctx, int level, int err, const char *fmt, ...)
	_printf_(4, 5);
#define log_error_errno(ctx, err, ...) cvm_log_errno(ctx, CVM_LOG_ERROR, err, __VA_ARGS__)
#define log_warning_errno(ctx, err, ...) cvm_log_errno(ctx, CVM_LOG_WARNING, err, __VA_ARGS__)
#define log_info_errno(ctx, err, ...) cvm_log_errno(ctx, CVM_LOG_INFO, err, __VA_ARGS__)
#define log_debug_errno(ctx, err, ...) cvm_log_errno(ctx, CVM_LOG_DEBUG, err, __VA_ARGS__)

/* Set the context's level (-1: silent) and return the old one. */
int log_set_level(struct cvm_ctx *ctx, int level);
/* Log the OpenSSL error queue at debug level and clear it. */
void log_openssl(const struct cvm_ctx *ctx, const char *what);

/* ---- small helpers (util.c) ------------------------------------------------- */

/* All of @fd up to @max bytes, NUL-terminated (not counted); -EFBIG past @max. */
int read_fd(int fd, size_t max, uint8_t **ret, size_t *ret_len);
/* The same for a file; "-" is standard input. -EISDIR for a directory. */
int read_file(const char *path, size_t max, uint8_t **ret, size_t *ret_len);
/* All of @len bytes to @fd, retrying short writes and EINTR. */
int write_all(int fd, const void *buf, size_t len);
/* All of @buf to @path ("-": standard output), opened O_WRONLY | @flags; close() checked. */
int write_path(const char *path, int flags, unsigned int mode, const void *buf, size_t len);
/* evidence_hex_decode() without the reason: 1 decoded, 0 not hex, -EBADMSG bad hex text. */
int maybe_hex_decode(const uint8_t *buf, size_t len, uint8_t **ret, size_t *ret_len);
/* A hex digit's value (either case), or -1; the white space hex text may hold. */
int base_hex_digit(int c);
bool base_hex_space(int c);
int sha_digest(const char *md, const uint8_t *buf, size_t len, uint8_t *out, unsigned *out_len);
/* Is @word one of the items of @list (separated by commas and/or spaces)? */
bool list_has(const char *list, const char *word);

/* ---- secrets (secret.c) ----------------------------------------------------------- */

/*
 * The one locked buffer for key material (struct cvm_secret of the public
 * header): its own pages, mlock()ed, left out of core dumps, wiped before
 * they are unmapped.
 */
struct cvm_secret {
	uint8_t *data;
	size_t len;
	size_t map_len;
	bool locked;
};

#define _cleanup_secret_ _cleanup_(cvm_secret_freep)

/* ---- encodings (encoding.c) ------------------------------------------------------ */

/* base64url without padding (padding accepted when decoding). */
char *b64url_encode(const uint8_t *buf, size_t len);
int b64url_decode(const char *s, size_t slen, uint8_t **ret, size_t *ret_len);
/* Standard base64 (x5c, the AzureGuest sealed response, the LUKS token); padding
 * required when @strict, else optional; '-' and '_' also accepted when !strict. */
char *b64_encode(const uint8_t *buf, size_t len);
int b64_decode(const char *s, size_t slen, bool strict, uint8_t **ret, size_t *ret_len);
/* Strict standard base64 of exactly @len bytes into @out, else -EBADMSG. */
int b64_decode_exact(const char *s, uint8_t *out, size_t len);
/* JSON text (compact, sorted keys) of @v; caller frees. */
char *json_compact(const json_t *v);
/* Parse at most @len bytes of JSON text as an object; NULL on error (message in @why). */
json_t *json_parse_object(const uint8_t *buf, size_t len, char *why, size_t why_len);
/* A JSON string of text that need not be UTF-8: non-ASCII bytes become '?'. */
json_t *json_text(const char *v);
/*
 * Evidence given as hex text: digits in either case, whitespace anywhere, and
 * "0x"/"0X" before the text or before any whitespace-separated run of digits
 * (Azure and Intel tooling print quotes so, one "0x" or one per line).
 * 1 decoded into *@ret (malloc'd); 0 not hex text (binary, base64, other text,
 * or fewer than 64 digits without "0x"); -EBADMSG hex text that does not
 * decode: an odd number of digits, or a "0x" text with another character,
 * the reason in @why.
 */
int evidence_hex_decode(const uint8_t *buf, size_t len, uint8_t **ret, size_t *ret_len, char *why,
			size_t why_len);
/* "https://Host[:port]" lower-case, no path, no trailing slash; -EINVAL if not https. */
int url_origin(const char *url, bool allow_http, char **ret);
/* The host of a URL, lower-case, IPv6 without brackets; -EINVAL if there is none. */
int url_host(const char *url, char **ret);

/* ---- cache files (cache.c) ----------------------------------------------------------- */

/* Write a cache file atomically (temp + rename); failures only warn. */
int cache_write(struct cvm_ctx *ctx, const char *path, const void *data, size_t len);

#endif /* CVM_BASE_H */
