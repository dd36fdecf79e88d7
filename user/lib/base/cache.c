// SPDX-License-Identifier: LGPL-2.1-or-later
/* Cache files (endorsements, signing keys): written whole or not at all. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "base/base.h"

static int mkdir_parents(const char *path, mode_t mode)
{
	_cleanup_free_ char *p = strdup(path);

	if (!p)
		return -ENOMEM;
	for (char *s = strchr(p + 1, '/'); s; s = strchr(s + 1, '/')) {
		*s = 0;
		if (mkdir(p, mode) < 0 && errno != EEXIST)
			return -errno;
		*s = '/';
	}
	return 0;
}

int cache_write(struct cvm_ctx *ctx, const char *path, const void *data, size_t len)
{
	_cleanup_free_ char *tmp = NULL;
	_cleanup_close_ int fd = -1;
	int r;

	r = mkdir_parents(path, 0755);
	if (r < 0)
		goto fail;
	if (asprintf(&tmp, "%s.tmp.%d", path, (int)getpid()) < 0)
		return -ENOMEM;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0) {
		r = -errno;
		goto fail;
	}
	r = write_all(fd, data, len);
	if (r < 0) {
		unlink(tmp);
		goto fail;
	}
	if (close(TAKE_FD(fd)) < 0 || rename(tmp, path) < 0) {
		r = -errno;
		unlink(tmp);
		goto fail;
	}
	return 0;
fail:
	log_warning(ctx, "Cannot write the cache file %s: %s (continuing without it)", path,
		    strerror(-r));
	return r;
}
