// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * "Already unlocked" is only true of a mapping that really is the volume:
 * a dm-crypt target over this block device, at its LUKS2 header's data
 * offset, with the header's cipher (never cipher_null).  Anything else with
 * the name the unlock was asked for (systemd mounts /dev/mapper/luks-UUID,
 * an fstab line names it) is a decoy or a mistake, and passing it off as
 * the volume would put the data on whatever that mapping is.
 *
 * The table comes from device-mapper itself (DM_TABLE_STATUS on
 * /dev/mapper/control, what `dmsetup table` does), not from libcryptsetup:
 * crypt_init_by_name() on a LUKS2 mapping reports the header's cipher, not
 * the one the kernel is using.  The table holds the volume key in hex
 * unless it is in the kernel keyring: the buffer is wiped after reading.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <libcryptsetup.h>
#include <linux/dm-ioctl.h>

#include "luks/luks.h"

#define DM_CONTROL "/dev/mapper/control"

struct dm_table {
	struct dm_ioctl io;
	char buf[16384];
};

/* The single target of mapping @name: 0, -ENOENT if there is no such mapping. */
static int dm_table_get(const char *name, struct dm_table *t, char **type, char **params)
{
	struct dm_target_spec *spec;
	int fd, r = 0;

	if (strlen(name) >= DM_NAME_LEN)
		return -ENOENT;
	memset(t, 0, sizeof(*t));
	t->io.version[0] = DM_VERSION_MAJOR;
	t->io.data_size = sizeof(*t);
	t->io.data_start = sizeof(t->io);
	t->io.flags = DM_STATUS_TABLE_FLAG;
	memcpy(t->io.name, name, strlen(name));
	/* no device-mapper (no node, or no dm_mod behind it): no mapping either */
	fd = open(DM_CONTROL, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT || errno == ENODEV || errno == ENXIO ? -ENOENT : -errno;
	if (ioctl(fd, DM_TABLE_STATUS, &t->io) < 0)
		r = errno == ENXIO || errno == ENODEV ? -ENOENT : -errno;
	close(fd);
	if (r < 0)
		return r;
	if ((t->io.flags & DM_BUFFER_FULL_FLAG) || t->io.target_count != 1 ||
	    t->io.data_start + sizeof(*spec) >= sizeof(*t))
		return -EMSGSIZE;
	spec = (struct dm_target_spec *)((char *)t + t->io.data_start);
	spec->target_type[DM_MAX_TYPE_NAME - 1] = 0;
	t->buf[sizeof(t->buf) - 1] = 0;
	if (spec->sector_start != 0)
		return -EMSGSIZE;
	*type = spec->target_type;
	*params = (char *)(spec + 1);
	return 0;
}

static int mapping_check(struct cvm_ctx *ctx, struct crypt_device *cd, const char *device,
			 const char *name, const char *params)
{
	char cipher[128], want[128], *p;
	unsigned int maj, min;
	uint64_t iv_offset, offset;
	struct stat st;
	const char *c = crypt_get_cipher(cd), *m = crypt_get_cipher_mode(cd);

	/* <cipher> <key> <iv_offset> <major:minor> <offset> [<#opt> <opt>...] */
	p = strchr(params, ' ');
	if (!p || (size_t)(p - params) >= sizeof(cipher))
		return log_error_errno(ctx, -EEXIST, "/dev/mapper/%s has a dm-crypt table that "
				       "cannot be read", name);
	memcpy(cipher, params, (size_t)(p - params));
	cipher[p - params] = 0;
	p = strchr(p + 1, ' ');	/* past the key */
	if (!p || sscanf(p, " %" SCNu64 " %u:%u %" SCNu64, &iv_offset, &maj, &min, &offset) != 4)
		return log_error_errno(ctx, -EEXIST, "/dev/mapper/%s has a dm-crypt table that "
				       "cannot be read", name);
	if (strncmp(cipher, "cipher_null", 11) == 0)
		return log_error_errno(ctx, -EEXIST, "/dev/mapper/%s does not encrypt (cipher_null): "
				       "it is not this volume unlocked", name);
	if (stat(device, &st) < 0 || !S_ISBLK(st.st_mode))
		return log_error_errno(ctx, -ENOTBLK, "%s: not a block device", device);
	if (major(st.st_rdev) != maj || minor(st.st_rdev) != min)
		return log_error_errno(ctx, -EEXIST, "/dev/mapper/%s maps the device %u:%u, not %s "
				       "(%u:%u): it is not this volume", name, maj, min, device,
				       major(st.st_rdev), minor(st.st_rdev));
	snprintf(want, sizeof(want), "%s-%s", c ? c : "", m ? m : "");
	if (strcmp(cipher, want) != 0)
		return log_error_errno(ctx, -EEXIST, "/dev/mapper/%s uses the cipher %s, but the "
				       "LUKS2 header of %s says %s", name, cipher, device, want);
	if (offset != crypt_get_data_offset(cd) || iv_offset != crypt_get_iv_offset(cd))
		return log_error_errno(ctx, -EEXIST, "/dev/mapper/%s starts at sector %" PRIu64
				       ", but the data of %s start at %" PRIu64, name, offset, device,
				       (uint64_t)crypt_get_data_offset(cd));
	return 0;
}

int luks_active_is(struct cvm_ctx *ctx, struct crypt_device *cd, const char *device,
		   const char *name)
{
	struct dm_table t;
	char *type = NULL, *params = NULL;
	int r;

	r = dm_table_get(name, &t, &type, &params);
	if (r == -ENOENT)
		return r;
	if (r < 0) {
		log_error(ctx, "Cannot read the device-mapper table of %s: %s", name, strerror(-r));
		r = -EEXIST;
	} else if (strcmp(type, "crypt") != 0) {
		log_error(ctx, "/dev/mapper/%s is a %s mapping, not dm-crypt: it is not this volume",
			  name, type);
		r = -EEXIST;
	} else {
		r = mapping_check(ctx, cd, device, name, params);
	}
	explicit_bzero(&t, sizeof(t));	/* the table may hold the volume key */
	return r;
}
