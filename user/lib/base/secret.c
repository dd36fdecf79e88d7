// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The one buffer for key material: its own pages, locked in memory
 * (mlock), left out of core dumps (MADV_DONTDUMP) and wiped before they are
 * unmapped (explicit_bzero, which the compiler cannot drop).  Nothing here
 * logs the contents; only lengths ever reach a message.
 */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#include "base/base.h"

int cvm_secret_new(size_t len, struct cvm_secret **ret)
{
	long page = sysconf(_SC_PAGESIZE);
	struct cvm_secret *s;
	size_t map_len;

	if (!ret)
		return -EINVAL;
	if (page <= 0)
		page = 4096;
	if (len > SIZE_MAX - (size_t)page)
		return -ENOMEM;
	map_len = len ? (len + (size_t)page - 1) / (size_t)page * (size_t)page : (size_t)page;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->data = mmap(NULL, map_len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (s->data == MAP_FAILED) {
		free(s);
		return -ENOMEM;
	}
	s->map_len = map_len;
	s->len = len;
	(void)madvise(s->data, map_len, MADV_DONTDUMP);
	s->locked = mlock(s->data, map_len) == 0;
	*ret = s;
	return 0;
}

int cvm_secret_copy(const void *data, size_t len, struct cvm_secret **ret)
{
	int r = cvm_secret_new(len, ret);

	if (r < 0)
		return r;
	if (len)
		memcpy((*ret)->data, data, len);
	return 0;
}

void cvm_secret_free(struct cvm_secret *s)
{
	if (!s)
		return;
	explicit_bzero(s->data, s->map_len);
	if (s->locked)
		munlock(s->data, s->map_len);
	munmap(s->data, s->map_len);
	free(s);
}

uint8_t *cvm_secret_data(const struct cvm_secret *s)
{
	return s ? s->data : NULL;
}

size_t cvm_secret_len(const struct cvm_secret *s)
{
	return s ? s->len : 0;
}

int cvm_secret_read_fd(int fd, size_t max, bool line, struct cvm_secret **ret)
{
	_cleanup_secret_ struct cvm_secret *s = NULL;
	size_t len = 0;
	int r;

	if (fd < 0 || !ret)
		return -EINVAL;
	r = cvm_secret_new(4096, &s);
	if (r < 0)
		return r;
	for (;;) {
		ssize_t n;

		if (len == s->len) {
			_cleanup_secret_ struct cvm_secret *bigger = NULL;

			/* one byte beyond max tells "too long" from "exactly max" */
			if (len > max)
				return -EFBIG;
			r = cvm_secret_new(s->len * 2, &bigger);
			if (r < 0)
				return r;
			memcpy(bigger->data, s->data, len);
			cvm_secret_free(s);
			s = TAKE_PTR(bigger);
		}
		n = read(fd, s->data + len, line ? 1 : s->len - len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			break;
		if (line && s->data[len] == '\n') {
			s->data[len] = 0;
			break;
		}
		len += (size_t)n;
	}
	if (len > max)
		return -EFBIG;
	if (len == 0)
		return -ENODATA;
	explicit_bzero(s->data + len, s->map_len - len);
	s->len = len;
	*ret = TAKE_PTR(s);
	return 0;
}
