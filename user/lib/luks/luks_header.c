// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The LUKS2 header binding: the parts of the header that decide what
 * activating through the token's keyslot does, in a canonical form that the
 * token stores and its AAD authenticates (luks_token.c).  The host owns
 * every byte of the disk and can recompute both header checksums, so
 * without this a disk writer could turn segment 0 into cipher_null-ecb, or
 * another cipher, offset or sector size, or set allow-discards for good, and
 * the token would still open (CVE-2025-59054, CVE-2025-58356 are of this
 * class).  Documentation/admin-guide/cvmattest-luks.rst, "Header binding".
 *
 * The binding is an object with the header's own names and values, as
 * libcryptsetup reads them (crypt_dump_json()):
 *
 *   segments   every segment, every field (type, offset, size, iv_tweak,
 *              encryption, sector_size, integrity, flags, ...)
 *   keyslots   {"N": the token's keyslot N, every field: type, key_size,
 *              area, kdf with all its parameters and salt, af, priority}
 *   digests    every digest whose "keyslots" has N, every field, but with
 *              "keyslots" reduced to ["N"]: another passphrase added with
 *              cryptsetup luksAddKey lands in that list and changes nothing
 *              about what keyslot N opens
 *   config     "flags" and "requirements" when the header has them
 *
 * Whole objects rather than a list of fields: a field that a later LUKS2
 * adds, or that a disk writer adds, is bound as well.  The canonical text is
 * jansson's JSON_COMPACT | JSON_SORT_KEYS | JSON_ENSURE_ASCII of that
 * object, inside the canonical AAD.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <libcryptsetup.h>

#include "luks/luks.h"


static int copy_member(json_t *to, const char *key, json_t *from)
{
	json_t *v = json_object_get(from, key);

	if (!v)
		return 0;
	return json_object_set_new(to, key, json_deep_copy(v)) < 0 ? -ENOMEM : 0;
}

static bool array_has_string(const json_t *a, const char *s)
{
	size_t i;
	json_t *v;

	json_array_foreach(a, i, v)
		if (json_is_string(v) && strcmp(json_string_value(v), s) == 0)
			return true;
	return false;
}

int luks_header_binding_from_json(const char *dump, int keyslot, json_t **ret, char *why,
				  size_t why_len)
{
	_cleanup_json_ json_t *hdr = NULL, *b = NULL;
	json_t *segments, *keyslots, *slot, *digests, *config, *dg, *out_ks, *out_dg, *out_cfg;
	const char *id;
	char n[16];

	snprintf(n, sizeof(n), "%d", keyslot);
	hdr = json_loads(dump, 0, NULL);
	segments = json_object_get(hdr, "segments");
	keyslots = json_object_get(hdr, "keyslots");
	digests = json_object_get(hdr, "digests");
	config = json_object_get(hdr, "config");
	if (!json_is_object(segments) || !json_is_object(keyslots) || !json_is_object(digests) ||
	    !json_is_object(config)) {
		snprintf(why, why_len, "the LUKS2 header JSON lacks segments, keyslots, digests or config");
		return -EBADMSG;
	}
	slot = json_object_get(keyslots, n);
	if (!json_is_object(slot)) {
		snprintf(why, why_len, "keyslot %d is not in the header", keyslot);
		return -ENOENT;
	}
	b = json_object();
	out_ks = json_object();
	out_dg = json_object();
	out_cfg = json_object();
	if (!b || json_object_set_new(b, "keyslots", out_ks) < 0 ||
	    json_object_set_new(b, "digests", out_dg) < 0 ||
	    json_object_set_new(b, "config", out_cfg) < 0 ||
	    json_object_set_new(b, "segments", json_deep_copy(segments)) < 0 ||
	    json_object_set_new(out_ks, n, json_deep_copy(slot)) < 0 ||
	    copy_member(out_cfg, "flags", config) < 0 || copy_member(out_cfg, "requirements", config) < 0)
		return -ENOMEM;
	json_object_foreach(digests, id, dg) {
		json_t *copy;

		if (!json_is_object(dg) || !array_has_string(json_object_get(dg, "keyslots"), n))
			continue;
		copy = json_deep_copy(dg);
		if (!copy || json_object_set_new(out_dg, id, copy) < 0 ||
		    json_object_set_new(copy, "keyslots", json_pack("[s]", n)) < 0)
			return -ENOMEM;
	}
	if (json_object_size(out_dg) == 0) {
		snprintf(why, why_len, "no digest covers keyslot %d", keyslot);
		return -EBADMSG;
	}
	*ret = TAKE_PTR(b);
	return 0;
}

int luks_header_binding(struct cvm_ctx *ctx, struct crypt_device *cd, int keyslot, json_t **ret)
{
	const char *dump = NULL;
	char why[128];
	int r;

	r = crypt_dump_json(cd, &dump, 0);
	if (r < 0)
		return log_error_errno(ctx, r, "Cannot read the LUKS2 header JSON: %s", strerror(-r));
	r = luks_header_binding_from_json(dump, keyslot, ret, why, sizeof(why));
	if (r < 0)
		log_error(ctx, "Cannot bind the LUKS2 header: %s", why);
	return r;
}

/* libcryptsetup's own test (crypt_is_cipher_null()): "cipher_null" anywhere, or "null". */
static bool cipher_is_null(const char *spec)
{
	return spec && (strstr(spec, "cipher_null") || strcmp(spec, "null") == 0);
}

int luks_header_refuse_null_cipher(struct cvm_ctx *ctx, const char *device, const json_t *b)
{
	json_t *segments = json_object_get(b, "segments"), *keyslots = json_object_get(b, "keyslots");
	const char *id;
	json_t *v;
	int r = 0;

	json_object_foreach(segments, id, v) {
		const char *enc = json_string_value(json_object_get(v, "encryption"));

		if (cipher_is_null(enc)) {
			log_error(ctx, "%s: segments.%s.encryption is %s: a null cipher keeps the data in "
				  "clear; refused", device, id, enc);
			r = -EPERM;
		}
	}
	json_object_foreach(keyslots, id, v) {
		const char *enc = json_string_value(json_object_get(json_object_get(v, "area"),
								    "encryption"));

		if (cipher_is_null(enc)) {
			log_error(ctx, "%s: keyslots.%s.area.encryption is %s: a null cipher keeps the "
				  "volume key in clear; refused", device, id, enc);
			r = -EPERM;
		}
	}
	return r;
}

/* ---- differences -------------------------------------------------------------------------- */

#define DIFF_MAX 16		/* lines; a rewritten header says enough with these */
#define VALUE_MAX 96		/* characters of a value shown */

static void show_value(const json_t *v, char *buf, size_t len)
{
	_cleanup_free_ char *s = NULL;
	const char *text;

	if (json_is_string(v)) {
		text = json_string_value(v);
	} else {
		s = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY | JSON_ENSURE_ASCII);
		text = s ? s : "?";
	}
	if (strlen(text) > VALUE_MAX)
		snprintf(buf, len, "%.*s...", VALUE_MAX, text);
	else
		snprintf(buf, len, "%s", text);
}

struct diff {
	struct cvm_ctx *ctx;
	const char *device;
	int level;
	const char *now_word;	/* "header says" or "now" */
	int n;
};

static void diff_line(struct diff *d, const char *path, const json_t *bound, const json_t *now)
{
	char a[VALUE_MAX + 8], b[VALUE_MAX + 8];

	if (d->n++ >= DIFF_MAX) {
		if (d->n == DIFF_MAX + 1)
			cvm_log(d->ctx, d->level, "%s: ... and more differences", d->device);
		return;
	}
	if (bound)
		show_value(bound, a, sizeof(a));
	if (now)
		show_value(now, b, sizeof(b));
	if (bound && now)
		cvm_log(d->ctx, d->level, "%s: %s changed: bound %s, %s %s", d->device, path, a,
			d->now_word, b);
	else if (bound)
		cvm_log(d->ctx, d->level, "%s: %s removed: bound %s", d->device, path, a);
	else
		cvm_log(d->ctx, d->level, "%s: %s added: %s %s", d->device, path, d->now_word, b);
}

static void diff_walk(struct diff *d, const char *path, const json_t *bound, const json_t *now)
{
	char sub[256];
	const char *key;
	json_t *v;

	if (json_equal((json_t *)bound, (json_t *)now))
		return;
	if (!json_is_object(bound) || !json_is_object(now)) {
		diff_line(d, path, bound, now);
		return;
	}
	json_object_foreach((json_t *)bound, key, v) {
		snprintf(sub, sizeof(sub), "%s%s%s", path, *path ? "." : "", key);
		diff_walk(d, sub, v, json_object_get(now, key));
	}
	json_object_foreach((json_t *)now, key, v)
		if (!json_object_get(bound, key)) {
			snprintf(sub, sizeof(sub), "%s%s%s", path, *path ? "." : "", key);
			diff_line(d, sub, NULL, v);
		}
}

/* A whole binding missing on one side is one line; else the walk. */
static void diff_any(struct diff *d, const char *path, const json_t *bound, const json_t *now)
{
	if (!bound || !now)
		diff_line(d, path, bound, now);
	else
		diff_walk(d, path, bound, now);
}

int luks_header_diff(struct cvm_ctx *ctx, const char *device, int level, const char *now_word,
		     const json_t *bound, const json_t *now)
{
	struct diff d = { .ctx = ctx, .device = device, .level = level, .now_word = now_word };

	diff_any(&d, "", bound, now);
	return d.n;
}
