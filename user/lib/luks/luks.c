// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Bind a LUKS2 volume to a released key, unlock it, unbind, list; find the
 * volumes bound on this machine.  Header work is libcryptsetup's; the token
 * format is luks_token.c's; the crypto is luks_crypto.c's.
 *
 * Bind is all or nothing.  Everything that can fail without writing is done
 * first (the key from the key source, the authorizing passphrase, free
 * keyslot and token numbers, the token itself).  Then the header and keyslot
 * areas are copied to memory (a memfd) and the two writes happen: keyslot,
 * token.  The token is read back from the disk and must give back the
 * passphrase that opens the keyslot.  If anything fails after the copy, the
 * copy is written back with crypt_header_restore() and the disk compared
 * with it byte for byte, so "as before" is checked, not assumed.
 *
 * Unlock only reads: crypt_load(), token and keyslot queries, activation.
 */
#include <ctype.h>
#include <dirent.h>
#include <endian.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include <libcryptsetup.h>

#include "luks/luks.h"


int (*luks_test_hook)(enum luks_step step, char **json);

static int hook(enum luks_step step, char **json)
{
	return luks_test_hook ? luks_test_hook(step, json) : 0;
}

static void set_fail(enum cvm_luks_fail *fail, enum cvm_luks_fail f)
{
	if (fail)
		*fail = f;
}


DEFINE_TRIVIAL_CLEANUP_FUNC(DIR *, closedir)

static inline void crypt_safe_freep(char **p)
{
	crypt_safe_free(*p);
}

/* ---- libcryptsetup glue ---------------------------------------------------------------- */

struct cs_log_ud {
	struct cvm_ctx *ctx;
	bool quiet;			/* probing: its errors are expected, keep them at debug */
};

static void cs_log(int level, const char *msg, void *userdata)
{
	const struct cs_log_ud *ud = userdata;
	size_t n = strlen(msg);
	int lvl;

	while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
		n--;
	if (n == 0)
		return;
	/*
	 * Its errors come with ours, which say what failed; they add detail
	 * ("Device is in use"), shown at INFO (-v).
	 */
	lvl = level == CRYPT_LOG_ERROR && !ud->quiet ? CVM_LOG_INFO : CVM_LOG_DEBUG;
	cvm_log(ud->ctx, lvl, "libcryptsetup: %.*s", (int)n, msg);
}

struct luks_dev {
	struct crypt_device *cd;
	struct cs_log_ud log;
	const char *path;
	const char *uuid;		/* owned by cd */
};

static void luks_dev_close(struct luks_dev *d)
{
	if (d->cd)
		crypt_free(d->cd);
	d->cd = NULL;
}

/*
 * Is device-mapper there: /dev/mapper/control, and the misc device registered
 * (libcryptsetup's open of the control node has loaded dm_mod if it could).
 * libcryptsetup says only "Operation not supported" when it is not.
 */
static bool dm_available(void)
{
	_cleanup_fclose_ FILE *f = NULL;
	char line[128];

	if (access("/dev/mapper/control", F_OK) < 0)
		return false;
	f = fopen("/proc/misc", "re");
	if (!f)
		return true;	/* cannot tell: do not blame device-mapper */
	while (fgets(line, sizeof(line), f))
		if (strstr(line, " device-mapper"))
			return true;
	return false;
}

/*
 * What a path that libcryptsetup cannot open is, in words naming the fix:
 * libcryptsetup says "Block device required" for all of them.
 */
static void log_open_error(struct cvm_ctx *ctx, const char *path, int r)
{
	struct stat st;

	if (stat(path, &st) < 0)
		log_error(ctx, "%s: %s; give the encrypted volume's block device (for example "
			  "/dev/disk/by-uuid/UUID, see lsblk -f) or a LUKS2 image file", path,
			  strerror(errno));
	else if (S_ISDIR(st.st_mode))
		log_error(ctx, "%s is a directory; give the encrypted volume's block device or a "
			  "LUKS2 image file", path);
	else if (!S_ISBLK(st.st_mode) && !S_ISREG(st.st_mode))
		log_error(ctx, "%s is not a block device or an image file; give the encrypted "
			  "volume's block device (for example /dev/disk/by-uuid/UUID)", path);
	else
		log_error(ctx, "Cannot open %s: %s", path, strerror(-r));
}

static int luks_dev_open(struct cvm_ctx *ctx, const char *path, bool quiet, struct luks_dev *d)
{
	int r;

	memset(d, 0, sizeof(*d));
	d->log.ctx = ctx;
	d->log.quiet = quiet;
	d->path = path;
	/* messages of crypt_init() itself go to the default callback */
	crypt_set_log_callback(NULL, cs_log, &d->log);
	r = crypt_init(&d->cd, path);
	crypt_set_log_callback(NULL, NULL, NULL);
	if (r < 0) {
		d->cd = NULL;
		if (!quiet)
			log_open_error(ctx, path, r);
		return r;
	}
	crypt_set_log_callback(d->cd, cs_log, &d->log);
	r = crypt_load(d->cd, CRYPT_LUKS2, NULL);
	if (r < 0) {
		if (!quiet) {
			if (crypt_load(d->cd, CRYPT_LUKS1, NULL) == 0)
				log_error(ctx, "%s is a LUKS1 volume; tokens need LUKS2 (convert it with "
					  "'cryptsetup convert --type luks2 %s')", path, path);
			else
				log_error(ctx, "%s is not a LUKS2 volume (%s)", path, strerror(-r));
		}
		luks_dev_close(d);
		return r == -ENOENT ? r : -EINVAL;
	}
	d->uuid = crypt_get_uuid(d->cd);
	if (!d->uuid || !luks_string_ok(d->uuid)) {
		if (!quiet)
			log_error(ctx, "%s: the LUKS2 header has no usable UUID", path);
		luks_dev_close(d);
		return -EINVAL;
	}
	return 0;
}

/* Is token @id a cvmattest token?  Its JSON (owned by cd) in *json. */
static bool token_is_ours(struct crypt_device *cd, int id, const char **json)
{
	crypt_token_info st;
	const char *type = NULL;

	st = crypt_token_status(cd, id, &type);
	if (st != CRYPT_TOKEN_EXTERNAL && st != CRYPT_TOKEN_EXTERNAL_UNKNOWN)
		return false;
	if (!type || strcmp(type, CVM_LUKS_TOKEN_TYPE) != 0)
		return false;
	return crypt_token_json_get(cd, id, json) >= 0;
}

static int token_count(void)
{
	int n = crypt_token_max(CRYPT_LUKS2);

	return n > 0 ? n : 32;
}

/* The keyslot a token names, read leniently (for a token that does not parse). */
static int token_any_keyslot(const char *json)
{
	_cleanup_json_ json_t *o = json_loads(json, 0, NULL);
	json_t *slots = json_object_get(o, "keyslots");
	const char *s;
	char *end;
	long v;

	if (!json_is_array(slots) || json_array_size(slots) < 1)
		return -1;
	s = json_string_value(json_array_get(slots, 0));
	if (!s)
		return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	return errno || end == s || *end || v < 0 || v > INT_MAX ? -1 : (int)v;
}

static bool keyslot_active(struct crypt_device *cd, int slot)
{
	crypt_keyslot_info st = crypt_keyslot_status(cd, slot);

	return st == CRYPT_SLOT_ACTIVE || st == CRYPT_SLOT_ACTIVE_LAST;
}

static int count_active_keyslots(struct crypt_device *cd)
{
	int n = 0, max = crypt_keyslot_max(CRYPT_LUKS2);

	for (int i = 0; i < max; i++)
		n += keyslot_active(cd, i);
	return n;
}

/* ---- header snapshot and restore --------------------------------------------------------- */

/*
 * LUKS2 on-disk format (https://gitlab.com/cryptsetup/LUKS2-docs), binary
 * header: magic[6] version u16 hdr_size u64 seqid u64 ..., big-endian.  The
 * second copy starts at hdr_size; the keyslot areas follow both copies.
 */
#define LUKS2_HDR_SIZE_OFF 8
#define LUKS2_SEQID_OFF 16

struct snapshot {
	int fd;				/* memfd holding the header and keyslot areas */
	size_t size;
	uint64_t seqid;			/* at the time of the snapshot */
	uint64_t seqid_ours;		/* after our last successful write */
	char path[64];			/* /proc/self/fd/N, for crypt_header_restore() */
};

static void snapshot_done(struct snapshot *s)
{
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
}

static int read_be64_at(int fd, off_t off, uint64_t *ret)
{
	uint64_t v;

	if (pread(fd, &v, sizeof(v), off) != (ssize_t)sizeof(v))
		return -EIO;
	*ret = be64toh(v);
	return 0;
}

static int device_seqid(const char *path, uint64_t *ret)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	return read_be64_at(fd, LUKS2_SEQID_OFF, ret);
}

/* Size of the binary headers, JSON areas and keyslot areas. */
static int header_areas_size(struct luks_dev *d, int devfd, size_t *ret)
{
	_cleanup_json_ json_t *o = NULL;
	const char *dump = NULL, *ks;
	uint64_t hdr_size, keyslots;
	char *end;
	int r;

	r = read_be64_at(devfd, LUKS2_HDR_SIZE_OFF, &hdr_size);
	if (r < 0)
		return r;
	r = crypt_dump_json(d->cd, &dump, 0);
	if (r < 0)
		return r;
	o = json_loads(dump, 0, NULL);
	ks = json_string_value(json_object_get(json_object_get(o, "config"), "keyslots_size"));
	if (!ks)
		return -EBADMSG;
	errno = 0;
	keyslots = strtoull(ks, &end, 10);
	/* LUKS2 limits: 16 KiB..4 MiB per header copy, keyslot areas up to 128 MiB */
	if (errno || *end || hdr_size < 16384 || hdr_size > (4u << 20) || keyslots > (128u << 20))
		return -EBADMSG;
	*ret = (size_t)(2 * hdr_size + keyslots);
	return 0;
}

static int snapshot_take(struct cvm_ctx *ctx, struct luks_dev *d, struct snapshot *s)
{
	_cleanup_close_ int devfd = -1;
	_cleanup_free_ uint8_t *buf = NULL;
	const size_t chunk = 1u << 20;
	uint64_t hdr_size, seq2;
	size_t done;
	int r;

	s->fd = -1;
	devfd = open(d->path, O_RDONLY | O_CLOEXEC);
	if (devfd < 0)
		return -errno;
	r = header_areas_size(d, devfd, &s->size);
	if (r < 0)
		return log_error_errno(ctx, r, "%s: cannot size the LUKS2 header: %s",
				       d->path, strerror(-r));
	/* Both header copies must agree: a header being written by someone else does not. */
	if (read_be64_at(devfd, LUKS2_HDR_SIZE_OFF, &hdr_size) < 0 ||
	    read_be64_at(devfd, LUKS2_SEQID_OFF, &s->seqid) < 0 ||
	    read_be64_at(devfd, (off_t)(hdr_size + LUKS2_SEQID_OFF), &seq2) < 0)
		return -EIO;
	if (s->seqid != seq2) {
		log_error(ctx, "%s: the two LUKS2 header copies differ (sequence %llu and %llu); "
			  "is another tool changing the header?", d->path,
			  (unsigned long long)s->seqid, (unsigned long long)seq2);
		return -EBUSY;
	}
	s->seqid_ours = s->seqid;
	s->fd = memfd_create("cvmattest-luks-header", MFD_CLOEXEC);
	if (s->fd < 0)
		return -errno;
	buf = malloc(chunk);
	if (!buf)
		return -ENOMEM;
	for (done = 0; done < s->size;) {
		size_t want = s->size - done < chunk ? s->size - done : chunk;
		ssize_t n = pread(devfd, buf, want, (off_t)done);

		if (n <= 0 || write(s->fd, buf, (size_t)n) != n) {
			snapshot_done(s);
			return n < 0 ? -errno : -EIO;
		}
		done += (size_t)n;
	}
	snprintf(s->path, sizeof(s->path), "/proc/self/fd/%d", s->fd);
	log_debug(ctx, "Saved %zu bytes of LUKS2 header and keyslot areas (sequence %llu)", s->size,
		  (unsigned long long)s->seqid);
	return 0;
}

/* After a write of ours succeeded. */
static void snapshot_note_write(struct luks_dev *d, struct snapshot *s)
{
	uint64_t v;

	if (device_seqid(d->path, &v) == 0)
		s->seqid_ours = v;
}

/* 0: the disk holds exactly the snapshot. */
static int snapshot_compare(const char *path, const struct snapshot *s)
{
	_cleanup_close_ int devfd = open(path, O_RDONLY | O_CLOEXEC);
	_cleanup_free_ uint8_t *a = NULL, *b = NULL;
	const size_t chunk = 1u << 20;

	if (devfd < 0)
		return -errno;
	a = malloc(chunk);
	b = malloc(chunk);
	if (!a || !b)
		return -ENOMEM;
	for (size_t done = 0; done < s->size;) {
		size_t want = s->size - done < chunk ? s->size - done : chunk;

		if (pread(devfd, a, want, (off_t)done) != (ssize_t)want ||
		    pread(s->fd, b, want, (off_t)done) != (ssize_t)want)
			return -EIO;
		if (memcmp(a, b, want) != 0)
			return -EUCLEAN;
		done += want;
	}
	return 0;
}

/*
 * Put the saved header back.  Only when nobody else wrote in between: the
 * sequence number may have moved by our writes and one more (the write of
 * a failed call), else the restore would undo someone else's change.
 */
static int snapshot_restore(struct cvm_ctx *ctx, struct luks_dev *d, struct snapshot *s)
{
	uint64_t now;
	int r;

	r = device_seqid(d->path, &now);
	if (r < 0)
		return r;
	if (now == s->seqid) {
		r = snapshot_compare(d->path, s);
		if (r == 0) {
			log_debug(ctx, "The header was not written; nothing to restore");
			return 0;
		}
	}
	if (now < s->seqid || now > s->seqid_ours + 1) {
		log_error(ctx, "%s: the header changed under us (sequence %llu, expected %llu or %llu); "
			  "not restoring it", d->path, (unsigned long long)now,
			  (unsigned long long)s->seqid_ours, (unsigned long long)s->seqid_ours + 1);
		return -ESTALE;
	}
	r = hook(LUKS_STEP_RESTORE, NULL);
	if (r == 0)
		r = crypt_header_restore(d->cd, CRYPT_LUKS2, s->path);
	if (r < 0)
		return log_error_errno(ctx, r, "%s: cannot write the saved header back: %s",
				       d->path, strerror(-r));
	r = snapshot_compare(d->path, s);
	if (r < 0) {
		log_error(ctx, "%s: after restoring, the header differs from the saved copy (%s)",
			  d->path, strerror(-r));
		return r;
	}
	log_info(ctx, "%s: header restored; it is byte for byte as before", d->path);
	return 0;
}

/* ---- bind ------------------------------------------------------------------------------------ */

static int get_key(struct cvm_ctx *ctx, const struct cvm_key_source *src,
		   const struct cvm_luks_binding *b, struct cvm_secret **k, char **kid)
{
	size_t len;
	int r;

	*k = NULL;
	*kid = NULL;
	r = src->get_key(ctx, b, src->userdata, k, kid);
	if (r < 0) {
		log_error(ctx, "Cannot obtain the key from %s: %s", src->name ? src->name : "the key source",
			  strerror(-r));
		/* a source that failed half-way may have left something */
		cvm_secret_free(*k);
		*k = NULL;
		free(*kid);
		*kid = NULL;
		return r;
	}
	len = cvm_secret_len(*k);
	if (!*k || len < LUKS_KEY_MIN || len > LUKS_KEY_MAX) {
		log_error(ctx, "%s gave a key of %zu bytes; %d to %d expected",
			  src->name ? src->name : "The key source", len, LUKS_KEY_MIN, LUKS_KEY_MAX);
		cvm_secret_free(*k);
		*k = NULL;
		free(*kid);
		*kid = NULL;
		return -EBADMSG;
	}
	if (*kid && !luks_string_ok(*kid)) {
		free(*kid);
		*kid = NULL;
	}
	return 0;
}

static int pick_keyslot(struct cvm_ctx *ctx, struct luks_dev *d, int want)
{
	int max = crypt_keyslot_max(CRYPT_LUKS2);

	if (want >= 0) {
		if (want >= max)
			return log_error_errno(ctx, -EINVAL, "Keyslot %d does not exist (0 to %d)",
					       want, max - 1);
		if (crypt_keyslot_status(d->cd, want) != CRYPT_SLOT_INACTIVE)
			return log_error_errno(ctx, -EEXIST, "%s: keyslot %d is in use",
					       d->path, want);
		return want;
	}
	for (int i = 0; i < max; i++)
		if (crypt_keyslot_status(d->cd, i) == CRYPT_SLOT_INACTIVE)
			return i;
	return log_error_errno(ctx, -ENOSPC, "%s: no free keyslot", d->path);
}

static int pick_token(struct cvm_ctx *ctx, struct luks_dev *d)
{
	for (int i = 0; i < token_count(); i++)
		if (crypt_token_status(d->cd, i, NULL) == CRYPT_TOKEN_INACTIVE)
			return i;
	return log_error_errno(ctx, -ENOSPC, "%s: no free token slot", d->path);
}

/* The token on disk gives back @p, and @p opens @slot. */
static int bind_verify(struct cvm_ctx *ctx, const char *path, int token, int slot,
		       const struct cvm_secret *k, const struct cvm_secret *p)
{
	_cleanup_secret_ struct cvm_secret *p2 = NULL;
	_cleanup_json_ json_t *now = NULL;
	struct luks_token t = { 0 };
	struct luks_dev d;
	const char *json;
	char why[256];
	int r;

	r = luks_dev_open(ctx, path, false, &d);
	if (r < 0)
		return r;
	if (!token_is_ours(d.cd, token, &json)) {
		log_error(ctx, "%s: token %d is not there after writing it", path, token);
		r = -EIO;
		goto out;
	}
	r = luks_token_parse(json, &t, why, sizeof(why));
	if (r < 0) {
		log_error(ctx, "%s: token %d does not read back: %s", path, token, why);
		goto out;
	}
	r = luks_token_unwrap(ctx, &t, d.uuid, k, &p2);
	if (r < 0) {
		log_error(ctx, "%s: token %d read back does not unwrap: %s", path, token, strerror(-r));
		goto out;
	}
	if (t.keyslot != slot || cvm_secret_len(p2) != cvm_secret_len(p) ||
	    memcmp(cvm_secret_data(p2), cvm_secret_data(p), cvm_secret_len(p)) != 0) {
		log_error(ctx, "%s: token %d read back holds another passphrase", path, token);
		r = -EIO;
		goto out;
	}
	r = luks_header_binding(ctx, d.cd, slot, &now);
	if (r < 0)
		goto out;
	if (!t.header || luks_header_diff(ctx, path, CVM_LOG_ERROR, "header says", t.header, now) > 0) {
		log_error(ctx, "%s: token %d read back does not bind the header as it is", path, token);
		r = -EIO;
		goto out;
	}
	r = crypt_activate_by_passphrase(d.cd, NULL, slot, (const char *)cvm_secret_data(p2),
					 cvm_secret_len(p2), 0);
	if (r != slot) {
		log_error(ctx, "%s: the new keyslot %d does not open with the token's passphrase (%s)",
			  path, slot, strerror(r < 0 ? -r : EIO));
		r = r < 0 ? r : -EIO;
		goto out;
	}
	r = 0;
out:
	luks_token_done(&t);
	luks_dev_close(&d);
	return r;
}

/*
 * Write token @token (@json, which the test hook may change) over @d, note the
 * write in @snap (so that a rollback restores the header), and check it reads
 * back as bind_verify() wants.  The caller rolls back on failure.
 */
static int token_store_verified(struct cvm_ctx *ctx, struct luks_dev *d, struct snapshot *snap,
				int token, int slot, const struct cvm_secret *k,
				const struct cvm_secret *pass, char **json)
{
	int r;

	r = hook(LUKS_STEP_BIND_TOKEN, json);
	if (r < 0)
		return r;
	r = crypt_token_json_set(d->cd, token, *json);
	if (r < 0)
		return log_error_errno(ctx, r, "%s: cannot store token %d: %m", d->path, token);
	snapshot_note_write(d, snap);
	r = hook(LUKS_STEP_BIND_VERIFY, NULL);
	if (r < 0)
		return r;
	return bind_verify(ctx, d->path, token, slot, k, pass);
}

static int binding_copy(const struct cvm_luks_binding *from, struct cvm_luks_binding *to)
{
	const char *const *keys = cvm_luks_release_keys();
	int r;

	memset(to, 0, sizeof(*to));
	for (; *keys; keys++) {
		r = cvm_luks_binding_set(to, *keys, cvm_luks_binding_get(from, *keys));
		if (r < 0)
			return r;
	}
	if (from->platform) {
		to->platform = strdup(from->platform);
		if (!to->platform)
			return -ENOMEM;
	}
	return 0;
}

int cvm_luks_bind(struct cvm_ctx *ctx, const char *device, const struct cvm_luks_bind_params *p,
		  const struct cvm_key_source *src, int *ret_token, int *ret_keyslot,
		  enum cvm_luks_fail *fail)
{
	_cleanup_secret_ struct cvm_secret *k = NULL, *pass = NULL;
	_cleanup_(crypt_safe_freep) char *vk = NULL;
	_cleanup_free_ char *kid = NULL, *json = NULL;
	struct crypt_pbkdf_type pbkdf = {
		.type = CRYPT_KDF_PBKDF2,
		.hash = LUKS_PBKDF_HASH,
		.iterations = LUKS_PBKDF_ITERATIONS,
		.flags = CRYPT_PBKDF_NO_BENCHMARK,
	};
	struct snapshot snap = { .fd = -1 };
	struct luks_token t = { 0 };
	struct luks_dev d = { 0 };
	size_t vk_size;
	int r, slot, token, from;

	set_fail(fail, CVM_LUKS_FAIL_LOCAL);
	if (!ctx || !device || !p || !p->binding || !src || !src->get_key ||
	    (!p->passphrase && p->passphrase_len))
		return -EINVAL;
	r = cvm_luks_binding_validate(ctx, p->binding);
	if (r < 0)
		return r;
	if (src->check_binding) {
		/* a binding that unlock would refuse is refused now */
		r = src->check_binding(ctx, p->binding, src->userdata);
		if (r < 0)
			return r;
	}
	r = luks_dev_open(ctx, device, false, &d);
	if (r < 0)
		return r;

	/* The volume key, once: it proves the passphrase and adds the keyslot. */
	r = crypt_get_volume_key_size(d.cd);
	if (r <= 0) {
		log_error(ctx, "%s: cannot tell the volume key size", device);
		r = -EINVAL;
		goto out;
	}
	vk_size = (size_t)r;
	vk = crypt_safe_alloc(vk_size);
	if (!vk) {
		r = -ENOMEM;
		goto out;
	}
	r = crypt_volume_key_get(d.cd, CRYPT_ANY_SLOT, vk, &vk_size, (const char *)p->passphrase,
				 p->passphrase_len);
	if (r < 0) {
		if (r == -EPERM) {
			log_error(ctx, "%s: the passphrase given opens no keyslot", device);
			set_fail(fail, CVM_LUKS_FAIL_AUTH);
		} else {
			log_error(ctx, "%s: cannot unlock the volume key: %s", device, strerror(-r));
		}
		goto out;
	}
	from = r;
	log_debug(ctx, "%s: the passphrase opens keyslot %d", device, from);
	{
		_cleanup_json_ json_t *hb = NULL;

		/* a volume that keeps its data in clear is not worth binding: refused before writing */
		r = luks_header_binding(ctx, d.cd, from, &hb);
		if (r == 0)
			r = luks_header_refuse_null_cipher(ctx, device, hb);
		if (r < 0)
			goto out;
	}

	slot = pick_keyslot(ctx, &d, p->keyslot);
	if (slot < 0) {
		r = slot;
		goto out;
	}
	token = pick_token(ctx, &d);
	if (token < 0) {
		r = token;
		goto out;
	}

	r = get_key(ctx, src, p->binding, &k, &kid);
	if (r < 0) {
		set_fail(fail, CVM_LUKS_FAIL_KEY);
		goto out;
	}
	r = cvm_secret_new(LUKS_PASSPHRASE_LEN, &pass);
	if (r < 0)
		goto out;
	r = luks_random(cvm_secret_data(pass), LUKS_PASSPHRASE_LEN);
	if (r < 0)
		goto out;

	t.version = CVM_LUKS_TOKEN_VERSION;
	t.keyslot = slot;
	r = binding_copy(p->binding, &t.binding);
	if (r < 0)
		goto out;
	t.key_id = TAKE_PTR(kid);
	r = crypt_set_pbkdf_type(d.cd, &pbkdf);
	if (r < 0) {
		log_error(ctx, "Cannot select PBKDF2 for the new keyslot: %s", strerror(-r));
		goto out;
	}

	/* From here on the header changes; a failure puts the saved copy back. */
	r = snapshot_take(ctx, &d, &snap);
	if (r < 0) {
		log_error(ctx, "%s: cannot save the header before changing it: %s", device, strerror(-r));
		goto out;
	}
	r = hook(LUKS_STEP_BIND_KEYSLOT, NULL);
	if (r < 0)
		goto rollback;
	r = crypt_keyslot_add_by_volume_key(d.cd, slot, vk, vk_size,
					    (const char *)cvm_secret_data(pass), LUKS_PASSPHRASE_LEN);
	if (r < 0) {
		log_error(ctx, "%s: cannot add keyslot %d: %s", device, slot, strerror(-r));
		goto rollback;
	}
	snapshot_note_write(&d, &snap);
	crypt_safe_memzero(vk, vk_size);

	/*
	 * The header binding covers the new keyslot (its KDF salt is only known
	 * now), so the passphrase is wrapped after the keyslot is written.
	 */
	r = luks_header_binding(ctx, d.cd, slot, &t.header);
	if (r == 0)
		r = luks_header_refuse_null_cipher(ctx, device, t.header);
	if (r < 0)
		goto rollback;
	r = luks_token_wrap(ctx, &t, d.uuid, k, pass);
	if (r < 0) {
		log_error(ctx, "Cannot wrap the new passphrase: %s", strerror(-r));
		goto rollback;
	}
	log_debug(ctx, "Passphrase wrapped with HKDF and AES-GCM by the %s backend",
		  luks_crypto_last_backend(ctx));
	r = luks_token_format(&t, &json);
	if (r < 0)
		goto rollback;

	r = token_store_verified(ctx, &d, &snap, token, slot, k, pass, &json);
	if (r < 0)
		goto rollback;
	r = hook(LUKS_STEP_BIND_DONE, NULL);
	if (r < 0)
		goto rollback;

	log_info(ctx, "%s: bound: token %d, keyslot %d (PBKDF2, %d iterations)", device, token, slot,
		 LUKS_PBKDF_ITERATIONS);
	if (ret_token)
		*ret_token = token;
	if (ret_keyslot)
		*ret_keyslot = slot;
	set_fail(fail, CVM_LUKS_FAIL_NONE);
	r = 0;
	goto out;

rollback:
	if (snapshot_restore(ctx, &d, &snap) < 0) {
		/* Second line of defence: take out what we added, by number. */
		int k1 = crypt_token_status(d.cd, token, NULL) != CRYPT_TOKEN_INACTIVE ?
			 crypt_token_json_set(d.cd, token, NULL) : 0;
		int k2 = crypt_keyslot_status(d.cd, slot) != CRYPT_SLOT_INACTIVE ?
			 crypt_keyslot_destroy(d.cd, slot) : 0;

		if (k1 < 0 || k2 < 0)
			log_error(ctx, "%s: could not undo the bind: check token %d and keyslot %d "
				  "with 'cryptsetup luksDump %s'", device, token, slot, device);
		else
			log_error(ctx, "%s: token %d and keyslot %d removed again; the rest of the "
				  "header is unchanged but its sequence number moved", device, token, slot);
	}
out:
	snapshot_done(&snap);
	luks_token_done(&t);
	luks_dev_close(&d);
	return r;
}

/* ---- refresh ---------------------------------------------------------------------------------- */

/* Token @want (-1: the only cvmattest token): its number and a copy of its JSON. */
static int find_our_token(struct cvm_ctx *ctx, struct luks_dev *d, int want, char **ret_json,
			  enum cvm_luks_fail *fail)
{
	int found = -1, n_ours = 0;
	char ids[128] = "";

	for (int id = 0; id < token_count(); id++) {
		const char *json;

		if (!token_is_ours(d->cd, id, &json))
			continue;
		n_ours++;
		snprintf(ids + strlen(ids), sizeof(ids) - strlen(ids), "%s%d", n_ours > 1 ? ", " : "", id);
		if (want < 0 || id == want) {
			found = id;
			free(*ret_json);
			*ret_json = strdup(json);
			if (!*ret_json)
				return -ENOMEM;
		}
	}
	if (found < 0) {
		if (want >= 0 && n_ours > 0)
			log_error(ctx, "%s: token %d is not a cvmattest token (those are: %s)", d->path,
				  want, ids);
		else
			log_error(ctx, "%s is not bound to cvmattest (no cvmattest token)", d->path);
		set_fail(fail, CVM_LUKS_FAIL_NO_BINDING);
		return -ENOKEY;
	}
	if (want < 0 && n_ours > 1) {
		log_error(ctx, "%s has several cvmattest tokens (%s); choose one with --token N", d->path, ids);
		return -EINVAL;
	}
	return found;
}

int cvm_luks_refresh(struct cvm_ctx *ctx, const char *device, const struct cvm_luks_refresh_params *p,
		     const struct cvm_key_source *src, int *ret_token, enum cvm_luks_fail *fail)
{
	_cleanup_secret_ struct cvm_secret *k = NULL, *pass = NULL;
	_cleanup_free_ char *kid = NULL, *old_json = NULL, *json = NULL;
	_cleanup_json_ json_t *now = NULL;
	struct snapshot snap = { .fd = -1 };
	struct luks_token t = { 0 };
	struct luks_dev d = { 0 };
	char why[256];
	int r, token, n;

	set_fail(fail, CVM_LUKS_FAIL_LOCAL);
	if (!ctx || !device || !p || !src || !src->get_key || (!p->passphrase && p->passphrase_len))
		return -EINVAL;
	r = luks_dev_open(ctx, device, false, &d);
	if (r < 0)
		return r;
	r = token = find_our_token(ctx, &d, p->token, &old_json, fail);
	if (r < 0)
		goto out;
	r = luks_token_parse(old_json, &t, why, sizeof(why));
	if (r < 0) {
		log_error(ctx, "%s: token %d is unusable: %s; unbind and bind it again", device, token,
			  why);
		set_fail(fail, CVM_LUKS_FAIL_UNWRAP);
		goto out;
	}
	if (!keyslot_active(d.cd, t.keyslot)) {
		log_error(ctx, "%s: token %d names keyslot %d, which is not in use; unbind and bind "
			  "again", device, token, t.keyslot);
		set_fail(fail, CVM_LUKS_FAIL_UNWRAP);
		r = -ENOENT;
		goto out;
	}
	/* The same authorization as bind: an existing passphrase (checked, nothing activated). */
	r = crypt_activate_by_passphrase(d.cd, NULL, CRYPT_ANY_SLOT, (const char *)p->passphrase,
					 p->passphrase_len, 0);
	if (r < 0) {
		if (r == -EPERM) {
			log_error(ctx, "%s: the passphrase given opens no keyslot", device);
			set_fail(fail, CVM_LUKS_FAIL_AUTH);
		} else {
			log_error(ctx, "%s: cannot check the passphrase: %s", device, strerror(-r));
		}
		goto out;
	}
	r = luks_header_binding(ctx, d.cd, t.keyslot, &now);
	if (r == 0)
		r = luks_header_refuse_null_cipher(ctx, device, now);
	if (r < 0)
		goto out;
	if (src->check_binding) {
		r = src->check_binding(ctx, &t.binding, src->userdata);
		if (r < 0) {
			/* anything but -EPERM is local (the configuration), said where it failed */
			if (r == -EPERM)
				log_error(ctx, "%s: token %d is refused: it names a service this "
					  "machine does not trust (edited token?)", device, token);
			set_fail(fail, r == -EPERM ? CVM_LUKS_FAIL_UNWRAP : CVM_LUKS_FAIL_LOCAL);
			goto out;
		}
	}
	r = get_key(ctx, src, &t.binding, &k, &kid);
	if (r < 0) {
		set_fail(fail, CVM_LUKS_FAIL_KEY);
		goto out;
	}
	r = luks_token_unwrap(ctx, &t, d.uuid, k, &pass);
	if (r < 0) {
		set_fail(fail, r == -EKEYREJECTED ? CVM_LUKS_FAIL_UNWRAP : CVM_LUKS_FAIL_LOCAL);
		log_error(ctx, "%s: token %d does not open with the released key (%s): it cannot be "
			  "refreshed; unbind and bind again", device, token,
			  r == -EKEYREJECTED ? "wrong key, or the token was modified" : strerror(-r));
		goto out;
	}
	r = crypt_activate_by_passphrase(d.cd, NULL, t.keyslot, (const char *)cvm_secret_data(pass),
					 cvm_secret_len(pass), 0);
	if (r != t.keyslot) {
		log_error(ctx, "%s: keyslot %d does not open with token %d's passphrase: the keyslot was "
			  "replaced; unbind and bind again", device, t.keyslot, token);
		set_fail(fail, CVM_LUKS_FAIL_UNWRAP);
		r = r < 0 ? r : -EIO;
		goto out;
	}
	if (!t.header) {
		log_info(ctx, "%s: token %d (version 1) binds the LUKS2 header for the first time",
			 device, token);
	} else {
		n = luks_header_diff(ctx, device, CVM_LOG_WARNING, "now", t.header, now);
		if (n == 0)
			log_info(ctx, "%s: token %d: the header is as bound; writing the token anew",
				 device, token);
		else
			log_warning(ctx, "%s: token %d: binding the header with %d change%s", device,
				    token, n, n == 1 ? "" : "s");
	}
	json_decref(t.header);
	t.header = TAKE_PTR(now);
	t.version = CVM_LUKS_TOKEN_VERSION;
	if (kid) {
		free(t.key_id);
		t.key_id = TAKE_PTR(kid);
	}
	r = luks_token_wrap(ctx, &t, d.uuid, k, pass);
	if (r < 0) {
		log_error(ctx, "Cannot wrap the passphrase: %s", strerror(-r));
		goto out;
	}
	r = luks_token_format(&t, &json);
	if (r < 0)
		goto out;

	r = snapshot_take(ctx, &d, &snap);
	if (r < 0) {
		log_error(ctx, "%s: cannot save the header before changing it: %s", device, strerror(-r));
		goto out;
	}
	r = token_store_verified(ctx, &d, &snap, token, t.keyslot, k, pass, &json);
	if (r < 0)
		goto rollback;
	log_info(ctx, "%s: token %d refreshed: it binds the header as it is now", device, token);
	if (ret_token)
		*ret_token = token;
	set_fail(fail, CVM_LUKS_FAIL_NONE);
	r = 0;
	goto out;

rollback:
	if (snapshot_restore(ctx, &d, &snap) < 0)
		log_error(ctx, "%s: could not put the old token %d back: check it with 'cryptsetup "
			  "luksDump %s'", device, token, device);
out:
	snapshot_done(&snap);
	luks_token_done(&t);
	luks_dev_close(&d);
	return r;
}

/* ---- unlock ---------------------------------------------------------------------------------- */

static char *read_sysfs_line(const char *path)
{
	char buf[256];
	_cleanup_fclose_ FILE *f = fopen(path, "re");
	size_t n;

	if (!f || !fgets(buf, sizeof(buf), f))
		return NULL;
	n = strcspn(buf, "\n");
	buf[n] = 0;
	return strdup(buf);
}

static void check_platform(struct cvm_ctx *ctx, const struct luks_token *t, int token)
{
	_cleanup_free_ char *now = NULL;

	if (!t->binding.platform)
		return;
	now = read_sysfs_line("/sys/kernel/cvmattest/platform");
	if (now && strcmp(now, "none") != 0 && strcmp(now, t->binding.platform) != 0)
		log_warning(ctx, "Token %d was bound on platform %s, this one is %s: the release "
			    "policy may refuse it", token, t->binding.platform, now);
}

/*
 * One token, every check unlock makes and nothing activated: 0 and its
 * passphrase in *ret (for keyslot t->keyslot), or -errno with *fail set.
 * @t is filled (the caller frees it with luks_token_done()) whatever happens.
 */
static int token_unwrap_checked(struct cvm_ctx *ctx, struct luks_dev *d, int token,
				const char *json, const struct cvm_key_source *src,
				struct luks_token *t, struct cvm_secret **ret,
				enum cvm_luks_fail *fail)
{
	_cleanup_secret_ struct cvm_secret *k = NULL, *pass = NULL;
	_cleanup_free_ char *kid = NULL;
	_cleanup_json_ json_t *now = NULL;
	char why[256];
	int r, n;

	r = luks_token_parse(json, t, why, sizeof(why));
	if (r < 0) {
		log_error(ctx, "%s: token %d is unusable: %s", d->path, token, why);
		*fail = CVM_LUKS_FAIL_UNWRAP;
		return r;
	}
	if (t->version == LUKS_TOKEN_VERSION_NO_HEADER) {
		log_error(ctx, "%s: token %d was made by an older cvmattest and does not bind the LUKS2 "
			  "header (token version 1); it is not used until the header is bound: run "
			  "'cvmattest luks bind --refresh -d %s --token %d'", d->path, token, d->path,
			  token);
		*fail = CVM_LUKS_FAIL_UNWRAP;
		return -EPROTONOSUPPORT;
	}
	if (!keyslot_active(d->cd, t->keyslot)) {
		log_error(ctx, "%s: token %d names keyslot %d, which is not in use; bind again",
			  d->path, token, t->keyslot);
		*fail = CVM_LUKS_FAIL_UNWRAP;
		return -ENOENT;
	}
	/*
	 * The header as libcryptsetup holds it in memory: the same crypt_device
	 * is activated (by unlock, or by libcryptsetup with the passphrase the
	 * token plugin hands back), so what is compared is what is activated.  A null
	 * cipher is refused whatever the binding says, before any key is asked for.
	 */
	r = luks_header_binding(ctx, d->cd, t->keyslot, &now);
	if (r == 0)
		r = luks_header_refuse_null_cipher(ctx, d->path, now);
	if (r == 0)
		r = luks_header_refuse_null_cipher(ctx, d->path, t->header);
	if (r < 0) {
		*fail = CVM_LUKS_FAIL_UNWRAP;
		return r;
	}
	check_platform(ctx, t, token);
	log_debug(ctx, "%s: token %d: key %s, attestation %s", d->path, token, t->binding.key_url,
		  t->binding.attest_url);
	if (src->check_binding) {
		/* anyone with the disk can rewrite the token: where it sends us is checked */
		r = src->check_binding(ctx, &t->binding, src->userdata);
		if (r < 0) {
			if (r == -EPERM)
				log_error(ctx, "%s: token %d is refused: it names a key or service "
					  "this machine's configuration does not list (edited token "
					  "or swapped volume?)", d->path, token);
			*fail = r == -EPERM ? CVM_LUKS_FAIL_UNWRAP : CVM_LUKS_FAIL_LOCAL;
			return r;
		}
	}
	r = get_key(ctx, src, &t->binding, &k, &kid);
	if (r < 0) {
		*fail = CVM_LUKS_FAIL_KEY;
		return r;
	}
	r = luks_token_unwrap(ctx, t, d->uuid, k, &pass);
	if (r < 0) {
		*fail = r == -EKEYREJECTED ? CVM_LUKS_FAIL_UNWRAP : CVM_LUKS_FAIL_LOCAL;
		if (r != -EKEYREJECTED)
			log_error(ctx, "%s: token %d: cannot unwrap: %s", d->path, token, strerror(-r));
		else if (t->key_id && kid && strcmp(t->key_id, kid) != 0)
			log_error(ctx, "%s: token %d does not open with the released key: the volume was "
				  "bound to %s, the release gave %s (a new key version?); bind again "
				  "with a versioned key_url", d->path, token, t->key_id, kid);
		else
			log_error(ctx, "%s: token %d does not open with the released key: wrong key, or "
				  "the token was modified or copied from another volume", d->path, token);
		return r;
	}
	log_debug(ctx, "Passphrase unwrapped by the %s backend", luks_crypto_last_backend(ctx));
	/* t->header is authenticated now: the header must be the one bound, field by field */
	n = luks_header_diff(ctx, d->path, CVM_LOG_ERROR, "header says", t->header, now);
	if (n > 0) {
		log_error(ctx, "%s: token %d: the LUKS2 header is not the one bound (%d difference%s); "
			  "not activating. If the change is yours (reencryption, cryptsetup config), "
			  "bind the header again with 'cvmattest luks bind --refresh -d %s --token %d'",
			  d->path, token, n, n == 1 ? "" : "s", d->path, token);
		*fail = CVM_LUKS_FAIL_UNWRAP;
		return -EUCLEAN;
	}
	*ret = TAKE_PTR(pass);
	return 0;
}

/* One token: 0 and the keyslot opened, or -errno with *fail set. */
static int unlock_token(struct cvm_ctx *ctx, struct luks_dev *d, int token, const char *json,
			const struct cvm_luks_unlock_params *p, const struct cvm_key_source *src,
			enum cvm_luks_fail *fail)
{
	_cleanup_secret_ struct cvm_secret *pass = NULL;
	struct luks_token t = { 0 };
	uint32_t flags = 0, persistent = 0;
	int r;

	r = token_unwrap_checked(ctx, d, token, json, src, &t, &pass, fail);
	if (r < 0)
		goto out;
	if (p->name) {
		/*
		 * Persistent flags from the header only as bound: config.flags was
		 * just compared, so what the header holds is what was bound; the
		 * kernel gets them explicitly and libcryptsetup adds none of its own.
		 */
		r = crypt_persistent_flags_get(d->cd, CRYPT_FLAGS_ACTIVATION, &persistent);
		if (r < 0) {
			*fail = CVM_LUKS_FAIL_LOCAL;
			log_error(ctx, "%s: cannot read the persistent flags: %s", d->path, strerror(-r));
			goto out;
		}
		flags = p->flags | persistent | CRYPT_ACTIVATE_IGNORE_PERSISTENT;
	}
	r = crypt_activate_by_passphrase(d->cd, p->name, t.keyslot,
					 (const char *)cvm_secret_data(pass),
					 cvm_secret_len(pass), flags);
	if (r < 0) {
		if (r == -EPERM) {
			*fail = CVM_LUKS_FAIL_UNWRAP;
			log_error(ctx, "%s: keyslot %d does not open with token %d's passphrase: the "
				  "keyslot was replaced; bind again", d->path, t.keyslot, token);
		} else if (r == -EEXIST || r == -EBUSY) {
			/* taken meanwhile: not known to be this volume */
			*fail = CVM_LUKS_FAIL_CONFLICT;
			log_error(ctx, "%s: cannot activate as %s: %s", d->path, p->name,
				  r == -EEXIST ? "a device of that name exists" : "the device is in use");
		} else if (r == -ENOTSUP && p->name && !dm_available()) {
			/* libcryptsetup's own text is "Operation not supported" */
			*fail = CVM_LUKS_FAIL_NOT_HERE;
			log_error(ctx, "%s: cannot activate as %s: this kernel has no device-mapper "
				  "('modprobe -a dm_mod dm_crypt'; a kernel without them needs its "
				  "modules package installed)", d->path, p->name);
		} else {
			*fail = CVM_LUKS_FAIL_LOCAL;
			log_error(ctx, "%s: cannot activate%s%s: %s", d->path, p->name ? " as " : "",
				  p->name ? p->name : "", strerror(-r));
		}
		goto out;
	}
	r = 0;
out:
	luks_token_done(&t);
	return r;
}

/*
 * Before unlocking as @name: -EALREADY if the volume is open already (as
 * @name or under another name) and that mapping really is it; another
 * -errno, with a message, if @name or the mapping that claims the volume's
 * UUID is something else; 0 if neither exists.
 */
static int check_already_unlocked(struct cvm_ctx *ctx, struct luks_dev *d, const char *name)
{
	_cleanup_free_ char *active = NULL;
	int r;

	r = luks_active_is(ctx, d->cd, d->path, name);
	if (r == 0) {
		log_error(ctx, "%s is already unlocked as %s", d->path, name);
		return -EALREADY;
	}
	if (r != -ENOENT) {
		log_error(ctx, "%s: /dev/mapper/%s exists and is not this volume: refusing to treat "
			  "it as unlocked", d->path, name);
		return r;
	}
	if (cvm_luks_active_name(NULL, d->uuid, &active) < 0)
		return 0;
	r = luks_active_is(ctx, d->cd, d->path, active);
	if (r == 0) {
		log_error(ctx, "%s is already unlocked as %s", d->path, active);
		return -EALREADY;
	}
	log_error(ctx, "%s: /dev/mapper/%s claims this volume's UUID but is not this volume",
		  d->path, active);
	return r == -ENOENT ? -EEXIST : r;
}

int cvm_luks_unlock(struct cvm_ctx *ctx, const char *device, const struct cvm_luks_unlock_params *p,
		    const struct cvm_key_source *src, int *ret_token, enum cvm_luks_fail *fail)
{
	enum cvm_luks_fail worst = CVM_LUKS_FAIL_NONE;
	struct luks_dev d;
	int r, last = -ENOKEY, tried = 0;

	set_fail(fail, CVM_LUKS_FAIL_LOCAL);
	if (!ctx || !device || !p || !src || !src->get_key)
		return -EINVAL;
	r = luks_dev_open(ctx, device, false, &d);
	if (r < 0)
		return r;
	if (p->name) {
		r = check_already_unlocked(ctx, &d, p->name);
		if (r < 0) {
			set_fail(fail, r == -EALREADY ? CVM_LUKS_FAIL_BUSY : CVM_LUKS_FAIL_CONFLICT);
			goto out;
		}
	}
	for (int id = 0; id < token_count(); id++) {
		enum cvm_luks_fail f = CVM_LUKS_FAIL_NONE;
		const char *json;

		if ((p->token >= 0 && id != p->token) || !token_is_ours(d.cd, id, &json))
			continue;
		tried++;
		r = unlock_token(ctx, &d, id, json, p, src, &f);
		if (r == 0) {
			if (p->name)
				log_info(ctx, "%s: unlocked as %s with token %d", device, p->name, id);
			else
				log_info(ctx, "%s: token %d opens keyslot, nothing activated", device, id);
			if (ret_token)
				*ret_token = id;
			set_fail(fail, CVM_LUKS_FAIL_NONE);
			goto out;
		}
		last = r;
		/* An unwrap failure (tampering?) says more than an unreachable service. */
		if (worst == CVM_LUKS_FAIL_NONE || f == CVM_LUKS_FAIL_UNWRAP ||
		    f == CVM_LUKS_FAIL_CONFLICT)
			worst = f;
		if (f == CVM_LUKS_FAIL_CONFLICT || f == CVM_LUKS_FAIL_LOCAL ||
		    f == CVM_LUKS_FAIL_NOT_HERE)
			break;	/* the next token would fail the same way */
	}
	if (tried == 0) {
		if (p->token >= 0)
			log_error(ctx, "%s: token %d is not a cvmattest token", device, p->token);
		else
			log_error(ctx, "%s is not bound to cvmattest (no cvmattest token)", device);
		set_fail(fail, CVM_LUKS_FAIL_NO_BINDING);
		r = -ENOKEY;
		goto out;
	}
	set_fail(fail, worst);
	r = last;
out:
	luks_dev_close(&d);
	return r;
}

/* ---- for a libcryptsetup token plugin: the caller's crypt_device ------------------------------- */

int cvm_luks_token_open(struct cvm_ctx *ctx, struct crypt_device *cd, int token,
			const struct cvm_key_source *src, struct cvm_secret **ret,
			enum cvm_luks_fail *fail)
{
	enum cvm_luks_fail f = CVM_LUKS_FAIL_LOCAL;
	struct luks_token t = { 0 };
	struct luks_dev d = { .cd = cd };
	const char *json, *type;
	int r;

	set_fail(fail, CVM_LUKS_FAIL_LOCAL);
	if (!ctx || !cd || !src || !src->get_key || !ret || token < 0)
		return -EINVAL;
	*ret = NULL;
	type = crypt_get_type(cd);
	if (!type || strcmp(type, CRYPT_LUKS2) != 0)
		return log_error_errno(ctx, -EINVAL, "not a LUKS2 header");
	/* for messages only: libcryptsetup's own name of the device */
	d.path = crypt_get_device_name(cd) ? crypt_get_device_name(cd) : "(device)";
	d.uuid = crypt_get_uuid(cd);
	if (!d.uuid || !luks_string_ok(d.uuid))
		return log_error_errno(ctx, -EINVAL, "%s: the LUKS2 header has no usable UUID",
				       d.path);
	if (!token_is_ours(cd, token, &json)) {
		set_fail(fail, CVM_LUKS_FAIL_NO_BINDING);
		return log_error_errno(ctx, -ENOKEY, "%s: token %d is not a cvmattest token",
				       d.path, token);
	}
	r = token_unwrap_checked(ctx, &d, token, json, src, &t, ret, &f);
	luks_token_done(&t);
	set_fail(fail, r < 0 ? f : CVM_LUKS_FAIL_NONE);
	return r;
}

int cvm_luks_token_validate(const char *json, char *why, size_t why_len)
{
	struct luks_token t = { 0 };
	char buf[256];
	int r;

	if (!json)
		return -EINVAL;
	r = luks_token_parse(json, &t, buf, sizeof(buf));
	if (r < 0 && why && why_len)
		snprintf(why, why_len, "%s", buf);
	luks_token_done(&t);
	return r;
}

/* ---- unbind ------------------------------------------------------------------------------------ */

int cvm_luks_unbind(struct cvm_ctx *ctx, const char *device, int token, bool force,
		    int *ret_keyslot, enum cvm_luks_fail *fail)
{
	struct snapshot snap = { .fd = -1 };
	_cleanup_free_ char *json_copy = NULL;
	int r, slot, found = -1, n_ours = 0;
	bool keep_slot = false;
	char ids[128] = "";
	struct luks_dev d;

	set_fail(fail, CVM_LUKS_FAIL_LOCAL);
	if (!ctx || !device)
		return -EINVAL;
	r = luks_dev_open(ctx, device, false, &d);
	if (r < 0)
		return r;
	for (int id = 0; id < token_count(); id++) {
		const char *json;

		if (!token_is_ours(d.cd, id, &json))
			continue;
		n_ours++;
		snprintf(ids + strlen(ids), sizeof(ids) - strlen(ids), "%s%d", n_ours > 1 ? ", " : "", id);
		if (token < 0 || id == token) {
			found = id;
			free(json_copy);
			json_copy = strdup(json);
			if (!json_copy) {
				r = -ENOMEM;
				goto out;
			}
		}
	}
	if (found < 0 || (token >= 0 && found != token)) {
		if (token >= 0 && n_ours > 0)
			log_error(ctx, "%s: token %d is not a cvmattest token (those are: %s)", device,
				  token, ids);
		else
			log_error(ctx, "%s is not bound to cvmattest (no cvmattest token)", device);
		set_fail(fail, CVM_LUKS_FAIL_NO_BINDING);
		r = -ENOKEY;
		goto out;
	}
	if (token < 0 && n_ours > 1) {
		log_error(ctx, "%s has several cvmattest tokens (%s); choose one with --token N", device, ids);
		r = -EINVAL;
		goto out;
	}

	slot = token_any_keyslot(json_copy);
	if (slot >= 0 && !keyslot_active(d.cd, slot))
		slot = -1;
	/* Is the keyslot also used by another token (of any type)? Then it stays. */
	for (int id = 0; slot >= 0 && id < token_count(); id++) {
		const char *other;

		if (id == found || crypt_token_status(d.cd, id, NULL) == CRYPT_TOKEN_INACTIVE ||
		    crypt_token_json_get(d.cd, id, &other) < 0)
			continue;
		if (token_any_keyslot(other) == slot) {
			log_warning(ctx, "%s: keyslot %d is also used by token %d; keeping it", device,
				    slot, id);
			keep_slot = true;
		}
	}
	if (slot >= 0 && !keep_slot && count_active_keyslots(d.cd) <= 1 && !force) {
		log_error(ctx, "%s: keyslot %d is the last one; removing it would leave the volume "
			  "unopenable. Add another passphrase first (cryptsetup luksAddKey), or "
			  "force it with --force", device, slot);
		r = -EPERM;
		goto out;
	}

	r = snapshot_take(ctx, &d, &snap);
	if (r < 0) {
		log_error(ctx, "%s: cannot save the header before changing it: %s", device, strerror(-r));
		goto out;
	}
	r = crypt_token_json_set(d.cd, found, NULL);
	if (r < 0) {
		log_error(ctx, "%s: cannot remove token %d: %s", device, found, strerror(-r));
		goto rollback;
	}
	snapshot_note_write(&d, &snap);
	r = hook(LUKS_STEP_UNBIND_KEYSLOT, NULL);
	if (r < 0)
		goto rollback;
	if (slot >= 0 && !keep_slot) {
		r = crypt_keyslot_destroy(d.cd, slot);
		if (r < 0) {
			log_error(ctx, "%s: cannot remove keyslot %d: %s", device, slot, strerror(-r));
			goto rollback;
		}
	}
	log_info(ctx, "%s: token %d removed%s", device, found,
		 slot >= 0 && !keep_slot ? " with its keyslot" : "");
	if (ret_keyslot)
		*ret_keyslot = keep_slot ? -1 : slot;
	set_fail(fail, CVM_LUKS_FAIL_NONE);
	r = 0;
	goto out;

rollback:
	(void)snapshot_restore(ctx, &d, &snap);
out:
	snapshot_done(&snap);
	luks_dev_close(&d);
	return r;
}

/* ---- list --------------------------------------------------------------------------------------- */

void cvm_luks_token_info_free(struct cvm_luks_token_info *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++) {
		cvm_luks_binding_done(&v[i].binding);
		free(v[i].key_id);
		free(v[i].error);
	}
	free(v);
}

/* @e from token @id's JSON; keyslot_active from @cd if it is given. */
static int token_info_fill(struct cvm_ctx *ctx, struct crypt_device *cd, const char *path, int id,
			   const char *json, struct cvm_luks_token_info *e)
{
	struct luks_token t;
	char why[256];
	int r;

	memset(e, 0, sizeof(*e));
	e->token = id;
	r = luks_token_parse(json, &t, why, sizeof(why));
	if (r < 0) {
		e->keyslot = token_any_keyslot(json);
		e->error = strdup(why);
		if (!e->error)
			return -ENOMEM;
		if (ctx)
			log_debug(ctx, "%s: token %d: %s", path, id, why);
	} else {
		e->keyslot = t.keyslot;
		e->version = t.version;
		e->binding = t.binding;
		e->key_id = t.key_id;
		e->header_bound = t.header != NULL;
		json_decref(t.header);
		memset(&t, 0, sizeof(t));	/* moved into e */
	}
	e->keyslot_active = cd && e->keyslot >= 0 && keyslot_active(cd, e->keyslot);
	return 0;
}

static int list_open(struct cvm_ctx *ctx, struct luks_dev *d, struct cvm_luks_token_info **ret,
		     size_t *n)
{
	struct cvm_luks_token_info *v = NULL;
	size_t count = 0;

	for (int id = 0; id < token_count(); id++) {
		struct cvm_luks_token_info *nv;
		const char *json;

		if (!token_is_ours(d->cd, id, &json))
			continue;
		nv = realloc(v, (count + 1) * sizeof(*v));
		if (!nv) {
			cvm_luks_token_info_free(v, count);
			return -ENOMEM;
		}
		v = nv;
		if (token_info_fill(ctx, d->cd, d->path, id, json, &v[count++]) < 0) {
			cvm_luks_token_info_free(v, count);
			return -ENOMEM;
		}
	}
	*ret = v;
	*n = count;
	return 0;
}

int cvm_luks_token_info_from_json(struct crypt_device *cd, int token, const char *json,
				  struct cvm_luks_token_info *ret)
{
	int r;

	if (!json || !ret)
		return -EINVAL;
	r = token_info_fill(NULL, cd, NULL, token, json, ret);
	if (r < 0) {
		cvm_luks_binding_done(&ret->binding);
		free(ret->key_id);
		free(ret->error);
		memset(ret, 0, sizeof(*ret));
	}
	return r;
}

int cvm_luks_token_info_text(const struct cvm_luks_token_info *ti, const char *device,
			     const char *indent, char **ret)
{
	const char *const *keys = cvm_luks_release_keys();
	_cleanup_free_ char *buf = NULL;
	size_t len = 0;
	FILE *f;

	if (!ti || !ret)
		return -EINVAL;
	indent = indent ? indent : "";
	f = open_memstream(&buf, &len);
	if (!f)
		return -ENOMEM;
	for (; *keys; keys++) {
		const char *val = cvm_luks_binding_get(&ti->binding, *keys);

		if (val)
			fprintf(f, "%s%-20s %s\n", indent, *keys, val);
	}
	if (ti->binding.platform)
		fprintf(f, "%s%-20s %s\n", indent, "platform", ti->binding.platform);
	if (ti->key_id)
		fprintf(f, "%s%-20s %s\n", indent, "key_id", ti->key_id);
	if (!ti->header_bound)
		fprintf(f, "%s%-20s not bound: unlock refuses this token until 'cvmattest luks "
			"bind --refresh -d %s --token %d'\n", indent, "header",
			device ? device : "DEV", ti->token);
	if (fclose(f) != 0)
		return -ENOMEM;
	*ret = TAKE_PTR(buf);
	return 0;
}

int cvm_luks_list(struct cvm_ctx *ctx, const char *device, struct cvm_luks_token_info **ret,
		  size_t *n)
{
	struct luks_dev d;
	int r;

	if (!ctx || !device || !ret || !n)
		return -EINVAL;
	r = luks_dev_open(ctx, device, false, &d);
	if (r < 0)
		return r;
	r = list_open(ctx, &d, ret, n);
	luks_dev_close(&d);
	return r;
}

int cvm_luks_list_json(struct cvm_ctx *ctx, const char *device, char **ret)
{
	struct cvm_luks_token_info *v = NULL;
	_cleanup_json_ json_t *o = json_object();
	json_t *arr = json_array();
	struct luks_dev d;
	size_t n = 0;
	int r;

	if (!o || !arr) {
		json_decref(arr);
		return -ENOMEM;
	}
	r = luks_dev_open(ctx, device, false, &d);
	if (r < 0) {
		json_decref(arr);
		return r;
	}
	if (json_object_set_new(o, "device", json_string(device)) < 0 ||
	    json_object_set_new(o, "uuid", json_string(d.uuid)) < 0 ||
	    json_object_set_new(o, "tokens", arr) < 0) {
		luks_dev_close(&d);
		return -ENOMEM;
	}
	r = list_open(ctx, &d, &v, &n);
	luks_dev_close(&d);
	if (r < 0)
		return r;
	for (size_t i = 0; i < n; i++) {
		json_t *e = json_object(), *rel = json_object();
		const char *const *keys = cvm_luks_release_keys();

		if (!e || !rel || json_array_append_new(arr, e) < 0) {
			json_decref(rel);
			r = -ENOMEM;
			break;
		}
		json_object_set_new(e, "token", json_integer(v[i].token));
		json_object_set_new(e, "keyslot", v[i].keyslot >= 0 ? json_integer(v[i].keyslot) : json_null());
		json_object_set_new(e, "keyslot_active", json_boolean(v[i].keyslot_active));
		if (v[i].error) {
			json_decref(rel);
			json_object_set_new(e, "error", json_string(v[i].error));
			continue;
		}
		json_object_set_new(e, "version", json_integer(v[i].version));
		json_object_set_new(e, "header_bound", json_boolean(v[i].header_bound));
		for (; *keys; keys++) {
			const char *val = cvm_luks_binding_get(&v[i].binding, *keys);

			if (val)
				json_object_set_new(rel, *keys, json_string(val));
		}
		json_object_set_new(e, "release", rel);
		json_object_set_new(e, "platform", v[i].binding.platform ?
				    json_string(v[i].binding.platform) : json_null());
		json_object_set_new(e, "key_id", v[i].key_id ? json_string(v[i].key_id) : json_null());
		json_object_set_new(e, "kdf", json_string(LUKS_KDF_NAME));
		json_object_set_new(e, "aead", json_string(LUKS_AEAD_NAME));
	}
	cvm_luks_token_info_free(v, n);
	if (r < 0)
		return r;
	*ret = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	return *ret ? 0 : -ENOMEM;
}

/* ---- devices ------------------------------------------------------------------------------------- */

int cvm_luks_device_uuid(struct cvm_ctx *ctx, const char *device, char **ret)
{
	struct luks_dev d;
	int r;

	r = luks_dev_open(ctx, device, false, &d);
	if (r < 0)
		return r;
	*ret = strdup(d.uuid);
	luks_dev_close(&d);
	return *ret ? 0 : -ENOMEM;
}

int cvm_luks_device_is_bound(struct cvm_ctx *ctx, const char *device)
{
	struct luks_dev d;
	int r, bound = 0;

	r = luks_dev_open(ctx, device, true, &d);
	if (r < 0)
		return r == -EINVAL ? 0 : r;
	for (int id = 0; id < token_count() && !bound; id++) {
		const char *json;

		bound = token_is_ours(d.cd, id, &json);
	}
	luks_dev_close(&d);
	return bound;
}

char *cvm_luks_default_name(const char *uuid)
{
	char *s;

	return asprintf(&s, "luks-%s", uuid) < 0 ? NULL : s;
}

int cvm_luks_active_name(const char *sysfs, const char *uuid, char **ret)
{
	_cleanup_(closedirp) DIR *dir = NULL;
	char prefix[128], path[PATH_MAX];
	struct dirent *de;
	size_t n = 0;

	if (!uuid || !ret)
		return -EINVAL;
	n = (size_t)snprintf(prefix, sizeof(prefix), "CRYPT-LUKS2-");
	for (const char *c = uuid; *c && n < sizeof(prefix) - 2; c++)
		if (*c != '-')
			prefix[n++] = *c;
	prefix[n++] = '-';
	prefix[n] = 0;
	snprintf(path, sizeof(path), "%s/block", sysfs ? sysfs : "/sys");
	dir = opendir(path);
	if (!dir)
		return -ENOENT;
	while ((de = readdir(dir))) {
		_cleanup_free_ char *dm_uuid = NULL;

		if (strncmp(de->d_name, "dm-", 3) != 0)
			continue;
		snprintf(path, sizeof(path), "%s/block/%s/dm/uuid", sysfs ? sysfs : "/sys", de->d_name);
		dm_uuid = read_sysfs_line(path);
		if (!dm_uuid || strncasecmp(dm_uuid, prefix, n) != 0)
			continue;
		snprintf(path, sizeof(path), "%s/block/%s/dm/name", sysfs ? sysfs : "/sys", de->d_name);
		*ret = read_sysfs_line(path);
		return *ret ? 0 : -ENOMEM;
	}
	return -ENOENT;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int cvm_luks_scan(struct cvm_ctx *ctx, const char *sysfs, const char *dev_dir, char ***ret)
{
	_cleanup_(closedirp) DIR *dir = NULL;
	char path[PATH_MAX];
	struct dirent *de;
	char **v = NULL;
	size_t n = 0;

	snprintf(path, sizeof(path), "%s/class/block", sysfs ? sysfs : "/sys");
	dir = opendir(path);
	if (!dir) {
		log_error(ctx, "Cannot list block devices in %s: %s", path, strerror(errno));
		return -errno;
	}
	while ((de = readdir(dir))) {
		_cleanup_free_ char *size = NULL;
		char **nv;
		int r;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/class/block/%s/size", sysfs ? sysfs : "/sys", de->d_name);
		size = read_sysfs_line(path);
		if (!size || strcmp(size, "0") == 0)
			continue;	/* empty loop devices, drives without media */
		snprintf(path, sizeof(path), "%s/%s", dev_dir ? dev_dir : "/dev", de->d_name);
		r = cvm_luks_device_is_bound(ctx, path);
		if (r <= 0) {
			if (r < 0)
				log_debug(ctx, "Skipping %s: %s", path, strerror(-r));
			continue;
		}
		nv = realloc(v, (n + 2) * sizeof(*v));
		if (!nv)
			goto oom;
		v = nv;
		v[n] = strdup(path);
		if (!v[n])
			goto oom;
		v[++n] = NULL;
	}
	if (!v) {
		v = calloc(1, sizeof(*v));
		if (!v)
			return -ENOMEM;
	}
	qsort(v, n, sizeof(*v), cmp_str);
	*ret = v;
	return 0;
oom:
	for (size_t i = 0; v && i < n; i++)
		free(v[i]);
	free(v);
	return -ENOMEM;
}

/* Does crypttab's device field @spec name @device (@uuid)? */
static bool crypttab_matches(const char *spec, const char *device, const char *uuid)
{
	static const struct {
		const char *tag, *dir;
	} tags[] = {
		{ "PARTUUID=", "/dev/disk/by-partuuid/" },
		{ "LABEL=", "/dev/disk/by-label/" },
		{ "PARTLABEL=", "/dev/disk/by-partlabel/" },
	};
	char buf[PATH_MAX];
	struct stat a, b;

	if (strncasecmp(spec, "UUID=", 5) == 0)
		return strcasecmp(spec + 5, uuid) == 0;
	for (size_t i = 0; i < ELEMENTSOF(tags); i++)
		if (strncmp(spec, tags[i].tag, strlen(tags[i].tag)) == 0) {
			snprintf(buf, sizeof(buf), "%s%s", tags[i].dir, spec + strlen(tags[i].tag));
			spec = buf;
			break;
		}
	if (stat(spec, &a) < 0 || stat(device, &b) < 0)
		return false;
	if (S_ISBLK(a.st_mode) && S_ISBLK(b.st_mode))
		return a.st_rdev == b.st_rdev;
	return a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

int cvm_luks_crypttab_name(struct cvm_ctx *ctx, const char *path, const char *device,
			   const char *uuid, char **ret)
{
	_cleanup_fclose_ FILE *f = NULL;
	char line[4096];

	f = fopen(path ? path : "/etc/crypttab", "re");
	if (!f)
		return -ENOENT;
	while (fgets(line, sizeof(line), f)) {
		char *save = NULL, *name, *spec;

		name = strtok_r(line, " \t\n", &save);
		if (!name || name[0] == '#')
			continue;
		spec = strtok_r(NULL, " \t\n", &save);
		if (!spec || !crypttab_matches(spec, device, uuid))
			continue;
		log_debug(ctx, "%s: crypttab names it %s", device, name);
		*ret = strdup(name);
		return *ret ? 0 : -ENOMEM;
	}
	return -ENOENT;
}
